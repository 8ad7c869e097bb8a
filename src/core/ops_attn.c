/* ops_attn.c — multi-head scaled dot-product attention, one fused op.
 *
 * Q, K and V are read in place from the fused projection qkv (N, T, 3C):
 * columns [0, C) are the queries, [C, 2C) the keys, [2C, 3C) the values,
 * and head h owns columns [hD, (h+1)D) of each (D = C/H), as GPT-2's
 * c_attn splits them. The output (N, T, C) puts head h in columns
 * [hD, (h+1)D): the layout GPT-2's c_proj reads. No transposing copies:
 * every product below is a GEMM on strided rows of qkv.
 *
 * Per (sample, head), for a block of query rows at a time:
 *   S = Q K^T / sqrt(D)   (masked: causal j > i, padded keys -> -inf)
 *   P = softmax_rows(S),  lse = log-sum-exp of each row
 *   Y = drop(P) V
 * Only lse (N, H, T) is kept for backward, which recomputes P from it
 * (P = exp(S - lse)), as FlashAttention does: what lives between forward
 * and backward grows linearly with the context, not with its square. The
 * scratch is a block of rows per thread. Backward, with dP = dY V^T:
 *   dV += drop(P)^T dY     dS = P (drop'(dP) - rowsum(P drop'(dP)))
 *   dQ += dS K / sqrt(D)   dK += dS^T Q / sqrt(D)
 * Attention dropout is decided by a hash of (seed, sample, head, i, j), so
 * backward recomputes the same mask and no mask is stored.
 * Every (sample, head) pair is one thread's work, whatever the thread count:
 * results are bit-identical across thread counts. The loops are in
 * kernels/attention.c; this file checks shapes and records the op. */
#include "internal.h"
#include "../kernels/kernels.h"
#include <string.h>

typedef struct {
    dc_k_att_geom k;
    float *lse; /* (N, H, T) */
} att_aux;

static void att_backward(dc_graph *g, dc_tensor *t) {
    const att_aux *a = t->ag->aux;
    dc_tensor *qkv = t->ag->src[0];
    float *scratch = dc_arena_alloc_raw(g, sizeof(float) * dc_k_attention_scratch(&a->k, a->k.T, 1));
    if (!scratch) return; /* out of memory: error already set */
    dc_k_attention_backward(&a->k, qkv->data, t->grad, a->lse, qkv->grad, scratch);
}
static const dc_op_def op_att = {DC_OP_ATTENTION, "attention", att_backward};

static int check_qkv(const dc_tensor *qkv, int heads, const dc_tensor *mask, float p) {
    if (!dc_check_f32("attention", qkv)) return 0;
    int ok = qkv->ndim == 3 && heads >= 1 && qkv->shape[2] % (3 * (int64_t)heads) == 0 && qkv->shape[2] > 0 && p >= 0.0f && p < 1.0f;
    if (ok && mask) ok = mask->ndim == 2 && mask->shape[0] == qkv->shape[0] && mask->shape[1] == qkv->shape[1];
    if (!ok) {
        char s[128];
        dc_shape_str(qkv, s, sizeof s);
        dc_set_error(DC_ERR_INVALID,
                     "attention: qkv %s must be (N, T, 3C) with C divisible by %d heads, a mask (N, T) and dropout in [0, 1)", s,
                     heads);
    }
    return ok;
}

dc_tensor *dc_attention(dc_graph *g, dc_tensor *qkv, int heads, int causal, const dc_tensor *mask, float dropout) {
    if (!check_qkv(qkv, heads, mask, dropout)) return NULL;
    dc_k_att_geom k = {.N = qkv->shape[0], .T = qkv->shape[1], .C = qkv->shape[2] / 3, .H = heads, .D = qkv->shape[2] / 3 / heads,
                       .causal = causal};
    if (mask) {
        k.mask_i32 = mask->dtype == DC_I32 ? mask->idata : NULL;
        k.mask_f32 = mask->dtype == DC_I32 ? NULL : mask->data;
    }
    if (dc_graph_training(g) && dropout > 0.0f) {
        dc_rng *rng = dc_graph_rng(g);
        if (!rng) {
            dc_set_error(DC_ERR_INVALID, "attention: dropout in training mode needs a generator (dc_graph_set_rng)");
            return NULL;
        }
        k.p = dropout;
        /* two draws in a fixed order (within one expression C leaves the order to the compiler) */
        const uint64_t hi = dc_rng_u32(rng), lo = dc_rng_u32(rng);
        k.seed = hi << 32 | lo;
    }
    dc_tensor *z = dc_op_output(g, &op_att, 3, (int64_t[]){k.N, k.T, k.C}, &qkv, 1);
    dc_trace_attrs(g, z, &(dc_op_attrs){.heads = heads, .causal = causal, .f0 = k.p});
    dc_trace_input(g, z, 1, mask);
    att_aux *ap = z ? dc_arena_alloc_raw(g, sizeof *ap) : NULL;
    if (!ap) return NULL;
    *ap = (att_aux){.k = k};
    /* the log-sum-exp is what backward needs; inference keeps nothing */
    if (z->requires_grad && !(ap->lse = dc_arena_alloc_raw(g, sizeof(float) * (size_t)(k.N * k.H * k.T)))) return NULL;
    z->ag->aux = ap;
    float *scratch = dc_arena_alloc_raw(g, sizeof(float) * dc_k_attention_scratch(&k, k.T, 0));
    if (!scratch) return NULL;
    dc_k_attention_forward(&k, qkv->data, z->data, ap->lse, scratch);
    return z;
}

dc_tensor *dc_attention_cached_rows(dc_graph *g, dc_tensor *qkv, int heads, float *kcache, float *vcache, int64_t cap,
                                    int64_t pos0, const int64_t *rowpos, const int32_t *rowslot, int64_t slots) {
    if (!check_qkv(qkv, heads, NULL, 0.0f)) return NULL;
    const int64_t N = qkv->shape[0], t = qkv->shape[1], C = qkv->shape[2] / 3;
    int64_t most = pos0;
    for (int64_t n = 0; n < N; n++) {
        const int64_t p = rowpos ? rowpos[n] : pos0, r = rowslot ? rowslot[n] : n;
        if (p < 0 || p + t > cap) {
            dc_set_error(DC_ERR_INVALID, "attention: %lld new positions after %lld do not fit a cache of %lld", (long long)t,
                         (long long)p, (long long)cap);
            return NULL;
        }
        if (r < 0 || r >= slots) {
            dc_set_error(DC_ERR_INVALID, "attention: row %lld of the cache, which holds %lld", (long long)r, (long long)slots);
            return NULL;
        }
        most = p > most ? p : most;
    }
    const dc_k_att_geom k = {.N = N, .T = t, .C = C, .H = heads, .D = C / heads, .causal = 1};
    dc_tensor *z = dc_input(g, DC_F32, 3, (int64_t[]){N, t, C}); /* inference only: not on the tape */
    float *scratch = z ? dc_arena_alloc_raw(g, sizeof(float) * dc_k_attention_scratch(&k, most + t, 0)) : NULL;
    if (!scratch) return NULL;
    dc_k_attention_cached(&k, qkv->data, kcache, vcache, cap, pos0, rowpos, rowslot, z->data, scratch);
    return z;
}

dc_tensor *dc_attention_cached(dc_graph *g, dc_tensor *qkv, int heads, float *kcache, float *vcache, int64_t cap,
                               int64_t pos0) {
    return dc_attention_cached_rows(g, qkv, heads, kcache, vcache, cap, pos0, NULL, NULL, qkv->ndim == 3 ? qkv->shape[0] : 0);
}
