/* page_report.c — reports/<slug>.html: a researcher's Markdown (sanitised
 * as notes are) with a table of contents, the ```runsite blocks drawn as
 * numbered figures and tables that link to their runs, and {{ ... }}
 * references replaced by values. Which runs a block shows is decided in
 * report.c and select.c; a block that cannot be drawn becomes an error box
 * and a warning (path:line). */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runsite/chart.h"
#include "runsite/compare.h"
#include "runsite/embedded.h"
#include "runsite/select.h"
#include "site_internal.h"

struct rpage {
	struct site *s;
	struct site_report *rep;
	const struct run **rr; /* runs in display order */
	size_t n;
	size_t *sel;           /* scratch for selections: display indexes */
	int figures, tables;
	struct slugset stems, ids;
	char *dir;             /* site-relative folder of the charts */
	xmlNodePtr toc;
	xmlNodePtr toc_tpl;
};

size_t site_add_report(struct site *s, const char *path, const char *text, size_t len)
{
	GROW(s->reports, s->capreports, s->nreports + 1);
	struct site_report *r = &s->reports[s->nreports];
	memset(r, 0, sizeof *r);
	report_parse(text, len, path, &r->doc);
	const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	char *stem = xstrdup(base);
	if (str_ends(stem, ".md"))
		stem[strlen(stem) - 3] = '\0';
	char *slug = slug_from(stem, SLUG_MAX, "report");
	r->slug = slug_claim(&s->report_slugs, slug);
	free(slug);
	r->title = r->doc.title ? xstrdup(r->doc.title) : stem;
	if (r->doc.title)
		free(stem);
	return s->nreports++;
}

/* ---- problems ---- */

static void problem(struct rpage *p, xmlNodePtr parent, xmlNodePtr before, size_t line,
                    const char *what, int inline_box)
{
	p->s->report_problems++;
	diag_warn(p->rep->doc.path, line, "%s", what);
	xmlNodePtr box = xmlNewDocNode(parent->doc, NULL, BAD_CAST(inline_box ? "span" : "div"),
	                               NULL);
	tmpl_set_attr(box, "class", inline_box ? "report-error inline" : "report-error");
	tmpl_set_attr(box, "role", "alert");
	char *where = xasprintf("%s:%zu: ", p->rep->doc.path, line);
	tmpl_add_elem(box, "strong", where);
	free(where);
	xmlAddChild(box, xmlNewDocText(parent->doc, BAD_CAST what));
	if (before)
		xmlAddPrevSibling(before, box);
	else
		xmlAddChild(parent, box);
}

/* ---- links to runs ---- */

static void run_link(struct rpage *p, xmlNodePtr parent, size_t ri, const char *text)
{
	const struct site_run *sr = &p->s->runs[ri];
	xmlNodePtr a = tmpl_add_elem(parent, p->s->opts->report_inline ? "span" : "a",
	                             text ? text : sr->run->name);
	if (!p->s->opts->report_inline) {
		char *href = xasprintf("../runs/%s.html", sr->slug);
		tmpl_set_attr(a, "href", href);
		free(href);
	}
	tmpl_set_attr(a, "data-run-id", sr->run->id);
}

/* "Runs: a, b, c" with swatches, under a figure. */
static void runs_line(struct rpage *p, xmlNodePtr parent, const size_t *ri, size_t n)
{
	xmlNodePtr line = tmpl_add_elem(parent, "span", NULL);
	tmpl_set_attr(line, "class", "fig-runs");
	xmlAddChild(line, xmlNewDocText(parent->doc, BAD_CAST(n == 1 ? "Run: " : "Runs: ")));
	for (size_t i = 0; i < n; i++) {
		if (i)
			xmlAddChild(line, xmlNewDocText(parent->doc, BAD_CAST ", "));
		xmlNodePtr sw = tmpl_add_elem(line, "span", NULL);
		tmpl_set_attr(sw, "class", "swatch");
		fill_swatch(sw, p->s->runs[ri[i]].color);
		run_link(p, line, ri[i], NULL);
	}
}

/* A figure element numbered as a figure or a table; the caption's label
 * node is returned for the caller's text. */
static xmlNodePtr figure_open(struct rpage *p, xmlNodePtr parent, xmlNodePtr before, int table,
                              xmlNodePtr *caption)
{
	xmlNodePtr fig = xmlNewDocNode(parent->doc, NULL, BAD_CAST "figure", NULL);
	int no = table ? ++p->tables : ++p->figures;
	char id[32];
	snprintf(id, sizeof id, "%s-%d", table ? "table" : "fig", no);
	tmpl_set_attr(fig, "id", id);
	tmpl_set_attr(fig, "class", table ? "report-figure report-table" : "report-figure");
	xmlAddPrevSibling(before, fig);
	*caption = xmlNewDocNode(parent->doc, NULL, BAD_CAST "figcaption", NULL);
	char label[32];
	snprintf(label, sizeof label, "%s %d. ", table ? "Table" : "Figure", no);
	xmlNodePtr a = tmpl_add_elem(*caption, "a", label);
	char *href = xasprintf("#%s", id);
	tmpl_set_attr(a, "href", href);
	tmpl_set_attr(a, "class", "fig-no");
	free(href);
	return fig;
}

/* ---- charts ---- */

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* The file's bytes as a data: URL (report_inline), or NULL. */
static char *data_url(struct site *s, const char *rel, const char *mime)
{
	char *path = site_file_path(s, rel);
	struct buf in = BUF_INIT, out = BUF_INIT;
	int ok = read_file(path, &in, (size_t)64 << 20);
	free(path);
	if (!ok) {
		buf_free(&in);
		return NULL;
	}
	buf_printf(&out, "data:%s;base64,", mime);
	const unsigned char *d = (const unsigned char *)in.data;
	for (size_t i = 0; i < in.size; i += 3) {
		unsigned v = (unsigned)d[i] << 16;
		if (i + 1 < in.size)
			v |= (unsigned)d[i + 1] << 8;
		if (i + 2 < in.size)
			v |= d[i + 2];
		char q[4] = {b64[v >> 18 & 63], b64[v >> 12 & 63],
		             i + 1 < in.size ? b64[v >> 6 & 63] : '=', i + 2 < in.size ? b64[v & 63] : '='};
		buf_put(&out, q, 4);
	}
	buf_free(&in);
	return buf_detach(&out);
}

