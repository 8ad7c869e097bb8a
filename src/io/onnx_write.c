/* onnx_write.c — the ONNX model builder of onnx_write.h: protobuf-c
 * messages made in a pool, packed by protobuf-c and written atomically. */
#include "onnx_write.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void ox_free(ox_graph *x) {
    for (size_t i = 0; i < x->nblk; i++) free(x->blk[i]);
    free(x->blk);
    free(x->node);
    free(x->init);
    memset(x, 0, sizeof *x);
}

/* p appended to *arr (n of cap), growing it; 0, or -1 out of memory */
static int push(void ***arr, size_t *n, size_t *cap, void *p) {
    if (*n == *cap) {
        size_t c = *cap ? *cap * 2 : 64;
        void **a = realloc(*arr, c * sizeof *a);
        if (!a) return -1;
        *arr = a, *cap = c;
    }
    (*arr)[(*n)++] = p;
    return 0;
}

void *ox_alloc(ox_graph *x, size_t bytes) {
    void *p = calloc(1, bytes ? bytes : 1);
    if (!p || push(&x->blk, &x->nblk, &x->capblk, p)) {
        free(p);
        x->oom = 1;
        return NULL;
    }
    return p;
}

char *ox_str(ox_graph *x, const char *s) {
    char *d = ox_alloc(x, strlen(s) + 1);
    if (d) memcpy(d, s, strlen(s) + 1);
    return d;
}

char *ox_fresh(ox_graph *x, const char *stem) {
    char buf[160];
    snprintf(buf, sizeof buf, "%s_%d", stem, x->fresh++);
    return ox_str(x, buf);
}

Onnx__NodeProto *ox_node(ox_graph *x, const char *op, const char *name, int nin, const char *const *in, int nout,
                         const char *const *out) {
    Onnx__NodeProto *n = ox_alloc(x, sizeof *n);
    char **ins = ox_alloc(x, sizeof(char *) * (size_t)(nin + 1)), **outs = ox_alloc(x, sizeof(char *) * (size_t)(nout + 1));
    if (!n || !ins || !outs) return NULL;
    onnx__node_proto__init(n);
    for (int i = 0; i < nin; i++) ins[i] = ox_str(x, in[i] ? in[i] : "");
    for (int i = 0; i < nout; i++) outs[i] = ox_str(x, out[i]);
    n->n_input = (size_t)nin, n->input = ins;
    n->n_output = (size_t)nout, n->output = outs;
    n->op_type = ox_str(x, op);
    if (name) n->name = ox_str(x, name);
    if (push((void ***)&x->node, &x->nnode, &x->capnode, n)) {
        x->oom = 1;
        return NULL;
    }
    return n;
}

static Onnx__AttributeProto *attr(ox_graph *x, Onnx__NodeProto *n, const char *name, Onnx__AttributeProto__AttributeType type) {
    if (!n) return NULL;
    Onnx__AttributeProto *a = ox_alloc(x, sizeof *a);
    Onnx__AttributeProto **list = ox_alloc(x, sizeof *list * (n->n_attribute + 1));
    if (!a || !list) return NULL;
    onnx__attribute_proto__init(a);
    a->name = ox_str(x, name);
    a->has_type = 1, a->type = type;
    if (n->n_attribute) memcpy(list, n->attribute, sizeof *list * n->n_attribute);
    list[n->n_attribute++] = a;
    n->attribute = list; /* the old list stays in the pool */
    return a;
}

void ox_attr_i(ox_graph *x, Onnx__NodeProto *n, const char *name, int64_t v) {
    Onnx__AttributeProto *a = attr(x, n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT);
    if (a) a->has_i = 1, a->i = v;
}

void ox_attr_f(ox_graph *x, Onnx__NodeProto *n, const char *name, float v) {
    Onnx__AttributeProto *a = attr(x, n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT);
    if (a) a->has_f = 1, a->f = v;
}

