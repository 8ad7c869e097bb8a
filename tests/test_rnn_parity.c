/* test_rnn_parity.c OUT — deepc's recurrent layers and embedding on padded
 * batches of different lengths, written out for rnn_parity.py to compare
 * with torch.nn.RNN/LSTM/GRU over packed sequences: outputs, final states
 * and the gradients of every input and weight; and 20 Adam steps of an
 * Embedding -> LSTM -> Dense classifier. */
#include "test.h"
#include "parity.h"

#define put parity_put_t
static dc_rng rng;


static dc_tensor *randn(int nd, const int64_t *shape, float scale) {
    dc_tensor *t = dc_tensor_new(DC_F32, nd, shape);
    for (int64_t i = 0; i < t->size; i++) t->data[i] = scale * dc_rng_normal(&rng);
    dc_tensor_require_grad(t);
    return t;
}

#define S(...) ((int64_t[]){__VA_ARGS__})
enum { N = 4, T = 6, I = 3, H = 5 };
static const int lengths[N] = {6, 3, 1, 4}; /* post-padded, as pack_padded_sequence takes */

/* One layer, one direction: outputs, final state, all gradients of
 * sum(y * gy) + sum(last * gl). */
static void rnn_case(const char *name, dc_rnn_kind kind, int reverse) {
    int64_t G = kind == DC_RNN_LSTM ? 4 : kind == DC_RNN_GRU ? 3 : 1;
    dc_tensor *x = randn(3, S(N, T, I), 1.0f), *wih = randn(2, S(G * H, I), 0.5f), *whh = randn(2, S(G * H, H), 0.5f);
    dc_tensor *bih = randn(1, S(G * H), 0.3f), *bhh = randn(1, S(G * H), 0.3f);
    dc_tensor *mask = dc_tensor_new(DC_I32, 2, S(N, T)), *len = dc_tensor_new(DC_F32, 1, S(N));
    for (int n = 0; n < N; n++) {
        len->data[n] = (float)lengths[n];
        for (int t = 0; t < T; t++) mask->idata[n * T + t] = t < lengths[n];
    }
    dc_graph *g = dc_graph_new();
    dc_tensor *y = dc_rnn(g, kind, x, wih, whh, bih, bhh, mask, reverse);
    dc_tensor *last = y ? dc_rnn_last(g, y, mask, reverse) : NULL;
    CHECK(y && last, "%s: %s", name, dc_last_error());
    if (!last) return;
    dc_tensor *gy = dc_input(g, DC_F32, 3, y->shape), *gl = dc_input(g, DC_F32, 2, last->shape);
    for (int64_t i = 0; i < gy->size; i++) gy->data[i] = dc_rng_normal(&rng);
    for (int64_t i = 0; i < gl->size; i++) gl->data[i] = dc_rng_normal(&rng);
    dc_tensor *L = dc_add(g, dc_sum(g, dc_mul(g, y, gy), DC_ALL_AXES, 0), dc_sum(g, dc_mul(g, last, gl), DC_ALL_AXES, 0));
    CHECK(dc_backward(g, L) == DC_OK, "%s backward: %s", name, dc_last_error());
    put(name, "x", x, x->data), put(name, "lengths", len, len->data);
    put(name, "w_ih", wih, wih->data), put(name, "w_hh", whh, whh->data), put(name, "b_ih", bih, bih->data), put(name, "b_hh", bhh, bhh->data);
    put(name, "gy", gy, gy->data), put(name, "gl", gl, gl->data), put(name, "y", y, y->data), put(name, "last", last, last->data);
    put(name, "dx", x, x->grad), put(name, "dw_ih", wih, wih->grad), put(name, "dw_hh", whh, whh->grad);
    put(name, "db_ih", bih, bih->grad), put(name, "db_hh", bhh, bhh->grad);
    dc_graph_free(g);
    dc_tensor *all[7] = {x, wih, whh, bih, bhh, mask, len};
    for (int i = 0; i < 7; i++) dc_tensor_free(all[i]);
}

