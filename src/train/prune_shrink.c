/* prune_shrink.c — after a structured prune, the smaller dense model
 * (dc_model_shrink): each layer whose pruned units are exactly 0 all the
 * way to the layer reading them (dc_prune_structured_path) is written with
 * fewer units or filters, and its weights copied without the pruned rows;
 * a batchnorm on the way loses the same channels, and the reading layer
 * the matching input columns (or input channels, or the positions of a
 * flattened channel). What a removed unit contributed was 0, so the copy
 * computes what the pruned model did. */
#include "prune.h"
#include <stdlib.h>
#include <string.h>

/* Keep flags of node's rows (units): kept when any of its weights, its
 * bias or its batchnorm scale or shift is not 0; at least one. The count
 * kept. */
static int64_t kept_units(const dc_model *m, int node, const dc_prune_path *p, uint8_t *keep) {
    const dc_layer *l = m->nodes[node];
    const dc_tensor *w = l->param[0];
    const int64_t rows = l->decl[0].shape[0], cols = w->size / rows;
    const dc_tensor *b = NULL, *g = NULL, *be = NULL;
    for (int k = 1; k < l->nparam; k++)
        if (!strcmp(l->decl[k].what, "bias")) b = l->param[k];
    if (p->bn >= 0) {
        const dc_layer *n = m->nodes[p->bn];
        for (int k = 0; k < n->nparam; k++) {
            if (!strcmp(n->decl[k].what, "weight")) g = n->param[k]; /* gamma */
            if (!strcmp(n->decl[k].what, "bias")) be = n->param[k]; /* beta */
        }
    }
    int64_t n = 0;
    for (int64_t r = 0; r < rows; r++) {
        int any = (b && b->data[r] != 0.0f) || (g && g->data[r] != 0.0f) || (be && be->data[r] != 0.0f);
        for (int64_t j = 0; j < cols && !any; j++) any = w->data[r * cols + j] != 0.0f;
        keep[r] = (uint8_t)any;
        n += any;
    }
    if (!n) keep[0] = 1, n = 1;
    return n;
}

/* line (1-based) of text with its count (the first word after the
 * keyword without '=', or units= / filters=) set to v; malloc'ed. */
static char *set_count(const char *text, int line, int64_t v) {
    dc_strbuf b = {0};
    int at = 1;
    for (const char *p = text;; at++) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        if (at != line) {
            dc_sb_printf(&b, "%.*s", (int)len, p);
        } else {
            int word = 0, done = 0;
            for (size_t i = 0; i < len;) {
                size_t j = i;
                if (p[i] == ' ' || p[i] == '\t') {
                    while (j < len && (p[j] == ' ' || p[j] == '\t')) j++;
                    dc_sb_printf(&b, "%.*s", (int)(j - i), p + i);
                    i = j;
                    continue;
                }
                while (j < len && p[j] != ' ' && p[j] != '\t') j++;
                const char *eq = memchr(p + i, '=', j - i);
                const int count = !done && word > 0 && p[i] != '#' &&
                                  (!eq || (eq - (p + i) == 5 && !strncmp(p + i, "units", 5)) || (eq - (p + i) == 7 && !strncmp(p + i, "filters", 7)));
                if (p[i] == '#') { /* a comment: the rest as is */
                    dc_sb_printf(&b, "%.*s", (int)(len - i), p + i);
                    break;
                }
                if (count) dc_sb_printf(&b, "%.*s%lld", eq ? (int)(eq + 1 - (p + i)) : 0, p + i, (long long)v), done = 1;
                else dc_sb_printf(&b, "%.*s", (int)(j - i), p + i);
                word++;
                i = j;
            }
        }
        if (!nl) break;
        dc_sb_puts(&b, "\n");
        p = nl + 1;
    }
    if (b.oom) {
        free(b.s);
        return NULL;
    }
    return b.s;
}

/* dst from src (same kind, dims 0 and 1 possibly cut): rows kept where
 * rk (NULL: all), dim-1 entries where ck (NULL: all). */
static dc_status copy_cut(const dc_tensor *src, dc_tensor *dst, const uint8_t *rk, const uint8_t *ck, const char *name) {
    const int64_t r0 = src->shape[0], c0 = src->ndim > 1 ? src->shape[1] : 1;
    const int64_t inner = src->size / (r0 * c0);
    int64_t nr = 0, nc = 0;
    for (int64_t r = 0; r < r0; r++) nr += !rk || rk[r];
    for (int64_t c = 0; c < c0; c++) nc += !ck || ck[c];
    if (src->dtype != DC_F32 || dst->dtype != DC_F32 || nr * nc * inner != dst->size)
        return dc_set_error(DC_ERR_INVALID, "shrink: %s does not fit the smaller layer (%lld values for %lld)", name,
                            (long long)(nr * nc * inner), (long long)dst->size);
    float *o = dst->data;
    for (int64_t r = 0; r < r0; r++) {
        if (rk && !rk[r]) continue;
        for (int64_t c = 0; c < c0; c++) {
            if (ck && !ck[c]) continue;
            memcpy(o, src->data + (r * c0 + c) * inner, sizeof(float) * (size_t)inner);
            o += inner;
        }
    }
    return DC_OK;
}

