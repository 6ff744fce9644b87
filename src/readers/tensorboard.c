/* tensorboard.c — the TensorBoard reader: finds runs as TensorBoard does
 * (every folder holding event files is a run named by its relative path),
 * reads each run's event files in file-name order as one stream, and applies
 * TensorBoard's current restart rule per tag before handing points over.
 * Reference: formats/tensorboard-csv-dvc-hf.md §1. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runsite/diag.h"
#include "runsite/fsview.h"
#include "runsite/util.h"
#include "tb_event.h"
#include "tensorboard.h"
#include "tfrecord.h"
#include "runsite/yamlkv.h"

#define WALK_DEPTH 32         /* folder levels looked at below the input */
#define WALK_ENTRIES 1000000  /* folder entries looked at per input */
#define PROBE_ENTRIES 2000    /* entries the probe may look at */
#define TEXT_MAX_BYTES (256 * 1024) /* text shown per entry in the notes */
#define NOTES_MAX_BYTES (4 * 1024 * 1024)
#define TAG_CACHE 64          /* summary positions remembered per event */
#define TMPL_WAYS 8           /* summary layouts remembered (by length) */
#define TMPL_BYTES 256        /* the longest summary remembered */
#define TMPL_VALUES 32        /* the most values in a remembered summary */

enum plugin {
	PL_UNSET = 0,
	PL_SCALARS,
	PL_HISTOGRAMS,
	PL_TEXT,
	PL_HPARAMS,
	PL_IMAGES,
	PL_AUDIO,
	PL_PR_CURVES,
	PL_OTHER,
};

struct text_entry {
	int64_t step;
	char *md; /* the entry as Markdown */
};

struct tag {
	char *name;
	size_t len;
	enum plugin plugin;   /* from the tag's first metadata; PL_UNSET before any */
	char *plugin_name;    /* the first metadata's plugin name */
	long series;          /* index into run->metrics, -1 before the first scalar */
	long hist[3];         /* "(min)", "(max)", "(mean)" series, -1 before the first histogram */
	struct text_entry *texts;
	size_t ntexts, captexts;
	uint64_t text_dropped; /* text entries removed by the restart rule */
	const char *count_key; /* extras key for values only counted ("images", ...) */
	int64_t *steps;        /* their steps, under the restart rule like points */
	size_t nsteps, capsteps;
};

/* The tag last seen at one position of a summary. name and len are the
 * tag's (its name never moves), series its scalar series or -1. */
struct slot {
	long tag;
	const char *name;
	size_t len;
	long series;
};

/* A summary made only of Value{tag, simple_value}, as bytes with the floats
 * masked out: a later summary with the same bytes outside the floats holds
 * the same tags at the same places, so its floats go straight to the series. */
struct tmpl {
	size_t len;                 /* 0: empty */
	size_t nvals;
	uint8_t bytes[TMPL_BYTES];  /* the summary, floats zeroed */
	uint8_t mask[TMPL_BYTES];   /* 0xff where a summary must equal bytes, 0 at the floats */
	uint16_t off[TMPL_VALUES];  /* where each float is */
	long series[TMPL_VALUES];   /* and the series it goes to */
};

/* Everything known about the run being read. */
struct state {
	struct run *r;
	struct tag *tags;
	size_t ntags, captags;
	long *table;          /* open addressing: tag index + 1, 0 empty */
	size_t tsize;
	struct slot cache[TAG_CACHE]; /* the tag of the value at each summary position */
	struct tmpl tmpl[TMPL_WAYS];  /* by summary length modulo TMPL_WAYS */
	double wall_min, wall_max;
	bool have_wall;
	uint64_t n_graphs;
	uint64_t run_bytes;    /* size of all the run's event files */
	uint64_t bytes_before; /* size of the files before the current one */
	const struct tfr_reader *cur; /* the file being read */
	struct kvlist hp_metrics;    /* metric names the hparams experiment declares */
	int end_status;
};

static int quiet_notes;

void tb_set_quiet_notes(int quiet)
{
	quiet_notes = quiet;
}

/* ---- tags ---- */

static void table_put(struct state *st, long idx)
{
	size_t mask = st->tsize - 1;
	size_t i = (size_t)hash_bytes((const uint8_t *)st->tags[idx].name, st->tags[idx].len) & mask;
	while (st->table[i])
		i = (i + 1) & mask;
	st->table[i] = idx + 1;
}

/* The index of the tag named by bytes p/n, created when new. */
static long tag_find(struct state *st, const uint8_t *p, size_t n)
{
	if (st->tsize) {
		size_t mask = st->tsize - 1;
		for (size_t i = (size_t)hash_bytes(p, n) & mask; st->table[i]; i = (i + 1) & mask) {
			struct tag *t = &st->tags[st->table[i] - 1];
			if (t->len == n && (n == 0 || memcmp(t->name, p, n) == 0))
				return st->table[i] - 1;
		}
	}
	GROW(st->tags, st->captags, st->ntags + 1);
	struct tag *t = &st->tags[st->ntags];
	memset(t, 0, sizeof *t);
	/* Zero padding lets same_bytes() read whole words past the end. */
	t->name = xcalloc(1, n + 8);
	if (n) /* an empty tag may come with no bytes (p NULL) */
		memcpy(t->name, p, n);
	t->len = n;
	t->series = t->hist[0] = t->hist[1] = t->hist[2] = -1;
	long idx = (long)st->ntags++;
	if (st->ntags * 2 > st->tsize) {
		free(st->table);
		st->tsize = st->tsize ? st->tsize * 2 : 64;
		st->table = xcalloc(st->tsize, sizeof *st->table);
		for (long i = 0; i < (long)st->ntags; i++)
			table_put(st, i);
	} else {
		table_put(st, idx);
	}
	return idx;
}

/* memcmp(a, b, n) == 0 for n >= 8, in words, reading nothing outside either. */
static inline bool same_long(const char *a, const uint8_t *b, size_t n)
{
	uint64_t x, y;
	for (size_t i = 0; i + 8 < n; i += 8) {
		memcpy(&x, a + i, 8);
		memcpy(&y, b + i, 8);
		if (x != y)
			return false;
	}
	memcpy(&x, a + n - 8, 8);
	memcpy(&y, b + n - 8, 8);
	return x == y;
}

