/* transformer.c — Transformer blocks over sequences (N, T, C).
 *
 * transformer_block: GPT-2's block, pre-normalization, causal by default:
 *   x = x + drop(c_proj(attention(c_attn(ln_1(x)))))
 *   x = x + drop(mlp.c_proj(act(mlp.c_fc(ln_2(x)))))
 * transformer_encoder: torch.nn.TransformerEncoderLayer (norm_first=False,
 * relu), the encoder of "Attention is all you need", non-causal:
 *   x = ln_1(x + drop(c_proj(attention(c_attn(x)))))
 *   x = ln_2(x + drop(mlp.c_proj(act(mlp.c_fc(x)))))
 * Both keep the same tensors, named as GPT-2's (h.N. prefix aside):
 * ln_1.weight/bias, attn.c_attn.weight (3C, C) / bias, attn.c_proj.weight
 * (C, C) / bias, ln_2.weight/bias, mlp.c_fc.weight (F, C) / bias,
 * mlp.c_proj.weight (C, F) / bias; weights (out, in) as torch.nn.Linear
 * (GPT-2's Conv1D files store them transposed: src/io/gpt2.c turns them).
 * Attention is the fused op (dc_attention), reading Q, K and V in place
 * from c_attn's output; padded keys (an embedding's mask_zero) are hidden.
 * During generation (f->kv) the block attends over its cache instead. */
#include "../layer.h"
#include "../model.h"
#include <string.h>

typedef struct {
    int heads, ff, causal, pre_norm;
    float dropout, eps;
    dc_activation act;
} tf_cfg;

static const tf_cfg block_defaults = {0, 0, 1, 1, 0.0f, 1e-5f, DC_ACT_GELU_TANH};
static const tf_cfg encoder_defaults = {0, 0, 0, 0, 0.0f, 1e-5f, DC_ACT_RELU};

#define TF_OPTIONS(ex)                                                                                  \
    {"heads", DC_O_INT, offsetof(tf_cfg, heads), 1, 4096, DC_O_POSITIONAL | DC_O_REQUIRED, ex},        \
    {"ff", DC_O_INT, offsetof(tf_cfg, ff), 1, 1 << 20, 0, ex " ff=512"},                                \
    {"causal", DC_O_BOOL, offsetof(tf_cfg, causal), 0, 1, 0, ex " causal=false"},                        \
    {"pre_norm", DC_O_BOOL, offsetof(tf_cfg, pre_norm), 0, 1, 0, ex " pre_norm=true"},                   \
    {"dropout", DC_O_FLOAT, offsetof(tf_cfg, dropout), 0, 0.999, 0, ex " dropout=0.1"},                  \
    {"eps", DC_O_FLOAT, offsetof(tf_cfg, eps), 0, 1, 0, ex " eps=1e-6"},                                 \
    {"activation", DC_O_ACT, offsetof(tf_cfg, act), 0, 0, 0, ex " activation=gelu"},                     \
    {NULL}
static const dc_layer_option block_options[] = {TF_OPTIONS("transformer_block 4")};
static const dc_layer_option encoder_options[] = {TF_OPTIONS("transformer_encoder 4")};

enum { LN1_W, LN1_B, QKV_W, QKV_B, PROJ_W, PROJ_B, LN2_W, LN2_B, FC_W, FC_B, FCP_W, FCP_B };

static int64_t ff_width(const tf_cfg *c, int64_t C) { return c->ff ? c->ff : 4 * C; }

static dc_status setup(dc_layer *l, int nin, const dc_shape *in) {
    (void)nin;
    const tf_cfg *c = l->cfg;
    const char *kw = l->type->keyword;
    if (in->ndim != 2)
        return dc_set_error(DC_ERR_INVALID, "%s: input has %d dimensions per sample; it takes a sequence (steps, features), "
                                            "e.g. after an embedding", kw, in->ndim);
    const int64_t C = in->d[1], F = ff_width(c, C);
    if (C % c->heads)
        return dc_set_error(DC_ERR_INVALID, "%s: the width %lld does not divide into %d heads", kw, (long long)C, c->heads);
    if (c->act == DC_ACT_SOFTMAX || c->act == DC_ACT_LOG_SOFTMAX)
        return dc_set_error(DC_ERR_INVALID, "%s: activation %s does not fit a feed-forward part", kw, dc_activation_name(c->act));
    const struct {
        const char *what;
        int64_t out, in;
        dc_init init;
    } t[] = {{"ln_1.weight", C, 0, DC_INIT_ONES},        {"ln_1.bias", C, 0, DC_INIT_ZEROS},
             {"attn.c_attn.weight", 3 * C, C, DC_INIT_NORMAL}, {"attn.c_attn.bias", 3 * C, 0, DC_INIT_ZEROS},
             {"attn.c_proj.weight", C, C, DC_INIT_NORMAL},  {"attn.c_proj.bias", C, 0, DC_INIT_ZEROS},
             {"ln_2.weight", C, 0, DC_INIT_ONES},        {"ln_2.bias", C, 0, DC_INIT_ZEROS},
             {"mlp.c_fc.weight", F, C, DC_INIT_NORMAL},     {"mlp.c_fc.bias", F, 0, DC_INIT_ZEROS},
             {"mlp.c_proj.weight", C, F, DC_INIT_NORMAL},   {"mlp.c_proj.bias", C, 0, DC_INIT_ZEROS}};
    for (size_t i = 0; i < sizeof t / sizeof *t; i++) {
        int64_t shape[2] = {t[i].out, t[i].in};
        int k = dc_layer_declare(l, t[i].what, t[i].in ? 2 : 1, shape, 0, t[i].init, 0.0f, t[i].in ? t[i].in : t[i].out, t[i].out);
        if (t[i].in) dc_layer_matrix(l, k);
    }
    l->out = *in;
    return DC_OK;
}

