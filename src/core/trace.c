/* trace.c — a traced forward pass run again on the reference kernels.
 *
 * The trace (graph.c records it, dc_graph_set_trace) lists every op of a
 * forward pass with its id, typed attributes, inputs and output. Here each
 * node is executed once more by the plain loops of src/kernels/ref.c and
 * the elementwise formulas below, into buffers of its own: tensors no node
 * produced (model inputs, parameters, constants such as a sampling layer's
 * noise) are read where they are. This is what an exporter does with a
 * trace, and it checks the fast kernels: tests/test_trace.c compares the
 * two for a model of every layer kind. */
#include "internal.h"
#include "../kernels/kernels.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const op_names[DC_OP_COUNT] = {
    [DC_OP_NONE] = "none", [DC_OP_ADD] = "add", [DC_OP_SUB] = "sub", [DC_OP_MUL] = "mul", [DC_OP_DIV] = "div",
    [DC_OP_ADD_SCALAR] = "add_scalar", [DC_OP_MUL_SCALAR] = "mul_scalar", [DC_OP_MATMUL] = "matmul", [DC_OP_LINEAR] = "linear",
    [DC_OP_EXP] = "exp", [DC_OP_LOG] = "log", [DC_OP_SQRT] = "sqrt", [DC_OP_POW] = "pow", [DC_OP_ABS] = "abs",
    [DC_OP_CLAMP] = "clamp", [DC_OP_RELU] = "relu", [DC_OP_LEAKY_RELU] = "leaky_relu", [DC_OP_SIGMOID] = "sigmoid",
    [DC_OP_TANH] = "tanh", [DC_OP_GELU] = "gelu", [DC_OP_GELU_TANH] = "gelu_tanh", [DC_OP_SOFTMAX] = "softmax",
    [DC_OP_LOG_SOFTMAX] = "log_softmax", [DC_OP_DROPOUT] = "dropout", [DC_OP_SUM] = "sum", [DC_OP_MEAN] = "mean",
    [DC_OP_MAX] = "max", [DC_OP_RESHAPE] = "reshape", [DC_OP_TRANSPOSE] = "transpose", [DC_OP_CONCAT] = "concat",
    [DC_OP_SLICE] = "slice", [DC_OP_CONV2D] = "conv2d", [DC_OP_MAXPOOL2D] = "maxpool2d", [DC_OP_AVGPOOL2D] = "avgpool2d",
    [DC_OP_PAD2D] = "pad2d", [DC_OP_DROPOUT_CHANNELS] = "dropout_channels", [DC_OP_BATCHNORM] = "batchnorm",
    [DC_OP_LAYER_NORM] = "layer_norm", [DC_OP_EMBEDDING] = "embedding", [DC_OP_RNN] = "rnn", [DC_OP_RNN_LAST] = "rnn_last",
    [DC_OP_TIME_POOL] = "time_pool", [DC_OP_ATTENTION] = "attention", [DC_OP_CAST] = "cast", [DC_OP_QUANTIZE] = "quantize",
    [DC_OP_DEQUANTIZE] = "dequantize", [DC_OP_QLINEAR] = "qlinear", [DC_OP_QEMBEDDING] = "qembedding", [DC_OP_QCONV2D] = "qconv2d", [DC_OP_QRNN] = "qrnn", [DC_OP_SPARSE_LINEAR] = "sparse_linear", [DC_OP_QLINEAR_STATIC] = "qlinear_static", [DC_OP_MSE_LOSS] = "mse_loss", [DC_OP_BCE_LOSS] = "bce_loss",
    [DC_OP_BCE_LOGITS_LOSS] = "bce_logits_loss", [DC_OP_CROSS_ENTROPY] = "cross_entropy"};

const char *dc_op_name(dc_op_id op) { return op >= 0 && op < DC_OP_COUNT && op_names[op] ? op_names[op] : "?"; }

/* ---- values: the buffer of each tensor the trace computed ------------------- */

typedef struct {
    const dc_tensor **key; /* tensor -> buffer, open addressing */
    void **val;
    size_t cap;
} value_map;

