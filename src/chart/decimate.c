/* decimate.c — M4 decimation (Jugel et al., VLDB 2014): per pixel column
 * keep the first, last, minimum and maximum point, so a line drawn from the
 * kept points covers the same pixels as one drawn from every point. One
 * streaming pass: the column of a point is found by comparing x with the
 * current column's bounds (exact doubles, worked out once per column), and
 * TensorBoard's smoothing can run in the same pass into a second M4. */
#include <math.h>
#include <string.h>

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

/* One M4 stream: the open column's four points and where they go. */
struct m4 {
	struct chart_point *out;
	size_t k;
	int open, prev, merged;
	long long col;
	size_t fi, loi, hii, li; /* indices: first, min, max, last */
	struct chart_point f, lo, hi, l;
};

/* Appends the open column's points in their original order, each once. */
static void m4_flush(struct m4 *m)
{
	size_t idx[4] = {m->fi, m->loi, m->hii, m->li};
	struct chart_point p[4] = {m->f, m->lo, m->hi, m->l};

	if (!m->open)
		return;
	for (int i = 1; i < 4; i++) /* insertion sort of four indices */
		for (int j = i; j > 0 && idx[j - 1] > idx[j]; j--) {
			size_t t = idx[j];
			struct chart_point tp = p[j];
			idx[j] = idx[j - 1];
			p[j] = p[j - 1];
			idx[j - 1] = t;
			p[j - 1] = tp;
		}
	for (int i = 0; i < 4; i++)
		if (i == 0 || idx[i] != idx[i - 1])
			m->out[m->k++] = p[i];
	m->open = 0;
}

/* Feeds point i (x finite) of column col to the stream. */
static inline void m4_push(struct m4 *m, size_t i, double x, double y, long long col)
{
	if (!isfinite(y)) {
		int cls = yclass(y);
		m4_flush(m);
		if (cls != m->prev)
			m->out[m->k++] = (struct chart_point){x, y};
		m->prev = cls;
		return;
	}
	m->prev = 0;
	if (m->open && col == m->col) {
		m->merged = 1;
		if (y < m->lo.y) {
			m->loi = i;
			m->lo = (struct chart_point){x, y};
		}
		if (y > m->hi.y) {
			m->hii = i;
			m->hi = (struct chart_point){x, y};
		}
		m->li = i;
		m->l = (struct chart_point){x, y};
		return;
	}
	m4_flush(m);
	m->col = col;
	m->fi = m->loi = m->hii = m->li = i;
	m->f = m->lo = m->hi = m->l = (struct chart_point){x, y};
	m->open = 1;
}

/* The smallest double x with chart_m4_col(x) ≥ c, or NaN when it is not
 * found within a few ulps of the estimate (then every point is placed by
 * the formula itself). */
static double col_start(double x0, double xlo, double sx, long long c)
{
	double g = xlo + ((double)c - x0) / sx;
	int i;

	if (!isfinite(g))
		return NAN;
	for (i = 0; i < 64 && chart_m4_col(x0, xlo, sx, g) >= c; i++)
		g = nextafter(g, -INFINITY);
	for (i = 0; i < 64 && chart_m4_col(x0, xlo, sx, g) < c; i++)
		g = nextafter(g, INFINITY);
	return chart_m4_col(x0, xlo, sx, g) >= c &&
	               chart_m4_col(x0, xlo, sx, nextafter(g, -INFINITY)) < c
	               ? g
	               : NAN;
}

/* The column tracker: [a, b) is the current column's x range. */
struct cols {
	double x0, xlo, sx, a, b;
	long long c;
};

_Thread_local unsigned long chart_m4_bound_searches;

