/* model.c — the run model: construction, series accumulation, exact
 * summaries and M4 decimation. */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "runsite/model.h"
#include "runsite/util.h"

/* ---- shared strings ---- */

/* Texts that runs hold alike (metric names, param names and values, status,
 * store, ...) are kept once for the whole process from the moment a run is
 * slimmed (run_slim), so 10,000 runs of the same six metrics hold six names.
 * A shared text is never freed: run_free and kvlist_free leave the ones
 * the pool holds. The pool is an open-addressing set of the texts
 * themselves; slimming happens on the chart workers, so it is locked. */
static struct {
	pthread_mutex_t mu;
	char **slots; /* NULL: free */
	size_t n, cap;
} pool = {PTHREAD_MUTEX_INITIALIZER, NULL, 0, 0};

/* The slot holding text s (same bytes), or the free slot where it would go. */
static size_t pool_slot(const char *s)
{
	size_t i = hash_str(s) & (pool.cap - 1);
	while (pool.slots[i] && strcmp(pool.slots[i], s) != 0)
		i = (i + 1) & (pool.cap - 1);
	return i;
}

/* Whether p is a text the pool holds (that very allocation). */
static bool pool_owns(const char *p)
{
	if (!p)
		return false;
	pthread_mutex_lock(&pool.mu);
	bool owned = pool.cap && pool.slots[pool_slot(p)] == p;
	pthread_mutex_unlock(&pool.mu);
	return owned;
}

/* Frees p unless the pool holds it. */
static void text_free(char *p)
{
	if (!pool_owns(p))
		free(p);
}

/* Replaces *field by the pool's text of the same bytes, which takes over
 * *field's allocation when it has none yet. */
static void share(char **field)
{
	if (!*field)
		return;
	pthread_mutex_lock(&pool.mu);
	if ((pool.n + 1) * 2 > pool.cap) {
		size_t oldcap = pool.cap;
		char **old = pool.slots;
		pool.cap = oldcap ? oldcap * 2 : 256;
		pool.slots = xcalloc(pool.cap, sizeof *pool.slots);
		for (size_t i = 0; i < oldcap; i++)
			if (old[i])
				pool.slots[pool_slot(old[i])] = old[i];
		free(old);
	}
	size_t i = pool_slot(*field);
	if (!pool.slots[i]) {
		pool.slots[i] = *field;
		pool.n++;
	} else if (pool.slots[i] != *field) {
		free(*field);
		*field = pool.slots[i];
	}
	pthread_mutex_unlock(&pool.mu);
}

static void kvlist_share(struct kvlist *l)
{
	for (size_t i = 0; i < l->n; i++) {
		share(&l->items[i].key);
		share(&l->items[i].value);
	}
	if (l->cap > l->n && l->n) {
		l->items = xreallocarray(l->items, l->n, sizeof *l->items);
		l->cap = l->n;
	}
}

struct experiment *experiment_new(void)
{
	struct experiment *e = xcalloc(1, sizeof *e);
	e->created_ms = TIME_UNKNOWN;
	return e;
}

void experiment_free(struct experiment *e)
{
	if (!e)
		return;
	free(e->id);
	free(e->name);
	free(e->description);
	free(e->artifact_location);
	kvlist_free(&e->tags);
	free(e);
}

struct run *run_new(const char *format, const char *store)
{
	struct run *r = xcalloc(1, sizeof *r);
	r->format = format;
	r->store = xstrdup(store ? store : "");
	r->start_ms = TIME_UNKNOWN;
	r->end_ms = TIME_UNKNOWN;
	return r;
}

