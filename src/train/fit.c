/* fit.c — the training loop (fit), evaluate and predict.
 *
 * One step: reset the graph arena, gather a batch, forward, loss, zero the
 * flat gradient buffer, backward, regularization, clipping, one optimizer
 * loop over the flat buffers. After the first step nothing is allocated.
 * Everything that must survive an interruption lives in dc_train_state, so
 * a run stopped after any batch and resumed is bit-identical to one that
 * never stopped. */
#include "state.h"
#include "prune.h"
#include "prefetch.h"
#include "overlap.h"
#include "progress.h"
#include "../kernels/kernels.h"
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

void dc_history_free(dc_history *h) {
    if (!h) return;
    free(h->epoch);
    memset(h, 0, sizeof *h);
}

/* ---- batches, losses, metrics --------------------------------------------- */

static int64_t node_width(const dc_model *m, int node) {
    const dc_shape *s = &m->nodes[node]->out;
    return dc_shape_size(s->ndim, s->d);
}

/* Correct predictions in a batch: argmax (threshold 0.5 for one output)
 * against the labels y (N) or (N, T): one decision per label, so a class
 * per time step counts tokens. DC_IGNORE_INDEX labels (padding) count for
 * nothing; *counted gets the labels that do. */
static int64_t batch_correct(const dc_tensor *out, const dc_tensor *y, int64_t *counted) {
    int64_t L = y->size, C = L ? out->size / L : 0, ok = 0;
    for (int64_t i = 0; i < L; i++) {
        if (y->idata[i] == DC_IGNORE_INDEX) continue;
        const float *r = out->data + i * C;
        int64_t best = 0;
        if (C == 1) best = r[0] >= 0.5f;
        else
            for (int64_t k = 1; k < C; k++)
                if (r[k] > r[best]) best = k;
        ok += best == y->idata[i];
        (*counted)++;
    }
    return ok;
}

/* Does this data have an accuracy with this model? Class targets and an
 * output that a loss compares with them. */
static int has_accuracy(const dc_model *m, const dc_dataset *d) {
    return dc_dataset_has_targets(d) && d->y.dtype == DC_I32 && dc_model_class_output(m) >= 0;
}

/* Classes per sample: 1, or one per time step. */
static int64_t labels_per_sample(const dc_dataset *d) { return d->y.size > 0 ? d->y.size : 1; }

/* Add the batch's loss parts (times n) into sums. */
static void add_parts(const dc_graph *g, double *sums, int64_t n) {
    int np = dc_graph_num_loss_parts(g);
    for (int i = 0; i < np && i < DC_MAX_LOSS_PARTS; i++) {
        double v;
        dc_graph_loss_part(g, i, &v);
        sums[i] += v * (double)n;
    }
}

/* Names of the parts into stats (after a loss was built). The model's own
 * loss beside a callback's term (distillation) is "own_loss": named "loss"
 * it printed "loss: a - loss: b" and its val_ part took the key of the
 * validation loss in --json's history, which then read null. */
static void name_parts(const dc_graph *g, dc_epoch_stats *e) {
    int np = dc_graph_num_loss_parts(g);
    e->nparts = np < DC_MAX_LOSS_PARTS ? np : DC_MAX_LOSS_PARTS;
    for (int i = 0; i < e->nparts; i++) {
        const char *n = dc_graph_loss_part(g, i, NULL);
        snprintf(e->part_name[i], sizeof e->part_name[i], "%s", strcmp(n, "loss") ? n : "own_loss");
    }
}

/* Forward, loss and backward of one batch, its gradients (times scale)
 * added into m->grads: one micro-batch of a step. */
static dc_status batch_backward(dc_model *m, dc_graph *g, dc_tensor *x, dc_tensor *labels, dc_tensor *targets, float scale,
                                const dc_callbacks *cb, double *loss, dc_tensor **output) {
    dc_graph_set_training(g, 1);
    dc_value *vals;
    dc_status st = dc_model_forward_joined(m, g, x, &vals);
    if (st) return st;
    dc_tensor *l = dc_model_build_loss(m, g, vals, x, labels, targets);
    if (!l) return DC_ERR_INVALID;
    if (cb && cb->loss) { /* the caller's term (a teacher's soft targets, a penalty), built on g: autograd reaches it */
        if (cb->weigh_own_loss && !(l = dc_mul_scalar(g, l, cb->own_loss_weight))) return DC_ERR_INVALID;
        const dc_value *o = &vals[dc_model_output_node(m, 0)];
        dc_tensor *extra = cb->loss(m, g, x, o->y, o->logits ? o->logits : o->y, cb->user);
        if (!extra || extra->size != 1 || extra->dtype != DC_F32) {
            if (extra) dc_set_error(DC_ERR_INVALID, "fit: the loss callback must return a float scalar built on the step's graph");
            return DC_ERR_INVALID;
        }
        if (dc_graph_add_term(g, "callback", extra) || !(l = dc_add(g, l, extra))) return DC_ERR_INVALID;
    }
    if (!isfinite(l->data[0]))
        return dc_set_error(DC_ERR_NUMERIC, "loss is %f: training diverged (try a smaller learning rate)", (double)l->data[0]);
    if (loss) *loss = l->data[0];
    if (output) {
        int co = dc_model_class_output(m);
        *output = co >= 0 ? vals[co].y : NULL;
    }
    return dc_backward(g, scale == 1.0f ? l : dc_mul_scalar(g, l, scale));
}

/* The hook, clipping and one optimizer step on the gradients in m->grads. */
static dc_status optimizer_step(dc_model *m, dc_optimizer *opt, const dc_callbacks *cb) {
    if (cb && cb->after_backward && cb->after_backward(m, cb->user))
        return dc_set_error(DC_ERR_INTERRUPTED, "fit: stopped by the after_backward callback");
    if (m->recipe.opt.clip_norm > 0.0f) dc_clip_grad_norm(m->grads, m->nparams, m->recipe.opt.clip_norm);
    if (m->recipe.opt.clip_value > 0.0f) dc_clip_grad_value(m->grads, m->nparams, m->recipe.opt.clip_value);
    dc_optimizer_step(opt, m->params, m->grads);
    return DC_OK;
}

/* A quantized (int8 or 4-bit) tensor cannot be trained, nor trained
 * around: its values are a rounding of the weights it stood for. */
static dc_status check_trainable(const dc_model *m, const char *what) {
    if ((int64_t)m->nnamed + DC_ST_STATE_TENSORS > DC_ST_MAX_TENSORS) /* refused at the final save, hours later (F06) */
        return dc_set_error(DC_ERR_INVALID, "%s: the model has %d tensors; a model file holds at most %d (%d with a training state): "
                                            "it could never be saved, so it is not trained",
                            what, m->nnamed, DC_ST_MAX_TENSORS, DC_ST_MAX_TENSORS - DC_ST_STATE_TENSORS);
    if (m->built && m->nparams == 0) { /* said before a step, not as "nothing requires grad" from the backward (F23) */
        int frozen = 0;
        for (int i = 0; i < m->nnodes; i++) frozen |= m->nodes[i]->frozen;
        return dc_set_error(DC_ERR_INVALID, "%s: %s", what,
                            frozen ? "every layer with parameters is frozen: nothing to train (freeze fewer layers)"
                                   : "the model has no parameters to train");
    }
    for (int i = 0; i < m->nnamed; i++)
        if (m->named[i].decl && m->named[i].decl->scale >= 0)
            return dc_set_error(DC_ERR_INVALID,
                                "%s: tensor \"%s\" is quantized (weights=%s): a quantized model is for inference; "
                                "train the float model (--init-from MODEL dequantizes it into a float description) and quantize it",
                                what, m->named[i].name, dc_weights_name(m->named[i].decl->dtype));
    return DC_OK;
}

dc_status dc_train_step(dc_model *m, dc_graph *g, dc_optimizer *opt, dc_tensor *x, dc_tensor *labels, dc_tensor *targets,
                        const dc_callbacks *cb, double *loss, dc_tensor **output) {
    dc_status cs = check_trainable(m, "train step");
    if (cs) return cs;
    dc_k_zero(m->nparams, m->grads);
    dc_status st = batch_backward(m, g, x, labels, targets, 1.0f, cb, loss, output);
    return st ? st : optimizer_step(m, opt, cb);
}

/* Samples fit a model when they hold as many values as its input: a 28x28
 * image feeds `input 1x28x28` (the batch is viewed in the model's shape). */
static int fits_input(const dc_model *m, const dc_dataset *d) {
    return d && d->x.size == dc_model_inputs_size(m); /* several inputs: their values one after another */
}

/* Does the data hold an array named after each input layer (fed as the
 * inputs: x is not read)? */
static int inputs_named(const dc_model *m, const dc_dataset *d) {
    int feed[DC_LAYER_MAX_INPUTS], n = dc_model_input_nodes(m, feed);
    for (int k = 0; k < n; k++) {
        const dc_array *a = dc_dataset_array(d, m->nodes[feed[k]]->name);
        if (!a || a == &d->x || a == &d->y) return 0;
    }
    return n > 0;
}

