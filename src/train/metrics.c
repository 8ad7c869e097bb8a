/* metrics.c — classification and regression metrics, defined as
 * scikit-learn defines them (tests/metrics_check.py compares them). */
#include "../core/internal.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    float score;
    int32_t pos;
} scored;

static int by_score_desc(const void *a, const void *b) {
    float x = ((const scored *)a)->score, y = ((const scored *)b)->score;
    return x > y ? -1 : x < y;
}

double dc_roc_curve(const float *scores, const int32_t *truth, int64_t n, double **fpr, double **tpr, int64_t *npoints) {
    if (fpr) *fpr = NULL;
    if (tpr) *tpr = NULL;
    if (npoints) *npoints = 0;
    scored *v = malloc(sizeof *v * (size_t)(n ? n : 1));
    if (!v) return NAN;
    int64_t P = 0, N = 0;
    for (int64_t i = 0; i < n; i++) {
        v[i].score = scores[i];
        v[i].pos = truth[i] != 0;
        P += v[i].pos;
    }
    N = n - P;
    if (P == 0 || N == 0) { /* undefined, as sklearn raises */
        free(v);
        return NAN;
    }
    qsort(v, (size_t)n, sizeof *v, by_score_desc);
    double *fx = fpr ? malloc(sizeof(double) * (size_t)(n + 2)) : NULL;
    double *ty = tpr ? malloc(sizeof(double) * (size_t)(n + 2)) : NULL;
    int64_t k = 0, tp = 0, fp = 0;
    double auc = 0.0, last_f = 0.0, last_t = 0.0;
    if (fx && ty) fx[k] = 0.0, ty[k] = 0.0, k++;
    for (int64_t i = 0; i < n;) {
        int64_t j = i; /* a block of tied scores moves the curve in one step */
        while (j < n && v[j].score == v[i].score) {
            tp += v[j].pos;
            fp += !v[j].pos;
            j++;
        }
        double f = (double)fp / (double)N, t = (double)tp / (double)P;
        auc += (f - last_f) * (t + last_t) / 2.0;
        last_f = f;
        last_t = t;
        if (fx && ty) fx[k] = f, ty[k] = t, k++;
        i = j;
    }
    free(v);
    if (fx && ty) {
        *fpr = fx;
        *tpr = ty;
        *npoints = k;
    } else {
        free(fx);
        free(ty);
    }
    return auc;
}

void dc_class_metrics_free(dc_class_metrics *m) {
    if (!m) return;
    free(m->precision);
    free(m->recall);
    free(m->f1);
    free(m->support);
    free(m->confusion);
    free(m->auc_per_class);
    memset(m, 0, sizeof *m);
}

/* probability of class c in row i (C == 1: one sigmoid output) */
static inline double prob(const float *p, int64_t i, int c, int C) {
    if (C == 1) return c == 1 ? p[i] : 1.0 - p[i];
    return p[i * C + c];
}

