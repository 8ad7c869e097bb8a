/* test_session.c — inference never writes the model: 8 threads, each with
 * its own session (or generator) over one shared model, make 200
 * predictions each, and every result is bit-identical to the serial run.
 * Three models: the Fashion MLP (trained briefly on real images), the
 * Fashion VAE (its sampling layer adds a KL term on every forward) and a
 * small character GPT generating with its own KV cache per thread. The
 * model's parameters are checked unchanged afterwards. Built once more
 * with ThreadSanitizer (scripts/test.sh), where a data race fails it. */
#include "test.h"
#include <math.h>
#include <pthread.h>
#include <sys/stat.h>

/* Under ThreadSanitizer (CI runs this test there, 10-20x slower) each
 * thread predicts 25 samples: enough for the 8 threads to overlap, and the
 * int8 CNN's 1,600 took most of the CI's ThreadSanitizer time on a CPU
 * without VNNI (its portable int8 loop) */
#if defined(__SANITIZE_THREAD__)
enum { THREADS = 8, PER_THREAD = 25, N = THREADS * PER_THREAD };
#else
enum { THREADS = 8, PER_THREAD = 200, N = THREADS * PER_THREAD };
#endif

static uint64_t params_hash(dc_model *m) {
    uint64_t h = 1469598103934665603ull;
    const float *p = dc_model_params(m);
    const unsigned char *b = (const unsigned char *)p;
    for (int64_t i = 0; i < dc_model_num_params(m) * 4; i++) h = (h ^ b[i]) * 1099511628211ull;
    return h;
}

/* ---- predictions: one session per thread ------------------------------------ */

typedef struct {
    const dc_model *m;
    const float *x;     /* N samples            */
    int64_t in, out;    /* values per sample    */
    int first, count;   /* samples of this job  */
    float *y;           /* N outputs            */
    dc_status st;
} predict_job;

static void *predict_worker(void *arg) {
    predict_job *j = arg;
    dc_session *s = dc_session_new(j->m, 1);
    if (!s) {
        j->st = DC_ERR_NOMEM;
        return NULL;
    }
    dc_session_set_threads(s, 1);
    for (int i = j->first; i < j->first + j->count && !j->st; i++)
        j->st = dc_session_predict(s, j->x + (int64_t)i * j->in, 1, j->y + (int64_t)i * j->out);
    dc_session_free(s);
    return NULL;
}

/* 8 threads predicting N samples with m, PER_THREAD each, into y; 1 when all ran */
static int predict_parallel(dc_model *m, const float *x, int64_t in, int64_t out, float *y) {
    pthread_t th[THREADS];
    predict_job jobs[THREADS];
    for (int t = 0; t < THREADS; t++) {
        jobs[t] = (predict_job){m, x, in, out, t * PER_THREAD, PER_THREAD, y, DC_OK};
        pthread_create(&th[t], NULL, predict_worker, &jobs[t]);
    }
    int ok = 1;
    for (int t = 0; t < THREADS; t++) {
        pthread_join(th[t], NULL);
        ok &= jobs[t].st == DC_OK;
    }
    return ok;
}

/* Serial predictions, then 8 threads over the same model: the same bits
 * (race: the threads first, on a model no session has used yet — an int8
 * convolution packs its kernel on first use, and they race to).
 * dense: the session's products are dc_predict's (not a pruned model's
 * sparse ones, which sum in another order), so one sample's are its bits. */
