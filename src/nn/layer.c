/* layer.c — what every layer kind shares: reading and writing options from
 * the kind's option table, declaring parameters, activations, shapes. */
#include "layer.h"
#include "model.h"
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const act_names[] = {"linear", "relu", "leaky_relu", "sigmoid", "tanh",
                                        "gelu",   "softmax", "log_softmax", "gelu_tanh"};

const char *dc_activation_name(dc_activation a) {
    return (unsigned)a < sizeof act_names / sizeof *act_names ? act_names[a] : "?";
}

int dc_activation_from_name(const char *s) {
    if (!strcmp(s, "none")) return DC_ACT_NONE;
    for (unsigned i = 0; i < sizeof act_names / sizeof *act_names; i++)
        if (!strcmp(s, act_names[i])) return (int)i;
    return -1;
}

static const struct {
    const char *name;
    dc_init kind;
} init_names[] = {{"zeros", DC_INIT_ZEROS},
                  {"ones", DC_INIT_ONES},
                  {"glorot_uniform", DC_INIT_GLOROT_UNIFORM},
                  {"glorot_normal", DC_INIT_GLOROT_NORMAL},
                  {"xavier_uniform", DC_INIT_GLOROT_UNIFORM},
                  {"xavier_normal", DC_INIT_GLOROT_NORMAL},
                  {"he_uniform", DC_INIT_HE_UNIFORM},
                  {"he_normal", DC_INIT_HE_NORMAL},
                  {"uniform", DC_INIT_UNIFORM},
                  {"rnn_uniform", DC_INIT_TORCH_RNN},
                  {"lecun_uniform", DC_INIT_LECUN_UNIFORM},
                  {"normal", DC_INIT_NORMAL}};

static const char *init_name(dc_init k) {
    for (size_t i = 0; i < sizeof init_names / sizeof *init_names; i++)
        if (init_names[i].kind == k) return init_names[i].name;
    return "default";
}

const dc_layer_option *dc_layer_option_find(const dc_layer_type *t, const char *key) {
    for (const dc_layer_option *o = t->options; o && o->key; o++)
        if (!strcmp(o->key, key)) return o;
    return NULL;
}

const dc_layer_option *dc_layer_option_positional(const dc_layer_type *t) {
    for (const dc_layer_option *o = t->options; o && o->key; o++)
        if (o->flags & DC_O_POSITIONAL) return o;
    return NULL;
}

/* The positional option after o (a layer may take several: "embedding
 * 10000 32"), or NULL. */
static const dc_layer_option *next_positional(const dc_layer_option *o) {
    for (o++; o->key; o++)
        if (o->flags & DC_O_POSITIONAL) return o;
    return NULL;
}

void dc_layer_option_list(const dc_layer_type *t, char *buf, size_t n) {
    size_t k = 0;
    buf[0] = 0;
    for (const dc_layer_option *o = t->options; o && o->key && k < n; o++)
        k += (size_t)snprintf(buf + k, n - k, "%s%s", k ? ", " : "", o->key);
    if (k < n) k += (size_t)snprintf(buf + k, n - k, "%sname, inputs, trainable, weights", k ? ", " : "");
}

/* "3" or "3x5" with each number in [lo, hi] */
static dc_status parse_pair(const dc_layer_option *o, const char *s, int *a, int *b) {
    char *end;
    errno = 0;
    long x = strtol(s, &end, 10), y;
    if (end == s || errno || x < o->lo || x > o->hi)
        return dc_set_error(DC_ERR_FORMAT, "%s must be N or NxM with N in [%g, %g], not \"%s\"", o->key, o->lo, o->hi, s);
    y = x;
    if (*end == 'x') {
        const char *q = end + 1;
        y = strtol(q, &end, 10);
        if (end == q || errno || y < o->lo || y > o->hi)
            return dc_set_error(DC_ERR_FORMAT, "%s must be N or NxM with N in [%g, %g], not \"%s\"", o->key, o->lo, o->hi, s);
    }
    if (*end) return dc_set_error(DC_ERR_FORMAT, "%s: unexpected \"%s\"", o->key, end);
    *a = (int)x;
    *b = (int)y;
    return DC_OK;
}

