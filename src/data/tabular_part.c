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
#include "parts.h"
#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

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
        dc_status st = part_sum_i64(c, nw, 2);
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
    dc_status st = part_sum_i64(c, &words, 1);
    const int numeric = words == 0;
    const int64_t k = st ? 0 : tab_unique_sorted(tmp, nkeep, numeric);
    int64_t *ones = st ? NULL : calloc((size_t)(k ? k : 1), sizeof(int64_t)), nall = 0;
    char *buf = NULL;
    counted *all = NULL;
    if (!st && !ones) st = dc_set_error(DC_ERR_NOMEM, "out of memory");
    if (!st) st = part_merge_counted(c, tmp, ones, k, &buf, &all, &nall, "gather their classes");
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
    dc_status st = part_sum_i64(c, &total, 1);
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
        st = part_merge_counted(c, cells, count, k, &buf, &all, &n, "gather a column's categories");
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
        st = part_gather_doubles(c, v, m, &all, &n);
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
        if (c->r->sum(&s, 1, c->r->user)) st = part_cannot(c, "add up a column");
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
    dc_status st = c->r->sum(sum, d, c->r->user) || c->r->max(mx, 2 * (int64_t)d, c->r->user) ? part_cannot(c, "add up the columns") : DC_OK;
    double *var = st ? NULL : calloc((size_t)d, sizeof(double));
    if (!st && !var) st = dc_set_error(DC_ERR_NOMEM, "out of memory");
    for (int64_t i = 0; !st && i < n; i++)
        for (int j = 0; j < d; j++) {
            const double dv = (double)X[i * d + j] - sum[j] / (double)ntr;
            var[j] += dv * dv;
        }
    if (!st && c->r->sum(var, d, c->r->user)) st = part_cannot(c, "add up the columns' deviations");
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
    if (!st && c->r->sum(p->pca_mean, d, c->r->user)) st = part_cannot(c, "add up the columns");
    for (int j = 0; !st && j < d; j++) p->pca_mean[j] /= (double)ntr;
    for (int64_t i0 = 0; !st && i0 < n; i0 += BLOCK) { /* this rank's part of the covariance (upper triangle) */
        const int rows = (int)(n - i0 < BLOCK ? n - i0 : BLOCK);
        for (int r = 0; r < rows; r++)
            for (int j = 0; j < d; j++) blk[(size_t)r * d + j] = X[(i0 + r) * d + j] - p->pca_mean[j];
        cblas_dsyrk(CblasColMajor, CblasUpper, CblasNoTrans, d, rows, 1.0, blk, d, 1.0, cov, d);
    }
    if (!st && c->r->sum(cov, (int64_t)d * d, c->r->user)) st = part_cannot(c, "add up the covariance");
    for (int a = 0; !st && a < d; a++)
        for (int b = 0; b <= a; b++) cov[(size_t)a * d + b] /= (double)(ntr - 1);
    if (!st) st = tab_pca_from_cov(p, cov, d);
    free(cov), free(blk);
    return st;
}

/* This rank's rows (local rows rows[n], their places place[n], ascending)
 * encoded, then traded (train: each rank holds its run of the total) or
 * gathered (whole on every rank). */
static dc_status share_rows(const part_ctx *c, const dc_tabular *p, const dc_csv *t, const int *fcols, int lab, const int64_t *rows,
                            const int64_t *place, int64_t n, int64_t total, int train, dc_dataset **out, int64_t *first, int64_t *imputed) {
    dc_dataset *mine = tab_new_dataset(p, n ? n : 1); /* (a rank may hold none) */
    dc_status st = mine ? DC_OK : dc_set_error(DC_ERR_NOMEM, "out of memory");
    if (!st && n) st = tab_fill(p, t, fcols, lab, rows, n, mine, imputed);
    if (!st) st = train ? part_trade_rows(c, mine, place, n, total, out, first) : part_gather_rows(c, mine, place, n, total, out);
    dc_dataset_free(mine);
    return st;
}

dc_status dc_csv_load_part(const char *path, const dc_csv_options *o, const dc_ranks *r, dc_tabular **pipe, dc_dataset **train,
                           int64_t *first, int64_t *total, dc_dataset **test, FILE *report) {
    *pipe = NULL, *train = NULL, *first = *total = 0;
    if (test) *test = NULL;
    const part_ctx c = {r, path};
    const int W = r->world, me = r->rank;
    if (o->folds > 1) return dc_set_error(DC_ERR_INVALID, "%s: cross-validation folds are not read in parts", path);
    dc_csv *t = part_read(&c, o);
    dc_status st = t ? DC_OK : DC_ERR_FORMAT;
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
        if (r->max(v, 2, r->user)) st = part_cannot(&c, "compare their columns");
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
    if (!st) st = part_gather_i64(&c, counts[2], kall);
    for (int k = 0; !st && k < W; k++) koff += k < me ? kall[k] : 0, nkeep += kall[k];
    const int64_t nmine = counts[2];
    counts[0] = t ? t->nrows : 0;
    if (!st) st = part_sum_i64(&c, counts, 2);
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
        if (!st) st = part_gather(&c, mine, nmine * (int64_t)sizeof(int32_t), &buf, lens, "gather their rows' classes");
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
    if (!st) st = share_rows(&c, p, t, fcols, lab, trl, trp, mtr, ntr, 1, train, first, &counts[3]);
    if (!st && test && nte) st = share_rows(&c, p, t, fcols, lab, tel, tep, mte, nte, 0, test, NULL, &counts[3]);
    if (!st) st = part_sum_i64(&c, &counts[3], 1);
    if (!st) *total = ntr;
    if (!st && report) tab_load_report(report, p, counts[0], path, nf, o, counts[1], counts[3], ntr, nte);
    free(cells), free(trl), free(tel), free(tr), free(te), free(cls), free(kall), free(keep), free(fcols);
    dc_csv_free(t);
    return tab_finish(st, p, pipe, train, test);
}
