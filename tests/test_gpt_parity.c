/* test_gpt_parity.c OUT — a small GPT (token and position embeddings, two
 * pre-norm Transformer blocks, a final layer norm, an output tied to the
 * token embedding) and a Transformer encoder layer, written out for
 * gpt_parity.py to compare with the PyTorch reference (tests/gpt2_ref.py)
 * and torch.nn.TransformerEncoderLayer: logits, loss, every gradient and
 * five AdamW steps. Also checked here, without PyTorch: the KV-cache path
 * gives the logits of the full forward, token by token, for one sequence
 * and for a batch, and across a cache that slides. */
#include "test.h"
#include "parity.h"

#define put parity_put
#define put_t parity_put_t
static dc_rng rng;


#define S(...) ((int64_t[]){__VA_ARGS__})
enum { B = 3, T = 8, V = 11 };

static const char *gpt_desc = "input 8\nembedding 11 16 init=normal name=wte\npositional_embedding name=wpe\n"
                              "transformer_block 2\ntransformer_block 2\nlayer_norm name=ln_f\n"
                              "dense 11 tie=wte use_bias=false activation=softmax name=lm_head\n"
                              "loss categorical_crossentropy\noptimizer adamw lr=0.01 weight_decay=0.1\nfit batch_size=3 seed=5\n";

static void put_params(dc_model *m, const char *prefix, int grads) {
    for (int i = 0; i < dc_model_num_param_tensors(m); i++) {
        const char *name;
        dc_tensor *w = dc_model_param_tensor(m, i, &name);
        put_t(prefix, name, w, grads ? w->grad : w->data);
    }
}

static void gpt_case(void) {
    dc_model *m = dc_model_parse(gpt_desc, "gpt.dc");
    CHECK(m != NULL, "parse: %s", dc_last_error());
    if (!m) return;
    /* biases and layer norms away from their 0/1 start, so their gradients are exercised */
    for (int i = 0; i < dc_model_num_param_tensors(m); i++) {
        const char *name;
        dc_tensor *w = dc_model_param_tensor(m, i, &name);
        if (w->ndim == 1)
            for (int64_t k = 0; k < w->size; k++) w->data[k] += 0.1f * dc_rng_normal(&rng);
    }
    dc_graph *g = dc_graph_new();
    dc_tensor *x = dc_input(g, DC_I32, 2, S(B, T)), *y = dc_input(g, DC_I32, 2, S(B, T));
    dc_tensor *xf = dc_tensor_new(DC_F32, 2, S(B, T)), *yf = dc_tensor_new(DC_F32, 2, S(B, T));
    for (int64_t i = 0; i < x->size; i++) {
        xf->data[i] = (float)(x->idata[i] = (int32_t)dc_rng_below(&rng, V));
        yf->data[i] = (float)(y->idata[i] = (int32_t)dc_rng_below(&rng, V));
    }
    put_params(m, "gpt.before", 0);
    put_t("gpt", "ids", xf, xf->data), put_t("gpt", "targets", yf, yf->data);
    dc_tensor *out, *L = dc_model_loss_of(m, g, x, y, NULL, &out);
    CHECK(L != NULL, "loss: %s", dc_last_error());
    if (!L) return;
    dc_tensor *logits;
    dc_graph *g2 = dc_graph_new();
    dc_graph_set_grad_enabled(g2, 0);
    dc_tensor *prob = dc_model_forward(m, g2, x, &logits);
    CHECK(prob != NULL, "forward: %s", dc_last_error());
    if (!prob) return;
    put_t("gpt", "logits", logits, logits->data);
    put("gpt", "loss", 1, S(1), L->data);
    memset(dc_model_grads(m), 0, sizeof(float) * (size_t)dc_model_num_params(m));
    CHECK(dc_backward(g, L) == DC_OK, "backward: %s", dc_last_error());
    put_params(m, "gpt.grad", 1);
    (void)prob;
    /* five AdamW steps on the same batch */
    dc_optimizer *opt = dc_optimizer_new(*dc_model_optimizer(m), dc_model_num_params(m));
    double loss;
    for (int s = 0; s < 5; s++) {
        dc_graph_reset(g);
        dc_tensor *x2 = dc_input(g, DC_I32, 2, S(B, T)), *y2 = dc_input(g, DC_I32, 2, S(B, T));
        for (int64_t i = 0; i < x2->size; i++) x2->idata[i] = (int32_t)xf->data[i], y2->idata[i] = (int32_t)yf->data[i];
        CHECK(dc_train_step(m, g, opt, x2, y2, NULL, NULL, &loss, NULL) == DC_OK, "step %d: %s", s, dc_last_error());
    }
    put_params(m, "gpt.after", 0);
    dc_optimizer_free(opt);
    dc_graph_free(g);
    dc_graph_free(g2);
    dc_tensor_free(xf), dc_tensor_free(yf);
    dc_model_free(m);
}

