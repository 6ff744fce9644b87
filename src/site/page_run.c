/* page_run.c — runs/<slug>.html: a run's facts, notes, params, metrics
 * summary, charts (drawn while the run was read: charts.c), tags,
 * artifacts, datasets, logged models and child runs. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runsite/chart.h"
#include "runsite/compare.h"
#include "site_internal.h"

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
		const struct series_sum *se = run_sum(r, i);
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
		if (!se->count) {
			fill_empty(row, "m-last");
			fill_empty(row, "m-last-step");
		} else {
			fill_number(row, "m-last", se->last.value);
			fill_step(row, "m-last-step", se->last.step);
		}
		const struct step_value *best = series_best(se, g);
		if (best) {
			fill_number(row, "m-best", best->value);
			fill_step(row, "m-best-step", best->step);
		} else {
			fill_empty(row, "m-best");
			fill_empty(row, "m-best-step");
		}
		if (se->has_finite) {
			fill_number(row, "m-min", se->min.value);
			fill_number(row, "m-max", se->max.value);
		} else {
			fill_empty(row, "m-min");
			fill_empty(row, "m-max");
		}
		fill_step(row, "m-count", (int64_t)se->count);
		xmlNodePtr nf = tmpl_find(row, "m-nonfinite");
		if (nf) {
			char b[64];
			uint64_t bad[2]; /* NaN, Inf */
			run_nonfinite(r, i, bad);
			if (bad[0] || bad[1])
				snprintf(b, sizeof b, "%" PRIu64 " / %" PRIu64, bad[0], bad[1]);
			else
				snprintf(b, sizeof b, "—");
			tmpl_set_text(nf, b);
			set_int_attr(nf, "data-value", (int64_t)(bad[0] + bad[1]));
			if (bad[0] || bad[1])
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
	fill_swatch(tmpl_find(root, "run-color"), sr->color);
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
	char *md = notes ? site_run_notes(s, sr) : NULL;
	if (md && *md) {
		tmpl_set_text(notes, "");
		/* The notes sit below an h2: their h1 becomes an h3. */
		notes_render(notes, md, 2);
	} else {
		tmpl_remove(tmpl_find(root, "notes-section"));
	}
	free(md);
	size_t np = fill_kv(root, "param-row", "param-key", "param-value", &r->params, NULL);
	keep_section(root, "params-section", np);
	run_metrics(s, root, sr);

	struct chart_ref *refs = xreallocarray(NULL, sr->ncharts + 1, sizeof *refs);
	for (size_t c = 0; c < sr->ncharts; c++)
		refs[c] = (struct chart_ref){run_sum(r, sr->charts[c].metric)->key, sr->slug,
		                             sr->charts[c].slug, sr->charts[c].alt, NULL, NULL,
		                             sr->charts[c].data, NULL, 0, NULL};
	fill_chart_section(s, root, "charts-section", refs, sr->ncharts);
	free(refs);

	size_t nt = fill_kv(root, "tag-row", "tag-key", "tag-value", &r->tags, plan_is_user_tag);
	xmlNodePtr sys = tmpl_find(root, "systags");
	size_t ns = 0;
	if (sys) {
		ns = fill_kv(sys, "systag-row", "tag-key", "tag-value", &r->tags, plan_is_system_tag);
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
