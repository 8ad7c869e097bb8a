/* model.c — models as graphs of layers: adding nodes (shape inference by
 * each kind's setup), building the flat parameter buffer, the forward pass
 * in topological order, and the summary. Nothing here knows a layer kind:
 * that is each kind's file under src/nn/layers/. */
#include "model.h"
#include "../kernels/kernels.h"
#include <stdlib.h>
#include <string.h>

/* ---- nodes ------------------------------------------------------------------ */

static void layer_free(dc_layer *l) {
    if (!l) return;
    free(l->cfg);
    free(l->decl);
    free(l->param);
    free(l);
}

dc_model *dc_model_new(int in_ndim, const int64_t *in_shape) {
    if (in_ndim < 1 || in_ndim > DC_MAX_DIMS - 1) {
        dc_set_error(DC_ERR_INVALID, "model: input must have 1 to %d dimensions", DC_MAX_DIMS - 1);
        return NULL;
    }
    dc_shape s = {in_ndim, {0}};
    for (int i = 0; i < in_ndim; i++) {
        if (in_shape[i] <= 0 || in_shape[i] > (1 << 30)) {
            dc_set_error(DC_ERR_INVALID, "model: input extent %lld is not positive (or too large)", (long long)in_shape[i]);
            return NULL;
        }
        s.d[i] = in_shape[i];
    }
    if (dc_shape_size(in_ndim, s.d) < 0 || dc_shape_size(in_ndim, s.d) > ((int64_t)1 << 40)) {
        dc_set_error(DC_ERR_INVALID, "model: the input shape is too large");
        return NULL;
    }
    dc_model *m = calloc(1, sizeof *m);
    if (!m) {
        dc_set_error(DC_ERR_NOMEM, "model: out of memory");
        return NULL;
    }
    m->in_ndim = in_ndim;
    memcpy(m->in_shape, in_shape, sizeof(int64_t) * (size_t)in_ndim);
    m->recipe.fit = (dc_fit_config){.epochs = 10, .batch_size = 32, .validation_split = 0.0f, .shuffle = 1, .seed = 42};
    m->recipe.opt = dc_adam(1e-3f);
    if (dc_model_add_node(m, &dc_layer_input, &s, "input", 0, NULL, 0) < 0) {
        dc_model_free(m);
        return NULL;
    }
    return m;
}

void dc_model_free(dc_model *m) {
    if (!m) return;
    for (int i = 0; i < m->nnamed; i++) dc_tensor_free(m->named[i].t);
    free(m->named);
    for (int i = 0; i < m->nnodes; i++) layer_free(m->nodes[i]);
    free(m->nodes);
    free(m->name_slots);
    free(m->recipe.losses);
    free(m->params);
    free(m->grads);
    free(m->buffers);
    free(m->store);
    free(m->meta.description);
    free(m->meta.preprocess);
    free(m->meta.class_names);
    free(m->meta.vocabulary);
    free(m->meta.bpe_vocab);
    free(m->meta.bpe_merges);
    free(m->meta.text_run);
    free(m->meta.quantization);
    free(m->meta.pruning);
    free(m);
}

static void slot_insert(int *slots, int cap, const char *name, int node) {
    uint32_t i = dc_str_hash(name) & (uint32_t)(cap - 1);
    while (slots[i]) i = (i + 1) & (uint32_t)(cap - 1);
    slots[i] = node + 1;
}

/* Room for one more name: the table stays under half full. */
static dc_status reserve_slot(dc_model *m) {
    if (2 * (m->nnodes + 1) < m->cap_slots) return DC_OK;
    int cap = m->cap_slots ? 2 * m->cap_slots : 64;
    int *slots = calloc((size_t)cap, sizeof *slots);
    if (!slots) return dc_set_error(DC_ERR_NOMEM, "model: out of memory");
    for (int i = 0; i < m->nnodes; i++) slot_insert(slots, cap, m->nodes[i]->name, i);
    free(m->name_slots);
    m->name_slots = slots;
    m->cap_slots = cap;
    return DC_OK;
}

/* How many nodes of kind t the model has (for automatic names). */
static int *kind_count(dc_model *m, const dc_layer_type *t) {
    int n = (int)(sizeof m->kind_counts / sizeof *m->kind_counts);
    for (int i = 0; i < n; i++) {
        if (m->kind_counts[i].type == t || !m->kind_counts[i].type) {
            m->kind_counts[i].type = t;
            return &m->kind_counts[i].count;
        }
    }
    return NULL;
}

/* Keras-style names: dense, dense_1, dense_2, ... counting the kind's nodes
 * (skipping a name that a layer was given). */
static void auto_name(dc_model *m, const dc_layer_type *t, char *buf, size_t n) {
    int *c = kind_count(m, t), same = c ? *c : 0;
    for (;; same++) {
        if (same) snprintf(buf, n, "%s_%d", t->base_name, same);
        else snprintf(buf, n, "%s", t->base_name);
        if (dc_model_find_node(m, buf) < 0) return;
    }
}

