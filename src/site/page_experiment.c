/* page_experiment.c — experiments/<slug>.html: the description, the runs
 * table, seed groups (mean ± std), compare pages, one overlay chart per
 * metric across the runs and groups, and the sweep charts. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runsite/chart.h"
#include "runsite/compare.h"
#include "site_internal.h"

/* ---- experiment page ---- */

/* The units of experiment e: its seed groups and the runs in none, in
 * display order. groups/rr are kept by the caller while units are used. */
static struct plan_unit *exp_units(struct site *s, const struct site_exp *e,
                              const struct compare_group *groups, size_t ng, size_t *nout)
{
	struct plan_unit *u = xreallocarray(NULL, e->nruns ? e->nruns : 1, sizeof *u);
	long *gi = xreallocarray(NULL, e->nruns ? e->nruns : 1, sizeof *gi);
	for (size_t i = 0; i < e->nruns; i++)
		gi[i] = -1;
	for (size_t g = 0; g < ng; g++)
		for (size_t m = 0; m < groups[g].n; m++)
			gi[groups[g].members[m]] = (long)g;
	size_t n = 0;
	for (size_t i = 0; i < e->nruns; i++) {
		if (gi[i] < 0)
			u[n++] = (struct plan_unit){e->runs[i], NULL, e->runs};
		else if (groups[gi[i]].members[0] == i)
			u[n++] = (struct plan_unit){e->runs[i], &groups[gi[i]], e->runs};
	}
	free(gi);
	*nout = n;
	return u;
}

/* Fills the seed groups table of an experiment; removes it when empty. */
static void fill_seed_groups(struct site *s, xmlNodePtr root, const struct site_exp *e,
                             const char *primary, const struct compare_group *groups, size_t ng)
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
	struct plan_metric *metrics = plan_metric_keys(s->rr, e->runs, e->nruns, &s->opts->goals,
	                                               primary, PLAN_MAX_METRIC_KEYS, &nm);
	xmlNodePtr th = tmpl_find(sec, "sg-col-metric");
	for (size_t m = 0; th && m < nm; m++)
		metric_head(tmpl_clone(th), metrics[m].key, metrics[m].goal,
		            compare_mode_at(metrics[m].goal, s->opts->at), "mean ± std");
	tmpl_remove(th);
	xmlNodePtr rowtpl = tmpl_find(sec, "sg-row");
	for (size_t g = 0; rowtpl && g < ng; g++) {
		xmlNodePtr row = tmpl_clone(rowtpl);
		struct plan_unit u = {e->runs[groups[g].members[0]], &groups[g], e->runs};
		char *name = group_name(s, &u);
		tmpl_fill(row, "sg-name", name);
		free(name);
		fill_swatch(tmpl_find(row, "sg-color"), s->runs[u.run].color);
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
			                         compare_mode_at(metrics[m].goal, s->opts->at), &st)) {
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

char *exp_band_files(const struct site_exp *e)
{
	return xasprintf("%s/bands/experiments/%s", PAGES_CACHE_DIR, e->slug);
}

int page_experiment(struct site *s, size_t ei)
{
	const struct site_exp *e = &s->exps[ei];
	int ok = 0, charts_ok = 1;
	size_t nc = 0, nsw = 0, ng = 0, nu = 0, nk = 0;
	struct chart_ref *refs = NULL, *swrefs = NULL;
	struct compare_group *groups = NULL;
	struct plan_unit *units = NULL;
	struct plan_metric *keys = NULL;
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
	/* The experiment's own primary metric leads its tables and charts and
	 * draws its trend column, as it names its best run. */
	const char *primary =
	        ei < s->plan.nexps && s->plan.exp_primary[ei] ? s->plan.exp_primary[ei] : s->primary;
	/* The charts are drawn before the runs table is put in the page: the
	 * memory of the one (a sweep over 10,000 runs takes megabytes) is not
	 * held on top of the other's (its first rows' elements). */
	const struct run **rr = run_ptrs(s, e->runs, e->nruns);
	ng = compare_seed_groups(rr, e->nruns, s->opts->group_by, s->opts->ngroup_by, &groups);
	free(rr);
	units = exp_units(s, e, groups, ng, &nu);
	if (e->nruns >= 2 && s->opts->chart_formats) {
		keys = plan_metric_keys(s->rr, e->runs, e->nruns, &s->opts->goals, primary,
		                        PLAN_MAX_OVERLAY_KEYS, &nk);
		char *page = xasprintf("experiments/%s.html", e->slug);
		char *bands = exp_band_files(e);
		refs = overlay_charts_page(s, units, nu, keys, nk, dir, e->slug, &stems, &nc,
		                           &charts_ok, page, bands);
		free(bands);
		free(page);
		if (!charts_ok)
			goto out;
	}
	swrefs = sweep_charts(s, e, dir, &stems, &nsw, &charts_ok);
	if (!charts_ok)
		goto out;

	char *rows_rel = xasprintf("experiments/%s.rows.js", e->slug);
	int rows_ok = fill_runs_table(s, root, e->runs, e->nruns, 1, rows_rel, primary);
	free(rows_rel);
	if (!rows_ok)
		goto out;
	fill_seed_groups(s, root, e, primary, groups, ng);
	fill_compare_list(s, root, (long)ei, 1);
	fill_chart_section(s, root, "charts-section", refs, nc);
	fill_chart_section(s, root, "sweep-section", swrefs, nsw);
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