/* memcmp(a, b, n) == 0 for 0 < n < 8, when 8 bytes can be read at a and at b
 * (tag names are padded; a record has 5 bytes after a simple value's tag). */
static inline bool same_short(const char *a, const uint8_t *b, size_t n)
{
	uint64_t x, y;
	memcpy(&x, a, 8);
	memcpy(&y, b, 8);
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	return ((x ^ y) << (64 - 8 * n)) == 0;
#else
	return ((x ^ y) >> (64 - 8 * n)) == 0;
#endif
}

/* True when slot c holds the tag p/n; room: 8 bytes can be read at p. */
static inline bool slot_is(const struct slot *c, const uint8_t *p, size_t n, bool room)
{
	if (c->len != n)
		return false;
	if (n >= 8)
		return same_long(c->name, p, n);
	return room && n ? same_short(c->name, p, n) : memcmp(c->name, p, n) == 0;
}

/* The tag of the value at summary position pos: most events repeat the tags of
 * the one before in the same order, so compare with that first. room: 8 bytes
 * can be read at p. */
static inline long tag_lookup(struct state *st, size_t pos, const uint8_t *p, size_t n, bool room)
{
	if (pos < TAG_CACHE) {
		struct slot *c = &st->cache[pos];
		if (c->tag >= 0 && slot_is(c, p, n, room))
			return c->tag;
		long ti = tag_find(st, p, n);
		*c = (struct slot){ti, st->tags[ti].name, n, st->tags[ti].series};
		return ti;
	}
	return tag_find(st, p, n);
}

static enum plugin plugin_of(const uint8_t *p, size_t n)
{
	static const struct {
		const char *name;
		enum plugin pl;
	} known[] = {
		{"scalars", PL_SCALARS}, {"histograms", PL_HISTOGRAMS}, {"text", PL_TEXT},
		{"hparams", PL_HPARAMS}, {"images", PL_IMAGES},         {"audio", PL_AUDIO},
		{"pr_curves", PL_PR_CURVES},
	};
	for (size_t i = 0; i < sizeof known / sizeof *known; i++)
		if (pb_eq(p, n, known[i].name))
			return known[i].pl;
	return PL_OTHER;
}

/* ---- points and the restart rule ---- */

/* The capacity to give a series that is full: its final size estimated from
 * the share of the run's bytes read so far, so a million-point series is
 * allocated about once and not at twice its size; doubling when unsure. */
static size_t next_cap(const struct state *st, const struct series *s)
{
	size_t dbl = s->cap * 2;
	if (s->cap < 1024)
		return 1024;
	uint64_t done = st->bytes_before + (st->cur ? st->cur->pos : 0);
	if (done == 0 || st->run_bytes <= done)
		return dbl;
	double est = (double)s->n * (double)st->run_bytes / (double)done;
	/* A point takes at least 7 bytes in a file (tag, key, float). */
	if (est > (double)st->run_bytes / 7)
		est = (double)st->run_bytes / 7;
	if (est <= (double)s->cap * 1.05)
		return s->cap + s->cap / 2;
	return (size_t)(est * 1.01) + 256;
}

/* Removes the points of s with step >= step (they arrived before it). */
static __attribute__((noinline)) void restart(struct series *s, int64_t step)
{
	size_t lo = 0, hi = s->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (s->pts[mid].step < step)
			lo = mid + 1;
		else
			hi = mid;
	}
	s->dropped += s->n - lo;
	s->n = lo;
	s->summarized = false; /* the dropped points may hold its min or max */
}

static __attribute__((noinline)) void grow_points(const struct state *st, struct series *s)
{
	size_t ncap = next_cap(st, s);
	s->pts = xreallocarray(s->pts, ncap, sizeof *s->pts);
	s->cap = ncap;
}

/* Appends a point to series s after removing every earlier-arrived point
 * with step >= step (rustboard's reservoir rule, formats §1.12), so the
 * points stay strictly increasing in step. */
static inline void push_to(const struct state *st, struct series *s, int64_t step,
                           int64_t time_ms, double v)
{
	if (__builtin_expect(s->n && s->pts[s->n - 1].step >= step, 0))
		restart(s, step);
	if (__builtin_expect(s->n == s->cap, 0))
		grow_points(st, s);
	struct point *p = &s->pts[s->n++];
	*p = (struct point){step, time_ms, v};
	/* The summary as the points arrive (run_finish then need not read them
	 * again); steps increase, so the first of equal values is the earliest. */
	struct metric_summary *m = &s->sum;
	if (summary_count_nonfinite(m, v)) {
		/* counted; no candidate for min or max */
	} else if (__builtin_expect(!m->has_finite, 0)) {
		m->has_finite = true;
		m->min = m->max = *p;
	} else if (v < m->min.value) {
		m->min = *p;
	} else if (v > m->max.value) {
		m->max = *p;
	}
}

/* push_to() for series index si. */
static inline void push_point(struct state *st, long si, int64_t step, int64_t time_ms, double v)
{
	push_to(st, &st->r->metrics[si], step, time_ms, v);
}

static long series_index(struct run *r, const char *key)
{
	struct series *s = run_series(r, key);
	if (!s->pts && !s->n)
		s->summarized = true; /* new: push_to() keeps its summary */
	return (long)(s - r->metrics);
}

static int64_t wall_ms(double wall)
{
	if (!(wall > 0) || wall > 9e12)
		return 0;
	return (int64_t)(wall * 1000.0 + 0.5);
}

/* ---- text ---- */

struct text_ctx {
	struct buf *out;
	int cols;
	int col;
	long count;
};

/* One cell of a Markdown table: newlines become spaces, '|' is escaped. */
static void put_cell(struct buf *b, const uint8_t *s, size_t n)
{
	if (n > TEXT_MAX_BYTES)
		n = TEXT_MAX_BYTES;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\n' || s[i] == '\r')
			buf_putc(b, ' ');
		else if (s[i] == '|')
			BUF_PUTSL(b, "\\|");
		else
			buf_putc(b, s[i]);
	}
}

static void text_cell(void *vctx, const uint8_t *s, size_t n)
{
	struct text_ctx *c = vctx;
	if (c->col == 0)
		BUF_PUTSL(c->out, "|");
	buf_putc(c->out, ' ');
	put_cell(c->out, s, n);
	BUF_PUTSL(c->out, " |");
	if (++c->col == c->cols) {
		buf_putc(c->out, '\n');
		c->col = 0;
	}
	c->count++;
}

