/* rows.c — the rows of a runs table as a script file beside its page
 * ("index.rows.js", "experiments/<slug>.rows.js"): compact JSON, columns
 * described once and one array a run, streamed to the file so a page of
 * 10,000 runs is never held whole. The page itself carries the first
 * RUNS_FIRST_PAGE rows as HTML (for readers without the script); site.js
 * renders every row from this data as the table scrolls. A script file,
 * unlike fetch(), loads from file:// too. Every string goes through one
 * JSON writer that escapes '<', '>', '&', U+2028 and U+2029, so nothing in a
 * run's name can end the script or change it.
 *
 * A table made again (a run added to 10,000) takes the rows of the runs
 * that did not change from its last file instead of making them (each
 * reads its run's decimated copy for the sparkline): beside the rows file,
 * an index (PAGES_CACHE_DIR/rows/<rows file less ".js">, never served) holds
 * each row's fingerprint (what it shows of its run, and everything else a
 * row depends on) and its bytes' place in the file. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define XXH_STATIC_LINKING_ONLY /* XXH3_state_t on the stack */
#include "runsite/hash.h"

#include "runsite/chart.h"
#include "runsite/jsonw.h"
#include "site_internal.h"

/* Appends number v to b as "%g" would, with a space before it when it
 * follows another number and has no sign of its own to separate it. */
static void path_num(struct buf *b, double v, int *after_num)
{
	if (*after_num && v >= 0)
		buf_putc(b, ' ');
	*after_num = 1;
	chart_put_half(b, v);
}

/* Reads a number of the sparkline path at p as strtod would: the
 * half-pixel grid's "[-]digits[.5]" here, anything else by strtod. */
static double path_strtod(const char *p, char **end)
{
	const char *c = p;
	while (*c == ' ')
		c++;
	int neg = *c == '-';
	if (neg)
		c++;
	const char *digits = c;
	long whole = 0;
	while (*c >= '0' && *c <= '9' && c - digits < 6)
		whole = whole * 10 + (*c++ - '0');
	double half = 0;
	if (*c == '.' && c[1] == '5') {
		half = 0.5;
		c += 2;
	}
	if (c == digits || (*c >= '0' && *c <= '9') || (*c && strchr(".eExX", *c)))
		return strtod(p, end);
	*end = (char *)c;
	double v = (double)whole + half;
	return neg ? -v : v;
}

char *spark_compact(const char *d)
{
	struct buf b = BUF_INIT;
	double x = 0, y = 0;
	int after_num = 0, started = 0, want_l = 0;
	const char *p = d;
	while (*p) {
		char cmd = *p++;
		char *end;
		double nx = path_strtod(p, &end);
		if (end == p)
			break;
		p = end;
		double ny = path_strtod(p, &end);
		if (end == p)
			break;
		p = end;
		if (cmd == 'M' || !started) {
			/* a pen move (the start, or after a gap): absolute */
			buf_putc(&b, cmd == 'M' ? 'M' : 'L');
			after_num = 0;
			path_num(&b, nx, &after_num);
			path_num(&b, ny, &after_num);
			want_l = cmd == 'M';
			started = 1;
		} else {
			/* a line: relative, 'l' written once after each move */
			if (want_l) {
				buf_putc(&b, 'l');
				after_num = 0;
				want_l = 0;
			}
			path_num(&b, nx - x, &after_num);
			path_num(&b, ny - y, &after_num);
		}
		x = nx;
		y = ny;
	}
	buf_putc(&b, '\0');
	return b.data;
}

static const char *goal_name(enum goal g)
{
	return g == GOAL_MIN ? "min" : g == GOAL_MAX ? "max" : "none";
}

/* A value of se in mode m, or null. */
static void mode_value(struct jsonw *w, const struct series_sum *se, enum goal g, enum compare_mode m)
{
	double v;
	if (se && compare_value(se, g, m, &v, NULL))
		jsonw_double(w, v);
	else
		jsonw_null(w);
}

/* A step of se in mode m, or null. */
static void mode_step(struct jsonw *w, const struct series_sum *se, enum goal g, enum compare_mode m)
{
	double v;
	int64_t step;
	if (se && compare_value(se, g, m, &v, &step))
		jsonw_int(w, step);
	else
		jsonw_null(w);
}

