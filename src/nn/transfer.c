/* transfer.c — starting a model from another one's weights: every tensor
 * with the same name and shape is copied (a pretrained language model's
 * embedding and LSTM into a classifier built of the same layers). Freezing
 * lives in model.c, beside the buffer layout it changes. */
#include "model.h"
#include <string.h>

static int same_shape(const dc_tensor *a, const dc_tensor *b) {
    if (a->ndim != b->ndim) return 0;
    for (int i = 0; i < a->ndim; i++)
        if (a->shape[i] != b->shape[i]) return 0;
    return 1;
}

static void shape_text(const dc_tensor *t, char *buf, size_t n) {
    size_t k = (size_t)snprintf(buf, n, "(");
    for (int i = 0; i < t->ndim && k < n; i++) k += (size_t)snprintf(buf + k, n - k, i ? ", %lld" : "%lld", (long long)t->shape[i]);
    if (k < n) snprintf(buf + k, n - k, ")");
}

/* A float tensor t from src's quantized (int8 or 4-bit) tensor s of the
 * same values per row: dequantized. 0 when it is not that case. */
static int dequantize_into(dc_tensor *t, const dc_model *src, int j) {
    const dc_param_decl *d = src->named[j].decl;
    const dc_layer *l = src->named[j].layer;
    if (t->dtype != DC_F32 || !d || !l || d->scale < 0 || !d->matrix || t->ndim != d->ndim || t->shape[0] != d->shape[0] ||
        t->size != dc_param_values(d))
        return 0;
    dc_layer_param_floats(l, (int)(d - l->decl), t->data);
    return 1;
}

int dc_model_init_from(dc_model *m, dc_model *src, FILE *report) {
    if (!m->built || !src->built) {
        dc_set_error(DC_ERR_INVALID, "init-from: both models must be built");
        return -1;
    }
    int loaded = 0, skipped = 0;
    int64_t values = 0;
    for (int i = 0; i < m->nnamed; i++) {
        dc_tensor *t = m->named[i].t, *s = NULL;
        int j = 0;
        for (; j < src->nnamed && !s; j++)
            if (!strcmp(src->named[j].name, m->named[i].name)) s = src->named[j].t;
        if (s && dequantize_into(t, src, j - 1)) { /* a quantized model's weights start a float one */
            loaded++, values += t->size;
            if (report) fprintf(report, "loaded:  %s (dequantized from %s)\n", m->named[i].name, dc_weights_name(s->dtype));
            continue;
        }
        if (s && same_shape(s, t) && s->dtype == t->dtype) {
            memcpy(t->raw, s->raw, dc_dtype_size(t->dtype) * (size_t)t->size);
            loaded++, values += t->size;
            if (report) fprintf(report, "loaded:  %s\n", m->named[i].name);
            continue;
        }
        skipped++;
        if (!report) continue;
        if (!s) {
            fprintf(report, "skipped: %s (not in the source model)\n", m->named[i].name);
        } else if (s->dtype != t->dtype) {
            fprintf(report, "skipped: %s (%s here, %s there)\n", m->named[i].name, dc_dtype_name(t->dtype), dc_dtype_name(s->dtype));
        } else {
            char a[96], b[96];
            shape_text(t, a, sizeof a), shape_text(s, b, sizeof b);
            fprintf(report, "skipped: %s (shape %s here, %s there)\n", m->named[i].name, a, b);
        }
    }
    if (report) fprintf(report, "init-from: %d tensors loaded (%lld values), %d skipped\n", loaded, (long long)values, skipped);
    if (!loaded) {
        dc_set_error(DC_ERR_INVALID, "init-from: no tensor of the source model has a name and shape of this one");
        return -1;
    }
    return loaded;
}