void run_free(struct run *r)
{
	if (!r)
		return;
	text_free(r->store);
	free(r->artifact_dir);
	free(r->id);
	free(r->name);
	text_free(r->experiment_id);
	text_free(r->experiment_name);
	text_free(r->status);
	text_free(r->user);
	text_free(r->source_name);
	text_free(r->source_type);
	free(r->git_commit);
	text_free(r->git_branch);
	text_free(r->git_repo);
	free(r->parent_id);
	free(r->notes);
	kvlist_free(&r->params);
	kvlist_free(&r->tags);
	kvlist_free(&r->extras);
	kvlist_free(&r->sources);
	for (size_t i = 0; i < r->nmetrics; i++) {
		text_free(r->metrics[i].key);
		free(r->metrics[i].pts);
		free(r->metrics[i].dec);
	}
	free(r->metrics);
	for (size_t i = 0; i < r->nartifacts; i++)
		text_free(r->artifacts[i].path);
	free(r->artifacts);
	for (size_t i = 0; i < r->ndatasets; i++) {
		struct dataset_input *d = &r->datasets[i];
		free(d->name);
		free(d->digest);
		free(d->context);
		free(d->source_type);
		free(d->source);
		free(d->schema);
		free(d->profile);
	}
	free(r->datasets);
	for (size_t i = 0; i < r->nmodels; i++) {
		struct logged_model *m = &r->models[i];
		free(m->id);
		free(m->name);
		free(m->type);
		free(m->status);
		free(m->uri);
	}
	free(r->models);
	free(r);
}

void kvlist_add(struct kvlist *l, const char *key, const char *value)
{
	GROW(l->items, l->cap, l->n + 1);
	l->items[l->n].key = xstrdup(key);
	l->items[l->n].value = xstrdup(value ? value : "");
	l->n++;
}

const char *kvlist_get(const struct kvlist *l, const char *key)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->items[i].key, key) == 0)
			return l->items[i].value;
	return NULL;
}

static int cmp_kv(const void *a, const void *b)
{
	const struct kv *x = a, *y = b;
	int c = strcmp(x->key, y->key);
	return c ? c : strcmp(x->value, y->value);
}

void kvlist_sort(struct kvlist *l)
{
	if (l->n > 1)
		qsort(l->items, l->n, sizeof *l->items, cmp_kv);
}

void kvlist_free(struct kvlist *l)
{
	for (size_t i = 0; i < l->n; i++) {
		text_free(l->items[i].key);
		text_free(l->items[i].value);
	}
	free(l->items);
	l->items = NULL;
	l->n = l->cap = 0;
}

struct series *run_series(struct run *r, const char *key)
{
	/* Readers tend to add a key's points together, so look at the last one first. */
	if (r->nmetrics && strcmp(r->metrics[r->nmetrics - 1].key, key) == 0)
		return &r->metrics[r->nmetrics - 1];
	for (size_t i = 0; i < r->nmetrics; i++)
		if (strcmp(r->metrics[i].key, key) == 0)
			return &r->metrics[i];
	GROW(r->metrics, r->capmetrics, r->nmetrics + 1);
	struct series *s = &r->metrics[r->nmetrics++];
	memset(s, 0, sizeof *s);
	s->key = xstrdup(key);
	return s;
}

const struct series *run_find_series(const struct run *r, const char *key)
{
	for (size_t i = 0; i < r->nmetrics; i++)
		if (strcmp(r->metrics[i].key, key) == 0)
			return &r->metrics[i];
	return NULL;
}

void series_add(struct series *s, int64_t step, int64_t time_ms, double value)
{
	GROW(s->pts, s->cap, s->n + 1);
	s->pts[s->n++] = (struct point){step, time_ms, value};
}

void run_add_artifact(struct run *r, const char *path, int64_t size)
{
	GROW(r->artifacts, r->capartifacts, r->nartifacts + 1);
	r->artifacts[r->nartifacts].path = xstrdup(path);
	r->artifacts[r->nartifacts].size = size;
	r->nartifacts++;
}

struct dataset_input *run_add_dataset(struct run *r)
{
	GROW(r->datasets, r->capdatasets, r->ndatasets + 1);
	struct dataset_input *d = &r->datasets[r->ndatasets++];
	memset(d, 0, sizeof *d);
	return d;
}

struct logged_model *run_add_model(struct run *r)
{
	GROW(r->models, r->capmodels, r->nmodels + 1);
	struct logged_model *m = &r->models[r->nmodels++];
	memset(m, 0, sizeof *m);
	return m;
}

int value_cmp(double a, double b)
{
	int na = isnan(a), nb = isnan(b);
	if (na || nb)
		return na - nb;
	return (a > b) - (a < b);
}

int point_cmp(const struct point *a, const struct point *b)
{
	if (a->step != b->step)
		return a->step < b->step ? -1 : 1;
	if (a->time_ms != b->time_ms)
		return a->time_ms < b->time_ms ? -1 : 1;
	return value_cmp(a->value, b->value);
}

