/* ops_shape.c — reshape, flatten, transpose, concat, slice. Values move,
 * nothing is computed; each backward moves the gradient back. */
#include "internal.h"
#include "../kernels/kernels.h"
#include <string.h>

/* ---- reshape: same values, new shape. z shares x's data (a view). ------- */

static void reshape_backward(dc_graph *g, dc_tensor *t) {
    (void)g;
    dc_k_axpy(t->size, 1.0f, t->grad, t->ag->src[0]->grad);
}
static const dc_op_def op_reshape = {DC_OP_RESHAPE, "reshape", reshape_backward};

dc_tensor *dc_reshape(dc_graph *g, dc_tensor *x, int ndim, const int64_t *shape) {
    if (!x || (x->dtype != DC_F32 && x->requires_grad)) {
        dc_set_error(DC_ERR_INVALID, "reshape: needs a tensor");
        return NULL;
    }
    if (ndim < 0 || ndim > DC_MAX_DIMS) {
        dc_set_error(DC_ERR_INVALID, "reshape: %d dimensions", ndim);
        return NULL;
    }
    int64_t s[DC_MAX_DIMS], known = 1;
    int infer = -1;
    for (int d = 0; d < ndim; d++) {
        s[d] = shape[d];
        if (s[d] == -1 && infer < 0) infer = d;
        else if (s[d] < 0) {
            dc_set_error(DC_ERR_INVALID, "reshape: bad extent %lld", (long long)s[d]);
            return NULL;
        } else known *= s[d];
    }
    if (infer >= 0) s[infer] = known ? x->size / known : 0;
    if (dc_shape_size(ndim, s) != x->size) {
        char sx[128];
        dc_shape_str(x, sx, sizeof sx);
        dc_set_error(DC_ERR_INVALID, "reshape: cannot view %s (%lld elements) with the requested shape", sx,
                     (long long)x->size);
        return NULL;
    }
    if (x->dtype != DC_F32) { /* labels, token ids: a copy in the new shape, no gradient */
        dc_tensor *z = dc_input(g, x->dtype, ndim, s);
        if (z) memcpy(z->raw, x->raw, (size_t)x->size * dc_dtype_size(x->dtype));
        return z;
    }
    /* a copy, not a view: every arena tensor then owns its values, and the
     * copy is small next to the matmuls around it */
    dc_tensor *z = dc_op_output(g, &op_reshape, ndim, s, &x, 1);
    if (!z) return NULL;
    memcpy(z->data, x->data, (size_t)x->size * sizeof(float));
    return z;
}

dc_tensor *dc_flatten(dc_graph *g, dc_tensor *x) {
    if (!dc_check_f32("flatten", x)) return NULL;
    if (x->ndim < 1) {
        dc_set_error(DC_ERR_INVALID, "flatten: needs a batch dimension");
        return NULL;
    }
    int64_t s[2] = {x->shape[0], x->shape[0] ? x->size / x->shape[0] : 0};
    return dc_reshape(g, x, 2, s);
}

/* ---- transpose: swap axes a0 and a1 ------------------------------------- */

/* Copy src (shape of `from`) into dst with axes a0/a1 swapped; add = 1 adds. */
static void permute_copy(const float *src, float *dst, const dc_tensor *from, int a0, int a1, int add) {
    int nd = from->ndim;
    int64_t st[DC_MAX_DIMS], dshape[DC_MAX_DIMS];
    int64_t s = 1;
    for (int d = nd - 1; d >= 0; d--) {
        st[d] = s;
        s *= from->shape[d];
    }
    for (int d = 0; d < nd; d++) dshape[d] = from->shape[d];
    dshape[a0] = from->shape[a1];
    dshape[a1] = from->shape[a0];
    /* stride in src of each destination axis */
    int64_t sst[DC_MAX_DIMS];
    for (int d = 0; d < nd; d++) sst[d] = st[d];
    sst[a0] = st[a1];
    sst[a1] = st[a0];
    int64_t idx[DC_MAX_DIMS] = {0}, off = 0, n = from->size;
    for (int64_t i = 0; i < n; i++) {
        if (add) dst[i] += src[off];
        else dst[i] = src[off];
        for (int d = nd - 1; d >= 0; d--) {
            idx[d]++;
            off += sst[d];
            if (idx[d] < dshape[d]) break;
            off -= sst[d] * dshape[d];
            idx[d] = 0;
        }
    }
}

static void transpose_backward(dc_graph *g, dc_tensor *t) {
    (void)g;
    /* the gradient of a swap is the same swap applied to the gradient */
    permute_copy(t->grad, t->ag->src[0]->grad, t, (int)t->ag->iarg[0], (int)t->ag->iarg[1], 1);
}
static const dc_op_def op_transpose = {DC_OP_TRANSPOSE, "transpose", transpose_backward};

dc_tensor *dc_transpose(dc_graph *g, dc_tensor *x, int axis0, int axis1) {
    if (!dc_check_f32("transpose", x)) return NULL;
    int a0, a1;
    if (!dc_norm_axis("transpose", x, axis0, &a0) || !dc_norm_axis("transpose", x, axis1, &a1)) return NULL;
    int64_t s[DC_MAX_DIMS];
    memcpy(s, x->shape, sizeof s);
    s[a0] = x->shape[a1];
    s[a1] = x->shape[a0];
    dc_tensor *z = dc_op_output(g, &op_transpose, x->ndim, s, &x, 1);
    if (!z) return NULL;
    z->ag->iarg[0] = a0;
    z->ag->iarg[1] = a1;
    dc_trace_attrs(g, z, &(dc_op_attrs){.axis = a0, .axis2 = a1});
    permute_copy(x->data, z->data, x, a0, a1, 0);
    return z;
}

