/* test_metrics.c — computes every metric on fixed predictions and writes
 * predictions and results to a safetensors file; metrics_check.py recomputes
 * them with scikit-learn and compares. */
#include "test.h"

#define MAXE 256
static dc_st_entry ent[MAXE];
static int nent;
static int64_t shapes[MAXE][2];

static void put(const char *prefix, const char *what, const float *data, int64_t rows, int64_t cols) {
    char *name = malloc(128);
    snprintf(name, 128, "%s.%s", prefix, what);
    float *copy = malloc(sizeof(float) * (size_t)(rows * cols));
    memcpy(copy, data, sizeof(float) * (size_t)(rows * cols));
    shapes[nent][0] = rows;
    shapes[nent][1] = cols;
    ent[nent] = (dc_st_entry){name, cols > 1 ? 2 : 1, shapes[nent], copy, "F32"};
    nent++;
}

static void putd(const char *prefix, const char *what, const double *v, int64_t n) {
    float *f = malloc(sizeof(float) * (size_t)n);
    for (int64_t i = 0; i < n; i++) f[i] = (float)v[i];
    put(prefix, what, f, n, 1);
    free(f);
}

static void classification_case(const char *name, int64_t n, int C, int noise, uint64_t seed, int never_predict) {
    dc_rng r;
    dc_rng_seed(&r, seed);
    int cols = C == 2 && !strcmp(name, "binary_sigmoid") ? 1 : C;
    float *p = malloc(sizeof(float) * (size_t)(n * cols));
    int32_t *y = malloc(sizeof(int32_t) * (size_t)n);
    float *yf = malloc(sizeof(float) * (size_t)n);
    for (int64_t i = 0; i < n; i++) {
        y[i] = (int32_t)dc_rng_below(&r, (uint32_t)C);
        yf[i] = (float)y[i];
        if (cols == 1) { /* scores rounded to 0.05: plenty of ties */
            float s = (y[i] ? 0.65f : 0.35f) + 0.5f * (dc_rng_uniform(&r) - 0.5f) * (float)noise;
            s = roundf(fminf(fmaxf(s, 0.0f), 1.0f) * 20.0f) / 20.0f;
            p[i] = s;
            continue;
        }
        float sum = 0.0f;
        for (int c = 0; c < C; c++) {
            float logit = (c == y[i] ? 1.5f : 0.0f) + (float)noise * dc_rng_normal(&r);
            if (never_predict && c == C - 1) logit -= 20.0f;
            p[i * C + c] = expf(logit);
            sum += p[i * C + c];
        }
        for (int c = 0; c < C; c++) p[i * C + c] /= sum;
    }
    dc_class_metrics m;
    CHECK(dc_classification_metrics(p, y, n, cols == 1 ? 1 : C, 3, &m) == DC_OK, "%s: %s", name, dc_last_error());
    put(name, "probs", p, n, cols);
    put(name, "labels", yf, n, 1);
    double scal[16] = {m.accuracy, m.top_k_accuracy, m.macro_precision, m.macro_recall, m.macro_f1, m.micro_precision,
                       m.micro_recall, m.micro_f1, m.weighted_precision, m.weighted_recall, m.weighted_f1, m.auc,
                       m.log_loss};
    putd(name, "scalars", scal, 13);
    putd(name, "precision", m.precision, C);
    putd(name, "recall", m.recall, C);
    putd(name, "f1", m.f1, C);
    float *cm = malloc(sizeof(float) * (size_t)(C * C));
    for (int i = 0; i < C * C; i++) cm[i] = (float)m.confusion[i];
    put(name, "confusion", cm, C, C);
    free(cm);
    if (C == 2) {
        float *s = malloc(sizeof(float) * (size_t)n);
        for (int64_t i = 0; i < n; i++) s[i] = cols == 1 ? p[i] : p[i * 2 + 1];
        double *fpr, *tpr;
        int64_t k;
        double auc = dc_roc_curve(s, y, n, &fpr, &tpr, &k);
        CHECK(fabs(auc - m.auc) < 1e-12 && k >= 2 && fpr[k - 1] == 1.0 && tpr[k - 1] == 1.0, "%s: roc curve", name);
        putd(name, "fpr", fpr, k);
        putd(name, "tpr", tpr, k);
        free(fpr);
        free(tpr);
        free(s);
    }
    dc_class_metrics_free(&m);
    free(p);
    free(y);
    free(yf);
}

int main(int argc, char **argv) {
    if (argc < 2) return 2;
    classification_case("multiclass", 500, 10, 1, 1, 0);
    classification_case("noisy3", 300, 3, 2, 2, 1);
    classification_case("binary_softmax", 400, 2, 1, 3, 0);
    classification_case("binary_sigmoid", 400, 2, 1, 4, 0);
    /* regression */
    dc_rng r;
    dc_rng_seed(&r, 5);
    float pred[200], tgt[200];
    for (int i = 0; i < 200; i++) {
        tgt[i] = 3.0f * dc_rng_normal(&r) + 1.0f;
        pred[i] = tgt[i] + dc_rng_normal(&r);
    }
    dc_regression_metrics rm = dc_regression_metrics_compute(pred, tgt, 200);
    put("regression", "pred", pred, 200, 1);
    put("regression", "target", tgt, 200, 1);
    double rs[3] = {rm.mse, rm.mae, rm.r2};
    putd("regression", "scalars", rs, 3);
    /* bad input */
    int32_t badl[2] = {0, 7};
    float bp[4] = {0.5f, 0.5f, 0.5f, 0.5f};
    dc_class_metrics m;
    CHECK_ERR(dc_classification_metrics(bp, badl, 2, 2, 1, &m) != DC_OK, "outside [0, 2)");
    CHECK(dc_st_write(argv[1], ent, nent, NULL, NULL, 0) == DC_OK, "write: %s", dc_last_error());
    for (int i = 0; i < nent; i++) {
        free((void *)ent[i].name);
        free((void *)ent[i].data);
    }
    return test_summary("test_metrics (deepc side)");
}
