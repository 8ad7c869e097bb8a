/* serve_predict.c — POST /v1/models/NAME:predict (TF Serving's REST form).
 *
 * {"instances": [...]} → {"predictions": [...]}. Each instance becomes one
 * row of the model's input through what its file keeps: a (nested) array
 * of numbers of the input's shape, an object of named CSV columns (the
 * stored table pipeline), {"b64": PNG or JPEG} (the image decoder and its
 * pixel budget) or a string (the stored tokenizer). A classifier's
 * prediction is its class (by name where the model has names), that
 * class's probability and every class's; a regression's, its value.
 *
 * The batcher: requests queue their rows; one thread per model takes up
 * to --max-batch rows, waiting at most --batch-window-ms after the oldest
 * arrived, runs them as one batch in its session and hands each request
 * its rows. A batch that fails (a token id out of range in one request)
 * runs again request by request, so one bad request fails alone. */
#include "serve.h"
#include "cli_data.h"
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- the model's kind ---- */

int srv_model_prepare(srv_model *sm) {
    const dc_model *m = sm->m;
    const dc_text_spec *sp = dc_model_text(m);
    sm->lm = sp && sp->enabled && (sp->next || sp->stream);
    dc_session *probe = dc_session_new(m, 1);
    if (!probe) return -1;
    sm->nin = dc_session_num_inputs(probe);
    sm->in_dtype = dc_session_input_dtype(probe, 0);
    sm->in_size = dc_session_input_size(probe, 0);
    sm->out_size = dc_session_output_size(probe, 0);
    dc_session_free(probe);
    sm->in_ndim = dc_model_input_shape(m, sm->in_shape);
    dc_tabular *tab = dc_model_tabular(m);
    const dc_loss_kind loss = dc_model_loss(m);
    if (tab && dc_tabular_is_regression(tab)) sm->kind = sm->out_size == 1 ? K_VALUE : K_VALUES;
    else if (loss == DC_LOSS_CATEGORICAL_CE && sm->out_size >= 2) sm->kind = K_CLASSES, sm->nclasses = (int)sm->out_size;
    else if (loss == DC_LOSS_BCE && sm->out_size == 1) sm->kind = K_CLASSES, sm->nclasses = 2;
    else sm->kind = K_VALUES;
    sm->table = tab != NULL;
    sm->image = sm->in_ndim == 3 && (sm->in_shape[0] == 1 || sm->in_shape[0] == 3) && sm->in_dtype == DC_F32;
    sm->text = sp && sp->enabled && !sm->lm && sm->in_dtype == DC_I32;
    /* the pipeline and the tokenizer are read from the file once: rebuilding
     * a 10,000-word vocabulary per request took 19 ms of the spam LSTM's 20 */
    sm->tab = tab;
    if (sm->text && !(sm->tok = dc_model_tokenizer(m))) return -1;
    if (tab && dc_tabular_num_features(tab) != sm->in_size) {
        dc_set_error_cli("the stored pipeline gives %d features, the model takes %lld", dc_tabular_num_features(tab), (long long)sm->in_size);
        return -1;
    }
    if (sm->kind == K_CLASSES) {
        cli_args none = {0};
        if (!(sm->names = cli_class_names(&none, tab, m, sm->nclasses))) {
            dc_set_error_cli("out of memory");
            return -1;
        }
    }
    return 0;
}

void srv_model_release(srv_model *sm) {
    dc_tabular_free(sm->tab);
    dc_tokenizer_free(sm->tok);
    if (sm->names) cli_free_class_names(sm->names, sm->nclasses);
}

/* ---- the batcher ---- */

typedef struct job {
    int64_t n, taken, done;      /* rows; handed to a batch; answered        */
    const void *x;
    float *y;
    int failed;
    char err[512];
    pthread_cond_t cv;
    struct job *next;
    double arrived;
} job;

struct srv_batcher {
    pthread_mutex_t mu;
    pthread_cond_t work;
    job *head, *tail;
    int64_t queued; /* rows not yet handed to a batch */
    int arriving;   /* requests being read, not yet queued: worth waiting for */
    int stop;
    pthread_t th;
    const srv_model *sm;
    dc_session *s;
    int max_batch;
    double window;
    size_t in_row; /* bytes per row */
    void *xb;
    float *yb;
};

typedef struct {
    job *j;
    int64_t from, n;
} piece;

