/* onnx_import.c — an ONNX graph as a deepc model (deepc import-onnx): a
 * description of layers, readable, and their weights, so that a model made
 * in PyTorch (torch.onnx.export) or exported by deepc comes in, predicts the
 * same, and trains on.
 *
 * The file is decoded by protobuf-c (its size bounded first, and every
 * tensor's bytes checked against its dims), the graph checked (one input,
 * one output, every value made before it is read: a cycle or a missing
 * value is an error naming the node), then its nodes are read in order and
 * each becomes a layer line, folds into the line before it (a bias, an
 * activation), or is a view that needs none (Identity, Flatten of a flat
 * value). The shape arithmetic PyTorch writes for a recurrent layer's
 * initial state (Shape, Gather, Concat, ConstantOfShape of zeros) is
 * followed as far as "zeros": deepc's states start at zero. Anything else
 * is an error naming the op and the node. */
#include "../nn/model.h"
#include "onnx_write.h"
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_FILE ((size_t)1 << 31) /* protobuf's own limit on one message */
#define MAX_LINES 4096

/* ---- the values ------------------------------------------------------------------------- */

typedef enum {
    V_NONE = 0,
    V_CONST,  /* an initializer or a Constant: data */
    V_SHAPE,  /* computed from shapes (PyTorch's bookkeeping): no data here */
    V_ZEROS,  /* ConstantOfShape of 0 (a recurrent layer's initial state) */
    V_ACT,    /* an activation: the output of a layer line */
    V_TMAJOR, /* an activation transposed to time-major (T, N, F): a recurrent op's input */
    V_RNN_Y,  /* a recurrent op's Y (T, 1, N, H) */
    V_RNN_YS, /* Y squeezed to (T, N, H) */
    V_RNN_H,  /* its Y_h (1, N, H) */
    V_PADB,   /* the token ids == 0 (a padding mask, as deepc exports it) */
    V_REALB,  /* its negation */
    V_REAL,   /* as floats */
    V_LENS,   /* the real steps per sequence (a recurrent op's sequence_lens) */
    V_EXPR,   /* part of an activation written as arithmetic (GELU from Erf or Tanh): expr of the activation x */
    V_TF,     /* a step of a Transformer block in progress (expr: its tf_stage; imp.tf holds the block) */
    V_MASKED, /* arithmetic on the padding mask (and an activation): a step of a pattern a deepc export closes with a hint */
} vkind;

/* the steps of GELU as ONNX graphs write it (deepc's export: x * 0.7071..., torch: x / 1.4142...) */
typedef enum { E_NONE, E_SCALED, E_ERF, E_ERF1, E_HALF, E_XERF1, E_SQ, E_CUBE, E_C3, E_INNER, E_S2, E_TANH, E_TANH1, E_XTANH1 } expr_kind;

typedef struct {
    const char *name;
    vkind kind;
    int line;                 /* V_ACT and the recurrent kinds: the line that makes it */
    int ndim;                 /* V_ACT: its ONNX dimensions past the batch */
    int64_t dims[DC_MAX_DIMS];
    const Onnx__TensorProto *t; /* V_CONST */
    int consumers;            /* nodes that read it */
    int half;                 /* a bidirectional recurrent line's reverse half (1) or forward one (0) */
    expr_kind expr;           /* V_EXPR: which step */
    const char *x;            /* V_EXPR: the activation it computes on */
} value;

typedef struct {
    char kw[32];        /* dense, conv2d, ... */
    char args[160];     /* its positional arguments and options */
    char act[24];       /* activation= (empty: none) */
    char inputs[256];   /* inputs= (empty: the line before) */
    int no_bias;        /* use_bias=false */
    int return_seq;     /* recurrent: return_sequences=true */
    int bidir, merge_sum, mask_zero; /* recurrent: bidirectional=true, merge_sum=true; embedding: mask_zero=true */
    int src;            /* recurrent: the line whose output it reads (-1: the input) */
    int src3;           /* reshape: of a 3-D (C, H, W) value into (C, H W) */
    int recorded;       /* read from a deepc export's record of the layer: its weights by name */
    char name[48];
} line;

typedef struct {
    int line;
    char what[48];      /* weight, bias, running_mean, ... */
    float *data;
    int64_t n;
} param;

typedef struct { /* name -> int, open addressing over a power-of-two table (the names are the graph's strings) */
    const char **key;
    int *val;
    size_t cap, n;
} name_tab;

typedef struct { /* a Transformer block being read (onnx_import.c, tf_step) */
    int ln1;                         /* the line of its first layer norm */
    const char *ln_in;               /* that norm's input: the block's input */
    const char *r1;                  /* the first residual sum */
    int64_t C, F, head_dim;
    int nslice;
    const Onnx__TensorProto *wqkv, *bqkv, *wo, *bo, *ln2g, *ln2b, *w1, *b1, *w2, *b2;
    float eps2;
} tf_block;

typedef struct {
    const char *path;
    Onnx__ModelProto *m;
    Onnx__GraphProto *g;
    value *v;
    int nv, capv;
    line *ln;
    int nln;
    param *p;
    int np, capp;
    const char *input;     /* the graph input's name */
    int ids;               /* the input is token ids */
    int64_t in_dims[DC_MAX_DIMS];
    int in_ndim;
    int64_t seq_hint;      /* the length a deepc export was traced at (metadata deepc.sequence_length), or 0 */
    tf_block tf;           /* the Transformer block being read, if any */
    name_tab names;        /* a value's name -> its latest index in v */
    name_tab readers;      /* a value's name -> how many nodes (and outputs) read it */
    name_tab inits;        /* an initializer's name -> its index in the graph */
    name_tab held;         /* a line's name -> how many lines hold it (taken, hold) */
    char **pool;           /* the copies of the names in held */
    int npool;
} imp;

static dc_status fail_node(const imp *s, const Onnx__NodeProto *n, const char *fmt, const char *detail) {
    return dc_set_error(DC_ERR_FORMAT, "%s: node \"%s\" (%s): %s%s", s->path, n->name && *n->name ? n->name : "(unnamed)",
                        n->op_type ? n->op_type : "?", fmt, detail ? detail : "");
}

/* ---- name tables: a name -> an int, in time independent of the graph's size ------------ */

static int *tab_slot(name_tab *t, const char *name) {
    if (!t->cap) return NULL;
    for (size_t h = dc_str_hash(name) & (t->cap - 1);; h = (h + 1) & (t->cap - 1))
        if (!t->key[h] || !strcmp(t->key[h], name)) {
            if (!t->key[h]) return NULL;
            return &t->val[h];
        }
}

static int tab_get(const name_tab *t, const char *name, int dflt) {
    const int *v = tab_slot((name_tab *)t, name);
    return v ? *v : dflt;
}

/* name -> val (a name already there: val replaces its value, or adds to it); 0, or -1 out of memory */
static int tab_put(name_tab *t, const char *name, int val, int add) {
    int *v = tab_slot(t, name);
    if (v) {
        *v = add ? *v + val : val;
        return 0;
    }
    if (2 * (t->n + 1) > t->cap) { /* at most half full */
        name_tab g = {0};
        g.cap = t->cap ? 2 * t->cap : 256;
        g.key = calloc(g.cap, sizeof *g.key), g.val = calloc(g.cap, sizeof *g.val);
        if (!g.key || !g.val) {
            free(g.key), free(g.val);
            return -1;
        }
        for (size_t i = 0; i < t->cap; i++)
            if (t->key[i]) {
                size_t h = dc_str_hash(t->key[i]) & (g.cap - 1);
                while (g.key[h]) h = (h + 1) & (g.cap - 1);
                g.key[h] = t->key[i], g.val[h] = t->val[i];
            }
        g.n = t->n;
        free(t->key), free(t->val);
        *t = g;
    }
    size_t h = dc_str_hash(name) & (t->cap - 1);
    while (t->key[h]) h = (h + 1) & (t->cap - 1);
    t->key[h] = name, t->val[h] = val, t->n++;
    return 0;
}

static void tab_free(name_tab *t) { free(t->key), free(t->val); }

/* the latest value called name, or NULL */
static value *find(imp *s, const char *name) {
    if (!name || !*name) return NULL;
    const int i = tab_get(&s->names, name, -1);
    return i >= 0 ? &s->v[i] : NULL;
}

/* how many nodes (and graph outputs) read the value called name (counted once, count_readers) */
static int consumers(const imp *s, const char *name) { return name ? tab_get(&s->readers, name, 0) : 0; }

static dc_status count_readers(imp *s) {
    for (size_t i = 0; i < s->g->n_node; i++)
        for (size_t k = 0; k < s->g->node[i]->n_input; k++)
            if (s->g->node[i]->input[k] && tab_put(&s->readers, s->g->node[i]->input[k], 1, 1)) return dc_set_error(DC_ERR_NOMEM, "import: out of memory");
    for (size_t i = 0; i < s->g->n_output; i++)
        if (s->g->output[i]->name && tab_put(&s->readers, s->g->output[i]->name, 1, 1)) return dc_set_error(DC_ERR_NOMEM, "import: out of memory");
    return DC_OK;
}

static value *add_value(imp *s, const char *name, vkind kind) {
    if (s->nv == s->capv) {
        int cap = s->capv ? 2 * s->capv : 256;
        value *v = realloc(s->v, sizeof *v * (size_t)cap);
        if (!v) return NULL;
        s->v = v, s->capv = cap;
    }
    if (name && *name && tab_put(&s->names, name, s->nv, 0)) return NULL;
    value *v = &s->v[s->nv++];
    memset(v, 0, sizeof *v);
    v->name = name;
    v->kind = kind;
    v->line = -1;
    v->consumers = consumers(s, name);
    return v;
}

/* ---- tensors ------------------------------------------------------------------------------ */

static int64_t elements(const Onnx__TensorProto *t) {
    int64_t n = 1;
    for (size_t d = 0; d < t->n_dims; d++) {
        if (t->dims[d] < 0 || (t->dims[d] && n > INT64_MAX / 4 / t->dims[d])) return -1;
        n *= t->dims[d];
    }
    return n;
}

static size_t type_size(int type) {
    switch (type) {
    case ONNX__TENSOR_PROTO__DATA_TYPE__BFLOAT16: return 2;
    case ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT: case ONNX__TENSOR_PROTO__DATA_TYPE__INT32: return 4;
    case ONNX__TENSOR_PROTO__DATA_TYPE__INT64: case ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE: return 8;
    case ONNX__TENSOR_PROTO__DATA_TYPE__INT8: case ONNX__TENSOR_PROTO__DATA_TYPE__UINT8: case ONNX__TENSOR_PROTO__DATA_TYPE__BOOL: return 1;
    case ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT16: return 2;
    default: return 0;
    }
}

/* A tensor's data is all there, in one of the forms we read, with as many
 * values as its dims say. */
static dc_status check_tensor(const imp *s, const Onnx__TensorProto *t, const char *what) {
    const char *name = t->name ? t->name : "(unnamed)";
    if (t->has_data_location && t->data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL)
        return dc_set_error(DC_ERR_FORMAT, "%s: %s \"%s\" keeps its data in an external file: deepc reads self-contained ONNX files", s->path, what,
                            name);
    const int64_t n = elements(t);
    if (n < 0) return dc_set_error(DC_ERR_FORMAT, "%s: %s \"%s\" has absurd dimensions", s->path, what, name);
    const size_t es = type_size(t->data_type);
    if (!es) return dc_set_error(DC_ERR_FORMAT, "%s: %s \"%s\" has element type %d, which deepc does not read", s->path, what, name, (int)t->data_type);
    int64_t have;
    if (t->has_raw_data) have = (int64_t)(t->raw_data.len / es) * (t->raw_data.len % es ? -1 : 1);
    else if (t->data_type == ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT) have = (int64_t)t->n_float_data;
    else if (t->data_type == ONNX__TENSOR_PROTO__DATA_TYPE__INT64) have = (int64_t)t->n_int64_data;
    else if (t->data_type == ONNX__TENSOR_PROTO__DATA_TYPE__INT32 || t->data_type == ONNX__TENSOR_PROTO__DATA_TYPE__INT8 ||
             t->data_type == ONNX__TENSOR_PROTO__DATA_TYPE__UINT8 || t->data_type == ONNX__TENSOR_PROTO__DATA_TYPE__BOOL)
        have = (int64_t)t->n_int32_data;
    else have = -2;
    if (have != n)
        return dc_set_error(DC_ERR_FORMAT, "%s: %s \"%s\" holds %lld values where its dimensions say %lld (a damaged file)", s->path, what, name,
                            (long long)have, (long long)n);
    return DC_OK;
}

