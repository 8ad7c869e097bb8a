/* model_lookup.c — finding a node of a model: by name (an open-addressing
 * hash table, so a model of many layers builds in linear time) and by
 * layer. Apart from model.c so that layer kinds can look up other nodes
 * (a dense layer's tie=, attention's cache) without a call cycle through the
 * model code that builds them. */
#include "model.h"
#include <string.h>

int dc_model_find_node(const dc_model *m, const char *name) {
    if (!m->cap_slots) return -1;
    for (uint32_t i = dc_str_hash(name) & (uint32_t)(m->cap_slots - 1);; i = (i + 1) & (uint32_t)(m->cap_slots - 1)) {
        int k = m->name_slots[i];
        if (!k) return -1;
        if (!strcmp(m->nodes[k - 1]->name, name)) return k - 1;
    }
}


int dc_layer_index(const dc_model *m, const dc_layer *l) {
    for (int i = 0; i < m->nnodes; i++)
        if (m->nodes[i] == l) return i;
    return -1;
}
