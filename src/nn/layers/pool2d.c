/* pool2d.c — MaxPooling2D and AveragePooling2D over (N, C, H, W): a window,
 * a stride (default: the window) and symmetric zero padding. */
#include "../layer.h"

typedef struct {
    int pool[2], stride[2];
    dc_padding padding;
} pool2d_cfg;

static const pool2d_cfg defaults = {{2, 2}, {0, 0}, {0, 0, 0}};
static const dc_layer_option options[] = {
    {"pool", DC_O_PAIR, offsetof(pool2d_cfg, pool), 1, 1024, DC_O_POSITIONAL, NULL},
    {"stride", DC_O_PAIR, offsetof(pool2d_cfg, stride), 1, 1024, 0, NULL},
    {"padding", DC_O_PADDING, offsetof(pool2d_cfg, padding), 0, 1024, DC_O_NO_SAME, NULL},
    {NULL}};

static dc_status setup(dc_layer *l, int nin, const dc_shape *in) {
    (void)nin;
    pool2d_cfg *c = l->cfg;
    const char *what = l->type->keyword;
    if (in->ndim != 3)
        return dc_set_error(DC_ERR_INVALID, "%s: input has %d dimensions per sample, needs (channels, height, width) (e.g. input 1x28x28)", what, in->ndim);
    int kh = c->pool[0], kw = c->pool[1], ph = c->padding.a, pw = c->padding.b;
    int sh = c->stride[0] > 0 ? c->stride[0] : kh, sw = c->stride[1] > 0 ? c->stride[1] : kw;
    if (2 * ph > kh || 2 * pw > kw || in->d[1] + 2 * ph < kh || in->d[2] + 2 * pw < kw)
        return dc_set_error(DC_ERR_INVALID, "%s: window %dx%d (padding %d,%d) does not fit the %lldx%lld input", what, kh, kw, ph, pw,
                            (long long)in->d[1], (long long)in->d[2]);
    l->out = (dc_shape){3, {in->d[0], (in->d[1] + 2 * ph - kh) / sh + 1, (in->d[2] + 2 * pw - kw) / sw + 1}};
    return DC_OK;
}

static dc_status forward(const dc_layer *l, dc_forward_ctx *f, const dc_value *in, dc_value *out) {
    const pool2d_cfg *c = l->cfg;
    int kh = c->pool[0], kw = c->pool[1];
    int sh = c->stride[0] > 0 ? c->stride[0] : kh, sw = c->stride[1] > 0 ? c->stride[1] : kw;
    out->y = (l->type == &dc_layer_maxpool2d ? dc_maxpool2d : dc_avgpool2d)(f->g, in[0].y, kh, kw, sh, sw, c->padding.a, c->padding.b);
    return out->y ? DC_OK : DC_ERR_INVALID;
}

const dc_layer_type dc_layer_maxpool2d = {
    .keyword = "maxpool2d", .class_name = "MaxPooling2D", .base_name = "max_pooling2d",
    .cfg_size = sizeof(pool2d_cfg), .defaults = &defaults, .options = options,
    .min_inputs = 1, .max_inputs = 1,
    .setup = setup, .forward = forward,
};
const dc_layer_type dc_layer_avgpool2d = {
    .keyword = "avgpool2d", .class_name = "AveragePooling2D", .base_name = "average_pooling2d",
    .cfg_size = sizeof(pool2d_cfg), .defaults = &defaults, .options = options,
    .min_inputs = 1, .max_inputs = 1,
    .setup = setup, .forward = forward,
};