/* The chart images of refs into fig. */
static void chart_images(struct rpage *p, xmlNodePtr fig, const struct chart_ref *refs, size_t n)
{
	struct site *s = p->s;
	unsigned f = s->opts->chart_formats & (1u << CHART_SVG) ? CHART_SVG
	             : s->opts->chart_formats & (1u << CHART_PNG) ? CHART_PNG
	                                                          : CHART_PDF;
	xmlNodePtr grid = tmpl_add_elem(fig, "div", NULL);
	tmpl_set_attr(grid, "class", n > 1 ? "fig-charts multiples" : "fig-charts");
	for (size_t i = 0; i < n; i++) {
		char *rel = xasprintf("%s/%s.%s", p->dir, refs[i].stem, site_chart_ext[f]);
		char *src = s->opts->report_inline
		                    ? data_url(s, rel, f == CHART_SVG ? "image/svg+xml" : f == CHART_PNG ? "image/png" : "application/pdf")
		                    : xasprintf("%s/%s.%s", refs[i].dir, refs[i].stem, site_chart_ext[f]);
		xmlNodePtr holder = grid;
		if (!s->opts->report_inline) {
			holder = tmpl_add_elem(grid, "a", NULL);
			tmpl_set_attr(holder, "href", src);
		}
		if (f == CHART_PDF) {
			tmpl_set_text(holder, refs[i].key);
		} else {
			xmlNodePtr img = tmpl_add_elem(holder, "img", NULL);
			tmpl_set_attr(img, "src", src ? src : "");
			tmpl_set_attr(img, "alt", refs[i].alt ? refs[i].alt : refs[i].key);
			tmpl_set_attr(img, "width", "720");
			tmpl_set_attr(img, "height", "360");
		}
		if (refs[i].note)
			tmpl_set_attr(tmpl_add_elem(grid, "small", refs[i].note), "class", "note");
		free(src);
		free(rel);
	}
}

/* The metric keys of a list that no run of ri[0..n) has, as an error. */
static char *missing_metric(struct rpage *p, char **keys, size_t nk, const size_t *ri, size_t n)
{
	for (size_t k = 0; k < nk; k++) {
		int seen = 0;
		for (size_t i = 0; i < n && !seen; i++)
			seen = run_find_sum(p->s->runs[ri[i]].run, keys[k]) != NULL;
		if (!seen)
			return xasprintf("no run the block selects has a metric '%s'", keys[k]);
	}
	return NULL;
}

/* The runs a block selects, as site run indexes in p->sel; -1 with err. */
static long block_runs(struct rpage *p, const struct report_block *b, char *err, size_t errsz)
{
	const char *expr = kvlist_get(&b->opts, "runs");
	if (!expr)
		expr = p->rep->doc.runs;
	long k = report_select(expr, kvlist_get(&b->opts, "top"), p->rr, p->n, &p->s->opts->goals,
	                       p->s->primary, p->s->opts->at, p->sel, err, errsz);
	for (long i = 0; i < k; i++)
		p->sel[i] = p->s->order[p->sel[i]];
	return k;
}

/* A smoothing weight 0..0.999. */
static int parse_weight(const char *v, double *w)
{
	char *end;
	double x = strtod(v, &end);
	if (end == v || *end || !(x >= 0 && x <= 0.999))
		return 0;
	*w = x;
	return 1;
}

static char *block_chart(struct rpage *p, const struct report_block *b, xmlNodePtr mark)
{
	char err[512];
	long n = block_runs(p, b, err, sizeof err);
	if (n < 0)
		return xstrdup(err);
	size_t nk = 0;
	char **keys = report_list(b->what, &nk);
	char *why = missing_metric(p, keys, nk, p->sel, (size_t)n);
	struct site_opts o = *p->s->opts;
	const char *v;
	if (!why && (v = kvlist_get(&b->opts, "x"))) {
		if (strcmp(v, "step") == 0)
			o.chart.x_kind = CHART_X_STEP;
		else if (strcmp(v, "time") == 0)
			o.chart.x_kind = CHART_X_TIME;
		else if (strcmp(v, "relative") == 0)
			o.chart.x_kind = CHART_X_RELATIVE;
		else
			why = xasprintf("x: takes step, time or relative, not '%s'", v);
	}
	if (!why && (v = kvlist_get(&b->opts, "smoothing")) &&
	    !parse_weight(v, &o.chart.smoothing))
		why = xasprintf("smoothing: takes a number from 0 to 0.999, not '%s'", v);
	if (!why && (v = kvlist_get(&b->opts, "log-y"))) {
		o.log_y_pattern = NULL;
		if (strcmp(v, "auto") == 0)
			o.chart.log_y = -1;
		else if (strcmp(v, "on") == 0)
			o.chart.log_y = 1;
		else if (strcmp(v, "off") == 0)
			o.chart.log_y = 0;
		else
			why = xasprintf("log-y: takes auto, on or off, not '%s'", v);
	}
	if (why) {
		report_list_free(keys, nk);
		return why;
	}
	/* The block's own drawing options, on a copy of the site. The points
	 * kept for the overlays in the spill files have the site's x: with
	 * another x, every line is drawn from its decimated copy. */
	struct site tmp = *p->s;
	tmp.opts = &o;
	struct site_run *runs_copy = NULL;
	if (o.chart.x_kind != p->s->opts->chart.x_kind) {
		runs_copy = xreallocarray(NULL, p->s->nruns ? p->s->nruns : 1, sizeof *runs_copy);
		memcpy(runs_copy, p->s->runs, p->s->nruns * sizeof *runs_copy);
		for (size_t i = 0; i < p->s->nruns; i++)
			runs_copy[i].spill_n = NULL;
		tmp.runs = runs_copy;
	}
	struct plan_unit *units = xcalloc((size_t)n, sizeof *units);
	struct plan_metric *pm = xcalloc(nk ? nk : 1, sizeof *pm);
	for (long i = 0; i < n; i++)
		units[i] = (struct plan_unit){p->sel[i], NULL, NULL};
	for (size_t k = 0; k < nk; k++)
		pm[k] = (struct plan_metric){keys[k], 0, site_goal(p->s, keys[k])};
	size_t nc = 0;
	int ok = 1;
	struct chart_ref *refs = overlay_charts(&tmp, units, (size_t)n, pm, nk, p->dir,
	                                        p->rep->slug, &p->stems, &nc, &ok);
	p->s->failed |= tmp.failed;
	if (!ok)
		why = xstrdup("a chart could not be written");
	else if (nc == 0)
		why = xasprintf("nothing to draw: the runs selected log '%s' at one step at most "
		                "(a table shows single values)", b->what);
	if (!why) {
		xmlNodePtr cap;
		xmlNodePtr fig = figure_open(p, mark->parent, mark, 0, &cap);
		chart_images(p, fig, refs, nc);
		xmlAddChild(fig, cap);
		const char *c = kvlist_get(&b->opts, "caption");
		char *text = c ? xstrdup(c)
		               : xasprintf("%s of %ld run%s", b->what, n, n == 1 ? "" : "s");
		xmlAddChild(cap, xmlNewDocText(cap->doc, BAD_CAST text));
		free(text);
		tmpl_add_elem(cap, "br", NULL);
		runs_line(p, cap, p->sel, (size_t)n);
	}
	free_refs(refs, nc);
	free(runs_copy);
	free(units);
	free(pm);
	report_list_free(keys, nk);
	return why;
}

