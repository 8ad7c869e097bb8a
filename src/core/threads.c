/* threads.c — one thread count for OpenMP loops and for OpenBLAS.
 * OpenBLAS runs single-threaded inside our OpenMP threads (see dc_k_gemm),
 * so the two pools never nest or compete. */
#include "internal.h"
#include <stdlib.h>
#include <unistd.h>
#ifdef _OPENMP
#include <omp.h>
#endif

void openblas_set_num_threads(int num_threads);

static int num_threads = 0; /* 0 = not yet decided */

static int env_threads(const char *name) {
    const char *s = getenv(name);
    if (!s || !*s) return 0;
    long v = strtol(s, NULL, 10);
    return v > 0 && v < 1024 ? (int)v : 0;
}

void dc_set_num_threads(int n) {
    if (n <= 0) n = env_threads("DEEPC_NUM_THREADS");
    if (n <= 0) n = env_threads("OMP_NUM_THREADS");
    if (n <= 0) {
        long c = sysconf(_SC_NPROCESSORS_ONLN);
        n = c > 0 ? (int)c : 1;
    }
    num_threads = n;
#ifdef _OPENMP
    omp_set_num_threads(n);
#endif
    /* OpenBLAS itself stays single-threaded: dc_k_gemm splits large products
     * over our OpenMP threads, so two thread pools never compete for cores */
    openblas_set_num_threads(1);
}

int dc_get_num_threads(void) {
    if (num_threads == 0) dc_set_num_threads(0);
    return num_threads;
}

int dc_threads(void) { return dc_get_num_threads(); }
