/* test_mlflow_file.c — the MLflow FileStore reader: number and line parsing
 * (bit-exact against strtod), meta.yaml, and whole stores built here in a
 * temporary folder with every quirk the format reference lists; then the
 * real stores in ../shared/corpus checked against a simple sscanf reading. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runsite/diag.h"
#include "runsite/reader.h"
#include "runsite/util.h"
#include "../../src/readers/mlflow_text.h"
#include "harness.h"

extern const struct reader reader_mlflow_file;

/* ---- helpers ---------------------------------------------------------- */

static char tmp_root[256];

/* Creates every folder above path. */
static void mkparents(const char *path)
{
	char *p = xstrdup(path);
	for (char *s = p + 1; *s; s++) {
		if (*s == '/') {
			*s = '\0';
			mkdir(p, 0755);
			*s = '/';
		}
	}
	free(p);
}

/* Writes len bytes to tmp_root/rel, creating folders. */
static void put_n(const char *rel, const char *data, size_t len)
{
	char *path = path_join(tmp_root, rel);
	mkparents(path);
	FILE *f = fopen(path, "wb");
	if (!f) {
		perror(path);
		exit(1);
	}
	fwrite(data, 1, len, f);
	fclose(f);
	free(path);
}

static void put(const char *rel, const char *text)
{
	put_n(rel, text, strlen(text));
}

static void mkdir_rel(const char *rel)
{
	char *path = xasprintf("%s/%s/", tmp_root, rel);
	mkparents(path);
	free(path);
}

/* A listing of every entry below dir with type, size, mode, mtime and a
 * hash of the contents, to show the reader changed nothing. */
static void snapshot(const char *dir, struct buf *out)
{
	DIR *d = opendir(dir);
	if (!d)
		return;
	char **names = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		GROW(names, cap, n + 1);
		names[n++] = xstrdup(de->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof *names, cmp_strp);
	for (size_t i = 0; i < n; i++) {
		char *p = path_join(dir, names[i]);
		struct stat st;
		if (strcmp(names[i], "..") != 0 && lstat(p, &st) == 0) {
			uint64_t h = 1469598103934665603u;
			if (S_ISREG(st.st_mode)) {
				struct buf b = BUF_INIT;
				if (read_file(p, &b, 1u << 30))
					for (size_t k = 0; k < b.size; k++)
						h = (h ^ (unsigned char)b.data[k]) * 1099511628211u;
				buf_free(&b);
			}
			buf_printf(out, "%s %o %lld %lld.%09ld %016" PRIx64 "\n", p, st.st_mode,
			           (long long)st.st_size, (long long)st.st_mtim.tv_sec,
			           st.st_mtim.tv_nsec, h);
			if (S_ISDIR(st.st_mode) && strcmp(names[i], ".") != 0)
				snapshot(p, out);
		}
		free(p);
		free(names[i]);
	}
	free(names);
}

/* Captures stderr (the warnings) into a temporary file between calls. */
static int saved_err = -1;
static char cap_path[300];

