/* test_text.c — the tokenizers against outputs worked out by hand with
 * Keras' Tokenizer and pad_sequences semantics, and UTF-8 edge cases. A
 * text read in parts cut by dc_text_cut tokenizes as the whole, and the
 * parts' merged counts give the whole's vocabulary (char, word, and with
 * the source folder as argument GPT-2's BPE). */
#include "test.h"

static void ids_are(const dc_tokenizer *t, const char *text, int maxlen, int post, int tpost, const int32_t *want,
                    const char *what) {
    int32_t got[16];
    int64_t k = dc_tokenizer_encode(t, text, got, maxlen, post, tpost);
    int same = k >= 0 && !memcmp(got, want, sizeof(int32_t) * (size_t)maxlen);
    CHECK(same, "%s: \"%s\" -> [%d %d %d %d %d ...]", what, text, got[0], got[1], got[2], got[3], got[4]);
}

/* A file of awkward text: runs of spaces and newlines, tabs, CRLF lines,
 * contractions, digits, UTF-8 and a bad byte, lines that start with spaces. */
static const char *parts_file(void) {
    static const char *path = "/tmp/deepc_test_text_parts.txt";
    FILE *f = fopen(path, "wb");
    if (!f) return NULL;
    const char *lines[] = {"The cat sat.\n", "  don't stop, they'll see 42 cats!\n", "\n\n\nA\tB  C\n", "caf\xc3\xa9 na\xc3\xafve \xe2\x80\x94 ok\n",
                           "crlf line\r\n", "x\n", "%\n", "bad \xff byte\n", "The dog, the cat!\n", "   \n", "Zeus 7 8 9\n"};
    for (int rep = 0; rep < 60; rep++)
        for (size_t i = 0; i < sizeof lines / sizeof *lines; i++) fputs(lines[(i + (size_t)rep) % (sizeof lines / sizeof *lines)], f);
    fclose(f);
    return path;
}

/* The file cut into k parts with dc_text_cut, read part by part: each
 * part's ids appended to ids (via encode), counts collected for fitting. */
typedef struct {
    char *text[32];
    int64_t len[32], cut[33];
    int k;
} text_parts;

static int read_parts(const char *path, int k, text_parts *p) {
    memset(p, 0, sizeof *p);
    p->k = k;
    int64_t size = 0;
    if (dc_text_cut(path, INT64_MAX, &size)) return -1;
    for (int i = 0; i <= k; i++)
        if (i == k) p->cut[i] = size;
        else if (dc_text_cut(path, size * i / k, &p->cut[i])) return -1;
    for (int i = 0; i < k; i++) {
        if (p->cut[i + 1] < p->cut[i]) return -1;
        if (!(p->text[i] = dc_read_text_part(path, p->cut[i], p->cut[i + 1], &p->len[i]))) return -1;
    }
    return 0;
}

static void free_parts(text_parts *p) {
    for (int i = 0; i < p->k; i++) free(p->text[i]);
}

/* ids of text (n of them) in out[cap]; -1 on error */
static int64_t encode_all(const dc_tokenizer *t, const char *text, int32_t *out, int64_t cap) {
    return dc_tokenizer_encode(t, text, out, cap, 1, 1);
}

