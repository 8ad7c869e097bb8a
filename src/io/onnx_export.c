/* onnx_export.c — a model as an ONNX graph (deepc export --format onnx).
 *
 * The model is not walked layer kind by layer kind: it is run once in
 * trace mode (every op records itself with its attributes, dc_trace_node)
 * and each traced op becomes ONNX nodes. Parameters keep their deepc names
 * as initializers; the input is "input" and the output "output", with a
 * symbolic batch dimension (and, for a model of token ids whose layers
 * take any length, a symbolic sequence dimension). The graph is traced at
 * batch 2 and 3 (and at one step fewer): where a reshape's target differs
 * between the traces, that dimension follows the batch or the length, and
 * the Reshape says so with 0 (copy the input's) or -1; a slice that ends
 * with the sequence ends at the input's length.
 * An op with no ONNX form here is an error naming it and its layer. */
#include "../nn/model.h"
#include "onnx_write.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- a traced forward -------------------------------------------------------------- */

typedef struct {
    dc_graph *g;
    dc_value *vals;
    dc_tensor *x, *y;
    int n; /* trace nodes */
} traced;

static void traced_free(traced *t) { dc_graph_free(t->g); }

/* Does model input node k feed token ids (an embedding reads it)? */
static int feeds_ids(const dc_model *m, int k) {
    for (int i = k + 1; i < m->nnodes; i++)
        for (int j = 0; j < m->nodes[i]->nin; j++)
            if (m->nodes[i]->in[j] == k && m->nodes[i]->type->reads_ids) return 1;
    return 0;
}

/* A variational autoencoder's sampling layer (its decoder is what
 * exports: the sampling draws noise), or -1. */
static int sampling_node(const dc_model *m) {
    for (int i = 0; i < m->nnodes; i++)
        if (!strcmp(m->nodes[i]->type->keyword, "sampling")) return i;
    return -1;
}

/* A forward of batch x the input's shape (ids: its first dimension
 * shortened by `shorter` steps), traced. A VAE runs from its sampling
 * layer's output: the decoder, on latent points. */
static dc_status trace_at(const dc_model *m, int64_t batch, int64_t shorter, traced *t) {
    memset(t, 0, sizeof *t);
    int feed[DC_LAYER_MAX_INPUTS];
    const int vae = sampling_node(m);
    if (vae >= 0) feed[0] = vae;
    else if (dc_model_input_nodes(m, feed) != 1) return dc_set_error(DC_ERR_INVALID, "export: ONNX export takes models of one input so far");
    if ((m->noutputs ? m->noutputs : 1) != 1) return dc_set_error(DC_ERR_INVALID, "export: ONNX export takes models of one output so far");
    const dc_layer *in = m->nodes[feed[0]];
    int64_t shape[DC_MAX_DIMS + 1];
    shape[0] = batch;
    memcpy(shape + 1, in->out.d, sizeof(int64_t) * (size_t)in->out.ndim);
    shape[1] -= shorter;
    const int ids = vae < 0 && feeds_ids(m, feed[0]);
    if (!(t->g = dc_graph_new())) return dc_set_error(DC_ERR_NOMEM, "export: out of memory");
    dc_graph_set_grad_enabled(t->g, 0);
    dc_graph_set_trace(t->g, 1);
    if (!(t->x = dc_input(t->g, ids ? DC_I32 : DC_F32, in->out.ndim + 1, shape))) return DC_ERR_NOMEM;
    for (int64_t i = 0; i < t->x->size; i++) /* any values: the trace records ops, not data (ids: 1, a real token) */
        if (ids) t->x->idata[i] = 1;
        else t->x->data[i] = sinf((float)i);
    dc_status st = dc_model_run(m, t->g, 1, feed, &t->x, &t->vals);
    if (st) return st;
    t->y = t->vals[dc_model_output_node(m, 0)].y;
    t->n = dc_graph_trace_count(t->g);
    return DC_OK;
}

/* ---- tensor -> value name ------------------------------------------------------------ */

typedef struct {
    const dc_tensor **key;
    const char **name;
    size_t cap;
} name_map;

static size_t slot(const name_map *nm, const dc_tensor *t) {
    size_t h = ((uintptr_t)t >> 4) * 0x9E3779B97F4A7C15ull & (nm->cap - 1);
    while (nm->key[h] && nm->key[h] != t) h = (h + 1) & (nm->cap - 1);
    return h;
}
static const char *name_of(const name_map *nm, const dc_tensor *t) { return nm->key[slot(nm, t)] ? nm->name[slot(nm, t)] : NULL; }
static void name_set(name_map *nm, const dc_tensor *t, const char *name) {
    const size_t h = slot(nm, t);
    nm->key[h] = t, nm->name[h] = name;
}

/* ---- the exporter's state -------------------------------------------------------------- */

typedef struct {
    const dc_model *m;
    traced a, b, c;     /* at batch 2 and 3, and batch 2 one step shorter (seq) */
    int seq;            /* the sequence dimension is symbolic (trace c ran) */
    const char *seq_len; /* the input's length as an int64 (1) value, made once */
    ox_graph x;
    name_map names;
    int *layer_of;      /* trace node -> model node */
    int opset;
} exporter;

static const char *layer_name(const exporter *e, int i) { return e->m->nodes[e->layer_of[i]]->name; }

static dc_status unsupported(const exporter *e, int i, const char *why) {
    const dc_layer *l = e->m->nodes[e->layer_of[i]];
    return dc_set_error(DC_ERR_INVALID, "export: layer \"%s\" (%s): %s has no ONNX form in deepc's exporter yet%s%s", l->name,
                        l->type->keyword, dc_op_name(dc_graph_trace_node(e->a.g, i)->op), why ? ": " : "", why ? why : "");
}

/* Which model node made each trace node: the layers run in order, each
 * one's ops together, the last of them making its output. */
static dc_status assign_layers(exporter *e) {
    const int n = e->a.n;
    if (!(e->layer_of = malloc(sizeof(int) * (size_t)(n + 1)))) return dc_set_error(DC_ERR_NOMEM, "export: out of memory");
    int next = 0;
    for (int l = 0; l < e->m->nnodes && next < n; l++) {
        const dc_tensor *y = e->a.vals[l].y;
        int end = -1;
        for (int i = next; i < n && y; i++)
            if (dc_graph_trace_node(e->a.g, i)->out == y) end = i;
        for (int i = next; i <= end; i++) e->layer_of[i] = l;
        if (end >= 0) next = end + 1;
    }
    for (int i = next; i < n; i++) e->layer_of[i] = e->m->nnodes - 1;
    return DC_OK;
}

/* The name of an op's input: a parameter, the model's input, an earlier
 * op's output, or a constant made an initializer here. */
static const char *input_name(exporter *e, int i, const dc_tensor *t) {
    const char *n = name_of(&e->names, t);
    if (n) return n;
    if (t->dtype != DC_F32) {
        unsupported(e, i, "a constant input that is not float");
        return NULL;
    }
    n = ox_const_f(&e->x, "const", t->ndim, t->shape, t->data);
    if (n) name_set(&e->names, t, n);
    return n;
}

static const char *scalar(exporter *e, float v) { return ox_const_f(&e->x, "scalar", 0, NULL, &v); }

/* One ONNX node of one input to a fresh output (or out); the output's name */
static const char *node1(exporter *e, int i, const char *op, const char *in, const char *out, Onnx__NodeProto **np) {
    const char *o = out ? out : ox_fresh(&e->x, layer_name(e, i));
    const char *ins[1] = {in};
    Onnx__NodeProto *n = ox_node(&e->x, op, o, 1, ins, 1, &o);
    if (np) *np = n;
    return o;
}
static const char *node2(exporter *e, int i, const char *op, const char *a, const char *b, const char *out) {
    const char *o = out ? out : ox_fresh(&e->x, layer_name(e, i));
    const char *ins[2] = {a, b};
    ox_node(&e->x, op, o, 2, ins, 1, &o);
    return o;
}

