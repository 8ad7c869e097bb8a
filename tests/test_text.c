/* test_text.c — the tokenizers against outputs worked out by hand with
 * Keras' Tokenizer and pad_sequences semantics, and UTF-8 edge cases. */
#include "test.h"

static void ids_are(const dc_tokenizer *t, const char *text, int maxlen, int post, int tpost, const int32_t *want,
                    const char *what) {
    int32_t got[16];
    int64_t k = dc_tokenizer_encode(t, text, got, maxlen, post, tpost);
    int same = k >= 0 && !memcmp(got, want, sizeof(int32_t) * (size_t)maxlen);
    CHECK(same, "%s: \"%s\" -> [%d %d %d %d %d ...]", what, text, got[0], got[1], got[2], got[3], got[4]);
}

int main(void) {
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