/* ---- tables ---- */

enum col_kind { COL_NAME, COL_PARAM, COL_METRIC, COL_DURATION, COL_STATUS, COL_START, COL_EXP };

struct col {
	enum col_kind kind;
	char *key;
	enum goal goal;
	enum compare_mode mode;
};

static int parse_mode(const char *w, enum compare_mode *m)
{
	static const char *const names[] = {"last", "best", "min", "max"};
	for (int i = 0; i < 4; i++)
		if (strcmp(w, names[i]) == 0) {
			*m = (enum compare_mode)i;
			return 1;
		}
	return 0;
}

/* The columns of a table: description into cols; NULL or an error. */
static char *table_cols(struct rpage *p, const char *what, const size_t *ri, size_t n,
                        struct col **cols, size_t *nc)
{
	size_t ni = 0, cap = 0;
	char **items = report_list(what, &ni);
	char *why = NULL;
	*cols = NULL;
	*nc = 0;
	GROW(*cols, cap, 1);
	(*cols)[(*nc)++] = (struct col){COL_NAME, NULL, GOAL_NONE, CMP_LAST};
	for (size_t i = 0; i < ni && !why; i++) {
		char *it = items[i];
		struct col c = {COL_METRIC, NULL, GOAL_NONE, CMP_LAST};
		if (strcmp(it, "params") == 0) {
			size_t np = 0;
			struct compare_param *cp =
			        plan_varying_params(p->s->rr, ri, n, PLAN_MAX_PARAM_COLS, &np);
			for (size_t k = 0; k < np; k++) {
				GROW(*cols, cap, *nc + 1);
				(*cols)[(*nc)++] = (struct col){COL_PARAM, xstrdup(cp[k].key), GOAL_NONE,
				                                CMP_LAST};
			}
			free(cp);
			continue;
		}
		if (strcmp(it, "duration") == 0)
			c.kind = COL_DURATION;
		else if (strcmp(it, "status") == 0)
			c.kind = COL_STATUS;
		else if (strcmp(it, "start") == 0)
			c.kind = COL_START;
		else if (strcmp(it, "experiment") == 0)
			c.kind = COL_EXP;
		else {
			char *key = xstrdup(strncmp(it, "param ", 6) == 0 ? it + 6 : it);
			int forced_param = strncmp(it, "param ", 6) == 0;
			char *sp = strrchr(key, ' ');
			enum compare_mode m;
			int has_mode = !forced_param && sp && parse_mode(sp + 1, &m);
			if (has_mode)
				*sp = '\0';
			int metric = 0, param = 0;
			for (size_t r = 0; r < n; r++) {
				metric |= run_find_sum(p->s->runs[ri[r]].run, key) != NULL;
				param |= kvlist_get(&p->s->runs[ri[r]].run->params, key) != NULL;
			}
			if (!forced_param && metric) {
				c.kind = COL_METRIC;
				c.goal = site_goal(p->s, key);
				c.mode = has_mode ? m : compare_mode_at(c.goal, p->s->opts->at);
				if (c.mode == CMP_BEST && c.goal == GOAL_NONE)
					why = xasprintf("'%s' has no direction, so no best value "
					                "(--goal %s:min or :max)", key, key);
			} else if (param && !has_mode) {
				c.kind = COL_PARAM;
			} else {
				why = xasprintf("no run the block selects has a %s '%s'",
				                forced_param ? "param" : "metric or param", key);
			}
			c.key = key;
		}
		GROW(*cols, cap, *nc + 1);
		(*cols)[(*nc)++] = c;
	}
	report_list_free(items, ni);
	return why;
}

/* One row: a run, or a seed group of runs (members into ri). */
struct trow {
	size_t run;             /* the first run */
	const size_t *members;  /* site run indexes */
	size_t n;
	double sortv;
};

static double col_value(struct rpage *p, const struct col *c, const struct trow *r, double *sd,
                        size_t *cnt)
{
	double sum = 0, sq = 0;
	size_t k = 0;
	for (size_t i = 0; i < r->n; i++) {
		double v;
		int64_t step;
		const struct series_sum *se = run_find_sum(p->s->runs[r->members[i]].run, c->key);
		if (se && compare_value(se, c->goal, c->mode, &v, &step) && isfinite(v)) {
			sum += v;
			k++;
		}
	}
	*cnt = k;
	if (!k)
		return NAN;
	double mean = sum / (double)k;
	for (size_t i = 0; i < r->n; i++) {
		double v;
		int64_t step;
		const struct series_sum *se = run_find_sum(p->s->runs[r->members[i]].run, c->key);
		if (se && compare_value(se, c->goal, c->mode, &v, &step) && isfinite(v))
			sq += (v - mean) * (v - mean);
	}
	*sd = k > 1 ? sqrt(sq / (double)(k - 1)) : 0;
	return mean;
}

static int sort_desc; /* qsort has no context argument */

static int cmp_trow(const void *a, const void *b)
{
	const struct trow *x = a, *y = b;
	int nx = isnan(x->sortv), ny = isnan(y->sortv);
	if (nx || ny)
		return nx - ny;
	if (x->sortv != y->sortv)
		return (x->sortv < y->sortv) == !sort_desc ? -1 : 1;
	return x->run < y->run ? -1 : x->run > y->run;
}

static void cell_number(xmlNodePtr td, double v, double sd, size_t cnt, int group)
{
	if (isnan(v)) {
		tmpl_set_text(td, "—");
		return;
	}
	set_number(td, v);
	if (group && cnt > 1) {
		char a[64], b2[64];
		chart_format_number(a, sizeof a, v);
		chart_format_number(b2, sizeof b2, sd);
		char *t = xasprintf("%s ± %s", a, b2);
		tmpl_set_text(td, t);
		free(t);
	}
}

/* The table's rows: seed groups (when grouped) and the runs in none, in
 * selection order. Returns their count; the groups and their members' site
 * indexes are the caller's to free. */
