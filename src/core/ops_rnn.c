/* ops_rnn.c — recurrent layers over whole sequences: the Elman RNN (tanh),
 * LSTM and GRU, with PyTorch's weight layout and gate order (LSTM i, f, g, o;
 * GRU r, z, n, with the reset gate applied to W_hn h + b_hn as PyTorch
 * does), plus the lookup of the last state.
 *
 * x is (N, T, I), weights w_ih (G·H, I), w_hh (G·H, H), biases (G·H), with
 * G = 1, 4, 3 gates. The input projection of every step is one product,
 * x·W_ihᵀ (N·T rows); each step then adds one recurrent product h·W_hhᵀ and
 * applies the fused gate nonlinearities. Backward is backpropagation through
 * time inside the op: one product per step for dh, then one each for dx,
 * dW_ih and (accumulated over the steps) dW_hh.
 *
 * Masks: mask (N, T) marks real steps (non-zero). A padded step leaves the
 * state as it was and outputs zeros, and receives no gradient, so any
 * padding — before the text (Keras' default) or after it (PyTorch's packed
 * sequences) — gives each sequence exactly the result it has alone. The
 * reverse direction processes steps from T-1 down to 0. */
#include "internal.h"
#include "../kernels/kernels.h"
#include <math.h>
#include <string.h>

typedef struct {
    dc_rnn_kind kind;
    int reverse;
    int64_t N, T, I, H, G;
    const uint8_t *valid; /* N*T, 1 = a real step (never NULL)                 */
    float *gates;         /* N*T*G*H: activated gates (LSTM i,f,g,o; GRU r,z,n) */
    float *cell;          /* LSTM: N*T*H cell state after each step           */
    float *hn;            /* GRU: N*T*H, W_hn h + b_hn of each step            */
    float *hs;            /* N*T*H: hidden state after each step (carried over padding) */
} rnn_aux;

static int gates_of(dc_rnn_kind k) { return k == DC_RNN_LSTM ? 4 : k == DC_RNN_GRU ? 3 : 1; }
static float sigm(float v) { return 1.0f / (1.0f + expf(-v)); }

/* The step processed before t (the previous state's step), or -1. */
static int64_t prev_step(const rnn_aux *a, int64_t t) {
    int64_t p = a->reverse ? t + 1 : t - 1;
    return p < 0 || p >= a->T ? -1 : p;
}