/* value i of a checked tensor, as a double */
static double at(const Onnx__TensorProto *t, int64_t i) {
    if (t->has_raw_data) {
        const uint8_t *r = t->raw_data.data;
        switch (t->data_type) {
        case ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT: { float f; memcpy(&f, r + 4 * i, 4); return f; }
        case ONNX__TENSOR_PROTO__DATA_TYPE__INT32: { int32_t v; memcpy(&v, r + 4 * i, 4); return v; }
        case ONNX__TENSOR_PROTO__DATA_TYPE__INT64: { int64_t v; memcpy(&v, r + 8 * i, 8); return (double)v; }
        case ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE: { double v; memcpy(&v, r + 8 * i, 8); return v; }
        case ONNX__TENSOR_PROTO__DATA_TYPE__INT8: return (int8_t)r[i];
        case ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT16: { uint16_t h; memcpy(&h, r + 2 * i, 2); return dc_k_f16_to_f32(h); }
        case ONNX__TENSOR_PROTO__DATA_TYPE__BFLOAT16: { uint16_t h; memcpy(&h, r + 2 * i, 2); return dc_k_bf16_to_f32(h); }
        default: return r[i];
        }
    }
    if (t->data_type == ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT) return t->float_data[i];
    if (t->data_type == ONNX__TENSOR_PROTO__DATA_TYPE__INT64) return (double)t->int64_data[i];
    return t->int32_data[i];
}

/* value i as an integer (clamped to +-2^62; NaN: the most negative): what
 * untrusted shapes, pads and axes are read through before their range checks */
static int64_t at_i(const Onnx__TensorProto *t, int64_t i) {
    const double v = at(t, i);
    return v != v ? -((int64_t)1 << 62) : v > 4.6e18 ? (int64_t)1 << 62 : v < -4.6e18 ? -((int64_t)1 << 62) : (int64_t)v;
}

/* value i as a float (a double beyond float's range becomes an infinity, not undefined behaviour) */
static float atf(const Onnx__TensorProto *t, int64_t i) {
    const double v = at(t, i);
    return v > 3.4e38 ? INFINITY : v < -3.4e38 ? -INFINITY : (float)v;
}

/* a constant input of node n (k-th), or NULL */
static const Onnx__TensorProto *const_in(imp *s, const Onnx__NodeProto *n, size_t k) {
    if (k >= n->n_input) return NULL;
    value *v = find(s, n->input[k]);
    return v && v->kind == V_CONST ? v->t : NULL;
}

/* ---- attributes --------------------------------------------------------------------------- */

static const Onnx__AttributeProto *attr(const Onnx__NodeProto *n, const char *name) {
    for (size_t i = 0; i < n->n_attribute; i++)
        if (n->attribute[i]->name && !strcmp(n->attribute[i]->name, name)) return n->attribute[i];
    return NULL;
}
static int64_t attr_i(const Onnx__NodeProto *n, const char *name, int64_t dflt) {
    const Onnx__AttributeProto *a = attr(n, name);
    return a && a->has_i ? a->i : dflt;
}
static float attr_f(const Onnx__NodeProto *n, const char *name, float dflt) {
    const Onnx__AttributeProto *a = attr(n, name);
    return a && a->has_f ? a->f : dflt;
}
/* ints attribute into v (up to max); their count, or dflt_n with v untouched */
static int attr_ints(const Onnx__NodeProto *n, const char *name, int64_t *v, int max) {
    const Onnx__AttributeProto *a = attr(n, name);
    if (!a || !a->n_ints) return 0;
    int k = (int)(a->n_ints < (size_t)max ? a->n_ints : (size_t)max);
    for (int i = 0; i < k; i++) v[i] = a->ints[i];
    return (int)a->n_ints;
}
static int attr_s_is(const Onnx__NodeProto *n, const char *name, const char *want, int dflt) {
    const Onnx__AttributeProto *a = attr(n, name);
    if (!a || !a->has_s) return dflt;
    return a->s.len == strlen(want) && !memcmp(a->s.data, want, a->s.len);
}

/* ---- lines and parameters -------------------------------------------------------------------- */

/* line li's kind becomes kw, and its name the first of kw, kw_1, kw_2, ... no other line has (as deepc names layers) */
/* The lines' names, counted (s->held: a name -> how many lines hold it;
 * its keys are copies kept in s->pool), so that "is it taken" costs the
 * same however many lines there are. */
static int taken(const imp *s, const char *name) { return tab_get(&s->held, name, 0) > 0; }

static void hold(imp *s, const char *name, int delta) {
    if (!*name) return;
    if (tab_get(&s->held, name, -1) < 0) { /* a new name: a copy for the table's key */
        char *c = s->npool < 3 * MAX_LINES ? strdup(name) : NULL;
        if (!c) return;
        s->pool[s->npool++] = c;
        name = c;
    }
    tab_put(&s->held, name, delta, 1);
}

/* line li's name becomes name */
static void rename_line(imp *s, int li, const char *name) {
    hold(s, s->ln[li].name, -1);
    snprintf(s->ln[li].name, sizeof s->ln[li].name, "%s", name);
    hold(s, s->ln[li].name, 1);
}

/* line li's kind becomes kw, and its name the first of kw, kw_1, kw_2, ... no other line has (as deepc names layers) */
static void name_line(imp *s, int li, const char *kw) {
    line *l = &s->ln[li];
    snprintf(l->kw, sizeof l->kw, "%s", kw);
    hold(s, l->name, -1);
    int same = 0; /* start past the lines of this kind */
    for (int i = 0; i < s->nln; i++) same += i != li && !strcmp(s->ln[i].kw, kw);
    for (int k = same;; k++) {
        if (k) snprintf(l->name, sizeof l->name, "%s_%d", kw, k);
        else snprintf(l->name, sizeof l->name, "%s", kw);
        if (!taken(s, l->name)) break;
    }
    hold(s, l->name, 1);
}

static line *add_line(imp *s, const char *kw, const char *inputs) {
    if (s->nln == MAX_LINES) return NULL;
    line *l = &s->ln[s->nln];
    memset(l, 0, sizeof *l);
    s->nln++;
    name_line(s, s->nln - 1, kw);
    if (inputs) snprintf(l->inputs, sizeof l->inputs, "%s", inputs);
    return l;
}

/* parameter `what` of line li: n floats of t from index off (stride 1), or produced by the caller (data given) */
static dc_status add_param(imp *s, int li, const char *what, float *data, int64_t n) {
    if (s->np == s->capp) {
        int cap = s->capp ? 2 * s->capp : 64;
        param *p = realloc(s->p, sizeof *p * (size_t)cap);
        if (!p) {
            free(data);
            return dc_set_error(DC_ERR_NOMEM, "import: out of memory");
        }
        s->p = p, s->capp = cap;
    }
    param *p = &s->p[s->np++];
    p->line = li;
    snprintf(p->what, sizeof p->what, "%s", what);
    p->data = data;
    p->n = n;
    return DC_OK;
}

static float *floats_of(const Onnx__TensorProto *t, int64_t n) {
    float *f = malloc(sizeof(float) * (size_t)(n ? n : 1));
    for (int64_t i = 0; f && i < n; i++) f[i] = atf(t, i);
    return f;
}

/* the input a new line reads: its name in inputs= (the line before needs none) */
static const char *from(imp *s, const value *v) {
    if (v->line < 0) return s->nln ? "input" : NULL; /* the model's input */
    return v->line == s->nln - 1 ? NULL : s->ln[v->line].name;
}

/* the value made by node n's output k, as an activation of line li with ONNX dims */
static value *out_act(imp *s, const Onnx__NodeProto *n, size_t k, int li, int ndim, const int64_t *dims) {
    value *v = add_value(s, n->output[k], V_ACT);
    if (!v) return NULL;
    v->line = li;
    v->ndim = ndim;
    memcpy(v->dims, dims, sizeof(int64_t) * (size_t)ndim);
    return v;
}

/* an activation as the input of an op (error naming the node otherwise) */
static value *act_in(imp *s, const Onnx__NodeProto *n, size_t k) {
    value *v = k < n->n_input ? find(s, n->input[k]) : NULL;
    if (!v || v->kind != V_ACT) {
        fail_node(s, n, "its input is not a value deepc computes here", NULL);
        return NULL;
    }
    return v;
}

/* ---- the ops -------------------------------------------------------------------------------- */

static const char *activation_of(const char *op) {
    static const char *const map[][2] = {{"Relu", "relu"}, {"Sigmoid", "sigmoid"}, {"Tanh", "tanh"}, {"Softmax", "softmax"}, {"Gelu", "gelu"},
                                         {"LeakyRelu", "leaky_relu"}, {"Elu", "elu"}, {"Softplus", "softplus"}, {"LogSoftmax", "log_softmax"}};
    for (size_t i = 0; i < sizeof map / sizeof *map; i++)
        if (!strcmp(op, map[i][0])) return map[i][1];
    return NULL;
}

static dc_status op_dense(imp *s, const Onnx__NodeProto *n, int gemm) {
    value *x = act_in(s, n, 0);
    if (!x) return DC_ERR_FORMAT;
    const Onnx__TensorProto *B = const_in(s, n, 1), *C = gemm ? const_in(s, n, 2) : NULL;
    if (!B || B->n_dims != 2) return fail_node(s, n, "needs a constant 2-D weight", NULL);
    if (gemm && (attr_i(n, "transA", 0) || attr_f(n, "alpha", 1.0f) != 1.0f || (C && attr_f(n, "beta", 1.0f) != 1.0f)))
        return fail_node(s, n, "transA, alpha and beta other than 0, 1 and 1", NULL);
    const int tb = gemm && attr_i(n, "transB", 0);
    const int64_t N = tb ? B->dims[0] : B->dims[1], K = tb ? B->dims[1] : B->dims[0];
    if (x->ndim < 1 || x->dims[x->ndim - 1] != K) return fail_node(s, n, "its weight does not fit its input", NULL);
    if (C && elements(C) != N) return fail_node(s, n, "its bias does not have one value per output", NULL);
    line *l = add_line(s, "dense", from(s, x));
    if (!l) return dc_set_error(DC_ERR_INVALID, "%s: more than %d layers", s->path, MAX_LINES);
    snprintf(l->args, sizeof l->args, "%lld", (long long)N);
    l->no_bias = !C;
    float *w = malloc(sizeof(float) * (size_t)(N * K));
    if (!w) return dc_set_error(DC_ERR_NOMEM, "import: out of memory");
    for (int64_t o = 0; o < N; o++)
        for (int64_t k = 0; k < K; k++) w[o * K + k] = atf(B, tb ? o * K + k : k * N + o);
    dc_status st = add_param(s, s->nln - 1, "weight", w, N * K);
    if (!st && C) st = add_param(s, s->nln - 1, "bias", floats_of(C, N), N);
    int64_t dims[DC_MAX_DIMS];
    memcpy(dims, x->dims, sizeof dims);
    dims[x->ndim - 1] = N;
    return st ? st : out_act(s, n, 0, s->nln - 1, x->ndim, dims) ? DC_OK : DC_ERR_NOMEM;
}

/* the two halves of one bidirectional recurrent line (forward, reverse): its output, concatenated or summed */
static int halves(imp *s, const Onnx__NodeProto *n) {
    value *a = n->n_input == 2 ? find(s, n->input[0]) : NULL, *b = a ? find(s, n->input[1]) : NULL;
    return a && b && a->kind == V_ACT && b->kind == V_ACT && a->line >= 0 && a->line == b->line && s->ln[a->line].bidir && !a->half && b->half;
}

/* one float constant's value, or NAN */
static double scalar_of(imp *s, const char *name) {
    value *v = find(s, name);
    return v && v->kind == V_CONST && elements(v->t) == 1 ? at(v->t, 0) : NAN;
}
static int near(double a, double b) { return fabs(a - b) <= 1e-5 * fabs(b); }

static dc_status op_activation(imp *s, const Onnx__NodeProto *n, const char *act);

/* Elementwise arithmetic that spells an activation (GELU, exact or tanh):
 * each step a V_EXPR of the activation x it started from; the last one a
 * line "activation gelu". 0: not such a step (the caller goes on); else 1,
 * with the status in *st. */
