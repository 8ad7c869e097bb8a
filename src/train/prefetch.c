/* prefetch.c — background batch preparation (see prefetch.h). The worker
 * and the training thread hand one job back and forth under a mutex; the
 * result depends only on (rows, seed), never on timing. */
#include "prefetch.h"
#include <stdlib.h>
#include <string.h>

void dc_prepare_batch(const dc_dataset *d, const int64_t *idx, const int64_t *pos, int64_t n, float *x, int32_t *y, int C,
                      int H, int W, uint64_t seed) {
    dc_dataset_gather(d, idx, n, x, y);
    if (!d->augment) return;
    for (int64_t i = 0; i < n; i++) {
        dc_rng r;
        dc_rng_seed(&r, seed ^ ((uint64_t)(pos ? pos[i] : i) * 0x9E3779B97F4A7C15ULL));
        dc_augment_image(d->augment, x + i * (int64_t)C * H * W, C, H, W, &r);
    }
}

static void *worker(void *arg) {
    dc_prefetch *p = arg;
    pthread_mutex_lock(&p->mu);
    for (;;) {
        while (!p->pending && !p->stop) pthread_cond_wait(&p->cv, &p->mu);
        if (p->stop) break;
        const int slot = p->slot;
        const int64_t n = p->n;
        uint64_t seed = p->seed;
        p->pending = 0;
        pthread_mutex_unlock(&p->mu);
        dc_prepare_batch(p->data, p->idx[slot], p->pos[slot], n, p->x[slot], p->y[slot], p->C, p->H, p->W, seed);
        pthread_mutex_lock(&p->mu);
        p->done = 1;
        pthread_cond_broadcast(&p->cv);
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

dc_status dc_prefetch_start(dc_prefetch *p, const dc_dataset *d, int64_t batch, int C, int H, int W) {
    memset(p, 0, sizeof *p);
    p->data = d;
    p->sample = d->x.size;
    p->C = C;
    p->H = H;
    p->W = W;
    p->cap = batch;
    for (int s = 0; s < 2; s++) {
        p->x[s] = malloc(sizeof(float) * (size_t)(batch * d->x.size));
        p->y[s] = malloc(sizeof(int32_t) * (size_t)batch);
        p->idx[s] = malloc(sizeof(int64_t) * (size_t)batch);
        p->pos[s] = malloc(sizeof(int64_t) * (size_t)batch);
        if (!p->x[s] || !p->y[s] || !p->idx[s] || !p->pos[s]) {
            dc_prefetch_stop(p);
            return dc_set_error(DC_ERR_NOMEM, "fit: out of memory for batch buffers");
        }
    }
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cv, NULL);
    if (pthread_create(&p->thread, NULL, worker, p) != 0) {
        pthread_mutex_destroy(&p->mu);
        pthread_cond_destroy(&p->cv);
        dc_prefetch_stop(p);
        return dc_set_error(DC_ERR_NOMEM, "fit: cannot start the batch thread");
    }
    p->running = 1;
    return DC_OK;
}

void dc_prefetch_request(dc_prefetch *p, int slot, const int64_t *idx, const int64_t *pos, int64_t n, uint64_t seed) {
    pthread_mutex_lock(&p->mu); /* (the worker is idle: it finished the other slot's batch, which the caller waited for) */
    memcpy(p->idx[slot], idx, sizeof(int64_t) * (size_t)n);
    memcpy(p->pos[slot], pos, sizeof(int64_t) * (size_t)n);
    p->n = n;
    p->slot = slot;
    p->seed = seed;
    p->pending = 1;
    p->done = 0;
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
}

void dc_prefetch_wait(dc_prefetch *p) {
    pthread_mutex_lock(&p->mu);
    while (!p->done) pthread_cond_wait(&p->cv, &p->mu);
    pthread_mutex_unlock(&p->mu);
}

void dc_prefetch_stop(dc_prefetch *p) {
    if (p->running) {
        pthread_mutex_lock(&p->mu);
        p->stop = 1;
        pthread_cond_broadcast(&p->cv);
        pthread_mutex_unlock(&p->mu);
        pthread_join(p->thread, NULL);
        pthread_mutex_destroy(&p->mu);
        pthread_cond_destroy(&p->cv);
        p->running = 0;
    }
    for (int s = 0; s < 2; s++) {
        free(p->x[s]);
        free(p->y[s]);
        free(p->idx[s]);
        free(p->pos[s]);
        p->x[s] = NULL;
        p->y[s] = NULL;
        p->idx[s] = p->pos[s] = NULL;
    }
}
