/* model.c — the run model: construction, series accumulation, exact
 * summaries and M4 decimation. */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "runsite/model.h"
#include "runsite/simd.h"
#include "runsite/util.h"

/* ---- shared strings ---- */

/* Texts that runs hold alike (metric names, param names and values, status,
 * store, ...) are kept once for the whole process from the moment a run is
 * slimmed (run_slim), so 10,000 runs of the same six metrics hold six names.
 * A shared text is never freed: run_free and kvlist_free leave the ones
 * the pool holds. The pool is an open-addressing set of the texts
 * themselves; slimming happens on the chart workers, so it is locked.
 * A text enters the pool the second time it is seen: the first time only
 * its hash is noted, and the text stays in its run's block, so a text one
 * run alone holds (its store's path, its seed) costs its bytes there and a
 * hash, not an allocation of its own kept to the end. */
static struct {
	pthread_mutex_t mu;
	char **slots; /* NULL: free */
	size_t n, cap;
	uint32_t *seen; /* hashes of texts seen once (0: free), open addressing: 32 bits
	                 * are enough, as two texts taken for one only means the second
	                 * is pooled on first sight */
	size_t nseen, capseen;
} pool = {PTHREAD_MUTEX_INITIALIZER, NULL, 0, 0, NULL, 0, 0};

/* Notes hash h (not 0) as seen; returns whether it was already. */
static bool seen_before(uint32_t h)
{
	if ((pool.nseen + 1) * 2 > pool.capseen) {
		size_t oldcap = pool.capseen;
		uint32_t *old = pool.seen;
		pool.capseen = oldcap ? oldcap * 2 : 256;
		pool.seen = xcalloc(pool.capseen, sizeof *pool.seen);
		pool.nseen = 0;
		for (size_t i = 0; i < oldcap; i++)
			if (old[i])
				seen_before(old[i]);
		free(old);
	}
	size_t i = (h >> 1) & (pool.capseen - 1);
	while (pool.seen[i] && pool.seen[i] != h)
		i = (i + 1) & (pool.capseen - 1);
	if (pool.seen[i])
		return true;
	pool.seen[i] = h;
	pool.nseen++;
	return false;
}

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
		/* Not pooled yet: the first time, it stays the run's own. */
		if (seen_before((uint32_t)(hash_str(*field) >> 32) | 1)) {
			pool.slots[i] = *field;
			pool.n++;
		}
	} else if (pool.slots[i] != *field) {
		free(*field);
		*field = pool.slots[i];
	}
	pthread_mutex_unlock(&pool.mu);
}

void run_share_forget(void)
{
	pthread_mutex_lock(&pool.mu);
	free(pool.seen);
	pool.seen = NULL;
	pool.nseen = pool.capseen = 0;
	pthread_mutex_unlock(&pool.mu);
}

static void kvlist_share(struct kvlist *l)
{
	for (size_t i = 0; i < l->n; i++) {
		share(&l->items[i].key);
		share(&l->items[i].value);
	}
}

/* ---- a slimmed run in one block ---- */

/* run_slim moves what is left of a run (its own texts and its lists) into
 * one block: a run kept until the pages are written is then one piece
 * instead of dozens, with no room its lists grew by. The blocks are cut
 * from slabs of their own, one after the other, so that what runs keep is
 * not spread among the memory their reading took and gave back: the pages
 * then find that memory in one piece. A slab is freed with its last block. */
#define SLAB_SIZE ((size_t)64 << 10)

struct slab {
	size_t used; /* bytes of data cut so far */
	size_t live; /* blocks not freed */
	_Alignas(max_align_t) char data[];
};

/* A block starts with this header (in_pack, pack_free). */
struct pack_head {
	size_t len;        /* of the whole block */
	struct slab *slab; /* NULL: a block of its own */
};

static struct {
	pthread_mutex_t mu;
	struct slab *cur; /* the slab blocks are cut from */
} slabs = {PTHREAD_MUTEX_INITIALIZER, NULL};

