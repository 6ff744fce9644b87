/* wandb.c — Weights & Biases run folders (online and offline runs look the
 * same): the run-<id>.wandb record log is the source of truth; files/
 * (config.yaml, wandb-summary.json, wandb-metadata.json, output.log) fill in
 * what a missing or cut log lacks. A run folder is a run; the wandb/ folder
 * above run folders is one store. Field numbers are those of wandb's
 * wandb/proto/wandb_internal.proto (shared/formats/mlflow-clearml-wandb.md §4). */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "runsite/diag.h"
#include "runsite/fsview.h"
#include "runsite/numparse.h"
#include "runsite/reader.h"
#include "runsite/util.h"
#include "artifact_walk.h"
#include "console_note.h"
#include "csvparse.h"
#include "protobuf.h"
#include "wandb.h"
#include "wandb_log.h"
#include "runsite/yamlkv.h"

/* Blocks of a .wandb file read at a time: 128 KiB, the read() size found
 * fastest here (shared/bench/BASELINES.md), and it stays in the L2 cache
 * between its checksum and its decoding. */
#define WB_WINDOW_BLOCKS 4
#define WB_MAX_TEXT ((size_t)64 << 20)   /* a JSON or YAML file of files/ */
#define WB_CONSOLE_MAX ((size_t)1 << 20) /* console text kept for the notes */
#define WB_MAX_ARTIFACTS 20000
#define WB_FLAT_DEPTH 8

/* Record fields (Record in wandb_internal.proto). */
enum {
	REC_HISTORY = 2, REC_SUMMARY = 3, REC_OUTPUT = 4, REC_CONFIG = 5, REC_FILES = 6,
	REC_STATS = 7, REC_METRIC = 12, REC_OUTPUT_RAW = 13, REC_RUN = 17, REC_EXIT = 18,
	REC_ENVIRONMENT = 26,
};

/* A key → JSON text map applied in record order (config, summary). */
struct jmap {
	char **keys, **vals;
	size_t n, cap, capv;
};

static void jmap_set(struct jmap *m, const char *key, const uint8_t *v, size_t len)
{
	for (size_t i = 0; i < m->n; i++)
		if (strcmp(m->keys[i], key) == 0) {
			free(m->vals[i]);
			m->vals[i] = xstrndup((const char *)v, len);
			return;
		}
	GROW(m->keys, m->cap, m->n + 1);
	GROW(m->vals, m->capv, m->n + 1);
	m->keys[m->n] = xstrdup(key);
	m->vals[m->n] = xstrndup((const char *)v, len);
	m->n++;
}

static void jmap_remove(struct jmap *m, const char *key)
{
	for (size_t i = 0; i < m->n; i++)
		if (strcmp(m->keys[i], key) == 0) {
			free(m->keys[i]);
			free(m->vals[i]);
			memmove(m->keys + i, m->keys + i + 1, (m->n - i - 1) * sizeof *m->keys);
			memmove(m->vals + i, m->vals + i + 1, (m->n - i - 1) * sizeof *m->vals);
			m->n--;
			return;
		}
}

static void jmap_free(struct jmap *m)
{
	for (size_t i = 0; i < m->n; i++) {
		free(m->keys[i]);
		free(m->vals[i]);
	}
	free(m->keys);
	free(m->vals);
	memset(m, 0, sizeof *m);
}

/* One history item, pointing into the record. */
struct item {
	const uint8_t *key, *val;
	size_t klen, vlen;
	char *joined; /* nested_key joined with '.', when the item has one */
};

/* The series an item position used in the last row, with its key (up to 16
 * bytes, zero-padded) to compare a word at a time. */
struct hint {
	size_t series;
	size_t klen; /* 0: no key kept */
	uint64_t w[2];
};

/* A history row's shape: its items in W&B's own layout (a one-byte item
 * length, key or nested_key with a one-byte length, value_json with a
 * one-byte length) by key in order, then HistoryStep or nothing. Rows log the
 * same keys in the same order, so most rows are read by matching the shape of
 * an earlier row rather than item by item. */
#define WB_SHAPES 4
#define SHAPE_MAX_ITEMS 256
#define SHAPE_KEY_MAX 120
enum { SHAPE_SERIES, SHAPE_TIME, SHAPE_STEP, SHAPE_SKIP };
struct shape_item {
	uint64_t w[3], m[3]; /* pre's first 24 bytes as words, and masks of its plen bytes */
	uint8_t pre[SHAPE_KEY_MAX + 4]; /* the item's bytes before the value's length: key
	                     * tag, key length, key, value_json's tag (2 bytes); zero-padded */
	uint8_t plen;
	uint8_t action;
	size_t series;      /* for SHAPE_SERIES */
};
struct shape {
	struct shape_item *items;
	size_t n, cap;
	size_t *ser;        /* the indexes of its SHAPE_SERIES items, */
	size_t *time;       /* its _timestamp items */
	size_t nser, ntime, capser, captime;
	size_t step_item;   /* its last _step item, or (size_t)-1 */
	int has_step;       /* ends with a HistoryStep */
	int live;
};

/* Rows are matched against shapes; off only to test that both ways agree. */
static bool wandb_row_shapes = true;

void wandb_use_row_shapes(bool on)
{
	wandb_row_shapes = on;
}

struct ctx {
	struct run *r;
	struct wandb_facts *f;
	const char *path;
	struct jmap config, summary;
	struct pend {
		size_t series;
		double value;
	} *pend;             /* the points of the row being read */
	size_t npend, cappend;
	struct hint *hint;   /* for item i of the last row */
	size_t caphint;
	struct buf key;      /* scratch for keys */
	struct buf stats_key; /* and for "system/<key>" */
	struct buf console;  /* the tail of the console output */
	int64_t last_step;
	int64_t rows;
	int64_t stats_t0_ms; /* time of the first stats sample, when the start is unknown */
	size_t files_logged;
	size_t media;
	size_t *mlen;        /* strlen of each series key of r, for series_index */
	size_t nmlen, capmlen;
	const struct wb_log *log; /* how far reading is, for sizing series */
	struct shape shape[WB_SHAPES]; /* of recent rows, to read the next ones by */
	size_t shape_last, shape_next; /* the last one that matched; the one replaced next */
	const uint8_t *shape_val[SHAPE_MAX_ITEMS]; /* a row's values while matching */
	size_t shape_vlen[SHAPE_MAX_ITEMS];
};

/* The number a value_json holds: a JSON number or Python's NaN/Infinity
 * tokens. Returns 0 for anything else (strings, booleans, objects). */
int wandb_json_number(const uint8_t *v, size_t n, double *out)
{
	if (n == 0)
		return 0;
	char c = (char)v[0];
	if (c == 'N' && n == 3 && memcmp(v, "NaN", 3) == 0) {
		*out = NAN;
		return 1;
	}
	if (c == 'I' && n == 8 && memcmp(v, "Infinity", 8) == 0) {
		*out = INFINITY;
		return 1;
	}
	if (c == '-' && n == 9 && memcmp(v, "-Infinity", 9) == 0) {
		*out = -INFINITY;
		return 1;
	}
	if (!(c == '-' || (c >= '0' && c <= '9')))
		return 0;
	return csv_number((const char *)v, n, out);
}

/* A JSON value of any kind (the lenient parser takes only lists and
 * objects at the top): parsed inside a list. New reference or NULL. */
static json_t *parse_value(const char *text, size_t len)
{
	struct buf b = BUF_INIT;
	buf_putc(&b, '[');
	buf_put(&b, text, len);
	buf_putc(&b, ']');
	json_t *arr = json_parse_lenient(b.data, b.size, NULL);
	buf_free(&b);
	json_t *v = json_array_size(arr) == 1 ? json_incref(json_array_get(arr, 0)) : NULL;
	json_decref(arr);
	return v;
}

