/* model.h — the dc_model struct, shared by nn (layers, losses), io (files)
 * and train (fit). Users see it only through the functions in deepc.h.
 *
 * A model is a graph of nodes (src/nn/layer.h): inputs first, every other
 * node fed by earlier ones, so the node order is a topological order and a
 * forward pass is one loop. Parameters live in one flat buffer. */
#ifndef DC_MODEL_H
#define DC_MODEL_H
#include "layer.h"

typedef struct {
    char name[112];       /* "dense_1.weight": layer name and what    */
    dc_tensor *t;         /* view into the flat buffers               */
    int buffer;           /* 1: non-trainable (in m->buffers)         */
    const dc_param_decl *decl;
    const dc_layer *layer;  /* whose parameter it is                   */
} dc_named_param;

/* What a loss compares an output with: the data's labels or values (y),
 * the input (autoencoders), or a named tensor of the batch (target=NAME:
 * a dataset array of that name, dc_graph_feed). */
typedef enum { DC_TARGET_LABEL = 0, DC_TARGET_INPUT, DC_TARGET_NAMED } dc_target_kind;

/* One `loss` line: a loss on one output. */
typedef struct {
    dc_loss_kind kind;
    int output;           /* node index                                */
    dc_target_kind target;
    float weight;         /* 1                                         */
    int sum;              /* reduction=sum: summed over each sample's values, mean over the batch */
    char name[32];        /* part name in progress and history         */
    char target_name[32]; /* DC_TARGET_NAMED: the batch tensor's name  */
} dc_loss_spec;

struct dc_model {
    dc_layer **nodes;                  /* graph nodes, in topological order */
    int nnodes, cap_nodes;
    int *name_slots;                   /* hash of node names -> index + 1 (0: empty) */
    int cap_slots;                     /* a power of two, > 2 nnodes       */
    struct {
        const dc_layer_type *type;
        int count;
    } kind_counts[64];                 /* nodes of each kind: automatic names */
    int outputs[DC_LAYER_MAX_INPUTS];  /* output nodes (default: the last) */
    int noutputs;
    int in_ndim;                       /* shape of the first input          */
    int64_t in_shape[DC_MAX_DIMS];
    int built;                         /* parameters allocated?            */
    float *params, *grads;             /* the flat buffers                 */
    int64_t nparams;
    float *buffers;                    /* non-trainable state (BN stats)   */
    int64_t nbuffers;
    unsigned char *store;              /* tensors stored as F16, BF16 or I8
                                          (weights=): never trained        */
    size_t store_bytes;
    dc_named_param *named;             /* one per parameter tensor         */
    int nnamed;
    /* how the model is trained: the description's loss, optimizer,
     * schedule, early stopping and fit lines (or dc_model_compile) */
    struct {
        dc_loss_spec *losses;          /* loss lines (none: one from the output) */
        int nlosses;
        dc_loss_kind loss;             /* the first loss                   */
        dc_opt_config opt;
        int compiled;
        dc_fit_config fit;             /* recipe defaults                  */
        dc_text_spec text;             /* the text line: how texts become ids */
    } recipe;
    /* what the model file keeps beside the network */
    struct {
        char *description;             /* text it was parsed from, or NULL */
        char *preprocess;              /* tabular pipeline text, or NULL   */
        int auto_input;                /* description says `input auto`    */
        int auto_vocab;                /* description says `embedding auto` (or dense auto) */
        int64_t vocab_rows;            /* ... and the size it took                          */
        char *class_names;             /* "a,b,..." (%-escaped), or NULL   */
        char *vocabulary;              /* a text model's fitted tokens, or NULL */
        char *bpe_vocab, *bpe_merges;  /* a BPE model's encoder.json and vocab.bpe texts, or NULL */
        char *text_run;                /* how a text run split its data (resume), or NULL */
        char *quantization;            /* how dc_model_quantize made it, or NULL */
        char *pruning;                 /* how a prune made it, or NULL: its weight
                                          matrices are then stored sparse */
    } meta;
};

/* Optimizer state over a slice of the flat buffer (ZeRO-1, fit.c): the
 * parameters an optimizer covers; a new one covering [lo, hi) of o's, its
 * buffers and step count copied (NULL, error set, without memory). */
int64_t dc_optimizer_size(const dc_optimizer *o);
dc_optimizer *dc_optimizer_slice(const dc_optimizer *o, int64_t lo, int64_t hi);
/* Sum of squares of g[0..n), the same for any thread count (what
 * dc_clip_grad_norm takes the root of). */
double dc_grad_sum_squares(const float *g, int64_t n);

/* Name for a loss / optimizer / activation, and back (-1 if unknown). */
const char *dc_loss_name(dc_loss_kind k);
int dc_loss_from_name(const char *s);
const char *dc_activation_name(dc_activation a);
int dc_activation_from_name(const char *s);

/* Add a node of kind t with options cfg (copied) fed by nodes in[0..nin)
 * (nin = 0 and t takes inputs: the last node). name NULL or "": Keras-style
 * automatic name. Returns the node's index, or -1 with the error set
 * (no place: the description parser adds it). */
