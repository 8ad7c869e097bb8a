/* loss.c — the loss of a model, built from ops in the graph: every `loss`
 * line (a loss on one output against the labels or the input itself),
 * every term a layer added during forward (a VAE's KL divergence), and the
 * kernel regularizers. Autograd differentiates all of it.
 *
 * A softmax or sigmoid at the end of an output is folded into its loss
 * (the loss reads the logits): what Keras does behind from_logits=False,
 * and what keeps the loss finite for confident wrong predictions. */
#include "model.h"
#include "../kernels/kernels.h"
#include <string.h>

const char *dc_loss_name(dc_loss_kind k) {
    switch (k) {
    case DC_LOSS_MSE: return "mse";
    case DC_LOSS_BCE: return "binary_crossentropy";
    case DC_LOSS_CATEGORICAL_CE: return "categorical_crossentropy";
    default: return "none";
    }
}

int dc_loss_from_name(const char *s) {
    if (!strcmp(s, "mse") || !strcmp(s, "mean_squared_error")) return DC_LOSS_MSE;
    if (!strcmp(s, "binary_crossentropy") || !strcmp(s, "bce")) return DC_LOSS_BCE;
    if (!strcmp(s, "categorical_crossentropy") || !strcmp(s, "sparse_categorical_crossentropy") || !strcmp(s, "cross_entropy"))
        return DC_LOSS_CATEGORICAL_CE;
    return -1;
}

static int64_t node_size(const dc_model *m, int node) {
    const dc_shape *s = &m->nodes[node]->out;
    return dc_shape_size(s->ndim, s->d);
}

static int first_output(const dc_model *m) { return m->noutputs ? m->outputs[0] : m->nnodes - 1; }

/* What the loss is when nothing says: from the output's last activation. */
static dc_loss_kind guess_loss(const dc_model *m) {
    const dc_layer *l = m->nodes[first_output(m)];
    dc_activation a = DC_ACT_NONE;
    const dc_layer_option *o = dc_layer_option_find(l->type, "activation");
    if (o && o->type == DC_O_ACT) a = *(const dc_activation *)((const char *)l->cfg + o->offset);
    if (a == DC_ACT_SOFTMAX) return DC_LOSS_CATEGORICAL_CE;
    if (a == DC_ACT_SIGMOID && node_size(m, first_output(m)) == 1) return DC_LOSS_BCE;
    return DC_LOSS_MSE;
}

dc_status dc_model_default_losses(dc_model *m) {
    if (m->recipe.nlosses) {
        m->recipe.loss = m->recipe.losses[0].kind;
        return DC_OK;
    }
    if (!m->recipe.compiled) m->recipe.loss = guess_loss(m);
    m->recipe.compiled = 1;
    return DC_OK;
}

/* The loss lines in force: the model's, or one on the first output. */
static int loss_specs(const dc_model *m, const dc_loss_spec **specs, dc_loss_spec *one) {
    if (m->recipe.nlosses) {
        *specs = m->recipe.losses;
        return m->recipe.nlosses;
    }
    *one = (dc_loss_spec){.kind = m->recipe.loss, .output = first_output(m), .target = DC_TARGET_LABEL, .weight = 1.0f, .name = "loss"};
    *specs = one;
    return 1;
}

int dc_model_output_loss(const dc_model *m, int node) {
    const dc_loss_spec *s;
    dc_loss_spec one;
    int n = loss_specs(m, &s, &one);
    for (int i = 0; i < n; i++)
        if (s[i].output == node && s[i].target != DC_TARGET_INPUT) return (int)s[i].kind;
    return -1;
}

int dc_model_reconstructs(const dc_model *m) {
    const dc_loss_spec *s;
    dc_loss_spec one;
    int n = loss_specs(m, &s, &one);
    for (int i = 0; i < n; i++)
        if (s[i].target == DC_TARGET_INPUT) return 1;
    return 0;
}

const char *dc_model_latent_layer(const dc_model *m) {
    /* a VAE: what its sampling layer reads first (the mean) */
    for (int i = 0; i < m->nnodes; i++)
        if (!strcmp(m->nodes[i]->type->keyword, "sampling") && m->nodes[i]->nin > 0) return m->nodes[m->nodes[i]->in[0]]->name;
    /* else the narrowest layer between the input and the output (an autoencoder's code) */
    const int out = first_output(m);
    int best = -1;
    for (int i = 0; i < m->nnodes; i++) {
        if (i == out || m->nodes[i]->type == &dc_layer_input) continue;
        if (best < 0 || node_size(m, i) < node_size(m, best)) best = i;
    }
    return best >= 0 ? m->nodes[best]->name : NULL;
}

int dc_model_class_output(const dc_model *m) {
    const dc_loss_spec *s;
    dc_loss_spec one;
    int n = loss_specs(m, &s, &one);
    for (int i = 0; i < n; i++)
        if (s[i].target == DC_TARGET_LABEL && s[i].kind != DC_LOSS_MSE) return s[i].output;
    return -1;
}

