/* deepc/train.h — part 6 of the public API: Training, evaluation, prediction; files.
 * Include <deepc.h>, which includes every part in order. */
#ifndef DEEPC_TRAIN_H
#define DEEPC_TRAIN_H
#include "data.h"

#ifdef __cplusplus
extern "C" {
#endif

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
    /* dc_evaluate_stats: the samples the loss is the mean over, and the
     * labels the accuracy counts (a sequence's tokens that are not
     * padding), so that evaluations of parts add up (data-parallel eval:
     * loss * samples and accuracy * counted are sums). 0 in a history. */
    int64_t samples, counted;
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
    /* With loss: weigh_own_loss = 1 multiplies the model's own loss by
     * own_loss_weight before the term is added (distillation's 1 - alpha). */
    float own_loss_weight;
    int weigh_own_loss;
    /* Optimizer state sharded over the ranks (dc_fit_options.shard_optimizer,
     * ZeRO stage 1). Rank r owns the slice dc_shard_range(n, r, world) of the
     * flat buffers (n = dc_model_num_params) and keeps the optimizer state
     * of its slice only. Each optimizer step:
     *   reduce_scatter: average g[0..n) over the ranks; this rank's slice of
     *     the average must land in its place in g (the rest may be left as
     *     it is). It replaces after_backward, which is then not called;
     *   the step of this rank's slice of the parameters;
     *   all_gather: every rank's slice of p[0..n) to every rank.
     * gather_range: elements [lo, hi) of an n-float buffer sharded so, to
     * rank 0: it receives them in part[0..hi - lo) (its own included);
     * slice is this rank's slice, and other ranks pass part = NULL. Every
     * rank calls it for the same ranges in the same order. A sharded state
     * is saved with it piece by piece (dc_model_save_state_ranks: no rank
     * holds the whole optimizer), and when dc_fit returns rank 0's state
     * is made whole with it (unless keep_shards). All three return
     * non-zero to stop training. */
    int (*reduce_scatter)(dc_model *m, float *g, int64_t n, void *user);
    int (*all_gather)(dc_model *m, float *p, int64_t n, void *user);
    int (*gather_range)(dc_model *m, const float *slice, float *part, int64_t lo, int64_t hi, int64_t n, void *user);
    /* Data-parallel runs (world > 1): during the backward pass of each
     * optimizer step, the gradients [lo, n) of the flat buffer are
     * complete (the last layers finish first; lo only goes down within a
     * step). A run may start reducing them while the backward goes on
     * (nonblocking, in buckets, as PyTorch's DDP does); after_backward
     * (reduce_scatter with the optimizer sharded) is still called at the
     * end, to finish. Non-zero stops training. */
    int (*grads_ready)(dc_model *m, int64_t lo, void *user);
} dc_callbacks;

/* The slice [*lo, *hi) of n values that rank `rank` of `world` owns when
 * the optimizer state is sharded: n * rank / world to n * (rank+1) / world. */
void dc_shard_range(int64_t n, int rank, int world, int64_t *lo, int64_t *hi);

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

/* Knowledge distillation (Hinton et al. 2015; deepc distill): a student
 * trained with dc_fit and these callbacks learns
 *   (1 - alpha) * its own loss + alpha * T^2 * KL(softmax(t / T) || softmax(s / T))
 * where t are the teacher's logits on the same batch (run without
 * gradients in a graph of the distiller's; the teacher is only read) and s
 * the student's; over the last axis, every other position a row (a class
 * per sample, or a token per position of a language model). The teacher's
 * outputs must have the student's shape. dc_distill_term is the term alone
 * (without alpha) on g, for your own loop: KLDivLoss(log_softmax(s / T),
 * softmax(t / T), reduction="batchmean") * T^2 in PyTorch's terms. */
typedef struct dc_distiller dc_distiller;
dc_distiller *dc_distiller_new(const dc_model *teacher, float temperature, float alpha);
void dc_distiller_free(dc_distiller *d);
const dc_callbacks *dc_distiller_callbacks(const dc_distiller *d);
dc_tensor *dc_distill_term(dc_graph *g, dc_tensor *student_logits, const float *teacher_logits, float temperature);

