/* test_tensorboard.c — the TensorBoard reader: CRC32C, framing, the protobuf
 * reader, decoding of every scalar encoding, plugins, the restart rule, the
 * file-name-order merge, discovery, and the real files in tests/corpus (and ../shared/corpus when present). */
#include <dirent.h>
#include <setjmp.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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

extern const struct reader reader_lightning_csv;

static char scratch[] = "/tmp/runsite-tb-XXXXXX";

/* ---- helpers ---- */

static int saved_stderr = -1;
static char capture_path[256];

/* Sends stderr to a file until capture_end(), which returns what was written. */
static void capture_begin(void)
{
	fflush(stderr);
	snprintf(capture_path, sizeof capture_path, "%s/stderr.txt", scratch);
	int fd = open(capture_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	saved_stderr = dup(2);
	dup2(fd, 2);
	close(fd);
}

static char *capture_end(void)
{
	fflush(stderr);
	dup2(saved_stderr, 2);
	close(saved_stderr);
	struct buf b = BUF_INIT;
	read_file(capture_path, &b, 1 << 20);
	buf_cstr(&b);
	return buf_detach(&b);
}

static void write_bytes(const char *path, const void *data, size_t n)
{
	FILE *f = fopen(path, "wb");
	if (!f) {
		perror(path);
		exit(1);
	}
	fwrite(data, 1, n, f);
	fclose(f);
}

static void mkdirs(const char *path)
{
	char *p = xstrdup(path);
	for (char *s = p + 1; *s; s++)
		if (*s == '/') {
			*s = '\0';
			mkdir(p, 0755);
			*s = '/';
		}
	mkdir(p, 0755);
	free(p);
}

/* Writes b to dir/name under the scratch folder, creating folders. */
static char *put_file(const char *rel_dir, const char *name, const struct buf *b)
{
	char *dir = path_join(scratch, rel_dir);
	mkdirs(dir);
	char *path = path_join(dir, name);
	write_bytes(path, b->data ? b->data : "", b->size);
	free(dir);
	return path;
}

static struct run *ingest(const struct buf *b, long *records)
{
	struct run *r = run_new("tensorboard", "mem");
	long n = tb_ingest_memory(r, "mem.tfevents", b->data ? b->data : "", b->size);
	if (records)
		*records = n;
	return r;
}

static const struct series *find(const struct run *r, const char *key)
{
	return run_find_series(r, key);
}

/* Collects runs delivered by the reader. */
struct collected {
	struct run *runs[64];
	size_t n;
	char *exp_names[64];
	size_t nexp;
};

static void col_experiment(void *ctx, struct experiment *e)
{
	struct collected *c = ctx;
	if (c->nexp < 64)
		c->exp_names[c->nexp++] = xstrdup(e->name);
	experiment_free(e);
}

static int col_run(void *ctx, struct run *r)
{
	struct collected *c = ctx;
	if (c->n < 64)
		c->runs[c->n++] = r;
	else
		run_free(r);
	return 1;
}

static long read_dir(const char *path, struct collected *c)
{
	memset(c, 0, sizeof *c);
	struct reader_opts o = {.include_deleted = false, .dec_buckets = 100};
	struct run_sink s = {c, col_experiment, col_run, NULL};
	return reader_tensorboard.read(path, &o, &s);
}

static void collected_free(struct collected *c)
{
	for (size_t i = 0; i < c->n; i++)
		run_free(c->runs[i]);
	for (size_t i = 0; i < c->nexp; i++)
		free(c->exp_names[i]);
	memset(c, 0, sizeof *c);
}

static const struct run *run_by_id(const struct collected *c, const char *id)
{
	for (size_t i = 0; i < c->n; i++)
		if (strcmp(c->runs[i]->id, id) == 0)
			return c->runs[i];
	return NULL;
}

/* ---- CRC32C ---- */

static void test_crc(void)
{
	INT_EQ(crc32c(0, "123456789", 9), 0xE3069283u, "CRC32C check value");
	INT_EQ(crc32c_sw(0, "123456789", 9), 0xE3069283u, "table CRC32C check value");
	uint8_t zeros[32] = {0};
	INT_EQ(crc32c(0, zeros, 32), 0x8A9136AAu, "CRC32C of 32 zero bytes (RFC 3720)");
	uint8_t len24[8] = {0x18, 0, 0, 0, 0, 0, 0, 0};
	INT_EQ(tfr_masked_crc(len24, 8), 0x224B7FA3u, "masked CRC of length 24 (rustboard)");
	static const uint8_t first[] = {0x09, 0x00, 0x00, 0x80, 0x38, 0x99, 0xd6, 0xd7,
	                                0x41, 0x1a, 0x0d, 'b',  'r',  'a',  'i',  'n',
	                                '.',  'E',  'v',  'e',  'n',  't',  ':',  '2'};
	INT_EQ(tfr_masked_crc(first, sizeof first), 0xAB364B12u, "masked CRC of a first event");
	/* Both implementations agree on random data of every length and alignment,
	 * and continuing a CRC equals computing it in one go. */
	uint8_t data[1024];
	uint32_t seed = 12345;
	for (size_t i = 0; i < sizeof data; i++) {
		seed = seed * 1103515245u + 12345u;
		data[i] = (uint8_t)(seed >> 16);
	}
	int agree = 1, cont = 1;
	for (size_t off = 0; off < 9; off++)
		for (size_t n = 0; n + off <= sizeof data; n += 37) {
			uint32_t sw = crc32c_sw(0, data + off, n);
			if (crc32c_have_hw() && crc32c_hw(0, data + off, n) != sw)
				agree = 0;
			size_t half = n / 3;
			if (crc32c(crc32c(0, data + off, half), data + off + half, n - half) != sw)
				cont = 0;
		}
	OK(agree, "SSE4.2 and table CRC32C agree on random data");
	OK(cont, "CRC32C continues across pieces");
	printf("# CRC32C: %s\n", crc32c_have_hw() ? "SSE4.2 (both checked)" : "table only");
}

/* ---- protobuf ---- */

static void test_protobuf(void)
{
	struct pb_field f;
	/* The largest 10-byte varint, then an overlong 11-byte one. */
	static const uint8_t max[] = {0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01};
	struct pb b = pb_init(max, sizeof max);
	INT_EQ(pb_next(&b, &f), 1, "10-byte varint reads");
	OK(f.v == UINT64_MAX, "10-byte varint is 2^64-1");
	INT_EQ(pb_next(&b, &f), 0, "then the end");
	static const uint8_t over[] = {0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	                               0xff, 0xff, 0xff, 0xff, 0x01};
	b = pb_init(over, sizeof over);
	INT_EQ(pb_next(&b, &f), -1, "11-byte varint is malformed");
	static const uint8_t past[] = {0x0a, 0x05, 'a', 'b'};
	b = pb_init(past, sizeof past);
	INT_EQ(pb_next(&b, &f), -1, "length past the end is malformed");
	static const uint8_t past2[] = {0x0a, 0x80, 0x01, 'a'};
	b = pb_init(past2, sizeof past2);
	INT_EQ(pb_next(&b, &f), -1, "two-byte length past the end is malformed");
	static const uint8_t group[] = {0x0b, 0x0c};
	b = pb_init(group, sizeof group);
	INT_EQ(pb_next(&b, &f), -1, "group wire type is malformed");
	static const uint8_t zero[] = {0x00, 0x01};
	b = pb_init(zero, sizeof zero);
	INT_EQ(pb_next(&b, &f), -1, "field number 0 is malformed");
	static const uint8_t cut[] = {0x0d, 0x01, 0x02};
	b = pb_init(cut, sizeof cut);
	INT_EQ(pb_next(&b, &f), -1, "fixed32 cut short is malformed");
	static const uint8_t unterminated[] = {0x10, 0x80};
	b = pb_init(unterminated, sizeof unterminated);
	INT_EQ(pb_next(&b, &f), -1, "unterminated varint is malformed");
	/* A 300-byte string needs a two-byte length: the slow path. */
	struct buf w = BUF_INIT;
	char big[300];
	memset(big, 'x', sizeof big);
	pbw_bytes(&w, 20, big, sizeof big);
	b = pb_init(w.data, w.size);
	INT_EQ(pb_next(&b, &f), 1, "two-byte key and length read");
	INT_EQ(f.num, 20, "field number 20");
	INT_EQ(f.len, 300, "length 300");
	buf_free(&w);

	/* A negative step is a 10-byte two's-complement varint. */
	struct buf ev = BUF_INIT;
	pbw_double(&ev, 1, 1.5);
	pbw_u64(&ev, 2, (uint64_t)(int64_t)-5);
	struct tb_event e;
	INT_EQ(tb_event_parse((const uint8_t *)ev.data, ev.size, &e), 1, "event parses");
	INT_EQ(e.step, -5, "negative step");
	DBL_EQ(e.wall_time, 1.5, "wall time");
	buf_free(&ev);
}

/* ---- framing ---- */

static void three_records(struct buf *out)
{
	ev_file_version(out, 1000.0);
	ev_scalar(out, 1001.0, 1, "loss", 0.5f);
	ev_scalar(out, 1002.0, 2, "loss", 0.25f);
}

static int count_records(const struct buf *b, const char *label, enum tfr_status *end)
{
	struct tfr_reader t;
	const uint8_t *p;
	size_t n;
	int count = 0;
	enum tfr_status s;
	tfr_open_mem(&t, label, b->data, b->size);
	while ((s = tfr_next(&t, &p, &n)) == TFR_RECORD)
		count++;
	tfr_close(&t);
	*end = s;
	return count;
}

static void test_framing(void)
{
	struct buf good = BUF_INIT;
	three_records(&good);
	enum tfr_status end;
	size_t w0 = diag_count();
	INT_EQ(count_records(&good, "good", &end), 3, "three good records");
	INT_EQ(end, TFR_END, "clean end");
	INT_EQ(diag_count() - w0, 0, "no warning for a good file");

	/* The same bytes through a file, with a window smaller than the file. */
	char *path = put_file("framing", "events.out.tfevents.1.good", &good);
	int fd = open(path, O_RDONLY);
	struct tfr_reader t;
	const uint8_t *p;
	size_t n;
	int count = 0;
	tfr_open_fd(&t, path, fd, good.size);
	while (tfr_next(&t, &p, &n) == TFR_RECORD)
		count++;
	tfr_close(&t);
	close(fd);
	INT_EQ(count, 3, "three records read from a file");
	free(path);

	/* Truncated: the last record is cut; the two before are kept, with a note only. */
	for (size_t cut = 1; cut < 20; cut += 6) {
		struct buf tr = BUF_INIT;
		buf_put(&tr, good.data, good.size - cut);
		w0 = diag_count();
		capture_begin();
		int got = count_records(&tr, "trunc", &end);
		char *err = capture_end();
		INT_EQ(got, 2, "records before a truncated tail");
		INT_EQ(end, TFR_END, "truncated tail ends the file");
		INT_EQ(diag_count() - w0, 0, "a truncated tail is a note, not a warning");
		OK(strstr(err, "trunc@") && strstr(err, "note:"), "truncation note names the offset: %s",
		   err);
		free(err);
		buf_free(&tr);
	}

	/* A flipped payload byte in the middle record: that record is skipped with
	 * "path@offset: ...", reading resumes at the next. */
	struct buf bad = BUF_INIT;
	buf_put(&bad, good.data, good.size);
	size_t first_len = 16 + 24; /* the file_version event is 24 bytes */
	bad.data[first_len + 14] ^= 0x40;
	w0 = diag_count();
	capture_begin();
	INT_EQ(count_records(&bad, "bad", &end), 2, "corrupt payload: the other two records");
	char *err = capture_end();
	INT_EQ(diag_count() - w0, 1, "one warning for a corrupt record");
	char want[64];
	snprintf(want, sizeof want, "bad@%zu: corrupt record (payload CRC", first_len);
	OK(strstr(err, want) != NULL, "warning names path@offset: %s", err);
	free(err);

	/* A damaged length field, and garbage between records: resync. */
	buf_reset(&bad);
	buf_put(&bad, good.data, good.size);
	bad.data[first_len + 1] ^= 0x01;
	INT_EQ(count_records(&bad, "badlen", &end), 2, "corrupt length: resync to the next record");
	buf_reset(&bad);
	buf_put(&bad, good.data, first_len);
	BUF_PUTSL(&bad, "some garbage bytes that are not a record at all");
	buf_put(&bad, good.data + first_len, good.size - first_len);
	w0 = diag_count();
	INT_EQ(count_records(&bad, "garbage", &end), 3, "garbage between records is skipped");
	INT_EQ(diag_count() - w0, 1, "one warning for the garbage");

	/* Not an event file at all, and an LFS pointer. */
	buf_reset(&bad);
	for (int i = 0; i < 200; i++)
		buf_putc(&bad, 'a' + i % 26);
	capture_begin();
	INT_EQ(count_records(&bad, "text.tfevents", &end), 0, "text file: no records");
	err = capture_end();
	INT_EQ(end, TFR_ERROR, "text file is an error");
	OK(strstr(err, "text.tfevents: is not an event file") != NULL, "says not an event file: %s",
	   err);
	free(err);
	buf_reset(&bad);
	BUF_PUTSL(&bad, "version https://git-lfs.github.com/spec/v1\noid sha256:"
	                "4892b52e8f59224fef36070b5f31b08de01fe51b1044f89d2bf292dd43063bd3\nsize 358\n");
	capture_begin();
	INT_EQ(count_records(&bad, "lfs", &end), 0, "LFS pointer: no records");
	err = capture_end();
	INT_EQ(end, TFR_ERROR, "LFS pointer is an error");
	OK(strstr(err, "lfs: is a Git LFS pointer, not an event file (run git lfs pull)") != NULL,
	   "LFS message: %s", err);
	free(err);

	/* An empty file is valid: no records, no message. */
	struct buf empty = BUF_INIT;
	w0 = diag_count();
	INT_EQ(count_records(&empty, "empty", &end), 0, "empty file: no records");
	INT_EQ(end, TFR_END, "empty file ends cleanly");
	INT_EQ(diag_count() - w0, 0, "empty file: no warning");
	buf_free(&bad);
	buf_free(&good);
}

/* ---- decoding ---- */

static void test_tensor_scalars(void)
{
	struct buf f = BUF_INIT, t;
	int64_t none[1];
	(void)none;
	ev_file_version(&f, 1000.0);
	/* torch new_style: DT_FLOAT float_val packed, no shape */
	t = (struct buf)BUF_INIT;
	pbw_u64(&t, 1, TB_DT_FLOAT);
	{
		float x = 0.75f;
		pbw_bytes(&t, 5, &x, 4);
	}
	ev_tensor(&f, 1001.0, 1, "fv", &t, "scalars");
	/* float_val unpacked */
	t = (struct buf)BUF_INIT;
	pbw_u64(&t, 1, TB_DT_FLOAT);
	pbw_float(&t, 5, -2.5f);
	ev_tensor(&f, 1001.0, 1, "fv_unpacked", &t, "scalars");
	/* TF2: DT_FLOAT, shape {}, tensor_content 4 bytes; metadata only on the first value */
	t = (struct buf)BUF_INIT;
	pbw_u64(&t, 1, TB_DT_FLOAT);
	tensor_shape(&t, NULL, 0);
	{
		float x = 0.99f;
		pbw_bytes(&t, 4, &x, 4);
	}
	ev_tensor(&f, 1001.0, 77, "tc", &t, "scalars");
	t = (struct buf)BUF_INIT;
	pbw_u64(&t, 1, TB_DT_FLOAT);
	tensor_shape(&t, NULL, 0);
	{
		float x = 0.5f;
		pbw_bytes(&t, 4, &x, 4);
	}
	ev_tensor(&f, 1002.0, 78, "tc", &t, NULL);
	/* DT_DOUBLE double_val and tensor_content */
	t = (struct buf)BUF_INIT;
	pbw_u64(&t, 1, TB_DT_DOUBLE);
	{
		double x = 0.1;
		pbw_bytes(&t, 6, &x, 8);
	}
	ev_tensor(&f, 1001.0, 1, "dv", &t, "scalars");
	t = (struct buf)BUF_INIT;
	pbw_u64(&t, 1, TB_DT_DOUBLE);
	tensor_shape(&t, NULL, 0);
	{
		double x = 1e300;
		pbw_bytes(&t, 4, &x, 8);
	}
	ev_tensor(&f, 1001.0, 1, "dc", &t, "scalars");
	/* DT_HALF: 0x3C00 = 1.0 in half_val, 0xC000 = -2.0 in tensor_content;
	 * torch's quirk: float32 bits of 0.5 in half_val */
	t = (struct buf)BUF_INIT;
	pbw_u64(&t, 1, TB_DT_HALF);
	pbw_u64(&t, 13, 0x3C00);
	ev_tensor(&f, 1001.0, 1, "half", &t, "scalars");
	t = (struct buf)BUF_INIT;
	pbw_u64(&t, 1, TB_DT_HALF);
	{
		uint8_t h[2] = {0x00, 0xC0};
		pbw_bytes(&t, 4, h, 2);
	}
	ev_tensor(&f, 1001.0, 2, "half", &t, NULL);
	t = (struct buf)BUF_INIT;
	pbw_u64(&t, 1, TB_DT_HALF);
	{
		float x = 0.5f;
		uint32_t bits;
		memcpy(&bits, &x, 4);
		pbw_u64(&t, 13, bits);
	}
	ev_tensor(&f, 1001.0, 3, "half", &t, NULL);
	/* DT_BFLOAT16: 0x3FC0 = 1.5 */
	t = (struct buf)BUF_INIT;
	pbw_u64(&t, 1, TB_DT_BFLOAT16);
	{
		uint8_t h[2] = {0xC0, 0x3F};
		pbw_bytes(&t, 4, h, 2);
	}
	ev_tensor(&f, 1001.0, 1, "bf16", &t, "scalars");
	/* integers: int_val (negative int32), int64_val, uint8 content, bool */
	t = (struct buf)BUF_INIT;
	pbw_u64(&t, 1, TB_DT_INT32);
	pbw_u64(&t, 7, (uint64_t)(int64_t)-7);
	ev_tensor(&f, 1001.0, 1, "i32", &t, "scalars");
	t = (struct buf)BUF_INIT;
	pbw_u64(&t, 1, TB_DT_INT64);
	pbw_u64(&t, 10, 1ull << 40);
	ev_tensor(&f, 1001.0, 1, "i64", &t, "scalars");
	t = (struct buf)BUF_INIT;
	pbw_u64(&t, 1, TB_DT_UINT8);
	pbw_bytes(&t, 4, "\xfe", 1);
	ev_tensor(&f, 1001.0, 1, "u8", &t, "scalars");
	t = (struct buf)BUF_INIT;
	pbw_u64(&t, 1, TB_DT_INT16);
	pbw_bytes(&t, 4, "\xff\xff", 2);
	ev_tensor(&f, 1001.0, 1, "i16", &t, "scalars");
	t = (struct buf)BUF_INIT;
	pbw_u64(&t, 1, TB_DT_BOOL);
	pbw_u64(&t, 11, 1);
	ev_tensor(&f, 1001.0, 1, "bool", &t, "scalars");
	/* a non-scalar DT_FLOAT [2] with the scalars plugin is not a point */
	t = (struct buf)BUF_INIT;
	pbw_u64(&t, 1, TB_DT_FLOAT);
	{
		int64_t d[1] = {2};
		float x[2] = {1, 2};
		tensor_shape(&t, d, 1);
		pbw_bytes(&t, 5, x, 8);
	}
	ev_tensor(&f, 1001.0, 1, "vec", &t, "scalars");

	long recs;
	struct run *r = ingest(&f, &recs);
	INT_EQ(recs, 17, "records");
	const struct series *s;
	s = find(r, "fv");
	OK(s && s->n == 1 && s->pts[0].value == 0.75, "float_val packed");
	s = find(r, "fv_unpacked");
	OK(s && s->n == 1 && s->pts[0].value == -2.5, "float_val unpacked");
	s = find(r, "tc");
	OK(s && s->n == 2 && s->pts[0].value == (double)0.99f && s->pts[0].step == 77 &&
	           s->pts[1].value == 0.5,
	   "tensor_content float, metadata only on the first value");
	s = find(r, "dv");
	OK(s && s->n == 1 && s->pts[0].value == 0.1, "double_val");
	s = find(r, "dc");
	OK(s && s->n == 1 && s->pts[0].value == 1e300, "double tensor_content");
	s = find(r, "half");
	OK(s && s->n == 3 && s->pts[0].value == 1.0 && s->pts[1].value == -2.0 &&
	           s->pts[2].value == 0.5,
	   "half: half_val, tensor_content, torch's float32 bits");
	s = find(r, "bf16");
	OK(s && s->n == 1 && s->pts[0].value == 1.5, "bfloat16");
	s = find(r, "i32");
	OK(s && s->n == 1 && s->pts[0].value == -7, "int32 int_val negative");
	s = find(r, "i64");
	OK(s && s->n == 1 && s->pts[0].value == 1099511627776.0, "int64_val");
	s = find(r, "u8");
	OK(s && s->n == 1 && s->pts[0].value == 254, "uint8 tensor_content");
	s = find(r, "i16");
	OK(s && s->n == 1 && s->pts[0].value == -1, "int16 tensor_content");
	s = find(r, "bool");
	OK(s && s->n == 1 && s->pts[0].value == 1, "bool_val");
	OK(find(r, "vec") == NULL, "a vector is not a scalar");
	OK(r->start_ms == 1000000 && r->end_ms == 1002000, "start/end from wall times: %lld %lld",
	   (long long)r->start_ms, (long long)r->end_ms);
	s = find(r, "tc");
	OK(s && s->pts[0].time_ms == 1001000, "point time in ms");
	run_free(r);

	/* half and bfloat16 conversions at the edges */
	DBL_EQ(tb_half_to_double(0x7C00), INFINITY, "half +inf");
	OK(isnan(tb_half_to_double(0x7E00)), "half NaN");
	DBL_EQ(tb_half_to_double(0x0001), ldexp(1, -24), "smallest subnormal half");
	DBL_EQ(tb_half_to_double(0x7BFF), 65504.0, "largest half");
	DBL_EQ(tb_bfloat16_to_double(0xC040), -3.0, "bfloat16 -3");
	buf_free(&f);
}

static void test_simple_and_restart(void)
{
	struct buf f = BUF_INIT;
	ev_file_version(&f, 1000.0);
	/* tag a: steps 0..9, then a restart at 5..7, then another at 3 */
	for (int s = 0; s < 10; s++)
		ev_scalar(&f, 1000.0 + s, s, "a", (float)s);
	for (int s = 5; s < 8; s++)
		ev_scalar(&f, 1100.0 + s, s, "a", (float)(100 + s));
	ev_scalar(&f, 1200.0, 3, "a", 203.0f);
	/* tag b is not touched by a's restarts */
	for (int s = 0; s < 5; s++)
		ev_scalar(&f, 1000.0 + s, s, "b", (float)s);
	/* c: many values at one step keep only the last; NaN and inf are values */
	ev_scalar(&f, 1000.0, 0, "c", 1.0f);
	ev_scalar(&f, 1000.0, 0, "c", NAN);
	ev_scalar(&f, 1000.0, 0, "c", 3.0f);
	ev_scalar(&f, 1000.0, 1, "c", INFINITY);
	/* d: a value of 0.0 is present (oneof) */
	ev_scalar(&f, 1000.0, 4, "d", 0.0f);
	struct run *r = ingest(&f, NULL);
	run_finish(r, 0);
	const struct series *a = find(r, "a");
	OK(a != NULL, "series a");
	if (a) {
		INT_EQ(a->n, 4, "a keeps 4 points");
		INT_EQ(a->dropped, 10, "a dropped 10 points");
		int64_t want_step[4] = {0, 1, 2, 3};
		double want_val[4] = {0, 1, 2, 203};
		int exact = a->n == 4;
		for (size_t i = 0; exact && i < 4; i++)
			exact = a->pts[i].step == want_step[i] && a->pts[i].value == want_val[i];
		OK(exact, "a is exactly (0,0) (1,1) (2,2) (3,203)");
		INT_EQ(a->sum.count, 4, "summary count after the rule");
		DBL_EQ(a->sum.last.value, 203, "last after the rule");
		DBL_EQ(a->sum.max.value, 203, "max after the rule");
	}
	const struct series *b = find(r, "b");
	OK(b && b->n == 5 && b->dropped == 0, "b untouched");
	const struct series *c = find(r, "c");
	OK(c && c->n == 2 && c->dropped == 2 && c->pts[0].value == 3.0 && isinf(c->pts[1].value),
	   "same step: only the last survives");
	const struct series *d = find(r, "d");
	OK(d && d->n == 1 && d->pts[0].value == 0.0 && d->pts[0].step == 4, "simple_value 0.0");
	run_free(r);
	buf_free(&f);
}

/* ---- the fast paths against a model of the rule ---- */

/* A small deterministic generator, so a failure can be replayed. */
static uint32_t lcg(uint32_t *x)
{
	*x = *x * 1664525u + 1013904223u;
	return *x >> 8;
}

/* What the reader must keep for one tag: TensorBoard's restart rule applied
 * point by point, as formats §1.12 states it. */
struct model_series {
	const char *tag;
	int64_t steps[4096];
	float vals[4096];
	size_t n;
	uint64_t dropped;
};

static void model_push(struct model_series *m, int64_t step, float v)
{
	size_t k = m->n;
	while (k > 0 && m->steps[k - 1] >= step)
		k--;
	m->dropped += m->n - k;
	m->n = k;
	m->steps[m->n] = step;
	m->vals[m->n++] = v;
}

/* Summaries of several values, in layouts that repeat (the template path),
 * change one byte of a tag, swap tags of equal length, mix in tensor values
 * (the general path) and put the step before wall_time (the general event
 * parser); steps go back now and then. Every series must match the model. */
static void test_fast_paths(void)
{
	/* In pairs of equal length differing in one byte (tag i and i ^ 1), at
	 * each length the word compares treat differently. */
	static const char *const tags[] = {
		"a", "b", "ab", "ac", "abc", "abd", "abcdefg", "abcdxfg", "abcdefgh", "abcdefgi",
		"abcdefghi", "xbcdefghi", "abcdefghijklmnop", "abcdefghijklmnoq", "abcdefghijklmnopq",
		"abcdefghijkXmnopq", "x/abcdefghijklmnopqrstuvwxyz0", "x/abcdefghijklmnopqrstuvwxyz1",
	};
	enum { NTAGS = sizeof tags / sizeof *tags, NEVENTS = 3000 };
	static struct model_series model[NTAGS];
	struct buf f = BUF_INIT;
	uint32_t seed = 12345;
	int64_t step = 0;
	int layout[6], nlayout = 0;
	for (int i = 0; i < NTAGS; i++) {
		model[i].tag = tags[i];
		model[i].n = 0;
		model[i].dropped = 0;
	}
	ev_file_version(&f, 1000.0);
	for (int e = 0; e < NEVENTS; e++) {
		uint32_t r = lcg(&seed) % 100;
		if (r < 3 && step > 10)
			step -= 1 + lcg(&seed) % 10; /* a restart */
		else if (r < 90)
			step++;
		/* mostly the layout before; sometimes one tag swapped for its twin,
		 * sometimes a new layout */
		if (nlayout == 0 || lcg(&seed) % 8 == 0) {
			nlayout = 1 + (int)(lcg(&seed) % 6);
			for (int k = 0; k < nlayout; k++)
				layout[k] = (int)(lcg(&seed) % NTAGS);
		} else if (lcg(&seed) % 4 == 0) {
			int k = (int)(lcg(&seed) % (unsigned)nlayout);
			layout[k] ^= 1;
		}
		bool tensor_at = lcg(&seed) % 20 == 0;
		int tk = tensor_at ? (int)(lcg(&seed) % (unsigned)nlayout) : -1;
		struct buf sum = BUF_INIT, ev = BUF_INIT;
		for (int k = 0; k < nlayout; k++) {
			struct buf v = BUF_INIT;
			float x = (float)(e * 10 + k);
			pbw_str(&v, 1, tags[layout[k]]);
			if (k == tk) {
				struct buf t = BUF_INIT;
				pbw_u64(&t, 1, TB_DT_FLOAT);
				pbw_float(&t, 5, x);
				pbw_msg(&v, 8, &t);
			} else {
				pbw_float(&v, 2, x);
			}
			pbw_msg(&sum, 1, &v);
			model_push(&model[layout[k]], step, x);
		}
		if (lcg(&seed) % 10 == 0) {
			pbw_u64(&ev, 2, (uint64_t)step); /* step first: not the usual layout */
			pbw_double(&ev, 1, 2000.0 + e);
		} else {
			pbw_double(&ev, 1, 2000.0 + e);
			if (step)
				pbw_u64(&ev, 2, (uint64_t)step);
		}
		pbw_msg(&ev, 5, &sum);
		tfr_put(&f, &ev);
		buf_free(&ev);
	}
	long records;
	struct run *run = ingest(&f, &records);
	INT_EQ(records, NEVENTS + 1, "every record read");
	int all = 1;
	for (int i = 0; i < NTAGS; i++) {
		const struct series *s = find(run, tags[i]);
		size_t n = s ? s->n : 0;
		int same = n == model[i].n && (!s || s->dropped == model[i].dropped);
		for (size_t k = 0; same && k < n; k++)
			same = s->pts[k].step == model[i].steps[k] && s->pts[k].value == model[i].vals[k];
		OK(same, "tag %s: %zu points (model %zu), dropped %llu (model %llu)", tags[i], n,
		   model[i].n, s ? (unsigned long long)s->dropped : 0ull,
		   (unsigned long long)model[i].dropped);
		all &= same;
	}
	OK(all && run->nmetrics == NTAGS, "every tag's series is the model's");
	run_free(run);
	buf_free(&f);
}

/* Whether two summaries are the same, field by field. */
static int same_point(const struct point *a, const struct point *b)
{
	return a->step == b->step && a->time_ms == b->time_ms &&
	       (a->value == b->value || (isnan(a->value) && isnan(b->value)));
}

static int same_summary(const struct metric_summary *a, const struct metric_summary *b)
{
	return a->count == b->count && a->nan_count == b->nan_count &&
	       a->inf_count == b->inf_count && a->has_finite == b->has_finite &&
	       same_point(&a->first, &b->first) && same_point(&a->last, &b->last) &&
	       (!a->has_finite || (same_point(&a->min, &b->min) && same_point(&a->max, &b->max)));
}

/* The reader keeps each series' summary as points arrive (run_finish then
 * reads none of them again): it must equal the summary counted afresh from
 * the same points, with NaN, Inf, ties, values below zero, a series with no
 * finite value, and a restart (which makes run_finish count it afresh). */
static void test_running_summary(void)
{
	struct buf f = BUF_INIT;
	uint32_t seed = 777;
	ev_file_version(&f, 1000.0);
	for (int st = 0; st < 3000; st++) {
		uint32_t r = lcg(&seed) % 100;
		float v = r < 3 ? NAN : r < 5 ? (r == 3 ? INFINITY : -INFINITY)
		                  : (float)((int)(lcg(&seed) % 41) - 20) / 4.0f; /* ties */
		ev_scalar(&f, 1000.0 + st, st, "mixed", v);
		ev_scalar(&f, 1000.0 + st, st, "nan", NAN);
		if (st % 7 == 0)
			ev_scalar(&f, 1000.0 + st, st, "restarted", (float)(st % 50));
	}
	for (int st = 100; st < 200; st++) /* a restart: steps back to 100 */
		ev_scalar(&f, 5000.0 + st, st, "restarted", -1.0f - (float)st);
	struct run *r = ingest(&f, NULL);
	const struct series *mixed = find(r, "mixed"), *rs = find(r, "restarted");
	OK(mixed && mixed->summarized, "a series without a restart is summarized as it is read");
	OK(rs && !rs->summarized, "a restarted one is not");
	run_finish(r, 0);
	struct run *fresh = run_new("tensorboard", "mem");
	for (size_t i = 0; i < r->nmetrics; i++) {
		const struct series *s = &r->metrics[i];
		struct series *t = run_series(fresh, s->key);
		for (size_t k = 0; k < s->n; k++)
			series_add(t, s->pts[k].step, s->pts[k].time_ms, s->pts[k].value);
	}
	run_finish(fresh, 0);
	INT_EQ(fresh->nmetrics, 3, "three series");
	for (size_t i = 0; i < r->nmetrics && i < fresh->nmetrics; i++) {
		const struct series *a = &r->metrics[i], *b = &fresh->metrics[i];
		OK(same_summary(&a->sum, &b->sum),
		   "%s: summary kept while reading equals the one counted afresh "
		   "(count %llu/%llu, min %g/%g at %lld/%lld)",
		   a->key, (unsigned long long)a->sum.count, (unsigned long long)b->sum.count,
		   a->sum.min.value, b->sum.min.value, (long long)a->sum.min.step,
		   (long long)b->sum.min.step);
	}
	run_free(fresh);
	run_free(r);
	buf_free(&f);
}

/* Counts records in a guarded loop; *jumped tells whether SIGBUS ended it. */
static long guarded_count(struct tfr_reader *t, int *jumped)
{
	const uint8_t *p;
	size_t n;
	volatile long got = 0;
	sigjmp_buf jb;
	*jumped = 0;
	tfr_guard_set(t, &jb);
	if (sigsetjmp(jb, 0) == 0) {
		while (tfr_next(t, &p, &n) == TFR_RECORD)
			got++;
	} else {
		*jumped = 1;
	}
	tfr_unguard(t);
	return got;
}

/* A file of at least TFR_MAP_MIN bytes is read mapped: a cut tail ends it
 * with a note, and a file shortened under the mapping ends the guarded loop
 * instead of the program. */
static void test_mapped(void)
{
	struct buf f = BUF_INIT;
	static size_t ends[3 * TFR_MAP_MIN / 16]; /* a record takes more than 16 bytes */
	size_t nrec = 0;
	ev_file_version(&f, 1000.0);
	ends[nrec++] = f.size;
	for (int s = 1; f.size < 3 * TFR_MAP_MIN; s++) {
		ev_scalar(&f, 1000.0 + s, s, s % 2 ? "loss" : "lr", (float)s);
		ends[nrec++] = f.size;
	}
	/* A cut last record: the records before it, no warning. */
	struct buf cut = BUF_INIT;
	buf_put(&cut, f.data, f.size - 5);
	char *path = put_file("mapped", "events.out.tfevents.1.cut", &cut);
	int fd = open(path, O_RDONLY);
	struct tfr_reader t;
	const uint8_t *p;
	size_t n;
	long count = 0;
	enum tfr_status st;
	size_t w0 = diag_count();
	tfr_open_fd(&t, path, fd, cut.size);
	bool mapped = t.mapped;
	t.quiet_notes = true;
	while ((st = tfr_next(&t, &p, &n)) == TFR_RECORD)
		count++;
	tfr_close(&t);
	close(fd);
	INT_EQ(count, (long)nrec - 1, "records before a cut tail");
	INT_EQ(st, TFR_END, "a cut tail ends cleanly");
	INT_EQ(diag_count() - w0, 0, "no warning for a cut tail");
	free(path);
	buf_free(&cut);

	/* Shortened while mapped. */
	path = put_file("mapped", "events.out.tfevents.2.shrinks", &f);
	fd = open(path, O_RDWR);
	tfr_open_fd(&t, path, fd, f.size);
	if (!t.mapped) {
		SKIP("not mapped here (SIGBUS handled by someone else, e.g. a sanitizer)");
	} else {
		size_t keep = TFR_MAP_MIN + 1000;
		long want = 0;
		while ((size_t)want < nrec && ends[want] <= keep)
			want++;
		OK(ftruncate(fd, (off_t)keep) == 0, "shorten the file");
		int jumped;
		long got = guarded_count(&t, &jumped);
		OK(jumped, "SIGBUS ended the loop");
		INT_EQ(got, want, "the records wholly before the new end were read");
	}
	OK(mapped || !t.mapped, "mapping is used for big files when available");
	tfr_close(&t);
	close(fd);
	free(path);
	buf_free(&f);
}

static void hparams_content(struct buf *out)
{
	/* HParamsPluginData{version 0, session_start_info{hparams map}} */
	struct buf ssi = BUF_INIT;
	const char *keys[] = {"lr", "batch_size", "optimizer", "flag", "nothing", "layers"};
	for (int i = 0; i < 6; i++) {
		struct buf entry = BUF_INIT, val = BUF_INIT;
		pbw_str(&entry, 1, keys[i]);
		switch (i) {
		case 0: pbw_double(&val, 2, 0.01); break;
		case 1: pbw_double(&val, 2, 600.0); break;
		case 2: pbw_str(&val, 3, "SGD"); break;
		case 3: pbw_u64(&val, 4, 1); break;
		case 4: pbw_u64(&val, 1, 0); break;
		default: {
			struct buf list = BUF_INIT, a = BUF_INIT, b = BUF_INIT;
			pbw_double(&a, 2, 64);
			pbw_str(&b, 3, "x");
			pbw_msg(&list, 1, &a);
			pbw_msg(&list, 1, &b);
			pbw_msg(&val, 6, &list);
		}
		}
		pbw_msg(&entry, 2, &val);
		pbw_msg(&ssi, 1, &entry);
	}
	pbw_msg(out, 3, &ssi);
}

/* An event file with hparams, text, histograms, images, a PR curve and an
 * unknown plugin (also a fuzz seed). */
static void plugins_file(struct buf *out)
{
	struct buf f = BUF_INIT, v, content = BUF_INIT;
	ev_file_version(&f, 1000.0);
	/* hparams: experiment with metric infos, session start, session end */
	content = (struct buf)BUF_INIT;
	{
		struct buf exp = BUF_INIT, mi = BUF_INIT, mn = BUF_INIT;
		pbw_str(&mn, 2, "hparam/accuracy");
		pbw_msg(&mi, 1, &mn);
		pbw_msg(&exp, 5, &mi);
		mi = (struct buf)BUF_INIT;
		mn = (struct buf)BUF_INIT;
		pbw_str(&mn, 1, "validation");
		pbw_str(&mn, 2, "epoch_loss");
		pbw_msg(&mi, 1, &mn);
		pbw_msg(&exp, 5, &mi);
		pbw_msg(&content, 2, &exp);
	}
	v = (struct buf)BUF_INIT;
	pbw_str(&v, 1, "_hparams_/experiment");
	val_meta(&v, "hparams", &content);
	buf_free(&content);
	ev_value(&f, 1000.0, 0, &v);
	hparams_content(&content);
	v = (struct buf)BUF_INIT;
	pbw_str(&v, 1, "_hparams_/session_start_info");
	val_meta(&v, "hparams", &content);
	buf_free(&content);
	ev_value(&f, 1000.0, 0, &v);
	{
		struct buf sei = BUF_INIT;
		pbw_u64(&sei, 1, 1);
		pbw_double(&sei, 2, 1005.0);
		pbw_msg(&content, 4, &sei);
	}
	v = (struct buf)BUF_INIT;
	pbw_str(&v, 1, "_hparams_/session_end_info");
	val_meta(&v, "hparams", &content);
	buf_free(&content);
	ev_value(&f, 1000.0, 0, &v);

	/* text: torch add_text (shape [1]) at two steps, and a 2x2 table */
	for (int s = 0; s < 2; s++) {
		struct buf t = BUF_INIT;
		int64_t d[1] = {1};
		pbw_u64(&t, 1, TB_DT_STRING);
		tensor_shape(&t, d, 1);
		pbw_str(&t, 8, s == 0 ? "**bold** first note" : "| a | b |\n|---|---|\n| 1 | 2 |");
		ev_tensor(&f, 1001.0, s, "notes/text_summary", &t, "text");
	}
	{
		struct buf t = BUF_INIT;
		int64_t d[2] = {2, 2};
		pbw_u64(&t, 1, TB_DT_STRING);
		tensor_shape(&t, d, 2);
		pbw_str(&t, 8, "x|y");
		pbw_str(&t, 8, "two\nlines");
		pbw_str(&t, 8, "c");
		pbw_str(&t, 8, "d");
		ev_tensor(&f, 1001.0, 0, "grid", &t, "text");
	}
	/* legacy histogram at steps 0 and 1 */
	for (int s = 0; s < 2; s++) {
		struct buf h = BUF_INIT;
		pbw_double(&h, 1, -1.0 - s);
		pbw_double(&h, 2, 3.0 + s);
		pbw_double(&h, 3, 4.0);
		pbw_double(&h, 4, 2.0);
		pbw_double(&h, 5, 10.0);
		v = (struct buf)BUF_INIT;
		pbw_str(&v, 1, "w");
		pbw_msg(&v, 5, &h);
		ev_value(&f, 1001.0, s, &v);
	}
	/* TF2 histogram: DT_DOUBLE [3,3] rows (left, right, count), first row empty */
	{
		struct buf t = BUF_INIT;
		int64_t d[2] = {3, 3};
		double rows[9] = {-5, -4, 0, -4, 0, 1, 0, 2, 3};
		pbw_u64(&t, 1, TB_DT_DOUBLE);
		tensor_shape(&t, d, 2);
		pbw_bytes(&t, 4, rows, sizeof rows);
		ev_tensor(&f, 1001.0, 7, "h2", &t, "histograms");
	}
	/* an image (legacy), an image plugin tensor, a pr curve, an unknown plugin */
	v = (struct buf)BUF_INIT;
	pbw_str(&v, 1, "img");
	{
		struct buf im = BUF_INIT;
		pbw_u64(&im, 1, 1);
		pbw_u64(&im, 2, 1);
		pbw_bytes(&im, 4, "\x89PNG", 4);
		pbw_msg(&v, 4, &im);
	}
	ev_value(&f, 1001.0, 0, &v);
	{
		struct buf t = BUF_INIT;
		pbw_u64(&t, 1, TB_DT_STRING);
		pbw_str(&t, 8, "1");
		pbw_str(&t, 8, "1");
		pbw_str(&t, 8, "\x89PNG");
		ev_tensor(&f, 1001.0, 1, "img2", &t, "images");
		t = (struct buf)BUF_INIT;
		pbw_u64(&t, 1, TB_DT_FLOAT);
		pbw_float(&t, 5, 1.0f);
		ev_tensor(&f, 1001.0, 1, "pr", &t, "pr_curves");
		t = (struct buf)BUF_INIT;
		pbw_u64(&t, 1, TB_DT_FLOAT);
		pbw_float(&t, 5, 1.0f);
		ev_tensor(&f, 1001.0, 1, "m", &t, "mesh");
	}
	*out = f;
}

static void test_plugins(void)
{
	struct buf f;
	plugins_file(&f);
	struct run *r = ingest(&f, NULL);
	run_finish(r, 0);
	STR_EQ(kvlist_get(&r->params, "lr"), "0.01", "hparam number");
	STR_EQ(kvlist_get(&r->params, "batch_size"), "600", "hparam logged as 600.0: 600, not 6e+02");
	STR_EQ(kvlist_get(&r->params, "optimizer"), "SGD", "hparam string");
	STR_EQ(kvlist_get(&r->params, "flag"), "true", "hparam bool");
	STR_EQ(kvlist_get(&r->params, "nothing"), "null", "hparam null");
	STR_EQ(kvlist_get(&r->params, "layers"), "[64, \"x\"]", "hparam list");
	STR_EQ(kvlist_get(&r->extras, "hparams metrics"), "hparam/accuracy, epoch_loss [validation]",
	       "declared metrics listed");
	STR_EQ(r->status, "FINISHED", "session_end_info SUCCESS");
	OK(r->notes && strstr(r->notes, "### notes/text_summary (step 0)\n\n**bold** first note\n"),
	   "text note at step 0: %s", r->notes ? r->notes : "(none)");
	OK(r->notes && strstr(r->notes, "### notes/text_summary (step 1)\n\n| a | b |\n|---|---|\n"),
	   "text note at step 1 keeps its Markdown table");
	OK(r->notes && strstr(r->notes, "### grid\n\n|   |   |\n|---|---|\n| x\\|y | two lines |\n"
	                                "| c | d |\n"),
	   "a 2x2 text tensor becomes a table: %s", r->notes ? r->notes : "(none)");
	const struct series *lo = find(r, "w (min)"), *hi = find(r, "w (max)"),
	                    *mean = find(r, "w (mean)");
	OK(lo && hi && mean && lo->n == 2 && lo->pts[1].value == -2 && hi->pts[1].value == 4 &&
	           mean->pts[0].value == 0.5,
	   "legacy histogram band");
	lo = find(r, "h2 (min)");
	hi = find(r, "h2 (max)");
	mean = find(r, "h2 (mean)");
	OK(lo && hi && mean && lo->pts[0].value == -4 && hi->pts[0].value == 2 &&
	           mean->pts[0].value == (1 * -2.0 + 3 * 1.0) / 4,
	   "TF2 histogram band skips empty buckets");
	STR_EQ(kvlist_get(&r->extras, "histograms"), "3", "histogram count");
	STR_EQ(kvlist_get(&r->extras, "images"), "2", "image count (legacy and plugin)");
	STR_EQ(kvlist_get(&r->extras, "pr_curves"), "1", "pr curve count");
	STR_EQ(kvlist_get(&r->extras, "mesh"), "1", "unknown plugin counted by name");
	STR_EQ(kvlist_get(&r->extras, "text"), "3", "text count");
	OK(kvlist_get(&r->extras, "audio") == NULL, "no zero counts");
	OK(find(r, "img") == NULL && find(r, "pr") == NULL && find(r, "m") == NULL &&
	           find(r, "_hparams_/experiment") == NULL,
	   "no series for images, pr curves, other plugins or hparams");
	run_free(r);
	buf_free(&f);
}

/* ---- runs on disk ---- */

static void scalar_file(const char *dir, const char *name, int from, int to, float base)
{
	struct buf f = BUF_INIT;
	ev_file_version(&f, 1000.0 + from);
	for (int s = from; s < to; s++)
		ev_scalar(&f, 1000.0 + s, s, "loss", base + (float)s);
	free(put_file(dir, name, &f));
	buf_free(&f);
}

static void test_merge_order(void)
{
	/* Written in the opposite order to their names on purpose. */
	scalar_file("merge", "events.out.tfevents.0000000002.host", 10, 20, 1000.0f);
	scalar_file("merge", "events.out.tfevents.0000000001.host", 0, 15, 0.0f);
	char *dir = path_join(scratch, "merge");
	struct collected c;
	INT_EQ(read_dir(dir, &c), 1, "one run from two files");
	const struct run *r = c.n ? c.runs[0] : NULL;
	const struct series *s = r ? find(r, "loss") : NULL;
	OK(s != NULL, "loss series");
	if (s) {
		INT_EQ(s->n, 20, "steps 0..19");
		INT_EQ(s->dropped, 5, "file 1's steps 10..14 preempted by file 2");
		OK(s->n == 20 && s->pts[9].value == 9 && s->pts[10].value == 1010 &&
		           s->pts[19].value == 1019,
		   "file-name order: the later-named file wins from step 10");
	}
	STR_EQ(r ? r->id : NULL, ".", "the input itself is run '.'");
	STR_EQ(r ? r->format : NULL, "tensorboard", "format");
	STR_EQ(r ? r->status : NULL, "UNKNOWN", "status");
	STR_EQ(r ? r->experiment_name : NULL, "merge", "experiment is the input's name");
	collected_free(&c);
	free(dir);
}

static void test_discovery(void)
{
	scalar_file("disc", "events.out.tfevents.1.root", 0, 3, 0);
	scalar_file("disc/a", "events.out.tfevents.1.a", 0, 3, 0);
	scalar_file("disc/a/b c=1", "events.out.tfevents.1.bc", 0, 3, 0);
	scalar_file("disc/logs/k/train", "events.out.tfevents.1.v2", 0, 3, 0);
	scalar_file("disc/logs/k/validation", "events.out.tfevents.1.v2", 0, 3, 0);
	scalar_file("disc/lightning_logs/version_0", "events.out.tfevents.1.l", 0, 3, 0);
	scalar_file("disc/.hidden", "events.out.tfevents.1.h", 0, 3, 0);
	scalar_file("disc/prof", "events.out.tfevents.1.x.profile-empty", 0, 3, 0);
	scalar_file("disc/prof", "end_to_end.tfevents", 0, 3, 0);
	struct buf y = BUF_INIT;
	BUF_PUTSL(&y, "lr: 0.001\nbatch_size: 32\nloss: !!python/object:foo.losses.MAE\n"
	              "  _buffers: !!python/object/apply:collections.OrderedDict\n  - []\n"
	              "opt:\n  name: adam\n  betas: [0.9, 0.999]\nname: null\n");
	free(put_file("disc/lightning_logs/version_0", "hparams.yaml", &y));
	buf_free(&y);
	char *dir = path_join(scratch, "disc");
	OK(reader_tensorboard.probe(dir) > 0, "probe claims a folder with event files");
	char *root = path_join(scratch, "disc/logs");
	OK(reader_tensorboard.probe(root) > 0, "probe claims a logdir two levels above its files");
	free(root);
	scalar_file("deep/x/y/z", "events.out.tfevents.1.deep", 0, 3, 0);
	root = path_join(scratch, "deep");
	OK(reader_tensorboard.probe(root) == 0, "probe leaves a folder with deeper event files");
	free(root);
	struct collected c;
	INT_EQ(read_dir(dir, &c), 7, "seven runs");
	const char *want[] = {".", "a", "a/b c=1", "lightning_logs/version_0", "logs/k/train",
	                      "logs/k/validation", "prof"};
	int order = c.n == 7;
	for (size_t i = 0; order && i < 7; i++)
		order = strcmp(c.runs[i]->id, want[i]) == 0;
	OK(order, "run ids sorted, spaces and '=' kept, hidden folder and profile-empty skipped");
	const struct run *r = run_by_id(&c, "logs/k/train");
	STR_EQ(r ? r->experiment_name : NULL, "k", "Keras train/ belongs to its parent");
	r = run_by_id(&c, "logs/k/validation");
	STR_EQ(r ? r->experiment_name : NULL, "k", "Keras validation/ too");
	r = run_by_id(&c, "a/b c=1");
	STR_EQ(r ? r->experiment_name : NULL, "disc", "others belong to the input");
	STR_EQ(r ? r->name : NULL, "a/b c=1", "run name is the relative path");
	r = run_by_id(&c, ".");
	STR_EQ(r ? r->name : NULL, "disc", "run '.' is named after the input");
	INT_EQ(c.nexp, 2, "two experiments announced");
	r = run_by_id(&c, "lightning_logs/version_0");
	if (r) {
		STR_EQ(kvlist_get(&r->params, "lr"), "0.001", "hparams.yaml scalar");
		STR_EQ(kvlist_get(&r->params, "loss"),
		       "!!python/object:foo.losses.MAE {\"_buffers\": "
		       "!!python/object/apply:collections.OrderedDict [[]]}",
		       "Python object shown as text with its tag, not built");
		STR_EQ(kvlist_get(&r->params, "opt/name"), "adam", "nested mapping flattened");
		STR_EQ(kvlist_get(&r->params, "opt/betas"), "[0.9, 0.999]", "sequence as text");
		STR_EQ(kvlist_get(&r->params, "name"), "null", "null as text");
		OK(kvlist_get(&r->params, "loss/_buffers") == NULL, "tagged mapping not entered");
	}
	/* The Lightning CSV reader reads the same hparams.yaml: a run read by
	 * both (merged) must get one key per param, so both name them alike. */
	struct buf csv = BUF_INIT;
	BUF_PUTSL(&csv, "epoch,step,loss\n0,0,0.5\n");
	free(put_file("disc/lightning_logs/version_0", "metrics.csv", &csv));
	buf_free(&csv);
	char *v0 = path_join(scratch, "disc/lightning_logs/version_0");
	struct collected lc;
	memset(&lc, 0, sizeof lc);
	struct reader_opts lo = {.include_deleted = false, .dec_buckets = 100};
	struct run_sink ls = {&lc, col_experiment, col_run, NULL};
	INT_EQ(reader_lightning_csv.read(v0, &lo, &ls), 1, "the Lightning CSV reader reads the run");
	if (r && lc.n == 1) {
		const struct kvlist *tp = &r->params, *cp = &lc.runs[0]->params;
		int same = tp->n == cp->n;
		for (size_t i = 0; same && i < cp->n; i++)
			same = kvlist_get(tp, cp->items[i].key) != NULL;
		OK(same, "hparams.yaml gives the same keys through both readers (opt/name, not opt.name)");
		STR_EQ(kvlist_get(cp, "opt/name"), "adam", "the CSV reader joins nested keys with '/'");
	}
	collected_free(&lc);
	free(v0);
	collected_free(&c);

	/* hparams.yaml nested past the depth limit: reported, the keys before
	 * kept, and the reading stops there (libyaml's time is quadratic in depth). */
	scalar_file("tbdeep/run", "events.out.tfevents.1.d", 0, 3, 0);
	BUF_PUTSL(&y, "lr: 0.1\nd: ");
	for (int i = 0; i < 200; i++)
		BUF_PUTSL(&y, "[");
	for (int i = 0; i < 200; i++)
		BUF_PUTSL(&y, "]");
	BUF_PUTSL(&y, "\nafter: 2\n");
	free(put_file("tbdeep/run", "hparams.yaml", &y));
	buf_free(&y);
	char *ddir = path_join(scratch, "tbdeep/run");
	capture_begin();
	INT_EQ(read_dir(ddir, &c), 1, "deep hparams.yaml: one run");
	char *derr = capture_end();
	OK(strstr(derr, "hparams.yaml:2: YAML: nested deeper than 64 levels") != NULL,
	   "depth limit reported: %s", derr);
	r = c.n ? c.runs[0] : NULL;
	STR_EQ(r ? kvlist_get(&r->params, "lr") : NULL, "0.1", "the key before kept");
	OK(r && kvlist_get(&r->params, "after") == NULL, "reading stopped at the depth limit");
	collected_free(&c);
	free(derr);
	free(ddir);

	/* A single file as input: run '.' */
	char *file = path_join(scratch, "disc/a/events.out.tfevents.1.a");
	OK(reader_tensorboard.probe(file) > 0, "probe claims an event file");
	INT_EQ(read_dir(file, &c), 1, "a file is one run");
	STR_EQ(c.n ? c.runs[0]->id : NULL, ".", "its id is '.'");
	collected_free(&c);
	free(file);

	/* A folder whose only event file is an LFS pointer. */
	struct buf lfs = BUF_INIT;
	BUF_PUTSL(&lfs, "version https://git-lfs.github.com/spec/v1\noid sha256:00\nsize 358\n");
	free(put_file("lfs/runs/x", "events.out.tfevents.1.h", &lfs));
	buf_free(&lfs);
	char *ldir = path_join(scratch, "lfs");
	capture_begin();
	long got = read_dir(ldir, &c);
	char *err = capture_end();
	INT_EQ(got, -1, "an LFS-only store cannot be read");
	OK(strstr(err, "events.out.tfevents.1.h: is a Git LFS pointer, not an event file (run git "
	                "lfs pull)") != NULL,
	   "LFS message names the file: %s", err);
	free(err);
	collected_free(&c);
	free(ldir);
	free(dir);
}

/* ---- the real files ---- */

/* Expected counts from /work/shared/corpus/SOURCES-tb-csv-dvc-hf.md (tfevents rows):
 * scalar tags across the folder's runs, and scalar points as written (before the
 * restart rule; kept + dropped). */
struct corpus_case {
	const char *dir;
	int scalar_tags;
	long points; /* -1: not given in SOURCES */
};

/* A real sample: tests/corpus/tfevents/NAME (redistributable, always there),
 * else ../shared/corpus/tfevents/NAME; NULL when neither exists. */
static char *corpus_dir(const char *name)
{
	const char *roots[] = {"tests/corpus/tfevents", "../shared/corpus/tfevents"};
	for (size_t i = 0; i < 2; i++) {
		char *dir = path_join(roots[i], name);
		struct stat sb;
		if (stat(dir, &sb) == 0)
			return dir;
		free(dir);
	}
	return NULL;
}

static void test_corpus(void)
{
	static const struct corpus_case cases[] = {
		/* "8 tags (...), 2640 scalar points, all simple_value" */
		{"tensorboard-reducer-torch", 8, 2640},
		/* "12 tags (...), 24 simple_value points, every point at step 0" */
		{"tensorboard-profile-testdata-tf1", 12, 24},
		/* "Scalars (Train/Loss, Metrics/Loss, Metrics/Accuracy, hparam/Final_Val_*; 556
		 * simple_value points)": 3 + two hparam/Final_Val_* tags */
		{"study-tensorboard-torch", 5, 556},
		/* "9 tags: hp_metric, the three _hparams_ tags (metadata only), train_loss_step,
		 * train_loss_epoch, epoch, valid_loss, ptl/val_loss; 1075 simple_value points" */
		{"sncf-lightning-tensorboardx", 6, 1075},
		/* no counts given; "train_loss/loss, epoch" and a text summary */
		{"contact-point-lightning-0.7", -1, -1},
	};
	for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
		char *dir = corpus_dir(cases[k].dir);
		if (!dir) {
			SKIP("not in tests/corpus, and ../shared/corpus is not there");
			continue;
		}
		struct collected c;
		size_t w0 = diag_count();
		long n = read_dir(dir, &c);
		OK(n > 0, "%s: runs read", cases[k].dir);
		INT_EQ(diag_count() - w0, 0, cases[k].dir);
		char *tags[256];
		int ntags = 0;
		long points = 0;
		for (size_t i = 0; i < c.n; i++)
			for (size_t m = 0; m < c.runs[i]->nmetrics; m++) {
				const struct series *s = &c.runs[i]->metrics[m];
				if (str_ends(s->key, " (min)") || str_ends(s->key, " (max)") ||
				    str_ends(s->key, " (mean)"))
					continue;
				points += (long)(s->sum.count + s->dropped);
				int seen = 0;
				for (int t = 0; t < ntags && !seen; t++)
					seen = strcmp(tags[t], s->key) == 0;
				if (!seen && ntags < 256)
					tags[ntags++] = s->key;
			}
		if (cases[k].scalar_tags >= 0) {
			OK(ntags == cases[k].scalar_tags, "%s: %d scalar tags, want %d", cases[k].dir,
			   ntags, cases[k].scalar_tags);
			OK(points == cases[k].points, "%s: %ld scalar points, want %ld", cases[k].dir,
			   points, cases[k].points);
		}
		if (k == 0) {
			/* duplicate_steps: "each tag 210 points, steps 0..99 then 90..199" */
			const struct run *r = run_by_id(&c, "tests/runs/duplicate_steps/run_1");
			const struct series *s = r ? find(r, "dup_steps/foo") : NULL;
			OK(s && s->n == 200 && s->dropped == 10 && s->pts[199].step == 199,
			   "duplicate_steps: 90..99 of the first attempt preempted");
		}
		if (k == 1) {
			const struct run *r = c.n ? c.runs[0] : NULL;
			OK(r && r->nmetrics == 12 && r->metrics[0].n == 1,
			   "profile: every tag collapses to one point at step 0");
		}
		if (k == 2) {
			const struct run *r = run_by_id(&c, "runs/hparams_search_exp_1/1771595857.3236299");
			STR_EQ(r ? kvlist_get(&r->params, "optimizer") : NULL, "SGD", "add_hparams string");
			STR_EQ(r ? kvlist_get(&r->params, "batch_size") : NULL, "32", "add_hparams number");
			r = run_by_id(&c, "runs/histogram_experiment");
			const struct series *s = r ? find(r, "MyLinearLayer/Weights_Distribution (mean)")
			                           : NULL;
			OK(s && s->n == 10, "histogram band over 10 steps");
			r = run_by_id(&c, "runs/image_experiment");
			STR_EQ(r ? kvlist_get(&r->extras, "images") : NULL, "5", "5 images counted");
			r = run_by_id(&c, "runs/pr_curve_experiment");
			/* two files with the same 5 steps: the restart rule keeps 5 */
			STR_EQ(r ? kvlist_get(&r->extras, "pr_curves") : NULL, "5", "5 PR curves counted");
		}
		if (k == 3) {
			const struct run *r = run_by_id(&c, "lightning_logs/version_75");
			OK(r && kvlist_get(&r->params, "loss") != NULL, "Lightning hparams present");
		}
		if (k == 4) {
			const struct run *r = run_by_id(&c, "lightning_logs/version_14/tf");
			OK(r && r->notes && strstr(r->notes, "### hparams/text_summary"),
			   "test-tube text summary becomes a note");
			r = run_by_id(&c, "lightning_logs/version_1/1582009443.5208488");
			OK(r && kvlist_get(&r->params, "lr") && kvlist_get(&r->params, "solver"),
			   "old Lightning add_hparams sub-run");
		}
		collected_free(&c);
		free(dir);
	}
	struct collected c;
	char *lfs = corpus_dir("lfs-pointer-whisper-hf");
	capture_begin();
	long n = read_dir(lfs ? lfs : "tests/corpus/tfevents/lfs-pointer-whisper-hf", &c);
	free(lfs);
	char *err = capture_end();
	INT_EQ(n, -1, "LFS sample: nothing to read");
	OK(strstr(err, "events.out.tfevents.1675054093.gpu07.cyverse.org.94170.2: is a Git LFS "
	               "pointer, not an event file (run git lfs pull)") != NULL,
	   "LFS sample message: %s", err);
	free(err);
	collected_free(&c);
}

