/* prune.c — magnitude pruning inside a training run (dc_fit_options.prune,
 * deepc prune), after TensorFlow Model Optimization's prune_low_magnitude:
 * the schedule (PolynomialDecay), the masks (one byte per trained
 * parameter, 0 = pruned), their update and application after each
 * optimizer step, and their check when a checkpoint is loaded. fit.c calls
 * it; state.c stores the masks as a bitmap beside the optimizer's buffers.
 *
 * What is pruned: every trained F32 weight matrix (the declarations a
 * layer marks with dc_layer_matrix). Unstructured, each weight is an item
 * ranked by |w|; structured, each unit (a row of a dense kernel, a filter
 * of a conv kernel) is one, ranked by its weights' mean |w|, and takes its
 * bias and a following batchnorm's scale and shift with it, so that the
 * unit's output is exactly 0 and dc_model_shrink can remove it. Items
 * already pruned rank first, so a mask only grows (as in TF-MOT, where
 * pruned weights are 0 and so the smallest); ties go by position, so a
 * run is the same on every machine. */
#include "prune.h"
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

double dc_prune_sparsity_at(const dc_prune_config *c, int64_t t) {
    if (t <= c->begin_step) return c->initial_sparsity;
    if (t >= c->end_step) return c->sparsity;
    const double p = (double)(t - c->begin_step) / (double)(c->end_step - c->begin_step);
    return c->sparsity + (c->initial_sparsity - c->sparsity) * pow(1.0 - p, c->power);
}

dc_status dc_prune_resolve(dc_prune_config *c, int64_t total, int64_t per_epoch) {
    if (!(c->sparsity > 0.0f && c->sparsity < 1.0f))
        return dc_set_error(DC_ERR_INVALID, "prune: sparsity %g is not in (0, 1)", (double)c->sparsity);
    if (!(c->initial_sparsity >= 0.0f && c->initial_sparsity <= c->sparsity))
        return dc_set_error(DC_ERR_INVALID, "prune: initial sparsity %g is not in [0, %g]", (double)c->initial_sparsity,
                            (double)c->sparsity);
    if (c->power == 0.0f) c->power = 3.0f;
    if (!(c->power > 0.0f && c->power <= 100.0f)) return dc_set_error(DC_ERR_INVALID, "prune: power %g is not in (0, 100]", (double)c->power);
    if (c->end_step == 0) c->end_step = total > per_epoch ? total - per_epoch : total;
    if (c->begin_step < 0 || c->end_step <= c->begin_step)
        return dc_set_error(DC_ERR_INVALID, "prune: the ramp runs from step %lld to %lld; it needs begin >= 0 and end > begin",
                            (long long)c->begin_step, (long long)c->end_step);
    if (c->frequency == 0) {
        const int64_t f = (c->end_step - c->begin_step) / 10;
        c->frequency = f < 1 ? 1 : f > 100 ? 100 : f;
    }
    if (c->frequency < 1) return dc_set_error(DC_ERR_INVALID, "prune: frequency %lld is not positive", (long long)c->frequency);
    if (c->scope != DC_PRUNE_LAYER && c->scope != DC_PRUNE_GLOBAL) return dc_set_error(DC_ERR_INVALID, "prune: unknown scope");
    c->structured = c->structured != 0;
    return DC_OK;
}

void dc_prune_format(const dc_prune_config *c, char *buf, size_t n) {
    snprintf(buf, n, "%a,%a,%" PRId64 ",%" PRId64 ",%" PRId64 ",%a,%d,%d", (double)c->sparsity, (double)c->initial_sparsity,
             c->begin_step, c->end_step, c->frequency, (double)c->power, (int)c->scope, c->structured);
}

int dc_prune_parse(const char *txt, dc_prune_config *c) {
    double s, s0, pw;
    int scope, structured, used = 0;
    memset(c, 0, sizeof *c);
    if (sscanf(txt, "%la,%la,%" SCNd64 ",%" SCNd64 ",%" SCNd64 ",%la,%d,%d%n", &s, &s0, &c->begin_step, &c->end_step, &c->frequency,
               &pw, &scope, &structured, &used) != 8 || txt[used])
        return -1;
    c->sparsity = (float)s, c->initial_sparsity = (float)s0, c->power = (float)pw;
    c->scope = (dc_prune_scope)scope, c->structured = structured;
    const dc_prune_config copy = *c;
    dc_prune_config r = copy;
    if (dc_prune_resolve(&r, c->end_step, 1) || memcmp(&r, &copy, sizeof r) || c->frequency < 1) return -1; /* nothing left to resolve */
    return 0;
}

