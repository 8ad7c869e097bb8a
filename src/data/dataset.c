/* dataset.c — in-memory datasets: the constructor every loader uses,
 * subsets, splits, batches and one-hot encoding. Loaders (idx.c, image.c,
 * tabular.c) call this file; it calls none of them. */
#include "../core/internal.h"
#include <stdlib.h>
#include <string.h>

void dc_dataset_free(dc_dataset *d) {
    if (!d) return;
    for (int k = 0; k < d->narrays; k++) free(d->arrays[k].data);
    free(d->x.data);
    free(d->y.data);
    free(d->stream.tokens);
    free(d);
}

/* Where sample j of a stream starts in its tokens. */
static const int32_t *window(const dc_dataset *d, int64_t j) { return d->stream.tokens + j * d->stream.stride; }

dc_dataset *dc_dataset_stream(const int32_t *tokens, int64_t ntokens, int64_t context, int64_t stride) {
    if (context < 1 || stride < 1 || ntokens < context + 1) {
        dc_set_error(DC_ERR_INVALID, "token stream: %lld tokens do not make one window of %lld and its next token", (long long)ntokens,
                     (long long)context);
        return NULL;
    }
    dc_dataset *d = calloc(1, sizeof *d);
    int32_t *copy = malloc(sizeof(int32_t) * (size_t)ntokens);
    if (!d || !copy) {
        free(d);
        free(copy);
        dc_set_error(DC_ERR_NOMEM, "token stream: out of memory for %lld tokens", (long long)ntokens);
        return NULL;
    }
    memcpy(copy, tokens, sizeof(int32_t) * (size_t)ntokens);
    d->n = (ntokens - context - 1) / stride + 1;
    d->kind = DC_DATASET_STREAM;
    d->stream.tokens = copy;
    d->stream.stride = stride;
    d->stream.ntokens = ntokens;
    int32_t mx = 0;
    for (int64_t i = 0; i < ntokens; i++) mx = tokens[i] > mx ? tokens[i] : mx;
    d->num_classes = mx + 1;
    for (dc_array *a = &d->x; a; a = a == &d->x ? &d->y : NULL) {
        a->dtype = DC_I32;
        a->ndim = 1;
        a->shape[0] = a->size = context;
        a->scale = 1.0f;
    }
    return d;
}

/* Shape, size and storage of n samples of one array. */
static dc_status array_init(dc_array *a, int64_t n, dc_dtype t, int nd, const int64_t *shape, const char *what) {
    size_t es = dc_dtype_size(t);
    if (!es || nd < 0 || nd > DC_MAX_DIMS - 1) return dc_set_error(DC_ERR_INVALID, "dataset: bad %s type or shape", what);
    a->dtype = t;
    a->ndim = nd;
    if (nd) memcpy(a->shape, shape, sizeof(int64_t) * (size_t)nd);
    a->size = dc_shape_size(nd, shape);
    a->scale = t == DC_U8 ? 1.0f / 255.0f : 1.0f;
    int64_t total = a->size >= 0 && n >= 0 ? dc_shape_size(2, (int64_t[]){n, a->size}) : -1;
    if (total < 0 || total > ((int64_t)1 << 40) / (int64_t)es)
        return dc_set_error(DC_ERR_NOMEM, "dataset: %lld samples of %lld %s values is too large", (long long)n, (long long)a->size, what);
    if (!(a->data = calloc((size_t)(total ? total : 1), es)))
        return dc_set_error(DC_ERR_NOMEM, "dataset: out of memory for %lld %s values", (long long)total, what);
    return DC_OK;
}

dc_dataset *dc_dataset_new(int64_t n, dc_dtype xtype, int xnd, const int64_t *xshape, dc_dtype ytype, int ynd,
                           const int64_t *yshape) {
    dc_dataset *d = calloc(1, sizeof *d);
    if (!d) {
        dc_set_error(DC_ERR_NOMEM, "dataset: out of memory");
        return NULL;
    }
    d->n = n;
    if (array_init(&d->x, n, xtype, xnd, xshape, "input") || (ynd >= 0 && array_init(&d->y, n, ytype, ynd, yshape, "target"))) {
        dc_dataset_free(d);
        return NULL;
    }
    if (ynd < 0) d->y.dtype = DC_F32; /* absent: data stays NULL */
    return d;
}

