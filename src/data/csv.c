/* csv.c — RFC 4180 CSV reading into a table of strings. One pass over the
 * file's bytes builds the cells in place; every error names file and line. */
#include "csv.h"
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

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

/* Parse buf[len] (taken over: freed with the table) as the CSV file path.
 * At byte `jump` (a record's start; -1: none) the line count becomes
 * jump_line: a part of a file read after its header. */
static dc_csv *parse(const char *path, char *buf, int64_t len, char delim, int header, int skip, int64_t jump, int64_t jump_line) {
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
        if (p - buf == jump) line = jump_line;
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

dc_csv *dc_csv_read(const char *path, char delim, int header, int skip) {
    int64_t len;
    char *buf = read_all(path, &len);
    return buf ? parse(path, buf, len, delim, header, skip, -1, 0) : NULL;
}

/* ---- a file in parts (dc_csv_cuts, dc_csv_read_range) -------------------- */

/* A byte reader with one byte of lookahead, counting its place. */
typedef struct {
    FILE *f;
    int64_t pos;
} reader;
static int next_byte(reader *r) {
    int c = getc_unlocked(r->f);
    if (c != EOF) r->pos++;
    return c;
}
static int peek_byte(reader *r) {
    int c = getc_unlocked(r->f);
    if (c != EOF) ungetc(c, r->f);
    return c;
}

/* Past one record (its fields as scan_field reads them), counting lines.
 * unquoted: its first field's first byte was read already (not a quote). */
static void skip_record(reader *r, char delim, int64_t *line, int unquoted) {
    for (;;) { /* a field */
        int c = unquoted ? 0 : next_byte(r);
        unquoted = 0;
        if (c == '"') {
            for (;;) {
                c = next_byte(r);
                if (c == EOF) return;
                if (c == '\n') (*line)++;
                if (c == '"') {
                    if (peek_byte(r) != '"') break;
                    next_byte(r);
                }
            }
            c = next_byte(r); /* after the closing quote: a delimiter or the record's end (else malformed: read on as text) */
            if (c == EOF) return;
            if (c == '\n') {
                (*line)++;
                return;
            }
            if (c == '\r') {
                if (peek_byte(r) == '\n') next_byte(r);
                (*line)++;
                return;
            }
            if (c == (unsigned char)delim) continue;
        }
        for (;; c = next_byte(r)) { /* unquoted (or the rest of a malformed one) */
            if (c == EOF) return;
            if (c == (unsigned char)delim) break;
            if (c == '\n') {
                (*line)++;
                return;
            }
            if (c == '\r' && (peek_byte(r) == '\n' || peek_byte(r) == EOF)) {
                if (next_byte(r) == '\n') (*line)++;
                return;
            }
        }
    }
}

dc_status dc_csv_cuts(const char *path, char delim, int header, int skip, int parts, int64_t *cuts, int64_t *lines) {
    struct stat sb;
    FILE *f = stat(path, &sb) == 0 ? fopen(path, "rb") : NULL;
    if (!f) return dc_set_error(DC_ERR_IO, "%s: cannot open (%s)", path, strerror(errno));
    const int64_t size = (int64_t)sb.st_size;
    reader r = {f, 0};
    int64_t line = 1, nrec = 0;
    int k = 1; /* the next part whose start is looked for */
    for (int i = 0; i <= parts; i++) cuts[i] = size, lines[i] = 0;
    if (peek_byte(&r) == 0xEF) { /* a BOM */
        unsigned char bom[3];
        if (fread(bom, 1, 3, f) == 3 && bom[1] == 0xBB && bom[2] == 0xBF) r.pos = 3;
        else fseek(f, 0, SEEK_SET);
    }
    for (int s = 0; s < skip; s++) { /* skipped lines are not records */
        int c;
        while ((c = next_byte(&r)) != EOF && c != '\n') {}
        if (c == EOF) break;
        line++;
    }
    for (;;) {
        const int64_t at = r.pos;
        int c = next_byte(&r), cr = 0;
        if (c == '\n' || (c == '\r' && peek_byte(&r) == '\n')) { /* a blank line between records */
            if (c == '\r') next_byte(&r);
            line++;
            continue;
        }
        if (c == EOF) break;
        if (nrec == header) cuts[0] = at, lines[0] = line; /* the first data record */
        while (nrec >= header && k < parts && at >= size * k / parts) cuts[k] = at, lines[k++] = line;
        if (c == '\r') cr = 1; /* ("\r" alone: text of an unquoted field) */
        else ungetc(c, f), r.pos--;
        skip_record(&r, delim, &line, cr);
        nrec++;
    }
    const int bad = ferror(f);
    fclose(f);
    if (bad) return dc_set_error(DC_ERR_IO, "%s: cannot read", path);
    for (int i = 0; i <= parts; i++)
        if (!lines[i]) lines[i] = line;
    return DC_OK;
}

dc_csv *dc_csv_read_range(const char *path, char delim, int header, int skip, int64_t data_start, int64_t lo, int64_t hi, int64_t line_lo) {
    if (data_start < 0 || lo < data_start || hi < lo || hi - lo > CSV_MAX_BYTES) {
        dc_set_error(DC_ERR_INVALID, "%s: bytes %lld to %lld: not a part this file may be read in", path, (long long)lo, (long long)hi);
        return NULL;
    }
    FILE *f = fopen(path, "rb");
    const int64_t len = data_start + (hi - lo);
    char *buf = f ? malloc((size_t)len + 1) : NULL;
    if (!buf) {
        if (f) fclose(f);
        dc_set_error(f ? DC_ERR_NOMEM : DC_ERR_IO, "%s: cannot read (%s)", path, f ? "out of memory" : strerror(errno));
        return NULL;
    }
    /* the file's start up to its first data record (skipped lines, the header), then the part */
    int ok = fread(buf, 1, (size_t)data_start, f) == (size_t)data_start && !fseek(f, (long)lo, SEEK_SET) &&
             fread(buf + data_start, 1, (size_t)(hi - lo), f) == (size_t)(hi - lo);
    fclose(f);
    if (!ok) {
        free(buf);
        dc_set_error(DC_ERR_IO, "%s: cannot read bytes %lld to %lld (the file changed?)", path, (long long)lo, (long long)hi);
        return NULL;
    }
    buf[len] = 0;
    return parse(path, buf, len, delim, header, skip, data_start, line_lo);
}
