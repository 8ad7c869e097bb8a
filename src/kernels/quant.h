/* quant.h — what quant.c and quant_avx512.c share (floor 1, private): the
 * AVX-512 VNNI products over a range [n0, n1) of output rows, and the
 * pieces both paths compute the same way so their bits agree. */
#ifndef DC_QUANT_H
#define DC_QUANT_H
#include <math.h>
#include <stdint.h>
#include "kernels.h"

/* 1 when the CPU runs AVX-512 F, BW, DQ and VNNI (and the build can target them). */
int dc_k_have_vnni(void);
/* 1 when the AVX-512 loops run: the CPU has them and DEEPC_KERNELS is not
 * "portable" (quant.c decides; sparse.c follows). */
int dc_k_quant_fast(void);
void dc_k_qgemm_i8_vnni(int64_t M, int64_t n0, int64_t n1, int64_t K, const int8_t *xq, const float *sx, const int32_t *xsum,
                        const int8_t *w, const float *sw, const float *b, float *y, int64_t ldy);
void dc_k_qgemm_q4_vnni(int64_t M, int64_t n0, int64_t n1, int64_t K, const int8_t *xq, const float *dx, const int32_t *xs4,
                        const uint8_t *w, const uint16_t *dw, const float *b, float *y, int64_t ldy);
/* The int8 convolution's product over one sample's channels-last image
 * (qconv.c says the layouts): yt (P x OC) from the packed kernel. */
void dc_k_qconv_vnni(const dc_k_conv_geom *g, const uint8_t *img, int64_t Wp, int64_t Cp, const int32_t *kofs, int64_t K4,
                     const void *packed, int64_t OCp, float sx, const float *sw, const float *b, float *yt);
/* y[n] = acc[n - n0] * (sxm * sw[n]) + b[n] (b may be NULL) for n in
 * [n0, n1), fused explicitly (fmaf): the same rounding whether or not a
 * file is compiled for FMA. */
static inline void dc_k_qi8_epilogue(int64_t n0, int64_t n1, const int32_t *acc, float sxm, const float *sw, const float *b,
                                     float *y) {
    for (int64_t n = n0; n < n1; n++) y[n] = fmaf((float)acc[n - n0], sxm * sw[n], b ? b[n] : 0.0f);
}
/* a[0..16) summed in a fixed order (additions only: nothing to contract) */
static inline float dc_k_reduce16(const float *a) {
    float s8[8], s4[4];
    for (int i = 0; i < 8; i++) s8[i] = a[i] + a[i + 8];
    for (int i = 0; i < 4; i++) s4[i] = s8[i] + s8[i + 4];
    return (s4[0] + s4[2]) + (s4[1] + s4[3]);
}
/* v * inv (shared by quant_act.c and qconv.c) clamped to [-127, 127], rounded to nearest (ties to even) by
 * adding and taking away 1.5 * 2^23 (exact below 2^22): plain arithmetic,
 * so the loops vectorize (nearbyintf does not), and the clamp between the
 * product and the sum keeps the compiler from fusing them. */
static inline int8_t dc_k_q8(float v, float inv) {
    const float magic = 12582912.0f;
    float r = v * inv;
    r = r > 127.0f ? 127.0f : r < -127.0f ? -127.0f : r;
    return (int8_t)(int)((r + magic) - magic);
}

#endif
