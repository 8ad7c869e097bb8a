/* onnx_export.c — a model as an ONNX graph (deepc export --format onnx).
 *
 * The model is not walked layer kind by layer kind: it is run once in
 * trace mode (every op records itself with its attributes, dc_trace_node)
 * and each traced op becomes ONNX nodes. Parameters keep their deepc names
 * as initializers; the input is "input" and the output "output", with a
 * symbolic batch dimension. The graph is traced twice, at batch 2 and 3:
 * where a reshape's target differs between the two, that dimension follows
 * the batch, and the Reshape says so with 0 (copy the input's) or -1.
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

static dc_status trace_at(const dc_model *m, int64_t batch, traced *t) {
    memset(t, 0, sizeof *t);
    int feed[DC_LAYER_MAX_INPUTS];
    if (dc_model_input_nodes(m, feed) != 1) return dc_set_error(DC_ERR_INVALID, "export: ONNX export takes models of one input so far");
    if ((m->noutputs ? m->noutputs : 1) != 1) return dc_set_error(DC_ERR_INVALID, "export: ONNX export takes models of one output so far");
    const dc_layer *in = m->nodes[feed[0]];
    int64_t shape[DC_MAX_DIMS + 1];
    shape[0] = batch;
    memcpy(shape + 1, in->out.d, sizeof(int64_t) * (size_t)in->out.ndim);
    if (!(t->g = dc_graph_new())) return dc_set_error(DC_ERR_NOMEM, "export: out of memory");
    dc_graph_set_grad_enabled(t->g, 0);
    dc_graph_set_trace(t->g, 1);
    if (!(t->x = dc_input(t->g, DC_F32, in->out.ndim + 1, shape))) return DC_ERR_NOMEM;
    for (int64_t i = 0; i < t->x->size; i++) t->x->data[i] = sinf((float)i); /* any values: the trace records ops, not data */
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
    traced a, b;        /* at batch 2 and 3 */
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
 * at batch 3 follows the batch: 0 (the input's, when it is the input's
 * dimension at the same place in both traces) or -1 (one such at most). */
static dc_status reshape_target(exporter *e, int i, int64_t *shape) {
    const dc_trace_node *na = dc_graph_trace_node(e->a.g, i), *nb = dc_graph_trace_node(e->b.g, i);
    const dc_tensor *za = na->out, *zb = nb->out, *xa = na->in[0], *xb = nb->in[0];
    int minus = 0;
    for (int d = 0; d < za->ndim; d++) {
        shape[d] = za->shape[d];
        if (za->shape[d] == zb->shape[d]) continue;
        if (d < xa->ndim && d < xb->ndim && xa->shape[d] == za->shape[d] && xb->shape[d] == zb->shape[d]) shape[d] = 0;
        else if (!minus++) shape[d] = -1;
        else return unsupported(e, i, "a reshape with two dimensions that follow the batch");
    }
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

static dc_status emit(exporter *e, int i) {
    const dc_trace_node *nd = dc_graph_trace_node(e->a.g, i);
    const dc_op_attrs *a = &nd->a;
    const dc_tensor *X = nd->in[0], *Z = nd->out;
    const char *in[DC_TRACE_MAX_IN];
    for (int k = 0; k < nd->nin; k++)
        if (nd->in[k] && !(in[k] = input_name(e, i, nd->in[k]))) return e->x.oom ? DC_ERR_NOMEM : DC_ERR_INVALID;
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
        const char *ins[4] = {in[0], ox_const_i64(&e->x, "starts", 1, &a->start), ox_const_i64(&e->x, "ends", 1, &a->end),
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
    case DC_OP_TIME_POOL: /* (N, T, F) -> (N, F): mean or max over the steps; a padding mask is not expressed yet */
        if (nd->nin > 1 && nd->in[1]) return unsupported(e, i, "pooling over padded steps (a mask)");
        node1(e, i, a->flag ? "ReduceMax" : "ReduceMean", in[0], out, &n);
        ox_attr_ints(&e->x, n, "axes", 1, (const int64_t[]){1});
        ox_attr_i(&e->x, n, "keepdims", 0);
        break;
    case DC_OP_RNN_LAST: { /* the last step (the first, reversed) */
        if (nd->nin > 1 && nd->in[1]) return unsupported(e, i, "the last real step of padded sequences (a mask)");
        const char *ins[2] = {in[0], ox_scalar_i64(&e->x, "step", a->reverse ? 0 : -1)};
        n = ox_node(&e->x, "Gather", out, 2, ins, 1, &out);
        ox_attr_i(&e->x, n, "axis", 1);
        break;
    }
    default: return unsupported(e, i, NULL);
    }
    return e->x.oom ? dc_set_error(DC_ERR_NOMEM, "export: out of memory") : DC_OK;
}

/* ---- the whole export ---------------------------------------------------------------- */

static dc_status export_graph(exporter *e, const char *path) {
    dc_status st;
    if ((st = trace_at(e->m, 2, &e->a)) || (st = trace_at(e->m, 3, &e->b))) return st;
    if (e->a.n != e->b.n) return dc_set_error(DC_ERR_INVALID, "export: the model runs other ops at another batch size");
    for (int i = 0; i < e->a.n; i++)
        if (dc_graph_trace_node(e->a.g, i)->op != dc_graph_trace_node(e->b.g, i)->op)
            return dc_set_error(DC_ERR_INVALID, "export: the model runs other ops at another batch size");
    if ((st = assign_layers(e))) return st;
    e->names.cap = 64;
    while (e->names.cap < 4 * (size_t)(e->a.n + e->m->nnamed) + 8) e->names.cap *= 2;
    e->names.key = calloc(e->names.cap, sizeof *e->names.key);
    e->names.name = calloc(e->names.cap, sizeof *e->names.name);
    if (!e->names.key || !e->names.name) return dc_set_error(DC_ERR_NOMEM, "export: out of memory");
    /* the parameters: initializers under their deepc names */
    for (int k = 0; k < e->m->nnamed; k++) {
        const dc_named_param *p = &e->m->named[k];
        if (p->t->dtype != DC_F32) continue; /* quantized and half weights: their ops say what they need */
        ox_init(&e->x, p->name, ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, p->t->ndim, p->t->shape, p->t->data, sizeof(float) * (size_t)p->t->size);
        name_set(&e->names, p->t, p->name);
    }
    name_set(&e->names, e->a.x, "input");
    ox_io(&e->x, 0, "input", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, e->a.x->ndim, e->a.x->shape, 1, 0);
    for (int i = 0; i < e->a.n; i++)
        if ((st = emit(e, i))) return st;
    if (!e->a.y || strcmp(name_of(&e->names, e->a.y) ? name_of(&e->names, e->a.y) : "", "output"))
        return dc_set_error(DC_ERR_INVALID, "export: the model's output is not made by an op (nothing to export)");
    ox_io(&e->x, 1, "output", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, e->a.y->ndim, e->a.y->shape, 1, 0);
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
    ox_free(&e.x);
    free(e.names.key);
    free(e.names.name);
    free(e.layer_of);
    return st;
}
