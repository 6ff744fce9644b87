/* test_chart.c — the chart module's arithmetic: nice ticks, labels that do not
 * overlap, number formats, TensorBoard smoothing, the log-y rule, the
 * description, the palette. */
#include <stdlib.h>

#include "../../src/chart/chart_internal.h"
#include "harness.h"

/* A fake font: 6 px per byte, 12 px high. */
static void fake_measure(void *ctx, const char *text, double *w, double *h)
{
	(void)ctx;
	*w = 6.0 * (double)strlen(text);
	*h = 12;
}

/* Decimals after the point, before any suffix letter. */
static int decimals(const char *s)
{
	const char *dot = strchr(s, '.');
	int n = 0;
	if (!dot)
		return 0;
	for (dot++; *dot >= '0' && *dot <= '9'; dot++)
		n++;
	return n;
}

static void test_nice(void)
{
	double t[CHART_MAX_TICKS], step;
	size_t n;

	DBL_EQ(chart_nice_num(0.83, 1), 1.0, "nice(0.83) rounded");
	DBL_EQ(chart_nice_num(3.2, 1), 5.0, "nice(3.2) rounded");
	DBL_EQ(chart_nice_num(0.012, 0), 0.02, "nice(0.012) ceiling");
	DBL_EQ(chart_nice_num(20, 0), 20.0, "nice(20) ceiling");
	n = chart_ticks_linear(0, 10, 6, t, CHART_MAX_TICKS, &step);
	INT_EQ(n, 6, "0..10 in about 6 ticks");
	DBL_EQ(step, 2.0, "step of 0..10");
	DBL_EQ(t[5], 10.0, "last tick");
	n = chart_ticks_linear(-0.3, 0.3, 4, t, CHART_MAX_TICKS, &step);
	OK(n >= 3, "ticks around zero: %zu", n);
	for (size_t i = 0; i < n; i++)
		OK(!signbit(t[i]) || t[i] != 0, "no -0 tick");
	/* ticks stay inside the range */
	n = chart_ticks_linear(0.137, 0.941, 7, t, CHART_MAX_TICKS, &step);
	OK(n >= 2 && t[0] >= 0.137 && t[n - 1] <= 0.941, "inside [0.137, 0.941]: %zu ticks", n);
}

/* Lays out many ranges on both kinds of axis and checks the contract: ticks
 * inside the range, distinct labels, no overlap, one number of decimals. */
static void test_layout_no_overlap(void)
{
	static const double ranges[][2] = {
		{0, 1},       {0, 10000},     {0.9, 0.98},   {-3.5, 2.25}, {1e-5, 3e-4},
		{0, 3.4e6},   {123456, 123470}, {0.99991, 0.99999}, {-1e9, 1e9}, {0, 7},
		{2.5, 2.5000001}, {-0.001, 0.001}, {1e17, 5e17},
	};
	static const double lengths[] = {60, 150, 333, 700, 1500};
	int bad_overlap = 0, bad_dec = 0, bad_range = 0, bad_distinct = 0, cases = 0;

	for (size_t r = 0; r < sizeof ranges / sizeof ranges[0]; r++)
		for (size_t l = 0; l < sizeof lengths / sizeof lengths[0]; l++)
			for (int vertical = 0; vertical < 2; vertical++) {
				struct chart_axis ax;
				double lo = ranges[r][0], hi = ranges[r][1], len = lengths[l];
				chart_axis_layout(&ax, lo, hi, 0, CHART_AXIS_VALUE, len, vertical,
				                  fake_measure, NULL);
				cases++;
				if (ax.n < 1)
					bad_range++;
				for (size_t i = 0; i < ax.n; i++) {
					if (ax.tick[i] < lo - (hi - lo) * 1e-9 ||
					    ax.tick[i] > hi + (hi - lo) * 1e-9) {
						bad_range++;
						printf("# tick %.17g outside [%g, %g]\n", ax.tick[i], lo, hi);
					}
					if (decimals(ax.label[i]) != decimals(ax.label[ax.n - 1]) &&
					    strcmp(ax.label[i], "0")) {
						bad_dec++;
						printf("# decimals differ: %s vs %s\n", ax.label[i],
						       ax.label[ax.n - 1]);
					}
					if (i == 0)
						continue;
					double gap = (ax.tick[i] - ax.tick[i - 1]) / (hi - lo) * len;
					double need = vertical ? 12 : 6.0 * (double)strlen(ax.label[i]);
					if (gap < need)
						bad_overlap++;
					if (strcmp(ax.label[i], ax.label[i - 1]) == 0)
						bad_distinct++;
				}
			}
	INT_EQ(bad_overlap, 0, "overlapping labels");
	INT_EQ(bad_dec, 0, "labels with differing decimals on one axis");
	INT_EQ(bad_range, 0, "ticks outside the range");
	INT_EQ(bad_distinct, 0, "repeated labels");
	OK(cases > 100, "cases: %d", cases);
}

