/* zero_padding2d.c — ZeroPadding2D: zeros around (H, W) of (N, C, H, W). */
#include "../layer.h"

typedef struct {
    int padding[2]; /* rows above and below, columns left and right */
} zero_padding2d_cfg;

static const zero_padding2d_cfg defaults = {{1, 1}};
static const dc_layer_option options[] = {
    {"padding", DC_O_PAIR, offsetof(zero_padding2d_cfg, padding), 0, 4096, DC_O_POSITIONAL, NULL}, {NULL}};

static dc_status setup(dc_layer *l, int nin, const dc_shape *in) {
    (void)nin;
    const zero_padding2d_cfg *c = l->cfg;
    if (in->ndim != 3)
        return dc_set_error(DC_ERR_INVALID, "zero_padding2d: input has %d dimensions per sample, needs (channels, height, width) (e.g. input 1x28x28)", in->ndim);
    l->out = (dc_shape){3, {in->d[0], in->d[1] + 2 * c->padding[0], in->d[2] + 2 * c->padding[1]}};
    return DC_OK;
}

static dc_status forward(const dc_layer *l, dc_forward_ctx *f, const dc_value *in, dc_value *out) {
    const zero_padding2d_cfg *c = l->cfg;
    out->y = dc_pad2d(f->g, in[0].y, c->padding[0], c->padding[0], c->padding[1], c->padding[1]);
    return out->y ? DC_OK : DC_ERR_INVALID;
}

const dc_layer_type dc_layer_zero_padding2d = {
    .keyword = "zero_padding2d", .class_name = "ZeroPadding2D", .base_name = "zero_padding2d",
    .cfg_size = sizeof(zero_padding2d_cfg), .defaults = &defaults, .options = options,
    .min_inputs = 1, .max_inputs = 1,
    .setup = setup, .forward = forward,
};
