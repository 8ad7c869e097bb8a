/* test_seq.c WORKDIR — sequence models end to end in C: Embedding
 * (mask_zero) → LSTM/GRU/SimpleRNN → Dense learns whether a token occurs in
 * variable-length sequences; padding before or after a sequence gives the
 * same prediction; save and load predict identically; and the model and a
 * batch are written for seq_torch.py to load into torch.nn modules. */
#include "test.h"

enum { T = 12, V = 20, TOKEN = 7 };

/* n sequences of 1..T tokens in 1..V-1 (0 is padding), padded after (pre =
 * 0) or before (pre = 1); label: token 7 occurs. */
static dc_dataset *sequences(int64_t n, uint64_t seed, int pre) {
    dc_rng r;
    dc_rng_seed(&r, seed);
    dc_dataset *d = dc_dataset_new(n, DC_I32, 1, (int64_t[]){T}, DC_I32, 0, NULL);
    int32_t *x = d->x.data, *y = d->y.data;
    d->num_classes = 2;
    for (int64_t i = 0; i < n; i++) {
        int len = 1 + (int)dc_rng_below(&r, T), has = 0;
        for (int t = 0; t < T; t++) x[i * T + t] = 0;
        for (int t = 0; t < len; t++) {
            int v = 1 + (int)dc_rng_below(&r, V - 1);
            if (dc_rng_below(&r, 4) == 0 && t == len / 2) v = TOKEN; /* about half the sequences hold it */
            has |= v == TOKEN;
            x[i * T + (pre ? T - len + t : t)] = v;
        }
        y[i] = has;
    }
    return d;
}

static double accuracy(dc_model *m, const dc_dataset *d, float *p) {
    dc_predict(m, d, d->n, 64, p);
    int64_t ok = 0;
    for (int64_t i = 0; i < d->n; i++) ok += (p[i] >= 0.5f) == ((int32_t *)d->y.data)[i];
    return (double)ok / (double)d->n;
}

static void learns(const char *layer, const char *opts, double floor) {
    char text[512];
    snprintf(text, sizeof text,
             "input %d\nembedding %d 8 mask_zero=true\n%s 16 %s\ndense 1 activation=sigmoid\nloss binary_crossentropy\n"
             "optimizer adam lr=0.01\nfit epochs=25 batch_size=32 seed=3\n",
             T, V, layer, opts);
    dc_model *m = dc_model_parse(text, "seq.dc");
    CHECK(m != NULL, "%s: %s", layer, dc_last_error());
    if (!m) return;
    dc_dataset *tr = sequences(800, 1, 0), *te = sequences(300, 2, 0), *te_pre = sequences(300, 2, 1);
    dc_fit_options fo = {.shuffle = -1, .validation_split = -1};
    CHECK(dc_fit(m, tr, &fo, NULL) == DC_OK, "%s trains: %s", layer, dc_last_error());
    float *p = malloc(sizeof(float) * 300), *q = malloc(sizeof(float) * 300);
    double acc = accuracy(m, te, p);
    CHECK(acc >= floor, "%s %s: held-out accuracy %.3f < %.2f", layer, opts, acc, floor);
    /* the same sequences padded before instead of after: the same outputs */
    accuracy(m, te_pre, q);
    double worst = 0;
    for (int i = 0; i < 300; i++) worst = fmax(worst, fabs((double)p[i] - q[i]));
    CHECK(worst < 1e-5, "%s %s: padding before vs after changes a prediction by %g", layer, opts, worst);
    /* saved and loaded: bit for bit */
    CHECK(dc_model_save(m, path_of("seq.safetensors")) == DC_OK, "save: %s", dc_last_error());
    dc_model *back = dc_model_load(path_of("seq.safetensors"));
    CHECK(back != NULL, "load: %s", dc_last_error());
    if (back) {
        accuracy(back, te, q);
        CHECK(!memcmp(p, q, sizeof(float) * 300), "%s: the loaded model predicts differently", layer);
        dc_model_free(back);
    }
    printf("%s %s: held-out accuracy %.3f\n", layer, opts, acc);
    if (!strcmp(layer, "lstm") && strstr(opts, "bidirectional")) { /* for seq_torch.py: the model, inputs, outputs */
        dc_model_save(m, path_of("bilstm.safetensors"));
        dc_tensor *x = dc_tensor_new(DC_F32, 2, (int64_t[]){300, T}), *out = dc_tensor_new(DC_F32, 1, (int64_t[]){300});
        for (int64_t i = 0; i < 300 * T; i++) x->data[i] = (float)((int32_t *)te->x.data)[i];
        memcpy(out->data, p, sizeof(float) * 300);
        dc_st_entry e[2] = {{"x", 2, x->shape, x->data}, {"p", 1, out->shape, out->data}};
        CHECK(dc_st_write(path_of("bilstm_io.safetensors"), e, 2, NULL, NULL, 0) == DC_OK, "io: %s", dc_last_error());
        dc_tensor_free(x), dc_tensor_free(out);
    }
    free(p), free(q);
    dc_dataset_free(tr), dc_dataset_free(te), dc_dataset_free(te_pre);
    dc_model_free(m);
}

int main(int argc, char **argv) {
    if (test_workdir(argc, argv, "seq_tmp")) return 2;
    learns("lstm", "", 0.95);
    learns("gru", "", 0.95);
    learns("simple_rnn", "", 0.9);
    learns("lstm", "bidirectional=true layers=2 dropout=0.1", 0.95);
    learns("gru", "bidirectional=true merge_sum=true", 0.95);
    return test_summary("test_seq");
}