int dc_model_add_node(dc_model *m, const dc_layer_type *t, const void *cfg, const char *name, int nin, const int *in, int line) {
    if (m->built) {
        dc_set_error(DC_ERR_INVALID, "model: cannot add layers after dc_model_build");
        return -1;
    }
    int src[DC_LAYER_MAX_INPUTS];
    if (t->max_inputs == 0) {
        nin = 0;
    } else if (nin == 0) { /* a chain: the node added last */
        if (m->nnodes == 0) {
            dc_set_error(DC_ERR_INVALID, "%s: the model has no input yet", t->keyword);
            return -1;
        }
        src[nin++] = m->nnodes - 1;
    } else {
        memcpy(src, in, sizeof(int) * (size_t)nin);
    }
    if (nin < t->min_inputs || nin > t->max_inputs) {
        if (t->min_inputs == t->max_inputs)
            dc_set_error(DC_ERR_INVALID, "%s takes %d input%s, not %d", t->keyword, t->min_inputs, t->min_inputs == 1 ? "" : "s", nin);
        else dc_set_error(DC_ERR_INVALID, "%s takes %d to %d inputs (inputs=a,b,...), not %d", t->keyword, t->min_inputs, t->max_inputs, nin);
        return -1;
    }
    dc_shape shapes[DC_LAYER_MAX_INPUTS];
    for (int i = 0; i < nin; i++) {
        if (src[i] < 0 || src[i] >= m->nnodes) {
            dc_set_error(DC_ERR_INVALID, "%s: input %d is not an earlier layer", t->keyword, i + 1);
            return -1;
        }
        shapes[i] = m->nodes[src[i]]->out;
    }
    if (reserve_slot(m)) return -1;
    if (name && strlen(name) >= sizeof m->nodes[0]->name) {
        dc_set_error(DC_ERR_INVALID, "layer name \"%.20s...\" is longer than %zu characters", name, sizeof m->nodes[0]->name - 1);
        return -1;
    }
    if (name && *name && dc_model_find_node(m, name) >= 0) {
        int k = dc_model_find_node(m, name);
        if (m->nodes[k]->line) dc_set_error(DC_ERR_INVALID, "duplicate layer name \"%s\" (line %d has it already)", name, m->nodes[k]->line);
        else dc_set_error(DC_ERR_INVALID, "duplicate layer name \"%s\"", name);
        return -1;
    }
    if (m->nnodes == m->cap_nodes) {
        int cap = m->cap_nodes ? 2 * m->cap_nodes : 16;
        dc_layer **nn = realloc(m->nodes, sizeof *nn * (size_t)cap);
        if (!nn) {
            dc_set_error(DC_ERR_NOMEM, "model: out of memory");
            return -1;
        }
        m->nodes = nn;
        m->cap_nodes = cap;
    }
    dc_layer *l = calloc(1, sizeof *l);
    if (!l || (t->cfg_size && !(l->cfg = malloc(t->cfg_size)))) {
        free(l);
        dc_set_error(DC_ERR_NOMEM, "model: out of memory");
        return -1;
    }
    l->type = t;
    l->line = line;
    if (t->cfg_size) memcpy(l->cfg, cfg ? cfg : t->defaults, t->cfg_size);
    l->nin = nin;
    memcpy(l->in, src, sizeof(int) * (size_t)nin);
    if (name && *name) {
        snprintf(l->name, sizeof l->name, "%s", name);
        l->named = 1;
    } else {
        auto_name(m, t, l->name, sizeof l->name);
    }
    dc_status st = t->setup(l, nin, shapes);
    if (!st) st = dc_layer_store_weights(l);
    if (!st && l->decl_failed) st = dc_set_error(DC_ERR_NOMEM, "%s: cannot declare its parameters (out of memory, or over %d)", t->keyword, DC_LAYER_MAX_PARAMS);
    int64_t size = dc_shape_size(l->out.ndim, l->out.d);
    if (!st && (size < 1 || size > ((int64_t)1 << 40))) st = dc_set_error(DC_ERR_INVALID, "%s: output of %lld values", t->keyword, (long long)size);
    for (int i = 0; !st && i < l->nparam; i++)
        if (dc_shape_size(l->decl[i].ndim, l->decl[i].shape) < 0)
            st = dc_set_error(DC_ERR_INVALID, "%s: parameter %s is too large", t->keyword, l->decl[i].what);
    if (st) {
        layer_free(l);
        return -1;
    }
    m->nodes[m->nnodes] = l;
    slot_insert(m->name_slots, m->cap_slots, l->name, m->nnodes);
    int *c = kind_count(m, t);
    if (c) (*c)++;
    return m->nnodes++;
}

dc_status dc_model_set_weight_dtype(dc_model *m, int k, dc_dtype dtype) {
    if (m->built) return dc_set_error(DC_ERR_INVALID, "weights=: the model is already built");
    dc_layer *l = m->nodes[k];
    if (l->wdtype == dtype && !l->act_static) return DC_OK;
    dc_shape shapes[DC_LAYER_MAX_INPUTS];
    for (int i = 0; i < l->nin; i++) shapes[i] = m->nodes[l->in[i]]->out;
    l->wdtype = dtype;
    l->nparam = 0; /* declared again, the kernel in its new type */
    l->decl_failed = 0;
    dc_status st = l->type->setup(l, l->nin, shapes);
    if (!st) st = dc_layer_store_weights(l);
    if (!st && l->decl_failed) st = dc_set_error(DC_ERR_NOMEM, "%s: cannot declare its parameters", l->type->keyword);
    return st;
}

dc_status dc_model_rename_node(dc_model *m, int k, const char *name) {
    if (k < 0 || k >= m->nnodes || !*name || strlen(name) >= sizeof m->nodes[k]->name)
        return dc_set_error(DC_ERR_INVALID, "model: a name has 1 to %zu characters", sizeof m->nodes[k]->name - 1);
    int other = dc_model_find_node(m, name);
    if (other >= 0 && other != k) return dc_set_error(DC_ERR_INVALID, "duplicate layer name \"%s\"", name);
    snprintf(m->nodes[k]->name, sizeof m->nodes[k]->name, "%s", name);
    m->nodes[k]->named = 1;
    memset(m->name_slots, 0, sizeof *m->name_slots * (size_t)m->cap_slots);
    for (int i = 0; i < m->nnodes; i++) slot_insert(m->name_slots, m->cap_slots, m->nodes[i]->name, i);
    return DC_OK;
}

dc_status dc_model_set_outputs(dc_model *m, int n, const int *nodes) {
    if (n < 1 || n > DC_LAYER_MAX_INPUTS) return dc_set_error(DC_ERR_INVALID, "model: 1 to %d outputs", DC_LAYER_MAX_INPUTS);
    for (int i = 0; i < n; i++)
        if (nodes[i] < 0 || nodes[i] >= m->nnodes || m->nodes[nodes[i]]->type == &dc_layer_input)
            return dc_set_error(DC_ERR_INVALID, "model: output %d is not a layer", i + 1);
    memcpy(m->outputs, nodes, sizeof(int) * (size_t)n);
    m->noutputs = n;
    return DC_OK;
}

/* Outputs default to the last node. */
static int num_outputs(const dc_model *m) { return m->noutputs ? m->noutputs : 1; }
static int output_node(const dc_model *m, int k) { return m->noutputs ? m->outputs[k] : m->nnodes - 1; }

