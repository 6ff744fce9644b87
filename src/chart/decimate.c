/* decimate.c — M4 decimation (Jugel et al., VLDB 2014): per pixel column
 * keep the first, last, minimum and maximum point, so a line drawn from the
 * kept points covers the same pixels as one drawn from every point. */
#include <math.h>

#include "chart_internal.h"

/* The class of a y value: 0 finite, 1 NaN, 2 +Inf, 3 -Inf, 4 a NaN with the
 * sign bit set (the drawing code's "hidden" value, e.g. y ≤ 0 on a log axis). */
static int yclass(double y)
{
	if (isfinite(y))
		return 0;
	if (isnan(y))
		return signbit(y) ? 4 : 1;
	return y > 0 ? 2 : 3;
}

struct bucket {
	long long col;
	size_t first, last, min, max;
	int open;
};

/* Appends the bucket's points in their original order, each once. */
static size_t flush(struct bucket *b, const struct chart_point *pts, struct chart_point *out,
                    size_t k)
{
	size_t idx[4] = {b->first, b->min, b->max, b->last};

	if (!b->open)
		return k;
	for (int i = 1; i < 4; i++) /* insertion sort of four indices */
		for (int j = i; j > 0 && idx[j - 1] > idx[j]; j--) {
			size_t t = idx[j];
			idx[j] = idx[j - 1];
			idx[j - 1] = t;
		}
	for (int i = 0; i < 4; i++)
		if (i == 0 || idx[i] != idx[i - 1])
			out[k++] = pts[idx[i]];
	b->open = 0;
	return k;
}

size_t chart_m4(const struct chart_point *pts, size_t n, double x0, double xlo, double sx,
                struct chart_point *out)
{
	return chart_m4_dense(pts, n, x0, xlo, sx, out, NULL);
}

size_t chart_m4_dense(const struct chart_point *pts, size_t n, double x0, double xlo, double sx,
                      struct chart_point *out, int *dense)
{
	int merged = 0;

	struct bucket b = {0, 0, 0, 0, 0, 0};
	size_t k = 0;
	int prev = 0;

	for (size_t i = 0; i < n; i++) {
		double x = pts[i].x, y = pts[i].y, c;
		int cls;
		if (!isfinite(x))
			continue;
		cls = yclass(y);
		if (cls) {
			k = flush(&b, pts, out, k);
			if (cls != prev)
				out[k++] = pts[i];
			prev = cls;
			continue;
		}
		prev = 0;
		c = floor(x0 + (x - xlo) * sx);
		c = c < -1e15 ? -1e15 : c > 1e15 ? 1e15 : c; /* keeps the cast defined */
		if (b.open && (long long)c == b.col) {
			merged = 1;
			if (y < pts[b.min].y)
				b.min = i;
			if (y > pts[b.max].y)
				b.max = i;
			b.last = i;
			continue;
		}
		k = flush(&b, pts, out, k);
		b.col = (long long)c;
		b.first = b.last = b.min = b.max = i;
		b.open = 1;
	}
	if (dense)
		*dense = merged;
	return flush(&b, pts, out, k);
}
