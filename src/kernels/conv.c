/* conv.c — the fast 2-D convolution and pooling loops on plain arrays
 * (channels first), for the conv2d/maxpool2d/avgpool2d ops.
 *
 * Convolution is im2col + GEMM, one sample at a time: the sample's columns
 * (G*K rows of P = OH*OW, K = C/G*KH*KW) are built and multiplied while
 * they are still in cache, and a whole batch is one parallel loop over
 * samples (not one parallel loop per stage: each stage's barrier left the
 * second core spinning). Every output element is computed by one thread
 * in one fixed order, whatever the team size, so the bits do not depend on
 * how many threads run — including the weight gradient, summed per fixed
 * group of samples and then over the groups in order. */
#include "kernels.h"
#include <string.h>

/* Samples per partial weight gradient: fixes the order of the sums. */
#define DW_GROUP 8

static int64_t kdim(const dc_k_conv_geom *g) { return g->C / g->groups * g->KH * g->KW; }

/* The output columns x in [lo, hi) whose input column x*s + off is inside [0, W). */
static void inside(int64_t OW, int64_t W, int64_t s, int64_t off, int64_t *lo, int64_t *hi) {
    int64_t a = 0, b = OW;
    while (a < OW && a * s + off < 0) a++;
    while (b > a && (b - 1) * s + off >= W) b--;
    *lo = a;
    *hi = b;
}

/* d[0, n) = s[0, n) in whole blocks of 16 floats (one vector move each)
 * where both ends allow: the rows of a convolution are short (11, 26), and
 * a loop's scalar remainder cost more than the copy. What lands past d + n
 * is in rows the caller writes later. */
static inline void copy_row(float *d, const float *s, int64_t n, const float *s_end, const float *d_end) {
    int64_t x = 0;
    for (; x < n && s + x + 16 <= s_end && d + x + 16 <= d_end; x += 16) memcpy(d + x, s + x, 16 * sizeof(float));
    for (; x < n; x++) d[x] = s[x];
}

/* col[(c*KH + i)*KW + j][y*OW + x] = x_n[c, y*sh + i*dh - pt, x*sw + j*dw - pl], 0 outside;
 * rows are written in increasing address order (copy_row relies on it) */
void dc_k_im2col(const dc_k_conv_geom *g, const float *x, float *col) {
    const int64_t OH = g->OH, OW = g->OW, P = OH * OW, H = g->H, W = g->W;
    const float *x_end = x + g->C * H * W, *col_end = col + g->C * g->KH * g->KW * P;
    for (int64_t c = 0; c < g->C; c++)
        for (int64_t i = 0; i < g->KH; i++)
            for (int64_t j = 0; j < g->KW; j++) {
                float *dst = col + ((c * g->KH + i) * g->KW + j) * P;
                const int64_t off = j * g->dw - g->pl;
                int64_t lo, hi;
                inside(OW, W, g->sw, off, &lo, &hi);
                for (int64_t y = 0; y < OH; y++) {
                    const int64_t iy = y * g->sh + i * g->dh - g->pt;
                    float *d = dst + y * OW;
                    if (iy < 0 || iy >= H) {
                        for (int64_t x = 0; x < OW; x++) d[x] = 0.0f;
                        continue;
                    }
                    const float *s = x + (c * H + iy) * W + off;
                    for (int64_t x = 0; x < lo; x++) d[x] = 0.0f;
                    if (g->sw == 1)
                        copy_row(d + lo, s + lo, hi - lo, x_end, col_end);
                    else
                        for (int64_t x = lo; x < hi; x++) d[x] = s[x * g->sw];
                    for (int64_t x = hi; x < OW; x++) d[x] = 0.0f;
                }
            }
}

