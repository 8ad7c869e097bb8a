/* fuzz_state.c — the training state's text form (a model file's
 * "training_state" metadata), checked against a real model's tensors: a
 * small model is trained for one step at start-up and saved with its state;
 * each input replaces the text, and is loaded whole or as one rank's slice
 * of the optimizer (read from the file: dc_st_open_unread). */
#include "fuzz.h"
#include "../src/train/state.h"

static dc_model *model;
static dc_st_file *file, *lazy; /* (lazy: the optimizer left on disk, as a sharded resume reads it) */

static void setup(void) {
    model = dc_model_parse("input 4\ndense 3 activation=softmax\noptimizer adam lr=0.01\n"
                           "early_stopping monitor=loss patience=5 restore_best_weights=true\nfit epochs=2 batch_size=4\n",
                           "fuzz.dc");
    dc_dataset *d = dc_dataset_new(16, DC_F32, 1, (int64_t[]){4}, DC_I32, 0, NULL);
    if (!model || !d) abort();
    d->num_classes = 3;
    for (int i = 0; i < 16; i++) {
        ((int32_t *)d->y.data)[i] = i % 3;
        for (int k = 0; k < 4; k++) ((float *)d->x.data)[i * 4 + k] = (float)((i * 7 + k) % 5);
    }
    dc_train_state *s = dc_train_state_new();
    dc_fit_options fo = {.epochs = 2, .batch_size = 4, .shuffle = -1, .validation_split = -1, .state = s, .stop_after_steps = 5};
    dc_fit(model, d, &fo, NULL);
    const char *p = fuzz_file(3, ".safetensors", NULL, 0);
    if (dc_model_save_state(model, s, p)) abort();
    file = dc_st_open(p);
    lazy = dc_st_open_unread(p, "optimizer.state.");
    if (!file || !lazy) abort();
    dc_train_state_free(s);
    dc_dataset_free(d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n) {
    if (!model) setup();
    if (n > 1 << 16) return 0;
    char *text = fuzz_text(data, n);
    dc_train_state *s = NULL;
    const int world = 1 + (int)(n % 3), rank = (int)(n / 3 % (size_t)world); /* one process, or a rank's slice */
    if (dc_train_state_load(model, world > 1 ? lazy : file, text, "fuzz", rank, world, &s) == DC_OK) dc_train_state_free(s);
    free(text);
    return 0;
}
