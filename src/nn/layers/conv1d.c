/* conv1d.c — Conv1D over (N, C, L), run as a Conv2D over (N, C, 1, L).
 * Weight (OC, C/groups, 1, K) (the 2-D kernel it runs as). */
#include "../layer.h"

typedef struct {
    int filters, kernel, stride, dilation;
    dc_padding padding;
    int groups;
    dc_kernel_opts k;
    dc_conv_params p; /* computed by setup */
} conv1d_cfg;

static const conv1d_cfg defaults = {0, 3, 1, 1, {0, 0, 0}, 1, DC_KERNEL_DEFAULTS, {0}};

#define O(f) offsetof(conv1d_cfg, f)
static const dc_layer_option options[] = {
    {"filters", DC_O_INT, O(filters), 1, 1 << 20, DC_O_POSITIONAL | DC_O_REQUIRED, "conv1d 16 kernel=5"},
    {"kernel", DC_O_INT, O(kernel), 1, 1024, DC_O_REQUIRED, "conv1d 16 kernel=5"},
    {"stride", DC_O_INT, O(stride), 1, 1024, 0, NULL},
    {"padding", DC_O_PADDING, O(padding), 0, 1024, 0, NULL},
    {"dilation", DC_O_INT, O(dilation), 1, 1024, 0, NULL},
    {"groups", DC_O_INT, O(groups), 1, 1 << 20, 0, NULL},
    DC_KERNEL_OPTIONS(conv1d_cfg),
    {NULL}};

static dc_status setup(dc_layer *l, int nin, const dc_shape *in) {
    (void)nin;
    conv1d_cfg *c = l->cfg;
    if (in->ndim != 2)
        return dc_set_error(DC_ERR_INVALID, "conv1d: input has %d dimensions per sample, needs (channels, length) (e.g. input 1x100)", in->ndim);
    if (in->d[0] % c->groups || c->filters % c->groups)
        return dc_set_error(DC_ERR_INVALID, "conv1d: filters %d, kernel %d, groups %d do not fit %lld channels", c->filters, c->kernel,
                            c->groups, (long long)in->d[0]);
    dc_conv_params p = {1, c->stride, 0, 0, c->padding.a, c->padding.a, 1, c->dilation, c->groups};
    if (c->padding.same) dc_same_padding(in->d[1], c->kernel, c->stride, c->dilation, &p.pad_left, &p.pad_right);
    int64_t ol = (in->d[1] + p.pad_left + p.pad_right - ((int64_t)(c->kernel - 1) * c->dilation + 1)) / c->stride + 1;
    if (ol < 1) return dc_set_error(DC_ERR_INVALID, "conv1d: a kernel of %d does not fit length %lld", c->kernel, (long long)in->d[1]);
    c->p = p;
    int64_t cin = in->d[0] / c->groups, ws[4] = {c->filters, cin, 1, c->kernel};
    dc_layer_declare_kernel(l, &c->k, 4, ws, c->filters, cin * c->kernel, (int64_t)c->filters * c->kernel);
    l->out = (dc_shape){2, {c->filters, ol}};
    return DC_OK;
}

/* (N, C, L) -> (N, C, 1, L) -> conv2d -> (N, OC, L') */
static dc_status forward(const dc_layer *l, dc_forward_ctx *f, const dc_value *in, dc_value *out) {
    const conv1d_cfg *c = l->cfg;
    dc_tensor *h = in[0].y;
    int64_t s4[4] = {h->shape[0], h->shape[1], 1, h->shape[2]};
    h = dc_reshape(f->g, h, 4, s4);
    h = h ? dc_layer_conv(f, l, 0, h, c->k.use_bias ? l->param[1] : NULL, &c->p) : NULL;
    if (h) {
        int64_t s3[3] = {h->shape[0], h->shape[1], h->shape[3]};
        h = dc_reshape(f->g, h, 3, s3);
    }
    return dc_kernel_activate(f->g, &c->k, h, out);
}

const dc_layer_type dc_layer_conv1d = {
    .keyword = "conv1d", .class_name = "Conv1D", .base_name = "conv1d",
    .cfg_size = sizeof(conv1d_cfg), .defaults = &defaults, .options = options,
    .min_inputs = 1, .max_inputs = 1,
    .setup = setup, .forward = forward,
};
