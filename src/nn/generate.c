/* generate.c — running a language model one token at a time, and sampling.
 *
 * A generator feeds new tokens to a model whose input is token ids (T) and
 * whose output is a distribution per step (T, V), and hands back the last
 * step's logits. Two ways:
 *  - with a KV cache, when every layer the model runs is stepwise (layer.h):
 *    only the new tokens go through the model; attention layers keep their
 *    keys and values (N x capacity x C floats each) and position layers
 *    count from the cache's length. When the cache is full, the last half
 *    of the window is fed again into an emptied cache (a window that slides
 *    by half the context at a time).
 *  - otherwise (an LSTM language model): the whole window of the last T
 *    tokens goes through the model for every token.
 * Both give the same logits as one forward over the same tokens (the tests
 * check it). */
#include "model.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

struct dc_generator {
    const dc_model *m;
    dc_graph *g;
    int64_t N, T, V;       /* sequences, context (the input's length), vocabulary */
    int cached;            /* stepwise: a KV cache                                */
    dc_kv_state kv;        /* k, v per node; pos0 = tokens in the cache           */
    int32_t *hist;         /* N x T: each sequence's last tokens (the window)     */
    int64_t len;           /* tokens in the window                                */
    int threads;           /* OpenMP threads of its runs (0: the process's)       */
};

void dc_generator_free(dc_generator *gen) {
    if (!gen) return;
    for (int i = 0; gen->kv.k && i < gen->m->nnodes; i++) free(gen->kv.k[i]);
    for (int i = 0; gen->kv.v && i < gen->m->nnodes; i++) free(gen->kv.v[i]);
    free(gen->kv.k);
    free(gen->kv.v);
    free(gen->hist);
    dc_graph_free(gen->g);
    free(gen);
}

/* Is every node stepwise (layer.h), so that the cache applies? */
static int all_stepwise(const dc_model *m) {
    for (int i = 0; i < m->nnodes; i++)
        if (!m->nodes[i]->type->stepwise) return 0;
    return 1;
}

dc_generator *dc_generator_new(const dc_model *m, int batch, int use_cache) {
    int64_t in[DC_MAX_DIMS], out[DC_MAX_DIMS];
    if (!m->built) {
        dc_set_error(DC_ERR_INVALID, "generate: the model is not built");
        return NULL;
    }
    if (dc_model_input_shape(m, in) != 1 || dc_model_output_shape(m, out) != 2 || out[0] != in[0]) {
        dc_set_error(DC_ERR_INVALID, "generate: the model must read token ids (steps) and give a distribution per step "
                                     "(steps, vocabulary): a language model");
        return NULL;
    }
    if (batch < 1 || batch > 4096) {
        dc_set_error(DC_ERR_INVALID, "generate: %d sequences at once (1 to 4096)", batch);
        return NULL;
    }
    dc_generator *gen = calloc(1, sizeof *gen);
    if (!gen) goto oom;
    gen->m = m;
    gen->N = batch;
    gen->T = in[0];
    gen->V = out[1];
    gen->cached = use_cache && all_stepwise(m);
    gen->kv.cap = gen->T;
    if (!(gen->g = dc_graph_new()) || !(gen->hist = calloc((size_t)(gen->N * gen->T), sizeof(int32_t)))) goto oom;
    if (gen->cached) {
        gen->kv.k = calloc((size_t)m->nnodes, sizeof(float *));
        gen->kv.v = calloc((size_t)m->nnodes, sizeof(float *));
        if (!gen->kv.k || !gen->kv.v) goto oom;
        for (int i = 0; i < m->nnodes; i++) {
            dc_layer *l = m->nodes[i];
            if (l->type->stepwise != 2) continue; /* 2: keeps keys and values of its input's width */
            const dc_shape *s = &m->nodes[l->in[0]]->out;
            size_t n = (size_t)(gen->N * gen->T * s->d[s->ndim - 1]);
            if (!(gen->kv.k[i] = malloc(n * sizeof(float))) || !(gen->kv.v[i] = malloc(n * sizeof(float)))) goto oom;
        }
    }
    dc_graph_set_grad_enabled(gen->g, 0);
    return gen;
oom:
    dc_generator_free(gen);
    dc_set_error(DC_ERR_NOMEM, "generate: out of memory");
    return NULL;
}

