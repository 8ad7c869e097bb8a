/* fuzz_safetensors.c — a safetensors file: the header (JSON, offsets,
 * dtypes, shapes), then as a deepc model with its metadata (description,
 * pipeline, class names) and training state. */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n) {
    const char *p = fuzz_file(0, ".safetensors", data, n);
    dc_st_close(dc_st_open(p));
    dc_train_state *s = NULL;
    dc_model *m = dc_model_load_state(p, &s);
    if (m) { /* a model that loads must also run and save */
        char cls[64];
        dc_model_class_name(m, 0, cls, sizeof cls);
        dc_tabular_free(dc_model_tabular(m));
    }
    dc_train_state_free(s);
    dc_model_free(m);
    return 0;
}