/* Embedding(padding_idx 0) -> torch.nn.TransformerEncoderLayer(16, 4, 32,
 * dropout=0, batch_first=True) with the padded steps as the key padding
 * mask: outputs and every gradient of sum(y * gy). */
static void encoder_case(void) {
    dc_model *m = dc_model_parse("input 5\nembedding 7 16 mask_zero=true\ntransformer_encoder 4 ff=32\n", "enc.dc");
    CHECK(m != NULL, "encoder: %s", dc_last_error());
    if (!m) return;
    for (int i = 0; i < dc_model_num_param_tensors(m); i++) {
        const char *name;
        dc_tensor *w = dc_model_param_tensor(m, i, &name);
        for (int64_t k = 0; k < w->size; k++) w->data[k] += 0.1f * dc_rng_normal(&rng);
    }
    dc_graph *g = dc_graph_new();
    dc_tensor *x = dc_input(g, DC_I32, 2, S(2, 5)), *xf = dc_tensor_new(DC_F32, 2, S(2, 5));
    for (int i = 0; i < 10; i++) xf->data[i] = (float)(x->idata[i] = i == 5 || i == 6 ? 0 : 1 + (int32_t)dc_rng_below(&rng, 6));
    dc_tensor *y = dc_model_forward(m, g, x, NULL);
    CHECK(y != NULL, "encoder forward: %s", dc_last_error());
    if (!y) return;
    dc_tensor *gy = dc_input(g, DC_F32, 3, y->shape);
    for (int64_t i = 0; i < gy->size; i++) gy->data[i] = dc_rng_normal(&rng);
    memset(dc_model_grads(m), 0, sizeof(float) * (size_t)dc_model_num_params(m));
    CHECK(dc_backward(g, dc_sum(g, dc_mul(g, y, gy), DC_ALL_AXES, 0)) == DC_OK, "encoder backward: %s", dc_last_error());
    put_params(m, "enc.w", 0);
    put_params(m, "enc.grad", 1);
    put_t("enc", "ids", xf, xf->data), put_t("enc", "gy", gy, gy->data), put_t("enc", "y", y, y->data);
    dc_graph_free(g);
    dc_tensor_free(xf);
    dc_model_free(m);
}

/* The same prompt in every row (generate --samples N) runs once and its keys
 * and values are copied to the other rows (red team 3, F07): the rows then
 * go their own ways and must still give the uncached generator's logits. */