/* A text summary as Markdown, as TensorBoard's text plugin shows it: one
 * string as it is; a vector or matrix of strings as a table of cells. */
static char *text_markdown(const uint8_t *p, size_t n)
{
	struct tb_tensor t;
	if (!tb_tensor_parse(p, n, &t) || t.dtype != TB_DT_STRING || t.strings == 0)
		return NULL;
	struct buf b = BUF_INIT;
	if (t.strings == 1) {
		size_t len = t.first_string_len > TEXT_MAX_BYTES ? TEXT_MAX_BYTES : t.first_string_len;
		buf_put(&b, t.first_string, len);
		return buf_detach(&b);
	}
	int cols = t.rank >= 2 && t.dims[t.rank - 1] > 0 && t.dims[t.rank - 1] < 64
	                   ? (int)t.dims[t.rank - 1]
	                   : 1;
	BUF_PUTSL(&b, "|");
	for (int i = 0; i < cols; i++)
		BUF_PUTSL(&b, "   |");
	BUF_PUTSL(&b, "\n|");
	for (int i = 0; i < cols; i++)
		BUF_PUTSL(&b, "---|");
	buf_putc(&b, '\n');
	struct text_ctx c = {&b, cols, 0, 0};
	tb_tensor_strings(p, n, text_cell, &c);
	if (c.col)
		buf_putc(&b, '\n');
	return buf_detach(&b);
}

static void push_text(struct tag *t, int64_t step, char *md)
{
	size_t k = t->ntexts;
	while (k > 0 && t->texts[k - 1].step >= step)
		k--;
	for (size_t i = k; i < t->ntexts; i++)
		free(t->texts[i].md);
	t->text_dropped += t->ntexts - k;
	t->ntexts = k;
	GROW(t->texts, t->captexts, t->ntexts + 1);
	t->texts[t->ntexts++] = (struct text_entry){step, md};
}

/* ---- hparams ---- */

static void hp_param(void *ctx, const char *name, const char *value)
{
	struct state *st = ctx;
	if (!kvlist_get(&st->r->params, name))
		kvlist_add(&st->r->params, name, value);
}

static void hp_metric(void *ctx, const char *name)
{
	struct state *st = ctx;
	if (!kvlist_get(&st->hp_metrics, name))
		kvlist_add(&st->hp_metrics, name, "");
}

static void hp_end(void *ctx, int status)
{
	((struct state *)ctx)->end_status = status;
}

/* ---- events ---- */

/* Counts a value that is listed, not drawn, under key (static or the tag's
 * plugin name); a step preempts earlier-arrived steps >= it, as for points. */
static void count_value(struct tag *t, const char *key, int64_t step)
{
	if (!t->count_key)
		t->count_key = key;
	size_t k = t->nsteps;
	while (k > 0 && t->steps[k - 1] >= step)
		k--;
	t->nsteps = k;
	GROW(t->steps, t->capsteps, t->nsteps + 1);
	t->steps[t->nsteps++] = step;
}

static void add_band(struct state *st, struct tag *t, int64_t step, int64_t ms,
                     const struct tb_band *band)
{
	static const char *const suffix[3] = {" (min)", " (max)", " (mean)"};
	if (t->hist[0] < 0)
		for (int k = 0; k < 3; k++) {
			char *key = xasprintf("%s%s", t->name, suffix[k]);
			t->hist[k] = series_index(st->r, key);
			free(key);
		}
	push_point(st, t->hist[0], step, ms, band->min);
	push_point(st, t->hist[1], step, ms, band->max);
	push_point(st, t->hist[2], step, ms, band->mean);
	count_value(t, "histograms", step);
}

static void scalar(struct state *st, struct tag *t, int64_t step, int64_t ms, double v)
{
	if (t->series < 0)
		t->series = series_index(st->r, t->name);
	push_point(st, t->series, step, ms, v);
}

/* Handles one Summary.Value by the plugin of its tag (formats §1.6, §1.8). */
static void value(struct state *st, const struct tb_event *ev, int64_t ms,
                  const struct tb_value *v, size_t pos)
{
	long ti = tag_lookup(st, pos, v->tag, v->tag_len, false); /* may move st->tags */
	struct tag *t = &st->tags[ti];
	if (v->has_meta && t->plugin == PL_UNSET) {
		t->plugin = plugin_of(v->plugin, v->plugin_len);
		t->plugin_name = xstrndup((const char *)v->plugin, v->plugin_len);
	}
	/* hparams data rides in the metadata of every hparams summary. */
	if (v->has_meta && pb_eq(v->plugin, v->plugin_len, "hparams")) {
		struct tb_hparams_cb cb = {st, hp_param, hp_metric, hp_end};
		tb_hparams_parse(v->content, v->content_len, &cb);
	}
	double x;
	struct tb_band band;
	switch (v->kind) {
	case TB_VALUE_SIMPLE:
		scalar(st, t, ev->step, ms, v->simple);
		return;
	case TB_VALUE_HISTO:
		if (tb_histo_band(v->data, v->len, &band))
			add_band(st, t, ev->step, ms, &band);
		else
			count_value(t, "histograms", ev->step);
		return;
	case TB_VALUE_IMAGE:
		count_value(t, "images", ev->step);
		return;
	case TB_VALUE_AUDIO:
		count_value(t, "audio", ev->step);
		return;
	case TB_VALUE_TENSOR:
		break;
	default:
		return;
	}
	switch (t->plugin) {
	case PL_SCALARS:
	case PL_UNSET:
		if (tb_tensor_scalar(v->data, v->len, &x))
			scalar(st, t, ev->step, ms, x);
		else if (t->plugin == PL_UNSET)
			count_value(t, "tensors", ev->step);
		return;
	case PL_HISTOGRAMS:
		if (tb_tensor_histo_band(v->data, v->len, &band))
			add_band(st, t, ev->step, ms, &band);
		else
			count_value(t, "histograms", ev->step);
		return;
	case PL_TEXT: {
		char *md = text_markdown(v->data, v->len);
		if (md)
			push_text(t, ev->step, md);
		return;
	}
	case PL_HPARAMS:
		return;
	case PL_IMAGES:
		count_value(t, "images", ev->step);
		return;
	case PL_AUDIO:
		count_value(t, "audio", ev->step);
		return;
	case PL_PR_CURVES:
		count_value(t, "pr_curves", ev->step);
		return;
	default:
		count_value(t, t->plugin_name ? t->plugin_name : "tensors", ev->step);
		return;
	}
}

