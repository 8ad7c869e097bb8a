/* test_onnx.c WORKDIR — ONNX export, the deepc half (issue 18): models of
 * every layer kind the exporter takes, built with random weights (and
 * BatchNorm statistics that are not the identity), exported with
 * dc_model_export_onnx to WORKDIR/NAME.onnx, with deepc's outputs on
 * random inputs at batch 1 and 7 (text models: also batch 3 three steps
 * shorter) beside them (NAME.TAG.in, NAME.TAG.out: raw little-endian floats,
 * or int32 token ids) and one line per file in WORKDIR/cases.txt (NAME TAG
 * DTYPE in-dims... | out-dims...). tests/onnx_export.sh then runs the
 * ONNX checker and onnxruntime on them. Also here: what the exporter
 * refuses, and that a refused export leaves no file. */
#include "export_test.h"
#include "model_zoo.h"
#include "../src/nn/model.h"
#include <math.h>
#include <sys/stat.h>

typedef struct {
    const char *name, *desc;
    int vocab; /* > 0: the input is token ids below it (padding 0 after the tokens) */
    int quant; /* 8 or 4: exported as its int8 or 4-bit copy (dc_model_quantize); 1: static int8 */
    int latent; /* > 0: a VAE, whose decoder exports: its input is a latent point of this size */
} model_case;

static const model_case cases[] = {
    {"mlp", "input 784\ndense 64 activation=relu\ndropout 0.2\ndense 10 activation=softmax\n"},
    {"cnn", "input 1x28x28\nconv2d 8 kernel=3 activation=relu\nbatchnorm\nmaxpool2d 2\nconv2d 16 kernel=3 padding=same stride=2\n"
            "avgpool2d 2 stride=1 padding=1\nflatten\ndense 10 activation=softmax\n"},
    {"image_zoo", ZOO_IMAGE, 0},
    {"conv1d", ZOO_CONV1D, 0},
    {"norms", "input 12\ndense 16 activation=gelu\nlayer_norm\ndense 8 activation=sigmoid\nbatchnorm\ndense 4 activation=tanh\n"},
    {"text_rnn", "input 10\nembedding 20 6 mask_zero=true\nlstm 5 return_sequences=true bidirectional=true\ngru 3\ndense 2 activation=softmax\n",
     20},
    {"seq_zoo", ZOO_SEQUENCE, 20},
    {"gpt", ZOO_GPT, 30},
    {"encoder", ZOO_ENCODER, 15},
    {"vae_decoder", "input 12\ndense 8 activation=relu name=enc\ndense 2 name=mu\ndense 2 inputs=enc name=logvar\n"
                    "sampling inputs=mu,logvar\ndense 8 activation=relu\ndense 12 activation=sigmoid\n", 0, 0, 2},
    {"half", "input 8\ndense 6 activation=relu weights=f16\ndense 3 activation=softmax weights=bf16\n"},
    /* quantized copies: their integer products against onnxruntime's (DynamicQuantizeLinear + MatMulInteger,
     * QuantizeLinear for static inputs, DequantizeLinear for kernels and tables, q4 blocks as int8 x scale) */
    {"mlp_int8", "input 784\ndense 64 activation=relu\ndense 10 activation=softmax\n", 0, 8},
    {"mlp_static", "input 784\ndense 64 activation=relu\ndense 10 activation=softmax\n", 0, 1},
    {"cnn_int8", "input 1x16x16\nconv2d 8 kernel=3 activation=relu\nconv2d 16 kernel=3 activation=relu\nmaxpool2d 2\nflatten\n"
                 "dense 10 activation=softmax\n", 0, 8},
    {"text_rnn_int8", "input 10\nembedding 20 6 mask_zero=true\nlstm 5 return_sequences=true bidirectional=true\ngru 3\n"
                      "dense 2 activation=softmax\n", 20, 8},
    {"gpt_q4", "input 8\nembedding 40 32 init=normal name=wte\npositional_embedding name=wpe\ntransformer_block 2\nlayer_norm\n"
               "dense 40 tie=wte use_bias=false activation=softmax\n", 40, 4},
};