static dc_status parse_shape(const dc_layer_option *o, const char *s, dc_shape *out) {
    dc_shape sh = {0, {0}};
    const char *p = s;
    for (;;) {
        if (sh.ndim == DC_MAX_DIMS - 1) return dc_set_error(DC_ERR_FORMAT, "%s \"%s\" has too many dimensions", o->key, s);
        char *end;
        errno = 0;
        long v = strtol(p, &end, 10);
        if (end == p || errno || v < o->lo || v > o->hi)
            return dc_set_error(DC_ERR_FORMAT, "%s \"%s\": expected positive extents separated by 'x'", o->key, s);
        sh.d[sh.ndim++] = v;
        if (*end == 0) break;
        if (*end != 'x' && *end != ',') return dc_set_error(DC_ERR_FORMAT, "%s \"%s\": expected 'x' between extents", o->key, s);
        p = end + 1;
    }
    *out = sh;
    return DC_OK;
}

dc_status dc_layer_option_set(const dc_layer_type *t, void *cfg, const dc_layer_option *o, const char *s) {
    (void)t;
    void *dst = (char *)cfg + o->offset;
    switch (o->type) {
    case DC_O_INT: {
        char *end;
        errno = 0;
        long v = strtol(s, &end, 10);
        if (end == s || *end || errno) return dc_set_error(DC_ERR_FORMAT, "%s must be a whole number, not \"%s\"", o->key, s);
        if (v < o->lo || v > o->hi)
            return dc_set_error(DC_ERR_FORMAT, "%s %ld is outside [%.0f, %.0f]", o->key, v, o->lo, o->hi);
        *(int *)dst = (int)v;
        return DC_OK;
    }
    case DC_O_FLOAT: {
        char *end;
        errno = 0;
        double v = strtod(s, &end);
        if (end == s || *end || errno || !isfinite(v))
            return dc_set_error(DC_ERR_FORMAT, "%s must be a number, not \"%s\"", o->key, s);
        if (v < o->lo || v > o->hi) return dc_set_error(DC_ERR_FORMAT, "%s %s is outside [%g, %g]", o->key, s, o->lo, o->hi);
        *(float *)dst = (float)v;
        return DC_OK;
    }
    case DC_O_BOOL:
        if (!strcmp(s, "true") || !strcmp(s, "1") || !strcmp(s, "yes")) *(int *)dst = 1;
        else if (!strcmp(s, "false") || !strcmp(s, "0") || !strcmp(s, "no")) *(int *)dst = 0;
        else return dc_set_error(DC_ERR_FORMAT, "%s must be true or false, not \"%s\"", o->key, s);
        return DC_OK;
    case DC_O_ACT: {
        int a = dc_activation_from_name(s);
        if (a < 0)
            return dc_set_error(DC_ERR_FORMAT, "unknown activation \"%s\" (expected linear, relu, leaky_relu, sigmoid, tanh, gelu, gelu_tanh, softmax, log_softmax)", s);
        *(dc_activation *)dst = (dc_activation)a;
        return DC_OK;
    }
    case DC_O_INIT:
        for (size_t i = 0; i < sizeof init_names / sizeof *init_names; i++)
            if (!strcmp(s, init_names[i].name)) {
                *(dc_init *)dst = init_names[i].kind;
                return DC_OK;
            }
        return dc_set_error(DC_ERR_FORMAT, "unknown initializer \"%s\" (expected zeros, ones, glorot_uniform, glorot_normal, he_uniform, he_normal, lecun_uniform, uniform, rnn_uniform, normal)", s);
    case DC_O_PAIR: {
        int *p = dst;
        return parse_pair(o, s, &p[0], &p[1]);
    }
    case DC_O_PADDING: {
        dc_padding *p = dst;
        if (!strcmp(s, "valid")) {
            *p = (dc_padding){0, 0, 0};
            return DC_OK;
        }
        if (!strcmp(s, "same") && !(o->flags & DC_O_NO_SAME)) {
            *p = (dc_padding){1, 0, 0};
            return DC_OK;
        }
        dc_layer_option named = *o;
        named.key = o->flags & DC_O_NO_SAME ? "padding (valid, N or NxM)" : "padding (valid, same, N or NxM)";
        p->same = 0;
        return parse_pair(&named, s, &p->a, &p->b);
    }
    case DC_O_SHAPE: return parse_shape(o, s, dst);
    case DC_O_NAME: {
        size_t n = strlen(s);
        if (n == 0 || n >= DC_O_NAME_MAX) return dc_set_error(DC_ERR_FORMAT, "%s must be a layer name of 1 to %d characters", o->key, DC_O_NAME_MAX - 1);
        memcpy(dst, s, n + 1);
        return DC_OK;
    }
    }
    return dc_set_error(DC_ERR_INVALID, "option %s: unknown type", o->key);
}

