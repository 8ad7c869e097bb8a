/* quant.c — quantized products: int8 weights (a scale per output row) and
 * 4-bit weights (q4_0: blocks of 32 with a scale each), against
 * activations quantized to int8 on the fly. The portable loops are here;
 * quant_avx512.c has the AVX-512 VNNI ones, chosen at run time when the CPU
 * has them (dc_k_quant_impl), so one binary runs on any x86-64.
 *
 * Both paths give the same bits. The int8 product sums integers exactly
 * (no rounding, any order), and the float epilogue is one function both
 * call. The 4-bit product sums floats, so its order is fixed by a lane
 * structure both follow: 16 float lanes, a block's 32 products split into
 * 8 lanes of 4 (the first block of a pair in lanes 0-7, the second in 8-15),
 * each lane's integer sum times the block's scale added with one fused
 * multiply-add, and the 16 lanes summed by reduce16 at the end. */
#include "kernels.h"
#include "quant.h"
#include <math.h>
#include <oneapi/dnnl/dnnl.h>
#include <stdlib.h>
#include <string.h>

/* ---- which kernels run ------------------------------------------------------ */

/* -1: not decided yet (DEEPC_KERNELS is read on first use). Sessions on
 * several threads may decide it at once: atomic, and they agree. */
static int forced_portable = -1;

static int portable(void) {
    int f = __atomic_load_n(&forced_portable, __ATOMIC_RELAXED);
    if (f < 0) {
        const char *e = getenv("DEEPC_KERNELS");
        f = e && !strcmp(e, "portable");
        __atomic_store_n(&forced_portable, f, __ATOMIC_RELAXED);
    }
    return f;
}

static int use_vnni(void) { return !portable() && dc_k_have_vnni(); }

int dc_k_quant_fast(void) { return use_vnni(); }

void dc_k_quant_force_portable(int on) { __atomic_store_n(&forced_portable, on ? 1 : 0, __ATOMIC_RELAXED); }
const char *dc_k_quant_impl(void) { return use_vnni() ? "avx512-vnni" : "portable"; }

/* ---- 4-bit weights ------------------------------------------------------------ */

/* A block of 32 values: byte j holds value j in its low nibble and value
 * j + 16 in its high one, each stored as q + 8 for q in [-8, 7]; the scale
 * is positive, the smallest that holds the block in [-8, 7] steps: the
 * larger of (largest negative magnitude) / 8 and (largest positive) / 7
 * (1 for a block of zeros). */
void dc_k_quantize_q4_rows(const float *x, int64_t rows, int64_t K, uint8_t *q, uint16_t *d) {
    const int64_t nb = K / DC_Q4_BLOCK;
    for (int64_t r = 0; r < rows; r++)
        for (int64_t b = 0; b < nb; b++) {
            const float *xb = x + r * K + b * DC_Q4_BLOCK;
            float neg = 0.0f, pos = 0.0f; /* the largest magnitudes on each side */
            for (int i = 0; i < DC_Q4_BLOCK; i++) {
                neg = -xb[i] > neg ? -xb[i] : neg;
                pos = xb[i] > pos ? xb[i] : pos;
            }
            float sc = neg / 8.0f > pos / 7.0f ? neg / 8.0f : pos / 7.0f;
            if (!(sc > 0.0f)) sc = 1.0f;
            uint16_t h = dc_k_f32_to_f16(sc);
            if (dc_k_f16_to_f32(h) <= 0.0f) h = 0x0001; /* under half's range: its smallest */
            if (dc_k_f16_to_f32(h) > 65504.0f) h = 0x7BFF; /* over it: its largest (values clamp to +-7 scales) */
            d[r * nb + b] = h;
            const float inv = 1.0f / dc_k_f16_to_f32(h);
            uint8_t *qb = q + (r * K + b * DC_Q4_BLOCK) / 2;
            for (int j = 0; j < DC_Q4_BLOCK / 2; j++) {
                float lo = nearbyintf(xb[j] * inv), hi = nearbyintf(xb[j + 16] * inv);
                int a = (int)(lo > 7.0f ? 7.0f : lo < -8.0f ? -8.0f : lo) + 8, c = (int)(hi > 7.0f ? 7.0f : hi < -8.0f ? -8.0f : hi) + 8;
                qb[j] = (uint8_t)(a | c << 4);
            }
        }
}

void dc_k_dequantize_q4_rows(const uint8_t *q, const uint16_t *d, int64_t rows, int64_t K, float *out) {
    const int64_t nb = K / DC_Q4_BLOCK;
    for (int64_t r = 0; r < rows; r++)
        for (int64_t b = 0; b < nb; b++) {
            const float sc = dc_k_f16_to_f32(d[r * nb + b]);
            const uint8_t *qb = q + (r * K + b * DC_Q4_BLOCK) / 2;
            float *o = out + r * K + b * DC_Q4_BLOCK;
            for (int j = 0; j < DC_Q4_BLOCK / 2; j++) {
                o[j] = (float)((qb[j] & 15) - 8) * sc;
                o[j + 16] = (float)((qb[j] >> 4) - 8) * sc;
            }
        }
}

/* ---- portable products ------------------------------------------------------------ */

#define NCHUNK 64 /* output rows per unit of work */