/* One run: [id, name, slug, colour, experiment, status, start ms, duration
 * ms, [sparkline path, end x, end y] or null, [param values], [[last, min,
 * max, step of the last, of the min, of the max] or null per metric]]; a
 * metric's array has a seventh entry, the point its column shows instead
 * ("last"), when --at asks for a best it has none of. */
static void run_json(struct site *s, struct jsonw *w, struct site_run *sr, const char *primary,
                     const struct compare_param *params, size_t np,
                     const struct plan_metric *metrics, size_t nm)
{
	const struct run *r = sr->run;
	jsonw_begin_array(w);
	jsonw_string(w, r->id);
	jsonw_string(w, r->name);
	jsonw_string(w, sr->slug);
	jsonw_string(w, chart_color_hex(sr->color));
	jsonw_int(w, (int64_t)sr->exp);
	jsonw_string(w, r->status);
	if (r->start_ms != TIME_UNKNOWN)
		jsonw_int(w, r->start_ms);
	else
		jsonw_null(w);
	int64_t d = run_duration_ms(r);
	if (d != TIME_UNKNOWN && d >= 0)
		jsonw_int(w, d);
	else
		jsonw_null(w);
	double end[2];
	char *path = primary ? run_sparkline(s, sr, primary, end) : NULL;
	if (path) {
		char *small = spark_compact(path);
		free(path);
		path = small;
		jsonw_begin_array(w);
		jsonw_string(w, path);
		jsonw_double(w, end[0]);
		jsonw_double(w, end[1]);
		jsonw_end_array(w);
		free(path);
	} else {
		jsonw_null(w);
	}
	jsonw_begin_array(w);
	for (size_t p = 0; p < np; p++)
		jsonw_string(w, kvlist_get(&r->params, params[p].key));
	jsonw_end_array(w);
	jsonw_begin_array(w);
	for (size_t m = 0; m < nm; m++) {
		const struct series_sum *se = run_find_sum(r, metrics[m].key);
		if (!se) {
			jsonw_null(w);
			continue;
		}
		enum goal g = metrics[m].goal;
		jsonw_begin_array(w);
		mode_value(w, se, g, CMP_LAST);
		mode_value(w, se, g, CMP_MIN);
		mode_value(w, se, g, CMP_MAX);
		mode_step(w, se, g, CMP_LAST);
		mode_step(w, se, g, CMP_MIN);
		mode_step(w, se, g, CMP_MAX);
		/* The point, only where it is not the column's (a best asked for
		 * with no finite value falls back to the last). */
		struct at_value av;
		if (metric_at(se, g, s->opts->at, &av) &&
		    compare_mode_at(g, av.at) != compare_mode_at(g, s->opts->at))
			jsonw_string(w, metric_at_name(av.at));
		jsonw_end_array(w);
	}
	jsonw_end_array(w);
	jsonw_end_array(w);
}

char *rows_index_rel(const char *rows_rel)
{
	size_t n = strlen(rows_rel);
	if (n > 3 && strcmp(rows_rel + n - 3, ".js") == 0)
		n -= 3;
	return xasprintf("%s/rows/%.*s", PAGES_CACHE_DIR, (int)n, rows_rel);
}

#define ROWS_INDEX_MAGIC "runsite rows 1\n"
#define ROWS_INDEX_HEAD (sizeof ROWS_INDEX_MAGIC - 1 + 8)
#define ROWS_INDEX_ENTRY 32 /* fingerprint (16 bytes), offset and length (8 each) */

/* A row of a rows file: its fingerprint and its bytes in the file. */
struct row_at {
	unsigned char fp[16];
	uint64_t off, len;
};

/* The rows of the last build's file, by fingerprint (open addressing). */
struct old_rows {
	int fd;            /* its rows file */
	struct row_at *slot;
	size_t cap;        /* a power of two; an empty slot has len 0 */
};

static uint64_t get_le64(const unsigned char *p)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static void put_le64(struct buf *b, uint64_t v)
{
	unsigned char t[8];
	for (int i = 0; i < 8; i++)
		t[i] = (unsigned char)(v >> (8 * i));
	buf_put(b, t, 8);
}