/* ---- what may be pruned ---------------------------------------------------- */

/* Is named parameter i a trained F32 weight matrix? */
static int prunable(const dc_model *m, int i) {
    const dc_named_param *p = &m->named[i];
    return !p->buffer && p->decl && p->decl->matrix && p->t->dtype == DC_F32;
}

static int64_t offset_of(const dc_model *m, const dc_tensor *t) { return (int64_t)(t->data - m->params); }

/* The activation a layer applies to its output (its "activation" option),
 * or DC_ACT_NONE. */
static dc_activation activation_of(const dc_layer *l) {
    const dc_layer_option *o = dc_layer_option_find(l->type, "activation");
    if (!o || o->type != DC_O_ACT) return DC_ACT_NONE;
    dc_activation a;
    memcpy(&a, (const char *)l->cfg + o->offset, sizeof a);
    return a;
}

static int zero_at_zero(dc_activation a) {
    return a == DC_ACT_NONE || a == DC_ACT_RELU || a == DC_ACT_LEAKY_RELU || a == DC_ACT_TANH || a == DC_ACT_GELU || a == DC_ACT_GELU_TANH;
}

/* The one node reading node k, or -1 (none, several, or k is an output). */
static int only_reader(const dc_model *m, int k) {
    for (int o = 0; o < m->noutputs; o++)
        if (m->outputs[o] == k) return -1;
    int r = -1;
    for (int i = k + 1; i < m->nnodes; i++)
        for (int j = 0; j < m->nodes[i]->nin; j++)
            if (m->nodes[i]->in[j] == k) {
                if (r >= 0) return -1;
                r = i;
            }
    return r;
}

static int is_kind(const dc_layer *l, const char *kw) { return !strcmp(l->type->keyword, kw); }

/* Layers that hand a unit's zeros on unchanged, keeping the unit's axis. */
static int passes_zeros(const dc_layer *l) {
    static const char *const kinds[] = {"dropout", "spatial_dropout2d", "maxpool2d", "avgpool2d", "maxpool1d", "zero_padding2d",
                                        "global_avg_pool2d", "global_max_pool2d", "global_avg_pool1d", "global_max_pool1d", NULL};
    for (int i = 0; kinds[i]; i++)
        if (is_kind(l, kinds[i])) return 1;
    return 0;
}

static int conv_kind(const dc_layer *l) { return is_kind(l, "conv2d") || is_kind(l, "conv1d"); }

static int groups_of(const dc_layer *l) {
    const dc_layer_option *o = dc_layer_option_find(l->type, "groups");
    int g = 1;
    if (o) memcpy(&g, (const char *)l->cfg + o->offset, sizeof g);
    return g;
}

