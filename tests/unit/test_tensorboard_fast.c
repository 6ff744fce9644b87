/* test_tensorboard_fast.c — the TensorBoard reader's fast paths against what
 * the slow ones (or the file's own construction) say: the framing's in-window
 * path must return the records written, whatever their lengths and wherever
 * a damaged one sits, read from memory, through pread and mapped;
 * and events read by the fast decoding paths must give exactly what the
 * general decoder gives for the same events encoded so no fast path applies. */
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "runsite/diag.h"
#include "runsite/model.h"
#include "runsite/util.h"
#include "tb_encode.h"
#include "../../src/readers/protobuf.h"
#include "../../src/readers/tb_event.h"
#include "../../src/readers/tensorboard.h"
#include "../../src/readers/tfrecord.h"

static char scratch[] = "/tmp/runsite-tbf-XXXXXX";

/* A small deterministic generator, so a failure can be replayed. */
static uint32_t lcg(uint32_t *x)
{
	*x = *x * 1664525u + 1013904223u;
	return *x >> 8;
}

/* The records of a test file: where each starts and its payload. */
struct rec {
	size_t off;
	struct buf payload;
};

/* Writes nrec records of lengths 0..maxlen (mostly short, as in event files)
 * with random bytes into f, noting each in recs. */
static void make_records(struct buf *f, struct rec *recs, size_t nrec, size_t maxlen,
                         uint32_t seed)
{
	for (size_t i = 0; i < nrec; i++) {
		size_t len = lcg(&seed) % 4 ? lcg(&seed) % 40 : lcg(&seed) % (maxlen + 1);
		recs[i].off = f->size;
		recs[i].payload = (struct buf)BUF_INIT;
		for (size_t k = 0; k < len; k++)
			buf_putc(&recs[i].payload, (int)(lcg(&seed) & 0xff));
		tfr_put(f, &recs[i].payload);
	}
}

/* Reads t to the end and checks that it returns exactly the records of recs
 * except number skip (none when skip >= nrec), at their offsets, with their
 * bytes. Returns the number of mismatches. */
static int read_all(struct tfr_reader *t, const struct rec *recs, size_t nrec, size_t skip)
{
	const uint8_t *p;
	size_t n, want = 0;
	int bad = 0;
	while (tfr_next(t, &p, &n) == TFR_RECORD) {
		if (want == skip)
			want++;
		if (want >= nrec) {
			bad++;
			break;
		}
		const struct buf *w = &recs[want].payload;
		if (n != w->size || (n && memcmp(p, w->data, n) != 0) ||
		    tfr_record_offset(t) != recs[want].off)
			bad++;
		want++;
	}
	if (want == skip && skip < nrec)
		want++;
	return bad + (want != nrec);
}

enum mode { FROM_MEMORY, FROM_FILE };

/* Opens f as the reader will: from memory, or from a file (mapped when at
 * least TFR_MAP_MIN bytes and mapping is possible, read with pread otherwise). */
static int open_as(struct tfr_reader *t, enum mode m, const struct buf *f, const char *name)
{
	if (m == FROM_MEMORY) {
		tfr_open_mem(t, name, f->data, f->size);
		return -1;
	}
	char *path = path_join(scratch, name);
	FILE *fp = fopen(path, "wb");
	if (!fp || fwrite(f->data, 1, f->size, fp) != f->size || fclose(fp) != 0) {
		perror(path);
		exit(1);
	}
	int fd = open(path, O_RDONLY);
	free(path);
	tfr_open_fd(t, name, fd, f->size);
	return fd;
}

/* Every record comes back, for files small (pread) and large (mapped), of
 * short records and of records longer than a window. */
static void test_records_intact(void)
{
	static const struct {
		size_t nrec, maxlen;
		const char *what;
	} cases[] = {
		{7, 30, "a few short records"},
		{3000, 60, "short records, file above TFR_MAP_MIN"},
		{400, 3000, "mixed lengths across pages"},
		{40, 200000, "records longer than the pread window"},
	};
	for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
		for (int m = FROM_MEMORY; m <= FROM_FILE; m++) {
			struct buf f = BUF_INIT;
			struct rec *recs = xcalloc(cases[c].nrec, sizeof *recs);
			make_records(&f, recs, cases[c].nrec, cases[c].maxlen, 7u + (uint32_t)c);
			struct tfr_reader t;
			size_t w0 = diag_count();
			int fd = open_as(&t, (enum mode)m, &f, "intact.tfevents");
			int bad = read_all(&t, recs, cases[c].nrec, cases[c].nrec);
			bool mapped = t.mapped;
			tfr_close(&t);
			if (fd >= 0)
				close(fd);
			INT_EQ(bad, 0, "records returned as written");
			INT_EQ(diag_count() - w0, 0, "no warning");
			printf("# %s, %s%s: %zu bytes\n", cases[c].what, m == FROM_MEMORY ? "memory" : "file",
			       mapped ? " (mapped)" : "", f.size);
			for (size_t i = 0; i < cases[c].nrec; i++)
				buf_free(&recs[i].payload);
			free(recs);
			buf_free(&f);
		}
	}
}

