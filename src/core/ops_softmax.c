/* ops_softmax.c — softmax and log-softmax along any axis.
 *   softmax:     z = e^x / sum e^x          dx = z (g - sum(g z))
 *   log_softmax: z = x - log sum e^x        dx = g - e^z sum(g)
 * The tensor is viewed as (outer, n, inner); inner == 1 (the last axis, the
 * common case) uses the contiguous row kernels. */
#include "internal.h"
#include "../kernels/kernels.h"
#include <math.h>

static void split(const dc_tensor *t, int axis, int64_t *outer, int64_t *n, int64_t *inner) {
    *outer = 1;
    *inner = 1;
    for (int d = 0; d < axis; d++) *outer *= t->shape[d];
    for (int d = axis + 1; d < t->ndim; d++) *inner *= t->shape[d];
    *n = t->shape[axis];
}

static void softmax_backward(dc_graph *g, dc_tensor *t) {
    (void)g;
    int64_t outer, n, inner;
    split(t, (int)t->ag->iarg[0], &outer, &n, &inner);
    int logsm = (int)t->ag->iarg[1];
    const float *z = t->data, *gz = t->grad;
    float *gx = t->ag->src[0]->grad;
#pragma omp parallel for num_threads(dc_k_run_threads()) collapse(2) if (t->size > DC_PAR_MIN) schedule(static)
    for (int64_t o = 0; o < outer; o++)
        for (int64_t i = 0; i < inner; i++) {
            int64_t base = o * n * inner + i;
            float s = 0.0f;
            for (int64_t j = 0; j < n; j++) {
                int64_t k = base + j * inner;
                s += logsm ? gz[k] : gz[k] * z[k];
            }
            for (int64_t j = 0; j < n; j++) {
                int64_t k = base + j * inner;
                gx[k] += logsm ? gz[k] - expf(z[k]) * s : z[k] * (gz[k] - s);
            }
        }
}
static const dc_op_def op_softmax = {DC_OP_SOFTMAX, "softmax", softmax_backward};
static const dc_op_def op_log_softmax = {DC_OP_LOG_SOFTMAX, "log_softmax", softmax_backward};

static dc_tensor *softmax_any(dc_graph *g, dc_tensor *x, int axis, int logsm) {
    const dc_op_def *op = logsm ? &op_log_softmax : &op_softmax;
    if (!dc_check_f32(op->name, x)) return NULL;
    int a;
    if (!dc_norm_axis(op->name, x, axis, &a)) return NULL;
    dc_tensor *z = dc_op_output(g, op, x->ndim, x->shape, &x, 1);
    if (!z) return NULL;
    z->ag->iarg[0] = a;
    z->ag->iarg[1] = logsm;
    dc_trace_attrs(g, z, &(dc_op_attrs){.axis = a});
    int64_t outer, n, inner;
    split(x, a, &outer, &n, &inner);
    if (inner == 1) {
        if (logsm) dc_k_log_softmax_rows(x->data, z->data, outer, n);
        else dc_k_softmax_rows(x->data, z->data, outer, n);
        return z;
    }
    for (int64_t o = 0; o < outer; o++)
        for (int64_t i = 0; i < inner; i++) {
            const float *xp = x->data + o * n * inner + i;
            float *zp = z->data + o * n * inner + i;
            float m = -INFINITY, s = 0.0f;
            for (int64_t j = 0; j < n; j++) m = xp[j * inner] > m ? xp[j * inner] : m;
            for (int64_t j = 0; j < n; j++) s += expf(xp[j * inner] - m);
            float lse = m + logf(s);
            for (int64_t j = 0; j < n; j++)
                zp[j * inner] = logsm ? xp[j * inner] - lse : expf(xp[j * inner] - lse);
        }
    return z;
}

dc_tensor *dc_softmax(dc_graph *g, dc_tensor *x, int axis) { return softmax_any(g, x, axis, 0); }
dc_tensor *dc_log_softmax(dc_graph *g, dc_tensor *x, int axis) { return softmax_any(g, x, axis, 1); }
