/* test_graph.c — models that are not a chain: residual blocks, merges,
 * several outputs, repeated blocks, the sampling layer of a VAE; gradient
 * checks of whole models across merges and the KL term; malformed graph
 * descriptions; models built in C written back as text; training hooks. */
#include "test.h"

static dc_dataset *blobs(int64_t n, uint64_t seed) { return test_blobs(n, seed); }

static void expect_parse_error(const char *text, const char *where, const char *needle) {
    dc_model *m = dc_model_parse(text, "g.dc");
    CHECK(m == NULL && strstr(dc_last_error(), where) && strstr(dc_last_error(), needle),
          "description %s: expected \"%s\" ... \"%s\", got \"%s\"", where, where, needle, dc_last_error());
    dc_model_free(m);
}

/* Loss of the model on a fixed batch, with the generator reseeded (the same
 * noise every time: sampling layers become deterministic functions). */
static double model_loss(dc_model *m, dc_graph *g, const dc_dataset *d, dc_rng *r, int backward) {
    dc_graph_reset(g);
    dc_rng_seed(r, 1234);
    int64_t xs[2] = {d->n, d->x.size}, ys[1] = {d->n};
    dc_tensor *x = dc_input(g, DC_F32, 2, xs), *y = dc_input(g, DC_I32, 1, ys);
    memcpy(x->data, d->x.data, sizeof(float) * (size_t)x->size);
    memcpy(y->idata, d->y.data, sizeof(int32_t) * (size_t)d->n);
    dc_tensor *l = dc_model_loss_of(m, g, x, y, NULL, NULL);
    if (!l) return NAN;
    if (backward) {
        memset(dc_model_grads(m), 0, sizeof(float) * (size_t)dc_model_num_params(m));
        dc_backward(g, l);
    }
    return l->data[0];
}

/* Every parameter's gradient against a central difference of the loss. */
static void model_gradcheck(const char *name, const char *desc) {
    dc_model *m = dc_model_parse(desc, name);
    CHECK(m != NULL, "%s: %s", name, dc_last_error());
    if (!m) return;
    dc_dataset *d = blobs(8, 3);
    dc_graph *g = dc_graph_new();
    dc_rng r;
    dc_graph_set_rng(g, &r);
    dc_graph_set_training(g, 1);
    double l0 = model_loss(m, g, d, &r, 1);
    int64_t n = dc_model_num_params(m);
    float *p = dc_model_params(m), *an = malloc(sizeof(float) * (size_t)n);
    memcpy(an, dc_model_grads(m), sizeof(float) * (size_t)n);
    int bad = 0, nonzero = 0;
    double worst = 0;
    for (int64_t i = 0; i < n; i++) {
        float keep = p[i], h = 1e-2f * (fabsf(keep) > 1 ? fabsf(keep) : 1);
        p[i] = keep + h;
        double lp = model_loss(m, g, d, &r, 0);
        p[i] = keep - h;
        double lm = model_loss(m, g, d, &r, 0);
        p[i] = keep;
        double num = (lp - lm) / (2.0 * (double)h), err = fabs(num - an[i]) / (1e-3 + fabs(num) + fabs(an[i]));
        if (err > worst) worst = err;
        bad += err > 2e-2;
        nonzero += an[i] != 0.0f;
    }
    CHECK(isfinite(l0) && bad == 0 && nonzero > n / 2, "%s: %d of %lld gradients off (worst relative error %.3g), %d non-zero",
          name, bad, (long long)n, worst, nonzero);
    free(an);
    dc_graph_free(g);
    dc_dataset_free(d);
    dc_model_free(m);
}

static const char *residual =
    "input 6\n"
    "dense 16 activation=relu name=h\n"
    "dense 16 activation=tanh\n"
    "dense 16 name=f\n"
    "add inputs=h,f\n"
    "relu\n"
    "dense 3 activation=softmax\n"
    "optimizer adam lr=0.01\n"
    "fit epochs=15 batch_size=32 seed=4\n";

