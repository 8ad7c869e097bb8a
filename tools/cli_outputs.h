/* cli_outputs.h — every file the deepc command will write is checked before
 * any work starts, so that a typo or a protected file costs nothing and no
 * run is lost at the end. */
#ifndef DC_CLI_OUTPUTS_H
#define DC_CLI_OUTPUTS_H

/* What deepc writes at a path; an existing file of the same kind may be
 * replaced (retraining into a model file, a new log over an old one). */
/* CLI_OUT_OTHER: a file of no kind deepc can tell its own (a tokenizer's
 * encoder.json and vocab.bpe look like anybody's): replaced only with --force. */
typedef enum { CLI_OUT_MODEL, CLI_OUT_LOG, CLI_OUT_SVG, CLI_OUT_PNG, CLI_OUT_OTHER } cli_out_kind;

/* Check that `flag PATH` can be written: its folder exists and is writable;
 * if PATH exists it must be a regular, writable file with one link (a
 * symlink, device, FIFO, folder or write-protected file is always refused),
 * and it is replaced only when it is a file of the kind deepc writes there,
 * when it is the file this run resumes from (same_as), or with force.
 * Prints "deepc: FLAG PATH: why" and returns 1 when it cannot be written. */
int cli_check_output(const char *flag, const char *path, cli_out_kind kind, int force, const char *same_as);
#endif