/* ---- concat and slice: both view tensors as (outer, extent, inner) ------ */

static void blocks(const dc_tensor *t, int axis, int64_t *outer, int64_t *inner) {
    *outer = 1;
    *inner = 1;
    for (int d = 0; d < axis; d++) *outer *= t->shape[d];
    for (int d = axis + 1; d < t->ndim; d++) *inner *= t->shape[d];
}

static void concat_backward(dc_graph *g, dc_tensor *t) {
    (void)g;
    int axis = (int)t->ag->iarg[0];
    int64_t outer, inner, off = 0;
    blocks(t, axis, &outer, &inner);
    int64_t row = t->shape[axis] * inner;
    for (int k = 0; k < t->ag->nsrc; k++) {
        dc_tensor *x = t->ag->src[k];
        int64_t w = x->shape[axis] * inner;
        if (x->requires_grad)
            for (int64_t o = 0; o < outer; o++) dc_k_axpy(w, 1.0f, t->grad + o * row + off, x->grad + o * w);
        off += w;
    }
}
static const dc_op_def op_concat = {DC_OP_CONCAT, "concat", concat_backward};

dc_tensor *dc_concat(dc_graph *g, dc_tensor *const *xs, int n, int axis) {
    if (n < 1) {
        dc_set_error(DC_ERR_INVALID, "concat: needs at least one tensor");
        return NULL;
    }
    for (int k = 0; k < n; k++)
        if (!dc_check_f32("concat", xs[k])) return NULL;
    int a;
    if (!dc_norm_axis("concat", xs[0], axis, &a)) return NULL;
    int64_t s[DC_MAX_DIMS];
    memcpy(s, xs[0]->shape, sizeof s);
    s[a] = 0;
    for (int k = 0; k < n; k++) {
        int ok = xs[k]->ndim == xs[0]->ndim;
        for (int d = 0; ok && d < xs[0]->ndim; d++) ok = d == a || xs[k]->shape[d] == xs[0]->shape[d];
        if (!ok) {
            char s0[128], sk[128];
            dc_shape_str(xs[0], s0, sizeof s0);
            dc_shape_str(xs[k], sk, sizeof sk);
            dc_set_error(DC_ERR_INVALID, "concat: tensor %d has shape %s, incompatible with %s along axis %d", k, sk,
                         s0, a);
            return NULL;
        }
        s[a] += xs[k]->shape[a];
    }
    dc_tensor *z = dc_op_output(g, &op_concat, xs[0]->ndim, s, xs, n);
    if (!z) return NULL;
    z->ag->iarg[0] = a;
    dc_trace_attrs(g, z, &(dc_op_attrs){.axis = a});
    int64_t outer, inner, off = 0;
    blocks(z, a, &outer, &inner);
    int64_t row = s[a] * inner;
    for (int k = 0; k < n; k++) {
        int64_t w = xs[k]->shape[a] * inner;
        for (int64_t o = 0; o < outer; o++)
            memcpy(z->data + o * row + off, xs[k]->data + o * w, (size_t)w * sizeof(float));
        off += w;
    }
    return z;
}

static void slice_backward(dc_graph *g, dc_tensor *t) {
    (void)g;
    dc_tensor *x = t->ag->src[0];
    int axis = (int)t->ag->iarg[0];
    int64_t outer, inner;
    blocks(x, axis, &outer, &inner);
    int64_t w = t->shape[axis] * inner, row = x->shape[axis] * inner, off = t->ag->iarg[1] * inner;
    for (int64_t o = 0; o < outer; o++) dc_k_axpy(w, 1.0f, t->grad + o * w, x->grad + o * row + off);
}
static const dc_op_def op_slice = {DC_OP_SLICE, "slice", slice_backward};

dc_tensor *dc_slice(dc_graph *g, dc_tensor *x, int axis, int64_t start, int64_t end) {
    if (!dc_check_f32("slice", x)) return NULL;
    int a;
    if (!dc_norm_axis("slice", x, axis, &a)) return NULL;
    if (start < 0 || end > x->shape[a] || start > end) {
        dc_set_error(DC_ERR_INVALID, "slice: [%lld, %lld) is outside axis %d of extent %lld", (long long)start,
                     (long long)end, a, (long long)x->shape[a]);
        return NULL;
    }
    int64_t s[DC_MAX_DIMS];
    memcpy(s, x->shape, sizeof s);
    s[a] = end - start;
    dc_tensor *z = dc_op_output(g, &op_slice, x->ndim, s, &x, 1);
    if (!z) return NULL;
    z->ag->iarg[0] = a;
    z->ag->iarg[1] = start;
    dc_trace_attrs(g, z, &(dc_op_attrs){.axis = a, .start = start, .end = end});
    int64_t outer, inner;
    blocks(x, a, &outer, &inner);
    int64_t w = s[a] * inner, row = x->shape[a] * inner;
    for (int64_t o = 0; o < outer; o++)
        memcpy(z->data + o * w, x->data + o * row + start * inner, (size_t)w * sizeof(float));
    return z;
}