/* The layout nearly every scalar event has, read without the general field
 * loop: wall_time (09 + 8 bytes), an optional step (10 + varint) and the
 * summary (2a + length) ending the record. Returns the summary's start, or
 * NULL for any other layout (then read the general way, which gives the same
 * result for these bytes). */
static inline const uint8_t *fast_header(const uint8_t *p, size_t n, struct tb_event *ev)
{
	const uint8_t *end = p + n, *q = p + 9;
	if (n < 11 || p[0] != 0x09)
		return NULL;
	memcpy(&ev->wall_time, p + 1, 8);
	ev->step = 0;
	if (*q == 0x10) {
		struct pb b = {q + 1, end};
		uint64_t v;
		if (!pb_varint(&b, &v))
			return NULL;
		ev->step = (int64_t)v;
		q = b.p;
	}
	if (end - q < 2 || q[0] != 0x2a)
		return NULL;
	struct pb b = {q + 1, end};
	uint64_t len;
	if (!pb_varint(&b, &len) || len != (uint64_t)(end - b.p))
		return NULL;
	ev->what = TB_SUMMARY;
	ev->data = b.p;
	ev->len = (size_t)len;
	ev->session_status = 0;
	return b.p;
}

/* True when the n summary bytes at p equal tp's outside its floats (n >= 8);
 * 16 bytes at a time (SSE2 on x86-64) when there are that many. */
static inline bool tmpl_match(const struct tmpl *tp, const uint8_t *p, size_t n)
{
	typedef uint64_t v2 __attribute__((vector_size(16)));
	uint64_t diff = 0, x, y, m;
	size_t i;
	if (n >= 16) {
		v2 d = {0, 0}, a, b, k;
		for (i = 0; i + 16 <= n; i += 16) {
			memcpy(&a, p + i, 16);
			memcpy(&b, tp->bytes + i, 16);
			memcpy(&k, tp->mask + i, 16);
			d |= (a ^ b) & k;
		}
		if (i < n) {
			memcpy(&a, p + n - 16, 16);
			memcpy(&b, tp->bytes + n - 16, 16);
			memcpy(&k, tp->mask + n - 16, 16);
			d |= (a ^ b) & k;
		}
		return (d[0] | d[1]) == 0;
	}
	for (i = 0; i + 8 <= n; i += 8) {
		memcpy(&x, p + i, 8);
		memcpy(&y, tp->bytes + i, 8);
		memcpy(&m, tp->mask + i, 8);
		diff |= (x ^ y) & m;
	}
	if (i < n) {
		memcpy(&x, p + n - 8, 8);
		memcpy(&y, tp->bytes + n - 8, 8);
		memcpy(&m, tp->mask + n - 8, 8);
		diff |= (x ^ y) & m;
	}
	return diff == 0;
}

/* Remembers the summary p/n of nv simple values whose floats are at off[] and
 * went to series[]. */
static void tmpl_keep(struct state *st, const uint8_t *p, size_t n, size_t nv,
                      const uint16_t *off, const long *series)
{
	struct tmpl *tp = &st->tmpl[n % TMPL_WAYS];
	tp->len = n;
	tp->nvals = nv;
	memcpy(tp->bytes, p, n);
	memset(tp->mask, 0xff, n);
	for (size_t i = 0; i < nv; i++) {
		memset(tp->bytes + off[i], 0, 4);
		memset(tp->mask + off[i], 0, 4);
		tp->off[i] = off[i];
		tp->series[i] = series[i];
	}
}

/* Decodes one record. Returns 0 when it is not a valid Event. */
static int event(struct state *st, const uint8_t *p, size_t n)
{
	struct tb_event ev;
	if (!fast_header(p, n, &ev) && !tb_event_parse(p, n, &ev))
		return 0;
	if (ev.wall_time > 0 && isfinite(ev.wall_time)) {
		if (!st->have_wall || ev.wall_time < st->wall_min)
			st->wall_min = ev.wall_time;
		if (!st->have_wall || ev.wall_time > st->wall_max)
			st->wall_max = ev.wall_time;
		st->have_wall = true;
	}
	if (ev.what == TB_GRAPH) {
		st->n_graphs++;
		return 1;
	}
	if (ev.what != TB_SUMMARY)
		return 1;
	int64_t ms = wall_ms(ev.wall_time);
	const uint8_t *q = ev.data, *end = ev.data + ev.len;
	const struct tmpl *tp = &st->tmpl[ev.len % TMPL_WAYS];
	if (tp->len == ev.len && ev.len >= 8 && tmpl_match(tp, q, ev.len)) {
		struct series *m = st->r->metrics; /* no series is added in this loop */
		for (size_t i = 0; i < tp->nvals; i++) {
			float f;
			memcpy(&f, q + tp->off[i], 4);
			push_to(st, &m[tp->series[i]], ev.step, ms, f);
		}
		return 1;
	}
	uint16_t off[TMPL_VALUES];
	long series[TMPL_VALUES];
	bool simple = ev.len <= TMPL_BYTES; /* every value so far simple, each noted */
	size_t pos = 0;
	while (q < end) {
		/* Value{tag, simple_value} with one-byte lengths, as in tb_summary_next:
		 * 0a LV 0a LT <tag> 15 <float>. */
		size_t left = (size_t)(end - q);
		if (left >= 9 && q[0] == 0x0a && q[1] < 0x80 && q[1] + 2u <= left && q[2] == 0x0a &&
		    q[3] < 0x80 && q[1] == q[3] + 7u && q[3] > 0 && q[4 + q[3]] == 0x15) {
			float f;
			size_t tn = q[3];
			long si;
			memcpy(&f, q + 5 + tn, 4);
			/* tn >= 3 leaves 8 bytes at the tag (the float's 5 follow it). */
			if (pos < TAG_CACHE && st->cache[pos].series >= 0 &&
			    slot_is(&st->cache[pos], q + 4, tn, tn >= 3)) {
				si = st->cache[pos].series;
				push_point(st, si, ev.step, ms, f);
			} else {
				long ti = tag_lookup(st, pos, q + 4, tn, tn >= 3);
				scalar(st, &st->tags[ti], ev.step, ms, f);
				si = st->tags[ti].series;
				if (pos < TAG_CACHE)
					st->cache[pos].series = si;
			}
			if (simple && pos < TMPL_VALUES) {
				off[pos] = (uint16_t)(q + 5 + tn - ev.data);
				series[pos] = si;
			} else {
				simple = false;
			}
			pos++;
			q += 2 + q[1];
			continue;
		}
		simple = false;
		struct pb s = {q, end};
		struct tb_value v;
		int rc = tb_summary_next(&s, &v);
		if (rc <= 0)
			return rc == 0;
		value(st, &ev, ms, &v, pos++);
		q = s.p;
	}
	if (simple && pos > 0 && ev.len >= 8)
		tmpl_keep(st, ev.data, ev.len, pos, off, series);
	return 1;
}

