/* cli_util.h — small helpers for the deepc command: option values and
 * JSON output. */
#ifndef DC_CLI_UTIL_H
#define DC_CLI_UTIL_H
#include <stdint.h>
#include <stdio.h>

/* Parse a whole-number / real option value; on error print it and return -1. */
int cli_int(const char *opt, const char *s, long lo, long hi, long *out);
int cli_float(const char *opt, const char *s, double lo, double hi, double *out);
/* Print "deepc: what: <last error>" to stderr; returns 1 (the exit status). */
int cli_fail(const char *what);
/* After this (a command run with --json), cli_fail also prints
 * {"command": COMMAND, "error": MESSAGE} as stdout's last line. */
void cli_json_errors(const char *command);
/* Print s as a JSON string literal. */
void cli_json_string(FILE *f, const char *s);
/* Print a double as a JSON number (null for NaN/inf). */
void cli_json_number(FILE *f, double v);
/* Print s as one CSV field: quoted (quotes doubled) when it holds a comma,
 * a quote or a line break (RFC 4180). */
void cli_csv_field(FILE *f, const char *s);
#endif