dc_dataset *dc_dataset_subset(const dc_dataset *d, const int64_t *idx, int64_t n) {
    if (d->kind == DC_DATASET_STREAM) { /* windows of a stream become samples of their own */
        dc_dataset *s = dc_dataset_new(n, DC_I32, 1, d->x.shape, DC_I32, 1, d->y.shape);
        if (!s) return NULL;
        s->num_classes = d->num_classes;
        for (int64_t i = 0; i < n; i++) {
            memcpy((int32_t *)s->x.data + i * d->x.size, window(d, idx[i]), sizeof(int32_t) * (size_t)d->x.size);
            memcpy((int32_t *)s->y.data + i * d->x.size, window(d, idx[i]) + 1, sizeof(int32_t) * (size_t)d->x.size);
        }
        return s;
    }
    dc_dataset *s = dc_dataset_new(n, d->x.dtype, d->x.ndim, d->x.shape, d->y.dtype, d->y.data ? d->y.ndim : -1, d->y.shape);
    if (!s) return NULL;
    s->x.scale = d->x.scale;
    s->num_classes = d->num_classes;
    s->augment = d->augment;
    size_t xb = (size_t)d->x.size * dc_dtype_size(d->x.dtype), yb = (size_t)d->y.size * dc_dtype_size(d->y.dtype);
    for (int64_t i = 0; i < n; i++) {
        int64_t j = idx[i];
        memcpy((char *)s->x.data + (size_t)i * xb, (const char *)d->x.data + (size_t)j * xb, xb);
        if (d->y.data) memcpy((char *)s->y.data + (size_t)i * yb, (const char *)d->y.data + (size_t)j * yb, yb);
    }
    for (int k = 0; k < d->narrays; k++) {
        const dc_array *a = &d->arrays[k];
        dc_array *b = dc_dataset_add_array(s, d->array_name[k], a->dtype, a->ndim, a->shape);
        if (!b) {
            dc_dataset_free(s);
            return NULL;
        }
        const size_t ab = (size_t)a->size * dc_dtype_size(a->dtype);
        for (int64_t i = 0; i < n; i++) memcpy((char *)b->data + (size_t)i * ab, (const char *)a->data + (size_t)idx[i] * ab, ab);
    }
    return s;
}

dc_array *dc_dataset_add_array(dc_dataset *d, const char *name, dc_dtype type, int ndim, const int64_t *shape) {
    if (!dc_array_name_ok(name)) {
        dc_set_error(DC_ERR_INVALID, "dataset: array name \"%s\" must be 1 to 31 letters, digits, _ . - and not x, y, label or input",
                     name ? name : "(null)");
        return NULL;
    }
    if (d->kind == DC_DATASET_STREAM || (type != DC_I32 && type != DC_F32) || d->narrays == DC_DATASET_MAX_ARRAYS || dc_dataset_array(d, name)) {
        dc_set_error(DC_ERR_INVALID, "dataset: array \"%s\": %s", name,
                     d->kind == DC_DATASET_STREAM ? "a token stream holds no other arrays"
                     : type != DC_I32 && type != DC_F32 ? "its type must be I32 (labels) or F32 (values)"
                     : d->narrays == DC_DATASET_MAX_ARRAYS ? "too many arrays"
                                                           : "the dataset has an array of that name already");
        return NULL;
    }
    dc_array *a = &d->arrays[d->narrays];
    if (array_init(a, d->n, type, ndim, shape, name)) {
        memset(a, 0, sizeof *a);
        return NULL;
    }
    snprintf(d->array_name[d->narrays++], sizeof d->array_name[0], "%s", name);
    return a;
}

const dc_array *dc_dataset_array(const dc_dataset *d, const char *name) {
    if (!strcmp(name, "x")) return &d->x;
    if (!strcmp(name, "y")) return d->y.data ? &d->y : NULL;
    for (int k = 0; k < d->narrays; k++)
        if (!strcmp(d->array_name[k], name)) return &d->arrays[k];
    return NULL;
}