static void gradient_tests(void) {
    /* smooth activations: a finite difference across a ReLU kink is wrong */
    model_gradcheck("residual", "input 6\ndense 16 activation=tanh name=h\ndense 16 activation=sigmoid\ndense 16 name=f\n"
                                "add inputs=h,f\ntanh\ndense 3 activation=softmax\n");
    model_gradcheck("merges",
                    "input 6\ndense 5 activation=tanh name=a\ndense 5 activation=sigmoid inputs=input name=b\n"
                    "multiply inputs=a,b name=ab\nconcat inputs=ab,a,input\ndense 3\nloss categorical_crossentropy\n");
    /* the KL term and the reparameterisation, with a reconstruction loss */
    model_gradcheck("sampling",
                    "input 6\ndense 8 activation=tanh name=enc\ndense 2 name=mu\ndense 2 inputs=enc name=logvar\n"
                    "sampling inputs=mu,logvar\ndense 8 activation=tanh\ndense 6 activation=sigmoid\n"
                    "loss binary_crossentropy target=input reduction=sum name=reconstruction\n");
}

static void training_tests(void) {
    dc_dataset *train = blobs(600, 1), *test = blobs(300, 2);
    double loss, acc;
    /* a residual MLP learns */
    dc_model *m = dc_model_parse(residual, "res.dc");
    CHECK(m && dc_model_num_layers(m) == 6, "residual model: %s", dc_last_error());
    dc_fit_options fo = {.verbose = 0, .validation_split = -1, .shuffle = -1};
    CHECK(m && dc_fit(m, train, &fo, NULL) == DC_OK && dc_evaluate(m, test, 0, &loss, &acc) == DC_OK && acc > 0.9,
          "residual MLP accuracy %.3f: %s", acc, dc_last_error());
    dc_model_free(m);

    /* two outputs trained together: classes from the labels, the input reconstructed */
    const char *two =
        "input 6\ndense 16 activation=relu name=body\n"
        "dense 3 activation=softmax name=classes\n"
        "dense 6 inputs=body name=reconstruction\n"
        "output classes,reconstruction\n"
        "loss categorical_crossentropy output=classes\n"
        "loss mse output=reconstruction target=input weight=0.5\n"
        "optimizer adam lr=0.01\nfit epochs=20 batch_size=32\n";
    m = dc_model_parse(two, "two.dc");
    CHECK(m && dc_model_num_outputs(m) == 2, "two-output model: %s", dc_last_error());
    dc_history h;
    CHECK(m && dc_fit(m, train, &fo, &h) == DC_OK, "two-output fit: %s", dc_last_error());
    if (m && h.epochs_run == 20) {
        const dc_epoch_stats *a = &h.epoch[0], *z = &h.epoch[19];
        CHECK(z->nparts == 2 && !strcmp(z->part_name[0], "classes") && !strcmp(z->part_name[1], "reconstruction"),
              "parts named after their outputs (%d: %s)", z->nparts, z->part_name[0]);
        CHECK(z->part[0] < 0.5 * a->part[0] && z->part[1] < 0.7 * a->part[1], "both parts fall: %g -> %g, %g -> %g", a->part[0],
              z->part[0], a->part[1], z->part[1]);
        CHECK(fabs(z->loss - (z->part[0] + 0.5 * z->part[1])) < 1e-4, "loss = classes + 0.5 reconstruction (%g)", z->loss);
        CHECK(dc_evaluate(m, test, 0, &loss, &acc) == DC_OK && acc > 0.9, "two-output model accuracy %.3f", acc);
        dc_history_free(&h);
    }
    dc_model_free(m);

    /* a repeated residual block: names get the copy's number */
    const char *rep = "input 6\ndense 8 activation=relu\nrepeat 3\n  dense 8 activation=relu name=fc\n  dense 8 name=lin\n"
                      "  add inputs=lin,block_input name=res\nend\ndense 3 activation=softmax\nfit epochs=10\n";
    m = dc_model_parse(rep, "rep.dc");
    CHECK(m && dc_model_num_layers(m) == 1 + 3 * 3 + 1 && dc_model_find_layer(m, "fc_3") && dc_model_find_layer(m, "res_2"),
          "repeat 3: %s", dc_last_error());
    CHECK(m && dc_fit(m, train, &fo, NULL) == DC_OK && dc_evaluate(m, test, 0, &loss, &acc) == DC_OK && acc > 0.9,
          "repeated blocks train: %.3f", acc);
    dc_model_free(m);
    dc_dataset_free(train);
    dc_dataset_free(test);
}