/* ---- ops ------------------------------------------------------------------------------- */

/* Reshape's target: each dimension as traced at batch 2; one that differs
 * at batch 3 (or one step shorter) follows the batch or the length: 0 (the
 * input's, when it is the input's dimension at the same place in every
 * trace) or -1 (one such at most). */
static dc_status reshape_target(exporter *e, int i, int64_t *shape) {
    const dc_trace_node *n[3] = {dc_graph_trace_node(e->a.g, i), dc_graph_trace_node(e->b.g, i), e->seq ? dc_graph_trace_node(e->c.g, i) : NULL};
    const dc_tensor *za = n[0]->out;
    int minus = 0;
    for (int d = 0; d < za->ndim; d++) {
        shape[d] = za->shape[d];
        int varies = 0, copied = 1;
        for (int k = 0; k < 3; k++) {
            if (!n[k]) continue;
            const dc_tensor *z = n[k]->out, *x = n[k]->in[0];
            varies |= z->shape[d] != za->shape[d];
            copied &= d < x->ndim && x->shape[d] == z->shape[d];
        }
        if (!varies) continue;
        if (copied) shape[d] = 0;
        else if (!minus++) shape[d] = -1;
        else return unsupported(e, i, "a reshape with two dimensions that follow the batch or the length");
    }
    return DC_OK;
}

/* The input's length (its dimension 1) as an int64 (1) value. */
static const char *seq_len(exporter *e) {
    if (!e->seq_len) {
        Onnx__NodeProto *n;
        const char *o = ox_fresh(&e->x, "seq_len"), *in = "input";
        n = ox_node(&e->x, "Shape", o, 1, &in, 1, &o);
        ox_attr_i(&e->x, n, "start", 1);
        ox_attr_i(&e->x, n, "end", 2);
        e->seq_len = o;
    }
    return e->seq_len;
}

/* A padding mask (the token ids: non-zero is a real step) as floats of 1
 * and 0, and as each sequence's count of real steps (int32, for the
 * recurrent ops' sequence_lens: deepc's padding comes after the tokens). */
static const char *real_steps(exporter *e, int i, const char *ids) {
    const int32_t zero = 0;
    const char *z = ox_fresh(&e->x, "zero");
    ox_init(&e->x, z, ONNX__TENSOR_PROTO__DATA_TYPE__INT32, 0, NULL, &zero, sizeof zero);
    Onnx__NodeProto *n;
    const char *f = node1(e, i, "Cast", node1(e, i, "Not", node2(e, i, "Equal", ids, z, NULL), NULL, NULL), NULL, &n);
    ox_attr_i(&e->x, n, "to", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT);
    return f;
}

static const char *step_counts(exporter *e, int i, const char *real) {
    Onnx__NodeProto *n;
    const char *ins[2] = {real, ox_const_i64(&e->x, "axes", 1, (const int64_t[]){1})};
    const char *o = ox_fresh(&e->x, layer_name(e, i));
    n = ox_node(&e->x, "ReduceSum", o, 2, ins, 1, &o);
    ox_attr_i(&e->x, n, "keepdims", 0);
    const char *c = node1(e, i, "Cast", o, NULL, &n);
    ox_attr_i(&e->x, n, "to", ONNX__TENSOR_PROTO__DATA_TYPE__INT32);
    return c;
}

static const char *unsqueeze(exporter *e, int i, const char *x, int naxes, const int64_t *axes) {
    return node2(e, i, "Unsqueeze", x, ox_const_i64(&e->x, "axes", naxes, axes), NULL);
}

/* A recurrent layer's weights in ONNX's gate order and shapes: W (1, G H,
 * I), R (1, G H, H), B (1, 2 G H). deepc (as PyTorch) orders an LSTM's
 * gates i, f, g, o and a GRU's r, z, n; ONNX i, o, f, c and z, r, h. */
static dc_status rnn_weights(exporter *e, int i, const dc_trace_node *nd, int64_t G, int64_t H, const char **W, const char **R,
                             const char **B) {
    static const int lstm[4] = {0, 3, 1, 2}, gru[3] = {1, 0, 2}, one[1] = {0};
    const int *order = G == 4 ? lstm : G == 3 ? gru : one;
    const dc_tensor *wi = nd->in[1], *wh = nd->in[2], *bi = nd->nin > 3 ? nd->in[3] : NULL, *bh = nd->nin > 4 ? nd->in[4] : NULL;
    const int64_t I = wi->shape[1];
    const float *fi = wi->data, *fh = wh->data;
    if (nd->op == DC_OP_QRNN) { /* int8 matrices (a scale per row: in[5], in[6]), as floats: ONNX's recurrent ops take floats */
        float *di = ox_alloc(&e->x, sizeof(float) * (size_t)(G * H * I)), *dh = ox_alloc(&e->x, sizeof(float) * (size_t)(G * H * H));
        if (!di || !dh) return dc_set_error(DC_ERR_NOMEM, "export: out of memory");
        dc_k_dequantize_rows_i8(wi->raw, nd->in[5]->data, G * H, I, di);
        dc_k_dequantize_rows_i8(wh->raw, nd->in[6]->data, G * H, H, dh);
        fi = di, fh = dh;
    }
    float *w = ox_alloc(&e->x, sizeof(float) * (size_t)(G * H * I)), *r = ox_alloc(&e->x, sizeof(float) * (size_t)(G * H * H));
    float *b = ox_alloc(&e->x, sizeof(float) * (size_t)(2 * G * H));
    if (!w || !r || !b) return dc_set_error(DC_ERR_NOMEM, "export: out of memory");
    for (int64_t g = 0; g < G; g++) {
        const int64_t src = order[g];
        memcpy(w + g * H * I, fi + src * H * I, sizeof(float) * (size_t)(H * I));
        memcpy(r + g * H * H, fh + src * H * H, sizeof(float) * (size_t)(H * H));
        if (bi) memcpy(b + g * H, bi->data + src * H, sizeof(float) * (size_t)H);
        if (bh) memcpy(b + G * H + g * H, bh->data + src * H, sizeof(float) * (size_t)H);
    }
    char stem[160];
    snprintf(stem, sizeof stem, "%s.W", layer_name(e, i));
    *W = ox_const_f(&e->x, stem, 3, (const int64_t[]){1, G * H, I}, w);
    snprintf(stem, sizeof stem, "%s.R", layer_name(e, i));
    *R = ox_const_f(&e->x, stem, 3, (const int64_t[]){1, G * H, H}, r);
    snprintf(stem, sizeof stem, "%s.B", layer_name(e, i));
    *B = ox_const_f(&e->x, stem, 2, (const int64_t[]){1, 2 * G * H}, b);
    return DC_OK;
}

/* x (N, T, I) through ONNX's RNN, LSTM or GRU (time-major inside: a
 * Transpose either side), in one direction, sequence_lens from the mask */
