/* cli_help.h — the deepc command's help: one page per command (deepc
 * COMMAND --help, deepc help COMMAND), the overview (deepc --help), and
 * "did you mean" for a misspelt option. */
#ifndef DC_CLI_HELP_H
#define DC_CLI_HELP_H
#include <stdio.h>

typedef struct {
    const char *name, *usage;
    int data, files; /* add the DATA and output-file notes */
} command_help;

extern const command_help cli_commands[];
extern const int cli_ncommands;
/* The command named name, or NULL. */
const command_help *cli_find_command(const char *name);
/* A command's page: its usage, and the notes that apply to it. */
void cli_command_usage(const command_help *c, FILE *f);
/* Every command's usage line and the shared notes. */
void cli_overview(FILE *f);
/* "deepc: unknown option O", with the closest known option. */
void cli_unknown_option(const char *o, const char *cmd);
#endif
