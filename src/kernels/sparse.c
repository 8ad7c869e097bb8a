/* sparse.c — a product with a pruned matrix that skips its zeros:
 * y (M, N) = x (M, K) W^T + b, W (N, K) in CSR form (row starts, column
 * indices, values). Used by inference sessions where bench/sparse_linear.c
 * measured it faster than the dense product (docs/ARCHITECTURE.md).
 *
 * One row of inputs (a token, a request) gathers the inputs each kept value
 * needs; several are transposed first (xt: (K, M)) so that a kept value
 * scales a contiguous run of the batch. The AVX-512 loops and the portable
 * ones give the same bits: a single row sums in 16 lanes (kept value j of a
 * row in lane j % 16, each lane one fused multiply-add per value) reduced
 * in a fixed order; a batch sums each output over its row's kept values in
 * order, one fused multiply-add each. */
#include "kernels.h"
#include "quant.h"
#include <math.h>

/* one row of inputs x, output rows [n0, n1) into y (indexed by n) */
static void row_portable(int64_t n0, int64_t n1, const int32_t *start, const int32_t *col, const float *val, const float *x,
                         const float *b, float *y) {
    for (int64_t n = n0; n < n1; n++) {
        float acc[16] = {0};
        for (int32_t j = start[n]; j < start[n + 1]; j++) acc[(j - start[n]) & 15] = fmaf(val[j], x[col[j]], acc[(j - start[n]) & 15]);
        y[n] = (b ? b[n] : 0.0f) + dc_k_reduce16(acc);
    }
}

/* M rows (transposed: xt (K, M)), output rows [n0, n1) into yt (N, M) */
static void batch_portable(int64_t n0, int64_t n1, int64_t M, const int32_t *start, const int32_t *col, const float *val,
                           const float *xt, const float *b, float *yt) {
    for (int64_t n = n0; n < n1; n++)
        for (int64_t m = 0; m < M; m++) {
            float acc = b ? b[n] : 0.0f;
            for (int32_t j = start[n]; j < start[n + 1]; j++) acc = fmaf(val[j], xt[(int64_t)col[j] * M + m], acc);
            yt[n * M + m] = acc;
        }
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define AVX512 __attribute__((target("avx512f,fma")))

AVX512 static void row_avx512(int64_t n0, int64_t n1, const int32_t *start, const int32_t *col, const float *val, const float *x,
                              const float *b, float *y) {
    for (int64_t n = n0; n < n1; n++) {
        __m512 acc = _mm512_setzero_ps();
        int32_t j = start[n];
        const int32_t e = start[n + 1];
        for (; j + 16 <= e; j += 16)
            acc = _mm512_fmadd_ps(_mm512_loadu_ps(val + j), _mm512_i32gather_ps(_mm512_loadu_si512(col + j), x, 4), acc);
        if (j < e) { /* the last few in lanes 0.. (the others untouched) */
            const __mmask16 k = (__mmask16)((1u << (e - j)) - 1);
            const __m512i c = _mm512_maskz_loadu_epi32(k, col + j);
            acc = _mm512_mask3_fmadd_ps(_mm512_maskz_loadu_ps(k, val + j), _mm512_mask_i32gather_ps(_mm512_setzero_ps(), k, c, x, 4), acc, k);
        }
        float a[16];
        _mm512_storeu_ps(a, acc);
        y[n] = (b ? b[n] : 0.0f) + dc_k_reduce16(a);
    }
}

AVX512 static void batch_avx512(int64_t n0, int64_t n1, int64_t M, const int32_t *start, const int32_t *col, const float *val,
                                const float *xt, const float *b, float *yt) {
    for (int64_t n = n0; n < n1; n++) {
        float *o = yt + n * M;
        const float bn = b ? b[n] : 0.0f;
        int64_t m = 0;
        for (; m + 64 <= M; m += 64) { /* 64 outputs in 4 registers across the row's kept values */
            __m512 a0 = _mm512_set1_ps(bn), a1 = a0, a2 = a0, a3 = a0;
            for (int32_t j = start[n]; j < start[n + 1]; j++) {
                const __m512 v = _mm512_set1_ps(val[j]);
                const float *xr = xt + (int64_t)col[j] * M + m;
                a0 = _mm512_fmadd_ps(v, _mm512_loadu_ps(xr), a0);
                a1 = _mm512_fmadd_ps(v, _mm512_loadu_ps(xr + 16), a1);
                a2 = _mm512_fmadd_ps(v, _mm512_loadu_ps(xr + 32), a2);
                a3 = _mm512_fmadd_ps(v, _mm512_loadu_ps(xr + 48), a3);
            }
            _mm512_storeu_ps(o + m, a0), _mm512_storeu_ps(o + m + 16, a1);
            _mm512_storeu_ps(o + m + 32, a2), _mm512_storeu_ps(o + m + 48, a3);
        }
        for (; m < M; m += 16) {
            const __mmask16 k = M - m >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << (M - m)) - 1);
            __m512 a = _mm512_set1_ps(bn);
            for (int32_t j = start[n]; j < start[n + 1]; j++)
                a = _mm512_fmadd_ps(_mm512_set1_ps(val[j]), _mm512_maskz_loadu_ps(k, xt + (int64_t)col[j] * M + m), a);
            _mm512_mask_storeu_ps(o + m, k, a);
        }
    }
}
#define HAVE_AVX512 1
#endif

void dc_k_csr_linear(int64_t M, int64_t N, int64_t K, const int32_t *start, const int32_t *col, const float *val, const float *x,
                     const float *b, float *y, float *scratch) {
#ifdef HAVE_AVX512
    const int fast = dc_k_quant_fast();
#else
    const int fast = 0;
#endif
    const int nt = dc_k_run_threads_for((int)(N / 32 > 0 ? N / 32 : 1));
    if (M == 1) {
#pragma omp parallel for num_threads(nt) if (nt > 1 && start[N] > 16384) schedule(static)
        for (int64_t t = 0; t < nt; t++) {
            const int64_t n0 = N * t / nt, n1 = N * (t + 1) / nt;
#ifdef HAVE_AVX512
            if (fast) row_avx512(n0, n1, start, col, val, x, b, y);
            else
#endif
                row_portable(n0, n1, start, col, val, x, b, y);
        }
        return;
    }
    float *xt = scratch, *yt = scratch + M * K; /* (K, M) and (N, M) */
    dc_k_transpose(x, M, K, xt);
#pragma omp parallel for num_threads(nt) if (nt > 1 && start[N] * M > 65536) schedule(static)
    for (int64_t t = 0; t < nt; t++) {
        const int64_t n0 = N * t / nt, n1 = N * (t + 1) / nt;
#ifdef HAVE_AVX512
        if (fast) batch_avx512(n0, n1, M, start, col, val, xt, b, yt);
        else
#endif
            batch_portable(n0, n1, M, start, col, val, xt, b, yt);
    }
    dc_k_transpose(yt, N, M, y);
    (void)fast;
}
