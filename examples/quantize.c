/* quantize.c — quantizing a model from C and running it: train a small
 * Fashion-MNIST MLP (Dense 256, ReLU, Dense 10), make int8 and 4-bit copies
 * (dc_model_quantize), compare their test accuracy and their weights'
 * bytes, save the int8 one, load it back and classify one image with a
 * session, as a deployment would.
 *
 *   quantize [TRAIN_IMAGES] [OUT.safetensors]   (default 10000, mlp.int8.safetensors)
 *
 * Every layer with a weight matrix is quantized: int8 keeps a float scale
 * per output row, 4-bit (q4_0) a half-precision scale per block of 32
 * values (784 inputs do not split into blocks of 32, so that layer stays
 * int8 there: the report says so). Products then run on integers. */
#include <deepc.h>
#include <stdio.h>
#include <stdlib.h>

static int fail(const char *what) {
    fprintf(stderr, "quantize: %s: %s\n", what, dc_last_error());
    return 1;
}

int main(int argc, char **argv) {
    const int64_t limit = argc > 1 ? atoll(argv[1]) : 10000;
    const char *out = argc > 2 ? argv[2] : "mlp.int8.safetensors";
    dc_dataset *train = dc_mnist_load_limit("fashion-mnist", "train", limit), *test = dc_mnist_load("fashion-mnist", "test");
    if (!train || !test) return fail("load Fashion-MNIST");
    dc_model *m = dc_model_parse("input 784\ndense 256 activation=relu\ndense 10 activation=softmax\n"
                                 "loss categorical_crossentropy\noptimizer adam lr=0.001\nfit epochs=2 batch_size=64 seed=1\n",
                                 "mlp");
    if (!m) return fail("parse");
    if (dc_fit(m, train, &(dc_fit_options){.validation_split = 0.0f, .shuffle = -1, .verbose = 0}, NULL)) return fail("fit");
    double loss, acc[3];
    if (dc_evaluate(m, test, 256, &loss, &acc[0])) return fail("evaluate");
    dc_model *q8 = dc_model_quantize(m, 8, stdout), *q4 = q8 ? dc_model_quantize(m, 4, stdout) : NULL;
    if (!q8 || !q4) return fail("quantize");
    if (dc_evaluate(q8, test, 256, &loss, &acc[1]) || dc_evaluate(q4, test, 256, &loss, &acc[2])) return fail("evaluate");
    printf("float: test accuracy %.4f, weights %.0f KB\n", acc[0], (double)dc_model_bytes(m) / 1024);
    printf("int8:  test accuracy %.4f, weights %.0f KB\n", acc[1], (double)dc_model_bytes(q8) / 1024);
    printf("4-bit: test accuracy %.4f, weights %.0f KB\n", acc[2], (double)dc_model_bytes(q4) / 1024);
    /* deploy: the file alone rebuilds the int8 model; one image through a session */
    if (dc_model_save(q8, out)) return fail("save");
    dc_model *l = dc_model_load(out);
    dc_session *s = l ? dc_session_new(l, 1) : NULL;
    float x[784], p[10];
    for (int i = 0; i < 784; i++) x[i] = ((const uint8_t *)test->x.data)[i] / 255.0f;
    if (!s || dc_session_predict(s, x, 1, p)) return fail("predict");
    int best = 0;
    for (int k = 1; k < 10; k++) best = p[k] > p[best] ? k : best;
    printf("%s (%s): test image 0 is class %d (p = %.3f), its label %d\n", out, dc_model_quantization(l), best, p[best],
           ((const int32_t *)test->y.data)[0]);
    dc_session_free(s);
    dc_model_free(l), dc_model_free(q4), dc_model_free(q8), dc_model_free(m);
    dc_dataset_free(train), dc_dataset_free(test);
    return acc[1] > acc[0] - 0.005 ? 0 : 1; /* int8 within half a point of float */
}
