/* deepc/model.h — part 4 of the public API: Models.
 * Include <deepc.h>, which includes every part in order. */
#ifndef DEEPC_MODEL_H
#define DEEPC_MODEL_H
#include "graph.h"

#ifdef __cplusplus
extern "C" {
#endif

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
    int t_max;                  /* COSINE: 0 = auto (the default): dc_fit
                                   takes the run's length after warmup
                                   (epochs, or optimizer steps per=step),
                                   as Hugging Face's Trainer does          */
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
    int64_t validation_steps; /* > 0: at most this many validation batches
                                per epoch, the first ones (Keras'
                                validation_steps, nanoGPT's eval_iters)    */
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
/* Bytes its parameter and buffer tensors take as stored (F32, or the
 * narrower types of weights=: int8, 4-bit, half): what a quantized copy saves. */
int64_t dc_model_bytes(const dc_model *m);
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
/* 1 when a loss line compares an output with the model's own input
 * (target=input: an autoencoder or a VAE), whose output is a
 * reconstruction, not a class. */
int dc_model_reconstructs(const dc_model *m);
/* The layer holding a model's code: a VAE's mean (what its sampling layer
 * reads first), else the narrowest layer before the output (an
 * autoencoder's bottleneck); NULL if none. */
const char *dc_model_latent_layer(const dc_model *m);
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
 * F32 regression targets (or NULL). Tensors fed on g by name
 * (dc_graph_feed) stand for the inputs of those names (then x may be NULL:
 * feed every input) and for loss lines' target=NAME. *output (if not
 * NULL) gets the first output. */
dc_tensor *dc_model_loss_of(const dc_model *m, dc_graph *g, dc_tensor *x, dc_tensor *labels, dc_tensor *targets, dc_tensor **output);
/* The parts of the loss just built: dc_graph_num_loss_parts (deepc/graph.h). */

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
/* on = 1: outputs whose loss reads them as logits (a linear head under
 * cross-entropy) come out as the probabilities the loss implies, as
 * dc_predict gives them (softmax, or the sigmoid of one output); default 0:
 * the layer's values as they are. */
void dc_session_set_probabilities(dc_session *s, int on);
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
/* Slots: the generator's `batch` rows as independent sequences, each of
 * its own length (a server's streams; continuous batching). A slot is
 * emptied with dc_generator_slot_reset, given a prompt (or more tokens)
 * with dc_generator_slot_feed (logits: V floats after the last), and the
 * decode steps of several slots run as one batch with
 * dc_generator_slots_step: tokens[i] is appended to slots[i] (n distinct
 * slots) and logits (n x V) gets what follows each. With a cache, each
 * slot's window slides by itself when its context is full; without one,
 * each slot's window runs by itself. A slot's logits equal those of a
 * generator of batch 1 fed the same tokens up to float rounding (a batch
 * of n rows may sum in another order); at n = 1 they are the same bits.
 * Use either the slot calls or dc_generator_feed on one generator, not
 * both (dc_generator_reset empties every slot). */
void dc_generator_slot_reset(dc_generator *gen, int slot);
dc_status dc_generator_slot_feed(dc_generator *gen, int slot, const int32_t *tokens, int64_t t, float *logits);
dc_status dc_generator_slots_step(dc_generator *gen, int n, const int32_t *slots, const int32_t *tokens, float *logits);
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

#ifdef __cplusplus
}
#endif
#endif /* DEEPC_MODEL_H */