static size_t table_rows(struct rpage *p, long n, int grouped, struct trow *rows,
                         struct compare_group **groups_out, size_t *ng_out, size_t ***gm_out)
{
	size_t nr = 0, ng = 0;
	struct compare_group *groups = NULL;
	size_t **gm = NULL;
	long *gi = xcalloc((size_t)n, sizeof *gi);
	for (long i = 0; i < n; i++)
		gi[i] = -1;
	if (grouped) {
		const struct run **rr = run_ptrs(p->s, p->sel, (size_t)n);
		ng = compare_seed_groups(rr, (size_t)n, p->s->opts->group_by,
		                         p->s->opts->ngroup_by, &groups);
		free(rr);
		gm = xcalloc(ng ? ng : 1, sizeof *gm);
		for (size_t g = 0; g < ng; g++) {
			gm[g] = xcalloc(groups[g].n, sizeof **gm);
			for (size_t m = 0; m < groups[g].n; m++) {
				gm[g][m] = p->sel[groups[g].members[m]];
				gi[groups[g].members[m]] = (long)g;
			}
		}
	}
	for (long i = 0; i < n; i++) {
		if (gi[i] < 0)
			rows[nr++] = (struct trow){p->sel[i], &p->sel[i], 1, NAN};
		else if (groups[gi[i]].members[0] == (size_t)i)
			rows[nr++] = (struct trow){p->sel[i], gm[gi[i]], groups[gi[i]].n, NAN};
	}
	free(gi);
	*groups_out = groups;
	*ng_out = ng;
	*gm_out = gm;
	return nr;
}

/* Sorts the rows by the column "sort" names ("KEY [asc|desc]"; by default
 * a metric's goal direction). Returns why it cannot, or NULL. */
static char *table_sort(struct rpage *p, const char *sort, const struct col *cols, size_t nc,
                        struct trow *rows, size_t nr)
{
	char *why = NULL;
	char *key = xstrdup(sort);
	sort_desc = -1;
	char *sp = strrchr(key, ' ');
	if (sp && (strcmp(sp + 1, "asc") == 0 || strcmp(sp + 1, "desc") == 0)) {
		sort_desc = strcmp(sp + 1, "desc") == 0;
		*sp = '\0';
	}
	size_t c = 0;
	for (size_t k = 1; k < nc && !c; k++)
		if (cols[k].key && strcmp(cols[k].key, key) == 0)
			c = k;
	if (!c) {
		why = xasprintf("sort: '%s' is not a column of the table", key);
	} else {
		for (size_t r = 0; r < nr; r++) {
			double sd;
			size_t cnt;
			const struct col *cc = &cols[c];
			if (cc->kind == COL_METRIC) {
				rows[r].sortv = col_value(p, cc, &rows[r], &sd, &cnt);
			} else {
				const char *v = kvlist_get(&p->s->runs[rows[r].run].run->params, cc->key);
				char *end;
				rows[r].sortv = v ? strtod(v, &end) : NAN;
				if (v && *end)
					rows[r].sortv = NAN;
			}
		}
		if (sort_desc < 0)
			sort_desc = cols[c].kind == COL_METRIC && cols[c].goal == GOAL_MAX;
		qsort(rows, nr, sizeof *rows, cmp_trow);
	}
	free(key);
	return why;
}

/* The table's heading row. */
static void table_head(xmlNodePtr table, const struct col *cols, size_t nc, int grouped)
{
	xmlNodePtr tr = tmpl_add_elem(tmpl_add_elem(table, "thead", NULL), "tr", NULL);
	for (size_t k = 0; k < nc; k++) {
		static const char *const heads[] = {"Run", NULL, NULL, "Duration", "Status",
		                                    "Started (UTC)", "Experiment"};
		xmlNodePtr th = tmpl_add_elem(tr, "th", NULL);
		if (cols[k].kind == COL_METRIC) {
			metric_head(th, cols[k].key, cols[k].goal, cols[k].mode,
			            grouped ? "mean ± std" : NULL);
			tmpl_set_attr(th, "data-mode", NULL);
			tmpl_set_attr(th, "class", "num metric");
		} else {
			tmpl_set_text(th, cols[k].kind == COL_PARAM ? cols[k].key
			                  : grouped && k == 0 ? "Run or group"
			                                      : heads[cols[k].kind]);
			if (cols[k].kind == COL_PARAM)
				tmpl_set_attr(th, "class", "param");
		}
	}
}

/* The first cell of a table row: the run, or a seed group's name and runs. */
static void name_cell(struct rpage *p, xmlNodePtr td, const struct trow *row)
{
	tmpl_set_attr(td, "class", "name");
	xmlNodePtr sw = tmpl_add_elem(td, "span", NULL);
	tmpl_set_attr(sw, "class", "swatch");
	fill_swatch(sw, p->s->runs[row->run].color);
	if (row->n == 1) {
		run_link(p, td, row->members[0], NULL);
		return;
	}
	/* A group: its name, then its runs. */
	size_t *pos = xcalloc(row->n, sizeof *pos);
	for (size_t m = 0; m < row->n; m++)
		pos[m] = m;
	struct compare_group cg = {pos, row->n};
	struct plan_unit u = {row->run, &cg, row->members};
	char *gname = group_name(p->s, &u);
	free(pos);
	tmpl_add_elem(td, "span", gname);
	free(gname);
	tmpl_add_elem(td, "br", NULL);
	xmlNodePtr sm = tmpl_add_elem(td, "small", NULL);
	tmpl_set_attr(sm, "class", "members");
	for (size_t m = 0; m < row->n; m++) {
		if (m)
			xmlAddChild(sm, xmlNewDocText(td->doc, BAD_CAST ", "));
		run_link(p, sm, row->members[m], NULL);
	}
}

/* One cell of a table row, by its column's kind. */
static void table_cell(struct rpage *p, xmlNodePtr td, const struct col *col, const struct trow *row)
{
	const struct run *run = p->s->runs[row->run].run;
	char b2[64];
	switch (col->kind) {
	case COL_NAME:
		name_cell(p, td, row);
		break;
	case COL_PARAM: {
		const char *v = kvlist_get(&run->params, col->key);
		tmpl_set_text(td, v ? v : "—");
		tmpl_set_attr(td, "class", "param");
		break;
	}
	case COL_METRIC: {
		double sd;
		size_t cnt;
		double v = col_value(p, col, row, &sd, &cnt);
		tmpl_set_attr(td, "class", "num");
		cell_number(td, v, sd, cnt, row->n > 1);
		break;
	}
	case COL_DURATION:
		fmt_duration(b2, sizeof b2, run_duration_ms(run));
		tmpl_set_text(td, b2);
		tmpl_set_attr(td, "class", "num");
		break;
	case COL_STATUS: {
		xmlNodePtr bd = tmpl_add_elem(td, "span", NULL);
		tmpl_set_attr(bd, "class", "badge");
		fill_status(bd, run->status);
		break;
	}
	case COL_START:
		fmt_time_utc(b2, sizeof b2, run->start_ms);
		tmpl_set_text(td, b2);
		tmpl_set_attr(td, "class", "num");
		break;
	case COL_EXP:
		tmpl_set_text(td, p->s->exps[p->s->runs[row->run].exp].name);
		break;
	}
}

