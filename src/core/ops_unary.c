/* ops_unary.c — elementwise math and activations. Each op has one line in
 * unary_forward and one in unary_backward; the formula is in the comment.
 * Backward gets x (the input) and z (the output) and returns dz/dx. */
#include "internal.h"
#include "../kernels/kernels.h"
#include <math.h>

enum {
    U_EXP,        /* z = e^x                 dz/dx = z                     */
    U_LOG,        /* z = ln x                dz/dx = 1/x                   */
    U_SQRT,       /* z = sqrt x              dz/dx = 1/(2z)                */
    U_POW,        /* z = x^p                 dz/dx = p x^(p-1)             */
    U_ABS,        /* z = |x|                 dz/dx = sign(x)               */
    U_CLAMP,      /* z = min(max(x,lo),hi)   dz/dx = [lo <= x <= hi]       */
    U_RELU,       /* z = max(x, 0)           dz/dx = [x > 0]               */
    U_LEAKY_RELU, /* z = x > 0 ? x : s x     dz/dx = x > 0 ? 1 : s         */
    U_SIGMOID,    /* z = 1/(1+e^-x)          dz/dx = z (1 - z)             */
    U_TANH,       /* z = tanh x              dz/dx = 1 - z^2               */
    U_GELU,       /* z = x Phi(x)            dz/dx = Phi(x) + x phi(x)     */
    U_GELU_TANH,  /* z = x (1 + tanh u) / 2, u = c (x + 0.044715 x^3), c = sqrt(2/pi)
                     dz/dx = (1 + t)/2 + x (1 - t^2) c (1 + 3 0.044715 x^2) / 2 */
    U_COUNT
};

static const char *const unary_names[U_COUNT] = {"exp", "log", "sqrt", "pow", "abs", "clamp",
                                                 "relu", "leaky_relu", "sigmoid", "tanh", "gelu", "gelu_tanh"};


#define INV_SQRT2 0.70710678118654752440f
#define INV_SQRT_2PI 0.39894228040143267794f
#define SQRT_2_OVER_PI 0.79788456080286535588f
#define GELU_C 0.044715f

/* One loop per op, the switch outside it, so each loop vectorizes. */
#define EACH(...) for (int64_t i = 0; i < n; i++) { __VA_ARGS__; } break

static void forward_range(int k, const float *x, float *z, int64_t n, float a0, float a1) {
    switch (k) {
    case U_EXP: EACH(z[i] = expf(x[i]));
    case U_LOG: EACH(z[i] = logf(x[i]));
    case U_SQRT: EACH(z[i] = sqrtf(x[i]));
    case U_POW: EACH(z[i] = powf(x[i], a0));
    case U_ABS: EACH(z[i] = fabsf(x[i]));
    case U_CLAMP: EACH(z[i] = x[i] < a0 ? a0 : (x[i] > a1 ? a1 : x[i]));
    case U_RELU: EACH(z[i] = x[i] > 0.0f ? x[i] : 0.0f);
    case U_LEAKY_RELU: EACH(z[i] = x[i] > 0.0f ? x[i] : a0 * x[i]);
    case U_SIGMOID: EACH(z[i] = dc_sigmoidf(x[i]));
    case U_TANH: EACH(z[i] = dc_tanhf(x[i]));
    case U_GELU: EACH(z[i] = 0.5f * x[i] * (1.0f + erff(x[i] * INV_SQRT2)));
    case U_GELU_TANH: EACH(z[i] = 0.5f * x[i] * (1.0f + dc_tanhf(SQRT_2_OVER_PI * (x[i] + GELU_C * x[i] * x[i] * x[i]))));
    }
}

