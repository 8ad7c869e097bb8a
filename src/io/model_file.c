/* model_file.c — a model as one safetensors file. The weights are F32
 * tensors named "<layer>.weight" / "<layer>.bias" (weight (out, in) as
 * torch.nn.Linear); __metadata__ carries:
 *   format          "deepc"
 *   format_version  "1"
 *   deepc_version   library version that wrote it
 *   description     the model description text, which rebuilds the model
 *   training_state  (optional) "key=value" lines to resume training
 *   preprocess      (optional) the tabular pipeline (see src/data/csv.c)
 * With a training state the file also holds "optimizer.state.K" (F32, one
 * per optimizer buffer), "train.permutation" (I32) and, for early stopping
 * with restore, "train.best_params" (F32). Loading parses the description,
 * then copies every weight after checking its name and shape. */
#include "../train/state.h"
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#define FORMAT_VERSION "1"

/* ---- training state as text (exact: doubles in hex float) ---------------- */

static char *state_text(const dc_train_state *s) {
    dc_strbuf t = {0};
    dc_sb_printf(&t, "epochs=%d\nbatch_size=%d\nshuffle=%d\nvalidation_split=%a\nseed=%" PRIu64 "\n", s->epochs, s->batch_size,
         s->shuffle, (double)s->validation_split, s->seed);
    dc_sb_printf(&t, "n_data=%" PRId64 "\nntrain=%" PRId64 "\nval_off=%" PRId64 "\nnval=%" PRId64 "\n", s->n_data, s->ntrain,
         s->val_off, s->nval);
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
        KEY("val_off", "%" SCNd64, &s->val_off);
        KEY("nval", "%" SCNd64, &s->nval);
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
    if (s->epochs < 1 || s->batch_size < 1 || s->ntrain < 1 || s->ntrain > s->n_data || s->step < 0 ||
        s->epoch < 0 || s->nval < 0 || s->val_off < 0 || s->val_off + s->nval > s->n_data || (s->rng.inc & 1) == 0)
        return dc_set_error(DC_ERR_FORMAT, "%s: training_state is inconsistent", path);
    s->initialized = 1;
    return DC_OK;
}

/* ---- save ------------------------------------------------------------------ */

dc_status dc_model_save_state(const dc_model *m, const dc_train_state *s, const char *path) {
    if (!m->built) return dc_set_error(DC_ERR_INVALID, "save: model is not built");
    /* a model built in C gets its description written from its layers */
    char *written = m->description ? NULL : dc_model_write_description(m);
    if (!m->description && !written) return DC_ERR_NOMEM;
    /* the weights, the optimizer's buffers, the permutation, the best weights */
    dc_st_entry *e = calloc((size_t)m->nnamed + 8, sizeof *e);
    int32_t *perm32 = NULL;
    char *stxt = NULL;
    if (!e) {
        free(written);
        return dc_set_error(DC_ERR_NOMEM, "save: out of memory");
    }
    int ne = 0;
    for (int i = 0; i < m->nnamed; i++)
        e[ne++] = (dc_st_entry){m->named[i].name, m->named[i].t->ndim, m->named[i].t->shape, m->named[i].t->data, "F32"};
    char bufnames[4][32];
    int64_t pshape[1] = {m->nparams}, nshape[1] = {s ? s->ntrain : 0};
    dc_status st = DC_OK;
    if (s && s->initialized) {
        for (int b = 0; b < dc_optimizer_num_buffers(s->opt); b++) {
            snprintf(bufnames[b], sizeof bufnames[b], "optimizer.state.%d", b);
            e[ne++] = (dc_st_entry){bufnames[b], 1, pshape, dc_optimizer_buffer(s->opt, b), "F32"};
        }
        perm32 = malloc(sizeof(int32_t) * (size_t)(s->ntrain ? s->ntrain : 1));
        if (!perm32 || s->ntrain > INT32_MAX) {
            st = dc_set_error(DC_ERR_NOMEM, "save: out of memory");
            goto done;
        }
        for (int64_t i = 0; i < s->ntrain; i++) perm32[i] = (int32_t)s->perm[i];
        e[ne++] = (dc_st_entry){"train.permutation", 1, nshape, perm32, "I32"};
        if (s->best_params) e[ne++] = (dc_st_entry){"train.best_params", 1, pshape, s->best_params, "F32"};
        if (!(stxt = state_text(s))) {
            st = dc_set_error(DC_ERR_NOMEM, "save: out of memory");
            goto done;
        }
    }
    const char *keys[8] = {"format", "format_version", "deepc_version", "description"};
    const char *vals[8] = {"deepc", FORMAT_VERSION, DEEPC_VERSION, m->description ? m->description : written};
    int nk = 4;
    char shape_txt[160] = "";
    if (m->auto_input) { /* `input auto`: the shape the data gave it */
        size_t k = 0;
        for (int i = 0; i < m->in_ndim; i++)
            k += (size_t)snprintf(shape_txt + k, sizeof shape_txt - k, i ? "x%lld" : "%lld", (long long)m->in_shape[i]);
        keys[nk] = "input_shape";
        vals[nk++] = shape_txt;
    }
    if (m->preprocess) {
        keys[nk] = "preprocess";
        vals[nk++] = m->preprocess;
    }
    if (m->class_names) {
        keys[nk] = "class_names";
        vals[nk++] = m->class_names;
    }
    if (stxt) {
        keys[nk] = "training_state";
        vals[nk++] = stxt;
    }
    st = dc_st_write(path, e, ne, keys, vals, nk);
done:
    free(written);
    free(stxt);
    free(perm32);
    free(e);
    return st;
}

