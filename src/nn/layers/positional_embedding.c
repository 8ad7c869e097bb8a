/* positional_embedding.c — learned positions (GPT-2's wpe): a (max_len, C)
 * table named "weight" whose row t is added to step t of the input
 * (N, T, C). max_len defaults to the input's steps; a longer table lets a
 * model trained on short windows read longer ones. During generation the
 * new steps start at the cache's position. */
#include "../layer.h"

typedef struct {
    int max_len;
    dc_init init;
} pos_cfg;

static const pos_cfg defaults = {0, DC_INIT_NORMAL};
static const dc_layer_option options[] = {
    {"max_len", DC_O_INT, offsetof(pos_cfg, max_len), 1, 1 << 20, DC_O_POSITIONAL, "positional_embedding 1024"},
    {"init", DC_O_INIT, offsetof(pos_cfg, init), 0, 0, 0, "positional_embedding init=normal"},
    {NULL}};

static dc_status setup(dc_layer *l, int nin, const dc_shape *in) {
    (void)nin;
    const pos_cfg *c = l->cfg;
    if (in->ndim != 2)
        return dc_set_error(DC_ERR_INVALID, "positional_embedding: input has %d dimensions per sample; it takes (steps, features), "
                                            "e.g. after an embedding", in->ndim);
    const int64_t L = c->max_len ? c->max_len : in->d[0];
    if (L < in->d[0])
        return dc_set_error(DC_ERR_INVALID, "positional_embedding: max_len %lld is shorter than the input's %lld steps", (long long)L,
                            (long long)in->d[0]);
    dc_layer_declare(l, "weight", 2, (int64_t[]){L, in->d[1]}, 0, c->init, 0.0f, L, in->d[1]);
    l->out = *in;
    return DC_OK;
}

/* The table's rows for rows of different lengths (continuous batching):
 * row n's steps are at positions rowpos[n].., looked up as token ids. */
static dc_tensor *rows_at(dc_forward_ctx *f, dc_tensor *table, int64_t N, int64_t T) {
    dc_tensor *ids = dc_input(f->g, DC_I32, 2, (int64_t[]){N, T});
    if (!ids) return NULL;
    for (int64_t n = 0; n < N; n++)
        for (int64_t i = 0; i < T; i++) {
            const int64_t p = f->kv->rowpos[n] + i;
            ids->idata[n * T + i] = p < table->shape[0] ? (int32_t)p : -1; /* past the context: the lookup's error */
        }
    return dc_embedding(f->g, table, ids, -1);
}

static dc_status forward(const dc_layer *l, dc_forward_ctx *f, const dc_value *in, dc_value *out) {
    dc_tensor *x = in[0].y, *table = l->param[0];
    const int64_t T = x->shape[1], p0 = f->kv ? f->kv->pos0 : 0;
    if (x->ndim != 3 || x->shape[2] != table->shape[1])
        return dc_set_error(DC_ERR_INVALID, "positional_embedding: input must be (N, T, %lld)", (long long)table->shape[1]);
    if (f->kv && f->kv->rowpos) {
        dc_tensor *rows = rows_at(f, table, x->shape[0], T);
        out->y = rows ? dc_add(f->g, x, rows) : NULL;
    } else {
        if (p0 + T > table->shape[0])
            return dc_set_error(DC_ERR_INVALID, "positional_embedding: position %lld is past the %lld the model knows (its context)",
                                (long long)(p0 + T), (long long)table->shape[0]);
        dc_tensor *rows = dc_slice(f->g, table, 0, p0, p0 + T);
        out->y = rows ? dc_add(f->g, x, rows) : NULL;
    }
    out->mask = in[0].mask;
    return out->y ? DC_OK : DC_ERR_INVALID;
}

const dc_layer_type dc_layer_positional_embedding = {
    .keyword = "positional_embedding", .class_name = "PositionalEmbedding", .base_name = "positional_embedding",
    .cfg_size = sizeof(pos_cfg), .defaults = &defaults, .options = options,
    .min_inputs = 1, .max_inputs = 1,
    .setup = setup, .forward = forward,
    .stepwise = 1,
};