/* gx += gz * dz/dx, from x (input) and z (output) */
static void backward_range(int k, const float *x, const float *z, const float *gz, float *gx, int64_t n, float a0,
                           float a1) {
    switch (k) {
    case U_EXP: EACH(gx[i] += gz[i] * z[i]);
    case U_LOG: EACH(gx[i] += gz[i] / x[i]);
    case U_SQRT: EACH(gx[i] += gz[i] * 0.5f / z[i]);
    case U_POW: EACH(gx[i] += gz[i] * a0 * powf(x[i], a0 - 1.0f));
    case U_ABS: EACH(gx[i] += gz[i] * (float)((x[i] > 0.0f) - (x[i] < 0.0f)));
    case U_CLAMP: EACH(gx[i] += (x[i] >= a0 && x[i] <= a1) ? gz[i] : 0.0f);
    case U_RELU: EACH(gx[i] += x[i] > 0.0f ? gz[i] : 0.0f);
    case U_LEAKY_RELU: EACH(gx[i] += x[i] > 0.0f ? gz[i] : a0 * gz[i]);
    case U_SIGMOID: EACH(gx[i] += gz[i] * z[i] * (1.0f - z[i]));
    case U_TANH: EACH(gx[i] += gz[i] * (1.0f - z[i] * z[i]));
    case U_GELU:
        EACH(gx[i] += gz[i] * (0.5f * (1.0f + erff(x[i] * INV_SQRT2)) + x[i] * INV_SQRT_2PI * expf(-0.5f * x[i] * x[i])));
    case U_GELU_TANH:
        EACH(float t = dc_tanhf(SQRT_2_OVER_PI * (x[i] + GELU_C * x[i] * x[i] * x[i]));
             gx[i] += gz[i] * (0.5f * (1.0f + t) +
                               0.5f * x[i] * (1.0f - t * t) * SQRT_2_OVER_PI * (1.0f + 3.0f * GELU_C * x[i] * x[i])));
    }
}
#undef EACH

/* Elementwise work split into fixed chunks: the result never depends on the
 * thread count, and small tensors stay on one thread. */
#define CHUNK 16384

static void unary_bwd(dc_graph *g, dc_tensor *t) {
    (void)g;
    const int k = (int)t->ag->iarg[0];
    const float *x = t->ag->src[0]->data, *z = t->data, *gz = t->grad;
    float *gx = t->ag->src[0]->grad;
    const int64_t n = t->size, nch = (n + CHUNK - 1) / CHUNK;
    DC_PARALLEL_FOR(nch > 1, c, nch, {
        int64_t s = c * CHUNK;
        backward_range(k, x + s, z + s, gz + s, gx + s, n - s < CHUNK ? n - s : CHUNK, t->ag->farg[0], t->ag->farg[1]);
    });
}

static const dc_op_def unary_ops[U_COUNT] = {
    {DC_OP_EXP, "exp", unary_bwd},  {DC_OP_LOG, "log", unary_bwd},        {DC_OP_SQRT, "sqrt", unary_bwd},    {DC_OP_POW, "pow", unary_bwd},
    {DC_OP_ABS, "abs", unary_bwd},  {DC_OP_CLAMP, "clamp", unary_bwd},      {DC_OP_RELU, "relu", unary_bwd},    {DC_OP_LEAKY_RELU, "leaky_relu", unary_bwd},
    {DC_OP_SIGMOID, "sigmoid", unary_bwd}, {DC_OP_TANH, "tanh", unary_bwd},    {DC_OP_GELU, "gelu", unary_bwd},
    {DC_OP_GELU_TANH, "gelu_tanh", unary_bwd}};

static dc_tensor *unary(dc_graph *g, dc_tensor *x, int k, float a0, float a1) {
    if (!dc_check_f32(unary_names[k], x)) return NULL;
    dc_tensor *z = dc_op_output(g, &unary_ops[k], x->ndim, x->shape, &x, 1);
    if (!z) return NULL;
    z->ag->iarg[0] = k;
    z->ag->farg[0] = a0;
    z->ag->farg[1] = a1;
    dc_trace_attrs(g, z, &(dc_op_attrs){.f0 = a0, .f1 = a1});
    const float *xd = x->data;
    float *zd = z->data;
    const int64_t n = z->size, nch = (n + CHUNK - 1) / CHUNK;
    DC_PARALLEL_FOR(nch > 1, c, nch, {
        int64_t s = c * CHUNK;
        forward_range(k, xd + s, zd + s, n - s < CHUNK ? n - s : CHUNK, a0, a1);
    });
    return z;
}

