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
    U_COUNT
};

static const char *const unary_names[U_COUNT] = {"exp", "log", "sqrt", "pow", "abs", "clamp",
                                                 "relu", "leaky_relu", "sigmoid", "tanh", "gelu"};

static inline float sigmoidf(float x) {
    /* two branches keep exp from overflowing for large |x| */
    if (x >= 0) return 1.0f / (1.0f + expf(-x));
    float e = expf(x);
    return e / (1.0f + e);
}

#define INV_SQRT2 0.70710678118654752440f
#define INV_SQRT_2PI 0.39894228040143267794f

static inline float unary_forward(int k, float x, const float *a) {
    switch (k) {
    case U_EXP: return expf(x);
    case U_LOG: return logf(x);
    case U_SQRT: return sqrtf(x);
    case U_POW: return powf(x, a[0]);
    case U_ABS: return fabsf(x);
    case U_CLAMP: return x < a[0] ? a[0] : (x > a[1] ? a[1] : x);
    case U_RELU: return x > 0.0f ? x : 0.0f;
    case U_LEAKY_RELU: return x > 0.0f ? x : a[0] * x;
    case U_SIGMOID: return sigmoidf(x);
    case U_TANH: return tanhf(x);
    default: return 0.5f * x * (1.0f + erff(x * INV_SQRT2)); /* U_GELU */
    }
}

static inline float unary_backward(int k, float x, float z, const float *a) {
    switch (k) {
    case U_EXP: return z;
    case U_LOG: return 1.0f / x;
    case U_SQRT: return 0.5f / z;
    case U_POW: return a[0] * powf(x, a[0] - 1.0f);
    case U_ABS: return (float)((x > 0.0f) - (x < 0.0f));
    case U_CLAMP: return (x >= a[0] && x <= a[1]) ? 1.0f : 0.0f;
    case U_RELU: return x > 0.0f ? 1.0f : 0.0f;
    case U_LEAKY_RELU: return x > 0.0f ? 1.0f : a[0];
    case U_SIGMOID: return z * (1.0f - z);
    case U_TANH: return 1.0f - z * z;
    default: /* U_GELU */
        return 0.5f * (1.0f + erff(x * INV_SQRT2)) + x * INV_SQRT_2PI * expf(-0.5f * x * x);
    }
}

static void unary_bwd(dc_graph *g, dc_tensor *t) {
    (void)g;
    int k = (int)t->iarg[0];
    const float *x = t->src[0]->data, *z = t->data, *gz = t->grad, *a = t->farg;
    float *gx = t->src[0]->grad;
#pragma omp parallel for if (t->size > DC_PAR_MIN) schedule(static)
    for (int64_t i = 0; i < t->size; i++) gx[i] += gz[i] * unary_backward(k, x[i], z[i], a);
}

static const dc_op_def unary_ops[U_COUNT] = {
    {"exp", unary_bwd},  {"log", unary_bwd},        {"sqrt", unary_bwd},    {"pow", unary_bwd},
    {"abs", unary_bwd},  {"clamp", unary_bwd},      {"relu", unary_bwd},    {"leaky_relu", unary_bwd},
    {"sigmoid", unary_bwd}, {"tanh", unary_bwd},    {"gelu", unary_bwd}};

static dc_tensor *unary(dc_graph *g, dc_tensor *x, int k, float a0, float a1) {
    if (!dc_check_f32(unary_names[k], x)) return NULL;
    dc_tensor *z = dc_op_output(g, &unary_ops[k], x->ndim, x->shape, &x, 1);
    if (!z) return NULL;
    z->iarg[0] = k;
    z->farg[0] = a0;
    z->farg[1] = a1;
    const float *xd = x->data, *a = z->farg;
    float *zd = z->data;
#pragma omp parallel for if (z->size > DC_PAR_MIN) schedule(static)
    for (int64_t i = 0; i < z->size; i++) zd[i] = unary_forward(k, xd[i], a);
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
    const float *m = t->aux, *gz = t->grad;
    float *gx = t->src[0]->grad;
    for (int64_t i = 0; i < t->size; i++) gx[i] += gz[i] * m[i];
}
static const dc_op_def op_dropout = {"dropout", dropout_backward};

dc_rng *dc_graph_rng(dc_graph *g);

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
    z->aux = m;
    z->farg[0] = p;
    float keep = 1.0f / (1.0f - p);
    /* serial: the mask must not depend on the thread count */
    for (int64_t i = 0; i < x->size; i++) {
        m[i] = dc_rng_uniform(rng) >= p ? keep : 0.0f;
        z->data[i] = x->data[i] * m[i];
    }
    return z;
}