static void capture_begin(void)
{
	fflush(stderr);
	snprintf(cap_path, sizeof cap_path, "%s.stderr", tmp_root);
	int fd = open(cap_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	saved_err = dup(2);
	dup2(fd, 2);
	close(fd);
}

/* Ends the capture; returns what was written (caller frees) and echoes it. */
static char *capture_end(void)
{
	fflush(stderr);
	dup2(saved_err, 2);
	close(saved_err);
	struct buf b = BUF_INIT;
	read_file(cap_path, &b, 1u << 24);
	unlink(cap_path);
	fputs(buf_cstr(&b), stderr);
	char *s = buf_detach(&b);
	return s ? s : xstrdup("");
}

/* A sink that keeps everything it is given. */
struct got {
	struct experiment *exps[32];
	size_t nexps;
	struct run *runs[64];
	size_t nruns;
	char order[4096]; /* "E:id R:id ..." in delivery order */
	int stop_after;   /* > 0: ask to stop after this many runs */
};

static void got_exp(void *ctx, struct experiment *e)
{
	struct got *g = ctx;
	snprintf(g->order + strlen(g->order), sizeof g->order - strlen(g->order), "E:%s ", e->id);
	if (g->nexps < 32)
		g->exps[g->nexps++] = e;
	else
		experiment_free(e);
}

static int got_run(void *ctx, struct run *r)
{
	struct got *g = ctx;
	snprintf(g->order + strlen(g->order), sizeof g->order - strlen(g->order), "R:%s ", r->id);
	if (g->nruns < 64)
		g->runs[g->nruns++] = r;
	else
		run_free(r);
	return !(g->stop_after && (int)g->nruns >= g->stop_after);
}

static void got_free(struct got *g)
{
	for (size_t i = 0; i < g->nexps; i++)
		experiment_free(g->exps[i]);
	for (size_t i = 0; i < g->nruns; i++)
		run_free(g->runs[i]);
	memset(g, 0, sizeof *g);
}

static long read_jobs(const char *path, bool deleted, int jobs, struct got *g)
{
	struct reader_opts o = {.include_deleted = deleted, .dec_buckets = 50, .jobs = jobs};
	struct run_sink s = {g, got_exp, got_run, NULL};
	return reader_mlflow_file.read(path, &o, &s);
}

static long read_into(const char *path, bool deleted, struct got *g)
{
	return read_jobs(path, deleted, 0, g);
}

static struct run *find_run(struct got *g, const char *id)
{
	for (size_t i = 0; i < g->nruns; i++)
		if (strcmp(g->runs[i]->id, id) == 0)
			return g->runs[i];
	return NULL;
}

static struct experiment *find_exp(struct got *g, const char *id)
{
	for (size_t i = 0; i < g->nexps; i++)
		if (strcmp(g->exps[i]->id, id) == 0)
			return g->exps[i];
	return NULL;
}

/* ---- numbers ---------------------------------------------------------- */

static uint64_t rng_state = 88172645463325252u;

static uint64_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

/* Whether the parser gives strtod's bits for text. */
static int same_as_strtod(const char *text)
{
	double want = strtod(text, NULL), got = -12345.0;
	if (!mlflow_parse_double(text, text + strlen(text), &got))
		return 0;
	return memcmp(&want, &got, sizeof want) == 0;
}

static int parse_text(const char *t, double *v)
{
	return mlflow_parse_double(t, t + strlen(t), v);
}

static void test_numbers(void)
{
	static const char *const fixed[] = {
		"0", "0.0", "-0.0", "1", "122", "0.5", "1e-05", "1.5e+20", "2.302585092994046",
		"0.0026499997384554917", "9007199254740993", "9007199254740992", "9007199254740995",
		"1e23", "8.988465674311579e+307", "2.2250738585072014e-308", "4.9e-324",
		"1.7976931348623157e+308", "1e400", "1e-400", "123456789012345678901234567890",
		"0.30000000000000004", "-3.0e-7", "5e-324", ".5", "5.", "+1.25", "1E5",
		"0.000000000000000000000000000001234567890123456789", "7.2057594037927933e16",
		"1000000000000000000000000", "99999999999999999999", "18446744073709551615",
		"18446744073709551616", "0.1", "0.2", "0.7", "3.14159265358979323846264338327950288",
		"1.00000000000000011102230246251565404236316680908203125",
		"1.00000000000000011102230246251565404236316680908203124",
		"1.00000000000000011102230246251565404236316680908203126",
	};
	int bad = 0;
	for (size_t i = 0; i < sizeof fixed / sizeof *fixed; i++)
		if (!same_as_strtod(fixed[i])) {
			bad++;
			printf("# differs from strtod: %s\n", fixed[i]);
		}
	INT_EQ(bad, 0, "fixed numbers equal strtod bit for bit");

	/* Random doubles as Python's repr and other printf shapes write them,
	 * and random digit strings that land on the extended-precision path. */
	char text[64];
	bad = 0;
	for (int i = 0; i < 300000; i++) {
		uint64_t bits = rnd();
		double d;
		switch (i % 6) {
		case 0:
			memcpy(&d, &bits, sizeof d);
			if (!isfinite(d))
				continue;
			snprintf(text, sizeof text, "%.17g", d);
			break;
		case 1:
			d = (double)(bits >> 11) / 9007199254740992.0 * pow(10, (int)(rnd() % 40) - 20);
			snprintf(text, sizeof text, "%.*g", 1 + (int)(rnd() % 17), d);
			break;
		case 2:
			d = (double)(bits >> 11) / 9007199254740992.0 * 1000;
			snprintf(text, sizeof text, "%.*f", (int)(rnd() % 21), d);
			break;
		case 3:
			snprintf(text, sizeof text, "%" PRIu64 "e%d", bits % 10000000000000000000u,
			         (int)(rnd() % 161) - 80);
			break;
		case 4:
			snprintf(text, sizeof text, "0.%017" PRIu64, bits % 100000000000000000u);
			break;
		default:
			/* Near the halfway points between doubles: 2^53 + odd, scaled. */
			snprintf(text, sizeof text, "%" PRIu64 "e-%d",
			         (UINT64_C(1) << 53) + ((bits % 1000) | 1) * 1024 + 512,
			         (int)(rnd() % 25));
			break;
		}
		if (!same_as_strtod(text)) {
			if (bad++ < 5)
				printf("# differs from strtod: %s\n", text);
		}
	}
	INT_EQ(bad, 0, "300000 random numbers equal strtod bit for bit");

	/* Every power of ten the fast path tabulates (and a little beyond), with
	 * mantissas of every width, including those near halfway points. */
	static const uint64_t mans[] = {
		1, 2, 3, 5, 7, 9, 10, 11, 99, 100, 123, 999, 1000,
		(UINT64_C(1) << 52) - 1, UINT64_C(1) << 52, (UINT64_C(1) << 52) + 1,
		(UINT64_C(1) << 53) - 1, UINT64_C(1) << 53, 9007199254740993u, 9999999999999999u,
		12345678901234567u, (UINT64_C(1) << 63) - 1, UINT64_C(1) << 63,
		9999999999999999999u, 4611686018427387904u, 1844674407370955161u,
	};
	bad = 0;
	for (int e = -80; e <= 80; e++)
		for (size_t k = 0; k < sizeof mans / sizeof *mans; k++) {
			snprintf(text, sizeof text, "%" PRIu64 "e%d", mans[k], e);
			if (!same_as_strtod(text) && bad++ < 5)
				printf("# differs from strtod: %s\n", text);
			snprintf(text, sizeof text, "-%" PRIu64 "e%d", mans[k] + (rnd() % 7), e);
			if (!same_as_strtod(text) && bad++ < 5)
				printf("# differs from strtod: %s\n", text);
		}
	INT_EQ(bad, 0, "mantissa x power-of-ten sweep equals strtod bit for bit");

	double v = 0;
	OK(parse_text("nan", &v) && isnan(v), "nan");
	OK(parse_text("inf", &v) && isinf(v) && v > 0, "inf");
	OK(parse_text("-inf", &v) && isinf(v) && v < 0, "-inf");
	OK(parse_text("True", &v) && v == 1.0, "True is 1");
	OK(parse_text("False", &v) && v == 0.0, "False is 0");
	static const char *const notnum[] = {"", "-", ".", "abc", "1.5x", "0x10", "1e", "1e+",
	                                     "1 2", " 1", "--1", "1..2"};
	for (size_t i = 0; i < sizeof notnum / sizeof *notnum; i++)
		OK(!mlflow_parse_double(notnum[i], notnum[i] + strlen(notnum[i]), &v),
		   "\"%s\" is not a number", notnum[i]);

	int64_t n = 0;
	const char *t = "9223372036854775807";
	OK(mlflow_parse_int(t, t + strlen(t), &n) && n == INT64_MAX, "INT64_MAX");
	t = "-9223372036854775808";
	OK(mlflow_parse_int(t, t + strlen(t), &n) && n == INT64_MIN, "INT64_MIN");
	t = "9223372036854775808";
	OK(!mlflow_parse_int(t, t + strlen(t), &n), "overflow refused");
	t = "12a";
	OK(!mlflow_parse_int(t, t + strlen(t), &n), "12a refused");
	t = "-";
	OK(!mlflow_parse_int(t, t + 1, &n), "- refused");
}

/* ---- metric lines ----------------------------------------------------- */

static void test_lines(void)
{
	struct point pt;
	const char *l;
#define LINE(s) (l = (s), mlflow_metric_line(l, l + strlen(l), &pt))
	INT_EQ(LINE("1700000000000 0.5 3"), MLFLOW_LINE_OK, "3 fields");
	INT_EQ(pt.time_ms, 1700000000000, "ts");
	DBL_EQ(pt.value, 0.5, "value");
	INT_EQ(pt.step, 3, "step");
	INT_EQ(LINE("1700000000000 2.5"), MLFLOW_LINE_OK, "2 fields");
	INT_EQ(pt.step, 0, "2 fields: step 0");
	INT_EQ(LINE("1700000000000 1e-05 -1 train_ds abc123"), MLFLOW_LINE_OK, "5 fields");
	INT_EQ(pt.step, -1, "negative step");
	DBL_EQ(pt.value, 1e-05, "1e-05");
	INT_EQ(LINE("1 2 3 my data set d1g"), MLFLOW_LINE_OK, "dataset name with a space");
	INT_EQ(LINE("1 2 3 run_id"), MLFLOW_LINE_FIELDS, "4 fields");
	INT_EQ(LINE("garbage"), MLFLOW_LINE_FIELDS, "1 field");
	INT_EQ(LINE("x 2 3"), MLFLOW_LINE_TIME, "bad timestamp");
	INT_EQ(LINE("1 y 3"), MLFLOW_LINE_VALUE, "bad value");
	INT_EQ(LINE("1 2 1.5"), MLFLOW_LINE_STEP, "step not an integer");
	INT_EQ(LINE("  \r"), MLFLOW_LINE_EMPTY, "blank");
	INT_EQ(LINE("5 nan 7\r"), MLFLOW_LINE_OK, "CR before the newline");
	OK(isnan(pt.value), "nan value");
	INT_EQ(pt.step, 7, "step before CR");
	INT_EQ(LINE("5 -inf 7"), MLFLOW_LINE_OK, "-inf");
	OK(isinf(pt.value) && pt.value < 0, "-inf value");
	INT_EQ(LINE("5 True 7"), MLFLOW_LINE_OK, "True");
	DBL_EQ(pt.value, 1.0, "True value");
#undef LINE
}

/* Appends to b a random field of kind k: 0 a timestamp, 1 a value, 2 a step,
 * each mostly the usual shape, sometimes a near miss of it (too many digits,
 * a sign, an exponent, a stray byte) that the fast paths must leave to the
 * general parser. */
static void random_field(struct buf *b, int k)
{
	static const char *const odd[] = {"nan", "-inf", "Infinity", "True", "1e5", "+3", "-0",
	                                  "0x10", ".5", "5.", "1_0", "007", "9.9e999", "\r"};
	unsigned r = (unsigned)(test_rnd() % 16);
	if (r == 0) {
		buf_puts(b, odd[test_rnd() % (sizeof odd / sizeof odd[0])]);
		return;
	}
	if (k == 1 && r == 3) {
		/* exactly a binary fraction k / 2^e, written out in full as Python
		 * writes float32 values: Eisel-Lemire cannot decide those */
		int e = 1 + (int)(test_rnd() % 18);
		buf_printf(b, "%.*f", e, (double)(test_rnd() % (UINT64_C(1) << e)) / (double)(UINT64_C(1) << e));
		return;
	}
	if (k == 1 || r == 1) {
		if (test_rnd() % 4 == 0)
			buf_putc(b, '-');
		buf_putc(b, (char)('0' + test_rnd() % 10));
		buf_putc(b, '.');
		int nf = (int)(test_rnd() % 21);
		for (int i = 0; i < nf; i++)
			buf_putc(b, (char)('0' + test_rnd() % 10));
		if (test_rnd() % 4 == 0)
			buf_printf(b, "e%s%0*d", test_rnd() % 2 ? "-" : "+", (int)(test_rnd() % 4),
			           (int)(test_rnd() % 400));
		return;
	}
	if (k == 2 && test_rnd() % 4 == 0)
		buf_putc(b, '-');
	int nd = (int)(test_rnd() % (k == 0 ? 20 : 11)) + (r == 2 ? 0 : 1);
	for (int i = 0; i < nd; i++)
		buf_putc(b, (char)('0' + test_rnd() % 10));
}

/* The points of text read as a file with path simd, against its lines read
 * one by one by mlflow_metric_line; *n, if not NULL, gets how many parse. */
static int same_as_general(const char *text, size_t len, int simd, size_t *n)
{
	struct series whole = {0}, lines = {0};
	struct mlflow_metrics m = {0};
	m.path = "lines";
	mlflow_metrics_simd(simd);
	diag_set_quiet(1);
	mlflow_metrics_parse(&m, text, len, true, &whole);
	diag_set_quiet(0);
	mlflow_metrics_simd(-1);
	const char *p = text, *end = text + len;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		struct point pt;
		if (mlflow_metric_line(p, nl, &pt) == MLFLOW_LINE_OK) {
			GROW(lines.pts, lines.cap, lines.n + 1);
			lines.pts[lines.n++] = pt;
		}
		p = nl + 1;
	}
	if (n)
		*n = lines.n;
	int same = whole.n == lines.n &&
	           (whole.n == 0 || memcmp(whole.pts, lines.pts, whole.n * sizeof *whole.pts) == 0);
	free(whole.pts);
	free(lines.pts);
	return same;
}