static size_t row_slot(const struct old_rows *o, const unsigned char fp[16])
{
	uint64_t h;
	memcpy(&h, fp, sizeof h);
	return (size_t)h & (o->cap - 1);
}

/* The last build's rows of the table whose page is page and rows file rel,
 * when its cache still describes both files; else o->fd is -1. */
static void old_rows_open(struct site *s, const char *page, const char *rel, const char *index,
                          struct old_rows *o)
{
	memset(o, 0, sizeof *o);
	o->fd = -1;
	int ifd = cache_old_page_file(s->cache, page, index);
	if (ifd < 0)
		return;
	struct buf b = BUF_INIT;
	char chunk[65536];
	for (ssize_t k; (k = read(ifd, chunk, sizeof chunk)) > 0;)
		buf_put(&b, chunk, (size_t)k);
	close(ifd);
	const unsigned char *p = (const unsigned char *)b.data;
	uint64_t n = b.size >= ROWS_INDEX_HEAD ? get_le64(p + ROWS_INDEX_HEAD - 8) : 0;
	int fd = -1;
	off_t size = -1;
	if (b.size >= ROWS_INDEX_HEAD && memcmp(p, ROWS_INDEX_MAGIC, ROWS_INDEX_HEAD - 8) == 0 &&
	    n == (b.size - ROWS_INDEX_HEAD) / ROWS_INDEX_ENTRY &&
	    b.size == ROWS_INDEX_HEAD + n * ROWS_INDEX_ENTRY &&
	    (fd = cache_old_page_file(s->cache, page, rel)) >= 0)
		size = lseek(fd, 0, SEEK_END);
	if (size < 0) {
		if (fd >= 0)
			close(fd);
		buf_free(&b);
		return;
	}
	o->cap = 16;
	while (o->cap < 2 * n)
		o->cap *= 2;
	o->slot = xcalloc(o->cap, sizeof *o->slot);
	for (uint64_t i = 0; i < n; i++) {
		const unsigned char *e = p + ROWS_INDEX_HEAD + i * ROWS_INDEX_ENTRY;
		struct row_at r;
		memcpy(r.fp, e, 16);
		r.off = get_le64(e + 16);
		r.len = get_le64(e + 24);
		if (r.len == 0 || r.off > (uint64_t)size || r.len > (uint64_t)size - r.off)
			continue; /* not a row of that file */
		size_t k = row_slot(o, r.fp);
		while (o->slot[k].len && memcmp(o->slot[k].fp, r.fp, 16) != 0)
			k = (k + 1) & (o->cap - 1);
		o->slot[k] = r;
	}
	o->fd = fd;
	buf_free(&b);
}

static const struct row_at *old_row(const struct old_rows *o, const unsigned char fp[16])
{
	if (o->fd < 0)
		return NULL;
	for (size_t k = row_slot(o, fp); o->slot[k].len; k = (k + 1) & (o->cap - 1))
		if (memcmp(o->slot[k].fp, fp, 16) == 0)
			return &o->slot[k];
	return NULL;
}

static void old_rows_close(struct old_rows *o)
{
	if (o->fd >= 0)
		close(o->fd);
	free(o->slot);
}

/* The rows file being written: made rows go through a memory stream (so
 * each one's place is known), taken rows are copied from the old file. */
struct rows_out {
	FILE *f, *m;
	char *mbuf;
	size_t msize;
	uint64_t pos; /* bytes in f */
	int ok;
};

static uint64_t out_at(struct rows_out *o)
{
	fflush(o->m);
	return o->pos + o->msize;
}

static void out_drain(struct rows_out *o)
{
	fflush(o->m);
	if (o->msize && fwrite(o->mbuf, 1, o->msize, o->f) != o->msize)
		o->ok = 0;
	o->pos += o->msize;
	fseek(o->m, 0, SEEK_SET);
	fflush(o->m);
}

