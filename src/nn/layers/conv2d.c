/* conv2d.c — Conv2D over (N, C, H, W): stride, padding (valid, same or
 * explicit), dilation, groups, a fused activation. Weight (OC, C/groups,
 * KH, KW) as PyTorch. */
#include "../layer.h"

typedef struct {
    int filters;
    int kernel[2], stride[2], dilation[2];
    dc_padding padding;
    int groups;
    dc_activation activation;
    int use_bias;
    dc_init kernel_init, bias_init;
    float alpha, l1, l2;
    dc_conv_params p; /* computed by setup */
} conv2d_cfg;

static const conv2d_cfg defaults = {0, {3, 3}, {1, 1}, {1, 1}, {0, 0, 0}, 1, DC_ACT_NONE, 1, DC_INIT_GLOROT_UNIFORM,
                                    DC_INIT_ZEROS, 0.01f, 0, 0, {0}};

#define O(f) offsetof(conv2d_cfg, f)
static const dc_layer_option options[] = {
    {"filters", DC_O_INT, O(filters), 1, 1 << 20, DC_O_POSITIONAL | DC_O_REQUIRED, "conv2d 32 kernel=3"},
    {"kernel", DC_O_PAIR, O(kernel), 1, 1024, DC_O_REQUIRED, "conv2d 32 kernel=3"},
    {"stride", DC_O_PAIR, O(stride), 1, 1024, 0, NULL},
    {"padding", DC_O_PADDING, O(padding), 0, 1024, 0, NULL},
    {"dilation", DC_O_PAIR, O(dilation), 1, 1024, 0, NULL},
    {"groups", DC_O_INT, O(groups), 1, 1 << 20, 0, NULL},
    {"activation", DC_O_ACT, O(activation), 0, 0, 0, NULL},
    {"use_bias", DC_O_BOOL, O(use_bias), 0, 1, 0, NULL},
    {"kernel_initializer", DC_O_INIT, O(kernel_init), 0, 0, 0, NULL},
    {"bias_initializer", DC_O_INIT, O(bias_init), 0, 0, 0, NULL},
    {"alpha", DC_O_FLOAT, O(alpha), 0, 1e6, 0, NULL},
    {"l1", DC_O_FLOAT, O(l1), 0, 1e6, 0, NULL},
    {"l2", DC_O_FLOAT, O(l2), 0, 1e6, 0, NULL},
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
    int64_t ws[4] = {c->filters, cin, c->kernel[0], c->kernel[1]}, bs[1] = {c->filters};
    int w = dc_layer_declare(l, "weight", 4, ws, 0, c->kernel_init, 0, cin * rf, c->filters * rf);
    l->decl[w].l1 = c->l1;
    l->decl[w].l2 = c->l2;
    if (c->use_bias) dc_layer_declare(l, "bias", 1, bs, 0, c->bias_init, 0, cin * rf, c->filters * rf);
    l->out = (dc_shape){3, {c->filters, oh, ow}};
    return DC_OK;
}

static dc_status forward(dc_layer *l, dc_forward_ctx *f, const dc_value *in, dc_value *out) {
    const conv2d_cfg *c = l->cfg;
    dc_tensor *z = dc_conv2d(f->g, in[0].y, l->param[0], c->use_bias ? l->param[1] : NULL, &c->p);
    return dc_value_activate(f->g, z, c->activation, c->alpha, out);
}

const dc_layer_type dc_layer_conv2d = {"conv2d", "Conv2D", "conv2d", sizeof(conv2d_cfg), &defaults, options, 1, 1, setup, forward};
