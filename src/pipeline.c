/* pipeline.c — one way of reading stores for every command: merge, de-duplicate,
 * redact, deliver. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runsite/diag.h"
#include "runsite/pipeline.h"
#include "runsite/redact.h"
#include "runsite/runcache.h"
#include "runsite/util.h"

/* ---- runs kept between builds ---- */

/* What goes with a run from its reader to its delivery for the run cache
 * is its ticket, a struct run_keep (runcache.h). */

/* A sink's side of the cache: the run folder its reader last asked about. */
struct asking {
	struct runcache *rc;             /* NULL: runs are not kept */
	const struct reader_opts *ropts;
	struct run_keep *t;                /* asked about, not yet delivered */
	size_t warnings;                 /* diag_thread_count() when asked */
};

/* run_sink.cached: the run of folder dir of store when its files' digest
 * fp (and the reader options) are the last build's. */
static struct run *ask_cached(struct asking *a, const struct store_ref *store, const char *dir,
                              const char *fp)
{
	runcache_keep_free(a->t);
	a->t = NULL;
	/* A store with a second reader merges its runs into the first's: not kept. */
	if (!a->rc || store->also)
		return NULL;
	char *key = xasprintf("%s\t%s\t%s", store->reader->name, store->path, dir);
	/* Every reader option that changes what is read of a run. */
	struct buf o = BUF_INIT;
	buf_printf(&o, "%s %zu %d", fp, a->ropts->dec_buckets, a->ropts->include_deleted);
	for (size_t i = 0; i < store->ninner; i++)
		buf_printf(&o, " %zu:%s", strlen(store->inner[i]), store->inner[i]);
	struct run *r = NULL;
	a->t = runcache_ask(a->rc, key, buf_cstr(&o), store->reader->name, &r);
	buf_free(&o);
	free(key);
	a->warnings = diag_thread_count();
	return r;
}

/* The ticket of run r, delivered by the reader that asked last (NULL when
 * it did not ask, or the run is not to be kept: its reading warned). A run
 * read now is encoded here, before anything changes it. */
static struct run_keep *ask_take(struct asking *a, const struct run *r)
{
	struct run_keep *t = a->t;
	a->t = NULL;
	if (!t || runcache_keep_hit(t))
		return t;
	if (diag_thread_count() != a->warnings) {
		/* Its warnings are said when it is read: read it again next time. */
		runcache_keep_free(t);
		return NULL;
	}
	runcache_keep_read(t, r);
	return t;
}

/* A set of run keys, each with the store it came from. The keys are copied
 * into chunks of their own and the stores' paths (which outlive the set)
 * are not copied: a build of 10,000 runs adds 20,000 keys to its two sets,
 * which allocated one by one would be left as small pieces of the heap
 * among what the runs keep when the sets go. */
#define SEEN_CHUNK 16384

struct seen {
	char **keys;
	const char **from;
	size_t cap, n;
	struct str_block *chunks;
};

/* Copies of runs read ahead from the later stores of unique run ids, with
 * their points dropped: what a run read from an earlier store is merged
 * with (artifacts, tags, notes ...), sorted by id. */
struct light {
	struct run **runs;
	size_t n, cap;
	size_t *store; /* the store index each came from */
	bool *used;    /* merged into a run already delivered */
	size_t reading; /* while reading ahead: the store being read */
};

struct state {
	const struct pipeline_consumer *consumer;
	const struct reader_opts *ropts;
	const struct store_ref *store;
	struct pipeline_stats *stats;
	struct redactor *redactor; /* NULL: --no-redact */
	char *shown_path;          /* the store's path as the consumer sees it, redacted */
	bool stop;
	struct seen seen;
	struct seen ids;        /* run ids delivered so far: each run's is unique */
	struct light light;
	size_t store_index;     /* the index of store in the discovery */
	const struct discovery *d;
	struct run *merge_into; /* while reading the `also` reader: the run to merge into */
	struct run *pending;    /* a store with a second reader: its first run, held */
	struct run_keep *pending_t; /* and its ticket */
	size_t store_runs;      /* runs that store delivered so far */
	struct asking ask;      /* reading on this thread: the run cache's side */
};

