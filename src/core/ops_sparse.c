/* ops_sparse.c — a product with a pruned matrix held as CSR (dc_sparse_linear),
 * for inference: sessions of a pruned model use it in place of the dense
 * product where bench/sparse_linear.c measured it faster. No gradient: the
 * CSR form is a read-only copy made for running (dc_csr_from_dense). */
#include "internal.h"
#include "../kernels/kernels.h"
#include <stdlib.h>
#include <string.h>

static const dc_op_def op_sparse_linear = {DC_OP_SPARSE_LINEAR, "sparse_linear", NULL};

dc_status dc_csr_from_dense(const float *w, int64_t N, int64_t K, dc_tensor **start, dc_tensor **col, dc_tensor **val) {
    *start = *col = *val = NULL;
    int64_t nz = 0;
    for (int64_t i = 0; i < N * K; i++) nz += w[i] != 0.0f;
    if (nz > INT32_MAX || K > INT32_MAX) return dc_set_error(DC_ERR_INVALID, "sparse: %lld kept values do not fit int32 indices", (long long)nz);
    *start = dc_tensor_new(DC_I32, 1, (int64_t[]){N + 1});
    *col = dc_tensor_new(DC_I32, 1, (int64_t[]){nz ? nz : 1});
    *val = dc_tensor_new(DC_F32, 1, (int64_t[]){nz ? nz : 1});
    if (!*start || !*col || !*val) {
        dc_tensor_free(*start), dc_tensor_free(*col), dc_tensor_free(*val);
        *start = *col = *val = NULL;
        return dc_set_error(DC_ERR_NOMEM, "sparse: out of memory");
    }
    int32_t *s = (int32_t *)(*start)->raw, *c = (int32_t *)(*col)->raw, k = 0;
    for (int64_t n = 0; n < N; n++) {
        s[n] = k;
        for (int64_t j = 0; j < K; j++)
            if (w[n * K + j] != 0.0f) c[k] = (int32_t)j, (*val)->data[k++] = w[n * K + j];
    }
    s[N] = k;
    return DC_OK;
}

dc_tensor *dc_sparse_linear(dc_graph *g, dc_tensor *x, dc_tensor *start, dc_tensor *col, dc_tensor *val, dc_tensor *b) {
    if (!x || !start || !col || !val) return NULL;
    if (!dc_check_f32("sparse_linear", x) || !dc_check_f32("sparse_linear", val) || (b && !dc_check_f32("sparse_linear", b))) return NULL;
    const int64_t N = start->size - 1, K = x->shape[x->ndim - 1];
    const int32_t *s = (const int32_t *)start->raw;
    int ok = start->dtype == DC_I32 && col->dtype == DC_I32 && start->ndim == 1 && N >= 1 && x->ndim >= 2 && s[0] == 0 &&
             s[N] <= col->size && col->size == val->size && (!b || (b->ndim == 1 && b->shape[0] == N));
    for (int64_t n = 0; ok && n < N; n++) ok = s[n] <= s[n + 1];
    if (!ok) {
        dc_set_error(DC_ERR_INVALID, "sparse_linear: needs I32 row starts (N + 1, from 0, not decreasing), I32 columns and F32 values "
                                     "of one length, a bias of N and an input (..., K)");
        return NULL;
    }
    if (x->requires_grad && dc_graph_grad_enabled(g)) {
        dc_set_error(DC_ERR_INVALID, "sparse_linear: for inference (no gradient)");
        return NULL;
    }
    const int64_t M = x->size / K;
    int64_t shape[DC_MAX_DIMS];
    memcpy(shape, x->shape, sizeof(int64_t) * (size_t)x->ndim);
    shape[x->ndim - 1] = N;
    dc_tensor *srcs[5] = {x, start, col, val, b};
    dc_tensor *z = dc_op_output_typed(g, &op_sparse_linear, DC_F32, x->ndim, shape, srcs, b ? 5 : 4);
    if (!z) return NULL;
    float *scratch = M > 1 ? dc_arena_alloc_raw(g, sizeof(float) * (size_t)(M * K + N * M)) : NULL;
    if (M > 1 && !scratch) return NULL;
    dc_k_csr_linear(M, N, K, s, (const int32_t *)col->raw, val->data, x->data, b ? b->data : NULL, z->data, scratch);
    return z;
}
