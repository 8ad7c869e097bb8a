/* conv2d.c — Conv2D over (N, C, H, W): stride, padding (valid, same or
 * explicit), dilation, groups, a fused activation. Weight (OC, C/groups,
 * KH, KW) as PyTorch. */
#include "../layer.h"

typedef struct {
    int filters;
    int kernel[2], stride[2], dilation[2];
    dc_padding padding;
    int groups;
    dc_kernel_opts k;
    dc_conv_params p; /* computed by setup */
} conv2d_cfg;

static const conv2d_cfg defaults = {0, {3, 3}, {1, 1}, {1, 1}, {0, 0, 0}, 1, DC_KERNEL_DEFAULTS, {0}};

#define O(f) offsetof(conv2d_cfg, f)
static const dc_layer_option options[] = {
    {"filters", DC_O_INT, O(filters), 1, 1 << 20, DC_O_POSITIONAL | DC_O_REQUIRED, "conv2d 32 kernel=3"},
    {"kernel", DC_O_PAIR, O(kernel), 1, 1024, DC_O_REQUIRED, "conv2d 32 kernel=3"},
    {"stride", DC_O_PAIR, O(stride), 1, 1024, 0, NULL},
    {"padding", DC_O_PADDING, O(padding), 0, 1024, 0, NULL},
    {"dilation", DC_O_PAIR, O(dilation), 1, 1024, 0, NULL},
    {"groups", DC_O_INT, O(groups), 1, 1 << 20, 0, NULL},
    DC_KERNEL_OPTIONS(conv2d_cfg),
    {NULL}};

static int64_t conv_out(int64_t in, int k, int stride, int dil, int before, int after) {
    return (in + before + after - ((int64_t)(k - 1) * dil + 1)) / stride + 1;
}

static dc_status setup(dc_layer *l, int nin, const dc_shape *in) {
    (void)nin;
    conv2d_cfg *c = l->cfg;
    if (in->ndim != 3)
        return dc_set_error(DC_ERR_INVALID, "conv2d: input has %d dimensions per sample, needs (channels, height, width) (e.g. input 1x28x28)", in->ndim);
    if (in->d[0] % c->groups || c->filters % c->groups)
        return dc_set_error(DC_ERR_INVALID, "conv2d: %lld input channels and %d filters must both divide by groups=%d",
                            (long long)in->d[0], c->filters, c->groups);
    dc_conv_params p = {c->stride[0], c->stride[1], c->padding.a, c->padding.a, c->padding.b, c->padding.b,
                        c->dilation[0], c->dilation[1], c->groups};
    if (c->padding.same) {
        dc_same_padding(in->d[1], c->kernel[0], p.stride_h, p.dil_h, &p.pad_top, &p.pad_bottom);
        dc_same_padding(in->d[2], c->kernel[1], p.stride_w, p.dil_w, &p.pad_left, &p.pad_right);
    }
    int64_t oh = conv_out(in->d[1], c->kernel[0], p.stride_h, p.dil_h, p.pad_top, p.pad_bottom);
    int64_t ow = conv_out(in->d[2], c->kernel[1], p.stride_w, p.dil_w, p.pad_left, p.pad_right);
    if (oh < 1 || ow < 1)
        return dc_set_error(DC_ERR_INVALID, "conv2d: a %dx%d kernel does not fit the %lldx%lld input", c->kernel[0], c->kernel[1],
                            (long long)in->d[1], (long long)in->d[2]);
    c->p = p;
    int64_t rf = (int64_t)c->kernel[0] * c->kernel[1], cin = in->d[0] / c->groups;
    int64_t ws[4] = {c->filters, cin, c->kernel[0], c->kernel[1]};
    dc_layer_declare_kernel(l, &c->k, 4, ws, c->filters, cin * rf, c->filters * rf);
    l->out = (dc_shape){3, {c->filters, oh, ow}};
    return DC_OK;
}

static dc_status forward(const dc_layer *l, dc_forward_ctx *f, const dc_value *in, dc_value *out) {
    const conv2d_cfg *c = l->cfg;
    dc_tensor *z = dc_layer_conv(f, l, 0, in[0].y, c->k.use_bias ? l->param[1] : NULL, &c->p);
    return dc_kernel_activate(f->g, &c->k, z, out);
}

const dc_layer_type dc_layer_conv2d = {
    .keyword = "conv2d", .class_name = "Conv2D", .base_name = "conv2d",
    .cfg_size = sizeof(conv2d_cfg), .defaults = &defaults, .options = options,
    .min_inputs = 1, .max_inputs = 1,
    .setup = setup, .forward = forward,
};
