/* cmd_build.c — `runsite build`: options into site_opts, then discovery and
 * the site writer. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runsite/chart.h"
#include "runsite/cli.h"
#include "runsite/diag.h"
#include "runsite/discover.h"
#include "runsite/build.h"
#include "runsite/reader.h"
#include "runsite/util.h"

static const struct option_row build_options[] = {
	{"output", 1, 'o', "DIR", "write the site to DIR (default: ./site)"},
	{"force", 0, OPT_FORCE, NULL, "write over DIR even if runsite did not make it"},
	{"include-deleted", 0, OPT_INCLUDE_DELETED, NULL, "keep deleted experiments and runs"},
	{"immutable", 0, OPT_IMMUTABLE, NULL, "the SQLite stores cannot change while read: read them without locks"},
	{"format", 1, OPT_FORMAT, "NAME", "read every PATH as this format (see `runsite ls`)"},
	{"password-file", 1, OPT_PASSWORD_FILE, "FILE", "password for postgresql:// and mysql:// URLs: FILE's first line"},
	{"templates", 1, OPT_TEMPLATES, "DIR", "use the page templates in DIR instead of the built-in ones"},
	{"title", 1, OPT_TITLE, "TEXT", "the site's title (default: Runs)"},
	{"smoothing", 1, OPT_SMOOTHING, "W", "chart smoothing weight 0..0.999, 0 turns it off (default " CHART_DEFAULT_SMOOTHING_TEXT ")"},
	{"x", 1, OPT_X, "AXIS", "chart x axis: step, time or relative (default step)"},
	{"log-y", 1, OPT_LOG_Y, "GLOB", "draw metrics whose key matches GLOB on a log y axis"},
	{"clip-outliers", 0, OPT_CLIP_OUTLIERS, NULL, "y range from the 1st to the 99th percentile"},
	{"chart-formats", 1, OPT_CHART_FORMATS, "LIST", "chart files to write: svg,png,pdf (default svg)"},
	{"png", 0, OPT_COMMAND_BASE + 10, NULL, "also write every chart as a PNG at 2x (for pasting or printing)"},
	{"no-redact", 0, OPT_NO_REDACT, NULL, "show values that look like secrets"},
	{"no-cache", 0, OPT_COMMAND_BASE + 6, NULL, "draw every chart again, even those unchanged since the site in DIR was built"},
	{"goal", 1, OPT_COMMAND_BASE + 0, "GLOB:min|max", "metrics matching GLOB are better lower (min) or higher (max); repeatable"},
	{"at", 1, OPT_AT, "best|last", CLI_AT_HELP},
	{"primary", 1, OPT_COMMAND_BASE + 1, "METRIC", "name the best run by METRIC (default: the first goal metric)"},
	{"compare", 1, OPT_COMMAND_BASE + 2, "RUN,RUN...", "a compare page for these runs (id, name or tag:KEY=VALUE); repeatable"},
	{"baseline", 1, OPT_COMMAND_BASE + 3, "RUN", "compare RUN with every other run of its experiment"},
	{"group-by", 1, OPT_COMMAND_BASE + 4, "PARAMS", "group runs that differ only in these params (default: seed-like ones)"},
	{"band", 1, OPT_COMMAND_BASE + 5, "KIND", "seed group band: std (mean ± 1 std, default) or minmax"},
	{"reports", 1, OPT_COMMAND_BASE + 7, "DIR", "report pages from the Markdown files in DIR (default: a reports/ folder beside a store)"},
	{"strict", 0, OPT_COMMAND_BASE + 8, NULL, "exit 1 when a report has a problem (an error box on its page)"},
	{"select", 1, OPT_COMMAND_BASE + 9, "EXPR", "only the runs EXPR selects (the selection language: man runsite)"},
	{"jobs", 1, 'j', "N", "worker threads (output does not depend on it)"},
	{"quiet", 0, 'q', NULL, "no progress line and no warnings on stderr"},
	{"help", 0, 'h', NULL, "show this help"},
	{NULL, 0, 0, NULL, NULL},
};

static unsigned parse_chart_formats(const char *list)
{
	unsigned set = 0;
	char *copy = xstrdup(list), *save = NULL;
	for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		if (strcmp(t, "svg") == 0)
			set |= 1u << CHART_SVG;
		else if (strcmp(t, "png") == 0)
			set |= 1u << CHART_PNG;
		else if (strcmp(t, "pdf") == 0)
			set |= 1u << CHART_PDF;
		else {
			set = 0;
			break;
		}
	}
	free(copy);
	return set;
}

int cmd_build(int argc, char **argv)
{
	struct site_opts so;
	site_opts_defaults(&so);
	/* Each series gets a decimated copy for sparklines and overlays: 256
	 * buckets of up to 4 points, about 24 KB a metric, kept in the build's
	 * spill file (not in memory) once the run's charts are drawn. */
	struct reader_opts ro = {.include_deleted = false, .dec_buckets = 256};
	const char *forced = NULL;
	bool png = false;
	char *shortopts;
	struct option *longopts = cli_getopt(build_options, &shortopts);
	int c, rc = EXIT_OK;
	const char **compares = NULL, **group_by = NULL;
	size_t capc = 0, capg = 0;
	char *group_copy = NULL;
	optind = 1;
	while ((c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
		switch (c) {
		case 'o': so.out_dir = optarg; break;
		case OPT_FORCE: so.force = true; break;
		case OPT_INCLUDE_DELETED: ro.include_deleted = true; break;
		case OPT_IMMUTABLE: ro.immutable = true; break;
		case OPT_FORMAT: forced = optarg; break;
		case OPT_PASSWORD_FILE: server_password_file(optarg); break;
		case OPT_TEMPLATES: so.templates_dir = optarg; break;
		case OPT_TITLE: so.title = optarg; break;
		case OPT_SMOOTHING:
			if (!cli_parse_double(optarg, 0, 0.999, &so.chart.smoothing)) {
				diag_msg("--smoothing takes a number from 0 to 0.999, not '%s'", optarg);
				rc = EXIT_USAGE;
				goto out;
			}
			break;
		case OPT_X:
			if (strcmp(optarg, "step") == 0)
				so.chart.x_kind = CHART_X_STEP;
			else if (strcmp(optarg, "time") == 0)
				so.chart.x_kind = CHART_X_TIME;
			else if (strcmp(optarg, "relative") == 0)
				so.chart.x_kind = CHART_X_RELATIVE;
			else {
				diag_msg("--x takes step, time or relative, not '%s'", optarg);
				rc = EXIT_USAGE;
				goto out;
			}
			break;
		case OPT_LOG_Y: so.log_y_pattern = optarg; break;
		case OPT_CLIP_OUTLIERS: so.chart.clip_outliers = 1; break;
		case OPT_NO_REDACT: so.no_redact = true; break;
		case OPT_COMMAND_BASE + 6: so.no_cache = true; break;
		case OPT_COMMAND_BASE + 7: so.reports_dir = optarg; break;
		case OPT_COMMAND_BASE + 8: so.strict = true; break;
		case OPT_COMMAND_BASE + 9: so.select = optarg; break;
		case OPT_COMMAND_BASE + 0:
			if (!goal_rules_add(&so.goals, optarg)) {
				diag_msg("--goal takes METRIC:min or METRIC:max (METRIC may be a glob), "
				         "not '%s'",
				         optarg);
				rc = EXIT_USAGE;
				goto out;
			}
			break;
		case OPT_COMMAND_BASE + 1: so.primary = optarg; break;
		case OPT_AT:
			if (!cli_parse_at(optarg, &so.at)) {
				rc = EXIT_USAGE;
				goto out;
			}
			break;
		case OPT_COMMAND_BASE + 2:
			if (!*optarg) {
				diag_msg("--compare takes runs separated by commas");
				rc = EXIT_USAGE;
				goto out;
			}
			GROW(compares, capc, so.ncompare + 1);
			compares[so.ncompare++] = optarg;
			so.compare = compares;
			break;
		case OPT_COMMAND_BASE + 3: so.baseline = optarg; break;
		case OPT_COMMAND_BASE + 4: {
			free(group_copy);
			free(group_by);
			group_by = NULL;
			capg = so.ngroup_by = 0;
			group_copy = xstrdup(optarg);
			char *save = NULL;
			for (char *t = strtok_r(group_copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
				GROW(group_by, capg, so.ngroup_by + 1);
				group_by[so.ngroup_by++] = t;
			}
			so.group_by = group_by;
			if (!so.ngroup_by) {
				diag_msg("--group-by takes param names separated by commas");
				rc = EXIT_USAGE;
				goto out;
			}
			break;
		}
		case OPT_COMMAND_BASE + 5:
			if (strcmp(optarg, "std") == 0)
				so.band_minmax = false;
			else if (strcmp(optarg, "minmax") == 0)
				so.band_minmax = true;
			else {
				diag_msg("--band takes std or minmax, not '%s'", optarg);
				rc = EXIT_USAGE;
				goto out;
			}
			break;
		case OPT_CHART_FORMATS:
			so.chart_formats = parse_chart_formats(optarg);
			if (!so.chart_formats) {
				diag_msg("--chart-formats takes a list of svg, png and pdf, not '%s'",
				         optarg);
				rc = EXIT_USAGE;
				goto out;
			}
			break;
		case OPT_COMMAND_BASE + 10: png = true; break;
		case 'j':
			if (!cli_parse_jobs(optarg, &ro.jobs)) {
				rc = EXIT_USAGE;
				goto out;
			}
			so.jobs = ro.jobs;
			break;
		case 'q':
			so.quiet = true;
			diag_set_quiet(1);
			break;
		case 'h':
			cli_usage(stdout, "runsite build [OPTION...] PATH... [-o DIR]",
			          "Reads the run stores at and below each PATH (MLflow mlruns/ folders\n"
			          "and mlflow.db files, ...) and writes a static report site to DIR.\n"
			          "The site is built beside DIR and moved into place only when complete.",
			          build_options);
			goto out;
		default: rc = EXIT_USAGE; goto out;
		}
	}
	if (png)
		so.chart_formats |= 1u << CHART_PNG;
	if (!cli_paths_ok("build", forced, argc, optind)) {
		rc = EXIT_USAGE;
		goto out;
	}
	struct discovery d;
	memset(&d, 0, sizeof d);
	discover((const char *const *)argv + optind, (size_t)(argc - optind), forced, &d);
	discovery_compact(&d);
	if (d.nstores == 0) {
		diag_msg("no run store found in the given paths (try `runsite ls PATH`)");
		rc = EXIT_NO_INPUT;
	} else {
		rc = build_site(&d, &ro, &so);
	}
	discovery_free(&d);
out:
	goal_rules_free(&so.goals);
	free(compares);
	free(group_by);
	free(group_copy);
	free(longopts);
	free(shortopts);
	return rc;
}

