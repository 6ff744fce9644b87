/* charts.c — model series into chart specs and chart files: a run's own
 * charts as it is read (its full points, spilled to a scratch file for the
 * overlays), overlays of runs and seed groups, sweep charts, sparklines.
 * Every chart file goes through write_chart, which takes it from the build
 * cache when its fingerprint is unchanged. No HTML here: the pages place
 * the charts these functions return. */
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runsite/hash.h"

#include "runsite/chart.h"
#include "runsite/compare.h"
#include "runsite/jsonw.h"
#include "runsite/runcache.h"
#include "site_internal.h"

/* ---- series into chart points ---- */

const char *const site_chart_ext[3] = {"svg", "png", "pdf"};

/* The time --x relative counts from: the run's start, else its first point. */
static int64_t x_origin(const struct run *r, const struct point *first)
{
	if (r->start_ms != TIME_UNKNOWN)
		return r->start_ms;
	return first ? first->time_ms : 0;
}

/* The x of point p as x_kind says (t0: x_origin). */
static double point_x(const struct point *p, enum chart_x_kind x_kind, int64_t t0)
{
	switch (x_kind) {
	case CHART_X_TIME: return (double)p->time_ms / 1000.0;
	case CHART_X_RELATIVE: return (double)(p->time_ms - t0) / 1000.0;
	default: return (double)p->step;
	}
}

struct chart_point *site_chart_points(const struct run *r, const struct point *pts, size_t n,
                                      enum chart_x_kind x_kind)
{
	struct chart_point *cp = xreallocarray(NULL, n ? n : 1, sizeof *cp);
	int64_t t0 = x_origin(r, n ? &pts[0] : NULL);
	for (size_t i = 0; i < n; i++) {
		cp[i].x = point_x(&pts[i], x_kind, t0);
		cp[i].y = pts[i].value;
	}
	return cp;
}

/* Reads want bytes at byte off of the site's scratch file into out: 1, or
 * 0 when they cannot be read back. Any thread. */
static int scratch_read(const struct site *s, uint64_t off, void *out, size_t want)
{
	size_t got = 0;
	while (s->dec_fd >= 0 && got < want) {
		ssize_t k = pread(s->dec_fd, (char *)out + got, want - got, (off_t)(off + got));
		if (k <= 0)
			break;
		got += (size_t)k;
	}
	return got == want;
}

/* n items of size bytes at byte off of the site's scratch file (a spilled
 * series' chart points, a decimated copy's points; caller frees), or NULL
 * when they cannot be read back. */
static void *scratch_items(const struct site *s, uint64_t off, size_t n, size_t size)
{
	void *items = xreallocarray(NULL, n ? n : 1, size);
	if (!scratch_read(s, off, items, n * size)) {
		free(items);
		return NULL;
	}
	return items;
}

/* The decimated copy p of series se of run sr, as read back from the
 * folder where (NULL: it could not be), as chart points with x as the
 * options ask (caller frees; frees p): one that could not be is reported
 * and drawn as no points (*n = 0). */
static struct chart_point *copy_points(const struct site *s, const struct site_run *sr,
                                       const struct series_sum *se, struct point *p,
                                       const char *where, size_t *n)
{
	*n = se->ndec;
	if (!p) {
		diag_msg("%s: cannot read back the points of %s in %s", where, se->key,
		         sr->run->name);
		*n = 0;
		return xcalloc(1, sizeof(struct chart_point));
	}
	struct chart_point *cp = site_chart_points(sr->run, p, se->ndec, s->opts->chart.x_kind);
	free(p);
	return cp;
}

/* Where metric i's decimated copy of run sr is in the scratch file: the
 * copies are there as they are in memory (points, not chart points, so a
 * report block can draw them at another x), one after another in metric
 * order from dec_at - 1. */
static uint64_t dec_offset(const struct site_run *sr, size_t i)
{
	uint64_t off = sr->dec_at - 1;
	for (size_t o = 0; o < i; o++)
		off += run_sum(sr->run, o)->ndec * sizeof(struct point);
	return off;
}

/* Metric i of run sr: its decimated copy as chart points with x as the
 * options ask, from memory or from the spill file (caller frees). A copy
 * that cannot be read back is reported and drawn as no points (*n = 0). */
static struct chart_point *dec_points(const struct site *s, const struct site_run *sr, size_t i,
                                      size_t *n)
{
	const struct series_sum *se = run_sum(sr->run, i);
	const struct point *dec = run_dec(sr->run, i);
	*n = se->ndec;
	if (!dec && sr->kept) /* a run taken from the run cache: its copy is in its file */
		return copy_points(s, sr, se, runcache_read_dec(sr->kept, i, se->ndec), RUNCACHE_DIR,
		                   n);
	if (dec || !sr->dec_at)
		return site_chart_points(sr->run, dec, dec ? se->ndec : 0, s->opts->chart.x_kind);
	struct point *p = scratch_items(s, dec_offset(sr, i), se->ndec, sizeof *p);
	return copy_points(s, sr, se, p, SPILL_DIR, n);
}

/* ---- chart files ---- */

/* The spec of metric key's chart: the options' chart, with the key's title,
 * goal and log axis; the caller gives the series. */
static void spec_for(const struct site *s, struct chart_spec *sp, const char *key)
{
	*sp = s->opts->chart;
	sp->title = key;
	sp->goal = (enum chart_goal)site_goal(s, key);
	if (s->opts->log_y_pattern && fnmatch(s->opts->log_y_pattern, key, 0) == 0)
		sp->log_y = 1;
}

/* A chart's SVG fingerprint, worked out once for its files, its points file
 * and the notes of both (hashing every point of a long series each time
 * cost more than drawing it), and the x range its drawing found, which its
 * points file needs too. Zeroed before the chart's first use. */
struct chart_fp {
	int have;
	char svg[CHART_FINGERPRINT_LEN + 1];
	int have_x;
	double x_lo, x_hi; /* chart_info's */
	/* the extrema of each series of the chart when they were found on the
	 * way (to_chart_points_in_place), else NULL */
	const struct chart_extrema *ex;
};

/* chart_fingerprint of sp in format f, the SVG one through memo. */
static void fingerprint_of(const struct chart_spec *sp, enum chart_format f, struct chart_fp *memo,
                           char fp[CHART_FINGERPRINT_LEN + 1])
{
	if (f != CHART_SVG) {
		chart_fingerprint(sp, f, fp);
		return;
	}
	if (!memo->have) {
		chart_fingerprint(sp, CHART_SVG, memo->svg);
		memo->have = 1;
	}
	memcpy(fp, memo->svg, CHART_FINGERPRINT_LEN + 1);
}

/* Writes the chart in every format asked for as dir/stem.<ext>, or takes
 * the last build's file when the build cache holds the same chart; *alt
 * gets its description, *log_y (when not NULL) whether its y axis is
 * logarithmic. Returns 1, or 0 after reporting. */
static int write_chart(struct site *s, const struct chart_spec *sp, const char *dir,
                       const char *stem, char **alt, int *log_y, struct chart_fp *memo)
{
	struct chart_info info;
	memset(&info, 0, sizeof info);
	/* The description of the last format's info: the SVG's own when it was
	 * drawn last (it walks every point, so it is worked out once). */
	char *desc = NULL;
	for (int f = CHART_SVG; f <= CHART_PDF; f++) {
		if (!(s->opts->chart_formats & (1u << f)))
			continue;
		char fp[CHART_FINGERPRINT_LEN + 1];
		char *rel = xasprintf("%s/%s.%s", dir, stem, site_chart_ext[f]);
		int ok = 1;
		free(desc);
		desc = NULL;
		fingerprint_of(sp, (enum chart_format)f, memo, fp);
		if (!cache_reuse(s->cache, rel, fp, &info)) {
			char *path = site_new_file(s, rel);
			ok = chart_write_extrema(sp, (enum chart_format)f, path, &info, &desc, memo->ex);
			if (ok && info.x_known) {
				memo->have_x = 1;
				memo->x_lo = info.x_lo;
				memo->x_hi = info.x_hi;
			}
			if (ok)
				cache_record(s->cache, rel, fp, &info);
			free(path);
		}
		free(rel);
		if (!ok) {
			free(desc);
			return 0;
		}
	}
	*alt = desc ? desc : chart_describe_extrema(sp, &info, memo->ex);
	if (log_y)
		*log_y = info.log_y;
	return 1;
}

/* The grey of a faint series (chart_series.faint) on the page. */
#define FAINT_HEX "#8c8c8c"

/* Series se's own part of its label, what it shares with the others
 * (pre bytes at the start, suf at the end) cut off. Caller frees. */
static char *series_own_label(const struct chart_series *se, size_t pre, size_t suf)
{
	const char *l = se->label ? se->label : "";
	size_t len = strnlen(l, 512);
	if (pre + suf >= len)
		return xstrndup(l, len);
	return xstrndup(l + pre, len - pre - suf);
}

/* The legend of chart sp for the page: each series' name, own part,
 * colour and line style, and the shared part of the names. */
static void chart_keys(const struct chart_spec *sp, struct chart_ref *ref)
{
	size_t pre, suf;
	chart_label_common(sp->series, sp->nseries, &pre, &suf);
	ref->common = chart_label_common_text(sp->series, sp->nseries);
	ref->keys = xcalloc(sp->nseries ? sp->nseries : 1, sizeof *ref->keys);
	ref->nkeys = sp->nseries;
	for (size_t i = 0; i < sp->nseries; i++) {
		const struct chart_series *se = &sp->series[i];
		ref->keys[i] = (struct chart_key){xstrdup(se->label ? se->label : ""),
		                                  se->faint ? xstrdup(se->label)
		                                            : series_own_label(se, pre, suf),
		                                  se->faint ? FAINT_HEX : chart_color_hex(se->color),
		                                  se->faint ? 0 : chart_dash_index(se->color, sp->nseries)};
	}
}

/* Series se's band (a seed group's ±1 std, the middle 80% of a sweep's
 * other runs) as flat [x, lo, hi, ...] into w: per pixel column of `columns` over
 * [xlo, xhi] the first x, the lowest lo and the highest hi, so the band
 * drawn from it covers what the picture's does. Stretches where lo or hi
 * is not finite stay gaps (a null triple between them). */
static void band_json(struct jsonw *w, const struct chart_series *se, double xlo, double xhi,
                      int columns)
{
	double span = xhi > xlo ? xhi - xlo : 1;
	long col = -1;
	int open = 0;
	double x = 0, lo = 0, hi = 0;
	jsonw_begin_array(w);
	for (size_t i = 0; i <= se->nband; i++) {
		int ok = 0;
		long c = -1;
		if (i < se->nband) {
			ok = isfinite(se->band_lo[i].x) && isfinite(se->band_lo[i].y) &&
			     isfinite(se->band_hi[i].y);
			if (ok)
				c = (long)fmin(columns - 1, floor((se->band_lo[i].x - xlo) / span * columns));
		}
		if (open && (!ok || c != col)) {
			jsonw_double(w, x);
			jsonw_double(w, lo);
			jsonw_double(w, hi);
			open = 0;
		}
		if (i < se->nband && !ok) {
			if (col != -2) { /* one gap marker between stretches */
				jsonw_null(w);
				jsonw_null(w);
				jsonw_null(w);
			}
			col = -2;
			continue;
		}
		if (!ok)
			break;
		if (!open) {
			x = se->band_lo[i].x;
			lo = se->band_lo[i].y;
			hi = se->band_hi[i].y;
			col = c;
			open = 1;
		} else {
			lo = fmin(lo, se->band_lo[i].y);
			hi = fmax(hi, se->band_hi[i].y);
		}
	}
	jsonw_end_array(w);
}

/* The points chart sp draws, for the page script's readouts, legend and
 * zoom: per series its name, colour, line style and the points M4 keeps at
 * `columns` pixel columns (each a logged value), and its band when it has
 * one ("b", band_json), as compact JSON with no '<' in it. The x range of
 * its series comes from memo when drawing found it. Caller frees. */