static void state_init(struct state *st, struct run *r)
{
	memset(st, 0, sizeof *st);
	st->r = r;
	for (int i = 0; i < TAG_CACHE; i++)
		st->cache[i] = (struct slot){-1, NULL, 0, -1};
}

/* Reads every record of one file. Returns the records read, or -1 when the
 * file is not an event file or cannot be read (reported). */
static long read_records(struct state *st, struct tfr_reader *t)
{
	const uint8_t *p;
	size_t n;
	/* Changed after sigsetjmp and read after a jump: volatile. */
	volatile enum tfr_status s = TFR_END;
	volatile uint64_t bad = 0, first_bad = 0;
	sigjmp_buf jb;
	t->quiet_notes = quiet_notes;
	st->cur = t;
	tfr_guard_set(t, &jb);
	if (sigsetjmp(jb, 0) == 0) {
		while ((s = tfr_next(t, &p, &n)) == TFR_RECORD) {
			if (!event(st, p, n) && bad++ == 0)
				first_bad = tfr_record_offset(t);
		}
	} else {
		s = TFR_END;
		diag_warn_at(t->path, t->pos, "the file was shortened while being read; kept the "
		             "%llu records before this offset", (unsigned long long)t->records);
	}
	tfr_unguard(t);
	if (bad)
		diag_warn_at(t->path, first_bad, "%llu record%s not a valid Event (CRCs correct); "
		             "skipped", (unsigned long long)bad, bad == 1 ? " is" : "s are");
	st->cur = NULL;
	st->bytes_before += t->pos;
	return s == TFR_ERROR ? -1 : (long)t->records;
}

static long read_file_into(struct state *st, const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		diag_warn(path, 0, "cannot open: %s", strerror(errno));
		return -1;
	}
	struct stat sb;
	if (fstat(fd, &sb) != 0) {
		diag_warn(path, 0, "cannot stat: %s", strerror(errno));
		close(fd);
		return -1;
	}
	struct tfr_reader t;
	tfr_open_fd(&t, path, fd, (uint64_t)sb.st_size);
	long got = read_records(st, &t);
	tfr_close(&t);
	close(fd);
	return got;
}

static int cmp_text(const void *a, const void *b)
{
	const struct text_entry *x = a, *y = b;
	return (x->step > y->step) - (x->step < y->step);
}

static void put_count(struct kvlist *l, const char *key, uint64_t n)
{
	if (!n)
		return;
	char num[32];
	snprintf(num, sizeof num, "%llu", (unsigned long long)n);
	kvlist_add(l, key, num);
}

/* Moves what the state gathered beside the points into the run: notes from
 * text summaries, times, status, extras. Frees the state. */
static void state_finish(struct state *st)
{
	struct run *r = st->r;
	struct buf notes = BUF_INIT;
	size_t omitted = 0;
	if (r->notes)
		buf_puts(&notes, r->notes);
	for (size_t i = 0; i < st->ntags; i++) {
		struct tag *t = &st->tags[i];
		if (!t->ntexts)
			continue;
		qsort(t->texts, t->ntexts, sizeof *t->texts, cmp_text);
		for (size_t k = 0; k < t->ntexts; k++) {
			if (notes.size > NOTES_MAX_BYTES) {
				omitted++;
				continue;
			}
			if (notes.size)
				buf_putc(&notes, '\n');
			buf_printf(&notes, "### %s", t->name);
			if (t->ntexts > 1 || t->texts[k].step != 0)
				buf_printf(&notes, " (step %lld)", (long long)t->texts[k].step);
			buf_printf(&notes, "\n\n%s\n", t->texts[k].md);
		}
	}
	if (omitted)
		buf_printf(&notes, "\n*%zu more text entries not shown.*\n", omitted);
	if (notes.size) {
		free(r->notes);
		r->notes = buf_detach(&notes);
	}
	buf_free(&notes);
	if (st->have_wall) {
		int64_t lo = wall_ms(st->wall_min), hi = wall_ms(st->wall_max);
		if (r->start_ms == TIME_UNKNOWN || lo < r->start_ms)
			r->start_ms = lo;
		if (r->end_ms == TIME_UNKNOWN || hi > r->end_ms)
			r->end_ms = hi;
	}
	if (st->end_status && !r->status) {
		const char *s = st->end_status == 1   ? "FINISHED"
		                : st->end_status == 2 ? "FAILED"
		                : st->end_status == 3 ? "RUNNING"
		                                      : NULL;
		if (s)
			r->status = xstrdup(s);
	}
	/* Counts per kind, summed over tags, in a fixed order then by first appearance. */
	static const char *const order[] = {"histograms", "images", "audio", "text", "pr_curves"};
	const char *keys[64];
	uint64_t counts[64];
	size_t nkeys = 0;
	for (size_t i = 0; i < sizeof order / sizeof *order; i++) {
		keys[nkeys] = order[i];
		counts[nkeys++] = 0;
	}
	for (size_t i = 0; i < st->ntags; i++) {
		struct tag *t = &st->tags[i];
		const char *key = t->ntexts ? "text" : t->count_key;
		uint64_t n = t->ntexts ? t->ntexts : t->nsteps;
		if (!key || !n)
			continue;
		size_t k = 0;
		while (k < nkeys && strcmp(keys[k], key) != 0)
			k++;
		if (k == nkeys) {
			if (nkeys == 64)
				continue;
			keys[nkeys] = key;
			counts[nkeys++] = 0;
		}
		counts[k] += n;
	}
	for (size_t k = 0; k < nkeys; k++)
		put_count(&r->extras, keys[k], counts[k]);
	put_count(&r->extras, "graphs", st->n_graphs);
	if (st->hp_metrics.n) {
		struct buf m = BUF_INIT;
		for (size_t i = 0; i < st->hp_metrics.n; i++) {
			if (i)
				BUF_PUTSL(&m, ", ");
			buf_puts(&m, st->hp_metrics.items[i].key);
		}
		kvlist_add(&r->extras, "hparams metrics", buf_cstr(&m));
		buf_free(&m);
	}
	for (size_t i = 0; i < st->ntags; i++) {
		struct tag *t = &st->tags[i];
		free(t->name);
		free(t->plugin_name);
		for (size_t k = 0; k < t->ntexts; k++)
			free(t->texts[k].md);
		free(t->texts);
		free(t->steps);
	}
	free(st->tags);
	free(st->table);
	kvlist_free(&st->hp_metrics);
}

