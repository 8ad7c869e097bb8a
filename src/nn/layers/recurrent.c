/* recurrent.c — SimpleRNN, LSTM and GRU layers over sequences (N, T, I),
 * as torch.nn.RNN/LSTM/GRU: `layers` stacked (dropout between them in
 * training), optionally bidirectional (the directions' outputs concatenated,
 * or summed with merge_sum=true). Tensors are named as PyTorch's state_dict:
 * weight_ih_l0, weight_hh_l0, bias_ih_l0, bias_hh_l0, then _reverse and l1,
 * so a saved layer loads into the torch module of the same name. Output:
 * every step (return_sequences=true: (T, D·H), the mask kept), or the final
 * state (D·H): the forward direction's last real step, the reverse
 * direction's first, as torch's h_n (cat(h_n[-2], h_n[-1]) when
 * bidirectional). */
#include "../layer.h"
#include <stdio.h>

typedef struct {
    int units, return_sequences, bidirectional, merge_sum, layers, use_bias;
    float dropout;
} rnn_cfg;

static const rnn_cfg defaults = {0, 0, 0, 0, 1, 1, 0.0f};

static const dc_layer_option options[] = {
    {"units", DC_O_INT, offsetof(rnn_cfg, units), 1, 1 << 16, DC_O_POSITIONAL | DC_O_REQUIRED, "lstm 128"},
    {"return_sequences", DC_O_BOOL, offsetof(rnn_cfg, return_sequences), 0, 1, 0, "lstm 128 return_sequences=true"},
    {"bidirectional", DC_O_BOOL, offsetof(rnn_cfg, bidirectional), 0, 1, 0, "lstm 128 bidirectional=true"},
    {"merge_sum", DC_O_BOOL, offsetof(rnn_cfg, merge_sum), 0, 1, 0, "lstm 128 bidirectional=true merge_sum=true"},
    {"layers", DC_O_INT, offsetof(rnn_cfg, layers), 1, 8, 0, "lstm 128 layers=2 dropout=0.5"},
    {"dropout", DC_O_FLOAT, offsetof(rnn_cfg, dropout), 0, 0.999, 0, "lstm 128 layers=2 dropout=0.5"},
    {"use_bias", DC_O_BOOL, offsetof(rnn_cfg, use_bias), 0, 1, 0, "lstm 128 use_bias=false"},
    {NULL}};

static int gates(const dc_layer *l) {
    const char *k = l->type->keyword;
    return k[0] == 'l' ? 4 : k[0] == 'g' ? 3 : 1;
}
static dc_rnn_kind kind_of(const dc_layer *l) {
    int g = gates(l);
    return g == 4 ? DC_RNN_LSTM : g == 3 ? DC_RNN_GRU : DC_RNN_TANH;
}

static dc_status setup(dc_layer *l, int nin, const dc_shape *in) {
    (void)nin;
    const rnn_cfg *c = l->cfg;
    if (in->ndim != 2)
        return dc_set_error(DC_ERR_INVALID, "%s: input has %d dimensions per sample; it takes a sequence (steps, features), "
                                            "e.g. after an embedding", l->type->keyword, in->ndim);
    const int64_t H = c->units, G = gates(l), D = c->bidirectional ? 2 : 1, DH = c->merge_sum ? H : D * H;
    for (int k = 0; k < c->layers; k++)
        for (int d = 0; d < D; d++) {
            const char *sfx = d ? "_reverse" : "";
            char nm[32];
            int64_t I = k ? DH : in->d[1];
            snprintf(nm, sizeof nm, "weight_ih_l%d%s", k, sfx);
            dc_layer_matrix(l, dc_layer_declare(l, nm, 2, (int64_t[]){G * H, I}, 0, DC_INIT_TORCH_RNN, 0.0f, H, G * H));
            snprintf(nm, sizeof nm, "weight_hh_l%d%s", k, sfx);
            dc_layer_matrix(l, dc_layer_declare(l, nm, 2, (int64_t[]){G * H, H}, 0, DC_INIT_TORCH_RNN, 0.0f, H, G * H));
            if (!c->use_bias) continue;
            snprintf(nm, sizeof nm, "bias_ih_l%d%s", k, sfx);
            dc_layer_declare(l, nm, 1, (int64_t[]){G * H}, 0, DC_INIT_TORCH_RNN, 0.0f, H, G * H);
            snprintf(nm, sizeof nm, "bias_hh_l%d%s", k, sfx);
            dc_layer_declare(l, nm, 1, (int64_t[]){G * H}, 0, DC_INIT_TORCH_RNN, 0.0f, H, G * H);
        }
    if (c->return_sequences) {
        l->out.ndim = 2;
        l->out.d[0] = in->d[0];
        l->out.d[1] = DH;
    } else {
        l->out.ndim = 1;
        l->out.d[0] = DH;
    }
    return DC_OK;
}

