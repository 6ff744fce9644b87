/* runcache.c — runs kept between builds (runcache.h): the run model as
 * bytes and back, the stat digest of a run's files (reader.h, run_files),
 * and the files the kept runs are in.
 *
 * The bytes: a magic line, then every field of struct run in order;
 * strings as a varint of length + 1 (0 for NULL) and their bytes; lists
 * as a varint count and their items; a series as its key, its summary
 * (fixed 8-byte fields), the points a reader dropped, and its points:
 * steps and times as zigzag varints of their difference to the point
 * before, values as the bits of their XOR with the value before, less the
 * zero bytes at both ends (a count byte says how many are left). Every
 * length is checked against the bytes left: a damaged file is no run. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <xxhash.h>

#include "runsite/reader.h"
#include "runsite/runcache.h"
#include "runsite/util.h"

#define RUN_MAGIC "runsite run 1\n"
#define RUN_FILE_MAX ((size_t)1 << 32)

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

static void put_points(struct buf *b, const struct point *pts, size_t n)
{
	put_varint(b, n);
	uint64_t step = 0, time = 0, bits = 0;
	for (size_t i = 0; i < n; i++) {
		put_varint(b, zigzag((uint64_t)pts[i].step - step));
		put_varint(b, zigzag((uint64_t)pts[i].time_ms - time));
		step = (uint64_t)pts[i].step;
		time = (uint64_t)pts[i].time_ms;
		uint64_t v = double_bits(pts[i].value), x = v ^ bits;
		bits = v;
		if (!x) {
			buf_putc(b, 0);
			continue;
		}
		int tz = __builtin_ctzll(x) / 8, lz = __builtin_clzll(x) / 8;
		int nb = 8 - tz - lz;
		unsigned char tmp[9];
		tmp[0] = (unsigned char)(tz << 4 | nb);
		for (int k = 0; k < nb; k++)
			tmp[1 + k] = (unsigned char)(x >> (8 * (tz + k)));
		buf_put(b, tmp, (size_t)nb + 1);
	}
}

void runcache_encode(const struct run *r, struct buf *out)
{
	BUF_PUTSL(out, RUN_MAGIC);
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
		put_points(out, s->pts, s->pts ? s->n : 0);
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

static void get_points(struct reader_in *in, struct series *s)
{
	size_t n = get_count(in, 3);
	if (in->bad || n == 0)
		return;
	s->pts = xreallocarray(NULL, n, sizeof *s->pts);
	s->cap = n;
	uint64_t step = 0, time = 0, bits = 0;
	for (size_t i = 0; i < n; i++) {
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
		s->pts[i].step = (int64_t)step;
		s->pts[i].time_ms = (int64_t)time;
		memcpy(&s->pts[i].value, &bits, sizeof bits);
	}
	s->n = in->bad ? 0 : n;
}

struct run *runcache_decode(const void *data, size_t n, size_t dec_buckets)
{
	struct reader_in in = {data, (const unsigned char *)data + n, 0};
	size_t ml = sizeof RUN_MAGIC - 1;
	if (n < ml || memcmp(data, RUN_MAGIC, ml) != 0)
		return NULL;
	in.p += ml;
	char *format = get_str(&in);
	const struct reader *rd = format ? reader_by_name(format) : NULL;
	free(format);
	if (!rd)
		return NULL;
	struct run *r = run_new(rd->name, NULL);
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
		get_points(&in, s);
		if (!in.bad)
			s->dec = points_decimate_m4(s->pts, s->n, dec_buckets, &s->ndec);
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
		for (size_t k = 0; k < sizeof f / sizeof f[0]; k++)
			*f[k] = get_str(&in);
	}
	size_t nmod = get_count(&in, 5);
	for (size_t i = 0; i < nmod && !in.bad; i++) {
		struct logged_model *m = run_add_model(r);
		char **f[] = {&m->id, &m->name, &m->type, &m->status, &m->uri};
		for (size_t k = 0; k < sizeof f / sizeof f[0]; k++)
			*f[k] = get_str(&in);
	}
	if (in.bad || in.p != in.end) {
		run_free(r);
		return NULL;
	}
	return r;
}

/* ---- the files the runs are kept in ---- */

struct rc_row {
	char *key;
	char *fp;   /* salted: runcache_open's salt and the fingerprint asked for */
	char *blob; /* the file's name: the hash of its bytes */
	bool taken; /* the run was taken from it this build */
	size_t seq; /* the order rows were added in */
};

struct runcache {
	char *old_dir, *new_dir; /* the folders of run files (old_dir NULL: none) */
	char *salt;
	struct rc_row *old;      /* the last build's rows, sorted by key once first used */
	size_t nold, capold;
	bool sorted;
	pthread_mutex_t mu;      /* guards what follows */
	struct rc_row *rows;     /* this build's */
	size_t n, cap;
	bool dir_made;
	size_t hits, misses;
};

struct runcache *runcache_open(const char *old_dir, const char *new_dir, const char *salt)
{
	struct runcache *c = xcalloc(1, sizeof *c);
	c->old_dir = old_dir ? xstrdup(old_dir) : NULL;
	c->new_dir = xstrdup(new_dir);
	c->salt = xstrdup(salt ? salt : "");
	pthread_mutex_init(&c->mu, NULL);
	return c;
}

