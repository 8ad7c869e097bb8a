/* optim.c — optimizers: one loop over the flat parameter buffer each.
 * Update rules and defaults are torch.optim's (1.13), so parity tests can
 * compare parameter by parameter. To add an optimizer: a dc_opt_kind, a
 * default in its constructor, and a case in dc_optimizer_step. */
#include "../core/internal.h"
#include "../kernels/kernels.h"
#include <math.h>
#include <stdlib.h>

struct dc_optimizer {
    dc_opt_config cfg;
    int64_t n;      /* parameters                                   */
    int64_t t;      /* steps taken                                  */
    float *m, *v;   /* first / second moment (or momentum buffer)   */
};

dc_opt_config dc_sgd(float lr) {
    dc_opt_config c = {.kind = DC_OPT_SGD, .lr = lr};
    return c;
}

dc_opt_config dc_adam(float lr) {
    dc_opt_config c = {.kind = DC_OPT_ADAM, .lr = lr, .beta1 = 0.9f, .beta2 = 0.999f, .eps = 1e-8f};
    return c;
}

dc_optimizer *dc_optimizer_new(dc_opt_config cfg, int64_t n) {
    if (n < 0 || !(cfg.lr >= 0.0f) || !(cfg.momentum >= 0.0f) || !(cfg.weight_decay >= 0.0f)) {
        dc_set_error(DC_ERR_INVALID, "optimizer: invalid settings (lr %g, momentum %g, weight decay %g)", cfg.lr,
                     cfg.momentum, cfg.weight_decay);
        return NULL;
    }
    if (cfg.kind == DC_OPT_ADAM && !(cfg.beta1 >= 0 && cfg.beta1 < 1 && cfg.beta2 >= 0 && cfg.beta2 < 1 && cfg.eps >= 0)) {
        dc_set_error(DC_ERR_INVALID, "adam: betas must be in [0, 1) and eps >= 0");
        return NULL;
    }
    dc_optimizer *o = calloc(1, sizeof *o);
    if (!o) goto nomem;
    o->cfg = cfg;
    o->n = n;
    size_t bytes = (size_t)(n ? n : 1) * sizeof(float);
    if (cfg.kind == DC_OPT_ADAM || cfg.momentum > 0.0f)
        if (!(o->m = calloc(1, bytes))) goto nomem;
    if (cfg.kind == DC_OPT_ADAM)
        if (!(o->v = calloc(1, bytes))) goto nomem;
    return o;
nomem:
    dc_optimizer_free(o);
    dc_set_error(DC_ERR_NOMEM, "optimizer: out of memory for %lld parameters", (long long)n);
    return NULL;
}

void dc_optimizer_free(dc_optimizer *o) {
    if (!o) return;
    free(o->m);
    free(o->v);
    free(o);
}

int64_t dc_optimizer_steps(const dc_optimizer *o) { return o->t; }

/* SGD: g += wd p;  buf = mu buf + g (buf = g on the first step);  p -= lr buf */
static void sgd_step(dc_optimizer *o, float *p, const float *g) {
    const float lr = o->cfg.lr, wd = o->cfg.weight_decay, mu = o->cfg.momentum;
    float *buf = o->m;
    const int first = o->t == 1;
#pragma omp parallel for if (o->n > DC_PAR_MIN) schedule(static)
    for (int64_t i = 0; i < o->n; i++) {
        float d = g[i] + wd * p[i];
        if (buf) d = buf[i] = first ? d : mu * buf[i] + d;
        p[i] -= lr * d;
    }
}

/* Adam: m = b1 m + (1-b1) g;  v = b2 v + (1-b2) g^2;
 *       p -= lr/(1-b1^t) * m / (sqrt(v)/sqrt(1-b2^t) + eps)   */
static void adam_step(dc_optimizer *o, float *p, const float *g) {
    const float b1 = o->cfg.beta1, b2 = o->cfg.beta2, eps = o->cfg.eps, wd = o->cfg.weight_decay;
    /* bias corrections in double, as torch computes them in Python floats */
    const float step_size = (float)((double)o->cfg.lr / (1.0 - pow((double)b1, (double)o->t)));
    const float bc2_sqrt = (float)sqrt(1.0 - pow((double)b2, (double)o->t));
    float *m = o->m, *v = o->v;
#pragma omp parallel for if (o->n > DC_PAR_MIN) schedule(static)
    for (int64_t i = 0; i < o->n; i++) {
        float gi = g[i] + wd * p[i];
        m[i] = m[i] * b1 + gi * (1.0f - b1);
        v[i] = v[i] * b2 + gi * gi * (1.0f - b2);
        float denom = sqrtf(v[i]) / bc2_sqrt + eps;
        p[i] += -step_size * (m[i] / denom);
    }
}

void dc_optimizer_step(dc_optimizer *o, float *params, const float *grads) {
    o->t++;
    switch (o->cfg.kind) {
    case DC_OPT_SGD: sgd_step(o, params, grads); break;
    case DC_OPT_ADAM: adam_step(o, params, grads); break;
    }
}
