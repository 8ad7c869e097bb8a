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
#endif
