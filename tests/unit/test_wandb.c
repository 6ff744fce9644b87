/* test_wandb.c — the .wandb framing (wandb_log.c) on files built here chunk
 * by chunk: W&B's CRC, records split over blocks, the zero block trailer,
 * corrupt chunks skipped to the next block (and the MIDDLE/LAST after them),
 * a FIRST without LAST, cut tails; the record decoder on single records and
 * on history items in every layout; the console note's fence. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "runsite/diag.h"
#include "runsite/model.h"
#include "runsite/util.h"
#include "../../src/readers/console_note.h"
#include "../../src/readers/wandb.h"
#include "../../src/readers/wandb_log.h"

/* A file being built: header, then chunks placed as W&B's writer places them. */
static void header(struct buf *b)
{
	buf_reset(b);
	buf_put(b, ":W&B\xe1\xbe\x00", 7);
}

static void chunk(struct buf *b, uint8_t type, const void *data, size_t n)
{
	uint32_t crc = wb_chunk_crc(type, data, n);
	uint8_t h[7] = {(uint8_t)crc, (uint8_t)(crc >> 8), (uint8_t)(crc >> 16), (uint8_t)(crc >> 24),
	                (uint8_t)n, (uint8_t)(n >> 8), type};
	buf_put(b, h, 7);
	buf_put(b, data, n);
}

/* One record, split at block ends as datastore.py's _write_data does. */
static void record(struct buf *b, const void *data, size_t n)
{
	const uint8_t *p = data;
	size_t left = WB_BLOCK - b->size % WB_BLOCK;
	if (left < 7) {
		for (size_t i = 0; i < left; i++)
			buf_putc(b, 0);
		left = WB_BLOCK;
	}
	if (n + 7 <= left) {
		chunk(b, 1, p, n);
		return;
	}
	size_t room = left - 7;
	chunk(b, 2, p, room);
	p += room;
	n -= room;
	while (n > WB_BLOCK - 7) {
		chunk(b, 3, p, WB_BLOCK - 7);
		p += WB_BLOCK - 7;
		n -= WB_BLOCK - 7;
	}
	chunk(b, 4, p, n);
}

/* Reads b, returning the records' lengths (first byte of each in *first). */
static size_t read_all(struct buf *b, size_t *lens, uint8_t *first, size_t max, struct wb_log *out)
{
	struct wb_log l;
	size_t k = 0;
	if (!wb_log_open(&l, "test", b->data, b->size, true))
		return (size_t)-1;
	const uint8_t *p;
	size_t n;
	while (wb_log_next(&l, &p, &n)) {
		if (k < max) {
			lens[k] = n;
			first[k] = n ? p[0] : 0;
		}
		k++;
	}
	*out = l;
	wb_log_close(&l);
	return k;
}

static void test_crc(void)
{
	/* zlib.crc32(b"\x01" + b"hello") */
	INT_EQ(wb_chunk_crc(1, "hello", 5), 0x8aac239du, "W&B's CRC-32 of a FULL chunk");
}

static void test_split_and_trailer(void)
{
	struct buf b = BUF_INIT, big = BUF_INIT;
	header(&b);
	for (size_t i = 0; i < 100000; i++)
		buf_putc(&big, (char)('a' + i % 26));
	record(&b, "A", 1);
	record(&b, big.data, big.size); /* FIRST, MIDDLE, MIDDLE, LAST */
	/* Fill the block to 3 bytes short of its end: the next record starts a block. */
	size_t left = WB_BLOCK - b.size % WB_BLOCK;
	struct buf pad = BUF_INIT;
	for (size_t i = 0; i + 7 + 3 < left; i++)
		buf_putc(&pad, 'p');
	record(&b, pad.data, pad.size);
	INT_EQ(WB_BLOCK - b.size % WB_BLOCK, 3, "three bytes left in the block");
	record(&b, "Z", 1);
	size_t lens[8];
	uint8_t first[8];
	struct wb_log l;
	INT_EQ(read_all(&b, lens, first, 8, &l), 4, "four records");
	INT_EQ(lens[1], 100000, "the split record is whole");
	INT_EQ(first[1], 'a', "and starts where it did");
	INT_EQ(first[3], 'Z', "the record after the zero trailer");
	INT_EQ(l.corrupt, 0, "nothing corrupt");
	INT_EQ(l.cut_at, 0, "nothing cut");
	buf_free(&b);
	buf_free(&big);
	buf_free(&pad);
}

