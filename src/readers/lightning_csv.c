/* lightning_csv.c — PyTorch Lightning CSVLogger folders:
 * <save_dir>/<name>/version_<N>/{metrics.csv,hparams.yaml}, and the
 * pre-1.0 test-tube layout (meta_tags.csv, a created_at column, no step).
 * Rows are sparse (a training row and a validation row share a step, other
 * cells empty), the header order depends on the Lightning version, and
 * names are user text, so columns are matched by name only. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "runsite/diag.h"
#include "runsite/reader.h"
#include "runsite/util.h"
#include "csvparse.h"
#include "runsite/yamlkv.h"

#define LCSV_MAX_FILE ((size_t)1 << 34)
#define LCSV_HEADER_MAX 65536
#define LCSV_RESERVE ((size_t)64 << 20) /* bytes of points reserved up front */

enum col_kind { COL_METRIC, COL_STEP, COL_TIME };

/* Whether the first line of the CSV file at path names a "step" column
 * (legacy: a "created_at" column). */
static int header_has_step(const char *path)
{
	char *line = csv_first_line(path, LCSV_HEADER_MAX);
	if (!line)
		return 0;
	struct csv_parser cp;
	int found = 0;
	csv_init(&cp, line, strlen(line), ',', 0);
	size_t n = csv_next(&cp);
	for (size_t i = 0; i < n && !found; i++)
		found = strcmp(cp.fields[i].s, "step") == 0 || strcmp(cp.fields[i].s, "created_at") == 0;
	csv_free(&cp);
	free(line);
	return found;
}

/* 2 when dir is a Lightning run folder with metrics, 1 when it holds only
 * params (the legacy meta_tags.csv, or hparams.yaml in a version_N folder:
 * a run that stopped before logging), else 0. */
static int run_dir_kind(const char *dir)
{
	char *m = path_join(dir, "metrics.csv"), *t = path_join(dir, "meta_tags.csv");
	char *h = path_join(dir, "hparams.yaml"), *name = NULL;
	int kind = 0;
	if (csv_is_file(m) && (header_has_step(m) || csv_is_file(t)))
		kind = 2;
	else if (csv_is_file(t))
		kind = 1;
	else if (csv_is_file(h) && str_starts((name = csv_dir_name(dir, 0)), "version_"))
		kind = 1;
	free(name);
	free(m);
	free(t);
	free(h);
	return kind;
}

/* A version folder with metrics.csv is claimed here; a folder of version
 * folders is left to discovery, so each version is its own store and a
 * folder mixing event files and CSV logs still shows both. */
static int probe(const char *path)
{
	if (csv_is_dir(path)) {
		int kind = run_dir_kind(path);
		return kind == 2 ? 50 : kind == 1 ? 10 : 0;
	}
	if (str_ends(path, "/metrics.csv") || strcmp(path, "metrics.csv") == 0)
		return csv_is_file(path) && header_has_step(path) ? 45 : 0;
	return 0;
}

/* Parses a test-tube created_at "YYYY-MM-DD HH:MM:SS[.ffffff]" (read as UTC:
 * the file does not say the zone) into ms; 0 when it does not parse. */
static int64_t parse_created_at(const char *s)
{
	struct tm tm = {0};
	double frac = 0;
	if (sscanf(s, "%d-%d-%d %d:%d:%d%lf", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
	           &tm.tm_min, &tm.tm_sec, &frac) < 6)
		return 0;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	time_t t = timegm(&tm);
	if (t == (time_t)-1)
		return 0;
	return (int64_t)t * 1000 + (int64_t)(frac * 1000.0);
}

/* Adds a point to s; inlined for the common case where there is room. */
static inline void add_point(struct series *s, int64_t step, int64_t t, double v)
{
	if (s->n < s->cap)
		s->pts[s->n++] = (struct point){step, t, v};
	else
		series_add(s, step, t, v);
}

/* Reads one row the general way (quotes, words such as "nan", timestamps,
 * bad cells), with step defaulting to the row's index. */
