/* test_quant.c — quantized products (src/kernels/quant.c). The int8 and
 * 4-bit products against a double-precision reference on the same
 * quantized values, on random and adversarial inputs (saturation at +-127,
 * rows of zeros, NaN and inf in a row, odd block counts, K not a multiple
 * of 64); and the AVX-512 VNNI path against the portable one, bit for bit
 * (where this CPU has VNNI; the portable path runs everywhere). Then whole
 * models (dc_model_quantize): a GPT-2-shaped language model's int8 copy
 * picks the float model's next token at >= 95% of 256 positions (4-bit:
 * over half); files round-trip bit for bit; summary
 * and metadata say what is stored; --init-from dequantizes. */
#include "test.h"
#include "../src/kernels/kernels.h"

static float rnd(dc_rng *r) { return 2.0f * dc_rng_uniform(r) - 1.0f; }

typedef struct {
    int64_t M, N, K;
    float *x, *w, *b;
} problem;

/* x (M, K) and w (N, K), with the adversarial rows the case asks for */
static problem make(int64_t M, int64_t N, int64_t K, uint64_t seed, int adversarial) {
    dc_rng r;
    dc_rng_seed(&r, seed);
    problem p = {M, N, K, malloc(sizeof(float) * (size_t)(M * K)), malloc(sizeof(float) * (size_t)(N * K)),
                 malloc(sizeof(float) * (size_t)N)};
    for (int64_t i = 0; i < M * K; i++) p.x[i] = rnd(&r) * 3.0f;
    for (int64_t i = 0; i < N * K; i++) p.w[i] = rnd(&r) * 0.2f;
    for (int64_t i = 0; i < N; i++) p.b[i] = rnd(&r);
    if (adversarial) {
        for (int64_t k = 0; k < K; k++) p.x[k] = (k % 2 ? -1e6f : 1e6f); /* every value at +-127 */
        if (M > 1) memset(p.x + K, 0, sizeof(float) * (size_t)K);         /* a row of zeros */
        if (M > 2) p.x[2 * K + K / 2] = NAN;                               /* a NaN: that row only */
        if (M > 3) p.x[3 * K] = INFINITY;
        for (int64_t k = 0; k < K; k++) p.w[k] = (k % 3 ? 0.5f : -0.5f);  /* a weight row at +-127 */
        if (N > 1) memset(p.w + K, 0, sizeof(float) * (size_t)K);          /* a weight row of zeros */
    }
    return p;
}
static void drop(problem *p) { free(p->x), free(p->w), free(p->b); }

static int row_finite(const problem *p, int64_t m) {
    for (int64_t k = 0; k < p->K; k++)
        if (!isfinite(p->x[m * p->K + k])) return 0;
    return 1;
}