static void test_corrupt_skips_block(void)
{
	struct buf b = BUF_INIT, big = BUF_INIT;
	header(&b);
	for (int i = 0; i < 40000; i++)
		buf_putc(&big, 'x');
	record(&b, "1", 1);
	size_t bad_at = b.size;
	record(&b, "2", 1);
	record(&b, big.data, big.size); /* its FIRST in block 0, LAST in block 1 */
	record(&b, "3", 1);             /* in block 1, after the LAST */
	b.data[bad_at + 7] ^= 0x40;     /* record "2"'s payload: CRC mismatch */
	size_t lens[8];
	uint8_t first[8];
	struct wb_log l;
	size_t n = read_all(&b, lens, first, 8, &l);
	INT_EQ(n, 2, "the records before and after the damaged block");
	INT_EQ(first[0], '1', "the record before");
	INT_EQ(first[1], '3', "the LAST chunk of the lost record is skipped, then a FULL is read");
	INT_EQ(l.corrupt, 1, "one corrupt stretch");
	OK(l.lost_bytes >= WB_BLOCK - bad_at, "the rest of the block counts as lost (%llu)",
	   (unsigned long long)l.lost_bytes);
	buf_free(&b);
	buf_free(&big);
}

static void test_first_without_last(void)
{
	struct buf b = BUF_INIT;
	header(&b);
	chunk(&b, 2, "part", 4); /* FIRST, never finished */
	chunk(&b, 1, "next", 4); /* a FULL: the partial record is lost, this one kept */
	chunk(&b, 4, "orphan", 6);
	chunk(&b, 1, "last", 4);
	size_t lens[8];
	uint8_t first[8];
	struct wb_log l;
	INT_EQ(read_all(&b, lens, first, 8, &l), 2, "two whole records");
	INT_EQ(first[0], 'n', "the FULL after the unfinished FIRST");
	INT_EQ(first[1], 'l', "the FULL after the orphan LAST");
	INT_EQ(l.corrupt, 2, "the unfinished record and the orphan are counted");
	buf_free(&b);
}

static void test_cut(void)
{
	struct buf b = BUF_INIT;
	header(&b);
	chunk(&b, 1, "whole", 5);
	size_t cut = b.size;
	chunk(&b, 1, "cut-here", 8);
	b.size -= 3;
	size_t lens[4];
	uint8_t first[4];
	struct wb_log l;
	INT_EQ(read_all(&b, lens, first, 4, &l), 1, "the whole record only");
	INT_EQ(l.cut_at, cut, "the cut is where the last chunk starts");
	INT_EQ(l.corrupt, 0, "a cut tail is not corruption");
	/* A header cut in the middle. */
	b.size = cut + 4;
	INT_EQ(read_all(&b, lens, first, 4, &l), 1, "a cut chunk header");
	INT_EQ(l.cut_at, cut, "noted at its start");
	/* Not a .wandb file. */
	memcpy(b.data, ":W&C", 4);
	INT_EQ(read_all(&b, lens, first, 4, &l), (size_t)-1, "a wrong header is refused");
	buf_free(&b);
}


/* What a log reader returned: every record's bytes, then its counts. */
static void log_trace(struct wb_log *l, struct buf *out)
{
	const uint8_t *p;
	size_t n;
	while (wb_log_next(l, &p, &n)) {
		buf_put(out, &n, sizeof n);
		buf_put(out, p, n);
	}
	uint64_t tail[4] = {l->records, l->corrupt, l->lost_bytes, l->cut_at};
	buf_put(out, tail, sizeof tail);
	wb_log_close(l);
}

/* The file read through windows of 1 to 5 blocks (wb_log_open_fd) gives the
 * same records, corrupt stretches, lost bytes and cut as read whole from
 * memory: records split over windows, a corrupt chunk, an orphan LAST, a
 * zeroed stretch, a cut tail, and a file shorter than it was said to be. */
