/* tabular.c — the CSV preprocessing pipeline: column roles and types,
 * missing values, one-hot encoding, scaling and PCA, fitted on the training
 * split only and kept (as text) in the model file.
 *
 * A row becomes features in three steps, in this order:
 *   encode  numeric columns as their value (missing -> imputed), categorical
 *           columns one-hot over the training categories (unknown -> zeros)
 *   scale   x' = (x - offset) / scale per encoded feature (identity if off)
 *   PCA     z = C (x' - mean), C the top principal directions of training x' */
#include "tabular.h"
#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

int tab_cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }
int tab_cmp_dbl(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

void dc_tabular_free(dc_tabular *p) {
    if (!p) return;
    for (int i = 0; i < p->ncols; i++) {
        free(p->cols[i].name);
        for (int k = 0; k < p->cols[i].ncats; k++) free(p->cols[i].cats[k]);
        free(p->cols[i].cats);
    }
    free(p->cols);
    for (int i = 0; i < p->nclasses; i++) free(p->classes[i]);
    free(p->classes);
    dc_strmap_free(&p->class_map);
    free(p->class_values);
    free(p->features_text);
    free(p->label);
    free(p->offset);
    free(p->scale);
    free(p->pca_mean);
    free(p->pca_comp);
    free(p->explained);
    free(p);
}

int dc_tabular_num_features(const dc_tabular *p) { return p->pca ? p->pca : p->width; }

const char *dc_tabular_feature_name(const dc_tabular *p, int k, char *buf, size_t n) {
    if (p->pca) {
        snprintf(buf, n, "pc_%d", k + 1);
        return buf;
    }
    for (int c = 0, at = 0; c < p->ncols; c++) {
        const tcol *col = &p->cols[c];
        const int w = col->categorical ? col->ncats : 1;
        if (k < at + w) {
            if (col->categorical) snprintf(buf, n, "%s=%s", col->name, col->cats[k - at]);
            else snprintf(buf, n, "%s", col->name);
            return buf;
        }
        at += w;
    }
    snprintf(buf, n, "feature_%d", k);
    return buf;
}
int dc_tabular_is_regression(const dc_tabular *p) { return p->regression; }
int dc_tabular_num_classes(const dc_tabular *p) { return p->nclasses; }
const char *dc_tabular_class_name(const dc_tabular *p, int i) { return i >= 0 && i < p->nclasses ? p->classes[i] : "?"; }
const char *dc_tabular_label_name(const dc_tabular *p) { return p->label; }

/* Numbers sort by value, equal values by their text ("1" before "1.0"). */
static int cmp_num_str(const void *a, const void *b) {
    const char *x = *(char *const *)a, *y = *(char *const *)b;
    double u = 0, v = 0;
    dc_csv_number(x, &u), dc_csv_number(y, &v);
    return u < v ? -1 : u > v ? 1 : strcmp(x, y);
}

/* Sorted unique strings of a list (in place); returns the count. Numeric
 * lists are sorted and made unique by value: "1" and "1.0" are one class,
 * named by the first text in order ("1"). */
int tab_unique_sorted(char **v, int64_t n, int numeric) {
    qsort(v, (size_t)n, sizeof *v, numeric ? cmp_num_str : tab_cmp_str);
    int64_t m = 0;
    double last = 0;
    for (int64_t i = 0; i < n; i++) {
        double x = 0;
        if (numeric) dc_csv_number(v[i], &x);
        if (!m || (numeric ? x != last : strcmp(v[i], v[m - 1]) != 0)) v[m++] = v[i];
        last = x;
    }
    return (int)m;
}

int tab_find_str(char *const *v, int n, const char *s) {
    int lo = 0, hi = n - 1;
    while (lo <= hi) { /* v is sorted by strcmp */
        int mid = (lo + hi) / 2, c = strcmp(v[mid], s);
        if (!c) return mid;
        if (c < 0) lo = mid + 1;
        else hi = mid - 1;
    }
    return -1;
}

int tab_class_index(const dc_tabular *p, const char *s) {
    if (p->class_values) { /* by value: "1.0" is class "1" */
        double x;
        if (!dc_csv_number(s, &x)) return -1;
        int lo = 0, hi = p->nclasses - 1;
        while (lo <= hi) {
            int mid = (lo + hi) / 2;
            if (p->class_values[mid] == x) return mid;
            if (p->class_values[mid] < x) lo = mid + 1;
            else hi = mid - 1;
        }
        return -1;
    }
    return dc_strmap_find(&p->class_map, s);
}

/* The lookup of class names: values when all are numbers (they must then
 * be strictly increasing), else a hash. Classes must be distinct. */
dc_status tab_index_classes(dc_tabular *p) {
    int numeric = p->nclasses > 0;
    double v;
    for (int i = 0; i < p->nclasses && numeric; i++) numeric = dc_csv_number(p->classes[i], &v);
    if (numeric) {
        if (!(p->class_values = malloc(sizeof(double) * (size_t)p->nclasses)))
            return dc_set_error(DC_ERR_NOMEM, "out of memory");
        for (int i = 0; i < p->nclasses; i++) {
            dc_csv_number(p->classes[i], &p->class_values[i]);
            if (i && !(p->class_values[i] > p->class_values[i - 1]))
                return dc_set_error(DC_ERR_FORMAT, "classes \"%s\" and \"%s\" are out of order or the same number",
                                    p->classes[i - 1], p->classes[i]);
        }
        return DC_OK;
    }
    int dup[2];
    dc_status st = dc_strmap_build(&p->class_map, p->classes, p->nclasses, dup);
    if (st == DC_ERR_INVALID) return dc_set_error(DC_ERR_FORMAT, "class \"%s\" appears twice", p->classes[dup[0]]);
    return st;
}

/* Encode one row (cells by tabular column) into x[width]. */
void tab_encode_row(const dc_tabular *p, char *const *cells, float *x, int64_t *imputed) {
    int k = 0;
    for (int c = 0; c < p->ncols; c++) {
        const tcol *col = &p->cols[c];
        const char *cell = cells[c];
        int miss = dc_csv_missing(cell);
        if (!col->categorical) {
            double v;
            if (miss || !dc_csv_number(cell, &v)) {
                v = col->impute;
                if (imputed) (*imputed)++;
            }
            x[k++] = (float)v;
        } else {
            int idx = miss ? col->impute_cat : tab_find_str(col->cats, col->ncats, cell);
            if (miss && imputed) (*imputed)++;
            for (int j = 0; j < col->ncats; j++) x[k + j] = j == idx ? 1.0f : 0.0f;
            k += col->ncats;
        }
    }
}

/* Scale then project x[width] into out[num_features]. */
void tab_finish_row(const dc_tabular *p, float *x, float *out) {
    for (int j = 0; j < p->width; j++) x[j] = (float)(((double)x[j] - p->offset[j]) / p->scale[j]);
    if (!p->pca) {
        memcpy(out, x, sizeof(float) * (size_t)p->width);
        return;
    }
    for (int k = 0; k < p->pca; k++) {
        double s = 0.0;
        for (int j = 0; j < p->width; j++) s += p->pca_comp[(int64_t)k * p->width + j] * ((double)x[j] - p->pca_mean[j]);
        out[k] = (float)s;
    }
}

/* LAPACK's symmetric eigensolver (MRRR), as OpenBLAS ships it; Fortran
 * calling convention: everything by address, string lengths at the end. */
extern void dsyevr_(const char *jobz, const char *range, const char *uplo, const int *n, double *a, const int *lda,
                    const double *vl, const double *vu, const int *il, const int *iu, const double *abstol, int *m,
                    double *w, double *z, const int *ldz, int *isuppz, double *work, const int *lwork, int *iwork,
                    const int *liwork, int *info, size_t, size_t, size_t);

/* The k largest eigenvalues of the symmetric d x d matrix a (destroyed), in
 * descending order in w[k], their eigenvectors in v (k rows of d). */
dc_status tab_top_eigen(double *a, int d, int k, double *w, double *v) {
    int il = d - k + 1, iu = d, m = 0, info = 0, lwork = -1, liwork = -1, iw;
    double vl = 0, vu = 0, abstol = 0, wq;
    double *ws = malloc(sizeof(double) * (size_t)d), *z = malloc(sizeof(double) * (size_t)d * (size_t)k);
    int *isuppz = malloc(sizeof(int) * 2 * (size_t)k);
    if (!ws || !z || !isuppz) goto nomem;
    dsyevr_("V", "I", "U", &d, a, &d, &vl, &vu, &il, &iu, &abstol, &m, ws, z, &d, isuppz, &wq, &lwork, &iw, &liwork,
            &info, 1, 1, 1); /* workspace query */
    lwork = (int)wq, liwork = iw;
    double *work = malloc(sizeof(double) * (size_t)lwork);
    int *iwork = malloc(sizeof(int) * (size_t)liwork);
    if (!work || !iwork) {
        free(work);
        free(iwork);
        goto nomem;
    }
    dsyevr_("V", "I", "U", &d, a, &d, &vl, &vu, &il, &iu, &abstol, &m, ws, z, &d, isuppz, work, &lwork, iwork, &liwork,
            &info, 1, 1, 1);
    free(work);
    free(iwork);
    if (info != 0 || m != k) {
        free(ws), free(z), free(isuppz);
        return dc_set_error(DC_ERR_INVALID, "pca: the eigensolver failed (LAPACK dsyevr info %d)", info);
    }
    for (int j = 0; j < k; j++) { /* ascending -> descending; column j of z is vector j */
        w[j] = ws[k - 1 - j];
        memcpy(v + (size_t)j * d, z + (size_t)(k - 1 - j) * d, sizeof(double) * (size_t)d);
    }
    free(ws), free(z), free(isuppz);
    return DC_OK;
nomem:
    free(ws), free(z), free(isuppz);
    return dc_set_error(DC_ERR_NOMEM, "pca: out of memory");
}

void tab_set_scaling(dc_tabular *p, int j, double mean, double sd, double mn, double mx) {
    p->offset[j] = 0.0, p->scale[j] = 1.0;
    if (p->scaling == DC_SCALE_STANDARD) {
        p->offset[j] = mean;
        p->scale[j] = sd > 0 ? sd : 1.0;
    } else if (p->scaling == DC_SCALE_MINMAX) {
        p->offset[j] = mn;
        p->scale[j] = mx > mn ? mx - mn : 1.0;
    }
}

/* Fit scaling and PCA on encoded training rows X (n x width). */
static dc_status fit_numeric(dc_tabular *p, float *X, int64_t n) {
    int d = p->width;
    p->offset = calloc((size_t)d, sizeof(double));
    p->scale = malloc(sizeof(double) * (size_t)d);
    if (!p->offset || !p->scale) return dc_set_error(DC_ERR_NOMEM, "out of memory");
    for (int j = 0; j < d; j++) {
        double mean = 0, mn = INFINITY, mx = -INFINITY, var = 0;
        for (int64_t i = 0; i < n; i++) {
            double v = X[i * d + j];
            mean += v;
            mn = fmin(mn, v);
            mx = fmax(mx, v);
        }
        mean /= (double)n;
        for (int64_t i = 0; i < n; i++) var += ((double)X[i * d + j] - mean) * ((double)X[i * d + j] - mean);
        tab_set_scaling(p, j, mean, sqrt(var / (double)n), mn, mx); /* population std, as sklearn's StandardScaler */
    }
    for (int64_t i = 0; i < n; i++)
        for (int j = 0; j < d; j++) X[i * d + j] = (float)(((double)X[i * d + j] - p->offset[j]) / p->scale[j]);
    if (!p->pca) return DC_OK;
    if (p->pca < 0 || p->pca > d)
        return dc_set_error(DC_ERR_INVALID, "pca: %d components requested, the data has %d features", p->pca, d);
    if (n < 2) return dc_set_error(DC_ERR_INVALID, "pca: needs at least 2 training rows");
    if (d > DC_PCA_MAX_WIDTH)
        return dc_set_error(DC_ERR_INVALID,
                            "pca: %d encoded columns (one-hot categories count one each); PCA here is limited to %d "
                            "(its cost grows with the cube of the width): drop or bucket the widest categorical columns",
                            d, DC_PCA_MAX_WIDTH);
    enum { BLOCK = 512 };
    double *cov = calloc((size_t)d * (size_t)d, sizeof(double)), *blk = malloc(sizeof(double) * BLOCK * (size_t)d);
    p->pca_mean = calloc((size_t)d, sizeof(double));
    p->pca_comp = malloc(sizeof(double) * (size_t)p->pca * (size_t)d);
    p->explained = malloc(sizeof(double) * (size_t)p->pca);
    dc_status st = DC_OK;
    if (!cov || !blk || !p->pca_mean || !p->pca_comp || !p->explained) {
        st = dc_set_error(DC_ERR_NOMEM, "out of memory");
        goto out;
    }
    for (int64_t i = 0; i < n; i++)
        for (int j = 0; j < d; j++) p->pca_mean[j] += X[i * d + j];
    for (int j = 0; j < d; j++) p->pca_mean[j] /= (double)n;
    /* covariance (upper triangle), a block of centered rows at a time */
    for (int64_t i0 = 0; i0 < n; i0 += BLOCK) {
        int rows = (int)(n - i0 < BLOCK ? n - i0 : BLOCK);
        for (int r = 0; r < rows; r++)
            for (int j = 0; j < d; j++) blk[(size_t)r * d + j] = X[(i0 + r) * d + j] - p->pca_mean[j];
        cblas_dsyrk(CblasColMajor, CblasUpper, CblasNoTrans, d, rows, 1.0, blk, d, 1.0, cov, d);
    }
    for (int a = 0; a < d; a++)
        for (int b = 0; b <= a; b++) cov[(size_t)a * d + b] /= (double)(n - 1); /* column a, rows b <= a */
    st = tab_pca_from_cov(p, cov, d);
out:
    free(cov);
    free(blk);
    return st;
}

dc_status tab_pca_from_cov(dc_tabular *p, double *cov, int d) {
    double total = 0, *w = malloc(sizeof(double) * (size_t)p->pca);
    if (!w) return dc_set_error(DC_ERR_NOMEM, "out of memory");
    for (int a = 0; a < d; a++) total += cov[(size_t)a * d + a];
    dc_status st = tab_top_eigen(cov, d, p->pca, w, p->pca_comp);
    for (int k = 0; !st && k < p->pca; k++) {
        p->explained[k] = total > 0 ? fmax(w[k], 0) / total : 0;
        double *c = p->pca_comp + (int64_t)k * d;
        int big = 0; /* sign: the largest |entry| positive, so the result is unique */
        for (int j = 0; j < d; j++)
            if (fabs(c[j]) > fabs(c[big])) big = j;
        if (c[big] < 0)
            for (int j = 0; j < d; j++) c[j] = -c[j];
    }
    free(w);
    return st;
}

/* n rows of features; targets: one regression value (F32) or one class
 * (I32) per row (zeros until filled, and for prediction without labels). */
dc_dataset *tab_new_dataset(const dc_tabular *p, int64_t n) {
    int64_t w = dc_tabular_num_features(p), one = 1;
    dc_dataset *d = dc_dataset_new(n, DC_F32, 1, &w, p->regression ? DC_F32 : DC_I32, p->regression ? 1 : 0, &one);
    if (d) d->num_classes = p->regression ? 0 : p->nclasses;
    return d;
}

/* Fill dataset rows from table rows rows[0..n). lab = label column or -1. */
dc_status tab_fill(const dc_tabular *p, const dc_csv *t, const int *colmap, int lab, const int64_t *rows, int64_t n,
                      dc_dataset *d, int64_t *imputed) {
    char **cells = malloc(sizeof(char *) * (size_t)(p->ncols ? p->ncols : 1));
    float *x = malloc(sizeof(float) * (size_t)(p->width ? p->width : 1));
    if (!cells || !x) {
        free(cells);
        free(x);
        return dc_set_error(DC_ERR_NOMEM, "out of memory");
    }
    dc_status st = DC_OK;
    for (int64_t i = 0; i < n && !st; i++) {
        char **row = t->cells + rows[i] * t->ncols;
        for (int c = 0; c < p->ncols && !st; c++) {
            double v;
            cells[c] = row[colmap[c]];
            if (!p->cols[c].categorical && !dc_csv_missing(cells[c]) && !dc_csv_number(cells[c], &v))
                st = dc_set_error(DC_ERR_FORMAT, "%s:%lld: column \"%s\": \"%s\" is not a number", t->path,
                                  (long long)t->line[rows[i]], p->cols[c].name, cells[c]);
        }
        if (st) break;
        tab_encode_row(p, cells, x, imputed);
        tab_finish_row(p, x, (float *)d->x.data + i * d->x.size);
        if (lab < 0) continue;
        const char *y = row[lab];
        if (dc_csv_missing(y)) st = dc_set_error(DC_ERR_FORMAT, "%s:%lld: the label \"%s\" is missing", t->path, (long long)t->line[rows[i]], t->names[lab]);
        else if (p->regression) {
            double v;
            if (!dc_csv_number(y, &v))
                st = dc_set_error(DC_ERR_FORMAT, "%s:%lld: label column \"%s\": \"%s\" is not a number", t->path,
                                  (long long)t->line[rows[i]], t->names[lab], y);
            ((float *)d->y.data)[i] = (float)v;
        } else {
            int k = tab_class_index(p, y);
            if (k < 0) st = dc_set_error(DC_ERR_FORMAT, "%s:%lld: class \"%s\" was not seen in training", t->path, (long long)t->line[rows[i]], y);
            ((int32_t *)d->y.data)[i] = k;
        }
    }
    free(cells);
    free(x);
    return st;
}

/* Resolve feature columns of t: the pipeline's by name, or from options. */
dc_status tab_pick_columns(const dc_csv *t, const dc_csv_options *o, int lab, int **cols, int *ncols) {
    int *c = malloc(sizeof(int) * (size_t)t->ncols);
    if (!c) return dc_set_error(DC_ERR_NOMEM, "out of memory");
    int n = 0;
    if (o->features && *o->features) {
        char *buf = strdup(o->features), *save = NULL;
        char *used = calloc((size_t)t->ncols, 1);
        dc_status st = buf && used ? DC_OK : dc_set_error(DC_ERR_NOMEM, "out of memory");
        for (char *tok = st ? NULL : strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
            int k = dc_csv_column(t, tok);
            if (k < 0) st = dc_set_error(DC_ERR_INVALID, "%s: no feature column \"%s\" (columns: %s, ...)", t->path, tok, t->names[0]);
            else if (k == lab)
                st = dc_set_error(DC_ERR_INVALID, "%s: column \"%s\" cannot be both a feature and the label", t->path, tok);
            else if (used[k])
                st = dc_set_error(DC_ERR_INVALID, "--features: column \"%s\" is listed twice", t->names[k]);
            else c[n++] = k, used[k] = 1;
            if (st) break;
        }
        free(buf);
        free(used);
        if (st) {
            free(c);
            return st;
        }
    } else {
        for (int k = 0; k < t->ncols; k++)
            if (k != lab) c[n++] = k;
    }
    if (o->drop && *o->drop) { /* --drop id,name: columns that are not features (an identifier, a leak) */
        char *buf = strdup(o->drop), *save = NULL;
        dc_status st = buf ? DC_OK : dc_set_error(DC_ERR_NOMEM, "out of memory");
        for (char *tok = st ? NULL : strtok_r(buf, ",", &save); tok && !st; tok = strtok_r(NULL, ",", &save)) {
            int k = dc_csv_column(t, tok), at = -1;
            for (int i = 0; i < n && k >= 0; i++) at = c[i] == k ? i : at;
            if (k < 0) st = dc_set_error(DC_ERR_INVALID, "%s: --drop: no column \"%s\"", t->path, tok);
            else if (k == lab) st = dc_set_error(DC_ERR_INVALID, "%s: --drop: \"%s\" is the label column", t->path, tok);
            else if (at >= 0) memmove(c + at, c + at + 1, sizeof(int) * (size_t)(--n - at));
        }
        free(buf);
        if (st) {
            free(c);
            return st;
        }
    }
    if (n == 0) {
        free(c);
        return dc_set_error(DC_ERR_INVALID, "%s: no feature columns left besides the label", t->path);
    }
    *cols = c;
    *ncols = n;
    return DC_OK;
}

/* Each feature column's type: categorical when most present cells are not
 * numbers (a mostly numeric column with a stray word is an error). */
static dc_status column_types(dc_tabular *p, const dc_csv *t, const int *fcols, int nf, const char *path) {
    for (int c = 0; c < nf; c++) {
        tcol *col = &p->cols[c];
        int64_t nums = 0, words = 0, first_word = -1;
        for (int64_t r = 0; r < t->nrows; r++) {
            const char *cell = t->cells[r * t->ncols + fcols[c]];
            double v;
            if (dc_csv_missing(cell)) continue;
            if (dc_csv_number(cell, &v)) nums++;
            else if (words++ == 0) first_word = r;
        }
        if (words && nums > words) {
            return dc_set_error(DC_ERR_FORMAT, "%s:%lld: column \"%s\": \"%s\" is not a number (%lld of its values are numbers)",
                              path, (long long)t->line[first_word], col->name, t->cells[first_word * t->ncols + fcols[c]],
                              (long long)nums);
        }
        col->categorical = words > 0;
    }
    return DC_OK;
}

/* The classes: the kept rows' labels, sorted and unique (numerically when
 * all are numbers); at least two. */
static dc_status fit_classes(dc_tabular *p, const dc_csv *t, const int64_t *keep, int64_t nkeep, int lab, char **tmp, const char *path) {
    int numeric = 1;
    for (int64_t i = 0; i < nkeep; i++) {
        double v;
        tmp[i] = t->cells[keep[i] * t->ncols + lab];
        numeric = numeric && dc_csv_number(tmp[i], &v);
    }
    int k = tab_unique_sorted(tmp, nkeep, numeric);
    p->classes = calloc((size_t)(k > 0 ? k : 1), sizeof(char *));
    if (k < 0 || !p->classes) {
        return dc_set_error(DC_ERR_NOMEM, "out of memory");
    }
    for (int i = 0; i < k; i++)
        if (!(p->classes[p->nclasses++] = strdup(tmp[i]))) {
            return dc_set_error(DC_ERR_NOMEM, "out of memory");
        }
    if (k < 2) {
        return dc_set_error(DC_ERR_FORMAT, "%s: label column \"%s\" has a single class \"%s\"", path, p->label, p->classes[0]);
    }
    return tab_index_classes(p);
}

/* Fit each column on the training rows tr: its categories (one-hot width)
 * and the value that fills its missing cells; sets p->width. tmp: scratch
 * for ntr cells. */
static dc_status fit_columns(dc_tabular *p, const dc_csv *t, const int *fcols, int nf, const int64_t *tr, int64_t ntr, char **tmp,
                              dc_missing missing, const char *path) {
    p->width = 0;
    for (int c = 0; c < nf; c++) {
        tcol *col = &p->cols[c];
        int64_t m = 0;
        for (int64_t i = 0; i < ntr; i++) {
            const char *cell = t->cells[tr[i] * t->ncols + fcols[c]];
            if (!dc_csv_missing(cell)) tmp[m++] = (char *)cell;
        }
        if (m == 0) {
            return dc_set_error(DC_ERR_FORMAT, "%s: column \"%s\" has no values in the training rows", path, col->name);
        }
        if (col->categorical) {
            /* most frequent category (ties: first in sorted order) */
            qsort(tmp, (size_t)m, sizeof *tmp, tab_cmp_str);
            int64_t best = 0, bestn = 0;
            for (int64_t i = 0, j; i < m; i = j) {
                for (j = i; j < m && !strcmp(tmp[j], tmp[i]); j++) {}
                if (j - i > bestn) bestn = j - i, best = i;
            }
            char *mode = tmp[best];
            int k = tab_unique_sorted(tmp, m, 0);
            col->cats = calloc((size_t)k, sizeof(char *));
            if (!col->cats) {
                return dc_set_error(DC_ERR_NOMEM, "out of memory");
            }
            for (int i = 0; i < k; i++) col->cats[col->ncats++] = strdup(tmp[i]);
            col->impute_cat = tab_find_str(col->cats, col->ncats, mode);
            p->width += col->ncats;
        } else {
            double *v = malloc(sizeof(double) * (size_t)m), s = 0;
            if (!v) {
                return dc_set_error(DC_ERR_NOMEM, "out of memory");
            }
            for (int64_t i = 0; i < m; i++) dc_csv_number(tmp[i], &v[i]), s += v[i];
            qsort(v, (size_t)m, sizeof *v, tab_cmp_dbl);
            if (missing == DC_MISSING_MEDIAN) col->impute = m % 2 ? v[m / 2] : 0.5 * (v[m / 2 - 1] + v[m / 2]);
            else if (missing == DC_MISSING_MOST_FREQUENT) {
                int64_t best = 0, bestn = 0;
                for (int64_t i = 0, j; i < m; i = j) {
                    for (j = i; j < m && v[j] == v[i]; j++) {}
                    if (j - i > bestn) bestn = j - i, best = i;
                }
                col->impute = v[best];
            } else col->impute = s / (double)m; /* mean; also the fallback at prediction time */
            free(v);
            p->width++;
        }
    }
    return DC_OK;
}

/* What loading did, for the report stream. */
void tab_load_report(FILE *report, const dc_tabular *p, int64_t nrows, const char *path, int nf, const dc_csv_options *o, int64_t dropped,
                     int64_t imputed, int64_t ntr, int64_t nte) {
    int ncat = 0;
    for (int c = 0; c < nf; c++) ncat += p->cols[c].categorical;
    fprintf(report, "%s: %lld rows, %d feature columns (%d numeric, %d categorical) -> %d features", path,
            (long long)nrows, nf, nf - ncat, ncat, p->width);
    if (p->regression) fprintf(report, "; label \"%s\" (regression)\n", p->label);
    else fprintf(report, "; label \"%s\" with %d classes\n", p->label, p->nclasses);
    fprintf(report, "missing values: %lld rows dropped, %lld values imputed (%s)\n", (long long)dropped,
            (long long)imputed, o->missing == DC_MISSING_DROP ? "drop" : o->missing == DC_MISSING_MEAN ? "mean" :
            o->missing == DC_MISSING_MEDIAN ? "median" : "most frequent");
    fprintf(report, "split: %lld training rows, %lld test rows%s; scaling: %s\n", (long long)ntr, (long long)nte,
            o->stratify && !o->regression ? " (stratified)" : "",
            p->scaling == DC_SCALE_STANDARD ? "standard" : p->scaling == DC_SCALE_MINMAX ? "min-max" : "none");
    if (p->pca) {
        double cum = 0;
        fprintf(report, "PCA: %d components, explained variance", p->pca);
        for (int k = 0; k < p->pca; k++) fprintf(report, " %.3f", p->explained[k]), cum += p->explained[k];
        fprintf(report, " (total %.3f)\n", cum);
    }
}

dc_status tab_setup(dc_tabular *p, const dc_csv *t, const dc_csv_options *o, int lab, const int *fcols, int nf) {
    p->delimiter = o->delimiter ? o->delimiter : ',';
    p->no_header = o->no_header;
    p->skip_rows = o->skip_rows;
    p->regression = o->regression;
    p->missing = o->missing;
    p->scaling = o->scaling;
    p->pca = o->pca;
    p->split_known = 1;
    p->test_split = o->test_split;
    p->stratify = o->stratify && !o->regression;
    p->split_seed = o->seed ? o->seed : 42;
    p->folds = o->folds > 1 ? o->folds : 0;
    p->fold = o->folds > 1 ? o->fold : 0;
    p->label = strdup(t->names[lab]);
    p->cols = calloc((size_t)nf, sizeof *p->cols);
    if (!p->label || !p->cols) return dc_set_error(DC_ERR_NOMEM, "out of memory");
    p->ncols = nf;
    for (int c = 0; c < nf; c++) {
        tcol *col = &p->cols[c];
        col->impute_cat = -1;
        if (!(col->name = strdup(t->names[fcols[c]]))) return dc_set_error(DC_ERR_NOMEM, "out of memory");
    }
    return DC_OK;
}

dc_status dc_csv_load(const char *path, const dc_csv_options *o, dc_tabular **pipe, dc_dataset **train, dc_dataset **test,
                      FILE *report) {
    *pipe = NULL;
    *train = NULL;
    if (test) *test = NULL;
    char delim = o->delimiter ? o->delimiter : ',';
    dc_csv *t = dc_csv_read(path, delim, !o->no_header, o->skip_rows);
    if (!t) return DC_ERR_FORMAT;
    dc_status st = DC_OK;
    int *fcols = NULL, nf = 0;
    int64_t *keep = NULL, *tr = NULL, *te = NULL, ntr = 0, nte = 0, nkeep = 0, dropped = 0, imputed = 0;
    float *X = NULL;
    char **tmp = NULL;
    dc_tabular *p = calloc(1, sizeof *p);
    if (!p) {
        st = dc_set_error(DC_ERR_NOMEM, "out of memory");
        goto done;
    }
    int lab = dc_csv_column(t, o->label ? o->label : "-1");
    if (lab < 0) {
        st = dc_set_error(DC_ERR_INVALID, "%s: no label column \"%s\" (the header has %d columns: \"%s\", ...)", path,
                          o->label, t->ncols, t->names[0]);
        goto done;
    }
    if ((st = tab_pick_columns(t, o, lab, &fcols, &nf)) || (st = tab_setup(p, t, o, lab, fcols, nf))) goto done;
    keep = malloc(sizeof(int64_t) * (size_t)t->nrows);
    tmp = malloc(sizeof(char *) * (size_t)t->nrows);
    if (!keep || !tmp) {
        st = dc_set_error(DC_ERR_NOMEM, "out of memory");
        goto done;
    }
    if ((st = column_types(p, t, fcols, nf, path))) goto done;
    /* rows: a missing label always drops the row; missing features too
     * under DC_MISSING_DROP; regression labels must be numbers */
    for (int64_t r = 0; r < t->nrows; r++) {
        char **row = t->cells + r * t->ncols;
        int miss = dc_csv_missing(row[lab]);
        for (int c = 0; c < nf && !miss && o->missing == DC_MISSING_DROP; c++) miss = dc_csv_missing(row[fcols[c]]);
        if (miss) {
            dropped++;
            continue;
        }
        double v;
        if (o->regression && !dc_csv_number(row[lab], &v)) {
            st = dc_set_error(DC_ERR_FORMAT, "%s:%lld: label column \"%s\": \"%s\" is not a number (a regression needs numbers)",
                              path, (long long)t->line[r], t->names[lab], row[lab]);
            goto done;
        }
        keep[nkeep++] = r;
    }
    if (nkeep < 2) {
        st = dc_set_error(DC_ERR_FORMAT, "%s: %lld usable rows after dropping %lld with missing values", path, (long long)nkeep, (long long)dropped);
        goto done;
    }
    if (!o->regression && (st = fit_classes(p, t, keep, nkeep, lab, tmp, path))) goto done;
    /* split: seeded shuffle; stratified takes the same fraction of each class */
    tr = malloc(sizeof(int64_t) * (size_t)nkeep);
    te = malloc(sizeof(int64_t) * (size_t)nkeep);
    if (!tr || !te) {
        st = dc_set_error(DC_ERR_NOMEM, "out of memory");
        goto done;
    }
    dc_rng rng;
    dc_rng_seed(&rng, o->seed ? o->seed : 42);
    int kfold = o->folds > 1;
    if (kfold && (o->fold < 0 || o->fold >= o->folds)) {
        st = dc_set_error(DC_ERR_INVALID, "cross-validation: fold %d of %d", o->fold, o->folds);
        goto done;
    }
    if (o->test_split > 0.0f || kfold) dc_rng_shuffle(&rng, keep, nkeep);
    if ((o->test_split > 0.0f || kfold) && o->stratify && !o->regression) {
        /* class by class, in shuffled order: the same share of each class.
         * Each row's class is looked up once; the rows are then grouped by
         * class with a counting sort (linear in rows + classes). */
        int64_t *start = calloc((size_t)p->nclasses + 1, sizeof(int64_t)), *pos = malloc(sizeof(int64_t) * (size_t)nkeep);
        int *cls = malloc(sizeof(int) * (size_t)nkeep);
        if (!start || !pos || !cls) {
            free(start), free(pos), free(cls);
            st = dc_set_error(DC_ERR_NOMEM, "out of memory");
            goto done;
        }
        for (int64_t i = 0; i < nkeep; i++) start[(cls[i] = tab_class_index(p, t->cells[keep[i] * t->ncols + lab])) + 1]++;
        for (int k = 0; k < p->nclasses; k++) start[k + 1] += start[k];
        for (int64_t i = 0; i < nkeep; i++) pos[start[cls[i]]++] = keep[i]; /* start[k] is now the end of class k */
        for (int k = 0; k < p->nclasses; k++) {
            int64_t begin = k ? start[k - 1] : 0, cnt = start[k] - begin;
            int64_t want = (int64_t)llround((double)cnt * o->test_split);
            for (int64_t j = 0; j < cnt; j++) {
                int to_test = kfold ? j % o->folds == o->fold : j < want;
                if (to_test) te[nte++] = pos[begin + j];
                else tr[ntr++] = pos[begin + j];
            }
        }
        free(start), free(pos), free(cls);
        if (nte < 1) {
            st = dc_set_error(DC_ERR_INVALID, "%s: a stratified split of %g takes no row from any of the %d classes "
                              "(too few rows per class): drop --stratify, or is the label a number (--regression)?",
                              path, o->test_split, p->nclasses);
            goto done;
        }
    } else {
        int64_t want = (int64_t)((double)nkeep * o->test_split);
        for (int64_t i = 0; i < nkeep; i++) {
            if (kfold ? i % o->folds == o->fold : i < want) te[nte++] = keep[i];
            else tr[ntr++] = keep[i];
        }
    }
    if (ntr < 2 || ((o->test_split > 0.0f || kfold) && nte < 1)) {
        st = dc_set_error(DC_ERR_INVALID, "%s: a test split of %g leaves %lld training and %lld test rows", path,
                          o->test_split, (long long)ntr, (long long)nte);
        goto done;
    }
    if ((st = fit_columns(p, t, fcols, nf, tr, ntr, tmp, o->missing, path))) goto done;
    X = malloc(sizeof(float) * (size_t)ntr * (size_t)p->width);
    char **cells = malloc(sizeof(char *) * (size_t)nf);
    if (!X || !cells) {
        free(cells);
        st = dc_set_error(DC_ERR_NOMEM, "out of memory");
        goto done;
    }
    for (int64_t i = 0; i < ntr; i++) {
        for (int c = 0; c < nf; c++) cells[c] = t->cells[tr[i] * t->ncols + fcols[c]];
        tab_encode_row(p, cells, X + i * p->width, NULL);
    }
    free(cells);
    if ((st = fit_numeric(p, X, ntr))) goto done;
    *train = tab_new_dataset(p, ntr);
    if (test && nte) *test = tab_new_dataset(p, nte);
    if (!*train || (test && nte && !*test)) {
        st = dc_set_error(DC_ERR_NOMEM, "out of memory");
        goto done;
    }
    if ((st = tab_fill(p, t, fcols, lab, tr, ntr, *train, &imputed))) goto done;
    if (test && nte && (st = tab_fill(p, t, fcols, lab, te, nte, *test, &imputed))) goto done;
    if (report) tab_load_report(report, p, t->nrows, path, nf, o, dropped, imputed, ntr, nte);
done:
    free(fcols);
    free(keep);
    free(tr);
    free(te);
    free(X);
    free(tmp);
    dc_csv_free(t);
    return tab_finish(st, p, pipe, train, test);
}

dc_status tab_finish(dc_status st, dc_tabular *p, dc_tabular **pipe, dc_dataset **train, dc_dataset **test) {
    if (st) {
        dc_dataset_free(*train);
        *train = NULL;
        if (test) {
            dc_dataset_free(*test);
            *test = NULL;
        }
        dc_tabular_free(p);
        return st;
    }
    *pipe = p;
    return DC_OK;
}

void dc_tabular_set_reading(dc_tabular *p, char delimiter, int no_header, int skip_rows) {
    if (delimiter) p->delimiter = delimiter;
    if (no_header >= 0) p->no_header = no_header;
    if (skip_rows >= 0) p->skip_rows = skip_rows;
}

/* Say, per categorical column, how many of t's cells are categories the
 * training rows never had (their one-hot columns all stay 0). */
static void report_unknown(const dc_tabular *p, const dc_csv *t, const int *map, const char *path, FILE *report) {
    for (int c = 0; c < p->ncols; c++) {
        if (!p->cols[c].categorical) continue;
        int64_t n = 0, first = -1;
        for (int64_t r = 0; r < t->nrows; r++) {
            const char *v = t->cells[r * t->ncols + map[c]];
            if (!dc_csv_missing(v) && tab_find_str(p->cols[c].cats, p->cols[c].ncats, v) < 0) n++, first = first < 0 ? r : first;
        }
        if (n)
            fprintf(report, "%s: warning: %lld value%s of column \"%s\" %s not a category the model was trained on (first: \"%.40s\", "
                            "line %lld): encoded as none of them\n",
                    path, (long long)n, n > 1 ? "s" : "", p->cols[c].name, n > 1 ? "are" : "is", t->cells[first * t->ncols + map[c]],
                    (long long)t->line[first]);
    }
}

dc_dataset *dc_tabular_transform(const dc_tabular *p, const char *path, int need_label) {
    return dc_tabular_transform_report(p, path, need_label, NULL);
}

dc_dataset *dc_tabular_transform_report(const dc_tabular *p, const char *path, int need_label, FILE *report) {
    dc_csv *t = dc_csv_read(path, p->delimiter, !p->no_header, p->skip_rows);
    if (!t) return NULL;
    int *map = malloc(sizeof(int) * (size_t)p->ncols);
    int64_t *rows = malloc(sizeof(int64_t) * (size_t)t->nrows);
    dc_dataset *d = NULL;
    if (!map || !rows) {
        dc_set_error(DC_ERR_NOMEM, "out of memory");
        goto done;
    }
    for (int c = 0; c < p->ncols; c++) {
        map[c] = dc_csv_column(t, p->cols[c].name);
        if (map[c] < 0) {
            dc_set_error(DC_ERR_FORMAT, "%s: no column \"%s\", which the model was trained on", path, p->cols[c].name);
            goto done;
        }
    }
    int lab = dc_csv_column(t, p->label);
    if (need_label && lab < 0) {
        dc_set_error(DC_ERR_FORMAT, "%s: no label column \"%s\"", path, p->label);
        goto done;
    }
    for (int64_t r = 0; r < t->nrows; r++) rows[r] = r;
    if (report) report_unknown(p, t, map, path, report);
    if (!(d = tab_new_dataset(p, t->nrows))) {
        dc_set_error(DC_ERR_NOMEM, "out of memory");
        goto done;
    }
    if (tab_fill(p, t, map, need_label ? lab : -1, rows, t->nrows, d, NULL)) {
        dc_dataset_free(d);
        d = NULL;
    }
done:
    free(map);
    free(rows);
    dc_csv_free(t);
    return d;
}

dc_status dc_tabular_row(const dc_tabular *p, const char *const *names, const char *const *cells, int n, float *out, int *unknown) {
    const char **row = malloc(sizeof(char *) * (size_t)(p->ncols ? p->ncols : 1));
    float *x = malloc(sizeof(float) * (size_t)(p->width ? p->width : 1));
    if (!row || !x) {
        free(row), free(x);
        return dc_set_error(DC_ERR_NOMEM, "out of memory");
    }
    if (unknown) *unknown = 0;
    for (int c = 0; c < p->ncols; c++) {
        row[c] = NULL;
        for (int k = 0; k < n && !row[c]; k++)
            if (names[k] && !strcmp(names[k], p->cols[c].name)) row[c] = cells[k] ? cells[k] : "";
        if (!row[c]) {
            free(row), free(x);
            return dc_set_error(DC_ERR_INVALID, "row: no cell for column \"%s\", which the model was trained on", p->cols[c].name);
        }
        if (unknown && p->cols[c].categorical && !dc_csv_missing(row[c]) && tab_find_str(p->cols[c].cats, p->cols[c].ncats, row[c]) < 0)
            (*unknown)++; /* a category the training rows never had: all its one-hot columns stay 0 */
    }
    tab_encode_row(p, (char *const *)row, x, NULL); /* the file path's encoding, scaling and projection */
    tab_finish_row(p, x, out);
    free(row);
    free(x);
    return DC_OK;
}

/* ---- text form ------------------------------------------------------------ */

/* names may hold any byte: percent-escape the separators, and bytes that
 * are not UTF-8 (the model file's metadata must be valid UTF-8) */
static void put_esc(dc_strbuf *b, const char *s) {
    size_t n = strlen(s);
    for (size_t i = 0; i < n;) {
        char e[4];
        size_t k = dc_utf8_len(s + i, n - i);
        if (!k || s[i] == '%' || s[i] == ',' || s[i] == '\n' || s[i] == '|' || s[i] == '=' || s[i] == '\r') {
            snprintf(e, sizeof e, "%%%02X", (unsigned char)s[i]);
            dc_sb_puts(b, e);
            i++;
        } else {
            dc_sb_put(b, s + i, k);
            i += k;
        }
    }
}
static void put_num(dc_strbuf *b, double v) {
    char e[40];
    snprintf(e, sizeof e, "%a", v);
    dc_sb_puts(b, e);
}
static void put_nums(dc_strbuf *b, const char *key, const double *v, int64_t n) {
    dc_sb_puts(b, key);
    dc_sb_puts(b, "=");
    for (int64_t i = 0; i < n; i++) {
        if (i) dc_sb_puts(b, ",");
        put_num(b, v[i]);
    }
    dc_sb_puts(b, "\n");
}

dc_status dc_tabular_options(dc_tabular *p, dc_csv_options *o, int *split_known) {
    memset(o, 0, sizeof *o);
    *split_known = p->split_known;
    if (!p->features_text) {
        dc_strbuf b = {0};
        for (int c = 0; c < p->ncols; c++) {
            if (c) dc_sb_puts(&b, ",");
            dc_sb_puts(&b, p->cols[c].name);
        }
        if (b.oom) return dc_set_error(DC_ERR_NOMEM, "out of memory");
        p->features_text = b.s ? b.s : strdup("");
    }
    o->delimiter = p->delimiter;
    o->no_header = p->no_header;
    o->skip_rows = p->skip_rows;
    o->label = p->label;
    o->features = p->features_text;
    o->regression = p->regression;
    o->missing = p->missing;
    o->scaling = p->scaling;
    o->pca = p->pca;
    o->test_split = (float)p->test_split;
    o->stratify = p->stratify;
    o->seed = p->split_seed;
    o->folds = p->folds;
    o->fold = p->fold;
    return DC_OK;
}

char *dc_tabular_serialize(const dc_tabular *p) {
    dc_strbuf b = {0};
    char line[128];
    snprintf(line, sizeof line, "delimiter=%d\nno_header=%d\nskip_rows=%d\nregression=%d\nmissing=%d\nscaling=%d\npca=%d\nwidth=%d\n",
             (unsigned char)p->delimiter, p->no_header, p->skip_rows, p->regression, (int)p->missing, (int)p->scaling, p->pca, p->width);
    dc_sb_puts(&b, line);
    if (p->split_known) {
        snprintf(line, sizeof line, "split=%a\nstratify=%d\nsplit_seed=%llu\nfolds=%d\nfold=%d\n", p->test_split,
                 p->stratify, (unsigned long long)p->split_seed, p->folds, p->fold);
        dc_sb_puts(&b, line);
    }
    dc_sb_puts(&b, "label=");
    put_esc(&b, p->label);
    dc_sb_puts(&b, "\nclasses=");
    for (int i = 0; i < p->nclasses; i++) {
        if (i) dc_sb_puts(&b, ",");
        put_esc(&b, p->classes[i]);
    }
    dc_sb_puts(&b, "\n");
    for (int c = 0; c < p->ncols; c++) {
        const tcol *col = &p->cols[c];
        dc_sb_puts(&b, "column=");
        put_esc(&b, col->name);
        dc_sb_puts(&b, col->categorical ? "|categorical|" : "|numeric|");
        if (col->categorical) {
            snprintf(line, sizeof line, "%d|", col->impute_cat);
            dc_sb_puts(&b, line);
            for (int k = 0; k < col->ncats; k++) {
                if (k) dc_sb_puts(&b, ",");
                put_esc(&b, col->cats[k]);
            }
        } else put_num(&b, col->impute);
        dc_sb_puts(&b, "\n");
    }
    put_nums(&b, "offset", p->offset, p->width);
    put_nums(&b, "scale", p->scale, p->width);
    if (p->pca) {
        put_nums(&b, "pca_mean", p->pca_mean, p->width);
        put_nums(&b, "pca_components", p->pca_comp, (int64_t)p->pca * p->width);
        put_nums(&b, "explained", p->explained, p->pca);
    }
    if (b.oom) {
        free(b.s);
        return NULL;
    }
    return b.s;
}

static char *unescape(const char *s, size_t n) {
    char *o = malloc(n + 1), *w = o;
    if (!o) return NULL;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '%' && i + 2 < n) {
            const int v = dc_hex_byte(s + i + 1);
            if (v > 0) {
                *w++ = (char)v;
                i += 2;
                continue;
            }
        }
        *w++ = s[i];
    }
    *w = 0;
    return o;
}

