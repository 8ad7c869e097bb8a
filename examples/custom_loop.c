/* custom_loop.c — a model that is not a chain, built in C, trained with a
 * loop of your own around dc_train_step, saved, and reloaded.
 *
 *   custom_loop [TRAIN_IMAGES]      (default 10000 Fashion-MNIST images)
 *
 * The model: Dense 128 ReLU (named h) -> Dense 128 ReLU -> Dense 128 (f),
 * then add(h, f) -> ReLU -> Dense 10 softmax: a residual block. */
#include <deepc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int fail(const char *what) {
    fprintf(stderr, "custom_loop: %s: %s\n", what, dc_last_error());
    return 1;
}

/* the gradient norm before each optimizer step: a hook sees every step */
static int watch_gradients(dc_model *m, void *user) {
    double s = 0;
    const float *g = dc_model_grads(m);
    for (int64_t i = 0; i < dc_model_num_params(m); i++) s += (double)g[i] * g[i];
    *(double *)user = s;
    return 0;
}

int main(int argc, char **argv) {
    int64_t limit = argc > 1 ? atoll(argv[1]) : 10000;
    dc_dataset *train = dc_mnist_load("fashion-mnist", "train"), *test = dc_mnist_load("fashion-mnist", "test");
    if (!train || !test) return fail("load Fashion-MNIST");
    if (limit > 0 && limit < train->n) train->n = limit;

    dc_model *m = dc_model_new(1, (int64_t[]){784});
    if (!dc_model_add(m, "dense", "128 activation=relu name=h") || !dc_model_add(m, "dense", "128 activation=relu") ||
        !dc_model_add(m, "dense", "128 name=f") || !dc_model_add(m, "add", "inputs=h,f") || !dc_model_add(m, "relu", "") ||
        !dc_model_add(m, "dense", "10 activation=softmax name=classes"))
        return fail("build the model");
    if (dc_model_build(m, 42) || dc_model_compile(m, DC_LOSS_CATEGORICAL_CE, dc_adam(1e-3f))) return fail("build");

    /* the loop: shuffle, batch, step */
    dc_graph *g = dc_graph_new();
    dc_rng rng;
    dc_rng_seed(&rng, 42);
    dc_graph_set_rng(g, &rng);
    dc_optimizer *opt = dc_optimizer_new(*dc_model_optimizer(m), dc_model_num_params(m));
    int64_t *order = malloc(sizeof(int64_t) * (size_t)train->n), batch = 64;
    for (int64_t i = 0; i < train->n; i++) order[i] = i;
    double gnorm2 = 0;
    dc_callbacks hooks = {.after_backward = watch_gradients, .user = &gnorm2};
    for (int epoch = 1; epoch <= 3; epoch++) {
        dc_rng_shuffle(&rng, order, train->n);
        double sum = 0;
        for (int64_t s = 0; s < train->n; s += batch) {
            int64_t n = train->n - s < batch ? train->n - s : batch;
            dc_graph_reset(g);
            dc_tensor *x, *y;
            double loss;
            if (dc_dataset_batch(train, g, order + s, n, &x, &y)) return fail("batch"); /* 28x28 images feed input 784 */
            if (dc_train_step(m, g, opt, x, y, NULL, &hooks, &loss, NULL)) return fail("step");
            sum += loss * (double)n;
        }
        printf("epoch %d: loss %.4f (last gradient norm^2 %.3g)\n", epoch, sum / (double)train->n, gnorm2);
    }
    double loss, acc;
    if (dc_evaluate(m, test, 256, &loss, &acc)) return fail("evaluate");
    printf("test accuracy %.4f, loss %.4f\n", acc, loss);

    /* a model built in C saves like a parsed one: its description is written from the layers */
    if (dc_model_save(m, "custom_loop.safetensors")) return fail("save");
    dc_model *r = dc_model_load("custom_loop.safetensors");
    double loss2, acc2;
    if (!r || dc_evaluate(r, test, 256, &loss2, &acc2)) return fail("reload");
    printf("reloaded: test accuracy %.4f (%s)\n--- its description ---\n%s", acc2, acc2 == acc ? "identical" : "DIFFERENT",
           dc_model_description(r));
    int bad = acc2 != acc || acc < 0.75;
    dc_model_free(r);
    free(order);
    dc_optimizer_free(opt);
    dc_graph_free(g);
    dc_model_free(m);
    dc_dataset_free(train);
    dc_dataset_free(test);
    return bad;
}
