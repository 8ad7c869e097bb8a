/* state.c — the training state behind dc_train_state: its lifecycle, and
 * how it lives in a model file (text in __metadata__ "training_state" with
 * doubles in hex floats, so a resume is exact; the optimizer's buffers, the
 * epoch's permutation and the best weights as tensors). fit.c runs it;
 * io/model_file.c writes and reads the model around it. */
#include "state.h"
#include "prune.h"
#include "../io/model_file.h"
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- lifecycle --------------------------------------------------------------- */

dc_train_state *dc_train_state_new(void) {
    dc_train_state *s = calloc(1, sizeof *s);
    if (!s) dc_set_error(DC_ERR_NOMEM, "out of memory");
    return s;
}

void dc_train_state_free(dc_train_state *s) {
    if (!s) return;
    free(s->perm);
    free(s->best_params);
    free(s->mask);
    dc_optimizer_free(s->opt);
    free(s->hist);
    free(s);
}

int dc_train_state_epoch(const dc_train_state *s) { return s->epoch; }
int64_t dc_train_state_samples(const dc_train_state *s) { return s->initialized ? s->n_data : 0; }
int dc_train_state_done(const dc_train_state *s) { return s->finished; }

int64_t dc_train_state_perm_len(const dc_train_state *s) {
    if (s->stream) return 2 * s->batch_size;
    return s->ntrain + (s->epoch_rows > s->ntrain ? 2 * (int64_t)s->batch_size : 0); /* room for rows of later passes */
}

/* (here, not in fit.c: loading a sharded state needs it, and fit.c uses state.c) */
void dc_shard_range(int64_t n, int rank, int world, int64_t *lo, int64_t *hi) {
    if (world < 1) world = 1;
    *lo = (int64_t)((unsigned __int128)n * (unsigned)rank / (unsigned)world);
    *hi = (int64_t)((unsigned __int128)n * (unsigned)(rank + 1) / (unsigned)world);
}

dc_status dc_train_state_alloc(dc_train_state *s, const dc_model *m, int64_t perm_len) {
    s->perm = malloc(sizeof(int64_t) * (size_t)(perm_len > 0 ? perm_len : 1));
    s->opt = dc_optimizer_new(m->recipe.opt, s->sharded ? s->shard_hi - s->shard_lo : m->nparams);
    if (!s->perm || !s->opt) return dc_set_error(DC_ERR_NOMEM, "fit: out of memory");
    if (m->recipe.fit.early_stopping.enabled && m->recipe.fit.early_stopping.restore_best &&
        !(s->best_params = malloc(sizeof(float) * (size_t)(m->nparams ? m->nparams : 1))))
        return dc_set_error(DC_ERR_NOMEM, "fit: out of memory");
    return DC_OK;
}

dc_status dc_train_state_alloc_best(dc_train_state *s, const dc_model *m) {
    if (!(s->best_params = calloc((size_t)(m->nparams ? m->nparams : 1), sizeof(float))))
        return dc_set_error(DC_ERR_NOMEM, "out of memory");
    return DC_OK;
}

dc_status dc_train_state_push_history(dc_train_state *s, const dc_epoch_stats *e) {
    if (s->nhist == s->cap_hist) {
        int cap = s->cap_hist ? s->cap_hist * 2 : 16;
        dc_epoch_stats *n = realloc(s->hist, sizeof *n * (size_t)cap);
        if (!n) return dc_set_error(DC_ERR_NOMEM, "fit: out of memory");
        s->hist = n;
        s->cap_hist = cap;
    }
    s->hist[s->nhist++] = *e;
    return DC_OK;
}

/* ---- training state as text (exact: doubles in hex float) ---------------- */

