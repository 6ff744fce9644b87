/* plain_csv.c — a CSV/TSV or JSON Lines file with a "step" column, read
 * only when asked (--format csv): such files are too common to claim by
 * looking. Every other numeric column is a metric; a "timestamp", "time" or
 * "wall_time" column gives the time (seconds, or ms when above 1e11).
 * Given a folder, each such file in it is one run. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "runsite/diag.h"
#include "runsite/reader.h"
#include "runsite/util.h"
#include "csvparse.h"
#include "runsite/yamlkv.h"

#define PCSV_MAX_FILE ((size_t)1 << 34)
#define PCSV_MAX_DEPTH 4

static int probe(const char *path)
{
	(void)path;
	return 0;
}

static int is_time_name(const char *s)
{
	return strcmp(s, "timestamp") == 0 || strcmp(s, "time") == 0 || strcmp(s, "wall_time") == 0;
}

/* Seconds or milliseconds since the epoch into ms. */
static int64_t to_ms(double t)
{
	if (!(t == t) || t < 0 || t > 9e15)
		return 0;
	return t > 1e11 ? (int64_t)t : (int64_t)(t * 1000.0);
}

static int jsonl_name(const char *p)
{
	return str_ends(p, ".jsonl") || str_ends(p, ".ndjson");
}

/* Reads a JSON Lines file into r; returns 0 when it has no step (reported). */
static int read_jsonl(struct run *r, char *text, size_t len, const char *path)
{
	struct csv_warns w = {path, 0};
	size_t line = 0, good = 0;
	char *p = text, *end = text + len;
	while (p < end) {
		char *nl = memchr(p, '\n', (size_t)(end - p));
		char *e = nl ? nl : end;
		line++;
		char *s = p;
		p = nl ? nl + 1 : end;
		while (s < e && (*s == ' ' || *s == '\t' || *s == '\r'))
			s++;
		if (s == e)
			continue;
		json_t *j = json_parse_lenient(s, (size_t)(e - s), NULL);
		double sv, tv = 0;
		if (!json_is_object(j) || !json_to_double(json_object_get(j, "step"), 0, &sv) ||
		    sv != sv || sv < -9e18 || sv > 9e18) {
			csv_warn(&w, line, "not a JSON object with a numeric \"step\"; line skipped");
			json_decref(j);
			continue;
		}
		int64_t t = 0;
		const char *k;
		json_t *v;
		json_object_foreach(j, k, v) if (is_time_name(k) && json_to_double(v, 0, &tv))
			t = to_ms(tv);
		json_object_foreach(j, k, v) {
			double d;
			if (strcmp(k, "step") == 0 || is_time_name(k) || !json_to_double(v, 1, &d))
				continue;
			series_add(run_series(r, k), (int64_t)sv, t, d);
		}
		good++;
		json_decref(j);
	}
	csv_warn_end(&w);
	return good > 0 || line == 0;
}