static void int8_case(int64_t M, int64_t N, int64_t K, int adversarial) {
    problem p = make(M, N, K, (uint64_t)(M * 1000003 + N * 1009 + K), adversarial);
    int8_t *wq = malloc((size_t)(N * K)), *xq = malloc((size_t)(M * K));
    float *sw = malloc(sizeof(float) * (size_t)N), *sx = malloc(sizeof(float) * (size_t)M);
    int32_t *xs = malloc(sizeof(int32_t) * (size_t)M);
    float *y = malloc(sizeof(float) * (size_t)(M * N)), *y2 = malloc(sizeof(float) * (size_t)(M * N));
    dc_k_quantize_rows_i8(p.w, N, K, wq, sw);
    dc_k_quantize_act_rows(p.x, M, K, xq, sx, xs);
    dc_k_quant_force_portable(1);
    dc_k_qgemm_i8(M, N, K, xq, sx, xs, wq, sw, p.b, y);
    int bad = 0;
    for (int64_t m = 0; m < M; m++)
        for (int64_t n = 0; n < N; n++) {
            const float v = y[m * N + n];
            if (!row_finite(&p, m)) { /* NaN or inf in the row: NaN out */
                bad += !isnan(v);
                continue;
            }
            double ref = 0.0, exact = 0.0, mag = 0.0;
            for (int64_t k = 0; k < K; k++) {
                ref += (double)xq[m * K + k] * sx[m] * ((double)wq[n * K + k] * sw[n]);
                exact += (double)p.x[m * K + k] * p.w[n * K + k];
                mag += fabs((double)p.x[m * K + k] * p.w[n * K + k]);
            }
            ref += p.b[n], exact += p.b[n];
            if (fabs(v - ref) > 1e-5 * (fabs(ref) + mag + 1.0)) bad++;
            /* and the quantization error itself: half a step of each side per product */
            if (fabs(v - exact) > 0.02 * (mag + 1.0)) bad++;
        }
    CHECK(!bad, "int8 %lldx%lldx%lld%s: %d outputs off", (long long)M, (long long)N, (long long)K, adversarial ? " (adversarial)" : "", bad);
    if (!adversarial) {
        for (int64_t k = 0; k < K; k++) CHECK(p.x[k] == 0.0f || xq[k] != 0 || fabsf(p.x[k]) < sx[0], "quantized to zero");
    } else {
        CHECK(xq[0] == 127 && (K < 2 || xq[1] == -127), "saturation: %d %d", xq[0], xq[1]);
        if (M > 1) CHECK(sx[1] == 1.0f && xs[1] == 0, "a row of zeros: scale %g", sx[1]);
        if (M > 1)
            for (int64_t n = 0; n < N; n++) CHECK(y[N + n] == p.b[n], "a row of zeros gives the bias");
        if (N > 1) CHECK(sw[1] == 1.0f, "a weight row of zeros: scale 1, not 0 (got %g)", sw[1]);
    }
    dc_k_quant_force_portable(0); /* VNNI where the CPU has it; oneDNN's GEMM from DC_QGEMM_BIG_M rows */
    dc_k_qgemm_i8(M, N, K, xq, sx, xs, wq, sw, p.b, y2);
    int same = 1; /* the bits (NaN != NaN) */
    for (int64_t i = 0; i < M * N; i++) same &= !memcmp(&y[i], &y2[i], 4);
    CHECK(same, "int8 %lldx%lldx%lld: the %s path and the portable one differ", (long long)M, (long long)N, (long long)K,
          M >= DC_QGEMM_BIG_M ? "oneDNN" : dc_k_quant_impl());
    free(wq), free(xq), free(sw), free(sx), free(xs), free(y), free(y2);
    drop(&p);
}

static void q4_case(int64_t M, int64_t N, int64_t K, int adversarial) {
    problem p = make(M, N, K, (uint64_t)(M * 7919 + N * 31 + K), adversarial);
    const int64_t nb = K / DC_Q4_BLOCK;
    uint8_t *wq = malloc((size_t)(N * K / 2));
    uint16_t *dw = malloc(sizeof(uint16_t) * (size_t)(N * nb));
    int8_t *xq = malloc((size_t)(M * K));
    float *dx = malloc(sizeof(float) * (size_t)(M * nb)), *wd = malloc(sizeof(float) * (size_t)(N * K));
    int32_t *xs4 = malloc(sizeof(int32_t) * (size_t)(M * K / 4));
    float *y = malloc(sizeof(float) * (size_t)(M * N)), *y2 = malloc(sizeof(float) * (size_t)(M * N));
    dc_k_quantize_q4_rows(p.w, N, K, wq, dw);
    dc_k_dequantize_q4_rows(wq, dw, N, K, wd);
    int far = 0;
    for (int64_t i = 0; i < N * K; i++) { /* within half a step (and the -8..7 range holds the extremes) */
        float s = dc_k_f16_to_f32(dw[i / DC_Q4_BLOCK]);
        far += !(fabsf(wd[i] - p.w[i]) <= 0.5f * s * 1.001f + 1e-7f) || !(s > 0.0f);
    }
    CHECK(!far, "q4 %lldx%lld: %d values beyond half a step", (long long)N, (long long)K, far);
    dc_k_quantize_act_blocks(p.x, M, K, xq, dx, xs4);
    dc_k_quant_force_portable(1);
    dc_k_qgemm_q4(M, N, K, xq, dx, xs4, wq, dw, p.b, y);
    int bad = 0;
    for (int64_t m = 0; m < M; m++)
        for (int64_t n = 0; n < N; n++) {
            const float v = y[m * N + n];
            if (!row_finite(&p, m)) {
                bad += !isnan(v);
                continue;
            }
            double ref = 0.0, mag = 0.0;
            for (int64_t k = 0; k < K; k++) {
                double xv = (double)xq[m * K + k] * dx[m * nb + k / DC_Q4_BLOCK];
                ref += xv * wd[n * K + k];
                mag += fabs(xv * wd[n * K + k]);
            }
            ref += p.b[n];
            if (fabs(v - ref) > 1e-5 * (mag + fabs(ref) + 1.0)) bad++;
        }
    CHECK(!bad, "q4 %lldx%lldx%lld%s: %d outputs off", (long long)M, (long long)N, (long long)K, adversarial ? " (adversarial)" : "", bad);
    dc_k_quant_force_portable(0);
    if (!strcmp(dc_k_quant_impl(), "avx512-vnni")) {
        dc_k_qgemm_q4(M, N, K, xq, dx, xs4, wq, dw, p.b, y2);
        int same = 1;
        for (int64_t i = 0; i < M * N; i++) same &= !memcmp(&y[i], &y2[i], 4);
        CHECK(same, "q4 %lldx%lldx%lld: VNNI and portable differ", (long long)M, (long long)N, (long long)K);
    }
    free(wq), free(dw), free(xq), free(dx), free(wd), free(xs4), free(y), free(y2);
    drop(&p);
}

