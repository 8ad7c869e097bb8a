/* test_ranks.c — data-parallel training without MPI: two ranks in one
 * process (two threads, two copies of the model built alike) train with
 * dc_fit_options rank/world, their gradients averaged in after_backward and
 * their epoch sums added in reduce_stats (an all-reduce over a barrier: what
 * an MPI run does with MPI_Allreduce). Both ranks must end with the same
 * weights and statistics, and those must be the single-process run's (up
 * to the rounding of summing two half-batches instead of one batch). Only
 * rank 0 writes the log. The gradients grads_ready reports complete
 * during the backward pass stay unchanged to its end. The same with the
 * optimizer's state sharded (ZeRO-1: reduce_scatter, all_gather and
 * gather_range over the barrier), and kept sharded and saved by both. A
 * model with batch normalization: the ranks' running statistics averaged
 * after each step (reduce_stats), the same on both, and the whole batch's.
 * A token stream held in parts (data_rows and validation_rows), and one
 * cut short (--limit). */
#include "test.h"
#include <pthread.h>

static const char *desc = "input 784\ndense 32 activation=relu\ndense 10 activation=softmax\n"
                          "loss categorical_crossentropy\noptimizer adam lr=0.002\n"
                          "schedule step step_size=1 gamma=0.7\nearly_stopping monitor=val_loss patience=3\n"
                          "fit epochs=3 batch_size=64 validation_split=0.1 seed=3\n";
/* with batch normalization: running statistics a training forward moves
 * (%s: the learning rate) */
static const char *bn_desc = "input 784\ndense 24\nbatchnorm\nactivation relu\ndense 10 activation=softmax\n"
                             "loss categorical_crossentropy\noptimizer adam lr=%s\n"
                             "fit epochs=2 batch_size=64 validation_split=0.1 seed=3\n";

typedef struct {
    pthread_barrier_t bar;
    float *grads[2];
    double stats[2][128];
} allreduce;

typedef struct {
    allreduce *ar;
    int rank;
    dc_model *m;
    const dc_dataset *data;
    dc_history h;
    dc_status st;
    char log[600], best[600];
    const char *desc;       /* the model (desc if NULL) */
    int shard;              /* ZeRO-1: the optimizer's state sharded (2: and kept so, saved by both ranks) */
    dc_status saved;        /* (shard 2) dc_model_save_state_ranks' status */
    int watch;              /* grads_ready checked (the unsharded run) */
    int64_t ready_lo[64];   /* this step's reports of complete gradients */
    uint64_t ready_hash[64];
    int nready, ready_bad, ready_early, ready_calls, steps;
    dc_train_state *state;  /* (sharded runs) */
} rank_job;

/* grads_ready: each range reported complete is hashed when reported and
 * again after the backward: a range that changed was not complete */
static uint64_t hash_of(const float *g, int64_t lo, int64_t hi) {
    uint64_t h = 1469598103934665603ULL;
    const unsigned char *b = (const unsigned char *)(g + lo);
    for (size_t i = 0; i < sizeof(float) * (size_t)(hi - lo); i++) h = (h ^ b[i]) * 1099511628211ULL;
    return h;
}

static int grads_ready(dc_model *m, int64_t lo, void *user) {
    rank_job *j = user;
    const int64_t top = j->nready ? j->ready_lo[j->nready - 1] : dc_model_num_params(m);
    if (lo >= top || j->nready == 64) {
        j->ready_bad++; /* lo must go down */
        return 0;
    }
    j->ready_lo[j->nready] = lo;
    j->ready_hash[j->nready++] = hash_of(dc_model_grads(m), lo, top);
    j->ready_calls++;
    return 0;
}

static void check_ready(rank_job *j, dc_model *m) {
    const int64_t n = dc_model_num_params(m);
    for (int i = 0; i < j->nready; i++)
        if (hash_of(dc_model_grads(m), j->ready_lo[i], i ? j->ready_lo[i - 1] : n) != j->ready_hash[i]) j->ready_bad++;
    if (j->nready) j->ready_early += j->ready_lo[0] > 0; /* a part was complete before the whole */
    j->nready = 0;
    j->steps++;
}

