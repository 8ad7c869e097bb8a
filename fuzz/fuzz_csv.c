/* fuzz_csv.c — a CSV table through the whole tabular pipeline: parsing,
 * column types, missing values, the (stratified) split, categories,
 * scaling, PCA; then the fitted pipeline applied to the same file, and its
 * text form read back. The first byte picks the options. And the file read
 * in 3 parts (dc_csv_cuts, dc_csv_read_range: deepc train --shard-data):
 * when it reads whole, its parts' records are its records. */
#include "fuzz.h"
#include "../src/data/csv.h"

static void parts_are_whole(const char *p, char delim, int header) {
    dc_csv *whole = dc_csv_read(p, delim, header, 0);
    int64_t cuts[4], lines[4], rows = 0;
    if (dc_csv_cuts(p, delim, header, 0, 3, cuts, lines) != DC_OK) {
        if (whole) abort(); /* a file read whole can be cut */
        return;
    }
    for (int k = 0; k < 3; k++) {
        if (cuts[k] > cuts[k + 1]) abort(); /* parts in order */
        if (cuts[k] == cuts[k + 1]) continue;
        dc_csv *part = dc_csv_read_range(p, delim, header, 0, cuts[0], cuts[k], cuts[k + 1], lines[k]);
        if (whole && (!part || part->ncols != whole->ncols || rows + part->nrows > whole->nrows)) abort();
        for (int64_t i = 0; whole && i < part->nrows; i++, rows++) {
            if (part->line[i] != whole->line[rows]) abort(); /* errors would name the right line */
            for (int c = 0; c < part->ncols; c++)
                if (strcmp(part->cells[i * part->ncols + c], whole->cells[rows * whole->ncols + c])) abort();
        }
        dc_csv_free(part);
    }
    if (whole && rows != whole->nrows) abort();
    dc_csv_free(whole);
}

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
    parts_are_whole(p, o.delimiter, !o.no_header);
    return 0;
}