static void read_row(struct run *r, struct csv_parser *cp, struct csv_warns *w,
                     const enum col_kind *kind, const size_t *idx, size_t ncols, int64_t step)
{
	struct csv_field *f = cp->fields;
	size_t n = cp->nfields;
	int64_t t = 0;
	if (n > ncols) {
		csv_warn(w, cp->line, "%zu fields, but the header has %zu; the extra ones are left out",
		         n, ncols);
		n = ncols;
	}
	int have_step = 0;
	for (size_t i = 0; i < n; i++) {
		if (kind[i] == COL_STEP) {
			if (!csv_int64(f[i].s, f[i].len, &step)) {
				csv_warn(w, cp->line, "step '%.40s' is not an integer; row skipped", f[i].s);
				return;
			}
			have_step = 1;
		} else if (kind[i] == COL_TIME && f[i].len) {
			t = parse_created_at(f[i].s);
			if (t && (r->start_ms == TIME_UNKNOWN || t < r->start_ms))
				r->start_ms = t;
			if (t && (r->end_ms == TIME_UNKNOWN || t > r->end_ms))
				r->end_ms = t;
		}
	}
	for (size_t i = 0; i < ncols && !have_step; i++)
		if (kind[i] == COL_STEP) {
			csv_warn(w, cp->line, "no step; row skipped");
			return;
		}
	for (size_t i = 0; i < n; i++) {
		if (kind[i] != COL_METRIC || (f[i].len == 0 && !f[i].quoted))
			continue;
		double v;
		if (!csv_number(f[i].s, f[i].len, &v)) {
			csv_warn(w, cp->line, "column '%s': '%.40s' is not a number; cell skipped",
			         r->metrics[idx[i]].key, f[i].s);
			continue;
		}
		add_point(&r->metrics[idx[i]], step, t, v);
	}
}

/* Reads the metrics file at path into r. Returns 0 when it cannot be read
 * at all (reported). */
static int read_metrics(struct run *r, const char *path)
{
	struct buf b = BUF_INIT;
	struct csv_parser cp;
	struct csv_warns w = {path, 0};
	enum col_kind *kind = NULL;
	size_t *idx = NULL, ncols = 0, row = 0, step_col = SIZE_MAX;
	double *vals = NULL;
	unsigned char *present = NULL;
	int ok = 0;
	csv_init(&cp, NULL, 0, ',', 0);
	if (!read_file(path, &b, LCSV_MAX_FILE)) {
		diag_warn(path, 0, "cannot read: %s", strerror(errno));
		goto out;
	}
	csv_init(&cp, b.data ? b.data : (char *)"", b.size, ',', 0);
	ncols = csv_next(&cp);
	ok = 1;
	if (ncols == 0)
		goto out; /* an empty file: a run that logged nothing yet */
	kind = xreallocarray(NULL, ncols, sizeof *kind);
	unsigned char *skip = xcalloc(ncols, 1);
	for (size_t i = 0; i < ncols; i++) {
		const char *name = cp.fields[i].s;
		if (strcmp(name, "step") == 0 && step_col == SIZE_MAX) {
			kind[i] = COL_STEP;
			step_col = i;
		} else if (strcmp(name, "created_at") == 0) {
			kind[i] = COL_TIME;
		} else {
			kind[i] = COL_METRIC;
		}
		skip[i] = kind[i] != COL_METRIC;
	}
	idx = csv_columns_to_series(r, &cp, skip, NULL);
	free(skip);
	/* Room for one point per line in every series, when that is modest, so
	 * the series do not grow by copying in the hot loop. */
	size_t lines = 0;
	for (const char *q = cp.p; (q = memchr(q, '\n', (size_t)(cp.end - q))) != NULL; q++)
		lines++;
	if (lines * ncols * sizeof(struct point) <= LCSV_RESERVE)
		for (size_t i = 0; i < ncols; i++)
			if (kind[i] == COL_METRIC && r->metrics[idx[i]].cap < lines + 1) {
				struct series *s = &r->metrics[idx[i]];
				s->pts = xreallocarray(s->pts, lines + 1, sizeof *s->pts);
				s->cap = lines + 1;
			}
	vals = xreallocarray(NULL, ncols, sizeof *vals);
	present = xmalloc(ncols);
	for (;;) {
		long fast = csv_next_numbers(&cp, vals, present, ncols);
		if (fast == 0)
			break;
		row++;
		if (fast > 0) {
			/* The usual row: numbers and empty cells only. */
			int64_t step = (int64_t)row - 1;
			if (step_col != SIZE_MAX && (size_t)fast > step_col) {
				double sv = vals[step_col];
				if (!present[step_col] || sv != (double)(int64_t)sv) {
					csv_warn(&w, cp.line, "step is not an integer; row skipped");
					continue;
				}
				step = (int64_t)sv;
			} else if (step_col != SIZE_MAX) {
				csv_warn(&w, cp.line, "no step; row skipped");
				continue;
			}
			for (size_t i = 0; i < (size_t)fast; i++)
				if (present[i] && kind[i] == COL_METRIC)
					add_point(&r->metrics[idx[i]], step, 0, vals[i]);
			continue;
		}
		if (!csv_next(&cp))
			break;
		read_row(r, &cp, &w, kind, idx, ncols, (int64_t)row - 1);
	}
	if (cp.open_quote)
		csv_warn(&w, cp.open_quote, "a quoted field is not closed before the end of the file");
out:
	csv_warn_end(&w);
	csv_free(&cp);
	free(kind);
	free(idx);
	free(vals);
	free(present);
	buf_free(&b);
	return ok;
}