/* The column of x, by its bounds when x is in the current column. */
static inline long long col_find(struct cols *t, double x)
{
	if (x >= t->a && x < t->b)
		return t->c;
	long long prev = t->c;
	double prev_b = t->b;
	t->c = chart_m4_col(t->x0, t->xlo, t->sx, x);
	if (t->c > -(1LL << 50) && t->c < (1LL << 50)) {
		/* the next column starts where the last one ended */
		if (t->c == prev + 1 && !isnan(prev_b)) {
			t->a = prev_b;
		} else {
			t->a = col_start(t->x0, t->xlo, t->sx, t->c);
			chart_m4_bound_searches++;
		}
		/* A start not found (column 0 at x0 = xlo = 0 reaches into the
		 * negative subnormals): the column is increasing in x, so every
		 * x' in [x, b) is in x's column too; otherwise each of its points
		 * would search again. */
		if (isnan(t->a) && t->sx > 0)
			t->a = x;
		t->b = col_start(t->x0, t->xlo, t->sx, t->c + 1);
		chart_m4_bound_searches++;
	} else {
		t->a = t->b = NAN; /* the clamp: no bounds */
	}
	return t->c;
}

/* The value M4 works on: with logy, y ≤ 0 (and -Inf) is hidden (the sign
 * bit set on a NaN) and positive values stay as they are, since log10 keeps
 * their order; the kept points are log10'd afterwards (log_out). */
static inline double log_hide(double y, int logy)
{
	return !logy || isnan(y) || y > 0 ? y : copysign(NAN, -1);
}

/* Puts out[0..n) on a log10 axis, where M4 kept them untransformed. */
static void log_out(struct chart_point *out, size_t n, int logy)
{
	if (!logy)
		return;
	for (size_t i = 0; i < n; i++)
		if (out[i].y > 0)
			out[i].y = log10(out[i].y);
}

size_t chart_m4(const struct chart_point *pts, size_t n, double x0, double xlo, double sx,
                struct chart_point *out)
{
	return chart_m4_dense(pts, n, x0, xlo, sx, 0, out, NULL);
}

size_t chart_decimate(const struct chart_point *pts, size_t n, double xlo, double xhi,
                      int columns, struct chart_point *out)
{
	if (!(xhi > xlo) || columns < 1 || (size_t)columns * 4 >= n) {
		if (n)
			memcpy(out, pts, n * sizeof *out);
		return n;
	}
	return chart_m4(pts, n, 0, xlo, (double)columns / (xhi - xlo), out);
}

/* The rest of the open column of m, fast: from point i + 1 while x stays in
 * the column and y is shown, the same comparisons as m4_push kept in
 * registers. Returns the last index taken (i when none). */
static size_t m4_column_rest(const struct chart_point *pts, size_t n, size_t i,
                             const struct cols *t, int logy, struct m4 *m)
{
	double lo = m->lo.y, hi = m->hi.y, a = t->a, b = t->b;
	size_t loi = m->loi, hii = m->hii, j;

	for (j = i + 1; j < n; j++) {
		double x = pts[j].x, v = pts[j].y;
		if (!(x >= a && x < b) || !isfinite(v) || (logy && !(v > 0)))
			break;
		if (v < lo)
			lo = v, loi = j;
		if (v > hi)
			hi = v, hii = j;
	}
	if (--j == i)
		return i;
	m->merged = 1;
	m->lo = (struct chart_point){pts[loi].x, lo};
	m->hi = (struct chart_point){pts[hii].x, hi};
	m->loi = loi, m->hii = hii;
	m->li = j;
	m->l = pts[j];
	return j;
}

size_t chart_m4_dense(const struct chart_point *pts, size_t n, double x0, double xlo, double sx,
                      int logy, struct chart_point *out, int *dense)
{
	struct m4 m = {.out = out};
	struct cols t = {x0, xlo, sx, NAN, NAN, 0};

	for (size_t i = 0; i < n; i++) {
		double x = pts[i].x, y = log_hide(pts[i].y, logy);
		if (!isfinite(x))
			continue;
		long long c = isfinite(y) ? col_find(&t, x) : 0;
		m4_push(&m, i, x, y, c);
		if (m.open && m.col == c && isfinite(y))
			i = m4_column_rest(pts, n, i, &t, logy, &m);
	}
	m4_flush(&m);
	log_out(out, m.k, logy);
	if (dense)
		*dense = m.merged;
	return m.k;
}