/* Looks key up; when absent, adds it with from (a store's path, kept as
 * it is) and returns NULL. */
static const char *seen_check_add(struct seen *t, const char *key, const char *from)
{
	if (t->n * 2 >= t->cap) {
		size_t ncap = t->cap ? t->cap * 2 : 256;
		char **nk = xcalloc(ncap, sizeof *nk);
		const char **nf = xcalloc(ncap, sizeof *nf);
		for (size_t i = 0; i < t->cap; i++) {
			if (!t->keys[i])
				continue;
			size_t j = hash_str(t->keys[i]) & (ncap - 1);
			while (nk[j])
				j = (j + 1) & (ncap - 1);
			nk[j] = t->keys[i];
			nf[j] = t->from[i];
		}
		free(t->keys);
		free(t->from);
		t->keys = nk;
		t->from = nf;
		t->cap = ncap;
	}
	size_t i = hash_str(key) & (t->cap - 1);
	while (t->keys[i]) {
		if (strcmp(t->keys[i], key) == 0)
			return t->from[i];
		i = (i + 1) & (t->cap - 1);
	}
	t->keys[i] = str_blocks_copy(&t->chunks, key, SEEN_CHUNK);
	t->from[i] = from;
	t->n++;
	return NULL;
}

static void seen_free(struct seen *t)
{
	str_blocks_free(&t->chunks);
	free(t->keys);
	free(t->from);
}

/* The key under which a run counts as already read (see reader.h, unique_ids). */
static char *identity(const struct reader *reader, const struct run *r, const char *store)
{
	if (reader->unique_ids)
		return xasprintf("\t%s", r->id);
	return xasprintf("%s\t%s\t%s", r->format, store, r->id);
}

/* ---- run ids: unique within one listing, stable between builds ---- */

/* The store's path relative to the path the user gave ("." for itself). */
static char *store_rel(const struct store_ref *s)
{
	size_t n = strlen(s->given);
	while (n > 1 && s->given[n - 1] == '/')
		n--;
	if (n == 1 && s->given[0] == '/' && s->path[0] == '/' && s->path[1])
		return xstrdup(s->path + 1); /* below the root folder */
	if (strncmp(s->path, s->given, n) == 0 && s->path[n] == '/' && s->path[n + 1])
		return xstrdup(s->path + n + 1);
	return xstrdup(".");
}

/* The last component of path, the real folder's name for "." and "..". */
static char *last_name(const char *path)
{
	char *real = NULL;
	const char *p = path;
	size_t n = strlen(p);
	while (n > 1 && p[n - 1] == '/')
		n--;
	char *copy = xstrndup(p, n);
	const char *slash = strrchr(copy, '/');
	const char *b = slash && slash[1] ? slash + 1 : copy;
	if (strcmp(b, ".") == 0 || strcmp(b, "..") == 0) {
		real = realpath(copy, NULL);
		if (real) {
			slash = strrchr(real, '/');
			b = slash && slash[1] ? slash + 1 : real;
		}
	}
	char *out = xstrdup(b);
	free(real);
	free(copy);
	return out;
}

/* Gives r its id in the listing: a run of a store without ids of its own
 * (Lightning, Keras, HF, DVCLive, TensorBoard) is named by its folder's
 * path relative to the path the user gave; an id another run has already
 * is qualified with that path. */
static void assign_id(struct state *st, struct run *r)
{
	const struct store_ref *s = st->store;
	char *id = NULL, *qualified = NULL;
	if (!s->reader->unique_ids && s->given) {
		char *rel = store_rel(s);
		const char *own = r->id && *r->id ? r->id : ".";
		if (strcmp(rel, ".") != 0 && strcmp(own, ".") != 0)
			id = path_join(rel, own);
		else if (strcmp(rel, ".") != 0)
			id = xstrdup(rel);
		else if (strcmp(own, ".") != 0)
			id = xstrdup(own);
		else
			id = last_name(s->given);
		qualified = strcmp(rel, ".") == 0 && strcmp(own, ".") == 0 ? xstrdup(s->given)
		                                                            : path_join(s->given, id);
		free(rel);
	} else {
		id = xstrdup(r->id ? r->id : "");
		qualified = xstrdup(id);
	}
	if (seen_check_add(&st->ids, id, s->path)) {
		free(id);
		id = xstrdup(qualified);
		for (int k = 2; seen_check_add(&st->ids, id, s->path); k++) {
			free(id);
			id = xasprintf("%s#%d", qualified, k);
		}
	}
	free(qualified);
	free(r->id);
	r->id = id;
}

