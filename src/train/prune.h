/* prune.h — magnitude pruning inside a training run (prune.c), for fit.c,
 * state.c and the structured shrink (prune_shrink.c). */
#ifndef DC_PRUNE_H
#define DC_PRUNE_H
#include "state.h"

/* The settings with every automatic value resolved for a run of
 * total_steps optimizer steps, steps_per_epoch of them an epoch; an error
 * for values out of range. */
dc_status dc_prune_resolve(dc_prune_config *c, int64_t total_steps, int64_t steps_per_epoch);
/* Start pruning s's run of m: settings (resolved), a mask keeping every
 * parameter, the model's "pruning" metadata (its files are then stored
 * sparse), and the schedule's first update when it starts at step 0. */
dc_status dc_prune_begin(dc_train_state *s, dc_model *m, const dc_prune_config *c);
/* After an optimizer step (the optimizer's count is the schedule's step):
 * the masks updated when the schedule says so, then applied. */
dc_status dc_prune_after_step(dc_train_state *s, dc_model *m);
/* The state's masks against m's weights (a loaded checkpoint): pruned
 * entries only where pruning may prune, and every one of them zero; an
 * error naming path, the tensor and the place otherwise. */
dc_status dc_prune_check(const dc_train_state *s, const dc_model *m, const char *path);
/* The settings as one line of text, and back (-1: not such a line). */
void dc_prune_format(const dc_prune_config *c, char *buf, size_t n);
int dc_prune_parse(const char *txt, dc_prune_config *c);

/* Structured pruning removes the units of a layer (dense) or its filters
 * (conv1d, conv2d) when what reads them passes zeros through unchanged up
 * to the one layer that reads them as inputs. The way from layer node to
 * that consumer: */
typedef struct {
    int bn;           /* a batchnorm on the way (its channels go too), or -1 */
    int consumer;     /* the dense or conv layer that reads the units      */
    int flat_ndim;    /* > 0: flattened on the way, from this shape...      */
    int64_t flat_shape[DC_MAX_DIMS];
    int axis;         /* ... whose axis holds the units                    */
} dc_prune_path;
/* 1 and *p filled when node's units can be removed; 0 (why says why) when
 * not: an output, read by several layers, an activation that is not 0 at
 * 0, a layer between that mixes units, a shared line, ... */
int dc_prune_structured_path(const dc_model *m, int node, dc_prune_path *p, char *why, size_t n);
#endif
