/* text.c — tokenizers with Keras' Tokenizer semantics, and padding as
 * Keras' pad_sequences.
 *
 * Word level: the text is lowercased (ASCII letters; other characters are
 * kept as they are), every character of the filter set becomes a space
 * (Keras' default filters: !"#$%&()*+,-./:;<=>?@[\]^_`{|}~ tab and newline),
 * and the words are the runs between spaces. Character level: every
 * character (a UTF-8 code point) is a token, after lowercasing, no filters.
 * Bytes that are not UTF-8 become U+FFFD first, so a token is always valid
 * UTF-8 (the vocabulary is stored in the model file's metadata).
 *
 * Fitting counts tokens; indices go by count, highest first, ties in the
 * order first seen (Python's stable sort over Keras' ordered counts), from
 * 1 — or from 2 with an out-of-vocabulary token, which is index 1. Encoding
 * keeps tokens whose index is below num_words (all when 0); others become
 * the OOV index, or are dropped without one. 0 is padding. */
#include "text_report.h"
#include <stdlib.h>
#include <string.h>

struct dc_tokenizer {
    dc_tokenizer_options o;
    int nvocab;      /* tokens with an index: vocab[k] has index k + first */
    char **vocab;
    dc_strmap map;   /* token -> k                                         */
};

static const char keras_filters[] = "!\"#$%&()*+,-./:;<=>?@[\\]^_`{|}~\t\n";

/* The index of vocabulary entry 0. */
static int first_index(const dc_tokenizer *t) { return t->o.oov ? 2 : 1; }

dc_tokenizer *dc_tokenizer_new(const dc_tokenizer_options *o) {
    dc_tokenizer *t = calloc(1, sizeof *t);
    if (!t) {
        dc_set_error(DC_ERR_NOMEM, "out of memory");
        return NULL;
    }
    t->o = *o;
    if (t->o.num_words < 0) t->o.num_words = 0;
    return t;
}

void dc_tokenizer_free(dc_tokenizer *t) {
    if (!t) return;
    dc_strmap_free(&t->map);
    for (int i = 0; i < t->nvocab; i++) free(t->vocab[i]);
    free(t->vocab);
    free(t);
}

int dc_tokenizer_vocab_size(const dc_tokenizer *t) {
    int all = t->nvocab + first_index(t);
    return t->o.num_words > 0 && t->o.num_words < all ? t->o.num_words : all;
}

/* Calls emit(token, len, ctx) for each token of text, in order. The text is
 * copied, cleaned (UTF-8, case) and split; tokens point into the copy. */
typedef int (*token_fn)(const char *tok, size_t len, void *ctx);
static dc_status each_token(const dc_tokenizer *t, const char *text, token_fn emit, void *ctx) {
    size_t n = strlen(text);
    char *s = malloc(3 * n + 1), *w = s; /* U+FFFD is 3 bytes for 1 bad byte */
    if (!s) return dc_set_error(DC_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < n;) {
        size_t k = dc_utf8_len(text + i, n - i);
        if (!k) {
            memcpy(w, "\xEF\xBF\xBD", 3), w += 3, i++;
            continue;
        }
        for (size_t j = 0; j < k; j++) {
            char c = text[i + j];
            if (k == 1 && t->o.lowercase && c >= 'A' && c <= 'Z') c = (char)(c - 'A' + 'a');
            if (k == 1 && !t->o.char_level && (strchr(keras_filters, c) || c == ' ') && c) c = ' ';
            *w++ = c;
        }
        i += k;
    }
    *w = 0;
    size_t len = (size_t)(w - s);
    dc_status st = DC_OK;
    for (size_t i = 0; i < len && !st;) {
        size_t k;
        if (t->o.char_level) k = dc_utf8_len(s + i, len - i);
        else if (s[i] == ' ') {
            i++;
            continue;
        } else
            for (k = 0; i + k < len && s[i + k] != ' ';) k++;
        if (emit(s + i, k, ctx)) st = DC_ERR_NOMEM;
        i += k;
    }
    free(s);
    return st;
}

/* ---- fitting ------------------------------------------------------------ */

