/* test_model.c — the run model: ordering, de-duplication, exact summaries,
 * M4 decimation, and the number and JSON text helpers. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "runsite/jsonw.h"
#include "runsite/model.h"
#include "runsite/util.h"

/* A deliberately simple reference: the summary by brute force over all pairs.
 * NaN orders above every number (the model's documented total order). */
static void reference_summary(const struct point *pts, size_t n, struct metric_summary *want)
{
	memset(want, 0, sizeof *want);
	for (size_t i = 0; i < n; i++) {
		int dup = 0;
		for (size_t j = 0; j < i; j++)
			if (pts[j].step == pts[i].step && pts[j].time_ms == pts[i].time_ms &&
			    (pts[j].value == pts[i].value ||
			     (isnan(pts[j].value) && isnan(pts[i].value))))
				dup = 1;
		if (dup)
			continue;
		const struct point *p = &pts[i];
		want->count++;
		if (want->count == 1 || p->step < want->first.step ||
		    (p->step == want->first.step && p->time_ms < want->first.time_ms))
			want->first = *p;
		if (want->count == 1 || p->step > want->last.step ||
		    (p->step == want->last.step && p->time_ms > want->last.time_ms) ||
		    (p->step == want->last.step && p->time_ms == want->last.time_ms &&
		     (p->value > want->last.value || (isnan(p->value) && !isnan(want->last.value)))))
			want->last = *p;
		if (isnan(p->value)) {
			want->nan_count++;
			continue;
		}
		if (isinf(p->value)) {
			want->inf_count++;
			continue;
		}
		int earlier_min = p->step < want->min.step ||
		                  (p->step == want->min.step && p->time_ms < want->min.time_ms);
		int earlier_max = p->step < want->max.step ||
		                  (p->step == want->max.step && p->time_ms < want->max.time_ms);
		if (!want->has_finite || p->value < want->min.value ||
		    (p->value == want->min.value && earlier_min))
			want->min = *p;
		if (!want->has_finite || p->value > want->max.value ||
		    (p->value == want->max.value && earlier_max))
			want->max = *p;
		want->has_finite = true;
	}
}

static void test_summary_quirks(void)
{
	struct run *r = run_new("test", "mem");
	struct series *s = run_series(r, "val/loss");
	/* out of order, a duplicated line, a NaN, an Inf, a tie for min at two steps,
	 * two points at the same step with different timestamps */
	series_add(s, 3, 300, 0.5);
	series_add(s, 1, 100, 0.9);
	series_add(s, 1, 100, 0.9);
	series_add(s, 2, 200, NAN);
	series_add(s, 4, 400, INFINITY);
	series_add(s, 5, 500, 0.5);
	series_add(s, 5, 450, 0.7);
	series_add(s, -1, 50, 2.0);
	run_finish(r, 16);
	const struct metric_summary *m = &r->metrics[0].sum;
	INT_EQ(m->count, 7, "identical points count once");
	INT_EQ(m->nan_count, 1, "NaN counted");
	INT_EQ(m->inf_count, 1, "Inf counted");
	INT_EQ(m->first.step, -1, "first is the smallest step, negative allowed");
	INT_EQ(m->last.step, 5, "last is the largest step");
	INT_EQ(m->last.time_ms, 500, "last: on a step tie the latest timestamp");
	DBL_EQ(m->last.value, 0.5, "last value");
	DBL_EQ(m->min.value, 0.5, "min over finite values");
	INT_EQ(m->min.step, 3, "min: on a tie the earliest step");
	DBL_EQ(m->max.value, 2.0, "max over finite values ignores Inf");
	run_free(r);
}

static int same_point(const struct point *a, const struct point *b)
{
	return a->step == b->step && a->time_ms == b->time_ms &&
	       (a->value == b->value || (isnan(a->value) && isnan(b->value)));
}

/* run_finish goes through a long series once for its summary and its M4:
 * both as summary_compute and points_decimate_m4 make them from the sorted
 * points, with NaNs, infinities and ties among the values, and steps that
 * stop increasing near the start, the middle or the end. */
