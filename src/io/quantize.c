/* quantize.c — a quantized copy of a model (deepc quantize).
 *
 * The copy is the same description with weights=i8 (or weights=q4) on
 * every line whose layers hold weight matrices, so the model file says
 * what it stores and loads like any other. Its values come from the
 * source's, as floats (dequantized first if the source stored them in
 * another type): matrices quantized (int8 per output row, or q4_0 in
 * blocks of 32), everything else (biases, norms, BatchNorm statistics,
 * positional tables) copied as is. The model file's metadata (class
 * names, vocabulary, tokenizer, pipeline) comes along. */
#include "../nn/model.h"
#include "../kernels/kernels.h"
#include "../core/internal.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The lines' weight types: what each description line's layers will store.
 * 4-bit needs every matrix of every layer on the line 2-D with a multiple
 * of 32 columns (a repeat block's copies share their line). */
static dc_dtype layer_choice(const dc_layer *l, int bits) {
    int any = 0, q4 = bits == 4;
    for (int k = 0; k < l->nparam; k++) {
        const dc_param_decl *d = &l->decl[k];
        if (!d->matrix) continue;
        any = 1;
        q4 &= d->ndim == 2 && d->cols % DC_Q4_BLOCK == 0;
    }
    return !any ? DC_F32 : q4 ? DC_WEIGHTS_Q4 : DC_I8;
}

/* text with " weights=W" on each chosen line (replacing a weights= there),
 * before any comment; malloc'ed */
static char *rewrite(const char *text, const dc_dtype *line_type, const char *line_static, int nlines) {
    dc_strbuf b = {0};
    int line = 1;
    for (const char *p = text;;) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        const dc_dtype t = line <= nlines ? line_type[line] : DC_F32;
        if (t == DC_F32) {
            dc_sb_printf(&b, "%.*s", (int)len, p);
        } else {
            const char *hash = memchr(p, '#', len);
            size_t body = hash ? (size_t)(hash - p) : len;
            while (body && (p[body - 1] == ' ' || p[body - 1] == '\t' || p[body - 1] == '\r')) body--;
            /* drop an existing weights= word */
            size_t w = 0;
            for (size_t i = 0; i < body;) {
                size_t j = i;
                while (j < body && p[j] != ' ' && p[j] != '\t') j++;
                if (!(j - i > 8 && !strncmp(p + i, "weights=", 8)) && !(j - i > 12 && !strncmp(p + i, "activations=", 12))) dc_sb_printf(&b, "%s%.*s", w++ ? " " : "", (int)(j - i), p + i);
                while (j < body && (p[j] == ' ' || p[j] == '\t')) j++;
                i = j;
            }
            dc_sb_printf(&b, " weights=%s%s%s%.*s", dc_weights_name(t), line_static && line_static[line] ? " activations=static" : "",
                         hash ? " " : "", hash ? (int)(len - (size_t)(hash - p)) : 0, hash ? hash : "");
        }
        if (!nl) break;
        dc_sb_puts(&b, "\n");
        p = nl + 1;
        line++;
    }
    if (b.oom || !b.s) {
        free(b.s);
        return NULL;
    }
    return b.s;
}

/* q's tensors from src's (the same description: node i is node i, a
 * tensor is found by its name in its layer): quantized where q stores them
 * so, else copied. */
