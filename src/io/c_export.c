/* c_export.c — a model as one dependency-free C99 file and its header
 * (deepc export --format c): the weights as static const arrays (float, or
 * int8 with their scales), one static scratch buffer, and
 * int PREFIX_predict(const float *in, float *out) (token-id models:
 * PREFIX_predict_ids(const int32_t *ids, float *out)) that runs the ops of
 * one sample in order, calling the kernels of c_kernels.c it needs.
 *
 * As the ONNX exporter, it does not switch on layer kinds: the model is
 * traced at batch 1 and each recorded op becomes one kernel call. The
 * scratch buffer is planned from the ops' lifetimes (a value's floats are
 * reused once its last reader has run), so its size is the most the model
 * holds at once, not the sum of its layers. Transformers (attention) are
 * not exported: an error names the layer. */
#include "../nn/model.h"
#include "c_export.h"
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    int alias;     /* the value it is a view of (a reshape, an identity), or -1 */
    int64_t off;   /* its floats in the scratch buffer (not aliases) */
    int64_t size;  /* floats */
    int last;      /* the last node that reads it (through its views) */
} value_plan;

typedef struct {
    const dc_model *m;
    dc_graph *g;
    dc_tensor *x, *y;
    int n, ids;
    value_plan *v;    /* per trace node */
    int *layer_of;
    const char **used; /* kernels, in the order first needed */
    int nused;
    int64_t scratch, work, qbytes; /* floats; floats of the rnn state; bytes of int8 activations */
    dc_strbuf data, body;
    int nparam;
    const dc_tensor **pkey; /* weights written so far, and their C names' numbers */
    int npkey, cappkey;
} cx;

static const dc_trace_node *node(const cx *c, int i) { return dc_graph_trace_node(c->g, i); }

static int index_of(const cx *c, const dc_tensor *t) {
    for (int i = 0; i < c->n; i++)
        if (node(c, i)->out == t) return i;
    return -1;
}

static dc_status refuse(const cx *c, int i, const char *why) {
    const dc_layer *l = c->m->nodes[c->layer_of[i]];
    return dc_set_error(DC_ERR_INVALID, "export: layer \"%s\" (%s): %s has no C form in deepc's exporter%s%s", l->name, l->type->keyword,
                        dc_op_name(node(c, i)->op), why ? ": " : "", why ? why : "");
}

static void use(cx *c, const char *k) {
    for (int i = 0; i < c->nused; i++)
        if (!strcmp(c->used[i], k)) return;
    c->used[c->nused++] = k;
}

/* ---- weights --------------------------------------------------------------------------- */

/* s for a C comment: '*' and '/' (which could close it) as '_' */
static const char *comment_safe(const char *s, char *buf, size_t n) {
    size_t k = 0;
    for (; s[k] && k + 1 < n; k++) buf[k] = s[k] == '*' || s[k] == '/' ? '_' : s[k];
    buf[k] = 0;
    return buf;
}

/* a float as a C literal that reads back to the same float */
static void put_float(dc_strbuf *b, float v) {
    char s[48];
    snprintf(s, sizeof s, "%.9g", (double)v);
    if (!strpbrk(s, ".eE")) strcat(s, ".0");
    dc_sb_printf(b, "%sf", s);
}

/* The number N of the constant array pN holding t (written once), or -1 out of memory. */
static int weight(cx *c, const dc_tensor *t, const char *what) {
    int id = -1;
    for (int i = 0; i < c->npkey; i++)
        if (c->pkey[i] == t) id = i;
    if (id < 0) {
        if (c->npkey == c->cappkey) {
            int cap = c->cappkey ? 2 * c->cappkey : 64;
            const dc_tensor **p = realloc(c->pkey, sizeof *p * (size_t)cap);
            if (!p) return -1;
            c->pkey = p, c->cappkey = cap;
        }
        id = c->npkey;
        c->pkey[c->npkey++] = t;
        const char *name = what;
        for (int j = 0; j < c->m->nnamed; j++)
            if (c->m->named[j].t == t) name = c->m->named[j].name;
        char shape[96], safe[128];
        dc_shape_str(t, shape, sizeof shape);
        dc_sb_printf(&c->data, "/* %s %s */\nstatic const %s p%d[%lld] = {", comment_safe(name, safe, sizeof safe), shape, t->dtype == DC_I8 ? "signed char" : "float", id,
                     (long long)(t->size ? t->size : 1));
        for (int64_t i = 0; i < t->size; i++) {
            if (i % 8 == 0) dc_sb_puts(&c->data, "\n   ");
            dc_sb_puts(&c->data, " ");
            if (t->dtype == DC_I8) dc_sb_printf(&c->data, "%d", ((const int8_t *)t->raw)[i]);
            else put_float(&c->data, t->data[i]);
            dc_sb_puts(&c->data, ",");
        }
        if (!t->size) dc_sb_puts(&c->data, "0");
        dc_sb_puts(&c->data, "\n};\n");
    }
    return id;
}