static int cmp_point_q(const void *a, const void *b)
{
	return point_cmp(a, b);
}

size_t points_sort_unique(struct point *pts, size_t n)
{
	if (n < 2)
		return n;
	/* Most stores log one point per step in order: strictly increasing steps
	 * mean sorted and free of duplicates, checked with one comparison a point. */
	size_t k = 1;
	while (k < n && pts[k].step > pts[k - 1].step)
		k++;
	if (k == n)
		return n;
	int sorted = 1;
	for (size_t i = 1; i < n && sorted; i++)
		if (point_cmp(&pts[i - 1], &pts[i]) > 0)
			sorted = 0;
	if (!sorted)
		qsort(pts, n, sizeof *pts, cmp_point_q);
	size_t out = 1;
	for (size_t i = 1; i < n; i++)
		if (point_cmp(&pts[out - 1], &pts[i]) != 0)
			pts[out++] = pts[i];
	return out;
}

void summary_compute(struct metric_summary *sum, const struct point *pts, size_t n)
{
	memset(sum, 0, sizeof *sum);
	sum->count = n;
	if (n == 0)
		return;
	sum->first = pts[0];
	sum->last = pts[n - 1];
	for (size_t i = 0; i < n; i++) {
		double v = pts[i].value;
		if (__builtin_expect(!isfinite(v), 0)) {
			if (isnan(v))
				sum->nan_count++;
			else
				sum->inf_count++;
			continue;
		}
		/* Points are sorted by (step, time), so strict comparisons keep the earliest. */
		if (!sum->has_finite) {
			sum->has_finite = true;
			sum->min = sum->max = pts[i];
			continue;
		}
		if (v < sum->min.value)
			sum->min = pts[i];
		if (v > sum->max.value)
			sum->max = pts[i];
	}
}

static bool earlier(const struct point *a, const struct point *b)
{
	return a->step < b->step || (a->step == b->step && a->time_ms < b->time_ms);
}

void summary_fold(struct metric_summary *s, struct point p)
{
	if (s->count++ == 0) {
		s->first = s->last = p;
	} else if (point_cmp(&p, &s->first) < 0) {
		s->first = p;
	} else if (point_cmp(&p, &s->last) > 0) {
		s->last = p;
	}
	double v = p.value;
	if (!isfinite(v)) {
		if (isnan(v))
			s->nan_count++;
		else
			s->inf_count++;
		return;
	}
	if (!s->has_finite) {
		s->has_finite = true;
		s->min = s->max = p;
		return;
	}
	if (v < s->min.value || (v == s->min.value && earlier(&p, &s->min)))
		s->min = p;
	if (v > s->max.value || (v == s->max.value && earlier(&p, &s->max)))
		s->max = p;
}

struct point *points_decimate_m4(const struct point *pts, size_t n, size_t buckets, size_t *nout)
{
	*nout = 0;
	if (n == 0 || buckets == 0)
		return NULL;
	if (n <= 4 * buckets) {
		struct point *copy = xreallocarray(NULL, n, sizeof *copy);
		memcpy(copy, pts, n * sizeof *copy);
		*nout = n;
		return copy;
	}
	struct point *out = xreallocarray(NULL, 4 * buckets, sizeof *out);
	double lo = (double)pts[0].step, hi = (double)pts[n - 1].step;
	double width = hi > lo ? (hi - lo) : 1.0;
	size_t i = 0, k = 0, b = 0;
	while (i < n) {
		/* Bucket b holds the steps below its upper edge (the last one holds the rest);
		 * edges advance as the sorted points pass them, with no division per point. */
		double edge = b + 1 < buckets ? lo + width * (double)(b + 1) / (double)buckets : INFINITY;
		if ((double)pts[i].step >= edge) {
			b++;
			continue;
		}
		size_t start = i, imin = SIZE_MAX, imax = SIZE_MAX;
		for (; i < n && (double)pts[i].step < edge; i++) {
			double v = pts[i].value;
			if (isfinite(v)) {
				if (imin == SIZE_MAX || v < pts[imin].value)
					imin = i;
				if (imax == SIZE_MAX || v > pts[imax].value)
					imax = i;
			}
		}
		size_t end = i - 1;
		/* Keep first, min, max, last in step order; a non-finite first or
		 * last point is kept, so gaps in the line survive decimation. */
		size_t keep[4] = {start, imin, imax, end};
		if (keep[1] != SIZE_MAX && keep[2] != SIZE_MAX && keep[1] > keep[2]) {
			size_t t = keep[1];
			keep[1] = keep[2];
			keep[2] = t;
		}
		size_t prev = SIZE_MAX;
		for (int j = 0; j < 4; j++) {
			if (keep[j] == SIZE_MAX || keep[j] == prev)
				continue;
			if (prev != SIZE_MAX && keep[j] < prev)
				continue;
			out[k++] = pts[keep[j]];
			prev = keep[j];
		}
		b++;
	}
	*nout = k;
	return out;
}

