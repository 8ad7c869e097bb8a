/* parts.c — the pieces the loaders of a file read in parts share
 * (parts.h): dc_ranks' collectives, merged counts, where each rank's
 * records start, and rows traded between the ranks. */
#include "parts.h"
#include <stdlib.h>
#include <string.h>

dc_status part_cannot(const part_ctx *c, const char *what) {
    return dc_set_error(DC_ERR_IO, "%s: the ranks could not %s", c->path, what);
}

/* v[0..n) summed over the ranks (integers below 2^53 stay exact) */
dc_status part_sum_i64(const part_ctx *c, int64_t *v, int n) {
    double d[8];
    for (int i = 0; i < n; i++) d[i] = (double)v[i];
    if (c->r->sum(d, n, c->r->user)) return part_cannot(c, "add up their counts");
    for (int i = 0; i < n; i++) v[i] = (int64_t)d[i];
    return DC_OK;
}

/* Each rank's n bytes (mine) on every rank: *all, lens[world]. */
dc_status part_gather(const part_ctx *c, const void *mine, int64_t n, char **all, int64_t *lens, const char *what) {
    *all = NULL;
    return c->r->gather(mine, n, all, lens, c->r->user) ? part_cannot(c, what) : DC_OK;
}

/* Each rank's value on every rank. */
dc_status part_gather_i64(const part_ctx *c, int64_t mine, int64_t *all) {
    int64_t *lens = malloc(sizeof(int64_t) * (size_t)c->r->world);
    char *buf = NULL;
    dc_status st = lens ? part_gather(c, &mine, sizeof mine, &buf, lens, "gather their counts") : dc_set_error(DC_ERR_NOMEM, "out of memory");
    if (!st) memcpy(all, buf, sizeof(int64_t) * (size_t)c->r->world);
    free(buf);
    free(lens);
    return st;
}

/* Strings (each NUL-terminated) with a count each, as bytes: count, text. */
static char *pack_counted(char *const *s, const int64_t *count, int64_t n, int64_t *len) {
    int64_t bytes = 0;
    for (int64_t i = 0; i < n; i++) bytes += (int64_t)sizeof(int64_t) + (int64_t)strlen(s[i]) + 1;
    char *b = malloc((size_t)(bytes ? bytes : 1)), *w = b;
    for (int64_t i = 0; b && i < n; i++) {
        const size_t k = strlen(s[i]) + 1;
        memcpy(w, &count[i], sizeof(int64_t));
        memcpy(w + sizeof(int64_t), s[i], k);
        w += sizeof(int64_t) + k;
    }
    *len = bytes;
    return b;
}

static int by_text(const void *a, const void *b) { return strcmp(((const counted *)a)->s, ((const counted *)b)->s); }

/* Sorted unique strings s[n] (each with its count) of every rank merged:
 * *out (pointing into *buf) sorted by text, counts added; *nout of them. */
dc_status part_merge_counted(const part_ctx *c, char *const *s, const int64_t *count, int64_t n, char **buf, counted **out, int64_t *nout,
                               const char *what) {
    int64_t len = 0, *lens = malloc(sizeof(int64_t) * (size_t)c->r->world);
    char *mine = pack_counted(s, count, n, &len);
    *buf = NULL, *out = NULL, *nout = 0;
    dc_status st = mine && lens ? part_gather(c, mine, len, buf, lens, what) : dc_set_error(DC_ERR_NOMEM, "out of memory");
    int64_t total = 0, m = 0;
    for (int r = 0; !st && r < c->r->world; r++) total += lens[r];
    counted *v = st ? NULL : malloc(sizeof(counted) * (size_t)(total / (int64_t)(sizeof(int64_t) + 1) + 1));
    if (!st && !v) st = dc_set_error(DC_ERR_NOMEM, "out of memory");
    for (int64_t at = 0; !st && at < total; m++) {
        memcpy(&v[m].count, *buf + at, sizeof(int64_t));
        v[m].s = *buf + at + sizeof(int64_t);
        at += (int64_t)sizeof(int64_t) + (int64_t)strlen(v[m].s) + 1;
    }
    if (!st) {
        qsort(v, (size_t)m, sizeof *v, by_text);
        int64_t k = 0;
        for (int64_t i = 0; i < m; i++)
            if (k && !strcmp(v[k - 1].s, v[i].s)) v[k - 1].count += v[i].count;
            else v[k++] = v[i];
        *out = v, *nout = k;
    } else free(v);
    free(mine);
    free(lens);
    return st;
}