/* Token ids past an embedding's table failed at a random later step, with
 * nothing saved (F05): the data's largest id against every table an input
 * feeds, before the first step. */
static dc_status check_ids(const dc_model *m, const dc_dataset *d, const char *what) {
    if (d->x.dtype != DC_I32) return DC_OK;
    int32_t mx = -1;
    if (d->kind == DC_DATASET_STREAM) mx = d->num_classes - 1; /* the stream's largest id */
    else
        for (int64_t i = 0, n = d->n * d->x.size; i < n; i++) mx = dc_array_i32(&d->x)[i] > mx ? dc_array_i32(&d->x)[i] : mx;
    int feed[DC_LAYER_MAX_INPUTS], nin = dc_model_input_nodes(m, feed);
    for (int i = 0; i < m->nnodes; i++) {
        const dc_layer *l = m->nodes[i];
        if (!l->type->reads_ids || l->nin < 1 || l->nparam < 1) continue;
        int from_input = 0;
        for (int k = 0; k < nin; k++) from_input |= l->in[0] == feed[k];
        const int64_t rows = l->decl[0].shape[0];
        if (from_input && mx >= rows)
            return dc_set_error(DC_ERR_INVALID, "%s: the data holds token id %d but \"%s\" has a table of %lld rows (ids 0 to %lld): "
                                                "give it at least %d rows, or cap the vocabulary (num_words=)",
                                what, mx, l->name, (long long)rows, (long long)rows - 1, mx + 1);
    }
    return DC_OK;
}

static dc_status check_data(const dc_model *m, const dc_dataset *d, const char *what) {
    if (!d || (!inputs_named(m, d) && !fits_input(m, d))) {
        char want[128] = "";
        size_t k = 0;
        for (int i = 0; i < m->in_ndim; i++) k += (size_t)snprintf(want + k, sizeof want - k, i ? "x%lld" : "%lld", (long long)m->in_shape[i]);
        const int64_t all = dc_model_inputs_size(m);
        if (all != dc_shape_size(m->in_ndim, m->in_shape))
            return dc_set_error(DC_ERR_INVALID, "%s: samples of %lld values do not fit the model's inputs, which take %lld together "
                                                "(the first %s, the others after it, in the order of the input lines)",
                                what, d ? (long long)d->x.size : 0LL, (long long)all, want);
        return dc_set_error(DC_ERR_INVALID, "%s: samples of %lld values do not fit the model's input %s", what,
                            d ? (long long)d->x.size : 0LL, want);
    }
    int co = dc_model_class_output(m);
    int64_t O = node_width(m, dc_model_output_node(m, 0));
    if (co >= 0 && dc_dataset_has_targets(d) && d->y.dtype == DC_I32 && m->recipe.loss == DC_LOSS_CATEGORICAL_CE &&
        d->num_classes > node_width(m, co) / labels_per_sample(d))
        return dc_set_error(DC_ERR_INVALID, "%s: the data has %d classes but the model outputs %lld values", what,
                            d->num_classes, (long long)(node_width(m, co) / labels_per_sample(d)));
    if (dc_dataset_has_targets(d) && d->y.dtype == DC_F32 && O != d->y.size)
        return dc_set_error(DC_ERR_INVALID, "%s: %lld regression targets per row but the model outputs %lld values", what,
                            (long long)d->y.size, (long long)O);
    if (d->n == 0) return dc_set_error(DC_ERR_INVALID, "%s: the dataset is empty", what);
    dc_status ids = check_ids(m, d, what);
    if (ids) return ids;
    for (int i = 0; i < m->recipe.nlosses; i++) {
        const dc_loss_spec *s = &m->recipe.losses[i];
        if (s->target == DC_TARGET_NAMED && !dc_dataset_array(d, s->target_name)) {
            char have[256] = "";
            for (int k = 0; k < d->narrays; k++)
                snprintf(have + strlen(have), sizeof have - strlen(have), "%s%s", k ? ", " : "", d->array_name[k]);
            return dc_set_error(DC_ERR_INVALID, "%s: loss %s: target \"%s\" is not an array of the data (its named arrays: %s)", what,
                                s->name, s->target_name, d->narrays ? have : "none");
        }
    }
    return DC_OK;
}

/* The batch tensors of rows idx[0..n): x in the model's input shape, and
 * the targets as class labels (y, I32) or values (yf, F32); NULL where the
 * data has none; the data's named arrays fed to g. idx NULL: x and one
 * label per sample, to be filled by the caller (the prefetch thread
 * prepared them). */
static dc_status make_batch(dc_graph *g, const dc_model *m, const dc_dataset *d, const int64_t *idx, int64_t n,
                            dc_tensor **x, dc_tensor **y, dc_tensor **yf) {
    int64_t shape[DC_MAX_DIMS];
    shape[0] = n;
    memcpy(shape + 1, m->in_shape, sizeof(int64_t) * (size_t)m->in_ndim);
    *y = *yf = NULL;
    if (!idx) {
        *x = dc_input(g, DC_F32, m->in_ndim + 1, shape);
        *y = dc_input(g, DC_I32, 1, shape);
        return *x && *y ? DC_OK : DC_ERR_NOMEM;
    }
    dc_tensor *t;
    dc_status st = dc_dataset_batch(d, g, idx, n, x, &t);
    if (!st) st = dc_dataset_feed(d, g, idx, n); /* named arrays under their names: loss lines' target=NAME */
    if (st) return st;
    if (d->x.size == dc_shape_size(m->in_ndim, m->in_shape)) { /* one input: a view in its shape, same values */
        (*x)->ndim = m->in_ndim + 1;
        memcpy((*x)->shape, shape, sizeof(int64_t) * (size_t)(m->in_ndim + 1));
    }
    if (t && t->dtype == DC_I32) *y = t;
    else *yf = t;
    return DC_OK;
}

/* Mean loss, accuracy and loss parts over rows [off, off + count) of d, in
 * eval mode. Sampling layers draw from a generator of their own here, so
 * evaluating never moves the training run's stream. */
static dc_status evaluate_on(const dc_model *m, dc_graph *g, const dc_dataset *d, int64_t off, int64_t count, int batch,
                             dc_epoch_stats *e, dc_progress *p) {
    int64_t *idx = malloc(sizeof(int64_t) * (size_t)(batch > count ? count : batch));
    if (!idx) return dc_set_error(DC_ERR_NOMEM, "evaluate: out of memory");
    double lsum = 0.0, psum[DC_MAX_LOSS_PARTS] = {0};
    int64_t correct = 0, counted = 0;
    dc_status st = DC_OK;
    dc_rng eval_rng, *train_rng = dc_graph_rng(g);
    dc_rng_seed(&eval_rng, 0x5EED);
    dc_graph_set_rng(g, &eval_rng);
    dc_graph_set_training(g, 0);
    dc_graph_set_grad_enabled(g, 0);
    const int co = dc_model_class_output(m), acc = has_accuracy(m, d);
    for (int64_t s = 0; s < count && !st; s += batch) {
        int64_t n = count - s < batch ? count - s : batch;
        for (int64_t i = 0; i < n; i++) idx[i] = off + s + i;
        dc_graph_reset(g);
        dc_tensor *x, *y, *yf, *l = NULL;
        dc_value *vals;
        if ((st = make_batch(g, m, d, idx, n, &x, &y, &yf))) break;
        if ((st = dc_model_forward_joined(m, g, x, &vals))) break;
        if (!(l = dc_model_build_loss(m, g, vals, x, y, yf))) {
            st = DC_ERR_INVALID;
            break;
        }
        lsum += (double)l->data[0] * (double)n;
        add_parts(g, psum, n);
        if (acc) correct += batch_correct(vals[co].y, y, &counted);
        dc_progress_validate(p, s / batch + 1, (count + batch - 1) / batch);
    }
    dc_graph_set_grad_enabled(g, 1);
    dc_graph_set_rng(g, train_rng);
    free(idx);
    if (!st) {
        e->loss = lsum / (double)count;
        e->accuracy = acc && counted ? (double)correct / (double)counted : NAN;
        e->samples = count;
        e->counted = acc ? counted : 0;
        name_parts(g, e);
        for (int i = 0; i < e->nparts; i++) e->part[i] = psum[i] / (double)count;
    }
    return st;
}

dc_status dc_evaluate_stats(const dc_model *m, const dc_dataset *data, int batch_size, dc_epoch_stats *stats) {
    dc_status st = check_data(m, data, "evaluate");
    if (st) return st;
    dc_graph *g = dc_graph_new();
    if (!g) return DC_ERR_NOMEM;
    dc_get_num_threads();
    memset(stats, 0, sizeof *stats);
    stats->val_loss = stats->val_accuracy = stats->lr = NAN;
    st = evaluate_on(m, g, data, 0, data->n, batch_size > 0 ? batch_size : 256, stats, NULL);
    dc_graph_free(g);
    return st;
}