static char *pack_alloc(size_t len)
{
	len = (len + _Alignof(max_align_t) - 1) / _Alignof(max_align_t) * _Alignof(max_align_t);
	if (len > (SLAB_SIZE - sizeof(struct slab)) / 4) {
		struct pack_head *h = xmalloc(len);
		*h = (struct pack_head){len, NULL};
		return (char *)h;
	}
	pthread_mutex_lock(&slabs.mu);
	struct slab *sl = slabs.cur;
	if (!sl || sl->used + len > SLAB_SIZE - sizeof(struct slab)) {
		if (sl && sl->live == 0)
			free(sl);
		sl = slabs.cur = xmalloc(SLAB_SIZE);
		sl->used = sl->live = 0;
	}
	struct pack_head *h = (struct pack_head *)(sl->data + sl->used);
	sl->used += len;
	sl->live++;
	pthread_mutex_unlock(&slabs.mu);
	*h = (struct pack_head){len, sl};
	return (char *)h;
}

size_t run_slab_unused(void)
{
	pthread_mutex_lock(&slabs.mu);
	size_t n = slabs.cur ? SLAB_SIZE - sizeof(struct slab) - slabs.cur->used : 0;
	pthread_mutex_unlock(&slabs.mu);
	return n;
}

static void pack_free(char *block)
{
	if (!block)
		return;
	struct pack_head *h = (struct pack_head *)block;
	struct slab *sl = h->slab;
	if (!sl) {
		free(block);
		return;
	}
	pthread_mutex_lock(&slabs.mu);
	if (--sl->live == 0 && sl != slabs.cur)
		free(sl);
	pthread_mutex_unlock(&slabs.mu);
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

/* ---- where runs are ---- */

/* A run is kept from its reading to the end of the build, while the memory
 * its reading took is given back around it: runs allocated one by one
 * would each pin a piece of the heap between freed ones (megabytes over
 * 10,000 runs). They are cut instead from slabs of their own, and a freed
 * run goes on a list for the next one. Under AddressSanitizer every run is
 * an allocation of its own, so that its misuse is still caught. */
#define RUNS_PER_SLAB 128

union run_slot {
	struct run run;
	union run_slot *next; /* on the free list */
};

static struct {
	pthread_mutex_t mu;
	union run_slot *free;  /* freed runs */
	union run_slot *slab;  /* the slab runs are cut from */
	size_t used;           /* runs cut from it */
} run_slots = {PTHREAD_MUTEX_INITIALIZER, NULL, NULL, 0};

static struct run *run_alloc(void)
{
#if defined(__SANITIZE_ADDRESS__)
	return xcalloc(1, sizeof(struct run));
#else
	pthread_mutex_lock(&run_slots.mu);
	union run_slot *slot = run_slots.free;
	if (slot) {
		run_slots.free = slot->next;
	} else {
		if (!run_slots.slab || run_slots.used == RUNS_PER_SLAB) {
			run_slots.slab = xreallocarray(NULL, RUNS_PER_SLAB, sizeof *run_slots.slab);
			run_slots.used = 0;
		}
		slot = &run_slots.slab[run_slots.used++];
	}
	pthread_mutex_unlock(&run_slots.mu);
	memset(slot, 0, sizeof *slot);
	return &slot->run;
#endif
}

static void run_release(struct run *r)
{
#if defined(__SANITIZE_ADDRESS__)
	free(r);
#else
	union run_slot *slot = (union run_slot *)r;
	pthread_mutex_lock(&run_slots.mu);
	slot->next = run_slots.free;
	run_slots.free = slot;
	pthread_mutex_unlock(&run_slots.mu);
#endif
}

struct run *run_new(const char *format, const char *store)
{
	struct run *r = run_alloc();
	r->format = format;
	r->store = xstrdup(store ? store : "");
	r->start_ms = TIME_UNKNOWN;
	r->end_ms = TIME_UNKNOWN;
	return r;
}

/* Whether p is inside r's packed block (run_slim), freed with it. */
static bool in_pack(const struct run *r, const void *p)
{
	if (!r->pack || !p)
		return false;
	const char *c = p, *base = r->pack;
	return c >= base && c < base + ((const struct pack_head *)base)->len;
}

/* Frees text p of run r unless the pool or r's block holds it. */
static void run_text_free(const struct run *r, char *p)
{
	if (!in_pack(r, p))
		text_free(p);
}

/* Frees list p of run r unless r's block holds it. */
static void run_list_free(const struct run *r, void *p)
{
	if (!in_pack(r, p))
		free(p);
}

/* Calls fn with each text field of run r that is r's own or shared (not
 * its lists): the one list of them that run_free and run_pack both walk. */
static void run_each_text(struct run *r, void (*fn)(void *ctx, const struct run *r, char **field),
                          void *ctx)
{
	char **texts[] = {&r->store,      &r->artifact_dir, &r->id,          &r->name,
	                  &r->experiment_id, &r->experiment_name, &r->status, &r->user,
	                  &r->source_name, &r->source_type, &r->git_commit,  &r->git_branch,
	                  &r->git_repo,    &r->parent_id,   &r->notes};
	for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++)
		fn(ctx, r, texts[i]);
	struct kvlist *lists[] = {&r->params, &r->tags, &r->extras, &r->sources};
	for (size_t l = 0; l < sizeof lists / sizeof lists[0]; l++)
		for (size_t i = 0; i < lists[l]->n; i++) {
			fn(ctx, r, &lists[l]->items[i].key);
			fn(ctx, r, &lists[l]->items[i].value);
		}
	for (size_t i = 0; i < r->nmetrics; i++)
		fn(ctx, r, r->sums ? &r->sums[i].key : &r->metrics[i].key);
	for (size_t i = 0; i < r->nartifacts; i++)
		fn(ctx, r, &r->artifacts[i].path);
	for (size_t i = 0; i < r->ndatasets; i++) {
		struct dataset_input *d = &r->datasets[i];
		char **t[] = {&d->name,   &d->digest, &d->context, &d->source_type,
		              &d->source, &d->schema, &d->profile};
		for (size_t k = 0; k < sizeof t / sizeof t[0]; k++)
			fn(ctx, r, t[k]);
	}
	for (size_t i = 0; i < r->nmodels; i++) {
		struct logged_model *m = &r->models[i];
		char **t[] = {&m->id, &m->name, &m->type, &m->status, &m->uri};
		for (size_t k = 0; k < sizeof t / sizeof t[0]; k++)
			fn(ctx, r, t[k]);
	}
}