static char *state_text(const dc_train_state *s) {
    dc_strbuf t = {0};
    dc_sb_printf(&t, "epochs=%d\nbatch_size=%d\nshuffle=%d\nvalidation_split=%a\nseed=%" PRIu64 "\n", s->epochs, s->batch_size,
         s->shuffle, (double)s->validation_split, s->seed);
    dc_sb_printf(&t, "n_data=%" PRId64 "\nntrain=%" PRId64 "\nval_off=%" PRId64 "\nnval=%" PRId64 "\n", s->n_data, s->ntrain,
         s->val_off, s->nval);
    if (s->stream) dc_sb_puts(&t, "stream=1\n");
    if (s->epoch_rows > s->ntrain) dc_sb_printf(&t, "epoch_rows=%" PRId64 "\n", s->epoch_rows);
    dc_sb_printf(&t, "epoch=%d\nstep=%" PRId64 "\nrng_state=%" PRIu64 "\nrng_inc=%" PRIu64 "\n", s->epoch, s->step, s->rng.state,
         s->rng.inc);
    dc_sb_printf(&t, "opt_steps=%" PRId64 "\nlsum=%a\ncorrect=%" PRId64 "\nseen=%" PRId64 "\ncounted=%" PRId64 "\n",
         dc_optimizer_steps(s->opt), s->lsum, s->correct, s->seen, s->counted);
    for (int i = 0; i < DC_MAX_LOSS_PARTS; i++)
        if (s->psum[i] != 0.0) dc_sb_printf(&t, "psum%d=%a\n", i, s->psum[i]);
    dc_sb_printf(&t, "sched_lr=%a\nsched_best=%a\nsched_num_bad=%d\nsched_cooldown=%d\nsched_epoch=%d\n", (double)s->sched.lr,
         s->sched.best, s->sched.num_bad, s->sched.cooldown_left, s->sched.epoch);
    dc_sb_printf(&t, "es_best=%a\nes_wait=%d\nes_best_epoch=%d\nstopped_early=%d\nfinished=%d\n", s->es_best, s->es_wait,
         s->es_best_epoch, s->stopped_early, s->finished);
    if (s->pruning) {
        char p[256];
        dc_prune_format(&s->prune, p, sizeof p);
        dc_sb_printf(&t, "prune=%s\n", p);
    }
    for (int i = 0; i < s->nhist; i++) {
        const dc_epoch_stats *e = &s->hist[i];
        dc_sb_printf(&t, "history=%a,%a,%a,%a,%a\n", e->loss, e->accuracy, e->val_loss, e->val_accuracy, e->lr);
    }
    if (t.oom) {
        free(t.s);
        return NULL;
    }
    return t.s;
}

/* Every field within its range and consistent with the others, so that a
 * crafted state can neither overflow a counter nor index past an array nor
 * quietly train on something else than what was saved. */
static dc_status check_state(const dc_train_state *s, const char *path) {
#define BAD(...) return dc_set_error(DC_ERR_FORMAT, __VA_ARGS__)
    const int64_t big = (int64_t)1 << 40;
    if (s->epochs < 1 || s->epochs > 1000000) BAD("%s: training_state: epochs %d outside [1, 1000000]", path, s->epochs);
    if (s->batch_size < 1 || s->batch_size > (1 << 20)) BAD("%s: training_state: batch_size %d outside [1, 1048576]", path, s->batch_size);
    if (s->stream != 0 && s->stream != 1) BAD("%s: training_state: stream must be 0 or 1", path);
    if (s->n_data < 1 || s->n_data > big || s->ntrain < 1 || s->ntrain > (s->stream ? big : s->n_data))
        BAD("%s: training_state: %lld training rows of %lld", path, (long long)s->ntrain, (long long)s->n_data);
    /* nval is bounded before any sum: a crafted 2^63 - 1 overflowed ntrain + nval (found by fuzz_state) */
    int split = s->nval > 0 && s->nval <= big && s->val_off == s->ntrain && s->ntrain + s->nval == s->n_data; /* a validation split */
    int separate = s->val_off == 0 && s->nval >= 0 && s->nval <= big;                                          /* a validation set */
    if (!split && !separate && !(s->nval == 0 && s->val_off == 0))
        BAD("%s: training_state: %lld validation rows from row %lld do not follow the %lld training rows", path, (long long)s->nval,
            (long long)s->val_off, (long long)s->ntrain);
    if (s->stream ? s->epoch_rows != s->ntrain : s->epoch_rows < s->ntrain || s->epoch_rows > big)
        BAD("%s: training_state: epoch_rows %lld for %lld training rows", path, (long long)s->epoch_rows, (long long)s->ntrain);
    const int64_t rows = s->epoch_rows, steps = (rows + s->batch_size - 1) / s->batch_size;
    if (s->epoch < 0 || s->epoch > s->epochs) BAD("%s: training_state: epoch %d outside [0, %d]", path, s->epoch, s->epochs);
    if (s->step < 0 || s->step > steps) BAD("%s: training_state: step %lld outside [0, %lld]", path, (long long)s->step, (long long)steps);
    int64_t seen = s->step * s->batch_size < rows ? s->step * s->batch_size : rows;
    if (s->step == 0 && s->seen == rows) seen = rows; /* an epoch just ended; its sums are reset at the next */
    if (s->seen != seen) BAD("%s: training_state: seen %lld, but %lld batches of %d make %lld", path, (long long)s->seen,
                             (long long)s->step, s->batch_size, (long long)seen);
    if (s->correct < 0 || s->counted < s->correct || s->counted > s->seen * (int64_t)(1 << 24))
        BAD("%s: training_state: %lld correct of %lld counted labels", path, (long long)s->correct, (long long)s->counted);
    if (!isfinite(s->lsum)) BAD("%s: training_state: lsum is not finite", path);
    for (int i = 0; i < DC_MAX_LOSS_PARTS; i++)
        if (!isfinite(s->psum[i])) BAD("%s: training_state: psum%d is not finite", path, i);
    if (dc_optimizer_steps(s->opt) > (int64_t)(s->epoch + 1) * steps)
        BAD("%s: training_state: %lld optimizer steps, more than %d epochs of %lld batches", path, (long long)dc_optimizer_steps(s->opt),
            s->epoch + 1, (long long)steps);
    if (s->sched.epoch < 0 || s->sched.epoch > (int64_t)s->epochs * steps || s->sched.num_bad < 0 || s->sched.num_bad > s->epochs ||
        s->sched.cooldown_left < 0 || s->sched.cooldown_left > 1000000 || !(s->sched.lr >= 0.0f && isfinite(s->sched.lr)))
        BAD("%s: training_state: schedule counters out of range", path);
    if (s->es_wait < 0 || s->es_wait > s->epoch || s->es_best_epoch < 0 || s->es_best_epoch > s->epoch)
        BAD("%s: training_state: early stopping counters out of range", path);
    if ((s->stopped_early | s->finished) & ~1) BAD("%s: training_state: stopped_early and finished are 0 or 1", path);
    if (s->nhist != s->epoch) BAD("%s: training_state: %d history lines for %d epochs", path, s->nhist, s->epoch);
    if ((s->rng.inc & 1) == 0) BAD("%s: training_state: rng_inc must be odd", path);
#undef BAD
    return DC_OK;
}

