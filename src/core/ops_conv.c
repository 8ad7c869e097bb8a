/* ops_conv.c — 2-D convolution (im2col + GEMM), max/avg pooling, zero
 * padding and channel dropout, all channels first (N, C, H, W).
 *
 *   conv:  Z[n,o] = b[o] + sum_{c,i,j} W[o,c,i,j] X[n,c, y*s + i*d - pad, x*s + j*d - pad]
 *          as a product: Z_g (OCg, N*OH*OW) = W_g (OCg, Cg*KH*KW) @ col_g
 *          dW_g += dZ_g @ col_g^T     dcol_g = W_g^T @ dZ_g -> col2im -> dX
 *   pools: max routes the gradient to the argmax; avg spreads it evenly. */
#include "internal.h"
#include "../kernels/kernels.h"
#include <math.h>
#include <string.h>

typedef struct {
    dc_conv_params p;
    int64_t N, C, H, W, OC, KH, KW, OH, OW;
    float *col; /* (C*KH*KW, N*OH*OW), kept for backward */
} conv_aux;

/* col[(c*KH + i)*KW + j][n*OH*OW + y*OW + x] = X[n, c, y*sh + i*dh - pt, x*sw + j*dw - pl] (0 outside) */
static void im2col(const conv_aux *a, const float *X, int64_t c0, int64_t cn, float *col) {
    const int64_t KH = a->KH, KW = a->KW, K = cn * KH * KW, OH = a->OH, OW = a->OW, P = OH * OW, NP = a->N * P;
    const int64_t N = a->N, C = a->C, H = a->H, W = a->W, sh = a->p.stride_h, sw = a->p.stride_w;
    const int64_t dh = a->p.dil_h, dw = a->p.dil_w, pt = a->p.pad_top, pl = a->p.pad_left;
#pragma omp parallel for num_threads(dc_k_run_threads()) if (K * NP > DC_PAR_MIN) schedule(static)
    for (int64_t r = 0; r < K; r++) {
        int64_t c = c0 + r / (KH * KW), i = (r / KW) % KH, j = r % KW;
        float *dst = col + r * NP;
        /* the output columns whose input column is inside the image */
        int64_t x_lo = 0, x_hi = OW;
        while (x_lo < OW && x_lo * sw + j * dw - pl < 0) x_lo++;
        while (x_hi > x_lo && (x_hi - 1) * sw + j * dw - pl >= W) x_hi--;
        for (int64_t n = 0; n < N; n++) {
            const float *src = X + (n * C + c) * H * W;
            for (int64_t y = 0; y < OH; y++) {
                int64_t iy = y * sh + i * dh - pt;
                float *d = dst + n * P + y * OW;
                if (iy < 0 || iy >= H) {
                    memset(d, 0, sizeof(float) * (size_t)OW);
                    continue;
                }
                const float *srow = src + iy * W + j * dw - pl;
                for (int64_t x = 0; x < x_lo; x++) d[x] = 0.0f;
                if (sw == 1) memcpy(d + x_lo, srow + x_lo, sizeof(float) * (size_t)(x_hi - x_lo));
                else
                    for (int64_t x = x_lo; x < x_hi; x++) d[x] = srow[x * sw];
                for (int64_t x = x_hi; x < OW; x++) d[x] = 0.0f;
            }
        }
    }
}

/* dX += col2im(dcol): the inverse scatter of im2col. Parallel over channels:
 * each channel's rows only touch that channel, so the sums keep their order. */
static void col2im(const conv_aux *a, const float *dcol, int64_t c0, int64_t cn, float *dX) {
    const int64_t P = a->OH * a->OW, NP = a->N * P, KK = a->KH * a->KW;
#pragma omp parallel for num_threads(dc_k_run_threads()) if (cn * KK * NP > DC_PAR_MIN) schedule(static)
    for (int64_t cc = 0; cc < cn; cc++) {
        int64_t c = c0 + cc;
        for (int64_t k = 0; k < KK; k++) {
            int64_t i = k / a->KW, j = k % a->KW;
            const float *src = dcol + (cc * KK + k) * NP;
            for (int64_t n = 0; n < a->N; n++) {
                float *dst = dX + (n * a->C + c) * a->H * a->W;
                for (int64_t y = 0; y < a->OH; y++) {
                    int64_t iy = y * a->p.stride_h + i * a->p.dil_h - a->p.pad_top;
                    if (iy < 0 || iy >= a->H) continue;
                    const float *s = src + n * P + y * a->OW;
                    for (int64_t x = 0; x < a->OW; x++) {
                        int64_t ix = x * a->p.stride_w + j * a->p.dil_w - a->p.pad_left;
                        if (ix >= 0 && ix < a->W) dst[iy * a->W + ix] += s[x];
                    }
                }
            }
        }
    }
}

