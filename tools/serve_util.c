/* serve_util.c — the server's small parts: growable text, JSON strings and
 * numbers, base64, error replies, and the metrics /metrics prints in
 * Prometheus' text format. */
#include "serve.h"
#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

double srv_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* ---- growable text ---- */

static int sb_room(sbuf *b, size_t n) {
    if (b->oom) return 0;
    if (b->n + n + 1 <= b->cap) return 1;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->n + n + 1) cap *= 2;
    char *s = realloc(b->s, cap);
    if (!s) {
        b->oom = 1;
        return 0;
    }
    b->s = s, b->cap = cap;
    return 1;
}

void sb_put(sbuf *b, const char *p, size_t n) {
    if (!sb_room(b, n)) return;
    memcpy(b->s + b->n, p, n);
    b->n += n;
    b->s[b->n] = 0;
}

void sb_str(sbuf *b, const char *s) { sb_put(b, s, strlen(s)); }

void sb_printf(sbuf *b, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    char tmp[256];
    int k = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (k < 0) return;
    if ((size_t)k < sizeof tmp) {
        sb_put(b, tmp, (size_t)k);
        return;
    }
    if (!sb_room(b, (size_t)k)) return;
    va_start(ap, fmt);
    vsnprintf(b->s + b->n, (size_t)k + 1, fmt, ap);
    va_end(ap);
    b->n += (size_t)k;
}

/* The length of the UTF-8 character at s (n bytes left), or 0 when it is
 * not one (a stray or overlong byte, a surrogate, a cut-off sequence). */
static size_t utf8_char(const unsigned char *s, size_t n) {
    size_t k = s[0] < 0x80 ? 1 : (s[0] & 0xE0) == 0xC0 ? 2 : (s[0] & 0xF0) == 0xE0 ? 3 : (s[0] & 0xF8) == 0xF0 ? 4 : 0;
    if (!k || k > n || (k == 2 && s[0] < 0xC2) || (k == 4 && s[0] > 0xF4)) return 0;
    for (size_t i = 1; i < k; i++)
        if ((s[i] & 0xC0) != 0x80) return 0;
    if (k == 3 && ((s[0] == 0xE0 && s[1] < 0xA0) || (s[0] == 0xED && s[1] >= 0xA0))) return 0;
    if (k == 4 && ((s[0] == 0xF0 && s[1] < 0x90) || (s[0] == 0xF4 && s[1] >= 0x90))) return 0;
    return k;
}

void sb_json(sbuf *b, const char *s, size_t n) {
    const unsigned char *u = (const unsigned char *)s;
    sb_put(b, "\"", 1);
    for (size_t i = 0; i < n;) {
        const unsigned char c = u[i];
        if (c == '"' || c == '\\') {
            char e[2] = {'\\', (char)c};
            sb_put(b, e, 2);
            i++;
        } else if (c < 0x20) {
            sb_printf(b, c == '\n' ? "\\n" : c == '\t' ? "\\t" : c == '\r' ? "\\r" : "\\u%04x", c);
            i++;
        } else {
            size_t k = utf8_char(u + i, n - i);
            if (k) sb_put(b, s + i, k);
            else sb_str(b, "\xEF\xBF\xBD"); /* U+FFFD for a byte that is not text */
            i += k ? k : 1;
        }
    }
    sb_put(b, "\"", 1);
}

void sb_num(sbuf *b, double v) {
    if (!isfinite(v)) sb_str(b, "null");
    else sb_printf(b, "%.9g", v);
}

size_t utf8_whole(const char *s, size_t n) {
    /* step back over at most 3 continuation bytes to a lead byte whose
     * character would run past the end */
    for (size_t back = 1; back <= 4 && back <= n; back++) {
        const unsigned char c = (unsigned char)s[n - back];
        if ((c & 0xC0) == 0x80) continue; /* a continuation byte */
        size_t k = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 1;
        return k > back ? n - back : n;
    }
    return n;
}

/* ---- JSON numbers ---- */

/* m x 10^e10 rounded to double as strtod rounds it, for mantissas of up to
 * 19 digits (what printing a float as a double gives: 0.00392156862745098):
 * computed in x87's 64-bit mantissa, one rounding off the exact value (m
 * and 10^|e10| <= 10^22 are exact there), then rounded to double; 0 (use
 * strtod) when that second rounding could go either way (the 64-bit result
 * lies within its error of a halfway point between doubles) or the result
 * is not a normal double. */