/* Copies len bytes at off of the old rows file fd to the output. */
static int out_copy(struct rows_out *o, int fd, uint64_t off, uint64_t len)
{
	out_drain(o);
	char chunk[65536];
	while (len > 0) {
		size_t want = len < sizeof chunk ? (size_t)len : sizeof chunk;
		ssize_t k = pread(fd, chunk, want, (off_t)off);
		if (k <= 0)
			return 0;
		if (fwrite(chunk, 1, (size_t)k, o->f) != (size_t)k)
			o->ok = 0;
		off += (uint64_t)k;
		len -= (uint64_t)k;
		o->pos += (uint64_t)k;
	}
	return 1;
}

/* What every row of the table depends on besides its own run: the code,
 * the options, the columns (params and metrics), the trend's metric. */
static int rows_context(struct site *s, const struct compare_param *params, size_t np,
                        const struct plan_metric *metrics, size_t nm, const char *primary,
                        char ctx[CHART_FINGERPRINT_LEN + 1])
{
	struct buf none = BUF_INIT;
	struct page_fp *h = page_fp_begin(s, "rows", &none);
	if (!h)
		return 0;
	page_fp_str(h, primary);
	page_fp_u64(h, np);
	for (size_t p = 0; p < np; p++)
		page_fp_str(h, params[p].key);
	page_fp_u64(h, nm);
	for (size_t m = 0; m < nm; m++) {
		page_fp_str(h, metrics[m].key);
		page_fp_u64(h, (uint64_t)metrics[m].goal);
	}
	page_fp_end(h, ctx);
	return 1;
}

/* A row's fingerprint: the table's context, and what it shows of run sr
 * (run_json: the run by its digest, its slug, colour and experiment). */
static void row_fp(const char *ctx, const struct site_run *sr, unsigned char out[16])
{
	XXH3_state_t st;
	XXH3_128bits_reset(&st);
	XXH3_128bits_update(&st, ctx, CHART_FINGERPRINT_LEN);
	XXH3_128bits_update(&st, sr->digest, sizeof sr->digest);
	uint64_t v[2] = {(uint64_t)sr->color, (uint64_t)sr->exp};
	XXH3_128bits_update(&st, v, sizeof v);
	XXH3_128bits_update(&st, sr->slug, strlen(sr->slug) + 1);
	XXH128_hash_t d = XXH3_128bits_digest(&st);
	memcpy(out, &d.low64, 8);
	memcpy(out + 8, &d.high64, 8);
}

