/* page_compare.c — compare/<slug>.html: two runs or more side by side, the
 * first the reference: the params that differ, each metric's values and
 * deltas coloured better or worse, overlay charts. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runsite/chart.h"
#include "runsite/compare.h"
#include "site_internal.h"

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
                               const struct site_compare *c, const char *const *keys, size_t nk)
{
	xmlNodePtr tpl = tmpl_find(root, rowm);
	for (size_t k = 0; tpl && k < nk; k++) {
		xmlNodePtr row = tmpl_clone(tpl);
		tmpl_set_attr(row, "data-param", keys[k]);
		tmpl_fill(row, "p-key", keys[k]);
		xmlNodePtr td = tmpl_find(row, "p-val");
		for (size_t i = 0; td && i < c->n; i++) {
			const char *v = kvlist_get(&s->runs[c->runs[i]].run->params, keys[k]);
			xmlNodePtr cell = tmpl_clone(td);
			tmpl_set_text(cell, v ? v : "—");
			if (i > 0) {
				const char *r0 = kvlist_get(&s->runs[c->runs[0]].run->params, keys[k]);
				if ((!v != !r0) || (v && strcmp(v, r0) != 0))
					tmpl_add_class(cell, "changed");
			}
		}
		tmpl_remove(td);
	}
	tmpl_remove(tpl);
}

/* The runs, the first one the reference. */
static void compare_runs(struct site *s, xmlNodePtr root, const struct site_compare *c)
{
	xmlNodePtr tpl = tmpl_find(root, "cr-row");
	for (size_t i = 0; tpl && i < c->n; i++) {
		const struct site_run *sr = &s->runs[c->runs[i]];
		xmlNodePtr row = tmpl_clone(tpl);
		tmpl_set_attr(row, "data-run-id", sr->run->id);
		fill_swatch(tmpl_find(row, "cr-color"), sr->color);
		char *href = xasprintf("../runs/%s.html", sr->slug);
		fill_link(tmpl_find(row, "cr-link"), href, sr->run->name);
		free(href);
		tmpl_fill(row, "cr-role",
		          i == 0 ? ((long)c->runs[0] == s->baseline ? "baseline" : "reference")
		                 : "candidate");
		fill_status(tmpl_find(row, "cr-status"), sr->run->status);
	}
	tmpl_remove(tpl);
}

/* Params that differ; all params one toggle away. */
static void compare_params(struct site *s, xmlNodePtr root, const struct site_compare *c,
                           const struct run *const *rr)
{
	xmlNodePtr dsec = tmpl_find(root, "diff-section");
	if (!dsec)
		return;
	struct compare_param *diff = NULL;
	size_t nd = compare_varying_params(rr, c->n, &diff);
	const char **dkeys = xreallocarray(NULL, nd ? nd : 1, sizeof *dkeys);
	for (size_t k = 0; k < nd; k++)
		dkeys[k] = diff[k].key;
	size_t na = 0;
	const char **all = compare_key_union(rr, c->n, false, &na);
	compare_heads(s, dsec, "dp-col", c, 0);
	compare_param_rows(s, dsec, "dp-row", c, dkeys, nd);
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
	free(all);
	free(dkeys);
	free(diff);
}

