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
    int gates_used;       /* a backward pass overwrote gates with their gradients */
    const int8_t *qhh;    /* int8 W_hh (dc_qrnn), or NULL                     */
    const float *shh;     /* ... its scale per row                              */
    char *qscratch;       /* ... per slice: a step's states quantized, and their product */
    size_t qslice;        /* ... bytes of each slice's part                     */
} rnn_aux;

/* Whether flat step i of a mask (N, T; int32 or float; NULL: all) is real. */
static int step_real(const dc_tensor *mask, int64_t i) {
    return !mask || (mask->dtype == DC_I32 ? mask->idata[i] != 0 : mask->data[i] != 0.0f);
}

/* A mask, if any, covers x's (N, T). */
static int mask_fits(const dc_tensor *mask, const dc_tensor *x) {
    return !mask || (mask->ndim == 2 && mask->shape[0] == x->shape[0] && mask->shape[1] == x->shape[1]);
}

static int gates_of(dc_rnn_kind k) { return k == DC_RNN_LSTM ? 4 : k == DC_RNN_GRU ? 3 : 1; }

/* The step processed before t (the previous state's step), or -1. */
static int64_t prev_step(const rnn_aux *a, int64_t t) {
    int64_t p = a->reverse ? t + 1 : t - 1;
    return p < 0 || p >= a->T ? -1 : p;
}

/* ---- one sequence's step, forward and backward ------------------------------
 * Each function is one loop over the H units with no branch inside, so the
 * compiler vectorizes it (libmvec's expf, 16 lanes). g holds the step's
 * pre-activations on entry and the activated gates on return. */

static void lstm_fwd(int64_t H, float *restrict g, const float *restrict cprev, float *restrict c, float *restrict h,
                     float *restrict out) {
    for (int64_t j = 0; j < H; j++) {
        float ig = dc_sigmoidf(g[j]), fg = dc_sigmoidf(g[H + j]);
        float cg = dc_tanhf(g[2 * H + j]), og = dc_sigmoidf(g[3 * H + j]);
        float cv = fg * cprev[j] + ig * cg;
        g[j] = ig, g[H + j] = fg, g[2 * H + j] = cg, g[3 * H + j] = og;
        c[j] = cv;
        h[j] = out[j] = og * dc_tanhf(cv);
    }
}

/* q: this step's W_hh h_prev (no bias); bhn: b_hn. g has x W_ihᵀ + b_ih, with
 * b_hh added to the r and z gates only. */
static void gru_fwd(int64_t H, float *restrict g, const float *restrict q, const float *restrict bhn,
                    const float *restrict hprev, float *restrict hn, float *restrict h, float *restrict out) {
    for (int64_t j = 0; j < H; j++) {
        float n_h = q[2 * H + j] + bhn[j];
        float rg = dc_sigmoidf(g[j] + q[j]), zg = dc_sigmoidf(g[H + j] + q[H + j]);
        float ng = dc_tanhf(g[2 * H + j] + rg * n_h);
        g[j] = rg, g[H + j] = zg, g[2 * H + j] = ng;
        hn[j] = n_h;
        h[j] = out[j] = (1.0f - zg) * ng + zg * hprev[j];
    }
}

static void tanh_fwd(int64_t H, float *restrict g, float *restrict h, float *restrict out) {
    for (int64_t j = 0; j < H; j++) h[j] = out[j] = g[j] = dc_tanhf(g[j]);
}

/* g: the step's activated gates on entry, the gradients of its
 * pre-activations on return (each unit's gates are read before its
 * gradients are written, so one buffer serves). gh, gc: the gradients
 * reaching this step's state (from the later steps); on return, those of
 * the previous state. dy: the output's gradient. */
static void lstm_bwd(int64_t H, float *restrict g, const float *restrict c, const float *restrict cprev,
                     const float *restrict dy, float *restrict gh, float *restrict gc) {
    for (int64_t j = 0; j < H; j++) {
        float ig = g[j], fg = g[H + j], cg = g[2 * H + j], og = g[3 * H + j];
        float d = gh[j] + dy[j], tc = dc_tanhf(c[j]);
        float dcell = gc[j] + d * og * (1.0f - tc * tc);
        g[j] = dcell * cg * ig * (1.0f - ig);
        g[H + j] = dcell * cprev[j] * fg * (1.0f - fg);
        g[2 * H + j] = dcell * ig * (1.0f - cg * cg);
        g[3 * H + j] = d * tc * og * (1.0f - og);
        gc[j] = dcell * fg;
        gh[j] = 0.0f; /* the recurrent product adds the rest */
    }
}

