/* test_model.c — model descriptions (good and malformed), building in C,
 * training on a synthetic problem, determinism, NaN handling, and the model
 * file round trip. */
#include "test.h"
#include <unistd.h>


static dc_dataset *blobs(int64_t n, uint64_t seed) { return test_blobs(n, seed); }

static const char *good =
    "# a small classifier\n"
    "input 6\n"
    "dense 16 activation=relu kernel_initializer=he_uniform   # hidden\n"
    "dropout 0.1\n"
    "dense units=3\n"
    "softmax\n"
    "loss categorical_crossentropy\n"
    "optimizer adam lr=0.01\n"
    "fit epochs=5 batch_size=16 seed=3\n";

static void expect_parse_error(const char *text, const char *where, const char *needle) {
    dc_model *m = dc_model_parse(text, "bad.dc");
    CHECK(m == NULL && strstr(dc_last_error(), where) && strstr(dc_last_error(), needle),
          "description %s: expected \"%s\" ... \"%s\", got \"%s\"", where, where, needle, dc_last_error());
    dc_model_free(m);
}

static void description_tests(void) {
    dc_model *m = dc_model_parse(good, "good.dc");
    CHECK(m != NULL, "good description: %s", dc_last_error());
    if (!m) return;
    CHECK(dc_model_num_layers(m) == 4 && dc_model_num_params(m) == 6 * 16 + 16 + 16 * 3 + 3, "layers and params");
    CHECK(dc_model_loss(m) == DC_LOSS_CATEGORICAL_CE && dc_model_optimizer(m)->lr == 0.01f, "loss and optimizer");
    CHECK(dc_model_fit_config(m)->epochs == 5 && dc_model_fit_config(m)->batch_size == 16, "fit line");
    const char *name;
    dc_model_param_tensor(m, 0, &name);
    CHECK(!strcmp(name, "dense.weight"), "parameter names: %s", name);
    dc_model_param_tensor(m, 3, &name);
    CHECK(!strcmp(name, "dense_1.bias"), "parameter names: %s", name);
    FILE *f = tmpfile();
    dc_model_summary(m, f);
    rewind(f);
    char buf[4096] = {0};
    CHECK(fread(buf, 1, sizeof buf - 1, f) > 0 && strstr(buf, "dense_1 (Dense)") && strstr(buf, "Total params: 163"),
          "summary: %s", buf);
    fclose(f);
    dc_model_free(m);

    expect_parse_error("input 6\ndnse 3\n", "bad.dc:2:1", "unknown keyword \"dnse\"");
    expect_parse_error("input 6\ndense 3 activaton=relu\n", "bad.dc:2:9", "unknown option \"activaton\"");
    expect_parse_error("input 6\ndense 3 activation=relux\n", "bad.dc:2:20", "unknown activation");
    expect_parse_error("input 6\ndense -4\n", "bad.dc:2:7", "outside");
    expect_parse_error("input 6\ndense many\n", "bad.dc:2:7", "whole number");
    expect_parse_error("dense 3\n", "bad.dc:1:1", "before 'input'");
    expect_parse_error("input 28xx28\nflatten\n", "bad.dc:1:10", "input shape");
    expect_parse_error("input 1x28x28\ndense 10\n", "bad.dc:2:1", "add a flatten layer first");
    expect_parse_error("input 6\ndropout 1.5\n", "bad.dc:2:9", "outside");
    expect_parse_error("input 6\ndense 3\nloss hinge\n", "bad.dc:3:6", "unknown loss");
    expect_parse_error("input 6\ndense 3\noptimizer adam lr=fast\n", "bad.dc:3:19", "must be a number");
    expect_parse_error("input 6\ndense 3\nfit epochs=0\n", "bad.dc:3:12", "outside");
    expect_parse_error("input 6\ninput 7\n", "bad.dc:2:1", "second 'input'");
    expect_parse_error("# nothing\n", "bad.dc", "no 'input' line");
    expect_parse_error("input 6\n", "bad.dc", "no layers");
    expect_parse_error("input 6\ndense 3 extra\n", "bad.dc:2:9", "unexpected \"extra\"");
    expect_parse_error("input 6\ndense 3 kernel_initializer=magic\n", "bad.dc:2:28", "unknown initializer");
    expect_parse_error("input 6\ndense 3 # caf\xe9\n", "bad.dc:2:14", "byte 0xE9 is not UTF-8");
    CHECK_ERR(dc_model_parse_file(path_of("no-such.dc")) == NULL, "cannot open");
}

