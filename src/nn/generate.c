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
    int64_t *slen, *spos;  /* slots (continuous batching): each row's window
                              length and cache length                          */
    int threads;           /* OpenMP threads of its runs (0: the process's)       */
};

void dc_generator_free(dc_generator *gen) {
    if (!gen) return;
    for (int i = 0; gen->kv.k && i < gen->m->nnodes; i++) free(gen->kv.k[i]);
    for (int i = 0; gen->kv.v && i < gen->m->nnodes; i++) free(gen->kv.v[i]);
    free(gen->kv.k);
    free(gen->kv.v);
    free(gen->hist);
    free(gen->slen);
    free(gen->spos);
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
    gen->kv.slots = gen->N;
    if (!(gen->g = dc_graph_new()) || !(gen->hist = calloc((size_t)(gen->N * gen->T), sizeof(int32_t))) ||
        !(gen->slen = calloc((size_t)gen->N, sizeof(int64_t))) || !(gen->spos = calloc((size_t)gen->N, sizeof(int64_t))))
        goto oom;
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
    for (int64_t n = 0; n < gen->N; n++) gen->slen[n] = gen->spos[n] = 0;
}

/* Floats one model run may give out (rows x steps x vocabulary, 16 MB):
 * longer feeds run in pieces. The output of a run is every step's
 * distribution, and only the last step's is kept, so a 1,000-token prompt
 * of 512 samples over GPT-2's 50,257 tokens would otherwise hold 100 GB
 * (red team 3, F07). */
#define GEN_RUN_FLOATS ((int64_t)1 << 22)

/* One forward of rows x t tokens (row stride ld); logits gets each row's
 * last step (rows x V). With the cache, the steps follow kv.pos0, and the
 * rows are the cache's first ones. */
static dc_status run_rows(dc_generator *gen, const int32_t *tokens, int64_t rows, int64_t t, int64_t ld, float *logits) {
    const dc_model *m = gen->m;
    dc_graph *g = gen->g;
    dc_graph_reset(g);
    dc_tensor *x = dc_input(g, DC_I32, 2, (int64_t[]){rows, t});
    if (!x) return DC_ERR_NOMEM;
    for (int64_t n = 0; n < rows; n++) memcpy(x->idata + n * t, tokens + n * ld, sizeof(int32_t) * (size_t)t);
    int feed[DC_LAYER_MAX_INPUTS];
    if (dc_model_input_nodes(m, feed) < 1) return dc_set_error(DC_ERR_INVALID, "generate: the model has no input");
    dc_value *vals;
    dc_status st = dc_model_run_ctx(m, g, 1, feed, &x, &vals, gen->cached ? &gen->kv : NULL, NULL, NULL);
    if (st) return st;
    const dc_value *v = &vals[dc_model_output_node(m, 0)];
    const dc_tensor *z = v->logits ? v->logits : v->y;
    for (int64_t n = 0; n < rows; n++)
        memcpy(logits + n * gen->V, z->data + (n * t + t - 1) * gen->V, sizeof(float) * (size_t)gen->V);
    dc_graph_reset(g); /* the run's tensors go now, not at the next feed */
    return DC_OK;
}

/* Do the N rows of tokens (N x t, stride ld) hold the same tokens? */
static int rows_equal(const int32_t *tokens, int64_t N, int64_t t, int64_t ld) {
    for (int64_t n = 1; n < N; n++)
        if (memcmp(tokens, tokens + n * ld, sizeof(int32_t) * (size_t)t)) return 0;
    return 1;
}

/* Forward tokens (N x t, row stride ld) through the model; logits gets the
 * last step's (N x V). With the cache, they are the steps after kv.pos0,
 * which moves past them. In pieces of at most GEN_RUN_FLOATS outputs:
 *  - uncached, groups of rows (each row is a window of its own);
 *  - cached, spans of steps (the cache makes them one forward); and when
 *    the cache is empty and every row is the same prompt (generate
 *    --samples N), the prompt runs once and its keys and values are copied
 *    to the other rows. */
