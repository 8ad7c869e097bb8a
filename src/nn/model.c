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
    free(m->buffers);
    free(m->description);
    free(m->preprocess);
    free(m->class_names);
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
    l->in_ndim = l->out_ndim = nd;
    memcpy(l->in_shape, s, sizeof s);
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

/* Keras 'same': out = ceil(in / stride), padding split with the extra one after */
static void same_pad(int64_t in, int k, int stride, int dil, int *before, int *after) {
    int64_t out = (in + stride - 1) / stride;
    int64_t total = (out - 1) * stride + (int64_t)(k - 1) * dil + 1 - in;
    if (total < 0) total = 0;
    *before = (int)(total / 2);
    *after = (int)(total - total / 2);
}

static int64_t conv_out(int64_t in, int k, int stride, int dil, int before, int after) {
    return (in + before + after - ((int64_t)(k - 1) * dil + 1)) / stride + 1;
}

static dc_status need_image(dc_model *m, const char *what, int want_nd) {
    int nd;
    int64_t s[DC_MAX_DIMS];
    current_shape(m, &nd, s);
    if (nd != want_nd)
        return dc_set_error(DC_ERR_INVALID, "%s: input has %d dimensions per sample, needs %s (e.g. input %s)", what, nd,
                            want_nd == 3 ? "(channels, height, width)" : "(channels, length)",
                            want_nd == 3 ? "1x28x28" : "1x100");
    return DC_OK;
}

/* What conv2d and conv1d layers share: kernel, parameters, defaults. */
static void set_conv_layer(dc_layer *l, int filters, int kh, int kw, const dc_conv_params *p, dc_activation act) {
    l->units = filters;
    l->kernel_h = kh;
    l->kernel_w = kw;
    l->conv = *p;
    l->activation = act;
    l->alpha = 0.01f;
    l->kernel_init = DC_INIT_GLOROT_UNIFORM; /* Keras' defaults */
    l->bias_init = DC_INIT_ZEROS;
    l->out_shape[0] = filters;
}

dc_status dc_model_add_conv2d(dc_model *m, int filters, int kh, int kw, const dc_conv_params *pp, int same, dc_activation act) {
    dc_status st = need_image(m, "conv2d", 3);
    if (st) return st;
    dc_conv_params p = pp ? *pp : (dc_conv_params){0};
    if (p.stride_h < 1) p.stride_h = 1;
    if (p.stride_w < 1) p.stride_w = 1;
    if (p.dil_h < 1) p.dil_h = 1;
    if (p.dil_w < 1) p.dil_w = 1;
    if (p.groups < 1) p.groups = 1;
    if (filters < 1 || filters > (1 << 20) || kh < 1 || kw < 1 || kh > 1024 || kw > 1024)
        return dc_set_error(DC_ERR_INVALID, "conv2d: filters %d and kernel %dx%d must be positive", filters, kh, kw);
    if ((unsigned)act > DC_ACT_LOG_SOFTMAX) return dc_set_error(DC_ERR_INVALID, "conv2d: unknown activation");
    dc_layer *l = push_layer(m, DC_LAYER_CONV2D, "conv2d");
    if (!l) return DC_ERR_INVALID;
    if (l->in_shape[0] % p.groups || filters % p.groups) {
        m->nlayers--;
        return dc_set_error(DC_ERR_INVALID, "conv2d: %lld input channels and %d filters must both divide by groups=%d",
                            (long long)l->in_shape[0], filters, p.groups);
    }
    if (same) {
        same_pad(l->in_shape[1], kh, p.stride_h, p.dil_h, &p.pad_top, &p.pad_bottom);
        same_pad(l->in_shape[2], kw, p.stride_w, p.dil_w, &p.pad_left, &p.pad_right);
    }
    int64_t oh = conv_out(l->in_shape[1], kh, p.stride_h, p.dil_h, p.pad_top, p.pad_bottom);
    int64_t ow = conv_out(l->in_shape[2], kw, p.stride_w, p.dil_w, p.pad_left, p.pad_right);
    if (oh < 1 || ow < 1) {
        m->nlayers--;
        return dc_set_error(DC_ERR_INVALID, "conv2d: a %dx%d kernel does not fit the %lldx%lld input", kh, kw,
                            (long long)l->in_shape[1], (long long)l->in_shape[2]);
    }
    set_conv_layer(l, filters, kh, kw, &p, act);
    l->out_shape[1] = oh;
    l->out_shape[2] = ow;
    return DC_OK;
}