/* The label of the tick with value v, or NULL. */
static const char *label_of(const struct chart_axis *ax, double v)
{
	for (size_t i = 0; i < ax->n; i++)
		if (fabs(ax->tick[i] - v) <= fabs(v) * 1e-9)
			return ax->label[i];
	return NULL;
}

static void test_formats(void)
{
	struct chart_axis ax;
	char s[64];

	chart_axis_layout(&ax, 0, 10000, 0, CHART_AXIS_STEP, 700, 0, fake_measure, NULL);
	STR_EQ(label_of(&ax, 10000), "10k", "10,000 steps");
	STR_EQ(label_of(&ax, 0), "0", "zero step");
	chart_axis_layout(&ax, 0, 3.4e6, 0, CHART_AXIS_STEP, 700, 0, fake_measure, NULL);
	STR_EQ(label_of(&ax, 3e6), "3.0M", "3M steps, one decimal like its neighbours");
	STR_EQ(label_of(&ax, 2.5e6), "2.5M", "2.5M steps");
	chart_axis_layout(&ax, 0, 1e-4, 0, CHART_AXIS_VALUE, 300, 1, fake_measure, NULL);
	STR_EQ(label_of(&ax, 1e-4), "1e-4", "a learning rate");
	for (size_t i = 0; i < ax.n; i++)
		OK(ax.tick[i] == 0 || strstr(ax.label[i], "e-"), "1e-4 style: %s", ax.label[i]);
	chart_axis_layout(&ax, 0, 1e-4, 0, CHART_AXIS_VALUE, 80, 1, fake_measure, NULL);
	OK(ax.n >= 2 && (label_of(&ax, 5e-5) == NULL || strcmp(label_of(&ax, 5e-5), "5e-5") == 0),
	   "5e-5");
	chart_axis_layout(&ax, 0.9, 0.98, 0, CHART_AXIS_VALUE, 300, 1, fake_measure, NULL);
	STR_EQ(label_of(&ax, 0.9), "0.90", "accuracy: fixed decimals");
	STR_EQ(label_of(&ax, 0.95), "0.95", "accuracy 0.95");
	/* log axes: decades */
	chart_axis_layout(&ax, -4, 0, 1, CHART_AXIS_VALUE, 300, 1, fake_measure, NULL);
	STR_EQ(label_of(&ax, -4), "1e-4", "log decade 1e-4");
	STR_EQ(label_of(&ax, 0), "1e0", "log decade 1");
	chart_axis_layout(&ax, 0, 3, 1, CHART_AXIS_VALUE, 300, 1, fake_measure, NULL);
	STR_EQ(label_of(&ax, 3), "1000", "log decade 1000");
	/* time: 2024-01-01T00:00Z plus six hours */
	chart_axis_layout(&ax, 1704067200, 1704067200 + 6 * 3600, 0, CHART_AXIS_TIME, 700, 0,
	                  fake_measure, NULL);
	STR_EQ(label_of(&ax, 1704067200 + 3600), "01:00", "clock time in UTC");
	chart_axis_layout(&ax, 0, 7200, 0, CHART_AXIS_RELATIVE, 700, 0, fake_measure, NULL);
	OK(label_of(&ax, 1800) && strchr(label_of(&ax, 1800), 'm'), "durations in minutes: %s",
	   label_of(&ax, 1800) ? label_of(&ax, 1800) : "(none)");

	chart_format_number(s, sizeof s, 1234);
	STR_EQ(s, "1234", "1234");
	chart_format_number(s, sizeof s, 12345);
	STR_EQ(s, "12.3k", "12345");
	chart_format_number(s, sizeof s, 3.4e6);
	STR_EQ(s, "3.4M", "3.4e6");
	chart_format_number(s, sizeof s, 1e-4);
	STR_EQ(s, "1e-4", "1e-4");
	chart_format_number(s, sizeof s, 0.93214);
	STR_EQ(s, "0.9321", "four significant digits");
	chart_format_number(s, sizeof s, -2.5e-5);
	STR_EQ(s, "-2.5e-5", "negative tiny");
	chart_format_number(s, sizeof s, 999999);
	STR_EQ(s, "1M", "rounds up to the next suffix");
	chart_format_number(s, sizeof s, NAN);
	STR_EQ(s, "NaN", "NaN");
	chart_format_number(s, sizeof s, -INFINITY);
	STR_EQ(s, "-Inf", "-Inf");
}

