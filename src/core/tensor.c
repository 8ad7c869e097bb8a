/* tensor.c — caller-owned tensors: creation, wrapping, freeing, shape text. */
#include "internal.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int64_t dc_shape_size(int ndim, const int64_t *shape) {
    int64_t n = 1;
    for (int i = 0; i < ndim; i++) {
        if (shape[i] < 0) return -1;
        if (shape[i] != 0 && n > INT64_MAX / shape[i]) return -1;
        n *= shape[i];
    }
    return n;
}

static dc_tensor *tensor_header(int ndim, const int64_t *shape) {
    if (ndim < 0 || ndim > DC_MAX_DIMS) {
        dc_set_error(DC_ERR_INVALID, "tensor: %d dimensions (at most %d)", ndim, DC_MAX_DIMS);
        return NULL;
    }
    int64_t size = dc_shape_size(ndim, shape);
    if (size < 0 || size > (INT64_MAX / 8)) {
        dc_set_error(DC_ERR_INVALID, "tensor: invalid or overflowing shape");
        return NULL;
    }
    dc_tensor *t = calloc(1, sizeof *t + sizeof(struct dc_autograd)); /* the private record right after it */
    if (!t) {
        dc_set_error(DC_ERR_NOMEM, "tensor: out of memory");
        return NULL;
    }
    t->ag = (struct dc_autograd *)(t + 1);
    t->ndim = ndim;
    for (int i = 0; i < ndim; i++) t->shape[i] = shape[i];
    t->size = size;
    return t;
}

static const struct {
    const char *name;
    size_t size;
} dtypes[] = {{"F32", 4}, {"I32", 4}, {"U8", 1}, {"I8", 1}, {"F16", 2}, {"BF16", 2}};

size_t dc_dtype_size(dc_dtype t) { return (unsigned)t < sizeof dtypes / sizeof *dtypes ? dtypes[t].size : 0; }
const char *dc_dtype_name(dc_dtype t) { return (unsigned)t < sizeof dtypes / sizeof *dtypes ? dtypes[t].name : "?"; }
int dc_dtype_from_name(const char *name) {
    for (unsigned i = 0; i < sizeof dtypes / sizeof *dtypes; i++)
        if (!strcmp(name, dtypes[i].name)) return (int)i;
    return -1;
}

void dc_tensor_point(dc_tensor *t, void *p) {
    t->raw = p;
    t->data = t->dtype == DC_F32 ? p : NULL;
    t->idata = t->dtype == DC_I32 ? p : NULL;
}

dc_tensor *dc_tensor_new(dc_dtype dtype, int ndim, const int64_t *shape) {
    dc_tensor *t = tensor_header(ndim, shape);
    if (!t) return NULL;
    t->dtype = dtype;
    size_t es = dc_dtype_size(dtype), bytes = (size_t)(t->size ? t->size : 1) * es;
    if (!es) {
        free(t);
        dc_set_error(DC_ERR_INVALID, "tensor: unknown dtype %d", (int)dtype);
        return NULL;
    }
    void *p = calloc(1, bytes);
    if (!p) {
        free(t);
        dc_set_error(DC_ERR_NOMEM, "tensor: out of memory for %zu bytes", bytes);
        return NULL;
    }
    dc_tensor_point(t, p);
    t->ag->owns_data = 1;
    return t;
}

dc_tensor *dc_tensor_wrap(float *data, int ndim, const int64_t *shape) {
    dc_tensor *t = tensor_header(ndim, shape);
    if (!t) return NULL;
    t->dtype = DC_F32;
    dc_tensor_point(t, data);
    return t;
}

void dc_tensor_free(dc_tensor *t) {
    if (!t) return;
    if (t->ag->owns_data) {
        free(t->raw);
        free(t->grad);
    }
    free(t->ag->packed);
    free(t);
}

dc_status dc_tensor_require_grad(dc_tensor *t) {
    if (!t || t->dtype != DC_F32) return dc_set_error(DC_ERR_INVALID, "require_grad: needs a float tensor");
    if (!t->grad) {
        if (!t->ag->owns_data)
            return dc_set_error(DC_ERR_INVALID, "require_grad: a wrapped tensor needs its grad buffer set by the caller");
        t->grad = calloc((size_t)(t->size ? t->size : 1), sizeof(float));
        if (!t->grad) return dc_set_error(DC_ERR_NOMEM, "require_grad: out of memory");
    }
    t->requires_grad = 1;
    return DC_OK;
}

void dc_shape_str(const dc_tensor *t, char *buf, size_t n) {
    size_t k = 0;
    k += (size_t)snprintf(buf + k, n - k, "(");
    for (int i = 0; i < t->ndim && k < n; i++)
        k += (size_t)snprintf(buf + k, n - k, i ? ", %lld" : "%lld", (long long)t->shape[i]);
    if (k < n) snprintf(buf + k, n - k, ")");
}

int dc_same_shape(const dc_tensor *a, const dc_tensor *b) {
    if (a->ndim != b->ndim) return 0;
    for (int i = 0; i < a->ndim; i++)
        if (a->shape[i] != b->shape[i]) return 0;
    return 1;
}

int dc_check_f32(const char *op, const dc_tensor *t) {
    if (!t) {
        dc_set_error(DC_ERR_INVALID, "%s: input is NULL (an earlier op failed?)", op);
        return 0;
    }
    if (t->dtype != DC_F32) {
        dc_set_error(DC_ERR_INVALID, "%s: expects a float32 tensor", op);
        return 0;
    }
    return 1;
}

int dc_norm_axis(const char *op, const dc_tensor *t, int axis, int *out) {
    int a = axis < 0 ? axis + t->ndim : axis;
    if (a < 0 || a >= t->ndim) {
        char s[128];
        dc_shape_str(t, s, sizeof s);
        dc_set_error(DC_ERR_INVALID, "%s: axis %d out of range for shape %s", op, axis, s);
        return 0;
    }
    *out = a;
    return 1;
}

dc_status dc_one_hot(const int32_t *labels, int64_t n, int num_classes, float *out) {
    memset(out, 0, sizeof(float) * (size_t)n * (size_t)num_classes);
    for (int64_t i = 0; i < n; i++) {
        if (labels[i] < 0 || labels[i] >= num_classes)
            return dc_set_error(DC_ERR_INVALID, "one_hot: label %d at index %lld is outside [0, %d)", labels[i],
                                (long long)i, num_classes);
        out[i * num_classes + labels[i]] = 1.0f;
    }
    return DC_OK;
}