dc_status dc_dataset_feed(const dc_dataset *d, dc_graph *g, const int64_t *idx, int64_t n) {
    for (int k = 0; k < d->narrays; k++) {
        const dc_array *a = &d->arrays[k];
        int64_t shape[DC_MAX_DIMS];
        shape[0] = n;
        memcpy(shape + 1, a->shape, sizeof(int64_t) * (size_t)a->ndim);
        dc_tensor *t = dc_input(g, a->dtype, a->ndim + 1, shape);
        if (!t) return DC_ERR_NOMEM;
        const size_t ab = (size_t)a->size * dc_dtype_size(a->dtype);
        for (int64_t i = 0; i < n; i++) memcpy((char *)t->raw + (size_t)i * ab, (const char *)a->data + (size_t)idx[i] * ab, ab);
        dc_status st = dc_graph_feed(g, d->array_name[k], t);
        if (st) return st;
    }
    return DC_OK;
}

dc_status dc_dataset_split(const dc_dataset *d, float fraction, int shuffle, uint64_t seed, dc_dataset **train,
                           dc_dataset **val) {
    *train = *val = NULL;
    if (!(fraction > 0.0f && fraction < 1.0f)) return dc_set_error(DC_ERR_INVALID, "split: fraction %g must be in (0, 1)", fraction);
    int64_t nval = (int64_t)((double)d->n * fraction);
    if (nval < 1 || nval >= d->n)
        return dc_set_error(DC_ERR_INVALID, "split: %g of %lld samples leaves an empty part", fraction, (long long)d->n);
    int64_t *idx = malloc(sizeof(int64_t) * (size_t)d->n);
    if (!idx) return dc_set_error(DC_ERR_NOMEM, "split: out of memory");
    for (int64_t i = 0; i < d->n; i++) idx[i] = i;
    if (shuffle) {
        dc_rng r;
        dc_rng_seed(&r, seed);
        dc_rng_shuffle(&r, idx, d->n);
    }
    *train = dc_dataset_subset(d, idx, d->n - nval);
    *val = dc_dataset_subset(d, idx + (d->n - nval), nval);
    free(idx);
    if (!*train || !*val) {
        dc_dataset_free(*train);
        dc_dataset_free(*val);
        *train = *val = NULL;
        return DC_ERR_NOMEM;
    }
    return DC_OK;
}

void dc_dataset_gather(const dc_dataset *d, const int64_t *idx, int64_t n, float *x, void *y) {
    const int64_t s = d->x.size;
    const size_t yb = (size_t)d->y.size * dc_dtype_size(d->y.dtype);
    for (int64_t i = 0; i < n; i++) {
        int64_t j = idx[i];
        float *dst = x ? x + i * s : NULL;
        if (d->kind == DC_DATASET_STREAM) { /* a window of the stream, and the tokens after each of its steps */
            for (int64_t k = 0; dst && k < s; k++) dst[k] = (float)window(d, j)[k];
            if (y) memcpy((char *)y + (size_t)i * yb, window(d, j) + 1, yb);
            continue;
        }
        if (!dst) {
        } else if (d->x.dtype == DC_U8) {
            const uint8_t *src = (const uint8_t *)d->x.data + j * s;
            for (int64_t k = 0; k < s; k++) dst[k] = (float)src[k] * d->x.scale;
        } else if (d->x.dtype == DC_I32) {
            const int32_t *src = (const int32_t *)d->x.data + j * s;
            for (int64_t k = 0; k < s; k++) dst[k] = (float)src[k];
        } else {
            memcpy(dst, (const float *)d->x.data + j * s, sizeof(float) * (size_t)s);
        }
        if (y && d->y.data) memcpy((char *)y + (size_t)i * yb, (const char *)d->y.data + (size_t)j * yb, yb);
    }
}