static char *chart_data_json(const struct chart_spec *sp, int log_y, int columns,
                             const struct chart_fp *memo)
{
	double xlo = INFINITY, xhi = -INFINITY;
	if (memo->have_x) {
		xlo = memo->x_lo;
		xhi = memo->x_hi;
	} else {
		for (size_t i = 0; i < sp->nseries; i++)
			chart_points_range(sp->series[i].pts, sp->series[i].n, false, &xlo, &xhi);
	}
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	if (!f)
		return NULL;
	static const char *const xs[] = {"step", "time", "relative"};
	struct jsonw w;
	jsonw_init(&w, f);
	jsonw_begin_object(&w);
	jsonw_key(&w, "x");
	jsonw_string(&w, xs[sp->x_kind]);
	jsonw_key(&w, "goal");
	jsonw_string(&w, sp->goal == CHART_GOAL_MIN ? "min" : sp->goal == CHART_GOAL_MAX ? "max" : "none");
	jsonw_key(&w, "log");
	jsonw_int(&w, log_y);
	jsonw_key(&w, "smoothing");
	jsonw_double(&w, sp->smoothing);
	size_t pre, suf;
	chart_label_common(sp->series, sp->nseries, &pre, &suf);
	char *common = chart_label_common_text(sp->series, sp->nseries);
	if (common) {
		jsonw_key(&w, "common");
		jsonw_string(&w, common);
		free(common);
	}
	jsonw_key(&w, "s");
	jsonw_begin_array(&w);
	for (size_t i = 0; i < sp->nseries; i++) {
		const struct chart_series *se = &sp->series[i];
		struct chart_point *d = xreallocarray(NULL, se->n ? se->n : 1, sizeof *d);
		size_t nd = chart_decimate(se->pts, se->n, xlo, xhi, columns, d);
		jsonw_begin_object(&w);
		jsonw_key(&w, "n");
		jsonw_string(&w, se->label ? se->label : "");
		if ((pre || suf) && !se->faint) { /* the legend's short name: the run's own part */
			char *own = series_own_label(se, pre, suf);
			jsonw_key(&w, "k");
			jsonw_string(&w, own);
			free(own);
		}
		jsonw_key(&w, "c");
		jsonw_string(&w, se->faint ? FAINT_HEX : chart_color_hex(se->color));
		jsonw_key(&w, "d");
		jsonw_int(&w, se->faint ? 0 : chart_dash_index(se->color, sp->nseries));
		if (se->faint) {
			jsonw_key(&w, "f");
			jsonw_int(&w, 1);
		}
		jsonw_key(&w, "p");
		jsonw_begin_array(&w);
		for (size_t j = 0; j < nd; j++) {
			jsonw_double(&w, d[j].x);
			jsonw_double(&w, d[j].y);
		}
		jsonw_end_array(&w);
		if (se->band_lo && se->band_hi && se->nband) {
			jsonw_key(&w, "b");
			band_json(&w, se, xlo, xhi, columns);
		}
		jsonw_end_object(&w);
		free(d);
	}
	jsonw_end_array(&w);
	jsonw_end_object(&w);
	if (fclose(f) != 0) {
		free(text);
		return NULL;
	}
	/* No "</script" can end a script early: '<' only occurs in strings. */
	struct buf b = BUF_INIT;
	for (size_t i = 0; i < len; i++) {
		if (text[i] == '<')
			BUF_PUTSL(&b, "\\u003c");
		else
			buf_putc(&b, text[i]);
	}
	free(text);
	buf_putc(&b, '\0');
	return b.data;
}

/* Turns series se's points into chart points in the same memory (16 bytes
 * written where 24 were read, front to back, so nothing unread is
 * overwritten) and takes the memory from the series, which is left empty;
 * *ex gets their extrema and order, scanned on the way (for the chart:
 * chart_series.scan). Caller frees the result. */
static struct chart_point *to_chart_points_in_place(const struct site *s, const struct run *r,
                                                   struct series *se,
                                                   struct chart_extrema_scan *ex)
{
	struct chart_extrema_scan sc = CHART_EXTREMA_SCAN_INIT;
	unsigned char *mem = (unsigned char *)se->pts;
	int64_t t0 = x_origin(r, se->n ? &se->pts[0] : NULL);
	/* in a local: the stores through mem could change s->opts for all
	 * the compiler knows, so it would read it again each point */
	enum chart_x_kind x_kind = s->opts->chart.x_kind;
	size_t n = se->n;
	if (x_kind == CHART_X_STEP) { /* the usual axis: its own loop, no switch a point */
		for (size_t i = 0; i < n; i++) {
			struct point p;
			memcpy(&p, mem + i * sizeof p, sizeof p);
			struct chart_point c = {(double)p.step, p.value};
			memcpy(mem + i * sizeof c, &c, sizeof c);
			chart_extrema_scan_xy(&sc, i, c.x, c.y);
		}
	} else {
		for (size_t i = 0; i < n; i++) {
			struct point p;
			memcpy(&p, mem + i * sizeof p, sizeof p);
			struct chart_point c = {point_x(&p, x_kind, t0), p.value};
			memcpy(mem + i * sizeof c, &c, sizeof c);
			chart_extrema_scan_xy(&sc, i, c.x, c.y);
		}
	}
	*ex = sc;
	se->pts = NULL;
	se->n = se->cap = 0;
	return (struct chart_point *)(void *)mem;
}

static long points_put(struct site *s, const struct chart_point *cp, size_t n, int *err);

/* Appends n chart points of run sr to the site's scratch file of points
 * (one file for every run: a file a run cost the file system an inode to
 * make and one to remove); returns their byte offset, or -1 after
 * reporting once (*failed). */
static long spill_put(struct site *s, struct site_run *sr, const struct chart_point *cp,
                      size_t n, int *failed)
{
	if (*failed)
		return -1;
	int err = 0;
	long off = points_put(s, cp, n, &err);
	if (off < 0) {
		char *path = xasprintf("%s/%s/.decimated", s->tmp, SPILL_DIR);
		/* A full disk fails the charts too: said once, with them. */
		if (err == ENOSPC || err == EDQUOT)
			diag_write_error(path, err);
		else if (err)
			diag_msg("%s: %s; overlays of %s use its decimated points", path,
			         strerror(err), sr->run->name);
		free(path);
		*failed = 1;
	}
	return off;
}

static long scratch_put(struct site *s, const void *data, size_t want, int *err);

/* Appends n chart points to the site's scratch file of points; returns
 * their byte offset, or -1 with the errno of a failed write in *err (when
 * err is given; 0 when the file could not be made, which is reported).
 * Any thread. */
static long points_put(struct site *s, const struct chart_point *cp, size_t n, int *err)
{
	return scratch_put(s, cp, n * sizeof *cp, err);
}

/* Appends want bytes to the site's scratch file (made on first use); their
 * byte offset, or -1 as points_put says. Any thread. */
static long scratch_put(struct site *s, const void *data, size_t want, int *err)
{
	long off = -1;
	size_t put = 0;
	pthread_mutex_lock(&s->dec_mu);
	if (s->dec_fd < 0 && site_mkdir(s, SPILL_DIR)) {
		char *path = xasprintf("%s/%s/.decimated", s->tmp, SPILL_DIR);
		s->dec_fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		s->dec_open = s->dec_fd >= 0;
		if (s->dec_fd < 0)
			diag_msg("%s: %s; decimated copies stay in memory", path, strerror(errno));
		free(path);
	}
	while (s->dec_fd >= 0 && put < want) {
		ssize_t k = pwrite(s->dec_fd, (const char *)data + put, want - put,
		                   (off_t)(s->dec_end + put));
		if (k <= 0) {
			if (err)
				*err = k < 0 ? errno : ENOSPC;
			break;
		}
		put += (size_t)k;
	}
	if (s->dec_fd >= 0 && put == want) {
		off = (long)s->dec_end;
		s->dec_end += want;
	}
	pthread_mutex_unlock(&s->dec_mu);
	return off;
}

/* ---- a run's notes in the scratch file ---- */

uint64_t site_run_notes_hash(const struct site_run *sr)
{
	if (sr->notes_at)
		return sr->notes_hash;
	const char *notes = sr->run->notes ? sr->run->notes : "";
	return XXH3_64bits(notes, strlen(notes));
}

void site_run_park_notes(struct site *s, struct site_run *sr)
{
	struct run *r = sr->run;
	size_t len = r->notes ? strlen(r->notes) : 0;
	/* A report on its own shows no run page; tiny notes cost less kept. */
	if (s->opts->report_file || len < 64 || len > UINT32_MAX - sizeof(uint32_t))
		return;
	uint32_t n = (uint32_t)len;
	char *rec = xmalloc(sizeof n + len);
	memcpy(rec, &n, sizeof n);
	memcpy(rec + sizeof n, r->notes, len);
	long off = scratch_put(s, rec, sizeof n + len, NULL);
	free(rec);
	if (off < 0)
		return; /* reported: they stay in memory */
	sr->notes_hash = XXH3_64bits(r->notes, len);
	sr->notes_at = (uint64_t)off + 1;
	free(r->notes);
	r->notes = NULL;
}

char *site_run_notes(const struct site *s, const struct site_run *sr)
{
	if (!sr->notes_at)
		return sr->run->notes ? xstrdup(sr->run->notes) : NULL;
	uint32_t n;
	char *notes = NULL;
	if (scratch_read(s, sr->notes_at - 1, &n, sizeof n)) {
		notes = xmalloc((size_t)n + 1);
		if (scratch_read(s, sr->notes_at - 1 + sizeof n, notes, n)) {
			notes[n] = '\0';
			return notes;
		}
	}
	diag_msg("%s/.decimated: cannot read back the notes of %s", SPILL_DIR, sr->run->name);
	free(notes);
	return NULL;
}

/* Keeps metric i's chart points (n of them) for the overlays in the
 * scratch file; on failure the overlays use the decimated copy. */
static void spill_series(struct site *s, struct site_run *sr, size_t i,
                         const struct chart_point *cp, size_t n, int *failed)
{
	long off = spill_put(s, sr, cp, n, failed);
	if (off >= 0) {
		if (!sr->spill_n) {
			sr->spill_n = xcalloc(sr->run->nmetrics, sizeof *sr->spill_n);
			sr->spill_off = xcalloc(sr->run->nmetrics, sizeof *sr->spill_off);
		}
		sr->spill_off[i] = (uint64_t)off;
		sr->spill_n[i] = n;
	}
}

/* Metric i's every point from run sr's spill file as chart points (caller
 * frees; *n gets their count, taken from *budget), or NULL when it was not
 * spilled, is more than *budget or cannot be read back. */
static struct chart_point *unspill(const struct site *s, const struct site_run *sr, size_t i,
                                   size_t *n, size_t *budget)
{
	if (!sr->spill_n || !sr->spill_n[i] || sr->spill_n[i] > *budget)
		return NULL;
	struct chart_point *cp = NULL;
	const struct kept_site *file = sr->kept ? sr->kept : sr->spill_kept;
	if (file) {
		/* a run taken from the run cache, or kept in it: its points are in its file */
		size_t k = 0;
		struct point *p = runcache_read_spill(file, i, &k);
		if (p && k == sr->spill_n[i])
			cp = site_chart_points(sr->run, p, k, s->opts->chart.x_kind);
		free(p);
	} else {
		cp = scratch_items(s, sr->spill_off[i], sr->spill_n[i], sizeof *cp);
	}
	if (!cp)
		return NULL;
	*n = sr->spill_n[i];
	*budget -= *n;
	return cp;
}

static char *chart_data_file(struct site *s, const struct chart_spec *sp, int log_y,
                             int columns, const char *dir, const char *stem,
                             struct chart_fp *memo);
static void charts_spill(struct site *s, struct site_run *sr);

/* Notes in k the chart files write_chart gave chart sp (dir/stem.<ext>):
 * their paths and fingerprints, what the next build takes them by. */
static void keep_chart_files(const struct site *s, struct kept_site *k,
                             const struct chart_spec *sp, const char *dir, const char *stem,
                             struct chart_fp *memo)
{
	for (int f = CHART_SVG; f <= CHART_PDF; f++) {
		if (!(s->opts->chart_formats & (1u << f)))
			continue;
		char fp[CHART_FINGERPRINT_LEN + 1];
		fingerprint_of(sp, (enum chart_format)f, memo, fp);
		char *rel = xasprintf("%s/%s.%s", dir, stem, site_chart_ext[f]);
		kept_site_add_file(k, rel, fp);
		free(rel);
	}
}

/* The cache fingerprint of a chart's points file: the chart's own, its
 * first two characters this file's format and columns ("p4"), so an
 * unchanged chart's points are taken from the cache. */
