/* kernels.c — GEMM through CBLAS (OpenBLAS), and the few loops the ops need
 * in more than one place. */
#include "kernels.h"
#include <cblas.h>
#include <math.h>

void dc_k_gemm(int ta, int tb, int64_t M, int64_t N, int64_t K, float alpha, const float *A,
               int64_t lda, const float *B, int64_t ldb, float beta, float *C, int64_t ldc) {
    if (M == 0 || N == 0) return;
    if (K == 0) { /* BLAS may skip the beta scaling in this case */
        for (int64_t i = 0; i < M; i++)
            for (int64_t j = 0; j < N; j++) C[i * ldc + j] = beta == 0.0f ? 0.0f : beta * C[i * ldc + j];
        return;
    }
    cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans,
                (int)M, (int)N, (int)K, alpha, A, (int)lda, B, (int)ldb, beta, C, (int)ldc);
}

void dc_k_softmax_rows(const float *x, float *z, int64_t rows, int64_t cols) {
#pragma omp parallel for if (rows * cols > DC_PAR_MIN) schedule(static)
    for (int64_t r = 0; r < rows; r++) {
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
    }
}

void dc_k_log_softmax_rows(const float *x, float *z, int64_t rows, int64_t cols) {
#pragma omp parallel for if (rows * cols > DC_PAR_MIN) schedule(static)
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
#pragma omp parallel for if (n > DC_PAR_MIN) schedule(static)
    for (int64_t i = 0; i < n; i++) y[i] += a * x[i];
}
