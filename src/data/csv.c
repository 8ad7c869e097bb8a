/* csv.c — RFC 4180 CSV reading into a table of strings. One pass over the
 * file's bytes builds the cells in place; every error names file and line. */
#include "csv.h"
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define CSV_MAX_BYTES ((int64_t)1 << 31)

void dc_csv_free(dc_csv *t) {
    if (!t) return;
    dc_strmap_free(&t->by_name);
    free(t->names);
    free(t->cells);
    free(t->line);
    free(t->buf);
    free(t);
}

int dc_csv_missing(const char *c) {
    while (*c == ' ') c++;
    return !*c || !strcasecmp(c, "NA") || !strcasecmp(c, "N/A") || !strcasecmp(c, "NaN") || !strcasecmp(c, "null") ||
           !strcmp(c, "?");
}

int dc_csv_number(const char *c, double *out) {
    char *end;
    errno = 0;
    double v = strtod(c, &end);
    if (end == c) return 0;
    while (*end == ' ') end++;
    if (*end || errno || !isfinite(v)) return 0;
    *out = v;
    return 1;
}

int dc_csv_column(const dc_csv *t, const char *s) {
    int k = dc_strmap_find(&t->by_name, s);
    if (k >= 0) return k;
    char *end;
    long v = strtol(s, &end, 10);
    if (end != s && !*end) {
        if (v < 0) v += t->ncols;
        if (v >= 0 && v < t->ncols) return (int)v;
    }
    return -1;
}

static char *read_all(const char *path, int64_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        dc_set_error(DC_ERR_IO, "%s: cannot open (%s)", path, strerror(errno));
        return NULL;
    }
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap + 1);
    while (buf) {
        if (n == cap) {
            if ((int64_t)cap >= CSV_MAX_BYTES) {
                free(buf);
                fclose(f);
                dc_set_error(DC_ERR_FORMAT, "%s: larger than 2 GiB", path);
                return NULL;
            }
            char *nb = realloc(buf, cap * 2 + 1);
            if (!nb) break;
            buf = nb;
            cap *= 2;
        }
        size_t r = fread(buf + n, 1, cap - n, f);
        n += r;
        if (r == 0) break;
    }
    int err = ferror(f);
    fclose(f);
    if (!buf || err) {
        free(buf);
        dc_set_error(buf ? DC_ERR_IO : DC_ERR_NOMEM, "%s: cannot read", path);
        return NULL;
    }
    buf[n] = 0;
    *len = (int64_t)n;
    return buf;
}

