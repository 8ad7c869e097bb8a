/* ops_norm.c — batch normalization over axis 1 of (N, C) or (N, C, H, W).
 * With M = elements per channel, xhat = (x - mean) / sqrt(var + eps):
 *   z = gamma xhat + beta
 *   training:  dx = gamma invstd / M (M g - sum g - xhat sum(g xhat))
 *   eval:      dx = gamma invstd_running g
 *   dgamma = sum g xhat      dbeta = sum g
 * Per-channel sums run over n then spatial position in a fixed order (the
 * loops of both norms are in kernels/norm.c). */
#include "internal.h"
#include "../kernels/kernels.h"
#include <math.h>
#include <string.h>

typedef struct {
    int64_t N, C, S;      /* batch, channels, spatial size (1 for (N, C))      */
    int training;
    float *mean, *invstd; /* per channel, as used in the forward pass          */
} bn_aux;

static void bn_backward(dc_graph *g, dc_tensor *t) {
    (void)g;
    const bn_aux *a = t->ag->aux;
    dc_tensor *x = t->ag->src[0], *gm = t->ag->src[1], *bt = t->ag->src[2];
    dc_k_batchnorm_backward(x->data, t->grad, a->N, a->C, a->S, gm->data, a->mean, a->invstd, a->training,
                            x->requires_grad ? x->grad : NULL, gm->requires_grad ? gm->grad : NULL, bt->requires_grad ? bt->grad : NULL);
}
static const dc_op_def op_bn = {DC_OP_BATCHNORM, "batchnorm", bn_backward};

dc_tensor *dc_batchnorm(dc_graph *g, dc_tensor *x, dc_tensor *gamma, dc_tensor *beta, float *rmean, float *rvar,
                        float momentum, float eps) {
    if (!dc_check_f32("batchnorm", x) || !dc_check_f32("batchnorm", gamma) || !dc_check_f32("batchnorm", beta)) return NULL;
    if ((x->ndim != 2 && x->ndim != 4) || gamma->size != x->shape[1] || beta->size != x->shape[1] || !rmean || !rvar) {
        char sx[128];
        dc_shape_str(x, sx, sizeof sx);
        dc_set_error(DC_ERR_INVALID, "batchnorm: input %s must be (N, C) or (N, C, H, W) with C-sized gamma, beta and running statistics", sx);
        return NULL;
    }
    bn_aux a = {x->shape[0], x->shape[1], x->ndim == 4 ? x->shape[2] * x->shape[3] : 1, dc_graph_training(g), NULL, NULL};
    if (a.training && a.N * a.S < 2) {
        dc_set_error(DC_ERR_INVALID, "batchnorm: training needs more than one value per channel (batch of %lld)", (long long)a.N);
        return NULL;
    }
    dc_tensor *srcs[3] = {x, gamma, beta};
    dc_tensor *z = dc_op_output(g, &op_bn, x->ndim, x->shape, srcs, 3);
    dc_trace_attrs(g, z, &(dc_op_attrs){.f0 = eps, .f1 = momentum, .flag = a.training});
    bn_aux *ap = z ? dc_arena_alloc_raw(g, sizeof *ap) : NULL;
    if (!ap) return NULL;
    a.mean = dc_arena_alloc_raw(g, sizeof(float) * (size_t)a.C);
    a.invstd = dc_arena_alloc_raw(g, sizeof(float) * (size_t)a.C);
    if (!a.mean || !a.invstd) return NULL;
    *ap = a;
    z->ag->aux = ap;
    dc_k_batchnorm_forward(x->data, a.N, a.C, a.S, gamma->data, beta->data, rmean, rvar, momentum, eps, a.training, a.mean, a.invstd,
                           z->data);
    return z;
}

/* ---- layer normalization over the last axis --------------------------------
 * Per row of C values, xhat = (x - mean) rstd, rstd = 1/sqrt(var + eps)
 * (biased variance, as torch.nn.LayerNorm):
 *   z = gamma xhat + beta
 *   dx = rstd (gh - mean(gh) - xhat mean(gh xhat)),  gh = g gamma
 *   dgamma = sum_rows g xhat      dbeta = sum_rows g
 * Rows run in parallel; the column sums of dgamma and dbeta go through
 * fixed chunks of DC_K_LN_CHUNK rows added in order, so they do not depend
 * on the thread count. */

typedef struct {
    int64_t rows, C;
    float *mean, *rstd;
} ln_aux;

static void ln_backward(dc_graph *g, dc_tensor *t) {
    const ln_aux *a = t->ag->aux;
    dc_tensor *x = t->ag->src[0], *gm = t->ag->nsrc > 1 ? t->ag->src[1] : NULL, *bt = t->ag->nsrc > 2 ? t->ag->src[2] : NULL;
    float *scratch = dc_arena_alloc_raw(g, sizeof(float) * dc_k_layer_norm_backward_scratch(a->rows, a->C));
    if (!scratch) return; /* out of memory: error already set */
    dc_k_layer_norm_backward(x->data, t->grad, a->rows, a->C, gm ? gm->data : NULL, a->mean, a->rstd, x->requires_grad ? x->grad : NULL,
                             gm && gm->requires_grad ? gm->grad : NULL, bt && bt->requires_grad ? bt->grad : NULL, scratch);
}
static const dc_op_def op_ln = {DC_OP_LAYER_NORM, "layer_norm", ln_backward};

dc_tensor *dc_layer_norm(dc_graph *g, dc_tensor *x, dc_tensor *gamma, dc_tensor *beta, float eps) {
    if (!dc_check_f32("layer_norm", x) || (gamma && !dc_check_f32("layer_norm", gamma)) || (beta && !dc_check_f32("layer_norm", beta)))
        return NULL;
    const int64_t C = x->ndim ? x->shape[x->ndim - 1] : 0;
    if (C < 1 || (gamma && gamma->size != C) || (beta && (beta->size != C || !gamma)) || !(eps >= 0.0f)) {
        char sx[128];
        dc_shape_str(x, sx, sizeof sx);
        dc_set_error(DC_ERR_INVALID, "layer_norm: input %s needs gamma and beta of its last extent (and eps >= 0)", sx);
        return NULL;
    }
    dc_tensor *srcs[3] = {x, gamma, beta};
    dc_tensor *z = dc_op_output(g, &op_ln, x->ndim, x->shape, srcs, beta ? 3 : gamma ? 2 : 1);
    dc_trace_attrs(g, z, &(dc_op_attrs){.f0 = eps});
    ln_aux *a = z ? dc_arena_alloc_raw(g, sizeof *a) : NULL;
    if (!a) return NULL;
    a->C = C;
    a->rows = x->size / C;
    a->mean = dc_arena_alloc_raw(g, sizeof(float) * (size_t)a->rows);
    a->rstd = dc_arena_alloc_raw(g, sizeof(float) * (size_t)a->rows);
    if (!a->mean || !a->rstd) return NULL;
    z->ag->aux = a;
    dc_k_layer_norm_forward(x->data, a->rows, C, gamma ? gamma->data : NULL, beta ? beta->data : NULL, eps, a->mean, a->rstd, z->data);
    return z;
}
