/* model.c — sequential models: adding layers (with shape inference),
 * building the flat parameter buffer, forward, and the summary. */
#include "model.h"
#include <stdlib.h>
#include <string.h>

static const char *const act_names[] = {"linear", "relu", "leaky_relu", "sigmoid", "tanh",
                                        "gelu",   "softmax", "log_softmax"};

const char *dc_activation_name(dc_activation a) {
    return (unsigned)a < sizeof act_names / sizeof *act_names ? act_names[a] : "?";
}

int dc_activation_from_name(const char *s) {
    if (!strcmp(s, "none")) return DC_ACT_NONE;
    for (unsigned i = 0; i < sizeof act_names / sizeof *act_names; i++)
        if (!strcmp(s, act_names[i])) return (int)i;
    return -1;
}

const char *dc_loss_name(dc_loss_kind k) {
    switch (k) {
    case DC_LOSS_MSE: return "mse";
    case DC_LOSS_BCE: return "binary_crossentropy";
    case DC_LOSS_CATEGORICAL_CE: return "categorical_crossentropy";
    default: return "none";
    }
}

dc_model *dc_model_new(int in_ndim, const int64_t *in_shape) {
    if (in_ndim < 1 || in_ndim > DC_MAX_DIMS - 1) {
        dc_set_error(DC_ERR_INVALID, "model: input must have 1 to %d dimensions", DC_MAX_DIMS - 1);
        return NULL;
    }
    for (int i = 0; i < in_ndim; i++)
        if (in_shape[i] <= 0 || in_shape[i] > (1 << 30)) {
            dc_set_error(DC_ERR_INVALID, "model: input extent %lld is not positive (or too large)", (long long)in_shape[i]);
            return NULL;
        }
    dc_model *m = calloc(1, sizeof *m);
    if (!m) {
        dc_set_error(DC_ERR_NOMEM, "model: out of memory");
        return NULL;
    }
    m->in_ndim = in_ndim;
    memcpy(m->in_shape, in_shape, sizeof(int64_t) * (size_t)in_ndim);
    m->fit = (dc_fit_config){.epochs = 10, .batch_size = 32, .validation_split = 0.0f, .shuffle = 1, .seed = 42};
    m->opt = dc_adam(1e-3f);
    return m;
}

void dc_model_free(dc_model *m) {
    if (!m) return;
    for (int i = 0; i < m->nnamed; i++) dc_tensor_free(m->named[i].t);
    free(m->named);
    free(m->layers);
    free(m->params);
    free(m->grads);
    free(m->description);
    free(m->preprocess);
    free(m);
}

/* Per-sample shape flowing into the next layer. */
static void current_shape(const dc_model *m, int *nd, int64_t *s) {
    if (m->nlayers == 0) {
        *nd = m->in_ndim;
        memcpy(s, m->in_shape, sizeof(int64_t) * (size_t)m->in_ndim);
    } else {
        const dc_layer *l = &m->layers[m->nlayers - 1];
        *nd = l->out_ndim;
        memcpy(s, l->out_shape, sizeof(int64_t) * (size_t)l->out_ndim);
    }
}

static dc_layer *push_layer(dc_model *m, dc_layer_kind kind, const char *base) {
    if (m->built) {
        dc_set_error(DC_ERR_INVALID, "model: cannot add layers after dc_model_build");
        return NULL;
    }
    if (m->nlayers == m->cap_layers) {
        int cap = m->cap_layers ? m->cap_layers * 2 : 8;
        dc_layer *nl = realloc(m->layers, sizeof *nl * (size_t)cap);
        if (!nl) {
            dc_set_error(DC_ERR_NOMEM, "model: out of memory");
            return NULL;
        }
        m->layers = nl;
        m->cap_layers = cap;
    }
    int nd;
    int64_t s[DC_MAX_DIMS];
    current_shape(m, &nd, s);
    int same = 0; /* Keras-style names: dense, dense_1, dense_2, ... */
    for (int i = 0; i < m->nlayers; i++) same += m->layers[i].kind == kind;
    dc_layer *l = &m->layers[m->nlayers];
    memset(l, 0, sizeof *l);
    l->kind = kind;
    if (same) snprintf(l->name, sizeof l->name, "%s_%d", base, same);
    else snprintf(l->name, sizeof l->name, "%s", base);
    l->out_ndim = nd;
    memcpy(l->out_shape, s, sizeof s);
    l->use_bias = 1;
    m->nlayers++;
    return l;
}

