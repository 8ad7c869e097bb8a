/* cli_mpi.c — `deepc train` under mpirun: data-parallel training over MPI
 * (cli_mpi.h). The library already trains on ranks (dc_fit_options rank and
 * world: each rank takes its share of every global batch; the
 * after_backward hook averages the gradients, reduce_stats sums the
 * epoch's statistics); this file is those two hooks on MPI_Allreduce, and
 * the start and end of MPI. Built with -DDEEPC_MPI=ON (on when CMake finds
 * MPI); a build without MPI started by mpirun says so instead of training
 * N copies. */
#include "cli_mpi.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifdef DEEPC_HAVE_MPI
#include <mpi.h>
#endif

static int rank, world = 1, share; /* share: threads per rank on a shared machine (0: no opinion) */
static double comm_secs;             /* time in the gradients' all-reduce, and its calls */
static long comm_calls;

/* The launcher's size, from the environment (Open MPI, MPICH/PMI, PMIx,
 * Slurm): > 1 when started as one of several ranks. */
static int launched_size(void) {
    const char *vars[] = {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_SIZE", "MPI_LOCALNRANKS"};
    for (size_t i = 0; i < sizeof vars / sizeof *vars; i++) {
        const char *v = getenv(vars[i]);
        if (v && atoi(v) > 1) return atoi(v);
    }
    return 1;
}

double cli_optimizer_mb(const dc_model *m) {
    dc_optimizer *o = dc_optimizer_new(*dc_model_optimizer(m), 0); /* for its number of buffers */
    const int nbuf = o ? dc_optimizer_num_buffers(o) : 0;
    dc_optimizer_free(o);
    return (double)nbuf * (double)dc_model_num_params(m) * sizeof(float) / 1e6;
}

void cli_mpi_rows(int64_t n, int batch, int r, int64_t *r0, int64_t *r1) {
    const int64_t batches = (n + batch - 1) / batch;
    *r0 = batches * r / world * batch;
    *r1 = batches * (r + 1) / world * batch;
    if (*r0 > n) *r0 = n;
    if (*r1 > n) *r1 = n;
}

int cli_mpi_rank(void) { return rank; }
int cli_mpi_world(void) { return world; }
int cli_mpi_threads(void) { return share; }
double cli_mpi_comm_seconds(long *calls) {
    if (calls) *calls = comm_calls;
    return comm_secs;
}

/* FNV-1a over n bytes, continued from h */
static uint64_t fnv(uint64_t h, const void *p, size_t n) {
    for (size_t i = 0; i < n; i++) h = (h ^ ((const unsigned char *)p)[i]) * 1099511628211ull;
    return h;
}

#ifdef DEEPC_HAVE_MPI
/* the overlapped all-reduce's requests (below) */
static int overlap;                  /* cli_mpi_set_overlap */
static int shard_opt;                /* the optimizer sharded: overlapped buckets are reduced onto the slices' owners */
static int64_t overlap_bucket;       /* floats per bucket (bucket_size) */
static MPI_Request *reqs;
static int nreqs, cap_reqs;
static int64_t next_bucket;          /* the next bucket to start this step (-1: all started) */
static int step_started;             /* this step has started buckets (next_bucket is set) */

int cli_mpi_init(int *argc, char ***argv) {
    if (launched_size() <= 1) return 0; /* one process: MPI is not started at all */
    int provided;
    if (MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS) {
        fprintf(stderr, "deepc: MPI_Init failed\n");
        return -1;
    }
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &world);
    /* errors are returned, not fatal: a failed all-reduce stops training with a message */
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    /* ranks on one machine share its cores: each gets its part, unless a
     * thread count is given (DEEPC_NUM_THREADS, OMP_NUM_THREADS, --threads) */
    const char *local = getenv("OMPI_COMM_WORLD_LOCAL_SIZE") ? getenv("OMPI_COMM_WORLD_LOCAL_SIZE") : getenv("MPI_LOCALNRANKS");
    const long cores = sysconf(_SC_NPROCESSORS_ONLN);
    if (local && atoi(local) > 1 && !getenv("DEEPC_NUM_THREADS") && !getenv("OMP_NUM_THREADS"))
        share = cores / atoi(local) > 1 ? (int)(cores / atoi(local)) : 1;
    return 0;
}

