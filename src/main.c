/* main.c — the command line: parses options, then hands over to discovery,
 * the readers and the site writer. Options and help text come from one table. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runsite/diag.h"
#include "runsite/discover.h"
#include "runsite/jsonw.h"
#include "runsite/pipeline.h"
#include "runsite/reader.h"
#include "runsite/redact.h"
#include "runsite/site.h"
#include "runsite/util.h"

/* One row per option: the getopt_long array and the help text are made from it. */
struct option_row {
	const char *name;
	int has_arg;
	int key; /* short letter, or a value >= 256 */
	const char *arg;
	const char *help;
};

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
};

static const struct option_row build_options[] = {
	{"output", 1, 'o', "DIR", "write the site to DIR (default: ./site)"},
	{"force", 0, OPT_FORCE, NULL, "write over DIR even if runsite did not make it"},
	{"include-deleted", 0, OPT_INCLUDE_DELETED, NULL, "keep deleted experiments and runs"},
	{"format", 1, OPT_FORMAT, "NAME", "read every PATH as this format (see `runsite ls`)"},
	{"templates", 1, OPT_TEMPLATES, "DIR", "use the page templates in DIR instead of the built-in ones"},
	{"title", 1, OPT_TITLE, "TEXT", "the site's title (default: Runs)"},
	{"smoothing", 1, OPT_SMOOTHING, "W", "chart smoothing weight 0..0.999, 0 turns it off (default 0.6)"},
	{"x", 1, OPT_X, "AXIS", "chart x axis: step, time or relative (default step)"},
	{"log-y", 1, OPT_LOG_Y, "GLOB", "draw metrics whose key matches GLOB on a log y axis"},
	{"clip-outliers", 0, OPT_CLIP_OUTLIERS, NULL, "y range from the 1st to the 99th percentile"},
	{"chart-formats", 1, OPT_CHART_FORMATS, "LIST", "chart files to write: svg,png,pdf (default svg,png)"},
	{"no-redact", 0, OPT_NO_REDACT, NULL, "show values that look like secrets"},
	{"jobs", 1, 'j', "N", "worker threads (output does not depend on it)"},
	{"quiet", 0, 'q', NULL, "no progress line and no warnings on stderr"},
	{"help", 0, 'h', NULL, "show this help"},
	{NULL, 0, 0, NULL, NULL},
};

static const struct option_row ls_options[] = {
	{"json", 0, OPT_JSON, NULL, "print the runs as JSON (the machine interface)"},
	{"include-deleted", 0, OPT_INCLUDE_DELETED, NULL, "keep deleted experiments and runs"},
	{"format", 1, OPT_FORMAT, "NAME", "read every PATH as this format"},
	{"no-redact", 0, OPT_NO_REDACT, NULL, "show values that look like secrets"},
	{"quiet", 0, 'q', NULL, "no warnings on stderr"},
	{"help", 0, 'h', NULL, "show this help"},
	{NULL, 0, 0, NULL, NULL},
};

static const char exit_codes_help[] =
	"Exit status:\n"
	"  0  success (warnings about parts of a store may have been printed)\n"
	"  2  usage error\n"
	"  3  nothing could be read: no run store found, or none could be opened\n"
	"  4  the site could not be written (the previous site is left whole)\n";

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

static void usage_main(FILE *out)
{
	fputs("usage: runsite COMMAND [OPTION...] PATH...\n"
	      "\n"
	      "runsite reads ML run stores and writes a static HTML report site.\n"
	      "\n"
	      "Commands:\n"
	      "  build PATH... [-o DIR]   write the report site (default ./site)\n"
	      "  ls [--json] PATH...      say what runsite reads at each path, and what it skips\n"
	      "\n"
	      "Formats read:\n",
	      out);
	for (size_t i = 0; reader_table[i]; i++)
		fprintf(out, "  %-16s %s\n", reader_table[i]->name, reader_table[i]->what);
	fputs("\n`runsite COMMAND --help` shows a command's options; `man runsite` has the rest.\n\n",
	      out);
	fputs(exit_codes_help, out);
}

