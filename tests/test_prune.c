/* test_prune.c [DIR] — magnitude pruning (dc_fit_options.prune):
 *  - the schedule is TF-MOT's PolynomialDecay;
 *  - each matrix ends exactly at round(s x size) zeros (scope layer), all
 *    of them together at round(s x total) (scope global);
 *  - a run stopped and resumed from its file gives the same bits as one
 *    that never stopped (the masks are in the state);
 *  - the file stores pruned matrices sparse, smaller, and reads back the
 *    same; a damaged bitmap and a mask that disagrees with the weights are
 *    refused naming the tensor;
 *  - structured pruning removes whole units, and dc_model_shrink's smaller
 *    model (an MLP, and a CNN with batchnorm) predicts what the pruned one did;
 *  - the sparse product (dc_sparse_linear, CSR) gives the dense one's
 *    outputs, the same bits on the AVX-512 and portable loops, and the
 *    reference kernel's; a session of a 95% pruned model runs it. */
#include "test.h"
#include "../src/kernels/kernels.h"
#include "../src/nn/model.h"

static const char *MLP = "input 6\n"
                         "dense 32 activation=relu\n"
                         "dense 16 activation=tanh\n"
                         "dense 3 activation=softmax\n"
                         "loss categorical_crossentropy\n"
                         "optimizer adam lr=0.01\n"
                         "fit epochs=4 batch_size=32 validation_split=0 seed=7\n";

static dc_model *mlp(void) {
    dc_model *m = dc_model_parse(MLP, "mlp.dc");
    CHECK(m != NULL, "parse: %s", dc_last_error());
    return m;
}

static dc_status fit(dc_model *m, const dc_dataset *d, const dc_prune_config *p, dc_train_state *s, int64_t stop) {
    dc_fit_options o = {.validation_split = -1.0f, .shuffle = -1, .verbose = 0, .state = s, .prune = p, .stop_after_steps = stop};
    return dc_fit(m, d, &o, NULL);
}

static int64_t zeros(const dc_tensor *t) {
    int64_t z = 0;
    for (int64_t i = 0; i < t->size; i++) z += t->data[i] == 0.0f;
    return z;
}

static void schedule(void) {
    dc_prune_config c = {.sparsity = 0.8f, .initial_sparsity = 0.1f, .begin_step = 10, .end_step = 110, .power = 3.0f};
    CHECK(dc_prune_sparsity_at(&c, 0) == 0.1f && dc_prune_sparsity_at(&c, 10) == 0.1f, "before the ramp: the initial sparsity");
    CHECK(fabs(dc_prune_sparsity_at(&c, 110) - 0.8) < 1e-7 && fabs(dc_prune_sparsity_at(&c, 500) - 0.8) < 1e-7, "after it: the final one");
    const double mid = 0.8 + (0.1 - 0.8) * pow(1.0 - 0.5, 3.0); /* TF-MOT's PolynomialDecay halfway */
    CHECK(fabs(dc_prune_sparsity_at(&c, 60) - mid) < 1e-6, "halfway %g, want %g", dc_prune_sparsity_at(&c, 60), mid);
}

static void exact_sparsity(const dc_dataset *d) {
    dc_model *m = mlp();
    dc_prune_config p = {.sparsity = 0.7f, .scope = DC_PRUNE_LAYER};
    CHECK(fit(m, d, &p, NULL, 0) == DC_OK, "prune (each layer): %s", dc_last_error());
    for (int i = 0; i < dc_model_num_param_tensors(m); i++) {
        const char *name;
        dc_tensor *t = dc_model_param_tensor(m, i, &name);
        if (!strstr(name, "weight")) continue;
        CHECK(zeros(t) == llround(0.7 * (double)t->size), "%s: %lld zeros of %lld, want exactly %lld", name, (long long)zeros(t),
              (long long)t->size, llround(0.7 * (double)t->size));
    }
    int64_t total, z = dc_model_pruned(m, &total);
    CHECK(total == 6 * 32 + 32 * 16 + 16 * 3 && dc_model_pruning(m) != NULL, "the matrices counted (%lld) and the pruning said", (long long)total);
    dc_model_free(m);
    m = mlp();
    p.scope = DC_PRUNE_GLOBAL;
    CHECK(fit(m, d, &p, NULL, 0) == DC_OK, "prune (global): %s", dc_last_error());
    z = dc_model_pruned(m, &total);
    CHECK(z == llround(0.7 * (double)total), "global: %lld zeros of %lld", (long long)z, (long long)total);
    dc_model_free(m);
    m = mlp();
    p.sparsity = 1.5f;
    CHECK_ERR(fit(m, d, &p, NULL, 0) != DC_OK, "sparsity 1.5 is not in (0, 1)");
    dc_model_free(m);
}

