/* dense.c — Dense (torch.nn.Linear + an activation): z = act(x W^T + b).
 * W is (units, in) as PyTorch stores it; Keras' initializers and
 * kernel regularizers. */
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
    if (in->ndim != 1)
        return dc_set_error(DC_ERR_INVALID, "dense: input has %d dimensions per sample; add a flatten layer first", in->ndim);
    int64_t ws[2] = {c->units, in->d[0]};
    dc_layer_declare_kernel(l, &c->k, 2, ws, c->units, in->d[0], c->units);
    l->out.ndim = 1;
    l->out.d[0] = c->units;
    return DC_OK;
}

static dc_status forward(dc_layer *l, dc_forward_ctx *f, const dc_value *in, dc_value *out) {
    const dense_cfg *c = l->cfg;
    dc_tensor *z = dc_linear(f->g, in[0].y, l->param[0], c->k.use_bias ? l->param[1] : NULL);
    return dc_kernel_activate(f->g, &c->k, z, out);
}

const dc_layer_type dc_layer_dense = {"dense", "Dense", "dense", sizeof(dense_cfg), &defaults, options, 1, 1, setup, forward};
