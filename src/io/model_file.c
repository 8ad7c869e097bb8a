/* model_file.c — a model as one safetensors file. The weights are F32
 * tensors named "<layer>.weight" / "<layer>.bias" (weight (out, in) as
 * torch.nn.Linear); __metadata__ carries:
 *   format          "deepc"
 *   format_version  "1"
 *   deepc_version   library version that wrote it
 *   description     the model description text, which rebuilds the model
 *                   (written from the layers for a model built in C)
 *   input_shape     (optional) the shape `input auto` took from the data
 *   vocab_rows      (optional) the size `embedding auto` took from the vocabulary
 *   preprocess      (optional) the tabular pipeline (see src/data/tabular.c)
 *   class_names     (optional) names of the classes (image folders, text)
 *   vocabulary      (optional) a text model's tokens in index order
 *   frozen          (optional) the layers frozen by name (dc_model_freeze)
 *   text_run        (optional) how a text run split its data (for --resume)
 *   pruning         (optional) how a prune made it; its F32 weight matrices
 *                   are then stored sparse where that is smaller
 *                   (sparse_store.c: "<name>.sparse_bitmap" and
 *                   "<name>.sparse_values" instead of "<name>")
 * Callers may add tensors and metadata (src/train/state.c adds the training
 * state). Loading parses the description, then copies every weight after
 * checking its name, type and shape. A tensor is F32 unless its layer says
 * weights=f16|bf16|i8 (its kernel is then F16, BF16, or I8 with an F32
 * "<layer>.weight_scale" of one scale per row). */
#include "model_file.h"
#include "../kernels/kernels.h"
#include <math.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#define FORMAT_VERSION "1"

