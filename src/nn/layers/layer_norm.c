/* layer_norm.c — LayerNormalization (torch.nn.LayerNorm over the last
 * axis): weight (ones) and bias (zeros) of the feature width, eps 1e-5.
 * Each step of a sequence is normalized by itself, so it runs stepwise. */
#include "../layer.h"

typedef struct {
    float eps;
} ln_cfg;

static const ln_cfg defaults = {1e-5f};
static const dc_layer_option options[] = {{"eps", DC_O_FLOAT, offsetof(ln_cfg, eps), 0, 1, 0, "layer_norm eps=1e-6"}, {NULL}};

static dc_status setup(dc_layer *l, int nin, const dc_shape *in) {
    (void)nin;
    if (in->ndim < 1) return dc_set_error(DC_ERR_INVALID, "layer_norm: input has no features");
    const int64_t C = in->d[in->ndim - 1];
    dc_layer_declare(l, "weight", 1, &C, 0, DC_INIT_ONES, 0.0f, C, C);
    dc_layer_declare(l, "bias", 1, &C, 0, DC_INIT_ZEROS, 0.0f, C, C);
    l->out = *in;
    return DC_OK;
}

static dc_status forward(const dc_layer *l, dc_forward_ctx *f, const dc_value *in, dc_value *out) {
    out->y = dc_layer_norm(f->g, in[0].y, l->param[0], l->param[1], ((const ln_cfg *)l->cfg)->eps);
    out->mask = in[0].mask;
    return out->y ? DC_OK : DC_ERR_INVALID;
}

const dc_layer_type dc_layer_layer_norm = {
    .keyword = "layer_norm", .class_name = "LayerNormalization", .base_name = "layer_norm",
    .cfg_size = sizeof(ln_cfg), .defaults = &defaults, .options = options,
    .min_inputs = 1, .max_inputs = 1,
    .setup = setup, .forward = forward,
    .stepwise = 1,
};