/* Embedding with padding index 0 on token ids, then its table's gradient. */
static void embedding_case(void) {
    dc_tensor *w = randn(2, S(7, 4), 1.0f), *ids = dc_tensor_new(DC_I32, 2, S(3, 5)), *idf = dc_tensor_new(DC_F32, 2, S(3, 5));
    for (int64_t i = 0; i < ids->size; i++) idf->data[i] = (float)(ids->idata[i] = (int32_t)dc_rng_below(&rng, 7));
    dc_graph *g = dc_graph_new();
    dc_tensor *z = dc_embedding(g, w, ids, 0);
    dc_tensor *gz = dc_input(g, DC_F32, 3, z->shape);
    for (int64_t i = 0; i < gz->size; i++) gz->data[i] = dc_rng_normal(&rng);
    CHECK(dc_backward(g, dc_sum(g, dc_mul(g, z, gz), DC_ALL_AXES, 0)) == DC_OK, "embedding backward");
    put("embedding", "w", w, w->data), put("embedding", "ids", idf, idf->data), put("embedding", "gz", gz, gz->data);
    put("embedding", "z", z, z->data), put("embedding", "dw", w, w->grad);
    dc_graph_free(g);
    dc_tensor_free(w), dc_tensor_free(ids), dc_tensor_free(idf);
}

/* 20 Adam steps of Embedding(mask_zero) -> LSTM -> Dense(1, sigmoid) with
 * binary cross-entropy on one pre-padded batch: the weights before and
 * after, the ids and the labels. */
static void training_case(void) {
    const char *desc = "input 7\nembedding 12 5 mask_zero=true\nlstm 6\ndense 1 activation=sigmoid\n"
                       "loss binary_crossentropy\noptimizer adam lr=0.01\nfit epochs=20 batch_size=8 shuffle=false seed=3\n";
    dc_model *m = dc_model_parse(desc, "train.dc");
    CHECK(m != NULL, "parse: %s", dc_last_error());
    if (!m) return;
    enum { B = 8, L = 7 };
    dc_dataset *d = dc_dataset_new(B, DC_I32, 1, S(L), DC_I32, 0, NULL);
    dc_tensor *ids = dc_tensor_new(DC_F32, 2, S(B, L)), *lab = dc_tensor_new(DC_F32, 1, S(B));
    int32_t *x = d->x.data, *y = d->y.data;
    for (int n = 0; n < B; n++) {
        int len = 1 + n % L; /* pre-padded: zeros, then len tokens */
        for (int t = 0; t < L; t++) x[n * L + t] = t < L - len ? 0 : 1 + (int32_t)dc_rng_below(&rng, 11);
        y[n] = n % 3 == 0;
        lab->data[n] = (float)y[n];
        for (int t = 0; t < L; t++) ids->data[n * L + t] = (float)x[n * L + t];
    }
    d->num_classes = 2;
    for (int k = 0; k < 2; k++) {
        for (int i = 0; i < dc_model_num_param_tensors(m); i++) {
            const char *name;
            dc_tensor *w = dc_model_param_tensor(m, i, &name);
            put(k ? "after" : "before", name, w, w->data);
        }
        if (k) break;
        dc_fit_options fo = {.verbose = 0, .validation_split = -1, .shuffle = -1};
        CHECK(dc_fit(m, d, &fo, NULL) == DC_OK, "20 steps: %s", dc_last_error());
    }
    put("train", "ids", ids, ids->data), put("train", "labels", lab, lab->data);
    dc_tensor_free(ids), dc_tensor_free(lab);
    dc_dataset_free(d);
    dc_model_free(m);
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: test_rnn_parity OUT.safetensors\n");
        return 2;
    }
    dc_set_num_threads(1);
    dc_rng_seed(&rng, 77);
    const char *kinds[3] = {"rnn", "lstm", "gru"};
    for (int k = 0; k < 3; k++)
        for (int r = 0; r < 2; r++) {
            char name[32];
            snprintf(name, sizeof name, "%s%s", kinds[k], r ? "_reverse" : "");
            rnn_case(name, (dc_rnn_kind)k, r);
        }
    embedding_case();
    training_case();
    CHECK(parity_write(argv[1]) == DC_OK, "write: %s", dc_last_error());
    return test_summary("test_rnn_parity (deepc side)");
}
