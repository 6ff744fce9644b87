/* test_svgpath.c — the SVG series writer: path data read back by a small SVG
 * path parser gives the points drawn (on the 1/8 px grid), and the paint
 * attributes are what Cairo would use. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../src/chart/chart_internal.h"
#include "harness.h"

/* An SVG path parser for the commands the writer uses (M, l, z, a), by the
 * grammar: numbers may run together ("1-2", "1.5.5"). Absolute points go
 * to pts (x, y pairs); returns how many, or -1 on a syntax error. */
static int parse_path(const char *d, double *pts, int cap)
{
	double cx = 0, cy = 0, sx = 0, sy = 0;
	char cmd = 0;
	int n = 0;

	for (const char *p = d; *p;) {
		if (*p == ' ') {
			p++;
			continue;
		}
		if (strchr("Mlza", *p)) {
			cmd = *p++;
			if (cmd == 'z') {
				cx = sx;
				cy = sy;
			}
			continue;
		}
		int need = cmd == 'a' ? 7 : 2;
		double v[7];
		for (int i = 0; i < need; i++) {
			while (*p == ' ')
				p++;
			char *e;
			/* one number: sign, digits, at most one point */
			char tmp[40];
			int k = 0, dot = 0;
			if (*p == '-')
				tmp[k++] = *p++;
			while (k < 38 && ((*p >= '0' && *p <= '9') || (*p == '.' && !dot))) {
				dot |= *p == '.';
				tmp[k++] = *p++;
			}
			tmp[k] = 0;
			v[i] = strtod(tmp, &e);
			if (e == tmp || *e)
				return -1;
		}
		if (cmd == 'M') {
			cx = sx = v[0];
			cy = sy = v[1];
			cmd = 'L'; /* further pairs would be absolute line-tos */
		} else if (cmd == 'L') {
			cx = v[0];
			cy = v[1];
		} else if (cmd == 'l') {
			cx += v[0];
			cy += v[1];
		} else if (cmd == 'a') {
			cx += v[5];
			cy += v[6];
		} else {
			return -1;
		}
		if (n + 2 > cap)
			return -1;
		pts[n++] = cx;
		pts[n++] = cy;
	}
	return n / 2;
}

static double grid(double v)
{
	return round(v * 8) / 8;
}

/* The d="..." of the first <path> in s, copied (caller frees). */
static char *path_data(const char *s)
{
	const char *d = strstr(s, " d=\"");
	if (!d)
		return NULL;
	d += 4;
	const char *q = strchr(d, '"');
	return q ? strndup(d, (size_t)(q - d)) : NULL;
}

static void test_round_trip(void)
{
	struct buf out = BUF_INIT;
	struct svg_pen pen = {0};
	enum { N = 2000 };
	double want[2 * N];
	uint64_t s = 0x9E3779B97F4A7C15ULL;

	svgpen_begin(&pen, &out, 10, 20, 710, 320);
	/* points on and off the grid, both signs, big and small steps */
	for (int i = 0; i < N; i++) {
		s ^= s << 13, s ^= s >> 7, s ^= s << 17;
		double x = (double)(int64_t)(s % 20001) / 7.0 - 1400;
		s ^= s << 13, s ^= s >> 7, s ^= s << 17;
		double y = i % 5 == 0 ? -0.0625 * (double)(s % 9) : (double)(s % 4001) / 8.0 - 250;
		want[2 * i] = grid(x);
		want[2 * i + 1] = grid(y);
		if (i == 0)
			svgpen_move(&pen, x, y);
		else
			svgpen_line(&pen, x, y);
	}
	double rgb[3] = {0, 0x72 / 255.0, 0xb2 / 255.0}, dash[2] = {6, 3};
	svgpen_stroke(&pen, rgb, 0.3, 1.5, dash, 2);
	svgpen_end(&pen);

	const char *svg = buf_cstr(&out);
	OK(strstr(svg, "<clipPath id=\"plot-clip\"><rect x=\"10\" y=\"20\" width=\"700\" height=\"300\"/>") != NULL,
	   "clip rectangle");
	OK(strstr(svg, " stroke=\"#0072b2\"") && strstr(svg, " stroke-width=\"1.5\"") &&
	           strstr(svg, " stroke-opacity=\"0.3\"") && strstr(svg, " stroke-dasharray=\"6 3\"") &&
	           strstr(svg, " fill=\"none\""),
	   "stroke paint: %.200s", svg);
	char *d = path_data(svg);
	static double got[2 * N + 16];
	int n = d ? parse_path(d, got, 2 * N + 16) : -1;
	INT_EQ(n, N, "every point read back");
	int bad = 0;
	for (int i = 0; i < N && n == N; i++)
		if (fabs(got[2 * i] - want[2 * i]) > 1e-9 || fabs(got[2 * i + 1] - want[2 * i + 1]) > 1e-9) {
			if (!bad)
				printf("# point %d: got (%g, %g), want (%g, %g)\n", i, got[2 * i],
				       got[2 * i + 1], want[2 * i], want[2 * i + 1]);
			bad++;
		}
	INT_EQ(bad, 0, "points equal to the input on the 1/8 px grid");
	free(d);
	buf_free(&out);
}