/* dx_n += the inverse scatter of im2col */
void dc_k_col2im_add(const dc_k_conv_geom *g, const float *col, float *dx) {
    const int64_t OH = g->OH, OW = g->OW, P = OH * OW, H = g->H, W = g->W;
    for (int64_t c = 0; c < g->C; c++)
        for (int64_t i = 0; i < g->KH; i++)
            for (int64_t j = 0; j < g->KW; j++) {
                const float *src = col + ((c * g->KH + i) * g->KW + j) * P;
                const int64_t off = j * g->dw - g->pl;
                int64_t lo, hi;
                inside(OW, W, g->sw, off, &lo, &hi);
                for (int64_t y = 0; y < OH; y++) {
                    const int64_t iy = y * g->sh + i * g->dh - g->pt;
                    if (iy < 0 || iy >= H) continue;
                    const float *s = src + y * OW;
                    float *d = dx + (c * H + iy) * W + off;
                    if (g->sw == 1)
                        for (int64_t x = lo; x < hi; x++) d[x] += s[x];
                    else
                        for (int64_t x = lo; x < hi; x++) d[x * g->sw] += s[x];
                }
            }
}

/* y_n = W @ col_n (+ b), group by group; gemm threads itself only when
 * called outside a parallel region */
static void forward_sample(const dc_k_conv_geom *g, const float *w, const float *b, const float *col, float *y) {
    const int64_t G = g->groups, OCg = g->OC / G, K = kdim(g), P = g->OH * g->OW;
    for (int64_t gi = 0; gi < G; gi++) {
        float *yg = y + gi * OCg * P;
        if (b)
            for (int64_t o = 0; o < OCg; o++)
                for (int64_t p = 0; p < P; p++) yg[o * P + p] = b[gi * OCg + o];
        dc_k_gemm(0, 0, OCg, P, K, 1.0f, w + gi * OCg * K, K, col + gi * K * P, P, b ? 1.0f : 0.0f, yg, P);
    }
}

static int64_t team(void) { return dc_k_threads() > 0 ? dc_k_threads() : 1; }

size_t dc_k_conv2d_forward_scratch(const dc_k_conv_geom *g) {
    return (size_t)(team() * g->groups * kdim(g) * g->OH * g->OW);
}

static int batch_parallel(const dc_k_conv_geom *g) {
    return g->N > 1 && dc_k_threads() > 1 && (double)g->N * g->OC * g->OH * g->OW * kdim(g) > DC_GEMM_PAR_MIN;
}

void dc_k_conv2d_forward(const dc_k_conv_geom *g, const float *x, const float *w, const float *b, float *scratch, float *y) {
    const int64_t GKP = g->groups * kdim(g) * g->OH * g->OW, CHW = g->C * g->H * g->W, OP = g->OC * g->OH * g->OW;
    if (!batch_parallel(g)) { /* one sample (or a small batch): the products use the threads */
        for (int64_t n = 0; n < g->N; n++) {
            dc_k_im2col(g, x + n * CHW, scratch);
            forward_sample(g, w, b, scratch, y + n * OP);
        }
        return;
    }
#pragma omp parallel for num_threads(dc_k_run_threads()) schedule(static)
    for (int64_t n = 0; n < g->N; n++) {
        float *cn = scratch + dc_thread_slot() * GKP;
        dc_k_im2col(g, x + n * CHW, cn);
        forward_sample(g, w, b, cn, y + n * OP);
    }
}

size_t dc_k_conv2d_backward_scratch(const dc_k_conv_geom *g) {
    const int64_t groups = (g->N + DW_GROUP - 1) / DW_GROUP;
    return (size_t)(2 * team() * g->groups * kdim(g) * g->OH * g->OW + groups * g->OC * kdim(g));
}

/* dx_n += col2im(W^T @ dy_n), group by group, through one sample's columns */
static void backward_data_sample(const dc_k_conv_geom *g, const float *w, const float *dy, float *dcol, float *dx) {
    const int64_t G = g->groups, OCg = g->OC / G, K = kdim(g), P = g->OH * g->OW;
    for (int64_t gi = 0; gi < G; gi++)
        dc_k_gemm(1, 0, K, P, OCg, 1.0f, w + gi * OCg * K, K, dy + gi * OCg * P, P, 0.0f, dcol + gi * K * P, P);
    dc_k_col2im_add(g, dcol, dx);
}

/* part = sum over samples [n0, n1) of dy_n @ col_n^T, group by group;
 * each sample's columns made again, into col (it stays in cache: keeping
 * a batch's columns from the forward wrote and read them through memory) */
