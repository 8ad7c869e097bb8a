/* qconv.c — the int8 2-D convolution (groups 1), computed directly on a
 * channels-last copy of each sample: no im2col.
 *
 * One sample at a time: its input is quantized with one scale (max|x| /
 * 127 over the whole sample) into an image of H x W pixels of C bytes each
 * (channels last, C rounded up to 4, the padding around it included), so
 * that the inputs under one kernel position are C contiguous bytes and an
 * output position's patch is KH x KW such runs. The product reads the
 * patch from the image where it lies: every 4 bytes of it (one input
 * dword) meet 16 output channels' 4 weights in one vpdpbusd, 6 output
 * positions x 64 channels at a time in 24 accumulators (qconv_avx512.c),
 * against the kernel packed once into that order (dc_k_qconv_pack). The
 * outputs come out position-major and are transposed to channels-first at
 * the end.
 *
 * This replaced im2col + a transpose + per-patch quantization + GEMM
 * (the Fashion CNN's second convolution at batch 1: 54 -> see
 * bench/RESULTS.md), where the gathering cost more than the product.
 *
 * The portable loop sums the same integers from the same image and ends in
 * the same float epilogue (dc_k_qi8_epilogue), so both give the same bits.
 * The image stores q + 128 (unsigned, as vpdpbusd wants one operand); the
 * 128 x (the kernel row's sum) this adds is taken off exactly. */
#include "kernels.h"
#include "quant.h"
#include <string.h>

/* ---- geometry of the image and the packed kernel --------------------------------- */

static int64_t round4(int64_t n) { return (n + 3) / 4 * 4; }
static int64_t round16(int64_t n) { return (n + 15) / 16 * 16; }
static int64_t max64(int64_t a, int64_t b) { return a > b ? a : b; }

typedef struct {
    int64_t Cp, Hp, Wp; /* the image: Hp x Wp pixels of Cp bytes */
    int64_t K4, OCp;    /* the packed kernel: K4 dwords per channel, channels rounded to 16 */
} qconv_layout;

static qconv_layout layout(const dc_k_conv_geom *g) {
    qconv_layout l;
    l.Cp = round4(g->C);
    l.Hp = max64(g->H + g->pt, (g->OH - 1) * g->sh + (g->KH - 1) * g->dh + 1);
    l.Wp = max64(g->W + g->pl, (g->OW - 1) * g->sw + (g->KW - 1) * g->dw + 1);
    l.K4 = g->KH * g->KW * l.Cp / 4;
    l.OCp = round16(g->OC);
    return l;
}

size_t dc_k_qconv_packed_bytes(const dc_k_conv_geom *g) {
    const qconv_layout l = layout(g);
    return (size_t)(l.OCp + l.K4 * l.OCp) * sizeof(int32_t);
}

/* packed: int32 comp[OCp] = 128 x the sum of channel o's weights, then
 * dword (k4, o) of K4 x OCp = channel o's 4 weights at kernel position k4 / (Cp/4)
 * (row-major ky, kx) and channels 4 (k4 % (Cp/4)) .. + 3; zeros past C and OC */
void dc_k_qconv_pack(const dc_k_conv_geom *g, const int8_t *w, void *packed) {
    const qconv_layout l = layout(g);
    const int64_t C4 = l.Cp / 4, KHW = g->KH * g->KW;
    int32_t *comp = packed;
    int8_t *wp = (int8_t *)(comp + l.OCp);
    memset(packed, 0, dc_k_qconv_packed_bytes(g));
    for (int64_t o = 0; o < g->OC; o++) {
        const int8_t *wo = w + o * g->C * KHW;
        uint32_t s = 0;
        for (int64_t c = 0; c < g->C; c++)
            for (int64_t kk = 0; kk < KHW; kk++) {
                const int8_t v = wo[c * KHW + kk];
                s += (uint32_t)(int32_t)v;
                wp[((kk * C4 + c / 4) * l.OCp + o) * 4 + c % 4] = v;
            }
        comp[o] = (int32_t)(128u * s); /* wraps as the vpdpbusd sums do: exact once taken off */
    }
}

/* ---- one sample --------------------------------------------------------------------- */

static size_t align64(size_t n) { return (n + 63) / 64 * 64; }

/* a sample's scratch: the input channels-last (floats, then int8), the
 * image, the kernel offsets, the (P x OC) outputs and the portable loop's
 * reordered weights */
static size_t sample_bytes(const dc_k_conv_geom *g) {
    const qconv_layout l = layout(g);
    const size_t CHW = (size_t)(g->C * g->H * g->W), P = (size_t)(g->OH * g->OW);
    return align64(CHW * sizeof(float)) + align64(CHW) + align64((size_t)(l.Hp * l.Wp * l.Cp)) + align64((size_t)l.K4 * sizeof(int32_t)) +
           align64(P * (size_t)g->OC * sizeof(float)) + align64((size_t)(g->OC * g->C * g->KH * g->KW));
}

static int64_t qteam(void) { return dc_k_threads() > 0 ? dc_k_threads() : 1; }

size_t dc_k_qconv2d_scratch(const dc_k_conv_geom *g) { return (size_t)qteam() * sample_bytes(g); }

/* The sample x (C, H, W) quantized with one scale into img (Hp x Wp x Cp
 * bytes of q + 128, 128 — zero — in the padding); returns the scale (NaN,
 * and an image of zeros, when x holds a NaN or an infinity: every output
 * becomes NaN, as float's would near it). */
