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
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define VNNI __attribute__((target("avx512f,avx512bw,avx512dq,avx512vnni,avx512vl,f16c,fma")))

int dc_k_have_vnni(void) {
    static int known = -1; /* asked once (several threads may ask at once: atomic; they agree) */
    int k = __atomic_load_n(&known, __ATOMIC_RELAXED);
    if (k < 0) {
        __builtin_cpu_init();
        k = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq") &&
            __builtin_cpu_supports("avx512vnni");
        __atomic_store_n(&known, k, __ATOMIC_RELAXED);
    }
    return k;
}

/* bytes [k, k + 64) of a row of K, zeros past its end */
VNNI static inline __m512i load64(const int8_t *p, int64_t k, int64_t K) {
    if (k + 64 <= K) return _mm512_loadu_si512((const void *)(p + k));
    return _mm512_maskz_loadu_epi8((__mmask64)(~0ull >> (64 - (K - k))), p + k);
}

VNNI static int32_t hsum(__m512i v) { return _mm512_reduce_add_epi32(v); }

/* The four sums of a0..a3, as four int32 (exact: integer adds in any order). */
VNNI static inline __m128i hsum4(__m512i a0, __m512i a1, __m512i a2, __m512i a3) {
    __m512i t0 = _mm512_add_epi32(_mm512_unpacklo_epi32(a0, a1), _mm512_unpackhi_epi32(a0, a1)); /* a0 a1 a0 a1 per lane */
    __m512i t1 = _mm512_add_epi32(_mm512_unpacklo_epi32(a2, a3), _mm512_unpackhi_epi32(a2, a3));
    __m512i u = _mm512_add_epi32(_mm512_unpacklo_epi64(t0, t1), _mm512_unpackhi_epi64(t0, t1));  /* a0 a1 a2 a3 per lane */
    __m256i h = _mm256_add_epi32(_mm512_castsi512_si256(u), _mm512_extracti64x4_epi64(u, 1));
    return _mm_add_epi32(_mm256_castsi256_si128(h), _mm256_extracti128_si256(h, 1));
}

/* One activation row against rows [n0, n1), a row at a time with two
 * accumulators (a matrix-vector product, batch 1). Streaming one weight
 * row after another measured 1.8x faster on GPT-2's matrices than four
 * rows side by side sharing the activation loads (72 -> 130 tokens/s). */
VNNI static void qgemv_i8(int64_t n0, int64_t n1, int64_t K, const int8_t *x, int32_t xs, const int8_t *w, int32_t *acc) {
    const __m512i flip = _mm512_set1_epi8((char)0x80);
    const uint32_t off = 128u * (uint32_t)xs;
    for (int64_t n = n0; n < n1; n++) {
        const int8_t *wr = w + n * K;
        __m512i a0 = _mm512_setzero_si512(), a1 = a0;
        int64_t k = 0;
        for (; k + 128 <= K; k += 128) {
            a0 = _mm512_dpbusd_epi32(a0, _mm512_xor_si512(_mm512_loadu_si512((const void *)(wr + k)), flip),
                                     _mm512_loadu_si512((const void *)(x + k)));
            a1 = _mm512_dpbusd_epi32(a1, _mm512_xor_si512(_mm512_loadu_si512((const void *)(wr + k + 64)), flip),
                                     _mm512_loadu_si512((const void *)(x + k + 64)));
        }
        for (; k < K; k += 64) a0 = _mm512_dpbusd_epi32(a0, _mm512_xor_si512(load64(wr, k, K), flip), load64(x, k, K));
        acc[n - n0] = (int32_t)((uint32_t)hsum(_mm512_add_epi32(a0, a1)) - off);
    }
}