/* wandb_json_number() with the plain decimals W&B writes nearly always
 * (Python's repr of a float first, then any sign, digits, point, exponent)
 * scanned inline; the same result for every input. */
static inline __attribute__((always_inline)) int json_number_fast(const uint8_t *v, size_t n,
                                                                 double *out)
{
	if (n == 0)
		return 0; /* no value_json (v may be NULL) */
	const char *s = (const char *)v, *e = s + n;
	if (num_parse_repr(s, e, out))
		return 1;
	if ((s[0] == '-' || (unsigned)(s[0] - '0') < 10) && num_scan(s, e, out) == e)
		return 1;
	return wandb_json_number(v, n, out);
}

int64_t wandb_ms_of_seconds(double s)
{
	if (!(s == s) || s < -9.2e15 || s > 9.2e15)
		return 0;
	/* llround() inline (it is a call per history row): x minus its
	 * truncation is exact, so halves round away from zero as there. */
	double x = s * 1000.0;
	int64_t i = (int64_t)x;
	double frac = x - (double)i;
	return i + (frac >= 0.5) - (frac <= -0.5);
}

/* The key of a Config/Summary/History item: nested_key (field 2) joined
 * with '.', else key (field 1). Leaves it in c->key; 0 when there is none. */
static int item_key(struct ctx *c, const uint8_t *data, size_t len, const uint8_t **val,
                    size_t *vlen)
{
	struct pb b = pb_init(data, len);
	struct pb_field f;
	const uint8_t *k = NULL;
	size_t kl = 0;
	int nested = 0;
	*val = NULL;
	*vlen = 0;
	buf_reset(&c->key);
	while (pb_next(&b, &f) == 1) {
		if (f.wire != PB_BYTES)
			continue;
		if (f.num == 1) {
			k = f.data;
			kl = f.len;
		} else if (f.num == 2) {
			if (nested++)
				buf_putc(&c->key, '.');
			buf_put(&c->key, f.data, f.len);
		} else if (f.num == 16) {
			*val = f.data;
			*vlen = f.len;
		}
	}
	if (!nested && k)
		buf_put(&c->key, k, kl);
	buf_cstr(&c->key);
	return c->key.size > 0 && !memchr(c->key.data, '\0', c->key.size);
}

/* Applies a ConfigRecord or SummaryRecord (update 1, remove 2) to m. */
static void apply_updates(struct ctx *c, struct jmap *m, const uint8_t *data, size_t len)
{
	struct pb b = pb_init(data, len);
	struct pb_field f;
	while (pb_next(&b, &f) == 1) {
		if (f.wire != PB_BYTES || (f.num != 1 && f.num != 2))
			continue;
		const uint8_t *v;
		size_t vl;
		if (!item_key(c, f.data, f.len, &v, &vl))
			continue;
		if (f.num == 1)
			jmap_set(m, c->key.data, v ? v : (const uint8_t *)"", v ? vl : 0);
		else
			jmap_remove(m, c->key.data);
	}
}

/* The index of the series called key[0, klen) in c->r, trying *hint first;
 * (size_t)-1 for a key holding a NUL. Series lengths are kept in c->mlen
 * so most keys are told apart without touching their text. */
static size_t series_index(struct ctx *c, const char *key, size_t klen, size_t *hint)
{
	struct run *r = c->r;
	if (c->nmlen < r->nmetrics) {
		GROW(c->mlen, c->capmlen, r->nmetrics);
		for (size_t i = c->nmlen; i < r->nmetrics; i++)
			c->mlen[i] = strlen(r->metrics[i].key);
		c->nmlen = r->nmetrics;
	}
	size_t h = *hint;
	if (h < r->nmetrics && c->mlen[h] == klen && memcmp(r->metrics[h].key, key, klen) == 0)
		return h;
	for (size_t i = 0; i < r->nmetrics; i++)
		if (c->mlen[i] == klen && memcmp(r->metrics[i].key, key, klen) == 0)
			return *hint = i;
	if (memchr(key, '\0', klen))
		return (size_t)-1; /* not a name a page can show */
	char *k = xstrndup(key, klen);
	run_series(r, k);
	free(k);
	GROW(c->mlen, c->capmlen, r->nmetrics);
	c->mlen[r->nmetrics - 1] = klen;
	c->nmlen = r->nmetrics;
	return *hint = r->nmetrics - 1;
}

static inline void pend_point(struct ctx *c, size_t series, double d);

/* Adds the numbers of a JSON object value (a nested dict logged as one
 * history value) as "key.inner" points of the row being read; media objects
 * (with "_type") are counted, not drawn. */
static void add_object(struct ctx *c, const char *key, json_t *v, int depth)
{
	if (json_is_object(v)) {
		if (json_object_get(v, "_type")) {
			c->media++;
			return;
		}
		if (depth >= WB_FLAT_DEPTH)
			return;
		const char *k;
		json_t *x;
		json_object_foreach(v, k, x) {
			char *sub = xasprintf("%s.%s", key, k);
			add_object(c, sub, x, depth + 1);
			free(sub);
		}
		return;
	}
	double d;
	if (!json_is_boolean(v) && json_to_double(v, 0, &d))
		pend_point(c, (size_t)(run_series(c->r, key) - c->r->metrics), d);
}

/* A HistoryItem whose fields are all strings with keys and lengths of at
 * most two bytes, which is every item W&B writes, decoded without the
 * general field reader (value_json's key, field 16, takes two bytes).
 * Returns 0, having filled nothing reliable, on anything else. */
static int fast_item(const uint8_t *p, size_t n, struct item *it, int *nested,
                     const uint8_t **part, size_t *plen)
{
	const uint8_t *end = p + n;
	while (p < end) {
		uint32_t key;
		if (p[0] < 0x80) {
			key = p[0];
			p++;
		} else if (end - p >= 2 && p[1] < 0x80) {
			key = (uint32_t)(p[0] & 0x7f) | (uint32_t)p[1] << 7;
			p += 2;
		} else {
			return 0;
		}
		if ((key & 7) != PB_BYTES || p >= end)
			return 0;
		size_t len;
		if (p[0] < 0x80) {
			len = p[0];
			p++;
		} else if (end - p >= 2 && p[1] < 0x80) {
			len = (size_t)(p[0] & 0x7f) | (size_t)p[1] << 7;
			p += 2;
		} else {
			return 0;
		}
		if (len > (size_t)(end - p))
			return 0;
		switch (key >> 3) {
		case 1: it->key = p, it->klen = len; break;
		case 2: (*nested)++, *part = p, *plen = len; break;
		case 16: it->val = p, it->vlen = len; break;
		default: break;
		}
		p += len;
	}
	return 1;
}

/* The next capacity of a history series: its final length guessed from the
 * share of the file read so far, so a long series is allocated about once
 * rather than copied at every doubling; doubling when unsure. */
static size_t next_cap(const struct ctx *c, const struct series *s)
{
	size_t dbl = s->cap * 2;
	if (s->cap < 1024)
		return 1024;
	size_t done = c->log ? c->log->pos : 0, total = c->log ? c->log->n : 0;
	if (done == 0 || total <= done)
		return dbl;
	double est = (double)s->n * (double)total / (double)done;
	/* A history point takes at least 8 bytes in a record (tags, key, value). */
	if (est > (double)total / 8)
		est = (double)total / 8;
	if (est <= (double)s->cap * 1.05)
		return s->cap + s->cap / 2;
	return (size_t)(est * 1.01) + 256;
}

