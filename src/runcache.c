/* runcache.c — runs kept between builds (runcache.h): a run without its
 * points as bytes and back, and the files the kept runs are in.
 *
 * A run's file: a magic line, the head's length (8 bytes), the head, then
 * every metric's decimated copy and the points kept for overlays (16
 * bytes each, as chart points). The head: every field of struct run in
 * order; strings as a varint of length + 1 (0 for NULL) and their bytes;
 * lists as a varint count and their items; a series as its key, its
 * summary (fixed 8-byte fields), the points a reader dropped, and the ids
 * of its points and decimated copy; then what the site made of the run
 * (struct kept_site). A decimated copy: steps and times as zigzag varints
 * of their difference to the point before, values as the bits of their
 * XOR with the value before, less the zero bytes at both ends (a count
 * byte says how many are left). Every length is checked against the bytes
 * left: a damaged file is no run. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "runsite/hash.h"

#include "runsite/runcache.h"
#include "runsite/util.h"

#define RUN_MAGIC "runsite run 3\n"
#define HEAD_MAX ((uint64_t)64 << 20)
/* A file's header: the magic line, the head's length and its hash. */
#define HDR_LEN (sizeof RUN_MAGIC - 1 + 8 + 16)

/* ---- encoding ---- */

static void put_varint(struct buf *b, uint64_t v)
{
	unsigned char tmp[10];
	size_t n = 0;
	while (v >= 0x80) {
		tmp[n++] = (unsigned char)(v | 0x80);
		v >>= 7;
	}
	tmp[n++] = (unsigned char)v;
	buf_put(b, tmp, n);
}

static void put_u64(struct buf *b, uint64_t v)
{
	unsigned char tmp[8];
	for (int i = 0; i < 8; i++)
		tmp[i] = (unsigned char)(v >> (8 * i));
	buf_put(b, tmp, 8);
}

static void put_i64(struct buf *b, int64_t v)
{
	put_u64(b, (uint64_t)v);
}

static uint64_t double_bits(double v)
{
	uint64_t u;
	memcpy(&u, &v, sizeof u);
	return u;
}

static void put_double(struct buf *b, double v)
{
	put_u64(b, double_bits(v));
}

static void put_str(struct buf *b, const char *s)
{
	if (!s) {
		put_varint(b, 0);
		return;
	}
	size_t n = strlen(s);
	put_varint(b, (uint64_t)n + 1);
	buf_put(b, s, n);
}

static void put_kv(struct buf *b, const struct kvlist *l)
{
	put_varint(b, l->n);
	for (size_t i = 0; i < l->n; i++) {
		put_str(b, l->items[i].key);
		put_str(b, l->items[i].value);
	}
}

static void put_point(struct buf *b, const struct point *p)
{
	put_i64(b, p->step);
	put_i64(b, p->time_ms);
	put_double(b, p->value);
}

static uint64_t zigzag(uint64_t d)
{
	return (d << 1) ^ (uint64_t)-(int64_t)(d >> 63);
}

/* Writes v as a varint at p; returns the end. The one- and two-byte
 * forms, a point's usual step and time differences, without the loop. */
static inline unsigned char *varint_at(unsigned char *p, uint64_t v)
{
	if (v < 0x80) {
		p[0] = (unsigned char)v;
		return p + 1;
	}
	if (v < 0x4000) {
		p[0] = (unsigned char)(v | 0x80);
		p[1] = (unsigned char)(v >> 7);
		return p + 2;
	}
	while (v >= 0x80) {
		*p++ = (unsigned char)(v | 0x80);
		v >>= 7;
	}
	*p++ = (unsigned char)v;
	return p;
}

/* Points are encoded into a block on the stack and appended a block at a
 * time: a million points are ten million bytes put one field at a time. */
#define POINT_BYTES_MAX (10 + 10 + 9)

/* Points [i, end) of pts encoded at p, after the point whose fields st
 * holds (updated); returns the end of their bytes (POINT_BYTES_MAX a point
 * at most). */
static inline unsigned char *encode_points(unsigned char *p, const struct point *pts, size_t i,
                                           size_t end, uint64_t st[3])
{
	uint64_t step = st[0], time = st[1], bits = st[2];
	for (; i < end; i++) {
		uint64_t ds = zigzag((uint64_t)pts[i].step - step);
		uint64_t dt = zigzag((uint64_t)pts[i].time_ms - time);
		step = (uint64_t)pts[i].step;
		time = (uint64_t)pts[i].time_ms;
		p = varint_at(p, ds);
		p = varint_at(p, dt);
		uint64_t v = double_bits(pts[i].value), x = v ^ bits;
		bits = v;
		if (!x) {
			*p++ = 0;
			continue;
		}
		int tz = __builtin_ctzll(x) / 8, lz = __builtin_clzll(x) / 8;
		int nb = 8 - tz - lz;
		*p++ = (unsigned char)(tz << 4 | nb);
		/* the 8 bytes of x >> 8 tz, little-endian; the nb that count are kept */
		uint64_t y = x >> (8 * tz);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
		y = __builtin_bswap64(y);
#endif
		memcpy(p, &y, 8);
		p += nb;
	}
	st[0] = step;
	st[1] = time;
	st[2] = bits;
	return p;
}

static void put_points(struct buf *b, const struct point *pts, size_t n)
{
	unsigned char blk[16384];
	uint64_t st[3] = {0, 0, 0};
	size_t i = 0;
	unsigned char *p = blk;
	if (n > sizeof blk) {
		/* about 8 bytes a point (a step, a time and a value that change a
		 * little): one allocation, not a copy at each doubling; and the
		 * points go straight into it while it has room for them, checked a
		 * run of them at a time */
		buf_reserve(b, n / 2 * 17);
		huge_pages(b->data + b->size, b->cap - b->size);
		unsigned char *q = varint_at((unsigned char *)b->data + b->size, n);
		for (;;) {
			size_t room = (size_t)((unsigned char *)b->data + b->cap - 1 - q) / POINT_BYTES_MAX;
			size_t end = n - i < room ? n : i + room;
			if (end == i)
				break;
			q = encode_points(q, pts, i, end, st);
			i = end;
		}
		b->size = (size_t)((char *)q - b->data);
		b->data[b->size] = '\0';
		if (i == n)
			return;
	} else {
		p = varint_at(blk, n);
	}
	/* the rest through a block on the stack, appended a block at a time */
	while (i < n) {
		size_t fit = (size_t)(blk + sizeof blk - p) / POINT_BYTES_MAX;
		if (!fit) {
			buf_put(b, blk, (size_t)(p - blk));
			p = blk;
			continue;
		}
		size_t end = n - i < fit ? n : i + fit;
		p = encode_points(p, pts, i, end, st);
		i = end;
	}
	buf_put(b, blk, (size_t)(p - blk));
}