/* A delta cell: run value v against the reference's v0. */
static void delta_cell(xmlNodePtr cell, enum goal g, int have, double v, int have0, double v0)
{
	tmpl_add_class(cell, "delta");
	if (!have || !have0 || !isfinite(v) || !isfinite(v0)) {
		tmpl_set_text(cell, "—");
		tmpl_set_attr(cell, "data-value", "");
		return;
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

/* One metric's row: each run's value at point `at` (metric_at), with which
 * point and step it is, and its difference from the reference. */
static void compare_metric_row(xmlNodePtr row, const struct plan_metric *key,
                               const struct run *const *rr, size_t n, enum metric_at at)
{
	enum goal g = key->goal;
	enum compare_mode mode = compare_mode_at(g, at);
	enum metric_at row_at = mode == CMP_BEST ? AT_BEST : AT_LAST; /* what the row says */
	tmpl_set_attr(row, "data-metric", key->key);
	tmpl_fill(row, "mc-key", key->key);
	char *how = xasprintf("%s%s%s", compare_mode_name(mode), *goal_arrow(g) ? " " : "",
	                      goal_arrow(g));
	xmlNodePtr hn = tmpl_find(row, "mc-goal");
	if (hn) {
		tmpl_set_text(hn, how);
		tmpl_set_attr(hn, "title", goal_words(g));
	}
	free(how);
	xmlNodePtr td = tmpl_find(row, "mc-val");
	struct at_value v0 = {0};
	int have0 = metric_at_run(rr[0], key->key, g, at, &v0);
	for (size_t i = 0; td && i < n; i++) {
		struct at_value v = {0};
		int have = metric_at_run(rr[i], key->key, g, at, &v);
		xmlNodePtr cell = tmpl_clone(td);
		tmpl_set_attr(cell, "data-run-id", rr[i]->id);
		tmpl_set_attr(cell, "data-label", rr[i]->name);
		if (have) {
			char where[64], exact[40];
			set_number(cell, v.value);
			metric_at_label(where, sizeof where, &v);
			fmt_double(exact, sizeof exact, v.value);
			char *title = xasprintf("%s (%s)", exact, where);
			tmpl_set_attr(cell, "title", title);
			free(title);
			tmpl_set_attr(cell, "data-at", metric_at_name(v.at));
			set_int_attr(cell, "data-step", v.step);
			/* Which point it is, in the cell: the step differs from run to run. */
			tmpl_add_elem(cell, "br", NULL);
			char *sub = v.at == row_at ? xasprintf("step %" PRId64, v.step)
			                           : xasprintf("%s, step %" PRId64, metric_at_name(v.at),
			                                       v.step);
			tmpl_set_attr(tmpl_add_elem(cell, "small", sub), "class", "sub");
			free(sub);
		} else {
			tmpl_set_text(cell, "—");
			tmpl_set_attr(cell, "data-value", "");
		}
		/* The run's name before its value, shown where a phone stacks the
		 * row (one line a run; the column heads are off screen there). */
		xmlNodePtr label = xmlNewDocNode(cell->doc, NULL, BAD_CAST "span", NULL);
		xmlAddChild(label, xmlNewDocText(cell->doc, BAD_CAST rr[i]->name));
		tmpl_set_attr(label, "class", "run-label");
		tmpl_set_attr(label, "aria-hidden", "true");
		if (cell->children)
			xmlAddPrevSibling(cell->children, label);
		else
			xmlAddChild(cell, label);
		if (i > 0)
			delta_cell(tmpl_clone(td), g, have, v.value, have0, v0.value);
	}
	tmpl_remove(td);
}

/* Metrics: each run's value and its difference from the reference. */
static void compare_metrics(struct site *s, xmlNodePtr root, const struct site_compare *c,
                            const struct run *const *rr, const struct plan_metric *keys,
                            size_t nk)
{
	xmlNodePtr msec = tmpl_find(root, "metrics-section");
	if (msec && nk == 0)
		tmpl_remove(msec);
	if (!msec || nk == 0)
		return;
	compare_heads(s, msec, "mc-col", c, 1);
	xmlNodePtr mt = tmpl_find(msec, "mc-row");
	for (size_t k = 0; mt && k < nk; k++)
		compare_metric_row(tmpl_clone(mt), &keys[k], rr, c->n, s->opts->at);
	tmpl_remove(mt);
}

int page_compare(struct site *s, size_t ci)
{
	const struct site_compare *c = &s->cmps[ci];
	int ok = 0, charts_ok = 1;
	size_t nc = 0, nk = 0;
	struct chart_ref *refs = NULL;
	struct plan_metric *keys = NULL;
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
	compare_runs(s, root, c);
	compare_params(s, root, c, rr);
	keys = plan_metric_keys(s->rr, c->runs, c->n, &s->opts->goals, s->primary,
	                        PLAN_MAX_OVERLAY_KEYS, &nk);
	compare_metrics(s, root, c, rr, keys, nk);

	/* Overlays: each run its own line, in its colour. */
	struct plan_unit *units = xreallocarray(NULL, c->n, sizeof *units);
	for (size_t i = 0; i < c->n; i++)
		units[i] = (struct plan_unit){c->runs[i], NULL, c->runs};
	if (s->opts->chart_formats)
		refs = overlay_charts(s, units, c->n, keys, nk, dir, c->slug, &stems, &nc, &charts_ok);
	free(units);
	if (!charts_ok)
		goto out;
	fill_chart_section(s, root, "charts-section", refs, nc);
	char *rel = xasprintf("compare/%s.html", c->slug);
	ok = page_save(s, doc, rel);
	free(rel);
out:
	free_refs(refs, nc);
	free(keys);
	free(rr);
	slugset_free(&stems);
	free(dir);
	if (doc)
		xmlFreeDoc(doc);
	return ok;
}