void cli_mpi_finalize(void) {
    free(reqs);
    reqs = NULL;
    int on = 0;
    MPI_Initialized(&on);
    if (on) MPI_Finalize();
}

void cli_mpi_abort(int code) {
    int on = 0;
    MPI_Initialized(&on);
    if (on && world > 1) MPI_Abort(MPI_COMM_WORLD, code); /* the other ranks would wait in an all-reduce forever */
}

static int mpi_failed(int rc, const char *what) {
    char msg[MPI_MAX_ERROR_STRING];
    int n = 0;
    MPI_Error_string(rc, msg, &n);
    fprintf(stderr, "deepc: rank %d: %s failed: %.*s\n", rank, what, n, msg);
    return 1;
}

/* The gradients go in buckets of 1 M floats (4 MB): on shared memory one
 * call over GPT-2 small's 124 M floats took 238 ms, 4 MB buckets 76 ms
 * (build/allreduce, bench/RESULTS.md); below 1 M floats it is one call. */
#define ALLREDUCE_BUCKET ((int64_t)1 << 20)

/* after_backward: the ranks' gradients summed in place, then averaged (each
 * rank's loss was scaled to its share, so the mean is the batch's gradient). */
static int average_gradients(dc_model *m, void *user) {
    (void)user;
    const int64_t n = dc_model_num_params(m);
    float *g = dc_model_grads(m);
    const double t0 = MPI_Wtime();
    for (int64_t at = 0; at < n; at += ALLREDUCE_BUCKET) {
        const int k = (int)(n - at < ALLREDUCE_BUCKET ? n - at : ALLREDUCE_BUCKET);
        int rc = MPI_Allreduce(MPI_IN_PLACE, g + at, k, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
        if (rc != MPI_SUCCESS) return mpi_failed(rc, "the gradients' all-reduce");
    }
    comm_secs += MPI_Wtime() - t0; /* (waiting for the slowest rank included) */
    comm_calls++;
    const float inv = 1.0f / (float)world;
    for (int64_t i = 0; i < n; i++) g[i] *= inv;
    return 0;
}

/* Overlapped with the backward pass (PyTorch DDP's way): buckets of the
 * flat buffer, from its end down, each started (MPI_Iallreduce) as soon as
 * the backward has completed it (the grads_ready hook), while the first
 * layers' gradients are still being computed; after_backward starts what
 * is left and waits. Every rank starts the same buckets in the same order
 * (top down), whenever its own backward gets there, as MPI requires. */

/* An eighth of the gradients, between 16 K floats (64 KB: a call's latency
 * is paid per bucket) and ALLREDUCE_BUCKET: the CNN's 225 K parameters go
 * in 8 buckets, not in one that could only start when the backward ends. */
static int64_t bucket_size(int64_t n) {
    int64_t b = n / 8;
    return b < (1 << 14) ? (1 << 14) : b > ALLREDUCE_BUCKET ? ALLREDUCE_BUCKET : b;
}

/* Start the sum of g[at, at + k): all-reduced, or with the optimizer
 * sharded reduced onto the owner of each slice it spans (MPI_Ireduce per
 * owner's piece: the overlapped reduce-scatter). */
static int start_bucket(float *g, int64_t n, int64_t at, int k) {
    if (!shard_opt) return MPI_Iallreduce(MPI_IN_PLACE, g + at, k, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD, &reqs[nreqs++]);
    for (int r = 0; r < world; r++) {
        int64_t lo, hi;
        dc_shard_range(n, r, world, &lo, &hi);
        lo = lo > at ? lo : at, hi = hi < at + k ? hi : at + k;
        if (lo >= hi) continue;
        int rc = MPI_Ireduce(r == rank ? MPI_IN_PLACE : g + lo, g + lo, (int)(hi - lo), MPI_FLOAT, MPI_SUM, r, MPI_COMM_WORLD, &reqs[nreqs++]);
        if (rc != MPI_SUCCESS) return rc;
    }
    return MPI_SUCCESS;
}

/* Start every bucket of g[0..n) that lies in [lo, n) and is not started. */
static int start_buckets(float *g, int64_t n, int64_t lo) {
    if (!overlap_bucket) overlap_bucket = bucket_size(n);
    const int64_t nb = (n + overlap_bucket - 1) / overlap_bucket, most = nb * (shard_opt ? world : 1); /* (a bucket may span every slice) */
    if (!step_started) next_bucket = nb - 1, nreqs = 0, step_started = 1;
    if (most > cap_reqs) {
        MPI_Request *r = realloc(reqs, sizeof *r * (size_t)most);
        if (!r) return fprintf(stderr, "deepc: rank %d: out of memory\n", rank), 1;
        reqs = r, cap_reqs = (int)most;
    }
    for (; next_bucket >= 0 && next_bucket * overlap_bucket >= lo; next_bucket--) {
        const int64_t at = next_bucket * overlap_bucket;
        int rc = start_bucket(g, n, at, (int)(n - at < overlap_bucket ? n - at : overlap_bucket));
        if (rc != MPI_SUCCESS) return mpi_failed(rc, shard_opt ? "starting the gradients' reduce-scatter" : "starting the gradients' all-reduce");
    }
    return 0;
}

static int gradients_ready(dc_model *m, int64_t lo, void *user) {
    (void)user;
    const double t0 = MPI_Wtime();
    int flag, rc = start_buckets(dc_model_grads(m), dc_model_num_params(m), lo);
    /* Open MPI moves nonblocking collectives on only inside MPI calls: each
     * bucket completed is a chance to move the earlier ones on */
    if (!rc && nreqs && (rc = MPI_Testall(nreqs, reqs, &flag, MPI_STATUSES_IGNORE)) != MPI_SUCCESS)
        rc = mpi_failed(rc, "the gradients' all-reduce");
    comm_secs += MPI_Wtime() - t0;
    return rc;
}

/* When overlapped, at the end of the backward: the rest of the buckets
 * started, all waited for; then g[lo, hi) (all of it, or this rank's
 * slice) averaged. */
static int finish_buckets(float *g, int64_t n, int64_t lo, int64_t hi) {
    const double t0 = MPI_Wtime();
    int rc = start_buckets(g, n, 0);
    if (!rc && (rc = MPI_Waitall(nreqs, reqs, MPI_STATUSES_IGNORE)) != MPI_SUCCESS) rc = mpi_failed(rc, "the gradients' sum over the ranks");
    step_started = 0;
    comm_secs += MPI_Wtime() - t0; /* the part the backward did not hide */
    comm_calls++;
    if (rc) return rc;
    const float inv = 1.0f / (float)world;
    for (int64_t i = lo; i < hi; i++) g[i] *= inv;
    return 0;
}

/* after_backward when overlapped. */
static int finish_gradients(dc_model *m, void *user) {
    (void)user;
    return finish_buckets(dc_model_grads(m), dc_model_num_params(m), 0, dc_model_num_params(m));
}

/* reduce_scatter when overlapped (--shard-optimizer --overlap): this
 * rank's slice is complete once every bucket's reduce has finished. */
static int finish_scatter(dc_model *m, float *g, int64_t n, void *user) {
    (void)m, (void)user;
    int64_t lo, hi;
    dc_shard_range(n, rank, world, &lo, &hi);
    return finish_buckets(g, n, lo, hi);
}

void cli_mpi_set_overlap(int on, int shard_optimizer) { overlap = on, shard_opt = shard_optimizer; }

/* ZeRO-1 (--shard-optimizer): op on every bucket of every rank's slice of
 * p[0..n), the slice's owner named; an MPI error stops with `what`. */
static int over_slices(float *p, int64_t n, int (*op)(float *buf, int k, int owner), const char *what) {
    for (int r = 0; r < world; r++) {
        int64_t lo, hi;
        dc_shard_range(n, r, world, &lo, &hi);
        for (int64_t at = lo; at < hi; at += ALLREDUCE_BUCKET) {
            int rc = op(p + at, (int)(hi - at < ALLREDUCE_BUCKET ? hi - at : ALLREDUCE_BUCKET), r);
            if (rc != MPI_SUCCESS) return mpi_failed(rc, what);
        }
    }
    return 0;
}

static int reduce_to_owner(float *buf, int k, int owner) {
    return MPI_Reduce(owner == rank ? MPI_IN_PLACE : buf, buf, k, MPI_FLOAT, MPI_SUM, owner, MPI_COMM_WORLD);
}

static int bcast_from_owner(float *buf, int k, int owner) { return MPI_Bcast(buf, k, MPI_FLOAT, owner, MPI_COMM_WORLD); }

/* reduce_scatter: each rank's slice of the gradients summed onto it
 * (MPI_Reduce to the slice's owner, in buckets), then averaged. In place,
 * with no staging copy: MPI_Reduce_scatter puts the result at the start
 * of the buffer, and a bucketed one would need a buffer of world buckets. */
static int scatter_gradients(dc_model *m, float *g, int64_t n, void *user) {
    (void)m, (void)user;
    const double t0 = MPI_Wtime();
    if (over_slices(g, n, reduce_to_owner, "the gradients' reduce-scatter")) return 1;
    comm_secs += MPI_Wtime() - t0;
    comm_calls++;
    int64_t lo, hi;
    dc_shard_range(n, rank, world, &lo, &hi);
    const float inv = 1.0f / (float)world;
    for (int64_t i = lo; i < hi; i++) g[i] *= inv;
    return 0;
}

/* all_gather: each slice of the stepped parameters from its owner to
 * every rank (MPI_Bcast in buckets). */
static int gather_params(dc_model *m, float *p, int64_t n, void *user) {
    (void)m, (void)user;
    const double t0 = MPI_Wtime();
    if (over_slices(p, n, bcast_from_owner, "the parameters' all-gather")) return 1;
    comm_secs += MPI_Wtime() - t0;
    return 0;
}

/* gather: every rank's slice of an optimizer buffer to rank 0 (to save it),
 * point to point in buckets. */
/* Elements [lo, hi) of a sharded buffer to rank 0 (dc_callbacks.gather_range):
 * each owner of a piece of them sends it, in pieces of at most a bucket;
 * rank 0 copies its own and receives the rest, owner by owner. */
static int gather_range(dc_model *m, const float *slice, float *part, int64_t lo, int64_t hi, int64_t n, void *user) {
    (void)m, (void)user;
    int64_t mine_lo, mine_hi;
    dc_shard_range(n, rank, world, &mine_lo, &mine_hi);
    for (int r = 0; r < world; r++) {
        int64_t a, b;
        dc_shard_range(n, r, world, &a, &b);
        a = a > lo ? a : lo, b = b < hi ? b : hi; /* rank r's piece of [lo, hi) */
        if (a >= b || (rank != 0 && r != rank)) continue;
        if (rank == 0 && r == 0) {
            memcpy(part + (a - lo), slice + (a - mine_lo), sizeof(float) * (size_t)(b - a));
            continue;
        }
        for (int64_t at = a; at < b; at += ALLREDUCE_BUCKET) {
            const int k = (int)(b - at < ALLREDUCE_BUCKET ? b - at : ALLREDUCE_BUCKET);
            int rc = rank == 0 ? MPI_Recv(part + (at - lo), k, MPI_FLOAT, r, 70, MPI_COMM_WORLD, MPI_STATUS_IGNORE)
                               : MPI_Send(slice + (at - mine_lo), k, MPI_FLOAT, 0, 70, MPI_COMM_WORLD);
            if (rc != MPI_SUCCESS) return mpi_failed(rc, rank == 0 ? "receiving the optimizer's slices" : "sending the optimizer's slice");
        }
    }
    return 0;
}

static int sum_stats(dc_model *m, double *values, int n, void *user) {
    (void)m, (void)user;
    int rc = MPI_Allreduce(MPI_IN_PLACE, values, n, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
    return rc == MPI_SUCCESS ? 0 : mpi_failed(rc, "the statistics' all-reduce");
}

int cli_mpi_allgather_rows(float *out, int64_t n, int64_t width, int batch) {
    int *counts = malloc(sizeof(int) * (size_t)world), *displs = malloc(sizeof(int) * (size_t)world);
    int bad = !counts || !displs;
    for (int r = 0; r < world && !bad; r++) {
        int64_t r0, r1;
        cli_mpi_rows(n, batch, r, &r0, &r1);
        bad = r1 * width > INT32_MAX; /* MPI's counts are ints */
        if (!bad) counts[r] = (int)((r1 - r0) * width), displs[r] = (int)(r0 * width);
    }
    int rc = bad ? 1 : 0;
    if (bad) fprintf(stderr, "deepc: rank %d: %lld outputs of %lld values are too many to gather\n", rank, (long long)n, (long long)width);
    else if ((rc = MPI_Allgatherv(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, out, counts, displs, MPI_FLOAT, MPI_COMM_WORLD)) != MPI_SUCCESS)
        rc = mpi_failed(rc, "gathering the outputs");
    free(counts);
    free(displs);
    return rc;
}

int cli_mpi_allgather_counts(int64_t mine, int64_t *all) {
    int rc = MPI_Allgather(&mine, 1, MPI_INT64_T, all, 1, MPI_INT64_T, MPI_COMM_WORLD);
    return rc == MPI_SUCCESS ? 0 : mpi_failed(rc, "gathering the ranks' row counts");
}

int cli_mpi_allgather_bytes(const char *mine, int64_t n, char **all, int64_t *lens) {
    *all = NULL;
    int rc = cli_mpi_allgather_counts(n, lens);
    int *counts = rc ? NULL : malloc(sizeof(int) * (size_t)world), *displs = rc ? NULL : malloc(sizeof(int) * (size_t)world);
    int64_t total = 0;
    for (int r = 0; r < world && counts && displs; r++) total += lens[r];
    char *buf = counts && displs && total <= INT32_MAX ? malloc((size_t)(total ? total : 1)) : NULL;
    if (!rc && !buf) {
        fprintf(stderr, "deepc: rank %d: cannot gather %lld bytes from the ranks (%s)\n", rank, (long long)total,
                total > INT32_MAX ? "over 2 GiB" : "out of memory");
        rc = 1;
    }
    for (int r = 0, at = 0; !rc && r < world; at += counts[r++]) counts[r] = (int)lens[r], displs[r] = at;
    if (!rc && (rc = MPI_Allgatherv(mine, (int)n, MPI_CHAR, buf, counts, displs, MPI_CHAR, MPI_COMM_WORLD)) != MPI_SUCCESS)
        rc = mpi_failed(rc, "gathering the ranks' bytes");
    free(counts);
    free(displs);
    if (rc) free(buf);
    else *all = buf;
    return rc;
}

/* MPI_Alltoallv with 64-bit counts and places (each must fit an int) */
static int alltoallv(const void *send, const int64_t *scount, const int64_t *sdispl, void *recv, const int64_t *rcount, const int64_t *rdispl,
                     MPI_Datatype type, const char *what) {
    int *c = malloc(sizeof(int) * 4 * (size_t)world);
    int rc = c ? 0 : 1;
    for (int r = 0; !rc && r < world; r++) {
        if (sdispl[r] + scount[r] > INT32_MAX || rdispl[r] + rcount[r] > INT32_MAX) rc = 1;
        else c[r] = (int)scount[r], c[world + r] = (int)sdispl[r], c[2 * world + r] = (int)rcount[r], c[3 * world + r] = (int)rdispl[r];
    }
    if (rc) fprintf(stderr, "deepc: rank %d: %s: over 2^31 items (%s)\n", rank, what, c ? "MPI counts are ints" : "out of memory");
    else if ((rc = MPI_Alltoallv(send, c, c + world, type, recv, c + 2 * world, c + 3 * world, type, MPI_COMM_WORLD)) != MPI_SUCCESS)
        rc = mpi_failed(rc, what);
    free(c);
    return rc;
}

int cli_mpi_alltoallv_i32(const int32_t *send, const int64_t *scount, const int64_t *sdispl, int32_t *recv, const int64_t *rcount,
                          const int64_t *rdispl) {
    return alltoallv(send, scount, sdispl, recv, rcount, rdispl, MPI_INT32_T, "exchanging ids with the ranks");
}

int cli_mpi_fnv(uint64_t *h, const void *p, size_t n) {
    int rc = rank > 0 ? MPI_Recv(h, 1, MPI_UINT64_T, rank - 1, 77, MPI_COMM_WORLD, MPI_STATUS_IGNORE) : MPI_SUCCESS;
    if (rc == MPI_SUCCESS) *h = fnv(*h, p, n);
    if (rc == MPI_SUCCESS && rank + 1 < world) rc = MPI_Send(h, 1, MPI_UINT64_T, rank + 1, 77, MPI_COMM_WORLD);
    if (rc == MPI_SUCCESS) rc = MPI_Bcast(h, 1, MPI_UINT64_T, world - 1, MPI_COMM_WORLD);
    return rc == MPI_SUCCESS ? 0 : mpi_failed(rc, "passing a value along the ranks");
}

/* dc_ranks on MPI_COMM_WORLD (cli_mpi_ranks): sums and maxima in chunks
 * of at most 2^30 doubles (MPI's counts are ints) */
static int reduce_doubles(double *v, int64_t n, MPI_Op op, const char *what) {
    for (int64_t at = 0; at < n;) {
        const int k = (int)(n - at < ((int64_t)1 << 30) ? n - at : ((int64_t)1 << 30));
        const int rc = MPI_Allreduce(MPI_IN_PLACE, v + at, k, MPI_DOUBLE, op, MPI_COMM_WORLD);
        if (rc != MPI_SUCCESS) return mpi_failed(rc, what);
        at += k;
    }
    return 0;
}
static int ranks_sum(double *v, int64_t n, void *user) { return (void)user, reduce_doubles(v, n, MPI_SUM, "a sum over the ranks"); }
static int ranks_max(double *v, int64_t n, void *user) { return (void)user, reduce_doubles(v, n, MPI_MAX, "a maximum over the ranks"); }
static int ranks_gather(const void *mine, int64_t n, char **all, int64_t *lens, void *user) {
    (void)user;
    return cli_mpi_allgather_bytes(mine, n, all, lens);
}
static int ranks_trade(const void *send, const int64_t *scount, const int64_t *sdispl, void *recv, const int64_t *rcount, const int64_t *rdispl,
                       void *user) {
    (void)user;
    return alltoallv(send, scount, sdispl, recv, rcount, rdispl, MPI_BYTE, "trading rows' bytes with the ranks");
}

dc_ranks cli_mpi_ranks(void) {
    return (dc_ranks){.rank = rank, .world = world, .sum = ranks_sum, .max = ranks_max, .gather = ranks_gather, .trade = ranks_trade};
}

void cli_mpi_callbacks(dc_callbacks *cb) {
    const char *b = getenv("DEEPC_MPI_BUCKET"); /* floats per overlapped bucket, to try other sizes (tests/mpi.sh: many small ones) */
    if (b && atol(b) > 0) overlap_bucket = atol(b);
    cb->after_backward = overlap ? finish_gradients : average_gradients;
    cb->grads_ready = overlap ? gradients_ready : NULL;
    cb->reduce_stats = sum_stats;
    cb->reduce_scatter = overlap ? finish_scatter : scatter_gradients;
    cb->all_gather = gather_params;
    cb->gather_range = gather_range;
}
#else
int cli_mpi_init(int *argc, char ***argv) {
    (void)argc, (void)argv;
    const int n = launched_size();
    if (n > 1) {
        fprintf(stderr, "deepc: started as one of %d ranks (mpirun), but this deepc was built without MPI: it would train %d "
                        "copies alone. Build with -DDEEPC_MPI=ON (Debian: libopenmpi-dev), or run it without mpirun.\n",
                n, n);
        return -1;
    }
    return 0;
}
void cli_mpi_finalize(void) {}
void cli_mpi_abort(int code) { (void)code; }
void cli_mpi_callbacks(dc_callbacks *cb) { (void)cb; }
void cli_mpi_set_overlap(int on, int shard_optimizer) { (void)on, (void)shard_optimizer; }
int cli_mpi_allgather_rows(float *out, int64_t n, int64_t width, int batch) { (void)out, (void)n, (void)width, (void)batch; return 0; }
int cli_mpi_allgather_counts(int64_t mine, int64_t *all) {
    all[0] = mine;
    return 0;
}
int cli_mpi_allgather_bytes(const char *mine, int64_t n, char **all, int64_t *lens) {
    *all = malloc((size_t)(n ? n : 1));
    if (!*all) return 1;
    if (n) memcpy(*all, mine, (size_t)n);
    lens[0] = n;
    return 0;
}
int cli_mpi_alltoallv_i32(const int32_t *send, const int64_t *scount, const int64_t *sdispl, int32_t *recv, const int64_t *rcount,
                          const int64_t *rdispl) {
    if (scount[0] != rcount[0]) return 1;
    if (scount[0]) memmove(recv + rdispl[0], send + sdispl[0], sizeof(int32_t) * (size_t)scount[0]);
    return 0;
}
int cli_mpi_fnv(uint64_t *h, const void *p, size_t n) {
    *h = fnv(*h, p, n);
    return 0;
}
dc_ranks cli_mpi_ranks(void) { return (dc_ranks){.rank = 0, .world = 1}; }
#endif
