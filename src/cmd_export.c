/* cmd_export.c — `runsite export`: the chosen runs as one self-contained
 * HTML file for a hand-off review (src/site/export.c writes it). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runsite/chart.h"
#include "runsite/cli.h"
#include "runsite/diag.h"
#include "runsite/discover.h"
#include "runsite/build.h"
#include "runsite/gate.h"
#include "runsite/reader.h"
#include "runsite/site.h"
#include "runsite/util.h"
#include "site/export.h"

enum { OPT_RUN = OPT_COMMAND_BASE, OPT_REPORT, OPT_STRICT, OPT_GOAL };

static const struct option_row export_options[] = {
	{"run", 1, OPT_RUN, "RUN", "runs to export: id, name, tag:KEY=VALUE or a selection (man runsite); repeat to compare runs"},
	{"report", 1, OPT_REPORT, "FILE.md", "export this report (Markdown with runsite blocks) instead of runs"},
	{"strict", 0, OPT_STRICT, NULL, "with --report: exit 1 when the report has a problem"},
	{"output", 1, 'o', "FILE", "the HTML file to write (required)"},
	{"at", 1, OPT_AT, "best|last", CLI_AT_HELP},
	{"goal", 1, OPT_GOAL, "GLOB:min|max", "metrics matching GLOB are better lower (min) or higher (max); repeatable"},
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

/* `export --report`: the report built from the stores, as one file. */
static int export_report(char **paths, size_t npaths, const char *forced, const char *report,
                         const char *out, const struct export_opts *eo,
                         const struct reader_opts *ro_in, bool strict)
{
	struct reader_opts ro = *ro_in;
	ro.dec_buckets = 256; /* the report's overlays are drawn from the decimated copies */
	struct site_opts so;
	site_opts_defaults(&so);
	so.quiet = true;
	so.chart.smoothing = eo->smoothing;
	so.no_redact = !eo->redacted;
	so.chart_formats = 1u << CHART_SVG;
	so.report_file = report;
	so.report_out = out;
	so.report_inline = true;
	so.strict = strict;
	so.no_cache = true;
	so.title = eo->title;
	so.at = eo->at;
	if (eo->goals)
		so.goals = *eo->goals; /* borrowed: not freed here */
	char dir[] = "/tmp/runsite-report-XXXXXX";
	if (!mkdtemp(dir)) {
		diag_msg("export: cannot make a temporary folder: %s", strerror(errno));
		return EXIT_OUTPUT;
	}
	so.out_dir = dir;
	struct discovery d;
	memset(&d, 0, sizeof d);
	discover((const char *const *)paths, npaths, forced, &d);
	int rc;
	if (d.nstores == 0) {
		diag_msg("no run store found in the given paths (try `runsite ls PATH`)");
		rc = EXIT_NO_INPUT;
	} else {
		rc = build_site(&d, &ro, &so);
	}
	discovery_free(&d);
	rmdir(dir);
	return rc;
}

int cmd_export(int argc, char **argv)
{
	struct reader_opts ro = {.include_deleted = false, .dec_buckets = 0};
	struct export_opts eo = {.title = NULL, .redacted = true, .smoothing = CHART_DEFAULT_SMOOTHING,
	                         .at = AT_DEFAULT};
	struct goal_rules goals = {0};
	eo.goals = &goals;
	const char *forced = NULL, *out = NULL, *report = NULL;
	bool strict = false;
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
		case OPT_REPORT: report = optarg; break;
		case OPT_STRICT: strict = true; break;
		case 'o': out = optarg; break;
		case OPT_TITLE: eo.title = optarg; break;
		case OPT_AT:
			if (!cli_parse_at(optarg, &eo.at)) {
				rc = EXIT_USAGE;
				goto out;
			}
			break;
		case OPT_GOAL:
			if (!goal_rules_add(&goals, optarg)) {
				diag_msg("--goal takes METRIC:min or METRIC:max (METRIC may be a glob), "
				         "not '%s'", optarg);
				rc = EXIT_USAGE;
				goto out;
			}
			break;
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
	if ((nsels == 0 && !report) || (nsels && report) || !out) {
		diag_msg("export: %s (try `runsite export --help`)",
		         !out     ? "give the file to write with -o FILE.html"
		         : report ? "give --run or --report, not both"
		                  : "give at least one --run RUN, or --report FILE.md");
		rc = EXIT_USAGE;
		goto out;
	}
	if (report) {
		rc = export_report(argv + optind, (size_t)(argc - optind), forced, report, out, &eo,
		                   &ro, strict);
		goto out;
	}
	gate_picker_init(&picker, sels, nsels);
	picker.at = eo.at;
	picker.goals = &goals;
	discover((const char *const *)argv + optind, (size_t)(argc - optind), forced, &d);
	rc = gate_picker_read(&picker, &d, &ro, eo.redacted);
	if (rc != EXIT_OK)
		goto out;
	/* In the order asked for, each run once. */
	struct run **runs = xcalloc(picker.nruns + 1, sizeof *runs);
	int *colors = xcalloc(picker.nruns + 1, sizeof *colors);
	size_t n = 0;
	for (size_t i = 0; i < nsels; i++) {
		size_t m = 0;
		struct run **picked = gate_picker_runs(&picker, i, &m);
		for (size_t k = 0; k < m; k++) {
			int dup = 0;
			for (size_t j = 0; j < n && !dup; j++)
				dup = runs[j] == picked[k];
			if (dup)
				continue;
			colors[n] = site_run_color(picked[k]->id); /* the colour the site gives it */
			runs[n++] = picked[k];
		}
		free(picked);
	}
	eo.colors = colors;
	rc = export_write(runs, n, &eo, out);
	free(colors);
	free(runs);
out:
	goal_rules_free(&goals);
	gate_picker_free(&picker);
	discovery_free(&d);
	free(sels);
	free(longopts);
	free(shortopts);
	return rc;
}
