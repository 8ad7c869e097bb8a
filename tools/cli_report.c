/* cli_report.c — metrics report: accuracy, top-k, P/R/F1 per class and
 * averaged, confusion matrix with class names, ROC AUC, log loss; MSE, MAE
 * and R^2 for regression. */
#include "cli_report.h"
#include "cli_util.h"
#include "cli_mpi.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define EVAL_BATCH 64

/* Under mpirun, this rank's rows of d: whole batches (each the batch a
 * single process runs), copied into *part from row *r0 (NULL: a rank may
 * get no batch of a small data set, and still takes part in the sums). */
static dc_status rank_rows(const dc_dataset *d, dc_dataset **part, int64_t *r0) {
    int64_t r1;
    cli_mpi_rows(d->n, EVAL_BATCH, cli_mpi_rank(), r0, &r1);
    *part = NULL;
    if (r1 == *r0) return DC_OK;
    int64_t *idx = malloc(sizeof(int64_t) * (size_t)(r1 - *r0));
    if (idx)
        for (int64_t i = *r0; i < r1; i++) idx[i - *r0] = i;
    *part = idx ? dc_dataset_subset(d, idx, r1 - *r0) : NULL;
    free(idx);
    return *part ? DC_OK : dc_set_error_cli("out of memory");
}

/* The loss and accuracy of d, or under mpirun of this rank's rows `mine`
 * (may be NULL) added up over the ranks. */
static dc_status stats_of(dc_model *m, const dc_dataset *d, const dc_dataset *mine, dc_epoch_stats *e) {
    if (cli_mpi_world() <= 1) return dc_evaluate_stats(m, d, EVAL_BATCH, e);
    dc_status st;
    if (mine) {
        st = dc_evaluate_stats(m, mine, EVAL_BATCH, e);
    } else { /* no rows here: the loss's part names from one row, counted as none */
        int64_t zero = 0;
        dc_dataset *one = dc_dataset_subset(d, &zero, 1);
        st = one ? dc_evaluate_stats(m, one, EVAL_BATCH, e) : dc_set_error_cli("out of memory");
        e->samples = e->counted = 0;
        dc_dataset_free(one);
    }
    if (st) return st; /* (a failing rank takes the others down: cli_mpi_abort) */
    dc_callbacks cb = {0};
    cli_mpi_callbacks(&cb);
    return dc_epoch_stats_reduce(m, e, &cb);
}

/* The classification or regression metrics of d's outputs (this rank's
 * rows `mine` from row r0 under mpirun, gathered from every rank). */
static dc_status metrics_of_outputs(dc_model *m, const dc_dataset *d, const dc_dataset *mine, int64_t r0, int64_t C, cli_metrics *r) {
    dc_status st;
    if (!dc_array_f32(&d->y) && isnan(r->stats.accuracy)) { /* nothing to classify: the loss is the report */
        r->loss_only = 1;
        return DC_OK;
    }
    if (dc_dataset_has_targets(d) && d->y.dtype == DC_I32 && d->y.ndim > 0) { /* a class per time step: per-token accuracy and perplexity */
        r->sequence = 1;
        return DC_OK;
    }
    float *out = malloc(sizeof(float) * (size_t)(d->n * C));
    if (!out) return dc_set_error_cli("out of memory");
    if (cli_mpi_world() <= 1) st = dc_predict(m, d, d->n, EVAL_BATCH, out);
    else if (!(st = mine ? dc_predict(m, mine, mine->n, EVAL_BATCH, out + r0 * C) : DC_OK) && cli_mpi_allgather_rows(out, d->n, C, EVAL_BATCH))
        st = dc_set_error_cli("gathering the outputs over the ranks failed");
    if (st) {
        free(out);
        return st;
    }
    if (dc_array_f32(&d->y)) {
        r->regression = 1;
        r->reg = dc_regression_metrics_compute(out, d->y.data, d->n * d->y.size);
    } else {
        int classes = (int)C;
        if (C == 1) classes = 1; /* one sigmoid output: binary */
        st = dc_classification_metrics(out, d->y.data, d->n, classes, 5, &r->cls);
        if (!st && (C == 1 || C == 2)) { /* binary: keep the ROC curve for the JSON report */
            float *score = malloc(sizeof(float) * (size_t)d->n);
            if (score) {
                for (int64_t i = 0; i < d->n; i++) score[i] = C == 1 ? out[i] : out[2 * i + 1];
                dc_roc_curve(score, d->y.data, d->n, &r->fpr, &r->tpr, &r->roc_points);
                free(score);
            }
        }
        if (!st) r->probs = out, r->width = (int)C, out = NULL; /* kept for eval --plot */
    }
    free(out);
    return st;
}

