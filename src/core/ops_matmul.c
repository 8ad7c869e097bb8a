/* ops_matmul.c — matrix products through the GEMM kernel.
 *   matmul: Z = X Y         dX = G Y^T      dY = X^T G
 *   linear: Z = X W^T + b   dX = G W        dW = G^T X    db = sum_rows G
 * linear is the Dense layer's op: one GEMM with the bias folded in, and no
 * dX at all when X is the network's input. */
#include "internal.h"
#include "../kernels/kernels.h"
#include <string.h>

/* ---- matmul: (M,K)@(K,N), (B,M,K)@(K,N) or (B,M,K)@(B,K,N) -------------- */

static void matmul_backward(dc_graph *g, dc_tensor *t) {
    (void)g;
    dc_tensor *x = t->ag->src[0], *y = t->ag->src[1];
    int64_t K = x->shape[x->ndim - 1], N = t->shape[t->ndim - 1];
    int64_t B = t->ag->iarg[0], M = t->ag->iarg[1]; /* B = 1 when y is 2-D (x rows folded into M) */
    for (int64_t b = 0; b < B; b++) {
        const float *xb = x->data + b * M * K, *yb = y->data + (y->ndim == 3 ? b * K * N : 0);
        const float *gb = t->grad + b * M * N;
        if (x->requires_grad) dc_k_gemm(0, 1, M, K, N, 1.0f, gb, N, yb, N, 1.0f, x->grad + b * M * K, K);
        if (y->requires_grad)
            dc_k_gemm(1, 0, K, N, M, 1.0f, xb, K, gb, N, 1.0f, y->grad + (y->ndim == 3 ? b * K * N : 0), N);
    }
}
static const dc_op_def op_matmul = {DC_OP_MATMUL, "matmul", matmul_backward};

dc_tensor *dc_matmul(dc_graph *g, dc_tensor *x, dc_tensor *y) {
    if (!dc_check_f32("matmul", x) || !dc_check_f32("matmul", y)) return NULL;
    int ok = (x->ndim == 2 || x->ndim == 3) && (y->ndim == 2 || (y->ndim == 3 && x->ndim == 3 && y->shape[0] == x->shape[0]));
    ok = ok && x->shape[x->ndim - 1] == y->shape[y->ndim - 2];
    if (!ok) {
        char sx[128], sy[128];
        dc_shape_str(x, sx, sizeof sx);
        dc_shape_str(y, sy, sizeof sy);
        dc_set_error(DC_ERR_INVALID, "matmul: cannot multiply %s by %s (need (M,K)@(K,N), (B,M,K)@(K,N) or (B,M,K)@(B,K,N))", sx, sy);
        return NULL;
    }
    int64_t K = x->shape[x->ndim - 1], N = y->shape[y->ndim - 1];
    int64_t shape[3];
    int nd = x->ndim;
    for (int d = 0; d < nd - 1; d++) shape[d] = x->shape[d];
    shape[nd - 1] = N;
    dc_tensor *srcs[2] = {x, y};
    dc_tensor *z = dc_op_output(g, &op_matmul, nd, shape, srcs, 2);
    if (!z) return NULL;
    int64_t B = y->ndim == 3 ? x->shape[0] : 1;
    int64_t M = (nd == 3 ? x->shape[0] * x->shape[1] : x->shape[0]) / B;
    z->ag->iarg[0] = B;
    z->ag->iarg[1] = M;
    for (int64_t b = 0; b < B; b++)
        dc_k_gemm(0, 0, M, N, K, 1.0f, x->data + b * M * K, K, y->data + (y->ndim == 3 ? b * K * N : 0), N, 0.0f,
                  z->data + b * M * N, N);
    return z;
}

/* ---- linear: X (..., in), W (out,in), b (out) -> (..., out) -------------- */

static void linear_backward(dc_graph *g, dc_tensor *t) {
    (void)g;
    dc_tensor *x = t->ag->src[0], *w = t->ag->src[1], *b = t->ag->nsrc > 2 ? t->ag->src[2] : NULL;
    int64_t in = w->shape[1], out = w->shape[0], N = x->size / in; /* every leading index is a row */
    if (x->requires_grad) dc_k_gemm(0, 0, N, in, out, 1.0f, t->grad, out, w->data, in, 1.0f, x->grad, in);
    if (w->requires_grad) dc_k_gemm(1, 0, out, in, N, 1.0f, t->grad, out, x->data, in, 1.0f, w->grad, in);
    if (b && b->requires_grad) dc_k_colsum_add(t->grad, b->grad, N, out);
}
static const dc_op_def op_linear = {DC_OP_LINEAR, "linear", linear_backward};

dc_tensor *dc_linear(dc_graph *g, dc_tensor *x, dc_tensor *w, dc_tensor *b) {
    if (!dc_check_f32("linear", x) || !dc_check_f32("linear", w) || (b && !dc_check_f32("linear", b))) return NULL;
    if (x->ndim < 2 || w->ndim != 2 || x->shape[x->ndim - 1] != w->shape[1] ||
        (b && (b->ndim != 1 || b->shape[0] != w->shape[0]))) {
        char sx[128], sw[128], sb[128] = "none";
        dc_shape_str(x, sx, sizeof sx);
        dc_shape_str(w, sw, sizeof sw);
        if (b) dc_shape_str(b, sb, sizeof sb);
        dc_set_error(DC_ERR_INVALID, "linear: input %s, weight %s, bias %s (need (..., in), (out,in), (out))", sx, sw, sb);
        return NULL;
    }
    int64_t in = w->shape[1], out = w->shape[0], N = x->size / in;
    int64_t shape[DC_MAX_DIMS];
    memcpy(shape, x->shape, sizeof(int64_t) * (size_t)x->ndim);
    shape[x->ndim - 1] = out;
    dc_tensor *srcs[3] = {x, w, b};
    dc_tensor *z = dc_op_output(g, &op_linear, x->ndim, shape, srcs, b ? 3 : 2);
    if (!z) return NULL;
    float beta = 0.0f;
    if (b) {
        for (int64_t i = 0; i < N; i++)
            for (int64_t j = 0; j < out; j++) z->data[i * out + j] = b->data[j];
        beta = 1.0f;
    }
    dc_k_gemm(0, 1, N, out, in, 1.0f, x->data, in, w->data, in, beta, z->data, out);
    return z;
}
