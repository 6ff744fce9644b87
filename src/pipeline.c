/* pipeline.c — one way of reading stores for every command: merge, de-duplicate,
 * redact, deliver. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "runsite/diag.h"
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
	struct run *pending;    /* a store with a second reader: its first run, held */
	size_t store_runs;      /* runs that store delivered so far */
};

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

/* Redacts run r and hands it to the consumer. Returns 0 when it asked to stop. */
static int deliver(struct state *st, struct run *r)
{
	struct kvlist redacted = {0};
	if (st->redact)
		redact_run(r, &redacted);
	st->stats->runs++;
	if (!st->consumer->run(st->consumer->ctx, r, &redacted))
		st->stop = true;
	kvlist_free(&redacted);
	return !st->stop;
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
	if (!st->store->also)
		return deliver(st, r);
	/* A store with a second reader (event files in a Lightning version
	 * folder) is one run with both sources: hold its run until the store
	 * ends. A store that turns out to hold several runs gets no merge. */
	if (++st->store_runs == 1) {
		st->pending = r;
		return 1;
	}
	if (st->pending) {
		struct run *first = st->pending;
		st->pending = NULL;
		if (!deliver(st, first)) {
			run_free(r);
			return 0;
		}
	}
	return deliver(st, r);
}

/* Called when a store's reader is done: merges the second reader's runs into
 * the store's only run, reading them once, and delivers it. */
static void store_end(struct state *st)
{
	struct run *r = st->pending;
	st->pending = NULL;
	st->store_runs = 0;
	if (!r)
		return;
	if (st->stop) {
		run_free(r);
		return;
	}
	st->merge_into = r;
	struct run_sink also = {st, also_experiment, also_run};
	st->store->also->read(st->store->path, st->ropts, &also);
	st->merge_into = NULL;
	deliver(st, r);
}

/* ---- reading several stores at once, delivered in store order ---- */

/* What a store's reader delivered, in order. */
enum event_kind { EV_EXPERIMENT, EV_RUN, EV_MESSAGE, EV_END };

struct event {
	enum event_kind kind;
	void *item; /* struct experiment *, struct run * or a message line */
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
};

#define RUNS_AHEAD 4 /* runs a store may hold ready before its reader waits */

static void push(struct par *p, size_t i, enum event_kind kind, void *item, long rc)
{
	struct event *e = xcalloc(1, sizeof *e);
	e->kind = kind;
	e->item = item;
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
	push(p, j->i, EV_RUN, r, 0);
	pthread_mutex_lock(&p->mu);
	while (p->slots[j->i].runs >= RUNS_AHEAD && !p->stop)
		pthread_cond_wait(&p->cv, &p->mu);
	int go = !p->stop;
	pthread_mutex_unlock(&p->mu);
	return go;
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
		struct job j = {p, i};
		struct run_sink sink = {&j, job_experiment, job_run};
		diag_redirect(job_message, &j);
		const struct store_ref *st = &p->d->stores[i];
		long rc = st->reader->read(st->path, p->ropts, &sink);
		diag_redirect(NULL, NULL);
		push(p, i, EV_END, NULL, rc);
	}
}

static void free_events(struct event *e)
{
	while (e) {
		struct event *next = e->next;
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
	struct par p = {.d = d, .ropts = st->ropts, .window = (size_t)workers + 1};
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
		if (!st->stop && st->consumer->store_begin)
			st->consumer->store_begin(st->consumer->ctx, st->store, i, d->nstores);
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
					st->stats->unreadable_stores++;
				if (e->rc < -1 && !st->stats->fatal)
					st->stats->fatal = (int)-e->rc;
				store_end(st);
			} else if (kind == EV_MESSAGE)
				diag_print(e->item);
			else if (kind == EV_EXPERIMENT && !st->stop)
				main_experiment(st, e->item);
			else if (kind == EV_RUN && !st->stop)
				main_run(st, e->item);
			else if (kind == EV_RUN)
				run_free(e->item);
			else if (kind == EV_EXPERIMENT)
				experiment_free(e->item);
			if (kind == EV_MESSAGE || kind == EV_END)
				free(e->item);
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
		.consumer = consumer, .ropts = ropts, .stats = stats, .redact = redact,
	};
	int workers = jobs_or_cpus(ropts->jobs);
	if (workers > 1 && d->nstores > 1) {
		read_parallel(&st, d, workers);
	} else {
		struct run_sink sink = {&st, main_experiment, main_run};
		for (size_t i = 0; i < d->nstores && !st.stop; i++) {
			st.store = &d->stores[i];
			if (consumer->store_begin)
				consumer->store_begin(consumer->ctx, st.store, i, d->nstores);
			long rc = st.store->reader->read(st.store->path, ropts, &sink);
			if (rc < 0)
				stats->unreadable_stores++;
			if (rc < -1 && !stats->fatal)
				stats->fatal = (int)-rc;
			store_end(&st);
		}
	}
	seen_free(&st.seen);
	return !st.stop;
}

void pipeline_stats_free(struct pipeline_stats *stats)
{
	kvlist_free(&stats->duplicates);
}