/* Magnitude pruning while training (deepc prune; TensorFlow Model
 * Optimization's prune_low_magnitude with its PolynomialDecay schedule).
 * Pass it as dc_fit_options.prune: the weight matrices (dense kernels and
 * tied heads, conv kernels, embedding tables, recurrent and attention
 * matrices) lose their smallest weights while the model trains, the
 * fraction pruned rising from initial_sparsity at begin_step to sparsity at
 * end_step as
 *   s(t) = sparsity + (initial_sparsity - sparsity) (1 - (t - begin) / (end - begin))^power
 * (t: optimizer steps), the masks recomputed every `frequency` steps (and
 * at end_step) and applied after every step, so a pruned weight stays 0.
 * The masks are part of the training state (a stopped run resumes
 * exactly), and the model's files are stored sparse (docs/FORMATS.md).
 * scope DC_PRUNE_GLOBAL (the default) prunes all the matrices together, to
 * one threshold (exactly round(s x their size) zeros); DC_PRUNE_LAYER each
 * matrix to the fraction (TF-MOT's way; it cost the Fashion CNN 1.5 points
 * at 80% where global cost 0.6: its small first convolution lost as much
 * as its large dense layer, bench/RESULTS.md). structured: whole units of dense layers and filters of conv
 * layers go, ranked by their weights' mean magnitude (at least one stays
 * in each layer); the layers that cannot lose units (dc_model_shrink says
 * which) are left alone, and dc_model_shrink then removes the pruned units
 * for a smaller dense model. A pruning run trains its epochs: early
 * stopping is off (its epochs would differ in sparsity). */
typedef enum { DC_PRUNE_GLOBAL = 0, DC_PRUNE_LAYER = 1 } dc_prune_scope;
typedef struct {
    float sparsity;            /* the final fraction pruned, in (0, 1)        */
    float initial_sparsity;    /* the ramp's start, in [0, sparsity] (0)      */
    int64_t begin_step;        /* the ramp's first step (0)                   */
    int64_t end_step;          /* its last; 0: where the run's last epoch
                                  begins (the last step of a 1-epoch run)    */
    int64_t frequency;         /* steps between updates; 0: a tenth of the
                                  ramp, at most 100 (TF-MOT's default)        */
    float power;               /* the polynomial's exponent; 0: 3             */
    dc_prune_scope scope;
    int structured;
} dc_prune_config;
/* The fraction the schedule prunes at optimizer step t (c resolved: end_step > begin_step). */
double dc_prune_sparsity_at(const dc_prune_config *c, int64_t t);
/* Zeros among the weights pruning may prune; *total gets their count. */
int64_t dc_model_pruned(const dc_model *m, int64_t *total);
/* After a structured prune: a copy of m without its pruned units and
 * filters (a smaller dense model: the layers' widths, the batchnorms and
 * the layers reading them cut to match), the same outputs. A unit is
 * pruned when its weights, bias (and batchnorm scale and shift) are all 0.
 * report (may be NULL) gets a line per layer. */
dc_model *dc_model_shrink(const dc_model *m, FILE *report);
/* How a model file was pruned (its "pruning" metadata), or NULL. */
const char *dc_model_pruning(const dc_model *m);

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
                                  Read atomically; set it atomically too (__atomic_store_n, or a C11
                                  atomic store), as the handler may run on another thread.
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
     * on every rank (unless validation_rows says each holds a part). Files
     * (checkpoint, best_checkpoint, log_csv) are written by rank 0 only.
     * world 0 or 1: one process. */
    int rank, world;
    /* world > 1: keep only this rank's slice of the optimizer's state (its
     * moments), stepping that slice of the parameters and gathering the
     * rest from the other ranks (ZeRO stage 1: dc_callbacks' reduce_scatter,
     * all_gather and gather). The state a resumed run starts from, and the
     * one saved, hold the whole optimizer either way, so a run may be
     * resumed sharded or not, on any number of ranks. No effect in one
     * process. */
    int shard_optimizer;
    /* With shard_optimizer: when dc_fit returns, leave each rank's state
     * holding its slice (0: rank 0's is made whole, to save or inspect, at
     * the cost of the whole optimizer on one machine). Save it with
     * dc_model_save_state_ranks on every rank. */
    int keep_shards;
    /* world > 1: data holds only rows [data_offset, data_offset + data->n)
     * of a data set of data_rows rows: this rank's part, read alone
     * (dc_mnist_load_part, dc_image_folder_load_part, dc_csv_load_part,
     * dc_text_csv_load_part; deepc train --shard-data). Every rank still
     * draws the permutation over all the training rows; of each batch it
     * trains on the rows it holds, its
     * loss weighted by their number, and of a validation_split's tail it
     * validates the rows it holds, the sums added over the ranks
     * (reduce_stats). The result is the run with the whole data on every
     * rank (rounding aside). The ranks' shares of a batch vary about their
     * mean (by about sqrt(batch / world)): the slowest sets the step's
     * pace. Augmented images (dc_dataset.augment) are augmented by the
     * rank that holds them, with the draws one process makes for their
     * place in the batch. A token stream's rows are its windows: the part
     * holds windows [data_offset, data_offset + data->n) of the training
     * stream (its tokens and the context after them), and every rank draws
     * the windows over all data_rows; the stream's validation part is
     * then given as validation (below). data_rows 0: data is the whole data
     * set. */
    int64_t data_rows, data_offset;
    /* world > 1, with validation given: it holds only rows
     * [validation_offset, validation_offset + validation->n) of a
     * validation set of validation_rows rows. Each rank validates the rows
     * it holds and the sums are added over the ranks (reduce_stats), so the
     * metrics are the whole set's. 0: validation is whole on every rank. */
    int64_t validation_rows, validation_offset;
    /* Prune while training (dc_prune_config), or NULL. A resumed run keeps
     * the settings it started with (its state holds them and its masks). */
    const dc_prune_config *prune;
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
/* Data-parallel evaluation: e holds this rank's dc_evaluate_stats (zeros,
 * samples 0, for a rank with no rows); its loss, accuracy and loss parts
 * become the whole data's, their sums (loss * samples, accuracy * counted)
 * added over the ranks by cb->reduce_stats. Every rank calls it. */