static char *block_table(struct rpage *p, const struct report_block *b, xmlNodePtr mark)
{
	char err[512];
	long n = block_runs(p, b, err, sizeof err);
	if (n < 0)
		return xstrdup(err);
	struct col *cols;
	size_t nc;
	char *why = table_cols(p, b->what, p->sel, (size_t)n, &cols, &nc);
	const char *group = kvlist_get(&b->opts, "group");
	if (!why && group && strcmp(group, "seed") != 0 && strcmp(group, "none") != 0)
		why = xasprintf("group: takes seed or none, not '%s'", group);
	int grouped = group && strcmp(group, "seed") == 0;
	/* Rows: seed groups and the runs in none, in selection order. */
	struct trow *rows = xcalloc((size_t)n, sizeof *rows);
	size_t nr = 0, ng = 0;
	struct compare_group *groups = NULL;
	size_t **gm = NULL;
	if (!why)
		nr = table_rows(p, n, grouped, rows, &groups, &ng, &gm);
	const char *sort = kvlist_get(&b->opts, "sort");
	if (!why && sort)
		why = table_sort(p, sort, cols, nc, rows, nr);
	if (!why) {
		xmlNodePtr cap;
		xmlNodePtr fig = figure_open(p, mark->parent, mark, 1, &cap);
		xmlAddChild(fig, cap);
		const char *c = kvlist_get(&b->opts, "caption");
		char *text = c ? xstrdup(c)
		               : xasprintf("%s%s", b->what, grouped ? " (seed groups: mean ± std)" : "");
		xmlAddChild(cap, xmlNewDocText(cap->doc, BAD_CAST text));
		free(text);
		xmlNodePtr wrap = tmpl_add_elem(fig, "div", NULL);
		tmpl_set_attr(wrap, "class", "table-wrap");
		xmlNodePtr table = tmpl_add_elem(wrap, "table", NULL);
		tmpl_set_attr(table, "class", "data sortable");
		table_head(table, cols, nc, grouped);
		xmlNodePtr tbody = tmpl_add_elem(table, "tbody", NULL);
		for (size_t r = 0; r < nr; r++) {
			const struct trow *row = &rows[r];
			xmlNodePtr tr = tmpl_add_elem(tbody, "tr", NULL);
			for (size_t k = 0; k < nc; k++)
				table_cell(p, tmpl_add_elem(tr, "td", NULL), &cols[k], row);
		}
	}
	for (size_t g = 0; g < ng; g++)
		free(gm[g]);
	free(gm);
	compare_groups_free(groups, ng);
	free(rows);
	for (size_t k = 0; k < nc; k++)
		free(cols[k].key);
	free(cols);
	return why;
}

/* ---- compare ---- */

static char *block_compare(struct rpage *p, const struct report_block *b, xmlNodePtr mark)
{
	char err[512];
	char **sides = NULL;
	size_t ns = 0, cap = 0;
	const char *t = b->what;
	for (;;) {
		const char *vs = strstr(t, " vs ");
		size_t l = vs ? (size_t)(vs - t) : strlen(t);
		GROW(sides, cap, ns + 1);
		sides[ns++] = xstrndup(t, l);
		if (!vs)
			break;
		t = vs + 4;
	}
	char *why = NULL;
	size_t *ri = xcalloc(ns, sizeof *ri);
	if (ns < 2)
		why = xasprintf("compare: takes RUN vs RUN, not '%s'", b->what);
	for (size_t i = 0; i < ns && !why; i++) {
		long k = report_one_run(sides[i], p->rr, p->n, &p->s->opts->goals, p->s->primary,
		                        p->s->opts->at, err, sizeof err);
		if (k < 0)
			why = xstrdup(err);
		else
			ri[i] = p->s->order[k];
	}
	if (!why) {
		xmlNodePtr capn;
		xmlNodePtr fig = figure_open(p, mark->parent, mark, 1, &capn);
		xmlAddChild(fig, capn);
		const char *c = kvlist_get(&b->opts, "caption");
		xmlAddChild(capn, xmlNewDocText(capn->doc, BAD_CAST(c ? c : b->what)));
		tmpl_add_elem(capn, "br", NULL);
		runs_line(p, capn, ri, ns);
		const struct run **rr = run_ptrs(p->s, ri, ns);
		xmlNodePtr wrap = tmpl_add_elem(fig, "div", NULL);
		tmpl_set_attr(wrap, "class", "table-wrap");
		xmlNodePtr table = tmpl_add_elem(wrap, "table", NULL);
		tmpl_set_attr(table, "class", "data compare");
		xmlNodePtr tr = tmpl_add_elem(tmpl_add_elem(table, "thead", NULL), "tr", NULL);
		tmpl_set_attr(tmpl_add_elem(tr, "th", "param / metric"), "scope", "col");
		for (size_t i = 0; i < ns; i++) {
			xmlNodePtr th = tmpl_add_elem(tr, "th", NULL);
			run_link(p, th, ri[i], NULL);
			if (i)
				tmpl_set_attr(tmpl_add_elem(tr, "th", "Δ"), "class", "num");
		}
		xmlNodePtr tbody = tmpl_add_elem(table, "tbody", NULL);
		/* The params that differ, then every metric with the deltas. */
		struct compare_param *cp = NULL;
		size_t np = compare_varying_params(rr, ns, &cp);
		for (size_t k = 0; k < np; k++) {
			tr = tmpl_add_elem(tbody, "tr", NULL);
			tmpl_set_attr(tr, "class", "param-row");
			tmpl_add_elem(tr, "th", cp[k].key);
			for (size_t i = 0; i < ns; i++) {
				const char *v = kvlist_get(&rr[i]->params, cp[k].key);
				tmpl_add_elem(tr, "td", v ? v : "—");
				if (i)
					tmpl_add_elem(tr, "td", "");
			}
		}
		free(cp);
		size_t nm = 0;
		const char **mk = compare_key_union(rr, ns, true, &nm);
		for (size_t k = 0; k < nm; k++) {
			enum goal g = site_goal(p->s, mk[k]);
			tr = tmpl_add_elem(tbody, "tr", NULL);
			xmlNodePtr th = tmpl_add_elem(tr, "th", NULL);
			metric_head(th, mk[k], g, compare_mode_at(g, p->s->opts->at), NULL);
			double ref = NAN;
			for (size_t i = 0; i < ns; i++) {
				double v = NAN;
				if (!site_value_at(p->s, rr[i], mk[k], g, &v))
					v = NAN;
				xmlNodePtr td = tmpl_add_elem(tr, "td", NULL);
				tmpl_set_attr(td, "class", "num");
				cell_number(td, v, 0, 1, 0);
				if (i == 0) {
					ref = v;
					continue;
				}
				xmlNodePtr d = tmpl_add_elem(tr, "td", NULL);
				double delta = v - ref;
				if (isnan(delta)) {
					tmpl_set_text(d, "—");
					continue;
				}
				char num[64];
				chart_format_number(num, sizeof num, delta);
				char *txt = xasprintf("%s%s", delta > 0 ? "+" : "", num);
				tmpl_set_text(d, txt);
				free(txt);
				tmpl_set_attr(d, "class", g == GOAL_NONE || delta == 0 ? "num delta"
				                          : goal_better(g, v, ref)   ? "num delta better"
				                                                     : "num delta worse");
			}
		}
		free(mk);
		free(rr);
	}
	free(ri);
	for (size_t i = 0; i < ns; i++)
		free(sides[i]);
	free(sides);
	return why;
}

