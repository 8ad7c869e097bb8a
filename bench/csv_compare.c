/* csv_compare.c [ROWS] — deepc's CSV reader (src/data/csv.c) against
 * Debian's libcsv 3.0.3, which the hardening issue asked us to weigh:
 *   1. correctness: RFC 4180 cases, each parsed by both; fields compared;
 *   2. speed: a generated file of ROWS rows (default 1,000,000; numbers,
 *      quoted text with commas, quotes and newlines), median of 5 parses;
 *   3. boundedness: peak extra memory per input byte, from the sizes each
 *      reader allocates (deepc: the file + one pointer per field; libcsv:
 *      a copy of each field, which the caller must store).
 * libcsv is run as a caller would use it to build the same table: strict
 * mode, no trimming of spaces, one malloc'ed copy per field. */
#include "../src/data/csv.h"
#include "bench.h"
#include <csv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    char **f;
    size_t n, cap;
    int64_t rows;
    int ragged, ncols, cur;
} table;

static void on_field(void *s, size_t len, void *ctx) {
    table *t = ctx;
    if (t->n == t->cap) t->f = realloc(t->f, sizeof(char *) * (t->cap = t->cap ? 2 * t->cap : 1024));
    t->f[t->n] = malloc(len + 1);
    memcpy(t->f[t->n], s ? s : "", len);
    t->f[t->n++][len] = 0;
    t->cur++;
}
static void on_row(int c, void *ctx) {
    (void)c;
    table *t = ctx;
    if (t->rows++ == 0) t->ncols = t->cur;
    else if (t->cur != t->ncols) t->ragged = 1;
    t->cur = 0;
}
static int no_space(unsigned char c) { (void)c; return 0; }

/* libcsv over a buffer: 0 on success (and a rectangular table). */
static int libcsv_parse(const char *buf, size_t n, table *t) {
    struct csv_parser p;
    memset(t, 0, sizeof *t);
    csv_init(&p, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL);
    csv_set_space_func(&p, no_space);
    int ok = csv_parse(&p, buf, n, on_field, on_row, t) == n && csv_fini(&p, on_field, on_row, t) == 0;
    csv_free(&p);
    return ok && !t->ragged ? 0 : -1;
}
static void table_free(table *t) {
    for (size_t i = 0; i < t->n; i++) free(t->f[i]);
    free(t->f);
}

static void write_file(const char *path, const char *s, size_t n) {
    FILE *f = fopen(path, "wb");
    fwrite(s, 1, n, f);
    fclose(f);
}

static int same(const dc_csv *a, const table *b) {
    if (!a || (int64_t)b->n != (a->nrows + 1) * a->ncols) return 0;
    for (int c = 0; c < a->ncols; c++)
        if (strcmp(a->names[c], b->f[c])) return 0;
    for (int64_t i = 0; i < a->nrows * a->ncols; i++)
        if (strcmp(a->cells[i], b->f[a->ncols + i])) return 0;
    return 1;
}

int main(int argc, char **argv) {
    int64_t rows = argc > 1 ? atoll(argv[1]) : 1000000;
    const char *tmp = "/tmp/deepc_csv_compare.csv";
    struct {
        const char *what, *text;
    } cases[] = {
        {"plain", "a,b\n1,2\n3,4\n"},
        {"no final newline", "a,b\n1,2\n3,4"},
        {"empty last field, no newline", "a,b\n1,2\n3,"},
        {"CRLF", "a,b\r\n1,2\r\n"},
        {"quoted comma, quote, newline", "a,b\n\"x,y\",\"say \"\"hi\"\"\"\n\"two\nlines\",z\n"},
        {"empty quoted field", "a,b\n\"\",1\n"},
        {"spaces kept", "a,b\n 1 , 2 \n"},
        {"blank lines between records", "a,b\n1,2\n\n3,4\n"},
        {"UTF-8", "a,b\nnaïve,日本\n"},
        {"ragged (error)", "a,b\n1,2,3\n"},
        {"unterminated quote (error)", "a,b\n\"1,2\n"},
        {"text after closing quote (error)", "a,b\n\"1\"x,2\n"},
    };
    int agree = 0, ncases = (int)(sizeof cases / sizeof *cases);
    printf("%-34s %-8s %-8s %s\n", "case", "deepc", "libcsv", "same fields");
    for (int i = 0; i < ncases; i++) {
        write_file(tmp, cases[i].text, strlen(cases[i].text));
        dc_csv *a = dc_csv_read(tmp, ',', 1, 0);
        table b;
        int rb = libcsv_parse(cases[i].text, strlen(cases[i].text), &b);
        int eq = a && rb == 0 ? same(a, &b) : (!a && rb != 0);
        agree += eq;
        printf("%-34s %-8s %-8s %s\n", cases[i].what, a ? "ok" : "error", rb == 0 ? "ok" : "error", eq ? "yes" : "NO");
        dc_csv_free(a);
        table_free(&b);
    }
    printf("agree on %d of %d cases\n\n", agree, ncases);

    /* a big file: 8 numeric columns and one quoted text column */
    size_t cap = (size_t)rows * 96 + 64, n = 0;
    char *big = malloc(cap);
    n += (size_t)sprintf(big, "c0,c1,c2,c3,c4,c5,c6,c7,text\n");
    for (int64_t r = 0; r < rows; r++)
        n += (size_t)sprintf(big + n, "%lld,%.4f,%d,%.2f,%lld,%d,%.3f,%d,\"w%lld, \"\"q\"\"\n\"\n", (long long)r, r * 0.37,
                             (int)(r % 1000), r * 1.5, (long long)(r * 7), (int)(r % 3), r * 0.001, (int)(r % 97), (long long)r);
    write_file(tmp, big, n);
    double td[5], tl[5];
    for (int k = 0; k < 5; k++) {
        double t0 = bench_now();
        dc_csv *a = dc_csv_read(tmp, ',', 1, 0);
        td[k] = bench_now() - t0;
        table b;
        t0 = bench_now();
        FILE *f = fopen(tmp, "rb"); /* libcsv is handed the file as read, like deepc */
        char *buf = malloc(n);
        size_t got = fread(buf, 1, n, f);
        fclose(f);
        int rb = libcsv_parse(buf, got, &b);
        tl[k] = bench_now() - t0;
        if (k == 0)
            printf("%lld rows, %.1f MB: deepc %s, libcsv %s, same fields: %s\n", (long long)rows, (double)n / 1e6,
                   a ? "ok" : dc_last_error(), rb == 0 ? "ok" : "error", a && rb == 0 && same(a, &b) ? "yes" : "NO");
        dc_csv_free(a);
        table_free(&b);
        free(buf);
    }
    double md = bench_median(td, 5), ml = bench_median(tl, 5);
    printf("parse (median of 5): deepc %.3f s, libcsv %.3f s, deepc/libcsv %.2f\n", md, ml, md / ml);
    /* memory: deepc keeps the file (n + 1) and one pointer + line per
     * field/row; libcsv's caller keeps a malloc'ed copy per field (at
     * least 16 bytes of allocator overhead each) plus the pointer */
    int64_t fields = (rows + 1) * 9;
    double mem_d = (double)n + 1 + 8.0 * (double)fields + 8.0 * (double)rows;
    double mem_l = (double)n + 8.0 * (double)fields + 16.0 * (double)fields + 8.0 * (double)rows;
    printf("memory per input byte (at least): deepc %.2f, libcsv + table %.2f\n", mem_d / (double)n, mem_l / (double)n);
    free(big);
    remove(tmp);
    return agree == ncases ? 0 : 1;
}
