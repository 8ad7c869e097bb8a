/* dense.c — Dense (torch.nn.Linear + an activation): z = act(x W^T + b).
 * W is (units, in) as PyTorch stores it; Keras' initializers and
 * kernel regularizers. On (steps, features) samples it applies at every
 * step, as Keras' Dense and torch's Linear do.
 * tie=NAME: no kernel of its own; W is the (units, in) table of the
 * embedding layer NAME (weight tying, as GPT-2's lm_head and wte): one
 * tensor, trained by both uses. */
#include "../layer.h"
#include "../model.h"
#include <string.h>

typedef struct {
    int units;
    dc_kernel_opts k;
    char tie[DC_O_NAME_MAX];
} dense_cfg;

static const dense_cfg defaults = {0, DC_KERNEL_DEFAULTS, ""};

static const dc_layer_option options[] = {
    {"units", DC_O_INT, offsetof(dense_cfg, units), 1, 1 << 24, DC_O_POSITIONAL | DC_O_REQUIRED, "dense 128"},
    DC_KERNEL_OPTIONS(dense_cfg),
    {"tie", DC_O_NAME, offsetof(dense_cfg, tie), 0, 0, 0, "dense 65 tie=embedding use_bias=false"},
    {NULL}};

/* The embedding layer whose table is the kernel (tie=), checked against
 * this layer's shape; NULL (error set) when there is none that fits. */
static const dc_layer *tied(const dc_layer *l, const dc_model *m) {
    const dense_cfg *c = l->cfg;
    const int k = dc_model_find_node(m, c->tie);
    const dc_layer *e = k >= 0 ? m->nodes[k] : NULL;
    if (!e || !e->type->reads_ids) { /* a lookup table: param 0 is (vocabulary, width) */
        dc_set_error(DC_ERR_INVALID, "%s: tie=%s names no embedding layer", l->name, c->tie);
        return NULL;
    }
    const dc_param_decl *d = &e->decl[0];
    const dc_shape *is = &m->nodes[l->in[0]]->out;
    const int64_t in = is->d[is->ndim - 1];
    if (d->shape[0] != c->units || d->cols != in) { /* cols: a 4-bit table's shape counts bytes */
        dc_set_error(DC_ERR_INVALID, "%s: tie=%s: its table is %lldx%lld, this layer needs %dx%lld", l->name, c->tie,
                     (long long)d->shape[0], (long long)d->cols, c->units, (long long)in);
        return NULL;
    }
    return e;
}

static dc_status link(const dc_layer *l, dc_model *m) {
    const dense_cfg *c = l->cfg;
    return !c->tie[0] || tied(l, m) ? DC_OK : DC_ERR_INVALID;
}

static dc_status setup(dc_layer *l, int nin, const dc_shape *in) {
    (void)nin;
    const dense_cfg *c = l->cfg;
    /* (features) or, as Keras, (steps, features): the same weights at every
     * step (a language model's vocabulary logits) */
    if (in->ndim != 1 && in->ndim != 2)
        return dc_set_error(DC_ERR_INVALID, "dense: input has %d dimensions per sample; add a flatten layer first", in->ndim);
    const int64_t F = in->d[in->ndim - 1];
    int64_t ws[2] = {c->units, F};
    if (c->tie[0]) { /* the kernel is the embedding's (link() checks it): only a bias, param 0 */
        if (c->k.use_bias) dc_layer_declare(l, "bias", 1, (int64_t[]){c->units}, 0, c->k.bias_init, 0.0f, F, c->units);
    } else {
        dc_layer_declare_kernel(l, &c->k, 2, ws, c->units, F, c->units);
    }
    l->out = *in;
    l->out.d[in->ndim - 1] = c->units;
    return DC_OK;
}
static dc_status forward(const dc_layer *l, dc_forward_ctx *f, const dc_value *in, dc_value *out) {
    const dense_cfg *c = l->cfg;
    const dc_layer *e = c->tie[0] ? tied(l, f->m) : NULL;
    if (c->tie[0] && !e) return DC_ERR_INVALID;
    dc_tensor *x = in[0].y, *b = c->k.use_bias ? l->param[c->tie[0] ? 0 : 1] : NULL;
    /* the kernel, or the tied embedding's table: float, or stored int8 or 4-bit */
    dc_tensor *z = dc_layer_linear(f, e ? e : l, 0, x, b);
    if (!z) return DC_ERR_INVALID;
    if (x->ndim == 3) out->mask = in[0].mask; /* every step: (N, T, F) rows */
    return dc_kernel_activate(f->g, &c->k, z, out);
}
const dc_layer_type dc_layer_dense = {
    .keyword = "dense", .class_name = "Dense", .base_name = "dense",
    .cfg_size = sizeof(dense_cfg), .defaults = &defaults, .options = options,
    .min_inputs = 1, .max_inputs = 1,
    .setup = setup, .forward = forward, .link = link,
    .stepwise = 1,
};