/* ---- decoding ---- */

struct reader_in {
	const unsigned char *p, *end;
	int bad;
};

static uint64_t get_varint(struct reader_in *in)
{
	uint64_t v = 0;
	for (int shift = 0; shift < 64; shift += 7) {
		if (in->p >= in->end) {
			in->bad = 1;
			return 0;
		}
		unsigned char c = *in->p++;
		v |= (uint64_t)(c & 0x7f) << shift;
		if (!(c & 0x80))
			return v;
	}
	in->bad = 1;
	return 0;
}

static uint64_t get_u64(struct reader_in *in)
{
	if (in->end - in->p < 8) {
		in->bad = 1;
		in->p = in->end;
		return 0;
	}
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v |= (uint64_t)in->p[i] << (8 * i);
	in->p += 8;
	return v;
}

static double get_double(struct reader_in *in)
{
	uint64_t u = get_u64(in);
	double v;
	memcpy(&v, &u, sizeof v);
	return v;
}

static char *get_str(struct reader_in *in)
{
	uint64_t n = get_varint(in);
	if (in->bad || n == 0)
		return NULL;
	n--;
	if ((uint64_t)(in->end - in->p) < n) {
		in->bad = 1;
		return NULL;
	}
	char *s = xstrndup((const char *)in->p, (size_t)n);
	in->p += n;
	return s;
}

/* A count of items each at least min_bytes long, checked against the bytes left. */
static size_t get_count(struct reader_in *in, size_t min_bytes)
{
	uint64_t n = get_varint(in);
	if (in->bad || n > (uint64_t)(in->end - in->p) / min_bytes) {
		in->bad = 1;
		return 0;
	}
	return (size_t)n;
}

static void get_kv(struct reader_in *in, struct kvlist *l)
{
	size_t n = get_count(in, 2);
	for (size_t i = 0; i < n && !in->bad; i++) {
		char *k = get_str(in), *v = get_str(in);
		if (!in->bad)
			kvlist_add(l, k ? k : "", v ? v : "");
		free(k);
		free(v);
	}
}

static void get_point(struct reader_in *in, struct point *p)
{
	p->step = (int64_t)get_u64(in);
	p->time_ms = (int64_t)get_u64(in);
	p->value = get_double(in);
}

static uint64_t unzigzag(uint64_t z)
{
	return (z >> 1) ^ (uint64_t)-(int64_t)(z & 1);
}

/* n points encoded by put_points at in (n must be their count), or NULL. */
static struct point *get_points(struct reader_in *in, size_t want)
{
	size_t n = get_count(in, 3);
	if (in->bad || n != want) {
		in->bad = 1;
		return NULL;
	}
	struct point *pts = xreallocarray(NULL, n ? n : 1, sizeof *pts);
	uint64_t step = 0, time = 0, bits = 0;
	size_t i = 0;
	/* While a whole point of the longest encoding is left (and 8 bytes
	 * more): no check of the bytes left per byte, the value's bytes read
	 * as one word. */
	const unsigned char *p = in->p;
	for (; i < n && in->end - p >= POINT_BYTES_MAX + 8; i++) {
		uint64_t d[2];
		for (int f = 0; f < 2; f++) {
			uint64_t v = 0;
			int shift = 0;
			unsigned char c;
			do {
				c = *p++;
				v |= (uint64_t)(c & 0x7f) << shift;
				shift += 7;
			} while ((c & 0x80) && shift < 70);
			if (c & 0x80) { /* longer than 10 bytes: not a varint */
				in->bad = 1;
				break;
			}
			d[f] = v;
		}
		if (in->bad)
			break;
		unsigned h = *p++;
		int tz = (int)(h >> 4), nb = (int)(h & 15);
		if (nb > 8 || tz + nb > 8) {
			in->bad = 1;
			break;
		}
		uint64_t x;
		memcpy(&x, p, 8);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
		x = __builtin_bswap64(x);
#endif
		x = nb ? (x & (UINT64_MAX >> (64 - 8 * nb))) << (8 * tz) : 0;
		p += nb;
		step += unzigzag(d[0]);
		time += unzigzag(d[1]);
		bits ^= x;
		pts[i].step = (int64_t)step;
		pts[i].time_ms = (int64_t)time;
		memcpy(&pts[i].value, &bits, sizeof bits);
	}
	in->p = p;
	for (; i < n && !in->bad; i++) {
		step += unzigzag(get_varint(in));
		time += unzigzag(get_varint(in));
		if (in->p >= in->end) {
			in->bad = 1;
			break;
		}
		unsigned h = *in->p++;
		int tz = (int)(h >> 4), nb = (int)(h & 15);
		if (nb > 8 || tz + nb > 8 || (in->end - in->p) < nb) {
			in->bad = 1;
			break;
		}
		uint64_t x = 0;
		for (int k = 0; k < nb; k++)
			x |= (uint64_t)in->p[k] << (8 * (tz + k));
		in->p += nb;
		bits ^= x;
		pts[i].step = (int64_t)step;
		pts[i].time_ms = (int64_t)time;
		memcpy(&pts[i].value, &bits, sizeof bits);
	}
	if (in->bad) {
		free(pts);
		return NULL;
	}
	return pts;
}

static _Atomic uint64_t points_hashed;

uint64_t points_id_hashed(void)
{
	return points_hashed;
}

/* An id: a count, and the 128-bit hash of len bytes. The points kept for
 * the overlays are identified by their bytes as encoded (a third of the
 * points' own bytes), checked before they are decoded again. */