static dc_tensor *named(dc_model *m, const char *name) {
    for (int i = 0; i < dc_model_num_param_tensors(m); i++) {
        const char *n;
        dc_tensor *t = dc_model_param_tensor(m, i, &n);
        if (!strcmp(n, name)) return t;
    }
    return NULL;
}

/* outputs (N, T, V) of m on ids, into out */
static int run(dc_model *m, const int32_t *ids, int N, int T, float *out) {
    dc_session *s = dc_session_new(m, N);
    int ok = s && dc_session_predict(s, ids, N, out) == DC_OK;
    CHECK(ok, "predict: %s", dc_last_error());
    dc_session_free(s);
    (void)T;
    return ok;
}

static int argmax(const float *v, int64_t n) {
    int64_t b = 0;
    for (int64_t i = 1; i < n; i++) b = v[i] > v[b] ? i : b;
    return (int)b;
}

static void model_case(void) {
    /* GPT-2's vocabulary and block, narrower and shorter */
    static const char desc[] = "input 32\nembedding 50257 64 init=normal name=wte\npositional_embedding name=wpe\n"
                               "repeat 2\ntransformer_block 2\nend\nlayer_norm name=ln_f\n"
                               "dense 50257 tie=wte use_bias=false activation=softmax name=lm_head\nloss categorical_crossentropy\n";
    dc_model *m = dc_model_parse(desc, "gpt.dc");
    CHECK(m != NULL, "gpt: %s", dc_last_error());
    if (!m) return;
    dc_rng r;
    dc_rng_seed(&r, 5);
    for (int i = 0; i < dc_model_num_param_tensors(m); i++) { /* larger than init: a decisive argmax, as tests/gpt2_files.py */
        const char *n;
        dc_tensor *t = dc_model_param_tensor(m, i, &n);
        for (int64_t k = 0; k < t->size; k++) t->data[k] += 0.1f * dc_rng_normal(&r);
    }
    enum { N = 8, T = 32, V = 50257 };
    int32_t ids[N * T];
    for (int i = 0; i < N * T; i++) ids[i] = (int32_t)dc_rng_below(&r, V);
    float *yf = malloc(sizeof(float) * N * T * V), *yq = malloc(sizeof(float) * N * T * V);
    run(m, ids, N, T, yf);
    for (int bits = 8; bits >= 4; bits -= 4) {
        FILE *rep = tmpfile();
        dc_model *q = dc_model_quantize(m, bits, rep);
        CHECK(q != NULL, "quantize %d: %s", bits, dc_last_error());
        if (!q) continue;
        char text[4096] = "";
        rewind(rep);
        size_t got = fread(text, 1, sizeof text - 1, rep);
        text[got] = 0;
        fclose(rep);
        CHECK(strstr(text, "wpe") && strstr(text, "stays float") && strstr(text, bits == 8 ? "int8 per output row" : "4-bit q4_0"),
              "the report names each layer's storage:\n%s", text);
        dc_tensor *w = named(q, "transformer_block.attn.c_attn.weight"), *sc = named(q, "transformer_block.attn.c_attn.weight_scale"), *e = named(q, "wte.weight");
        CHECK(w && sc && e && w->dtype == (bits == 8 ? DC_I8 : DC_U8) && sc->dtype == (bits == 8 ? DC_F32 : DC_F16) &&
                  w->shape[0] == 192 && w->shape[1] == (bits == 8 ? 64 : 32) && e->dtype == w->dtype,
              "%d-bit: the products and the embedding are stored quantized", bits);
        CHECK(named(q, "transformer_block.ln_1.weight")->dtype == DC_F32 && named(q, "transformer_block.attn.c_attn.bias")->dtype == DC_F32 &&
                  named(q, "wpe.weight")->dtype == DC_F32,
              "norms, biases and positions stay float");
        run(q, ids, N, T, yq);
        int same = 0;
        for (int i = 0; i < N * T; i++) same += argmax(yf + (int64_t)i * V, V) == argmax(yq + (int64_t)i * V, V);
        printf("gpt %d-bit: the float model's next token at %d of %d positions\n", bits, same, N * T);
        /* random weights give nearly flat logits over 50,257 tokens, where a
         * 4-bit step flips close calls: its floor here is only far above
         * chance; trained models hold it to a loss (tests/quantize.sh) */
        CHECK(same >= (bits == 8 ? 0.95 : 0.5) * N * T, "%d-bit: the same next token at %d of %d positions", bits, same, N * T);
        /* the file: the same bits back, its metadata, its summary */
        const char *path = path_of(bits == 8 ? "gpt.int8.safetensors" : "gpt.q4.safetensors");
        CHECK(dc_model_save(q, path) == DC_OK, "save: %s", dc_last_error());
        dc_model *l = dc_model_load(path);
        CHECK(l != NULL, "load: %s", dc_last_error());
        if (l) {
            float *yl = malloc(sizeof(float) * N * T * V);
            run(l, ids, N, T, yl);
            CHECK(!memcmp(yl, yq, sizeof(float) * N * T * V), "%d-bit: the loaded file gives the same bits", bits);
            free(yl);
            CHECK(dc_model_quantization(l) && strstr(dc_model_quantization(l), bits == 8 ? "int8" : "q4"), "metadata: %s",
                  dc_model_quantization(l) ? dc_model_quantization(l) : "(none)");
            CHECK(strstr(dc_model_description(l), bits == 8 ? "transformer_block 2 weights=i8" : "transformer_block 2 weights=q4"),
                  "the description says it:\n%s", dc_model_description(l));
            /* --init-from: a float model of the same description starts from the dequantized values */
            dc_model *f = dc_model_parse(desc, "gpt.dc");
            CHECK(f && dc_model_init_from(f, l, NULL) > 0, "init-from: %s", dc_last_error());
            if (f) {
                dc_tensor *fw = named(f, "transformer_block.attn.c_attn.weight"), *mw = named(m, "transformer_block.attn.c_attn.weight");
                float d = 0.0f;
                for (int64_t k = 0; k < fw->size; k++) d = fmaxf(d, fabsf(fw->data[k] - mw->data[k]));
                CHECK(d < (bits == 8 ? 0.01f : 0.08f) && d > 0.0f, "init-from dequantizes (max diff %g from the original)", d);
            }
            dc_model_free(f);
        }
        dc_model_free(l);
        dc_model_free(q);
    }
    CHECK_ERR(dc_model_quantize(m, 5, NULL) == NULL, "--bits is 8 or 4");
    /* a model built in C (no description of its own) is quantized too */
    dc_model *c = dc_model_new(1, (int64_t[]){48});
    dc_model_add_dense(c, 32, DC_ACT_RELU);
    dc_model_add_dense(c, 4, DC_ACT_SOFTMAX);
    dc_model_compile(c, DC_LOSS_CATEGORICAL_CE, dc_adam(0.01f));
    dc_model *cq = c && dc_model_build(c, 1) == DC_OK ? dc_model_quantize(c, 4, NULL) : NULL;
    CHECK(cq && named(cq, "dense.weight") && named(cq, "dense.weight")->dtype == DC_I8 && named(cq, "dense_1.weight")->dtype == DC_U8,
          "a model built in C: int8 for 48 columns, 4-bit for 32 (%s)", cq ? "" : dc_last_error());
    dc_model_free(cq), dc_model_free(c);
    named(m, "transformer_block_1.mlp.c_fc.weight")->data[7] = NAN;
    CHECK_ERR(dc_model_quantize(m, 8, NULL) == NULL, "tensor \"transformer_block_1.mlp.c_fc.weight\" holds NaN at value 7");
    free(yf), free(yq);
    dc_model_free(m);
}