/* Run rows of pieces as one batch (xb filled); on failure each piece alone. */
static void run_batch(srv_batcher *b, piece *p, int np, int64_t rows) {
    const int64_t O = b->sm->out_size;
    if (!dc_session_predict(b->s, b->xb, rows, b->yb)) {
        int64_t at = 0;
        for (int i = 0; i < np; i++, at += p[i - 1].n)
            memcpy(p[i].j->y + p[i].from * O, b->yb + at * O, sizeof(float) * (size_t)(p[i].n * O));
        metrics_batch((int)rows);
        return;
    }
    char err[512];
    snprintf(err, sizeof err, "%s", dc_last_error());
    for (int i = 0; i < np; i++) {
        job *j = p[i].j;
        const char *x = (const char *)j->x + (size_t)p[i].from * b->in_row;
        if (np > 1 && !dc_session_predict(b->s, x, p[i].n, j->y + p[i].from * O)) {
            metrics_batch((int)p[i].n);
            continue;
        }
        pthread_mutex_lock(&b->mu);
        j->failed = 1;
        snprintf(j->err, sizeof j->err, "%s", np > 1 ? dc_last_error() : err);
        pthread_mutex_unlock(&b->mu);
    }
}

static void *batcher_main(void *arg) {
    srv_batcher *b = arg;
    piece *p = malloc(sizeof *p * (size_t)b->max_batch);
    pthread_mutex_lock(&b->mu);
    for (;;) {
        while (!b->head && !b->stop) pthread_cond_wait(&b->work, &b->mu);
        if (!b->head) break; /* stopping, nothing queued */
        /* the window: until the batch is full or the oldest row has waited
         * long enough, and only while other requests are on their way (a
         * lone client never waits) */
        const double deadline = b->head->arrived + b->window;
        while (b->queued < b->max_batch && b->arriving > 0 && !b->stop) {
            double now = srv_now();
            if (now >= deadline) break;
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            double wait = deadline - now;
            ts.tv_sec += (time_t)wait;
            ts.tv_nsec += (long)((wait - (double)(time_t)wait) * 1e9);
            if (ts.tv_nsec >= 1000000000L) ts.tv_sec++, ts.tv_nsec -= 1000000000L;
            pthread_cond_timedwait(&b->work, &b->mu, &ts);
        }
        int np = 0;
        int64_t rows = 0;
        while (b->head && rows < b->max_batch) { /* take rows in order, a request possibly in parts */
            job *j = b->head;
            int64_t k = j->n - j->taken < b->max_batch - rows ? j->n - j->taken : b->max_batch - rows;
            p[np++] = (piece){j, j->taken, k};
            memcpy((char *)b->xb + (size_t)rows * b->in_row, (const char *)j->x + (size_t)j->taken * b->in_row, (size_t)k * b->in_row);
            j->taken += k;
            rows += k;
            b->queued -= k;
            if (j->taken == j->n) b->head = j->next;
        }
        if (!b->head) b->tail = NULL;
        pthread_mutex_unlock(&b->mu);
        run_batch(b, p, np, rows);
        pthread_mutex_lock(&b->mu);
        for (int i = 0; i < np; i++)
            if ((p[i].j->done += p[i].n) == p[i].j->n) pthread_cond_signal(&p[i].j->cv);
    }
    pthread_mutex_unlock(&b->mu);
    free(p);
    return NULL;
}

srv_batcher *batcher_new(const srv_model *sm, const srv_opts *o) {
    srv_batcher *b = calloc(1, sizeof *b);
    if (!b) return NULL;
    b->sm = sm;
    b->max_batch = (int)o->max_batch;
    b->window = o->window_ms / 1000.0;
    b->in_row = (size_t)sm->in_size * (sm->in_dtype == DC_I32 ? sizeof(int32_t) : sizeof(float));
    b->s = dc_session_new(sm->m, b->max_batch);
    b->xb = malloc(b->in_row * (size_t)b->max_batch);
    b->yb = malloc(sizeof(float) * (size_t)(sm->out_size * b->max_batch));
    pthread_mutex_init(&b->mu, NULL);
    pthread_cond_init(&b->work, NULL);
    if (b->s) { /* set before the thread that runs it starts */
        /* one thread by default: the connection threads read and parse requests
         * on the other cores, and OpenMP's waiting threads spin (they took a
         * quarter of the CPU from them under load) */
        dc_session_set_threads(b->s, o->threads > 0 ? (int)o->threads : 1);
        dc_session_set_probabilities(b->s, 1);
    }
    if (!b->s || !b->xb || !b->yb || pthread_create(&b->th, NULL, batcher_main, b)) {
        dc_session_free(b->s);
        free(b->xb), free(b->yb), free(b);
        return NULL;
    }
    return b;
}