void runcache_index_add(struct runcache *c, const char *key, const char *fp, const char *blob)
{
	GROW(c->old, c->capold, c->nold + 1);
	c->old[c->nold] = (struct rc_row){xstrdup(key), xstrdup(fp), xstrdup(blob), false, c->nold};
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

static char *salted(const struct runcache *c, const char *fp)
{
	return xasprintf("%s-%s", fp, c->salt);
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
	struct rc_row want = {(char *)key, NULL, NULL, false, 0};
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

static void blob_name(const struct buf *b, char out[33])
{
	XXH128_hash_t h = XXH3_128bits(b->data ? b->data : "", b->size);
	snprintf(out, 33, "%016llx%016llx", (unsigned long long)h.high64,
	         (unsigned long long)h.low64);
}

struct run *runcache_get(struct runcache *c, const char *key, const char *fp, size_t dec_buckets)
{
	struct rc_row *row = c->salt[0] && c->old_dir ? find_old(c, key) : NULL;
	char *want = salted(c, fp);
	struct run *r = NULL;
	if (row && strcmp(row->fp, want) == 0 && blob_name_ok(row->blob)) {
		char *path = path_join(c->old_dir, row->blob);
		struct buf b = BUF_INIT;
		int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		struct stat st;
		if (fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
			close(fd);
			fd = -1;
			if (read_file(path, &b, RUN_FILE_MAX)) {
				char name[33];
				blob_name(&b, name);
				if (strcmp(name, row->blob) == 0)
					r = runcache_decode(b.data ? b.data : "", b.size, dec_buckets);
			}
		}
		if (fd >= 0)
			close(fd);
		buf_free(&b);
		free(path);
	}
	free(want);
	pthread_mutex_lock(&c->mu);
	if (r) {
		row->taken = true;
		c->hits++;
	} else {
		c->misses++;
	}
	pthread_mutex_unlock(&c->mu);
	return r;
}

/* Makes the new folder of run files once; 0 when it cannot be made. */
static int new_dir_ready(struct runcache *c)
{
	if (!c->dir_made)
		c->dir_made = make_dirs(c->new_dir, 0777) != 0;
	return c->dir_made;
}

static void add_row(struct runcache *c, const char *key, const char *fp, const char *blob)
{
	GROW(c->rows, c->cap, c->n + 1);
	c->rows[c->n] = (struct rc_row){xstrdup(key), xstrdup(fp), xstrdup(blob), false, c->n};
	c->n++;
}

/* Copies file from to to (a new file), for file systems without hard links. */
static int copy_to(const char *from, const char *to)
{
	struct buf b = BUF_INIT;
	int ok = 0;
	if (read_file(from, &b, RUN_FILE_MAX)) {
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

void runcache_keep(struct runcache *c, const char *key)
{
	struct rc_row *row = c->old_dir ? find_old(c, key) : NULL;
	if (!row || !row->taken)
		return;
	pthread_mutex_lock(&c->mu);
	if (new_dir_ready(c)) {
		char *from = path_join(c->old_dir, row->blob), *to = path_join(c->new_dir, row->blob);
		int ok = strcmp(from, to) == 0 || link(from, to) == 0 || errno == EEXIST ||
		         copy_to(from, to);
		if (ok)
			add_row(c, key, row->fp, row->blob);
		free(from);
		free(to);
	}
	pthread_mutex_unlock(&c->mu);
}

void runcache_put(struct runcache *c, const char *key, const char *fp, const struct buf *blob)
{
	if (!c->salt[0])
		return;
	char name[33];
	blob_name(blob, name);
	char *want = salted(c, fp);
	pthread_mutex_lock(&c->mu);
	if (new_dir_ready(c)) {
		char *path = path_join(c->new_dir, name);
		int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
		int ok = fd < 0 && errno == EEXIST; /* the same bytes, for another run */
		if (fd >= 0) {
			ok = write(fd, blob->data ? blob->data : "", blob->size) == (ssize_t)blob->size;
			ok = close(fd) == 0 && ok;
			if (!ok)
				unlink(path);
		}
		if (ok)
			add_row(c, key, want, name);
		free(path);
	}
	pthread_mutex_unlock(&c->mu);
	free(want);
}

int runcache_rows(struct runcache *c, int (*row)(void *ctx, const char *key, const char *fp,
                                                   const char *blob),
                  void *ctx)
{
	if (c->n > 1)
		qsort(c->rows, c->n, sizeof *c->rows, cmp_rc_seq);
	int ok = 1;
	for (size_t i = 0; i < c->n && ok; i++) {
		/* A key delivered twice (a store named twice) is listed once, the last. */
		if (i + 1 < c->n && strcmp(c->rows[i].key, c->rows[i + 1].key) == 0)
			continue;
		ok = row(ctx, c->rows[i].key, c->rows[i].fp, c->rows[i].blob);
	}
	return ok;
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
	rows_free(c->old, c->nold);
	rows_free(c->rows, c->n);
	pthread_mutex_destroy(&c->mu);
	free(c->old_dir);
	free(c->new_dir);
	free(c->salt);
	free(c);
}