dc_status dc_model_add_flatten(dc_model *m) {
    dc_layer *l = push_layer(m, DC_LAYER_FLATTEN, "flatten");
    if (!l) return DC_ERR_INVALID;
    int64_t n = dc_shape_size(l->out_ndim, l->out_shape);
    l->out_ndim = 1;
    l->out_shape[0] = n;
    return DC_OK;
}

dc_status dc_model_add_dense(dc_model *m, int units, dc_activation act) {
    if (units <= 0 || units > (1 << 24)) return dc_set_error(DC_ERR_INVALID, "dense: units must be in 1..16777216, not %d", units);
    if ((unsigned)act > DC_ACT_LOG_SOFTMAX) return dc_set_error(DC_ERR_INVALID, "dense: unknown activation %d", (int)act);
    int nd;
    int64_t s[DC_MAX_DIMS];
    current_shape(m, &nd, s);
    if (nd != 1)
        return dc_set_error(DC_ERR_INVALID, "dense: input has %d dimensions per sample; add a flatten layer first", nd);
    dc_layer *l = push_layer(m, DC_LAYER_DENSE, "dense");
    if (!l) return DC_ERR_INVALID;
    l->units = units;
    l->activation = act;
    l->alpha = 0.01f;
    l->kernel_init = DC_INIT_GLOROT_UNIFORM;
    l->bias_init = DC_INIT_ZEROS;
    l->out_shape[0] = units;
    return DC_OK;
}

dc_status dc_model_add_dropout(dc_model *m, float rate) {
    if (!(rate >= 0.0f && rate < 1.0f)) return dc_set_error(DC_ERR_INVALID, "dropout: rate %g must be in [0, 1)", rate);
    dc_layer *l = push_layer(m, DC_LAYER_DROPOUT, "dropout");
    if (!l) return DC_ERR_INVALID;
    l->rate = rate;
    return DC_OK;
}

dc_status dc_model_add_activation(dc_model *m, dc_activation act) {
    if ((unsigned)act > DC_ACT_LOG_SOFTMAX) return dc_set_error(DC_ERR_INVALID, "activation: unknown activation %d", (int)act);
    dc_layer *l = push_layer(m, DC_LAYER_ACTIVATION, "activation");
    if (!l) return DC_ERR_INVALID;
    l->activation = act;
    l->alpha = 0.01f;
    return DC_OK;
}

dc_layer *dc_model_last_layer(dc_model *m) { return m->nlayers ? &m->layers[m->nlayers - 1] : NULL; }
int dc_model_num_layers(const dc_model *m) { return m->nlayers; }
dc_layer *dc_model_layer(dc_model *m, int i) { return i >= 0 && i < m->nlayers ? &m->layers[i] : NULL; }
int64_t dc_model_num_params(const dc_model *m) { return m->nparams; }
float *dc_model_params(dc_model *m) { return m->params; }
float *dc_model_grads(dc_model *m) { return m->grads; }
int dc_model_num_param_tensors(const dc_model *m) { return m->nnamed; }
dc_fit_config *dc_model_fit_config(dc_model *m) { return &m->fit; }
const char *dc_model_description(const dc_model *m) { return m->description; }
dc_loss_kind dc_model_loss(const dc_model *m) { return m->loss; }
const dc_opt_config *dc_model_optimizer(const dc_model *m) { return &m->opt; }

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
    int nd;
    current_shape(m, &nd, shape);
    return nd;
}

static int64_t layer_param_count(const dc_layer *l, int64_t in) {
    if (l->kind != DC_LAYER_DENSE) return 0;
    return (int64_t)l->units * in + (l->use_bias ? l->units : 0);
}

