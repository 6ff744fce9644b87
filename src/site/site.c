/* site.c — the build: check the output folder, read every store through its
 * reader into the sink below (charts are drawn as each run arrives, then its
 * full series are dropped), write the pages into a temporary folder beside
 * the target, and swap that folder into place only when all of it worked. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <malloc.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libxml/parser.h>

#include "runsite/embedded.h"
#include "runsite/pipeline.h"
#include "site_internal.h"

#define SITE_MARKER ".runsite-site"

void site_opts_defaults(struct site_opts *o)
{
	memset(o, 0, sizeof *o);
	o->out_dir = "site";
	o->jobs = 0; /* the CPU count */
	o->chart_formats = (1u << CHART_SVG) | (1u << CHART_PNG);
	o->smoothing = 0.6;
	o->x_kind = CHART_X_STEP;
}

/* ---- files ---- */

static int remove_cb(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	if (remove(path) != 0)
		diag_msg("cannot remove %s: %s", path, strerror(errno));
	return 0;
}

/* Removes the folder tree at path without following symbolic links. */
static void remove_tree(const char *path)
{
	nftw(path, remove_cb, 16, FTW_DEPTH | FTW_PHYS);
}

/* Makes every missing folder of path (like mkdir -p). Returns 1 or 0 with errno. */
static int mkdir_p(const char *path, mode_t mode)
{
	char *p = xstrdup(path);
	int ok = 1;
	for (char *q = p + 1; ok && *q; q++) {
		if (*q != '/')
			continue;
		*q = '\0';
		if (mkdir(p, mode) != 0 && errno != EEXIST)
			ok = 0;
		*q = '/';
	}
	if (ok && mkdir(p, mode) != 0 && errno != EEXIST)
		ok = 0;
	free(p);
	return ok;
}

int site_mkdir(struct site *s, const char *rel)
{
	char *path = path_join(s->tmp, rel);
	int ok = mkdir_p(path, 0777);
	if (!ok)
		diag_msg("cannot make folder %s: %s", path, strerror(errno));
	free(path);
	return ok;
}

int site_write(struct site *s, const char *rel, const void *data, size_t n)
{
	char *path = path_join(s->tmp, rel);
	int ok = 0, fd = -1;
	char *slash = strrchr(path, '/');
	if (slash && slash > path) {
		*slash = '\0';
		int made = mkdir_p(path, 0777);
		*slash = '/';
		if (!made)
			goto fail;
	}
	/* O_EXCL: a file is written once; two pages for one name would be a slug bug. */
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
	if (fd < 0)
		goto fail;
	const char *p = data;
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			goto fail;
		p += w;
		n -= (size_t)w;
	}
	if (close(fd) != 0) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	ok = 1;
	goto out;
fail:
	diag_msg("cannot write %s: %s", path, strerror(errno));
out:
	if (fd >= 0)
		close(fd);
	free(path);
	return ok;
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

