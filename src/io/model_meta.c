/* model_meta.c — what a model file keeps besides the layers: the tabular
 * pipeline, class names, the text tokenizer or GPT-2 BPE files, how a text
 * run split its data. The model struct holds them as text (src/nn/model.h,
 * meta); these functions turn them into the data floor's objects and back,
 * so that nn never calls a data loader (docs/ARCHITECTURE.md: io may use
 * data, data uses neither io nor train). */
#include "../nn/model.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

dc_tabular *dc_model_tabular(const dc_model *m) {
    return m->meta.preprocess ? dc_tabular_parse(m->meta.preprocess, "model") : NULL;
}

dc_status dc_model_set_tabular(dc_model *m, const dc_tabular *p) {
    char *t = dc_tabular_serialize(p);
    if (!t) return dc_set_error(DC_ERR_NOMEM, "out of memory");
    free(m->meta.preprocess);
    m->meta.preprocess = t;
    return DC_OK;
}

dc_status dc_model_set_class_names(dc_model *m, char *const *names, int n) {
    size_t len = 1;
    for (int i = 0; i < n; i++) len += 3 * strlen(names[i]) + 1;
    char *t = malloc(len), *w = t;
    if (!t) return dc_set_error(DC_ERR_NOMEM, "out of memory");
    for (int i = 0; i < n; i++) {
        if (i) *w++ = ',';
        size_t len = strlen(names[i]);
        for (size_t j = 0; j < len;) { /* escape the separator, and bytes that are not UTF-8 (metadata must be) */
            const char *c = names[i] + j;
            size_t k = dc_utf8_len(c, len - j);
            if (!k || *c == ',' || *c == '%' || (unsigned char)*c < 0x20) {
                w += sprintf(w, "%%%02X", (unsigned char)*c);
                j++;
            } else {
                memcpy(w, c, k);
                w += k;
                j += k;
            }
        }
    }
    *w = 0;
    free(m->meta.class_names);
    m->meta.class_names = t;
    return DC_OK;
}

const dc_text_spec *dc_model_text(const dc_model *m) { return m->recipe.text.enabled ? &m->recipe.text : NULL; }

dc_tokenizer *dc_model_tokenizer(const dc_model *m) {
    if (!m->recipe.text.enabled || !m->meta.vocabulary) {
        dc_set_error(DC_ERR_INVALID, "model: %s", m->recipe.text.enabled ? "no fitted vocabulary (train it on texts first)"
                                                                          : "not a text model (its description has no text line)");
        return NULL;
    }
    return dc_tokenizer_load(&m->recipe.text.tok, m->meta.vocabulary, "vocabulary");
}

dc_status dc_model_set_tokenizer(dc_model *m, const dc_tokenizer *t) {
    char *v = dc_tokenizer_vocabulary(t);
    if (!v) return DC_ERR_NOMEM;
    free(m->meta.vocabulary);
    m->meta.vocabulary = v;
    return DC_OK;
}

char **dc_model_class_names(const dc_model *m, int *n) {
    *n = 0;
    if (!m->meta.class_names) return NULL;
    int count = 1;
    for (const char *p = m->meta.class_names; *p; p++) count += *p == ',';
    char **v = calloc((size_t)count, sizeof *v);
    const char *p = m->meta.class_names;
    for (int k = 0; v && k < count; k++) { /* one pass: each name unescaped in turn */
        const char *e = strchr(p, ',');
        size_t len = e ? (size_t)(e - p) : strlen(p), o = 0;
        if (!(v[k] = malloc(len + 1))) {
            dc_free_names(v, k);
            return NULL;
        }
        for (size_t i = 0; i < len; i++) {
            const int x = p[i] == '%' && i + 2 < len ? dc_hex_byte(p + i + 1) : -1;
            if (x >= 0) v[k][o++] = (char)x, i += 2;
            else v[k][o++] = p[i];
        }
        v[k][o] = 0;
        p = e ? e + 1 : p + len;
    }
    if (v) *n = count;
    return v;
}

int dc_model_class_name(const dc_model *m, int k, char *buf, size_t n) {
    if (!m->meta.class_names || k < 0) return 0;
    const char *p = m->meta.class_names;
    for (int i = 0; i < k; i++) {
        p = strchr(p, ',');
        if (!p) return 0;
        p++;
    }
    size_t o = 0;
    for (; *p && *p != ',' && o + 1 < n; p++) {
        const int v = *p == '%' && p[1] && p[2] ? dc_hex_byte(p + 1) : -1;
        if (v >= 0) {
            buf[o++] = (char)v;
            p += 2;
        } else buf[o++] = *p;
    }
    buf[o] = 0;
    return 1;
}

/* ---- a text run's split, for resuming it ------------------------------------------ */

dc_status dc_model_set_text_run(dc_model *m, const dc_text_run *r) {
    char buf[160];
    snprintf(buf, sizeof buf, "test_split=%.9g stratify=%d seed=%llu train=%lld hash=%016llx", (double)r->test_split,
             r->stratify ? 1 : 0, (unsigned long long)r->seed, (long long)r->ntrain, (unsigned long long)r->hash);
    char *t = strdup(buf);
    if (!t) return dc_set_error(DC_ERR_NOMEM, "out of memory");
    free(m->meta.text_run);
    m->meta.text_run = t;
    return DC_OK;
}

int dc_text_run_parse(const char *s, dc_text_run *r) {
    double ts;
    int strat, n = 0;
    unsigned long long seed, hash;
    long long nt;
    if (!s || sscanf(s, "test_split=%lf stratify=%d seed=%llu train=%lld hash=%llx%n", &ts, &strat, &seed, &nt, &hash, &n) != 5 ||
        s[n] || !(ts >= 0.0 && ts < 1.0) || (strat != 0 && strat != 1) || nt < 1)
        return -1;
    *r = (dc_text_run){(float)ts, strat, seed, nt, hash};
    return 0;
}

int dc_model_text_run(const dc_model *m, dc_text_run *r) { return m->meta.text_run ? dc_text_run_parse(m->meta.text_run, r) : -1; }

dc_status dc_model_set_bpe(dc_model *m, const dc_bpe *b) {
    char *v = strdup(dc_bpe_vocab_text(b)), *g = strdup(dc_bpe_merges_text(b));
    if (!v || !g) {
        free(v), free(g);
        return dc_set_error(DC_ERR_NOMEM, "out of memory");
    }
    free(m->meta.bpe_vocab), free(m->meta.bpe_merges);
    m->meta.bpe_vocab = v;
    m->meta.bpe_merges = g;
    return DC_OK;
}

dc_bpe *dc_model_bpe(const dc_model *m) {
    if (!m->meta.bpe_vocab || !m->meta.bpe_merges) {
        dc_set_error(DC_ERR_INVALID, "model: no BPE vocabulary (a text line with level=bpe, trained or imported)");
        return NULL;
    }
    return dc_bpe_load_text(m->meta.bpe_vocab, m->meta.bpe_merges, "bpe_vocab", "bpe_merges");
}