typedef struct {
    char **tok;
    int64_t *count, *first, *ord; /* first: where first seen (its order, or the text's place); ord: the token's place in that text */
    int n, cap;
    int *slot; /* open addressing over tok, -1 empty; rebuilt as it doubles */
    uint32_t mask;
} counter;

static int counter_grow(counter *c) {
    int cap = c->cap ? 2 * c->cap : 1024;
    char **nt = realloc(c->tok, sizeof *nt * (size_t)cap);
    if (nt) c->tok = nt;
    int64_t *nc = nt ? realloc(c->count, sizeof *nc * (size_t)cap) : NULL;
    if (nc) c->count = nc;
    int64_t *nf = nc ? realloc(c->first, sizeof *nf * (size_t)cap) : NULL;
    if (nf) c->first = nf;
    int64_t *no = nf ? realloc(c->ord, sizeof *no * (size_t)cap) : NULL;
    if (no) c->ord = no;
    if (!no) return -1;
    uint32_t slots = 1;
    while (slots < 2u * (uint32_t)cap) slots *= 2;
    int *ns = malloc(sizeof *ns * slots);
    if (!ns) return -1;
    memset(ns, 0xff, sizeof *ns * slots);
    for (int i = 0; i < c->n; i++) {
        uint32_t h = dc_str_hash(c->tok[i]) & (slots - 1);
        while (ns[h] >= 0) h = (h + 1) & (slots - 1);
        ns[h] = i;
    }
    free(c->slot);
    c->slot = ns;
    c->mask = slots - 1;
    c->cap = cap;
    return 0;
}

/* A token as a string of at most 255 bytes, cut at a character boundary
 * (the vocabulary must stay UTF-8). */
static size_t token_copy(char *buf, const char *tok, size_t len) {
    if (len > 255) {
        len = 255;
        while (len > 0 && ((unsigned char)tok[len] & 0xC0) == 0x80) len--; /* tok[len] continues a character */
    }
    memcpy(buf, tok, len);
    buf[len] = 0;
    return len;
}

/* Add k to the count of token buf (a string of at most 255 bytes), a new
 * one after those seen before. */
static int count_add(counter *c, const char *buf, int64_t k) {
    uint32_t h = dc_str_hash(buf) & c->mask;
    for (; c->slot[h] >= 0; h = (h + 1) & c->mask)
        if (!strcmp(c->tok[c->slot[h]], buf)) {
            c->count[c->slot[h]] += k;
            return 0;
        }
    if (c->n == c->cap) {
        if (counter_grow(c)) return -1;
        h = dc_str_hash(buf) & c->mask;
        while (c->slot[h] >= 0) h = (h + 1) & c->mask;
    }
    if (!(c->tok[c->n] = strdup(buf))) return -1;
    c->count[c->n] = k;
    c->first[c->n] = c->n, c->ord[c->n] = 0;
    c->slot[h] = c->n++;
    return 0;
}

static int count_token(const char *tok, size_t len, void *ctx) {
    char buf[256];
    token_copy(buf, tok, len); /* a 255-byte "word" is as long as a word gets */
    return count_add(ctx, buf, 1);
}

static const counter *sort_ctx;
static int by_count(const void *a, const void *b) {
    int i = *(const int *)a, j = *(const int *)b;
    if (sort_ctx->count[i] != sort_ctx->count[j]) return sort_ctx->count[i] > sort_ctx->count[j] ? -1 : 1;
    return i < j ? -1 : i > j; /* first seen first */
}

static dc_status index_vocab(dc_tokenizer *t) {
    int dup[2];
    dc_status st = dc_strmap_build(&t->map, t->vocab, t->nvocab, dup);
    if (st == DC_ERR_INVALID) return dc_set_error(DC_ERR_FORMAT, "tokenizer: \"%s\" appears twice in the vocabulary", t->vocab[dup[0]]);
    return st;
}

static void counter_free(counter *c) {
    for (int i = 0; i < c->n; i++) free(c->tok[i]);
    free(c->tok), free(c->count), free(c->first), free(c->ord), free(c->slot);
}

