/* strbuf.c — a growable string for writers of text formats (safetensors
 * headers, model metadata, the tabular pipeline). An allocation failure is
 * remembered (oom) and later appends do nothing, so callers check once. */
#include "internal.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void dc_sb_put(dc_strbuf *b, const char *s, size_t n) {
    if (b->oom) return;
    if (b->n + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 1024;
        while (cap < b->n + n + 1) cap *= 2;
        char *ns = realloc(b->s, cap);
        if (!ns) {
            b->oom = 1;
            return;
        }
        b->s = ns;
        b->cap = cap;
    }
    memcpy(b->s + b->n, s, n);
    b->n += n;
    b->s[b->n] = 0;
}

void dc_sb_puts(dc_strbuf *b, const char *s) { dc_sb_put(b, s, strlen(s)); }

void dc_sb_printf(dc_strbuf *b, const char *fmt, ...) {
    char small[256];
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (k < 0) return;
    if ((size_t)k < sizeof small) {
        dc_sb_put(b, small, (size_t)k);
        return;
    }
    char *big = malloc((size_t)k + 1);
    if (!big) {
        b->oom = 1;
        return;
    }
    va_start(ap, fmt);
    vsnprintf(big, (size_t)k + 1, fmt, ap);
    va_end(ap);
    dc_sb_put(b, big, (size_t)k);
    free(big);
}

void dc_float_str(char *buf, size_t n, float v) {
    for (int digits = 6; digits <= 9; digits++) { /* the shortest text that reads back as v */
        snprintf(buf, n, "%.*g", digits, (double)v);
        if (strtof(buf, NULL) == v) return;
    }
}

size_t dc_utf8_len(const char *p, size_t n) {
    const unsigned char *s = (const unsigned char *)p;
    if (n == 0) return 0;
    if (s[0] < 0x80) return 1;
    size_t len = s[0] >= 0xC2 && s[0] <= 0xDF ? 2 : s[0] >= 0xE0 && s[0] <= 0xEF ? 3 : s[0] >= 0xF0 && s[0] <= 0xF4 ? 4 : 0;
    if (!len || len > n) return 0;
    for (size_t i = 1; i < len; i++)
        if ((s[i] & 0xC0) != 0x80) return 0;
    /* no overlong forms, no surrogates, nothing past U+10FFFF */
    if ((s[0] == 0xE0 && s[1] < 0xA0) || (s[0] == 0xED && s[1] > 0x9F) || (s[0] == 0xF0 && s[1] < 0x90) || (s[0] == 0xF4 && s[1] > 0x8F))
        return 0;
    return len;
}

size_t dc_utf8_invalid_at(const char *s, size_t n) {
    for (size_t i = 0; i < n;) {
        size_t k = dc_utf8_len(s + i, n - i);
        if (!k) return i;
        i += k;
    }
    return n;
}

const char *dc_format_bytes(double bytes, char *buf, size_t n) {
    /* as Keras' summary and ls -h: KB up to a megabyte, then MB, GB, TB (1024s) */
    static const char *const units[] = {"bytes", "KB", "MB", "GB", "TB"};
    int u = 0;
    while (bytes >= 1024.0 && u < 4) bytes /= 1024.0, u++;
    if (u == 0) snprintf(buf, n, "%.0f bytes", bytes);
    else snprintf(buf, n, "%.2f %s", bytes, units[u]);
    return buf;
}
