/* init.c — weight initializers, drawing only from the caller's generator.
 * Formulas follow Keras/PyTorch (fan_in = inputs, fan_out = outputs). */
#include "deepc.h"
#include <math.h>

void dc_init_fill(float *w, int64_t n, dc_init kind, int64_t fan_in, int64_t fan_out, dc_rng *rng) {
    double fi = fan_in > 0 ? (double)fan_in : 1.0, fo = fan_out > 0 ? (double)fan_out : 1.0;
    double a = 0.0, sd = 0.0;
    switch (kind) {
    case DC_INIT_ZEROS: case DC_INIT_DEFAULT:
        for (int64_t i = 0; i < n; i++) w[i] = 0.0f;
        return;
    case DC_INIT_ONES:
        for (int64_t i = 0; i < n; i++) w[i] = 1.0f;
        return;
    case DC_INIT_GLOROT_UNIFORM: a = sqrt(6.0 / (fi + fo)); break;
    case DC_INIT_HE_UNIFORM: a = sqrt(6.0 / fi); break;
    case DC_INIT_LECUN_UNIFORM: a = sqrt(3.0 / fi); break;
    case DC_INIT_UNIFORM: a = 0.05; break;
    case DC_INIT_TORCH_RNN: a = 1.0 / sqrt(fi); break;
    case DC_INIT_GLOROT_NORMAL: sd = sqrt(2.0 / (fi + fo)); break;
    case DC_INIT_HE_NORMAL: sd = sqrt(2.0 / fi); break;
    case DC_INIT_NORMAL: sd = 0.02; break;
    }
    if (a > 0.0)
        for (int64_t i = 0; i < n; i++) w[i] = (float)(a * (2.0 * dc_rng_uniform(rng) - 1.0));
    else
        for (int64_t i = 0; i < n; i++) w[i] = (float)(sd * dc_rng_normal(rng));
}