int dc_model_dangling_node(const dc_model *m) {
    if (m->nnodes < 1) return -1;
    char *used = calloc((size_t)m->nnodes, 1);
    if (!used) return -1;
    for (int i = 0; i < m->nnodes; i++)
        for (int k = 0; k < m->nodes[i]->nin; k++) used[m->nodes[i]->in[k]] = 1;
    for (int k = 0; k < num_outputs(m); k++) {
        int o = output_node(m, k);
        if (o >= 0 && o < m->nnodes) used[o] = 1;
    }
    int bad = -1;
    for (int i = 0; i < m->nnodes && bad < 0; i++)
        if (!used[i]) bad = i;
    free(used);
    return bad;
}

/* ---- the public C API for building ------------------------------------------- */

/* Split "128 activation=relu name=fc" into words (modifies buf); -1 if
 * there are more than max. */
static int split_words(char *buf, const char **tok, int max) {
    int n = 0;
    char *save = NULL;
    for (char *p = strtok_r(buf, " \t\n", &save); p; p = strtok_r(NULL, " \t\n", &save)) {
        if (n == max) return -1;
        tok[n++] = p;
    }
    return n;
}

dc_layer *dc_model_add(dc_model *m, const char *kind, const char *options) {
    const dc_layer_type *t = dc_layer_type_find(kind);
    int alias = 0;
    if (!t && dc_activation_from_name(kind) >= 0) {
        t = &dc_layer_activation;
        alias = 1;
    }
    if (!t || t == &dc_layer_input) {
        dc_set_error(DC_ERR_INVALID, "model: unknown layer kind \"%s\"", kind);
        return NULL;
    }
    char buf[1024];
    _Alignas(16) unsigned char cfg[512];
    const char *tok[32];
    if (options && strlen(options) >= sizeof buf) {
        dc_set_error(DC_ERR_INVALID, "%s: options longer than %zu characters", kind, sizeof buf - 1);
        return NULL;
    }
    snprintf(buf, sizeof buf, "%s", options ? options : "");
    int ntok = split_words(buf, tok, 32);
    if (ntok < 0) {
        dc_set_error(DC_ERR_INVALID, "%s: more than 32 options", kind);
        return NULL;
    }
    if (t->cfg_size > sizeof cfg) {
        dc_set_error(DC_ERR_INVALID, "%s: options too large", kind);
        return NULL;
    }
    if (t->cfg_size) memcpy(cfg, t->defaults, t->cfg_size);
    if (alias) dc_layer_option_set(t, cfg, dc_layer_option_positional(t), kind);
    dc_layer_refs refs;
    int bt, bo;
    if (dc_layer_parse_options(t, cfg, ntok, tok, alias, &refs, &bt, &bo)) return NULL;
    int in[DC_LAYER_MAX_INPUTS];
    for (int i = 0; i < refs.nin; i++)
        if ((in[i] = dc_model_find_node(m, refs.in[i])) < 0) {
            dc_set_error(DC_ERR_INVALID, "%s: no layer named \"%s\" before it", kind, refs.in[i]);
            return NULL;
        }
    int k = dc_model_add_node(m, t, cfg, refs.name, refs.nin, in, 0);
    return k < 0 ? NULL : m->nodes[k];
}

dc_status dc_model_add_input(dc_model *m, const char *name, int ndim, const int64_t *shape) {
    dc_shape s = {ndim, {0}};
    if (ndim < 1 || ndim > DC_MAX_DIMS - 1) return dc_set_error(DC_ERR_INVALID, "model: an input has 1 to %d dimensions", DC_MAX_DIMS - 1);
    for (int i = 0; i < ndim; i++) {
        if (shape[i] < 1 || shape[i] > (1 << 30)) return dc_set_error(DC_ERR_INVALID, "model: input extent %lld is not positive", (long long)shape[i]);
        s.d[i] = shape[i];
    }
    return dc_model_add_node(m, &dc_layer_input, &s, name, 0, NULL, 0) < 0 ? DC_ERR_INVALID : DC_OK;
}

dc_status dc_model_set_output_names(dc_model *m, const char *const *names, int n) {
    int idx[DC_LAYER_MAX_INPUTS];
    if (n < 1 || n > DC_LAYER_MAX_INPUTS) return dc_set_error(DC_ERR_INVALID, "model: 1 to %d outputs", DC_LAYER_MAX_INPUTS);
    for (int i = 0; i < n; i++)
        if ((idx[i] = dc_model_find_node(m, names[i])) < 0) return dc_set_error(DC_ERR_INVALID, "model: no layer named \"%s\"", names[i]);
    return dc_model_set_outputs(m, n, idx);
}

static dc_status added(dc_layer *l) { return l ? DC_OK : DC_ERR_INVALID; }

dc_status dc_model_add_flatten(dc_model *m) { return added(dc_model_add(m, "flatten", NULL)); }

dc_status dc_model_add_dense(dc_model *m, int units, dc_activation act) {
    char o[96];
    snprintf(o, sizeof o, "%d activation=%s", units, dc_activation_name(act));
    return added(dc_model_add(m, "dense", o));
}

dc_status dc_model_add_dropout(dc_model *m, float rate) {
    char o[64];
    snprintf(o, sizeof o, "%.9g", (double)rate);
    return added(dc_model_add(m, "dropout", o));
}

dc_status dc_model_add_activation(dc_model *m, dc_activation act) { return added(dc_model_add(m, "activation", dc_activation_name(act))); }

/* ---- layers seen from outside -------------------------------------------------- */

/* Layers are the nodes that are not inputs. */
int dc_model_num_layers(const dc_model *m) {
    int n = 0;
    for (int i = 0; i < m->nnodes; i++) n += m->nodes[i]->type != &dc_layer_input;
    return n;
}

dc_layer *dc_model_layer(dc_model *m, int k) {
    for (int i = 0; i < m->nnodes; i++)
        if (m->nodes[i]->type != &dc_layer_input && k-- == 0) return m->nodes[i];
    return NULL;
}