/* average the two ranks' gradients (the same sum, in the same order, on both) */
static int average_grads(dc_model *m, void *user) {
    rank_job *j = user;
    if (j->watch) check_ready(j, m);
    const int64_t n = dc_model_num_params(m);
    float *g = dc_model_grads(m);
    memcpy(j->ar->grads[j->rank], g, sizeof(float) * (size_t)n);
    pthread_barrier_wait(&j->ar->bar);
    for (int64_t i = 0; i < n; i++) g[i] = 0.5f * (j->ar->grads[0][i] + j->ar->grads[1][i]);
    pthread_barrier_wait(&j->ar->bar);
    return 0;
}

static int sum_stats(dc_model *m, double *v, int n, void *user) {
    (void)m;
    rank_job *j = user;
    memcpy(j->ar->stats[j->rank], v, sizeof(double) * (size_t)n);
    pthread_barrier_wait(&j->ar->bar);
    for (int i = 0; i < n; i++) v[i] = j->ar->stats[0][i] + j->ar->stats[1][i];
    pthread_barrier_wait(&j->ar->bar);
    return 0;
}

/* ZeRO-1's hooks over the same barrier: the average (all of it: only this
 * rank's slice has to be right), each rank's slice of the parameters from
 * its owner, and an optimizer buffer's slices gathered on rank 0 */
static int scatter_grads(dc_model *m, float *g, int64_t n, void *user) { (void)g, (void)n; return average_grads(m, user); }

static int gather_params(dc_model *m, float *p, int64_t n, void *user) {
    (void)m;
    rank_job *j = user;
    memcpy(j->ar->grads[j->rank], p, sizeof(float) * (size_t)n);
    pthread_barrier_wait(&j->ar->bar);
    int64_t lo, hi;
    dc_shard_range(n, !j->rank, 2, &lo, &hi); /* the other rank's slice */
    memcpy(p + lo, j->ar->grads[!j->rank] + lo, sizeof(float) * (size_t)(hi - lo));
    pthread_barrier_wait(&j->ar->bar);
    return 0;
}

static int gather_part(dc_model *m, const float *slice, float *part, int64_t lo, int64_t hi, int64_t n, void *user) {
    (void)m;
    rank_job *j = user;
    int64_t a, b;
    dc_shard_range(n, j->rank, 2, &a, &b);
    if (j->rank) memcpy(j->ar->grads[1], slice, sizeof(float) * (size_t)(b - a));
    pthread_barrier_wait(&j->ar->bar);
    for (int r = 0; !j->rank && r < 2; r++) { /* each rank's piece of [lo, hi) */
        dc_shard_range(n, r, 2, &a, &b);
        const int64_t from = a > lo ? a : lo, to = b < hi ? b : hi;
        if (from < to) memcpy(part + (from - lo), (r ? j->ar->grads[1] : slice) + (from - a), sizeof(float) * (size_t)(to - from));
    }
    pthread_barrier_wait(&j->ar->bar);
    return 0;
}

static void *rank_main(void *arg) {
    rank_job *j = arg;
    dc_callbacks cb = {.after_backward = average_grads, .user = j, .reduce_stats = sum_stats};
    dc_fit_options o = {.validation_split = -1.0f, .shuffle = -1, .verbose = 0, .callbacks = &cb, .rank = j->rank, .world = 2,
                        .log_csv = j->log};
    if (!j->shard) cb.grads_ready = grads_ready, j->watch = 1;
    if (j->shard) {
        cb.reduce_scatter = scatter_grads, cb.all_gather = gather_params, cb.gather_range = gather_part;
        o.shard_optimizer = 1, o.state = j->state, o.best_checkpoint = j->best;
    }
    o.keep_shards = j->shard == 2;
    j->st = dc_fit(j->m, j->data, &o, &j->h);
    if (j->shard == 2) j->saved = dc_model_save_state_ranks(j->m, j->state, path_of("kept.safetensors"), &o);
    return NULL;
}