static void points_fingerprint(const struct chart_spec *sp, struct chart_fp *memo,
                               char fp[CHART_FINGERPRINT_LEN + 1])
{
	fingerprint_of(sp, CHART_SVG, memo, fp);
	memcpy(fp, "p4", 2);
}

/* And its points file (chart_data_file names it so). */
static void keep_data_file(struct kept_site *k, const struct chart_spec *sp, const char *dir,
                           const char *stem, struct chart_fp *memo)
{
	char fp[CHART_FINGERPRINT_LEN + 1];
	points_fingerprint(sp, memo, fp);
	char *rel = xasprintf("%s/%s.points.js", dir, stem);
	kept_site_add_file(k, rel, fp);
	free(rel);
}

/* Points of the series longer than their decimated copy from which a run
 * kept in the run cache has them read back from its file (keep_spill_done). */
#define SPILL_FROM_KEEP_MIN (1u << 16)

/* The run read now is whole in its keep: written to the run cache now, so
 * the points its overlays draw (keep_spilled[i] of metric i) are read back
 * from that file. When it cannot be written, they go to the scratch file
 * as any run's do. */
static void keep_spill_done(struct site *s, struct site_run *sr, const size_t *keep_spilled,
                            int *spill_failed)
{
	struct run *r = sr->run;
	struct kept_site *at = runcache_keep_write(cache_runcache(s->cache), sr->keep);
	if (at) {
		sr->spill_kept = at;
		if (!sr->spill_n) {
			sr->spill_n = xcalloc(r->nmetrics, sizeof *sr->spill_n);
			sr->spill_off = xcalloc(r->nmetrics, sizeof *sr->spill_off);
		}
	}
	for (size_t i = 0; i < r->nmetrics; i++) {
		if (!keep_spilled[i])
			continue;
		if (at) {
			sr->spill_n[i] = keep_spilled[i];
			continue;
		}
		size_t n = 0;
		struct point *p = kept_site_spill_points(runcache_keep_site(sr->keep), i, &n);
		if (p && n == keep_spilled[i]) {
			struct chart_point *cp = site_chart_points(r, p, n, s->opts->chart.x_kind);
			spill_series(s, sr, i, cp, n, spill_failed);
			free(cp);
		}
		free(p);
	}
}

int site_run_charts(struct site *s, struct site_run *sr)
{
	/* A report on its own (export --report) shows no run page. */
	if (s->opts->report_file)
		return 1;
	struct run *r = sr->run;
	struct slugset stems = {0};
	char *dir = xasprintf("runs/%s", sr->slug);
	int ok = 1, made = 0, spill_failed = 0;
	size_t *keep_spilled = NULL; /* per metric: its points kept in the run cache */
	/* Only a run of long series has them read back from its run-cache
	 * file: finding them there takes about 600 bytes of memory a run until
	 * the pages are written, worth it where the copy saved is megabytes. */
	uint64_t long_points = 0;
	for (size_t i = 0; i < r->nmetrics; i++)
		if (r->metrics[i].n > r->metrics[i].ndec)
			long_points += r->metrics[i].n;
	int read_from_keep = sr->keep && long_points >= SPILL_FROM_KEEP_MIN;
	/* The decimated copies wait in the site's file of them, one after
	 * another in metric order, so a run keeps only its summaries (and
	 * where the first copy begins) until the pages are written. */
	size_t dec_total = 0;
	int dec_whole = 1; /* every copy its series counts is in memory */
	for (size_t i = 0; i < r->nmetrics; i++) {
		dec_total += r->metrics[i].ndec;
		dec_whole &= r->metrics[i].dec != NULL || r->metrics[i].ndec == 0;
	}
	long dec_off = -1;
	if (dec_whole && dec_total) {
		struct point *all = xreallocarray(NULL, dec_total, sizeof *all);
		size_t at = 0;
		for (size_t i = 0; i < r->nmetrics; i++) {
			memcpy(all + at, r->metrics[i].dec, r->metrics[i].ndec * sizeof *all);
			at += r->metrics[i].ndec;
		}
		dec_off = scratch_put(s, all, at * sizeof *all, NULL);
		free(all);
	}
	for (size_t i = 0; i < r->nmetrics && ok; i++) {
		const struct series *se = &r->metrics[i];
		/* One point is a number, not a line: the summary table shows it. */
		if (se->n < 2 || !s->opts->chart_formats)
			continue;
		if (!made && !(made = site_mkdir(s, dir))) {
			ok = 0;
			break;
		}
		char *base = slug_from(se->key, SLUG_MAX, "metric");
		const char *stem = slug_claim(&stems, base);
		free(base);
		/* The full points are needed only for this chart: they become the
		 * chart's points in their own memory, which is freed right after, so
		 * a run of long series never holds a second copy of one. */
		size_t npts = se->n, ndec = se->ndec;
		/* A kept run keeps what its overlays draw of it (spill_series),
		 * and they are read back from its file: no other copy is made. */
		int in_keep = 0;
		if (sr->keep && npts > ndec) {
			struct kept_site *k = runcache_keep_site(sr->keep);
			kept_site_add_spill(k, i, se->pts, npts);
			in_keep = read_from_keep && !k->unkeepable;
		}
		if (in_keep) {
			if (!keep_spilled)
				keep_spilled = xcalloc(r->nmetrics, sizeof *keep_spilled);
			keep_spilled[i] = npts;
		}
		/* the chart's extrema are found on the way: the chart spares a pass */
		struct chart_extrema_scan ex;
		struct chart_point *cp = to_chart_points_in_place(s, r, &r->metrics[i], &ex);
		/* Overlays are drawn at the end, from every point of the runs on
		 * them: a series its decimated copy does not hold whole waits in a
		 * file meanwhile. */
		if (npts > ndec && !in_keep)
			spill_series(s, sr, i, cp, npts, &spill_failed);
		struct chart_series cs = {
			.label = r->name, .pts = cp, .n = npts, .color = sr->color, .scan = &ex};
		struct chart_spec sp;
		spec_for(s, &sp, se->key);
		sp.series = &cs;
		sp.nseries = 1;
		char *alt = NULL;
		int log_y = 0;
		struct chart_fp memo = {.ex = chart_extrema_found(&ex)};
		ok = write_chart(s, &sp, dir, stem, &alt, &log_y, &memo);
		if (ok && sr->keep)
			keep_chart_files(s, runcache_keep_site(sr->keep), &sp, dir, stem, &memo);
		/* its points for the page script's readout, zoom and switches: M4
		 * at a column per 8 px, each a logged value (per pixel, a run's
		 * dozen charts would weigh twice their pictures: a 500-run site
		 * 160 MB more, its first build twice as long) */
		int width = sp.width > 0 ? sp.width : 720;
		char *data = ok ? chart_data_file(s, &sp, log_y, width / 8, dir, stem, &memo) : NULL;
		if (data && sr->keep)
			keep_data_file(runcache_keep_site(sr->keep), &sp, dir, stem, &memo);
		free(cp);
		if (!ok)
			break;
		GROW(sr->charts, sr->capcharts, sr->ncharts + 1);
		sr->charts[sr->ncharts++] = (struct site_chart){i, xstrdup(stem), alt, data};
		if (sr->keep)
			kept_site_add_chart(runcache_keep_site(sr->keep), i, stem, alt, data);
	}
	if (dec_off >= 0) {
		for (size_t i = 0; i < r->nmetrics; i++) {
			free(r->metrics[i].dec);
			r->metrics[i].dec = NULL;
		}
		sr->dec_at = (uint64_t)dec_off + 1;
	}
	if (ok)
		charts_spill(s, sr);
	if (sr->keep) {
		struct kept_site *k = runcache_keep_site(sr->keep);
		k->id = xstrdup(r->id);
		k->slug = xstrdup(sr->slug);
		k->color = sr->color;
	}
	if (ok && keep_spilled)
		keep_spill_done(s, sr, keep_spilled, &spill_failed);
	free(keep_spilled);
	slugset_free(&stems);
	free(dir);
	return ok;
}

int site_run_restore(struct site *s, struct site_run *sr, struct kept_site *k)
{
	struct run *r = sr->run;
	/* What the charts were made as must be what they are now. */
	if (k->unkeepable || !k->id || !k->slug || strcmp(k->id, r->id) != 0 ||
	    strcmp(k->slug, sr->slug) != 0 || k->color != sr->color || k->nmetrics != r->nmetrics)
		return 0;
	site_run_digest(sr, k);
	if (s->opts->report_file)
		return 1;
	/* Each file still the one the cache describes (its size, not written
	 * since): a file changed or removed in the old site is made again. */
	if (!cache_reuse_kept(s->cache, k->files, k->nfiles))
		return 0;
	/* The points its overlays draw stay in its file too (unspill). */
	if (k->nspill) {
		sr->spill_n = xcalloc(r->nmetrics, sizeof *sr->spill_n);
		sr->spill_off = xcalloc(r->nmetrics, sizeof *sr->spill_off);
		for (size_t j = 0; j < k->nspill; j++)
			sr->spill_n[k->spill[j].metric] = k->spill[j].n;
	}
	for (size_t c = 0; c < k->ncharts; c++) {
		const struct kept_chart *kc = &k->charts[c];
		GROW(sr->charts, sr->capcharts, sr->ncharts + 1);
		sr->charts[sr->ncharts++] =
		        (struct site_chart){kc->metric, xstrdup(kc->stem), xstrdup(kc->alt),
		                            kc->data ? xstrdup(kc->data) : NULL};
	}
	charts_spill(s, sr);
	/* Its decimated copies stay in its file, read when drawn. */
	struct kept_site *dec = xcalloc(1, sizeof *dec);
	dec->nmetrics = k->nmetrics;
	dec->dec_at = k->dec_at;
	dec->dec_len = k->dec_len;
	dec->dec_id = k->dec_id;
	dec->path = k->path;
	dec->spill = k->spill;
	dec->nspill = k->nspill;
	dec->spill_at = k->spill_at;
	dec->ends = xreallocarray(NULL, r->nmetrics ? r->nmetrics : 1, sizeof *dec->ends);
	for (size_t i = 0; i < r->nmetrics; i++) {
		const struct metric_summary *m = &r->metrics[i].sum;
		dec->ends[i] = (struct kept_ends){m->first.step, m->first.time_ms, m->last.time_ms};
	}
	k->dec_at = k->dec_len = NULL;
	k->dec_id = NULL;
	k->spill = NULL;
	k->nspill = 0;
	k->path = NULL;
	sr->kept = dec;
	return 1;
}

static void charts_free(struct site_run *sr)
{
	for (size_t c = 0; sr->charts && c < sr->ncharts; c++) {
		free(sr->charts[c].slug);
		free(sr->charts[c].alt);
		free(sr->charts[c].data);
	}
	free(sr->charts);
	sr->charts = NULL;
	sr->capcharts = 0;
}

/* Run sr's chart list (each chart's metric, file stem, description and
 * points file) waits in the scratch file until its page is written
 * (site_run_charts_load), so reading a run leaves only its summaries in
 * memory; it stays in memory when it cannot be written. One record a
 * chart: the metric's index (8 bytes), whether it has a points file (1),
 * then stem, description and points file name, each NUL-terminated. */
static void charts_spill(struct site *s, struct site_run *sr)
{
	if (!sr->ncharts)
		return;
	struct buf b = BUF_INIT;
	for (size_t c = 0; c < sr->ncharts; c++) {
		const struct site_chart *ch = &sr->charts[c];
		uint64_t metric = ch->metric;
		buf_put(&b, &metric, sizeof metric);
		buf_putc(&b, ch->data != NULL);
		buf_put(&b, ch->slug, strlen(ch->slug) + 1);
		buf_put(&b, ch->alt, strlen(ch->alt) + 1);
		buf_put(&b, ch->data ? ch->data : "", strlen(ch->data ? ch->data : "") + 1);
	}
	long off = b.size <= UINT32_MAX ? scratch_put(s, b.data, b.size, NULL) : -1;
	if (off >= 0) {
		sr->charts_off = (uint64_t)off;
		sr->charts_len = (uint32_t)b.size;
		charts_free(sr);
	}
	buf_free(&b);
}

/* The next NUL-terminated string of a chart list record at *p (before
 * end), copied; NULL when the record is cut short. */
static char *record_str(const char **p, const char *end)
{
	const char *z = memchr(*p, '\0', (size_t)(end - *p));
	if (!z)
		return NULL;
	char *v = xstrndup(*p, (size_t)(z - *p));
	*p = z + 1;
	return v;
}

