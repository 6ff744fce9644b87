/* keras_csv.c — Keras CSVLogger files (and hand-made History dumps of the
 * same shape): one row per epoch, header "epoch,<metrics sorted>", any
 * one-character separator (or ", "), "NA" for a missing value, and append
 * mode, where a resumed run starts again at an earlier epoch. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runsite/diag.h"
#include "runsite/reader.h"
#include "runsite/util.h"
#include "csvparse.h"

#define KCSV_MAX_FILE ((size_t)1 << 30)
#define KCSV_HEADER_MAX 65536

/* The file names a CSVLogger is usually given; others are not opened. */
static int keras_name(const char *path)
{
	return str_ends(path, ".csv") || str_ends(path, ".log") || str_ends(path, ".tsv") ||
	       str_ends(path, ".txt");
}

/* Splits a header line in place into its fields; returns their count. */
static size_t header_fields(struct csv_parser *cp, char *line, char *sep_out, int *trim_out)
{
	int trim;
	char sep = csv_sniff_sep(line, line + strlen(line), &trim);
	csv_init(cp, line, strlen(line), sep, 1);
	if (sep_out)
		*sep_out = sep;
	if (trim_out)
		*trim_out = trim;
	return csv_next(cp);
}

/* A file whose header starts with "epoch" and has no "step" column. */
static int probe(const char *path)
{
	if (!keras_name(path) || !csv_is_file(path))
		return 0;
	char *line = csv_first_line(path, KCSV_HEADER_MAX);
	if (!line)
		return 0;
	struct csv_parser cp;
	size_t n = header_fields(&cp, line, NULL, NULL);
	int score = n >= 2 && strcmp(cp.fields[0].s, "epoch") == 0 ? 30 : 0;
	for (size_t i = 0; i < n && score; i++)
		if (strcmp(cp.fields[i].s, "step") == 0)
			score = 0;
	csv_free(&cp);
	free(line);
	return score;
}

/* Maps the header fields to series indexes (SIZE_MAX for the epoch column). */
static size_t *map_header(struct run *r, struct csv_parser *cp, size_t *ncols)
{
	*ncols = cp->nfields;
	unsigned char *skip = xcalloc(*ncols ? *ncols : 1, 1);
	skip[0] = *ncols && strcmp(cp->fields[0].s, "epoch") == 0;
	size_t *idx = csv_columns_to_series(r, cp, skip, NULL);
	free(skip);
	return idx;
}

static long read_store(const char *path, const struct reader_opts *opts, struct run_sink *sink)
{
	struct buf b = BUF_INIT;
	struct csv_parser cp;
	struct csv_warns w = {path, 0};
	size_t *idx = NULL, ncols = 0, resumes = 0;
	long rc = -1;
	struct run *r = NULL;
	csv_init(&cp, NULL, 0, ',', 0);
	if (!read_file(path, &b, KCSV_MAX_FILE)) {
		diag_warn(path, 0, "cannot read: %s", strerror(errno));
		goto out;
	}
	char *text = b.data ? b.data : (char *)"";
	const char *eol = text + strcspn(text, "\r\n");
	int trim;
	char sep = csv_sniff_sep(text, eol, &trim);
	/* Spaces after the separator are trimmed always: they are never data. */
	csv_init(&cp, text, b.size, sep, 1);
	r = run_new("keras-csv", path);
	r->id = xstrdup(".");
	char *base = csv_dir_name(path, 0);
	char *dot = strrchr(base, '.');
	if (dot && dot != base)
		*dot = '\0';
	r->name = base;
	r->experiment_name = csv_dir_name(path, 1);
	if (csv_next(&cp) == 0) {
		diag_warn(path, 0, "empty file");
		goto out;
	}
	idx = map_header(r, &cp, &ncols);
	int64_t last = INT64_MIN;
	size_t rows = 0; /* the step when there is no epoch column */
	while (csv_next(&cp)) {
		struct csv_field *f = cp.fields;
		size_t n = cp.nfields;
		if (strcmp(f[0].s, "epoch") == 0) {
			/* A second header: another logger appended with other columns. */
			free(idx);
			idx = map_header(r, &cp, &ncols);
			continue;
		}
		int64_t epoch = (int64_t)rows++;
		if (idx[0] == SIZE_MAX && !csv_int64(f[0].s, f[0].len, &epoch)) {
			csv_warn(&w, cp.line, "epoch '%.40s' is not an integer; row skipped", f[0].s);
			continue;
		}
		if (epoch <= last) {
			/* Append mode after a resume: the new rows replace the old
			 * ones from this epoch on. */
			resumes++;
			for (size_t i = 0; i < r->nmetrics; i++) {
				struct series *s = &r->metrics[i];
				while (s->n && s->pts[s->n - 1].step >= epoch) {
					s->n--;
					s->dropped++;
				}
			}
		}
		last = epoch;
		if (n > ncols) {
			csv_warn(&w, cp.line, "%zu fields, but the header has %zu; the extra ones are left out",
			         n, ncols);
			n = ncols;
		}
		for (size_t i = 0; i < n; i++) {
			if (idx[i] == SIZE_MAX || f[i].len == 0 || strcmp(f[i].s, "NA") == 0)
				continue;
			double v;
			if (!csv_number(f[i].s, f[i].len, &v)) {
				csv_warn(&w, cp.line, "column '%s': '%.40s' is not a number; cell skipped",
				         r->metrics[idx[i]].key, f[i].s);
				continue;
			}
			series_add(&r->metrics[idx[i]], epoch, 0, v);
		}
	}
	if (cp.open_quote)
		csv_warn(&w, cp.open_quote, "a quoted field is not closed before the end of the file");
	if (resumes) {
		char num[32];
		snprintf(num, sizeof num, "%zu", resumes);
		kvlist_add(&r->extras, "resumed", num);
	}
	run_finish(r, opts->dec_buckets);
	sink->run(sink->ctx, r); /* one run: nothing left to stop */
	r = NULL;
	rc = 1;
out:
	csv_warn_end(&w);
	run_free(r);
	free(idx);
	csv_free(&cp);
	buf_free(&b);
	return rc;
}

const struct reader reader_keras_csv = {
	.name = "keras-csv",
	.what = "Keras CSVLogger files (epoch,<metrics>; any separator, NA cells, append mode)",
	.probe = probe,
	.read = read_store,
};
