/* plot.c — training curves as an SVG a person can open in any browser: two
 * panels, loss and accuracy per epoch, training vs validation. */
#include "../core/internal.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define W 420.0 /* one panel */
#define H 300.0
#define ML 58.0 /* margins: left, right, top, bottom */
#define MR 16.0
#define MT 34.0
#define MB 44.0

typedef double (*getter)(const dc_epoch_stats *);
static double g_loss(const dc_epoch_stats *e) { return e->loss; }
static double g_val_loss(const dc_epoch_stats *e) { return e->val_loss; }
static double g_acc(const dc_epoch_stats *e) { return e->accuracy; }
static double g_val_acc(const dc_epoch_stats *e) { return e->val_accuracy; }

static void series(FILE *f, const dc_history *h, getter get, double x0, double lo, double hi, const char *color, int dashed) {
    int n = h->epochs_run, any = 0;
    double pw = W - ML - MR, ph = H - MT - MB;
    for (int i = 0; i < n; i++) any |= isfinite(get(&h->epoch[i]));
    if (!any) return;
    fprintf(f, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\"%s points=\"", color,
            dashed ? " stroke-dasharray=\"6,4\"" : "");
    for (int i = 0; i < n; i++) {
        double v = get(&h->epoch[i]);
        if (!isfinite(v)) continue;
        double x = x0 + ML + (n > 1 ? pw * i / (n - 1) : pw / 2);
        double y = MT + ph * (1.0 - (v - lo) / (hi - lo));
        fprintf(f, "%.1f,%.1f ", x, y);
    }
    fprintf(f, "\"/>\n");
    for (int i = 0; i < n; i++) {
        double v = get(&h->epoch[i]);
        if (!isfinite(v)) continue;
        double x = x0 + ML + (n > 1 ? pw * i / (n - 1) : pw / 2);
        fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%s\"/>\n", x, MT + ph * (1.0 - (v - lo) / (hi - lo)), color);
    }
}

static void panel(FILE *f, const dc_history *h, double x0, const char *title, getter tr, getter va) {
    double lo = INFINITY, hi = -INFINITY;
    for (int i = 0; i < h->epochs_run; i++) {
        double a = tr(&h->epoch[i]), b = va(&h->epoch[i]);
        if (isfinite(a)) lo = fmin(lo, a), hi = fmax(hi, a);
        if (isfinite(b)) lo = fmin(lo, b), hi = fmax(hi, b);
    }
    if (!isfinite(lo)) lo = 0, hi = 1;
    if (hi - lo < 1e-9) lo -= 0.5, hi += 0.5;
    double pad = 0.05 * (hi - lo);
    lo -= pad;
    hi += pad;
    double pw = W - ML - MR, ph = H - MT - MB;
    fprintf(f, "<text x=\"%.1f\" y=\"22\" font-size=\"15\" text-anchor=\"middle\" font-weight=\"bold\">%s</text>\n",
            x0 + ML + pw / 2, title);
    fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"none\" stroke=\"#444\"/>\n", x0 + ML, MT, pw, ph);
    for (int k = 0; k <= 4; k++) { /* y grid and labels */
        double v = lo + (hi - lo) * k / 4, y = MT + ph * (1.0 - (double)k / 4);
        fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>\n", x0 + ML, y, x0 + ML + pw, y);
        fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\" text-anchor=\"end\">%.3f</text>\n", x0 + ML - 4, y + 4, v);
    }
    int n = h->epochs_run, stepx = n > 10 ? (n + 9) / 10 : 1;
    for (int i = 0; i < n; i += stepx) { /* x labels: epochs */
        double x = x0 + ML + (n > 1 ? pw * i / (n - 1) : pw / 2);
        fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\" text-anchor=\"middle\">%d</text>\n", x, MT + ph + 16, i + 1);
    }
    fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"12\" text-anchor=\"middle\">epoch</text>\n", x0 + ML + pw / 2, H - 8);
    series(f, h, tr, x0, lo, hi, "#1f77b4", 0);
    series(f, h, va, x0, lo, hi, "#ff7f0e", 1);
    fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"12\" fill=\"#1f77b4\">training</text>\n", x0 + ML + 8, MT + 16);
    fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"12\" fill=\"#ff7f0e\">validation</text>\n", x0 + ML + 8, MT + 32);
}

dc_status dc_svg_begin(dc_atomic_file *a, const char *path, double w, double h) {
    dc_status st = dc_atomic_open(a, path);
    if (st) return st;
    fprintf(a->f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" font-family=\"sans-serif\">\n", w, h);
    fprintf(a->f, "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n");
    return DC_OK;
}

dc_status dc_svg_end(dc_atomic_file *a) {
    fprintf(a->f, "</svg>\n");
    return dc_atomic_commit(a);
}

dc_status dc_plot_history_svg(const dc_history *h, const char *path) {
    dc_atomic_file af;
    dc_status st = dc_svg_begin(&af, path, 2 * W, H);
    if (st) return st;
    panel(af.f, h, 0, "loss", g_loss, g_val_loss);
    panel(af.f, h, W, "accuracy", g_acc, g_val_acc);
    return dc_svg_end(&af);
}