static int expr_step(imp *s, const Onnx__NodeProto *n, dc_status *st) {
    const char *op = n->op_type;
    value *a = n->n_input > 0 ? find(s, n->input[0]) : NULL, *b = n->n_input > 1 ? find(s, n->input[1]) : NULL;
    if (!a) return 0;
    value *e = a->kind == V_EXPR ? a : b && b->kind == V_EXPR ? b : NULL, *o = e == a ? b : a; /* the expression, the other operand */
    const double c = o ? scalar_of(s, o->name) : NAN;
    const char *x;
    int k = E_NONE, done = 0;
    if (!e) { /* a first step, on an activation and a constant (or itself) */
        if (a->kind != V_ACT) return 0;
        const double cb = b ? scalar_of(s, b->name) : NAN;
        if (!strcmp(op, "Mul") && near(cb, 0.70710678)) k = E_SCALED;
        else if (!strcmp(op, "Div") && near(cb, 1.41421356)) k = E_SCALED;
        else if (!strcmp(op, "Mul") && near(cb, 0.5)) k = E_HALF;
        else if (!strcmp(op, "Mul") && b == a) k = E_SQ;
        else return 0;
        x = a->name;
    } else {
        x = e->x;
        const int xo = o && o->kind == V_ACT && !strcmp(o->name, x); /* the other operand is x itself */
        const int oe = o && o->kind == V_EXPR && !strcmp(o->x, x);
        if (!strcmp(op, "Erf") && e->expr == E_SCALED) k = E_ERF;
        else if (!strcmp(op, "Add") && e->expr == E_ERF && near(c, 1.0)) k = E_ERF1;
        else if (!strcmp(op, "Mul") && e->expr == E_ERF1 && xo) k = E_XERF1;
        else if (!strcmp(op, "Mul") && e->expr == E_SQ && xo) k = E_CUBE;
        else if (!strcmp(op, "Mul") && e->expr == E_CUBE && near(c, 0.044715)) k = E_C3;
        else if (!strcmp(op, "Add") && e->expr == E_C3 && xo) k = E_INNER;
        else if (!strcmp(op, "Mul") && e->expr == E_INNER && near(c, 0.7978845608)) k = E_S2;
        else if (!strcmp(op, "Tanh") && e->expr == E_S2) k = E_TANH;
        else if (!strcmp(op, "Add") && e->expr == E_TANH && near(c, 1.0)) k = E_TANH1;
        else if (!strcmp(op, "Mul") && e->expr == E_TANH1 && xo) k = E_XTANH1;
        else if (!strcmp(op, "Mul") && (e->expr == E_XERF1 || e->expr == E_XTANH1) && near(c, 0.5)) done = e->expr; /* torch: x (1 + erf) / 2 */
        else if (!strcmp(op, "Mul") && oe && (e->expr == E_HALF || o->expr == E_HALF)) { /* deepc: (x / 2) (1 + erf) */
            const int other = e->expr == E_HALF ? o->expr : e->expr;
            if (other == E_ERF1) done = E_XERF1;
            else if (other == E_TANH1) done = E_XTANH1;
            else return 0;
        } else return 0;
    }
    if (done) { /* the activation of x */
        Onnx__NodeProto one = *n;
        char *in0[1] = {(char *)x};
        one.n_input = 1, one.input = in0;
        *st = op_activation(s, &one, done == E_XERF1 ? "gelu" : "gelu_tanh");
        return 1;
    }
    value *v = add_value(s, n->output[0], V_EXPR);
    if (!v) {
        *st = DC_ERR_NOMEM;
        return 1;
    }
    v->expr = (expr_kind)k, v->x = x;
    *st = DC_OK;
    return 1;
}

/* Add of an activation and a constant: the bias of the dense or conv line that made it, when it has none */
static dc_status op_add(imp *s, const Onnx__NodeProto *n) {
    value *a = find(s, n->input[0]), *b = n->n_input > 1 ? find(s, n->input[1]) : NULL;
    if (!strcmp(n->op_type, "Add") && halves(s, n)) { /* bidirectional=true merge_sum=true */
        s->ln[a->line].merge_sum = 1;
        return out_act(s, n, 0, a->line, a->ndim, a->dims) ? DC_OK : DC_ERR_NOMEM;
    }
    if (a && b && a->kind == V_ACT && b->kind == V_ACT) {
        if (a->ndim != b->ndim || memcmp(a->dims, b->dims, sizeof(int64_t) * (size_t)a->ndim))
            return fail_node(s, n, "adds values of different shapes (deepc's add merges equal shapes)", NULL);
        char ins[256];
        snprintf(ins, sizeof ins, "%s,%s", a->line < 0 ? "input" : s->ln[a->line].name, b->line < 0 ? "input" : s->ln[b->line].name);
        line *l = add_line(s, !strcmp(n->op_type, "Add") ? "add" : "multiply", ins);
        if (!l) return dc_set_error(DC_ERR_INVALID, "%s: more than %d layers", s->path, MAX_LINES);
        return out_act(s, n, 0, s->nln - 1, a->ndim, a->dims) ? DC_OK : DC_ERR_NOMEM;
    }
    value *x = a && a->kind == V_ACT ? a : b;
    const Onnx__TensorProto *c = a && a->kind == V_CONST ? a->t : b && b->kind == V_CONST ? b->t : NULL;
    if (!x || x->kind != V_ACT || !c || strcmp(n->op_type, "Add")) return fail_node(s, n, "not a bias or a merge of two values", NULL);
    line *l = x->line >= 0 ? &s->ln[x->line] : NULL;
    const int64_t N = x->ndim ? x->dims[x->ndim - 1] : 0;
    if (!l || !l->no_bias || l->act[0] || x->consumers != 1 || strcmp(l->kw, "dense") || elements(c) != N)
        return fail_node(s, n, "adds a constant that is not the bias of the layer before", NULL);
    l->no_bias = 0;
    dc_status st = add_param(s, x->line, "bias", floats_of(c, N), N);
    return st ? st : out_act(s, n, 0, x->line, x->ndim, x->dims) ? DC_OK : DC_ERR_NOMEM;
}

static dc_status op_activation(imp *s, const Onnx__NodeProto *n, const char *act) {
    value *x = act_in(s, n, 0);
    if (!x) return DC_ERR_FORMAT;
    if (!strcmp(act, "softmax") || !strcmp(act, "log_softmax")) {
        int64_t ax = attr_i(n, "axis", -1);
        if (ax != -1 && ax != x->ndim) return fail_node(s, n, "a softmax over another axis than the last", NULL);
    }
    if (!strcmp(act, "leaky_relu") && fabsf(attr_f(n, "alpha", 0.01f) - 0.01f) > 1e-7f) {
        line *l = add_line(s, "activation", from(s, x));
        if (!l) return dc_set_error(DC_ERR_INVALID, "%s: more than %d layers", s->path, MAX_LINES);
        snprintf(l->args, sizeof l->args, "leaky_relu alpha=%.9g", (double)attr_f(n, "alpha", 0.01f));
        return out_act(s, n, 0, s->nln - 1, x->ndim, x->dims) ? DC_OK : DC_ERR_NOMEM;
    }
    line *p = x->line >= 0 ? &s->ln[x->line] : NULL;
    if (p && x->line == s->nln - 1 && !p->act[0] && x->consumers == 1 && (!strcmp(p->kw, "dense") || !strncmp(p->kw, "conv", 4))) {
        snprintf(p->act, sizeof p->act, "%s", act); /* folded: dense 10 activation=softmax */
        return out_act(s, n, 0, x->line, x->ndim, x->dims) ? DC_OK : DC_ERR_NOMEM;
    }
    line *l = add_line(s, "activation", from(s, x));
    if (!l) return dc_set_error(DC_ERR_INVALID, "%s: more than %d layers", s->path, MAX_LINES);
    snprintf(l->args, sizeof l->args, "%s", act);
    return out_act(s, n, 0, s->nln - 1, x->ndim, x->dims) ? DC_OK : DC_ERR_NOMEM;
}

/* every value of v[0..n) in [lo, hi] */
static int all_in(const int64_t *v, int n, int64_t lo, int64_t hi) {
    for (int i = 0; i < n; i++)
        if (v[i] < lo || v[i] > hi) return 0;
    return 1;
}

/* " key=A" or " key=AxB" (A when A == B), nothing when both are dflt */
static void opt_pair(char *buf, size_t n, const char *key, int64_t a, int64_t b, int64_t dflt) {
    const size_t len = strlen(buf);
    if (a == dflt && b == dflt) return;
    if (a == b) snprintf(buf + len, n - len, " %s=%lld", key, (long long)a);
    else snprintf(buf + len, n - len, " %s=%lldx%lld", key, (long long)a, (long long)b);
}

static int same_pair(const int64_t *p, int k) { return k == 4 ? p[0] == p[2] && p[1] == p[3] : k == 2 ? p[0] == p[1] : 1; }

static dc_status op_conv(imp *s, const Onnx__NodeProto *n) {
    value *x = act_in(s, n, 0);
    if (!x) return DC_ERR_FORMAT;
    const Onnx__TensorProto *W = const_in(s, n, 1), *B = const_in(s, n, 2);
    if (!W || (W->n_dims != 4 && W->n_dims != 3)) return fail_node(s, n, "needs a constant 3-D or 4-D kernel", NULL);
    if (!attr_s_is(n, "auto_pad", "NOTSET", 1)) return fail_node(s, n, "auto_pad (write explicit pads)", NULL);
    const int two = W->n_dims == 4;
    int64_t st[2] = {1, 1}, dl[2] = {1, 1}, pads[4] = {0, 0, 0, 0};
    attr_ints(n, "strides", st, 2), attr_ints(n, "dilations", dl, 2), attr_ints(n, "pads", pads, 4);
    const int64_t groups = attr_i(n, "group", 1), OC = W->dims[0];
    int same = 0; /* pads that differ before and after: deepc's padding=same where they are what it computes */
    if (!same_pair(pads, two ? 4 : 2)) {
        if (x->ndim != (two ? 3 : 2) || !all_in(st, 2, 1, 1024) || !all_in(dl, 2, 1, 1024) || !all_in(W->dims + 2, two ? 2 : 1, 1, 1024))
            return fail_node(s, n, "pads that differ before and after", NULL);
        same = 1;
        for (int d = 0; d < (two ? 2 : 1); d++) {
            int b, a;
            dc_same_padding(x->dims[1 + d], (int)W->dims[2 + d], (int)st[d], (int)dl[d], &b, &a);
            same &= pads[d] == b && pads[d + (two ? 2 : 1)] == a;
        }
        if (!same) return fail_node(s, n, "pads that differ before and after (other than padding=same)", NULL);
    }
    if (!all_in(st, 2, 1, 1024) || !all_in(dl, 2, 1, 1024) || !all_in(pads, 4, 0, 4096) || groups < 1 || groups > 65536 || OC < 1 ||
        OC % groups || !all_in(W->dims + 2, two ? 2 : 1, 1, 1024))
        return fail_node(s, n, "strides, dilations, pads, groups or kernel sizes out of range", NULL);
    if (x->ndim != (two ? 3 : 2) || x->dims[0] != W->dims[1] * groups) return fail_node(s, n, "its kernel does not fit its input", NULL);
    if (B && elements(B) != OC) return fail_node(s, n, "its bias does not have one value per output channel", NULL);
    line *l = add_line(s, two ? "conv2d" : "conv1d", from(s, x));
    if (!l) return dc_set_error(DC_ERR_INVALID, "%s: more than %d layers", s->path, MAX_LINES);
    snprintf(l->args, sizeof l->args, "%lld", (long long)OC);
    opt_pair(l->args, sizeof l->args, "kernel", W->dims[2], two ? W->dims[3] : W->dims[2], 0);
    opt_pair(l->args, sizeof l->args, "stride", st[0], two ? st[1] : st[0], 1);
    if (same) snprintf(l->args + strlen(l->args), sizeof l->args - strlen(l->args), " padding=same");
    else opt_pair(l->args, sizeof l->args, "padding", pads[0], two ? pads[1] : pads[0], 0);
    opt_pair(l->args, sizeof l->args, "dilation", dl[0], two ? dl[1] : dl[0], 1);
    opt_pair(l->args, sizeof l->args, "groups", groups, groups, 1);
    l->no_bias = !B;
    const int64_t nw = elements(W);
    dc_status r = add_param(s, s->nln - 1, "weight", floats_of(W, nw), nw);
    if (!r && B) r = add_param(s, s->nln - 1, "bias", floats_of(B, OC), OC);
    if (r) return r;
    int64_t dims[3] = {OC, 0, 0};
    for (int d = 0; d < (two ? 2 : 1); d++) {
        const int64_t in = x->dims[1 + d], k = (W->dims[2 + d] - 1) * dl[d] + 1;
        dims[1 + d] = (in + pads[d] + pads[d + (two ? 2 : 1)] - k) / st[d] + 1;
        if (dims[1 + d] < 1) return fail_node(s, n, "its output would be empty", NULL);
    }
    return out_act(s, n, 0, s->nln - 1, two ? 3 : 2, dims) ? DC_OK : DC_ERR_NOMEM;
}

static dc_status op_pool(imp *s, const Onnx__NodeProto *n, int is_max) {
    value *x = act_in(s, n, 0);
    if (!x) return DC_ERR_FORMAT;
    int64_t k[2] = {0, 0}, st[2] = {0, 0}, pads[4] = {0, 0, 0, 0};
    if (attr_ints(n, "kernel_shape", k, 2) != 2 || x->ndim != 3) return fail_node(s, n, "a pool that is not 2-D", NULL);
    if (!attr_ints(n, "strides", st, 2)) st[0] = st[1] = 1;
    attr_ints(n, "pads", pads, 4);
    if (!all_in(k, 2, 1, 1024) || !all_in(st, 2, 1, 1024) || !all_in(pads, 4, 0, 1024))
        return fail_node(s, n, "a window, stride or padding out of range", NULL);
    if (!same_pair(pads, 4) || attr_i(n, "ceil_mode", 0) || !attr_s_is(n, "auto_pad", "NOTSET", 1))
        return fail_node(s, n, "pads that differ before and after, ceil_mode or auto_pad", NULL);
    if (!is_max && (pads[0] || pads[1]) && !attr_i(n, "count_include_pad", 0))
        return fail_node(s, n, "an average that leaves the padding out (deepc counts it as zeros)", NULL);
    int64_t dl[2] = {1, 1};
    attr_ints(n, "dilations", dl, 2);
    if (dl[0] != 1 || dl[1] != 1) return fail_node(s, n, "dilated pooling", NULL);
    line *l = add_line(s, is_max ? "maxpool2d" : "avgpool2d", from(s, x));
    if (!l) return dc_set_error(DC_ERR_INVALID, "%s: more than %d layers", s->path, MAX_LINES);
    if (k[0] == k[1]) snprintf(l->args, sizeof l->args, "%lld", (long long)k[0]);
    else snprintf(l->args, sizeof l->args, "%lldx%lld", (long long)k[0], (long long)k[1]);
    if (st[0] != k[0] || st[1] != k[1]) opt_pair(l->args, sizeof l->args, "stride", st[0], st[1], -1); /* deepc's default: the window */
    opt_pair(l->args, sizeof l->args, "padding", pads[0], pads[1], 0);
    const int64_t dims[3] = {x->dims[0], (x->dims[1] + 2 * pads[0] - k[0]) / st[0] + 1, (x->dims[2] + 2 * pads[1] - k[1]) / st[1] + 1};
    if (dims[1] < 1 || dims[2] < 1) return fail_node(s, n, "its output would be empty", NULL);
    return out_act(s, n, 0, s->nln - 1, 3, dims) ? DC_OK : DC_ERR_NOMEM;
}