static __attribute__((noinline)) void grow_points(const struct ctx *c, struct series *s)
{
	size_t ncap = next_cap(c, s);
	s->pts = xreallocarray(s->pts, ncap, sizeof *s->pts);
	s->cap = ncap;
}

/* series_add() for the history loop: no call while there is room. */
static inline void push_point(const struct ctx *c, struct series *s, int64_t step, int64_t t,
                              double d)
{
	if (__builtin_expect(s->n == s->cap, 0))
		grow_points(c, s);
	s->pts[s->n++] = (struct point){step, t, d};
}

/* A HistoryItem as W&B writes it: one key (nested_key 2 or key 1) and then
 * value_json (16), each with a one-byte length. Returns 0 on anything else. */
static inline int tight_item(const uint8_t *q, size_t n, struct item *it, int *nested)
{
	if (n < 5 || (q[0] != 0x12 && q[0] != 0x0a) || q[1] >= 0x80 || (size_t)q[1] + 5 > n)
		return 0;
	size_t kl = q[1];
	const uint8_t *v = q + 2 + kl;
	if (v[0] != 0x82 || v[1] != 0x01 || v[2] >= 0x80 || kl + 5 + v[2] != n)
		return 0;
	it->key = q + 2;
	it->klen = kl;
	it->val = v + 3;
	it->vlen = v[2];
	*nested = q[0] == 0x12;
	return 1;
}

/* Whether key[0, klen) (1 to 16 bytes, readable up to limit) equals the
 * zero-padded words w. */
static inline int same_key(const uint8_t *key, size_t klen, const uint8_t *limit, const uint64_t w[2])
{
	if (klen == 0 || klen > 16)
		return 0;
	if (limit - key < 16) {
		uint64_t k[2] = {0, 0};
		memcpy(k, key, klen);
		return k[0] == w[0] && k[1] == w[1];
	}
	/* The first klen bytes of 16, as masks of the two words. */
	static const uint64_t mask[17][2] = {
		{0, 0}, {0xff, 0}, {0xffff, 0}, {0xffffff, 0}, {0xffffffff, 0}, {0xffffffffff, 0},
		{0xffffffffffff, 0}, {0xffffffffffffff, 0}, {~UINT64_C(0), 0},
		{~UINT64_C(0), 0xff}, {~UINT64_C(0), 0xffff}, {~UINT64_C(0), 0xffffff},
		{~UINT64_C(0), 0xffffffff}, {~UINT64_C(0), 0xffffffffff}, {~UINT64_C(0), 0xffffffffffff},
		{~UINT64_C(0), 0xffffffffffffff}, {~UINT64_C(0), ~UINT64_C(0)}};
	uint64_t a, b;
	memcpy(&a, key, 8);
	memcpy(&b, key + 8, 8);
	return (((a & mask[klen][0]) ^ w[0]) | ((b & mask[klen][1]) ^ w[1])) == 0;
}

/* A point of the row being read, appended when the row ends (its step and
 * time are known only then). */
static inline void pend_point(struct ctx *c, size_t series, double d)
{
	if (__builtin_expect(c->npend == c->cappend, 0))
		GROW(c->pend, c->cappend, c->npend + 1);
	c->pend[c->npend++] = (struct pend){series, d};
}

/* What a row says besides its values. */
struct row {
	int64_t step, t;
	int has_step;
	const uint8_t *step_val; /* a _step item's value */
	size_t step_vlen;
};

/* Makes shape sh ready for matching: prefixes as words and masks, the
 * items by what they are. */
static void shape_ready(struct shape *sh)
{
	sh->nser = sh->ntime = 0;
	sh->step_item = (size_t)-1;
	for (size_t i = 0; i < sh->n; i++) {
		struct shape_item *si = &sh->items[i];
		memcpy(si->w, si->pre, sizeof si->w);
		for (size_t k = 0; k < 3; k++) {
			size_t bytes = si->plen > 8 * k ? si->plen - 8 * k : 0;
			si->m[k] = bytes >= 8 ? ~UINT64_C(0) : (UINT64_C(1) << (8 * bytes)) - 1;
		}
		switch (si->action) {
		case SHAPE_SERIES:
			GROW(sh->ser, sh->capser, sh->nser + 1);
			sh->ser[sh->nser++] = i;
			break;
		case SHAPE_TIME:
			GROW(sh->time, sh->captime, sh->ntime + 1);
			sh->time[sh->ntime++] = i;
			break;
		case SHAPE_STEP: sh->step_item = i; break;
		default: break;
		}
	}
}

/* The general reading of a row, item by item in any valid layout; values go
 * to c->pend. When the row is in W&B's own layout it becomes a shape
 * (c->shape) that the rows after it are first matched against. */