/* Parse "key=value" lines into s (after the model is known). */
static dc_status parse_state(dc_train_state *s, const char *txt, const char *path) {
    const char *p = txt;
    int line = 0;
    s->counted = -1;
    while (*p) {
        line++;
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        char buf[512];
        if (len >= sizeof buf) return dc_set_error(DC_ERR_FORMAT, "%s: training_state line %d is too long", path, line);
        memcpy(buf, p, len);
        buf[len] = 0;
        p = nl ? nl + 1 : p + len;
        char *eq = strchr(buf, '=');
        if (!eq) continue;
        *eq = 0;
        const char *k = buf, *v = eq + 1;
        int ok = 1;
#define KEY(name, fmt, dst) else if (!strcmp(k, name)) ok = sscanf(v, fmt, dst) == 1
        if (0) {}
        KEY("epochs", "%d", &s->epochs);
        KEY("batch_size", "%d", &s->batch_size);
        KEY("shuffle", "%d", &s->shuffle);
        KEY("seed", "%" SCNu64, &s->seed);
        KEY("n_data", "%" SCNd64, &s->n_data);
        KEY("ntrain", "%" SCNd64, &s->ntrain);
        KEY("epoch_rows", "%" SCNd64, &s->epoch_rows);
        KEY("val_off", "%" SCNd64, &s->val_off);
        KEY("nval", "%" SCNd64, &s->nval);
        KEY("stream", "%d", &s->stream);
        KEY("epoch", "%d", &s->epoch);
        KEY("step", "%" SCNd64, &s->step);
        KEY("rng_state", "%" SCNu64, &s->rng.state);
        KEY("rng_inc", "%" SCNu64, &s->rng.inc);
        KEY("lsum", "%la", &s->lsum);
        KEY("correct", "%" SCNd64, &s->correct);
        KEY("seen", "%" SCNd64, &s->seen);
        KEY("counted", "%" SCNd64, &s->counted);
        KEY("sched_best", "%la", &s->sched.best);
        KEY("sched_num_bad", "%d", &s->sched.num_bad);
        KEY("sched_cooldown", "%d", &s->sched.cooldown_left);
        KEY("sched_epoch", "%d", &s->sched.epoch);
        KEY("es_best", "%la", &s->es_best);
        KEY("es_wait", "%d", &s->es_wait);
        KEY("es_best_epoch", "%d", &s->es_best_epoch);
        KEY("stopped_early", "%d", &s->stopped_early);
        KEY("finished", "%d", &s->finished);
        else if (!strcmp(k, "validation_split") || !strcmp(k, "sched_lr")) {
            double d;
            ok = sscanf(v, "%la", &d) == 1;
            if (k[0] == 'v') s->validation_split = (float)d;
            else s->sched.lr = (float)d;
        } else if (!strcmp(k, "opt_steps")) {
            int64_t t;
            ok = sscanf(v, "%" SCNd64, &t) == 1 && t >= 0;
            if (ok && s->opt) dc_optimizer_set_steps(s->opt, t);
        } else if (!strncmp(k, "psum", 4) && k[4] >= '0' && k[4] < '0' + DC_MAX_LOSS_PARTS && !k[5]) {
            ok = sscanf(v, "%la", &s->psum[k[4] - '0']) == 1;
        } else if (!strcmp(k, "prune")) {
            ok = !s->pruning && !dc_prune_parse(v, &s->prune);
            s->pruning = 1;
        } else if (!strcmp(k, "history")) {
            dc_epoch_stats e = {0};
            ok = sscanf(v, "%la,%la,%la,%la,%la", &e.loss, &e.accuracy, &e.val_loss, &e.val_accuracy, &e.lr) == 5;
            if (ok) {
                if (s->nhist == s->cap_hist) {
                    int cap = s->cap_hist ? 2 * s->cap_hist : 16;
                    dc_epoch_stats *nh = realloc(s->hist, sizeof *nh * (size_t)cap);
                    if (!nh) return dc_set_error(DC_ERR_NOMEM, "out of memory");
                    s->hist = nh;
                    s->cap_hist = cap;
                }
                s->hist[s->nhist++] = e;
            }
        }
#undef KEY
        if (!ok) return dc_set_error(DC_ERR_FORMAT, "%s: training_state line %d: bad value for %s", path, line, k);
    }
    if (s->counted < 0) s->counted = s->seen; /* format 1 runs: one label per sample */
    if (s->epoch_rows == 0) s->epoch_rows = s->ntrain; /* one pass (files before epoch_rows) */
    dc_status st = check_state(s, path);
    if (!st) s->initialized = 1;
    return st;
}