/* One damaged record at the start, near it, in the middle and at the end: a flipped
 * payload byte or a flipped length byte. Only it is lost, with one warning
 * naming its offset; every other record comes back. */
static void test_records_damaged(void)
{
	enum { NREC = 1200 };
	static struct rec recs[NREC];
	struct buf f = BUF_INIT;
	make_records(&f, recs, NREC, 100, 99);
	static const size_t where[] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 500, 1198, 1199};
	int all = 1;
	for (size_t w = 0; w < sizeof where / sizeof *where; w++) {
		for (int kind = 0; kind < 2; kind++) {
			for (int m = FROM_MEMORY; m <= FROM_FILE; m++) {
				size_t i = where[w];
				struct buf g = BUF_INIT;
				buf_put(&g, f.data, f.size);
				/* kind 0: a payload byte (or the payload CRC when empty); 1: the length */
				size_t at = recs[i].off + (kind ? 1 : 12 + recs[i].payload.size / 2);
				g.data[at] ^= 0x10;
				struct tfr_reader t;
				size_t w0 = diag_count();
				diag_set_quiet(1);
				int fd = open_as(&t, (enum mode)m, &g, "damaged.tfevents");
				int bad = read_all(&t, recs, NREC, i);
				tfr_close(&t);
				diag_set_quiet(0);
				if (fd >= 0)
					close(fd);
				int ok = bad == 0 && diag_count() - w0 == 1;
				OK(ok, "record %zu damaged (%s, %s): %d mismatches, %zu warnings", i,
				   kind ? "length" : "payload", m == FROM_MEMORY ? "memory" : "file", bad,
				   diag_count() - w0);
				all &= ok;
				buf_free(&g);
			}
		}
	}
	OK(all, "a damaged record anywhere costs only itself");
	for (size_t i = 0; i < NREC; i++)
		buf_free(&recs[i].payload);
	buf_free(&f);
}


/* ---- varints: the unrolled two- and three-byte cases ---- */

/* Every varint of 1..10 bytes around the unrolled lengths, alone (so it ends
 * the range) and followed by more bytes, and cut short by one byte. */
static void test_varints(void)
{
	static const uint64_t vals[] = {0, 1, 127, 128, 300, 16383, 16384, 1000000, 2097151,
	                                2097152, 268435455, 268435456, (uint64_t)-1};
	int all = 1;
	for (size_t i = 0; i < sizeof vals / sizeof *vals; i++) {
		struct buf b = BUF_INIT;
		pbw_varint(&b, vals[i]);
		size_t len = b.size;
		for (int tail = 0; tail < 3; tail++) {
			struct buf c = BUF_INIT;
			buf_put(&c, b.data, len);
			for (int k = 0; k < tail; k++)
				buf_putc(&c, 0x81); /* more bytes that must not be read */
			struct pb r = pb_init(c.data, c.size);
			uint64_t v = 12345;
			int ok = pb_varint(&r, &v) == 1 && v == vals[i] && r.p == (const uint8_t *)c.data + len;
			struct pb cut = pb_init(c.data, len - 1);
			ok &= len == 1 || pb_varint(&cut, &v) == 0;
			OK(ok, "varint %llu (%zu bytes) followed by %d bytes", (unsigned long long)vals[i],
			   len, tail);
			all &= ok;
			buf_free(&c);
		}
		buf_free(&b);
	}
	OK(all, "varints of every length read, and refused when cut");
}

/* ---- decoding: fast paths against the general decoder ---- */

/* Tags of many lengths, in twins that differ in one byte (tag i and i ^ 1),
 * and ones whose Value needs a two-byte length. */
static const char *const tags[] = {
	"a", "b", "lr", "lx", "loss", "lost", "train/loss", "xrain/loss", "abcdefgh", "abcdefgi",
	"abcdefghi", "abcdefgXi", "grad_norm/layer.0", "grad_norm/layer.1",
	"x/abcdefghijklmnopqrstuvwxyz0", "x/abcdefghijklmnopqrstuvwxyz1",
	"a-tag-long-enough-that-its-value-message-needs-a-two-byte-length-prefix-in-protobuf-"
	"wire-format-which-no-one-byte-fast-path-takes-xx",
	"a-tag-long-enough-that-its-value-message-needs-a-two-byte-length-prefix-in-protobuf-"
	"wire-format-which-no-one-byte-fast-path-takes-xy",
};
enum { NTAGS = sizeof tags / sizeof *tags };

