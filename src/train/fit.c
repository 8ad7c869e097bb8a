/* fit.c — the training loop (fit), evaluate and predict.
 *
 * One step: reset the graph arena, gather a batch, forward, loss, zero the
 * flat gradient buffer, backward, one optimizer loop over the flat buffers.
 * After the first step nothing is allocated: the arena and the tape have
 * reached their size. */
#include "../nn/model.h"
#include "progress.h"
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

static volatile sig_atomic_t stop_requested;

static void on_sigint(int sig) {
    (void)sig;
    stop_requested = 1;
}

void dc_history_free(dc_history *h) {
    if (!h) return;
    free(h->epoch);
    h->epoch = NULL;
    h->epochs_run = 0;
}

static int64_t output_width(const dc_model *m) {
    int64_t s[DC_MAX_DIMS];
    int nd = dc_model_output_shape(m, s);
    return dc_shape_size(nd, s);
}

/* The loss of a batch, choosing the numerically stable form: a softmax or
 * sigmoid at the end is folded into the loss (the loss reads its logits). */
static dc_tensor *batch_loss(dc_model *m, dc_graph *g, dc_tensor *out, dc_tensor *logits, dc_tensor *labels) {
    dc_activation act = dc_model_final_activation(m);
    int64_t N = out->shape[0], C = out->shape[1];
    switch (m->loss) {
    case DC_LOSS_CATEGORICAL_CE:
        if (act == DC_ACT_SOFTMAX) return dc_cross_entropy(g, logits, labels, 1);
        if (act == DC_ACT_NONE || act == DC_ACT_LOG_SOFTMAX) return dc_cross_entropy(g, out, labels, 1);
        return dc_cross_entropy(g, out, labels, 0);
    case DC_LOSS_BCE:
    case DC_LOSS_MSE: {
        int64_t shape[2] = {N, C};
        dc_tensor *t = dc_input(g, DC_F32, 2, shape);
        if (!t) return NULL;
        if (C == 1) {
            for (int64_t i = 0; i < N; i++) t->data[i] = (float)labels->idata[i];
        } else if (dc_one_hot(labels->idata, N, (int)C, t->data)) {
            return NULL;
        }
        if (m->loss == DC_LOSS_MSE) return dc_mse_loss(g, out, t);
        if (act == DC_ACT_SIGMOID) return dc_bce_logits_loss(g, logits, t);
        if (act == DC_ACT_NONE) return dc_bce_logits_loss(g, out, t);
        return dc_bce_loss(g, out, t);
    }
    default:
        dc_set_error(DC_ERR_INVALID, "fit: the model has no loss (add a 'loss' line or call dc_model_compile)");
        return NULL;
    }
}

/* Correct predictions in a batch: argmax, or threshold 0.5 for one output. */
static int64_t batch_correct(const dc_tensor *out, const int32_t *labels) {
    int64_t N = out->shape[0], C = out->shape[1], ok = 0;
    for (int64_t i = 0; i < N; i++) {
        const float *r = out->data + i * C;
        int64_t best = 0;
        if (C == 1) best = r[0] >= 0.5f;
        else
            for (int64_t k = 1; k < C; k++)
                if (r[k] > r[best]) best = k;
        ok += best == labels[i];
    }
    return ok;
}

static dc_status check_data(const dc_model *m, const dc_dataset *d, const char *what) {
    int ok = d && d->sample_ndim == m->in_ndim;
    for (int i = 0; ok && i < m->in_ndim; i++) ok = d->sample_shape[i] == m->in_shape[i];
    if (!ok) return dc_set_error(DC_ERR_INVALID, "%s: samples do not match the model's input shape", what);
    int64_t C = output_width(m);
    if (m->loss == DC_LOSS_CATEGORICAL_CE && d->num_classes > C)
        return dc_set_error(DC_ERR_INVALID, "%s: the data has %d classes but the model outputs %lld values", what,
                            d->num_classes, (long long)C);
    if (d->n == 0) return dc_set_error(DC_ERR_INVALID, "%s: the dataset is empty", what);
    return DC_OK;
}

/* Make the batch tensors and fill them from rows idx[0..n). */
static dc_status make_batch(dc_graph *g, const dc_model *m, const dc_dataset *d, const int64_t *idx, int64_t n,
                            dc_tensor **x, dc_tensor **y) {
    int64_t shape[DC_MAX_DIMS];
    shape[0] = n;
    memcpy(shape + 1, m->in_shape, sizeof(int64_t) * (size_t)m->in_ndim);
    *x = dc_input(g, DC_F32, m->in_ndim + 1, shape);
    *y = dc_input(g, DC_I32, 1, shape);
    if (!*x || !*y) return DC_ERR_NOMEM;
    dc_dataset_gather(d, idx, n, (*x)->data, (*y)->idata);
    return DC_OK;
}

