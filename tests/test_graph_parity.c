/* test_graph_parity.c — whole graph models against PyTorch: a residual
 * block and one training step of the VAE (loss parts, every gradient, one
 * Adam step), with the sampling noise written out so that graph_parity.py
 * can use the same. Writes OUT.safetensors; graph_parity.py compares. */
#include "test.h"
#include "parity.h"

#define put parity_put


/* Loss, its parts and every gradient of desc on x (N, D), labels; then one
 * Adam step. Noise of sampling layers: N*latent normals from seed 77. */
static void model_case(const char *prefix, const char *desc, int64_t N, int64_t D, int latent, uint64_t seed) {
    dc_model *m = dc_model_parse(desc, prefix);
    CHECK(m != NULL, "%s: %s", prefix, dc_last_error());
    if (!m) return;
    dc_rng r;
    dc_rng_seed(&r, seed);
    dc_graph *g = dc_graph_new();
    int64_t xs[2] = {N, D}, ys[1] = {N};
    dc_tensor *x = dc_input(g, DC_F32, 2, xs), *y = dc_input(g, DC_I32, 1, ys);
    float *yf = malloc(sizeof(float) * (size_t)N);
    for (int64_t i = 0; i < N * D; i++) x->data[i] = dc_rng_uniform(&r);
    for (int64_t i = 0; i < N; i++) yf[i] = (float)(y->idata[i] = (int32_t)dc_rng_below(&r, 3));
    put(prefix, "x", 2, xs, x->data);
    put(prefix, "y", 1, ys, yf);
    if (latent) {
        dc_rng noise;
        dc_rng_seed(&noise, 77);
        int64_t es[2] = {N, latent};
        float *eps = malloc(sizeof(float) * (size_t)(N * latent));
        for (int64_t i = 0; i < N * latent; i++) eps[i] = dc_rng_normal(&noise);
        put(prefix, "eps", 2, es, eps);
        free(eps);
    }
    dc_rng noise;
    dc_rng_seed(&noise, 77);
    dc_graph_set_rng(g, &noise);
    dc_graph_set_training(g, 1);
    for (int i = 0; i < dc_model_num_param_tensors(m); i++) {
        const char *name;
        dc_tensor *t = dc_model_param_tensor(m, i, &name);
        put(prefix, name, t->ndim, t->shape, t->data);
    }
    dc_optimizer *opt = dc_optimizer_new(dc_adam(0.01f), dc_model_num_params(m));
    double loss;
    CHECK(dc_train_step(m, g, opt, x, y, NULL, NULL, &loss, NULL) == DC_OK, "%s step: %s", prefix, dc_last_error());
    float lv = (float)loss;
    put(prefix, "loss", 0, NULL, &lv);
    for (int i = 0; i < dc_graph_num_loss_parts(g); i++) {
        double v;
        const char *pn = dc_graph_loss_part(g, i, &v);
        char k[64];
        snprintf(k, sizeof k, "part.%s", pn);
        lv = (float)v;
        put(prefix, k, 0, NULL, &lv);
    }
    for (int i = 0; i < dc_model_num_param_tensors(m); i++) {
        const char *name;
        dc_tensor *t = dc_model_param_tensor(m, i, &name);
        char k[128];
        snprintf(k, sizeof k, "grad.%s", name);
        put(prefix, k, t->ndim, t->shape, t->grad);
        snprintf(k, sizeof k, "after.%s", name);
        put(prefix, k, t->ndim, t->shape, t->data);
    }
    free(yf);
    dc_optimizer_free(opt);
    dc_graph_free(g);
    dc_model_free(m);
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: test_graph_parity OUT.safetensors\n");
        return 2;
    }
    dc_set_num_threads(1);
    model_case("res",
               "input 6\ndense 16 activation=relu name=h\ndense 16 activation=relu name=a\ndense 16 name=f\n"
               "add inputs=h,f name=sum\nrelu\ndense 3 activation=softmax name=out\n",
               8, 6, 0, 5);
    model_case("vae",
               "input 12\ndense 16 activation=relu name=encoder\ndense 3 name=mu\ndense 3 inputs=encoder name=logvar\n"
               "sampling inputs=mu,logvar name=z\ndense 16 activation=relu name=decoder\ndense 12 activation=sigmoid name=image\n"
               "loss binary_crossentropy target=input reduction=sum name=reconstruction\n",
               8, 12, 3, 6);
    dc_status st = parity_write(argv[1]);
    CHECK(st == DC_OK, "write %s: %s", argv[1], dc_last_error());
    return test_summary("test_graph_parity (deepc side)");
}