static size_t slot_of(const value_map *m, const dc_tensor *t) {
    size_t h = ((uintptr_t)t >> 6) * 0x9E3779B97F4A7C15ull & (m->cap - 1);
    while (m->key[h] && m->key[h] != t) h = (h + 1) & (m->cap - 1);
    return h;
}

/* The values of t: its buffer if a node made it, else its own data. */
static const void *value(const value_map *m, const dc_tensor *t) {
    if (!t) return NULL;
    size_t h = slot_of(m, t);
    return m->key[h] ? m->val[h] : t->raw;
}
static const float *fval(const value_map *m, const dc_tensor *t) { return value(m, t); }

/* A key mask (N, T) as bytes, 1 = real; NULL when there is none. */
static uint8_t *real_of(const value_map *m, const dc_tensor *mask) {
    if (!mask) return NULL;
    uint8_t *r = malloc((size_t)mask->size);
    const void *v = value(m, mask);
    for (int64_t i = 0; r && i < mask->size; i++)
        r[i] = mask->dtype == DC_I32 ? ((const int32_t *)v)[i] != 0 : ((const float *)v)[i] != 0.0f;
    return r;
}

/* outer x n x inner around axis a of t */
static void around(const dc_tensor *t, int a, int64_t *outer, int64_t *n, int64_t *inner) {
    *outer = *inner = 1;
    for (int d = 0; d < a; d++) *outer *= t->shape[d];
    for (int d = a + 1; d < t->ndim; d++) *inner *= t->shape[d];
    *n = t->shape[a];
}

static float unary(dc_op_id op, float x, const dc_op_attrs *a) {
    switch (op) {
    case DC_OP_EXP: return expf(x);
    case DC_OP_LOG: return logf(x);
    case DC_OP_SQRT: return sqrtf(x);
    case DC_OP_POW: return powf(x, a->f0);
    case DC_OP_ABS: return fabsf(x);
    case DC_OP_CLAMP: return x < a->f0 ? a->f0 : x > a->f1 ? a->f1 : x;
    case DC_OP_RELU: return x > 0.0f ? x : 0.0f;
    case DC_OP_LEAKY_RELU: return x > 0.0f ? x : a->f0 * x;
    case DC_OP_SIGMOID: return (float)(1.0 / (1.0 + exp(-(double)x)));
    case DC_OP_TANH: return (float)tanh((double)x);
    case DC_OP_GELU: return (float)(0.5 * x * (1.0 + erf(x / sqrt(2.0))));
    case DC_OP_GELU_TANH: return (float)(0.5 * x * (1.0 + tanh(sqrt(2.0 / M_PI) * (x + 0.044715 * (double)x * x * x))));
    case DC_OP_ADD_SCALAR: return x + a->f0;
    case DC_OP_MUL_SCALAR: return x * a->f0;
    default: return NAN;
    }
}

/* z = x op y with numpy broadcasting, by index arithmetic */
static void binary(dc_op_id op, const dc_tensor *X, const float *x, const dc_tensor *Y, const float *y, const dc_tensor *Z, float *z) {
    int64_t idx[DC_MAX_DIMS] = {0};
    for (int64_t i = 0; i < Z->size; i++) {
        int64_t rem = i, ox = 0, oy = 0, sx = 1, sy = 1;
        for (int d = Z->ndim - 1; d >= 0; d--) {
            idx[d] = rem % Z->shape[d];
            rem /= Z->shape[d];
        }
        for (int d = Z->ndim - 1; d >= 0; d--) {
            int dx = d - (Z->ndim - X->ndim), dy = d - (Z->ndim - Y->ndim);
            if (dx >= 0) {
                ox += (X->shape[dx] == 1 ? 0 : idx[d]) * sx;
                sx *= X->shape[dx];
            }
            if (dy >= 0) {
                oy += (Y->shape[dy] == 1 ? 0 : idx[d]) * sy;
                sy *= Y->shape[dy];
            }
        }
        const float a = x[ox], b = y[oy];
        z[i] = op == DC_OP_ADD ? a + b : op == DC_OP_SUB ? a - b : op == DC_OP_MUL ? a * b : a / b;
    }
}

/* qlinear on plain loops: the input quantized as the op does (per row, or
 * per block of 32 for 4-bit weights; static: with the fixed scale and zero
 * point, in[3] and in[4]), each product summed in double. */