/* a float array of n values made here (a bias less its zero point's
 * share, a half weight as floats): its number, or -1. The tensor stays in
 * pkey until the end (freed with the exporter). */
static int made(cx *c, const float *v, int64_t n, const char *what) {
    dc_tensor *t = dc_tensor_new(DC_F32, 1, &n);
    if (!t) return -1;
    memcpy(t->data, v, sizeof(float) * (size_t)n);
    const int id = weight(c, t, what);
    if (id < 0) dc_tensor_free(t);
    return id;
}

/* ---- values ------------------------------------------------------------------------------- */

/* What a kernel reads for tensor t: the input, a weight, or a value. */
static const char *ref(cx *c, const dc_tensor *t, char *buf, size_t n) {
    if (t == c->x) return c->ids ? "ids" : "in";
    int k = index_of(c, t);
    if (k < 0) {
        const int id = t->dtype == DC_F32 || t->dtype == DC_I8 ? weight(c, t, "constant") : -1;
        if (id < 0) return NULL;
        snprintf(buf, n, "p%d", id);
        return buf;
    }
    while (c->v[k].alias >= 0) k = c->v[k].alias;
    if (c->v[k].alias == -2) return c->ids ? "ids" : "in"; /* a view of the input */
    snprintf(buf, n, "(scratch + %lld)", (long long)c->v[k].off);
    return buf;
}

/* The lifetimes and places of the values: views share their source's
 * floats; first fit among the places free at each op. */
static dc_status plan(cx *c) {
    for (int i = 0; i < c->n; i++) {
        const dc_trace_node *nd = node(c, i);
        c->v[i].alias = -1;
        c->v[i].size = nd->out->size;
        c->v[i].last = i;
        if (nd->op == DC_OP_RESHAPE || nd->op == DC_OP_DROPOUT || nd->op == DC_OP_DROPOUT_CHANNELS) {
            const int s = nd->in[0] == c->x ? -2 : index_of(c, nd->in[0]);
            c->v[i].alias = s >= 0 ? s : -2; /* -2: a view of the input */
        }
        for (int k = 0; k < nd->nin; k++) {
            int s = nd->in[k] ? index_of(c, nd->in[k]) : -1;
            while (s >= 0) { /* reading a view reads its source */
                c->v[s].last = i;
                s = c->v[s].alias;
            }
        }
    }
    const int out = index_of(c, c->y);
    for (int s = out; s >= 0; s = c->v[s].alias) c->v[s].last = c->n; /* copied out at the end */
    int64_t *lo = malloc(sizeof(int64_t) * (size_t)(c->n + 1)), *hi = malloc(sizeof(int64_t) * (size_t)(c->n + 1));
    int *who = malloc(sizeof(int) * (size_t)(c->n + 1)), live = 0;
    if (!lo || !hi || !who) {
        free(lo), free(hi), free(who);
        return dc_set_error(DC_ERR_NOMEM, "export: out of memory");
    }
    for (int i = 0; i < c->n; i++) {
        for (int j = 0; j < live;) /* free what no later op reads */
            if (c->v[who[j]].last < i) {
                lo[j] = lo[live - 1], hi[j] = hi[live - 1], who[j] = who[live - 1];
                live--;
            } else {
                j++;
            }
        if (c->v[i].alias != -1) continue;
        int64_t at = 0; /* the lowest offset past which size floats are free */
        for (int moved = 1; moved;) {
            moved = 0;
            for (int j = 0; j < live; j++)
                if (at < hi[j] && lo[j] < at + c->v[i].size) at = hi[j], moved = 1;
        }
        c->v[i].off = at;
        lo[live] = at, hi[live] = at + c->v[i].size, who[live++] = i;
        if (at + c->v[i].size > c->scratch) c->scratch = at + c->v[i].size;
    }
    free(lo), free(hi), free(who);
    return DC_OK;
}

/* ---- ops ------------------------------------------------------------------------------------ */

enum { MAP_EXP, MAP_LOG, MAP_SQRT, MAP_ABS, MAP_POW, MAP_CLAMP, MAP_RELU, MAP_LEAKY_RELU, MAP_SIGMOID, MAP_TANH, MAP_GELU, MAP_GELU_TANH, MAP_ADD, MAP_MUL };

static int map_op(dc_op_id op) {
    switch (op) {
    case DC_OP_EXP: return MAP_EXP;
    case DC_OP_LOG: return MAP_LOG;
    case DC_OP_SQRT: return MAP_SQRT;
    case DC_OP_ABS: return MAP_ABS;
    case DC_OP_POW: return MAP_POW;
    case DC_OP_CLAMP: return MAP_CLAMP;
    case DC_OP_RELU: return MAP_RELU;
    case DC_OP_LEAKY_RELU: return MAP_LEAKY_RELU;
    case DC_OP_SIGMOID: return MAP_SIGMOID;
    case DC_OP_TANH: return MAP_TANH;
    case DC_OP_GELU: return MAP_GELU;
    case DC_OP_GELU_TANH: return MAP_GELU_TANH;
    case DC_OP_ADD_SCALAR: return MAP_ADD;
    case DC_OP_MUL_SCALAR: return MAP_MUL;
    default: return -1;
    }
}