dc_status dc_model_add_conv1d(dc_model *m, int filters, int k, int stride, int pad, int dilation, int groups, int same,
                              dc_activation act) {
    dc_status st = need_image(m, "conv1d", 2);
    if (st) return st;
    /* a Conv1D is a Conv2D over (C, 1, L): do the shape work there */
    int nd;
    int64_t s[DC_MAX_DIMS];
    current_shape(m, &nd, s);
    dc_conv_params p = {stride, 1, 0, 0, pad, pad, 1, dilation, groups};
    if (p.stride_h < 1) p.stride_h = 1;
    if (p.dil_w < 1) p.dil_w = 1;
    if (p.groups < 1) p.groups = 1;
    if (filters < 1 || k < 1 || s[0] % p.groups || filters % p.groups)
        return dc_set_error(DC_ERR_INVALID, "conv1d: filters %d, kernel %d, groups %d do not fit %lld channels", filters, k,
                            p.groups, (long long)s[0]);
    if (same) same_pad(s[1], k, p.stride_h, p.dil_w, &p.pad_left, &p.pad_right);
    int64_t ol = conv_out(s[1], k, p.stride_h, p.dil_w, p.pad_left, p.pad_right);
    if (ol < 1) return dc_set_error(DC_ERR_INVALID, "conv1d: a kernel of %d does not fit length %lld", k, (long long)s[1]);
    dc_layer *l = push_layer(m, DC_LAYER_CONV1D, "conv1d");
    if (!l) return DC_ERR_INVALID;
    p.stride_w = p.stride_h; /* stride runs along the length (W) */
    p.stride_h = 1;
    set_conv_layer(l, filters, 1, k, &p, act);
    l->out_shape[1] = ol;
    return DC_OK;
}

dc_status dc_model_add_pool2d(dc_model *m, int is_max, int kh, int kw, int sh, int sw, int ph, int pw) {
    const char *what = is_max ? "maxpool2d" : "avgpool2d";
    dc_status st = need_image(m, what, 3);
    if (st) return st;
    if (sh <= 0) sh = kh;
    if (sw <= 0) sw = kw;
    int nd;
    int64_t s[DC_MAX_DIMS];
    current_shape(m, &nd, s);
    if (kh < 1 || kw < 1 || ph < 0 || pw < 0 || 2 * ph > kh || 2 * pw > kw || s[1] + 2 * ph < kh || s[2] + 2 * pw < kw)
        return dc_set_error(DC_ERR_INVALID, "%s: window %dx%d (padding %d,%d) does not fit the %lldx%lld input", what, kh, kw,
                            ph, pw, (long long)s[1], (long long)s[2]);
    dc_layer *l = push_layer(m, is_max ? DC_LAYER_MAXPOOL2D : DC_LAYER_AVGPOOL2D, is_max ? "max_pooling2d" : "average_pooling2d");
    if (!l) return DC_ERR_INVALID;
    l->kernel_h = kh;
    l->kernel_w = kw;
    l->pool_stride_h = sh;
    l->pool_stride_w = sw;
    l->pool_pad_h = ph;
    l->pool_pad_w = pw;
    l->out_shape[1] = (s[1] + 2 * ph - kh) / sh + 1;
    l->out_shape[2] = (s[2] + 2 * pw - kw) / sw + 1;
    return DC_OK;
}