static void predict_case_race(const char *what, dc_model *m, const float *x, int dense, int race) {
    dc_session *probe = dc_session_new(m, 1);
    CHECK(probe != NULL, "%s: session: %s", what, dc_last_error());
    if (!probe) return;
    const int64_t in = dc_session_input_size(probe, 0), out = dc_session_output_size(probe, 0);
    CHECK(dc_session_input_dtype(probe, 0) == DC_F32 && in == 784, "%s: input of %lld floats", what, (long long)in);
    dc_session_free(probe);
    float *serial = malloc(sizeof(float) * (size_t)(N * out)), *par = calloc((size_t)(N * out), sizeof(float));
    const uint64_t before = params_hash(m);
    int ok = race ? predict_parallel(m, x, in, out, par) : 1;
    predict_job one = {m, x, in, out, 0, N, serial, DC_OK};
    predict_worker(&one);
    CHECK(one.st == DC_OK, "%s: serial predictions: %s", what, dc_last_error());
    if (!race) ok = predict_parallel(m, x, in, out, par);
    CHECK(ok, "%s: every thread's predictions ran", what);
    CHECK(!memcmp(serial, par, sizeof(float) * (size_t)(N * out)), "%s: 8 threads x %d predictions give the serial bits", what, PER_THREAD);
    CHECK(params_hash(m) == before, "%s: predicting left the parameters unchanged", what);
    /* a session at batch 1 gives what dc_predict gives for one sample
     * (dc_predict draws a sampling layer's noise on, batch after batch: a
     * session starts from the same seed at every run) */
    float *ref = malloc(sizeof(float) * (size_t)out);
    dc_dataset *d = dc_dataset_new(1, DC_F32, 1, (int64_t[]){784}, DC_I32, 0, NULL);
    memcpy(d->x.data, x, sizeof(float) * 784);
    memset(d->y.data, 0, sizeof(int32_t));
    int same = dc_predict(m, d, 1, 1, ref) == DC_OK;
    for (int64_t k = 0; same && k < out; k++) same = dense ? ref[k] == serial[k] : fabsf(ref[k] - serial[k]) < 1e-5f;
    CHECK(same, "%s: a session predicts as dc_predict", what);
    dc_dataset_free(d);
    free(ref);
    free(serial);
    free(par);
}

static void predict_case_as(const char *what, dc_model *m, const float *x, int dense) { predict_case_race(what, m, x, dense, 0); }
static void predict_case(const char *what, dc_model *m, const float *x) { predict_case_as(what, m, x, 1); }

static dc_model *trained(const char *desc_path, dc_dataset *train) {
    dc_model *m = dc_model_parse_file(desc_path);
    CHECK(m != NULL, "%s: %s", desc_path, dc_last_error());
    if (!m) return NULL;
    dc_fit_options o = {.epochs = 1, .validation_split = 0.0f, .shuffle = -1, .verbose = 0};
    CHECK(dc_fit(m, train, &o, NULL) == DC_OK, "%s trains: %s", desc_path, dc_last_error());
    return m;
}

/* ---- generation: one generator (and cache) per thread ----------------------- */

enum { V = 40, T = 32, GEN = 200 };
static const char *gpt_desc = "input 32\nembedding 40 32 init=normal name=wte\npositional_embedding name=wpe\n"
                              "transformer_block 4\ntransformer_block 4\nlayer_norm name=ln_f\n"
                              "dense 40 tie=wte use_bias=false activation=softmax name=lm_head\n"
                              "loss categorical_crossentropy\nfit seed=7\n";

typedef struct {
    const dc_model *m;
    int first, count;           /* prompts of this job                 */
    int32_t (*tokens)[GEN];     /* per prompt: the tokens generated    */
    dc_status st;
} gen_job;

static void *gen_worker(void *arg) {
    gen_job *j = arg;
    dc_generator *gen = dc_generator_new(j->m, 1, 1);
    if (!gen) {
        j->st = DC_ERR_NOMEM;
        return NULL;
    }
    dc_generator_set_threads(gen, 1);
    float logits[V];
    dc_sampling samp = {0.9f, 10, 0.0f};
    for (int p = j->first; p < j->first + j->count && !j->st; p++) {
        dc_rng rng;
        dc_rng_seed(&rng, 1000 + (uint64_t)p);
        int32_t prompt[3] = {p % V, (p * 7 + 3) % V, (p * 13 + 5) % V};
        dc_generator_reset(gen);
        j->st = dc_generator_feed(gen, prompt, 3, logits);
        for (int k = 0; k < GEN && !j->st; k++) {
            int32_t t = dc_sample_token(logits, V, &samp, NULL, &rng);
            j->tokens[p][k] = t;
            j->st = dc_generator_feed(gen, &t, 1, logits);
        }
    }
    dc_generator_free(gen);
    return NULL;
}

