/* pages.c — what the pages share: number, time and status cells, links,
 * the runs table, the chart sections, loading and saving a page. Each page
 * is its template filled through tmpl.c (page_run.c, page_experiment.c,
 * page_compare.c, page_index.c); links are built from slugs only and are
 * relative, naming their file. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "runsite/chart.h"
#include "runsite/compare.h"
#include "site_internal.h"

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

void set_int_attr(xmlNodePtr n, const char *name, int64_t v)
{
	char b[32];
	snprintf(b, sizeof b, "%" PRId64, v);
	tmpl_set_attr(n, name, b);
}

/* Shows v as the axes do, with its exact value in data-value and title. */
void set_number(xmlNodePtr n, double v)
{
	char shown[64], exact[40];
	chart_format_number(shown, sizeof shown, v);
	fmt_double(exact, sizeof exact, v);
	tmpl_set_text(n, shown);
	tmpl_set_attr(n, "data-value", exact);
	tmpl_set_attr(n, "title", exact);
}

void fill_number(xmlNodePtr row, const char *marker, double v)
{
	xmlNodePtr n = tmpl_find(row, marker);
	if (n)
		set_number(n, v);
}

void fill_step(xmlNodePtr row, const char *marker, int64_t step)
{
	xmlNodePtr n = tmpl_find(row, marker);
	if (!n)
		return;
	char b[32];
	snprintf(b, sizeof b, "%" PRId64, step);
	tmpl_set_text(n, b);
	tmpl_set_attr(n, "data-value", b);
}

void fill_empty(xmlNodePtr row, const char *marker)
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

void fill_status(xmlNodePtr n, const char *status)
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

void fill_swatch(xmlNodePtr n, int color)
{
	if (!n)
		return;
	char *style = xasprintf("background:%s", chart_color_hex(color));
	tmpl_set_attr(n, "style", style);
	free(style);
}

/* Sets an <a> to link to href with the given text. */
void fill_link(xmlNodePtr a, const char *href, const char *text)
{
	if (!a)
		return;
	tmpl_set_text(a, text);
	tmpl_set_attr(a, "href", href);
}

/* The best point of a series under goal g, or NULL. */
const struct step_value *series_best(const struct series_sum *se, enum goal g)
{
	if (!se->has_finite || g == GOAL_NONE)
		return NULL;
	return g == GOAL_MIN ? &se->min : &se->max;
}

/* ---- loading and saving pages ---- */

htmlDocPtr page_load(struct site *s, const struct buf *tpl, const char *name)
{
	htmlDocPtr doc = tmpl_parse(tpl->data, tpl->size);
	if (!doc)
		diag_msg("template %s could not be parsed as HTML", name);
	return doc;
}

/* Fills what every page has (titles, site links) for a page depth folders down. */
void page_common(struct site *s, htmlDocPtr doc, int depth, const char *title)
{
	xmlNodePtr root = xmlDocGetRootElement(doc);
	const char *site_title = s->opts->title ? s->opts->title : "Runs";
	char *full = title ? xasprintf("%s — %s", title, site_title) : xstrdup(site_title);
	tmpl_fill(root, "page-title", full);
	tmpl_fill(root, "site-title", site_title);
	free(full);
	tmpl_relink(doc, depth);
}

int page_save(struct site *s, htmlDocPtr doc, const char *rel)
{
	struct buf out = BUF_INIT;
	tmpl_serialize(doc, &out);
	int ok = site_write(s, rel, out.data, out.size);
	buf_free(&out);
	return ok;
}

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

/* The legend of an overlay as a list before the caption (cap) of figure
 * fig: a line sample in the series' colour and style, its own part of the
 * name, the full name in the title. Readable without the page script,
 * which replaces it with a clickable one. */