int dc_prune_structured_path(const dc_model *m, int node, dc_prune_path *p, char *why, size_t n) {
    const dc_layer *l = m->nodes[node];
    memset(p, 0, sizeof *p);
    p->bn = p->consumer = -1;
#define NO(...) return snprintf(why, n, __VA_ARGS__), 0
    if (!(is_kind(l, "dense") || conv_kind(l)) || l->nparam < 1 || !l->decl[0].matrix) NO("no units of its own");
    if (l->frozen) NO("frozen");
    if (l->decl[0].dtype != DC_F32) NO("its weights are not float");
    if (conv_kind(l) && groups_of(l) != 1) NO("grouped convolution");
    if (!zero_at_zero(activation_of(l))) NO("its activation is not 0 at 0");
    for (int i = 0; i < m->nnodes; i++)
        if (i != node && m->nodes[i]->line == l->line && l->line > 0) NO("shares its description line with %s", m->nodes[i]->name);
    /* units lie on axis 0 of a conv's (C, ...) output, on the last of a dense one's */
    int axis = conv_kind(l) ? 0 : l->out.ndim - 1;
    int k = node;
    for (;;) {
        const int r = only_reader(m, k);
        if (r < 0) NO("%s is read by several layers, or is an output", m->nodes[k]->name);
        const dc_layer *c = m->nodes[r];
        if (c->nin != 1) NO("%s merges it with another input", c->name);
        if (is_kind(c, "dense")) {
            if (!p->flat_ndim && axis != c->out.ndim - 1 && m->nodes[k]->out.ndim != 1) NO("%s reads its units along another axis", c->name);
            if (c->decl[0].dtype != DC_F32 || c->frozen || c->nparam < 1 || !c->decl[0].matrix) NO("%s has no float kernel of its own", c->name);
            p->consumer = r;
            break;
        }
        if (conv_kind(c)) {
            if (p->flat_ndim || axis != 0) NO("%s reads its units along another axis", c->name);
            if (c->decl[0].dtype != DC_F32 || c->frozen || groups_of(c) != 1) NO("%s is frozen, grouped or not float", c->name);
            p->consumer = r;
            break;
        }
        if (is_kind(c, "activation")) {
            if (!zero_at_zero(activation_of(c))) NO("%s is not 0 at 0", c->name);
        } else if (is_kind(c, "batchnorm")) {
            if (p->bn >= 0 || p->flat_ndim || axis != 0 || c->frozen) NO("%s normalises it in a way this cannot follow", c->name);
            p->bn = r;
        } else if (is_kind(c, "flatten")) {
            if (p->flat_ndim) NO("flattened twice");
            const dc_shape *s = &m->nodes[k]->out;
            p->flat_ndim = s->ndim;
            memcpy(p->flat_shape, s->d, sizeof(int64_t) * (size_t)s->ndim);
            p->axis = axis;
        } else if (passes_zeros(c)) {
            if (strstr(c->type->keyword, "global")) {
                if (axis != 0 || p->flat_ndim) NO("%s pools along its units", c->name);
            } else if (axis != 0 && !is_kind(c, "dropout")) {
                NO("%s pools along its units", c->name);
            }
        } else {
            NO("%s (%s) does not pass a pruned unit's zeros on", c->name, c->type->keyword);
        }
        k = r;
    }
    if (!p->flat_ndim) p->axis = axis;
    return 1;
#undef NO
}

/* ---- items and masks ------------------------------------------------------- */

/* A prunable item: a weight, or a unit (a row of a matrix, with its bias
 * and batchnorm entries). Ranked by (pruned first, magnitude, position). */
typedef struct {
    float mag;
    uint8_t pruned;
    int group;                  /* its group (a matrix or a layer; 0 for global) */
    int64_t pos;                /* weight: its flat index; unit: its row's first */
} item;

static int item_cmp(const void *a, const void *b) {
    const item *x = a, *y = b;
    if (x->pruned != y->pruned) return x->pruned ? -1 : 1;
    if (x->mag != y->mag) return x->mag < y->mag ? -1 : 1;
    return x->pos < y->pos ? -1 : x->pos > y->pos;
}

/* The flat indices a structured unit of layer node covers: its row of
 * cols weights at row_off, its bias, a following batchnorm's gamma and
 * beta. */
typedef struct {
    int node;
    int64_t w_off, rows, cols, b_off, g_off, be_off; /* -1: none */
} unit_layer;

static int64_t param_off(const dc_model *m, const dc_layer *l, const char *what) {
    for (int k = 0; k < l->nparam; k++)
        if (!strcmp(l->decl[k].what, what) && !l->decl[k].buffer && l->param[k]->dtype == DC_F32) return offset_of(m, l->param[k]);
    return -1;
}

/* The layers a structured prune cuts (their units), into u (room for
 * m->nnodes); their count. The output layers and those dc_prune_structured_path
 * refuses are left alone. */
static int unit_layers(const dc_model *m, unit_layer *u) {
    int n = 0;
    for (int i = 0; i < m->nnodes; i++) {
        dc_prune_path p;
        char why[160];
        if (!dc_prune_structured_path(m, i, &p, why, sizeof why)) continue;
        const dc_layer *l = m->nodes[i];
        u[n] = (unit_layer){i, offset_of(m, l->param[0]), l->decl[0].shape[0], l->param[0]->size / l->decl[0].shape[0],
                            param_off(m, l, "bias"), -1, -1};
        if (p.bn >= 0) {
            u[n].g_off = param_off(m, m->nodes[p.bn], "weight"); /* its gamma and beta */
            u[n].be_off = param_off(m, m->nodes[p.bn], "bias");
        }
        n++;
    }
    return n;
}

