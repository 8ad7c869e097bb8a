/* ops_binary.c — add, sub, mul, div with NumPy broadcasting, and the scalar
 * forms. Forward and backward of each op sit in the two switches below.
 *
 *   add: z = x + y    dx = g         dy = g
 *   sub: z = x - y    dx = g         dy = -g
 *   mul: z = x * y    dx = g y       dy = g x
 *   div: z = x / y    dx = g / y     dy = -g x / y^2
 *
 * A gradient flowing to a broadcast input is summed over the stretched
 * dimensions (that is what the index mapping below does on +=). */
#include "internal.h"
#include "../kernels/kernels.h"
#include <string.h>

enum { B_ADD, B_SUB, B_MUL, B_DIV };

static inline float bin_fwd(int k, float a, float b) {
    switch (k) {
    case B_ADD: return a + b;
    case B_SUB: return a - b;
    case B_MUL: return a * b;
    default: return a / b;
    }
}
/* partial derivatives of z with respect to a and b */
static inline float bin_da(int k, float a, float b) {
    (void)a;
    switch (k) {
    case B_ADD: case B_SUB: return 1.0f;
    case B_MUL: return b;
    default: return 1.0f / b;
    }
}
static inline float bin_db(int k, float a, float b) {
    switch (k) {
    case B_ADD: return 1.0f;
    case B_SUB: return -1.0f;
    case B_MUL: return a;
    default: return -a / (b * b);
    }
}

/* Strides of `in` over the broadcast output index space (0 where stretched). */
static void bcast_strides(const dc_tensor *out, const dc_tensor *in, int64_t *st) {
    int off = out->ndim - in->ndim;
    int64_t s = 1;
    for (int d = out->ndim - 1; d >= 0; d--) {
        int di = d - off;
        if (di < 0 || in->shape[di] == 1) st[d] = 0;
        else {
            st[d] = s;
        }
        if (di >= 0) s *= in->shape[di];
    }
}

/* Walk the output in order, keeping the offsets into a and b. */
#define BCAST_LOOP(out, sa, sb, ...)                                             \
    do {                                                                         \
        int64_t idx_[DC_MAX_DIMS] = {0}, oa = 0, ob = 0;                         \
        int nd_ = (out)->ndim;                                                   \
        for (int64_t i = 0; i < (out)->size; i++) {                              \
            __VA_ARGS__;                                                         \
            for (int d = nd_ - 1; d >= 0; d--) {                                 \
                idx_[d]++;                                                       \
                oa += sa[d];                                                     \
                ob += sb[d];                                                     \
                if (idx_[d] < (out)->shape[d]) break;                            \
                oa -= sa[d] * (out)->shape[d];                                   \
                ob -= sb[d] * (out)->shape[d];                                   \
                idx_[d] = 0;                                                     \
            }                                                                    \
        }                                                                        \
    } while (0)

static void binary_backward(dc_graph *g, dc_tensor *t);
static const dc_op_def op_add = {DC_OP_ADD, "add", binary_backward};
static const dc_op_def op_sub = {DC_OP_SUB, "sub", binary_backward};
static const dc_op_def op_mul = {DC_OP_MUL, "mul", binary_backward};
static const dc_op_def op_div = {DC_OP_DIV, "div", binary_backward};
static const dc_op_def *const bin_ops[] = {&op_add, &op_sub, &op_mul, &op_div};

static dc_tensor *binary(dc_graph *g, dc_tensor *x, dc_tensor *y, int k) {
    const char *name = bin_ops[k]->name;
    if (!dc_check_f32(name, x) || !dc_check_f32(name, y)) return NULL;
    int nd = x->ndim > y->ndim ? x->ndim : y->ndim;
    int64_t shape[DC_MAX_DIMS];
    for (int d = 0; d < nd; d++) {
        int dx = d - (nd - x->ndim), dy = d - (nd - y->ndim);
        int64_t a = dx >= 0 ? x->shape[dx] : 1, b = dy >= 0 ? y->shape[dy] : 1;
        if (a != b && a != 1 && b != 1) {
            char sx[128], sy[128];
            dc_shape_str(x, sx, sizeof sx);
            dc_shape_str(y, sy, sizeof sy);
            dc_set_error(DC_ERR_INVALID, "%s: shapes %s and %s do not broadcast (dimension %d: %lld vs %lld)",
                         name, sx, sy, d, (long long)a, (long long)b);
            return NULL;
        }
        shape[d] = a == 1 ? b : a;
    }
    dc_tensor *srcs[2] = {x, y};
    dc_tensor *z = dc_op_output(g, bin_ops[k], nd, shape, srcs, 2);
    if (!z) return NULL;
    z->ag->iarg[0] = k;
    const float *a = x->data, *b = y->data;
    float *o = z->data;
    if (dc_same_shape(x, y)) {
        DC_PARALLEL_FOR(z->size > DC_PAR_MIN, i, z->size, o[i] = bin_fwd(k, a[i], b[i]););
    } else {
        int64_t sa[DC_MAX_DIMS], sb[DC_MAX_DIMS];
        bcast_strides(z, x, sa);
        bcast_strides(z, y, sb);
        BCAST_LOOP(z, sa, sb, o[i] = bin_fwd(k, a[oa], b[ob]));
    }
    return z;
}

