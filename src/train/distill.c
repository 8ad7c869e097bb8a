/* distill.c — knowledge distillation (Hinton, Vinyals and Dean 2015): a
 * student learns from a teacher's softened outputs beside the true labels,
 *
 *   loss = (1 - alpha) * student's own loss + alpha * T^2 * KL(p_T || q_T)
 *
 * with p_T = softmax(teacher logits / T) and q_T = softmax(student logits /
 * T) over the last axis: a class per row, or a token per position of a
 * language model ((N, T, V) logits: every position a row). T^2 keeps the
 * soft term's gradients at the scale of the hard one's as T grows. The
 * term is built from ops on the student's graph (autograd reaches it, and
 * progress shows it as the loss part "callback"); the teacher runs on the
 * same batch in a graph of its own, without gradients, and is never
 * written. The KL divergence is the cross-entropy of q_T against p_T less
 * p_T's entropy (a constant of the step): KLDivLoss(reduction="batchmean")
 * in PyTorch's terms. */
#include "../nn/model.h"
#include "../core/internal.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

struct dc_distiller {
    const dc_model *teacher;
    float temperature, alpha;
    dc_graph *tg; /* the teacher's forward passes */
    dc_callbacks cb;
};

dc_tensor *dc_distill_term(dc_graph *g, dc_tensor *student_logits, const float *teacher_logits, float temperature) {
    if (!student_logits || !dc_check_f32("distill", student_logits)) return NULL;
    if (!(temperature > 0.0f) || !isfinite(temperature)) {
        dc_set_error(DC_ERR_INVALID, "distill: the temperature must be positive, not %g", (double)temperature);
        return NULL;
    }
    const int64_t V = student_logits->shape[student_logits->ndim - 1], rows = student_logits->size / V;
    dc_tensor *p = dc_input(g, DC_F32, 2, (int64_t[]){rows, V}); /* p_T: a constant of the step */
    if (!p) return NULL;
    double entropy = 0.0;
    for (int64_t r = 0; r < rows; r++) {
        const float *t = teacher_logits + r * V;
        float *pr = p->data + r * V, mx = -INFINITY;
        for (int64_t v = 0; v < V; v++) mx = t[v] / temperature > mx ? t[v] / temperature : mx;
        double s = 0.0;
        for (int64_t v = 0; v < V; v++) s += pr[v] = expf(t[v] / temperature - mx);
        const double ls = log(s);
        for (int64_t v = 0; v < V; v++) {
            const double lp = (double)(t[v] / temperature - mx) - ls; /* log p_T */
            pr[v] = (float)exp(lp);
            if (pr[v] > 0.0f) entropy -= (double)pr[v] * lp;
        }
    }
    dc_tensor *flat = dc_reshape(g, student_logits, 2, (int64_t[]){rows, V});
    dc_tensor *ce = flat ? dc_cross_entropy(g, dc_mul_scalar(g, flat, 1.0f / temperature), p, 1) : NULL; /* mean over rows */
    dc_tensor *kl = ce ? dc_add_scalar(g, ce, (float)(-entropy / (double)rows)) : NULL;
    return kl ? dc_mul_scalar(g, kl, temperature * temperature) : NULL;
}

/* The callback: the teacher on the batch, then alpha times the term. */
static dc_tensor *term(const dc_model *m, dc_graph *g, dc_tensor *x, dc_tensor *output, dc_tensor *logits, void *user) {
    (void)m, (void)output;
    dc_distiller *d = user;
    dc_graph_reset(d->tg);
    dc_tensor *tx = dc_input(d->tg, x->dtype, x->ndim, x->shape);
    if (!tx) return NULL;
    memcpy(tx->raw, x->raw, (size_t)x->size * dc_dtype_size(x->dtype));
    dc_tensor *tl = NULL, *ty = dc_model_forward(d->teacher, d->tg, tx, &tl);
    if (!ty) return NULL;
    if (!tl) tl = ty; /* no softmax at the end: the outputs are the logits */
    if (tl->size != logits->size || tl->shape[tl->ndim - 1] != logits->shape[logits->ndim - 1]) {
        char a[96], b[96];
        dc_shape_str(tl, a, sizeof a), dc_shape_str(logits, b, sizeof b);
        dc_set_error(DC_ERR_INVALID, "distill: the teacher's outputs %s do not match the student's %s (the same classes or vocabulary)", a,
                     b);
        return NULL;
    }
    dc_tensor *k = dc_distill_term(g, logits, tl->data, d->temperature);
    return k ? dc_mul_scalar(g, k, d->alpha) : NULL;
}

dc_distiller *dc_distiller_new(const dc_model *teacher, float temperature, float alpha) {
    if (!teacher || !(temperature > 0.0f) || !isfinite(temperature) || !(alpha >= 0.0f && alpha <= 1.0f)) {
        dc_set_error(DC_ERR_INVALID, "distill: needs a teacher, a temperature > 0 (got %g) and alpha in [0, 1] (got %g)",
                     (double)temperature, (double)alpha);
        return NULL;
    }
    dc_distiller *d = calloc(1, sizeof *d);
    if (!d || !(d->tg = dc_graph_new())) {
        free(d);
        dc_set_error(DC_ERR_NOMEM, "distill: out of memory");
        return NULL;
    }
    dc_graph_set_grad_enabled(d->tg, 0);
    d->teacher = teacher;
    d->temperature = temperature;
    d->alpha = alpha;
    d->cb.loss = term;
    d->cb.user = d;
    d->cb.own_loss_weight = 1.0f - alpha;
    d->cb.weigh_own_loss = 1;
    return d;
}

void dc_distiller_free(dc_distiller *d) {
    if (!d) return;
    dc_graph_free(d->tg);
    free(d);
}

const dc_callbacks *dc_distiller_callbacks(const dc_distiller *d) { return d ? &d->cb : NULL; }
