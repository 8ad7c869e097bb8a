/* test_dtype.c — element types through casts, layers, files and training:
 * float <-> half and bfloat16 round to nearest even (checked against the
 * neighbours of every result), int8 rows with their scales; a model whose
 * kernels are stored as F16, BF16 and I8 (weights=) computes what the same
 * model with those values in F32 computes, saves each tensor in its own
 * type, loads back to the same outputs bit for bit, trains its float
 * parameters around F16/BF16 kernels, and refuses to train with I8 ones —
 * also when resumed from a file. */
#include "test.h"

static float f16f(uint16_t h) { /* through the public cast */
    dc_graph *g = dc_graph_new();
    dc_tensor *t = dc_input(g, DC_F16, 1, (int64_t[]){1});
    memcpy(t->raw, &h, 2);
    float v = dc_cast(g, t, DC_F32)->data[0];
    dc_graph_free(g);
    return v;
}

/* to_h(x) is the nearest representable value, ties to even: no neighbour
 * of the result is closer to x. */
static void rounding_case(dc_dtype type, const char *name) {
    dc_rng rng;
    dc_rng_seed(&rng, 7);
    enum { N = 20000 };
    dc_graph *g = dc_graph_new();
    dc_tensor *x = dc_input(g, DC_F32, 1, (int64_t[]){N});
    for (int i = 0; i < N; i++) { /* every binade a half or bfloat16 holds, and beyond */
        float m = 1.0f + dc_rng_uniform(&rng);
        int e = (int)dc_rng_below(&rng, 60) - 30;
        x->data[i] = ldexpf(m, e) * (i % 2 ? -1.0f : 1.0f);
    }
    x->data[0] = 65504.0f, x->data[1] = 65520.0f, x->data[2] = 1e-8f, x->data[3] = NAN, x->data[4] = 0.0f;
    x->data[5] = 1.0f + 1.0f / 2048.0f; /* a tie between 1 and 1 + 2^-10: to the even one, 1 */
    dc_tensor *h = dc_cast(g, x, type), *back = h ? dc_cast(g, h, DC_F32) : NULL;
    CHECK(back && h->dtype == type, "%s: cast: %s", name, dc_last_error());
    if (!back) return;
    const uint16_t *hv = h->raw;
    int bad = 0;
    for (int i = 0; i < N && bad < 5; i++) {
        float v = x->data[i], r = back->data[i];
        if (isnan(v)) {
            bad += !isnan(r);
            continue;
        }
        if (isinf(r)) { /* overflow: beyond the largest finite value's rounding range */
            bad += type == DC_F16 ? fabsf(v) < 65520.0f : 0;
            continue;
        }
        for (int d = -1; d <= 1; d += 2) {
            uint16_t nb = (uint16_t)(hv[i] + d);
            float n;
            if (type == DC_F16) n = f16f(nb);
            else {
                uint32_t b = (uint32_t)nb << 16;
                memcpy(&n, &b, 4);
            }
            if (isnan(n) || isinf(n) || ((hv[i] & 0x7fff) == 0 && d < 0)) continue;
            double dr = fabs((double)v - r), dn = fabs((double)v - n);
            if (dn < dr || (dn == dr && (hv[i] & 1))) {
                if (bad < 3) fprintf(stderr, "%s: %.9g -> %.9g, but %.9g is nearer (or the even tie)\n", name, v, r, n);
                bad++;
            }
        }
    }
    CHECK(!bad, "%s: every cast is the nearest value, ties to even", name);
    if (type == DC_F16) {
        CHECK(back->data[0] == 65504.0f && isinf(back->data[1]) && back->data[4] == 0.0f && back->data[5] == 1.0f,
              "f16: 65504 kept, 65520 to inf, 1 + 2^-11 to 1 (%g %g %g)", back->data[0], back->data[1], back->data[5]);
    }
    dc_graph_free(g);
}

static void int8_case(void) {
    dc_graph *g = dc_graph_new();
    dc_tensor *x = dc_input(g, DC_F32, 2, (int64_t[]){3, 5}), *scale;
    const float v[15] = {0, 1, -2, 0.5f, 0.25f, 0, 0, 0, 0, 0, 100, -127, 3, 1e-3f, 50};
    memcpy(x->data, v, sizeof v);
    dc_tensor *q = dc_quantize_rows(g, x, &scale), *back = q ? dc_dequantize_rows(g, q, scale) : NULL;
    CHECK(back && q->dtype == DC_I8 && scale->size == 3, "int8: %s", dc_last_error());
    if (!back) return;
    const int8_t *qv = q->raw;
    CHECK(qv[2] == -127 && qv[1] == 64 && scale->data[0] == 2.0f / 127.0f && scale->data[1] == 1.0f && qv[11] == -127,
          "int8: row scales max|x|/127 and values rounded (%d %d %g)", qv[2], qv[1], scale->data[0]);
    float err = 0.0f;
    for (int i = 0; i < 15; i++) err = fmaxf(err, fabsf(back->data[i] - v[i]) / (scale->data[i / 5] * 0.5f + 1e-30f));
    CHECK(err <= 1.0001f, "int8: round trip within half a step (%g steps)", err);
    CHECK_ERR(dc_dequantize_rows(g, x, scale) == NULL, "needs I8 values");
    dc_graph_free(g);
}

