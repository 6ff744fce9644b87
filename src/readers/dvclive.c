/* dvclive.c — DVCLive output folders, every layout from 0.x to 3.x:
 *   3.x/2.x/1.x  <dir>/metrics.json, <dir>/params.yaml, <dir>/plots/metrics/ (TSVs, nested)
 *   0.5.1–0.12   <dir>.json beside the folder, <dir>/scalars/ (TSVs, nested)
 *   0.0–0.5.0    <dir>.json beside the folder, TSVs directly in <dir>
 * A history file has the columns [timestamp] step <name>; its metric key is
 * its path below the history folder without ".tsv" ("train/loss").
 * report.md becomes the run's notes. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runsite/diag.h"
#include "runsite/fsview.h"
#include "runsite/reader.h"
#include "runsite/util.h"
#include "csvparse.h"
#include "runsite/yamlkv.h"

#define DL_MAX_FILE ((size_t)1 << 32)
#define DL_MAX_DEPTH 8

/* Whether the first line of the TSV at path is a DVCLive history header. */
static int tsv_header_ok(const char *path, int need_timestamp)
{
	char *line = csv_first_line(path, 4096);
	int ok = line && (str_starts(line, "timestamp\tstep\t") ||
	                  (!need_timestamp && str_starts(line, "step\t")));
	free(line);
	return ok;
}

/* Whether dir directly holds a .tsv history file. */
static int has_tsv(const char *dir, int need_timestamp)
{
	size_t n;
	int found = 0;
	char **names = fsview_list_sorted(dir, &n);
	for (size_t i = 0; names && i < n && !found; i++) {
		if (!str_ends(names[i], ".tsv"))
			continue;
		char *p = path_join(dir, names[i]);
		found = tsv_header_ok(p, need_timestamp);
		free(p);
	}
	free_names(names, n);
	return found;
}

/* The 0.x summary "<dir>.json" beside dir. Caller frees. */
static char *sibling_json(const char *dir)
{
	size_t l = strlen(dir);
	while (l > 1 && dir[l - 1] == '/')
		l--;
	return xasprintf("%.*s.json", (int)l, dir);
}

/* Whether the dvc.yaml in dir is one DVCLive wrote for itself (2.x): it
 * lists metrics.json and defines no stages. */
static int own_dvcyaml(const char *dir)
{
	char *p = path_join(dir, "dvc.yaml");
	struct buf b = BUF_INIT;
	int ok = csv_is_file(p) && read_file(p, &b, 1 << 20) && b.data &&
	         strstr(b.data, "metrics.json") && !strstr(b.data, "stages:");
	buf_free(&b);
	free(p);
	return ok;
}

static int file_in(const char *dir, const char *name)
{
	char *p = path_join(dir, name);
	int ok = csv_is_file(p);
	free(p);
	return ok;
}

/* Whether dir holds one of the plot folders DVCLive writes besides metrics
 * (plots/sklearn for evaluation, plots/images, plots/custom). */
static int has_other_plots(const char *dir)
{
	static const char *const kinds[] = {"plots/sklearn", "plots/images", "plots/custom"};
	int found = 0;
	for (size_t i = 0; i < sizeof kinds / sizeof *kinds && !found; i++) {
		char *p = path_join(dir, kinds[i]);
		found = csv_is_dir(p);
		free(p);
	}
	return found;
}

static int probe(const char *path)
{
	if (!csv_is_dir(path))
		return 0;
	/* A history folder of a DVCLive folder (scalars/, plots/metrics/) is
	 * part of its run, not a run inside it. */
	char *base = csv_dir_name(path, 0), *parent = csv_dir_name(path, 1);
	int history = strcmp(base, "scalars") == 0 || strcmp(parent, "plots") == 0;
	free(base);
	free(parent);
	if (history)
		return 0;
	int score = 0;
	char *p = path_join(path, "plots/metrics"), *s = path_join(path, "scalars");
	char *j = sibling_json(path);
	if (csv_is_dir(p))
		score = 60;
	else if ((csv_is_dir(s) && has_tsv(s, 0)) || has_tsv(path, 1))
		score = csv_is_file(j) ? 60 : 40;
	else if (file_in(path, "metrics.json") &&
	         (file_in(path, "report.md") || file_in(path, "report.html") || own_dvcyaml(path) ||
	          has_other_plots(path)))
		score = 45;
	free(p);
	free(s);
	free(j);
	return score;
}