static int near(double a, double b)
{
	return fabs(a - b) <= 1e-15 * fabs(b);
}

/* Hand-computed from TensorBoard's formula: last = last*w + (1-w)*y;
 * out = last / (1 - w^n). */
static void test_smoothing(void)
{
	double y[] = {1, 2, 3}, out[3];
	chart_smooth(y, 3, 0.5, out);
	/* last: 0.5, 1.25, 2.125; debias: 0.5, 0.75, 0.875 */
	OK(near(out[0], 1.0), "smooth[0] = %.17g", out[0]);
	OK(near(out[1], 5.0 / 3.0), "smooth[1] = %.17g", out[1]);
	OK(near(out[2], 17.0 / 7.0), "smooth[2] = %.17g", out[2]);

	double z[] = {1, NAN, 3, INFINITY, 5}, o2[5];
	chart_smooth(z, 5, 0.5, o2);
	OK(near(o2[0], 1.0), "NaN case [0]");
	OK(isnan(o2[1]), "NaN passes through");
	/* last 0.5 → 1.75, n = 2, debias 0.75 */
	OK(near(o2[2], 7.0 / 3.0), "after NaN: %.17g", o2[2]);
	OK(isinf(o2[3]) && o2[3] > 0, "Inf passes through");
	/* last 1.75*0.5 + 2.5 = 3.375, n = 3, debias 0.875 */
	OK(near(o2[4], 27.0 / 7.0), "after Inf: %.17g", o2[4]);

	double c[] = {0.3, 0.3, 0.3, 0.3}, o3[4];
	chart_smooth(c, 4, 0.9, o3);
	OK(o3[0] == 0.3 && o3[3] == 0.3, "constant series unchanged");

	double d[] = {2, 4}, o4[2];
	chart_smooth(d, 2, 0, o4);
	OK(o4[0] == 2 && o4[1] == 4, "w = 0 is the identity");
	chart_smooth(d, 2, NAN, o4);
	OK(o4[1] == 4, "non-finite w means 0");
	chart_smooth(d, 2, 7, o4); /* clamped to 1: debias 1, last stays 0 */
	OK(o4[0] == 0 && o4[1] == 0, "w clamped to 1");

	/* a long series: debias reaches exactly 1 and stays there */
	size_t n = 200;
	double *ly = malloc(n * sizeof *ly), *lo = malloc(n * sizeof *lo), last = 0;
	int bad = 0;
	for (size_t i = 0; i < n; i++)
		ly[i] = (double)(i % 7);
	chart_smooth(ly, n, 0.6, lo);
	for (size_t i = 0; i < n; i++) {
		last = last * 0.6 + (1 - 0.6) * ly[i];
		if (lo[i] != last / (1 - pow(0.6, (double)(i + 1))))
			bad++;
	}
	INT_EQ(bad, 0, "long series equals the formula bit for bit");
	free(ly);
	free(lo);

	struct chart_spec spec;
	chart_spec_defaults(&spec);
	DBL_EQ(spec.smoothing, 0.6, "default smoothing is TensorBoard's 0.6");
}

