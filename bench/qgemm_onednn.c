/* qgemm_onednn.c THREADS — deepc's int8 product (dc_qlinear's kernel,
 * through a one-layer int8 model's session) against oneDNN's
 * dnnl_gemm_u8s8s32 (row-major, B transposed: the weights as stored, int32
 * results; quantizing the activations and scaling the sums are left out of
 * oneDNN's side, which flatters it), on GPT-2's shapes at batch 1 (a
 * generated token) and 16 (a prompt) and the Fashion MLP's at 256. Median
 * microseconds of 200 calls each. The choice of issue 17: docs/ARCHITECTURE.md. */
#include "bench.h"
#include <deepc.h>
#include <oneapi/dnnl/dnnl.h>
#include <stdio.h>
#include <string.h>

static double median_us(double *t, int n) { return bench_median(t, n) * 1e6; }

int main(int argc, char **argv) {
    dc_set_num_threads(argc > 1 ? atoi(argv[1]) : 1);
    const int64_t shapes[][3] = {{1, 2304, 768}, {1, 3072, 768}, {1, 768, 3072}, {16, 2304, 768}, {256, 128, 784}};
    printf("| M x N x K | deepc int8 (µs) | oneDNN u8s8s32 (µs) | deepc / oneDNN |\n|---|---:|---:|---:|\n");
    for (size_t s = 0; s < sizeof shapes / sizeof *shapes; s++) {
        const int64_t M = shapes[s][0], N = shapes[s][1], K = shapes[s][2];
        char desc[128];
        snprintf(desc, sizeof desc, "input %lld\ndense %lld weights=i8\n", (long long)K, (long long)N);
        dc_model *m = dc_model_parse(desc, "bench");
        dc_session *ses = m ? dc_session_new(m, M) : NULL;
        if (!ses) {
            fprintf(stderr, "%s\n", dc_last_error());
            return 1;
        }
        float *x = malloc(sizeof(float) * (size_t)(M * K)), *y = malloc(sizeof(float) * (size_t)(M * N));
        uint8_t *a = malloc((size_t)(M * K));
        int8_t *b = malloc((size_t)(N * K));
        int32_t *c = malloc(sizeof(int32_t) * (size_t)(M * N)), co = 0;
        for (int64_t i = 0; i < M * K; i++) x[i] = (float)(i % 17) / 17.0f, a[i] = (uint8_t)(i % 251);
        for (int64_t i = 0; i < N * K; i++) b[i] = (int8_t)(i % 255 - 127);
        double td[200], to[200];
        for (int r = 0; r < 220; r++) {
            double t0 = bench_now();
            dc_session_predict(ses, x, M, y);
            double t1 = bench_now();
            dnnl_gemm_u8s8s32('N', 'T', 'F', M, N, K, 1.0f, a, K, 0, b, K, 0, 0.0f, c, N, &co);
            double t2 = bench_now();
            if (r >= 20) td[r - 20] = t1 - t0, to[r - 20] = t2 - t1;
        }
        const double d = median_us(td, 200), o = median_us(to, 200);
        printf("| %lld x %lld x %lld | %.1f | %.1f | %.2f |\n", (long long)M, (long long)N, (long long)K, d, o, d / o);
        free(x), free(y), free(a), free(b), free(c);
        dc_session_free(ses);
        dc_model_free(m);
    }
    return 0;
}
