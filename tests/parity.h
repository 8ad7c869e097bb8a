/* parity.h — what the PyTorch parity tests share: named float tensors
 * collected in memory and written to one safetensors file, which the
 * test's Python script (tests/parity.py, graph_parity.py, ...) reads and compares with its own
 * computation (tests/parity_check.py). */
#ifndef DC_PARITY_H
#define DC_PARITY_H
#include <deepc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PARITY_MAX 512
static dc_st_entry parity_ent[PARITY_MAX];
static int parity_n;

/* Record a copy of data (shape nd x shape) as "prefix.what" (just "what"
 * without a prefix). */
static inline void parity_put(const char *prefix, const char *what, int nd, const int64_t *shape, const float *data) {
    if (parity_n == PARITY_MAX) {
        fprintf(stderr, "parity: more than %d tensors (raise PARITY_MAX)\n", PARITY_MAX);
        exit(2);
    }
    char name[256];
    if (prefix && *prefix) snprintf(name, sizeof name, "%s.%s", prefix, what);
    else snprintf(name, sizeof name, "%s", what);
    if (nd < 0 || nd > DC_MAX_DIMS) {
        fprintf(stderr, "parity: %s has %d dimensions\n", what, nd);
        exit(2);
    }
    int64_t n = 1;
    for (int i = 0; i < nd; i++) n *= shape[i];
    int64_t *s = malloc(sizeof(int64_t) * (size_t)(nd ? nd : 1));
    if (nd) memcpy(s, shape, sizeof(int64_t) * (size_t)nd);
    float *copy = malloc(sizeof(float) * (size_t)(n ? n : 1));
    memcpy(copy, data, sizeof(float) * (size_t)n);
    dc_st_entry *e = &parity_ent[parity_n++];
    e->name = strdup(name);
    e->shape = s;
    e->ndim = nd;
    e->data = copy;
}

/* The same with t's shape. */
static inline void parity_put_t(const char *prefix, const char *what, const dc_tensor *t, const float *data) {
    parity_put(prefix, what, t->ndim, t->shape, data);
}

/* Write every recorded tensor to path, then forget them. */
static inline dc_status parity_write(const char *path) {
    dc_status st = dc_st_write(path, parity_ent, parity_n, NULL, NULL, 0);
    for (int i = 0; i < parity_n; i++) {
        free((void *)parity_ent[i].name);
        free((void *)parity_ent[i].shape);
        free((void *)parity_ent[i].data);
    }
    parity_n = 0;
    return st;
}
#endif