/* chart_log_suggested(spec), checking that the extrema of the series
 * (what an SVG's description uses as well) decide the same. */
static int log_rule(const struct chart_spec *spec)
{
	struct chart_extrema *ex = chart_series_extrema(spec);
	int a = chart_log_suggested(spec), b = chart_log_from_extrema(spec, ex);
	free(ex);
	INT_EQ(b, a, "the extrema decide as chart_log_suggested");
	return a;
}

/* The first points with the least and the greatest finite y, point by
 * point: what both ways of finding them below must give. */
static struct chart_extrema extrema_by_hand(const struct chart_point *p, size_t n)
{
	struct chart_extrema e = {SIZE_MAX, SIZE_MAX};
	for (size_t i = 0; i < n; i++) {
		if (!isfinite(p[i].y))
			continue;
		if (e.lo == SIZE_MAX || p[i].y < p[e.lo].y)
			e.lo = i;
		if (e.hi == SIZE_MAX || p[i].y > p[e.hi].y)
			e.hi = i;
	}
	return e;
}

/* chart_series_extrema finds the extrema found by hand; chart_extrema_scan,
 * fed every point, finds them too, or says it cannot (an infinity among
 * the extrema, or no finite value) and only then: random series of few
 * distinct values (ties, where the first must win), signed zeros, NaNs and
 * infinities. */
static void test_extrema_scan(void)
{
	static const double vals[] = {1.5, -2, 0.0, -0.0, 7, NAN, -NAN, INFINITY, -INFINITY, 1e300};
	int same = 1, found = 0;
	for (int round = 0; round < 2000 && same; round++) {
		struct chart_point p[12];
		size_t n = (size_t)(test_rnd() % 13);
		int only_odd = round % 7 == 0; /* no finite value */
		for (size_t i = 0; i < n; i++) {
			size_t k = (size_t)(test_rnd() % (sizeof vals / sizeof *vals));
			p[i] = (struct chart_point){(double)i, only_odd ? vals[5 + k % 4] : vals[k]};
		}
		struct chart_series se = {.label = "r", .pts = p, .n = n};
		struct chart_spec spec;
		chart_spec_defaults(&spec);
		spec.series = &se;
		spec.nseries = 1;
		struct chart_extrema *series = chart_series_extrema(&spec);
		struct chart_extrema want = extrema_by_hand(p, n);
		struct chart_extrema_scan sc = CHART_EXTREMA_SCAN_INIT;
		for (size_t i = 0; i < n; i++)
			chart_extrema_scan(&sc, i, p[i].y);
		int inf = 0, finite = 0;
		for (size_t i = 0; i < n; i++) {
			inf |= isinf(p[i].y);
			finite |= isfinite(p[i].y);
		}
		const struct chart_extrema *got = chart_extrema_found(&sc);
		same = series->lo == want.lo && series->hi == want.hi;
		if (got) {
			same = same && got->lo == want.lo && got->hi == want.hi;
			found++;
		} else {
			same = same && (inf || !finite);
		}
		if (!same)
			printf("# round %d: scan %zu %zu (%s), chart %zu %zu, by hand %zu %zu\n", round,
			       sc.at.lo, sc.at.hi, got ? "found" : "not found", series->lo, series->hi,
			       want.lo, want.hi);
		free(series);
	}
	OK(same, "chart_series_extrema and chart_extrema_scan find the extrema found by hand");
	OK(found > 200, "series without an infinity are found (%d)", found);
}