/* Recompute the masks at sparsity s from m's weights. */
static dc_status update_unstructured(dc_train_state *st, const dc_model *m, double s) {
    int64_t n = 0;
    for (int i = 0; i < m->nnamed; i++)
        if (prunable(m, i)) n += m->named[i].t->size;
    item *it = malloc(sizeof *it * (size_t)(n ? n : 1));
    if (!it) return dc_set_error(DC_ERR_NOMEM, "prune: out of memory for %lld weights", (long long)n);
    const int global = st->prune.scope == DC_PRUNE_GLOBAL;
    int64_t k = 0;
    int ngroups = 0;
    for (int i = 0; i < m->nnamed; i++) {
        if (!prunable(m, i)) continue;
        const int64_t off = offset_of(m, m->named[i].t);
        for (int64_t j = 0; j < m->named[i].t->size; j++)
            it[k++] = (item){fabsf(m->params[off + j]), (uint8_t)!st->mask[off + j], global ? 0 : ngroups, off + j};
        ngroups++;
    }
    /* each group is a run of items: rank it, prune its first round(s x size) */
    for (int64_t a = 0; a < n;) {
        int64_t b = a;
        while (b < n && it[b].group == it[a].group) b++;
        qsort(it + a, (size_t)(b - a), sizeof *it, item_cmp);
        const int64_t cut = (int64_t)llround(s * (double)(b - a));
        for (int64_t j = a; j < b; j++) st->mask[it[j].pos] = j - a >= cut;
        a = b;
    }
    free(it);
    return DC_OK;
}

static void set_unit(uint8_t *mask, const unit_layer *u, int64_t r, uint8_t v) {
    memset(mask + u->w_off + r * u->cols, v, (size_t)u->cols);
    if (u->b_off >= 0) mask[u->b_off + r] = v;
    if (u->g_off >= 0) mask[u->g_off + r] = v;
    if (u->be_off >= 0) mask[u->be_off + r] = v;
}

static dc_status update_structured(dc_train_state *st, const dc_model *m, double s) {
    unit_layer *u = malloc(sizeof *u * (size_t)(m->nnodes ? m->nnodes : 1));
    if (!u) return dc_set_error(DC_ERR_NOMEM, "prune: out of memory");
    const int nu = unit_layers(m, u);
    int64_t n = 0;
    for (int i = 0; i < nu; i++) n += u[i].rows;
    item *it = malloc(sizeof *it * (size_t)(n ? n : 1));
    int64_t *left = calloc(nu > 0 ? (size_t)nu : 1, sizeof *left);
    if (!it || !left) {
        free(u), free(it), free(left);
        return dc_set_error(DC_ERR_NOMEM, "prune: out of memory");
    }
    const int global = st->prune.scope == DC_PRUNE_GLOBAL;
    int64_t k = 0;
    for (int i = 0; i < nu; i++) {
        left[i] = u[i].rows;
        for (int64_t r = 0; r < u[i].rows; r++) {
            const float *w = m->params + u[i].w_off + r * u[i].cols;
            double a = 0.0;
            for (int64_t j = 0; j < u[i].cols; j++) a += fabsf(w[j]);
            it[k++] = (item){(float)(a / (double)u[i].cols), (uint8_t)!st->mask[u[i].w_off + r * u[i].cols], global ? 0 : i,
                             u[i].w_off + r * u[i].cols};
        }
    }
    for (int64_t a = 0; a < n;) {
        int64_t b = a;
        while (b < n && it[b].group == it[a].group) b++;
        qsort(it + a, (size_t)(b - a), sizeof *it, item_cmp);
        int64_t cut = (int64_t)llround(s * (double)(b - a)), done = 0;
        for (int64_t j = a; j < b; j++) {
            int li = 0; /* the item's layer */
            while (!(it[j].pos >= u[li].w_off && it[j].pos < u[li].w_off + u[li].rows * u[li].cols)) li++;
            const int64_t r = (it[j].pos - u[li].w_off) / u[li].cols;
            const int prune = done < cut && left[li] > 1; /* every layer keeps a unit */
            set_unit(st->mask, &u[li], r, (uint8_t)!prune);
            if (prune) done++, left[li]--;
        }
        a = b;
    }
    free(u), free(it), free(left);
    return DC_OK;
}

static void apply(const dc_train_state *s, dc_model *m) {
    for (int64_t i = 0; i < m->nparams; i++)
        if (!s->mask[i]) m->params[i] = 0.0f;
}

static dc_status update(dc_train_state *s, dc_model *m, int64_t t) {
    const double sp = dc_prune_sparsity_at(&s->prune, t);
    dc_status st = s->prune.structured ? update_structured(s, m, sp) : update_unstructured(s, m, sp);
    if (!st) apply(s, m);
    return st;
}