void batcher_free(srv_batcher *b) {
    if (!b) return;
    pthread_mutex_lock(&b->mu);
    b->stop = 1;
    pthread_cond_broadcast(&b->work);
    pthread_mutex_unlock(&b->mu);
    pthread_join(b->th, NULL);
    dc_session_free(b->s);
    pthread_mutex_destroy(&b->mu);
    pthread_cond_destroy(&b->work);
    free(b->xb), free(b->yb), free(b);
}

/* A request for this model is being read (+1), or was queued or refused (-1). */
static void batcher_arriving(srv_batcher *b, int k) {
    pthread_mutex_lock(&b->mu);
    b->arriving += k;
    if (k < 0) pthread_cond_signal(&b->work);
    pthread_mutex_unlock(&b->mu);
}

/* Queue n rows (the request stops arriving) and wait for their outputs;
 * 0, or -1 with the error in err. */
static int batcher_run(srv_batcher *b, int64_t n, const void *x, float *y, char *err, size_t errn) {
    job j = {.n = n, .x = x, .y = y, .arrived = srv_now()};
    pthread_cond_init(&j.cv, NULL);
    pthread_mutex_lock(&b->mu);
    b->arriving--;
    if (b->tail) b->tail->next = &j;
    else b->head = &j;
    b->tail = &j;
    b->queued += n;
    pthread_cond_signal(&b->work);
    while (j.done < j.n) pthread_cond_wait(&j.cv, &b->mu);
    pthread_mutex_unlock(&b->mu);
    pthread_cond_destroy(&j.cv);
    if (j.failed) snprintf(err, errn, "%s", j.err);
    return j.failed ? -1 : 0;
}

/* ---- instances ---- */

/* The dims of a rectangular nest of arrays of numbers (dims[0] outermost);
 * its depth, or -1 (not rectangular, or a leaf that is not a number). */
static int nest_dims(json_t *v, int64_t *dims, int depth) {
    if (!json_is_array(v)) return json_is_number(v) ? depth : -1;
    if (depth >= DC_MAX_DIMS) return -1;
    const int64_t n = (int64_t)json_array_size(v);
    dims[depth] = n;
    if (!n) return -1;
    int d = nest_dims(json_array_get(v, 0), dims, depth + 1);
    for (int64_t i = 1; i < n && d >= 0; i++) {
        int64_t sub[DC_MAX_DIMS];
        memcpy(sub, dims, sizeof sub);
        if (nest_dims(json_array_get(v, (size_t)i), sub, depth + 1) != d || memcmp(sub + depth + 1, dims + depth + 1, sizeof(int64_t) * (size_t)(d - depth - 1)))
            return -1;
    }
    return d;
}

static void flatten(json_t *v, float *xf, int32_t *xi, int64_t *k) {
    if (json_is_array(v)) {
        for (size_t i = 0; i < json_array_size(v); i++) flatten(json_array_get(v, i), xf, xi, k);
        return;
    }
    const double d = json_number_value(v);
    if (xf) xf[*k] = (float)d;
    else xi[*k] = (int32_t)d;
    (*k)++;
}

/* Does the nest's shape fit the input's: exactly, flat, or without its leading 1s? */
static int shape_fits(const srv_model *sm, const int64_t *dims, int nd) {
    if (nd == 1 && dims[0] == sm->in_size) return 1;
    int skip = 0;
    while (skip < sm->in_ndim && sm->in_shape[skip] == 1 && sm->in_ndim - skip > nd) skip++;
    if (sm->in_ndim - skip != nd) return 0;
    return !memcmp(dims, sm->in_shape + skip, sizeof(int64_t) * (size_t)nd);
}

static void shape_text(const int64_t *d, int nd, char *s, size_t n) {
    size_t at = 0;
    s[0] = 0;
    for (int i = 0; i < nd && at < n; i++) at += (size_t)snprintf(s + at, n - at, "%s%lld", i ? "x" : "", (long long)d[i]);
}