static void conv_backward(dc_graph *g, dc_tensor *t) {
    const conv_aux *a = t->aux;
    dc_tensor *x = t->src[0], *w = t->src[1], *b = t->nsrc > 2 ? t->src[2] : NULL;
    const int64_t G = a->p.groups, Cg = a->C / G, OCg = a->OC / G, K = Cg * a->KH * a->KW;
    const int64_t N = a->N, P = a->OH * a->OW, NP = N * P, OC = a->OC;
    float *dcol = x->requires_grad ? dc_arena_alloc_raw(g, sizeof(float) * (size_t)(K * NP)) : NULL;
    if (x->requires_grad && !dcol) return; /* out of memory: error already set */
    if (b && b->requires_grad)
        for (int64_t o = 0; o < OC; o++) {
            double s = 0.0;
            for (int64_t n = 0; n < N; n++)
                for (int64_t k = 0; k < P; k++) s += t->grad[(n * OC + o) * P + k];
            b->grad[o] += (float)s;
        }
    for (int64_t gi = 0; gi < G; gi++) {
        const float *colg = a->col + gi * K * NP, *wg = w->data + gi * OCg * K;
        /* dW_g += sum_n dZ[n]_g (OCg, P) @ col_g[:, n]^T: samples in order */
        if (w->requires_grad)
            for (int64_t n = 0; n < N; n++)
                dc_k_gemm(0, 1, OCg, K, P, 1.0f, t->grad + (n * OC + gi * OCg) * P, P, colg + n * P, NP, 1.0f,
                          w->grad + gi * OCg * K, K);
        if (x->requires_grad) {
            /* dcol[:, n] = W_g^T @ dZ[n]_g: one product per sample, in parallel */
            if (N > 1 && K * NP * OCg > (int64_t)DC_GEMM_PAR_MIN) {
#pragma omp parallel for num_threads(dc_k_run_threads()) schedule(static)
                for (int64_t n = 0; n < N; n++)
                    dc_k_gemm(1, 0, K, P, OCg, 1.0f, wg, K, t->grad + (n * OC + gi * OCg) * P, P, 0.0f, dcol + n * P, NP);
            } else {
                for (int64_t n = 0; n < N; n++)
                    dc_k_gemm(1, 0, K, P, OCg, 1.0f, wg, K, t->grad + (n * OC + gi * OCg) * P, P, 0.0f, dcol + n * P, NP);
            }
            col2im(a, dcol, gi * Cg, Cg, x->grad);
        }
    }
}
static const dc_op_def op_conv2d = {DC_OP_CONV2D, "conv2d", conv_backward};

/* Z[n]_g (OCg, P) = W_g @ col_g[:, n*P:(n+1)*P] (+ bias), into the output */
static void conv_forward_one(const conv_aux *a, const dc_tensor *x, const dc_tensor *w, const dc_tensor *b,
                             const float *col, dc_tensor *z, int64_t n, int64_t gi) {
    const int64_t G = a->p.groups, OCg = a->OC / G, K = (a->C / G) * a->KH * a->KW, P = a->OH * a->OW, NP = a->N * P;
    float *zn = z->data + (n * a->OC + gi * OCg) * P;
    (void)x;
    if (b)
        for (int64_t o = 0; o < OCg; o++)
            for (int64_t k = 0; k < P; k++) zn[o * P + k] = b->data[gi * OCg + o];
    dc_k_gemm(0, 0, OCg, P, K, 1.0f, w->data + gi * OCg * K, K, col + gi * K * NP + n * P, NP, b ? 1.0f : 0.0f, zn, P);
}

