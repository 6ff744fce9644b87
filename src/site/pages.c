/* pages.c — the run, experiment and index pages, and the charts on them.
 * Each page is its template filled through tmpl.c; links are built from
 * slugs only and are relative, naming their file. */
#include <fnmatch.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "runsite/chart.h"
#include "site_internal.h"

#define MAX_PARAM_COLS 8   /* params shown in a runs table */
#define MAX_METRIC_KEYS 8  /* metrics shown in a runs table (goal metrics count twice) */
#define MAX_OVERLAY_KEYS 24
#define MAX_OVERLAY_RUNS 20

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
	sp->goal = (enum chart_goal)goal_infer(key);
	sp->clip_outliers = s->opts->clip_outliers;
	if (s->opts->log_y_pattern && fnmatch(s->opts->log_y_pattern, key, 0) == 0)
		sp->log_y = 1;
}

/* Writes the chart in every format asked for as dir/stem.<ext>; *alt gets
 * its description. Returns 1, or 0 after reporting. */
static int write_chart(struct site *s, const struct chart_spec *sp, const char *dir,
                       const char *stem, char **alt)
{
	struct chart_info info;
	memset(&info, 0, sizeof info);
	for (int f = CHART_SVG; f <= CHART_PDF; f++) {
		if (!(s->opts->chart_formats & (1u << f)))
			continue;
		char *path = xasprintf("%s/%s/%s.%s", s->tmp, dir, stem, format_ext[f]);
		int ok = chart_write(sp, (enum chart_format)f, path, &info);
		free(path);
		if (!ok)
			return 0;
	}
	*alt = chart_describe(sp, &info);
	return 1;
}

int page_run_charts(struct site *s, struct site_run *sr)
{
	struct run *r = sr->run;
	struct slugset stems = {0};
	char *dir = xasprintf("runs/%s", sr->slug);
	int ok = 1, made = 0;
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
		struct chart_point *cp = to_chart_points(s, r, se->pts, se->n);
		struct chart_series cs = {.label = r->name, .pts = cp, .n = se->n, .color = sr->color};
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
	slugset_free(&stems);
	free(dir);
	return ok;
}

struct chart_ref {
	const char *key;
	const char *dir; /* relative to the page: "slug" */
	const char *stem;
	const char *alt;
};

/* The group of chart i: the key's part before the first '/'; for a key
 * without one, its first word before '_' when another key shares it
 * ("train_loss" with "train_acc"); else "". Caller frees. */
static char *chart_group(const struct chart_ref *charts, size_t n, size_t i)
{
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
static void fill_charts(struct site *s, xmlNodePtr root, const struct chart_ref *charts,
                        size_t n)
{
	xmlNodePtr section = tmpl_find(root, "charts-section");
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
				                             goal_infer(r->metrics[m].key)};
			}
			k[j].runs++;
		}
	}
	if (nk > 1)
		qsort(k, nk, sizeof *k, cmp_key_count);
	*nout = nk < max ? nk : max;
	return k;
}

struct param_col {
	const char *key;
	size_t runs; /* runs that have it */
};

static int cmp_param_col(const void *a, const void *b)
{
	const struct param_col *x = a, *y = b;
	if (x->runs != y->runs)
		return x->runs < y->runs ? 1 : -1;
	return strcmp(x->key, y->key);
}

static int cmp_param_key(const void *a, const void *b)
{
	return strcmp(((const struct param_col *)a)->key, ((const struct param_col *)b)->key);
}

/* The param keys whose values differ across runs idx[0..n) (a missing
 * value counts as different), all of them for a single run: the max that
 * most runs have, in key order. Caller frees the array (not the strings). */