static void chart_key_list(xmlNodePtr fig, xmlNodePtr cap, const struct chart_ref *ref)
{
	/* the chart's dash patterns (draw.c) for a 2 px key line, 1.5× a 1.25 px
	 * line's, so a dash and a dash-dot differ here as they do there */
	static const char *const dashes[] = {NULL, "9 4.5", "2.25 4.5", "10.5 4.5 2.25 4.5"};
	xmlNodePtr ul = xmlNewDocNode(fig->doc, NULL, BAD_CAST "ul", NULL);
	xmlAddPrevSibling(cap, ul);
	tmpl_set_attr(ul, "class", "chart-keys");
	tmpl_set_attr(ul, "aria-label", "Legend");
	for (size_t k = 0; k < ref->nkeys; k++) {
		const struct chart_key *ck = &ref->keys[k];
		xmlNodePtr li = tmpl_add_elem(ul, "li", NULL);
		tmpl_set_attr(li, "title", ck->name);
		xmlNodePtr sw = tmpl_add_elem(li, "svg", NULL);
		tmpl_set_attr(sw, "class", "key");
		tmpl_set_attr(sw, "width", "22");
		tmpl_set_attr(sw, "height", "10");
		tmpl_set_attr(sw, "viewBox", "0 0 22 10");
		tmpl_set_attr(sw, "aria-hidden", "true");
		xmlNodePtr line = tmpl_add_elem(sw, "line", NULL);
		tmpl_set_attr(line, "x1", "0");
		tmpl_set_attr(line, "y1", "5");
		tmpl_set_attr(line, "x2", "22");
		tmpl_set_attr(line, "y2", "5");
		tmpl_set_attr(line, "stroke", ck->color);
		tmpl_set_attr(line, "stroke-width", "2");
		if (dashes[ck->dash & 3])
			tmpl_set_attr(line, "stroke-dasharray", dashes[ck->dash & 3]);
		tmpl_add_elem(li, "span", ck->own);
	}
}

/* Fills the charts section below root with charts, grouped by chart_group
 * (ungrouped keys first, then groups in order). */