/* The same run in one go, and stopped after 13 steps, saved, loaded, resumed. */
static void resume(const dc_dataset *d) {
    dc_prune_config p = {.sparsity = 0.6f, .frequency = 3, .scope = DC_PRUNE_LAYER};
    dc_model *a = mlp();
    CHECK(fit(a, d, &p, NULL, 0) == DC_OK, "whole run: %s", dc_last_error());
    dc_model *b = mlp();
    dc_train_state *s = dc_train_state_new();
    CHECK(fit(b, d, &p, s, 13) == DC_ERR_INTERRUPTED, "stopped after 13 steps");
    CHECK(dc_model_save_state(b, s, path_of("part.safetensors")) == DC_OK, "save: %s", dc_last_error());
    dc_train_state_free(s);
    dc_model_free(b);
    b = dc_model_load_state(path_of("part.safetensors"), &s);
    CHECK(b && s, "load the stopped run: %s", dc_last_error());
    if (!b || !s) return;
    CHECK(fit(b, d, NULL, s, 0) == DC_OK, "resumed: %s", dc_last_error());
    CHECK(!memcmp(dc_model_params(a), dc_model_params(b), sizeof(float) * (size_t)dc_model_num_params(a)),
          "a resumed prune gives the uninterrupted one's weights bit for bit");
    /* asking a resumed run for other settings is an error */
    dc_prune_config other = {.sparsity = 0.9f};
    CHECK_ERR(fit(b, d, &other, s, 0) != DC_OK, "keeps the settings it started with");
    dc_train_state_free(s);
    dc_model_free(b);

    /* a mask that disagrees with the weights: a pruned weight made 0.5 */
    b = dc_model_load_state(path_of("part.safetensors"), &s);
    if (!b || !s) return;
    float *w = dc_model_params(b);
    int64_t k = 0;
    while (k < dc_model_num_params(b) && w[k] != 0.0f) k++;
    w[k] = 0.5f;
    CHECK(dc_model_save_state(b, s, path_of("bad_mask.safetensors")) == DC_OK, "save");
    dc_train_state *s2 = NULL;
    dc_model *c = dc_model_load_state(path_of("bad_mask.safetensors"), &s2);
    CHECK_ERR(c == NULL, "train.prune_mask disagrees with the weights");
    dc_model_free(c);
    dc_train_state_free(s2);
    dc_train_state_free(s);
    dc_model_free(b);

    /* the finished model stored sparse: smaller, the same values back */
    CHECK(dc_model_save(a, path_of("pruned.safetensors")) == DC_OK, "save pruned");
    dc_st_file *f = dc_st_open(path_of("pruned.safetensors"));
    const dc_st_tensor *bm = f ? dc_st_find(f, "dense.weight.sparse_bitmap") : NULL, *vals = f ? dc_st_find(f, "dense.weight.sparse_values") : NULL;
    CHECK(bm && vals && !dc_st_find(f, "dense.weight") && bm->shape[0] == (6 * 32 + 7) / 8 && vals->shape[0] == 6 * 32 - llround(0.6 * 192),
          "dense.weight stored as a bitmap and its %lld values", (long long)(6 * 32 - llround(0.6 * 192)));
    CHECK(f && dc_st_metadata(f, "pruning"), "the pruning metadata");
    dc_model *r = dc_model_load(path_of("pruned.safetensors"));
    CHECK(r && !memcmp(dc_model_params(a), dc_model_params(r), sizeof(float) * (size_t)dc_model_num_params(a)),
          "the sparse file reads back the same weights");
    /* a damaged bitmap: a bit more than there are values */
    if (f && bm && vals) {
        int n = dc_st_count(f);
        dc_st_entry *e = calloc((size_t)n, sizeof *e);
        uint8_t *bits = malloc((size_t)bm->nbytes);
        memcpy(bits, bm->data, (size_t)bm->nbytes);
        for (int64_t i = 0; i < bm->nbytes * 8; i++)
            if (!(bits[i / 8] >> (i % 8) & 1)) {
                bits[i / 8] |= (uint8_t)(1u << (i % 8));
                break;
            }
        for (int i = 0; i < n; i++) {
            const dc_st_tensor *t = dc_st_get(f, i);
            e[i] = (dc_st_entry){t->name, t->ndim, t->shape, t == bm ? (const void *)bits : t->data, t->dtype};
        }
        const char *keys[] = {"format", "format_version", "description", "pruning"};
        const char *v[] = {dc_st_metadata(f, "format"), dc_st_metadata(f, "format_version"), dc_st_metadata(f, "description"),
                           dc_st_metadata(f, "pruning")};
        CHECK(dc_st_write(path_of("bad_bits.safetensors"), e, n, keys, v, 4) == DC_OK, "write the damaged copy");
        dc_model *x = dc_model_load(path_of("bad_bits.safetensors"));
        CHECK_ERR(x == NULL, "dense.weight.sparse_values\" must be");
        dc_model_free(x);
        free(bits);
        free(e);
    }
    dc_st_close(f);
    dc_model_free(r);
    dc_model_free(a);
}