/* GlobalAveragePool / GlobalMaxPool, and ReduceMean/Max over the steps of (T, F) */
static dc_status op_global(imp *s, const Onnx__NodeProto *n, int is_max, int over_steps) {
    value *x = act_in(s, n, 0);
    if (!x) return DC_ERR_FORMAT;
    if (over_steps) {
        int64_t axes[4];
        const int na = attr_ints(n, "axes", axes, 4);
        line *p = x->line >= 0 ? &s->ln[x->line] : NULL;
        if (p && x->line == s->nln - 1 && !strcmp(p->kw, "reshape") && x->consumers == 1 && x->ndim == 2 && na == 1 && axes[0] == 2 &&
            !attr_i(n, "keepdims", 1) && p->src3) { /* (C, H, W) -> (C, H W) -> the mean over H W: a global pool of the image */
            name_line(s, x->line, is_max ? "global_max_pool2d" : "global_avg_pool2d");
            p->args[0] = 0;
            const int64_t dims[1] = {x->dims[0]};
            return out_act(s, n, 0, x->line, 1, dims) ? DC_OK : DC_ERR_NOMEM;
        }
        if (x->ndim != 2 || na != 1 || axes[0] != 1 || attr_i(n, "keepdims", 1)) return fail_node(s, n, "a reduction other than over the steps", NULL);
    } else if (x->ndim != 3) {
        return fail_node(s, n, "a global pool of other than images", NULL);
    }
    line *l = add_line(s, over_steps ? (is_max ? "global_max_pool1d" : "global_avg_pool1d") : (is_max ? "global_max_pool2d" : "global_avg_pool2d"),
                       from(s, x));
    if (!l) return dc_set_error(DC_ERR_INVALID, "%s: more than %d layers", s->path, MAX_LINES);
    const int64_t dims[3] = {over_steps ? x->dims[1] : x->dims[0], 1, 1};
    value *v = out_act(s, n, 0, s->nln - 1, over_steps ? 1 : 3, dims); /* ONNX keeps (C, 1, 1): deepc's (C) is the same values */
    return v ? DC_OK : DC_ERR_NOMEM;
}

static dc_status op_batchnorm(imp *s, const Onnx__NodeProto *n) {
    value *x = act_in(s, n, 0);
    if (!x) return DC_ERR_FORMAT;
    const char *what[4] = {"weight", "bias", "running_mean", "running_var"};
    const Onnx__TensorProto *t[4];
    for (int k = 0; k < 4; k++)
        if (!(t[k] = const_in(s, n, (size_t)k + 1)) || elements(t[k]) != x->dims[0])
            return fail_node(s, n, "needs constant scale, bias, mean and variance of one value per channel", NULL);
    if (n->n_output > 1 && n->output[1] && *n->output[1]) return fail_node(s, n, "the training form (running statistics as outputs)", NULL);
    line *l = add_line(s, "batchnorm", from(s, x));
    if (!l) return dc_set_error(DC_ERR_INVALID, "%s: more than %d layers", s->path, MAX_LINES);
    if (attr_f(n, "epsilon", 1e-5f) != 1e-5f) snprintf(l->args, sizeof l->args, "eps=%.9g", (double)attr_f(n, "epsilon", 1e-5f)); /* deepc's default: 1e-5 */
    for (int k = 0; k < 4; k++) {
        dc_status st = add_param(s, s->nln - 1, what[k], floats_of(t[k], x->dims[0]), x->dims[0]);
        if (st) return st;
    }
    return out_act(s, n, 0, s->nln - 1, x->ndim, x->dims) ? DC_OK : DC_ERR_NOMEM;
}

static dc_status op_layernorm(imp *s, const Onnx__NodeProto *n) {
    value *x = act_in(s, n, 0);
    if (!x) return DC_ERR_FORMAT;
    const int64_t C = x->dims[x->ndim - 1], ax = attr_i(n, "axis", -1);
    const Onnx__TensorProto *g = const_in(s, n, 1), *b = const_in(s, n, 2);
    if ((ax != -1 && ax != x->ndim) || !g || elements(g) != C || (n->n_input > 2 && *n->input[2] && (!b || elements(b) != C)))
        return fail_node(s, n, "a layer norm other than over the last axis with constant scale and bias", NULL);
    line *l = add_line(s, "layer_norm", from(s, x));
    if (!l) return dc_set_error(DC_ERR_INVALID, "%s: more than %d layers", s->path, MAX_LINES);
    s->tf.ln_in = x->name; /* (a Transformer block starting here reads it: tf_step) */
    if (attr_f(n, "epsilon", 1e-5f) != 1e-5f) snprintf(l->args, sizeof l->args, "eps=%.9g", (double)attr_f(n, "epsilon", 1e-5f));
    float *bias = b ? floats_of(b, C) : calloc((size_t)C, sizeof(float));
    dc_status st = add_param(s, s->nln - 1, "weight", floats_of(g, C), C);
    if (!st) st = add_param(s, s->nln - 1, "bias", bias, C);
    return st ? st : out_act(s, n, 0, s->nln - 1, x->ndim, x->dims) ? DC_OK : DC_ERR_NOMEM;
}

/* Flatten, Reshape, Squeeze, Unsqueeze of an activation: a view when deepc's value already has that shape, else a line */
static dc_status op_reshape(imp *s, const Onnx__NodeProto *n) {
    value *x = find(s, n->input[0]);
    if (x && x->kind == V_RNN_H && (!strcmp(n->op_type, "Squeeze"))) { /* Y_h (1, N, H) -> (N, H): the last state */
        value *v = add_value(s, n->output[0], V_ACT);
        if (!v) return DC_ERR_NOMEM;
        *v = *x, v->name = n->output[0], v->kind = V_ACT;
        v->consumers = consumers(s, v->name);
        return DC_OK;
    }
    if (x && x->kind == V_RNN_Y && !strcmp(n->op_type, "Squeeze")) { /* Y (T, 1, N, H) -> (T, N, H) */
        value *v = add_value(s, n->output[0], V_RNN_YS);
        if (!v) return DC_ERR_NOMEM;
        *v = *x, v->name = n->output[0], v->kind = V_RNN_YS;
        v->consumers = consumers(s, v->name);
        return DC_OK;
    }
    if (!x || x->kind != V_ACT) return fail_node(s, n, "reshapes a value that is not an activation here", NULL);
    int64_t dims[DC_MAX_DIMS], total = 1, nd = 0;
    for (int d = 0; d < x->ndim; d++) total *= x->dims[d];
    if (!strcmp(n->op_type, "Flatten")) {
        if (attr_i(n, "axis", 1) != 1) return fail_node(s, n, "a flatten from another axis than 1", NULL);
        dims[nd++] = total;
    } else if (!strcmp(n->op_type, "Reshape")) {
        const Onnx__TensorProto *t = const_in(s, n, 1);
        const int64_t k = t ? elements(t) : 0;
        if (!t || k < 1 || k > DC_MAX_DIMS + 1) return fail_node(s, n, "a reshape to a shape that is not a constant", NULL);
        int64_t known = 1, minus = -1;
        for (int64_t d = 1; d < k; d++) {
            const double dv = at(t, d);
            if (!(dv >= -1 && dv <= (double)total)) return fail_node(s, n, "a reshape to a dimension out of range", NULL);
            int64_t v = (int64_t)dv;
            if (v == 0 && d - 1 < x->ndim) v = x->dims[d - 1];
            if (v == -1 && minus < 0) minus = nd;
            else if (v < 1) return fail_node(s, n, "a reshape it cannot follow", NULL);
            else if ((known *= v) > total) return fail_node(s, n, "a reshape that changes the number of values", NULL);
            dims[nd++] = v;
        }
        if (minus >= 0) dims[minus] = known ? total / known : 0;
        if (at_i(t, 0) > 1) return fail_node(s, n, "a reshape of the batch dimension", NULL);
    } else { /* Squeeze / Unsqueeze: the axes past the batch */
        int64_t axes[DC_MAX_DIMS] = {0};
        int na = attr_ints(n, "axes", axes, DC_MAX_DIMS);
        const Onnx__TensorProto *t = const_in(s, n, 1);
        if (t) {
            na = (int)elements(t);
            for (int i = 0; i < na && i < DC_MAX_DIMS; i++) axes[i] = at_i(t, i);
        }
        if (na < 1) return fail_node(s, n, "needs its axes as a constant", NULL);
        for (int d = 0; d < x->ndim; d++) dims[nd++] = x->dims[d];
        if (!strcmp(n->op_type, "Squeeze")) {
            nd = 0;
            for (int d = 0; d < x->ndim; d++) {
                int drop = 0;
                for (int i = 0; i < na; i++) drop |= axes[i] == d + 1 || axes[i] == d - x->ndim;
                if (drop && x->dims[d] != 1) return fail_node(s, n, "squeezes a dimension that is not 1", NULL);
                if (!drop) dims[nd++] = x->dims[d];
            }
        } else {
            return fail_node(s, n, "an unsqueeze of an activation", NULL);
        }
    }
    int64_t t2 = 1;
    for (int d = 0; d < nd; d++) t2 *= dims[d];
    if (t2 != total) return fail_node(s, n, "a reshape that changes the number of values", NULL);
    /* deepc's value: the line's output shape; a flat (C) from a global pool is (C, 1, 1) to ONNX */
    value *v = out_act(s, n, 0, x->line, (int)nd, dims);
    if (!v) return DC_ERR_NOMEM;
    if (nd == x->ndim && !memcmp(dims, x->dims, sizeof(int64_t) * (size_t)nd)) return DC_OK;
    const int flat_pool = x->line >= 0 && !strncmp(s->ln[x->line].kw, "global_", 7) && nd == 1;
    if (flat_pool) return DC_OK; /* deepc's global pools are flat already */
    line *l = add_line(s, nd == 1 ? "flatten" : "reshape", from(s, x));
    if (!l) return dc_set_error(DC_ERR_INVALID, "%s: more than %d layers", s->path, MAX_LINES);
    l->src3 = x->ndim == 3 && nd == 2 && dims[0] == x->dims[0];
    if (nd > 1) {
        char *p = l->args;
        for (int d = 0; d < nd; d++) p += snprintf(p, sizeof l->args - (size_t)(p - l->args), "%s%lld", d ? "x" : "", (long long)dims[d]);
    }
    v->line = s->nln - 1;
    return DC_OK;
}

static dc_status op_concat(imp *s, const Onnx__NodeProto *n) {
    if (n->n_input < 2) return fail_node(s, n, "a concat of one value", NULL);
    value *a = act_in(s, n, 0);
    if (!a) return DC_ERR_FORMAT;
    if (halves(s, n)) { /* bidirectional=true: [forward, reverse] along the features */
        int64_t ax = attr_i(n, "axis", -1), dims[DC_MAX_DIMS];
        if (ax != -1 && ax != a->ndim) return fail_node(s, n, "joins a bidirectional layer's halves along another axis than the features", NULL);
        memcpy(dims, a->dims, sizeof dims);
        dims[a->ndim - 1] *= 2;
        value *v = out_act(s, n, 0, a->line, a->ndim, dims);
        return v ? DC_OK : DC_ERR_NOMEM;
    }
    int64_t ax = attr_i(n, "axis", 1);
    if (ax < 0) ax += a->ndim + 1;
    if (ax < 1 || ax > a->ndim) return fail_node(s, n, "a concat along the batch", NULL);
    char ins[256] = "";
    int64_t dims[DC_MAX_DIMS];
    memcpy(dims, a->dims, sizeof dims);
    dims[ax - 1] = 0;
    for (size_t k = 0; k < n->n_input; k++) {
        value *v = act_in(s, n, k);
        if (!v || v->ndim != a->ndim) return v ? fail_node(s, n, "values of different ranks", NULL) : DC_ERR_FORMAT;
        dims[ax - 1] += v->dims[ax - 1];
        const size_t len = strlen(ins);
        snprintf(ins + len, sizeof ins - len, "%s%s", k ? "," : "", v->line < 0 ? "input" : s->ln[v->line].name);
    }
    line *l = add_line(s, "concat", ins);
    if (!l) return dc_set_error(DC_ERR_INVALID, "%s: more than %d layers", s->path, MAX_LINES);
    snprintf(l->args, sizeof l->args, "axis=%lld", (long long)(ax - 1 - a->ndim));
    return out_act(s, n, 0, s->nln - 1, a->ndim, dims) ? DC_OK : DC_ERR_NOMEM;
}