/* Reads a CSV/TSV file into r; returns 0 when it has no step column (reported). */
static int read_csv(struct run *r, char *text, size_t len, const char *path)
{
	struct csv_parser cp;
	struct csv_warns w = {path, 0};
	const char *eol = text + strcspn(text, "\r\n");
	int trim, ok = 0;
	char sep = csv_sniff_sep(text, eol, &trim);
	csv_init(&cp, text, len, sep, trim);
	size_t ncols = csv_next(&cp), scol = SIZE_MAX, tcol = SIZE_MAX;
	size_t *idx = NULL;
	for (size_t i = 0; i < ncols; i++) {
		if (strcmp(cp.fields[i].s, "step") == 0 && scol == SIZE_MAX)
			scol = i;
		else if (is_time_name(cp.fields[i].s) && tcol == SIZE_MAX)
			tcol = i;
	}
	if (scol == SIZE_MAX) {
		diag_warn(path, 1, "no \"step\" column; file left out");
		goto out;
	}
	unsigned char *skip = xcalloc(ncols, 1);
	skip[scol] = 1;
	if (tcol != SIZE_MAX)
		skip[tcol] = 1;
	idx = csv_columns_to_series(r, &cp, skip, NULL);
	free(skip);
	ok = 1;
	while (csv_next(&cp)) {
		struct csv_field *f = cp.fields;
		size_t n = cp.nfields < ncols ? cp.nfields : ncols;
		int64_t step, t = 0;
		double tv;
		if (scol >= n || !csv_int64(f[scol].s, f[scol].len, &step)) {
			csv_warn(&w, cp.line, "step is not an integer; row skipped");
			continue;
		}
		if (tcol < n && f[tcol].len && csv_number(f[tcol].s, f[tcol].len, &tv))
			t = to_ms(tv);
		for (size_t i = 0; i < n; i++) {
			double v;
			if (idx[i] == SIZE_MAX || f[i].len == 0)
				continue;
			if (!csv_number(f[i].s, f[i].len, &v)) {
				csv_warn(&w, cp.line, "column '%s': '%.40s' is not a number; cell skipped",
				         r->metrics[idx[i]].key, f[i].s);
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
	return ok;
}

/* Reads file path as one run with id id; returns the sink's answer, or -1. */
static int read_one(const char *store, const char *path, const char *id,
                    const struct reader_opts *opts, struct run_sink *sink)
{
	struct buf b = BUF_INIT;
	if (!read_file(path, &b, PCSV_MAX_FILE)) {
		diag_warn(path, 0, "cannot read: %s", strerror(errno));
		buf_free(&b);
		return -1;
	}
	struct run *r = run_new("csv", store);
	r->id = xstrdup(id);
	char *base = csv_dir_name(path, 0), *dot = strrchr(base, '.');
	if (dot && dot != base)
		*dot = '\0';
	r->name = base;
	r->experiment_name = csv_dir_name(path, 1);
	char *text = b.data ? b.data : (char *)"";
	int ok = jsonl_name(path) ? read_jsonl(r, text, b.size, path) : read_csv(r, text, b.size, path);
	buf_free(&b);
	if (!ok) {
		run_free(r);
		return -1;
	}
	run_finish(r, opts->dec_buckets);
	return sink->run(sink->ctx, r) ? 1 : 0;
}

/* Reads the data files below dir; rel is dir relative to the store. */
static int read_dir(const char *store, const char *dir, const char *rel, int depth,
                    const struct reader_opts *opts, struct run_sink *sink, long *runs)
{
	size_t n;
	char **names = list_dir_sorted(dir, &n);
	int go = 1;
	if (!names) {
		diag_warn(dir, 0, "cannot read folder: %s", strerror(errno));
		return 1;
	}
	for (size_t i = 0; i < n && go; i++) {
		if (names[i][0] == '.')
			continue;
		char *p = path_join(dir, names[i]);
		char *id = *rel ? xasprintf("%s/%s", rel, names[i]) : xstrdup(names[i]);
		if (csv_is_dir(p) && depth < PCSV_MAX_DEPTH) {
			go = read_dir(store, p, id, depth + 1, opts, sink, runs);
		} else if (csv_is_file(p) && (str_ends(p, ".csv") || str_ends(p, ".tsv") ||
		                              jsonl_name(p))) {
			int rc = read_one(store, p, id, opts, sink);
			if (rc >= 0)
				(*runs)++;
			go = rc != 0;
		}
		free(id);
		free(p);
	}
	free_names(names, n);
	return go;
}

static long read_store(const char *path, const struct reader_opts *opts, struct run_sink *sink)
{
	if (!csv_is_dir(path))
		return read_one(path, path, ".", opts, sink) < 0 ? -1 : 1;
	long runs = 0;
	read_dir(path, path, "", 0, opts, sink, &runs);
	if (runs == 0) {
		diag_warn(path, 0, "no CSV, TSV or JSON Lines file with a step column");
		return -1;
	}
	return runs;
}

const struct reader reader_plain_csv = {
	.name = "csv",
	.what = "a CSV/TSV or JSON Lines file with a step column (only with --format csv)",
	.probe = probe,
	.read = read_store,
};