static void bytes_id(const void *bytes, size_t len, uint64_t n, struct points_id *out)
{
	out->n = n;
	XXH128_hash_t h = XXH3_128bits(len ? bytes : "", len);
	memcpy(out->hash, &h.low64, 8);
	memcpy(out->hash + 8, &h.high64, 8);
}

void points_id_of(const struct point *pts, size_t n, struct points_id *out)
{
	_Static_assert(sizeof(struct point) == 3 * 8, "struct point has padding");
	if (pts)
		points_hashed += n;
	bytes_id(pts, pts ? n * sizeof *pts : 0, pts ? n : UINT64_MAX, out);
}

static void put_id(struct buf *b, const struct points_id *id)
{
	put_u64(b, id->n);
	buf_put(b, id->hash, sizeof id->hash);
}

static void get_id(struct reader_in *in, struct points_id *id)
{
	id->n = get_u64(in);
	if (in->end - in->p < (long)sizeof id->hash) {
		in->bad = 1;
		in->p = in->end;
		return;
	}
	memcpy(id->hash, in->p, sizeof id->hash);
	in->p += sizeof id->hash;
}

/* ---- the run's head ---- */

/* A series' points id as worked out for the head, by where its points are. */
struct points_memo {
	const struct point *pts;
	size_t n;
	struct points_id id;
};

static void encode_run(const struct run *r, struct buf *out, struct buf *tail,
                       struct points_memo *memo);

void runcache_encode(const struct run *r, struct buf *out, struct buf *tail)
{
	encode_run(r, out, tail, NULL);
}

/* runcache_encode, memo[i] (when not NULL) getting metric i's points id. */
static void encode_run(const struct run *r, struct buf *out, struct buf *tail,
                       struct points_memo *memo)
{
	put_str(out, r->format);
	const char *strs[] = {r->store, r->id, r->name, r->experiment_id, r->experiment_name,
	                      r->status, r->user, r->source_name, r->source_type, r->git_commit,
	                      r->git_branch, r->git_repo, r->parent_id, r->notes, r->artifact_dir};
	for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++)
		put_str(out, strs[i]);
	put_i64(out, r->start_ms);
	put_i64(out, r->end_ms);
	put_varint(out, r->deleted);
	put_kv(out, &r->params);
	put_kv(out, &r->tags);
	put_kv(out, &r->extras);
	put_kv(out, &r->sources);
	put_varint(out, r->nmetrics);
	for (size_t i = 0; i < r->nmetrics; i++) {
		const struct series *s = &r->metrics[i];
		const struct metric_summary *m = &s->sum;
		put_str(out, s->key);
		put_u64(out, m->count);
		put_u64(out, m->nan_count);
		put_u64(out, m->inf_count);
		put_point(out, &m->first);
		put_point(out, &m->last);
		put_varint(out, m->has_finite);
		put_point(out, &m->min);
		put_point(out, &m->max);
		put_u64(out, s->dropped);
		put_varint(out, s->summarized);
		struct points_id id;
		points_id_of(s->pts, s->n, &id);
		put_id(out, &id);
		if (memo)
			memo[i] = (struct points_memo){s->pts, s->n, id};
		points_id_of(s->dec, s->ndec, &id);
		put_id(out, &id);
		/* the decimated copy goes to the tail; the head says how long it is */
		size_t before = tail->size;
		put_points(tail, s->dec, s->dec ? s->ndec : 0);
		put_varint(out, s->dec ? s->ndec : 0);
		put_varint(out, tail->size - before);
	}
	put_varint(out, r->nartifacts);
	for (size_t i = 0; i < r->nartifacts; i++) {
		put_str(out, r->artifacts[i].path);
		put_i64(out, r->artifacts[i].size);
	}
	put_varint(out, r->ndatasets);
	for (size_t i = 0; i < r->ndatasets; i++) {
		const struct dataset_input *d = &r->datasets[i];
		const char *f[] = {d->name, d->digest, d->context, d->source_type,
		                   d->source, d->schema, d->profile};
		for (size_t k = 0; k < sizeof f / sizeof f[0]; k++)
			put_str(out, f[k]);
	}
	put_varint(out, r->nmodels);
	for (size_t i = 0; i < r->nmodels; i++) {
		const struct logged_model *m = &r->models[i];
		const char *f[] = {m->id, m->name, m->type, m->status, m->uri};
		for (size_t k = 0; k < sizeof f / sizeof f[0]; k++)
			put_str(out, f[k]);
	}
}

/* What the site made of the run (after the model in the head). */
void runcache_encode_site(const struct kept_site *k, struct buf *out)
{
	put_str(out, k->id);
	put_str(out, k->slug);
	put_varint(out, (uint64_t)k->color);
	put_varint(out, k->ncharts);
	for (size_t i = 0; i < k->ncharts; i++) {
		put_varint(out, k->charts[i].metric);
		put_str(out, k->charts[i].stem);
		put_str(out, k->charts[i].alt);
		put_str(out, k->charts[i].data);
	}
	put_varint(out, k->nfiles);
	for (size_t i = 0; i < k->nfiles; i++) {
		put_str(out, k->files[i].rel);
		put_str(out, k->files[i].fp);
	}
	put_varint(out, k->nspill);
	for (size_t i = 0; i < k->nspill; i++) {
		put_varint(out, k->spill[i].metric);
		put_varint(out, k->spill[i].n);
		put_varint(out, k->spill[i].len);
		put_id(out, &k->spill[i].id);
	}
}

static void decode_site(struct reader_in *in, struct kept_site *k)
{
	k->id = get_str(in);
	k->slug = get_str(in);
	k->color = (int)get_varint(in);
	size_t nc = get_count(in, 4);
	for (size_t i = 0; i < nc && !in->bad; i++) {
		size_t metric = (size_t)get_varint(in);
		char *stem = get_str(in), *alt = get_str(in), *data = get_str(in);
		if (!in->bad && metric < k->nmetrics && stem && alt)
			kept_site_add_chart(k, metric, stem, alt, data);
		else
			in->bad = 1;
		free(stem);
		free(alt);
		free(data);
	}
	size_t nf = get_count(in, 2);
	for (size_t i = 0; i < nf && !in->bad; i++) {
		char *rel = get_str(in), *fp = get_str(in);
		if (!in->bad && rel && fp)
			kept_site_add_file(k, rel, fp);
		else
			in->bad = 1;
		free(rel);
		free(fp);
	}
	size_t ns = get_count(in, 2);
	for (size_t i = 0; i < ns && !in->bad; i++) {
		GROW(k->spill, k->capspill, k->nspill + 1);
		struct kept_spill *sp = &k->spill[k->nspill++];
		memset(sp, 0, sizeof *sp);
		sp->metric = (size_t)get_varint(in);
		sp->n = (size_t)get_varint(in);
		sp->len = get_varint(in);
		get_id(in, &sp->id);
		if (sp->metric >= k->nmetrics || sp->n > RUNCACHE_SPILL_MAX || sp->len > HEAD_MAX * 64)
			in->bad = 1;
	}
}

