/* fuzz_text.c — a text model's inputs: a CSV of texts and labels through
 * dc_text_csv_load (tokenizer fitted on it, split, classes), and a stored
 * vocabulary (a model file's "vocabulary" metadata) read back; the first
 * byte picks the tokenizer's options and which of the two. */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n) {
    if (n < 1 || n > 1 << 16) return 0;
    uint8_t k = data[0];
    dc_text_spec spec = {1, "text", 1 + (k >> 4), k & 1, (k >> 1) & 1, {(k >> 2) & 1, 1, (k >> 3) & 1, (k & 0x40) ? 5 : 0}, (k >> 5) & 1, 0, 0, "", ""};
    if (k & 0x80) { /* a vocabulary */
        char *text = fuzz_text(data + 1, n - 1);
        dc_tokenizer *t = dc_tokenizer_load(&spec.tok, text, "fuzz");
        if (t) { /* what loads writes back the same */
            char *again = dc_tokenizer_vocabulary(t);
            dc_tokenizer *u = again ? dc_tokenizer_load(&spec.tok, again, "fuzz") : NULL;
            char *third = u ? dc_tokenizer_vocabulary(u) : NULL;
            if (again && (!third || strcmp(again, third))) abort();
            int32_t ids[16];
            dc_tokenizer_encode(t, text, ids, 16, 0, 0);
            free(again), free(third);
            dc_tokenizer_free(u);
        }
        dc_tokenizer_free(t);
        free(text);
        return 0;
    }
    const char *p = fuzz_file(0, ".csv", data + 1, n - 1);
    dc_csv_options o = {.test_split = (k & 0x20) ? 0.25f : 0.0f, .stratify = (k >> 6) & 1};
    dc_tokenizer *tok = NULL;
    char **cls = NULL;
    int ncls = 0;
    dc_dataset *tr = NULL, *te = NULL;
    if (dc_text_csv_load(p, &spec, &o, &tok, &cls, &ncls, &tr, &te, NULL) == DC_OK) {
        char *v = dc_tokenizer_vocabulary(tok); /* a fitted vocabulary must load back */
        dc_tokenizer *back = v ? dc_tokenizer_load(&spec.tok, v, "fuzz") : NULL;
        if (v && !back) abort();
        dc_tokenizer_free(back);
        free(v);
    }
    dc_tokenizer_free(tok);
    dc_free_names(cls, ncls);
    dc_dataset_free(tr);
    dc_dataset_free(te);
    return 0;
}
