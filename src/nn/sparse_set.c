/* sparse_set.c — which of a pruned model's matrices a session runs sparse
 * (dc_sparse_linear over a CSR copy) and which dense, by the measurement of
 * bench/sparse_linear.c (bench/RESULTS.md, "Pruning"): the sparse product
 * costs a gather (one row) or a transpose (a batch) per kept value, so it
 * pays only where few values are kept or where the dense matrix is too big
 * for the cache and its reading dominates. The CSR copies are made when the
 * session is (the model is read-only while sessions run). */
#include "model.h"
#include <stdlib.h>

/* bench/sparse_linear.c at 1 and 2 threads: against one row of inputs (a
 * request, a generated token) the sparse product gathers its inputs, and
 * wins from 95% zeros on a matrix that stays in cache (the Fashion MLP's
 * 784 x 128: 0.84x; 1.26x at 90%) and from 90% on one too big for it (from
 * 2 MiB, above Zen 4's 1 MiB L2: GPT-2's 768 x 3072, 0.71-0.88x). Against a
 * batch (the input transposed once, each kept value scaling a run of it)
 * it wins from 80% zeros at any size (0.43-0.79x; 1.1-1.4x at 50%). */
#define SPARSE_BIG_BYTES (2 << 20)

int dc_sparse_pays(int64_t rows, int64_t cols, int64_t nonzeros, int64_t batch) {
    const double density = (double)nonzeros / (double)(rows * cols);
    if (batch > 1) return density <= 0.20;
    return density <= (rows * cols * 4 >= SPARSE_BIG_BYTES ? 0.10 : 0.05);
}

void dc_sparse_set_free(dc_sparse_set *s) {
    if (!s) return;
    for (int i = 0; i < s->nnodes; i++) {
        if (!s->node[i]) continue;
        for (int k = 0; k < DC_LAYER_MAX_PARAMS; k++) {
            dc_tensor_free(s->node[i][k].start);
            dc_tensor_free(s->node[i][k].col);
            dc_tensor_free(s->node[i][k].val);
        }
        free(s->node[i]);
    }
    free(s->node);
    free(s);
}

dc_sparse_set *dc_sparse_set_new(const dc_model *m) {
    if (!m->meta.pruning) return NULL;
    dc_sparse_set *s = calloc(1, sizeof *s);
    if (s) s->node = calloc((size_t)m->nnodes, sizeof *s->node);
    if (!s || !s->node) {
        free(s);
        dc_set_error(DC_ERR_NOMEM, "session: out of memory");
        return NULL;
    }
    s->nnodes = m->nnodes;
    int any = 0;
    for (int i = 0; i < m->nnodes; i++) {
        const dc_layer *l = m->nodes[i];
        for (int k = 0; k < l->nparam; k++) {
            const dc_param_decl *d = &l->decl[k];
            const dc_tensor *w = l->param[k];
            if (!d->matrix || d->ndim != 2 || w->dtype != DC_F32) continue;
            int64_t nz = 0;
            for (int64_t j = 0; j < w->size; j++) nz += w->data[j] != 0.0f;
            if (!dc_sparse_pays(d->shape[0], d->shape[1], nz, 2)) continue; /* pays for some batches */
            if (!s->node[i] && !(s->node[i] = calloc(DC_LAYER_MAX_PARAMS, sizeof *s->node[i]))) goto nomem;
            dc_csr_weight *c = &s->node[i][k];
            if (dc_csr_from_dense(w->data, d->shape[0], d->shape[1], &c->start, &c->col, &c->val)) {
                dc_sparse_set_free(s);
                return NULL;
            }
            any = 1;
        }
    }
    if (any) return s;
    dc_sparse_set_free(s);
    return NULL;
nomem:
    dc_sparse_set_free(s);
    dc_set_error(DC_ERR_NOMEM, "session: out of memory");
    return NULL;
}