static void usage_command(FILE *out, const char *synopsis, const char *about,
                          const struct option_row *rows)
{
	fprintf(out, "usage: %s\n\n%s\n\nOptions:\n", synopsis, about);
	print_options(out, rows);
	fputc('\n', out);
	fputs(exit_codes_help, out);
}

/* Builds the getopt_long array and short-option string from a table. Caller frees both. */
static struct option *make_getopt(const struct option_row *rows, char **shortopts)
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

static int parse_double(const char *s, double lo, double hi, double *out)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || end == s || *end || !(v >= lo && v <= hi))
		return 0;
	*out = v;
	return 1;
}

/* What `runsite ls` keeps while the runs stream by. */
struct ls_state {
	struct jsonw json;
	int as_json;
};

static void ls_store_begin(void *ctx, const struct store_ref *store, size_t i, size_t n)
{
	struct ls_state *st = ctx;
	if (!st->as_json)
		printf("%s: %s store%s%s\n", store->path, store->reader->name,
		       store->also ? ", merged with " : "", store->also ? store->also->name : "");
}

static void ls_experiment(void *ctx, struct experiment *e)
{
	experiment_free(e);
}

static void json_point(struct jsonw *w, const char *key, const struct point *p, int present)
{
	jsonw_key(w, key);
	if (!present) {
		jsonw_null(w);
		return;
	}
	jsonw_begin_array(w);
	jsonw_int(w, p->step);
	jsonw_double(w, p->value);
	jsonw_end_array(w);
}

static void ls_run_json(struct ls_state *st, const struct run *r, const struct kvlist *redacted)
{
	struct jsonw *w = &st->json;
	jsonw_begin_object(w);
	jsonw_key(w, "format");
	jsonw_string(w, r->format);
	jsonw_key(w, "store");
	jsonw_string(w, r->store);
	jsonw_key(w, "id");
	jsonw_string(w, r->id);
	jsonw_key(w, "name");
	jsonw_string(w, r->name);
	jsonw_key(w, "experiment");
	jsonw_string(w, r->experiment_name);
	jsonw_key(w, "experiment_id");
	jsonw_string(w, r->experiment_id);
	jsonw_key(w, "status");
	jsonw_string(w, r->status);
	jsonw_key(w, "start_ms");
	if (r->start_ms == TIME_UNKNOWN)
		jsonw_null(w);
	else
		jsonw_int(w, r->start_ms);
	jsonw_key(w, "end_ms");
	if (r->end_ms == TIME_UNKNOWN)
		jsonw_null(w);
	else
		jsonw_int(w, r->end_ms);
	jsonw_key(w, "user");
	jsonw_string(w, r->user);
	jsonw_key(w, "parent_id");
	jsonw_string(w, r->parent_id);
	jsonw_key(w, "deleted");
	jsonw_bool(w, r->deleted);
	jsonw_key(w, "params");
	jsonw_begin_object(w);
	for (size_t i = 0; i < r->params.n; i++) {
		jsonw_key(w, r->params.items[i].key);
		jsonw_string(w, r->params.items[i].value);
	}
	jsonw_end_object(w);
	jsonw_key(w, "tags");
	jsonw_begin_object(w);
	for (size_t i = 0; i < r->tags.n; i++) {
		jsonw_key(w, r->tags.items[i].key);
		jsonw_string(w, r->tags.items[i].value);
	}
	jsonw_end_object(w);
	jsonw_key(w, "metrics");
	jsonw_begin_object(w);
	for (size_t i = 0; i < r->nmetrics; i++) {
		const struct series *s = &r->metrics[i];
		jsonw_key(w, s->key);
		jsonw_begin_object(w);
		jsonw_key(w, "count");
		jsonw_int(w, (int64_t)s->sum.count);
		jsonw_key(w, "nonfinite");
		jsonw_int(w, (int64_t)(s->sum.nan_count + s->sum.inf_count));
		jsonw_key(w, "nan");
		jsonw_int(w, (int64_t)s->sum.nan_count);
		jsonw_key(w, "inf");
		jsonw_int(w, (int64_t)s->sum.inf_count);
		json_point(w, "first", &s->sum.first, s->sum.count > 0);
		json_point(w, "last", &s->sum.last, s->sum.count > 0);
		json_point(w, "min", &s->sum.min, s->sum.has_finite);
		json_point(w, "max", &s->sum.max, s->sum.has_finite);
		if (s->dropped) {
			jsonw_key(w, "dropped");
			jsonw_int(w, (int64_t)s->dropped);
		}
		jsonw_end_object(w);
	}
	jsonw_end_object(w);
	jsonw_key(w, "artifacts");
	jsonw_begin_array(w);
	for (size_t i = 0; i < r->nartifacts; i++) {
		jsonw_begin_object(w);
		jsonw_key(w, "path");
		jsonw_string(w, r->artifacts[i].path);
		jsonw_key(w, "size");
		if (r->artifacts[i].size < 0)
			jsonw_null(w);
		else
			jsonw_int(w, r->artifacts[i].size);
		jsonw_end_object(w);
	}
	jsonw_end_array(w);
	jsonw_key(w, "redacted");
	jsonw_begin_array(w);
	for (size_t i = 0; i < redacted->n; i++)
		jsonw_string(w, redacted->items[i].key);
	jsonw_end_array(w);
	jsonw_key(w, "datasets");
	jsonw_begin_array(w);
	for (size_t i = 0; i < r->ndatasets; i++) {
		jsonw_begin_object(w);
		jsonw_key(w, "name");
		jsonw_string(w, r->datasets[i].name);
		jsonw_key(w, "digest");
		jsonw_string(w, r->datasets[i].digest);
		jsonw_key(w, "context");
		jsonw_string(w, r->datasets[i].context);
		jsonw_end_object(w);
	}
	jsonw_end_array(w);
	jsonw_end_object(w);
}