static const char *typed_desc = "input 20\n"
                                "dense 32 activation=relu weights=f16\n"
                                "dense 16 activation=tanh weights=bf16\n"
                                "dense 4 weights=i8\n"
                                "softmax\n"
                                "loss categorical_crossentropy\noptimizer adam lr=0.01\nfit epochs=2 batch_size=16 seed=3\n";
static const char *plain_desc = "input 20\ndense 32 activation=relu\ndense 16 activation=tanh\ndense 4\nsoftmax\n"
                                "loss categorical_crossentropy\noptimizer adam lr=0.01\nfit epochs=2 batch_size=16 seed=3\n";

static dc_tensor *param(dc_model *m, const char *name) {
    for (int i = 0; i < dc_model_num_param_tensors(m); i++) {
        const char *n;
        dc_tensor *t = dc_model_param_tensor(m, i, &n);
        if (!strcmp(n, name)) return t;
    }
    return NULL;
}

static void forward(dc_model *m, const float *x, int n, float *out) {
    dc_session *s = dc_session_new(m, n);
    CHECK(s && dc_session_predict(s, x, n, out) == DC_OK, "forward: %s", dc_last_error());
    dc_session_free(s);
}

static void model_case(void) {
    dc_model *m = dc_model_parse(typed_desc, "typed.dc"), *p = dc_model_parse(plain_desc, "plain.dc");
    CHECK(m && p, "typed model: %s", dc_last_error());
    if (!m || !p) return;
    dc_tensor *w0 = param(m, "dense.weight"), *w1 = param(m, "dense_1.weight"), *w2 = param(m, "dense_2.weight"),
              *sc = param(m, "dense_2.weight_scale");
    CHECK(w0 && w0->dtype == DC_F16 && w1 && w1->dtype == DC_BF16 && w2 && w2->dtype == DC_I8 && sc && sc->dtype == DC_F32 &&
              sc->size == 4,
          "kernels stored as F16, BF16, I8 with 4 row scales");
    CHECK(dc_model_num_params(m) == 32 + 16 + 4, "only the biases are trainable (%lld)", (long long)dc_model_num_params(m));
    CHECK(param(m, "dense_2.bias") == dc_layer_param(dc_model_find_layer(m, "dense_2"), "bias"), "the bias is still param 1");
    /* the plain model with the typed model's values, dequantized */
    dc_graph *g = dc_graph_new();
    for (int i = 0; i < dc_model_num_param_tensors(m); i++) {
        const char *n;
        dc_tensor *t = dc_model_param_tensor(m, i, &n), *d = param(p, n), *v = t;
        if (!d) continue; /* the scale */
        if (t->dtype == DC_I8) v = dc_dequantize_rows(g, t, sc);
        else if (t->dtype != DC_F32) v = dc_cast(g, t, DC_F32);
        memcpy(d->data, v->data, sizeof(float) * (size_t)d->size);
    }
    dc_graph_free(g);
    enum { N = 16 };
    float x[N * 20], a[N * 4], b[N * 4], c[N * 4];
    dc_rng rng;
    dc_rng_seed(&rng, 11);
    for (int i = 0; i < N * 20; i++) x[i] = dc_rng_normal(&rng);
    forward(m, x, N, a);
    forward(p, x, N, b);
    float d = 0.0f, mag = 0.0f;
    for (int i = 0; i < N * 4; i++) d = fmaxf(d, fabsf(a[i] - b[i])), mag = fmaxf(mag, fabsf(b[i]));
    /* F16 and BF16 exactly; the I8 layer quantizes its input too (int8 per
     * row, as the products run on integers): within a few of its steps */
    CHECK(d < 1e-2f * mag, "stored types compute what their F32 values compute (max diff %g of %g)", d, mag);
    /* the file holds each tensor in its type; it loads to the same bits */
    CHECK(dc_model_save(m, path_of("typed.safetensors")) == DC_OK, "save: %s", dc_last_error());
    dc_st_file *f = dc_st_open(path_of("typed.safetensors"));
    CHECK(f && !strcmp(dc_st_find(f, "dense.weight")->dtype, "F16") && !strcmp(dc_st_find(f, "dense_1.weight")->dtype, "BF16") &&
              !strcmp(dc_st_find(f, "dense_2.weight")->dtype, "I8") && !strcmp(dc_st_find(f, "dense_2.weight_scale")->dtype, "F32") &&
              dc_st_find(f, "dense_2.weight")->nbytes == 4 * 16,
          "the file stores F16, BF16, I8 (+ F32 scales)");
    dc_st_close(f);
    dc_model *l = dc_model_load(path_of("typed.safetensors"));
    CHECK(l != NULL, "load: %s", dc_last_error());
    if (l) {
        forward(l, x, N, c);
        CHECK(!memcmp(a, c, sizeof a), "the loaded model gives the same bits");
        dc_tensor *lw = param(l, "dense_2.weight");
        CHECK(lw && lw->dtype == DC_I8 && !memcmp(lw->raw, w2->raw, 64), "the loaded I8 kernel is the saved one");
    }
    /* training: refused with I8 ... */
    dc_dataset *d16 = dc_dataset_new(64, DC_F32, 1, (int64_t[]){20}, DC_I32, 0, NULL);
    for (int i = 0; i < 64 * 20; i++) ((float *)d16->x.data)[i] = dc_rng_normal(&rng);
    for (int i = 0; i < 64; i++) ((int32_t *)d16->y.data)[i] = i % 4;
    d16->num_classes = 4;
    dc_fit_options o = {.epochs = 1, .validation_split = 0.0f, .shuffle = -1, .verbose = 0};
    CHECK_ERR(dc_fit(m, d16, &o, NULL) != DC_OK, "tensor \"dense_2.weight\" is quantized (weights=i8)");
    /* ... and when resumed from a file */
    dc_train_state *st = dc_train_state_new();
    CHECK(dc_model_save_state(m, st, path_of("typed_state.safetensors")) == DC_OK, "save with state: %s", dc_last_error());
    dc_train_state_free(st);
    st = NULL;
    dc_model *r = dc_model_load_state(path_of("typed_state.safetensors"), &st);
    CHECK(r != NULL, "an I8 model with state loads: %s", dc_last_error());
    if (r) {
        dc_fit_options ro = o;
        ro.state = st;
        CHECK_ERR(dc_fit(r, d16, &ro, NULL) != DC_OK, "a quantized model is for inference");
    }
    dc_train_state_free(st);
    dc_model_free(r);
    /* F16 and BF16 kernels without I8: the biases train, the kernels stay */
    dc_model *h = dc_model_parse("input 20\ndense 8 activation=relu weights=f16\ndense 4 weights=bf16\nsoftmax\n"
                                 "loss categorical_crossentropy\noptimizer adam lr=0.01\nfit seed=3\n",
                                 "half.dc");
    if (h) {
        dc_tensor *hw = param(h, "dense.weight"), *hb = param(h, "dense.bias");
        uint16_t before[160];
        memcpy(before, hw->raw, sizeof before);
        CHECK(dc_fit(h, d16, &o, NULL) == DC_OK, "F16/BF16 kernels: the float parameters train: %s", dc_last_error());
        float bsum = 0.0f;
        for (int i = 0; i < 8; i++) bsum += fabsf(hb->data[i]);
        CHECK(!memcmp(before, hw->raw, sizeof before) && bsum > 0.0f, "the F16 kernel is unchanged, the bias moved");
    }
    dc_model_free(h);
    /* what weights= accepts */
    dc_model *bad = dc_model_parse("input 4\ndense 2 weights=f8\n", "bad.dc");
    CHECK_ERR(bad == NULL, "bad.dc:2");
    CHECK(bad == NULL && strstr(dc_last_error(), "weights must be f32, f16, bf16, i8 or q4"), "weights=f8: %s", dc_last_error());
    dc_model_free(bad);
    bad = dc_model_parse("input 4\nlayer_norm weights=f16\n", "bad.dc");
    CHECK_ERR(bad == NULL, "a layer_norm layer has no weight matrix");
    dc_model_free(bad);
    dc_dataset_free(d16);
    dc_model_free(l);
    dc_model_free(m);
    dc_model_free(p);
}

int main(int argc, char **argv) {
    if (test_workdir(argc, argv, "dtype_tmp")) return 2;
    rounding_case(DC_F16, "f16");
    rounding_case(DC_BF16, "bf16");
    int8_case();
    model_case();
    return test_summary("test_dtype");
}