/* Input features of layer i (Dense needs them). */
static int64_t layer_in_features(const dc_model *m, int i) {
    return i == 0 ? dc_shape_size(m->in_ndim, m->in_shape) : m->layers[i - 1].out_shape[0];
}

static dc_status add_view(dc_model *m, const char *layer, const char *what, int64_t off, int nd, const int64_t *shape) {
    dc_named_param *p = &m->named[m->nnamed];
    snprintf(p->name, sizeof p->name, "%s.%s", layer, what);
    p->t = dc_tensor_wrap(m->params + off, nd, shape);
    if (!p->t) return DC_ERR_NOMEM;
    p->t->grad = m->grads + off;
    p->t->requires_grad = 1;
    m->nnamed++;
    return DC_OK;
}

dc_status dc_model_build(dc_model *m, uint64_t seed) {
    if (m->built) return dc_set_error(DC_ERR_INVALID, "model: already built");
    if (m->nlayers == 0) return dc_set_error(DC_ERR_INVALID, "model: has no layers");
    int64_t total = 0;
    for (int i = 0; i < m->nlayers; i++) total += layer_param_count(&m->layers[i], layer_in_features(m, i));
    size_t bytes = (size_t)(total ? total : 1) * sizeof(float);
    m->params = aligned_alloc(64, (bytes + 63) / 64 * 64);
    m->grads = aligned_alloc(64, (bytes + 63) / 64 * 64);
    m->named = calloc((size_t)m->nlayers * 2 + 1, sizeof *m->named);
    if (!m->params || !m->grads || !m->named) return dc_set_error(DC_ERR_NOMEM, "model: out of memory for %lld parameters", (long long)total);
    memset(m->params, 0, bytes);
    memset(m->grads, 0, bytes);
    m->nparams = total;
    dc_rng rng;
    dc_rng_seed(&rng, seed);
    int64_t off = 0;
    for (int i = 0; i < m->nlayers; i++) {
        dc_layer *l = &m->layers[i];
        if (l->kind != DC_LAYER_DENSE) continue;
        int64_t in = layer_in_features(m, i);
        int64_t ws[2] = {l->units, in};
        dc_init_fill(m->params + off, l->units * in, l->kernel_init, in, l->units, &rng);
        if (add_view(m, l->name, "weight", off, 2, ws)) return DC_ERR_NOMEM;
        l->weight = m->named[m->nnamed - 1].t;
        off += l->units * in;
        if (l->use_bias) {
            int64_t bs[1] = {l->units};
            dc_init_fill(m->params + off, l->units, l->bias_init, in, l->units, &rng);
            if (add_view(m, l->name, "bias", off, 1, bs)) return DC_ERR_NOMEM;
            l->bias = m->named[m->nnamed - 1].t;
            off += l->units;
        }
    }
    m->built = 1;
    return DC_OK;
}

dc_status dc_model_compile(dc_model *m, dc_loss_kind loss, dc_opt_config opt) {
    if (loss < DC_LOSS_MSE || loss > DC_LOSS_CATEGORICAL_CE) return dc_set_error(DC_ERR_INVALID, "compile: unknown loss %d", (int)loss);
    m->loss = loss;
    m->opt = opt;
    m->compiled = 1;
    return DC_OK;
}

static dc_tensor *apply_activation(dc_graph *g, dc_tensor *x, dc_activation a, float alpha) {
    switch (a) {
    case DC_ACT_RELU: return dc_relu(g, x);
    case DC_ACT_LEAKY_RELU: return dc_leaky_relu(g, x, alpha);
    case DC_ACT_SIGMOID: return dc_sigmoid(g, x);
    case DC_ACT_TANH: return dc_tanh(g, x);
    case DC_ACT_GELU: return dc_gelu(g, x);
    case DC_ACT_SOFTMAX: return dc_softmax(g, x, -1);
    case DC_ACT_LOG_SOFTMAX: return dc_log_softmax(g, x, -1);
    default: return x;
    }
}