/* Reads one history file into r under key. */
static void read_tsv(struct run *r, const char *path, const char *key)
{
	struct buf b = BUF_INIT;
	struct csv_parser cp;
	struct csv_warns w = {path, 0};
	size_t *idx = NULL;
	csv_init(&cp, NULL, 0, '\t', 0);
	if (!read_file(path, &b, DL_MAX_FILE)) {
		diag_warn(path, 0, "cannot read: %s", strerror(errno));
		goto out;
	}
	csv_init(&cp, b.data ? b.data : (char *)"", b.size, '\t', 0);
	size_t ncols = csv_next(&cp), tcol = SIZE_MAX, scol = SIZE_MAX;
	if (ncols == 0)
		goto out;
	for (size_t i = 0; i < ncols; i++) {
		const char *c = cp.fields[i].s;
		if (strcmp(c, "timestamp") == 0 && tcol == SIZE_MAX)
			tcol = i;
		else if (strcmp(c, "step") == 0 && scol == SIZE_MAX)
			scol = i;
	}
	/* One value column is the metric itself; more are named after it. */
	unsigned char *skip = xcalloc(ncols, 1);
	if (tcol != SIZE_MAX)
		skip[tcol] = 1;
	if (scol != SIZE_MAX)
		skip[scol] = 1;
	idx = csv_columns_to_series(r, &cp, skip, key);
	free(skip);
	size_t row = 0;
	while (csv_next(&cp)) {
		struct csv_field *f = cp.fields;
		size_t n = cp.nfields < ncols ? cp.nfields : ncols;
		int64_t step = (int64_t)row++, t = 0;
		if (scol != SIZE_MAX && (scol >= n || !csv_int64(f[scol].s, f[scol].len, &step))) {
			csv_warn(&w, cp.line, "step is not an integer; row skipped");
			continue;
		}
		if (tcol != SIZE_MAX && tcol < n && !csv_int64(f[tcol].s, f[tcol].len, &t)) {
			csv_warn(&w, cp.line, "timestamp '%.40s' is not an integer", f[tcol].s);
			t = 0;
		}
		if (t) {
			if (r->start_ms == TIME_UNKNOWN || t < r->start_ms)
				r->start_ms = t;
			if (r->end_ms == TIME_UNKNOWN || t > r->end_ms)
				r->end_ms = t;
		}
		for (size_t i = 0; i < n; i++) {
			double v;
			if (idx[i] == SIZE_MAX || f[i].len == 0)
				continue;
			if (!csv_number(f[i].s, f[i].len, &v)) {
				csv_warn(&w, cp.line, "'%.40s' is not a number; cell skipped", f[i].s);
				continue;
			}
			series_add(&r->metrics[idx[i]], step, t, v);
		}
	}
	if (cp.open_quote)
		csv_warn(&w, cp.open_quote, "a quoted field is not closed before the end of the file");
out:
	csv_warn_end(&w);
	csv_free(&cp);
	free(idx);
	buf_free(&b);
}

/* Reads every .tsv below dir (sorted, recursively) with keys prefixed by
 * prefix ("" at the top). */
static void read_tsv_tree(struct run *r, const char *dir, const char *prefix, int recurse,
                          int depth)
{
	size_t n;
	char **names = list_dir_sorted(dir, &n);
	if (!names) {
		diag_warn(dir, 0, "cannot read folder: %s", strerror(errno));
		return;
	}
	for (size_t i = 0; i < n; i++) {
		char *p = path_join(dir, names[i]);
		char *key = *prefix ? xasprintf("%s/%s", prefix, names[i]) : xstrdup(names[i]);
		if (str_ends(names[i], ".tsv") && csv_file_or_warn(p)) {
			key[strlen(key) - 4] = '\0';
			read_tsv(r, p, key);
		} else if (recurse && names[i][0] != '.' && csv_is_dir(p) && depth < DL_MAX_DEPTH) {
			read_tsv_tree(r, p, key, recurse, depth + 1);
		}
		free(key);
		free(p);
	}
	free_names(names, n);
}