static void check_parts(const char *src) {
    const char *path = parts_file();
    int64_t len = 0;
    char *whole = path ? dc_read_text_part(path, 0, 1 << 20, &len) : NULL; /* (past the end: refused) */
    CHECK(path && !whole, "a part past the file's end is refused: %s", dc_last_error());
    int64_t size = 0;
    dc_text_cut(path, INT64_MAX, &size);
    whole = dc_read_text_part(path, 0, size, &len);
    CHECK(whole && len == size, "the whole file as one part");
    if (!whole) return;
    const dc_tokenizer_options opts[] = {{1, 0, 1, 0}, {1, 1, 1, 12}, {0, 1, 1, 0}, {0, 1, 0, 9}}; /* char, char capped, word, word capped */
    int32_t *a = malloc(sizeof(int32_t) * (size_t)(len + 1)), *b = malloc(sizeof(int32_t) * (size_t)(len + 1));
    for (int ks = 0; ks < 4; ks++) {
        const int k = (int[]){2, 3, 7, 30}[ks];
        text_parts p;
        CHECK(read_parts(path, k, &p) == 0, "%d parts: %s", k, dc_last_error());
        int inner = 0; /* cuts strictly inside the file */
        for (int i = 1; i < k; i++) inner += p.cut[i] > 0 && p.cut[i] < size;
        CHECK(inner >= 1, "%d parts: %d cuts inside the file", k, inner);
        for (size_t o = 0; o < sizeof opts / sizeof *opts; o++) {
            dc_tokenizer *tw = dc_tokenizer_new(&opts[o]), *tp = dc_tokenizer_new(&opts[o]);
            const char *one[1] = {whole};
            char *blob[32] = {0};
            int64_t blen[32] = {0};
            int ok = !dc_tokenizer_fit(tw, one, 1);
            for (int i = 0; ok && i < k; i++) {
                const int64_t place = k - 1 - i; /* (given in reverse: the places, not the order given, decide) */
                ok = !dc_tokenizer_count(tp, (const char *const *)&p.text[k - 1 - i], &place, 1, &blob[i], &blen[i]);
            }
            ok = ok && !dc_tokenizer_fit_counts(tp, (const char *const *)blob, blen, k);
            char *vw = ok ? dc_tokenizer_vocabulary(tw) : NULL, *vp = ok ? dc_tokenizer_vocabulary(tp) : NULL;
            CHECK(vw && vp && !strcmp(vw, vp), "%d parts, options %zu: the parts' merged counts give the whole's vocabulary: %s", k, o,
                  dc_last_error());
            int64_t na = vw ? encode_all(tw, whole, a, len + 1) : -1, nb = 0;
            for (int i = 0; vw && i < k; i++) nb += encode_all(tw, p.text[i], b + nb, len + 1 - nb);
            CHECK(na > 0 && na == nb && !memcmp(a, b, sizeof(int32_t) * (size_t)na), "%d parts, options %zu: the parts' ids are the whole's (%lld, %lld)",
                  k, o, (long long)na, (long long)nb);
            if (k == 2 && o == 0) { /* a malformed count (a token without its NUL) is refused */
                blob[0][blen[0] - 1] = 'x';
                CHECK(dc_tokenizer_fit_counts(tp, (const char *const *)blob, blen, 1) != DC_OK && strstr(dc_last_error(), "malformed"),
                      "malformed counts are refused: %s", dc_last_error());
            }
            for (int i = 0; i < k; i++) free(blob[i]);
            free(vw), free(vp);
            dc_tokenizer_free(tw), dc_tokenizer_free(tp);
        }
        if (src) { /* GPT-2's BPE: its pieces never cross the cuts either */
            char vocab[600], merges[600];
            snprintf(vocab, sizeof vocab, "%s/data/gpt2/encoder.json", src);
            snprintf(merges, sizeof merges, "%s/data/gpt2/vocab.bpe", src);
            static dc_bpe *bpe;
            if (!bpe) bpe = dc_bpe_load(vocab, merges);
            int32_t *ids = NULL, *part = NULL;
            int64_t na = bpe ? dc_bpe_encode(bpe, whole, (size_t)len, &ids) : -1, nb = 0;
            int same = na > 0;
            for (int i = 0; same && i < k; i++) {
                int64_t n = dc_bpe_encode(bpe, p.text[i], (size_t)p.len[i], &part);
                same = n >= 0 && nb + n <= na && !memcmp(ids + nb, part, sizeof(int32_t) * (size_t)n);
                nb += n > 0 ? n : 0;
                free(part);
                part = NULL;
            }
            CHECK(same && nb == na, "%d parts: GPT-2's BPE ids of the parts are the whole's (%lld, %lld): %s", k, (long long)na, (long long)nb,
                  dc_last_error());
            free(ids);
            if (ks == 3) dc_bpe_free(bpe), bpe = NULL;
        }
        free_parts(&p);
    }
    /* a NUL in a part is refused, naming its place in the file */
    FILE *f = fopen(path, "r+b");
    if (f) {
        fseek(f, 1000, SEEK_SET);
        fputc(0, f);
        fclose(f);
    }
    char *bad = dc_read_text_part(path, 900, 1100, &len);
    CHECK(!bad && strstr(dc_last_error(), "byte 1000 is NUL"), "a NUL in a part: %s", dc_last_error());
    free(bad);
    free(a), free(b), free(whole);
    remove(path);
}