dc_status cli_compute_metrics(dc_model *m, const dc_dataset *d, cli_metrics *r) {
    memset(r, 0, sizeof *r);
    int64_t oshape[DC_MAX_DIMS];
    int nd = dc_model_output_shape(m, oshape);
    int64_t C = 1;
    for (int i = 0; i < nd; i++) C *= oshape[i];
    dc_dataset *mine = NULL;
    int64_t r0 = 0;
    dc_status st = cli_mpi_world() > 1 ? rank_rows(d, &mine, &r0) : DC_OK;
    if (!st) st = stats_of(m, d, mine, &r->stats);
    r->loss = r->stats.loss;
    if (st) {
        dc_dataset_free(mine);
        return st;
    }
    st = metrics_of_outputs(m, d, mine, r0, C, r);
    dc_dataset_free(mine);
    return st;
}

void cli_metrics_free(cli_metrics *r) {
    dc_class_metrics_free(&r->cls);
    free(r->fpr);
    free(r->tpr);
    free(r->probs);
    r->fpr = r->tpr = NULL;
    r->probs = NULL;
}

dc_status cli_plot_eval(const cli_args *a, const dc_tabular *tab, const dc_model *m, const cli_metrics *r, const dc_dataset *d,
                        const char *path) {
    if (!r->probs) return dc_set_error_cli("--plot: the picture is of a classification (ROC curves, confusion matrix)");
    const int C = r->cls.num_classes;
    char **names = cli_class_names(a, tab, m, C);
    dc_status st = names ? dc_plot_eval_svg(r->probs, r->width, d->y.data, d->n, &r->cls, (const char *const *)names, path)
                         : dc_set_error_cli("out of memory");
    cli_free_class_names(names, C);
    return st;
}

void cli_print_report(const cli_args *a, const dc_tabular *tab, const dc_model *m, const cli_metrics *r, FILE *f) {
    if (r->sequence) {
        fprintf(f, "loss: %.4f - token accuracy: %.4f - perplexity: %.4f\n", r->loss, r->stats.accuracy, exp(r->loss));
        return;
    }
    if (r->loss_only) {
        fprintf(f, "loss: %.4f", r->loss);
        for (int i = 0; i < r->stats.nparts; i++) fprintf(f, " - %s: %.4f", r->stats.part_name[i], r->stats.part[i]);
        fprintf(f, "\n");
        return;
    }
    if (r->regression) {
        fprintf(f, "loss: %.4f - mse: %.4f - mae: %.4f - r2: %.4f\n", r->loss, r->reg.mse, r->reg.mae, r->reg.r2);
        return;
    }
    const dc_class_metrics *c = &r->cls;
    char **names = cli_class_names(a, tab, m, c->num_classes);
    if (!names) {
        fprintf(f, "(out of memory for the report)\n");
        return;
    }
    /* the name column fits the longest class name, each matrix column its own (7 to 40 characters) */
    int wn = 12, *wc = calloc((size_t)(c->num_classes > 0 ? c->num_classes : 1), sizeof *wc);
    for (int k = 0; k < c->num_classes; k++) {
        int l = (int)strlen(names[k]);
        wn = l > wn ? (l < 40 ? l : 40) : wn;
        if (wc) wc[k] = l < 7 ? 7 : l > 40 ? 40 : l;
    }
    fprintf(f, "%lld samples - loss: %.4f - accuracy: %.4f", (long long)c->n, r->loss, c->accuracy);
    if (c->num_classes > 2 && c->top_k < c->num_classes) fprintf(f, " - top-%d accuracy: %.4f", c->top_k, c->top_k_accuracy);
    fprintf(f, "\nROC AUC (%s): %.4f - log loss: %.4f\n\n", c->num_classes == 2 ? "binary" : "one-vs-rest, macro", c->auc, c->log_loss);
    fprintf(f, "%*s %10s %10s %10s %10s %10s\n", wn, "class", "precision", "recall", "f1-score", "auc", "support");
    for (int k = 0; k < c->num_classes; k++) {
        double auc = c->auc_per_class ? c->auc_per_class[k] : NAN;
        fprintf(f, "%*.*s %10.4f %10.4f %10.4f ", wn, wn, names[k], c->precision[k], c->recall[k], c->f1[k]);
        if (isfinite(auc)) fprintf(f, "%10.4f", auc);
        else fprintf(f, "%10s", "-");
        fprintf(f, " %10lld\n", (long long)c->support[k]);
    }
    fprintf(f, "\n%*s %10.4f %10.4f %10.4f %10s %10lld\n", wn, "macro avg", c->macro_precision, c->macro_recall, c->macro_f1, "", (long long)c->n);
    fprintf(f, "%*s %10.4f %10.4f %10.4f %10s %10lld\n", wn, "weighted avg", c->weighted_precision, c->weighted_recall,
            c->weighted_f1, "", (long long)c->n);
    fprintf(f, "%*s %10.4f %10.4f %10.4f %10s %10lld\n\n", wn, "micro avg", c->micro_precision, c->micro_recall, c->micro_f1, "", (long long)c->n);
    if (!c->confusion || !wc) {
        fprintf(f, "confusion matrix: left out for %d classes (more than %d)\n", c->num_classes, DC_METRICS_MAX_CLASSES);
    } else { /* full class names: each column as wide as its name */
        fprintf(f, "confusion matrix (rows: true class, columns: predicted)\n%*s", wn, "");
        for (int k = 0; k < c->num_classes; k++) fprintf(f, " %*.*s", wc[k], wc[k], names[k]);
        fprintf(f, "\n");
        for (int i = 0; i < c->num_classes; i++) {
            fprintf(f, "%*.*s", wn, wn, names[i]);
            for (int k = 0; k < c->num_classes; k++) fprintf(f, " %*lld", wc[k], (long long)c->confusion[(int64_t)i * c->num_classes + k]);
            fprintf(f, "\n");
        }
    }
    free(wc);
    cli_free_class_names(names, c->num_classes);
}