static dc_status fill(dc_model *q, const dc_model *src) {
    for (int i = 0; i < q->nnodes; i++) {
        const dc_layer *l = q->nodes[i], *sl = src->nodes[i];
        for (int k = 0; k < l->nparam; k++) {
            const dc_param_decl *d = &l->decl[k];
            int is_scale = 0; /* a scale: written with its matrix */
            for (int s = 0; s < l->nparam; s++) is_scale |= l->decl[s].scale == k || l->decl[s].act_scale == k || l->decl[s].act_zero == k;
            if (is_scale) continue;
            int ks = 0;
            while (ks < sl->nparam && strcmp(sl->decl[ks].what, d->what)) ks++;
            const int64_t rows = d->ndim ? d->shape[0] : 1, cols = d->matrix ? d->cols : 0, n = dc_param_values(d);
            if (ks == sl->nparam || dc_param_values(&sl->decl[ks]) != n)
                return dc_set_error(DC_ERR_INVALID, "quantize: tensor \"%s.%s\" is not in the source model with %lld values", l->name,
                                    d->what, (long long)n);
            float *v = malloc(sizeof(float) * (size_t)(n ? n : 1));
            if (!v) return dc_set_error(DC_ERR_NOMEM, "quantize: out of memory");
            dc_layer_param_floats(sl, ks, v);
            for (int64_t e = 0; e < n; e++)
                if (!isfinite(v[e])) {
                    const int nan = isnan(v[e]);
                    free(v);
                    return dc_set_error(DC_ERR_INVALID, "quantize: tensor \"%s.%s\" holds %s at value %lld: nothing to quantize", l->name,
                                        d->what, nan ? "NaN" : "an infinity", (long long)e);
                }
            dc_tensor *t = l->param[k];
            if (d->dtype == DC_I8) dc_k_quantize_rows_i8(v, rows, cols, t->raw, l->param[d->scale]->data);
            else if (d->dtype == DC_WEIGHTS_Q4) dc_k_quantize_q4_rows(v, rows, cols, t->raw, l->param[d->scale]->raw);
            else if (d->dtype == DC_F16) dc_k_f32_to_f16_n(v, t->raw, n);
            else if (d->dtype == DC_BF16) dc_k_f32_to_bf16_n(v, t->raw, n);
            else memcpy(t->data, v, sizeof(float) * (size_t)n);
            free(v);
        }
    }
    return DC_OK;
}

static int copy_str(char **dst, const char *s) {
    if (!s) return 0;
    return !(*dst = strdup(s));
}

/* What the model file keeps beside the network, duplicated. */
dc_status dc_model_copy_meta(dc_model *q, const dc_model *src) {
    q->meta.auto_input = src->meta.auto_input;
    q->meta.auto_vocab = src->meta.auto_vocab;
    q->meta.vocab_rows = src->meta.vocab_rows;
    if (copy_str(&q->meta.preprocess, src->meta.preprocess) || copy_str(&q->meta.class_names, src->meta.class_names) ||
        copy_str(&q->meta.vocabulary, src->meta.vocabulary) || copy_str(&q->meta.bpe_vocab, src->meta.bpe_vocab) ||
        copy_str(&q->meta.bpe_merges, src->meta.bpe_merges) || copy_str(&q->meta.text_run, src->meta.text_run))
        return dc_set_error(DC_ERR_NOMEM, "out of memory copying the model's metadata");
    return DC_OK;
}

/* One line per layer with tensors: what it stores now, and its bytes. */
static void report_layers(const dc_model *q, const dc_model *src, int bits, FILE *out) {
    for (int i = 0; i < q->nnodes; i++) {
        const dc_layer *l = q->nodes[i], *s = src->nodes[i];
        if (!l->nparam) continue;
        size_t before = 0, after = 0;
        for (int k = 0; k < s->nparam; k++) before += (size_t)s->param[k]->size * dc_dtype_size(s->param[k]->dtype);
        for (int k = 0; k < l->nparam; k++) after += (size_t)l->param[k]->size * dc_dtype_size(l->param[k]->dtype);
        char a[32], b[32];
        dc_format_bytes((double)before, a, sizeof a), dc_format_bytes((double)after, b, sizeof b);
        if (l->wdtype == DC_F32)
            fprintf(out, "  %-24s %-20s stays float: %s (no weight matrix; norms, biases and tables are kept)\n", l->name,
                    l->type->keyword, a);
        else
            fprintf(out, "  %-24s %-20s %s: %s -> %s%s\n", l->name, l->type->keyword,
                    l->wdtype == DC_I8 ? (l->act_static ? "int8 per output row, static input scale and zero point" : "int8 per output row") : "4-bit q4_0 (blocks of 32)", a, b,
                    l->wdtype == DC_I8 && bits == 4 ? " (not 4-bit: a matrix is not 2-D with a multiple of 32 columns)" : "");
    }
}

/* The calibrated input scales and zero points into q's activations=static
 * products, from each input's range [lo, hi] (which holds 0), as PyTorch's
 * MinMaxObserver for quint8: scale (hi - lo) / 255, zero point round(-lo /
 * scale) in [0, 255] — a ReLU's output (lo 0) spends all 256 steps on
 * [0, hi], where a symmetric scale would waste half. Nothing seen (lo = hi
 * = 0): scale 1, zero point 128. */