/* Static activations (dc_model_quantize_static): an MLP calibrated on its
 * data keeps its predictions, stores and reloads its input scales and zero
 * points (the first layer's from the data's range, the second's 0: ReLU
 * outputs), and a zero scale or a zero point outside [0, 255] in the file
 * is refused; the op against its reference kernel, and inputs past the
 * calibrated range clamp. */
static void static_case(void) {
    const char *desc = "input 6\ndense 24 activation=relu\ndense 3 activation=softmax\nloss categorical_crossentropy\n"
                       "optimizer adam lr=0.01\nfit epochs=3 batch_size=32 validation_split=0 seed=4\n";
    dc_model *m = dc_model_parse(desc, "static.dc");
    dc_dataset *d = test_blobs(300, 3);
    dc_fit_options o = {.validation_split = -1.0f, .shuffle = -1, .verbose = 0};
    CHECK(m && dc_fit(m, d, &o, NULL) == DC_OK, "train: %s", dc_last_error());
    dc_model *q = dc_model_quantize_static(m, d, 200, NULL);
    CHECK(q != NULL, "quantize --static: %s", dc_last_error());
    if (!q) return;
    CHECK(strstr(dc_model_description(q), "weights=i8 activations=static") != NULL, "the lines say activations=static");
    dc_tensor *a = named(q, "dense.weight_act_scale"), *z = named(q, "dense.weight_act_zero_point");
    float lo = 0.0f, hi = 0.0f;
    for (int64_t i = 0; i < 200 * 6; i++) lo = fminf(lo, ((float *)d->x.data)[i]), hi = fmaxf(hi, ((float *)d->x.data)[i]);
    const float want = (hi - lo) / 255.0f;
    CHECK(lo < 0.0f && a && fabsf(a->data[0] - want) < 1e-6f, "the first layer's input scale is (max - min) / 255 over the calibration rows (%g, want %g)",
          a ? (double)a->data[0] : 0.0, (double)want);
    CHECK(z && z->data[0] == nearbyintf(-lo / want) && z->data[0] > 0.0f, "its zero point is round(-min / scale) (%g)", z ? (double)z->data[0] : -1.0);
    dc_tensor *z1 = named(q, "dense_1.weight_act_zero_point");
    CHECK(z1 && z1->data[0] == 0.0f, "the second layer's inputs are ReLU outputs: zero point 0 (%g)", z1 ? (double)z1->data[0] : -1.0);
    float *pf = malloc(sizeof(float) * 300 * 3), *pq = malloc(sizeof(float) * 300 * 3);
    CHECK(!dc_predict(m, d, 300, 64, pf) && !dc_predict(q, d, 300, 64, pq), "predict");
    int same = 0;
    for (int i = 0; i < 300; i++) same += argmax(pf + 3 * i, 3) == argmax(pq + 3 * i, 3);
    CHECK(same >= 294, "static int8 picks the float model's class for %d of 300", same);
    CHECK(dc_model_save(q, path_of("static.safetensors")) == DC_OK, "save");
    dc_model *r = dc_model_load(path_of("static.safetensors"));
    float *pr = malloc(sizeof(float) * 300 * 3);
    CHECK(r && !dc_predict(r, d, 300, 64, pr) && !memcmp(pr, pq, sizeof(float) * 300 * 3), "reloaded: the same outputs, bit for bit");
    if (r) { /* a zero point outside [0, 255] or not whole, a zero input scale: damaged files */
        const float bad[] = {256.0f, 1.5f, -1.0f};
        for (int i = 0; i < 3; i++) {
            named(r, "dense.weight_act_zero_point")->data[0] = bad[i];
            CHECK(dc_model_save(r, path_of("static_bad.safetensors")) == DC_OK, "save");
            dc_model *x = dc_model_load(path_of("static_bad.safetensors"));
            CHECK_ERR(x == NULL, "\"dense.weight_act_zero_point\" is");
            dc_model_free(x);
        }
        named(r, "dense.weight_act_zero_point")->data[0] = 7.0f;
        named(r, "dense_1.weight_act_scale")->data[0] = 0.0f;
        CHECK(dc_model_save(r, path_of("static_bad.safetensors")) == DC_OK, "save");
        dc_model *x = dc_model_load(path_of("static_bad.safetensors"));
        CHECK_ERR(x == NULL, "dense_1.weight_act_scale");
        dc_model_free(x);
    }
    /* the op on its reference kernel, zero points 128 (symmetric), 0 and
     * 200; inputs past the range clamp */
    dc_graph *g = dc_graph_new();
    dc_graph_set_grad_enabled(g, 0);
    dc_graph_set_trace(g, 1);
    dc_tensor *x = dc_input(g, DC_F32, 2, (int64_t[]){4, 6});
    for (int i = 0; i < 24; i++) x->data[i] = (float)(i % 7) - 3.0f;
    dc_tensor *s1 = dc_tensor_new(DC_F32, 1, (int64_t[]){1}), *zp = dc_tensor_new(DC_F32, 1, (int64_t[]){1});
    s1->data[0] = 1.0f / 64.0f; /* a narrow range: many inputs clamp */
    dc_layer *l = dc_model_find_layer(q, "dense");
    const float zps[] = {128.0f, 0.0f, 200.0f};
    for (int i = 0; i < 3; i++) {
        zp->data[0] = zps[i];
        dc_tensor *y = dc_qlinear_static(g, x, dc_layer_param(l, "weight"), dc_layer_param(l, "weight_scale"), s1, zp, dc_layer_param(l, "bias"));
        float ref[4 * 24];
        CHECK(y && dc_trace_run_reference(g, y, ref) == DC_OK, "reference: %s", dc_last_error());
        double worst = 0.0;
        for (int64_t k = 0; y && k < y->size; k++) worst = fmax(worst, fabs((double)ref[k] - y->data[k]));
        CHECK(worst < 1e-5, "qlinear_static (zero point %g) against its reference kernel (max diff %g)", (double)zps[i], worst);
    }
    zp->data[0] = 128.0f;
    s1->data[0] = 0.0f;
    CHECK_ERR(dc_qlinear_static(g, x, dc_layer_param(l, "weight"), dc_layer_param(l, "weight_scale"), s1, zp, NULL) == NULL, "positive finite");
    s1->data[0] = 1.0f;
    zp->data[0] = 255.5f;
    CHECK_ERR(dc_qlinear_static(g, x, dc_layer_param(l, "weight"), dc_layer_param(l, "weight_scale"), s1, zp, NULL) == NULL, "integer in [0, 255]");
    dc_tensor_free(s1), dc_tensor_free(zp);
    dc_graph_free(g);
    CHECK_ERR(dc_model_parse("input 1x8x8\nconv2d 4 kernel=3 weights=i8 activations=static\n", "c.dc") == NULL, "dense and transformer layers only");
    CHECK_ERR(dc_model_parse("input 6\ndense 4 activations=static\n", "d.dc") == NULL, "activations=static goes with weights=i8");
    free(pf), free(pq), free(pr);
    dc_model_free(r);
    dc_model_free(q);
    dc_model_free(m);
    dc_dataset_free(d);
}

