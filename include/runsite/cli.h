/* cli.h — what the commands share: the option table that both getopt_long
 * and --help are made from, usage text, number parsing, and the commands. */
#ifndef RUNSITE_CLI_H
#define RUNSITE_CLI_H

#include <getopt.h>
#include <stdio.h>

#include "runsite/compare.h"
#include "runsite/status.h"

/* One row per option: the getopt_long array and the help text are made from it. */
struct option_row {
	const char *name;
	int has_arg;
	int key; /* short letter, or a value >= 256 */
	const char *arg;
	const char *help;
};

/* Long-only options' keys (values >= 256; a command may add its own from OPT_COMMAND_BASE). */
enum {
	OPT_FORCE = 256,
	OPT_TEMPLATES,
	OPT_INCLUDE_DELETED,
	OPT_FORMAT,
	OPT_TITLE,
	OPT_SMOOTHING,
	OPT_X,
	OPT_LOG_Y,
	OPT_CLIP_OUTLIERS,
	OPT_CHART_FORMATS,
	OPT_JSON,
	OPT_VERSION,
	OPT_NO_REDACT,
	OPT_PASSWORD_FILE,
	OPT_IMMUTABLE,
	OPT_AT,
	OPT_COMMAND_BASE = 512,
};


/* The exit codes, as --help prints them. */
extern const char cli_exit_codes_help[];

/* Prints a command's usage, its options and the exit codes. */
void cli_usage(FILE *out, const char *synopsis, const char *about, const struct option_row *rows);
/* Builds the getopt_long array and short-option string from a table
 * (GNU order: options may follow the paths). Caller frees both. */
struct option *cli_getopt(const struct option_row *rows, char **shortopts);
/* Checks what every reading command needs: a known --format (when given) and
 * at least one PATH after the options. Returns 1, or 0 after saying what is wrong. */
int cli_paths_ok(const char *cmd, const char *forced, int argc, int optind);
/* Parses --jobs N (1 to 256) into *jobs. Returns 1, or 0 after saying what is wrong. */
int cli_parse_jobs(const char *arg, int *jobs);
/* The help of --at, the same for every command that takes it. */
#define CLI_AT_HELP "each metric's value at its last point or its best (by its goal); default last"
/* Parses --at best|last into *at. Returns 1, or 0 after saying what is wrong. */
int cli_parse_at(const char *arg, enum metric_at *at);
/* Parses a number in [lo, hi]; returns 0 when s is not one. */
int cli_parse_double(const char *s, double lo, double hi, double *out);

int cmd_build(int argc, char **argv);
int cmd_ls(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_export(int argc, char **argv);

#endif