static void num(const char *key, double v, int comma) {
    printf("%s\"%s\":", comma ? "," : "", key);
    cli_json_number(stdout, v);
}

static void arr(const char *key, const double *v, int n) {
    printf(",\"%s\":[", key);
    for (int i = 0; i < n; i++) {
        if (i) printf(",");
        cli_json_number(stdout, v[i]);
    }
    printf("]");
}

void cli_print_json_metrics(const cli_args *a, const dc_tabular *tab, const dc_model *m, const cli_metrics *r) {
    num("test_loss", r->loss, 0);
    for (int i = 0; i < r->stats.nparts; i++) {
        char key[48];
        snprintf(key, sizeof key, "test_%s", r->stats.part_name[i]);
        num(key, r->stats.part[i], 1);
    }
    if (r->loss_only) {
        printf(",\"test_accuracy\":null");
        return;
    }
    if (r->sequence) {
        num("test_accuracy", r->stats.accuracy, 1);
        num("test_perplexity", exp(r->loss), 1);
        return;
    }
    if (r->regression) {
        num("test_mse", r->reg.mse, 1);
        num("test_mae", r->reg.mae, 1);
        num("test_r2", r->reg.r2, 1);
        printf(",\"test_accuracy\":null");
        return;
    }
    const dc_class_metrics *c = &r->cls;
    char nb[32];
    num("test_accuracy", c->accuracy, 1);
    printf(",\"top_k\":%d", c->top_k);
    num("top_k_accuracy", c->top_k_accuracy, 1);
    num("macro_precision", c->macro_precision, 1);
    num("macro_recall", c->macro_recall, 1);
    num("macro_f1", c->macro_f1, 1);
    num("micro_precision", c->micro_precision, 1);
    num("micro_recall", c->micro_recall, 1);
    num("micro_f1", c->micro_f1, 1);
    num("weighted_precision", c->weighted_precision, 1);
    num("weighted_recall", c->weighted_recall, 1);
    num("weighted_f1", c->weighted_f1, 1);
    num("auc", c->auc, 1);
    num("log_loss", c->log_loss, 1);
    printf(",\"classes\":[");
    char **names = cli_class_names(a, tab, m, c->num_classes);
    for (int k = 0; k < c->num_classes; k++) {
        if (k) printf(",");
        cli_json_string(stdout, names ? names[k] : cli_class_name(a, tab, m, k, nb, sizeof nb));
    }
    cli_free_class_names(names, c->num_classes);
    printf("]");
    arr("precision", c->precision, c->num_classes);
    arr("recall", c->recall, c->num_classes);
    arr("f1", c->f1, c->num_classes);
    arr("auc_per_class", c->auc_per_class, c->num_classes);
    printf(",\"support\":[");
    for (int k = 0; k < c->num_classes; k++) printf("%s%lld", k ? "," : "", (long long)c->support[k]);
    if (r->fpr) {
        printf("],\"roc_curve\":{\"fpr\":[");
        for (int64_t i = 0; i < r->roc_points; i++) printf("%s%.6g", i ? "," : "", r->fpr[i]);
        printf("],\"tpr\":[");
        for (int64_t i = 0; i < r->roc_points; i++) printf("%s%.6g", i ? "," : "", r->tpr[i]);
        printf("]}");
        printf(",\"confusion_matrix\":[");
    } else {
        printf("],\"confusion_matrix\":[");
    }
    for (int i = 0; c->confusion && i < c->num_classes; i++) { /* [] above DC_METRICS_MAX_CLASSES */
        printf("%s[", i ? "," : "");
        for (int k = 0; k < c->num_classes; k++) printf("%s%lld", k ? "," : "", (long long)c->confusion[(int64_t)i * c->num_classes + k]);
        printf("]");
    }
    printf("]");
}