/* The trace reference (every patch summed in double) against the int8
 * convolution's outputs, on a batch of n. */
static void conv_reference(dc_model *m, const float *x, int64_t n, const float *want, const char *what) {
    int64_t shape[DC_MAX_DIMS + 1];
    const int nd = dc_model_input_shape(m, shape + 1);
    shape[0] = n;
    dc_graph *g = dc_graph_new();
    dc_graph_set_grad_enabled(g, 0);
    dc_graph_set_trace(g, 1);
    dc_tensor *in = dc_input(g, DC_F32, nd + 1, shape);
    memcpy(in->data, x, sizeof(float) * (size_t)in->size);
    dc_tensor *y = dc_model_forward(m, g, in, NULL);
    float *ref = y ? malloc(sizeof(float) * (size_t)y->size) : NULL;
    CHECK(y && dc_trace_run_reference(g, y, ref) == DC_OK, "%s: reference: %s", what, dc_last_error());
    float d = 0.0f, top = 0.0f;
    for (int64_t i = 0; ref && i < y->size; i++) d = fmaxf(d, fabsf(ref[i] - want[i])), top = fmaxf(top, fabsf(ref[i]));
    CHECK(ref && d <= 1e-5f * (1.0f + top), "%s: the reference kernels give the int8 convolution's outputs (max diff %g of %g)", what, d, top);
    free(ref);
    dc_graph_free(g);
}