static void general_row(struct ctx *c, const uint8_t *data, size_t len, struct row *row)
{
	struct pb b = pb_init(data, len);
	struct pb_field f;
	const uint8_t *hend = data + len;
	size_t nkept = 0; /* items that are not _step, _timestamp, ...: the hint's index */
	/* The row as a shape for the rows after it: W&B's own layout only. */
	struct shape *sh = &c->shape[c->shape_next];
	int shape_ok = 1;
	sh->n = 0;
	sh->has_step = 0;
	while (b.p < b.end) {
		/* An item or the step (fields 1 and 2) with a one-byte length is
		 * taken here, the rest by pb_next. */
		const uint8_t *p = b.p;
		if ((p[0] == 0x0a || p[0] == 0x12) && b.end - p >= 2 && p[1] < 0x80 &&
		    p[1] <= (size_t)(b.end - p - 2)) {
			f.num = p[0] >> 3;
			f.wire = PB_BYTES;
			f.data = p + 2;
			f.len = p[1];
			b.p = p + 2 + p[1];
		} else {
			shape_ok = 0;
			if (pb_next(&b, &f) != 1)
				break;
		}
		if (sh->has_step)
			shape_ok = 0; /* the step is not last */
		if (f.wire != PB_BYTES) {
			shape_ok = 0;
			continue;
		}
		if (f.num == 2) {
			struct pb s = pb_init(f.data, f.len);
			struct pb_field g;
			uint64_t v;
			row->has_step = 1;
			/* HistoryStep is its num (1) alone. */
			if (f.len >= 2 && f.data[0] == 0x08 && (s.p++, pb_varint(&s, &v)) && s.p == s.end) {
				row->step = (int64_t)v;
				sh->has_step = 1;
				continue;
			}
			shape_ok = 0;
			s = pb_init(f.data, f.len);
			while (pb_next(&s, &g) == 1)
				if (g.num == 1 && g.wire == PB_VARINT)
					row->step = (int64_t)g.v;
			continue;
		}
		if (f.num != 1) {
			shape_ok = 0;
			continue;
		}
		struct item item = {0}, *it = &item;
		int nested = 0;
		const uint8_t *part = NULL;
		size_t plen = 0;
		if (tight_item(f.data, f.len, it, &nested)) {
			part = it->key;
			plen = it->klen;
		} else if (shape_ok = 0, !fast_item(f.data, f.len, it, &nested, &part, &plen)) {
			struct pb ib = pb_init(f.data, f.len);
			struct pb_field g;
			*it = (struct item){0};
			nested = 0;
			while (pb_next(&ib, &g) == 1) {
				if (g.wire != PB_BYTES)
					continue;
				if (g.num == 1)
					it->key = g.data, it->klen = g.len;
				else if (g.num == 16)
					it->val = g.data, it->vlen = g.len;
				else if (g.num == 2)
					nested++, part = g.data, plen = g.len;
			}
		}
		if (nested == 1) {
			/* wandb-core writes even flat keys as a one-part nested_key. */
			it->key = part;
			it->klen = plen;
		} else if (nested) {
			shape_ok = 0;
			const uint8_t *v;
			size_t vl;
			if (!item_key(c, f.data, f.len, &v, &vl))
				continue;
			it->joined = xstrdup(c->key.data);
			it->key = (const uint8_t *)it->joined;
			it->klen = c->key.size;
		}
		if (!it->key || it->klen == 0) {
			shape_ok = 0;
			if (it->joined)
				free(it->joined);
			continue;
		}
		struct shape_item *si = NULL;
		if (shape_ok && it->klen <= SHAPE_KEY_MAX) {
			if (sh->n == sh->cap)
				GROW(sh->items, sh->cap, sh->n + 1);
			si = &sh->items[sh->n++];
			si->plen = (uint8_t)(it->klen + 4);
			memcpy(si->pre, f.data, si->plen); /* tag, length, key, value_json's tag */
			memset(si->pre + si->plen, 0, sizeof si->pre - si->plen);
			si->series = (size_t)-1;
		} else {
			shape_ok = 0;
		}
		double d;
		if (it->key[0] == '_') {
			if (it->klen == 10 && memcmp(it->key, "_timestamp", 10) == 0) {
				if (si)
					si->action = SHAPE_TIME;
				if (it->vlen &&
				    (num_parse_seconds((const char *)it->val, (const char *)it->val + it->vlen, &d) ||
				     json_number_fast(it->val, it->vlen, &d)))
					row->t = wandb_ms_of_seconds(d);
			} else if (it->klen == 5 && memcmp(it->key, "_step", 5) == 0) {
				if (si)
					si->action = SHAPE_STEP;
				/* parsed only when needed */
				row->step_val = it->val, row->step_vlen = it->vlen;
			} else if (si) {
				si->action = SHAPE_SKIP;
			}
			if (it->joined)
				free(it->joined);
			continue;
		}
		size_t i = nkept++;
		if (__builtin_expect(c->caphint <= i, 0)) {
			size_t old = c->caphint;
			GROW(c->hint, c->caphint, i + 1);
			for (size_t k = old; k < c->caphint; k++)
				c->hint[k] = (struct hint){.series = (size_t)-1};
		}
		if (json_number_fast(it->val, it->vlen, &d)) {
			/* Rows log the same keys in the same order: the series of
			 * item i of the last row is nearly always this item's. */
			struct hint *h = &c->hint[i];
			size_t s = h->series;
			/* A joined key is a string of its own, not inside the record. */
			const uint8_t *lim = it->joined ? it->key + it->klen : hend;
			if (!(h->klen == it->klen && same_key(it->key, it->klen, lim, h->w))) {
				s = series_index(c, (const char *)it->key, it->klen, &h->series);
				h->klen = 0;
				if (s != (size_t)-1 && it->klen <= 16) {
					h->klen = it->klen;
					h->w[0] = h->w[1] = 0;
					memcpy(h->w, it->key, it->klen);
				}
			}
			if (s != (size_t)-1)
				pend_point(c, s, d);
			else
				shape_ok = 0;
			if (si) {
				si->action = SHAPE_SERIES;
				si->series = s;
			}
		} else if (it->vlen && it->val[0] == '{' && !memchr(it->key, '\0', it->klen)) {
			shape_ok = 0;
			json_t *j = json_parse_lenient((const char *)it->val, it->vlen, NULL);
			char *k = xstrndup((const char *)it->key, it->klen);
			add_object(c, k, j, 0);
			free(k);
			json_decref(j);
		} else {
			/* Not a number (a string, a boolean): no point, and no shape (a
			 * number here in a later row would need its series made). */
			shape_ok = 0;
		}
		if (it->joined)
			free(it->joined);
	}
	if (shape_ok && sh->n <= SHAPE_MAX_ITEMS) {
		shape_ready(sh);
		sh->live = 1;
		c->shape_last = c->shape_next;
		c->shape_next = (c->shape_next + 1) % WB_SHAPES;
	} else {
		sh->live = 0;
	}
}

/* Whether the item bytes at q (up to end) start with the shape item's prefix. */
static inline int same_prefix(const uint8_t *q, const uint8_t *end, const struct shape_item *si)
{
	if (end - q >= 24) {
		/* Masked words (the prefix is at least 5 bytes, the masks say how
		 * many of the 24 count); longer prefixes end with memcmp. */
		uint64_t a, b, x;
		memcpy(&a, q, 8);
		memcpy(&b, q + 8, 8);
		memcpy(&x, q + 16, 8);
		if ((((a & si->m[0]) ^ si->w[0]) | ((b & si->m[1]) ^ si->w[1]) |
		     ((x & si->m[2]) ^ si->w[2])) != 0)
			return 0;
		return si->plen <= 24 || memcmp(q + 24, si->pre + 24, si->plen - 24u) == 0;
	}
	return memcmp(q, si->pre, si->plen) == 0;
}

/* The step of a row, as W&B numbers rows: its HistoryStep, else its _step
 * item, else its index. */
static int64_t row_step(const struct ctx *c, const struct row *row)
{
	double step_item = 0;
	if (row->has_step)
		return row->step;
	return row->step_val && json_number_fast(row->step_val, row->step_vlen, &step_item) &&
	               step_item == step_item && fabs(step_item) < 9.2e18
	               ? (int64_t)step_item
	               : c->rows;
}

/* The row data[0, len) read by shape sh, as general_row() would read it:
 * the same items (W&B's layout, one-byte lengths) with the same keys in the
 * same order, then the step or nothing. Returns 1 with the row's points
 * appended and *step set, or 0, having changed nothing, when the row has
 * another shape or an object value (which general_row() reads otherwise). */
static int shape_row(struct ctx *c, const struct shape *sh, const uint8_t *data, size_t len,
                     int64_t *step_out)
{
	const uint8_t *p = data, *end = data + len;
	size_t n = sh->n;
	const uint8_t **val = c->shape_val;
	size_t *vlen = c->shape_vlen;
	struct row row = {0};
	/* The layout first, so that a row of another shape costs no parsing. */
	for (size_t i = 0; i < n; i++) {
		const struct shape_item *si = &sh->items[i];
		if (end - p < 2 || p[0] != 0x0a || p[1] >= 0x80 || p[1] > end - p - 2)
			return 0;
		size_t L = p[1];
		const uint8_t *q = p + 2;
		if (L <= si->plen || !same_prefix(q, end, si) || q[si->plen] != L - si->plen - 1)
			return 0;
		val[i] = q + si->plen + 1;
		vlen[i] = L - si->plen - 1;
		/* An object is read item by item (json_number_fast() refuses it). */
		if (vlen[i] && val[i][0] == '{')
			return 0;
		p = q + L;
	}
	if (sh->has_step) {
		/* HistoryStep: num (1) alone, then the record ends. */
		if (end - p < 4 || p[0] != 0x12 || p[1] >= 0x80 || p[1] != end - p - 2 || p[2] != 0x08)
			return 0;
		struct pb s = {p + 3, end};
		uint64_t v;
		if (!pb_varint(&s, &v) || s.p != end)
			return 0;
		row.step = (int64_t)v;
		row.has_step = 1;
	} else if (p != end) {
		return 0;
	}
	double d;
	for (size_t k = 0; k < sh->ntime; k++) {
		const uint8_t *v = val[sh->time[k]];
		size_t vl = vlen[sh->time[k]];
		if (vl && (num_parse_seconds((const char *)v, (const char *)v + vl, &d) ||
		           json_number_fast(v, vl, &d)))
			row.t = wandb_ms_of_seconds(d);
	}
	if (sh->step_item != (size_t)-1)
		row.step_val = val[sh->step_item], row.step_vlen = vlen[sh->step_item];
	int64_t step = row_step(c, &row);
	/* Each series' points in row order; the series are apart. */
	struct series *m = c->r->metrics;
	for (size_t k = 0; k < sh->nser; k++) {
		size_t i = sh->ser[k];
		if (json_number_fast(val[i], vlen[i], &d))
			push_point(c, &m[sh->items[i].series], step, row.t, d);
	}
	*step_out = step;
	return 1;
}

