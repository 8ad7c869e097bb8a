/* session.c — inference on a shared, read-only model.
 *
 * A session is what one caller (a thread, a request handler) needs to run a
 * model: its own graph (arena and loss terms), its own generator for
 * sampling layers, its own thread count. The model is only read, so any
 * number of sessions, on any number of threads, may run one model at once
 * (KANN's kann_clone, without copying the weights; a pruned model's
 * matrices that run faster sparse are copied as CSR, sparse_set.c). The arena grows to the
 * largest batch on the first run and is reused: a steady stream of
 * predictions allocates nothing. */
#include "model.h"
#include <stdlib.h>
#include <string.h>

/* Every run draws sampling layers' noise from this seed: a prediction
 * depends on its input alone, not on what ran before it. */
#define SESSION_SEED 0x5EEDull

struct dc_session {
    const dc_model *m;
    dc_graph *g;
    int64_t max_batch;
    int threads;                           /* 0: the process's count         */
    int nin, nout;
    int feed[DC_LAYER_MAX_INPUTS];         /* input nodes, in model order     */
    dc_dtype in_dtype[DC_LAYER_MAX_INPUTS];
    int64_t in_size[DC_LAYER_MAX_INPUTS];  /* values per sample               */
    int64_t out_size[DC_LAYER_MAX_INPUTS];
    int probabilities;                     /* class heads read as logits: give probabilities */
    dc_rng rng;
    dc_sparse_set *sparse; /* a pruned model's matrices that run faster sparse, or NULL */
};

/* Does input node k feed a layer that reads ids (an embedding)? */
static int feeds_ids(const dc_model *m, int k) {
    for (int i = k + 1; i < m->nnodes; i++)
        for (int j = 0; j < m->nodes[i]->nin; j++)
            if (m->nodes[i]->in[j] == k && m->nodes[i]->type->reads_ids) return 1;
    return 0;
}

dc_session *dc_session_new(const dc_model *m, int max_batch) {
    if (!m || !m->built) {
        dc_set_error(DC_ERR_INVALID, "session: the model is not built");
        return NULL;
    }
    if (max_batch < 1) {
        dc_set_error(DC_ERR_INVALID, "session: max_batch %d (at least 1)", max_batch);
        return NULL;
    }
    dc_session *s = calloc(1, sizeof *s);
    if (!s || !(s->g = dc_graph_new())) {
        free(s);
        dc_set_error(DC_ERR_NOMEM, "session: out of memory");
        return NULL;
    }
    s->m = m;
    s->max_batch = max_batch;
    if ((s->nin = dc_model_input_nodes(m, s->feed)) < 0) {
        dc_session_free(s);
        return NULL;
    }
    for (int k = 0; k < s->nin; k++) {
        const dc_layer *l = m->nodes[s->feed[k]];
        s->in_dtype[k] = feeds_ids(m, s->feed[k]) ? DC_I32 : DC_F32;
        s->in_size[k] = dc_shape_size(l->out.ndim, l->out.d);
    }
    s->nout = dc_model_num_outputs(m);
    for (int k = 0; k < s->nout; k++) {
        const dc_shape *o = &m->nodes[dc_model_output_node(m, k)]->out;
        s->out_size[k] = dc_shape_size(o->ndim, o->d);
    }
    dc_clear_error();
    if (!(s->sparse = dc_sparse_set_new(m)) && dc_last_error()[0]) {
        dc_session_free(s);
        return NULL;
    }
    dc_graph_set_grad_enabled(s->g, 0);
    dc_graph_set_training(s->g, 0);
    dc_graph_set_rng(s->g, &s->rng);
    dc_get_num_threads(); /* decide the process's count here, not in a race of first runs */
    return s;
}

void dc_session_free(dc_session *s) {
    if (!s) return;
    dc_graph_free(s->g);
    dc_sparse_set_free(s->sparse);
    free(s);
}