/* One Summary.Value of kind k (0-2 simple, 3 tensor float_val, 4 tensor_content
 * double, 5 simple with an unknown field after it, 6 node_name instead of tag)
 * with value x, as message bytes. */
static void value_bytes(struct buf *v, int tag, int k, float x, bool meta)
{
	if (k == 6)
		pbw_str(v, 7, tags[tag]);
	else
		pbw_str(v, 1, tags[tag]);
	if (k == 3 || k == 4) {
		struct buf t = BUF_INIT;
		pbw_u64(&t, 1, k == 3 ? TB_DT_FLOAT : TB_DT_DOUBLE);
		if (k == 3) {
			pbw_bytes(&t, 5, &x, 4);
		} else {
			double d = (double)x * 3;
			tensor_shape(&t, NULL, 0);
			pbw_bytes(&t, 4, &d, 8);
		}
		pbw_msg(v, 8, &t);
		if (meta)
			val_meta(v, "scalars", NULL);
		return;
	}
	pbw_float(v, 2, x);
	if (k == 5)
		pbw_u64(v, 12, 42);
}

/* Appends a Summary.Value field holding v; twisted: its length as a two-byte
 * varint (valid protobuf that no fast path accepts). */
static void put_value(struct buf *sum, const struct buf *v, bool twisted)
{
	if (!twisted) {
		pbw_bytes(sum, 1, v->data, v->size);
		return;
	}
	pbw_key(sum, 1, 2);
	buf_putc(sum, (int)(v->size & 0x7f) | 0x80);
	buf_putc(sum, (int)(v->size >> 7));
	buf_put(sum, v->data, v->size);
}

/* An Event around sum; twisted: led by an unknown field, so the usual-layout
 * header reader declines it. */
static void put_event(struct buf *f, double wall, int64_t step, const struct buf *sum,
                      bool twisted)
{
	struct buf ev = BUF_INIT;
	if (twisted)
		pbw_u64(&ev, 15, 7);
	if (wall != 0)
		pbw_double(&ev, 1, wall);
	if (step)
		pbw_u64(&ev, 2, (uint64_t)step);
	pbw_bytes(&ev, 5, sum->data ? sum->data : "", sum->size);
	tfr_put(f, &ev);
	buf_free(&ev);
}

/* Two encodings of the same events: layouts that repeat (the templates), change
 * a tag or the order of tags, mix kinds of values, restart steps, use big,
 * negative and absent steps and special floats. */
