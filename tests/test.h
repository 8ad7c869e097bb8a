/* test.h — a tiny test harness: CHECK records a failure and goes on; the
 * program ends with "N passed, N failed" and exits non-zero on failure. */
#ifndef DC_TEST_H
#define DC_TEST_H
#include <deepc.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int test_passed, test_failed;

#define CHECK(cond, ...)                                                  \
    do {                                                                  \
        if (cond) test_passed++;                                          \
        else {                                                            \
            test_failed++;                                                \
            fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);          \
            fprintf(stderr, __VA_ARGS__);                                 \
            fprintf(stderr, "\n");                                        \
        }                                                                 \
    } while (0)

/* An error was reported and its message contains `needle`. */
#define CHECK_ERR(ok_value_is_failure, needle)                                               \
    CHECK((ok_value_is_failure) && strstr(dc_last_error(), needle),                          \
          "expected an error mentioning \"%s\", got \"%s\"", needle, dc_last_error())

/* A scratch folder for files a test writes (emptied by test_workdir). */
static char test_dir[512];

/* test_dir/name; the last 8 results stay valid. */
static inline const char *path_of(const char *name) {
    static char p[8][1024];
    static int k;
    k = (k + 1) % 8;
    snprintf(p[k], sizeof p[k], "%s/%s", test_dir, name);
    return p[k];
}

/* Make an empty scratch folder: argv[1], or dflt. Returns 0 on success. */
static inline int test_workdir(int argc, char **argv, const char *dflt) {
    snprintf(test_dir, sizeof test_dir, "%s", argc > 1 ? argv[1] : dflt);
    char cmd[1100];
    snprintf(cmd, sizeof cmd, "rm -rf '%s' && mkdir -p '%s'", test_dir, test_dir);
    return system(cmd) != 0;
}

/* Three Gaussian blobs in 6-D: an easy 3-class problem (n samples). */
static inline dc_dataset *test_blobs(int64_t n, uint64_t seed) {
    dc_rng r;
    dc_rng_seed(&r, seed);
    dc_dataset *d = dc_dataset_new(n, DC_F32, 1, (int64_t[]){6}, DC_I32, 0, NULL);
    float *x = d->x.data;
    int32_t *y = d->y.data;
    d->num_classes = 3;
    for (int64_t i = 0; i < n; i++) {
        int c = (int)dc_rng_below(&r, 3);
        y[i] = c;
        for (int k = 0; k < 6; k++) x[i * 6 + k] = (k % 3 == c ? 2.0f : 0.0f) + 0.7f * dc_rng_normal(&r);
    }
    return d;
}

static inline int test_summary(const char *name) {
    printf("%s: %d passed, %d failed\n", name, test_passed, test_failed);
    return test_failed ? 1 : 0;
}
#endif