/* Pad of an image with zeros: zero_padding2d (a view when it pads nothing) */
static dc_status op_pad(imp *s, const Onnx__NodeProto *n) {
    value *x = act_in(s, n, 0);
    if (!x) return DC_ERR_FORMAT;
    const Onnx__TensorProto *p = const_in(s, n, 1), *c = const_in(s, n, 2);
    if (!attr_s_is(n, "mode", "constant", 1) || !p || elements(p) != 2 * (x->ndim + 1) || (c && elements(c) && at(c, 0) != 0) ||
        (n->n_input > 3 && *n->input[3]))
        return fail_node(s, n, "a padding other than zeros with constant pads", NULL);
    const int r = x->ndim + 1;
    int64_t pads[2 * (DC_MAX_DIMS + 1)], any = 0;
    for (int i = 0; i < 2 * r; i++) any |= (pads[i] = at_i(p, i));
    if (!any) { /* nothing: a view */
        value *v = out_act(s, n, 0, x->line, x->ndim, x->dims);
        return v ? DC_OK : DC_ERR_NOMEM;
    }
    if (r != 4 || pads[0] || pads[1] || pads[4] || pads[5] || pads[2] != pads[6] || pads[3] != pads[7] || pads[2] < 0 || pads[3] < 0)
        return fail_node(s, n, "a padding other than the same rows and columns of zeros around an image", NULL);
    line *l = add_line(s, "zero_padding2d", from(s, x));
    if (!l) return dc_set_error(DC_ERR_INVALID, "%s: more than %d layers", s->path, MAX_LINES);
    if (pads[2] == pads[3]) snprintf(l->args, sizeof l->args, "%lld", (long long)pads[2]);
    else snprintf(l->args, sizeof l->args, "%lldx%lld", (long long)pads[2], (long long)pads[3]);
    const int64_t dims[3] = {x->dims[0], x->dims[1] + 2 * pads[2], x->dims[2] + 2 * pads[3]};
    return out_act(s, n, 0, s->nln - 1, 3, dims) ? DC_OK : DC_ERR_NOMEM;
}

/* Gather: an embedding (a table indexed by the token ids), or the last state out of Y_h */
static dc_status op_gather(imp *s, const Onnx__NodeProto *n) {
    value *a = find(s, n->input[0]), *b = n->n_input > 1 ? find(s, n->input[1]) : NULL;
    if (a && a->kind == V_RNN_H) { /* Y_h[0] or Y_h[-1] of one direction: (N, H) */
        const Onnx__TensorProto *i = const_in(s, n, 1);
        if (!i || elements(i) != 1 || (at(i, 0) != 0 && at(i, 0) != -1) || attr_i(n, "axis", 0) != 0)
            return fail_node(s, n, "picks something else than the last state", NULL);
        value *v = add_value(s, n->output[0], V_ACT);
        if (!v) return DC_ERR_NOMEM;
        *v = *a, v->name = n->output[0], v->kind = V_ACT;
        v->consumers = consumers(s, v->name);
        return DC_OK;
    }
    if (a && a->kind == V_ACT && a->line >= 0 && a->ndim == 2 && s->ln[a->line].return_seq && a->consumers == 1 &&
        (!strcmp(s->ln[a->line].kw, "lstm") || !strcmp(s->ln[a->line].kw, "gru") || !strcmp(s->ln[a->line].kw, "simple_rnn"))) {
        /* the last step of a recurrent layer's sequence (the first, for its reverse half): return_sequences=false */
        const Onnx__TensorProto *i = const_in(s, n, 1);
        if (!i || elements(i) != 1 || i->n_dims || attr_i(n, "axis", 0) != 1 || at_i(i, 0) != (a->half ? 0 : -1))
            return fail_node(s, n, "picks something else than a recurrent layer's last state", NULL);
        s->ln[a->line].return_seq = 0;
        value *v = add_value(s, n->output[0], V_ACT);
        if (!v) return DC_ERR_NOMEM;
        *v = *a, v->name = n->output[0], v->ndim = 1, v->dims[0] = a->dims[1];
        v->consumers = consumers(s, v->name);
        return DC_OK;
    }
    if (a && (a->kind == V_SHAPE || a->kind == V_CONST) && b && (b->kind == V_SHAPE || b->kind == V_CONST) &&
        !(a->kind == V_CONST && a->t->n_dims == 2)) { /* shape arithmetic */
        return add_value(s, n->output[0], V_SHAPE) ? DC_OK : DC_ERR_NOMEM;
    }
    if (!a || a->kind != V_CONST || a->t->n_dims != 2 || !b || b->kind != V_ACT || b->line >= 0 || !s->ids || attr_i(n, "axis", 0) != 0)
        return fail_node(s, n, "a Gather other than an embedding of the model's token ids", NULL);
    const int64_t V = a->t->dims[0], E = a->t->dims[1];
    line *l = add_line(s, "embedding", NULL);
    if (!l) return dc_set_error(DC_ERR_INVALID, "%s: more than %d layers", s->path, MAX_LINES);
    snprintf(l->args, sizeof l->args, "%lld %lld", (long long)V, (long long)E);
    dc_status st = add_param(s, s->nln - 1, "weight", floats_of(a->t, V * E), V * E);
    const int64_t dims[2] = {b->dims[0], E};
    return st ? st : out_act(s, n, 0, s->nln - 1, 2, dims) ? DC_OK : DC_ERR_NOMEM;
}

/* Transpose: (N, T, F) -> (T, N, F) into a recurrent op, or back */
static dc_status op_transpose(imp *s, const Onnx__NodeProto *n) {
    value *x = find(s, n->input[0]);
    int64_t perm[8];
    const int np = attr_ints(n, "perm", perm, 8);
    const int swap01 = np == 3 && perm[0] == 1 && perm[1] == 0 && perm[2] == 2;
    if (x && x->kind == V_ACT && x->ndim == 2 && swap01) {
        value *v = add_value(s, n->output[0], V_TMAJOR);
        if (!v) return DC_ERR_NOMEM;
        *v = *x, v->name = n->output[0], v->kind = V_TMAJOR;
        v->consumers = consumers(s, v->name);
        return DC_OK;
    }
    if (x && x->kind == V_RNN_YS && swap01) { /* the whole sequence, batch-major again */
        line *l = &s->ln[x->line];
        l->return_seq = 1;
        value *v = add_value(s, n->output[0], V_ACT);
        if (!v) return DC_ERR_NOMEM;
        *v = *x, v->name = n->output[0], v->kind = V_ACT;
        v->consumers = consumers(s, v->name);
        return DC_OK;
    }
    return fail_node(s, n, "a transpose other than to or from time-major around a recurrent layer", NULL);
}

/* RNN / LSTM / GRU, one direction, zero initial state, sequences of full length */
static dc_status op_rnn(imp *s, const Onnx__NodeProto *n) {
    value *x = find(s, n->input[0]);
    if (!x || x->kind != V_TMAJOR) return fail_node(s, n, "its input is not a sequence transposed to time-major", NULL);
    const int kind = !strcmp(n->op_type, "LSTM") ? 1 : !strcmp(n->op_type, "GRU") ? 2 : 0;
    const int64_t G = kind == 1 ? 4 : kind == 2 ? 3 : 1, H = attr_i(n, "hidden_size", 0), I = x->dims[1];
    if (H < 1 || H > 65536) return fail_node(s, n, "a hidden size out of range (1 to 65536)", NULL);
    const Onnx__TensorProto *W = const_in(s, n, 1), *R = const_in(s, n, 2), *B = const_in(s, n, 3);
    if (H < 1 || !W || !R || elements(W) != G * H * I || elements(R) != G * H * H || (B && elements(B) != 2 * G * H))
        return fail_node(s, n, "needs constant W, R (and B) of its hidden size", NULL);
    const int reverse = attr_s_is(n, "direction", "reverse", 0);
    if (!reverse && !attr_s_is(n, "direction", "forward", 1)) return fail_node(s, n, "a direction other than forward or reverse", NULL);
    if (attr_i(n, "layout", 0) || attr(n, "activations") || attr(n, "clip") || (kind == 1 && attr_i(n, "input_forget", 0)) ||
        (kind == 2 && !attr_i(n, "linear_before_reset", 0)))
        return fail_node(s, n, "a layout, activations, clip or gate form deepc does not have", NULL);
    for (size_t k = 4; k < n->n_input; k++) { /* sequence_lens, initial_h, initial_c, P: absent or zeros */
        value *v = find(s, n->input[k]);
        if (!*n->input[k]) continue;
        if (k == 4) { /* the real steps of token ids padded after them: the embedding's mask_zero */
            int e = -1;
            for (int i = 0; i < s->nln; i++)
                if (!strcmp(s->ln[i].kw, "embedding")) e = i;
            if (!v || v->kind != V_LENS || e < 0) return fail_node(s, n, "sequence_lens other than the real steps of the token ids", NULL);
            s->ln[e].mask_zero = 1;
            continue;
        }
        int zeros = v && v->kind == V_CONST && elements(v->t) >= 1;
        for (int64_t i = 0; zeros && i < elements(v->t); i++) zeros = at(v->t, i) == 0;
        if (!v || (v->kind != V_ZEROS && !zeros))
            return fail_node(s, n, "an initial state or peepholes that are not zeros", NULL);
    }
    const char *kw = kind == 1 ? "lstm" : kind == 2 ? "gru" : "simple_rnn";
    int li = -1;
    if (reverse) { /* the second half of a bidirectional layer: the forward one over the same sequence before it */
        for (int i = s->nln - 1; i >= 0 && li < 0; i--)
            if (!strcmp(s->ln[i].kw, kw) && !s->ln[i].bidir && s->ln[i].src == x->line && s->ln[i].args[0] &&
                atoll(s->ln[i].args) == H && s->ln[i].no_bias == !B)
                li = i;
        if (li < 0) return fail_node(s, n, "a reverse recurrent layer without its forward half (deepc runs reverse only in bidirectional=true)", NULL);
        s->ln[li].bidir = 1;
    } else {
        line *l = add_line(s, kw, from(s, x));
        if (!l) return dc_set_error(DC_ERR_INVALID, "%s: more than %d layers", s->path, MAX_LINES);
        snprintf(l->args, sizeof l->args, "%lld", (long long)H);
        l->no_bias = !B;
        l->src = x->line;
        li = s->nln - 1;
    }
    /* ONNX's gate order back to deepc's (PyTorch's): LSTM i, o, f, c -> i, f, g, o; GRU z, r, h -> r, z, n */
    static const int lstm[4] = {0, 2, 3, 1}, gru[3] = {1, 0, 2}, one[1] = {0};
    const int *src = kind == 1 ? lstm : kind == 2 ? gru : one;
    float *wi = malloc(sizeof(float) * (size_t)(G * H * I)), *wh = malloc(sizeof(float) * (size_t)(G * H * H));
    float *bi = B ? malloc(sizeof(float) * (size_t)(G * H)) : NULL, *bh = B ? malloc(sizeof(float) * (size_t)(G * H)) : NULL;
    if (!wi || !wh || (B && (!bi || !bh))) {
        free(wi), free(wh), free(bi), free(bh);
        return dc_set_error(DC_ERR_NOMEM, "import: out of memory");
    }
    for (int64_t g = 0; g < G; g++)
        for (int64_t j = 0; j < H; j++) {
            const int64_t so = src[g] * H + j, d = g * H + j;
            for (int64_t k = 0; k < I; k++) wi[d * I + k] = atf(W, so * I + k);
            for (int64_t k = 0; k < H; k++) wh[d * H + k] = atf(R, so * H + k);
            if (B) bi[d] = atf(B, so), bh[d] = atf(B, G * H + so);
        }
    const char *sfx = reverse ? "_reverse" : "";
    char nm[4][32];
    snprintf(nm[0], 32, "weight_ih_l0%s", sfx), snprintf(nm[1], 32, "weight_hh_l0%s", sfx);
    snprintf(nm[2], 32, "bias_ih_l0%s", sfx), snprintf(nm[3], 32, "bias_hh_l0%s", sfx);
    dc_status st = add_param(s, li, nm[0], wi, G * H * I);
    if (!st) st = add_param(s, li, nm[1], wh, G * H * H);
    else free(wh);
    if (!st && B) st = add_param(s, li, nm[2], bi, G * H);
    else free(bi);
    if (!st && B) st = add_param(s, li, nm[3], bh, G * H);
    else free(bh);
    if (st) return st;
    const int64_t ydims[2] = {x->dims[0], H}, hdims[1] = {H};
    value *y = n->n_output > 0 && *n->output[0] ? add_value(s, n->output[0], V_RNN_Y) : NULL;
    if (y) y->line = li, y->ndim = 2, y->half = reverse, memcpy(y->dims, ydims, sizeof ydims);
    value *h = n->n_output > 1 && *n->output[1] ? add_value(s, n->output[1], V_RNN_H) : NULL;
    if (h) h->line = li, h->ndim = 1, h->half = reverse, memcpy(h->dims, hdims, sizeof hdims);
    if (y && h && y->consumers && h->consumers) return fail_node(s, n, "both the sequence and the last state are read", NULL);
    return DC_OK;
}

