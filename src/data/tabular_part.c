/* tabular_part.c — dc_csv_load with the file read in parts by the ranks of
 * a data-parallel run (deepc train --shard-data), each rank parsing only
 * its records. Everything dc_csv_load decides from all the rows is decided
 * here from what the ranks share through dc_ranks:
 *
 *   where the parts start   rank 0 scans the bytes once (dc_csv_cuts)
 *   column types            counts of numbers and words, summed
 *   rows kept, classes      counts gathered; each rank's classes, merged
 *   the split               every rank shuffles the kept rows' places (and,
 *                           stratified, knows each one's class: gathered)
 *   categories, modes       each rank's counted categories, merged
 *   means, deviations, PCA  sums over the ranks (only these can differ
 *                           from dc_csv_load's, in rounding)
 *   medians, modes (numbers) the column's training values, gathered
 *
 * Then each rank encodes its own training rows and trades them, so that
 * rank r holds rows [ntr r / W, ntr (r + 1) / W) in the split's order. */
#include "tabular.h"
#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const dc_ranks *r;
    const char *path;
} part_ctx;

static dc_status cannot(const part_ctx *c, const char *what) {
    return dc_set_error(DC_ERR_IO, "%s: the ranks could not %s", c->path, what);
}

/* v[0..n) summed over the ranks (integers below 2^53 stay exact) */
static dc_status sum_i64(const part_ctx *c, int64_t *v, int n) {
    double d[8];
    for (int i = 0; i < n; i++) d[i] = (double)v[i];
    if (c->r->sum(d, n, c->r->user)) return cannot(c, "add up their counts");
    for (int i = 0; i < n; i++) v[i] = (int64_t)d[i];
    return DC_OK;
}

/* Each rank's n bytes (mine) on every rank: *all, lens[world]. */
static dc_status gather(const part_ctx *c, const void *mine, int64_t n, char **all, int64_t *lens, const char *what) {
    *all = NULL;
    return c->r->gather(mine, n, all, lens, c->r->user) ? cannot(c, what) : DC_OK;
}

