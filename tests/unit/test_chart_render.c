/* test_chart_render.c — drawn charts: M4 decimation gives the same picture as
 * every point, NaN gaps and Inf markers, y range from finite values, clipped
 * outliers, byte-identical output, safe <title>/<desc>. */
#include <libxml/parser.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include "../../src/chart/chart_internal.h"
#include "harness.h"

/* A deterministic random walk (xorshift), x = 0..n-1. */
static struct chart_point *walk(size_t n, uint64_t seed)
{
	struct chart_point *p = xreallocarray(NULL, n, sizeof *p);
	uint64_t s = seed;
	double y = 0;

	for (size_t i = 0; i < n; i++) {
		s ^= s << 13;
		s ^= s >> 7;
		s ^= s << 17;
		y += ((double)(s >> 11) / 9007199254740992.0) - 0.5;
		p[i].x = (double)i;
		p[i].y = y;
	}
	return p;
}

/* Draws spec on a fresh image surface of scale× its size. */
static cairo_surface_t *draw_image(const struct chart_spec *spec, double scale, int no_dec,
                                   struct chart_info *info, struct chart_axis *ya)
{
	cairo_surface_t *sf = cairo_image_surface_create(
		CAIRO_FORMAT_ARGB32, (int)(spec->width * scale), (int)(spec->height * scale));
	cairo_t *cr = cairo_create(sf);
	struct chart_draw_opts o = {.no_decimate = no_dec, .columns = scale, .y_out = ya};

	cairo_scale(cr, scale, scale);
	OK(chart_draw(spec, cr, &o, info), "chart_draw: %s", cairo_status_to_string(cairo_status(cr)));
	cairo_destroy(cr);
	cairo_surface_flush(sf);
	return sf;
}

/* Pixels whose colour differs by more than `tol` in any channel. */
static size_t diff_pixels(cairo_surface_t *a, cairo_surface_t *b, int tol, size_t *total)
{
	int w = cairo_image_surface_get_width(a), h = cairo_image_surface_get_height(a);
	int stride = cairo_image_surface_get_stride(a);
	const unsigned char *pa = cairo_image_surface_get_data(a), *pb = cairo_image_surface_get_data(b);
	size_t n = 0;

	for (int y = 0; y < h; y++)
		for (int x = 0; x < w; x++) {
			const unsigned char *u = pa + y * stride + 4 * x, *v = pb + y * stride + 4 * x;
			for (int c = 0; c < 4; c++)
				if (abs(u[c] - v[c]) > tol) {
					n++;
					break;
				}
		}
	*total = (size_t)w * (size_t)h;
	return n;
}

static void test_m4_small(void)
{
	/* one column: keeps first, min, max, last in their order */
	struct chart_point p[] = {{0.1, 5}, {0.2, 9}, {0.3, 1}, {0.4, 4}, {0.5, 3}, {1.5, 7}};
	struct chart_point out[6];
	size_t n = chart_m4(p, 6, 0, 0, 1, out);
	INT_EQ(n, 5, "four kept in column 0, one in column 1");
	DBL_EQ(out[0].y, 5, "first");
	DBL_EQ(out[1].y, 9, "max, in order");
	DBL_EQ(out[2].y, 1, "min");
	DBL_EQ(out[3].y, 3, "last");
	DBL_EQ(out[4].y, 7, "next column");

	/* non-finite values break buckets and keep their first point */
	struct chart_point q[] = {{0.1, 1}, {0.2, NAN}, {0.3, NAN}, {0.4, 2}, {0.6, INFINITY}};
	n = chart_m4(q, 5, 0, 0, 1, out);
	INT_EQ(n, 4, "1, NaN (once), 2, Inf");
	OK(isnan(out[1].y) && out[2].y == 2 && isinf(out[3].y), "gap kept in order");
}

/* chart_m4_smooth's one pass (with its fast path through a column) keeps
 * exactly the points chart_m4_dense keeps of the raw values and of
 * chart_smooth's values, on a walk with NaN, ±Inf, values ≤ 0 (log axis)
 * and unsorted stretches. */