static void qgemm_i8_portable(int64_t M, int64_t n0, int64_t n1, int64_t K, const int8_t *xq, const float *sx,
                              const int8_t *w, const float *sw, const float *b, float *y, int64_t ldy) {
    int32_t acc[NCHUNK];
    for (int64_t m = 0; m < M; m++) {
        const int8_t *xr = xq + m * K;
        for (int64_t n = n0; n < n1; n++) {
            const int8_t *wr = w + n * K;
            int32_t s = 0;
            for (int64_t k = 0; k < K; k++) s += (int32_t)xr[k] * wr[k];
            acc[n - n0] = s;
        }
        dc_k_qi8_epilogue(n0, n1, acc, sx[m], sw, b, y + m * ldy);
    }
}

static void qgemm_q4_portable(int64_t M, int64_t n0, int64_t n1, int64_t K, const int8_t *xq, const float *dx,
                              const uint8_t *w, const uint16_t *dw, const float *b, float *y, int64_t ldy) {
    const int64_t nb = K / DC_Q4_BLOCK;
    for (int64_t m = 0; m < M; m++)
        for (int64_t n = n0; n < n1; n++) {
            float acc[16] = {0};
            for (int64_t bb = 0; bb < nb; bb++) {
                const uint8_t *qb = w + (n * K + bb * DC_Q4_BLOCK) / 2;
                const int8_t *xb = xq + m * K + bb * DC_Q4_BLOCK;
                const float d = dc_k_f16_to_f32(dw[n * nb + bb]) * dx[m * nb + bb];
                float *lane = acc + (bb & 1) * 8;
                for (int j = 0; j < 8; j++) { /* lane j: values 4j .. 4j+3 of the block */
                    int32_t s = 0;
                    for (int i = 4 * j; i < 4 * j + 4; i++) {
                        int v = i < 16 ? (qb[i] & 15) - 8 : (qb[i - 16] >> 4) - 8;
                        s += v * xb[i];
                    }
                    lane[j] = fmaf((float)s, d, lane[j]);
                }
            }
            float v = dc_k_reduce16(acc);
            y[m * ldy + n] = b ? v + b[n] : v;
        }
}

/* ---- the entry points: rows of outputs shared out among the threads ---------------- */

/* Many rows at once (on a CPU with VNNI): oneDNN's u8 x s8 GEMM, 2.6-2.8x the VNNI loop at 256
 * rows, 1.1x at 16 (bench/qgemm_onednn.c), with the activations as u8 (x + 128, in
 * place: an XOR of the sign bit) and A's offset 128, so that it multiplies
 * x itself; the exact int32 sums land in y's memory, and the shared
 * epilogue turns them into floats in place (element by element). */
static void qgemm_i8_dnnl(int64_t M, int64_t N, int64_t K, int8_t *xq, const float *sx, const int8_t *w, const float *sw,
                          const float *b, float *y) {
    for (int64_t i = 0; i < M * K; i++) xq[i] = (int8_t)((uint8_t)xq[i] ^ 0x80u);
    int32_t *acc = (int32_t *)y, co = 0;
    dnnl_gemm_u8s8s32('N', 'T', 'F', M, N, K, 1.0f, (const uint8_t *)xq, K, 128, w, K, 0, 0.0f, acc, N, &co);
    for (int64_t m = 0; m < M; m++) dc_k_qi8_epilogue(0, N, acc + m * N, sx[m], sw, b, y + m * N);
}

void dc_k_qgemm_i8(int64_t M, int64_t N, int64_t K, int8_t *xq, const float *sx, const int32_t *xsum,
                   const int8_t *w, const float *sw, const float *b, float *y) {
    const int64_t chunks = (N + NCHUNK - 1) / NCHUNK;
    const int vnni = use_vnni();
    /* oneDNN only with VNNI: without it (AVX2, AVX-512 before Cascade Lake)
     * its u8 x s8 kernel adds products in pairs with vpmaddubsw, which
     * saturates at 32767 (255 * 127 * 2 does not fit), so its sums were
     * not exact: an int8 CNN's outputs were off by up to 3.8x on an AVX2
     * machine (tests/c_export.sh) */
    if (M >= DC_QGEMM_BIG_M && vnni) {
        qgemm_i8_dnnl(M, N, K, xq, sx, w, sw, b, y);
        return;
    }
    DC_PARALLEL_FOR((double)M * N * K >= DC_GEMM_PAR_MIN * 4 && chunks > 1, c, chunks, {
        const int64_t n0 = c * NCHUNK, n1 = n0 + NCHUNK < N ? n0 + NCHUNK : N;
        if (vnni) dc_k_qgemm_i8_vnni(M, n0, n1, K, xq, sx, xsum, w, sw, b, y, N);
        else qgemm_i8_portable(M, n0, n1, K, xq, sx, w, sw, b, y, N);
    });
}

void dc_k_qgemm_q4(int64_t M, int64_t N, int64_t K, const int8_t *xq, const float *dx, const int32_t *xs4,
                   const uint8_t *w, const uint16_t *dw, const float *b, float *y) {
    const int64_t chunks = (N + NCHUNK - 1) / NCHUNK;
    const int vnni = use_vnni();
    DC_PARALLEL_FOR((double)M * N * K >= DC_GEMM_PAR_MIN * 4 && chunks > 1, c, chunks, {
        const int64_t n0 = c * NCHUNK, n1 = n0 + NCHUNK < N ? n0 + NCHUNK : N;
        if (vnni) dc_k_qgemm_q4_vnni(M, n0, n1, K, xq, dx, xs4, w, dw, b, y, N);
        else qgemm_q4_portable(M, n0, n1, K, xq, dx, w, dw, b, y, N);
    });
}