dc_tensor *dc_conv2d(dc_graph *g, dc_tensor *x, dc_tensor *w, dc_tensor *b, const dc_conv_params *p) {
    if (!dc_check_f32("conv2d", x) || !dc_check_f32("conv2d", w) || (b && !dc_check_f32("conv2d", b))) return NULL;
    dc_conv_params q = *p;
    if (q.stride_h < 1) q.stride_h = 1;
    if (q.stride_w < 1) q.stride_w = 1;
    if (q.dil_h < 1) q.dil_h = 1;
    if (q.dil_w < 1) q.dil_w = 1;
    if (q.groups < 1) q.groups = 1;
    char sx[128], sw[128];
    dc_shape_str(x, sx, sizeof sx);
    dc_shape_str(w, sw, sizeof sw);
    if (x->ndim != 4 || w->ndim != 4 || x->shape[1] % q.groups || w->shape[0] % q.groups ||
        w->shape[1] * q.groups != x->shape[1] || (b && (b->ndim != 1 || b->shape[0] != w->shape[0])) ||
        q.pad_top < 0 || q.pad_bottom < 0 || q.pad_left < 0 || q.pad_right < 0) {
        dc_set_error(DC_ERR_INVALID, "conv2d: input %s and weight %s do not fit (need (N,C,H,W), (OC,C/groups,KH,KW), groups %d)",
                     sx, sw, q.groups);
        return NULL;
    }
    conv_aux a = {.p = q, .N = x->shape[0], .C = x->shape[1], .H = x->shape[2], .W = x->shape[3], .OC = w->shape[0],
                  .KH = w->shape[2], .KW = w->shape[3]};
    int64_t eh = q.dil_h * (a.KH - 1) + 1, ew = q.dil_w * (a.KW - 1) + 1;
    int64_t hp = a.H + q.pad_top + q.pad_bottom, wp = a.W + q.pad_left + q.pad_right;
    if (hp < eh || wp < ew) {
        dc_set_error(DC_ERR_INVALID, "conv2d: kernel %lldx%lld (dilated) is larger than the padded input of %s", (long long)a.KH,
                     (long long)a.KW, sx);
        return NULL;
    }
    a.OH = (hp - eh) / q.stride_h + 1;
    a.OW = (wp - ew) / q.stride_w + 1;
    int64_t shape[4] = {a.N, a.OC, a.OH, a.OW};
    dc_tensor *srcs[3] = {x, w, b};
    dc_tensor *z = dc_op_output(g, &op_conv2d, 4, shape, srcs, b ? 3 : 2);
    if (!z) return NULL;
    dc_trace_attrs(g, z, &(dc_op_attrs){.conv = q});
    const int64_t G = q.groups, Cg = a.C / G, OCg = a.OC / G, K = Cg * a.KH * a.KW, P = a.OH * a.OW, N = a.N, NP = N * P;
    conv_aux *ap = dc_arena_alloc_raw(g, sizeof *ap);
    float *col = dc_arena_alloc_raw(g, sizeof(float) * (size_t)(G * K * NP));
    if (!ap || !col) return NULL;
    *ap = a;
    ap->col = col;
    z->aux = ap;
    for (int64_t gi = 0; gi < G; gi++) im2col(ap, x->data, gi * Cg, Cg, col + gi * K * NP);
    /* one product per sample, written straight into the (N, OC, OH, OW)
     * output; in parallel over samples (each single-threaded inside, so the
     * result does not depend on scheduling) */
    const int par = N * G > 1 && OCg * NP * K > (int64_t)DC_GEMM_PAR_MIN;
    if (par) {
#pragma omp parallel for num_threads(dc_k_run_threads()) collapse(2) schedule(static)
        for (int64_t n = 0; n < N; n++)
            for (int64_t gi = 0; gi < G; gi++) conv_forward_one(&a, x, w, b, col, z, n, gi);
    } else { /* one sample: let the GEMM itself use the threads */
        for (int64_t n = 0; n < N; n++)
            for (int64_t gi = 0; gi < G; gi++) conv_forward_one(&a, x, w, b, col, z, n, gi);
    }
    return z;
}

/* ---- pooling ----------------------------------------------------------------- */