dc_status dc_model_save(const dc_model *m, const char *path) { return dc_model_save_state(m, NULL, path); }

/* ---- load ------------------------------------------------------------------ */

static dc_status load_state(dc_model *m, const dc_st_file *f, const char *path, dc_train_state **out) {
    const char *txt = dc_st_metadata(f, "training_state");
    if (!txt) return DC_OK;
    dc_train_state *s = dc_train_state_new();
    if (!s) return DC_ERR_NOMEM;
    dc_status st = DC_OK;
    const dc_st_tensor *pt = dc_st_find(f, "train.permutation");
    if (!pt || strcmp(pt->dtype, "I32") || pt->ndim != 1) {
        st = dc_set_error(DC_ERR_FORMAT, "%s: training_state without an I32 train.permutation", path);
        goto fail;
    }
    if ((st = dc_train_state_alloc(s, m, pt->shape[0])) || (st = parse_state(s, txt, path))) goto fail;
    if (pt->shape[0] != s->ntrain) {
        st = dc_set_error(DC_ERR_FORMAT, "%s: train.permutation has %lld entries, training_state says %lld", path,
                          (long long)pt->shape[0], (long long)s->ntrain);
        goto fail;
    }
    for (int64_t i = 0; i < s->ntrain; i++) {
        int32_t v;
        memcpy(&v, (const char *)pt->data + 4 * i, 4);
        if (v < 0 || v >= s->ntrain) {
            st = dc_set_error(DC_ERR_FORMAT, "%s: train.permutation entry %lld is out of range", path, (long long)i);
            goto fail;
        }
        s->perm[i] = v;
    }
    for (int b = 0; b < dc_optimizer_num_buffers(s->opt); b++) {
        char name[32];
        snprintf(name, sizeof name, "optimizer.state.%d", b);
        const dc_st_tensor *t = dc_st_find(f, name);
        if (!t || strcmp(t->dtype, "F32") || t->ndim != 1 || t->shape[0] != m->nparams) {
            st = dc_set_error(DC_ERR_FORMAT, "%s: missing or misshapen %s for optimizer %s", path, name, dc_opt_name(m->opt.kind));
            goto fail;
        }
        memcpy(dc_optimizer_buffer(s->opt, b), t->data, (size_t)t->nbytes);
    }
    if (s->best_params) {
        const dc_st_tensor *t = dc_st_find(f, "train.best_params");
        if (t && !strcmp(t->dtype, "F32") && t->ndim == 1 && t->shape[0] == m->nparams)
            memcpy(s->best_params, t->data, (size_t)t->nbytes);
        else {
            free(s->best_params); /* saved before any best epoch: none yet */
            s->best_params = NULL;
            if ((st = dc_train_state_alloc_best(s, m))) goto fail;
        }
    }
    *out = s;
    return DC_OK;
fail:
    dc_train_state_free(s);
    return st;
}

