/* page_index.c — index.html: the experiments, the best run by the primary
 * metric and by each goal metric, compare pages, and every run in one table. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runsite/chart.h"
#include "runsite/compare.h"
#include "site_internal.h"

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
	fill_runs_table(s, root, all, s->nruns, 0);

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
