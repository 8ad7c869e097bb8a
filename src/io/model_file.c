/* model_file.c — a model as one safetensors file. The weights are F32
 * tensors named "<layer>.weight" / "<layer>.bias" (weight (out, in) as
 * torch.nn.Linear); __metadata__ carries:
 *   format          "deepc"
 *   format_version  "1"
 *   deepc_version   library version that wrote it
 *   description     the model description text, which rebuilds the model
 * Loading parses the description, then copies every tensor into the flat
 * buffer after checking its name and shape. */
#include "../nn/model.h"
#include <stdlib.h>
#include <string.h>

#define FORMAT_VERSION "1"

dc_status dc_model_save(const dc_model *m, const char *path) {
    if (!m->built) return dc_set_error(DC_ERR_INVALID, "save: model is not built");
    if (!m->description)
        return dc_set_error(DC_ERR_INVALID, "save: model has no description text (build it with dc_model_parse to save it)");
    dc_st_entry *e = calloc((size_t)(m->nnamed ? m->nnamed : 1), sizeof *e);
    if (!e) return dc_set_error(DC_ERR_NOMEM, "save: out of memory");
    for (int i = 0; i < m->nnamed; i++) {
        e[i].name = m->named[i].name;
        e[i].ndim = m->named[i].t->ndim;
        e[i].shape = m->named[i].t->shape;
        e[i].data = m->named[i].t->data;
    }
    const char *keys[] = {"format", "format_version", "deepc_version", "description"};
    const char *vals[] = {"deepc", FORMAT_VERSION, DEEPC_VERSION, m->description};
    dc_status st = dc_st_write(path, e, m->nnamed, keys, vals, 4);
    free(e);
    return st;
}

dc_model *dc_model_load(const char *path) {
    dc_st_file *f = dc_st_open(path);
    if (!f) return NULL;
    dc_model *m = NULL;
    const char *fmt = dc_st_metadata(f, "format"), *ver = dc_st_metadata(f, "format_version");
    const char *desc = dc_st_metadata(f, "description");
    if (!fmt || strcmp(fmt, "deepc") || !desc) {
        dc_set_error(DC_ERR_FORMAT, "%s: a safetensors file, but not a deepc model (no \"format\": \"deepc\" and \"description\" in __metadata__)", path);
        goto fail;
    }
    if (!ver || strcmp(ver, FORMAT_VERSION)) {
        dc_set_error(DC_ERR_FORMAT, "%s: model format version \"%s\" is not supported (this deepc reads version %s)", path,
                     ver ? ver : "(missing)", FORMAT_VERSION);
        goto fail;
    }
    char where[1100];
    snprintf(where, sizeof where, "%s [embedded description]", path);
    if (!(m = dc_model_parse(desc, where))) goto fail;
    if (dc_st_count(f) != m->nnamed) {
        dc_set_error(DC_ERR_FORMAT, "%s: holds %d tensors, the description needs %d", path, dc_st_count(f), m->nnamed);
        goto fail;
    }
    for (int i = 0; i < m->nnamed; i++) {
        dc_tensor *t = m->named[i].t;
        const dc_st_tensor *s = dc_st_find(f, m->named[i].name);
        if (!s) {
            dc_set_error(DC_ERR_FORMAT, "%s: tensor \"%s\" is missing", path, m->named[i].name);
            goto fail;
        }
        int ok = !strcmp(s->dtype, "F32") && s->ndim == t->ndim;
        for (int d = 0; ok && d < t->ndim; d++) ok = s->shape[d] == t->shape[d];
        if (!ok) {
            char want[128];
            dc_shape_str(t, want, sizeof want);
            dc_set_error(DC_ERR_FORMAT, "%s: tensor \"%s\" is %s with %d dimensions; the description needs F32 %s", path,
                         s->name, s->dtype, s->ndim, want);
            goto fail;
        }
        memcpy(t->data, s->data, (size_t)s->nbytes);
    }
    dc_st_close(f);
    return m;
fail:
    dc_model_free(m);
    dc_st_close(f);
    return NULL;
}