static void rnn_backward(dc_graph *g, dc_tensor *t) {
    const rnn_aux *a = t->aux;
    dc_tensor *x = t->src[0], *wih = t->src[1], *whh = t->src[2], *bih = t->src[3], *bhh = t->src[4];
    const int64_t N = a->N, T = a->T, I = a->I, H = a->H, G = a->G, GH = G * H;
    float *dxp = dc_arena_alloc(g, sizeof(float) * (size_t)(N * T * GH)); /* grads of the input projections */
    float *dah = dc_arena_alloc_raw(g, sizeof(float) * (size_t)(N * GH)); /* grads of the recurrent projections */
    float *dh = dc_arena_alloc(g, sizeof(float) * (size_t)(N * H)), *dc = dc_arena_alloc(g, sizeof(float) * (size_t)(N * H));
    float *dhp = dc_arena_alloc_raw(g, sizeof(float) * (size_t)(N * H));
    if (!dxp || !dah || !dh || !dc || !dhp) return; /* out of memory: the arena's error stands */
    float *gwhh = whh->requires_grad ? whh->grad : NULL, *gbhh = bhh && bhh->requires_grad ? bhh->grad : NULL;
    for (int64_t s = 0; s < T; s++) {
        const int64_t tt = a->reverse ? s : T - 1 - s, tp = prev_step(a, tt);
        memset(dah, 0, sizeof(float) * (size_t)(N * GH));
#pragma omp parallel for if (N * H > 16384) schedule(static)
        for (int64_t n = 0; n < N; n++) {
            const int64_t r = n * T + tt;
            if (!a->valid[r]) continue; /* padding: dh and dc pass through */
            float *gh = dh + n * H, *gc = dc + n * H, *gx = dxp + r * GH, *gr = dah + n * GH;
            const float *gt = a->gates + r * GH, *dy = t->grad + r * H;
            const float *hprev = tp >= 0 ? a->hs + (n * T + tp) * H : NULL;
            for (int64_t j = 0; j < H; j++) {
                float d = gh[j] + dy[j];
                if (a->kind == DC_RNN_LSTM) {
                    float ig = gt[j], fg = gt[H + j], cg = gt[2 * H + j], og = gt[3 * H + j];
                    float c = a->cell[r * H + j], tc = tanhf(c);
                    float cprev = tp >= 0 ? a->cell[(n * T + tp) * H + j] : 0.0f;
                    float dcell = gc[j] + d * og * (1.0f - tc * tc);
                    gx[j] = dcell * cg * ig * (1.0f - ig);
                    gx[H + j] = dcell * cprev * fg * (1.0f - fg);
                    gx[2 * H + j] = dcell * ig * (1.0f - cg * cg);
                    gx[3 * H + j] = d * tc * og * (1.0f - og);
                    gc[j] = dcell * fg; /* to the previous cell */
                    gh[j] = 0.0f;
                } else if (a->kind == DC_RNN_GRU) {
                    float rg = gt[j], zg = gt[H + j], ng = gt[2 * H + j], hp = hprev ? hprev[j] : 0.0f;
                    float dn = d * (1.0f - zg) * (1.0f - ng * ng);
                    float dz = d * (hp - ng) * zg * (1.0f - zg);
                    float dr = dn * a->hn[r * H + j] * rg * (1.0f - rg);
                    gx[j] = dr, gx[H + j] = dz, gx[2 * H + j] = dn;
                    gr[j] = dr, gr[H + j] = dz, gr[2 * H + j] = dn * rg;
                    gh[j] = d * zg; /* the direct path to the previous state */
                    continue;
                } else {
                    float hv = gt[j];
                    gx[j] = d * (1.0f - hv * hv);
                    gh[j] = 0.0f;
                }
            }
            if (a->kind != DC_RNN_GRU) memcpy(gr, gx, sizeof(float) * (size_t)GH);
        }
        /* dh_prev += dA_h · W_hh (rows of padded steps are zero in dah) */
        dc_k_gemm(0, 0, N, H, GH, 1.0f, dah, GH, whh->data, H, 0.0f, dhp, H);
        for (int64_t n = 0; n < N; n++)
            if (a->valid[n * T + tt])
                for (int64_t j = 0; j < H; j++) dh[n * H + j] += dhp[n * H + j];
        if (gwhh && tp >= 0) /* dW_hh += dA_hᵀ · h_prev */
            dc_k_gemm(1, 0, GH, H, N, 1.0f, dah, GH, a->hs + tp * H, T * H, 1.0f, gwhh, H);
        if (gbhh) dc_k_colsum_add(dah, gbhh, N, GH);
    }
    if (x->requires_grad) dc_k_gemm(0, 0, N * T, I, GH, 1.0f, dxp, GH, wih->data, I, 1.0f, x->grad, I);
    if (wih->requires_grad) dc_k_gemm(1, 0, GH, I, N * T, 1.0f, dxp, GH, x->data, I, 1.0f, wih->grad, I);
    if (bih && bih->requires_grad) dc_k_colsum_add(dxp, bih->grad, N * T, GH);
}
static const dc_op_def op_rnn = {"rnn", rnn_backward};

