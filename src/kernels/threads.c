/* threads.c — how many threads deepc's loops use: the team size, which
 * fixes how work is split (and so the exact bits of every result), and the
 * threads that run the team now, which may be fewer.
 *
 * Why two numbers. A machine's cores are shared: a server, an MPI rank per
 * core, CI, a laptop. When another process keeps a core busy, a team of as
 * many threads as cores waits at every barrier for the thread that lost its
 * core (OpenMP spins there, handing the core to nobody): on 2 cores with one
 * busy process, a 2-thread training step took twice as long as a 1-thread
 * step (bench/RESULTS.md). So every few hundred milliseconds deepc looks at
 * how much CPU time other processes took on the cores it may use (/proc/stat's
 * lines for the CPUs of its affinity, less its own) and runs its loops on the
 * cores they leave free. The work is still cut into as many
 * parts as the team size says, and each part is computed the same way
 * whichever thread takes it: results stay bit-identical, busy or not.
 *
 * DEEPC_ADAPT=0 turns the governor off (every loop on the full team);
 * DEEPC_RUN_THREADS=N runs the team on N threads always (tests use it to
 * check that the bits do not depend on it). */
#define _GNU_SOURCE /* sched_getaffinity */
#include "kernels.h"
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#ifdef _OPENMP
#include <omp.h>
#endif

void openblas_set_num_threads(int num_threads);

static int team = 0;                     /* the process's team size; 0: not yet set */
static _Thread_local int local_team = 0; /* a thread's own (a session's run); 0: the process's */

/* The governor's state: one thread samples at a time (the one that wins
 * the compare-and-swap on next_ns); everyone reads free_cores. */
static int64_t next_ns = 0;              /* when to sample again                     */
static int free_cores = 0;               /* cores other processes leave us; 0: all   */
static int64_t last_wall = 0, last_own = 0, last_busy = 0;
static int adapt = -1;                   /* -1 not decided, 0 off, 1 on             */
static int forced_run = 0;               /* DEEPC_RUN_THREADS                       */

#define SAMPLE_NS 100000000LL            /* a tenth of a second: a busy core is noticed fast, and reading /proc/stat costs some 20 us */

static int env_int(const char *name) {
    const char *s = getenv(name);
    if (!s || !*s) return -1;
    long v = strtol(s, NULL, 10);
    return v >= 0 && v < 1024 ? (int)v : -1;
}

void dc_k_set_threads(int n) {
    if (n <= 0) n = env_int("DEEPC_NUM_THREADS");
    if (n <= 0) n = env_int("OMP_NUM_THREADS");
    if (n <= 0) {
        long c = sysconf(_SC_NPROCESSORS_ONLN);
        n = c > 0 ? (int)c : 1;
    }
    __atomic_store_n(&team, n, __ATOMIC_RELAXED);
#ifdef _OPENMP
    omp_set_num_threads(n);
#endif
    /* OpenBLAS itself stays single-threaded: dc_k_gemm splits large products
     * over our OpenMP threads, so two thread pools never compete for cores */
    openblas_set_num_threads(1);
}

int dc_k_threads(void) {
    if (local_team > 0) return local_team;
    int n = __atomic_load_n(&team, __ATOMIC_RELAXED);
    if (n == 0) { /* first use: DEEPC_NUM_THREADS, OMP_NUM_THREADS or the cores */
        dc_k_set_threads(0);
        n = __atomic_load_n(&team, __ATOMIC_RELAXED);
    }
    return n;
}

int dc_k_local_threads(int n) {
    int old = local_team;
    local_team = n > 0 ? n : 0;
#ifdef _OPENMP
    /* the calling thread's own OpenMP setting: a thread the program made
     * starts from OMP_NUM_THREADS or the core count, not from ours */
    omp_set_num_threads(dc_k_threads());
#endif
    return old;
}

