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
/* Set the hooks of a data-parallel fit: the gradients' average and the
 * epoch statistics' sum over the ranks (MPI_Allreduce). */
void cli_mpi_callbacks(dc_callbacks *cb);
/* Seconds this rank spent in the gradients' all-reduce (waiting for the
 * slowest rank included), and in how many calls (*calls may be NULL). */
double cli_mpi_comm_seconds(long *calls);
/* A rank that fails alone takes the others down (they would wait). */
void cli_mpi_abort(int code);
void cli_mpi_finalize(void);
#endif