static void binary_backward(dc_graph *g, dc_tensor *t) {
    (void)g;
    int k = (int)t->ag->iarg[0];
    dc_tensor *x = t->ag->src[0], *y = t->ag->src[1];
    const float *a = x->data, *b = y->data, *gz = t->grad;
    float *ga = x->requires_grad ? x->grad : NULL;
    float *gb = y->requires_grad ? y->grad : NULL;
    if (dc_same_shape(x, y) && x != y) {
#pragma omp parallel for num_threads(dc_k_run_threads()) if (t->size > DC_PAR_MIN) schedule(static)
        for (int64_t i = 0; i < t->size; i++) {
            if (ga) ga[i] += gz[i] * bin_da(k, a[i], b[i]);
            if (gb) gb[i] += gz[i] * bin_db(k, a[i], b[i]);
        }
        return;
    }
    /* broadcast (or x and y the same tensor): serial, so += never races */
    int64_t sa[DC_MAX_DIMS], sb[DC_MAX_DIMS];
    bcast_strides(t, x, sa);
    bcast_strides(t, y, sb);
    BCAST_LOOP(t, sa, sb, {
        float av = a[oa], bv = b[ob];
        if (ga) ga[oa] += gz[i] * bin_da(k, av, bv);
        if (gb) gb[ob] += gz[i] * bin_db(k, av, bv);
    });
}

dc_tensor *dc_add(dc_graph *g, dc_tensor *x, dc_tensor *y) { return binary(g, x, y, B_ADD); }
dc_tensor *dc_sub(dc_graph *g, dc_tensor *x, dc_tensor *y) { return binary(g, x, y, B_SUB); }
dc_tensor *dc_mul(dc_graph *g, dc_tensor *x, dc_tensor *y) { return binary(g, x, y, B_MUL); }
dc_tensor *dc_div(dc_graph *g, dc_tensor *x, dc_tensor *y) { return binary(g, x, y, B_DIV); }

/* ---- scalar forms: z = x + c, z = x * c ------------------------------- */

static void scalar_backward(dc_graph *g, dc_tensor *t) {
    (void)g;
    dc_tensor *x = t->ag->src[0];
    float c = t->ag->iarg[0] ? t->ag->farg[0] : 1.0f; /* iarg[0]: 1 = mul, 0 = add */
    dc_k_axpy(t->size, c, t->grad, x->grad);
}
static const dc_op_def op_add_scalar = {DC_OP_ADD_SCALAR, "add_scalar", scalar_backward};
static const dc_op_def op_mul_scalar = {DC_OP_MUL_SCALAR, "mul_scalar", scalar_backward};

dc_tensor *dc_add_scalar(dc_graph *g, dc_tensor *x, float c) {
    if (!dc_check_f32("add_scalar", x)) return NULL;
    dc_tensor *z = dc_op_output(g, &op_add_scalar, x->ndim, x->shape, &x, 1);
    if (!z) return NULL;
    z->ag->farg[0] = c;
    z->ag->iarg[0] = 0;
    dc_trace_attrs(g, z, &(dc_op_attrs){.f0 = c});
    for (int64_t i = 0; i < x->size; i++) z->data[i] = x->data[i] + c;
    return z;
}

dc_tensor *dc_mul_scalar(dc_graph *g, dc_tensor *x, float c) {
    if (!dc_check_f32("mul_scalar", x)) return NULL;
    dc_tensor *z = dc_op_output(g, &op_mul_scalar, x->ndim, x->shape, &x, 1);
    if (!z) return NULL;
    z->ag->farg[0] = c;
    z->ag->iarg[0] = 1;
    dc_trace_attrs(g, z, &(dc_op_attrs){.f0 = c});
    for (int64_t i = 0; i < x->size; i++) z->data[i] = x->data[i] * c;
    return z;
}