static void test_windows(void)
{
	struct buf b = BUF_INIT, rec = BUF_INIT;
	header(&b);
	uint64_t x = 0x853c49e6748fea9bu;
	size_t bad_at = 0, orphan_at = 0, zero_at = 0;
	for (int i = 0; i < 400; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		size_t n = i % 50 == 7 ? 40000 + x % 70000 : x % 600;
		buf_reset(&rec);
		for (size_t k = 0; k < n; k++)
			buf_putc(&rec, (char)(x >> (k % 56)) + (char)k);
		if (i == 120)
			bad_at = b.size;
		if (i == 250) {
			orphan_at = b.size;
			chunk(&b, 4, "orphan", 6);
		}
		if (i == 300) {
			/* A zeroed stretch: the rest of its block holds nothing. */
			zero_at = b.size;
			while (b.size % WB_BLOCK)
				buf_putc(&b, 0);
		}
		record(&b, rec.data, rec.size);
	}
	b.data[bad_at + 7 + 2] ^= 0x10; /* a CRC mismatch in record 120 */
	size_t whole = b.size;
	record(&b, "cut record", 10);
	b.size -= 4;
	OK(orphan_at > 0 && zero_at > orphan_at && whole > 4 * WB_BLOCK, "file has its parts (%zu bytes)",
	   b.size);
	char path[] = "/tmp/test_wandb_XXXXXX";
	int fd = mkstemp(path);
	OK(fd >= 0, "temp file");
	if (fd < 0)
		goto out;
	OK(write(fd, b.data, b.size) == (ssize_t)b.size, "written");
	struct buf want = BUF_INIT, got = BUF_INIT;
	struct wb_log l;
	INT_EQ(wb_log_open(&l, "test", b.data, b.size, true), 1, "opened in memory");
	log_trace(&l, &want);
	OK(l.corrupt >= 2 && l.cut_at > 0, "corrupt stretches (%llu) and a cut",
	   (unsigned long long)l.corrupt);
	int same = 1;
	for (size_t blocks = 1; blocks <= 5; blocks++) {
		buf_reset(&got);
		if (wb_log_open_fd(&l, "test", fd, b.size, blocks, true) != 1) {
			same = 0;
			continue;
		}
		log_trace(&l, &got);
		if (got.size != want.size || memcmp(got.data, want.data, want.size) != 0) {
			printf("# windows of %zu blocks differ\n", blocks);
			same = 0;
		}
	}
	INT_EQ(same, 1, "windows of 1 to 5 blocks read what memory reads");
	/* Said to be longer than it is (shortened after its size was taken):
	 * it ends where it ends, as a cut file. */
	buf_reset(&got);
	INT_EQ(wb_log_open_fd(&l, "test", fd, b.size + 3 * WB_BLOCK, 2, true), 1, "opened longer");
	log_trace(&l, &got);
	OK(got.size == want.size && memcmp(got.data, want.data, want.size) == 0,
	   "a file shorter than said reads as the bytes there are");
	/* Not a .wandb file, and one too short for a header. */
	INT_EQ(wb_log_open_fd(&l, "test", fd, 5, 1, true), 0, "five bytes are no .wandb file");
	buf_free(&want);
	buf_free(&got);
	close(fd);
	unlink(path);
out:
	buf_free(&b);
	buf_free(&rec);
}

/* A Record with one history row {"loss": 0.5, "_step": 7} in nested_key form. */
static void test_decoder(void)
{
	static const uint8_t item_loss[] = {0x12, 4, 'l', 'o', 's', 's', 0x82, 0x01, 3, '0', '.', '5'};
	static const uint8_t item_step[] = {0x12, 5, '_', 's', 't', 'e', 'p', 0x82, 0x01, 1, '7'};
	struct buf rec = BUF_INIT, hist = BUF_INIT, file = BUF_INIT;
	buf_putc(&hist, 0x0a);
	buf_putc(&hist, sizeof item_loss);
	buf_put(&hist, item_loss, sizeof item_loss);
	buf_putc(&hist, 0x0a);
	buf_putc(&hist, sizeof item_step);
	buf_put(&hist, item_step, sizeof item_step);
	buf_putc(&rec, 0x12); /* Record.history */
	buf_putc(&rec, (char)hist.size);
	buf_put(&rec, hist.data, hist.size);
	header(&file);
	record(&file, rec.data, rec.size);
	struct run *r = run_new("wandb", "test");
	struct wandb_facts f;
	INT_EQ(wandb_ingest_memory(r, &f, "test", file.data, file.size, true), 1, "ingested");
	const struct series *s = run_find_series(r, "loss");
	OK(s && s->n == 1, "one loss point");
	if (s && s->n == 1) {
		INT_EQ(s->pts[0].step, 7, "the _step item is the step when the row has no step");
		DBL_EQ(s->pts[0].value, 0.5, "value");
	}
	OK(!run_find_series(r, "_step"), "system keys are not series");
	wandb_facts_free(&f);
	run_free(r);
	buf_free(&rec);
	buf_free(&hist);
	buf_free(&file);
}

/* The number reader agrees with strtod bit for bit on numbers as Python's
 * repr and json write them (16 and 17 digits, exponents, integers). */
