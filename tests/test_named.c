/* test_named.c — named arrays. Targets: a dataset with a second array, a model
 * with two heads whose loss lines name their targets (target=label and
 * target=ink, weighted 2), trained with dc_fit on Fashion-MNIST images; the same from
 * a loop of dc_train_step with a fed batch; the loss parts checked against
 * sums computed here; the saved model reloads with target=ink; and
 * the errors for a missing or malformed target. Inputs: a two-input model
 * trained from arrays named after its input layers, bit for bit as from
 * the joined images. */
#include "test.h"

static const char *desc = "input 1x28x28\nflatten\ndense 64 activation=relu name=trunk\n"
                          "dense 10 activation=softmax name=cls inputs=trunk\ndense 1 name=ink_head inputs=trunk\n"
                          "output cls,ink_head\n"
                          "loss categorical_crossentropy output=cls target=label name=cls\n"
                          "loss mse output=ink_head target=ink weight=2 name=ink\n"
                          "optimizer adam lr=0.003\nfit epochs=5 batch_size=64 validation_split=0.1 seed=1\n";

/* "ink": each image's mean pixel (in [0, 1]); returns its variance (what
 * predicting the mean would score) */
static double add_ink(dc_dataset *d) {
    dc_array *a = dc_dataset_add_array(d, "ink", DC_F32, 1, (int64_t[]){1});
    CHECK(a != NULL, "add_array: %s", dc_last_error());
    if (!a) return 0.0;
    double s = 0.0, s2 = 0.0;
    for (int64_t i = 0; i < d->n; i++) {
        const uint8_t *p = dc_array_u8(&d->x) + i * d->x.size;
        double v = 0.0;
        for (int64_t k = 0; k < d->x.size; k++) v += p[k] / 255.0;
        v /= (double)d->x.size;
        dc_array_f32(a)[i] = (float)v;
        s += v;
        s2 += v * v;
    }
    return s2 / (double)d->n - (s / (double)d->n) * (s / (double)d->n);
}

static int part_index(const dc_epoch_stats *e, const char *name) {
    for (int i = 0; i < e->nparts; i++)
        if (!strcmp(e->part_name[i], name)) return i;
    return -1;
}

static void fit_test(dc_dataset *d, double var) {
    dc_model *m = dc_model_parse(desc, "two_heads.dc");
    CHECK(m != NULL, "parse: %s", dc_last_error());
    if (!m) return;
    dc_history h = {0};
    dc_fit_options fo = {.verbose = 0, .validation_split = -1, .shuffle = -1};
    CHECK(dc_fit(m, d, &fo, &h) == DC_OK && h.epochs_run == 5, "fit with a named target: %s", dc_last_error());
    if (h.epochs_run == 5) {
        const dc_epoch_stats *first = &h.epoch[0], *last = &h.epoch[4];
        int ci = part_index(last, "cls"), ki = part_index(last, "ink");
        CHECK(ci >= 0 && ki >= 0, "parts named cls and ink (%d parts)", last->nparts);
        if (ki >= 0) {
            /* the ink head learns the mean pixel: far below predicting the mean */
            CHECK(last->val_part[ki] < 0.5 * var && last->val_part[ki] < first->part[ki],
                  "ink val mse %.5f (first epoch's training %.5f), variance %.5f", last->val_part[ki], first->part[ki], var);
            CHECK(fabs(last->val_loss - (last->val_part[ci] + 2.0 * last->val_part[ki])) < 1e-4 * fabs(last->val_loss) + 1e-6,
                  "val loss %.6f = cls %.6f + 2 x ink %.6f", last->val_loss, last->val_part[ci], last->val_part[ki]);
        }
        CHECK(last->val_accuracy > 0.7, "the class head still learns: val accuracy %.3f", last->val_accuracy);
    }
    dc_history_free(&h);
    /* the saved model reloads with its named target */
    CHECK(dc_model_save(m, path_of("two_heads.safetensors")) == DC_OK, "save: %s", dc_last_error());
    dc_model *r = dc_model_load(path_of("two_heads.safetensors"));
    CHECK(r && strstr(dc_model_description(r), "target=ink"), "reloaded description: %s", r ? dc_model_description(r) : dc_last_error());
    double l0, a0, l1, a1;
    CHECK(r && dc_evaluate(m, d, 256, &l0, &a0) == DC_OK && dc_evaluate(r, d, 256, &l1, &a1) == DC_OK && l0 == l1 && a0 == a1,
          "reloaded model evaluates the same with its named target: %s", dc_last_error());
    dc_model_free(r);
    dc_model_free(m);
}

/* A loop of dc_train_step with the batch fed by name; the parts are the
 * losses computed here from the outputs. */
