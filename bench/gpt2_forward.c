/* gpt2_forward.c DESCRIPTION THREADS [RUNS] — the forward pass of GPT-2 small
 * (models/gpt2.dc, random weights) on one sequence of its full context of
 * 1024 tokens, as scoring a document does: the median time of RUNS (default
 * 5) after one warm-up, tokens/s, and the GFLOP/s that makes (the matrix
 * products: 2 x weights x tokens, plus causal attention's 2 x 2 x layers x
 * T^2/2 x width). Prints one JSON line; bench/gpt2_forward.py runs it beside
 * PyTorch and reads the peak memory. */
#include "bench.h"
#include <deepc.h>
#include <stdio.h>
#include <stdlib.h>

static int cmp(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
    if (argc < 3) return 2;
    dc_set_num_threads(atoi(argv[2]));
    int runs = argc > 3 ? atoi(argv[3]) : 5;
    if (runs < 1 || runs > 100) runs = 5;
    dc_model *m = dc_model_parse_file(argv[1]);
    if (!m) {
        fprintf(stderr, "%s\n", dc_last_error());
        return 1;
    }
    int64_t in[8];
    dc_model_input_shape(m, in);
    const int64_t T = in[0];
    dc_graph *g = dc_graph_new();
    dc_graph_set_grad_enabled(g, 0);
    double t[101];
    for (int k = 0; k <= runs; k++) {
        dc_graph_reset(g);
        dc_tensor *x = dc_input(g, DC_I32, 2, (int64_t[]){1, T});
        for (int64_t i = 0; i < T; i++) x->idata[i] = (int32_t)((i * 7919) % 50257);
        double t0 = bench_now();
        if (!dc_model_forward(m, g, x, NULL)) {
            fprintf(stderr, "%s\n", dc_last_error());
            return 1;
        }
        t[k] = bench_now() - t0;
    }
    qsort(t + 1, (size_t)runs, sizeof *t, cmp); /* t[0] was the warm-up */
    double med = t[1 + runs / 2];
    /* weights of the products: 12 blocks of 12 C^2 (c_attn 3, c_proj 1, MLP 8), the tied head V x C */
    const double C = 768, L = 12, V = 50257;
    double flops = 2.0 * (L * 12 * C * C + V * C) * (double)T + 2.0 * 2.0 * L * (double)T * (double)T / 2.0 * C;
    printf("{\"seconds\":%.4f,\"tokens_per_second\":%.1f,\"gflops\":%.1f,\"arena_mb\":%.1f}\n", med, (double)T / med,
           flops / med / 1e9, (double)dc_graph_arena_bytes(g) / 1048576.0);
    dc_graph_free(g);
    dc_model_free(m);
    return 0;
}