/* A class per time step: targets (N, 4) of 3 classes, some steps padded
 * (DC_IGNORE_INDEX); the output (N, 4, 3); accuracy counts real tokens. */
static void sequence_target_test(void) {
    const int64_t n = 800, T = 4;
    dc_dataset *d = dc_dataset_new(n, DC_F32, 1, (int64_t[]){6}, DC_I32, 1, (int64_t[]){T});
    dc_rng r;
    dc_rng_seed(&r, 8);
    float *x = d->x.data;
    int32_t *y = d->y.data;
    d->num_classes = 3;
    for (int64_t i = 0; i < n; i++) {
        for (int k = 0; k < 6; k++) x[i * 6 + k] = dc_rng_normal(&r);
        for (int64_t t = 0; t < T; t++) /* step t: which of x[t], x[t+1], x[t+2] is largest */
            y[i * T + t] = x[i * 6 + t] > x[i * 6 + t + 1] ? (x[i * 6 + t] > x[i * 6 + t + 2] ? 0 : 2) : (x[i * 6 + t + 1] > x[i * 6 + t + 2] ? 1 : 2);
        if (i % 2) y[i * T + T - 1] = DC_IGNORE_INDEX; /* padded */
    }
    dc_model *m = dc_model_parse("input 6\ndense 64 activation=tanh\ndense 12\nreshape 4x3\nsoftmax\n"
                                 "loss categorical_crossentropy\noptimizer adam lr=0.01\nfit epochs=40 batch_size=32\n", "seq.dc");
    dc_fit_options fo = {.verbose = 0, .validation_split = 0.25f, .shuffle = -1};
    dc_history h;
    CHECK(m && dc_fit(m, d, &fo, &h) == DC_OK, "per-step targets: %s", dc_last_error());
    if (m && h.epochs_run) {
        CHECK(h.epoch[h.epochs_run - 1].val_accuracy > 0.85, "per-token validation accuracy %.3f", h.epoch[h.epochs_run - 1].val_accuracy);
        dc_history_free(&h);
    }
    dc_model_free(m);
    dc_dataset_free(d);
}