static void test_numbers(void)
{
	static const char *const fixed[] = {"0.5", "-0.0", "1791190800.0", "1791190802.5",
	                                    "0.0033333333333333335", "3.3333333333333335e-06",
	                                    "1e22", "1e23", "9007199254740993", "123", "-7",
	                                    "2.2250738585072014e-308", "1.7976931348623157e+308",
	                                    "0.1", "0.30000000000000004", NULL};
	int bad = 0;
	char text[64];
	for (size_t i = 0; fixed[i]; i++) {
		double got, want = strtod(fixed[i], NULL);
		if (!wandb_json_number((const uint8_t *)fixed[i], strlen(fixed[i]), &got) ||
		    memcmp(&got, &want, sizeof got) != 0) {
			bad++;
			printf("# %s: got %.17g\n", fixed[i], got);
		}
	}
	uint64_t x = 0x9E3779B97F4A7C15u;
	for (int i = 0; i < 200000; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		double v = (double)(x >> 11) / (double)(1ull << 53) * pow(10.0, (int)(x % 40) - 20);
		double w = i % 2 ? -v : v;
		switch (i % 6) {
		case 0: snprintf(text, sizeof text, "%.17g", w); break;
		case 1: snprintf(text, sizeof text, "%.16g", w); break;
		case 2: snprintf(text, sizeof text, "%.15g", w); break;
		case 3: snprintf(text, sizeof text, "%.6g", w); break;
		case 4: snprintf(text, sizeof text, "%.3f", w); break;
		default: snprintf(text, sizeof text, "%.12e", w); break;
		}
		double got, want = strtod(text, NULL);
		if (!wandb_json_number((const uint8_t *)text, strlen(text), &got) ||
		    memcmp(&got, &want, sizeof got) != 0) {
			if (bad++ < 5)
				printf("# %s: got %.17g, strtod %.17g\n", text, got, want);
		}
	}
	INT_EQ(bad, 0, "numbers read differently from strtod");
	double d;
	OK(wandb_json_number((const uint8_t *)"NaN", 3, &d) && isnan(d), "NaN");
	OK(wandb_json_number((const uint8_t *)"-Infinity", 9, &d) && isinf(d) && d < 0, "-Infinity");
	OK(!wandb_json_number((const uint8_t *)"\"0.5\"", 5, &d), "a string is not a number");
	OK(!wandb_json_number((const uint8_t *)"true", 4, &d), "nor is true");
	OK(!wandb_json_number((const uint8_t *)"1.5x", 4, &d), "nor trailing text");
}

/* A row's _timestamp in ms: llround's rounding (halves away from zero) on
 * wall-clock seconds, halves of a millisecond and values near zero. */
static void test_ms_of_seconds(void)
{
	uint64_t x = 0x2545F4914F6CDD1Du;
	int bad = 0;
	for (int i = 0; i < 200000; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		double s;
		switch (i % 4) {
		case 0: s = 1.6e9 + (double)(x % 400000000) / 1e7; break; /* time.time() */
		case 1: s = (double)(int64_t)(x % 20000000 - 10000000) / 2000.0; break; /* halves */
		case 2: s = ((double)(x >> 11) / (double)(1ull << 53) - 0.5) * 0.01; break;
		default: s = ((double)(x >> 11) / (double)(1ull << 53) - 0.5) * 1e15; break;
		}
		if (wandb_ms_of_seconds(s) != (int64_t)llround(s * 1000.0) && bad++ < 5)
			printf("# %.17g s: %lld ms, llround %lld\n", s, (long long)wandb_ms_of_seconds(s),
			       (long long)llround(s * 1000.0));
	}
	INT_EQ(bad, 0, "ms rounded as llround rounds them");
	INT_EQ(wandb_ms_of_seconds(0.0025), 3, "a half ms rounds up");
	INT_EQ(wandb_ms_of_seconds(-0.0025), -3, "and down below zero");
	INT_EQ(wandb_ms_of_seconds(NAN), 0, "NaN is no time");
}

static void put_varint(struct buf *b, uint64_t v)
{
	while (v >= 0x80) {
		buf_putc(b, (char)(v | 0x80));
		v >>= 7;
	}
	buf_putc(b, (char)v);
}

/* A length-delimited field: the key (num, wire type 2), length, bytes. */
static void put_bytes(struct buf *b, unsigned num, const void *data, size_t n)
{
	put_varint(b, (uint64_t)num << 3 | 2);
	put_varint(b, n);
	buf_put(b, data, n);
}

#define LAYOUT_KEYS 12
#define LAYOUT_ROWS 300

/* The keys: pairs of one length that differ only in their last byte, on
 * either side of the 8 and 16 bytes compared as words, and one of 130
 * bytes (two-byte lengths); the last is also written as a nested key of
 * two parts. */
static void layout_key(char *out, size_t k)
{
	static const char *const keys[LAYOUT_KEYS - 1] = {
		"x", "y", "metric/x", "metric/y", "abcdefghi", "abcdefghj", "grad/norm/layer1",
		"grad/norm/layer2", "train/loss/part/1", "train/loss/part/2", "val/acc.top5"};
	if (k < LAYOUT_KEYS - 1) {
		strcpy(out, keys[k]);
		return;
	}
	for (size_t i = 0; i < 130; i++)
		out[i] = (char)('a' + i % 26);
	out[130] = '\0';
}

/* One history item of key k and value text v in one of W&B's layouts or
 * another valid one: nested_key, key, value first, an unknown field, a
 * nested key in parts. */