static void generate_case(void) {
    dc_model *m = dc_model_parse(gpt_desc, "gpt.dc");
    CHECK(m != NULL, "gpt: %s", dc_last_error());
    if (!m) return;
    dc_generator *probe = dc_generator_new(m, 1, 1);
    CHECK(probe && dc_generator_cached(probe), "gpt: generates with a KV cache");
    dc_generator_free(probe);
    enum { PROMPTS = THREADS * 4 }; /* 8 threads x 4 prompts x 200 tokens */
    static int32_t serial[PROMPTS][GEN], par[PROMPTS][GEN];
    const uint64_t before = params_hash(m);
    gen_job one = {m, 0, PROMPTS, serial, DC_OK};
    gen_worker(&one);
    CHECK(one.st == DC_OK, "gpt: serial generation: %s", dc_last_error());
    pthread_t th[THREADS];
    gen_job jobs[THREADS];
    for (int t = 0; t < THREADS; t++) {
        jobs[t] = (gen_job){m, t * 4, 4, par, DC_OK};
        pthread_create(&th[t], NULL, gen_worker, &jobs[t]);
    }
    int ok = 1;
    for (int t = 0; t < THREADS; t++) {
        pthread_join(th[t], NULL);
        ok &= jobs[t].st == DC_OK;
    }
    CHECK(ok, "gpt: every thread generated");
    CHECK(!memcmp(serial, par, sizeof serial), "gpt: 8 threads generate the serial tokens");
    int distinct = 0; /* the text is not one token repeated */
    for (int k = 1; k < GEN; k++) distinct += serial[0][k] != serial[0][0];
    CHECK(distinct > 10, "gpt: the generated text varies");
    CHECK(params_hash(m) == before, "gpt: generating left the parameters unchanged");
    dc_model_free(m);
}

/* ---- slots: streams of different lengths stepped as one batch ----------------- */

/* Four sequences join at different steps (so their positions differ), each
 * fed a token stream of its own for GEN steps (its cache slides by itself
 * past the context of 32): every step's logits match a generator of batch
 * 1 fed the same tokens (within rounding: a batch may sum in another
 * order), and a slot fed alone gives the same bits. */
static void slots_case(void) {
    dc_model *m = dc_model_parse(gpt_desc, "gpt.dc");
    if (!m) return;
    enum { S = 4 };
    dc_generator *batch = dc_generator_new(m, S, 1), *ref[S];
    CHECK(batch != NULL, "slots: %s", dc_last_error());
    for (int k = 0; k < S; k++) ref[k] = dc_generator_new(m, 1, 1);
    static float got[S][V], want[V];
    int32_t tok[S], slots[S];
    double worst = 0.0;
    int exact_one = 1, ok = 1;
    for (int step = 0; step < GEN + 3 * 10 && ok; step++) {
        int n = 0;
        for (int k = 0; k < S; k++) {
            const int at = step - 10 * k; /* sequence k starts at step 10k */
            if (at < 0 || at >= GEN) continue;
            tok[n] = (int32_t)((k * 11 + at * (k + 3)) % V);
            if (at == 0) { /* a prompt of k + 2 tokens through the slot alone */
                int32_t prompt[8];
                for (int i = 0; i < k + 2; i++) prompt[i] = (int32_t)((k + i * 5) % V);
                ok &= dc_generator_slot_feed(batch, k, prompt, k + 2, got[k]) == DC_OK;
                ok &= dc_generator_feed(ref[k], prompt, k + 2, want) == DC_OK;
                exact_one &= !memcmp(got[k], want, sizeof want);
            }
            slots[n++] = k;
        }
        if (!n) continue;
        ok &= dc_generator_slots_step(batch, n, slots, tok, &got[0][0]) == DC_OK;
        for (int i = 0; i < n && ok; i++) {
            ok &= dc_generator_feed(ref[slots[i]], &tok[i], 1, want) == DC_OK;
            for (int v = 0; v < V; v++) {
                const double d = fabs((double)got[i][v] - want[v]);
                worst = d > worst ? d : worst;
            }
        }
    }
    /* one slot stepped alone from a fresh prompt, past a slide: the same bits */
    dc_generator_slot_reset(batch, 2);
    dc_generator_reset(ref[2]);
    for (int step = 0; step < 2 * T && ok; step++) {
        int32_t t = (int32_t)((step * 7 + 1) % V), two = 2;
        ok &= dc_generator_slots_step(batch, 1, &two, &t, got[0]) == DC_OK && dc_generator_feed(ref[2], &t, 1, want) == DC_OK;
        exact_one &= !memcmp(got[0], want, sizeof want);
    }
    CHECK(ok, "slots: every step ran: %s", dc_last_error());
    CHECK(worst < 1e-5, "slots: logits of slots stepped together match batch-1 generators (worst %g)", worst);
    CHECK(exact_one, "slots: a slot alone gives the batch-1 bits");
    CHECK_ERR(dc_generator_slots_step(batch, 2, (int32_t[]){1, 1}, tok, &got[0][0]) != DC_OK, "stepped twice in one step");
    CHECK_ERR(dc_generator_slot_feed(batch, S, tok, 1, got[0]) != DC_OK, "slot 4 of a generator of 4");
    for (int k = 0; k < S; k++) dc_generator_free(ref[k]);
    dc_generator_free(batch);
    dc_model_free(m);
}

