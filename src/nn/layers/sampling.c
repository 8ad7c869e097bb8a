/* sampling.c — the reparameterised sampling of a variational autoencoder:
 * inputs=mu,logvar (each (latent)), z = mu + exp(logvar / 2) * eps with
 * eps ~ N(0, 1) drawn from the graph's generator, in training and in
 * evaluation (as the Keras and PyTorch VAE examples). The layer adds its
 * KL divergence from N(0, 1) to the loss, as a regularizer adds its
 * penalty:  kl = -1/2 sum(1 + logvar - mu^2 - exp(logvar)), averaged over
 * the batch and scaled by kl_weight. */
#include "../layer.h"

typedef struct {
    float kl_weight;
} sampling_cfg;

static const sampling_cfg defaults = {1.0f};
static const dc_layer_option options[] = {
    {"kl_weight", DC_O_FLOAT, offsetof(sampling_cfg, kl_weight), 0, 1e6, 0, NULL}, {NULL}};

static dc_status setup(dc_layer *l, int nin, const dc_shape *in) {
    (void)nin;
    if (in[0].ndim != in[1].ndim || dc_shape_size(in[0].ndim, in[0].d) != dc_shape_size(in[1].ndim, in[1].d) || in[0].ndim != 1)
        return dc_set_error(DC_ERR_INVALID, "sampling: inputs=MU,LOGVAR must both be vectors of the same size (e.g. dense 2 each)");
    l->out = in[0];
    return DC_OK;
}

static dc_status forward(const dc_layer *l, dc_forward_ctx *f, const dc_value *in, dc_value *out) {
    dc_graph *g = f->g;
    dc_tensor *mu = in[0].y, *logvar = in[1].y;
    dc_tensor *eps = dc_randn(g, mu->ndim, mu->shape);
    dc_tensor *sd = eps ? dc_exp(g, dc_mul_scalar(g, logvar, 0.5f)) : NULL;
    dc_tensor *z = sd ? dc_add(g, mu, dc_mul(g, sd, eps)) : NULL;
    if (!z) return DC_ERR_INVALID;
    out->y = z;
    float w = ((const sampling_cfg *)l->cfg)->kl_weight;
    if (w == 0.0f) return DC_OK;
    /* 1 + logvar - mu^2 - exp(logvar), summed, times -w / (2 N) */
    dc_tensor *t = dc_sub(g, dc_add_scalar(g, logvar, 1.0f), dc_mul(g, mu, mu));
    t = t ? dc_sub(g, t, dc_exp(g, logvar)) : NULL;
    t = t ? dc_sum(g, t, DC_ALL_AXES, 0) : NULL;
    t = t ? dc_mul_scalar(g, t, -0.5f * w / (float)mu->shape[0]) : NULL;
    if (!t) return DC_ERR_INVALID;
    return dc_forward_add_loss(f, l, "kl", t);
}

const dc_layer_type dc_layer_sampling = {
    .keyword = "sampling", .class_name = "Sampling", .base_name = "sampling",
    .cfg_size = sizeof(sampling_cfg), .defaults = &defaults, .options = options,
    .min_inputs = 2, .max_inputs = 2,
    .setup = setup, .forward = forward,
};