static struct param_col *varying_params(struct site *s, const size_t *idx, size_t n, size_t max,
                                        size_t *nout)
{
	struct param_col *keys = NULL;
	size_t nk = 0, cap = 0;
	for (size_t i = 0; i < n; i++) {
		const struct kvlist *p = &s->runs[idx[i]].run->params;
		for (size_t j = 0; j < p->n; j++) {
			size_t k = 0;
			while (k < nk && strcmp(keys[k].key, p->items[j].key) != 0)
				k++;
			if (k == nk) {
				GROW(keys, cap, nk + 1);
				keys[nk++] = (struct param_col){p->items[j].key, 0};
			}
			keys[k].runs++;
		}
	}
	size_t out = 0;
	for (size_t k = 0; k < nk; k++) {
		int varies = n < 2;
		const char *first = kvlist_get(&s->runs[idx[0]].run->params, keys[k].key);
		for (size_t i = 1; i < n && !varies; i++) {
			const char *v = kvlist_get(&s->runs[idx[i]].run->params, keys[k].key);
			varies = (!v != !first) || (v && strcmp(v, first) != 0);
		}
		if (varies)
			keys[out++] = keys[k];
	}
	if (out > 1)
		qsort(keys, out, sizeof *keys, cmp_param_col);
	*nout = out < max ? out : max;
	if (*nout > 1)
		qsort(keys, *nout, sizeof *keys, cmp_param_key);
	return keys;
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

	xmlNodePtr th = tmpl_find(table, "col-param");
	for (size_t p = 0; th && p < np; p++)
		tmpl_set_text(tmpl_clone(th), params[p].key);
	tmpl_remove(th);
	th = tmpl_find(table, "col-metric");
	for (size_t m = 0; th && m < nm; m++) {
		for (int best = 0; best <= (metrics[m].goal != GOAL_NONE); best++) {
			xmlNodePtr c = tmpl_clone(th);
			tmpl_set_text(c, metrics[m].key);
			tmpl_add_elem(c, "br", NULL);
			xmlNodePtr sub = tmpl_add_elem(
			        c, "small",
			        !best ? "last" : metrics[m].goal == GOAL_MIN ? "best ↓" : "best ↑");
			tmpl_set_attr(sub, "class", "sub");
		}
	}
	tmpl_remove(th);

	xmlNodePtr rowtpl = tmpl_find(table, "run-row");
	for (size_t i = 0; rowtpl && i < n; i++) {
		const struct site_run *sr = &s->runs[idx[i]];
		const struct run *r = sr->run;
		xmlNodePtr row = tmpl_clone(rowtpl);
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
		for (size_t m = 0; td && m < nm; m++) {
			const struct series *se = run_find_series(r, metrics[m].key);
			for (int best = 0; best <= (metrics[m].goal != GOAL_NONE); best++) {
				c = tmpl_clone(td);
				const struct point *pt = !se || !se->sum.count ? NULL
				                         : best ? series_best(se, metrics[m].goal)
				                                : &se->sum.last;
				if (!pt) {
					tmpl_set_text(c, "—");
					tmpl_set_attr(c, "data-value", "");
					continue;
				}
				set_number(c, pt->value);
				char exact[40];
				fmt_double(exact, sizeof exact, pt->value);
				char *title = xasprintf("%s at step %" PRId64, exact, pt->step);
				tmpl_set_attr(c, "title", title);
				free(title);
			}
		}
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
		enum goal g = goal_infer(se->key);
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
		tmpl_fill(row, "ds-name", d->name ? d->name : "");
		tmpl_fill(row, "ds-context", d->context ? d->context : "");
		tmpl_fill(row, "ds-digest", d->digest ? d->digest : "");
		tmpl_fill(row, "ds-source-type", d->source_type ? d->source_type : "");
		tmpl_fill(row, "ds-source", d->source ? d->source : "");
	}
	tmpl_remove(tpl);
	keep_section(root, "datasets-section", r->ndatasets);

	tpl = tmpl_find(root, "model-row");
	for (size_t i = 0; tpl && i < r->nmodels; i++) {
		const struct logged_model *m = &r->models[i];
		xmlNodePtr row = tmpl_clone(tpl);
		tmpl_fill(row, "model-name", m->name ? m->name : "");
		tmpl_fill(row, "model-type", m->type ? m->type : "");
		tmpl_fill(row, "model-status", m->status ? m->status : "");
		tmpl_fill(row, "model-id", m->id ? m->id : "");
		tmpl_fill(row, "model-uri", m->uri ? m->uri : "");
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
		                             sr->charts[c].slug, sr->charts[c].alt};
	fill_charts(s, root, refs, sr->ncharts);
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

/* ---- experiment page ---- */

/* Writes overlay charts for experiment e into experiments/<slug>/ and
 * returns their references (caller frees the strings and array). */
static struct chart_ref *experiment_charts(struct site *s, const struct site_exp *e,
                                           size_t *nout, int *ok)
{
	*nout = 0;
	*ok = 1;
	if (e->nruns < 2 || !s->opts->chart_formats)
		return NULL;
	size_t nk = 0;
	struct key_count *keys = metric_keys(s, e->runs, e->nruns, MAX_OVERLAY_KEYS, &nk);
	struct chart_ref *refs = xreallocarray(NULL, nk ? nk : 1, sizeof *refs);
	struct slugset stems = {0};
	char *dir = xasprintf("experiments/%s", e->slug);
	int made = 0;
	size_t nr = e->nruns < MAX_OVERLAY_RUNS ? e->nruns : MAX_OVERLAY_RUNS;
	struct chart_series *cs = xcalloc(nr, sizeof *cs);
	for (size_t k = 0; k < nk && *ok; k++) {
		size_t ns = 0, longest = 0;
		for (size_t i = 0; i < nr; i++) {
			const struct site_run *sr = &s->runs[e->runs[i]];
			const struct series *se = run_find_series(sr->run, keys[k].key);
			if (!se || se->ndec == 0)
				continue;
			cs[ns] = (struct chart_series){.label = sr->run->name, .n = se->ndec,
			                               .color = sr->color};
			cs[ns].pts = to_chart_points(s, sr->run, se->dec, se->ndec);
			if (se->ndec > longest)
				longest = se->ndec;
			ns++;
		}
		/* Worth a picture only with a line in it: single values (one point
		 * per run) are compared better in the runs table. */
		if (longest >= 2) {
			if (!made && !(made = site_mkdir(s, dir)))
				*ok = 0;
			char *base = slug_from(keys[k].key, SLUG_MAX, "metric");
			const char *stem = slug_claim(&stems, base);
			free(base);
			struct chart_spec sp;
			spec_for(s, &sp, keys[k].key);
			sp.series = cs;
			sp.nseries = ns;
			char *alt = NULL;
			if (*ok && write_chart(s, &sp, dir, stem, &alt))
				refs[(*nout)++] = (struct chart_ref){keys[k].key, e->slug, xstrdup(stem),
				                                     alt};
			else
				*ok = 0;
		}
		for (size_t i = 0; i < ns; i++)
			free((void *)cs[i].pts);
	}
	free(cs);
	free(dir);
	slugset_free(&stems);
	/* keys point into the runs, which outlive the page. */
	free(keys);
	return refs;
}

int page_experiment(struct site *s, size_t ei)
{
	const struct site_exp *e = &s->exps[ei];
	int ok = 0;
	size_t nc = 0;
	struct chart_ref *refs = NULL;
	htmlDocPtr doc = page_load(s, &s->tpl_exp, "experiment.html");
	if (!doc)
		return 0;
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
	fill_runs_table(s, root, e->runs, e->nruns, 1);
	int charts_ok;
	refs = experiment_charts(s, e, &nc, &charts_ok);
	if (!charts_ok)
		goto out;
	fill_charts(s, root, refs, nc);
	char *rel = xasprintf("experiments/%s.html", e->slug);
	ok = page_save(s, doc, rel);
	free(rel);
out:
	for (size_t i = 0; i < nc; i++) {
		free((void *)refs[i].stem);
		free((void *)refs[i].alt);
	}
	free(refs);
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
