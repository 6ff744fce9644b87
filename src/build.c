/* build.c — the build: read every store through the pipeline into the
 * site (each run's charts drawn as it arrives, on worker threads, then its
 * full series dropped), order the runs, make the plan, and call the pages.
 * The site (src/site/) writes; only this file drives the reading. */
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "runsite/build.h"
#include "runsite/diag.h"
#include "runsite/pipeline.h"
#include "runsite/plan.h"
#include "runsite/redact.h"
#include "runsite/runcache.h"
#include "runsite/select.h"
#include "runsite/status.h"

/* A map from run id to run index (open addressing). */
struct idmap {
	const char **keys;
	size_t *vals;
	size_t n, cap;
};

struct chart_pool;

/* The build: the site it fills, and what reading needs on the way. */
struct build {
	struct site s;
	const struct site_opts *opts;
	struct idmap ids;
	struct kvlist store_exps;  /* experiment id → name for the current store */
	struct kvlist store_descs; /* experiment name → description for the current store */
	size_t store_no, nstores;  /* for the progress line */
	struct chart_pool *charts; /* workers drawing run charts while reading, then the
	                            * shared pages; NULL: in line */
	struct select_expr *select; /* --select: the runs kept; NULL: all */
	struct kvlist top_ids;      /* --select with top N: the ids of the runs it keeps */
	bool top_pass;              /* reading to find those ids */
	struct runcache *runs;      /* the run cache; NULL: every run is read */
	bool no_runcache;           /* build again without it (a kept run could not be placed) */
};

/* ---- phase times ---- */

/* With RUNSITE_PHASES set in the environment, each phase's wall time, CPU
 * time of the whole process and of the main thread (which reads the stores),
 * and the resident memory at its end and the peak so far, go to stderr, for
 * profiling the build (no effect on the site): on a busy machine,
 * max(main, process / N) is what the phase would take on N idle cores. */
static double phase_t0 = -1, phase_cpu0, phase_main0;

