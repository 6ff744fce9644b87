/* cli.c — the option table machinery and usage text the commands share. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "runsite/cli.h"
#include "runsite/diag.h"
#include "runsite/reader.h"
#include "runsite/util.h"

const char cli_exit_codes_help[] =
	"Exit status:\n"
	"  0  success (warnings about parts of a store may have been printed)\n"
	"  1  runsite check: a rule failed (a regression)\n"
	"  2  usage error (check, export: also a run selector that names several runs)\n"
	"  3  nothing could be read: no run store found, or none could be opened\n"
	"     (check, export: a run or a metric is missing)\n"
	"  4  an output could not be written (build leaves the previous site whole)\n"
	"  5  out of memory (the same)\n"
	"  6  a tracking server (postgresql://, mysql://) could not be reached\n"
	"  7  a tracking server refused the login (password, user or database)\n"
	"  8  the connection to a tracking server broke mid-read (nothing written)\n"
	"  9  a statement on a tracking server timed out (nothing written)\n"
	"  130, 143  stopped by SIGINT, SIGTERM (the same)\n";

static void print_options(FILE *out, const struct option_row *rows)
{
	for (const struct option_row *o = rows; o->name; o++) {
		char left[64];
		if (o->key < 256)
			snprintf(left, sizeof left, "-%c, --%s%s%s", o->key, o->name, o->arg ? " " : "",
			         o->arg ? o->arg : "");
		else
			snprintf(left, sizeof left, "    --%s%s%s", o->name, o->arg ? " " : "",
			         o->arg ? o->arg : "");
		fprintf(out, "  %-26s %s\n", left, o->help);
	}
}

void cli_usage(FILE *out, const char *synopsis, const char *about, const struct option_row *rows)
{
	fprintf(out, "usage: %s\n\n%s\n\nOptions:\n", synopsis, about);
	print_options(out, rows);
	fputc('\n', out);
	fputs(cli_exit_codes_help, out);
}

struct option *cli_getopt(const struct option_row *rows, char **shortopts)
{
	size_t n = 0;
	while (rows[n].name)
		n++;
	struct option *longopts = xcalloc(n + 1, sizeof *longopts);
	struct buf s = BUF_INIT;
	buf_puts(&s, ""); /* GNU order: options may follow the paths (build DIR -o OUT) */
	for (size_t i = 0; i < n; i++) {
		longopts[i].name = rows[i].name;
		longopts[i].has_arg = rows[i].has_arg ? required_argument : no_argument;
		longopts[i].val = rows[i].key;
		if (rows[i].key < 256) {
			buf_putc(&s, rows[i].key);
			if (rows[i].has_arg)
				buf_putc(&s, ':');
		}
	}
	*shortopts = buf_detach(&s);
	return longopts;
}

int cli_parse_double(const char *s, double lo, double hi, double *out)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || end == s || *end || !(v >= lo && v <= hi))
		return 0;
	*out = v;
	return 1;
}


int cli_paths_ok(const char *cmd, const char *forced, int argc, int optind)
{
	if (forced && !reader_by_name(forced)) {
		diag_msg("unknown format '%s' (see `runsite --help`)", forced);
		return 0;
	}
	if (optind >= argc) {
		diag_msg("%s: no PATH given (try `runsite %s --help`)", cmd, cmd);
		return 0;
	}
	return 1;
}

int cli_parse_at(const char *arg, enum metric_at *at)
{
	if (metric_at_parse(arg, at))
		return 1;
	diag_msg("--at takes best or last, not '%s'", arg);
	return 0;
}

int cli_parse_jobs(const char *arg, int *jobs)
{
	double j;
	if (!cli_parse_double(arg, 1, 256, &j) || j != (int)j) {
		diag_msg("--jobs takes a whole number from 1 to 256, not '%s'", arg);
		return 0;
	}
	*jobs = (int)j;
	return 1;
}