/* One option's value as text, as the parser reads it back. */
static void option_text(const dc_layer_option *o, const void *cfg, char *buf, size_t n) {
    const void *v = (const char *)cfg + o->offset;
    switch (o->type) {
    case DC_O_INT: snprintf(buf, n, "%d", *(const int *)v); break;
    case DC_O_FLOAT: dc_float_str(buf, n, *(const float *)v); break;
    case DC_O_BOOL: snprintf(buf, n, "%s", *(const int *)v ? "true" : "false"); break;
    case DC_O_ACT: snprintf(buf, n, "%s", dc_activation_name(*(const dc_activation *)v)); break;
    case DC_O_INIT: snprintf(buf, n, "%s", init_name(*(const dc_init *)v)); break;
    case DC_O_NAME: snprintf(buf, n, "%s", (const char *)v); break;
    case DC_O_PAIR: {
        const int *p = v;
        if (p[0] == p[1]) snprintf(buf, n, "%d", p[0]);
        else snprintf(buf, n, "%dx%d", p[0], p[1]);
        break;
    }
    case DC_O_SHAPE: {
        const dc_shape *p = v;
        size_t k = 0;
        for (int i = 0; i < p->ndim && k < n; i++) k += (size_t)snprintf(buf + k, n - k, i ? "x%lld" : "%lld", (long long)p->d[i]);
        break;
    }
    case DC_O_PADDING: {
        const dc_padding *p = v;
        if (p->same) snprintf(buf, n, "same");
        else if (p->a == p->b) snprintf(buf, n, "%d", p->a);
        else snprintf(buf, n, "%dx%d", p->a, p->b);
        break;
    }
    }
}

static size_t option_size(const dc_layer_option *o) {
    switch (o->type) {
    case DC_O_FLOAT: return sizeof(float);
    case DC_O_ACT: return sizeof(dc_activation);
    case DC_O_INIT: return sizeof(dc_init);
    case DC_O_PAIR: return 2 * sizeof(int);
    case DC_O_PADDING: return sizeof(dc_padding);
    case DC_O_SHAPE: return sizeof(dc_shape);
    case DC_O_NAME: return DC_O_NAME_MAX;
    default: return sizeof(int);
    }
}

void dc_layer_options_write(const dc_layer_type *t, const void *cfg, dc_strbuf *out) {
    for (const dc_layer_option *o = t->options; o && o->key; o++) {
        size_t off = o->offset, sz = option_size(o);
        if (!(o->flags & DC_O_REQUIRED) && !memcmp((const char *)cfg + off, (const char *)t->defaults + off, sz)) continue;
        char v[64];
        option_text(o, cfg, v, sizeof v);
        if (o->flags & DC_O_POSITIONAL) dc_sb_printf(out, " %s", v);
        else dc_sb_printf(out, " %s=%s", o->key, v);
    }
}

int dc_layer_declare(dc_layer *l, const char *what, int ndim, const int64_t *shape, int buffer, dc_init init, float fill,
                     int64_t fan_in, int64_t fan_out) {
    if (l->nparam == DC_LAYER_MAX_PARAMS || ndim > 4) {
        l->decl_failed = 1;
        return -1;
    }
    if (l->nparam == l->cap_param) { /* most layers own 1 to 4 tensors */
        int cap = l->cap_param ? 2 * l->cap_param : 4;
        dc_param_decl *nd = realloc(l->decl, sizeof *nd * (size_t)cap);
        if (nd) l->decl = nd;
        dc_tensor **np = nd ? realloc(l->param, sizeof *np * (size_t)cap) : NULL;
        if (np) l->param = np;
        if (!nd || !np) {
            l->decl_failed = 1;
            return -1;
        }
        memset(l->param + l->cap_param, 0, sizeof *np * (size_t)(cap - l->cap_param));
        l->cap_param = cap;
    }
    dc_param_decl *d = &l->decl[l->nparam];
    memset(d, 0, sizeof *d);
    snprintf(d->what, sizeof d->what, "%s", what);
    d->ndim = ndim;
    memcpy(d->shape, shape, sizeof(int64_t) * (size_t)ndim);
    d->buffer = buffer;
    d->init = init;
    d->fill = fill;
    d->fan_in = fan_in;
    d->fan_out = fan_out;
    d->dtype = DC_F32;
    d->scale = d->act_scale = d->act_zero = -1;
    return l->nparam++;
}