/* outer x n x inner around axis a */
static void around(const dc_tensor *t, int a, int64_t *o, int64_t *n, int64_t *in) {
    *o = *in = 1;
    for (int d = 0; d < a; d++) *o *= t->shape[d];
    for (int d = a + 1; d < t->ndim; d++) *in *= t->shape[d];
    *n = t->shape[a];
}

/* does b's shape end a's (its values repeat over a's leading dimensions)? */
static int suffix_of(const dc_tensor *a, const dc_tensor *b) {
    int da = a->ndim, db = b->ndim;
    while (db > 0 && b->shape[0] == 1 && db > da) db--; /* (unreachable in practice: deepc keeps shapes tidy) */
    for (int k = 1; k <= db; k++) {
        const int64_t sa = k <= da ? a->shape[da - k] : 1, sb = b->shape[b->ndim - k];
        if (sa != sb) return 0;
    }
    return 1;
}

#define LL(v) ((long long)(v))

static dc_status emit(cx *c, int i) {
    const dc_trace_node *nd = node(c, i);
    const dc_op_attrs *a = &nd->a;
    const dc_tensor *X = nd->in[0], *Z = nd->out;
    char b0[64], b1[64], b2[64], b3[64], b4[64], b5[64], yb[64];
    const char *r[6] = {NULL};
    char *bufs[6] = {b0, b1, b2, b3, b4, b5};
    /* the inputs a call reads (a half weight is converted here; a static product's input scale, zero point and bias
     * are folded here): written once each, so that no array goes unused */
    const int skip = nd->op == DC_OP_CAST ? 1 : nd->op == DC_OP_QLINEAR_STATIC ? 8 | 16 | 32 : 0;
    for (int k = 0; k < nd->nin && k < 6; k++)
        if (nd->in[k] && !(skip >> k & 1) && !(r[k] = ref(c, nd->in[k], bufs[k], 64))) return refuse(c, i, "a constant that is not float");
    if (c->v[i].alias != -1) return DC_OK; /* a view: nothing to compute */
    snprintf(yb, sizeof yb, "(scratch + %lld)", LL(c->v[i].off));
    const char *y = yb;
    dc_strbuf *o = &c->body;
    char lname[128];
    const char *L = comment_safe(c->m->nodes[c->layer_of[i]]->name, lname, sizeof lname);
    const int mop = map_op(nd->op);
    if (mop >= 0) {
        use(c, "k_map");
        dc_sb_printf(o, "    k_map(%s, %lld, %d, ", r[0], LL(Z->size), mop);
        put_float(o, a->f0);
        dc_sb_puts(o, ", ");
        put_float(o, a->f1);
        dc_sb_printf(o, ", %s); /* %s: %s */\n", y, L, dc_op_name(nd->op));
        return DC_OK;
    }
    switch (nd->op) {
    case DC_OP_ADD: case DC_OP_SUB: case DC_OP_MUL: case DC_OP_DIV: {
        const dc_tensor *B = nd->in[1];
        if (!(X->size >= B->size ? suffix_of(X, B) : suffix_of(B, X))) return refuse(c, i, "a broadcast other than over leading dimensions");
        use(c, "k_binary");
        dc_sb_printf(o, "    k_binary(%s, %lld, %s, %lld, %d, %s); /* %s */\n", r[0], LL(X->size), r[1], LL(B->size), nd->op - DC_OP_ADD, y, L);
        return DC_OK;
    }
    case DC_OP_LINEAR: {
        const dc_tensor *W = nd->in[1];
        if (W->dtype != DC_F32) return refuse(c, i, "a weight that is not float");
        use(c, "k_linear");
        dc_sb_printf(o, "    k_linear(%s, %lld, %lld, %s, %s, %lld, %s); /* %s */\n", r[0], LL(X->size / W->shape[1]), LL(W->shape[1]), r[1],
                     nd->nin > 2 && r[2] ? r[2] : "0", LL(W->shape[0]), y, L);
        return DC_OK;
    }
    case DC_OP_SOFTMAX: case DC_OP_LOG_SOFTMAX: {
        int64_t ou, n, in;
        around(X, a->axis, &ou, &n, &in);
        use(c, "k_softmax");
        dc_sb_printf(o, "    k_softmax(%s, %lld, %lld, %lld, %d, %s); /* %s */\n", r[0], LL(ou), LL(n), LL(in), nd->op == DC_OP_LOG_SOFTMAX, y, L);
        return DC_OK;
    }
    case DC_OP_SUM: case DC_OP_MEAN: case DC_OP_MAX: {
        int64_t ou = 1, n = X->size, in = 1;
        if (a->axis >= 0) around(X, a->axis, &ou, &n, &in);
        use(c, "k_reduce");
        dc_sb_printf(o, "    k_reduce(%s, %lld, %lld, %lld, %d, %s); /* %s */\n", r[0], LL(ou), LL(n), LL(in), nd->op - DC_OP_SUM, y, L);
        return DC_OK;
    }
    case DC_OP_CONCAT: {
        int64_t ou, n, in, off = 0;
        around(Z, a->axis, &ou, &n, &in);
        use(c, "k_copy");
        for (int k = 0; k < nd->nin; k++) {
            char bk[64];
            const char *s = k < 6 ? r[k] : ref(c, nd->in[k], bk, sizeof bk);
            if (!s) return refuse(c, i, "a constant that is not float");
            const int64_t w = nd->in[k]->shape[a->axis] * in;
            dc_sb_printf(o, "    k_copy(%s, %lld, %lld, %lld, 0, %lld, %lld, %s); /* %s */\n", s, LL(ou), LL(w), LL(w), LL(n * in), LL(off), y, L);
            off += w;
        }
        return DC_OK;
    }
    case DC_OP_SLICE: {
        int64_t ou, n, in;
        around(X, a->axis, &ou, &n, &in);
        use(c, "k_copy");
        const int64_t w = (a->end - a->start) * in;
        dc_sb_printf(o, "    k_copy(%s, %lld, %lld, %lld, %lld, %lld, 0, %s); /* %s */\n", r[0], LL(ou), LL(w), LL(n * in), LL(a->start * in), LL(w), y, L);
        return DC_OK;
    }
    case DC_OP_TRANSPOSE: {
        if (X->ndim > 8) return refuse(c, i, "more than 8 dimensions");
        use(c, "k_transpose");
        dc_sb_printf(o, "    { static const long dims[] = {");
        for (int d = 0; d < X->ndim; d++) dc_sb_printf(o, "%s%lld", d ? ", " : "", LL(X->shape[d]));
        dc_sb_printf(o, "}; k_transpose(%s, %d, dims, %d, %d, %s); } /* %s */\n", r[0], X->ndim, a->axis, a->axis2, y, L);
        return DC_OK;
    }
    case DC_OP_CONV2D: {
        const dc_tensor *W = nd->in[1];
        const dc_conv_params *p = &a->conv;
        if (W->dtype != DC_F32) return refuse(c, i, "a kernel that is not float");
        use(c, "k_conv2d");
        dc_sb_printf(o, "    k_conv2d(%s, %lld, %lld, %lld, %s, %lld, %lld, %lld, %s, %d, %d, %d, %d, %d, %d, %d, %s, %lld, %lld); /* %s */\n", r[0],
                     LL(X->shape[1]), LL(X->shape[2]), LL(X->shape[3]), r[1], LL(W->shape[0]), LL(W->shape[2]), LL(W->shape[3]),
                     nd->nin > 2 && r[2] ? r[2] : "0", p->stride_h, p->stride_w, p->pad_top, p->pad_left, p->dil_h, p->dil_w, p->groups, y,
                     LL(Z->shape[2]), LL(Z->shape[3]), L);
        return DC_OK;
    }
    case DC_OP_MAXPOOL2D: case DC_OP_AVGPOOL2D:
        use(c, "k_pool2d");
        dc_sb_printf(o, "    k_pool2d(%d, %s, %lld, %lld, %lld, %d, %d, %d, %d, %d, %d, %s, %lld, %lld); /* %s */\n", nd->op == DC_OP_MAXPOOL2D, r[0],
                     LL(X->shape[0] * X->shape[1]), LL(X->shape[2]), LL(X->shape[3]), a->kh, a->kw, a->conv.stride_h, a->conv.stride_w,
                     a->conv.pad_top, a->conv.pad_left, y, LL(Z->shape[2]), LL(Z->shape[3]), L);
        return DC_OK;
    case DC_OP_PAD2D:
        use(c, "k_pad2d");
        dc_sb_printf(o, "    k_pad2d(%s, %lld, %lld, %lld, %d, %d, %s, %lld, %lld); /* %s */\n", r[0], LL(X->shape[0] * X->shape[1]), LL(X->shape[2]),
                     LL(X->shape[3]), a->conv.pad_top, a->conv.pad_left, y, LL(Z->shape[2]), LL(Z->shape[3]), L);
        return DC_OK;
    case DC_OP_BATCHNORM:
        if (a->flag || nd->nin < 5 || !nd->in[1] || !nd->in[2]) return refuse(c, i, "batch statistics or no scale and shift");
        use(c, "k_batchnorm");
        dc_sb_puts(o, "    k_batchnorm(");
        dc_sb_printf(o, "%s, %lld, %lld, %s, %s, %s, %s, ", r[0], LL(X->shape[1]), LL(X->size / X->shape[0] / X->shape[1]), r[3], r[4], r[1], r[2]);
        put_float(o, a->f0);
        dc_sb_printf(o, ", %s); /* %s */\n", y, L);
        return DC_OK;
    case DC_OP_LAYER_NORM: {
        const int64_t C = X->shape[X->ndim - 1];
        use(c, "k_layer_norm");
        dc_sb_printf(o, "    k_layer_norm(%s, %lld, %lld, %s, %s, ", r[0], LL(X->size / C), LL(C), nd->nin > 1 && r[1] ? r[1] : "0",
                     nd->nin > 2 && r[2] ? r[2] : "0");
        put_float(o, a->f0);
        dc_sb_printf(o, ", %s); /* %s */\n", y, L);
        return DC_OK;
    }
    case DC_OP_EMBEDDING: {
        const dc_tensor *W = X;
        if (W->dtype != DC_F32) return refuse(c, i, "a table that is not float");
        use(c, "k_embedding");
        dc_sb_printf(o, "    if (k_embedding(%s, %lld, %lld, %s, %lld, %s)) return -1; /* %s: an id outside the vocabulary */\n", r[0],
                     LL(W->shape[0]), LL(W->shape[1]), r[1], LL(nd->in[1]->size), y, L);
        return DC_OK;
    }
    case DC_OP_RNN: {
        const int64_t T = X->shape[1], I = X->shape[2], H = Z->shape[2];
        const dc_tensor *mask = nd->nin > 5 ? nd->in[5] : NULL;
        if (nd->in[1]->dtype != DC_F32 || nd->in[2]->dtype != DC_F32) return refuse(c, i, "int8 recurrent matrices (export the float model)");
        if (mask && mask != c->x) return refuse(c, i, "a padding mask other than the token ids");
        use(c, "k_rnn");
        if (10 * H > c->work) c->work = 10 * H;
        dc_sb_printf(o, "    k_rnn(%d, %s, %lld, %lld, %lld, %s, %s, %s, %s, %d, %s, %s, work); /* %s */\n", a->kind, r[0], LL(T), LL(I), LL(H), r[1],
                     r[2], nd->nin > 3 && r[3] ? r[3] : "0", nd->nin > 4 && r[4] ? r[4] : "0", a->reverse, mask ? "ids" : "0", y, L);
        return DC_OK;
    }
    case DC_OP_RNN_LAST: case DC_OP_TIME_POOL: {
        const dc_tensor *mask = nd->nin > 1 ? nd->in[1] : NULL;
        if (mask && mask != c->x) return refuse(c, i, "a padding mask other than the token ids");
        use(c, "k_steps");
        const int op = nd->op == DC_OP_RNN_LAST ? 0 : a->flag ? 2 : 1;
        dc_sb_printf(o, "    k_steps(%s, %lld, %lld, %s, %d, %d, %s); /* %s */\n", r[0], LL(X->shape[1]), LL(X->shape[2]), mask ? "ids" : "0", op,
                     nd->op == DC_OP_RNN_LAST && a->reverse, y, L);
        return DC_OK;
    }
    case DC_OP_DEQUANTIZE:
        if (X->dtype != DC_I8) return refuse(c, i, "4-bit weights (export the int8 or float model)");
        use(c, "k_dequantize");
        dc_sb_printf(o, "    k_dequantize(%s, %s, %lld, %lld, %s); /* %s */\n", r[0], r[1], LL(X->shape[0]), LL(X->size / X->shape[0]), y, L);
        return DC_OK;
    case DC_OP_QLINEAR: {
        const dc_tensor *W = nd->in[1];
        if (W->dtype != DC_I8) return refuse(c, i, "4-bit weights (export the int8 or float model)");
        use(c, "k_quantize");
        use(c, "k_qlinear");
        if (W->shape[1] > c->qbytes) c->qbytes = W->shape[1];
        dc_sb_printf(o, "    k_qlinear(%s, %lld, %lld, %s, %s, %s, %lld, qbuf, %s); /* %s */\n", r[0], LL(X->size / W->shape[1]), LL(W->shape[1]), r[1],
                     r[2], nd->nin > 3 && r[3] ? r[3] : "0", LL(W->shape[0]), y, L);
        return DC_OK;
    }
    case DC_OP_QLINEAR_STATIC: {
        const dc_tensor *W = nd->in[1], *B = nd->nin > 5 ? nd->in[5] : NULL;
        const int64_t N = W->shape[0], K = W->shape[1];
        const float scale = nd->in[3]->data[0];
        const int zero = (int)nd->in[4]->data[0] - 128;
        /* the bias less the zero point's share, as deepc's op folds it (dc_k_zero_point_bias) */
        int32_t *wsum = malloc(sizeof(int32_t) * (size_t)N);
        float *cb = malloc(sizeof(float) * (size_t)N);
        if (!wsum || !cb) {
            free(wsum), free(cb);
            return dc_set_error(DC_ERR_NOMEM, "export: out of memory");
        }
        for (int64_t n = 0; n < N; n++) {
            int32_t s = 0;
            for (int64_t k = 0; k < K; k++) s += ((const int8_t *)W->raw)[n * K + k];
            wsum[n] = s;
        }
        if (zero) dc_k_zero_point_bias(N, zero, wsum, scale, nd->in[2]->data, B ? B->data : NULL, cb);
        else
            for (int64_t n = 0; n < N; n++) cb[n] = B ? B->data[n] : 0.0f;
        const int cbn = made(c, cb, N, "bias less the zero point's share");
        free(wsum), free(cb);
        if (cbn < 0) return dc_set_error(DC_ERR_NOMEM, "export: out of memory");
        char cbs[32];
        snprintf(cbs, sizeof cbs, "p%d", cbn);
        use(c, "k_qlinear_static");
        if (K > c->qbytes) c->qbytes = K;
        dc_sb_printf(o, "    k_qlinear_static(%s, %lld, %lld, ", r[0], LL(X->size / K), LL(K));
        put_float(o, scale);
        dc_sb_printf(o, ", %d, %s, %s, %s, %lld, qbuf, %s); /* %s */\n", zero, r[1], r[2], cbs, LL(N), y, L);
        return DC_OK;
    }
    case DC_OP_QCONV2D: {
        const dc_tensor *W = nd->in[1];
        const dc_conv_params *p = &a->conv;
        use(c, "k_quantize");
        use(c, "k_qconv2d");
        if (X->size / X->shape[0] > c->qbytes) c->qbytes = X->size / X->shape[0];
        dc_sb_printf(o, "    k_qconv2d(%s, %lld, %lld, %lld, %s, %s, %lld, %lld, %lld, %s, %d, %d, %d, %d, %d, %d, qbuf, %s, %lld, %lld); /* %s */\n",
                     r[0], LL(X->shape[1]), LL(X->shape[2]), LL(X->shape[3]), r[1], r[2], LL(W->shape[0]), LL(W->shape[2]), LL(W->shape[3]),
                     nd->nin > 3 && r[3] ? r[3] : "0", p->stride_h, p->stride_w, p->pad_top, p->pad_left, p->dil_h, p->dil_w, y, LL(Z->shape[2]),
                     LL(Z->shape[3]), L);
        return DC_OK;
    }
    case DC_OP_CAST: { /* a half-precision weight: written as floats */
        if (Z->dtype != DC_F32 || index_of(c, X) >= 0) return refuse(c, i, "a cast of a computed value");
        float *v = malloc(sizeof(float) * (size_t)(X->size ? X->size : 1));
        if (!v) return dc_set_error(DC_ERR_NOMEM, "export: out of memory");
        if (X->dtype == DC_F16) dc_k_f16_to_f32_n(X->raw, v, X->size);
        else if (X->dtype == DC_BF16) dc_k_bf16_to_f32_n(X->raw, v, X->size);
        else {
            free(v);
            return refuse(c, i, "a cast from this type");
        }
        const int w = made(c, v, X->size, "a half-precision weight as floats");
        free(v);
        if (w < 0) return dc_set_error(DC_ERR_NOMEM, "export: out of memory");
        use(c, "k_copy");
        dc_sb_printf(o, "    k_copy(p%d, 1, %lld, 0, 0, 0, 0, %s); /* %s: the weight as floats */\n", w, LL(X->size), y, L);
        return DC_OK;
    }
    default: return refuse(c, i, nd->op == DC_OP_ATTENTION ? "Transformers are not exported to C (export ONNX instead)" : NULL);
    }
}

