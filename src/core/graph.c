/* graph.c — the arena every step allocates from, the tape ops record on,
 * and dc_backward, which replays the tape in reverse.
 *
 * Why a tape and an arena (not a static graph): loops written in C (RNN time
 * steps, generation) just call ops; after the first step the arena has grown
 * to the step's size and is reused, so the steady state mallocs nothing. */
#include "internal.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct chunk {
    struct chunk *next;
    size_t size, used;
    unsigned char *mem;
} chunk;

struct dc_graph {
    chunk *chunks;          /* newest first                                 */
    size_t total;           /* bytes held by all chunks                     */
    dc_tensor **tape;       /* tensors that require grad, in creation order */
    size_t ntape, cap_tape;
    int training;
    int no_grad;            /* set: ops record nothing (inference)          */
    dc_status failed;       /* an allocation or an op's backward failed: the
                               error is set, dc_backward returns it          */
    size_t high;            /* most bytes in use at once before a release    */
    dc_rng *rng;
    dc_graph_term *terms;   /* named scalars of the last loss (a VAE's KL):
                               the caller's, never the model's               */
    int nterms, cap_terms;
    int tracing;            /* record every op (dc_graph_set_trace)          */
    dc_trace_node *trace;
    int ntrace, cap_trace;
    struct {                /* the batch's named tensors (dc_graph_feed)     */
        char name[32];
        dc_tensor *t;
    } feeds[DC_GRAPH_MAX_FEEDS];
    int nfeeds;
    void (*grad_hook)(const dc_tensor *leaf, void *user); /* dc_graph_set_grad_hook */
    void *grad_hook_user;
    struct leaf_use { const dc_tensor *leaf; size_t first; } *uses; /* an open-addressed map: leaf -> the first tape entry reading it */
    size_t cap_uses;
};

#define ALIGN 64

static chunk *chunk_new(size_t size) {
    chunk *c = malloc(sizeof *c);
    if (!c) return NULL;
    c->mem = aligned_alloc(ALIGN, (size + ALIGN - 1) / ALIGN * ALIGN);
    if (!c->mem) {
        free(c);
        return NULL;
    }
    c->size = size;
    c->used = 0;
    c->next = NULL;
    return c;
}

dc_graph *dc_graph_new(void) {
    dc_graph *g = calloc(1, sizeof *g);
    if (!g) {
        dc_set_error(DC_ERR_NOMEM, "graph: out of memory");
        return NULL;
    }
    g->chunks = chunk_new(1 << 20);
    if (!g->chunks) {
        free(g);
        dc_set_error(DC_ERR_NOMEM, "graph: out of memory");
        return NULL;
    }
    g->total = g->chunks->size;
    return g;
}

static void free_chunks(chunk *c) {
    while (c) {
        chunk *n = c->next;
        free(c->mem);
        free(c);
        c = n;
    }
}

void dc_graph_free(dc_graph *g) {
    if (!g) return;
    free_chunks(g->chunks);
    free(g->tape);
    free(g->terms);
    free(g->trace);
    free(g->uses);
    free(g);
}

void dc_graph_reset(dc_graph *g) {
    if (!g) return;
    size_t total = 0;
    for (chunk *c = g->chunks; c; c = c->next) total += c->used; /* what the step used, not the chunks' tails */
    if (g->high > total) total = g->high;                        /* (its peak, when parts were released) */
    g->high = 0;
    if (g->chunks && (g->chunks->next || total > g->chunks->size)) {
        /* the step outgrew the arena: replace the chunks by one that holds
         * everything, so the next identical step fits without a malloc.
         * The old chunks go first, so peak memory is one arena, not two. */
        total += total / 8;
        free_chunks(g->chunks);
        g->chunks = chunk_new(total);
        if (!g->chunks) g->chunks = chunk_new(1 << 20); /* keep a usable (small) arena */
        g->total = g->chunks ? g->chunks->size : 0;
    }
    if (g->chunks) g->chunks->used = 0;
    g->ntape = 0;
    g->nterms = 0;
    g->ntrace = 0;
    g->nfeeds = 0;
}

void dc_graph_set_trace(dc_graph *g, int on) { g->tracing = on != 0; }
int dc_graph_tracing(const dc_graph *g) { return g->tracing; }
int dc_graph_trace_count(const dc_graph *g) { return g->ntrace; }
const dc_trace_node *dc_graph_trace_node(const dc_graph *g, int i) { return i >= 0 && i < g->ntrace ? &g->trace[i] : NULL; }