static void test_m4_smooth_same(void)
{
	size_t n = 60000;
	struct chart_point *p = walk(n, 0x2545F4914F6CDD1DULL), *sm = NULL;
	double *y = xreallocarray(NULL, n, sizeof *y), *ys = xreallocarray(NULL, n, sizeof *ys);
	struct chart_point *a = xreallocarray(NULL, n, sizeof *a), *as = xreallocarray(NULL, n, sizeof *as);
	struct chart_point *b = xreallocarray(NULL, n, sizeof *b), *bs = xreallocarray(NULL, n, sizeof *bs);

	for (size_t i = 0; i < n; i++) {
		p[i].y = exp(p[i].y / 30);
		if (i % 9973 == 5)
			p[i].y = NAN;
		if (i % 7919 == 3)
			p[i].y = i % 2 ? INFINITY : -INFINITY;
		if (i / 1000 == 31)
			p[i].y = -p[i].y; /* a stretch ≤ 0: hidden on a log axis */
		if (i / 1000 == 50)
			p[i].y = 2; /* ties: M4 keeps the first of equal values */
		if (i / 1000 == 40 && i % 3 == 0)
			p[i].x -= 2.5; /* x out of order */
		y[i] = p[i].y;
	}
	sm = xreallocarray(NULL, n, sizeof *sm);
	for (int logy = 0; logy < 2; logy++)
		for (int cols = 0; cols < 3; cols++) {
			/* 100 and 3 points a column; then w = 0 on values rounded to
			 * halves, so the smoothed values tie as often as the raw ones */
			double sx = cols == 1 ? 0.3 : 0.01, w = cols == 0 ? 0.95 : cols == 1 ? 0.6 : 0;
			size_t na, nas, nb, nbs;
			int dense_a, dense_b;
			if (cols == 2)
				for (size_t i = 0; i < n; i++)
					p[i].y = y[i] = isfinite(y[i]) ? round(y[i] * 2) / 2 : y[i];
			chart_smooth(y, n, w, ys);
			for (size_t i = 0; i < n; i++)
				sm[i] = (struct chart_point){p[i].x, ys[i]};
			chart_m4_smooth(p, n, 0, 0, sx, w, logy, a, &na, as, &nas, &dense_a);
			nb = chart_m4_dense(p, n, 0, 0, sx, logy, b, &dense_b);
			nbs = chart_m4_dense(sm, n, 0, 0, sx, logy, bs, NULL);
			int same = na == nb && nas == nbs && dense_a == dense_b;
			for (size_t i = 0; same && i < na; i++)
				same = !memcmp(&a[i], &b[i], sizeof a[i]);
			for (size_t i = 0; same && i < nas; i++)
				same = !memcmp(&as[i], &bs[i], sizeof as[i]);
			OK(same, "log %d, sx %g: one pass keeps %zu + %zu points, separately %zu + %zu", logy,
			   sx, na, nas, nb, nbs);
		}
	free(p);
	free(sm);
	free(y);
	free(ys);
	free(a);
	free(as);
	free(b);
	free(bs);
}

