/* qconv_avx512.c — the int8 convolution's product on AVX-512 VNNI
 * (qconv.c says what it computes and holds the portable loop that gives the
 * same bits). Compiled for that instruction set whatever the build targets,
 * called only when the CPU has it.
 *
 * A block is R output positions x V vectors of 16 output channels (V <= 4):
 * R x V accumulators, and for each dword of the patch (K4 of them) V weight
 * loads shared by the R positions and R broadcasts of the input dword shared
 * by the V vectors. 6 x 4 = 24 accumulators + 4 weight registers fit the
 * 32 vector registers. */
#include "kernels.h"
#include "quant.h"
#include <string.h>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define VNNI __attribute__((target("avx512f,avx512bw,avx512dq,avx512vnni,avx512vl,fma")))
#define R 6

/* Positions p0 .. p0 + R (those past P repeat the last one, and are not
 * stored), channel vectors ov .. ov + V. */
VNNI static inline __attribute__((always_inline)) void block(const int V, const dc_k_conv_geom *g, const uint8_t *img, int64_t Wp,
                                                            int64_t Cp, const int32_t *kofs, int64_t K4, const int32_t *comp,
                                                            const int32_t *wp, int64_t OCp, int64_t p0, int64_t ov, float sx,
                                                            const float *sw, const float *b, float *yt) {
    const int64_t P = g->OH * g->OW;
    const uint8_t *xp[R];
    for (int r = 0; r < R; r++) {
        const int64_t p = p0 + r < P ? p0 + r : P - 1, oy = p / g->OW, ox = p % g->OW;
        xp[r] = img + (oy * g->sh * Wp + ox * g->sw) * Cp;
    }
    __m512i acc[R][4];
#pragma GCC unroll 6
    for (int r = 0; r < R; r++)
#pragma GCC unroll 4
        for (int v = 0; v < V; v++) acc[r][v] = _mm512_setzero_si512();
    const int32_t *wk = wp + ov * 16;
    for (int64_t k = 0; k < K4; k++, wk += OCp) {
        const int32_t o = kofs[k];
        __m512i wv[4];
#pragma GCC unroll 4
        for (int v = 0; v < V; v++) wv[v] = _mm512_loadu_si512((const void *)(wk + 16 * v));
#pragma GCC unroll 6
        for (int r = 0; r < R; r++) {
            int32_t d;
            memcpy(&d, xp[r] + o, 4);
            const __m512i xb = _mm512_set1_epi32(d);
#pragma GCC unroll 4
            for (int v = 0; v < V; v++) acc[r][v] = _mm512_dpbusd_epi32(acc[r][v], xb, wv[v]);
        }
    }
    /* the epilogue, as dc_k_qi8_epilogue: fma((float)sum, sx * sw[o], b[o]) */
    const __m512 vsx = _mm512_set1_ps(sx);
#pragma GCC unroll 4
    for (int v = 0; v < V; v++) {
        const int64_t o0 = (ov + v) * 16, left = g->OC - o0;
        const __mmask16 m = left >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << left) - 1);
        const __m512i c = _mm512_loadu_si512((const void *)(comp + o0));
        const __m512 s = _mm512_mul_ps(vsx, _mm512_maskz_loadu_ps(m, sw + o0));
        const __m512 bb = b ? _mm512_maskz_loadu_ps(m, b + o0) : _mm512_setzero_ps();
#pragma GCC unroll 6
        for (int r = 0; r < R; r++) {
            if (p0 + r >= P) break;
            const __m512 f = _mm512_cvtepi32_ps(_mm512_sub_epi32(acc[r][v], c));
            _mm512_mask_storeu_ps(yt + (p0 + r) * g->OC + o0, m, _mm512_fmadd_ps(f, s, bb));
        }
    }
}

VNNI void dc_k_qconv_vnni(const dc_k_conv_geom *g, const uint8_t *img, int64_t Wp, int64_t Cp, const int32_t *kofs, int64_t K4,
                          const void *packed, int64_t OCp, float sx, const float *sw, const float *b, float *yt) {
    const int32_t *comp = packed, *wp = comp + OCp;
    const int64_t P = g->OH * g->OW, OV = OCp / 16;
    for (int64_t ov = 0; ov < OV; ov += 4) {
        const int V = OV - ov >= 4 ? 4 : (int)(OV - ov);
        for (int64_t p0 = 0; p0 < P; p0 += R) switch (V) {
            case 4: block(4, g, img, Wp, Cp, kofs, K4, comp, wp, OCp, p0, ov, sx, sw, b, yt); break;
            case 3: block(3, g, img, Wp, Cp, kofs, K4, comp, wp, OCp, p0, ov, sx, sw, b, yt); break;
            case 2: block(2, g, img, Wp, Cp, kofs, K4, comp, wp, OCp, p0, ov, sx, sw, b, yt); break;
            default: block(1, g, img, Wp, Cp, kofs, K4, comp, wp, OCp, p0, ov, sx, sw, b, yt); break;
            }
    }
}

#else
void dc_k_qconv_vnni(const dc_k_conv_geom *g, const uint8_t *img, int64_t Wp, int64_t Cp, const int32_t *kofs, int64_t K4,
                     const void *packed, int64_t OCp, float sx, const float *sw, const float *b, float *yt) {
    (void)g, (void)img, (void)Wp, (void)Cp, (void)kofs, (void)K4, (void)packed, (void)OCp, (void)sx, (void)sw, (void)b, (void)yt;
}
#endif