static double clock_s(clockid_t id)
{
	struct timespec ts;
	clock_gettime(id, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void phase(const char *name)
{
	static int on = -1;
	if (on < 0)
		on = getenv("RUNSITE_PHASES") != NULL;
	if (!on)
		return;
	double t = clock_s(CLOCK_MONOTONIC), cpu = clock_s(CLOCK_PROCESS_CPUTIME_ID),
	       main_cpu = clock_s(CLOCK_THREAD_CPUTIME_ID);
	if (name && phase_t0 >= 0) {
		/* Resident memory at the phase's end and the peak so far. */
		long rss = -1, hwm = -1;
		FILE *f = fopen("/proc/self/status", "r");
		char line[128];
		while (f && fgets(line, sizeof line, f)) {
			if (strncmp(line, "VmRSS:", 6) == 0)
				rss = strtol(line + 6, NULL, 10);
			else if (strncmp(line, "VmHWM:", 6) == 0)
				hwm = strtol(line + 6, NULL, 10);
		}
		if (f)
			fclose(f);
		struct mallinfo2 mi = mallinfo2();
		fprintf(stderr,
		        "phase %-22s %7.3f s wall %7.3f s CPU %7.3f s main thread %6.1f MB RSS %6.1f MB peak"
		        " %6zu KB heap in use\n",
		        name, t - phase_t0, cpu - phase_cpu0, main_cpu - phase_main0, rss / 1024.0,
		        hwm / 1024.0, (mi.uordblks + mi.hblkhd) / 1024);
	}
	phase_t0 = t;
	phase_cpu0 = cpu;
	phase_main0 = main_cpu;
}

/* ---- the run index ---- */

/* Adds key → val. Ids can repeat across formats whose ids are folder names
 * (the pipeline skips only runs whose ids are unique across stores); a
 * lookup then finds the first one added. */
static void idmap_put(struct idmap *m, const char *key, size_t val)
{
	if ((m->n + 1) * 2 > m->cap) {
		struct idmap big = {0};
		big.cap = m->cap ? m->cap * 2 : 64;
		big.keys = xcalloc(big.cap, sizeof *big.keys);
		big.vals = xcalloc(big.cap, sizeof *big.vals);
		for (size_t i = 0; i < m->cap; i++)
			if (m->keys[i])
				idmap_put(&big, m->keys[i], m->vals[i]);
		free(m->keys);
		free(m->vals);
		*m = big;
	}
	size_t i = hash_str(key) & (m->cap - 1);
	while (m->keys[i])
		i = (i + 1) & (m->cap - 1);
	m->keys[i] = key;
	m->vals[i] = val;
	m->n++;
}

/* The index of the run with id, or -1. */
static long find_run(const struct build *b, const char *id)
{
	const struct idmap *m = &b->ids;
	if (!id || m->cap == 0)
		return -1;
	size_t i = hash_str(id) & (m->cap - 1);
	while (m->keys[i]) {
		if (strcmp(m->keys[i], id) == 0)
			return (long)m->vals[i];
		i = (i + 1) & (m->cap - 1);
	}
	return -1;
}

/* ---- the sink ---- */

static int progress_on(const struct build *b)
{
	return !b->opts->quiet && isatty(2);
}

static void progress(const struct build *b)
{
	if (progress_on(b))
		fprintf(stderr, "\r[%zu/%zu stores] runs: %zu", b->store_no, b->nstores,
		        b->s.nruns);
}

static void sink_store_begin(void *ctx, const struct store_ref *store, size_t i, size_t n)
{
	struct build *b = ctx;
	b->store_no = i + 1;
	b->nstores = n;
	kvlist_free(&b->store_exps);
	kvlist_free(&b->store_descs);
	progress(b);
}

static void sink_experiment(void *ctx, struct experiment *e)
{
	struct build *b = ctx;
	if (e->id && e->name) {
		kvlist_add(&b->store_exps, e->id, e->name);
		if (e->description && *e->description)
			kvlist_add(&b->store_descs, e->name, e->description);
	}
	experiment_free(e);
}

/* ---- run charts, drawn by worker threads while the reader goes on ---- */

struct job_pool;
static void *pages_worker(void *arg);

/* One run whose charts are to be drawn. The worker gets a copy of the
 * site_run (s->runs may move while it works); its charts are moved back
 * when the pool is drained. */
struct chart_job {
	size_t idx;
	uint64_t points; /* its points while they are held, counted once at submission */
	struct site_run sr;
	int ok;
	struct chart_job *next;
};

struct chart_pool {
	struct site *s;
	pthread_mutex_t mu;
	pthread_cond_t work, space;
	struct chart_job *head, *tail; /* waiting to be drawn */
	struct chart_job *done;        /* drawn, in any order */
	size_t inflight, limit;        /* runs with full points in memory, and the cap */
	uint64_t inflight_points;      /* their points */
	int stop;
	int fonts_loaded; /* workers that have loaded their fonts */
	/* Once the runs are read: the page tasks each worker runs (with the
	 * fonts it loaded for the run charts), and the workers not done yet. */
	struct job_pool *pages;
	int pages_running;
	atomic_int failed; /* a run's charts failed: the others are not drawn, reading stops */
	pthread_t *threads;
	int nthreads;
};

/* Points the reader may run ahead of the chart workers by: beyond this, a
 * run waits for its charts before the next is read, so a store of a few huge
 * runs holds one at a time (about 24 bytes a point). */
#define CHART_POINT_BUDGET (2u << 20)

static uint64_t run_points(const struct run *r)
{
	uint64_t n = 0;
	for (size_t i = 0; i < r->nmetrics; i++)
		n += r->metrics[i].n;
	return n;
}

/* A run's charts are drawn: its full points go. After a big run the freed
 * memory is handed back to the system (malloc_trim): the chart drawing in
 * between leaves it in pieces the next run's arrays do not fit, so the heap
 * would grow by a series at a time. */
static void charts_done(struct run *r, uint64_t points)
{
	run_slim(r);
	if (points >= CHART_POINT_BUDGET / 2)
		malloc_trim(0);
}

static void *chart_worker(void *arg)
{
	struct chart_pool *p = arg;
	/* Each thread has its own Pango font map: its fonts are loaded now,
	 * before the store takes the memory (chart_fonts_load), one worker at a
	 * time so that its room check holds. */
	pthread_mutex_lock(&p->mu);
	chart_fonts_load(p->s->opts->chart_formats);
	p->fonts_loaded++;
	pthread_cond_signal(&p->space);
	struct job_pool *pages_ran = NULL;
	for (;;) {
		while (!p->head && !p->stop && (!p->pages || p->pages == pages_ran))
			pthread_cond_wait(&p->work, &p->mu);
		if (!p->head && p->pages && p->pages != pages_ran) {
			pages_ran = p->pages;
			pthread_mutex_unlock(&p->mu);
			pages_worker(pages_ran);
			pthread_mutex_lock(&p->mu);
			if (--p->pages_running == 0)
				pthread_cond_broadcast(&p->space);
			continue;
		}
		if (!p->head)
			break;
		struct chart_job *j = p->head;
		p->head = j->next;
		if (!p->head)
			p->tail = NULL;
		pthread_mutex_unlock(&p->mu);
		/* After a failure (a full disk) nothing more is drawn. */
		j->ok = !atomic_load(&p->failed) && site_run_charts(p->s, &j->sr);
		if (!j->ok)
			atomic_store(&p->failed, 1);
		runcache_keep_done(cache_runcache(p->s->cache), j->sr.keep, j->ok);
		j->sr.keep = NULL;
		site_run_park_notes(p->s, &j->sr);
		charts_done(j->sr.run, j->points);
		pthread_mutex_lock(&p->mu);
		j->next = p->done;
		p->done = j;
		p->inflight--;
		p->inflight_points -= j->points;
		pthread_cond_signal(&p->space);
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

/* Starts the workers (none with one job: charts are then drawn in line). */
static void charts_start(struct build *b)
{
	int jobs = jobs_or_cpus(b->opts->jobs);
	if (jobs < 2)
		return;
	struct chart_pool *p = xcalloc(1, sizeof *p);
	p->s = &b->s;
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->work, NULL);
	pthread_cond_init(&p->space, NULL);
	/* Each waiting run holds its full points: a few per worker keep the
	 * workers busy while memory still follows the largest runs. */
	p->limit = (size_t)jobs * 2;
	p->threads = xcalloc((size_t)jobs, sizeof *p->threads);
	for (int t = 0; t < jobs; t++)
		if (pthread_create(&p->threads[p->nthreads], NULL, chart_worker, p) == 0)
			p->nthreads++;
	pthread_mutex_lock(&p->mu);
	while (p->fonts_loaded < p->nthreads)
		pthread_cond_wait(&p->space, &p->mu);
	pthread_mutex_unlock(&p->mu);
	b->charts = p;
}

/* Gives each run whose charts are drawn its charts back and frees its job
 * (on the reading thread, the one that may move s->runs): done as the runs
 * are read, not at the end, so 10,000 jobs are not held through reading,
 * each a piece of the heap left behind when they go. */
static void charts_take_done(struct build *b, struct chart_pool *p)
{
	struct site *s = &b->s;
	pthread_mutex_lock(&p->mu);
	struct chart_job *done = p->done;
	p->done = NULL;
	pthread_mutex_unlock(&p->mu);
	while (done) {
		struct chart_job *j = done;
		done = j->next;
		struct site_run *sr = &s->runs[j->idx];
		sr->charts = j->sr.charts;
		sr->ncharts = j->sr.ncharts;
		sr->capcharts = j->sr.capcharts;
		sr->charts_off = j->sr.charts_off;
		sr->charts_len = j->sr.charts_len;
		sr->spill_off = j->sr.spill_off;
		sr->spill_n = j->sr.spill_n;
		sr->dec_at = j->sr.dec_at;
		sr->spill_kept = j->sr.spill_kept;
		sr->notes_at = j->sr.notes_at;
		sr->notes_hash = j->sr.notes_hash;
		if (!j->ok)
			s->failed = 1;
		free(j);
	}
}

static void charts_submit(struct build *b, size_t idx)
{
	struct site *s = &b->s;
	struct chart_pool *p = b->charts;
	struct site_run *sr = &s->runs[idx];
	if (!p || p->nthreads == 0) {
		uint64_t points = run_points(sr->run);
		int ok = site_run_charts(s, sr);
		if (!ok)
			s->failed = 1;
		runcache_keep_done(cache_runcache(s->cache), sr->keep, ok);
		sr->keep = NULL;
		site_run_park_notes(s, sr);
		charts_done(sr->run, points);
		return;
	}
	charts_take_done(b, p);
	struct chart_job *j = xcalloc(1, sizeof *j);
	j->idx = idx;
	j->sr = *sr;
	sr->keep = NULL; /* the worker's now */
	j->points = run_points(sr->run);
	pthread_mutex_lock(&p->mu);
	while (p->inflight >= p->limit)
		pthread_cond_wait(&p->space, &p->mu);
	p->inflight++;
	p->inflight_points += j->points;
	if (p->tail)
		p->tail->next = j;
	else
		p->head = j;
	p->tail = j;
	pthread_cond_signal(&p->work);
	while (p->inflight_points > CHART_POINT_BUDGET)
		pthread_cond_wait(&p->space, &p->mu);
	pthread_mutex_unlock(&p->mu);
}

/* Waits for every chart, then gives the last runs their charts back; the
 * workers wait for the pages (charts_pages) or the end (charts_stop). */
static void charts_finish(struct build *b)
{
	struct chart_pool *p = b->charts;
	if (!p || p->nthreads == 0)
		return;
	pthread_mutex_lock(&p->mu);
	while (p->inflight > 0)
		pthread_cond_wait(&p->space, &p->mu);
	pthread_mutex_unlock(&p->mu);
	charts_take_done(b, p);
}

/* Has every worker run the page tasks of jp; 0 when there are none. */
static int charts_pages(struct chart_pool *p, struct job_pool *jp)
{
	if (!p || p->nthreads == 0)
		return 0;
	pthread_mutex_lock(&p->mu);
	p->pages = jp;
	p->pages_running = p->nthreads;
	pthread_cond_broadcast(&p->work);
	while (p->pages_running > 0)
		pthread_cond_wait(&p->space, &p->mu);
	pthread_mutex_unlock(&p->mu);
	return 1;
}

/* Ends the workers. */
static void charts_stop(struct build *b)
{
	struct chart_pool *p = b->charts;
	b->charts = NULL;
	if (!p)
		return;
	if (p->nthreads > 0) {
		pthread_mutex_lock(&p->mu);
		p->stop = 1;
		pthread_cond_broadcast(&p->work);
		pthread_mutex_unlock(&p->mu);
		for (int t = 0; t < p->nthreads; t++)
			pthread_join(p->threads[t], NULL);
		charts_take_done(b, p);
	}
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->work);
	pthread_cond_destroy(&p->space);
	free(p->threads);
	free(p);
}

/* ---- --select ---- */

static void fill_experiment(struct build *b, struct run *r)
{
	if ((!r->experiment_name || !*r->experiment_name) && r->experiment_id) {
		const char *n = kvlist_get(&b->store_exps, r->experiment_id);
		if (n) {
			free(r->experiment_name);
			r->experiment_name = xstrdup(n);
		}
	}
}

/* True when --select keeps run r (its terms, and its top N when one is given). */
static bool keep_run(struct build *b, struct run *r)
{
	fill_experiment(b, r);
	if (!select_match(b->select, r, &b->opts->goals))
		return false;
	if (!select_top(b->select))
		return true;
	return kvlist_get(&b->top_ids, r->id ? r->id : "") != NULL;
}

/* The first of two readings for `--select ... top N`: every run the terms
 * match, ranked once all are read. */
struct top_pass {
	struct build *b;
	struct run **runs;
	size_t n, cap;
};

static int top_run(void *ctx, struct run *r, const struct kvlist *redacted)
{
	struct top_pass *t = ctx;
	fill_experiment(t->b, r);
	if (!select_match(t->b->select, r, &t->b->opts->goals)) {
		run_free(r);
		return 1;
	}
	run_slim(r);
	GROW(t->runs, t->cap, t->n + 1);
	t->runs[t->n++] = r;
	return 1;
}

static void top_store(void *ctx, const struct store_ref *store, size_t i, size_t n)
{
	struct build *b = ((struct top_pass *)ctx)->b;
	kvlist_free(&b->store_exps);
	kvlist_free(&b->store_descs);
}

static void top_experiment(void *ctx, struct experiment *e)
{
	sink_experiment(((struct top_pass *)ctx)->b, e);
}

static void top_ids(struct build *b, const struct discovery *d, const struct reader_opts *ropts)
{
	struct top_pass t = {b, NULL, 0, 0};
	struct pipeline_consumer consumer = {&t, top_store, top_experiment, top_run, NULL};
	struct pipeline_stats stats;
	memset(&stats, 0, sizeof stats);
	bool quiet = b->opts->quiet;
	diag_set_quiet(1);
	pipeline_read(d, ropts, !b->opts->no_redact, &consumer, &stats);
	diag_set_quiet(quiet);
	pipeline_stats_free(&stats);
	size_t *out = xreallocarray(NULL, t.n ? t.n : 1, sizeof *out);
	size_t k = select_runs(b->select, (const struct run *const *)t.runs, t.n, &b->opts->goals,
	                       b->opts->primary, out);
	for (size_t i = 0; i < k; i++)
		kvlist_add(&b->top_ids, t.runs[out[i]]->id ? t.runs[out[i]]->id : "", "");
	for (size_t i = 0; i < t.n; i++)
		run_free(t.runs[i]);
	free(t.runs);
	free(out);
}

static int sink_run(void *ctx, struct run *r, const struct kvlist *redacted)
{
	struct build *b = ctx;
	struct site *s = &b->s;
	struct run_keep *keep = runcache_take(b->runs);
	if (s->failed || (b->charts && atomic_load(&b->charts->failed))) {
		runcache_keep_free(keep);
		run_free(r);
		return 0;
	}
	if (b->select && !keep_run(b, r)) {
		runcache_keep_free(keep);
		run_free(r);
		return 1;
	}
	if (redacted->n) {
		/* Secrets never reach a page; the run page says where they were. */
		struct buf places = BUF_INIT;
		for (size_t i = 0; i < redacted->n; i++)
			buf_printf(&places, "%s%s", i ? ", " : "", redacted->items[i].key);
		kvlist_add(&r->extras, "Redacted", buf_cstr(&places));
		buf_free(&places);
	}
	const char *ename = r->experiment_name && *r->experiment_name ? r->experiment_name : NULL;
	if (!ename && r->experiment_id)
		ename = kvlist_get(&b->store_exps, r->experiment_id);
	if (!ename)
		ename = r->experiment_id && *r->experiment_id ? r->experiment_id : "(no experiment)";
	size_t i = site_add_run(s, r, ename, kvlist_get(&b->store_descs, ename));
	if (keep && runcache_keep_hit(keep)) {
		/* Taken from the run cache: its charts are the last build's. */
		int ok = site_run_restore(s, &s->runs[i], runcache_keep_site(keep));
		runcache_keep_done(b->runs, keep, ok);
		if (!ok) {
			b->no_runcache = true; /* it has no points to draw: read everything */
			return 0;
		}
		site_run_park_notes(s, &s->runs[i]);
		run_slim(r);
		progress(b);
		return !s->failed;
	}
	s->runs[i].keep = keep;
	site_run_digest(&s->runs[i], NULL); /* before the charts drop its points */
	charts_submit(b, i);
	progress(b);
	return !s->failed;
}

/* ---- display order ---- */

static const struct site *sort_site; /* qsort has no context argument */

static int cmp_run_display(const void *a, const void *b)
{
	const struct run *x = sort_site->runs[*(const size_t *)a].run;
	const struct run *y = sort_site->runs[*(const size_t *)b].run;
	int kx = x->start_ms != TIME_UNKNOWN, ky = y->start_ms != TIME_UNKNOWN;
	if (kx != ky)
		return ky - kx;
	if (kx && x->start_ms != y->start_ms)
		return x->start_ms > y->start_ms ? -1 : 1; /* newest first */
	int c = str_natcmp(x->name, y->name);
	return c ? c : strcmp(x->id, y->id);
}

static int cmp_exp_name(const void *a, const void *b)
{
	const struct site_exp *x = &sort_site->exps[*(const size_t *)a];
	const struct site_exp *y = &sort_site->exps[*(const size_t *)b];
	return str_natcmp(x->name, y->name);
}

/* Links parents and children and sorts every list for display. */
static void arrange(struct build *b)
{
	struct site *s = &b->s;
	/* Every run is in: the lists lose the room they grew by, for the pages. */
	s->runs = xreallocarray(s->runs, s->nruns ? s->nruns : 1, sizeof *s->runs);
	s->capruns = s->nruns;
	for (size_t e = 0; e < s->nexps; e++) {
		struct site_exp *se = &s->exps[e];
		se->runs = xreallocarray(se->runs, se->nruns ? se->nruns : 1, sizeof *se->runs);
		se->capruns = se->nruns;
	}
	/* Made now, not as runs arrive: slimming a run (on a chart worker)
	 * moves its id. */
	for (size_t i = 0; i < s->nruns; i++)
		idmap_put(&b->ids, s->runs[i].run->id, i);
	/* Each parent's children are counted first, then listed in a list of
	 * that length (no room to grow by, no capacity to keep). */
	for (size_t i = 0; i < s->nruns; i++) {
		struct site_run *sr = &s->runs[i];
		long p = find_run(b, sr->run->parent_id);
		if (p < 0 || (size_t)p == i || p > INT32_MAX)
			continue;
		sr->parent = (int32_t)p;
		s->runs[p].nchildren++;
	}
	for (size_t i = 0; i < s->nruns; i++) {
		struct site_run *sr = &s->runs[i];
		if (sr->nchildren)
			sr->children = xreallocarray(NULL, sr->nchildren, sizeof *sr->children);
		sr->nchildren = 0;
	}
	for (size_t i = 0; i < s->nruns; i++) {
		struct site_run *sr = &s->runs[i];
		if (sr->parent >= 0) {
			struct site_run *pr = &s->runs[sr->parent];
			pr->children[pr->nchildren++] = i;
		}
	}
	/* Only parents are looked up by id: the map goes before the pages. */
	free(b->ids.keys);
	free(b->ids.vals);
	memset(&b->ids, 0, sizeof b->ids);
	sort_site = s;
	s->order = xreallocarray(NULL, s->nruns ? s->nruns : 1, sizeof *s->order);
	for (size_t i = 0; i < s->nruns; i++) {
		s->order[i] = i;
		if (s->runs[i].nchildren > 1)
			qsort(s->runs[i].children, s->runs[i].nchildren, sizeof(size_t),
			      cmp_run_display);
	}
	qsort(s->order, s->nruns, sizeof *s->order, cmp_run_display);
	for (size_t e = 0; e < s->nexps; e++)
		qsort(s->exps[e].runs, s->exps[e].nruns, sizeof(size_t), cmp_run_display);
	/* Experiments by name: reorder the array itself and re-point the runs. */
	size_t *eo = xreallocarray(NULL, s->nexps ? s->nexps : 1, sizeof *eo);
	for (size_t e = 0; e < s->nexps; e++)
		eo[e] = e;
	qsort(eo, s->nexps, sizeof *eo, cmp_exp_name);
	struct site_exp *sorted = xreallocarray(NULL, s->nexps ? s->nexps : 1, sizeof *sorted);
	for (size_t e = 0; e < s->nexps; e++) {
		sorted[e] = s->exps[eo[e]];
		for (size_t k = 0; k < sorted[e].nruns; k++)
			s->runs[sorted[e].runs[k]].exp = e;
	}
	free(s->exps);
	s->exps = sorted;
	s->capexps = s->nexps ? s->nexps : 1;
	free(eo);
}

/* Makes the plan from the ordered runs and hands it to the site. */
static void make_plan(struct site *s)
{
	s->rr = xreallocarray(NULL, s->nruns ? s->nruns : 1, sizeof *s->rr);
	size_t *exp_of = xreallocarray(NULL, s->nruns ? s->nruns : 1, sizeof *exp_of);
	const size_t **exp_runs = xreallocarray(NULL, s->nexps ? s->nexps : 1, sizeof *exp_runs);
	size_t *exp_nruns = xreallocarray(NULL, s->nexps ? s->nexps : 1, sizeof *exp_nruns);
	for (size_t i = 0; i < s->nruns; i++) {
		s->rr[i] = s->runs[i].run;
		exp_of[i] = s->runs[i].exp;
	}
	for (size_t e = 0; e < s->nexps; e++) {
		exp_runs[e] = s->exps[e].runs;
		exp_nruns[e] = s->exps[e].nruns;
	}
	const struct site_opts *o = s->opts;
	struct plan_runs in = {s->rr, s->nruns, s->order, exp_of, exp_runs, exp_nruns, s->nexps};
	struct plan_opts po = {&o->goals, o->primary, o->compare, o->ncompare, o->baseline, o->at};
	struct plan p;
	plan_make(&p, &in, &po);
	site_plan(s, &p);
	free(exp_of);
	free(exp_runs);
	free(exp_nruns);
}

/* ---- the experiment pages, the index and the run pages, on opts->jobs threads ---- */

/* The pages that only read the build state, by now read-only, so they can
 * be made in any order on any thread and are the same whatever the thread
 * count: task k < nexps is the experiment page exp_order[k] (the one with
 * the most runs first: it takes longest, drawing its overlays), then every
 * run page, then the index: last, so that it is not made while the largest
 * experiment page is (each holds its runs' rows at once: both together were
 * the build's peak memory). */
struct job_pool {
	struct site *s;
	size_t *exp_order;
	atomic_size_t next;
	atomic_int failed;
};

static int cmp_exp_size(const void *a, const void *b)
{
	const struct site_exp *x = &sort_site->exps[*(const size_t *)a];
	const struct site_exp *y = &sort_site->exps[*(const size_t *)b];
	if (x->nruns != y->nruns)
		return x->nruns > y->nruns ? -1 : 1;
	return *(const size_t *)a < *(const size_t *)b ? -1 : 1;
}

static void *pages_worker(void *arg)
{
	struct job_pool *p = arg;
	struct site *s = p->s;
	size_t ntasks = s->nexps + 1 + s->nruns;
	for (;;) {
		size_t k = atomic_fetch_add(&p->next, 1);
		if (k >= ntasks || atomic_load(&p->failed))
			break;
		int ok;
		size_t index_task = ntasks - 1;
		/* This thread draws charts: its fonts (loaded once a thread). */
		if (k < s->nexps || k == index_task)
			chart_fonts_load(s->opts->chart_formats);
		if (k < s->nexps)
			ok = page_experiment_cached(s, p->exp_order[k]);
		else if (k == index_task)
			ok = page_index_cached(s);
		else {
			/* A run's chart list comes back from the scratch file for its page only. */
			struct site_run *sr = &s->runs[k - s->nexps];
			ok = site_run_charts_load(s, sr) && page_run_cached(s, k - s->nexps);
			site_run_charts_unload(sr);
		}
		if (!ok)
			atomic_store(&p->failed, 1);
	}
	return NULL;
}

static int write_shared_pages(struct site *s, struct chart_pool *workers)
{
	struct job_pool pool;
	pool.s = s;
	pool.exp_order = xreallocarray(NULL, s->nexps ? s->nexps : 1, sizeof *pool.exp_order);
	for (size_t e = 0; e < s->nexps; e++)
		pool.exp_order[e] = e;
	sort_site = s;
	qsort(pool.exp_order, s->nexps, sizeof *pool.exp_order, cmp_exp_size);
	atomic_init(&pool.next, 0);
	atomic_init(&pool.failed, 0);
	/* On the run charts' workers, whose fonts are loaded, when there are
	 * some: this thread then loads none. */
	if (!charts_pages(workers, &pool)) {
		size_t ntasks = s->nexps + 1 + s->nruns;
		int jobs = jobs_or_cpus(s->opts->jobs);
		if ((size_t)jobs > ntasks)
			jobs = (int)ntasks;
		pthread_t *th = xcalloc((size_t)jobs, sizeof *th);
		int started = 0;
		for (int j = 1; j < jobs; j++)
			if (pthread_create(&th[j], NULL, pages_worker, &pool) == 0)
				started = j;
			else
				break;
		pages_worker(&pool);
		for (int j = 1; j <= started; j++)
			pthread_join(th[j], NULL);
		free(th);
	}
	free(pool.exp_order);
	return !atomic_load(&pool.failed);
}

/* `export --report`: the one report page, copied out of the build folder
 * (which is then discarded) as report_out, whole or not at all. */
static int write_report_file(struct site *s)
{
	if (s->nreports != 1)
		return 0;
	chart_fonts_load(s->opts->chart_formats); /* its charts are drawn on this thread */
	if (!page_report(s, 0))
		return 0;
	char *rel = xasprintf("reports/%s.html", s->reports[0].slug);
	char *src = path_join(s->tmp, rel);
	char *tmp = xasprintf("%s.tmp-%ld", s->opts->report_out, (long)getpid());
	struct buf page = BUF_INIT;
	int ok = read_file(src, &page, (size_t)1 << 30);
	FILE *f = ok ? fopen(tmp, "wb") : NULL;
	ok = f && fwrite(page.data, 1, page.size, f) == page.size;
	if (f && fclose(f) != 0)
		ok = 0;
	if (ok && rename(tmp, s->opts->report_out) != 0)
		ok = 0;
	if (!ok) {
		diag_msg("cannot write %s: %s", s->opts->report_out, strerror(errno));
		unlink(tmp);
	}
	buf_free(&page);
	free(tmp);
	free(src);
	free(rel);
	return ok;
}

/* Writes every page (the shared ones on the chart workers, when there are
 * some), then puts the site in place. */
static int write_pages(struct site *s, struct chart_pool *workers)
{
	if (s->opts->report_file)
		return write_report_file(s);
	if (!write_shared_pages(s, workers))
		return 0;
	phase("exp, index, run pages");
	if (s->ncmps || s->nreports) /* their charts are drawn on this thread */
		chart_fonts_load(s->opts->chart_formats);
	for (size_t c = 0; c < s->ncmps; c++)
		if (!page_compare(s, c))
			return 0;
	for (size_t r = 0; r < s->nreports; r++)
		if (!page_report(s, r))
			return 0;
	phase("compare, reports");
	site_release_runs(s);
	/* What the runs held goes back to the system before the cache file is
	 * written: its pages would otherwise be faulted in from memory handed
	 * back before the pages, on top of what the runs freed (1.4 MB over
	 * the build's peak with 10,000 runs). */
	malloc_trim(0);
	int ok = site_finish(s);
	phase("finish");
	return ok;
}

/* Takes the report file at path into the site (redacted unless told not). */
static void add_report(struct site *s, const char *path)
{
	struct buf text = BUF_INIT;
	if (!read_file(path, &text, (size_t)16 << 20)) {
		diag_msg("report %s could not be read", path);
		s->report_problems++;
		buf_free(&text);
		return;
	}
	const char *t = buf_cstr(&text);
	char *red = s->opts->no_redact ? NULL : redact_text(t);
	site_add_report(s, path, red ? red : t, red ? strlen(red) : text.size);
	free(red);
	buf_free(&text);
}

/* The reports: the file of `export --report`, the *.md files of --reports
 * DIR, else of a reports/ folder beside each store. */
static int load_reports(struct site *s, const struct discovery *d)
{
	const struct site_opts *o = s->opts;
	char **dirs = NULL;
	size_t nd = 0, cap = 0;
	if (o->report_file) {
		add_report(s, o->report_file);
		return 1;
	}
	if (o->reports_dir) {
		struct stat st;
		if (stat(o->reports_dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
			diag_msg("--reports %s: not a folder", o->reports_dir);
			return 0;
		}
		GROW(dirs, cap, 1);
		dirs[nd++] = xstrdup(o->reports_dir);
	} else {
		/* Stores of one folder come one after another: its reports/ is
		 * looked at once, not once a store. */
		char *tried = NULL;
		for (size_t i = 0; i < d->nstores; i++) {
			char *parent = xstrdup(d->stores[i].path);
			str_rstrip(parent);
			size_t l = strlen(parent);
			while (l > 1 && parent[l - 1] == '/')
				parent[--l] = '\0';
			char *slash = strrchr(parent, '/');
			if (slash)
				*slash = '\0';
			char *dir = path_join(slash ? (*parent ? parent : "/") : ".", "reports");
			free(parent);
			struct stat st;
			int dup = tried && strcmp(tried, dir) == 0;
			for (size_t k = 0; k < nd && !dup; k++)
				dup = strcmp(dirs[k], dir) == 0;
			free(tried);
			tried = xstrdup(dir);
			if (!dup && stat(dir, &st) == 0 && S_ISDIR(st.st_mode)) {
				GROW(dirs, cap, nd + 1);
				dirs[nd++] = dir;
			} else {
				free(dir);
			}
		}
		free(tried);
	}
	for (size_t k = 0; k < nd; k++) {
		size_t n = 0;
		char **names = list_dir_sorted(dirs[k], &n);
		for (size_t i = 0; i < n; i++)
			if (str_ends(names[i], ".md")) {
				char *path = path_join(dirs[k], names[i]);
				add_report(s, path);
				free(path);
			}
		free_names(names, n);
		free(dirs[k]);
	}
	free(dirs);
	return 1;
}

/* Reads every store into the site; the charts of each run are drawn as it comes. */
static void read_stores(struct build *b, const struct discovery *d,
                        const struct reader_opts *ropts, struct pipeline_stats *stats)
{
	/* `export --report` keeps no site, so no runs either. After a kept run
	 * could not be placed, every run is read (and kept anew). */
	b->runs = b->opts->report_file ? NULL : cache_runcache(b->s.cache);
	if (b->no_runcache)
		runcache_forget_old(b->runs);
	struct pipeline_consumer consumer = {b, sink_store_begin, sink_experiment, sink_run, b->runs};
	charts_start(b);
	if (!b->charts || b->charts->nthreads == 0)
		chart_fonts_load(b->opts->chart_formats); /* charts drawn on this thread */
	site_expect_runs(&b->s, d->nstores);
	pipeline_read(d, ropts, !b->opts->no_redact, &consumer, stats);
	charts_finish(b);
	run_share_forget(); /* every run read is slimmed */
	if (progress_on(b))
		fputs("\r\033[K", stderr);
	if (stats->duplicates.n && !b->opts->quiet)
		diag_msg("%zu run%s also in an earlier store, shown once (`runsite ls` lists them)",
		         (size_t)stats->duplicates.n, stats->duplicates.n == 1 ? " was" : "s were");
}

/* The build; *again set when a run taken from the run cache could not be
 * placed as it was (then nothing is written, and the caller builds again
 * with no_runcache). */
static int build_once(struct discovery *d, const struct reader_opts *ropts,
                      const struct site_opts *opts, bool no_runcache, bool *again)
{
	struct build b;
	memset(&b, 0, sizeof b);
	b.opts = opts;
	b.no_runcache = no_runcache;
	phase(NULL);
	const char **inputs = xreallocarray(NULL, d->nstores ? d->nstores : 1, sizeof *inputs);
	for (size_t i = 0; i < d->nstores; i++)
		inputs[i] = d->stores[i].path;
	int rc = site_open(&b.s, opts, inputs, d->nstores);
	free(inputs);
	if (rc != EXIT_OK)
		goto out;
	phase("open");
	if (opts->select) {
		char err[256];
		b.select = select_parse(opts->select, err, sizeof err);
		select_set_at(b.select, opts->at);
		if (!b.select) {
			diag_msg("--select '%s': %s", opts->select, err);
			rc = EXIT_USAGE;
			goto out;
		}
		if (select_top(b.select))
			top_ids(&b, d, ropts);
	}
	rc = EXIT_OUTPUT;
	struct pipeline_stats stats;
	memset(&stats, 0, sizeof stats);
	phase("select");
	read_stores(&b, d, ropts, &stats);
	phase("read and charts");
	if (b.no_runcache && !no_runcache) {
		*again = true;
		pipeline_stats_free(&stats);
		goto out;
	}
	size_t unreadable = stats.unreadable_stores;
	int fatal = stats.fatal;
	pipeline_stats_free(&stats);
	if (fatal) {
		/* A store failed part-way (a tracking server gone): no partial site. */
		diag_msg("a store could not be read to the end; %s left as it was", b.s.given);
		rc = fatal;
		goto out;
	}
	if (b.s.failed)
		goto out;
	if (b.s.nruns == 0) {
		diag_msg("no runs were read%s; %s left as it was",
		         unreadable ? " (stores could not be read)" : "", b.s.given);
		rc = EXIT_NO_INPUT;
		goto out;
	}
	arrange(&b);
	make_plan(&b.s);
	if (!load_reports(&b.s, d)) {
		rc = EXIT_USAGE;
		goto out;
	}
	/* Nothing reads the stores' list any more, and this build is the last
	 * (*again is set by now): its memory (a hundred bytes a store) is not
	 * held under the pages. */
	discovery_free(d);
	phase("plan, reports");
	/* What reading and drawing freed is spread between the runs kept for
	 * the pages (the malloc settings keep freed memory): handed back now,
	 * the pages' own memory is not added on top of it. */
	malloc_trim(0);
	phase("freed memory handed back");
	if (write_pages(&b.s, b.charts))
		rc = EXIT_OK;
	if (rc == EXIT_OK && b.s.report_problems && opts->strict) {
		diag_msg("--strict: %zu problem%s in the reports (see above)", b.s.report_problems,
		         b.s.report_problems == 1 ? "" : "s");
		rc = EXIT_GATE_FAILED;
	}
out:
	charts_stop(&b);
	select_free(b.select);
	kvlist_free(&b.top_ids);
	site_free(&b.s);
	free(b.ids.keys);
	free(b.ids.vals);
	kvlist_free(&b.store_exps);
	kvlist_free(&b.store_descs);
	return rc;
}

int build_site(struct discovery *d, const struct reader_opts *ropts,
               const struct site_opts *opts)
{
	/* What discovery freed (its folder listings: megabytes for 10,000
	 * stores) goes back to the system: left in pieces between its list of
	 * stores, the reading's larger arrays did not fit in it, and the peak
	 * was 0.6 MB higher. */
	malloc_trim(0);
	bool again = false;
	int rc = build_once(d, ropts, opts, false, &again);
	if (again) {
		if (!opts->quiet)
			diag_msg("a run kept by the last build no longer fits it; reading every run");
		rc = build_once(d, ropts, opts, true, &again);
	}
	return rc;
}
