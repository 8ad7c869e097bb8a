/* internal.h — what the floors of deepc share but users never see:
 * error setting, the arena, the op table entry, and small helpers. */
#ifndef DC_INTERNAL_H
#define DC_INTERNAL_H

#include "deepc.h"
#include "../kernels/kernels.h"
#include <signal.h>
#include <stdarg.h>
#include <string.h>

/* Set the thread's last error (printf-style) and return code. */
dc_status dc_set_error(dc_status code, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* The backward half of an op: read t->grad, add into t->ag->src[i]->grad for
 * every input that requires grad. Forward and shape inference live in the
 * op's public function, next to its backward in the same file. */
typedef void (*dc_backward_fn)(dc_graph *g, dc_tensor *t);

typedef struct dc_op_def {
    dc_op_id id;               /* DC_OP_MATMUL: what the op is, as data  */
    const char *name;          /* "matmul", for messages and debugging   */
    dc_backward_fn backward;
} dc_op_def;

/* What a tensor's public struct keeps private (t->ag): the op that made
 * it and what its backward needs. Every tensor deepc makes has one (in
 * the same allocation); a tensor a caller declares has none and is only
 * ever an op's input. */
struct dc_autograd {
    const dc_op_def *op;          /* the op that made this, NULL for leaves  */
    dc_tensor **src;              /* its inputs                              */
    int nsrc;                     /* how many inputs                         */
    float farg[4];                /* float parameters of the op              */
    int64_t iarg[4];              /* integer parameters of the op            */
    void *aux;                    /* op scratch kept for backward (arena)    */
    dc_graph *graph;              /* the graph that owns it, NULL if caller's */
    int owns_data;                /* caller-owned tensor: free data on free  */
    void *packed;                 /* an int8 conv kernel in its product's order,
                                     made on first use (ops_quant.c), or NULL */
};

/* The byte two hex digits at p spell ("41" -> 'A'), or -1 unless p[0] and
 * p[1] are both hex digits: how %XX escapes in model metadata decode. Not
 * sscanf("%2x"): glibc measures the whole rest of the string on every
 * call, which made loading a file of escapes quadratic (red team F01). */
static inline int dc_hex_digit(char c) {
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}
static inline int dc_hex_byte(const char *p) {
    int hi = dc_hex_digit(p[0]), lo = hi < 0 ? -1 : dc_hex_digit(p[1]);
    return lo < 0 ? -1 : hi * 16 + lo;
}

/* A data array's name, as a dataset holds it and a loss line's target=
 * names it: 1 to 31 letters, digits, _ . -, and not x, y, label or input
 * (the built-in ones). */
static inline int dc_array_name_ok(const char *s) {
    size_t n = s ? strlen(s) : 0;
    if (!n || n >= 32 || !strcmp(s, "x") || !strcmp(s, "y") || !strcmp(s, "label") || !strcmp(s, "input")) return 0;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || *s == '_' || *s == '.' || *s == '-'))
            return 0;
    return 1;
}

/* Arena allocation: 64-byte aligned, zeroed, freed at dc_graph_reset. */
void *dc_arena_alloc(dc_graph *g, size_t bytes);
/* Same, not zeroed (for buffers that are fully overwritten). */
void *dc_arena_alloc_raw(dc_graph *g, size_t bytes);
/* Inference only (gradients off: nothing on the tape refers to it): a
 * mark in the arena, and giving back everything allocated after it. A
 * layer that computes many intermediates (a Transformer block) allocates
 * its output first, marks, computes, copies the result into the output and
 * releases: a forward then holds one block's intermediates at a time. The
 * arena remembers the peak, so the next step still fits without a malloc. */
typedef struct {
    const void *chunk;
    size_t used;
} dc_arena_mark;
dc_arena_mark dc_arena_mark_now(dc_graph *g);
void dc_arena_release(dc_graph *g, dc_arena_mark m);
int dc_graph_grad_enabled(const dc_graph *g);
/* An op's backward could not finish (error set): dc_backward stops and
 * returns that error. Arena allocations that fail call it themselves. */
void dc_graph_fail(dc_graph *g, dc_status st);

/* Named scalar terms recorded on a graph during a forward pass and the loss
 * built from it (a VAE's KL, each loss line's value). They live in the
 * graph, the caller's per-thread state, so a forward never writes the model.
 * dc_graph_reset clears them. */
typedef struct {
    char name[32];
    dc_tensor *t;
} dc_graph_term;
dc_status dc_graph_add_term(dc_graph *g, const char *name, dc_tensor *t);
dc_graph_term *dc_graph_terms(dc_graph *g, int *n);
void dc_graph_clear_terms(dc_graph *g);

