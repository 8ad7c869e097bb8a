/* attention.c — the loops of multi-head scaled dot-product attention on
 * plain arrays, for the attention op (src/core/ops_attn.c says what it
 * computes and why it keeps only the log-sum-exp). Every (sample, head)
 * pair is one thread's work, whatever the thread count: results are
 * bit-identical across thread counts. */
#include "kernels.h"
#include <string.h>

#define ATT_BQ DC_K_ATT_BQ

/* splitmix64 of (seed, n, h, i, j): the dropout decision of one weight. */
static inline float att_uniform(uint64_t seed, int64_t nh, int64_t i, int64_t j) {
    uint64_t z = seed + 0x9E3779B97F4A7C15ULL * ((uint64_t)nh * 0x100000001B3ULL + ((uint64_t)i << 24) + (uint64_t)j + 1);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    z ^= z >> 31;
    return (float)(z >> 40) * (1.0f / 16777216.0f);
}

static inline int key_real(const dc_k_att_geom *a, int64_t n, int64_t j) {
    if (a->mask_i32) return a->mask_i32[n * a->T + j] != 0;
    return !a->mask_f32 || a->mask_f32[n * a->T + j] != 0.0f;
}

/* Keys a block of queries [r0, r1) at positions off + i may see. */
static inline int64_t keys_for(const dc_k_att_geom *a, int64_t off, int64_t r1, int64_t Tk) {
    return a->causal && off + r1 < Tk ? off + r1 : Tk;
}

/* Scores of query rows [r0, r1) against keys [0, kend) into S (rows of
 * kend), masked, turned into probabilities in place; lse (if not NULL)
 * gets each row's log-sum-exp. A row with no visible key is all zeros. */
static void block_softmax(const dc_k_att_geom *a, int64_t n, int64_t off, int64_t r0, int64_t br, int64_t kend, float *S, float *lse) {
    for (int64_t i = 0; i < br; i++) {
        float *s = S + i * kend;
        const int64_t last = a->causal ? off + r0 + i : kend - 1; /* keys past it are hidden */
        float mx = -INFINITY;
        for (int64_t j = 0; j < kend; j++) {
            if (j > last || !key_real(a, n, j)) s[j] = -INFINITY;
            mx = s[j] > mx ? s[j] : mx;
        }
        if (mx == -INFINITY) { /* nothing to attend to */
            memset(s, 0, sizeof(float) * (size_t)kend);
            if (lse) lse[r0 + i] = -INFINITY;
            continue;
        }
        float sum = 0.0f;
        for (int64_t j = 0; j < kend; j++) {
            s[j] = expf(s[j] - mx);
            sum += s[j];
        }
        const float inv = 1.0f / sum;
        for (int64_t j = 0; j < kend; j++) s[j] *= inv;
        if (lse) lse[r0 + i] = mx + logf(sum);
    }
}

static void block_probs(const dc_k_att_geom *a, int64_t n, const float *q, int64_t ldq, const float *k, int64_t ldk,
                        int64_t off, int64_t r0, int64_t r1, int64_t kend, float *S, float *lse) {
    const float scale = 1.0f / sqrtf((float)a->D);
    dc_k_gemm(0, 1, r1 - r0, kend, a->D, scale, q + r0 * ldq, ldq, k, ldk, 0.0f, S, kend);
    block_softmax(a, n, off, r0, r1 - r0, kend, S, lse);
}

/* One query row (a decode step of generation): the scores and the weighted
 * sum of values in plain loops over 16 lanes (GCC's vector extension: one
 * AVX-512 register, or two AVX2 ones). Through dc_k_gemm a small GPT's
 * step of 16 streams made 512 library calls whose set-up cost more than
 * their arithmetic. */
typedef float att_v16 __attribute__((vector_size(64)));

/* (a macro: a function returning a vector warns of the ABI where AVX-512 is off) */
#define LOAD16(v, p) memcpy(&(v), (p), sizeof(v))

static void attend_row(const dc_k_att_geom *a, int64_t n, const float *q, const float *k, const float *v, int64_t ldkv, float *y,
                       int64_t off, int64_t kend, float *lse, float *S) {
    const float scale = 1.0f / sqrtf((float)a->D);
    const int64_t D = a->D, D16 = D & ~(int64_t)15;
    for (int64_t j = 0; j < kend; j++) {
        const float *kj = k + j * ldkv;
        att_v16 part = {0}, x, y;
        for (int64_t c = 0; c < D16; c += 16) {
            LOAD16(x, q + c);
            LOAD16(y, kj + c);
            part += x * y;
        }
        float d = 0.0f;
        for (int l = 0; l < 16; l++) d += part[l];
        for (int64_t c = D16; c < D; c++) d += q[c] * kj[c];
        S[j] = scale * d;
    }
    block_softmax(a, n, off, 0, 1, kend, S, lse);
    for (int64_t c0 = 0; c0 < D16; c0 += 16) { /* 16 columns of y in a register while the keys go by */
        att_v16 acc = {0}, x;
        for (int64_t j = 0; j < kend; j++) {
            LOAD16(x, v + j * ldkv + c0);
            acc += S[j] * x;
        }
        memcpy(y + c0, &acc, sizeof acc);
    }
    for (int64_t c = D16; c < D; c++) {
        float acc = 0.0f;
        for (int64_t j = 0; j < kend; j++) acc += S[j] * v[j * ldkv + c];
        y[c] = acc;
    }
}