/* A history row: matched against the shapes of earlier rows (the last one
 * that matched first), else read item by item with its points appended at
 * the end, when the row's step (HistoryStep ends the record) and time are
 * known. */
static void read_history(struct ctx *c, const uint8_t *data, size_t len)
{
	int64_t step = 0;
	int done = 0;
	if (wandb_row_shapes)
		for (size_t k = 0; k < WB_SHAPES && !done; k++) {
			size_t j = (c->shape_last + k) % WB_SHAPES;
			if (c->shape[j].live && shape_row(c, &c->shape[j], data, len, &step)) {
				c->shape_last = j;
				c->f->shape_rows++;
				done = 1;
			}
		}
	if (!done) {
		struct row row = {0};
		c->npend = 0;
		general_row(c, data, len, &row);
		step = row_step(c, &row);
		struct series *m = c->r->metrics;
		for (size_t k = 0; k < c->npend; k++)
			push_point(c, &m[c->pend[k].series], step, row.t, c->pend[k].value);
	}
	c->rows++;
	if (step > c->last_step)
		c->last_step = step;
	c->f->has_history = true;
}

/* google.protobuf.Timestamp → ms since the epoch; TIME_UNKNOWN when empty. */
static int64_t timestamp_ms(const uint8_t *data, size_t len)
{
	struct pb b = pb_init(data, len);
	struct pb_field f;
	int64_t s = 0, ns = 0;
	int any = 0;
	while (pb_next(&b, &f) == 1) {
		if (f.wire != PB_VARINT)
			continue;
		if (f.num == 1)
			s = (int64_t)f.v, any = 1;
		else if (f.num == 2)
			ns = (int32_t)f.v, any = 1;
	}
	if (!any || s < -9000000000000LL || s > 9000000000000LL)
		return TIME_UNKNOWN;
	return s * 1000 + ns / 1000000;
}

static void set_str(char **dst, const struct pb_field *f)
{
	if (f->len == 0)
		return;
	free(*dst);
	*dst = pb_strdup(f);
}

static void read_run(struct ctx *c, const uint8_t *data, size_t len)
{
	struct run *r = c->r;
	struct pb b = pb_init(data, len);
	struct pb_field f;
	struct buf tags = BUF_INIT;
	c->f->has_run = true;
	while (pb_next(&b, &f) == 1) {
		if (f.wire != PB_BYTES)
			continue;
		char *s = NULL;
		switch (f.num) {
		case 1: set_str(&r->id, &f); break;
		case 2:
			if (f.len) {
				s = pb_strdup(&f);
				kvlist_add(&r->tags, "wandb.entity", s);
			}
			break;
		case 3:
			if (f.len) {
				free(c->f->project);
				c->f->project = pb_strdup(&f);
			}
			break;
		case 4: apply_updates(c, &c->config, f.data, f.len); break;
		case 5: apply_updates(c, &c->summary, f.data, f.len); break;
		case 6:
			if (f.len) {
				s = pb_strdup(&f);
				kvlist_add(&r->tags, "wandb.group", s);
				/* Runs of one group with a seed param are seed-group candidates;
				 * the group as a param keeps groups apart. */
				kvlist_add(&r->params, "wandb.group", s);
			}
			break;
		case 7:
			if (f.len) {
				s = pb_strdup(&f);
				kvlist_add(&r->tags, "wandb.job_type", s);
			}
			break;
		case 8: set_str(&r->name, &f); break;
		case 9: set_str(&r->notes, &f); break;
		case 10:
			if (tags.size)
				BUF_PUTSL(&tags, ", ");
			buf_put(&tags, f.data, f.len);
			break;
		case 12:
			if (f.len) {
				s = pb_strdup(&f);
				kvlist_add(&r->tags, "wandb.sweep_id", s);
			}
			break;
		case 13:
			if (f.len) {
				s = pb_strdup(&f);
				kvlist_add(&r->tags, "wandb.host", s);
			}
			break;
		case 17: {
			int64_t t = timestamp_ms(f.data, f.len);
			if (t != TIME_UNKNOWN)
				r->start_ms = t;
			break;
		}
		case 21: {
			struct pb g = pb_init(f.data, f.len);
			struct pb_field h;
			while (pb_next(&g, &h) == 1)
				if (h.wire == PB_BYTES && h.num == 1)
					set_str(&r->git_repo, &h);
				else if (h.wire == PB_BYTES && h.num == 2)
					set_str(&r->git_commit, &h);
			break;
		}
		default: break;
		}
		free(s);
	}
	if (tags.size && !kvlist_get(&r->tags, "wandb.tags"))
		kvlist_add(&r->tags, "wandb.tags", buf_cstr(&tags));
	buf_free(&tags);
}

static void read_exit(struct ctx *c, const uint8_t *data, size_t len)
{
	struct pb b = pb_init(data, len);
	struct pb_field f;
	int64_t code = 0, runtime = 0; /* proto3 leaves out zeros */
	while (pb_next(&b, &f) == 1) {
		if (f.wire != PB_VARINT)
			continue;
		if (f.num == 1)
			code = (int32_t)f.v;
		else if (f.num == 2)
			runtime = (int32_t)f.v;
	}
	c->f->has_exit = true;
	free(c->r->status);
	c->r->status = xstrdup(code == 0 ? "FINISHED" : "FAILED");
	char num[32];
	snprintf(num, sizeof num, "%lld", (long long)code);
	kvlist_add(&c->r->tags, "wandb.exit_code", num);
	c->f->exit_runtime_s = runtime;
}

/* OutputRecord and OutputRawRecord: 3 is the text. */
static void read_output(struct ctx *c, const uint8_t *data, size_t len, int raw)
{
	struct pb b = pb_init(data, len);
	struct pb_field f;
	while (pb_next(&b, &f) == 1) {
		if (f.num != 3 || f.wire != PB_BYTES)
			continue;
		c->f->console_lines++;
		if (c->console.size > WB_CONSOLE_MAX) {
			/* Keep the later half: the notes show the last lines. */
			size_t half = c->console.size / 2;
			memmove(c->console.data, c->console.data + half, c->console.size - half);
			c->console.size -= half;
		}
		buf_put(&c->console, f.data, f.len);
		/* Legacy OutputRecord lines come without their line end. */
		if (!raw && (f.len == 0 || f.data[f.len - 1] != '\n'))
			buf_putc(&c->console, '\n');
	}
}

/* StatsRecord: system metrics as "system/<key>", the step being seconds
 * since the run started. */
