/* optim.c — optimizers: one loop over the flat parameter buffer each, and
 * gradient clipping. Update rules and defaults are torch.optim's (1.13), so
 * parity tests compare parameter by parameter; the comment above each step
 * function is its formula. To add an optimizer: a dc_opt_kind, a
 * constructor with its defaults, a step function, a case in the switch. */
#include "../core/internal.h"
#include "../kernels/kernels.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

struct dc_optimizer {
    dc_opt_config cfg;
    int64_t n;          /* parameters                                        */
    int64_t t;          /* steps taken                                       */
    float *buf[3];      /* state; meaning per optimizer (see each step)      */
    int nbuf;
};

dc_opt_config dc_sgd(float lr) { return (dc_opt_config){.kind = DC_OPT_SGD, .lr = lr}; }

dc_opt_config dc_adam(float lr) {
    return (dc_opt_config){.kind = DC_OPT_ADAM, .lr = lr, .beta1 = 0.9f, .beta2 = 0.999f, .eps = 1e-8f};
}

dc_opt_config dc_adamw(float lr) {
    dc_opt_config c = dc_adam(lr);
    c.kind = DC_OPT_ADAMW;
    c.weight_decay = 0.01f;
    return c;
}

dc_opt_config dc_adagrad(float lr) { return (dc_opt_config){.kind = DC_OPT_ADAGRAD, .lr = lr, .eps = 1e-10f}; }

dc_opt_config dc_rmsprop(float lr) {
    return (dc_opt_config){.kind = DC_OPT_RMSPROP, .lr = lr, .alpha = 0.99f, .eps = 1e-8f};
}

static const char *const opt_names[] = {"sgd", "adam", "adamw", "adagrad", "rmsprop"};

const char *dc_opt_name(dc_opt_kind k) { return (unsigned)k < 5 ? opt_names[k] : "?"; }

int dc_opt_from_name(const char *name, dc_opt_config *out) {
    if (!strcmp(name, "sgd")) *out = dc_sgd(0.01f);
    else if (!strcmp(name, "adam")) *out = dc_adam(0.001f);
    else if (!strcmp(name, "adamw")) *out = dc_adamw(0.001f);
    else if (!strcmp(name, "adagrad")) *out = dc_adagrad(0.01f);
    else if (!strcmp(name, "rmsprop")) *out = dc_rmsprop(0.01f);
    else return -1;
    return 0;
}

/* State buffers each optimizer needs. */
static int buffers_needed(const dc_opt_config *c) {
    switch (c->kind) {
    case DC_OPT_SGD: return c->momentum > 0.0f ? 1 : 0;              /* momentum buffer       */
    case DC_OPT_ADAM: case DC_OPT_ADAMW: return c->amsgrad ? 3 : 2;  /* m, v, max v           */
    case DC_OPT_ADAGRAD: return 1;                                   /* sum of squares        */
    case DC_OPT_RMSPROP: return 1 + (c->momentum > 0.0f) + (c->centered != 0); /* sq, [buf], [grad avg] */
    }
    return 0;
}

