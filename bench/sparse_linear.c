/* sparse_linear.c THREADS [REPS] — does skipping a pruned matrix's zeros
 * pay? The dense product (dc_linear: oneDNN's sgemm) against the sparse
 * one (dc_sparse_linear over dc_csr_from_dense's CSR copy: AVX-512 gathers
 * for one row, a transposed batch otherwise), both as graph ops, on the
 * shapes pruned models run: the Fashion MLP's first layer (784 -> 128) at
 * batch 1 and 256, and a GPT-2 product (768 -> 3072) at batch 1 and 16, at
 * 50, 80, 90 and 95% zeros (unstructured, random positions). Median
 * microseconds of REPS calls (default 400), the two interleaved. The rule
 * src/nn/sparse_set.c follows comes from this table (bench/RESULTS.md). */
#include "bench.h"
#include <deepc.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
    dc_set_num_threads(argc > 1 ? atoi(argv[1]) : 1);
    const int reps = argc > 2 ? atoi(argv[2]) : 400;
    const int64_t shapes[][3] = {{1, 128, 784}, {256, 128, 784}, {1, 3072, 768}, {16, 3072, 768}};
    const double sparsities[] = {0.5, 0.8, 0.9, 0.95};
    printf("threads %d\n\n| M x N x K | zeros | dense (µs) | sparse (µs) | sparse / dense |\n|---|---:|---:|---:|---:|\n", dc_get_num_threads());
    dc_rng r;
    dc_rng_seed(&r, 1);
    double *td = malloc(sizeof(double) * (size_t)reps), *ts = malloc(sizeof(double) * (size_t)reps);
    for (size_t s = 0; s < sizeof shapes / sizeof *shapes; s++) {
        const int64_t M = shapes[s][0], N = shapes[s][1], K = shapes[s][2];
        dc_tensor *w = dc_tensor_new(DC_F32, 2, (int64_t[]){N, K}), *b = dc_tensor_new(DC_F32, 1, (int64_t[]){N});
        for (int64_t i = 0; i < N; i++) b->data[i] = dc_rng_normal(&r);
        dc_graph *g = dc_graph_new();
        dc_graph_set_grad_enabled(g, 0);
        for (size_t q = 0; q < sizeof sparsities / sizeof *sparsities; q++) {
            for (int64_t i = 0; i < w->size; i++) w->data[i] = dc_rng_uniform(&r) < sparsities[q] ? 0.0f : 0.05f * dc_rng_normal(&r);
            dc_tensor *st, *col, *val;
            if (dc_csr_from_dense(w->data, N, K, &st, &col, &val)) return 1;
            double err = 0.0;
            for (int k = -20; k < reps; k++) { /* 20 warm-up calls */
                dc_graph_reset(g);
                dc_tensor *x = dc_input(g, DC_F32, 2, (int64_t[]){M, K});
                for (int64_t i = 0; i < x->size; i++) x->data[i] = (float)((i * 7919) % 1000) / 1000.0f;
                double t0 = bench_now();
                dc_tensor *yd = dc_linear(g, x, w, b);
                double t1 = bench_now();
                dc_tensor *ys = dc_sparse_linear(g, x, st, col, val, b);
                double t2 = bench_now();
                if (!yd || !ys) {
                    fprintf(stderr, "%s\n", dc_last_error());
                    return 1;
                }
                if (k < 0) {
                    for (int64_t i = 0; i < yd->size; i++) err = fmax(err, fabs((double)yd->data[i] - ys->data[i]));
                    continue;
                }
                td[k] = t1 - t0, ts[k] = t2 - t1;
            }
            if (err > 1e-4) fprintf(stderr, "sparse differs from dense by %g\n", err);
            const double a = bench_median(td, reps) * 1e6, c = bench_median(ts, reps) * 1e6;
            printf("| %lld x %lld x %lld | %.0f%% | %.1f | %.1f | %.2f |\n", (long long)M, (long long)N, (long long)K, 100 * sparsities[q], a, c, c / a);
            dc_tensor_free(st), dc_tensor_free(col), dc_tensor_free(val);
        }
        dc_graph_free(g);
        dc_tensor_free(w), dc_tensor_free(b);
    }
    free(td), free(ts);
    return 0;
}
