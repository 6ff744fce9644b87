/* cmd_ls.c — `runsite ls`: what runsite reads at each path, what it skips and
 * why; with --json, the machine interface (its shape is in the man page). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runsite/cli.h"
#include "runsite/diag.h"
#include "runsite/discover.h"
#include "runsite/jsonw.h"
#include "runsite/pipeline.h"
#include "runsite/reader.h"
#include "runsite/util.h"

static const struct option_row ls_options[] = {
	{"json", 0, OPT_JSON, NULL, "print the runs as JSON (the machine interface)"},
	{"include-deleted", 0, OPT_INCLUDE_DELETED, NULL, "keep deleted experiments and runs"},
	{"immutable", 0, OPT_IMMUTABLE, NULL, "the SQLite stores cannot change while read: read them without locks"},
	{"format", 1, OPT_FORMAT, "NAME", "read every PATH as this format"},
	{"password-file", 1, OPT_PASSWORD_FILE, "FILE", "password for postgresql:// and mysql:// URLs: FILE's first line"},
	{"no-redact", 0, OPT_NO_REDACT, NULL, "show values that look like secrets"},
	{"jobs", 1, 'j', "N", "threads reading stores (output does not depend on it)"},
	{"quiet", 0, 'q', NULL, "no warnings on stderr"},
	{"help", 0, 'h', NULL, "show this help"},
	{NULL, 0, 0, NULL, NULL},
};

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
	if (r->sources.n) {
		/* A run read from several stores: which store each part came from. */
		jsonw_key(w, "sources");
		jsonw_begin_object(w);
		for (size_t i = 0; i < r->sources.n; i++) {
			jsonw_key(w, r->sources.items[i].key);
			jsonw_string(w, r->sources.items[i].value);
		}
		jsonw_end_object(w);
	}
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

/* For a run read from several stores, one line per store with the parts
 * taken from it ("from mlruns: params, tags, artifacts"). */
