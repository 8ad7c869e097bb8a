/* reshape.c — Reshape: the same values in another per-sample shape
 * (`reshape 1x28x28` turns a decoder's 784 outputs back into an image). */
#include "../layer.h"
#include <string.h>

typedef struct {
    dc_shape shape;
} reshape_cfg;

static const reshape_cfg defaults = {{0, {0}}};
static const dc_layer_option options[] = {
    {"shape", DC_O_SHAPE, offsetof(reshape_cfg, shape), 1, 1 << 30, DC_O_POSITIONAL | DC_O_REQUIRED, "reshape 1x28x28"}, {NULL}};

static dc_status setup(dc_layer *l, int nin, const dc_shape *in) {
    (void)nin;
    const dc_shape *s = &((const reshape_cfg *)l->cfg)->shape;
    if (dc_shape_size(s->ndim, s->d) != dc_shape_size(in->ndim, in->d)) {
        char a[128], b[128];
        dc_shape_text(a, sizeof a, in, 0);
        dc_shape_text(b, sizeof b, s, 0);
        return dc_set_error(DC_ERR_INVALID, "reshape: the input %s does not hold as many values as %s", a, b);
    }
    l->out = *s;
    return DC_OK;
}

static dc_status forward(const dc_layer *l, dc_forward_ctx *f, const dc_value *in, dc_value *out) {
    int64_t shape[DC_MAX_DIMS];
    shape[0] = in[0].y->shape[0];
    memcpy(shape + 1, l->out.d, sizeof(int64_t) * (size_t)l->out.ndim);
    out->y = dc_reshape(f->g, in[0].y, l->out.ndim + 1, shape);
    return out->y ? DC_OK : DC_ERR_INVALID;
}

const dc_layer_type dc_layer_reshape = {
    .keyword = "reshape", .class_name = "Reshape", .base_name = "reshape",
    .cfg_size = sizeof(reshape_cfg), .defaults = &defaults, .options = options,
    .min_inputs = 1, .max_inputs = 1,
    .setup = setup, .forward = forward,
};