/* The largest difference between the two models' predictions on d. */
static double predict_diff(const dc_model *a, const dc_model *b, const dc_dataset *d, int64_t n, int width) {
    float *pa = malloc(sizeof(float) * (size_t)(n * width)), *pb = malloc(sizeof(float) * (size_t)(n * width));
    double worst = INFINITY;
    if (!dc_predict(a, d, n, 32, pa) && !dc_predict(b, d, n, 32, pb)) {
        worst = 0.0;
        for (int64_t i = 0; i < n * width; i++) worst = fmax(worst, fabs((double)pa[i] - (double)pb[i]));
    }
    free(pa), free(pb);
    return worst;
}

static void structured(const dc_dataset *d) {
    dc_model *m = mlp();
    dc_prune_config p = {.sparsity = 0.5f, .structured = 1, .scope = DC_PRUNE_LAYER};
    CHECK(fit(m, d, &p, NULL, 0) == DC_OK, "structured prune: %s", dc_last_error());
    dc_model *s = dc_model_shrink(m, NULL);
    CHECK(s != NULL, "shrink: %s", dc_last_error());
    if (s) {
        int64_t o[4];
        dc_layer_output_shape(dc_model_find_layer(s, "dense"), o);
        int64_t o1[4];
        dc_layer_output_shape(dc_model_find_layer(s, "dense_1"), o1);
        CHECK(o[0] == 16 && o1[0] == 8, "dense 32 -> 16 units, dense_1 16 -> 8 (got %lld, %lld)", (long long)o[0], (long long)o1[0]);
        CHECK(dc_model_num_params(s) == 6 * 16 + 16 + 16 * 8 + 8 + 8 * 3 + 3, "the smaller model's parameters (%lld)",
              (long long)dc_model_num_params(s));
        const double diff = predict_diff(m, s, d, 200, 3);
        CHECK(diff < 1e-5, "the smaller model predicts what the pruned one did (max diff %g)", diff);
    }
    dc_model_free(s);
    dc_model_free(m);
    /* one ranking over both hidden layers' units (global): half of the 48 go, each layer keeps some */
    m = mlp();
    dc_prune_config pg = {.sparsity = 0.5f, .structured = 1};
    CHECK(fit(m, d, &pg, NULL, 0) == DC_OK, "structured global: %s", dc_last_error());
    s = dc_model_shrink(m, NULL);
    if (s) {
        int64_t o[4], o1[4];
        dc_layer_output_shape(dc_model_find_layer(s, "dense"), o);
        dc_layer_output_shape(dc_model_find_layer(s, "dense_1"), o1);
        CHECK(o[0] + o1[0] == 24 && o[0] >= 1 && o1[0] >= 1, "24 of 48 units left (%lld + %lld)", (long long)o[0], (long long)o1[0]);
        CHECK(predict_diff(m, s, d, 200, 3) < 1e-5, "and the same predictions");
    }
    CHECK(s != NULL, "shrink (global): %s", dc_last_error());
    dc_model_free(s);
    dc_model_free(m);

    /* conv -> batchnorm -> relu -> pool -> flatten -> dense */
    const char *cnn = "input 1x8x8\n"
                      "conv2d 8 kernel=3 padding=same\n"
                      "batchnorm\n"
                      "relu\n"
                      "maxpool2d 2\n"
                      "conv2d 6 kernel=3 activation=relu\n"
                      "flatten\n"
                      "dense 12 activation=relu\n"
                      "dense 3 activation=softmax\n"
                      "loss categorical_crossentropy\n"
                      "optimizer adam lr=0.01\n"
                      "fit epochs=3 batch_size=16 validation_split=0 seed=3\n";
    dc_rng r;
    dc_rng_seed(&r, 5);
    dc_dataset *im = dc_dataset_new(96, DC_F32, 3, (int64_t[]){1, 8, 8}, DC_I32, 0, NULL);
    im->num_classes = 3;
    for (int64_t i = 0; i < 96; i++) {
        const int c = (int)dc_rng_below(&r, 3);
        ((int32_t *)im->y.data)[i] = c;
        for (int k = 0; k < 64; k++) ((float *)im->x.data)[i * 64 + k] = (k / 8 % 3 == c ? 1.0f : 0.0f) + 0.3f * dc_rng_normal(&r);
    }
    m = dc_model_parse(cnn, "cnn.dc");
    CHECK(m && fit(m, im, &p, NULL, 0) == DC_OK, "structured prune of a CNN: %s", dc_last_error());
    s = m ? dc_model_shrink(m, NULL) : NULL;
    CHECK(s != NULL, "shrink the CNN: %s", dc_last_error());
    if (s) {
        dc_layer *bn = dc_model_find_layer(s, "batch_normalization");
        CHECK(bn && dc_layer_param(bn, "running_mean")->size == 4, "the batchnorm keeps the conv's 4 filters");
        const double diff = predict_diff(m, s, im, 96, 3);
        CHECK(diff < 1e-5, "the smaller CNN predicts what the pruned one did (max diff %g)", diff);
        CHECK(dc_model_save(s, path_of("shrunk.safetensors")) == DC_OK, "save the smaller model");
        dc_model *back = dc_model_load(path_of("shrunk.safetensors"));
        CHECK(back && predict_diff(s, back, im, 96, 3) == 0.0, "and it reads back: %s", dc_last_error());
        dc_model_free(back);
    }
    dc_model_free(s);
    dc_model_free(m);
    dc_dataset_free(im);

    /* nothing to remove */
    m = dc_model_parse("input 6\ndense 3 activation=softmax\nloss categorical_crossentropy\n", "one.dc");
    CHECK_ERR(m && fit(m, d, &p, NULL, 0) != DC_OK, "no layer can lose units");
    dc_model_free(m);
}