static void error_tests(void) {
    dc_model *ok = dc_model_parse("input 6 name=x\ndense 3 inputs=x name=a\ndense 3 inputs=x\nadd inputs=a,dense_1\n", "ok.dc");
    CHECK(ok && dc_model_find_layer(ok, "x") && dc_model_find_layer(ok, "dense_1") && !dc_model_find_layer(ok, "input"),
          "a named input: %s", dc_last_error());
    dc_model_free(ok);
    expect_parse_error("input 6 name=x\ndense 3 name=x\n", "g.dc:2:1", "duplicate layer name \"x\"");
    expect_parse_error("input 6\ndense 4 inputs=b name=a\ndense 4 inputs=a name=b\n", "g.dc:2:16",
                       "\"b\" is defined on a later line: a layer takes inputs from earlier lines only (no cycles)");
    expect_parse_error("input 6\ndense 4 name=a\ndense 4 name=b\nadd inputs=a,c\n", "g.dc:4:14", "no layer named \"c\"");
    expect_parse_error("input 6\ndense 4 name=a\ndense 5 name=b\nadd inputs=a,b\n", "g.dc:4:1",
                       "add: input 2 has shape (5), input 1 has (4) (they must be equal)");
    expect_parse_error("input 6\ndense 4 name=a\ndense 4 name=a\n", "g.dc:3:1", "duplicate layer name \"a\" (line 2 has it already)");
    expect_parse_error("input 6\ndense 4 name=a\ndense 4 inputs=input\ndense 2\n", "g.dc:2:1",
                       "layer \"a\" is not used: its output goes nowhere");
    expect_parse_error("input 6\ndense 4\nadd inputs=dense\n", "g.dc:3:1", "add takes 2 to 16 inputs");
    expect_parse_error("input 6\ndense 4 name=a\ndense 4 inputs=input name=b\noutput a,b\n", "g.dc",
                       "2 outputs: give a 'loss' line for each");
    expect_parse_error("input 6\nrepeat 2\ndense 4\n", "g.dc:2:1", "'repeat' without a matching 'end'");
    expect_parse_error("input 6\ndense 4\nend\n", "g.dc:3:1", "'end' without 'repeat'");
    expect_parse_error("input 6\ndense 4\nsampling inputs=dense,input\n", "g.dc:3:1", "sampling: inputs=MU,LOGVAR");
    expect_parse_error("input 6\ndense 4\nloss mse output=dens\n", "g.dc:3:17", "no layer named \"dens\"");
    expect_parse_error("input 6\ndense 4\nconcat inputs=dense,input axis=5\n", "g.dc:3:1", "axis 5 does not exist");
    expect_parse_error("input 6\ndense 4 name=\n", "g.dc:2:14", "name must be");
}

/* Hooks: after_backward sees every step, after_epoch can stop the run. */
static int nbackward, nbatches;
static int count_backward(dc_model *m, void *u) {
    (void)m;
    (void)u;
    nbackward++;
    return 0;
}
static int count_batch(dc_model *m, int epoch, int64_t step, double loss, void *u) {
    (void)m;
    (void)epoch;
    (void)step;
    (void)u;
    nbatches += isfinite(loss);
    return 0;
}
static int stop_after_two(dc_model *m, const dc_epoch_stats *e, void *u) {
    (void)m;
    (void)e;
    return ++*(int *)u == 2;
}

static int set_stop_at_two(dc_model *m, const dc_epoch_stats *e, void *u) {
    (void)m;
    (void)e;
    static int seen;
    if (++seen == 2) *(volatile int *)u = 1; /* what a signal during validation does */
    return 0;
}