/* Adds the summary values under v (nested objects joined with '/'): a
 * number the histories do not hold becomes one point at step; text a tag. */
static void read_summary_value(struct run *r, const char *key, json_t *v, int64_t step,
                               size_t nhist, int depth)
{
	if (json_is_object(v) && depth < DL_MAX_DEPTH) {
		const char *k;
		json_t *x;
		json_object_foreach(v, k, x) {
			char *sub = *key ? xasprintf("%s/%s", key, k) : xstrdup(k);
			/* The top-level "step" is the summary's step, not a metric. */
			if (!(depth == 0 && strcmp(k, "step") == 0))
				read_summary_value(r, sub, x, step, nhist, depth + 1);
			free(sub);
		}
		return;
	}
	double d;
	if (json_to_double(v, 1, &d)) {
		const struct series *s = run_find_series(r, key);
		if (s && (size_t)(s - r->metrics) < nhist)
			return; /* the history holds it, with its real step */
		struct series *ns = run_series(r, key);
		if (ns->n == 0)
			series_add(ns, step, 0, d);
		return;
	}
	char *t = json_to_text(v);
	kvlist_add(&r->tags, key, t);
	free(t);
}

static void read_summary(struct run *r, const char *path)
{
	struct buf b = BUF_INIT;
	if (!read_file(path, &b, 64u << 20)) {
		diag_warn(path, 0, "cannot read: %s", strerror(errno));
		buf_free(&b);
		return;
	}
	json_t *j = json_parse_lenient(b.data ? b.data : "", b.size, path);
	buf_free(&b);
	if (!j)
		return;
	if (!json_is_object(j)) {
		diag_warn(path, 0, "not a JSON object; left out");
		json_decref(j);
		return;
	}
	/* Summary values sit at the summary's step, else after the last point. */
	double sd;
	int64_t step = 0;
	if (json_to_double(json_object_get(j, "step"), 0, &sd) && sd == sd && sd > -9e18 &&
	    sd < 9e18)
		step = (int64_t)sd;
	else
		for (size_t i = 0; i < r->nmetrics; i++)
			for (size_t k = 0; k < r->metrics[i].n; k++)
				if (r->metrics[i].pts[k].step > step)
					step = r->metrics[i].pts[k].step;
	read_summary_value(r, "", j, step, r->nmetrics, 0);
	json_decref(j);
}

/* Counts the files below dir (recursively, bounded), for extras. */
static size_t count_files(const char *dir, int depth)
{
	size_t n, total = 0;
	char **names = list_dir_sorted(dir, &n);
	for (size_t i = 0; names && i < n; i++) {
		if (names[i][0] == '.')
			continue;
		char *p = path_join(dir, names[i]);
		if (csv_is_dir(p)) {
			if (depth < DL_MAX_DEPTH)
				total += count_files(p, depth + 1);
		} else {
			total++;
		}
		free(p);
	}
	free_names(names, n);
	return total;
}

static void add_count(struct run *r, const char *dir, const char *sub, const char *what)
{
	char *p = path_join(dir, sub);
	size_t n = csv_is_dir(p) ? count_files(p, 0) : 0;
	free(p);
	if (n) {
		char num[32];
		snprintf(num, sizeof num, "%zu", n);
		kvlist_add(&r->extras, what, num);
	}
}

/* The project a DVCLive folder belongs to: the nearest folder above it
 * holding dvc.yaml, dvc.lock or .dvc, else its parent. Caller frees. */