static void test_long_series_one_pass(void)
{
	srand(11);
	for (int round = 0; round < 60; round++) {
		size_t n = 65 + (size_t)(rand() % 400), buckets = 16;
		struct run *r = run_new("test", "mem");
		struct series *s = run_series(r, "loss");
		struct point *ref = xcalloc(n, sizeof *ref);
		size_t bad = round % 3 == 0 ? (size_t)rand() % n : SIZE_MAX;
		for (size_t i = 0; i < n; i++) {
			int k = rand() % 16;
			double v = k == 0 ? NAN : k == 1 ? INFINITY : k == 2 ? -INFINITY : (double)(rand() % 7) / 4;
			int64_t step = i == bad ? (int64_t)(rand() % 5) : (int64_t)(3 * i + (size_t)(rand() % 3));
			series_add(s, step, (int64_t)i, v);
			ref[i] = (struct point){step, (int64_t)i, v};
		}
		run_finish(r, buckets);
		size_t m = points_sort_unique(ref, n), nwant = 0;
		struct metric_summary want;
		summary_compute(&want, ref, m);
		struct point *dwant = points_decimate_m4(ref, m, buckets, &nwant);
		const struct series *got = &r->metrics[0];
		const struct metric_summary *g = &got->sum;
		int same = got->n == m && g->count == want.count && g->nan_count == want.nan_count &&
		           g->inf_count == want.inf_count && g->has_finite == want.has_finite &&
		           same_point(&g->first, &want.first) && same_point(&g->last, &want.last);
		if (same && want.has_finite)
			same = same_point(&g->min, &want.min) && same_point(&g->max, &want.max);
		same = same && got->ndec == nwant;
		for (size_t i = 0; same && i < nwant; i++)
			same = same_point(&got->dec[i], &dwant[i]);
		OK(same, "round %d: %zu points (%s): summary and M4 as from the sorted points", round, n,
		   bad == SIZE_MAX ? "increasing" : "one step out of order");
		free(dwant);
		free(ref);
		run_free(r);
	}
}

/* A value for test_m4_paths_agree: mostly a walk, with ties (-0 and 0
 * among them) and NaN or ±Inf about once in `bad` points. */
static double awkward_value(double *walk, unsigned bad)
{
	static const double ties[] = {-0.0, 0.0, 0.5, 1, 1, 2};
	static const double odd[] = {NAN, -NAN, INFINITY, -INFINITY};
	*walk += (double)(rand() % 1000) / 1000 - 0.5;
	if ((unsigned)rand() % bad == 0)
		return odd[rand() % 4];
	return rand() % 8 == 0 ? ties[rand() % 6] : *walk;
}

/* decimate_m4 8 points at a time (POINTS_M4_AVX512, where the CPU has it)
 * makes the same M4 and, in run_finish, the same summary as point by
 * point: with NaN, infinities, ties, a step that does not increase inside
 * a block (run_finish then sorts), steps out of order (points_decimate_m4
 * takes them as they are), buckets that end inside a block and n not a
 * multiple of 8. */
static void test_m4_paths_agree(void)
{
	int best = points_m4_simd(-1);
	srand(23);
	for (int round = 0; round < 200; round++) {
		size_t n = 100 + (size_t)(rand() % 3000), buckets = 1 + (size_t)(rand() % 40);
		unsigned bad = 16u << (round % 5);
		struct point *pts = xcalloc(n, sizeof *pts);
		double walk = 0;
		for (size_t i = 0; i < n; i++)
			pts[i] = (struct point){(int64_t)(3 * i + (size_t)(rand() % 3)), (int64_t)i,
			                        awkward_value(&walk, bad)};
		if (round % 4 == 1) { /* a step equal to the one before it */
			size_t k = 1 + (size_t)rand() % (n - 1);
			pts[k].step = pts[k - 1].step;
		} else if (round % 4 == 2) { /* two steps swapped */
			size_t k = 1 + (size_t)rand() % (n - 1);
			int64_t t = pts[k].step;
			pts[k].step = pts[k - 1].step;
			pts[k - 1].step = t;
		}
		struct point *dec[2];
		size_t ndec[2];
		struct run *r[2];
		for (int path = 0; path < 2; path++) {
			points_m4_simd(path ? best : POINTS_M4_SCALAR);
			dec[path] = points_decimate_m4(pts, n, buckets, &ndec[path]);
			r[path] = run_new("test", "mem");
			struct series *s = run_series(r[path], "loss");
			for (size_t i = 0; i < n; i++)
				series_add(s, pts[i].step, pts[i].time_ms, pts[i].value);
			run_finish(r[path], buckets);
		}
		const struct series *a = &r[0]->metrics[0], *b = &r[1]->metrics[0];
		const struct metric_summary *sa = &a->sum, *sb = &b->sum;
		int same = ndec[0] == ndec[1] && !memcmp(dec[0], dec[1], ndec[0] * sizeof *dec[0]);
		OK(same, "round %d: points_decimate_m4 of %zu points into %zu buckets: %zu and %zu points",
		   round, n, buckets, ndec[0], ndec[1]);
		same = a->n == b->n && a->ndec == b->ndec &&
		       !memcmp(a->dec, b->dec, a->ndec * sizeof *a->dec) && sa->count == sb->count &&
		       sa->nan_count == sb->nan_count && sa->inf_count == sb->inf_count &&
		       sa->has_finite == sb->has_finite && !memcmp(&sa->first, &sb->first, sizeof sa->first) &&
		       !memcmp(&sa->last, &sb->last, sizeof sa->last) &&
		       (!sa->has_finite || (!memcmp(&sa->min, &sb->min, sizeof sa->min) &&
		                            !memcmp(&sa->max, &sb->max, sizeof sa->max)));
		OK(same, "round %d: run_finish of %zu points: the same M4 and summary both ways", round, n);
		for (int path = 0; path < 2; path++) {
			free(dec[path]);
			run_free(r[path]);
		}
		free(pts);
	}
	points_m4_simd(-1);
}