/* The two directions' results, merged as configured. */
static dc_tensor *merge(dc_graph *g, const rnn_cfg *c, dc_tensor *a, dc_tensor *b, int axis) {
    if (!b) return a;
    if (c->merge_sum) return dc_add(g, a, b);
    dc_tensor *both[2] = {a, b};
    return dc_concat(g, both, 2, axis);
}

static dc_status forward(const dc_layer *l, dc_forward_ctx *f, const dc_value *in, dc_value *out) {
    const rnn_cfg *c = l->cfg;
    const int D = c->bidirectional ? 2 : 1, per = c->use_bias ? 4 : 2;
    const dc_tensor *mask = in[0].mask;
    dc_tensor *x = in[0].y;
    for (int k = 0; k < c->layers && x; k++) {
        if (k && c->dropout > 0.0f) x = dc_dropout(f->g, x, c->dropout);
        dc_tensor *y[2] = {NULL, NULL};
        for (int d = 0; d < D && x; d++) {
            const int at = (k * D + d) * per; /* weight_ih, weight_hh, bias_ih, bias_hh */
            dc_tensor **p = l->param + at;
            const int si = l->decl[at].scale, sh = l->decl[at + 1].scale;
            if (l->wdtype == DC_I8 && si >= 0 && sh >= 0) { /* int8: products on integers */
                y[d] = dc_qrnn(f->g, kind_of(l), x, p[0], l->param[si], p[1], l->param[sh], c->use_bias ? p[2] : NULL,
                               c->use_bias ? p[3] : NULL, mask, d);
            } else { /* other stored types: as floats */
                dc_tensor *wi = dc_layer_weight(f, l, at), *wh = dc_layer_weight(f, l, at + 1);
                y[d] = wi && wh ? dc_rnn(f->g, kind_of(l), x, wi, wh, c->use_bias ? p[2] : NULL, c->use_bias ? p[3] : NULL, mask, d) : NULL;
            }
            if (!y[d]) return DC_ERR_INVALID;
        }
        if (k == c->layers - 1 && !c->return_sequences) { /* the final states */
            dc_tensor *hf = dc_rnn_last(f->g, y[0], mask, 0), *hb = D == 2 ? dc_rnn_last(f->g, y[1], mask, 1) : NULL;
            out->y = hf && (D == 1 || hb) ? merge(f->g, c, hf, hb, 1) : NULL;
            return out->y ? DC_OK : DC_ERR_INVALID;
        }
        x = merge(f->g, c, y[0], y[1], 2);
    }
    out->y = x;
    out->mask = mask;
    return x ? DC_OK : DC_ERR_INVALID;
}

const dc_layer_type dc_layer_simple_rnn = {
    .keyword = "simple_rnn", .class_name = "SimpleRNN", .base_name = "simple_rnn",
    .cfg_size = sizeof(rnn_cfg), .defaults = &defaults, .options = options,
    .min_inputs = 1, .max_inputs = 1,
    .setup = setup, .forward = forward,
};
const dc_layer_type dc_layer_lstm = {
    .keyword = "lstm", .class_name = "LSTM", .base_name = "lstm",
    .cfg_size = sizeof(rnn_cfg), .defaults = &defaults, .options = options,
    .min_inputs = 1, .max_inputs = 1,
    .setup = setup, .forward = forward,
};
const dc_layer_type dc_layer_gru = {
    .keyword = "gru", .class_name = "GRU", .base_name = "gru",
    .cfg_size = sizeof(rnn_cfg), .defaults = &defaults, .options = options,
    .min_inputs = 1, .max_inputs = 1,
    .setup = setup, .forward = forward,
};
