/* test_quant.c — quantized products (src/kernels/quant.c). The int8 and
 * 4-bit products against a double-precision reference on the same
 * quantized values, on random and adversarial inputs (saturation at +-127,
 * rows of zeros, NaN and inf in a row, odd block counts, K not a multiple
 * of 64); and the AVX-512 VNNI path against the portable one, bit for bit
 * (where this CPU has VNNI; the portable path runs everywhere). */
#include "test.h"
#include "../src/kernels/kernels.h"

static float rnd(dc_rng *r) { return 2.0f * dc_rng_uniform(r) - 1.0f; }

typedef struct {
    int64_t M, N, K;
    float *x, *w, *b;
} problem;

/* x (M, K) and w (N, K), with the adversarial rows the case asks for */
static problem make(int64_t M, int64_t N, int64_t K, uint64_t seed, int adversarial) {
    dc_rng r;
    dc_rng_seed(&r, seed);
    problem p = {M, N, K, malloc(sizeof(float) * (size_t)(M * K)), malloc(sizeof(float) * (size_t)(N * K)),
                 malloc(sizeof(float) * (size_t)N)};
    for (int64_t i = 0; i < M * K; i++) p.x[i] = rnd(&r) * 3.0f;
    for (int64_t i = 0; i < N * K; i++) p.w[i] = rnd(&r) * 0.2f;
    for (int64_t i = 0; i < N; i++) p.b[i] = rnd(&r);
    if (adversarial) {
        for (int64_t k = 0; k < K; k++) p.x[k] = (k % 2 ? -1e6f : 1e6f); /* every value at +-127 */
        if (M > 1) memset(p.x + K, 0, sizeof(float) * (size_t)K);         /* a row of zeros */
        if (M > 2) p.x[2 * K + K / 2] = NAN;                               /* a NaN: that row only */
        if (M > 3) p.x[3 * K] = INFINITY;
        for (int64_t k = 0; k < K; k++) p.w[k] = (k % 3 ? 0.5f : -0.5f);  /* a weight row at +-127 */
        if (N > 1) memset(p.w + K, 0, sizeof(float) * (size_t)K);          /* a weight row of zeros */
    }
    return p;
}
static void drop(problem *p) { free(p->x), free(p->w), free(p->b); }

static int row_finite(const problem *p, int64_t m) {
    for (int64_t k = 0; k < p->K; k++)
        if (!isfinite(p->x[m * p->K + k])) return 0;
    return 1;
}

static void int8_case(int64_t M, int64_t N, int64_t K, int adversarial) {
    problem p = make(M, N, K, (uint64_t)(M * 1000003 + N * 1009 + K), adversarial);
    int8_t *wq = malloc((size_t)(N * K)), *xq = malloc((size_t)(M * K));
    float *sw = malloc(sizeof(float) * (size_t)N), *sx = malloc(sizeof(float) * (size_t)M);
    int32_t *xs = malloc(sizeof(int32_t) * (size_t)M);
    float *y = malloc(sizeof(float) * (size_t)(M * N)), *y2 = malloc(sizeof(float) * (size_t)(M * N));
    dc_k_quantize_rows_i8(p.w, N, K, wq, sw);
    dc_k_quantize_act_rows(p.x, M, K, xq, sx, xs);
    dc_k_quant_force_portable(1);
    dc_k_qgemm_i8(M, N, K, xq, sx, xs, wq, sw, p.b, y);
    int bad = 0;
    for (int64_t m = 0; m < M; m++)
        for (int64_t n = 0; n < N; n++) {
            const float v = y[m * N + n];
            if (!row_finite(&p, m)) { /* NaN or inf in the row: NaN out */
                bad += !isnan(v);
                continue;
            }
            double ref = 0.0, exact = 0.0, mag = 0.0;
            for (int64_t k = 0; k < K; k++) {
                ref += (double)xq[m * K + k] * sx[m] * ((double)wq[n * K + k] * sw[n]);
                exact += (double)p.x[m * K + k] * p.w[n * K + k];
                mag += fabs((double)p.x[m * K + k] * p.w[n * K + k]);
            }
            ref += p.b[n], exact += p.b[n];
            if (fabs(v - ref) > 1e-5 * (fabs(ref) + mag + 1.0)) bad++;
            /* and the quantization error itself: half a step of each side per product */
            if (fabs(v - exact) > 0.02 * (mag + 1.0)) bad++;
        }
    CHECK(!bad, "int8 %lldx%lldx%lld%s: %d outputs off", (long long)M, (long long)N, (long long)K, adversarial ? " (adversarial)" : "", bad);
    if (!adversarial) {
        for (int64_t k = 0; k < K; k++) CHECK(p.x[k] == 0.0f || xq[k] != 0 || fabsf(p.x[k]) < sx[0], "quantized to zero");
    } else {
        CHECK(xq[0] == 127 && (K < 2 || xq[1] == -127), "saturation: %d %d", xq[0], xq[1]);
        if (M > 1) CHECK(sx[1] == 1.0f && xs[1] == 0, "a row of zeros: scale %g", sx[1]);
        if (M > 1)
            for (int64_t n = 0; n < N; n++) CHECK(y[N + n] == p.b[n], "a row of zeros gives the bias");
        if (N > 1) CHECK(sw[1] == 1.0f, "a weight row of zeros: scale 1, not 0 (got %g)", sw[1]);
    }
    dc_k_quant_force_portable(0);
    if (!strcmp(dc_k_quant_impl(), "avx512-vnni")) {
        dc_k_qgemm_i8(M, N, K, xq, sx, xs, wq, sw, p.b, y2);
        int same = 1; /* the bits (NaN != NaN) */
        for (int64_t i = 0; i < M * N; i++) same &= !memcmp(&y[i], &y2[i], 4);
        CHECK(same, "int8 %lldx%lldx%lld: VNNI and portable differ", (long long)M, (long long)N, (long long)K);
    }
    free(wq), free(xq), free(sw), free(sx), free(xs), free(y), free(y2);
    drop(&p);
}

