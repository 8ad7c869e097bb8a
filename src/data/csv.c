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

/* One field at *pp, quoted or not, unquoted in place (a quoted field's text
 * moves to its start); *pp and *line move past it, *sep gets the character
 * that ended it ('\n' at the end of a line or of the text). Returns the
 * field's start, or NULL (error set: row_line names the record). */
static char *scan_field(char **pp, char *end, char delim, int64_t *line, int64_t row_line, const char *path, char *sep) {
    char *p = *pp, *w = p, *start = p;
    if (*p == '"') {
        p++;
        for (;;) {
            if (p >= end) {
                dc_set_error(DC_ERR_FORMAT, "%s:%lld: unterminated quoted field", path, (long long)row_line);
                return NULL;
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
            if (*p == '\n') (*line)++;
            *w++ = *p++;
        }
        if (p < end && *p != delim && *p != '\n' && *p != '\r') {
            dc_set_error(DC_ERR_FORMAT, "%s:%lld: text after a closing quote", path, (long long)*line);
            return NULL;
        }
    } else {
        while (p < end && *p != delim && *p != '\n' && !(*p == '\r' && (p + 1 == end || p[1] == '\n'))) p++;
        w = p;
    }
    *sep = p < end ? *p : '\n';
    *w = 0; /* terminate (overwrites the separator, already read) */
    if (p < end) p++;
    if (*sep == '\r') {
        if (p < end && *p == '\n') p++;
        *sep = '\n';
    }
    *pp = p;
    return start;
}

/* The column names: the header row's (taken out of the rows, unique), or
 * column_1, column_2, ... written after the text in t->buf (which may move:
 * fields are rebased). */
static dc_status name_columns(dc_csv *t, char **fields, size_t nf, int64_t *lines, int64_t *nrows, int64_t len, int header) {
    const int ncols = t->ncols;
    if (!(t->names = malloc(sizeof(char *) * (size_t)ncols))) return dc_set_error(DC_ERR_NOMEM, "%s: out of memory", t->path);
    if (header) {
        for (int i = 0; i < ncols; i++) t->names[i] = fields[i];
        int dup[2];
        dc_status st = dc_strmap_build(&t->by_name, t->names, ncols, dup);
        if (st == DC_ERR_INVALID)
            return dc_set_error(DC_ERR_FORMAT, "%s:%lld: columns %d and %d are both named \"%s\"; every column needs its own name",
                                t->path, (long long)lines[0], dup[0] + 1, dup[1] + 1, t->names[dup[0]]);
        if (st) return dc_set_error(DC_ERR_NOMEM, "%s: out of memory", t->path);
        if (--*nrows == 0) return dc_set_error(DC_ERR_FORMAT, "%s: only a header, no data rows", t->path);
        memmove(fields, fields + ncols, sizeof(char *) * (size_t)*nrows * (size_t)ncols);
        memmove(lines, lines + 1, sizeof(int64_t) * (size_t)*nrows);
        return DC_OK;
    }
    for (size_t i = 0; i < nf; i++) fields[i] = (char *)(uintptr_t)(fields[i] - t->buf); /* offsets */
    char *nbuf = realloc(t->buf, (size_t)len + 1 + (size_t)ncols * 24);
    if (!nbuf) {
        for (size_t i = 0; i < nf; i++) fields[i] = t->buf + (uintptr_t)fields[i];
        return dc_set_error(DC_ERR_NOMEM, "%s: out of memory", t->path);
    }
    for (size_t i = 0; i < nf; i++) fields[i] = nbuf + (uintptr_t)fields[i]; /* back to pointers */
    t->buf = nbuf;
    for (int i = 0; i < ncols; i++) {
        char *nm = nbuf + len + 1 + 24 * i;
        snprintf(nm, 24, "column_%d", i + 1);
        t->names[i] = nm;
    }
    return dc_strmap_build(&t->by_name, t->names, ncols, NULL) ? dc_set_error(DC_ERR_NOMEM, "%s: out of memory", t->path) : DC_OK;
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
    /* fields are unquoted in place: a field's text moves towards its start */
    size_t capf = 1024, nf = 0, caprows = 256;
    char **fields = malloc(sizeof(char *) * capf);
    int64_t *lines = malloc(sizeof(int64_t) * caprows), nrows = 0;
    int ncols = -1;
    if (!fields || !lines) goto nomem;
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
    while (p < end) {
        if (*p == '\n' || (*p == '\r' && p + 1 < end && p[1] == '\n')) { /* blank lines between records */
            p += *p == '\r' ? 2 : 1;
            line++;
            continue;
        }
        const int64_t row_line = line;
        const size_t row_start = nf;
        for (;;) { /* the record's fields */
            char sep, *field = scan_field(&p, end, delim, &line, row_line, path, &sep);
            if (!field) goto fail;
            if (nf == capf) {
                char **nfs = realloc(fields, sizeof(char *) * (capf *= 2));
                if (!nfs) goto nomem;
                fields = nfs;
            }
            fields[nf++] = field;
            if (sep == '\n' || (p >= end && sep != delim)) { /* "a,b," at the end of the file: one more, empty field */
                line++;
                break;
            }
        }
        const int n = (int)(nf - row_start);
        if (ncols < 0) ncols = n;
        else if (n != ncols) {
            dc_set_error(DC_ERR_FORMAT, "%s:%lld: %d fields, expected %d like the %s", path, (long long)row_line, n, ncols,
                         header ? "header" : "first row");
            goto fail;
        }
        if ((size_t)nrows == caprows) {
            int64_t *nl = realloc(lines, sizeof(int64_t) * (caprows *= 2));
            if (!nl) goto nomem;
            lines = nl;
        }
        lines[nrows++] = row_line;
    }
    if (nrows == 0 || ncols <= 0) {
        dc_set_error(DC_ERR_FORMAT, "%s: empty file (no rows)", path);
        goto fail;
    }
    t->ncols = ncols;
    if (name_columns(t, fields, nf, lines, &nrows, len, header)) goto fail;
    t->cells = fields;
    t->line = lines;
    t->nrows = nrows;
    return t;
nomem:
    dc_set_error(DC_ERR_NOMEM, "%s: out of memory", path);
fail:
    free(fields);
    free(lines);
    dc_csv_free(t);
    return NULL;
}