int runs_rows_write(struct site *s, const char *rel, const size_t *idx, size_t n, int depth,
                    const struct compare_param *params, size_t np,
                    const struct plan_metric *metrics, size_t nm, const char *primary)
{
	const char *slash = strrchr(rel, '/');
	if (slash) {
		char *dir = xstrndup(rel, (size_t)(slash - rel));
		int made = site_mkdir(s, dir);
		free(dir);
		if (!made)
			return 0;
	}
	FILE *f = site_stream_open(s, rel);
	if (!f)
		return 0;
	struct rows_out o = {f, NULL, NULL, 0, 0, 1};
	o.m = open_memstream(&o.mbuf, &o.msize);
	if (!o.m) {
		fclose(f);
		return 0;
	}
	char ctx[CHART_FINGERPRINT_LEN + 1];
	int fps = rows_context(s, params, np, metrics, nm, primary, ctx);
	char *index = rows_index_rel(rel);
	size_t plen = strlen(rel) - (str_ends(rel, ".rows.js") ? 8 : 0);
	char *page = xasprintf("%.*s.html", (int)plen, rel);
	struct old_rows old = {.fd = -1};
	if (fps)
		old_rows_open(s, page, rel, index, &old);
	free(page);
	/* The index goes to its file as it is made (10,000 rows: 320 KB). */
	FILE *fi = NULL;
	if (fps) {
		char *dir = xstrndup(index, (size_t)(strrchr(index, '/') - index));
		fi = site_mkdir(s, dir) ? site_stream_open(s, index) : NULL;
		free(dir);
		if (!fi) {
			old_rows_close(&old);
			fclose(o.m);
			free(o.mbuf);
			fclose(f);
			free(index);
			return 0;
		}
	}
	struct buf ib = BUF_INIT;
	buf_put(&ib, ROWS_INDEX_MAGIC, ROWS_INDEX_HEAD - 8);
	put_le64(&ib, n);
	struct jsonw w;
	jsonw_init(&w, o.m);
	w.script_safe = 1;
	fputs("/* runsite: the rows of the runs table, for site.js */\n"
	      "(window.runsiteRows = window.runsiteRows || {})[\"runs-table\"] = ",
	      o.m);
	jsonw_begin_object(&w);
	jsonw_key(&w, "up");
	jsonw_string(&w, depth ? "../" : "");
	jsonw_key(&w, "first");
	jsonw_int(&w, (int64_t)(n < RUNS_FIRST_PAGE ? n : RUNS_FIRST_PAGE));
	jsonw_key(&w, "spark");
	jsonw_string(&w, primary);
	jsonw_key(&w, "params");
	jsonw_begin_array(&w);
	for (size_t p = 0; p < np; p++)
		jsonw_string(&w, params[p].key);
	jsonw_end_array(&w);
	jsonw_key(&w, "metrics");
	jsonw_begin_array(&w);
	for (size_t m = 0; m < nm; m++) {
		jsonw_begin_object(&w);
		jsonw_key(&w, "key");
		jsonw_string(&w, metrics[m].key);
		jsonw_key(&w, "goal");
		jsonw_string(&w, goal_name(metrics[m].goal));
		jsonw_key(&w, "mode");
		jsonw_string(&w, compare_mode_name(compare_mode_at(metrics[m].goal, s->opts->at)));
		jsonw_end_object(&w);
	}
	jsonw_end_array(&w);
	jsonw_key(&w, "exps");
	jsonw_begin_array(&w);
	for (size_t e = 0; e < s->nexps; e++) {
		jsonw_begin_array(&w);
		jsonw_string(&w, s->exps[e].name);
		jsonw_string(&w, s->exps[e].slug);
		jsonw_end_array(&w);
	}
	jsonw_end_array(&w);
	jsonw_key(&w, "rows");
	fputs("[\n", o.m);
	/* Old rows that follow each other in the old file are copied at once. */
	uint64_t copy_off = 0, copy_len = 0;
	size_t taken = 0;
	int ok = 1;
	for (size_t i = 0; i < n && ok; i++) {
		unsigned char fp[16];
		const struct row_at *r = NULL;
		if (fps) {
			row_fp(ctx, &s->runs[idx[i]], fp);
			r = old_row(&old, fp);
		}
		if (r && copy_len && r->off == copy_off + copy_len + 2) {
			/* the ",\n" between them too */
			copy_len += 2 + r->len;
		} else {
			if (copy_len)
				ok = out_copy(&o, old.fd, copy_off, copy_len);
			copy_len = 0;
			if (i)
				fputs(",\n", o.m);
			if (r) {
				copy_off = r->off;
				copy_len = r->len;
			}
		}
		uint64_t at = out_at(&o) + copy_len - (r ? r->len : 0);
		taken += r != NULL;
		if (!r) {
			/* Each row starts its own array: the writer's comma is ours. */
			w.first[w.depth] = 1;
			run_json(s, &w, &s->runs[idx[i]], primary, params, np, metrics, nm);
		}
		if (fps) {
			buf_put(&ib, fp, 16);
			put_le64(&ib, at);
			put_le64(&ib, r ? r->len : out_at(&o) - at);
			if (ib.size >= 65536) {
				fwrite(ib.data, 1, ib.size, fi);
				buf_reset(&ib);
			}
		}
		if (o.msize >= 65536)
			out_drain(&o);
	}
	if (ok && copy_len)
		ok = out_copy(&o, old.fd, copy_off, copy_len);
	old_rows_close(&old);
	cache_count_taken(s->cache, false, taken, n - taken);
	fputs("]", o.m);
	jsonw_end_object(&w);
	fputs(";\n", o.m);
	out_drain(&o);
	fclose(o.m);
	free(o.mbuf);
	if (!ok)
		diag_msg("%s: cannot read back the rows of the last build", rel);
	ok = site_stream_close(s, f, rel) && o.ok && ok;
	if (fi) {
		fwrite(ib.data, 1, ib.size, fi);
		ok = site_stream_close(s, fi, index) && ok;
	}
	buf_free(&ib);
	free(index);
	return ok;
}