/* ---- the graph ---------------------------------------------------------------------------------- */

/* ---- Transformer blocks ------------------------------------------------------------------
 * torch.nn.TransformerEncoderLayer(norm_first=True, batch_first=True) as
 * torch.onnx.export writes it: LayerNormalization, a Transpose to
 * time-major, the in-projection (MatMul + Add), three Slices (q, k, v) that
 * PyTorch's shape arithmetic sizes, Reshapes and Transposes into heads, q
 * scaled by 1/sqrt(d), MatMul, Softmax, MatMul, back through Reshape and
 * Transpose, the out-projection (Gemm), the residual Add; LayerNormalization,
 * MatMul + Add, ReLU, MatMul + Add, the residual Add. Each of those values
 * is a V_TF step of the block in progress (one at a time); the last Add
 * turns the first layer-norm line into "transformer_encoder HEADS ff=F
 * pre_norm=true" with the weights under deepc's names. */
typedef enum { T_NONE, T_QKV0, T_QKV, T_Q, T_K, T_V, T_KT, T_QS, T_SC, T_P, T_CTX, T_O, T_R1, T_LN2, T_F1, T_F1B, T_F2, T_F3, T_F3B } tf_stage;

static value *tf_in(imp *s, const Onnx__NodeProto *n, size_t k, int stage) {
    value *v = k < n->n_input ? find(s, n->input[k]) : NULL;
    return v && v->kind == V_TF && (stage < 0 || (int)v->expr == stage) ? v : NULL;
}

static dc_status tf_out(imp *s, const Onnx__NodeProto *n, tf_stage st) {
    value *v = add_value(s, n->output[0], V_TF);
    if (!v) return DC_ERR_NOMEM;
    v->expr = (expr_kind)st;
    return DC_OK;
}

/* the float values of a constant matrix (r, c) transposed into (c, r) */
static float *transposed(const Onnx__TensorProto *t, int64_t r, int64_t c) {
    float *f = malloc(sizeof(float) * (size_t)(r * c));
    for (int64_t i = 0; f && i < r; i++)
        for (int64_t j = 0; j < c; j++) f[j * r + i] = atf(t, i * c + j);
    return f;
}

/* 0: not a step of a Transformer block; 1: it was (status in *st) */
static int tf_step(imp *s, const Onnx__NodeProto *n, dc_status *st) {
    const char *op = n->op_type ? n->op_type : "";
    tf_block *b = &s->tf;
    *st = DC_OK;
    value *a = n->n_input ? find(s, n->input[0]) : NULL;
    if (!strcmp(op, "MatMul") && a && a->kind == V_TMAJOR && a->line >= 0 && !strcmp(s->ln[a->line].kw, "layer_norm") && a->line == s->nln - 1) {
        const Onnx__TensorProto *w = const_in(s, n, 1);
        const int64_t C = a->dims[1];
        if (!w || w->n_dims != 2 || w->dims[0] != C || w->dims[1] != 3 * C) return 0;
        const char *ln_in = b->ln_in; /* (set by the layer norm) */
        memset(b, 0, sizeof *b);
        b->ln1 = a->line, b->C = C, b->wqkv = w, b->ln_in = ln_in;
        *st = tf_out(s, n, T_QKV0);
        return 1;
    }
    int any = 0;
    for (size_t k = 0; k < n->n_input; k++) any |= tf_in(s, n, k, -1) != NULL;
    if (!any) return 0;
    value *t0 = tf_in(s, n, 0, -1), *t1 = tf_in(s, n, 1, -1);
    const tf_stage s0 = t0 ? (tf_stage)t0->expr : T_NONE, s1 = t1 ? (tf_stage)t1->expr : T_NONE;
    const Onnx__TensorProto *c0 = const_in(s, n, 0), *c1 = const_in(s, n, 1);
    const int64_t C = b->C;
    if (!strcmp(op, "Add") && ((s1 == T_QKV0 && c0 && elements(c0) == 3 * C) || (s0 == T_QKV0 && c1 && elements(c1) == 3 * C))) {
        b->bqkv = c0 ? c0 : c1;
        return *st = tf_out(s, n, T_QKV), 1;
    }
    if (!strcmp(op, "Slice") && s0 == T_QKV && b->nslice < 3) return *st = tf_out(s, n, (tf_stage)(T_Q + b->nslice++)), 1;
    if ((!strcmp(op, "Reshape") || !strcmp(op, "Transpose")) && t0 && (s0 == T_Q || s0 == T_K || s0 == T_V || s0 == T_CTX || s0 == T_O)) {
        int64_t perm[4];
        const int np = !strcmp(op, "Transpose") ? attr_ints(n, "perm", perm, 4) : 0;
        if (np == 3 && perm[0] == 1 && perm[1] == 2 && perm[2] == 0 && s0 == T_K) return *st = tf_out(s, n, T_KT), 1;
        if (np && !(np == 3 && perm[0] == 1 && perm[1] == 0 && perm[2] == 2)) return 0;
        if (s0 == T_O && np) { /* back to batch-major: the attention's output */
            value *v = add_value(s, n->output[0], V_TF);
            if (!v) return *st = DC_ERR_NOMEM, 1;
            v->expr = (expr_kind)T_O, v->half = 1; /* half: batch-major */
            return 1;
        }
        return *st = tf_out(s, n, s0), 1;
    }
    if ((!strcmp(op, "Div") || !strcmp(op, "Mul")) && s0 == T_Q && c1 && elements(c1) == 1) {
        const double c = at(c1, 0), d = !strcmp(op, "Div") ? c * c : 1.0 / (c * c);
        if (!(d >= 1 && d <= 65536)) return *st = fail_node(s, n, "an attention scale that is not 1/sqrt(head size)", NULL), 1;
        b->head_dim = (int64_t)(d + 0.5);
        if (b->head_dim < 1 || fabs(d - (double)b->head_dim) > 1e-3 * d || C % b->head_dim) return *st = fail_node(s, n, "an attention scale that is not 1/sqrt(head size)", NULL), 1;
        return *st = tf_out(s, n, T_QS), 1;
    }
    if (!strcmp(op, "MatMul") && s0 == T_QS && s1 == T_KT) return *st = tf_out(s, n, T_SC), 1;
    if (!strcmp(op, "Softmax") && s0 == T_SC && (attr_i(n, "axis", -1) == -1 || attr_i(n, "axis", -1) == 2)) return *st = tf_out(s, n, T_P), 1;
    if (!strcmp(op, "MatMul") && s0 == T_P && s1 == T_V) return *st = tf_out(s, n, T_CTX), 1;
    if (!strcmp(op, "Gemm") && s0 == T_CTX) {
        const Onnx__TensorProto *w = const_in(s, n, 1), *bo = const_in(s, n, 2);
        if (!w || !bo || !attr_i(n, "transB", 0) || elements(w) != C * C || elements(bo) != C) return *st = fail_node(s, n, "an attention out-projection deepc does not follow", NULL), 1;
        b->wo = w, b->bo = bo;
        return *st = tf_out(s, n, T_O), 1;
    }
    if (!strcmp(op, "Add") && s1 == T_O && t1->half && a && a->kind == V_ACT && b->ln_in && !strcmp(a->name, b->ln_in)) return *st = tf_out(s, n, T_R1), 1;
    if (!strcmp(op, "LayerNormalization") && s0 == T_R1) {
        const Onnx__TensorProto *g = const_in(s, n, 1), *bb = const_in(s, n, 2);
        if (!g || !bb || elements(g) != C || elements(bb) != C) return *st = fail_node(s, n, "a layer norm without constant scale and bias", NULL), 1;
        b->ln2g = g, b->ln2b = bb, b->eps2 = attr_f(n, "epsilon", 1e-5f);
        b->r1 = t0->name;
        return *st = tf_out(s, n, T_LN2), 1;
    }
    if (!strcmp(op, "MatMul") && (s0 == T_LN2 || s0 == T_F2) && c1 && c1->n_dims == 2) {
        if (s0 == T_LN2) b->w1 = c1, b->F = c1->dims[1];
        else b->w2 = c1;
        return *st = tf_out(s, n, s0 == T_LN2 ? T_F1 : T_F3), 1;
    }
    if (!strcmp(op, "Add") && (s0 == T_F1 || s1 == T_F1 || s0 == T_F3 || s1 == T_F3) && (c0 || c1)) {
        const int first = s0 == T_F1 || s1 == T_F1;
        if (first) b->b1 = c0 ? c0 : c1;
        else b->b2 = c0 ? c0 : c1;
        return *st = tf_out(s, n, first ? T_F1B : T_F3B), 1;
    }
    if (!strcmp(op, "Relu") && s0 == T_F1B) return *st = tf_out(s, n, T_F2), 1;
    if (!strcmp(op, "Add") && ((s0 == T_R1 && s1 == T_F3B) || (s1 == T_R1 && s0 == T_F3B))) { /* the block, whole */
        const int64_t F = b->F;
        if (!b->wqkv || !b->bqkv || !b->wo || !b->w1 || !b->b1 || !b->w2 || !b->b2 || !b->head_dim || elements(b->w1) != C * F ||
            elements(b->w2) != F * C || elements(b->b1) != F || elements(b->b2) != C)
            return *st = fail_node(s, n, "a Transformer block deepc does not follow", NULL), 1;
        line *l = &s->ln[b->ln1];
        char eps[48] = "";
        if (b->eps2 != 1e-5f) snprintf(eps, sizeof eps, " eps=%.9g", (double)b->eps2);
        name_line(s, b->ln1, "transformer_encoder");
        snprintf(l->args, sizeof l->args, "%lld ff=%lld pre_norm=true%s", (long long)(C / b->head_dim), (long long)F, eps);
        for (int i = 0; i < s->np; i++) /* the layer norm's weights are the block's ln_1 */
            if (s->p[i].line == b->ln1) {
                char w[sizeof s->p[i].what + 8];
                snprintf(w, sizeof w, "ln_1.%s", s->p[i].what);
                snprintf(s->p[i].what, sizeof s->p[i].what, "%.40s", w);
            }
        dc_status r = add_param(s, b->ln1, "attn.c_attn.weight", transposed(b->wqkv, C, 3 * C), 3 * C * C);
        if (!r) r = add_param(s, b->ln1, "attn.c_attn.bias", floats_of(b->bqkv, 3 * C), 3 * C);
        if (!r) r = add_param(s, b->ln1, "attn.c_proj.weight", floats_of(b->wo, C * C), C * C);
        if (!r) r = add_param(s, b->ln1, "attn.c_proj.bias", floats_of(b->bo, C), C);
        if (!r) r = add_param(s, b->ln1, "ln_2.weight", floats_of(b->ln2g, C), C);
        if (!r) r = add_param(s, b->ln1, "ln_2.bias", floats_of(b->ln2b, C), C);
        if (!r) r = add_param(s, b->ln1, "mlp.c_fc.weight", transposed(b->w1, C, F), F * C);
        if (!r) r = add_param(s, b->ln1, "mlp.c_fc.bias", floats_of(b->b1, F), F);
        if (!r) r = add_param(s, b->ln1, "mlp.c_proj.weight", transposed(b->w2, F, C), C * F);
        if (!r) r = add_param(s, b->ln1, "mlp.c_proj.bias", floats_of(b->b2, C), C);
        if (r) return *st = r, 1;
        value *x = find(s, b->ln_in);
        *st = x && out_act(s, n, 0, b->ln1, x->ndim, x->dims) ? DC_OK : DC_ERR_NOMEM;
        memset(b, 0, sizeof *b);
        return 1;
    }
    return 0;
}

/* The line of node n's doc_string that starts with key ("deepc:name "),
 * copied into buf without the key; NULL when there is none. */
static const char *doc_line(const Onnx__NodeProto *n, const char *key, char *buf, size_t size) {
    for (const char *d = n->doc_string; d && *d;) {
        const char *e = strchr(d, '\n');
        const size_t len = e ? (size_t)(e - d) : strlen(d), k = strlen(key);
        if (len >= k && !strncmp(d, key, k) && len - k < size) {
            memcpy(buf, d + k, len - k);
            buf[len - k] = 0;
            return buf;
        }
        d += len + (e ? 1 : 0);
    }
    return NULL;
}

/* A layer a deepc export recorded whole ("deepc:layer NAME\tLINE\tINPUTS\tDIMS"):
 * its line, reading the values INPUTS, its weights copied by name (fill) */