/* ---- in the model file ---------------------------------------------------- */

dc_status dc_model_save_state(const dc_model *m, const dc_train_state *s, const char *path) {
    if (!s || !s->initialized) return dc_model_file_write(m, NULL, 0, NULL, NULL, 0, path);
    if (s->sharded) /* saved with dc_model_save_state_ranks (fit.c), every rank sending its slice */
        return dc_set_error(DC_ERR_INVALID, "save %s: this rank's training state holds its slice of the optimizer only", path);
    return dc_train_state_save_filled(m, s, path, NULL, NULL);
}

dc_status dc_train_state_save_filled(const dc_model *m, const dc_train_state *s, const char *path,
                                     dc_status (*fill)(void *, int64_t, int64_t, void *), void *const *fill_users) {
    /* the optimizer's buffers, the epoch's order, the best weights */
    dc_st_entry e[DC_ST_STATE_TENSORS];
    char bufnames[4][32];
    int ne = 0;
    int64_t pshape[1] = {m->nparams}, nshape[1] = {s->ntrain};
    for (int b = 0; b < dc_optimizer_num_buffers(s->opt) && b < 4; b++) {
        snprintf(bufnames[b], sizeof bufnames[b], "optimizer.state.%d", b);
        e[ne++] = (dc_st_entry){.name = bufnames[b], .ndim = 1, .shape = pshape, .dtype = "F32",
                                .data = fill ? NULL : dc_optimizer_buffer(s->opt, b), .fill = fill, .fill_user = fill ? fill_users[b] : NULL};
    }
    /* a stream's windows are drawn per step from the seed: nothing to store */
    const int64_t nperm = s->stream ? 0 : s->ntrain;
    if (nperm > INT32_MAX)
        return dc_set_error(DC_ERR_INVALID, "save: %lld training samples do not fit the I32 permutation", (long long)s->ntrain);
    int32_t *perm32 = malloc(sizeof(int32_t) * (size_t)(nperm ? nperm : 1));
    uint8_t *mask = NULL; /* the pruning masks as a bitmap: bit i & 7 of byte i / 8 keeps parameter i */
    int64_t mshape[1] = {(m->nparams + 7) / 8};
    char *stxt = state_text(s);
    dc_status st = DC_OK;
    if (!perm32 || !stxt) {
        st = dc_set_error(DC_ERR_NOMEM, "save: out of memory");
    } else {
        for (int64_t i = 0; i < nperm; i++) perm32[i] = (int32_t)s->perm[i];
        if (nperm) e[ne++] = (dc_st_entry){.name = "train.permutation", .ndim = 1, .shape = nshape, .data = perm32, .dtype = "I32"};
        if (s->best_params) e[ne++] = (dc_st_entry){.name = "train.best_params", .ndim = 1, .shape = pshape, .data = s->best_params, .dtype = "F32"};
        if (s->pruning && (mask = malloc((size_t)mshape[0] ? (size_t)mshape[0] : 1))) {
            memset(mask, 0, (size_t)mshape[0]);
            for (int64_t i = 0; i < m->nparams; i++) mask[i >> 3] |= (uint8_t)(s->mask[i] << (i & 7));
            e[ne++] = (dc_st_entry){.name = "train.prune_mask", .ndim = 1, .shape = mshape, .data = mask, .dtype = "U8"};
        } else if (s->pruning) {
            st = dc_set_error(DC_ERR_NOMEM, "save: out of memory");
        }
        const char *key = "training_state", *val = stxt;
        if (!st) st = dc_model_file_write(m, e, ne, &key, &val, 1, path);
    }
    free(stxt);
    free(perm32);
    free(mask);
    return st;
}