dc_status dc_model_add_maxpool1d(dc_model *m, int k, int stride, int pad) {
    dc_status st = need_image(m, "maxpool1d", 2);
    if (st) return st;
    int nd;
    int64_t s[DC_MAX_DIMS];
    current_shape(m, &nd, s);
    if (stride <= 0) stride = k;
    if (k < 1 || pad < 0 || 2 * pad > k || s[1] + 2 * pad < k)
        return dc_set_error(DC_ERR_INVALID, "maxpool1d: window %d (padding %d) does not fit length %lld", k, pad, (long long)s[1]);
    dc_layer *l = push_layer(m, DC_LAYER_MAXPOOL1D, "max_pooling1d");
    if (!l) return DC_ERR_INVALID;
    l->kernel_h = 1;
    l->kernel_w = k;
    l->pool_stride_h = 1;
    l->pool_stride_w = stride;
    l->pool_pad_w = pad;
    l->out_shape[1] = (s[1] + 2 * pad - k) / stride + 1;
    return DC_OK;
}

dc_status dc_model_add_global_pool2d(dc_model *m, int is_max) {
    dc_status st = need_image(m, is_max ? "global_max_pool2d" : "global_avg_pool2d", 3);
    if (st) return st;
    dc_layer *l = push_layer(m, is_max ? DC_LAYER_GLOBAL_MAXPOOL2D : DC_LAYER_GLOBAL_AVGPOOL2D,
                             is_max ? "global_max_pooling2d" : "global_average_pooling2d");
    if (!l) return DC_ERR_INVALID;
    l->out_ndim = 1;
    return DC_OK;
}

dc_status dc_model_add_batchnorm(dc_model *m, float momentum, float eps) {
    if (!(momentum >= 0.0f && momentum <= 1.0f) || !(eps > 0.0f))
        return dc_set_error(DC_ERR_INVALID, "batchnorm: momentum %g must be in [0, 1] and eps %g positive", momentum, eps);
    int nd;
    int64_t s[DC_MAX_DIMS];
    current_shape(m, &nd, s);
    if (nd != 1 && nd != 3)
        return dc_set_error(DC_ERR_INVALID, "batchnorm: needs (features) or (channels, height, width) per sample, not %d dimensions", nd);
    dc_layer *l = push_layer(m, DC_LAYER_BATCHNORM, "batch_normalization");
    if (!l) return DC_ERR_INVALID;
    l->momentum = momentum;
    l->eps = eps;
    l->units = (int)s[0];
    return DC_OK;
}

dc_status dc_model_add_spatial_dropout2d(dc_model *m, float rate) {
    dc_status st = need_image(m, "spatial_dropout2d", 3);
    if (st) return st;
    if (!(rate >= 0.0f && rate < 1.0f)) return dc_set_error(DC_ERR_INVALID, "spatial_dropout2d: rate %g must be in [0, 1)", rate);
    dc_layer *l = push_layer(m, DC_LAYER_SPATIAL_DROPOUT2D, "spatial_dropout2d");
    if (!l) return DC_ERR_INVALID;
    l->rate = rate;
    return DC_OK;
}

