/* optim_step.c N THREADS — median time of one optimizer step over a flat
 * buffer of N parameters, for each optimizer; prints one JSON line. The
 * PyTorch side is bench/torch_optim.py; bench/optim.py runs both. */
#include "bench.h"
#include <deepc.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>


int main(int argc, char **argv) {
    int64_t n = argc > 1 ? atoll(argv[1]) : 10000000;
    dc_set_num_threads(argc > 2 ? atoi(argv[2]) : 0);
    float *p = malloc(sizeof(float) * (size_t)n), *g = malloc(sizeof(float) * (size_t)n);
    dc_rng r;
    dc_rng_seed(&r, 1);
    for (int64_t i = 0; i < n; i++) p[i] = dc_rng_uniform(&r) - 0.5f, g[i] = 0.01f * (dc_rng_uniform(&r) - 0.5f);
    const char *names[] = {"sgd_momentum", "adam", "adamw", "rmsprop", "adagrad"};
    dc_opt_config cfg[5] = {dc_sgd(0.01f), dc_adam(1e-3f), dc_adamw(1e-3f), dc_rmsprop(1e-3f), dc_adagrad(1e-2f)};
    cfg[0].momentum = 0.9f;
    printf("{\"threads\":%d", dc_get_num_threads());
    for (int k = 0; k < 5; k++) {
        dc_optimizer *o = dc_optimizer_new(cfg[k], n);
        double t[21];
        for (int s = 0; s < 21; s++) {
            double t0 = bench_now();
            dc_optimizer_step(o, p, g);
            t[s] = bench_now() - t0;
        }
        /* the first step touches fresh state: left out */
        printf(",\"%s\":%.6f", names[k], bench_median(t + 1, 20));
        dc_optimizer_free(o);
    }
    printf("}\n");
    free(p);
    free(g);
    return 0;
}
