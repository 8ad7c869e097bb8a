/* layer.h — what a layer kind is, for the files under src/nn/layers/.
 *
 * A layer kind is one file exporting one dc_layer_type: its keyword in
 * descriptions, its options (with defaults and ranges: the description
 * parser, the C API and the description writer all read this table), how
 * it turns input shapes into an output shape and parameter declarations
 * (setup), and its forward pass built from ops (autograd does the rest).
 * src/nn/layers/registry.c lists every kind, one line each. Nothing else in
 * deepc switches on the kind of a layer.
 *
 * Adding a kind: write src/nn/layers/NAME.c (copy a similar one), add its
 * line to the registry, document it in docs/FORMATS.md, test it. */
#ifndef DC_LAYER_H
#define DC_LAYER_H
#include "../core/internal.h"
#include <stddef.h>

#define DC_LAYER_MAX_INPUTS 16 /* merge layers: inputs=a,b,... */
#define DC_LAYER_MAX_PARAMS 64 /* tensors one layer owns (a 2-layer bidirectional LSTM: 16) */

/* Per-sample shape (no batch dimension). */
typedef struct {
    int ndim;
    int64_t d[DC_MAX_DIMS];
} dc_shape;

/* The value flowing along one edge of the model graph. logits is the
 * tensor before a final softmax/sigmoid (act says which) so that a loss
 * can use the stable fused form; NULL/DC_ACT_NONE for every other layer. */
typedef struct {
    dc_tensor *y;
    dc_tensor *logits;
    dc_activation act;
    const dc_tensor *mask; /* (N, T), non-zero = a real step; NULL: none.
                              Made by embedding mask_zero=true, kept by
                              layers that keep the steps (recurrent ones
                              with return_sequences, dropout, activation). */
} dc_value;

/* Option types a layer can declare. */
typedef enum {
    DC_O_INT,     /* int                                             */
    DC_O_FLOAT,   /* float                                           */
    DC_O_BOOL,    /* int, true/false                                 */
    DC_O_ACT,     /* dc_activation, by name                          */
    DC_O_INIT,    /* dc_init, by name                                */
    DC_O_PAIR,    /* int[2]: "3" or "3x5"                            */
    DC_O_PADDING, /* dc_padding: valid, same, N or NxM               */
    DC_O_SHAPE,   /* dc_shape: "28x28" (extents in [lo, hi])         */
    DC_O_NAME     /* char[DC_O_NAME_MAX]: another layer's name        */
} dc_option_type;
#define DC_O_NAME_MAX 64

#define DC_O_POSITIONAL 1 /* may be written without key= (the first such) */
#define DC_O_REQUIRED 2   /* must be given                               */
#define DC_O_NO_SAME 4    /* DC_O_PADDING without 'same' (pools)         */

typedef struct {
    int same;  /* 1: Keras 'same' (computed from the input at setup) */
    int a, b;  /* explicit padding (valid = 0, 0)                    */
} dc_padding;

typedef struct {
    const char *key;       /* "units"                                     */
    dc_option_type type;
    size_t offset;         /* where in the layer's config struct          */
    double lo, hi;         /* range of numbers (pairs: each number)       */
    int flags;             /* DC_O_POSITIONAL, DC_O_REQUIRED, ...         */
    const char *example;   /* for "needs ..." messages: "dense 128"       */
} dc_layer_option;

/* A parameter (trainable, in the flat buffer) or buffer (non-trainable
 * state such as BatchNorm's running statistics) declared by setup. */
typedef struct {
    char what[40];         /* "weight" -> tensor "<layer>.weight"         */
    int ndim;
    int64_t shape[4];
    int buffer;            /* 1: outside the trainable buffer             */
    dc_init init;          /* trainable: how to initialise               */
    float fill;            /* DC_INIT_DEFAULT: every value = fill         */
    int64_t fan_in, fan_out;
    float l1, l2;          /* Keras kernel regularizer, added to the loss */
    dc_dtype dtype;        /* F32, or how it is stored: F16, BF16, I8, or
                              U8 for 4-bit (DC_WEIGHTS_Q4). Not F32: kept
                              outside the trained buffer (not trained, as a
                              frozen layer's); products read it through
                              dc_layer_linear, others dc_layer_weight    */
    int matrix;            /* a weight matrix (rows = outputs): weights=
                              stores it in another type (dc_layer_matrix) */
    int64_t cols;          /* its values per row (a 4-bit one's shape
                              holds half as many bytes)                  */
    int scale;             /* I8 or 4-bit: index in l->decl of its scale
                              (F32 per row, or F16 per 32 values), else -1 */
    int act_scale;         /* activations=static: index of the F32 scalar
                              its input is quantized with, else -1 */
    int act_zero;          /* and of its zero point (an F32 scalar holding
                              an integer in [0, 255]), else -1 */
} dc_param_decl;