/* Random lines of the usual shape and near misses of it, parsed as a file
 * (the word-at-a-time fast paths, and the usual lines' path simd: one of
 * MLFLOW_SIMD_*) and one by one by mlflow_metric_line: the same points. */
static void test_fast_lines_with(int simd)
{
	struct buf b = BUF_INIT;
	for (int i = 0; i < 60000; i++) {
		if (test_rnd() % 2) /* the usual milliseconds: lines in a row begin alike */
			buf_printf(&b, "1709280%0*u", (int)(test_rnd() % 9),
			           (unsigned)(test_rnd() % 100000000));
		else
			random_field(&b, 0);
		buf_putc(&b, ' ');
		random_field(&b, 1);
		if (test_rnd() % 8) {
			buf_putc(&b, ' ');
			random_field(&b, 2);
		}
		if (test_rnd() % 32 == 0)
			buf_puts(&b, test_rnd() % 2 ? " ds d1g" : " x");
		buf_puts(&b, test_rnd() % 64 ? "\n" : "\r\n");
	}
	size_t n = 0;
	int same = same_as_general(b.data, b.size, simd, &n);
	OK(n > 30000 && n < 60000, "most lines parse, not all (%zu)", n);
	OK(same, "a file of them gives the points of the general parser, line by line");
	buf_free(&b);
}

/* Each path this CPU has; the ones it lacks are said, not passed silently. */
static void test_fast_lines(void)
{
	int best = mlflow_metrics_simd(-1);
	for (int simd = MLFLOW_SIMD_NONE; simd <= MLFLOW_SIMD_AVX512; simd++) {
		if (simd > best) {
			printf("# test_fast_lines: this CPU has no path %d; not tested here\n", simd);
			continue;
		}
		OK(mlflow_metrics_simd(simd) == simd, "path %d taken", simd);
		test_fast_lines_with(simd);
	}
}


/* The AVX-512 path reads the usual lines two at a time, the second one's
 * end found in the two spans of 64 bytes from the first's start: one
 * unusual line at each place in a run of usual ones (first or second of
 * a pair, in a batch or at its end, near the end of the text), with lines
 * short enough that a span holds both newlines and long enough that it
 * holds none, give the same points as the general parser. */
static void test_line_pairs(void)
{
	static const char *usual[] = {
		"123456789 1.5 1\n",                                        /* 16 bytes */
		"1709280040143 -2.3920865058898926 -7\n",
		"170928004014312 9.123456789012345678 12345678\n",          /* the longest */
		"1709280040534 2.6056571006774902 1\n",
	};
	static const char *unusual[] = {
		"1709280040534 nan 2\n",
		"1709280040534 2.5e-3 2\n",
		"1709280040534 2.60565710067749021234 1\n",                 /* 20 digits */
		"1709280040534 2.6056571006774902 1 ds d1g\n",
		"\n",
		"1709280040534  2.6 1\n",
		"12345678901234567890123456789012345678901234567890123456789012345 1.5 1\n",
	};
	int best = mlflow_metrics_simd(-1), bad = 0, cases = 0;
	struct buf b = BUF_INIT;
	for (size_t kind = 0; kind < sizeof unusual / sizeof *unusual; kind++) {
		for (size_t mix = 0; mix < 3; mix++) {
			for (int at = 0; at < 40; at++) {
				b.size = 0;
				for (int i = 0; i < 40; i++) {
					/* mix 0: all short; 1: all long; 2: the four kinds in turn */
					size_t u = mix == 0 ? 0 : mix == 1 ? 2 : (size_t)i % 4;
					buf_puts(&b, i == at ? unusual[kind] : usual[u]);
				}
				for (int simd = MLFLOW_SIMD_NONE; simd <= best; simd++) {
					cases++;
					bad += !same_as_general(b.data, b.size, simd, NULL);
				}
			}
		}
	}
	OK(bad == 0, "one unusual line anywhere among usual ones: the general parser's points "
	   "(%d of %d cases differ)", bad, cases);
	buf_free(&b);
}

/* Parsing text whole and in two pieces split at every position gives the
 * same points and the same warnings count. */
static void test_chunks(void)
{
	const char *text = "1 0.5 0\n2 1e-05 1\r\n3 nan 2 ds d1\n\n4 5\nbad line here x\n"
	                   "6 -inf 3\n7 0.30000000000000004 4\n8 9";
	size_t len = strlen(text);
	struct series whole = {0};
	struct mlflow_metrics m = {0};
	m.path = "whole";
	diag_set_quiet(1);
	size_t used = mlflow_metrics_parse(&m, text, len, true, &whole);
	INT_EQ(used, len, "final parse consumes everything");
	INT_EQ(whole.n, 7, "points in the text");
	INT_EQ(m.bad, 1, "one bad line");
	INT_EQ(m.line, 9, "lines counted");
	OK(!m.partial, "a parsable last line is not partial");
	int mismatches = 0;
	for (size_t cut = 0; cut <= len; cut++) {
		struct series s = {0};
		struct mlflow_metrics mc = {0};
		mc.path = "chunked";
		char *buf = xmalloc(len + 1);
		memcpy(buf, text, cut);
		size_t u = mlflow_metrics_parse(&mc, buf, cut, false, &s);
		size_t rest = cut - u;
		memmove(buf, buf + u, rest);
		memcpy(buf + rest, text + cut, len - cut);
		mlflow_metrics_parse(&mc, buf, rest + len - cut, true, &s);
		if (s.n != whole.n || mc.bad != m.bad || mc.line != m.line ||
		    memcmp(s.pts, whole.pts, s.n * sizeof *s.pts) != 0)
			mismatches++;
		free(buf);
		free(s.pts);
	}
	INT_EQ(mismatches, 0, "chunked parse equals the whole parse at every split");
	free(whole.pts);

	struct series s = {0};
	struct mlflow_metrics mp = {0};
	mp.path = "partial";
	const char *w = "1 0.5 0\n2 0.2";
	mlflow_metrics_parse(&mp, w, strlen(w), true, &s);
	INT_EQ(s.n, 2, "a parsable last line without newline is kept");
	const char *w2 = "1 0.5 0\n2 0.";
	s.n = 0;
	mp = (struct mlflow_metrics){0};
	mp.path = "partial";
	mlflow_metrics_parse(&mp, w2, strlen(w2), true, &s);
	INT_EQ(s.n, 2, "\"2 0.\" is still a number");
	const char *w3 = "1 0.5 0\n2 0.1 ";
	s.n = 0;
	mp = (struct mlflow_metrics){0};
	mp.path = "partial";
	mlflow_metrics_parse(&mp, w3, strlen(w3), true, &s);
	INT_EQ(s.n, 2, "trailing space stripped, as Python's strip()");
	const char *w4 = "1 0.5 0\n17000";
	s.n = 0;
	mp = (struct mlflow_metrics){0};
	mp.path = "partial";
	mlflow_metrics_parse(&mp, w4, strlen(w4), true, &s);
	INT_EQ(s.n, 1, "a half-written last line is left out");
	OK(mp.partial && mp.bad == 0, "and noted as partial, not as a bad line");
	free(s.pts);
	diag_set_quiet(0);
}

/* ---- meta.yaml -------------------------------------------------------- */