static uint64_t xorshift(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* A y value for test_m4_paths_agree: mostly a walk, with ties (-0 and 0
 * among them), huge values, NaN or ±Inf about once in `bad` points, and
 * stretches (*mode, changed about once in 50 points) of values ≤ 0 or
 * (left once in 2000) of the least subnormals, whose smoothing at w = 0.5
 * can round to 0 (then hidden on a log axis, while the values are not). */
static double awkward_y(uint64_t *s, double *walk_y, int *mode, unsigned bad)
{
	uint64_t r = xorshift(s);
	static const double ties[] = {-0.0, 0.0, 0.5, 1, 1, 2};
	*walk_y += (double)(r >> 40) / (double)(1ULL << 24) - 0.5;
	if ((r >> 20) % (*mode == 2 ? 2000 : 50) == 0)
		*mode = (int)((r >> 30) % 3);
	if (r % bad == 0) {
		static const double odd[] = {NAN, -NAN, INFINITY, -INFINITY};
		return odd[(r >> 8) % 4];
	}
	if (*mode == 1)
		return -fabs(*walk_y);
	if (*mode == 2)
		return (r >> 12) % 4 ? 4.9406564584124654e-324 : 9.8813129168249309e-324;
	switch ((r >> 4) % 64) {
	case 0: case 1: case 2: case 3: case 4: case 5: case 6: case 7:
		return ties[(r >> 12) % 6];
	case 8:
		return (r >> 12) % 2 ? 1.7e308 : -1.7e308;
	default:
		return *walk_y;
	}
}

/* M4 through a column 8 points at a time (CHART_M4_SIMD_AVX512, where the
 * CPU has it) keeps exactly the points M4 keeps point by point, raw and
 * smoothed: random data with NaN, ±Inf, values ≤ 0, ties, x repeated, out
 * of order or NaN, columns ending inside a block, n not a multiple of 8. */
static void test_m4_paths_agree(void)
{
	int best = chart_m4_simd(-1);
	uint64_t s = 0x853c49e6748fea9bULL;
	size_t cap = 5000;
	struct chart_point *p = xreallocarray(NULL, cap, sizeof *p);
	struct chart_point *out[2][3]; /* per path: M4, and chart_m4_smooth's raw and smoothed */

	for (int k = 0; k < 6; k++)
		out[k / 3][k % 3] = xreallocarray(NULL, cap, sizeof(struct chart_point));
	for (int round = 0; round < 300; round++) {
		size_t n = 100 + xorshift(&s) % (cap - 100);
		unsigned bad = 16u << (round % 5); /* a NaN or Inf in 16 to 256 points */
		double x = 0, wy = 1;
		int mode = round % 4 == 3 ? 2 : 0; /* from the start: the smoothing at 0 */
		for (size_t i = 0; i < n; i++) {
			uint64_t r = xorshift(&s);
			x += r % 8 == 0 ? 0 : 1; /* the same x again */
			p[i].x = r % 997 == 0 ? x - 3 : r % 1999 == 0 ? NAN : x;
			p[i].y = awkward_y(&s, &wy, &mode, bad);
		}
		/* columns of ~3 to ~2,300 points: the vector paths take a column
		 * from 64 points on (long_run) */
		static const double sxs[] = {0.013, 0.1, 0.37, 1.0 / 8, 1.0 / 24, 0.002, 0.0005};
		/* the fast path needs the debiasing done: w^k below 2^-53 */
		double sx = sxs[round % 7], w = round % 3 == 0 ? 0.5 : round % 3 == 1 ? 0.6 : 0.9;
		for (int logy = 0; logy < 2; logy++) {
			size_t nk[2][3];
			int dense[2][2];
			for (int path = 0; path < 2; path++) {
				chart_m4_simd(path ? best : CHART_M4_SIMD_NONE);
				nk[path][0] = chart_m4_dense(p, n, 0, 0, sx, logy, out[path][0], &dense[path][0]);
				chart_m4_smooth(p, n, 0, 0, sx, w, logy, out[path][1], &nk[path][1], out[path][2],
				                &nk[path][2], &dense[path][1]);
			}
			int same = dense[0][0] == dense[1][0] && dense[0][1] == dense[1][1];
			for (int k = 0; k < 3 && same; k++)
				same = nk[0][k] == nk[1][k] &&
				       !memcmp(out[0][k], out[1][k], nk[0][k] * sizeof(struct chart_point));
			OK(same, "round %d, %zu points, log %d, sx %g: paths %d and %d keep %zu/%zu/%zu and "
			   "%zu/%zu/%zu points", round, n, logy, sx, CHART_M4_SIMD_NONE, best, nk[0][0],
			   nk[0][1], nk[0][2], nk[1][0], nk[1][1], nk[1][2]);
		}
	}
	chart_m4_simd(-1);
	for (int k = 0; k < 6; k++)
		free(out[k / 3][k % 3]);
	free(p);
}

/* M4 of a walk at 90 columns from x = 0 (x0 = xlo = 0, where column 0's
 * start is not found: it reaches into the negative subnormals) keeps the
 * points of a per-point reference, and searches the column bounds about
 * twice a column, not twice for each point of column 0. */
static void test_m4_column_bounds(void)
{
	size_t n = 100000, cols = 90;
	struct chart_point *p = walk(n, 0x9E3779B97F4A7C15ULL);
	struct chart_point *a = xreallocarray(NULL, n, sizeof *a), *b = xreallocarray(NULL, n, sizeof *b);
	double sx = (double)cols / (double)(n - 1);
	chart_m4_bound_searches = 0;
	size_t na = chart_m4_dense(p, n, 0, 0, sx, 0, a, NULL);
	unsigned long searches = chart_m4_bound_searches;
	/* the reference: each column's first, lowest, highest and last point
	 * (the first of equal values), in their order, each once */
	size_t nb = 0;
	for (size_t i = 0; i < n;) {
		long long c = chart_m4_col(0, 0, sx, p[i].x);
		size_t j = i, lo = i, hi = i;
		while (j < n && chart_m4_col(0, 0, sx, p[j].x) == c) {
			if (p[j].y < p[lo].y)
				lo = j;
			if (p[j].y > p[hi].y)
				hi = j;
			j++;
		}
		size_t idx[4] = {i, lo < hi ? lo : hi, lo < hi ? hi : lo, j - 1};
		for (int k = 0; k < 4; k++)
			if (k == 0 || idx[k] != idx[k - 1])
				b[nb++] = p[idx[k]];
		i = j;
	}
	int same = na == nb;
	for (size_t i = 0; same && i < na; i++)
		same = !memcmp(&a[i], &b[i], sizeof a[i]);
	OK(same, "M4 at %zu columns keeps %zu points, the reference %zu", cols, na, nb);
	OK(searches <= 2 * (cols + 2), "%lu column bound searches for %zu columns", searches, cols);
	free(p);
	free(a);
	free(b);
}

/* Draws spec at scale from every point and from M4, and checks that the
 * pictures differ (by more than tol in a channel) in at most 0.1% of their
 * pixels. Returns how many differ, of *total. */
static size_t check_m4_picture(const struct chart_spec *spec, double scale, int tol,
                               const char *what, struct chart_info *full,
                               struct chart_info *dec, size_t *total)
{
	cairo_surface_t *a = draw_image(spec, scale, 1, full, NULL);
	cairo_surface_t *b = draw_image(spec, scale, 0, dec, NULL);
	size_t diff = diff_pixels(a, b, tol, total);
	OK(diff * 1000 <= *total, "%s: %zu of %zu pixels differ", what, diff, *total);
	cairo_surface_destroy(a);
	cairo_surface_destroy(b);
	return diff;
}

/* The test: a 1,000,000-point random walk drawn from every point and
 * from its M4 decimation differ in at most 0.1% of the PNG's pixels. */
static void test_m4_exact(void)
{
	size_t n = 1000000, total, diff;
	struct chart_point *p = walk(n, 88172645463325252ULL);
	struct chart_series s = {"walk", p, n, 0, NULL, NULL, 0, 0, NULL};
	struct chart_spec spec;
	struct chart_info full, dec;

	chart_spec_defaults(&spec);
	spec.title = "random walk";
	spec.width = 400;
	spec.height = 200;
	spec.smoothing = 0;
	spec.series = &s;
	spec.nseries = 1;
	diff = check_m4_picture(&spec, 1, 0, "M4 picture", &full, &dec, &total);
	INT_EQ(full.points_drawn, n, "full drawing used every point");
	OK(dec.points_drawn <= 4 * 400 && dec.points_drawn > 400, "decimated to %llu points",
	   (unsigned long long)dec.points_drawn);
	INT_EQ(dec.points_total, n, "points_total");
	printf("# M4: %zu of %zu pixels differ (%llu of %zu points drawn)\n", diff, total,
	       (unsigned long long)dec.points_drawn, n);

	/* the same at 2× with smoothing on (band + smoothed line), 200k points */
	s.n = 200000;
	spec.smoothing = 0.9;
	check_m4_picture(&spec, 2, 2, "smoothed, 2x", &full, &dec, &total);

	/* On a log axis M4 works in data units and log10s what it keeps: the
	 * same picture, gaps where y ≤ 0 included. A walk of exp(y), with a few
	 * stretches at or below zero. */
	for (size_t i = 0; i < s.n; i++)
		p[i].y = (i / 5000) % 13 == 7 ? -(double)(i % 3) : exp(p[i].y / 40);
	spec.log_y = 1;
	spec.goal = CHART_GOAL_MIN;
	check_m4_picture(&spec, 2, 2, "log-y, smoothed, 2x", &full, &dec, &total);
	OK(full.log_y && dec.log_y, "log axis");
	spec.smoothing = 0;
	check_m4_picture(&spec, 1, 0, "log-y, raw", &full, &dec, &total);

	/* A run that diverges and stays NaN, after stretches that flip between
	 * NaN, ±Inf and numbers: M4's buffers are sized by the changes, not by
	 * the non-finite points (the sanitizer run checks the bound). */
	spec.log_y = 0;
	spec.smoothing = 0.6;
	for (size_t i = 0; i < s.n; i++) {
		int k = (int)(i % 7);
		if (i > s.n / 3)
			p[i].y = NAN;
		else if (i > s.n / 4)
			p[i].y = k == 1 ? NAN : k == 2 ? INFINITY : k == 3 ? -INFINITY : (double)k;
	}
	check_m4_picture(&spec, 2, 2, "diverged run", &full, &dec, &total);
	OK(dec.points_drawn < s.n / 4 + 8 * 1600, "diverged run decimated to %llu points",
	   (unsigned long long)dec.points_drawn);
	free(p);
}

/* Counts pixels in device column x whose colour is close to rgb. */
static int column_hits(cairo_surface_t *sf, int x, const double rgb[3])
{
	int h = cairo_image_surface_get_height(sf), stride = cairo_image_surface_get_stride(sf), n = 0;
	const unsigned char *d = cairo_image_surface_get_data(sf);

	for (int y = 0; y < h; y++) {
		uint32_t v = *(const uint32_t *)(d + y * stride + 4 * x);
		int a = (int)(v >> 24), r = (int)((v >> 16) & 255), g = (int)((v >> 8) & 255),
		    b = (int)(v & 255);
		if (a > 200 && abs(r - (int)(rgb[0] * 255)) < 30 && abs(g - (int)(rgb[1] * 255)) < 30 &&
		    abs(b - (int)(rgb[2] * 255)) < 30)
			n++;
	}
	return n;
}

static void test_nan_inf(void)
{
	size_t n = 101;
	struct chart_point *p = xreallocarray(NULL, n, sizeof *p);
	struct chart_series s = {"r", p, n, 0, NULL, NULL, 0, 0, NULL};
	struct chart_spec spec;
	struct chart_axis xa, ya;
	struct chart_info info;
	double rgb[3];

	for (size_t i = 0; i < n; i++) {
		p[i].x = (double)i;
		p[i].y = 1 + (double)(i % 3);
	}
	for (size_t i = 40; i < 60; i++)
		p[i].y = NAN;
	p[80].y = INFINITY;
	p[81].y = -INFINITY;
	chart_spec_defaults(&spec);
	spec.width = 400;
	spec.height = 200;
	spec.smoothing = 0;
	spec.log_y = 0;
	spec.series = &s;
	spec.nseries = 1;
	cairo_surface_t *sf = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, 400, 200);
	cairo_t *cr = cairo_create(sf);
	struct chart_draw_opts o = {.columns = 1, .x_out = &xa, .y_out = &ya};
	OK(chart_draw(&spec, cr, &o, &info), "draws with NaN and Inf");
	cairo_destroy(cr);
	cairo_surface_flush(sf);
	OK(ya.lo < 1 && ya.hi > 3 && ya.hi < 4, "y range from finite values: [%g, %g]", ya.lo, ya.hi);
	/* map x to device columns the way the axis does */
	chart_color_rgb(0, rgb);
	double plot_l = -1, plot_r = -1;
	for (int x = 0; x < 400; x++)
		if (column_hits(sf, x, rgb) > 0) {
			if (plot_l < 0)
				plot_l = x;
			plot_r = x;
		}
	double sx = (plot_r - plot_l) / 100.0;
	int mid = (int)(plot_l + 50 * sx), before = (int)(plot_l + 20 * sx);
	INT_EQ(column_hits(sf, mid, rgb), 0, "no line inside the NaN gap");
	OK(column_hits(sf, before, rgb) > 0, "the line before the gap");
	cairo_surface_destroy(sf);

	/* divergence: the description and the picture still come out */
	char *d = chart_describe(&spec, &info);
	OK(strstr(d, "101 of 101 points drawn") || strstr(d, "of 101 points drawn"), "%s", d);
	free(d);
	free(p);
}