dc_status dc_epoch_stats_reduce(dc_model *m, dc_epoch_stats *e, const dc_callbacks *cb);
/* Model outputs for n samples of data (out: n * output size floats). Where
 * the loss reads the output as logits — a head without softmax or sigmoid
 * under cross-entropy (dense 2, PyTorch's habit) — the output given is the
 * probabilities the loss implies (softmax over the last dimension, or the
 * sigmoid of a binary head), so class heads always give probabilities. */
dc_status dc_predict(const dc_model *m, const dc_dataset *data, int64_t n, int batch_size, float *out);
/* The values of the layer named `layer` for n samples (out: n times its
 * per-sample size, dc_layer_output_shape): an autoencoder's code, a VAE's
 * mu, any hidden layer's features. The model's output layer gives what
 * dc_predict gives. */
dc_status dc_predict_layer(const dc_model *m, const dc_dataset *data, int64_t n, int batch_size, const char *layer, float *out);
/* One sample of a model's input from data in memory, through what its file
 * keeps (the same steps as the file loaders), for dc_session_run:
 *  - a table row of named cells through the fitted pipeline (x: the
 *    model's input size; *unknown counts unseen categories, may be NULL);
 *  - encoded PNG or JPEG bytes, decoded, converted to the model's channels,
 *    resized (bilinear) to its height and width, scaled to [0, 1];
 *  - a text through the stored tokenizer, padded and truncated to maxlen as
 *    training did (ids: maxlen int32; returns the real tokens, -1 on error).
 * Language models take their prompt through dc_text_codec instead. */
dc_status dc_model_row_input(const dc_model *m, const char *const *names, const char *const *cells, int n, float *x, int *unknown);
dc_status dc_model_image_input(const dc_model *m, const void *bytes, size_t n, float *x);
int64_t dc_model_text_input(const dc_model *m, const char *text, int32_t *ids);

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

/* An evaluation as one SVG: ROC curves (binary: the positive class; more
 * classes: each against the rest, the first 20, AUC in the legend) and the
 * confusion matrix with counts, rows shaded by share. probs: n x width
 * (width 1: one sigmoid output), c: their metrics, names: a name per class.
 * Written atomically. */
dc_status dc_plot_eval_svg(const float *probs, int width, const int32_t *labels, int64_t n, const dc_class_metrics *c,
                           const char *const *names, const char *path);

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
/* A description whose `embedding auto DIM` (and `dense auto tie=...`) take
 * their rows from the text line's fitted vocabulary: vocab tokens, or -1 to
 * read it before the vocabulary is known (a stand-in of 2 rows; parse again
 * once fitted). The model file keeps the size (vocab_rows). */