dc_layer *dc_model_last_layer(dc_model *m) { return m->nnodes ? m->nodes[m->nnodes - 1] : NULL; }
dc_layer *dc_model_find_layer(dc_model *m, const char *name) {
    int k = dc_model_find_node(m, name);
    return k < 0 ? NULL : m->nodes[k];
}
const char *dc_layer_name(const dc_layer *l) { return l->name; }
const char *dc_layer_kind(const dc_layer *l) { return l->type->keyword; }
int dc_layer_output_shape(const dc_layer *l, int64_t *shape) {
    memcpy(shape, l->out.d, sizeof(int64_t) * (size_t)l->out.ndim);
    return l->out.ndim;
}

dc_tensor *dc_layer_param(dc_layer *l, const char *what) {
    for (int i = 0; i < l->nparam; i++)
        if (!strcmp(l->decl[i].what, what)) return l->param[i];
    return NULL;
}

int64_t dc_model_num_params(const dc_model *m) { return m->nparams; }
float *dc_model_params(dc_model *m) { return m->params; }
float *dc_model_grads(dc_model *m) { return m->grads; }
int dc_model_num_param_tensors(const dc_model *m) { return m->nnamed; }

int64_t dc_model_bytes(const dc_model *m) {
    int64_t b = 0;
    for (int i = 0; i < m->nnamed; i++) b += m->named[i].t->size * (int64_t)dc_dtype_size(m->named[i].t->dtype);
    return b;
}
dc_fit_config *dc_model_fit_config(dc_model *m) { return &m->recipe.fit; }
const char *dc_model_description(const dc_model *m) { return m->meta.description; }
dc_loss_kind dc_model_loss(const dc_model *m) { return m->recipe.loss; }
const dc_opt_config *dc_model_optimizer(const dc_model *m) { return &m->recipe.opt; }

dc_tensor *dc_model_param_tensor(dc_model *m, int i, const char **name) {
    if (i < 0 || i >= m->nnamed) return NULL;
    if (name) *name = m->named[i].name;
    return m->named[i].t;
}

int dc_model_input_shape(const dc_model *m, int64_t *shape) {
    memcpy(shape, m->in_shape, sizeof(int64_t) * (size_t)m->in_ndim);
    return m->in_ndim;
}

int dc_model_output_shape(const dc_model *m, int64_t *shape) {
    const dc_layer *l = m->nodes[output_node(m, 0)];
    memcpy(shape, l->out.d, sizeof(int64_t) * (size_t)l->out.ndim);
    return l->out.ndim;
}

int dc_model_num_outputs(const dc_model *m) { return num_outputs(m); }

/* ---- build: the flat buffers ----------------------------------------------------- */

static dc_status add_named(dc_model *m, const dc_layer *l, const dc_param_decl *d, float *data, float *grad) {
    dc_named_param *p = &m->named[m->nnamed];
    snprintf(p->name, sizeof p->name, "%s.%s", l->name, d->what);
    if (!(p->t = dc_tensor_wrap(data, d->ndim, d->shape))) return DC_ERR_NOMEM;
    p->buffer = d->buffer;
    p->decl = d;
    p->layer = l;
    if (grad) {
        p->t->grad = grad;
        p->t->requires_grad = 1;
    }
    m->nnamed++;
    return DC_OK;
}

/* A named view of a tensor stored in another dtype (in m->store). */
static dc_status add_named_typed(dc_model *m, const dc_layer *l, const dc_param_decl *d, void *raw) {
    if (add_named(m, l, d, raw, NULL)) return DC_ERR_NOMEM;
    dc_tensor *t = m->named[m->nnamed - 1].t;
    t->dtype = d->dtype;
    dc_tensor_point(t, raw);
    m->named[m->nnamed - 1].buffer = 1;
    return DC_OK;
}

/* Bytes of m->store each stored-type tensor takes (64-byte aligned). */
static size_t stored_bytes(const dc_param_decl *d) { return ((size_t)dc_shape_size(d->ndim, d->shape) * dc_dtype_size(d->dtype) + 63) / 64 * 64; }

/* The tensors stored as F16, BF16, I8 or 4-bit (weights=), initialized as
 * their F32 values would be, then converted. Scales first (they are F32
 * buffers, or F16 for 4-bit), so that a quantized matrix's are in place
 * when it is quantized. */
static dc_status build_stored(dc_model *m, dc_rng *rng) {
    size_t off = 0;
    for (int pass = 0; pass < 2; pass++)
        for (int i = 0; i < m->nnodes; i++) {
            dc_layer *l = m->nodes[i];
            for (int k = 0; k < l->nparam; k++) {
                const dc_param_decl *d = &l->decl[k];
                if (d->dtype == DC_F32 || (pass == 0) != (d->scale < 0)) continue;
                const int64_t rows = d->ndim ? d->shape[0] : 1;
                const int64_t cols = d->matrix ? d->cols : dc_shape_size(d->ndim, d->shape) / (rows ? rows : 1), n = rows * cols;
                float *tmp = malloc(sizeof(float) * (size_t)(n ? n : 1));
                if (!tmp) return dc_set_error(DC_ERR_NOMEM, "model: out of memory");
#ifndef DC_FUZZING
                if (d->init == DC_INIT_DEFAULT)
                    for (int64_t j = 0; j < n; j++) tmp[j] = d->fill;
                else dc_init_fill(tmp, n, d->init, d->fan_in, d->fan_out, rng);
#else
                memset(tmp, 0, sizeof(float) * (size_t)n);
                (void)rng;
#endif
                void *raw = m->store + off;
                if (d->dtype == DC_F16) dc_k_f32_to_f16_n(tmp, raw, n);
                else if (d->dtype == DC_BF16) dc_k_f32_to_bf16_n(tmp, raw, n);
                else if (d->dtype == DC_I8) dc_k_quantize_rows_i8(tmp, rows, cols, raw, l->param[d->scale]->data);
                else dc_k_quantize_q4_rows(tmp, rows, cols, raw, l->param[d->scale]->raw);
                free(tmp);
                if (add_named_typed(m, l, d, raw)) return dc_set_error(DC_ERR_NOMEM, "model: out of memory");
                l->param[k] = m->named[m->nnamed - 1].t;
                off += stored_bytes(d);
            }
        }
    return DC_OK;
}

static dc_status relayout(dc_model *m);