/* Legacy meta_tags.csv: "key,value" rows become params. */
static void read_meta_tags(struct run *r, const char *path)
{
	struct buf b = BUF_INIT;
	struct csv_parser cp;
	if (!read_file(path, &b, 16u << 20)) {
		diag_warn(path, 0, "cannot read: %s", strerror(errno));
		buf_free(&b);
		return;
	}
	csv_init(&cp, b.data ? b.data : (char *)"", b.size, ',', 0);
	int first = 1;
	while (csv_next(&cp)) {
		if (first && cp.nfields == 2 && strcmp(cp.fields[0].s, "key") == 0 &&
		    strcmp(cp.fields[1].s, "value") == 0) {
			first = 0;
			continue;
		}
		first = 0;
		if (cp.nfields < 2) {
			diag_warn(path, cp.line, "expected key,value; row skipped");
			continue;
		}
		kvlist_add(&r->params, cp.fields[0].s, cp.fields[1].s);
	}
	csv_free(&cp);
	buf_free(&b);
}

/* Counts what the folder holds beside the logs, for `ls` and the run page. */
static void count_extras(struct run *r, const char *dir)
{
	size_t n, ckpt = 0, events = 0;
	char **names = list_dir_sorted(dir, &n);
	for (size_t i = 0; names && i < n; i++)
		if (strstr(names[i], "tfevents"))
			events++;
	free_names(names, n);
	char *cdir = path_join(dir, "checkpoints");
	names = list_dir_sorted(cdir, &n);
	for (size_t i = 0; names && i < n; i++)
		if (str_ends(names[i], ".ckpt")) {
			char *p = path_join(cdir, names[i]), *rel = path_join("checkpoints", names[i]);
			struct stat st;
			run_add_artifact(r, rel, stat(p, &st) == 0 ? (int64_t)st.st_size : -1);
			ckpt++;
			free(p);
			free(rel);
		}
	free_names(names, n);
	free(cdir);
	char num[32];
	if (ckpt) {
		snprintf(num, sizeof num, "%zu", ckpt);
		kvlist_add(&r->extras, "checkpoints", num);
	}
	if (events) {
		snprintf(num, sizeof num, "%zu", events);
		kvlist_add(&r->extras, "TensorBoard event files", num);
	}
}

/* The last build's run of folder dir when none of the files read_run
 * reads of it has changed (reader.h), else NULL. */
static struct run *cached_run(struct run_sink *sink, const char *dir, const char *metrics_path,
                              const char *id)
{
	struct run_files *f = run_files_new(sink);
	if (!f)
		return NULL;
	run_files_add_text(f, id);
	run_files_add(f, dir); /* its listing: the event files counted */
	run_files_add(f, metrics_path);
	const char *const names[] = {"hparams.yaml", "meta_tags.csv", RUN_NOTES_FILE};
	for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
		char *p = path_join(dir, names[i]);
		run_files_add(f, p);
		free(p);
	}
	char *cdir = path_join(dir, "checkpoints");
	run_files_add_tree(f, cdir);
	free(cdir);
	return run_sink_cached(sink, dir, f);
}

