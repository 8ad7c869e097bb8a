/* parts.h — what the loaders of a file read in parts by ranks share
 * (tabular_part.c, text_csv.c): dc_ranks' collectives with errors that
 * name the file, counted strings merged over the ranks, where each rank's
 * records start, and rows traded or gathered. Internal to src/data. */
#ifndef DC_PARTS_H
#define DC_PARTS_H
#include "csv.h"

typedef struct {
    const dc_ranks *r;
    const char *path;
} part_ctx;

/* "PATH: the ranks could not WHAT" */
dc_status part_cannot(const part_ctx *c, const char *what);
/* v[0..n) (n <= 8) summed over the ranks (integers below 2^53 stay exact) */
dc_status part_sum_i64(const part_ctx *c, int64_t *v, int n);
/* Each rank's n bytes on every rank: *all (malloc'ed), lens[world]. */
dc_status part_gather(const part_ctx *c, const void *mine, int64_t n, char **all, int64_t *lens, const char *what);
/* Each rank's value on every rank: all[world]. */
dc_status part_gather_i64(const part_ctx *c, int64_t mine, int64_t *all);
typedef struct {
    const char *s;
    int64_t count;
} counted;
/* Sorted unique strings s[n] (each with its count) of every rank merged:
 * *out (pointing into *buf) sorted by text (strcmp), counts added; *nout. */
dc_status part_merge_counted(const part_ctx *c, char *const *s, const int64_t *count, int64_t n, char **buf, counted **out, int64_t *nout,
                             const char *what);
/* Each rank's n doubles gathered: *all (malloc'ed), *nall. */
dc_status part_gather_doubles(const part_ctx *c, const double *v, int64_t n, double **all, int64_t *nall);
/* This rank's records of the CSV file (o: delimiter, header, skipped
 * lines): rank 0 finds where each rank's part starts (dc_csv_cuts) and
 * shares it; NULL (error set) on failure, or when a part holds no record. */
dc_csv *part_read(const part_ctx *c, const dc_csv_options *o);
/* Rows of mine (n of them; 4-byte values), each with its place among
 * `total` rows (place[], ascending), traded so that each rank holds its
 * run [total r / W, total (r + 1) / W): into *out (made like mine), its
 * first place in *first. part_gather_rows: every rank's rows on every
 * rank, *out holding all `total` in place order. */
dc_status part_trade_rows(const part_ctx *c, const dc_dataset *mine, const int64_t *place, int64_t n, int64_t total, dc_dataset **out,
                          int64_t *first);
dc_status part_gather_rows(const part_ctx *c, const dc_dataset *mine, const int64_t *place, int64_t n, int64_t total, dc_dataset **out);
#endif