static void step_test(const dc_dataset *d) {
    dc_model *m = dc_model_parse(desc, "two_heads.dc");
    if (!m) {
        CHECK(0, "parse and build: %s", dc_last_error());
        dc_model_free(m);
        return;
    }
    dc_graph *g = dc_graph_new();
    dc_optimizer *opt = dc_optimizer_new(*dc_model_optimizer(m), dc_model_num_params(m));
    const int64_t B = 32;
    int64_t idx[32];
    double first = 0.0, last = 0.0;
    for (int step = 0; step < 60 && m && opt; step++) {
        for (int64_t i = 0; i < B; i++) idx[i] = (step * B + i) % d->n;
        dc_graph_reset(g);
        dc_tensor *x, *y;
        dc_status st = dc_dataset_batch(d, g, idx, B, &x, &y);
        if (!st) st = dc_dataset_feed(d, g, idx, B);
        dc_tensor *ink = dc_graph_fed(g, "ink");
        CHECK(!st && ink && ink->shape[0] == B && ink->shape[1] == 1, "batch fed: %s", dc_last_error());
        double loss;
        x = dc_reshape(g, x, 4, (int64_t[]){B, 1, 28, 28});
        if (st || dc_train_step(m, g, opt, x, y, NULL, NULL, &loss, NULL) != DC_OK) {
            CHECK(0, "train step %d: %s", step, dc_last_error());
            break;
        }
        if (step == 0) first = loss;
        last = loss;
    }
    CHECK(last < 0.8 * first, "the step loop learns: loss %.4f -> %.4f", first, last);
    /* the parts against sums made here, on a fresh forward in eval mode */
    dc_graph_reset(g);
    dc_tensor *x, *y;
    for (int64_t i = 0; i < B; i++) idx[i] = i;
    CHECK(dc_dataset_batch(d, g, idx, B, &x, &y) == DC_OK && dc_dataset_feed(d, g, idx, B) == DC_OK, "batch");
    dc_graph_set_training(g, 0);
    x = dc_reshape(g, x, 4, (int64_t[]){B, 1, 28, 28});
    dc_tensor *out[2];
    CHECK(dc_model_forward_all(m, g, &x, 1, out) == DC_OK, "forward: %s", dc_last_error());
    const float *ink = dc_graph_fed(g, "ink")->data;
    double mse = 0.0, ce = 0.0;
    for (int64_t i = 0; i < B; i++) {
        mse += (out[1]->data[i] - ink[i]) * (double)(out[1]->data[i] - ink[i]);
        ce -= log(out[0]->data[i * 10 + y->idata[i]]);
    }
    mse /= (double)B;
    ce /= (double)B;
    dc_tensor *l = dc_model_loss_of(m, g, x, y, NULL, NULL);
    double vc = NAN, vk = NAN;
    for (int i = 0; i < dc_graph_num_loss_parts(g); i++) {
        double v;
        const char *n = dc_graph_loss_part(g, i, &v);
        if (!strcmp(n, "cls")) vc = v;
        if (!strcmp(n, "ink")) vk = v;
    }
    CHECK(l && fabs(vk - mse) < 1e-5 * (mse + 1e-3) && fabs(vc - ce) < 1e-4 * ce && fabs(l->data[0] - (ce + 2 * mse)) < 1e-4 * l->data[0],
          "parts: ink %.7f (here %.7f), cls %.6f (here %.6f), total %.6f", vk, mse, vc, ce, l ? l->data[0] : NAN);
    /* not fed: the loss says which target is missing */
    dc_graph_reset(g);
    CHECK(dc_dataset_batch(d, g, idx, B, &x, &y) == DC_OK, "batch");
    x = dc_reshape(g, x, 4, (int64_t[]){B, 1, 28, 28});
    CHECK_ERR(dc_model_loss_of(m, g, x, y, NULL, NULL) == NULL, "loss ink: target \"ink\" is not in the batch");
    dc_optimizer_free(opt);
    dc_graph_free(g);
    dc_model_free(m);
}

static void error_test(dc_dataset *d) {
    CHECK_ERR(dc_dataset_add_array(d, "ink", DC_F32, 0, NULL) == NULL, "has an array of that name already");
    CHECK_ERR(dc_dataset_add_array(d, "y", DC_F32, 0, NULL) == NULL, "not x, y, label or input");
    CHECK_ERR(dc_dataset_add_array(d, "two words", DC_F32, 0, NULL) == NULL, "must be 1 to 31 letters");
    CHECK_ERR(dc_dataset_add_array(d, "bytes", DC_U8, 0, NULL) == NULL, "its type must be I32 (labels) or F32 (values)");
    /* a description naming an array the data lacks: refused before training */
    dc_model *m = dc_model_parse("input 784\ndense 1 name=h\nloss mse output=h target=weight\noptimizer sgd\n", "w.dc");
    dc_fit_options fo = {.epochs = 1, .verbose = 0, .validation_split = -1, .shuffle = -1};
    CHECK_ERR(m && dc_fit(m, d, &fo, NULL) != DC_OK, "loss loss: target \"weight\" is not an array of the data (its named arrays: ink)");
    dc_model_free(m);
    CHECK_ERR(dc_model_parse("input 4\ndense 1\nloss mse target=a/b\n", "bad.dc") == NULL, "target must be label, input or the name");
    /* a token stream has no room for more arrays */
    int32_t toks[40];
    for (int i = 0; i < 40; i++) toks[i] = i % 7;
    dc_dataset *s = dc_dataset_stream(toks, 40, 8, 8);
    CHECK_ERR(s && dc_dataset_add_array(s, "more", DC_F32, 0, NULL) == NULL, "a token stream holds no other arrays");
    dc_dataset_free(s);
}