static void backward_weight_group(const dc_k_conv_geom *g, const float *x, const float *dy, int64_t n0, int64_t n1,
                                  float *col, float *part) {
    const int64_t G = g->groups, OCg = g->OC / G, K = kdim(g), P = g->OH * g->OW, OP = g->OC * P, CHW = g->C * g->H * g->W;
    for (int64_t n = n0; n < n1; n++) {
        dc_k_im2col(g, x + n * CHW, col);
        for (int64_t gi = 0; gi < G; gi++)
            dc_k_gemm(0, 1, OCg, K, P, 1.0f, dy + n * OP + gi * OCg * P, P, col + gi * K * P, P, n == n0 ? 0.0f : 1.0f,
                      part + gi * OCg * K, K);
    }
}

/* sum over n < N of the P floats at d + n*stride: 16 float lanes per
 * plane (they vectorize; a double sum in order did not, and was 4% of a
 * CNN's step), the lanes and the planes in double, all in a fixed order */
static double plane_sums(const float *d, int64_t N, int64_t stride, int64_t P) {
    double s = 0.0;
    for (int64_t n = 0; n < N; n++) {
        const float *r = d + n * stride;
        float acc[16] = {0};
        int64_t p = 0;
        for (; p + 16 <= P; p += 16)
            for (int l = 0; l < 16; l++) acc[l] += r[p + l];
        for (int l = 0; p + l < P; l++) acc[l] += r[p + l];
        for (int l = 0; l < 16; l++) s += acc[l];
    }
    return s;
}

void dc_k_conv2d_backward(const dc_k_conv_geom *g, const float *x, const float *w, const float *dy, float *dx, float *dw,
                          float *db, float *scratch) {
    const int64_t K = kdim(g), P = g->OH * g->OW, OP = g->OC * P, CHW = g->C * g->H * g->W, GKP = g->groups * K * P;
    const int64_t T = team(), ngroups = (g->N + DW_GROUP - 1) / DW_GROUP;
    const int64_t WK = g->OC * K;
    float *part = scratch + 2 * T * GKP;
    const int par = batch_parallel(g);
#pragma omp parallel num_threads(par ? dc_k_run_threads() : 1) if (par)
    {
        if (dx) {
            float *dcol = scratch + dc_thread_slot() * GKP;
#pragma omp for schedule(static) nowait
            for (int64_t n = 0; n < g->N; n++) backward_data_sample(g, w, dy + n * OP, dcol, dx + n * CHW);
        }
        if (dw) {
#pragma omp for schedule(static)
            for (int64_t gr = 0; gr < ngroups; gr++) {
                int64_t n0 = gr * DW_GROUP, n1 = n0 + DW_GROUP < g->N ? n0 + DW_GROUP : g->N;
                backward_weight_group(g, x, dy, n0, n1, scratch + (T + dc_thread_slot()) * GKP, part + gr * WK);
            }
            /* the groups' sums in order, in blocks of 1024 weights */
#pragma omp for schedule(static)
            for (int64_t blk = 0; blk < (WK + 1023) / 1024; blk++) {
                const int64_t e0 = blk * 1024, e1 = e0 + 1024 < WK ? e0 + 1024 : WK;
                for (int64_t gr = 0; gr < ngroups; gr++) {
                    const float *pg = part + gr * WK;
                    for (int64_t e = e0; e < e1; e++) dw[e] += pg[e];
                }
            }
        }
        if (db) {
#pragma omp for schedule(static)
            for (int64_t o = 0; o < g->OC; o++) db[o] += (float)plane_sums(dy + o * P, g->N, OP, P);
        }
    }
}

/* ---- pooling ----------------------------------------------------------------- */

#ifdef __AVX512F__
#include <immintrin.h>
/* The same with AVX-512, 16 outputs (32 inputs of each row) at a time and
 * masks for a row's end: a plane's rows are short (13, 5), so the
 * compiler's vector loop never ran and its scalar remainder did all the
 * work. Same comparisons in the same order: the same results. */
