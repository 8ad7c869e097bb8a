/* c_driver.c — runs an exported C model (deepc export --format c) on the
 * samples of a raw file and writes its outputs: built by tests/c_export.sh
 * with -DMODEL_HEADER='"NAME.h"' (and -DIDS for a model of token ids).
 * usage: driver IN OUT N */
#include MODEL_HEADER
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
    long n, i;
    FILE *fi, *fo;
#ifdef IDS
    static int32_t x[MODEL_INPUT_SIZE];
#else
    static float x[MODEL_INPUT_SIZE];
#endif
    static float y[MODEL_OUTPUT_SIZE];
    if (argc != 4) return 2;
    n = atol(argv[3]);
    fi = fopen(argv[1], "rb");
    fo = fopen(argv[2], "wb");
    if (!fi || !fo) return 2;
    for (i = 0; i < n; i++) {
        if (fread(x, sizeof x[0], MODEL_INPUT_SIZE, fi) != MODEL_INPUT_SIZE) return 3;
#ifdef IDS
        if (model_predict_ids(x, y)) return 4;
#else
        if (model_predict(x, y)) return 4;
#endif
        if (fwrite(y, sizeof y[0], MODEL_OUTPUT_SIZE, fo) != MODEL_OUTPUT_SIZE) return 5;
    }
    return fclose(fo) ? 5 : 0;
}