void ox_attr_ints(ox_graph *x, Onnx__NodeProto *n, const char *name, int count, const int64_t *v) {
    Onnx__AttributeProto *a = attr(x, n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS);
    int64_t *c = a ? ox_alloc(x, sizeof(int64_t) * (size_t)count) : NULL;
    if (!c) return;
    memcpy(c, v, sizeof(int64_t) * (size_t)count);
    a->n_ints = (size_t)count, a->ints = c;
}

void ox_attr_s(ox_graph *x, Onnx__NodeProto *n, const char *name, const char *v) {
    Onnx__AttributeProto *a = attr(x, n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING);
    char *c = a ? ox_str(x, v) : NULL;
    if (c) a->has_s = 1, a->s.data = (uint8_t *)c, a->s.len = strlen(c);
}

void ox_attr_tensor_f(ox_graph *x, Onnx__NodeProto *n, const char *name, float v) {
    Onnx__AttributeProto *a = attr(x, n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR);
    Onnx__TensorProto *t = a ? ox_alloc(x, sizeof *t) : NULL;
    int64_t *d = t ? ox_alloc(x, sizeof *d) : NULL;
    float *raw = d ? ox_alloc(x, sizeof *raw) : NULL;
    if (!raw) return;
    onnx__tensor_proto__init(t);
    *d = 1, *raw = v;
    t->n_dims = 1, t->dims = d;
    t->has_data_type = 1, t->data_type = ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT;
    t->has_raw_data = 1, t->raw_data.len = sizeof *raw, t->raw_data.data = (uint8_t *)raw;
    a->t = t;
}

void ox_init(ox_graph *x, const char *name, Onnx__TensorProto__DataType type, int ndim, const int64_t *dims, const void *data,
             size_t bytes) {
    Onnx__TensorProto *t = ox_alloc(x, sizeof *t);
    int64_t *d = ox_alloc(x, sizeof(int64_t) * (size_t)(ndim + 1));
    void *raw = ox_alloc(x, bytes);
    if (!t || !d || !raw) return;
    onnx__tensor_proto__init(t);
    t->name = ox_str(x, name);
    if (ndim) memcpy(d, dims, sizeof(int64_t) * (size_t)ndim);
    t->n_dims = (size_t)ndim, t->dims = d;
    t->has_data_type = 1, t->data_type = type;
    memcpy(raw, data, bytes); /* little-endian, as raw_data wants (x86-64, arm64) */
    t->has_raw_data = 1, t->raw_data.len = bytes, t->raw_data.data = raw;
    if (push((void ***)&x->init, &x->ninit, &x->capinit, t)) x->oom = 1;
}

const char *ox_const_f(ox_graph *x, const char *stem, int ndim, const int64_t *dims, const float *v) {
    char *name = ox_fresh(x, stem);
    int64_t n = 1;
    for (int i = 0; i < ndim; i++) n *= dims[i];
    if (name) ox_init(x, name, ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, ndim, dims, v, sizeof(float) * (size_t)n);
    return name;
}

const char *ox_const_i64(ox_graph *x, const char *stem, int n, const int64_t *v) {
    char *name = ox_fresh(x, stem);
    const int64_t dims[1] = {n};
    if (name) ox_init(x, name, ONNX__TENSOR_PROTO__DATA_TYPE__INT64, 1, dims, v, sizeof(int64_t) * (size_t)n);
    return name;
}

const char *ox_scalar_i64(ox_graph *x, const char *stem, int64_t v) {
    char *name = ox_fresh(x, stem);
    if (name) ox_init(x, name, ONNX__TENSOR_PROTO__DATA_TYPE__INT64, 0, NULL, &v, sizeof v);
    return name;
}