/* The sparkline path's numbers are written as "%g" would (on the
 * half-pixel grid: whole or ".5"); its end is the last point. */
static void test_sparkline_path(void)
{
	struct chart_point p[] = {{0, 0}, {1, 1}, {2, 0.5}, {3, 0.25}};
	double end[2];
	char *d = chart_sparkline_path(p, 4, 96, 24, end);
	STR_EQ(d, "M2 22L32.5 2L63.5 12L94 17", "four points on a 96 x 24 box");
	OK(end[0] == 94 && end[1] == 17, "ends at the last: %g %g", end[0], end[1]);
	free(d);
}

static void test_clip_and_log(void)
{
	size_t n = 1000;
	struct chart_point *p = walk(n, 7);
	struct chart_series s = {"r", p, n, 2, NULL, NULL, 0, 0, NULL};
	struct chart_spec spec;
	struct chart_axis ya;
	struct chart_info info;

	for (size_t i = 0; i < n; i++)
		p[i].y = 10 + p[i].y * 0.01;
	p[500].y = 1e6; /* one wild spike */
	chart_spec_defaults(&spec);
	spec.width = 400;
	spec.height = 200;
	spec.series = &s;
	spec.nseries = 1;
	spec.log_y = 0;
	spec.clip_outliers = 1;
	cairo_surface_destroy(draw_image(&spec, 1, 0, &info, &ya));
	OK(ya.hi < 1000, "clipped range ignores the spike: hi %g", ya.hi);
	spec.clip_outliers = 0;
	cairo_surface_destroy(draw_image(&spec, 1, 0, &info, &ya));
	OK(ya.hi >= 1e6, "unclipped range holds the spike: hi %g", ya.hi);

	/* automatic log-y: values from 1 to 1e5 */
	for (size_t i = 0; i < n; i++)
		p[i].y = pow(10, 5.0 * (double)i / (double)(n - 1));
	spec.log_y = -1;
	cairo_surface_destroy(draw_image(&spec, 1, 0, &info, &ya));
	INT_EQ(info.log_y, 1, "log-y chosen automatically");
	OK(ya.log && ya.lo < 0.01 && ya.hi > 4.99, "log axis in decades: [%g, %g]", ya.lo, ya.hi);
	spec.log_y = 0;
	cairo_surface_destroy(draw_image(&spec, 1, 0, &info, &ya));
	INT_EQ(info.log_y, 0, "log-y forced off");
	free(p);
}