long tb_ingest_memory(struct run *r, const char *label, const void *data, size_t n)
{
	struct state st;
	struct tfr_reader t;
	state_init(&st, r);
	st.run_bytes = n;
	tfr_open_mem(&t, label, data, n);
	long got = read_records(&st, &t);
	tfr_close(&t);
	state_finish(&st);
	return got;
}

/* ---- Lightning hparams.yaml ---- */

/* Adds the hyper-parameters of a Lightning hparams.yaml in dir to r->params
 * (keys already there from the event files win), flattened as the
 * Lightning CSV reader does, so one param has one key in a merged run. */
static void read_hparams_yaml(struct run *r, const char *dir)
{
	char *path = path_join(dir, "hparams.yaml");
	struct stat sb;
	if (stat(path, &sb) == 0 && S_ISREG(sb.st_mode)) {
		struct kvlist kv = {0};
		yamlkv_load(path, NULL, YAMLKV_SEP_LIGHTNING, &kv);
		for (size_t i = 0; i < kv.n; i++)
			if (!kvlist_get(&r->params, kv.items[i].key))
				kvlist_add(&r->params, kv.items[i].key, kv.items[i].value);
		kvlist_free(&kv);
	}
	free(path);
}

/* ---- finding runs ---- */

struct run_dir {
	char *rel;     /* relative to the input; "." for the input itself */
	char **files;  /* full paths, sorted by file name */
	size_t nfiles, capfiles;
};

struct walk {
	struct run_dir *runs;
	size_t nruns, capruns;
	size_t seen;
	char *const *skip; /* folders other stores read (reader_opts.skip_dirs) */
	size_t nskip;
};

static bool skipped_dir(const struct walk *w, const char *dir)
{
	for (size_t i = 0; i < w->nskip; i++)
		if (strcmp(w->skip[i], dir) == 0)
			return true;
	return false;
}