dc_status dc_evaluate(const dc_model *m, const dc_dataset *data, int batch_size, double *loss, double *accuracy) {
    dc_epoch_stats e;
    dc_status st = dc_evaluate_stats(m, data, batch_size, &e);
    if (!st) {
        *loss = e.loss;
        *accuracy = e.accuracy;
    }
    return st;
}

/* The values of node `node` for n samples of data (node_width each); the
 * model's output also as probabilities where its loss reads logits. */
static dc_status predict_node(const dc_model *m, const dc_dataset *data, int64_t n, int batch_size, int node, float *out) {
    if (!fits_input(m, data)) return check_data(m, data, "predict");
    if (n < 0 || n > data->n) return dc_set_error(DC_ERR_INVALID, "predict: %lld samples requested, the data has %lld", (long long)n, (long long)data->n);
    int batch = batch_size > 0 ? batch_size : 256;
    const int64_t C = node_width(m, node);
    const int is_output = node == dc_model_output_node(m, 0);
    dc_graph *g = dc_graph_new();
    int64_t *idx = malloc(sizeof(int64_t) * (size_t)batch);
    dc_status st = DC_OK;
    if (!g || !idx) {
        dc_graph_free(g);
        free(idx);
        return dc_set_error(DC_ERR_NOMEM, "predict: out of memory");
    }
    dc_get_num_threads();
    dc_graph_set_grad_enabled(g, 0);
    dc_rng rng; /* for sampling layers */
    dc_rng_seed(&rng, 0x5EED);
    dc_graph_set_rng(g, &rng);
    for (int64_t s = 0; s < n && !st; s += batch) {
        int64_t b = n - s < batch ? n - s : batch;
        for (int64_t i = 0; i < b; i++) idx[i] = s + i;
        dc_graph_reset(g);
        dc_tensor *x, *y, *yf;
        if ((st = make_batch(g, m, data, idx, b, &x, &y, &yf))) break;
        dc_value *vals;
        if ((st = dc_model_forward_joined(m, g, x, &vals))) break;
        memcpy(out + s * C, vals[node].y->data, sizeof(float) * (size_t)(b * C));
        if (is_output) dc_model_output_probabilities(m, node, &vals[node], out + s * C, b * C);
    }
    free(idx);
    dc_graph_free(g);
    return st;
}

dc_status dc_predict(const dc_model *m, const dc_dataset *data, int64_t n, int batch_size, float *out) {
    return predict_node(m, data, n, batch_size, dc_model_output_node(m, 0), out);
}

dc_status dc_predict_layer(const dc_model *m, const dc_dataset *data, int64_t n, int batch_size, const char *layer, float *out) {
    for (int i = 0; i < m->nnodes; i++)
        if (!strcmp(m->nodes[i]->name, layer)) return predict_node(m, data, n, batch_size, i, out);
    return dc_set_error(DC_ERR_INVALID, "predict: the model has no layer named \"%s\"", layer);
}

/* ---- the loop ---------------------------------------------------------------- */

/* The values of the model's running statistics (batch normalization's
 * running mean and variance: the buffers a training forward updates, not
 * the frozen parameters that also live in m->buffers): their count, and
 * each tensor's values passed to visit (if not NULL). */
static int64_t running_stats(dc_model *m, void (*visit)(float *v, int64_t n, void *user), void *user) {
    int64_t total = 0;
    for (int i = 0; i < m->nnamed; i++) {
        const dc_named_param *p = &m->named[i];
        if (!p->buffer || !p->decl || !p->decl->buffer || p->t->dtype != DC_F32) continue;
        if (visit) visit(p->t->data, p->t->size, user);
        total += p->t->size;
    }
    return total;
}

typedef struct {
    dc_model *m;
    const dc_dataset *train, *val;
    dc_train_state *s;
    dc_graph *g;
    const dc_fit_options *o;
    dc_schedule sched; /* the recipe's, with t_max=auto resolved for this run */
    dc_overlap *overlap; /* data-parallel: gradients reduced during backward (grads_ready), or NULL */
    /* the rows of the data set this rank holds (dc_fit_options.data_rows):
     * [off, off + held) of n_all; off 0, held n_all unless sharded */
    int64_t n_all, off, held;
    int64_t *local; /* a batch's rows held here, as indices into the data (sharded: batch_size of them) */
    int64_t *share, *place; /* prefetching: this rank's rows of a batch and their places in it (batch_size each) */
    int64_t group_rows; /* data-parallel: the rows this rank ran since the last optimizer step */
    double *stats;      /* data-parallel with running statistics: 1 + nstats sums to average (sync_running_stats) */
    int64_t nstats;
} fit_ctx;

/* Sharded data: this rank's rows among rows[0..n) of the batch, as indices
 * into its part, in out, and their places in the batch in place (if not
 * NULL); their count. */
static int64_t held_rows(const fit_ctx *c, const int64_t *rows, int64_t n, int64_t *out, int64_t *place) {
    int64_t k = 0;
    for (int64_t i = 0; i < n; i++)
        if (rows[i] >= c->off && rows[i] < c->off + c->held) {
            if (place) place[k] = i;
            out[k++] = rows[i] - c->off;
        }
    return k;
}

/* The run's schedule: a cosine with t_max=auto (0) lasts the run after its
 * warmup — its epochs, or its optimizer steps when stepped per batch — so
 * a run shortened with --epochs or --steps-per-epoch still decays to
 * eta_min (a fixed t_max=1900 in a 20-step run never did: issue 16). */
static dc_schedule run_schedule(const dc_model *m, const dc_train_state *s) {
    dc_schedule sc = m->recipe.fit.schedule;
    if (sc.kind == DC_SCHED_COSINE && sc.t_max <= 0) {
        const int64_t steps = (s->epoch_rows + s->batch_size - 1) / s->batch_size;
        const int64_t K = m->recipe.fit.accumulate > 1 ? m->recipe.fit.accumulate : 1;
        int64_t len = sc.per_step ? (int64_t)s->epochs * ((steps + K - 1) / K) : s->epochs;
        len -= sc.warmup > 0 ? sc.warmup : 0;
        sc.t_max = len < 1 ? 1 : len > INT32_MAX ? INT32_MAX : (int)len;
    }
    return sc;
}

/* Seed of a batch's augmentation: a function of the run's seed and the
 * batch's place, so the background thread can draw it without touching the
 * run's generator (and a resumed run draws the same). splitmix64. */
