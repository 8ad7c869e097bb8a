/* test_trace.c — ops as data. A forward pass traced (dc_graph_set_trace)
 * lists every op with its id, typed attributes, inputs and output; run
 * again on the reference kernels (dc_trace_run_reference: plain C99 loops,
 * no dc_tensor) it gives the fast path's outputs within 1e-5, for models
 * that together hold every layer kind (the test checks that they do), and
 * for their int8 and 4-bit copies (dc_model_quantize). */
#include "test.h"
#include "model_zoo.h"

static const char *const kinds[] = {
    "input", "flatten", "dense", "dropout", "activation", "conv2d", "conv1d", "maxpool2d", "avgpool2d", "maxpool1d",
    "global_avg_pool2d", "global_max_pool2d", "global_avg_pool1d", "global_max_pool1d", "batchnorm", "spatial_dropout2d",
    "zero_padding2d", "add", "multiply", "concat", "sampling", "reshape", "embedding", "simple_rnn", "lstm", "gru",
    "layer_norm", "positional_embedding", "transformer_block", "transformer_encoder", "last_step"};
enum { NKINDS = sizeof kinds / sizeof kinds[0] };
static int seen[NKINDS];

typedef struct {
    const char *name, *desc;
    int ids;       /* the input is token ids below `ids` (0 = floats) */
} model_case;

static const model_case cases[] = {
    {"image", ZOO_IMAGE, 0},
    {"sequence", ZOO_SEQUENCE, 20},
    {"conv1d", ZOO_CONV1D, 0},
    {"gpt", ZOO_GPT, 30},
    {"encoder", ZOO_ENCODER, 15},
    {"vae", "input 8\ndense 6 activation=relu weights=f16 name=enc\ndense 2 name=mu\ndense 2 inputs=enc name=logvar\n"
            "sampling inputs=mu,logvar\ndense 8 activation=sigmoid weights=i8\n",
     0},
};

static void randomize(dc_model *m, dc_rng *rng) {
    for (int i = 0; i < dc_model_num_param_tensors(m); i++) {
        const char *name;
        dc_tensor *t = dc_model_param_tensor(m, i, &name);
        if (t->dtype != DC_F32 || strstr(name, "weight_scale")) continue;
        const int var = strstr(name, "running_var") != NULL;
        for (int64_t k = 0; k < t->size; k++) t->data[k] = var ? 0.5f + dc_rng_uniform(rng) : 0.4f * dc_rng_normal(rng);
    }
}

/* bits 0: the float model; 8 or 4: its quantized copy (every kind with a
 * weight matrix then runs qlinear, qembedding or dequantize) */
static void run_case(const model_case *c, int bits) {
    dc_model *m = dc_model_parse(c->desc, c->name);
    CHECK(m != NULL, "%s: %s", c->name, dc_last_error());
    if (!m) return;
    if (bits) {
        dc_rng r0;
        dc_rng_seed(&r0, 17);
        randomize(m, &r0);
        dc_model *q = dc_model_quantize(m, bits, NULL);
        CHECK(q != NULL, "%s: quantize %d: %s", c->name, bits, dc_last_error());
        dc_model_free(m);
        if (!(m = q)) return;
    }
    for (int i = 0; i < dc_model_num_layers(m); i++)
        for (int k = 0; k < NKINDS; k++) seen[k] |= !strcmp(dc_layer_kind(dc_model_layer(m, i)), kinds[k]);
    seen[0] = 1; /* every model has an input */
    dc_rng rng;
    dc_rng_seed(&rng, 17);
    if (!bits) randomize(m, &rng);
    int64_t in_shape[DC_MAX_DIMS + 1];
    const int nd = dc_model_input_shape(m, in_shape + 1);
    enum { N = 3 };
    in_shape[0] = N;
    dc_graph *g = dc_graph_new();
    dc_graph_set_grad_enabled(g, 0);
    dc_graph_set_trace(g, 1);
    dc_graph_set_rng(g, &rng);
    dc_tensor *x = dc_input(g, c->ids ? DC_I32 : DC_F32, nd + 1, in_shape);
    for (int64_t i = 0; i < x->size; i++) {
        if (c->ids) x->idata[i] = (i % 7 == 0 && i % x->shape[1] < 4) ? 0 : 1 + (int32_t)dc_rng_below(&rng, (uint32_t)c->ids - 1);
        else x->data[i] = dc_rng_normal(&rng);
    }
    dc_tensor *y = dc_model_forward(m, g, x, NULL);
    CHECK(y != NULL, "%s: forward: %s", c->name, dc_last_error());
    CHECK(dc_graph_trace_count(g) > 3, "%s: %d ops traced", c->name, dc_graph_trace_count(g));
    if (y) {
        float *ref = malloc(sizeof(float) * (size_t)y->size);
        dc_status st = dc_trace_run_reference(g, y, ref);
        CHECK(st == DC_OK, "%s: reference run: %s", c->name, dc_last_error());
        float d = 0.0f;
        for (int64_t i = 0; !st && i < y->size; i++) d = fmaxf(d, fabsf(ref[i] - y->data[i]));
        CHECK(!st && d <= 1e-5f, "%s%s: the reference kernels give the fast path's outputs (max diff %g)", c->name,
              bits == 8 ? " (int8)" : bits == 4 ? " (4-bit)" : "", d);
        free(ref);
    }
    /* the attributes are data: the image model's strided, grouped conv */
    if (!strcmp(c->name, "image")) {
        int found = 0;
        for (int i = 0; i < dc_graph_trace_count(g); i++) {
            const dc_trace_node *n = dc_graph_trace_node(g, i);
            if (n->op == DC_OP_CONV2D && n->a.conv.stride_h == 2 && n->a.conv.groups == 2 && n->a.conv.pad_top == 0 && n->a.conv.pad_bottom == 1) found++;
        }
        CHECK(found == 1 && !strcmp(dc_op_name(DC_OP_CONV2D), "conv2d"), "image: the conv2d node carries stride 2, groups 2, same padding (0, 1)");
    }
    dc_graph_free(g);
    dc_model_free(m);
}

int main(void) {
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) run_case(&cases[i], 0);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) run_case(&cases[i], 8), run_case(&cases[i], 4);
    for (int k = 0; k < NKINDS; k++) CHECK(seen[k], "layer kind %s is in a traced model", kinds[k]);
    /* what has no reference kernel says so */
    dc_graph *g = dc_graph_new();
    dc_graph_set_trace(g, 1);
    dc_graph_set_training(g, 1);
    dc_tensor *x = dc_input(g, DC_F32, 2, (int64_t[]){4, 2}), *ga = dc_input(g, DC_F32, 1, (int64_t[]){2}),
              *be = dc_input(g, DC_F32, 1, (int64_t[]){2});
    for (int i = 0; i < 8; i++) x->data[i] = (float)i;
    float rm[2] = {0}, rv[2] = {1, 1}, out[8];
    dc_tensor *y = dc_batchnorm(g, x, ga, be, rm, rv, 0.1f, 1e-5f);
    CHECK_ERR(y && dc_trace_run_reference(g, y, out) != DC_OK, "batchnorm has no reference kernel in training mode");
    dc_graph_free(g);
    printf("%d passed, %d failed\n", test_passed, test_failed);
    return test_failed ? 1 : 0;
}