/* gr: the gradient of the recurrent pre-activations (W_hh h + b_hh), which
 * differs from the input ones in the n gate (the reset gate scales it). */
static void gru_bwd(int64_t H, float *restrict g, const float *restrict hn, const float *restrict hprev,
                    const float *restrict dy, float *restrict gh, float *restrict gr) {
    for (int64_t j = 0; j < H; j++) {
        float rg = g[j], zg = g[H + j], ng = g[2 * H + j], d = gh[j] + dy[j];
        float dn = d * (1.0f - zg) * (1.0f - ng * ng);
        float dz = d * (hprev[j] - ng) * zg * (1.0f - zg);
        float dr = dn * hn[j] * rg * (1.0f - rg);
        g[j] = gr[j] = dr;
        g[H + j] = gr[H + j] = dz;
        g[2 * H + j] = dn;
        gr[2 * H + j] = dn * rg;
        gh[j] = d * zg; /* the direct path to the previous state */
    }
}

static void tanh_bwd(int64_t H, float *restrict g, const float *restrict dy, float *restrict gh) {
    for (int64_t j = 0; j < H; j++) {
        g[j] = (gh[j] + dy[j]) * (1.0f - g[j] * g[j]);
        gh[j] = 0.0f;
    }
}

/* How many slices of the batch run their recurrences side by side. Each
 * thread takes whole sequences through every step with one-thread products:
 * sequences never meet, so the steps need no barrier (a team that met at
 * every step spent a third of its time waiting). */
static int batch_slices(int64_t N, int64_t H) {
    int64_t ns = dc_threads();
    if (ns > N) ns = N;
    if (N * H < 4096) ns = 1; /* tiny: waking the threads costs more */
    return ns < 1 ? 1 : (int)ns;
}

/* BPTT over sequences n0..n1-1: per step, their gate gradients, then
 * dh_prev += dA_h · W_hh for their rows. */
static void backward_slice(const rnn_aux *a, const float *dy_all, const float *whh, float *dxp, float *dah, float *dh,
                           float *dc, const float *zero, int64_t n0, int64_t n1) {
    const int64_t T = a->T, H = a->H, GH = a->G * a->H;
    const int gru = a->kind == DC_RNN_GRU;
    for (int64_t s = 0; s < T; s++) {
        const int64_t tt = a->reverse ? s : T - 1 - s, tp = prev_step(a, tt);
        int real = 0;
        for (int64_t n = n0; n < n1; n++) {
            const int64_t r = n * T + tt, rp = n * T + tp;
            float *gx = dxp + r * GH;
            if (!a->valid[r]) { /* padding: dh and dc pass through, no gradient here */
                memset(gx, 0, sizeof(float) * (size_t)GH);
                if (gru) memset(dah + r * GH, 0, sizeof(float) * (size_t)GH);
                continue;
            }
            real = 1;
            const float *dy = dy_all + r * H; /* gx: the gates, becoming their gradients */
            if (a->kind == DC_RNN_LSTM)
                lstm_bwd(H, gx, a->cell + r * H, tp >= 0 ? a->cell + rp * H : zero, dy, dh + n * H, dc + n * H);
            else if (gru)
                gru_bwd(H, gx, a->hn + r * H, tp >= 0 ? a->hs + rp * H : zero, dy, dh + n * H, dah + r * GH);
            else
                tanh_bwd(H, gx, dy, dh + n * H);
        }
        /* dh_prev += dA_h · W_hh (the rows of padded steps are zero) */
        if (tp >= 0 && real)
            dc_k_gemm(0, 0, n1 - n0, H, GH, 1.0f, dah + (n0 * T + tt) * GH, T * GH, whh, H, 1.0f, dh + n0 * H, H);
    }
}

/* Backpropagation through time, then every step at once: dx, dW_ih and
 * dW_hh, each one product over all N·T rows. */