/* ---- from the model file ----------------------------------------------------- */

/* The epoch's order of a table's rows from pt: every row once. */
static dc_status load_permutation(dc_train_state *s, const dc_st_tensor *pt, const char *path) {
    if (!pt) return dc_set_error(DC_ERR_FORMAT, "%s: training_state without an I32 train.permutation", path);
    if (pt->shape[0] != s->ntrain)
        return dc_set_error(DC_ERR_FORMAT, "%s: train.permutation has %lld entries, training_state says %lld", path,
                            (long long)pt->shape[0], (long long)s->ntrain);
    uint8_t *seen = calloc((size_t)s->ntrain, 1);
    if (!seen) return dc_set_error(DC_ERR_NOMEM, "out of memory");
    dc_status st = DC_OK;
    for (int64_t i = 0; i < s->ntrain && !st; i++) {
        int32_t v;
        memcpy(&v, (const char *)pt->data + 4 * i, 4);
        if (v < 0 || v >= s->ntrain || seen[v])
            st = dc_set_error(DC_ERR_FORMAT, "%s: train.permutation entry %lld (%d) is %s", path, (long long)i, v,
                              v < 0 || v >= s->ntrain ? "out of range" : "a repeat: not a permutation");
        else
            seen[v] = 1, s->perm[i] = v;
    }
    free(seen);
    return st;
}

/* A pruning run's masks from their bitmap, checked against the weights. */
static dc_status load_mask(dc_train_state *s, const dc_model *m, const dc_st_tensor *t, const char *path) {
    const int64_t nb = (m->nparams + 7) / 8;
    if (!t || strcmp(t->dtype, "U8") || t->ndim != 1 || t->shape[0] != nb)
        return dc_set_error(DC_ERR_FORMAT, "%s: training_state prunes, but train.prune_mask is missing or is not %lld U8 bytes (a bit per "
                                           "parameter)", path, (long long)nb);
    const uint8_t *b = t->data;
    if (m->nparams % 8 && b[nb - 1] >> (m->nparams % 8))
        return dc_set_error(DC_ERR_FORMAT, "%s: train.prune_mask sets bits past the model's %lld parameters", path, (long long)m->nparams);
    if (!(s->mask = malloc((size_t)(m->nparams ? m->nparams : 1)))) return dc_set_error(DC_ERR_NOMEM, "out of memory");
    for (int64_t i = 0; i < m->nparams; i++) s->mask[i] = (b[i >> 3] >> (i & 7)) & 1;
    return dc_prune_check(s, m, path);
}

