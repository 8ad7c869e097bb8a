/* registry.c — every layer kind, one line each. The description parser,
 * the C API (dc_model_add) and the summary find kinds here. */
#include "../layer.h"
#include <string.h>

static const dc_layer_type *const kinds[] = {
    &dc_layer_input,
    &dc_layer_dense,
    &dc_layer_flatten,
    &dc_layer_reshape,
    &dc_layer_dropout,
    &dc_layer_activation,
    &dc_layer_conv2d,
    &dc_layer_conv1d,
    &dc_layer_maxpool2d,
    &dc_layer_avgpool2d,
    &dc_layer_maxpool1d,
    &dc_layer_global_avg_pool2d,
    &dc_layer_global_max_pool2d,
    &dc_layer_global_avg_pool1d,
    &dc_layer_global_max_pool1d,
    &dc_layer_batchnorm,
    &dc_layer_spatial_dropout2d,
    &dc_layer_zero_padding2d,
    &dc_layer_add,
    &dc_layer_multiply,
    &dc_layer_concat,
    &dc_layer_sampling,
    &dc_layer_embedding,
    &dc_layer_simple_rnn,
    &dc_layer_lstm,
    &dc_layer_gru,
    &dc_layer_layer_norm,
    &dc_layer_positional_embedding,
    &dc_layer_transformer_block,
    &dc_layer_transformer_encoder,
    &dc_layer_last_step,
};

int dc_layer_type_count(void) { return (int)(sizeof kinds / sizeof *kinds); }
const dc_layer_type *dc_layer_type_at(int i) { return i >= 0 && i < dc_layer_type_count() ? kinds[i] : NULL; }

const dc_layer_type *dc_layer_type_find(const char *keyword) {
    for (int i = 0; i < dc_layer_type_count(); i++)
        if (!strcmp(kinds[i]->keyword, keyword)) return kinds[i];
    return NULL;
}
