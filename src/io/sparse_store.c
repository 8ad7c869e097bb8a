/* sparse_store.c — a pruned model's weight matrices stored sparse in its
 * safetensors file (model_file.c writes and reads through these): a bitmap
 * of the values that are not 0 and those values in order. A bitmap, not
 * CSR: at the sparsities pruning reaches (50-95%) a bit per value costs
 * less than an index per kept value (a 32-bit column index is 32 bits per
 * kept value: more than the bitmap's 1 bit per value below 97% sparsity),
 * and the file stays two plain 1-D tensors any reader can decode
 * (numpy.unpackbits(bitorder="little")). docs/FORMATS.md has the layout. */
#include "model_file.h"
#include <stdlib.h>
#include <string.h>

static int64_t nonzeros(const float *v, int64_t n) {
    int64_t z = 0;
    for (int64_t i = 0; i < n; i++) z += v[i] != 0.0f;
    return z;
}

int dc_sparse_worth(const dc_model *m, const dc_named_param *p) {
    if (!m->meta.pruning || !p->decl || !p->decl->matrix || p->t->dtype != DC_F32) return 0;
    const int64_t n = p->t->size, nz = nonzeros(p->t->data, n);
    return (n + 7) / 8 + 4 * nz < 4 * n;
}

dc_status dc_sparse_encode(const char *name, const dc_tensor *t, dc_sparse_entry *e) {
    memset(e, 0, sizeof *e);
    const int64_t n = t->size, nz = nonzeros(t->data, n);
    snprintf(e->bitmap_name, sizeof e->bitmap_name, "%s.sparse_bitmap", name);
    snprintf(e->values_name, sizeof e->values_name, "%s.sparse_values", name);
    e->nbits = n;
    e->nvalues = nz;
    e->bshape[0] = (n + 7) / 8;
    e->vshape[0] = nz;
    e->bitmap = calloc((size_t)e->bshape[0] + 1, 1);
    e->values = malloc(sizeof(float) * (size_t)(nz ? nz : 1));
    if (!e->bitmap || !e->values) {
        dc_sparse_free(e);
        return dc_set_error(DC_ERR_NOMEM, "save: out of memory for the sparse %s", name);
    }
    for (int64_t i = 0, k = 0; i < n; i++)
        if (t->data[i] != 0.0f) {
            e->bitmap[i >> 3] |= (uint8_t)(1u << (i & 7));
            e->values[k++] = t->data[i];
        }
    return DC_OK;
}

void dc_sparse_free(dc_sparse_entry *e) {
    free(e->bitmap);
    free(e->values);
    e->bitmap = NULL;
    e->values = NULL;
}

int dc_sparse_find(const dc_st_file *f, const char *name, int64_t n, const char *path) {
    char bn[192], vn[192];
    snprintf(bn, sizeof bn, "%s.sparse_bitmap", name);
    snprintf(vn, sizeof vn, "%s.sparse_values", name);
    const dc_st_tensor *b = dc_st_find(f, bn), *v = dc_st_find(f, vn);
    if (!b && !v) return 0;
    if (!b || !v) {
        dc_set_error(DC_ERR_FORMAT, "%s: tensor \"%s\" has %s but not %s", path, name, b ? bn : vn, b ? vn : bn);
        return -1;
    }
    if (strcmp(b->dtype, "U8") || b->ndim != 1 || b->shape[0] != (n + 7) / 8) {
        dc_set_error(DC_ERR_FORMAT, "%s: tensor \"%s\" must be %lld U8 bytes (a bit for each of %lld values)", path, bn,
                     (long long)((n + 7) / 8), (long long)n);
        return -1;
    }
    const uint8_t *bits = b->data;
    int64_t set = 0;
    for (int64_t i = 0; i < b->shape[0]; i++) set += __builtin_popcount(bits[i]);
    if (n % 8 && bits[b->shape[0] - 1] >> (n % 8)) {
        dc_set_error(DC_ERR_FORMAT, "%s: tensor \"%s\" sets bits past the %lld values", path, bn, (long long)n);
        return -1;
    }
    if (strcmp(v->dtype, "F32") || v->ndim != 1 || v->shape[0] != set) {
        dc_set_error(DC_ERR_FORMAT, "%s: tensor \"%s\" must be %lld F32 values (the bits %s sets), not %s with %lld", path, vn,
                     (long long)set, bn, v->dtype, (long long)(v->ndim == 1 ? v->shape[0] : -1));
        return -1;
    }
    return 1;
}

void dc_sparse_decode(const dc_st_file *f, const char *name, int64_t n, float *out) {
    char bn[192], vn[192];
    snprintf(bn, sizeof bn, "%s.sparse_bitmap", name);
    snprintf(vn, sizeof vn, "%s.sparse_values", name);
    const uint8_t *bits = dc_st_find(f, bn)->data;
    const char *vals = dc_st_find(f, vn)->data;
    for (int64_t i = 0, k = 0; i < n; i++) {
        if ((bits[i >> 3] >> (i & 7)) & 1) memcpy(&out[i], vals + 4 * k++, 4); /* the file's copy: aligned, but read bytewise */
        else out[i] = 0.0f;
    }
}