static int numbers(const srv_model *sm, json_t *v, void *x, char *err, size_t errn) {
    int64_t dims[DC_MAX_DIMS];
    int nd = nest_dims(v, dims, 0);
    char want[128], got[128];
    shape_text(sm->in_shape, sm->in_ndim, want, sizeof want);
    if (nd < 0) {
        snprintf(err, errn, "not a rectangular array of numbers (the model takes %s)", want);
        return -1;
    }
    if (!shape_fits(sm, dims, nd)) {
        shape_text(dims, nd, got, sizeof got);
        snprintf(err, errn, "an array of shape %s; the model takes %s (or %lld numbers)", got, want, (long long)sm->in_size);
        return -1;
    }
    int64_t k = 0;
    if (sm->in_dtype == DC_I32) flatten(v, NULL, x, &k); /* token ids (whole_ids checked them) */
    else flatten(v, x, NULL, &k);
    return 0;
}

/* Every leaf of a token-id array a whole number in [0, 2^31). */
static int whole_ids(json_t *v) {
    if (json_is_array(v)) {
        for (size_t i = 0; i < json_array_size(v); i++)
            if (!whole_ids(json_array_get(v, i))) return 0;
        return 1;
    }
    if (json_is_integer(v)) return json_integer_value(v) >= 0 && json_integer_value(v) <= INT32_MAX;
    return 0;
}

static int table_row(const srv_model *sm, json_t *obj, float *x, char *err, size_t errn) {
    const size_t n = json_object_size(obj);
    const char **names = calloc(n ? n : 1, sizeof *names), **cells = calloc(n ? n : 1, sizeof *cells);
    char *store = calloc(n ? n : 1, 40);
    int rc = 0, k = 0;
    if (!names || !cells || !store) {
        snprintf(err, errn, "out of memory");
        rc = -1;
        goto done;
    }
    const char *key;
    json_t *val;
    json_object_foreach(obj, key, val) {
        char *s = store + 40 * k;
        if (json_is_string(val)) cells[k] = json_string_value(val);
        else if (json_is_integer(val)) snprintf(s, 40, "%lld", (long long)json_integer_value(val)), cells[k] = s;
        else if (json_is_real(val)) snprintf(s, 40, "%.17g", json_real_value(val)), cells[k] = s;
        else if (json_is_null(val)) cells[k] = ""; /* a missing value, as an empty CSV cell */
        else if (json_is_boolean(val)) cells[k] = json_is_true(val) ? "true" : "false";
        else {
            snprintf(err, errn, "column \"%.100s\": an %s, not a cell (a string, number or null)", key, json_is_array(val) ? "array" : "object");
            rc = -1;
            goto done;
        }
        names[k++] = key;
    }
    if (dc_tabular_row(sm->tab, names, cells, k, x, NULL)) { /* dc_model_row_input's step, on the pipeline read once */
        snprintf(err, errn, "%s", dc_last_error());
        rc = -1;
    }
done:
    free(names), free(cells), free(store);
    return rc;
}

static int image(const srv_model *sm, json_t *b64, float *x, char *err, size_t errn) {
    uint8_t *bytes;
    size_t n;
    if (!json_is_string(b64) || b64_decode(json_string_value(b64), json_string_length(b64), &bytes, &n)) {
        snprintf(err, errn, "\"b64\" is not base64 text");
        return -1;
    }
    int rc = 0;
    if (dc_model_image_input(sm->m, bytes, n, x)) {
        snprintf(err, errn, "%s", dc_last_error());
        rc = -1;
    }
    free(bytes);
    return rc;
}

/* Instance v into row x (in_size values of the input's dtype). */
static int instance(const srv_model *sm, json_t *v, void *x, char *err, size_t errn) {
    if (json_is_array(v)) {
        if (sm->in_dtype == DC_I32 && !whole_ids(v)) {
            snprintf(err, errn, "token ids must be whole numbers from 0");
            return -1;
        }
        return numbers(sm, v, x, err, errn);
    }
    if (json_is_object(v)) {
        json_t *b64 = json_object_get(v, "b64");
        if (b64 && json_object_size(v) == 1) {
            if (!sm->image) {
                snprintf(err, errn, "an image ({\"b64\": ...}), but the model does not take images");
                return -1;
            }
            return image(sm, b64, x, err, errn);
        }
        if (!sm->table) {
            snprintf(err, errn, "an object of columns, but the model keeps no table pipeline (it takes arrays of numbers)");
            return -1;
        }
        return table_row(sm, v, x, err, errn);
    }
    if (json_is_string(v)) {
        if (!sm->text) {
            snprintf(err, errn, "a string, but the model does not read text");
            return -1;
        }
        const dc_text_spec *sp = dc_model_text(sm->m); /* as dc_model_text_input pads and truncates */
        if (dc_tokenizer_encode(sm->tok, json_string_value(v), x, sp->maxlen, sp->pad_post, sp->truncate_post) < 0) {
            snprintf(err, errn, "%s", dc_last_error());
            return -1;
        }
        return 0;
    }
    snprintf(err, errn, "a %s; an instance is an array of numbers, an object of columns, {\"b64\": image} or a text",
             json_is_number(v) ? "number" : json_is_null(v) ? "null" : "boolean");
    return -1;
}