dc_optimizer *dc_optimizer_new(dc_opt_config cfg, int64_t n) {
    if (n < 0 || (unsigned)cfg.kind > DC_OPT_RMSPROP || !(cfg.lr >= 0.0f) || !(cfg.momentum >= 0.0f) ||
        !(cfg.weight_decay >= 0.0f) || !(cfg.eps >= 0.0f) || !(cfg.clip_norm >= 0.0f) || !(cfg.clip_value >= 0.0f)) {
        dc_set_error(DC_ERR_INVALID, "optimizer: invalid settings (lr %g, momentum %g, weight decay %g, eps %g)", cfg.lr,
                     cfg.momentum, cfg.weight_decay, cfg.eps);
        return NULL;
    }
    if ((cfg.kind == DC_OPT_ADAM || cfg.kind == DC_OPT_ADAMW) &&
        !(cfg.beta1 >= 0 && cfg.beta1 < 1 && cfg.beta2 >= 0 && cfg.beta2 < 1)) {
        dc_set_error(DC_ERR_INVALID, "adam: betas must be in [0, 1)");
        return NULL;
    }
    if (cfg.kind == DC_OPT_SGD && cfg.nesterov && (cfg.momentum <= 0.0f || cfg.dampening != 0.0f)) {
        dc_set_error(DC_ERR_INVALID, "sgd: Nesterov momentum requires a momentum and zero dampening");
        return NULL;
    }
    if (cfg.kind == DC_OPT_RMSPROP && !(cfg.alpha >= 0.0f && cfg.alpha <= 1.0f)) {
        dc_set_error(DC_ERR_INVALID, "rmsprop: alpha must be in [0, 1]");
        return NULL;
    }
    dc_optimizer *o = calloc(1, sizeof *o);
    if (!o) goto nomem;
    o->cfg = cfg;
    o->n = n;
    o->nbuf = buffers_needed(&cfg);
    size_t bytes = (size_t)(n ? n : 1) * sizeof(float);
    for (int i = 0; i < o->nbuf; i++)
        if (!(o->buf[i] = calloc(1, bytes))) goto nomem;
    if (cfg.kind == DC_OPT_ADAGRAD)
        for (int64_t i = 0; i < n; i++) o->buf[0][i] = cfg.initial_accumulator_value;
    return o;
nomem:
    dc_optimizer_free(o);
    dc_set_error(DC_ERR_NOMEM, "optimizer: out of memory for %lld parameters", (long long)n);
    return NULL;
}

void dc_optimizer_free(dc_optimizer *o) {
    if (!o) return;
    for (int i = 0; i < 3; i++) free(o->buf[i]);
    free(o);
}

int64_t dc_optimizer_steps(const dc_optimizer *o) { return o->t; }
void dc_optimizer_set_steps(dc_optimizer *o, int64_t t) { o->t = t; }
void dc_optimizer_set_lr(dc_optimizer *o, float lr) { o->cfg.lr = lr; }
float dc_optimizer_lr(const dc_optimizer *o) { return o->cfg.lr; }
int dc_optimizer_num_buffers(const dc_optimizer *o) { return o->nbuf; }
float *dc_optimizer_buffer(dc_optimizer *o, int i) { return i >= 0 && i < o->nbuf ? o->buf[i] : NULL; }
int64_t dc_optimizer_size(const dc_optimizer *o) { return o->n; }

dc_optimizer *dc_optimizer_slice(const dc_optimizer *o, int64_t lo, int64_t hi) {
    dc_optimizer *s = dc_optimizer_new(o->cfg, hi - lo);
    if (!s) return NULL;
    s->t = o->t;
    for (int i = 0; i < o->nbuf; i++) memcpy(s->buf[i], o->buf[i] + lo, sizeof(float) * (size_t)(hi - lo));
    return s;
}

/* SGD:  d = g + wd p
 *       b = d (first step) | mu b + (1 - dampening) d
 *       d = nesterov ? d + mu b : b          (when mu > 0)
 *       p -= lr d                                                        */
static void sgd_step(dc_optimizer *o, float *p, const float *g) {
    const float lr = o->cfg.lr, wd = o->cfg.weight_decay, mu = o->cfg.momentum, damp = 1.0f - o->cfg.dampening;
    const int64_t n = o->n;
    float *b = o->buf[0];
    /* one branch-free loop per case, so each vectorizes */
    if (!b) {
#pragma omp parallel for num_threads(dc_k_run_threads()) if (n > DC_PAR_MIN) schedule(static)
        for (int64_t i = 0; i < n; i++) p[i] -= lr * (g[i] + wd * p[i]);
    } else if (o->t == 1) {
#pragma omp parallel for num_threads(dc_k_run_threads()) if (n > DC_PAR_MIN) schedule(static)
        for (int64_t i = 0; i < n; i++) {
            float d = g[i] + wd * p[i];
            b[i] = d;
            p[i] -= lr * (o->cfg.nesterov ? d + mu * d : d);
        }
    } else if (o->cfg.nesterov) {
#pragma omp parallel for num_threads(dc_k_run_threads()) if (n > DC_PAR_MIN) schedule(static)
        for (int64_t i = 0; i < n; i++) {
            float d = g[i] + wd * p[i];
            b[i] = mu * b[i] + damp * d;
            p[i] -= lr * (d + mu * b[i]);
        }
    } else {
#pragma omp parallel for num_threads(dc_k_run_threads()) if (n > DC_PAR_MIN) schedule(static)
        for (int64_t i = 0; i < n; i++) {
            b[i] = mu * b[i] + damp * (g[i] + wd * p[i]);
            p[i] -= lr * b[i];
        }
    }
}