int site_run_charts_load(struct site *s, struct site_run *sr)
{
	if (sr->charts || !sr->ncharts || !sr->charts_len)
		return 1;
	char *rec = xmalloc(sr->charts_len);
	int ok = scratch_read(s, sr->charts_off, rec, sr->charts_len);
	sr->charts = xcalloc(sr->ncharts, sizeof *sr->charts);
	sr->capcharts = sr->ncharts;
	const char *p = rec, *end = rec + (ok ? sr->charts_len : 0);
	for (size_t c = 0; ok && c < sr->ncharts; c++) {
		struct site_chart *ch = &sr->charts[c];
		uint64_t metric;
		ok = (size_t)(end - p) > sizeof metric;
		if (!ok)
			break;
		memcpy(&metric, p, sizeof metric);
		int has_data = p[sizeof metric];
		p += sizeof metric + 1;
		ch->metric = (size_t)metric;
		ch->slug = record_str(&p, end);
		ch->alt = record_str(&p, end);
		ch->data = record_str(&p, end);
		ok = ch->slug && ch->alt && ch->data;
		if (ok && !has_data) {
			free(ch->data);
			ch->data = NULL;
		}
	}
	free(rec);
	if (!ok) {
		diag_msg("%s/.decimated: cannot read back the charts of %s", SPILL_DIR,
		         sr->run->name);
		charts_free(sr);
	}
	return ok;
}

void site_run_charts_unload(struct site_run *sr)
{
	if (sr->charts_len)
		charts_free(sr);
}

char *run_sparkline(struct site *s, struct site_run *sr, const char *key, double end[2])
{
	size_t i = key ? run_metric_index(sr->run, key) : SIZE_MAX;
	if (i == SIZE_MAX || run_sum(sr->run, i)->ndec < 2)
		return NULL;
	size_t n;
	struct chart_point *cp = dec_points(s, sr, i, &n);
	char *d = n >= 2 ? chart_sparkline_path(cp, n, 96, 24, end) : NULL;
	free(cp);
	return d;
}

char *group_name(const struct site *s, const struct plan_unit *u)
{
	size_t *members = xcalloc(u->g->n, sizeof *members);
	for (size_t i = 0; i < u->g->n; i++)
		members[i] = u->idx[u->g->members[i]];
	char *name = report_group_name(s->rr, members, u->g->n);
	free(members);
	return name;
}

/* Points an overlay chart may read back from the spill files: beyond it a
 * run's line is drawn from its decimated copy (so twenty runs of ten million
 * points do not need 3 GB). 8M points are 128 MB. */
#define OVERLAY_POINT_BUDGET ((size_t)8 << 20)

/* Chart points as a curve for compare_mean_band, and back (each frees
 * what it is given). */
static const struct curve_point *to_curve(struct chart_point *cp, size_t n)
{
	struct curve_point *c = xreallocarray(NULL, n ? n : 1, sizeof *c);
	for (size_t i = 0; i < n; i++)
		c[i] = (struct curve_point){cp[i].x, cp[i].y};
	free(cp);
	return c;
}

static struct chart_point *from_curve(struct curve_point *c, size_t n)
{
	struct chart_point *cp = xreallocarray(NULL, n ? n : 1, sizeof *cp);
	for (size_t i = 0; i < n; i++)
		cp[i] = (struct chart_point){c[i].x, c[i].y};
	free(c);
	return cp;
}

/* The chart series of unit u for metric key into *cs (points owned by the
 * caller through *own, up to three arrays), every point when the spill file
 * has them and *budget allows (it is reduced). Returns 0 when it has no line. */
static int unit_series(const struct site *s, const struct plan_unit *u, const char *key,
                       struct chart_series *cs, struct chart_point *own[3], size_t *longest,
                       size_t *budget)
{
	memset(cs, 0, sizeof *cs);
	own[0] = own[1] = own[2] = NULL;
	const struct site_run *sr = &s->runs[u->run];
	if (!u->g) {
		size_t mi = run_metric_index(sr->run, key);
		if (mi == SIZE_MAX || run_sum(sr->run, mi)->ndec == 0)
			return 0;
		size_t n = run_sum(sr->run, mi)->ndec;
		own[0] = unspill(s, sr, mi, &n, budget);
		if (!own[0])
			own[0] = dec_points(s, sr, mi, &n);
		*cs = (struct chart_series){.label = sr->run->name, .pts = own[0], .n = n,
		                            .color = sr->color};
		if (n > *longest)
			*longest = n;
		return 1;
	}
	size_t k = 0;
	const struct curve_point **pts = xcalloc(u->g->n, sizeof *pts);
	size_t *n = xcalloc(u->g->n, sizeof *n);
	for (size_t i = 0; i < u->g->n; i++) {
		const struct site_run *mr = &s->runs[u->idx[u->g->members[i]]];
		size_t mi = run_metric_index(mr->run, key);
		size_t nd;
		if (mi == SIZE_MAX || run_sum(mr->run, mi)->ndec == 0)
			continue;
		struct chart_point *cp = dec_points(s, mr, mi, &nd);
		pts[k] = to_curve(cp, nd);
		n[k++] = nd;
	}
	int ok = 0;
	if (k > 0) {
		struct curve_point *mean, *lo, *hi;
		size_t m = compare_mean_band(pts, n, k, s->opts->band_minmax, &mean, &lo, &hi);
		own[0] = from_curve(mean, m);
		own[1] = from_curve(lo, m);
		own[2] = from_curve(hi, m);
		char *name = group_name(s, u);
		/* The caller frees the label with the points (unit_free). */
		cs->label = xasprintf("%s (mean, n=%zu)", name, k);
		free(name);
		cs->pts = own[0];
		cs->n = m;
		cs->band_lo = own[1];
		cs->band_hi = own[2];
		cs->nband = m;
		cs->color = sr->color;
		if (m > *longest)
			*longest = m;
		ok = 1;
	}
	for (size_t i = 0; i < k; i++)
		free((void *)pts[i]);
	free(pts);
	free(n);
	return ok;
}

/* Whether unit u has a line of metric key (what unit_series draws). */
static int unit_has_series(const struct site *s, const struct plan_unit *u, const char *key)
{
	if (!u->g) {
		const struct series_sum *se = run_find_sum(s->runs[u->run].run, key);
		return se && se->ndec > 0;
	}
	for (size_t i = 0; i < u->g->n; i++) {
		const struct series_sum *se = run_find_sum(s->runs[u->idx[u->g->members[i]]].run, key);
		if (se && se->ndec > 0)
			return 1;
	}
	return 0;
}

/* The units of have[0..nh) not in pick[0..np) as one faint series: per
 * x bin (REST_BINS across their steps) each run's mean in the bin, their
 * median as its line and their middle 80% (10th to 90th percentile) as its
 * band, so a sweep's overlay shows where the other runs went without 500
 * more lines, and a few diverged runs do not set the chart's y range.
 * rest_bands makes it for every metric of an overlay at once, reading each
 * run's decimated copies once (a run kept by the run cache: one read of its
 * file): the x range is taken from the series' summaries and checked
 * against the points as they are binned, and each metric's run means fill
 * a chunk that goes to the site's scratch file when full. The chunks of all the
 * metrics hold no more means than one band has (REST_MEANS at most), not
 * one float per run and bin of every metric (10,000 runs: 9.6 MB a
 * metric). Where the summaries do not give the range (a
 * non-finite value at a series' end, x as time) or the scratch file cannot
 * be written, rest_series draws the metric's band from the points read
 * again, twice or more. Both draw the same band. */
#define REST_BINS 240
static int cmp_float(const void *a, const void *b)
{
	float x = *(const float *)a, y = *(const float *)b;
	return (x > y) - (x < y);
}

/* Run means held at once: past them, rest_series fills its bins a slice
 * at a time (the points read once more per slice) and rest_bands writes
 * its chunks out. 1 MB. */
#define REST_MEANS ((size_t)1 << 18)

/* The finite points' smallest and largest x (lo > hi: none). */
static void rest_x_range(const struct chart_point *p, size_t n, double *lo, double *hi)
{
	for (size_t j = 0; j < n; j++)
		if (isfinite(p[j].x) && isfinite(p[j].y)) {
			*lo = fmin(*lo, p[j].x);
			*hi = fmax(*hi, p[j].x);
		}
}

/* The points' sum and count per bin of the grid from xlo, span wide. */
static void rest_bin_sums(const struct chart_point *p, size_t n, double xlo, double span,
                          double *sum, size_t *count)
{
	memset(sum, 0, REST_BINS * sizeof *sum);
	memset(count, 0, REST_BINS * sizeof *count);
	for (size_t j = 0; j < n; j++) {
		if (!isfinite(p[j].x) || !isfinite(p[j].y))
			continue;
		size_t b = (size_t)fmin(REST_BINS - 1, floor((p[j].x - xlo) / span * REST_BINS));
		sum[b] += p[j].y;
		count[b]++;
	}
}

static float rest_mean(const double *sum, const size_t *count, size_t b)
{
	return count[b] ? (float)(sum[b] / (double)count[b]) : NAN;
}

static void swap_float(float *a, float *b)
{
	float t = *a;
	*a = *b;
	*b = t;
}

/* Puts the k-th smallest of v[lo..hi) at v[k], none larger before it and
 * none smaller after it (in lo..hi): what sorting would put there, in
 * linear time. No NaN in v. */
static void select_nth(float *v, size_t lo, size_t hi, size_t k)
{
	/* a partition that splits badly too often: sorted instead */
	for (int tries = 64; hi - lo > 16; tries--) {
		if (!tries) {
			qsort(v + lo, hi - lo, sizeof *v, cmp_float);
			return;
		}
		size_t mid = lo + (hi - lo) / 2;
		if (v[mid] < v[lo])
			swap_float(&v[mid], &v[lo]);
		if (v[hi - 1] < v[lo])
			swap_float(&v[hi - 1], &v[lo]);
		if (v[hi - 1] < v[mid])
			swap_float(&v[hi - 1], &v[mid]);
		float pivot = v[mid];
		/* Hoare's: v[lo..j] <= pivot <= v[j+1..hi), lo <= j < hi - 1 */
		size_t i = lo, j = hi - 1;
		for (;;) {
			while (v[i] < pivot)
				i++;
			while (pivot < v[j])
				j--;
			if (i >= j)
				break;
			swap_float(&v[i++], &v[j--]);
		}
		if (k <= j)
			hi = j + 1;
		else
			lo = j + 1;
	}
	for (size_t i = lo + 1; i < hi; i++) {
		float x = v[i];
		size_t j = i;
		for (; j > lo && x < v[j - 1]; j--)
			v[j] = v[j - 1];
		v[j] = x;
	}
}

/* Buckets rest_ranks cuts the values' range in; and the fewest values it
 * takes (fewer are selected in place). */
#define RANK_BUCKETS 1024
#define RANK_MIN 256

/* The bucket of x in the range from lo, scale buckets a unit: larger x,
 * never a smaller bucket. */
static size_t rank_bucket(float x, float lo, double scale)
{
	double b = ((double)x - lo) * scale;
	return b >= RANK_BUCKETS - 1 ? RANK_BUCKETS - 1 : (size_t)b;
}

/* What v[0..c) (no NaN) sorted holds at ranks[0..4) (ascending) into
 * out[0..4), as select_nth finds them, by counting the values per bucket
 * of their range and selecting only in the buckets that hold the ranks.
 * Returns 0 when the range cannot be cut (one value, or not finite). */