/* Moves what `from` has and `into` lacks: series, params, notes, extras. */
static void merge_run(struct run *into, struct run *from)
{
	for (size_t i = 0; i < from->nmetrics; i++) {
		struct series *s = &from->metrics[i];
		if (run_find_series(into, s->key))
			continue; /* the same metric logged to both: the first reader's wins */
		GROW32(into->metrics, into->capmetrics, into->nmetrics + 1);
		into->metrics[into->nmetrics++] = *s;
		memset(s, 0, sizeof *s);
		s->key = xstrdup("");
	}
	for (size_t i = 0; i < from->params.n; i++)
		if (!kvlist_get(&into->params, from->params.items[i].key))
			kvlist_add(&into->params, from->params.items[i].key, from->params.items[i].value);
	for (size_t i = 0; i < from->extras.n; i++)
		kvlist_add(&into->extras, from->extras.items[i].key, from->extras.items[i].value);
	if (!into->notes && from->notes) {
		into->notes = from->notes;
		from->notes = NULL;
	}
	if (into->start_ms == TIME_UNKNOWN)
		into->start_ms = from->start_ms;
	if (into->end_ms == TIME_UNKNOWN)
		into->end_ms = from->end_ms;
	kvlist_add(&into->extras, "also read", from->format);
	run_sort_lists(into);
}

/* ---- the same run in two stores of unique ids: one run, nothing lost ---- */

/* Adds store to the list of stores part came from. */
static void add_source(struct run *r, const char *part, const char *store)
{
	for (size_t i = 0; i < r->sources.n; i++) {
		struct kv *k = &r->sources.items[i];
		if (strcmp(k->key, part) != 0)
			continue;
		if (strcmp(k->value, store) != 0) {
			char *v = xasprintf("%s, %s", k->value, store);
			free(k->value);
			k->value = v;
		}
		return;
	}
	kvlist_add(&r->sources, part, store);
}

/* Adds the pairs of from whose keys into lacks. */
static void kv_union(struct kvlist *into, const struct kvlist *from)
{
	for (size_t i = 0; i < from->n; i++)
		if (!kvlist_get(into, from->items[i].key))
			kvlist_add(into, from->items[i].key, from->items[i].value);
}

/* Merges a copy of the same run read from another store (points dropped)
 * into r: params, tags, notes, artifacts, datasets and models from both;
 * the metrics stay r's. Records which store each part came from. */
static void merge_copy(struct run *r, struct run *from)
{
	const char *a = r->store, *b = from->store;
	if (!r->sources.n) {
		add_source(r, "metrics", a);
		if (r->params.n)
			add_source(r, "params", a);
		if (r->tags.n)
			add_source(r, "tags", a);
		if (r->notes)
			add_source(r, "notes", a);
		if (r->nartifacts)
			add_source(r, "artifacts", a);
		if (r->ndatasets)
			add_source(r, "datasets", a);
		if (r->nmodels)
			add_source(r, "models", a);
	}
	kv_union(&r->params, &from->params);
	if (from->params.n)
		add_source(r, "params", b);
	kv_union(&r->tags, &from->tags);
	if (from->tags.n)
		add_source(r, "tags", b);
	if (from->notes) {
		if (!r->notes) {
			r->notes = from->notes;
			from->notes = NULL;
		} else if (strcmp(r->notes, from->notes) != 0) {
			char *both = xasprintf("%s\n\n%s", r->notes, from->notes);
			free(r->notes);
			r->notes = both;
		}
		add_source(r, "notes", b);
	}
	if (from->nartifacts) {
		if (!r->nartifacts && !r->artifact_dir) {
			r->artifact_dir = from->artifact_dir;
			from->artifact_dir = NULL;
		}
		size_t had = r->nartifacts;
		for (size_t i = 0; i < from->nartifacts; i++) {
			bool known = false;
			for (size_t k = 0; k < had && !known; k++)
				known = strcmp(r->artifacts[k].path, from->artifacts[i].path) == 0;
			if (!known)
				run_add_artifact(r, from->artifacts[i].path, from->artifacts[i].size);
		}
		add_source(r, "artifacts", b);
	}
	if (from->ndatasets && !r->ndatasets) {
		r->datasets = from->datasets;
		r->ndatasets = from->ndatasets;
		r->capdatasets = from->capdatasets;
		from->datasets = NULL;
		from->ndatasets = from->capdatasets = 0;
		add_source(r, "datasets", b);
	}
	if (from->nmodels && !r->nmodels) {
		r->models = from->models;
		r->nmodels = from->nmodels;
		r->capmodels = from->capmodels;
		from->models = NULL;
		from->nmodels = from->capmodels = 0;
		add_source(r, "models", b);
	}
	if (r->start_ms == TIME_UNKNOWN)
		r->start_ms = from->start_ms;
	if (r->end_ms == TIME_UNKNOWN)
		r->end_ms = from->end_ms;
	run_sort_lists(r);
}