/* A rank that reads its slice of kept.safetensors' optimizer alone, then
 * saves it with the other rank into again.safetensors. */
static void *reload_main(void *arg) {
    rank_job *j = arg;
    dc_callbacks cb = {.gather_range = gather_part, .user = j};
    dc_fit_options o = {.callbacks = &cb, .rank = j->rank, .world = 2};
    dc_train_state *s = NULL;
    dc_model *m = dc_model_load_state_shard(path_of("kept.safetensors"), j->rank, 2, &s);
    j->st = m && s ? DC_OK : DC_ERR_FORMAT;
    j->saved = j->st ? j->st : dc_model_save_state_ranks(m, s, path_of("again.safetensors"), &o);
    dc_train_state_free(s);
    dc_model_free(m);
    return NULL;
}

/* The two ranks' fit, sharded or not; their jobs in jobs[0..2). */
static void run_ranks(rank_job *jobs, allreduce *ar, const dc_dataset *d, int shard, const char *text) {
    pthread_t th[2];
    for (int r = 0; r < 2; r++) {
        jobs[r] = (rank_job){.ar = ar, .rank = r, .m = dc_model_parse(text, "rank.dc"), .data = d, .shard = shard};
        snprintf(jobs[r].log, sizeof jobs[r].log, "%s", path_of(r ? "rank1.csv" : "rank0.csv"));
        snprintf(jobs[r].best, sizeof jobs[r].best, "%s", path_of("best.safetensors"));
        if (shard) jobs[r].state = dc_train_state_new();
        ar->grads[r] = malloc(sizeof(float) * (size_t)dc_model_num_params(jobs[r].m));
    }
    for (int r = 0; r < 2; r++) pthread_create(&th[r], NULL, rank_main, &jobs[r]);
    for (int r = 0; r < 2; r++) pthread_join(th[r], NULL);
    for (int r = 0; r < 2; r++) free(ar->grads[r]);
}

static void free_ranks(rank_job *jobs) {
    for (int r = 0; r < 2; r++) {
        dc_history_free(&jobs[r].h);
        dc_model_free(jobs[r].m);
        dc_train_state_free(jobs[r].state);
    }
}

/* A file's bytes (malloc'ed), or NULL. */
static unsigned char *read_all(const char *path, size_t *n) {
    FILE *f = fopen(path, "rb");
    unsigned char *b = NULL;
    long len = f && !fseek(f, 0, SEEK_END) ? ftell(f) : -1;
    if (len >= 0 && !fseek(f, 0, SEEK_SET) && (b = malloc((size_t)len + 1)) && fread(b, 1, (size_t)len, f) != (size_t)len) {
        free(b);
        b = NULL;
    }
    if (f) fclose(f);
    *n = b ? (size_t)len : 0;
    return b;
}

static int rel_close(double a, double b, double tol) { return fabs(a - b) <= tol * (1e-9 + fabs(b)); }

/* The running mean and variance of the batchnorm layer (2 * 24 floats) in out. */
static void bn_stats(dc_model *m, float *out) {
    dc_layer *l = dc_model_find_layer(m, "batch_normalization");
    dc_tensor *mean = l ? dc_layer_param(l, "running_mean") : NULL, *var = l ? dc_layer_param(l, "running_var") : NULL;
    for (int i = 0; i < 24; i++) out[i] = mean ? mean->data[i] : NAN, out[24 + i] = var ? var->data[i] : NAN;
}

/* Batch normalization: each rank normalizes with its own rows' statistics
 * (as DDP without SyncBatchNorm), and the running statistics are averaged
 * after each step, weighted by rows. Both ranks end with the same ones.
 * With the weights held still (a learning rate of 1e-9), the running mean
 * is the single process's to rounding (the whole batch's mean is the
 * weighted mean of the halves'), and the variance near it (two halves'
 * unbiased variances, not the whole's). Trained, the weights stay near the
 * single process's. */
