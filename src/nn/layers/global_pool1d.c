/* global_pool1d.c — GlobalAveragePooling1D and GlobalMaxPooling1D:
 * (N, T, F) -> (N, F) over the steps, skipping padded ones when the input
 * carries a mask (an embedding with mask_zero=true, a recurrent layer with
 * return_sequences), as Keras does; and last_step: the features of each
 * sequence's last real step (a GPT classifier reads the last token, which
 * has seen the whole text). */
#include "../layer.h"

static dc_status setup(dc_layer *l, int nin, const dc_shape *in) {
    (void)nin;
    if (in->ndim != 2)
        return dc_set_error(DC_ERR_INVALID, "%s: input has %d dimensions per sample, needs (steps, features) (e.g. after lstm return_sequences=true)",
                            l->type->keyword, in->ndim);
    l->out = (dc_shape){1, {in->d[1]}};
    return DC_OK;
}

static dc_status forward(const dc_layer *l, dc_forward_ctx *f, const dc_value *in, dc_value *out) {
    out->y = dc_time_pool(f->g, in[0].y, in[0].mask, l->type == &dc_layer_global_max_pool1d);
    return out->y ? DC_OK : DC_ERR_INVALID;
}

static dc_status forward_last(const dc_layer *l, dc_forward_ctx *f, const dc_value *in, dc_value *out) {
    (void)l;
    out->y = dc_rnn_last(f->g, in[0].y, in[0].mask, 0);
    return out->y ? DC_OK : DC_ERR_INVALID;
}

const dc_layer_type dc_layer_global_avg_pool1d = {
    .keyword = "global_avg_pool1d", .class_name = "GlobalAveragePooling1D", .base_name = "global_average_pooling1d",
    .min_inputs = 1, .max_inputs = 1,
    .setup = setup, .forward = forward,
};
const dc_layer_type dc_layer_global_max_pool1d = {
    .keyword = "global_max_pool1d", .class_name = "GlobalMaxPooling1D", .base_name = "global_max_pooling1d",
    .min_inputs = 1, .max_inputs = 1,
    .setup = setup, .forward = forward,
};
const dc_layer_type dc_layer_last_step = {
    .keyword = "last_step", .class_name = "LastStep", .base_name = "last_step",
    .min_inputs = 1, .max_inputs = 1,
    .setup = setup, .forward = forward_last,
};
