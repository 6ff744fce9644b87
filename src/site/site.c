/* site.c — the build state the pages are written from: the templates, the
 * runs and experiments with their slugs and colours, the plan's compare
 * pages; opening the site (templates and output folder checked before any
 * store is read) and finishing it (assets, build cache, swap). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libxml/parser.h>

#include "runsite/compare.h"
#include "runsite/status.h"
#include "runsite/runcache.h"
#include "site_internal.h"

void site_opts_defaults(struct site_opts *o)
{
	memset(o, 0, sizeof *o);
	o->out_dir = "site";
	o->jobs = 0; /* the CPU count */
	/* Pages show SVG; PNG only when asked (--png, or check's summary). */
	o->chart_formats = 1u << CHART_SVG;
	o->at = AT_DEFAULT;
	chart_spec_defaults(&o->chart);
}

enum goal site_goal(const struct site *s, const char *key)
{
	return goal_for(&s->opts->goals, key);
}

const char *goal_arrow(enum goal g)
{
	return g == GOAL_MIN ? "↓" : g == GOAL_MAX ? "↑" : "";
}

const char *goal_words(enum goal g)
{
	return g == GOAL_MIN ? "lower is better" : g == GOAL_MAX ? "higher is better" : "no direction";
}

const struct run **run_ptrs(const struct site *s, const size_t *idx, size_t n)
{
	const struct run **rr = xreallocarray(NULL, n ? n : 1, sizeof *rr);
	for (size_t i = 0; i < n; i++)
		rr[i] = s->runs[idx[i]].run;
	return rr;
}

/* The index of the experiment called name, made when new. */
static size_t site_exp_for(struct site *s, const char *name)
{
	for (size_t i = 0; i < s->nexps; i++)
		if (strcmp(s->exps[i].name, name) == 0)
			return i;
	GROW(s->exps, s->capexps, s->nexps + 1);
	struct site_exp *e = &s->exps[s->nexps];
	memset(e, 0, sizeof *e);
	e->name = xstrdup(name);
	char *base = slug_from(name, SLUG_MAX, "experiment");
	e->slug = slug_claim(&s->exp_slugs, base);
	free(base);
	return s->nexps++;
}

/* A run's palette index from its id alone (FNV-1a, written out so every
 * platform agrees): adding or removing a run changes no other run's colour,
 * so none of their charts is drawn again. Over all CHART_RUN_STYLES, so an
 * overlay of a few runs rarely draws two alike. */
int site_run_color(const char *id)
{
	uint32_t h = 2166136261u;
	for (const unsigned char *p = (const unsigned char *)(id ? id : ""); *p; p++)
		h = (h ^ *p) * 16777619u;
	return (int)(h % CHART_RUN_STYLES);
}

void site_expect_runs(struct site *s, size_t n)
{
	if (n > s->capruns) {
		s->runs = xreallocarray(s->runs, n, sizeof *s->runs);
		s->capruns = n;
	}
}

size_t site_add_run(struct site *s, struct run *r, const char *exp_name, const char *exp_desc)
{
	size_t ei = site_exp_for(s, exp_name);
	struct site_exp *e = &s->exps[ei];
	if (!e->description && exp_desc)
		e->description = xstrdup(exp_desc);
	GROW(e->runs, e->capruns, e->nruns + 1);
	e->runs[e->nruns++] = s->nruns;

	GROW(s->runs, s->capruns, s->nruns + 1);
	struct site_run *sr = &s->runs[s->nruns];
	memset(sr, 0, sizeof *sr);
	sr->run = r;
	sr->slug = slug_run(&s->run_slugs, r->name, r->id);
	sr->color = site_run_color(r->id);
	sr->exp = ei;
	sr->parent = -1;
	return s->nruns++;
}

void site_plan(struct site *s, struct plan *p)
{
	s->plan = *p;
	memset(p, 0, sizeof *p);
	s->primary = s->plan.primary;
	s->baseline = s->plan.baseline;
	s->cmps = xcalloc(s->plan.ncmps ? s->plan.ncmps : 1, sizeof *s->cmps);
	s->ncmps = s->plan.ncmps;
	for (size_t i = 0; i < s->ncmps; i++) {
		const struct plan_compare *pc = &s->plan.cmps[i];
		struct site_compare *c = &s->cmps[i];
		c->title = pc->title;
		char *base = slug_from(pc->title, SLUG_MAX, "compare");
		c->slug = slug_claim(&s->cmp_slugs, base);
		free(base);
		c->runs = pc->runs;
		c->n = pc->n;
		c->exp = pc->exp;
	}
}

/* Checks that each template parses, before any store is read. Only a
 * user's (--templates): the built-in ones are part of this binary, whose
 * tests build pages from each, so parsing them here would only repeat the
 * work (7M instructions, a tenth of a small build). */