static dc_status op_recorded(imp *s, const Onnx__NodeProto *n, char *rec) {
    char *f[4] = {rec, NULL, NULL, NULL};
    for (int k = 1; k < 4; k++) {
        char *t = f[k - 1] ? strchr(f[k - 1], '\t') : NULL;
        if (!t) return fail_node(s, n, "a deepc layer record that is not NAME, LINE, INPUTS and DIMS", NULL);
        *t = 0;
        f[k] = t + 1;
    }
    char ins[256] = "", kw[32];
    int nins = 0, prev = 0;
    for (char *tok = strtok(f[2], ","); tok; tok = strtok(NULL, ",")) {
        value *v = find(s, tok);
        if (!v || v->kind != V_ACT) return fail_node(s, n, "a deepc layer record reading an unknown value: ", tok);
        const size_t len = strlen(ins);
        snprintf(ins + len, sizeof ins - len, "%s%s", len ? "," : "", v->line < 0 ? "input" : s->ln[v->line].name);
        prev = v->line == s->nln - 1 || (v->line < 0 && !s->nln);
        nins++;
    }
    if (sscanf(f[1], "%31s", kw) != 1) return fail_node(s, n, "an empty deepc layer record", NULL);
    line *l = add_line(s, kw, nins == 1 && prev ? NULL : ins); /* one input, the line before: no inputs= */
    if (!l) return dc_set_error(DC_ERR_INVALID, "%s: more than %d layers", s->path, MAX_LINES);
    const char *args = f[1] + strlen(kw);
    while (*args == ' ') args++;
    snprintf(l->args, sizeof l->args, "%s", args);
    if (strlen(f[0]) >= sizeof l->name || !*f[0] || (strcmp(f[0], l->name) && taken(s, f[0])))
        return fail_node(s, n, "a deepc layer record of a name already taken (or out of length): ", f[0]);
    rename_line(s, s->nln - 1, f[0]);
    l->recorded = 1;
    int64_t dims[DC_MAX_DIMS];
    int nd = 0;
    for (char *tok = strtok(f[3], "x"); tok && nd < DC_MAX_DIMS; tok = strtok(NULL, "x")) {
        const long long v = strtoll(tok, NULL, 10);
        if (v < 1 || v > (1 << 24)) return fail_node(s, n, "a deepc layer record with dimensions out of range", NULL);
        dims[nd++] = v;
    }
    if (!nd) return fail_node(s, n, "a deepc layer record without dimensions", NULL);
    return out_act(s, n, 0, s->nln - 1, nd, dims) ? DC_OK : DC_ERR_NOMEM;
}

/* Is value v derived from the padding mask or from shapes (not an activation, not data)? */
static int maskish(const value *v) { return v && (v->kind == V_SHAPE || v->kind == V_ZEROS || (v->kind >= V_PADB && v->kind <= V_LENS) || v->kind == V_MASKED); }

/* A node of a pattern over the padding mask, as deepc exports a masked
 * time pool or last step: its inputs are the mask (or shapes), constants
 * and at most one activation. The node that closes the pattern says which
 * layer it stands for (doc_string "deepc:LAYER of X"): that layer, over the
 * activation X; the nodes before it make V_MASKED values. 0: not such a node. */
static int mask_step(imp *s, const Onnx__NodeProto *n, dc_status *st) {
    int mask = 0;
    for (size_t k = 0; k < n->n_input; k++) {
        value *v = find(s, n->input[k]);
        if (maskish(v)) mask = 1;
        else if (v && v->kind != V_CONST && v->kind != V_ACT) return 0;
    }
    if (!mask) return 0;
    char pat[256];
    const char *doc = NULL;
    static const char *const pats[] = {"deepc:global_avg_pool1d of ", "deepc:global_max_pool1d of ", "deepc:last_step of ", "deepc:last_step reverse of "};
    for (size_t k = 0; k < sizeof pats / sizeof *pats && !doc; k++)
        if (doc_line(n, pats[k], pat + strlen(pats[k]) - 0, sizeof pat - strlen(pats[k]))) {
            memcpy(pat, pats[k], strlen(pats[k]));
            doc = pat;
        }
    if (doc) {
        char layer[64];
        const char *of = strstr(doc, " of ");
        if (!of || (size_t)(of - doc - 6) >= sizeof layer) return 0;
        memcpy(layer, doc + 6, (size_t)(of - doc - 6));
        layer[of - doc - 6] = 0;
        value *x = find(s, of + 4);
        const int rev = !strcmp(layer, "last_step reverse");
        if (!x || x->kind != V_ACT || x->ndim != 2 || (strcmp(layer, "global_avg_pool1d") && strcmp(layer, "global_max_pool1d") && strcmp(layer, "last_step") && !rev)) {
            *st = fail_node(s, n, "a deepc pattern over a value it does not know: ", doc);
            return 1;
        }
        const int64_t dims[1] = {x->dims[1]};
        line *p = x->line >= 0 ? &s->ln[x->line] : NULL;
        if (p && !strncmp(layer, "last_step", 9) && x->consumers <= 2 && /* (the forward half may have taken it first) */
            (!strcmp(p->kw, "lstm") || !strcmp(p->kw, "gru") || !strcmp(p->kw, "simple_rnn"))) {
            /* a recurrent layer's last real state (its reverse half's first): return_sequences=false */
            if (rev != x->half) {
                *st = fail_node(s, n, "a last step in the other direction than its recurrent half", NULL);
                return 1;
            }
            p->return_seq = 0;
            value *v = out_act(s, n, 0, x->line, 1, dims);
            if (v) v->half = x->half;
            *st = v ? DC_OK : DC_ERR_NOMEM;
            return 1;
        }
        if (rev) {
            *st = fail_node(s, n, "the first step of a sequence outside a bidirectional layer", NULL);
            return 1;
        }
        line *l = add_line(s, layer, from(s, x));
        if (!l) {
            *st = dc_set_error(DC_ERR_INVALID, "%s: more than %d layers", s->path, MAX_LINES);
            return 1;
        }
        *st = out_act(s, n, 0, s->nln - 1, 1, dims) ? DC_OK : DC_ERR_NOMEM;
        return 1;
    }
    for (size_t k = 0; k < n->n_output; k++)
        if (n->output[k] && *n->output[k] && !add_value(s, n->output[k], V_MASKED)) {
            *st = DC_ERR_NOMEM;
            return 1;
        }
    *st = DC_OK;
    return 1;
}

static dc_status run_node(imp *s, const Onnx__NodeProto *n) {
    const char *op = n->op_type ? n->op_type : "";
    if (n->domain && *n->domain && strcmp(n->domain, "ai.onnx")) return fail_node(s, n, "an op of another domain: ", n->domain);
    if (!n->n_output) return fail_node(s, n, "no output", NULL);
    for (size_t k = 0; k < n->n_input; k++) /* every input made before (a cycle or a missing value otherwise) */
        if (n->input[k] && *n->input[k] && !find(s, n->input[k]))
            return fail_node(s, n, "reads a value that no earlier node makes (a cycle, or a missing value): ", n->input[k]);
    dc_status st;
    char rec[1024];
    if (doc_line(n, "deepc:in ", rec, sizeof rec)) { /* inside a layer a deepc export recorded whole: nothing of its own */
        for (size_t k = 0; k < n->n_output; k++)
            if (n->output[k] && *n->output[k] && !add_value(s, n->output[k], V_MASKED)) return DC_ERR_NOMEM;
        return DC_OK;
    }
    if (doc_line(n, "deepc:layer ", rec, sizeof rec)) return op_recorded(s, n, rec);
    if (!n->n_input && strcmp(op, "Constant")) return fail_node(s, n, "no input", NULL);
    const char *act = activation_of(op);
    if (!strcmp(op, "Constant")) {
        const Onnx__AttributeProto *a = attr(n, "value");
        if (!a || !a->t) return fail_node(s, n, "a constant other than a tensor", NULL);
        if ((st = check_tensor(s, a->t, "constant"))) return st;
        value *v = add_value(s, n->output[0], V_CONST);
        if (!v) return DC_ERR_NOMEM;
        v->t = a->t;
        st = DC_OK;
    } else if (!strcmp(op, "Identity") || !strcmp(op, "Dropout")) {
        value *x = find(s, n->input[0]);
        value *v = add_value(s, n->output[0], x->kind);
        if (!v) return DC_ERR_NOMEM;
        *v = *find(s, n->input[0]), v->name = n->output[0];
        v->consumers = consumers(s, v->name);
        st = DC_OK;
    } else if (!strcmp(op, "Equal") || !strcmp(op, "Not") || (!strcmp(op, "Cast") && find(s, n->input[0]) &&
                                                                 find(s, n->input[0])->kind >= V_PADB) ||
               (!strcmp(op, "ReduceSum") && find(s, n->input[0]) && find(s, n->input[0])->kind == V_REAL)) {
        /* the padding mask as deepc exports it: Equal(ids, 0), Not, Cast, ReduceSum over the steps, Cast: sequence_lens */
        value *x = find(s, n->input[0]);
        const Onnx__TensorProto *z = const_in(s, n, 1);
        vkind k = V_NONE;
        if (!strcmp(op, "Equal") && x->kind == V_ACT && x->line < 0 && s->ids && z && elements(z) == 1 && at(z, 0) == 0) k = V_PADB;
        else if (!strcmp(op, "Not") && x->kind == V_PADB) k = V_REALB;
        else if (!strcmp(op, "Cast")) k = x->kind == V_REALB ? V_REAL : x->kind;
        else if (!strcmp(op, "ReduceSum") && !attr_i(n, "keepdims", 1)) {
            const Onnx__TensorProto *ax = const_in(s, n, 1);
            if (ax && elements(ax) == 1 && at_i(ax, 0) == 1) k = V_LENS;
        }
        if (k == V_NONE) return fail_node(s, n, "a mask deepc does not follow", NULL);
        st = add_value(s, n->output[0], k) ? DC_OK : DC_ERR_NOMEM;
    } else if (!strcmp(op, "Shape") || !strcmp(op, "Unsqueeze") || !strcmp(op, "Concat") || !strcmp(op, "Cast")) {
        value *x = find(s, n->input[0]);
        if (x && x->kind == V_ACT && !strcmp(op, "Concat")) st = op_concat(s, n);
        else if (x && x->kind == V_ACT && strcmp(op, "Shape")) return fail_node(s, n, "an unsqueeze or cast of an activation", NULL);
        else if (x && x->kind == V_CONST && !strcmp(op, "Cast")) { /* a half weight as floats: the same values */
            value *v = add_value(s, n->output[0], V_CONST);
            if (!v) return DC_ERR_NOMEM;
            v->t = x->t;
            st = DC_OK;
        }
        else st = add_value(s, n->output[0], V_SHAPE) ? DC_OK : DC_ERR_NOMEM; /* shape arithmetic (Shape of an activation too) */
    } else if (!strcmp(op, "ConstantOfShape")) {
        const Onnx__AttributeProto *a = attr(n, "value");
        const int zero = !a || (a->t && check_tensor(s, a->t, "value") == DC_OK && elements(a->t) == 1 && at(a->t, 0) == 0);
        st = add_value(s, n->output[0], zero ? V_ZEROS : V_SHAPE) ? DC_OK : DC_ERR_NOMEM;
    } else if (tf_step(s, n, &st)) {
        /* a step of a Transformer block */
    } else if (strcmp(op, "LSTM") && strcmp(op, "GRU") && strcmp(op, "RNN") && mask_step(s, n, &st)) {
        /* a step of a masked pool or last step (deepc's export) */
    } else if ((!strcmp(op, "Mul") || !strcmp(op, "Add") || !strcmp(op, "Div") || !strcmp(op, "Erf") || !strcmp(op, "Tanh")) &&
               expr_step(s, n, &st)) {
        /* a step of an activation written as arithmetic */
    } else if (!strcmp(op, "Gemm")) st = op_dense(s, n, 1);
    else if (!strcmp(op, "MatMul")) st = op_dense(s, n, 0);
    else if (!strcmp(op, "Add") || !strcmp(op, "Mul")) st = op_add(s, n);
    else if (act) st = op_activation(s, n, act);
    else if (!strcmp(op, "Conv")) st = op_conv(s, n);
    else if (!strcmp(op, "MaxPool") || !strcmp(op, "AveragePool")) st = op_pool(s, n, !strcmp(op, "MaxPool"));
    else if (!strcmp(op, "GlobalAveragePool") || !strcmp(op, "GlobalMaxPool")) st = op_global(s, n, !strcmp(op, "GlobalMaxPool"), 0);
    else if (!strcmp(op, "ReduceMean") || !strcmp(op, "ReduceMax")) st = op_global(s, n, !strcmp(op, "ReduceMax"), 1);
    else if (!strcmp(op, "BatchNormalization")) st = op_batchnorm(s, n);
    else if (!strcmp(op, "LayerNormalization")) st = op_layernorm(s, n);
    else if (!strcmp(op, "Flatten") || !strcmp(op, "Reshape") || !strcmp(op, "Squeeze")) st = op_reshape(s, n);
    else if (!strcmp(op, "Gather")) st = op_gather(s, n);
    else if (!strcmp(op, "Pad")) st = op_pad(s, n);
    else if (!strcmp(op, "Transpose")) st = op_transpose(s, n);
    else if (!strcmp(op, "LSTM") || !strcmp(op, "GRU") || !strcmp(op, "RNN")) st = op_rnn(s, n);
    else return fail_node(s, n, "an op deepc does not import", NULL);
    value *o = st || !n->n_output ? NULL : find(s, n->output[0]);
    if (o && o->kind == V_ACT && o->line == s->nln - 1 && o->line >= 0 && doc_line(n, "deepc:name ", rec, sizeof rec)) {
        if (!taken(s, rec) && strlen(rec) < sizeof s->ln[0].name) rename_line(s, o->line, rec); /* the layer's name in the deepc model exported */
    }
    return st;
}