void dc_session_set_threads(dc_session *s, int threads) { s->threads = threads > 0 ? threads : 0; }
void dc_session_set_probabilities(dc_session *s, int on) { s->probabilities = on != 0; }
int dc_session_num_inputs(const dc_session *s) { return s->nin; }
int dc_session_num_outputs(const dc_session *s) { return s->nout; }
dc_dtype dc_session_input_dtype(const dc_session *s, int k) { return k >= 0 && k < s->nin ? s->in_dtype[k] : DC_F32; }
int64_t dc_session_input_size(const dc_session *s, int k) { return k >= 0 && k < s->nin ? s->in_size[k] : 0; }
int64_t dc_session_output_size(const dc_session *s, int k) { return k >= 0 && k < s->nout ? s->out_size[k] : 0; }

/* The batch tensor of input k: n samples of the input's shape, copied. */
static dc_tensor *input_tensor(dc_session *s, int k, int64_t n, const void *data) {
    const dc_shape *sh = &s->m->nodes[s->feed[k]]->out;
    int64_t shape[DC_MAX_DIMS];
    shape[0] = n;
    memcpy(shape + 1, sh->d, sizeof(int64_t) * (size_t)sh->ndim);
    dc_tensor *x = dc_input(s->g, s->in_dtype[k], sh->ndim + 1, shape);
    if (x) memcpy(x->raw, data, (size_t)x->size * dc_dtype_size(x->dtype));
    return x;
}

static dc_status run(dc_session *s, int64_t n, const void *const *inputs, float *const *outputs) {
    dc_graph_reset(s->g);
    dc_rng_seed(&s->rng, SESSION_SEED);
    dc_tensor *xs[DC_LAYER_MAX_INPUTS];
    for (int k = 0; k < s->nin; k++) {
        if (!inputs[k]) return dc_set_error(DC_ERR_INVALID, "session: input %d is NULL", k + 1);
        if (!(xs[k] = input_tensor(s, k, n, inputs[k]))) return DC_ERR_NOMEM;
    }
    dc_value *vals;
    dc_status st = dc_model_run_ctx(s->m, s->g, s->nin, s->feed, xs, &vals, NULL, s->sparse, NULL);
    if (st) return st;
    for (int k = 0; k < s->nout; k++) {
        if (!outputs[k]) continue;
        const dc_tensor *y = vals[dc_model_output_node(s->m, k)].y;
        if (y->dtype != DC_F32 || y->size != n * s->out_size[k])
            return dc_set_error(DC_ERR_INVALID, "session: output %d has %lld values, expected %lld", k + 1, (long long)y->size,
                                (long long)(n * s->out_size[k]));
        memcpy(outputs[k], y->data, sizeof(float) * (size_t)y->size);
        if (s->probabilities) dc_model_output_probabilities(s->m, dc_model_output_node(s->m, k), &vals[dc_model_output_node(s->m, k)], outputs[k], y->size);
    }
    return DC_OK;
}

dc_status dc_session_run(dc_session *s, int64_t n, const void *const *inputs, float *const *outputs) {
    if (!s) return dc_set_error(DC_ERR_INVALID, "session: NULL");
    if (n < 1 || n > s->max_batch)
        return dc_set_error(DC_ERR_INVALID, "session: a batch of %lld samples (1 to %lld)", (long long)n, (long long)s->max_batch);
    const int saved = dc_threads_local(s->threads);
    dc_status st = run(s, n, inputs, outputs);
    dc_threads_local(saved);
    return st;
}

dc_status dc_session_predict(dc_session *s, const void *x, int64_t n, float *out) {
    if (s && s->nin != 1) return dc_set_error(DC_ERR_INVALID, "session: the model has %d inputs (use dc_session_run)", s->nin);
    float *outs[DC_LAYER_MAX_INPUTS] = {out};
    return dc_session_run(s, n, &x, outs);
}