/* The reading layer's input columns to keep: its units' own positions, or
 * every flattened position of a kept unit. */
static uint8_t *column_keep(const dc_prune_path *p, const uint8_t *keep, int64_t units) {
    if (!p->flat_ndim) {
        uint8_t *c = malloc((size_t)units);
        if (c) memcpy(c, keep, (size_t)units);
        return c;
    }
    int64_t n = 1, stride = 1;
    for (int j = 0; j < p->flat_ndim; j++) n *= p->flat_shape[j];
    for (int j = p->axis + 1; j < p->flat_ndim; j++) stride *= p->flat_shape[j];
    uint8_t *c = malloc((size_t)n);
    if (c)
        for (int64_t f = 0; f < n; f++) c[f] = keep[(f / stride) % p->flat_shape[p->axis]];
    return c;
}

dc_model *dc_model_shrink(const dc_model *m, FILE *report) {
    if (!m->built) {
        dc_set_error(DC_ERR_INVALID, "shrink: the model is not built");
        return NULL;
    }
    const int nn = m->nnodes;
    uint8_t **rows = calloc((size_t)nn, sizeof *rows), **cols = calloc((size_t)nn, sizeof *cols);
    char *written = m->meta.description ? NULL : dc_model_write_description(m), *text = NULL;
    dc_model *lines = NULL, *s = NULL;
    int shrunk = 0;
    if (!rows || !cols || (!m->meta.description && !written)) {
        dc_set_error(DC_ERR_NOMEM, "shrink: out of memory");
        goto done;
    }
    const char *desc = m->meta.description ? m->meta.description : written;
    if (!(lines = dc_model_parse_unbuilt(desc, "shrink", m->in_ndim, m->in_shape, m->meta.vocab_rows))) goto done;
    if (!(text = strdup(desc))) goto done;
    for (int i = 0; i < nn; i++) {
        dc_prune_path p;
        char why[160];
        if (!dc_prune_structured_path(m, i, &p, why, sizeof why) || lines->nodes[i]->line < 1) continue;
        const int64_t units = m->nodes[i]->decl[0].shape[0];
        uint8_t *keep = malloc((size_t)units);
        if (!keep) goto nomem;
        const int64_t k = kept_units(m, i, &p, keep);
        if (k == units) {
            free(keep);
            continue;
        }
        rows[i] = keep;
        if (p.bn >= 0 && !(rows[p.bn] = malloc((size_t)units))) goto nomem;
        if (p.bn >= 0) memcpy(rows[p.bn], keep, (size_t)units);
        if (!(cols[p.consumer] = column_keep(&p, keep, units))) goto nomem;
        char *t = set_count(text, lines->nodes[i]->line, k);
        if (!t) goto nomem;
        free(text);
        text = t;
        shrunk++;
        if (report) fprintf(report, "  %-24s %-10s %lld -> %lld %s\n", m->nodes[i]->name, m->nodes[i]->type->keyword, (long long)units,
                            (long long)k, strcmp(m->nodes[i]->type->keyword, "dense") ? "filters" : "units");
    }
    if (!shrunk) {
        dc_set_error(DC_ERR_INVALID, "shrink: no layer has pruned units to remove (prune with --structured first)");
        goto done;
    }
    s = dc_model_parse_unbuilt(text, "shrunk description", m->in_ndim, m->in_shape, m->meta.vocab_rows);
    if (!s || s->nnodes != nn || dc_model_build(s, s->recipe.fit.seed) || dc_model_copy_meta(s, m)) {
        if (s && s->nnodes != nn) dc_set_error(DC_ERR_INVALID, "shrink: the new description has other layers");
        dc_model_free(s);
        s = NULL;
        goto done;
    }
    for (int i = 0; i < nn; i++) {
        const dc_layer *a = m->nodes[i], *b = s->nodes[i];
        for (int k = 0; k < a->nparam && k < b->nparam; k++) {
            const int is_weight = !strcmp(a->decl[k].what, "weight"), row_cut = is_weight || !strcmp(a->decl[k].what, "bias") ||
                                                                                   !strcmp(a->type->keyword, "batchnorm");
            char name[160];
            snprintf(name, sizeof name, "%s.%s", a->name, a->decl[k].what);
            if (copy_cut(a->param[k], b->param[k], row_cut ? rows[i] : NULL, is_weight ? cols[i] : NULL, name)) {
                dc_model_free(s);
                s = NULL;
                goto done;
            }
        }
    }
    if (m->meta.pruning) {
        char *t = malloc(strlen(m->meta.pruning) + 64);
        if (t) sprintf(t, "%s; pruned units removed (%d layers)", m->meta.pruning, shrunk);
        s->meta.pruning = t;
    }
    goto done;
nomem:
    dc_set_error(DC_ERR_NOMEM, "shrink: out of memory");
done:
    for (int i = 0; i < nn && rows; i++) free(rows[i]);
    for (int i = 0; i < nn && cols; i++) free(cols[i]);
    free(rows), free(cols), free(written), free(text);
    dc_model_free(lines);
    return s;
}