/* ---- sweep ---- */

static char *block_sweep(struct rpage *p, const struct report_block *b, xmlNodePtr mark)
{
	const char *arrow = strstr(b->what, "→");
	size_t al = 3;
	if (!arrow) {
		arrow = strstr(b->what, "->");
		al = 2;
	}
	if (!arrow)
		return xasprintf("sweep: takes PARAM, PARAM → METRIC, not '%s'", b->what);
	char err[512];
	long n = block_runs(p, b, err, sizeof err);
	if (n < 0)
		return xstrdup(err);
	char *plist = xstrndup(b->what, (size_t)(arrow - b->what));
	size_t np = 0;
	char **params = report_list(plist, &np);
	free(plist);
	char *metric = xstrdup(arrow + al);
	char *m = metric;
	while (*m == ' ')
		m++;
	str_rstrip(m);
	char *why = NULL;
	if (np == 0 || !*m)
		why = xasprintf("sweep: takes PARAM, PARAM → METRIC, not '%s'", b->what);
	for (size_t k = 0; k < np && !why; k++) {
		int seen = 0;
		for (long i = 0; i < n && !seen; i++)
			seen = kvlist_get(&p->s->runs[p->sel[i]].run->params, params[k]) != NULL;
		if (!seen)
			why = xasprintf("no run the block selects has a param '%s'", params[k]);
	}
	if (!why)
		why = missing_metric(p, &m, 1, p->sel, (size_t)n);
	/* The figure names the runs it draws: those with a value of the metric. */
	if (!why) {
		enum goal g = site_goal(p->s, m);
		long k = 0;
		for (long i = 0; i < n; i++) {
			double v;
			if (site_value_at(p->s, p->s->runs[p->sel[i]].run, m, g, &v) && isfinite(v))
				p->sel[k++] = p->sel[i];
		}
		n = k;
	}
	if (!why && n < 2)
		why = xasprintf("a sweep needs two runs or more; the block selects %ld", n);
	size_t nc = 0;
	int ok = 1;
	struct chart_ref *refs = NULL;
	if (!why) {
		refs = param_sweep_charts(p->s, p->sel, (size_t)n, (const char *const *)params, np, m,
		                          p->dir, p->rep->slug, &p->stems, &nc, &ok);
		if (!ok)
			why = xstrdup("a chart could not be written");
		else if (nc == 0)
			why = xasprintf("nothing to draw: no run the block selects has a value of '%s'",
			                m);
	}
	if (!why) {
		xmlNodePtr cap;
		xmlNodePtr fig = figure_open(p, mark->parent, mark, 0, &cap);
		chart_images(p, fig, refs, nc);
		xmlAddChild(fig, cap);
		const char *c = kvlist_get(&b->opts, "caption");
		struct buf pt = BUF_INIT;
		for (size_t k = 0; k < np; k++)
			buf_printf(&pt, "%s%s", k ? ", " : "", params[k]);
		char *text = c ? xstrdup(c)
		               : xasprintf("%s against %s over %ld runs", m, buf_cstr(&pt), n);
		buf_free(&pt);
		xmlAddChild(cap, xmlNewDocText(cap->doc, BAD_CAST text));
		free(text);
		tmpl_add_elem(cap, "br", NULL);
		runs_line(p, cap, p->sel, (size_t)n);
	}
	for (size_t i = 0; i < nc; i++)
		free((void *)refs[i].key);
	free_refs(refs, nc);
	report_list_free(params, np);
	free(metric);
	return why;
}

/* ---- inline references ---- */

/* The value a reference stands for, as a node appended to parent; NULL
 * (and err) when it names what is not there. */
static int ref_node(struct rpage *p, const struct report_ref *r, xmlNodePtr parent, char *err,
                    size_t errsz)
{
	struct site *s = p->s;
	if (r->error) {
		snprintf(err, errsz, "%s", r->error);
		return 0;
	}
	if (r->group) {
		long k = report_group_runs(r->sel, p->rr, p->n, &s->opts->goals, s->primary,
		                           s->opts->at, s->opts->group_by, s->opts->ngroup_by, p->sel,
		                           err, errsz);
		if (k < 0)
			return 0;
		enum goal g = site_goal(s, r->key);
		enum compare_mode m = compare_mode_at(g, s->opts->at);
		double sum = 0, sq = 0;
		size_t cnt = 0;
		for (long i = 0; i < k; i++) {
			double v;
			if (site_value_at(s, p->rr[p->sel[i]], r->key, g, &v) && isfinite(v)) {
				sum += v;
				cnt++;
			}
		}
		if (!cnt) {
			snprintf(err, errsz, "no run of group '%s' has a value of '%s'", r->sel, r->key);
			return 0;
		}
		double mean = sum / (double)cnt;
		for (long i = 0; i < k; i++) {
			double v;
			if (site_value_at(s, p->rr[p->sel[i]], r->key, g, &v) && isfinite(v))
				sq += (v - mean) * (v - mean);
		}
		double sd = cnt > 1 ? sqrt(sq / (double)(cnt - 1)) : 0;
		char a[64], b[64];
		chart_format_number(a, sizeof a, mean);
		chart_format_number(b, sizeof b, sd);
		const char *mode = r->mode ? r->mode : "mean±std";
		char *text = strcmp(mode, "mean") == 0  ? xstrdup(a)
		             : strcmp(mode, "std") == 0 ? xstrdup(b)
		             : strcmp(mode, "n") == 0   ? xasprintf("%zu", cnt)
		                                        : xasprintf("%s ± %s", a, b);
		if (strcmp(mode, "mean±std") != 0 && strcmp(mode, "mean") != 0 &&
		    strcmp(mode, "std") != 0 && strcmp(mode, "n") != 0) {
			free(text);
			snprintf(err, errsz, "a group takes mean±std, mean, std or n, not '%s'", mode);
			return 0;
		}
		xmlNodePtr span = tmpl_add_elem(parent, "span", text);
		tmpl_set_attr(span, "class", "ref num");
		char *title = xasprintf("%s %s over %zu runs of %s (%s each)", r->key, mode, cnt, r->sel,
		                        compare_mode_name(m));
		tmpl_set_attr(span, "title", title);
		free(title);
		free(text);
		return 1;
	}
	long k = report_one_run(r->sel, p->rr, p->n, &s->opts->goals, s->primary, s->opts->at,
	                        err, errsz);
	if (k < 0)
		return 0;
	size_t ri = s->order[k];
	const struct run *run = s->runs[ri].run;
	char *text = NULL, *title = NULL;
	if (r->param) {
		const char *v = kvlist_get(&run->params, r->key);
		if (!v) {
			snprintf(err, errsz, "run %s has no param '%s'", run->name, r->key);
			return 0;
		}
		text = xstrdup(v);
		title = xasprintf("%s: param %s", run->name, r->key);
	} else {
		const struct series_sum *se = run_find_sum(run, r->key);
		if (!se) {
			snprintf(err, errsz, "run %s has no metric '%s'", run->name, r->key);
			return 0;
		}
		enum goal g = site_goal(s, r->key);
		enum compare_mode m = compare_mode_at(g, s->opts->at);
		if (r->mode && !parse_mode(r->mode, &m)) {
			snprintf(err, errsz, "a run's metric takes best, last, min or max, not '%s'",
			         r->mode);
			return 0;
		}
		double v;
		int64_t step;
		if (!compare_value(se, g, m, &v, &step)) {
			snprintf(err, errsz, "run %s has no %s value of '%s'%s", run->name,
			         compare_mode_name(m), r->key,
			         m == CMP_BEST && g == GOAL_NONE ? " (the metric has no direction)" : "");
			return 0;
		}
		char shown[64], exact[40];
		chart_format_number(shown, sizeof shown, v);
		fmt_double(exact, sizeof exact, v);
		text = xstrdup(shown);
		title = xasprintf("%s: %s %s = %s at step %" PRId64, run->name, r->key,
		                  compare_mode_name(m), exact, step);
	}
	xmlNodePtr a = tmpl_add_elem(parent, s->opts->report_inline ? "span" : "a", text);
	if (!s->opts->report_inline) {
		char *href = xasprintf("../runs/%s.html", s->runs[ri].slug);
		tmpl_set_attr(a, "href", href);
		free(href);
	}
	tmpl_set_attr(a, "class", "ref");
	tmpl_set_attr(a, "title", title);
	tmpl_set_attr(a, "data-run-id", run->id);
	free(text);
	free(title);
	return 1;
}

