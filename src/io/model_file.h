/* model_file.h — model files with extra tensors and metadata, for the
 * training state (src/train/state.c), which io does not know. */
#ifndef DC_MODEL_FILE_H
#define DC_MODEL_FILE_H
#include "../nn/model.h"

/* Write m (weights, description, its metadata) plus extra tensors and up to
 * 4 extra metadata entries, atomically. */
dc_status dc_model_file_write(const dc_model *m, const dc_st_entry *extra, int nextra, const char *const *xkeys,
                              const char *const *xvals, int nx, const char *path);
/* Read a model; with file != NULL the safetensors file stays open for the
 * caller to read more from (close it with dc_st_close). */
dc_model *dc_model_file_read(const char *path, dc_st_file **file);
/* The same, tensors named with the prefix `unread` left on disk
 * (dc_st_open_unread). */
dc_model *dc_model_file_read_unread(const char *path, dc_st_file **file, const char *unread);

/* Sparse storage (src/io/sparse_store.c): a pruned model's F32 weight
 * matrices as "<name>.sparse_bitmap" (U8, a bit per value, bit i & 7 of
 * byte i / 8 set where value i is not 0) and "<name>.sparse_values" (F32,
 * the values not 0, in order), when that is smaller than the dense tensor. */
typedef struct {
    char bitmap_name[128], values_name[128];
    uint8_t *bitmap;
    float *values;
    int64_t nbits, nvalues, bshape[1], vshape[1];
} dc_sparse_entry;
/* Should t be stored sparse (a pruned model's F32 matrix, smaller so)? */
int dc_sparse_worth(const dc_model *m, const dc_named_param *p);
/* e from tensor name's values (the buffers malloc'ed; free with dc_sparse_free). */
dc_status dc_sparse_encode(const char *name, const dc_tensor *t, dc_sparse_entry *e);
void dc_sparse_free(dc_sparse_entry *e);
/* Is tensor name stored sparse in f? 1 yes, 0 no, -1 (error set) damaged:
 * the pair's types, sizes and bit count checked against n values. */
int dc_sparse_find(const dc_st_file *f, const char *name, int64_t n, const char *path);
/* Its n values into out (after dc_sparse_find said 1). */
void dc_sparse_decode(const dc_st_file *f, const char *name, int64_t n, float *out);
#endif
