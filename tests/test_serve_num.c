/* test_serve_num.c — the server's reader of JSON numbers (srv_number in
 * tools/serve_util.c, predict's fast path) gives the double strtod gives,
 * bit for bit: floats printed as doubles (what a Python or JavaScript
 * client sends), random mantissas of up to 25 digits with exponents, the
 * halfway cases between doubles, and what is not a JSON number. */
#include "../tools/serve.h"
#include "test.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t state = 0x9E3779B97F4A7C15ull;
static uint64_t next(void) {
    state ^= state << 13, state ^= state >> 7, state ^= state << 17;
    return state;
}

static long mismatches, fast_ok, by[4];

static void same(const char *s) {
    double a, b = strtod(s, NULL);
    const char *p = s;
    int ok = srv_number(&p, s + strlen(s), &a);
    by[ok]++;
    if (!ok && isfinite(b)) {
        if (mismatches++ < 5) fprintf(stderr, "not read: %s\n", s);
        return;
    }
    if (ok && (memcmp(&a, &b, sizeof a) || *p)) {
        if (mismatches++ < 5) fprintf(stderr, "%s: %.17g, strtod %.17g\n", s, a, b);
        return;
    }
    fast_ok++;
}

int main(void) {
    char s[96];
    for (int i = 0; i < 1000000; i++) { /* floats as doubles, as clients print them */
        uint32_t u = (uint32_t)next();
        float f;
        memcpy(&f, &u, sizeof f);
        if (!isfinite(f)) continue;
        snprintf(s, sizeof s, i & 1 ? "%.17g" : "%.9g", (double)f);
        same(s);
        snprintf(s, sizeof s, "%.16g", (double)(u % 256) * (double)(1.0f / 255.0f));
        same(s);
    }
    for (int i = 0; i < 1000000; i++) { /* random digits, a point, an exponent */
        int nd = 1 + (int)(next() % 25), at = (int)(next() % (uint64_t)(nd + 1)), k = 0;
        if (next() & 1) s[k++] = '-';
        for (int d = 0; d < nd; d++) {
            if (d == at && d) s[k++] = '.';
            s[k++] = (char)('0' + (d == 0 && nd > 1 && at != 1 ? 1 + next() % 9 : next() % 10));
        }
        if (next() % 3 == 0) k += snprintf(s + k, sizeof s - (size_t)k, "e%d", (int)(next() % 70) - 35);
        s[k] = 0;
        same(s);
    }
    /* halfway between two doubles: round to even */
    const char *half[] = {"9007199254740993", "9007199254740995", "4503599627370496.5", "2.2250738585072014e-308", "1e23", "8.98846567431158e307",
                          "0.1", "0.2", "0.30000000000000004", "123456789012345678e-5", "1.7976931348623157e308"};
    for (size_t i = 0; i < sizeof half / sizeof *half; i++) same(half[i]);
    CHECK(mismatches == 0, "srv_number equals strtod on %ld numbers (%ld differ)", fast_ok, mismatches);
    /* the fast paths are what ran (else this test would test strtod against itself) */
    CHECK(by[2] > 500000 && by[3] > 100000 && by[1] < by[2] + by[3], "exact doubles %ld, long doubles %ld, strtod %ld", by[2], by[3], by[1]);
    /* not numbers: refused, the position unmoved */
    const char *bad[] = {"", "-", ".5", "1.", "1e", "1e+", "+1", "--1", "1e999999", "inf", "nan", "x"};
    int refused = 1;
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        double v;
        const char *p = bad[i];
        refused &= !srv_number(&p, p + strlen(p), &v) && p == bad[i];
    }
    CHECK(refused, "what is not a JSON number is refused");
    printf("read as exact doubles %ld, as long doubles %ld, by strtod %ld\n", by[2], by[3], by[1]);
    return test_summary("serve_num");
}