static int check_rnn(dc_rnn_kind kind, const dc_tensor *x, const dc_tensor *wih, const dc_tensor *whh, const dc_tensor *bih,
                     const dc_tensor *bhh, const dc_tensor *mask) {
    const char *name = kind == DC_RNN_LSTM ? "lstm" : kind == DC_RNN_GRU ? "gru" : "rnn";
    if (!dc_check_f32(name, x) || !dc_check_f32(name, wih) || !dc_check_f32(name, whh)) return 0;
    int64_t G = gates_of(kind), H = whh->ndim == 2 ? whh->shape[1] : -1;
    int ok = x->ndim == 3 && wih->ndim == 2 && H > 0 && whh->shape[0] == G * H && wih->shape[0] == G * H &&
             wih->shape[1] == x->shape[2] && (!bih || (bih->dtype == DC_F32 && bih->size == G * H)) &&
             (!bhh || (bhh->dtype == DC_F32 && bhh->size == G * H)) &&
             (!mask || (mask->ndim == 2 && mask->shape[0] == x->shape[0] && mask->shape[1] == x->shape[1]));
    if (!ok) {
        char sx[96], sw[96], sh[96];
        dc_shape_str(x, sx, sizeof sx), dc_shape_str(wih, sw, sizeof sw), dc_shape_str(whh, sh, sizeof sh);
        dc_set_error(DC_ERR_INVALID,
                     "%s: input %s must be (N, T, I) with w_ih (%lld·H, I) = %s, w_hh (%lld·H, H) = %s, biases of %lld·H "
                     "and a mask (N, T)",
                     name, sx, (long long)G, sw, (long long)G, sh, (long long)G);
    }
    return ok;
}