static int cmp_series(const void *a, const void *b)
{
	return strcmp(((const struct series *)a)->key, ((const struct series *)b)->key);
}

static int cmp_artifact(const void *a, const void *b)
{
	return strcmp(((const struct artifact *)a)->path, ((const struct artifact *)b)->path);
}

/* The common case in one pass over the points: steps strictly increasing
 * (so sorted and free of duplicates) and the summary at the same time.
 * Returns 0, leaving sum unfinished, as soon as a step does not increase. */
static int summary_if_increasing(struct metric_summary *sum, const struct point *pts, size_t n)
{
	memset(sum, 0, sizeof *sum);
	sum->count = n;
	if (n == 0)
		return 1;
	double lo = INFINITY, hi = -INFINITY;
	size_t ilo = 0, ihi = 0;
	int64_t prev = INT64_MIN;
	for (size_t i = 0; i < n; i++) {
		if (i && pts[i].step <= prev)
			return 0;
		prev = pts[i].step;
		double v = pts[i].value;
		if (__builtin_expect(!isfinite(v), 0)) {
			if (isnan(v))
				sum->nan_count++;
			else
				sum->inf_count++;
			continue;
		}
		/* Strict comparisons keep the earliest step on a tie. */
		if (v < lo) {
			lo = v;
			ilo = i;
		}
		if (v > hi) {
			hi = v;
			ihi = i;
		}
	}
	sum->first = pts[0];
	sum->last = pts[n - 1];
	if (lo <= hi) {
		sum->has_finite = true;
		sum->min = pts[ilo];
		sum->max = pts[ihi];
	}
	return 1;
}

void run_finish(struct run *r, size_t dec_buckets)
{
	for (size_t i = 0; i < r->nmetrics; i++) {
		struct series *s = &r->metrics[i];
		if (s->summarized && s->n) {
			s->sum.count = s->n;
			s->sum.first = s->pts[0];
			s->sum.last = s->pts[s->n - 1];
		} else if (!summary_if_increasing(&s->sum, s->pts, s->n)) {
			s->n = points_sort_unique(s->pts, s->n);
			summary_compute(&s->sum, s->pts, s->n);
		}
		s->summarized = false; /* the summary is complete; later changes recount */
		free(s->dec);
		s->dec = points_decimate_m4(s->pts, s->n, dec_buckets, &s->ndec);
	}
	run_sort_lists(r);
}

void run_sort_lists(struct run *r)
{
	if (r->nmetrics > 1)
		qsort(r->metrics, r->nmetrics, sizeof *r->metrics, cmp_series);
	if (r->nartifacts > 1)
		qsort(r->artifacts, r->nartifacts, sizeof *r->artifacts, cmp_artifact);
	kvlist_sort(&r->params);
	kvlist_sort(&r->tags);
	if (!r->status)
		r->status = xstrdup("UNKNOWN");
	if (!r->name || !*r->name) {
		free(r->name);
		r->name = xstrdup(r->id ? r->id : "(unnamed)");
	}
	if (!r->id)
		r->id = xstrdup(r->name);
}