dc_status dc_model_build(dc_model *m, uint64_t seed) {
    if (m->built) return dc_set_error(DC_ERR_INVALID, "model: already built");
    if (dc_model_num_layers(m) == 0) return dc_set_error(DC_ERR_INVALID, "model: has no layers");
    for (int i = 0; i < m->nnodes; i++) /* references between layers (tie=) */
        if (m->nodes[i]->type->link && m->nodes[i]->type->link(m->nodes[i], m)) return DC_ERR_INVALID;
    int64_t total = 0, nbuf = 0, limit = (int64_t)1 << 36;
#ifdef DC_FUZZING
    /* the harnesses run under a 2 GB malloc limit: a crafted description
     * asking for more is refused here as a real one is at 2^36 */
    limit = (int64_t)1 << 26;
#endif
    int ndecl = 0;
    int64_t nstored = 0; /* values stored as F16, BF16, I8 */
    size_t store = 0;
    for (int i = 0; i < m->nnodes; i++)
        for (int k = 0; k < m->nodes[i]->nparam; k++) {
            const dc_param_decl *d = &m->nodes[i]->decl[k];
            int64_t n = dc_shape_size(d->ndim, d->shape);
            if (d->dtype != DC_F32) nstored += n;
            else if (d->buffer) nbuf += n;
            else total += n;
            if (n < 0 || total > limit || nbuf > limit || nstored > limit)
                return dc_set_error(DC_ERR_NOMEM, "model: more than %lld parameters", (long long)limit);
            ndecl++;
        }
    for (int i = 0; nstored && i < m->nnodes; i++) /* their bytes, each tensor aligned (all under the limit: no overflow) */
        for (int k = 0; k < m->nodes[i]->nparam; k++)
            if (m->nodes[i]->decl[k].dtype != DC_F32) store += stored_bytes(&m->nodes[i]->decl[k]);
    size_t bytes = (size_t)(total ? total : 1) * sizeof(float), bbytes = (size_t)(nbuf ? nbuf : 1) * sizeof(float);
#ifdef DC_FUZZING
    /* fuzzing builds (scripts/fuzz.sh): zero weights on untouched pages and
     * no random init. The harnesses test parsing and checks, and a crafted
     * description may legally ask for gigabytes of weights. */
    m->params = calloc(1, bytes);
    m->grads = calloc(1, bytes);
    m->buffers = calloc(1, bbytes);
#else
    m->params = aligned_alloc(64, (bytes + 63) / 64 * 64);
    /* calloc: a large zeroed block comes from fresh pages that stay
     * untouched until a backward pass writes them, so a model that only
     * predicts (GPT-2 small: 500 MB of gradients) never pays for them */
    m->grads = calloc(1, bytes);
    m->buffers = aligned_alloc(64, (bbytes + 63) / 64 * 64);
#endif
    m->named = calloc((size_t)ndecl + 1, sizeof *m->named);
    m->store = store ? aligned_alloc(64, store) : NULL;
    m->store_bytes = store;
    if (!m->params || !m->grads || !m->buffers || !m->named || (store && !m->store))
        return dc_set_error(DC_ERR_NOMEM, "model: out of memory for %lld parameters", (long long)total);
#ifndef DC_FUZZING
    memset(m->params, 0, bytes);
    memset(m->buffers, 0, bbytes);
#endif
    m->nparams = total;
    m->nbuffers = nbuf;
    dc_rng rng;
    dc_rng_seed(&rng, seed);
    /* trainable views first (their order is the flat buffer's), then buffers */
    for (int pass = 0; pass < 2; pass++) {
        int64_t off = 0;
        for (int i = 0; i < m->nnodes; i++) {
            dc_layer *l = m->nodes[i];
            for (int k = 0; k < l->nparam; k++) {
                const dc_param_decl *d = &l->decl[k];
                if (d->buffer != pass || d->dtype != DC_F32) continue;
                int64_t n = dc_shape_size(d->ndim, d->shape);
                float *data = (pass ? m->buffers : m->params) + off;
#ifndef DC_FUZZING
                if (d->init == DC_INIT_DEFAULT)
                    for (int64_t j = 0; j < n; j++) data[j] = d->fill;
                else dc_init_fill(data, n, d->init, d->fan_in, d->fan_out, &rng);
#endif
                if (add_named(m, l, d, data, pass ? NULL : m->grads + off)) return dc_set_error(DC_ERR_NOMEM, "model: out of memory");
                l->param[k] = m->named[m->nnamed - 1].t;
                off += n;
            }
        }
    }
    if (store && build_stored(m, &rng)) return DC_ERR_NOMEM;
    m->built = 1;
    for (int i = 0; i < m->nnodes; i++)
        if (m->nodes[i]->frozen) return relayout(m);
    return DC_OK;
}

/* ---- freezing: frozen layers' parameters move to the buffers -------------------- */

static int in_params(const dc_layer *l, const dc_param_decl *d) { return !d->buffer && !l->frozen && d->dtype == DC_F32; }

/* Place every declared tensor again: the parameters of layers not frozen in
 * m->params (the optimizer's flat buffer), the rest in m->buffers, in node
 * order, keeping every value. A frozen parameter thus gets no gradient, no
 * optimizer state, no weight decay, no regularization and no clipping: the
 * training loop only ever sees m->params. */