dc_tensor *dc_rnn(dc_graph *g, dc_rnn_kind kind, dc_tensor *x, dc_tensor *w_ih, dc_tensor *w_hh, dc_tensor *b_ih,
                  dc_tensor *b_hh, const dc_tensor *mask, int reverse) {
    if (!check_rnn(kind, x, w_ih, w_hh, b_ih, b_hh, mask)) return NULL;
    const int64_t N = x->shape[0], T = x->shape[1], I = x->shape[2], G = gates_of(kind), H = w_hh->shape[1], GH = G * H;
    dc_tensor *srcs[5] = {x, w_ih, w_hh, b_ih, b_hh};
    /* absent biases are zero tensors of the graph, so that src[] is fixed */
    for (int k = 3; k < 5; k++)
        if (!srcs[k] && !(srcs[k] = dc_input(g, DC_F32, 1, (int64_t[]){GH}))) return NULL;
    dc_tensor *y = dc_op_output(g, &op_rnn, 3, (int64_t[]){N, T, H}, srcs, 5);
    rnn_aux *a = y ? dc_arena_alloc_raw(g, sizeof *a) : NULL;
    if (!a) return NULL;
    *a = (rnn_aux){kind, reverse != 0, N, T, I, H, G, NULL, NULL, NULL, NULL, NULL};
    uint8_t *valid = dc_arena_alloc_raw(g, (size_t)(N * T));
    float *xp = dc_arena_alloc_raw(g, sizeof(float) * (size_t)(N * T * GH));
    float *hp = dc_arena_alloc_raw(g, sizeof(float) * (size_t)(N * GH));
    a->gates = xp; /* the projections become the activated gates in place */
    a->hs = dc_arena_alloc_raw(g, sizeof(float) * (size_t)(N * T * H));
    if (kind == DC_RNN_LSTM) a->cell = dc_arena_alloc_raw(g, sizeof(float) * (size_t)(N * T * H));
    if (kind == DC_RNN_GRU) a->hn = dc_arena_alloc_raw(g, sizeof(float) * (size_t)(N * T * H));
    if (!valid || !xp || !hp || !a->hs || (kind == DC_RNN_LSTM && !a->cell) || (kind == DC_RNN_GRU && !a->hn)) return NULL;
    for (int64_t i = 0; i < N * T; i++)
        valid[i] = !mask || (mask->dtype == DC_I32 ? mask->idata[i] != 0 : mask->data[i] != 0.0f);
    a->valid = valid;
    y->aux = a;
    /* all input projections at once, with b_ih (and b_hh, except GRU's n gate) */
    dc_k_gemm(0, 1, N * T, GH, I, 1.0f, x->data, I, w_ih->data, I, 0.0f, xp, GH);
    const float *bi = srcs[3]->data, *bh = srcs[4]->data;
#pragma omp parallel for if (N * T * GH > 65536) schedule(static)
    for (int64_t r = 0; r < N * T; r++)
        for (int64_t k = 0; k < GH; k++) xp[r * GH + k] += bi[k] + (kind == DC_RNN_GRU && k >= 2 * H ? 0.0f : bh[k]);
    for (int64_t s = 0; s < T; s++) {
        const int64_t tt = a->reverse ? T - 1 - s : s, tp = prev_step(a, tt);
        if (tp >= 0) dc_k_gemm(0, 1, N, GH, H, 1.0f, a->hs + tp * H, T * H, w_hh->data, H, 0.0f, hp, GH);
        else memset(hp, 0, sizeof(float) * (size_t)(N * GH));
#pragma omp parallel for if (N * H > 16384) schedule(static)
        for (int64_t n = 0; n < N; n++) {
            const int64_t r = n * T + tt;
            float *gt = xp + r * GH, *h = a->hs + r * H, *out = y->data + r * H;
            const float *hprev = tp >= 0 ? a->hs + (n * T + tp) * H : NULL, *q = hp + n * GH;
            const float *cprev = kind == DC_RNN_LSTM && tp >= 0 ? a->cell + (n * T + tp) * H : NULL;
            if (!valid[r]) { /* padding: the state carries over, the output is zero */
                for (int64_t j = 0; j < H; j++) {
                    h[j] = hprev ? hprev[j] : 0.0f;
                    if (kind == DC_RNN_LSTM) a->cell[r * H + j] = cprev ? cprev[j] : 0.0f;
                    out[j] = 0.0f;
                }
                continue;
            }
            for (int64_t j = 0; j < H; j++) {
                if (kind == DC_RNN_LSTM) {
                    float ig = sigm(gt[j] + q[j]), fg = sigm(gt[H + j] + q[H + j]);
                    float cg = tanhf(gt[2 * H + j] + q[2 * H + j]), og = sigm(gt[3 * H + j] + q[3 * H + j]);
                    float c = fg * (cprev ? cprev[j] : 0.0f) + ig * cg;
                    gt[j] = ig, gt[H + j] = fg, gt[2 * H + j] = cg, gt[3 * H + j] = og;
                    a->cell[r * H + j] = c;
                    h[j] = og * tanhf(c);
                } else if (kind == DC_RNN_GRU) {
                    float hn = q[2 * H + j] + bh[2 * H + j];
                    float rg = sigm(gt[j] + q[j]), zg = sigm(gt[H + j] + q[H + j]);
                    float ng = tanhf(gt[2 * H + j] + rg * hn);
                    gt[j] = rg, gt[H + j] = zg, gt[2 * H + j] = ng;
                    a->hn[r * H + j] = hn;
                    h[j] = (1.0f - zg) * ng + zg * (hprev ? hprev[j] : 0.0f);
                } else {
                    h[j] = gt[j] = tanhf(gt[j] + q[j]);
                }
                out[j] = h[j];
            }
        }
    }
    return y;
}

/* ---- the last state ------------------------------------------------------- */

typedef struct {
    int64_t N, T, H;
    int64_t *at; /* per sequence: the step holding its last state, or -1 */
} last_aux;

static void last_backward(dc_graph *g, dc_tensor *t) {
    (void)g;
    const last_aux *a = t->aux;
    dc_tensor *y = t->src[0];
    if (!y->requires_grad) return;
    for (int64_t n = 0; n < a->N; n++)
        if (a->at[n] >= 0)
            for (int64_t j = 0; j < a->H; j++) y->grad[(n * a->T + a->at[n]) * a->H + j] += t->grad[n * a->H + j];
}
static const dc_op_def op_last = {"rnn_last", last_backward};