/* int8 convolutions: the portable loop and the VNNI one give the same
 * bits, and the reference's values, over the geometries the channels-last
 * image must handle: padding, strides, dilation, channels not a multiple
 * of 4, output channels not a multiple of 16 and more than 64. */
static void conv_case(void) {
    const char *descs[] = {"input 8x10x10\nconv2d 16 kernel=3 padding=same weights=i8\n", "input 8x4x4\nconv2d 5 kernel=3 weights=i8\n",
                           "input 7x9x11\nconv2d 80 kernel=5 stride=2 padding=same weights=i8\n",
                           "input 16x12x13\nconv2d 24 kernel=3x2 dilation=2 stride=1x2 padding=2 weights=i8\n",
                           "input 32x13x13\nconv2d 64 kernel=3 activation=relu weights=i8\n"};
    for (int d = 0; d < (int)(sizeof descs / sizeof *descs); d++) {
        dc_model *m = dc_model_parse(descs[d], "conv.dc");
        CHECK(m != NULL, "parse: %s", dc_last_error());
        if (!m) continue;
        dc_rng r;
        dc_rng_seed(&r, 5);
        for (int i = 0; i < dc_model_num_param_tensors(m); i++) {
            const char *n;
            dc_tensor *t = dc_model_param_tensor(m, i, &n);
            if (t->dtype == DC_I8)
                for (int64_t j = 0; j < t->size; j++) ((int8_t *)t->raw)[j] = (int8_t)(dc_rng_below(&r, 255) - 127);
            else if (t->dtype == DC_F32)
                for (int64_t j = 0; j < t->size; j++) t->data[j] = strstr(n, "scale") ? 0.01f + 0.01f * dc_rng_uniform(&r) : rnd(&r);
        }
        int64_t in_shape[4], out_shape[4], in = 1, on = 1;
        for (int k = 0, nd = dc_model_input_shape(m, in_shape); k < nd; k++) in *= in_shape[k];
        for (int k = 0, nd = dc_model_output_shape(m, out_shape); k < nd; k++) on *= out_shape[k];
        float *x = malloc(sizeof(float) * (size_t)(3 * in)), *a = malloc(sizeof(float) * (size_t)(3 * on)), *b = malloc(sizeof(float) * (size_t)(3 * on));
        for (int64_t i = 0; i < 3 * in; i++) x[i] = rnd(&r);
        dc_session *ses = dc_session_new(m, 3);
        dc_k_quant_force_portable(1);
        CHECK(ses && dc_session_predict(ses, x, 3, a) == DC_OK, "portable: %s", dc_last_error());
        dc_k_quant_force_portable(0);
        CHECK(ses && dc_session_predict(ses, x, 3, b) == DC_OK, "fast: %s", dc_last_error());
        CHECK(!memcmp(a, b, sizeof(float) * (size_t)(3 * on)), "%s: the int8 convolution's portable and fast paths give the same bits", descs[d]);
        conv_reference(m, x, 3, b, descs[d]);
        dc_session_free(ses);
        free(x), free(a), free(b);
        dc_model_free(m);
    }
}

