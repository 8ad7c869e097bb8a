/* fuzz_tabular.c — the stored CSV pipeline (a model file's "preprocess"
 * metadata): parsed, and when it parses, written and read back unchanged. */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n) {
    if (n > 1 << 16) return 0;
    char *text = fuzz_text(data, n);
    dc_tabular *t = dc_tabular_parse(text, "fuzz");
    if (t) {
        char *a = dc_tabular_serialize(t);
        dc_tabular *u = a ? dc_tabular_parse(a, "fuzz") : NULL;
        char *b = u ? dc_tabular_serialize(u) : NULL;
        if (a && (!b || strcmp(a, b))) abort();
        free(a);
        free(b);
        dc_tabular_free(u);
    }
    dc_tabular_free(t);
    free(text);
    return 0;
}