static dc_status rnn(exporter *e, int i, const dc_trace_node *nd, const char *const *in, const char *out) {
    const int kind = nd->a.kind;
    const int64_t G = kind == DC_RNN_LSTM ? 4 : kind == DC_RNN_GRU ? 3 : 1, H = nd->out->shape[2];
    const char *W = NULL, *R = NULL, *B = NULL;
    dc_status st = rnn_weights(e, i, nd, G, H, &W, &R, &B);
    if (st) return st;
    const int mk = nd->op == DC_OP_QRNN ? 7 : 5; /* where the mask is */
    const dc_tensor *mask = nd->nin > mk ? nd->in[mk] : NULL;
    if (mask && mask->dtype != DC_I32) return unsupported(e, i, "a padding mask that is not token ids");
    Onnx__NodeProto *n;
    const char *xt = node1(e, i, "Transpose", in[0], NULL, &n);
    ox_attr_ints(&e->x, n, "perm", 3, (const int64_t[]){1, 0, 2});
    const char *lens = mask ? step_counts(e, i, real_steps(e, i, in[mk])) : NULL;
    const char *ins[5] = {xt, W, R, B, lens}, *y = ox_fresh(&e->x, layer_name(e, i));
    n = ox_node(&e->x, kind == DC_RNN_LSTM ? "LSTM" : kind == DC_RNN_GRU ? "GRU" : "RNN", y, lens ? 5 : 4, ins, 1, &y);
    ox_attr_i(&e->x, n, "hidden_size", H);
    if (nd->a.reverse) ox_attr_s(&e->x, n, "direction", "reverse");
    if (kind == DC_RNN_GRU) ox_attr_i(&e->x, n, "linear_before_reset", 1); /* the reset gate scales W_hn h + b_hn, as PyTorch */
    const char *sq = node2(e, i, "Squeeze", y, ox_const_i64(&e->x, "axes", 1, (const int64_t[]){1}), NULL);
    node1(e, i, "Transpose", sq, out, &n);
    ox_attr_ints(&e->x, n, "perm", 3, (const int64_t[]){1, 0, 2});
    return DC_OK;
}

/* Attention over qkv (N, T, 3C) in `heads` heads, as MatMul and Softmax:
 * causal and padding masks added to the scores as -1e9 (a query with no
 * key to see gets the mean of the values where deepc gives zeros: only a
 * sequence of nothing but padding) */
static dc_status attention(exporter *e, int i, const dc_trace_node *nd, const char *const *in, const char *out) {
    const int64_t C = nd->in[0]->shape[2] / 3, h = nd->a.heads, D = C / h;
    Onnx__NodeProto *n;
    const char *part[3];
    for (int k = 0; k < 3; k++) { /* q, k, v: (N, T, C) -> (N, T, h, D) -> (N, h, T, D) (k: (N, h, D, T)) */
        const int64_t st = k * C, en = (k + 1) * C, ax = 2;
        const char *ins[4] = {in[0], ox_const_i64(&e->x, "starts", 1, &st), ox_const_i64(&e->x, "ends", 1, &en), ox_const_i64(&e->x, "axes", 1, &ax)};
        const char *sl = ox_fresh(&e->x, layer_name(e, i));
        ox_node(&e->x, "Slice", sl, 4, ins, 1, &sl);
        const char *r = node2(e, i, "Reshape", sl, ox_const_i64(&e->x, "shape", 4, (const int64_t[]){0, 0, h, D}), NULL);
        part[k] = node1(e, i, "Transpose", r, NULL, &n);
        ox_attr_ints(&e->x, n, "perm", 4, k == 1 ? (const int64_t[]){0, 2, 3, 1} : (const int64_t[]){0, 2, 1, 3});
    }
    const char *sc = node2(e, i, "Mul", node2(e, i, "MatMul", part[0], part[1], NULL), scalar(e, (float)(1.0 / sqrt((double)D))), NULL);
    if (nd->a.causal) { /* -1e9 above the diagonal of a (T, T) made at the input's length */
        const char *T = node1(e, i, "Shape", in[0], NULL, &n);
        ox_attr_i(&e->x, n, "start", 1);
        ox_attr_i(&e->x, n, "end", 2);
        const char *cat[2] = {T, T}, *tt = ox_fresh(&e->x, layer_name(e, i));
        n = ox_node(&e->x, "Concat", tt, 2, cat, 1, &tt);
        ox_attr_i(&e->x, n, "axis", 0);
        const char *full = node1(e, i, "ConstantOfShape", tt, NULL, &n);
        ox_attr_tensor_f(&e->x, n, "value", -1e9f);
        const char *tri = node2(e, i, "Trilu", full, ox_scalar_i64(&e->x, "k", 1), NULL); /* upper (the default), above the diagonal */
        sc = node2(e, i, "Add", sc, tri, NULL);
    }
    const dc_tensor *mask = nd->nin > 1 ? nd->in[1] : NULL;
    if (mask) { /* keys that are padding: (real - 1) 1e9, as (N, 1, 1, T) */
        if (mask->dtype != DC_I32) return unsupported(e, i, "a padding mask that is not token ids");
        const char *bias = node2(e, i, "Mul", node2(e, i, "Sub", real_steps(e, i, in[1]), scalar(e, 1.0f), NULL), scalar(e, 1e9f), NULL);
        sc = node2(e, i, "Add", sc, unsqueeze(e, i, bias, 2, (const int64_t[]){1, 2}), NULL);
    }
    const char *p = node1(e, i, "Softmax", sc, NULL, &n);
    ox_attr_i(&e->x, n, "axis", -1);
    const char *o = node1(e, i, "Transpose", node2(e, i, "MatMul", p, part[2], NULL), NULL, &n);
    ox_attr_ints(&e->x, n, "perm", 4, (const int64_t[]){0, 2, 1, 3});
    node2(e, i, "Reshape", o, ox_const_i64(&e->x, "shape", 3, (const int64_t[]){0, 0, C}), out);
    return DC_OK;
}

/* x -> gelu(x), exact (erf) or the tanh form, from elementary nodes
 * (ONNX's Gelu op comes with opset 20) */
static void gelu(exporter *e, int i, const char *x, int tanh_form, const char *out) {
    const char *inner;
    if (!tanh_form) {
        inner = node1(e, i, "Erf", node2(e, i, "Mul", x, scalar(e, (float)M_SQRT1_2), NULL), NULL, NULL);
    } else { /* tanh(sqrt(2/pi) (x + 0.044715 x^3)) */
        const char *x3 = node2(e, i, "Mul", node2(e, i, "Mul", x, x, NULL), x, NULL);
        const char *s = node2(e, i, "Add", x, node2(e, i, "Mul", x3, scalar(e, 0.044715f), NULL), NULL);
        inner = node1(e, i, "Tanh", node2(e, i, "Mul", s, scalar(e, 0.7978845608028654f), NULL), NULL, NULL);
    }
    const char *h = node2(e, i, "Mul", x, scalar(e, 0.5f), NULL);
    node2(e, i, "Mul", h, node2(e, i, "Add", inner, scalar(e, 1.0f), NULL), out);
}

/* ---- quantized and half weights ------------------------------------------------------ */

/* A 4-bit matrix (q4_0: U8 (rows, K/2), an F16 scale per 32 values) as
 * floats (rows, K) in the graph: its values as an INT8 initializer, times
 * the scales per block (ONNX has no 4-bit type before opset 21). */