/* ---- the files ------------------------------------------------------------------------------ */

static int ident_ok(const char *s) {
    if (!*s || isdigit((unsigned char)*s)) return 0;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && *s != '_') return 0;
    return 1;
}

static dc_status write_text(const char *path, const char *text, size_t n) {
    dc_atomic_file a;
    dc_status st = dc_atomic_open(&a, path);
    if (st) return st;
    if (fwrite(text, 1, n, a.f) != n) {
        dc_atomic_abort(&a);
        return dc_set_error(DC_ERR_IO, "%s: cannot write", path);
    }
    return dc_atomic_commit(&a);
}

static dc_status write_files(cx *c, const char *path, const char *prefix) {
    /* the header beside the .c: same name, .h */
    size_t n = strlen(path);
    if (n < 3 || strcmp(path + n - 2, ".c")) return dc_set_error(DC_ERR_INVALID, "export: the C file's name ends in .c (%s)", path);
    char *hpath = malloc(n + 1);
    if (!hpath) return dc_set_error(DC_ERR_NOMEM, "export: out of memory");
    memcpy(hpath, path, n + 1);
    hpath[n - 1] = 'h';
    const char *hbase = strrchr(hpath, '/') ? strrchr(hpath, '/') + 1 : hpath;
    char guard[160], up[80]; /* PREFIX_H; the macros PREFIX_INPUT_SIZE, ... in capitals */
    snprintf(up, sizeof up, "%s", prefix);
    for (char *g = up; *g; g++) *g = (char)toupper((unsigned char)*g);
    snprintf(guard, sizeof guard, "%s_H", up);
    const int64_t in_size = c->x->size, out_size = c->y->size;
    dc_strbuf h = {0}, f = {0};
    dc_sb_printf(&h, "/* %s — a deepc model as C99, written by deepc export --format c: no allocation, nothing beyond <math.h>.\n"
                     " * %s_predict%s runs one sample; it is not reentrant (one static scratch buffer: %s_SCRATCH_BYTES bytes). */\n"
                     "#ifndef %s\n#define %s\n%s\n"
                     "#define %s_INPUT_SIZE %lld   /* %s per sample */\n"
                     "#define %s_OUTPUT_SIZE %lld  /* floats per sample */\n"
                     "#define %s_SCRATCH_BYTES %lld\n",
                 hbase, prefix, c->ids ? "_ids" : "", up, guard, guard, c->ids ? "#include <stdint.h>\n" : "", up, LL(in_size),
                 c->ids ? "token ids" : "floats", up, LL(out_size), up, LL(4 * (c->scratch + c->work) + c->qbytes));
    if (c->ids)
        dc_sb_printf(&h, "/* out = the model on one sequence of %s_INPUT_SIZE token ids (0 is padding, after the tokens);\n"
                         " * 0, or -1 for an id outside the vocabulary */\nint %s_predict_ids(const int32_t *ids, float *out);\n",
                     up, prefix);
    else
        dc_sb_printf(&h, "/* out = the model on one sample of %s_INPUT_SIZE floats; returns 0 */\nint %s_predict(const float *in, float *out);\n", up,
                     prefix);
    dc_sb_printf(&h, "#endif\n");
    dc_sb_printf(&f, "/* %s — written by deepc export --format c. The model's description:\n", strrchr(path, '/') ? strrchr(path, '/') + 1 : path);
    for (const char *d = dc_model_description(c->m); *d;) { /* each line as a comment line ("*" and "/" kept apart) */
        const char *e = strchr(d, '\n');
        const size_t len = e ? (size_t)(e - d) : strlen(d);
        dc_sb_puts(&f, " *   ");
        for (size_t k = 0; k < len; k++) dc_sb_printf(&f, "%c", d[k] == '/' && k > 0 && d[k - 1] == '*' ? ' ' : d[k]);
        dc_sb_puts(&f, "\n");
        d += len + (e ? 1 : 0);
    }
    dc_sb_printf(&f, " */\n#include \"%s\"\n#include <math.h>\n#include <stdint.h> /* int32_t (a header, no library) */\n", hbase);
    dc_sb_puts(&f, "\nenum { MAP_EXP, MAP_LOG, MAP_SQRT, MAP_ABS, MAP_POW, MAP_CLAMP, MAP_RELU, MAP_LEAKY_RELU, MAP_SIGMOID, MAP_TANH, MAP_GELU,\n"
                   "       MAP_GELU_TANH, MAP_ADD, MAP_MUL };\nenum { BIN_ADD, BIN_SUB, BIN_MUL, BIN_DIV };\nenum { RED_SUM, RED_MEAN, RED_MAX };\n\n");
    dc_sb_put(&f, c->data.s ? c->data.s : "", c->data.n);
    dc_sb_printf(&f, "\n/* every value the model computes lives here while it is needed: %lld floats */\nstatic float scratch[%lld];\n",
                 LL(c->scratch), LL(c->scratch ? c->scratch : 1));
    if (c->work) dc_sb_printf(&f, "static float work[%lld]; /* a recurrent layer's state */\n", LL(c->work));
    if (c->qbytes) dc_sb_printf(&f, "static signed char qbuf[%lld]; /* int8 activations */\n", LL(c->qbytes));
    for (int k = 0; k < c->nused; k++) {
        const dc_c_kernel *kn = dc_c_kernel_find(c->used[k]);
        dc_sb_printf(&f, "\n%s", kn ? kn->source : "");
    }
    if (c->ids) dc_sb_printf(&f, "\nint %s_predict_ids(const int32_t *ids, float *out) {\n", prefix);
    else dc_sb_printf(&f, "\nint %s_predict(const float *in, float *out) {\n", prefix);
    dc_sb_puts(&f, "    long i;\n");
    dc_sb_put(&f, c->body.s ? c->body.s : "", c->body.n);
    char yb[64];
    const char *yr = ref(c, c->y, yb, sizeof yb);
    dc_sb_printf(&f, "    for (i = 0; i < %lld; i++) out[i] = %s[i];\n    return 0;\n}\n", LL(out_size), yr ? yr : "scratch");
    dc_status st = h.oom || f.oom ? dc_set_error(DC_ERR_NOMEM, "export: out of memory") : DC_OK;
    if (!st) st = write_text(hpath, h.s, h.n);
    if (!st) st = write_text(path, f.s, f.n);
    free(h.s), free(f.s), free(hpath);
    return st;
}