static void q4_case(int64_t M, int64_t N, int64_t K, int adversarial) {
    problem p = make(M, N, K, (uint64_t)(M * 7919 + N * 31 + K), adversarial);
    const int64_t nb = K / DC_Q4_BLOCK;
    uint8_t *wq = malloc((size_t)(N * K / 2));
    uint16_t *dw = malloc(sizeof(uint16_t) * (size_t)(N * nb));
    int8_t *xq = malloc((size_t)(M * K));
    float *dx = malloc(sizeof(float) * (size_t)(M * nb)), *wd = malloc(sizeof(float) * (size_t)(N * K));
    int32_t *xs4 = malloc(sizeof(int32_t) * (size_t)(M * K / 4));
    float *y = malloc(sizeof(float) * (size_t)(M * N)), *y2 = malloc(sizeof(float) * (size_t)(M * N));
    dc_k_quantize_q4_rows(p.w, N, K, wq, dw);
    dc_k_dequantize_q4_rows(wq, dw, N, K, wd);
    int far = 0;
    for (int64_t i = 0; i < N * K; i++) { /* within half a step (and the -8..7 range holds the extremes) */
        float s = dc_k_f16_to_f32(dw[i / DC_Q4_BLOCK]);
        far += !(fabsf(wd[i] - p.w[i]) <= 0.5f * s * 1.001f + 1e-7f) || !(s > 0.0f);
    }
    CHECK(!far, "q4 %lldx%lld: %d values beyond half a step", (long long)N, (long long)K, far);
    dc_k_quantize_act_blocks(p.x, M, K, xq, dx, xs4);
    dc_k_quant_force_portable(1);
    dc_k_qgemm_q4(M, N, K, xq, dx, xs4, wq, dw, p.b, y);
    int bad = 0;
    for (int64_t m = 0; m < M; m++)
        for (int64_t n = 0; n < N; n++) {
            const float v = y[m * N + n];
            if (!row_finite(&p, m)) {
                bad += !isnan(v);
                continue;
            }
            double ref = 0.0, mag = 0.0;
            for (int64_t k = 0; k < K; k++) {
                double xv = (double)xq[m * K + k] * dx[m * nb + k / DC_Q4_BLOCK];
                ref += xv * wd[n * K + k];
                mag += fabs(xv * wd[n * K + k]);
            }
            ref += p.b[n];
            if (fabs(v - ref) > 1e-5 * (mag + fabs(ref) + 1.0)) bad++;
        }
    CHECK(!bad, "q4 %lldx%lldx%lld%s: %d outputs off", (long long)M, (long long)N, (long long)K, adversarial ? " (adversarial)" : "", bad);
    dc_k_quant_force_portable(0);
    if (!strcmp(dc_k_quant_impl(), "avx512-vnni")) {
        dc_k_qgemm_q4(M, N, K, xq, dx, xs4, wq, dw, p.b, y2);
        int same = 1;
        for (int64_t i = 0; i < M * N; i++) same &= !memcmp(&y[i], &y2[i], 4);
        CHECK(same, "q4 %lldx%lldx%lld: VNNI and portable differ", (long long)M, (long long)N, (long long)K);
    }
    free(wq), free(dw), free(xq), free(dx), free(wd), free(xs4), free(y), free(y2);
    drop(&p);
}

int main(void) {
    dc_set_num_threads(2);
    printf("quantized kernels: %s (portable checked too)\n", dc_k_quant_impl());
    const int64_t Ks[] = {1, 31, 64, 65, 100, 768, 1000};
    for (size_t i = 0; i < sizeof Ks / sizeof *Ks; i++) {
        int8_case(1, 7, Ks[i], 0);
        int8_case(5, 130, Ks[i], 0);
        int8_case(4, 65, Ks[i], 1);
        int8_case(6, 3, Ks[i], 1);
    }
    int8_case(9, 2304, 768, 0); /* threads share the rows out */
    const int64_t K4[] = {32, 64, 96, 768, 3072};
    for (size_t i = 0; i < sizeof K4 / sizeof *K4; i++) {
        q4_case(1, 7, K4[i], 0);
        q4_case(3, 70, K4[i], 0);
        q4_case(4, 5, K4[i], 1);
    }
    q4_case(2, 2304, 768, 0);
    printf("%d passed, %d failed\n", test_passed, test_failed);
    return test_failed != 0;
}
