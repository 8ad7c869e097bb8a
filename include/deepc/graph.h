/* deepc/graph.h — part 3 of the public API: Graphs and autograd.
 * Include <deepc.h>, which includes every part in order. */
#ifndef DEEPC_GRAPH_H
#define DEEPC_GRAPH_H
#include "tensor.h"

#ifdef __cplusplus
extern "C" {
#endif

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
/* Called by dc_backward as soon as a leaf's gradient is complete: every op
 * reading the leaf has run its backward (a leaf read by no op of the tape
 * is never named). What lets a data-parallel run start reducing the last
 * layers' gradients while the backward pass goes on to the first layers
 * (PyTorch DDP's buckets). fn runs on the thread calling dc_backward; NULL
 * removes it. Costs one pass over the tape per backward when set. */
void dc_graph_set_grad_hook(dc_graph *g, void (*fn)(const dc_tensor *leaf, void *user), void *user);
/* Bytes the arena holds (for memory accounting). */
size_t dc_graph_arena_bytes(const dc_graph *g);

/* The named parts of the last loss built on graph g, when it has more than
 * one (e.g. "reconstruction" and "kl"): count, then name and value of each.
 * They belong to the graph, not the model: a forward never writes the model. */
int dc_graph_num_loss_parts(const dc_graph *g);
const char *dc_graph_loss_part(const dc_graph *g, int i, double *value);
/* A batch's named tensors (a feed): a loss line's `target=NAME` reads the
 * tensor fed under NAME, labels if it is I32, values if F32 (dc_fit feeds
 * each named array of the dataset, dc_dataset_add_array). Fed tensors are
 * usually dc_input()s of the same graph; dc_graph_reset forgets the feed.
 * Feeding a name again replaces its tensor; at most DC_GRAPH_MAX_FEEDS
 * names, each under 32 characters. dc_graph_fed: NULL if not fed. */
#define DC_GRAPH_MAX_FEEDS 16
dc_status dc_graph_feed(dc_graph *g, const char *name, dc_tensor *t);
dc_tensor *dc_graph_fed(const dc_graph *g, const char *name);
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
    DC_OP_CAST, DC_OP_QUANTIZE, DC_OP_DEQUANTIZE, DC_OP_QLINEAR, DC_OP_QEMBEDDING, DC_OP_QCONV2D, DC_OP_QRNN, DC_OP_SPARSE_LINEAR, DC_OP_QLINEAR_STATIC,
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
/* The same for rows of different sequences (continuous batching): row n's
 * new positions start at rowpos[n] (NULL: all at pos0) and its keys live
 * in the caches' row rowslot[n] (NULL: row n) of `slots` rows. */
dc_tensor *dc_attention_cached_rows(dc_graph *g, dc_tensor *qkv, int heads, float *kcache, float *vcache, int64_t cap,
                                    int64_t pos0, const int64_t *rowpos, const int32_t *rowslot, int64_t slots);

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
/* Quantized weights (docs/FORMATS.md, "Quantized models"): int8 values
 * (out, in) with an F32 scale per row (out), or 4-bit q4_0: U8 (out, in/2),
 * two values a byte, with an F16 scale per block of 32 (out, in/32).
 * dc_quant_cols: the pair's in, or -1 when it is neither form.
 * dc_qlinear: x (..., in) W^T + b for inference, the input quantized on
 * the fly to int8 (per row; per block of 32 for 4-bit weights) and
 * multiplied as integers; a row holding NaN or inf gives NaN. No gradient.
 * dc_qembedding: the rows ids pick, as floats. dc_dequantize: the whole
 * weight as floats in the given shape. */
int64_t dc_quant_cols(const dc_tensor *w, const dc_tensor *scale);
dc_tensor *dc_qlinear(dc_graph *g, dc_tensor *x, dc_tensor *w, dc_tensor *scale, dc_tensor *b);
/* dc_qlinear with int8 weights and the input quantized with a scale and
 * a zero point fixed in advance (static quantization, from calibration
 * data; F32 scalars, the zero point an integer in [0, 255]): q =
 * round(x / act_scale) + act_zero_point clamped to [0, 255], standing for
 * act_scale x (q - act_zero_point), as PyTorch's quint8. At most 65536
 * inputs per output. */
dc_tensor *dc_qlinear_static(dc_graph *g, dc_tensor *x, dc_tensor *w, dc_tensor *scale, dc_tensor *act_scale, dc_tensor *act_zero_point,
                             dc_tensor *b);
dc_tensor *dc_qembedding(dc_graph *g, dc_tensor *w, dc_tensor *scale, dc_tensor *ids);
dc_tensor *dc_dequantize(dc_graph *g, dc_tensor *w, dc_tensor *scale, const int64_t *shape, int ndim);
/* conv2d with an int8 kernel (OC, C, KH, KW) and a scale per output
 * channel: each sample's input quantized to int8 with one scale (max|x| /
 * 127 over the sample; a NaN or inf in it gives NaN outputs) and the
 * patches multiplied as integers. Grouped or 4-bit kernels, and patches of
 * fewer than 64 values, run as floats. The kernel is copied into the
 * product's order on first use and the copy kept with w (freed with it):
 * change an int8 kernel's values only through a new tensor. */
dc_tensor *dc_qconv2d(dc_graph *g, dc_tensor *x, dc_tensor *w, dc_tensor *scale, dc_tensor *b, const dc_conv_params *p);
/* A pruned matrix W (N, K) for inference: its kept values as CSR (row
 * starts I32 (N + 1), column indices I32 and values F32 (kept)), made from
 * the dense one by dc_csr_from_dense (new tensors, the caller's to free).
 * dc_sparse_linear: x (..., K) W^T + b over the kept values only (columns
 * are trusted below K: make them with dc_csr_from_dense). No gradient. */
dc_status dc_csr_from_dense(const float *w, int64_t N, int64_t K, dc_tensor **start, dc_tensor **col, dc_tensor **val);
dc_tensor *dc_sparse_linear(dc_graph *g, dc_tensor *x, dc_tensor *start, dc_tensor *col, dc_tensor *val, dc_tensor *b);
/* dc_rnn with int8 w_ih and w_hh (a scale per row each: s_ih, s_hh): the
 * input projection and each step's recurrent product on integers, the
 * inputs and each step's state quantized per row. No gradient. */
dc_tensor *dc_qrnn(dc_graph *g, dc_rnn_kind kind, dc_tensor *x, dc_tensor *w_ih, dc_tensor *s_ih, dc_tensor *w_hh, dc_tensor *s_hh,
                   dc_tensor *b_ih, dc_tensor *b_hh, const dc_tensor *mask, int reverse);

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

#ifdef __cplusplus
}
#endif
#endif /* DEEPC_GRAPH_H */