static int long_double(uint64_t m, int e10, double *v) {
#if LDBL_MANT_DIG == 64 && defined(__x86_64__)
    static const long double pow10l[] = {1e0L,  1e1L,  1e2L,  1e3L,  1e4L,  1e5L,  1e6L,  1e7L,  1e8L,  1e9L,  1e10L, 1e11L,
                                         1e12L, 1e13L, 1e14L, 1e15L, 1e16L, 1e17L, 1e18L, 1e19L, 1e20L, 1e21L, 1e22L};
    long double x = (long double)m;
    x = e10 < 0 ? x / pow10l[-e10] : x * pow10l[e10];
    /* x87's format keeps the 64-bit mantissa explicitly in its first 8 bytes
     * (little-endian), then the sign and a 15-bit exponent biased by 16383 */
    uint64_t mant;
    uint16_t se;
    memcpy(&mant, &x, sizeof mant);
    memcpy(&se, (const char *)&x + 8, sizeof se);
    const int ex = (int)(se & 0x7FFF) - 16383;
    const uint64_t low = mant & 0x7FF; /* the 11 bits a double drops */
    if (low >= 0x3FF && low <= 0x401) return 0;
    if (ex < -1020 || ex > 1020) return 0;
    *v = (double)x;
    return 1;
#else
    (void)m, (void)e10, (void)v;
    return 0;
#endif
}

int srv_number(const char **at, const char *end, double *v) {
    static const double pow10[] = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
                                   1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
    const char *p = *at, *start = p;
    int neg = p < end && *p == '-', digits = 0;
    p += neg;
    uint64_t m = 0;
    int e10 = 0;
    if (p < end && *p == '0') p++, digits = 1;
    else
        for (; p < end && *p >= '0' && *p <= '9'; p++, digits++) m = m * 10 + (uint64_t)(*p - '0');
    if (!digits) return 0;
    if (p < end && *p == '.') {
        const char *f = ++p;
        for (; p < end && *p >= '0' && *p <= '9'; p++, digits++) m = m * 10 + (uint64_t)(*p - '0'), e10--;
        if (p == f) return 0;
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        p++;
        int eneg = p < end && *p == '-', x = 0;
        if (p < end && (*p == '-' || *p == '+')) p++;
        const char *f = p;
        for (; p < end && *p >= '0' && *p <= '9'; p++) x = x < 100000 ? x * 10 + (*p - '0') : x;
        if (p == f) return 0;
        e10 += eneg ? -x : x;
    }
    int how = 1;
    if (digits <= 19 && m <= (1ULL << 53) && e10 >= -22 && e10 <= 22) {
        double d = (double)m;
        d = e10 < 0 ? d / pow10[-e10] : d * pow10[e10];
        *v = neg ? -d : d;
        how = 2;
    } else if (digits <= 19 && e10 >= -22 && e10 <= 22 && m && long_double(m, e10, v)) {
        *v = neg ? -*v : *v;
        how = 3;
    } else { /* long mantissas, far exponents: the library's (the body ends in a NUL) */
        char *q;
        *v = strtod(start, &q);
        if (q != p || !isfinite(*v)) return 0;
    }
    *at = p;
    return how;
}

/* ---- base64 ---- */

static int b64_value(unsigned char c) {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+' || c == '-') return 62; /* standard and URL-safe alphabets */
    if (c == '/' || c == '_') return 63;
    return -1;
}

int b64_decode(const char *s, size_t n, uint8_t **out, size_t *len) {
    while (n && s[n - 1] == '=') n--;
    if (n % 4 == 1) return -1;
    uint8_t *o = malloc(n / 4 * 3 + 3);
    if (!o) return -1;
    size_t k = 0;
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < n; i++) {
        int v = b64_value((unsigned char)s[i]);
        if (v < 0) {
            free(o);
            return -1;
        }
        acc = acc << 6 | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            o[k++] = (uint8_t)(acc >> bits);
        }
    }
    *out = o;
    *len = k;
    return 0;
}

/* ---- replies ---- */

srv_reply srv_ok(sbuf *b) {
    if (b->oom) {
        free(b->s);
        return srv_error(500, "out of memory");
    }
    return (srv_reply){200, b->s, b->n};
}

srv_reply srv_error(int status, const char *fmt, ...) {
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    sbuf b = {0};
    sb_str(&b, "{\"error\":{\"message\":");
    sb_json(&b, msg, strlen(msg));
    sb_printf(&b, ",\"type\":\"%s\",\"code\":%d}}\n",
              status == 401 ? "authentication_error" : status == 404 ? "not_found_error" : status >= 500 ? "server_error" : "invalid_request_error",
              status);
    return (srv_reply){b.oom ? 500 : status, b.s, b.n};
}

/* ---- metrics ---- */