/* Mean loss and accuracy over rows [off, off + count) of d, in eval mode. */
static dc_status evaluate_on(dc_model *m, dc_graph *g, const dc_dataset *d, int64_t off, int64_t count, int batch,
                             double *loss, double *acc) {
    int64_t *idx = malloc(sizeof(int64_t) * (size_t)(batch > count ? count : batch));
    if (!idx) return dc_set_error(DC_ERR_NOMEM, "evaluate: out of memory");
    double lsum = 0.0;
    int64_t correct = 0;
    dc_status st = DC_OK;
    dc_graph_set_training(g, 0);
    dc_graph_set_grad_enabled(g, 0);
    for (int64_t s = 0; s < count && !st; s += batch) {
        int64_t n = count - s < batch ? count - s : batch;
        for (int64_t i = 0; i < n; i++) idx[i] = off + s + i;
        dc_graph_reset(g);
        dc_tensor *x, *y, *logits, *out, *l = NULL;
        if ((st = make_batch(g, m, d, idx, n, &x, &y))) break;
        out = dc_model_forward(m, g, x, &logits);
        if (out) l = batch_loss(m, g, out, logits, y);
        if (!l) {
            st = DC_ERR_INVALID;
            break;
        }
        lsum += (double)l->data[0] * (double)n;
        correct += batch_correct(out, y->idata);
    }
    dc_graph_set_grad_enabled(g, 1);
    free(idx);
    if (!st) {
        *loss = lsum / (double)count;
        *acc = (double)correct / (double)count;
    }
    return st;
}

dc_status dc_evaluate(dc_model *m, const dc_dataset *data, int batch_size, double *loss, double *accuracy) {
    dc_status st = check_data(m, data, "evaluate");
    if (st) return st;
    dc_graph *g = dc_graph_new();
    if (!g) return DC_ERR_NOMEM;
    dc_get_num_threads();
    st = evaluate_on(m, g, data, 0, data->n, batch_size > 0 ? batch_size : 256, loss, accuracy);
    dc_graph_free(g);
    return st;
}

dc_status dc_predict(dc_model *m, const dc_dataset *data, int64_t n, int batch_size, float *out) {
    dc_status st = check_data(m, data, "predict");
    if (st) return st;
    if (n < 0 || n > data->n) return dc_set_error(DC_ERR_INVALID, "predict: %lld samples requested, the data has %lld", (long long)n, (long long)data->n);
    int batch = batch_size > 0 ? batch_size : 256;
    int64_t C = output_width(m);
    dc_graph *g = dc_graph_new();
    int64_t *idx = malloc(sizeof(int64_t) * (size_t)batch);
    if (!g || !idx) {
        dc_graph_free(g);
        free(idx);
        return dc_set_error(DC_ERR_NOMEM, "predict: out of memory");
    }
    dc_get_num_threads();
    dc_graph_set_grad_enabled(g, 0);
    for (int64_t s = 0; s < n && !st; s += batch) {
        int64_t b = n - s < batch ? n - s : batch;
        for (int64_t i = 0; i < b; i++) idx[i] = s + i;
        dc_graph_reset(g);
        dc_tensor *x, *y, *o;
        if ((st = make_batch(g, m, data, idx, b, &x, &y))) break;
        if (!(o = dc_model_forward(m, g, x, NULL))) st = DC_ERR_INVALID;
        else memcpy(out + s * C, o->data, sizeof(float) * (size_t)(b * C));
    }
    free(idx);
    dc_graph_free(g);
    return st;
}

/* Training rows are [0, ntrain) of train; validation rows [val_off,
 * val_off + nval) of val. A validation split is a range of the same data
 * set, not a copy: memory stays at one copy of the data. */
typedef struct {
    const dc_dataset *train, *val;
    int64_t ntrain, val_off, nval;
    int64_t *idx;
    dc_optimizer *opt;
    dc_graph *g;
} fit_state;

static void fit_cleanup(fit_state *s) {
    free(s->idx);
    dc_optimizer_free(s->opt);
    dc_graph_free(s->g);
}

/* One training step on rows idx[0..n). Adds to the running sums. */
static dc_status train_step(dc_model *m, fit_state *s, const int64_t *idx, int64_t n, double *lsum, int64_t *correct) {
    dc_graph *g = s->g;
    dc_graph_reset(g);
    dc_tensor *x, *y, *logits, *out, *l = NULL;
    dc_status st = make_batch(g, m, s->train, idx, n, &x, &y);
    if (st) return st;
    out = dc_model_forward(m, g, x, &logits);
    if (out) l = batch_loss(m, g, out, logits, y);
    if (!l) return DC_ERR_INVALID;
    if (!isfinite(l->data[0])) return dc_set_error(DC_ERR_NUMERIC, "loss is %f: training diverged (try a smaller learning rate)", (double)l->data[0]);
    memset(m->grads, 0, sizeof(float) * (size_t)m->nparams);
    if ((st = dc_backward(g, l))) return st;
    dc_optimizer_step(s->opt, m->params, m->grads);
    *lsum += (double)l->data[0] * (double)n;
    *correct += batch_correct(out, y->idata);
    return DC_OK;
}

