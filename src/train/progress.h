/* progress.h — Keras-style progress output for fit. */
#ifndef DC_PROGRESS_H
#define DC_PROGRESS_H
#include <stdio.h>
#include <stdint.h>

typedef struct {
    FILE *out;
    int tty;             /* redraw a bar in place, else one line per epoch */
    int epoch, epochs;
    int64_t steps;       /* batches in this epoch */
    double t0, last_draw;
} dc_progress;

double dc_now(void);
void dc_progress_begin_epoch(dc_progress *p, FILE *out, int epoch, int epochs, int64_t steps);
void dc_progress_step(dc_progress *p, int64_t step, double loss, double acc);
/* val_loss/val_acc NAN when there is no validation data. */
void dc_progress_end_epoch(dc_progress *p, double loss, double acc, double val_loss, double val_acc);
#endif