dc_status dc_model_add_zero_padding2d(dc_model *m, int top, int bottom, int left, int right) {
    dc_status st = need_image(m, "zero_padding2d", 3);
    if (st) return st;
    if (top < 0 || bottom < 0 || left < 0 || right < 0 || top > 4096 || bottom > 4096 || left > 4096 || right > 4096)
        return dc_set_error(DC_ERR_INVALID, "zero_padding2d: padding must be in 0..4096");
    dc_layer *l = push_layer(m, DC_LAYER_ZEROPAD2D, "zero_padding2d");
    if (!l) return DC_ERR_INVALID;
    l->pad[0] = top;
    l->pad[1] = bottom;
    l->pad[2] = left;
    l->pad[3] = right;
    l->out_shape[1] += top + bottom;
    l->out_shape[2] += left + right;
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

/* Kernel shape of a Dense/Conv layer: (out, in) or (OC, C/groups, KH, KW). */
static int kernel_shape(const dc_layer *l, int64_t *ks) {
    if (l->kind == DC_LAYER_DENSE) {
        ks[0] = l->units;
        ks[1] = l->in_shape[0];
        return 2;
    }
    ks[0] = l->units;
    ks[1] = l->in_shape[0] / l->conv.groups;
    ks[2] = l->kernel_h;
    ks[3] = l->kernel_w;
    return 4;
}

static int has_kernel(const dc_layer *l) {
    return l->kind == DC_LAYER_DENSE || l->kind == DC_LAYER_CONV2D || l->kind == DC_LAYER_CONV1D;
}

/* Trainable parameters of a layer. */
static int64_t layer_param_count(const dc_layer *l) {
    if (l->kind == DC_LAYER_BATCHNORM) return 2 * (int64_t)l->units;
    if (!has_kernel(l)) return 0;
    int64_t ks[4];
    return dc_shape_size(kernel_shape(l, ks), ks) + (l->use_bias ? l->units : 0);
}

/* A named view at off into the parameters (or, buffer = 1, the buffers). */
static dc_tensor *add_view(dc_model *m, const char *layer, const char *what, int64_t off, int nd, const int64_t *shape,
                           int buffer) {
    dc_named_param *p = &m->named[m->nnamed];
    snprintf(p->name, sizeof p->name, "%s.%s", layer, what);
    p->t = dc_tensor_wrap((buffer ? m->buffers : m->params) + off, nd, shape);
    if (!p->t) return NULL;
    p->buffer = buffer;
    if (!buffer) {
        p->t->grad = m->grads + off;
        p->t->requires_grad = 1;
    }
    m->nnamed++;
    return p->t;
}

dc_status dc_model_build(dc_model *m, uint64_t seed) {
    if (m->built) return dc_set_error(DC_ERR_INVALID, "model: already built");
    if (m->nlayers == 0) return dc_set_error(DC_ERR_INVALID, "model: has no layers");
    int64_t total = 0, nbuf = 0;
    for (int i = 0; i < m->nlayers; i++) {
        total += layer_param_count(&m->layers[i]);
        if (m->layers[i].kind == DC_LAYER_BATCHNORM) nbuf += 2 * (int64_t)m->layers[i].units;
    }
    size_t bytes = (size_t)(total ? total : 1) * sizeof(float), bbytes = (size_t)(nbuf ? nbuf : 1) * sizeof(float);
    m->params = aligned_alloc(64, (bytes + 63) / 64 * 64);
    m->grads = aligned_alloc(64, (bytes + 63) / 64 * 64);
    m->buffers = aligned_alloc(64, (bbytes + 63) / 64 * 64);
    m->named = calloc((size_t)m->nlayers * 4 + 1, sizeof *m->named);
    if (!m->params || !m->grads || !m->buffers || !m->named)
        return dc_set_error(DC_ERR_NOMEM, "model: out of memory for %lld parameters", (long long)total);
    memset(m->params, 0, bytes);
    memset(m->grads, 0, bytes);
    memset(m->buffers, 0, bbytes);
    m->nparams = total;
    m->nbuffers = nbuf;
    dc_rng rng;
    dc_rng_seed(&rng, seed);
    int64_t off = 0, boff = 0;
    /* trainable views first (their order is the flat buffer's), then buffers */
    for (int i = 0; i < m->nlayers; i++) {
        dc_layer *l = &m->layers[i];
        int64_t ks[4], n1[1] = {l->units};
        if (has_kernel(l)) {
            int kn = kernel_shape(l, ks);
            int64_t kcount = dc_shape_size(kn, ks), rf = kn == 4 ? ks[2] * ks[3] : 1;
            /* fans as Keras: receptive field times channels in / filters out */
            dc_init_fill(m->params + off, kcount, l->kernel_init, ks[1] * rf, ks[0] * rf, &rng);
            if (!(l->weight = add_view(m, l->name, "weight", off, kn, ks, 0))) return DC_ERR_NOMEM;
            off += kcount;
            if (l->use_bias) {
                dc_init_fill(m->params + off, l->units, l->bias_init, ks[1] * rf, ks[0] * rf, &rng);
                if (!(l->bias = add_view(m, l->name, "bias", off, 1, n1, 0))) return DC_ERR_NOMEM;
                off += l->units;
            }
        } else if (l->kind == DC_LAYER_BATCHNORM) { /* gamma = 1, beta = 0, as torch and Keras */
            for (int64_t k = 0; k < l->units; k++) m->params[off + k] = 1.0f;
            if (!(l->weight = add_view(m, l->name, "weight", off, 1, n1, 0))) return DC_ERR_NOMEM;
            if (!(l->bias = add_view(m, l->name, "bias", off + l->units, 1, n1, 0))) return DC_ERR_NOMEM;
            off += 2 * (int64_t)l->units;
        }
    }
    for (int i = 0; i < m->nlayers; i++) {
        dc_layer *l = &m->layers[i];
        if (l->kind != DC_LAYER_BATCHNORM) continue;
        int64_t n1[1] = {l->units};
        for (int64_t k = 0; k < l->units; k++) m->buffers[boff + l->units + k] = 1.0f; /* running var = 1 */
        if (!(l->running_mean = add_view(m, l->name, "running_mean", boff, 1, n1, 1))) return DC_ERR_NOMEM;
        if (!(l->running_var = add_view(m, l->name, "running_var", boff + l->units, 1, n1, 1))) return DC_ERR_NOMEM;
        boff += 2 * (int64_t)l->units;
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
        case DC_LAYER_CONV2D:
            h = dc_conv2d(g, h, l->weight, l->bias, &l->conv);
            pre = h;
            if (h) h = apply_activation(g, h, l->activation, l->alpha);
            break;
        case DC_LAYER_CONV1D: { /* (N, C, L) -> (N, C, 1, L) -> conv2d -> (N, OC, L') */
            int64_t s4[4] = {h->shape[0], h->shape[1], 1, h->shape[2]};
            h = dc_reshape(g, h, 4, s4);
            if (h) h = dc_conv2d(g, h, l->weight, l->bias, &l->conv);
            if (h) {
                int64_t s3[3] = {h->shape[0], h->shape[1], h->shape[3]};
                h = dc_reshape(g, h, 3, s3);
            }
            pre = h;
            if (h) h = apply_activation(g, h, l->activation, l->alpha);
            break;
        }
        case DC_LAYER_MAXPOOL2D:
        case DC_LAYER_AVGPOOL2D:
            h = (l->kind == DC_LAYER_MAXPOOL2D ? dc_maxpool2d : dc_avgpool2d)(g, h, l->kernel_h, l->kernel_w, l->pool_stride_h,
                                                                             l->pool_stride_w, l->pool_pad_h, l->pool_pad_w);
            break;
        case DC_LAYER_MAXPOOL1D: {
            int64_t s4[4] = {h->shape[0], h->shape[1], 1, h->shape[2]};
            h = dc_reshape(g, h, 4, s4);
            if (h) h = dc_maxpool2d(g, h, 1, l->kernel_w, 1, l->pool_stride_w, 0, l->pool_pad_w);
            if (h) {
                int64_t s3[3] = {h->shape[0], h->shape[1], h->shape[3]};
                h = dc_reshape(g, h, 3, s3);
            }
            break;
        }
        case DC_LAYER_GLOBAL_AVGPOOL2D:
        case DC_LAYER_GLOBAL_MAXPOOL2D: {
            int64_t s3[3] = {h->shape[0], h->shape[1], h->shape[2] * h->shape[3]};
            h = dc_reshape(g, h, 3, s3);
            if (h) h = l->kind == DC_LAYER_GLOBAL_AVGPOOL2D ? dc_mean(g, h, -1, 0) : dc_max(g, h, -1, 0);
            break;
        }
        case DC_LAYER_BATCHNORM:
            h = dc_batchnorm(g, h, l->weight, l->bias, l->running_mean->data, l->running_var->data, l->momentum, l->eps);
            break;
        case DC_LAYER_SPATIAL_DROPOUT2D: h = dc_dropout_channels(g, h, l->rate); break;
        case DC_LAYER_ZEROPAD2D: h = dc_pad2d(g, h, l->pad[0], l->pad[1], l->pad[2], l->pad[3]); break;
        }
    }
    if (logits) *logits = pre;
    return h;
}

