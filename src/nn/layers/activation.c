/* activation.c — Activation: relu, sigmoid, softmax, ... as a layer of its
 * own. `relu` alone on a line means `activation relu`. */
#include "../layer.h"

typedef struct {
    dc_activation activation;
    float alpha;
} activation_cfg;

static const activation_cfg defaults = {DC_ACT_NONE, 0.01f};
static const dc_layer_option options[] = {
    {"activation", DC_O_ACT, offsetof(activation_cfg, activation), 0, 0, DC_O_POSITIONAL | DC_O_REQUIRED, "activation relu"},
    {"alpha", DC_O_FLOAT, offsetof(activation_cfg, alpha), 0, 1e6, 0, NULL},
    {NULL}};

static dc_status setup(dc_layer *l, int nin, const dc_shape *in) {
    (void)nin;
    l->out = *in;
    return DC_OK;
}

static dc_status forward(const dc_layer *l, dc_forward_ctx *f, const dc_value *in, dc_value *out) {
    const activation_cfg *c = l->cfg;
    out->mask = in[0].mask; /* the steps stay where they were */
    return dc_value_activate(f->g, in[0].y, c->activation, c->alpha, out);
}

const dc_layer_type dc_layer_activation = {
    .keyword = "activation", .class_name = "Activation", .base_name = "activation",
    .cfg_size = sizeof(activation_cfg), .defaults = &defaults, .options = options,
    .min_inputs = 1, .max_inputs = 1,
    .setup = setup, .forward = forward,
    .stepwise = 1,
};