static int rest_ranks(const float *v, size_t c, const size_t ranks[4], float out[4])
{
	float lo = v[0], hi = v[0];
	for (size_t i = 1; i < c; i++) {
		if (v[i] < lo)
			lo = v[i];
		if (v[i] > hi)
			hi = v[i];
	}
	if (!isfinite(lo) || !isfinite(hi) || !(lo < hi))
		return 0;
	double scale = RANK_BUCKETS / ((double)hi - lo);
	if (!isfinite(scale))
		return 0;
	uint32_t count[RANK_BUCKETS] = {0};
	for (size_t i = 0; i < c; i++)
		count[rank_bucket(v[i], lo, scale)]++;
	/* each rank's bucket and its place among the bucket's values */
	size_t bucket[4], at[4], below = 0, b = 0;
	for (int r = 0; r < 4; r++) {
		while (below + count[b] <= ranks[r]) /* ranks[r] < c: it stops */
			below += count[b++];
		bucket[r] = b;
		at[r] = ranks[r] - below;
	}
	float *in[4] = {NULL, NULL, NULL, NULL};
	size_t n[4] = {0, 0, 0, 0};
	for (int r = 0; r < 4; r++)
		if (r == 0 || bucket[r] != bucket[r - 1])
			in[r] = xreallocarray(NULL, count[bucket[r]], sizeof *in[r]);
	for (size_t i = 0; i < c; i++) {
		size_t k = rank_bucket(v[i], lo, scale);
		for (int r = 0; r < 4; r++)
			if (in[r] && bucket[r] == k) {
				in[r][n[r]++] = v[i];
				break;
			}
	}
	for (int r = 0; r < 4; r++) {
		int owner = r;
		while (!in[owner])
			owner--;
		select_nth(in[owner], 0, n[owner], at[r]);
		out[r] = in[owner][at[r]];
	}
	for (int r = 0; r < 4; r++)
		free(in[r]);
	return 1;
}

/* The band's point at bin b of the grid from xlo, span wide, from the run
 * means v[0..nruns) (NaN: none in the bin; v is reordered): own[k][*m],
 * *m counted up. */
static void rest_point(double xlo, double span, size_t b, float *v, size_t nruns,
                       struct chart_point *own[3], size_t *m)
{
	size_t c = 0;
	int zeros = 0; /* 1: a +0 among them, 2: a -0 */
	for (size_t i = 0; i < nruns; i++)
		if (!isnan(v[i])) {
			if (v[i] == 0)
				zeros |= signbit(v[i]) ? 2 : 1;
			v[c++] = v[i];
		}
	if (!c)
		return;
	size_t tenth = (c - 1) / 10;
	double x = xlo + ((double)b + 0.5) / REST_BINS * span;
	size_t half = c / 2;
	size_t ranks[4] = {tenth, c % 2 ? half : half - 1, half, c - 1 - tenth};
	float q[4];
	if (c >= RANK_MIN && zeros != 3 && rest_ranks(v, c, ranks, q)) {
		/* many runs: only the buckets of their range that hold the ranks */
		own[0][*m] = (struct chart_point){x, ((double)q[1] + q[2]) / 2};
		if (c % 2)
			own[0][*m].y = q[2];
		own[1][*m] = (struct chart_point){x, q[0]};
		own[2][*m] = (struct chart_point){x, q[3]};
		(*m)++;
		return;
	}
	if (zeros == 3) {
		/* qsort keeps equal values in their order, which a selection
		 * does not: only -0 and +0 show it */
		qsort(v, c, sizeof *v, cmp_float);
	} else {
		/* the order statistics the band takes, each after the ones
		 * that bound it */
		select_nth(v, 0, c, half);
		if (tenth < half)
			select_nth(v, 0, half, tenth);
		if (c % 2 == 0 && half - 1 > tenth)
			select_nth(v, tenth + 1, half, half - 1);
		if (c - 1 - tenth > half)
			select_nth(v, half + 1, c, c - 1 - tenth);
	}
	double med = c % 2 ? v[c / 2] : ((double)v[c / 2 - 1] + v[c / 2]) / 2;
	own[0][*m] = (struct chart_point){x, med};
	own[1][*m] = (struct chart_point){x, v[tenth]};
	own[2][*m] = (struct chart_point){x, v[c - 1 - tenth]};
	(*m)++;
}

/* The band's series into *cs: m points in own (which it takes). */
static void rest_chart_series(struct chart_series *cs, struct chart_point *own[3], size_t m,
                              size_t nrest)
{
	cs->label = xasprintf("the other %zu (median, middle 80%%)", nrest);
	cs->pts = own[0];
	cs->n = m;
	cs->band_lo = own[1];
	cs->band_hi = own[2];
	cs->nband = m;
	cs->faint = 1;
}

/* Calls fn for the decimated points of metric key of every run of the
 * units of have not picked (a group's every member). */
static size_t rest_each(const struct site *s, const struct plan_unit *have, size_t nh,
                        const char *picked, const char *key,
                        void (*fn)(void *ctx, size_t run, const struct chart_point *p, size_t n),
                        void *ctx)
{
	size_t run = 0;
	for (size_t u = 0; u < nh; u++) {
		if (picked[u])
			continue;
		size_t nm = have[u].g ? have[u].g->n : 1;
		for (size_t m = 0; m < nm; m++) {
			const struct site_run *sr =
			        &s->runs[have[u].g ? have[u].idx[have[u].g->members[m]] : have[u].run];
			size_t mi = run_metric_index(sr->run, key);
			size_t k;
			if (mi == SIZE_MAX || run_sum(sr->run, mi)->ndec == 0)
				continue;
			struct chart_point *cp = dec_points(s, sr, mi, &k);
			fn(ctx, run++, cp, k);
			free(cp);
		}
	}
	return run;
}

struct rest_bins {
	double xlo, xhi, span;
	size_t nruns;
	size_t b0, nb;      /* the slice of bins whose means are kept */
	float *mean;        /* [(bin - b0) * nruns + run]: the run's mean in the bin, NaN when none */
	double *sum;        /* per bin, for the run being read */
	size_t *count;
};

static void rest_range(void *ctx, size_t run, const struct chart_point *p, size_t n)
{
	struct rest_bins *r = ctx;
	(void)run;
	rest_x_range(p, n, &r->xlo, &r->xhi);
}

static void rest_bin(void *ctx, size_t run, const struct chart_point *p, size_t n)
{
	struct rest_bins *r = ctx;
	rest_bin_sums(p, n, r->xlo, r->span, r->sum, r->count);
	for (size_t b = r->b0; b < r->b0 + r->nb; b++)
		r->mean[(b - r->b0) * r->nruns + run] = rest_mean(r->sum, r->count, b);
}

/* The band of metric key read per slice of bins; range (when not NULL) is
 * the points' x range and nruns their runs', known already. */
static int rest_series(const struct site *s, const struct plan_unit *have, size_t nh,
                       const size_t *pick, size_t np, const char *key, const double *range,
                       size_t nruns, struct chart_series *cs, struct chart_point *own[3])
{
	memset(cs, 0, sizeof *cs);
	own[0] = own[1] = own[2] = NULL;
	char *picked = xcalloc(nh ? nh : 1, 1);
	for (size_t i = 0; i < np; i++)
		picked[pick[i]] = 1;
	struct rest_bins r = {.xlo = INFINITY, .xhi = -INFINITY};
	if (range) {
		r.xlo = range[0];
		r.xhi = range[1];
		r.nruns = nruns;
	} else {
		r.nruns = rest_each(s, have, nh, picked, key, rest_range, &r);
	}
	int ok = r.nruns > 0 && r.xlo <= r.xhi;
	if (ok) {
		r.span = r.xhi > r.xlo ? r.xhi - r.xlo : 1;
		size_t slice = REST_MEANS / r.nruns;
		slice = slice < 1 ? 1 : slice > REST_BINS ? REST_BINS : slice;
		r.mean = xreallocarray(NULL, slice * r.nruns, sizeof *r.mean);
		r.sum = xreallocarray(NULL, REST_BINS, sizeof *r.sum);
		r.count = xreallocarray(NULL, REST_BINS, sizeof *r.count);
		for (int k = 0; k < 3; k++)
			own[k] = xreallocarray(NULL, REST_BINS, sizeof *own[k]);
		size_t m = 0;
		for (size_t b = 0; b < REST_BINS; b++) {
			if (b == r.b0 + r.nb || b == 0) {
				/* The next slice's means. */
				r.b0 = b;
				r.nb = REST_BINS - b < slice ? REST_BINS - b : slice;
				rest_each(s, have, nh, picked, key, rest_bin, &r);
			}
			rest_point(r.xlo, r.span, b, r.mean + (b - r.b0) * r.nruns, r.nruns, own, &m);
		}
		free(r.mean);
		free(r.sum);
		free(r.count);
		rest_chart_series(cs, own, m, nh - np);
	}
	free(picked);
	return ok;
}

/* A band's file: an experiment page made again (a run added to 10,000)
 * takes each unchanged run's means per bin from the last build's band
 * instead of reading the run's points again. One file a band (the page's
 * own, in PAGES_CACHE_DIR, never served): a head (BAND_MAGIC, the code and
 * options' fingerprint, the metric, the bins' x range), per run in order
 * its digest and the x range of its points (BAND_RECORD bytes), per bin
 * every run's mean (floats), and the count of runs. Written only for a
 * band binned in the summaries' range (rest_finish), so each of its runs'
 * means is what binning its points in that range gives. */
#define BAND_MAGIC "runsite band 1\n"
#define BAND_RECORD 32

/* The last build's file of a band whose key and range are this build's. */
struct band_old {
	int fd;                   /* -1: none */
	uint64_t n;               /* its runs */
	uint64_t rows_at;         /* where bin 0's means begin */
	unsigned char *records;   /* n × BAND_RECORD */
	uint32_t *slot;           /* by digest: column + 1 (0: empty) */
	size_t cap;
};

/* The band of one metric of an overlay, as rest_bands makes it. */
struct rest_band {
	const char *key;
	char *in;            /* per unit of the overlay: 1 when the band has it (NULL: no band) */
	double gxlo, gxhi;   /* the x range the series' summaries give */
	double xlo, xhi;     /* the x range of the points read */
	int binned;          /* every run read so far lay within gxlo..gxhi: its means are in chunks */
	size_t nruns;
	float *chunk;        /* [bin * per + j]: the chunk's j-th run's mean in bin (NaN: none) */
	size_t inchunk;
	uint64_t *spilled;   /* the offsets of the full chunks written out */
	size_t nspilled;
	/* The result: done (own and m), or to be drawn by rest_series
	 * (redo), or nothing to draw (neither). */
	int done, redo;
	struct chart_point *own[3];
	size_t m;
	/* Its file (band_files): the last build's means taken from it (old),
	 * per run in order the column they are in there or UINT32_MAX for
	 * one binned now (src; NULL: every one), this build's written (out). */
	struct band_old old;
	uint32_t *src;
	size_t nold;
	FILE *out;
	char *out_rel;
};

/* The x of metric i's first and last points as they are drawn for run sr
 * (its decimated copy, of ndec > 0 points, begins and ends with them):
 * from its copy in memory, else what the run cache noted, else the copy's
 * two ends in the scratch file. NaN when they cannot be read back. */
static void rest_guess_x(const struct site *s, const struct site_run *sr, size_t i, double *first_x,
                         double *last_x)
{
	size_t ndec = run_sum(sr->run, i)->ndec;
	const struct point *dec = run_dec(sr->run, i);
	struct point ends[2];
	*first_x = *last_x = NAN;
	if (dec) {
		ends[0] = dec[0];
		ends[1] = dec[ndec - 1];
	} else if (sr->kept) {
		const struct kept_ends *k = &sr->kept->ends[i];
		ends[0] = (struct point){k->first_step, k->first_time_ms, 0};
		ends[1] = (struct point){run_sum(sr->run, i)->last.step, k->last_time_ms, 0};
	} else {
		uint64_t off = dec_offset(sr, i);
		if (!sr->dec_at || !scratch_read(s, off, &ends[0], sizeof ends[0]) ||
		    !scratch_read(s, off + (ndec - 1) * sizeof ends[0], &ends[1], sizeof ends[1]))
			return;
	}
	int64_t origin = x_origin(sr->run, &ends[0]);
	*first_x = point_x(&ends[0], s->opts->chart.x_kind, origin);
	*last_x = point_x(&ends[1], s->opts->chart.x_kind, origin);
}

/* Appends run digest's record (its points' x range lo..hi) to band b's
 * file while the band is binned. */
static void band_record(struct rest_band *b, const unsigned char digest[16], double lo, double hi)
{
	if (!b->out || !b->binned)
		return;
	unsigned char rec[BAND_RECORD];
	memcpy(rec, digest, 16);
	memcpy(rec + 16, &lo, 8);
	memcpy(rec + 24, &hi, 8);
	fwrite(rec, 1, sizeof rec, b->out);
}

/* Notes where the next run of band b has its means: column col of the last
 * build's file, or UINT32_MAX (the chunks). */
static void band_source(struct rest_band *b, uint32_t col)
{
	if (!b->src || !b->binned)
		return;
	if ((b->nruns & (b->nruns - 1)) == 0) /* a power of two: full */
		b->src = xreallocarray(b->src, b->nruns * 2, sizeof *b->src);
	b->src[b->nruns - 1] = col;
	b->nold += col != UINT32_MAX;
}