static dc_status ref_qlinear(const value_map *m, const dc_trace_node *nd, float *z) {
    const dc_tensor *X = nd->in[0], *W = nd->in[1];
    const int q4 = W->dtype == DC_U8, st = nd->op == DC_OP_QLINEAR_STATIC ? 2 : 0;
    const int64_t N = W->shape[0], K = q4 ? 2 * W->shape[1] : W->shape[1], M = X->size / K, nb = K / DC_Q4_BLOCK;
    const float *b = nd->nin > 3 + st ? fval(m, nd->in[3 + st]) : NULL;
    const int zero = st ? (int)fval(m, nd->in[4])[0] - 128 : 0;
    int8_t *xq = malloc((size_t)(M * K));
    float *sx = malloc(sizeof(float) * (size_t)(M * (nb + 1))), *wr = malloc(sizeof(float) * (size_t)K);
    int32_t *xs = malloc(sizeof(int32_t) * (size_t)(M * K / 4 + M + 1));
    if (!xq || !sx || !wr || !xs) {
        free(xq), free(sx), free(wr), free(xs);
        return dc_set_error(DC_ERR_NOMEM, "trace: out of memory");
    }
    if (q4) dc_k_quantize_act_blocks(fval(m, X), M, K, xq, sx, xs);
    else if (st) dc_k_quantize_act_static(fval(m, X), M, K, fval(m, nd->in[3])[0], zero, xq, sx, xs);
    else dc_k_quantize_act_rows(fval(m, X), M, K, xq, sx, xs);
    for (int64_t n = 0; n < N; n++) {
        if (q4) dc_k_dequantize_q4_rows((const uint8_t *)value(m, W) + n * (K / 2), (const uint16_t *)value(m, nd->in[2]) + n * nb, 1, K, wr);
        else dc_k_dequantize_rows_i8((const int8_t *)value(m, W) + n * K, fval(m, nd->in[2]) + n, 1, K, wr);
        for (int64_t r = 0; r < M; r++) {
            double s = 0.0;
            for (int64_t k = 0; k < K; k++) s += (double)(xq[r * K + k] - zero) * (q4 ? sx[r * nb + k / DC_Q4_BLOCK] : sx[r]) * wr[k];
            z[r * N + n] = (float)s + (b ? b[n] : 0.0f);
        }
    }
    free(xq), free(sx), free(wr), free(xs);
    return DC_OK;
}

/* qconv2d on plain loops: each sample quantized with one scale as the op
 * does (dc_k_quantize_act_rows over the whole sample: the same values in
 * any order), every output position's patch gathered (zeros in the
 * padding) and summed in double. */
static dc_status ref_qconv2d(const value_map *m, const dc_trace_node *nd, float *z) {
    const dc_tensor *X = nd->in[0], *W = nd->in[1], *Z = nd->out;
    const dc_conv_params *c = &nd->a.conv;
    const int64_t N = X->shape[0], C = X->shape[1], H = X->shape[2], Wd = X->shape[3], OC = W->shape[0], KH = W->shape[2],
                  KW = W->shape[3], OH = Z->shape[2], OW = Z->shape[3], K = C * KH * KW, CHW = C * H * Wd;
    const float *x = fval(m, X), *sw = fval(m, nd->in[2]), *b = nd->nin > 3 ? fval(m, nd->in[3]) : NULL;
    const int8_t *w = value(m, W);
    int8_t *q = malloc((size_t)CHW), *row = malloc((size_t)K);
    float sx;
    int32_t xs;
    if (!row || !q) {
        free(row), free(q);
        return dc_set_error(DC_ERR_NOMEM, "trace: out of memory");
    }
    for (int64_t n = 0; n < N; n++) {
        dc_k_quantize_act_rows(x + n * CHW, 1, CHW, q, &sx, &xs);
        for (int64_t oy = 0; oy < OH; oy++)
            for (int64_t ox = 0; ox < OW; ox++) {
                for (int64_t ci = 0; ci < C; ci++)
                    for (int64_t ky = 0; ky < KH; ky++)
                        for (int64_t kx = 0; kx < KW; kx++) {
                            int64_t iy = oy * c->stride_h - c->pad_top + ky * c->dil_h, ix = ox * c->stride_w - c->pad_left + kx * c->dil_w;
                            row[(ci * KH + ky) * KW + kx] = iy >= 0 && iy < H && ix >= 0 && ix < Wd ? q[(ci * H + iy) * Wd + ix] : 0;
                        }
                for (int64_t o = 0; o < OC; o++) {
                    double s = 0.0;
                    for (int64_t k = 0; k < K; k++) s += (double)row[k] * w[o * K + k];
                    z[((n * OC + o) * OH + oy) * OW + ox] = (float)(s * sx * sw[o]) + (b ? b[o] : 0.0f);
                }
            }
    }
    free(row), free(q);
    return DC_OK;
}