int dc_generator_cached(const dc_generator *gen) { return gen->cached; }
int64_t dc_generator_context(const dc_generator *gen) { return gen->T; }
int64_t dc_generator_vocab(const dc_generator *gen) { return gen->V; }

void dc_generator_reset(dc_generator *gen) {
    gen->len = 0;
    gen->kv.pos0 = 0;
}

/* Forward tokens (N x t, row stride ld) through the model; logits gets the
 * last step's (N x V). With the cache, they are the steps after kv.pos0. */
static dc_status run(dc_generator *gen, const int32_t *tokens, int64_t t, int64_t ld, float *logits) {
    const dc_model *m = gen->m;
    dc_graph *g = gen->g;
    dc_graph_reset(g);
    dc_tensor *x = dc_input(g, DC_I32, 2, (int64_t[]){gen->N, t});
    if (!x) return DC_ERR_NOMEM;
    for (int64_t n = 0; n < gen->N; n++) memcpy(x->idata + n * t, tokens + n * ld, sizeof(int32_t) * (size_t)t);
    int feed[DC_LAYER_MAX_INPUTS];
    if (dc_model_input_nodes(m, feed) < 1) return dc_set_error(DC_ERR_INVALID, "generate: the model has no input");
    dc_value *vals;
    dc_status st = dc_model_run_ctx(m, g, 1, feed, &x, &vals, gen->cached ? &gen->kv : NULL);
    if (st) return st;
    const dc_value *v = &vals[dc_model_output_node(m, 0)];
    const dc_tensor *z = v->logits ? v->logits : v->y;
    for (int64_t n = 0; n < gen->N; n++)
        memcpy(logits + n * gen->V, z->data + (n * t + t - 1) * gen->V, sizeof(float) * (size_t)gen->V);
    return DC_OK;
}

static dc_status feed(dc_generator *gen, const int32_t *tokens, int64_t t, float *logits) {
    if (t < 1) return dc_set_error(DC_ERR_INVALID, "generate: feed at least one token");
    if (!gen->cached && t > gen->T) { /* only the last window matters */
        for (int64_t n = 0; n < gen->N; n++) memcpy(gen->hist + n * gen->T, tokens + n * t + t - gen->T, sizeof(int32_t) * (size_t)gen->T);
        gen->len = gen->T;
        return run(gen, gen->hist, gen->T, gen->T, logits);
    }
    if (gen->cached && gen->kv.pos0 + t > gen->T) {
        if (t > gen->T)
            return dc_set_error(DC_ERR_INVALID, "generate: %lld tokens at once do not fit the model's context of %lld", (long long)t,
                                (long long)gen->T);
        /* slide: keep the last half of the window (less if t needs it) and refill the cache */
        int64_t keep = gen->T / 2 < gen->T - t ? gen->T / 2 : gen->T - t;
        if (keep > gen->len) keep = gen->len;
        for (int64_t n = 0; n < gen->N; n++) memmove(gen->hist + n * gen->T, gen->hist + n * gen->T + gen->len - keep, sizeof(int32_t) * (size_t)keep);
        gen->len = keep;
        gen->kv.pos0 = 0;
        if (keep) {
            float *scratch = malloc(sizeof(float) * (size_t)(gen->N * gen->V));
            if (!scratch) return dc_set_error(DC_ERR_NOMEM, "generate: out of memory");
            dc_status st = run(gen, gen->hist, keep, gen->T, scratch);
            free(scratch);
            if (st) return st;
            gen->kv.pos0 = keep;
        }
    }
    /* the window: append (dropping the oldest tokens when uncached and full) */
    int64_t drop = gen->len + t > gen->T ? gen->len + t - gen->T : 0;
    for (int64_t n = 0; n < gen->N; n++) {
        int32_t *h = gen->hist + n * gen->T;
        if (drop) memmove(h, h + drop, sizeof(int32_t) * (size_t)(gen->len - drop));
        memcpy(h + gen->len - drop, tokens + n * t, sizeof(int32_t) * (size_t)t);
    }
    gen->len += t - drop;
    dc_status st;
    if (gen->cached) {
        st = run(gen, gen->hist + gen->len - t, t, gen->T, logits);
        if (!st) gen->kv.pos0 += t;
    } else {
        st = run(gen, gen->hist, gen->len, gen->T, logits);
        if (st && gen->len < gen->T) { /* a flatten or reshape of the window needs all of it (red team 3 F24) */
            char why[512];
            snprintf(why, sizeof why, "%s", dc_last_error());
            st = dc_set_error(DC_ERR_INVALID, "generate: the model reads whole windows of %lld tokens (%s); give at least %lld (%lld so far)",
                              (long long)gen->T, why, (long long)gen->T, (long long)gen->len);
        }
    }
    return st;
}

