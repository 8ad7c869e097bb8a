/* rng.c — PCG32 (O'Neill 2014): small state, good statistics, and the same
 * stream on every platform. The only source of randomness in deepc. */
#include "deepc.h"
#include <math.h>

void dc_rng_seed(dc_rng *r, uint64_t seed) {
    r->state = 0;
    r->inc = (seed << 1u) | 1u;
    dc_rng_u32(r);
    r->state += 0x853c49e6748fea9bULL ^ seed;
    dc_rng_u32(r);
}

uint32_t dc_rng_u32(dc_rng *r) {
    uint64_t old = r->state;
    r->state = old * 6364136223846793005ULL + r->inc;
    uint32_t xorshifted = (uint32_t)(((old >> 18u) ^ old) >> 27u);
    uint32_t rot = (uint32_t)(old >> 59u);
    return (xorshifted >> rot) | (xorshifted << ((-rot) & 31));
}

float dc_rng_uniform(dc_rng *r) {
    /* 24 random bits: every value is exactly representable, never 1.0 */
    return (float)(dc_rng_u32(r) >> 8) * (1.0f / 16777216.0f);
}

float dc_rng_normal(dc_rng *r) {
    /* Box-Muller; u1 in (0,1] so log never sees 0 */
    float u1 = 1.0f - dc_rng_uniform(r);
    float u2 = dc_rng_uniform(r);
    return sqrtf(-2.0f * logf(u1)) * cosf(6.28318530717958647692f * u2);
}

uint32_t dc_rng_below(dc_rng *r, uint32_t n) {
    /* Lemire-style rejection for an unbiased bounded integer */
    uint32_t threshold = (uint32_t)(-n) % n;
    for (;;) {
        uint32_t x = dc_rng_u32(r);
        if (x >= threshold) return x % n;
    }
}

void dc_rng_shuffle(dc_rng *r, int64_t *idx, int64_t n) {
    for (int64_t i = n - 1; i > 0; i--) {
        int64_t j = (int64_t)dc_rng_below(r, (uint32_t)(i + 1));
        int64_t t = idx[i];
        idx[i] = idx[j];
        idx[j] = t;
    }
}
