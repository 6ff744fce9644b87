/* fuzz_csv.c — libFuzzer target for the CSV tokenizer, the exact number
 * parser (checked against strtod bit for bit) and the Lightning, Keras and
 * plain CSV readers on the same bytes. The first byte picks the separator
 * and trimming. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runsite/diag.h"
#include "runsite/reader.h"
#include "runsite/util.h"
#include "../../src/readers/csvparse.h"

extern const struct reader reader_lightning_csv;
extern const struct reader reader_keras_csv;
extern const struct reader reader_plain_csv;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[] = "/tmp/runsite-fuzzcsv-XXXXXX";

static int drop(void *ctx, struct run *r)
{
	run_free(r);
	return 1;
}

/* The number parser must give strtod's double whenever it takes a cell
 * that strtod reads whole (hex aside, which it refuses on purpose). */
static void check_number(const char *s, size_t len)
{
	double got;
	if (!csv_number(s, len, &got) || len > 200 || memchr(s, 'x', len) || memchr(s, 'X', len))
		return;
	char tmp[256];
	memcpy(tmp, s, len);
	tmp[len] = '\0';
	char *e;
	double want = strtod(tmp, &e);
	if (*e == '\0' && !(got != got && want != want) && memcmp(&got, &want, sizeof got) != 0)
		abort();
}

static void write_file(const char *path, const uint8_t *data, size_t size)
{
	FILE *f = fopen(path, "wb");
	if (!f)
		abort();
	fwrite(data, 1, size, f);
	fclose(f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	if (!ready) {
		diag_set_quiet(1);
		if (!mkdtemp(dir))
			abort();
		char *v = path_join(dir, "version_0");
		mkdir(v, 0755);
		free(v);
		ready = 1;
	}
	if (size == 0)
		return 0;
	static const char seps[] = {',', '\t', ';', '|'};
	char sep = seps[data[0] & 3];
	int trim = (data[0] >> 2) & 1;
	data++, size--;

	char *text = xmalloc(size + 1);
	memcpy(text, data, size);
	text[size] = '\0';
	struct csv_parser cp;
	csv_init(&cp, text, size, sep, trim);
	double vals[16];
	unsigned char present[16];
	for (int k = 0;; k++) {
		long n = k % 2 ? csv_next_numbers(&cp, vals, present, 16) : -1;
		if (n == 0)
			break;
		if (n > 0)
			continue;
		if (csv_next(&cp) == 0)
			break;
		for (size_t i = 0; i < cp.nfields; i++) {
			check_number(cp.fields[i].s, cp.fields[i].len);
			int64_t iv;
			csv_int64(cp.fields[i].s, cp.fields[i].len, &iv);
		}
	}
	csv_free(&cp);
	free(text);

	struct reader_opts o = {.include_deleted = false, .dec_buckets = 8};
	struct run_sink s = {NULL, NULL, drop, NULL};
	char *m = path_join(dir, "version_0/metrics.csv");
	write_file(m, data, size);
	reader_lightning_csv.read(m, &o, &s);
	char *v = path_join(dir, "version_0");
	reader_lightning_csv.read(v, &o, &s);
	char *k = path_join(dir, "training.log");
	write_file(k, data, size);
	reader_keras_csv.read(k, &o, &s);
	reader_plain_csv.read(k, &o, &s);
	char *j = path_join(dir, "run.jsonl");
	write_file(j, data, size);
	reader_plain_csv.read(j, &o, &s);
	free(m);
	free(v);
	free(k);
	free(j);
	return 0;
}
