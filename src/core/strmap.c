/* strmap.c — a string -> index lookup over an array of keys the caller
 * owns (open addressing, FNV-1a): column names, class names. Building is
 * linear and finds the first duplicate on the way, so nothing that looks a
 * name up per row or per column is quadratic. */
#include "internal.h"
#include <stdlib.h>
#include <string.h>

uint32_t dc_str_hash(const char *s) {
    uint32_t h = 2166136261u; /* FNV-1a */
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

void dc_strmap_free(dc_strmap *m) {
    free(m->slots);
    memset(m, 0, sizeof *m);
}

int dc_strmap_find(const dc_strmap *m, const char *key) {
    if (!m->slots) return -1;
    for (uint32_t i = dc_str_hash(key) & m->mask;; i = (i + 1) & m->mask) {
        int k = m->slots[i];
        if (!k) return -1;
        if (!strcmp(m->keys[k - 1], key)) return k - 1;
    }
}

dc_status dc_strmap_build(dc_strmap *m, char *const *keys, int n, int *dup) {
    memset(m, 0, sizeof *m);
    uint32_t cap = 16;
    while (cap < 2u * (uint32_t)n) cap *= 2;
    if (!(m->slots = calloc(cap, sizeof *m->slots))) return dc_set_error(DC_ERR_NOMEM, "out of memory");
    m->mask = cap - 1;
    m->keys = keys;
    for (int k = 0; k < n; k++) {
        uint32_t i = dc_str_hash(keys[k]) & m->mask;
        for (; m->slots[i]; i = (i + 1) & m->mask)
            if (!strcmp(keys[m->slots[i] - 1], keys[k])) {
                if (dup) dup[0] = m->slots[i] - 1, dup[1] = k;
                dc_strmap_free(m);
                return DC_ERR_INVALID; /* the caller words the message */
            }
        m->slots[i] = k + 1;
    }
    return DC_OK;
}