/* Probabilities from the kept log-sum-exp (backward): S holds the scaled
 * scores of the block; masked entries become 0. */
static void block_probs_from_lse(const dc_k_att_geom *a, int64_t n, const float *lse, int64_t off, int64_t r0, int64_t r1,
                                 int64_t kend, float *S) {
    for (int64_t i = 0; i < r1 - r0; i++) {
        float *s = S + i * kend;
        const int64_t last = a->causal ? off + r0 + i : kend - 1;
        const float l = lse[r0 + i];
        for (int64_t j = 0; j < kend; j++)
            s[j] = (j > last || l == -INFINITY || !key_real(a, n, j)) ? 0.0f : expf(s[j] - l);
    }
}

/* In place: P -> drop(P) (scaled by 1/(1-p) where kept). */
static void block_dropout(const dc_k_att_geom *a, int64_t nh, int64_t r0, int64_t br, int64_t kend, float *P) {
    const float keep = 1.0f / (1.0f - a->p);
    for (int64_t i = 0; i < br; i++)
        for (int64_t j = 0; j < kend; j++)
            P[i * kend + j] = att_uniform(a->seed, nh, r0 + i, j) >= a->p ? P[i * kend + j] * keep : 0.0f;
}

/* Forward of one (sample n, head h): queries q (Tq rows at positions off..)
 * against keys k and values v (Tk rows); y (Tq rows of ldy). */
static void attend(const dc_k_att_geom *a, int64_t n, int64_t h, const float *q, int64_t ldq, const float *k, const float *v,
                   int64_t ldkv, float *y, int64_t ldy, int64_t Tq, int64_t Tk, int64_t off, float *lse, float *S) {
    if (Tq == 1 && a->p == 0.0f) {
        attend_row(a, n, q, k, v, ldkv, y, off, keys_for(a, off, 1, Tk), lse, S);
        return;
    }
    for (int64_t r0 = 0; r0 < Tq; r0 += ATT_BQ) {
        const int64_t r1 = r0 + ATT_BQ < Tq ? r0 + ATT_BQ : Tq, kend = keys_for(a, off, r1, Tk);
        block_probs(a, n, q, ldq, k, ldkv, off, r0, r1, kend, S, lse);
        if (a->p > 0.0f) block_dropout(a, n * a->H + h, r0, r1 - r0, kend, S);
        dc_k_gemm(0, 0, r1 - r0, a->D, kend, 1.0f, S, kend, v, ldkv, 0.0f, y + r0 * ldy, ldy);
    }
}

size_t dc_k_attention_scratch(const dc_k_att_geom *a, int64_t keys, int backward) {
    const int64_t nt = dc_k_threads() > 0 ? dc_k_threads() : 1;
    const int64_t per = backward ? (a->p > 0.0f ? 3 : 2) * ATT_BQ * keys : ATT_BQ * keys;
    return (size_t)(per * nt);
}

void dc_k_attention_forward(const dc_k_att_geom *a, const float *qkv, float *y, float *lse, float *scratch) {
    const int64_t T = a->T, C = a->C, ld = 3 * C, NH = a->N * a->H;
    const int nt = dc_k_threads() > 0 ? dc_k_threads() : 1;
#pragma omp parallel for num_threads(dc_k_run_threads_for(nt)) if (NH > 1 && T * C > 4096) schedule(static)
    for (int64_t nh = 0; nh < NH; nh++) {
        float *S = scratch + dc_thread_slot() * ATT_BQ * T;
        const int64_t n = nh / a->H, h = nh % a->H;
        const float *q = qkv + n * T * ld + h * a->D;
        attend(a, n, h, q, ld, q + C, q + 2 * C, ld, y + n * T * C + h * a->D, C, T, T, 0, lse ? lse + nh * T : NULL, S);
    }
}