static void fill_static(dc_model *q, const float *act_range) {
    for (int i = 0; i < q->nnodes; i++) {
        const dc_layer *l = q->nodes[i];
        for (int k = 0; k < l->nparam; k++) {
            const int a = l->decl[k].act_scale, z = l->decl[k].act_zero;
            if (a < 0 || z < 0) continue;
            const float *r = &act_range[((int64_t)i * DC_LAYER_MAX_PARAMS + k) * 2];
            const float lo = isfinite(r[0]) ? r[0] : 0.0f, hi = isfinite(r[1]) ? r[1] : 0.0f, sc = (hi - lo) / 255.0f;
            if (sc > 0.0f && isfinite(sc)) {
                const float zp = nearbyintf(-lo / sc);
                l->param[a]->data[0] = sc;
                l->param[z]->data[0] = (zp < 0.0f ? 0.0f : zp > 255.0f ? 255.0f : zp) + 0.0f; /* (+0, not -0) */
            } else {
                l->param[a]->data[0] = 1.0f;
                l->param[z]->data[0] = 128.0f;
            }
        }
    }
}

/* Can every layer on a line take static activations (dense and transformer
 * layers: their products all go through dc_layer_linear; none with more
 * than DC_QK_STATIC_MAX inputs per output)? */
static int static_kind(const dc_layer *l) {
    if (strcmp(l->type->keyword, "dense") && strncmp(l->type->keyword, "transformer_", 12)) return 0;
    for (int k = 0; k < l->nparam; k++)
        if (l->decl[k].matrix && l->decl[k].cols > DC_QK_STATIC_MAX) return 0;
    return 1;
}

static dc_model *quantize(const dc_model *src, int bits, const float *act_range, FILE *report);

dc_model *dc_model_quantize(const dc_model *src, int bits, FILE *report) { return quantize(src, bits, NULL, report); }

static dc_model *quantize(const dc_model *src, int bits, const float *act_range, FILE *report) {
    if (!src->built) {
        dc_set_error(DC_ERR_INVALID, "quantize: the model is not built");
        return NULL;
    }
    if (bits != 8 && bits != 4) {
        dc_set_error(DC_ERR_INVALID, "quantize: --bits is 8 or 4, not %d", bits);
        return NULL;
    }
    char *written = src->meta.description ? NULL : dc_model_write_description(src);
    const char *text = src->meta.description ? src->meta.description : written;
    if (!text) return NULL;
    int nlines = 1;
    for (const char *p = text; *p; p++) nlines += *p == '\n';
    dc_dtype *line_type = calloc((size_t)nlines + 1, sizeof *line_type); /* DC_F32 is 0 */
    char *line_static = calloc((size_t)nlines + 1, 1); /* 1: static activations; 2: a line that cannot */
    char *out = NULL;
    dc_model *q = NULL;
    /* each node's line in text (a model built in C has none of its own: its
     * written description gives them), the nodes in the same order */
    dc_model *lines = dc_model_parse_unbuilt(text, "quantize", src->in_ndim, src->in_shape, src->meta.vocab_rows);
    if (!line_type || !line_static || !lines) {
        if (!line_type || !line_static) dc_set_error(DC_ERR_NOMEM, "quantize: out of memory");
        goto done;
    }
    if (lines->nnodes != src->nnodes) {
        dc_set_error(DC_ERR_INVALID, "quantize: the description does not rebuild the model (%d nodes, not %d)", lines->nnodes,
                     src->nnodes);
        goto done;
    }
    for (int i = 0; i < src->nnodes; i++) {
        const dc_layer *l = src->nodes[i];
        const dc_dtype t = layer_choice(l, bits);
        const int line = lines->nodes[i]->line;
        if (t == DC_F32 || line < 1 || line > nlines) continue;
        dc_dtype *lt = &line_type[line];
        *lt = *lt == DC_F32 ? t : (*lt == DC_WEIGHTS_Q4 && t == DC_WEIGHTS_Q4) ? DC_WEIGHTS_Q4 : DC_I8;
        if (act_range) line_static[line] = line_static[line] == 2 || !static_kind(l) ? 2 : 1;
    }
    for (int i = 0; i < nlines + 1; i++) line_static[i] = line_static[i] == 1;
    if (!(out = rewrite(text, line_type, line_static, nlines))) {
        dc_set_error(DC_ERR_NOMEM, "quantize: out of memory");
        goto done;
    }
    q = dc_model_parse_unbuilt(out, "quantized description", src->in_ndim, src->in_shape, src->meta.vocab_rows);
    if (!q || q->nnodes != src->nnodes || dc_model_build(q, q->recipe.fit.seed) || fill(q, src) || dc_model_copy_meta(q, src)) {
        if (q && q->nnodes != src->nnodes) dc_set_error(DC_ERR_INVALID, "quantize: the quantized description has other layers");
        goto fail;
    }
    if (act_range) fill_static(q, act_range);
    char how[400];
    snprintf(how, sizeof how, "%s weights (%s), %s; biases and norms float",
             bits == 8 ? "int8" : "q4", bits == 8 ? "symmetric, a float scale per output row" : "4-bit blocks of 32, a half scale each; int8 where 4-bit does not fit",
             act_range ? "the inputs of dense and transformer products quantized with scales calibrated on data (static: a scale and a zero point each, from the range seen), "
                       "other products' per row at run time"
                     : bits == 8 ? "float activations quantized per row at run time" : "float activations quantized per block of 32 at run time");
    if (!(q->meta.quantization = strdup(how))) goto fail;
    if (report) report_layers(q, src, bits, report);
    goto done;
fail:
    dc_model_free(q);
    q = NULL;
done:
    dc_model_free(lines);
    free(written);
    free(line_type);
    free(line_static);
    free(out);
    return q;
}

