/* test_csv_readers.c — the CSV tokenizer, the exact number parser, and the
 * Lightning, Keras and plain CSV readers on fixtures written here and on
 * the real samples in ../shared/corpus. */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"
#include "fixture.h"
#include "runsite/diag.h"
#include "runsite/reader.h"
#include "runsite/util.h"
#include "../../src/readers/csvparse.h"

extern const struct reader reader_lightning_csv;
extern const struct reader reader_keras_csv;
extern const struct reader reader_plain_csv;

static void test_tokenizer(void)
{
	char text[] = "a,\"b,1\",\"say \"\"hi\"\"\"\r\n\r\n\"two\nlines\",x,\r\nlast";
	struct csv_parser cp;
	csv_init(&cp, text, strlen(text), ',', 0);
	INT_EQ(csv_next(&cp), 3, "first record fields");
	STR_EQ(cp.fields[1].s, "b,1", "quoted separator");
	STR_EQ(cp.fields[2].s, "say \"hi\"", "doubled quotes");
	INT_EQ(cp.line, 1, "first record line");
	INT_EQ(csv_next(&cp), 3, "second record fields (empty line skipped)");
	STR_EQ(cp.fields[0].s, "two\nlines", "quoted newline");
	STR_EQ(cp.fields[2].s, "", "empty last cell");
	INT_EQ(cp.fields[2].len, 0, "empty cell length");
	INT_EQ(cp.line, 3, "second record line");
	INT_EQ(csv_next(&cp), 1, "last record without newline");
	STR_EQ(cp.fields[0].s, "last", "last field");
	INT_EQ(cp.line, 5, "last record line counts the quoted newline");
	INT_EQ(csv_next(&cp), 0, "end");
	csv_free(&cp);

	char k[] = "epoch, loss, val_loss\n1, 0.5, NA\n";
	int trim;
	char sep = csv_sniff_sep(k, k + strcspn(k, "\n"), &trim);
	INT_EQ(sep, ',', "sniffed comma");
	INT_EQ(trim, 1, "sniffed comma-space");
	csv_init(&cp, k, strlen(k), sep, trim);
	csv_next(&cp);
	STR_EQ(cp.fields[1].s, "loss", "trimmed header");
	csv_next(&cp);
	STR_EQ(cp.fields[2].s, "NA", "trimmed cell");
	csv_free(&cp);

	char t[] = "step\tvalue\n";
	sep = csv_sniff_sep(t, t + 10, &trim);
	INT_EQ(sep, '\t', "sniffed tab");

	char open[] = "a,\"never closed\n";
	csv_init(&cp, open, strlen(open), ',', 0);
	csv_next(&cp);
	INT_EQ(cp.open_quote, 1, "open quote reported at its line");
	csv_free(&cp);

	/* The numeric fast path hands odd records to csv_next unchanged. */
	char mix[] = "1,2.5,\n3,\"4\",x\n5,,-6e-1\n";
	double v[4];
	unsigned char pr[4];
	csv_init(&cp, mix, strlen(mix), ',', 0);
	INT_EQ(csv_next_numbers(&cp, v, pr, 4), 3, "fast record");
	DBL_EQ(v[1], 2.5, "fast value");
	INT_EQ(pr[2], 0, "fast empty cell");
	INT_EQ(csv_next_numbers(&cp, v, pr, 4), -1, "quoted cell needs the general path");
	INT_EQ(csv_next(&cp), 3, "general path reads the same record");
	STR_EQ(cp.fields[1].s, "4", "general path unquoted it");
	INT_EQ(csv_next_numbers(&cp, v, pr, 4), 3, "fast again");
	DBL_EQ(v[2], -0.6, "negative exponent");
	INT_EQ(cp.line, 3, "fast path line");
	INT_EQ(csv_next_numbers(&cp, v, pr, 4), 0, "fast end");
	csv_free(&cp);
}