static void test_bytes(void)
{
	size_t n = 20000;
	struct chart_point *p = walk(n, 12345), *q = walk(n, 999);
	struct chart_series s[3] = {
		{"baseline <script>alert(1)</script> & \"friends\"", p, n, 0, NULL, NULL, 0, 0, NULL},
		{"bad utf-8 \xff\xfe\x01 end", q, n, 1, NULL, NULL, 0, 0, NULL},
		{NULL, q, n / 2, 7, NULL, NULL, 0, 0, NULL},
	};
	struct chart_spec spec;
	struct buf a = BUF_INIT, b = BUF_INIT;
	static const enum chart_format fmts[] = {CHART_SVG, CHART_PNG, CHART_PDF};
	static const char *const names[] = {"SVG", "PNG", "PDF"};
	char *huge = xmalloc(1 << 20);

	memset(huge, 'x', (1 << 20) - 1);
	huge[(1 << 20) - 1] = '\0';
	chart_spec_defaults(&spec);
	spec.title = "loss & <accuracy> \xc3";
	spec.y_label = huge;
	spec.series = s;
	spec.nseries = 3;
	spec.goal = CHART_GOAL_MIN;
	for (int f = 0; f < 3; f++) {
		buf_reset(&a);
		buf_reset(&b);
		INT_EQ(chart_render(&spec, fmts[f], NULL, &a, NULL), CAIRO_STATUS_SUCCESS, names[f]);
		INT_EQ(chart_render(&spec, fmts[f], NULL, &b, NULL), CAIRO_STATUS_SUCCESS, names[f]);
		OK(a.size > 0 && a.size == b.size && memcmp(a.data, b.data, a.size) == 0,
		   "%s: same bytes twice (%zu, %zu)", names[f], a.size, b.size);
		/* a clock in the output would differ only across seconds: look for it */
		OK(!memmem(a.data, a.size, "CreationDate", 12) && !memmem(a.data, a.size, "ModDate", 7),
		   "%s: no creation date", names[f]);
	}
	/* the SVG of the last round is in a and b: check it */
	buf_reset(&a);
	chart_render(&spec, CHART_SVG, NULL, &a, NULL);
	const char *svg = buf_cstr(&a);
	OK(strstr(svg, "<script>") == NULL, "label text is escaped");
	OK(strstr(svg, "<title id=\"chart-title\">loss &amp; &lt;accuracy&gt; \xef\xbf\xbd</title>") != NULL,
	   "<title> names the metric");
	OK(strstr(svg, "<desc id=\"chart-desc\">") != NULL, "<desc>");
	OK(strstr(svg, "points drawn") != NULL, "desc says how many points were drawn");
	OK(strstr(svg, "role=\"img\"") != NULL, "role=img");
	xmlDocPtr doc = xmlReadMemory(a.data, (int)a.size, "chart.svg", NULL,
	                              XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	OK(doc != NULL, "the SVG is well-formed XML");
	xmlFreeDoc(doc);
	OK(a.size < 200000, "3 × 20k points SVG: %zu bytes", a.size);
	buf_free(&a);
	buf_free(&b);
	free(huge);
	free(p);
	free(q);
}

/* Reads PNG bytes back through Cairo (libpng). */
struct png_src {
	const unsigned char *p;
	size_t left;
};

static cairo_status_t png_read(void *closure, unsigned char *data, unsigned int n)
{
	struct png_src *r = closure;
	if (n > r->left)
		return CAIRO_STATUS_READ_ERROR;
	memcpy(data, r->p, n);
	r->p += n;
	r->left -= n;
	return CAIRO_STATUS_SUCCESS;
}

/* Cairo's premultiplication: alpha * c / 255, rounded. */
static uint32_t premul(unsigned a, unsigned c)
{
	unsigned t = a * c + 0x80;
	return ((t >> 8) + t) >> 8;
}

/* Our PNG writer on rows that repeat, rows that change in one pixel (at
 * block edges and in the last, partial block), clear rows and noise: the
 * pixels Cairo reads back are the pixels written. */
static void test_png_round_trip(void)
{
	int W = 203, H = 130;
	cairo_surface_t *img = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, W, H);
	unsigned char *data = cairo_image_surface_get_data(img);
	int stride = cairo_image_surface_get_stride(img);
	uint64_t r = 0x853c49e6748fea9bULL;
#define NEXT() xorshift(&r)

	for (int y = 0; y < H; y++) {
		uint32_t *row = (uint32_t *)(void *)(data + (size_t)y * (size_t)stride);
		uint32_t *above = y ? (uint32_t *)(void *)(data + (size_t)(y - 1) * (size_t)stride) : NULL;
		for (int x = 0; x < W; x++) {
			uint32_t v = 0;
			if (y >= 10 && (y < 40 ? y == 10 : y < 80 ? 0 : 1)) {
				unsigned a = NEXT() % 4 == 0 ? 255 : (unsigned)(NEXT() % 256);
				v = a << 24 | premul(a, (unsigned)(NEXT() & 255)) << 16 |
				    premul(a, (unsigned)(NEXT() & 255)) << 8 | premul(a, (unsigned)(NEXT() & 255));
			} else if (above && y > 10) {
				v = above[x];
			}
			row[x] = v;
		}
		if (y >= 40 && y < 80) { /* one pixel changes */
			int xs[] = {0, 7, 8, 15, 16, 199, 200, 202};
			int x = y < 48 ? xs[y - 40] : (int)(NEXT() % (uint64_t)W);
			row[x] = 0xff000000u | (uint32_t)(NEXT() & 0xffffff);
		}
		if (y == 100) /* clear again */
			memset(row, 0, (size_t)W * 4);
	}
#undef NEXT
	cairo_surface_mark_dirty(img);
	struct buf b = BUF_INIT;
	chart_png_encode(&b, img);
	struct png_src src = {(const unsigned char *)b.data, b.size};
	cairo_surface_t *back = cairo_image_surface_create_from_png_stream(png_read, &src);
	OK(cairo_surface_status(back) == CAIRO_STATUS_SUCCESS, "PNG decodes");
	if (cairo_surface_status(back) == CAIRO_STATUS_SUCCESS) {
		size_t total, diff = diff_pixels(img, back, 0, &total);
		OK(diff == 0, "pixels read back equal those written: %zu of %zu differ", diff, total);
	}
	cairo_surface_destroy(back);
	cairo_surface_destroy(img);
	buf_free(&b);
}