void dc_layer_declare_kernel(dc_layer *l, const dc_kernel_opts *k, int nd, const int64_t *wshape, int64_t nout, int64_t fan_in,
                             int64_t fan_out) {
    int w = dc_layer_declare(l, "weight", nd, wshape, 0, k->kernel_init, 0.0f, fan_in, fan_out);
    if (w >= 0) {
        l->decl[w].l1 = k->l1;
        l->decl[w].l2 = k->l2;
        dc_layer_matrix(l, w);
    }
    if (k->use_bias) dc_layer_declare(l, "bias", 1, &nout, 0, k->bias_init, 0.0f, fan_in, fan_out);
}

void dc_layer_matrix(dc_layer *l, int k) {
    if (k < 0 || k >= l->nparam) return;
    dc_param_decl *d = &l->decl[k];
    d->matrix = 1;
    d->cols = dc_shape_size(d->ndim, d->shape) / (d->shape[0] ? d->shape[0] : 1);
}

const char *dc_weights_name(dc_dtype t) {
    return t == DC_F16 ? "f16" : t == DC_BF16 ? "bf16" : t == DC_I8 ? "i8" : t == DC_WEIGHTS_Q4 ? "q4" : "f32";
}

dc_status dc_layer_store_weights(dc_layer *l) {
    const dc_dtype t = l->wdtype;
    if (l->act_static && t != DC_I8) return dc_set_error(DC_ERR_INVALID, "%s: activations=static goes with weights=i8", l->name);
    if (t == DC_F32) return DC_OK;
    int n = l->nparam, any = 0;
    for (int k = 0; k < n; k++) {
        if (!l->decl[k].matrix) continue;
        any = 1;
        if (t == DC_WEIGHTS_Q4 && (l->decl[k].ndim != 2 || l->decl[k].cols % 32))
            return dc_set_error(DC_ERR_INVALID, "%s: weights=q4 stores 2-D weight matrices of a multiple of 32 columns; %s is %s%lld "
                                                "wide (use weights=i8)", l->name, l->decl[k].what, l->decl[k].ndim != 2 ? "not 2-D, or " : "",
                                (long long)l->decl[k].cols);
    }
    if (!any)
        return dc_set_error(DC_ERR_INVALID, "%s: weights=%s: a %s layer has no weight matrix to store in another type", l->name,
                            dc_weights_name(t), l->type->keyword);
    if (l->act_static && strcmp(l->type->keyword, "dense") && strncmp(l->type->keyword, "transformer_", 12))
        return dc_set_error(DC_ERR_INVALID, "%s: activations=static: dense and transformer layers only (a %s layer quantizes its "
                                            "inputs as they come)", l->name, l->type->keyword);
    for (int k = 0; k < n; k++) { /* scales come after every other tensor: the layer's indices stay */
        if (!l->decl[k].matrix) continue;
        l->decl[k].dtype = t;
        if (t != DC_I8 && t != DC_WEIGHTS_Q4) continue;
        char what[sizeof l->decl[k].what + 8];
        snprintf(what, sizeof what, "%s_scale", l->decl[k].what);
        const int64_t rows = l->decl[k].shape[0], cols = l->decl[k].cols;
        int s = t == DC_I8 ? dc_layer_declare(l, what, 1, &rows, 1, DC_INIT_DEFAULT, 1.0f, cols, rows)
                           : dc_layer_declare(l, what, 2, (int64_t[]){rows, cols / 32}, 1, DC_INIT_DEFAULT, 1.0f, cols, rows);
        if (s < 0) return dc_set_error(DC_ERR_NOMEM, "%s: cannot declare its parameters", l->name);
        dc_param_decl *d = &l->decl[k];
        d->scale = s;
        if (t == DC_WEIGHTS_Q4) {
            l->decl[s].dtype = DC_F16;
            d->shape[1] = cols / 2; /* bytes: two values each */
        }
        if (l->act_static) { /* the scale and zero point its input is quantized with, from calibration data */
            char aw[sizeof l->decl[k].what + 24], az[sizeof l->decl[k].what + 24];
            snprintf(aw, sizeof aw, "%s_act_scale", l->decl[k].what);
            snprintf(az, sizeof az, "%s_act_zero_point", l->decl[k].what);
            const int a = dc_layer_declare(l, aw, 1, (int64_t[]){1}, 1, DC_INIT_DEFAULT, 1.0f, 1, 1);
            const int z = a < 0 ? -1 : dc_layer_declare(l, az, 1, (int64_t[]){1}, 1, DC_INIT_DEFAULT, 128.0f, 1, 1);
            if (z < 0) return dc_set_error(DC_ERR_NOMEM, "%s: cannot declare its parameters", l->name);
            l->decl[k].act_scale = a;
            l->decl[k].act_zero = z;
        }
    }
    return DC_OK;
}