void dc_k_attention_backward(const dc_k_att_geom *a, const float *qkv, const float *dY, const float *LSE, float *dqkv,
                             float *scratch) {
    const int64_t T = a->T, C = a->C, ld = 3 * C, NH = a->N * a->H;
    const float scale = 1.0f / sqrtf((float)a->D);
    const int nt = dc_k_threads() > 0 ? dc_k_threads() : 1;
    const int64_t per = (a->p > 0.0f ? 3 : 2) * ATT_BQ * T; /* P, dP and (with dropout) drop(P) */
#pragma omp parallel for num_threads(dc_k_run_threads_for(nt)) if (NH > 1 && T * C > 4096) schedule(static)
    for (int64_t nh = 0; nh < NH; nh++) {
        float *P = scratch + dc_thread_slot() * per;
        float *dP = P + ATT_BQ * T, *Pd = dP + ATT_BQ * T;
        const int64_t n = nh / a->H, h = nh % a->H;
        const float *q = qkv + n * T * ld + h * a->D, *k = q + C, *v = q + 2 * C;
        float *dq = dqkv + n * T * ld + h * a->D, *dk = dq + C, *dv = dq + 2 * C;
        const float *dy = dY + n * T * C + h * a->D, *lse = LSE + nh * T;
        for (int64_t r0 = 0; r0 < T; r0 += ATT_BQ) {
            const int64_t r1 = r0 + ATT_BQ < T ? r0 + ATT_BQ : T, br = r1 - r0, kend = keys_for(a, 0, r1, T);
            dc_k_gemm(0, 1, br, kend, a->D, scale, q + r0 * ld, ld, k, ld, 0.0f, P, kend);
            block_probs_from_lse(a, n, lse, 0, r0, r1, kend, P);
            if (a->p > 0.0f) { /* dV += drop(P)^T dY */
                memcpy(Pd, P, sizeof(float) * (size_t)(br * kend));
                block_dropout(a, nh, r0, br, kend, Pd);
                dc_k_gemm(1, 0, kend, a->D, br, 1.0f, Pd, kend, dy + r0 * C, C, 1.0f, dv, ld);
            } else {
                dc_k_gemm(1, 0, kend, a->D, br, 1.0f, P, kend, dy + r0 * C, C, 1.0f, dv, ld);
            }
            /* dP = dY V^T, back through the dropout as Y saw it */
            dc_k_gemm(0, 1, br, kend, a->D, 1.0f, dy + r0 * C, C, v, ld, 0.0f, dP, kend);
            if (a->p > 0.0f) block_dropout(a, nh, r0, br, kend, dP);
            for (int64_t i = 0; i < br; i++) { /* dS = P (dP - rowsum(P dP)), into dP */
                float *pr = P + i * kend, *dr = dP + i * kend, d = 0.0f;
                for (int64_t j = 0; j < kend; j++) d += pr[j] * dr[j];
                for (int64_t j = 0; j < kend; j++) dr[j] = pr[j] * (dr[j] - d);
            }
            dc_k_gemm(0, 0, br, a->D, kend, scale, dP, kend, k, ld, 1.0f, dq + r0 * ld, ld);
            dc_k_gemm(1, 0, kend, a->D, br, scale, dP, kend, q + r0 * ld, ld, 1.0f, dk, ld);
        }
    }
}

void dc_k_attention_cached(const dc_k_att_geom *a, const float *qkv, float *kcache, float *vcache, int64_t cap, int64_t pos0,
                           const int64_t *rowpos, const int32_t *rowslot, float *y, float *scratch) {
    const int64_t N = a->N, t = a->T, C = a->C, ld = 3 * C, heads = a->H;
    const int nt = dc_k_threads() > 0 ? dc_k_threads() : 1;
    int64_t most = pos0; /* the longest row's start: the scratch is sized for it */
    for (int64_t n = 0; rowpos && n < N; n++) most = rowpos[n] > most ? rowpos[n] : most;
    for (int64_t n = 0; n < N; n++) { /* the new keys and values join the cache */
        const int64_t p = rowpos ? rowpos[n] : pos0, r = rowslot ? rowslot[n] : n;
        for (int64_t i = 0; i < t; i++) {
            const float *row = qkv + (n * t + i) * ld;
            memcpy(kcache + (r * cap + p + i) * C, row + C, sizeof(float) * (size_t)C);
            memcpy(vcache + (r * cap + p + i) * C, row + 2 * C, sizeof(float) * (size_t)C);
        }
    }
    const int64_t NH = N * heads;
    DC_PARALLEL_FOR(nt > 1 && NH > 1 && (most + t) * t * C > 65536, nh, NH, {
        float *S = scratch + dc_thread_slot() * ATT_BQ * (most + t);
        const int64_t n = nh / heads, h = nh % heads;
        const int64_t p = rowpos ? rowpos[n] : pos0, r = rowslot ? rowslot[n] : n;
        attend(a, n, h, qkv + n * t * ld + h * a->D, ld, kcache + r * cap * C + h * a->D, vcache + r * cap * C + h * a->D, C,
               y + n * t * C + h * a->D, C, t, p + t, p, NULL, S);
    });
}