/* Reads the run in folder dir (metrics from metrics_path, which may be a
 * file named otherwise when given directly) and hands it to sink.
 * Returns the sink's answer, or -1 when nothing could be read. */
static int read_run(const char *store, const char *dir, const char *metrics_path, const char *id,
                    const struct reader_opts *opts, struct run_sink *sink, int asked)
{
	struct run *r = asked ? NULL : cached_run(sink, dir, metrics_path, id);
	if (r)
		return sink->run(sink->ctx, r) ? 1 : 0;
	r = run_new("lightning-csv", store);
	r->id = xstrdup(id);
	r->name = csv_dir_name(dir, 0);
	/* Lightning's default logger name says nothing; the project folder does. */
	char *logger = csv_dir_name(dir, 1);
	if (strcmp(logger, "lightning_logs") == 0) {
		free(logger);
		logger = csv_dir_name(dir, 2);
	}
	r->experiment_name = logger;
	int any = 0;
	if (csv_file_or_warn(metrics_path))
		any |= read_metrics(r, metrics_path);
	char *p = path_join(dir, "hparams.yaml");
	if (csv_file_or_warn(p) && yamlkv_load(p, NULL, YAMLKV_SEP_LIGHTNING, &r->params) >= 0)
		any = 1;
	free(p);
	p = path_join(dir, "meta_tags.csv");
	if (csv_is_file(p)) {
		read_meta_tags(r, p);
		any = 1;
	}
	free(p);
	if (!any) {
		run_free(r);
		return -1;
	}
	count_extras(r, dir);
	p = path_join(dir, RUN_NOTES_FILE);
	run_read_notes(r, p);
	free(p);
	run_finish(r, opts->dec_buckets);
	return sink->run(sink->ctx, r) ? 1 : 0;
}

static long read_store(const char *path, const struct reader_opts *opts, struct run_sink *sink)
{
	long runs = 0;
	if (!csv_is_dir(path)) {
		/* A metrics.csv given by itself: its folder is the run. */
		char *dir = xstrdup(path);
		char *slash = strrchr(dir, '/');
		if (slash)
			slash[slash == dir ? 1 : 0] = '\0';
		else
			strcpy(dir, ".");
		int rc = read_run(path, dir, path, ".", opts, sink, 0);
		free(dir);
		return rc < 0 ? -1 : 1;
	}
	/* A folder the last build kept the run of, its files unchanged, was a
	 * run folder then and is one now: asked before its header is read. */
	char *m = path_join(path, "metrics.csv");
	int asked = csv_is_file(m);
	struct run *r = asked ? cached_run(sink, path, m, ".") : NULL;
	if (r) {
		free(m);
		sink->run(sink->ctx, r);
		return 1;
	}
	if (run_dir_kind(path)) {
		int rc = read_run(path, path, m, ".", opts, sink, asked);
		free(m);
		return rc < 0 ? -1 : 1;
	}
	free(m);
	/* A logger folder: every version folder below it. */
	size_t n;
	char **names = list_dir_sorted(path, &n);
	if (!names) {
		diag_warn(path, 0, "cannot read folder: %s", strerror(errno));
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		char *dir = path_join(path, names[i]);
		char *vm = path_join(dir, "metrics.csv");
		int asked_v = csv_is_file(vm);
		struct run *kept = asked_v ? cached_run(sink, dir, vm, names[i]) : NULL;
		if (kept || (csv_is_dir(dir) && run_dir_kind(dir))) {
			int rc = kept ? (sink->run(sink->ctx, kept) ? 1 : 0)
			              : read_run(path, dir, vm, names[i], opts, sink, asked_v);
			free(vm);
			vm = NULL;
			if (rc > 0)
				runs++;
			if (rc == 0) {
				runs++;
				free(dir);
				break;
			}
		}
		free(vm);
		free(dir);
	}
	free_names(names, n);
	if (runs == 0) {
		diag_warn(path, 0, "no Lightning metrics.csv or meta_tags.csv found");
		return -1;
	}
	return runs;
}

const struct reader reader_lightning_csv = {
	.name = "lightning-csv",
	.what = "PyTorch Lightning CSVLogger folders (version_N/metrics.csv, hparams.yaml)",
	.probe = probe,
	.read = read_store,
};