/* x W^T + b at every step of x (N, T, in): (N, T, out), no copies; W is
 * parameter w, quantized or not, b parameter w + 1. */
static dc_tensor *per_step(dc_forward_ctx *f, const dc_layer *l, dc_tensor *x, int w) {
    return x ? dc_layer_linear(f, l, w, x, l->param[w + 1]) : NULL;
}

/* The attention half, before the residual: c_proj(attention(c_attn(h))). */
static dc_tensor *attention_part(const dc_layer *l, dc_forward_ctx *f, dc_tensor *h, const dc_tensor *mask) {
    const tf_cfg *c = l->cfg;
    dc_tensor *qkv = per_step(f, l, h, QKV_W), *a;
    if (!qkv) return NULL;
    if (f->kv) {
        const int k = dc_layer_index(f->m, l);
        if (k < 0 || !f->kv->k[k]) {
            dc_set_error(DC_ERR_INVALID, "%s: no cache for this layer", l->name);
            return NULL;
        }
        a = dc_attention_cached_rows(f->g, qkv, c->heads, f->kv->k[k], f->kv->v[k], f->kv->cap, f->kv->pos0, f->kv->rowpos,
                                     f->kv->rowslot, f->kv->slots);
    } else {
        a = dc_attention(f->g, qkv, c->heads, c->causal, mask, c->dropout);
    }
    a = a ? per_step(f, l, a, PROJ_W) : NULL;
    return a ? dc_dropout(f->g, a, c->dropout) : NULL;
}

/* The feed-forward half, before the residual. */
static dc_tensor *mlp_part(const dc_layer *l, dc_forward_ctx *f, dc_tensor *h) {
    const tf_cfg *c = l->cfg;
    dc_tensor *z = per_step(f, l, h, FC_W);
    z = z ? dc_apply_activation(f->g, z, c->act, 0.01f) : NULL;
    z = per_step(f, l, z, FCP_W);
    return z ? dc_dropout(f->g, z, c->dropout) : NULL;
}

static dc_status block(const dc_layer *l, dc_forward_ctx *f, const dc_value *in, dc_value *out);

/* Inference keeps only the block's output: its intermediates (qkv, the
 * MLP's 4C-wide activations...) go back to the arena before the next block,
 * so a 12-block GPT-2 holds one block's worth, not twelve. */
static dc_status forward(const dc_layer *l, dc_forward_ctx *f, const dc_value *in, dc_value *out) {
    if (dc_graph_grad_enabled(f->g) || dc_graph_tracing(f->g) || in[0].y->ndim != 3) return block(l, f, in, out);
    dc_tensor *y = dc_input(f->g, DC_F32, 3, in[0].y->shape);
    if (!y) return DC_ERR_NOMEM;
    dc_arena_mark mark = dc_arena_mark_now(f->g);
    dc_status st = block(l, f, in, out);
    if (!st) memcpy(y->data, out->y->data, sizeof(float) * (size_t)y->size);
    dc_arena_release(f->g, mark);
    out->y = st ? NULL : y;
    return st;
}

static dc_status block(const dc_layer *l, dc_forward_ctx *f, const dc_value *in, dc_value *out) {
    const tf_cfg *c = l->cfg;
    dc_tensor **p = l->param, *x = in[0].y;
    dc_graph *g = f->g;
    if (x->ndim != 3 || x->shape[2] != p[LN1_W]->size)
        return dc_set_error(DC_ERR_INVALID, "%s: input must be (N, T, %lld)", l->type->keyword, (long long)p[LN1_W]->size);
    if (f->kv && !c->causal)
        return dc_set_error(DC_ERR_INVALID, "%s: a non-causal block sees the future; it cannot generate step by step", l->name);
    const float eps = c->eps;
    if (c->pre_norm) {
        dc_tensor *a = attention_part(l, f, dc_layer_norm(g, x, p[LN1_W], p[LN1_B], eps), in[0].mask);
        x = a ? dc_add(g, x, a) : NULL;
        dc_tensor *m = x ? mlp_part(l, f, dc_layer_norm(g, x, p[LN2_W], p[LN2_B], eps)) : NULL;
        x = m ? dc_add(g, x, m) : NULL;
    } else {
        dc_tensor *a = attention_part(l, f, x, in[0].mask);
        x = a ? dc_layer_norm(g, dc_add(g, x, a), p[LN1_W], p[LN1_B], eps) : NULL;
        dc_tensor *m = x ? mlp_part(l, f, x) : NULL;
        x = m ? dc_layer_norm(g, dc_add(g, x, m), p[LN2_W], p[LN2_B], eps) : NULL;
    }
    out->y = x;
    out->mask = in[0].mask;
    return x ? DC_OK : DC_ERR_INVALID;
}

const dc_layer_type dc_layer_transformer_block = {
    .keyword = "transformer_block", .class_name = "TransformerBlock", .base_name = "transformer_block",
    .cfg_size = sizeof(tf_cfg), .defaults = &block_defaults, .options = block_options,
    .min_inputs = 1, .max_inputs = 1,
    .setup = setup, .forward = forward,
    .stepwise = 2,
    .block_name = "h",
};
const dc_layer_type dc_layer_transformer_encoder = {
    .keyword = "transformer_encoder", .class_name = "TransformerEncoder", .base_name = "transformer_encoder",
    .cfg_size = sizeof(tf_cfg), .defaults = &encoder_defaults, .options = encoder_options,
    .min_inputs = 1, .max_inputs = 1,
    .setup = setup, .forward = forward,
    .stepwise = 2,
};
