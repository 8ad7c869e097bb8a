/* flatten.c — Flatten: (N, d1, d2, ...) -> (N, d1*d2*...). */
#include "../layer.h"

static dc_status setup(dc_layer *l, int nin, const dc_shape *in) {
    (void)nin;
    int64_t n = dc_shape_size(in->ndim, in->d);
    if (n < 0) return dc_set_error(DC_ERR_INVALID, "flatten: the input is too large");
    l->out.ndim = 1;
    l->out.d[0] = n;
    return DC_OK;
}

static dc_status forward(const dc_layer *l, dc_forward_ctx *f, const dc_value *in, dc_value *out) {
    (void)l;
    out->y = dc_flatten(f->g, in[0].y);
    return out->y ? DC_OK : DC_ERR_INVALID;
}

const dc_layer_type dc_layer_flatten = {
    .keyword = "flatten", .class_name = "Flatten", .base_name = "flatten",
    .min_inputs = 1, .max_inputs = 1,
    .setup = setup, .forward = forward,
};
