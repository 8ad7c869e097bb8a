/* embedding.c — Embedding (torch.nn.Embedding, Keras Embedding): int32
 * token ids (N, T) become vectors (N, T, dim) from a (vocab, dim) table
 * named "weight", as PyTorch names it. mask_zero=true (Keras) makes id 0
 * padding: the table's row 0 gets no gradient (PyTorch's padding_idx=0)
 * and the mask goes on to the recurrent layers, which then skip those
 * steps wherever they are. */
#include "../layer.h"

typedef struct {
    int vocab, dim, mask_zero;
    dc_init init;
} emb_cfg;

static const emb_cfg defaults = {0, 0, 0, DC_INIT_UNIFORM};

static const dc_layer_option options[] = {
    {"vocab", DC_O_INT, offsetof(emb_cfg, vocab), 1, 1 << 26, DC_O_POSITIONAL | DC_O_REQUIRED, "embedding 10000 32"},
    {"dim", DC_O_INT, offsetof(emb_cfg, dim), 1, 1 << 16, DC_O_POSITIONAL | DC_O_REQUIRED, "embedding 10000 32"},
    {"mask_zero", DC_O_BOOL, offsetof(emb_cfg, mask_zero), 0, 1, 0, "embedding 10000 32 mask_zero=true"},
    {"init", DC_O_INIT, offsetof(emb_cfg, init), 0, 0, 0, "embedding 10000 32 init=uniform"},
    {NULL}};

static dc_status setup(dc_layer *l, int nin, const dc_shape *in) {
    (void)nin;
    const emb_cfg *c = l->cfg;
    if (in->ndim != 1)
        return dc_set_error(DC_ERR_INVALID, "embedding: input has %d dimensions per sample; it takes token ids, one per step "
                                            "(e.g. input 200)", in->ndim);
    dc_layer_matrix(l, dc_layer_declare(l, "weight", 2, (int64_t[]){c->vocab, c->dim}, 0, c->init, 0.0f, c->vocab, c->dim));
    l->out.ndim = 2;
    l->out.d[0] = in->d[0];
    l->out.d[1] = c->dim;
    return DC_OK;
}

static dc_status forward(const dc_layer *l, dc_forward_ctx *f, const dc_value *in, dc_value *out) {
    const emb_cfg *c = l->cfg;
    dc_tensor *ids = in[0].y;
    if (ids->dtype != DC_I32)
        return dc_set_error(DC_ERR_INVALID, "%s: an embedding takes int32 token ids; this input holds floats (is the data text?)",
                            l->name);
    const int s = l->decl[0].scale; /* stored int8 or 4-bit: the rows it picks, as floats */
    out->y = s >= 0 ? dc_qembedding(f->g, l->param[0], l->param[s], ids) : dc_embedding(f->g, dc_layer_weight(f, l, 0), ids, c->mask_zero ? 0 : -1);
    out->mask = c->mask_zero ? ids : NULL; /* non-zero ids are the real steps */
    return out->y ? DC_OK : DC_ERR_INVALID;
}

const dc_layer_type dc_layer_embedding = {
    .keyword = "embedding", .class_name = "Embedding", .base_name = "embedding",
    .cfg_size = sizeof(emb_cfg), .defaults = &defaults, .options = options,
    .min_inputs = 1, .max_inputs = 1,
    .setup = setup, .forward = forward,
    .stepwise = 1, .reads_ids = 1,
};