static void free_text_field(void *ctx, const struct run *r, char **field)
{
	(void)ctx;
	run_text_free(r, *field);
}

void run_free(struct run *r)
{
	if (!r)
		return;
	run_each_text(r, free_text_field, NULL);
	struct kvlist *lists[] = {&r->params, &r->tags, &r->extras, &r->sources};
	for (size_t l = 0; l < sizeof lists / sizeof lists[0]; l++)
		run_list_free(r, lists[l]->items);
	for (size_t i = 0; r->metrics && i < r->nmetrics; i++) {
		free(r->metrics[i].pts);
		free(r->metrics[i].dec);
	}
	run_list_free(r, r->metrics);
	for (size_t i = 0; r->decs && i < r->nmetrics; i++)
		free(r->decs[i]);
	free(r->decs);
	run_list_free(r, r->sums);
	run_list_free(r, r->nonfinite);
	run_list_free(r, r->artifacts);
	run_list_free(r, r->datasets);
	run_list_free(r, r->models);
	pack_free(r->pack);
	run_release(r);
}

void kvlist_add(struct kvlist *l, const char *key, const char *value)
{
	GROW32(l->items, l->cap, l->n + 1);
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
	GROW32(r->metrics, r->capmetrics, r->nmetrics + 1);
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

/* The part of series s's summary a slimmed run keeps, into *out (key too). */
static void sum_of(const struct series *s, struct series_sum *out)
{
	*out = (struct series_sum){.key = s->key,
	                           /* more than memory can count (SERIES_COUNT_MAX):
	                            * only a forged run-cache file, which
	                            * runcache_decode refuses */
	                           .count = s->sum.count < SERIES_COUNT_MAX ? s->sum.count
	                                                                    : SERIES_COUNT_MAX,
	                           .last = {s->sum.last.step, s->sum.last.value},
	                           .min = {s->sum.min.step, s->sum.min.value},
	                           .max = {s->sum.max.step, s->sum.max.value},
	                           .ndec = s->ndec,
	                           .has_finite = s->sum.has_finite};
}

const struct series_sum *run_sum(const struct run *r, size_t i)
{
	if (r->sums)
		return &r->sums[i];
	/* head is a cache of sum, which may have changed since (const: the
	 * run's summary is not changed by filling it) */
	struct series *s = (struct series *)&r->metrics[i];
	sum_of(s, &s->head);
	return &s->head;
}

void run_nonfinite(const struct run *r, size_t i, uint64_t out[2])
{
	if (r->sums) {
		out[0] = r->nonfinite ? r->nonfinite[2 * i] : 0;
		out[1] = r->nonfinite ? r->nonfinite[2 * i + 1] : 0;
	} else {
		out[0] = r->metrics[i].sum.nan_count;
		out[1] = r->metrics[i].sum.inf_count;
	}
}

size_t run_metric_index(const struct run *r, const char *key)
{
	for (size_t i = 0; i < r->nmetrics; i++)
		if (strcmp(r->sums ? r->sums[i].key : r->metrics[i].key, key) == 0)
			return i;
	return SIZE_MAX;
}

const struct series_sum *run_find_sum(const struct run *r, const char *key)
{
	size_t i = run_metric_index(r, key);
	return i == SIZE_MAX ? NULL : run_sum(r, i);
}

const struct point *run_dec(const struct run *r, size_t i)
{
	if (r->sums)
		return r->decs ? r->decs[i] : NULL;
	return r->metrics[i].dec;
}

void series_add(struct series *s, int64_t step, int64_t time_ms, double value)
{
	GROW(s->pts, s->cap, s->n + 1);
	s->pts[s->n++] = (struct point){step, time_ms, value};
}

void run_add_artifact(struct run *r, const char *path, int64_t size)
{
	GROW32(r->artifacts, r->capartifacts, r->nartifacts + 1);
	r->artifacts[r->nartifacts].path = xstrdup(path);
	r->artifacts[r->nartifacts].size = size;
	r->nartifacts++;
}

struct dataset_input *run_add_dataset(struct run *r)
{
	GROW32(r->datasets, r->capdatasets, r->ndatasets + 1);
	struct dataset_input *d = &r->datasets[r->ndatasets++];
	memset(d, 0, sizeof *d);
	return d;
}

struct logged_model *run_add_model(struct run *r)
{
	GROW32(r->models, r->capmodels, r->nmodels + 1);
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
		if (summary_count_nonfinite(sum, v))
			continue;
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
	if (summary_count_nonfinite(s, v))
		return;
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

/* A bucket's least and greatest finite value so far, each at its first
 * index (SIZE_MAX: none yet). */
struct bucket_ext {
	double vmin, vmax;
	size_t imin, imax;
};

/* Which path decimate_m4 takes (POINTS_M4_*); -1 until the CPU is asked. */
static _Atomic int m4_simd = -1;

int points_m4_simd(int want)
{
	return m4_simd_pick(&m4_simd, want, m4_simd_cpu() ? POINTS_M4_AVX512 : POINTS_M4_SCALAR);
}

#ifdef HAVE_M4_AVX512
/* decimate_m4's loop over a bucket from point i in whole blocks of 8,
 * while every step of a block is below edge, every value finite and, with
 * check (the summary's pass), every step above the one before it: 8
 * minima and maxima side by side, each lane's strict comparisons keeping
 * its earliest index, folded into e at the end (on a tie the earliest
 * index, as the point-by-point loop finds). Returns the first index not
 * taken. */
AVX512_M4 static size_t bucket_avx512(const struct point *pts, size_t i, size_t n, double edge,
                                      int check, struct bucket_ext *e)
{
	/* 8 points are 24 words: the steps are words 0, 3, ..., 21 and the
	 * values words 2, 5, ..., 23, gathered from the three loads in two
	 * permutes each */
	const __m512i s_ab = _mm512_setr_epi64(0, 3, 6, 9, 12, 15, 0, 0);
	const __m512i s_c = _mm512_setr_epi64(0, 1, 2, 3, 4, 5, 10, 13);
	const __m512i v_ab = _mm512_setr_epi64(2, 5, 8, 11, 14, 0, 0, 0);
	const __m512i v_c = _mm512_setr_epi64(0, 1, 2, 3, 4, 9, 12, 15);
	const __m512d vedge = _mm512_set1_pd(edge), inf = _mm512_set1_pd(INFINITY);
	__m512d lo = inf, hi = _mm512_set1_pd(-INFINITY);
	__m512i idx = lanes_index(i);
	__m512i loi = idx, hii = idx;
	__m512i prev = _mm512_set1_epi64(i ? pts[i - 1].step : INT64_MIN);
	size_t start = i;

	for (; n - i >= 8; i += 8) {
		const long long *w = (const long long *)(const void *)&pts[i];
		__m512i a = _mm512_loadu_si512(w), b = _mm512_loadu_si512(w + 8);
		__m512i c = _mm512_loadu_si512(w + 16);
		__m512i st = _mm512_permutex2var_epi64(_mm512_permutex2var_epi64(a, s_ab, b), s_c, c);
		__m512d v = _mm512_castsi512_pd(
		        _mm512_permutex2var_epi64(_mm512_permutex2var_epi64(a, v_ab, b), v_c, c));
		__mmask8 ok = _mm512_cmp_pd_mask(_mm512_cvtepi64_pd(st), vedge, _CMP_LT_OQ) &
		              _mm512_cmp_pd_mask(_mm512_abs_pd(v), inf, _CMP_LT_OQ);
		if (check) /* each step against the one before it */
			ok &= _mm512_cmpgt_epi64_mask(st, _mm512_alignr_epi64(st, prev, 7));
		if (ok != 0xFF)
			break;
		prev = st;
		lanes_take(v, idx, &lo, &loi, &hi, &hii);
		idx = _mm512_add_epi64(idx, _mm512_set1_epi64(8));
	}
	if (i == start)
		return i;
	struct lanes8 l;
	lanes_store(&l, lo, loi, hi, hii);
	for (int k = 0; k < 8; k++) {
		if (e->imin == SIZE_MAX || l.lo[k] < e->vmin || (l.lo[k] == e->vmin && l.loi[k] < e->imin))
			e->vmin = l.lo[k], e->imin = (size_t)l.loi[k];
		if (e->imax == SIZE_MAX || l.hi[k] > e->vmax || (l.hi[k] == e->vmax && l.hii[k] < e->imax))
			e->vmax = l.hi[k], e->imax = (size_t)l.hii[k];
	}
	return i;
}
#endif

/* M4 of the n > 4 * buckets points (points_decimate_m4). With sum, the
 * same pass also makes the summary summary_if_increasing makes, and stops
 * (returning NULL, *nout 0) as soon as a step does not increase: a long
 * series is gone through once, not twice. */
static struct point *decimate_m4(const struct point *pts, size_t n, size_t buckets, size_t *nout,
                                 struct metric_summary *sum)
{
	struct point *out = xreallocarray(NULL, 4 * buckets, sizeof *out);
	double lo = (double)pts[0].step, hi = (double)pts[n - 1].step;
	double width = hi > lo ? (hi - lo) : 1.0;
	size_t i = 0, k = 0, b = 0, gmin = SIZE_MAX, gmax = SIZE_MAX;
	double gvmin = INFINITY, gvmax = -INFINITY; /* pts[gmin].value, pts[gmax].value */
	int simd = m4_simd < 0 ? points_m4_simd(-1) : m4_simd;
	while (i < n) {
		/* Bucket b holds the steps below its upper edge (the last one holds the rest);
		 * edges advance as the sorted points pass them, with no division per point. */
		double edge = b + 1 < buckets ? lo + width * (double)(b + 1) / (double)buckets : INFINITY;
		if ((double)pts[i].step >= edge) {
			b++;
			continue;
		}
		size_t start = i, imin = SIZE_MAX, imax = SIZE_MAX;
		double vmin = INFINITY, vmax = -INFINITY; /* pts[imin].value, pts[imax].value */
		for (;;) {
#ifdef HAVE_M4_AVX512
			/* a bucket of a few points is faster point by point */
			if (simd == POINTS_M4_AVX512 && n - i >= M4_VECTOR_RUN_MIN &&
			    (double)pts[i + M4_VECTOR_RUN_MIN - 1].step < edge) {
				struct bucket_ext e = {vmin, vmax, imin, imax};
				i = bucket_avx512(pts, i, n, edge, sum != NULL, &e);
				vmin = e.vmin, vmax = e.vmax, imin = e.imin, imax = e.imax;
			}
#endif
			/* point by point: a block the vector path left (to its
			 * end; then blocks again), or every point without it */
			size_t stop = simd != POINTS_M4_SCALAR && n - i > 8 ? i + 8 : n;
			for (; i < stop && (double)pts[i].step < edge; i++) {
				double v = pts[i].value;
				if (sum) {
					if (i && pts[i].step <= pts[i - 1].step) {
						free(out);
						*nout = 0;
						return NULL;
					}
					if (summary_count_nonfinite(sum, v))
						continue;
				}
				if (isfinite(v)) {
					if (imin == SIZE_MAX || v < vmin)
						imin = i, vmin = v;
					if (imax == SIZE_MAX || v > vmax)
						imax = i, vmax = v;
				}
			}
			if (i < stop || i == n)
				break;
		}
		/* The series' extrema: strict comparisons keep the earliest. */
		if (imin != SIZE_MAX && vmin < gvmin)
			gmin = imin, gvmin = vmin;
		if (imax != SIZE_MAX && vmax > gvmax)
			gmax = imax, gvmax = vmax;
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
	if (sum) {
		sum->count = n;
		sum->first = pts[0];
		sum->last = pts[n - 1];
		if (gmin != SIZE_MAX) {
			sum->has_finite = true;
			sum->min = pts[gmin];
			sum->max = pts[gmax];
		}
	}
	*nout = k;
	return out;
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
	return decimate_m4(pts, n, buckets, nout, NULL);
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
		if (summary_count_nonfinite(sum, v))
			continue;
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
		free(s->dec);
		s->dec = NULL;
		size_t ndec = 0;
		if (s->summarized && s->n) {
			s->sum.count = s->n;
			s->sum.first = s->pts[0];
			s->sum.last = s->pts[s->n - 1];
		} else if (dec_buckets && s->n > 4 * dec_buckets) {
			/* a long series: its summary and its M4 in one pass */
			memset(&s->sum, 0, sizeof s->sum);
			s->dec = decimate_m4(s->pts, s->n, dec_buckets, &ndec, &s->sum);
			if (!s->dec) {
				s->n = points_sort_unique(s->pts, s->n);
				summary_compute(&s->sum, s->pts, s->n);
			}
		} else if (!summary_if_increasing(&s->sum, s->pts, s->n)) {
			s->n = points_sort_unique(s->pts, s->n);
			summary_compute(&s->sum, s->pts, s->n);
		}
		s->summarized = false; /* the summary is complete; later changes recount */
		if (!s->dec)
			s->dec = points_decimate_m4(s->pts, s->n, dec_buckets, &ndec);
		s->ndec = (uint32_t)ndec; /* 4 per bucket, the buckets a few hundred */
	}
	run_sort_lists(r);
}

void run_sort_lists(struct run *r)
{
	if (r->metrics && r->nmetrics > 1)
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

/* ---- packing a slimmed run (run_slim) ---- */

#define PACK_TAILS 16

struct packer {
	char *base; /* NULL: measuring */
	size_t off;
	/* The first texts laid out, whose tails later texts may be (a run's
	 * name is often the end of its id, and its id the end of its store's
	 * path): the same in both passes, as they see the same texts. */
	const char *texts[PACK_TAILS];
	size_t lens[PACK_TAILS], ntexts;
};

static void *pack_take(struct packer *p, size_t size, size_t align)
{
	p->off = (p->off + align - 1) / align * align;
	void *at = p->base ? p->base + p->off : NULL;
	p->off += size;
	return at;
}

/* Moves text *field into the block unless the pool holds it (ctx: the
 * packer). */
static void pack_text(void *ctx, const struct run *r, char **field)
{
	struct packer *p = ctx;
	if (!*field || pool_owns(*field))
		return;
	size_t n = strlen(*field) + 1;
	char *at = NULL;
	for (size_t i = 0; i < p->ntexts && !at; i++)
		if (p->lens[i] + 1 >= n && memcmp(p->texts[i] + p->lens[i] + 1 - n, *field, n) == 0)
			at = (char *)p->texts[i] + p->lens[i] + 1 - n;
	if (!at) {
		at = pack_take(p, n, 1);
		if (at)
			memcpy(at, *field, n);
		if (p->ntexts < PACK_TAILS) {
			p->texts[p->ntexts] = at ? at : *field;
			p->lens[p->ntexts++] = n - 1;
		}
	}
	if (!p->base)
		return;
	run_text_free(r, *field);
	*field = at;
}

/* Moves list *items (n of size bytes) into the block; NULL when empty. */
static void pack_list(struct packer *p, const struct run *r, void **items, size_t n, size_t size)
{
	if (!n) {
		if (p->base) {
			run_list_free(r, *items);
			*items = NULL;
		}
		return;
	}
	void *at = pack_take(p, n * size, _Alignof(max_align_t));
	if (!at)
		return;
	memcpy(at, *items, n * size);
	run_list_free(r, *items);
	*items = at;
}

static void pack_kvlist(struct packer *p, const struct run *r, struct kvlist *l)
{
	pack_list(p, r, (void **)&l->items, l->n, sizeof *l->items);
	if (p->base)
		l->cap = l->n;
}

/* Lays r's texts and lists out in the block (p->base NULL: counts its length). */
static void pack_run(struct packer *p, struct run *r)
{
	pack_take(p, sizeof(struct pack_head), _Alignof(max_align_t));
	pack_list(p, r, (void **)&r->sums, r->nmetrics, sizeof *r->sums);
	pack_list(p, r, (void **)&r->nonfinite, r->nonfinite ? 2 * r->nmetrics : 0,
	          sizeof *r->nonfinite);
	pack_kvlist(p, r, &r->params);
	pack_kvlist(p, r, &r->tags);
	pack_kvlist(p, r, &r->extras);
	pack_kvlist(p, r, &r->sources);
	pack_list(p, r, (void **)&r->artifacts, r->nartifacts, sizeof *r->artifacts);
	pack_list(p, r, (void **)&r->datasets, r->ndatasets, sizeof *r->datasets);
	pack_list(p, r, (void **)&r->models, r->nmodels, sizeof *r->models);
	if (p->base) {
		r->capmetrics = 0;
		r->capartifacts = r->nartifacts;
		r->capdatasets = r->ndatasets;
		r->capmodels = r->nmodels;
	}
	run_each_text(r, pack_text, p);
}

static void run_pack(struct run *r)
{
	struct packer p = {.base = NULL};
	pack_run(&p, r);
	p.base = pack_alloc(p.off);
	p.off = 0;
	p.ntexts = 0;
	pack_run(&p, r);
	/* the texts and lists of the block before are in this one now */
	pack_free(r->pack);
	r->pack = p.base;
}

/* Replaces r's series by their summaries (sums) and the decimated copies
 * still in memory (decs): nothing of a series but its summary stays. */
static void slim_series(struct run *r)
{
	if (r->sums || !r->metrics)
		return;
	r->sums = xreallocarray(NULL, r->nmetrics ? r->nmetrics : 1, sizeof *r->sums);
	for (size_t i = 0; i < r->nmetrics; i++) {
		struct series *s = &r->metrics[i];
		free(s->pts);
		if (s->dec) {
			if (!r->decs)
				r->decs = xcalloc(r->nmetrics, sizeof *r->decs);
			r->decs[i] = s->dec;
		}
		sum_of(s, &r->sums[i]);
		if (s->sum.nan_count || s->sum.inf_count) {
			if (!r->nonfinite)
				r->nonfinite = xcalloc(2 * r->nmetrics, sizeof *r->nonfinite);
			r->nonfinite[2 * i] = s->sum.nan_count;
			r->nonfinite[2 * i + 1] = s->sum.inf_count;
		}
		share(&r->sums[i].key);
	}
	run_list_free(r, r->metrics);
	r->metrics = NULL;
	r->capmetrics = 0;
}

void run_slim(struct run *r)
{
	slim_series(r);
	/* What is left is kept until the site is written: the texts runs share
	 * are held once, the rest in one block (run_pack). */
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
	run_pack(r);
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
	for (size_t i = 0; r->metrics && i < r->nmetrics; i++) {
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