/* deepc's outputs on a batch of n (token ids: `shorter` steps fewer than
 * the model's input) written beside the model, and a line of cases.txt */
static void run_batch(const char *dir, const model_case *c, dc_model *m, int n, int shorter, dc_rng *rng, FILE *list) {
    int64_t shape[DC_MAX_DIMS + 1];
    const int nd = c->latent ? 1 : dc_model_input_shape(m, shape + 1);
    if (c->latent) shape[1] = c->latent;
    shape[0] = n;
    shape[1] -= shorter;
    dc_graph *g = dc_graph_new();
    dc_graph_set_grad_enabled(g, 0);
    dc_tensor *x = dc_input(g, c->vocab ? DC_I32 : DC_F32, nd + 1, shape);
    for (int64_t i = 0; i < x->size; i++) {
        if (!c->vocab) {
            x->data[i] = dc_rng_normal(rng);
            continue;
        }
        const int64_t r = i / shape[1], t = i % shape[1], len = shape[1] - r % 4; /* rows padded at the end by 0-3 steps */
        x->idata[i] = t < len ? 1 + (int32_t)dc_rng_below(rng, (uint32_t)c->vocab - 1) : 0;
    }
    dc_value *vals;
    int feed[DC_LAYER_MAX_INPUTS];
    dc_model_input_nodes(m, feed);
    dc_status st = c->latent ? DC_OK : dc_model_run(m, g, 1, feed, &x, &vals); /* (any length: not dc_model_forward's shape check) */
    dc_tensor *y = c->latent ? dc_model_forward_from(m, g, "sampling", x) : st ? NULL : vals[dc_model_output_node(m, 0)].y;
    CHECK(y != NULL, "%s: forward: %s", c->name, dc_last_error());
    if (y) {
        char path[512], tag[32];
        snprintf(tag, sizeof tag, "b%dt%lld", n, (long long)shape[1]);
        snprintf(path, sizeof path, "%s/%s.%s.in", dir, c->name, tag);
        CHECK(export_write_raw(path, x->raw, (size_t)x->size * 4) == 0, "write %s", path);
        snprintf(path, sizeof path, "%s/%s.%s.out", dir, c->name, tag);
        CHECK(export_write_raw(path, y->data, (size_t)y->size * 4) == 0, "write %s", path);
        /* within 1e-4: float models, and int8 ones too (the graph quantizes as deepc does and sums as integers);
         * 4-bit: within the quantization step and the same classes (ONNX runs its products on float inputs where
         * deepc quantizes them per block of 32) */
        fprintf(list, "%s %s %s %s", c->name, tag, c->vocab ? "int32" : "float32", c->quant == 4 ? "0.02" : "0.0001");
        for (int d = 0; d < x->ndim; d++) fprintf(list, " %lld", (long long)x->shape[d]);
        fprintf(list, " |");
        for (int d = 0; d < y->ndim; d++) fprintf(list, " %lld", (long long)y->shape[d]);
        fprintf(list, "\n");
    }
    dc_graph_free(g);
}

/* m's quantized copy (q: 8, 4, or 1 for static int8 calibrated on random inputs) */
static dc_model *quantized(dc_model *m, int q, dc_rng *rng) {
    if (q != 1) return dc_model_quantize(m, q, NULL);
    int64_t shape[DC_MAX_DIMS];
    const int nd = dc_model_input_shape(m, shape);
    dc_dataset *d = dc_dataset_new(64, DC_F32, nd, shape, DC_I32, 0, NULL);
    for (int64_t i = 0; i < d->x.size; i++) ((float *)d->x.data)[i] = dc_rng_normal(rng);
    memset(d->y.data, 0, sizeof(int32_t) * 64);
    dc_model *s = dc_model_quantize_static(m, d, 64, NULL);
    dc_dataset_free(d);
    return s;
}

