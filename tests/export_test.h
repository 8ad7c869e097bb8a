/* export_test.h — what the export tests share (test_onnx.c, test_c_export.c):
 * random weights, raw files, and a run over cases that writes cases.txt. */
#ifndef DC_TEST_EXPORT_H
#define DC_TEST_EXPORT_H
#include "test.h"

/* weights at random; BatchNorm's running statistics too (var > 0) */
static inline void export_randomize(dc_model *m, dc_rng *rng) {
    for (int i = 0; i < dc_model_num_param_tensors(m); i++) {
        const char *name;
        dc_tensor *t = dc_model_param_tensor(m, i, &name);
        if (t->dtype != DC_F32) continue;
        const int var = strstr(name, "running_var") != NULL;
        for (int64_t k = 0; k < t->size; k++) t->data[k] = var ? 0.5f + dc_rng_uniform(rng) : 0.4f * dc_rng_normal(rng);
    }
}

static inline int export_write_raw(const char *path, const void *v, size_t bytes) {
    FILE *f = fopen(path, "wb");
    if (!f) return -1;
    const int ok = fwrite(v, 1, bytes, f) == bytes;
    return fclose(f) || !ok ? -1 : 0;
}

/* The test's main: an empty WORKDIR (argv[1], or dflt), run(dir, k, list)
 * for k in [0, n) writing WORKDIR/cases.txt, then refusals(dir). */
static inline int export_main(int argc, char **argv, const char *dflt, int n, void (*run)(const char *, int, FILE *),
                              void (*refusals)(const char *)) {
    if (test_workdir(argc, argv, dflt)) return 1;
    const char *dir = argc > 1 ? argv[1] : dflt;
    char path[512];
    snprintf(path, sizeof path, "%s/cases.txt", dir);
    FILE *list = fopen(path, "w");
    CHECK(list != NULL, "open %s", path);
    if (!list) return 1;
    for (int k = 0; k < n; k++) run(dir, k, list);
    fclose(list);
    refusals(dir);
    printf("%d passed, %d failed\n", test_passed, test_failed);
    return test_failed ? 1 : 0;
}
#endif
