/* onnx_write.h — building an ONNX model (the protobuf-c messages that
 * protoc-c generates from Debian's onnx.proto into the build folder) and
 * writing it: nodes, initializers, attributes and the graph's inputs and
 * outputs, every allocation in one pool freed at the end (floor 4,
 * private to src/io/). */
#ifndef DC_ONNX_WRITE_H
#define DC_ONNX_WRITE_H
#include "../core/internal.h"
#include "onnx.pb-c.h"

typedef struct {
    void **blk; /* every allocation, freed by ox_free */
    size_t nblk, capblk;
    Onnx__NodeProto **node;
    size_t nnode, capnode;
    Onnx__TensorProto **init;
    size_t ninit, capinit;
    Onnx__ValueInfoProto **in, **out;
    size_t nin, nout;
    int fresh; /* the counter of made-up value names */
    const char *meta_key, *meta_value; /* one metadata_props entry, or NULL */
    int oom;
} ox_graph;

void ox_free(ox_graph *x);
void *ox_alloc(ox_graph *x, size_t bytes); /* zeroed; NULL (x->oom set) when out of memory */
char *ox_str(ox_graph *x, const char *s);
/* A new value name: "<stem>_<n>". */
char *ox_fresh(ox_graph *x, const char *stem);

/* A node op(inputs) -> outputs (NULL or "" inputs: absent optional ones),
 * named name (may be NULL); attributes added with the ox_attr_* calls. */
Onnx__NodeProto *ox_node(ox_graph *x, const char *op, const char *name, int nin, const char *const *in, int nout,
                         const char *const *out);
void ox_attr_i(ox_graph *x, Onnx__NodeProto *n, const char *name, int64_t v);
void ox_attr_f(ox_graph *x, Onnx__NodeProto *n, const char *name, float v);
void ox_attr_ints(ox_graph *x, Onnx__NodeProto *n, const char *name, int count, const int64_t *v);
void ox_attr_s(ox_graph *x, Onnx__NodeProto *n, const char *name, const char *v);
/* a one-value float tensor (ConstantOfShape's value) */
void ox_attr_tensor_f(ox_graph *x, Onnx__NodeProto *n, const char *name, float v);

/* Initializers (constants and weights) named name: bytes copied. */
void ox_init(ox_graph *x, const char *name, Onnx__TensorProto__DataType type, int ndim, const int64_t *dims, const void *data,
             size_t bytes);
/* A float or int64 constant of ndim dims (0: a scalar); returns its new name. */
const char *ox_const_f(ox_graph *x, const char *stem, int ndim, const int64_t *dims, const float *v);
const char *ox_const_i64(ox_graph *x, const char *stem, int n, const int64_t *v);
const char *ox_scalar_i64(ox_graph *x, const char *stem, int64_t v);

/* The graph's input or output: a tensor of elem type, dim 0 the symbolic
 * "batch" when batch_dim, dims[1..] (and dim 1 the symbolic "sequence" when
 * seq_dim). */
void ox_io(ox_graph *x, int output, const char *name, Onnx__TensorProto__DataType type, int ndim, const int64_t *dims, int batch_dim,
           int seq_dim);

/* The model (IR version 8, the default domain at opset, producer deepc)
 * packed and written atomically to path. */
dc_status ox_write(ox_graph *x, const char *graph_name, int opset, const char *doc, const char *path);
#endif