static dc_status relayout(dc_model *m) {
    int64_t total = 0, nbuf = 0;
    for (int i = 0; i < m->nnodes; i++)
        for (int k = 0; k < m->nodes[i]->nparam; k++) {
            const dc_param_decl *d = &m->nodes[i]->decl[k];
            if (d->dtype == DC_F32) *(in_params(m->nodes[i], d) ? &total : &nbuf) += dc_shape_size(d->ndim, d->shape);
        }
    size_t bytes = ((size_t)(total ? total : 1) * sizeof(float) + 63) / 64 * 64;
    size_t bbytes = ((size_t)(nbuf ? nbuf : 1) * sizeof(float) + 63) / 64 * 64;
    float *params = aligned_alloc(64, bytes), *grads = calloc(1, bytes), *buffers = aligned_alloc(64, bbytes);
    dc_named_param *named = calloc((size_t)m->nnamed + 1, sizeof *named);
    if (!params || !grads || !buffers || !named) {
        free(params), free(grads), free(buffers), free(named);
        return dc_set_error(DC_ERR_NOMEM, "model: out of memory to freeze layers");
    }
    int c = 0;
    for (int pass = 0; pass < 2; pass++) {
        int64_t off = 0;
        for (int i = 0; i < m->nnodes; i++) {
            dc_layer *l = m->nodes[i];
            for (int k = 0; k < l->nparam; k++) {
                if (in_params(l, &l->decl[k]) == pass || l->decl[k].dtype != DC_F32) continue;
                dc_tensor *t = l->param[k];
                float *data = (pass ? buffers : params) + off;
                memcpy(data, t->data, sizeof(float) * (size_t)t->size);
                dc_tensor_point(t, data);
                t->grad = pass ? NULL : grads + off;
                t->requires_grad = !pass;
                for (int j = 0; j < m->nnamed; j++) /* its name and declaration */
                    if (m->named[j].t == t) named[c] = m->named[j];
                named[c++].buffer = pass;
                off += t->size;
            }
        }
    }
    for (int j = 0; j < m->nnamed; j++) /* tensors of other types stay in m->store, named last */
        if (m->named[j].t->dtype != DC_F32) named[c++] = m->named[j];
    free(m->params), free(m->grads), free(m->buffers), free(m->named);
    m->params = params, m->grads = grads, m->buffers = buffers, m->named = named;
    m->nparams = total, m->nbuffers = nbuf;
    return DC_OK;
}

dc_status dc_model_freeze(dc_model *m, const char *names, FILE *report) {
    char list[1024];
    if (!names || strlen(names) >= sizeof list) return dc_set_error(DC_ERR_INVALID, "freeze: a list of layer names (at most 1023 characters)");
    snprintf(list, sizeof list, "%s", names);
    int n = 0, idx[256];
    for (char *save = NULL, *nm = strtok_r(list, ",", &save); nm; nm = strtok_r(NULL, ",", &save)) {
        int k = dc_model_find_node(m, nm);
        if (k < 0) return dc_set_error(DC_ERR_INVALID, "freeze: no layer named \"%s\" (see `deepc summary`)", nm);
        if (m->nodes[k]->nparam == 0) return dc_set_error(DC_ERR_INVALID, "freeze: layer \"%s\" has no parameters", nm);
        if (n == 256) return dc_set_error(DC_ERR_INVALID, "freeze: more than 256 layers");
        idx[n++] = k;
    }
    if (!n) return dc_set_error(DC_ERR_INVALID, "freeze: no layer named");
    for (int i = 0; i < n; i++) {
        dc_layer *l = m->nodes[idx[i]];
        if (report && !l->frozen) {
            int64_t c = 0;
            for (int k = 0; k < l->nparam; k++)
                if (!l->decl[k].buffer) c += dc_shape_size(l->decl[k].ndim, l->decl[k].shape);
            fprintf(report, "frozen: %s (%lld parameters)\n", l->name, (long long)c);
        }
        l->frozen = 1;
    }
    return m->built ? relayout(m) : DC_OK;
}

int dc_model_frozen_names(const dc_model *m, char *buf, size_t n) {
    size_t k = 0;
    int c = 0;
    if (n) buf[0] = 0;
    for (int i = 0; i < m->nnodes; i++)
        if (m->nodes[i]->frozen) {
            int w = snprintf(buf + k, k < n ? n - k : 0, c ? ",%s" : "%s", m->nodes[i]->name);
            k += (size_t)(w > 0 ? w : 0);
            c++;
        }
    return k < n ? c : -1;
}

dc_status dc_model_compile(dc_model *m, dc_loss_kind loss, dc_opt_config opt) {
    if (loss < DC_LOSS_MSE || loss > DC_LOSS_CATEGORICAL_CE) return dc_set_error(DC_ERR_INVALID, "compile: unknown loss %d", (int)loss);
    m->recipe.loss = loss;
    m->recipe.opt = opt;
    m->recipe.compiled = 1;
    m->recipe.nlosses = 0; /* one loss on the output, as compile says */
    return DC_OK;
}

void dc_model_set_optimizer(dc_model *m, dc_opt_config opt) { m->recipe.opt = opt; }

/* ---- forward ------------------------------------------------------------------------ */

dc_status dc_model_run(const dc_model *m, dc_graph *g, int nfeed, const int *feed, dc_tensor *const *values, dc_value **vals_out) {
    return dc_model_run_ctx(m, g, nfeed, feed, values, vals_out, NULL, NULL, NULL);
}

dc_status dc_model_run_ctx(const dc_model *m, dc_graph *g, int nfeed, const int *feed, dc_tensor *const *values, dc_value **vals_out,
                           const dc_kv_state *kv, const dc_sparse_set *sparse, float *act_range) {
    if (!m->built) return dc_set_error(DC_ERR_INVALID, "model: call dc_model_build before forward");
    dc_value *vals = dc_arena_alloc(g, sizeof *vals * (size_t)m->nnodes);
    char *need = dc_arena_alloc(g, (size_t)m->nnodes);
    if (!vals || !need) return dc_set_error(DC_ERR_NOMEM, "model: out of memory");
    for (int k = 0; k < nfeed; k++) {
        vals[feed[k]].y = values[k];
        need[feed[k]] = 2; /* given */
    }
    for (int k = 0; k < num_outputs(m); k++)
        if (!need[output_node(m, k)]) need[output_node(m, k)] = 1;
    for (int i = m->nnodes - 1; i >= 0; i--)
        if (need[i] == 1)
            for (int k = 0; k < m->nodes[i]->nin; k++)
                if (!need[m->nodes[i]->in[k]]) need[m->nodes[i]->in[k]] = 1;
    dc_graph_clear_terms(g);
    dc_forward_ctx f = {g, m, kv, sparse, -1, act_range};
    for (int i = 0; i < m->nnodes; i++) {
        if (need[i] != 1) continue;
        const dc_layer *l = m->nodes[i];
        if (l->type == &dc_layer_input) return dc_set_error(DC_ERR_INVALID, "model: input \"%s\" was not given", l->name);
        dc_value in[DC_LAYER_MAX_INPUTS];
        for (int k = 0; k < l->nin; k++) in[k] = vals[l->in[k]];
        f.node = i;
        dc_status st = l->type->forward(l, &f, in, &vals[i]);
        if (st || !vals[i].y) {
            if (!st) st = DC_ERR_INVALID;
            char msg[768];
            snprintf(msg, sizeof msg, "%s", dc_last_error());
            return dc_set_error(st, "layer \"%s\": %s", l->name, msg);
        }
    }
    *vals_out = vals;
    return DC_OK;
}

