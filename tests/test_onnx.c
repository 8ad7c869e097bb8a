/* test_onnx.c WORKDIR — ONNX export, the deepc half (issue 18): models of
 * every layer kind the exporter takes, built with random weights (and
 * BatchNorm statistics that are not the identity), exported with
 * dc_model_export_onnx to WORKDIR/NAME.onnx, with deepc's outputs on
 * random inputs at batch 1 and 7 beside them (NAME.bN.in, NAME.bN.out: raw
 * little-endian floats) and one line per file in WORKDIR/cases.txt
 * (NAME N in-dims... | out-dims...). tests/onnx_export.sh then runs the
 * ONNX checker and onnxruntime on them. Also here: what the exporter
 * refuses, and that a refused export leaves no file. */
#include "test.h"
#include <math.h>
#include <sys/stat.h>

typedef struct {
    const char *name, *desc;
} model_case;

static const model_case cases[] = {
    {"mlp", "input 784\ndense 64 activation=relu\ndropout 0.2\ndense 10 activation=softmax\n"},
    {"cnn", "input 1x28x28\nconv2d 8 kernel=3 activation=relu\nbatchnorm\nmaxpool2d 2\nconv2d 16 kernel=3 padding=same stride=2\n"
            "avgpool2d 2 stride=1 padding=1\nflatten\ndense 10 activation=softmax\n"},
    {"image_zoo",
     "input 2x12x12\nzero_padding2d 1\nconv2d 4 kernel=3 activation=relu name=c1\nbatchnorm\nspatial_dropout2d 0.2\n"
     "conv2d 6 kernel=3 padding=same stride=2 groups=2 activation=tanh name=c2\nmaxpool2d 2 name=mp\n"
     "avgpool2d 2 stride=1 padding=1 inputs=c2 name=ap\nglobal_avg_pool2d inputs=mp name=ga\nglobal_max_pool2d inputs=ap name=gm\n"
     "concat inputs=ga,gm name=cat\ndense 8 activation=gelu name=d1\ndropout 0.3\nactivation leaky_relu name=act\n"
     "dense 8 inputs=cat name=d2\nadd inputs=act,d2 name=sum\nmultiply inputs=sum,d2\nreshape 2x4\nflatten\n"
     "dense 3 activation=softmax\n"},
    {"conv1d", "input 3x16\nconv1d 4 kernel=3 activation=relu\nmaxpool1d 2\nconv1d 5 kernel=3 padding=same\nglobal_max_pool1d\ndense 2\n"},
    {"norms", "input 12\ndense 16 activation=gelu\nlayer_norm\ndense 8 activation=sigmoid\nbatchnorm\ndense 4 activation=tanh\n"},
};

/* weights at random; BatchNorm's running statistics too (var > 0) */
static void randomize(dc_model *m, dc_rng *rng) {
    for (int i = 0; i < dc_model_num_param_tensors(m); i++) {
        const char *name;
        dc_tensor *t = dc_model_param_tensor(m, i, &name);
        if (t->dtype != DC_F32) continue;
        const int var = strstr(name, "running_var") != NULL;
        for (int64_t k = 0; k < t->size; k++) t->data[k] = var ? 0.5f + dc_rng_uniform(rng) : 0.4f * dc_rng_normal(rng);
    }
}

static int write_raw(const char *path, const float *v, int64_t n) {
    FILE *f = fopen(path, "wb");
    if (!f) return -1;
    const int ok = fwrite(v, sizeof(float), (size_t)n, f) == (size_t)n;
    return fclose(f) || !ok ? -1 : 0;
}

static void run_case(const char *dir, const model_case *c, FILE *list) {
    dc_model *m = dc_model_parse(c->desc, c->name);
    CHECK(m != NULL, "%s: parse: %s", c->name, dc_last_error());
    if (!m) return;
    dc_rng rng;
    dc_rng_seed(&rng, 7);
    randomize(m, &rng);
    char path[512];
    snprintf(path, sizeof path, "%s/%s.onnx", dir, c->name);
    CHECK(dc_model_export_onnx(m, path, 0) == DC_OK, "%s: export: %s", c->name, dc_last_error());
    const int batches[2] = {1, 7};
    for (int b = 0; b < 2; b++) {
        int64_t shape[DC_MAX_DIMS + 1];
        const int nd = dc_model_input_shape(m, shape + 1);
        shape[0] = batches[b];
        dc_graph *g = dc_graph_new();
        dc_graph_set_grad_enabled(g, 0);
        dc_tensor *x = dc_input(g, DC_F32, nd + 1, shape);
        for (int64_t i = 0; i < x->size; i++) x->data[i] = dc_rng_normal(&rng);
        dc_tensor *y = dc_model_forward(m, g, x, NULL);
        CHECK(y != NULL, "%s: forward: %s", c->name, dc_last_error());
        if (y) {
            snprintf(path, sizeof path, "%s/%s.b%d.in", dir, c->name, batches[b]);
            CHECK(write_raw(path, x->data, x->size) == 0, "write %s", path);
            snprintf(path, sizeof path, "%s/%s.b%d.out", dir, c->name, batches[b]);
            CHECK(write_raw(path, y->data, y->size) == 0, "write %s", path);
            fprintf(list, "%s %d", c->name, batches[b]);
            for (int d = 0; d < x->ndim; d++) fprintf(list, " %lld", (long long)x->shape[d]);
            fprintf(list, " |");
            for (int d = 0; d < y->ndim; d++) fprintf(list, " %lld", (long long)y->shape[d]);
            fprintf(list, "\n");
        }
        dc_graph_free(g);
    }
    dc_model_free(m);
}

/* what the exporter refuses: a clear error naming the layer, no file */
static void refusals(const char *dir) {
    char path[512];
    snprintf(path, sizeof path, "%s/refused.onnx", dir);
    dc_model *m = dc_model_parse("input 6x4\nlstm 5\ndense 2\n", "rnn.dc");
    CHECK(m != NULL, "parse: %s", dc_last_error());
    CHECK_ERR(dc_model_export_onnx(m, path, 0) != DC_OK, "layer \"lstm\" (lstm)");
    struct stat st;
    CHECK(stat(path, &st) != 0, "a refused export leaves no file");
    CHECK_ERR(dc_model_export_onnx(m, path, 9) != DC_OK, "opset 17");
    dc_model_free(m);
}

int main(int argc, char **argv) {
    if (test_workdir(argc, argv, "onnx_tmp")) return 1;
    const char *dir = argc > 1 ? argv[1] : "onnx_tmp";
    char path[512];
    snprintf(path, sizeof path, "%s/cases.txt", dir);
    FILE *list = fopen(path, "w");
    CHECK(list != NULL, "open %s", path);
    if (!list) return 1;
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) run_case(dir, &cases[i], list);
    fclose(list);
    refusals(dir);
    printf("%d passed, %d failed\n", test_passed, test_failed);
    return test_failed ? 1 : 0;
}