static void rnn_backward(dc_graph *g, dc_tensor *t) {
    rnn_aux *a = t->ag->aux;
    dc_tensor *x = t->ag->src[0], *wih = t->ag->src[1], *whh = t->ag->src[2], *bih = t->ag->src[3], *bhh = t->ag->src[4];
    const int64_t N = a->N, T = a->T, I = a->I, H = a->H, G = a->G, GH = G * H;
    const int gru = a->kind == DC_RNN_GRU;
    if (a->gates_used) { /* a second backward of the same graph: the gates are gone */
        dc_set_error(DC_ERR_INVALID, "rnn: backward twice through the same forward pass (run the forward again)");
        dc_graph_fail(g, DC_ERR_INVALID);
        return;
    }
    /* gradients of the input projections, and (GRU only: otherwise the same
     * values) of the recurrent ones; every row is written below. They take
     * the gates' place: each row's gradients need only that row's gates,
     * read before they are written (the functions above), so the gates'
     * N·T·G·H floats are not needed twice (a third of a BiLSTM step's peak). */
    float *dxp = a->gates;
    a->gates_used = 1;
    float *dah = gru ? dc_arena_alloc_raw(g, sizeof(float) * (size_t)(N * T * GH)) : dxp;
    float *dh = dc_arena_alloc(g, sizeof(float) * (size_t)(N * H)), *dc = dc_arena_alloc(g, sizeof(float) * (size_t)(N * H));
    float *zero = dc_arena_alloc(g, sizeof(float) * (size_t)H);
    if (!dxp || !dah || !dh || !dc || !zero) return; /* out of memory: the arena's error stands */
    const int ns = batch_slices(N, H);
#pragma omp parallel for num_threads(dc_k_run_threads_for(ns)) if (ns > 1) schedule(static)
    for (int k = 0; k < ns; k++)
        backward_slice(a, t->grad, whh->data, dxp, dah, dh, dc, zero, N * k / ns, N * (k + 1) / ns);
    if (x->requires_grad) dc_k_gemm(0, 0, N * T, I, GH, 1.0f, dxp, GH, wih->data, I, 1.0f, x->grad, I);
    if (wih->requires_grad) dc_k_gemm(1, 0, GH, I, N * T, 1.0f, dxp, GH, x->data, I, 1.0f, wih->grad, I);
    if (bih && bih->requires_grad) dc_k_colsum_add(dxp, bih->grad, N * T, GH);
    if (bhh && bhh->requires_grad) dc_k_colsum_add(dah, bhh->grad, N * T, GH);
    if (whh->requires_grad && N * T > 1) {
        /* dW_hh = Σ dA_h[n, t]ᵀ · h[n, prev(t)] over every step with a
         * previous one: as rows of the flat (N·T) arrays, row r pairs with
         * row r - 1 forward (r + 1 in reverse). Zeroing each sequence's first
         * processed row also removes the pairs that would cross from one
         * sequence into the next, so one product does it all. (dxp is no
         * longer needed when it doubles as dah.) */
        const int64_t first = a->reverse ? T - 1 : 0;
        for (int64_t n = 0; n < N; n++) memset(dah + (n * T + first) * GH, 0, sizeof(float) * (size_t)GH);
        if (a->reverse)
            dc_k_gemm(1, 0, GH, H, N * T - 1, 1.0f, dah, GH, a->hs + H, H, 1.0f, whh->grad, H);
        else
            dc_k_gemm(1, 0, GH, H, N * T - 1, 1.0f, dah + GH, GH, a->hs, H, 1.0f, whh->grad, H);
    }
}
static const dc_op_def op_rnn = {DC_OP_RNN, "rnn", rnn_backward};