static int64_t now_ns(clockid_t c) {
    struct timespec ts;
    clock_gettime(c, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Busy time (user, nice, system, irq, softirq, steal) of the cores this
 * process may run on (its affinity: a container's cpuset, taskset), in
 * nanoseconds, from the cpuN lines of /proc/stat; *cores gets how many
 * there are. -1 if unreadable. */
static int64_t busy_ns(int *cores) {
    cpu_set_t set;
    const int have_set = sched_getaffinity(0, sizeof set, &set) == 0;
    FILE *f = fopen("/proc/stat", "r");
    if (!f) return -1;
    char line[512];
    unsigned long long busy = 0;
    int n = 0;
    while (fgets(line, sizeof line, f)) {
        int cpu;
        unsigned long long v[8] = {0};
        if (strncmp(line, "cpu", 3) || line[3] < '0' || line[3] > '9') continue; /* the total line, and the others */
        if (sscanf(line, "cpu%d %llu %llu %llu %llu %llu %llu %llu %llu", &cpu, &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6],
                   &v[7]) < 5)
            continue;
        if (have_set && (cpu < 0 || cpu >= CPU_SETSIZE || !CPU_ISSET(cpu, &set))) continue;
        busy += v[0] + v[1] + v[2] + v[5] + v[6] + v[7]; /* idle and iowait left out */
        n++;
    }
    fclose(f);
    if (n == 0) return -1;
    *cores = n;
    const long hz = sysconf(_SC_CLK_TCK) > 0 ? sysconf(_SC_CLK_TCK) : 100;
    return (int64_t)(busy * (1000000000ULL / (unsigned long long)hz));
}

/* Take a sample when one is due: the cores left free = cores - what other
 * processes used since the last sample (rounded: a process using a third
 * of a core leaves it to us). */
static void sample(void) {
    const int64_t wall = now_ns(CLOCK_MONOTONIC);
    int64_t due = __atomic_load_n(&next_ns, __ATOMIC_RELAXED);
    /* the first interval is short: a busy core is seen within 20 ms of the first loop */
    const int64_t next = wall + (due == 0 ? SAMPLE_NS / 5 : SAMPLE_NS);
    if (wall < due || !__atomic_compare_exchange_n(&next_ns, &due, next, 0, __ATOMIC_RELAXED, __ATOMIC_RELAXED)) return;
    int cores = 0;
    const int64_t own = now_ns(CLOCK_PROCESS_CPUTIME_ID), busy = busy_ns(&cores);
    if (busy < 0) { /* no /proc: stay with the full team */
        __atomic_store_n(&adapt, 0, __ATOMIC_RELAXED);
        return;
    }
    /* (atomics: successive samples may be taken by different threads) */
    const int64_t lw = __atomic_load_n(&last_wall, __ATOMIC_RELAXED), lo = __atomic_load_n(&last_own, __ATOMIC_RELAXED),
                  lb = __atomic_load_n(&last_busy, __ATOMIC_RELAXED);
    if (lw && wall > lw) {
        double others = (double)((busy - lb) - (own - lo)) / (double)(wall - lw);
        if (others < 0.0) others = 0.0;
        int f = (int)((double)cores - others + 0.5);
        __atomic_store_n(&free_cores, f < 1 ? 1 : f, __ATOMIC_RELAXED);
    }
    __atomic_store_n(&last_wall, wall, __ATOMIC_RELAXED);
    __atomic_store_n(&last_own, own, __ATOMIC_RELAXED);
    __atomic_store_n(&last_busy, busy, __ATOMIC_RELAXED);
}

int dc_k_run_threads_for(int parts) {
    const int r = dc_k_run_threads();
    return parts < r ? (parts > 1 ? parts : 1) : r;
}

int dc_k_run_threads(void) {
    const int nt = dc_k_threads();
    if (nt < 2) return 1;
    int a = __atomic_load_n(&adapt, __ATOMIC_RELAXED);
    if (a < 0) {
        const int e = env_int("DEEPC_ADAPT"), fr = env_int("DEEPC_RUN_THREADS");
        __atomic_store_n(&forced_run, fr, __ATOMIC_RELAXED);
        a = e == 0 || fr > 0 ? 0 : 1;
        __atomic_store_n(&adapt, a, __ATOMIC_RELAXED);
    }
    const int fr = __atomic_load_n(&forced_run, __ATOMIC_RELAXED);
    if (fr > 0) return fr < nt ? fr : nt;
    if (!a) return nt;
    sample();
    const int f = __atomic_load_n(&free_cores, __ATOMIC_RELAXED);
    return f > 0 && f < nt ? f : nt;
}
