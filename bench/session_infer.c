/* session_infer.c MODEL [REPS] — batch-1 prediction, the way a server makes
 * it: dc_predict on a one-row dataset (a new graph per call, as before
 * sessions) against dc_session_predict (one session reused), alternately,
 * median microseconds of each and their ratio; then 2 threads with a
 * session each over the same model (1 OpenMP thread per session), in
 * predictions per second. Prints one JSON line. */
#include "bench.h"
#include <deepc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const dc_model *m;
    const float *x;
    int64_t in, out, reps;
} job;

static void *worker(void *arg) {
    job *j = arg;
    dc_session *s = dc_session_new(j->m, 1);
    dc_session_set_threads(s, 1);
    float *y = malloc(sizeof(float) * (size_t)j->out);
    for (int64_t k = 0; k < j->reps; k++) dc_session_predict(s, j->x + (k % 64) * j->in, 1, y);
    free(y);
    dc_session_free(s);
    return NULL;
}

int main(int argc, char **argv) {
    if (argc < 2) return 2;
    const int reps = argc > 2 ? atoi(argv[2]) : 2000;
    dc_set_num_threads(1);
    dc_model *m = dc_model_load(argv[1]);
    if (!m) {
        fprintf(stderr, "%s\n", dc_last_error());
        return 1;
    }
    dc_session *s = dc_session_new(m, 1);
    const int64_t in = dc_session_input_size(s, 0), out = dc_session_output_size(s, 0);
    dc_dataset *d = dc_dataset_new(1, DC_F32, 1, &in, DC_I32, 0, NULL);
    float *x = malloc(sizeof(float) * (size_t)(64 * in)), *y = malloc(sizeof(float) * (size_t)out);
    dc_rng r;
    dc_rng_seed(&r, 1);
    for (int64_t i = 0; i < 64 * in; i++) x[i] = dc_rng_uniform(&r);
    memset(d->y.data, 0, sizeof(int32_t));
    double *tp = malloc(sizeof(double) * (size_t)reps), *ts = malloc(sizeof(double) * (size_t)reps);
    for (int k = 0; k < reps; k++) {
        memcpy(d->x.data, x + (k % 64) * in, sizeof(float) * (size_t)in);
        double t0 = bench_now();
        dc_predict(m, d, 1, 1, y);
        double t1 = bench_now();
        dc_session_predict(s, x + (k % 64) * in, 1, y);
        tp[k] = t1 - t0;
        ts[k] = bench_now() - t1;
    }
    const double p = bench_median(tp, reps), q = bench_median(ts, reps);
    pthread_t th[2];
    job j = {m, x, in, out, reps};
    double t0 = bench_now();
    for (int t = 0; t < 2; t++) pthread_create(&th[t], NULL, worker, &j);
    for (int t = 0; t < 2; t++) pthread_join(th[t], NULL);
    const double two = 2.0 * reps / (bench_now() - t0);
    printf("{\"dc_predict_us\":%.2f,\"session_us\":%.2f,\"session/dc_predict\":%.3f,\"two_sessions_per_s\":%.0f}\n", 1e6 * p, 1e6 * q,
           q / p, two);
    free(tp), free(ts), free(x), free(y);
    dc_dataset_free(d);
    dc_session_free(s);
    dc_model_free(m);
    return 0;
}