/* deepc -> ONNX -> deepc (dc_model_import_onnx): the imported model gives
 * the same outputs on a batch of 5, for every kind (a VAE exports its
 * decoder alone) */
static void round_trip(const model_case *c, dc_model *m, const char *onnx, dc_rng *rng) {
    if (c->latent) return; /* (a VAE exports its decoder) */
    dc_model *r = dc_model_import_onnx(onnx);
    CHECK(r != NULL, "%s: export -> import: %s", c->name, dc_last_error());
    if (!r) return;
    int64_t shape[DC_MAX_DIMS + 1];
    const int nd = dc_model_input_shape(m, shape + 1);
    shape[0] = 5;
    dc_graph *g = dc_graph_new();
    dc_graph_set_grad_enabled(g, 0);
    dc_tensor *x = dc_input(g, c->vocab ? DC_I32 : DC_F32, nd + 1, shape);
    for (int64_t i = 0; i < x->size; i++) {
        if (c->vocab) x->idata[i] = i % shape[1] < shape[1] - (i / shape[1]) % 3 ? 1 + (int32_t)dc_rng_below(rng, (uint32_t)c->vocab - 1) : 0;
        else x->data[i] = dc_rng_normal(rng);
    }
    dc_tensor *a = dc_model_forward(m, g, x, NULL), *b = dc_model_forward(r, g, x, NULL);
    float d = a && b && a->size == b->size ? 0.0f : INFINITY;
    for (int64_t i = 0; a && b && a->size == b->size && i < a->size; i++) d = fmaxf(d, fabsf(a->data[i] - b->data[i]));
    CHECK(d <= 1e-5f, "%s: export -> import gives the same outputs (max diff %g)", c->name, d);
    dc_graph_free(g);
    dc_model_free(r);
}

static void run_case(const char *dir, const model_case *c, FILE *list) {
    dc_model *m = dc_model_parse(c->desc, c->name);
    CHECK(m != NULL, "%s: parse: %s", c->name, dc_last_error());
    if (!m) return;
    dc_rng rng;
    dc_rng_seed(&rng, 7);
    export_randomize(m, &rng);
    if (c->quant) {
        dc_model *q = quantized(m, c->quant, &rng);
        CHECK(q != NULL, "%s: quantize: %s", c->name, dc_last_error());
        dc_model_free(m);
        if (!(m = q)) return;
    }
    char path[512];
    snprintf(path, sizeof path, "%s/%s.onnx", dir, c->name);
    CHECK(dc_model_export_onnx(m, path, 0) == DC_OK, "%s: export: %s", c->name, dc_last_error());
    run_batch(dir, c, m, 1, 0, &rng, list);
    run_batch(dir, c, m, 7, 0, &rng, list);
    if (c->vocab) run_batch(dir, c, m, 3, 3, &rng, list); /* a second length: the sequence dimension is symbolic */
    round_trip(c, m, path, &rng);
    dc_model_free(m);
}

/* what the exporter refuses: a clear error naming the layer, no file */
static void refusals(const char *dir) {
    char path[512];
    snprintf(path, sizeof path, "%s/refused.onnx", dir);
    dc_model *m = dc_model_parse("input 4 name=a\ninput 3 name=b\nconcat inputs=a,b\ndense 2\n", "two.dc");
    CHECK(m != NULL, "parse: %s", dc_last_error());
    CHECK_ERR(dc_model_export_onnx(m, path, 0) != DC_OK, "models of one input");
    struct stat st;
    CHECK(stat(path, &st) != 0, "a refused export leaves no file");
    CHECK_ERR(dc_model_export_onnx(m, path, 9) != DC_OK, "opset 17");
    dc_model_free(m);
}

static void run_k(const char *dir, int k, FILE *list) { run_case(dir, &cases[k], list); }

int main(int argc, char **argv) { return export_main(argc, argv, "onnx_tmp", (int)(sizeof cases / sizeof *cases), run_k, refusals); }