static void test_log_rule(void)
{
	struct chart_point a[] = {{0, 1e-4}, {1, 0.5}, {2, NAN}, {3, INFINITY}};
	struct chart_point b[] = {{0, 0.01}, {1, 1}};
	struct chart_point c[] = {{0, -1}, {1, 1e6}};
	struct chart_series s = {"r", a, 4, 0, NULL, NULL, 0, 0, NULL};
	struct chart_spec spec;

	chart_spec_defaults(&spec);
	INT_EQ(spec.log_y, -1, "log-y decided automatically by default");
	spec.series = &s;
	spec.nseries = 1;
	INT_EQ(log_rule(&spec), 1, "1e-4..0.5 spans 3+ decades");
	s.pts = b;
	s.n = 2;
	INT_EQ(log_rule(&spec), 0, "two decades: linear");
	s.pts = c;
	INT_EQ(log_rule(&spec), 0, "a negative value: linear");
	/* Values that are not finite count as none, whichever of them there is. */
	struct chart_point d[] = {{0, -INFINITY}, {1, 1e-4}, {2, NAN}, {3, 0.5}};
	struct chart_point e[] = {{0, NAN}, {1, 0.01}, {2, INFINITY}, {3, -INFINITY}, {4, 1}};
	struct chart_point f[] = {{0, 0.5}, {1, NAN}, {2, 0.0}, {3, 1e-4}};
	struct chart_point g[] = {{0, NAN}, {1, INFINITY}};
	const struct {
		struct chart_point *pts;
		size_t n;
		int log;
		const char *what;
	} cases[] = {{d, 4, 1, "-inf is no value: 1e-4..0.5 still log"},
	             {e, 5, 0, "0.01..1 between infinities: linear"},
	             {f, 4, 0, "a zero: linear"},
	             {g, 2, 0, "no finite value: linear"}};
	for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
		s.pts = cases[k].pts;
		s.n = cases[k].n;
		INT_EQ(log_rule(&spec), cases[k].log, cases[k].what);
	}
	/* Over every series: three decades between two of them. */
	struct chart_point h[] = {{0, 1e-4}, {1, 1e-3}};
	struct chart_point i[] = {{0, 0.1}, {1, NAN}, {2, 0.5}};
	struct chart_series two[2] = {{"a", h, 2, 0, NULL, NULL, 0, 0, NULL}, {"b", i, 3, 1, NULL, NULL, 0, 0, NULL}};
	spec.series = two;
	spec.nseries = 2;
	INT_EQ(log_rule(&spec), 1, "1e-4 in one series, 0.5 in another: log");
	two[1].pts = c;
	two[1].n = 2;
	INT_EQ(log_rule(&spec), 0, "a negative value in another series: linear");
}

