/* plot_eval.c — an evaluation as a picture (eval --plot FILE.svg): the ROC
 * curves on the left (the positive class of a binary model, or each class
 * against the rest, with its AUC in the legend) and the confusion matrix
 * on the right (counts, shaded by the share of the true class's row). */
#include "../core/internal.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define PW 460.0 /* one panel */
#define PH 420.0
#define MAX_CURVES 20 /* more classes: the first 20 (the matrix shows them all, up to its limit) */

/* Text for SVG: &, < and > escaped. */
static void svg_text(FILE *f, const char *s) {
    for (; *s; s++) {
        if (*s == '&') fputs("&amp;", f);
        else if (*s == '<') fputs("&lt;", f);
        else if (*s == '>') fputs("&gt;", f);
        else fputc(*s, f);
    }
}

static const char *const colors[10] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                                       "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};

static void roc_panel(FILE *f, const float *probs, int width, const int32_t *labels, int64_t n, int C, const char *const *names) {
    const double x0 = 60, y0 = 40, w = PW - 90, h = PH - 100;
    fprintf(f, "<text x=\"%.0f\" y=\"24\" font-size=\"15\" font-weight=\"bold\" text-anchor=\"middle\">ROC curve%s</text>\n", x0 + w / 2,
            C > 2 ? "s (one class against the rest)" : "");
    fprintf(f, "<rect x=\"%.0f\" y=\"%.0f\" width=\"%.0f\" height=\"%.0f\" fill=\"none\" stroke=\"#444\"/>\n", x0, y0, w, h);
    fprintf(f, "<line x1=\"%.0f\" y1=\"%.0f\" x2=\"%.0f\" y2=\"%.0f\" stroke=\"#bbb\" stroke-dasharray=\"4,4\"/>\n", x0, y0 + h, x0 + w, y0);
    for (int k = 0; k <= 4; k++) {
        fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\" text-anchor=\"middle\">%.2f</text>\n", x0 + w * k / 4, y0 + h + 16, k / 4.0);
        fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\" text-anchor=\"end\">%.2f</text>\n", x0 - 4, y0 + h - h * k / 4 + 4, k / 4.0);
    }
    fprintf(f, "<text x=\"%.0f\" y=\"%.0f\" font-size=\"12\" text-anchor=\"middle\">false positive rate</text>\n", x0 + w / 2, y0 + h + 34);
    fprintf(f, "<text x=\"14\" y=\"%.0f\" font-size=\"12\" text-anchor=\"middle\" transform=\"rotate(-90 14 %.0f)\">true positive rate</text>\n",
            y0 + h / 2, y0 + h / 2);
    float *score = malloc(sizeof(float) * (size_t)(n ? n : 1));
    int32_t *truth = malloc(sizeof(int32_t) * (size_t)(n ? n : 1));
    const int first = C <= 2 ? 1 : 0, last = C <= 2 ? 1 : (C < MAX_CURVES ? C : MAX_CURVES) - 1;
    for (int k = first; score && truth && k <= last; k++) {
        for (int64_t i = 0; i < n; i++) {
            score[i] = width == 1 ? probs[i] : probs[i * width + k];
            truth[i] = labels[i] == k;
        }
        double *fpr = NULL, *tpr = NULL;
        int64_t np = 0;
        double auc = dc_roc_curve(score, truth, n, &fpr, &tpr, &np);
        const char *col = colors[(k - first) % 10];
        if (fpr && tpr && np > 0) {
            fprintf(f, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\" points=\"", col);
            for (int64_t i = 0; i < np; i++) fprintf(f, "%.1f,%.1f ", x0 + w * fpr[i], y0 + h - h * tpr[i]);
            fprintf(f, "\"/>\n");
        }
        fprintf(f, "<text x=\"%.0f\" y=\"%.0f\" font-size=\"11\" fill=\"%s\">", x0 + w - 150, y0 + h - 10 - 14.0 * (last - k), col);
        svg_text(f, names[k]);
        if (isfinite(auc)) fprintf(f, ": AUC %.4f</text>\n", auc);
        else fprintf(f, ": no positives</text>\n");
        free(fpr);
        free(tpr);
    }
    free(score);
    free(truth);
}

static void confusion_panel(FILE *f, const dc_class_metrics *c, const char *const *names, double xoff) {
    const int C = c->num_classes;
    const double x0 = xoff + 110, y0 = 70, side = PH - 130, cell = side / (C ? C : 1);
    fprintf(f, "<text x=\"%.0f\" y=\"24\" font-size=\"15\" font-weight=\"bold\" text-anchor=\"middle\">confusion matrix</text>\n", x0 + side / 2);
    fprintf(f, "<text x=\"%.0f\" y=\"44\" font-size=\"11\" text-anchor=\"middle\">rows: true class; columns: predicted</text>\n", x0 + side / 2);
    if (!c->confusion) {
        fprintf(f, "<text x=\"%.0f\" y=\"%.0f\" font-size=\"12\">left out for %d classes</text>\n", x0, y0 + 20, C);
        return;
    }
    const double font = cell > 22 ? 11 : cell * 0.5;
    for (int i = 0; i < C; i++) {
        int64_t row = 0;
        for (int k = 0; k < C; k++) row += c->confusion[(int64_t)i * C + k];
        for (int k = 0; k < C; k++) {
            int64_t v = c->confusion[(int64_t)i * C + k];
            double share = row ? (double)v / (double)row : 0.0;
            int shade = (int)(255 - 200 * share);
            fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"rgb(%d,%d,255)\" stroke=\"#fff\"/>\n", x0 + k * cell,
                    y0 + i * cell, cell, cell, shade, shade);
            if (cell >= 10)
                fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"%.0f\" text-anchor=\"middle\"%s>%lld</text>\n", x0 + k * cell + cell / 2,
                        y0 + i * cell + cell / 2 + font / 3, font, share > 0.6 ? " fill=\"white\"" : "", (long long)v);
        }
        if (cell >= 8) {
            fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"%.0f\" text-anchor=\"end\">", x0 - 4, y0 + i * cell + cell / 2 + font / 3, font);
            svg_text(f, names[i]);
            fprintf(f, "</text>\n<text x=\"%.1f\" y=\"%.1f\" font-size=\"%.0f\" text-anchor=\"start\" transform=\"rotate(45 %.1f %.1f)\">",
                    x0 + i * cell + cell / 2, y0 + side + 8, font, x0 + i * cell + cell / 2, y0 + side + 8);
            svg_text(f, names[i]);
            fprintf(f, "</text>\n");
        }
    }
}

dc_status dc_plot_eval_svg(const float *probs, int width, const int32_t *labels, int64_t n, const dc_class_metrics *c,
                           const char *const *names, const char *path) {
    dc_atomic_file af;
    dc_status st = dc_svg_begin(&af, path, 2 * PW, PH);
    if (st) return st;
    roc_panel(af.f, probs, width, labels, n, c->num_classes, names);
    confusion_panel(af.f, c, names, PW);
    return dc_svg_end(&af);
}