static void layout_item(struct buf *hist, const char *key, const char *v, int how, int parts)
{
	struct buf it = BUF_INIT;
	const char *dot = strchr(key, '.');
	if (parts && dot) {
		put_bytes(&it, 2, key, (size_t)(dot - key));
		put_bytes(&it, 2, dot + 1, strlen(dot + 1));
		put_bytes(&it, 16, v, strlen(v));
	} else {
		switch (how) {
		case 0: put_bytes(&it, 2, key, strlen(key)), put_bytes(&it, 16, v, strlen(v)); break;
		case 1: put_bytes(&it, 1, key, strlen(key)), put_bytes(&it, 16, v, strlen(v)); break;
		case 2: put_bytes(&it, 16, v, strlen(v)), put_bytes(&it, 2, key, strlen(key)); break;
		default:
			put_bytes(&it, 2, key, strlen(key));
			put_bytes(&it, 3, "x", 1);
			put_bytes(&it, 16, v, strlen(v));
			break;
		}
	}
	put_bytes(hist, 1, it.data, it.size);
	buf_free(&it);
}

/* History rows whose items come in every layout, in an order that changes
 * from row to row (so the key kept for an item position often differs),
 * with numbers of every form: each point is where it belongs, with strtod's
 * value, whichever way its item was decoded. */
static void test_item_layouts(void)
{
	static const char *const fixed[] = {"0.5", "-0.0", "NaN", "Infinity", "-Infinity", "1e22",
	                                    "2.2250738585072014e-308", "4.9e-324", "\"text\"",
	                                    "true", "1.5x", "0.30000000000000004"};
	struct buf file = BUF_INIT, rec = BUF_INIT, hist = BUF_INIT, step = BUF_INIT;
	double *want[LAYOUT_KEYS];
	int64_t *want_step[LAYOUT_KEYS];
	size_t nwant[LAYOUT_KEYS] = {0};
	char keys[LAYOUT_KEYS][140];
	for (size_t k = 0; k < LAYOUT_KEYS; k++) {
		layout_key(keys[k], k);
		want[k] = xmalloc(LAYOUT_ROWS * sizeof *want[k]);
		want_step[k] = xmalloc(LAYOUT_ROWS * sizeof *want_step[k]);
	}
	uint64_t x = 0x2545F4914F6CDD1Du;
	header(&file);
	for (int row = 0; row < LAYOUT_ROWS; row++) {
		buf_reset(&hist);
		size_t first = (size_t)row % LAYOUT_KEYS, count = row % 5 ? LAYOUT_KEYS : LAYOUT_KEYS - 3;
		for (size_t j = 0; j < count; j++) {
			size_t k = (first + j * (row % 3 == 0 ? 1 : 5)) % LAYOUT_KEYS;
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			char v[64];
			if (x % 7 == 0) {
				snprintf(v, sizeof v, "%s", fixed[(x >> 8) % (sizeof fixed / sizeof *fixed)]);
			} else {
				double d = (double)(x >> 11) / (double)(1ull << 53) * pow(10.0, (int)(x % 30) - 15);
				snprintf(v, sizeof v, (x >> 3) % 2 ? "%.17g" : "%.16g", (x >> 4) % 2 ? -d : d);
			}
			layout_item(&hist, keys[k], v, (int)((x >> 5) % 4), (x >> 7) % 2);
			double d;
			char *end;
			if (!strcmp(v, "NaN") || !strcmp(v, "Infinity") || !strcmp(v, "-Infinity") ||
			    ((d = strtod(v, &end)), *end == '\0')) {
				d = !strcmp(v, "NaN") ? NAN : !strcmp(v, "Infinity") ? INFINITY
				    : !strcmp(v, "-Infinity") ? -INFINITY : strtod(v, NULL);
				want[k][nwant[k]] = d;
				want_step[k][nwant[k]++] = row * 2;
			}
		}
		/* The step last, as W&B writes it; every other row without one, its
		 * items then last in the record. */
		if (row % 2 == 0) {
			buf_reset(&step);
			put_varint(&step, 1 << 3 | 0);
			put_varint(&step, (uint64_t)row * 2);
			put_bytes(&hist, 2, step.data, step.size);
		} else {
			char v[32];
			snprintf(v, sizeof v, "%d", row * 2);
			layout_item(&hist, "_step", v, 0, 0);
		}
		buf_reset(&rec);
		put_bytes(&rec, 2, hist.data, hist.size);
		record(&file, rec.data, rec.size);
	}
	struct run *r = run_new("wandb", "test");
	struct wandb_facts f;
	INT_EQ(wandb_ingest_memory(r, &f, "test", file.data, file.size, true), 1, "ingested");
	int bad = 0;
	for (size_t k = 0; k < LAYOUT_KEYS; k++) {
		const struct series *s = run_find_series(r, keys[k]);
		if (!s || s->n != nwant[k]) {
			if (bad++ < 5)
				printf("# %s: %zu points, want %zu\n", keys[k], s ? s->n : 0, nwant[k]);
			continue;
		}
		for (size_t i = 0; i < s->n; i++)
			if (s->pts[i].step != want_step[k][i] ||
			    memcmp(&s->pts[i].value, &want[k][i], sizeof(double)) != 0) {
				if (bad++ < 5)
					printf("# %s point %zu: step %lld value %.17g, want %lld %.17g\n", keys[k], i,
					       (long long)s->pts[i].step, s->pts[i].value,
					       (long long)want_step[k][i], want[k][i]);
			}
	}
	for (size_t k = 0; k < LAYOUT_KEYS; k++) {
		free(want[k]);
		free(want_step[k]);
	}
	INT_EQ(bad, 0, "every point in its series with strtod's value, in every item layout");
	INT_EQ(r->nmetrics, LAYOUT_KEYS, "no other series");
	wandb_facts_free(&f);
	run_free(r);
	buf_free(&file);
	buf_free(&rec);
	buf_free(&hist);
	buf_free(&step);
}