static void shared_prompt_case(void) {
    dc_model *m = dc_model_parse(gpt_desc, "gpt.dc");
    if (!m) return;
    enum { N = 3, P = 5 };
    dc_generator *cached = dc_generator_new(m, N, 1), *plain = dc_generator_new(m, N, 0);
    CHECK(cached && plain && dc_generator_cached(cached), "generators: %s", dc_last_error());
    int32_t prompt[N * P], step[N];
    for (int i = 0; i < P; i++) prompt[i] = 1 + (int32_t)dc_rng_below(&rng, V - 1);
    for (int n = 1; n < N; n++) memcpy(prompt + n * P, prompt, sizeof prompt[0] * P);
    float a[N * V], b[N * V];
    double worst = 0.0;
    CHECK(dc_generator_feed(cached, prompt, P, a) == DC_OK && dc_generator_feed(plain, prompt, P, b) == DC_OK, "feed: %s", dc_last_error());
    for (int k = 0; k < N * V; k++) worst = fmax(worst, fabs((double)a[k] - b[k]));
    for (int i = 0; i < 2; i++) {
        for (int n = 0; n < N; n++) step[n] = 1 + (int32_t)dc_rng_below(&rng, V - 1);
        CHECK(dc_generator_feed(cached, step, 1, a) == DC_OK && dc_generator_feed(plain, step, 1, b) == DC_OK, "feed: %s", dc_last_error());
        for (int k = 0; k < N * V; k++) worst = fmax(worst, fabs((double)a[k] - b[k]));
    }
    CHECK(worst < 1e-4, "a prompt shared by %d rows: cached logits differ from the plain ones by %g", N, worst);
    dc_generator_free(cached);
    dc_generator_free(plain);
    dc_model_free(m);
}

/* The KV cache gives the full forward's logits: for every prefix of a
 * sequence, the last step's logits of one forward over the prefix equal
 * those of feeding the tokens one at a time (and, past the context, of a
 * forward over the last window fed again after the slide). */
static void cache_case(int batch) {
    dc_model *m = dc_model_parse(gpt_desc, "gpt.dc");
    if (!m) return;
    enum { L = 13 }; /* longer than the context of 8: the cache slides */
    int32_t seq[4][L];
    for (int n = 0; n < batch; n++)
        for (int i = 0; i < L; i++) seq[n][i] = 1 + (int32_t)dc_rng_below(&rng, V - 1);
    dc_generator *cached = dc_generator_new(m, batch, 1), *plain = dc_generator_new(m, batch, 0);
    CHECK(cached && plain && dc_generator_cached(cached) && !dc_generator_cached(plain), "generators: %s", dc_last_error());
    float a[4 * V], b[4 * V], full[4 * V];
    double worst = 0.0;
    dc_graph *g = dc_graph_new();
    dc_graph_set_grad_enabled(g, 0);
    /* the prompt: 3 tokens at once, then one at a time */
    int32_t step[4];
    for (int i = 2; i < L; i++) {
        if (i == 2) {
            int32_t p[4 * 3];
            for (int n = 0; n < batch; n++) memcpy(p + 3 * n, seq[n], sizeof(int32_t) * 3);
            CHECK(dc_generator_feed(cached, p, 3, a) == DC_OK && dc_generator_feed(plain, p, 3, b) == DC_OK, "feed: %s", dc_last_error());
        } else {
            for (int n = 0; n < batch; n++) step[n] = seq[n][i];
            CHECK(dc_generator_feed(cached, step, 1, a) == DC_OK && dc_generator_feed(plain, step, 1, b) == DC_OK, "feed: %s",
                  dc_last_error());
        }
        /* reference: one forward over the last full window (the model's input length) */
        if (i + 1 >= T) {
            dc_graph_reset(g);
            dc_tensor *x = dc_input(g, DC_I32, 2, S(batch, T)), *lg = NULL;
            for (int n = 0; n < batch; n++) memcpy(x->idata + n * T, seq[n] + i + 1 - T, sizeof(int32_t) * T);
            CHECK(dc_model_forward(m, g, x, &lg) != NULL, "forward: %s", dc_last_error());
            for (int n = 0; lg && n < batch; n++) memcpy(full + n * V, lg->data + (n * T + T - 1) * V, sizeof(float) * V);
            for (int k = 0; lg && k < batch * V; k++) worst = fmax(worst, fabs((double)b[k] - full[k]));
            if (i + 1 == T) /* the cache holds exactly this window */
                for (int k = 0; lg && k < batch * V; k++) worst = fmax(worst, fabs((double)a[k] - full[k]));
        }
        /* the cached logits agree with the plain ones until the first slide (i = T) */
        if (i < T)
            for (int k = 0; k < batch * V; k++) worst = fmax(worst, fabs((double)a[k] - b[k]));
    }
    CHECK(worst < 1e-4, "KV cache (batch %d): logits differ from the full forward by %g", batch, worst);
    dc_generator_free(cached);
    dc_generator_free(plain);
    dc_graph_free(g);
    dc_model_free(m);
}

