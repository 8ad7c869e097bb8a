/* textfile.c — a whole text file in memory, checked: a regular file, of
 * at most a given size (checked before allocating), without NUL bytes.
 * Token streams, BPE files and the tokenizer trainer read through it. */
#include "internal.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

char *dc_read_text_file(const char *path, int64_t max_bytes, int64_t *len) {
    struct stat sb;
    if (stat(path, &sb) != 0) {
        dc_set_error(DC_ERR_IO, "%s: cannot open (%s)", path, strerror(errno));
        return NULL;
    }
    if (!S_ISREG(sb.st_mode)) {
        dc_set_error(DC_ERR_IO, "%s: not a regular file", path);
        return NULL;
    }
    if (sb.st_size > max_bytes) {
        dc_set_error(DC_ERR_FORMAT, "%s: %lld bytes, over the %lld MiB this file may hold", path, (long long)sb.st_size,
                     (long long)(max_bytes >> 20));
        return NULL;
    }
    FILE *f = fopen(path, "rb");
    char *buf = f ? malloc((size_t)sb.st_size + 1) : NULL;
    if (!buf) {
        if (f) fclose(f);
        dc_set_error(f ? DC_ERR_NOMEM : DC_ERR_IO, "%s: cannot read (%s)", path, f ? "out of memory" : strerror(errno));
        return NULL;
    }
    size_t n = fread(buf, 1, (size_t)sb.st_size, f);
    fclose(f);
    buf[n] = 0;
    const char *nul = memchr(buf, 0, n);
    if (nul) {
        dc_set_error(DC_ERR_FORMAT, "%s: byte %lld is NUL: not a text file", path, (long long)(nul - buf));
        free(buf);
        return NULL;
    }
    *len = (int64_t)n;
    return buf;
}