dc_status dc_train_state_load(dc_model *m, const dc_st_file *f, const char *txt, const char *path, int rank, int world,
                              dc_train_state **out) {
    dc_train_state *s = dc_train_state_new();
    if (!s) return DC_ERR_NOMEM;
    dc_status st = DC_OK;
    if (world > 1) { /* this rank's slice of the optimizer only (dc_train_state_alloc sizes it so) */
        s->sharded = 1;
        dc_shard_range(m->nparams, rank, world, &s->shard_lo, &s->shard_hi);
    }
    const dc_st_tensor *pt = dc_st_find(f, "train.permutation");
    if (pt && (strcmp(pt->dtype, "I32") || pt->ndim != 1)) {
        st = dc_set_error(DC_ERR_FORMAT, "%s: train.permutation is not a list of I32", path);
        goto fail;
    }
    if ((st = dc_train_state_alloc(s, m, pt ? pt->shape[0] : 0)) || (st = parse_state(s, txt, path))) goto fail;
    /* room as the run needs: a stream's two batches of windows (drawn per step, no stored list: an older file's
     * list is unused), or the rows' order and two batches for an epoch of several passes */
    int64_t *p = realloc(s->perm, sizeof(int64_t) * (size_t)dc_train_state_perm_len(s));
    if (!p) {
        st = dc_set_error(DC_ERR_NOMEM, "out of memory");
        goto fail;
    }
    s->perm = p;
    if (!s->stream && (st = load_permutation(s, pt, path))) goto fail;
    for (int b = 0; b < dc_optimizer_num_buffers(s->opt); b++) {
        char name[32];
        snprintf(name, sizeof name, "optimizer.state.%d", b);
        const dc_st_tensor *t = dc_st_find(f, name);
        if (!t || strcmp(t->dtype, "F32") || t->ndim != 1 || t->shape[0] != m->nparams) {
            st = dc_set_error(DC_ERR_FORMAT, "%s: missing or misshapen %s for optimizer %s", path, name, dc_opt_name(m->recipe.opt.kind));
            goto fail;
        }
        const int64_t lo = s->sharded ? s->shard_lo : 0, hi = s->sharded ? s->shard_hi : m->nparams;
        if ((st = dc_st_read(f, t, lo * (int64_t)sizeof(float), (hi - lo) * (int64_t)sizeof(float), dc_optimizer_buffer(s->opt, b))))
            goto fail;
    }
    if (s->best_params) {
        const dc_st_tensor *t = dc_st_find(f, "train.best_params");
        if (t && !strcmp(t->dtype, "F32") && t->ndim == 1 && t->shape[0] == m->nparams)
            memcpy(s->best_params, t->data, (size_t)t->nbytes);
        else if (s->es_best_epoch > 0) { /* restoring them would restore zeros */
            st = dc_set_error(DC_ERR_FORMAT, "%s: training_state names epoch %d as the best, but train.best_params is missing or misshapen",
                              path, s->es_best_epoch);
            goto fail;
        } else {
            free(s->best_params); /* saved before any best epoch: none yet */
            s->best_params = NULL;
            if ((st = dc_train_state_alloc_best(s, m))) goto fail;
        }
    }
    if (s->pruning && (st = load_mask(s, m, dc_st_find(f, "train.prune_mask"), path))) goto fail;
    *out = s;
    return DC_OK;
fail:
    dc_train_state_free(s);
    return st;
}

static dc_status load_state(dc_model *m, const dc_st_file *f, const char *path, int rank, int world, dc_train_state **out) {
    const char *txt = dc_st_metadata(f, "training_state");
    return txt ? dc_train_state_load(m, f, txt, path, rank, world, out) : DC_OK;
}

dc_model *dc_model_load_state(const char *path, dc_train_state **state) { return dc_model_load_state_shard(path, 0, 1, state); }

dc_model *dc_model_load_state_shard(const char *path, int rank, int world, dc_train_state **state) {
    if (state) *state = NULL;
    dc_st_file *f = NULL;
    if (world > 1 && (rank < 0 || rank >= world)) {
        dc_set_error(DC_ERR_INVALID, "%s: rank %d of %d", path, rank, world);
        return NULL;
    }
    /* sharded: the optimizer's buffers stay on disk until this rank's slice is read from them */
    dc_model *m = dc_model_file_read_unread(path, state ? &f : NULL, world > 1 ? "optimizer.state." : NULL);
    if (m && state && load_state(m, f, path, rank, world, state)) {
        dc_model_free(m);
        m = NULL;
    }
    dc_st_close(f);
    return m;
}