static void test_summary_matches_reference(void)
{
	srand(7);
	for (int round = 0; round < 200; round++) {
		size_t n = (size_t)(rand() % 60);
		struct point *pts = xcalloc(n + 1, sizeof *pts);
		for (size_t i = 0; i < n; i++) {
			pts[i].step = rand() % 10 - 2;
			pts[i].time_ms = rand() % 4;
			int k = rand() % 20;
			pts[i].value = k == 0 ? NAN : k == 1 ? -INFINITY : (double)(rand() % 5) / 4;
		}
		struct metric_summary want, got;
		reference_summary(pts, n, &want);
		size_t m = points_sort_unique(pts, n);
		summary_compute(&got, pts, m);
		int same = got.count == want.count && got.nan_count == want.nan_count &&
		           got.inf_count == want.inf_count && got.has_finite == want.has_finite;
		if (n && same)
			same = got.first.step == want.first.step &&
			       got.first.time_ms == want.first.time_ms &&
			       got.last.step == want.last.step &&
			       got.last.time_ms == want.last.time_ms &&
			       (got.last.value == want.last.value ||
			        (isnan(got.last.value) && isnan(want.last.value)));
		if (want.has_finite && same)
			same = got.min.value == want.min.value && got.min.step == want.min.step &&
			       got.max.value == want.max.value && got.max.step == want.max.step;
		OK(same, "round %d: summary of %zu random points equals the brute-force one", round, n);
		/* Folded one by one in a shuffled order (as a server's rows arrive),
		 * the distinct points give the same summary. */
		for (size_t i = m; i > 1; i--) {
			size_t j = (size_t)rand() % i;
			struct point t = pts[i - 1];
			pts[i - 1] = pts[j];
			pts[j] = t;
		}
		struct metric_summary fold;
		memset(&fold, 0, sizeof fold);
		for (size_t i = 0; i < m; i++)
			summary_fold(&fold, pts[i]);
		OK(fold.count == got.count && fold.nan_count == got.nan_count &&
		           fold.inf_count == got.inf_count && fold.has_finite == got.has_finite &&
		           (m == 0 || (point_cmp(&fold.first, &got.first) == 0 &&
		                       point_cmp(&fold.last, &got.last) == 0)) &&
		           (!got.has_finite || (point_cmp(&fold.min, &got.min) == 0 &&
		                                point_cmp(&fold.max, &got.max) == 0)),
		   "round %d: %zu points folded in any order summarise as when sorted", round, m);
		free(pts);
	}
}