/* ---- a linear head under cross-entropy: probabilities on request ------------- */

static void probabilities_case(dc_dataset *train, dc_dataset *test) {
    dc_model *m = dc_model_parse("input 784\ndense 32 activation=relu\ndense 10\nloss categorical_crossentropy\n"
                                 "optimizer adam lr=0.001\nfit epochs=1 batch_size=64 seed=3\n", "logits.dc");
    dc_fit_options o = {.epochs = 1, .validation_split = 0.0f, .shuffle = -1, .verbose = 0};
    CHECK(m && dc_fit(m, train, &o, NULL) == DC_OK, "logits model trains: %s", dc_last_error());
    if (!m) return;
    static float x[8 * 784], raw[80], prob[80], want[80];
    int64_t idx[8] = {0, 1, 2, 3, 4, 5, 6, 7};
    dc_dataset_gather(test, idx, 8, x, NULL);
    dc_session *s = dc_session_new(m, 8);
    CHECK(s && dc_session_predict(s, x, 8, raw) == DC_OK, "logits: raw run");
    dc_session_set_probabilities(s, 1);
    CHECK(dc_session_predict(s, x, 8, prob) == DC_OK, "logits: probabilities run");
    CHECK(dc_predict(m, test, 8, 8, want) == DC_OK, "logits: dc_predict");
    double worst = 0.0, sum0 = 0.0, rawsum = 0.0;
    for (int i = 0; i < 80; i++) worst = fmax(worst, fabs((double)prob[i] - want[i]));
    for (int k = 0; k < 10; k++) sum0 += prob[k], rawsum += raw[k];
    CHECK(worst < 1e-6 && fabs(sum0 - 1.0) < 1e-5, "logits: session probabilities equal dc_predict's (worst %g, sum %g)", worst, sum0);
    CHECK(fabs(rawsum - 1.0) > 1e-3, "logits: without the switch the scores are raw (sum %g)", rawsum);
    dc_session_free(s);
    dc_model_free(m);
}

/* ---- the VAE's KL term belongs to the caller's graph --------------------------- */

static void vae_terms_case(dc_model *m, const float *x) {
    dc_graph *g = dc_graph_new();
    dc_graph_set_grad_enabled(g, 0);
    dc_rng rng;
    dc_rng_seed(&rng, 1);
    dc_graph_set_rng(g, &rng);
    dc_tensor *xb = dc_input(g, DC_F32, 2, (int64_t[]){8, 784});
    memcpy(xb->data, x, sizeof(float) * 8 * 784);
    dc_tensor *l = dc_model_loss_of(m, g, xb, NULL, NULL, NULL);
    CHECK(l != NULL && dc_graph_num_loss_parts(g) == 2, "vae: the loss's parts are on the graph: %s", dc_last_error());
    double kl = NAN;
    const char *name = dc_graph_loss_part(g, 1, &kl);
    CHECK(name && !strcmp(name, "kl") && kl > 0.0, "vae: the second part is the KL term (%s %g)", name ? name : "-", kl);
    dc_graph *other = dc_graph_new();
    CHECK(dc_graph_num_loss_parts(other) == 0, "vae: another graph has no parts");
    dc_graph_free(other);
    dc_graph_free(g);
}

/* ---- inputs from memory: the file paths' steps ------------------------------ */

static char workdir[512];