static int in_code(xmlNodePtr n)
{
	for (xmlNodePtr a = n->parent; a; a = a->parent)
		if (a->type == XML_ELEMENT_NODE && (strcmp((const char *)a->name, "code") == 0 ||
		                                    strcmp((const char *)a->name, "pre") == 0))
			return 1;
	return 0;
}

/* Replaces the reference marks in text node t. */
static void refs_in_text(struct rpage *p, xmlNodePtr t)
{
	xmlChar *content = xmlNodeGetContent(t);
	const char *c = (const char *)content;
	if (!strstr(c, REPORT_REF_MARK)) {
		xmlFree(content);
		return;
	}
	int code = in_code(t);
	/* New nodes go into a holder, then replace t in order. */
	xmlNodePtr holder = xmlNewDocNode(t->doc, NULL, BAD_CAST "span", NULL);
	struct buf text = BUF_INIT;
	const char *q = c;
	while (*q) {
		const char *m = strstr(q, REPORT_REF_MARK);
		if (!m) {
			buf_puts(&text, q);
			break;
		}
		buf_put(&text, q, (size_t)(m - q));
		char *end;
		unsigned long i = strtoul(m + strlen(REPORT_REF_MARK), &end, 10);
		if (*end != 'X' || i >= p->rep->doc.nrefs) {
			buf_put(&text, m, strlen(REPORT_REF_MARK));
			q = m + strlen(REPORT_REF_MARK);
			continue;
		}
		const struct report_ref *r = &p->rep->doc.refs[i];
		q = end + 1;
		if (code) {
			buf_printf(&text, "{{ %s }}", r->text);
			continue;
		}
		if (text.size)
			xmlAddChild(holder, xmlNewDocText(t->doc, BAD_CAST buf_cstr(&text)));
		buf_reset(&text);
		char err[512];
		if (!ref_node(p, r, holder, err, sizeof err)) {
			char *what = xasprintf("{{ %s }}: %s", r->text, err);
			problem(p, holder, NULL, r->line, what, 1);
			free(what);
		}
	}
	if (text.size)
		xmlAddChild(holder, xmlNewDocText(t->doc, BAD_CAST buf_cstr(&text)));
	buf_free(&text);
	xmlFree(content);
	/* The holder takes t's place, then gives up its children (adding a
	 * text node next to t would merge it into t). */
	xmlReplaceNode(t, holder);
	xmlFreeNode(t);
	while (holder->children) {
		xmlNodePtr ch = holder->children;
		xmlUnlinkNode(ch);
		xmlAddPrevSibling(holder, ch);
	}
	xmlUnlinkNode(holder);
	xmlFreeNode(holder);
}

/* ---- the walk ---- */

/* The block index a paragraph stands for, or -1. */
static long block_mark(xmlNodePtr n)
{
	if (n->type != XML_ELEMENT_NODE || strcmp((const char *)n->name, "p") != 0)
		return -1;
	xmlChar *c = xmlNodeGetContent(n);
	long i = -1;
	const char *t = (const char *)c;
	if (t && strncmp(t, REPORT_BLOCK_MARK, strlen(REPORT_BLOCK_MARK)) == 0) {
		char *end;
		unsigned long v = strtoul(t + strlen(REPORT_BLOCK_MARK), &end, 10);
		if (end[0] == 'X' && end[1] == '\0')
			i = (long)v;
	}
	xmlFree(c);
	return i;
}

static void heading(struct rpage *p, xmlNodePtr h)
{
	const char *name = (const char *)h->name;
	if (!(name[0] == 'h' && (name[1] == '2' || name[1] == '3') && !name[2]))
		return;
	xmlChar *c = xmlNodeGetContent(h);
	char *base = slug_from((const char *)c, SLUG_MAX, "section");
	const char *id = slug_claim(&p->ids, base);
	free(base);
	tmpl_set_attr(h, "id", id);
	if (p->toc_tpl) {
		xmlNodePtr it = tmpl_clone(p->toc_tpl);
		char *href = xasprintf("#%s", id);
		xmlNodePtr a = tmpl_find(it, "toc-link");
		fill_link(a ? a : it, href, (const char *)c);
		free(href);
		/* A subsection goes into its section's own list. */
		xmlNodePtr up = it->prev;
		while (up && up->type != XML_ELEMENT_NODE)
			up = up->prev;
		if (name[1] == '3' && up) {
			xmlNodePtr sub = up->last;
			if (!sub || sub->type != XML_ELEMENT_NODE ||
			    strcmp((const char *)sub->name, "ol") != 0)
				sub = tmpl_add_elem(up, "ol", NULL);
			xmlUnlinkNode(it);
			xmlAddChild(sub, it);
		}
	}
	xmlFree(c);
}