static void test_close_and_circle(void)
{
	struct buf out = BUF_INIT;
	struct svg_pen pen = {0};
	double rgb[3] = {1, 0, 0}, pts[32];

	svgpen_begin(&pen, &out, 0, 0, 100, 100);
	svgpen_move(&pen, 10, 10);
	svgpen_line(&pen, 20, 10);
	svgpen_line(&pen, 15, 18.5);
	svgpen_close(&pen);
	svgpen_line(&pen, 12, 12); /* relative to the subpath's start after z */
	svgpen_fill(&pen, rgb, 1);
	svgpen_end(&pen);
	const char *svg = buf_cstr(&out);
	OK(strstr(svg, "<path fill=\"#ff0000\" d=\"") != NULL && !strstr(svg, "fill-opacity"),
	   "opaque fill: %s", svg);
	char *d = path_data(svg);
	int n = d ? parse_path(d, pts, 32) : -1;
	INT_EQ(n, 4, "four points");
	OK(n == 4 && pts[6] == 12 && pts[7] == 12, "after z, moves are from the subpath start");
	free(d);

	buf_reset(&out);
	svgpen_begin(&pen, &out, 0, 0, 100, 100);
	svgpen_circle(&pen, 50, 40, 3.5);
	svgpen_stroke(&pen, rgb, 1, 1.5, NULL, 0);
	svgpen_end(&pen);
	d = path_data(buf_cstr(&out));
	n = d ? parse_path(d, pts, 32) : -1;
	INT_EQ(n, 3, "circle: start and two half arcs");
	OK(n == 3 && pts[0] == 46.5 && pts[1] == 40 && pts[2] == 53.5 && pts[4] == 46.5,
	   "circle of radius 3.5 around (50, 40)");
	OK(strstr(buf_cstr(&out), "stroke-dasharray") == NULL, "solid: no dash array");
	free(d);

	/* an empty path writes nothing */
	buf_reset(&out);
	svgpen_begin(&pen, &out, 0, 0, 1, 1);
	size_t before = out.size;
	svgpen_fill(&pen, rgb, 0.5);
	svgpen_end(&pen);
	OK(out.size == before + strlen("</g>\n"), "no <path> for an empty path");
	buf_free(&out);
}


/* ---- sweep charts: the runs as one path per colour step ---- */

/* The file at path, NUL-terminated (caller frees), or NULL. */
static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	struct buf b = BUF_INIT;
	char tmp[65536];
	size_t n;
	if (!f)
		return NULL;
	while ((n = fread(tmp, 1, sizeof tmp, f)) > 0)
		buf_put(&b, tmp, n);
	fclose(f);
	char *r = strdup(buf_cstr(&b));
	buf_free(&b);
	return r;
}

/* "#rrggbb" of scale position t on the 64-step scale of sweep SVGs. */
static void level_hex(double t, char out[8])
{
	double rgb[3];
	int level = (int)lround((t < 0 ? 0 : t > 1 ? 1 : t) * 63);
	chart_scale_rgb(level / 63.0, rgb);
	snprintf(out, 8, "#%02x%02x%02x", (int)lround(rgb[0] * 255), (int)lround(rgb[1] * 255),
	         (int)lround(rgb[2] * 255));
}

/* One subpath read back: its paint colour and its points as text. */
struct subpath {
	char color[8];
	char *key;
};

/* Every subpath of every <path> in svg whose paint attribute `paint` (" stroke=\"" or
 * " fill=\"") names a colour; circles become their centre when circles. */