void run_slim(struct run *r)
{
	for (size_t i = 0; i < r->nmetrics; i++) {
		free(r->metrics[i].pts);
		r->metrics[i].pts = NULL;
		r->metrics[i].n = r->metrics[i].cap = 0;
		share(&r->metrics[i].key);
	}
	/* What is left is kept until the site is written: the texts runs share
	 * are held once, the lists without the room they grew by. */
	if (r->capmetrics > r->nmetrics && r->nmetrics) {
		r->metrics = xreallocarray(r->metrics, r->nmetrics, sizeof *r->metrics);
		r->capmetrics = r->nmetrics;
	}
	char **fields[] = {&r->store, &r->experiment_id, &r->experiment_name, &r->status,
	                   &r->user, &r->source_name, &r->source_type, &r->git_branch,
	                   &r->git_repo};
	for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
		share(fields[i]);
	kvlist_share(&r->params);
	kvlist_share(&r->tags);
	kvlist_share(&r->extras);
	kvlist_share(&r->sources);
	for (size_t i = 0; i < r->nartifacts; i++)
		share(&r->artifacts[i].path);
	if (r->capartifacts > r->nartifacts && r->nartifacts) {
		r->artifacts = xreallocarray(r->artifacts, r->nartifacts, sizeof *r->artifacts);
		r->capartifacts = r->nartifacts;
	}
}

int64_t run_duration_ms(const struct run *r)
{
	if (r->start_ms == TIME_UNKNOWN || r->end_ms == TIME_UNKNOWN || r->end_ms < r->start_ms)
		return TIME_UNKNOWN;
	return r->end_ms - r->start_ms;
}

bool run_matches(const struct run *r, const char *selector)
{
	if (!selector || !*selector)
		return false;
	if (str_starts(selector, "tag:")) {
		const char *kv = selector + 4, *eq = strchr(kv, '=');
		if (!eq)
			return kvlist_get(&r->tags, kv) != NULL;
		char *key = xstrndup(kv, (size_t)(eq - kv));
		const char *v = kvlist_get(&r->tags, key);
		free(key);
		return v && strcmp(v, eq + 1) == 0;
	}
	return (r->id && strcmp(r->id, selector) == 0) || (r->name && strcmp(r->name, selector) == 0);
}

static void kvlist_make_utf8(struct kvlist *l)
{
	for (size_t i = 0; i < l->n; i++) {
		utf8_fix(&l->items[i].key);
		utf8_fix(&l->items[i].value);
	}
}

void experiment_make_utf8(struct experiment *e)
{
	utf8_fix(&e->id);
	utf8_fix(&e->name);
	utf8_fix(&e->description);
	utf8_fix(&e->artifact_location);
	kvlist_make_utf8(&e->tags);
}

void run_make_utf8(struct run *r)
{
	char **fields[] = {&r->id, &r->name, &r->experiment_id, &r->experiment_name, &r->status,
	                   &r->user, &r->source_name, &r->source_type, &r->git_commit,
	                   &r->git_branch, &r->git_repo, &r->parent_id, &r->notes};
	for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
		utf8_fix(fields[i]);
	kvlist_make_utf8(&r->params);
	kvlist_make_utf8(&r->tags);
	kvlist_make_utf8(&r->extras);
	int keys_changed = 0;
	for (size_t i = 0; i < r->nmetrics; i++) {
		char *old = r->metrics[i].key;
		utf8_fix(&r->metrics[i].key);
		keys_changed |= r->metrics[i].key != old;
	}
	if (keys_changed)
		qsort(r->metrics, r->nmetrics, sizeof *r->metrics, cmp_series);
	for (size_t i = 0; i < r->ndatasets; i++) {
		struct dataset_input *d = &r->datasets[i];
		char **dfields[] = {&d->name, &d->digest, &d->context, &d->source_type,
		                    &d->source, &d->schema, &d->profile};
		for (size_t k = 0; k < sizeof dfields / sizeof dfields[0]; k++)
			utf8_fix(dfields[k]);
	}
	for (size_t i = 0; i < r->nmodels; i++) {
		struct logged_model *m = &r->models[i];
		char **mfields[] = {&m->id, &m->name, &m->type, &m->status, &m->uri};
		for (size_t k = 0; k < sizeof mfields / sizeof mfields[0]; k++)
			utf8_fix(mfields[k]);
	}
}

int64_t iso8601_ms(const char *s)
{
	struct tm tm = {0};
	int y, mo, d, h, mi;
	double sec;
	if (!s || sscanf(s, "%d-%d-%dT%d:%d:%lf", &y, &mo, &d, &h, &mi, &sec) != 6)
		return TIME_UNKNOWN;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	return (int64_t)timegm(&tm) * 1000 + (int64_t)llround(sec * 1000.0);
}
