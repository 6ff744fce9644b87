/* page_index.c — index.html: the experiments, the best run by the primary
 * metric and by each goal metric, compare pages, and every run in one table. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runsite/chart.h"
#include "runsite/compare.h"
#include "site_internal.h"

/* ---- the plain lists of all runs ---- */

/* The page a list is filled into: plain HTML, complete without a script. */
static const char list_skeleton[] =
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        "<meta name=\"generator\" content=\"runsite\">\n<title>Runs</title>\n"
        "<link rel=\"stylesheet\" href=\"assets/style.css\">\n</head>\n<body>\n"
        "<header class=\"topbar\"><a class=\"brand\" href=\"index.html\"><span class=\"logo\" "
        "aria-hidden=\"true\"></span><span>Runs</span></a></header>\n<main>\n"
        "<nav class=\"crumbs\" aria-label=\"Breadcrumb\"><a href=\"index.html\">Index</a></nav>\n"
        "<h1>All runs</h1>\n<p class=\"lede\"></p>\n<nav class=\"pages\" aria-label=\"Pages\"></nav>\n"
        "<div class=\"table-wrap\">\n<table class=\"data\">\n<thead><tr><th>Run</th><th>Experiment</th>"
        "<th>Status</th><th class=\"num\">Started (UTC)</th></tr></thead>\n<tbody>\n</tbody>\n"
        "</table>\n</div>\n</main>\n</body>\n</html>\n";

/* The first element named name at or below n, in document order. */
static xmlNodePtr first_elem(xmlNodePtr n, const char *name)
{
	for (xmlNodePtr c = n; c; c = c->next) {
		if (c->type != XML_ELEMENT_NODE)
			continue;
		if (strcmp((const char *)c->name, name) == 0)
			return c;
		xmlNodePtr in = first_elem(c->children, name);
		if (in)
			return in;
	}
	return NULL;
}

/* all-runs-N.html: every run in the index's order, RUNS_LIST_PAGE a page,
 * linked from the note under the runs tables that show only their first
 * rows. Written only when a table does. */
size_t runs_list_pages(const struct site *s)
{
	return s->nruns <= RUNS_FIRST_PAGE ? 0 : (s->nruns + RUNS_LIST_PAGE - 1) / RUNS_LIST_PAGE;
}

static int run_lists(struct site *s)
{
	size_t pages = runs_list_pages(s);
	const char *site_title = s->opts->title ? s->opts->title : "Runs";
	for (size_t k = 1; k <= pages; k++) {
		htmlDocPtr doc = tmpl_parse(list_skeleton, sizeof list_skeleton - 1);
		if (!doc)
			return 0;
		xmlNodePtr root = xmlDocGetRootElement(doc);
		char b[160];
		size_t lo = (k - 1) * RUNS_LIST_PAGE, hi = lo + RUNS_LIST_PAGE;
		if (hi > s->nruns)
			hi = s->nruns;
		snprintf(b, sizeof b, "All runs, %zu to %zu of %zu", lo + 1, hi, s->nruns);
		char *title = xasprintf("%s — %s", b, site_title);
		tmpl_set_text(first_elem(root, "title"), title);
		free(title);
		tmpl_set_text(first_elem(root, "h1"), b);
		tmpl_set_text(first_elem(first_elem(root, "header")->children, "span")->next, site_title);
		tmpl_set_text(first_elem(root, "p"), "Newest first, as on the index; without the page "
		                                     "script this list is the way to every run.");
		xmlNodePtr nav = first_elem(first_elem(root, "main")->children, "nav")->next;
		while (nav && (nav->type != XML_ELEMENT_NODE || strcmp((const char *)nav->name, "nav")))
			nav = nav->next;
		for (size_t j = 1; nav && j <= pages; j++) {
			snprintf(b, sizeof b, "%s%zu", j == 1 ? "Page " : "", j);
			if (j > 1)
				xmlAddChild(nav, xmlNewDocText(doc, BAD_CAST " "));
			xmlNodePtr a = tmpl_add_elem(nav, j == k ? "strong" : "a", b);
			if (j != k) {
				snprintf(b, sizeof b, "all-runs-%zu.html", j);
				tmpl_set_attr(a, "href", b);
			}
		}
		xmlNodePtr tbody = first_elem(root, "tbody");
		for (size_t i = lo; i < hi; i++) {
			const struct site_run *sr = &s->runs[s->order[i]];
			const struct site_exp *e = &s->exps[sr->exp];
			xmlNodePtr tr = tmpl_add_elem(tbody, "tr", NULL);
			char *href = xasprintf("runs/%s.html", sr->slug);
			fill_link(tmpl_add_elem(tmpl_add_elem(tr, "td", NULL), "a", NULL), href,
			          sr->run->name);
			free(href);
			href = xasprintf("experiments/%s.html", e->slug);
			fill_link(tmpl_add_elem(tmpl_add_elem(tr, "td", NULL), "a", NULL), href, e->name);
			free(href);
			tmpl_add_elem(tr, "td", sr->run->status);
			fmt_time_utc(b, sizeof b, sr->run->start_ms);
			tmpl_set_attr(tmpl_add_elem(tr, "td", b), "class", "num");
			xmlAddChild(tbody, xmlNewDocText(doc, BAD_CAST "\n"));
		}
		snprintf(b, sizeof b, "all-runs-%zu.html", k);
		int ok = page_save(s, doc, b);
		xmlFreeDoc(doc);
		if (!ok)
			return 0;
	}
	return 1;
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
	fill_report_list(s, root);

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
	/* One run picked across experiments would compare unrelated metrics:
	 * with several, the cards below name each experiment's best. */
	if (s->nexps == 1)
		fill_best(s, root, "site-best", all, s->nruns, 0);
	else
		tmpl_remove(tmpl_find(root, "site-best"));
	fill_compare_list(s, root, -1, 0);
	if (!fill_runs_table(s, root, all, s->nruns, 0, "index.rows.js", s->primary) || !run_lists(s)) {
		xmlFreeDoc(doc);
		return 0;
	}

	/* Headlines: per experiment, its primary metric at the chosen point
	 * (--at) in its best run by that value (the plan's). */
	tpl = tmpl_find(root, "best-row");
	size_t nbest = 0;
	for (size_t k = 0; tpl && k < s->plan.nheads; k++) {
		const struct plan_headline *h = &s->plan.heads[k];
		long bi = (long)h->run;
		xmlNodePtr row = tmpl_clone(tpl);
		nbest++;
		tmpl_fill(row, "b-exp", s->exps[h->exp].name);
		tmpl_fill(row, "b-metric", h->metric);
		tmpl_fill(row, "b-goal", h->goal == GOAL_MIN ? "lowest" : "highest");
		tmpl_fill(row, "b-at", metric_at_name(h->v.at));
		tmpl_set_attr(row, "data-run-id", s->runs[bi].run->id);
		tmpl_set_attr(row, "data-metric", h->metric);
		tmpl_set_attr(row, "data-at", metric_at_name(h->v.at));
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
		fill_number(row, "b-value", h->v.value);
		fill_step(row, "b-step", h->v.step);
	}
	tmpl_remove(tpl);
	keep_section(root, "best-section", nbest);

	int ok = page_save(s, doc, "index.html");
	xmlFreeDoc(doc);
	return ok;
}
