/* global_pool2d.c — GlobalAveragePooling2D and GlobalMaxPooling2D:
 * (N, C, H, W) -> (N, C). */
#include "../layer.h"

static dc_status setup(dc_layer *l, int nin, const dc_shape *in) {
    (void)nin;
    if (in->ndim != 3)
        return dc_set_error(DC_ERR_INVALID, "%s: input has %d dimensions per sample, needs (channels, height, width) (e.g. input 1x28x28)",
                            l->type->keyword, in->ndim);
    l->out = (dc_shape){1, {in->d[0]}};
    return DC_OK;
}

static dc_status forward(const dc_layer *l, dc_forward_ctx *f, const dc_value *in, dc_value *out) {
    dc_tensor *h = in[0].y;
    int64_t s3[3] = {h->shape[0], h->shape[1], h->shape[2] * h->shape[3]};
    h = dc_reshape(f->g, h, 3, s3);
    if (h) h = l->type == &dc_layer_global_avg_pool2d ? dc_mean(f->g, h, -1, 0) : dc_max(f->g, h, -1, 0);
    out->y = h;
    return h ? DC_OK : DC_ERR_INVALID;
}

const dc_layer_type dc_layer_global_avg_pool2d = {
    .keyword = "global_avg_pool2d", .class_name = "GlobalAveragePooling2D", .base_name = "global_average_pooling2d",
    .min_inputs = 1, .max_inputs = 1,
    .setup = setup, .forward = forward,
};
const dc_layer_type dc_layer_global_max_pool2d = {
    .keyword = "global_max_pool2d", .class_name = "GlobalMaxPooling2D", .base_name = "global_max_pooling2d",
    .min_inputs = 1, .max_inputs = 1,
    .setup = setup, .forward = forward,
};