/* One loss line's value: mean over every value of the output (or, sum,
 * summed over each sample's values and averaged over the batch). */
static dc_tensor *one_loss(const dc_model *m, dc_graph *g, const dc_loss_spec *s, const dc_value *v, dc_tensor *x, dc_tensor *labels,
                           dc_tensor *targets) {
    dc_tensor *out = v->y, *logits = v->logits ? v->logits : v->y;
    dc_activation act = v->logits ? v->act : DC_ACT_NONE;
    int64_t N = out->shape[0], D = out->size / (N ? N : 1);
    dc_tensor *t = NULL, *l = NULL;
    if (s->target == DC_TARGET_NAMED) { /* the batch's tensor of that name: labels (I32) or values (F32) */
        dc_tensor *f = dc_graph_fed(g, s->target_name);
        if (!f || (f->dtype != DC_I32 && f->dtype != DC_F32) || f->shape[0] != N) {
            dc_set_error(DC_ERR_INVALID, "loss %s: target \"%s\" %s", s->name, s->target_name,
                         !f ? "is not in the batch (the data has no array of that name: dc_dataset_add_array, dc_graph_feed)"
                            : "must hold one row of int32 labels or float values per sample of the batch");
            return NULL;
        }
        labels = f->dtype == DC_I32 ? f : NULL;
        targets = f->dtype == DC_F32 ? f : NULL;
    }
    if (s->target == DC_TARGET_INPUT) {
        if (!x || x->size != out->size) {
            dc_set_error(DC_ERR_INVALID, "loss %s: output \"%s\" has %lld values per sample, the input %lld (target=input needs them equal)",
                         s->name, m->nodes[s->output]->name, (long long)D, x ? (long long)(x->size / (N ? N : 1)) : 0LL);
            return NULL;
        }
        t = dc_reshape(g, x, out->ndim, out->shape);
        if (!t) return NULL;
        if (s->kind == DC_LOSS_CATEGORICAL_CE) {
            dc_set_error(DC_ERR_INVALID, "loss %s: categorical cross-entropy needs class labels, not target=input", s->name);
            return NULL;
        }
    }
    if (s->kind == DC_LOSS_CATEGORICAL_CE && !labels && targets && targets->size == out->size) {
        /* soft targets: a probability per class (a teacher's, label smoothing),
         * rows of the output's last dimension */
        const int64_t C = out->shape[out->ndim - 1], R = out->size / C, s2[2] = {R, C};
        dc_tensor *lg = act == DC_ACT_SOFTMAX ? logits : out, *tt = dc_reshape(g, targets, 2, s2);
        lg = tt ? dc_reshape(g, lg, 2, s2) : NULL;
        if (!lg) return NULL;
        l = dc_cross_entropy(g, lg, tt, act == DC_ACT_SOFTMAX || act == DC_ACT_NONE || act == DC_ACT_LOG_SOFTMAX);
        if (l && s->sum) l = dc_mul_scalar(g, l, (float)D);
        return l;
    }
    if (s->kind == DC_LOSS_CATEGORICAL_CE) {
        if (!labels) {
            dc_set_error(DC_ERR_INVALID, "loss %s: categorical cross-entropy needs class labels or a probability per class "
                                         "(targets of the output's size), and the data has neither", s->name);
            return NULL;
        }
        /* a class per time step: (N, T, C) against (N, T) is (N*T, C) against (N*T) */
        int64_t L = labels->size, C = out->shape[out->ndim - 1];
        if (L != N || out->ndim != 2) {
            if (C * L != out->size) {
                dc_set_error(DC_ERR_INVALID,
                             "loss %s: %lld labels per batch do not match an output of %lld values (classes last)%s", s->name,
                             (long long)L, (long long)out->size,
                             out->ndim == 3 && L == N ? "; the output has a class per step: for one per sample, flatten "
                                                        "before the dense layer or end the sequence first"
                                                      : "");
                return NULL;
            }
            int64_t s2[2] = {L, C}, s1[1] = {L};
            out = dc_reshape(g, out, 2, s2);
            logits = out && logits != v->y ? dc_reshape(g, logits, 2, s2) : out;
            labels = logits ? dc_reshape(g, labels, 1, s1) : NULL;
            if (!labels) return NULL;
        }
        if (act == DC_ACT_SOFTMAX) l = dc_cross_entropy(g, logits, labels, 1);
        else if (act == DC_ACT_NONE || act == DC_ACT_LOG_SOFTMAX) l = dc_cross_entropy(g, out, labels, 1);
        else l = dc_cross_entropy(g, out, labels, 0);
    } else {
        if (!t && targets) t = out->ndim == targets->ndim ? targets : dc_reshape(g, targets, out->ndim, out->shape);
        if (!t) { /* labels as numbers (one output) or one-hot */
            if (!labels) {
                dc_set_error(DC_ERR_INVALID, "loss %s: no targets", s->name);
                return NULL;
            }
            if (!(t = dc_input(g, DC_F32, out->ndim, out->shape))) return NULL;
            if (D == 1) {
                for (int64_t i = 0; i < N; i++) t->data[i] = (float)labels->idata[i];
            } else if (dc_one_hot(labels->idata, N, (int)D, t->data)) {
                return NULL;
            }
        }
        if (s->kind == DC_LOSS_MSE) l = dc_mse_loss(g, out, t);
        else if (act == DC_ACT_SIGMOID) l = dc_bce_logits_loss(g, logits, t);
        else if (act == DC_ACT_NONE) l = dc_bce_logits_loss(g, out, t);
        else l = dc_bce_loss(g, out, t);
    }
    if (l && s->sum) l = dc_mul_scalar(g, l, (float)D);
    return l;
}