static void memory_inputs_case(const float *x, const dc_dataset *test) {
    /* an image as PNG bytes: decoded and scaled as the image loaders do */
    dc_model *cnn = dc_model_parse_file("models/fashion_cnn.dc");
    CHECK(cnn != NULL, "cnn: %s", dc_last_error());
    char png[600];
    snprintf(png, sizeof png, "%s/one.png", workdir);
    uint8_t px[784];
    for (int i = 0; i < 784; i++) px[i] = (uint8_t)lrintf(x[i] * 255.0f);
    CHECK(dc_image_write_png(png, px, 28, 28, 1) == DC_OK, "png: %s", dc_last_error());
    FILE *f = fopen(png, "rb");
    unsigned char bytes[8192];
    size_t nb = f ? fread(bytes, 1, sizeof bytes, f) : 0;
    if (f) fclose(f);
    float in[784];
    CHECK(cnn && dc_model_image_input(cnn, bytes, nb, in) == DC_OK, "image bytes: %s", dc_last_error());
    int w = 0, h = 0, same = 1;
    uint8_t *fpx = NULL, planar[784];
    CHECK(dc_image_read(png, 1, &w, &h, &fpx) == DC_OK && w == 28 && h == 28, "read back: %s", dc_last_error());
    if (fpx) dc_image_resize(fpx, w, h, 1, planar, 28, 28); /* the image loaders' steps, from the file */
    for (int i = 0; fpx && i < 784; i++) same &= in[i] == (float)planar[i] * (1.0f / 255.0f);
    free(fpx);
    CHECK(fpx && same, "PNG bytes in memory give what the image loader gives from the file");
    CHECK_ERR(cnn && dc_model_image_input(cnn, "GIF89a....", 10, in) != DC_OK, "a GIF file");
    dc_model_free(cnn);
    (void)test;

    /* a text through the stored tokenizer, padded as training padded */
    dc_model *tm = dc_model_parse("input 6\nembedding 30 4\nglobal_avg_pool1d\ndense 2 activation=softmax\n"
                                  "text maxlen=6 num_words=30 padding=post\n",
                                  "text.dc");
    dc_tokenizer_options to = {0, 1, 1, 30};
    dc_tokenizer *tok = dc_tokenizer_new(&to);
    const char *texts[] = {"the cat sat on the mat", "a dog sat", "the dog ran"};
    CHECK(tm && tok && dc_tokenizer_fit(tok, texts, 3) == DC_OK && dc_model_set_tokenizer(tm, tok) == DC_OK, "text model: %s",
          dc_last_error());
    int32_t ids[6], want[6];
    int64_t k = tm ? dc_model_text_input(tm, "The dog sat, the end", ids) : -1;
    dc_tokenizer_encode(tok, "The dog sat, the end", want, 6, 1, 0);
    CHECK(k == 5 && !memcmp(ids, want, sizeof ids) && ids[5] == 0, "a text becomes the tokenizer's ids, padded after (%lld)", (long long)k);
    dc_tokenizer_free(tok);
    dc_model_free(tm);

    /* a table row of named cells through the fitted pipeline */
    char csv[600];
    snprintf(csv, sizeof csv, "%s/t.csv", workdir);
    f = fopen(csv, "w");
    fputs("a,b,color,label\n1,2,red,x\n3,4,blue,y\n5,,red,x\n7,1,green,y\n2,8,blue,x\n", f);
    fclose(f);
    dc_csv_options o = {.label = "label", .scaling = DC_SCALE_STANDARD, .missing = DC_MISSING_MEAN};
    dc_tabular *pipe = NULL;
    dc_dataset *tr = NULL, *te = NULL;
    CHECK(dc_csv_load(csv, &o, &pipe, &tr, &te, NULL) == DC_OK, "csv: %s", dc_last_error());
    if (pipe && tr) {
        dc_dataset *all = dc_tabular_transform(pipe, csv, 0);
        const int F = dc_tabular_num_features(pipe);
        const char *names[4] = {"label", "color", "b", "a"}; /* any order; the label is ignored */
        const char *rows[5][4] = {{"x", "red", "2", "1"}, {"y", "blue", "4", "3"}, {"x", "red", "", "5"}, {"y", "green", "1", "7"},
                                  {"x", "blue", "8", "2"}};
        int ok = all != NULL, unknown = -1;
        float r[16];
        for (int i = 0; ok && i < 5; i++) {
            ok &= dc_tabular_row(pipe, names, rows[i], 4, r, &unknown) == DC_OK;
            ok &= !memcmp(r, (const float *)all->x.data + i * F, sizeof(float) * (size_t)F);
        }
        CHECK(ok, "rows in memory give the file's transformed rows, bit for bit");
        const char *odd[4] = {"x", "purple", "2", "1"};
        CHECK(dc_tabular_row(pipe, names, odd, 4, r, &unknown) == DC_OK && unknown == 1, "an unseen category is counted");
        CHECK_ERR(dc_tabular_row(pipe, names, odd, 2, r, NULL) != DC_OK, "no cell for column \"a\"");
        char desc[128];
        snprintf(desc, sizeof desc, "input %d\ndense 2 activation=softmax\n", F);
        dc_model *mm = dc_model_parse(desc, "row.dc");
        float y[16];
        CHECK(mm && dc_model_set_tabular(mm, pipe) == DC_OK && dc_model_row_input(mm, names, rows[3], 4, y, NULL) == DC_OK &&
                  !memcmp(y, (const float *)all->x.data + 3 * F, sizeof(float) * (size_t)F),
              "dc_model_row_input uses the model file's pipeline: %s", dc_last_error());
        dc_model_free(mm);
        dc_dataset_free(all);
    }
    dc_tabular_free(pipe);
    dc_dataset_free(tr);
    dc_dataset_free(te);
}

