/* cli_mpi.h — data-parallel training under mpirun (cli_mpi.c). */
#ifndef DC_CLI_MPI_H
#define DC_CLI_MPI_H
#include <deepc.h>

/* Start MPI when the process is one of several ranks (mpirun); a build
 * without MPI refuses then. 0, or -1 (message printed). */
int cli_mpi_init(int *argc, char ***argv);
int cli_mpi_rank(void);  /* 0 in one process */
int cli_mpi_world(void); /* 1 in one process */
/* Threads for each of several ranks on one machine (its cores shared out),
 * or 0 (one process, or a count given by DEEPC_NUM_THREADS/OMP_NUM_THREADS). */
int cli_mpi_threads(void);
/* The gradients' all-reduce (or, with the optimizer sharded, their
 * reduce-scatter) overlapped with the backward pass (on 1), or after it
 * (0, the default: on shared memory overlap measured no faster,
 * bench/mpi_overlap.sh); before cli_mpi_callbacks. */
void cli_mpi_set_overlap(int on, int shard_optimizer);
/* Set the hooks of a data-parallel fit: the gradients' average and the
 * epoch statistics' sum over the ranks (MPI_Allreduce), and the sharded
 * optimizer's reduce-scatter, all-gather and gather (--shard-optimizer). */
void cli_mpi_callbacks(dc_callbacks *cb);
/* Seconds this rank spent in the gradients' all-reduce (waiting for the
 * slowest rank included), and in how many calls (*calls may be NULL). */
double cli_mpi_comm_seconds(long *calls);
/* Evaluation on ranks: rank r's rows [*r0, *r1) of n, whole batches of
 * `batch` (so each batch is the one a single process runs); and the
 * ranks' rows of an output matrix (n rows of width floats, each rank's own
 * filled in) gathered on every rank: 0, or non-zero with a message. (The
 * loss and accuracy: dc_epoch_stats_reduce with cli_mpi_callbacks.) */
void cli_mpi_rows(int64_t n, int batch, int r, int64_t *r0, int64_t *r1);
int cli_mpi_allgather_rows(float *out, int64_t n, int64_t width, int batch);
/* Each rank's count (mine on this rank) in all[0..world): 0, or non-zero
 * with a message. */
int cli_mpi_allgather_counts(int64_t mine, int64_t *all);
/* Each rank's n bytes from mine, gathered on every rank: *all (malloc'ed)
 * holds rank 0's, then rank 1's, ...; lens[r] rank r's count. 0, or
 * non-zero with a message. */
int cli_mpi_allgather_bytes(const char *mine, int64_t n, char **all, int64_t *lens);
/* Every rank sends scount[d] ids from send + sdispl[d] to each rank d, and
 * receives rcount[s] ids from each rank s at recv + rdispl[s]
 * (MPI_Alltoallv). 0, or non-zero with a message. */
int cli_mpi_alltoallv_i32(const int32_t *send, const int64_t *scount, const int64_t *sdispl, int32_t *recv, const int64_t *rcount,
                          const int64_t *rdispl);
/* FNV-1a (dc_dataset_fingerprint's hash) over data each rank holds a part
 * of, in rank order: rank 0 hashes its n bytes at p from *h, passes the
 * hash to rank 1, which goes on over its own, ...; every rank gets the
 * last rank's hash in *h. 0, or non-zero with a message. */
int cli_mpi_fnv(uint64_t *h, const void *p, size_t n);
/* The ranks' collective operations for a data set read in parts
 * (dc_csv_load_part), on MPI. */
dc_ranks cli_mpi_ranks(void);
/* Megabytes of the optimizer's state (its moments) for the whole model. */
double cli_optimizer_mb(const dc_model *m);
/* A rank that fails alone takes the others down (they would wait). */
void cli_mpi_abort(int code);
void cli_mpi_finalize(void);
#endif