static void test_files(void)
{
	char dir[] = "/tmp/runsite-chart-XXXXXX";
	size_t n = 1000000;
	struct chart_point *p = walk(n, 4242);
	struct chart_series s = {"long run", p, n, 3, NULL, NULL, 0, 0, NULL};
	struct chart_spec spec;
	struct chart_info info;
	struct buf b = BUF_INIT;

	if (!mkdtemp(dir)) {
		SKIP("mkdtemp failed");
		free(p);
		return;
	}
	chart_spec_defaults(&spec);
	spec.title = "train/loss";
	spec.width = 800;
	spec.height = 400;
	spec.series = &s;
	spec.nseries = 1;
	char *svg = path_join(dir, "c.svg"), *png = path_join(dir, "c.png"),
	     *pdf = path_join(dir, "c.pdf"), *spark = path_join(dir, "s.svg"),
	     *bad = path_join(dir, "no/such/dir.svg");
	OK(chart_write(&spec, CHART_SVG, svg, &info), "write SVG");
	OK(read_file(svg, &b, 1 << 24), "read SVG back");
	OK(b.size < 100000, "1,000,000-point SVG under 100 KB: %zu bytes", b.size);
	printf("# 1M-point 800x400 SVG: %zu bytes; %llu of %llu points drawn\n", b.size,
	       (unsigned long long)info.points_drawn, (unsigned long long)info.points_total);
	OK(chart_write(&spec, CHART_PNG, png, NULL), "write PNG");
	buf_reset(&b);
	OK(read_file(png, &b, 1 << 24) && b.size > 8 && memcmp(b.data, "\x89PNG", 4) == 0, "PNG");
	/* our own PNG writer: Cairo (libpng) must read back the pixels we drew */
	cairo_surface_t *img = cairo_image_surface_create_from_png(png);
	OK(cairo_surface_status(img) == CAIRO_STATUS_SUCCESS, "PNG decodes: %s",
	   cairo_status_to_string(cairo_surface_status(img)));
	if (cairo_surface_status(img) == CAIRO_STATUS_SUCCESS) {
		size_t total, diff;
		cairo_surface_t *ref = draw_image(&spec, 2, 0, NULL, NULL);
		INT_EQ(cairo_image_surface_get_width(img), 1600, "PNG at 2x width");
		/* straight alpha round trip may move a premultiplied channel by 1 */
		diff = diff_pixels(img, ref, 1, &total);
		INT_EQ(diff, 0, "PNG pixels equal the drawn surface");
		cairo_surface_destroy(ref);
	}
	cairo_surface_destroy(img);
	OK(chart_write(&spec, CHART_PDF, pdf, NULL), "write PDF");
	buf_reset(&b);
	OK(read_file(pdf, &b, 1 << 24) && memcmp(b.data, "%PDF", 4) == 0, "PDF");
	OK(chart_write_sparkline(p, n, 3, 100, 24, spark), "sparkline");
	buf_reset(&b);
	OK(read_file(spark, &b, 1 << 24) && strstr(b.data, "<svg") && b.size < 20000,
	   "sparkline is a small SVG: %zu bytes", b.size);
	OK(!chart_write(&spec, CHART_SVG, bad, NULL), "unwritable path fails");
	unlink(svg);
	unlink(png);
	unlink(pdf);
	unlink(spark);
	rmdir(dir);
	free(svg);
	free(png);
	free(pdf);
	free(spark);
	free(bad);
	buf_free(&b);
	free(p);
}

