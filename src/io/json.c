/* json.c — strict recursive-descent JSON parser for headers we do not
 * trust: depth limited, integers range-checked, strings validated as
 * UTF-8, duplicate keys rejected. */
#include "json.h"
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 64

typedef struct {
    const char *p, *end, *start;
    const char *err;
    size_t err_off;
} parser;

static void *fail(parser *ps, const char *msg) {
    if (!ps->err) {
        ps->err = msg;
        ps->err_off = (size_t)(ps->p - ps->start);
    }
    return NULL;
}

static void skip_ws(parser *ps) {
    while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r')) ps->p++;
}

void dc_json_free(dc_json *j) {
    while (j) {
        dc_json *n = j->next;
        dc_json_free(j->child);
        free(j->s);
        free(j->key);
        free(j);
        j = n;
    }
}

static int hexval(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static size_t put_utf8(char *o, uint32_t cp) {
    if (cp < 0x80) { o[0] = (char)cp; return 1; }
    if (cp < 0x800) { o[0] = (char)(0xC0 | (cp >> 6)); o[1] = (char)(0x80 | (cp & 0x3F)); return 2; }
    if (cp < 0x10000) {
        o[0] = (char)(0xE0 | (cp >> 12)); o[1] = (char)(0x80 | ((cp >> 6) & 0x3F)); o[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (char)(0xF0 | (cp >> 18)); o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (char)(0x80 | ((cp >> 6) & 0x3F)); o[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* Length of a valid UTF-8 sequence at p (0 if invalid). */
static size_t utf8_len(const unsigned char *p, const unsigned char *end) {
    unsigned c = p[0];
    size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (n == 0 || (size_t)(end - p) < n) return 0;
    for (size_t i = 1; i < n; i++)
        if ((p[i] & 0xC0) != 0x80) return 0;
    if (n == 2 && c < 0xC2) return 0; /* overlong */
    return n;
}

static char *parse_string(parser *ps) {
    if (ps->p >= ps->end || *ps->p != '"') return fail(ps, "expected a string");
    ps->p++;
    /* the decoded string is never longer than its source */
    const char *q = ps->p;
    while (q < ps->end && *q != '"') q += (*q == '\\' && q + 1 < ps->end) ? 2 : 1;
    if (q >= ps->end) return fail(ps, "unterminated string");
    char *out = malloc((size_t)(q - ps->p) + 1), *o = out;
    if (!out) return fail(ps, "out of memory");
    while (*ps->p != '"') {
        unsigned char c = (unsigned char)*ps->p;
        if (c < 0x20) { free(out); return fail(ps, "control character in string"); }
        if (c == '\\') {
            ps->p++;
            char e = *ps->p++;
            switch (e) {
            case '"': *o++ = '"'; break;
            case '\\': *o++ = '\\'; break;
            case '/': *o++ = '/'; break;
            case 'b': *o++ = '\b'; break;
            case 'f': *o++ = '\f'; break;
            case 'n': *o++ = '\n'; break;
            case 'r': *o++ = '\r'; break;
            case 't': *o++ = '\t'; break;
            case 'u': {
                if (ps->end - ps->p < 4) { free(out); return fail(ps, "short \\u escape"); }
                uint32_t cp = 0;
                for (int i = 0; i < 4; i++) {
                    int h = hexval(ps->p[i]);
                    if (h < 0) { free(out); return fail(ps, "bad \\u escape"); }
                    cp = cp * 16 + (uint32_t)h;
                }
                ps->p += 4;
                if (cp >= 0xD800 && cp < 0xDC00) { /* surrogate pair */
                    uint32_t lo = 0;
                    if (ps->end - ps->p < 6 || ps->p[0] != '\\' || ps->p[1] != 'u') { free(out); return fail(ps, "lone surrogate"); }
                    for (int i = 0; i < 4; i++) {
                        int h = hexval(ps->p[2 + i]);
                        if (h < 0) { free(out); return fail(ps, "bad \\u escape"); }
                        lo = lo * 16 + (uint32_t)h;
                    }
                    if (lo < 0xDC00 || lo > 0xDFFF) { free(out); return fail(ps, "bad surrogate pair"); }
                    ps->p += 6;
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                } else if (cp >= 0xDC00 && cp < 0xE000) { free(out); return fail(ps, "lone surrogate"); }
                if (cp == 0) { free(out); return fail(ps, "\\u0000 in string"); }
                o += put_utf8(o, cp); /* \uXXXX (6 bytes) never decodes to more than 4 */
                break;
            }
            default: free(out); return fail(ps, "bad escape in string");
            }
        } else {
            size_t n = utf8_len((const unsigned char *)ps->p, (const unsigned char *)ps->end);
            if (!n) { free(out); return fail(ps, "invalid UTF-8 in string"); }
            memcpy(o, ps->p, n);
            o += n;
            ps->p += n;
        }
    }
    ps->p++;
    *o = 0;
    return out;
}

static dc_json *parse_value(parser *ps, int depth);

static dc_json *new_node(parser *ps, dc_json_kind k) {
    dc_json *j = calloc(1, sizeof *j);
    if (!j) return fail(ps, "out of memory");
    j->kind = k;
    return j;
}

static dc_json *parse_container(parser *ps, int depth, int is_obj) {
    dc_json *j = new_node(ps, is_obj ? J_OBJECT : J_ARRAY);
    if (!j) return NULL;
    ps->p++;
    skip_ws(ps);
    dc_json **tail = &j->child;
    char close = is_obj ? '}' : ']';
    if (ps->p < ps->end && *ps->p == close) {
        ps->p++;
        return j;
    }
    for (;;) {
        char *key = NULL;
        skip_ws(ps);
        if (is_obj) {
            if (!(key = parse_string(ps))) goto bad;
            for (dc_json *c = j->child; c; c = c->next)
                if (!strcmp(c->key, key)) { free(key); fail(ps, "duplicate key"); goto bad; }
            skip_ws(ps);
            if (ps->p >= ps->end || *ps->p != ':') { free(key); fail(ps, "expected ':'"); goto bad; }
            ps->p++;
        }
        dc_json *v = parse_value(ps, depth + 1);
        if (!v) { free(key); goto bad; }
        v->key = key;
        *tail = v;
        tail = &v->next;
        j->n++;
        skip_ws(ps);
        if (ps->p < ps->end && *ps->p == ',') { ps->p++; continue; }
        if (ps->p < ps->end && *ps->p == close) { ps->p++; return j; }
        fail(ps, is_obj ? "expected ',' or '}'" : "expected ',' or ']'");
        goto bad;
    }
bad:
    dc_json_free(j);
    return NULL;
}

static dc_json *parse_value(parser *ps, int depth) {
    if (depth > MAX_DEPTH) return fail(ps, "nested too deeply");
    skip_ws(ps);
    if (ps->p >= ps->end) return fail(ps, "unexpected end of input");
    char c = *ps->p;
    if (c == '{' || c == '[') return parse_container(ps, depth, c == '{');
    if (c == '"') {
        dc_json *j = new_node(ps, J_STRING);
        if (j && !(j->s = parse_string(ps))) { free(j); return NULL; }
        return j;
    }
    if (c == '-' || (c >= '0' && c <= '9')) {
        int neg = c == '-';
        if (neg) ps->p++;
        if (ps->p >= ps->end || *ps->p < '0' || *ps->p > '9') return fail(ps, "bad number");
        if (*ps->p == '0' && ps->p + 1 < ps->end && ps->p[1] >= '0' && ps->p[1] <= '9') return fail(ps, "leading zero in number");
        int64_t v = 0;
        while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9') {
            int d = *ps->p - '0';
            if (v > (INT64_MAX - d) / 10) return fail(ps, "integer out of range");
            v = v * 10 + d;
            ps->p++;
        }
        if (ps->p < ps->end && (*ps->p == '.' || *ps->p == 'e' || *ps->p == 'E')) return fail(ps, "only integers are accepted here");
        dc_json *j = new_node(ps, J_INT);
        if (j) j->i = neg ? -v : v;
        return j;
    }
    static const struct { const char *w; dc_json_kind k; int v; } words[] = {
        {"true", J_BOOL, 1}, {"false", J_BOOL, 0}, {"null", J_NULL, 0}};
    for (int i = 0; i < 3; i++) {
        size_t n = strlen(words[i].w);
        if ((size_t)(ps->end - ps->p) >= n && !memcmp(ps->p, words[i].w, n)) {
            ps->p += n;
            dc_json *j = new_node(ps, words[i].k);
            if (j) j->i = words[i].v;
            return j;
        }
    }
    return fail(ps, "unexpected character");
}

dc_json *dc_json_parse(const char *text, size_t len, const char **err, size_t *err_off) {
    parser ps = {text, text + len, text, NULL, 0};
    dc_json *j = parse_value(&ps, 0);
    if (j) {
        skip_ws(&ps);
        if (ps.p != ps.end) {
            fail(&ps, "trailing characters after the JSON value");
            dc_json_free(j);
            j = NULL;
        }
    }
    if (!j) {
        *err = ps.err ? ps.err : "parse error";
        *err_off = ps.err_off;
    }
    return j;
}

const dc_json *dc_json_get(const dc_json *obj, const char *key) {
    if (!obj || obj->kind != J_OBJECT) return NULL;
    for (const dc_json *c = obj->child; c; c = c->next)
        if (!strcmp(c->key, key)) return c;
    return NULL;
}
