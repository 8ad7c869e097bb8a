/* dense.c — Dense (torch.nn.Linear + an activation): z = act(x W^T + b).
 * W is (units, in) as PyTorch stores it; Keras' initializers and
 * kernel regularizers. On (steps, features) samples it applies at every
 * step, as Keras' Dense and torch's Linear do. */
#include "../layer.h"

typedef struct {
    int units;
    dc_kernel_opts k;
} dense_cfg;

static const dense_cfg defaults = {0, DC_KERNEL_DEFAULTS};

static const dc_layer_option options[] = {
    {"units", DC_O_INT, offsetof(dense_cfg, units), 1, 1 << 24, DC_O_POSITIONAL | DC_O_REQUIRED, "dense 128"},
    DC_KERNEL_OPTIONS(dense_cfg),
    {NULL}};

static dc_status setup(dc_layer *l, int nin, const dc_shape *in) {
    (void)nin;
    const dense_cfg *c = l->cfg;
    /* (features) or, as Keras, (steps, features): the same weights at every
     * step (a language model's vocabulary logits) */
    if (in->ndim != 1 && in->ndim != 2)
        return dc_set_error(DC_ERR_INVALID, "dense: input has %d dimensions per sample; add a flatten layer first", in->ndim);
    const int64_t F = in->d[in->ndim - 1];
    int64_t ws[2] = {c->units, F};
    dc_layer_declare_kernel(l, &c->k, 2, ws, c->units, F, c->units);
    l->out = *in;
    l->out.d[in->ndim - 1] = c->units;
    return DC_OK;
}
static dc_status forward(dc_layer *l, dc_forward_ctx *f, const dc_value *in, dc_value *out) {
    const dense_cfg *c = l->cfg;
    dc_tensor *x = in[0].y;
    if (x->ndim == 3) { /* every step: (N, T, F) as (N·T, F) rows */
        const int64_t N = x->shape[0], T = x->shape[1];
        dc_tensor *rows = dc_reshape(f->g, x, 2, (int64_t[]){N * T, x->shape[2]});
        dc_tensor *z = rows ? dc_linear(f->g, rows, l->param[0], c->k.use_bias ? l->param[1] : NULL) : NULL;
        dc_tensor *z3 = z ? dc_reshape(f->g, z, 3, (int64_t[]){N, T, c->units}) : NULL;
        if (!z3) return DC_ERR_INVALID;
        out->mask = in[0].mask;
        return dc_kernel_activate(f->g, &c->k, z3, out);
    }
    dc_tensor *z = dc_linear(f->g, x, l->param[0], c->k.use_bias ? l->param[1] : NULL);
    return dc_kernel_activate(f->g, &c->k, z, out);
}
const dc_layer_type dc_layer_dense = {"dense", "Dense", "dense", sizeof(dense_cfg), &defaults, options, 1, 1, setup, forward};