static void maxpool_2x2_arg_avx512(const float *xp, int64_t W, int64_t OH, int64_t OW, float *zp, int32_t *ap) {
    const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    const __m512i odd = _mm512_add_epi32(even, _mm512_set1_epi32(1)), lane2 = _mm512_slli_epi32(
                                                                          _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15), 1);
    for (int64_t y = 0; y < OH; y++) {
        const float *r0 = xp + 2 * y * W, *r1 = r0 + W;
        for (int64_t x0 = 0; x0 < OW; x0 += 16) {
            const int64_t n = OW - x0 < 16 ? OW - x0 : 16, n2 = 2 * n;
            const __mmask16 m = (__mmask16)((1u << n) - 1);
            const __mmask16 mlo = (__mmask16)(n2 >= 16 ? 0xFFFF : (1u << n2) - 1);
            const __mmask16 mhi = (__mmask16)(n2 > 16 ? (1u << (n2 - 16)) - 1 : 0);
            const float *p0 = r0 + 2 * x0, *p1 = r1 + 2 * x0;
            __m512 a_lo = _mm512_maskz_loadu_ps(mlo, p0), a_hi = _mm512_maskz_loadu_ps(mhi, p0 + 16);
            __m512 c_lo = _mm512_maskz_loadu_ps(mlo, p1), c_hi = _mm512_maskz_loadu_ps(mhi, p1 + 16);
            __m512 a = _mm512_permutex2var_ps(a_lo, even, a_hi), b = _mm512_permutex2var_ps(a_lo, odd, a_hi);
            __m512 c = _mm512_permutex2var_ps(c_lo, even, c_hi), d = _mm512_permutex2var_ps(c_lo, odd, c_hi);
            const __m512i base = _mm512_add_epi32(_mm512_set1_epi32((int32_t)(2 * y * W + 2 * x0)), lane2);
            const __m512i w = _mm512_set1_epi32((int32_t)W), one = _mm512_set1_epi32(1);
            __m512 best = a;
            __m512i k = base;
            __mmask16 s = _mm512_cmp_ps_mask(b, best, _CMP_GT_OQ);
            best = _mm512_mask_mov_ps(best, s, b);
            k = _mm512_mask_mov_epi32(k, s, _mm512_add_epi32(base, one));
            s = _mm512_cmp_ps_mask(c, best, _CMP_GT_OQ);
            best = _mm512_mask_mov_ps(best, s, c);
            k = _mm512_mask_mov_epi32(k, s, _mm512_add_epi32(base, w));
            s = _mm512_cmp_ps_mask(d, best, _CMP_GT_OQ);
            best = _mm512_mask_mov_ps(best, s, d);
            k = _mm512_mask_mov_epi32(k, s, _mm512_add_epi32(_mm512_add_epi32(base, w), one));
            _mm512_mask_storeu_ps(zp + y * OW + x0, m, best);
            if (ap) _mm512_mask_storeu_epi32(ap + y * OW + x0, m, k);
        }
    }
}
#else
/* The common 2x2 window, stride 2, no padding: no bounds to check; ties and
 * NaN as the general loop (the first of equal maxima; a NaN after the first
 * element never wins). Written so the compiler vectorizes it (restrict,
 * 32-bit indices, selects): it was a tenth of a CNN's training step. */
static void maxpool_2x2_arg(const float *restrict xp, int64_t W, int64_t OH, int64_t OW, float *restrict zp,
                            int32_t *restrict ap) {
    for (int64_t y = 0; y < OH; y++) {
        const float *r0 = xp + 2 * y * W, *r1 = r0 + W;
        float *zr = zp + y * OW;
        int32_t *ar = ap + y * OW;
        const int32_t row = (int32_t)(2 * y * W), w = (int32_t)W;
        for (int32_t xo = 0; xo < (int32_t)OW; xo++) {
            float a = r0[2 * xo], b = r0[2 * xo + 1], c = r1[2 * xo], d = r1[2 * xo + 1], best = a;
            int32_t k = row + 2 * xo;
            if (b > best) best = b, k = row + 2 * xo + 1;
            if (c > best) best = c, k = row + w + 2 * xo;
            if (d > best) best = d, k = row + w + 2 * xo + 1;
            zr[xo] = best;
            ar[xo] = k;
        }
    }
}