dc_tensor *dc_model_forward(dc_model *m, dc_graph *g, dc_tensor *x, dc_tensor **logits) {
    if (!m->built) {
        dc_set_error(DC_ERR_INVALID, "model: call dc_model_build before forward");
        return NULL;
    }
    int ok = x && x->ndim == m->in_ndim + 1;
    for (int d = 0; ok && d < m->in_ndim; d++) ok = x->shape[d + 1] == m->in_shape[d];
    if (!ok) {
        char s[128] = "NULL";
        if (x) dc_shape_str(x, s, sizeof s);
        dc_set_error(DC_ERR_INVALID, "model: input batch has shape %s, expected (N, %lld%s)", s,
                     (long long)m->in_shape[0], m->in_ndim > 1 ? ", ..." : "");
        return NULL;
    }
    dc_tensor *h = x, *pre = x;
    for (int i = 0; i < m->nlayers && h; i++) {
        dc_layer *l = &m->layers[i];
        pre = h;
        switch (l->kind) {
        case DC_LAYER_FLATTEN: h = dc_flatten(g, h); break;
        case DC_LAYER_DENSE:
            h = dc_linear(g, h, l->weight, l->bias);
            pre = h;
            if (h) h = apply_activation(g, h, l->activation, l->alpha);
            break;
        case DC_LAYER_DROPOUT: h = dc_dropout(g, h, l->rate); break;
        case DC_LAYER_ACTIVATION: h = apply_activation(g, h, l->activation, l->alpha); break;
        }
    }
    if (logits) *logits = pre;
    return h;
}

/* The activation applied last, and so what the loss must undo. */
dc_activation dc_model_final_activation(const dc_model *m) {
    for (int i = m->nlayers - 1; i >= 0; i--) {
        const dc_layer *l = &m->layers[i];
        if (l->kind == DC_LAYER_DENSE || l->kind == DC_LAYER_ACTIVATION) return l->activation;
        if (l->kind != DC_LAYER_DROPOUT) return DC_ACT_NONE;
    }
    return DC_ACT_NONE;
}

static void shape_text(char *buf, size_t n, int nd, const int64_t *s) {
    size_t k = (size_t)snprintf(buf, n, "(None");
    for (int i = 0; i < nd && k < n; i++) k += (size_t)snprintf(buf + k, n - k, ", %lld", (long long)s[i]);
    if (k < n) snprintf(buf + k, n - k, ")");
}

void dc_model_summary(const dc_model *m, FILE *out) {
    char line[66];
    memset(line, '_', 65);
    line[65] = 0;
    fprintf(out, "Model: \"sequential\"\n%s\n", line);
    fprintf(out, " %-28s %-25s %-10s\n", "Layer (type)", "Output Shape", "Param #");
    memset(line, '=', 65);
    fprintf(out, "%s\n", line);
    int64_t total = 0;
    for (int i = 0; i < m->nlayers; i++) {
        const dc_layer *l = &m->layers[i];
        static const char *const kinds[] = {"Flatten", "Dense", "Dropout", "Activation"};
        char name[64], shape[128];
        snprintf(name, sizeof name, "%s (%s)", l->name, kinds[l->kind]);
        shape_text(shape, sizeof shape, l->out_ndim, l->out_shape);
        int64_t p = layer_param_count(l, layer_in_features(m, i));
        total += p;
        fprintf(out, " %-28s %-25s %-10lld\n", name, shape, (long long)p);
        if (i + 1 < m->nlayers) fprintf(out, "\n");
    }
    fprintf(out, "%s\n", line);
    fprintf(out, "Total params: %lld (%.2f KB)\nTrainable params: %lld\nNon-trainable params: 0\n", (long long)total,
            (double)total * 4.0 / 1024.0, (long long)total);
    memset(line, '_', 65);
    fprintf(out, "%s\n", line);
}

dc_tabular *dc_model_tabular(const dc_model *m) {
    return m->preprocess ? dc_tabular_parse(m->preprocess, "model") : NULL;
}

dc_status dc_model_set_tabular(dc_model *m, const dc_tabular *p) {
    char *t = dc_tabular_serialize(p);
    if (!t) return dc_set_error(DC_ERR_NOMEM, "out of memory");
    free(m->preprocess);
    m->preprocess = t;
    return DC_OK;
}
