/* sparse_linear.c THREADS — does skipping a pruned matrix's zeros pay?
 * deepc's dense float product (a one-layer model's session: what a pruned
 * model runs today) against two sparse kernels written here, one thread,
 * on the shapes pruned models run: the Fashion MLP's first layer
 * (784 -> 128) at batch 1 and 256, and a GPT-2 product (768 -> 3072) at
 * batch 1, at 50, 80, 90 and 95% zeros (unstructured, random positions):
 *   - CSR: per output row, its kept values and their columns (int32), a
 *     gathered dot product; at batch M the input is transposed first so
 *     each kept value scales a row of M inputs (vectorised over the batch);
 *   - the dense kernel on the same matrix, zeros and all.
 * Median microseconds of 300 calls. Results and the decision: bench/RESULTS.md. */
#include "bench.h"
#include <deepc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <immintrin.h>

typedef struct {
    int64_t rows, nnz;
    int64_t *start; /* rows + 1 */
    int32_t *col;
    float *val;
} csr;

static csr to_csr(const float *w, int64_t N, int64_t K) {
    csr c = {N, 0, malloc(sizeof(int64_t) * (size_t)(N + 1)), NULL, NULL};
    for (int64_t i = 0; i < N * K; i++) c.nnz += w[i] != 0.0f;
    c.col = malloc(sizeof(int32_t) * (size_t)(c.nnz + 1));
    c.val = malloc(sizeof(float) * (size_t)(c.nnz + 1));
    int64_t k = 0;
    for (int64_t n = 0; n < N; n++) {
        c.start[n] = k;
        for (int64_t j = 0; j < K; j++)
            if (w[n * K + j] != 0.0f) c.col[k] = (int32_t)j, c.val[k++] = w[n * K + j];
    }
    c.start[N] = k;
    return c;
}

/* y (M, N) = x (M, K) W^T + b, in AVX-512 intrinsics (gathers of 16 at
 * batch 1; at M > 1 each kept value scales 16 inputs of the transposed
 * batch at a time): the best case for the sparse side. */
__attribute__((target("avx512f"))) static void csr_linear(const csr *c, const float *x, int64_t M, int64_t K, const float *b, float *y,
                                                          float *xt, float *yt) {
    if (M == 1) {
        for (int64_t n = 0; n < c->rows; n++) {
            int64_t j = c->start[n];
            const int64_t e = c->start[n + 1];
            __m512 acc = _mm512_setzero_ps();
            for (; j + 16 <= e; j += 16)
                acc = _mm512_fmadd_ps(_mm512_loadu_ps(c->val + j), _mm512_i32gather_ps(_mm512_loadu_si512(c->col + j), x, 4), acc);
            float s = b[n] + _mm512_reduce_add_ps(acc);
            for (; j < e; j++) s += c->val[j] * x[c->col[j]];
            y[n] = s;
        }
        return;
    }
    for (int64_t m = 0; m < M; m++) /* x^T: each input column a contiguous row of M */
        for (int64_t k = 0; k < K; k++) xt[k * M + m] = x[m * K + k];
    for (int64_t n = 0; n < c->rows; n++) {
        float *o = yt + n * M;
        int64_t m = 0;
        for (; m + 128 <= M; m += 128) { /* 128 outputs in 8 registers across the row's kept values */
            __m512 a[8];
            for (int t = 0; t < 8; t++) a[t] = _mm512_set1_ps(b[n]);
            for (int64_t j = c->start[n]; j < c->start[n + 1]; j++) {
                const __m512 v = _mm512_set1_ps(c->val[j]);
                const float *xr = xt + (int64_t)c->col[j] * M + m;
                for (int t = 0; t < 8; t++) a[t] = _mm512_fmadd_ps(v, _mm512_loadu_ps(xr + 16 * t), a[t]);
            }
            for (int t = 0; t < 8; t++) _mm512_storeu_ps(o + m + 16 * t, a[t]);
        }
        for (; m < M; m++) {
            float acc = b[n];
            for (int64_t j = c->start[n]; j < c->start[n + 1]; j++) acc += c->val[j] * xt[(int64_t)c->col[j] * M + m];
            o[m] = acc;
        }
    }
    for (int64_t n = 0; n < c->rows; n++)
        for (int64_t m = 0; m < M; m++) y[m * c->rows + n] = yt[n * M + m];
}

int main(int argc, char **argv) {
    dc_set_num_threads(argc > 1 ? atoi(argv[1]) : 1);
    const int64_t shapes[][3] = {{1, 128, 784}, {256, 128, 784}, {1, 3072, 768}};
    const double sparsities[] = {0.5, 0.8, 0.9, 0.95};
    printf("| M x N x K | zeros | dense (µs) | CSR (µs) | CSR / dense |\n|---|---:|---:|---:|---:|\n");
    dc_rng r;
    dc_rng_seed(&r, 1);
    for (size_t s = 0; s < sizeof shapes / sizeof *shapes; s++) {
        const int64_t M = shapes[s][0], N = shapes[s][1], K = shapes[s][2];
        char desc[128];
        snprintf(desc, sizeof desc, "input %lld\ndense %lld\n", (long long)K, (long long)N);
        float *x = malloc(sizeof(float) * (size_t)(M * K)), *y = malloc(sizeof(float) * (size_t)(M * N)),
              *y2 = malloc(sizeof(float) * (size_t)(M * N)), *xt = malloc(sizeof(float) * (size_t)(M * K)),
              *yt = malloc(sizeof(float) * (size_t)(M * N));
        for (int64_t i = 0; i < M * K; i++) x[i] = dc_rng_uniform(&r);
        for (size_t q = 0; q < sizeof sparsities / sizeof *sparsities; q++) {
            dc_model *m = dc_model_parse(desc, "bench");
            if (!m || (!dc_model_num_params(m) && dc_model_build(m, 1))) {
                fprintf(stderr, "%s\n", dc_last_error());
                return 1;
            }
            dc_layer *l = dc_model_find_layer(m, "dense");
            dc_tensor *w = dc_layer_param(l, "weight"), *b = dc_layer_param(l, "bias");
            for (int64_t i = 0; i < w->size; i++)
                if (dc_rng_uniform(&r) < sparsities[q]) w->data[i] = 0.0f;
            dc_session *ses = dc_session_new(m, M);
            csr c = to_csr(w->data, N, K);
            double td[300], tc[300];
            for (int k = 0; k < 300; k++) {
                double t0 = bench_now();
                dc_session_predict(ses, x, M, y);
                double t1 = bench_now();
                csr_linear(&c, x, M, K, b->data, y2, xt, yt);
                tc[k] = bench_now() - t1;
                td[k] = t1 - t0;
            }
            double err = 0.0;
            for (int64_t i = 0; i < M * N; i++) err = err > fabsf(y[i] - y2[i]) ? err : fabsf(y[i] - y2[i]);
            if (err > 1e-3) fprintf(stderr, "CSR differs by %g\n", err);
            const double a = bench_median(td, 300) * 1e6, bb = bench_median(tc, 300) * 1e6;
            printf("| %lld x %lld x %lld | %.0f%% | %.1f | %.1f | %.2f |\n", (long long)M, (long long)N, (long long)K, 100 * sparsities[q], a, bb,
                   bb / a);
            free(c.start), free(c.col), free(c.val);
            dc_session_free(ses);
            dc_model_free(m);
        }
        free(x), free(y), free(y2), free(xt), free(yt);
    }
    return 0;
}
