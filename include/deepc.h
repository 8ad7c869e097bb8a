/*
 * deepc.h — the one public header of deepc, a deep-learning framework in C.
 *
 * Read its six parts top to bottom once and you know the whole API. They
 * follow the floors of the library (docs/ARCHITECTURE.md), one header each
 * under include/deepc/, included here in order:
 *
 *   1. Errors, threads, random numbers
 *   2. Tensors (F32, I32, U8, I8, F16, BF16)
 *   3. Graphs and autograd: ops with forward and backward
 *   4. Models: graphs of named layers (every kind is configured by the
 *      same words as a description line), losses built in the graph,
 *      initializers, optimizers, clipping, schedules
 *   5. Data: datasets of any shape and type, IDX files, images and
 *      augmentation, CSV tables
 *   6. Training (the step, hooks, the loop, resume), evaluation, metrics,
 *      prediction; model files and descriptions
 *
 * Conventions
 *   - Every function that can fail on bad input returns NULL or a negative
 *     dc_status and leaves a message in dc_last_error(). Nothing in the
 *     library calls exit() or abort().
 *   - Every *_new / *_load has exactly one *_free; *_free(NULL) is a no-op.
 *   - Shapes are batch first: (N, features) for dense data, (N, C, H, W) for
 *     images. Up to DC_MAX_DIMS dimensions.
 *   - Randomness only comes from an explicit dc_rng: same seed, same thread
 *     count, bit-identical results.
 */
#ifndef DEEPC_H
#define DEEPC_H

#include "deepc/base.h"   /* 1. errors, threads, random numbers        */
#include "deepc/tensor.h" /* 2. tensors                                */
#include "deepc/graph.h"  /* 3. graphs, autograd, ops, traces          */
#include "deepc/model.h"  /* 4. models, layers, losses, optimizers     */
#include "deepc/data.h"   /* 5. datasets, files, tokenizers            */
#include "deepc/train.h"  /* 6. training, evaluation, model files      */

#endif /* DEEPC_H */