/* ---- sampling ---------------------------------------------------------------- */

typedef struct {
    double p;
    int32_t id;
} cand;

static int by_prob_desc(const void *a, const void *b) {
    const cand *x = a, *y = b;
    if (x->p != y->p) return x->p < y->p ? 1 : -1;
    return x->id < y->id ? -1 : x->id > y->id; /* ties: the smaller id first (deterministic) */
}

int32_t dc_sample_token(const float *logits, int64_t V, const dc_sampling *s, const uint8_t *banned, dc_rng *rng) {
    int32_t best = -1;
    for (int64_t i = 0; i < V; i++)
        if ((!banned || !banned[i]) && isfinite(logits[i]) && (best < 0 || logits[i] > logits[best])) best = (int32_t)i;
    if (best < 0 || !(s->temperature > 0.0f)) return best; /* greedy (or nothing to choose) */
    cand *c = malloc(sizeof *c * (size_t)V);
    if (!c) return best;
    int64_t n = 0;
    double sum = 0.0;
    for (int64_t i = 0; i < V; i++) {
        if ((banned && banned[i]) || !isfinite(logits[i])) continue;
        c[n].p = exp(((double)logits[i] - logits[best]) / s->temperature);
        c[n].id = (int32_t)i;
        sum += c[n++].p;
    }
    qsort(c, (size_t)n, sizeof *c, by_prob_desc);
    if (s->top_k > 0 && s->top_k < n) n = s->top_k;
    double kept = 0.0;
    for (int64_t i = 0; i < n; i++) kept += c[i].p;
    if (s->top_p > 0.0f && s->top_p < 1.0f) { /* the smallest head whose mass reaches top_p (of what top_k kept) */
        double acc = 0.0;
        for (int64_t i = 0; i < n; i++) {
            acc += c[i].p;
            if (acc >= s->top_p * kept) {
                n = i + 1;
                kept = acc;
                break;
            }
        }
    }
    (void)sum;
    double r = (double)dc_rng_uniform(rng) * kept, acc = 0.0;
    int32_t pick = c[n - 1].id;
    for (int64_t i = 0; i < n; i++) {
        acc += c[i].p;
        if (r < acc) {
            pick = c[i].id;
            break;
        }
    }
    free(c);
    return pick;
}

void dc_generator_set_threads(dc_generator *gen, int threads) { gen->threads = threads > 0 ? threads : 0; }

dc_status dc_generator_feed(dc_generator *gen, const int32_t *tokens, int64_t t, float *logits) {
    const int saved = dc_threads_local(gen->threads);
    dc_status st = feed(gen, tokens, t, logits);
    dc_threads_local(saved);
    return st;
}