dc_status dc_fit(dc_model *m, const dc_dataset *data, const dc_fit_options *o, dc_history *hist) {
    dc_fit_options dflt = {.validation_split = -1.0f, .shuffle = -1, .verbose = 1};
    if (!o) o = &dflt;
    if (hist) memset(hist, 0, sizeof *hist);
    int epochs = o->epochs > 0 ? o->epochs : m->fit.epochs;
    int batch = o->batch_size > 0 ? o->batch_size : m->fit.batch_size;
    float vsplit = o->validation_split >= 0.0f ? o->validation_split : m->fit.validation_split;
    int shuffle = o->shuffle >= 0 ? o->shuffle : m->fit.shuffle;
    uint64_t seed = o->seed ? o->seed : m->fit.seed;
    FILE *out = o->out ? o->out : stdout;
    dc_status st = check_data(m, data, "fit");
    if (st) return st;
    if (batch <= 0) return dc_set_error(DC_ERR_INVALID, "fit: batch size must be positive");
    fit_state s = {.train = data, .ntrain = data->n, .val = o->validation};
    if (s.val) {
        s.nval = s.val->n;
        if ((st = check_data(m, s.val, "fit (validation data)"))) return st;
    } else if (vsplit > 0.0f) {
        /* Keras: the last fraction of the data, taken before shuffling */
        s.nval = (int64_t)((double)data->n * vsplit);
        if (s.nval < 1 || s.nval >= data->n)
            return dc_set_error(DC_ERR_INVALID, "fit: validation split %g of %lld samples leaves an empty part", vsplit,
                                (long long)data->n);
        s.val = data;
        s.ntrain = data->n - s.nval;
        s.val_off = s.ntrain;
    }
    s.idx = malloc(sizeof(int64_t) * (size_t)s.ntrain);
    s.opt = dc_optimizer_new(m->opt, m->nparams);
    s.g = dc_graph_new();
    if (!s.idx || !s.opt || !s.g) {
        fit_cleanup(&s);
        return dc_set_error(DC_ERR_NOMEM, "fit: out of memory");
    }
    if (hist && !(hist->epoch = calloc((size_t)epochs, sizeof *hist->epoch))) {
        fit_cleanup(&s);
        return dc_set_error(DC_ERR_NOMEM, "fit: out of memory");
    }
    dc_get_num_threads();
    dc_rng rng; /* one generator: shuffles, then dropout masks, in a fixed order */
    dc_rng_seed(&rng, seed);
    dc_graph_set_rng(s.g, &rng);
    struct sigaction sa = {0}, old_sa;
    if (o->handle_sigint) {
        stop_requested = 0;
        sa.sa_handler = on_sigint;
        sigemptyset(&sa.sa_mask);
        sigaction(SIGINT, &sa, &old_sa);
    }
    for (int64_t i = 0; i < s.ntrain; i++) s.idx[i] = i;
    int64_t steps = (s.ntrain + batch - 1) / batch;
    for (int e = 0; e < epochs && !st; e++) {
        dc_progress p;
        if (o->verbose) dc_progress_begin_epoch(&p, out, e + 1, epochs, steps);
        if (shuffle) dc_rng_shuffle(&rng, s.idx, s.ntrain);
        double t0 = dc_now(), lsum = 0.0;
        int64_t correct = 0, seen = 0, step = 0;
        for (; step < steps && !st; step++) {
            int64_t start = step * batch, n = s.ntrain - start < batch ? s.ntrain - start : batch;
            dc_graph_set_training(s.g, 1);
            st = train_step(m, &s, s.idx + start, n, &lsum, &correct);
            if (st == DC_ERR_NUMERIC) {
                char msg[512];
                snprintf(msg, sizeof msg, "%s", dc_last_error());
                dc_set_error(DC_ERR_NUMERIC, "fit: epoch %d, batch %lld: %s", e + 1, (long long)step + 1, msg);
            }
            seen += n;
            if (o->verbose && !st) dc_progress_step(&p, step + 1, lsum / (double)seen, (double)correct / (double)seen);
            if (stop_requested) {
                step++;
                break;
            }
        }
        if (st) break;
        dc_epoch_stats es = {lsum / (double)seen, (double)correct / (double)seen, NAN, NAN, 0};
        if (s.val && !stop_requested &&
            (st = evaluate_on(m, s.g, s.val, s.val_off, s.nval, batch > 256 ? batch : 256, &es.val_loss, &es.val_accuracy)))
            break;
        es.seconds = dc_now() - t0;
        if (o->verbose) {
            p.steps = step;
            dc_progress_end_epoch(&p, es.loss, es.accuracy, es.val_loss, es.val_accuracy);
        }
        if (hist) hist->epoch[hist->epochs_run++] = es;
        if (stop_requested) {
            if (hist) hist->interrupted = 1;
            if (o->verbose) fprintf(out, "Interrupted: stopped after batch %lld of epoch %d\n", (long long)step, e + 1);
            st = dc_set_error(DC_ERR_INTERRUPTED, "fit: interrupted by Ctrl-C after epoch %d, batch %lld", e + 1, (long long)step);
        }
    }
    if (o->handle_sigint) sigaction(SIGINT, &old_sa, NULL);
    stop_requested = 0;
    fit_cleanup(&s);
    return st;
}