static void reverse_parts(dc_graph_term *p, int a, int b) {
    for (b--; a < b; a++, b--) {
        dc_graph_term t = p[a];
        p[a] = p[b];
        p[b] = t;
    }
}

dc_tensor *dc_model_build_loss(const dc_model *m, dc_graph *g, dc_value *vals, dc_tensor *x, dc_tensor *labels, dc_tensor *targets) {
    if (!m->recipe.compiled && !m->recipe.nlosses) {
        dc_set_error(DC_ERR_INVALID, "fit: the model has no loss (add a 'loss' line or call dc_model_compile)");
        return NULL;
    }
    const dc_loss_spec *specs;
    dc_loss_spec one;
    int n = loss_specs(m, &specs, &one);
    int feed[DC_LAYER_MAX_INPUTS];
    if (dc_model_input_nodes(m, feed) > 0 && dc_graph_fed(g, m->nodes[feed[0]]->name))
        x = dc_graph_fed(g, m->nodes[feed[0]]->name); /* inputs fed by name: target=input is the first of them */
    /* layers' terms are already on the graph; the loss lines go first */
    int nterms, nparts;
    dc_graph_terms(g, &nterms);
    dc_tensor *total = NULL;
    for (int i = 0; i < n; i++) {
        const dc_loss_spec *s = &specs[i];
        dc_tensor *l = one_loss(m, g, s, &vals[s->output], x, labels, targets);
        /* the part shown is the loss itself (as Keras' per-output losses), the total has it weighted */
        if (!l || dc_graph_add_term(g, s->name, l)) return NULL;
        if (s->weight != 1.0f && !(l = dc_mul_scalar(g, l, s->weight))) return NULL;
        total = total ? dc_add(g, total, l) : l;
    }
    dc_graph_term *parts = dc_graph_terms(g, &nparts);
    for (int i = 0; i < nterms && total; i++) total = dc_add(g, total, parts[i].t);
    /* Keras kernel regularizers: l1 sum|w| + l2 sum w^2 */
    for (int i = 0; i < m->nnamed && total; i++) {
        const dc_param_decl *d = m->named[i].decl;
        dc_tensor *w = m->named[i].t;
        if (w->dtype != DC_F32) continue; /* stored as F16, BF16 or I8: not trained */
        if (d->l1 > 0.0f) total = dc_add(g, total, dc_mul_scalar(g, dc_sum(g, dc_abs(g, w), DC_ALL_AXES, 0), d->l1));
        if (total && d->l2 > 0.0f) total = dc_add(g, total, dc_mul_scalar(g, dc_sum(g, dc_mul(g, w, w), DC_ALL_AXES, 0), d->l2));
    }
    if (!total) return NULL;
    /* parts in display order: loss lines, then layer terms (a rotation) */
    if (nterms && nparts > nterms) {
        reverse_parts(parts, 0, nterms);
        reverse_parts(parts, nterms, nparts);
        reverse_parts(parts, 0, nparts);
    }
    return total;
}

dc_tensor *dc_model_loss_of(const dc_model *m, dc_graph *g, dc_tensor *x, dc_tensor *labels, dc_tensor *targets, dc_tensor **output) {
    dc_value *vals;
    if (dc_model_forward_joined(m, g, x, &vals)) return NULL; /* several inputs: x holds them one after another */
    if (output) *output = vals[dc_model_output_node(m, 0)].y;
    return dc_model_build_loss(m, g, vals, x, labels, targets);
}

void dc_model_output_probabilities(const dc_model *m, int node, const dc_value *v, float *out, int64_t n) {
    const int loss = dc_model_output_loss(m, node);
    const dc_activation act = v->logits ? v->act : DC_ACT_NONE;
    if (loss == DC_LOSS_BCE && act == DC_ACT_NONE) {
        for (int64_t i = 0; i < n; i++) out[i] = dc_sigmoidf(out[i]);
    } else if (loss == DC_LOSS_CATEGORICAL_CE && (act == DC_ACT_NONE || act == DC_ACT_LOG_SOFTMAX)) {
        const dc_shape *sh = &m->nodes[node]->out;
        const int64_t C = sh->d[sh->ndim - 1];
        dc_k_softmax_rows(out, out, n / C, C); /* the softmax op's own loop, in place */
    }
}