static void read_stats(struct ctx *c, const uint8_t *data, size_t len)
{
	struct pb b = pb_init(data, len);
	struct pb_field f;
	int64_t t = TIME_UNKNOWN;
	while (pb_next(&b, &f) == 1)
		if (f.num == 2 && f.wire == PB_BYTES)
			t = timestamp_ms(f.data, f.len);
	if (t == TIME_UNKNOWN)
		return;
	int64_t t0 = c->r->start_ms;
	if (t0 == TIME_UNKNOWN) {
		if (c->stats_t0_ms == TIME_UNKNOWN)
			c->stats_t0_ms = t;
		t0 = c->stats_t0_ms;
	}
	int64_t step = (t - t0) / 1000;
	b = pb_init(data, len);
	while (pb_next(&b, &f) == 1) {
		if (f.num != 3 || f.wire != PB_BYTES)
			continue;
		const uint8_t *v;
		size_t vl;
		double d;
		if (!item_key(c, f.data, f.len, &v, &vl) || !wandb_json_number(v, vl, &d))
			continue;
		buf_reset(&c->stats_key);
		BUF_PUTSL(&c->stats_key, "system/");
		buf_put(&c->stats_key, c->key.data, c->key.size);
		series_add(run_series(c->r, buf_cstr(&c->stats_key)), step, t, d);
	}
}

/* MetricRecord (define_metric): a goal of minimize (1) or maximize (2) is
 * the metric's direction. */
static void read_metric(struct ctx *c, const uint8_t *data, size_t len)
{
	struct pb b = pb_init(data, len);
	struct pb_field f;
	char *name = NULL;
	int goal = 0;
	while (pb_next(&b, &f) == 1) {
		if (f.num == 1 && f.wire == PB_BYTES)
			set_str(&name, &f);
		else if (f.num == 8 && f.wire == PB_VARINT)
			goal = (int)f.v;
	}
	if (name && (goal == 1 || goal == 2)) {
		char *k = xasprintf("wandb.goal.%s", name);
		const char *want = goal == 1 ? "min" : "max";
		/* A later definition replaces an earlier one. */
		for (size_t i = 0; i < c->r->tags.n; i++)
			if (strcmp(c->r->tags.items[i].key, k) == 0) {
				free(c->r->tags.items[i].value);
				c->r->tags.items[i].value = xstrdup(want);
				want = NULL;
				break;
			}
		if (want)
			kvlist_add(&c->r->tags, k, want);
		free(k);
	}
	free(name);
}

/* EnvironmentRecord: who ran what where (wandb-metadata.json's content). */
static void read_environment(struct ctx *c, const uint8_t *data, size_t len)
{
	struct pb b = pb_init(data, len);
	struct pb_field f;
	while (pb_next(&b, &f) == 1) {
		if (f.wire != PB_BYTES)
			continue;
		if (f.num == 6 && !c->r->source_name)
			set_str(&c->r->source_name, &f);
		else if (f.num == 13 && !c->r->user)
			set_str(&c->r->user, &f);
		else if (f.num == 3 && c->r->start_ms == TIME_UNKNOWN) {
			/* started_at is a Timestamp in newer protos. */
			int64_t t = timestamp_ms(f.data, f.len);
			if (t != TIME_UNKNOWN)
				c->r->start_ms = t;
		}
	}
}

static void read_files_record(struct ctx *c, const uint8_t *data, size_t len)
{
	struct pb b = pb_init(data, len);
	struct pb_field f;
	while (pb_next(&b, &f) == 1)
		if (f.num == 1 && f.wire == PB_BYTES)
			c->files_logged++;
}

static void read_record(struct ctx *c, const uint8_t *data, size_t len)
{
	struct pb b = pb_init(data, len);
	struct pb_field f;
	for (;;) {
		/* A history record as W&B writes it, num (1) then history (2), is
		 * taken here; everything else by pb_next. */
		const uint8_t *p = b.p;
		if (b.end - p >= 3 && p[0] == 0x08) {
			struct pb s = {p + 1, b.end};
			uint64_t v;
			if (pb_varint(&s, &v)) {
				b.p = s.p;
				continue;
			}
		} else if (b.end - p >= 3 && p[0] == 0x12) {
			size_t n = p[1] < 0x80 ? p[1] : p[2] < 0x80 ? (size_t)(p[1] & 0x7f) | (size_t)p[2] << 7 : 0;
			const uint8_t *d = p + (p[1] < 0x80 ? 2 : 3);
			if ((p[1] < 0x80 || p[2] < 0x80) && n <= (size_t)(b.end - d)) {
				b.p = d + n;
				read_history(c, d, n);
				continue;
			}
		}
		if (pb_next(&b, &f) != 1)
			break;
		if (f.wire != PB_BYTES)
			continue;
		switch (f.num) {
		case REC_HISTORY: read_history(c, f.data, f.len); break;
		case REC_SUMMARY: apply_updates(c, &c->summary, f.data, f.len); break;
		case REC_OUTPUT: read_output(c, f.data, f.len, 0); break;
		case REC_OUTPUT_RAW: read_output(c, f.data, f.len, 1); break;
		case REC_CONFIG:
			apply_updates(c, &c->config, f.data, f.len);
			break;
		case REC_FILES: read_files_record(c, f.data, f.len); break;
		case REC_STATS: read_stats(c, f.data, f.len); break;
		case REC_METRIC: read_metric(c, f.data, f.len); break;
		case REC_RUN: read_run(c, f.data, f.len); break;
		case REC_EXIT: read_exit(c, f.data, f.len); break;
		case REC_ENVIRONMENT: read_environment(c, f.data, f.len); break;
		default: break;
		}
	}
}

/* Adds v under key to l, objects flattened as "key.inner". */
static void add_flat(struct kvlist *l, const char *key, json_t *v, int depth)
{
	if (json_is_object(v) && json_object_size(v) > 0 && depth < WB_FLAT_DEPTH) {
		const char *k;
		json_t *x;
		json_object_foreach(v, k, x) {
			char *sub = xasprintf("%s.%s", key, k);
			add_flat(l, sub, x, depth + 1);
			free(sub);
		}
		return;
	}
	/* Integers are read as reals; say 10 rather than json_to_text's 1e+01. */
	double d = json_is_number(v) ? json_number_value(v) : 0.5;
	if (d == floor(d) && fabs(d) < 1e15) {
		char num[32];
		snprintf(num, sizeof num, "%lld", (long long)d);
		kvlist_add(l, key, num);
		return;
	}
	char *text = json_to_text(v);
	kvlist_add(l, key, text);
	free(text);
}

/* Summary numbers that no history series holds become one point at the last
 * step (W&B shows the summary as the run's values). */
static void add_summary_points(struct run *r, const char *key, json_t *v, int64_t step, int depth)
{
	if (key[0] == '_')
		return;
	if (json_is_object(v)) {
		if (json_object_get(v, "_type") || depth >= WB_FLAT_DEPTH)
			return;
		const char *k;
		json_t *x;
		json_object_foreach(v, k, x) {
			char *sub = xasprintf("%s.%s", key, k);
			add_summary_points(r, sub, x, step, depth + 1);
			free(sub);
		}
		return;
	}
	double d;
	if (json_is_boolean(v) || !json_to_double(v, 0, &d) || run_find_series(r, key))
		return;
	series_add(run_series(r, key), step, 0, d);
}

static void finish_ctx(struct ctx *c)
{
	struct run *r = c->r;
	for (size_t i = 0; i < c->config.n; i++) {
		if (strcmp(c->config.keys[i], "_wandb") == 0 || str_starts(c->config.keys[i], "_wandb."))
			continue;
		json_t *j = parse_value(c->config.vals[i], strlen(c->config.vals[i]));
		if (j) {
			add_flat(&r->params, c->config.keys[i], j, 0);
			c->f->has_config = true;
		}
		json_decref(j);
	}
	for (size_t i = 0; i < c->summary.n; i++) {
		json_t *j = parse_value(c->summary.vals[i], strlen(c->summary.vals[i]));
		if (j)
			add_summary_points(r, c->summary.keys[i], j, c->last_step, 0);
		json_decref(j);
	}
	if (c->console.size)
		console_note_append(&r->notes, c->console.data, c->console.size, CONSOLE_NOTE_LINES);
	char num[32];
	if (c->files_logged) {
		snprintf(num, sizeof num, "%zu", c->files_logged);
		kvlist_add(&r->extras, "files logged", num);
	}
	if (c->media) {
		snprintf(num, sizeof num, "%zu", c->media);
		kvlist_add(&r->extras, "media logged", num);
	}
}