static void train_tests(void) {
    dc_dataset *train = blobs(600, 1), *test = blobs(300, 2);
    dc_model *m = dc_model_parse(good, "good.dc");
    dc_fit_options fo = {.validation = test, .verbose = 0, .validation_split = -1, .shuffle = -1};
    dc_history h;
    CHECK(dc_fit(m, train, &fo, &h) == DC_OK, "fit: %s", dc_last_error());
    CHECK(h.epochs_run == 5 && h.epoch[4].loss < h.epoch[0].loss, "loss falls over 5 epochs");
    double loss, acc;
    CHECK(dc_evaluate(m, test, 64, &loss, &acc) == DC_OK && acc > 0.9, "blob accuracy %.3f", acc);
    CHECK(fabs(h.epoch[4].val_accuracy - acc) < 1e-9, "val metrics equal evaluate");
    dc_history_free(&h);

    /* same seed, same threads: bit-identical weights */
    dc_model *m2 = dc_model_parse(good, "good.dc");
    CHECK(dc_fit(m2, train, &fo, NULL) == DC_OK, "second fit");
    CHECK(!memcmp(dc_model_params(m), dc_model_params(m2), sizeof(float) * (size_t)dc_model_num_params(m)),
          "two runs with the same seed are bit-identical");
    dc_model_free(m2);

    /* save, load, identical predictions */
    CHECK(dc_model_save(m, path_of("m.safetensors")) == DC_OK, "save: %s", dc_last_error());
    dc_model *l = dc_model_load(path_of("m.safetensors"));
    CHECK(l != NULL, "load: %s", dc_last_error());
    if (l) {
        float *p1 = malloc(sizeof(float) * 300 * 3), *p2 = malloc(sizeof(float) * 300 * 3);
        CHECK(dc_predict(m, test, 300, 64, p1) == DC_OK && dc_predict(l, test, 300, 64, p2) == DC_OK, "predict");
        CHECK(!memcmp(p1, p2, sizeof(float) * 300 * 3), "loaded model predicts identically");
        /* another batch size: oneDNN's sgemm picks its kernel by the number
         * of rows, so the last bits may differ, nothing more */
        CHECK(dc_predict(l, test, 300, 7, p2) == DC_OK, "predict in batches of 7");
        float worst = 0.0f;
        for (int i = 0; i < 300 * 3; i++) worst = fmaxf(worst, fabsf(p1[i] - p2[i]));
        CHECK(worst < 1e-6f, "batches of 7 predict the same within 1e-6 (%g)", worst);
        CHECK(dc_model_description(l) && !strcmp(dc_model_description(l), good), "description embedded");
        float s = p1[0] + p1[1] + p1[2];
        CHECK(fabsf(s - 1.0f) < 1e-5f, "softmax outputs sum to 1 (%g)", s);
        free(p1);
        free(p2);
        dc_model_free(l);
    }
    /* a model file whose tensors do not match the description */
    dc_model *other = dc_model_parse("input 6\ndense 4\ndense 3\n", "o.dc");
    dc_model_save(other, path_of("other.safetensors"));
    dc_model_free(other);
    dc_st_file *sf = dc_st_open(path_of("other.safetensors"));
    dc_st_entry e[4];
    for (int i = 0; i < 4; i++) {
        const dc_st_tensor *t = dc_st_get(sf, i);
        e[i] = (dc_st_entry){t->name, t->ndim, t->shape, t->data};
    }
    const char *k[] = {"format", "format_version", "description"};
    const char *v[] = {"deepc", "1", good}; /* description says 6-16-3 */
    dc_st_write(path_of("lying.safetensors"), e, 4, k, v, 3);
    CHECK_ERR(dc_model_load(path_of("lying.safetensors")) == NULL, "lying.safetensors");
    v[1] = "99";
    dc_st_write(path_of("future.safetensors"), e, 4, k, v, 3);
    CHECK_ERR(dc_model_load(path_of("future.safetensors")) == NULL, "version \"99\"");
    v[1] = "1";
    v[2] = "input 6\nbogus\n";
    dc_st_write(path_of("baddesc.safetensors"), e, 4, k, v, 3);
    CHECK_ERR(dc_model_load(path_of("baddesc.safetensors")) == NULL, "[embedded description]:2:1");
    dc_st_close(sf);

    /* wrong data shape and too many classes are errors, not crashes */
    dc_model *small = dc_model_parse("input 6\ndense 2 activation=softmax\n", "s.dc");
    CHECK_ERR(dc_fit(small, train, &fo, NULL) != DC_OK, "3 classes but the model outputs 2");
    dc_model_free(small);
    dc_model *wide = dc_model_parse("input 7\ndense 3\n", "w.dc");
    CHECK_ERR(dc_fit(wide, train, &fo, NULL) != DC_OK, "do not fit the model's input 7");
    dc_model_free(wide);

    /* a diverging run stops with a clear NaN/inf error */
    dc_model *boom = dc_model_parse("input 6\ndense 3\nloss mse\noptimizer sgd lr=1000000\nfit epochs=3\n", "boom.dc");
    dc_status st = dc_fit(boom, train, &fo, NULL);
    CHECK(st == DC_ERR_NUMERIC && strstr(dc_last_error(), "diverged"), "diverging fit: %d %s", st, dc_last_error());
    dc_model_free(boom);

    /* built in C, layer by layer; saved with a description written from its
     * layers, it reloads and predicts the same */
    dc_model *c = dc_model_new(1, (int64_t[]){6});
    dc_model_add_dense(c, 8, DC_ACT_TANH);
    dc_model_add(c, "dense", "3 activation=softmax kernel_initializer=he_normal name=out");
    CHECK(dc_model_build(c, 5) == DC_OK && dc_model_compile(c, DC_LOSS_CATEGORICAL_CE, dc_adam(0.02f)) == DC_OK, "C build");
    dc_fit_options f2 = {.epochs = 10, .batch_size = 32, .verbose = 0, .validation_split = -1, .shuffle = -1};
    CHECK(dc_fit(c, train, &f2, NULL) == DC_OK && dc_evaluate(c, test, 0, &loss, &acc) == DC_OK && acc > 0.9,
          "C-built model accuracy %.3f", acc);
    CHECK(dc_model_save(c, path_of("c.safetensors")) == DC_OK, "C-built model saves: %s", dc_last_error());
    dc_model *c2 = dc_model_load(path_of("c.safetensors"));
    CHECK(c2 && dc_model_find_layer(c2, "out") && !strcmp(dc_layer_kind(dc_model_find_layer(c2, "out")), "dense"),
          "C-built model reloads with its layer names: %s", dc_last_error());
    if (c2) {
        float p1[3 * 300], p2[3 * 300];
        double l2, a2;
        CHECK(dc_predict(c, test, 300, 64, p1) == DC_OK && dc_predict(c2, test, 300, 64, p2) == DC_OK && !memcmp(p1, p2, sizeof p1),
              "reloaded C-built model predicts identically");
        CHECK(dc_evaluate(c2, test, 0, &l2, &a2) == DC_OK && l2 == loss, "same loss after reload (%g vs %g)", l2, loss);
        CHECK(strstr(dc_model_description(c2), "kernel_initializer=he_normal name=out"), "written description: %s",
              dc_model_description(c2));
    }
    dc_model_free(c2);
    dc_model_free(c);

    dc_model_free(m);
    dc_dataset_free(train);
    dc_dataset_free(test);
}

