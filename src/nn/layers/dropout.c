/* dropout.c — Dropout and SpatialDropout2D (whole channels): inverted
 * dropout in training mode, identity in eval mode. */
#include "../layer.h"

typedef struct {
    float rate;
} dropout_cfg;

static const dropout_cfg defaults = {0.0f};
static const dc_layer_option options[] = {
    {"rate", DC_O_FLOAT, offsetof(dropout_cfg, rate), 0, 0.999, DC_O_POSITIONAL | DC_O_REQUIRED, "dropout 0.2"}, {NULL}};

static dc_status setup(dc_layer *l, int nin, const dc_shape *in) {
    (void)nin;
    l->out = *in;
    return DC_OK;
}

static dc_status setup_spatial(dc_layer *l, int nin, const dc_shape *in) {
    if (in->ndim != 3)
        return dc_set_error(DC_ERR_INVALID, "spatial_dropout2d: input has %d dimensions per sample, needs (channels, height, width) (e.g. input 1x28x28)", in->ndim);
    return setup(l, nin, in);
}

static dc_status forward(const dc_layer *l, dc_forward_ctx *f, const dc_value *in, dc_value *out) {
    out->y = dc_dropout(f->g, in[0].y, ((const dropout_cfg *)l->cfg)->rate);
    out->mask = in[0].mask; /* the steps stay where they were */
    return out->y ? DC_OK : DC_ERR_INVALID;
}

static dc_status forward_spatial(const dc_layer *l, dc_forward_ctx *f, const dc_value *in, dc_value *out) {
    out->y = dc_dropout_channels(f->g, in[0].y, ((const dropout_cfg *)l->cfg)->rate);
    return out->y ? DC_OK : DC_ERR_INVALID;
}

const dc_layer_type dc_layer_dropout = {
    .keyword = "dropout", .class_name = "Dropout", .base_name = "dropout",
    .cfg_size = sizeof(dropout_cfg), .defaults = &defaults, .options = options,
    .min_inputs = 1, .max_inputs = 1,
    .setup = setup, .forward = forward,
    .stepwise = 1,
};
const dc_layer_type dc_layer_spatial_dropout2d = {
    .keyword = "spatial_dropout2d", .class_name = "SpatialDropout2D", .base_name = "spatial_dropout2d",
    .cfg_size = sizeof(dropout_cfg), .defaults = &defaults, .options = options,
    .min_inputs = 1, .max_inputs = 1,
    .setup = setup_spatial, .forward = forward_spatial,
};