struct run *runcache_decode(const void *data, size_t n, struct kept_site *k, const char *format)
{
	struct reader_in in = {data, (const unsigned char *)data + n, 0};
	char *kept_format = get_str(&in);
	int same = kept_format && format && strcmp(kept_format, format) == 0;
	free(kept_format);
	if (!same)
		return NULL;
	struct run *r = run_new(format, NULL);
	free(r->store);
	char **strs[] = {&r->store, &r->id, &r->name, &r->experiment_id, &r->experiment_name,
	                 &r->status, &r->user, &r->source_name, &r->source_type, &r->git_commit,
	                 &r->git_branch, &r->git_repo, &r->parent_id, &r->notes, &r->artifact_dir};
	for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++)
		*strs[i] = get_str(&in);
	if (!r->store)
		r->store = xstrdup("");
	r->start_ms = (int64_t)get_u64(&in);
	r->end_ms = (int64_t)get_u64(&in);
	r->deleted = get_varint(&in) != 0;
	get_kv(&in, &r->params);
	get_kv(&in, &r->tags);
	get_kv(&in, &r->extras);
	get_kv(&in, &r->sources);
	size_t nm = get_count(&in, 8);
	struct kept_site scratch;
	memset(&scratch, 0, sizeof scratch);
	struct kept_site *ks = k ? k : &scratch;
	ks->nmetrics = nm;
	ks->pts_id = xcalloc(nm ? nm : 1, sizeof *ks->pts_id);
	ks->dec_id = xcalloc(nm ? nm : 1, sizeof *ks->dec_id);
	ks->dec_at = xcalloc(nm ? nm : 1, sizeof *ks->dec_at);
	ks->dec_len = xcalloc(nm ? nm : 1, sizeof *ks->dec_len);
	uint64_t at = 0;
	for (size_t i = 0; i < nm && !in.bad; i++) {
		char *key = get_str(&in);
		struct series *s = run_series(r, key ? key : "");
		free(key);
		if (s != &r->metrics[i]) {
			in.bad = 1; /* a key twice: not what a reader delivers */
			break;
		}
		struct metric_summary *m = &s->sum;
		m->count = get_u64(&in);
		m->nan_count = get_u64(&in);
		m->inf_count = get_u64(&in);
		get_point(&in, &m->first);
		get_point(&in, &m->last);
		m->has_finite = get_varint(&in) != 0;
		get_point(&in, &m->min);
		get_point(&in, &m->max);
		s->dropped = get_u64(&in);
		s->summarized = get_varint(&in) != 0;
		get_id(&in, &ks->pts_id[i]);
		get_id(&in, &ks->dec_id[i]);
		uint64_t ndec = get_varint(&in);
		s->ndec = (uint32_t)ndec;
		ks->dec_len[i] = get_varint(&in);
		ks->dec_at[i] = at;
		at += ks->dec_len[i];
		if (ks->dec_len[i] > HEAD_MAX * 64 || ndec > ks->dec_len[i] ||
		    ndec >> SERIES_NDEC_BITS || m->count > SERIES_COUNT_MAX)
			in.bad = 1;
	}
	size_t na = get_count(&in, 9);
	for (size_t i = 0; i < na && !in.bad; i++) {
		char *path = get_str(&in);
		int64_t size = (int64_t)get_u64(&in);
		if (!in.bad)
			run_add_artifact(r, path ? path : "", size);
		free(path);
	}
	size_t nd = get_count(&in, 7);
	for (size_t i = 0; i < nd && !in.bad; i++) {
		struct dataset_input *d = run_add_dataset(r);
		char **f[] = {&d->name, &d->digest, &d->context, &d->source_type,
		              &d->source, &d->schema, &d->profile};
		for (size_t j = 0; j < sizeof f / sizeof f[0]; j++)
			*f[j] = get_str(&in);
	}
	size_t nmod = get_count(&in, 5);
	for (size_t i = 0; i < nmod && !in.bad; i++) {
		struct logged_model *m = run_add_model(r);
		char **f[] = {&m->id, &m->name, &m->type, &m->status, &m->uri};
		for (size_t j = 0; j < sizeof f / sizeof f[0]; j++)
			*f[j] = get_str(&in);
	}
	if (k && !in.bad) {
		decode_site(&in, k);
		/* the kept points follow the decimated copies */
		k->spill_at = at;
		for (size_t i = 0; i < k->nspill; i++) {
			k->spill[i].off = at - k->spill_at;
			at += k->spill[i].len;
		}
	}
	kept_site_free(&scratch);
	if (in.bad || in.p != in.end) {
		run_free(r);
		return NULL;
	}
	return r;
}

/* ---- what the site made of a run ---- */

void kept_site_add_chart(struct kept_site *k, size_t metric, const char *stem, const char *alt,
                         const char *data)
{
	GROW(k->charts, k->capcharts, k->ncharts + 1);
	k->charts[k->ncharts++] = (struct kept_chart){metric, xstrdup(stem), xstrdup(alt),
	                                              data ? xstrdup(data) : NULL};
}

void kept_site_add_file(struct kept_site *k, const char *rel, const char *fp)
{
	GROW(k->files, k->capfiles, k->nfiles + 1);
	k->files[k->nfiles++] = (struct kept_file){xstrdup(rel), xstrdup(fp)};
}