static const char *q4_floats(exporter *e, int i, const dc_tensor *w, const char *scale) {
    const int64_t rows = w->shape[0], K = 2 * w->shape[1], nb = K / DC_Q4_BLOCK;
    int8_t *v = ox_alloc(&e->x, (size_t)(rows * K));
    if (!v) return NULL;
    for (int64_t r = 0; r < rows; r++)
        for (int64_t b = 0; b < nb; b++) {
            const uint8_t *q = (const uint8_t *)w->raw + (r * K + b * DC_Q4_BLOCK) / 2;
            for (int j = 0; j < DC_Q4_BLOCK / 2; j++) {
                v[r * K + b * DC_Q4_BLOCK + j] = (int8_t)((q[j] & 15) - 8);
                v[r * K + b * DC_Q4_BLOCK + j + 16] = (int8_t)((q[j] >> 4) - 8);
            }
        }
    char stem[160];
    snprintf(stem, sizeof stem, "%s.q4_values", name_of(&e->names, w) ? name_of(&e->names, w) : layer_name(e, i));
    const char *vn = ox_fresh(&e->x, stem);
    ox_init(&e->x, vn, ONNX__TENSOR_PROTO__DATA_TYPE__INT8, 3, (const int64_t[]){rows, nb, DC_Q4_BLOCK}, v, (size_t)(rows * K));
    Onnx__NodeProto *n;
    const char *vf = node1(e, i, "Cast", vn, NULL, &n);
    ox_attr_i(&e->x, n, "to", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT);
    const char *sf = node1(e, i, "Cast", scale, NULL, &n);
    ox_attr_i(&e->x, n, "to", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT);
    const char *prod = node2(e, i, "Mul", vf, unsqueeze(e, i, sf, 1, (const int64_t[]){2}), NULL);
    return node2(e, i, "Reshape", prod, ox_const_i64(&e->x, "shape", 2, (const int64_t[]){rows, K}), NULL);
}

/* An int8 weight with a float scale per row (dimension 0) as floats */
static const char *i8_floats(exporter *e, int i, const char *w, const char *scale, const char *out) {
    const char *ins[2] = {w, scale}, *o = out ? out : ox_fresh(&e->x, layer_name(e, i));
    Onnx__NodeProto *n = ox_node(&e->x, "DequantizeLinear", o, 2, ins, 1, &o);
    ox_attr_i(&e->x, n, "axis", 0);
    return o;
}

/* deepc's dynamic quantization of x as graph ops: one scale per slice
 * over `naxes` trailing axes (a row of a product, a sample of a convolution),
 * s = max|x| / 127 (1 where x is all zeros), q = round(x * (1/s)) clamped to
 * [-127, 127] (Round: half to even, as deepc); q as int8 (or as float
 * integers when as_float), s beside it. */
static const char *quantize_dynamic(exporter *e, int i, const char *x, int naxes, const int64_t *axes, int as_float, const char **scale) {
    Onnx__NodeProto *n;
    const char *amax = node1(e, i, "ReduceMax", node1(e, i, "Abs", x, NULL, NULL), NULL, &n);
    ox_attr_ints(&e->x, n, "axes", naxes, axes);
    ox_attr_i(&e->x, n, "keepdims", 1);
    const char *zero = scalar(e, 0.0f);
    const char *wi[3] = {node2(e, i, "Greater", amax, zero, NULL), node2(e, i, "Div", amax, scalar(e, 127.0f), NULL), scalar(e, 1.0f)};
    const char *s = ox_fresh(&e->x, layer_name(e, i));
    ox_node(&e->x, "Where", s, 3, wi, 1, &s);
    *scale = s;
    const char *ci[3] = {node2(e, i, "Mul", x, node1(e, i, "Reciprocal", s, NULL, NULL), NULL), scalar(e, -127.0f), scalar(e, 127.0f)};
    const char *cl = ox_fresh(&e->x, layer_name(e, i));
    ox_node(&e->x, "Clip", cl, 3, ci, 1, &cl);
    const char *r = node1(e, i, "Round", cl, NULL, NULL);
    if (as_float) return r;
    const char *q = node1(e, i, "Cast", r, NULL, &n);
    ox_attr_i(&e->x, n, "to", ONNX__TENSOR_PROTO__DATA_TYPE__INT8);
    return q;
}

/* x (..., K) against an int8 W (N, K) with a scale per row, as deepc runs
 * it: x quantized per row to int8 (dynamic: quantize_dynamic, deepc's
 * scheme rather than DynamicQuantizeLinear's per-tensor uint8, so that the
 * two runtimes agree) or to uint8 with the static scale and zero point
 * (QuantizeLinear), MatMulInteger against W^T (exact int32 sums), the sums
 * scaled back by the input's and the row's scales. */
static void qlinear(exporter *e, int i, const dc_trace_node *nd, const char *const *in, const char *out) {
    const int st = nd->op == DC_OP_QLINEAR_STATIC;
    const char *xq, *xs, *xz;
    Onnx__NodeProto *n;
    if (st) {
        const float s = nd->in[3]->data[0];
        const uint8_t z = (uint8_t)nd->in[4]->data[0];
        xs = scalar(e, s);
        xz = ox_fresh(&e->x, "zero_point");
        ox_init(&e->x, xz, ONNX__TENSOR_PROTO__DATA_TYPE__UINT8, 0, NULL, &z, 1);
        const char *qi[3] = {in[0], xs, xz};
        xq = ox_fresh(&e->x, layer_name(e, i));
        ox_node(&e->x, "QuantizeLinear", xq, 3, qi, 1, &xq);
    } else {
        xq = quantize_dynamic(e, i, in[0], 1, (const int64_t[]){-1}, 0, &xs);
        xz = NULL;
    }
    const char *wt = node1(e, i, "Transpose", in[1], NULL, &n);
    ox_attr_ints(&e->x, n, "perm", 2, (const int64_t[]){1, 0});
    const char *mi[3] = {xq, wt, xz}, *acc = ox_fresh(&e->x, layer_name(e, i));
    ox_node(&e->x, "MatMulInteger", acc, xz ? 3 : 2, mi, 1, &acc);
    const char *f = node1(e, i, "Cast", acc, NULL, &n);
    ox_attr_i(&e->x, n, "to", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT);
    const int hasb = nd->nin > 3 + 2 * st && nd->in[3 + 2 * st];
    const char *y = node2(e, i, "Mul", node2(e, i, "Mul", f, xs, NULL), in[2], hasb ? NULL : out);
    if (hasb) node2(e, i, "Add", y, in[3 + 2 * st], out);
}

static void doc_add(exporter *e, size_t k, const char *line);

/* The last node written closes a pattern that stands for one deepc layer
 * over the value x (a masked time pool or last step): its doc_string says
 * which ("deepc:last_step of x"), so that deepc's import gives the layer back. */
static void hint(exporter *e, const char *layer, const char *x) {
    char buf[256];
    snprintf(buf, sizeof buf, "deepc:%s of %s", layer, x);
    if (e->x.nnode) doc_add(e, e->x.nnode - 1, buf);
}