/* A random decimal text of the shapes loggers write. */
static void random_number(char *out, size_t outsz, unsigned *seed)
{
	int kind = rand_r(seed) % 6;
	double x = (double)rand_r(seed) / RAND_MAX;
	int e = rand_r(seed) % 40 - 20;
	switch (kind) {
	case 0: /* Python repr of a float32 widened to double */
		snprintf(out, outsz, "%.17g", (double)(float)(x * pow(10, e)));
		break;
	case 1:
		snprintf(out, outsz, "%.*g", 1 + rand_r(seed) % 17, x * pow(10, e));
		break;
	case 2: /* 18-19 significant digits: beyond 2^53 */
		snprintf(out, outsz, "%.*e", 17 + rand_r(seed) % 2, x * pow(10, e));
		break;
	case 3:
		snprintf(out, outsz, "%d", rand_r(seed) - RAND_MAX / 2);
		break;
	case 4: /* digits beyond what the fast path holds */
		snprintf(out, outsz, "0.%09d%09d%09d", rand_r(seed) % 1000000000,
		         rand_r(seed) % 1000000000, rand_r(seed) % 1000000000);
		break;
	default: {
		/* Random digits around a point: many land near rounding midpoints. */
		char *p = out;
		int nd = 1 + rand_r(seed) % 19, dot = rand_r(seed) % (nd + 1);
		if (rand_r(seed) % 2)
			*p++ = '-';
		for (int i = 0; i < nd; i++) {
			if (i == dot)
				*p++ = '.';
			*p++ = (char)('0' + rand_r(seed) % 10);
		}
		*p = '\0';
		if (rand_r(seed) % 3 == 0)
			snprintf(p, outsz - (size_t)(p - out), "e%d", rand_r(seed) % 60 - 30);
	}
	}
}

static void test_numbers(void)
{
	unsigned seed = 12345;
	long mismatches = 0, refused = 0;
	char s[80];
	for (int i = 0; i < 300000; i++) {
		random_number(s, sizeof s, &seed);
		double want = strtod(s, NULL), got;
		if (!csv_number(s, strlen(s), &got)) {
			refused++;
			continue;
		}
		if (memcmp(&got, &want, sizeof got) != 0 && mismatches++ < 5)
			printf("# mismatch on %s: %.17g vs strtod %.17g\n", s, got, want);
	}
	INT_EQ(mismatches, 0, "csv_number equals strtod bit for bit on 300000 random numbers");
	INT_EQ(refused, 0, "csv_number takes every random number");

	/* The fast path of csv_next_numbers must agree too. */
	seed = 777;
	mismatches = 0;
	for (int i = 0; i < 100000; i++) {
		char row[100];
		random_number(s, sizeof s, &seed);
		snprintf(row, sizeof row, "%s,1\n", s);
		struct csv_parser cp;
		double v[2];
		unsigned char pr[2];
		csv_init(&cp, row, strlen(row), ',', 0);
		long n = csv_next_numbers(&cp, v, pr, 2);
		double want = strtod(s, NULL);
		if (n == 2 && memcmp(&v[0], &want, sizeof want) != 0 && mismatches++ < 5)
			printf("# fast mismatch on %s\n", s);
		csv_free(&cp);
	}
	INT_EQ(mismatches, 0, "fast row path equals strtod bit for bit");

	double v;
	OK(csv_number("nan", 3, &v) && isnan(v), "nan");
	OK(csv_number("-inf", 4, &v) && isinf(v) && v < 0, "-inf");
	OK(csv_number("Infinity", 8, &v) && isinf(v) && v > 0, "Infinity");
	OK(csv_number("1.0e-05", 7, &v) && v == 1e-05, "YAML-style exponent");
	OK(!csv_number("0x10", 4, &v), "hex refused");
	OK(!csv_number("1e", 2, &v), "bare exponent refused");
	OK(!csv_number(".", 1, &v), "lone point refused");
	OK(!csv_number("", 0, &v), "empty refused");
	OK(!csv_number("[1, 2]", 6, &v), "list refused");
	OK(!csv_number("nan(1)", 6, &v), "nan payload refused");
	int64_t k;
	OK(csv_int64("-42", 3, &k) && k == -42, "int");
	OK(csv_int64("12.0", 4, &k) && k == 12, "integral float as int");
	OK(!csv_int64("1.5", 3, &k), "fraction is not an int");
	OK(!csv_int64("99999999999999999999", 20, &k), "overflow refused");
}

static const struct series *find(const struct run *r, const char *key)
{
	return run_find_series(r, key);
}

