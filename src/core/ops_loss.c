/* ops_loss.c — losses, each a scalar op fused for numerical stability.
 * With n elements (or N rows) and g the incoming scalar gradient:
 *   mse:        L = mean (p - t)^2                    dp = 2 (p - t) g / n
 *   bce:        L = -mean t log p + (1-t) log(1-p)     dp = (p - t) / max(p(1-p), 1e-12) g / n
 *               (each log clamped at -100, as torch.nn.BCELoss)
 *   bce_logits: L = mean max(x,0) - x t + log(1+e^-|x|)   dx = (sigmoid(x) - t) g / n
 *   cross_entropy from logits:  L = -mean_rows sum_c t_c log_softmax(x)_c
 *               dx = (softmax(x) sum_c t_c - t) g / N
 *   cross_entropy from probabilities: L = -mean_rows sum_c t_c log clip(p_c)
 *               dp = -t_c / p_c g / N inside the clip range, 0 outside
 * Integer targets are class indices: t is their one-hot row. */
#include "internal.h"
#include "../kernels/kernels.h"
#include <math.h>

static int check_pair(const char *op, const dc_tensor *p, const dc_tensor *t) {
    if (!dc_check_f32(op, p) || !dc_check_f32(op, t)) return 0;
    if (!dc_same_shape(p, t)) {
        char sp[128], st[128];
        dc_shape_str(p, sp, sizeof sp);
        dc_shape_str(t, st, sizeof st);
        dc_set_error(DC_ERR_INVALID, "%s: prediction %s and target %s must have the same shape", op, sp, st);
        return 0;
    }
    if (p->size == 0) {
        dc_set_error(DC_ERR_INVALID, "%s: empty input", op);
        return 0;
    }
    return 1;
}

static const int64_t scalar_shape[1] = {1};

/* ---- mse ---------------------------------------------------------------- */

static void mse_backward(dc_graph *g, dc_tensor *t) {
    (void)g;
    dc_tensor *p = t->ag->src[0], *y = t->ag->src[1];
    float c = 2.0f * t->grad[0] / (float)p->size;
    for (int64_t i = 0; i < p->size; i++) {
        float d = c * (p->data[i] - y->data[i]);
        if (p->requires_grad) p->grad[i] += d;
        if (y->requires_grad) y->grad[i] -= d;
    }
}
static const dc_op_def op_mse = {DC_OP_MSE_LOSS, "mse_loss", mse_backward};

dc_tensor *dc_mse_loss(dc_graph *g, dc_tensor *pred, dc_tensor *target) {
    if (!check_pair("mse_loss", pred, target)) return NULL;
    dc_tensor *srcs[2] = {pred, target};
    dc_tensor *z = dc_op_output(g, &op_mse, 0, scalar_shape, srcs, 2);
    if (!z) return NULL;
    double s = 0.0;
    for (int64_t i = 0; i < pred->size; i++) {
        double d = (double)pred->data[i] - target->data[i];
        s += d * d;
    }
    z->data[0] = (float)(s / (double)pred->size);
    return z;
}

/* ---- binary cross-entropy from probabilities ---------------------------- */

static void bce_backward(dc_graph *g, dc_tensor *t) {
    (void)g;
    dc_tensor *p = t->ag->src[0], *y = t->ag->src[1];
    float c = t->grad[0] / (float)p->size;
    for (int64_t i = 0; i < p->size; i++) {
        float pv = p->data[i], yv = y->data[i];
        float den = (1.0f - pv) * pv;
        if (p->requires_grad) p->grad[i] += c * (pv - yv) / (den > 1e-12f ? den : 1e-12f);
        if (y->requires_grad) {
            float lp = fmaxf(logf(pv), -100.0f), l1 = fmaxf(logf(1.0f - pv), -100.0f);
            y->grad[i] += c * (l1 - lp);
        }
    }
}
static const dc_op_def op_bce = {DC_OP_BCE_LOSS, "bce_loss", bce_backward};

