/* merge.c — Add, Multiply and Concatenate: layers with several inputs
 * (`add inputs=block_out,shortcut`), as Keras' merge layers. add and
 * multiply need equal shapes; concat joins along one per-sample axis
 * (default the last) and needs the other extents equal. */
#include "../layer.h"
#include <string.h>

typedef struct {
    int axis;
} concat_cfg;

static const concat_cfg concat_defaults = {-1};
static const dc_layer_option concat_options[] = {
    {"axis", DC_O_INT, offsetof(concat_cfg, axis), -(DC_MAX_DIMS - 1), DC_MAX_DIMS - 2, 0, NULL}, {NULL}};

static int same_shape(const dc_shape *a, const dc_shape *b) {
    return a->ndim == b->ndim && !memcmp(a->d, b->d, sizeof(int64_t) * (size_t)a->ndim);
}

static dc_status mismatch(const char *what, int i, const dc_shape *a, const dc_shape *b) {
    char sa[128], sb[128];
    dc_shape_text(sa, sizeof sa, a, 0);
    dc_shape_text(sb, sizeof sb, b, 0);
    return dc_set_error(DC_ERR_INVALID, "%s: input %d has shape %s, input 1 has %s%s", what, i + 1, sb, sa,
                        strcmp(what, "concat") ? " (they must be equal)" : " (only the concat axis may differ)");
}

static dc_status setup_elementwise(dc_layer *l, int nin, const dc_shape *in) {
    for (int i = 1; i < nin; i++)
        if (!same_shape(&in[0], &in[i])) return mismatch(l->type->keyword, i, &in[0], &in[i]);
    l->out = in[0];
    return DC_OK;
}

static dc_status forward_elementwise(const dc_layer *l, dc_forward_ctx *f, const dc_value *in, dc_value *out) {
    int mul = l->type == &dc_layer_multiply;
    dc_tensor *h = in[0].y;
    for (int i = 1; i < l->nin && h; i++) h = mul ? dc_mul(f->g, h, in[i].y) : dc_add(f->g, h, in[i].y);
    out->y = h;
    return h ? DC_OK : DC_ERR_INVALID;
}

static int concat_axis(const concat_cfg *c, int ndim) { return c->axis < 0 ? ndim + c->axis : c->axis; }

static dc_status setup_concat(dc_layer *l, int nin, const dc_shape *in) {
    int ax = concat_axis(l->cfg, in[0].ndim);
    if (ax < 0 || ax >= in[0].ndim)
        return dc_set_error(DC_ERR_INVALID, "concat: axis %d does not exist in inputs of %d dimensions per sample",
                            ((const concat_cfg *)l->cfg)->axis, in[0].ndim);
    l->out = in[0];
    for (int i = 1; i < nin; i++) {
        dc_shape a = in[0], b = in[i];
        if (b.ndim != a.ndim) return mismatch("concat", i, &in[0], &in[i]);
        a.d[ax] = b.d[ax] = 0;
        if (!same_shape(&a, &b)) return mismatch("concat", i, &in[0], &in[i]);
        l->out.d[ax] += in[i].d[ax];
    }
    return DC_OK;
}

static dc_status forward_concat(const dc_layer *l, dc_forward_ctx *f, const dc_value *in, dc_value *out) {
    dc_tensor *xs[DC_LAYER_MAX_INPUTS];
    for (int i = 0; i < l->nin; i++) xs[i] = in[i].y;
    out->y = dc_concat(f->g, xs, l->nin, 1 + concat_axis(l->cfg, l->out.ndim));
    return out->y ? DC_OK : DC_ERR_INVALID;
}

const dc_layer_type dc_layer_add = {
    .keyword = "add", .class_name = "Add", .base_name = "add",
    .min_inputs = 2, .max_inputs = DC_LAYER_MAX_INPUTS,
    .setup = setup_elementwise, .forward = forward_elementwise,
    .stepwise = 1,
};
const dc_layer_type dc_layer_multiply = {
    .keyword = "multiply", .class_name = "Multiply", .base_name = "multiply",
    .min_inputs = 2, .max_inputs = DC_LAYER_MAX_INPUTS,
    .setup = setup_elementwise, .forward = forward_elementwise,
    .stepwise = 1,
};
const dc_layer_type dc_layer_concat = {
    .keyword = "concat", .class_name = "Concatenate", .base_name = "concatenate",
    .cfg_size = sizeof(concat_cfg), .defaults = &concat_defaults, .options = concat_options,
    .min_inputs = 2, .max_inputs = DC_LAYER_MAX_INPUTS,
    .setup = setup_concat, .forward = forward_concat,
};