/* Trace mode: dc_op_output records a node with the op's inputs as given
 * (srcs); an op then adds its attributes, and inputs that are not srcs
 * (a padding mask), to the node of its output. No-ops when not tracing. */
void dc_trace_attrs(dc_graph *g, const dc_tensor *out, const dc_op_attrs *a);
void dc_trace_input(dc_graph *g, const dc_tensor *out, int slot, const dc_tensor *t);

/* A new arena tensor of the given shape (uninitialised data) produced by op
 * from srcs. It requires grad when any src does, and is then put on the
 * tape. Returns NULL (error set) on a bad shape. */
dc_tensor *dc_op_output(dc_graph *g, const dc_op_def *op, int ndim, const int64_t *shape,
                        dc_tensor *const *srcs, int nsrc);
/* The same for an output of another dtype (a cast, a quantized value):
 * only F32 outputs go on the tape. */
dc_tensor *dc_op_output_typed(dc_graph *g, const dc_op_def *op, dc_dtype dtype, int ndim, const int64_t *shape,
                              dc_tensor *const *srcs, int nsrc);
/* Point t's value pointers (raw, and data or idata by dtype) at p. */
void dc_tensor_point(dc_tensor *t, void *p);
/* The grad buffer of t, allocated zeroed in the arena on first use. */
float *dc_grad_of(dc_graph *g, dc_tensor *t);

/* A convolution's geometry from x (N,C,H,W), a weight of shape
 * (OC, C/groups, KH, KW) (its dtype is not read) and p, defaults filled in
 * (*q) and output size computed (*k); 0 with an error when they do not fit. */
int dc_conv_geometry(const dc_tensor *x, const dc_tensor *w, const dc_tensor *b, const dc_conv_params *p, dc_conv_params *q,
                     dc_k_conv_geom *k);

/* Checks used by ops: return 0 and set an error naming op when they fail. */
int dc_ids_in_range(const dc_tensor *ids, int64_t V); /* token ids in [0, V) (embedding lookups) */
int dc_check_f32(const char *op, const dc_tensor *t);
int dc_norm_axis(const char *op, const dc_tensor *t, int axis, int *out);

/* Threads used for deepc's own loops (OpenMP). */
int dc_threads(void);
/* The calling thread's own count from now on (0: the process's, as
 * dc_set_num_threads set it); returns the previous own count. Sessions run
 * with it, so sessions on many threads do not each start a full team. */
int dc_threads_local(int n);

/* Product of shape with overflow check; -1 on overflow or negative dims. */
int64_t dc_shape_size(int ndim, const int64_t *shape);

/* A growable string (strbuf.c). Start zeroed; s is NUL-terminated;
 * oom = 1 after a failed allocation. Free s with free(). */
typedef struct {
    char *s;
    size_t n, cap;
    int oom;
} dc_strbuf;
void dc_sb_put(dc_strbuf *b, const char *s, size_t n);
void dc_sb_puts(dc_strbuf *b, const char *s);
void dc_sb_printf(dc_strbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A file written whole or not at all (atomic.c): open writes go to a
 * temporary file beside path (mkstemp), commit fsyncs it and renames it
 * over path; signals that would stop the process wait from open to commit
 * or abort. Write to a->f. */
typedef struct {
    FILE *f;
    char *tmp;
    const char *path;
    sigset_t old;
} dc_atomic_file;
dc_status dc_atomic_open(dc_atomic_file *a, const char *path);
dc_status dc_atomic_commit(dc_atomic_file *a);
void dc_atomic_abort(dc_atomic_file *a);
/* An SVG of w x h on a white page, opened atomically at path (src/train/plot.c):
 * draw into a->f, then dc_svg_end. */
dc_status dc_svg_begin(dc_atomic_file *a, const char *path, double w, double h);
dc_status dc_svg_end(dc_atomic_file *a);

/* String -> index over keys[0..n) that the caller keeps alive (strmap.c).
 * Build returns DC_ERR_INVALID, with no message set, when two keys are
 * equal: dup[0] < dup[1] are their indexes. */
typedef struct {
    int *slots; /* index + 1 per slot; 0 = empty */
    uint32_t mask;
    char *const *keys;
} dc_strmap;
uint32_t dc_str_hash(const char *s);
dc_status dc_strmap_build(dc_strmap *m, char *const *keys, int n, int *dup);
int dc_strmap_find(const dc_strmap *m, const char *key); /* -1: absent */
void dc_strmap_free(dc_strmap *m);


/* A regular file whole, NUL-terminated and malloc'ed, of at most max_bytes
 * (*len: its length); a NUL byte inside is an error: not text
 * (src/core/textfile.c). */
char *dc_read_text_file(const char *path, int64_t max_bytes, int64_t *len);

/* The shortest decimal text of v that reads back as exactly v. */
void dc_float_str(char *buf, size_t n, float v);

#endif
