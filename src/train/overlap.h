/* overlap.h — the gradients that are complete while the backward pass
 * still runs, for a data-parallel run to start reducing them then
 * (dc_callbacks.grads_ready; PyTorch DDP's buckets). */
#ifndef DC_OVERLAP_H
#define DC_OVERLAP_H
#include "../core/internal.h"

typedef struct dc_overlap dc_overlap;
/* For m's trainable parameters and cb->grads_ready (NULL, error set, without memory). */
dc_overlap *dc_overlap_new(dc_model *m, const dc_callbacks *cb);
void dc_overlap_free(dc_overlap *o);
/* Before the backward of a step's last micro-batch: watch g's backward. */
void dc_overlap_arm(dc_overlap *o, dc_graph *g);
/* After it: stop watching; non-zero when grads_ready asked to stop. */
dc_status dc_overlap_disarm(dc_overlap *o, dc_graph *g);
#endif
