/* quant_infer.c MODEL THREADS [REPS] — inference speed of a model and of its
 * int8 and 4-bit copies (dc_model_quantize, made in memory): batch-1
 * latency (one dc_session reused, median microseconds over REPS calls,
 * default 2000) and batch-256 throughput (samples/s, median of 15 calls).
 * Inputs are the model's shape: floats in [0, 1), or token ids below 1000
 * for a text model. Prints one JSON line per variant; bench/quant.py runs it
 * beside PyTorch's float and quantize_dynamic models. */
#include "bench.h"
#include <deepc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static double timed(dc_session *s, const void *x, int64_t n, float *y, int reps) {
    double *t = malloc(sizeof(double) * (size_t)reps);
    for (int k = 0; k < reps; k++) {
        double a = bench_now();
        if (dc_session_predict(s, x, n, y)) {
            fprintf(stderr, "%s\n", dc_last_error());
            exit(1);
        }
        t[k] = bench_now() - a;
    }
    double med = bench_median(t, reps);
    free(t);
    return med;
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: quant_infer MODEL THREADS [REPS]\n");
        return 2;
    }
    dc_set_num_threads(atoi(argv[2]));
    const int reps = argc > 3 ? atoi(argv[3]) : 2000;
    dc_model *m = dc_model_load(argv[1]);
    if (!m) {
        fprintf(stderr, "%s\n", dc_last_error());
        return 1;
    }
    for (int bits = 0; bits <= 8; bits += 4) {
        const int b = bits == 0 ? 0 : bits == 4 ? 8 : 4; /* float, int8, 4-bit */
        dc_model *q = b ? dc_model_quantize(m, b, NULL) : m;
        if (!q) {
            fprintf(stderr, "%s\n", dc_last_error());
            return 1;
        }
        enum { B = 256 };
        dc_session *s = dc_session_new(q, B);
        const int64_t in = dc_session_input_size(s, 0), out = dc_session_output_size(s, 0);
        const int ids = dc_session_input_dtype(s, 0) == DC_I32;
        void *x = malloc(4 * (size_t)(in * B));
        float *y = malloc(sizeof(float) * (size_t)(out * B));
        for (int64_t i = 0; i < in * B; i++) {
            if (ids) ((int32_t *)x)[i] = 1 + (int32_t)((i * 7919) % 999);
            else ((float *)x)[i] = (float)((i * 7919) % 1000) / 1000.0f;
        }
        timed(s, x, 1, y, 20); /* warm-up */
        const double lat = timed(s, x, 1, y, reps);
        const double thr = B / timed(s, x, B, y, 15);
        const double bytes = (double)dc_model_bytes(q);
        printf("{\"weights\":\"%s\",\"threads\":%s,\"batch1_us\":%.1f,\"batch256_per_s\":%.0f,\"weight_kb\":%.1f}\n",
               b == 8 ? "int8" : b == 4 ? "q4" : "float", argv[2], lat * 1e6, thr, bytes / 1024.0);
        fflush(stdout);
        free(x), free(y);
        dc_session_free(s);
        if (q != m) dc_model_free(q);
    }
    dc_model_free(m);
    return 0;
}