typedef struct {
    int kh, kw, sh, sw, ph, pw;
    int64_t N, C, H, W, OH, OW;
    int32_t *arg; /* max: flat index in the input plane of each output */
} pool_aux;

static void pool_backward(dc_graph *g, dc_tensor *t) {
    (void)g;
    const pool_aux *a = t->aux;
    float *gx = t->src[0]->grad;
    const int64_t planes = a->N * a->C, P = a->OH * a->OW, HW = a->H * a->W;
    const int is_max = a->arg != NULL;
    const float inv = 1.0f / (float)(a->kh * a->kw);
#pragma omp parallel for num_threads(dc_k_run_threads()) if (planes * P > DC_PAR_MIN) schedule(static)
    for (int64_t pl = 0; pl < planes; pl++) {
        const float *gz = t->grad + pl * P;
        float *gp = gx + pl * HW;
        for (int64_t y = 0; y < a->OH; y++)
            for (int64_t x = 0; x < a->OW; x++) {
                float gv = gz[y * a->OW + x];
                if (is_max) {
                    int32_t k = a->arg[pl * P + y * a->OW + x];
                    if (k >= 0) gp[k] += gv;
                    continue;
                }
                for (int i = 0; i < a->kh; i++) {
                    int64_t iy = y * a->sh + i - a->ph;
                    if (iy < 0 || iy >= a->H) continue;
                    for (int j = 0; j < a->kw; j++) {
                        int64_t ix = x * a->sw + j - a->pw;
                        if (ix >= 0 && ix < a->W) gp[iy * a->W + ix] += gv * inv;
                    }
                }
            }
    }
}
static const dc_op_def op_maxpool = {DC_OP_MAXPOOL2D, "maxpool2d", pool_backward};
static const dc_op_def op_avgpool = {DC_OP_AVGPOOL2D, "avgpool2d", pool_backward};

