/* pages.c — the run, experiment and index pages, and the charts on them.
 * Each page is its template filled through tmpl.c; links are built from
 * slugs only and are relative, naming their file. */
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "runsite/chart.h"
#include "runsite/compare.h"
#include "site_internal.h"

#define MAX_PARAM_COLS 8   /* params shown in a runs table */
#define MAX_METRIC_KEYS 8  /* metrics shown in a runs table (goal metrics count twice) */
#define MAX_OVERLAY_KEYS 24
#define MAX_OVERLAY_RUNS 20  /* series on an experiment overlay before it keeps the best */
#define OVERLAY_BEST 10      /* ... the best this many (and the baseline) */
#define MAX_SWEEP_PARAMS 8   /* params on a parallel-coordinates chart, scatters drawn */

enum goal site_goal(const struct site *s, const char *key)
{
	return goal_for(&s->opts->goals, key);
}

static const char *goal_arrow(enum goal g)
{
	return g == GOAL_MIN ? "↓" : g == GOAL_MAX ? "↑" : "";
}

static const char *goal_words(enum goal g)
{
	return g == GOAL_MIN ? "lower is better" : g == GOAL_MAX ? "higher is better" : "no direction";
}

static const char *const format_ext[] = {"svg", "png", "pdf"};

/* ---- small formatters ---- */

void fmt_duration(char *out, size_t outsz, int64_t ms)
{
	if (ms == TIME_UNKNOWN || ms < 0) {
		snprintf(out, outsz, "—");
		return;
	}
	int64_t s = ms / 1000;
	if (s < 1)
		snprintf(out, outsz, "%" PRId64 " ms", ms);
	else if (s < 60)
		snprintf(out, outsz, "%.1f s", (double)ms / 1000.0);
	else if (s < 3600)
		snprintf(out, outsz, "%" PRId64 "m %02" PRId64 "s", s / 60, s % 60);
	else if (s < 86400)
		snprintf(out, outsz, "%" PRId64 "h %02" PRId64 "m", s / 3600, s % 3600 / 60);
	else
		snprintf(out, outsz, "%" PRId64 "d %02" PRId64 "h", s / 86400, s % 86400 / 3600);
}