dc_tensor *dc_exp(dc_graph *g, dc_tensor *x) { return unary(g, x, U_EXP, 0, 0); }
dc_tensor *dc_log(dc_graph *g, dc_tensor *x) { return unary(g, x, U_LOG, 0, 0); }
dc_tensor *dc_sqrt(dc_graph *g, dc_tensor *x) { return unary(g, x, U_SQRT, 0, 0); }
dc_tensor *dc_pow(dc_graph *g, dc_tensor *x, float p) { return unary(g, x, U_POW, p, 0); }
dc_tensor *dc_abs(dc_graph *g, dc_tensor *x) { return unary(g, x, U_ABS, 0, 0); }
dc_tensor *dc_relu(dc_graph *g, dc_tensor *x) { return unary(g, x, U_RELU, 0, 0); }
dc_tensor *dc_leaky_relu(dc_graph *g, dc_tensor *x, float s) { return unary(g, x, U_LEAKY_RELU, s, 0); }
dc_tensor *dc_sigmoid(dc_graph *g, dc_tensor *x) { return unary(g, x, U_SIGMOID, 0, 0); }
dc_tensor *dc_tanh(dc_graph *g, dc_tensor *x) { return unary(g, x, U_TANH, 0, 0); }
dc_tensor *dc_gelu(dc_graph *g, dc_tensor *x) { return unary(g, x, U_GELU, 0, 0); }
dc_tensor *dc_gelu_tanh(dc_graph *g, dc_tensor *x) { return unary(g, x, U_GELU_TANH, 0, 0); }

dc_tensor *dc_clamp(dc_graph *g, dc_tensor *x, float lo, float hi) {
    if (!(lo <= hi)) {
        dc_set_error(DC_ERR_INVALID, "clamp: lo (%g) must not exceed hi (%g)", lo, hi);
        return NULL;
    }
    return unary(g, x, U_CLAMP, lo, hi);
}

/* ---- dropout: z = x * m, m in {0, 1/(1-p)}, drawn in training mode ------ */

static void dropout_backward(dc_graph *g, dc_tensor *t) {
    (void)g;
    const float *m = t->ag->aux, *gz = t->grad;
    float *gx = t->ag->src[0]->grad;
    for (int64_t i = 0; i < t->size; i++) gx[i] += gz[i] * m[i];
}
static const dc_op_def op_dropout = {DC_OP_DROPOUT, "dropout", dropout_backward};

dc_tensor *dc_dropout(dc_graph *g, dc_tensor *x, float p) {
    if (!dc_check_f32("dropout", x)) return NULL;
    if (!(p >= 0.0f && p < 1.0f)) {
        dc_set_error(DC_ERR_INVALID, "dropout: rate %g must be in [0, 1)", p);
        return NULL;
    }
    if (!dc_graph_training(g) || p == 0.0f) return x;
    dc_rng *rng = dc_graph_rng(g);
    if (!rng) {
        dc_set_error(DC_ERR_INVALID, "dropout: training mode needs a generator (dc_graph_set_rng)");
        return NULL;
    }
    dc_tensor *z = dc_op_output(g, &op_dropout, x->ndim, x->shape, &x, 1);
    if (!z) return NULL;
    float *m = dc_arena_alloc_raw(g, (size_t)x->size * sizeof(float));
    if (!m) return NULL;
    z->ag->aux = m;
    z->ag->farg[0] = p;
    dc_trace_attrs(g, z, &(dc_op_attrs){.f0 = p});
    float keep = 1.0f / (1.0f - p);
    /* serial: the mask must not depend on the thread count */
    for (int64_t i = 0; i < x->size; i++) {
        m[i] = dc_rng_uniform(rng) >= p ? keep : 0.0f;
        z->data[i] = x->data[i] * m[i];
    }
    return z;
}

/* Noise for sampling layers: no inputs, so nothing goes on the tape. */
dc_tensor *dc_randn(dc_graph *g, int ndim, const int64_t *shape) {
    dc_rng *rng = dc_graph_rng(g);
    if (!rng) {
        dc_set_error(DC_ERR_INVALID, "randn: needs a generator (dc_graph_set_rng)");
        return NULL;
    }
    dc_tensor *z = dc_input(g, DC_F32, ndim, shape);
    if (!z) return NULL;
    for (int64_t i = 0; i < z->size; i++) z->data[i] = dc_rng_normal(rng); /* serial: deterministic */
    return z;
}