dc_model *dc_model_load_state(const char *path, dc_train_state **state) {
    if (state) *state = NULL;
    dc_st_file *f = dc_st_open(path);
    if (!f) return NULL;
    dc_model *m = NULL;
    const char *fmt = dc_st_metadata(f, "format"), *ver = dc_st_metadata(f, "format_version");
    const char *desc = dc_st_metadata(f, "description");
    if (!fmt || strcmp(fmt, "deepc") || !desc) {
        dc_set_error(DC_ERR_FORMAT, "%s: a safetensors file, but not a deepc model (no \"format\": \"deepc\" and \"description\" in __metadata__)", path);
        goto fail;
    }
    if (!ver || strcmp(ver, FORMAT_VERSION)) {
        dc_set_error(DC_ERR_FORMAT, "%s: model format version \"%s\" is not supported (this deepc reads version %s)", path,
                     ver ? ver : "(missing)", FORMAT_VERSION);
        goto fail;
    }
    char where[1100];
    snprintf(where, sizeof where, "%s [embedded description]", path);
    const char *ishape = dc_st_metadata(f, "input_shape");
    int64_t in_shape[DC_MAX_DIMS];
    int in_nd = 0;
    for (const char *q = ishape; q && *q && in_nd < DC_MAX_DIMS - 1;) {
        char *end;
        long v = strtol(q, &end, 10);
        if (end == q || v <= 0) {
            dc_set_error(DC_ERR_FORMAT, "%s: bad input_shape \"%s\" in __metadata__", path, ishape);
            goto fail;
        }
        in_shape[in_nd++] = v;
        q = *end == 'x' ? end + 1 : end;
        if (*end && *end != 'x') {
            dc_set_error(DC_ERR_FORMAT, "%s: bad input_shape \"%s\" in __metadata__", path, ishape);
            goto fail;
        }
    }
    if (!(m = dc_model_parse_auto(desc, where, in_nd, in_shape))) goto fail;
    int weights = 0;
    for (int i = 0; i < dc_st_count(f); i++) {
        const char *n = dc_st_get(f, i)->name;
        weights += strncmp(n, "optimizer.", 10) && strncmp(n, "train.", 6);
    }
    if (weights != m->nnamed) {
        dc_set_error(DC_ERR_FORMAT, "%s: holds %d weight tensors, the description needs %d", path, weights, m->nnamed);
        goto fail;
    }
    for (int i = 0; i < m->nnamed; i++) {
        dc_tensor *t = m->named[i].t;
        const dc_st_tensor *s = dc_st_find(f, m->named[i].name);
        if (!s) {
            dc_set_error(DC_ERR_FORMAT, "%s: tensor \"%s\" is missing", path, m->named[i].name);
            goto fail;
        }
        int ok = !strcmp(s->dtype, "F32") && s->ndim == t->ndim;
        for (int d = 0; ok && d < t->ndim; d++) ok = s->shape[d] == t->shape[d];
        if (!ok) {
            char want[128];
            dc_shape_str(t, want, sizeof want);
            dc_set_error(DC_ERR_FORMAT, "%s: tensor \"%s\" is %s with %d dimensions; the description needs F32 %s", path,
                         s->name, s->dtype, s->ndim, want);
            goto fail;
        }
        memcpy(t->data, s->data, (size_t)s->nbytes);
    }
    const char *pre = dc_st_metadata(f, "preprocess");
    if (pre && !(m->preprocess = strdup(pre))) {
        dc_set_error(DC_ERR_NOMEM, "out of memory");
        goto fail;
    }
    const char *cn = dc_st_metadata(f, "class_names");
    if (cn && !(m->class_names = strdup(cn))) {
        dc_set_error(DC_ERR_NOMEM, "out of memory");
        goto fail;
    }
    if (state && load_state(m, f, path, state)) goto fail;
    dc_st_close(f);
    return m;
fail:
    dc_model_free(m);
    dc_st_close(f);
    return NULL;
}

dc_model *dc_model_load(const char *path) { return dc_model_load_state(path, NULL); }