static char *project_name(const char *dir)
{
	char *up = xstrdup(dir);
	for (int i = 1; i <= 4; i++) {
		char *next = path_join(up, "..");
		free(up);
		up = next;
		char *a = path_join(up, "dvc.yaml"), *b = path_join(up, "dvc.lock"), *c = path_join(up, ".dvc");
		int found = csv_is_file(a) || csv_is_file(b) || csv_is_dir(c);
		free(a);
		free(b);
		free(c);
		if (found) {
			char *name = csv_dir_name(up, 0);
			free(up);
			return name;
		}
	}
	free(up);
	return csv_dir_name(dir, 1);
}

/* The last build's run of folder path when none of the files read_store
 * reads of it has changed (reader.h): everything below it, the summary
 * beside it, the project's params.yaml and the folders project_name looks
 * at. Else NULL. */
static struct run *cached_run(struct run_sink *sink, const char *path)
{
	struct run_files *f = run_files_new(sink);
	if (!f)
		return NULL;
	run_files_add_tree(f, path);
	char *p = sibling_json(path);
	run_files_add(f, p);
	free(p);
	char *up = xstrdup(path);
	for (int i = 1; i <= 4; i++) {
		char *next = path_join(up, "..");
		free(up);
		up = next;
		const char *const names[] = {"dvc.yaml", "dvc.lock", ".dvc", "params.yaml"};
		for (size_t k = 0; k < 4; k++) {
			p = path_join(up, names[k]);
			run_files_add(f, p);
			free(p);
		}
	}
	free(up);
	return run_sink_cached(sink, path, f);
}

static long read_store(const char *path, const struct reader_opts *opts, struct run_sink *sink)
{
	if (!csv_is_dir(path)) {
		diag_warn(path, 0, "not a DVCLive folder");
		return -1;
	}
	struct run *r = cached_run(sink, path);
	if (r) {
		sink->run(sink->ctx, r);
		return 1;
	}
	r = run_new("dvclive", path);
	r->id = xstrdup(".");
	r->name = csv_dir_name(path, 0);
	if (strcmp(r->name, "dvclive") == 0) {
		/* The default folder name says nothing; its parent does. */
		free(r->name);
		r->name = csv_dir_name(path, 1);
	}
	r->experiment_name = project_name(path);
	char *p = path_join(path, "plots/metrics"), *s = path_join(path, "scalars");
	if (csv_is_dir(p))
		read_tsv_tree(r, p, "", 1, 0);
	else if (csv_is_dir(s))
		read_tsv_tree(r, s, "", 1, 0);
	else
		read_tsv_tree(r, path, "", 0, 0);
	free(p);
	free(s);
	char *m = path_join(path, "metrics.json"), *j = sibling_json(path);
	if (csv_file_or_warn(m))
		read_summary(r, m);
	else if (csv_is_file(j))
		read_summary(r, j);
	free(m);
	free(j);
	char *params = path_join(path, "params.yaml");
	if (csv_file_or_warn(params)) {
		yamlkv_load(params, NULL, YAMLKV_SEP_DVC, &r->params);
	} else {
		/* 0.x logged no params: the DVC project's params.yaml beside the
		 * folder holds them. */
		char *up = path_join(path, "../params.yaml");
		if (csv_is_file(up))
			yamlkv_load(up, NULL, YAMLKV_SEP_DVC, &r->params);
		free(up);
	}
	free(params);
	char *notes = path_join(path, "report.md");
	run_read_notes(r, notes);
	free(notes);
	add_count(r, path, "plots/images", "images");
	add_count(r, path, "plots/sklearn", "sklearn plots");
	add_count(r, path, "plots/custom", "custom plots");
	add_count(r, path, "artifacts", "artifacts");
	run_finish(r, opts->dec_buckets);
	sink->run(sink->ctx, r);
	return 1;
}

const struct reader reader_dvclive = {
	.name = "dvclive",
	.what = "DVCLive folders, 0.x to 3.x (metrics.json or <dir>.json, plots/metrics or scalars TSVs)",
	.probe = probe,
	.read = read_store,
	.nests = true, /* Live(dir="dvclive/fold_1") inside a DVCLive folder */
};