/* Each rank's n doubles gathered (every rank's training values of a
 * column): *all (malloc'ed), *nall. */
dc_status part_gather_doubles(const part_ctx *c, const double *v, int64_t n, double **all, int64_t *nall) {
    int64_t *lens = malloc(sizeof(int64_t) * (size_t)c->r->world);
    char *buf = NULL;
    dc_status st = lens ? part_gather(c, v, n * (int64_t)sizeof(double), &buf, lens, "gather a column's values") : dc_set_error(DC_ERR_NOMEM, "out of memory");
    *nall = 0;
    for (int r = 0; !st && r < c->r->world; r++) *nall += lens[r] / (int64_t)sizeof(double);
    *all = (double *)buf;
    free(lens);
    return st;
}

/* The parts' starts, found by rank 0 and shared: cuts[W + 1], lines[W + 1]. */
dc_status part_starts(const part_ctx *c, const dc_csv_options *o, int64_t *cuts, int64_t *lines) {
    const int W = c->r->world;
    int64_t *mine = calloc(2 * (size_t)(W + 1), sizeof(int64_t)), *lens = malloc(sizeof(int64_t) * (size_t)W);
    char *all = NULL;
    dc_status st = mine && lens ? DC_OK : dc_set_error(DC_ERR_NOMEM, "out of memory");
    if (!st && c->r->rank == 0)
        st = dc_csv_cuts(c->path, o->delimiter ? o->delimiter : ',', !o->no_header, o->skip_rows, W, mine, mine + W + 1);
    if (!st) st = part_gather(c, mine, c->r->rank == 0 ? 2 * (W + 1) * (int64_t)sizeof(int64_t) : 0, &all, lens, "share where their parts start");
    if (!st && lens[0] != 2 * (W + 1) * (int64_t)sizeof(int64_t)) st = part_cannot(c, "share where their parts start");
    if (!st) memcpy(cuts, all, sizeof(int64_t) * (size_t)(W + 1)), memcpy(lines, all + sizeof(int64_t) * (size_t)(W + 1), sizeof(int64_t) * (size_t)(W + 1));
    for (int k = 0; !st && k < W; k++)
        if (cuts[k] >= cuts[k + 1])
            st = dc_set_error(DC_ERR_INVALID, "%s: --shard-data: part %d of %d holds no record (the file's records are too few or too long "
                                              "for %d ranks); run without --shard-data",
                              c->path, k + 1, W, W);
    free(all), free(lens), free(mine);
    return st;
}

dc_csv *part_read(const part_ctx *c, const dc_csv_options *o) {
    const int W = c->r->world, me = c->r->rank;
    int64_t *cuts = malloc(sizeof(int64_t) * 2 * (size_t)(W + 1));
    if (!cuts) {
        dc_set_error(DC_ERR_NOMEM, "out of memory");
        return NULL;
    }
    dc_csv *t = part_starts(c, o, cuts, cuts + W + 1) ? NULL
                : dc_csv_read_range(c->path, o->delimiter ? o->delimiter : ',', !o->no_header, o->skip_rows, cuts[0], cuts[me], cuts[me + 1],
                                    cuts[W + 1 + me]);
    free(cuts);
    return t;
}

/* A dataset of n rows shaped like d. */
static dc_dataset *new_like(const dc_dataset *d, int64_t n) {
    dc_dataset *o = dc_dataset_new(n, d->x.dtype, d->x.ndim, d->x.shape, d->y.dtype, d->y.ndim, d->y.shape);
    if (o) o->num_classes = d->num_classes;
    return o;
}

/* Rows of d (n of them, each with its place in place[]) as bytes: place,
 * inputs, targets (4-byte values each). */
static char *pack_rows(const dc_dataset *d, const int64_t *place, int64_t n, int64_t rowbytes) {
    char *b = malloc((size_t)(n > 0 ? n * rowbytes : 1));
    const size_t xb = 4 * (size_t)d->x.size, yb = 4 * (size_t)d->y.size;
    for (int64_t i = 0; b && i < n; i++) {
        char *w = b + i * rowbytes;
        memcpy(w, &place[i], sizeof(int64_t));
        memcpy(w + sizeof(int64_t), (const char *)d->x.data + (size_t)i * xb, xb);
        memcpy(w + sizeof(int64_t) + xb, (const char *)d->y.data + (size_t)i * yb, yb);
    }
    return b;
}