/* Each rank's value on every rank. */
static dc_status gather_i64(const part_ctx *c, int64_t mine, int64_t *all) {
    int64_t *lens = malloc(sizeof(int64_t) * (size_t)c->r->world);
    char *buf = NULL;
    dc_status st = lens ? gather(c, &mine, sizeof mine, &buf, lens, "gather their counts") : dc_set_error(DC_ERR_NOMEM, "out of memory");
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

typedef struct {
    const char *s;
    int64_t count;
} counted;
static int by_text(const void *a, const void *b) { return strcmp(((const counted *)a)->s, ((const counted *)b)->s); }

/* Sorted unique strings s[n] (each with its count) of every rank merged:
 * *out (pointing into *buf) sorted by text, counts added; *nout of them. */
static dc_status merge_counted(const part_ctx *c, char *const *s, const int64_t *count, int64_t n, char **buf, counted **out, int64_t *nout,
                               const char *what) {
    int64_t len = 0, *lens = malloc(sizeof(int64_t) * (size_t)c->r->world);
    char *mine = pack_counted(s, count, n, &len);
    *buf = NULL, *out = NULL, *nout = 0;
    dc_status st = mine && lens ? gather(c, mine, len, buf, lens, what) : dc_set_error(DC_ERR_NOMEM, "out of memory");
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
static dc_status gather_doubles(const part_ctx *c, const double *v, int64_t n, double **all, int64_t *nall) {
    int64_t *lens = malloc(sizeof(int64_t) * (size_t)c->r->world);
    char *buf = NULL;
    dc_status st = lens ? gather(c, v, n * (int64_t)sizeof(double), &buf, lens, "gather a column's values") : dc_set_error(DC_ERR_NOMEM, "out of memory");
    *nall = 0;
    for (int r = 0; !st && r < c->r->world; r++) *nall += lens[r] / (int64_t)sizeof(double);
    *all = (double *)buf;
    free(lens);
    return st;
}

/* ---- the steps --------------------------------------------------------- */

/* Column types from every rank's counts of numbers and words (the error
 * names the first word this rank holds, if it holds one). */
static dc_status column_types(const part_ctx *c, dc_tabular *p, const dc_csv *t, const int *fcols, int nf) {
    for (int k = 0; k < nf; k++) {
        tcol *col = &p->cols[k];
        int64_t nw[2] = {0, 0}, first_word = -1;
        for (int64_t r = 0; r < t->nrows; r++) {
            const char *cell = t->cells[r * t->ncols + fcols[k]];
            double v;
            if (dc_csv_missing(cell)) continue;
            if (dc_csv_number(cell, &v)) nw[0]++;
            else if (nw[1]++ == 0) first_word = r;
        }
        dc_status st = sum_i64(c, nw, 2);
        if (st) return st;
        if (nw[1] && nw[0] > nw[1]) {
            if (first_word >= 0)
                return dc_set_error(DC_ERR_FORMAT, "%s:%lld: column \"%s\": \"%s\" is not a number (%lld of its values are numbers)", c->path,
                                    (long long)t->line[first_word], col->name, t->cells[first_word * t->ncols + fcols[k]], (long long)nw[0]);
            return dc_set_error(DC_ERR_FORMAT, "%s: column \"%s\": %lld values are not numbers (%lld are; another rank's part holds them)",
                                c->path, col->name, (long long)nw[1], (long long)nw[0]);
        }
        col->categorical = nw[1] > 0;
    }
    return DC_OK;
}

/* The classes: every rank's kept labels, sorted and unique (by value when
 * all are numbers), merged. */
static dc_status fit_classes(const part_ctx *c, dc_tabular *p, const dc_csv *t, const int64_t *keep, int64_t nkeep, int lab) {
    int64_t words = 0;
    char **tmp = malloc(sizeof(char *) * (size_t)(nkeep ? nkeep : 1));
    if (!tmp) return dc_set_error(DC_ERR_NOMEM, "out of memory");
    for (int64_t i = 0; i < nkeep; i++) {
        double v;
        tmp[i] = t->cells[keep[i] * t->ncols + lab];
        words += !dc_csv_number(tmp[i], &v);
    }
    dc_status st = sum_i64(c, &words, 1);
    const int numeric = words == 0;
    const int64_t k = st ? 0 : tab_unique_sorted(tmp, nkeep, numeric);
    int64_t *ones = st ? NULL : calloc((size_t)(k ? k : 1), sizeof(int64_t)), nall = 0;
    char *buf = NULL;
    counted *all = NULL;
    if (!st && !ones) st = dc_set_error(DC_ERR_NOMEM, "out of memory");
    if (!st) st = merge_counted(c, tmp, ones, k, &buf, &all, &nall, "gather their classes");
    char **names = st ? NULL : malloc(sizeof(char *) * (size_t)(nall ? nall : 1));
    if (!st && !names) st = dc_set_error(DC_ERR_NOMEM, "out of memory");
    for (int64_t i = 0; !st && i < nall; i++) names[i] = (char *)all[i].s;
    const int64_t n = st ? 0 : tab_unique_sorted(names, nall, numeric);
    if (!st && !(p->classes = calloc((size_t)(n ? n : 1), sizeof(char *)))) st = dc_set_error(DC_ERR_NOMEM, "out of memory");
    for (int64_t i = 0; !st && i < n; i++)
        if (!(p->classes[p->nclasses++] = strdup(names[i]))) st = dc_set_error(DC_ERR_NOMEM, "out of memory");
    if (!st && n < 2)
        st = dc_set_error(DC_ERR_FORMAT, "%s: label column \"%s\" has a single class \"%s\"", c->path, p->label, n ? p->classes[0] : "");
    if (!st) st = tab_index_classes(p);
    free(names), free(all), free(buf), free(ones), free(tmp);
    return st;
}

/* The split of nkeep kept rows, as dc_csv_load makes it, by their places
 * (0 .. nkeep-1, in file order): tr[*ntr] and te[*nte]. cls: each place's
 * class (stratified only). */
static dc_status split(const dc_tabular *p, const dc_csv_options *o, const int32_t *cls, int64_t nkeep, int64_t *tr, int64_t *ntr, int64_t *te,
                       int64_t *nte, const char *path) {
    int64_t *keep = malloc(sizeof(int64_t) * (size_t)nkeep);
    if (!keep) return dc_set_error(DC_ERR_NOMEM, "out of memory");
    for (int64_t i = 0; i < nkeep; i++) keep[i] = i;
    dc_rng rng;
    dc_rng_seed(&rng, o->seed ? o->seed : 42);
    *ntr = *nte = 0;
    if (o->test_split > 0.0f) dc_rng_shuffle(&rng, keep, nkeep);
    dc_status st = DC_OK;
    if (o->test_split > 0.0f && o->stratify && !o->regression) { /* class by class, in shuffled order (dc_csv_load's) */
        int64_t *start = calloc((size_t)p->nclasses + 1, sizeof(int64_t)), *pos = malloc(sizeof(int64_t) * (size_t)nkeep);
        if (!start || !pos) st = dc_set_error(DC_ERR_NOMEM, "out of memory");
        for (int64_t i = 0; !st && i < nkeep; i++) start[cls[keep[i]] + 1]++;
        for (int k = 0; !st && k < p->nclasses; k++) start[k + 1] += start[k];
        for (int64_t i = 0; !st && i < nkeep; i++) pos[start[cls[keep[i]]]++] = keep[i];
        for (int k = 0; !st && k < p->nclasses; k++) {
            const int64_t begin = k ? start[k - 1] : 0, cnt = start[k] - begin, want = (int64_t)llround((double)cnt * o->test_split);
            for (int64_t j = 0; j < cnt; j++)
                if (j < want) te[(*nte)++] = pos[begin + j];
                else tr[(*ntr)++] = pos[begin + j];
        }
        free(start), free(pos);
        if (!st && *nte < 1)
            st = dc_set_error(DC_ERR_INVALID, "%s: a stratified split of %g takes no row from any of the %d classes "
                                              "(too few rows per class): drop --stratify, or is the label a number (--regression)?",
                              path, o->test_split, p->nclasses);
    } else {
        const int64_t want = (int64_t)((double)nkeep * o->test_split);
        for (int64_t i = 0; i < nkeep; i++)
            if (i < want) te[(*nte)++] = keep[i];
            else tr[(*ntr)++] = keep[i];
    }
    free(keep);
    if (!st && (*ntr < 2 || (o->test_split > 0.0f && *nte < 1)))
        st = dc_set_error(DC_ERR_INVALID, "%s: a test split of %g leaves %lld training and %lld test rows", path, o->test_split,
                          (long long)*ntr, (long long)*nte);
    return st;
}

/* Column k's categories and fill value from every rank's training cells
 * (cells[m]: this rank's, not missing). */
static dc_status fit_column(const part_ctx *c, dc_tabular *p, tcol *col, char **cells, int64_t m) {
    int64_t total = m;
    dc_status st = sum_i64(c, &total, 1);
    if (!st && total == 0) st = dc_set_error(DC_ERR_FORMAT, "%s: column \"%s\" has no values in the training rows", c->path, col->name);
    if (st) return st;
    if (col->categorical) { /* each rank's categories counted, merged; the mode: most frequent, ties first in sorted order */
        qsort(cells, (size_t)m, sizeof *cells, tab_cmp_str);
        int64_t *count = malloc(sizeof(int64_t) * (size_t)(m ? m : 1)), k = 0, n = 0;
        if (!count) return dc_set_error(DC_ERR_NOMEM, "out of memory");
        for (int64_t i = 0; i < m; i++)
            if (k && !strcmp(cells[k - 1], cells[i])) count[k - 1]++;
            else cells[k] = cells[i], count[k++] = 1;
        char *buf = NULL;
        counted *all = NULL;
        st = merge_counted(c, cells, count, k, &buf, &all, &n, "gather a column's categories");
        if (!st && !(col->cats = calloc((size_t)(n ? n : 1), sizeof(char *)))) st = dc_set_error(DC_ERR_NOMEM, "out of memory");
        int64_t best = 0;
        for (int64_t i = 0; !st && i < n; i++) {
            if (all[i].count > all[best].count) best = i;
            if (!(col->cats[col->ncats++] = strdup(all[i].s))) st = dc_set_error(DC_ERR_NOMEM, "out of memory");
        }
        if (!st) col->impute_cat = (int)best;
        p->width += col->ncats;
        free(all), free(buf), free(count);
        return st;
    }
    double *v = malloc(sizeof(double) * (size_t)(m ? m : 1)), s = 0;
    if (!v) return dc_set_error(DC_ERR_NOMEM, "out of memory");
    for (int64_t i = 0; i < m; i++) dc_csv_number(cells[i], &v[i]), s += v[i];
    if (p->missing == DC_MISSING_MEDIAN || p->missing == DC_MISSING_MOST_FREQUENT) { /* from all the values, as dc_csv_load */
        double *all = NULL;
        int64_t n = 0;
        st = gather_doubles(c, v, m, &all, &n);
        if (!st) {
            qsort(all, (size_t)n, sizeof *all, tab_cmp_dbl);
            if (p->missing == DC_MISSING_MEDIAN) col->impute = n % 2 ? all[n / 2] : 0.5 * (all[n / 2 - 1] + all[n / 2]);
            else {
                int64_t best = 0, bestn = 0;
                for (int64_t i = 0, j; i < n; i = j) {
                    for (j = i; j < n && all[j] == all[i]; j++) {}
                    if (j - i > bestn) bestn = j - i, best = i;
                }
                col->impute = all[best];
            }
        }
        free(all);
    } else { /* the mean (also the fallback at prediction time) */
        if (c->r->sum(&s, 1, c->r->user)) st = cannot(c, "add up a column");
        col->impute = s / (double)total;
    }
    free(v);
    p->width++;
    return st;
}

/* Scaling and PCA from every rank's encoded training rows X (n here, ntr in
 * all), as fit_numeric in tabular.c computes them with one process's rows. */
static dc_status fit_numeric(const part_ctx *c, dc_tabular *p, float *X, int64_t n, int64_t ntr) {
    const int d = p->width;
    p->offset = calloc((size_t)d, sizeof(double));
    p->scale = malloc(sizeof(double) * (size_t)d);
    double *st3 = calloc(3 * (size_t)d, sizeof(double)); /* sums, then the largest and the negated smallest */
    if (!p->offset || !p->scale || !st3) {
        free(st3);
        return dc_set_error(DC_ERR_NOMEM, "out of memory");
    }
    double *sum = st3, *mx = st3 + d, *nmn = st3 + 2 * d;
    for (int j = 0; j < d; j++) mx[j] = nmn[j] = -INFINITY;
    for (int64_t i = 0; i < n; i++)
        for (int j = 0; j < d; j++) {
            const double v = X[i * d + j];
            sum[j] += v, mx[j] = fmax(mx[j], v), nmn[j] = fmax(nmn[j], -v);
        }
    dc_status st = c->r->sum(sum, d, c->r->user) || c->r->max(mx, 2 * (int64_t)d, c->r->user) ? cannot(c, "add up the columns") : DC_OK;
    double *var = st ? NULL : calloc((size_t)d, sizeof(double));
    if (!st && !var) st = dc_set_error(DC_ERR_NOMEM, "out of memory");
    for (int64_t i = 0; !st && i < n; i++)
        for (int j = 0; j < d; j++) {
            const double dv = (double)X[i * d + j] - sum[j] / (double)ntr;
            var[j] += dv * dv;
        }
    if (!st && c->r->sum(var, d, c->r->user)) st = cannot(c, "add up the columns' deviations");
    for (int j = 0; !st && j < d; j++) tab_set_scaling(p, j, sum[j] / (double)ntr, sqrt(var[j] / (double)ntr), -nmn[j], mx[j]);
    free(var), free(st3);
    if (st) return st;
    for (int64_t i = 0; i < n; i++)
        for (int j = 0; j < d; j++) X[i * d + j] = (float)(((double)X[i * d + j] - p->offset[j]) / p->scale[j]);
    if (!p->pca) return DC_OK;
    if (p->pca < 0 || p->pca > d) return dc_set_error(DC_ERR_INVALID, "pca: %d components requested, the data has %d features", p->pca, d);
    if (ntr < 2) return dc_set_error(DC_ERR_INVALID, "pca: needs at least 2 training rows");
    if (d > DC_PCA_MAX_WIDTH)
        return dc_set_error(DC_ERR_INVALID, "pca: %d encoded columns (one-hot categories count one each); PCA here is limited to %d", d,
                            DC_PCA_MAX_WIDTH);
    enum { BLOCK = 512 };
    double *cov = calloc((size_t)d * (size_t)d, sizeof(double)), *blk = malloc(sizeof(double) * BLOCK * (size_t)d);
    p->pca_mean = calloc((size_t)d, sizeof(double));
    p->pca_comp = malloc(sizeof(double) * (size_t)p->pca * (size_t)d);
    p->explained = malloc(sizeof(double) * (size_t)p->pca);
    if (!cov || !blk || !p->pca_mean || !p->pca_comp || !p->explained) st = dc_set_error(DC_ERR_NOMEM, "out of memory");
    for (int64_t i = 0; !st && i < n; i++)
        for (int j = 0; j < d; j++) p->pca_mean[j] += X[i * d + j];
    if (!st && c->r->sum(p->pca_mean, d, c->r->user)) st = cannot(c, "add up the columns");
    for (int j = 0; !st && j < d; j++) p->pca_mean[j] /= (double)ntr;
    for (int64_t i0 = 0; !st && i0 < n; i0 += BLOCK) { /* this rank's part of the covariance (upper triangle) */
        const int rows = (int)(n - i0 < BLOCK ? n - i0 : BLOCK);
        for (int r = 0; r < rows; r++)
            for (int j = 0; j < d; j++) blk[(size_t)r * d + j] = X[(i0 + r) * d + j] - p->pca_mean[j];
        cblas_dsyrk(CblasColMajor, CblasUpper, CblasNoTrans, d, rows, 1.0, blk, d, 1.0, cov, d);
    }
    if (!st && c->r->sum(cov, (int64_t)d * d, c->r->user)) st = cannot(c, "add up the covariance");
    for (int a = 0; !st && a < d; a++)
        for (int b = 0; b <= a; b++) cov[(size_t)a * d + b] /= (double)(ntr - 1);
    if (!st) st = tab_pca_from_cov(p, cov, d);
    free(cov), free(blk);
    return st;
}

/* Rows of d (n of them, each with its place in the split's order in
 * place[]) as bytes: place, features, label. */
static char *pack_rows(const dc_dataset *d, const int64_t *place, int64_t n, int64_t rowbytes) {
    char *b = malloc((size_t)(n > 0 ? n * rowbytes : 1));
    const int64_t F = d->x.size;
    for (int64_t i = 0; b && i < n; i++) {
        char *w = b + i * rowbytes;
        memcpy(w, &place[i], sizeof(int64_t));
        memcpy(w + sizeof(int64_t), (const float *)d->x.data + i * F, sizeof(float) * (size_t)F);
        memcpy(w + sizeof(int64_t) + sizeof(float) * (size_t)F, (const char *)d->y.data + i * 4, 4);
    }
    return b;
}

/* Packed rows into d at their places less `first`. */
static void unpack_rows(dc_dataset *d, const char *b, int64_t n, int64_t rowbytes, int64_t first) {
    const int64_t F = d->x.size;
    for (int64_t i = 0; i < n; i++) {
        const char *r = b + i * rowbytes;
        int64_t at;
        memcpy(&at, r, sizeof at);
        at -= first;
        if (at < 0 || at >= d->n) continue; /* (cannot happen: every rank computes the same places) */
        memcpy((float *)d->x.data + at * F, r + sizeof(int64_t), sizeof(float) * (size_t)F);
        memcpy((char *)d->y.data + at * 4, r + sizeof(int64_t) + sizeof(float) * (size_t)F, 4);
    }
}

/* This rank's training rows (local rows rows[n], their places place[n],
 * ascending) traded so that each rank holds its run of places: into *out
 * (rows [*first, *first + held) of ntr). */
static dc_status trade_training(const part_ctx *c, const dc_tabular *p, const dc_csv *t, const int *fcols, int lab, const int64_t *rows,
                                const int64_t *place, int64_t n, int64_t ntr, dc_dataset **out, int64_t *first, int64_t *imputed) {
    const int W = c->r->world, me = c->r->rank;
    dc_dataset *mine = tab_new_dataset(p, n ? n : 1);
    const int64_t rowbytes = (int64_t)sizeof(int64_t) + 4 * (dc_tabular_num_features(p) + 1);
    int64_t *cnt = calloc(6 * (size_t)W, sizeof(int64_t)), *all = NULL; /* scount, sdispl, rcount, rdispl, then each rank's scount */
    dc_status st = mine && cnt ? DC_OK : dc_set_error(DC_ERR_NOMEM, "out of memory");
    if (!st && n) st = tab_fill(p, t, fcols, lab, rows, n, mine, imputed);
    char *send = st ? NULL : pack_rows(mine, place, n, rowbytes), *recv = NULL, *gbuf = NULL;
    if (!st && !send) st = dc_set_error(DC_ERR_NOMEM, "out of memory");
    for (int64_t i = 0, d = 0; !st && i < n; i++) { /* rows to each rank (places ascending: owners too) */
        while (place[i] >= ntr * (d + 1) / W) d++;
        cnt[d] += rowbytes;
    }
    for (int d = 1; !st && d < W; d++) cnt[W + d] = cnt[W + d - 1] + cnt[d - 1];
    int64_t *lens = st ? NULL : malloc(sizeof(int64_t) * (size_t)W);
    if (!st && !lens) st = dc_set_error(DC_ERR_NOMEM, "out of memory");
    if (!st) st = gather(c, cnt, sizeof(int64_t) * (size_t)W, &gbuf, lens, "share how many rows each sends");
    all = (int64_t *)gbuf;
    *first = ntr * me / W;
    const int64_t held = ntr * (me + 1) / W - *first;
    for (int s = 0; !st && s < W; s++) {
        cnt[2 * W + s] = all[(int64_t)s * W + me];
        cnt[3 * W + s] = s ? cnt[3 * W + s - 1] + cnt[2 * W + s - 1] : 0;
    }
    if (!st && cnt[3 * W + W - 1] + cnt[2 * W + W - 1] != held * rowbytes)
        st = dc_set_error(DC_ERR_INVALID, "%s: rank %d would receive %lld bytes of rows for %lld rows", c->path, me,
                          (long long)(cnt[3 * W + W - 1] + cnt[2 * W + W - 1]), (long long)held);
    if (!st && !(recv = malloc((size_t)(held > 0 ? held * rowbytes : 1)))) st = dc_set_error(DC_ERR_NOMEM, "out of memory");
    if (!st && c->r->trade(send, cnt, cnt + W, recv, cnt + 2 * W, cnt + 3 * W, c->r->user)) st = cannot(c, "trade their training rows");
    if (!st && !(*out = tab_new_dataset(p, held))) st = dc_set_error(DC_ERR_NOMEM, "out of memory");
    if (!st) unpack_rows(*out, recv, held, rowbytes, *first);
    free(lens), free(gbuf), free(recv), free(send), free(cnt);
    dc_dataset_free(mine);
    return st;
}

/* This rank's test rows gathered with every rank's: *out holds all nte. */
static dc_status gather_test(const part_ctx *c, const dc_tabular *p, const dc_csv *t, const int *fcols, int lab, const int64_t *rows,
                             const int64_t *place, int64_t n, int64_t nte, dc_dataset **out, int64_t *imputed) {
    const int64_t rowbytes = (int64_t)sizeof(int64_t) + 4 * (dc_tabular_num_features(p) + 1);
    dc_dataset *mine = tab_new_dataset(p, n ? n : 1);
    int64_t *lens = malloc(sizeof(int64_t) * (size_t)c->r->world);
    dc_status st = mine && lens ? DC_OK : dc_set_error(DC_ERR_NOMEM, "out of memory");
    if (!st && n) st = tab_fill(p, t, fcols, lab, rows, n, mine, imputed);
    char *send = st ? NULL : pack_rows(mine, place, n, rowbytes), *all = NULL;
    if (!st && !send) st = dc_set_error(DC_ERR_NOMEM, "out of memory");
    if (!st) st = gather(c, send, n * rowbytes, &all, lens, "gather the test rows");
    int64_t got = 0;
    for (int r = 0; !st && r < c->r->world; r++) got += lens[r] / rowbytes;
    if (!st && got != nte) st = dc_set_error(DC_ERR_INVALID, "%s: %lld test rows gathered, %lld expected", c->path, (long long)got, (long long)nte);
    if (!st && !(*out = tab_new_dataset(p, nte))) st = dc_set_error(DC_ERR_NOMEM, "out of memory");
    if (!st) unpack_rows(*out, all, nte, rowbytes, 0);
    free(all), free(send), free(lens);
    dc_dataset_free(mine);
    return st;
}

/* The parts' starts, found by rank 0 and shared: cuts[W + 1], lines[W + 1]. */
static dc_status part_starts(const part_ctx *c, const dc_csv_options *o, int64_t *cuts, int64_t *lines) {
    const int W = c->r->world;
    int64_t *mine = calloc(2 * (size_t)(W + 1), sizeof(int64_t)), *lens = malloc(sizeof(int64_t) * (size_t)W);
    char *all = NULL;
    dc_status st = mine && lens ? DC_OK : dc_set_error(DC_ERR_NOMEM, "out of memory");
    if (!st && c->r->rank == 0)
        st = dc_csv_cuts(c->path, o->delimiter ? o->delimiter : ',', !o->no_header, o->skip_rows, W, mine, mine + W + 1);
    if (!st) st = gather(c, mine, c->r->rank == 0 ? 2 * (W + 1) * (int64_t)sizeof(int64_t) : 0, &all, lens, "share where their parts start");
    if (!st && lens[0] != 2 * (W + 1) * (int64_t)sizeof(int64_t)) st = cannot(c, "share where their parts start");
    if (!st) memcpy(cuts, all, sizeof(int64_t) * (size_t)(W + 1)), memcpy(lines, all + sizeof(int64_t) * (size_t)(W + 1), sizeof(int64_t) * (size_t)(W + 1));
    for (int k = 0; !st && k < W; k++)
        if (cuts[k] >= cuts[k + 1])
            st = dc_set_error(DC_ERR_INVALID, "%s: --shard-data: part %d of %d holds no record (the file's records are too few or too long "
                                              "for %d ranks); run without --shard-data",
                              c->path, k + 1, W, W);
    free(all), free(lens), free(mine);
    return st;
}

dc_status dc_csv_load_part(const char *path, const dc_csv_options *o, const dc_ranks *r, dc_tabular **pipe, dc_dataset **train,
                           int64_t *first, int64_t *total, dc_dataset **test, FILE *report) {
    *pipe = NULL, *train = NULL, *first = *total = 0;
    if (test) *test = NULL;
    const part_ctx c = {r, path};
    const int W = r->world, me = r->rank;
    if (o->folds > 1) return dc_set_error(DC_ERR_INVALID, "%s: cross-validation folds are not read in parts", path);
    int64_t *cuts = malloc(sizeof(int64_t) * 2 * (size_t)(W + 1)), *lines = cuts ? cuts + W + 1 : NULL;
    if (!cuts) return dc_set_error(DC_ERR_NOMEM, "out of memory");
    dc_status st = part_starts(&c, o, cuts, lines);
    dc_csv *t = st ? NULL : dc_csv_read_range(path, o->delimiter ? o->delimiter : ',', !o->no_header, o->skip_rows, cuts[0], cuts[me], cuts[me + 1], lines[me]);
    if (!st && !t) st = DC_ERR_FORMAT;
    dc_tabular *p = st ? NULL : calloc(1, sizeof *p);
    if (!st && !p) st = dc_set_error(DC_ERR_NOMEM, "out of memory");
    int *fcols = NULL, nf = 0, lab = -1;
    int64_t *keep = NULL, *tr = NULL, *te = NULL, *trl = NULL, *trp = NULL, *tel = NULL, *tep = NULL;
    int64_t nkeep = 0, ntr = 0, nte = 0, mtr = 0, mte = 0, koff = 0;
    int64_t counts[4] = {0, 0, 0, 0}; /* all rows, dropped, kept, imputed */
    int32_t *cls = NULL;
    float *X = NULL;
    char **cells = NULL;
    int64_t width[2] = {t ? t->ncols : 0, t ? -t->ncols : 0};
    if (!st) { /* every part must have the same columns */
        double v[2] = {(double)width[0], (double)width[1]};
        if (r->max(v, 2, r->user)) st = cannot(&c, "compare their columns");
        else if ((int64_t)v[0] != -(int64_t)v[1])
            st = dc_set_error(DC_ERR_FORMAT, "%s: rank %d's part has %d fields per record, another's %lld", path, me, t->ncols, (long long)v[0]);
    }
    if (!st && (lab = dc_csv_column(t, o->label ? o->label : "-1")) < 0)
        st = dc_set_error(DC_ERR_INVALID, "%s: no label column \"%s\" (the header has %d columns: \"%s\", ...)", path, o->label, t->ncols, t->names[0]);
    if (!st) st = tab_pick_columns(t, o, lab, &fcols, &nf);
    if (!st) st = tab_setup(p, t, o, lab, fcols, nf);
    if (!st) st = column_types(&c, p, t, fcols, nf);
    /* rows kept here (the label present, and every feature under --missing drop) */
    if (!st && !(keep = malloc(sizeof(int64_t) * (size_t)t->nrows))) st = dc_set_error(DC_ERR_NOMEM, "out of memory");
    for (int64_t i = 0; !st && i < t->nrows; i++) {
        char **row = t->cells + i * t->ncols;
        int miss = dc_csv_missing(row[lab]);
        for (int k = 0; k < nf && !miss && o->missing == DC_MISSING_DROP; k++) miss = dc_csv_missing(row[fcols[k]]);
        double v;
        if (miss) counts[1]++;
        else if (o->regression && !dc_csv_number(row[lab], &v))
            st = dc_set_error(DC_ERR_FORMAT, "%s:%lld: label column \"%s\": \"%s\" is not a number (a regression needs numbers)", path,
                              (long long)t->line[i], t->names[lab], row[lab]);
        else keep[counts[2]++] = i;
    }
    int64_t *kall = st ? NULL : malloc(sizeof(int64_t) * (size_t)W);
    if (!st && !kall) st = dc_set_error(DC_ERR_NOMEM, "out of memory");
    if (!st) st = gather_i64(&c, counts[2], kall);
    for (int k = 0; !st && k < W; k++) koff += k < me ? kall[k] : 0, nkeep += kall[k];
    const int64_t nmine = counts[2];
    counts[0] = t ? t->nrows : 0;
    if (!st) st = sum_i64(&c, counts, 2);
    if (!st && nkeep < 2)
        st = dc_set_error(DC_ERR_FORMAT, "%s: %lld usable rows after dropping %lld with missing values", path, (long long)nkeep, (long long)counts[1]);
    if (!st && !o->regression) st = fit_classes(&c, p, t, keep, nmine, lab);
    /* the split, by the kept rows' places (stratified: every place's class, gathered) */
    if (!st && o->test_split > 0.0f && o->stratify && !o->regression) {
        int32_t *mine = malloc(sizeof(int32_t) * (size_t)(nmine ? nmine : 1));
        int64_t *lens = malloc(sizeof(int64_t) * (size_t)W);
        char *buf = NULL;
        if (!mine || !lens) st = dc_set_error(DC_ERR_NOMEM, "out of memory");
        for (int64_t i = 0; !st && i < nmine; i++) mine[i] = tab_class_index(p, t->cells[keep[i] * t->ncols + lab]);
        if (!st) st = gather(&c, mine, nmine * (int64_t)sizeof(int32_t), &buf, lens, "gather their rows' classes");
        cls = (int32_t *)buf;
        free(mine), free(lens);
    }
    if (!st && (!(tr = malloc(sizeof(int64_t) * (size_t)nkeep)) || !(te = malloc(sizeof(int64_t) * (size_t)nkeep))))
        st = dc_set_error(DC_ERR_NOMEM, "out of memory");
    if (!st) st = split(p, o, cls, nkeep, tr, &ntr, te, &nte, path);
    /* this rank's training and test rows, in the split's order, with their places in it */
    if (!st && (!(trl = malloc(sizeof(int64_t) * 2 * (size_t)(nmine + 1))) || !(tel = malloc(sizeof(int64_t) * 2 * (size_t)(nmine + 1)))))
        st = dc_set_error(DC_ERR_NOMEM, "out of memory");
    if (!st) trp = trl + nmine + 1, tep = tel + nmine + 1;
    for (int64_t i = 0; !st && i < ntr; i++)
        if (tr[i] >= koff && tr[i] < koff + nmine) trl[mtr] = keep[tr[i] - koff], trp[mtr++] = i;
    for (int64_t i = 0; !st && i < nte; i++)
        if (te[i] >= koff && te[i] < koff + nmine) tel[mte] = keep[te[i] - koff], tep[mte++] = i;
    /* each column's categories and fill value, from every rank's training cells */
    if (!st && !(cells = malloc(sizeof(char *) * (size_t)(mtr > nf ? mtr : nf) + sizeof(char *)))) st = dc_set_error(DC_ERR_NOMEM, "out of memory");
    for (int k = 0; !st && k < nf; k++) {
        int64_t m = 0;
        for (int64_t i = 0; i < mtr; i++) {
            char *cell = t->cells[trl[i] * t->ncols + fcols[k]];
            if (!dc_csv_missing(cell)) cells[m++] = cell;
        }
        st = fit_column(&c, p, &p->cols[k], cells, m);
    }
    /* scaling and PCA from every rank's encoded training rows */
    if (!st && !(X = malloc(sizeof(float) * (size_t)(mtr ? mtr : 1) * (size_t)p->width))) st = dc_set_error(DC_ERR_NOMEM, "out of memory");
    for (int64_t i = 0; !st && i < mtr; i++) {
        for (int k = 0; k < nf; k++) cells[k] = t->cells[trl[i] * t->ncols + fcols[k]];
        tab_encode_row(p, cells, X + i * p->width, NULL);
    }
    if (!st) st = fit_numeric(&c, p, X, mtr, ntr);
    free(X);
    X = NULL;
    /* the rows: training traded, test gathered */
    if (!st) st = trade_training(&c, p, t, fcols, lab, trl, trp, mtr, ntr, train, first, &counts[3]);
    if (!st && test && nte) st = gather_test(&c, p, t, fcols, lab, tel, tep, mte, nte, test, &counts[3]);
    if (!st) st = sum_i64(&c, &counts[3], 1);
    if (!st) *total = ntr;
    if (!st && report) tab_load_report(report, p, counts[0], path, nf, o, counts[1], counts[3], ntr, nte);
    free(cells), free(trl), free(tel), free(tr), free(te), free(cls), free(kall), free(keep), free(fcols), free(cuts);
    dc_csv_free(t);
    return tab_finish(st, p, pipe, train, test);
}
