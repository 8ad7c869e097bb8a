/* cli_util.c — option parsing and JSON printing for tools/deepc.c. */
#include "cli_util.h"
#include "cli_data.h"
#include <stdarg.h>
#include <string.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>

int cli_int(const char *opt, const char *s, long lo, long hi, long *out) {
    char *end;
    errno = 0;
    long v = s ? strtol(s, &end, 10) : 0;
    if (!s || end == s || *end || errno || v < lo || v > hi) {
        fprintf(stderr, "deepc: %s needs a whole number in [%ld, %ld], got \"%s\"\n", opt, lo, hi, s ? s : "");
        return -1;
    }
    *out = v;
    return 0;
}

int cli_float(const char *opt, const char *s, double lo, double hi, double *out) {
    char *end;
    errno = 0;
    double v = s ? strtod(s, &end) : 0;
    if (!s || end == s || *end || errno || !(v >= lo && v <= hi)) {
        fprintf(stderr, "deepc: %s needs a number in [%g, %g], got \"%s\"\n", opt, lo, hi, s ? s : "");
        return -1;
    }
    *out = v;
    return 0;
}

void cli_json_string(FILE *f, const char *s) {
    fputc('"', f);
    for (size_t left = strlen(s); *s; s++, left--) {
        unsigned char c = (unsigned char)*s;
        size_t k = c < 0x80 ? 1 : dc_utf8_len(s, left);
        if (c == '"' || c == '\\') fprintf(f, "\\%c", c);
        else if (c == '\n') fputs("\\n", f);
        else if (c < 0x20) fprintf(f, "\\u%04x", c);
        else if (!k) fputs("\\ufffd", f); /* a byte that is not UTF-8 (a BPE byte token, a Latin-1 prompt): JSON must be (F13) */
        else {
            fwrite(s, 1, k, f);
            s += k - 1, left -= k - 1;
        }
    }
    fputc('"', f);
}

void cli_json_number(FILE *f, double v) {
    if (isfinite(v)) fprintf(f, "%.6g", v);
    else fputs("null", f);
}

/* The command's own errors go through dc_last_error() too, so every
 * failure is printed the same way. */
dc_status dc_set_error_cli(const char *fmt, ...) {
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    dc_set_error_message(msg);
    return DC_ERR_INVALID;
}

static const char *json_command; /* --json was given: errors also end stdout with a JSON object */

void cli_json_errors(const char *command) { json_command = command; }

int cli_fail(const char *what) {
    fprintf(stderr, "deepc: %s%s%s\n", what, *dc_last_error() ? ": " : "", dc_last_error());
    if (json_command) {
        char msg[2048];
        snprintf(msg, sizeof msg, "%s%s%s", what, *dc_last_error() ? ": " : "", dc_last_error());
        fflush(stdout);
        printf("{\"command\":");
        cli_json_string(stdout, json_command);
        printf(",\"error\":");
        cli_json_string(stdout, msg);
        printf("}\n");
        fflush(stdout);
    }
    return 1;
}

void cli_csv_field(FILE *f, const char *s) {
    if (!strpbrk(s, ",\"\r\n")) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"') fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}