static struct subpath *read_subpaths(const char *svg, const char *paint, int circles, size_t *n)
{
	struct subpath *sp = NULL;
	size_t cap = 0;
	*n = 0;
	for (const char *p = svg; (p = strstr(p, "<path ")); p++) {
		const char *end = strstr(p, "/>");
		const char *c = strstr(p, paint), *d = strstr(p, " d=\"");
		if (!end || !c || !d || c > end || d > end || c[strlen(paint)] != '#')
			continue;
		char color[8];
		snprintf(color, sizeof color, "%.7s", c + strlen(paint));
		d += 4;
		const char *q = strchr(d, '"');
		for (const char *m = d; m < q;) {
			const char *next = memchr(m + 1, 'M', (size_t)(q - m - 1));
			if (!next)
				next = q;
			char *one = strndup(m, (size_t)(next - m));
			double pts[64];
			int k = parse_path(one, pts, 64);
			free(one);
			struct buf key = BUF_INIT;
			if (circles && k == 3)
				buf_printf(&key, "%.3f,%.3f;", (pts[0] + pts[2]) / 2, pts[1]);
			else
				for (int i = 0; i < k; i++)
					buf_printf(&key, "%.3f,%.3f;", pts[2 * i], pts[2 * i + 1]);
			if (*n == cap)
				sp = realloc(sp, (cap = cap ? 2 * cap : 256) * sizeof *sp);
			memcpy(sp[*n].color, color, 8);
			sp[(*n)++].key = strdup(k > 0 ? buf_cstr(&key) : "?");
			buf_free(&key);
			m = next;
		}
	}
	return sp;
}

/* How many subpaths have this key, and how many of those the colour. */
static void count_key(const struct subpath *sp, size_t n, const char *key, const char *color,
                      int *any, int *in_color)
{
	*any = *in_color = 0;
	for (size_t i = 0; i < n; i++)
		if (!strcmp(sp[i].key, key)) {
			(*any)++;
			*in_color += !strcmp(sp[i].color, color);
		}
}

/* A sweep chart "sweep" of nruns runs over dims, the higher the better. */
static void sweep_of(struct chart_sweep *sw, struct chart_dim *dims, size_t ndims, size_t nruns)
{
	chart_sweep_defaults(sw);
	sw->title = "sweep";
	sw->dims = dims;
	sw->ndims = ndims;
	sw->nruns = nruns;
	sw->goal = CHART_GOAL_MAX;
}

/* The parallel coordinates and a scatter of a 300-run sweep, read back:
 * each run's polyline (each point's circle) is in the SVG exactly once, in
 * the path of its metric's colour step. */
static void test_sweep_groups(void)
{
	enum { RUNS = 300, DIMS = 3 };
	static double v[DIMS][RUNS];
	uint64_t s = 0x2545F4914F6CDD1DULL;
	for (int i = 0; i < RUNS; i++)
		for (int d = 0; d < DIMS; d++) {
			s ^= s << 13, s ^= s >> 7, s ^= s << 17;
			v[d][i] = (double)(s % 1000003) / 1000003.0 * (d + 1) * 10;
		}
	struct chart_dim dims[DIMS] = {{.label = "lr", .v = v[0]},
	                               {.label = "dropout", .v = v[1]},
	                               {.label = "val/acc", .v = v[2]}};
	struct chart_sweep sw;
	sweep_of(&sw, dims, DIMS, RUNS);
	double lo[DIMS], hi[DIMS];
	for (int d = 0; d < DIMS; d++) {
		lo[d] = INFINITY, hi[d] = -INFINITY;
		for (int i = 0; i < RUNS; i++)
			lo[d] = fmin(lo[d], v[d][i]), hi[d] = fmax(hi[d], v[d][i]);
	}
	char path[] = "/tmp/test_svgpath_sweep_XXXXXX";
	int fd = mkstemp(path);
	OK(fd >= 0, "temporary file");
	if (fd < 0)
		return;
	close(fd);

	/* parallel: axes 70 .. 720 - 96 across, 360 - 16 .. 44 up, each over
	 * its values' range and 6 % more on either side */
	OK(chart_write_parallel(&sw, CHART_SVG, path), "parallel written");
	char *svg = slurp(path);
	size_t n = 0;
	struct subpath *sp = svg ? read_subpaths(svg, " stroke=\"", 0, &n) : NULL;
	int missing = 0, twice = 0, wrong_color = 0;
	for (int i = 0; i < RUNS; i++) {
		struct buf key = BUF_INIT;
		for (int d = 0; d < DIMS; d++) {
			double pad = (hi[d] - lo[d]) * 0.06;
			double p = (v[d][i] - (lo[d] - pad)) / (hi[d] - lo[d] + 2 * pad);
			buf_printf(&key, "%.3f,%.3f;", grid(70 + (720 - 96 - 70) / 2.0 * d),
			           grid(344 + (44 - 344) * p));
		}
		char hex[8];
		level_hex((v[2][i] - lo[2]) / (hi[2] - lo[2]), hex);
		int any, in_color;
		count_key(sp, n, buf_cstr(&key), hex, &any, &in_color);
		missing += any == 0;
		twice += any > 1;
		wrong_color += any == 1 && in_color != 1;
		if (any != 1 || in_color != 1)
			printf("# run %d (%s, %s): %d times, %d in its colour\n", i, buf_cstr(&key), hex,
			       any, in_color);
		buf_free(&key);
	}
	INT_EQ(missing, 0, "parallel: every run's line is drawn");
	INT_EQ(twice, 0, "parallel: no run's line twice");
	INT_EQ(wrong_color, 0, "parallel: each line in the path of its metric's colour");
	OK(n == RUNS, "parallel: one subpath a run (%zu)", n);
	for (size_t i = 0; i < n; i++)
		free(sp[i].key);
	free(sp);
	free(svg);

	/* scatter of the metric against dropout: 70 .. 720 - 20 across,
	 * 360 - 52 .. 30 up */
	struct chart_dim sdims[2] = {dims[1], dims[2]};
	sw.dims = sdims;
	sw.ndims = 2;
	OK(chart_write_scatter(&sw, CHART_SVG, path), "scatter written");
	svg = slurp(path);
	sp = svg ? read_subpaths(svg, " fill=\"", 1, &n) : NULL;
	missing = twice = wrong_color = 0;
	for (int i = 0; i < RUNS; i++) {
		struct buf key = BUF_INIT;
		double px[2];
		for (int d = 1; d < 3; d++) {
			double pad = (hi[d] - lo[d]) * 0.06;
			px[d - 1] = (v[d][i] - (lo[d] - pad)) / (hi[d] - lo[d] + 2 * pad);
		}
		buf_printf(&key, "%.3f,%.3f;", grid(70 + 630 * px[0]), grid(30 + 278 * (1 - px[1])));
		char hex[8];
		level_hex((v[2][i] - lo[2]) / (hi[2] - lo[2]), hex);
		int any, in_color;
		count_key(sp, n, buf_cstr(&key), hex, &any, &in_color);
		missing += any == 0;
		twice += any > 1;
		wrong_color += any == 1 && in_color != 1;
		buf_free(&key);
	}
	INT_EQ(missing, 0, "scatter: every run's point is drawn");
	INT_EQ(twice, 0, "scatter: no run's point twice");
	INT_EQ(wrong_color, 0, "scatter: each point in the path of its metric's colour");
	for (size_t i = 0; i < n; i++)
		free(sp[i].key);
	free(sp);
	free(svg);
	unlink(path);
}

