/* state.h — the training state behind dc_train_state (resume, checkpoints).
 * state.c keeps its lifecycle and file form; fit.c runs it. */
#ifndef DC_STATE_H
#define DC_STATE_H
#include "../nn/model.h"

struct dc_train_state {
    int initialized;
    /* settings, fixed when training starts */
    int epochs, batch_size, shuffle;
    float validation_split;
    uint64_t seed;
    int64_t n_data;               /* samples in the training data given      */
    int64_t ntrain, val_off, nval;
    int64_t epoch_rows;           /* samples an epoch trains on: ntrain, or
                                     steps_per_epoch x batch when that is more
                                     than one pass (the rows again, in another
                                     order each pass: fit.c batch_rows)     */
    int stream;                   /* a token stream: perm holds random windows
                                     (of n_data), drawn anew each epoch     */
    /* position */
    int epoch;                    /* epochs completed                        */
    int64_t step;                 /* batches done in the current epoch       */
    int64_t *perm;                /* this epoch's order of training rows; a
                                     stream's: two steps' windows (fit.c)   */
    dc_rng rng;                   /* shuffles, then dropout, in a fixed order */
    dc_optimizer *opt;            /* over the whole flat buffer, or over this
                                     rank's slice [shard_lo, shard_hi) of it
                                     when sharded (ZeRO-1, fit.c)           */
    int sharded;
    int64_t shard_lo, shard_hi;
    dc_schedule_state sched;
    double lsum;                  /* running sums of the current epoch       */
    double psum[DC_MAX_LOSS_PARTS]; /* ... of each loss part                 */
    int64_t correct, seen;
    int64_t counted;              /* labels that count for accuracy (not padding) */
    /* early stopping */
    double es_best;
    int es_wait, es_best_epoch;
    float *best_params;           /* weights of the best epoch (restore_best) */
    int stopped_early, finished;
    /* pruning (dc_fit_options.prune; prune.c) */
    int pruning;
    dc_prune_config prune;        /* its settings, resolved                  */
    uint8_t *mask;                /* nparams: 0 = pruned (held at zero)      */
    /* history */
    dc_epoch_stats *hist;
    int nhist, cap_hist;
};

/* Append an epoch to the history. */
dc_status dc_train_state_push_history(dc_train_state *s, const dc_epoch_stats *e);
/* Allocate perm (of perm_len rows), best_params and the optimizer. */
dc_status dc_train_state_alloc(dc_train_state *s, const dc_model *m, int64_t perm_len);
/* How long perm is: the training rows, or two batches for a stream. */
int64_t dc_train_state_perm_len(const dc_train_state *s);
/* A zeroed best-weights buffer (when a checkpoint had none yet). */
dc_status dc_train_state_alloc_best(dc_train_state *s, const dc_model *m);
/* dc_model_save_state, the optimizer's buffer b written from
 * fill(fill_users[b], ...) (dc_st_entry.fill) instead of s->opt: a sharded
 * state, saved piece by piece as rank 0 receives the slices (fit.c). */
dc_status dc_train_state_save_filled(const dc_model *m, const dc_train_state *s, const char *path,
                                     dc_status (*fill)(void *, int64_t, int64_t, void *), void *const *fill_users);
/* The state of m from its text form txt and the tensors of f (permutation,
 * optimizer buffers, best weights), all checked; *out on success. world >
 * 1: the optimizer holds rank's slice only (dc_shard_range), read from
 * the file with dc_st_read. The model
 * file reader passes its "training_state" metadata; the fuzzer any text. */
dc_status dc_train_state_load(dc_model *m, const dc_st_file *f, const char *txt, const char *path, int rank, int world,
                              dc_train_state **out);
#endif