dc_status dc_model_file_write(const dc_model *m, const dc_st_entry *extra, int nextra, const char *const *xkeys,
                              const char *const *xvals, int nx, const char *path) {
    if (!m->built) return dc_set_error(DC_ERR_INVALID, "save: model is not built");
    if (nx > 4) return dc_set_error(DC_ERR_INVALID, "save: at most 4 extra metadata keys");
    /* a model built in C gets its description written from its layers */
    char *written = m->meta.description ? NULL : dc_model_write_description(m);
    if (!m->meta.description && !written) return DC_ERR_NOMEM;
    dc_st_entry *e = calloc(2 * (size_t)m->nnamed + (size_t)nextra + 1, sizeof *e);
    dc_sparse_entry *sp = calloc((size_t)m->nnamed + 1, sizeof *sp); /* a pruned model's matrices, stored sparse */
    if (!e || !sp) {
        free(written), free(e), free(sp);
        return dc_set_error(DC_ERR_NOMEM, "save: out of memory");
    }
    int ne = 0, nsp = 0;
    dc_status st = DC_OK;
    for (int i = 0; i < m->nnamed && !st; i++) {
        const dc_named_param *p = &m->named[i];
        if (dc_sparse_worth(m, p)) {
            dc_sparse_entry *s = &sp[nsp];
            if ((st = dc_sparse_encode(p->name, p->t, s))) break;
            nsp++;
            e[ne++] = (dc_st_entry){.name = s->bitmap_name, .ndim = 1, .shape = s->bshape, .data = s->bitmap, .dtype = "U8"};
            e[ne++] = (dc_st_entry){.name = s->values_name, .ndim = 1, .shape = s->vshape, .data = s->values, .dtype = "F32"};
        } else {
            e[ne++] = (dc_st_entry){.name = p->name, .ndim = p->t->ndim, .shape = p->t->shape, .data = p->t->raw,
                                    .dtype = dc_dtype_name(p->t->dtype)}; /* its real type: F32, or F16, BF16, I8 (weights=) */
        }
    }
    for (int i = 0; i < nextra; i++) e[ne++] = extra[i];
    const char *keys[24] = {"format", "format_version", "deepc_version", "description"};
    const char *vals[24] = {"deepc", FORMAT_VERSION, DEEPC_VERSION, m->meta.description ? m->meta.description : written};
    int nk = 4;
    char shape_txt[160] = "";
    if (m->meta.auto_input) { /* `input auto`: the shape the data gave it */
        size_t k = 0;
        for (int i = 0; i < m->in_ndim; i++)
            k += (size_t)snprintf(shape_txt + k, sizeof shape_txt - k, i ? "x%lld" : "%lld", (long long)m->in_shape[i]);
        keys[nk] = "input_shape";
        vals[nk++] = shape_txt;
    }
    char vocab_txt[32];
    if (m->meta.auto_vocab) { /* `embedding auto`: the rows the vocabulary gave it */
        snprintf(vocab_txt, sizeof vocab_txt, "%lld", (long long)m->meta.vocab_rows);
        keys[nk] = "vocab_rows";
        vals[nk++] = vocab_txt;
    }
    if (m->meta.preprocess) {
        keys[nk] = "preprocess";
        vals[nk++] = m->meta.preprocess;
    }
    if (m->meta.vocabulary) {
        keys[nk] = "vocabulary";
        vals[nk++] = m->meta.vocabulary;
    }
    if (m->meta.bpe_vocab && m->meta.bpe_merges) {
        keys[nk] = "bpe_vocab";
        vals[nk++] = m->meta.bpe_vocab;
        keys[nk] = "bpe_merges";
        vals[nk++] = m->meta.bpe_merges;
    }
    char frozen[1024];
    int nf = dc_model_frozen_names(m, frozen, sizeof frozen);
    if (nf < 0 || st) {
        for (int i = 0; i < nsp; i++) dc_sparse_free(&sp[i]);
        free(written), free(e), free(sp);
        if (st) return st;
        return dc_set_error(DC_ERR_INVALID, "save: the frozen layers' names exceed 1023 characters");
    }
    if (nf > 0) {
        keys[nk] = "frozen";
        vals[nk++] = frozen;
    }
    if (m->meta.text_run) {
        keys[nk] = "text_run";
        vals[nk++] = m->meta.text_run;
    }
    if (m->meta.class_names) {
        keys[nk] = "class_names";
        vals[nk++] = m->meta.class_names;
    }
    if (m->meta.quantization) {
        keys[nk] = "quantization";
        vals[nk++] = m->meta.quantization;
    }
    if (m->meta.pruning) {
        keys[nk] = "pruning";
        vals[nk++] = m->meta.pruning;
    }
    for (int i = 0; i < nx; i++) {
        keys[nk] = xkeys[i];
        vals[nk++] = xvals[i];
    }
    st = dc_st_write(path, e, ne, keys, vals, nk);
    for (int i = 0; i < nsp; i++) dc_sparse_free(&sp[i]);
    free(sp);
    free(written);
    free(e);
    return st;
}

dc_status dc_model_save(const dc_model *m, const char *path) { return dc_model_file_write(m, NULL, 0, NULL, NULL, 0, path); }

/* ---- load ------------------------------------------------------------------ */

/* Every quantized matrix's scales positive and finite: a file whose scale
 * is 0, negative or NaN is damaged, and is refused naming the tensor. */
static dc_status check_scales(const dc_model *m, const char *path) {
    for (int i = 0; i < m->nnodes; i++) {
        const dc_layer *l = m->nodes[i];
        for (int k = 0; k < l->nparam; k++) {
            const int idx[2] = {l->decl[k].scale, l->decl[k].act_scale}; /* the weight's, and a static input's */
            for (int p = 0; p < 2; p++) {
                if (idx[p] < 0) continue;
                const dc_tensor *s = l->param[idx[p]];
                for (int64_t j = 0; j < s->size; j++) {
                    float v = s->dtype == DC_F16 ? dc_k_f16_to_f32(((const uint16_t *)s->raw)[j]) : s->data[j];
                    if (!(v > 0.0f) || !isfinite(v))
                        return dc_set_error(DC_ERR_FORMAT, "%s: tensor \"%s.%s\": scale %lld is %g; a quantized weight's scales are "
                                                           "positive and finite (a damaged file)", path, l->name, l->decl[idx[p]].what,
                                            (long long)j, (double)v);
                }
            }
            const int z = l->decl[k].act_zero;
            if (z >= 0 && !dc_k_zero_point_ok(l->param[z]->data[0]))
                return dc_set_error(DC_ERR_FORMAT, "%s: tensor \"%s.%s\" is %g; a zero point is an integer in [0, 255] (a damaged file)", path,
                                    l->name, l->decl[z].what, (double)l->param[z]->data[0]);
        }
    }
    return DC_OK;
}