/* Split s[0..n) at sep into malloc'ed strings, unescaped when unesc (a
 * list inside a list is split raw first, then each part unescaped once:
 * a category "green, dark" is stored as green%2C dark). */
static char **split_list(const char *s, size_t n, char sep, int *count, int unesc) {
    int k = n ? 1 : 0;
    for (size_t i = 0; i < n; i++) k += s[i] == sep;
    char **v = calloc((size_t)(k ? k : 1), sizeof(char *));
    if (!v) return NULL;
    size_t start = 0;
    int m = 0;
    for (size_t i = 0; i <= n && k; i++)
        if (i == n || s[i] == sep) {
            v[m++] = unesc ? unescape(s + start, i - start) : strndup(s + start, i - start);
            start = i + 1;
        }
    *count = m;
    return v;
}

static int parse_nums(const char *s, double *out, int64_t n) {
    for (int64_t i = 0; i < n; i++) {
        char *end;
        out[i] = strtod(s, &end);
        if (end == s) return 0;
        s = end;
        if (i + 1 < n) {
            if (*s != ',') return 0;
            s++;
        }
    }
    return *s == 0 || *s == '\n';
}

dc_tabular *dc_tabular_parse(const char *text, const char *where) {
    dc_tabular *p = calloc(1, sizeof *p);
    if (!p) return NULL;
    int ncols_cap = 0, lineno = 0, d = 0, ok = 1;
    unsigned seen = 0;
    const char *s = text;
    while (*s && ok) {
        lineno++;
        const char *nl = strchr(s, '\n');
        size_t len = nl ? (size_t)(nl - s) : strlen(s);
        const char *eq = memchr(s, '=', len);
        char key[32] = "";
        if (eq && (size_t)(eq - s) < sizeof key) memcpy(key, s, (size_t)(eq - s)), key[eq - s] = 0;
        const char *v = eq ? eq + 1 : s + len;
        size_t vl = (size_t)(s + len - v);
        char *vs = strndup(v, vl);
        /* every key but column once: a second width, pca or label would
         * resize (or leak) what earlier lines sized */
        static const char *const once[] = {"delimiter", "no_header", "skip_rows", "regression", "missing", "scaling", "pca",
                                           "width", "label", "classes", "offset", "scale", "pca_mean", "pca_components", "explained",
                                           "split", "stratify", "split_seed", "folds", "fold"};
        for (unsigned k = 0; k < sizeof once / sizeof *once; k++)
            if (!strcmp(key, once[k])) {
                if (seen & (1u << k)) ok = 0;
                seen |= 1u << k;
            }
        if (!vs || !ok) ok = 0;
        else if (!strcmp(key, "delimiter")) d = atoi(vs), p->delimiter = (char)d;
        else if (!strcmp(key, "no_header")) p->no_header = atoi(vs);
        else if (!strcmp(key, "skip_rows")) p->skip_rows = atoi(vs);
        else if (!strcmp(key, "regression")) p->regression = atoi(vs);
        else if (!strcmp(key, "missing")) p->missing = (dc_missing)atoi(vs);
        else if (!strcmp(key, "scaling")) p->scaling = (dc_scaling)atoi(vs);
        else if (!strcmp(key, "pca")) p->pca = atoi(vs);
        else if (!strcmp(key, "width")) p->width = atoi(vs);
        else if (!strcmp(key, "split")) p->test_split = strtod(vs, NULL), p->split_known = 1;
        else if (!strcmp(key, "stratify")) p->stratify = atoi(vs);
        else if (!strcmp(key, "split_seed")) p->split_seed = strtoull(vs, NULL, 10);
        else if (!strcmp(key, "folds")) p->folds = atoi(vs);
        else if (!strcmp(key, "fold")) p->fold = atoi(vs);
        else if (!strcmp(key, "label")) ok = (p->label = unescape(vs, vl)) != NULL;
        else if (!strcmp(key, "classes")) ok = (p->classes = split_list(vs, vl, ',', &p->nclasses, 1)) != NULL || vl == 0;
        else if (!strcmp(key, "column")) {
            if (p->ncols == ncols_cap) {
                ncols_cap = ncols_cap ? 2 * ncols_cap : 16;
                tcol *nc = realloc(p->cols, sizeof *nc * (size_t)ncols_cap);
                if (!nc) ok = 0;
                else p->cols = nc;
            }
            if (ok) {
                tcol *col = &p->cols[p->ncols++];
                memset(col, 0, sizeof *col);
                col->impute_cat = -1;
                int np = 0;
                char **parts = split_list(vs, vl, '|', &np, 0);
                ok = parts && np >= 3;
                if (ok) {
                    ok = (col->name = unescape(parts[0], strlen(parts[0]))) != NULL;
                    col->categorical = !strcmp(parts[1], "categorical");
                    if (col->categorical) {
                        ok = np == 4;
                        col->impute_cat = atoi(parts[2]);
                        if (ok) col->cats = split_list(parts[3], strlen(parts[3]), ',', &col->ncats, 1);
                        ok = ok && col->cats && col->impute_cat < col->ncats;
                    } else {
                        col->impute = strtod(parts[2], NULL);
                    }
                }
                for (int i = 0; parts && i < np; i++) free(parts[i]);
                free(parts);
            }
        } else if (!strcmp(key, "offset") || !strcmp(key, "scale") || !strcmp(key, "pca_mean") ||
                   !strcmp(key, "pca_components") || !strcmp(key, "explained")) {
            int64_t n = !strcmp(key, "pca_components") ? (int64_t)p->pca * p->width : !strcmp(key, "explained") ? p->pca : p->width;
            double **dst = !strcmp(key, "offset") ? &p->offset : !strcmp(key, "scale") ? &p->scale :
                           !strcmp(key, "pca_mean") ? &p->pca_mean : !strcmp(key, "explained") ? &p->explained : &p->pca_comp;
            ok = n > 0 && n < (1 << 26) && !*dst && (*dst = malloc(sizeof(double) * (size_t)n)) && parse_nums(vs, *dst, n);
        }
        free(vs);
        s = nl ? nl + 1 : s + len;
    }
    int width = 0;
    for (int c = 0; ok && c < p->ncols; c++) width += p->cols[c].categorical ? p->cols[c].ncats : 1;
    ok = ok && p->label && p->ncols > 0 && width == p->width && p->offset && p->scale && p->pca >= 0 && p->pca <= p->width &&
         (!p->pca || (p->pca_mean && p->pca_comp && p->explained)) && (p->regression || p->nclasses >= 2);
    for (int j = 0; ok && j < p->width; j++) ok = p->scale[j] != 0.0;
    ok = ok && (int)p->missing >= DC_MISSING_DROP && (int)p->missing <= DC_MISSING_MOST_FREQUENT &&
         (int)p->scaling >= DC_SCALE_NONE && (int)p->scaling <= DC_SCALE_MINMAX && p->skip_rows >= 0;
    ok = ok && p->test_split >= 0 && p->test_split < 1 && p->folds >= 0 && p->fold >= 0 && (p->fold < p->folds || !p->folds);
    for (int c = 0; ok && c < p->ncols; c++) /* categories are looked up by bisection */
        for (int k = 1; ok && k < p->cols[c].ncats; k++) ok = strcmp(p->cols[c].cats[k - 1], p->cols[c].cats[k]) < 0;
    if (ok && !p->regression && tab_index_classes(p)) {
        dc_set_error(DC_ERR_FORMAT, "%s: the stored preprocessing pipeline is malformed: %s", where, dc_last_error());
        dc_tabular_free(p);
        return NULL;
    }
    if (!ok) {
        dc_set_error(DC_ERR_FORMAT, "%s: the stored preprocessing pipeline is malformed (near line %d)", where, lineno);
        dc_tabular_free(p);
        return NULL;
    }
    return p;
}