/* The vocabulary of counted tokens: by count, ties first seen first. */
static dc_status vocab_of_counts(dc_tokenizer *t, counter *c) {
    dc_status st = DC_OK;
    int *order = malloc(sizeof(int) * (size_t)(c->n ? c->n : 1));
    if (!order) st = dc_set_error(DC_ERR_NOMEM, "out of memory");
    if (!st) {
        for (int i = 0; i < c->n; i++) order[i] = i;
        sort_ctx = c; /* not reentrant: fitting is not done from several threads at once */
        qsort(order, (size_t)c->n, sizeof *order, by_count);
        dc_strmap_free(&t->map);
        for (int i = 0; i < t->nvocab; i++) free(t->vocab[i]);
        free(t->vocab);
        t->vocab = malloc(sizeof(char *) * (size_t)(c->n ? c->n : 1));
        t->nvocab = 0;
        if (!t->vocab) st = dc_set_error(DC_ERR_NOMEM, "out of memory");
        for (int i = 0; !st && i < c->n; i++) {
            t->vocab[t->nvocab++] = c->tok[order[i]];
            c->tok[order[i]] = NULL;
        }
        if (!st) st = index_vocab(t);
    }
    free(order);
    return st;
}

dc_status dc_tokenizer_fit(dc_tokenizer *t, const char *const *texts, int64_t n) {
    counter c = {0};
    dc_status st = counter_grow(&c) ? dc_set_error(DC_ERR_NOMEM, "out of memory") : DC_OK;
    for (int64_t i = 0; i < n && !st; i++) st = each_token(t, texts[i], count_token, &c);
    if (!st) st = vocab_of_counts(t, &c);
    counter_free(&c);
    return st;
}

/* Counting texts at places: each new token remembers the place of the
 * text it was first seen in and its place among that text's tokens. */
typedef struct {
    counter *c;
    int64_t place, ord;
} sighting;

static int count_token_at(const char *tok, size_t len, void *ctx) {
    sighting *s = ctx;
    char buf[256];
    token_copy(buf, tok, len);
    const int n0 = s->c->n;
    if (count_add(s->c, buf, 1)) return -1;
    if (s->c->n > n0) s->c->first[n0] = s->place, s->c->ord[n0] = s->ord;
    s->ord++;
    return 0;
}

/* Counts as bytes: per token, its count, where it was first seen (the
 * text's place, its place in the text: 8 bytes each, the machine's order,
 * which the ranks of one run share) and its text with a NUL. */
dc_status dc_tokenizer_count(const dc_tokenizer *t, const char *const *texts, const int64_t *places, int64_t n, char **blob, int64_t *len) {
    *blob = NULL, *len = 0;
    counter c = {0};
    dc_status st = counter_grow(&c) ? dc_set_error(DC_ERR_NOMEM, "out of memory") : DC_OK;
    for (int64_t i = 0; i < n && !st; i++) {
        sighting s = {&c, places[i], 0};
        st = each_token(t, texts[i], count_token_at, &s);
    }
    size_t bytes = 0;
    for (int i = 0; !st && i < c.n; i++) bytes += 3 * sizeof(int64_t) + strlen(c.tok[i]) + 1;
    char *b = st ? NULL : malloc(bytes ? bytes : 1), *w = b;
    if (!st && !b) st = dc_set_error(DC_ERR_NOMEM, "tokenizer: out of memory for the counts of %d tokens", c.n);
    for (int i = 0; !st && i < c.n; i++) {
        const int64_t head[3] = {c.count[i], c.first[i], c.ord[i]};
        const size_t k = strlen(c.tok[i]) + 1;
        memcpy(w, head, sizeof head);
        memcpy(w + sizeof head, c.tok[i], k);
        w += sizeof head + k;
    }
    counter_free(&c);
    if (!st) *blob = b, *len = (int64_t)bytes;
    return st;
}

typedef struct {
    const char *tok;
    int64_t count, place, ord;
} count_entry;
static int by_sighting(const void *a, const void *b) {
    const count_entry *x = a, *y = b;
    if (x->place != y->place) return x->place < y->place ? -1 : 1;
    return x->ord < y->ord ? -1 : x->ord > y->ord;
}