/* Early stopping with restore: stops before the last epoch when the
 * validation loss stops improving, and leaves the best epoch's weights. */
static void callbacks_test(void) {
    dc_dataset *train = blobs(400, 11), *val = blobs(200, 12);
    const char *desc =
        "input 6\ndense 32 activation=relu\ndense 3 activation=softmax\n"
        "optimizer sgd lr=2.0 momentum=0.9\n" /* far too large: val loss gets worse quickly */
        "schedule step step_size=2 gamma=0.5\n"
        "early_stopping monitor=val_loss patience=2 restore_best_weights=true\nfit epochs=30 batch_size=16\n";
    dc_model *m = dc_model_parse(desc, "es.dc");
    CHECK(m && dc_model_fit_config(m)->early_stopping.enabled && dc_model_fit_config(m)->has_schedule, "parse: %s", dc_last_error());
    if (!m) return;
    dc_fit_options fo = {.validation = val, .verbose = 0, .validation_split = -1, .shuffle = -1};
    dc_history h;
    CHECK(dc_fit(m, train, &fo, &h) == DC_OK, "fit: %s", dc_last_error());
    CHECK(h.stopped_early && h.epochs_run < 30 && h.best_epoch >= 1 && h.best_epoch == h.epochs_run - 2,
          "stopped early at %d, best %d", h.epochs_run, h.best_epoch);
    CHECK(h.epoch[0].lr == 2.0 && h.epoch[2].lr == 1.0, "step schedule halves lr every 2 epochs (%g, %g)", h.epoch[0].lr, h.epoch[2].lr);
    double loss, acc;
    dc_evaluate(m, val, 64, &loss, &acc);
    CHECK(fabs(loss - h.epoch[h.best_epoch - 1].val_loss) < 1e-5 * fabs(loss), "restored weights give the best val loss (%g vs %g)", loss,
          h.epoch[h.best_epoch - 1].val_loss);
    dc_history_free(&h);
    dc_model_free(m);
    dc_dataset_free(train);
    dc_dataset_free(val);
    expect_parse_error("input 6\ndense 3\noptimizer rmsprop beta1=0.9\n", "bad.dc:3:19", "unknown option \"beta1\" for 'optimizer' (expected: lr, learning_rate, weight_decay, clipnorm, clipvalue, momentum, eps, alpha, centered)");
    expect_parse_error("input 6\ndense 3\nschedule cosine tmax=3\n", "bad.dc:3:17", "unknown option \"tmax\"");
    expect_parse_error("input 6\ndense 3\nschedule triangle\n", "bad.dc:3:10", "needs a kind");
    expect_parse_error("input 6\ndense 3\nschedule multistep milestones=5,3\n", "bad.dc:3:33", "increasing");
    expect_parse_error("input 6\ndense 3\nearly_stopping monitor=f1\n", "bad.dc:3:24", "monitor must be");
    expect_parse_error("input 6\ndense 3\noptimizer sgd nesterov=true\n", "bad.dc:3:1", "needs momentum");
}