static dc_tensor *pool(dc_graph *g, dc_tensor *x, int kh, int kw, int sh, int sw, int ph, int pw, int is_max) {
    const char *name = is_max ? "maxpool2d" : "avgpool2d";
    if (!dc_check_f32(name, x)) return NULL;
    if (sh <= 0) sh = kh;
    if (sw <= 0) sw = kw;
    if (x->ndim != 4 || kh < 1 || kw < 1 || ph < 0 || pw < 0 || 2 * ph > kh || 2 * pw > kw ||
        x->shape[2] + 2 * ph < kh || x->shape[3] + 2 * pw < kw) {
        char sx[128];
        dc_shape_str(x, sx, sizeof sx);
        dc_set_error(DC_ERR_INVALID, "%s: window %dx%d (padding %d,%d) does not fit input %s (need (N,C,H,W), padding at most half the window)",
                     name, kh, kw, ph, pw, sx);
        return NULL;
    }
    pool_aux a = {kh, kw, sh, sw, ph, pw, x->shape[0], x->shape[1], x->shape[2], x->shape[3], 0, 0, NULL};
    a.OH = (a.H + 2 * ph - kh) / sh + 1;
    a.OW = (a.W + 2 * pw - kw) / sw + 1;
    int64_t shape[4] = {a.N, a.C, a.OH, a.OW};
    dc_tensor *z = dc_op_output(g, is_max ? &op_maxpool : &op_avgpool, 4, shape, &x, 1);
    pool_aux *ap = z ? dc_arena_alloc_raw(g, sizeof *ap) : NULL;
    if (!ap) return NULL;
    const int64_t planes = a.N * a.C, P = a.OH * a.OW, HW = a.H * a.W;
    if (is_max && !(a.arg = dc_arena_alloc_raw(g, sizeof(int32_t) * (size_t)(planes * P)))) return NULL;
    /* (the inference path below leaves arg unused: nothing reads it without a tape) */
    *ap = a;
    z->aux = ap;
    dc_trace_attrs(g, z, &(dc_op_attrs){.kh = kh, .kw = kw, .conv = {.stride_h = sh, .stride_w = sw, .pad_top = ph, .pad_left = pw}});
    const float inv = 1.0f / (float)(kh * kw);
    const float *X = x->data;
    float *Z = z->data;
    int32_t *ARG = a.arg;
    const int64_t H = a.H, W = a.W, OH = a.OH, OW = a.OW;
    if (is_max && kh == 2 && kw == 2 && sh == 2 && sw == 2 && ph == 0 && pw == 0 && !z->requires_grad) {
        /* inference: no argmax to remember, just the maxima */
#pragma omp parallel for num_threads(dc_k_run_threads()) if (planes * P > DC_PAR_MIN) schedule(static)
        for (int64_t pl = 0; pl < planes; pl++) {
            const float *xp = X + pl * HW;
            float *zp = Z + pl * P;
            for (int64_t y = 0; y < OH; y++) {
                const float *r0 = xp + 2 * y * W, *r1 = r0 + W;
                for (int64_t xo = 0; xo < OW; xo++) {
                    float a0 = r0[2 * xo] > r0[2 * xo + 1] ? r0[2 * xo] : r0[2 * xo + 1];
                    float a1 = r1[2 * xo] > r1[2 * xo + 1] ? r1[2 * xo] : r1[2 * xo + 1];
                    zp[y * OW + xo] = a0 > a1 ? a0 : a1;
                }
            }
        }
        return z;
    }
    if (is_max && kh == 2 && kw == 2 && sh == 2 && sw == 2 && ph == 0 && pw == 0) {
        /* the common 2x2/2 max pool: no bounds to check */
#pragma omp parallel for num_threads(dc_k_run_threads()) if (planes * P > DC_PAR_MIN) schedule(static)
        for (int64_t pl = 0; pl < planes; pl++) {
            const float *xp = X + pl * HW;
            float *zp = Z + pl * P;
            int32_t *ap = ARG + pl * P;
            for (int64_t y = 0; y < OH; y++) {
                const float *r0 = xp + 2 * y * W, *r1 = r0 + W;
                for (int64_t xo = 0; xo < OW; xo++) {
                    int64_t c = 2 * xo;
                    float best = r0[c];
                    int32_t arg = (int32_t)(2 * y * W + c);
                    if (r0[c + 1] > best) best = r0[c + 1], arg = (int32_t)(2 * y * W + c + 1);
                    if (r1[c] > best) best = r1[c], arg = (int32_t)((2 * y + 1) * W + c);
                    if (r1[c + 1] > best) best = r1[c + 1], arg = (int32_t)((2 * y + 1) * W + c + 1);
                    zp[y * OW + xo] = best;
                    ap[y * OW + xo] = arg;
                }
            }
        }
        return z;
    }
#pragma omp parallel for num_threads(dc_k_run_threads()) if (planes * P > DC_PAR_MIN) schedule(static)
    for (int64_t pl = 0; pl < planes; pl++) {
        const float *xp = X + pl * HW;
        for (int64_t y = 0; y < OH; y++)
            for (int64_t xo = 0; xo < OW; xo++) {
                float best = -INFINITY, sum = 0.0f;
                int32_t arg = -1;
                for (int i = 0; i < kh; i++) {
                    int64_t iy = y * sh + i - ph;
                    if (iy < 0 || iy >= H) continue;
                    for (int j = 0; j < kw; j++) {
                        int64_t ix = xo * sw + j - pw;
                        if (ix < 0 || ix >= W) continue;
                        float v = xp[iy * W + ix];
                        sum += v;
                        if (v > best || arg < 0) best = v, arg = (int32_t)(iy * W + ix);
                    }
                }
                Z[pl * P + y * OW + xo] = is_max ? best : sum * inv;
                if (is_max) ARG[pl * P + y * OW + xo] = arg;
            }
    }
    return z;
}

dc_tensor *dc_maxpool2d(dc_graph *g, dc_tensor *x, int kh, int kw, int sh, int sw, int ph, int pw) {
    return pool(g, x, kh, kw, sh, sw, ph, pw, 1);
}
dc_tensor *dc_avgpool2d(dc_graph *g, dc_tensor *x, int kh, int kw, int sh, int sw, int ph, int pw) {
    return pool(g, x, kh, kw, sh, sw, ph, pw, 0);
}

/* ---- zero padding -------------------------------------------------------------- */