int main(int argc, char **argv) {
    if (test_workdir(argc, argv, "quant_tmp")) return 1;
    dc_set_num_threads(2);
    printf("quantized kernels: %s (portable checked too)\n", dc_k_quant_impl());
    const int64_t Ks[] = {1, 31, 64, 65, 100, 768, 1000};
    for (size_t i = 0; i < sizeof Ks / sizeof *Ks; i++) {
        int8_case(1, 7, Ks[i], 0);
        int8_case(5, 130, Ks[i], 0);
        int8_case(4, 65, Ks[i], 1);
        int8_case(6, 3, Ks[i], 1);
    }
    int8_case(9, 2304, 768, 0); /* threads share the rows out */
    int8_case(40, 130, 100, 0); /* many rows: oneDNN's GEMM */
    int8_case(33, 65, 768, 1);
    const int64_t K4[] = {32, 64, 96, 768, 3072};
    for (size_t i = 0; i < sizeof K4 / sizeof *K4; i++) {
        q4_case(1, 7, K4[i], 0);
        q4_case(3, 70, K4[i], 0);
        q4_case(4, 5, K4[i], 1);
    }
    q4_case(2, 2304, 768, 0);
    model_case();
    static_case();
    conv_case();
    printf("%d passed, %d failed\n", test_passed, test_failed);
    return test_failed != 0;
}