int64_t dc_param_values(const dc_param_decl *d) {
    return d->matrix ? d->shape[0] * d->cols : dc_shape_size(d->ndim, d->shape);
}

void dc_layer_param_floats(const dc_layer *l, int k, float *out) {
    const dc_param_decl *d = &l->decl[k];
    const dc_tensor *t = l->param[k];
    if (t->dtype == DC_F32) memcpy(out, t->data, sizeof(float) * (size_t)t->size);
    else if (t->dtype == DC_F16) dc_k_f16_to_f32_n(t->raw, out, t->size);
    else if (t->dtype == DC_BF16) dc_k_bf16_to_f32_n(t->raw, out, t->size);
    else if (t->dtype == DC_I8) dc_k_dequantize_rows_i8(t->raw, l->param[d->scale]->data, d->shape[0], d->cols, out);
    else dc_k_dequantize_q4_rows(t->raw, l->param[d->scale]->raw, d->shape[0], d->cols, out);
}

dc_tensor *dc_layer_weight(dc_forward_ctx *f, const dc_layer *l, int k) {
    dc_tensor *w = l->param[k];
    const dc_param_decl *d = &l->decl[k];
    if (w->dtype == DC_F32) return w;
    if (d->scale >= 0) {
        int64_t shape[4];
        memcpy(shape, d->shape, sizeof shape);
        if (d->dtype == DC_WEIGHTS_Q4) shape[1] = d->cols;
        return dc_dequantize(f->g, w, l->param[d->scale], shape, d->ndim);
    }
    return dc_cast(f->g, w, DC_F32);
}

dc_tensor *dc_layer_conv(dc_forward_ctx *f, const dc_layer *l, int k, dc_tensor *x, dc_tensor *b, const dc_conv_params *p) {
    const dc_param_decl *d = &l->decl[k];
    if (d->scale >= 0) return dc_qconv2d(f->g, x, l->param[k], l->param[d->scale], b, p);
    dc_tensor *w = dc_layer_weight(f, l, k);
    return w ? dc_conv2d(f->g, x, w, b, p) : NULL;
}

/* A calibration run (dc_model_quantize_static): the smallest and largest
 * input product k of the running node has seen. */
static void note_act_range(dc_forward_ctx *f, int k, const dc_tensor *x) {
    float *r = &f->act_range[((int64_t)f->node * DC_LAYER_MAX_PARAMS + k) * 2];
    for (int64_t i = 0; i < x->size; i++) {
        const float a = x->data[i];
        if (a < r[0]) r[0] = a; /* NaN does not count */
        if (a > r[1]) r[1] = a;
    }
}

dc_tensor *dc_layer_linear(dc_forward_ctx *f, const dc_layer *l, int k, dc_tensor *x, dc_tensor *b) {
    const dc_param_decl *d = &l->decl[k];
    if (d->scale >= 0 && d->ndim == 2 && d->act_scale >= 0)
        return dc_qlinear_static(f->g, x, l->param[k], l->param[d->scale], l->param[d->act_scale], l->param[d->act_zero], b);
    if (d->scale >= 0 && d->ndim == 2) return dc_qlinear(f->g, x, l->param[k], l->param[d->scale], b);
    if (f->act_range && d->matrix && d->ndim == 2) note_act_range(f, k, x); /* calibration: the input's range */
    const dc_csr_weight *c = f->sparse && f->node >= 0 && f->node < f->sparse->nnodes && f->sparse->node[f->node] ? &f->sparse->node[f->node][k] : NULL;
    if (c && c->val && d->ndim == 2 && x->ndim >= 2 && x->shape[x->ndim - 1] == d->shape[1] && !dc_graph_grad_enabled(f->g) &&
        dc_sparse_pays(d->shape[0], d->shape[1], ((const int32_t *)c->start->raw)[d->shape[0]], x->size / d->shape[1]))
        return dc_sparse_linear(f->g, x, c->start, c->col, c->val, b);
    dc_tensor *w = dc_layer_weight(f, l, k);
    return w ? dc_linear(f->g, x, w, b) : NULL;
}