/* Takes the next run of band b from the last build's file: its column
 * col there holds its means in the same bins (its points are not read). */
static void rest_take_old(struct rest_band *b, uint32_t col)
{
	const unsigned char *rec = b->old.records + (size_t)col * BAND_RECORD;
	double lo, hi;
	memcpy(&lo, rec + 16, 8);
	memcpy(&hi, rec + 24, 8);
	b->xlo = fmin(b->xlo, lo);
	b->xhi = fmax(b->xhi, hi);
	b->nruns++;
	band_source(b, col);
	band_record(b, rec, lo, hi);
}

/* Takes the n points of the next run of band b (digest: the run's): their
 * x range, and, while the summaries' range holds, their means per bin into
 * its chunk (per runs a chunk; a full one is written to the site's scratch
 * file). */
static void rest_take(struct site *s, struct rest_band *b, const unsigned char *digest,
                      const struct chart_point *p, size_t n, size_t per, double *sum,
                      size_t *count)
{
	double lo = INFINITY, hi = -INFINITY;
	rest_x_range(p, n, &lo, &hi);
	b->xlo = fmin(b->xlo, lo);
	b->xhi = fmax(b->xhi, hi);
	b->nruns++;
	if (!b->binned)
		return;
	if (lo < b->gxlo || hi > b->gxhi) {
		b->binned = 0;
		return;
	}
	band_source(b, UINT32_MAX);
	band_record(b, digest, lo, hi);
	double span = b->gxhi > b->gxlo ? b->gxhi - b->gxlo : 1;
	rest_bin_sums(p, n, b->gxlo, span, sum, count);
	for (size_t k = 0; k < REST_BINS; k++)
		b->chunk[k * per + b->inchunk] = rest_mean(sum, count, k);
	if (++b->inchunk < per)
		return;
	long off = scratch_put(s, b->chunk, REST_BINS * per * sizeof *b->chunk, NULL);
	if (off < 0) {
		b->binned = 0;
		return;
	}
	b->spilled = xreallocarray(b->spilled, b->nspilled + 1, sizeof *b->spilled);
	b->spilled[b->nspilled++] = (uint64_t)off;
	b->inchunk = 0;
}

/* Reads want bytes at off of fd into out: 1, or 0. */
static int pread_full(int fd, void *out, size_t want, uint64_t off)
{
	size_t got = 0;
	while (got < want) {
		ssize_t k = pread(fd, (char *)out + got, want - got, (off_t)(off + got));
		if (k <= 0)
			return 0;
		got += (size_t)k;
	}
	return 1;
}

/* Band b's points from its chunks and the last build's file (its means
 * binned in the summaries' range, which the points had), each bin's means
 * written to its file in run order. Returns 0 when they cannot be read back. */
static int rest_finish(const struct site *s, struct rest_band *b, size_t per)
{
	double span = b->gxhi > b->gxlo ? b->gxhi - b->gxlo : 1;
	size_t nchunked = b->nspilled * per + b->inchunk;
	float *v = xreallocarray(NULL, b->nruns, sizeof *v);
	/* with runs from the last build's file, the chunks' means and its
	 * bin's means are merged in run order */
	float *cv = b->src ? xreallocarray(NULL, nchunked ? nchunked : 1, sizeof *cv) : v;
	float *ov = b->nold ? xreallocarray(NULL, b->old.n, sizeof *ov) : NULL;
	for (int k = 0; k < 3; k++)
		b->own[k] = xreallocarray(NULL, REST_BINS, sizeof *b->own[k]);
	b->m = 0;
	int ok = 1;
	for (size_t bin = 0; bin < REST_BINS && ok; bin++) {
		size_t want = per * sizeof *v;
		for (size_t c = 0; c < b->nspilled && ok; c++)
			ok = scratch_read(s, b->spilled[c] + bin * want, cv + c * per, want);
		memcpy(cv + b->nspilled * per, b->chunk + bin * per, b->inchunk * sizeof *v);
		if (ok && ov)
			ok = pread_full(b->old.fd, ov, b->old.n * sizeof *ov,
			                b->old.rows_at + bin * b->old.n * sizeof *ov);
		if (ok && b->src)
			for (size_t j = 0, c = 0; j < b->nruns; j++)
				v[j] = b->src[j] == UINT32_MAX ? cv[c++] : ov[b->src[j]];
		if (ok && b->out)
			fwrite(v, sizeof *v, b->nruns, b->out);
		if (ok)
			rest_point(b->gxlo, span, bin, v, b->nruns, b->own, &b->m);
	}
	if (cv != v)
		free(cv);
	free(ov);
	free(v);
	if (!ok)
		for (int k = 0; k < 3; k++) {
			free(b->own[k]);
			b->own[k] = NULL;
		}
	return ok;
}

/* What this build's band files are made under: the code and the options
 * (none: no band file). */
static int band_context(const struct site *s, char ctx[CHART_FINGERPRINT_LEN + 1])
{
	struct buf none = BUF_INIT;
	struct page_fp *h = s->cache ? page_fp_begin(s, "band", &none) : NULL;
	if (!h)
		return 0;
	page_fp_end(h, ctx);
	return 1;
}

/* The head of band b's file under context ctx. */
static void band_head(const struct rest_band *b, const char *ctx, struct buf *out)
{
	buf_put(out, BAND_MAGIC, sizeof BAND_MAGIC - 1);
	buf_put(out, ctx, CHART_FINGERPRINT_LEN);
	uint64_t klen = strlen(b->key);
	buf_put(out, &klen, 8);
	buf_put(out, b->key, klen);
	buf_put(out, &b->gxlo, 8);
	buf_put(out, &b->gxhi, 8);
}

static size_t band_slot(const struct band_old *o, const unsigned char *digest)
{
	uint64_t h;
	memcpy(&h, digest, sizeof h);
	return (size_t)h & (o->cap - 1);
}

/* Opens the last build's file of band b (file rel of page) when it is of
 * this code and these options (ctx), the same metric and range: its runs
 * are then found by digest. */
static void band_old_open(struct site *s, const char *page, const char *rel, const char *ctx,
                          struct rest_band *b)
{
	struct band_old *o = &b->old;
	memset(o, 0, sizeof *o);
	o->fd = cache_old_page_file(s->cache, page, rel);
	if (o->fd < 0)
		return;
	struct buf want = BUF_INIT;
	band_head(b, ctx, &want);
	unsigned char *got = xreallocarray(NULL, want.size, 1);
	off_t size = lseek(o->fd, 0, SEEK_END);
	uint64_t n = 0;
	int ok = size >= (off_t)(want.size + 8) && pread_full(o->fd, got, want.size, 0) &&
	         memcmp(got, want.data, want.size) == 0 &&
	         pread_full(o->fd, &n, 8, (uint64_t)size - 8);
	uint64_t per_run = BAND_RECORD + REST_BINS * sizeof(float);
	ok = ok && n < UINT32_MAX && n <= ((uint64_t)size - want.size - 8) / per_run &&
	     (uint64_t)size == want.size + n * per_run + 8;
	if (ok) {
		o->n = n;
		o->rows_at = want.size + n * BAND_RECORD;
		o->records = xreallocarray(NULL, n ? n : 1, BAND_RECORD);
		ok = pread_full(o->fd, o->records, n * BAND_RECORD, want.size);
	}
	if (ok) {
		o->cap = 16;
		while (o->cap < 2 * n)
			o->cap *= 2;
		o->slot = xcalloc(o->cap, sizeof *o->slot);
		for (uint32_t i = 0; i < n; i++) {
			size_t k = band_slot(o, o->records + (size_t)i * BAND_RECORD);
			while (o->slot[k])
				k = (k + 1) & (o->cap - 1);
			o->slot[k] = i + 1;
		}
	} else {
		close(o->fd);
		free(o->records);
		memset(o, 0, sizeof *o);
		o->fd = -1;
	}
	buf_free(&want);
	free(got);
}

/* The column of the run of digest in band b's last file, or UINT32_MAX. */
static uint32_t band_old_find(const struct band_old *o, const unsigned char *digest)
{
	if (o->fd < 0)
		return UINT32_MAX;
	for (size_t k = band_slot(o, digest); o->slot[k]; k = (k + 1) & (o->cap - 1))
		if (memcmp(o->records + (size_t)(o->slot[k] - 1) * BAND_RECORD, digest, 16) == 0)
			return o->slot[k] - 1;
	return UINT32_MAX;
}

static void band_old_close(struct band_old *o)
{
	if (o->fd >= 0)
		close(o->fd);
	free(o->records);
	free(o->slot);
	memset(o, 0, sizeof *o);
	o->fd = -1;
}

/* Starts band b's file rel in this build's site (its folder made). */
static int band_out_open(struct site *s, const char *rel, const char *ctx, struct rest_band *b)
{
	char *dir = xstrndup(rel, (size_t)(strrchr(rel, '/') - rel));
	int ok = site_mkdir(s, dir);
	free(dir);
	b->out = ok ? site_stream_open(s, rel) : NULL;
	if (!b->out)
		return 0;
	b->out_rel = xstrdup(rel);
	struct buf head = BUF_INIT;
	band_head(b, ctx, &head);
	fwrite(head.data, 1, head.size, b->out);
	buf_free(&head);
	return 1;
}

/* Ends band b's file: kept with its count of runs when the band was made
 * from its means (done), else removed. Returns 0 after a write error. */
static int band_out_close(struct site *s, struct rest_band *b)
{
	if (!b->out)
		return 1;
	uint64_t n = b->nruns;
	if (b->done)
		fwrite(&n, 8, 1, b->out);
	int ok = site_stream_close(s, b->out, b->out_rel);
	if (!b->done || !ok) {
		char *path = path_join(s->tmp, b->out_rel);
		unlink(path);
		free(path);
	}
	b->out = NULL;
	free(b->out_rel);
	b->out_rel = NULL;
	return ok;
}

/* The decimated copies of run sr's metrics want marks (ndec[i] != SIZE_MAX)
 * as chart points into cp[i] (n[i] of them; caller frees), as dec_points
 * gives them, a kept run's with one read of its file. */
static void rest_read(const struct site *s, const struct site_run *sr, const size_t *ndec,
                      struct chart_point **cp, size_t *n)
{
	const struct run *r = sr->run;
	struct point **pts = NULL;
	int from_file = 0;
	for (size_t i = 0; i < r->nmetrics; i++)
		from_file |= ndec[i] != SIZE_MAX && !run_dec(r, i) && sr->kept;
	if (from_file) {
		pts = xcalloc(r->nmetrics, sizeof *pts);
		runcache_read_decs(sr->kept, r->nmetrics, ndec, pts);
	}
	for (size_t i = 0; i < r->nmetrics; i++) {
		cp[i] = NULL;
		if (ndec[i] == SIZE_MAX)
			continue;
		if (!run_dec(r, i) && sr->kept)
			cp[i] = copy_points(s, sr, run_sum(r, i), pts[i], RUNCACHE_DIR, &n[i]);
		else
			cp[i] = dec_points(s, sr, i, &n[i]);
	}
	free(pts);
}

/* Run r's metric per band (metric[k]: its index, SIZE_MAX when band k
 * does not have it), as unit u of the overlay; 0 when no band has any. */
static int rest_metrics(const struct run *r, size_t u, const struct rest_band *bands, size_t nk,
                        size_t *metric)
{
	int any = 0;
	for (size_t k = 0; k < nk; k++) {
		metric[k] = SIZE_MAX;
		if (!bands[k].in || !bands[k].in[u])
			continue;
		size_t i = run_metric_index(r, bands[k].key);
		if (i != SIZE_MAX && run_sum(r, i)->ndec > 0) {
			metric[k] = i;
			any = 1;
		}
	}
	return any;
}

/* Run mi of unit u. */
static const struct site_run *unit_run(const struct site *s, const struct plan_unit *u, size_t mi)
{
	return &s->runs[u->g ? u->idx[u->g->members[mi]] : u->run];
}

/* Makes the bands of bands[0..nk) that have units (in) of the overlay's
 * units[0..nu): each done, or to redo with rest_series. With page (the
 * page's path) and files (the folder of its band files), each band's means
 * of unchanged runs come from the last build's file, and its file is
 * written. Returns 0 after a write error. */
