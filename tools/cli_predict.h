/* cli_predict.h — the one form `deepc predict` prints, whatever the data:
 * a CSV of input, class, probability (and with --probabilities each
 * class's), or with --json one object whose predictions are the same
 * rows. Regression: input and the value. */
#ifndef DEEPC_CLI_PREDICT_H
#define DEEPC_CLI_PREDICT_H
#include "cli_data.h"
#include <deepc.h>
#include <stdio.h>

typedef struct {
    const cli_args *a;
    const dc_model *m;
    const dc_tabular *tab; /* a table's classes or label name, or NULL        */
    int64_t C;             /* output values per sample                         */
    int regression;
    int64_t count;         /* rows printed                                     */
    char **names;          /* the classes' names (cli_class_names), or NULL    */
} cli_pred;

/* Start: the CSV header (or the JSON object's opening). */
void cli_pred_begin(cli_pred *p, const cli_args *a, const dc_model *m, const dc_tabular *tab, int64_t C);
/* One sample: input names it (a file, a text) or is NULL (the row number
 * index, from 0); row holds its C outputs (probabilities: dc_predict). */
void cli_pred_row(cli_pred *p, const char *input, int64_t index, const float *row);
/* The end (the JSON object's closing); frees the names. */
void cli_pred_end(cli_pred *p);
/* Values, not classes (a layer's, an autoencoder's output): a CSV of
 * input, NAME_0 .. NAME_{width-1}, or with --json {"input", "values"} rows. */
void cli_print_values(const cli_args *a, const char *name, int64_t n, int64_t width, const float *v);
/* The class a row of C outputs predicts: argmax, or p >= 0.5 for one output. */
int64_t cli_predicted_class(const float *row, int64_t C);
#endif
