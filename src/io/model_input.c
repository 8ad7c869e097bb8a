/* model_input.c — one sample of a model's input from data in memory, through
 * what the model file keeps: a table row of named cells through the fitted
 * tabular pipeline, encoded PNG/JPEG bytes through the image decoder, a
 * text through the stored tokenizer. The same code the file paths use
 * (dc_tabular_transform, the image folder loader, the text CSV loader), so
 * a server's request gives what `deepc predict` on a file gives. */
#include "../nn/model.h"
#include <stdlib.h>
#include <string.h>

dc_status dc_model_row_input(const dc_model *m, const char *const *names, const char *const *cells, int n, float *x, int *unknown) {
    dc_tabular *p = dc_model_tabular(m);
    if (!p) return dc_set_error(DC_ERR_INVALID, "row input: the model keeps no table pipeline (it was not trained on a CSV)");
    dc_status st = dc_tabular_num_features(p) == dc_shape_size(m->in_ndim, m->in_shape)
                       ? dc_tabular_row(p, names, cells, n, x, unknown)
                       : dc_set_error(DC_ERR_FORMAT, "row input: the pipeline gives %d features, the model takes %lld",
                                      dc_tabular_num_features(p), (long long)dc_shape_size(m->in_ndim, m->in_shape));
    dc_tabular_free(p);
    return st;
}

dc_status dc_model_image_input(const dc_model *m, const void *bytes, size_t n, float *x) {
    if (m->in_ndim != 3 || (m->in_shape[0] != 1 && m->in_shape[0] != 3) || m->in_shape[1] > 4096 || m->in_shape[2] > 4096)
        return dc_set_error(DC_ERR_INVALID, "image input: the model does not take images (its input is not CHANNELSxHEIGHTxWIDTH)");
    const int C = (int)m->in_shape[0], H = (int)m->in_shape[1], W = (int)m->in_shape[2];
    int w, h;
    uint8_t *px, *planar = malloc((size_t)C * (size_t)H * (size_t)W);
    if (!planar) return dc_set_error(DC_ERR_NOMEM, "image input: out of memory");
    dc_status st = dc_image_decode(bytes, n, "image", C, &w, &h, &px);
    if (!st) {
        dc_image_resize(px, w, h, C, planar, W, H); /* as the image loaders: bilinear to the model's size, planar */
        for (int64_t i = 0; i < (int64_t)C * H * W; i++) x[i] = (float)planar[i] * (1.0f / 255.0f);
        free(px);
    }
    free(planar);
    return st;
}

int64_t dc_model_text_input(const dc_model *m, const char *text, int32_t *ids) {
    const dc_text_spec *sp = dc_model_text(m);
    if (!sp || sp->bpe || sp->stream) {
        dc_set_error(DC_ERR_INVALID, "text input: %s", !sp ? "the model has no text line" : "a language model: use dc_text_codec");
        return -1;
    }
    dc_tokenizer *t = dc_model_tokenizer(m);
    if (!t) return -1;
    int64_t k = dc_tokenizer_encode(t, text, ids, sp->maxlen, sp->pad_post, sp->truncate_post); /* as the text CSV loader pads */
    dc_tokenizer_free(t);
    return k;
}