static void hook_tests(void) {
    dc_dataset *train = blobs(100, 1);
    dc_model *m = dc_model_parse("input 6\ndense 3 activation=softmax\nfit epochs=5 batch_size=25\n", "h.dc");
    int epochs = 0;
    dc_callbacks cb = {count_backward, count_batch, stop_after_two, &epochs};
    dc_fit_options fo = {.verbose = 0, .validation_split = -1, .shuffle = -1, .callbacks = &cb};
    dc_status st = dc_fit(m, train, &fo, NULL);
    CHECK(st == DC_ERR_INTERRUPTED && epochs == 2 && nbackward == 8 && nbatches == 8, "hooks: st %d, %d epochs, %d backward, %d batches",
          st, epochs, nbackward, nbatches);
    volatile int stop = 1;
    dc_fit_options fo2 = {.verbose = 0, .validation_split = -1, .shuffle = -1, .stop = &stop};
    CHECK(dc_fit(m, train, &fo2, NULL) == DC_ERR_INTERRUPTED, "the stop flag stops after a batch");
    /* a stop asked for during an epoch's validation (here: its after_epoch
     * hook) stops at that epoch's end, not one batch into the next */
    stop = 0;
    const char *desc = "input 6\ndense 3 activation=softmax\nfit epochs=5 batch_size=25 seed=3\n";
    dc_model *ms = dc_model_parse(desc, "s.dc"), *m2 = dc_model_parse(desc, "s.dc");
    dc_callbacks cb3 = {NULL, NULL, set_stop_at_two, (void *)&stop};
    dc_train_state *ts = dc_train_state_new();
    dc_fit_options fo3 = {.verbose = 0, .validation_split = 0.2f, .shuffle = -1, .callbacks = &cb3, .stop = &stop, .state = ts};
    st = dc_fit(ms, train, &fo3, NULL);
    dc_fit_options two = {.verbose = 0, .validation_split = 0.2f, .shuffle = -1, .epochs = 2};
    CHECK(dc_fit(m2, train, &two, NULL) == DC_OK, "two epochs: %s", dc_last_error());
    CHECK(st == DC_ERR_INTERRUPTED && dc_train_state_epoch(ts) == 2 &&
              !memcmp(dc_model_params(ms), dc_model_params(m2), sizeof(float) * (size_t)dc_model_num_params(ms)),
          "a stop during validation ends the run at that epoch's end (st %d after %d epochs)", st, dc_train_state_epoch(ts));
    dc_train_state_free(ts);
    dc_model_free(ms);
    dc_model_free(m2);

    /* a loop of one's own around dc_train_step */
    dc_graph *g = dc_graph_new();
    dc_rng r;
    dc_rng_seed(&r, 1);
    dc_graph_set_rng(g, &r);
    dc_optimizer *opt = dc_optimizer_new(dc_sgd(0.5f), dc_model_num_params(m));
    double first = 0, loss = 0;
    for (int step = 0; step < 40; step++) {
        dc_graph_reset(g);
        int64_t xs[2] = {25, 6}, ys[1] = {25};
        dc_tensor *x = dc_input(g, DC_F32, 2, xs), *y = dc_input(g, DC_I32, 1, ys);
        int64_t off = (step % 4) * 25;
        memcpy(x->data, (float *)train->x.data + off * 6, sizeof(float) * 150);
        memcpy(y->idata, (int32_t *)train->y.data + off, sizeof(int32_t) * 25);
        CHECK(dc_train_step(m, g, opt, x, y, NULL, NULL, &loss, NULL) == DC_OK, "train step: %s", dc_last_error());
        if (step == 0) first = loss;
    }
    CHECK(loss < 0.5 * first, "own loop: loss %g -> %g", first, loss);
    dc_optimizer_free(opt);
    dc_graph_free(g);
    dc_model_free(m);
    dc_dataset_free(train);
}

/* Two inputs, two outputs, forward and backward reach both inputs' paths. */
static void multi_io_test(void) {
    dc_model *m = dc_model_parse("input 3\ninput 2 name=aux\ndense 4 inputs=input name=a\ndense 4 inputs=aux name=b\n"
                                 "concat inputs=a,b name=ab\ndense 1 name=score\nmultiply inputs=a,b name=prod\noutput score,prod\n"
                                 "loss mse output=score\nloss mse output=prod\n", "io.dc");
    CHECK(m && dc_model_num_outputs(m) == 2, "two inputs, two outputs: %s", dc_last_error());
    if (!m) return;
    dc_graph *g = dc_graph_new();
    dc_tensor *x = dc_input(g, DC_F32, 2, (int64_t[]){5, 3}), *aux = dc_input(g, DC_F32, 2, (int64_t[]){5, 2}), *out[2];
    for (int i = 0; i < 15; i++) x->data[i] = 0.1f * (float)i;
    for (int i = 0; i < 10; i++) aux->data[i] = 1.0f - 0.1f * (float)i;
    dc_tensor *in[2] = {x, aux};
    CHECK(dc_model_forward_all(m, g, in, 2, out) == DC_OK && out[0]->shape[1] == 1 && out[1]->shape[1] == 4, "forward_all: %s",
          dc_last_error());
    memset(dc_model_grads(m), 0, sizeof(float) * (size_t)dc_model_num_params(m));
    CHECK(dc_backward(g, dc_add(g, dc_sum(g, out[0], DC_ALL_AXES, 0), dc_sum(g, out[1], DC_ALL_AXES, 0))) == DC_OK, "backward");
    dc_tensor *wb = dc_layer_param(dc_model_find_layer(m, "b"), "weight");
    float s = 0;
    for (int64_t i = 0; i < wb->size; i++) s += fabsf(wb->grad[i]);
    CHECK(s > 0, "the second input's branch gets gradient");
    CHECK_ERR(dc_model_forward_all(m, g, in, 1, out) != DC_OK, "1 inputs given, the model has 2");
    dc_graph_free(g);
    dc_model_free(m);
}