static dc_status emit(exporter *e, int i) {
    const dc_trace_node *nd = dc_graph_trace_node(e->a.g, i);
    const dc_op_attrs *a = &nd->a;
    const dc_tensor *X = nd->in[0], *Z = nd->out;
    const char *in[DC_TRACE_MAX_IN];
    for (int k = 0; k < nd->nin; k++) {
        if (!nd->in[k]) continue;
        const dc_tensor *kb = dc_graph_trace_node(e->b.g, i)->in[k];
        if (!name_of(&e->names, nd->in[k]) && kb && kb->size != nd->in[k]->size) /* made at run time, batch-sized: not a constant */
            return unsupported(e, i, "an input drawn at run time at the batch's size (random noise)");
        if (!(in[k] = input_name(e, i, nd->in[k]))) return e->x.oom ? DC_ERR_NOMEM : DC_ERR_INVALID;
    }
    const char *out = Z == e->a.y ? "output" : ox_fresh(&e->x, layer_name(e, i));
    if (!out) return DC_ERR_NOMEM;
    name_set(&e->names, Z, out);
    Onnx__NodeProto *n = NULL;
    switch (nd->op) {
    case DC_OP_ADD: node2(e, i, "Add", in[0], in[1], out); break;
    case DC_OP_SUB: node2(e, i, "Sub", in[0], in[1], out); break;
    case DC_OP_MUL: node2(e, i, "Mul", in[0], in[1], out); break;
    case DC_OP_DIV: node2(e, i, "Div", in[0], in[1], out); break;
    case DC_OP_ADD_SCALAR: node2(e, i, "Add", in[0], scalar(e, a->f0), out); break;
    case DC_OP_MUL_SCALAR: node2(e, i, "Mul", in[0], scalar(e, a->f0), out); break;
    case DC_OP_POW: node2(e, i, "Pow", in[0], scalar(e, a->f0), out); break;
    case DC_OP_EXP: node1(e, i, "Exp", in[0], out, NULL); break;
    case DC_OP_LOG: node1(e, i, "Log", in[0], out, NULL); break;
    case DC_OP_SQRT: node1(e, i, "Sqrt", in[0], out, NULL); break;
    case DC_OP_ABS: node1(e, i, "Abs", in[0], out, NULL); break;
    case DC_OP_RELU: node1(e, i, "Relu", in[0], out, NULL); break;
    case DC_OP_SIGMOID: node1(e, i, "Sigmoid", in[0], out, NULL); break;
    case DC_OP_TANH: node1(e, i, "Tanh", in[0], out, NULL); break;
    case DC_OP_LEAKY_RELU:
        node1(e, i, "LeakyRelu", in[0], out, &n);
        ox_attr_f(&e->x, n, "alpha", a->f0);
        break;
    case DC_OP_CLAMP: {
        const char *ins[3] = {in[0], scalar(e, a->f0), scalar(e, a->f1)};
        ox_node(&e->x, "Clip", out, 3, ins, 1, &out);
        break;
    }
    case DC_OP_GELU: case DC_OP_GELU_TANH: gelu(e, i, in[0], nd->op == DC_OP_GELU_TANH, out); break;
    case DC_OP_DROPOUT: case DC_OP_DROPOUT_CHANNELS: node1(e, i, "Identity", in[0], out, NULL); break; /* inference */
    case DC_OP_SOFTMAX: case DC_OP_LOG_SOFTMAX:
        node1(e, i, nd->op == DC_OP_SOFTMAX ? "Softmax" : "LogSoftmax", in[0], out, &n);
        ox_attr_i(&e->x, n, "axis", a->axis);
        break;
    case DC_OP_LINEAR: { /* x W^T + b: Gemm on 2-D inputs, else MatMul with W transposed */
        if (X->ndim == 2) {
            const char *ins[3] = {in[0], in[1], nd->nin > 2 ? in[2] : NULL};
            n = ox_node(&e->x, "Gemm", out, nd->nin > 2 ? 3 : 2, ins, 1, &out);
            ox_attr_i(&e->x, n, "transB", 1);
        } else {
            Onnx__NodeProto *t;
            const char *wt = node1(e, i, "Transpose", in[1], NULL, &t);
            ox_attr_ints(&e->x, t, "perm", 2, (const int64_t[]){1, 0});
            if (nd->nin > 2) node2(e, i, "Add", node2(e, i, "MatMul", in[0], wt, NULL), in[2], out);
            else node2(e, i, "MatMul", in[0], wt, out);
        }
        break;
    }
    case DC_OP_MATMUL: node2(e, i, "MatMul", in[0], in[1], out); break;
    case DC_OP_RESHAPE: {
        int64_t shape[DC_MAX_DIMS];
        dc_status st = reshape_target(e, i, shape);
        if (st) return st;
        node2(e, i, "Reshape", in[0], ox_const_i64(&e->x, "shape", Z->ndim, shape), out);
        break;
    }
    case DC_OP_TRANSPOSE: {
        int64_t perm[DC_MAX_DIMS];
        for (int d = 0; d < X->ndim; d++) perm[d] = d;
        perm[a->axis] = a->axis2, perm[a->axis2] = a->axis;
        node1(e, i, "Transpose", in[0], out, &n);
        ox_attr_ints(&e->x, n, "perm", X->ndim, perm);
        break;
    }
    case DC_OP_CONCAT:
        n = ox_node(&e->x, "Concat", out, nd->nin, in, 1, &out);
        ox_attr_i(&e->x, n, "axis", a->axis);
        break;
    case DC_OP_SLICE: {
        const char *end = NULL;
        if (e->seq) { /* a slice as long as the sequence (positions 0 .. T): it ends at start + the input's length */
            const dc_trace_node *nc = dc_graph_trace_node(e->c.g, i);
            if (nc->a.end != a->end) {
                if (nc->a.start != a->start || a->end - a->start != e->a.x->shape[1] || nc->a.end - nc->a.start != e->c.x->shape[1])
                    return unsupported(e, i, "a slice that follows the length otherwise than by ending with it");
                end = node2(e, i, "Add", seq_len(e), ox_const_i64(&e->x, "start", 1, &a->start), NULL);
            }
        }
        const char *ins[4] = {in[0], ox_const_i64(&e->x, "starts", 1, &a->start), end ? end : ox_const_i64(&e->x, "ends", 1, &a->end),
                              ox_const_i64(&e->x, "axes", 1, (const int64_t[]){a->axis})};
        ox_node(&e->x, "Slice", out, 4, ins, 1, &out);
        break;
    }
    case DC_OP_SUM: case DC_OP_MEAN: case DC_OP_MAX: {
        const char *op = nd->op == DC_OP_SUM ? "ReduceSum" : nd->op == DC_OP_MEAN ? "ReduceMean" : "ReduceMax";
        const int all = a->axis < 0; /* the whole tensor: deepc keeps a shape (1), ONNX a scalar, reshaped after */
        const int64_t ax = a->axis;
        const char *r = all ? ox_fresh(&e->x, layer_name(e, i)) : out;
        if (nd->op == DC_OP_SUM) { /* opset 13 on: the axes are an input */
            const char *ins[2] = {in[0], all ? NULL : ox_const_i64(&e->x, "axes", 1, &ax)};
            n = ox_node(&e->x, op, r, all ? 1 : 2, ins, 1, &r);
        } else {
            node1(e, i, op, in[0], r, &n);
            if (!all) ox_attr_ints(&e->x, n, "axes", 1, &ax);
        }
        ox_attr_i(&e->x, n, "keepdims", all ? 0 : a->keepdim);
        if (all) node2(e, i, "Reshape", r, ox_const_i64(&e->x, "shape", Z->ndim, Z->shape), out);
        break;
    }
    case DC_OP_CONV2D: {
        const dc_conv_params *p = &a->conv;
        const dc_tensor *W = nd->in[1];
        n = ox_node(&e->x, "Conv", out, nd->nin > 2 ? 3 : 2, in, 1, &out);
        ox_attr_ints(&e->x, n, "kernel_shape", 2, (const int64_t[]){W->shape[2], W->shape[3]});
        ox_attr_ints(&e->x, n, "strides", 2, (const int64_t[]){p->stride_h, p->stride_w});
        ox_attr_ints(&e->x, n, "dilations", 2, (const int64_t[]){p->dil_h, p->dil_w});
        ox_attr_ints(&e->x, n, "pads", 4, (const int64_t[]){p->pad_top, p->pad_left, p->pad_bottom, p->pad_right});
        ox_attr_i(&e->x, n, "group", p->groups);
        break;
    }
    case DC_OP_MAXPOOL2D: case DC_OP_AVGPOOL2D: {
        const dc_conv_params *p = &a->conv;
        /* deepc's pools pad alike on both sides and round down, as ONNX's pads + ceil_mode 0 */
        node1(e, i, nd->op == DC_OP_MAXPOOL2D ? "MaxPool" : "AveragePool", in[0], out, &n);
        ox_attr_ints(&e->x, n, "kernel_shape", 2, (const int64_t[]){a->kh, a->kw});
        ox_attr_ints(&e->x, n, "strides", 2, (const int64_t[]){p->stride_h, p->stride_w});
        ox_attr_ints(&e->x, n, "pads", 4, (const int64_t[]){p->pad_top, p->pad_left, p->pad_top, p->pad_left});
        if (nd->op == DC_OP_AVGPOOL2D) ox_attr_i(&e->x, n, "count_include_pad", 1); /* padding counts as zeros */
        break;
    }
    case DC_OP_PAD2D: {
        const dc_conv_params *p = &a->conv;
        const int64_t pads[8] = {0, 0, p->pad_top, p->pad_left, 0, 0, p->pad_bottom, p->pad_right};
        node2(e, i, "Pad", in[0], ox_const_i64(&e->x, "pads", 8, pads), out);
        break;
    }
    case DC_OP_BATCHNORM: /* inference form: the running statistics */
        if (a->flag || nd->nin < 5 || !nd->in[1] || !nd->in[2]) return unsupported(e, i, "batch statistics or no scale and shift");
        {
            const char *ins[5] = {in[0], in[1], in[2], in[3], in[4]};
            n = ox_node(&e->x, "BatchNormalization", out, 5, ins, 1, &out);
            ox_attr_f(&e->x, n, "epsilon", a->f0);
        }
        break;
    case DC_OP_LAYER_NORM: {
        const int64_t C = X->shape[X->ndim - 1];
        const char *scale = nd->nin > 1 && nd->in[1] ? in[1] : NULL;
        if (!scale) { /* ONNX's LayerNormalization wants a scale: ones */
            float *ones = ox_alloc(&e->x, sizeof(float) * (size_t)C);
            if (!ones) return DC_ERR_NOMEM;
            for (int64_t k = 0; k < C; k++) ones[k] = 1.0f;
            scale = ox_const_f(&e->x, "ones", 1, &C, ones);
        }
        const char *ins[3] = {in[0], scale, nd->nin > 2 && nd->in[2] ? in[2] : NULL};
        n = ox_node(&e->x, "LayerNormalization", out, ins[2] ? 3 : 2, ins, 1, &out);
        ox_attr_i(&e->x, n, "axis", -1);
        ox_attr_f(&e->x, n, "epsilon", a->f0);
        break;
    }
    case DC_OP_TIME_POOL: { /* (N, T, F) -> (N, F): mean or max over the (real) steps */
        const dc_tensor *mask = nd->nin > 1 ? nd->in[1] : NULL;
        if (!mask) {
            node1(e, i, a->flag ? "ReduceMax" : "ReduceMean", in[0], out, &n);
            ox_attr_ints(&e->x, n, "axes", 1, (const int64_t[]){1});
            ox_attr_i(&e->x, n, "keepdims", 0);
            break;
        }
        if (mask->dtype != DC_I32) return unsupported(e, i, "a padding mask that is not token ids");
        const char *real = unsqueeze(e, i, real_steps(e, i, in[1]), 1, (const int64_t[]){2}); /* (N, T, 1) */
        const char *axes = ox_const_i64(&e->x, "axes", 1, (const int64_t[]){1});
        if (!a->flag) { /* the sum over the real steps / their count (at least 1: none gives 0, as deepc) */
            const char *s1[2] = {node2(e, i, "Mul", in[0], real, NULL), axes}, *s2[2] = {real, axes};
            const char *sum = ox_fresh(&e->x, layer_name(e, i)), *cnt = ox_fresh(&e->x, layer_name(e, i));
            n = ox_node(&e->x, "ReduceSum", sum, 2, s1, 1, &sum);
            ox_attr_i(&e->x, n, "keepdims", 0);
            n = ox_node(&e->x, "ReduceSum", cnt, 2, s2, 1, &cnt);
            ox_attr_i(&e->x, n, "keepdims", 0);
            node2(e, i, "Div", sum, node2(e, i, "Max", cnt, scalar(e, 1.0f), NULL), out);
            hint(e, "global_avg_pool1d", in[0]);
        } else { /* the max over real steps: padding pushed to -1e30 (none real: 0, as deepc) */
            const char *low = node2(e, i, "Mul", node2(e, i, "Sub", real, scalar(e, 1.0f), NULL), scalar(e, 1e30f), NULL);
            const char *mx = node1(e, i, "ReduceMax", node2(e, i, "Add", node2(e, i, "Mul", in[0], real, NULL), low, NULL), NULL, &n);
            ox_attr_ints(&e->x, n, "axes", 1, (const int64_t[]){1});
            ox_attr_i(&e->x, n, "keepdims", 0);
            const char *s2[2] = {real, axes}, *cnt = ox_fresh(&e->x, layer_name(e, i));
            n = ox_node(&e->x, "ReduceMax", cnt, 1, s2, 1, &cnt);
            ox_attr_ints(&e->x, n, "axes", 1, (const int64_t[]){1});
            ox_attr_i(&e->x, n, "keepdims", 0);
            node2(e, i, "Mul", mx, cnt, out); /* cnt: 1 where any step is real, else 0 (and mx is -1e30) */
            hint(e, "global_max_pool1d", in[0]);
        }
        break;
    }
    case DC_OP_RNN_LAST: { /* the last real step (the first, reversed): a Gather of one step per sequence */
        const dc_tensor *mask = nd->nin > 1 ? nd->in[1] : NULL;
        if (!mask) {
            const char *ins[2] = {in[0], ox_scalar_i64(&e->x, "step", a->reverse ? 0 : -1)};
            n = ox_node(&e->x, "Gather", out, 2, ins, 1, &out);
            ox_attr_i(&e->x, n, "axis", 1);
            break;
        }
        if (mask->dtype != DC_I32) return unsupported(e, i, "a padding mask that is not token ids");
        /* steps 1..T where real, 0 where padding: the last real one is their max; the first is T + 1 - max of (T+1 - t) */
        const char *T = seq_len(e);
        const char *rng = node1(e, i, "Cast", T, NULL, &n);
        ox_attr_i(&e->x, n, "to", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT);
        const char *one = scalar(e, 1.0f), *zero = scalar(e, 0.0f);
        const char *ri[3] = {one, node2(e, i, "Add", node2(e, i, "Squeeze", rng, ox_const_i64(&e->x, "axes", 1, (const int64_t[]){0}), NULL), one, NULL), one};
        const char *steps = ox_fresh(&e->x, layer_name(e, i));
        ox_node(&e->x, "Range", steps, 3, ri, 1, &steps); /* 1, 2, ..., T */
        if (a->reverse) steps = node2(e, i, "Sub", node2(e, i, "Add", node2(e, i, "Squeeze", rng, ox_const_i64(&e->x, "axes", 1, (const int64_t[]){0}), NULL), one, NULL), steps, NULL);
        const char *w = node2(e, i, "Mul", real_steps(e, i, in[1]), steps, NULL); /* (N, T) */
        const char *best = node1(e, i, "ReduceMax", w, NULL, &n);
        ox_attr_ints(&e->x, n, "axes", 1, (const int64_t[]){1});
        ox_attr_i(&e->x, n, "keepdims", 1); /* (N, 1): 0 when no step is real */
        const char *at = a->reverse ? node2(e, i, "Sub", node2(e, i, "Add", node2(e, i, "Squeeze", rng, ox_const_i64(&e->x, "axes", 1, (const int64_t[]){0}), NULL), one, NULL), best, NULL) : best;
        at = node2(e, i, "Max", node2(e, i, "Sub", at, one, NULL), zero, NULL); /* the step index (none real: 0) */
        if (a->reverse) at = node2(e, i, "Min", at, node2(e, i, "Sub", node2(e, i, "Squeeze", rng, ox_const_i64(&e->x, "axes", 1, (const int64_t[]){0}), NULL), one, NULL), NULL);
        const char *idx = node1(e, i, "Cast", at, NULL, &n);
        ox_attr_i(&e->x, n, "to", ONNX__TENSOR_PROTO__DATA_TYPE__INT64);
        /* (N, 1) -> (N, 1, F) for GatherElements on axis 1 */
        const char *F = node1(e, i, "Shape", in[0], NULL, &n);
        ox_attr_i(&e->x, n, "start", 2);
        const char *shp[3] = {node1(e, i, "Shape", idx, NULL, NULL), F}, *tgt = ox_fresh(&e->x, layer_name(e, i));
        n = ox_node(&e->x, "Concat", tgt, 2, shp, 1, &tgt);
        ox_attr_i(&e->x, n, "axis", 0);
        const char *ix = node2(e, i, "Expand", unsqueeze(e, i, idx, 1, (const int64_t[]){2}), tgt, NULL);
        const char *gi[2] = {in[0], ix}, *g = ox_fresh(&e->x, layer_name(e, i));
        n = ox_node(&e->x, "GatherElements", g, 2, gi, 1, &g);
        ox_attr_i(&e->x, n, "axis", 1);
        const char *real_any = node1(e, i, "ReduceMax", real_steps(e, i, in[1]), NULL, &n); /* none real: deepc gives zeros */
        ox_attr_ints(&e->x, n, "axes", 1, (const int64_t[]){1});
        ox_attr_i(&e->x, n, "keepdims", 1);
        node2(e, i, "Mul", node2(e, i, "Squeeze", g, ox_const_i64(&e->x, "axes", 1, (const int64_t[]){1}), NULL), real_any, out);
        hint(e, a->reverse ? "last_step reverse" : "last_step", in[0]);
        break;
    }
    case DC_OP_EMBEDDING: node2(e, i, "Gather", in[0], in[1], out); break; /* table, ids */
    case DC_OP_CAST: /* a half-precision weight (or ids) to floats */
        if (Z->dtype != DC_F32) return unsupported(e, i, "a cast to another type than float");
        node1(e, i, "Cast", in[0], out, &n);
        ox_attr_i(&e->x, n, "to", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT);
        break;
    case DC_OP_DEQUANTIZE: /* a quantized weight as floats, in the shape asked */
        if (X->dtype == DC_I8 && X->ndim == Z->ndim) {
            i8_floats(e, i, in[0], in[1], out);
        } else if (X->dtype == DC_I8) {
            node2(e, i, "Reshape", i8_floats(e, i, in[0], in[1], NULL), ox_const_i64(&e->x, "shape", Z->ndim, Z->shape), out);
        } else {
            const char *f = q4_floats(e, i, X, in[1]);
            if (!f) return DC_ERR_NOMEM;
            node2(e, i, "Reshape", f, ox_const_i64(&e->x, "shape", Z->ndim, Z->shape), out);
        }
        break;
    case DC_OP_QLINEAR: case DC_OP_QLINEAR_STATIC:
        if (nd->in[1]->dtype == DC_I8) {
            qlinear(e, i, nd, in, out);
        } else { /* 4-bit: the weights as floats, a float product */
            const char *w = q4_floats(e, i, nd->in[1], in[2]);
            if (!w) return DC_ERR_NOMEM;
            Onnx__NodeProto *t;
            const char *wt = node1(e, i, "Transpose", w, NULL, &t);
            ox_attr_ints(&e->x, t, "perm", 2, (const int64_t[]){1, 0});
            if (nd->nin > 3 && nd->in[3]) node2(e, i, "Add", node2(e, i, "MatMul", in[0], wt, NULL), in[3], out);
            else node2(e, i, "MatMul", in[0], wt, out);
        }
        break;
    case DC_OP_QEMBEDDING: { /* the table as floats, then the rows */
        const char *t = X->dtype == DC_I8 ? i8_floats(e, i, in[0], in[1], NULL) : q4_floats(e, i, X, in[1]);
        if (!t) return DC_ERR_NOMEM;
        node2(e, i, "Gather", t, in[2], out);
        break;
    }
    case DC_OP_QCONV2D: { /* deepc's int8 convolution: each sample quantized (one scale), the int8 kernel, integer sums */
        /* the sums as a float Conv of integer values: exact while they stay below 2^24 (K x 127 x 127: K up to 1040) */
        const char *sx, *q = quantize_dynamic(e, i, in[0], 3, (const int64_t[]){1, 2, 3}, 1, &sx);
        const char *w = node1(e, i, "Cast", in[1], NULL, &n);
        ox_attr_i(&e->x, n, "to", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT);
        const dc_conv_params *p = &a->conv;
        const char *ins[2] = {q, w}, *acc = ox_fresh(&e->x, layer_name(e, i));
        n = ox_node(&e->x, "Conv", acc, 2, ins, 1, &acc);
        ox_attr_ints(&e->x, n, "kernel_shape", 2, (const int64_t[]){nd->in[1]->shape[2], nd->in[1]->shape[3]});
        ox_attr_ints(&e->x, n, "strides", 2, (const int64_t[]){p->stride_h, p->stride_w});
        ox_attr_ints(&e->x, n, "dilations", 2, (const int64_t[]){p->dil_h, p->dil_w});
        ox_attr_ints(&e->x, n, "pads", 4, (const int64_t[]){p->pad_top, p->pad_left, p->pad_bottom, p->pad_right});
        ox_attr_i(&e->x, n, "group", p->groups);
        const int64_t OC = nd->in[1]->shape[0];
        const char *ws = node2(e, i, "Reshape", in[2], ox_const_i64(&e->x, "shape", 4, (const int64_t[]){1, OC, 1, 1}), NULL);
        const int hasb = nd->nin > 3 && nd->in[3];
        const char *y = node2(e, i, "Mul", acc, node2(e, i, "Mul", sx, ws, NULL), hasb ? NULL : out);
        if (hasb) node2(e, i, "Add", y, node2(e, i, "Reshape", in[3], ox_const_i64(&e->x, "shape", 4, (const int64_t[]){1, OC, 1, 1}), NULL), out);
        break;
    }
    case DC_OP_RNN: case DC_OP_QRNN: {
        dc_status st = rnn(e, i, nd, in, out);
        if (st) return st;
        break;
    }
    case DC_OP_ATTENTION: {
        if (a->heads < 1 || nd->in[0]->shape[2] % (3 * a->heads)) return unsupported(e, i, "its heads do not divide its width");
        dc_status st = attention(e, i, nd, in, out);
        if (st) return st;
        break;
    }
    default: return unsupported(e, i, NULL);
    }
    return e->x.oom ? dc_set_error(DC_ERR_NOMEM, "export: out of memory") : DC_OK;
}