dc_model *dc_model_file_read(const char *path, dc_st_file **file) { return dc_model_file_read_unread(path, file, NULL); }

dc_model *dc_model_file_read_unread(const char *path, dc_st_file **file, const char *unread) {
    if (file) *file = NULL;
    dc_st_file *f = dc_st_open_unread(path, unread);
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
    /* `embedding auto`: the rows the fitted vocabulary gave it */
    const char *vrows = dc_st_metadata(f, "vocab_rows");
    int64_t vocab = 0;
    if (vrows) {
        char *end;
        long long v = strtoll(vrows, &end, 10);
        if (end == vrows || *end || v < 1 || v > (1LL << 30)) {
            dc_set_error(DC_ERR_FORMAT, "%s: bad vocab_rows \"%.40s\" in __metadata__", path, vrows);
            goto fail;
        }
        vocab = v;
    }
    /* the network is built (and its memory allocated) only once the file
     * is known to hold every tensor it declares, with its shape */
    if (!(m = dc_model_parse_unbuilt(desc, where, in_nd, in_shape, vocab))) goto fail;
    int weights = 0, declared = 0;
    for (int i = 0; i < dc_st_count(f); i++) {
        const char *n = dc_st_get(f, i)->name;
        const size_t len = strlen(n); /* a sparse tensor is two: its bitmap counts */
        weights += strncmp(n, "optimizer.", 10) && strncmp(n, "train.", 6) && /* the training state's */
                   !(len > 14 && !strcmp(n + len - 14, ".sparse_values"));
    }
    for (int i = 0; i < m->nnodes; i++) {
        const dc_layer *l = m->nodes[i];
        for (int k = 0; k < l->nparam; k++, declared++) {
            const dc_param_decl *d = &l->decl[k];
            char name[160];
            snprintf(name, sizeof name, "%s.%s", l->name, d->what);
            const dc_st_tensor *s = dc_st_find(f, name);
            int64_t nvalues = 1;
            for (int j = 0; j < d->ndim; j++) nvalues *= d->shape[j];
            const int sparse = !s && d->dtype == DC_F32 ? dc_sparse_find(f, name, nvalues, path) : 0;
            if (sparse < 0) goto fail;
            if (sparse) continue; /* its pair checked against the declared size */
            if (!s) {
                dc_set_error(DC_ERR_FORMAT, "%s: tensor \"%s\" is missing", path, name);
                goto fail;
            }
            const char *want_type = dc_dtype_name(d->dtype);
            int ok = !strcmp(s->dtype, want_type) && s->ndim == d->ndim;
            for (int j = 0; ok && j < d->ndim; j++) ok = s->shape[j] == d->shape[j];
            if (!ok) {
                char want[160];
                size_t w = (size_t)snprintf(want, sizeof want, "(");
                for (int j = 0; j < d->ndim && w < sizeof want; j++) w += (size_t)snprintf(want + w, sizeof want - w, j ? ", %lld" : "%lld", (long long)d->shape[j]);
                if (w < sizeof want) snprintf(want + w, sizeof want - w, ")");
                dc_set_error(DC_ERR_FORMAT, "%s: tensor \"%s\" is %s with %d dimensions; the description needs %s %s", path, name, s->dtype,
                             s->ndim, want_type, want);
                goto fail;
            }
        }
    }
    if (weights != declared) {
        dc_set_error(DC_ERR_FORMAT, "%s: holds %d weight tensors, the description needs %d", path, weights, declared);
        goto fail;
    }
    if (dc_model_build(m, m->recipe.fit.seed)) goto fail;
    const char *fz = dc_st_metadata(f, "frozen"); /* layers frozen by dc_model_freeze (--freeze) */
    if (fz && dc_model_freeze(m, fz, NULL)) {
        char msg[512];
        snprintf(msg, sizeof msg, "%s", dc_last_error());
        dc_set_error(DC_ERR_FORMAT, "%s: metadata \"frozen\": %s", path, msg);
        goto fail;
    }
    for (int i = 0; i < m->nnamed; i++) { /* checked above: present, of its type, the right shape */
        const dc_tensor *t = m->named[i].t;
        const dc_st_tensor *s = dc_st_find(f, m->named[i].name);
        if (s) memcpy(t->raw, s->data, (size_t)t->size * dc_dtype_size(t->dtype));
        else dc_sparse_decode(f, m->named[i].name, t->size, t->data); /* stored sparse (dc_sparse_find said so) */
    }
    const char *pre = dc_st_metadata(f, "preprocess");
    if (pre && !(m->meta.preprocess = strdup(pre))) {
        dc_set_error(DC_ERR_NOMEM, "out of memory");
        goto fail;
    }
    if (pre) { /* a damaged pipeline is the file's error now, not "no pipeline" later */
        dc_tabular *t = dc_tabular_parse(pre, path);
        if (!t) goto fail;
        dc_tabular_free(t);
    }
    const char *voc = dc_st_metadata(f, "vocabulary");
    if (voc) { /* checked now: a damaged vocabulary is the file's error */
        if (!m->recipe.text.enabled) {
            dc_set_error(DC_ERR_FORMAT, "%s: a vocabulary, but the description has no text line", path);
            goto fail;
        }
        dc_tokenizer *tk = dc_tokenizer_load(&m->recipe.text.tok, voc, path);
        if (!tk) goto fail;
        dc_tokenizer_free(tk);
        if (!(m->meta.vocabulary = strdup(voc))) {
            dc_set_error(DC_ERR_NOMEM, "out of memory");
            goto fail;
        }
    }
    const char *bv = dc_st_metadata(f, "bpe_vocab"), *bm = dc_st_metadata(f, "bpe_merges");
    if (bv || bm) { /* checked now, as the vocabulary is */
        dc_bpe *b = bv && bm ? dc_bpe_load_text(bv, bm, "bpe_vocab", "bpe_merges") : NULL;
        if (!b) {
            char msg[512];
            snprintf(msg, sizeof msg, "%s", bv && bm ? dc_last_error() : "one of bpe_vocab and bpe_merges without the other");
            dc_set_error(DC_ERR_FORMAT, "%s: metadata: %s", path, msg);
            goto fail;
        }
        dc_bpe_free(b);
        if (!(m->meta.bpe_vocab = strdup(bv)) || !(m->meta.bpe_merges = strdup(bm))) {
            dc_set_error(DC_ERR_NOMEM, "out of memory");
            goto fail;
        }
    }
    const char *tr = dc_st_metadata(f, "text_run");
    dc_text_run run;
    if (tr && dc_text_run_parse(tr, &run)) {
        dc_set_error(DC_ERR_FORMAT, "%s: metadata \"text_run\" is damaged", path);
        goto fail;
    }
    if (tr && !(m->meta.text_run = strdup(tr))) {
        dc_set_error(DC_ERR_NOMEM, "out of memory");
        goto fail;
    }
    const char *pz = dc_st_metadata(f, "pruning");
    if (pz && !(m->meta.pruning = strdup(pz))) {
        dc_set_error(DC_ERR_NOMEM, "out of memory");
        goto fail;
    }
    const char *qz = dc_st_metadata(f, "quantization");
    if (qz && !(m->meta.quantization = strdup(qz))) {
        dc_set_error(DC_ERR_NOMEM, "out of memory");
        goto fail;
    }
    if (check_scales(m, path)) goto fail;
    const char *cn = dc_st_metadata(f, "class_names");
    if (cn && !(m->meta.class_names = strdup(cn))) {
        dc_set_error(DC_ERR_NOMEM, "out of memory");
        goto fail;
    }
    if (file) *file = f;
    else dc_st_close(f);
    return m;
fail:
    dc_model_free(m);
    dc_st_close(f);
    return NULL;
}