/* Keys for the shape test: lengths around the 24 bytes compared as words
 * (a prefix is the key and 4 bytes) and the longest key a shape keeps, pairs
 * that differ only in their last byte or past the first 24 bytes. */
static const char *shape_key(size_t k, char *buf)
{
	static const char *const keys[] = {
		"a", "b", "loss", "train/loss", "metric/x", "metric/y", "grad/norm/layer1",
		"grad/norm/layer2", "abcdefghijklmnopqrst", "abcdefghijklmnopqrsu", "abcdefghijklmnopqrstu",
		"abcdefghijklmnopqrstv", "_timestamp", "_runtime", "_step"};
	if (k == 19)
		return "lose";
	if (k == 20)
		return "_stop";
	size_t nk = sizeof keys / sizeof *keys; /* 15: 15 to 18 are made */
	if (k < nk)
		return keys[k];
	/* 40, 40 (differing at byte 30), 120 and 121 bytes. */
	size_t len = k == nk ? 40 : k == nk + 1 ? 40 : k == nk + 2 ? 120 : 121;
	for (size_t i = 0; i < len; i++)
		buf[i] = (char)('a' + i % 26);
	if (k == nk + 1)
		buf[30] = '#';
	buf[len] = '\0';
	return buf;
}
#define SHAPE_KEYS 21

/* One value as W&B writes it, or something else a row may hold. */
static void shape_value(char *v, size_t cap, uint64_t x)
{
	static const char *const odd[] = {"NaN", "Infinity", "-Infinity", "\"text\"", "true",
	                                  "null", "", "{\"inner\": 2.5}", "1e400", "-0.0",
	                                  "0.043478260869565216", "1791190855.0"};
	double d = (double)(x >> 11) / (double)(1ull << 53) * pow(10.0, (int)(x % 24) - 12);
	switch ((x >> 56) % 16) {
	case 0: snprintf(v, cap, "%s", odd[(x >> 8) % (sizeof odd / sizeof *odd)]); break;
	case 1: snprintf(v, cap, "%lld", (long long)(x >> 40) - 5000); break;
	case 2: snprintf(v, cap, "%.16g", d); break;
	default: snprintf(v, cap, "%.17g", (x >> 3) % 2 ? -d : d); break;
	}
}

/* Rows of a few shapes that repeat, change and come back (an extra key, a
 * key missing, keys reordered, no HistoryStep, the step first, a key tag
 * instead of nested_key), with values of every kind: the run read with row
 * shapes is the run read item by item, point for point and bit for bit, and
 * most rows were read by their shape. */
