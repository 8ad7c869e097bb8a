/* fuzz_describe.c — the model description language: layers and options,
 * names and inputs (graphs), repeat blocks, losses, optimizer, schedule. */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n) {
    if (n > 1 << 16) return 0;
    char *text = fuzz_text(data, n);
    dc_model *m = dc_model_parse(text, "fuzz.dc");
    dc_model_free(m);
    free(text);
    return 0;
}
