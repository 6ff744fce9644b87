/* decimate.c — M4 decimation (Jugel et al., VLDB 2014): per pixel column
 * keep the first, last, minimum and maximum point, so a line drawn from the
 * kept points covers the same pixels as one drawn from every point. One
 * streaming pass: the column of a point is found by comparing x with the
 * current column's bounds (exact doubles, worked out once per column), and
 * TensorBoard's smoothing can run in the same pass into a second M4. */
#include <math.h>
#include <string.h>

#include "chart_internal.h"
#include "runsite/simd.h"

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

/* The least and the greatest y of a run of points, each at its first
 * index. */
struct run_ext {
	double lo, hi;
	size_t loi, hii;
};

/* Folds candidate (v, i) into e's minimum and maximum: the smaller value,
 * on a tie the earlier index, so candidates can come in any order. */
static void run_ext_fold(struct run_ext *e, double lo, size_t loi, double hi, size_t hii)
{
	if (lo < e->lo || (lo == e->lo && loi < e->loi))
		e->lo = lo, e->loi = loi;
	if (hi > e->hi || (hi == e->hi && hii < e->hii))
		e->hi = hi, e->hii = hii;
}

/* Which path M4 takes through a column (CHART_M4_SIMD_*); -1 until the
 * CPU is asked. */
static _Atomic int m4_simd = -1;

int chart_m4_simd(int want)
{
	return m4_simd_pick(&m4_simd, want, m4_simd_cpu() ? CHART_M4_SIMD_AVX512 : CHART_M4_SIMD_NONE);
}

static int m4_path(void)
{
	int path = m4_simd;
	return path < 0 ? chart_m4_simd(-1) : path;
}

#ifdef HAVE_M4_AVX512
/* Folds 8 lanes of minima and maxima, each with its index, into e. */
AVX512_M4 static void lanes_fold(struct run_ext *e, __m512d lo, __m512i loi, __m512d hi,
                                 __m512i hii)
{
	struct lanes8 l;
	lanes_store(&l, lo, loi, hi, hii);
	for (int k = 0; k < 8; k++)
		run_ext_fold(e, l.lo[k], (size_t)l.loi[k], l.hi[k], (size_t)l.hii[k]);
}

/* Whether the column [a, b) likely goes on for M4_VECTOR_RUN_MIN points
 * from j (the last of them is in it). Only a guess for points out of
 * order; the vector path checks every point anyway. */
static inline int long_run(const struct chart_point *pts, size_t j, size_t n, double a, double b)
{
	return n - j >= M4_VECTOR_RUN_MIN && pts[j + M4_VECTOR_RUN_MIN - 1].x >= a &&
	       pts[j + M4_VECTOR_RUN_MIN - 1].x < b;
}

/* The 8 points from j: their y lanes into *y, and which are in the column
 * [va, vb) with y shown (finite; above 0 with logy). */
AVX512_M4 static inline __attribute__((always_inline)) __mmask8
block_shown(const struct chart_point *pts, size_t j, __m512d va, __m512d vb, int logy, __m512d *y)
{
	const __m512i ix = _mm512_setr_epi64(0, 2, 4, 6, 8, 10, 12, 14);
	const __m512i iy = _mm512_setr_epi64(1, 3, 5, 7, 9, 11, 13, 15);
	__m512d p0 = _mm512_loadu_pd(&pts[j].x), p1 = _mm512_loadu_pd(&pts[j + 4].x);
	__m512d x = _mm512_permutex2var_pd(p0, ix, p1);
	*y = _mm512_permutex2var_pd(p0, iy, p1);
	__mmask8 ok = _mm512_cmp_pd_mask(x, va, _CMP_GE_OQ) & _mm512_cmp_pd_mask(x, vb, _CMP_LT_OQ) &
	              _mm512_cmp_pd_mask(_mm512_abs_pd(*y), _mm512_set1_pd(INFINITY), _CMP_LT_OQ);
	if (logy)
		ok &= _mm512_cmp_pd_mask(*y, _mm512_setzero_pd(), _CMP_GT_OQ);
	return ok;
}

/* column_run over whole blocks of 8 points from j, while every point of a
 * block is in [a, b) and shown: 8 minima and maxima side by side, each
 * lane's strict comparisons keeping its earliest index, folded into e at
 * the end. Returns the first index not taken. */
AVX512_M4 static size_t column_run_avx512(const struct chart_point *pts, size_t j, size_t n,
                                          double a, double b, int logy, struct run_ext *e)
{
	const __m512d va = _mm512_set1_pd(a), vb = _mm512_set1_pd(b);
	const __m512d inf = _mm512_set1_pd(INFINITY);
	__m512d lo = inf, hi = _mm512_set1_pd(-INFINITY);
	__m512i idx = lanes_index(j);
	__m512i loi = idx, hii = idx;
	size_t start = j;

	for (; n - j >= 8; j += 8) {
		__m512d y;
		__mmask8 ok = block_shown(pts, j, va, vb, logy, &y);
		if (ok != 0xFF)
			break;
		lanes_take(y, idx, &lo, &loi, &hi, &hii);
		idx = _mm512_add_epi64(idx, _mm512_set1_epi64(8));
	}
	if (j != start)
		lanes_fold(e, lo, loi, hi, hii);
	return j;
}
#endif

/* The run of points from j on that stay in the column [a, b) with y shown,
 * their extrema folded into e (the comparisons of m4_push). Returns the
 * index after the run. */
