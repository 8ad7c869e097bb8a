/* maxpool1d.c — MaxPooling1D over (N, C, L), run as a 1 x K MaxPool2D. */
#include "../layer.h"

typedef struct {
    int pool, stride;
    dc_padding padding;
} maxpool1d_cfg;

static const maxpool1d_cfg defaults = {2, 0, {0, 0, 0}};
static const dc_layer_option options[] = {
    {"pool", DC_O_INT, offsetof(maxpool1d_cfg, pool), 1, 1024, DC_O_POSITIONAL, NULL},
    {"stride", DC_O_INT, offsetof(maxpool1d_cfg, stride), 1, 1024, 0, NULL},
    {"padding", DC_O_PADDING, offsetof(maxpool1d_cfg, padding), 0, 1024, DC_O_NO_SAME, NULL},
    {NULL}};

static dc_status setup(dc_layer *l, int nin, const dc_shape *in) {
    (void)nin;
    const maxpool1d_cfg *c = l->cfg;
    if (in->ndim != 2)
        return dc_set_error(DC_ERR_INVALID, "maxpool1d: input has %d dimensions per sample, needs (channels, length) (e.g. input 1x100)", in->ndim);
    int k = c->pool, pad = c->padding.a, stride = c->stride > 0 ? c->stride : k;
    if (2 * pad > k || in->d[1] + 2 * pad < k)
        return dc_set_error(DC_ERR_INVALID, "maxpool1d: window %d (padding %d) does not fit length %lld", k, pad, (long long)in->d[1]);
    l->out = (dc_shape){2, {in->d[0], (in->d[1] + 2 * pad - k) / stride + 1}};
    return DC_OK;
}

static dc_status forward(const dc_layer *l, dc_forward_ctx *f, const dc_value *in, dc_value *out) {
    const maxpool1d_cfg *c = l->cfg;
    dc_tensor *h = in[0].y;
    int64_t s4[4] = {h->shape[0], h->shape[1], 1, h->shape[2]};
    h = dc_reshape(f->g, h, 4, s4);
    if (h) h = dc_maxpool2d(f->g, h, 1, c->pool, 1, c->stride > 0 ? c->stride : c->pool, 0, c->padding.a);
    if (h) {
        int64_t s3[3] = {h->shape[0], h->shape[1], h->shape[3]};
        h = dc_reshape(f->g, h, 3, s3);
    }
    out->y = h;
    return h ? DC_OK : DC_ERR_INVALID;
}

const dc_layer_type dc_layer_maxpool1d = {
    .keyword = "maxpool1d", .class_name = "MaxPooling1D", .base_name = "max_pooling1d",
    .cfg_size = sizeof(maxpool1d_cfg), .defaults = &defaults, .options = options,
    .min_inputs = 1, .max_inputs = 1,
    .setup = setup, .forward = forward,
};