/* ---- the reply ---- */

static void prediction(sbuf *b, const srv_model *sm, const float *row) {
    if (sm->kind == K_VALUE) {
        sb_str(b, "{\"value\":");
        sb_num(b, row[0]);
        sb_str(b, "}");
        return;
    }
    if (sm->kind == K_VALUES) {
        sb_str(b, "{\"values\":[");
        for (int64_t k = 0; k < sm->out_size; k++) {
            if (k) sb_str(b, ",");
            sb_num(b, row[k]);
        }
        sb_str(b, "]}");
        return;
    }
    const int C = sm->nclasses;
#define PROB(k) (sm->out_size == 1 ? ((k) ? row[0] : 1.0 - row[0]) : (double)row[k])
    int best = 0;
    for (int k = 1; k < C; k++)
        if (PROB(k) > PROB(best)) best = k;
    sb_str(b, "{\"class\":");
    sb_json(b, sm->names[best], strlen(sm->names[best]));
    sb_printf(b, ",\"class_index\":%d,\"probability\":", best);
    sb_num(b, PROB(best));
    sb_str(b, ",\"probabilities\":{");
    for (int k = 0; k < C; k++) {
        if (k) sb_str(b, ",");
        sb_json(b, sm->names[k], strlen(sm->names[k]));
        sb_str(b, ":");
        sb_num(b, PROB(k));
    }
    sb_str(b, "}}");
#undef PROB
}

/* Input memory one request may take (rows x the input's size). */
#define PREDICT_INPUT_BYTES ((size_t)256 << 20)

/* ---- the fast path: {"instances": [arrays of numbers]} ----
 *
 * jansson builds an object per number (784 mallocs for one Fashion image)
 * and its strtod takes the locale's lock: most of a request's CPU under
 * load (bench/RESULTS.md, "Serving"). This reader writes the numbers straight into the rows, each
 * parsed to the double strtod gives (exact mantissa and power of ten:
 * Clinger's fast path; strtod for the rest), then rounded to float as the
 * slow path does. It takes only bodies of exactly that form whose
 * instances fit the model; anything else (other keys, objects, strings, a
 * wrong shape, bad JSON) goes to jansson, which also words the errors. */

typedef struct {
    const char *p, *end;
} cursor;

static void skip_ws(cursor *c) {
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\n' || *c->p == '\r' || *c->p == '\t')) c->p++;
}

static int eat(cursor *c, char ch) {
    skip_ws(c);
    if (c->p < c->end && *c->p == ch) {
        c->p++;
        return 1;
    }
    return 0;
}

/* A nest of arrays of numbers at depth d: dims[] the first seen at each
 * depth, every later one equal (rectangular); values appended to *xs. */
static int nest(cursor *c, int d, int64_t *dims, int *leaf, float **xs, int64_t *k, int64_t *cap) {
    skip_ws(c);
    if (c->p < c->end && *c->p != '[') {
        double v;
        if (*leaf >= 0 && *leaf != d) return 0;
        *leaf = d;
        const char *q = c->p;
        if (!srv_number(&q, c->end, &v)) return 0;
        c->p = q;
        if (*k == *cap) {
            float *t = realloc(*xs, sizeof(float) * (size_t)(*cap = *cap ? 2 * *cap : 4096));
            if (!t) return 0;
            *xs = t;
        }
        (*xs)[(*k)++] = (float)v;
        return 1;
    }
    if (d >= DC_MAX_DIMS || !eat(c, '[')) return 0;
    int64_t n = 0;
    if (!eat(c, ']')) {
        do {
            if (!nest(c, d + 1, dims, leaf, xs, k, cap)) return 0;
            n++;
        } while (eat(c, ','));
        if (!eat(c, ']')) return 0;
    }
    if (dims[d] < 0) dims[d] = n;
    return dims[d] == n && n > 0;
}

/* The rows of a body of the fast form into *x (malloc'ed) and *n; 0 when
 * the body is not of that form (the slow path reads it). */