static void maxpool_2x2(const float *restrict xp, int64_t W, int64_t OH, int64_t OW, float *restrict zp) {
    for (int64_t y = 0; y < OH; y++) {
        const float *r0 = xp + 2 * y * W, *r1 = r0 + W;
        float *zr = zp + y * OW;
        for (int32_t xo = 0; xo < (int32_t)OW; xo++) {
            float best = r0[2 * xo];
            if (r0[2 * xo + 1] > best) best = r0[2 * xo + 1];
            if (r1[2 * xo] > best) best = r1[2 * xo];
            if (r1[2 * xo + 1] > best) best = r1[2 * xo + 1];
            zr[xo] = best;
        }
    }
}

#endif

static void pool_plane(const dc_k_pool_geom *g, const float *xp, float *zp, int32_t *ap) {
    const int64_t H = g->H, W = g->W, OH = g->OH, OW = g->OW;
    const float inv = 1.0f / (float)(g->kh * g->kw);
    if (g->is_max && g->kh == 2 && g->kw == 2 && g->sh == 2 && g->sw == 2 && g->ph == 0 && g->pw == 0) {
#ifdef __AVX512F__
        maxpool_2x2_arg_avx512(xp, W, OH, OW, zp, ap);
#else
        if (ap) maxpool_2x2_arg(xp, W, OH, OW, zp, ap);
        else maxpool_2x2(xp, W, OH, OW, zp);
#endif
        return;
    }
    for (int64_t y = 0; y < OH; y++)
        for (int64_t xo = 0; xo < OW; xo++) {
            float best = -INFINITY, sum = 0.0f;
            int32_t arg = -1;
            for (int i = 0; i < g->kh; i++) {
                int64_t iy = y * g->sh + i - g->ph;
                if (iy < 0 || iy >= H) continue;
                for (int j = 0; j < g->kw; j++) {
                    int64_t ix = xo * g->sw + j - g->pw;
                    if (ix < 0 || ix >= W) continue;
                    float v = xp[iy * W + ix];
                    sum += v;
                    if (v > best || arg < 0) best = v, arg = (int32_t)(iy * W + ix);
                }
            }
            zp[y * OW + xo] = g->is_max ? best : sum * inv;
            if (ap) ap[y * OW + xo] = arg;
        }
}

void dc_k_pool2d_forward(const dc_k_pool_geom *g, const float *x, float *z, int32_t *arg) {
    const int64_t P = g->OH * g->OW, HW = g->H * g->W;
    DC_PARALLEL_FOR(g->planes * P > DC_PAR_MIN, pl, g->planes,
                    { pool_plane(g, x + pl * HW, z + pl * P, arg ? arg + pl * P : NULL); });
}

void dc_k_pool2d_backward(const dc_k_pool_geom *g, const float *dz, const int32_t *arg, float *dx) {
    const int64_t P = g->OH * g->OW, HW = g->H * g->W, OW = g->OW;
    const float inv = 1.0f / (float)(g->kh * g->kw);
    DC_PARALLEL_FOR(g->planes * P > DC_PAR_MIN, pl, g->planes, {
        const float *gz = dz + pl * P;
        float *gp = dx + pl * HW;
        if (g->is_max) {
            const int32_t *ap = arg + pl * P;
            for (int64_t k = 0; k < P; k++)
                if (ap[k] >= 0) gp[ap[k]] += gz[k];
        } else {
            for (int64_t y = 0; y < g->OH; y++)
                for (int64_t x = 0; x < OW; x++) {
                    float gv = gz[y * OW + x] * inv;
                    for (int i = 0; i < g->kh; i++) {
                        int64_t iy = y * g->sh + i - g->ph;
                        if (iy < 0 || iy >= g->H) continue;
                        for (int j = 0; j < g->kw; j++) {
                            int64_t ix = x * g->sw + j - g->pw;
                            if (ix >= 0 && ix < g->W) gp[iy * g->W + ix] += gv;
                        }
                    }
                }
        }
    });
}
