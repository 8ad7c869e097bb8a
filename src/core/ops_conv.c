/* ops_conv.c — the 2-D convolution and max/avg pooling ops (their loops
 * are in kernels/conv.c), zero padding and channel dropout, all channels
 * first (N, C, H, W).
 *
 *   conv:  Z[n,o] = b[o] + sum_{c,i,j} W[o,c,i,j] X[n,c, y*s + i*d - pad, x*s + j*d - pad]
 *          per sample as a product: Z[n]_g (OCg, OH*OW) = W_g (OCg, Cg*KH*KW) @ col[n]_g
 *          dW_g += sum_n dZ[n]_g @ col[n]_g^T     dcol = W_g^T @ dZ[n]_g -> col2im -> dX[n]
 *   pools: max routes the gradient to the argmax; avg spreads it evenly. */
#include "internal.h"
#include "../kernels/kernels.h"
#include <math.h>
#include <string.h>

/* what the backward needs: the geometry (it rebuilds the columns) */
typedef struct {
    dc_k_conv_geom k;
} conv_aux;

static void conv_backward(dc_graph *g, dc_tensor *t) {
    const conv_aux *a = t->ag->aux;
    dc_tensor *x = t->ag->src[0], *w = t->ag->src[1], *b = t->ag->nsrc > 2 ? t->ag->src[2] : NULL;
    float *scratch = dc_arena_alloc_raw(g, sizeof(float) * dc_k_conv2d_backward_scratch(&a->k));
    if (!scratch) return; /* out of memory: error already set */
    dc_k_conv2d_backward(&a->k, x->data, w->data, t->grad, x->requires_grad ? x->grad : NULL, w->requires_grad ? w->grad : NULL,
                         b && b->requires_grad ? b->grad : NULL, scratch);
}
static const dc_op_def op_conv2d = {DC_OP_CONV2D, "conv2d", conv_backward};

int dc_conv_geometry(const dc_tensor *x, const dc_tensor *w, const dc_tensor *b, const dc_conv_params *p, dc_conv_params *qp,
                     dc_k_conv_geom *kg) {
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
        return 0;
    }
    dc_k_conv_geom k = {.N = x->shape[0], .C = x->shape[1], .H = x->shape[2], .W = x->shape[3], .OC = w->shape[0],
                        .KH = w->shape[2], .KW = w->shape[3], .sh = q.stride_h, .sw = q.stride_w, .dh = q.dil_h,
                        .dw = q.dil_w, .pt = q.pad_top, .pl = q.pad_left, .groups = q.groups};
    int64_t eh = q.dil_h * (k.KH - 1) + 1, ew = q.dil_w * (k.KW - 1) + 1;
    int64_t hp = k.H + q.pad_top + q.pad_bottom, wp = k.W + q.pad_left + q.pad_right;
    if (hp < eh || wp < ew) {
        dc_set_error(DC_ERR_INVALID, "conv2d: kernel %lldx%lld (dilated) is larger than the padded input of %s", (long long)k.KH,
                     (long long)k.KW, sx);
        return 0;
    }
    k.OH = (hp - eh) / q.stride_h + 1;
    k.OW = (wp - ew) / q.stride_w + 1;
    *qp = q;
    *kg = k;
    return 1;
}

dc_tensor *dc_conv2d(dc_graph *g, dc_tensor *x, dc_tensor *w, dc_tensor *b, const dc_conv_params *p) {
    if (!dc_check_f32("conv2d", x) || !dc_check_f32("conv2d", w) || (b && !dc_check_f32("conv2d", b))) return NULL;
    dc_conv_params q;
    dc_k_conv_geom k;
    if (!dc_conv_geometry(x, w, b, p, &q, &k)) return NULL;
    int64_t shape[4] = {k.N, k.OC, k.OH, k.OW};
    dc_tensor *srcs[3] = {x, w, b};
    dc_tensor *z = dc_op_output(g, &op_conv2d, 4, shape, srcs, b ? 3 : 2);
    if (!z) return NULL;
    dc_trace_attrs(g, z, &(dc_op_attrs){.conv = q});
    conv_aux *ap = dc_arena_alloc_raw(g, sizeof *ap);
    float *scratch = dc_arena_alloc_raw(g, sizeof(float) * dc_k_conv2d_forward_scratch(&k));
    if (!ap || !scratch) return NULL;
    *ap = (conv_aux){.k = k};
    z->ag->aux = ap;
    dc_k_conv2d_forward(&k, x->data, w->data, b ? b->data : NULL, scratch, z->data);
    return z;
}

/* ---- pooling ----------------------------------------------------------------- */

typedef struct {
    dc_k_pool_geom k;
    int32_t *arg; /* max: flat index in the input plane of each output */
} pool_aux;

static void pool_backward(dc_graph *g, dc_tensor *t) {
    (void)g;
    const pool_aux *a = t->ag->aux;
    dc_k_pool2d_backward(&a->k, t->grad, a->arg, t->ag->src[0]->grad);
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
    dc_k_pool_geom k = {.is_max = is_max, .kh = kh, .kw = kw, .sh = sh, .sw = sw, .ph = ph, .pw = pw,
                        .planes = x->shape[0] * x->shape[1], .H = x->shape[2], .W = x->shape[3]};
    k.OH = (k.H + 2 * ph - kh) / sh + 1;
    k.OW = (k.W + 2 * pw - kw) / sw + 1;
    int64_t shape[4] = {x->shape[0], x->shape[1], k.OH, k.OW};
    dc_tensor *z = dc_op_output(g, is_max ? &op_maxpool : &op_avgpool, 4, shape, &x, 1);
    pool_aux *ap = z ? dc_arena_alloc_raw(g, sizeof *ap) : NULL;
    if (!ap) return NULL;
    *ap = (pool_aux){.k = k};
    /* the argmax only where a backward will read it */
    if (is_max && z->requires_grad && !(ap->arg = dc_arena_alloc_raw(g, sizeof(int32_t) * (size_t)(k.planes * k.OH * k.OW))))
        return NULL;
    z->ag->aux = ap;
    dc_trace_attrs(g, z, &(dc_op_attrs){.kh = kh, .kw = kw, .conv = {.stride_h = sh, .stride_w = sw, .pad_top = ph, .pad_left = pw}});
    dc_k_pool2d_forward(&k, x->data, z->data, ap->arg);
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
    dc_tensor *x = t->ag->src[0];
    const int64_t H = x->shape[x->ndim - 2], W = x->shape[x->ndim - 1], planes = x->size / (H * W);
    const int64_t OH = t->shape[t->ndim - 2], OW = t->shape[t->ndim - 1], top = t->ag->iarg[0], left = t->ag->iarg[2];
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
    z->ag->iarg[0] = top;
    z->ag->iarg[1] = bottom;
    z->ag->iarg[2] = left;
    z->ag->iarg[3] = right;
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
    const float *m = t->ag->aux;
    const int64_t inner = t->ag->iarg[0];
    for (int64_t i = 0; i < t->size; i++) t->ag->src[0]->grad[i] += t->grad[i] * m[i / inner];
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
    z->ag->aux = m;
    z->ag->iarg[0] = inner ? inner : 1;
    float keep = 1.0f / (1.0f - p);
    for (int64_t s = 0; s < slices; s++) m[s] = dc_rng_uniform(rng) >= p ? keep : 0.0f;
    for (int64_t i = 0; i < x->size; i++) z->data[i] = x->data[i] * m[i / inner];
    return z;
}