static void write_seed(const char *dir, const char *name, int mode, const void *data, size_t n)
{
	char *path = path_join(dir, name);
	FILE *f = fopen(path, "wb");
	if (!f) {
		perror(path);
		exit(1);
	}
	fputc(mode, f);
	fwrite(data, 1, n, f);
	fclose(f);
	free(path);
}

/* The payload of the record at offset off of an encoded file. */
static const char *payload_at(const struct buf *f, size_t off, size_t *len)
{
	uint64_t n;
	memcpy(&n, f->data + off, 8);
	*len = (size_t)n;
	return f->data + off + 12;
}

/* Writes the fuzz seeds (tests/fuzz/corpus/tfrecord/) from the encoder. The
 * first byte is fuzz_tfrecord's mode: 0 a whole file, 1 one record payload. */
static void write_seeds(const char *dir)
{
	struct buf f = BUF_INIT, t = BUF_INIT;
	size_t n;
	const char *p;
	three_records(&f);
	write_seed(dir, "simple", 0, f.data, f.size);
	write_seed(dir, "truncated", 0, f.data, f.size - 5);
	p = payload_at(&f, 40, &n);
	write_seed(dir, "payload-scalar", 1, p, n);
	f.data[40 + 14] ^= 0x40;
	write_seed(dir, "corrupt", 0, f.data, f.size);
	buf_reset(&f);
	ev_file_version(&f, 1.0);
	for (int s = 0; s < 6; s++)
		ev_scalar(&f, 2.0, s % 4, "restart", (float)s);
	write_seed(dir, "restart", 0, f.data, f.size);
	buf_reset(&f);
	pbw_u64(&t, 1, TB_DT_FLOAT);
	tensor_shape(&t, NULL, 0);
	float x = 0.99f;
	pbw_bytes(&t, 4, &x, 4);
	ev_tensor(&f, 1.0, 77, "accuracy", &t, "scalars");
	write_seed(dir, "tf2-tensor", 0, f.data, f.size);
	p = payload_at(&f, 0, &n);
	write_seed(dir, "payload-tf2", 1, p, n);
	buf_free(&f);
	plugins_file(&f);
	write_seed(dir, "plugins", 0, f.data, f.size);
	/* each record of the plugins file as a payload seed */
	size_t off = 0;
	for (int i = 0; off + 16 <= f.size; i++) {
		p = payload_at(&f, off, &n);
		char name[32];
		snprintf(name, sizeof name, "payload-plugins-%02d", i);
		write_seed(dir, name, 1, p, n);
		off += n + 16;
	}
	buf_free(&f);
}

int main(int argc, char **argv)
{
	if (!mkdtemp(scratch)) {
		perror("mkdtemp");
		return 1;
	}
	if (argc == 3 && strcmp(argv[1], "--write-seeds") == 0) {
		write_seeds(argv[2]);
		return 0;
	}
	test_crc();
	test_protobuf();
	test_framing();
	test_tensor_scalars();
	test_simple_and_restart();
	test_running_summary();
	test_fast_paths();
	test_mapped();
	test_plugins();
	test_merge_order();
	test_discovery();
	test_corpus();
	char *cmd = xasprintf("rm -rf '%s'", scratch);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", scratch);
	free(cmd);
	return TEST_END();
}