dc_tensor *dc_bce_loss(dc_graph *g, dc_tensor *prob, dc_tensor *target) {
    if (!check_pair("bce_loss", prob, target)) return NULL;
    dc_tensor *srcs[2] = {prob, target};
    dc_tensor *z = dc_op_output(g, &op_bce, 0, scalar_shape, srcs, 2);
    if (!z) return NULL;
    double s = 0.0;
    for (int64_t i = 0; i < prob->size; i++) {
        float pv = prob->data[i], yv = target->data[i];
        float lp = fmaxf(logf(pv), -100.0f), l1 = fmaxf(logf(1.0f - pv), -100.0f);
        s -= (double)(yv * lp + (1.0f - yv) * l1);
    }
    z->data[0] = (float)(s / (double)prob->size);
    return z;
}

/* ---- binary cross-entropy from logits ----------------------------------- */

/* Chunks of fixed size, summed in order: the loss does not depend on the
 * thread count, and small losses stay on one thread. */
#define BCE_CHUNK 16384

/* d/dx = sigmoid(x) - y, with sigmoid(x) kept from the forward pass */
static void bce_logits_backward(dc_graph *g, dc_tensor *t) {
    (void)g;
    dc_tensor *x = t->ag->src[0], *y = t->ag->src[1];
    const float c = t->grad[0] / (float)x->size, *sg = t->ag->aux, *xd = x->data, *yd = y->data;
    float *gx = x->requires_grad ? x->grad : NULL, *gy = y->requires_grad ? y->grad : NULL;
    const int64_t n = x->size, nch = (n + BCE_CHUNK - 1) / BCE_CHUNK;
#pragma omp parallel for num_threads(dc_k_run_threads()) if (nch > 1) schedule(static)
    for (int64_t ch = 0; ch < nch; ch++) {
        int64_t a = ch * BCE_CHUNK, b = n - a < BCE_CHUNK ? n : a + BCE_CHUNK;
        if (gx)
            for (int64_t i = a; i < b; i++) gx[i] += c * (sg[i] - yd[i]);
        if (gy)
            for (int64_t i = a; i < b; i++) gy[i] -= c * xd[i];
    }
}
static const dc_op_def op_bce_logits = {DC_OP_BCE_LOGITS_LOSS, "bce_logits_loss", bce_logits_backward};

/* max(x,0) - x y + log(1 + e^-|x|), one exp per element shared with the
 * sigmoid the backward needs */
dc_tensor *dc_bce_logits_loss(dc_graph *g, dc_tensor *logits, dc_tensor *target) {
    if (!check_pair("bce_logits_loss", logits, target)) return NULL;
    dc_tensor *srcs[2] = {logits, target};
    dc_tensor *z = dc_op_output(g, &op_bce_logits, 0, scalar_shape, srcs, 2);
    if (!z) return NULL;
    const int64_t n = logits->size, nch = (n + BCE_CHUNK - 1) / BCE_CHUNK;
    float *sg = dc_arena_alloc_raw(g, (size_t)(n ? n : 1) * sizeof(float));
    double *part = dc_arena_alloc_raw(g, (size_t)(nch ? nch : 1) * sizeof(double));
    if (!sg || !part) return NULL;
    z->ag->aux = sg;
    const float *xd = logits->data, *yd = target->data;
#pragma omp parallel for num_threads(dc_k_run_threads()) if (nch > 1) schedule(static)
    for (int64_t ch = 0; ch < nch; ch++) {
        int64_t a = ch * BCE_CHUNK, b = n - a < BCE_CHUNK ? n : a + BCE_CHUNK;
        double s = dc_k_bce_logits(xd + a, yd + a, sg + a, b - a);
        part[ch] = s;
    }
    double s = 0.0;
    for (int64_t ch = 0; ch < nch; ch++) s += part[ch];
    z->data[0] = (float)(s / (double)n);
    return z;
}

/* ---- categorical cross-entropy ------------------------------------------ */

#define PROB_EPS 1e-7f

/* weight of class c in row r of the target */
static inline float target_at(const dc_tensor *t, int64_t r, int64_t c, int64_t C) {
    if (t->dtype == DC_I32) return t->idata[r] == c ? 1.0f : 0.0f;
    return t->data[r * C + c];
}