dc_csv *dc_csv_read(const char *path, char delim, int header, int skip) {
    int64_t len;
    char *buf = read_all(path, &len);
    if (!buf) return NULL;
    dc_csv *t = calloc(1, sizeof *t);
    if (!t) {
        free(buf);
        dc_set_error(DC_ERR_NOMEM, "out of memory");
        return NULL;
    }
    t->buf = buf;
    t->path = path;
    if (memchr(buf, 0, (size_t)len)) {
        dc_set_error(DC_ERR_FORMAT, "%s: contains a NUL byte; not a text file", path);
        goto fail;
    }
    char *p = buf, *end = buf + len;
    int64_t line = 1;
    if (len >= 3 && (unsigned char)p[0] == 0xEF && (unsigned char)p[1] == 0xBB && (unsigned char)p[2] == 0xBF) p += 3; /* BOM */
    for (int s = 0; s < skip && p < end; s++) { /* skipped lines are not parsed */
        char *nl = memchr(p, '\n', (size_t)(end - p));
        p = nl ? nl + 1 : end;
        line++;
    }
    /* fields are unquoted in place: w writes behind r */
    size_t capf = 1024, nf = 0, caprows = 256;
    char **fields = malloc(sizeof(char *) * capf);
    int64_t *lines = malloc(sizeof(int64_t) * caprows), nrows = 0;
    int ncols = -1;
    if (!fields || !lines) goto nomem;
    while (p < end) {
        /* skip blank lines between records */
        if (*p == '\n' || (*p == '\r' && p + 1 < end && p[1] == '\n')) {
            p += *p == '\r' ? 2 : 1;
            line++;
            continue;
        }
        int64_t row_line = line;
        size_t row_start = nf;
        for (;;) { /* one field */
            char *w = p, *start = p;
            if (*p == '"') {
                p++;
                for (;;) {
                    if (p >= end) {
                        dc_set_error(DC_ERR_FORMAT, "%s:%lld: unterminated quoted field", path, (long long)row_line);
                        free(fields);
                        free(lines);
                        goto fail;
                    }
                    if (*p == '"') {
                        if (p + 1 < end && p[1] == '"') {
                            *w++ = '"';
                            p += 2;
                            continue;
                        }
                        p++;
                        break;
                    }
                    if (*p == '\n') line++;
                    *w++ = *p++;
                }
                if (p < end && *p != delim && *p != '\n' && *p != '\r') {
                    dc_set_error(DC_ERR_FORMAT, "%s:%lld: text after a closing quote", path, (long long)line);
                    free(fields);
                    free(lines);
                    goto fail;
                }
            } else {
                while (p < end && *p != delim && *p != '\n' && !(*p == '\r' && (p + 1 == end || p[1] == '\n'))) p++;
                w = p;
            }
            char sep = p < end ? *p : '\n';
            *w = 0; /* terminate (overwrites the separator, already read) */
            if (nf == capf) {
                char **nfs = realloc(fields, sizeof(char *) * (capf *= 2));
                if (!nfs) {
                    free(fields);
                    free(lines);
                    goto nomem;
                }
                fields = nfs;
            }
            fields[nf++] = start; /* a quoted field's text was unquoted to start here */
            if (p < end) p++;
            if (sep == '\r') {
                if (p < end && *p == '\n') p++;
                sep = '\n';
            }
            if (sep == '\n' || (p >= end && sep != delim)) { /* "a,b," at the end of the file: one more, empty field */
                line++;
                break;
            }
        }
        int n = (int)(nf - row_start);
        if (ncols < 0) ncols = n;
        else if (n != ncols) {
            dc_set_error(DC_ERR_FORMAT, "%s:%lld: %d fields, expected %d like the %s", path, (long long)row_line, n, ncols,
                         header ? "header" : "first row");
            free(fields);
            free(lines);
            goto fail;
        }
        if ((size_t)nrows == caprows) {
            int64_t *nl = realloc(lines, sizeof(int64_t) * (caprows *= 2));
            if (!nl) {
                free(fields);
                free(lines);
                goto nomem;
            }
            lines = nl;
        }
        lines[nrows++] = row_line;
    }
    if (nrows == 0 || ncols <= 0) {
        dc_set_error(DC_ERR_FORMAT, "%s: empty file (no rows)", path);
        free(fields);
        free(lines);
        goto fail;
    }
    t->ncols = ncols;
    if (!(t->names = malloc(sizeof(char *) * (size_t)ncols))) {
        free(fields);
        free(lines);
        goto nomem;
    }
    if (header) {
        for (int i = 0; i < ncols; i++) t->names[i] = fields[i];
        int dup[2];
        dc_status st = dc_strmap_build(&t->by_name, t->names, ncols, dup);
        if (st) {
            if (st == DC_ERR_INVALID)
                dc_set_error(DC_ERR_FORMAT, "%s:%lld: columns %d and %d are both named \"%s\"; every column needs its own name",
                             path, (long long)lines[0], dup[0] + 1, dup[1] + 1, t->names[dup[0]]);
            free(fields);
            free(lines);
            goto fail;
        }
        nrows--;
        if (nrows == 0) {
            dc_set_error(DC_ERR_FORMAT, "%s: only a header, no data rows", path);
            free(fields);
            free(lines);
            goto fail;
        }
        memmove(fields, fields + ncols, sizeof(char *) * (size_t)nrows * (size_t)ncols);
        memmove(lines, lines + 1, sizeof(int64_t) * (size_t)nrows);
    } else {
        /* names "column_1"...: stored after the text, in the same buffer */
        for (size_t i = 0; i < nf; i++) fields[i] = (char *)(uintptr_t)(fields[i] - t->buf); /* offsets */
        char *nbuf = realloc(t->buf, (size_t)len + 1 + (size_t)ncols * 24);
        if (!nbuf) {
            free(fields);
            free(lines);
            goto nomem;
        }
        for (size_t i = 0; i < nf; i++) fields[i] = nbuf + (uintptr_t)fields[i]; /* back to pointers */
        t->buf = nbuf;
        for (int i = 0; i < ncols; i++) {
            char *nm = nbuf + len + 1 + 24 * i;
            snprintf(nm, 24, "column_%d", i + 1);
            t->names[i] = nm;
        }
        if (dc_strmap_build(&t->by_name, t->names, ncols, NULL)) {
            free(fields);
            free(lines);
            goto nomem;
        }
    }
    t->cells = fields;
    t->line = lines;
    t->nrows = nrows;
    return t;
nomem:
    dc_set_error(DC_ERR_NOMEM, "%s: out of memory", path);
fail:
    dc_csv_free(t);
    return NULL;
}