static void light_experiment(void *ctx, struct experiment *e)
{
	experiment_free(e);
}

/* Keeps a read-ahead run without its points. */
static int light_run(void *ctx, struct run *r)
{
	struct light *l = ctx;
	for (size_t i = 0; i < r->nmetrics; i++) {
		free(r->metrics[i].key);
		free(r->metrics[i].pts);
		free(r->metrics[i].dec);
	}
	free(r->metrics);
	r->metrics = NULL;
	r->nmetrics = r->capmetrics = 0;
	size_t cap = l->cap;
	GROW(l->runs, l->cap, l->n + 1);
	if (l->cap != cap) {
		l->store = xreallocarray(l->store, l->cap, sizeof *l->store);
		l->used = xreallocarray(l->used, l->cap, sizeof *l->used);
	}
	l->runs[l->n] = r;
	l->store[l->n] = l->reading;
	l->used[l->n] = false;
	l->n++;
	return 1;
}

static void drop_message(void *ctx, char *text)
{
	free(text);
}

static int cmp_light(const void *a, const void *b, void *ctx)
{
	const struct light *l = ctx;
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	int c = strcmp(l->runs[x]->id, l->runs[y]->id);
	return c ? c : (x > y) - (x < y);
}

/* With two or more stores of unique run ids (mlflow.db and mlruns/ of the
 * same runs), reads the later ones ahead, quietly and without points, so a
 * run is delivered once with what every store knows of it. */
static void read_ahead(struct state *st, const struct discovery *d)
{
	size_t first = SIZE_MAX;
	struct reader_opts o = *st->ropts;
	o.jobs = 1;
	o.dec_buckets = 0;
	o.no_points = true;
	for (size_t i = 0; i < d->nstores; i++) {
		const struct store_ref *s = &d->stores[i];
		if (!s->reader->unique_ids)
			continue;
		if (first == SIZE_MAX) {
			first = i;
			continue;
		}
		struct run_sink sink = {&st->light, light_experiment, light_run, NULL};
		st->light.reading = i;
		diag_redirect(drop_message, NULL);
		s->reader->read(s->path, &o, &sink);
		diag_redirect(NULL, NULL);
	}
	if (st->light.n < 2)
		return;
	/* Sort by (id, store) through an index, keeping the parallel arrays. */
	struct light *l = &st->light;
	size_t *order = xcalloc(l->n, sizeof *order);
	for (size_t i = 0; i < l->n; i++)
		order[i] = i;
	qsort_r(order, l->n, sizeof *order, cmp_light, l);
	struct run **runs = xcalloc(l->n, sizeof *runs);
	size_t *store = xcalloc(l->n, sizeof *store);
	for (size_t i = 0; i < l->n; i++) {
		runs[i] = l->runs[order[i]];
		store[i] = l->store[order[i]];
	}
	free(l->runs);
	free(l->store);
	free(order);
	l->runs = runs;
	l->store = store;
	l->cap = l->n;
}