static void test_lightning(void)
{
	/* Sorted header of newer Lightning, names with spaces, sparse rows,
	 * CRLF, a validation row repeating the training step, nan. */
	put("proj/lightning_logs/version_0/metrics.csv",
	    "Test MSE,Train loss,epoch,step,val_loss\r\n"
	    ",0.5,0,0,\r\n"
	    ",0.25,0,1,\r\n"
	    ",,0,1,0.75\r\n"
	    ",nan,1,2,\r\n"
	    "0.125,,1,2,\r\n");
	put("proj/lightning_logs/version_0/hparams.yaml",
	    "lr: 1.0e-05\nmodel:\n  hidden: 64\n  layers: [1, 2]\n"
	    "loss: !!python/object:neuralforecast.losses.pytorch.MAE\n  training: true\n");
	/* Older Lightning: step last; a bad step and a bad cell. */
	put("proj/lightning_logs/version_1/metrics.csv",
	    "epoch,test_loss,step\n0,1.5,10\n0,oops,11\n0,2.5,x\n\"1\",3.5,12\n");
	/* Pre-1.0 test-tube layout: no step, created_at, meta_tags.csv. */
	put("proj/lightning_logs/version_2/metrics.csv",
	    "train_loss,epoch,created_at\n0.5,0,2020-03-02 08:07:46.828321\n0.25,0,2020-03-02 08:07:47.000000\n");
	put("proj/lightning_logs/version_2/meta_tags.csv", "key,value\nlr,0.02\nhidden,\"[10, 10]\"\n");
	put("proj/other/readme.txt", "x\n");

	char *v0 = tp("proj/lightning_logs/version_0"), *logs = tp("proj/lightning_logs");
	char *v0m = tp("proj/lightning_logs/version_0/metrics.csv"), *other = tp("proj/other");
	INT_EQ(reader_lightning_csv.probe(v0) > 0, 1, "version folder claimed");
	INT_EQ(reader_lightning_csv.probe(logs), 0, "logger folder left to discovery");
	INT_EQ(reader_lightning_csv.probe(other), 0, "unrelated folder not claimed");
	INT_EQ(reader_lightning_csv.probe(v0m) > 0, 1, "metrics.csv given directly");

	struct got g;
	INT_EQ(read_with(&reader_lightning_csv, v0, &g), 1, "one run from a version folder");
	if (g.n == 1) {
		struct run *r = g.runs[0];
		STR_EQ(r->id, ".", "id of a store that is one run");
		STR_EQ(r->name, "version_0", "run name");
		STR_EQ(r->experiment_name, "proj", "experiment is the project folder");
		STR_EQ(r->format, "lightning-csv", "format");
		const struct series *s = find(r, "Train loss");
		OK(s && s->sum.count == 3, "column with a space: 3 points");
		OK(s && s->sum.nan_count == 1, "nan kept as NaN");
		s = find(r, "val_loss");
		OK(s && s->sum.count == 1 && s->pts[0].step == 1, "sparse validation row at the training step");
		s = find(r, "Test MSE");
		OK(s && s->sum.count == 1 && s->pts[0].value == 0.125, "test row");
		s = find(r, "epoch");
		OK(s && s->sum.last.value == 1, "epoch kept as a metric");
		OK(find(r, "step") == NULL, "step is the x axis, not a metric");
		STR_EQ(kvlist_get(&r->params, "lr"), "1.0e-05", "hparams scalar as written");
		STR_EQ(kvlist_get(&r->params, "model/hidden"), "64", "nested hparams joined by '/' as Lightning does");
		STR_EQ(kvlist_get(&r->params, "model/layers"), "[1, 2]", "list as text");
		const char *loss = kvlist_get(&r->params, "loss");
		OK(loss && strstr(loss, "!!python/object:neuralforecast") != NULL,
		   "python tag shown as text: %s", loss ? loss : "(none)");
	}
	got_free(&g);

	size_t before = diag_count();
	INT_EQ(read_with(&reader_lightning_csv, logs, &g), 3, "logger folder: every version");
	INT_EQ(diag_count() - before, 2, "bad step and bad cell reported");
	if (g.n == 3) {
		STR_EQ(g.runs[1]->id, "version_1", "ids are folder names below the store");
		const struct series *s = find(g.runs[1], "test_loss");
		OK(s && s->sum.count == 2, "bad rows skipped, good rows kept (%llu)",
		   s ? (unsigned long long)s->sum.count : 0ULL);
		OK(s && s->sum.last.step == 12, "quoted step read");
		struct run *r = g.runs[2];
		s = find(r, "train_loss");
		OK(s && s->sum.count == 2 && s->pts[1].step == 1, "legacy: row index as step");
		OK(s && s->pts[0].time_ms == INT64_C(1583136466828), "legacy created_at as time");
		STR_EQ(kvlist_get(&r->params, "hidden"), "[10, 10]", "meta_tags.csv params");
	}
	got_free(&g);
	free(v0);
	free(logs);
	free(v0m);
	free(other);
}

