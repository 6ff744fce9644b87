/* test_svgpath.c — the SVG series writer: path data read back by a small SVG
 * path parser gives the points drawn (on the 1/8 px grid), and the paint
 * attributes are what Cairo would use. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

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

int main(void)
{
	test_round_trip();
	test_close_and_circle();
	return TEST_END();
}
