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
/* A thread's own count (a session's, while it runs): 0 = the process's. */
static _Thread_local int local_threads = 0;

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
    __atomic_store_n(&num_threads, n, __ATOMIC_RELAXED);
#ifdef _OPENMP
    omp_set_num_threads(n);
#endif
    /* OpenBLAS itself stays single-threaded: dc_k_gemm splits large products
     * over our OpenMP threads, so two thread pools never compete for cores */
    openblas_set_num_threads(1);
}

int dc_get_num_threads(void) {
    if (local_threads > 0) return local_threads;
    int n = __atomic_load_n(&num_threads, __ATOMIC_RELAXED);
    if (n == 0) {
        dc_set_num_threads(0);
        n = __atomic_load_n(&num_threads, __ATOMIC_RELAXED);
    }
    return n;
}

int dc_threads(void) { return dc_get_num_threads(); }

int dc_threads_local(int n) {
    int old = local_threads;
    local_threads = n > 0 ? n : 0;
#ifdef _OPENMP
    /* the calling thread's own OpenMP setting: a thread the program made
     * starts from OMP_NUM_THREADS or the core count, not from ours */
    omp_set_num_threads(dc_get_num_threads());
#endif
    return old;
}