/* weights=q4: 4-bit values packed two to a byte (a U8 tensor) */
#define DC_WEIGHTS_Q4 DC_U8

typedef struct dc_forward_ctx dc_forward_ctx;

/* Generation with a KV cache (src/nn/generate.c): the batch holds the new
 * steps of each sequence, the first at position pos0; attention layers keep
 * their keys and values in k[node] and v[node] ((slots, cap, C) floats
 * each, allocated by the cache for every node that asks: dc_kv_width).
 * Continuous batching (a server's streams, each at its own length): row n
 * of the batch starts at rowpos[n] and keeps its keys in the caches' row
 * rowslot[n]; NULL: every row at pos0, in the cache row of its own index. */
typedef struct {
    int64_t pos0, cap, slots;
    float **k, **v; /* per node index; NULL where the node keeps nothing */
    const int64_t *rowpos;
    const int32_t *rowslot;
} dc_kv_state;

/* What every layer with a kernel takes (dense, conv2d, conv1d), kept in
 * its config struct as a member named k: the activation fused after it,
 * the bias, the initializers and Keras' kernel regularizers. */
typedef struct {
    dc_activation activation;
    int use_bias;
    dc_init kernel_init, bias_init;
    float alpha, l1, l2;
} dc_kernel_opts;
#define DC_KERNEL_DEFAULTS {DC_ACT_NONE, 1, DC_INIT_GLOROT_UNIFORM, DC_INIT_ZEROS, 0.01f, 0.0f, 0.0f}
/* Their rows in the option table of config struct T. */
#define DC_KERNEL_OPTIONS(T)                                                         \
    {"activation", DC_O_ACT, offsetof(T, k.activation), 0, 0, 0, NULL},              \
    {"use_bias", DC_O_BOOL, offsetof(T, k.use_bias), 0, 1, 0, NULL},                 \
    {"kernel_initializer", DC_O_INIT, offsetof(T, k.kernel_init), 0, 0, 0, NULL},    \
    {"bias_initializer", DC_O_INIT, offsetof(T, k.bias_init), 0, 0, 0, NULL},        \
    {"alpha", DC_O_FLOAT, offsetof(T, k.alpha), 0, 1e6, 0, NULL},                    \
    {"l1", DC_O_FLOAT, offsetof(T, k.l1), 0, 1e6, 0, NULL},                          \
    {"l2", DC_O_FLOAT, offsetof(T, k.l2), 0, 1e6, 0, NULL}

typedef struct dc_layer_type {
    const char *keyword;      /* "dense": the description keyword        */
    const char *class_name;   /* "Dense": the summary's type column      */
    const char *base_name;    /* default names: dense, dense_1, ...      */
    size_t cfg_size;          /* the layer's config struct               */
    const void *defaults;     /* its default values                      */
    const dc_layer_option *options; /* terminated by {NULL}              */
    int min_inputs, max_inputs;
    /* Check the config against the input shapes, set l->out and declare
     * parameters (dc_layer_declare). Errors name the keyword, no place. */
    dc_status (*setup)(dc_layer *l, int nin, const dc_shape *in);
    /* Forward the batch: in[nin] -> out, built from ops on f->g. */
    dc_status (*forward)(const dc_layer *l, dc_forward_ctx *f, const dc_value *in, dc_value *out);
    /* Optional: check references to other layers (a dense layer's tie=)
     * once every node exists, when the model is built. */
    dc_status (*link)(const dc_layer *l, dc_model *m);
    /* 1: the layer can run on the new steps of a sequence alone during
     * generation (f->kv set): it treats each step by itself (dense, layer
     * norm), or keeps what it needs of the earlier steps in the cache
     * (attention) or knows their position (positional embedding). A model
     * made only of such layers generates with a KV cache; any other is run
     * again over the whole window for every token. 2: stepwise, and keeps
     * keys and values of its input's width in the cache (attention). */
    int stepwise;
    /* 1: its input is integer ids (an embedding): a model input that feeds
     * it takes int32 values (sessions, the C API), not floats. */
    int reads_ids;
    /* A repeated block as other frameworks' checkpoints name it: "h" for
     * GPT-2's h.0.attn.c_attn.weight, ... (io/gpt2.c numbers the blocks);
     * NULL: tensors are named after the layer. */
    const char *block_name;
} dc_layer_type;

