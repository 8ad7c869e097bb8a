/* error.c — the per-thread "last error" message behind dc_last_error(). */
#include "internal.h"
#include <stdio.h>

static _Thread_local char last_error[1024];

dc_status dc_set_error(dc_status code, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(last_error, sizeof last_error, fmt, ap);
    va_end(ap);
    return code;
}

const char *dc_last_error(void) { return last_error; }
void dc_clear_error(void) { last_error[0] = 0; }

void dc_set_error_message(const char *msg) { snprintf(last_error, sizeof last_error, "%s", msg); }