dc_status dc_tokenizer_fit_counts(dc_tokenizer *t, const char *const *blobs, const int64_t *lens, int n) {
    int64_t total = 0, m = 0;
    for (int p = 0; p < n; p++) total += lens[p] / (int64_t)(3 * sizeof(int64_t) + 1) + 1;
    count_entry *e = malloc(sizeof *e * (size_t)(total ? total : 1));
    dc_status st = e ? DC_OK : dc_set_error(DC_ERR_NOMEM, "out of memory");
    for (int p = 0; p < n && !st; p++)
        for (int64_t at = 0; at < lens[p] && !st;) { /* count, place, ord, token, NUL: a token of at most 255 bytes */
            const int64_t head = 3 * (int64_t)sizeof(int64_t);
            const char *e0 = lens[p] - at > head ? memchr(blobs[p] + at + head, 0, (size_t)(lens[p] - at - head)) : NULL;
            int64_t h[3] = {0, 0, 0};
            if (e0) memcpy(h, blobs[p] + at, sizeof h);
            if (!e0 || e0 - (blobs[p] + at + head) > 255 || h[0] < 1 || m == total) {
                st = dc_set_error(DC_ERR_FORMAT, "tokenizer: part %d's counts are malformed at byte %lld", p, (long long)at);
                break;
            }
            e[m++] = (count_entry){blobs[p] + at + head, h[0], h[1], h[2]};
            at = e0 + 1 - blobs[p];
        }
    /* each token counted from its first sighting anywhere: the order the whole text sees them in */
    if (!st) qsort(e, (size_t)m, sizeof *e, by_sighting);
    counter c = {0};
    if (!st && counter_grow(&c)) st = dc_set_error(DC_ERR_NOMEM, "out of memory");
    for (int64_t i = 0; i < m && !st; i++)
        if (count_add(&c, e[i].tok, e[i].count)) st = dc_set_error(DC_ERR_NOMEM, "out of memory");
    if (!st) st = vocab_of_counts(t, &c);
    counter_free(&c);
    free(e);
    return st;
}

/* ---- encoding ----------------------------------------------------------- */

typedef struct {
    const dc_tokenizer *t;
    int32_t *ids;
    int64_t n, cap;
} encoder;

static int encode_token(const char *tok, size_t len, void *ctx) {
    encoder *e = ctx;
    char buf[256];
    token_copy(buf, tok, len);
    int k = dc_strmap_find(&e->t->map, buf);
    int id = k >= 0 ? k + first_index(e->t) : -1;
    if (id >= 0 && e->t->o.num_words > 0 && id >= e->t->o.num_words) id = -1;
    if (id < 0) {
        if (!e->t->o.oov) return 0; /* dropped, as Keras without an oov_token */
        id = 1;
    }
    if (e->n == e->cap) {
        int64_t cap = e->cap ? 2 * e->cap : 256;
        int32_t *ni = realloc(e->ids, sizeof *ni * (size_t)cap);
        if (!ni) return -1;
        e->ids = ni, e->cap = cap;
    }
    e->ids[e->n++] = id;
    return 0;
}

int64_t dc_tokenizer_encode(const dc_tokenizer *t, const char *text, int32_t *out, int64_t maxlen, int pad_post,
                            int truncate_post) {
    encoder e = {t, NULL, 0, 0};
    if (maxlen < 1) {
        dc_set_error(DC_ERR_INVALID, "tokenizer: maxlen must be at least 1 (got %lld)", (long long)maxlen);
        return -1;
    }
    if (each_token(t, text, encode_token, &e)) {
        free(e.ids);
        return -1;
    }
    /* pad_sequences: too long -> keep the last maxlen (truncating pre) or
     * the first; too short -> zeros before (padding pre) or after */
    int64_t keep = e.n < maxlen ? e.n : maxlen, from = e.n > maxlen && !truncate_post ? e.n - maxlen : 0;
    int64_t at = pad_post ? 0 : maxlen - keep;
    memset(out, 0, sizeof(int32_t) * (size_t)maxlen);
    if (keep) memcpy(out + at, e.ids + from, sizeof(int32_t) * (size_t)keep);
    free(e.ids);
    return keep;
}