static uint64_t batch_seed(uint64_t seed, int epoch, int64_t step) {
    uint64_t z = seed + 0x9E3779B97F4A7C15ULL * (((uint64_t)epoch << 32) + (uint64_t)step + 1);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static int64_t gcd64(int64_t a, int64_t b) {
    while (b) {
        int64_t t = a % b;
        a = b, b = t;
    }
    return a;
}

/* The rows of step `step` of the epoch, which start at `start` of the
 * epoch's order. A stream's are random windows (with replacement, as
 * nanoGPT draws them), the epoch's i-th drawn from a seed of (seed, epoch,
 * i) when its step comes, into one of two halves of perm (the prefetcher
 * reads the next step's while this one trains). So memory and checkpoints
 * do not grow with the epoch's length (red team 3, F10), a resumed run
 * draws the same windows without a stored list, and the windows do not
 * depend on how they are cut into batches (accumulate=4 at batch 8 sees
 * those of batch 32). */
static const int64_t *batch_rows(fit_ctx *c, int64_t step, int64_t start, int64_t n) {
    dc_train_state *s = c->s;
    if (!s->stream && start + n <= s->ntrain) return s->perm + start;
    if (!s->stream) { /* an epoch of several passes: pass p > 0 reads the shuffle through j -> (a j + b) mod ntrain */
        int64_t *rows = s->perm + s->ntrain + (step & 1) * s->batch_size;
        const int64_t N = s->ntrain;
        for (int64_t i = 0; i < n; i++) {
            const int64_t g = start + i, pass = g / N, j = g % N;
            if (pass == 0) {
                rows[i] = s->perm[j];
                continue;
            }
            dc_rng r;
            dc_rng_seed(&r, batch_seed(s->seed ^ 0x9A55E5ULL, s->epoch, pass));
            int64_t a = 1 + (int64_t)dc_rng_below(&r, (uint32_t)(N > 1 ? N - 1 : 1)), b = (int64_t)dc_rng_below(&r, (uint32_t)N);
            while (gcd64(a, N) != 1) a = a % (N - 1) + 1; /* a unit mod N: the map is a permutation */
            rows[i] = s->perm[(int64_t)(((unsigned __int128)a * (uint64_t)j + (uint64_t)b) % (uint64_t)N)];
        }
        return rows;
    }
    int64_t *rows = s->perm + (step & 1) * s->batch_size;
    for (int64_t i = 0; i < n; i++) {
        dc_rng r;
        dc_rng_seed(&r, batch_seed(s->seed ^ 0x5743A11D0E5ULL, s->epoch, start + i));
        rows[i] = (int64_t)dc_rng_below(&r, (uint32_t)c->n_all); /* (sharded: over every rank's windows) */
    }
    return rows;
}

/* Ask the prefetcher for this rank's rows of step `step`'s batch (the whole
 * batch in one process), each augmented with the draws of its place in the
 * whole batch: the ranks' samples together are one process's batch, and a
 * rank prepares only its own. */
static void request_batch(fit_ctx *c, dc_prefetch *pf, int slot, int64_t step, int64_t start, int64_t n) {
    const int64_t *rows = batch_rows(c, step, start, n);
    const int world = c->o->world > 1 ? c->o->world : 1, rank = world > 1 ? c->o->rank : 0;
    int64_t k = 0;
    if (c->local) { /* sharded data: the rows this rank holds, wherever they fall */
        k = held_rows(c, rows, n, c->share, c->place);
    } else { /* its share of the batch, as train_step cuts it */
        for (int64_t i = n * rank / world; i < n * (rank + 1) / world; i++) c->share[k] = rows[i], c->place[k++] = i;
    }
    dc_prefetch_request(pf, slot, c->share, c->place, k, batch_seed(c->s->seed, c->s->epoch, step));
}

static dc_status sharded_step(fit_ctx *c);
static dc_status sync_running_stats(fit_ctx *c);

/* One training step on rows idx[0..n), or on a batch already prepared in
 * px/py (by the background thread). Adds to the epoch's running sums. With
 * accumulation (fit accumulate=K), batch `step` adds its gradients (1/K of
 * them) and every K-th batch, or the epoch's last, takes the optimizer
 * step. */
static dc_status train_step(fit_ctx *c, const int64_t *idx, int64_t n, const float *px, const int32_t *py, int64_t steps) {
    dc_model *m = c->m;
    dc_graph *g = c->g;
    dc_graph_reset(g);
    const int world = c->o->world > 1 ? c->o->world : 1, rank = world > 1 ? c->o->rank : 0;
    /* this rank's share of the batch; its loss is scaled by share / (n / world),
     * so that the ranks' gradients averaged are the whole batch's. Sharded
     * data: the batch's rows this rank holds, however many. */
    int64_t r0 = n * rank / world, rn = n * (rank + 1) / world - r0;
    if (c->local) {
        rn = held_rows(c, idx, n, c->local, NULL);
        idx = c->local, r0 = 0;
    }
    const float share = (float)((double)rn * world / (double)n);
    const int64_t K = m->recipe.fit.accumulate > 1 ? m->recipe.fit.accumulate : 1, first = c->s->step / K * K;
    const int64_t group = first + K <= steps ? K : steps - first; /* the group's share: 1/K (1/what is left for a short last group) */
    const int last = c->s->step + 1 == first + group;
    if (c->s->step == first) dc_k_zero(m->nparams, m->grads), c->group_rows = 0;
    c->group_rows += rn;
    dc_tensor *x = NULL, *y = NULL, *yf = NULL, *out = NULL;
    double loss = 0.0;
    dc_status st = DC_OK;
    if (rn > 0) { /* a rank may get no row of a short last batch: it still takes part in the all-reduce */
        st = make_batch(g, m, c->train, px ? NULL : idx + r0, rn, &x, &y, &yf);
        if (st) return st;
        if (px) { /* the prefetched batch: this rank's rows of it (request_batch) */
            memcpy(x->data, px, sizeof(float) * (size_t)x->size);
            memcpy(y->idata, py, sizeof(int32_t) * (size_t)rn);
            if ((st = dc_dataset_feed(c->train, g, idx + r0, rn))) return st; /* the named arrays, not prefetched */
        }
        if (last && c->overlap) dc_overlap_arm(c->overlap, g); /* the step's gradients complete in this backward */
        st = batch_backward(m, g, x, y, yf, share / (float)group, c->o->callbacks, &loss, &out);
        if (last && c->overlap) {
            dc_status os = dc_overlap_disarm(c->overlap, g);
            st = st ? st : os;
        }
        if (st) return st;
    }
    if (last && (st = c->s->sharded ? sharded_step(c) : optimizer_step(m, c->s->opt, c->o->callbacks))) return st;
    if (last && c->stats && (st = sync_running_stats(c))) return st;
    if (last && c->s->pruning && (st = dc_prune_after_step(c->s, m))) return st;
    c->s->lsum += loss * (double)rn;
    if (rn > 0) add_parts(g, c->s->psum, rn);
    if (out && y) c->s->correct += batch_correct(out, y, &c->s->counted);
    c->s->seen += rn;
    return DC_OK;
}

/* Value of a named metric in an epoch's stats (NAN if unknown or absent). */
static double metric_of(const dc_epoch_stats *e, const char *name) {
    if (!strcmp(name, "loss")) return e->loss;
    if (!strcmp(name, "accuracy")) return e->accuracy;
    if (!strcmp(name, "val_loss")) return e->val_loss;
    if (!strcmp(name, "val_accuracy")) return e->val_accuracy;
    return NAN;
}

/* Validation metrics when there is validation data, training ones otherwise. */
static double monitored(const dc_epoch_stats *e, const char *name) {
    double v = metric_of(e, name);
    if (isnan(v) && !strncmp(name, "val_", 4)) v = metric_of(e, name + 4);
    return v;
}

/* ---- the optimizer's state sharded over the ranks (ZeRO stage 1) ---------- */

static int sharding(const dc_fit_options *o) { return o->shard_optimizer && o->world > 1; }

/* The hooks a sharded step needs, and this rank's slice of the state:
 * a new run's optimizer is made for the slice alone (init_state); a
 * resumed one, read whole from its file, keeps its slice. */
static dc_status shard_state(fit_ctx *c) {
    const dc_callbacks *cb = c->o->callbacks;
    dc_train_state *s = c->s;
    if (!cb || !cb->reduce_scatter || !cb->all_gather || !cb->gather_range || !cb->reduce_stats)
        return dc_set_error(DC_ERR_INVALID, "fit: shard_optimizer needs the reduce_scatter, all_gather, gather_range and reduce_stats callbacks");
    int64_t lo, hi;
    dc_shard_range(c->m->nparams, c->o->rank, c->o->world, &lo, &hi);
    if (s->sharded) {
        if (s->shard_lo != lo || s->shard_hi != hi)
            return dc_set_error(DC_ERR_INVALID, "fit: the state holds the optimizer's slice of another number of ranks");
        return DC_OK;
    }
    dc_optimizer *slice = dc_optimizer_slice(s->opt, lo, hi);
    if (!slice) return DC_ERR_NOMEM;
    dc_optimizer_free(s->opt);
    s->opt = slice;
    s->sharded = 1, s->shard_lo = lo, s->shard_hi = hi;
    return DC_OK;
}

/* Every rank's slice of the optimizer gathered into a whole one on rank 0
 * (*whole; NULL on the other ranks): the state fit returns. */
static dc_status gather_optimizer(const dc_model *m, const dc_train_state *s, const dc_fit_options *o, dc_optimizer **whole) {
    const dc_callbacks *cb = o->callbacks;
    dc_optimizer *w = NULL;
    *whole = NULL;
    if (o->rank == 0) {
        if (!(w = dc_optimizer_new(m->recipe.opt, m->nparams))) return DC_ERR_NOMEM; /* (the other ranks are stopped by the caller's abort) */
        dc_optimizer_set_lr(w, dc_optimizer_lr(s->opt));
        dc_optimizer_set_steps(w, dc_optimizer_steps(s->opt));
    }
    for (int b = 0; b < dc_optimizer_num_buffers(s->opt); b++)
        if (cb->gather_range((dc_model *)m, dc_optimizer_buffer(s->opt, b), w ? dc_optimizer_buffer(w, b) : NULL, 0, m->nparams,
                             m->nparams, cb->user)) {
            dc_optimizer_free(w);
            return dc_set_error(DC_ERR_INTERRUPTED, "fit: stopped by the gather_range callback");
        }
    *whole = w;
    return DC_OK;
}

/* A sharded optimizer buffer written piece by piece on rank 0: each piece
 * the file writer asks for (dc_st_entry.fill) is gathered from the ranks
 * that hold it. The other ranks walk the same pieces in
 * dc_model_save_state_ranks. */
typedef struct {
    const dc_model *m;
    const dc_train_state *s;
    const dc_fit_options *o;
    int buffer;
} piece_source;

static dc_status fill_piece(void *user, int64_t offset, int64_t bytes, void *dst) {
    const piece_source *p = user;
    const dc_callbacks *cb = p->o->callbacks;
    const int64_t lo = offset / (int64_t)sizeof(float), hi = lo + bytes / (int64_t)sizeof(float);
    if (cb->gather_range((dc_model *)p->m, dc_optimizer_buffer(p->s->opt, p->buffer), dst, lo, hi, p->m->nparams, cb->user))
        return dc_set_error(DC_ERR_INTERRUPTED, "save: stopped by the gather_range callback");
    return DC_OK;
}

dc_status dc_model_save_state_ranks(const dc_model *m, const dc_train_state *s, const char *path, const dc_fit_options *o) {
    const int writer = o->world <= 1 || o->rank == 0;
    if (!s || !s->sharded) return writer ? dc_model_save_state(m, s, path) : DC_OK;
    const dc_callbacks *cb = o->callbacks;
    if (o->world <= 1 || !cb || !cb->gather_range)
        return dc_set_error(DC_ERR_INVALID, "save %s: a sharded state is saved by every rank, with the gather_range callback", path);
    const int nb = dc_optimizer_num_buffers(s->opt) < 4 ? dc_optimizer_num_buffers(s->opt) : 4;
    if (writer) {
        piece_source src[4];
        void *users[4];
        for (int b = 0; b < nb; b++) src[b] = (piece_source){m, s, o, b}, users[b] = &src[b];
        return dc_train_state_save_filled(m, s, path, fill_piece, users);
    }
    /* the writer's pieces, in its order: buffer by buffer, DC_ST_FILL_BYTES at a time */
    const int64_t step = DC_ST_FILL_BYTES / (int64_t)sizeof(float);
    for (int b = 0; b < nb; b++)
        for (int64_t lo = 0; lo < m->nparams; lo += step)
            if (cb->gather_range((dc_model *)m, dc_optimizer_buffer(s->opt, b), NULL, lo, lo + step < m->nparams ? lo + step : m->nparams,
                                 m->nparams, cb->user))
                return dc_set_error(DC_ERR_INTERRUPTED, "save: stopped by the gather_range callback");
    return DC_OK;
}

/* Save model and state to path: rank 0 writes; sharded, every rank sends
 * its slices as rank 0 writes them, so every rank must call it. */
static dc_status save_state(fit_ctx *c, const char *path) { return dc_model_save_state_ranks(c->m, c->s, path, c->o); }

/* When fit returns: rank 0's state made whole, as the caller saves it. */
static dc_status unshard_state(fit_ctx *c) {
    dc_train_state *s = c->s;
    dc_optimizer *whole;
    dc_status st = gather_optimizer(c->m, s, c->o, &whole);
    if (st || !whole) return st;
    dc_optimizer_free(s->opt);
    s->opt = whole, s->sharded = 0;
    return DC_OK;
}

/* A sharded optimizer step: the gradients averaged into this rank's slice
 * (reduce_scatter), clipped as the whole buffer would be (the squares'
 * sum over every slice), the slice stepped, then every rank's slice of
 * the parameters gathered (all_gather). Each parameter's update is the
 * unsharded one; only the norm's sum is added in another order. */
static dc_status sharded_step(fit_ctx *c) {
    dc_model *m = c->m;
    dc_train_state *s = c->s;
    const dc_callbacks *cb = c->o->callbacks;
    const int64_t lo = s->shard_lo, k = s->shard_hi - s->shard_lo;
    if (cb->reduce_scatter(m, m->grads, m->nparams, cb->user))
        return dc_set_error(DC_ERR_INTERRUPTED, "fit: stopped by the reduce_scatter callback");
    float *g = m->grads + lo;
    const float max_norm = m->recipe.opt.clip_norm;
    if (max_norm > 0.0f) {
        double ss = dc_grad_sum_squares(g, k);
        if (cb->reduce_stats(m, &ss, 1, cb->user)) return dc_set_error(DC_ERR_INTERRUPTED, "fit: stopped by the reduce_stats callback");
        const double coef = (double)max_norm / (sqrt(ss) + 1e-6); /* dc_clip_grad_norm's */
        if (coef < 1.0)
            for (int64_t i = 0; i < k; i++) g[i] *= (float)coef;
    }
    if (m->recipe.opt.clip_value > 0.0f) dc_clip_grad_value(g, k, m->recipe.opt.clip_value);
    dc_optimizer_step(s->opt, m->params + lo, g);
    if (cb->all_gather(m, m->params, m->nparams, cb->user))
        return dc_set_error(DC_ERR_INTERRUPTED, "fit: stopped by the all_gather callback");
    return DC_OK;
}

typedef struct {
    double *sums, weight; /* the statistics' values in order: times weight (put), or sums / weight read back */
    int64_t at;
    int put;
} stats_walk;

static void put_or_take(float *v, int64_t n, void *user) {
    stats_walk *w = user;
    for (int64_t i = 0; i < n; i++, w->at++)
        if (w->put) w->sums[w->at] = w->weight * (double)v[i];
        else v[i] = (float)(w->sums[w->at] / w->weight);
}

/* Data-parallel runs: each rank's forward passes moved its running
 * statistics with its own rows only. After each optimizer step they become
 * their average over the ranks, weighted by the rows each ran (reduce_stats
 * sums rows * value and rows): every rank then validates and saves the same
 * statistics, and, the update being linear, the running mean is the one
 * the whole batch gives in one process. (PyTorch's DDP broadcasts rank 0's
 * instead, which uses a rank's rows only.) Equal values stay equal: rows *
 * value is exact in double. */
static dc_status sync_running_stats(fit_ctx *c) {
    const dc_callbacks *cb = c->o->callbacks;
    stats_walk w = {.sums = c->stats + 1, .weight = (double)c->group_rows, .put = 1};
    running_stats(c->m, put_or_take, &w);
    c->stats[0] = (double)c->group_rows;
    if (cb->reduce_stats(c->m, c->stats, (int)(c->nstats + 1), cb->user))
        return dc_set_error(DC_ERR_INTERRUPTED, "fit: stopped by the reduce_stats callback");
    if (!(c->stats[0] > 0.0)) return DC_OK; /* no rank ran a row (cannot happen: a batch has one) */
    w = (stats_walk){.sums = c->stats + 1, .weight = c->stats[0]};
    running_stats(c->m, put_or_take, &w);
    return DC_OK;
}

/* The tokens a stream's windows span: all its tokens, or, when its window
 * count was cut (dc_dataset.n lowered: --limit), those of its first n. */
static int64_t stream_span(const dc_dataset *d) {
    const int64_t T = d->x.size, full = (d->stream.ntokens - T - 1) / d->stream.stride + 1;
    return d->n >= full ? d->stream.ntokens : (d->n - 1) * d->stream.stride + T + 1;
}

static dc_status init_state(fit_ctx *c, const dc_dataset *data) {
    dc_model *m = c->m;
    const dc_fit_options *o = c->o;
    dc_train_state *s = c->s;
    s->epochs = o->epochs > 0 ? o->epochs : m->recipe.fit.epochs;
    s->batch_size = o->batch_size > 0 ? o->batch_size : m->recipe.fit.batch_size;
    s->validation_split = o->validation_split >= 0.0f ? o->validation_split : m->recipe.fit.validation_split;
    s->shuffle = o->shuffle >= 0 ? o->shuffle : m->recipe.fit.shuffle;
    s->seed = o->seed ? o->seed : m->recipe.fit.seed;
    s->n_data = c->n_all;
    s->ntrain = c->n_all;
    if (s->batch_size <= 0) return dc_set_error(DC_ERR_INVALID, "fit: batch size must be positive");
    if (data->kind == DC_DATASET_STREAM) { /* a stream: an epoch is steps of random windows (batch_rows draws them) */
        int64_t steps = m->recipe.fit.steps_per_epoch;
        /* the training stream's tokens: its windows' (every rank's, when sharded) */
        const int64_t ntok = c->n_all == data->n ? stream_span(data) : (c->n_all - 1) * data->stream.stride + data->x.size + 1;
        if (steps <= 0) steps = (ntok + s->batch_size * data->x.size - 1) / (s->batch_size * data->x.size);
        if (steps > INT64_MAX / s->batch_size) return dc_set_error(DC_ERR_INVALID, "fit: %lld steps per epoch is too many", (long long)steps);
        s->ntrain = steps * s->batch_size;
        s->stream = 1;
    } else if (!o->validation && s->validation_split > 0.0f) {
        /* Keras: the last fraction of the data, taken before shuffling. A
         * range of the same data set, not a copy. */
        s->nval = (int64_t)((double)c->n_all * s->validation_split);
        if (s->nval < 1 || s->nval >= c->n_all)
            return dc_set_error(DC_ERR_INVALID, "fit: validation split %g of %lld samples leaves an empty part",
                                s->validation_split, (long long)c->n_all);
        s->ntrain = c->n_all - s->nval;
        s->val_off = s->ntrain;
    }
    /* steps_per_epoch above one pass: several passes (Keras' with a repeated
     * dataset), every batch full */
    s->epoch_rows = s->ntrain;
    const int64_t spe = m->recipe.fit.steps_per_epoch;
    if (!s->stream && spe > (s->ntrain + s->batch_size - 1) / s->batch_size) {
        if (spe > INT64_MAX / s->batch_size) return dc_set_error(DC_ERR_INVALID, "fit: %lld steps per epoch is too many", (long long)spe);
        s->epoch_rows = spe * s->batch_size;
    }
    if (sharding(o)) { /* the optimizer made for this rank's slice alone */
        s->sharded = 1;
        dc_shard_range(m->nparams, o->rank, o->world, &s->shard_lo, &s->shard_hi);
    }
    dc_status st = dc_train_state_alloc(s, m, dc_train_state_perm_len(s));
    if (st) return st;
    if (!s->stream)
        for (int64_t i = 0; i < s->ntrain; i++) s->perm[i] = i;
    dc_rng_seed(&s->rng, s->seed);
    s->sched = dc_schedule_start(&m->recipe.fit.schedule, m->recipe.opt.lr);
    s->es_best = m->recipe.fit.early_stopping.mode_max ? -INFINITY : INFINITY;
    s->initialized = 1;
    return DC_OK;
}

static void log_csv(const char *path, const dc_train_state *s, const dc_epoch_stats *e) {
    FILE *f = fopen(path, s->epoch == 1 ? "w" : "a");
    if (!f) { /* training goes on: the log is not worth the run */
        fprintf(stderr, "deepc: warning: cannot write the log %s (%s)\n", path, strerror(errno));
        return;
    }
    if (s->epoch == 1 || (!fseek(f, 0, SEEK_END) && ftell(f) == 0)) /* (a resumed run's new log gets one too) */
        fprintf(f, "epoch,loss,accuracy,val_loss,val_accuracy,lr,seconds\n");
    fprintf(f, "%d,%.6g,%.6g,%.6g,%.6g,%.6g,%.4f\n", s->epoch, e->loss, e->accuracy, e->val_loss, e->val_accuracy, e->lr,
            e->seconds);
    fclose(f);
}

/* Early stopping after an epoch: returns 1 to stop. */
static int early_stop_check(fit_ctx *c, const dc_epoch_stats *e, int *improved) {
    const dc_early_stopping *es = &c->m->recipe.fit.early_stopping;
    dc_train_state *s = c->s;
    double v = monitored(e, es->monitor[0] ? es->monitor : "val_loss");
    *improved = es->mode_max ? v - es->min_delta > s->es_best : v + es->min_delta < s->es_best;
    if (*improved) {
        s->es_best = v;
        s->es_wait = 0;
        s->es_best_epoch = s->epoch;
        if (s->best_params) memcpy(s->best_params, c->m->params, sizeof(float) * (size_t)c->m->nparams);
        return 0;
    }
    return es->enabled && !s->pruning && ++s->es_wait >= es->patience; /* a prune's epochs differ in sparsity */
}

static void fill_history(dc_history *h, const dc_train_state *s, int interrupted) {
    if (!h) return;
    h->epoch = malloc(sizeof *h->epoch * (size_t)(s->nhist ? s->nhist : 1));
    if (h->epoch) {
        if (s->nhist) memcpy(h->epoch, s->hist, sizeof *h->epoch * (size_t)s->nhist);
        h->epochs_run = s->nhist;
    }
    h->interrupted = interrupted;
    h->stopped_early = s->stopped_early;
    h->best_epoch = s->es_best_epoch;
}

static dc_status run_epochs_loop(fit_ctx *c, dc_prefetch *pf, int64_t steps, int64_t budget);

/* Data-parallel: the epoch's sums over every rank (the reduce_stats hook). */
static dc_status reduce_epoch(fit_ctx *c) {
    dc_train_state *s = c->s;
    const dc_callbacks *cb = c->o->callbacks;
    if (!cb || !cb->reduce_stats) return dc_set_error(DC_ERR_INVALID, "fit: world %d needs a reduce_stats callback", c->o->world);
    double v[4 + DC_MAX_LOSS_PARTS] = {s->lsum, (double)s->seen, (double)s->correct, (double)s->counted};
    for (int i = 0; i < DC_MAX_LOSS_PARTS; i++) v[4 + i] = s->psum[i];
    if (cb->reduce_stats(c->m, v, 4 + DC_MAX_LOSS_PARTS, cb->user))
        return dc_set_error(DC_ERR_INTERRUPTED, "fit: stopped by the reduce_stats callback");
    s->lsum = v[0], s->seen = (int64_t)v[1], s->correct = (int64_t)v[2], s->counted = (int64_t)v[3];
    for (int i = 0; i < DC_MAX_LOSS_PARTS; i++) s->psum[i] = v[4 + i];
    return DC_OK;
}

/* The epoch's validation on the first nval rows of the validation part.
 * Sharded data: on the rows of it this rank holds, the sums added over
 * the ranks (each rank's batches are the whole part's, cut at its edges:
 * only the sums' order differs from one process's). */
static dc_status validate(fit_ctx *c, int64_t nval, dc_epoch_stats *v, dc_progress *p) {
    dc_train_state *s = c->s;
    const int part = c->o->world > 1 && c->o->validation && c->o->validation_rows > 0; /* each rank holds a part of the given validation set */
    if (!part && (!c->local || c->val != c->train)) return evaluate_on(c->m, c->g, c->val, s->val_off, nval, s->batch_size, v, p);
    /* rows [val_off, val_off + nval) of what the rows [off, off + held) this rank holds are part of */
    const int64_t off = part ? c->o->validation_offset : c->off, held = part ? c->val->n : c->held;
    const int64_t lo = s->val_off > off ? s->val_off : off, hi0 = s->val_off + nval, hi = hi0 < off + held ? hi0 : off + held;
    dc_status st = DC_OK;
    memset(v, 0, sizeof *v);
    if (hi > lo && (st = evaluate_on(c->m, c->g, c->val, lo - off, hi - lo, s->batch_size, v, p))) return st;
    if ((st = dc_epoch_stats_reduce(c->m, v, c->o->callbacks))) return st;
    v->nparts = DC_MAX_LOSS_PARTS; /* (the caller takes the training's names and count) */
    return DC_OK;
}

dc_status dc_epoch_stats_reduce(dc_model *m, dc_epoch_stats *e, const dc_callbacks *cb) {
    if (!cb || !cb->reduce_stats) return dc_set_error(DC_ERR_INVALID, "evaluate: summing over the ranks needs a reduce_stats callback");
    const double n = (double)e->samples, k = (double)e->counted;
    double sums[4 + DC_MAX_LOSS_PARTS] = {n ? e->loss * n : 0.0, n, k ? (double)llround(e->accuracy * k) : 0.0, k};
    for (int i = 0; i < DC_MAX_LOSS_PARTS; i++) sums[4 + i] = n && i < e->nparts ? e->part[i] * n : 0.0;
    if (cb->reduce_stats(m, sums, 4 + DC_MAX_LOSS_PARTS, cb->user)) return dc_set_error(DC_ERR_INTERRUPTED, "evaluate: stopped by the reduce_stats callback");
    e->samples = (int64_t)sums[1], e->counted = (int64_t)sums[3];
    e->loss = sums[0] / sums[1];
    e->accuracy = sums[3] > 0 ? sums[2] / sums[3] : NAN;
    for (int i = 0; i < DC_MAX_LOSS_PARTS; i++) e->part[i] = sums[4 + i] / sums[1]; /* (every part: a rank with no rows knows no names) */
    return DC_OK;
}

/* Data-parallel: does any rank stop after this step (a signal, a hook)?
 * Every rank must stop at the same step, or the others would wait in the
 * next all-reduce forever. */
static dc_status agree_stop(fit_ctx *c, int *stop) {
    const dc_callbacks *cb = c->o->callbacks;
    double v = *stop ? 1.0 : 0.0;
    if (!cb || !cb->reduce_stats) return dc_set_error(DC_ERR_INVALID, "fit: world %d needs a reduce_stats callback", c->o->world);
    if (cb->reduce_stats(c->m, &v, 1, cb->user)) return dc_set_error(DC_ERR_INTERRUPTED, "fit: stopped by the reduce_stats callback");
    *stop = v > 0.0;
    return DC_OK;
}

static dc_status run_epochs(fit_ctx *c) {
    dc_model *m = c->m;
    dc_train_state *s = c->s;
    const dc_fit_options *o = c->o;
    const int64_t batch = s->batch_size, spe = m->recipe.fit.steps_per_epoch;
    int64_t steps = (s->epoch_rows + batch - 1) / batch, budget = o->stop_after_steps;
    if (spe > 0 && spe < steps) steps = spe; /* part of the data per epoch (the first rows of its shuffle) */
    dc_status st = DC_OK;
    /* augmented images are prepared by a background thread, one batch ahead */
    dc_prefetch pf = {0};
    const int prefetch = c->train->augment && m->in_ndim == 3 && dc_dataset_labels(c->train);
    if (prefetch && (st = dc_prefetch_start(&pf, c->train, batch, (int)m->in_shape[0], (int)m->in_shape[1], (int)m->in_shape[2])))
        return st;
    if (prefetch && (!(c->share = malloc(sizeof(int64_t) * (size_t)batch)) || !(c->place = malloc(sizeof(int64_t) * (size_t)batch))))
        st = dc_set_error(DC_ERR_NOMEM, "fit: out of memory for batch rows");
    if (!st) st = run_epochs_loop(c, prefetch ? &pf : NULL, steps, budget);
    if (prefetch) dc_prefetch_stop(&pf);
    free(c->share);
    free(c->place);
    c->share = c->place = NULL;
    return st;
}

static dc_status run_epochs_loop(fit_ctx *c, dc_prefetch *pf, int64_t steps, int64_t budget) {
    dc_model *m = c->m;
    dc_train_state *s = c->s;
    const dc_fit_options *o = c->o;
    FILE *out = o->out ? o->out : stdout;
    const int64_t batch = s->batch_size;
    const int per_step = m->recipe.fit.has_schedule && m->recipe.fit.schedule.per_step;
    dc_status st = DC_OK;
    dc_progress p = {0};
    int pending_stop = 0;
    if (o->world > 1 && o->rank != 0 && s->step > 0) { /* a resumed epoch: rank 0's state holds the sums of every rank so far */
        s->lsum = 0.0;
        memset(s->psum, 0, sizeof s->psum);
        s->correct = s->seen = s->counted = 0;
    }
    while (s->epoch < s->epochs && !s->stopped_early) {
        if (s->step == 0) {
            if (!s->stream && s->shuffle) dc_rng_shuffle(&s->rng, s->perm, s->ntrain);
            s->lsum = 0.0;
            memset(s->psum, 0, sizeof s->psum);
            s->correct = s->seen = s->counted = 0;
        }
        int slot = 0;
        if (pf) { /* the epoch's first batch */
            int64_t start = s->step * batch, n = s->epoch_rows - start < batch ? s->epoch_rows - start : batch;
            request_batch(c, pf, slot, s->step, start, n);
        }
        dc_optimizer_set_lr(s->opt, s->sched.lr);
        if (o->verbose) dc_progress_begin_epoch(&p, out, s->epoch + 1, s->epochs, steps);
        p.tokens_per_step = c->train->kind == DC_DATASET_STREAM ? batch * c->train->x.size : 0;
        double t0 = dc_now();
        while (s->step < steps) {
            int64_t start = s->step * batch, n = s->epoch_rows - start < batch ? s->epoch_rows - start : batch;
            const float *px = NULL;
            const int32_t *py = NULL;
            if (pf) {
                dc_prefetch_wait(pf);
                px = pf->x[slot];
                py = pf->y[slot];
                if (s->step + 1 < steps) { /* start on the next batch while this one trains */
                    int64_t s2 = start + batch, n2 = s->epoch_rows - s2 < batch ? s->epoch_rows - s2 : batch;
                    request_batch(c, pf, slot ^ 1, s->step + 1, s2, n2);
                }
                slot ^= 1;
            }
            if ((st = train_step(c, batch_rows(c, s->step, start, n), n, px, py, steps))) {
                if (st == DC_ERR_NUMERIC) {
                    char msg[512];
                    snprintf(msg, sizeof msg, "%s", dc_last_error());
                    dc_set_error(DC_ERR_NUMERIC, "fit: epoch %d, batch %lld: %s", s->epoch + 1, (long long)s->step + 1, msg);
                }
                return st;
            }
            s->step++;
            const int64_t K = m->recipe.fit.accumulate > 1 ? m->recipe.fit.accumulate : 1;
            const int stepped = s->step % K == 0 || s->step == steps; /* an optimizer step was taken */
            if (per_step && stepped) { /* a schedule stepped per optimizer step (warmup and cosine over the run's steps) */
                dc_schedule_step(&c->sched, &s->sched, m->recipe.opt.lr, NAN);
                dc_optimizer_set_lr(s->opt, s->sched.lr);
            }
            if (o->verbose) dc_progress_step(&p, s->step, s->lsum / (double)s->seen, has_accuracy(m, c->train) ? (double)s->correct / (double)(s->counted ? s->counted : 1) : NAN);
            const dc_callbacks *cb = o->callbacks;
            int hook_stop = cb && cb->after_batch &&
                            cb->after_batch(m, s->epoch + 1, s->step, s->seen ? s->lsum / (double)s->seen : NAN, cb->user);
            /* an atomic read: the flag is set from a signal handler on another thread */
            if (hook_stop || (o->stop && __atomic_load_n(o->stop, __ATOMIC_RELAXED)) || (budget > 0 && --budget == 0)) pending_stop = 1;
            if (!stepped) continue; /* stop only between optimizer steps: the gradients of a group are not saved */
            if (o->world > 1 && (st = agree_stop(c, &pending_stop))) return st;
            if (pending_stop) {
                /* data-parallel: the saved state (rank 0's) holds every rank's sums of the epoch so far */
                if (o->world > 1 && (st = reduce_epoch(c))) return st;
                if (o->verbose) fprintf(out, "\nInterrupted after batch %lld of epoch %d\n", (long long)s->step, s->epoch + 1);
                return dc_set_error(DC_ERR_INTERRUPTED, "fit: interrupted after epoch %d, batch %lld", s->epoch + 1,
                                    (long long)s->step);
            }
        }
        if (o->world > 1 && (st = reduce_epoch(c))) return st;
        dc_epoch_stats es = {s->lsum / (double)s->seen, has_accuracy(m, c->train) ? (double)s->correct / (double)(s->counted ? s->counted : 1) : NAN,
                             NAN, NAN, s->sched.lr, 0, 0, {{0}}, {0}, {0}, 0, 0, 0};
        name_parts(c->g, &es);
        for (int i = 0; i < es.nparts; i++) {
            es.part[i] = s->psum[i] / (double)s->seen;
            es.val_part[i] = NAN;
        }
        p.train_seconds = es.train_seconds = dc_now() - t0;
        /* validation in training-sized batches (as Keras): the arena the
         * training step needs is enough, memory stays at one step's worth */
        if (c->val) {
            dc_epoch_stats v;
            const int64_t vsteps = m->recipe.fit.validation_steps, nval = vsteps > 0 && vsteps * batch < s->nval ? vsteps * batch : s->nval;
            if ((st = validate(c, nval, &v, o->verbose ? &p : NULL))) return st;
            es.val_loss = v.loss;
            es.val_accuracy = v.accuracy;
            for (int i = 0; i < es.nparts && i < v.nparts; i++) es.val_part[i] = v.part[i];
        }
        es.seconds = dc_now() - t0;
        if (o->verbose) dc_progress_end_epoch(&p, &es);
        s->epoch++;
        s->step = 0;
        if ((st = dc_train_state_push_history(s, &es))) return st;
        if (o->callbacks && o->callbacks->after_epoch && o->callbacks->after_epoch(m, &es, o->callbacks->user))
            return dc_set_error(DC_ERR_INTERRUPTED, "fit: stopped by the after_epoch callback after epoch %d", s->epoch);
        int improved = 0;
        if (early_stop_check(c, &es, &improved)) {
            s->stopped_early = 1;
            if (o->verbose) fprintf(out, "Early stopping: no improvement in %s for %d epochs (best: epoch %d)\n",
                                    m->recipe.fit.early_stopping.monitor, m->recipe.fit.early_stopping.patience, s->es_best_epoch);
        }
        if (m->recipe.fit.has_schedule && !per_step) {
            const char *mon = m->recipe.fit.schedule_monitor[0] ? m->recipe.fit.schedule_monitor : "val_loss";
            dc_schedule_step(&c->sched, &s->sched, m->recipe.opt.lr, monitored(&es, mon));
        }
        const int writer = o->world <= 1 || o->rank == 0; /* files: rank 0's */
        if (writer && o->log_csv) log_csv(o->log_csv, s, &es);
        int every = o->checkpoint_every > 0 ? o->checkpoint_every : 1;
        /* sharded, saving is collective: every rank must agree (the validation's sums are each rank's own) */
        if (s->sharded && o->best_checkpoint && (st = agree_stop(c, &improved))) return st;
        if (o->checkpoint && (s->epoch % every == 0) && (st = save_state(c, o->checkpoint))) return st;
        if (o->best_checkpoint && improved && (st = save_state(c, o->best_checkpoint))) return st;
        /* a stop asked for during the validation (or the epoch's end): stop here, at the epoch's
         * boundary, rather than after one more batch of the next epoch (one process: ranks stop together at a batch) */
        if (o->world <= 1 && s->epoch < s->epochs && !s->stopped_early && o->stop && __atomic_load_n(o->stop, __ATOMIC_RELAXED)) {
            if (o->verbose) fprintf(out, "Interrupted after epoch %d\n", s->epoch);
            return dc_set_error(DC_ERR_INTERRUPTED, "fit: interrupted after epoch %d", s->epoch);
        }
    }
    if (s->best_params && s->es_best_epoch > 0 && m->recipe.fit.early_stopping.restore_best && !s->pruning) {
        memcpy(m->params, s->best_params, sizeof(float) * (size_t)m->nparams);
        if (o->verbose) fprintf(out, "Restored the weights of epoch %d\n", s->es_best_epoch);
    }
    s->finished = 1;
    return DC_OK;
}

/* Pruning (dc_fit_options.prune): a new run resolves its schedule over
 * the run's optimizer steps and starts its masks; a resumed one goes on
 * with those in its state (asking for other settings is an error). */
static dc_status start_pruning(fit_ctx *c) {
    dc_train_state *s = c->s;
    const dc_prune_config *p = c->o->prune;
    if (s->pruning) {
        if (p && (p->sparsity != s->prune.sparsity || p->scope != s->prune.scope || (p->structured != 0) != s->prune.structured))
            return dc_set_error(DC_ERR_INVALID, "fit: the resumed run prunes to %g%% (%s%s); it keeps the settings it started with",
                                100.0 * s->prune.sparsity, s->prune.scope == DC_PRUNE_GLOBAL ? "global" : "each layer",
                                s->prune.structured ? ", structured" : "");
        return DC_OK;
    }
    if (!p) return DC_OK;
    if (s->epoch > 0 || s->step > 0 || dc_optimizer_steps(s->opt) > 0)
        return dc_set_error(DC_ERR_INVALID, "fit: a run resumed after %d epochs did not prune; pruning starts a run", s->epoch);
    const int64_t K = c->m->recipe.fit.accumulate > 1 ? c->m->recipe.fit.accumulate : 1, spe = c->m->recipe.fit.steps_per_epoch;
    int64_t steps = (s->epoch_rows + s->batch_size - 1) / s->batch_size;
    if (spe > 0 && spe < steps) steps = spe;
    const int64_t per_epoch = (steps + K - 1) / K;
    dc_prune_config r = *p;
    dc_status st = dc_prune_resolve(&r, per_epoch * s->epochs, per_epoch);
    return st ? st : dc_prune_begin(s, c->m, &r);
}

dc_status dc_fit(dc_model *m, const dc_dataset *data, const dc_fit_options *o, dc_history *hist) {
    dc_fit_options dflt = {.validation_split = -1.0f, .shuffle = -1, .verbose = 1}, split;
    if (!o) o = &dflt;
    if (hist) memset(hist, 0, sizeof *hist);
    dc_status st = check_trainable(m, "fit");
    if (!st) st = check_data(m, data, "fit");
    if (st) return st;
    /* A stream's validation part is its last tokens (a split by position:
     * random windows would overlap the training text), read once each. */
    dc_dataset *own[2] = {NULL, NULL};
    const float vs = o->validation_split >= 0.0f ? o->validation_split : m->recipe.fit.validation_split;
    if (data->kind == DC_DATASET_STREAM && !o->validation && vs > 0.0f) {
        /* a stream cut short (--limit: fewer windows) is split as the shorter stream */
        const int64_t T = data->x.size, ntok = stream_span(data), ntr = (int64_t)((double)ntok * (1.0 - vs));
        own[0] = dc_dataset_stream(data->stream.tokens, ntr, T, data->stream.stride);
        own[1] = own[0] ? dc_dataset_stream(data->stream.tokens + ntr, ntok - ntr, T, T) : NULL;
        if (!own[1]) {
            dc_dataset_free(own[0]);
            char msg[512];
            snprintf(msg, sizeof msg, "%s", dc_last_error());
            return dc_set_error(DC_ERR_INVALID, "fit: validation split %g of %lld tokens: %s", vs, (long long)ntok, msg);
        }
        own[0]->num_classes = own[1]->num_classes = data->num_classes;
        split = *o;
        split.validation = own[1];
        split.validation_split = 0.0f;
        o = &split;
        data = own[0];
    }
    fit_ctx c = {.m = m, .train = data, .val = o->validation, .o = o, .n_all = data->n, .held = data->n};
    if (o->world > 1 && o->data_rows > 0) { /* this rank holds part of the data */
        const char *bad = o->data_offset < 0 || o->data_offset + data->n > o->data_rows ? " do not fit"
                          : !o->callbacks || !o->callbacks->reduce_stats             ? ": needs the reduce_stats callback"
                          : data->kind == DC_DATASET_STREAM && o->data_rows > UINT32_MAX ? ": a stream's windows are drawn below 2^32"
                          : data->kind == DC_DATASET_STREAM && !o->validation && vs > 0.0f
                              ? ": a stream's part needs its validation part given (validation, validation_rows)"
                              : NULL;
        if (bad) {
            dc_dataset_free(own[0]);
            dc_dataset_free(own[1]);
            return dc_set_error(DC_ERR_INVALID, "fit: data_rows: rows [%lld, %lld) of %lld%s", (long long)o->data_offset,
                                (long long)(o->data_offset + data->n), (long long)o->data_rows, bad);
        }
        c.n_all = o->data_rows, c.off = o->data_offset;
    }
    if (o->world > 1 && o->validation && o->validation_rows > 0 &&
        (o->validation_offset < 0 || o->validation_offset + o->validation->n > o->validation_rows || !o->callbacks || !o->callbacks->reduce_stats)) {
        dc_dataset_free(own[0]);
        dc_dataset_free(own[1]);
        return dc_set_error(DC_ERR_INVALID, "fit: validation_rows: rows [%lld, %lld) of %lld%s", (long long)o->validation_offset,
                            (long long)(o->validation_offset + o->validation->n), (long long)o->validation_rows,
                            !o->callbacks || !o->callbacks->reduce_stats ? ": needs the reduce_stats callback" : " do not fit");
    }
    c.s = o->state ? o->state : dc_train_state_new();
    if (!c.s) {
        dc_dataset_free(own[0]);
        dc_dataset_free(own[1]);
        return DC_ERR_NOMEM;
    }
    if (!c.s->initialized) {
        st = init_state(&c, data);
    } else if (c.s->n_data != c.n_all) {
        st = dc_set_error(DC_ERR_INVALID, "fit: resuming a run over %lld samples with data of %lld samples",
                          (long long)c.s->n_data, (long long)c.n_all);
    } else if (o->epochs > 0) {
        c.s->epochs = o->epochs; /* a resume may extend the run */
    }
    if (!st && sharding(o)) st = shard_state(&c);
    else if (!st && c.s->sharded)
        st = dc_set_error(DC_ERR_INVALID, "fit: the state holds one rank's slice of the optimizer; resume from the file rank 0 saved");
    if (!st) st = start_pruning(&c);
    if (!st && c.s->finished && c.s->epoch < c.s->epochs && !c.s->stopped_early) c.s->finished = 0;
    if (!st) c.sched = run_schedule(m, c.s);
    if (!st && o->validation) {
        c.s->nval = o->world > 1 && o->validation_rows > 0 ? o->validation_rows : o->validation->n;
        c.s->val_off = 0;
        st = check_data(m, o->validation, "fit (validation data)");
    } else if (!st && c.s->nval > 0) {
        c.val = data;
    }
    if (!st && !(c.g = dc_graph_new())) st = DC_ERR_NOMEM;
    if (!st && c.n_all != data->n && !(c.local = malloc(sizeof(int64_t) * (size_t)c.s->batch_size))) /* (the run's batch: a resume's is its state's) */
        st = dc_set_error(DC_ERR_NOMEM, "fit: out of memory");
    if (!st && o->world > 1 && o->callbacks && o->callbacks->grads_ready && !(c.overlap = dc_overlap_new(m, o->callbacks)))
        st = DC_ERR_NOMEM;
    if (!st && o->world > 1 && (c.nstats = running_stats(m, NULL, NULL)) > 0) {
        if (!o->callbacks || !o->callbacks->reduce_stats)
            st = dc_set_error(DC_ERR_INVALID, "fit: world %d: averaging the running statistics needs the reduce_stats callback", o->world);
        else if (c.nstats >= INT_MAX || !(c.stats = malloc(sizeof(double) * (size_t)(c.nstats + 1))))
            st = dc_set_error(DC_ERR_NOMEM, "fit: out of memory for %lld running statistics", (long long)c.nstats);
    }
    if (!st) {
        dc_get_num_threads();
        dc_graph_set_rng(c.g, &c.s->rng);
        st = run_epochs(&c);
        dc_status us = DC_OK;
        if (c.s->sharded && !o->keep_shards && (!st || st == DC_ERR_INTERRUPTED)) us = unshard_state(&c); /* rank 0's state whole, to be saved */
        if (us) st = us;
        fill_history(hist, c.s, st == DC_ERR_INTERRUPTED);
    }
    dc_graph_free(c.g);
    dc_overlap_free(c.overlap);
    free(c.local);
    free(c.stats);
    if (!o->state) dc_train_state_free(c.s);
    dc_dataset_free(own[0]);
    dc_dataset_free(own[1]);
    return st;
}