static void test_decimation(void)
{
	size_t n = 100000, nout = 0;
	struct point *pts = xcalloc(n, sizeof *pts);
	double v = 0;
	srand(11);
	for (size_t i = 0; i < n; i++) {
		v += (rand() % 2001 - 1000) / 1000.0;
		pts[i] = (struct point){(int64_t)i, (int64_t)i, v};
	}
	pts[5000].value = NAN;
	struct point *dec = points_decimate_m4(pts, n, 100, &nout);
	OK(nout <= 400 && nout >= 100, "M4 keeps at most 4 points per bucket (got %zu)", nout);
	int sorted = 1;
	for (size_t i = 1; i < nout; i++)
		if (dec[i].step <= dec[i - 1].step)
			sorted = 0;
	OK(sorted, "decimated points stay in step order");
	/* every bucket's extremes survive */
	double gmin = INFINITY, gmax = -INFINITY, dmin = INFINITY, dmax = -INFINITY;
	for (size_t i = 0; i < n; i++)
		if (isfinite(pts[i].value)) {
			gmin = fmin(gmin, pts[i].value);
			gmax = fmax(gmax, pts[i].value);
		}
	for (size_t i = 0; i < nout; i++)
		if (isfinite(dec[i].value)) {
			dmin = fmin(dmin, dec[i].value);
			dmax = fmax(dmax, dec[i].value);
		}
	DBL_EQ(dmin, gmin, "global min survives decimation");
	DBL_EQ(dmax, gmax, "global max survives decimation");
	INT_EQ(dec[0].step, 0, "first point kept");
	INT_EQ(dec[nout - 1].step, (int64_t)n - 1, "last point kept");
	free(dec);
	dec = points_decimate_m4(pts, 10, 100, &nout);
	INT_EQ(nout, 10, "short series are copied whole");
	free(dec);
	free(pts);
}

/* The digits of s (no sign, point or exponent), leading zeros dropped. */
static void sig_digits(const char *s, char *out)
{
	size_t n = 0;
	for (; *s && *s != 'e'; s++)
		if (*s >= '0' && *s <= '9' && (n || *s != '0'))
			out[n++] = *s;
	while (n > 1 && out[n - 1] == '0')
		n--;
	out[n] = '\0';
}

static void test_fmt_double(void)
{
	char s[40];
	/* As logged: whole numbers below 1e15 as integers, else the shortest
	 * digits, plain unless the exponent form is shorter. */
	static const struct {
		double v;
		const char *want;
	} table[] = {
		{500, "500"},
		{1200, "1200"},
		{12030, "12030"},
		{600.0, "600"},
		{1e6, "1000000"},
		{-42, "-42"},
		{0, "0"},
		{-0.0, "-0"},
		{999999999999999, "999999999999999"},
		{1e15, "1e+15"},
		{1234567890123456, "1234567890123456"},
		{1e300, "1e+300"},
		{0.1, "0.1"},
		{0.001, "0.001"},
		{0.0001, "1e-04"},
		{1e-05, "1e-05"},
		{0.00012, "0.00012"},
		{1.5e-07, "1.5e-07"},
		{2.5, "2.5"},
		{-1234.5, "-1234.5"},
		{1.0 / 3, "0.3333333333333333"},
		{2.3920865058898926, "2.3920865058898926"},
		{1.7976931348623157e308, "1.7976931348623157e+308"},
		{5e-324, "5e-324"},
		{(double)0.1f, "0.10000000149011612"},
	};
	for (size_t i = 0; i < sizeof table / sizeof *table; i++) {
		fmt_double(s, sizeof s, table[i].v);
		STR_EQ(s, table[i].want, "fmt_double table");
		DBL_EQ(strtod(s, NULL), table[i].v, s);
	}
	/* On floats widened to double, short decimals, integers and random
	 * bits: reads back exactly, with no more digits than the shortest %g,
	 * and integers below 1e15 have no exponent. */
	uint64_t r = 0x9E3779B97F4A7C15ULL;
	int same = 1;
	for (int i = 0; i < 60000 && same; i++) {
		r ^= r << 13, r ^= r >> 7, r ^= r << 17;
		double v;
		switch (i % 4) {
		case 0: v = (double)(float)((double)(r >> 11) / 9007199254740992.0 * 10.0); break;
		case 1: v = (double)(int64_t)(r % 2000001) / 1000.0 - 1000.0; break;
		case 2: v = (double)(int64_t)(r >> 20); break;
		default: memcpy(&v, &r, sizeof v); break;
		}
		if (!isfinite(v))
			continue;
		char want[40], dw[40], ds[40];
		for (int p = 1; p <= 17; p++) {
			snprintf(want, sizeof want, "%.*g", p, v);
			if (strtod(want, NULL) == v)
				break;
		}
		fmt_double(s, sizeof s, v);
		sig_digits(want, dw);
		sig_digits(s, ds);
		int whole = v == floor(v) && fabs(v) < 1e15;
		if (strtod(s, NULL) != v || (!whole && strcmp(dw, ds) != 0) ||
		    (whole && strpbrk(s, "e."))) {
			printf("# fmt_double(%a): %s, shortest %s\n", v, s, want);
			same = 0;
		}
	}
	OK(same, "the shortest text for 60,000 values of four kinds");
	fmt_double(s, sizeof s, NAN);
	STR_EQ(s, "NaN", "NaN spelling");
	fmt_double(s, sizeof s, -INFINITY);
	STR_EQ(s, "-Infinity", "-Inf spelling");
}