static void test_keras(void)
{
	/* Semicolon separator, NA, a list cell, append mode resuming at epoch 1. */
	put("keras/training.log",
	    "epoch;accuracy;loss;val_loss\r\n0;0.5;1.0;NA\r\n1;0.6;0.8;0.9\r\n2;0.7;0.7;\"[1, 2]\"\r\n"
	    "1;0.65;0.75;0.85\r\n2;0.75;0.6;0.7\r\n");
	put("keras/logs.csv", "epoch, loss, acc\n1, 0.5, 0.25\n2, 0.4, 0.5\n");
	put("keras/steps.csv", "epoch,step,loss\n0,0,1\n");
	char *a = tp("keras/training.log"), *b = tp("keras/logs.csv"), *c = tp("keras/steps.csv");
	OK(reader_keras_csv.probe(a) > 0, "CSVLogger file claimed");
	OK(reader_keras_csv.probe(c) == 0, "a file with a step column is not Keras");
	struct got g;
	INT_EQ(read_with(&reader_keras_csv, a, &g), 1, "one run");
	if (g.n == 1) {
		struct run *r = g.runs[0];
		const struct series *s = find(r, "loss");
		OK(s && s->sum.count == 3, "append mode: later rows replace earlier epochs");
		OK(s && s->pts[1].value == 0.75 && s->pts[2].value == 0.6, "resumed values win");
		OK(s && s->dropped == 2, "replaced points counted as dropped");
		s = find(r, "val_loss");
		OK(s && s->sum.count == 2, "NA and list cell skipped, resumed epoch replaced");
		OK(find(r, "epoch") == NULL, "epoch is the step");
		STR_EQ(kvlist_get(&r->extras, "resumed"), "1", "resume counted");
		STR_EQ(r->name, "training", "name from the file");
	}
	got_free(&g);
	INT_EQ(read_with(&reader_keras_csv, b, &g), 1, "comma-space file");
	if (g.n == 1) {
		const struct series *s = find(g.runs[0], "acc");
		OK(s && s->sum.count == 2 && s->sum.last.step == 2, "comma-space columns");
	}
	got_free(&g);
	free(a);
	free(b);
	free(c);
}

static void test_plain(void)
{
	put("plain/run.csv", "step,time,loss\n0,1700000000.5,1\n1,1700000001,0.5\n");
	put("plain/sub/run.jsonl",
	    "{\"step\": 0, \"loss\": NaN, \"acc\": \"0.5\"}\n\nnot json\n{\"step\": 1, \"loss\": 2}\n");
	put("plain/nostep.csv", "a,b\n1,2\n");
	char *d = tp("plain"), *f = tp("plain/run.csv");
	OK(reader_plain_csv.probe(f) == 0, "plain CSV is never claimed by probing");
	struct got g;
	size_t before = diag_count();
	INT_EQ(read_with(&reader_plain_csv, d, &g), 2, "folder: one run per file with a step");
	OK(diag_count() - before == 2, "no-step file and bad line reported");
	if (g.n == 2) {
		STR_EQ(g.runs[0]->id, "run.csv", "id is the file below the store");
		const struct series *s = find(g.runs[0], "loss");
		OK(s && s->n == 2 && s->pts[0].time_ms == INT64_C(1700000000500), "seconds as ms");
		s = find(g.runs[1], "loss");
		OK(s && s->sum.nan_count == 1 && s->sum.count == 2, "JSONL with bare NaN");
		s = find(g.runs[1], "acc");
		OK(s && s->sum.count == 1, "numeric string value read");
	}
	got_free(&g);
	free(d);
	free(f);
}