/* One file being read. */
struct ingest {
	struct wb_log l;
	struct ctx c;
};

static void ingest_begin(struct ingest *g, struct run *r, struct wandb_facts *f, const char *path)
{
	g->c = (struct ctx){.r = r, .f = f, .path = path, .stats_t0_ms = TIME_UNKNOWN, .log = &g->l};
}

static void ingest_loop(struct ingest *g)
{
	const uint8_t *p;
	size_t len;
	while (wb_log_next(&g->l, &p, &len))
		read_record(&g->c, p, len);
}

static void ingest_end(struct ingest *g)
{
	struct wandb_facts *f = g->c.f;
	f->records = g->l.records;
	f->corrupt = g->l.corrupt;
	f->cut_at = g->l.cut_at;
	wb_log_close(&g->l);
	finish_ctx(&g->c);
	jmap_free(&g->c.config);
	jmap_free(&g->c.summary);
	free(g->c.pend);
	for (size_t i = 0; i < WB_SHAPES; i++) {
		free(g->c.shape[i].items);
		free(g->c.shape[i].ser);
		free(g->c.shape[i].time);
	}
	free(g->c.hint);
	free(g->c.mlen);
	buf_free(&g->c.key);
	buf_free(&g->c.stats_key);
	buf_free(&g->c.console);
}

int wandb_ingest_memory(struct run *r, struct wandb_facts *f, const char *path,
                        const void *data, size_t n, bool quiet)
{
	struct ingest g;
	memset(f, 0, sizeof *f);
	if (!wb_log_open(&g.l, path, data, n, quiet))
		return 0;
	ingest_begin(&g, r, f, path);
	ingest_loop(&g);
	ingest_end(&g);
	return 1;
}

int wandb_ingest_fd(struct run *r, struct wandb_facts *f, const char *path, int fd, size_t n,
                    size_t win_blocks, bool quiet)
{
	struct ingest g;
	memset(f, 0, sizeof *f);
	int rc = wb_log_open_fd(&g.l, path, fd, n, win_blocks, quiet);
	if (rc != 1)
		return rc;
	ingest_begin(&g, r, f, path);
	ingest_loop(&g);
	ingest_end(&g);
	return 1;
}