static void test_jsonw(void)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	struct jsonw w;
	jsonw_init(&w, f);
	jsonw_begin_object(&w);
	jsonw_key(&w, "a\"b");
	jsonw_string(&w, "x\n\x01\xff<y>");
	jsonw_key(&w, "n");
	jsonw_begin_array(&w);
	jsonw_double(&w, 0.5);
	jsonw_double(&w, INFINITY);
	jsonw_int(&w, -3);
	jsonw_end_array(&w);
	jsonw_key(&w, "z");
	jsonw_null(&w);
	jsonw_end_object(&w);
	fclose(f);
	STR_EQ(text, "{\"a\\\"b\":\"x\\n\\u0001\xEF\xBF\xBD<y>\",\"n\":[0.5,\"Infinity\",-3],\"z\":null}",
	       "JSON writer output");
	free(text);
}

static void test_path_join(void)
{
	char *p = path_join("a/", "/b");
	STR_EQ(p, "a/b", "path_join drops doubled slashes");
	free(p);
	p = path_join("/", "x");
	STR_EQ(p, "/x", "path_join at the root");
	free(p);
}

/* Names in display order: numbers by value, the order total. */
static void test_natcmp(void)
{
	const char *sorted[] = {"", "run", "run01", "run1", "run2", "run10", "run10a", "run10b",
	                        "run099x", "run100", "run100_2", "run100_10", "version_9",
	                        "version_10", "version_9999", "version_10000"};
	size_t n = sizeof sorted / sizeof *sorted;
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < n; j++) {
			int c = str_natcmp(sorted[i], sorted[j]);
			int want = i < j ? -1 : i > j ? 1 : 0;
			OK((c > 0) - (c < 0) == want, "str_natcmp(\"%s\", \"%s\") = %d", sorted[i],
			   sorted[j], c);
		}
	/* digits longer than any integer type still compare */
	OK(str_natcmp("x123456789012345678901234567890", "x99999999999999999999") > 0,
	   "long digit runs compare by length");
}

/* Slimmed runs share the texts they hold alike: a metric name, a param's
 * name and value, the status are held once for every run, whatever is
 * then freed in which order. */
static void test_shared_texts(void)
{
	enum { RUNS = 1000 };
	struct run **runs = calloc(RUNS, sizeof *runs);
	for (int i = 0; i < RUNS; i++) {
		struct run *r = run_new("test", "store");
		char id[32];
		snprintf(id, sizeof id, "run-%d", i);
		r->id = xstrdup(id);
		r->status = xstrdup("FINISHED");
		kvlist_add(&r->params, "optimizer", "adamw");
		kvlist_add(&r->params, "seed", id);
		for (int m = 0; m < 6; m++) {
			char key[32];
			snprintf(key, sizeof key, "val/metric-%d", m);
			struct series *se = run_series(r, key);
			for (int k = 0; k < 50; k++)
				series_add(se, k, 0, i + k);
		}
		run_finish(r, 4);
		run_slim(r);
		runs[i] = r;
	}
	/* A text is pooled when a second run holds it: the first keeps its copy. */
	int shared = 1;
	for (int i = 2; i < RUNS; i++) {
		for (int m = 0; m < 6; m++)
			shared &= run_sum(runs[i], m)->key == run_sum(runs[1], m)->key;
		shared &= runs[i]->status == runs[1]->status && runs[i]->store == runs[1]->store;
		shared &= runs[i]->params.items[0].key == runs[1]->params.items[0].key &&
		          runs[i]->params.items[0].value == runs[1]->params.items[0].value;
	}
	OK(shared, "1,000 runs hold each metric name, param and status once");
	STR_EQ(run_sum(runs[0], 3)->key, "val/metric-3", "the first run's own copy reads as before");
	STR_EQ(run_sum(runs[7], 3)->key, "val/metric-3", "a shared name reads as before");
	const char *seed = kvlist_get(&runs[7]->params, "seed");
	STR_EQ(seed, "run-7", "values of their own stay theirs");
	/* ... in the run's one block (its length is the block's first word), not
	 * in an allocation of their own that the pool keeps to the end. */
	OK(seed >= runs[7]->pack && seed < runs[7]->pack + *(const size_t *)runs[7]->pack,
	   "a value one run alone holds is in its block");
	/* A slimmed run keeps its metrics' summaries alone, in its block. */
	OK(runs[7]->metrics == NULL && runs[7]->nmetrics == 6, "no series is kept, only summaries");
	const char *sums = (const char *)runs[7]->sums;
	OK(sums >= runs[7]->pack && sums < runs[7]->pack + *(const size_t *)runs[7]->pack,
	   "the summaries are in the run's block");
	const struct series_sum *m5 = run_find_sum(runs[7], "val/metric-5");
	OK(m5 != NULL, "a shared name is found");
	/* run 7's points are 7 + k for k < 50 */
	OK(m5 && m5->count == 50 && m5->last.value == 56 &&
	           m5->last.step == 49 && m5->has_finite && m5->min.value == 7 &&
	           m5->min.step == 0 && m5->max.value == 56 && m5->max.step == 49 && m5->ndec > 0,
	   "its summary is the series' own");
	OK(runs[7]->nonfinite == NULL, "no NaN or Inf counts kept when there are none");
	OK(run_find_sum(runs[7], "val/metric-6") == NULL, "a metric it does not have is not found");
	/* Freed out of order (ASan checks that nothing is freed twice or leaked). */
	for (int i = 0; i < RUNS; i += 2)
		run_free(runs[i]);
	for (int i = 1; i < RUNS; i += 2)
		run_free(runs[i]);
	free(runs);
	struct run *r = run_new("test", "store");
	run_series(r, "val/metric-0");
	run_slim(r);
	run_slim(r); /* twice is harmless */
	STR_EQ(run_sum(r, 0)->key, "val/metric-0", "a name shared after the runs that had it went");
	run_free(r);
}