static void trace_record(dc_graph *g, const dc_op_def *op, dc_tensor *t, dc_tensor *const *srcs, int nsrc) {
    if (g->ntrace == g->cap_trace) {
        int cap = g->cap_trace ? 2 * g->cap_trace : 64;
        dc_trace_node *n = realloc(g->trace, sizeof *n * (size_t)cap);
        if (!n) { /* a trace that misses a node would be wrong: fail the graph */
            g->failed = DC_ERR_NOMEM;
            return;
        }
        g->trace = n;
        g->cap_trace = cap;
    }
    dc_trace_node *n = &g->trace[g->ntrace++];
    memset(n, 0, sizeof *n);
    n->op = op->id;
    n->nin = nsrc < DC_TRACE_MAX_IN ? nsrc : DC_TRACE_MAX_IN;
    for (int i = 0; i < n->nin; i++) n->in[i] = srcs[i];
    n->out = t;
}

/* The node that made out: nearly always the last one. */
static dc_trace_node *trace_find(dc_graph *g, const dc_tensor *out) {
    for (int i = g->ntrace - 1; i >= 0; i--)
        if (g->trace[i].out == out) return &g->trace[i];
    return NULL;
}

void dc_trace_attrs(dc_graph *g, const dc_tensor *out, const dc_op_attrs *a) {
    dc_trace_node *n = g->tracing && out ? trace_find(g, out) : NULL;
    if (n) n->a = *a;
}

void dc_trace_input(dc_graph *g, const dc_tensor *out, int slot, const dc_tensor *t) {
    dc_trace_node *n = g->tracing && out && slot < DC_TRACE_MAX_IN ? trace_find(g, out) : NULL;
    if (!n) return;
    n->in[slot] = t;
    if (n->nin <= slot) n->nin = slot + 1;
}

void dc_graph_set_training(dc_graph *g, int training) { g->training = training; }
void dc_graph_set_grad_enabled(dc_graph *g, int enabled) { g->no_grad = !enabled; }
int dc_graph_training(const dc_graph *g) { return g->training; }
void dc_graph_set_rng(dc_graph *g, dc_rng *rng) { g->rng = rng; }
dc_rng *dc_graph_rng(dc_graph *g) { return g->rng; }
size_t dc_graph_arena_bytes(const dc_graph *g) { return g->total; }

void *dc_arena_alloc_raw(dc_graph *g, size_t bytes) {
    bytes = (bytes + ALIGN - 1) / ALIGN * ALIGN;
    if (bytes == 0) bytes = ALIGN;
    chunk *c = g->chunks;
    if (!c || c->used + bytes > c->size) {
        size_t size = c && c->size * 2 > bytes ? c->size * 2 : bytes;
        chunk *n = chunk_new(size);
        if (!n) {
            dc_set_error(DC_ERR_NOMEM, "graph: out of memory (%zu bytes)", bytes);
            g->failed = DC_ERR_NOMEM;
            return NULL;
        }
        n->next = c;
        g->chunks = n;
        g->total += size;
        c = n;
    }
    void *p = c->mem + c->used;
    c->used += bytes;
    return p;
}

void dc_graph_fail(dc_graph *g, dc_status st) { g->failed = st; }

int dc_graph_grad_enabled(const dc_graph *g) { return !g->no_grad; }

dc_arena_mark dc_arena_mark_now(dc_graph *g) {
    dc_arena_mark m = {g->chunks, g->chunks ? g->chunks->used : 0};
    return m;
}

void dc_arena_release(dc_graph *g, dc_arena_mark m) {
    size_t used = 0;
    for (chunk *c = g->chunks; c; c = c->next) used += c->used;
    if (used > g->high) g->high = used;
    while (g->chunks && g->chunks != m.chunk) { /* chunks opened since the mark go */
        chunk *c = g->chunks;
        g->chunks = c->next;
        g->total -= c->size;
        free(c->mem);
        free(c);
    }
    if (g->chunks) g->chunks->used = m.used;
}

void *dc_arena_alloc(dc_graph *g, size_t bytes) {
    void *p = dc_arena_alloc_raw(g, bytes);
    if (p) memset(p, 0, bytes);
    return p;
}

static dc_tensor *arena_tensor(dc_graph *g, dc_dtype dtype, int ndim, const int64_t *shape, int zero) {
    if (ndim < 0 || ndim > DC_MAX_DIMS) {
        dc_set_error(DC_ERR_INVALID, "tensor: %d dimensions (at most %d)", ndim, DC_MAX_DIMS);
        return NULL;
    }
    int64_t size = dc_shape_size(ndim, shape);
    if (size < 0 || size > INT64_MAX / 8) {
        dc_set_error(DC_ERR_INVALID, "tensor: invalid or overflowing shape");
        return NULL;
    }
    dc_tensor *t = dc_arena_alloc(g, sizeof *t + sizeof(struct dc_autograd)); /* the private record right after it */
    if (!t) return NULL;
    t->ag = (struct dc_autograd *)(t + 1);
    t->ndim = ndim;
    memcpy(t->shape, shape, sizeof(int64_t) * (size_t)ndim);
    t->size = size;
    t->dtype = dtype;
    t->ag->graph = g;
    size_t es = dc_dtype_size(dtype), bytes = (size_t)size * es;
    if (!es) {
        dc_set_error(DC_ERR_INVALID, "tensor: unknown dtype %d", (int)dtype);
        return NULL;
    }
    void *p = zero ? dc_arena_alloc(g, bytes) : dc_arena_alloc_raw(g, bytes);
    if (!p) return NULL;
    dc_tensor_point(t, p);
    return t;
}