int main(int argc, char **argv) {
    snprintf(workdir, sizeof workdir, "%s", argc > 1 ? argv[1] : "session_tmp");
    mkdir(workdir, 0755); /* (it may exist) */
    dc_set_num_threads(1);
    dc_dataset *train = dc_mnist_load_limit("fashion-mnist", "train", 2000);
    dc_dataset *test = dc_mnist_load_limit("fashion-mnist", "test", N);
    CHECK(train && test && test->n == N, "Fashion-MNIST: %s", dc_last_error());
    if (!train || !test) return 1;
    float *x = malloc(sizeof(float) * (size_t)N * 784);
    int64_t *idx = malloc(sizeof(int64_t) * N);
    for (int i = 0; i < N; i++) idx[i] = i;
    dc_dataset_gather(test, idx, N, x, NULL);
    dc_model *mlp = trained("models/fashion_mlp.dc", train);
    if (mlp) predict_case("fashion MLP", mlp, x);
    /* quantized copies: int8 and 4-bit products, from 8 threads at once */
    dc_model *q8 = mlp ? dc_model_quantize(mlp, 8, NULL) : NULL, *q4 = mlp ? dc_model_quantize(mlp, 4, NULL) : NULL;
    CHECK(q8 && q4, "quantize: %s", dc_last_error());
    if (q8) predict_case("int8 MLP", q8, x);
    if (q4) predict_case("4-bit MLP", q4, x);
    dc_model_free(q8), dc_model_free(q4);
    /* an int8 CNN (untrained: the bits are what is compared), its
     * convolution's kernel packed by whichever thread comes first */
    dc_model *cnn = dc_model_parse_file("models/fashion_cnn.dc"), *qc = cnn ? dc_model_quantize(cnn, 8, NULL) : NULL;
    CHECK(qc != NULL, "int8 CNN: %s", dc_last_error());
    if (qc) predict_case_race("int8 CNN", qc, x, 1, 1);
    dc_model_free(qc), dc_model_free(cnn);
    /* a 96% pruned copy: its sessions run the matrices as CSR (sparse_set.c) */
    dc_model *pr = trained("models/fashion_mlp.dc", train);
    dc_prune_config pc = {.sparsity = 0.96f};
    dc_fit_options po = {.epochs = 1, .validation_split = -1.0f, .shuffle = -1, .verbose = 0, .prune = &pc};
    CHECK(pr && dc_fit(pr, train, &po, NULL) == DC_OK, "prune: %s", dc_last_error());
    if (pr) predict_case_as("96% pruned MLP (sparse)", pr, x, 0);
    dc_model_free(pr);
    dc_model *vae = trained("models/fashion_vae.dc", train);
    if (vae) {
        predict_case("fashion VAE", vae, x);
        vae_terms_case(vae, x);
    }
    generate_case();
    slots_case();
    probabilities_case(train, test);
    memory_inputs_case(x, test);
    /* a session refuses what does not fit */
    if (mlp) {
        dc_session *s = dc_session_new(mlp, 2);
        float out[30];
        CHECK_ERR(dc_session_predict(s, x, 3, out) != DC_OK, "a batch of 3 samples (1 to 2)");
        dc_session_free(s);
        CHECK_ERR(dc_session_new(mlp, 0) == NULL, "max_batch 0");
    }
    dc_model_free(mlp);
    dc_model_free(vae);
    dc_dataset_free(train);
    dc_dataset_free(test);
    free(x);
    free(idx);
    printf("%d passed, %d failed\n", test_passed, test_failed);
    return test_failed ? 1 : 0;
}