static void sparse_kernels(void) {
    const int64_t shapes[][3] = {{1, 40, 70}, {7, 33, 50}, {130, 20, 40}};
    dc_rng r;
    dc_rng_seed(&r, 9);
    for (int s = 0; s < 3; s++) {
        const int64_t M = shapes[s][0], N = shapes[s][1], K = shapes[s][2];
        dc_tensor *w = dc_tensor_new(DC_F32, 2, (int64_t[]){N, K}), *b = dc_tensor_new(DC_F32, 1, (int64_t[]){N});
        for (int64_t i = 0; i < w->size; i++) w->data[i] = dc_rng_uniform(&r) < 0.9f ? 0.0f : dc_rng_normal(&r);
        for (int64_t i = 0; i < N; i++) b->data[i] = dc_rng_normal(&r);
        dc_tensor *st, *col, *val;
        CHECK(dc_csr_from_dense(w->data, N, K, &st, &col, &val) == DC_OK, "csr: %s", dc_last_error());
        dc_graph *g = dc_graph_new();
        dc_graph_set_grad_enabled(g, 0);
        dc_graph_set_trace(g, 1);
        dc_tensor *x = dc_input(g, DC_F32, 2, (int64_t[]){M, K});
        for (int64_t i = 0; i < x->size; i++) x->data[i] = dc_rng_normal(&r);
        dc_tensor *yd = dc_linear(g, x, w, b);
        dc_k_quant_force_portable(1);
        dc_tensor *yp = dc_sparse_linear(g, x, st, col, val, b);
        dc_k_quant_force_portable(0);
        dc_tensor *yf = dc_sparse_linear(g, x, st, col, val, b);
        double worst = 0.0;
        for (int64_t i = 0; yd && yf && i < yd->size; i++) worst = fmax(worst, fabs((double)yd->data[i] - yf->data[i]));
        CHECK(yd && yf && worst < 1e-5, "%lldx%lldx%lld: sparse against dense, max diff %g", (long long)M, (long long)N, (long long)K, worst);
        CHECK(yp && yf && !memcmp(yp->data, yf->data, sizeof(float) * (size_t)yf->size), "portable and AVX-512 loops: the same bits");
        float *ref = malloc(sizeof(float) * (size_t)(M * N));
        CHECK(yf && dc_trace_run_reference(g, yf, ref) == DC_OK, "trace reference: %s", dc_last_error());
        worst = 0.0;
        for (int64_t i = 0; yf && i < yf->size; i++) worst = fmax(worst, fabs((double)ref[i] - yf->data[i]));
        CHECK(worst < 1e-5, "the reference kernel agrees (max diff %g)", worst);
        free(ref);
        dc_graph_free(g);
        dc_tensor_free(st), dc_tensor_free(col), dc_tensor_free(val), dc_tensor_free(w), dc_tensor_free(b);
    }
}

