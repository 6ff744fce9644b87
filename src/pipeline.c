/* pipeline.c — one way of reading stores for every command: merge, de-duplicate,
 * redact, deliver. */
#include <stdlib.h>
#include <string.h>

#include "runsite/pipeline.h"
#include "runsite/redact.h"
#include "runsite/util.h"

/* Run ids seen so far, with the store each came from (open addressing). */
struct seen {
	char **keys;
	char **from;
	size_t cap, n;
};

struct state {
	const struct pipeline_consumer *consumer;
	const struct reader_opts *ropts;
	const struct store_ref *store;
	struct pipeline_stats *stats;
	bool redact;
	bool stop;
	struct seen seen;
	struct run *merge_into; /* while reading the `also` reader: the run to merge into */
};

static size_t hash_str(const char *s)
{
	size_t h = 1469598103934665603ull;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

/* Looks key up; when absent, adds it with from and returns NULL. */
static const char *seen_check_add(struct seen *t, const char *key, const char *from)
{
	if (t->n * 2 >= t->cap) {
		size_t ncap = t->cap ? t->cap * 2 : 256;
		char **nk = xcalloc(ncap, sizeof *nk), **nf = xcalloc(ncap, sizeof *nf);
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
	t->keys[i] = xstrdup(key);
	t->from[i] = xstrdup(from);
	t->n++;
	return NULL;
}

static void seen_free(struct seen *t)
{
	for (size_t i = 0; i < t->cap; i++) {
		free(t->keys[i]);
		free(t->from[i]);
	}
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

/* Moves what `from` has and `into` lacks: series, params, notes, extras. */
static void merge_run(struct run *into, struct run *from)
{
	for (size_t i = 0; i < from->nmetrics; i++) {
		struct series *s = &from->metrics[i];
		if (run_find_series(into, s->key))
			continue; /* the same metric logged to both: the first reader's wins */
		GROW(into->metrics, into->capmetrics, into->nmetrics + 1);
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
	if (st->redact)
		redact_experiment(e);
	st->consumer->experiment(st->consumer->ctx, e);
}

static int main_run(void *ctx, struct run *r)
{
	struct state *st = ctx;
	if (st->stop) {
		run_free(r);
		return 0;
	}
	char *key = identity(st->store->reader, r, st->store->path);
	const char *from = seen_check_add(&st->seen, key, st->store->path);
	free(key);
	if (from) {
		char *why = xasprintf("run %s: already read from %s", r->id, from);
		kvlist_add(&st->stats->duplicates, st->store->path, why);
		free(why);
		run_free(r);
		return 1;
	}
	if (st->store->also) {
		/* Run dirs of the second reader below this store are the same runs. */
		st->merge_into = r;
		struct run_sink also = {st, also_experiment, also_run};
		st->store->also->read(st->store->path, st->ropts, &also);
		st->merge_into = NULL;
	}
	struct kvlist redacted = {0};
	if (st->redact)
		redact_run(r, &redacted);
	st->stats->runs++;
	if (!st->consumer->run(st->consumer->ctx, r, &redacted))
		st->stop = true;
	kvlist_free(&redacted);
	return !st->stop;
}

int pipeline_read(const struct discovery *d, const struct reader_opts *ropts, bool redact,
                  const struct pipeline_consumer *consumer, struct pipeline_stats *stats)
{
	struct state st = {
		.consumer = consumer, .ropts = ropts, .stats = stats, .redact = redact,
	};
	struct run_sink sink = {&st, main_experiment, main_run};
	for (size_t i = 0; i < d->nstores && !st.stop; i++) {
		st.store = &d->stores[i];
		if (consumer->store_begin)
			consumer->store_begin(consumer->ctx, st.store, i, d->nstores);
		if (st.store->reader->read(st.store->path, ropts, &sink) < 0)
			stats->unreadable_stores++;
	}
	seen_free(&st.seen);
	return !st.stop;
}

void pipeline_stats_free(struct pipeline_stats *stats)
{
	kvlist_free(&stats->duplicates);
}
