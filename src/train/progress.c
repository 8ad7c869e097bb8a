/* progress.c — "Epoch 3/10" and a redrawn bar on a terminal; one plain line
 * per epoch when the output is a pipe or a file (CI logs stay readable). */
#include "progress.h"
#include <math.h>
#include <time.h>
#include <unistd.h>

double dc_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void dc_progress_begin_epoch(dc_progress *p, FILE *out, int epoch, int epochs, int64_t steps) {
    p->out = out;
    p->tty = isatty(fileno(out));
    p->epoch = epoch;
    p->epochs = epochs;
    p->steps = steps;
    p->t0 = dc_now();
    p->last_draw = 0;
    p->tokens_per_step = 0;
    p->train_seconds = 0;
    if (p->tty) fprintf(out, "Epoch %d/%d\n", epoch, epochs);
}

static void bar(dc_progress *p, int64_t step, double elapsed) {
    int width = 30, done = p->steps ? (int)(width * step / p->steps) : width;
    int digits = snprintf(NULL, 0, "%lld", (long long)p->steps);
    fprintf(p->out, "\r%*lld/%lld [", digits, (long long)step, (long long)p->steps);
    for (int i = 0; i < width; i++) fputc(i < done - 1 || (i == done - 1 && step == p->steps) ? '=' : i == done - 1 ? '>' : '.', p->out);
    fputc(']', p->out);
    if (step < p->steps) {
        double eta = step ? elapsed / (double)step * (double)(p->steps - step) : 0;
        fprintf(p->out, " - ETA: %.0fs", eta);
    } else {
        double per = step ? elapsed / (double)step : 0.0; /* Keras: ms/step, or us/step below 1 ms */
        if (per >= 1e-3) fprintf(p->out, " - %.0fs %.0fms/step", elapsed, 1e3 * per);
        else fprintf(p->out, " - %.0fs %.0fus/step", elapsed, 1e6 * per);
    }
}

void dc_progress_step(dc_progress *p, int64_t step, double loss, double acc) {
    if (!p->tty) return;
    double t = dc_now();
    if (step < p->steps && t - p->last_draw < 0.1) return; /* ~10 redraws a second */
    p->last_draw = t;
    bar(p, step, t - p->t0);
    if (p->tokens_per_step > 0) fprintf(p->out, " - %.0f tok/s", (double)(step * p->tokens_per_step) / (t - p->t0));
    fprintf(p->out, " - loss: %.4f", loss);
    if (!isnan(acc)) fprintf(p->out, " - accuracy: %.4f", acc);
    fflush(p->out);
}

void dc_progress_validate(dc_progress *p, int64_t done, int64_t total) {
    if (!p || !p->tty) return;
    double t = dc_now();
    if (done < total && t - p->last_draw < 0.1) return;
    p->last_draw = t;
    bar(p, p->steps, t - p->t0);
    fprintf(p->out, " - validating %lld/%lld\033[K", (long long)done, (long long)total);
    fflush(p->out);
}

void dc_progress_end_epoch(dc_progress *p, const dc_epoch_stats *e) {
    double elapsed = dc_now() - p->t0;
    if (p->tty) {
        bar(p, p->steps, elapsed);
        fputs("\033[K", p->out); /* what "validating k/N" left */
    } else {
        fprintf(p->out, "Epoch %d/%d - %lld/%lld - %.1fs - %.2fms/step", p->epoch, p->epochs, (long long)p->steps,
                (long long)p->steps, elapsed, p->steps ? 1000.0 * elapsed / (double)p->steps : 0.0);
    }
    if (p->tokens_per_step > 0 && p->train_seconds > 0)
        fprintf(p->out, " - %.0f tok/s", (double)(p->steps * p->tokens_per_step) / p->train_seconds);
    fprintf(p->out, " - loss: %.4f", e->loss);
    for (int i = 0; i < e->nparts; i++) fprintf(p->out, " - %s: %.4f", e->part_name[i], e->part[i]);
    if (!isnan(e->accuracy)) fprintf(p->out, " - accuracy: %.4f", e->accuracy);
    if (!isnan(e->val_loss)) {
        fprintf(p->out, " - val_loss: %.4f", e->val_loss);
        for (int i = 0; i < e->nparts; i++)
            if (!isnan(e->val_part[i])) fprintf(p->out, " - val_%s: %.4f", e->part_name[i], e->val_part[i]);
        if (!isnan(e->val_accuracy)) fprintf(p->out, " - val_accuracy: %.4f", e->val_accuracy);
        if (p->tokens_per_step > 0) fprintf(p->out, " - val_perplexity: %.3f", exp(e->val_loss));
    }
    fprintf(p->out, "\n");
    fflush(p->out);
}
