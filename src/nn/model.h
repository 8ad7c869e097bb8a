/* model.h — the dc_model struct, shared by nn (layers), io (files) and
 * train (fit). Users see it only through the functions in deepc.h. */
#ifndef DC_MODEL_H
#define DC_MODEL_H
#include "../core/internal.h"

typedef struct {
    char name[64];        /* "dense_1.weight"                         */
    dc_tensor *t;         /* view into the flat buffers               */
    int buffer;           /* 1: non-trainable (in m->buffers)         */
} dc_named_param;

struct dc_model {
    int in_ndim;                       /* per-sample input shape           */
    int64_t in_shape[DC_MAX_DIMS];
    dc_layer *layers;                  /* nlayers of them, in order        */
    int nlayers, cap_layers;
    int built;                         /* parameters allocated?            */
    float *params, *grads;             /* the flat buffers                 */
    int64_t nparams;
    float *buffers;                    /* non-trainable state (BN stats)   */
    int64_t nbuffers;
    dc_named_param *named;             /* one per parameter tensor         */
    int nnamed;
    dc_loss_kind loss;                 /* set by compile or description    */
    dc_opt_config opt;
    int compiled;
    dc_fit_config fit;                 /* recipe defaults                  */
    char *description;                 /* text it was parsed from, or NULL */
    char *preprocess;                  /* tabular pipeline text, or NULL   */
    int auto_input;                    /* description says `input auto`    */
    char *class_names;                 /* "a,b,..." (%-escaped), or NULL   */
};

/* Name for a loss / optimizer / activation, and back (-1 if unknown). */
const char *dc_loss_name(dc_loss_kind k);
const char *dc_activation_name(dc_activation a);
int dc_activation_from_name(const char *s);
/* The activation applied last (what a fused loss must undo). */
dc_activation dc_model_final_activation(const dc_model *m);
#endif