/* ---- what deepc's import reads back --------------------------------------------------------
 * Every layer's last node says in its doc_string which layer it completes
 * ("deepc:name NAME"), so that deepc's import gives the layers their names
 * back. A layer whose ONNX form deepc's import does not follow op by op — a
 * Transformer block, positional embeddings, a tied head, int8 and 4-bit
 * products — is recorded whole: each of its nodes says "deepc:in NAME",
 * and its last one "deepc:layer NAME<TAB>its description line<TAB>its inputs"
 * (the ONNX values it reads); its weights are initializers under their
 * deepc names. Other tools ignore doc_strings; the graph stays the same. */

static int recorded(const dc_layer *l) {
    if (!strncmp(l->type->keyword, "transformer_", 12) || !strcmp(l->type->keyword, "positional_embedding") || l->wdtype == DC_I8 ||
        l->wdtype == DC_WEIGHTS_Q4 || l->act_static)
        return 1;
    dc_strbuf b = {0}; /* a head tied to an embedding (tie=NAME); an embedding whose padding mask later layers read */
    dc_layer_options_write(l->type, l->cfg, &b);
    const int rec = b.s && (strstr(b.s, " tie=") || strstr(b.s, " mask_zero=true"));
    free(b.s);
    return rec;
}

/* the doc_string of node k, with line added ("\n" between lines) */
static void doc_add(exporter *e, size_t k, const char *line) {
    Onnx__NodeProto *n = e->x.node[k];
    char *d = ox_alloc(&e->x, (n->doc_string ? strlen(n->doc_string) + 1 : 0) + strlen(line) + 1);
    if (!d) return;
    if (n->doc_string) strcat(strcat(d, n->doc_string), "\n");
    strcat(d, line);
    n->doc_string = d;
}