dc_status dc_model_forward_values(const dc_model *m, dc_graph *g, dc_tensor *x, dc_value **vals) {
    if (!m->built) return dc_set_error(DC_ERR_INVALID, "model: call dc_model_build before forward");
    int ok = x && x->ndim == m->in_ndim + 1;
    for (int d = 0; ok && d < m->in_ndim; d++) ok = x->shape[d + 1] == m->in_shape[d];
    int64_t per = dc_shape_size(m->in_ndim, m->in_shape);
    if (!ok && x && x->ndim >= 1 && x->shape[0] > 0 && x->size == x->shape[0] * per) { /* 28x28 images into input 784 */
        int64_t shape[DC_MAX_DIMS];
        shape[0] = x->shape[0];
        memcpy(shape + 1, m->in_shape, sizeof(int64_t) * (size_t)m->in_ndim);
        ok = (x = dc_reshape(g, x, m->in_ndim + 1, shape)) != NULL;
    }
    if (!ok) {
        char s[128] = "NULL";
        if (x) dc_shape_str(x, s, sizeof s);
        return dc_set_error(DC_ERR_INVALID, "model: input batch has shape %s, expected (N, %lld%s)", s, (long long)m->in_shape[0],
                            m->in_ndim > 1 ? ", ..." : "");
    }
    int feed = 0;
    return dc_model_run(m, g, 1, &feed, &x, vals);
}

int dc_model_output_node(const dc_model *m, int k) { return output_node(m, k); }

int dc_model_input_nodes(const dc_model *m, int *feed) {
    int n = 0;
    for (int i = 0; i < m->nnodes; i++)
        if (m->nodes[i]->type == &dc_layer_input) {
            if (n == DC_LAYER_MAX_INPUTS) return dc_set_error(DC_ERR_INVALID, "model: more than %d inputs", DC_LAYER_MAX_INPUTS);
            feed[n++] = i;
        }
    return n;
}

int64_t dc_model_inputs_size(const dc_model *m) {
    int feed[DC_LAYER_MAX_INPUTS], n = dc_model_input_nodes(m, feed);
    int64_t total = 0;
    for (int k = 0; k < n; k++) total += dc_shape_size(m->nodes[feed[k]]->out.ndim, m->nodes[feed[k]]->out.d);
    return total;
}

/* The inputs fed by name (dc_graph_feed under each input layer's name) into
 * xs, viewed in each input's shape: 1 if all are, 0 if none is, -1 (error
 * set) if only some are or one does not fit. */
static int fed_inputs(const dc_model *m, dc_graph *g, int n, const int *feed, dc_tensor **xs) {
    int fed = 0;
    for (int k = 0; k < n; k++) fed += (xs[k] = dc_graph_fed(g, m->nodes[feed[k]]->name)) != NULL;
    if (!fed) return 0;
    if (fed != n) {
        dc_set_error(DC_ERR_INVALID, "model: %d of its %d inputs were fed by name: feed every input layer's name, or none", fed, n);
        return -1;
    }
    for (int k = 0; k < n; k++) {
        const dc_shape *s = &m->nodes[feed[k]]->out;
        const int64_t N = xs[k]->ndim ? xs[k]->shape[0] : 0, w = dc_shape_size(s->ndim, s->d);
        int64_t shape[DC_MAX_DIMS];
        shape[0] = N;
        memcpy(shape + 1, s->d, sizeof(int64_t) * (size_t)s->ndim);
        if (N < 1 || N != xs[0]->shape[0] || xs[k]->size != N * w || !(xs[k] = dc_reshape(g, xs[k], s->ndim + 1, shape))) {
            dc_set_error(DC_ERR_INVALID, "model: the batch fed as \"%s\" does not hold %lld values per sample for every sample of the batch",
                         m->nodes[feed[k]]->name, (long long)w);
            return -1;
        }
    }
    return 1;
}

dc_status dc_model_forward_joined(const dc_model *m, dc_graph *g, dc_tensor *x, dc_value **vals) {
    int feed[DC_LAYER_MAX_INPUTS], n = dc_model_input_nodes(m, feed);
    if (n < 0) return DC_ERR_INVALID;
    dc_tensor *xs[DC_LAYER_MAX_INPUTS];
    const int fed = fed_inputs(m, g, n, feed, xs);
    if (fed < 0) return DC_ERR_INVALID;
    if (fed) return m->built ? dc_model_run(m, g, n, feed, xs, vals) : dc_set_error(DC_ERR_INVALID, "model: call dc_model_build before forward");
    if (n <= 1) return dc_model_forward_values(m, g, x, vals);
    const int64_t N = x && x->ndim >= 1 ? x->shape[0] : 0, total = dc_model_inputs_size(m);
    if (!x || N < 1 || x->size != N * total)
        return dc_set_error(DC_ERR_INVALID, "model: a batch for %d inputs holds their %lld values per sample, one input after another", n,
                            (long long)total);
    const size_t es = dc_dtype_size(x->dtype);
    int64_t off = 0;
    for (int k = 0; k < n; k++) { /* input k's columns of every sample */
        const dc_shape *s = &m->nodes[feed[k]]->out;
        int64_t shape[DC_MAX_DIMS];
        shape[0] = N;
        memcpy(shape + 1, s->d, sizeof(int64_t) * (size_t)s->ndim);
        const int64_t w = dc_shape_size(s->ndim, s->d);
        if (!(xs[k] = dc_input(g, x->dtype, s->ndim + 1, shape))) return DC_ERR_NOMEM;
        for (int64_t r = 0; r < N; r++)
            memcpy((char *)xs[k]->raw + (size_t)(r * w) * es, (const char *)x->raw + (size_t)(r * total + off) * es, (size_t)w * es);
        off += w;
    }
    return dc_model_run(m, g, n, feed, xs, vals);
}

dc_tensor *dc_model_forward(const dc_model *m, dc_graph *g, dc_tensor *x, dc_tensor **logits) {
    dc_value *vals;
    if (dc_model_forward_values(m, g, x, &vals)) return NULL;
    const dc_value *v = &vals[output_node(m, 0)];
    if (logits) *logits = v->logits ? v->logits : v->y;
    return v->y;
}