static void test_yaml(void)
{
	struct kvlist kv = {0};
	const char *old = "artifact_location: file:///tmp/mlruns/1\nexperiment_id: 1\n"
	                  "lifecycle_stage: active\nname: ''\nrun_uuid: abc\nend_time: null\n"
	                  "tags: []\nstatus: 3\n";
	INT_EQ(mlflow_yaml_parse(old, strlen(old), "old.yaml", &kv), 1, "1.26 meta parses");
	STR_EQ(kvlist_get(&kv, "experiment_id"), "1", "int experiment_id as text");
	STR_EQ(kvlist_get(&kv, "name"), "", "quoted empty name");
	OK(kvlist_get(&kv, "end_time") == NULL, "null left out");
	OK(kvlist_get(&kv, "tags") == NULL, "[] left out");
	STR_EQ(kvlist_get(&kv, "status"), "3", "status");
	kvlist_free(&kv);

	const char *folded = "artifact_location: file:///home/user/some very long folder name with "
	                     "spaces in it/and another\n  directory/mlruns/5\nname: \"quoted \\\"x\\\"\"\n";
	INT_EQ(mlflow_yaml_parse(folded, strlen(folded), "f.yaml", &kv), 1, "folded parses");
	STR_EQ(kvlist_get(&kv, "artifact_location"),
	       "file:///home/user/some very long folder name with spaces in it/and another "
	       "directory/mlruns/5",
	       "folded plain scalar joined with one space");
	STR_EQ(kvlist_get(&kv, "name"), "quoted \"x\"", "double-quoted escapes");
	kvlist_free(&kv);

	const char *input = "destination_id: x\nsource_id: d1\nsource_type: DATASET\n"
	                    "tags:\n  mlflow.data.context: train\n  other: 1\nz: {}\nw: [1, [2]]\n";
	INT_EQ(mlflow_yaml_parse(input, strlen(input), "i.yaml", &kv), 1, "input meta parses");
	STR_EQ(kvlist_get(&kv, "tags/mlflow.data.context"), "train", "nested tags flattened");
	STR_EQ(kvlist_get(&kv, "tags/other"), "1", "second nested key");
	STR_EQ(kvlist_get(&kv, "source_id"), "d1", "key before the nested map");
	OK(kvlist_get(&kv, "w") == NULL && kvlist_get(&kv, "z") == NULL, "collections left out");
	kvlist_free(&kv);

	/* Nested past the depth limit: the parse stops there, what came before kept. */
	struct buf deep = BUF_INIT;
	buf_puts(&deep, "run_id: r1\ntags: ");
	for (int i = 0; i < 200; i++)
		buf_puts(&deep, "[");
	for (int i = 0; i < 200; i++)
		buf_puts(&deep, "]");
	buf_puts(&deep, "\nstatus: 3\n");
	capture_begin();
	INT_EQ(mlflow_yaml_parse(deep.data, deep.size, "deep.yaml", &kv), 1, "deep meta parses");
	char *derr = capture_end();
	OK(strstr(derr, "deep.yaml:2: YAML nested deeper than 64 levels") != NULL,
	   "depth limit reported: %s", derr);
	STR_EQ(kvlist_get(&kv, "run_id"), "r1", "the key before the deep value kept");
	OK(kvlist_get(&kv, "status") == NULL, "parsing stopped at the depth limit");
	free(derr);
	buf_free(&deep);
	kvlist_free(&kv);

	capture_begin();
	const char *bad = "name: [unclosed\nfoo: bar\n";
	int rc = mlflow_yaml_parse(bad, strlen(bad), "bad.yaml", &kv);
	char *err = capture_end();
	INT_EQ(rc, -1, "not YAML");
	OK(strstr(err, "bad.yaml:") != NULL && strstr(err, "not valid YAML"),
	   "warning names the file and line: %s", err);
	free(err);
	kvlist_free(&kv);

	capture_begin();
	const char *scalar = "just some text\n";
	rc = mlflow_yaml_parse(scalar, strlen(scalar), "s.yaml", &kv);
	err = capture_end();
	INT_EQ(rc, -1, "a scalar document is not a meta.yaml");
	OK(strstr(err, "s.yaml:1: expected a YAML mapping") != NULL, "scalar warning: %s", err);
	free(err);
	INT_EQ(mlflow_yaml_parse("", 0, "e.yaml", &kv), 0, "empty document");
	INT_EQ(mlflow_yaml_parse("# only a comment\n", 17, "c.yaml", &kv), 0, "comment only");
	kvlist_free(&kv);
}

/* ---- whole stores ----------------------------------------------------- */

#define EXP3 "312361137540803376"
#define RUN3 "a9522eda07a342a3879a4398bfa32574"
#define RUN1 "5f716598a71f4977bc7f3ab107824f1b"
#define RUNDEL "d5ad10ec6cca43f3b8dc310ae36f6e1e"
#define RUNTRASH "bb2298bf5bc04646ba11d336a4225ceb"
#define RUNBAD "e47a29189d684ab3b91021aef611f267"
#define RUNRUN "0e1e5c6ea344493185d42506905a33b9"