dc_status dc_classification_metrics(const float *probs, const int32_t *labels, int64_t n, int num_classes, int top_k,
                                    dc_class_metrics *m) {
    memset(m, 0, sizeof *m);
    const int C = num_classes < 2 ? 2 : num_classes, cols = num_classes < 2 ? 1 : num_classes;
    if (n <= 0) return dc_set_error(DC_ERR_INVALID, "metrics: no samples");
    for (int64_t i = 0; i < n; i++)
        if (labels[i] < 0 || labels[i] >= C)
            return dc_set_error(DC_ERR_INVALID, "metrics: label %d of sample %lld is outside [0, %d)", labels[i], (long long)i, C);
    m->num_classes = C;
    m->n = n;
    m->precision = calloc((size_t)C, sizeof(double));
    m->recall = calloc((size_t)C, sizeof(double));
    m->f1 = calloc((size_t)C, sizeof(double));
    m->support = calloc((size_t)C, sizeof(int64_t));
    /* the C x C matrix and the C one-vs-rest curves only where they are
     * readable and cheap: memory and time stay linear in the classes */
    const int full = C <= DC_METRICS_MAX_CLASSES;
    m->confusion = full ? calloc((size_t)C * (size_t)C, sizeof(int64_t)) : NULL;
    m->auc_per_class = calloc((size_t)C, sizeof(double));
    int64_t *tp = calloc((size_t)C, sizeof(int64_t)), *npred = calloc((size_t)C, sizeof(int64_t));
    float *sc = malloc(sizeof(float) * (size_t)n);
    int32_t *tr = malloc(sizeof(int32_t) * (size_t)n);
    if (!m->precision || !m->recall || !m->f1 || !m->support || (full && !m->confusion) || !m->auc_per_class || !sc || !tr ||
        !tp || !npred) {
        free(sc);
        free(tr);
        free(tp);
        free(npred);
        dc_class_metrics_free(m);
        return dc_set_error(DC_ERR_NOMEM, "metrics: out of memory");
    }
    m->top_k = top_k < 1 ? 1 : (top_k > C ? C : top_k);
    int64_t correct = 0, topk = 0;
    double ll = 0.0;
    for (int64_t i = 0; i < n; i++) {
        int y = labels[i], best = 0, rank = 0;
        double py = prob(probs, i, y, cols), rowsum = 0.0;
        for (int c = 0; c < C; c++) {
            double pc = prob(probs, i, c, cols);
            if (pc > prob(probs, i, best, cols)) best = c;
            if (pc > py) rank++; /* classes ranked strictly above the truth */
            rowsum += fmin(fmax(pc, 1e-15), 1.0 - 1e-15);
        }
        if (m->confusion) m->confusion[(int64_t)y * C + best]++;
        m->support[y]++;
        npred[best]++;
        tp[y] += best == y;
        correct += best == y;
        topk += rank < m->top_k;
        ll -= log(fmin(fmax(py, 1e-15), 1.0 - 1e-15) / rowsum);
    }
    m->accuracy = (double)correct / (double)n;
    m->top_k_accuracy = (double)topk / (double)n;
    m->log_loss = ll / (double)n;
    int present = 0;
    for (int c = 0; c < C; c++) {
        int64_t pred = npred[c], truth = m->support[c];
        m->precision[c] = pred ? (double)tp[c] / (double)pred : 0.0;
        m->recall[c] = truth ? (double)tp[c] / (double)truth : 0.0;
        double ps = m->precision[c] + m->recall[c];
        m->f1[c] = ps > 0 ? 2.0 * m->precision[c] * m->recall[c] / ps : 0.0;
        m->macro_precision += m->precision[c] / C;
        m->macro_recall += m->recall[c] / C;
        m->macro_f1 += m->f1[c] / C;
        m->weighted_precision += m->precision[c] * (double)truth / (double)n;
        m->weighted_recall += m->recall[c] * (double)truth / (double)n;
        m->weighted_f1 += m->f1[c] * (double)truth / (double)n;
        if (!full) {
            m->auc_per_class[c] = NAN;
            continue;
        }
        for (int64_t i = 0; i < n; i++) {
            sc[i] = (float)prob(probs, i, c, cols);
            tr[i] = labels[i] == c;
        }
        m->auc_per_class[c] = dc_roc_curve(sc, tr, n, NULL, NULL, NULL);
        present += !isnan(m->auc_per_class[c]);
    }
    /* single-label: every error is one false positive and one false negative */
    m->micro_precision = m->micro_recall = m->micro_f1 = m->accuracy;
    if (C == 2) m->auc = m->auc_per_class[1];
    else {
        double s = 0.0;
        for (int c = 0; c < C; c++)
            if (!isnan(m->auc_per_class[c])) s += m->auc_per_class[c];
        m->auc = present == C ? s / C : NAN; /* sklearn refuses when a class is absent */
    }
    free(sc);
    free(tr);
    free(tp);
    free(npred);
    return DC_OK;
}

dc_regression_metrics dc_regression_metrics_compute(const float *pred, const float *target, int64_t n) {
    dc_regression_metrics r = {NAN, NAN, NAN};
    if (n <= 0) return r;
    double mean = 0.0, se = 0.0, ae = 0.0, ss = 0.0;
    for (int64_t i = 0; i < n; i++) mean += target[i];
    mean /= (double)n;
    for (int64_t i = 0; i < n; i++) {
        double d = (double)pred[i] - target[i], t = (double)target[i] - mean;
        se += d * d;
        ae += fabs(d);
        ss += t * t;
    }
    r.mse = se / (double)n;
    r.mae = ae / (double)n;
    r.r2 = ss > 0 ? 1.0 - se / ss : (se == 0 ? 1.0 : 0.0); /* sklearn's convention for a constant target */
    return r;
}