dc_model *dc_model_parse_file_vocab(const char *path, int64_t vocab);
/* Does the description size a layer by the vocabulary (`auto`)? */
int dc_model_vocab_auto(const dc_model *m);
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
/* The weights alone (no description, training state or metadata beyond
 * format=pt), for other tools: names as deepc's ("dense_1.weight"), or with
 * torch_names the module indices of the torch.nn.Sequential a PyTorch user
 * writes for a chain of layers ("2.weight": each layer one module, its
 * activation one more), so that load_state_dict(strict=True) takes it.
 * Written atomically. */
dc_status dc_model_export_weights(const dc_model *m, const char *path, int torch_names);
/* The model as ONNX (deepc export --format onnx): opset 17 (0: the
 * default, 17), a symbolic batch dimension on the input ("input") and
 * the output ("output"), parameters as initializers under their deepc
 * names, written through protobuf-c and atomically. The model is traced
 * (dc_graph_set_trace) and each op written as ONNX nodes: dense, conv2d,
 * pools, padding, batchnorm (inference form), layer_norm, activations
 * (GELU from Erf or Tanh), dropout (Identity), reshapes, merges,
 * embeddings, recurrent layers (ONNX RNN/LSTM/GRU, sequence_lens from the
 * padding mask), attention with its masks, quantized products (int8:
 * MatMulInteger on inputs quantized as deepc quantizes them; kernels and
 * tables through DequantizeLinear; 4-bit: int8 values times block scales)
 * and half weights (Cast). A model of token ids (int32 input) whose layers
 * take any length gets a symbolic sequence dimension. A VAE (a sampling
 * layer) exports its decoder: the input is a latent point. An op with no
 * ONNX form is an error naming it and its layer. Models of one input and
 * one output. */
dc_status dc_model_export_onnx(const dc_model *m, const char *path, int opset);
/* The model as one C99 file at path (its name ends in .c) and its header
 * beside it (.h) (deepc export --format c): the weights as static const
 * arrays (float, or int8 with their scales for a quantized model), one
 * static scratch buffer planned from the ops' lifetimes (PREFIX_SCRATCH_BYTES
 * in the header), no allocation, nothing beyond <math.h>, and
 * int PREFIX_predict(const float *in, float *out) for one sample (a model of
 * token ids: PREFIX_predict_ids(const int32_t *ids, float *out), -1 for an
 * id outside the vocabulary). prefix: a C identifier (NULL: "model"). Every
 * op of MLPs, CNNs and recurrent models (float, or int8 products computed
 * to deepc's bits); attention and 4-bit weights are errors naming the
 * layer. Written atomically. */
dc_status dc_model_export_c(const dc_model *m, const char *path, const char *prefix);
/* An ONNX model (opset 13-17, one input, one output) as a deepc model (deepc
 * import-onnx): a readable description (dc_model_description) and its
 * weights. Takes what torch.onnx.export writes for MLPs, CNNs (Conv,
 * BatchNormalization, pools, global pools, Flatten, Gemm), embeddings and
 * forward RNN/LSTM/GRU layers with their zero initial states, pre-norm
 * Transformer encoder layers (nn.TransformerEncoderLayer(norm_first=True),
 * no mask), layer norms,
 * activations and merges, and deepc's own exports of every kind (layers
 * whose ONNX form is long come from the record the export writes in their
 * last node's doc_string: "deepc:layer NAME<TAB>LINE<TAB>INPUTS<TAB>DIMS"). The file
 * is bounded (2 GiB), every tensor's bytes checked against its dims;
 * external data, a cycle, an unknown op or a value it cannot follow is an
 * error naming the node. NULL on error. */
dc_model *dc_model_import_onnx(const char *path);
dc_model *dc_model_load(const char *path);
/* A quantized copy of a built model (deepc quantize): every layer with
 * weight matrices (dense and its tied head, conv kernels, embedding tables,
 * recurrent matrices, the products in transformer blocks) stores them as
 * int8 with a float scale per output row (bits 8), or as 4-bit q4_0 blocks
 * of 32 with a half scale each (bits 4; int8 where a matrix is not 2-D with
 * a multiple of 32 columns); biases, norms, BatchNorm statistics and
 * positional tables stay float. The description gets weights=i8|q4 on
 * those lines; class names, vocabulary, tokenizer and pipeline come along.
 * Products then run on integers, the input quantized per row (per block of
 * 32 for 4-bit) at run time. report (may be NULL) gets a line per layer with
 * tensors: its storage and bytes before and after. A NaN or infinite
 * weight is an error naming the tensor. */