static int templates_ok(struct site *s)
{
	if (!s->opts->templates_dir)
		return 1;
	const struct buf *t[] = {&s->tpl_index, &s->tpl_exp, &s->tpl_run, &s->tpl_cmp,
	                         &s->tpl_report};
	static const char *const names[] = {"index.html", "experiment.html", "run.html",
	                                    "compare.html", "report.html"};
	for (int i = 0; i < 5; i++) {
		htmlDocPtr doc = tmpl_parse(t[i]->data, t[i]->size);
		if (!doc) {
			diag_msg("template %s could not be parsed as HTML", names[i]);
			return 0;
		}
		xmlFreeDoc(doc);
	}
	return 1;
}

int site_open(struct site *s, const struct site_opts *opts, const char *const *inputs,
              size_t ninputs)
{
	memset(s, 0, sizeof *s);
	s->opts = opts;
	s->baseline = -1;
	s->dec_fd = -1;
	pthread_mutex_init(&s->dec_mu, NULL);
	s->given = opts->out_dir && *opts->out_dir ? opts->out_dir : "site";
	xmlInitParser();
	notes_init();
	if (opts->templates_dir) {
		struct stat st;
		if (stat(opts->templates_dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
			diag_msg("--templates %s: not a folder", opts->templates_dir);
			return EXIT_USAGE;
		}
	}
	if (!site_load_source(opts, "templates/index.html", &s->tpl_index) ||
	    !site_load_source(opts, "templates/experiment.html", &s->tpl_exp) ||
	    !site_load_source(opts, "templates/run.html", &s->tpl_run) ||
	    !site_load_source(opts, "templates/compare.html", &s->tpl_cmp) ||
	    !site_load_source(opts, "templates/report.html", &s->tpl_report) || !templates_ok(s))
		return EXIT_OUTPUT;
	/* Everything about the output folder is settled before any store is read. */
	if (!writer_open(s, inputs, ninputs))
		return EXIT_OUTPUT;
	/* A site a commit stopped half way through is not taken from. */
	s->cache = cache_open(opts->no_cache || s->commit_interrupted ? NULL : s->out, s->tmp);
	s->in_place = cache_reuse_in_place(s->cache);
	cache_runs_options(s->cache, opts);
	return EXIT_OK;
}

int site_finish(struct site *s)
{
	if (!writer_assets(s))
		return 0;
	size_t reused, drawn, pages;
	/* Built in place, the new site is what the cache lists (its rows name
	 * the files until the commit is done) and what tmp holds. */
	int ok = 1;
	if (s->in_place)
		ok = cache_write(s->cache) && writer_commit(s);
	int cache_ok = cache_close(s->cache, !s->in_place, &reused, &drawn, &pages);
	s->cache = NULL;
	if (!ok || !cache_ok)
		return 0;
	if (reused && !s->opts->quiet)
		diag_msg("%zu of %zu charts were unchanged and taken from %s", reused,
		         reused + drawn, s->given);
	if (pages && !s->opts->quiet)
		diag_msg("%zu page%s unchanged and taken from %s", pages,
		         pages == 1 ? " was" : "s were", s->given);
	return s->in_place || writer_swap(s);
}

/* ---- the build ---- */

void site_release_runs(struct site *s)
{
	for (size_t i = 0; i < s->nruns; i++) {
		struct site_run *sr = &s->runs[i];
		for (size_t c = 0; sr->charts && c < sr->ncharts; c++) {
			free(sr->charts[c].slug);
			free(sr->charts[c].alt);
			free(sr->charts[c].data);
		}
		free(sr->charts);
		free(sr->children);
		free(sr->spill_off);
		free(sr->spill_n);
		runcache_keep_free(sr->keep);
		if (sr->kept)
			kept_site_free(sr->kept);
		free(sr->kept);
		if (sr->spill_kept)
			kept_site_free(sr->spill_kept);
		free(sr->spill_kept);
		run_free(sr->run);
	}
	free(s->runs);
	s->runs = NULL;
	s->nruns = s->capruns = 0;
}

void site_free(struct site *s)
{
	if (s->dec_open)
		close(s->dec_fd);
	s->dec_open = false;
	site_release_runs(s);
	free(s->order);
	for (size_t e = 0; e < s->nexps; e++) {
		free(s->exps[e].name);
		free(s->exps[e].description);
		free(s->exps[e].runs);
	}
	free(s->exps);
	slugset_free(&s->run_slugs);
	slugset_free(&s->exp_slugs);
	free(s->cmps);
	plan_free(&s->plan);
	slugset_free(&s->cmp_slugs);
	buf_free(&s->tpl_index);
	buf_free(&s->tpl_exp);
	buf_free(&s->tpl_run);
	buf_free(&s->tpl_cmp);
	buf_free(&s->tpl_report);
	for (size_t i = 0; i < s->nreports; i++) {
		report_doc_free(&s->reports[i].doc);
		free(s->reports[i].title);
	}
	free(s->reports);
	slugset_free(&s->report_slugs);
	free(s->rr);
	cache_close(s->cache, 0, NULL, NULL, NULL);
	s->cache = NULL;
	writer_discard(s);
	free(s->out);
}

bool site_value_at(const struct site *s, const struct run *r, const char *key, enum goal g,
                   double *v)
{
	struct at_value av;
	if (!metric_at_run(r, key, g, s->opts->at, &av))
		return false;
	*v = av.value;
	return true;
}
