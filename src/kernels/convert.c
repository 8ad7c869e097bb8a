/* convert.c — element types: IEEE half and bfloat16 to and from float, and
 * int8 rows with one scale per row. Plain C99 loops: the reference an
 * exported C file or a test can use; compilers vectorize them well enough
 * for the weights of a model (they run once per forward, not per value). */
#include "kernels.h"
#include <string.h>

static uint32_t bits_of(float f) {
    uint32_t b;
    memcpy(&b, &f, 4);
    return b;
}
static float float_of(uint32_t b) {
    float f;
    memcpy(&f, &b, 4);
    return f;
}

float dc_k_f16_to_f32(uint16_t h) { /* exact: every half is a float */
    uint32_t sign = (uint32_t)(h >> 15) << 31, e = (h >> 10) & 31, m = h & 1023, bits;
    if (e == 31) bits = sign | 0x7f800000u | (m << 13); /* inf, NaN */
    else if (e) bits = sign | ((e + 112) << 23) | (m << 13);
    else if (!m) bits = sign;
    else { /* subnormal: normalise */
        e = 113;
        while (!(m & 1024)) {
            m <<= 1;
            e--;
        }
        bits = sign | (e << 23) | ((m & 1023) << 13);
    }
    return float_of(bits);
}

uint16_t dc_k_f32_to_f16(float f) { /* round to nearest, ties to even; overflow to inf; NaN stays NaN */
    uint32_t b = bits_of(f), sign = (b >> 16) & 0x8000u, a = b & 0x7fffffffu;
    if (a >= 0x7f800000u) return (uint16_t)(sign | 0x7c00u | (a > 0x7f800000u ? 0x200u | ((a >> 13) & 0x3ffu) : 0));
    if (a >= 0x477ff000u) return (uint16_t)(sign | 0x7c00u); /* rounds past 65504 */
    if (a < 0x38800000u) { /* below 2^-14: a subnormal half (or zero) */
        if (a < 0x33000000u) return (uint16_t)sign; /* under half the smallest subnormal */
        uint32_t m = (a & 0x7fffffu) | 0x800000u, shift = 126 - (a >> 23); /* 14..24 */
        uint32_t q = m >> shift, rem = m & ((1u << shift) - 1), half = 1u << (shift - 1);
        q += rem > half || (rem == half && (q & 1));
        return (uint16_t)(sign | q);
    }
    uint32_t q = ((a >> 23) - 112) << 10 | ((a >> 13) & 0x3ffu), rem = a & 0x1fffu;
    q += rem > 0x1000u || (rem == 0x1000u && (q & 1)); /* a carry into the exponent is right */
    return (uint16_t)(sign | q);
}

float dc_k_bf16_to_f32(uint16_t h) { return float_of((uint32_t)h << 16); }

uint16_t dc_k_f32_to_bf16(float f) { /* round to nearest, ties to even; NaN stays NaN */
    uint32_t b = bits_of(f);
    if ((b & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((b >> 16) | 0x40u);
    b += 0x7fffu + ((b >> 16) & 1);
    return (uint16_t)(b >> 16);
}

void dc_k_f16_to_f32_n(const uint16_t *h, float *out, int64_t n) {
    for (int64_t i = 0; i < n; i++) out[i] = dc_k_f16_to_f32(h[i]);
}
void dc_k_f32_to_f16_n(const float *x, uint16_t *out, int64_t n) {
    for (int64_t i = 0; i < n; i++) out[i] = dc_k_f32_to_f16(x[i]);
}
void dc_k_bf16_to_f32_n(const uint16_t *h, float *out, int64_t n) {
    for (int64_t i = 0; i < n; i++) out[i] = dc_k_bf16_to_f32(h[i]);
}
void dc_k_f32_to_bf16_n(const float *x, uint16_t *out, int64_t n) {
    for (int64_t i = 0; i < n; i++) out[i] = dc_k_f32_to_bf16(x[i]);
}

void dc_k_quantize_rows_i8(const float *x, int64_t rows, int64_t cols, int8_t *q, float *scale) {
    for (int64_t r = 0; r < rows; r++) {
        const float *xr = x + r * cols;
        float amax = 0.0f;
        for (int64_t c = 0; c < cols; c++) amax = fabsf(xr[c]) > amax ? fabsf(xr[c]) : amax;
        const float s = amax > 0.0f ? amax / 127.0f : 1.0f, inv = 1.0f / s;
        scale[r] = s;
        for (int64_t c = 0; c < cols; c++) {
            float v = nearbyintf(xr[c] * inv);
            q[r * cols + c] = (int8_t)(v > 127.0f ? 127.0f : v < -127.0f ? -127.0f : v);
        }
    }
}

void dc_k_dequantize_rows_i8(const int8_t *q, const float *scale, int64_t rows, int64_t cols, float *out) {
    for (int64_t r = 0; r < rows; r++)
        for (int64_t c = 0; c < cols; c++) out[r * cols + c] = (float)q[r * cols + c] * scale[r];
}