/* The header columns of a CSV file (first line), separated by sep. */
static size_t header_cols(const char *path, char cols[][64], size_t max)
{
	char *line = csv_first_line(path, 65536);
	size_t n = 0;
	if (!line)
		return 0;
	int trim;
	char sep = csv_sniff_sep(line, line + strlen(line), &trim);
	struct csv_parser cp;
	csv_init(&cp, line, strlen(line), sep, 1);
	csv_next(&cp);
	for (size_t i = 0; i < cp.nfields && n < max; i++)
		snprintf(cols[n++], 64, "%s", cp.fields[i].s);
	csv_free(&cp);
	free(line);
	return n;
}

/* Whether column col of the CSV at path holds any non-empty cell. */
static int column_has_value(const char *path, size_t col)
{
	struct buf b = BUF_INIT;
	int found = 0;
	if (!read_file(path, &b, 1 << 26))
		return 0;
	struct csv_parser cp;
	csv_init(&cp, b.data, b.size, ',', 1);
	csv_next(&cp);
	while (!found && csv_next(&cp))
		found = col < cp.nfields && cp.fields[col].len > 0 && strcmp(cp.fields[col].s, "NA") != 0;
	csv_free(&cp);
	buf_free(&b);
	return found;
}

static void test_corpus(void)
{
	const char *roots[] = {"../shared/corpus/lightning-csv/ai-for-chemistry/lightning_logs",
	                       "../shared/corpus/lightning-csv/mlops-homework/lightning_logs"};
	struct stat st;
	if (stat(roots[0], &st) != 0) {
		SKIP("../shared/corpus not found");
		return;
	}
	size_t versions = 0, missing = 0, warned = 0;
	for (size_t k = 0; k < 2; k++) {
		size_t n;
		char **names = list_dir_sorted(roots[k], &n);
		for (size_t i = 0; names && i < n; i++) {
			char *dir = path_join(roots[k], names[i]);
			char *m = path_join(dir, "metrics.csv");
			if (!reader_lightning_csv.probe(dir)) {
				free(dir);
				free(m);
				continue;
			}
			versions++;
			struct got g;
			size_t before = diag_count();
			long rc = read_with(&reader_lightning_csv, dir, &g);
			warned += diag_count() - before;
			char cols[64][64];
			size_t nc = header_cols(m, cols, 64);
			for (size_t c = 0; rc == 1 && g.n == 1 && c < nc; c++) {
				if (strcmp(cols[c], "step") == 0 || !column_has_value(m, c))
					continue;
				const struct series *s = find(g.runs[0], cols[c]);
				if (!s || s->sum.count == 0) {
					missing++;
					printf("# %s: column %s not read\n", dir, cols[c]);
				}
			}
			if (rc != 1)
				missing++;
			got_free(&g);
			free(dir);
			free(m);
		}
		free_names(names, n);
	}
	INT_EQ(versions, 32, "every corpus version folder is claimed");
	INT_EQ(missing, 0, "every corpus metric column is read");
	INT_EQ(warned, 0, "corpus reads without warnings");

	const char *kh = "../shared/corpus/keras-history/example-dvc-experiments/logs.csv";
	OK(reader_keras_csv.probe(kh) > 0, "Keras history dump claimed");
	struct got g;
	INT_EQ(read_with(&reader_keras_csv, kh, &g), 1, "Keras history dump read");
	if (g.n == 1) {
		char cols[64][64];
		size_t nc = header_cols(kh, cols, 64), found = 0;
		for (size_t c = 1; c < nc; c++)
			found += find(g.runs[0], cols[c]) != NULL && find(g.runs[0], cols[c])->sum.count == 1;
		INT_EQ(found, nc - 1, "every Keras column read");
		const struct series *s = find(g.runs[0], "val_false_negatives");
		OK(s && s->pts[0].value == 1802.0 && s->pts[0].step == 1, "last column value and epoch");
	}
	got_free(&g);
}

int main(void)
{
	fixture_init("csvtest");
	test_tokenizer();
	test_numbers();
	test_lightning();
	test_keras();
	test_plain();
	test_corpus();
	rm_tree(tmpdir);
	return TEST_END();
}
