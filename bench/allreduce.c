/* allreduce.c [REPS] — MPI_Allreduce (sum, float, in place) on buffers the
 * size of deepc's models' gradients, and the same buffer all-reduced in
 * buckets of 1 M floats (4 MB; PyTorch DDP's default is 25 MB), as
 * `mpirun -np N build/allreduce` (bench/mpi.sh's "communication" part):
 * the median time per call on rank 0 and the bandwidth it implies by the
 * ring formula (2 (N-1)/N x bytes per rank). */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>

static int cmp(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median_time(float *buf, long n, long bucket, int reps) {
    double *t = malloc(sizeof(double) * (size_t)reps);
    for (int r = 0; r < reps; r++) {
        MPI_Barrier(MPI_COMM_WORLD);
        double t0 = MPI_Wtime();
        for (long at = 0; at < n; at += bucket)
            MPI_Allreduce(MPI_IN_PLACE, buf + at, (int)(n - at < bucket ? n - at : bucket), MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
        t[r] = MPI_Wtime() - t0;
    }
    qsort(t, (size_t)reps, sizeof *t, cmp);
    double m = t[reps / 2];
    free(t);
    return m;
}

int main(int argc, char **argv) {
    MPI_Init(&argc, &argv);
    int rank, world;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &world);
    const int reps = argc > 1 ? atoi(argv[1]) : 21;
    const struct {
        const char *name;
        long n;
    } sizes[] = {{"Fashion MLP", 101770}, {"Fashion CNN", 225034}, {"spam LSTM", 403073}, {"char GPT", 826112}, {"GPT-2 small", 124439808}};
    if (!rank) printf("| gradients of | floats | one call | in 4 MB buckets | bus bandwidth (one call) |\n|---|---:|---:|---:|---:|\n");
    for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
        const long n = sizes[i].n;
        float *buf = calloc((size_t)n, sizeof(float));
        const int r = n > 10000000 ? 5 : reps;
        const double one = median_time(buf, n, n, r), bucketed = median_time(buf, n, 1 << 20, r);
        if (!rank)
            printf("| %s | %ld | %.3f ms | %.3f ms | %.1f GB/s |\n", sizes[i].name, n, 1e3 * one, 1e3 * bucketed,
                   2.0 * (world - 1) / world * (double)n * 4 / one / 1e9);
        free(buf);
    }
    MPI_Finalize();
    return 0;
}