VNNI void dc_k_qgemm_i8_vnni(int64_t M, int64_t n0, int64_t n1, int64_t K, const int8_t *xq, const float *sx,
                             const int32_t *xsum, const int8_t *w, const float *sw, const float *b, float *y, int64_t ldy) {
    const __m512i flip = _mm512_set1_epi8((char)0x80);
    int32_t acc[4][64];
    int64_t m = 0;
    for (; m + 4 <= M; m += 4) { /* four activation rows share each weight load */
        const int8_t *x0 = xq + m * K, *x1 = x0 + K, *x2 = x1 + K, *x3 = x2 + K;
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
            if (k < K) { /* the tail: zeros past K (128 x 0 adds nothing) */
                __m512i wu = _mm512_xor_si512(load64(wr, k, K), flip);
                a0 = _mm512_dpbusd_epi32(a0, wu, load64(x0, k, K));
                a1 = _mm512_dpbusd_epi32(a1, wu, load64(x1, k, K));
                a2 = _mm512_dpbusd_epi32(a2, wu, load64(x2, k, K));
                a3 = _mm512_dpbusd_epi32(a3, wu, load64(x3, k, K));
            }
            /* (w + 128) . x - 128 sum(x) = w . x, in wrapping int32 (exact when w . x fits) */
            uint32_t s[4];
            _mm_storeu_si128((__m128i *)s, hsum4(a0, a1, a2, a3));
            for (int r = 0; r < 4; r++) acc[r][n - n0] = (int32_t)(s[r] - 128u * (uint32_t)xsum[m + r]);
        }
        for (int r = 0; r < 4; r++) dc_k_qi8_epilogue(n0, n1, acc[r], sx[m + r], sw, b, y + (m + r) * ldy);
    }
    for (; m < M; m++) { /* the rest one row at a time */
        qgemv_i8(n0, n1, K, xq + m * K, xsum[m], w, acc[0]);
        dc_k_qi8_epilogue(n0, n1, acc[0], sx[m], sw, b, y + m * ldy);
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

/* One output: row wr (packed) or wu (already unpacked, when not NULL)
 * against activation row m. */
VNNI static inline float q4_dot(const uint8_t *wr, const uint8_t *wu, const uint16_t *dn, const int8_t *xr, const int32_t *sr,
                                const float *dr, int64_t nb) {
    const __m512i eight = _mm512_set1_epi32(8);
    __m512 acc = _mm512_setzero_ps();
    int64_t bb = 0;
    for (; bb + 2 <= nb; bb += 2) {
        __m512i wv = wu ? _mm512_loadu_si512((const void *)(wu + bb * 32)) : unpack2(wr + bb * 16);
        __m512i p = _mm512_dpbusd_epi32(_mm512_setzero_si512(), wv, _mm512_loadu_si512((const void *)(xr + bb * 32)));
        p = _mm512_sub_epi32(p, _mm512_mullo_epi32(eight, _mm512_loadu_si512((const void *)(sr + bb * 8))));
        const float d0 = _cvtsh_ss(dn[bb]) * dr[bb], d1 = _cvtsh_ss(dn[bb + 1]) * dr[bb + 1];
        const __m512 d = _mm512_insertf32x8(_mm512_set1_ps(d0), _mm256_set1_ps(d1), 1);
        acc = _mm512_fmadd_ps(_mm512_cvtepi32_ps(p), d, acc);
    }
    if (bb < nb) { /* an odd last block: lanes 0-7 only */
        __m512i xv = _mm512_maskz_loadu_epi8((__mmask64)0xFFFFFFFFull, xr + bb * 32);
        __m512i wv = wu ? _mm512_maskz_loadu_epi8((__mmask64)0xFFFFFFFFull, wu + bb * 32) : unpack1(wr + bb * 16);
        __m512i p = _mm512_dpbusd_epi32(_mm512_setzero_si512(), wv, xv);
        p = _mm512_sub_epi32(p, _mm512_mullo_epi32(eight, _mm512_maskz_loadu_epi32(0xFF, sr + bb * 8)));
        const float d0 = _cvtsh_ss(dn[bb]) * dr[bb];
        acc = _mm512_mask3_fmadd_ps(_mm512_cvtepi32_ps(p), _mm512_set1_ps(d0), acc, 0x00FF); /* lanes 8-15 kept */
    }
    float lanes[16];
    _mm512_storeu_ps(lanes, acc);
    return dc_k_reduce16(lanes);
}

/* A row's nibbles unpacked once into wu (K bytes, value order), for several
 * activation rows to share. */
VNNI static void unpack_row(const uint8_t *wr, int64_t nb, uint8_t *wu) {
    int64_t bb = 0;
    for (; bb + 2 <= nb; bb += 2) _mm512_storeu_si512((void *)(wu + bb * 32), unpack2(wr + bb * 16));
    if (bb < nb) _mm256_storeu_si256((__m256i *)(wu + bb * 32), _mm512_castsi512_si256(unpack1(wr + bb * 16)));
}

VNNI void dc_k_qgemm_q4_vnni(int64_t M, int64_t n0, int64_t n1, int64_t K, const int8_t *xq, const float *dx,
                             const int32_t *xs4, const uint8_t *w, const uint16_t *dw, const float *b, float *y, int64_t ldy) {
    const int64_t nb = K / DC_Q4_BLOCK;
    uint8_t stackbuf[4096], *wu = M > 1 ? (K <= (int64_t)sizeof stackbuf ? stackbuf : malloc((size_t)K)) : NULL;
    for (int64_t n = n0; n < n1; n++) {
        const uint8_t *wr = w + n * K / 2;
        if (wu) unpack_row(wr, nb, wu);
        for (int64_t m = 0; m < M; m++) {
            float v = q4_dot(wr, wu, dw + n * nb, xq + m * K, xs4 + m * K / 4, dx + m * nb, nb);
            y[m * ldy + n] = b ? v + b[n] : v;
        }
    }
    if (wu != stackbuf) free(wu);
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