void ox_io(ox_graph *x, int output, const char *name, Onnx__TensorProto__DataType type, int ndim, const int64_t *dims, int batch_dim,
           int seq_dim) {
    Onnx__ValueInfoProto *v = ox_alloc(x, sizeof *v);
    Onnx__TypeProto *tp = ox_alloc(x, sizeof *tp);
    Onnx__TypeProto__Tensor *tt = ox_alloc(x, sizeof *tt);
    Onnx__TensorShapeProto *sh = ox_alloc(x, sizeof *sh);
    Onnx__TensorShapeProto__Dimension **dl = ox_alloc(x, sizeof *dl * (size_t)(ndim + 1));
    Onnx__ValueInfoProto **list = ox_alloc(x, sizeof *list * ((output ? x->nout : x->nin) + 1));
    if (!v || !tp || !tt || !sh || !dl || !list) return;
    onnx__value_info_proto__init(v);
    onnx__type_proto__init(tp);
    onnx__type_proto__tensor__init(tt);
    onnx__tensor_shape_proto__init(sh);
    for (int i = 0; i < ndim; i++) {
        Onnx__TensorShapeProto__Dimension *d = ox_alloc(x, sizeof *d);
        if (!d) return;
        onnx__tensor_shape_proto__dimension__init(d);
        if ((i == 0 && batch_dim) || (i == 1 && seq_dim)) {
            d->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM;
            d->dim_param = ox_str(x, i == 0 ? "batch" : "sequence");
        } else {
            d->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
            d->dim_value = dims[i];
        }
        dl[i] = d;
    }
    sh->n_dim = (size_t)ndim, sh->dim = dl;
    tt->has_elem_type = 1, tt->elem_type = type, tt->shape = sh;
    tp->value_case = ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE, tp->tensor_type = tt;
    v->name = ox_str(x, name), v->type = tp;
    Onnx__ValueInfoProto ***arr = output ? &x->out : &x->in;
    size_t *n = output ? &x->nout : &x->nin;
    if (*n) memcpy(list, *arr, sizeof *list * *n);
    list[(*n)++] = v;
    *arr = list;
}

dc_status ox_write(ox_graph *x, const char *graph_name, int opset, const char *doc, const char *path) {
    if (x->oom) return dc_set_error(DC_ERR_NOMEM, "%s: out of memory building the ONNX graph", path);
    Onnx__GraphProto g;
    Onnx__ModelProto m;
    Onnx__OperatorSetIdProto os, *osl[1] = {&os};
    onnx__graph_proto__init(&g);
    onnx__model_proto__init(&m);
    onnx__operator_set_id_proto__init(&os);
    g.name = (char *)graph_name;
    g.n_node = x->nnode, g.node = x->node;
    g.n_initializer = x->ninit, g.initializer = x->init;
    g.n_input = x->nin, g.input = x->in;
    g.n_output = x->nout, g.output = x->out;
    os.domain = (char *)"";
    os.has_version = 1, os.version = opset;
    m.has_ir_version = 1, m.ir_version = 8;
    m.n_opset_import = 1, m.opset_import = osl;
    m.producer_name = (char *)"deepc";
    m.producer_version = (char *)"0.1.0";
    m.doc_string = (char *)doc;
    m.graph = &g;
    Onnx__StringStringEntryProto meta, *metal[1] = {&meta};
    onnx__string_string_entry_proto__init(&meta);
    if (x->meta_key) {
        meta.key = (char *)x->meta_key, meta.value = (char *)x->meta_value;
        m.n_metadata_props = 1, m.metadata_props = metal;
    }
    const size_t n = onnx__model_proto__get_packed_size(&m);
    if (n > (size_t)INT32_MAX) /* protobuf's own limit on one message: 2 GiB */
        return dc_set_error(DC_ERR_INVALID, "%s: the ONNX model would take %zu bytes, over protobuf's 2 GiB", path, n);
    uint8_t *buf = malloc(n ? n : 1);
    if (!buf) return dc_set_error(DC_ERR_NOMEM, "%s: out of memory packing the ONNX model (%zu bytes)", path, n);
    onnx__model_proto__pack(&m, buf);
    dc_atomic_file a;
    dc_status st = dc_atomic_open(&a, path);
    if (!st) {
        if (fwrite(buf, 1, n, a.f) != n) {
            dc_atomic_abort(&a);
            st = dc_set_error(DC_ERR_IO, "%s: cannot write the ONNX model", path);
        } else {
            st = dc_atomic_commit(&a);
        }
    }
    free(buf);
    return st;
}