static void check_running_stats(const dc_dataset *d, allreduce *ar) {
    for (int trained = 0; trained < 2; trained++) {
        char text[512];
        snprintf(text, sizeof text, bn_desc, trained ? "0.002" : "1e-9");
        dc_model *one = dc_model_parse(text, "bn.dc");
        dc_history h;
        dc_fit_options o = {.validation_split = -1.0f, .shuffle = -1, .verbose = 0};
        CHECK(one && dc_fit(one, d, &o, &h) == DC_OK, "batchnorm, one process: %s", dc_last_error());
        dc_history_free(&h);
        rank_job bn[2];
        run_ranks(bn, ar, d, 0, text);
        CHECK(bn[0].st == DC_OK && bn[1].st == DC_OK, "batchnorm: both ranks trained: %s", dc_last_error());
        float s0[48], s1[48], s[48];
        bn_stats(bn[0].m, s0), bn_stats(bn[1].m, s1), bn_stats(one, s);
        CHECK(!memcmp(s0, s1, sizeof s0), "batchnorm (lr %s): the ranks end with the same running statistics", trained ? "0.002" : "1e-9");
        double dm = 0.0, dv = 0.0, moved = 0.0;
        for (int i = 0; i < 24; i++) {
            dm = fmax(dm, fabs(s0[i] - s[i]) / (0.1 + fabs(s[i])));
            dv = fmax(dv, fabs(s0[24 + i] - s[24 + i]) / s[24 + i]);
            moved = fmax(moved, fabs(s[i]));
        }
        if (!trained)
            CHECK(moved > 0.1 && dm < 1e-4 && dv < 0.05,
                  "batchnorm, weights still: the ranks' running mean is the single process's (%.2g off), the variance near (%.3f off; means up to %.3f)",
                  dm, dv, moved);
        float dw = 0.0f;
        const int64_t n = dc_model_num_params(one);
        for (int64_t i = 0; i < n; i++) dw = fmaxf(dw, fabsf(dc_model_params(bn[0].m)[i] - dc_model_params(one)[i]));
        if (trained)
            CHECK(!memcmp(dc_model_params(bn[0].m), dc_model_params(bn[1].m), sizeof(float) * (size_t)n) && dw < 0.05f,
                  "batchnorm, trained: the ranks end with the same weights, near the single process's (max diff %g)", dw);
        free_ranks(bn);
        dc_model_free(one);
    }
}

/* A token stream held in parts: each rank holds its half of the training
 * windows and of the validation windows (as deepc train --shard-data makes
 * them), and the run is the single process's on the whole stream, which
 * splits it itself (validation_split). */
typedef struct {
    rank_job j;
    dc_dataset *train, *val;
    int64_t rows, off, vrows, voff;
} stream_job;

static void *stream_main(void *arg) {
    stream_job *sj = arg;
    rank_job *j = &sj->j;
    dc_callbacks cb = {.after_backward = average_grads, .user = j, .reduce_stats = sum_stats};
    dc_fit_options o = {.validation_split = -1.0f, .shuffle = -1, .verbose = 0, .callbacks = &cb, .rank = j->rank, .world = 2,
                        .data_rows = sj->rows, .data_offset = sj->off, .validation = sj->val, .validation_rows = sj->vrows,
                        .validation_offset = sj->voff};
    j->st = dc_fit(j->m, sj->train, &o, &j->h);
    return NULL;
}

