/* prefetch.h — a background thread that prepares the next training batch
 * (gather, scale, augment) while the current step computes. Two buffers:
 * memory stays at two batches whatever the data set. */
#ifndef DC_PREFETCH_H
#define DC_PREFETCH_H
#include "../core/internal.h"
#include <pthread.h>

typedef struct {
    const dc_dataset *data;
    int64_t sample;           /* floats per sample                         */
    int C, H, W;              /* image shape for augmentation              */
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int running, stop;
    /* the job: rows idx[slot][0..n) into buffer `slot`, each augmented
     * with `seed` and its place pos[slot][i] in the whole batch */
    int64_t *idx[2], *pos[2];
    int64_t n;
    uint64_t seed;
    int slot, pending, done;
    float *x[2];
    int32_t *y[2];
    int64_t cap;              /* batch capacity                            */
} dc_prefetch;

/* Start the worker; returns DC_OK or an error (then it runs nothing). */
dc_status dc_prefetch_start(dc_prefetch *p, const dc_dataset *d, int64_t batch, int C, int H, int W);
/* Ask for rows idx[0..n) in buffer slot (0 or 1), the i-th augmented as
 * the sample at place pos[i] of its batch (a rank of a data-parallel run
 * prepares only its rows of the batch, and draws what one process draws for
 * them); idx and pos are copied, n <= the batch. Returns at once. */
void dc_prefetch_request(dc_prefetch *p, int slot, const int64_t *idx, const int64_t *pos, int64_t n, uint64_t seed);
/* Wait for the requested batch; its buffers are p->x[slot], p->y[slot]. */
void dc_prefetch_wait(dc_prefetch *p);
void dc_prefetch_stop(dc_prefetch *p);

/* The batch preparation itself (also used without a thread): gather rows
 * idx[0..n) and augment each sample with a generator seeded from seed and
 * its place in the batch, pos[i] (NULL: i). */
void dc_prepare_batch(const dc_dataset *d, const int64_t *idx, const int64_t *pos, int64_t n, float *x, int32_t *y, int C,
                      int H, int W, uint64_t seed);
#endif