/* A Hugging Face GPT-2 checkpoint imported into the description's model
 * (tests/gpt2_import.sh writes both): loss, every gradient and five AdamW
 * steps (lr 0.01, weight decay 0.1) on ids and targets given by a formula
 * gpt2_check.py repeats, written for it to compare with the reference
 * trained from the checkpoint itself. */
static int hf_case(const char *desc, const char *hf, const char *out) {
    dc_model *m = dc_model_parse_file(desc);
    CHECK(m && dc_model_load_gpt2(m, hf, NULL) == DC_OK, "import %s: %s", hf, dc_last_error());
    if (!m) return test_summary("test_gpt_parity hf");
    int64_t in[4];
    dc_model_input_shape(m, in);
    const int64_t Bn = 2, Tn = in[0], Vn = 50257;
    dc_graph *g = dc_graph_new();
    dc_tensor *x = dc_input(g, DC_I32, 2, S(Bn, Tn)), *y = dc_input(g, DC_I32, 2, S(Bn, Tn));
    for (int64_t i = 0; i < Bn * Tn; i++) x->idata[i] = (int32_t)((i * 7919 + 13) % Vn), y->idata[i] = (int32_t)((i * 104729 + 7) % Vn);
    dc_tensor *L = dc_model_loss_of(m, g, x, y, NULL, NULL);
    CHECK(L != NULL, "loss: %s", dc_last_error());
    if (L) {
        put("hf", "loss", 1, S(1), L->data);
        memset(dc_model_grads(m), 0, sizeof(float) * (size_t)dc_model_num_params(m));
        CHECK(dc_backward(g, L) == DC_OK, "backward: %s", dc_last_error());
        put_params(m, "hf.grad", 1);
        dc_opt_config oc = dc_adamw(0.01f);
        oc.weight_decay = 0.1f;
        dc_optimizer *opt = dc_optimizer_new(oc, dc_model_num_params(m));
        double loss;
        for (int k = 0; k < 5; k++) {
            dc_graph_reset(g);
            dc_tensor *x2 = dc_input(g, DC_I32, 2, S(Bn, Tn)), *y2 = dc_input(g, DC_I32, 2, S(Bn, Tn));
            for (int64_t i = 0; i < Bn * Tn; i++)
                x2->idata[i] = (int32_t)((i * 7919 + 13) % Vn), y2->idata[i] = (int32_t)((i * 104729 + 7) % Vn);
            CHECK(dc_train_step(m, g, opt, x2, y2, NULL, NULL, &loss, NULL) == DC_OK, "step %d: %s", k, dc_last_error());
        }
        put_params(m, "hf.after", 0);
        dc_optimizer_free(opt);
    }
    CHECK(parity_write(out) == DC_OK, "write: %s", dc_last_error());
    dc_graph_free(g);
    dc_model_free(m);
    return test_summary("test_gpt_parity hf (deepc side)");
}

int main(int argc, char **argv) {
    if (argc == 5 && !strcmp(argv[1], "hf")) {
        dc_set_num_threads(1);
        return hf_case(argv[2], argv[3], argv[4]);
    }
    if (argc < 2) {
        fprintf(stderr, "usage: test_gpt_parity OUT.safetensors | test_gpt_parity hf DESCRIPTION CHECKPOINT OUT\n");
        return 2;
    }
    dc_set_num_threads(1);
    dc_rng_seed(&rng, 123);
    gpt_case();
    encoder_case();
    cache_case(1);
    cache_case(3);
    shared_prompt_case();
    CHECK(parity_write(argv[1]) == DC_OK, "write: %s", dc_last_error());
    return test_summary("test_gpt_parity (deepc side)");
}