/* the model's one input: not an initializer; its shape past the batch */
static dc_status graph_input(imp *s) {
    const Onnx__GraphProto *g = s->g;
    const Onnx__ValueInfoProto *in = NULL;
    for (size_t i = 0; i < g->n_input; i++) {
        int init = 0;
        init = g->input[i]->name && tab_get(&s->inits, g->input[i]->name, -1) >= 0; /* (older files list initializers as inputs) */
        if (init) continue;
        if (in) return dc_set_error(DC_ERR_FORMAT, "%s: the graph has several inputs; deepc imports models of one input", s->path);
        in = g->input[i];
    }
    if (!in || !in->name || !in->type || !in->type->tensor_type || !in->type->tensor_type->shape)
        return dc_set_error(DC_ERR_FORMAT, "%s: the graph's input has no tensor type and shape", s->path);
    const Onnx__TypeProto__Tensor *tt = in->type->tensor_type;
    const Onnx__TensorShapeProto *sh = tt->shape;
    if (sh->n_dim < 2 || sh->n_dim > DC_MAX_DIMS) return dc_set_error(DC_ERR_FORMAT, "%s: input \"%s\" has %zu dimensions (2 to %d: a batch, then a sample)", s->path, in->name, sh->n_dim, DC_MAX_DIMS);
    s->in_ndim = (int)sh->n_dim - 1;
    for (size_t d = 1; d < sh->n_dim; d++) {
        const Onnx__TensorShapeProto__Dimension *dm = sh->dim[d];
        if (dm->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM && d == 1 && s->seq_hint > 0) { /* deepc's symbolic length */
            s->in_dims[0] = s->seq_hint;
            continue;
        }
        if (dm->value_case != ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE || dm->dim_value < 1 || dm->dim_value > (1 << 24))
            return dc_set_error(DC_ERR_FORMAT, "%s: input \"%s\": dimension %zu must be a fixed size of 1 to %d (deepc's inputs have one shape)", s->path,
                                in->name, d, 1 << 24);
        s->in_dims[d - 1] = dm->dim_value;
    }
    int64_t per = 1;
    for (int d = 0; d < s->in_ndim; d++)
        if ((per *= s->in_dims[d]) > (1 << 28)) return dc_set_error(DC_ERR_FORMAT, "%s: input \"%s\" is over 2^28 values a sample", s->path, in->name);
    const int e = tt->has_elem_type ? tt->elem_type : 0;
    s->ids = e == ONNX__TENSOR_PROTO__DATA_TYPE__INT64 || e == ONNX__TENSOR_PROTO__DATA_TYPE__INT32;
    if (!s->ids && e != ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT)
        return dc_set_error(DC_ERR_FORMAT, "%s: input \"%s\" is of element type %d: deepc takes float inputs or integer token ids", s->path, in->name, e);
    s->input = in->name;
    value *v = add_value(s, in->name, V_ACT);
    if (!v) return DC_ERR_NOMEM;
    v->ndim = s->in_ndim;
    memcpy(v->dims, s->in_dims, sizeof(int64_t) * (size_t)s->in_ndim);
    v->consumers = consumers(s, in->name);
    return DC_OK;
}

static dc_status build_text(imp *s, const value *out, dc_strbuf *b) {
    dc_sb_printf(b, "# imported from %s by deepc import-onnx\ninput ", s->path);
    for (int d = 0; d < s->in_ndim; d++) dc_sb_printf(b, "%s%lld", d ? "x" : "", (long long)s->in_dims[d]);
    dc_sb_puts(b, " name=input\n");
    for (int i = 0; i < s->nln; i++) {
        const line *l = &s->ln[i];
        dc_sb_printf(b, "%s%s%s", l->kw, l->args[0] ? " " : "", l->args);
        if (l->act[0]) dc_sb_printf(b, " activation=%s", l->act);
        if (l->no_bias) dc_sb_puts(b, " use_bias=false");
        if (l->return_seq) dc_sb_puts(b, " return_sequences=true");
        if (l->bidir) dc_sb_puts(b, " bidirectional=true");
        if (l->merge_sum) dc_sb_puts(b, " merge_sum=true");
        if (l->mask_zero && !strstr(l->args, "mask_zero=true")) dc_sb_puts(b, " mask_zero=true");
        if (l->inputs[0]) dc_sb_printf(b, " inputs=%s", l->inputs);
        dc_sb_printf(b, " name=%s\n", l->name);
    }
    if (out->line != s->nln - 1) return dc_set_error(DC_ERR_FORMAT, "%s: the graph's output is not its last layer's", s->path);
    return b->oom ? dc_set_error(DC_ERR_NOMEM, "import: out of memory") : DC_OK;
}

/* the weights of recorded layers: every tensor of the layer from the initializer of its name, its type and size */
static dc_status fill_recorded(imp *s, dc_model *m) {
    for (int i = 0; i < dc_model_num_param_tensors(m); i++) {
        const char *name;
        dc_tensor *t = dc_model_param_tensor(m, i, &name);
        const char *dot = strchr(name, '.');
        int rec = 0;
        for (int k = 0; k < s->nln && dot; k++)
            rec |= s->ln[k].recorded && strlen(s->ln[k].name) == (size_t)(dot - name) && !strncmp(s->ln[k].name, name, (size_t)(dot - name));
        if (!rec) continue;
        const Onnx__TensorProto *init = NULL;
        const int k = tab_get(&s->inits, name, -1);
        if (k >= 0) init = s->g->initializer[k];
        const int want = t->dtype == DC_F32 ? ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT : t->dtype == DC_I8 ? ONNX__TENSOR_PROTO__DATA_TYPE__INT8
                       : t->dtype == DC_U8 ? ONNX__TENSOR_PROTO__DATA_TYPE__UINT8 : t->dtype == DC_F16 ? ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT16
                       : t->dtype == DC_BF16 ? ONNX__TENSOR_PROTO__DATA_TYPE__BFLOAT16 : -1;
        if (!init || init->data_type != want || elements(init) != t->size)
            return dc_set_error(DC_ERR_FORMAT, "%s: tensor \"%s\" of a recorded layer is missing or of another type or size", s->path, name);
        for (int64_t j = 0; j < t->size; j++) {
            if (init->has_raw_data) continue;
            if (t->dtype == DC_F32) t->data[j] = atf(init, j);
            else if (t->dtype == DC_I8) ((int8_t *)t->raw)[j] = (int8_t)at_i(init, j);
            else if (t->dtype == DC_U8) ((uint8_t *)t->raw)[j] = (uint8_t)at_i(init, j);
        }
        if (init->has_raw_data) memcpy(t->raw, init->raw_data.data, dc_dtype_size(t->dtype) * (size_t)t->size);
    }
    return DC_OK;
}

static dc_status fill(imp *s, dc_model *m) {
    for (int i = 0; i < s->np; i++) {
        const param *p = &s->p[i];
        dc_layer *l = dc_model_find_layer(m, s->ln[p->line].name);
        dc_tensor *t = l ? dc_layer_param(l, p->what) : NULL;
        if (!t || t->dtype != DC_F32 || t->size != p->n)
            return dc_set_error(DC_ERR_FORMAT, "%s: layer \"%s\": %s of %lld values does not fit (%lld)", s->path, s->ln[p->line].name, p->what,
                                (long long)p->n, t ? (long long)t->size : -1LL);
        memcpy(t->data, p->data, sizeof(float) * (size_t)p->n);
    }
    return DC_OK;
}

static dc_status import(imp *s, dc_model **out) {
    FILE *f = fopen(s->path, "rb");
    if (!f) return dc_set_error(DC_ERR_IO, "%s: cannot open: %s", s->path, strerror(errno));
    uint8_t *buf = NULL;
    size_t n = 0, cap = 0;
    for (;;) { /* read it whole, at most MAX_FILE bytes */
        if (n == cap) {
            if (cap >= MAX_FILE) {
                fclose(f), free(buf);
                return dc_set_error(DC_ERR_FORMAT, "%s: over 2 GiB: larger than one protobuf message may be", s->path);
            }
            cap = cap ? 2 * cap : 1 << 16;
            uint8_t *b = realloc(buf, cap);
            if (!b) {
                fclose(f), free(buf);
                return dc_set_error(DC_ERR_NOMEM, "%s: out of memory reading it", s->path);
            }
            buf = b;
        }
        const size_t r = fread(buf + n, 1, cap - n, f);
        n += r;
        if (r == 0) break;
    }
    fclose(f);
    s->m = onnx__model_proto__unpack(NULL, n, buf);
    free(buf);
    if (!s->m) return dc_set_error(DC_ERR_FORMAT, "%s: not an ONNX model (protobuf cannot decode it: truncated or not ModelProto)", s->path);
    if (!(s->g = s->m->graph)) return dc_set_error(DC_ERR_FORMAT, "%s: an ONNX model without a graph", s->path);
    int opset = 0;
    for (size_t i = 0; i < s->m->n_opset_import; i++)
        if (!s->m->opset_import[i]->domain || !*s->m->opset_import[i]->domain || !strcmp(s->m->opset_import[i]->domain, "ai.onnx"))
            opset = (int)s->m->opset_import[i]->version;
    if (opset < 13 || opset > 17) return dc_set_error(DC_ERR_FORMAT, "%s: opset %d: deepc imports opsets 13 to 17", s->path, opset);
    if (s->g->n_output != 1 || !s->g->output[0]->name)
        return dc_set_error(DC_ERR_FORMAT, "%s: the graph has %zu outputs; deepc imports models of one output", s->path, s->g->n_output);
    for (size_t i = 0; i < s->m->n_metadata_props; i++) { /* deepc's export says the length it was traced at */
        const Onnx__StringStringEntryProto *e = s->m->metadata_props[i];
        if (e->key && e->value && !strcmp(e->key, "deepc.sequence_length")) {
            char *end;
            const long long v = strtoll(e->value, &end, 10);
            if (*end || v < 1 || v > (1 << 24)) return dc_set_error(DC_ERR_FORMAT, "%s: metadata deepc.sequence_length \"%s\" is not a length", s->path, e->value);
            s->seq_hint = v;
        }
    }
    dc_status st;
    if ((st = count_readers(s))) return st;
    for (size_t i = 0; i < s->g->n_initializer; i++) { /* named, once each */
        const Onnx__TensorProto *t = s->g->initializer[i];
        if (!t->name || !*t->name) return dc_set_error(DC_ERR_FORMAT, "%s: an initializer without a name", s->path);
        if (tab_get(&s->inits, t->name, -1) >= 0) return dc_set_error(DC_ERR_FORMAT, "%s: two initializers are called \"%s\"", s->path, t->name);
        if (tab_put(&s->inits, t->name, (int)i, 0)) return dc_set_error(DC_ERR_NOMEM, "import: out of memory");
    }
    if ((st = graph_input(s))) return st;
    for (size_t i = 0; i < s->g->n_initializer; i++) {
        const Onnx__TensorProto *t = s->g->initializer[i];
        if ((st = check_tensor(s, t, "initializer"))) return st;
        value *v = add_value(s, t->name, V_CONST);
        if (!v) return DC_ERR_NOMEM;
        v->t = t;
    }
    if (!(s->ln = calloc(MAX_LINES, sizeof *s->ln)) || !(s->pool = calloc(3 * MAX_LINES, sizeof *s->pool)))
        return dc_set_error(DC_ERR_NOMEM, "import: out of memory");
    for (size_t i = 0; i < s->g->n_node; i++)
        if ((st = run_node(s, s->g->node[i]))) return st;
    value *o = find(s, s->g->output[0]->name);
    if (!o || o->kind != V_ACT || o->line < 0) return dc_set_error(DC_ERR_FORMAT, "%s: the graph's output \"%s\" is not computed by its nodes", s->path, s->g->output[0]->name);
    dc_strbuf b = {0};
    if ((st = build_text(s, o, &b))) {
        free(b.s);
        return st;
    }
    dc_model *m = dc_model_parse(b.s, s->path);
    if (!m) {
        char msg[1024];
        snprintf(msg, sizeof msg, "%s", dc_last_error());
        st = dc_set_error(DC_ERR_FORMAT, "%s: the imported description does not build: %s\n%s", s->path, msg, b.s);
    } else if ((st = fill(s, m)) || (st = fill_recorded(s, m))) {
        dc_model_free(m);
        m = NULL;
    }
    free(b.s);
    *out = m;
    return st;
}

dc_model *dc_model_import_onnx(const char *path) {
    if (!path) {
        dc_set_error(DC_ERR_INVALID, "import: needs a path");
        return NULL;
    }
    imp s = {.path = path};
    dc_model *m = NULL;
    dc_status st = import(&s, &m);
    if (s.m) onnx__model_proto__free_unpacked(s.m, NULL);
    for (int i = 0; i < s.np; i++) free(s.p[i].data);
    free(s.p), free(s.v), free(s.ln);
    tab_free(&s.names), tab_free(&s.readers), tab_free(&s.inits), tab_free(&s.held);
    for (int i = 0; i < s.npool; i++) free(s.pool[i]);
    free(s.pool);
    if (st) {
        dc_model_free(m);
        return NULL;
    }
    return m;
}