static dc_status emit_recorded(exporter *e, int i) {
    const size_t before = e->x.nnode;
    dc_status st = emit(e, i);
    if (st || e->x.nnode == before) return st;
    const int li = e->layer_of[i];
    const dc_layer *l = e->m->nodes[li];
    const int last = dc_graph_trace_node(e->a.g, i)->out == e->a.vals[li].y;
    const int rec = recorded(l);
    dc_strbuf b = {0};
    if (rec)
        for (size_t k = before; k < e->x.nnode - (last ? 1 : 0); k++) {
            dc_sb_printf(&b, "deepc:in %s", l->name);
            doc_add(e, k, b.s);
            b.n = 0;
        }
    if (last && rec) {
        dc_sb_printf(&b, "deepc:layer %s\t%s", l->name, l->type->keyword);
        dc_layer_options_write(l->type, l->cfg, &b);
        if (l->wdtype != DC_F32) dc_sb_printf(&b, " weights=%s", dc_weights_name(l->wdtype));
        if (l->act_static) dc_sb_puts(&b, " activations=static");
        dc_sb_puts(&b, "\t");
        for (int k = 0; k < l->nin; k++) {
            const char *nm = name_of(&e->names, e->a.vals[l->in[k]].y);
            dc_sb_printf(&b, "%s%s", k ? "," : "", nm ? nm : "?");
        }
        const dc_tensor *y = e->a.vals[li].y; /* its output's dimensions past the batch */
        dc_sb_puts(&b, "\t");
        for (int d = 1; d < y->ndim; d++) dc_sb_printf(&b, "%s%lld", d > 1 ? "x" : "", (long long)y->shape[d]);
    } else if (last) {
        dc_sb_printf(&b, "deepc:name %s", l->name);
    }
    if (last) doc_add(e, e->x.nnode - 1, b.s ? b.s : "");
    free(b.s);
    return b.oom ? dc_set_error(DC_ERR_NOMEM, "export: out of memory") : DC_OK;
}