/* Packed rows into d at their places less `first`. */
static void unpack_rows(dc_dataset *d, const char *b, int64_t n, int64_t rowbytes, int64_t first) {
    const size_t xb = 4 * (size_t)d->x.size, yb = 4 * (size_t)d->y.size;
    for (int64_t i = 0; i < n; i++) {
        const char *r = b + i * rowbytes;
        int64_t at;
        memcpy(&at, r, sizeof at);
        at -= first;
        if (at < 0 || at >= d->n) continue; /* (cannot happen: every rank computes the same places) */
        memcpy((char *)d->x.data + (size_t)at * xb, r + sizeof(int64_t), xb);
        memcpy((char *)d->y.data + (size_t)at * yb, r + sizeof(int64_t) + xb, yb);
    }
}

static int64_t row_bytes(const dc_dataset *d) { return (int64_t)sizeof(int64_t) + 4 * (d->x.size + d->y.size); }

dc_status part_trade_rows(const part_ctx *c, const dc_dataset *mine, const int64_t *place, int64_t n, int64_t total, dc_dataset **out,
                          int64_t *first) {
    const int W = c->r->world, me = c->r->rank;
    const int64_t rowbytes = row_bytes(mine);
    int64_t *cnt = calloc(4 * (size_t)W, sizeof(int64_t)), *lens = malloc(sizeof(int64_t) * (size_t)W); /* scount, sdispl, rcount, rdispl */
    char *send = pack_rows(mine, place, n, rowbytes), *recv = NULL, *gbuf = NULL;
    dc_status st = cnt && lens && send ? DC_OK : dc_set_error(DC_ERR_NOMEM, "out of memory");
    for (int64_t i = 0, d = 0; !st && i < n; i++) { /* rows to each rank (places ascending: owners too) */
        while (place[i] >= total * (d + 1) / W) d++;
        cnt[d] += rowbytes;
    }
    for (int d = 1; !st && d < W; d++) cnt[W + d] = cnt[W + d - 1] + cnt[d - 1];
    if (!st) st = part_gather(c, cnt, sizeof(int64_t) * (size_t)W, &gbuf, lens, "share how many rows each sends");
    const int64_t *all = (const int64_t *)gbuf; /* rank s's counts to each rank */
    *first = total * me / W;
    const int64_t held = total * (me + 1) / W - *first;
    for (int s = 0; !st && s < W; s++) {
        cnt[2 * W + s] = all[(int64_t)s * W + me];
        cnt[3 * W + s] = s ? cnt[3 * W + s - 1] + cnt[2 * W + s - 1] : 0;
    }
    if (!st && cnt[3 * W + W - 1] + cnt[2 * W + W - 1] != held * rowbytes)
        st = dc_set_error(DC_ERR_INVALID, "%s: rank %d would receive %lld bytes of rows for %lld rows", c->path, me,
                          (long long)(cnt[3 * W + W - 1] + cnt[2 * W + W - 1]), (long long)held);
    if (!st && !(recv = malloc((size_t)(held > 0 ? held * rowbytes : 1)))) st = dc_set_error(DC_ERR_NOMEM, "out of memory");
    if (!st && c->r->trade(send, cnt, cnt + W, recv, cnt + 2 * W, cnt + 3 * W, c->r->user)) st = part_cannot(c, "trade their rows");
    if (!st && !(*out = new_like(mine, held))) st = dc_set_error(DC_ERR_NOMEM, "out of memory");
    if (!st) unpack_rows(*out, recv, held, rowbytes, *first);
    free(lens), free(gbuf), free(recv), free(send), free(cnt);
    return st;
}

dc_status part_gather_rows(const part_ctx *c, const dc_dataset *mine, const int64_t *place, int64_t n, int64_t total, dc_dataset **out) {
    const int64_t rowbytes = row_bytes(mine);
    int64_t *lens = malloc(sizeof(int64_t) * (size_t)c->r->world), got = 0;
    char *send = pack_rows(mine, place, n, rowbytes), *all = NULL;
    dc_status st = lens && send ? DC_OK : dc_set_error(DC_ERR_NOMEM, "out of memory");
    if (!st) st = part_gather(c, send, n * rowbytes, &all, lens, "gather their rows");
    for (int r = 0; !st && r < c->r->world; r++) got += lens[r] / rowbytes;
    if (!st && got != total) st = dc_set_error(DC_ERR_INVALID, "%s: %lld rows gathered, %lld expected", c->path, (long long)got, (long long)total);
    if (!st && !(*out = new_like(mine, total))) st = dc_set_error(DC_ERR_NOMEM, "out of memory");
    if (!st) unpack_rows(*out, all, total, rowbytes, 0);
    free(all), free(send), free(lens);
    return st;
}