/* A series handed over with the caller's scan (chart_series.scan) draws
 * the same SVG as one the chart passes over itself: points in and out of
 * order, hidden values (NaN, infinities, and y <= 0 on a log axis), every
 * goal, one or two series, a faint one. */
static void test_scan_handed_over(void)
{
	static const double odd[] = {NAN, INFINITY, -INFINITY, 0.0, -3.0};
	uint64_t s = 0x9e3779b97f4a7c15u;
	int same = 1, rounds = 0, in_order = 0;
	for (int round = 0; round < 400 && same; round++) {
		struct chart_point p[2][40];
		struct chart_series se[2];
		struct chart_extrema_scan sc[2];
		size_t nseries = 1 + (size_t)(round % 3 == 0);
		for (size_t k = 0; k < nseries; k++) {
			size_t n = (size_t)(round * 7 + k) % 40;
			double x = (double)(round % 5) - 2;
			sc[k] = (struct chart_extrema_scan)CHART_EXTREMA_SCAN_INIT;
			for (size_t i = 0; i < n; i++) {
				s ^= s << 13;
				s ^= s >> 7;
				s ^= s << 17;
				unsigned r = (unsigned)(s >> 40);
				/* mostly rising x, now and then the same or falling back */
				x += r % 23 == 0 ? -1.5 : r % 11 == 0 ? 0 : 1;
				double y = (double)(r % 1000) / 100 + 0.01;
				if (r % (round % 4 == 0 ? 9 : 97) == 0)
					y = odd[(r >> 8) % 5];
				p[k][i] = (struct chart_point){x, y};
				chart_extrema_scan_xy(&sc[k], i, x, y);
			}
			se[k] = (struct chart_series){.label = k ? "b" : "a", .pts = p[k], .n = n,
			                              .color = (int)k, .faint = round % 7 == 0 && k == 1};
			in_order += sc[k].ordered && n > 0;
		}
		struct chart_spec spec;
		chart_spec_defaults(&spec);
		spec.width = 320;
		spec.height = 200;
		spec.series = se;
		spec.nseries = nseries;
		spec.log_y = round % 3 - 1;
		spec.goal = (enum chart_goal)(round % 3 - 1);
		spec.smoothing = round % 2 ? 0.6 : 0;
		struct buf a = BUF_INIT, b = BUF_INIT;
		chart_render(&spec, CHART_SVG, NULL, &a, NULL);
		for (size_t k = 0; k < nseries; k++)
			se[k].scan = &sc[k];
		chart_render(&spec, CHART_SVG, NULL, &b, NULL);
		same = a.size == b.size && memcmp(a.data, b.data, a.size) == 0;
		if (!same)
			printf("# round %d: the SVGs differ\n", round);
		rounds++;
		buf_free(&a);
		buf_free(&b);
	}
	OK(same, "a scan handed over draws the same SVG as the chart's own pass (%d rounds)", rounds);
	OK(in_order > 100, "series in order take the handed-over scan (%d)", in_order);
}

int main(void)
{
	test_m4_small();
	test_m4_smooth_same();
	test_m4_paths_agree();
	test_m4_column_bounds();
	test_m4_exact();
	test_nan_inf();
	test_clip_and_log();
	test_bytes();
	test_sparkline_path();
	test_files();
	test_png_round_trip();
	test_scan_handed_over();
	return TEST_END();
}