/* ---- the whole export ---------------------------------------------------------------- */

static int same_ops(const traced *a, const traced *b) {
    if (a->n != b->n) return 0;
    for (int i = 0; i < a->n; i++)
        if (dc_graph_trace_node(a->g, i)->op != dc_graph_trace_node(b->g, i)->op) return 0;
    return 1;
}

static dc_status export_graph(exporter *e, const char *path) {
    dc_status st;
    if ((st = trace_at(e->m, 2, 0, &e->a)) || (st = trace_at(e->m, 3, 0, &e->b))) return st;
    if (!same_ops(&e->a, &e->b)) return dc_set_error(DC_ERR_INVALID, "export: the model runs other ops at another batch size");
    /* token ids of any length: when the model runs one step shorter with the same ops, the length is symbolic */
    if (e->a.x->dtype == DC_I32 && e->a.x->ndim == 2 && e->a.x->shape[1] > 1) {
        e->seq = trace_at(e->m, 2, 1, &e->c) == DC_OK && same_ops(&e->a, &e->c);
        dc_clear_error();
    }
    if ((st = assign_layers(e))) return st;
    e->names.cap = 64;
    while (e->names.cap < 4 * (size_t)(e->a.n + e->m->nnamed) + 8) e->names.cap *= 2;
    e->names.key = calloc(e->names.cap, sizeof *e->names.key);
    e->names.name = calloc(e->names.cap, sizeof *e->names.name);
    if (!e->names.key || !e->names.name) return dc_set_error(DC_ERR_NOMEM, "export: out of memory");
    /* the parameters: initializers under their deepc names */
    for (int k = 0; k < e->m->nnamed; k++) {
        const dc_named_param *p = &e->m->named[k];
        const Onnx__TensorProto__DataType type = p->t->dtype == DC_F32 ? ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT
                                               : p->t->dtype == DC_I8 ? ONNX__TENSOR_PROTO__DATA_TYPE__INT8
                                               : p->t->dtype == DC_F16 ? ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT16
                                               : p->t->dtype == DC_BF16 ? ONNX__TENSOR_PROTO__DATA_TYPE__BFLOAT16
                                               : ONNX__TENSOR_PROTO__DATA_TYPE__UNDEFINED;
        if (type == ONNX__TENSOR_PROTO__DATA_TYPE__UNDEFINED) { /* 4-bit blocks (U8): their ops unpack them; kept for deepc's import */
            ox_init(&e->x, p->name, ONNX__TENSOR_PROTO__DATA_TYPE__UINT8, p->t->ndim, p->t->shape, p->t->raw, (size_t)p->t->size);
            name_set(&e->names, p->t, p->name);
            continue;
        }
        ox_init(&e->x, p->name, type, p->t->ndim, p->t->shape, p->t->raw, dc_dtype_size(p->t->dtype) * (size_t)p->t->size);
        name_set(&e->names, p->t, p->name);
    }
    name_set(&e->names, e->a.x, "input");
    ox_io(&e->x, 0, "input", e->a.x->dtype == DC_I32 ? ONNX__TENSOR_PROTO__DATA_TYPE__INT32 : ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT,
          e->a.x->ndim, e->a.x->shape, 1, e->seq);
    for (int i = 0; i < e->a.n; i++)
        if ((st = emit_recorded(e, i))) return st;
    if (!e->a.y || strcmp(name_of(&e->names, e->a.y) ? name_of(&e->names, e->a.y) : "", "output"))
        return dc_set_error(DC_ERR_INVALID, "export: the model's output is not made by an op (nothing to export)");
    ox_io(&e->x, 1, "output", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, e->a.y->ndim, e->a.y->shape, 1,
          e->seq && e->a.y->ndim > 1 && dc_graph_trace_count(e->c.g) && e->c.y->shape[1] != e->a.y->shape[1]);
    char len[32]; /* a symbolic length: the one traced, for deepc's import to give the model back its input shape */
    if (e->seq) {
        snprintf(len, sizeof len, "%lld", (long long)e->a.x->shape[1]);
        e->x.meta_key = "deepc.sequence_length", e->x.meta_value = len;
    }
    /* initializers nothing reads (an unused parameter) are harmless; the
     * description rides along as the model's doc string */
    return ox_write(&e->x, "deepc", e->opset, dc_model_description(e->m), path);
}

dc_status dc_model_export_onnx(const dc_model *m, const char *path, int opset) {
    if (!m || !path) return dc_set_error(DC_ERR_INVALID, "export: needs a model and a path");
    if (!m->built) return dc_set_error(DC_ERR_INVALID, "export: the model is not built");
    if (opset == 0) opset = 17;
    if (opset < 17 || opset > 17)
        return dc_set_error(DC_ERR_INVALID, "export: --opset %d: deepc writes ONNX opset 17 (LayerNormalization needs 17; the checker here knows up to 17)",
                            opset);
    exporter e = {.m = m, .opset = opset};
    dc_status st = export_graph(&e, path);
    traced_free(&e.a);
    traced_free(&e.b);
    traced_free(&e.c);
    ox_free(&e.x);
    free(e.names.key);
    free(e.names.name);
    free(e.layer_of);
    return st;
}
