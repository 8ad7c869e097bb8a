/* fuzz_onnx.c — an ONNX file through deepc import-onnx's reader: protobuf
 * decoding, the graph's checks (inputs, cycles, tensors against their
 * dims) and the conversion into a description and weights. A model that
 * imports must also describe itself. */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n) {
    const char *p = fuzz_file(0, ".onnx", data, n);
    dc_model *m = dc_model_import_onnx(p);
    if (m) (void)dc_model_description(m);
    dc_model_free(m);
    return 0;
}
