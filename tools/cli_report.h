/* cli_report.h — the evaluation report of `deepc eval` and `deepc cv`. */
#ifndef DC_CLI_REPORT_H
#define DC_CLI_REPORT_H
#include "cli_data.h"

/* All metrics of a model's outputs on d (n rows, width C). */
typedef struct {
    int regression;
    int loss_only;                /* no output is compared with labels (autoencoders) */
    int sequence;                 /* a class per time step: token accuracy, perplexity */
    double loss;
    dc_epoch_stats stats;         /* the loss and its named parts        */
    dc_class_metrics cls;         /* classification                      */
    dc_regression_metrics reg;    /* regression                          */
    double *fpr, *tpr;            /* binary: the ROC curve's points      */
    int64_t roc_points;
    float *probs;                 /* classification: n x width probabilities (for eval --plot) */
    int width;
} cli_metrics;

dc_status cli_compute_metrics(dc_model *m, const dc_dataset *d, cli_metrics *out);
void cli_metrics_free(cli_metrics *r);
/* Human-readable report (per-class table and confusion matrix). */
void cli_print_report(const cli_args *a, const dc_tabular *tab, const dc_model *m, const cli_metrics *r, FILE *f);
/* The JSON members (without braces) of a report. */
void cli_print_json_metrics(const cli_args *a, const dc_tabular *tab, const dc_model *m, const cli_metrics *r);
/* eval --plot FILE.svg: ROC curves and the confusion matrix (classification). */
dc_status cli_plot_eval(const cli_args *a, const dc_tabular *tab, const dc_model *m, const cli_metrics *r, const dc_dataset *d,
                        const char *path);
#endif