void kept_site_add_spill(struct kept_site *k, size_t metric, const struct point *pts, size_t n)
{
	if (k->unkeepable || k->spill_points + n > RUNCACHE_SPILL_MAX) {
		k->unkeepable = true;
		return;
	}
	GROW(k->spill, k->capspill, k->nspill + 1);
	struct kept_spill *sp = &k->spill[k->nspill++];
	memset(sp, 0, sizeof *sp);
	sp->metric = metric;
	sp->n = n;
	sp->off = k->spill_bytes.size;
	put_points(&k->spill_bytes, pts, n);
	sp->len = k->spill_bytes.size - sp->off;
	bytes_id(k->spill_bytes.data + sp->off, sp->len, n, &sp->id);
	k->spill_points += n;
}

struct point *kept_site_spill_points(const struct kept_site *k, size_t i, size_t *n)
{
	for (size_t j = 0; j < k->nspill; j++) {
		const struct kept_spill *sp = &k->spill[j];
		if (sp->metric != i || sp->off + sp->len > k->spill_bytes.size)
			continue;
		const unsigned char *b = (const unsigned char *)k->spill_bytes.data + sp->off;
		struct reader_in in = {b, b + sp->len, 0};
		struct point *pts = get_points(&in, sp->n);
		*n = pts ? sp->n : 0;
		return pts;
	}
	*n = 0;
	return NULL;
}

void kept_site_free(struct kept_site *k)
{
	free(k->id);
	free(k->slug);
	for (size_t i = 0; i < k->ncharts; i++) {
		free(k->charts[i].stem);
		free(k->charts[i].alt);
		free(k->charts[i].data);
	}
	free(k->charts);
	for (size_t i = 0; i < k->nfiles; i++) {
		free(k->files[i].rel);
		free(k->files[i].fp);
	}
	free(k->files);
	free(k->spill);
	buf_free(&k->spill_bytes);
	free(k->pts_id);
	free(k->dec_id);
	free(k->dec_at);
	free(k->dec_len);
	free(k->path);
	free(k->ends);
	memset(k, 0, sizeof *k);
}

/* The head's length in a file's header hdr (HDR_LEN bytes), or UINT64_MAX
 * when it is not a kept run's. */
static uint64_t head_len(const unsigned char *hdr)
{
	if (memcmp(hdr, RUN_MAGIC, sizeof RUN_MAGIC - 1) != 0)
		return UINT64_MAX;
	uint64_t head = 0;
	for (int i = 0; i < 8; i++)
		head |= (uint64_t)hdr[sizeof RUN_MAGIC - 1 + i] << (8 * i);
	return head <= HEAD_MAX ? head : UINT64_MAX;
}

