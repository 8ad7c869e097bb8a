/* deepc/tensor.h — part 2 of the public API: Tensors.
 * Include <deepc.h>, which includes every part in order. */
#ifndef DEEPC_TENSOR_H
#define DEEPC_TENSOR_H
#include "base.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ===================================================================== */
/* 2. Tensors                                                             */
/* ===================================================================== */

/* Element types. Ops compute in F32 (with I32 class indices and token
 * ids); U8 holds images and I8 quantised weights; F16 and BF16 come from
 * files (dc_st_to_f32 converts them). */
typedef enum { DC_F32 = 0, DC_I32 = 1, DC_U8 = 2, DC_I8 = 3, DC_F16 = 4, DC_BF16 = 5 } dc_dtype;
/* Bytes per element (0 for an unknown type), and the safetensors name
 * ("F32", "I32", "U8", "I8", "F16", "BF16"); dc_dtype_from_name: -1 if unknown. */
size_t dc_dtype_size(dc_dtype t);
const char *dc_dtype_name(dc_dtype t);
int dc_dtype_from_name(const char *name);

typedef struct dc_graph dc_graph;
typedef struct dc_tensor dc_tensor;

/* A dense, contiguous, row-major tensor. Tensors made by ops live in the
 * arena of a dc_graph and die at dc_graph_reset(); tensors made with
 * dc_tensor_new() are owned by the caller and freed with dc_tensor_free(). */
struct dc_tensor {
    int ndim;                     /* number of dimensions, 0..DC_MAX_DIMS    */
    int64_t shape[DC_MAX_DIMS];   /* extent of each dimension                */
    int64_t size;                 /* product of shape (1 for a scalar)       */
    dc_dtype dtype;               /* DC_F32 uses data, DC_I32 uses idata     */
    float *data;                  /* values (DC_F32), else NULL              */
    int32_t *idata;               /* values (DC_I32): labels, token ids      */
    void *raw;                    /* the values whatever the dtype           */
    float *grad;                  /* d(loss)/d(this), NULL until needed      */
    int requires_grad;            /* does backward need to reach this?       */
    struct dc_autograd *ag;       /* private: the op that made it and what its
                                     backward needs (src/core/internal.h);
                                     NULL in a tensor declared by the caller */
};

/* A caller-owned tensor filled with zeros, of any dtype. ndim may be 0 (a scalar). */
dc_tensor *dc_tensor_new(dc_dtype dtype, int ndim, const int64_t *shape);
/* A caller-owned float tensor that wraps (does not copy or free) data. */
dc_tensor *dc_tensor_wrap(float *data, int ndim, const int64_t *shape);
void dc_tensor_free(dc_tensor *t);
/* Allocate t->grad (zeroed) for a caller-owned tensor and mark it as
 * requiring grad: it becomes a trainable leaf. */
dc_status dc_tensor_require_grad(dc_tensor *t);
/* Write "(2, 3, 4)" into buf. */
void dc_shape_str(const dc_tensor *t, char *buf, size_t n);
int dc_same_shape(const dc_tensor *a, const dc_tensor *b);

#ifdef __cplusplus
}
#endif
#endif /* DEEPC_TENSOR_H */