/* Run one node into out (its buffer). Returns DC_OK or an error naming the op. */
static dc_status run_node(const value_map *m, const dc_trace_node *nd, void *outp) {
    const dc_op_attrs *a = &nd->a;
    const dc_tensor *Z = nd->out, *X = nd->in[0];
    float *z = outp;
    const float *x = X && X->dtype == DC_F32 ? fval(m, X) : NULL;
    switch (nd->op) {
    case DC_OP_ADD: case DC_OP_SUB: case DC_OP_MUL: case DC_OP_DIV:
        binary(nd->op, X, x, nd->in[1], fval(m, nd->in[1]), Z, z);
        return DC_OK;
    case DC_OP_EXP: case DC_OP_LOG: case DC_OP_SQRT: case DC_OP_POW: case DC_OP_ABS: case DC_OP_CLAMP: case DC_OP_RELU:
    case DC_OP_LEAKY_RELU: case DC_OP_SIGMOID: case DC_OP_TANH: case DC_OP_GELU: case DC_OP_GELU_TANH: case DC_OP_ADD_SCALAR:
    case DC_OP_MUL_SCALAR:
        for (int64_t i = 0; i < Z->size; i++) z[i] = unary(nd->op, x[i], a);
        return DC_OK;
    case DC_OP_RESHAPE:
        memcpy(z, x, sizeof(float) * (size_t)Z->size);
        return DC_OK;
    case DC_OP_LINEAR: { /* x (..., in) w (out, in) + b */
        const dc_tensor *W = nd->in[1];
        const int64_t in = W->shape[1], out = W->shape[0], rows = X->size / in;
        const float *b = nd->nin > 2 ? fval(m, nd->in[2]) : NULL;
        dc_ref_gemm(0, 1, rows, out, in, 1.0f, x, in, fval(m, W), in, 0.0f, z, out);
        for (int64_t r = 0; b && r < rows; r++)
            for (int64_t j = 0; j < out; j++) z[r * out + j] += b[j];
        return DC_OK;
    }
    case DC_OP_MATMUL: {
        const dc_tensor *Y = nd->in[1];
        const int64_t K = X->shape[X->ndim - 1], N = Y->shape[Y->ndim - 1], B = Y->ndim == 3 ? X->shape[0] : 1;
        const int64_t M = X->size / K / B;
        for (int64_t b = 0; b < B; b++)
            dc_ref_gemm(0, 0, M, N, K, 1.0f, x + b * M * K, K, fval(m, Y) + (Y->ndim == 3 ? b * K * N : 0), N, 0.0f, z + b * M * N, N);
        return DC_OK;
    }
    case DC_OP_SOFTMAX: case DC_OP_LOG_SOFTMAX: {
        int64_t o, n, in;
        around(X, a->axis, &o, &n, &in);
        dc_ref_softmax(x, o, n, in, nd->op == DC_OP_LOG_SOFTMAX, z);
        return DC_OK;
    }
    case DC_OP_SUM: case DC_OP_MEAN: case DC_OP_MAX: {
        int64_t o = 1, n = X->size, in = 1;
        if (a->axis >= 0) around(X, a->axis, &o, &n, &in);
        for (int64_t i = 0; i < o; i++)
            for (int64_t j = 0; j < in; j++) {
                double s = 0.0;
                float mx = -INFINITY;
                for (int64_t k = 0; k < n; k++) {
                    const float v = x[(i * n + k) * in + j];
                    s += v;
                    mx = v > mx ? v : mx;
                }
                z[i * in + j] = nd->op == DC_OP_MAX ? mx : nd->op == DC_OP_MEAN ? (float)(s / (double)n) : (float)s;
            }
        return DC_OK;
    }
    case DC_OP_TRANSPOSE: {
        int64_t idx[DC_MAX_DIMS];
        for (int64_t i = 0; i < X->size; i++) {
            int64_t rem = i, o = 0;
            for (int d = X->ndim - 1; d >= 0; d--) {
                idx[d] = rem % X->shape[d];
                rem /= X->shape[d];
            }
            int64_t t = idx[a->axis];
            idx[a->axis] = idx[a->axis2];
            idx[a->axis2] = t;
            for (int d = 0; d < Z->ndim; d++) o = o * Z->shape[d] + idx[d];
            z[o] = x[i];
        }
        return DC_OK;
    }
    case DC_OP_CONCAT: {
        int64_t o, n, in, off = 0;
        around(Z, a->axis, &o, &n, &in);
        for (int k = 0; k < nd->nin; k++) {
            const dc_tensor *S = nd->in[k];
            const float *s = fval(m, S);
            const int64_t w = S->shape[a->axis] * in;
            for (int64_t i = 0; i < o; i++) memcpy(z + i * n * in + off, s + i * w, sizeof(float) * (size_t)w);
            off += w;
        }
        return DC_OK;
    }
    case DC_OP_SLICE: {
        int64_t o, n, in;
        around(X, a->axis, &o, &n, &in);
        const int64_t w = (a->end - a->start) * in;
        for (int64_t i = 0; i < o; i++) memcpy(z + i * w, x + i * n * in + a->start * in, sizeof(float) * (size_t)w);
        return DC_OK;
    }
    case DC_OP_CONV2D: {
        const dc_tensor *W = nd->in[1];
        const dc_conv_params *p = &a->conv;
        dc_ref_conv2d(x, X->shape[0], X->shape[1], X->shape[2], X->shape[3], fval(m, W), W->shape[0], W->shape[2], W->shape[3],
                      nd->nin > 2 ? fval(m, nd->in[2]) : NULL, p->stride_h, p->stride_w, p->pad_top, p->pad_left, p->dil_h, p->dil_w,
                      p->groups, z, Z->shape[2], Z->shape[3]);
        return DC_OK;
    }
    case DC_OP_MAXPOOL2D: case DC_OP_AVGPOOL2D:
        dc_ref_pool2d(nd->op == DC_OP_MAXPOOL2D, x, X->shape[0] * X->shape[1], X->shape[2], X->shape[3], a->kh, a->kw, a->conv.stride_h,
                      a->conv.stride_w, a->conv.pad_top, a->conv.pad_left, z, Z->shape[2], Z->shape[3]);
        return DC_OK;
    case DC_OP_PAD2D: {
        const int64_t planes = X->shape[0] * X->shape[1], H = X->shape[2], W = X->shape[3], OH = Z->shape[2], OW = Z->shape[3];
        memset(z, 0, sizeof(float) * (size_t)Z->size);
        for (int64_t p = 0; p < planes; p++)
            for (int64_t i = 0; i < H; i++)
                memcpy(z + (p * OH + i + a->conv.pad_top) * OW + a->conv.pad_left, x + (p * H + i) * W, sizeof(float) * (size_t)W);
        return DC_OK;
    }
    case DC_OP_BATCHNORM:
        if (a->flag || nd->nin < 5) break; /* training mode: batch statistics, not a reference of inference */
        dc_ref_batchnorm(x, X->shape[0], X->shape[1], X->size / X->shape[0] / X->shape[1], fval(m, nd->in[3]), fval(m, nd->in[4]),
                         fval(m, nd->in[1]), fval(m, nd->in[2]), a->f0, z);
        return DC_OK;
    case DC_OP_LAYER_NORM: {
        const int64_t C = X->shape[X->ndim - 1];
        dc_ref_layer_norm(x, X->size / C, C, nd->nin > 1 ? fval(m, nd->in[1]) : NULL, nd->nin > 2 ? fval(m, nd->in[2]) : NULL, a->f0, z);
        return DC_OK;
    }
    case DC_OP_EMBEDDING: {
        const dc_tensor *W = X, *ids = nd->in[1];
        const int32_t *id = value(m, ids);
        const int64_t E = W->shape[1];
        for (int64_t i = 0; i < ids->size; i++) memcpy(z + i * E, fval(m, W) + (int64_t)id[i] * E, sizeof(float) * (size_t)E);
        return DC_OK;
    }
    case DC_OP_RNN: case DC_OP_QRNN: {
        const int64_t N = X->shape[0], T = X->shape[1], I = X->shape[2], H = Z->shape[2];
        const int q = nd->op == DC_OP_QRNN, mk = q ? 7 : 5;
        if (H > 1024 || I > 4096) break;
        uint8_t *real = real_of(m, nd->nin > mk ? nd->in[mk] : NULL);
        float *state = malloc(sizeof(float) * (size_t)(2 * H));
        if (state && q)
            dc_ref_qrnn(a->kind, x, N, T, I, H, NULL, NULL, value(m, nd->in[1]), fval(m, nd->in[5]), value(m, nd->in[2]),
                        fval(m, nd->in[6]), fval(m, nd->in[3]), fval(m, nd->in[4]), a->reverse, real, z, state);
        else if (state)
            dc_ref_rnn(a->kind, x, N, T, I, H, fval(m, nd->in[1]), fval(m, nd->in[2]), fval(m, nd->in[3]), fval(m, nd->in[4]), a->reverse,
                       real, z, state);
        free(real);
        free(state);
        return state ? DC_OK : dc_set_error(DC_ERR_NOMEM, "trace: out of memory");
    }
    case DC_OP_RNN_LAST: case DC_OP_TIME_POOL: {
        const int64_t N = X->shape[0], T = X->shape[1], F = X->shape[2];
        uint8_t *real = real_of(m, nd->nin > 1 ? nd->in[1] : NULL);
        for (int64_t n = 0; n < N; n++)
            for (int64_t f = 0; f < F; f++) {
                double s = 0.0;
                float best = -INFINITY, last = 0.0f;
                int64_t cnt = 0;
                for (int64_t k = 0; k < T; k++) {
                    const int64_t t = nd->op == DC_OP_RNN_LAST && a->reverse ? T - 1 - k : k;
                    if (real && !real[n * T + t]) continue;
                    const float v = x[(n * T + t) * F + f];
                    s += v, cnt++, last = v;
                    best = v > best ? v : best;
                }
                z[n * F + f] = nd->op == DC_OP_RNN_LAST ? last : !cnt ? 0.0f : a->flag ? best : (float)(s / (double)cnt);
            }
        free(real);
        return DC_OK;
    }
    case DC_OP_ATTENTION: {
        const int64_t N = X->shape[0], T = X->shape[1], C = X->shape[2] / 3;
        if (C / a->heads > 1024) break;
        uint8_t *real = real_of(m, nd->nin > 1 ? nd->in[1] : NULL);
        dc_ref_attention(x, N, T, C, a->heads, a->causal, real, z);
        free(real);
        return DC_OK;
    }
    case DC_OP_CAST: {
        const void *v = value(m, X);
        for (int64_t i = 0; i < Z->size; i++) {
            float f = X->dtype == DC_F16 ? dc_k_f16_to_f32(((const uint16_t *)v)[i])
                    : X->dtype == DC_BF16 ? dc_k_bf16_to_f32(((const uint16_t *)v)[i])
                    : X->dtype == DC_I32 ? (float)((const int32_t *)v)[i]
                    : X->dtype == DC_U8 ? (float)((const uint8_t *)v)[i]
                    : X->dtype == DC_I8 ? (float)((const int8_t *)v)[i] : ((const float *)v)[i];
            if (Z->dtype == DC_F32) z[i] = f;
            else ((uint16_t *)outp)[i] = Z->dtype == DC_F16 ? dc_k_f32_to_f16(f) : dc_k_f32_to_bf16(f);
        }
        return DC_OK;
    }
    case DC_OP_DEQUANTIZE: {
        const int64_t rows = X->ndim ? X->shape[0] : 1;
        if (X->dtype == DC_U8) dc_k_dequantize_q4_rows(value(m, X), value(m, nd->in[1]), rows, 2 * X->shape[1], z);
        else dc_k_dequantize_rows_i8(value(m, X), fval(m, nd->in[1]), rows, X->size / rows, z);
        return DC_OK;
    }
    case DC_OP_QEMBEDDING: { /* the rows of a quantized table */
        const dc_tensor *ids = nd->in[2];
        const int32_t *id = value(m, ids);
        const int64_t E = Z->shape[Z->ndim - 1];
        for (int64_t i = 0; i < ids->size; i++)
            if (X->dtype == DC_U8)
                dc_k_dequantize_q4_rows((const uint8_t *)value(m, X) + (int64_t)id[i] * (E / 2),
                                        (const uint16_t *)value(m, nd->in[1]) + (int64_t)id[i] * (E / DC_Q4_BLOCK), 1, E, z + i * E);
            else dc_k_dequantize_rows_i8((const int8_t *)value(m, X) + (int64_t)id[i] * E, fval(m, nd->in[1]) + id[i], 1, E, z + i * E);
        return DC_OK;
    }
    case DC_OP_QLINEAR:
    case DC_OP_QLINEAR_STATIC: return ref_qlinear(m, nd, z);
    case DC_OP_SPARSE_LINEAR: { /* each output a sum in double over its row's kept values */
        const dc_tensor *X = nd->in[0];
        const int32_t *s = value(m, nd->in[1]), *c = value(m, nd->in[2]);
        const float *x = fval(m, X), *v = fval(m, nd->in[3]), *b = nd->nin > 4 ? fval(m, nd->in[4]) : NULL;
        const int64_t N = nd->in[1]->size - 1, K = X->shape[X->ndim - 1], M = X->size / K;
        for (int64_t r = 0; r < M; r++)
            for (int64_t n = 0; n < N; n++) {
                double acc = b ? b[n] : 0.0;
                for (int32_t j = s[n]; j < s[n + 1]; j++) acc += (double)v[j] * x[r * K + c[j]];
                z[r * N + n] = (float)acc;
            }
        return DC_OK;
    }
    case DC_OP_QCONV2D: return ref_qconv2d(m, nd, z);
    default: break;
    }
    return dc_set_error(DC_ERR_INVALID, "trace: op %s has no reference kernel%s", dc_op_name(nd->op),
                        nd->op == DC_OP_BATCHNORM ? " in training mode" : "");
}