static void test_describe_palette(void)
{
	struct chart_point a[] = {{0, 2.0}, {10, 0.5}, {20, 0.75}};
	struct chart_point b[] = {{0, 3.0}, {10, 1.5}, {20, NAN}};
	struct chart_series s[2] = {{"baseline", a, 3, 0, NULL, NULL, 0, 0, NULL},
	                            {"wide-lr", b, 3, 1, NULL, NULL, 0, 0, NULL}};
	struct chart_spec spec;
	struct chart_info info = {.points_total = 1000000, .points_drawn = 3210};
	char *d;

	chart_spec_defaults(&spec);
	spec.title = "val/loss";
	spec.series = s;
	spec.nseries = 2;
	spec.goal = CHART_GOAL_MIN;
	d = chart_describe(&spec, &info);
	OK(strstr(d, "val/loss") != NULL, "names the metric: %s", d);
	OK(strstr(d, "baseline") && strstr(d, "wide-lr"), "names the runs");
	OK(strstr(d, "last 0.75") != NULL, "last value");
	OK(strstr(d, "best 0.5 at step 10") != NULL, "best value and step");
	OK(strstr(d, "last NaN") != NULL, "a NaN last value is said");
	OK(strstr(d, "3,210 of 1,000,000 points drawn") != NULL, "N of M points drawn");
	free(d);
	/* The best is the first point with the least value, with infinities
	 * among the values (they are not best) and without. */
	struct chart_point c[] = {{0, INFINITY}, {10, 0.5}, {20, 0.25}, {30, 0.25}, {40, -INFINITY}};
	struct chart_point e[] = {{0, 1.0}, {10, 0.5}, {20, 0.5}, {30, 0.75}};
	s[0].pts = c;
	s[0].n = 5;
	s[1].pts = e;
	s[1].n = 4;
	d = chart_describe(&spec, &info);
	OK(strstr(d, "best 0.25 at step 20") != NULL, "first least finite value: %s", d);
	OK(strstr(d, "best 0.5 at step 10") != NULL, "first least value: %s", d);
	free(d);
	spec.goal = CHART_GOAL_NONE;
	d = chart_describe(&spec, &info);
	OK(strstr(d, "min 0.25, max 0.5") != NULL, "finite extrema: %s", d);
	OK(strstr(d, "min 0.5, max 1") != NULL, "extrema: %s", d);
	free(d);
	spec.goal = CHART_GOAL_MIN;

	const char *c0 = chart_color_hex(0);
	STR_EQ(chart_color_hex(0), c0, "palette stable across calls");
	for (int i = 0; i < CHART_NPALETTE; i++)
		for (int j = i + 1; j < CHART_NPALETTE; j++)
			OK(strcmp(chart_color_hex(i), chart_color_hex(j)) != 0, "colours %d, %d differ", i,
			   j);
	STR_EQ(chart_color_hex(CHART_NPALETTE + 2), chart_color_hex(2),
	       "past the palette: same colour (the line style changes)");
	OK(chart_color_hex(-5)[0] == '#' && strlen(chart_color_hex(-5)) == 7, "negative index");
}

/* A fake font: every character 7 px wide ("…" too), 12 px high. */
static void fixed_measure(void *ctx, const char *text, double *w, double *h)
{
	(void)ctx;
	*w = 7.0 * (double)g_utf8_strlen(text, -1);
	*h = 12;
}