static void walk(struct rpage *p, xmlNodePtr n)
{
	xmlNodePtr c = n->children;
	while (c) {
		xmlNodePtr next = c->next;
		long bi = block_mark(c);
		if (bi >= 0 && (size_t)bi < p->rep->doc.nblocks) {
			const struct report_block *b = &p->rep->doc.blocks[bi];
			char *why = b->error ? xstrdup(b->error) : NULL;
			if (!why) {
				switch (b->kind) {
				case REPORT_CHART: why = block_chart(p, b, c); break;
				case REPORT_TABLE: why = block_table(p, b, c); break;
				case REPORT_COMPARE: why = block_compare(p, b, c); break;
				case REPORT_SWEEP: why = block_sweep(p, b, c); break;
				}
			}
			if (why) {
				char *what = xasprintf("%s block: %s", b->what ? report_kind_name(b->kind)
				                                                 : "runsite", why);
				problem(p, n, c, b->line, what, 0);
				free(what);
				free(why);
			}
			tmpl_remove(c);
		} else if (c->type == XML_TEXT_NODE) {
			refs_in_text(p, c);
		} else if (c->type == XML_ELEMENT_NODE) {
			heading(p, c);
			walk(p, c);
		}
		c = next;
	}
}

/* The report as one self-contained page: the stylesheet inside, no script,
 * no links to the rest of the site. */
static void make_inline(htmlDocPtr doc)
{
	xmlNodePtr root = xmlDocGetRootElement(doc);
	for (size_t i = 0; embedded_files[i].path; i++)
		if (strcmp(embedded_files[i].path, "assets/style.css") == 0) {
			char *css = xstrndup((const char *)embedded_files[i].data, embedded_files[i].size);
			tmpl_fill(root, "inline-css", css);
			free(css);
		}
	for (;;) {
		xmlNodePtr l = tmpl_find(root, "link");
		if (!l)
			break;
		tmpl_remove(l);
	}
	tmpl_remove(tmpl_find(root, "report-crumbs"));
	xmlNodePtr top = root;
	/* The brand link went with the links; keep the site title as text. */
	(void)top;
}

int page_report(struct site *s, size_t i)
{
	struct site_report *rep = &s->reports[i];
	struct rpage p;
	memset(&p, 0, sizeof p);
	p.s = s;
	p.rep = rep;
	p.n = s->nruns;
	p.rr = xreallocarray(NULL, s->nruns ? s->nruns : 1, sizeof *p.rr);
	for (size_t k = 0; k < s->nruns; k++)
		p.rr[k] = s->runs[s->order[k]].run;
	p.sel = xreallocarray(NULL, s->nruns ? s->nruns : 1, sizeof *p.sel);
	p.dir = xasprintf("reports/%s", rep->slug);
	int ok = 0;
	htmlDocPtr doc = page_load(s, &s->tpl_report, "report.html");
	if (!doc)
		goto out;
	xmlNodePtr root = xmlDocGetRootElement(doc);
	page_common(s, doc, 1, rep->title);
	tmpl_fill(root, "report-title", rep->title);
	const struct report_doc *d = &rep->doc;
	if (d->author || d->date) {
		xmlNodePtr by = tmpl_find(root, "report-byline");
		if (d->author)
			tmpl_fill(root, "report-author", d->author);
		else
			tmpl_remove(tmpl_find(root, "report-author"));
		if (d->date) {
			tmpl_fill(root, "report-date", d->date);
			tmpl_set_attr(tmpl_find(root, "report-date"), "datetime", d->date);
		} else {
			tmpl_remove(tmpl_find(root, "report-date"));
		}
		if (by && !(d->author && d->date)) {
			/* Drop the separator between the two. */
			for (xmlNodePtr c = by->children; c; c = c->next)
				if (c->type == XML_TEXT_NODE)
					xmlNodeSetContent(c, BAD_CAST "");
		}
	} else {
		tmpl_remove(tmpl_find(root, "report-byline"));
	}
	if (d->summary)
		tmpl_fill(root, "report-summary", d->summary);
	else
		tmpl_remove(tmpl_find(root, "report-summary"));
	xmlNodePtr body = tmpl_find(root, "report-body");
	p.toc = tmpl_find(root, "toc");
	p.toc_tpl = p.toc ? tmpl_find(p.toc, "toc-item") : NULL;
	if (body) {
		tmpl_set_text(body, "");
		if (d->fm_error)
			problem(&p, body, NULL, 1, d->fm_error, 0);
		notes_render(body, d->body, 1);
		walk(&p, body);
	}
	size_t ntoc = 0;
	for (xmlNodePtr c = p.toc ? p.toc->children : NULL; c; c = c->next)
		ntoc += c->type == XML_ELEMENT_NODE;
	tmpl_remove(p.toc_tpl);
	if (ntoc < 3) /* the template's item, and fewer than two headings */
		tmpl_remove(tmpl_find(root, "toc-section"));
	if (s->opts->report_inline)
		make_inline(doc);
	else
		tmpl_remove(tmpl_find(root, "inline-css"));
	char *rel = xasprintf("reports/%s.html", rep->slug);
	ok = page_save(s, doc, rel);
	free(rel);
out:
	if (doc)
		xmlFreeDoc(doc);
	slugset_free(&p.stems);
	slugset_free(&p.ids);
	free(p.dir);
	free(p.rr);
	free(p.sel);
	return ok;
}

void fill_report_list(struct site *s, xmlNodePtr root)
{
	xmlNodePtr sec = tmpl_find(root, "reports-section");
	if (!sec)
		return;
	xmlNodePtr tpl = tmpl_find(sec, "report-item");
	if (!tpl || s->nreports == 0) {
		tmpl_remove(sec);
		return;
	}
	for (size_t i = 0; i < s->nreports; i++) {
		const struct site_report *r = &s->reports[i];
		xmlNodePtr it = tmpl_clone(tpl);
		char *href = xasprintf("reports/%s.html", r->slug);
		xmlNodePtr a = tmpl_find(it, "report-link");
		fill_link(a ? a : it, href, r->title);
		free(href);
		const char *au = r->doc.author, *da = r->doc.date;
		char *meta = xasprintf("%s%s%s", au ? au : "", au && da ? " · " : "", da ? da : "");
		if (*meta)
			tmpl_fill(it, "report-meta", meta);
		else
			tmpl_remove(tmpl_find(it, "report-meta"));
		free(meta);
		if (r->doc.summary) {
			tmpl_fill(it, "report-summary", r->doc.summary);
		} else {
			/* No summary: the line break before it goes too. */
			xmlNodePtr sm = tmpl_find(it, "report-summary");
			if (sm && sm->prev && sm->prev->type == XML_ELEMENT_NODE &&
			    strcmp((const char *)sm->prev->name, "br") == 0)
				tmpl_remove(sm->prev);
			tmpl_remove(sm);
		}
	}
	tmpl_remove(tpl);
}
