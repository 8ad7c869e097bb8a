/* ops_reduce.c — sum, mean, max over one axis or over everything.
 * The input is viewed as (outer, n, inner) with n the reduced extent.
 *   sum:  z = sum_k x_k        dx_k = g
 *   mean: z = sum_k x_k / n    dx_k = g / n
 *   max:  z = max_k x_k        dx_k = g at the first argmax, else 0 */
#include "internal.h"
#include <math.h>

enum { R_SUM, R_MEAN, R_MAX };

static void reduce_backward(dc_graph *g, dc_tensor *t) {
    (void)g;
    dc_tensor *x = t->ag->src[0];
    int k = (int)t->ag->iarg[0];
    int64_t outer = t->ag->iarg[1], n = t->ag->iarg[2], inner = t->ag->iarg[3];
    float *gx = x->grad;
    const float *gz = t->grad;
    if (k == R_MAX) {
        const int64_t *arg = t->ag->aux;
        for (int64_t o = 0; o < outer; o++)
            for (int64_t i = 0; i < inner; i++)
                gx[(o * n + arg[o * inner + i]) * inner + i] += gz[o * inner + i];
        return;
    }
    float scale = k == R_MEAN ? 1.0f / (float)n : 1.0f;
    for (int64_t o = 0; o < outer; o++)
        for (int64_t j = 0; j < n; j++)
            for (int64_t i = 0; i < inner; i++) gx[(o * n + j) * inner + i] += gz[o * inner + i] * scale;
}

static const dc_op_def op_sum = {DC_OP_SUM, "sum", reduce_backward};
static const dc_op_def op_mean = {DC_OP_MEAN, "mean", reduce_backward};
static const dc_op_def op_max = {DC_OP_MAX, "max", reduce_backward};

static dc_tensor *reduce(dc_graph *g, dc_tensor *x, int axis, int keepdim, int k) {
    const dc_op_def *op = k == R_SUM ? &op_sum : k == R_MEAN ? &op_mean : &op_max;
    if (!dc_check_f32(op->name, x)) return NULL;
    int64_t outer = 1, n, inner = 1, shape[DC_MAX_DIMS];
    int nd = 0;
    if (axis == DC_ALL_AXES) {
        n = x->size;
        if (keepdim)
            for (int d = 0; d < x->ndim; d++) shape[nd++] = 1;
    } else {
        int a;
        if (!dc_norm_axis(op->name, x, axis, &a)) return NULL;
        for (int d = 0; d < a; d++) outer *= x->shape[d];
        for (int d = a + 1; d < x->ndim; d++) inner *= x->shape[d];
        n = x->shape[a];
        for (int d = 0; d < x->ndim; d++) {
            if (d != a) shape[nd++] = x->shape[d];
            else if (keepdim) shape[nd++] = 1;
        }
    }
    if (k == R_MAX && n == 0) {
        dc_set_error(DC_ERR_INVALID, "max: reduction over an empty axis");
        return NULL;
    }
    dc_tensor *z = dc_op_output(g, op, nd, shape, &x, 1);
    if (!z) return NULL;
    z->ag->iarg[0] = k;
    z->ag->iarg[1] = outer;
    z->ag->iarg[2] = n;
    z->ag->iarg[3] = inner;
    dc_op_attrs at = {.axis = -1, .keepdim = keepdim}; /* -1: every axis */
    if (axis != DC_ALL_AXES) dc_norm_axis(op->name, x, axis, &at.axis);
    dc_trace_attrs(g, z, &at);
    int64_t *arg = NULL;
    if (k == R_MAX && !(arg = z->ag->aux = dc_arena_alloc_raw(g, sizeof(int64_t) * (size_t)(outer * inner))))
        return NULL;
    for (int64_t o = 0; o < outer; o++)
        for (int64_t i = 0; i < inner; i++) {
            const float *p = x->data + o * n * inner + i;
            if (k == R_MAX) {
                int64_t best = 0;
                for (int64_t j = 1; j < n; j++)
                    if (p[j * inner] > p[best * inner] || (isnan(p[j * inner]) && !isnan(p[best * inner]))) best = j;
                arg[o * inner + i] = best;
                z->data[o * inner + i] = p[best * inner];
            } else {
                double s = 0.0; /* double: long sums stay accurate */
                for (int64_t j = 0; j < n; j++) s += p[j * inner];
                z->data[o * inner + i] = (float)(k == R_MEAN ? s / (double)n : s);
            }
        }
    return z;
}

dc_tensor *dc_sum(dc_graph *g, dc_tensor *x, int axis, int keepdim) { return reduce(g, x, axis, keepdim, R_SUM); }
dc_tensor *dc_mean(dc_graph *g, dc_tensor *x, int axis, int keepdim) { return reduce(g, x, axis, keepdim, R_MEAN); }
dc_tensor *dc_max(dc_graph *g, dc_tensor *x, int axis, int keepdim) { return reduce(g, x, axis, keepdim, R_MAX); }
