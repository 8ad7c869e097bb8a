/* embeddings.c — pretrained word vectors (GloVe's text format: a word, then
 * its numbers, separated by spaces, one word per line) into a text model's
 * embedding. Each vocabulary word found gets its vector; the others keep
 * the layer's initialization and are counted. Rows 0 (padding) and, with an
 * OOV token, 1 are not words and are left alone. A line with another
 * width, a field that is not a number, or a vocabulary word given twice is
 * an error naming the file and line (a duplicate of a word the model does
 * not use is harmless and not checked: GloVe files hold 400,000 words). */
#include "../core/internal.h"
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

dc_status dc_embeddings_load(dc_model *m, const char *path, FILE *report) {
    dc_layer *emb = NULL;
    for (int i = 0; i < dc_model_num_layers(m) && !emb; i++)
        if (!strcmp(dc_layer_kind(dc_model_layer(m, i)), "embedding")) emb = dc_model_layer(m, i);
    dc_tensor *w = emb ? dc_layer_param(emb, "weight") : NULL;
    if (!w) return dc_set_error(DC_ERR_INVALID, "%s: the model has no embedding layer to put word vectors in", path);
    const dc_text_spec *sp = dc_model_text(m);
    if (sp && sp->bpe) /* F20: GloVe keys are words; BPE tokens are byte-level pieces of words */
        return dc_set_error(DC_ERR_INVALID, "%s: word vectors are not supported for BPE models (their tokens are pieces of words, "
                                            "not words); use level=word or level=char", path);
    dc_tokenizer *tok = dc_model_tokenizer(m);
    if (!tok) return dc_set_error(DC_ERR_INVALID, "%s: word vectors need the model's vocabulary (a text model, fitted)", path);
    const int64_t V = w->shape[0], E = w->shape[1];
    const int nv = dc_tokenizer_vocab_size(tok) < V ? dc_tokenizer_vocab_size(tok) : (int)V;
    /* the vocabulary's words by id (ids without a word: an empty key) */
    char **words = calloc((size_t)nv, sizeof *words);
    int64_t *found_at = calloc((size_t)nv, sizeof *found_at); /* line of the vector used, 0: none */
    float *vec = malloc(sizeof(float) * (size_t)E);
    FILE *f = fopen(path, "r");
    dc_strmap map = {0};
    char *line = NULL;
    size_t cap = 0;
    int64_t lineno = 0, found = 0, words_in_file = 0;
    dc_status st = DC_OK;
    if (!f) st = dc_set_error(DC_ERR_IO, "%s: %s", path, strerror(errno));
    else if (!words || !found_at || !vec) st = dc_set_error(DC_ERR_NOMEM, "out of memory");
    int64_t vocab_words = 0;
    for (int i = 0; !st && i < nv; i++) {
        const char *t = dc_tokenizer_token(tok, i);
        char key[32];
        /* padding and OOV are not words of the text: keys with a space,
         * which no word of the file has */
        snprintf(key, sizeof key, " %d", i);
        int word = t && i > 0 && !(i == 1 && !strcmp(t, "<OOV>"));
        vocab_words += word;
        if (!(words[i] = strdup(word ? t : key))) st = dc_set_error(DC_ERR_NOMEM, "out of memory");
    }
    int dup[2];
    if (!st && (st = dc_strmap_build(&map, words, nv, dup)) == DC_ERR_INVALID)
        st = dc_set_error(DC_ERR_INVALID, "the vocabulary holds \"%s\" twice", words[dup[0]]);
    while (!st && getline(&line, &cap, f) > 0) {
        lineno++;
        char *p = line, *end;
        line[strcspn(line, "\r\n")] = 0;
        if (!*line) continue;
        char *sp = strchr(p, ' ');
        if (!sp) {
            st = dc_set_error(DC_ERR_FORMAT, "%s:%lld: a word and %lld numbers expected, found one field", path, (long long)lineno,
                              (long long)E);
            break;
        }
        *sp = 0;
        words_in_file++;
        int id = dc_strmap_find(&map, p);
        int64_t k = 0;
        for (p = sp + 1; !st && *p;) {
            while (*p == ' ') p++;
            if (!*p) break;
            errno = 0;
            float v = strtof(p, &end);
            /* ERANGE on underflow too (1e-39, a float subnormal, or 1e-50, which
             * rounds to 0): numpy reads those, so do we; overflow is an error */
            const int overflow = errno == ERANGE && isinf(v);
            if (end == p || (*end && *end != ' ') || overflow || !isfinite(v))
                st = dc_set_error(DC_ERR_FORMAT, "%s:%lld:%lld: \"%.20s\" is %s", path, (long long)lineno, (long long)(p - line + 1), p,
                                  overflow ? "out of float range" : "not a finite number");
            else if (k < E) vec[k] = v;
            k++, p = end;
        }
        if (!st && k != E)
            st = dc_set_error(DC_ERR_FORMAT, "%s:%lld: %lld numbers after \"%s\"; the embedding is %lld wide", path, (long long)lineno,
                              (long long)k, line, (long long)E);
        if (st || id <= 0) continue;
        if (found_at[id]) {
            st = dc_set_error(DC_ERR_FORMAT, "%s:%lld: \"%s\" again (first on line %lld)", path, (long long)lineno, line,
                              (long long)found_at[id]);
            break;
        }
        found_at[id] = lineno;
        memcpy(w->data + (int64_t)id * E, vec, sizeof(float) * (size_t)E);
        found++;
    }
    if (!st && f && ferror(f)) st = dc_set_error(DC_ERR_IO, "%s: read error", path);
    if (!st && words_in_file == 0) st = dc_set_error(DC_ERR_FORMAT, "%s: no word vectors in the file", path);
    if (!st && report)
        fprintf(report, "embeddings: %lld of %lld vocabulary words found in %s (%lld vectors of %lld); %lld initialised as usual\n",
                (long long)found, (long long)vocab_words, path, (long long)words_in_file, (long long)E,
                (long long)(vocab_words - found));
    free(line);
    if (f) fclose(f);
    dc_strmap_free(&map);
    for (int i = 0; words && i < nv; i++) free(words[i]);
    free(words), free(found_at), free(vec);
    dc_tokenizer_free(tok);
    return st;
}
