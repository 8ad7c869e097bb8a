/* fuzz_image.c — an image file (PNG or JPEG, or anything named .png), read
 * as gray or RGB by the first byte; decoded images are resized. */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n) {
    if (n < 1) return 0;
    const char *p = fuzz_file(0, ".png", data + 1, n - 1);
    int w, h, c = data[0] & 1 ? 3 : 1;
    uint8_t *pix = NULL;
    if (dc_image_read(p, c, &w, &h, &pix) == DC_OK) {
        uint8_t out[3 * 8 * 8];
        dc_image_resize(pix, w, h, c, out, 8, 8);
        free(pix);
    }
    return 0;
}