static void test_row_shapes(void)
{
	/* Each shape: its keys (indexes of shape_key), how it ends. Pairs of
	 * shapes differ in one key only, in one of the words compared, in the
	 * bytes past them, in its tag or in an extra field after its value. */
	static const struct {
		int keys[12];
		int nkeys, step; /* step: 1 HistoryStep last, 0 none, 2 HistoryStep first */
		int key_tag;     /* items with key (field 1), not nested_key */
		int extra;       /* the first item: 1 with a field after its value,
		                  * 2 as an unknown field of the row */
	} shapes[] = {
		{{3, 2, 0, 1, 12, 13, 14}, 7, 1, 0, 0},
		{{3, 2, 0, 1, 4, 12, 13, 14}, 8, 1, 0, 0},
		{{3, 2, 0, 12, 13, 14}, 6, 1, 0, 0},
		{{2, 3, 0, 1, 12, 13, 14}, 7, 1, 0, 0},
		{{3, 2, 0, 1, 12, 13, 14}, 7, 1, 1, 0},
		{{2, 0, 12, 14}, 4, 1, 0, 0},
		{{19, 0, 12, 14}, 4, 1, 0, 0},  /* "lose" against "loss": the first word */
		{{4, 0, 12, 14}, 4, 1, 0, 0},   /* metric/x and metric/y: the second */
		{{5, 0, 12, 14}, 4, 1, 0, 0},
		{{6, 0, 12, 14}, 4, 1, 0, 0},   /* ...layer1 and ...layer2: the third */
		{{7, 0, 12, 14}, 4, 1, 0, 0},
		{{8, 0, 12, 14}, 4, 1, 0, 0},   /* 20 bytes, the last byte of 24 */
		{{9, 0, 12, 14}, 4, 1, 0, 0},
		{{10, 0, 12, 14}, 4, 1, 0, 0},  /* 21 bytes: past the words */
		{{11, 0, 12, 14}, 4, 1, 0, 0},
		{{15, 0, 12, 14}, 4, 1, 0, 0},  /* 40 bytes differing at byte 30 */
		{{16, 0, 12, 14}, 4, 1, 0, 0},
		{{17, 0, 12, 14}, 4, 1, 0, 0},  /* 120 and 121 bytes */
		{{18, 0, 12, 14}, 4, 1, 0, 0},
		{{2, 0, 12, 14}, 4, 0, 0, 0},   /* no HistoryStep: the _step item */
		{{2, 0, 12, 14}, 4, 2, 0, 0},   /* HistoryStep first */
		{{2, 0, 12, 14}, 4, 1, 0, 1},   /* a field after the value */
		{{2, 0, 12, 14}, 4, 1, 0, 2},   /* an unknown field like an item */
		{{2, 0, 12, 20}, 4, 0, 0, 0},   /* "_stop" where "_step" was */
		{{2, 14, 0, 12, 14}, 5, 0, 0, 0}, /* two _step items */
		{{12, 2, 12, 14}, 4, 1, 0, 0},  /* two _timestamp items */
		{{12, 14}, 2, 1, 0, 0},
		{{0}, 0, 1, 0, 0},
	};
	size_t nshapes = sizeof shapes / sizeof *shapes;
	struct buf file = BUF_INIT, rec = BUF_INIT, hist = BUF_INIT, it = BUF_INIT, step = BUF_INIT;
	uint64_t x = 0x9E3779B97F4A7C15u;
	char kbuf[SHAPE_KEYS][130];
	header(&file);
	size_t cur = 0;
	uint64_t stepv = 0;
	for (int row = 0; row < 6000; row++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		if (x % 10 < 3)
			cur = (x >> 4) % nshapes;
		stepv += 1 + (x >> 20) % 3 * ((x >> 24) % 2 ? 1 : 100000);
		buf_reset(&step);
		put_varint(&step, 1 << 3 | 0);
		put_varint(&step, stepv);
		buf_reset(&hist);
		if (shapes[cur].step == 2)
			put_bytes(&hist, 2, step.data, step.size);
		for (int j = 0; j < shapes[cur].nkeys; j++) {
			int k = shapes[cur].keys[j];
			const char *key = shape_key((size_t)k, kbuf[k]);
			char v[64];
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			if (k == 12)
				snprintf(v, sizeof v, x % 50 ? "%.1f" : "%.3f", 1791190800.0 + row * 2.5 + (double)(x % 3));
			else if (k == 14)
				snprintf(v, sizeof v, "%llu", (unsigned long long)stepv + (x % 2));
			else
				shape_value(v, sizeof v, x);
			buf_reset(&it);
			put_bytes(&it, shapes[cur].key_tag ? 1 : 2, key, strlen(key));
			put_bytes(&it, 16, v, strlen(v));
			if (j == 0 && shapes[cur].extra == 1)
				put_bytes(&it, 3, "x", 1);
			put_bytes(&hist, j == 0 && shapes[cur].extra == 2 ? 3 : 1, it.data, it.size);
		}
		if (shapes[cur].step == 1)
			put_bytes(&hist, 2, step.data, step.size);
		buf_reset(&rec);
		put_bytes(&rec, 2, hist.data, hist.size);
		record(&file, rec.data, rec.size);
	}
	struct run *a = run_new("wandb", "test"), *b = run_new("wandb", "test");
	struct wandb_facts fa, fb;
	wandb_use_row_shapes(true);
	INT_EQ(wandb_ingest_memory(a, &fa, "test", file.data, file.size, true), 1, "read by shapes");
	wandb_use_row_shapes(false);
	INT_EQ(wandb_ingest_memory(b, &fb, "test", file.data, file.size, true), 1, "read item by item");
	wandb_use_row_shapes(true);
	OK(fa.shape_rows > 3000, "most rows read by their shape (%llu of 6000)",
	   (unsigned long long)fa.shape_rows);
	INT_EQ(fb.shape_rows, 0, "none when shapes are off");
	INT_EQ(a->nmetrics, b->nmetrics, "the same series");
	int bad = 0;
	size_t points = 0;
	for (size_t i = 0; i < a->nmetrics && i < b->nmetrics; i++) {
		const struct series *sa = &a->metrics[i], *sb = &b->metrics[i];
		if (strcmp(sa->key, sb->key) != 0 || sa->n != sb->n) {
			if (bad++ < 5)
				printf("# series %zu: %s (%zu points), item by item %s (%zu)\n", i, sa->key, sa->n,
				       sb->key, sb->n);
			continue;
		}
		points += sa->n;
		for (size_t k = 0; k < sa->n; k++)
			if (sa->pts[k].step != sb->pts[k].step || sa->pts[k].time_ms != sb->pts[k].time_ms ||
			    memcmp(&sa->pts[k].value, &sb->pts[k].value, sizeof(double)) != 0) {
				if (bad++ < 5)
					printf("# %s point %zu: %lld %lld %.17g, item by item %lld %lld %.17g\n",
					       sa->key, k, (long long)sa->pts[k].step, (long long)sa->pts[k].time_ms,
					       sa->pts[k].value, (long long)sb->pts[k].step,
					       (long long)sb->pts[k].time_ms, sb->pts[k].value);
			}
	}
	OK(bad == 0 && points > 5000, "every point the same, bit for bit (%zu points)", points);
	wandb_facts_free(&fa);
	wandb_facts_free(&fb);
	run_free(a);
	run_free(b);
	buf_free(&file);
	buf_free(&rec);
	buf_free(&hist);
	buf_free(&it);
	buf_free(&step);
}

