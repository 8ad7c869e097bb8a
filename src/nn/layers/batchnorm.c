/* batchnorm.c — BatchNormalization over the channel axis of (N, C) or
 * (N, C, H, W), with PyTorch's momentum and eps. gamma and beta are
 * trained ("weight", "bias"); the running statistics are buffers. */
#include "../layer.h"

typedef struct {
    float momentum, eps;
} batchnorm_cfg;

static const batchnorm_cfg defaults = {0.1f, 1e-5f};
static const dc_layer_option options[] = {
    {"momentum", DC_O_FLOAT, offsetof(batchnorm_cfg, momentum), 0, 1, 0, NULL},
    {"eps", DC_O_FLOAT, offsetof(batchnorm_cfg, eps), 1e-12, 1, 0, NULL},
    {NULL}};

static dc_status setup(dc_layer *l, int nin, const dc_shape *in) {
    (void)nin;
    if (in->ndim != 1 && in->ndim != 3)
        return dc_set_error(DC_ERR_INVALID, "batchnorm: needs (features) or (channels, height, width) per sample, not %d dimensions", in->ndim);
    int64_t c[1] = {in->d[0]};
    dc_layer_declare(l, "weight", 1, c, 0, DC_INIT_DEFAULT, 1.0f, 0, 0); /* gamma = 1, beta = 0, as torch and Keras */
    dc_layer_declare(l, "bias", 1, c, 0, DC_INIT_DEFAULT, 0.0f, 0, 0);
    dc_layer_declare(l, "running_mean", 1, c, 1, DC_INIT_DEFAULT, 0.0f, 0, 0);
    dc_layer_declare(l, "running_var", 1, c, 1, DC_INIT_DEFAULT, 1.0f, 0, 0);
    l->out = *in;
    return DC_OK;
}

static dc_status forward(const dc_layer *l, dc_forward_ctx *f, const dc_value *in, dc_value *out) {
    const batchnorm_cfg *c = l->cfg;
    out->y = dc_batchnorm(f->g, in[0].y, l->param[0], l->param[1], l->param[2]->data, l->param[3]->data, c->momentum, c->eps);
    /* the op takes the running statistics as arrays: the trace gets their tensors */
    dc_trace_input(f->g, out->y, 3, l->param[2]);
    dc_trace_input(f->g, out->y, 4, l->param[3]);
    return out->y ? DC_OK : DC_ERR_INVALID;
}

const dc_layer_type dc_layer_batchnorm = {
    .keyword = "batchnorm", .class_name = "BatchNormalization", .base_name = "batch_normalization",
    .cfg_size = sizeof(batchnorm_cfg), .defaults = &defaults, .options = options,
    .min_inputs = 1, .max_inputs = 1,
    .setup = setup, .forward = forward,
};
