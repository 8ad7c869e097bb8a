/* overlap.c — which gradients are complete during a backward pass
 * (overlap.h). The graph names each leaf when its last reader has run its
 * backward (dc_graph_set_grad_hook); here the leaves are the model's
 * parameter tensors, views into the flat gradient buffer in layer order.
 * The backward finishes the last layers first, so the complete part of
 * the buffer grows from its end down: grads_ready is told its new start
 * each time it moves. A parameter that finishes early but below one still
 * running waits for it: the complete part stays one range, [lo, n). */
#include "overlap.h"
#include "../nn/model.h"
#include <stdlib.h>

struct dc_overlap {
    dc_model *m;
    const dc_callbacks *cb;
    int64_t *off; /* each parameter tensor's offset in the flat buffer, ascending */
    char *done;   /* complete in this backward                                      */
    int n, low;   /* parameters; the lowest of the complete run at the top (n: none)  */
    int stop;     /* grads_ready returned non-zero                                     */
};

static int by_offset(const void *a, const void *b) {
    const int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

dc_overlap *dc_overlap_new(dc_model *m, const dc_callbacks *cb) {
    dc_overlap *o = calloc(1, sizeof *o);
    if (o) {
        o->m = m, o->cb = cb;
        o->off = malloc(sizeof *o->off * (size_t)(m->nnamed + 1));
        o->done = malloc((size_t)m->nnamed + 1);
    }
    if (!o || !o->off || !o->done) {
        dc_overlap_free(o);
        dc_set_error(DC_ERR_NOMEM, "fit: out of memory");
        return NULL;
    }
    for (int i = 0; i < m->nnamed; i++) {
        const float *g = m->named[i].t->grad;
        if (!m->named[i].buffer && g && g >= m->grads && g < m->grads + m->nparams) o->off[o->n++] = g - m->grads;
    }
    qsort(o->off, (size_t)o->n, sizeof *o->off, by_offset);
    int k = 0; /* one entry per offset (a tensor named twice) */
    for (int i = 0; i < o->n; i++)
        if (!k || o->off[k - 1] != o->off[i]) o->off[k++] = o->off[i];
    o->n = k;
    return o;
}

void dc_overlap_free(dc_overlap *o) {
    if (!o) return;
    free(o->off);
    free(o->done);
    free(o);
}

static void leaf_complete(const dc_tensor *leaf, void *user) {
    dc_overlap *o = user;
    const dc_model *m = o->m;
    if (!leaf->grad || leaf->grad < m->grads || leaf->grad >= m->grads + m->nparams) return; /* not a parameter of m */
    const int64_t off = leaf->grad - m->grads;
    const int64_t *at = bsearch(&off, o->off, (size_t)o->n, sizeof *o->off, by_offset);
    if (!at) return;
    o->done[at - o->off] = 1;
    int low = o->low;
    while (low > 0 && o->done[low - 1]) low--;
    if (low == o->low) return;
    o->low = low;
    if (!o->stop && o->cb->grads_ready(o->m, low ? o->off[low] : 0, o->cb->user)) o->stop = 1;
}

void dc_overlap_arm(dc_overlap *o, dc_graph *g) {
    for (int i = 0; i < o->n; i++) o->done[i] = 0;
    o->low = o->n;
    o->stop = 0;
    dc_graph_set_grad_hook(g, leaf_complete, o);
}

dc_status dc_overlap_disarm(dc_overlap *o, dc_graph *g) {
    dc_graph_set_grad_hook(g, NULL, NULL);
    return o->stop ? dc_set_error(DC_ERR_INTERRUPTED, "fit: stopped by the grads_ready callback") : DC_OK;
}
