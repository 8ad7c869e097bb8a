/* ops_quant.c — products and lookups on quantized weights, for inference
 * (no gradient: a quantized model is not trained; --init-from dequantizes).
 *
 * A quantized weight is two tensors: int8 values (out, in) with an F32
 * scale per row (out), or 4-bit values packed two to a byte as U8
 * (out, in / 2) with an F16 scale per block of 32 (out, in / 32): q4_0
 * (docs/FORMATS.md). qlinear quantizes its input on the fly (per row for
 * int8 weights, per block of 32 for 4-bit) and multiplies integers
 * (src/kernels/quant.c); qembedding and dequantize turn rows back into
 * floats. */
#include "internal.h"
#include "../kernels/kernels.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const dc_op_def op_qlinear = {DC_OP_QLINEAR, "qlinear", NULL};
static const dc_op_def op_qlinear_static = {DC_OP_QLINEAR_STATIC, "qlinear_static", NULL};
static const dc_op_def op_qembedding = {DC_OP_QEMBEDDING, "qembedding", NULL};
static const dc_op_def op_dequantize_q4 = {DC_OP_DEQUANTIZE, "dequantize", NULL};
static const dc_op_def op_qconv2d = {DC_OP_QCONV2D, "qconv2d", NULL};

/* Patches of fewer values than this convolve as floats: the Fashion CNN's
 * first layer (9 values per patch) took 2.2x longer in int8 (bench/quant.py) */
#define DC_QCONV_MIN_K 64

int64_t dc_quant_cols(const dc_tensor *w, const dc_tensor *scale) {
    if (!w || !scale || w->ndim != 2) return -1;
    const int64_t rows = w->shape[0];
    if (w->dtype == DC_I8 && scale->dtype == DC_F32 && scale->size == rows) return w->shape[1];
    if (w->dtype == DC_U8 && scale->dtype == DC_F16 && scale->ndim == 2 && scale->shape[0] == rows &&
        scale->shape[1] * DC_Q4_BLOCK == 2 * w->shape[1])
        return 2 * w->shape[1];
    return -1;
}

/* The weight pair's columns, or -1 with an error naming the op. */
static int64_t check_pair(const char *op, const dc_tensor *w, const dc_tensor *scale) {
    const int64_t cols = dc_quant_cols(w, scale);
    if (cols < 0) {
        char sw[128] = "none", ss[128] = "none";
        if (w) dc_shape_str(w, sw, sizeof sw);
        if (scale) dc_shape_str(scale, ss, sizeof ss);
        dc_set_error(DC_ERR_INVALID, "%s: needs I8 (out, in) values with an F32 scale per row, or packed 4-bit U8 (out, in/2) with "
                                     "an F16 scale per 32 values (out, in/32); got %s %s and %s %s", op,
                     w ? dc_dtype_name(w->dtype) : "", sw, scale ? dc_dtype_name(scale->dtype) : "", ss);
    }
    return cols;
}

/* What a product derives from an int8 weight once and keeps with it
 * (t->ag->packed, freed with it): a convolution's kernel in the product's
 * order (dc_k_qconv_pack), a matrix's row sums (the zero point's term of
 * static quantization). Sessions on several threads may make it at once,
 * so the pointer is set by one compare-and-swap and the loser frees its
 * copy. The copy records which bytes it was made from and what it is; a
 * weight repointed since (or one made in a graph) has it made again for
 * this call, in the arena. Quantized weights are never changed in place. */
typedef enum { DERIVED_CONV_PACK = 1, DERIVED_ROW_SUMS } derived_kind;

typedef struct {
    const void *raw;
    size_t bytes;
    derived_kind kind;
} derived_head;

typedef void (*derive_fn)(const dc_tensor *w, const void *arg, void *out);