static dc_status export_c(cx *c, const char *path, const char *prefix) {
    int feed[DC_LAYER_MAX_INPUTS];
    if (dc_model_input_nodes(c->m, feed) != 1 || (c->m->noutputs ? c->m->noutputs : 1) != 1)
        return dc_set_error(DC_ERR_INVALID, "export: C export takes models of one input and one output");
    for (int i = 0; i < c->m->nnodes; i++)
        if (!strcmp(c->m->nodes[i]->type->keyword, "sampling"))
            return dc_set_error(DC_ERR_INVALID, "export: layer \"%s\" (sampling) draws noise: C export takes deterministic models",
                                c->m->nodes[i]->name);
    const dc_layer *in = c->m->nodes[feed[0]];
    for (int i = feed[0] + 1; i < c->m->nnodes; i++)
        for (int j = 0; j < c->m->nodes[i]->nin; j++)
            if (c->m->nodes[i]->in[j] == feed[0] && c->m->nodes[i]->type->reads_ids) c->ids = 1;
    int64_t shape[DC_MAX_DIMS + 1];
    shape[0] = 1;
    memcpy(shape + 1, in->out.d, sizeof(int64_t) * (size_t)in->out.ndim);
    if (!(c->g = dc_graph_new())) return dc_set_error(DC_ERR_NOMEM, "export: out of memory");
    dc_graph_set_grad_enabled(c->g, 0);
    dc_graph_set_trace(c->g, 1);
    if (!(c->x = dc_input(c->g, c->ids ? DC_I32 : DC_F32, in->out.ndim + 1, shape))) return DC_ERR_NOMEM;
    for (int64_t i = 0; i < c->x->size; i++)
        if (c->ids) c->x->idata[i] = 1;
        else c->x->data[i] = 0.5f;
    dc_value *vals;
    dc_status st = dc_model_run(c->m, c->g, 1, feed, &c->x, &vals);
    if (st) return st;
    c->y = vals[dc_model_output_node(c->m, 0)].y;
    c->n = dc_graph_trace_count(c->g);
    if (index_of(c, c->y) < 0) return dc_set_error(DC_ERR_INVALID, "export: the model's output is not made by an op (nothing to export)");
    c->v = calloc((size_t)c->n + 1, sizeof *c->v);
    c->layer_of = calloc((size_t)c->n + 1, sizeof *c->layer_of);
    c->used = calloc(64, sizeof *c->used);
    if (!c->v || !c->layer_of || !c->used) return dc_set_error(DC_ERR_NOMEM, "export: out of memory");
    int next = 0; /* which layer ran each op (for messages and comments) */
    for (int l = 0; l < c->m->nnodes && next < c->n; l++) {
        int end = -1;
        for (int i = next; i < c->n && vals[l].y; i++)
            if (node(c, i)->out == vals[l].y) end = i;
        for (int i = next; i <= end; i++) c->layer_of[i] = l;
        if (end >= 0) next = end + 1;
    }
    for (int i = next; i < c->n; i++) c->layer_of[i] = c->m->nnodes - 1;
    if ((st = plan(c))) return st;
    for (int i = 0; i < c->n; i++)
        if ((st = emit(c, i))) return st;
    if (c->data.oom || c->body.oom) return dc_set_error(DC_ERR_NOMEM, "export: out of memory");
    return write_files(c, path, prefix);
}

dc_status dc_model_export_c(const dc_model *m, const char *path, const char *prefix) {
    if (!m || !path) return dc_set_error(DC_ERR_INVALID, "export: needs a model and a path");
    if (!m->built) return dc_set_error(DC_ERR_INVALID, "export: the model is not built");
    if (!prefix) prefix = "model";
    if (!ident_ok(prefix) || strlen(prefix) > 64)
        return dc_set_error(DC_ERR_INVALID, "export: --name %s: a C identifier (letters, digits, _) of at most 64 characters", prefix);
    cx c = {.m = m};
    dc_status st = export_c(&c, path, prefix);
    for (int i = 0; i < c.npkey; i++) /* the arrays made here (not the model's, not the graph's) */
        if (c.pkey[i]->ag && c.pkey[i]->ag->owns_data && !c.pkey[i]->ag->graph) {
            int model = 0;
            for (int j = 0; j < m->nnamed; j++) model |= m->named[j].t == c.pkey[i];
            if (!model) dc_tensor_free((dc_tensor *)c.pkey[i]);
        }
    dc_graph_free(c.g);
    free(c.v), free(c.layer_of), free(c.used), free(c.pkey);
    free(c.data.s), free(c.body.s);
    return st;
}
