/* fuzz_mlflow_file.c — libFuzzer target for the MLflow FileStore text
 * parsers. The first byte chooses the mode, the rest is the input:
 *   mode % 4 == 0  a metrics file, parsed whole and in two chunks split where
 *                  the second byte says: both must give the same points, and
 *                  the same as its lines read one by one by the general
 *                  parser (mlflow_metric_line): the fast paths change nothing;
 *                  mode / 4 % 3 picks the path of the usual lines
 *                  (MLFLOW_SIMD_*, the best this CPU has when it lacks it);
 *   mode % 4 == 1  a meta.yaml file;
 *   mode % 4 == 2  one number: when it parses, it must equal strtod's bits,
 *                  and so must what the metrics reader's word-at-a-time
 *                  fast path (num_scan_point) reads of it;
 *   mode % 4 == 3  the mlflow.log-model.history tag (JSON). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "runsite/diag.h"
#include "runsite/numparse.h"
#include "runsite/util.h"
#include "../../src/readers/mlflow_text.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The points of text's lines read one by one by mlflow_metric_line (the
 * last one without its newline too), into *out. */
static void general_points(const char *text, size_t len, struct series *out)
{
	const char *p = text, *end = text + len;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;
		struct point pt;
		if (mlflow_metric_line(p, le, &pt) == MLFLOW_LINE_OK) {
			GROW(out->pts, out->cap, out->n + 1);
			out->pts[out->n++] = pt;
		}
		p = nl ? nl + 1 : end;
	}
}

/* Parses text whole, then split at cut, then line by line; traps when they differ. */
static void fuzz_metrics(const char *text, size_t len, size_t cut)
{
	struct series whole = {0}, parts = {0};
	struct mlflow_metrics a = {0}, b = {0};
	a.path = b.path = "fuzz";
	mlflow_metrics_parse(&a, text, len, true, &whole);
	mlflow_metrics_end(&a);

	char *buf = xmalloc(len + 1);
	memcpy(buf, text, cut);
	size_t used = mlflow_metrics_parse(&b, buf, cut, false, &parts);
	if (used > cut)
		__builtin_trap();
	size_t rest = cut - used;
	memmove(buf, buf + used, rest);
	memcpy(buf + rest, text + cut, len - cut);
	mlflow_metrics_parse(&b, buf, rest + len - cut, true, &parts);
	if (parts.n != whole.n || a.line != b.line || a.bad != b.bad ||
	    (whole.n && memcmp(parts.pts, whole.pts, whole.n * sizeof *whole.pts) != 0))
		__builtin_trap();
	free(buf);
	struct series lines = {0};
	general_points(text, len, &lines);
	if (lines.n != whole.n ||
	    (whole.n && memcmp(lines.pts, whole.pts, whole.n * sizeof *whole.pts) != 0))
		__builtin_trap();
	free(lines.pts);
	free(whole.pts);
	free(parts.pts);
}

static void fuzz_yaml(const char *text, size_t len)
{
	struct kvlist kv = {0};
	mlflow_yaml_parse(text, len, "fuzz.yaml", &kv);
	kvlist_free(&kv);
}

/* num_scan_point needs 32 bytes after the number's start: the text is
 * followed by newlines, as a metrics line's value is by the rest. */
static void fuzz_point_number(const char *text, size_t len)
{
	char *z = xmalloc(len + 33);
	memcpy(z, text, len);
	memset(z + len, '\n', 32);
	z[len + 32] = '\0';
	double got;
	const char *q = num_scan_point(z, z + len + 32, &got);
	if (q) {
		char *end;
		double want = strtod(z, &end);
		if (end != q || memcmp(&want, &got, sizeof want) != 0)
			__builtin_trap();
	}
	free(z);
}

static void fuzz_number(const char *text, size_t len)
{
	double got;
	if (len > 512 || memchr(text, '\0', len))
		return;
	fuzz_point_number(text, len);
	if (!mlflow_parse_double(text, text + len, &got))
		return;
	char *z = xstrndup(text, len);
	char *end;
	double want = strtod(z, &end);
	/* strtod must agree wherever it reads the whole text (True/False are ours). */
	if (end == z + len && len > 0 && memcmp(&want, &got, sizeof want) != 0 && want == want)
		__builtin_trap();
	free(z);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	diag_set_quiet(1);
	if (size < 1)
		return 0;
	int mode = data[0] % 4;
	const char *text = (const char *)data + 1;
	size_t len = size - 1;
	if (mode == 0) {
		size_t cut = len ? (size_t)data[len > 1 ? 1 : 0] * len / 256 : 0;
		mlflow_metrics_simd(data[0] / 4 % 3);
		fuzz_metrics(text, len, cut);
		mlflow_metrics_simd(-1);
	} else if (mode == 1) {
		fuzz_yaml(text, len);
	} else if (mode == 2) {
		fuzz_number(text, len);
	} else {
		struct run *r = run_new("mlflow-file", "fuzz");
		r->id = xstrdup("r1");
		mlflow_model_history(text, len, "fuzz", r);
		run_free(r);
	}
	return 0;
}