dc_model *dc_model_load(const char *path) { return dc_model_file_read(path, NULL); }

/* ---- weights alone (deepc export --weights-only) ------------------------------ */

/* Each node's position in the torch.nn.Sequential a PyTorch user writes for
 * a chain of layers (idx[i], -1 for the input): each layer one module (an
 * `activation relu` line is one), and a layer's own activation (dense 128
 * activation=relu) one more after it. Returns 0 when the model is not a
 * chain (branches, several inputs or outputs). One pass over the nodes. */
static int torch_indices(const dc_model *m, int *idx) {
    int k = 0;
    idx[0] = -1;
    for (int i = 1; i < m->nnodes; i++) {
        const dc_layer *l = m->nodes[i];
        if (l->type == &dc_layer_input || l->nin != 1 || l->in[0] != i - 1) return 0;
        idx[i] = k++;
        const dc_layer_option *o = l->type == &dc_layer_activation ? NULL : dc_layer_option_find(l->type, "activation");
        if (o && o->type == DC_O_ACT && *(const dc_activation *)((const char *)l->cfg + o->offset) != DC_ACT_NONE) k++;
    }
    return 1;
}

dc_status dc_model_export_weights(const dc_model *m, const char *path, int torch_names) {
    if (!m->built) return dc_set_error(DC_ERR_INVALID, "export: model is not built");
    /* room for a num_batches_tracked beside each batchnorm's statistics (torch names) */
    dc_st_entry *e = calloc((size_t)(2 * m->nnamed) + 1, sizeof *e);
    char(*names)[128] = calloc((size_t)(2 * m->nnamed) + 1, sizeof *names);
    int *idx = torch_names ? malloc(sizeof(int) * (size_t)m->nnodes) : NULL;
    static const int64_t zero = 0;
    int ne = 0;
    dc_status st = e && names && (idx || !torch_names) ? DC_OK : dc_set_error(DC_ERR_NOMEM, "export: out of memory");
    if (!st && torch_names && !torch_indices(m, idx))
        st = dc_set_error(DC_ERR_INVALID, "export: --names torch numbers the modules of a torch.nn.Sequential, and this model "
                                          "is not a chain of layers (it has branches or several inputs)");
    for (int i = 0; !st && i < m->nnamed; i++) {
        const dc_named_param *np = &m->named[i];
        const char *dot = strrchr(np->name, '.');
        if (torch_names && dot) { /* "layer.what" -> "K.what": the node by its name (hashed) */
            char layer[96];
            snprintf(layer, sizeof layer, "%.*s", (int)(dot - np->name), np->name);
            const int node = dc_model_find_node(m, layer);
            if (node < 1) {
                st = dc_set_error(DC_ERR_INVALID, "export: tensor \"%s\" names no layer", np->name);
                break;
            }
            snprintf(names[ne], sizeof names[ne], "%d%s", idx[node], dot);
        } else {
            snprintf(names[ne], sizeof names[ne], "%s", np->name);
        }
        e[ne] = (dc_st_entry){.name = names[ne], .ndim = np->t->ndim, .shape = np->t->shape, .data = np->t->raw, .dtype = dc_dtype_name(np->t->dtype)};
        ne++;
        if (torch_names && dot && !strcmp(dot, ".running_var")) { /* torch's BatchNorm also keeps a counter (unused by eval) */
            const size_t prefix = (size_t)(strrchr(names[ne - 1], '.') - names[ne - 1]) + 1; /* "3." */
            memcpy(names[ne], names[ne - 1], prefix);
            snprintf(names[ne] + prefix, sizeof names[ne] - prefix, "num_batches_tracked");
            e[ne] = (dc_st_entry){.name = names[ne], .ndim = 0, .shape = NULL, .data = &zero, .dtype = "I64"};
            ne++;
        }
    }
    if (!st) {
        const char *keys[2] = {"format", "source"}, *vals[2] = {"pt", "deepc export --weights-only"};
        st = dc_st_write(path, e, ne, keys, vals, 2);
    }
    free(e);
    free(names);
    free(idx);
    return st;
}
