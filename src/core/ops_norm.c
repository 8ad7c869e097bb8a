/* ops_norm.c — batch normalization over axis 1 of (N, C) or (N, C, H, W).
 * With M = elements per channel, xhat = (x - mean) / sqrt(var + eps):
 *   z = gamma xhat + beta
 *   training:  dx = gamma invstd / M (M g - sum g - xhat sum(g xhat))
 *   eval:      dx = gamma invstd_running g
 *   dgamma = sum g xhat      dbeta = sum g
 * Per-channel sums run over n then spatial position in a fixed order. */
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
    const int64_t M = a->N * a->S;
#pragma omp parallel for num_threads(dc_k_run_threads()) if (x->size > 32768) schedule(static)
    for (int64_t c = 0; c < a->C; c++) {
        double sg = 0.0, sgx = 0.0;
        for (int64_t n = 0; n < a->N; n++)
            for (int64_t s = 0; s < a->S; s++) {
                int64_t i = (n * a->C + c) * a->S + s;
                double xh = ((double)x->data[i] - a->mean[c]) * a->invstd[c];
                sg += t->grad[i];
                sgx += t->grad[i] * xh;
            }
        if (gm->requires_grad) gm->grad[c] += (float)sgx;
        if (bt->requires_grad) bt->grad[c] += (float)sg;
        if (!x->requires_grad) continue;
        const double k = (double)gm->data[c] * a->invstd[c];
        for (int64_t n = 0; n < a->N; n++)
            for (int64_t s = 0; s < a->S; s++) {
                int64_t i = (n * a->C + c) * a->S + s;
                if (a->training) {
                    double xh = ((double)x->data[i] - a->mean[c]) * a->invstd[c];
                    x->grad[i] += (float)(k / (double)M * ((double)M * t->grad[i] - sg - xh * sgx));
                } else {
                    x->grad[i] += (float)(k * t->grad[i]);
                }
            }
    }
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
    const int64_t M = a.N * a.S;
    if (a.training && M < 2) {
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
#pragma omp parallel for num_threads(dc_k_run_threads()) if (x->size > 32768) schedule(static)
    for (int64_t c = 0; c < a.C; c++) {
        double mean, var;
        if (a.training) {
            double s = 0.0, ss = 0.0;
            for (int64_t n = 0; n < a.N; n++)
                for (int64_t q = 0; q < a.S; q++) s += x->data[(n * a.C + c) * a.S + q];
            mean = s / (double)M;
            for (int64_t n = 0; n < a.N; n++)
                for (int64_t q = 0; q < a.S; q++) {
                    double d = x->data[(n * a.C + c) * a.S + q] - mean;
                    ss += d * d;
                }
            var = ss / (double)M;
            rmean[c] = (float)((1.0 - momentum) * rmean[c] + momentum * mean);
            rvar[c] = (float)((1.0 - momentum) * rvar[c] + momentum * ss / (double)(M - 1));
        } else {
            mean = rmean[c];
            var = rvar[c];
        }
        a.mean[c] = (float)mean;
        a.invstd[c] = (float)(1.0 / sqrt(var + eps));
        for (int64_t n = 0; n < a.N; n++)
            for (int64_t q = 0; q < a.S; q++) {
                int64_t i = (n * a.C + c) * a.S + q;
                z->data[i] = gamma->data[c] * ((x->data[i] - a.mean[c]) * a.invstd[c]) + beta->data[c];
            }
    }
    return z;
}

/* ---- layer normalization over the last axis --------------------------------
 * Per row of C values, xhat = (x - mean) rstd, rstd = 1/sqrt(var + eps)
 * (biased variance, as torch.nn.LayerNorm):
 *   z = gamma xhat + beta
 *   dx = rstd (gh - mean(gh) - xhat mean(gh xhat)),  gh = g gamma
 *   dgamma = sum_rows g xhat      dbeta = sum_rows g
 * Rows run in parallel; the column sums of dgamma and dbeta go through
 * fixed chunks of rows added in order, so they do not depend on the thread
 * count. */

#define LN_CHUNK 64 /* rows per partial sum of dgamma/dbeta */

typedef struct {
    int64_t rows, C;
    float *mean, *rstd;
} ln_aux;

static void ln_backward(dc_graph *g, dc_tensor *t) {
    const ln_aux *a = t->ag->aux;
    dc_tensor *x = t->ag->src[0], *gm = t->ag->nsrc > 1 ? t->ag->src[1] : NULL, *bt = t->ag->nsrc > 2 ? t->ag->src[2] : NULL;
    const int64_t R = a->rows, C = a->C, nch = (R + LN_CHUNK - 1) / LN_CHUNK;
    const int want_p = (gm && gm->requires_grad) || (bt && bt->requires_grad);
    float *part = want_p ? dc_arena_alloc(g, sizeof(float) * (size_t)(nch * 2 * C)) : NULL;
    const int nt = dc_threads();
    float *gh = dc_arena_alloc_raw(g, sizeof(float) * (size_t)(C * nt));
    if ((want_p && !part) || !gh) return;
#pragma omp parallel for num_threads(dc_k_run_threads_for(nt)) if (t->size > 32768) schedule(static)
    for (int64_t ch = 0; ch < nch; ch++) {
        float *h = gh + dc_thread_slot() * C;
        float *pg = part ? part + ch * 2 * C : NULL, *pb = pg ? pg + C : NULL;
        const int64_t r1 = (ch + 1) * LN_CHUNK < R ? (ch + 1) * LN_CHUNK : R;
        for (int64_t r = ch * LN_CHUNK; r < r1; r++) {
            const float *xr = x->data + r * C, *gr = t->grad + r * C;
            const float mu = a->mean[r], rs = a->rstd[r];
            float s1 = 0.0f, s2 = 0.0f;
            for (int64_t c = 0; c < C; c++) {
                float xh = (xr[c] - mu) * rs;
                h[c] = gm ? gr[c] * gm->data[c] : gr[c];
                s1 += h[c];
                s2 += h[c] * xh;
                if (pg) {
                    pg[c] += gr[c] * xh;
                    pb[c] += gr[c];
                }
            }
            if (!x->requires_grad) continue;
            s1 /= (float)C;
            s2 /= (float)C;
            float *dx = x->grad + r * C;
            for (int64_t c = 0; c < C; c++) dx[c] += rs * (h[c] - s1 - (xr[c] - mu) * rs * s2);
        }
    }
    if (!part) return;
    for (int64_t ch = 0; ch < nch; ch++) {
        const float *pg = part + ch * 2 * C, *pb = pg + C;
        if (gm && gm->requires_grad)
            for (int64_t c = 0; c < C; c++) gm->grad[c] += pg[c];
        if (bt && bt->requires_grad)
            for (int64_t c = 0; c < C; c++) bt->grad[c] += pb[c];
    }
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
    DC_PARALLEL_FOR(x->size > DC_PAR_MIN, r, a->rows, {
        const float *xr = x->data + r * C;
        float *zr = z->data + r * C;
        float s = 0.0f, ss = 0.0f;
        for (int64_t c = 0; c < C; c++) s += xr[c];
        const float mu = s / (float)C;
        for (int64_t c = 0; c < C; c++) ss += (xr[c] - mu) * (xr[c] - mu);
        const float rs = 1.0f / sqrtf(ss / (float)C + eps);
        a->mean[r] = mu;
        a->rstd[r] = rs;
        for (int64_t c = 0; c < C; c++) {
            float v = (xr[c] - mu) * rs;
            zr[c] = gamma ? v * gamma->data[c] + (beta ? beta->data[c] : 0.0f) : v;
        }
    });
    return z;
}