/* The first read-ahead copy whose id is not below id. */
static size_t light_find(const struct light *l, const char *id)
{
	size_t lo = 0, hi = l->n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (strcmp(l->runs[mid]->id, id) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Merges the read-ahead copies of r from stores after the one being read. */
static bool merge_light(struct state *st, struct run *r)
{
	struct light *l = &st->light;
	bool merged = false;
	for (size_t i = light_find(l, r->id); i < l->n && strcmp(l->runs[i]->id, r->id) == 0; i++) {
		if (l->store[i] <= st->store_index || l->used[i])
			continue;
		merge_copy(r, l->runs[i]);
		l->used[i] = merged = true;
	}
	return merged;
}

/* True when the copy of run id in the store being read was merged already. */
static bool light_used(const struct state *st, const char *id)
{
	const struct light *l = &st->light;
	for (size_t i = light_find(l, id); i < l->n && strcmp(l->runs[i]->id, id) == 0; i++)
		if (l->store[i] == st->store_index && l->used[i])
			return true;
	return false;
}

static void light_free(struct light *l)
{
	for (size_t i = 0; i < l->n; i++)
		run_free(l->runs[i]);
	free(l->runs);
	free(l->store);
	free(l->used);
	memset(l, 0, sizeof *l);
}

static void also_experiment(void *ctx, struct experiment *e)
{
	experiment_free(e);
}

static int also_run(void *ctx, struct run *r)
{
	struct state *st = ctx;
	merge_run(st->merge_into, r);
	run_free(r);
	return 1;
}

static void main_experiment(void *ctx, struct experiment *e)
{
	struct state *st = ctx;
	experiment_make_utf8(e);
	if (st->redactor)
		redact_experiment(st->redactor, e);
	st->consumer->experiment(st->consumer->ctx, e);
}

/* Redacts run r and hands it to the consumer. Returns 0 when it asked to
 * stop. With its ticket t, a run that needed no redaction goes to the
 * consumer with its ticket, to be kept in the run cache: a kept run holds
 * no secret and no placeholder. A run taken from the cache goes with its
 * ticket always (it has no points): one that needed redaction now is
 * marked so (the consumer then builds again without the run cache).
 * merged: another copy of the run, or a second reader's, may have been
 * merged into it. */
static int deliver(struct state *st, struct run *r, struct run_keep *t, bool merged)
{
	struct kvlist redacted = {0};
	assign_id(st, r);
	run_make_utf8(r);
	/* A run taken from the cache as it was kept is not checked again: it
	 * was kept because this same program (the cache is salted with its
	 * code) found nothing to redact in it, and what redaction finds depends
	 * on the text alone (the redactor's state only numbers the finds).
	 * Checking its notes as rendered again was a fifth of a rebuild. */
	bool as_kept = t && runcache_keep_hit(t) && !merged;
	size_t nred = 0;
	if (st->redactor && !as_kept) {
		nred = redact_run(st->redactor, r, &redacted);
		st->stats->checked++;
	}
	bool keep = t && st->consumer->runs && st->redactor && nred == 0;
	if (t && runcache_keep_hit(t) && !keep)
		runcache_keep_site(t)->unkeepable = true;
	if (t && st->consumer->runs && (keep || runcache_keep_hit(t)))
		runcache_hand(st->consumer->runs, t);
	else
		runcache_keep_free(t);
	st->stats->runs++;
	if (!st->consumer->run(st->consumer->ctx, r, &redacted))
		st->stop = true;
	if (st->consumer->runs)
		runcache_hand(st->consumer->runs, NULL);
	kvlist_free(&redacted);
	return !st->stop;
}

static int main_run_t(struct state *st, struct run *r, struct run_keep *t)
{
	if (st->stop) {
		runcache_keep_free(t);
		run_free(r);
		return 0;
	}
	char *key = identity(st->store->reader, r, st->store->path);
	const char *from = seen_check_add(&st->seen, key, st->store->path);
	free(key);
	if (from) {
		char *why = light_used(st, r->id)
		                    ? xasprintf("run %s: merged into the copy read from %s", r->id, from)
		                    : xasprintf("run %s: already read from %s", r->id, from);
		kvlist_add(&st->stats->duplicates, st->store->path, why);
		free(why);
		runcache_keep_free(t);
		run_free(r);
		return 1;
	}
	bool merged = st->store->reader->unique_ids && st->light.n && merge_light(st, r);
	if (!st->store->also)
		return deliver(st, r, t, merged);
	/* A store with a second reader (event files in a Lightning version
	 * folder) is one run with both sources: hold its run until the store
	 * ends. A store that turns out to hold several runs gets no merge. */
	if (++st->store_runs == 1) {
		st->pending = r;
		st->pending_t = t;
		return 1;
	}
	if (st->pending) {
		struct run *first = st->pending;
		st->pending = NULL;
		struct run_keep *ft = st->pending_t;
		st->pending_t = NULL;
		if (!deliver(st, first, ft, true)) {
			runcache_keep_free(t);
			run_free(r);
			return 0;
		}
	}
	return deliver(st, r, t, merged);
}

/* The sink of a store read on this thread. */
static int main_run(void *ctx, struct run *r)
{
	struct state *st = ctx;
	return main_run_t(st, r, ask_take(&st->ask, r));
}

static struct run *main_cached(void *ctx, const char *dir, const char *fp)
{
	struct state *st = ctx;
	return ask_cached(&st->ask, st->store, dir, fp);
}

/* Called when a store's reader is done: merges the second reader's runs into
 * the store's only run, reading them once, and delivers it. */
static void store_end(struct state *st)
{
	struct run *r = st->pending;
	struct run_keep *t = st->pending_t;
	st->pending = NULL;
	st->pending_t = NULL;
	st->store_runs = 0;
	if (!r)
		return;
	if (st->stop) {
		runcache_keep_free(t);
		run_free(r);
		return;
	}
	st->merge_into = r;
	struct run_sink also = {st, also_experiment, also_run, NULL};
	st->store->also->read(st->store->path, st->ropts, &also);
	st->merge_into = NULL;
	deliver(st, r, t, true);
}

/* Counts a store its reader gave up on, and names it for the skipped list. */
static void store_unreadable(struct pipeline_stats *stats, const struct store_ref *s)
{
	stats->unreadable_stores++;
	char *why = xasprintf("%s store that could not be read (the warnings say why)", s->reader->name);
	kvlist_add(&stats->unreadable, s->path, why);
	free(why);
}

/* The reader options for one store: the folders other stores read left out. */
static struct reader_opts store_opts(const struct reader_opts *ropts, const struct store_ref *s)
{
	struct reader_opts o = *ropts;
	o.skip_dirs = s->inner;
	o.nskip_dirs = s->ninner;
	return o;
}

/* Tells the consumer store i begins, its path redacted like every other
 * string (the path stays valid until the next store begins). */
static void begin_store(struct state *st, size_t i, size_t total)
{
	if (!st->consumer->store_begin)
		return;
	free(st->shown_path);
	st->shown_path = st->redactor ? redact_name(st->redactor, st->store->path) : NULL;
	struct store_ref shown = *st->store;
	if (st->shown_path)
		shown.path = st->shown_path;
	st->consumer->store_begin(st->consumer->ctx, &shown, i, total);
}

/* ---- reading several stores at once, delivered in store order ---- */

/* What a store's reader delivered, in order. */
enum event_kind { EV_EXPERIMENT, EV_RUN, EV_MESSAGE, EV_END };

struct event {
	enum event_kind kind;
	void *item; /* struct experiment *, struct run * or a message line */
	struct run_keep *t; /* EV_RUN: its ticket, or NULL */
	long rc;    /* EV_END: what read() returned */
	struct event *next;
};

struct slot {
	struct event *head, *tail;
	size_t runs; /* runs waiting in the list */
};

struct par {
	const struct discovery *d;
	const struct reader_opts *ropts;
	struct runcache *rc;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct slot *slots;
	size_t next;     /* the next store a worker takes */
	size_t consumed; /* the store being delivered */
	size_t window;   /* stores read ahead of it at most */
	int stop;
};

/* A worker's place while it reads one store. */
struct job {
	struct par *p;
	size_t i;
	struct asking ask;
};

#define RUNS_AHEAD 4 /* runs a store may hold ready before its reader waits */

static void push_t(struct par *p, size_t i, enum event_kind kind, void *item, long rc,
                   struct run_keep *t)
{
	struct event *e = xcalloc(1, sizeof *e);
	e->kind = kind;
	e->item = item;
	e->t = t;
	e->rc = rc;
	pthread_mutex_lock(&p->mu);
	struct slot *sl = &p->slots[i];
	if (sl->tail)
		sl->tail->next = e;
	else
		sl->head = e;
	sl->tail = e;
	if (kind == EV_RUN)
		sl->runs++;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
}

static void push(struct par *p, size_t i, enum event_kind kind, void *item, long rc)
{
	push_t(p, i, kind, item, rc, NULL);
}

static void job_message(void *ctx, char *text)
{
	struct job *j = ctx;
	push(j->p, j->i, EV_MESSAGE, text, 0);
}

static void job_experiment(void *ctx, struct experiment *e)
{
	struct job *j = ctx;
	push(j->p, j->i, EV_EXPERIMENT, e, 0);
}

static int job_run(void *ctx, struct run *r)
{
	struct job *j = ctx;
	struct par *p = j->p;
	push_t(p, j->i, EV_RUN, r, 0, ask_take(&j->ask, r));
	pthread_mutex_lock(&p->mu);
	while (p->slots[j->i].runs >= RUNS_AHEAD && !p->stop)
		pthread_cond_wait(&p->cv, &p->mu);
	int go = !p->stop;
	pthread_mutex_unlock(&p->mu);
	return go;
}

static struct run *job_cached(void *ctx, const char *dir, const char *fp)
{
	struct job *j = ctx;
	return ask_cached(&j->ask, &j->p->d->stores[j->i], dir, fp);
}

static void *read_worker(void *arg)
{
	struct par *p = arg;
	for (;;) {
		pthread_mutex_lock(&p->mu);
		while (!p->stop && p->next < p->d->nstores && p->next >= p->consumed + p->window)
			pthread_cond_wait(&p->cv, &p->mu);
		if (p->stop || p->next >= p->d->nstores) {
			pthread_mutex_unlock(&p->mu);
			return NULL;
		}
		size_t i = p->next++;
		pthread_mutex_unlock(&p->mu);
		struct job j = {p, i, {p->rc, p->ropts, NULL, 0}};
		struct run_sink sink = {&j, job_experiment, job_run, p->rc ? job_cached : NULL};
		diag_redirect(job_message, &j);
		const struct store_ref *st = &p->d->stores[i];
		struct reader_opts o = store_opts(p->ropts, st);
		long rc = st->reader->read(st->path, &o, &sink);
		diag_redirect(NULL, NULL);
		runcache_keep_free(j.ask.t);
		push(p, i, EV_END, NULL, rc);
	}
}

static void free_events(struct event *e)
{
	while (e) {
		struct event *next = e->next;
		runcache_keep_free(e->t);
		if (e->kind == EV_RUN)
			run_free(e->item);
		else if (e->kind == EV_EXPERIMENT)
			experiment_free(e->item);
		else
			free(e->item);
		free(e);
		e = next;
	}
}

/* Reads the stores on worker threads, each into its own list, and delivers
 * the lists in store order, messages included, so what the consumer and
 * stderr see is what one thread reading store after store would give.
 * Memory stays bounded: a store holds at most RUNS_AHEAD runs ready, and
 * workers read at most `window` stores ahead of the one delivered. */
static void read_parallel(struct state *st, const struct discovery *d, int workers)
{
	struct par p = {.d = d, .ropts = st->ropts, .rc = st->consumer->runs,
	                .window = (size_t)workers + 1};
	pthread_mutex_init(&p.mu, NULL);
	pthread_cond_init(&p.cv, NULL);
	p.slots = xcalloc(d->nstores, sizeof *p.slots);
	pthread_t *th = xcalloc((size_t)workers, sizeof *th);
	int started = 0;
	for (int w = 0; w < workers; w++)
		if (pthread_create(&th[started], NULL, read_worker, &p) == 0)
			started++;
	for (size_t i = 0; i < d->nstores && started; i++) {
		st->store = &d->stores[i];
		st->store_index = i;
		if (!st->stop)
			begin_store(st, i, d->nstores);
		for (;;) {
			pthread_mutex_lock(&p.mu);
			while (!p.slots[i].head)
				pthread_cond_wait(&p.cv, &p.mu);
			struct event *e = p.slots[i].head;
			p.slots[i].head = e->next;
			if (!e->next)
				p.slots[i].tail = NULL;
			if (e->kind == EV_RUN)
				p.slots[i].runs--;
			pthread_cond_broadcast(&p.cv);
			pthread_mutex_unlock(&p.mu);
			enum event_kind kind = e->kind;
			if (kind == EV_END) {
				if (e->rc < 0)
					store_unreadable(st->stats, st->store);
				if (e->rc < -1 && !st->stats->fatal)
					st->stats->fatal = (int)-e->rc;
				store_end(st);
			} else if (kind == EV_MESSAGE)
				diag_print(e->item);
			else if (kind == EV_EXPERIMENT && !st->stop)
				main_experiment(st, e->item);
			else if (kind == EV_RUN && !st->stop) {
				main_run_t(st, e->item, e->t);
				e->t = NULL;
			} else if (kind == EV_RUN)
				run_free(e->item);
			else if (kind == EV_EXPERIMENT)
				experiment_free(e->item);
			if (kind == EV_MESSAGE || kind == EV_END)
				free(e->item);
			runcache_keep_free(e->t);
			free(e);
			if (st->stop) {
				pthread_mutex_lock(&p.mu);
				p.stop = 1;
				pthread_cond_broadcast(&p.cv);
				pthread_mutex_unlock(&p.mu);
			}
			if (kind == EV_END)
				break;
		}
		pthread_mutex_lock(&p.mu);
		p.consumed = i + 1;
		pthread_cond_broadcast(&p.cv);
		pthread_mutex_unlock(&p.mu);
		if (st->stop)
			break; /* the stores after it are not read */
	}
	pthread_mutex_lock(&p.mu);
	p.stop = 1;
	pthread_cond_broadcast(&p.cv);
	pthread_mutex_unlock(&p.mu);
	for (int w = 0; w < started; w++)
		pthread_join(th[w], NULL);
	for (size_t i = 0; i < d->nstores; i++)
		free_events(p.slots[i].head);
	free(p.slots);
	free(th);
	pthread_mutex_destroy(&p.mu);
	pthread_cond_destroy(&p.cv);
}

int pipeline_read(const struct discovery *d, const struct reader_opts *ropts, bool redact,
                  const struct pipeline_consumer *consumer, struct pipeline_stats *stats)
{
	struct state st = {
		.consumer = consumer, .ropts = ropts, .stats = stats,
		.redactor = redact ? redactor_new() : NULL,
		.ask = {consumer->runs, ropts, NULL, 0},
	};
	int workers = jobs_or_cpus(ropts->jobs);
	read_ahead(&st, d);
	if (workers > 1 && d->nstores > 1) {
		read_parallel(&st, d, workers);
	} else {
		struct run_sink sink = {&st, main_experiment, main_run,
		                        consumer->runs ? main_cached : NULL};
		for (size_t i = 0; i < d->nstores && !st.stop; i++) {
			st.store = &d->stores[i];
			st.store_index = i;
			begin_store(&st, i, d->nstores);
			struct reader_opts o = store_opts(ropts, st.store);
			long rc = st.store->reader->read(st.store->path, &o, &sink);
			if (rc < 0)
				store_unreadable(stats, st.store);
			if (rc < -1 && !stats->fatal)
				stats->fatal = (int)-rc;
			store_end(&st);
		}
	}
	runcache_keep_free(st.ask.t);
	if (consumer->runs && getenv("RUNSITE_PHASES")) {
		size_t hits, misses;
		runcache_counts(consumer->runs, &hits, &misses);
		fprintf(stderr, "runs taken from the build cache: %zu; read: %zu\n", hits, misses);
		fprintf(stderr, "runs checked for secrets: %zu\n", stats->checked);
	}
	seen_free(&st.seen);
	seen_free(&st.ids);
	light_free(&st.light);
	stats->redactor = st.redactor;
	free(st.shown_path);
	return !st.stop;
}

void pipeline_stats_free(struct pipeline_stats *stats)
{
	kvlist_free(&stats->duplicates);
	kvlist_free(&stats->unreadable);
	redactor_free(stats->redactor);
	stats->redactor = NULL;
}