dc_tensor *dc_rnn_last(dc_graph *g, dc_tensor *y, const dc_tensor *mask, int reverse) {
    if (!dc_check_f32("rnn_last", y)) return NULL;
    if (y->ndim != 3 || (mask && (mask->ndim != 2 || mask->shape[0] != y->shape[0] || mask->shape[1] != y->shape[1]))) {
        dc_set_error(DC_ERR_INVALID, "rnn_last: outputs must be (N, T, H) with a mask (N, T)");
        return NULL;
    }
    const int64_t N = y->shape[0], T = y->shape[1], H = y->shape[2];
    dc_tensor *z = dc_op_output(g, &op_last, 2, (int64_t[]){N, H}, &y, 1);
    last_aux *a = z ? dc_arena_alloc_raw(g, sizeof *a) : NULL;
    if (!a || !(a->at = dc_arena_alloc_raw(g, sizeof(int64_t) * (size_t)N))) return NULL;
    a->N = N, a->T = T, a->H = H;
    z->aux = a;
    for (int64_t n = 0; n < N; n++) {
        /* the last real step in processing order: the latest one forward,
         * the earliest one in reverse; none: the initial zero state */
        a->at[n] = -1;
        for (int64_t s = 0; s < T; s++) {
            int64_t tt = reverse ? T - 1 - s : s, i = n * T + tt;
            if (!mask || (mask->dtype == DC_I32 ? mask->idata[i] != 0 : mask->data[i] != 0.0f)) a->at[n] = tt;
        }
        for (int64_t j = 0; j < H; j++) z->data[n * H + j] = a->at[n] >= 0 ? y->data[(n * T + a->at[n]) * H + j] : 0.0f;
    }
    return z;
}

/* ---- embedding -------------------------------------------------------------- */

typedef struct {
    int64_t padding;
} emb_aux;

static void emb_backward(dc_graph *g, dc_tensor *t) {
    (void)g;
    dc_tensor *w = t->src[0], *ids = t->src[1];
    const emb_aux *a = t->aux;
    if (!w->requires_grad) return;
    const int64_t E = w->shape[1];
    /* scatter-add, in order (deterministic); the padding row learns nothing */
    for (int64_t i = 0; i < ids->size; i++) {
        int64_t v = ids->idata[i];
        if (v == a->padding) continue;
        for (int64_t j = 0; j < E; j++) w->grad[v * E + j] += t->grad[i * E + j];
    }
}
static const dc_op_def op_emb = {"embedding", emb_backward};

dc_tensor *dc_embedding(dc_graph *g, dc_tensor *w, dc_tensor *ids, int64_t padding_idx) {
    if (!dc_check_f32("embedding", w)) return NULL;
    if (w->ndim != 2 || ids->dtype != DC_I32 || ids->ndim < 1 || ids->ndim >= DC_MAX_DIMS) {
        dc_set_error(DC_ERR_INVALID, "embedding: needs a (V, E) table and int32 token ids");
        return NULL;
    }
    const int64_t V = w->shape[0], E = w->shape[1];
    for (int64_t i = 0; i < ids->size; i++)
        if (ids->idata[i] < 0 || ids->idata[i] >= V) {
            dc_set_error(DC_ERR_INVALID, "embedding: token id %d at position %lld is outside the vocabulary [0, %lld)",
                         ids->idata[i], (long long)i, (long long)V);
            return NULL;
        }
    int64_t shape[DC_MAX_DIMS];
    memcpy(shape, ids->shape, sizeof(int64_t) * (size_t)ids->ndim);
    shape[ids->ndim] = E;
    dc_tensor *srcs[2] = {w, ids};
    dc_tensor *z = dc_op_output(g, &op_emb, ids->ndim + 1, shape, srcs, 2);
    emb_aux *a = z ? dc_arena_alloc_raw(g, sizeof *a) : NULL;
    if (!a) return NULL;
    a->padding = padding_idx;
    z->aux = a;
    for (int64_t i = 0; i < ids->size; i++) memcpy(z->data + i * E, w->data + (int64_t)ids->idata[i] * E, sizeof(float) * (size_t)E);
    return z;
}