static void test_short_names(void)
{
	/* legends: the part run names share is said once */
	struct chart_series s[3] = {{"mlp16-posw4-s3", NULL, 0, 0, NULL, NULL, 0, 0, NULL},
	                            {"mlp16-posw4-s4", NULL, 0, 1, NULL, NULL, 0, 0, NULL},
	                            {"mlp16-posw4-s10", NULL, 0, 2, NULL, NULL, 0, 0, NULL}};
	size_t pre, suf;
	chart_label_common(s, 3, &pre, &suf);
	INT_EQ(pre, strlen("mlp16-posw4-"), "shared prefix up to the separator");
	INT_EQ(suf, 0, "no shared suffix");
	char *t = chart_label_common_text(s, 3);
	STR_EQ(t, "mlp16-posw4-\xe2\x80\xa6", "the shared part as text");
	free(t);
	struct chart_series g[2] = {{"logreg-baseline (mean, n=3)", NULL, 0, 0, NULL, NULL, 0, 0, NULL},
	                            {"logreg-posw4 (mean, n=3)", NULL, 0, 1, NULL, NULL, 0, 0, NULL}};
	chart_label_common(g, 2, &pre, &suf);
	INT_EQ(pre, strlen("logreg-"), "groups: prefix");
	INT_EQ(suf, strlen(" (mean, n=3)"), "groups: suffix from the separator");
	struct chart_series d[2] = {{"adam", NULL, 0, 0, NULL, NULL, 0, 0, NULL},
	                            {"adamw", NULL, 0, 1, NULL, NULL, 0, 0, NULL}};
	chart_label_common(d, 2, &pre, &suf);
	INT_EQ(pre + suf, 0, "no separator: names kept whole");
	struct chart_series e[2] = {{"run-a", NULL, 0, 0, NULL, NULL, 0, 0, NULL},
	                            {"run-a-b", NULL, 0, 1, NULL, NULL, 0, 0, NULL}};
	chart_label_common(e, 2, &pre, &suf);
	OK(pre < strlen("run-a") && pre + suf < strlen("run-a"), "no name left empty");
	chart_label_common(s, 1, &pre, &suf);
	INT_EQ(pre + suf, 0, "one series: its whole name");

	/* sweep axes: shortened names stay apart and fit */
	const char *cats[] = {"adam", "adamw", "cosine_with_restarts", "cosine_with_warmup",
	                      "linear_schedule_with_warmup_and_decay"};
	char out[5][128];
	for (int i = 0; i < 5; i++) {
		double w, h;
		chart_abbreviate(cats[i], 70, fixed_measure, NULL, out[i], sizeof out[i]);
		fixed_measure(NULL, out[i], &w, &h);
		OK(w <= 70, "%s fits as %s", cats[i], out[i]);
	}
	STR_EQ(out[0], "adam", "a name that fits stays whole");
	STR_EQ(out[1], "adamw", "adamw stays adamw");
	for (int i = 0; i < 5; i++)
		for (int j = i + 1; j < 5; j++)
			OK(strcmp(out[i], out[j]) != 0, "%s and %s stay apart", out[i], out[j]);

	/* the colour scale: from dark to light, so its order reads in grey */
	double prev = -1;
	int rising = 1;
	for (int i = 0; i <= 20; i++) {
		double rgb[3];
		chart_scale_rgb(i / 20.0, rgb);
		double y = 0.2126 * rgb[0] + 0.7152 * rgb[1] + 0.0722 * rgb[2];
		rising = rising && y > prev;
		prev = y;
	}
	OK(rising, "the scale's luminance rises from 0 to 1");
	INT_EQ(chart_sweep_top(500), 10, "a 500-run sweep highlights 10");
	INT_EQ(chart_sweep_top(5), 1, "five runs: the best one");
}

static void test_distinct_looks(void)
{
	/* ten runs whose own colours (from their ids) share two hues */
	int own[10] = {0, 6, 0, 12, 1, 7, 0, 1, 13, 6};
	struct chart_series s[11];
	memset(s, 0, sizeof s);
	for (int i = 0; i < 10; i++)
		s[i].color = own[i];
	s[10].faint = 1;
	s[10].color = 3;
	chart_distinct_looks(s, 11);
	int looks[CHART_RUN_STYLES] = {0}, colours[6] = {0};
	for (int i = 0; i < 10; i++) {
		looks[s[i].color]++;
		colours[s[i].color % 6]++;
	}
	int dup = 0, lo = 99, hi = 0;
	for (int k = 0; k < CHART_RUN_STYLES; k++)
		dup += looks[k] > 1;
	for (int c = 0; c < 6; c++) {
		lo = colours[c] < lo ? colours[c] : lo;
		hi = colours[c] > hi ? colours[c] : hi;
	}
	INT_EQ(dup, 0, "ten series: ten different looks");
	OK(hi - lo <= 1, "ten series: the six colours used evenly (1 or 2 each)");
	INT_EQ(s[0].color, 0, "the first series keeps its run's colour");
	INT_EQ(s[10].color, 3, "a faint series is left alone");
	struct chart_series apart[3];
	memset(apart, 0, sizeof apart);
	apart[0].color = 2;
	apart[1].color = 9;
	apart[2].color = -5;
	chart_distinct_looks(apart, 3);
	OK(apart[0].color == 2 && apart[1].color == 9 && apart[2].color == -5,
	   "series already apart keep their own looks");
}

int main(void)
{
	test_distinct_looks();
	test_short_names();
	test_nice();
	test_layout_no_overlap();
	test_formats();
	test_smoothing();
	test_log_rule();
	test_extrema_scan();
	test_describe_palette();
	return TEST_END();
}