static void two_files(struct buf *fast, struct buf *general, uint32_t seed, int nevents)
{
	int layout[8], kinds[8], nlayout = 0;
	bool meta_sent[NTAGS] = {false};
	int64_t step = 0;
	ev_file_version(fast, 1000.0);
	ev_file_version(general, 1000.0);
	for (int e = 0; e < nevents; e++) {
		/* A smaller step drops the points at and after it, so the rare
		 * negative, absent (0) and big steps come once each. */
		int64_t evstep = ++step;
		if (lcg(&seed) % 50 == 0 && step > 20)
			evstep = step -= 1 + lcg(&seed) % 15; /* a restart */
		else if (e == 3)
			evstep = step = -5; /* negative: a ten-byte varint */
		else if (e == nevents / 2)
			evstep = 0; /* absent */
		else if (e == nevents * 3 / 4)
			evstep = step = ((int64_t)1 << 40);
		if (nlayout == 0 || lcg(&seed) % 16 == 0) {
			nlayout = 1 + (int)(lcg(&seed) % 8);
			for (int k = 0; k < nlayout; k++) {
				layout[k] = (int)(lcg(&seed) % NTAGS);
				kinds[k] = lcg(&seed) % 6 ? 0 : (int)(lcg(&seed) % 7);
			}
		} else if (lcg(&seed) % 6 == 0) {
			int a = (int)(lcg(&seed) % (unsigned)nlayout), b = (int)(lcg(&seed) % (unsigned)nlayout);
			int t = layout[a];
			layout[a] = layout[b];
			layout[b] = t;
		} else if (lcg(&seed) % 8 == 0) {
			layout[lcg(&seed) % (unsigned)nlayout] = (int)(lcg(&seed) % NTAGS);
		} else if (lcg(&seed) % 4 == 0) {
			layout[lcg(&seed) % (unsigned)nlayout] ^= 1; /* the twin */
		}
		double wall = lcg(&seed) % 50 ? 1.7e9 + e * 0.37 : 0;
		struct buf sf = BUF_INIT, sg = BUF_INIT;
		for (int k = 0; k < nlayout; k++) {
			static const float special[] = {NAN, INFINITY, -INFINITY, -0.0f, 1e-40f};
			float x = lcg(&seed) % 64 ? (float)e + (float)k / 8 : special[lcg(&seed) % 5];
			bool meta = (kinds[k] == 3 || kinds[k] == 4) && !meta_sent[layout[k]];
			struct buf v = BUF_INIT;
			value_bytes(&v, layout[k], kinds[k], x, meta);
			if (meta)
				meta_sent[layout[k]] = true;
			put_value(&sf, &v, false);
			put_value(&sg, &v, true);
			buf_free(&v);
		}
		put_event(fast, wall, evstep, &sf, false);
		put_event(general, wall, evstep, &sg, true);
		buf_free(&sf);
		buf_free(&sg);
		/* Events between, alike in both files: another version, a scalar
		 * event of one value, a text summary. */
		uint32_t between = lcg(&seed) % 60;
		if (between == 0) {
			ev_file_version(fast, 1.7e9 + e);
			ev_file_version(general, 1.7e9 + e);
		} else if (between == 1) {
			ev_scalar(fast, 1.7e9 + e, evstep, tags[e % NTAGS], (float)e);
			ev_scalar(general, 1.7e9 + e, evstep, tags[e % NTAGS], (float)e);
		} else if (between == 2) {
			for (int w = 0; w < 2; w++) {
				struct buf t = BUF_INIT;
				pbw_u64(&t, 1, TB_DT_STRING);
				pbw_str(&t, 8, "some *notes*");
				ev_tensor(w ? general : fast, 1.7e9 + e, evstep, "notes", &t, "text");
			}
		}
	}
}

static bool same_value(double a, double b)
{
	return (isnan(a) && isnan(b)) || (a == b && signbit(a) == signbit(b));
}

/* Both runs hold the same series, point for point, and the same times. */
static int same_runs(const struct run *a, const struct run *b)
{
	int diff = a->nmetrics != b->nmetrics || a->start_ms != b->start_ms || a->end_ms != b->end_ms;
	for (size_t i = 0; i < a->nmetrics && !diff; i++) {
		const struct series *x = &a->metrics[i], *y = run_find_series(b, x->key);
		if (!y || x->n != y->n || x->dropped != y->dropped) {
			printf("# series %s: %zu points, %llu dropped; general: %zu, %llu\n", x->key, x->n,
			       (unsigned long long)x->dropped, y ? y->n : 0,
			       y ? (unsigned long long)y->dropped : 0ull);
			diff = 1;
			break;
		}
		for (size_t k = 0; k < x->n; k++)
			if (x->pts[k].step != y->pts[k].step || x->pts[k].time_ms != y->pts[k].time_ms ||
			    !same_value(x->pts[k].value, y->pts[k].value)) {
				printf("# series %s, point %zu differs\n", x->key, k);
				diff = 1;
				break;
			}
	}
	return !diff;
}

static void test_fast_decoding(void)
{
	for (uint32_t seed = 1; seed <= 6; seed++) {
		struct buf fast = BUF_INIT, general = BUF_INIT;
		two_files(&fast, &general, seed, 4000);
		struct run *a = run_new("tensorboard", "fast"), *b = run_new("tensorboard", "general");
		long na = tb_ingest_memory(a, "fast.tfevents", fast.data, fast.size);
		long nb = tb_ingest_memory(b, "general.tfevents", general.data, general.size);
		INT_EQ(na, nb, "as many records");
		uint64_t points = 0;
		for (size_t i = 0; i < a->nmetrics; i++)
			points += a->metrics[i].n;
		OK(same_runs(a, b) && points > 1000, "seed %u: %zu series, %llu points as the general "
		   "decoder reads them", seed, (size_t)a->nmetrics, (unsigned long long)points);
		run_free(a);
		run_free(b);
		buf_free(&fast);
		buf_free(&general);
	}
}

int main(void)
{
	if (!mkdtemp(scratch)) {
		perror("mkdtemp");
		return 1;
	}
	test_records_intact();
	test_records_damaged();
	test_varints();
	test_fast_decoding();
	char *cmd = xasprintf("rm -rf '%s'", scratch);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", scratch);
	free(cmd);
	return TEST_END();
}