/* A graph built in C is written back as a description and reloads. */
static void c_graph_test(void) {
    dc_model *m = dc_model_new(1, (int64_t[]){6});
    CHECK(dc_model_add(m, "dense", "8 activation=relu name=h") && dc_model_add(m, "dense", "8") &&
              dc_model_add(m, "add", "inputs=h,dense_1") && dc_model_add(m, "dropout", "0.25") &&
              dc_model_add(m, "dense", "3 activation=softmax use_bias=false") && !dc_model_add(m, "dense", "3 activaton=relu") &&
              !dc_model_add(m, "flux", ""),
          "dc_model_add: %s", dc_last_error());
    CHECK(strstr(dc_last_error(), "unknown layer kind \"flux\""), "unknown kind: %s", dc_last_error());
    CHECK(dc_model_build(m, 3) == DC_OK && dc_model_compile(m, DC_LOSS_CATEGORICAL_CE, dc_adam(0.01f)) == DC_OK, "build");
    dc_dataset *d = blobs(200, 5);
    dc_fit_options fo = {.epochs = 3, .verbose = 0, .validation_split = -1, .shuffle = -1};
    CHECK(dc_fit(m, d, &fo, NULL) == DC_OK, "fit C graph: %s", dc_last_error());
    CHECK(dc_model_save(m, path_of("cg.safetensors")) == DC_OK, "save: %s", dc_last_error());
    dc_model *r = dc_model_load(path_of("cg.safetensors"));
    CHECK(r != NULL, "reload: %s", dc_last_error());
    if (r) {
        float a[600], b[600];
        CHECK(dc_predict(m, d, 200, 50, a) == DC_OK && dc_predict(r, d, 200, 50, b) == DC_OK && !memcmp(a, b, sizeof a),
              "reloaded graph predicts identically");
        const char *desc = dc_model_description(r);
        CHECK(strstr(desc, "add inputs=h,dense_1\n") && strstr(desc, "dense 3 activation=softmax use_bias=false\n") &&
                  strstr(desc, "loss categorical_crossentropy\n") && strstr(desc, "optimizer adam lr=0.01"),
              "written description:\n%s", desc);
    }
    dc_model_free(r);
    dc_model_free(m);
    dc_dataset_free(d);
}

/* 100,000 layers build in linear time: each new name was compared with
 * every earlier one (red team f_many_layers_quadratic); now a hash. */
static void many_layers_test(void) {
    /* 10,000 blocks of 10 layers (a repeat count is at most 10,000) */
    dc_model *m = dc_model_parse("input 2\nrepeat 10000\nactivation relu\nactivation relu\nactivation relu\nactivation relu\n"
                                 "activation relu\nactivation relu\nactivation relu\nactivation relu\nactivation relu\n"
                                 "activation relu\nend\n",
                                 "many.dc");
    CHECK(m && dc_model_num_layers(m) >= 100000, "a 100,000-layer chain: %s", m ? "layers missing" : dc_last_error());
    dc_model_free(m);
    /* nested repeats multiply (10^8 copies here): refused at a budget, not
     * a hang (found by fuzz_describe) */
    m = dc_model_parse("input 4\nrepeat 10000\nrepeat 10000\ndense 4\nend\nend\n", "nested.dc");
    CHECK_ERR(m == NULL, "nested.dc:4:1: the repeat blocks expand the description to over 150000 lines");
    dc_model_free(m);
}

int main(int argc, char **argv) {
    if (test_workdir(argc, argv, "graph_tmp")) return 2;
    many_layers_test();
    gradient_tests();
    training_tests();
    sequence_target_test();
    error_tests();
    hook_tests();
    multi_io_test();
    c_graph_test();
    return test_summary("test_graph");
}