static const char *const route_names[R_COUNT] = {"predict", "completions", "models", "health", "metrics", "other"};
static const int codes[] = {200, 400, 401, 404, 405, 413, 422, 500, 503};
enum { NCODES = sizeof codes / sizeof codes[0] };
static const double lat_bounds[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
enum { NLAT = sizeof lat_bounds / sizeof lat_bounds[0] };
static const int batch_bounds[] = {1, 2, 4, 8, 16, 32, 64, 128, 256, 512};
enum { NBATCH = sizeof batch_bounds / sizeof batch_bounds[0] };

static struct {
    pthread_mutex_t mu;
    long requests[R_COUNT][NCODES + 1]; /* the last: any other status */
    long lat[R_COUNT][NLAT + 1];
    double lat_sum[R_COUNT];
    long batches[NBATCH + 1], batch_count;
    double batch_sum;
    long prompt_tokens, generated_tokens, streams;
} M = {.mu = PTHREAD_MUTEX_INITIALIZER};

void metrics_request(int route, int status, double seconds) {
    int c = NCODES, l = NLAT;
    for (int i = 0; i < NCODES; i++)
        if (codes[i] == status) c = i;
    for (int i = NLAT - 1; i >= 0; i--)
        if (seconds <= lat_bounds[i]) l = i;
    pthread_mutex_lock(&M.mu);
    M.requests[route][c]++;
    M.lat[route][l]++;
    M.lat_sum[route] += seconds;
    pthread_mutex_unlock(&M.mu);
}

void metrics_batch(int size) {
    int k = NBATCH;
    for (int i = NBATCH - 1; i >= 0; i--)
        if (size <= batch_bounds[i]) k = i;
    pthread_mutex_lock(&M.mu);
    M.batches[k]++;
    M.batch_count++;
    M.batch_sum += size;
    pthread_mutex_unlock(&M.mu);
}

void metrics_tokens(long prompt, long generated) {
    pthread_mutex_lock(&M.mu);
    M.prompt_tokens += prompt;
    M.generated_tokens += generated;
    pthread_mutex_unlock(&M.mu);
}

void metrics_streams(int delta) {
    pthread_mutex_lock(&M.mu);
    M.streams += delta;
    pthread_mutex_unlock(&M.mu);
}

void metrics_write(sbuf *b, long inflight) {
    pthread_mutex_lock(&M.mu);
    sb_str(b, "# HELP deepc_requests_total HTTP requests answered, by route and status.\n# TYPE deepc_requests_total counter\n");
    for (int r = 0; r < R_COUNT; r++)
        for (int c = 0; c <= NCODES; c++) {
            if (!M.requests[r][c] && !(c == 0 && r < R_OTHER)) continue;
            if (c < NCODES) sb_printf(b, "deepc_requests_total{route=\"%s\",code=\"%d\"} %ld\n", route_names[r], codes[c], M.requests[r][c]);
            else sb_printf(b, "deepc_requests_total{route=\"%s\",code=\"other\"} %ld\n", route_names[r], M.requests[r][c]); /* 499: closed unanswered */
        }
    sb_str(b, "# HELP deepc_request_duration_seconds Time from a request's first byte to its reply's last.\n"
              "# TYPE deepc_request_duration_seconds histogram\n");
    for (int r = 0; r < R_COUNT; r++) {
        long acc = 0;
        for (int i = 0; i <= NLAT; i++) {
            acc += M.lat[r][i];
            if (i < NLAT) sb_printf(b, "deepc_request_duration_seconds_bucket{route=\"%s\",le=\"%g\"} %ld\n", route_names[r], lat_bounds[i], acc);
            else sb_printf(b, "deepc_request_duration_seconds_bucket{route=\"%s\",le=\"+Inf\"} %ld\n", route_names[r], acc);
        }
        sb_printf(b, "deepc_request_duration_seconds_sum{route=\"%s\"} %.6f\n", route_names[r], M.lat_sum[r]);
        sb_printf(b, "deepc_request_duration_seconds_count{route=\"%s\"} %ld\n", route_names[r], acc);
    }
    sb_str(b, "# HELP deepc_batch_size Instances per model run of the predict batcher.\n# TYPE deepc_batch_size histogram\n");
    long acc = 0;
    for (int i = 0; i <= NBATCH; i++) {
        acc += M.batches[i];
        if (i < NBATCH) sb_printf(b, "deepc_batch_size_bucket{le=\"%d\"} %ld\n", batch_bounds[i], acc);
        else sb_printf(b, "deepc_batch_size_bucket{le=\"+Inf\"} %ld\n", acc);
    }
    sb_printf(b, "deepc_batch_size_sum %.0f\ndeepc_batch_size_count %ld\n", M.batch_sum, M.batch_count);
    sb_printf(b, "# HELP deepc_prompt_tokens_total Prompt tokens read by completions.\n# TYPE deepc_prompt_tokens_total counter\n"
                 "deepc_prompt_tokens_total %ld\n",
              M.prompt_tokens);
    sb_printf(b, "# HELP deepc_generated_tokens_total Tokens generated by completions.\n# TYPE deepc_generated_tokens_total counter\n"
                 "deepc_generated_tokens_total %ld\n",
              M.generated_tokens);
    sb_printf(b, "# HELP deepc_active_streams Completions being generated now.\n# TYPE deepc_active_streams gauge\ndeepc_active_streams %ld\n",
              M.streams);
    pthread_mutex_unlock(&M.mu);
    sb_printf(b, "# HELP deepc_inflight_requests Requests received and not yet answered.\n# TYPE deepc_inflight_requests gauge\n"
                 "deepc_inflight_requests %ld\n",
              inflight);
}
