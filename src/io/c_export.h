/* c_export.h — what c_export.c (a model as one C99 file) and c_kernels.c
 * (the kernels' source it writes) share (floor 4, private to src/io/). */
#ifndef DC_C_EXPORT_H
#define DC_C_EXPORT_H
#include <string.h>

/* One kernel of an exported model: its function name and C99 source. */
typedef struct {
    const char *name;
    const char *source;
} dc_c_kernel;

/* The kernel named name (k_linear, k_map, ...), or NULL. */
const dc_c_kernel *dc_c_kernel_find(const char *name);
#endif
