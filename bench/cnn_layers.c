/* cnn_layers.c THREADS [conv2] — where the Fashion CNN's batch-1 time goes,
 * float and int8 (dc_model_quantize in memory, random weights): the
 * session latency (median of 3000 calls, µs) of the network cut after each
 * of its layers, so each line's growth is that layer's cost. With a second
 * argument, its second convolution alone (32x13x13 -> 64 filters), 5 times.
 * Results: bench/RESULTS.md ("The CNN at batch 1"). */
#include "bench.h"
#include <deepc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static double latency(dc_model *m, const float *x) {
    dc_session *s = dc_session_new(m, 1);
    static float y[100000];
    static double t[3000];
    for (int k = 0; k < 3000; k++) {
        double a = bench_now();
        dc_session_predict(s, x, 1, y);
        t[k] = bench_now() - a;
    }
    dc_session_free(s);
    return bench_median(t, 3000) * 1e6;
}

int main(int argc, char **argv) {
    dc_set_num_threads(argc > 1 ? atoi(argv[1]) : 1);
    static float x[32 * 13 * 13];
    for (int i = 0; i < 32 * 13 * 13; i++) x[i] = (float)(i % 17) / 17.0f;
    if (argc > 2) {
        dc_model *m = dc_model_parse("input 32x13x13\nconv2d 64 kernel=3 activation=relu\n", "conv2");
        dc_model *q = m ? dc_model_quantize(m, 8, NULL) : NULL;
        if (!q) return 1;
        for (int r = 0; r < 5; r++) printf("second convolution alone: float %.1f µs, int8 %.1f µs\n", latency(m, x), latency(q, x));
        dc_model_free(m), dc_model_free(q);
        return 0;
    }
    const char *lines[] = {"conv2d 32 kernel=3 activation=relu", "maxpool2d 2", "conv2d 64 kernel=3 activation=relu", "maxpool2d 2",
                           "flatten", "dense 128 activation=relu", "dense 10 activation=softmax"};
    char desc[1024] = "input 1x28x28\n";
    printf("| up to | float (µs) | int8 (µs) |\n|---|---:|---:|\n");
    for (int i = 0; i < 7; i++) {
        strcat(desc, lines[i]);
        strcat(desc, "\n");
        dc_model *m = dc_model_parse(desc, "cnn");
        dc_model *q = m ? dc_model_quantize(m, 8, NULL) : NULL;
        if (!q) return 1;
        printf("| %s | %.1f | %.1f |\n", lines[i], latency(m, x), latency(q, x));
        dc_model_free(m), dc_model_free(q);
    }
    return 0;
}