static int check_rnn(dc_rnn_kind kind, const dc_tensor *x, const dc_tensor *wih, const dc_tensor *whh, const dc_tensor *bih,
                     const dc_tensor *bhh, const dc_tensor *mask) {
    const char *name = kind == DC_RNN_LSTM ? "lstm" : kind == DC_RNN_GRU ? "gru" : "rnn";
    if (!dc_check_f32(name, x) || !dc_check_f32(name, wih) || !dc_check_f32(name, whh)) return 0;
    int64_t G = gates_of(kind), H = whh->ndim == 2 ? whh->shape[1] : -1;
    int ok = x->ndim == 3 && wih->ndim == 2 && H > 0 && whh->shape[0] == G * H && wih->shape[0] == G * H &&
             wih->shape[1] == x->shape[2] && (!bih || (bih->dtype == DC_F32 && bih->size == G * H)) &&
             (!bhh || (bhh->dtype == DC_F32 && bhh->size == G * H)) &&
             mask_fits(mask, x);
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

/* The recurrence over sequences n0..n1-1: per step, the recurrent product
 * of their rows — added to the pre-activations in place, or (GRU, whose
 * reset gate scales part of it) kept apart in hp — then their gates. */
/* dc_qrnn's recurrent product of rows n0..n1-1: their previous states
 * (step tp) quantized per row, times the int8 W_hh, into q (M x GH). */
static void qrecurrent(const rnn_aux *a, int64_t n0, int64_t n1, int64_t tp, char *scratch, float *q) {
    const int64_t T = a->T, H = a->H, GH = a->G * a->H, M = n1 - n0;
    float *h = (float *)scratch, *sx = h + M * H;
    int32_t *xs = (int32_t *)(sx + M);
    int8_t *hq = (int8_t *)(xs + M);
    for (int64_t n = n0; n < n1; n++) memcpy(h + (n - n0) * H, a->hs + (n * T + tp) * H, sizeof(float) * (size_t)H);
    dc_k_quantize_act_rows(h, M, H, hq, sx, xs);
    dc_k_qgemm_i8(M, GH, H, hq, sx, xs, a->qhh, a->shh, NULL, q);
}

static void forward_slice(rnn_aux *a, float *y, const float *whh, const float *bhn, float *hp, const float *zero,
                          int64_t n0, int64_t n1, int slice) {
    const int64_t T = a->T, H = a->H, GH = a->G * a->H, M = n1 - n0;
    const int gru = a->kind == DC_RNN_GRU;
    float *xp = a->gates;
    char *qs = a->qhh ? a->qscratch + (size_t)slice * a->qslice : NULL;
    float *qprod = qs ? (float *)(qs + a->qslice) - M * GH : NULL; /* the slice's product, at the end of its part */
    for (int64_t s = 0; s < T; s++) {
        const int64_t tt = a->reverse ? T - 1 - s : s, tp = prev_step(a, tt);
        int real = 0;
        for (int64_t n = n0; n < n1 && !real; n++) real = a->valid[n * T + tt];
        if (real && tp >= 0 && qs) { /* int8: the product apart, then added (or, GRU, kept in hp) */
            qrecurrent(a, n0, n1, tp, qs, qprod);
            for (int64_t n = n0; n < n1; n++) {
                const float *qr = qprod + (n - n0) * GH;
                float *dst = gru ? hp + n * GH : xp + (n * T + tt) * GH;
                if (gru) memcpy(dst, qr, sizeof(float) * (size_t)GH);
                else
                    for (int64_t k = 0; k < GH; k++) dst[k] += qr[k];
            }
        } else if (real && tp >= 0 && !gru)
            dc_k_gemm(0, 1, M, GH, H, 1.0f, a->hs + (n0 * T + tp) * H, T * H, whh, H, 1.0f, xp + (n0 * T + tt) * GH, T * GH);
        else if (real && tp >= 0)
            dc_k_gemm(0, 1, M, GH, H, 1.0f, a->hs + (n0 * T + tp) * H, T * H, whh, H, 0.0f, hp + n0 * GH, GH);
        else if (real && gru)
            memset(hp + n0 * GH, 0, sizeof(float) * (size_t)(M * GH));
        for (int64_t n = n0; n < n1; n++) {
            const int64_t r = n * T + tt;
            float *gt = xp + r * GH, *h = a->hs + r * H, *out = y + r * H;
            const float *hprev = tp >= 0 ? a->hs + (n * T + tp) * H : zero;
            if (!a->valid[r]) { /* padding: the state carries over, the output is zero */
                memcpy(h, hprev, sizeof(float) * (size_t)H);
                if (a->kind == DC_RNN_LSTM)
                    memcpy(a->cell + r * H, tp >= 0 ? a->cell + (n * T + tp) * H : zero, sizeof(float) * (size_t)H);
                memset(out, 0, sizeof(float) * (size_t)H);
                continue;
            }
            if (a->kind == DC_RNN_LSTM) lstm_fwd(H, gt, tp >= 0 ? a->cell + (n * T + tp) * H : zero, a->cell + r * H, h, out);
            else if (gru) gru_fwd(H, gt, hp + n * GH, bhn, hprev, a->hn + r * H, h, out);
            else tanh_fwd(H, gt, h, out);
        }
    }
}

static const dc_op_def op_qrnn = {DC_OP_QRNN, "qrnn", NULL};

/* dc_rnn, and dc_qrnn when s_ih and s_hh are given (w_ih, w_hh int8). */
static dc_tensor *rnn_forward(dc_graph *g, dc_rnn_kind kind, dc_tensor *x, dc_tensor *w_ih, dc_tensor *s_ih, dc_tensor *w_hh,
                              dc_tensor *s_hh, dc_tensor *b_ih, dc_tensor *b_hh, const dc_tensor *mask, int reverse) {
    const int q = s_hh != NULL;
    const int64_t N = x->shape[0], T = x->shape[1], I = x->shape[2], G = gates_of(kind), H = w_hh->shape[1], GH = G * H;
    dc_tensor *srcs[7] = {x, w_ih, w_hh, b_ih, b_hh, s_ih, s_hh};
    /* absent biases are zero tensors of the graph, so that src[] is fixed */
    for (int k = 3; k < 5; k++)
        if (!srcs[k] && !(srcs[k] = dc_input(g, DC_F32, 1, (int64_t[]){GH}))) return NULL;
    dc_tensor *y = q ? dc_op_output_typed(g, &op_qrnn, DC_F32, 3, (int64_t[]){N, T, H}, srcs, 7)
                     : dc_op_output(g, &op_rnn, 3, (int64_t[]){N, T, H}, srcs, 5);
    dc_trace_attrs(g, y, &(dc_op_attrs){.kind = (int)kind, .reverse = reverse != 0});
    dc_trace_input(g, y, q ? 7 : 5, mask);
    rnn_aux *a = y ? dc_arena_alloc_raw(g, sizeof *a) : NULL;
    if (!a) return NULL;
    *a = (rnn_aux){kind, reverse != 0, N, T, I, H, G, NULL, NULL, NULL, NULL, NULL, 0, NULL, NULL, NULL, 0};
    uint8_t *valid = dc_arena_alloc_raw(g, (size_t)(N * T));
    float *xp = dc_arena_alloc_raw(g, sizeof(float) * (size_t)(N * T * GH));
    float *hp = dc_arena_alloc_raw(g, sizeof(float) * (size_t)(N * GH)), *zero = dc_arena_alloc(g, sizeof(float) * (size_t)H);
    a->gates = xp; /* the projections become the activated gates in place */
    a->hs = dc_arena_alloc_raw(g, sizeof(float) * (size_t)(N * T * H));
    if (kind == DC_RNN_LSTM) a->cell = dc_arena_alloc_raw(g, sizeof(float) * (size_t)(N * T * H));
    if (kind == DC_RNN_GRU) a->hn = dc_arena_alloc_raw(g, sizeof(float) * (size_t)(N * T * H));
    if (!valid || !xp || !hp || !zero || !a->hs || (kind == DC_RNN_LSTM && !a->cell) || (kind == DC_RNN_GRU && !a->hn)) return NULL;
    for (int64_t i = 0; i < N * T; i++)
        valid[i] = step_real(mask, i);
    a->valid = valid;
    y->ag->aux = a;
    const int ns = batch_slices(N, H);
    /* all input projections at once, with b_ih (and b_hh, except GRU's n gate) */
    if (q) {
        int8_t *xq = dc_arena_alloc_raw(g, (size_t)(N * T * I));
        float *sx = dc_arena_alloc_raw(g, sizeof(float) * (size_t)(N * T));
        int32_t *xs = dc_arena_alloc_raw(g, sizeof(int32_t) * (size_t)(N * T));
        const int64_t per = (N + ns - 1) / ns; /* the most rows a slice has */
        a->qslice = ((size_t)per * (size_t)(H * 4 + 4 + 4 + H) + sizeof(float) * (size_t)(per * GH) + 63) / 64 * 64;
        a->qscratch = dc_arena_alloc_raw(g, a->qslice * (size_t)ns);
        if (!xq || !sx || !xs || !a->qscratch) return NULL;
        a->qhh = w_hh->raw;
        a->shh = s_hh->data;
        dc_k_quantize_act_rows(x->data, N * T, I, xq, sx, xs);
        dc_k_qgemm_i8(N * T, GH, I, xq, sx, xs, w_ih->raw, s_ih->data, NULL, xp);
    } else {
        dc_k_gemm(0, 1, N * T, GH, I, 1.0f, x->data, I, w_ih->data, I, 0.0f, xp, GH);
    }
    const float *bi = srcs[3]->data, *bh = srcs[4]->data;
    const int gru = kind == DC_RNN_GRU;
#pragma omp parallel for num_threads(dc_k_run_threads()) if (N * T * GH > 65536) schedule(static)
    for (int64_t r = 0; r < N * T; r++)
        for (int64_t k = 0; k < GH; k++) xp[r * GH + k] += bi[k] + (gru && k >= 2 * H ? 0.0f : bh[k]);
#pragma omp parallel for num_threads(dc_k_run_threads_for(ns)) if (ns > 1) schedule(static)
    for (int k = 0; k < ns; k++)
        forward_slice(a, y->data, q ? NULL : w_hh->data, bh + 2 * H, hp, zero, N * k / ns, N * (k + 1) / ns, k);
    return y;
}

dc_tensor *dc_rnn(dc_graph *g, dc_rnn_kind kind, dc_tensor *x, dc_tensor *w_ih, dc_tensor *w_hh, dc_tensor *b_ih,
                  dc_tensor *b_hh, const dc_tensor *mask, int reverse) {
    if (!check_rnn(kind, x, w_ih, w_hh, b_ih, b_hh, mask)) return NULL;
    return rnn_forward(g, kind, x, w_ih, NULL, w_hh, NULL, b_ih, b_hh, mask, reverse);
}

dc_tensor *dc_qrnn(dc_graph *g, dc_rnn_kind kind, dc_tensor *x, dc_tensor *w_ih, dc_tensor *s_ih, dc_tensor *w_hh, dc_tensor *s_hh,
                   dc_tensor *b_ih, dc_tensor *b_hh, const dc_tensor *mask, int reverse) {
    const char *name = kind == DC_RNN_LSTM ? "lstm" : kind == DC_RNN_GRU ? "gru" : "rnn";
    if (!x || !w_ih || !s_ih || !w_hh || !s_hh || !dc_check_f32(name, x)) return NULL;
    const int64_t G = gates_of(kind), H = w_hh->ndim == 2 ? w_hh->shape[1] : -1;
    int ok = w_ih->dtype == DC_I8 && w_hh->dtype == DC_I8 && x->ndim == 3 && w_ih->ndim == 2 && H > 0 && H <= 4096 &&
             x->shape[2] <= 4096 && w_hh->shape[0] == G * H && w_ih->shape[0] == G * H && w_ih->shape[1] == x->shape[2] &&
             s_ih->dtype == DC_F32 && s_ih->size == G * H && s_hh->dtype == DC_F32 && s_hh->size == G * H &&
             (!b_ih || (b_ih->dtype == DC_F32 && b_ih->size == G * H)) && (!b_hh || (b_hh->dtype == DC_F32 && b_hh->size == G * H)) &&
             mask_fits(mask, x);
    if (!ok) {
        dc_set_error(DC_ERR_INVALID, "%s: int8 weights need w_ih (%lld·H, I) and w_hh (%lld·H, H) as I8 with an F32 scale per row, "
                                     "I and H at most 4096, biases of %lld·H and a mask (N, T)", name, (long long)G, (long long)G, (long long)G);
        return NULL;
    }
    if (x->requires_grad && dc_graph_grad_enabled(g)) {
        dc_set_error(DC_ERR_INVALID, "%s: int8 weights have no gradient (train from a float copy: --init-from)", name);
        return NULL;
    }
    return rnn_forward(g, kind, x, w_ih, s_ih, w_hh, s_hh, b_ih, b_hh, mask, reverse);
}

/* ---- the last state ------------------------------------------------------- */

typedef struct {
    int64_t N, T, H;
    int64_t *at; /* per sequence: the step holding its last state, or -1 */
} last_aux;

static void last_backward(dc_graph *g, dc_tensor *t) {
    (void)g;
    const last_aux *a = t->ag->aux;
    dc_tensor *y = t->ag->src[0];
    if (!y->requires_grad) return;
    for (int64_t n = 0; n < a->N; n++)
        if (a->at[n] >= 0)
            for (int64_t j = 0; j < a->H; j++) y->grad[(n * a->T + a->at[n]) * a->H + j] += t->grad[n * a->H + j];
}
static const dc_op_def op_last = {DC_OP_RNN_LAST, "rnn_last", last_backward};

dc_tensor *dc_rnn_last(dc_graph *g, dc_tensor *y, const dc_tensor *mask, int reverse) {
    if (!dc_check_f32("rnn_last", y)) return NULL;
    if (y->ndim != 3 || !mask_fits(mask, y)) {
        dc_set_error(DC_ERR_INVALID, "rnn_last: outputs must be (N, T, H) with a mask (N, T)");
        return NULL;
    }
    const int64_t N = y->shape[0], T = y->shape[1], H = y->shape[2];
    dc_tensor *z = dc_op_output(g, &op_last, 2, (int64_t[]){N, H}, &y, 1);
    dc_trace_attrs(g, z, &(dc_op_attrs){.reverse = reverse != 0});
    dc_trace_input(g, z, 1, mask);
    last_aux *a = z ? dc_arena_alloc_raw(g, sizeof *a) : NULL;
    if (!a || !(a->at = dc_arena_alloc_raw(g, sizeof(int64_t) * (size_t)N))) return NULL;
    a->N = N, a->T = T, a->H = H;
    z->ag->aux = a;
    for (int64_t n = 0; n < N; n++) {
        /* the last real step in processing order: the latest one forward,
         * the earliest one in reverse; none: the initial zero state */
        a->at[n] = -1;
        for (int64_t s = 0; s < T; s++) {
            int64_t tt = reverse ? T - 1 - s : s, i = n * T + tt;
            if (step_real(mask, i)) a->at[n] = tt;
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
    dc_tensor *w = t->ag->src[0], *ids = t->ag->src[1];
    const emb_aux *a = t->ag->aux;
    if (!w->requires_grad) return;
    const int64_t E = w->shape[1];
    /* scatter-add, in order (deterministic); the padding row learns nothing */
    for (int64_t i = 0; i < ids->size; i++) {
        int64_t v = ids->idata[i];
        if (v == a->padding) continue;
        for (int64_t j = 0; j < E; j++) w->grad[v * E + j] += t->grad[i * E + j];
    }
}
static const dc_op_def op_emb = {DC_OP_EMBEDDING, "embedding", emb_backward};

int dc_ids_in_range(const dc_tensor *ids, int64_t V) {
    for (int64_t i = 0; i < ids->size; i++)
        if (ids->idata[i] < 0 || ids->idata[i] >= V) {
            dc_set_error(DC_ERR_INVALID, "embedding: token id %d at position %lld is outside the vocabulary [0, %lld)",
                         ids->idata[i], (long long)i, (long long)V);
            return 0;
        }
    return 1;
}

dc_tensor *dc_embedding(dc_graph *g, dc_tensor *w, dc_tensor *ids, int64_t padding_idx) {
    if (!dc_check_f32("embedding", w)) return NULL;
    if (w->ndim != 2 || ids->dtype != DC_I32 || ids->ndim < 1 || ids->ndim >= DC_MAX_DIMS) {
        dc_set_error(DC_ERR_INVALID, "embedding: needs a (V, E) table and int32 token ids");
        return NULL;
    }
    const int64_t V = w->shape[0], E = w->shape[1];
    if (!dc_ids_in_range(ids, V)) return NULL;
    int64_t shape[DC_MAX_DIMS];
    memcpy(shape, ids->shape, sizeof(int64_t) * (size_t)ids->ndim);
    shape[ids->ndim] = E;
    dc_tensor *srcs[2] = {w, ids};
    dc_tensor *z = dc_op_output(g, &op_emb, ids->ndim + 1, shape, srcs, 2);
    dc_trace_attrs(g, z, &(dc_op_attrs){.start = padding_idx});
    emb_aux *a = z ? dc_arena_alloc_raw(g, sizeof *a) : NULL;
    if (!a) return NULL;
    a->padding = padding_idx;
    z->ag->aux = a;
    for (int64_t i = 0; i < ids->size; i++) memcpy(z->data + i * E, w->data + (int64_t)ids->idata[i] * E, sizeof(float) * (size_t)E);
    return z;
}

/* ---- pooling over time -------------------------------------------------------- */

typedef struct {
    int64_t N, T, F;
    int max;
    int64_t *at;  /* max: per (n, f), the step of the maximum, or -1 */
    float *count; /* avg: per n, the real steps (0: none) */
} tpool_aux;

static void tpool_backward(dc_graph *g, dc_tensor *t) {
    (void)g;
    const tpool_aux *a = t->ag->aux;
    dc_tensor *x = t->ag->src[0];
    if (!x->requires_grad) return;
    for (int64_t n = 0; n < a->N; n++)
        for (int64_t f = 0; f < a->F; f++) {
            const float gz = t->grad[n * a->F + f];
            if (a->max) {
                if (a->at[n * a->F + f] >= 0) x->grad[(n * a->T + a->at[n * a->F + f]) * a->F + f] += gz;
            } else if (a->count[n] > 0.0f) {
                for (int64_t s = 0; s < a->T; s++)
                    if (a->at[n * a->T + s]) x->grad[(n * a->T + s) * a->F + f] += gz / a->count[n];
            }
        }
}
static const dc_op_def op_tpool = {DC_OP_TIME_POOL, "time_pool", tpool_backward};

dc_tensor *dc_time_pool(dc_graph *g, dc_tensor *x, const dc_tensor *mask, int max) {
    if (!dc_check_f32("time_pool", x)) return NULL;
    if (x->ndim != 3 || !mask_fits(mask, x)) {
        dc_set_error(DC_ERR_INVALID, "time_pool: input must be (N, T, F) with a mask (N, T)");
        return NULL;
    }
    const int64_t N = x->shape[0], T = x->shape[1], F = x->shape[2];
    dc_tensor *z = dc_op_output(g, &op_tpool, 2, (int64_t[]){N, F}, &x, 1);
    dc_trace_attrs(g, z, &(dc_op_attrs){.flag = max != 0});
    dc_trace_input(g, z, 1, mask);
    tpool_aux *a = z ? dc_arena_alloc_raw(g, sizeof *a) : NULL;
    /* at: the argmax steps (max), or the real-step flags (avg) */
    if (!a || !(a->at = dc_arena_alloc_raw(g, sizeof(int64_t) * (size_t)(max ? N * F : N * T))) ||
        !(a->count = dc_arena_alloc(g, sizeof(float) * (size_t)N)))
        return NULL;
    *a = (tpool_aux){N, T, F, max != 0, a->at, a->count};
    z->ag->aux = a;
    for (int64_t n = 0; n < N; n++) {
        float *out = z->data + n * F;
        for (int64_t f = 0; f < F; f++) out[f] = 0.0f;
        if (max)
            for (int64_t f = 0; f < F; f++) a->at[n * F + f] = -1;
        for (int64_t s = 0; s < T; s++) {
            const int64_t i = n * T + s;
            const int real = step_real(mask, i);
            if (!max) a->at[i] = real;
            if (!real) continue;
            const float *xs = x->data + i * F;
            a->count[n] += 1.0f;
            for (int64_t f = 0; f < F; f++) {
                if (!max) out[f] += xs[f];
                else if (a->at[n * F + f] < 0 || xs[f] > out[f]) out[f] = xs[f], a->at[n * F + f] = s;
            }
        }
        if (!max && a->count[n] > 0.0f)
            for (int64_t f = 0; f < F; f++) out[f] /= a->count[n];
    }
    return z;
}
