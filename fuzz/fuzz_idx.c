/* fuzz_idx.c — IDX image and label files, raw or gzip: the first byte
 * splits the input into the two files, the second picks a --limit and a
 * part of 1 to 3 (what a rank reads with --shard-data). */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n) {
    if (n < 2) return 0;
    size_t cut = 2 + (size_t)data[0] * (n - 2) / 255;
    int64_t limit = data[1] % 4 == 0 ? 0 : data[1] % 7;
    const char *img = fuzz_file(0, "-images", data + 2, cut - 2);
    const char *lab = fuzz_file(1, "-labels", data + cut, n - cut);
    const int parts = 1 + (data[1] / 28) % 3, part = (data[1] / 84) % parts;
    dc_dataset_free(dc_idx_load_limit(img, lab, limit));
    if (parts > 1) dc_dataset_free(dc_idx_load_part(img, lab, limit, part, parts, NULL, NULL));
    return 0;
}