long site_find_run(const struct site *s, const char *id)
{
	const struct idmap *m = &s->ids;
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

static int progress_on(const struct site *s)
{
	return !s->opts->quiet && isatty(2);
}

static void progress(const struct site *s)
{
	if (progress_on(s))
		fprintf(stderr, "\r[%zu/%zu stores] runs: %zu", s->store_no, s->nstores,
		        s->nruns);
}

static void sink_store_begin(void *ctx, const struct store_ref *store, size_t i, size_t n)
{
	struct site *s = ctx;
	s->store_no = i + 1;
	s->nstores = n;
	kvlist_free(&s->store_exps);
	kvlist_free(&s->store_descs);
	s->store_path = store->path;
	progress(s);
}

static void sink_experiment(void *ctx, struct experiment *e)
{
	struct site *s = ctx;
	if (e->id && e->name) {
		kvlist_add(&s->store_exps, e->id, e->name);
		if (e->description && *e->description)
			kvlist_add(&s->store_descs, e->name, e->description);
	}
	experiment_free(e);
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

/* ---- run charts, drawn by worker threads while the reader goes on ---- */

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
 * between left it in pieces the next run's arrays do not fit, so the heap
 * kept growing by a series at a time: building the TensorBoard 'long'
 * store (4 runs of 96 MB of points) peaked at 144 MB, now 124 MB, for
 * about 0.2 s of page faults. */
static void charts_done(struct run *r, uint64_t points)
{
	run_slim(r);
	if (points >= CHART_POINT_BUDGET / 2)
		malloc_trim(0);
}

static void *chart_worker(void *arg)
{
	struct chart_pool *p = arg;
	pthread_mutex_lock(&p->mu);
	for (;;) {
		while (!p->head && !p->stop)
			pthread_cond_wait(&p->work, &p->mu);
		if (!p->head)
			break;
		struct chart_job *j = p->head;
		p->head = j->next;
		if (!p->head)
			p->tail = NULL;
		pthread_mutex_unlock(&p->mu);
		j->ok = page_run_charts(p->s, &j->sr);
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
static void charts_start(struct site *s, struct chart_pool *p)
{
	memset(p, 0, sizeof *p);
	p->s = s;
	int jobs = jobs_or_cpus(s->opts->jobs);
	if (jobs < 2)
		return;
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
	s->charts = p;
}

static void charts_submit(struct site *s, size_t idx)
{
	struct chart_pool *p = s->charts;
	struct site_run *sr = &s->runs[idx];
	if (!p || p->nthreads == 0) {
		uint64_t points = run_points(sr->run);
		if (!page_run_charts(s, sr))
			s->failed = 1;
		charts_done(sr->run, points);
		return;
	}
	struct chart_job *j = xcalloc(1, sizeof *j);
	j->idx = idx;
	j->sr = *sr;
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

/* Waits for every chart, then gives each run its charts back. */
static void charts_finish(struct site *s, struct chart_pool *p)
{
	s->charts = NULL;
	if (p->nthreads == 0)
		return;
	pthread_mutex_lock(&p->mu);
	p->stop = 1;
	pthread_cond_broadcast(&p->work);
	pthread_mutex_unlock(&p->mu);
	for (int t = 0; t < p->nthreads; t++)
		pthread_join(p->threads[t], NULL);
	while (p->done) {
		struct chart_job *j = p->done;
		p->done = j->next;
		struct site_run *sr = &s->runs[j->idx];
		sr->charts = j->sr.charts;
		sr->ncharts = j->sr.ncharts;
		sr->capcharts = j->sr.capcharts;
		sr->spill_off = j->sr.spill_off;
		sr->spill_n = j->sr.spill_n;
		if (!j->ok)
			s->failed = 1;
		free(j);
	}
	free(p->threads);
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->work);
	pthread_cond_destroy(&p->space);
}

static int sink_run(void *ctx, struct run *r, const struct kvlist *redacted)
{
	struct site *s = ctx;
	if (s->failed) {
		run_free(r);
		return 0;
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
		ename = kvlist_get(&s->store_exps, r->experiment_id);
	if (!ename)
		ename = r->experiment_id && *r->experiment_id ? r->experiment_id : "(no experiment)";
	size_t ei = site_exp_for(s, ename);
	struct site_exp *e = &s->exps[ei];
	if (!e->description) {
		const char *d = kvlist_get(&s->store_descs, ename);
		if (d)
			e->description = xstrdup(d);
	}
	GROW(e->runs, e->capruns, e->nruns + 1);
	e->runs[e->nruns++] = s->nruns;

	GROW(s->runs, s->capruns, s->nruns + 1);
	struct site_run *sr = &s->runs[s->nruns];
	memset(sr, 0, sizeof *sr);
	sr->run = r;
	sr->slug = slug_run(&s->run_slugs, r->name, r->id);
	sr->color = (int)s->nruns;
	sr->exp = ei;
	sr->parent = -1;
	idmap_put(&s->ids, r->id, s->nruns);
	s->nruns++;
	charts_submit(s, s->nruns - 1);
	progress(s);
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
	int c = strcmp(x->name, y->name);
	return c ? c : strcmp(x->id, y->id);
}

static int cmp_exp_name(const void *a, const void *b)
{
	const struct site_exp *x = &sort_site->exps[*(const size_t *)a];
	const struct site_exp *y = &sort_site->exps[*(const size_t *)b];
	return strcmp(x->name, y->name);
}

/* Links parents and children and sorts every list for display. */
static void site_arrange(struct site *s)
{
	for (size_t i = 0; i < s->nruns; i++) {
		struct site_run *sr = &s->runs[i];
		long p = site_find_run(s, sr->run->parent_id);
		if (p < 0 || (size_t)p == i)
			continue;
		sr->parent = p;
		struct site_run *pr = &s->runs[p];
		GROW(pr->children, pr->capchildren, pr->nchildren + 1);
		pr->children[pr->nchildren++] = i;
	}
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

/* ---- run pages, on opts->jobs threads ---- */

struct job_pool {
	struct site *s;
	atomic_size_t next;
	atomic_int failed;
};

static void *run_pages_worker(void *arg)
{
	struct job_pool *p = arg;
	for (;;) {
		size_t i = atomic_fetch_add(&p->next, 1);
		if (i >= p->s->nruns || atomic_load(&p->failed))
			break;
		if (!page_run(p->s, i))
			atomic_store(&p->failed, 1);
	}
	return NULL;
}

/* Writes every run page. Each page depends only on the build state, which
 * is read-only by now, so the pages are the same whatever the thread count. */
static int write_run_pages(struct site *s)
{
	struct job_pool pool;
	pool.s = s;
	atomic_init(&pool.next, 0);
	atomic_init(&pool.failed, 0);
	int jobs = jobs_or_cpus(s->opts->jobs);
	if ((size_t)jobs > s->nruns)
		jobs = s->nruns ? (int)s->nruns : 1;
	pthread_t *th = xcalloc((size_t)jobs, sizeof *th);
	int started = 0;
	for (int j = 1; j < jobs; j++)
		if (pthread_create(&th[j], NULL, run_pages_worker, &pool) == 0)
			started = j;
		else
			break;
	run_pages_worker(&pool);
	for (int j = 1; j <= started; j++)
		pthread_join(th[j], NULL);
	free(th);
	return !atomic_load(&pool.failed);
}

/* ---- templates and assets ---- */

static const struct embedded_file *embedded_find(const char *path)
{
	for (size_t i = 0; embedded_files[i].path; i++)
		if (strcmp(embedded_files[i].path, path) == 0)
			return &embedded_files[i];
	return NULL;
}

/* Loads path ("templates/run.html") from the user's folder (by its base
 * name) when it is there, else from the binary. Returns 1, or 0 reported. */
static int load_source(const struct site_opts *o, const char *path, struct buf *out)
{
	if (o->templates_dir) {
		char *user = path_join(o->templates_dir, strrchr(path, '/') + 1);
		int ok = read_file(user, out, 16u << 20);
		if (!ok && errno != ENOENT)
			diag_msg("cannot read %s: %s", user, strerror(errno));
		free(user);
		if (ok)
			return 1;
		if (errno != ENOENT)
			return 0;
		buf_reset(out);
	}
	const struct embedded_file *f = embedded_find(path);
	if (!f) {
		diag_msg("%s is not built into this runsite", path);
		return 0;
	}
	buf_put(out, f->data, f->size);
	buf_cstr(out);
	return 1;
}

static int write_assets(struct site *s)
{
	for (size_t i = 0; embedded_files[i].path; i++) {
		const char *p = embedded_files[i].path;
		if (!str_starts(p, "assets/"))
			continue;
		struct buf b = BUF_INIT;
		int ok = load_source(s->opts, p, &b) && site_write(s, p, b.data, b.size);
		buf_free(&b);
		if (!ok)
			return 0;
	}
	return 1;
}

/* ---- the output folder ---- */

/* The absolute form of path, resolving what exists of it. Caller frees. */
static char *abs_path(const char *path)
{
	char *r = realpath(path, NULL);
	if (r)
		return r;
	char *copy = xstrdup(path);
	char *slash = strrchr(copy, '/');
	char *out = NULL;
	while (slash && slash > copy && slash[1] == '\0') {
		*slash = '\0';
		slash = strrchr(copy, '/');
	}
	if (!slash) {
		char *cwd = realpath(".", NULL);
		out = cwd ? path_join(cwd, copy) : NULL;
		free(cwd);
	} else if (slash == copy) {
		out = xstrdup(copy);
	} else {
		*slash = '\0';
		char *parent = abs_path(copy);
		out = parent ? path_join(parent, slash + 1) : NULL;
		free(parent);
	}
	free(copy);
	return out;
}

/* True when path a is b or lies below it. */
static int path_within(const char *a, const char *b)
{
	size_t n = strlen(b);
	return strncmp(a, b, n) == 0 && (a[n] == '\0' || a[n] == '/' || (n == 1 && b[0] == '/'));
}

/* Checks that the site may go to out (absolute): it does not exist, or it
 * is a folder that is empty, marked as ours, or given up by --force; and it
 * neither holds nor lies inside an input store. Returns 1, or 0 reported. */
static int check_out_dir(const char *out, const char *given, const struct discovery *d,
                         bool force)
{
	if (strcmp(out, "/") == 0) {
		diag_msg("refusing to write the site to /");
		return 0;
	}
	for (size_t i = 0; i < d->nstores; i++) {
		char *sp = abs_path(d->stores[i].path);
		int clash = sp && (path_within(sp, out) || path_within(out, sp));
		if (clash)
			diag_msg("refusing to write the site to %s: it overlaps the run store %s "
			         "(input stores are never written to)",
			         given, d->stores[i].path);
		free(sp);
		if (clash)
			return 0;
	}
	struct stat st;
	if (lstat(out, &st) != 0)
		return errno == ENOENT ? 1 : (diag_msg("%s: %s", given, strerror(errno)), 0);
	if (S_ISLNK(st.st_mode)) {
		diag_msg("refusing to replace %s: it is a symbolic link (give the folder it points to)",
		         given);
		return 0;
	}
	if (!S_ISDIR(st.st_mode)) {
		diag_msg("refusing to replace %s: it is not a folder", given);
		return 0;
	}
	char *marker = path_join(out, SITE_MARKER);
	int ours = access(marker, F_OK) == 0;
	free(marker);
	if (ours || force)
		return 1;
	int empty = 1;
	DIR *dir = opendir(out);
	if (!dir) {
		diag_msg("%s: %s", given, strerror(errno));
		return 0;
	}
	for (struct dirent *de; empty && (de = readdir(dir));)
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			empty = 0;
	closedir(dir);
	if (!empty)
		diag_msg("refusing to write into %s: it is not empty and runsite did not make it "
		         "(use --force to replace it)",
		         given);
	return empty;
}

/* Puts the finished folder tmp in place of out (absolute). Returns 1, or 0 reported. */
static int swap_in(const char *tmp, const char *out, const char *given)
{
	struct stat st;
	if (lstat(out, &st) != 0) {
		if (rename(tmp, out) == 0)
			return 1;
		diag_msg("cannot move the new site to %s: %s", given, strerror(errno));
		return 0;
	}
	/* One atomic exchange where the file system can; the old site ends up
	 * in tmp and is removed. */
	if (renameat2(AT_FDCWD, tmp, AT_FDCWD, out, RENAME_EXCHANGE) == 0) {
		remove_tree(tmp);
		return 1;
	}
	if (errno != EINVAL && errno != ENOSYS && errno != ENOTSUP) {
		diag_msg("cannot move the new site to %s: %s", given, strerror(errno));
		return 0;
	}
	char *old = xasprintf("%s.old-XXXXXX", out);
	int ok = 0;
	if (!mkdtemp(old) || rename(out, old) != 0) {
		diag_msg("cannot move the old site %s aside: %s", given, strerror(errno));
		goto out;
	}
	if (rename(tmp, out) != 0) {
		diag_msg("cannot move the new site to %s: %s", given, strerror(errno));
		rename(old, out);
		goto out;
	}
	remove_tree(old);
	ok = 1;
out:
	free(old);
	return ok;
}

/* ---- the build ---- */

static void site_free(struct site *s)
{
	for (size_t i = 0; i < s->nruns; i++) {
		struct site_run *sr = &s->runs[i];
		for (size_t c = 0; c < sr->ncharts; c++) {
			free(sr->charts[c].slug);
			free(sr->charts[c].alt);
		}
		free(sr->charts);
		free(sr->children);
		free(sr->spill_off);
		free(sr->spill_n);
		run_free(sr->run);
	}
	free(s->runs);
	free(s->order);
	for (size_t e = 0; e < s->nexps; e++) {
		free(s->exps[e].name);
		free(s->exps[e].description);
		free(s->exps[e].runs);
	}
	free(s->exps);
	slugset_free(&s->run_slugs);
	slugset_free(&s->exp_slugs);
	for (size_t c = 0; c < s->ncmps; c++) {
		free(s->cmps[c].title);
		free(s->cmps[c].runs);
	}
	free(s->cmps);
	slugset_free(&s->cmp_slugs);
	free(s->ids.keys);
	free(s->ids.vals);
	kvlist_free(&s->store_exps);
	kvlist_free(&s->store_descs);
	buf_free(&s->tpl_index);
	buf_free(&s->tpl_exp);
	buf_free(&s->tpl_run);
	buf_free(&s->tpl_cmp);
	free(s->tmp);
}

/* Checks that each template parses, before any store is read. */
static int templates_ok(struct site *s)
{
	const struct buf *t[] = {&s->tpl_index, &s->tpl_exp, &s->tpl_run, &s->tpl_cmp};
	static const char *const names[] = {"index.html", "experiment.html", "run.html",
	                                    "compare.html"};
	for (int i = 0; i < 4; i++) {
		htmlDocPtr doc = tmpl_parse(t[i]->data, t[i]->size);
		if (!doc) {
			diag_msg("template %s could not be parsed as HTML", names[i]);
			return 0;
		}
		xmlFreeDoc(doc);
	}
	return 1;
}

int site_build(const struct discovery *d, const struct reader_opts *ropts,
               const struct site_opts *opts)
{
	struct site s;
	memset(&s, 0, sizeof s);
	s.opts = opts;
	s.ropts = ropts;
	s.baseline = -1;
	int rc = EXIT_OUTPUT;
	char *out = NULL;
	const char *given = opts->out_dir && *opts->out_dir ? opts->out_dir : "site";

	xmlInitParser();
	notes_init();
	if (opts->templates_dir) {
		struct stat st;
		if (stat(opts->templates_dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
			diag_msg("--templates %s: not a folder", opts->templates_dir);
			rc = EXIT_USAGE;
			goto out;
		}
	}
	if (!load_source(opts, "templates/index.html", &s.tpl_index) ||
	    !load_source(opts, "templates/experiment.html", &s.tpl_exp) ||
	    !load_source(opts, "templates/run.html", &s.tpl_run) ||
	    !load_source(opts, "templates/compare.html", &s.tpl_cmp) || !templates_ok(&s))
		goto out;
	/* Everything about the output folder is settled before any store is read. */
	out = abs_path(given);
	if (!out) {
		diag_msg("%s: %s", given, strerror(errno));
		goto out;
	}
	if (!check_out_dir(out, given, d, opts->force))
		goto out;
	char *parent = xstrdup(out);
	*strrchr(parent, '/') = '\0';
	if (*parent && !mkdir_p(parent, 0777)) {
		diag_msg("cannot make folder %s: %s", parent, strerror(errno));
		free(parent);
		goto out;
	}
	free(parent);
	s.tmp = xasprintf("%s.tmp-XXXXXX", out);
	if (!mkdtemp(s.tmp)) {
		diag_msg("cannot make a temporary folder beside %s: %s", given, strerror(errno));
		free(s.tmp);
		s.tmp = NULL;
		goto out;
	}
	/* mkdtemp makes it private; a site is for reading. */
	mode_t mask = umask(0);
	umask(mask);
	chmod(s.tmp, 0777 & ~mask);

	s.cache = cache_open(opts->no_cache ? NULL : out, s.tmp);
	struct pipeline_consumer consumer = {&s, sink_store_begin, sink_experiment, sink_run};
	struct pipeline_stats stats;
	memset(&stats, 0, sizeof stats);
	struct chart_pool pool;
	charts_start(&s, &pool);
	pipeline_read(d, ropts, !opts->no_redact, &consumer, &stats);
	charts_finish(&s, &pool);
	size_t unreadable = stats.unreadable_stores;
	int fatal = stats.fatal;
	if (progress_on(&s))
		fputs("\r\033[K", stderr);
	if (stats.duplicates.n && !opts->quiet)
		diag_msg("%zu run%s also in an earlier store, shown once (`runsite ls` lists them)",
		         stats.duplicates.n, stats.duplicates.n == 1 ? " was" : "s were");
	pipeline_stats_free(&stats);
	if (s.failed)
		goto out;
	if (fatal) {
		/* A store failed part-way (a tracking server gone): no partial site. */
		diag_msg("a store could not be read to the end; %s left as it was", given);
		rc = fatal;
		goto out;
	}
	if (s.nruns == 0) {
		diag_msg("no runs were read%s; %s left as it was",
		         unreadable ? " (stores could not be read)" : "", given);
		rc = EXIT_NO_INPUT;
		goto out;
	}
	site_arrange(&s);
	site_plan_compares(&s);
	if (!write_run_pages(&s))
		goto out;
	for (size_t e = 0; e < s.nexps; e++)
		if (!page_experiment(&s, e))
			goto out;
	for (size_t c = 0; c < s.ncmps; c++)
		if (!page_compare(&s, c))
			goto out;
	static const char marker_text[] =
	        "This folder was made by runsite; `runsite build` replaces it whole.\n";
	if (!page_index(&s) || !write_assets(&s) ||
	    !site_write(&s, SITE_MARKER, marker_text, sizeof marker_text - 1))
		goto out;
	size_t reused, drawn;
	int cache_ok = cache_close(s.cache, 1, &reused, &drawn);
	s.cache = NULL;
	if (!cache_ok)
		goto out;
	if (reused && !opts->quiet)
		diag_msg("%zu of %zu charts were unchanged and taken from %s", reused,
		         reused + drawn, given);
	char *spill = path_join(s.tmp, SPILL_DIR);
	remove_tree(spill);
	free(spill);
	if (!swap_in(s.tmp, out, given))
		goto out;
	free(s.tmp);
	s.tmp = NULL;
	rc = EXIT_OK;
out:
	cache_close(s.cache, 0, NULL, NULL);
	if (s.tmp)
		remove_tree(s.tmp);
	free(out);
	site_free(&s);
	return rc;
}