/* Builds a store with MLflow 1.26, 2.x and 3.x shapes and every quirk. */
static void build_store(void)
{
	/* Default experiment, 1.26 style: int experiment_id, one run with name '',
	 * run_uuid, no run_id, 2-field lines. */
	put("mlruns/0/meta.yaml", "artifact_location: file:///home/u/mlruns/0\nexperiment_id: 0\n"
	                          "lifecycle_stage: active\nname: Default\n");
	put("mlruns/0/" RUN1 "/meta.yaml",
	    "artifact_uri: file:///home/u/mlruns/0/" RUN1 "/artifacts\nend_time: 1650000009000\n"
	    "entry_point_name: ''\nexperiment_id: '0'\nlifecycle_stage: active\nname: ''\n"
	    "run_id: " RUN1 "\nrun_uuid: " RUN1 "\nsource_name: ''\nsource_type: 4\n"
	    "source_version: ''\nstart_time: 1650000000000\nstatus: 3\ntags: []\nuser_id: jd\n");
	put("mlruns/0/" RUN1 "/metrics/rmse", "1650000001000 0.75\n1650000002000 0.5\n");
	put("mlruns/0/" RUN1 "/params/alpha", "0.5");
	put("mlruns/0/" RUN1 "/params/notes", "line one\nline two\n");
	put("mlruns/0/" RUN1 "/tags/mlflow.runName", "legacy-run");
	put("mlruns/0/" RUN1 "/tags/mlflow.note.content", "# Notes\nA *run*.");
	put("mlruns/0/" RUN1 "/tags/mlflow.source.git.commit", "0123456789abcdef0123456789abcdef01234567");
	put("mlruns/0/" RUN1 "/tags/mlflow.source.name", "train.py");
	put("mlruns/0/" RUN1 "/tags/mlflow.source.type", "LOCAL");
	put("mlruns/0/" RUN1 "/tags/mlflow.parentRunId", RUN3);
	put("mlruns/0/" RUN1 "/tags/mlflow.log-model.history",
	    "[{\"run_id\": \"" RUN1 "\", \"artifact_path\": \"classifier\", \"flavors\": "
	    "{\"python_function\": {\"env\": \"conda.yaml\"}, \"sklearn\": {}}, "
	    "\"model_uuid\": \"0475\"}, {\"artifact_path\": \"pf\", \"flavors\": "
	    "{\"python_function\": {}}, \"model_uuid\": \"0476\"}, 7]");
	/* A soft-deleted run, and an artifacts-only folder (no meta.yaml). */
	put("mlruns/0/" RUNDEL "/meta.yaml", "run_id: " RUNDEL "\nlifecycle_stage: deleted\n"
	                                     "status: 4\nexperiment_id: '0'\n");
	put("mlruns/0/notarun/artifacts/x.txt", "x");

	/* MLflow 3.x experiment: workspace key, random id, tags, datasets, models. */
	put("mlruns/" EXP3 "/meta.yaml",
	    "artifact_location: file:///home/user/some very long folder name with spaces in it/and "
	    "another\n  directory/mlruns/" EXP3 "\ncreation_time: 1765068700000\nexperiment_id: '" EXP3
	    "'\nlast_update_time: 1765068700000\nlifecycle_stage: active\nname: sweep\n"
	    "workspace: default\n");
	put("mlruns/" EXP3 "/tags/mlflow.note.content", "The **sweep**.");
	put("mlruns/" EXP3 "/tags/team/owner", "ml");
	put("mlruns/" EXP3 "/datasets/ds1/meta.yaml",
	    "digest: 1a2b3c\nname: iris\nprofile: '{\"num_rows\": 150}'\nschema: null\n"
	    "source: '{\"uri\": \"/data/iris.csv\"}'\nsource_type: local\n");
	put("mlruns/" EXP3 "/models/m-1/meta.yaml",
	    "artifact_location: file:///x/models/m-1/artifacts\ncreation_timestamp: 1\n"
	    "experiment_id: '" EXP3 "'\nmodel_id: m-1\nmodel_type: null\nname: model\n"
	    "source_run_id: " RUN3 "\nstatus: 2\nstatus_message: null\n");
	put("mlruns/" EXP3 "/models/m-1/metrics/acc", "1 0.9 0 " RUN3 "\n");
	put("mlruns/" EXP3 "/models/m-2/meta.yaml",
	    "model_id: m-2\nname: other\nsource_run_id: null\nstatus: 1\nexperiment_id: '" EXP3 "'\n");
	put("mlruns/" EXP3 "/models/m-3/meta.yaml",
	    "model_id: m-3\nname: gone\nsource_run_id: " RUN3 "\nlifecycle_stage: deleted\n");
	put("mlruns/" EXP3 "/traces/tr-1/trace_info.yaml", "trace_id: tr-1\n");
	put("mlruns/" EXP3 "/" RUN3 "/meta.yaml",
	    "artifact_uri: file:///C:/Users/x/mlruns/" EXP3 "/" RUN3 "/artifacts\n"
	    "end_time: 1765068783668\nentry_point_name: ''\nexperiment_id: '" EXP3 "'\n"
	    "lifecycle_stage: active\nrun_id: " RUN3 "\nrun_name: elasticnet_04011cf0\n"
	    "source_name: ''\nsource_type: 4\nsource_version: ''\nstart_time: 1765068767492\n"
	    "status: 3\ntags: []\nuser_id: valen\n");
	/* 5-field lines, duplicated lines, CRLF, a 4-field line, nan/inf/True,
	 * a key with a slash and a space, an empty file, a partial last line. */
	put("mlruns/" EXP3 "/" RUN3 "/metrics/loss",
	    "100 0.5 0 iris 1a2b3c\n100 0.5 0 iris 1a2b3c\n200 0.25 1 iris 1a2b3c\n"
	    "300 0.125 2 " RUN3 "\n400 nan 3\n500 inf 4\n600 -inf 5\n700 True 6\n800 1e-05 7\n"
	    "900 0.1 8\n950 0.0");
	put("mlruns/" EXP3 "/" RUN3 "/metrics/val/top 1", "1 0.5 0\r\n2 0.75 1\r\n3 0.875 2\r\n");
	put("mlruns/" EXP3 "/" RUN3 "/metrics/empty", "");
	put("mlruns/" EXP3 "/" RUN3 "/metrics/finished_partial", "1 0.5 0\n2 0.25 1\n3 0.");
	put("mlruns/" EXP3 "/" RUN3 "/metrics/halfway", "1 0.5 0\n2 0.25 1\n30");
	put("mlruns/" EXP3 "/" RUN3 "/params/lr", "0.01");
	put("mlruns/" EXP3 "/" RUN3 "/params/model/depth", "4");
	put("mlruns/" EXP3 "/" RUN3 "/tags/mlflow.user", "valen-tag");
	put("mlruns/" EXP3 "/" RUN3 "/tags/mlflow.source.git.branch", "main");
	put("mlruns/" EXP3 "/" RUN3 "/tags/mlflow.source.git.repoURL", "https://example.org/r.git");
	put("mlruns/" EXP3 "/" RUN3 "/artifacts/model/MLmodel", "flavors: {}\n");
	put("mlruns/" EXP3 "/" RUN3 "/artifacts/plots/a b.png", "12345");
	put("mlruns/" EXP3 "/" RUN3 "/artifacts/z.txt", "");
	put("mlruns/" EXP3 "/" RUN3 "/inputs/in1/meta.yaml",
	    "destination_id: ds1\ndestination_type: RUN\nsource_id: ds1\nsource_type: DATASET\n"
	    "tags:\n  mlflow.data.context: train\n");
	put("mlruns/" EXP3 "/" RUN3 "/inputs/in2/meta.yaml",
	    "source_id: m-2\nsource_type: MODEL\ndestination_type: RUN\n");
	put("mlruns/" EXP3 "/" RUN3 "/outputs/m-2/meta.yaml",
	    "destination_id: m-2\ndestination_type: MODEL_OUTPUT\nsource_id: m-2\n"
	    "source_type: RUN_OUTPUT\nstep: 0\ntags: {}\n");
	char *link = xasprintf("%s/mlruns/" EXP3 "/" RUN3 "/artifacts/outside", tmp_root);
	if (symlink("/etc/passwd", link) != 0)
		perror("symlink");
	free(link);
	link = xasprintf("%s/mlruns/" EXP3 "/" RUN3 "/artifacts/inside", tmp_root);
	if (symlink("z.txt", link) != 0)
		perror("symlink");
	free(link);
	/* A run still writing: RUNNING, end_time null, half-written last line. */
	put("mlruns/" EXP3 "/" RUNRUN "/meta.yaml",
	    "end_time: null\nexperiment_id: '" EXP3 "'\nlifecycle_stage: active\nrun_id: " RUNRUN
	    "\nrun_name: ''\nstart_time: 1765068800000\nstatus: 1\n");
	put("mlruns/" EXP3 "/" RUNRUN "/metrics/loss", "1 0.5 0\n2 0.25 1\n3 0.12");
	put("mlruns/" EXP3 "/" RUNRUN "/metrics/acc", "1 0.5 0\n2 0.25 1\n17650");
	put("mlruns/" EXP3 "/" RUNRUN "/tags/mlflow.log-model.history", "[{\"run_id\": ");
	/* A run whose meta.yaml is not YAML, and a run without status. */
	put("mlruns/" EXP3 "/" RUNBAD "/meta.yaml", "run_id: [oops\nstatus: 3\n");
	put("mlruns/" EXP3 "/" RUNBAD "/metrics/loss", "1 0.5 0\n");
	put("mlruns/" EXP3 "/nostatus/meta.yaml", "run_id: nostatus\n");

	/* An experiment whose meta.yaml is not YAML: read under its folder name,
	 * with its run, and the rest goes on. */
	put("mlruns/3/meta.yaml", "name: \"unterminated\nexperiment_id: 3\n");
	put("mlruns/3/r/meta.yaml", "run_id: r\n");
	/* A deleted experiment in .trash whose meta still says active. */
	put("mlruns/.trash/1/meta.yaml", "artifact_location: file:///x/1\nexperiment_id: '1'\n"
	                                 "lifecycle_stage: active\nname: old\n");
	put("mlruns/.trash/1/" RUNTRASH "/meta.yaml",
	    "run_id: " RUNTRASH "\nlifecycle_stage: active\nstatus: 3\nexperiment_id: '1'\n");
	put("mlruns/.trash/1/" RUNTRASH "/metrics/m", "1 1 1\n");
	/* The model registry: not an experiment. */
	put("mlruns/models/reg/meta.yaml", "name: reg\n");
	put("mlruns/models/reg/version-1/meta.yaml", "name: reg\nversion: 1\n");
	mkdir_rel("mlruns/emptydir");
	/* A run folder copied out of its store. */
	put("lone/" RUN1 "/meta.yaml", "run_id: " RUN1 "\nexperiment_id: '7'\nstatus: 5\n");
	put("lone/" RUN1 "/metrics/loss", "1 0.5 0\n");
}

static const struct series *metric(const struct run *r, const char *key)
{
	return r ? run_find_series(r, key) : NULL;
}

