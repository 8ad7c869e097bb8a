/* fuzz.h — shared by the libFuzzer harnesses: deepc's loaders take paths,
 * so each input is written to a scratch file first (in $TMPDIR, one per
 * process, so that parallel jobs do not collide). */
#ifndef DC_FUZZ_H
#define DC_FUZZ_H
#include <deepc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The path of scratch file k (0..3) with the given suffix, holding data. */
static inline const char *fuzz_file(int k, const char *suffix, const uint8_t *data, size_t n) {
    static char path[4][512];
    const char *tmp = getenv("TMPDIR");
    snprintf(path[k], sizeof path[k], "%s/deepc_fuzz_%d_%d%s", tmp ? tmp : "/tmp", (int)getpid(), k, suffix);
    FILE *f = fopen(path[k], "wb");
    if (!f) abort();
    if (n && fwrite(data, 1, n, f) != n) abort();
    fclose(f);
    return path[k];
}

/* A NUL-terminated copy of the input (text parsers). */
static inline char *fuzz_text(const uint8_t *data, size_t n) {
    char *s = malloc(n + 1);
    if (!s) abort();
    memcpy(s, data, n);
    s[n] = 0;
    return s;
}
#endif