int wandb_ingest_file(struct run *r, struct wandb_facts *f, const char *path)
{
	memset(f, 0, sizeof *f);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) != 0) {
		diag_warn(path, 0, "cannot read: %s", strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	/* Read a window at a time: no size limit. */
	int rc = wandb_ingest_fd(r, f, path, fd, (size_t)st.st_size, WB_WINDOW_BLOCKS, false);
	if (rc < 0)
		diag_warn(path, 0, "cannot read: %s", strerror(errno));
	close(fd);
	return rc;
}

void wandb_facts_free(struct wandb_facts *f)
{
	free(f->project);
	f->project = NULL;
}

/* ---- folders ---- */

static int is_dir(const char *p)
{
	return fsview_is_dir(p);
}

static int is_file(const char *p)
{
	return fsview_is_file(p);
}

/* The run-*.wandb file of run folder dir (the first by name), or NULL. */
static char *find_log(const char *dir)
{
	size_t n;
	char **names = fsview_list_sorted(dir, &n);
	char *found = NULL;
	for (size_t i = 0; names && i < n && !found; i++)
		if (str_starts(names[i], "run-") && str_ends(names[i], ".wandb")) {
			char *p = path_join(dir, names[i]);
			if (is_file(p))
				found = p;
			else
				free(p);
		}
	free_names(names, n);
	return found;
}

/* True when dir is a W&B run folder: it holds a run-*.wandb file, or is
 * named like one and holds files/ with a W&B file in it. */
static int is_run_dir(const char *dir)
{
	char *log = find_log(dir);
	if (log) {
		free(log);
		return 1;
	}
	const char *base = strrchr(dir, '/');
	base = base ? base + 1 : dir;
	if (!str_starts(base, "run-") && !str_starts(base, "offline-run-"))
		return 0;
	static const char *const marks[] = {"files/wandb-metadata.json", "files/wandb-summary.json",
	                                    "files/config.yaml", NULL};
	for (size_t i = 0; marks[i]; i++) {
		char *p = path_join(dir, marks[i]);
		int ok = is_file(p);
		free(p);
		if (ok)
			return 1;
	}
	return 0;
}

static int is_run_name(const char *name)
{
	return str_starts(name, "run-") || str_starts(name, "offline-run-");
}

/* The run folders inside a wandb/ folder, sorted; NULL when none. */
static char **run_dirs(const char *dir, size_t *count, int first_only)
{
	size_t n;
	char **names = fsview_list_sorted(dir, &n);
	char **out = NULL;
	size_t k = 0, cap = 0;
	for (size_t i = 0; names && i < n; i++) {
		if (!is_run_name(names[i]))
			continue;
		char *p = path_join(dir, names[i]);
		if (is_dir(p) && is_run_dir(p)) {
			GROW(out, cap, k + 1);
			out[k++] = p;
			if (first_only)
				break;
		} else {
			free(p);
		}
	}
	free_names(names, n);
	*count = k;
	return out;
}

static int has_header(const char *path)
{
	FILE *fp = fopen(path, "rb");
	if (!fp)
		return 0;
	unsigned char h[7];
	int ok = fread(h, 1, 7, fp) == 7 && memcmp(h, ":W&B", 4) == 0;
	fclose(fp);
	return ok;
}

static int probe(const char *path)
{
	if (is_dir(path)) {
		if (is_run_dir(path))
			return 60;
		size_t n;
		char **d = run_dirs(path, &n, 1);
		free_names(d, n);
		return n ? 60 : 0;
	}
	return str_ends(path, ".wandb") && has_header(path) ? 55 : 0;
}

static json_t *load_json(const char *path)
{
	struct buf b = BUF_INIT;
	json_t *j = NULL;
	if (!read_file(path, &b, WB_MAX_TEXT))
		diag_warn(path, 0, "cannot read: %s", strerror(errno));
	else
		j = json_parse_lenient(b.data ? b.data : "", b.size, path);
	buf_free(&b);
	if (j && !json_is_object(j)) {
		diag_warn(path, 0, "not a JSON object; left out");
		json_decref(j);
		j = NULL;
	}
	return j;
}

/* files/config.yaml: top-level keys each {value: V} (and a desc in the
 * legacy writer), besides wandb_version and _wandb. */
static int read_config_yaml(struct run *r, const char *path)
{
	struct kvlist tmp = {0};
	if (yamlkv_load(path, NULL, YAMLKV_SEP_DVC, &tmp) < 0)
		return 0;
	int any = 0;
	for (size_t i = 0; i < tmp.n; i++) {
		const char *k = tmp.items[i].key;
		const char *dot = strchr(k, '.');
		if (!dot || strcmp(k, "wandb_version") == 0 || str_starts(k, "_wandb."))
			continue;
		size_t head = (size_t)(dot - k);
		const char *rest = dot + 1;
		if (!str_starts(rest, "value"))
			continue;
		if (rest[5] == '\0') {
			char *key = xstrndup(k, head);
			kvlist_add(&r->params, key, tmp.items[i].value);
			free(key);
			any = 1;
		} else if (rest[5] == '.') {
			char *key = xasprintf("%.*s.%s", (int)head, k, rest + 6);
			kvlist_add(&r->params, key, tmp.items[i].value);
			free(key);
			any = 1;
		}
	}
	kvlist_free(&tmp);
	return any;
}

/* Reads run folder dir (log may be NULL) into a new run. */
static struct run *read_run_dir(const char *store, const char *dir, const char *log,
                                char **project)
{
	struct run *r = run_new("wandb", store);
	struct wandb_facts f = {0};
	int have_log = 0;
	if (log)
		have_log = wandb_ingest_file(r, &f, log) == 1;
	char *files = path_join(dir, "files");
	char *p;
	struct buf missing = BUF_INIT;
	/* files/ fills in what the log lacked. */
	if (!f.has_config) {
		p = path_join(files, "config.yaml");
		if (is_file(p) && read_config_yaml(r, p))
			BUF_PUTSL(&missing, ", config from files/config.yaml");
		free(p);
	}
	int64_t last = 0;
	for (size_t i = 0; i < r->nmetrics; i++)
		for (size_t k = 0; k < r->metrics[i].n; k++)
			if (r->metrics[i].pts[k].step > last && !str_starts(r->metrics[i].key, "system/"))
				last = r->metrics[i].pts[k].step;
	p = path_join(files, "wandb-summary.json");
	if (is_file(p)) {
		json_t *j = load_json(p);
		if (j) {
			double d;
			int64_t step = last;
			if (json_to_double(json_object_get(j, "_step"), 0, &d) && d == d && fabs(d) < 9.2e18)
				step = (int64_t)d;
			size_t before = r->nmetrics;
			const char *k;
			json_t *v;
			json_object_foreach(j, k, v)
				add_summary_points(r, k, v, step, 0);
			if (r->nmetrics > before && have_log)
				BUF_PUTSL(&missing, ", summary values from files/wandb-summary.json");
		}
		json_decref(j);
	}
	free(p);
	p = path_join(files, "wandb-metadata.json");
	if (is_file(p)) {
		json_t *j = load_json(p);
		if (j) {
			const char *s;
			if (!r->user && (s = json_string_value(json_object_get(j, "username"))) && *s)
				r->user = xstrdup(s);
			if (!r->source_name && (s = json_string_value(json_object_get(j, "program"))) && *s)
				r->source_name = xstrdup(s);
			json_t *git = json_object_get(j, "git");
			if (!r->git_commit && (s = json_string_value(json_object_get(git, "commit"))) && *s)
				r->git_commit = xstrdup(s);
			if (!r->git_repo && (s = json_string_value(json_object_get(git, "remote"))) && *s)
				r->git_repo = xstrdup(s);
			if (r->start_ms == TIME_UNKNOWN)
				r->start_ms = iso8601_ms(json_string_value(json_object_get(j, "startedAt")));
		}
		json_decref(j);
	}
	free(p);
	if (f.has_exit && r->start_ms != TIME_UNKNOWN)
		r->end_ms = r->start_ms + f.exit_runtime_s * 1000;
	if (!f.console_lines) {
		p = path_join(files, "output.log");
		struct buf b = BUF_INIT;
		if (is_file(p) && read_file(p, &b, WB_MAX_TEXT) && b.size)
			console_note_append(&r->notes, b.data, b.size, CONSOLE_NOTE_LINES);
		buf_free(&b);
		free(p);
	}
	if (is_dir(files)) {
		artifact_walk(r, files, WB_MAX_ARTIFACTS, NULL, files);
		r->artifact_dir = xstrdup(files);
	}
	if (!r->id) {
		/* The folder name ends in the run id: run-20230512_015234-llg66607. */
		const char *base = strrchr(dir, '/');
		base = base ? base + 1 : dir;
		const char *dash = strrchr(base, '-');
		r->id = xstrdup(dash && dash[1] ? dash + 1 : base);
	}
	if (!r->status)
		r->status = xstrdup("UNKNOWN");
	if (!f.has_exit)
		kvlist_add(&r->tags, "wandb.state",
		           "no exit record: the run crashed, was killed or is still running");
	if (!log)
		diag_warn(dir, 0, "no run-*.wandb file: read files/ only (no history, no exit state%s)",
		          missing.size ? buf_cstr(&missing) : "");
	else if (have_log && f.cut_at)
		diag_note_at(log, f.cut_at,
		             "the log is cut here (the run crashed or is still being written); "
		             "read up to it%s",
		             missing.size ? buf_cstr(&missing) : "");
	*project = f.project ? xstrdup(f.project) : NULL;
	wandb_facts_free(&f);
	buf_free(&missing);
	free(files);
	return r;
}

static long read_store(const char *path, const struct reader_opts *opts, struct run_sink *sink)
{
	char **dirs = NULL;
	size_t ndirs = 0;
	char *single_log = NULL;
	if (is_dir(path)) {
		if (is_run_dir(path)) {
			dirs = xmalloc(sizeof *dirs);
			dirs[0] = xstrdup(path);
			ndirs = 1;
		} else {
			dirs = run_dirs(path, &ndirs, 0);
		}
	} else {
		/* A .wandb file: its folder is the run folder. */
		single_log = xstrdup(path);
		char *dir = xstrdup(path);
		char *slash = strrchr(dir, '/');
		if (slash)
			slash[slash == dir ? 1 : 0] = '\0';
		else
			strcpy(dir, ".");
		dirs = xmalloc(sizeof *dirs);
		dirs[0] = dir;
		ndirs = 1;
	}
	if (ndirs == 0) {
		diag_warn(path, 0, "no W&B run folder (run-*/ with a run-*.wandb file) here");
		free(dirs);
		return -1;
	}
	char **seen_projects = NULL, **seen_ids = NULL;
	size_t nproj = 0, capproj = 0, nids = 0, capids = 0;
	long delivered = 0;
	for (size_t i = 0; i < ndirs; i++) {
		char *log = single_log ? xstrdup(single_log) : find_log(dirs[i]);
		char *project = NULL;
		struct run *r = read_run_dir(path, dirs[i], log, &project);
		const char *exp = project ? project : "wandb";
		size_t k;
		for (k = 0; k < nproj; k++)
			if (strcmp(seen_projects[k], exp) == 0)
				break;
		if (k == nproj) {
			struct experiment *e = experiment_new();
			e->id = xstrdup(exp);
			e->name = xstrdup(exp);
			sink->experiment(sink->ctx, e);
			GROW(seen_projects, capproj, nproj + 1);
			seen_projects[nproj++] = xstrdup(exp);
		}
		r->experiment_id = xstrdup(exp);
		r->experiment_name = xstrdup(exp);
		/* A resumed run writes a second folder with the same id. */
		for (k = 0; k < nids; k++)
			if (strcmp(seen_ids[k], r->id) == 0) {
				const char *base = strrchr(dirs[i], '/');
				free(r->id);
				r->id = xstrdup(base ? base + 1 : dirs[i]);
				break;
			}
		GROW(seen_ids, capids, nids + 1);
		seen_ids[nids++] = xstrdup(r->id);
		free(log);
		free(project);
		run_finish(r, opts->dec_buckets);
		delivered++;
		if (!sink->run(sink->ctx, r))
			break;
	}
	free_names(seen_projects, nproj);
	free_names(seen_ids, nids);
	free_names(dirs, ndirs);
	free(single_log);
	return delivered;
}

const struct reader reader_wandb = {
	.name = "wandb",
	.what = "Weights & Biases run folders (wandb/run-*/ with run-*.wandb, files/)",
	.unique_ids = true, /* W&B run ids are random, unique within a project */
	.probe = probe,
	.read = read_store,
};