int main(int argc, char **argv) {
    check_parts(argc > 1 ? argv[1] : NULL);
    const char *texts[] = {"The cat sat.", "The dog, the cat!"};
    /* counts: the 3, cat 2, sat 1, dog 1 -> the=1 cat=2 sat=3 dog=4 (ties: first seen) */
    dc_tokenizer *t = dc_tokenizer_new(&(dc_tokenizer_options){0, 1, 0, 0});
    CHECK(dc_tokenizer_fit(t, texts, 2) == DC_OK, "fit: %s", dc_last_error());
    CHECK(dc_tokenizer_vocab_size(t) == 5, "vocabulary of 4 words and padding: %d", dc_tokenizer_vocab_size(t));
    CHECK(!strcmp(dc_tokenizer_token(t, 1), "the") && !strcmp(dc_tokenizer_token(t, 3), "sat") &&
              !strcmp(dc_tokenizer_token(t, 4), "dog"), "index by count, ties first seen");
    ids_are(t, "the DOG sat", 5, 0, 0, (int32_t[]){0, 0, 1, 4, 3}, "padding pre");
    ids_are(t, "the DOG sat", 5, 1, 0, (int32_t[]){1, 4, 3, 0, 0}, "padding post");
    ids_are(t, "the bird sat", 5, 0, 0, (int32_t[]){0, 0, 0, 1, 3}, "unknown words dropped without oov");
    ids_are(t, "cat sat the dog cat", 3, 0, 0, (int32_t[]){1, 4, 2}, "truncating pre keeps the last");
    ids_are(t, "cat sat the dog cat", 3, 0, 1, (int32_t[]){2, 3, 1}, "truncating post keeps the first");
    ids_are(t, "the--cat...(sat)\tdog\nthe", 5, 0, 0, (int32_t[]){1, 2, 3, 4, 1}, "filters split words");
    ids_are(t, "", 3, 0, 0, (int32_t[]){0, 0, 0}, "an empty text is all padding");
    dc_tokenizer_free(t);

    /* with an OOV token and num_words = 4: oov=1 the=2 cat=3; sat (4) and dog (5) become 1 */
    t = dc_tokenizer_new(&(dc_tokenizer_options){0, 1, 1, 4});
    dc_tokenizer_fit(t, texts, 2);
    CHECK(dc_tokenizer_vocab_size(t) == 4, "num_words caps the vocabulary: %d", dc_tokenizer_vocab_size(t));
    ids_are(t, "the bird sat cat", 5, 0, 0, (int32_t[]){0, 2, 1, 1, 3}, "oov and num_words");
    dc_tokenizer_free(t);

    /* characters: UTF-8 code points; bytes that are not UTF-8 become U+FFFD */
    const char *names[] = {"Zoë", "zoe"};
    t = dc_tokenizer_new(&(dc_tokenizer_options){1, 1, 0, 0});
    dc_tokenizer_fit(t, names, 2); /* z 2, o 2, ë 1, e 1 */
    CHECK(!strcmp(dc_tokenizer_token(t, 3), "ë") && !strcmp(dc_tokenizer_token(t, 4), "e"), "characters are code points");
    ids_are(t, "zoë", 4, 1, 0, (int32_t[]){1, 2, 3, 0}, "characters");
    const char *bad[] = {"a\xff" "b", "\xc3"};
    CHECK(dc_tokenizer_fit(t, bad, 2) == DC_OK && dc_tokenizer_token(t, 1) && !strcmp(dc_tokenizer_token(t, 1), "\xEF\xBF\xBD"),
          "invalid UTF-8 becomes U+FFFD (counted twice, so index 1)");
    int32_t out[4];
    CHECK_ERR(dc_tokenizer_encode(t, "ab", out, 0, 0, 0) < 0, "maxlen must be at least 1");
    dc_tokenizer_free(t);
    /* a 400-byte word of 2-byte characters is cut at a character boundary:
     * the vocabulary stays UTF-8 (a cut inside one made the model unsavable) */
    char longw[401];
    for (int i = 0; i < 400; i += 2) longw[i] = '\xc3', longw[i + 1] = '\xa9';
    longw[400] = 0;
    const char *lw[] = {longw};
    t = dc_tokenizer_new(&(dc_tokenizer_options){0, 1, 0, 0});
    dc_tokenizer_fit(t, lw, 1);
    char *voc = dc_tokenizer_vocabulary(t);
    CHECK(voc && strlen(voc) == 254 && ((unsigned char)voc[253] == 0xa9), "a long word is cut to whole characters (%zu bytes)",
          voc ? strlen(voc) : 0);
    free(voc);
    dc_tokenizer_free(t);

    /* a language model's data (target=next): no label column; each real
     * step's label is the next token, padding and the last step ignored */
    const char *csv = "/tmp/deepc_test_text_lm.csv";
    FILE *f = fopen(csv, "w");
    fputs("text\nthe cat sat\n\"the dog, the cat\"\n", f);
    fclose(f);
    dc_text_spec sp = {1, "text", 5, 0, 0, {0, 1, 0, 0}, 1};
    dc_csv_options co = {0};
    dc_tokenizer *lt = NULL;
    char **cls = NULL;
    int ncls = 0;
    dc_dataset *tr = NULL;
    CHECK(dc_text_csv_load(csv, &sp, &co, &lt, &cls, &ncls, &tr, NULL, NULL) == DC_OK, "LM data: %s", dc_last_error());
    if (tr) {
        /* the=1 cat=2 sat=3 dog=4: "the cat sat" -> 0 0 1 2 3, labels . . 2 3 .;
         * "the dog, the cat" -> 0 1 4 1 2, labels . 4 1 2 . */
        const int32_t *x = (const int32_t *)tr->x.data, *y = (const int32_t *)tr->y.data, I = DC_IGNORE_INDEX;
        int32_t wx[10] = {0, 0, 1, 2, 3, 0, 1, 4, 1, 2}, wy[10] = {I, I, 2, 3, I, I, 4, 1, 2, I};
        CHECK(tr->n == 2 && !memcmp(x, wx, sizeof wx) && !memcmp(y, wy, sizeof wy),
              "next tokens: x [%d %d %d %d %d] y [%d %d %d %d %d]", x[0], x[1], x[2], x[3], x[4], y[0], y[1], y[2], y[3], y[4]);
        CHECK(ncls == 0 && tr->num_classes == 5, "a language model's classes are its vocabulary (%d)", tr->num_classes);
    }
    dc_dataset_free(tr);
    dc_tokenizer_free(lt);
    remove(csv);
    return test_summary("test_text");
}
