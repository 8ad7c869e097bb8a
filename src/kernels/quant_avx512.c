/* quant_avx512.c — the quantized products on AVX-512 VNNI (vpdpbusd: 64
 * unsigned-by-signed byte products summed into 16 int32 lanes per
 * instruction). Compiled for that instruction set whatever the build
 * targets (function attributes), and called only when the CPU has it
 * (dc_k_have_vnni); quant.c holds the portable loops, which give the same
 * bits (the comment at its top says how).
 *
 * vpdpbusd wants one operand unsigned. int8: the weights are made unsigned
 * by adding 128 (an XOR of the sign bit, once per weight row and shared by
 * four activation rows), and 128 times the activation row's sum is taken
 * off at the end: exact, as integers. 4-bit: the nibbles are unsigned
 * already (q + 8); 8 times each lane's activation sum is taken off. */
#include "kernels.h"
#include "quant.h"
#include <string.h>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define VNNI __attribute__((target("avx512f,avx512bw,avx512vnni,avx512vl,f16c,fma")))

int dc_k_have_vnni(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vnni");
}

/* bytes [k, k + 64) of a row of K, zeros past its end */
VNNI static inline __m512i load64(const int8_t *p, int64_t k, int64_t K) {
    if (k + 64 <= K) return _mm512_loadu_si512((const void *)(p + k));
    return _mm512_maskz_loadu_epi8((__mmask64)(~0ull >> (64 - (K - k))), p + k);
}

VNNI static int32_t hsum(__m512i v) { return _mm512_reduce_add_epi32(v); }

VNNI void dc_k_qgemm_i8_vnni(int64_t M, int64_t n0, int64_t n1, int64_t K, const int8_t *xq, const float *sx,
                             const int32_t *xsum, const int8_t *w, const float *sw, const float *b, float *y, int64_t ldy) {
    const __m512i flip = _mm512_set1_epi8((char)0x80);
    int32_t acc[4][64];
    for (int64_t m = 0; m < M; m += 4) {
        const int rows = M - m < 4 ? (int)(M - m) : 4;
        const int8_t *x0 = xq + m * K, *x1 = rows > 1 ? x0 + K : x0, *x2 = rows > 2 ? x0 + 2 * K : x0, *x3 = rows > 3 ? x0 + 3 * K : x0;
        for (int64_t n = n0; n < n1; n++) {
            const int8_t *wr = w + n * K;
            __m512i a0 = _mm512_setzero_si512(), a1 = a0, a2 = a0, a3 = a0;
            int64_t k = 0;
            for (; k + 64 <= K; k += 64) {
                __m512i wu = _mm512_xor_si512(_mm512_loadu_si512((const void *)(wr + k)), flip);
                a0 = _mm512_dpbusd_epi32(a0, wu, _mm512_loadu_si512((const void *)(x0 + k)));
                a1 = _mm512_dpbusd_epi32(a1, wu, _mm512_loadu_si512((const void *)(x1 + k)));
                a2 = _mm512_dpbusd_epi32(a2, wu, _mm512_loadu_si512((const void *)(x2 + k)));
                a3 = _mm512_dpbusd_epi32(a3, wu, _mm512_loadu_si512((const void *)(x3 + k)));
            }
            if (k < K) { /* the tail: zero activations past K add nothing */
                __m512i wu = _mm512_xor_si512(load64(wr, k, K), flip);
                a0 = _mm512_dpbusd_epi32(a0, wu, load64(x0, k, K));
                a1 = _mm512_dpbusd_epi32(a1, wu, load64(x1, k, K));
                a2 = _mm512_dpbusd_epi32(a2, wu, load64(x2, k, K));
                a3 = _mm512_dpbusd_epi32(a3, wu, load64(x3, k, K));
            }
            /* (w + 128) . x - 128 sum(x) = w . x, in wrapping int32 (exact when w . x fits) */
            acc[0][n - n0] = (int32_t)((uint32_t)hsum(a0) - 128u * (uint32_t)xsum[m]);
            if (rows > 1) acc[1][n - n0] = (int32_t)((uint32_t)hsum(a1) - 128u * (uint32_t)xsum[m + 1]);
            if (rows > 2) acc[2][n - n0] = (int32_t)((uint32_t)hsum(a2) - 128u * (uint32_t)xsum[m + 2]);
            if (rows > 3) acc[3][n - n0] = (int32_t)((uint32_t)hsum(a3) - 128u * (uint32_t)xsum[m + 3]);
        }
        for (int r = 0; r < rows; r++) dc_k_qi8_epilogue(n0, n1, acc[r], sx[m + r], sw, b, y + (m + r) * ldy);
    }
}

/* Two blocks' nibbles (32 bytes) as 64 bytes in value order: block 0's
 * values 0-15 (low nibbles), 16-31 (high), then block 1's. */