dc_status dc_dataset_batch(const dc_dataset *d, dc_graph *g, const int64_t *idx, int64_t n, dc_tensor **x, dc_tensor **y) {
    int64_t shape[DC_MAX_DIMS];
    shape[0] = n;
    memcpy(shape + 1, d->x.shape, sizeof(int64_t) * (size_t)d->x.ndim);
    *y = NULL;
    if (d->x.dtype == DC_I32) { /* token ids stay integers */
        if (!(*x = dc_input(g, DC_I32, d->x.ndim + 1, shape))) return DC_ERR_NOMEM;
        for (int64_t i = 0; i < n; i++)
            memcpy((*x)->idata + i * d->x.size, d->kind == DC_DATASET_STREAM ? window(d, idx[i]) : (const int32_t *)d->x.data + idx[i] * d->x.size,
                   sizeof(int32_t) * (size_t)d->x.size);
    } else {
        if (!(*x = dc_input(g, DC_F32, d->x.ndim + 1, shape))) return DC_ERR_NOMEM;
        dc_dataset_gather(d, idx, n, (*x)->data, NULL);
    }
    if (dc_dataset_has_targets(d)) {
        memcpy(shape + 1, d->y.shape, sizeof(int64_t) * (size_t)d->y.ndim);
        if (!(*y = dc_input(g, d->y.dtype, d->y.ndim + 1, shape))) return DC_ERR_NOMEM;
        dc_dataset_gather(d, idx, n, NULL, (*y)->raw);
    }
    return DC_OK;
}

dc_status dc_dataset_match_classes(dc_dataset *d, char *const *names, int n, char *const *model_names, int nmodel,
                                   const char *where, FILE *report) {
    if (d->y.dtype != DC_I32) return dc_set_error(DC_ERR_INVALID, "%s: class labels must be int32", where);
    dc_strmap map;
    int dup[2];
    dc_status st = dc_strmap_build(&map, model_names, nmodel, dup);
    if (st == DC_ERR_INVALID) return dc_set_error(DC_ERR_FORMAT, "the model names class \"%s\" twice", model_names[dup[0]]);
    if (st) return st;
    int *to = malloc(sizeof(int) * (size_t)(n ? n : 1));
    char *present = calloc((size_t)nmodel + 1, 1);
    if (!to || !present) st = dc_set_error(DC_ERR_NOMEM, "out of memory");
    for (int k = 0; !st && k < n; k++) {
        if ((to[k] = dc_strmap_find(&map, names[k])) < 0)
            st = dc_set_error(DC_ERR_FORMAT, "%s: class folder \"%s\" is not one of the model's %d classes (%s%s%s)", where,
                              names[k], nmodel, model_names[0], nmodel > 1 ? ", " : "", nmodel > 1 ? model_names[1] : "");
        else present[to[k]] = 1;
    }
    int32_t *y = d->y.data;
    for (int64_t i = 0; !st && i < d->n * d->y.size; i++)
        if (y[i] >= 0 && y[i] < n) y[i] = to[y[i]];
    if (!st) {
        d->num_classes = nmodel;
        int missing = 0;
        for (int k = 0; k < nmodel; k++) missing += !present[k];
        if (missing && report) {
            fprintf(report, "%s: %d of the model's %d classes have no folder here:", where, missing, nmodel);
            for (int k = 0, shown = 0; k < nmodel && shown < 10; k++)
                if (!present[k]) fprintf(report, " %s", model_names[k]), shown++;
            fprintf(report, "%s\n", missing > 10 ? " ..." : "");
        }
    }
    free(to);
    free(present);
    dc_strmap_free(&map);
    return st;
}

uint64_t dc_dataset_fingerprint(const dc_dataset *d) {
    /* FNV-1a over the inputs' and targets' bytes */
    uint64_t h = 1469598103934665603ull;
    if (d->kind == DC_DATASET_STREAM) { /* a stream: its tokens */
        const unsigned char *p = (const unsigned char *)d->stream.tokens;
        for (size_t i = 0; i < (size_t)d->stream.ntokens * 4; i++) h = (h ^ p[i]) * 1099511628211ull;
        return h;
    }
    const dc_array *t[2 + DC_DATASET_MAX_ARRAYS] = {&d->x, &d->y};
    for (int k = 0; k < d->narrays; k++) t[2 + k] = &d->arrays[k];
    for (int k = 0; k < 2 + d->narrays; k++) {
        const unsigned char *p = t[k]->data;
        size_t n = p ? (size_t)(d->n * t[k]->size) * (t[k]->dtype == DC_U8 ? 1 : 4) : 0;
        for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * 1099511628211ull;
    }
    return h;
}