static void print_sources(const struct run *r)
{
	char **stores = NULL;
	size_t n = 0, cap = 0;
	for (size_t i = 0; i < r->sources.n; i++) {
		char *list = xstrdup(r->sources.items[i].value), *save = NULL;
		for (char *t = strtok_r(list, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
			while (*t == ' ')
				t++;
			bool known = false;
			for (size_t k = 0; k < n && !known; k++)
				known = strcmp(stores[k], t) == 0;
			if (!known) {
				GROW(stores, cap, n + 1);
				stores[n++] = xstrdup(t);
			}
		}
		free(list);
	}
	for (size_t k = 0; k < n; k++) {
		printf("    from %s:", stores[k]);
		const char *sep = " ";
		for (size_t i = 0; i < r->sources.n; i++) {
			const char *v = r->sources.items[i].value, *hit = strstr(v, stores[k]);
			size_t len = strlen(stores[k]);
			/* A whole item of the comma-separated list. */
			while (hit && !((hit == v || hit[-1] == ' ') && (hit[len] == ',' || !hit[len])))
				hit = strstr(hit + 1, stores[k]);
			if (hit) {
				printf("%s%s", sep, r->sources.items[i].key);
				sep = ", ";
			}
		}
		printf("\n");
		free(stores[k]);
	}
	free(stores);
}

static void ls_run_text(const struct run *r, const struct kvlist *redacted)
{
	uint64_t points = 0, dropped = 0;
	for (size_t i = 0; i < r->nmetrics; i++) {
		points += r->metrics[i].sum.count;
		dropped += r->metrics[i].dropped;
	}
	printf("  run %s  \"%s\"  experiment \"%s\"  %s%s  %zu params, %zu metrics, %" PRIu64
	       " points, %zu artifacts\n",
	       r->id, r->name, r->experiment_name ? r->experiment_name : "", r->status,
	       r->deleted ? " (deleted)" : "", (size_t)r->params.n, (size_t)r->nmetrics, points, (size_t)r->nartifacts);
	if (dropped)
		printf("    %" PRIu64 " points dropped by the format's own rule (a restart or resume "
		       "logged over them; \"dropped\" in --json)\n",
		       dropped);
	print_sources(r);
	for (size_t i = 0; i < redacted->n; i++)
		printf("    redacted %s (looks like a secret; --no-redact shows it)\n",
		       redacted->items[i].key);
}

/* Replaces *text by its redacted form when it holds a secret. */
static void take_redacted(struct redactor *rd, char **text)
{
	char *r = redact_name(rd, *text);
	if (r) {
		free(*text);
		*text = r;
	}
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

int cmd_ls(int argc, char **argv)
{
	struct ls_state st;
	memset(&st, 0, sizeof st);
	struct reader_opts ropts = {.include_deleted = false, .dec_buckets = 0, .summaries_only = true};
	bool redact = true;
	const char *forced = NULL;
	char *shortopts;
	struct option *longopts = cli_getopt(ls_options, &shortopts);
	int c, rc = EXIT_OK;
	optind = 1;
	while ((c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
		switch (c) {
		case OPT_JSON: st.as_json = 1; break;
		case OPT_NO_REDACT: redact = false; break;
		case OPT_INCLUDE_DELETED: ropts.include_deleted = true; break;
		case OPT_IMMUTABLE: ropts.immutable = true; break;
		case OPT_FORMAT: forced = optarg; break;
		case OPT_PASSWORD_FILE: server_password_file(optarg); break;
		case 'j':
			if (!cli_parse_jobs(optarg, &ropts.jobs)) {
				rc = EXIT_USAGE;
				goto out;
			}
			break;
		case 'q': diag_set_quiet(1); break;
		case 'h':
			cli_usage(stdout, "runsite ls [--json] [OPTION...] PATH...",
			          "Says what runsite reads at each PATH (format, experiments, runs,\n"
			          "metrics) and what it skips, and why.",
			          ls_options);
			goto out;
		default: rc = EXIT_USAGE; goto out;
		}
	}
	if (!cli_paths_ok("ls", forced, argc, optind)) {
		rc = EXIT_USAGE;
		goto out;
	}
	struct discovery d;
	memset(&d, 0, sizeof d);
	discover((const char *const *)argv + optind, (size_t)(argc - optind), forced, &d);
	struct pipeline_consumer consumer = {&st, ls_store_begin, ls_experiment, ls_run, NULL};
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
	/* Paths and reasons below are store text too: redacted like the runs. */
	for (size_t i = 0; stats.redactor && i < d.nstores; i++)
		take_redacted(stats.redactor, &d.stores[i].path);
	for (size_t i = 0; stats.redactor && i < d.nskipped; i++) {
		take_redacted(stats.redactor, &d.skipped[i].path);
		take_redacted(stats.redactor, &d.skipped[i].why);
	}
	for (size_t i = 0; stats.redactor && i < stats.duplicates.n; i++) {
		take_redacted(stats.redactor, &stats.duplicates.items[i].key);
		take_redacted(stats.redactor, &stats.duplicates.items[i].value);
	}
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
		for (size_t i = 0; i < d.nskipped; i++) {
			jsonw_begin_object(w);
			jsonw_key(w, "path");
			jsonw_string(w, d.skipped[i].path);
			jsonw_key(w, "why");
			jsonw_string(w, d.skipped[i].why);
			jsonw_end_object(w);
		}
		const struct kvlist *lists[] = {&stats.unreadable, &stats.duplicates};
		for (size_t l = 0; l < 2; l++)
			for (size_t i = 0; i < lists[l]->n; i++) {
				jsonw_begin_object(w);
				jsonw_key(w, "path");
				jsonw_string(w, lists[l]->items[i].key);
				jsonw_key(w, "why");
				jsonw_string(w, lists[l]->items[i].value);
				jsonw_end_object(w);
			}
		jsonw_end_array(w);
		jsonw_end_object(w);
		fputc('\n', stdout);
	} else {
		for (size_t i = 0; i < d.nskipped; i++)
			printf("skipped %s: %s\n", d.skipped[i].path, d.skipped[i].why);
		for (size_t i = 0; i < stats.unreadable.n; i++)
			printf("skipped %s: %s\n", stats.unreadable.items[i].key,
			       stats.unreadable.items[i].value);
		for (size_t i = 0; i < stats.duplicates.n; i++)
			printf("skipped in %s: %s\n", stats.duplicates.items[i].key,
			       stats.duplicates.items[i].value);
		printf("%zu runs from %zu stores\n", stats.runs, d.nstores);
	}
	if (d.nstores == 0 || stats.unreadable_stores == d.nstores)
		rc = EXIT_NO_INPUT;
	if (stats.fatal)
		rc = stats.fatal;
	pipeline_stats_free(&stats);
	discovery_free(&d);
out:
	free(longopts);
	free(shortopts);
	return rc;
}