void fmt_time_utc(char *out, size_t outsz, int64_t ms)
{
	if (ms == TIME_UNKNOWN) {
		snprintf(out, outsz, "—");
		return;
	}
	time_t t = (time_t)(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
	struct tm tm;
	if (!gmtime_r(&t, &tm) || strftime(out, outsz, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(out, outsz, "—");
}

void fmt_size(char *out, size_t outsz, int64_t bytes)
{
	static const char *const units[] = {"KiB", "MiB", "GiB", "TiB", "PiB"};
	if (bytes < 0) {
		snprintf(out, outsz, "—");
		return;
	}
	if (bytes < 1024) {
		snprintf(out, outsz, "%" PRId64 " B", bytes);
		return;
	}
	double v = (double)bytes / 1024.0;
	size_t u = 0;
	while (v >= 1024.0 && u + 1 < sizeof units / sizeof units[0]) {
		v /= 1024.0;
		u++;
	}
	snprintf(out, outsz, v < 10 ? "%.1f %s" : "%.0f %s", v, units[u]);
}

static void set_int_attr(xmlNodePtr n, const char *name, int64_t v)
{
	char b[32];
	snprintf(b, sizeof b, "%" PRId64, v);
	tmpl_set_attr(n, name, b);
}

/* Shows v as the axes do, with its exact value in data-value and title. */
static void set_number(xmlNodePtr n, double v)
{
	char shown[64], exact[40];
	chart_format_number(shown, sizeof shown, v);
	fmt_double(exact, sizeof exact, v);
	tmpl_set_text(n, shown);
	tmpl_set_attr(n, "data-value", exact);
	tmpl_set_attr(n, "title", exact);
}

static void fill_number(xmlNodePtr row, const char *marker, double v)
{
	xmlNodePtr n = tmpl_find(row, marker);
	if (n)
		set_number(n, v);
}

static void fill_step(xmlNodePtr row, const char *marker, int64_t step)
{
	xmlNodePtr n = tmpl_find(row, marker);
	if (!n)
		return;
	char b[32];
	snprintf(b, sizeof b, "%" PRId64, step);
	tmpl_set_text(n, b);
	tmpl_set_attr(n, "data-value", b);
}

static void fill_empty(xmlNodePtr row, const char *marker)
{
	xmlNodePtr n = tmpl_find(row, marker);
	if (n) {
		tmpl_set_text(n, "—");
		tmpl_set_attr(n, "data-value", "");
	}
}

/* The lowercase CSS class of a status: "status-finished", ... */
static char *status_class(const char *status)
{
	char *slug = slug_from(status, 16, "unknown");
	char *cls = xasprintf("status-%s", slug);
	free(slug);
	return cls;
}

static void fill_status(xmlNodePtr n, const char *status)
{
	if (!n)
		return;
	tmpl_set_text(n, status);
	/* The template's sample status class goes; the run's own comes in. */
	tmpl_drop_classes(n, "status-");
	char *cls = status_class(status);
	tmpl_add_class(n, cls);
	free(cls);
}

/* Sets an <a> to link to href with the given text. */
static void fill_link(xmlNodePtr a, const char *href, const char *text)
{
	if (!a)
		return;
	tmpl_set_text(a, text);
	tmpl_set_attr(a, "href", href);
}

/* The best point of a series under goal g, or NULL. */
static const struct point *series_best(const struct series *se, enum goal g)
{
	if (!se->sum.has_finite || g == GOAL_NONE)
		return NULL;
	return g == GOAL_MIN ? &se->sum.min : &se->sum.max;
}

/* ---- loading and saving pages ---- */

static htmlDocPtr page_load(struct site *s, const struct buf *tpl, const char *name)
{
	htmlDocPtr doc = tmpl_parse(tpl->data, tpl->size);
	if (!doc)
		diag_msg("template %s could not be parsed as HTML", name);
	return doc;
}

/* Fills what every page has (titles, site links) for a page depth folders down. */
static void page_common(struct site *s, htmlDocPtr doc, int depth, const char *title)
{
	xmlNodePtr root = xmlDocGetRootElement(doc);
	const char *site_title = s->opts->title ? s->opts->title : "Runs";
	char *full = title ? xasprintf("%s — %s", title, site_title) : xstrdup(site_title);
	tmpl_fill(root, "page-title", full);
	tmpl_fill(root, "site-title", site_title);
	free(full);
	tmpl_relink(doc, depth);
}

static int page_save(struct site *s, htmlDocPtr doc, const char *rel)
{
	struct buf out = BUF_INIT;
	tmpl_serialize(doc, &out);
	int ok = site_write(s, rel, out.data, out.size);
	buf_free(&out);
	return ok;
}

/* ---- charts ---- */

/* Copies points into chart points with x as opts ask. */
static struct chart_point *to_chart_points(const struct site *s, const struct run *r,
                                           const struct point *pts, size_t n)
{
	struct chart_point *cp = xreallocarray(NULL, n ? n : 1, sizeof *cp);
	int64_t t0 = r->start_ms;
	if (t0 == TIME_UNKNOWN)
		t0 = n ? pts[0].time_ms : 0;
	for (size_t i = 0; i < n; i++) {
		switch (s->opts->x_kind) {
		case CHART_X_TIME: cp[i].x = (double)pts[i].time_ms / 1000.0; break;
		case CHART_X_RELATIVE: cp[i].x = (double)(pts[i].time_ms - t0) / 1000.0; break;
		default: cp[i].x = (double)pts[i].step; break;
		}
		cp[i].y = pts[i].value;
	}
	return cp;
}

static void spec_for(const struct site *s, struct chart_spec *sp, const char *key)
{
	chart_spec_defaults(sp);
	sp->title = key;
	sp->smoothing = s->opts->smoothing;
	sp->x_kind = s->opts->x_kind;
	sp->goal = (enum chart_goal)site_goal(s, key);
	sp->clip_outliers = s->opts->clip_outliers;
	if (s->opts->log_y_pattern && fnmatch(s->opts->log_y_pattern, key, 0) == 0)
		sp->log_y = 1;
}

/* Writes the chart in every format asked for as dir/stem.<ext>, or takes
 * the last build's file when the build cache holds the same chart; *alt
 * gets its description. Returns 1, or 0 after reporting. */
static int write_chart(struct site *s, const struct chart_spec *sp, const char *dir,
                       const char *stem, char **alt)
{
	struct chart_info info;
	memset(&info, 0, sizeof info);
	for (int f = CHART_SVG; f <= CHART_PDF; f++) {
		if (!(s->opts->chart_formats & (1u << f)))
			continue;
		char fp[CHART_FINGERPRINT_LEN + 1];
		char *rel = xasprintf("%s/%s.%s", dir, stem, format_ext[f]);
		int ok = 1;
		chart_fingerprint(sp, (enum chart_format)f, fp);
		if (!cache_reuse(s->cache, rel, fp, &info)) {
			char *path = path_join(s->tmp, rel);
			struct stat st;
			ok = chart_write(sp, (enum chart_format)f, path, &info);
			if (ok && stat(path, &st) == 0)
				cache_record(s->cache, rel, fp, &info, (int64_t)st.st_size);
			free(path);
		}
		free(rel);
		if (!ok)
			return 0;
	}
	*alt = chart_describe(sp, &info);
	return 1;
}

/* Turns series se's points into chart points in the same memory (16 bytes
 * written where 24 were read, front to back, so nothing unread is
 * overwritten) and takes the memory from the series, which is left empty.
 * Caller frees the result. */
static struct chart_point *to_chart_points_in_place(const struct site *s, const struct run *r,
                                                   struct series *se)
{
	unsigned char *mem = (unsigned char *)se->pts;
	int64_t t0 = r->start_ms;
	if (t0 == TIME_UNKNOWN)
		t0 = se->n ? se->pts[0].time_ms : 0;
	for (size_t i = 0; i < se->n; i++) {
		struct point p;
		memcpy(&p, mem + i * sizeof p, sizeof p);
		struct chart_point c;
		switch (s->opts->x_kind) {
		case CHART_X_TIME: c.x = (double)p.time_ms / 1000.0; break;
		case CHART_X_RELATIVE: c.x = (double)(p.time_ms - t0) / 1000.0; break;
		default: c.x = (double)p.step; break;
		}
		c.y = p.value;
		memcpy(mem + i * sizeof c, &c, sizeof c);
	}
	se->pts = NULL;
	se->n = se->cap = 0;
	return (struct chart_point *)(void *)mem;
}

/* Keeps metric i's chart points (n of them) for the overlays in run sr's
 * spill file (opened on first use into *f); a failure is reported once and
 * the overlays then use the decimated copy. */
static void spill_series(struct site *s, struct site_run *sr, size_t i,
                         const struct chart_point *cp, size_t n, FILE **f, int *failed)
{
	if (*failed)
		return;
	char *path = xasprintf("%s/%s/%s", s->tmp, SPILL_DIR, sr->slug);
	if (!*f && site_mkdir(s, SPILL_DIR))
		*f = fopen(path, "wb");
	long off = *f ? ftell(*f) : -1;
	if (off < 0 || fwrite(cp, sizeof *cp, n, *f) != n) {
		/* A full disk fails the charts too: said once, with them. */
		if (errno == ENOSPC || errno == EDQUOT)
			diag_write_error(path, errno);
		else
			diag_msg("%s: %s; overlays of %s use its decimated points", path,
			         strerror(errno), sr->run->name);
		*failed = 1;
	} else {
		if (!sr->spill_n) {
			sr->spill_n = xcalloc(sr->run->nmetrics, sizeof *sr->spill_n);
			sr->spill_off = xcalloc(sr->run->nmetrics, sizeof *sr->spill_off);
		}
		sr->spill_off[i] = (uint64_t)off;
		sr->spill_n[i] = n;
	}
	free(path);
}

/* Series se's every point from run sr's spill file as chart points (caller
 * frees; *n gets their count, taken from *budget), or NULL when it was not
 * spilled, is more than *budget or cannot be read back. */
static struct chart_point *unspill(const struct site *s, const struct site_run *sr,
                                   const struct series *se, size_t *n, size_t *budget)
{
	size_t i = (size_t)(se - sr->run->metrics);
	if (!sr->spill_n || !sr->spill_n[i] || sr->spill_n[i] > *budget)
		return NULL;
	char *path = xasprintf("%s/%s/%s", s->tmp, SPILL_DIR, sr->slug);
	struct chart_point *cp = xreallocarray(NULL, sr->spill_n[i], sizeof *cp);
	size_t want = sr->spill_n[i] * sizeof *cp, got = 0;
	int fd = open(path, O_RDONLY);
	while (fd >= 0 && got < want) {
		ssize_t k = pread(fd, (char *)cp + got, want - got, (off_t)(sr->spill_off[i] + got));
		if (k <= 0)
			break;
		got += (size_t)k;
	}
	if (fd >= 0)
		close(fd);
	free(path);
	if (got != want) {
		free(cp);
		return NULL;
	}
	*n = sr->spill_n[i];
	*budget -= *n;
	return cp;
}

int page_run_charts(struct site *s, struct site_run *sr)
{
	struct run *r = sr->run;
	struct slugset stems = {0};
	char *dir = xasprintf("runs/%s", sr->slug);
	int ok = 1, made = 0, spill_failed = 0;
	FILE *spill = NULL;
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
		struct chart_point *cp = to_chart_points_in_place(s, r, &r->metrics[i]);
		/* Overlays are drawn at the end, from every point of the runs on
		 * them: a series its decimated copy does not hold whole waits in a
		 * file meanwhile. */
		if (npts > ndec)
			spill_series(s, sr, i, cp, npts, &spill, &spill_failed);
		struct chart_series cs = {.label = r->name, .pts = cp, .n = npts, .color = sr->color};
		struct chart_spec sp;
		spec_for(s, &sp, se->key);
		sp.series = &cs;
		sp.nseries = 1;
		char *alt = NULL;
		ok = write_chart(s, &sp, dir, stem, &alt);
		free(cp);
		if (!ok)
			break;
		GROW(sr->charts, sr->capcharts, sr->ncharts + 1);
		sr->charts[sr->ncharts++] = (struct site_chart){i, xstrdup(stem), alt};
	}
	if (spill && fclose(spill) != 0 && !spill_failed) {
		diag_msg("%s/%s: %s; overlays of %s use its decimated points", SPILL_DIR, sr->slug,
		         strerror(errno), r->name);
		free(sr->spill_n);
		free(sr->spill_off);
		sr->spill_n = NULL;
		sr->spill_off = NULL;
	}
	slugset_free(&stems);
	free(dir);
	return ok;
}

struct chart_ref {
	const char *key;
	const char *dir; /* relative to the page: "slug" */
	const char *stem;
	const char *alt;
	const char *note;  /* a line under the caption, or NULL */
	const char *group; /* the group heading; NULL: from the key (chart_group) */
};

/* The group of chart i: the key's part before the first '/'; for a key
 * without one, its first word before '_' when another key shares it
 * ("train_loss" with "train_acc"); else "". Caller frees. */
static char *chart_group(const struct chart_ref *charts, size_t n, size_t i)
{
	if (charts[i].group)
		return xstrdup(charts[i].group);
	const char *key = charts[i].key;
	const char *slash = strchr(key, '/');
	if (slash)
		return slash > key ? xstrndup(key, (size_t)(slash - key)) : xstrdup("");
	const char *us = strchr(key, '_');
	if (!us || us == key)
		return xstrdup("");
	size_t len = (size_t)(us - key) + 1;
	for (size_t j = 0; j < n; j++)
		if (j != i && !strchr(charts[j].key, '/') && strncmp(charts[j].key, key, len) == 0)
			return xstrndup(key, len - 1);
	return xstrdup("");
}

/* Fills the charts section below root with charts, grouped by chart_group
 * (ungrouped keys first, then groups in order). */
static void fill_charts(struct site *s, xmlNodePtr root, const char *marker,
                        const struct chart_ref *charts, size_t n)
{
	xmlNodePtr section = tmpl_find(root, marker);
	if (!section)
		return;
	xmlNodePtr gtpl = tmpl_find(section, "chart-group");
	if (n == 0 || !gtpl || !(s->opts->chart_formats)) {
		tmpl_remove(section);
		return;
	}
	char **groups = xreallocarray(NULL, n, sizeof *groups);
	size_t ng = 0;
	for (size_t i = 0; i < n; i++) {
		char *g = chart_group(charts, n, i);
		int seen = 0;
		for (size_t j = 0; j < ng && !seen; j++)
			seen = strcmp(groups[j], g) == 0;
		if (seen)
			free(g);
		else
			groups[ng++] = g;
	}
	qsort(groups, ng, sizeof *groups, cmp_strp);
	unsigned f_img = s->opts->chart_formats & (1u << CHART_SVG) ? CHART_SVG : CHART_PNG;
	int has_img = (s->opts->chart_formats & ((1u << CHART_SVG) | (1u << CHART_PNG))) != 0;
	for (size_t g = 0; g < ng; g++) {
		xmlNodePtr gn = tmpl_clone(gtpl);
		tmpl_fill(gn, "chart-group-title", *groups[g] ? groups[g] : "Metrics");
		xmlNodePtr ctpl = tmpl_find(gn, "chart");
		for (size_t i = 0; ctpl && i < n; i++) {
			char *kg = chart_group(charts, n, i);
			int mine = strcmp(kg, groups[g]) == 0;
			free(kg);
			if (!mine)
				continue;
			xmlNodePtr c = tmpl_clone(ctpl);
			char *id = xasprintf("chart-%s", charts[i].stem);
			tmpl_set_attr(c, "id", id);
			free(id);
			tmpl_fill(c, "chart-caption", charts[i].key);
			xmlNodePtr cap = tmpl_find(c, "chart-caption");
			if (cap && charts[i].note) {
				tmpl_add_elem(cap, "br", NULL);
				tmpl_set_attr(tmpl_add_elem(cap, "small", charts[i].note), "class", "note");
			}
			xmlNodePtr img = tmpl_find(c, "chart-img");
			/* The link opens the sharpest file: PNG (2x) or the SVG, else the PDF. */
			unsigned f_link = s->opts->chart_formats & (1u << CHART_PNG)   ? CHART_PNG
			                  : s->opts->chart_formats & (1u << CHART_SVG) ? CHART_SVG
			                                                               : CHART_PDF;
			char *href = xasprintf("%s/%s.%s", charts[i].dir, charts[i].stem,
			                       format_ext[f_link]);
			xmlNodePtr a = tmpl_find(c, "chart-link");
			if (a)
				tmpl_set_attr(a, "href", href);
			free(href);
			if (img && has_img) {
				char *src = xasprintf("%s/%s.%s", charts[i].dir, charts[i].stem,
				                      format_ext[f_img]);
				tmpl_set_attr(img, "src", src);
				tmpl_set_attr(img, "alt", charts[i].alt ? charts[i].alt : charts[i].key);
				free(src);
			} else if (img) {
				/* PDF only: a link instead of a picture. */
				tmpl_remove(img);
				if (a)
					tmpl_set_text(a, "PDF");
			}
		}
		tmpl_remove(ctpl);
		free(groups[g]);
	}
	tmpl_remove(gtpl);
	free(groups);
}

/* ---- runs tables (index and experiment pages) ---- */

struct key_count {
	const char *key;
	size_t runs;
	enum goal goal;
};

static int cmp_key_count(const void *a, const void *b)
{
	const struct key_count *x = a, *y = b;
	int gx = x->goal != GOAL_NONE, gy = y->goal != GOAL_NONE;
	if (gx != gy)
		return gy - gx;
	if (x->runs != y->runs)
		return x->runs < y->runs ? 1 : -1;
	return strcmp(x->key, y->key);
}

/* The metric keys of the runs idx[0..n), goal metrics first, then by how
 * many runs log them; at most max. Caller frees the array. */
static struct key_count *metric_keys(struct site *s, const size_t *idx, size_t n, size_t max,
                                     size_t *nout)
{
	struct key_count *k = NULL;
	size_t nk = 0, cap = 0;
	for (size_t i = 0; i < n; i++) {
		const struct run *r = s->runs[idx[i]].run;
		for (size_t m = 0; m < r->nmetrics; m++) {
			size_t j = 0;
			while (j < nk && strcmp(k[j].key, r->metrics[m].key) != 0)
				j++;
			if (j == nk) {
				GROW(k, cap, nk + 1);
				k[nk++] = (struct key_count){r->metrics[m].key, 0,
				                             site_goal(s, r->metrics[m].key)};
			}
			k[j].runs++;
		}
	}
	if (nk > 1)
		qsort(k, nk, sizeof *k, cmp_key_count);
	/* The primary metric leads. */
	for (size_t j = 1; s->primary && j < nk; j++)
		if (strcmp(k[j].key, s->primary) == 0) {
			struct key_count t = k[j];
			memmove(k + 1, k, j * sizeof *k);
			k[0] = t;
		}
	*nout = nk < max ? nk : max;
	return k;
}

struct param_col {
	const char *key;
	size_t runs;     /* runs that have it */
	size_t distinct; /* distinct values among them */
};

static int cmp_param_col(const void *a, const void *b)
{
	const struct param_col *x = a, *y = b;
	/* Params with two values or more before those only some runs have. */
	if ((x->distinct > 1) != (y->distinct > 1))
		return (y->distinct > 1) - (x->distinct > 1);
	if (x->runs != y->runs)
		return x->runs < y->runs ? 1 : -1;
	return strcmp(x->key, y->key);
}

static int cmp_param_key(const void *a, const void *b)
{
	return strcmp(((const struct param_col *)a)->key, ((const struct param_col *)b)->key);
}

/* The run pointers of runs idx[0..n). Caller frees. */
static const struct run **run_ptrs(const struct site *s, const size_t *idx, size_t n)
{
	const struct run **rr = xreallocarray(NULL, n ? n : 1, sizeof *rr);
	for (size_t i = 0; i < n; i++)
		rr[i] = s->runs[idx[i]].run;
	return rr;
}

/* The param keys whose values differ across runs idx[0..n) (a missing
 * value counts as different), all of them for a single run: at most max,
 * those with two values or more first, then those most runs have; shown
 * in key order. Caller frees the array (not the strings). */
static struct param_col *varying_params(struct site *s, const size_t *idx, size_t n, size_t max,
                                        size_t *nout)
{
	const struct run **rr = run_ptrs(s, idx, n);
	struct compare_param *cp = NULL;
	size_t nk = compare_varying_params(rr, n, &cp);
	struct param_col *keys = xreallocarray(NULL, nk ? nk : 1, sizeof *keys);
	for (size_t k = 0; k < nk; k++)
		keys[k] = (struct param_col){cp[k].key, cp[k].runs, cp[k].distinct};
	free(cp);
	free(rr);
	if (nk > 1)
		qsort(keys, nk, sizeof *keys, cmp_param_col);
	*nout = nk < max ? nk : max;
	if (*nout > 1)
		qsort(keys, *nout, sizeof *keys, cmp_param_key);
	return keys;
}

/* Fills a metric column's heading: the key, its direction and the value
 * shown (last, or best by the direction), for the page script to switch;
 * `extra` is appended to the value line ("mean ± std"). */
static void metric_head(xmlNodePtr th, const char *key, enum goal g, const char *extra)
{
	enum compare_mode m = compare_default_mode(g);
	tmpl_set_text(th, key);
	tmpl_set_attr(th, "data-metric", key);
	tmpl_set_attr(th, "data-goal", g == GOAL_MIN ? "min" : g == GOAL_MAX ? "max" : "none");
	tmpl_set_attr(th, "data-mode", compare_mode_name(m));
	tmpl_set_attr(th, "title", goal_words(g));
	tmpl_add_elem(th, "br", NULL);
	char *sub = xasprintf("%s%s%s%s%s", compare_mode_name(m), *goal_arrow(g) ? " " : "",
	                      goal_arrow(g), extra ? " · " : "", extra ? extra : "");
	xmlNodePtr small = tmpl_add_elem(th, "small", sub);
	tmpl_set_attr(small, "class", "sub");
	free(sub);
}

/* Fills a metric cell of a run: the default value shown, and every mode's
 * exact value and text in data-last/-best/-min/-max(-text) for the switch. */
static void metric_cell(xmlNodePtr c, const struct series *se, const char *key, enum goal g)
{
	tmpl_set_attr(c, "data-metric", key);
	enum compare_mode def = compare_default_mode(g);
	for (int m = CMP_LAST; m <= CMP_MAX; m++) {
		double v;
		int64_t step;
		char name[32], exact[40], shown[64];
		int have = compare_value(se, g, (enum compare_mode)m, &v, &step);
		snprintf(name, sizeof name, "data-%s", compare_mode_name((enum compare_mode)m));
		if (have) {
			fmt_double(exact, sizeof exact, v);
			chart_format_number(shown, sizeof shown, v);
		}
		tmpl_set_attr(c, name, have ? exact : "");
		snprintf(name, sizeof name, "data-%s-text", compare_mode_name((enum compare_mode)m));
		tmpl_set_attr(c, name, have ? shown : "—");
		if (m != (int)def)
			continue;
		if (!have) {
			tmpl_set_text(c, "—");
			tmpl_set_attr(c, "data-value", "");
			continue;
		}
		set_number(c, v);
		char *title = xasprintf("%s at step %" PRId64, exact, step);
		tmpl_set_attr(c, "title", title);
		free(title);
	}
}

/* Draws run sr's sparkline of the primary metric once (runs/<slug>/trend.svg,
 * from the decimated copy) and says whether it exists. */
static int run_sparkline(struct site *s, struct site_run *sr)
{
	if (sr->spark)
		return sr->spark > 0;
	sr->spark = -1;
	const struct series *se = s->primary ? run_find_series(sr->run, s->primary) : NULL;
	if (!se || se->ndec < 2)
		return 0;
	struct chart_point *cp = to_chart_points(s, sr->run, se->dec, se->ndec);
	char *dir = xasprintf("runs/%s", sr->slug);
	char *path = xasprintf("%s/%s/trend.svg", s->tmp, dir);
	if (site_mkdir(s, dir) && chart_write_sparkline(cp, se->ndec, sr->color, 96, 24, path))
		sr->spark = 1;
	free(path);
	free(dir);
	free(cp);
	return sr->spark > 0;
}

/* Fills the runs table below root (marker "runs") with runs idx[0..n), for
 * a page depth folders down. */
static void fill_runs_table(struct site *s, xmlNodePtr root, const size_t *idx, size_t n,
                            int depth)
{
	xmlNodePtr table = tmpl_find(root, "runs");
	if (!table)
		return;
	const char *up = depth ? "../" : "";
	size_t np = 0, nm = 0;
	struct param_col *params = varying_params(s, idx, n, MAX_PARAM_COLS, &np);
	struct key_count *metrics = metric_keys(s, idx, n, MAX_METRIC_KEYS, &nm);

	/* The trend column: a sparkline of the primary metric per run. */
	xmlNodePtr th = tmpl_find(table, "col-spark");
	if (th && s->primary) {
		xmlNodePtr old = th->children;
		while (old) {
			xmlNodePtr next = old->next;
			tmpl_remove(old);
			old = next;
		}
		tmpl_add_elem(th, "span", s->primary);
		tmpl_add_elem(th, "br", NULL);
		xmlNodePtr sub = tmpl_add_elem(th, "small", "trend");
		tmpl_set_attr(sub, "class", "sub");
	} else if (th) {
		tmpl_remove(th);
	}
	th = tmpl_find(table, "col-param");
	for (size_t p = 0; th && p < np; p++)
		tmpl_set_text(tmpl_clone(th), params[p].key);
	tmpl_remove(th);
	th = tmpl_find(table, "col-metric");
	for (size_t m = 0; th && m < nm; m++)
		metric_head(tmpl_clone(th), metrics[m].key, metrics[m].goal, NULL);
	tmpl_remove(th);

	xmlNodePtr rowtpl = tmpl_find(table, "run-row");
	for (size_t i = 0; rowtpl && i < n; i++) {
		struct site_run *sr = &s->runs[idx[i]];
		const struct run *r = sr->run;
		xmlNodePtr row = tmpl_clone(rowtpl);
		tmpl_set_attr(row, "data-run-id", r->id);
		char *href = xasprintf("%sruns/%s.html", up, sr->slug);
		fill_link(tmpl_find(row, "r-name"), href, r->name);
		free(href);
		xmlNodePtr sw = tmpl_find(row, "r-color");
		if (sw) {
			char *style = xasprintf("background:%s", chart_color_hex(sr->color));
			tmpl_set_attr(sw, "style", style);
			free(style);
		}
		const struct site_exp *e = &s->exps[sr->exp];
		href = xasprintf("%sexperiments/%s.html", up, e->slug);
		fill_link(tmpl_find(row, "r-exp"), href, e->name);
		free(href);
		fill_status(tmpl_find(row, "r-status"), r->status);
		char b[64];
		xmlNodePtr c = tmpl_find(row, "r-start");
		if (c) {
			fmt_time_utc(b, sizeof b, r->start_ms);
			/* The date and minute are enough in a table; the title has it all. */
			tmpl_set_attr(c, "title", b);
			if (strlen(b) > 16 && r->start_ms != TIME_UNKNOWN) {
				b[10] = ' ';
				b[16] = '\0';
			}
			tmpl_set_text(c, b);
			if (r->start_ms != TIME_UNKNOWN)
				set_int_attr(c, "data-value", r->start_ms);
			else
				tmpl_set_attr(c, "data-value", "");
		}
		c = tmpl_find(row, "r-duration");
		if (c) {
			int64_t d = run_duration_ms(r);
			fmt_duration(b, sizeof b, d);
			tmpl_set_text(c, b);
			if (d != TIME_UNKNOWN)
				set_int_attr(c, "data-value", d);
			else
				tmpl_set_attr(c, "data-value", "");
		}
		c = tmpl_find(row, "r-spark");
		if (c && !s->primary) {
			tmpl_remove(c);
		} else if (c) {
			xmlNodePtr img = c->children;
			while (img && img->type != XML_ELEMENT_NODE)
				img = img->next;
			if (img && run_sparkline(s, sr)) {
				char *src = xasprintf("%sruns/%s/trend.svg", up, sr->slug);
				tmpl_set_attr(img, "src", src);
				free(src);
				char *alt = xasprintf("%s over steps", s->primary);
				tmpl_set_attr(img, "alt", alt);
				free(alt);
			} else if (img) {
				tmpl_remove(img);
			}
		}
		xmlNodePtr td = tmpl_find(row, "r-param");
		for (size_t p = 0; td && p < np; p++) {
			const char *v = kvlist_get(&r->params, params[p].key);
			c = tmpl_clone(td);
			tmpl_set_text(c, v ? v : "—");
			if (v)
				tmpl_set_attr(c, "title", v);
		}
		tmpl_remove(td);
		td = tmpl_find(row, "r-metric");
		for (size_t m = 0; td && m < nm; m++)
			metric_cell(tmpl_clone(td), run_find_series(r, metrics[m].key), metrics[m].key,
			            metrics[m].goal);
		tmpl_remove(td);
	}
	tmpl_remove(rowtpl);
	free(params);
	free(metrics);
}

/* ---- run page ---- */

/* Adds a fact (label, value) from the fact template; returns the value element. */
static xmlNodePtr add_fact(xmlNodePtr tpl, const char *label, const char *value)
{
	if (!tpl)
		return NULL;
	xmlNodePtr f = tmpl_clone(tpl);
	tmpl_fill(f, "fact-key", label);
	xmlNodePtr v = tmpl_find(f, "fact-value");
	if (v)
		tmpl_set_text(v, value ? value : "");
	return v;
}

/* Adds a fact whose value is a link. */
static void add_fact_link(xmlNodePtr tpl, const char *label, const char *href, const char *text)
{
	xmlNodePtr v = add_fact(tpl, label, NULL);
	if (!v)
		return;
	xmlNodePtr a = tmpl_add_elem(v, "a", text);
	tmpl_set_attr(a, "href", href);
}

static void add_fact_code(xmlNodePtr tpl, const char *label, const char *text)
{
	xmlNodePtr v = add_fact(tpl, label, NULL);
	if (v)
		tmpl_add_elem(v, "code", text);
}

/* Fills rows of a key/value table from list l (entries chosen by keep). */
static size_t fill_kv(xmlNodePtr root, const char *row_marker, const char *kmark,
                      const char *vmark, const struct kvlist *l, int (*keep)(const char *))
{
	xmlNodePtr tpl = tmpl_find(root, row_marker);
	size_t n = 0;
	for (size_t i = 0; tpl && i < l->n; i++) {
		if (keep && !keep(l->items[i].key))
			continue;
		xmlNodePtr row = tmpl_clone(tpl);
		tmpl_fill(row, kmark, l->items[i].key);
		tmpl_fill(row, vmark, l->items[i].value);
		n++;
	}
	tmpl_remove(tpl);
	return n;
}

/* mlflow.* tags, apart from the note, which is shown rendered as Notes. */
static int is_system_tag(const char *key)
{
	return str_starts(key, "mlflow.") && strcmp(key, "mlflow.note.content") != 0;
}

static int is_user_tag(const char *key)
{
	return !str_starts(key, "mlflow.");
}

/* Removes the section below root marked marker when it is empty (n == 0). */
static void keep_section(xmlNodePtr root, const char *marker, size_t n)
{
	if (n == 0)
		tmpl_remove(tmpl_find(root, marker));
}

static void run_facts(struct site *s, xmlNodePtr root, const struct site_run *sr)
{
	const struct run *r = sr->run;
	xmlNodePtr tpl = tmpl_find(root, "fact");
	char b[64];
	fmt_time_utc(b, sizeof b, r->start_ms);
	add_fact(tpl, "Started (UTC)", b);
	if (r->end_ms != TIME_UNKNOWN) {
		fmt_time_utc(b, sizeof b, r->end_ms);
		add_fact(tpl, "Ended (UTC)", b);
	}
	fmt_duration(b, sizeof b, run_duration_ms(r));
	add_fact(tpl, "Duration", b);
	if (r->user && *r->user)
		add_fact(tpl, "User", r->user);
	if (r->source_name && *r->source_name) {
		char *src = r->source_type && *r->source_type
		                    ? xasprintf("%s (%s)", r->source_name, r->source_type)
		                    : xstrdup(r->source_name);
		add_fact_code(tpl, "Source", src);
		free(src);
	}
	if (r->git_commit && *r->git_commit) {
		char *g = r->git_branch && *r->git_branch
		                  ? xasprintf("%s (%s)", r->git_commit, r->git_branch)
		                  : xstrdup(r->git_commit);
		add_fact_code(tpl, "Git commit", g);
		free(g);
	}
	if (r->git_repo && *r->git_repo)
		add_fact_code(tpl, "Git repository", r->git_repo);
	if (sr->parent >= 0) {
		const struct site_run *p = &s->runs[sr->parent];
		char *href = xasprintf("%s.html", p->slug);
		add_fact_link(tpl, "Parent run", href, p->run->name);
		free(href);
	} else if (r->parent_id && *r->parent_id) {
		add_fact_code(tpl, "Parent run", r->parent_id);
	}
	add_fact_code(tpl, "Run ID", r->id);
	char *store = xasprintf("%s: %s", r->format ? r->format : "?", r->store);
	add_fact_code(tpl, "Store", store);
	free(store);
	for (size_t i = 0; i < r->extras.n; i++)
		add_fact(tpl, r->extras.items[i].key, r->extras.items[i].value);
	tmpl_remove(tpl);
}

static void run_metrics(struct site *s, xmlNodePtr root, const struct site_run *sr)
{
	const struct run *r = sr->run;
	xmlNodePtr tpl = tmpl_find(root, "metric-row");
	size_t n = 0;
	for (size_t i = 0; tpl && i < r->nmetrics; i++) {
		const struct series *se = &r->metrics[i];
		xmlNodePtr row = tmpl_clone(tpl);
		n++;
		xmlNodePtr k = tmpl_find(row, "m-key");
		const struct site_chart *ch = NULL;
		for (size_t c = 0; c < sr->ncharts && !ch; c++)
			if (sr->charts[c].metric == i)
				ch = &sr->charts[c];
		if (k && ch) {
			char *href = xasprintf("#chart-%s", ch->slug);
			fill_link(k, href, se->key);
			free(href);
		} else if (k) {
			tmpl_set_text(k, se->key);
			tmpl_set_attr(k, "href", NULL);
		}
		enum goal g = site_goal(s, se->key);
		xmlNodePtr gn = tmpl_find(row, "m-goal");
		if (gn) {
			tmpl_set_text(gn, g == GOAL_MIN ? "↓" : g == GOAL_MAX ? "↑" : "");
			tmpl_set_attr(gn, "title",
			              g == GOAL_MIN   ? "lower is better"
			              : g == GOAL_MAX ? "higher is better"
			                              : NULL);
		}
		if (!se->sum.count) {
			fill_empty(row, "m-last");
			fill_empty(row, "m-last-step");
		} else {
			fill_number(row, "m-last", se->sum.last.value);
			fill_step(row, "m-last-step", se->sum.last.step);
		}
		const struct point *best = series_best(se, g);
		if (best) {
			fill_number(row, "m-best", best->value);
			fill_step(row, "m-best-step", best->step);
		} else {
			fill_empty(row, "m-best");
			fill_empty(row, "m-best-step");
		}
		if (se->sum.has_finite) {
			fill_number(row, "m-min", se->sum.min.value);
			fill_number(row, "m-max", se->sum.max.value);
		} else {
			fill_empty(row, "m-min");
			fill_empty(row, "m-max");
		}
		fill_step(row, "m-count", (int64_t)se->sum.count);
		xmlNodePtr nf = tmpl_find(row, "m-nonfinite");
		if (nf) {
			char b[64];
			if (se->sum.nan_count || se->sum.inf_count)
				snprintf(b, sizeof b, "%" PRIu64 " / %" PRIu64, se->sum.nan_count,
				         se->sum.inf_count);
			else
				snprintf(b, sizeof b, "—");
			tmpl_set_text(nf, b);
			set_int_attr(nf, "data-value", (int64_t)(se->sum.nan_count + se->sum.inf_count));
			if (se->sum.nan_count || se->sum.inf_count)
				tmpl_add_class(nf, "warn");
		}
	}
	tmpl_remove(tpl);
	keep_section(root, "metrics-section", n);
}

static void run_lists(struct site *s, xmlNodePtr root, const struct site_run *sr)
{
	const struct run *r = sr->run;
	char b[64];
	xmlNodePtr tpl = tmpl_find(root, "artifact-row");
	for (size_t i = 0; tpl && i < r->nartifacts; i++) {
		xmlNodePtr row = tmpl_clone(tpl);
		tmpl_fill(row, "a-path", r->artifacts[i].path);
		xmlNodePtr c = tmpl_find(row, "a-size");
		if (c) {
			fmt_size(b, sizeof b, r->artifacts[i].size);
			tmpl_set_text(c, b);
			set_int_attr(c, "data-value", r->artifacts[i].size);
		}
	}
	tmpl_remove(tpl);
	keep_section(root, "artifacts-section", r->nartifacts);

	tpl = tmpl_find(root, "dataset-row");
	for (size_t i = 0; tpl && i < r->ndatasets; i++) {
		const struct dataset_input *d = &r->datasets[i];
		xmlNodePtr row = tmpl_clone(tpl);
		tmpl_fill(row, "ds-name", d->name);
		tmpl_fill(row, "ds-context", d->context);
		tmpl_fill(row, "ds-digest", d->digest);
		tmpl_fill(row, "ds-source-type", d->source_type);
		tmpl_fill(row, "ds-source", d->source);
	}
	tmpl_remove(tpl);
	keep_section(root, "datasets-section", r->ndatasets);

	tpl = tmpl_find(root, "model-row");
	for (size_t i = 0; tpl && i < r->nmodels; i++) {
		const struct logged_model *m = &r->models[i];
		xmlNodePtr row = tmpl_clone(tpl);
		tmpl_fill(row, "model-name", m->name);
		tmpl_fill(row, "model-type", m->type);
		tmpl_fill(row, "model-status", m->status);
		tmpl_fill(row, "model-id", m->id);
		tmpl_fill(row, "model-uri", m->uri);
	}
	tmpl_remove(tpl);
	keep_section(root, "models-section", r->nmodels);

	tpl = tmpl_find(root, "child-row");
	for (size_t i = 0; tpl && i < sr->nchildren; i++) {
		const struct site_run *c = &s->runs[sr->children[i]];
		xmlNodePtr row = tmpl_clone(tpl);
		char *href = xasprintf("%s.html", c->slug);
		fill_link(tmpl_find(row, "child-link"), href, c->run->name);
		free(href);
		fill_status(tmpl_find(row, "child-status"), c->run->status);
		fmt_duration(b, sizeof b, run_duration_ms(c->run));
		tmpl_fill(row, "child-duration", b);
	}
	tmpl_remove(tpl);
	keep_section(root, "children-section", sr->nchildren);
}

int page_run(struct site *s, size_t i)
{
	const struct site_run *sr = &s->runs[i];
	const struct run *r = sr->run;
	htmlDocPtr doc = page_load(s, &s->tpl_run, "run.html");
	if (!doc)
		return 0;
	xmlNodePtr root = xmlDocGetRootElement(doc);
	page_common(s, doc, 1, r->name);
	tmpl_fill(root, "run-name", r->name);
	/* The run's id on <body>, so scripts and tests can find the page of a run. */
	for (xmlNodePtr b = root->children; b; b = b->next)
		if (b->type == XML_ELEMENT_NODE && xmlStrcmp(b->name, BAD_CAST "body") == 0)
			tmpl_set_attr(b, "data-run-id", r->id);
	fill_status(tmpl_find(root, "run-status"), r->status);
	xmlNodePtr sw = tmpl_find(root, "run-color");
	if (sw) {
		char *style = xasprintf("background:%s", chart_color_hex(sr->color));
		tmpl_set_attr(sw, "style", style);
		free(style);
	}
	const struct site_exp *e = &s->exps[sr->exp];
	char *href = xasprintf("../experiments/%s.html", e->slug);
	xmlNodePtr a = tmpl_find(root, "exp-link");
	while (a) {
		fill_link(a, href, e->name);
		tmpl_set_attr(a, "data-rs", NULL);
		a = tmpl_find(root, "exp-link");
	}
	free(href);
	run_facts(s, root, sr);

	xmlNodePtr notes = tmpl_find(root, "notes");
	if (notes && r->notes && *r->notes) {
		tmpl_set_text(notes, "");
		/* The notes sit below an h2: their h1 becomes an h3. */
		notes_render(notes, r->notes, 2);
	} else {
		tmpl_remove(tmpl_find(root, "notes-section"));
	}
	size_t np = fill_kv(root, "param-row", "param-key", "param-value", &r->params, NULL);
	keep_section(root, "params-section", np);
	run_metrics(s, root, sr);

	struct chart_ref *refs = xreallocarray(NULL, sr->ncharts + 1, sizeof *refs);
	for (size_t c = 0; c < sr->ncharts; c++)
		refs[c] = (struct chart_ref){r->metrics[sr->charts[c].metric].key, sr->slug,
		                             sr->charts[c].slug, sr->charts[c].alt, NULL, NULL};
	fill_charts(s, root, "charts-section", refs, sr->ncharts);
	free(refs);

	size_t nt = fill_kv(root, "tag-row", "tag-key", "tag-value", &r->tags, is_user_tag);
	xmlNodePtr sys = tmpl_find(root, "systags");
	size_t ns = 0;
	if (sys) {
		ns = fill_kv(sys, "systag-row", "tag-key", "tag-value", &r->tags, is_system_tag);
		char b[32];
		snprintf(b, sizeof b, "%zu", ns);
		tmpl_fill(sys, "systag-count", b);
		if (ns == 0)
			tmpl_remove(sys);
	}
	if (nt == 0)
		tmpl_remove(tmpl_find(root, "user-tags"));
	keep_section(root, "tags-section", nt + ns);
	run_lists(s, root, sr);

	char *rel = xasprintf("runs/%s.html", sr->slug);
	int ok = page_save(s, doc, rel);
	free(rel);
	xmlFreeDoc(doc);
	return ok;
}

/* ---- overlay charts (experiment and compare pages) ---- */

/* One line on an overlay: a run, or a seed group drawn as its mean. */
struct unit {
	size_t run;                       /* site run index (a group's first member) */
	const struct compare_group *g;    /* NULL: a single run; members index into `rr` */
	const size_t *idx;                /* site run indexes the group members refer to */
};

/* A group's legend name: the members' common name prefix up to its last
 * separator ("logreg-posw4" for "logreg-posw4-s1", "-s2"), else the first
 * member's name. Caller frees. */
static char *group_name(const struct site *s, const struct unit *u)
{
	const char *first = s->runs[u->idx[u->g->members[0]]].run->name;
	size_t len = strlen(first);
	for (size_t i = 1; i < u->g->n; i++) {
		const char *o = s->runs[u->idx[u->g->members[i]]].run->name;
		size_t j = 0;
		while (j < len && o[j] == first[j])
			j++;
		len = j;
	}
	while (len > 0 && !strchr("-_. /", first[len - 1]))
		len--;
	while (len > 0 && strchr("-_. /", first[len - 1]))
		len--;
	return len ? xstrndup(first, len) : xstrdup(first);
}

/* Points an overlay chart may read back from the spill files: beyond it a
 * run's line is drawn from its decimated copy (so twenty runs of ten million
 * points do not need 3 GB). 8M points are 128 MB. */
#define OVERLAY_POINT_BUDGET ((size_t)8 << 20)

/* The chart series of unit u for metric key into *cs (points owned by the
 * caller through *own, up to three arrays), every point when the spill file
 * has them and *budget allows (it is reduced). Returns 0 when it has no line. */
static int unit_series(const struct site *s, const struct unit *u, const char *key,
                       struct chart_series *cs, struct chart_point *own[3], size_t *longest,
                       size_t *budget)
{
	memset(cs, 0, sizeof *cs);
	own[0] = own[1] = own[2] = NULL;
	const struct site_run *sr = &s->runs[u->run];
	if (!u->g) {
		const struct series *se = run_find_series(sr->run, key);
		if (!se || se->ndec == 0)
			return 0;
		size_t n = se->ndec;
		own[0] = unspill(s, sr, se, &n, budget);
		if (!own[0])
			own[0] = to_chart_points(s, sr->run, se->dec, se->ndec);
		*cs = (struct chart_series){.label = sr->run->name, .pts = own[0], .n = n,
		                            .color = sr->color};
		if (n > *longest)
			*longest = n;
		return 1;
	}
	size_t k = 0;
	const struct chart_point **pts = xcalloc(u->g->n, sizeof *pts);
	size_t *n = xcalloc(u->g->n, sizeof *n);
	for (size_t i = 0; i < u->g->n; i++) {
		const struct run *r = s->runs[u->idx[u->g->members[i]]].run;
		const struct series *se = run_find_series(r, key);
		if (!se || se->ndec == 0)
			continue;
		pts[k] = to_chart_points(s, r, se->dec, se->ndec);
		n[k++] = se->ndec;
	}
	int ok = 0;
	if (k > 0) {
		size_t m = compare_mean_band(pts, n, k, s->opts->band_minmax, &own[0], &own[1],
		                             &own[2]);
		char *name = group_name(s, u);
		/* The label lives as long as the points: kept in own's spare slot? No:
		 * the caller frees cs->label too (see unit_free). */
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

static void unit_free(struct chart_series *cs, struct chart_point *own[3], int group)
{
	for (int i = 0; i < 3; i++)
		free(own[i]);
	if (group)
		free((void *)cs->label);
}

/* The value ranking unit u for metric key under g: a run's value, a
 * group's mean. Returns 0 when it has none. */
static int unit_value(const struct site *s, const struct unit *u, const char *key, enum goal g,
                      double *v)
{
	if (!u->g)
		return compare_run_value(s->runs[u->run].run, key, g, v) && !isnan(*v);
	size_t n = u->g->n;
	const struct run **rr = xreallocarray(NULL, n, sizeof *rr);
	struct compare_group g1 = {xreallocarray(NULL, n, sizeof(size_t)), n};
	for (size_t i = 0; i < n; i++) {
		rr[i] = s->runs[u->idx[u->g->members[i]]].run;
		g1.members[i] = i;
	}
	struct compare_stats st;
	int ok = compare_group_stats(rr, &g1, key, g, compare_default_mode(g), &st);
	free(g1.members);
	free(rr);
	if (ok)
		*v = st.mean;
	return ok;
}

/* Whether unit u holds run index ri. */
static int unit_has(const struct unit *u, long ri)
{
	if (ri < 0)
		return 0;
	if (!u->g)
		return u->run == (size_t)ri;
	for (size_t i = 0; i < u->g->n; i++)
		if (u->idx[u->g->members[i]] == (size_t)ri)
			return 1;
	return 0;
}

struct ranked {
	size_t unit;
	int has;
	double v;
};

static int cmp_ranked_max(const void *a, const void *b)
{
	const struct ranked *x = a, *y = b;
	if (x->has != y->has)
		return y->has - x->has;
	if (x->has && x->v != y->v)
		return x->v > y->v ? -1 : 1;
	return (x->unit > y->unit) - (x->unit < y->unit);
}

static int cmp_ranked_min(const void *a, const void *b)
{
	const struct ranked *x = a, *y = b;
	if (x->has != y->has)
		return y->has - x->has;
	if (x->has && x->v != y->v)
		return x->v < y->v ? -1 : 1;
	return (x->unit > y->unit) - (x->unit < y->unit);
}

/* Chooses which of units[0..n) an overlay of metric key shows: all up to
 * MAX_OVERLAY_RUNS, else the best OVERLAY_BEST by the metric (by the
 * primary metric when key has no direction) and the baseline. Writes the
 * chosen indexes into pick in unit order; returns the count and sets
 * *note (caller frees) when some were left out. */
static size_t overlay_pick(const struct site *s, const struct unit *units, size_t n,
                           const char *key, size_t *pick, char **note)
{
	*note = NULL;
	if (n <= MAX_OVERLAY_RUNS) {
		for (size_t i = 0; i < n; i++)
			pick[i] = i;
		return n;
	}
	const char *by = key;
	enum goal g = site_goal(s, key);
	if (g == GOAL_NONE && s->primary) {
		by = s->primary;
		g = site_goal(s, by);
	}
	struct ranked *rk = xreallocarray(NULL, n, sizeof *rk);
	for (size_t i = 0; i < n; i++) {
		rk[i].unit = i;
		rk[i].has = g != GOAL_NONE && unit_value(s, &units[i], by, g, &rk[i].v);
	}
	if (g != GOAL_NONE)
		qsort(rk, n, sizeof *rk, g == GOAL_MIN ? cmp_ranked_min : cmp_ranked_max);
	char *keep = xcalloc(n, 1);
	int with_base = 0;
	for (size_t i = 0; i < n && i < OVERLAY_BEST; i++)
		keep[rk[i].unit] = 1;
	for (size_t i = 0; i < n; i++)
		if (!keep[i] && unit_has(&units[i], s->baseline)) {
			keep[i] = 1;
			with_base = 1;
		}
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		if (keep[i])
			pick[k++] = i;
	if (g != GOAL_NONE)
		*note = xasprintf("Showing the best %d of %zu runs and groups by %s (%s)%s.",
		                  OVERLAY_BEST, n, by, g == GOAL_MIN ? "lowest" : "highest",
		                  with_base ? ", and the baseline" : "");
	else
		*note = xasprintf("Showing the first %d of %zu runs and groups%s.", OVERLAY_BEST, n,
		                  with_base ? ", and the baseline" : "");
	free(keep);
	free(rk);
	return k;
}

/* Writes one overlay chart per metric (keys[0..nk)) of the units into
 * dir/<stem> (dir relative to the site; page_dir relative to the page),
 * and returns their references (caller frees stem, alt and note). */
static struct chart_ref *overlay_charts(struct site *s, const struct unit *units, size_t nu,
                                        const struct key_count *keys, size_t nk,
                                        const char *dir, const char *page_dir,
                                        struct slugset *stems, size_t *nout, int *ok)
{
	*nout = 0;
	*ok = 1;
	struct chart_ref *refs = xreallocarray(NULL, nk ? nk : 1, sizeof *refs);
	struct chart_series *cs = xcalloc(nu ? nu : 1, sizeof *cs);
	struct chart_point *(*own)[3] = xcalloc(nu ? nu : 1, sizeof *own);
	size_t *pick = xreallocarray(NULL, nu ? nu : 1, sizeof *pick);
	int made = 0;
	for (size_t k = 0; k < nk && *ok; k++) {
		char *note = NULL;
		size_t np = overlay_pick(s, units, nu, keys[k].key, pick, &note);
		size_t ns = 0, longest = 0, budget = OVERLAY_POINT_BUDGET;
		int *grp = xcalloc(np ? np : 1, sizeof *grp);
		for (size_t i = 0; i < np; i++)
			if (unit_series(s, &units[pick[i]], keys[k].key, &cs[ns], own[ns], &longest,
			                &budget))
				grp[ns++] = units[pick[i]].g != NULL;
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
			if (*ok && write_chart(s, &sp, dir, stem, &alt)) {
				refs[(*nout)++] = (struct chart_ref){keys[k].key, page_dir, xstrdup(stem),
				                                     alt, note, NULL};
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
	free(pick);
	free(own);
	free(cs);
	return refs;
}

static void free_refs(struct chart_ref *refs, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free((void *)refs[i].stem);
		free((void *)refs[i].alt);
		free((void *)refs[i].note);
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

/* Writes the sweep charts of experiment e (at least 5 runs with the
 * primary metric, at least 2 non-seed params with two values or more):
 * parallel coordinates and one scatter per param. Returns the references. */
static struct chart_ref *sweep_charts(struct site *s, const struct site_exp *e,
                                      const char *dir, struct slugset *stems, size_t *nout,
                                      int *ok)
{
	*nout = 0;
	*ok = 1;
	const char *metric = s->primary;
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
		if (!compare_run_value(sr->run, metric, g, &v) || !isfinite(v))
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
		    np < MAX_SWEEP_PARAMS)
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
	                         compare_mode_name(compare_default_mode(g)), goal_arrow(g));
	dims[np] = (struct chart_dim){mlabel, mv, NULL, 0, 0};
	refs = xcalloc(np + 1, sizeof *refs);
	if (!site_mkdir(s, dir))
		*ok = 0;
	struct chart_sweep sw;
	chart_sweep_defaults(&sw);
	sw.nruns = n;
	sw.colors = colors;
	sw.goal = (enum chart_goal)g;
	for (size_t c = 0; c <= np && *ok; c++) {
		/* c == 0: parallel coordinates; then a scatter per param. */
		struct chart_dim pair[2];
		char *title, *base;
		if (c == 0) {
			title = xasprintf("%s across %zu params", metric, np);
			base = xstrdup("sweep-parallel");
			sw.dims = dims;
			sw.ndims = np + 1;
		} else {
			title = xasprintf("%s by %s", metric, cp[c - 1].key);
			char *ps = slug_from(cp[c - 1].key, SLUG_MAX, "param");
			base = xasprintf("sweep-%s", ps);
			free(ps);
			pair[0] = dims[c - 1];
			pair[1] = dims[np];
			sw.dims = pair;
			sw.ndims = 2;
		}
		sw.title = title;
		const char *stem = slug_claim(stems, base);
		free(base);
		for (int f = CHART_SVG; f <= CHART_PDF && *ok; f++) {
			if (!(s->opts->chart_formats & (1u << f)))
				continue;
			char *path = xasprintf("%s/%s/%s.%s", s->tmp, dir, stem, format_ext[f]);
			*ok = c == 0 ? chart_write_parallel(&sw, (enum chart_format)f, path)
			             : chart_write_scatter(&sw, (enum chart_format)f, path);
			free(path);
		}
		char *alt = c == 0 ? xasprintf("Parallel coordinates of %zu runs: %zu params and %s",
		                               n, np, metric)
		                   : xasprintf("Scatter of %s against %s over %zu runs", metric,
		                               cp[c - 1].key, n);
		refs[(*nout)++] = (struct chart_ref){title, e->slug, xstrdup(stem), alt, NULL, "Sweep"};
	}
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

/* ---- experiment page ---- */

/* The units of experiment e: its seed groups and the runs in none, in
 * display order. groups/rr are kept by the caller while units are used. */
static struct unit *exp_units(struct site *s, const struct site_exp *e,
                              const struct compare_group *groups, size_t ng, size_t *nout)
{
	struct unit *u = xreallocarray(NULL, e->nruns ? e->nruns : 1, sizeof *u);
	long *gi = xreallocarray(NULL, e->nruns ? e->nruns : 1, sizeof *gi);
	for (size_t i = 0; i < e->nruns; i++)
		gi[i] = -1;
	for (size_t g = 0; g < ng; g++)
		for (size_t m = 0; m < groups[g].n; m++)
			gi[groups[g].members[m]] = (long)g;
	size_t n = 0;
	for (size_t i = 0; i < e->nruns; i++) {
		if (gi[i] < 0)
			u[n++] = (struct unit){e->runs[i], NULL, e->runs};
		else if (groups[gi[i]].members[0] == i)
			u[n++] = (struct unit){e->runs[i], &groups[gi[i]], e->runs};
	}
	free(gi);
	*nout = n;
	return u;
}

/* Fills a "best run" element (marker) below root for metric over runs
 * idx[0..n) at page depth; removes it when there is none. */
static void fill_best(struct site *s, xmlNodePtr root, const char *marker, const size_t *idx,
                      size_t n, int depth)
{
	xmlNodePtr el = tmpl_find(root, marker);
	if (!el)
		return;
	enum goal g = s->primary ? site_goal(s, s->primary) : GOAL_NONE;
	const struct run **rr = run_ptrs(s, idx, n);
	long b = s->primary ? compare_best(rr, n, s->primary, g) : -1;
	free(rr);
	if (b < 0) {
		tmpl_remove(el);
		return;
	}
	const struct site_run *sr = &s->runs[idx[b]];
	char *href = xasprintf("%sruns/%s.html", depth ? "../" : "", sr->slug);
	fill_link(tmpl_find(el, "best-run"), href, sr->run->name);
	free(href);
	tmpl_set_attr(el, "data-run-id", sr->run->id);
	tmpl_fill(el, "best-metric", s->primary);
	char *how = xasprintf("%s %s", g == GOAL_MIN ? "lowest" : "highest",
	                      compare_mode_name(compare_default_mode(g)));
	tmpl_fill(el, "best-goal", how);
	free(how);
	double v;
	int64_t step;
	if (compare_value(run_find_series(sr->run, s->primary), g, compare_default_mode(g), &v,
	                  &step)) {
		fill_number(el, "best-value", v);
		fill_step(el, "best-step", step);
	}
}

/* Fills the seed groups table of an experiment; removes it when empty. */
static void fill_seed_groups(struct site *s, xmlNodePtr root, const struct site_exp *e,
                             const struct compare_group *groups, size_t ng)
{
	xmlNodePtr sec = tmpl_find(root, "seeds-section");
	if (!sec)
		return;
	if (ng == 0) {
		tmpl_remove(sec);
		return;
	}
	const struct run **rr = run_ptrs(s, e->runs, e->nruns);
	size_t nm = 0;
	struct key_count *metrics = metric_keys(s, e->runs, e->nruns, MAX_METRIC_KEYS, &nm);
	xmlNodePtr th = tmpl_find(sec, "sg-col-metric");
	for (size_t m = 0; th && m < nm; m++)
		metric_head(tmpl_clone(th), metrics[m].key, metrics[m].goal, "mean ± std");
	tmpl_remove(th);
	xmlNodePtr rowtpl = tmpl_find(sec, "sg-row");
	for (size_t g = 0; rowtpl && g < ng; g++) {
		xmlNodePtr row = tmpl_clone(rowtpl);
		struct unit u = {e->runs[groups[g].members[0]], &groups[g], e->runs};
		char *name = group_name(s, &u);
		tmpl_fill(row, "sg-name", name);
		free(name);
		xmlNodePtr sw = tmpl_find(row, "sg-color");
		if (sw) {
			char *style = xasprintf("background:%s",
			                        chart_color_hex(s->runs[u.run].color));
			tmpl_set_attr(sw, "style", style);
			free(style);
		}
		char b[32];
		snprintf(b, sizeof b, "%zu", groups[g].n);
		xmlNodePtr c = tmpl_find(row, "sg-n");
		if (c) {
			tmpl_set_text(c, b);
			tmpl_set_attr(c, "data-value", b);
		}
		xmlNodePtr list = tmpl_find(row, "sg-runs");
		if (list) {
			tmpl_set_text(list, "");
			for (size_t m = 0; m < groups[g].n; m++) {
				const struct site_run *sr = &s->runs[e->runs[groups[g].members[m]]];
				if (m)
					xmlAddChild(list, xmlNewDocText(list->doc, BAD_CAST ", "));
				char *href = xasprintf("../runs/%s.html", sr->slug);
				xmlNodePtr a = tmpl_add_elem(list, "a", sr->run->name);
				tmpl_set_attr(a, "href", href);
				tmpl_set_attr(a, "data-run-id", sr->run->id);
				free(href);
			}
		}
		xmlNodePtr td = tmpl_find(row, "sg-metric");
		for (size_t m = 0; td && m < nm; m++) {
			c = tmpl_clone(td);
			tmpl_set_attr(c, "data-metric", metrics[m].key);
			struct compare_stats st;
			if (!compare_group_stats(rr, &groups[g], metrics[m].key, metrics[m].goal,
			                         compare_default_mode(metrics[m].goal), &st)) {
				tmpl_set_text(c, "—");
				tmpl_set_attr(c, "data-value", "");
				continue;
			}
			char mean[64], sd[64], exact[40];
			chart_format_number(mean, sizeof mean, st.mean);
			chart_format_number(sd, sizeof sd, st.std);
			char *text = xasprintf("%s ± %s", mean, sd);
			tmpl_set_text(c, text);
			free(text);
			fmt_double(exact, sizeof exact, st.mean);
			tmpl_set_attr(c, "data-value", exact);
			char *title = xasprintf("mean %s", exact);
			fmt_double(exact, sizeof exact, st.std);
			tmpl_set_attr(c, "data-std", exact);
			char *t2 = xasprintf("%s, std %s, n %zu", title, exact, st.n);
			tmpl_set_attr(c, "title", t2);
			free(title);
			free(t2);
			snprintf(b, sizeof b, "%zu", st.n);
			tmpl_set_attr(c, "data-n", b);
		}
		tmpl_remove(td);
	}
	tmpl_remove(rowtpl);
	free(metrics);
	free(rr);
}

/* Lists compare pages (those of experiment e, or all when e < 0) below
 * root at depth; removes the section when there are none. */
static void fill_compare_list(struct site *s, xmlNodePtr root, long e, int depth)
{
	xmlNodePtr sec = tmpl_find(root, "cmp-section");
	if (!sec)
		return;
	xmlNodePtr tpl = tmpl_find(sec, "cmp-item");
	size_t n = 0;
	for (size_t c = 0; tpl && c < s->ncmps; c++) {
		if (e >= 0 && s->cmps[c].exp != e)
			continue;
		xmlNodePtr it = tmpl_clone(tpl);
		char *href = xasprintf("%scompare/%s.html", depth ? "../" : "", s->cmps[c].slug);
		xmlNodePtr a = tmpl_find(it, "cmp-link");
		fill_link(a ? a : it, href, s->cmps[c].title);
		free(href);
		n++;
	}
	tmpl_remove(tpl);
	if (n == 0)
		tmpl_remove(sec);
}

int page_experiment(struct site *s, size_t ei)
{
	const struct site_exp *e = &s->exps[ei];
	int ok = 0, charts_ok = 1;
	size_t nc = 0, nsw = 0, ng = 0, nu = 0, nk = 0;
	struct chart_ref *refs = NULL, *swrefs = NULL;
	struct compare_group *groups = NULL;
	struct unit *units = NULL;
	struct key_count *keys = NULL;
	struct slugset stems = {0};
	char *dir = xasprintf("experiments/%s", e->slug);
	htmlDocPtr doc = page_load(s, &s->tpl_exp, "experiment.html");
	if (!doc)
		goto out;
	xmlNodePtr root = xmlDocGetRootElement(doc);
	page_common(s, doc, 1, e->name);
	tmpl_fill(root, "exp-name", e->name);
	char b[64];
	snprintf(b, sizeof b, "%zu run%s", e->nruns, e->nruns == 1 ? "" : "s");
	tmpl_fill(root, "exp-count", b);
	xmlNodePtr desc = tmpl_find(root, "exp-desc");
	if (desc && e->description && *e->description) {
		tmpl_set_text(desc, "");
		notes_render(desc, e->description, 1);
	} else {
		tmpl_remove(tmpl_find(root, "desc-section"));
	}
	fill_best(s, root, "exp-best", e->runs, e->nruns, 1);
	fill_runs_table(s, root, e->runs, e->nruns, 1);

	const struct run **rr = run_ptrs(s, e->runs, e->nruns);
	ng = compare_seed_groups(rr, e->nruns, s->opts->group_by, s->opts->ngroup_by, &groups);
	free(rr);
	fill_seed_groups(s, root, e, groups, ng);
	fill_compare_list(s, root, (long)ei, 1);

	units = exp_units(s, e, groups, ng, &nu);
	if (e->nruns >= 2 && s->opts->chart_formats) {
		keys = metric_keys(s, e->runs, e->nruns, MAX_OVERLAY_KEYS, &nk);
		refs = overlay_charts(s, units, nu, keys, nk, dir, e->slug, &stems, &nc, &charts_ok);
		if (!charts_ok)
			goto out;
	}
	fill_charts(s, root, "charts-section", refs, nc);
	swrefs = sweep_charts(s, e, dir, &stems, &nsw, &charts_ok);
	if (!charts_ok)
		goto out;
	fill_charts(s, root, "sweep-section", swrefs, nsw);
	char *rel = xasprintf("experiments/%s.html", e->slug);
	ok = page_save(s, doc, rel);
	free(rel);
out:
	free_refs(refs, nc);
	for (size_t i = 0; i < nsw; i++)
		free((void *)swrefs[i].key);
	free_refs(swrefs, nsw);
	free(keys);
	free(units);
	compare_groups_free(groups, ng);
	slugset_free(&stems);
	free(dir);
	if (doc)
		xmlFreeDoc(doc);
	return ok;
}

/* ---- compare pages ---- */

/* Adds a compare page for runs idx[0..n) (n >= 2; copied). */
static void add_compare(struct site *s, const size_t *idx, size_t n)
{
	struct buf t = BUF_INIT;
	for (size_t i = 0; i < n; i++)
		buf_printf(&t, "%s%s", i ? " vs " : "", s->runs[idx[i]].run->name);
	GROW(s->cmps, s->capcmps, s->ncmps + 1);
	struct site_compare *c = &s->cmps[s->ncmps++];
	c->title = buf_detach(&t);
	char *base = slug_from(c->title, SLUG_MAX, "compare");
	c->slug = slug_claim(&s->cmp_slugs, base);
	free(base);
	c->runs = xreallocarray(NULL, n, sizeof *c->runs);
	memcpy(c->runs, idx, n * sizeof *idx);
	c->n = n;
	c->exp = (long)s->runs[idx[0]].exp;
	for (size_t i = 1; i < n; i++)
		if (s->runs[idx[i]].exp != s->runs[idx[0]].exp)
			c->exp = -1;
}

/* Whether key is an evaluation metric by its first word (val/, eval_, test-...). */
static int is_eval_key(const char *key)
{
	static const char *const words[] = {"val", "valid", "validation", "eval", "test", NULL};
	for (size_t i = 0; words[i]; i++) {
		size_t n = strlen(words[i]);
		if (strncmp(key, words[i], n) == 0 && strchr("/_-.", key[n]) && key[n])
			return 1;
	}
	return 0;
}

void site_plan_compares(struct site *s)
{
	const struct site_opts *o = s->opts;
	const struct run **rr = run_ptrs(s, s->order, s->nruns);
	size_t *hits = xreallocarray(NULL, s->nruns ? s->nruns : 1, sizeof *hits);

	/* The primary metric: as given; else the first a --goal rule names,
	 * else an evaluation metric with a direction, else any with one. */
	s->primary = o->primary;
	if (!s->primary) {
		size_t nk = 0;
		struct key_count *k = metric_keys(s, s->order, s->nruns, (size_t)-1, &nk);
		for (int pass = 0; pass < 3 && !s->primary; pass++)
			for (size_t i = 0; i < nk && !s->primary; i++) {
				if (k[i].goal == GOAL_NONE)
					continue;
				if ((pass == 0 && goal_rules_match(&o->goals, k[i].key)) ||
				    (pass == 1 && is_eval_key(k[i].key)) || pass == 2)
					s->primary = k[i].key; /* points into a run, which outlives s */
			}
		free(k);
	}

	if (o->baseline) {
		size_t n = compare_select(rr, s->nruns, o->baseline, hits);
		if (n == 0)
			diag_msg("--baseline %s: no run has that id, name or tag", o->baseline);
		else {
			if (n > 1)
				diag_msg("--baseline %s names %zu runs; using %s (%s)", o->baseline, n,
				         rr[hits[0]]->name, rr[hits[0]]->id);
			s->baseline = (long)s->order[hits[0]];
		}
	}
	for (size_t c = 0; c < o->ncompare; c++) {
		size_t *pick = xreallocarray(NULL, s->nruns ? s->nruns : 1, sizeof *pick);
		size_t np = 0;
		char *list = xstrdup(o->compare[c]), *save = NULL;
		for (char *t = strtok_r(list, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
			size_t n = compare_select(rr, s->nruns, t, hits);
			if (n == 0)
				diag_msg("--compare %s: no run has the id, name or tag %s", o->compare[c], t);
			for (size_t i = 0; i < n; i++) {
				size_t ri = s->order[hits[i]], j = 0;
				while (j < np && pick[j] != ri)
					j++;
				if (j == np)
					pick[np++] = ri;
			}
		}
		if (np >= 2)
			add_compare(s, pick, np);
		else
			diag_msg("--compare %s: needs two runs or more, found %zu", o->compare[c], np);
		free(list);
		free(pick);
	}
	if (s->baseline >= 0) {
		const struct site_exp *e = &s->exps[s->runs[s->baseline].exp];
		for (size_t i = 0; i < e->nruns; i++) {
			if (e->runs[i] == (size_t)s->baseline)
				continue;
			size_t pair[2] = {(size_t)s->baseline, e->runs[i]};
			add_compare(s, pair, 2);
		}
	}
	free(hits);
	free(rr);
}

/* Fills the per-run header cells cloned from the th marked marker. */
static void compare_heads(struct site *s, xmlNodePtr root, const char *marker,
                          const struct site_compare *c, int deltas)
{
	xmlNodePtr th = tmpl_find(root, marker);
	for (size_t i = 0; th && i < c->n; i++) {
		const struct site_run *sr = &s->runs[c->runs[i]];
		xmlNodePtr h = tmpl_clone(th);
		tmpl_set_text(h, sr->run->name);
		tmpl_set_attr(h, "data-run-id", sr->run->id);
		if (deltas && i > 0) {
			char *t = xasprintf("Δ %s", sr->run->name);
			h = tmpl_clone(th);
			tmpl_set_text(h, t);
			tmpl_set_attr(h, "title", "difference from the reference (first) run");
			free(t);
		}
	}
	tmpl_remove(th);
}

/* Fills params rows (marker rowm) for keys, one value cell per run. */
static void compare_param_rows(struct site *s, xmlNodePtr root, const char *rowm,
                               const struct site_compare *c, const struct compare_param *keys,
                               size_t nk)
{
	xmlNodePtr tpl = tmpl_find(root, rowm);
	for (size_t k = 0; tpl && k < nk; k++) {
		xmlNodePtr row = tmpl_clone(tpl);
		tmpl_set_attr(row, "data-param", keys[k].key);
		tmpl_fill(row, "p-key", keys[k].key);
		xmlNodePtr td = tmpl_find(row, "p-val");
		for (size_t i = 0; td && i < c->n; i++) {
			const char *v = kvlist_get(&s->runs[c->runs[i]].run->params, keys[k].key);
			xmlNodePtr cell = tmpl_clone(td);
			tmpl_set_text(cell, v ? v : "—");
			if (i > 0) {
				const char *r0 = kvlist_get(&s->runs[c->runs[0]].run->params, keys[k].key);
				if ((!v != !r0) || (v && strcmp(v, r0) != 0))
					tmpl_add_class(cell, "changed");
			}
		}
		tmpl_remove(td);
	}
	tmpl_remove(tpl);
}

int page_compare(struct site *s, size_t ci)
{
	const struct site_compare *c = &s->cmps[ci];
	int ok = 0, charts_ok = 1;
	size_t nc = 0, nk = 0;
	struct chart_ref *refs = NULL;
	struct key_count *keys = NULL;
	struct compare_param *diff = NULL, *all = NULL;
	struct slugset stems = {0};
	char *dir = xasprintf("compare/%s", c->slug);
	const struct run **rr = run_ptrs(s, c->runs, c->n);
	htmlDocPtr doc = page_load(s, &s->tpl_cmp, "compare.html");
	if (!doc)
		goto out;
	xmlNodePtr root = xmlDocGetRootElement(doc);
	page_common(s, doc, 1, c->title);
	tmpl_fill(root, "cmp-title", c->title);
	xmlNodePtr ea = tmpl_find(root, "cmp-exp");
	if (c->exp >= 0) {
		char *href = xasprintf("../experiments/%s.html", s->exps[c->exp].slug);
		fill_link(ea, href, s->exps[c->exp].name);
		free(href);
	} else {
		tmpl_remove(tmpl_find(root, "cmp-exp-line"));
	}

	/* The runs, the first one the reference. */
	xmlNodePtr tpl = tmpl_find(root, "cr-row");
	for (size_t i = 0; tpl && i < c->n; i++) {
		const struct site_run *sr = &s->runs[c->runs[i]];
		xmlNodePtr row = tmpl_clone(tpl);
		tmpl_set_attr(row, "data-run-id", sr->run->id);
		xmlNodePtr sw = tmpl_find(row, "cr-color");
		if (sw) {
			char *style = xasprintf("background:%s", chart_color_hex(sr->color));
			tmpl_set_attr(sw, "style", style);
			free(style);
		}
		char *href = xasprintf("../runs/%s.html", sr->slug);
		fill_link(tmpl_find(row, "cr-link"), href, sr->run->name);
		free(href);
		tmpl_fill(row, "cr-role",
		          i == 0 ? ((long)c->runs[0] == s->baseline ? "baseline" : "reference")
		                 : "candidate");
		fill_status(tmpl_find(row, "cr-status"), sr->run->status);
	}
	tmpl_remove(tpl);

	/* Params that differ; all params one toggle away. */
	size_t nd = compare_varying_params(rr, c->n, &diff);
	/* Every key any of the runs has, sorted. */
	size_t na = 0, capa = 0;
	for (size_t i = 0; i < c->n; i++) {
		struct compare_param *one = NULL;
		size_t n1 = compare_varying_params(rr + i, 1, &one);
		for (size_t k = 0; k < n1; k++) {
			size_t j = 0;
			while (j < na && strcmp(all[j].key, one[k].key) != 0)
				j++;
			if (j == na) {
				GROW(all, capa, na + 1);
				all[na++] = one[k];
			}
		}
		free(one);
	}
	for (size_t i = 1; i < na; i++)
		for (size_t j = i; j > 0 && strcmp(all[j].key, all[j - 1].key) < 0; j--) {
			struct compare_param t = all[j];
			all[j] = all[j - 1];
			all[j - 1] = t;
		}
	xmlNodePtr dsec = tmpl_find(root, "diff-section");
	if (dsec) {
		compare_heads(s, dsec, "dp-col", c, 0);
		compare_param_rows(s, dsec, "dp-row", c, diff, nd);
		if (nd > 0)
			tmpl_remove(tmpl_find(dsec, "no-diff"));
		else
			tmpl_remove(tmpl_find(dsec, "diff-table"));
		xmlNodePtr all_el = tmpl_find(dsec, "all-params");
		if (all_el && na > 0) {
			compare_heads(s, all_el, "ap-col", c, 0);
			compare_param_rows(s, all_el, "ap-row", c, all, na);
		} else {
			tmpl_remove(all_el);
		}
	}

	/* Metrics: each run's value and its difference from the reference. */
	keys = metric_keys(s, c->runs, c->n, MAX_OVERLAY_KEYS, &nk);
	xmlNodePtr msec = tmpl_find(root, "metrics-section");
	if (msec && nk == 0)
		tmpl_remove(msec);
	else if (msec) {
		compare_heads(s, msec, "mc-col", c, 1);
		xmlNodePtr mt = tmpl_find(msec, "mc-row");
		for (size_t k = 0; mt && k < nk; k++) {
			enum goal g = keys[k].goal;
			enum compare_mode mode = compare_default_mode(g);
			xmlNodePtr row = tmpl_clone(mt);
			tmpl_set_attr(row, "data-metric", keys[k].key);
			tmpl_fill(row, "mc-key", keys[k].key);
			char *how = xasprintf("%s%s%s", compare_mode_name(mode), *goal_arrow(g) ? " " : "",
			                      goal_arrow(g));
			xmlNodePtr hn = tmpl_find(row, "mc-goal");
			if (hn) {
				tmpl_set_text(hn, how);
				tmpl_set_attr(hn, "title", goal_words(g));
			}
			free(how);
			xmlNodePtr td = tmpl_find(row, "mc-val");
			double v0 = 0;
			int have0 = compare_value(run_find_series(rr[0], keys[k].key), g, mode, &v0, NULL);
			for (size_t i = 0; td && i < c->n; i++) {
				double v;
				int have = compare_value(run_find_series(rr[i], keys[k].key), g, mode, &v,
				                         NULL);
				xmlNodePtr cell = tmpl_clone(td);
				tmpl_set_attr(cell, "data-run-id", rr[i]->id);
				if (have)
					set_number(cell, v);
				else {
					tmpl_set_text(cell, "—");
					tmpl_set_attr(cell, "data-value", "");
				}
				if (i == 0)
					continue;
				cell = tmpl_clone(td);
				tmpl_add_class(cell, "delta");
				if (!have || !have0 || !isfinite(v) || !isfinite(v0)) {
					tmpl_set_text(cell, "—");
					tmpl_set_attr(cell, "data-value", "");
					continue;
				}
				double d = v - v0;
				char shown[64], exact[40];
				chart_format_number(shown, sizeof shown, d);
				fmt_double(exact, sizeof exact, d);
				char *text = xasprintf("%s%s", d > 0 ? "+" : "", shown);
				tmpl_set_text(cell, text);
				free(text);
				tmpl_set_attr(cell, "data-delta", exact);
				char *title = v0 != 0 ? xasprintf("%s (%+.2f%%)", exact, 100.0 * d / fabs(v0))
				                      : xstrdup(exact);
				tmpl_set_attr(cell, "title", title);
				free(title);
				tmpl_add_class(cell, goal_better(g, v, v0)   ? "better"
				                     : goal_better(g, v0, v) ? "worse"
				                                             : "same");
			}
			tmpl_remove(td);
		}
		tmpl_remove(mt);
	}

	/* Overlays: each run its own line, in its colour. */
	struct unit *units = xreallocarray(NULL, c->n, sizeof *units);
	for (size_t i = 0; i < c->n; i++)
		units[i] = (struct unit){c->runs[i], NULL, c->runs};
	if (s->opts->chart_formats)
		refs = overlay_charts(s, units, c->n, keys, nk, dir, c->slug, &stems, &nc, &charts_ok);
	free(units);
	if (!charts_ok)
		goto out;
	fill_charts(s, root, "charts-section", refs, nc);
	char *rel = xasprintf("compare/%s.html", c->slug);
	ok = page_save(s, doc, rel);
	free(rel);
out:
	free_refs(refs, nc);
	free(keys);
	free(diff);
	free(all);
	free(rr);
	slugset_free(&stems);
	free(dir);
	if (doc)
		xmlFreeDoc(doc);
	return ok;
}

/* ---- index page ---- */

int page_index(struct site *s)
{
	htmlDocPtr doc = page_load(s, &s->tpl_index, "index.html");
	if (!doc)
		return 0;
	xmlNodePtr root = xmlDocGetRootElement(doc);
	page_common(s, doc, 0, NULL);
	char b[128];
	snprintf(b, sizeof b, "%zu experiment%s · %zu run%s", s->nexps, s->nexps == 1 ? "" : "s",
	         s->nruns, s->nruns == 1 ? "" : "s");
	tmpl_fill(root, "summary", b);

	xmlNodePtr tpl = tmpl_find(root, "exp-row");
	for (size_t i = 0; tpl && i < s->nexps; i++) {
		const struct site_exp *e = &s->exps[i];
		xmlNodePtr row = tmpl_clone(tpl);
		char *href = xasprintf("experiments/%s.html", e->slug);
		fill_link(tmpl_find(row, "exp-link"), href, e->name);
		free(href);
		xmlNodePtr c = tmpl_find(row, "exp-runs");
		if (c) {
			snprintf(b, sizeof b, "%zu", e->nruns);
			tmpl_set_text(c, b);
			tmpl_set_attr(c, "data-value", b);
		}
		char *ex = notes_excerpt(e->description, 160);
		tmpl_fill(row, "exp-desc", ex);
		free(ex);
	}
	tmpl_remove(tpl);

	const size_t *all = s->order;
	fill_best(s, root, "site-best", all, s->nruns, 0);
	fill_compare_list(s, root, -1, 0);
	fill_runs_table(s, root, all, s->nruns, 0);

	/* The best run for each goal metric. */
	size_t nk = 0;
	struct key_count *keys = metric_keys(s, all, s->nruns, MAX_METRIC_KEYS, &nk);
	tpl = tmpl_find(root, "best-row");
	size_t nbest = 0;
	for (size_t k = 0; tpl && k < nk; k++) {
		if (keys[k].goal == GOAL_NONE)
			continue;
		long bi = -1;
		const struct point *bp = NULL;
		for (size_t i = 0; i < s->nruns; i++) {
			const struct series *se = run_find_series(s->runs[i].run, keys[k].key);
			const struct point *p = se ? series_best(se, keys[k].goal) : NULL;
			if (p && (!bp || goal_better(keys[k].goal, p->value, bp->value))) {
				bp = p;
				bi = (long)i;
			}
		}
		if (bi < 0)
			continue;
		xmlNodePtr row = tmpl_clone(tpl);
		nbest++;
		tmpl_fill(row, "b-metric", keys[k].key);
		tmpl_fill(row, "b-goal", keys[k].goal == GOAL_MIN ? "lowest" : "highest");
		char *href = xasprintf("runs/%s.html", s->runs[bi].slug);
		xmlNodePtr br = tmpl_find(row, "b-run");
		/* The run's name is linked, or the whole card is the link. */
		if (br && strcmp((const char *)br->name, "a") == 0)
			fill_link(br, href, s->runs[bi].run->name);
		else if (br)
			tmpl_set_text(br, s->runs[bi].run->name);
		if (strcmp((const char *)row->name, "a") == 0)
			tmpl_set_attr(row, "href", href);
		free(href);
		fill_number(row, "b-value", bp->value);
		fill_step(row, "b-step", bp->step);
	}
	tmpl_remove(tpl);
	keep_section(root, "best-section", nbest);
	free(keys);

	int ok = page_save(s, doc, "index.html");
	xmlFreeDoc(doc);
	return ok;
}