static size_t column_run(const struct chart_point *pts, size_t j, size_t n, double a, double b,
                         int logy, struct run_ext *e)
{
#ifdef HAVE_M4_AVX512
	if (m4_path() == CHART_M4_SIMD_AVX512 && long_run(pts, j, n, a, b))
		j = column_run_avx512(pts, j, n, a, b, logy, e);
#endif
	/* the block that ends the run, or the points after the last block */
	double lo = e->lo, hi = e->hi;
	size_t loi = e->loi, hii = e->hii;
	for (; j < n; j++) {
		double x = pts[j].x, v = pts[j].y;
		if (!(x >= a && x < b) || !isfinite(v) || (logy && !(v > 0)))
			break;
		if (v < lo)
			lo = v, loi = j;
		if (v > hi)
			hi = v, hii = j;
	}
	*e = (struct run_ext){lo, hi, loi, hii};
	return j;
}

/* The rest of the open column of m, fast: from point i + 1 while x stays in
 * the column and y is shown (column_run). Returns the last index taken (i
 * when none). */
static size_t m4_column_rest(const struct chart_point *pts, size_t n, size_t i,
                             const struct cols *t, int logy, struct m4 *m)
{
	struct run_ext e = {m->lo.y, m->hi.y, m->loi, m->hii};
	size_t j = column_run(pts, i + 1, n, t->a, t->b, logy, &e) - 1;

	if (j == i)
		return i;
	m->merged = 1;
	m->lo = (struct chart_point){pts[e.loi].x, e.lo};
	m->hi = (struct chart_point){pts[e.hii].x, e.hi};
	m->loi = e.loi, m->hii = e.hii;
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

#ifdef HAVE_M4_AVX512
/* One step of the smoothing, last * w + w1 * v, rounded after the product
 * as the scalar loops are (-std=c11 contracts nothing; AVX-512 code could
 * otherwise be given an FMA). */
AVX512_M4 static inline double smooth_step(double l, double w, double w1, double v)
{
	double p = l * w;
	__asm__("" : "+x"(p));
	return p + w1 * v;
}

/* column_rest over whole blocks of 8 points from j: the raw values as in
 * column_run_avx512, each block's 8 smoothing steps one after the other as
 * in column_rest, then their extrema side by side in the same way. A block
 * with a point that ends the run is left (with the smoothing as it was
 * before it) to the scalar loop. Returns the first index not taken. */
AVX512_M4 static size_t column_rest_avx512(const struct chart_point *pts, size_t j, size_t n,
                                           double a, double b, int logy, double w, double w1,
                                           double *last, struct run_ext *e, struct run_ext *se)
{
	const __m512d va = _mm512_set1_pd(a), vb = _mm512_set1_pd(b);
	const __m512d inf = _mm512_set1_pd(INFINITY), zero = _mm512_setzero_pd();
	__m512d lo = inf, hi = _mm512_set1_pd(-INFINITY), slo = lo, shi = hi;
	__m512i idx = lanes_index(j);
	__m512i loi = idx, hii = idx, sloi = idx, shii = idx;
	double l = *last, ls[8];
	size_t start = j;

	for (; n - j >= 8; j += 8) {
		__m512d y;
		__mmask8 ok = block_shown(pts, j, va, vb, logy, &y);
		if (ok != 0xFF)
			break;
		double l0 = l;
		for (int k = 0; k < 8; k++)
			ls[k] = l = smooth_step(l, w, w1, pts[j + k].y);
		__m512d sm = _mm512_loadu_pd(ls);
		ok = _mm512_cmp_pd_mask(_mm512_abs_pd(sm), inf, _CMP_LT_OQ);
		if (logy)
			ok &= _mm512_cmp_pd_mask(sm, zero, _CMP_GT_OQ);
		if (ok != 0xFF) {
			l = l0;
			break;
		}
		lanes_take(y, idx, &lo, &loi, &hi, &hii);
		lanes_take(sm, idx, &slo, &sloi, &shi, &shii);
		idx = _mm512_add_epi64(idx, _mm512_set1_epi64(8));
	}
	if (j == start)
		return j;
	*last = l;
	lanes_fold(e, lo, loi, hi, hii);
	lanes_fold(se, slo, sloi, shi, shii);
	return j;
}
#endif

/* The rest of the open column, fast: from point i + 1 while x stays in
 * the column and every raw and smoothed value is shown, with the smoothing
 * past its debiasing (each step is then last * w + w1 * v, exactly as in
 * the general loop). The same comparisons as m4_push, kept in registers
 * (whole blocks of points first, with AVX-512). Returns the last index
 * taken (i when none). */
static size_t column_rest(const struct chart_point *pts, size_t n, size_t i, const struct cols *t,
                          int logy, double w, double w1, double *last, struct m4 *m,
                          struct m4 *s)
{
	struct run_ext e = {m->lo.y, m->hi.y, m->loi, m->hii}, se = {s->lo.y, s->hi.y, s->loi, s->hii};
	double l = *last;
	size_t j = i + 1;

#ifdef HAVE_M4_AVX512
	if (m4_path() == CHART_M4_SIMD_AVX512 && long_run(pts, j, n, t->a, t->b))
		j = column_rest_avx512(pts, j, n, t->a, t->b, logy, w, w1, &l, &e, &se);
#endif
	double lo = e.lo, hi = e.hi, slo = se.lo, shi = se.hi;
	size_t loi = e.loi, hii = e.hii, sloi = se.loi, shii = se.hii;
	for (; j < n; j++) {
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
