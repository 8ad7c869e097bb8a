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
 *   - Threads. A function that takes a `const` object only reads it, so
 *     any number of threads may call such functions on one object at once:
 *     on one loaded dc_model, sessions and generators (one per thread,
 *     each its own; deepc/model.h), dc_model_forward on graphs of their
 *     own, dc_predict, dc_evaluate, dc_text_codec_encode/decode, and the
 *     readers of a model's tokenizer and table pipeline (dc_tokenizer_encode,
 *     dc_tabular_row). A graph, a session, a generator, an rng or a dataset
 *     belongs to one thread at a time. Whatever takes a non-const object
 *     (dc_fit, dc_model_set_*, *_free) needs it to itself: no reader may
 *     run meanwhile. `deepc serve` is built this way (docs/ARCHITECTURE.md,
 *     "Serving"); tests/test_session.c and tests/serve.sh run it under
 *     ThreadSanitizer.
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
