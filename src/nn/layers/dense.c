/* dense.c — Dense (torch.nn.Linear + an activation): z = act(x W^T + b).
 * W is (units, in) as PyTorch stores it; Keras' initializers and
 * kernel regularizers. */
#include "../layer.h"

typedef struct {
    int units;
    dc_activation activation;
    int use_bias;
    dc_init kernel_init, bias_init;
    float alpha, l1, l2;
} dense_cfg;

static const dense_cfg defaults = {0, DC_ACT_NONE, 1, DC_INIT_GLOROT_UNIFORM, DC_INIT_ZEROS, 0.01f, 0.0f, 0.0f};

#define O(f) offsetof(dense_cfg, f)
static const dc_layer_option options[] = {
    {"units", DC_O_INT, O(units), 1, 1 << 24, DC_O_POSITIONAL | DC_O_REQUIRED, "dense 128"},
    {"activation", DC_O_ACT, O(activation), 0, 0, 0, NULL},
    {"use_bias", DC_O_BOOL, O(use_bias), 0, 1, 0, NULL},
    {"kernel_initializer", DC_O_INIT, O(kernel_init), 0, 0, 0, NULL},
    {"bias_initializer", DC_O_INIT, O(bias_init), 0, 0, 0, NULL},
    {"alpha", DC_O_FLOAT, O(alpha), 0, 1e6, 0, NULL},
    {"l1", DC_O_FLOAT, O(l1), 0, 1e6, 0, NULL},
    {"l2", DC_O_FLOAT, O(l2), 0, 1e6, 0, NULL},
    {NULL}};

static dc_status setup(dc_layer *l, int nin, const dc_shape *in) {
    (void)nin;
    const dense_cfg *c = l->cfg;
    if (in->ndim != 1)
        return dc_set_error(DC_ERR_INVALID, "dense: input has %d dimensions per sample; add a flatten layer first", in->ndim);
    int64_t ws[2] = {c->units, in->d[0]}, bs[1] = {c->units};
    int w = dc_layer_declare(l, "weight", 2, ws, 0, c->kernel_init, 0.0f, in->d[0], c->units);
    l->decl[w].l1 = c->l1;
    l->decl[w].l2 = c->l2;
    if (c->use_bias) dc_layer_declare(l, "bias", 1, bs, 0, c->bias_init, 0.0f, in->d[0], c->units);
    l->out.ndim = 1;
    l->out.d[0] = c->units;
    return DC_OK;
}

static dc_status forward(dc_layer *l, dc_forward_ctx *f, const dc_value *in, dc_value *out) {
    const dense_cfg *c = l->cfg;
    dc_tensor *z = dc_linear(f->g, in[0].y, l->param[0], c->use_bias ? l->param[1] : NULL);
    return dc_value_activate(f->g, z, c->activation, c->alpha, out);
}

const dc_layer_type dc_layer_dense = {"dense", "Dense", "dense", sizeof(dense_cfg), &defaults, options, 1, 1, setup, forward};