dc_model *dc_model_quantize(const dc_model *m, int bits, FILE *report);
/* The same at 8 bits with static activations (deepc quantize --static):
 * the float model runs on the first n samples of calib (all: n <= 0), and
 * each dense or transformer product's input quantization is fixed from
 * the range [lo, hi] it saw (widened to hold 0): scale (hi - lo) / 255 and
 * zero point round(-lo / scale) in [0, 255], as PyTorch's MinMaxObserver
 * for quint8 (beyond the range inputs clamp), stored as
 * "<layer>.<matrix>_act_scale" and "..._act_zero_point" (F32 scalars) and
 * marked activations=static on the line. Products of other kinds (conv, recurrent) stay dynamic. Models
 * of one input. */
dc_model *dc_model_quantize_static(const dc_model *m, const dc_dataset *calib, int64_t n, FILE *report);
/* How a model file was quantized (its "quantization" metadata), or NULL. */
const char *dc_model_quantization(const dc_model *m);
/* The same, with the training state (for resume); state may be NULL. A file
 * without state loads with *state = NULL. */
dc_status dc_model_save_state(const dc_model *m, const dc_train_state *state, const char *path);
dc_model *dc_model_load_state(const char *path, dc_train_state **state);
/* The same for rank `rank` of `world` resuming with the optimizer sharded
 * (dc_fit_options.shard_optimizer): the state holds this rank's slice of
 * the optimizer (dc_shard_range), read from the file alone, so no rank
 * holds the whole optimizer. world 1: dc_model_load_state. */
dc_model *dc_model_load_state_shard(const char *path, int rank, int world, dc_train_state **state);
/* The same for a data-parallel run (o: its options): every rank calls it
 * and rank 0 writes. A state whose optimizer is sharded
 * (dc_fit_options.shard_optimizer and keep_shards) is written as rank 0
 * receives the slices, DC_ST_FILL_BYTES at a time (gather_range), so no
 * rank holds the whole optimizer; the file is the one an unsharded run
 * writes. A rank that fails leaves the others waiting: stop them (an MPI
 * run aborts). */
dc_status dc_model_save_state_ranks(const dc_model *m, const dc_train_state *state, const char *path, const dc_fit_options *o);

/* Low-level safetensors access, for tools and tests. */
typedef struct {
    char name[256];
    char dtype[8];                 /* "F32", "I32", ...                    */
    int ndim;
    int64_t shape[DC_MAX_DIMS];
    const void *data;              /* points into the file's aligned copy (NULL: left unread, dc_st_open_unread) */
    int64_t nbytes;
} dc_st_tensor;

typedef struct dc_st_file dc_st_file;
dc_st_file *dc_st_open(const char *path);
/* The same, the data of tensors whose names start with `unread` left on
 * disk (their data NULL; read them in parts with dc_st_read): a rank
 * resuming a sharded run reads its slice of the optimizer only. */
dc_st_file *dc_st_open_unread(const char *path, const char *unread);
/* Bytes [offset, offset + bytes) of tensor t of f into dst, from memory or
 * (an unread tensor) from the file. */
dc_status dc_st_read(const dc_st_file *f, const dc_st_tensor *t, int64_t offset, int64_t bytes, void *dst);
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
    /* data NULL: the bytes come from fill instead, asked for in order, in
     * consecutive pieces [offset, offset + bytes) of at most
     * DC_ST_FILL_BYTES each, so a tensor need never be whole in memory
     * (a sharded optimizer's state, saved as rank 0 receives it). A
     * non-zero status stops the write (the previous file stays). */
    dc_status (*fill)(void *user, int64_t offset, int64_t bytes, void *dst);
    void *fill_user;
} dc_st_entry;
#define DC_ST_FILL_BYTES ((int64_t)4 << 20)
/* A file holds at most this many tensors (what the reader accepts, so
 * every file written can be read back); a model file needs one per
 * parameter tensor and up to DC_ST_STATE_TENSORS more for a training state. */
#define DC_ST_MAX_TENSORS 100000
#define DC_ST_STATE_TENSORS 8
/* Write tensors and string metadata (keys[i] -> values[i]) atomically. */
dc_status dc_st_write(const char *path, const dc_st_entry *t, int nt,
                      const char *const *keys, const char *const *values, int nmeta);

#ifdef __cplusplus
}
#endif
#endif /* DEEPC_TRAIN_H */