/* Adam:  g += wd p                       (AdamW instead: p *= 1 - lr wd)
 *        m = b1 m + (1-b1) g;  v = b2 v + (1-b2) g^2
 *        vmax = max(vmax, v)             (AMSGrad; then v := vmax below)
 *        p -= lr/(1-b1^t) * m / (sqrt(v)/sqrt(1-b2^t) + eps)             */
static void adam_step(dc_optimizer *o, float *p, const float *g) {
    const float b1 = o->cfg.beta1, b2 = o->cfg.beta2, eps = o->cfg.eps;
    const int decoupled = o->cfg.kind == DC_OPT_ADAMW;
    const float wd = decoupled ? 0.0f : o->cfg.weight_decay;
    const float shrink = decoupled ? 1.0f - o->cfg.lr * o->cfg.weight_decay : 1.0f;
    /* bias corrections in double, as torch computes them in Python floats */
    const float step_size = (float)((double)o->cfg.lr / (1.0 - pow((double)b1, (double)o->t)));
    const float bc2_sqrt = (float)sqrt(1.0 - pow((double)b2, (double)o->t));
    float *m = o->buf[0], *v = o->buf[1], *vmax = o->buf[2];
#pragma omp parallel for num_threads(dc_k_run_threads()) if (o->n > DC_PAR_MIN) schedule(static)
    for (int64_t i = 0; i < o->n; i++) {
        float gi = g[i] + wd * p[i];
        p[i] *= shrink;
        m[i] = m[i] * b1 + gi * (1.0f - b1);
        v[i] = v[i] * b2 + gi * gi * (1.0f - b2);
        float vv = v[i];
        if (vmax) vv = vmax[i] = vmax[i] > vv ? vmax[i] : vv;
        float denom = sqrtf(vv) / bc2_sqrt + eps;
        p[i] += -step_size * (m[i] / denom);
    }
}

/* Adagrad:  g += wd p;  s += g^2;  p -= lr/(1 + (t-1) lr_decay) * g / (sqrt(s) + eps) */
static void adagrad_step(dc_optimizer *o, float *p, const float *g) {
    const float wd = o->cfg.weight_decay, eps = o->cfg.eps;
    const float clr = (float)((double)o->cfg.lr / (1.0 + (double)(o->t - 1) * o->cfg.lr_decay));
    float *s = o->buf[0];
#pragma omp parallel for num_threads(dc_k_run_threads()) if (o->n > DC_PAR_MIN) schedule(static)
    for (int64_t i = 0; i < o->n; i++) {
        float gi = g[i] + wd * p[i];
        s[i] += gi * gi;
        p[i] += -clr * (gi / (sqrtf(s[i]) + eps));
    }
}

/* RMSprop:  g += wd p;  s = a s + (1-a) g^2
 *           centered: ga = a ga + (1-a) g;  d = sqrt(s - ga^2) + eps, else d = sqrt(s) + eps
 *           momentum: b = mu b + g / d;  p -= lr b,   else p -= lr g / d          */