static void test_console_note(void)
{
	char *notes = xstrdup("Run notes.");
	const char *out = "epoch 1\rprogress 50%\rprogress 100%\n~~~ fence ~~~~\nend\n";
	console_note_append(&notes, out, strlen(out), 2);
	OK(strstr(notes, "Run notes.\n\n### Console output") != NULL, "appended after the notes: %s", notes);
	OK(strstr(notes, "The last 2 of 3 lines.") != NULL, "says what was left out: %s", notes);
	OK(strstr(notes, "~~~~~\n~~~ fence ~~~~\nend\n~~~~~\n") != NULL,
	   "a fence longer than any inside: %s", notes);
	OK(strstr(notes, "epoch 1") == NULL && strstr(notes, "progress") == NULL,
	   "only the last lines; a carriage return redraws its line: %s", notes);
	free(notes);
	notes = NULL;
	console_note_append(&notes, " \n\n", 3, 5);
	OK(notes == NULL, "blank output adds nothing");

	/* Random output of lines with and without carriage returns and NULs:
	 * the note is the one of the text a terminal would show, cleaned here
	 * a byte at a time. */
	static const char *const pieces[] = {"loss 0.5", "\r", "\n", "\r\n", "ab", "\0", " ", "~"};
	uint64_t x = 0x9E3779B97F4A7C15u;
	int bad = 0;
	for (int round = 0; round < 300; round++) {
		struct buf text = BUF_INIT, clean = BUF_INIT;
		int n = (int)(x % 200);
		for (int i = 0; i < n; i++) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			const char *p = pieces[x % 8];
			buf_put(&text, p, x % 8 == 5 ? 1 : strlen(p));
		}
		size_t line_start = 0;
		for (size_t i = 0; i < text.size; i++) {
			char c = text.data[i];
			if (c == '\r' && i + 1 < text.size && text.data[i + 1] != '\n') {
				clean.size = line_start;
				continue;
			}
			if (c == '\r' || c == '\0')
				continue;
			buf_putc(&clean, c);
			if (c == '\n')
				line_start = clean.size;
		}
		char *a = NULL, *b = NULL;
		console_note_append(&a, text.data ? text.data : "", text.size, 5);
		console_note_append(&b, clean.data ? clean.data : "", clean.size, 5);
		if ((a == NULL) != (b == NULL) || (a && strcmp(a, b) != 0))
			bad++;
		free(a);
		free(b);
		buf_free(&text);
		buf_free(&clean);
	}
	INT_EQ(bad, 0, "carriage returns and NULs fold as a terminal shows them");
}

int main(void)
{
	diag_set_quiet(1);
	test_crc();
	test_split_and_trailer();
	test_corrupt_skips_block();
	test_first_without_last();
	test_cut();
	test_windows();
	test_decoder();
	test_numbers();
	test_ms_of_seconds();
	test_item_layouts();
	test_row_shapes();
	test_console_note();
	return TEST_END();
}