struct dc_layer {
    const dc_layer_type *type;
    char name[64];             /* unique in the model                     */
    int line;                  /* line in the description (0: built in C) */
    int named;                 /* the name was given (name=), not made up */
    int frozen;                /* trainable=false or dc_model_freeze: its
                                  parameters sit with the buffers, untrained */
    dc_dtype wdtype;           /* weights=f16|bf16|i8|q4: how its weight
                                  matrices are stored (dc_layer_matrix);
                                  F32 default                              */
    int act_static;            /* activations=static: int8 products take
                                  their input's scale from calibration     */
    void *cfg;                 /* type->cfg_size bytes of options         */
    int nin;                   /* inputs: earlier nodes of the model      */
    int in[DC_LAYER_MAX_INPUTS];
    dc_shape out;              /* per-sample output shape                 */
    int nparam, cap_param;     /* declared tensors, and their views       */
    int decl_failed;           /* a declaration ran out of room or memory */
    dc_param_decl *decl;
    dc_tensor **param;
};

/* CSR copies of a pruned model's matrices, made by a session where the
 * sparse product pays (src/nn/sparse_set.c): node[i][k] for parameter k of
 * node i (node[i] NULL, or .val NULL: dense). */
typedef struct {
    dc_tensor *start, *col, *val;
} dc_csr_weight;
typedef struct {
    int nnodes;
    dc_csr_weight **node;
} dc_sparse_set;

/* What a forward pass carries besides the values: the graph (which also
 * keeps the loss terms layers add, a VAE's KL divergence) and the model,
 * read-only: any number of forwards may run on one model at once. */
struct dc_forward_ctx {
    dc_graph *g;
    const dc_model *m;
    const dc_kv_state *kv;         /* generation with a cache, or NULL */
    const dc_sparse_set *sparse;   /* a session's CSR matrices, or NULL */
    int node;                      /* the layer being run */
    float *act_range;              /* calibration: per node, DC_LAYER_MAX_PARAMS
                                      slots of two floats, the smallest and
                                      largest input of each product (from 0:
                                      the range holds 0; dc_layer_linear),
                                      or NULL */
};

/* Declare a parameter (buffer = 0) or buffer of layer l; returns its index
 * in l->param (valid after the model is built). */
int dc_layer_declare(dc_layer *l, const char *what, int ndim, const int64_t *shape, int buffer, dc_init init,
                     float fill, int64_t fan_in, int64_t fan_out);
/* Declare a kernel of shape wshape (with l1/l2 from k) and, if k says so,
 * a bias of nout values: params 0 and 1. */
void dc_layer_declare_kernel(dc_layer *l, const dc_kernel_opts *k, int nd, const int64_t *wshape, int64_t nout, int64_t fan_in,
                             int64_t fan_out);
/* Declaration k is a weight matrix (its first dimension the outputs):
 * weights= may store it as F16, BF16, I8 or 4-bit. */
void dc_layer_matrix(dc_layer *l, int k);
/* After setup: the matrices stored as l->wdtype says, each I8 or 4-bit one
 * with a scale declared after every other tensor ("weight_scale"), so the
 * layer's own indices stay. An error when the layer has no matrix, or a
 * 4-bit one is not 2-D with a multiple of 32 columns. */
dc_status dc_layer_store_weights(dc_layer *l);
/* The values a declaration stands for (a 4-bit matrix's bytes hold two). */
int64_t dc_param_values(const dc_param_decl *d);
/* Parameter k of l (a built model's) as dc_param_values floats into out:
 * F32 copied, F16 and BF16 converted, int8 and 4-bit dequantized. */
void dc_layer_param_floats(const dc_layer *l, int k, float *out);
/* "f32", "f16", "bf16", "i8" or "q4" */
const char *dc_weights_name(dc_dtype t);
/* Parameter k of l as F32 for the forward pass: itself, or its F16, BF16,
 * I8 or 4-bit values converted into f's arena. */
dc_tensor *dc_layer_weight(dc_forward_ctx *f, const dc_layer *l, int k);
/* x (..., in) W^T + b with W parameter k of l: quantized products on an I8
 * or 4-bit matrix (dc_qlinear), the kept values alone where the run has a
 * CSR copy of it (dc_sparse_linear: a session of a pruned model), else
 * dc_linear. */
dc_tensor *dc_layer_linear(dc_forward_ctx *f, const dc_layer *l, int k, dc_tensor *x, dc_tensor *b);
/* conv2d of x with parameter k of l as its kernel: int8 products on an I8
 * kernel (dc_qconv2d), else dc_conv2d. */
