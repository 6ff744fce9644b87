/* pagecache.c — a page is taken from the last build when nothing it shows
 * has changed: its fingerprint (cache.c's page_fp_*: this runsite binary,
 * the template, the build options) gets what the page reads of the build
 * state, and cache.c keeps the last build's file (with an experiment page's
 * own folder of charts) for the new site, or the page is made and noted.
 * Each fp_* here follows what its page shows; a page that starts to show
 * more of a run than its digest (site_run_digest) holds must feed it. */
#include <stdlib.h>
#include <string.h>

#include "site_internal.h"

/* What a run page shows: its run (whole, by its digest), colour, slug and
 * charts, its experiment, and of its parent and children what is linked
 * and listed. */
static void fp_run_page(struct page_fp *h, const struct site *s, const struct site_run *sr)
{
	page_fp_bytes(h, sr->digest, sizeof sr->digest);
	page_fp_u64(h, site_run_notes_hash(sr));
	page_fp_str(h, sr->slug);
	page_fp_u64(h, (uint64_t)sr->color);
	page_fp_str(h, s->exps[sr->exp].name);
	page_fp_str(h, s->exps[sr->exp].slug);
	page_fp_u64(h, sr->ncharts);
	for (size_t c = 0; c < sr->ncharts; c++) {
		page_fp_u64(h, sr->charts[c].metric);
		page_fp_str(h, sr->charts[c].slug);
		page_fp_str(h, sr->charts[c].alt);
	}
	page_fp_u64(h, (uint64_t)sr->parent);
	if (sr->parent >= 0) {
		page_fp_str(h, s->runs[sr->parent].slug);
		page_fp_str(h, s->runs[sr->parent].run->name);
	}
	page_fp_u64(h, sr->nchildren);
	for (size_t i = 0; i < sr->nchildren; i++) {
		const struct site_run *c = &s->runs[sr->children[i]];
		page_fp_str(h, c->slug);
		page_fp_str(h, c->run->name);
		page_fp_str(h, c->run->status);
		page_fp_u64(h, (uint64_t)c->run->start_ms);
		page_fp_u64(h, (uint64_t)c->run->end_ms);
	}
}

int page_run_cached(struct site *s, size_t i)
{
	const struct site_run *sr = &s->runs[i];
	char fp[CHART_FINGERPRINT_LEN + 1];
	struct page_fp *h = s->cache ? page_fp_begin(s, "run", &s->tpl_run) : NULL;
	if (!h)
		return page_run(s, i);
	fp_run_page(h, s, sr);
	page_fp_end(h, fp);
	char *rel = xasprintf("runs/%s.html", sr->slug);
	int ok = cache_reuse_page(s->cache, rel, fp);
	if (!ok) {
		ok = page_run(s, i);
		if (ok)
			cache_record_page(s->cache, rel, fp);
	}
	free(rel);
	return ok;
}

/* What a runs table shows of runs idx[0..n), in order: each run whole but
 * its notes (by its digest), its slug, colour and experiment. The list
 * pages show no notes; one that starts to must feed them here. */
static void fp_run_list(struct page_fp *h, const struct site *s, const size_t *idx, size_t n)
{
	page_fp_u64(h, n);
	for (size_t i = 0; i < n; i++) {
		const struct site_run *sr = &s->runs[idx[i]];
		page_fp_bytes(h, sr->digest, sizeof sr->digest);
		page_fp_str(h, sr->slug);
		page_fp_u64(h, (uint64_t)sr->color);
		page_fp_str(h, s->exps[sr->exp].name);
		page_fp_str(h, s->exps[sr->exp].slug);
	}
}

/* The compare pages of experiment e (every one when e < 0). */
static void fp_compares(struct page_fp *h, const struct site *s, long e)
{
	for (size_t c = 0; c < s->ncmps; c++) {
		const struct site_compare *sc = &s->cmps[c];
		if (e >= 0 && sc->exp != e)
			continue;
		page_fp_str(h, sc->title);
		page_fp_str(h, sc->slug);
		page_fp_u64(h, (uint64_t)sc->exp);
		fp_run_list(h, s, sc->runs, sc->n);
	}
	page_fp_u64(h, UINT64_MAX);
}

int page_experiment_cached(struct site *s, size_t ei)
{
	const struct site_exp *e = &s->exps[ei];
	struct page_fp *h = s->cache ? page_fp_begin(s, "experiment", &s->tpl_exp) : NULL;
	if (!h)
		return page_experiment(s, ei);
	page_fp_str(h, e->name);
	page_fp_str(h, e->slug);
	page_fp_str(h, e->description);
	fp_run_list(h, s, e->runs, e->nruns);
	fp_compares(h, s, (long)ei);
	char fp[CHART_FINGERPRINT_LEN + 1];
	page_fp_end(h, fp);
	char *rel = xasprintf("experiments/%s.html", e->slug);
	char *dir = xasprintf("experiments/%s", e->slug);
	int ok = cache_reuse_page_dir(s->cache, rel, fp);
	if (!ok) {
		ok = page_experiment(s, ei);
		if (ok) {
			char *rows = xasprintf("experiments/%s.rows.js", e->slug);
			char *index = rows_index_rel(rows);
			char *bands = exp_band_files(e);
			const char *files[] = {dir, rows, index, bands};
			cache_record_page_dir(s->cache, rel, fp, files, 4);
			free(bands);
			free(index);
			free(rows);
		}
	}
	free(dir);
	free(rel);
	return ok;
}

int page_index_cached(struct site *s)
{
	/* The reports' list is not fingerprinted: with reports the index is made. */
	struct page_fp *h =
	        s->cache && !s->nreports ? page_fp_begin(s, "index", &s->tpl_index) : NULL;
	if (!h)
		return page_index(s);
	page_fp_u64(h, s->nexps);
	for (size_t i = 0; i < s->nexps; i++) {
		const struct site_exp *e = &s->exps[i];
		page_fp_str(h, e->name);
		page_fp_str(h, e->slug);
		page_fp_str(h, e->description);
		fp_run_list(h, s, e->runs, e->nruns);
	}
	fp_run_list(h, s, s->order, s->nruns);
	fp_compares(h, s, -1);
	char fp[CHART_FINGERPRINT_LEN + 1];
	page_fp_end(h, fp);
	int ok = cache_reuse_page_dir(s->cache, "index.html", fp);
	if (!ok) {
		ok = page_index(s);
		if (ok) {
			/* The rows data and the lists of all runs (all-runs-N.html). */
			size_t nlists = runs_list_pages(s), nfiles = 0;
			char **files = xcalloc(nlists + 2, sizeof *files);
			files[nfiles++] = xstrdup("index.rows.js");
			files[nfiles++] = rows_index_rel("index.rows.js");
			for (size_t k = 1; k <= nlists; k++)
				files[nfiles++] = xasprintf("all-runs-%zu.html", k);
			cache_record_page_dir(s->cache, "index.html", fp, (const char *const *)files,
			                      nfiles);
			for (size_t k = 0; k < nfiles; k++)
				free(files[k]);
			free(files);
		}
	}
	return ok;
}