dc_status dc_model_forward_all(const dc_model *m, dc_graph *g, dc_tensor *const *inputs, int ninputs, dc_tensor **outputs) {
    int feed[DC_LAYER_MAX_INPUTS], n = dc_model_input_nodes(m, feed);
    if (n < 0) return DC_ERR_INVALID;
    if (ninputs != n) return dc_set_error(DC_ERR_INVALID, "model: %d inputs given, the model has %d", ninputs, n);
    for (int k = 0; k < n; k++) {
        const dc_shape *s = &m->nodes[feed[k]]->out;
        int ok = inputs[k] && inputs[k]->ndim == s->ndim + 1;
        for (int d = 0; ok && d < s->ndim; d++) ok = inputs[k]->shape[d + 1] == s->d[d];
        if (!ok) return dc_set_error(DC_ERR_INVALID, "model: input %d (\"%s\") does not have its shape", k + 1, m->nodes[feed[k]]->name);
    }
    dc_value *vals;
    dc_status st = dc_model_run(m, g, n, feed, inputs, &vals);
    if (st) return st;
    for (int k = 0; k < num_outputs(m); k++) outputs[k] = vals[output_node(m, k)].y;
    return DC_OK;
}

dc_tensor *dc_model_forward_from(const dc_model *m, dc_graph *g, const char *layer, dc_tensor *value) {
    int k = dc_model_find_node(m, layer);
    if (k < 0) {
        dc_set_error(DC_ERR_INVALID, "model: no layer named \"%s\"", layer);
        return NULL;
    }
    const dc_shape *s = &m->nodes[k]->out;
    int ok = value && value->ndim == s->ndim + 1;
    for (int d = 0; ok && d < s->ndim; d++) ok = value->shape[d + 1] == s->d[d];
    if (!ok) {
        dc_set_error(DC_ERR_INVALID, "model: a value for \"%s\" must have its output shape", layer);
        return NULL;
    }
    dc_value *vals;
    if (dc_model_run(m, g, 1, &k, &value, &vals)) return NULL;
    return vals[output_node(m, 0)].y;
}

/* ---- summary ------------------------------------------------------------------------- */

static int is_chain(const dc_model *m) {
    for (int i = 1; i < m->nnodes; i++)
        if (m->nodes[i]->type == &dc_layer_input || m->nodes[i]->nin != 1 || m->nodes[i]->in[0] != i - 1) return 0;
    return num_outputs(m) == 1;
}

/* The bytes a declaration takes as stored. */
static int64_t decl_bytes(const dc_param_decl *d) { return dc_shape_size(d->ndim, d->shape) * (int64_t)dc_dtype_size(d->dtype); }

/* The summary's storage note of a layer: "int8, 99.00 KB" */
static void stored_text(const dc_layer *l, char *buf, size_t n) {
    int64_t bytes = 0;
    for (int k = 0; k < l->nparam; k++) bytes += decl_bytes(&l->decl[k]);
    char size[32];
    dc_format_bytes((double)bytes, size, sizeof size);
    snprintf(buf, n, "  %s, %s", l->nparam ? (l->wdtype == DC_I8 ? "int8" : l->wdtype == DC_WEIGHTS_Q4 ? "4-bit" : l->wdtype == DC_F32 ? "float" : dc_weights_name(l->wdtype)) : "-", size);
}

void dc_model_summary(const dc_model *m, FILE *out) {
    const int chain = is_chain(m);
    int typed = 0; /* weights stored in other types: a storage column */
    int64_t bytes = 0;
    for (int i = 0; i < m->nnodes; i++) {
        typed |= m->nodes[i]->wdtype != DC_F32;
        for (int k = 0; k < m->nodes[i]->nparam; k++) bytes += decl_bytes(&m->nodes[i]->decl[k]);
    }
    char line[120];
    const int width = (chain ? 65 : 88) + (typed ? 17 : 0);
    memset(line, '_', (size_t)width);
    line[width] = 0;
    fprintf(out, "Model: \"%s\"\n%s\n", chain ? "sequential" : "model", line);
    fprintf(out, " %-33s %-20s %-10s%s%s\n", "Layer (type)", "Output Shape", "Param #", typed ? "  Stored as" : "", chain ? "" : " Connected to");
    memset(line, '=', (size_t)width);
    fprintf(out, "%s\n", line);
    int64_t total = 0, frozen = 0;
    int first = 1;
    for (int i = 0; i < m->nnodes; i++) {
        const dc_layer *l = m->nodes[i];
        if (chain && l->type == &dc_layer_input) continue;
        char name[120], shape[160], from[256] = "";
        snprintf(name, sizeof name, "%s (%s)", l->name, l->type->class_name);
        dc_shape_text(shape, sizeof shape, &l->out, 1);
        int64_t p = 0, b = 0;
        for (int k = 0; k < l->nparam; k++) {
            int64_t n = dc_param_values(&l->decl[k]);
            if (l->decl[k].buffer || l->frozen || l->decl[k].dtype != DC_F32) b += n;
            else p += n;
        }
        total += p + b;
        frozen += b;
        size_t fk = 0;
        for (int k = 0; k < l->nin && fk < sizeof from; k++)
            fk += (size_t)snprintf(from + fk, sizeof from - fk, "%s%s", k ? ", " : "", m->nodes[l->in[k]]->name);
        if (!first) fprintf(out, "\n");
        first = 0;
        char stored[64] = "";
        if (typed) stored_text(l, stored, sizeof stored);
        fprintf(out, " %-33s %-20s %-10lld%s%s%s\n", name, shape, (long long)(p + b), stored, chain ? "" : " ", chain ? "" : from);
    }
    fprintf(out, "%s\n", line);
    char size[32];
    fprintf(out, "Total params: %lld (%s)\nTrainable params: %lld\nNon-trainable params: %lld\n", (long long)total,
            dc_format_bytes(typed ? (double)bytes : (double)total * 4.0, size, sizeof size), (long long)(total - frozen), (long long)frozen);
    memset(line, '_', (size_t)width);
    fprintf(out, "%s\n", line);
}