static const void *derived(dc_graph *g, dc_tensor *w, derived_kind kind, size_t bytes, derive_fn make, const void *arg) {
    const size_t head = (sizeof(derived_head) + 63) / 64 * 64;
    struct dc_autograd *ag = w->ag;
    if (ag && !ag->graph) {
        const derived_head *h = __atomic_load_n(&ag->packed, __ATOMIC_ACQUIRE);
        if (!h) {
            derived_head *n = aligned_alloc(64, head + (bytes + 63) / 64 * 64);
            if (n) {
                n->raw = w->raw, n->bytes = bytes, n->kind = kind;
                make(w, arg, (char *)n + head);
                void *expect = NULL;
                if (__atomic_compare_exchange_n(&ag->packed, &expect, n, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) h = n;
                else {
                    free(n);
                    h = expect;
                }
            }
        }
        if (h && h->raw == w->raw && h->bytes == bytes && h->kind == kind) return (const char *)h + head;
    }
    void *p = dc_arena_alloc_raw(g, bytes);
    if (p) make(w, arg, p);
    return p;
}

static void make_conv_pack(const dc_tensor *w, const void *geom, void *out) { dc_k_qconv_pack(geom, w->raw, out); }

static void make_row_sums(const dc_tensor *w, const void *unused, void *out) {
    (void)unused;
    const int64_t N = w->shape[0], K = w->shape[1];
    const int8_t *q = w->raw;
    int32_t *s = out;
    for (int64_t n = 0; n < N; n++) {
        int32_t t = 0;
        for (int64_t k = 0; k < K; k++) t += q[n * K + k];
        s[n] = t;
    }
}

static int dc_zero_point_ok(const dc_tensor *zp) {
    return zp && zp->dtype == DC_F32 && zp->size == 1 && dc_k_zero_point_ok(zp->data[0]);
}

/* act, zp: the input's fixed scale and zero point (F32 scalars, static
 * quantization), or NULL (per row, dynamic) */
static dc_tensor *qlinear(dc_graph *g, dc_tensor *x, dc_tensor *w, dc_tensor *scale, dc_tensor *act, dc_tensor *zp, dc_tensor *b) {
    if (!x || !w || !scale) return NULL;
    const int64_t K = check_pair("qlinear", w, scale), N = w->shape[0];
    if (K < 0 || !dc_check_f32("qlinear", x) || (b && !dc_check_f32("qlinear", b))) return NULL;
    if (x->ndim < 2 || x->shape[x->ndim - 1] != K || (b && (b->ndim != 1 || b->shape[0] != N)) || K > DC_QK_MAX) {
        char sx[128];
        dc_shape_str(x, sx, sizeof sx);
        dc_set_error(DC_ERR_INVALID, "qlinear: input %s against a quantized weight of %lld x %lld%s", sx, (long long)N, (long long)K,
                     K > DC_QK_MAX ? " (more than 131072 inputs per output: keep this layer float)" : "");
        return NULL;
    }
    if (x->requires_grad && dc_graph_grad_enabled(g)) {
        dc_set_error(DC_ERR_INVALID, "qlinear: a quantized weight has no gradient (train from a float copy: --init-from)");
        return NULL;
    }
    const int64_t M = x->size / K;
    int64_t shape[DC_MAX_DIMS];
    memcpy(shape, x->shape, sizeof(int64_t) * (size_t)x->ndim);
    shape[x->ndim - 1] = N;
    if (act && (act->dtype != DC_F32 || act->size != 1 || !(act->data[0] > 0.0f) || !isfinite(act->data[0]) || w->dtype != DC_I8 ||
                !dc_zero_point_ok(zp) || K > DC_QK_STATIC_MAX)) {
        dc_set_error(DC_ERR_INVALID, "qlinear_static: needs int8 weights of at most %d columns, a positive finite F32 input scale "
                                     "and an F32 zero point holding an integer in [0, 255]", DC_QK_STATIC_MAX);
        return NULL;
    }
    dc_tensor *srcs[6] = {x, w, scale, act, zp, b}, *dsrcs[4] = {x, w, scale, b};
    dc_tensor *z = act ? dc_op_output_typed(g, &op_qlinear_static, DC_F32, x->ndim, shape, srcs, b ? 6 : 5)
                       : dc_op_output_typed(g, &op_qlinear, DC_F32, x->ndim, shape, dsrcs, b ? 4 : 3);
    if (!z) return NULL;
    const int q4 = w->dtype == DC_U8;
    int8_t *xq = dc_arena_alloc_raw(g, (size_t)(M * K));
    float *sx = dc_arena_alloc_raw(g, sizeof(float) * (size_t)(q4 ? M * (K / DC_Q4_BLOCK) : M));
    int32_t *xs = dc_arena_alloc_raw(g, sizeof(int32_t) * (size_t)(q4 ? M * K / 4 : M));
    if (!xq || !sx || !xs) return NULL;
    if (q4) {
        dc_k_quantize_act_blocks(x->data, M, K, xq, sx, xs);
        dc_k_qgemm_q4(M, N, K, xq, sx, xs, w->raw, scale->raw, b ? b->data : NULL, z->data);
    } else {
        const float *bias = b ? b->data : NULL;
        if (act) { /* static: the zero point's term folded into the bias */
            const int zero = (int)zp->data[0] - 128;
            dc_k_quantize_act_static(x->data, M, K, act->data[0], zero, xq, sx, xs);
            if (zero) {
                const int32_t *wsum = derived(g, w, DERIVED_ROW_SUMS, sizeof(int32_t) * (size_t)N, make_row_sums, NULL);
                float *cb = dc_arena_alloc_raw(g, sizeof(float) * (size_t)N);
                if (!wsum || !cb) return NULL;
                dc_k_zero_point_bias(N, zero, wsum, act->data[0], scale->data, bias, cb);
                bias = cb;
            }
        } else {
            dc_k_quantize_act_rows(x->data, M, K, xq, sx, xs);
        }
        dc_k_qgemm_i8(M, N, K, xq, sx, xs, w->raw, scale->data, bias, z->data);
    }
    return z;
}

dc_tensor *dc_qlinear(dc_graph *g, dc_tensor *x, dc_tensor *w, dc_tensor *scale, dc_tensor *b) { return qlinear(g, x, w, scale, NULL, NULL, b); }

dc_tensor *dc_qlinear_static(dc_graph *g, dc_tensor *x, dc_tensor *w, dc_tensor *scale, dc_tensor *act_scale, dc_tensor *act_zero_point,
                             dc_tensor *b) {
    if (!act_scale || !act_zero_point) return NULL;
    return qlinear(g, x, w, scale, act_scale, act_zero_point, b);
}

/* rows [r0, r0 + n) of a quantized table as floats */
static void dequantize_rows(const dc_tensor *w, const dc_tensor *scale, int64_t K, int64_t r0, int64_t n, float *out) {
    if (w->dtype == DC_U8)
        dc_k_dequantize_q4_rows((const uint8_t *)w->raw + r0 * (K / 2), (const uint16_t *)scale->raw + r0 * (K / DC_Q4_BLOCK), n, K, out);
    else dc_k_dequantize_rows_i8((const int8_t *)w->raw + r0 * K, scale->data + r0, n, K, out);
}

dc_tensor *dc_qembedding(dc_graph *g, dc_tensor *w, dc_tensor *scale, dc_tensor *ids) {
    if (!w || !scale || !ids) return NULL;
    const int64_t E = check_pair("embedding", w, scale), V = w->shape[0];
    if (E < 0) return NULL;
    if (ids->dtype != DC_I32 || ids->ndim < 1 || ids->ndim >= DC_MAX_DIMS) {
        dc_set_error(DC_ERR_INVALID, "embedding: needs int32 token ids");
        return NULL;
    }
    if (!dc_ids_in_range(ids, V)) return NULL;
    int64_t shape[DC_MAX_DIMS];
    memcpy(shape, ids->shape, sizeof(int64_t) * (size_t)ids->ndim);
    shape[ids->ndim] = E;
    dc_tensor *srcs[3] = {w, scale, ids};
    dc_tensor *z = dc_op_output_typed(g, &op_qembedding, DC_F32, ids->ndim + 1, shape, srcs, 3);
    if (z)
        for (int64_t i = 0; i < ids->size; i++) dequantize_rows(w, scale, E, ids->idata[i], 1, z->data + i * E);
    return z;
}

dc_tensor *dc_dequantize(dc_graph *g, dc_tensor *w, dc_tensor *scale, const int64_t *shape, int ndim) {
    if (!w || !scale) return NULL;
    if (w->dtype == DC_I8 && scale->dtype == DC_F32 && w->ndim != 2) return dc_dequantize_rows(g, w, scale); /* conv kernels */
    const int64_t K = check_pair("dequantize", w, scale);
    if (K < 0) return NULL;
    if (w->dtype == DC_I8) return dc_dequantize_rows(g, w, scale);
    int64_t n = 1;
    for (int d = 0; d < ndim; d++) n *= shape[d];
    if (n != w->shape[0] * K) {
        dc_set_error(DC_ERR_INVALID, "dequantize: %lld values do not fill the asked shape", (long long)(w->shape[0] * K));
        return NULL;
    }
    dc_tensor *srcs[2] = {w, scale};
    dc_tensor *z = dc_op_output_typed(g, &op_dequantize_q4, DC_F32, ndim, shape, srcs, 2);
    if (z) dequantize_rows(w, scale, K, 0, w->shape[0], z->data);
    return z;
}

dc_tensor *dc_qconv2d(dc_graph *g, dc_tensor *x, dc_tensor *w, dc_tensor *scale, dc_tensor *b, const dc_conv_params *p) {
    if (!x || !w || !scale) return NULL;
    if (w->dtype != DC_I8 || w->ndim != 4 || scale->dtype != DC_F32 || scale->size != w->shape[0] || p->groups > 1 ||
        w->shape[1] * w->shape[2] * w->shape[3] < DC_QCONV_MIN_K) {
        /* 4-bit or grouped kernels, and patches too small for integer dot
         * products to pay (a first layer's 3x3 on one channel): as floats */
        dc_tensor *wf = dc_dequantize(g, w, scale, w->shape, w->ndim);
        return wf ? dc_conv2d(g, x, wf, b, p) : NULL;
    }
    if (!dc_check_f32("conv2d", x) || (b && !dc_check_f32("conv2d", b))) return NULL;
    if (x->requires_grad && dc_graph_grad_enabled(g)) {
        dc_set_error(DC_ERR_INVALID, "conv2d: a quantized kernel has no gradient (train from a float copy: --init-from)");
        return NULL;
    }
    dc_conv_params q;
    dc_k_conv_geom k;
    if (!dc_conv_geometry(x, w, b, p, &q, &k)) return NULL;
    if (k.C * k.KH * k.KW > DC_QK_MAX) {
        dc_set_error(DC_ERR_INVALID, "conv2d: %lld inputs per output are too many for int8 products", (long long)(k.C * k.KH * k.KW));
        return NULL;
    }
    int64_t shape[4] = {k.N, k.OC, k.OH, k.OW};
    dc_tensor *srcs[4] = {x, w, scale, b};
    dc_tensor *z = dc_op_output_typed(g, &op_qconv2d, DC_F32, 4, shape, srcs, b ? 4 : 3);
    if (!z) return NULL;
    dc_trace_attrs(g, z, &(dc_op_attrs){.conv = q});
    const void *packed = derived(g, w, DERIVED_CONV_PACK, dc_k_qconv_packed_bytes(&k), make_conv_pack, &k);
    void *scratch = dc_arena_alloc_raw(g, dc_k_qconv2d_scratch(&k));
    if (!scratch || !packed) return NULL;
    dc_k_qconv2d_forward(&k, x->data, w->raw, packed, scale->data, b ? b->data : NULL, scratch, z->data);
    return z;
}