dc_model *dc_model_quantize_static(const dc_model *src, const dc_dataset *calib, int64_t n, FILE *report) {
    if (!src->built || !calib) {
        dc_set_error(DC_ERR_INVALID, "quantize --static: needs a built model and calibration data");
        return NULL;
    }
    int feed[DC_LAYER_MAX_INPUTS];
    if (dc_model_input_nodes(src, feed) != 1) {
        dc_set_error(DC_ERR_INVALID, "quantize --static: calibrates models of one input");
        return NULL;
    }
    if (n <= 0 || n > calib->n) n = calib->n;
    float *act_range = calloc((size_t)src->nnodes * DC_LAYER_MAX_PARAMS * 2, sizeof *act_range); /* [lo, hi] from 0 */
    int64_t *idx = malloc(sizeof(int64_t) * 256);
    dc_graph *g = dc_graph_new();
    dc_model *q = NULL;
    dc_status st = act_range && idx && g ? DC_OK : dc_set_error(DC_ERR_NOMEM, "quantize: out of memory");
    if (!st) dc_graph_set_grad_enabled(g, 0);
    for (int64_t s = 0; s < n && !st; s += 256) { /* the float model on the calibration rows, recording each product's input range */
        const int64_t b = n - s < 256 ? n - s : 256;
        for (int64_t i = 0; i < b; i++) idx[i] = s + i;
        dc_graph_reset(g);
        dc_tensor *x, *y;
        dc_value *vals;
        if ((st = dc_dataset_batch(calib, g, idx, b, &x, &y))) break;
        if (x->size != b * dc_model_inputs_size(src)) {
            st = dc_set_error(DC_ERR_INVALID, "quantize --static: the calibration data has %lld values a sample, the model takes %lld",
                              (long long)(x->size / b), (long long)dc_model_inputs_size(src));
            break;
        }
        x->ndim = src->in_ndim + 1; /* a view in the model's input shape */
        x->shape[0] = b;
        memcpy(x->shape + 1, src->in_shape, sizeof(int64_t) * (size_t)src->in_ndim);
        st = dc_model_run_ctx(src, g, 1, feed, &x, &vals, NULL, NULL, act_range);
    }
    if (!st) q = quantize(src, 8, act_range, report);
    dc_graph_free(g);
    free(idx);
    free(act_range);
    return q;
}

const char *dc_model_quantization(const dc_model *m) { return m->meta.quantization; }
