/* ops_dtype.c — changing a tensor's element type: casts between float,
 * half and bfloat16 (and from the integer types to float), and int8 rows
 * with a scale per row back to float. The loops are the kernels floor's
 * (src/kernels/convert.c). A cast to float of a float that requires grad
 * is the identity; every other output is new and not on the tape: weights
 * stored in a narrow type are not trained (docs/ARCHITECTURE.md, "Dtypes"). */
#include "internal.h"
#include "../kernels/kernels.h"
#include <string.h>

static const dc_op_def op_cast = {DC_OP_CAST, "cast", NULL};
static const dc_op_def op_dequantize = {DC_OP_DEQUANTIZE, "dequantize", NULL};
static const dc_op_def op_quantize = {DC_OP_QUANTIZE, "quantize", NULL};

static int castable(dc_dtype t) { return t == DC_F32 || t == DC_F16 || t == DC_BF16 || t == DC_I32 || t == DC_U8 || t == DC_I8; }

dc_tensor *dc_cast(dc_graph *g, dc_tensor *x, dc_dtype to) {
    if (!x) return NULL;
    if (!castable(x->dtype) || !castable(to) || (to != DC_F32 && x->dtype != DC_F32 && to != x->dtype)) {
        dc_set_error(DC_ERR_INVALID, "cast: %s to %s is not supported (float, half and bfloat16 to each other; integers to float)",
                     dc_dtype_name(x->dtype), dc_dtype_name(to));
        return NULL;
    }
    if (x->dtype == to) return x;
    dc_tensor *z = dc_op_output_typed(g, &op_cast, to, x->ndim, x->shape, &x, 1);
    if (!z) return NULL;
    dc_trace_attrs(g, z, &(dc_op_attrs){.kind = (int)to});
    const int64_t n = x->size;
    if (to == DC_F16) dc_k_f32_to_f16_n(x->data, z->raw, n);
    else if (to == DC_BF16) dc_k_f32_to_bf16_n(x->data, z->raw, n);
    else if (to == DC_I32 || to == DC_U8 || to == DC_I8) {
        dc_set_error(DC_ERR_INVALID, "cast: float to %s is a quantization (dc_quantize_rows for int8)", dc_dtype_name(to));
        return NULL;
    } else if (x->dtype == DC_F16) dc_k_f16_to_f32_n(x->raw, z->data, n);
    else if (x->dtype == DC_BF16) dc_k_bf16_to_f32_n(x->raw, z->data, n);
    else if (x->dtype == DC_I32)
        for (int64_t i = 0; i < n; i++) z->data[i] = (float)x->idata[i];
    else if (x->dtype == DC_U8)
        for (int64_t i = 0; i < n; i++) z->data[i] = (float)((const uint8_t *)x->raw)[i];
    else
        for (int64_t i = 0; i < n; i++) z->data[i] = (float)((const int8_t *)x->raw)[i];
    return z;
}

/* rows x cols of a tensor whose first dimension is the rows */
static int64_t cols_of(const dc_tensor *t) { return t->ndim ? t->size / t->shape[0] : 1; }

dc_tensor *dc_dequantize_rows(dc_graph *g, dc_tensor *q, dc_tensor *scale) {
    if (!q || !scale) return NULL;
    const int64_t rows = q->ndim ? q->shape[0] : 1;
    if (q->dtype != DC_I8 || scale->dtype != DC_F32 || scale->size != rows) {
        dc_set_error(DC_ERR_INVALID, "dequantize: needs I8 values and one F32 scale per row (%lld rows; got %s and %s of %lld)",
                     (long long)rows, dc_dtype_name(q->dtype), dc_dtype_name(scale->dtype), (long long)scale->size);
        return NULL;
    }
    dc_tensor *srcs[2] = {q, scale};
    dc_tensor *z = dc_op_output_typed(g, &op_dequantize, DC_F32, q->ndim, q->shape, srcs, 2); /* neither needs a gradient */
    if (z) dc_k_dequantize_rows_i8(q->raw, scale->data, rows, cols_of(q), z->data);
    return z;
}

dc_tensor *dc_quantize_rows(dc_graph *g, dc_tensor *x, dc_tensor **scale) {
    if (!x || !dc_check_f32("quantize", x)) return NULL;
    const int64_t rows = x->ndim ? x->shape[0] : 1;
    dc_tensor *q = dc_op_output_typed(g, &op_quantize, DC_I8, x->ndim, x->shape, &x, 1);
    dc_tensor *s = q ? dc_input(g, DC_F32, 1, &rows) : NULL; /* a leaf: the scales come with q */
    if (!s) return NULL;
    dc_k_quantize_rows_i8(x->data, rows, cols_of(x), q->raw, s->data);
    *scale = s;
    return q;
}