/* The activation applied last, and so what the loss must undo. */
dc_activation dc_model_final_activation(const dc_model *m) {
    for (int i = m->nlayers - 1; i >= 0; i--) {
        const dc_layer *l = &m->layers[i];
        if (has_kernel(l) || l->kind == DC_LAYER_ACTIVATION) return l->activation;
        if (l->kind != DC_LAYER_DROPOUT && l->kind != DC_LAYER_SPATIAL_DROPOUT2D) return DC_ACT_NONE;
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
    fprintf(out, " %-33s %-20s %-10s\n", "Layer (type)", "Output Shape", "Param #");
    memset(line, '=', 65);
    fprintf(out, "%s\n", line);
    int64_t total = 0, frozen = 0;
    for (int i = 0; i < m->nlayers; i++) {
        const dc_layer *l = &m->layers[i];
        static const char *const kinds[] = {"Flatten", "Dense", "Dropout", "Activation", "Conv2D", "MaxPooling2D",
                                            "AveragePooling2D", "GlobalAveragePooling2D", "GlobalMaxPooling2D",
                                            "BatchNormalization", "SpatialDropout2D", "ZeroPadding2D", "Conv1D",
                                            "MaxPooling1D"};
        char name[96], shape[128];
        snprintf(name, sizeof name, "%s (%s)", l->name, kinds[l->kind]);
        shape_text(shape, sizeof shape, l->out_ndim, l->out_shape);
        int64_t p = layer_param_count(l), b = l->kind == DC_LAYER_BATCHNORM ? 2 * (int64_t)l->units : 0;
        total += p + b;
        frozen += b;
        fprintf(out, " %-33s %-20s %-10lld\n", name, shape, (long long)(p + b));
        if (i + 1 < m->nlayers) fprintf(out, "\n");
    }
    fprintf(out, "%s\n", line);
    fprintf(out, "Total params: %lld (%.2f KB)\nTrainable params: %lld\nNon-trainable params: %lld\n", (long long)total,
            (double)total * 4.0 / 1024.0, (long long)(total - frozen), (long long)frozen);
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

dc_status dc_model_set_class_names(dc_model *m, char *const *names, int n) {
    size_t len = 1;
    for (int i = 0; i < n; i++) len += 3 * strlen(names[i]) + 1;
    char *t = malloc(len), *w = t;
    if (!t) return dc_set_error(DC_ERR_NOMEM, "out of memory");
    for (int i = 0; i < n; i++) {
        if (i) *w++ = ',';
        for (const char *c = names[i]; *c; c++) { /* escape the separator */
            if (*c == ',' || *c == '%' || (unsigned char)*c < 0x20) w += sprintf(w, "%%%02X", (unsigned char)*c);
            else *w++ = *c;
        }
    }
    *w = 0;
    free(m->class_names);
    m->class_names = t;
    return DC_OK;
}

int dc_model_class_name(const dc_model *m, int k, char *buf, size_t n) {
    if (!m->class_names || k < 0) return 0;
    const char *p = m->class_names;
    for (int i = 0; i < k; i++) {
        p = strchr(p, ',');
        if (!p) return 0;
        p++;
    }
    size_t o = 0;
    for (; *p && *p != ',' && o + 1 < n; p++) {
        unsigned v;
        if (*p == '%' && p[1] && p[2] && sscanf(p + 1, "%2x", &v) == 1) {
            buf[o++] = (char)v;
            p += 2;
        } else buf[o++] = *p;
    }
    buf[o] = 0;
    return 1;
}
