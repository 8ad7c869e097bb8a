/* threads.c — the public thread count. The counts themselves, and the
 * governor that runs loops on fewer threads while other processes keep
 * cores busy, live in the kernels floor (src/kernels/threads.c), where the
 * loops that use them are. */
#include "internal.h"
#include "../kernels/kernels.h"

void dc_set_num_threads(int n) { dc_k_set_threads(n); }
int dc_get_num_threads(void) { return dc_k_threads(); }
int dc_threads(void) { return dc_k_threads(); }
int dc_threads_local(int n) { return dc_k_local_threads(n); }