VNNI static inline __m512i unpack2(const uint8_t *q) {
    const __m256i raw = _mm256_loadu_si256((const __m256i *)q), m4 = _mm256_set1_epi8(15);
    const __m256i lo = _mm256_and_si256(raw, m4), hi = _mm256_and_si256(_mm256_srli_epi16(raw, 4), m4);
    /* lo = [b0 lo, b1 lo], hi = [b0 hi, b1 hi] -> [b0 lo, b0 hi, b1 lo, b1 hi] */
    __m512i v = _mm512_inserti64x4(_mm512_castsi256_si512(lo), hi, 1);
    return _mm512_shuffle_i64x2(v, v, _MM_SHUFFLE(3, 1, 2, 0));
}
/* One block's nibbles (16 bytes) as the low 32 bytes, zeros above. */
VNNI static inline __m512i unpack1(const uint8_t *q) {
    const __m128i raw = _mm_loadu_si128((const __m128i *)q), m4 = _mm_set1_epi8(15);
    const __m128i lo = _mm_and_si128(raw, m4), hi = _mm_and_si128(_mm_srli_epi16(raw, 4), m4);
    return _mm512_maskz_mov_epi64(0x0F, _mm512_inserti64x2(_mm512_castsi128_si512(lo), hi, 1));
}

VNNI void dc_k_qgemm_q4_vnni(int64_t M, int64_t n0, int64_t n1, int64_t K, const int8_t *xq, const float *dx,
                             const int32_t *xs4, const uint8_t *w, const uint16_t *dw, const float *b, float *y, int64_t ldy) {
    const int64_t nb = K / DC_Q4_BLOCK;
    const __m512i eight = _mm512_set1_epi32(8);
    for (int64_t m = 0; m < M; m++) {
        const int8_t *xr = xq + m * K;
        const int32_t *sr = xs4 + m * K / 4;
        const float *dr = dx + m * nb;
        for (int64_t n = n0; n < n1; n++) {
            const uint8_t *wr = w + n * K / 2;
            const uint16_t *dn = dw + n * nb;
            __m512 acc = _mm512_setzero_ps();
            int64_t bb = 0;
            for (; bb + 2 <= nb; bb += 2) {
                __m512i p = _mm512_dpbusd_epi32(_mm512_setzero_si512(), unpack2(wr + bb * 16),
                                                _mm512_loadu_si512((const void *)(xr + bb * 32)));
                p = _mm512_sub_epi32(p, _mm512_mullo_epi32(eight, _mm512_loadu_si512((const void *)(sr + bb * 8))));
                const float d0 = _cvtsh_ss(dn[bb]) * dr[bb], d1 = _cvtsh_ss(dn[bb + 1]) * dr[bb + 1];
                const __m512 d = _mm512_insertf32x8(_mm512_set1_ps(d0), _mm256_set1_ps(d1), 1);
                acc = _mm512_fmadd_ps(_mm512_cvtepi32_ps(p), d, acc);
            }
            if (bb < nb) { /* an odd last block: lanes 0-7 only */
                __m512i xv = _mm512_maskz_loadu_epi8((__mmask64)0xFFFFFFFFull, xr + bb * 32);
                __m512i p = _mm512_dpbusd_epi32(_mm512_setzero_si512(), unpack1(wr + bb * 16), xv);
                p = _mm512_sub_epi32(p, _mm512_mullo_epi32(eight, _mm512_maskz_loadu_epi32(0xFF, sr + bb * 8)));
                const float d0 = _cvtsh_ss(dn[bb]) * dr[bb];
                acc = _mm512_mask3_fmadd_ps(_mm512_cvtepi32_ps(p), _mm512_set1_ps(d0), acc, 0x00FF); /* lanes 8-15 kept */
            }
            float lanes[16];
            _mm512_storeu_ps(lanes, acc);
            float v = dc_k_reduce16(lanes);
            y[m * ldy + n] = b ? v + b[n] : v;
        }
    }
}
#else
int dc_k_have_vnni(void) { return 0; }
void dc_k_qgemm_i8_vnni(int64_t M, int64_t n0, int64_t n1, int64_t K, const int8_t *xq, const float *sx, const int32_t *xsum,
                        const int8_t *w, const float *sw, const float *b, float *y, int64_t ldy) {
    (void)M, (void)n0, (void)n1, (void)K, (void)xq, (void)sx, (void)xsum, (void)w, (void)sw, (void)b, (void)y, (void)ldy;
}
void dc_k_qgemm_q4_vnni(int64_t M, int64_t n0, int64_t n1, int64_t K, const int8_t *xq, const float *dx, const int32_t *xs4,
                        const uint8_t *w, const uint16_t *dw, const float *b, float *y, int64_t ldy) {
    (void)M, (void)n0, (void)n1, (void)K, (void)xq, (void)dx, (void)xs4, (void)w, (void)dw, (void)b, (void)y, (void)ldy;
}
#endif