static void ls_run_text(const struct run *r, const struct kvlist *redacted)
{
	uint64_t points = 0;
	for (size_t i = 0; i < r->nmetrics; i++)
		points += r->metrics[i].sum.count;
	printf("  run %s  \"%s\"  experiment \"%s\"  %s%s  %zu params, %zu metrics, %" PRIu64
	       " points, %zu artifacts\n",
	       r->id, r->name, r->experiment_name ? r->experiment_name : "", r->status,
	       r->deleted ? " (deleted)" : "", r->params.n, r->nmetrics, points, r->nartifacts);
	for (size_t i = 0; i < redacted->n; i++)
		printf("    redacted %s (looks like a secret; --no-redact shows it)\n",
		       redacted->items[i].key);
}

static int ls_run(void *ctx, struct run *r, const struct kvlist *redacted)
{
	struct ls_state *st = ctx;
	if (st->as_json)
		ls_run_json(st, r, redacted);
	else
		ls_run_text(r, redacted);
	run_free(r);
	return 1;
}

static int cmd_ls(int argc, char **argv)
{
	struct ls_state st;
	memset(&st, 0, sizeof st);
	struct reader_opts ropts = {.include_deleted = false, .dec_buckets = 0};
	bool redact = true;
	const char *forced = NULL;
	char *shortopts;
	struct option *longopts = make_getopt(ls_options, &shortopts);
	int c, rc = EXIT_OK;
	optind = 1;
	while ((c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
		switch (c) {
		case OPT_JSON: st.as_json = 1; break;
		case OPT_NO_REDACT: redact = false; break;
		case OPT_INCLUDE_DELETED: ropts.include_deleted = true; break;
		case OPT_FORMAT: forced = optarg; break;
		case 'q': diag_set_quiet(1); break;
		case 'h':
			usage_command(stdout, "runsite ls [--json] [OPTION...] PATH...",
			              "Says what runsite reads at each PATH (format, experiments, runs,\n"
			              "metrics) and what it skips, and why.",
			              ls_options);
			goto out;
		default: rc = EXIT_USAGE; goto out;
		}
	}
	if (forced && !reader_by_name(forced)) {
		diag_msg("unknown format '%s' (see `runsite --help`)", forced);
		rc = EXIT_USAGE;
		goto out;
	}
	if (optind >= argc) {
		diag_msg("ls: no PATH given (try `runsite ls --help`)");
		rc = EXIT_USAGE;
		goto out;
	}
	struct discovery d;
	memset(&d, 0, sizeof d);
	discover((const char *const *)argv + optind, (size_t)(argc - optind), forced, &d);
	struct pipeline_consumer consumer = {&st, ls_store_begin, ls_experiment, ls_run};
	struct pipeline_stats stats;
	memset(&stats, 0, sizeof stats);
	struct jsonw *w = &st.json;
	if (st.as_json) {
		jsonw_init(w, stdout);
		jsonw_begin_object(w);
		jsonw_key(w, "runs");
		jsonw_begin_array(w);
	}
	pipeline_read(&d, &ropts, redact, &consumer, &stats);
	if (st.as_json) {
		jsonw_end_array(w);
		jsonw_key(w, "stores");
		jsonw_begin_array(w);
		for (size_t i = 0; i < d.nstores; i++) {
			jsonw_begin_object(w);
			jsonw_key(w, "path");
			jsonw_string(w, d.stores[i].path);
			jsonw_key(w, "format");
			jsonw_string(w, d.stores[i].reader->name);
			if (d.stores[i].also) {
				jsonw_key(w, "merged_with");
				jsonw_string(w, d.stores[i].also->name);
			}
			jsonw_end_object(w);
		}
		jsonw_end_array(w);
		jsonw_key(w, "skipped");
		jsonw_begin_array(w);
		for (size_t i = 0; i < d.nskipped + stats.duplicates.n; i++) {
			int dup = i >= d.nskipped;
			const struct kv *k = dup ? &stats.duplicates.items[i - d.nskipped] : NULL;
			jsonw_begin_object(w);
			jsonw_key(w, "path");
			jsonw_string(w, dup ? k->key : d.skipped[i].path);
			jsonw_key(w, "why");
			jsonw_string(w, dup ? k->value : d.skipped[i].why);
			jsonw_end_object(w);
		}
		jsonw_end_array(w);
		jsonw_end_object(w);
		fputc('\n', stdout);
	} else {
		for (size_t i = 0; i < d.nskipped; i++)
			printf("skipped %s: %s\n", d.skipped[i].path, d.skipped[i].why);
		for (size_t i = 0; i < stats.duplicates.n; i++)
			printf("skipped in %s: %s\n", stats.duplicates.items[i].key,
			       stats.duplicates.items[i].value);
		printf("%zu runs from %zu stores\n", stats.runs, d.nstores);
	}
	if (d.nstores == 0 || stats.unreadable_stores == d.nstores)
		rc = EXIT_NO_INPUT;
	pipeline_stats_free(&stats);
	discovery_free(&d);
out:
	free(longopts);
	free(shortopts);
	return rc;
}

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

static int cmd_build(int argc, char **argv)
{
	struct site_opts so;
	site_opts_defaults(&so);
	struct reader_opts ro = {.include_deleted = false, .dec_buckets = 512};
	const char *forced = NULL;
	char *shortopts;
	struct option *longopts = make_getopt(build_options, &shortopts);
	int c, rc = EXIT_OK;
	optind = 1;
	while ((c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
		switch (c) {
		case 'o': so.out_dir = optarg; break;
		case OPT_FORCE: so.force = true; break;
		case OPT_INCLUDE_DELETED: ro.include_deleted = true; break;
		case OPT_FORMAT: forced = optarg; break;
		case OPT_TEMPLATES: so.templates_dir = optarg; break;
		case OPT_TITLE: so.title = optarg; break;
		case OPT_SMOOTHING:
			if (!parse_double(optarg, 0, 0.999, &so.smoothing)) {
				diag_msg("--smoothing takes a number from 0 to 0.999, not '%s'", optarg);
				rc = EXIT_USAGE;
				goto out;
			}
			break;
		case OPT_X:
			if (strcmp(optarg, "step") == 0)
				so.x_kind = CHART_X_STEP;
			else if (strcmp(optarg, "time") == 0)
				so.x_kind = CHART_X_TIME;
			else if (strcmp(optarg, "relative") == 0)
				so.x_kind = CHART_X_RELATIVE;
			else {
				diag_msg("--x takes step, time or relative, not '%s'", optarg);
				rc = EXIT_USAGE;
				goto out;
			}
			break;
		case OPT_LOG_Y: so.log_y_pattern = optarg; break;
		case OPT_CLIP_OUTLIERS: so.clip_outliers = true; break;
		case OPT_NO_REDACT: so.no_redact = true; break;
		case OPT_CHART_FORMATS:
			so.chart_formats = parse_chart_formats(optarg);
			if (!so.chart_formats) {
				diag_msg("--chart-formats takes a list of svg, png and pdf, not '%s'",
				         optarg);
				rc = EXIT_USAGE;
				goto out;
			}
			break;
		case 'j': {
			double j;
			if (!parse_double(optarg, 1, 256, &j) || j != (int)j) {
				diag_msg("--jobs takes a whole number from 1 to 256, not '%s'", optarg);
				rc = EXIT_USAGE;
				goto out;
			}
			so.jobs = (int)j;
			break;
		}
		case 'q':
			so.quiet = true;
			diag_set_quiet(1);
			break;
		case 'h':
			usage_command(stdout, "runsite build [OPTION...] PATH... [-o DIR]",
			              "Reads the run stores at and below each PATH (MLflow mlruns/ folders\n"
			              "and mlflow.db files, ...) and writes a static report site to DIR.\n"
			              "The site is built beside DIR and moved into place only when complete.",
			              build_options);
			goto out;
		default: rc = EXIT_USAGE; goto out;
		}
	}
	if (forced && !reader_by_name(forced)) {
		diag_msg("unknown format '%s' (see `runsite --help`)", forced);
		rc = EXIT_USAGE;
		goto out;
	}
	if (optind >= argc) {
		diag_msg("build: no PATH given (try `runsite build --help`)");
		rc = EXIT_USAGE;
		goto out;
	}
	struct discovery d;
	memset(&d, 0, sizeof d);
	discover((const char *const *)argv + optind, (size_t)(argc - optind), forced, &d);
	if (d.nstores == 0) {
		diag_msg("no run store found in the given paths (try `runsite ls PATH`)");
		rc = EXIT_NO_INPUT;
	} else {
		rc = site_build(&d, &ro, &so);
	}
	discovery_free(&d);
out:
	free(longopts);
	free(shortopts);
	return rc;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage_main(stderr);
		return EXIT_USAGE;
	}
	const char *cmd = argv[1];
	if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
		usage_main(stdout);
		return EXIT_OK;
	}
	if (strcmp(cmd, "--version") == 0) {
		printf("runsite %s\n", RUNSITE_VERSION);
		return EXIT_OK;
	}
	if (strcmp(cmd, "build") == 0)
		return cmd_build(argc - 1, argv + 1);
	if (strcmp(cmd, "ls") == 0)
		return cmd_ls(argc - 1, argv + 1);
	diag_msg("unknown command '%s' (try `runsite --help`)", cmd);
	return EXIT_USAGE;
}