static void check_stream_parts(allreduce *ar) {
    const char *lm = "input 16\nembedding 12 8\ndense 12 activation=softmax\nloss categorical_crossentropy\noptimizer adam lr=0.01\n"
                     "fit epochs=2 steps_per_epoch=6 batch_size=16 validation_split=0.1 seed=5\n";
    enum { N = 3001, T = 16 };
    static int32_t tok[N];
    for (int i = 0; i < N; i++) tok[i] = (int32_t)((i * 7 + i / 5) % 11 + 1); /* ids 1..11, some pattern to learn */
    dc_dataset *whole = dc_dataset_stream(tok, N, T, 1);
    dc_model *one = dc_model_parse(lm, "lm.dc");
    dc_history h;
    dc_fit_options o = {.validation_split = -1.0f, .shuffle = -1, .verbose = 0};
    CHECK(whole && one && dc_fit(one, whole, &o, &h) == DC_OK, "stream, one process: %s", dc_last_error());
    /* dc_fit's split: the first 90% of the tokens train (a window at every token), the rest validate (a window every T) */
    const int64_t ntr = (int64_t)((double)N * (1.0 - 0.1f)), ntrain = ntr - T, nval = (N - ntr - T - 1) / T + 1;
    stream_job sj[2];
    pthread_t th[2];
    for (int r = 0; r < 2; r++) {
        const int64_t w0 = ntrain * r / 2, w1 = ntrain * (r + 1) / 2, v0 = nval * r / 2, v1 = nval * (r + 1) / 2;
        sj[r] = (stream_job){.j = {.ar = ar, .rank = r, .m = dc_model_parse(lm, "lm.dc")}, .rows = ntrain, .off = w0, .vrows = nval, .voff = v0,
                             .train = dc_dataset_stream(tok + w0, w1 - w0 + T, T, 1), .val = dc_dataset_stream(tok + ntr + v0 * T, (v1 - v0) * T + 1, T, T)};
        sj[r].train->num_classes = sj[r].val->num_classes = whole->num_classes;
        ar->grads[r] = malloc(sizeof(float) * (size_t)dc_model_num_params(sj[r].j.m));
    }
    for (int r = 0; r < 2; r++) pthread_create(&th[r], NULL, stream_main, &sj[r]);
    for (int r = 0; r < 2; r++) pthread_join(th[r], NULL);
    CHECK(sj[0].j.st == DC_OK && sj[1].j.st == DC_OK, "stream parts: both ranks trained: %s", dc_last_error());
    const int64_t n = dc_model_num_params(one);
    float dw = 0.0f;
    for (int64_t i = 0; i < n; i++) dw = fmaxf(dw, fabsf(dc_model_params(sj[0].j.m)[i] - dc_model_params(one)[i]));
    CHECK(!memcmp(dc_model_params(sj[0].j.m), dc_model_params(sj[1].j.m), sizeof(float) * (size_t)n) && dw < 1e-5f,
          "stream parts: the ranks' weights are the same, and the single process's (max diff %g)", dw);
    for (int e = 0; e < 2 && e < h.epochs_run && e < sj[0].j.h.epochs_run; e++) {
        const dc_epoch_stats *a = &sj[0].j.h.epoch[e], *b = &sj[1].j.h.epoch[e], *s1 = &h.epoch[e];
        CHECK(a->val_loss == b->val_loss && rel_close(a->val_loss, s1->val_loss, 1e-5) && rel_close(a->val_accuracy, s1->val_accuracy, 1e-9) &&
                  rel_close(a->loss, s1->loss, 1e-5),
              "stream parts, epoch %d: the ranks' validation over their parts is the whole's (val_loss %.6f vs %.6f, loss %.6f vs %.6f)", e + 1,
              a->val_loss, s1->val_loss, a->loss, s1->loss);
    }
    /* a stream cut to its first windows (--limit) is split and trained as the shorter stream, to the bit */
    dc_dataset *cut = dc_dataset_stream(tok, N, T, 1), *shorter = dc_dataset_stream(tok, 1500 + T, T, 1);
    dc_model *mc = dc_model_parse(lm, "lm.dc"), *ms = dc_model_parse(lm, "lm.dc");
    dc_history hc, hs;
    if (cut) cut->n = 1500;
    CHECK(cut && shorter && mc && ms && dc_fit(mc, cut, &o, &hc) == DC_OK && dc_fit(ms, shorter, &o, &hs) == DC_OK,
          "a stream cut short: %s", dc_last_error());
    CHECK(mc && ms && !memcmp(dc_model_params(mc), dc_model_params(ms), sizeof(float) * (size_t)n) && hc.epoch[1].val_loss == hs.epoch[1].val_loss,
          "a stream cut to 1,500 windows trains and validates as a stream of 1,500 windows");
    dc_history_free(&hc), dc_history_free(&hs);
    dc_model_free(mc), dc_model_free(ms);
    dc_dataset_free(cut), dc_dataset_free(shorter);
    for (int r = 0; r < 2; r++) {
        free(ar->grads[r]);
        dc_history_free(&sj[r].j.h);
        dc_model_free(sj[r].j.m);
        dc_dataset_free(sj[r].train);
        dc_dataset_free(sj[r].val);
    }
    dc_history_free(&h);
    dc_model_free(one);
    dc_dataset_free(whole);
}