/* The rest of the open column, fast: from point i + 1 while x stays in the
 * column and every raw and smoothed value is shown, with the smoothing
 * past its debiasing (each step is then last * w + w1 * v, exactly as in
 * the general loop). The same comparisons as m4_push, kept in registers.
 * Returns the last index taken (i when none). */
static size_t column_rest(const struct chart_point *pts, size_t n, size_t i, const struct cols *t,
                          int logy, double w, double w1, double *last, struct m4 *m,
                          struct m4 *s)
{
	double lo = m->lo.y, hi = m->hi.y, slo = s->lo.y, shi = s->hi.y, l = *last;
	size_t loi = m->loi, hii = m->hii, sloi = s->loi, shii = s->hii, j;

	for (j = i + 1; j < n; j++) {
		double x = pts[j].x, v = pts[j].y;
		if (!(x >= t->a && x < t->b) || !isfinite(v))
			break;
		double nl = l * w + w1 * v;
		if (!isfinite(nl) || (logy && !(v > 0 && nl > 0)))
			break;
		l = nl;
		if (v < lo)
			lo = v, loi = j;
		if (v > hi)
			hi = v, hii = j;
		if (l < slo)
			slo = l, sloi = j;
		if (l > shi)
			shi = l, shii = j;
	}
	if (--j == i)
		return i;
	*last = l;
	m->merged = s->merged = 1;
	m->lo = (struct chart_point){pts[loi].x, lo};
	m->hi = (struct chart_point){pts[hii].x, hi};
	s->lo = (struct chart_point){pts[sloi].x, slo};
	s->hi = (struct chart_point){pts[shii].x, shi};
	m->loi = loi, m->hii = hii, s->loi = sloi, s->hii = shii;
	m->li = s->li = j;
	m->l = pts[j];
	s->l = (struct chart_point){pts[j].x, l};
	return j;
}

void chart_m4_smooth(const struct chart_point *pts, size_t n, double x0, double xlo, double sx,
                     double w, int logy, struct chart_point *out, size_t *nout,
                     struct chart_point *out_s, size_t *nout_s, int *dense)
{
	struct m4 m = {.out = out}, s = {.out = out_s};
	struct cols t = {x0, xlo, sx, NAN, NAN, 0};
	double last = 0, debias = 0, w1;
	size_t k = 0, i;
	int constant = 1;

	w = !isfinite(w) ? 0 : w < 0 ? 0 : w > 1 ? 1 : w;
	w1 = 1 - w;
	for (i = 0; i < n && constant; i++)
		if (!(pts[i].y == pts[0].y))
			constant = 0;
	for (i = 0; i < n; i++) {
		double v = pts[i].y, y = v, x = pts[i].x;
		/* TensorBoard's classic smoothing, step by step (see chart_smooth) */
		if (!constant && isfinite(v)) {
			last = last * w + w1 * v;
			k++;
			if (debias != 1) {
				debias = w == 1 ? 1 : 1 - pow(w, (double)k);
				y = last / debias;
			} else {
				y = last; /* last / 1 */
			}
		}
		if (!isfinite(x))
			continue;
		v = log_hide(v, logy);
		y = log_hide(y, logy);
		long long c = isfinite(v) || isfinite(y) ? col_find(&t, x) : 0;
		m4_push(&m, i, x, v, c);
		m4_push(&s, i, x, y, c);
		if (debias == 1 && !constant && m.open && s.open && m.col == c && s.col == c) {
			size_t j = column_rest(pts, n, i, &t, logy, w, w1, &last, &m, &s);
			k += j - i;
			i = j;
		}
	}
	m4_flush(&m);
	m4_flush(&s);
	log_out(out, m.k, logy);
	log_out(out_s, s.k, logy);
	*nout = m.k;
	*nout_s = s.k;
	if (dense)
		*dense = m.merged;
}
