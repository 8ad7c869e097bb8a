/* kernels.c — GEMM through oneDNN, and the few loops the ops need
 * in more than one place. */
#include "kernels.h"
#include <oneapi/dnnl/dnnl.h>
#include <math.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

/* One product on the calling thread. oneDNN's sgemm, not OpenBLAS's: it
 * JIT-compiles for the CPU it runs on, where OpenBLAS 0.3.21 (Debian 12)
 * falls back to AVX2 kernels on AVX-512 AMD cores. Measured here (Zen 5,
 * bench/RESULTS.md): an LSTM training step 1.7x, the Fashion CNN's 1.3x
 * faster; the 64-row products of an MLP step a little. oneDNN would spread
 * a product over every OpenMP thread: dc_k_gemm splits products itself, so
 * each call here asks for one. */
static void gemm1(int ta, int tb, int64_t M, int64_t N, int64_t K, float alpha, const float *A, int64_t lda,
                  const float *B, int64_t ldb, float beta, float *C, int64_t ldc) {
#ifdef _OPENMP
    int save = omp_get_max_threads();
    omp_set_num_threads(1);
#endif
    dnnl_sgemm(ta ? 'T' : 'N', tb ? 'T' : 'N', M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
#ifdef _OPENMP
    omp_set_num_threads(save);
#endif
}

static void gemm_fast(int ta, int tb, int64_t M, int64_t N, int64_t K, float alpha, const float *A, int64_t lda, const float *B,
                      int64_t ldb, float beta, float *C, int64_t ldc);

#ifdef DC_CHECK_KERNELS
/* Debug builds: every small product is computed again by the reference
 * kernel (ref.c) and compared; a difference beyond rounding aborts with
 * the shapes, so a broken fast path shows up in any test that uses it. */
#include <stdio.h>
#include <stdlib.h>
void dc_k_gemm(int ta, int tb, int64_t M, int64_t N, int64_t K, float alpha, const float *A, int64_t lda, const float *B, int64_t ldb,
               float beta, float *C, int64_t ldc) {
    const int check = (double)M * (double)N * (double)K <= 65536.0 && M > 0 && N > 0;
    float *ref = check ? malloc(sizeof(float) * (size_t)(M * N)) : NULL;
    for (int64_t i = 0; ref && i < M; i++)
        for (int64_t j = 0; j < N; j++) ref[i * N + j] = C[i * ldc + j];
    if (ref) dc_ref_gemm(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, ref, N);
    gemm_fast(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
    for (int64_t i = 0; ref && i < M; i++)
        for (int64_t j = 0; j < N; j++) {
            const float r = ref[i * N + j], c = C[i * ldc + j];
            if (fabsf(r - c) <= 1e-5f * (1.0f + fabsf(r)) || (isnan(r) && isnan(c))) continue;
            double sabs = 0.0; /* rounding grows with the terms, not with their (cancelling) sum */
            for (int64_t k = 0; k < K; k++)
                sabs += fabs((double)(ta ? A[k * lda + i] : A[i * lda + k]) * (tb ? B[j * ldb + k] : B[k * ldb + j]));
            if (fabsf(r - c) > (float)(4.0 * (double)K * 1.2e-7 * fabs((double)alpha) * sabs) + 1e-5f * (1.0f + fabsf(r))) {
                fprintf(stderr, "dc_k_gemm: (%lld x %lld x %lld, ta %d tb %d) differs from the reference at (%lld, %lld): %g vs %g\n",
                        (long long)M, (long long)N, (long long)K, ta, tb, (long long)i, (long long)j, c, r);
                abort();
            }
        }
    free(ref);
}
#else
void dc_k_gemm(int ta, int tb, int64_t M, int64_t N, int64_t K, float alpha, const float *A, int64_t lda, const float *B, int64_t ldb,
               float beta, float *C, int64_t ldc) {
    gemm_fast(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}
#endif

static void gemm_fast(int ta, int tb, int64_t M, int64_t N, int64_t K, float alpha, const float *A,
                      int64_t lda, const float *B, int64_t ldb, float beta, float *C, int64_t ldc) {
    if (M == 0 || N == 0) return;
    if (K == 0) { /* BLAS may skip the beta scaling in this case */
        for (int64_t i = 0; i < M; i++)
            for (int64_t j = 0; j < N; j++) C[i * ldc + j] = beta == 0.0f ? 0.0f : beta * C[i * ldc + j];
        return;
    }
    int nt = dc_k_threads();
#ifdef _OPENMP
    if (omp_in_parallel()) nt = 1;
#endif
    /* Small products run on one thread: splitting costs more than it saves. */
    if (nt < 2 || (double)M * (double)N * (double)K < DC_GEMM_PAR_MIN) {
        gemm1(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
        return;
    }
    /* Split the larger output dimension into one block per thread; each
     * block is a single-threaded BLAS call on its own part of C. Our
     * OpenMP pool wakes faster than OpenBLAS's for the small matrices of a
     * training step, and the two pools never run at once. */
    int splitM = M >= N;
    int64_t ext = splitM ? M : N;
    int64_t blk = (ext + nt - 1) / nt;
    blk = (blk + 15) / 16 * 16;
#pragma omp parallel for num_threads(dc_k_run_threads_for(nt)) schedule(static)
    for (int t = 0; t < nt; t++) {
        int64_t s = (int64_t)t * blk, n = ext - s < blk ? ext - s : blk;
        if (n <= 0) continue;
        if (splitM)
            gemm1(ta, tb, n, N, K, alpha, ta ? A + s : A + s * lda, lda, B, ldb, beta, C + s * ldc, ldc);
        else
            gemm1(ta, tb, M, n, K, alpha, A, lda, tb ? B + s * ldb : B + s, ldb, beta, C + s, ldc);
    }
}

void dc_k_softmax_rows(const float *x, float *z, int64_t rows, int64_t cols) {
    DC_PARALLEL_FOR(rows * cols > DC_PAR_MIN, r, rows, {
        const float *xr = x + r * cols;
        float *zr = z + r * cols;
        float m = -INFINITY;
        for (int64_t c = 0; c < cols; c++) m = xr[c] > m ? xr[c] : m;
        float s = 0.0f;
        for (int64_t c = 0; c < cols; c++) {
            zr[c] = expf(xr[c] - m);
            s += zr[c];
        }
        float inv = 1.0f / s;
        for (int64_t c = 0; c < cols; c++) zr[c] *= inv;
    });
}

void dc_k_log_softmax_rows(const float *x, float *z, int64_t rows, int64_t cols) {
#pragma omp parallel for num_threads(dc_k_run_threads()) if (rows * cols > DC_PAR_MIN) schedule(static)
    for (int64_t r = 0; r < rows; r++) {
        const float *xr = x + r * cols;
        float *zr = z + r * cols;
        float m = -INFINITY;
        for (int64_t c = 0; c < cols; c++) m = xr[c] > m ? xr[c] : m;
        float s = 0.0f;
        for (int64_t c = 0; c < cols; c++) s += expf(xr[c] - m);
        float lse = m + logf(s);
        for (int64_t c = 0; c < cols; c++) zr[c] = xr[c] - lse;
    }
}

void dc_k_colsum_add(const float *x, float *out, int64_t rows, int64_t cols) {
    /* row order fixed: the result does not depend on the thread count */
    for (int64_t r = 0; r < rows; r++)
        for (int64_t c = 0; c < cols; c++) out[c] += x[r * cols + c];
}

void dc_k_axpy(int64_t n, float a, const float *x, float *y) {
#pragma omp parallel for num_threads(dc_k_run_threads()) if (n > DC_PAR_MIN) schedule(static)
    for (int64_t i = 0; i < n; i++) y[i] += a * x[i];
}

double dc_k_bce_logits(const float *x, const float *y, float *sg, int64_t n) {
    enum { B = 256 };
    float l[B];
    double s = 0.0;
    for (int64_t a = 0; a < n; a += B) {
        int m = n - a < B ? (int)(n - a) : B;
        const float *xa = x + a, *ya = y + a;
        float *sa = sg + a;
        /* written so that it vectorizes: no fmaxf (its NaN rule has no
         * vector instruction), selects as products */
#pragma omp simd
        for (int i = 0; i < m; i++) {
            float v = xa[i], e = expf(-fabsf(v)), r = 1.0f / (1.0f + e);
            l[i] = (v > 0.0f ? v : 0.0f) - v * ya[i] + logf(1.0f + e); /* e in (0, 1]: log1p buys nothing */
            sa[i] = (v >= 0.0f ? 1.0f : e) * r;
        }
        for (int i = 0; i < m; i++) s += (double)l[i]; /* in order: deterministic */
    }
    return s;
}

void dc_k_zero(int64_t n, float *p) {
    const int64_t B = 1 << 18, nb = (n + B - 1) / B; /* waking the threads costs more than a small memset */
#pragma omp parallel for num_threads(dc_k_run_threads()) if (nb > 1) schedule(static)
    for (int64_t b = 0; b < nb; b++) memset(p + b * B, 0, sizeof(float) * (size_t)(n - b * B < B ? n - b * B : B));
}