dc_status dc_kernel_activate(dc_graph *g, const dc_kernel_opts *k, dc_tensor *z, dc_value *out) {
    return dc_value_activate(g, z, k->activation, k->alpha, out);
}

dc_tensor *dc_apply_activation(dc_graph *g, dc_tensor *x, dc_activation a, float alpha) {
    switch (a) {
    case DC_ACT_RELU: return dc_relu(g, x);
    case DC_ACT_LEAKY_RELU: return dc_leaky_relu(g, x, alpha);
    case DC_ACT_SIGMOID: return dc_sigmoid(g, x);
    case DC_ACT_TANH: return dc_tanh(g, x);
    case DC_ACT_GELU: return dc_gelu(g, x);
    case DC_ACT_GELU_TANH: return dc_gelu_tanh(g, x);
    case DC_ACT_SOFTMAX: return dc_softmax(g, x, -1);
    case DC_ACT_LOG_SOFTMAX: return dc_log_softmax(g, x, -1);
    default: return x;
    }
}

dc_status dc_value_activate(dc_graph *g, dc_tensor *pre, dc_activation a, float alpha, dc_value *out) {
    if (!pre) return DC_ERR_INVALID;
    out->logits = pre;
    out->act = a;
    out->y = dc_apply_activation(g, pre, a, alpha);
    return out->y ? DC_OK : DC_ERR_INVALID;
}

void dc_same_padding(int64_t in, int k, int stride, int dil, int *before, int *after) {
    int64_t out = (in + stride - 1) / stride;
    int64_t total = (out - 1) * stride + (int64_t)(k - 1) * dil + 1 - in;
    if (total < 0) total = 0;
    *before = (int)(total / 2);
    *after = (int)(total - total / 2);
}

void dc_shape_text(char *buf, size_t n, const dc_shape *s, int with_batch) {
    size_t k = (size_t)snprintf(buf, n, with_batch ? "(None" : "(");
    for (int i = 0; i < s->ndim && k < n; i++)
        k += (size_t)snprintf(buf + k, n - k, (i || with_batch) ? ", %lld" : "%lld", (long long)s->d[i]);
    if (k < n) snprintf(buf + k, n - k, ")");
}

dc_status dc_forward_add_loss(dc_forward_ctx *f, const dc_layer *l, const char *part, dc_tensor *term) {
    if (!term || term->size != 1) return dc_set_error(DC_ERR_INVALID, "%s: a loss term must be a scalar", l->name);
    return dc_graph_add_term(f->g, part, term);
}

/* a,b,c into refs->in */
static dc_status parse_refs(const char *v, dc_layer_refs *refs) {
    refs->nin = 0;
    while (*v) {
        const char *e = strchr(v, ',');
        size_t n = e ? (size_t)(e - v) : strlen(v);
        if (n == 0 || n >= sizeof refs->in[0]) return dc_set_error(DC_ERR_FORMAT, "inputs: expected layer names separated by ','");
        if (refs->nin == DC_LAYER_MAX_INPUTS) return dc_set_error(DC_ERR_FORMAT, "inputs: at most %d", DC_LAYER_MAX_INPUTS);
        memcpy(refs->in[refs->nin], v, n);
        refs->in[refs->nin++][n] = 0;
        v += n + (e != NULL);
        if (e && !*v) return dc_set_error(DC_ERR_FORMAT, "inputs: a name is missing after ','");
    }
    if (!refs->nin) return dc_set_error(DC_ERR_FORMAT, "inputs: expected layer names separated by ','");
    return DC_OK;
}