static void test_store(void)
{
	build_store();
	char *root = path_join(tmp_root, "mlruns");
	struct buf before = BUF_INIT, after = BUF_INIT;
	snapshot(tmp_root, &before);

	INT_EQ(reader_mlflow_file.probe(root), 100, "probe: a FileStore root");
	char *p = xasprintf("%s/" EXP3, root);
	INT_EQ(reader_mlflow_file.probe(p), 80, "probe: one experiment folder");
	free(p);
	p = xasprintf("%s/" EXP3 "/" RUN3, root);
	INT_EQ(reader_mlflow_file.probe(p), 80, "probe: one run folder");
	free(p);
	p = xasprintf("%s/mlruns/emptydir", tmp_root);
	INT_EQ(reader_mlflow_file.probe(p), 0, "probe: an empty folder");
	free(p);
	p = xasprintf("%s/nope", tmp_root);
	INT_EQ(reader_mlflow_file.probe(p), 0, "probe: a missing path");
	free(p);

	struct got g = {0};
	size_t w0 = diag_count();
	capture_begin();
	long n = read_into(root, false, &g);
	char *err = capture_end();
	INT_EQ(n, 5, "runs delivered (deleted, trashed and broken ones left out)");
	INT_EQ(g.nexps, 3, "experiments delivered (trashed left out)");
	OK(find_exp(&g, "0") && find_exp(&g, EXP3), "experiments 0 and " EXP3);
	OK(!find_run(&g, RUNDEL) && !find_run(&g, RUNTRASH), "deleted runs left out");
	STR_EQ(g.order, "E:0 R:" RUN1 " E:3 R:r E:" EXP3 " R:" RUNRUN " R:" RUN3 " R:nostatus ",
	       "experiments before their runs, sorted");

	OK(strstr(err, "mlruns/3/meta.yaml:") && strstr(err, "not valid YAML"),
	   "broken experiment meta.yaml reported");
	OK(strstr(err, "mlruns/3: experiment read as \"3\" (its folder name), its runs with it"),
	   "and said to be read under its folder name");
	struct experiment *ebad = find_exp(&g, "3");
	OK(ebad && strcmp(ebad->name, "3") == 0 && !ebad->deleted,
	   "the experiment with the broken meta.yaml is named by its folder");
	OK(strstr(err, RUNBAD "/meta.yaml:2: not valid YAML") != NULL,
	   "broken run meta.yaml reported with its line");
	OK(strstr(err, "metrics/loss:4: expected 2, 3 or 5 fields") != NULL,
	   "4-field line reported with its line");
	OK(strstr(err, "metrics/finished_partial") == NULL,
	   "a parsable last line without newline is no problem");
	OK(strstr(err, RUN3 "/metrics/halfway:3: incomplete last line") != NULL,
	   "half-written last line of a finished run noted");
	OK(strstr(err, RUNRUN "/metrics") == NULL, "half-written lines of a running run are quiet");
	OK(strstr(err, "artifacts/outside: symbolic link leads outside the store") != NULL,
	   "link out of the store reported");
	OK(strstr(err, "notarun") == NULL && strstr(err, "emptydir") == NULL &&
	   strstr(err, "models/reg") == NULL,
	   "folders without meta.yaml and the registry are skipped quietly");
	OK(strstr(err, RUNRUN "/tags/mlflow.log-model.history:1: not valid JSON") != NULL,
	   "broken model history reported");
	INT_EQ(diag_count() - w0, 7, "warnings counted");
	free(err);

	struct experiment *e0 = find_exp(&g, "0"), *e3 = find_exp(&g, EXP3);
	if (e0 && e3) {
		STR_EQ(e0->name, "Default", "experiment 0 name");
		OK(e0->created_ms == TIME_UNKNOWN, "no creation_time in 1.26 meta");
		STR_EQ(e3->name, "sweep", "3.x experiment name");
		INT_EQ(e3->created_ms, 1765068700000, "creation_time");
		STR_EQ(e3->description, "The **sweep**.", "description from mlflow.note.content");
		STR_EQ(kvlist_get(&e3->tags, "team/owner"), "ml", "nested experiment tag key");
		STR_EQ(e3->artifact_location,
		       "file:///home/user/some very long folder name with spaces in it/and another "
		       "directory/mlruns/" EXP3,
		       "folded artifact_location");
		OK(!e3->deleted, "active experiment");
	}

	struct run *r1 = find_run(&g, RUN1);
	OK(r1 != NULL, "1.26 run read (run_uuid, name '')");
	if (r1) {
		STR_EQ(r1->name, "legacy-run", "name from tag mlflow.runName");
		STR_EQ(r1->status, "FINISHED", "status 3");
		STR_EQ(r1->experiment_id, "0", "experiment id");
		STR_EQ(r1->experiment_name, "Default", "experiment name");
		INT_EQ(r1->start_ms, 1650000000000, "start");
		INT_EQ(r1->end_ms, 1650000009000, "end");
		STR_EQ(r1->user, "jd", "user_id");
		STR_EQ(r1->notes, "# Notes\nA *run*.", "notes");
		STR_EQ(r1->git_commit, "0123456789abcdef0123456789abcdef01234567", "git commit");
		STR_EQ(r1->source_name, "train.py", "source name");
		STR_EQ(r1->source_type, "LOCAL", "source type");
		STR_EQ(r1->parent_id, RUN3, "parent run");
		STR_EQ(kvlist_get(&r1->params, "notes"), "line one\nline two\n", "param with newlines");
		const struct series *s = metric(r1, "rmse");
		OK(s && s->sum.count == 2 && s->sum.last.step == 0 && s->sum.last.value == 0.5 &&
		       s->sum.first.time_ms == 1650000001000,
		   "2-field lines: step 0, latest by time");
		INT_EQ(r1->nmodels, 2, "models from mlflow.log-model.history");
		if (r1->nmodels == 2) {
			STR_EQ(r1->models[0].id, "0475", "model_uuid as id");
			STR_EQ(r1->models[0].name, "classifier", "artifact_path as name");
			STR_EQ(r1->models[0].type, "sklearn", "flavor other than python_function");
			STR_EQ(r1->models[0].uri, "runs:/" RUN1 "/classifier", "runs:/ uri");
			STR_EQ(r1->models[1].type, "python_function", "only python_function");
			STR_EQ(r1->models[1].uri, "runs:/" RUN1 "/pf", "run id of the run when absent");
		}
		STR_EQ(r1->format, "mlflow-file", "format name");
		OK(strcmp(r1->store, root) == 0, "store path");
	}

	struct run *r3 = find_run(&g, RUN3);
	OK(r3 != NULL, "3.x run read (run_name, no run_uuid)");
	if (r3) {
		STR_EQ(r3->name, "elasticnet_04011cf0", "run_name");
		STR_EQ(r3->user, "valen", "user_id before mlflow.user");
		STR_EQ(r3->git_branch, "main", "git branch");
		STR_EQ(r3->git_repo, "https://example.org/r.git", "git repo");
		STR_EQ(kvlist_get(&r3->params, "model/depth"), "4", "nested param key");
		const struct series *s = metric(r3, "loss");
		OK(s != NULL, "loss");
		if (s) {
			INT_EQ(s->sum.count, 9, "duplicate line counted once, 4-field line skipped");
			INT_EQ(s->sum.nan_count, 1, "nan");
			INT_EQ(s->sum.inf_count, 2, "inf and -inf");
			INT_EQ(s->sum.last.step, 8, "last step (partial line 950 0.0 kept at step 0)");
			DBL_EQ(s->sum.last.value, 0.1, "last value");
			DBL_EQ(s->sum.min.value, 0.0, "min from the unterminated last line");
			DBL_EQ(s->sum.max.value, 1.0, "True as 1");
		}
		s = metric(r3, "val/top 1");
		OK(s && s->sum.count == 3 && s->sum.last.value == 0.875 && s->sum.last.step == 2,
		   "key with slash and space, CRLF lines");
		s = metric(r3, "empty");
		OK(s && s->sum.count == 0 && s->n == 0, "empty metrics file: metric with no data");
		s = metric(r3, "finished_partial");
		OK(s && s->sum.count == 3, "parsable last line without newline kept");
		s = metric(r3, "halfway");
		OK(s && s->sum.count == 2, "half-written last line left out");
		INT_EQ(r3->nmetrics, 5, "metrics of the 3.x run");

		INT_EQ(r3->nartifacts, 4, "artifacts (the link out of the store left out)");
		char *adir = xasprintf("%s/mlruns/" EXP3 "/" RUN3 "/artifacts", tmp_root);
		STR_EQ(r3->artifact_dir, adir, "the folder they were listed from");
		free(adir);
		if (r3->nartifacts == 4) {
			STR_EQ(r3->artifacts[0].path, "inside", "artifacts sorted");
			INT_EQ(r3->artifacts[0].size, 0, "link inside the store: size of its target");
			STR_EQ(r3->artifacts[1].path, "model/MLmodel", "nested artifact");
			STR_EQ(r3->artifacts[2].path, "plots/a b.png", "artifact with a space");
			INT_EQ(r3->artifacts[2].size, 5, "artifact size");
		}
		INT_EQ(r3->ndatasets, 1, "one dataset input (the model input is not a dataset)");
		if (r3->ndatasets == 1) {
			struct dataset_input *d = &r3->datasets[0];
			STR_EQ(d->name, "iris", "dataset name");
			STR_EQ(d->digest, "1a2b3c", "digest");
			STR_EQ(d->context, "train", "context from the input tag");
			STR_EQ(d->source_type, "local", "source type");
			STR_EQ(d->source, "{\"uri\": \"/data/iris.csv\"}", "source");
			OK(d->schema == NULL, "null schema");
			STR_EQ(d->profile, "{\"num_rows\": 150}", "profile");
		}
		INT_EQ(r3->nmodels, 2, "logged models: by source_run_id and by outputs/, deleted left out");
		if (r3->nmodels == 2) {
			STR_EQ(r3->models[0].id, "m-1", "model id");
			STR_EQ(r3->models[0].name, "model", "model name");
			STR_EQ(r3->models[0].status, "READY", "model status 2");
			OK(r3->models[0].type == NULL, "null model type");
			STR_EQ(r3->models[0].uri, "file:///x/models/m-1/artifacts", "model uri");
			STR_EQ(r3->models[1].id, "m-2", "model linked through outputs/");
			STR_EQ(r3->models[1].status, "PENDING", "model status 1");
		}
	}
	struct run *rr = find_run(&g, RUNRUN);
	if (rr) {
		STR_EQ(rr->status, "RUNNING", "status 1");
		OK(rr->end_ms == TIME_UNKNOWN, "end_time null");
		STR_EQ(rr->name, RUNRUN, "no name anywhere: the id");
		OK(metric(rr, "loss") && metric(rr, "loss")->sum.count == 3, "running: parsable tail kept");
		OK(metric(rr, "acc") && metric(rr, "acc")->sum.count == 2, "running: half line left out");
	}
	struct run *rn = find_run(&g, "nostatus");
	OK(rn && strcmp(rn->status, "RUNNING") == 0, "missing status means RUNNING");
	got_free(&g);

	/* With deleted ones: the .trash experiment (meta says active) and the deleted run. */
	diag_set_quiet(1);
	n = read_into(root, true, &g);
	diag_set_quiet(0);
	INT_EQ(n, 7, "runs with deleted ones");
	struct experiment *et = find_exp(&g, "1");
	OK(et && et->deleted, ".trash experiment is deleted whatever its meta says");
	struct run *rt = find_run(&g, RUNTRASH);
	OK(rt && rt->deleted, "its run is deleted");
	struct run *rd = find_run(&g, RUNDEL);
	OK(rd && rd->deleted && strcmp(rd->status, "FAILED") == 0, "deleted run, status 4");
	r3 = find_run(&g, RUN3);
	INT_EQ(r3 ? r3->nmodels : 0, 3, "deleted logged model included too");
	OK(strstr(g.order, "E:1 R:" RUNTRASH) != NULL, "trash read after the active experiments");
	char order1[4096];
	snprintf(order1, sizeof order1, "%s", g.order);
	got_free(&g);
	diag_set_quiet(1);
	read_into(root, true, &g);
	diag_set_quiet(0);
	STR_EQ(g.order, order1, "same order on a second read");
	got_free(&g);

	/* The sink can stop the reader. */
	g.stop_after = 1;
	diag_set_quiet(1);
	n = read_into(root, false, &g);
	diag_set_quiet(0);
	INT_EQ(n, 1, "stops when the sink says so");
	INT_EQ(g.nruns, 1, "one run delivered");
	got_free(&g);

	/* One run folder, and one experiment folder, given alone. */
	p = xasprintf("%s/" EXP3 "/" RUN3, root);
	diag_set_quiet(1);
	n = read_into(p, false, &g);
	diag_set_quiet(0);
	INT_EQ(n, 1, "a run folder alone");
	OK(g.nexps == 1 && strcmp(g.exps[0]->id, EXP3) == 0, "with its experiment");
	OK(g.nruns == 1 && g.runs[0]->ndatasets == 1 && g.runs[0]->nmodels == 2,
	   "datasets and models found above it");
	got_free(&g);
	free(p);
	p = xasprintf("%s/" EXP3, root);
	diag_set_quiet(1);
	n = read_into(p, false, &g);
	diag_set_quiet(0);
	INT_EQ(n, 3, "an experiment folder alone");
	got_free(&g);
	free(p);

	/* A run folder copied out of its store, no experiment above it. */
	p = xasprintf("%s/lone/" RUN1, tmp_root);
	INT_EQ(reader_mlflow_file.probe(p), 80, "probe: a lone run folder");
	n = read_into(p, false, &g);
	INT_EQ(n, 1, "a lone run folder is read");
	OK(g.nexps == 1 && strcmp(g.exps[0]->id, "7") == 0, "its experiment from experiment_id");
	OK(g.nruns == 1 && strcmp(g.runs[0]->status, "KILLED") == 0 && g.runs[0]->nmetrics == 1,
	   "the lone run");
	got_free(&g);
	free(p);

	p = xasprintf("%s/nope", tmp_root);
	diag_set_quiet(1);
	n = read_into(p, false, &g);
	diag_set_quiet(0);
	INT_EQ(n, -1, "a missing store is an error");
	free(p);

	snapshot(tmp_root, &after);
	OK(before.size > 0 && strcmp(buf_cstr(&before), buf_cstr(&after)) == 0,
	   "the store is byte-identical after reading");
	buf_free(&before);
	buf_free(&after);
	free(root);
}