/* True for a file TensorBoard reads as an event file (formats §1.1). */
static bool is_event_name(const char *name)
{
	return strstr(name, "tfevents") != NULL && !str_ends(name, ".profile-empty");
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int cmp_run_dir(const void *a, const void *b)
{
	return strcmp(((const struct run_dir *)a)->rel, ((const struct run_dir *)b)->rel);
}

/* Collects dir (named rel) and the folders below it that hold event files. */
static void walk_dir(struct walk *w, const char *dir, const char *rel, int depth)
{
	DIR *dp = opendir(dir);
	if (!dp) {
		diag_warn(dir, 0, "cannot read folder: %s", strerror(errno));
		return;
	}
	struct run_dir here = {xstrdup(rel), NULL, 0, 0};
	char **subdirs = NULL;
	size_t nsub = 0, capsub = 0;
	struct dirent *de;
	while ((de = readdir(dp)) != NULL) {
		if (de->d_name[0] == '.' || ++w->seen > WALK_ENTRIES)
			continue;
		char *child = path_join(dir, de->d_name);
		struct stat sb;
		bool link = false;
		if (lstat(child, &sb) == 0 && S_ISLNK(sb.st_mode)) {
			link = true;
			if (stat(child, &sb) != 0) {
				free(child);
				continue;
			}
		}
		if (S_ISREG(sb.st_mode) && is_event_name(de->d_name)) {
			GROW(here.files, here.capfiles, here.nfiles + 1);
			here.files[here.nfiles++] = child;
			continue;
		}
		if (!S_ISREG(sb.st_mode) && !S_ISDIR(sb.st_mode) && is_event_name(de->d_name))
			diag_warn(child, 0, "%s, not a regular file; left out",
			          file_kind_name(sb.st_mode));
		/* Linked folders are not followed, so a link cycle cannot trap the walk. */
		if (S_ISDIR(sb.st_mode) && !link && depth < WALK_DEPTH) {
			GROW(subdirs, capsub, nsub + 1);
			subdirs[nsub++] = xstrdup(de->d_name);
		}
		free(child);
	}
	closedir(dp);
	if (here.nfiles) {
		qsort(here.files, here.nfiles, sizeof *here.files, cmp_str);
		GROW(w->runs, w->capruns, w->nruns + 1);
		w->runs[w->nruns++] = here;
	} else {
		free(here.rel);
	}
	for (size_t i = 0; i < nsub; i++) {
		char *child = path_join(dir, subdirs[i]);
		char *crel = strcmp(rel, ".") == 0 ? xstrdup(subdirs[i]) : path_join(rel, subdirs[i]);
		if (!skipped_dir(w, child))
			walk_dir(w, child, crel, depth + 1);
		free(child);
		free(crel);
		free(subdirs[i]);
	}
	free(subdirs);
}

/* The last component of path, without trailing slashes (caller frees). */
static char *base_name(const char *path)
{
	char *copy = xstrdup(path);
	size_t n = strlen(copy);
	while (n > 1 && copy[n - 1] == '/')
		copy[--n] = '\0';
	if (strcmp(copy, ".") == 0 || strcmp(copy, "..") == 0 || n == 0) {
		char *real = realpath(copy[0] ? copy : ".", NULL);
		if (real) {
			free(copy);
			copy = real;
		}
	}
	const char *slash = strrchr(copy, '/');
	char *out = xstrdup(slash && slash[1] ? slash + 1 : copy);
	free(copy);
	return out;
}

/* The folder path (as given) of the experiment a run belongs to: the input,
 * except that Keras train/ and validation/ runs belong to their parent. */
static char *experiment_dir(const char *input, const char *rel)
{
	const char *slash = strrchr(rel, '/');
	const char *last = slash ? slash + 1 : rel;
	if (slash && (strcmp(last, "train") == 0 || strcmp(last, "validation") == 0)) {
		char *parent = xstrndup(rel, (size_t)(slash - rel));
		char *dir = path_join(input, parent);
		free(parent);
		return dir;
	}
	return xstrdup(input);
}

/* Reads one run folder into a new run. Sets *readable to whether any file
 * could be read. */
static struct run *read_run(const char *input, const struct run_dir *rd, bool *readable)
{
	struct run *r = run_new("tensorboard", input);
	struct state st;
	state_init(&st, r);
	*readable = false;
	for (size_t i = 0; i < rd->nfiles; i++) {
		struct stat sb;
		if (stat(rd->files[i], &sb) == 0)
			st.run_bytes += (uint64_t)sb.st_size;
	}
	for (size_t i = 0; i < rd->nfiles; i++)
		if (read_file_into(&st, rd->files[i]) >= 0)
			*readable = true;
	char *dir = strcmp(rd->rel, ".") == 0 ? xstrdup(input) : path_join(input, rd->rel);
	char *notes = path_join(dir, RUN_NOTES_FILE);
	run_read_notes(r, notes); /* before state_finish: text summaries follow it */
	free(notes);
	state_finish(&st);
	r->id = xstrdup(rd->rel);
	r->name = strcmp(rd->rel, ".") == 0 ? base_name(input) : xstrdup(rd->rel);
	char *edir = experiment_dir(input, rd->rel);
	r->experiment_id = xstrdup(edir);
	r->experiment_name = base_name(edir);
	free(edir);
	struct stat sb;
	if (stat(dir, &sb) == 0 && S_ISDIR(sb.st_mode))
		read_hparams_yaml(r, dir);
	free(dir);
	if (!r->status)
		r->status = xstrdup("UNKNOWN");
	return r;
}

/* ---- reading the next run on a second thread ---- */

/* While the caller reads run i (and its charts are drawn), a helper thread
 * reads run i + 1 when both are small, so a log folder of many runs uses two
 * cores. Its warnings are kept and printed when its run is handed over, in
 * the order one thread would print them. Runs over AHEAD_MAX_BYTES of event
 * files are read in line, so memory still follows the largest run. */
#define AHEAD_MAX_BYTES (32u << 20)

struct ahead {
	pthread_t th;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int on;                /* a helper thread runs */
	const char *input;
	const struct run_dir *runs;
	size_t nruns;
	size_t assigned;       /* the run the helper reads or has read; nruns: none */
	int done;              /* it has: result, readable and msgs are set */
	struct run *result;
	bool readable;
	struct buf msgs;       /* its warnings, whole lines */
	int stop;
};

static uint64_t run_dir_bytes(const struct run_dir *rd)
{
	uint64_t n = 0;
	struct stat sb;
	for (size_t k = 0; k < rd->nfiles; k++)
		if (stat(rd->files[k], &sb) == 0)
			n += (uint64_t)sb.st_size;
	return n;
}

static void ahead_message(void *ctx, char *text)
{
	struct ahead *a = ctx;
	buf_puts(&a->msgs, text); /* only the helper thread writes msgs while it reads */
	free(text);
}

static void *ahead_main(void *arg)
{
	struct ahead *a = arg;
	pthread_mutex_lock(&a->mu);
	for (;;) {
		while (!a->stop && (a->assigned >= a->nruns || a->done))
			pthread_cond_wait(&a->cv, &a->mu);
		if (a->stop)
			break;
		size_t i = a->assigned;
		pthread_mutex_unlock(&a->mu);
		bool readable;
		diag_redirect(ahead_message, a);
		struct run *r = read_run(a->input, &a->runs[i], &readable);
		diag_redirect(NULL, NULL);
		pthread_mutex_lock(&a->mu);
		a->result = r;
		a->readable = readable;
		a->done = 1;
		pthread_cond_broadcast(&a->cv);
	}
	pthread_mutex_unlock(&a->mu);
	return NULL;
}

/* Gives the helper run i when it is free and the run is small. Call with
 * a->mu held. */
static void ahead_ask(struct ahead *a, size_t i)
{
	if (a->on && a->assigned >= a->nruns && i < a->nruns &&
	    run_dir_bytes(&a->runs[i]) <= AHEAD_MAX_BYTES) {
		a->assigned = i;
		a->done = 0;
		pthread_cond_broadcast(&a->cv);
	}
}

static void ahead_start(struct ahead *a, const char *input, const struct run_dir *runs,
                        size_t nruns, const struct reader_opts *opts)
{
	memset(a, 0, sizeof *a);
	a->input = input;
	a->runs = runs;
	a->nruns = nruns;
	a->assigned = nruns;
	if (nruns < 2 || jobs_or_cpus(opts ? opts->jobs : 0) < 2)
		return;
	pthread_mutex_init(&a->mu, NULL);
	pthread_cond_init(&a->cv, NULL);
	a->on = pthread_create(&a->th, NULL, ahead_main, a) == 0;
	if (!a->on) {
		pthread_mutex_destroy(&a->mu);
		pthread_cond_destroy(&a->cv);
		return;
	}
	pthread_mutex_lock(&a->mu);
	ahead_ask(a, 1);
	pthread_mutex_unlock(&a->mu);
}

/* Run i if the helper read it (its warnings printed now), else NULL: the
 * caller reads it. The two threads then take turns: when the helper had run
 * i, the caller reads i + 1 and the helper gets i + 2; when the caller reads
 * run i itself and the helper is free, the helper gets i + 1. */
static struct run *ahead_take(struct ahead *a, size_t i, bool *readable)
{
	if (!a->on)
		return NULL;
	struct run *r = NULL;
	pthread_mutex_lock(&a->mu);
	if (a->assigned == i) {
		while (!a->done)
			pthread_cond_wait(&a->cv, &a->mu);
		r = a->result;
		*readable = a->readable;
		a->result = NULL;
		a->assigned = a->nruns;
		a->done = 0;
		if (a->msgs.size)
			diag_print(buf_cstr(&a->msgs));
		buf_free(&a->msgs);
		ahead_ask(a, i + 2);
	} else {
		ahead_ask(a, i + 1);
	}
	pthread_mutex_unlock(&a->mu);
	return r;
}

static void ahead_stop(struct ahead *a)
{
	if (!a->on)
		return;
	pthread_mutex_lock(&a->mu);
	a->stop = 1;
	pthread_cond_broadcast(&a->cv);
	pthread_mutex_unlock(&a->mu);
	pthread_join(a->th, NULL);
	run_free(a->result);
	buf_free(&a->msgs);
	pthread_mutex_destroy(&a->mu);
	pthread_cond_destroy(&a->cv);
}

static long read_store(const char *path, const struct reader_opts *opts, struct run_sink *sink)
{
	struct stat sb;
	struct walk w = {NULL, 0, 0, 0, opts ? opts->skip_dirs : NULL, opts ? opts->nskip_dirs : 0};
	long delivered = 0, unreadable = 0;
	char **experiments = NULL;
	size_t nexp = 0, capexp = 0;
	if (stat(path, &sb) != 0) {
		diag_warn(path, 0, "%s", strerror(errno));
		return -1;
	}
	char *input = NULL;
	if (S_ISDIR(sb.st_mode)) {
		input = xstrdup(path);
		walk_dir(&w, path, ".", 0);
		if (w.seen > WALK_ENTRIES)
			diag_warn(path, 0, "stopped looking for event files after %d entries",
			          WALK_ENTRIES);
	} else {
		/* A single event file: its folder is the input, the file its only run. */
		const char *slash = strrchr(path, '/');
		input = slash ? xstrndup(path, (size_t)(slash - path + (slash == path))) : xstrdup(".");
		struct run_dir rd = {xstrdup("."), xmalloc(sizeof(char *)), 1, 1};
		rd.files[0] = xstrdup(path);
		GROW(w.runs, w.capruns, 1);
		w.runs[w.nruns++] = rd;
	}
	if (w.nruns > 1)
		qsort(w.runs, w.nruns, sizeof *w.runs, cmp_run_dir);
	if (w.nruns == 0)
		diag_warn(path, 0, "no TensorBoard event files found");
	size_t i;
	struct ahead ah;
	ahead_start(&ah, input, w.runs, w.nruns, opts);
	for (i = 0; i < w.nruns; i++) {
		bool readable;
		struct run *r = ahead_take(&ah, i, &readable);
		if (!r)
			r = read_run(input, &w.runs[i], &readable);
		if (!readable) {
			unreadable++;
			run_free(r);
			continue;
		}
		bool known = false;
		for (size_t k = 0; k < nexp && !known; k++)
			known = strcmp(experiments[k], r->experiment_id) == 0;
		if (!known) {
			GROW(experiments, capexp, nexp + 1);
			experiments[nexp++] = xstrdup(r->experiment_id);
			if (sink->experiment) {
				struct experiment *e = experiment_new();
				e->id = xstrdup(r->experiment_id);
				e->name = xstrdup(r->experiment_name);
				sink->experiment(sink->ctx, e);
			}
		}
		run_finish(r, opts ? opts->dec_buckets : 0);
		delivered++;
		if (!sink->run(sink->ctx, r))
			break;
	}
	ahead_stop(&ah);
	for (i = 0; i < w.nruns; i++) {
		free(w.runs[i].rel);
		for (size_t k = 0; k < w.runs[i].nfiles; k++)
			free(w.runs[i].files[k]);
		free(w.runs[i].files);
	}
	free(w.runs);
	for (i = 0; i < nexp; i++)
		free(experiments[i]);
	free(experiments);
	free(input);
	if (delivered == 0 && (unreadable > 0 || w.nruns == 0))
		return -1;
	return delivered;
}

/* ---- probe ---- */

/* True when an event file is in dir or up to `levels` folder levels below it. */
static bool has_events(const char *dir, int levels, size_t *budget)
{
	struct fsview_listing l;
	if (!fsview_open_list(dir, &l))
		return false;
	bool found = false;
	char **subdirs = NULL;
	size_t nsub = 0, capsub = 0;
	for (size_t i = 0; !found && i < l.n; i++) {
		const struct fsview_entry *de = &l.e[i];
		if (de->name[0] == '.' || *budget == 0)
			continue;
		(*budget)--;
		if (is_event_name(de->name)) {
			char *child = path_join(dir, de->name);
			found = fsview_is_file(child);
			free(child);
		} else if (levels > 0 && (de->type == DT_DIR || de->type == DT_UNKNOWN)) {
			GROW(subdirs, capsub, nsub + 1);
			subdirs[nsub++] = xstrdup(de->name);
		}
	}
	fsview_close_list(&l);
	for (size_t i = 0; i < nsub; i++) {
		if (!found) {
			char *child = path_join(dir, subdirs[i]);
			if (fsview_mode(child, false) == S_IFDIR)
				found = has_events(child, levels - 1, budget);
			free(child);
		}
		free(subdirs[i]);
	}
	free(subdirs);
	return found;
}

/* Claims an event file, or a folder with event files in it or at most two
 * folder levels below (a logdir of runs, lightning_logs/version_N, Keras
 * train/validation, HF runs/<name>/). Deeper trees are claimed further down
 * by discovery, so a folder of unrelated projects is not taken whole. */
static int probe(const char *path)
{
	mode_t type = fsview_mode(path, true);
	if (type == S_IFREG) {
		const char *slash = strrchr(path, '/');
		return is_event_name(slash ? slash + 1 : path) ? 40 : 0;
	}
	if (type != S_IFDIR)
		return 0;
	size_t budget = PROBE_ENTRIES;
	if (has_events(path, 0, &budget))
		return 40;
	budget = PROBE_ENTRIES;
	return has_events(path, 2, &budget) ? 30 : 0;
}

const struct reader reader_tensorboard = {
	.name = "tensorboard",
	.what = "TensorBoard event files (tfevents): scalars, histograms, text, hparams",
	.probe = probe,
	.read = read_store,
	.logdir = true, /* runs are the folders holding event files below the log folder */
};
