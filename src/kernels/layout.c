/* layout.c — moving a matrix between row and column layouts, for the
 * kernels that need their operand the other way round (the int8
 * convolution's patches, the sparse product's batch). */
#include "kernels.h"

/* In tiles of 32 x 32: the plain double loop read or wrote with a stride of
 * a whole row and took as long as the products it served (bench/RESULTS.md:
 * a batch of 256 through the sparse product, 430 µs before, 182 after). */
void dc_k_transpose(const float *in, int64_t R, int64_t C, float *out) {
    for (int64_t r0 = 0; r0 < R; r0 += 32)
        for (int64_t c0 = 0; c0 < C; c0 += 32) {
            const int64_t r1 = r0 + 32 < R ? r0 + 32 : R, c1 = c0 + 32 < C ? c0 + 32 : C;
            for (int64_t c = c0; c < c1; c++)
                for (int64_t r = r0; r < r1; r++) out[c * R + r] = in[r * C + c];
        }
}