/* A run large enough to be parsed by two threads, of files large enough
 * to be mapped (over 1 MiB, parsed a MiB at a time): warnings still come
 * out once each, in key order, and every point is there. */
static void test_big_run(void)
{
	put("big/mlruns/0/meta.yaml", "experiment_id: '0'\nname: Default\n");
	put("big/mlruns/0/r1/meta.yaml", "run_id: r1\nstatus: 3\n");
	const int lines = 40000;
	for (int k = 0; k < 6; k++) {
		struct buf b = BUF_INIT;
		for (int i = 0; i < lines; i++) {
			if (k == 2 && i == 5000)
				BUF_PUTSL(&b, "1709280000000 oops 5000\n");
			else if (k == 2 && i == 7000)
				BUF_PUTSL(&b, "1709280000000 0.5 7000 extra\n");
			else
				buf_printf(&b, "%d %.17g %d%s\n", 1709280000 + i, 1.0 / (i + k + 1), i,
				           k == 4 ? "\r" : "");
		}
		if (k == 5)
			BUF_PUTSL(&b, "17092800");
		char *rel = xasprintf("big/mlruns/0/r1/metrics/m%d", k);
		OK(b.size > (1u << 20), "m%d is over 1 MiB", k);
		put_n(rel, b.data, b.size);
		free(rel);
		buf_free(&b);
	}
	char *root = path_join(tmp_root, "big/mlruns");
	struct got g = {0};
	size_t w0 = diag_count();
	capture_begin();
	long n = read_into(root, false, &g);
	char *err = capture_end();
	INT_EQ(n, 1, "big run read");
	INT_EQ(diag_count() - w0, 3, "two bad lines and a half-written last line, reported once each");
	const char *a = strstr(err, "m2:5001: the value is not a number");
	const char *b = strstr(err, "m2:7001: expected 2, 3 or 5 fields");
	const char *c = strstr(err, "m5:40001: incomplete last line");
	OK(a && b && c && a < b && b < c, "warnings in file and line order: %s", err);
	if (g.nruns == 1) {
		struct run *r = g.runs[0];
		INT_EQ(r->nmetrics, 6, "six metrics");
		for (size_t k = 0; k < r->nmetrics; k++) {
			const struct series *sr = &r->metrics[k];
			INT_EQ(sr->sum.count, k == 2 ? lines - 2 : lines, sr->key);
			DBL_EQ(sr->sum.last.value, 1.0 / (lines - 1 + (int)k + 1), sr->key);
		}
	}
	got_free(&g);
	free(err);
	free(root);
}

/* Writes run rid's metric files m0..m3 of `lines` lines each (value i + k / 8
 * at step i), with a bad line at line bad_at of m1 when bad_at > 0. */