static int rest_bands(struct site *s, const struct plan_unit *units, size_t nu,
                      struct rest_band *bands, size_t nk, const char *page, const char *files)
{
	size_t nb = 0;
	for (size_t k = 0; k < nk; k++)
		nb += bands[k].in != NULL;
	if (!nb)
		return 1;
	for (size_t k = 0; k < nk; k++) {
		struct rest_band *b = &bands[k];
		b->gxlo = b->xlo = INFINITY;
		b->gxhi = b->xhi = -INFINITY;
		b->binned = b->in != NULL;
		b->old.fd = -1;
	}
	size_t *metric = xreallocarray(NULL, nk, sizeof *metric);
	/* The x range the summaries give: each series' first and last point;
	 * and the runs of the largest band, which the chunks need not pass. */
	size_t most = 0, *nruns = xcalloc(nk, sizeof *nruns);
	for (size_t u = 0; u < nu; u++)
		for (size_t mi = 0; mi < (units[u].g ? units[u].g->n : 1); mi++) {
			const struct site_run *sr = unit_run(s, &units[u], mi);
			if (!rest_metrics(sr->run, u, bands, nk, metric))
				continue;
			for (size_t k = 0; k < nk; k++) {
				if (metric[k] == SIZE_MAX)
					continue;
				if (++nruns[k] > most)
					most = nruns[k];
				double first_x, last_x;
				rest_guess_x(s, sr, metric[k], &first_x, &last_x);
				bands[k].gxlo = fmin(bands[k].gxlo, first_x);
				bands[k].gxhi = fmax(bands[k].gxhi, last_x);
			}
		}
	free(nruns);
	/* The chunks together hold no more than one band's means would
	 * (REST_MEANS at most). */
	size_t per = (most < REST_MEANS / REST_BINS ? most : REST_MEANS / REST_BINS) / nb;
	per = per < 1 ? 1 : per;
	char ctx[CHART_FINGERPRINT_LEN + 1];
	int with_files = page && files && band_context(s, ctx), ok = 1;
	for (size_t k = 0; k < nk; k++) {
		struct rest_band *b = &bands[k];
		if (!b->in)
			continue;
		b->chunk = xreallocarray(NULL, REST_BINS * per, sizeof *b->chunk);
		if (!with_files || !(b->gxlo <= b->gxhi))
			continue;
		char *rel = xasprintf("%s/band-%zu", files, k);
		band_old_open(s, page, rel, ctx, b);
		if (b->old.fd >= 0)
			b->src = xreallocarray(NULL, 1, sizeof *b->src);
		ok = ok && band_out_open(s, rel, ctx, b);
		free(rel);
	}
	/* Every run's copies, read once; none of a run each band takes from
	 * its last file. */
	double *sum = xreallocarray(NULL, REST_BINS, sizeof *sum);
	size_t *count = xreallocarray(NULL, REST_BINS, sizeof *count);
	size_t cap = 0, *ndec = NULL, *n = NULL;
	struct chart_point **cp = NULL;
	for (size_t u = 0; u < nu && ok; u++)
		for (size_t mi = 0; mi < (units[u].g ? units[u].g->n : 1); mi++) {
			const struct site_run *sr = unit_run(s, &units[u], mi);
			const struct run *r = sr->run;
			if (!rest_metrics(r, u, bands, nk, metric))
				continue;
			int left = 0;
			for (size_t k = 0; k < nk; k++) {
				if (metric[k] == SIZE_MAX)
					continue;
				uint32_t col = band_old_find(&bands[k].old, sr->digest);
				if (col != UINT32_MAX) {
					rest_take_old(&bands[k], col);
					metric[k] = SIZE_MAX;
				} else {
					left = 1;
				}
			}
			if (!left)
				continue;
			if (r->nmetrics > cap) {
				cap = r->nmetrics;
				ndec = xreallocarray(ndec, cap, sizeof *ndec);
				n = xreallocarray(n, cap, sizeof *n);
				cp = xreallocarray(cp, cap, sizeof *cp);
			}
			for (size_t i = 0; i < r->nmetrics; i++)
				ndec[i] = SIZE_MAX;
			for (size_t k = 0; k < nk; k++)
				if (metric[k] != SIZE_MAX)
					ndec[metric[k]] = run_sum(r, metric[k])->ndec;
			rest_read(s, sr, ndec, cp, n);
			for (size_t k = 0; k < nk; k++)
				if (metric[k] != SIZE_MAX)
					rest_take(s, &bands[k], sr->digest, cp[metric[k]], n[metric[k]], per,
					          sum, count);
			for (size_t i = 0; i < r->nmetrics; i++)
				free(cp[i]);
		}
	for (size_t k = 0; k < nk; k++) {
		struct rest_band *b = &bands[k];
		cache_count_taken(s->cache, true, b->nold, b->nspilled * per + b->inchunk);
		if (!ok || !b->in || !b->nruns || !(b->xlo <= b->xhi))
			; /* nothing to draw */
		else if (b->binned && b->xlo == b->gxlo && b->xhi == b->gxhi && rest_finish(s, b, per))
			b->done = 1;
		else
			b->redo = 1;
		if (!band_out_close(s, b))
			ok = 0;
		band_old_close(&b->old);
		free(b->src);
		b->src = NULL;
		free(b->chunk);
		b->chunk = NULL;
		free(b->spilled);
		b->spilled = NULL;
	}
	free(cp);
	free(n);
	free(ndec);
	free(count);
	free(sum);
	free(metric);
	return ok;
}

static void unit_free(struct chart_series *cs, struct chart_point *own[3], int group)
{
	for (int i = 0; i < 3; i++)
		free(own[i]);
	if (group)
		free((void *)cs->label);
}

/* Writes chart sp's drawn points beside it as dir/stem.points.js, a script
 * the page loads when the chart scrolls near (a 500-run page would parse
 * megabytes of points before showing anything). Returns the file's name
 * relative to the chart's folder, or NULL (the picture stays static). */
static char *chart_data_file(struct site *s, const struct chart_spec *sp, int log_y,
                             int columns, const char *dir, const char *stem,
                             struct chart_fp *memo)
{
	char *name = xasprintf("%s.points.js", stem);
	char *rel = xasprintf("%s/%s", dir, name);
	char fp[CHART_FINGERPRINT_LEN + 1];
	points_fingerprint(sp, memo, fp);
	struct chart_info info = {0};
	info.log_y = log_y;
	if (cache_reuse(s->cache, rel, fp, &info)) {
		free(rel);
		return name;
	}
	char *json = chart_data_json(sp, log_y, columns, memo);
	if (!json) {
		free(rel);
		free(name);
		return NULL;
	}
	char *id = xasprintf("chart-%s", stem);
	struct buf b = BUF_INIT;
	BUF_PUTSL(&b, "runsiteChartData(");
	struct jsonw w;
	char *qid = NULL;
	size_t qlen = 0;
	FILE *f = open_memstream(&qid, &qlen);
	if (f) {
		jsonw_init(&w, f);
		jsonw_string(&w, id);
		fclose(f);
	}
	buf_puts(&b, qid ? qid : "\"\"");
	BUF_PUTSL(&b, ",");
	buf_puts(&b, json);
	BUF_PUTSL(&b, ");\n");
	free(qid);
	free(id);
	free(json);
	int ok = site_write(s, rel, b.data, b.size);
	if (ok)
		cache_record(s->cache, rel, fp, &info);
	free(rel);
	buf_free(&b);
	if (!ok) {
		free(name);
		return NULL;
	}
	return name;
}

struct chart_ref *overlay_charts(struct site *s, const struct plan_unit *units, size_t nu,
                                 const struct plan_metric *keys, size_t nk, const char *dir,
                                 const char *page_dir, struct slugset *stems, size_t *nout,
                                 int *ok)
{
	return overlay_charts_page(s, units, nu, keys, nk, dir, page_dir, stems, nout, ok, NULL,
	                           NULL);
}

struct chart_ref *overlay_charts_page(struct site *s, const struct plan_unit *units, size_t nu,
                                      const struct plan_metric *keys, size_t nk,
                                      const char *dir, const char *page_dir,
                                      struct slugset *stems, size_t *nout, int *ok,
                                      const char *page, const char *band_files)
{
	*nout = 0;
	*ok = 1;
	struct chart_ref *refs = xreallocarray(NULL, nk ? nk : 1, sizeof *refs);
	size_t *pick = xreallocarray(NULL, nu ? nu : 1, sizeof *pick);
	int made = 0;
	struct plan_unit *have = xreallocarray(NULL, nu ? nu : 1, sizeof *have);
	size_t *hidx = xreallocarray(NULL, nu ? nu : 1, sizeof *hidx);
	/* Each metric's runs picked (a few of them: only those are held for
	 * each metric, and drawn), then the other runs' bands of every metric
	 * at once (one read of each run). */
	size_t **picks = xcalloc(nk ? nk : 1, sizeof *picks), most = 0;
	size_t *nps = xcalloc(nk ? nk : 1, sizeof *nps), *nhs = xcalloc(nk ? nk : 1, sizeof *nhs);
	char **notes = xcalloc(nk ? nk : 1, sizeof *notes);
	struct rest_band *bands = xcalloc(nk ? nk : 1, sizeof *bands);
	for (size_t k = 0; k < nk; k++) {
		/* Picked among the units with a line of this metric, so that a
		 * note like "the best 10 of 34" counts what the chart could hold. */
		size_t nh = 0;
		for (size_t i = 0; i < nu; i++)
			if (unit_has_series(s, &units[i], keys[k].key)) {
				hidx[nh] = i;
				have[nh++] = units[i];
			}
		size_t np = plan_overlay_pick(&s->plan, s->rr, &s->opts->goals, have, nh, keys[k].key,
		                              pick, &notes[k]);
		picks[k] = xreallocarray(NULL, np ? np : 1, sizeof **picks);
		memcpy(picks[k], pick, np * sizeof *pick);
		nps[k] = np;
		most = np > most ? np : most;
		nhs[k] = nh;
		bands[k].key = keys[k].key;
		if (np < nh) {
			bands[k].in = xcalloc(nu ? nu : 1, 1);
			for (size_t h = 0; h < nh; h++)
				bands[k].in[hidx[h]] = 1;
			for (size_t i = 0; i < np; i++)
				bands[k].in[hidx[pick[i]]] = 0;
		}
	}
	*ok = rest_bands(s, units, nu, bands, nk, page, band_files);
	/* the picked runs' lines, and the others' band */
	struct chart_series *cs = xcalloc(most + 1, sizeof *cs);
	struct chart_point *(*own)[3] = xcalloc(most + 1, sizeof *own);
	for (size_t k = 0; k < nk && *ok; k++) {
		char *note = notes[k];
		notes[k] = NULL;
		size_t nh = 0;
		for (size_t i = 0; i < nu; i++)
			if (unit_has_series(s, &units[i], keys[k].key))
				have[nh++] = units[i];
		size_t np = nps[k];
		memcpy(pick, picks[k], np * sizeof *pick);
		size_t ns = 0, longest = 0, budget = OVERLAY_POINT_BUDGET;
		int *grp = xcalloc(np + 1, sizeof *grp);
		for (size_t i = 0; i < np; i++)
			if (unit_series(s, &have[pick[i]], keys[k].key, &cs[ns], own[ns], &longest,
			                &budget))
				grp[ns++] = have[pick[i]].g != NULL;
		/* a sweep's other runs, faint beneath the best (their label is
		 * freed as a group's) */
		struct rest_band *rb = &bands[k];
		int rest = 0;
		if (np < nh && ns < nu && rb->done) {
			memset(&cs[ns], 0, sizeof cs[ns]);
			rest_chart_series(&cs[ns], rb->own, rb->m, nh - np);
			for (int j = 0; j < 3; j++) {
				own[ns][j] = rb->own[j];
				rb->own[j] = NULL;
			}
			rest = 1;
		} else if (np < nh && ns < nu && rb->redo) {
			double range[2] = {rb->xlo, rb->xhi};
			rest = rest_series(s, have, nh, pick, np, keys[k].key, range, rb->nruns, &cs[ns],
			                   own[ns]);
		}
		if (rest) {
			grp[ns++] = 1;
			char *more = xasprintf("%s The other %zu are drawn grey: their median and middle 80%%.",
			                       note ? note : "", nh - np);
			free(note);
			note = more;
		}
		chart_distinct_looks(cs, ns);
		/* Worth a picture only with a line in it: single values (one point
		 * per run) are compared better in the tables. */
		if (longest >= 2 && ns > 0) {
			if (!made && !(made = site_mkdir(s, dir)))
				*ok = 0;
			char *base = slug_from(keys[k].key, SLUG_MAX, "metric");
			const char *stem = slug_claim(stems, base);
			free(base);
			struct chart_spec sp;
			spec_for(s, &sp, keys[k].key);
			sp.series = cs;
			sp.nseries = ns;
			char *alt = NULL;
			int log_y = 0;
			struct chart_fp memo = {0};
			if (*ok && write_chart(s, &sp, dir, stem, &alt, &log_y, &memo)) {
				refs[*nout] = (struct chart_ref){keys[k].key, page_dir, xstrdup(stem),
				                                 alt, note, NULL,
				                                 chart_data_file(s, &sp, log_y,
				                                                 sp.width > 0 ? sp.width : 720,
				                                                 dir, stem, &memo),
				                                 NULL, 0, NULL};
				chart_keys(&sp, &refs[(*nout)++]);
				note = NULL;
			} else {
				*ok = 0;
			}
		}
		free(note);
		for (size_t i = 0; i < ns; i++)
			unit_free(&cs[i], own[i], grp[i]);
		free(grp);
	}
	for (size_t k = 0; k < nk; k++) {
		free(notes[k]);
		free(picks[k]);
		free(bands[k].in);
		for (int j = 0; j < 3; j++)
			free(bands[k].own[j]);
	}
	free(bands);
	free(notes);
	free(nhs);
	free(nps);
	free(picks);
	free(hidx);
	free(have);
	free(pick);
	free(own);
	free(cs);
	return refs;
}