void fill_chart_section(struct site *s, xmlNodePtr root, const char *marker,
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
			if (cap && charts[i].common) {
				xmlNodePtr sm = tmpl_add_elem(cap, "span", " · ");
				tmpl_set_attr(sm, "class", "common");
				tmpl_add_elem(sm, "span", charts[i].common);
				tmpl_set_attr(sm, "title", "the part of the run names they all share");
			}
			if (cap && charts[i].nkeys)
				chart_key_list(c, cap, &charts[i]);
			xmlNodePtr img = tmpl_find(c, "chart-img");
			/* The link opens the sharpest file: PNG (2x) or the SVG, else the PDF. */
			unsigned f_link = s->opts->chart_formats & (1u << CHART_PNG)   ? CHART_PNG
			                  : s->opts->chart_formats & (1u << CHART_SVG) ? CHART_SVG
			                                                               : CHART_PDF;
			char *href = xasprintf("%s/%s.%s", charts[i].dir, charts[i].stem,
			                       site_chart_ext[f_link]);
			xmlNodePtr a = tmpl_find(c, "chart-link");
			if (a)
				tmpl_set_attr(a, "href", href);
			free(href);
			if (img && has_img) {
				char *src = xasprintf("%s/%s.%s", charts[i].dir, charts[i].stem,
				                      site_chart_ext[f_img]);
				tmpl_set_attr(img, "src", src);
				tmpl_set_attr(img, "alt", charts[i].alt ? charts[i].alt : charts[i].key);
				free(src);
				/* The drawn points, for the page script's readouts and zoom. */
				if (charts[i].data) {
					char *pts = xasprintf("%s/%s", charts[i].dir, charts[i].data);
					tmpl_set_attr(c, "data-points", pts);
					free(pts);
				}
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

/* Fills a metric column's heading: the key, its direction and the value
 * shown (m: compare_mode_at of --at, or a report column's own), for the
 * page script to switch; `extra` is appended to the value line ("mean ± std"). */
void metric_head(xmlNodePtr th, const char *key, enum goal g, enum compare_mode m,
                 const char *extra)
{
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

/* Fills a metric cell of a run: its value at point `at` (metric_at), and
 * every mode's exact value and text in data-last/-best/-min/-max(-text)
 * and the steps of the last, min and max (data-steps) for the switch. */
static void metric_cell(xmlNodePtr c, const struct series_sum *se, const char *key, enum goal g,
                        enum metric_at at)
{
	tmpl_set_attr(c, "data-metric", key);
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
	}
	struct buf steps = BUF_INIT;
	for (int m = CMP_LAST; m <= CMP_MAX; m++) {
		double v;
		int64_t step;
		if (m == CMP_BEST)
			continue;
		if (m != CMP_LAST)
			buf_putc(&steps, ' ');
		if (compare_value(se, g, (enum compare_mode)m, &v, &step))
			buf_printf(&steps, "%" PRId64, step);
	}
	buf_putc(&steps, '\0');
	tmpl_set_attr(c, "data-steps", steps.data);
	buf_free(&steps);
	struct at_value av;
	if (!metric_at(se, g, at, &av)) {
		tmpl_set_text(c, "—");
		tmpl_set_attr(c, "data-value", "");
		return;
	}
	set_number(c, av.value);
	char exact[40], where[64];
	fmt_double(exact, sizeof exact, av.value);
	metric_at_label(where, sizeof where, &av);
	char *title = xasprintf("%s (%s)", exact, where);
	tmpl_set_attr(c, "title", title);
	free(title);
}

/* Fills the column heads of a runs table: the trend column (a sparkline of
 * the primary metric), the params and the metrics. */
static void runs_table_heads(struct site *s, xmlNodePtr table, const char *primary,
                             const struct compare_param *params, size_t np,
                             const struct plan_metric *metrics, size_t nm)
{
	xmlNodePtr th = tmpl_find(table, "col-spark");
	if (th && primary) {
		xmlNodePtr old = th->children;
		while (old) {
			xmlNodePtr next = old->next;
			tmpl_remove(old);
			old = next;
		}
		tmpl_add_elem(th, "span", primary);
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
		metric_head(tmpl_clone(th), metrics[m].key, metrics[m].goal,
		            compare_mode_at(metrics[m].goal, s->opts->at), NULL);
	tmpl_remove(th);
}

/* Fills the start and duration cells of a run's row. */
static void run_times(xmlNodePtr row, const struct run *r)
{
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
}

/* Fills the trend cell of run sr's row: a sparkline of metric primary. */
static void run_trend(struct site *s, xmlNodePtr row, struct site_run *sr, const char *primary)
{
	xmlNodePtr c = tmpl_find(row, "r-spark");
	if (c && !primary) {
		tmpl_remove(c);
	} else if (c) {
		xmlNodePtr img = c->children;
		while (img && img->type != XML_ELEMENT_NODE)
			img = img->next;
		double end[2];
		char *d = img ? run_sparkline(s, sr, primary, end) : NULL;
		if (d) {
			char *small = spark_compact(d);
			free(d);
			d = small;
			/* one small inline path a run, in place of the template's picture */
			xmlNodePtr svg = xmlNewDocNode(c->doc, NULL, BAD_CAST "svg", NULL);
			xmlAddPrevSibling(img, svg);
			tmpl_remove(img);
			img = NULL;
			tmpl_set_attr(svg, "width", "96");
			tmpl_set_attr(svg, "height", "24");
			tmpl_set_attr(svg, "viewBox", "0 0 96 24");
			tmpl_set_attr(svg, "role", "img");
			char *alt = xasprintf("%s over steps", primary);
			tmpl_set_attr(svg, "aria-label", alt);
			free(alt);
			const char *hex = chart_color_hex(sr->color);
			xmlNodePtr path = tmpl_add_elem(svg, "path", NULL);
			tmpl_set_attr(path, "d", d);
			tmpl_set_attr(path, "fill", "none");
			tmpl_set_attr(path, "stroke", hex);
			tmpl_set_attr(path, "stroke-width", "1.25");
			tmpl_set_attr(path, "stroke-linejoin", "round");
			xmlNodePtr dot = tmpl_add_elem(svg, "circle", NULL);
			char b[32];
			snprintf(b, sizeof b, "%g", end[0]);
			tmpl_set_attr(dot, "cx", b);
			snprintf(b, sizeof b, "%g", end[1]);
			tmpl_set_attr(dot, "cy", b);
			tmpl_set_attr(dot, "r", "1.75");
			tmpl_set_attr(dot, "fill", hex);
			free(d);
		} else if (img) {
			tmpl_remove(img);
		}
	}
}

/* Fills one row of a runs table for run sr. */
static void run_row(struct site *s, xmlNodePtr row, struct site_run *sr, const char *up,
                    const char *primary, const struct compare_param *params, size_t np,
                    const struct plan_metric *metrics, size_t nm)
{
	const struct run *r = sr->run;
	tmpl_set_attr(row, "data-run-id", r->id);
	char *href = xasprintf("%sruns/%s.html", up, sr->slug);
	fill_link(tmpl_find(row, "r-name"), href, r->name);
	free(href);
	fill_swatch(tmpl_find(row, "r-color"), sr->color);
	const struct site_exp *e = &s->exps[sr->exp];
	href = xasprintf("%sexperiments/%s.html", up, e->slug);
	fill_link(tmpl_find(row, "r-exp"), href, e->name);
	free(href);
	fill_status(tmpl_find(row, "r-status"), r->status);
	run_times(row, r);
	run_trend(s, row, sr, primary);
	xmlNodePtr td = tmpl_find(row, "r-param");
	for (size_t p = 0; td && p < np; p++) {
		const char *v = kvlist_get(&r->params, params[p].key);
		xmlNodePtr c = tmpl_clone(td);
		tmpl_set_text(c, v ? v : "—");
		if (v)
			tmpl_set_attr(c, "title", v);
	}
	tmpl_remove(td);
	td = tmpl_find(row, "r-metric");
	for (size_t m = 0; td && m < nm; m++)
		metric_cell(tmpl_clone(td), run_find_sum(r, metrics[m].key), metrics[m].key,
		            metrics[m].goal, s->opts->at);
	tmpl_remove(td);
}

/* The note under a runs table that shows only its first rows: how many
 * more there are, and links to the plain lists of every run (for readers
 * without the script, which shows them all). Removed when all are shown. */
static void runs_more_note(struct site *s, xmlNodePtr root, size_t n, size_t shown,
                           const char *up)
{
	xmlNodePtr p = tmpl_find(root, "runs-more");
	if (!p)
		return;
	if (shown >= n) {
		tmpl_remove(p);
		return;
	}
	char *text = xasprintf("The first %zu of %zu runs; %zu more are shown by the page's "
	                       "script. Without it, every run is in the plain list of all %zu "
	                       "runs: ",
	                       shown, n, n - shown, s->nruns);
	tmpl_set_text(p, text);
	free(text);
	size_t pages = (s->nruns + RUNS_LIST_PAGE - 1) / RUNS_LIST_PAGE;
	for (size_t k = 1; k <= pages; k++) {
		char label[64];
		if (pages == 1)
			snprintf(label, sizeof label, "all runs");
		else
			snprintf(label, sizeof label, "%s%zu", k == 1 ? "page " : "", k);
		char *href = xasprintf("%sall-runs-%zu.html", up, k);
		if (k > 1)
			xmlAddChild(p, xmlNewDocText(p->doc, BAD_CAST ", "));
		tmpl_set_attr(tmpl_add_elem(p, "a", label), "href", href);
		free(href);
	}
	xmlAddChild(p, xmlNewDocText(p->doc, BAD_CAST "."));
}

int fill_runs_table(struct site *s, xmlNodePtr root, const size_t *idx, size_t n, int depth,
                    const char *rows_rel, const char *primary)
{
	xmlNodePtr table = tmpl_find(root, "runs");
	if (!table)
		return 1;
	size_t np = 0, nm = 0;
	struct compare_param *params =
	        plan_varying_params(s->rr, idx, n, PLAN_MAX_PARAM_COLS, &np);
	struct plan_metric *metrics = plan_metric_keys(s->rr, idx, n, &s->opts->goals, primary,
	                                               PLAN_MAX_METRIC_KEYS, &nm);
	runs_table_heads(s, table, primary, params, np, metrics, nm);
	const char *up = depth ? "../" : "";
	size_t first = n < RUNS_FIRST_PAGE ? n : RUNS_FIRST_PAGE;
	xmlNodePtr rowtpl = tmpl_find(table, "run-row");
	for (size_t i = 0; rowtpl && i < first; i++)
		run_row(s, tmpl_clone(rowtpl), &s->runs[idx[i]], up, primary, params, np, metrics,
		        nm);
	tmpl_remove(rowtpl);
	runs_more_note(s, root, n, first, up);
	int ok = 1;
	xmlNodePtr data = tmpl_find(root, "runs-data");
	if (data && n > 0) {
		const char *base = strrchr(rows_rel, '/');
		tmpl_set_attr(data, "src", base ? base + 1 : rows_rel);
		ok = runs_rows_write(s, rows_rel, idx, n, depth, params, np, metrics, nm, primary);
	} else {
		tmpl_remove(data);
	}
	free(params);
	free(metrics);
	return ok;
}

/* Fills rows of a key/value table from list l (entries chosen by keep). */
size_t fill_kv(xmlNodePtr root, const char *row_marker, const char *kmark,
                      const char *vmark, const struct kvlist *l, bool (*keep)(const char *))
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

/* Removes the section below root marked marker when it is empty (n == 0). */
void keep_section(xmlNodePtr root, const char *marker, size_t n)
{
	if (n == 0)
		tmpl_remove(tmpl_find(root, marker));
}

/* Fills a "best run" element (marker) below root over runs idx[0..n) at
 * page depth, by the primary metric at the chosen point (--at): the primary
 * metric of their experiment when they are all one experiment's, else the
 * site's. Removes it when there is none. */
void fill_best(struct site *s, xmlNodePtr root, const char *marker, const size_t *idx,
                      size_t n, int depth)
{
	xmlNodePtr el = tmpl_find(root, marker);
	if (!el)
		return;
	const char *metric = s->primary;
	size_t same = 0;
	while (same < n && s->runs[idx[same]].exp == s->runs[idx[0]].exp)
		same++;
	if (n > 0 && same == n && s->runs[idx[0]].exp < s->plan.nexps)
		metric = s->plan.exp_primary[s->runs[idx[0]].exp];
	enum goal g = metric ? site_goal(s, metric) : GOAL_NONE;
	long b = metric ? plan_best_run(s->rr, idx, n, metric, g, s->opts->at) : -1;
	struct at_value v;
	if (b < 0 || !metric_at_run(s->runs[idx[b]].run, metric, g, s->opts->at, &v)) {
		tmpl_remove(el);
		return;
	}
	const struct site_run *sr = &s->runs[idx[b]];
	char *href = xasprintf("%sruns/%s.html", depth ? "../" : "", sr->slug);
	fill_link(tmpl_find(el, "best-run"), href, sr->run->name);
	free(href);
	tmpl_set_attr(el, "data-run-id", sr->run->id);
	tmpl_fill(el, "best-metric", metric);
	char *how = xasprintf("%s %s", g == GOAL_MIN ? "lowest" : "highest", metric_at_name(v.at));
	tmpl_fill(el, "best-goal", how);
	free(how);
	fill_number(el, "best-value", v.value);
	fill_step(el, "best-step", v.step);
}

/* Lists compare pages (those of experiment e, or all when e < 0) below
 * root at depth; removes the section when there are none. */
void fill_compare_list(struct site *s, xmlNodePtr root, long e, int depth)
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

