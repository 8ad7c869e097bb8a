/* fuzz_bpe.c — GPT-2 BPE files from the input (dc_bpe_load_text: a JSON
 * vocabulary and merges, split at the first "\n--\n"), then a text through
 * them: every vocabulary that loads must give ids that decode back to the
 * text (as valid UTF-8), and never crash on the pieces GPT-2's pattern
 * cuts. */
#include "fuzz.h"
#include "../src/core/internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n) {
    if (n > 1 << 16) return 0;
    char *all = fuzz_text(data, n);
    char *sep = strstr(all, "\n--\n");
    if (!sep) {
        free(all);
        return 0;
    }
    *sep = 0;
    const char *merges = sep + 4;
    char *text = strstr(merges, "\n--\n"); /* an optional third part: the text to encode */
    if (text) *text = 0, text += 4;
    dc_bpe *b = dc_bpe_load_text(all, merges, "fuzz.json", "fuzz.bpe");
    if (b) {
        const char *t = text ? text : "Hello world, it's 2026!  \t\n";
        size_t tn = strlen(t);
        int32_t *ids = NULL;
        int64_t k = dc_bpe_encode(b, t, tn, &ids);
        if (k >= 0) {
            size_t len = 0;
            char *back = dc_bpe_decode(b, ids, k, &len);
            /* valid UTF-8 comes back byte for byte */
            if (back && dc_utf8_invalid_at(t, tn) == tn && (len != tn || memcmp(back, t, tn))) abort();
            free(back);
        }
        free(ids);
        dc_bpe_free(b);
    }
    free(all);
    return 0;
}
