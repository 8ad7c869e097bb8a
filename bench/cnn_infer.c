/* cnn_infer.c MODEL THREADS — inference timing of a saved model: median
 * latency of batch-1 forward passes and throughput of batch-256 passes.
 * Prints one JSON line. bench/cnn.py runs it beside PyTorch. */
#include "bench.h"
#include <deepc.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>


static double run(dc_model *m, dc_graph *g, int batch, int reps) {
    int64_t s[DC_MAX_DIMS + 1];
    int nd = dc_model_input_shape(m, s + 1);
    s[0] = batch;
    double *t = malloc(sizeof(double) * (size_t)reps);
    dc_rng r;
    dc_rng_seed(&r, 1);
    for (int k = 0; k < reps; k++) {
        dc_graph_reset(g);
        dc_tensor *x = dc_input(g, DC_F32, nd + 1, s);
        for (int64_t i = 0; i < x->size; i++) x->data[i] = dc_rng_uniform(&r);
        double t0 = bench_now();
        if (!dc_model_forward(m, g, x, NULL)) {
            fprintf(stderr, "%s\n", dc_last_error());
            exit(1);
        }
        t[k] = bench_now() - t0;
    }
    double med = bench_median(t, reps);
    free(t);
    return med;
}

int main(int argc, char **argv) {
    if (argc < 2) return 2;
    dc_set_num_threads(argc > 2 ? atoi(argv[2]) : 0);
    dc_model *m = dc_model_load(argv[1]);
    if (!m) {
        fprintf(stderr, "%s\n", dc_last_error());
        return 1;
    }
    dc_graph *g = dc_graph_new();
    dc_graph_set_grad_enabled(g, 0);
    run(m, g, 1, 20); /* warm up: the arena grows to size */
    /* CNN_INFER_REPS=N: only N batch-1 passes (for profiling the latency path) */
    const char *reps = getenv("CNN_INFER_REPS");
    double lat = run(m, g, 1, reps ? atoi(reps) : 300), big = 1.0;
    if (!reps) {
        run(m, g, 256, 3);
        big = run(m, g, 256, 15);
    }
    printf("{\"threads\":%d,\"latency_ms\":%.4f,\"throughput\":%.1f}\n", dc_get_num_threads(), lat * 1e3, 256.0 / big);
    dc_graph_free(g);
    dc_model_free(m);
    return 0;
}
