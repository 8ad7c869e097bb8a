/* onnx_import_run.c MODEL IN OUT N — a deepc model (an imported one) on N
 * samples of a raw file (floats, or int32 token ids when the model takes
 * ids), its outputs written raw: the deepc side of tests/onnx_import.sh. */
#include <deepc.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
    if (argc != 5) {
        fprintf(stderr, "usage: onnx_import_run MODEL IN OUT N\n");
        return 2;
    }
    const int n = atoi(argv[4]);
    dc_model *m = dc_model_load(argv[1]);
    dc_session *s = m ? dc_session_new(m, n) : NULL;
    if (!s) {
        fprintf(stderr, "onnx_import_run: %s\n", dc_last_error());
        return 1;
    }
    const int64_t in = dc_session_input_size(s, 0), out = dc_session_output_size(s, 0);
    void *x = malloc(4 * (size_t)(in * n));
    float *y = malloc(sizeof(float) * (size_t)(out * n));
    FILE *fi = fopen(argv[2], "rb"), *fo = fopen(argv[3], "wb");
    int rc = !x || !y || !fi || !fo || fread(x, 4, (size_t)(in * n), fi) != (size_t)(in * n);
    if (!rc && dc_session_predict(s, x, n, y) != DC_OK) {
        fprintf(stderr, "onnx_import_run: %s\n", dc_last_error());
        rc = 1;
    }
    if (!rc) rc = fwrite(y, sizeof(float), (size_t)(out * n), fo) != (size_t)(out * n);
    if (fi) fclose(fi);
    if (fo && fclose(fo)) rc = 1;
    free(x), free(y);
    dc_session_free(s);
    dc_model_free(m);
    return rc;
}
