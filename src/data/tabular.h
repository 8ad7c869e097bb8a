/* tabular.h — the CSV pipeline's insides, shared by tabular.c (one
 * process) and tabular_part.c (a file read in parts by ranks): internal to
 * src/data. */
#ifndef DC_TABULAR_H
#define DC_TABULAR_H
#include "csv.h"

typedef struct {
    char *name;
    int categorical;
    double impute;        /* numeric fill value (training mean/median/mode)  */
    char **cats;          /* categorical: training categories, sorted        */
    int ncats;
    int impute_cat;       /* categorical fill: index into cats (-1 = zeros)  */
} tcol;

struct dc_tabular {
    char delimiter;
    int no_header, skip_rows;
    char *label;
    int regression;
    char **classes;
    int nclasses;
    dc_strmap class_map;  /* class name -> index                             */
    double *class_values; /* all classes numbers: their values, ascending    */
    tcol *cols;
    int ncols;
    dc_missing missing;
    dc_scaling scaling;
    int width;            /* encoded features before PCA                     */
    double *offset, *scale;
    int pca;              /* components kept (0 = none)                      */
    double *pca_mean, *pca_comp, *explained;
    /* how the rows were split (a resumed run must split the same way);
     * split_known = 0 for files written before these were kept */
    int split_known, stratify, folds, fold;
    double test_split;
    uint64_t split_seed;
    char *features_text;  /* the feature columns, comma-joined (options)    */
};

int tab_cmp_str(const void *a, const void *b);
int tab_cmp_dbl(const void *a, const void *b);
/* Sorted unique strings of a list (in place); returns the count. Numeric
 * lists are sorted and made unique by value ("1" and "1.0" are one, named
 * by the first text in order). */
int tab_unique_sorted(char **v, int64_t n, int numeric);
int tab_find_str(char *const *v, int n, const char *s);
int tab_class_index(const dc_tabular *p, const char *s);
dc_status tab_index_classes(dc_tabular *p);
/* Encode one row (cells by tabular column) into x[width]; scale and
 * project x into out[num_features]. */
void tab_encode_row(const dc_tabular *p, char *const *cells, float *x, int64_t *imputed);
void tab_finish_row(const dc_tabular *p, float *x, float *out);
/* The k largest eigenvalues of the symmetric d x d matrix a (destroyed),
 * descending, in w, their eigenvectors in v (k rows of d). */
dc_status tab_top_eigen(double *a, int d, int k, double *w, double *v);
/* p's components and explained variance from the covariance cov (d x d,
 * upper triangle, destroyed): the top p->pca, each signed so that its
 * largest entry is positive. */
dc_status tab_pca_from_cov(dc_tabular *p, double *cov, int d);
/* Feature j's offset and scale from its training statistics, by p->scaling. */
void tab_set_scaling(dc_tabular *p, int j, double mean, double sd, double mn, double mx);
dc_dataset *tab_new_dataset(const dc_tabular *p, int64_t n);
/* Fill dataset rows from table rows rows[0..n). lab = label column or -1. */
dc_status tab_fill(const dc_tabular *p, const dc_csv *t, const int *colmap, int lab, const int64_t *rows, int64_t n, dc_dataset *d,
                   int64_t *imputed);
dc_status tab_pick_columns(const dc_csv *t, const dc_csv_options *o, int lab, int **cols, int *ncols);
/* The pipeline's settings from o, its columns named from t (types unset). */
dc_status tab_setup(dc_tabular *p, const dc_csv *t, const dc_csv_options *o, int lab, const int *fcols, int nf);
/* A load's end: on success *pipe = p; on failure p and the datasets freed
 * (and set to NULL). Returns st. */
dc_status tab_finish(dc_status st, dc_tabular *p, dc_tabular **pipe, dc_dataset **train, dc_dataset **test);
void tab_load_report(FILE *report, const dc_tabular *p, int64_t nrows, const char *path, int nf, const dc_csv_options *o, int64_t dropped,
                     int64_t imputed, int64_t ntr, int64_t nte);
#endif
