/* fuzz_csv.c — a CSV table through the whole tabular pipeline: parsing,
 * column types, missing values, the (stratified) split, categories,
 * scaling, PCA; then the fitted pipeline applied to the same file, and its
 * text form read back. The first byte picks the options. */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n) {
    if (n < 1 || n > 1 << 16) return 0;
    uint8_t k = data[0];
    const char *p = fuzz_file(0, ".csv", data + 1, n - 1);
    dc_csv_options o = {0};
    o.delimiter = k & 1 ? ';' : ',';
    o.no_header = (k >> 1) & 1;
    o.missing = (dc_missing)((k >> 2) & 3);
    o.scaling = (dc_scaling)(((k >> 4) & 3) % 3);
    o.stratify = (k >> 6) & 1;
    o.test_split = (k >> 7) ? 0.25f : 0.0f;
    o.pca = (k & 0x21) == 0x21 ? 1 : 0;
    o.regression = (k & 0x41) == 0x41;
    dc_tabular *t = NULL;
    dc_dataset *tr = NULL, *te = NULL;
    if (dc_csv_load(p, &o, &t, &tr, &te, NULL) == DC_OK) {
        dc_dataset_free(dc_tabular_transform(t, p, 1));
        char *text = dc_tabular_serialize(t);
        dc_tabular *back = text ? dc_tabular_parse(text, "fuzz") : NULL;
        char *again = back ? dc_tabular_serialize(back) : NULL;
        if (text && (!again || strcmp(text, again))) abort(); /* the text form must read back the same */
        free(text);
        free(again);
        dc_tabular_free(back);
    }
    dc_tabular_free(t);
    dc_dataset_free(tr);
    dc_dataset_free(te);
    return 0;
}
