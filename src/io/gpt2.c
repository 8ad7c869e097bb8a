/* gpt2.c — GPT-2 checkpoints in Hugging Face's layout (model.safetensors of
 * GPT2Model or GPT2LMHeadModel) into a deepc model of the same shape
 * (models/gpt2.dc: embedding wte, positional_embedding wpe, N
 * transformer_block layers, layer_norm ln_f, a dense layer tied to wte).
 *
 * Names: wte.weight, wpe.weight, h.K.ln_1.weight, h.K.attn.c_attn.weight,
 * ..., ln_f.weight, with or without a "transformer." prefix; h.K is the
 * K-th transformer_block of the model. GPT-2's attention and MLP weights
 * are Conv1D, stored (in, out): they are transposed into deepc's (out, in).
 * F32, F16 and BF16 convert exactly; a non-finite value is an error naming
 * the tensor. Every tensor of the model must be in the file; what else the
 * file holds (old files' h.K.attn.bias and masked_bias buffers, a tied
 * lm_head.weight) is not read. A file with more blocks than the model is
 * refused. */
#include "../nn/model.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The Conv1D tensors, stored transposed. */
static int conv1d(const char *what) {
    return !strcmp(what, "attn.c_attn.weight") || !strcmp(what, "attn.c_proj.weight") || !strcmp(what, "mlp.c_fc.weight") ||
           !strcmp(what, "mlp.c_proj.weight");
}

/* The file's tensor for (prefix, name); NULL if absent. */
static const dc_st_tensor *find(const dc_st_file *f, const char *prefix, const char *name, char *full, size_t n) {
    snprintf(full, n, "%s%s", prefix, name);
    return dc_st_find(f, full);
}

/* Copy file tensor t (name full) into w, transposing a Conv1D weight. */
static dc_status load_one(const dc_st_tensor *t, const char *full, dc_tensor *w, int transpose, const char *path) {
    if (w->dtype != DC_F32)
        return dc_set_error(DC_ERR_INVALID, "%s: tensor %s would go into weights stored as %s (weights=): import into F32 weights", path,
                            full, dc_dtype_name(w->dtype));
    int ok = t->ndim == w->ndim;
    for (int d = 0; ok && d < w->ndim; d++) ok = t->shape[transpose ? w->ndim - 1 - d : d] == w->shape[d];
    if (!ok) {
        char want[64], got[64] = "";
        dc_shape_str(w, want, sizeof want);
        size_t k = 0;
        for (int d = 0; d < t->ndim && k < sizeof got; d++) k += (size_t)snprintf(got + k, sizeof got - k, d ? ", %lld" : "(%lld", (long long)t->shape[d]);
        if (k < sizeof got) snprintf(got + k, sizeof got - k, ")");
        return dc_set_error(DC_ERR_FORMAT, "%s: tensor %s is %s; the model needs %s%s", path, full, got, want,
                            transpose ? " transposed (a Conv1D weight, stored (in, out))" : "");
    }
    if (strcmp(t->dtype, "F32") && strcmp(t->dtype, "F16") && strcmp(t->dtype, "BF16")) /* integers read as weights (F15) */
        return dc_set_error(DC_ERR_FORMAT, "%s: tensor %s is %s; GPT-2 weights are F32, F16 or BF16", path, full, t->dtype);
    float *v = malloc(sizeof(float) * (size_t)(w->size ? w->size : 1));
    if (!v) return dc_set_error(DC_ERR_NOMEM, "%s: out of memory for %s", path, full);
    dc_status st = dc_st_to_f32(t, v);
    for (int64_t i = 0; !st && i < w->size; i++)
        if (!isfinite(v[i])) st = dc_set_error(DC_ERR_FORMAT, "%s: tensor %s (%s) holds %s at element %lld", path, full, t->dtype, isnan(v[i]) ? "NaN" : "an infinity", (long long)i);
    if (!st && transpose) {
        const int64_t R = w->shape[0], C = w->shape[1]; /* file (C, R) -> ours (R, C) */
        for (int64_t r = 0; r < R; r++)
            for (int64_t c = 0; c < C; c++) w->data[r * C + c] = v[c * R + r];
    } else if (!st) {
        memcpy(w->data, v, sizeof(float) * (size_t)w->size);
    }
    free(v);
    return st;
}

dc_status dc_model_load_gpt2(dc_model *m, const char *path, FILE *report) {
    if (!m->built) return dc_set_error(DC_ERR_INVALID, "gpt2: build the model first");
    dc_st_file *f = dc_st_open(path);
    if (!f) return DC_ERR_IO;
    char full[320];
    const char *prefix = find(f, "transformer.", "wte.weight", full, sizeof full) ? "transformer." : "";
    dc_status st = DC_OK;
    int blocks = 0, loaded = 0;
    for (int i = 0; !st && i < m->nnodes; i++) {
        dc_layer *l = m->nodes[i];
        const char *bn = l->type->block_name; /* GPT-2's "h": h.0.attn.c_attn.weight, ... */
        int block = bn != NULL;
        for (int k = 0; !st && k < l->nparam; k++) {
            const char *what = l->decl[k].what;
            char name[160];
            if (block) snprintf(name, sizeof name, "%s.%d.%s", bn, blocks, what);
            else snprintf(name, sizeof name, "%s.%s", l->name, what);
            const dc_st_tensor *t = find(f, prefix, name, full, sizeof full);
            if (!t) {
                st = dc_set_error(DC_ERR_FORMAT, "%s: no tensor %s for %s.%s (a GPT-2 checkpoint names it so)", path, full, l->name, what);
                break;
            }
            st = load_one(t, full, l->param[k], block && conv1d(what), path);
            loaded++;
        }
        blocks += block;
    }
    /* a file with more blocks than the model is another model: any h.K.*
     * with K >= blocks, not only h.K.ln_1.weight (F15) */
    const size_t pl = strlen(prefix);
    for (int i = 0; !st && i < dc_st_count(f); i++) {
        const char *nm = dc_st_get(f, i)->name;
        char *end;
        if (strncmp(nm, prefix, pl) || strncmp(nm + pl, "h.", 2)) continue;
        const long k = strtol(nm + pl + 2, &end, 10);
        if (end != nm + pl + 2 && *end == '.' && k >= blocks)
            st = dc_set_error(DC_ERR_FORMAT, "%s: the checkpoint has more than the model's %d blocks (%s)", path, blocks, nm);
    }
    if (!st && report) fprintf(report, "%s: %d tensors of GPT-2 (%d blocks%s) loaded\n", path, loaded, blocks, *prefix ? ", prefix transformer." : "");
    dc_st_close(f);
    return st;
}
