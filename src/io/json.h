/* json.h — a small, strict JSON reader for file headers (safetensors).
 * Depth, size and number ranges are bounded; every error names the byte
 * offset. Not a general-purpose library: integers only, no floats. */
#ifndef DC_JSON_H
#define DC_JSON_H
#include <stddef.h>
#include <stdint.h>

typedef enum { J_NULL, J_BOOL, J_INT, J_STRING, J_ARRAY, J_OBJECT } dc_json_kind;

typedef struct dc_json dc_json;
struct dc_json {
    dc_json_kind kind;
    int64_t i;            /* J_INT value, J_BOOL 0/1                       */
    char *s;              /* J_STRING value, NUL-terminated (\u0000 is rejected) */
    char *key;            /* member name when inside an object             */
    dc_json *child;       /* first element / member                        */
    dc_json *next;        /* next sibling                                  */
    size_t n;             /* number of children                            */
};

/* Parse text[0..len). Returns the root or NULL with *err (static text) and
 * *err_off set. Free with dc_json_free. */
dc_json *dc_json_parse(const char *text, size_t len, const char **err, size_t *err_off);
void dc_json_free(dc_json *j);
/* Member of an object by name, or NULL. */
const dc_json *dc_json_get(const dc_json *obj, const char *key);
#endif