dc_status dc_trace_run_reference(const dc_graph *g, const dc_tensor *out, float *result) {
    const int n = dc_graph_trace_count(g);
    value_map m = {0};
    m.cap = 64;
    while (m.cap < 2 * (size_t)n + 2) m.cap *= 2;
    m.key = calloc(m.cap, sizeof *m.key);
    m.val = calloc(m.cap, sizeof *m.val);
    dc_status st = m.key && m.val ? DC_OK : dc_set_error(DC_ERR_NOMEM, "trace: out of memory");
    int found = 0;
    for (int i = 0; i < n && !st; i++) {
        const dc_trace_node *nd = dc_graph_trace_node(g, i);
        void *buf = malloc(dc_dtype_size(nd->out->dtype) * (size_t)(nd->out->size ? nd->out->size : 1));
        if (!buf) {
            st = dc_set_error(DC_ERR_NOMEM, "trace: out of memory");
            break;
        }
        st = run_node(&m, nd, buf);
        size_t h = slot_of(&m, nd->out);
        if (m.key[h]) free(m.val[h]); /* the same tensor made twice: the later one counts */
        m.key[h] = nd->out;
        m.val[h] = buf;
        found |= nd->out == out;
    }
    if (!st && !found) st = dc_set_error(DC_ERR_INVALID, "trace: the tensor asked for is not the output of any traced op");
    if (!st) memcpy(result, value(&m, out), sizeof(float) * (size_t)out->size);
    for (size_t i = 0; m.val && i < m.cap; i++) free(m.val[i]);
    free(m.key);
    free(m.val);
    return st;
}