static void ce_backward(dc_graph *g, dc_tensor *t) {
    (void)g;
    dc_tensor *x = t->ag->src[0], *y = t->ag->src[1];
    int from_logits = (int)t->ag->iarg[0];
    int64_t N = x->shape[0], C = x->shape[1];
    if (!t->ag->iarg[1]) return; /* every label ignored */
    float c = t->grad[0] / (float)t->ag->iarg[1];
    const float *aux = t->ag->aux; /* softmax (logits) or log clip(p) (probabilities) */
    for (int64_t r = 0; r < N; r++) {
        float tsum = 0.0f;
        if (from_logits)
            for (int64_t k = 0; k < C; k++) tsum += target_at(y, r, k, C);
        for (int64_t k = 0; k < C; k++) {
            int64_t i = r * C + k;
            float tv = target_at(y, r, k, C);
            if (x->requires_grad) {
                if (from_logits) x->grad[i] += c * (aux[i] * tsum - tv);
                else {
                    float p = x->data[i];
                    if (p >= PROB_EPS && p <= 1.0f) x->grad[i] -= c * tv / p;
                }
            }
            if (y->dtype == DC_F32 && y->requires_grad)
                y->grad[i] -= c * (from_logits ? logf(aux[i] > 0 ? aux[i] : 1e-38f) : aux[i]);
        }
    }
}
static const dc_op_def op_ce = {DC_OP_CROSS_ENTROPY, "cross_entropy", ce_backward};

dc_tensor *dc_cross_entropy(dc_graph *g, dc_tensor *x, dc_tensor *target, int from_logits) {
    if (!dc_check_f32("cross_entropy", x)) return NULL;
    if (!target) {
        dc_set_error(DC_ERR_INVALID, "cross_entropy: target is NULL");
        return NULL;
    }
    if (x->ndim != 2 || x->shape[0] == 0 || x->shape[1] == 0) {
        char sx[128];
        dc_shape_str(x, sx, sizeof sx);
        dc_set_error(DC_ERR_INVALID, "cross_entropy: input %s must be (N, C) with N, C > 0", sx);
        return NULL;
    }
    int64_t N = x->shape[0], C = x->shape[1];
    if (target->dtype == DC_I32) {
        if (target->ndim != 1 || target->shape[0] != N) {
            dc_set_error(DC_ERR_INVALID, "cross_entropy: %lld rows but %lld labels", (long long)N,
                         (long long)target->size);
            return NULL;
        }
        for (int64_t r = 0; r < N; r++)
            if ((target->idata[r] < 0 || target->idata[r] >= C) && target->idata[r] != DC_IGNORE_INDEX) {
                dc_set_error(DC_ERR_INVALID, "cross_entropy: label %d of row %lld is outside [0, %lld)",
                             target->idata[r], (long long)r, (long long)C);
                return NULL;
            }
    } else if (!check_pair("cross_entropy", x, target)) {
        return NULL;
    }
    dc_tensor *srcs[2] = {x, target};
    dc_tensor *z = dc_op_output(g, &op_ce, 0, scalar_shape, srcs, 2);
    if (!z) return NULL;
    z->ag->iarg[0] = from_logits;
    dc_trace_attrs(g, z, &(dc_op_attrs){.flag = from_logits});
    /* the mean is over the rows that count: ignored labels (padding) add nothing */
    int64_t counted = N;
    if (target->dtype == DC_I32)
        for (int64_t r = 0; r < N; r++) counted -= target->idata[r] == DC_IGNORE_INDEX;
    z->ag->iarg[1] = counted;
    float *aux = dc_arena_alloc_raw(g, (size_t)x->size * sizeof(float));
    if (!aux) return NULL;
    z->ag->aux = aux;
    double s = 0.0;
    if (from_logits) {
        dc_k_log_softmax_rows(x->data, aux, N, C);
        for (int64_t r = 0; r < N; r++)
            for (int64_t k = 0; k < C; k++) {
                float tv = target_at(target, r, k, C);
                if (tv != 0.0f) s -= (double)(tv * aux[r * C + k]);
            }
        for (int64_t i = 0; i < x->size; i++) aux[i] = expf(aux[i]); /* keep softmax for backward */
    } else {
        for (int64_t i = 0; i < x->size; i++) {
            float p = x->data[i];
            aux[i] = logf(p < PROB_EPS ? PROB_EPS : (p > 1.0f ? 1.0f : p));
        }
        for (int64_t r = 0; r < N; r++)
            for (int64_t k = 0; k < C; k++) {
                float tv = target_at(target, r, k, C);
                if (tv != 0.0f) s -= (double)(tv * aux[r * C + k]);
            }
    }
    z->data[0] = counted ? (float)(s / (double)counted) : 0.0f;
    return z;
}