static int fast_instances(const srv_model *sm, const srv_opts *o, const char *body, size_t len, float **x, int64_t *n) {
    cursor c = {body, body + len};
    float *xs = NULL;
    int64_t k = 0, cap = 0, rows = 0;
    if (!eat(&c, '{') || !eat(&c, '"') || c.end - c.p < 10 || memcmp(c.p, "instances\"", 10)) return 0;
    c.p += 10;
    if (!eat(&c, ':') || !eat(&c, '[')) return 0;
    do {
        int64_t dims[DC_MAX_DIMS];
        for (int i = 0; i < DC_MAX_DIMS; i++) dims[i] = -1;
        int leaf = -1;
        const int64_t at = k;
        skip_ws(&c);
        if (c.p >= c.end || *c.p != '[' || !nest(&c, 0, dims, &leaf, &xs, &k, &cap) || k - at != sm->in_size ||
            !shape_fits(sm, dims, leaf) || ++rows > o->max_instances)
            goto no;
    } while (eat(&c, ','));
    if (!eat(&c, ']') || !eat(&c, '}')) goto no;
    skip_ws(&c);
    if (c.p != c.end) goto no;
    *x = xs, *n = rows;
    return 1;
no:
    free(xs);
    return 0;
}

/* ---- the slow path: any instance, through jansson ---- */

/* The rows of the body into *x (malloc'ed) and *n; an error reply (body
 * set) when they are not. */
static srv_reply json_instances(const srv_model *sm, const srv_opts *o, const char *body, size_t len, void **x, int64_t *n) {
    json_error_t je;
    json_t *root = json_loadb(body, len, 0, &je);
    if (!root) return srv_error(400, "invalid JSON: %s (line %d, column %d)", je.text, je.line, je.column);
    json_t *inst = json_is_object(root) ? json_object_get(root, "instances") : NULL;
    if (!inst && json_is_object(root)) inst = json_object_get(root, "inputs");
    srv_reply r = {0};
    const size_t row = (size_t)sm->in_size * 4;
    *n = json_is_array(inst) ? (int64_t)json_array_size(inst) : 0;
    if (!json_is_array(inst)) {
        r = srv_error(400, "the body must be an object with \"instances\": an array (TF Serving's form)");
    } else if (*n < 1 || *n > o->max_instances) {
        r = srv_error(400, "%lld instances; a request holds 1 to %ld", (long long)*n, o->max_instances);
    } else if ((size_t)*n * row > PREDICT_INPUT_BYTES) {
        r = srv_error(400, "%lld instances of %lld values are over the %zu MB a request may fill", (long long)*n, (long long)sm->in_size,
                      PREDICT_INPUT_BYTES >> 20);
    } else if (!(*x = malloc((size_t)*n * row))) {
        r = srv_error(503, "out of memory");
    } else {
        char err[600];
        for (int64_t i = 0; i < *n && !r.body; i++)
            if (instance(sm, json_array_get(inst, (size_t)i), (char *)*x + (size_t)i * row, err, sizeof err))
                r = srv_error(400, "instance %lld: %s", (long long)i, err);
        if (r.body) free(*x), *x = NULL;
    }
    json_decref(root);
    return r;
}

srv_reply srv_predict(srv_model *sm, const srv_opts *o, const char *body, size_t len) {
    if (sm->lm) return srv_error(400, "model \"%s\" is a language model: POST /v1/completions", sm->name);
    if (sm->nin != 1) return srv_error(400, "model \"%s\" has %d inputs; predict serves models of one input", sm->name, sm->nin);
    batcher_arriving(sm->batcher, 1);
    void *x = NULL;
    float *y = NULL;
    int64_t n = 0;
    srv_reply r = {0};
    if (!(sm->in_dtype == DC_F32 && fast_instances(sm, o, body, len, (float **)&x, &n))) r = json_instances(sm, o, body, len, &x, &n);
    char err[600];
    if (!r.body && !(y = malloc(sizeof(float) * (size_t)(n * sm->out_size)))) r = srv_error(503, "out of memory");
    if (r.body) {
        batcher_arriving(sm->batcher, -1);
    } else if (batcher_run(sm->batcher, n, x, y, err, sizeof err)) {
        r = srv_error(400, "%s", err);
    } else {
        sbuf b = {0};
        sb_str(&b, "{\"model\":");
        sb_json(&b, sm->name, strlen(sm->name));
        sb_str(&b, ",\"predictions\":[");
        for (int64_t i = 0; i < n; i++) {
            if (i) sb_str(&b, ",");
            prediction(&b, sm, y + i * sm->out_size);
        }
        sb_str(&b, "]}\n");
        r = srv_ok(&b);
    }
    free(x), free(y);
    return r;
}