/* Named inputs: a two-input model (the top and bottom halves of each image)
 * trained once from the joined images (each sample's 784 values split
 * across the inputs in order) and once from a dataset whose arrays are
 * named after the input layers (x a placeholder of one value): the same
 * inputs, so the same weights, bit for bit. */
static const char *two_inputs = "input 392 name=top\ninput 392 name=bottom\ndense 32 activation=relu inputs=top name=ht\n"
                                "dense 32 activation=relu inputs=bottom name=hb\nconcat inputs=ht,hb\n"
                                "dense 10 activation=softmax\nloss categorical_crossentropy\noptimizer adam lr=0.003\n"
                                "fit epochs=2 batch_size=64 validation_split=0.1 seed=4\n";

static void named_inputs_test(const dc_dataset *d) {
    dc_dataset *dn = dc_dataset_new(d->n, DC_F32, 1, (int64_t[]){1}, DC_I32, 0, NULL);
    dc_array *top = dn ? dc_dataset_add_array(dn, "top", DC_F32, 1, (int64_t[]){392}) : NULL;
    dc_array *bottom = top ? dc_dataset_add_array(dn, "bottom", DC_F32, 1, (int64_t[]){392}) : NULL;
    CHECK(bottom != NULL, "named input arrays: %s", dc_last_error());
    if (!bottom) {
        dc_dataset_free(dn);
        return;
    }
    dn->num_classes = d->num_classes;
    memcpy(dn->y.data, d->y.data, sizeof(int32_t) * (size_t)d->n);
    for (int64_t i = 0; i < d->n; i++)
        for (int64_t k = 0; k < 784; k++) {
            const float v = (float)dc_array_u8(&d->x)[i * 784 + k] * d->x.scale; /* as a batch of the images scales them */
            dc_array_f32(k < 392 ? top : bottom)[i * 392 + k % 392] = v;
        }
    dc_model *a = dc_model_parse(two_inputs, "two_inputs.dc"), *b = dc_model_parse(two_inputs, "two_inputs.dc");
    dc_history ha = {0}, hb = {0};
    dc_fit_options fo = {.verbose = 0, .validation_split = -1, .shuffle = -1};
    CHECK(a && b && dc_fit(a, d, &fo, &ha) == DC_OK && dc_fit(b, dn, &fo, &hb) == DC_OK, "fit joined and named: %s", dc_last_error());
    if (a && b && ha.epochs_run == 2 && hb.epochs_run == 2) {
        CHECK(!memcmp(dc_model_params(a), dc_model_params(b), sizeof(float) * (size_t)dc_model_num_params(a)) &&
                  ha.epoch[1].val_loss == hb.epoch[1].val_loss,
              "named inputs train as the joined batch: val loss %.6f vs %.6f", ha.epoch[1].val_loss, hb.epoch[1].val_loss);
        CHECK(hb.epoch[1].val_accuracy > 0.7, "the two-input model learns: val accuracy %.3f", hb.epoch[1].val_accuracy);
        double l, acc;
        CHECK(dc_evaluate(b, dn, 256, &l, &acc) == DC_OK && acc > 0.7, "evaluate from named inputs: %s", dc_last_error());
    }
    /* only one of the two inputs fed: refused by name */
    dc_graph *g = dc_graph_new();
    dc_tensor *t = dc_input(g, DC_F32, 2, (int64_t[]){4, 392});
    dc_graph_feed(g, "top", t);
    CHECK_ERR(a && dc_model_loss_of(a, g, NULL, NULL, NULL, NULL) == NULL, "1 of its 2 inputs were fed by name");
    dc_graph_free(g);
    dc_history_free(&ha);
    dc_history_free(&hb);
    dc_model_free(a);
    dc_model_free(b);
    dc_dataset_free(dn);
}

int main(int argc, char **argv) {
    if (test_workdir(argc, argv, "named_tmp")) return 2;
    dc_set_num_threads(2);
    dc_dataset *d = dc_mnist_load_limit("fashion-mnist", "train", 3000);
    CHECK(d != NULL, "Fashion-MNIST: %s", dc_last_error());
    if (!d) return test_summary("test_named");
    double var = add_ink(d);
    /* a subset carries the array, row for row */
    int64_t pick[3] = {7, 0, 2999};
    dc_dataset *sub = dc_dataset_subset(d, pick, 3);
    const dc_array *si = sub ? dc_dataset_array(sub, "ink") : NULL;
    CHECK(si && dc_array_f32(si)[0] == dc_array_f32(dc_dataset_array(d, "ink"))[7] &&
              dc_array_f32(si)[2] == dc_array_f32(dc_dataset_array(d, "ink"))[2999],
          "subset keeps the named array");
    dc_dataset_free(sub);
    fit_test(d, var);
    step_test(d);
    named_inputs_test(d);
    error_test(d);
    dc_dataset_free(d);
    return test_summary("test_named");
}