static float make_image(const dc_k_conv_geom *g, const qconv_layout *l, const float *x, float *xt, int8_t *xq, uint8_t *img) {
    const int64_t C = g->C, HW = g->H * g->W;
    float sx;
    int32_t unused;
    dc_k_transpose(x, C, HW, xt); /* (C, HW) -> (HW, C) */
    dc_k_quantize_act_rows(xt, 1, C * HW, xq, &sx, &unused);
    const int full = l->Cp == C && l->Hp == g->H && l->Wp == g->W;
    if (!full) memset(img, 128, (size_t)(l->Hp * l->Wp * l->Cp));
    for (int64_t y = 0; y < g->H; y++) {
        const int8_t *s = xq + y * g->W * C;
        uint8_t *d = img + ((y + g->pt) * l->Wp + g->pl) * l->Cp;
        if (full) {
            for (int64_t i = 0; i < g->W * C; i++) d[i] = (uint8_t)s[i] ^ 0x80u;
            continue;
        }
        for (int64_t x0 = 0; x0 < g->W; x0++)
            for (int64_t c = 0; c < C; c++) d[x0 * l->Cp + c] = (uint8_t)s[x0 * C + c] ^ 0x80u;
    }
    return sx;
}

/* Where kernel position k4's dword lies from an output position's first
 * input byte. */
static void kernel_offsets(const dc_k_conv_geom *g, const qconv_layout *l, int32_t *kofs) {
    const int64_t C4 = l->Cp / 4;
    for (int64_t ky = 0; ky < g->KH; ky++)
        for (int64_t kx = 0; kx < g->KW; kx++)
            for (int64_t c4 = 0; c4 < C4; c4++)
                kofs[(ky * g->KW + kx) * C4 + c4] = (int32_t)(((ky * g->dh) * l->Wp + kx * g->dw) * l->Cp + 4 * c4);
}

/* The portable loop: each output position against each channel's
 * weights, reordered once per call from (OC, C, KH, KW) to (OC, KH, KW, C)
 * so that the innermost sum runs over channels contiguous in both the
 * image and the weights (the compiler vectorizes it: the stored order
 * strode by KH*KW and was 8x slower on the int8 CNN). Exact int32 sums
 * either way. wt: OC*KH*KW*C bytes of scratch. */
static void product_portable(const dc_k_conv_geom *g, const qconv_layout *l, const uint8_t *img, const int8_t *w, int8_t *wt,
                             float sx, const float *sw, const float *b, float *yt) {
    const int64_t KHW = g->KH * g->KW, K = g->C * KHW;
    for (int64_t o = 0; o < g->OC; o++)
        for (int64_t c = 0; c < g->C; c++)
            for (int64_t k = 0; k < KHW; k++) wt[o * K + k * g->C + c] = w[o * K + c * KHW + k];
    int32_t acc[64];
    for (int64_t oy = 0; oy < g->OH; oy++)
        for (int64_t ox = 0; ox < g->OW; ox++) {
            const uint8_t *px = img + (oy * g->sh * l->Wp + ox * g->sw) * l->Cp;
            float *yr = yt + (oy * g->OW + ox) * g->OC;
            for (int64_t o0 = 0; o0 < g->OC; o0 += 64) {
                const int64_t o1 = o0 + 64 < g->OC ? o0 + 64 : g->OC;
                for (int64_t o = o0; o < o1; o++) {
                    int32_t s = 0;
                    for (int64_t ky = 0; ky < g->KH; ky++)
                        for (int64_t kx = 0; kx < g->KW; kx++) {
                            const uint8_t *pk = px + ((ky * g->dh) * l->Wp + kx * g->dw) * l->Cp;
                            const int8_t *wk = wt + o * K + (ky * g->KW + kx) * g->C;
                            for (int64_t c = 0; c < g->C; c++) s += ((int32_t)pk[c] - 128) * wk[c];
                        }
                    acc[o - o0] = s;
                }
                dc_k_qi8_epilogue(o0, o1, acc, sx, sw, b, yr);
            }
        }
}

static void qconv_sample(const dc_k_conv_geom *g, const float *x, const int8_t *w, const void *packed, const float *sw, const float *b,
                         char *scr, float *y, int vnni) {
    const qconv_layout l = layout(g);
    const size_t CHW = (size_t)(g->C * g->H * g->W);
    float *xt = (float *)scr;
    int8_t *xq = (int8_t *)(scr + align64(CHW * sizeof(float)));
    uint8_t *img = (uint8_t *)xq + align64(CHW);
    int32_t *kofs = (int32_t *)(img + align64((size_t)(l.Hp * l.Wp * l.Cp)));
    float *yt = (float *)((char *)kofs + align64((size_t)l.K4 * sizeof(int32_t)));
    int8_t *wt = (int8_t *)yt + align64((size_t)(g->OH * g->OW * g->OC) * sizeof(float));
    const float sx = make_image(g, &l, x, xt, xq, img);
    if (vnni) {
        kernel_offsets(g, &l, kofs);
        dc_k_qconv_vnni(g, img, l.Wp, l.Cp, kofs, l.K4, packed, l.OCp, sx, sw, b, yt);
    } else {
        product_portable(g, &l, img, w, wt, sx, sw, b, yt);
    }
    dc_k_transpose(yt, g->OH * g->OW, g->OC, y); /* (P, OC) -> (OC, P) */
}

void dc_k_qconv2d_forward(const dc_k_conv_geom *g, const float *x, const int8_t *w, const void *packed, const float *sw, const float *b,
                          void *scratch, float *y) {
    const int64_t CHW = g->C * g->H * g->W, OP = g->OC * g->OH * g->OW;
    const size_t per = sample_bytes(g);
    const int vnni = dc_k_quant_fast();
    DC_PARALLEL_FOR(g->N > 1 && qteam() > 1, n, g->N, {
        qconv_sample(g, x + n * CHW, w, packed, sw, b, (char *)scratch + (size_t)dc_thread_slot() * per, y + n * OP, vnni);
    });
}
