/* test_c_export.c WORKDIR — C export, the deepc half (issue 18): models
 * of the kinds C export takes (MLP, CNN with BatchNorm, a recurrent text
 * model, int8 and static-int8 copies, half weights), random weights,
 * exported with dc_model_export_c to WORKDIR/NAME.c (and .h), with deepc's
 * outputs on 100 random inputs beside them (NAME.in, NAME.out: raw floats or
 * int32 ids) and a line per case in WORKDIR/cases.txt: NAME IDS TOLERANCE
 * (0: the same bits). tests/c_export.sh compiles each file with gcc and
 * clang (-std=c99 -Wall -Wextra -Werror -pedantic) and compares. Also: what
 * C export refuses. */
#include "export_test.h"
#include "../src/nn/model.h"
#include <math.h>
#include <sys/stat.h>

typedef struct {
    const char *name, *desc;
    int vocab; /* > 0: token ids below it, padded after the tokens */
    int quant; /* 8: the int8 copy; 1: static int8 */
    const char *tol;
} c_case;

static const c_case cases[] = {
    {"mlp", "input 784\ndense 64 activation=relu\ndropout 0.2\ndense 10 activation=softmax\n", 0, 0, "1e-5"},
    {"cnn", "input 1x16x16\nconv2d 8 kernel=3 activation=relu\nbatchnorm\nmaxpool2d 2\nconv2d 8 kernel=3 padding=same stride=2 groups=2\n"
            "avgpool2d 2 stride=1 padding=1\nflatten\ndense 10 activation=softmax\n", 0, 0, "1e-5"},
    {"text_rnn", "input 12\nembedding 30 8 mask_zero=true\nlstm 6 return_sequences=true bidirectional=true\ngru 5 return_sequences=true\n"
                 "global_avg_pool1d\ndense 3 activation=softmax\n", 30, 0, "1e-5"},
    {"seq_float", "input 6x4\nsimple_rnn 5 return_sequences=true\nlstm 4\ndense 2 activation=sigmoid\n", 0, 0, "1e-5"},
    {"norms", "input 12\ndense 16 activation=gelu\nlayer_norm\ndense 8 activation=tanh\nbatchnorm\ndense 4\n", 0, 0, "1e-5"},
    {"half", "input 8\ndense 6 activation=relu weights=f16\ndense 3 weights=bf16\n", 0, 0, "1e-5"},
    {"odd_name", "input 4\ndense 3 activation=relu name=a*/b\ndense 2\n", 0, 0, "1e-5"}, /* a name that would close a C comment */
    /* int8 products to deepc's bits: logits out (no float softmax after them) */
    {"mlp_int8", "input 784\ndense 64 activation=relu\ndense 10\n", 0, 8, "0"},
    {"mlp_static", "input 784\ndense 64 activation=relu\ndense 10\n", 0, 1, "0"},
    {"cnn_int8", "input 1x16x16\nconv2d 8 kernel=3 activation=relu\nconv2d 16 kernel=3 activation=relu\nmaxpool2d 2\nflatten\ndense 10\n", 0, 8,
     "1e-5"},
};


enum { SAMPLES = 100 };

static void run_case(const char *dir, const c_case *c, FILE *list) {
    dc_model *m = dc_model_parse(c->desc, c->name);
    CHECK(m != NULL, "%s: parse: %s", c->name, dc_last_error());
    if (!m) return;
    dc_rng rng;
    dc_rng_seed(&rng, 11);
    export_randomize(m, &rng);
    int64_t shape[DC_MAX_DIMS + 1];
    const int nd = dc_model_input_shape(m, shape + 1);
    shape[0] = SAMPLES;
    if (c->quant) {
        dc_model *q = NULL;
        if (c->quant == 8) {
            q = dc_model_quantize(m, 8, NULL);
        } else {
            dc_dataset *d = dc_dataset_new(64, DC_F32, nd, shape + 1, DC_I32, 0, NULL);
            for (int64_t i = 0; i < d->x.size; i++) ((float *)d->x.data)[i] = dc_rng_normal(&rng);
            memset(d->y.data, 0, sizeof(int32_t) * 64);
            q = dc_model_quantize_static(m, d, 64, NULL);
            dc_dataset_free(d);
        }
        CHECK(q != NULL, "%s: quantize: %s", c->name, dc_last_error());
        dc_model_free(m);
        if (!(m = q)) return;
    }
    char path[512];
    snprintf(path, sizeof path, "%s/%s.c", dir, c->name);
    CHECK(dc_model_export_c(m, path, NULL) == DC_OK, "%s: export: %s", c->name, dc_last_error());
    dc_graph *g = dc_graph_new();
    dc_graph_set_grad_enabled(g, 0);
    dc_tensor *x = dc_input(g, c->vocab ? DC_I32 : DC_F32, nd + 1, shape);
    for (int64_t i = 0; i < x->size; i++) {
        if (!c->vocab) {
            x->data[i] = dc_rng_normal(&rng);
            continue;
        }
        const int64_t r = i / shape[1], t = i % shape[1], len = shape[1] - r % 5; /* padded after the tokens by 0-4 steps */
        x->idata[i] = t < len ? 1 + (int32_t)dc_rng_below(&rng, (uint32_t)c->vocab - 1) : 0;
    }
    dc_tensor *y = dc_model_forward(m, g, x, NULL);
    CHECK(y != NULL, "%s: forward: %s", c->name, dc_last_error());
    if (y) {
        snprintf(path, sizeof path, "%s/%s.in", dir, c->name);
        CHECK(export_write_raw(path, x->raw, (size_t)x->size * 4) == 0, "write %s", path);
        snprintf(path, sizeof path, "%s/%s.out", dir, c->name);
        CHECK(export_write_raw(path, y->data, (size_t)y->size * 4) == 0, "write %s", path);
        fprintf(list, "%s %d %s\n", c->name, c->vocab > 0, c->tol);
    }
    dc_graph_free(g);
    dc_model_free(m);
}

/* what C export refuses, naming the layer; and a bad prefix */
static void refusals(const char *dir) {
    char path[512];
    snprintf(path, sizeof path, "%s/refused.c", dir);
    dc_model *m = dc_model_parse("input 8\nembedding 20 8\ntransformer_block 2\nlast_step\ndense 2\n", "gpt.dc");
    CHECK(m != NULL, "parse: %s", dc_last_error());
    CHECK_ERR(dc_model_export_c(m, path, NULL) != DC_OK, "Transformers are not exported to C");
    struct stat st;
    CHECK(stat(path, &st) != 0, "a refused export leaves no file");
    CHECK_ERR(dc_model_export_c(m, path, "9lives") != DC_OK, "a C identifier");
    dc_model_free(m);
}

static void run_k(const char *dir, int k, FILE *list) { run_case(dir, &cases[k], list); }

int main(int argc, char **argv) { return export_main(argc, argv, "c_export_tmp", (int)(sizeof cases / sizeof *cases), run_k, refusals); }