/* Reads n bytes at byte off of the tail of kept run k's file (caller frees), or NULL. */
static void *read_tail(const struct kept_site *k, uint64_t off, uint64_t n)
{
	if (!k->path)
		return NULL;
	int fd = open(k->path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	unsigned char hdr[HDR_LEN];
	uint64_t head = pread(fd, hdr, sizeof hdr, 0) == (ssize_t)sizeof hdr ? head_len(hdr)
	                                                                      : UINT64_MAX;
	char *out = head != UINT64_MAX && n < ((uint64_t)1 << 34) ? xmalloc(n ? n : 1) : NULL;
	uint64_t base = sizeof hdr + head, got = 0;
	while (out && got < n) {
		ssize_t r = pread(fd, out + got, n - got, (off_t)(base + off + got));
		if (r <= 0)
			break;
		got += (uint64_t)r;
	}
	close(fd);
	if (out && got != n) {
		free(out);
		out = NULL;
	}
	return out;
}

struct point *runcache_decode_dec(const void *data, const struct kept_site *k, size_t i,
                                  size_t ndec)
{
	struct reader_in in = {data, (const unsigned char *)data + k->dec_len[i], 0};
	struct point *pts = get_points(&in, ndec);
	/* what is read back must be what was kept (its id is in the head) */
	struct points_id id;
	if (pts)
		points_id_of(pts, ndec, &id);
	uint64_t want = k->dec_id[i].n == UINT64_MAX ? 0 : k->dec_id[i].n; /* none: no points */
	if (pts && (in.p != in.end || id.n != want ||
	            memcmp(id.hash, k->dec_id[i].hash, sizeof id.hash) != 0)) {
		free(pts);
		pts = NULL;
	}
	return pts;
}

struct point *runcache_read_dec(const struct kept_site *k, size_t i, size_t ndec)
{
	if (i >= k->nmetrics)
		return NULL;
	unsigned char *b = read_tail(k, k->dec_at[i], k->dec_len[i]);
	struct point *pts = b ? runcache_decode_dec(b, k, i, ndec) : NULL;
	free(b);
	return pts;
}

size_t runcache_read_decs(const struct kept_site *k, size_t n, const size_t *ndec,
                          struct point **out)
{
	/* the copies lie one after another from the tail's start: one read
	 * spans the ones asked for */
	uint64_t lo = UINT64_MAX, hi = 0;
	for (size_t i = 0; i < n; i++) {
		out[i] = NULL;
		if (ndec[i] != SIZE_MAX && i < k->nmetrics) {
			lo = k->dec_at[i] < lo ? k->dec_at[i] : lo;
			hi = k->dec_at[i] + k->dec_len[i] > hi ? k->dec_at[i] + k->dec_len[i] : hi;
		}
	}
	if (lo > hi)
		return 0;
	unsigned char *b = read_tail(k, lo, hi - lo);
	size_t got = 0;
	for (size_t i = 0; i < n && b; i++)
		if (ndec[i] != SIZE_MAX && i < k->nmetrics)
			got += (out[i] = runcache_decode_dec(b + (k->dec_at[i] - lo), k, i, ndec[i])) != NULL;
	free(b);
	return got;
}

struct point *runcache_read_spill(const struct kept_site *k, size_t i, size_t *n)
{
	const struct kept_spill *sp = NULL;
	for (size_t j = 0; j < k->nspill && !sp; j++)
		if (k->spill[j].metric == i)
			sp = &k->spill[j];
	if (!sp)
		return NULL;
	unsigned char *b = read_tail(k, k->spill_at + sp->off, sp->len);
	if (!b)
		return NULL;
	/* what is read back must be what was kept: its bytes' id is in the head */
	struct points_id id;
	bytes_id(b, sp->len, sp->n, &id);
	struct point *pts = NULL;
	if (id.n == sp->id.n && memcmp(id.hash, sp->id.hash, sizeof id.hash) == 0) {
		struct reader_in in = {b, b + sp->len, 0};
		pts = get_points(&in, sp->n);
		if (pts && in.p != in.end) {
			free(pts);
			pts = NULL;
		}
	}
	free(b);
	*n = pts ? sp->n : 0;
	return pts;
}

/* ---- the files the runs are kept in ---- */

struct rc_row {
	char *key;
	char *fp;   /* salted: runcache_open's salt and the fingerprint asked for */
	char *blob; /* the file's name: the hash of its bytes */
	size_t seq; /* the order rows were added in */
};

struct runcache {
	char *old_dir, *new_dir; /* the folders of run files (old_dir NULL: none) */
	char *salt;
	bool in_place;
	struct rc_row *old;      /* the last build's rows, sorted by key once first used */
	size_t nold, capold;
	bool sorted;
	pthread_mutex_t mu;      /* guards what follows */
	/* This build's rows wait in a temporary file (each "key\0fp\0blob\0",
	 * in the order added) until the list is written: a run kept costs no
	 * memory while the site is built. NULL until the first row; a row
	 * that could not be written there is a run not kept (lost). */
	FILE *rows;
	size_t n;
	bool lost;
	bool dir_made;
	size_t hits, misses;
	struct run_keep *handed; /* the run being delivered (runcache_hand) */
};

struct run_keep {
	char *key, *fp;          /* fp salted */
	bool hit;
	char *blob;              /* hit: its file's name */
	struct buf head, tail;   /* read now: the model, and its decimated copies */
	bool read;               /* head and tail are filled */
	struct points_memo *memo; /* read now: each metric's points id */
	size_t nmemo;
	struct kept_site site;
};

static void rows_free(struct rc_row *rows, size_t n);

struct runcache *runcache_open(const char *old_dir, const char *new_dir, const char *salt)
{
	struct runcache *c = xcalloc(1, sizeof *c);
	c->old_dir = old_dir ? xstrdup(old_dir) : NULL;
	c->new_dir = xstrdup(new_dir);
	c->salt = xstrdup(salt ? salt : "");
	pthread_mutex_init(&c->mu, NULL);
	return c;
}

void runcache_set_salt(struct runcache *c, const char *salt)
{
	free(c->salt);
	c->salt = xstrdup(salt);
}

void runcache_forget_old(struct runcache *c)
{
	if (!c)
		return;
	rows_free(c->old, c->nold);
	c->old = NULL;
	c->nold = c->capold = 0;
}

void runcache_in_place(struct runcache *c, bool in_place)
{
	c->in_place = in_place;
}

void runcache_index_add(struct runcache *c, const char *key, const char *fp, const char *blob)
{
	GROW(c->old, c->capold, c->nold + 1);
	c->old[c->nold] = (struct rc_row){xstrdup(key), xstrdup(fp), xstrdup(blob), c->nold};
	c->nold++;
	c->sorted = false;
}

static int cmp_rc_row(const void *a, const void *b)
{
	return strcmp(((const struct rc_row *)a)->key, ((const struct rc_row *)b)->key);
}

/* By key, then in the order added. */
static int cmp_rc_seq(const void *a, const void *b)
{
	const struct rc_row *x = a, *y = b;
	int k = strcmp(x->key, y->key);
	return k ? k : (x->seq > y->seq) - (x->seq < y->seq);
}

static struct rc_row *find_old(struct runcache *c, const char *key)
{
	pthread_mutex_lock(&c->mu);
	if (!c->sorted) {
		if (c->nold > 1)
			qsort(c->old, c->nold, sizeof *c->old, cmp_rc_row);
		c->sorted = true;
	}
	pthread_mutex_unlock(&c->mu);
	struct rc_row want = {(char *)key, NULL, NULL, 0};
	return c->nold ? bsearch(&want, c->old, c->nold, sizeof *c->old, cmp_rc_row) : NULL;
}

/* A blob name is 32 lowercase hex digits: nothing else is opened. */
static int blob_name_ok(const char *s)
{
	size_t i = 0;
	for (; s[i]; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return i == 32;
}

/* The kept run in file path (its head only is read, and checked against
 * its hash), or NULL. */
static struct run *load_head(const char *path, struct kept_site *k, const char *format)
{
	struct run *r = NULL;
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	struct stat st;
	if (fd < 0)
		return NULL;
	unsigned char hdr[HDR_LEN];
	uint64_t head = UINT64_MAX;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
	    pread(fd, hdr, sizeof hdr, 0) == (ssize_t)sizeof hdr)
		head = head_len(hdr);
	if (head != UINT64_MAX && sizeof hdr + head <= (uint64_t)st.st_size) {
		char *b = xmalloc(head ? head : 1);
		if (pread(fd, b, head, sizeof hdr) == (ssize_t)head) {
			XXH128_hash_t h = XXH3_128bits(b, head);
			unsigned char want[16];
			for (int i = 0; i < 8; i++) {
				want[i] = (unsigned char)(h.low64 >> (8 * i));
				want[8 + i] = (unsigned char)(h.high64 >> (8 * i));
			}
			if (memcmp(want, hdr + sizeof RUN_MAGIC - 1 + 8, 16) == 0)
				r = runcache_decode(b, head, k, format);
		}
		free(b);
	}
	close(fd);
	/* the tail must hold what the head says it does */
	uint64_t tail = 0;
	for (size_t i = 0; r && i < k->nmetrics; i++)
		tail += k->dec_len[i];
	for (size_t i = 0; r && i < k->nspill; i++)
		tail += k->spill[i].len;
	if (r && sizeof hdr + head + tail != (uint64_t)st.st_size) {
		run_free(r);
		r = NULL;
	}
	if (!r)
		kept_site_free(k);
	return r;
}

static char *salted(const struct runcache *c, const char *fp)
{
	return xasprintf("%s-%s", fp, c->salt);
}

struct run_keep *runcache_ask(struct runcache *c, const char *key, const char *fp,
                              const char *format, struct run **r)
{
	struct run_keep *k = xcalloc(1, sizeof *k);
	k->key = xstrdup(key);
	k->fp = salted(c, fp);
	*r = NULL;
	struct rc_row *row = c->salt[0] && c->old_dir ? find_old(c, key) : NULL;
	if (row && strcmp(row->fp, k->fp) == 0 && blob_name_ok(row->blob)) {
		char *path = path_join(c->old_dir, row->blob);
		*r = load_head(path, &k->site, format);
		if (*r) {
			k->site.path = path;
			k->hit = true;
			k->blob = xstrdup(row->blob);
		} else {
			free(path);
		}
	}
	pthread_mutex_lock(&c->mu);
	if (k->hit)
		c->hits++;
	else
		c->misses++;
	pthread_mutex_unlock(&c->mu);
	return k;
}

bool runcache_keep_hit(const struct run_keep *k)
{
	return k->hit;
}

void runcache_keep_read(struct run_keep *k, const struct run *r)
{
	if (k->hit)
		return;
	k->memo = xcalloc(r->nmetrics ? r->nmetrics : 1, sizeof *k->memo);
	k->nmemo = r->nmetrics;
	encode_run(r, &k->head, &k->tail, k->memo);
	k->read = true;
}

bool runcache_keep_points_id(const struct run_keep *k, const struct point *pts, size_t n,
                             struct points_id *out)
{
	for (size_t i = 0; k && i < k->nmemo; i++)
		if (k->memo[i].pts == pts && k->memo[i].n == n) {
			*out = k->memo[i].id;
			return true;
		}
	return false;
}

void runcache_keep_free(struct run_keep *k)
{
	if (!k)
		return;
	free(k->key);
	free(k->fp);
	free(k->blob);
	buf_free(&k->head);
	buf_free(&k->tail);
	free(k->memo);
	kept_site_free(&k->site);
	free(k);
}

void runcache_hand(struct runcache *c, struct run_keep *k)
{
	runcache_keep_free(c->handed);
	c->handed = k;
}

struct run_keep *runcache_take(struct runcache *c)
{
	struct run_keep *k = c ? c->handed : NULL;
	if (c)
		c->handed = NULL;
	return k;
}

struct kept_site *runcache_keep_site(struct run_keep *k)
{
	return &k->site;
}

/* Makes the new folder of run files once; 0 when it cannot be made. */
static int new_dir_ready(struct runcache *c)
{
	if (!c->dir_made)
		c->dir_made = make_dirs(c->new_dir, 0777) != 0;
	return c->dir_made;
}

/* Opens the rows' file in the new folder of run files, unlinked at once
 * (else one of the system's). */
static FILE *rows_open(struct runcache *c)
{
	if (!new_dir_ready(c))
		return tmpfile();
	char *path = path_join(c->new_dir, ".rows-XXXXXX");
	int fd = mkostemp(path, O_CLOEXEC);
	FILE *f = NULL;
	if (fd < 0) {
		f = tmpfile();
	} else {
		unlink(path);
		f = fdopen(fd, "w+b");
		if (!f)
			close(fd);
	}
	free(path);
	return f;
}

/* Notes a row of this build (under c->mu, with the new folder made). */
static void add_row(struct runcache *c, const char *key, const char *fp, const char *blob)
{
	if (!c->rows && !c->lost && !(c->rows = rows_open(c)))
		c->lost = true;
	if (c->lost)
		return;
	const char *parts[] = {key, fp, blob};
	for (int i = 0; i < 3; i++)
		if (fwrite(parts[i], 1, strlen(parts[i]) + 1, c->rows) != strlen(parts[i]) + 1)
			c->lost = true;
	c->n++;
}

/* This build's rows read back into memory (the strings point into *text;
 * seq is the order added), or NULL when there are none or they are lost. */
static struct rc_row *rows_load(struct runcache *c, struct buf *text, size_t *n)
{
	*n = 0;
	pthread_mutex_lock(&c->mu);
	struct rc_row *rows = NULL;
	if (!c->rows || c->lost || fflush(c->rows) != 0 || fseek(c->rows, 0, SEEK_SET) != 0)
		goto out;
	char chunk[1 << 16];
	size_t got;
	while ((got = fread(chunk, 1, sizeof chunk, c->rows)) > 0)
		buf_put(text, chunk, got);
	int err = ferror(c->rows);
	fseek(c->rows, 0, SEEK_END); /* rows added after this go at the end */
	if (err)
		goto out;
	rows = xreallocarray(NULL, c->n ? c->n : 1, sizeof *rows);
	const char *p = text->data, *end = p + text->size;
	for (size_t i = 0; i < c->n; i++) {
		char *f[3];
		for (int k = 0; k < 3; k++) {
			const char *z = p < end ? memchr(p, '\0', (size_t)(end - p)) : NULL;
			if (!z) {
				free(rows);
				rows = NULL;
				goto out;
			}
			f[k] = (char *)p;
			p = z + 1;
		}
		rows[i] = (struct rc_row){f[0], f[1], f[2], i};
	}
	*n = c->n;
out:
	pthread_mutex_unlock(&c->mu);
	return rows;
}

/* Copies file from to to (a new file), for file systems without hard links. */
static int copy_to(const char *from, const char *to)
{
	struct buf b = BUF_INIT;
	int ok = 0;
	if (read_file(from, &b, (size_t)1 << 32)) {
		int fd = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
		if (fd >= 0) {
			ok = write(fd, b.data ? b.data : "", b.size) == (ssize_t)b.size;
			ok = close(fd) == 0 && ok;
			if (!ok)
				unlink(to);
		}
	}
	buf_free(&b);
	return ok;
}

/* A hit's file goes into the new cache as it is. */
static void keep_old(struct runcache *c, struct run_keep *k)
{
	pthread_mutex_lock(&c->mu);
	if (c->in_place) {
		add_row(c, k->key, k->fp, k->blob); /* it stays in the site (runcache_files) */
	} else if (new_dir_ready(c)) {
		char *from = path_join(c->old_dir, k->blob), *to = path_join(c->new_dir, k->blob);
		if (link(from, to) == 0 || errno == EEXIST || copy_to(from, to))
			add_row(c, k->key, k->fp, k->blob);
		free(from);
		free(to);
	}
	pthread_mutex_unlock(&c->mu);
}

/* A run read now goes into the new cache: head (model and site part), tail. */
/* Writes the n parts whole (writev again after a short write); returns the
 * bytes written. part is used up. */
static size_t write_parts(int fd, struct iovec *part, int n)
{
	size_t done = 0;
	while (n > 0) {
		ssize_t w = writev(fd, part, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		done += (size_t)w;
		size_t left = (size_t)w;
		while (n > 0 && left >= part->iov_len) {
			left -= part->iov_len;
			part++;
			n--;
		}
		if (n > 0) {
			part->iov_base = (char *)part->iov_base + left;
			part->iov_len -= left;
		}
	}
	return done;
}

/* Writes run k (read now) into the new folder of run files and lists it;
 * returns the file's path (caller frees), or NULL when it is not kept. */
static char *keep_new(struct runcache *c, struct run_keep *k)
{
	char *kept = NULL;
	struct buf head = BUF_INIT, hdr = BUF_INIT;
	buf_put(&head, k->head.data ? k->head.data : "", k->head.size);
	runcache_encode_site(&k->site, &head);
	BUF_PUTSL(&hdr, RUN_MAGIC);
	put_u64(&hdr, head.size);
	XXH128_hash_t hh = XXH3_128bits(head.data ? head.data : "", head.size);
	put_u64(&hdr, hh.low64);
	put_u64(&hdr, hh.high64);
	/* The file is its parts one after another: hashed and written from
	 * where they are, not copied into one buffer first (a long run's
	 * points are megabytes). */
	struct iovec part[4] = {
		{hdr.data, hdr.size},
		{head.data, head.size},
		{k->tail.data, k->tail.size}, /* NULL when empty: no bytes */
		{k->site.spill_bytes.data, k->site.spill_bytes.size},
	};
	size_t total = 0;
	XXH3_state_t *st = XXH3_createState();
	if (!st)
		out_of_memory();
	XXH3_128bits_reset(st);
	for (int i = 0; i < 4; i++)
		total += part[i].iov_len;
	/* The name is the hash of every part but the kept points: the head
	 * holds their ids (the hash of their bytes), so they are not hashed a
	 * second time (megabytes for a long series). */
	for (int i = 0; i < 3; i++)
		XXH3_128bits_update(st, part[i].iov_base, part[i].iov_len);
	XXH128_hash_t h = XXH3_128bits_digest(st);
	XXH3_freeState(st);
	char name[33];
	snprintf(name, sizeof name, "%016llx%016llx", (unsigned long long)h.high64,
	         (unsigned long long)h.low64);
	pthread_mutex_lock(&c->mu);
	if (new_dir_ready(c)) {
		char *path = path_join(c->new_dir, name);
		int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
		int ok = fd < 0 && errno == EEXIST; /* the same bytes, for another run */
		if (fd >= 0) {
			ok = write_parts(fd, part, 4) == total;
			ok = close(fd) == 0 && ok;
			if (!ok)
				unlink(path);
		}
		if (ok) {
			add_row(c, k->key, k->fp, name);
			kept = path;
		} else {
			free(path);
		}
	}
	pthread_mutex_unlock(&c->mu);
	buf_free(&head);
	buf_free(&hdr);
	return kept;
}

struct kept_site *runcache_keep_write(struct runcache *c, struct run_keep *k)
{
	if (!k || k->hit || !k->read || k->site.unkeepable || !c->salt[0])
		return NULL;
	char *path = keep_new(c, k);
	k->read = false; /* written (or not to be): runcache_keep_done has nothing to do */
	if (!path)
		return NULL;
	struct kept_site *at = xcalloc(1, sizeof *at);
	at->path = path;
	at->spill_at = k->tail.size; /* the kept points follow the decimated copies */
	if (k->site.nspill) {
		at->spill = xreallocarray(NULL, k->site.nspill, sizeof *at->spill);
		memcpy(at->spill, k->site.spill, k->site.nspill * sizeof *at->spill);
		at->nspill = at->capspill = k->site.nspill;
	}
	return at;
}

void runcache_keep_done(struct runcache *c, struct run_keep *k, int ok)
{
	if (!k)
		return;
	if (ok && c->salt[0]) {
		if (k->hit)
			keep_old(c, k);
		else if (k->read && !k->site.unkeepable)
			free(keep_new(c, k));
	}
	runcache_keep_free(k);
}

int runcache_rows(struct runcache *c, int (*row)(void *ctx, const char *key, const char *fp,
                                                   const char *blob),
                  void *ctx)
{
	struct buf text = BUF_INIT;
	size_t n;
	struct rc_row *rows = rows_load(c, &text, &n);
	if (n > 1)
		qsort(rows, n, sizeof *rows, cmp_rc_seq);
	int ok = 1;
	for (size_t i = 0; i < n && ok; i++) {
		/* A key delivered twice (a store named twice) is listed once, the last. */
		if (i + 1 < n && strcmp(rows[i].key, rows[i + 1].key) == 0)
			continue;
		ok = row(ctx, rows[i].key, rows[i].fp, rows[i].blob);
	}
	free(rows);
	buf_free(&text);
	return ok;
}

void runcache_files(struct runcache *c, void (*fn)(void *ctx, const char *rel), void *ctx)
{
	if (!c)
		return;
	struct buf text = BUF_INIT;
	size_t n;
	struct rc_row *rows = rows_load(c, &text, &n);
	for (size_t i = 0; i < n; i++) {
		char *rel = path_join(RUNCACHE_DIR, rows[i].blob);
		fn(ctx, rel);
		free(rel);
	}
	free(rows);
	buf_free(&text);
}

void runcache_counts(const struct runcache *c, size_t *hits, size_t *misses)
{
	*hits = c->hits;
	*misses = c->misses;
}

static void rows_free(struct rc_row *rows, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(rows[i].key);
		free(rows[i].fp);
		free(rows[i].blob);
	}
	free(rows);
}

void runcache_free(struct runcache *c)
{
	if (!c)
		return;
	runcache_keep_free(c->handed);
	rows_free(c->old, c->nold);
	if (c->rows)
		fclose(c->rows);
	pthread_mutex_destroy(&c->mu);
	free(c->old_dir);
	free(c->new_dir);
	free(c->salt);
	free(c);
}