dc_tensor *dc_layer_conv(dc_forward_ctx *f, const dc_layer *l, int k, dc_tensor *x, dc_tensor *b, const dc_conv_params *p);
/* out = k's activation of the kernel layer's result z (NULL: an error). */
dc_status dc_kernel_activate(dc_graph *g, const dc_kernel_opts *k, dc_tensor *z, dc_value *out);
/* Add a named scalar term (already averaged over the batch) to the loss. */
dc_status dc_forward_add_loss(dc_forward_ctx *f, const dc_layer *l, const char *part, dc_tensor *term);

/* Apply an activation (identity for DC_ACT_NONE). */
dc_tensor *dc_apply_activation(dc_graph *g, dc_tensor *x, dc_activation a, float alpha);
/* out = act(pre), keeping pre as the logits when act is softmax/sigmoid. */
dc_status dc_value_activate(dc_graph *g, dc_tensor *pre, dc_activation a, float alpha, dc_value *out);
/* Keras 'same' padding of one axis: before/after so that out = ceil(in/stride). */
void dc_same_padding(int64_t in, int k, int stride, int dil, int *before, int *after);
/* Shape text "(None, 26, 26, 32)"-style for summaries; "(C, H, W)" for errors. */
void dc_shape_text(char *buf, size_t n, const dc_shape *s, int with_batch);

/* The registry (src/nn/layers/registry.c). */
const dc_layer_type *dc_layer_type_find(const char *keyword);
int dc_layer_type_count(void);
const dc_layer_type *dc_layer_type_at(int i);

/* Options from text ("128 activation=relu use_bias=false"). Tokens are
 * parsed by the description reader; this sets one option. Returns DC_OK,
 * or an error without a place (the caller adds file:line:col). */
const dc_layer_option *dc_layer_option_find(const dc_layer_type *t, const char *key);
const dc_layer_option *dc_layer_option_positional(const dc_layer_type *t);
dc_status dc_layer_option_set(const dc_layer_type *t, void *cfg, const dc_layer_option *o, const char *value);
/* Apply option tokens ("128", "activation=relu", "name=fc", "inputs=a,b",
 * "trainable=false")
 * to cfg (which starts as the kind's defaults). positional_given: the
 * positional option is already set (`relu` meaning `activation relu`).
 * On error, *bad_tok and *bad_off say which token and where in it. */
typedef struct {
    char name[64];                        /* name=, or "" */
    int frozen;                           /* trainable=false */
    int nin;                              /* inputs=, or 0 */
    char in[DC_LAYER_MAX_INPUTS][64];
    int in_tok;                           /* the token that held inputs= */
    dc_dtype wdtype;                      /* weights=, or F32 */
    int act_static;                       /* activations=static */
} dc_layer_refs;
dc_status dc_layer_parse_options(const dc_layer_type *t, void *cfg, int ntok, const char *const *tok, int positional_given,
                                 dc_layer_refs *refs, int *bad_tok, int *bad_off);
/* "units, activation, ..." for error messages. */
void dc_layer_option_list(const dc_layer_type *t, char *buf, size_t n);
/* Append the options that differ from the defaults (" 128 activation=relu"). */
void dc_layer_options_write(const dc_layer_type *t, const void *cfg, dc_strbuf *out);

/* Every layer kind, declared here and defined in its own file. */
extern const dc_layer_type dc_layer_input, dc_layer_flatten, dc_layer_dense, dc_layer_dropout, dc_layer_activation,
    dc_layer_conv2d, dc_layer_conv1d, dc_layer_maxpool2d, dc_layer_avgpool2d, dc_layer_maxpool1d,
    dc_layer_global_avg_pool2d, dc_layer_global_max_pool2d, dc_layer_global_avg_pool1d, dc_layer_global_max_pool1d, dc_layer_batchnorm, dc_layer_spatial_dropout2d,
    dc_layer_zero_padding2d, dc_layer_add, dc_layer_multiply, dc_layer_concat, dc_layer_sampling, dc_layer_reshape,
    dc_layer_embedding, dc_layer_simple_rnn, dc_layer_lstm, dc_layer_gru, dc_layer_layer_norm, dc_layer_positional_embedding,
    dc_layer_transformer_block, dc_layer_transformer_encoder, dc_layer_last_step;
/* The node index of layer l in its model (-1 if absent). */
int dc_layer_index(const dc_model *m, const dc_layer *l);
#endif