static void pad_backward(dc_graph *g, dc_tensor *t) {
    (void)g;
    dc_tensor *x = t->src[0];
    const int64_t H = x->shape[x->ndim - 2], W = x->shape[x->ndim - 1], planes = x->size / (H * W);
    const int64_t OH = t->shape[t->ndim - 2], OW = t->shape[t->ndim - 1], top = t->iarg[0], left = t->iarg[2];
    for (int64_t pl = 0; pl < planes; pl++)
        for (int64_t y = 0; y < H; y++)
            for (int64_t xx = 0; xx < W; xx++)
                x->grad[(pl * H + y) * W + xx] += t->grad[(pl * OH + y + top) * OW + xx + left];
}
static const dc_op_def op_pad = {DC_OP_PAD2D, "pad2d", pad_backward};

dc_tensor *dc_pad2d(dc_graph *g, dc_tensor *x, int top, int bottom, int left, int right) {
    if (!dc_check_f32("pad2d", x)) return NULL;
    if (x->ndim < 2 || top < 0 || bottom < 0 || left < 0 || right < 0) {
        dc_set_error(DC_ERR_INVALID, "pad2d: needs at least 2 dimensions and non-negative padding");
        return NULL;
    }
    int64_t s[DC_MAX_DIMS];
    memcpy(s, x->shape, sizeof s);
    const int64_t H = s[x->ndim - 2], W = s[x->ndim - 1], planes = x->size / (H * W != 0 ? H * W : 1);
    s[x->ndim - 2] += top + bottom;
    s[x->ndim - 1] += left + right;
    dc_tensor *z = dc_op_output(g, &op_pad, x->ndim, s, &x, 1);
    if (!z) return NULL;
    z->iarg[0] = top;
    z->iarg[1] = bottom;
    z->iarg[2] = left;
    z->iarg[3] = right;
    dc_trace_attrs(g, z, &(dc_op_attrs){.conv = {.pad_top = top, .pad_bottom = bottom, .pad_left = left, .pad_right = right}});
    const int64_t OH = s[x->ndim - 2], OW = s[x->ndim - 1];
    memset(z->data, 0, sizeof(float) * (size_t)z->size);
    for (int64_t pl = 0; pl < planes; pl++)
        for (int64_t y = 0; y < H; y++)
            memcpy(z->data + (pl * OH + y + top) * OW + left, x->data + (pl * H + y) * W, sizeof(float) * (size_t)W);
    return z;
}

/* ---- channel dropout ----------------------------------------------------------- */

static void chdrop_backward(dc_graph *g, dc_tensor *t) {
    (void)g;
    const float *m = t->aux;
    const int64_t inner = t->iarg[0];
    for (int64_t i = 0; i < t->size; i++) t->src[0]->grad[i] += t->grad[i] * m[i / inner];
}
static const dc_op_def op_chdrop = {DC_OP_DROPOUT_CHANNELS, "dropout_channels", chdrop_backward};

dc_tensor *dc_dropout_channels(dc_graph *g, dc_tensor *x, float p) {
    if (!dc_check_f32("dropout_channels", x)) return NULL;
    if (!(p >= 0.0f && p < 1.0f) || x->ndim < 3) {
        dc_set_error(DC_ERR_INVALID, "dropout_channels: rate %g must be in [0, 1) and the input (N, C, ...)", p);
        return NULL;
    }
    if (!dc_graph_training(g) || p == 0.0f) return x;
    dc_rng *rng = dc_graph_rng(g);
    if (!rng) {
        dc_set_error(DC_ERR_INVALID, "dropout_channels: training mode needs a generator (dc_graph_set_rng)");
        return NULL;
    }
    dc_tensor *z = dc_op_output(g, &op_chdrop, x->ndim, x->shape, &x, 1);
    const int64_t slices = x->shape[0] * x->shape[1], inner = x->size / (slices ? slices : 1);
    float *m = z ? dc_arena_alloc_raw(g, sizeof(float) * (size_t)(slices ? slices : 1)) : NULL;
    if (!m) return NULL;
    z->aux = m;
    z->iarg[0] = inner ? inner : 1;
    float keep = 1.0f / (1.0f - p);
    for (int64_t s = 0; s < slices; s++) m[s] = dc_rng_uniform(rng) >= p ? keep : 0.0f;
    for (int64_t i = 0; i < x->size; i++) z->data[i] = x->data[i] * m[i / inner];
    return z;
}