/* A session of a 95% pruned MLP runs its matrices sparse, and predicts as dc_predict (dense). */
static void sparse_session(const dc_dataset *d) {
    dc_model *m = mlp();
    dc_prune_config p = {.sparsity = 0.95f};
    CHECK(fit(m, d, &p, NULL, 0) == DC_OK, "prune 95%%: %s", dc_last_error());
    dc_sparse_set *set = dc_sparse_set_new(m);
    CHECK(set && set->node[1] && set->node[1][0].val, "the session makes the first matrix CSR (5%% kept)");
    dc_sparse_set_free(set);
    dc_session *ses = dc_session_new(m, 64);
    float *a = malloc(sizeof(float) * 64 * 3), *b = malloc(sizeof(float) * 64 * 3);
    CHECK(ses && dc_session_predict(ses, d->x.data, 64, a) == DC_OK && dc_predict(m, d, 64, 64, b) == DC_OK, "predict: %s", dc_last_error());
    double worst = 0.0;
    for (int i = 0; i < 64 * 3; i++) worst = fmax(worst, fabs((double)a[i] - b[i]));
    CHECK(worst < 1e-5, "the sparse session predicts as the dense path (max diff %g)", worst);
    CHECK(ses && dc_session_predict(ses, d->x.data, 1, a) == DC_OK && fabs(a[0] - b[0]) < 1e-5, "one row (the gather loop)");
    free(a), free(b);
    dc_session_free(ses);
    /* an unpruned model gets none */
    dc_model *u = mlp();
    CHECK(dc_sparse_set_new(u) == NULL, "no CSR for a model that was not pruned");
    dc_model_free(u);
    dc_model_free(m);
}

int main(int argc, char **argv) {
    if (test_workdir(argc, argv, "prune_tmp")) return 1;
    dc_dataset *d = test_blobs(300, 11);
    schedule();
    exact_sparsity(d);
    resume(d);
    structured(d);
    sparse_kernels();
    sparse_session(d);
    dc_dataset_free(d);
    return test_summary("prune");
}