void free_refs(struct chart_ref *refs, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free((void *)refs[i].stem);
		free((void *)refs[i].alt);
		free((void *)refs[i].note);
		free(refs[i].data);
		for (size_t k = 0; k < refs[i].nkeys; k++) {
			free(refs[i].keys[k].name);
			free(refs[i].keys[k].own);
		}
		free(refs[i].keys);
		free(refs[i].common);
	}
	free(refs);
}

/* ---- sweeps ---- */

/* Parses s whole as a finite number. */
static int parse_num(const char *s, double *v)
{
	char *end;
	if (!s || !*s)
		return 0;
	*v = strtod(s, &end);
	return *end == '\0' && isfinite(*v);
}

/* Fills dim d for param key over runs rr[0..n): numeric when every value
 * present is a number, else categories in sorted order (cats and vals are
 * the caller's, freed after the chart). */
static void sweep_dim(struct chart_dim *d, const char *key, const struct run **rr, size_t n,
                      double *vals, const char ***cats)
{
	int numeric = 1;
	double lo = INFINITY, hi = -INFINITY;
	for (size_t i = 0; i < n; i++) {
		const char *v = kvlist_get(&rr[i]->params, key);
		vals[i] = NAN;
		if (v && !parse_num(v, &vals[i]))
			numeric = 0;
		if (v && numeric) {
			lo = fmin(lo, vals[i]);
			hi = fmax(hi, vals[i]);
		}
	}
	memset(d, 0, sizeof *d);
	d->label = key;
	d->v = vals;
	if (numeric) {
		d->log = lo > 0 && hi / lo >= 100;
		return;
	}
	const char **c = xreallocarray(NULL, n ? n : 1, sizeof *c);
	size_t nc = 0;
	for (size_t i = 0; i < n; i++) {
		const char *v = kvlist_get(&rr[i]->params, key);
		if (v)
			c[nc++] = v;
	}
	qsort(c, nc, sizeof *c, cmp_strp);
	size_t u = 0;
	for (size_t i = 0; i < nc; i++)
		if (u == 0 || strcmp(c[i], c[u - 1]) != 0)
			c[u++] = c[i];
	for (size_t i = 0; i < n; i++) {
		const char *v = kvlist_get(&rr[i]->params, key);
		vals[i] = NAN;
		for (size_t j = 0; v && j < u; j++)
			if (strcmp(c[j], v) == 0)
				vals[i] = (double)j;
	}
	d->cats = c;
	d->ncats = u;
	*cats = c;
}

/* Writes the parallel-coordinates chart (dims[0..np], the metric last)
 * and a scatter per param of cp[0..np) into dir, adding their references to
 * refs (page_dir: dir as the page links it). */
static void write_sweeps(struct site *s, struct chart_sweep *sw, struct chart_dim *dims,
                         const struct compare_param *cp, size_t np, const char *metric,
                         const char *dir, const char *page_dir, struct slugset *stems,
                         struct chart_ref *refs, size_t *nout, int *ok)
{
	for (size_t c = 0; c <= np && *ok; c++) {
		/* c == 0: parallel coordinates; then a scatter per param. */
		struct chart_dim pair[2];
		char *title, *base;
		/* what is bold says itself in the title */
		size_t top = chart_sweep_top(sw->nruns);
		char *best = sw->goal == CHART_GOAL_NONE || top >= sw->nruns
		                     ? xstrdup("")
		                     : xasprintf(", best %zu of %zu bold", top, sw->nruns);
		if (c == 0) {
			title = xasprintf("%s across %zu params%s", metric, np, best);
			base = xstrdup("sweep-parallel");
			sw->dims = dims;
			sw->ndims = np + 1;
		} else {
			title = xasprintf("%s by %s%s", metric, cp[c - 1].key, best);
			char *ps = slug_from(cp[c - 1].key, SLUG_MAX, "param");
			base = xasprintf("sweep-%s", ps);
			free(ps);
			pair[0] = dims[c - 1];
			pair[1] = dims[np];
			sw->dims = pair;
			sw->ndims = 2;
		}
		free(best);
		sw->title = title;
		const char *stem = slug_claim(stems, base);
		free(base);
		for (int f = CHART_SVG; f <= CHART_PDF && *ok; f++) {
			if (!(s->opts->chart_formats & (1u << f)))
				continue;
			char *rel = xasprintf("%s/%s.%s", dir, stem, site_chart_ext[f]);
			char *path = site_new_file(s, rel);
			free(rel);
			*ok = c == 0 ? chart_write_parallel(sw, (enum chart_format)f, path)
			             : chart_write_scatter(sw, (enum chart_format)f, path);
			free(path);
		}
		char *alt = c == 0 ? xasprintf("Parallel coordinates of %zu runs: %zu params and %s, "
		                               "runs coloured by %s",
		                               sw->nruns, np, metric, metric)
		                   : xasprintf("Scatter of %s against %s over %zu runs", metric,
		                               cp[c - 1].key, sw->nruns);
		refs[(*nout)++] = (struct chart_ref){title, page_dir, xstrdup(stem), alt, NULL, "Sweep",
		                                     NULL, NULL, 0, NULL};
	}
}

struct chart_ref *sweep_charts(struct site *s, const struct site_exp *e, const char *dir,
                               struct slugset *stems, size_t *nout, int *ok)
{
	*nout = 0;
	*ok = 1;
	size_t ei = (size_t)(e - s->exps);
	const char *metric = ei < s->plan.nexps ? s->plan.exp_primary[ei] : s->primary;
	if (!metric || e->nruns < 5 || !s->opts->chart_formats)
		return NULL;
	enum goal g = site_goal(s, metric);
	/* The runs with a value of the metric. */
	const struct run **rr = xreallocarray(NULL, e->nruns, sizeof *rr);
	int *colors = xreallocarray(NULL, e->nruns, sizeof *colors);
	double *mv = xreallocarray(NULL, e->nruns, sizeof *mv);
	size_t n = 0;
	for (size_t i = 0; i < e->nruns; i++) {
		const struct site_run *sr = &s->runs[e->runs[i]];
		double v;
		if (!site_value_at(s, sr->run, metric, g, &v) || !isfinite(v))
			continue;
		rr[n] = sr->run;
		colors[n] = sr->color;
		mv[n++] = v;
	}
	struct compare_param *cp = NULL;
	size_t ncp = n >= 5 ? compare_varying_params(rr, n, &cp) : 0;
	size_t np = 0;
	for (size_t i = 0; i < ncp; i++)
		if (cp[i].distinct >= 2 &&
		    !compare_is_seed_param(cp[i].key, s->opts->group_by, s->opts->ngroup_by) &&
		    np < PLAN_MAX_SWEEP_PARAMS)
			cp[np++] = cp[i];
	struct chart_ref *refs = NULL;
	if (np < 2)
		goto out;
	struct chart_dim *dims = xcalloc(np + 1, sizeof *dims);
	double **vals = xcalloc(np, sizeof *vals);
	const char ***cats = xcalloc(np, sizeof *cats);
	for (size_t p = 0; p < np; p++) {
		vals[p] = xreallocarray(NULL, n, sizeof **vals);
		sweep_dim(&dims[p], cp[p].key, rr, n, vals[p], &cats[p]);
	}
	char *mlabel = xasprintf("%s (%s %s)", metric,
	                         compare_mode_name(compare_mode_at(g, s->opts->at)), goal_arrow(g));
	dims[np] = (struct chart_dim){mlabel, mv, NULL, 0, 0};
	refs = xcalloc(np + 1, sizeof *refs);
	if (!site_mkdir(s, dir))
		*ok = 0;
	struct chart_sweep sw;
	chart_sweep_defaults(&sw);
	sw.nruns = n;
	sw.colors = colors;
	sw.goal = (enum chart_goal)g;
	write_sweeps(s, &sw, dims, cp, np, metric, dir, e->slug, stems, refs, nout, ok);
	for (size_t p = 0; p < np; p++) {
		free(vals[p]);
		free(cats[p]);
	}
	free(vals);
	free(cats);
	free(dims);
	free(mlabel);
out:
	free(cp);
	free(rr);
	free(colors);
	free(mv);
	return refs;
}


struct chart_ref *param_sweep_charts(struct site *s, const size_t *idx, size_t nidx,
                                     const char *const *params, size_t np, const char *metric,
                                     const char *dir, const char *page_dir,
                                     struct slugset *stems, size_t *nout, int *ok)
{
	*nout = 0;
	*ok = 1;
	enum goal g = site_goal(s, metric);
	const struct run **rr = xreallocarray(NULL, nidx ? nidx : 1, sizeof *rr);
	int *colors = xreallocarray(NULL, nidx ? nidx : 1, sizeof *colors);
	double *mv = xreallocarray(NULL, nidx ? nidx : 1, sizeof *mv);
	size_t n = 0;
	for (size_t i = 0; i < nidx; i++) {
		const struct site_run *sr = &s->runs[idx[i]];
		double v;
		if (!site_value_at(s, sr->run, metric, g, &v) || !isfinite(v))
			continue;
		rr[n] = sr->run;
		colors[n] = sr->color;
		mv[n++] = v;
	}
	struct chart_ref *refs = NULL;
	if (n == 0 || np == 0 || !s->opts->chart_formats)
		goto out;
	struct compare_param *cp = xcalloc(np, sizeof *cp);
	struct chart_dim *dims = xcalloc(np + 1, sizeof *dims);
	double **vals = xcalloc(np, sizeof *vals);
	const char ***cats = xcalloc(np, sizeof *cats);
	for (size_t p = 0; p < np; p++) {
		cp[p].key = params[p];
		vals[p] = xreallocarray(NULL, n, sizeof **vals);
		sweep_dim(&dims[p], params[p], rr, n, vals[p], &cats[p]);
	}
	char *mlabel = xasprintf("%s (%s %s)", metric,
	                         compare_mode_name(compare_mode_at(g, s->opts->at)), goal_arrow(g));
	dims[np] = (struct chart_dim){mlabel, mv, NULL, 0, 0};
	refs = xcalloc(np + 1, sizeof *refs);
	if (!site_mkdir(s, dir))
		*ok = 0;
	struct chart_sweep sw;
	chart_sweep_defaults(&sw);
	sw.nruns = n;
	sw.colors = colors;
	sw.goal = (enum chart_goal)g;
	write_sweeps(s, &sw, dims, cp, np, metric, dir, page_dir, stems, refs, nout, ok);
	for (size_t p = 0; p < np; p++) {
		free(vals[p]);
		free(cats[p]);
	}
	free(vals);
	free(cats);
	free(dims);
	free(cp);
	free(mlabel);
out:
	free(rr);
	free(colors);
	free(mv);
	return refs;
}