dc_status dc_prune_begin(dc_train_state *s, dc_model *m, const dc_prune_config *c) {
    s->prune = *c;
    free(s->mask);
    if (!(s->mask = malloc((size_t)(m->nparams ? m->nparams : 1)))) return dc_set_error(DC_ERR_NOMEM, "prune: out of memory");
    memset(s->mask, 1, (size_t)m->nparams);
    int64_t total = 0;
    for (int i = 0; i < m->nnamed; i++) total += prunable(m, i) ? m->named[i].t->size : 0;
    if (!total) return dc_set_error(DC_ERR_INVALID, "prune: the model has no trained float weight matrix to prune");
    if (c->structured) {
        unit_layer *u = malloc(sizeof *u * (size_t)m->nnodes);
        const int nu = u ? unit_layers(m, u) : -1;
        free(u);
        if (nu < 0) return dc_set_error(DC_ERR_NOMEM, "prune: out of memory");
        if (nu == 0) return dc_set_error(DC_ERR_INVALID, "prune --structured: no layer can lose units (deepc prune --help says which can)");
    }
    char txt[256];
    snprintf(txt, sizeof txt, "%s magnitude pruning to %g%% (%s), polynomial schedule (power %g) from %g%% at step %lld to step %lld, every %lld steps",
             c->structured ? "structured (units and filters)" : "unstructured", 100.0 * c->sparsity,
             c->scope == DC_PRUNE_GLOBAL ? "global" : "each layer", (double)c->power, 100.0 * c->initial_sparsity,
             (long long)c->begin_step, (long long)c->end_step, (long long)c->frequency);
    free(m->meta.pruning);
    if (!(m->meta.pruning = strdup(txt))) return dc_set_error(DC_ERR_NOMEM, "prune: out of memory");
    s->pruning = 1;
    return c->begin_step == 0 && c->initial_sparsity > 0.0f ? update(s, m, 0) : DC_OK;
}

dc_status dc_prune_after_step(dc_train_state *s, dc_model *m) {
    const int64_t t = dc_optimizer_steps(s->opt);
    const dc_prune_config *c = &s->prune;
    if (t >= c->begin_step && t <= c->end_step && ((t - c->begin_step) % c->frequency == 0 || t == c->end_step)) return update(s, m, t);
    apply(s, m);
    return DC_OK;
}

dc_status dc_prune_check(const dc_train_state *s, const dc_model *m, const char *path) {
    uint8_t *may = calloc((size_t)(m->nparams ? m->nparams : 1), 1); /* may be pruned */
    if (!may) return dc_set_error(DC_ERR_NOMEM, "out of memory");
    if (s->prune.structured) {
        unit_layer *u = malloc(sizeof *u * (size_t)m->nnodes);
        const int nu = u ? unit_layers(m, u) : 0;
        for (int i = 0; i < nu; i++)
            for (int64_t r = 0; r < u[i].rows; r++) set_unit(may, &u[i], r, 1);
        free(u);
    } else {
        for (int i = 0; i < m->nnamed; i++)
            if (prunable(m, i)) memset(may + offset_of(m, m->named[i].t), 1, (size_t)m->named[i].t->size);
    }
    dc_status st = DC_OK;
    for (int i = 0; i < m->nnamed && !st; i++) {
        const dc_named_param *p = &m->named[i];
        if (p->buffer || p->t->dtype != DC_F32) continue;
        const int64_t off = offset_of(m, p->t);
        for (int64_t j = 0; j < p->t->size && !st; j++) {
            if (s->mask[off + j]) continue;
            if (!may[off + j])
                st = dc_set_error(DC_ERR_FORMAT, "%s: train.prune_mask prunes %s[%lld], which this pruning does not prune", path, p->name,
                                  (long long)j);
            else if (m->params[off + j] != 0.0f)
                st = dc_set_error(DC_ERR_FORMAT, "%s: train.prune_mask disagrees with the weights: %s[%lld] is pruned but holds %g", path,
                                  p->name, (long long)j, (double)m->params[off + j]);
        }
    }
    free(may);
    return st;
}

int64_t dc_model_pruned(const dc_model *m, int64_t *total) {
    int64_t z = 0, n = 0;
    for (int i = 0; i < m->nnamed; i++) {
        if (!prunable(m, i)) continue;
        const dc_tensor *t = m->named[i].t;
        for (int64_t j = 0; j < t->size; j++) z += t->data[j] == 0.0f;
        n += t->size;
    }
    if (total) *total = n;
    return z;
}

const char *dc_model_pruning(const dc_model *m) { return m->meta.pruning; }