int main(int argc, char **argv) {
    if (test_workdir(argc, argv, "ranks_tmp")) return 2;
    dc_set_num_threads(1);
    dc_dataset *d = dc_mnist_load_limit("fashion-mnist", "train", 1905); /* the last batch is short and odd: the ranks get 25 and 26 rows */
    CHECK(d != NULL, "Fashion-MNIST: %s", dc_last_error());
    if (!d) return 1;
    /* one process */
    dc_model *one = dc_model_parse(desc, "one.dc");
    dc_history h1;
    dc_fit_options o = {.validation_split = -1.0f, .shuffle = -1, .verbose = 0};
    CHECK(one && dc_fit(one, d, &o, &h1) == DC_OK, "single process: %s", dc_last_error());
    /* two ranks */
    allreduce ar;
    pthread_barrier_init(&ar.bar, NULL, 2);
    rank_job jobs[2];
    run_ranks(jobs, &ar, d, 0, desc);
    CHECK(jobs[0].st == DC_OK && jobs[1].st == DC_OK, "both ranks trained");
    const int64_t n = dc_model_num_params(one);
    CHECK(jobs[0].ready_bad == 0 && jobs[1].ready_bad == 0, "grads_ready: every range it reported complete stayed unchanged (%d, %d changed)",
          jobs[0].ready_bad, jobs[1].ready_bad);
    CHECK(jobs[0].steps > 0 && jobs[0].ready_early == jobs[0].steps && jobs[0].ready_calls >= 2 * jobs[0].steps,
          "grads_ready: in each of %d steps the last layers were complete before the first (%d), %d reports", jobs[0].steps,
          jobs[0].ready_early, jobs[0].ready_calls);
    CHECK(!memcmp(dc_model_params(jobs[0].m), dc_model_params(jobs[1].m), sizeof(float) * (size_t)n), "the ranks end with the same weights");
    float dw = 0.0f;
    for (int64_t i = 0; i < n; i++) dw = fmaxf(dw, fabsf(dc_model_params(jobs[0].m)[i] - dc_model_params(one)[i]));
    CHECK(dw < 1e-3f, "the ranks' weights are the single process's (max diff %g)", dw);
    CHECK(h1.epochs_run == 3 && jobs[0].h.epochs_run == 3 && jobs[1].h.epochs_run == 3, "three epochs everywhere");
    for (int e = 0; e < 3 && e < h1.epochs_run && e < jobs[0].h.epochs_run && e < jobs[1].h.epochs_run; e++) {
        const dc_epoch_stats *a = &jobs[0].h.epoch[e], *b = &jobs[1].h.epoch[e], *s = &h1.epoch[e];
        CHECK(a->loss == b->loss && a->accuracy == b->accuracy && a->val_loss == b->val_loss && a->lr == b->lr,
              "epoch %d: both ranks report the same statistics", e + 1);
        CHECK(rel_close(a->loss, s->loss, 1e-4) && rel_close(a->accuracy, s->accuracy, 1e-9) && rel_close(a->val_loss, s->val_loss, 1e-4) &&
                  rel_close(a->val_accuracy, s->val_accuracy, 1e-9) && a->lr == s->lr,
              "epoch %d: the ranks' statistics are the single process's (loss %.6f vs %.6f, accuracy %.4f vs %.4f, val_loss %.6f vs %.6f)",
              e + 1, a->loss, s->loss, a->accuracy, s->accuracy, a->val_loss, s->val_loss);
    }
    FILE *f0 = fopen(path_of("rank0.csv"), "r"), *f1 = fopen(path_of("rank1.csv"), "r");
    CHECK(f0 && !f1, "rank 0 writes its log, rank 1 none");
    if (f0) fclose(f0);
    if (f1) fclose(f1);
    /* the optimizer sharded: each parameter's update is the unsharded one,
     * to the bit; rank 0's state is whole when fit returns, rank 1's a
     * slice it refuses to save; the best epoch's checkpoint was written */
    rank_job sh[2];
    run_ranks(sh, &ar, d, 1, desc);
    CHECK(sh[0].st == DC_OK && sh[1].st == DC_OK, "both sharded ranks trained: %s", dc_last_error());
    CHECK(!memcmp(dc_model_params(sh[0].m), dc_model_params(jobs[0].m), sizeof(float) * (size_t)n) &&
              !memcmp(dc_model_params(sh[1].m), dc_model_params(jobs[0].m), sizeof(float) * (size_t)n),
          "sharded, the ranks end with the unsharded weights");
    CHECK(dc_model_save_state(sh[0].m, sh[0].state, path_of("whole.safetensors")) == DC_OK, "rank 0's state saves: %s", dc_last_error());
    CHECK(dc_model_save_state(sh[1].m, sh[1].state, path_of("slice.safetensors")) != DC_OK && strstr(dc_last_error(), "slice"),
          "rank 1's slice does not save: %s", dc_last_error());
    dc_train_state *ws = NULL;
    dc_model *wm = dc_model_load_state(path_of("whole.safetensors"), &ws);
    CHECK(wm && ws && dc_train_state_done(ws), "rank 0's saved state loads: %s", dc_last_error());
    dc_model_free(wm);
    dc_train_state_free(ws);
    FILE *fb = fopen(path_of("best.safetensors"), "r");
    CHECK(fb != NULL, "the sharded run wrote its best checkpoint");
    if (fb) fclose(fb);
    /* the state kept sharded when fit returns, saved by both ranks as rank
     * 0 receives rank 1's slices: the file rank 0's whole state made */
    rank_job kept[2];
    run_ranks(kept, &ar, d, 2, desc);
    CHECK(kept[0].st == DC_OK && kept[1].st == DC_OK && kept[0].saved == DC_OK && kept[1].saved == DC_OK,
          "the ranks kept their slices and saved them together: %s", dc_last_error());
    CHECK(dc_model_save_state(kept[0].m, kept[0].state, path_of("no.safetensors")) != DC_OK && strstr(dc_last_error(), "slice"),
          "keep_shards: rank 0's state is still its slice: %s", dc_last_error());
    size_t nw = 0, nk = 0;
    unsigned char *fw = read_all(path_of("whole.safetensors"), &nw), *fk = read_all(path_of("kept.safetensors"), &nk);
    CHECK(fw && fk && nw == nk && !memcmp(fw, fk, nw), "saved slice by slice, the file is the whole state's (%zu and %zu bytes)", nw, nk);
    free(fw);
    /* each rank resumes with its slice read from the file, and the two
     * save it back: the same file again */
    pthread_t th[2];
    for (int r = 0; r < 2; r++) {
        kept[r].st = kept[r].saved = DC_ERR_INVALID;
        ar.grads[r] = malloc(sizeof(float) * (size_t)n);
        pthread_create(&th[r], NULL, reload_main, &kept[r]);
    }
    for (int r = 0; r < 2; r++) pthread_join(th[r], NULL);
    for (int r = 0; r < 2; r++) free(ar.grads[r]);
    size_t na = 0;
    unsigned char *fa = read_all(path_of("again.safetensors"), &na);
    CHECK(kept[0].saved == DC_OK && kept[1].saved == DC_OK && fa && fk && na == nk && !memcmp(fa, fk, nk),
          "each rank's slice read from the file alone, saved back together: the same file (%zu and %zu bytes): %s", na, nk, dc_last_error());
    free(fa);
    free(fk);
    check_running_stats(d, &ar);
    check_stream_parts(&ar);
    free_ranks(kept);
    free_ranks(sh);
    free_ranks(jobs);
    pthread_barrier_destroy(&ar.bar);
    dc_history_free(&h1);
    dc_model_free(one);
    dc_dataset_free(d);
    return test_summary("test_ranks");
}
