/* input.c — an input of the model: a node with no inputs whose value is
 * the batch the caller feeds. `input 28x28` in a description; a model may
 * have several (`input 16 name=aux`). */
#include "../layer.h"

typedef struct {
    dc_shape shape;
} input_cfg;

static const input_cfg defaults = {{0, {0}}};
static const dc_layer_option options[] = {
    {"shape", DC_O_SHAPE, offsetof(input_cfg, shape), 1, 1 << 30, DC_O_POSITIONAL | DC_O_REQUIRED, "input 28x28"}, {NULL}};

static dc_status setup(dc_layer *l, int nin, const dc_shape *in) {
    (void)nin;
    (void)in;
    l->out = ((const input_cfg *)l->cfg)->shape;
    return DC_OK;
}

static dc_status forward(const dc_layer *l, dc_forward_ctx *f, const dc_value *in, dc_value *out) {
    (void)l;
    (void)f;
    (void)in;
    (void)out;
    return dc_set_error(DC_ERR_INVALID, "input: its value is fed, not computed");
}

const dc_layer_type dc_layer_input = {
    .keyword = "input", .class_name = "InputLayer", .base_name = "input",
    .cfg_size = sizeof(input_cfg), .defaults = &defaults, .options = options,
    .min_inputs = 0, .max_inputs = 0,
    .setup = setup, .forward = forward,
    .stepwise = 1,
};
