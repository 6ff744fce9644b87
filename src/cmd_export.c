/* cmd_export.c — `runsite export`: the chosen runs as one self-contained
 * HTML file for a hand-off review (src/site/export.c writes it). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runsite/chart.h"
#include "runsite/cli.h"
#include "runsite/diag.h"
#include "runsite/discover.h"
#include "runsite/gate.h"
#include "runsite/reader.h"
#include "runsite/util.h"
#include "site/export.h"

enum { OPT_RUN = OPT_COMMAND_BASE };

static const struct option_row export_options[] = {
	{"run", 1, OPT_RUN, "RUN", "a run to export: id, name or tag:KEY=VALUE; repeat to compare runs"},
	{"output", 1, 'o', "FILE", "the HTML file to write (required)"},
	{"title", 1, OPT_TITLE, "TEXT", "the page's title (default: the run's name)"},
	{"smoothing", 1, OPT_SMOOTHING, "W", "chart smoothing weight 0..0.999, 0 turns it off (default " CHART_DEFAULT_SMOOTHING_TEXT ")"},
	{"include-deleted", 0, OPT_INCLUDE_DELETED, NULL, "keep deleted experiments and runs"},
	{"immutable", 0, OPT_IMMUTABLE, NULL, "the SQLite stores cannot change while read: read them without locks"},
	{"format", 1, OPT_FORMAT, "NAME", "read every PATH as this format (see `runsite ls`)"},
	{"password-file", 1, OPT_PASSWORD_FILE, "FILE", "password for postgresql:// and mysql:// URLs: FILE's first line"},
	{"no-redact", 0, OPT_NO_REDACT, NULL, "show values that look like secrets"},
	{"quiet", 0, 'q', NULL, "no warnings on stderr"},
	{"help", 0, 'h', NULL, "show this help"},
	{NULL, 0, 0, NULL, NULL},
};

int cmd_export(int argc, char **argv)
{
	struct reader_opts ro = {.include_deleted = false, .dec_buckets = 0};
	struct export_opts eo = {.title = NULL, .redacted = true, .smoothing = CHART_DEFAULT_SMOOTHING};
	const char *forced = NULL, *out = NULL;
	const char **sels = xcalloc((size_t)argc + 1, sizeof *sels);
	size_t nsels = 0;
	struct gate_picker picker;
	memset(&picker, 0, sizeof picker);
	struct discovery d;
	memset(&d, 0, sizeof d);
	char *shortopts;
	struct option *longopts = cli_getopt(export_options, &shortopts);
	int c, rc = EXIT_OK;
	optind = 1;
	while ((c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
		switch (c) {
		case OPT_RUN: sels[nsels++] = optarg; break;
		case 'o': out = optarg; break;
		case OPT_TITLE: eo.title = optarg; break;
		case OPT_SMOOTHING:
			if (!cli_parse_double(optarg, 0, 0.999, &eo.smoothing)) {
				diag_msg("--smoothing takes a number from 0 to 0.999, not '%s'", optarg);
				rc = EXIT_USAGE;
				goto out;
			}
			break;
		case OPT_NO_REDACT: eo.redacted = false; break;
		case OPT_INCLUDE_DELETED: ro.include_deleted = true; break;
		case OPT_IMMUTABLE: ro.immutable = true; break;
		case OPT_FORMAT: forced = optarg; break;
		case OPT_PASSWORD_FILE: server_password_file(optarg); break;
		case 'q': diag_set_quiet(1); break;
		case 'h':
			cli_usage(stdout, "runsite export PATH... --run RUN [--run RUN...] -o FILE.html",
			          "Writes the chosen run, or a comparison of several, as one HTML file\n"
			          "for a hand-off review: notes, parameters, metrics, charts, an artifact\n"
			          "manifest with SHA-256 sums, and the parts of a model card from the\n"
			          "notes. Styles, script and charts are inside the file; it fetches\n"
			          "nothing, so it opens from an e-mail attachment, and it prints on A4\n"
			          "or Letter.",
			          export_options);
			goto out;
		default: rc = EXIT_USAGE; goto out;
		}
	}
	if (!cli_paths_ok("export", forced, argc, optind)) {
		rc = EXIT_USAGE;
		goto out;
	}
	if (nsels == 0 || !out) {
		diag_msg("export: %s (try `runsite export --help`)",
		         nsels == 0 ? "give at least one --run RUN"
		                    : "give the file to write with -o FILE.html");
		rc = EXIT_USAGE;
		goto out;
	}
	gate_picker_init(&picker, sels, nsels);
	discover((const char *const *)argv + optind, (size_t)(argc - optind), forced, &d);
	rc = gate_picker_read(&picker, &d, &ro, eo.redacted);
	if (rc != EXIT_OK)
		goto out;
	/* In the order asked for, each run once. */
	struct run **runs = xcalloc(nsels, sizeof *runs);
	int *colors = xcalloc(nsels, sizeof *colors);
	size_t n = 0;
	for (size_t i = 0; i < nsels; i++) {
		struct run *r = gate_picker_run(&picker, i);
		int dup = 0;
		for (size_t j = 0; j < n && !dup; j++)
			dup = runs[j] == r;
		if (!dup) {
			/* The colour the site gives it: its place in the listing. */
			colors[n] = (int)picker.seq[picker.picks[i].run];
			runs[n++] = r;
		}
	}
	eo.colors = colors;
	rc = export_write(runs, n, &eo, out);
	free(colors);
	free(runs);
out:
	gate_picker_free(&picker);
	discovery_free(&d);
	free(sels);
	free(longopts);
	free(shortopts);
	return rc;
}