dc_status dc_graph_add_term(dc_graph *g, const char *name, dc_tensor *t) {
    if (!t || t->size != 1 || t->dtype != DC_F32) return dc_set_error(DC_ERR_INVALID, "%s: a loss term must be a float scalar", name);
    if (g->nterms == g->cap_terms) { /* grows once: the steady state allocates nothing */
        int cap = g->cap_terms ? 2 * g->cap_terms : 8;
        dc_graph_term *p = realloc(g->terms, sizeof *p * (size_t)cap);
        if (!p) return dc_set_error(DC_ERR_NOMEM, "graph: out of memory");
        g->terms = p;
        g->cap_terms = cap;
    }
    dc_graph_term *p = &g->terms[g->nterms++];
    snprintf(p->name, sizeof p->name, "%s", name);
    p->t = t;
    return DC_OK;
}

dc_graph_term *dc_graph_terms(dc_graph *g, int *n) {
    *n = g->nterms;
    return g->terms;
}

void dc_graph_clear_terms(dc_graph *g) { g->nterms = 0; }

dc_status dc_graph_feed(dc_graph *g, const char *name, dc_tensor *t) {
    if (!name || !*name || strlen(name) >= sizeof g->feeds[0].name || !t)
        return dc_set_error(DC_ERR_INVALID, "feed: a name of 1 to %zu characters and a tensor", sizeof g->feeds[0].name - 1);
    for (int i = 0; i < g->nfeeds; i++)
        if (!strcmp(g->feeds[i].name, name)) { /* fed again: the new tensor */
            g->feeds[i].t = t;
            return DC_OK;
        }
    if (g->nfeeds == DC_GRAPH_MAX_FEEDS)
        return dc_set_error(DC_ERR_INVALID, "feed \"%s\": a batch holds at most %d named tensors", name, DC_GRAPH_MAX_FEEDS);
    snprintf(g->feeds[g->nfeeds].name, sizeof g->feeds[0].name, "%s", name);
    g->feeds[g->nfeeds++].t = t;
    return DC_OK;
}

dc_tensor *dc_graph_fed(const dc_graph *g, const char *name) {
    for (int i = 0; g && i < g->nfeeds; i++)
        if (!strcmp(g->feeds[i].name, name)) return g->feeds[i].t;
    return NULL;
}

int dc_graph_num_loss_parts(const dc_graph *g) { return g && g->nterms > 1 ? g->nterms : 0; }

const char *dc_graph_loss_part(const dc_graph *g, int i, double *value) {
    if (!g || i < 0 || i >= g->nterms) return NULL;
    if (value) *value = g->terms[i].t->data[0];
    return g->terms[i].name;
}

dc_tensor *dc_input(dc_graph *g, dc_dtype dtype, int ndim, const int64_t *shape) {
    return arena_tensor(g, dtype, ndim, shape, 1);
}

dc_tensor *dc_op_output(dc_graph *g, const dc_op_def *op, int ndim, const int64_t *shape,
                        dc_tensor *const *srcs, int nsrc) {
    return dc_op_output_typed(g, op, DC_F32, ndim, shape, srcs, nsrc);
}

dc_tensor *dc_op_output_typed(dc_graph *g, const dc_op_def *op, dc_dtype dtype, int ndim, const int64_t *shape,
                              dc_tensor *const *srcs, int nsrc) {
    dc_tensor *t = arena_tensor(g, dtype, ndim, shape, 0);
    if (!t) return NULL;
    t->ag->op = op;
    if (g->tracing) trace_record(g, op, t, srcs, nsrc);
    if (dtype != DC_F32) return t; /* gradients are floats: nothing to remember */
    int rg = 0;
    for (int i = 0; i < nsrc; i++) rg |= srcs[i]->requires_grad;
    if (!rg || g->no_grad) return t; /* inference: nothing to remember */
    t->ag->src = dc_arena_alloc_raw(g, sizeof(dc_tensor *) * (size_t)nsrc);
    if (!t->ag->src) return NULL;
    memcpy(t->ag->src, srcs, sizeof(dc_tensor *) * (size_t)nsrc);
    t->ag->nsrc = nsrc;
    t->requires_grad = 1;
    if (g->ntape == g->cap_tape) {
        size_t cap = g->cap_tape ? g->cap_tape * 2 : 256;
        dc_tensor **nt = realloc(g->tape, cap * sizeof *nt);
        if (!nt) {
            dc_set_error(DC_ERR_NOMEM, "graph: out of memory for the tape");
            return NULL;
        }
        g->tape = nt;
        g->cap_tape = cap;
    }
    g->tape[g->ntape++] = t;
    return t;
}