static void put_metrics(const char *exp, const char *rid, int lines, int bad_at)
{
	for (int k = 0; k < 4; k++) {
		struct buf b = BUF_INIT;
		for (int i = 0; i < lines; i++) {
			if (k == 1 && i + 1 == bad_at)
				BUF_PUTSL(&b, "1709280000000 bad 1\n");
			else
				buf_printf(&b, "%d %.17g %d\n", 1709280000 + i, i + k / 8.0, i);
		}
		char *rel = xasprintf("%s/%s/metrics/m%d", exp, rid, k);
		put_n(rel, b.data, b.size);
		free(rel);
		buf_free(&b);
	}
}

/* Several big runs in a row: the next run's metrics are walked and parsed
 * while a run is delivered. A run whose metrics hold a link out of the store
 * (walked again, so the warning comes in its place), a deleted run's (walked
 * ahead, then not read unless deleted runs are kept), a broken run, a run
 * without metrics and bad lines all give what a serial read gives: the same
 * points, warnings once each, in store order. */
static void test_runs_ahead(void)
{
	const char *exp = "ahead/mlruns/1";
	const int lines = 9000;
	put("ahead/mlruns/1/meta.yaml", "experiment_id: '1'\nname: ahead\n");
	put("ahead/mlruns/1/r1/meta.yaml", "run_id: r1\nstatus: 3\n");
	put_metrics(exp, "r1", lines, 0);
	put("ahead/mlruns/1/r2/meta.yaml", "run_id: r2\nstatus: 3\n");
	put_metrics(exp, "r2", lines, 0);
	char *link = path_join(tmp_root, "ahead/mlruns/1/r2/metrics/outside");
	OK(symlink("/etc/hostname", link) == 0, "symlink made");
	free(link);
	put("ahead/mlruns/1/r3/meta.yaml", "run_id: r3\nstatus: 3\nlifecycle_stage: deleted\n");
	put_metrics(exp, "r3", lines, 100);
	put("ahead/mlruns/1/r4/meta.yaml", "run_id: r4\nstatus: [3\n");
	put("ahead/mlruns/1/r5/meta.yaml", "run_id: r5\nstatus: 3\n");
	put_metrics(exp, "r5", lines, 0);
	put("ahead/mlruns/1/r6/meta.yaml", "run_id: r6\nstatus: 1\n");
	put_metrics(exp, "r6", lines, 4000);
	put("ahead/mlruns/1/r7/meta.yaml", "run_id: r7\nstatus: 3\n");
	char *root = path_join(tmp_root, "ahead/mlruns");
	/* One thread, then two (a second thread whatever the machine has). */
	for (int t = 0; t < 4; t++) {
		int deleted = t % 2, jobs = t < 2 ? 1 : 2;
		struct got g = {0};
		size_t w0 = diag_count();
		capture_begin();
		long n = read_jobs(root, deleted, jobs, &g);
		char *err = capture_end();
		INT_EQ(n, deleted ? 6 : 5, "runs read (r4's meta.yaml is broken)");
		INT_EQ(diag_count() - w0, deleted ? 4 : 3, "warnings");
		const char *a = strstr(err, "r2/metrics/outside: symbolic link leads outside");
		const char *b = deleted ? strstr(err, "r3/metrics/m1:100: the value is not a number") : a;
		const char *c = strstr(err, "r4/meta.yaml:");
		const char *d = strstr(err, "r6/metrics/m1:4000: the value is not a number");
		OK(a && b && c && d && a <= b && b < c && c < d, "warnings in store order: %s", err);
		for (size_t i = 0; i < g.nruns; i++) {
			const struct run *r = g.runs[i];
			bool r7 = strcmp(r->id, "r7") == 0;
			INT_EQ(r->nmetrics, r7 ? 0 : 4, r->id);
			for (size_t k = 0; k < r->nmetrics; k++) {
				const struct series *sr = &r->metrics[k];
				bool bad = (strcmp(r->id, "r6") == 0 || strcmp(r->id, "r3") == 0) && k == 1;
				INT_EQ(sr->sum.count, bad ? lines - 1 : lines, sr->key);
				DBL_EQ(sr->sum.last.value, lines - 1 + k / 8.0, sr->key);
			}
		}
		got_free(&g);
		free(err);
	}
	free(root);
}

/* ---- real stores ------------------------------------------------------ */

struct simple_pt {
	long long step, ts;
	double v;
};

static int cmp_simple(const void *a, const void *b)
{
	const struct simple_pt *x = a, *y = b;
	if (x->step != y->step)
		return x->step < y->step ? -1 : 1;
	if (x->ts != y->ts)
		return x->ts < y->ts ? -1 : 1;
	if (isnan(x->v) || isnan(y->v))
		return isnan(x->v) - isnan(y->v);
	return (x->v > y->v) - (x->v < y->v);
}

/* Counts the distinct points of a metrics file and finds the latest, with
 * sscanf: a deliberately different reading. Returns the count. */
static size_t simple_metric(const char *path, struct simple_pt *last)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return (size_t)-1;
	struct simple_pt *pts = NULL;
	size_t n = 0, cap = 0;
	char line[512];
	while (fgets(line, sizeof line, f)) {
		struct simple_pt p = {0, 0, 0};
		char val[64];
		int k = sscanf(line, "%lld %63s %lld", &p.ts, val, &p.step);
		if (k < 2)
			continue;
		p.v = strtod(val, NULL);
		GROW(pts, cap, n + 1);
		pts[n++] = p;
	}
	fclose(f);
	qsort(pts, n, sizeof *pts, cmp_simple);
	size_t u = 0;
	for (size_t i = 0; i < n; i++)
		if (u == 0 || cmp_simple(&pts[u - 1], &pts[i]) != 0)
			pts[u++] = pts[i];
	if (u)
		*last = pts[u - 1];
	free(pts);
	return u;
}

static void test_corpus(void)
{
	const char *base = "../shared/corpus/mlflow-filestore";
	DIR *d = opendir(base);
	if (!d) {
		SKIP("../shared/corpus/mlflow-filestore not present");
		return;
	}
	char **names = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;
	while ((de = readdir(d)))
		if (de->d_name[0] != '.') {
			GROW(names, cap, n + 1);
			names[n++] = xstrdup(de->d_name);
		}
	closedir(d);
	qsort(names, n, sizeof *names, cmp_strp);
	for (size_t i = 0; i < n; i++) {
		char *root = xasprintf("%s/%s/mlruns", base, names[i]);
		struct got g = {0};
		size_t w0 = diag_count();
		OK(reader_mlflow_file.probe(root) == 100, "%s: probe", names[i]);
		long nr = read_into(root, true, &g);
		OK(nr > 0, "%s: runs read (%ld)", names[i], nr);
		INT_EQ(diag_count() - w0, 0, names[i]);
		size_t checked = 0, wrong = 0;
		for (size_t k = 0; k < g.nruns; k++) {
			struct run *r = g.runs[k];
			char *rd = xasprintf("%s/%s/%s", root, r->experiment_id, r->id);
			struct stat st;
			if (stat(rd, &st) != 0) {
				free(rd);
				rd = xasprintf("%s/.trash/%s/%s", root, r->experiment_id, r->id);
			}
			for (size_t m = 0; m < r->nmetrics; m++) {
				const struct series *s = &r->metrics[m];
				char *mp = xasprintf("%s/metrics/%s", rd, s->key);
				struct simple_pt last = {0, 0, 0};
				size_t cnt = simple_metric(mp, &last);
				checked++;
				if (cnt != s->sum.count ||
				    (cnt && (last.step != s->sum.last.step || last.ts != s->sum.last.time_ms ||
				             memcmp(&last.v, &s->sum.last.value, sizeof last.v) != 0))) {
					wrong++;
					printf("# %s: count %zu/%" PRIu64 "\n", mp, cnt, s->sum.count);
				}
				free(mp);
			}
			free(rd);
		}
		OK(checked > 0, "%s: metrics checked", names[i]);
		INT_EQ(wrong, 0, "metrics whose count or latest point differ from sscanf");
		got_free(&g);
		free(root);
		free(names[i]);
	}
	free(names);
}

int main(void)
{
	snprintf(tmp_root, sizeof tmp_root, "/tmp/test_mlflow_file.XXXXXX");
	if (!mkdtemp(tmp_root)) {
		perror("mkdtemp");
		return 1;
	}
	test_numbers();
	test_lines();
	test_chunks();
	test_fast_lines();
	test_line_pairs();
	test_yaml();
	test_store();
	test_big_run();
	test_runs_ahead();
	test_corpus();
	char *cmd = xasprintf("rm -rf '%s'", tmp_root);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", tmp_root);
	free(cmd);
	return TEST_END();
}