static void rmsprop_step(dc_optimizer *o, float *p, const float *g) {
    const float a = o->cfg.alpha, wd = o->cfg.weight_decay, eps = o->cfg.eps, lr = o->cfg.lr, mu = o->cfg.momentum;
    const int64_t n = o->n;
    float *s = o->buf[0];
    float *b = mu > 0.0f ? o->buf[1] : NULL;
    float *ga = o->cfg.centered ? o->buf[mu > 0.0f ? 2 : 1] : NULL;
    if (!b && !ga) { /* the common case, branch-free so it vectorizes */
#pragma omp parallel for num_threads(dc_k_run_threads()) if (n > DC_PAR_MIN) schedule(static)
        for (int64_t i = 0; i < n; i++) {
            float gi = g[i] + wd * p[i];
            s[i] = s[i] * a + gi * gi * (1.0f - a);
            p[i] += -lr * (gi / (sqrtf(s[i]) + eps));
        }
        return;
    }
#pragma omp parallel for num_threads(dc_k_run_threads()) if (n > DC_PAR_MIN) schedule(static)
    for (int64_t i = 0; i < n; i++) {
        float gi = g[i] + wd * p[i];
        s[i] = s[i] * a + gi * gi * (1.0f - a);
        float d;
        if (ga) {
            ga[i] = ga[i] * a + gi * (1.0f - a);
            d = sqrtf(s[i] - ga[i] * ga[i]) + eps;
        } else {
            d = sqrtf(s[i]) + eps;
        }
        if (b) {
            b[i] = b[i] * mu + gi / d;
            p[i] += -lr * b[i];
        } else {
            p[i] += -lr * (gi / d);
        }
    }
}

void dc_optimizer_step(dc_optimizer *o, float *params, const float *grads) {
    o->t++;
    switch (o->cfg.kind) {
    case DC_OPT_SGD: sgd_step(o, params, grads); break;
    case DC_OPT_ADAM: case DC_OPT_ADAMW: adam_step(o, params, grads); break;
    case DC_OPT_ADAGRAD: adagrad_step(o, params, grads); break;
    case DC_OPT_RMSPROP: rmsprop_step(o, params, grads); break;
    }
}

/* Sum of squares in 16 float lanes (lane j takes elements i = j mod 16,
 * so the loop vectorizes without reassociation), lanes added in double.
 * Serial and fixed-order: the same for any thread count. */
static double sum_squares(const float *g, int64_t n) {
    float lane[16] = {0};
    int64_t i = 0;
    for (; i + 16 <= n; i += 16)
        for (int j = 0; j < 16; j++) lane[j] += g[i + j] * g[i + j];
    double total = 0.0;
    for (int j = 0; j < 16; j++) total += lane[j];
    for (; i < n; i++) total += (double)g[i] * g[i];
    return total;
}

double dc_grad_sum_squares(const float *g, int64_t n) { return sum_squares(g, n); }

double dc_clip_grad_norm(float *g, int64_t n, float max_norm) {
    double norm = sqrt(sum_squares(g, n));
    /* torch: coef = max_norm / (norm + 1e-6), applied when below 1 */
    double coef = (double)max_norm / (norm + 1e-6);
    if (coef < 1.0) {
        float c = (float)coef;
        for (int64_t i = 0; i < n; i++) g[i] *= c;
    }
    return norm;
}

void dc_clip_grad_value(float *g, int64_t n, float clip) {
    for (int64_t i = 0; i < n; i++) g[i] = g[i] > clip ? clip : (g[i] < -clip ? -clip : g[i]);
}

double dc_regularize(const float *w, float *g, int64_t n, float l1, float l2) {
    for (int64_t i = 0; i < n; i++) {
        float s = (float)((w[i] > 0.0f) - (w[i] < 0.0f)); /* d|w|/dw = sign(w), 0 at 0 */
        g[i] += l1 * s + 2.0f * l2 * w[i];
    }
    /* the penalty, for the reported loss: lanes as in sum_squares */
    float a1[16] = {0}, a2[16] = {0};
    int64_t i = 0;
    for (; i + 16 <= n; i += 16)
        for (int j = 0; j < 16; j++) {
            a1[j] += fabsf(w[i + j]);
            a2[j] += w[i + j] * w[i + j];
        }
    double s1 = 0.0, s2 = 0.0;
    for (int j = 0; j < 16; j++) s1 += a1[j], s2 += a2[j];
    for (; i < n; i++) s1 += fabs((double)w[i]), s2 += (double)w[i] * w[i];
    return (double)l1 * s1 + (double)l2 * s2;
}