int dc_model_add_node(dc_model *m, const dc_layer_type *t, const void *cfg, const char *name, int nin, const int *in,
                      int line);
/* Index of the node named name, or -1. */
int dc_model_find_node(const dc_model *m, const char *name);
/* Store node k's kernel as dtype (weights=f16|bf16|i8): its parameters are
 * declared again. Before dc_model_build. */
dc_status dc_model_set_weight_dtype(dc_model *m, int k, dc_dtype dtype);
/* Give node k another (unique) name. */
dc_status dc_model_rename_node(dc_model *m, int k, const char *name);
/* Set the model outputs (node indices). */
dc_status dc_model_set_outputs(dc_model *m, int n, const int *nodes);
/* Check the graph once all nodes are added: every node's value is used by
 * another node or is an output. Returns the first node that is not, or -1. */
int dc_model_dangling_node(const dc_model *m);

/* Forward pass: feed values for nodes (usually the inputs), compute what
 * the outputs need. vals (arena, one per node) receives every value.
 * Loss terms added by layers go to g's terms (dc_graph_terms). */
dc_status dc_model_run(const dc_model *m, dc_graph *g, int nfeed, const int *feed, dc_tensor *const *values, dc_value **vals);
/* The same during generation: the batch holds the new steps after those in
 * the cache kv (src/nn/generate.c). */
dc_status dc_model_run_ctx(const dc_model *m, dc_graph *g, int nfeed, const int *feed, dc_tensor *const *values, dc_value **vals,
                           const dc_kv_state *kv, const dc_sparse_set *sparse, float *act_range);
/* A session's CSR copies of m's pruned matrices where the sparse product
 * measured faster (src/nn/sparse_set.c); NULL when none pays (or m is not
 * pruned), and on error (set). */
dc_sparse_set *dc_sparse_set_new(const dc_model *m);
void dc_sparse_set_free(dc_sparse_set *s);
/* Does a (rows, cols) matrix with nonzeros kept values multiply a batch of
 * `batch` rows faster sparse? */
int dc_sparse_pays(int64_t rows, int64_t cols, int64_t nonzeros, int64_t batch);
/* Forward the first input x (shape checked); vals gets every node's value. */
dc_status dc_model_forward_values(const dc_model *m, dc_graph *g, dc_tensor *x, dc_value **vals);
/* Several inputs from one batch: each sample of x holds the values of
 * every input, one after another in the order of the input lines (a
 * table's feature columns split across the inputs); one input: as
 * dc_model_forward_values. Inputs fed by name on g (dc_graph_feed under
 * every input layer's name) take precedence, and x is not read. */
dc_status dc_model_forward_joined(const dc_model *m, dc_graph *g, dc_tensor *x, dc_value **vals);
/* The input nodes in the order of their input lines into feed
 * (DC_LAYER_MAX_INPUTS of room); their count, or -1 (error set) if more. */
int dc_model_input_nodes(const dc_model *m, int *feed);
/* The values per sample of all inputs together. */
int64_t dc_model_inputs_size(const dc_model *m);
/* The k-th output node. */
int dc_model_output_node(const dc_model *m, int k);
/* The whole loss of a batch (src/nn/loss.c), after dc_model_run: every loss
 * line, every term a layer added, every regularizer; its parts are in
 * g's terms. x is the first input (for target=input); labels are class
 * indices (I32), targets regression values (F32) or NULL. */
dc_tensor *dc_model_build_loss(const dc_model *m, dc_graph *g, dc_value *vals, dc_tensor *x, dc_tensor *labels, dc_tensor *targets);
/* The losses the model trains with: its loss lines, or one from the output. */
dc_status dc_model_default_losses(dc_model *m);
/* The output node whose accuracy is reported (a classification loss on
 * the labels), or -1. */
int dc_model_class_output(const dc_model *m);
/* The loss kind (dc_loss_kind) of the loss line on node `node` against
 * labels or named targets, or -1 when none is. */
int dc_model_output_loss(const dc_model *m, int node);
/* A head the loss reads as logits — a linear layer under cross-entropy,
 * PyTorch's habit (dense 2, no softmax) — gives scores, not
 * probabilities: apply to out (n values of node's output, computed as v)
 * what the loss applies (softmax over the classes, or the sigmoid for one
 * output), so that predict, eval's log loss and sessions report
 * probabilities whatever the head (issue 16). */
void dc_model_output_probabilities(const dc_model *m, int node, const dc_value *v, float *out, int64_t n);
/* Parse a description without allocating or initializing the parameters
 * (call dc_model_build after checking what they will be). */
dc_model *dc_model_parse_unbuilt(const char *text, const char *filename, int in_ndim, const int64_t *in_shape, int64_t vocab);
/* Write the model back as description text (layers, losses, optimizer, fit). */
char *dc_model_write_description(const dc_model *m);
/* What a model file keeps beside the network (pipeline, classes,
 * vocabulary, tokenizer, text run, input and vocabulary sizes) from src
 * into a copy q built from the same description (src/io/quantize.c). */
dc_status dc_model_copy_meta(dc_model *q, const dc_model *src);
#endif