static dc_status run(dc_generator *gen, const int32_t *tokens, int64_t t, int64_t ld, float *logits) {
    const int64_t N = gen->N, V = gen->V;
    if (!gen->cached) {
        int64_t group = GEN_RUN_FLOATS / (t * V) > 1 ? GEN_RUN_FLOATS / (t * V) : 1;
        for (int64_t r = 0; r < N; r += group) {
            dc_status st = run_rows(gen, tokens + r * ld, r + group < N ? group : N - r, t, ld, logits + r * V);
            if (st) return st;
        }
        return DC_OK;
    }
    const int64_t pos0 = gen->kv.pos0, rows = pos0 == 0 && N > 1 && rows_equal(tokens, N, t, ld) ? 1 : N;
    const int64_t span = GEN_RUN_FLOATS / (rows * V) > 1 ? GEN_RUN_FLOATS / (rows * V) : 1;
    for (int64_t s = 0; s < t; s += span) {
        dc_status st = run_rows(gen, tokens + s, rows, s + span < t ? span : t - s, ld, logits);
        if (st) {
            gen->kv.pos0 = pos0;
            return st;
        }
        gen->kv.pos0 += s + span < t ? span : t - s;
    }
    if (rows == 1) {
        const dc_model *m = gen->m;
        for (int i = 0; i < m->nnodes; i++) {
            if (!gen->kv.k[i]) continue;
            const dc_shape *sh = &m->nodes[m->nodes[i]->in[0]]->out;
            const size_t C = (size_t)sh->d[sh->ndim - 1], row = (size_t)gen->kv.cap * C;
            for (int64_t n = 1; n < N; n++) {
                memcpy(gen->kv.k[i] + (size_t)n * row, gen->kv.k[i], sizeof(float) * (size_t)t * C);
                memcpy(gen->kv.v[i] + (size_t)n * row, gen->kv.v[i], sizeof(float) * (size_t)t * C);
            }
        }
        for (int64_t n = 1; n < N; n++) memcpy(logits + n * V, logits, sizeof(float) * (size_t)V);
    }
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
            dc_status st = run(gen, gen->hist, keep, gen->T, scratch); /* leaves kv.pos0 at keep */
            free(scratch);
            if (st) return st;
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

/* Does x come before y: the more probable first, ties the smaller id (deterministic). */
static int cand_first(const cand *x, const cand *y) { return x->p != y->p ? x->p > y->p : x->id < y->id; }

static void sift_down(cand *c, int64_t h, int64_t i) {
    for (;;) {
        int64_t k = 2 * i + 1;
        if (k >= h) return;
        if (k + 1 < h && cand_first(&c[k + 1], &c[k])) k++;
        if (!cand_first(&c[k], &c[i])) return;
        cand t = c[i];
        c[i] = c[k], c[k] = t, i = k;
    }
}

/* The candidates in order of probability, drawn from a heap only as far as
 * they are read: the i-th is c[n - 1 - i] once i + 1 have been popped. A
 * peaked distribution reads a few of GPT-2's 50,257 tokens, where a full
 * sort per token per sample took 72% of generate --samples (red team 3, F07). */
typedef struct {
    cand *c;
    int64_t n, h; /* candidates; still in the heap c[0..h) */
} ranked;

static const cand *nth(ranked *r, int64_t i) {
    while (r->n - r->h <= i) {
        cand t = r->c[0];
        r->c[0] = r->c[--r->h], r->c[r->h] = t;
        sift_down(r->c, r->h, 0);
    }
    return &r->c[r->n - 1 - i];
}

int32_t dc_sample_token(const float *logits, int64_t V, const dc_sampling *s, const uint8_t *banned, dc_rng *rng) {
    int32_t best = -1;
    for (int64_t i = 0; i < V; i++)
        if ((!banned || !banned[i]) && isfinite(logits[i]) && (best < 0 || logits[i] > logits[best])) best = (int32_t)i;
    if (best < 0 || !(s->temperature > 0.0f)) return best; /* greedy (or nothing to choose) */
    cand *c = malloc(sizeof *c * (size_t)V);
    if (!c) return best;
    int64_t n = 0;
    double kept = 0.0;
    for (int64_t i = 0; i < V; i++) {
        if ((banned && banned[i]) || !isfinite(logits[i])) continue;
        c[n].p = exp(((double)logits[i] - logits[best]) / s->temperature);
        c[n].id = (int32_t)i;
        kept += c[n++].p;
    }
    ranked r = {c, n, n};
    for (int64_t i = n / 2 - 1; i >= 0; i--) sift_down(c, n, i);
    if (s->top_k > 0 && s->top_k < n) { /* the k most probable */
        n = s->top_k;
        kept = 0.0;
        for (int64_t i = 0; i < n; i++) kept += nth(&r, i)->p;
    }
    if (s->top_p > 0.0f && s->top_p < 1.0f) { /* the smallest head whose mass reaches top_p (of what top_k kept) */
        double acc = 0.0;
        for (int64_t i = 0; i < n; i++) {
            acc += nth(&r, i)->p;
            if (acc >= s->top_p * kept) {
                n = i + 1;
                kept = acc;
                break;
            }
        }
    }
    double u = (double)dc_rng_uniform(rng) * kept, acc = 0.0;
    int32_t pick = -1;
    for (int64_t i = 0; i < n && pick < 0; i++) {
        const cand *ci = nth(&r, i);
        acc += ci->p;
        if (u < acc || i == n - 1) pick = ci->id;
    }
    free(c);
    return pick;
}

/* ---- slots: sequences of their own, stepped together (continuous batching) ---- */

/* One forward of rows sequences in cache rows slots[], each at its own
 * position pos[] (t new tokens each, rows x t): logits gets each row's
 * last step. */
static dc_status run_slots(dc_generator *gen, const int32_t *slots, const int64_t *pos, const int32_t *tokens, int64_t rows, int64_t t,
                           float *logits) {
    gen->kv.rowpos = pos;
    gen->kv.rowslot = slots;
    dc_status st = run_rows(gen, tokens, rows, t, t, logits);
    gen->kv.rowpos = NULL;
    gen->kv.rowslot = NULL;
    return st;
}

/* Put t tokens through slot's cache after what it holds, in spans of at
 * most GEN_RUN_FLOATS outputs; logits (V) gets the last step's. */
static dc_status slot_prefill(dc_generator *gen, int32_t slot, const int32_t *tokens, int64_t t, float *logits) {
    const int64_t span = GEN_RUN_FLOATS / gen->V > 1 ? GEN_RUN_FLOATS / gen->V : 1;
    for (int64_t s = 0; s < t; s += span) {
        const int64_t k = s + span < t ? span : t - s, pos = gen->spos[slot];
        dc_status st = run_slots(gen, &slot, &pos, tokens + s, 1, k, logits);
        if (st) return st;
        gen->spos[slot] += k;
    }
    return DC_OK;
}

/* Make room for t more tokens in slot's cache: keep the last half of its
 * window (less if t needs it) and refill an emptied cache with it, as the
 * whole-batch feed slides. */
static dc_status slot_slide(dc_generator *gen, int32_t slot, int64_t t) {
    if (gen->spos[slot] + t <= gen->T) return DC_OK;
    if (t > gen->T)
        return dc_set_error(DC_ERR_INVALID, "generate: %lld tokens at once do not fit the model's context of %lld", (long long)t,
                            (long long)gen->T);
    int32_t *h = gen->hist + slot * gen->T;
    int64_t keep = gen->T / 2 < gen->T - t ? gen->T / 2 : gen->T - t;
    if (keep > gen->slen[slot]) keep = gen->slen[slot];
    memmove(h, h + gen->slen[slot] - keep, sizeof(int32_t) * (size_t)keep);
    gen->slen[slot] = keep;
    gen->spos[slot] = 0;
    if (!keep) return DC_OK;
    float *scratch = malloc(sizeof(float) * (size_t)gen->V);
    if (!scratch) return dc_set_error(DC_ERR_NOMEM, "generate: out of memory");
    dc_status st = slot_prefill(gen, slot, h, keep, scratch);
    free(scratch);
    return st;
}

/* Append t tokens to slot's window (dropping its oldest when full). */
static void slot_append(dc_generator *gen, int32_t slot, const int32_t *tokens, int64_t t) {
    int32_t *h = gen->hist + slot * gen->T;
    if (t >= gen->T) {
        memcpy(h, tokens + t - gen->T, sizeof(int32_t) * (size_t)gen->T);
        gen->slen[slot] = gen->T;
        return;
    }
    int64_t drop = gen->slen[slot] + t > gen->T ? gen->slen[slot] + t - gen->T : 0;
    if (drop) memmove(h, h + drop, sizeof(int32_t) * (size_t)(gen->slen[slot] - drop));
    memcpy(h + gen->slen[slot] - drop, tokens, sizeof(int32_t) * (size_t)t);
    gen->slen[slot] += t - drop;
}

/* An uncached slot: its whole window through the model. */
static dc_status slot_window(dc_generator *gen, int32_t slot, float *logits) {
    const int32_t *h = gen->hist + slot * gen->T;
    dc_status st = run_rows(gen, h, 1, gen->slen[slot], gen->T, logits);
    if (st && gen->slen[slot] < gen->T) {
        char why[512];
        snprintf(why, sizeof why, "%s", dc_last_error());
        st = dc_set_error(DC_ERR_INVALID, "generate: the model reads whole windows of %lld tokens (%s); give at least %lld (%lld so far)",
                          (long long)gen->T, why, (long long)gen->T, (long long)gen->slen[slot]);
    }
    return st;
}

static dc_status check_slot(const dc_generator *gen, int64_t slot) {
    return slot >= 0 && slot < gen->N ? DC_OK
                                      : dc_set_error(DC_ERR_INVALID, "generate: slot %lld of a generator of %lld", (long long)slot, (long long)gen->N);
}

static dc_status slot_feed(dc_generator *gen, int32_t slot, const int32_t *tokens, int64_t t, float *logits) {
    if (check_slot(gen, slot)) return DC_ERR_INVALID;
    if (t < 1) return dc_set_error(DC_ERR_INVALID, "generate: feed at least one token");
    if (!gen->cached) {
        slot_append(gen, slot, tokens, t);
        return slot_window(gen, slot, logits);
    }
    dc_status st = slot_slide(gen, slot, t);
    if (st) return st;
    slot_append(gen, slot, tokens, t);
    return slot_prefill(gen, slot, tokens, t, logits);
}

static dc_status slots_step(dc_generator *gen, int n, const int32_t *slots, const int32_t *tokens, float *logits) {
    for (int i = 0; i < n; i++) {
        if (check_slot(gen, slots[i])) return DC_ERR_INVALID;
        for (int j = 0; j < i; j++)
            if (slots[j] == slots[i]) return dc_set_error(DC_ERR_INVALID, "generate: slot %d stepped twice in one step", slots[i]);
    }
    if (!gen->cached) { /* each window is a forward of its own */
        for (int i = 0; i < n; i++) {
            dc_status st = slot_feed(gen, slots[i], tokens + i, 1, logits + (int64_t)i * gen->V);
            if (st) return st;
        }
        return DC_OK;
    }
    int64_t *pos = malloc(sizeof(int64_t) * (size_t)(n > 0 ? n : 1));
    if (!pos) return dc_set_error(DC_ERR_NOMEM, "generate: out of memory");
    dc_status st = DC_OK;
    for (int i = 0; i < n && !st; i++) st = slot_slide(gen, slots[i], 1);
    for (int i = 0; i < n && !st; i++) {
        slot_append(gen, slots[i], tokens + i, 1);
        pos[i] = gen->spos[slots[i]];
    }
    const int64_t group = GEN_RUN_FLOATS / gen->V > 1 ? GEN_RUN_FLOATS / gen->V : 1;
    for (int64_t r = 0; r < n && !st; r += group) {
        const int64_t k = r + group < n ? group : n - r;
        st = run_slots(gen, slots + r, pos + r, tokens + r, k, 1, logits + r * gen->V);
    }
    for (int i = 0; i < n && !st; i++) gen->spos[slots[i]]++;
    free(pos);
    return st;
}

void dc_generator_slot_reset(dc_generator *gen, int slot) {
    if (slot >= 0 && slot < gen->N) gen->slen[slot] = gen->spos[slot] = 0;
}

dc_status dc_generator_slot_feed(dc_generator *gen, int slot, const int32_t *tokens, int64_t t, float *logits) {
    const int saved = dc_threads_local(gen->threads);
    dc_status st = slot_feed(gen, (int32_t)slot, tokens, t, logits);
    dc_threads_local(saved);
    return st;
}

dc_status dc_generator_slots_step(dc_generator *gen, int n, const int32_t *slots, const int32_t *tokens, float *logits) {
    if (n < 1 || n > gen->N) return dc_set_error(DC_ERR_INVALID, "generate: %d slots in one step (1 to %lld)", n, (long long)gen->N);
    const int saved = dc_threads_local(gen->threads);
    dc_status st = slots_step(gen, n, slots, tokens, logits);
    dc_threads_local(saved);
    return st;
}

void dc_generator_set_threads(dc_generator *gen, int threads) { gen->threads = threads > 0 ? threads : 0; }

dc_status dc_generator_feed(dc_generator *gen, const int32_t *tokens, int64_t t, float *logits) {
    const int saved = dc_threads_local(gen->threads);
    dc_status st = feed(gen, tokens, t, logits);
    dc_threads_local(saved);
    return st;
}
