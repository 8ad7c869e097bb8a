/* progress.h — Keras-style progress output for fit. */
#ifndef DC_PROGRESS_H
#define DC_PROGRESS_H
#include "deepc.h"
#include <stdio.h>
#include <stdint.h>

typedef struct {
    FILE *out;
    int tty;             /* redraw a bar in place, else one line per epoch */
    int epoch, epochs;
    int64_t steps;       /* batches in this epoch */
    double t0, last_draw;
    int64_t tokens_per_step; /* > 0: a language model's batches; show tokens/s */
    double train_seconds;    /* the steps' time, without validation          */
} dc_progress;

double dc_now(void);
void dc_progress_begin_epoch(dc_progress *p, FILE *out, int epoch, int epochs, int64_t steps);
void dc_progress_step(dc_progress *p, int64_t step, double loss, double acc);
/* The epoch's line: loss, its parts, accuracy (when not NAN), validation. */
/* On a terminal, "validating done/total" after the finished bar (the
 * validation of a language model can take as long as its epoch). */
void dc_progress_validate(dc_progress *p, int64_t done, int64_t total);
void dc_progress_end_epoch(dc_progress *p, const dc_epoch_stats *e);
#endif