float *dc_grad_of(dc_graph *g, dc_tensor *t) {
    if (!t->grad) t->grad = dc_arena_alloc(g, (size_t)t->size * sizeof(float));
    return t->grad;
}

void dc_graph_set_grad_hook(dc_graph *g, void (*fn)(const dc_tensor *leaf, void *user), void *user) {
    g->grad_hook = fn;
    g->grad_hook_user = user;
}

static int is_leaf(const dc_tensor *t) { return t->requires_grad && (!t->ag || !t->ag->op); }

static size_t leaf_slot(const dc_graph *g, const dc_tensor *t) {
    size_t h = ((uintptr_t)t >> 4) * 0x9E3779B97F4A7C15ULL, mask = g->cap_uses - 1;
    for (h &= mask; g->uses[h].leaf && g->uses[h].leaf != t; h = (h + 1) & mask) {}
    return h;
}

/* For the grad hook: each leaf's first reader on the tape (the backward
 * walks the tape down, so the leaf is complete once that entry is past).
 * The map is sized for every input of the tape, at most half full. */
static dc_status map_first_uses(dc_graph *g) {
    size_t inputs = 0;
    for (size_t k = 0; k < g->ntape; k++) inputs += g->tape[k]->ag ? (size_t)g->tape[k]->ag->nsrc : 0;
    size_t cap = 64;
    while (cap < 2 * inputs) cap *= 2;
    if (cap > g->cap_uses) {
        free(g->uses);
        g->cap_uses = 0;
        if (!(g->uses = malloc(sizeof *g->uses * cap))) return dc_set_error(DC_ERR_NOMEM, "backward: out of memory");
        g->cap_uses = cap;
    }
    memset(g->uses, 0, sizeof *g->uses * g->cap_uses);
    for (size_t k = g->ntape; k-- > 0;) { /* downwards: the last write is the first reader */
        const struct dc_autograd *ag = g->tape[k]->ag;
        for (int i = 0; ag && i < ag->nsrc; i++)
            if (is_leaf(ag->src[i])) g->uses[leaf_slot(g, ag->src[i])] = (struct leaf_use){ag->src[i], k};
    }
    return DC_OK;
}

/* The leaves whose first reader is tape entry k: complete now. */
static void leaves_done(dc_graph *g, size_t k) {
    const struct dc_autograd *ag = g->tape[k]->ag;
    for (int i = 0; ag && i < ag->nsrc; i++) {
        const dc_tensor *s = ag->src[i];
        if (!is_leaf(s)) continue;
        struct leaf_use *u = &g->uses[leaf_slot(g, s)];
        if (u->first == k) {
            u->first = SIZE_MAX; /* named once, though read twice by this entry */
            g->grad_hook(s, g->grad_hook_user);
        }
    }
}

dc_status dc_backward(dc_graph *g, dc_tensor *loss) {
    if (!loss || loss->dtype != DC_F32) return dc_set_error(DC_ERR_INVALID, "backward: needs a float tensor");
    if (!loss->requires_grad) return dc_set_error(DC_ERR_INVALID, "backward: nothing in this graph requires grad");
    g->failed = DC_OK;
    float *seed = dc_grad_of(g, loss);
    if (!seed) return DC_ERR_NOMEM;
    for (int64_t i = 0; i < loss->size; i++) seed[i] = 1.0f;
    dc_status st;
    if (g->grad_hook && (st = map_first_uses(g))) return st;
    for (size_t k = g->ntape; k-- > 0;) {
        dc_tensor *t = g->tape[k];
        if (t->grad && t->ag->op && t->ag->op->backward) {
            /* make sure every input that needs a gradient has a buffer */
            for (int i = 0; i < t->ag->nsrc; i++)
                if (t->ag->src[i]->requires_grad && !dc_grad_of(g, t->ag->src[i])) return DC_ERR_NOMEM;
            t->ag->op->backward(g, t);
            /* an op that could not finish (its scratch memory, a second pass
             * through state it consumed) leaves gradients that must not be used */
            if (g->failed) return g->failed;
        }
        if (g->grad_hook) leaves_done(g, k);
    }
    return DC_OK;
}