static void one_hot_test(void) {
    int32_t lab[3] = {2, 0, 1};
    float out[9];
    CHECK(dc_one_hot(lab, 3, 3, out) == DC_OK && out[2] == 1 && out[3] == 1 && out[7] == 1 && out[0] == 0, "one_hot");
    lab[1] = 3;
    CHECK_ERR(dc_one_hot(lab, 3, 3, out) != DC_OK, "outside [0, 3)");
}

static void split_test(void) {
    dc_dataset *d = blobs(100, 9), *a, *b;
    CHECK(dc_dataset_split(d, 0.1f, 0, 1, &a, &b) == DC_OK && a->n == 90 && b->n == 10, "split sizes");
    CHECK(dc_dataset_labels(b)[0] == dc_dataset_labels(d)[90] && !memcmp(b->x.data, (float *)d->x.data + 90 * 6, sizeof(float) * 6),
          "unshuffled split takes the tail");
    dc_dataset_free(a);
    dc_dataset_free(b);
    CHECK_ERR(dc_dataset_split(d, 1.5f, 0, 1, &a, &b) != DC_OK, "fraction");
    dc_dataset_free(d);
}

int main(int argc, char **argv) {
    if (test_workdir(argc, argv, "model_tmp")) return 2;
    description_tests();
    train_tests();
    one_hot_test();
    split_test();
    callbacks_test();
    return test_summary("test_model");
}