dc_status dc_layer_parse_options(const dc_layer_type *t, void *cfg, int ntok, const char *const *tok, int positional_given,
                                 dc_layer_refs *refs, int *bad_tok, int *bad_off) {
    char allowed[512];
    const dc_layer_option *pos = dc_layer_option_positional(t);
    if (pos && positional_given) pos = next_positional(pos);
    unsigned long long given = 0; /* bit per option */
    memset(refs, 0, sizeof *refs);
    refs->in_tok = -1;
    for (int i = 0; i < ntok; i++) {
        const char *tk = tok[i], *eq = strchr(tk, '=');
        *bad_tok = i;
        *bad_off = 0;
        const dc_layer_option *o;
        const char *v;
        if (!eq) {
            if (!pos) {
                dc_layer_option_list(t, allowed, sizeof allowed);
                return dc_set_error(DC_ERR_FORMAT, "unexpected \"%s\" for '%s' (expected: %s)", tk, t->keyword, allowed);
            }
            o = pos;
            v = tk;
            pos = next_positional(pos);
        } else {
            size_t kl = (size_t)(eq - tk);
            v = eq + 1;
            *bad_off = (int)kl + 1;
            if (kl == 4 && !strncmp(tk, "name", 4)) {
                if (!*v || strlen(v) >= sizeof refs->name || strchr(v, ','))
                    return dc_set_error(DC_ERR_FORMAT, "name must be 1 to %zu characters without ','", sizeof refs->name - 1);
                snprintf(refs->name, sizeof refs->name, "%s", v);
                continue;
            }
            if (kl == 9 && !strncmp(tk, "trainable", 9)) {
                if (strcmp(v, "true") && strcmp(v, "false"))
                    return dc_set_error(DC_ERR_FORMAT, "trainable must be true or false, not \"%s\"", v);
                refs->frozen = !strcmp(v, "false");
                continue;
            }
            if (kl == 11 && !strncmp(tk, "activations", 11)) { /* static: needs weights=i8 (dc_layer_store_weights) */
                if (!strcmp(v, "static")) refs->act_static = 1;
                else if (!strcmp(v, "dynamic")) refs->act_static = 0;
                else return dc_set_error(DC_ERR_FORMAT, "activations must be dynamic or static, not \"%s\"", v);
                continue;
            }
            if (kl == 7 && !strncmp(tk, "weights", 7)) { /* checked against the layer's matrices by dc_layer_store_weights */
                if (!strcmp(v, "f32")) refs->wdtype = DC_F32;
                else if (!strcmp(v, "f16")) refs->wdtype = DC_F16;
                else if (!strcmp(v, "bf16")) refs->wdtype = DC_BF16;
                else if (!strcmp(v, "i8")) refs->wdtype = DC_I8;
                else if (!strcmp(v, "q4")) refs->wdtype = DC_WEIGHTS_Q4;
                else return dc_set_error(DC_ERR_FORMAT, "weights must be f32, f16, bf16, i8 or q4, not \"%s\"", v);
                continue;
            }
            if (kl == 6 && !strncmp(tk, "inputs", 6)) {
                refs->in_tok = i;
                dc_status st = parse_refs(v, refs);
                if (st) return st;
                continue;
            }
            char key[64];
            snprintf(key, sizeof key, "%.*s", (int)(kl < 63 ? kl : 63), tk);
            if (!(o = dc_layer_option_find(t, key))) {
                *bad_off = 0;
                dc_layer_option_list(t, allowed, sizeof allowed);
                char near[64];
                const char *s = dc_did_you_mean_in(key, allowed, near, sizeof near);
                return dc_set_error(DC_ERR_FORMAT, "unknown option \"%s\" for '%s'%s%s%s (expected: %s)", key, t->keyword,
                                    s ? ": did you mean \"" : "", s ? s : "", s ? "\"?" : "", allowed);
            }
            if (o == pos) pos = next_positional(pos); /* units=128 given by name */
        }
        dc_status st = dc_layer_option_set(t, cfg, o, v);
        if (st) return st;
        given |= 1ull << (o - t->options);
    }
    *bad_tok = -1;
    *bad_off = 0;
    for (const dc_layer_option *o = t->options; o && o->key; o++)
        if ((o->flags & DC_O_REQUIRED) && !(given & (1ull << (o - t->options))) &&
            !(o == dc_layer_option_positional(t) && positional_given))
            return dc_set_error(DC_ERR_FORMAT, "'%s' needs %s%s%s%s", t->keyword, (o->flags & DC_O_POSITIONAL) ? "a value for " : "", o->key,
                                o->example ? ", e.g. " : "", o->example ? o->example : "");
    return DC_OK;
}
