/* quant_act.c — activations quantized on the fly for the int8 and 4-bit
 * products (quant.c, quant_avx512.c) and for the reference kernels that
 * check them (ref.c): one file both use, so both round alike, and with no
 * call into the other kernel files (the floor's files form no cycle). */
#include "kernels.h"
#include "quant.h"
#include <math.h>
#include <string.h>

/* max |x[i]| of n values by their bits (the bits of non-negative floats
 * order as the floats do): an integer max, which vectorizes where a float
 * one does not (NaN rules). *finite = 0 when a NaN or infinity is there. */
static inline float abs_max(const float *x, int64_t n, int *finite) {
    uint32_t m = 0;
    for (int64_t i = 0; i < n; i++) {
        uint32_t u;
        memcpy(&u, &x[i], 4);
        u &= 0x7FFFFFFFu;
        m = u > m ? u : m;
    }
    *finite = m < 0x7F800000u;
    float a;
    memcpy(&a, &m, 4);
    return a;
}

void dc_k_quantize_act_rows(const float *x, int64_t M, int64_t K, int8_t *xq, float *sx, int32_t *xsum) {
    for (int64_t m = 0; m < M; m++) {
        const float *xr = x + m * K;
        int8_t *qr = xq + m * K;
        int finite;
        const float amax = abs_max(xr, K, &finite);
        int32_t s = 0;
        if (!finite) { /* the row's outputs become NaN, as float's would */
            memset(qr, 0, (size_t)K);
            sx[m] = NAN;
        } else {
            const float sc = amax > 0.0f ? amax / 127.0f : 1.0f, inv = 1.0f / sc;
            sx[m] = sc;
            for (int64_t k = 0; k < K; k++) qr[k] = dc_k_q8(xr[k], inv);
            for (int64_t k = 0; k < K; k++) s += qr[k];
        }
        xsum[m] = s;
    }
}

/* round(v * inv) + zero, clamped to [-128, 127]: v * inv first held to
 * +-384 (past any zero point's reach) so the rounding trick stays exact */
static inline int8_t q8_zero(float v, float inv, int zero) {
    const float magic = 12582912.0f;
    float r = v * inv;
    r = r > 384.0f ? 384.0f : r < -384.0f ? -384.0f : r;
    const int q = (int)((r + magic) - magic) + zero;
    return (int8_t)(q > 127 ? 127 : q < -128 ? -128 : q);
}

void dc_k_quantize_act_static(const float *x, int64_t M, int64_t K, float scale, int zero, int8_t *xq, float *sx, int32_t *xsum) {
    const float inv = 1.0f / scale;
    for (int64_t m = 0; m < M; m++) {
        const float *xr = x + m * K;
        int8_t *qr = xq + m * K;
        int finite;
        abs_max(xr, K, &finite);
        int32_t s = 0;
        if (!finite) { /* as the dynamic path: the row's outputs become NaN */
            memset(qr, 0, (size_t)K);
            sx[m] = NAN;
        } else {
            sx[m] = scale;
            for (int64_t k = 0; k < K; k++) qr[k] = q8_zero(xr[k], inv, zero); /* beyond the calibrated range: clamped */
            for (int64_t k = 0; k < K; k++) s += qr[k];
        }
        xsum[m] = s;
    }
}

void dc_k_zero_point_bias(int64_t N, int zero, const int32_t *wsum, float scale, const float *sw, const float *b, float *cb) {
    for (int64_t n = 0; n < N; n++) cb[n] = fmaf(-(scale * sw[n]), (float)((int64_t)zero * wsum[n]), b ? b[n] : 0.0f);
}

void dc_k_quantize_act_blocks(const float *x, int64_t M, int64_t K, int8_t *xq, float *dx, int32_t *xs4) {
    const int64_t nb = K / DC_Q4_BLOCK;
    for (int64_t m = 0; m < M; m++)
        for (int64_t b = 0; b < nb; b++) {
            const float *xb = x + m * K + b * DC_Q4_BLOCK;
            int8_t *qb = xq + m * K + b * DC_Q4_BLOCK;
            int finite;
            const float amax = abs_max(xb, DC_Q4_BLOCK, &finite);
            const float sc = amax > 0.0f ? amax / 127.0f : 1.0f, inv = 1.0f / sc;
            dx[m * nb + b] = finite ? sc : NAN;
            for (int i = 0; i < DC_Q4_BLOCK; i++) qb[i] = finite ? dc_k_q8(xb[i], inv) : 0;
            for (int j = 0; j < DC_Q4_BLOCK / 4; j++)
                xs4[(m * K + b * DC_Q4_BLOCK) / 4 + j] = qb[4 * j] + qb[4 * j + 1] + qb[4 * j + 2] + qb[4 * j + 3];
        }
}