/* The parallel coordinates of a sweep of very many runs hold their lines
 * once while the SVG is written, not beside copies of the whole document:
 * the resident peak, reset before the chart, grows by at most 1.4 times
 * the file (the lines' buffer grows by doubling; with copies of the
 * document it grew by 2.5 times). */
static void test_sweep_memory(void)
{
	enum { RUNS = 60000, DIMS = 4 };
	double *v[DIMS];
	uint64_t s = 0x9E3779B97F4A7C15ULL;
	for (int d = 0; d < DIMS; d++) {
		v[d] = malloc(RUNS * sizeof *v[d]);
		for (int i = 0; i < RUNS; i++) {
			s ^= s << 13, s ^= s >> 7, s ^= s << 17;
			v[d][i] = (double)(s % 1000003) / 1000003.0 * (d + 1);
		}
	}
	struct chart_dim dims[DIMS] = {{.label = "lr", .v = v[0]},
	                               {.label = "dropout", .v = v[1]},
	                               {.label = "wd", .v = v[2]},
	                               {.label = "val/acc", .v = v[3]}};
	struct chart_sweep sw;
	sweep_of(&sw, dims, DIMS, RUNS);
	char path[] = "/tmp/test_svgpath_many_XXXXXX";
	int fd = mkstemp(path);
	OK(fd >= 0, "temporary file");
	if (fd >= 0)
		close(fd);
	/* the fonts and Cairo's first-use memory before the peak is reset */
	OK(fd >= 0 && chart_write_parallel(&sw, CHART_SVG, path), "written once before");
	long rss = test_peak_reset();
	OK(fd >= 0 && chart_write_parallel(&sw, CHART_SVG, path), "parallel of %d runs written", RUNS);
	long grew = test_peak_grew(rss);
	struct stat st;
	long file_kb = stat(path, &st) == 0 ? (long)(st.st_size / 1024) : 0;
	if (grew < 0 || file_kb < 1024) {
		SKIP(PEAK_SKIP_WHY);
	} else {
		OK(grew * 10 <= file_kb * 14,
		   "the resident peak grew by %ld KB for a %ld KB file (at most 1.4 times)", grew,
		   file_kb);
	}
	unlink(path);
	for (int d = 0; d < DIMS; d++)
		free(v[d]);
}

int main(void)
{
	test_round_trip();
	test_close_and_circle();
	test_sweep_groups();
	test_sweep_memory();
	return TEST_END();
}