/* A slimmed run keeps its NaN and Inf counts, for its page, only when it
 * has any; run_sum and run_nonfinite read the same of it slimmed or not. */
static void test_slim_nonfinite(void)
{
	struct run *r = run_new("test", "store");
	struct series *a = run_series(r, "a"), *b = run_series(r, "b");
	series_add(a, 0, 1000, 1.0);
	series_add(a, 1, 2000, NAN);
	series_add(a, 2, 3000, INFINITY);
	series_add(a, 3, 4000, NAN);
	series_add(a, 4, 5000, 0.5);
	series_add(b, 7, 9000, 2.0);
	run_finish(r, 4);
	uint64_t before[2], after[2];
	run_nonfinite(r, 0, before);
	struct series_sum sa = *run_sum(r, 0);
	run_slim(r);
	run_nonfinite(r, 0, after);
	OK(before[0] == 2 && before[1] == 1 && after[0] == 2 && after[1] == 1,
	   "two NaN and one Inf, before and after slimming");
	run_nonfinite(r, 1, after);
	OK(after[0] == 0 && after[1] == 0, "none in the other metric");
	const struct series_sum *s = run_sum(r, 0);
	OK(s->count == sa.count && s->count == 5 && s->last.value == 0.5 && s->last.step == 4 &&
	           s->min.value == 0.5 && s->min.step == 4 && s->max.value == 1.0 &&
	           s->max.step == 0 && s->has_finite,
	   "the summary is the series' own");
	run_free(r);
}

/* A slimmed run's texts that end another of its texts are that text's
 * end: a Lightning run's name ends its id, which ends its folder's path. */
static void test_slim_tails(void)
{
	struct run *r = run_new("test", "/data/runs/lightning_logs/version_3");
	r->id = xstrdup("lightning_logs/version_3");
	r->name = xstrdup("version_3");
	r->user = xstrdup("version_3x");
	run_finish(r, 0);
	run_slim(r);
	STR_EQ(r->id, "lightning_logs/version_3", "the id reads as before");
	STR_EQ(r->name, "version_3", "the name reads as before");
	OK(r->id == r->store + strlen(r->store) - strlen(r->id), "the id is the end of the path");
	OK(r->name == r->store + strlen(r->store) - strlen(r->name), "so is the name");
	STR_EQ(r->user, "version_3x", "a text that is no other's end has its own bytes");
	run_slim(r); /* again: the texts stay where they are read right */
	STR_EQ(r->name, "version_3", "the name after slimming twice");
	STR_EQ(r->id, "lightning_logs/version_3", "the id after slimming twice");
	run_free(r);
}

int main(void)
{
	test_summary_quirks();
	test_summary_matches_reference();
	test_long_series_one_pass();
	test_m4_paths_agree();
	test_decimation();
	test_fmt_double();
	test_jsonw();
	test_path_join();
	test_natcmp();
	test_shared_texts();
	test_slim_nonfinite();
	test_slim_tails();
	return TEST_END();
}