const char *dc_tokenizer_token(const dc_tokenizer *t, int id) {
    if (id == 1 && t->o.oov) return "<OOV>";
    int k = id - first_index(t);
    return k >= 0 && k < t->nvocab ? t->vocab[k] : NULL;
}

/* ---- the vocabulary in a model file ---------------------------------------- */

char *dc_tokenizer_vocabulary(const dc_tokenizer *t) {
    dc_strbuf b = {0};
    for (int i = 0; i < t->nvocab; i++) {
        if (i) dc_sb_puts(&b, "\n");
        for (const char *p = t->vocab[i]; *p; p++)
            if (*p == '%' || *p == '\n' || *p == '\r') dc_sb_printf(&b, "%%%02X", (unsigned char)*p);
            else dc_sb_put(&b, p, 1);
    }
    if (b.oom) {
        free(b.s);
        dc_set_error(DC_ERR_NOMEM, "out of memory");
        return NULL;
    }
    return b.s ? b.s : strdup("");
}

dc_tokenizer *dc_tokenizer_load(const dc_tokenizer_options *o, const char *text, const char *where) {
    dc_tokenizer *t = dc_tokenizer_new(o);
    if (!t) return NULL;
    int n = *text ? 1 : 0;
    for (const char *p = text; *p; p++) n += *p == '\n';
    if (n > (1 << 26) || !(t->vocab = calloc((size_t)(n ? n : 1), sizeof(char *)))) {
        dc_set_error(DC_ERR_NOMEM, "%s: vocabulary of %d tokens: out of memory", where, n);
        dc_tokenizer_free(t);
        return NULL;
    }
    const char *p = text;
    for (int k = 0; k < n; k++) {
        const char *e = strchr(p, '\n');
        size_t len = e ? (size_t)(e - p) : strlen(p), o2 = 0;
        char *w = malloc(len + 1);
        if (!w) break;
        for (size_t i = 0; i < len; i++) {
            const int v = p[i] == '%' && i + 2 < len ? dc_hex_byte(p + i + 1) : -1;
            if (v >= 0) w[o2++] = (char)v, i += 2;
            else w[o2++] = p[i];
        }
        w[o2] = 0;
        t->vocab[t->nvocab++] = w;
        p = e ? e + 1 : p + len;
        if (!o2 || memchr(w, 0, o2) || dc_utf8_invalid_at(w, o2) != o2) {
            dc_set_error(DC_ERR_FORMAT, "%s: vocabulary token %d is empty or not UTF-8", where, k + 1);
            dc_tokenizer_free(t);
            return NULL;
        }
    }
    if (t->nvocab != n) {
        dc_set_error(DC_ERR_NOMEM, "%s: out of memory", where);
        dc_tokenizer_free(t);
        return NULL;
    }
    if (index_vocab(t)) {
        char msg[512];
        snprintf(msg, sizeof msg, "%s", dc_last_error());
        dc_set_error(DC_ERR_FORMAT, "%s: %s", where, msg);
        dc_tokenizer_free(t);
        return NULL;
    }
    return t;
}

void dc_text_oov_report(FILE *report, const char *path, const dc_tokenizer *t, const int32_t *ids, int64_t n) {
    if (!report) return;
    const int kept = dc_tokenizer_vocab_size(t) - first_index(t), seen = t->nvocab;
    int64_t oov = 0, tokens = 0;
    for (int64_t i = 0; i < n; i++) tokens += ids[i] != 0, oov += t->o.oov && ids[i] == 1;
    const double share = tokens ? (double)oov / (double)tokens : 0.0;
    if (share > OOV_WARN_SHARE)
        fprintf(report, "%s: warning: %.1f%% of the tokens are out of the vocabulary (num_words=%d keeps %d of the %d distinct "
                        "%s seen): raise num_words, or leave it out to keep them all (the embedding needs a row for each)\n",
                path, 100.0 * share, t->o.num_words, kept, seen, t->o.char_level ? "characters" : "words");
    else if (!t->o.oov && kept < seen)
        fprintf(report, "%s: note: num_words=%d keeps %d of the %d distinct %s seen; the others are dropped from the texts\n", path,
                t->o.num_words, kept, seen, t->o.char_level ? "characters" : "words");
}
