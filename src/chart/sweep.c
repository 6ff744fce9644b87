/* sweep.c — charts of a parameter sweep: parallel coordinates (one vertical
 * axis per param, the goal metric last with the colour bar, one line per
 * run coloured by the metric) and a scatter of the metric against one
 * param. Same fonts, palette and files as the line
 * charts; numeric axes get the line charts' ticks, categorical ones their
 * values spread evenly. */
#include <glib.h>
#include <math.h>
#include <pango/pangocairo.h>
#include <stdlib.h>
#include <string.h>


#include "chart_internal.h"
#include "runsite/diag.h"

struct sw {
	cairo_t *cr;
	PangoLayout *lay;
	PangoFontDescription *font, *title_font;
	double fg;
	struct buf *svg_text; /* SVG: text as <text> elements here, not glyphs on cr */
	struct buf *svg_runs; /* SVG: the runs' lines or points as markup here, not on cr */
};

/* In SVG the runs of one colour and weight share one <path> (a run is a
 * subpath), so the scale is quantised to this many steps there, the colour
 * bar's included; PNG and PDF keep the continuous scale. */
#define SWEEP_SVG_LEVELS 64

static void sw_measure(void *vctx, const char *text, double *w, double *h)
{
	struct sw *c = vctx;
	PangoRectangle r;
	pango_layout_set_font_description(c->lay, c->font);
	chart_set_text(c->lay, text);
	pango_layout_get_extents(c->lay, NULL, &r);
	*w = r.width / (double)PANGO_SCALE;
	*h = r.height / (double)PANGO_SCALE;
}

/* Draws text at (x, y): align 0 left, 1 centre, 2 right of x; maxw > 0 ellipsizes. */
static void sw_show(struct sw *c, const char *text, double x, double y, int align, double maxw,
                    const PangoFontDescription *f)
{
	PangoRectangle r;
	pango_layout_set_font_description(c->lay, f);
	chart_set_text(c->lay, text);
	pango_layout_set_width(c->lay, maxw > 0 ? (int)(maxw * PANGO_SCALE) : -1);
	pango_layout_get_extents(c->lay, NULL, &r);
	double w = r.width / (double)PANGO_SCALE;
	x = align == 1 ? x - w / 2 : align == 2 ? x - w : x;
	if (c->svg_text) {
		chart_svg_text(c->svg_text, c->cr, c->lay, x, y, align, f == c->title_font);
	} else {
		cairo_move_to(c->cr, x, y);
		pango_cairo_show_layout(c->cr, c->lay);
	}
	pango_layout_set_width(c->lay, -1);
}

void chart_abbreviate(const char *text, double maxw, chart_measure_fn m, void *ctx, char *out,
                      size_t outsz)
{
	size_t n = text ? strnlen(text, CHART_LABEL_BYTES) : 0;
	char *v = g_utf8_make_valid(text ? text : "", (gssize)n);
	double w, h;
	glong nch = g_utf8_strlen(v, -1);

	m(ctx, v, &w, &h);
	if (w <= maxw || nch <= 2) {
		g_strlcpy(out, v, outsz);
		g_free(v);
		return;
	}
	/* keep the head and the tail, drop the middle: "cosine_with_restarts"
	 * and "cosine_with_warmup" stay apart as "cosi…tarts" and "cosi…armup" */
	for (glong keep = nch - 1; keep >= 1; keep--) {
		glong head = (keep + 1) / 2, tail = keep - head;
		const char *hp = g_utf8_offset_to_pointer(v, head);
		const char *tp = g_utf8_offset_to_pointer(v, nch - tail);
		char *t = g_strdup_printf("%.*s\xe2\x80\xa6%s", (int)(hp - v), v, tp);
		m(ctx, t, &w, &h);
		if (w <= maxw || keep == 1) {
			g_strlcpy(out, t, outsz);
			g_free(t);
			break;
		}
		g_free(t);
	}
	g_free(v);
}

/* Viridis, sampled: dark violet (0) through teal to yellow (1); reads in
 * grey and for colour-blind readers, on light and dark pages. */
void chart_scale_rgb(double t, double rgb[3])
{
	static const double stops[9][3] = {
	        {0.267, 0.005, 0.329}, {0.278, 0.175, 0.483}, {0.230, 0.322, 0.546},
	        {0.173, 0.449, 0.558}, {0.128, 0.567, 0.551}, {0.153, 0.680, 0.504},
	        {0.363, 0.785, 0.388}, {0.678, 0.864, 0.190}, {0.993, 0.906, 0.144},
	};
	t = !isfinite(t) ? 0 : t < 0 ? 0 : t > 1 ? 1 : t;
	double f = t * 8;
	int i = (int)f;
	if (i >= 8)
		i = 7;
	f -= i;
	for (int k = 0; k < 3; k++)
		rgb[k] = stops[i][k] + (stops[i + 1][k] - stops[i][k]) * f;
}

/* A dimension laid out along `length` px: range, ticks, labels. */
struct dim_axis {
	const struct chart_dim *d;
	struct chart_axis ax; /* numeric: ticks in axis units (log10 when log) */
	double lo, hi;        /* axis units */
	int log;
};

/* The axis-unit value of v on dimension d (NaN when it cannot be shown). */
static double dim_unit(const struct dim_axis *a, double v)
{
	if (!isfinite(v))
		return NAN;
	if (a->log)
		return v > 0 ? log10(v) : NAN;
	return v;
}

/* 0 (bottom/left) .. 1 (top/right) position of v on the axis, or NaN. */
static double dim_pos(const struct dim_axis *a, double v)
{
	double u = dim_unit(a, v);
	if (!isfinite(u))
		return NAN;
	if (a->d->cats)
		return a->d->ncats < 2 ? 0.5 : (u + 0.5) / (double)a->d->ncats;
	return (u - a->lo) / (a->hi - a->lo);
}

static void dim_layout(struct sw *c, struct dim_axis *a, const struct chart_dim *d, size_t nruns,
                       double length, int vertical)
{
	memset(a, 0, sizeof *a);
	a->d = d;
	if (d->cats)
		return;
	double lo = INFINITY, hi = -INFINITY;
	a->log = d->log;
	for (size_t i = 0; i < nruns; i++) {
		double u = dim_unit(a, d->v[i]);
		if (isfinite(u)) {
			lo = u < lo ? u : lo;
			hi = u > hi ? u : hi;
		}
	}
	if (!(hi >= lo)) {
		lo = 0;
		hi = 1;
	}
	if (hi == lo) {
		double pad = fabs(lo) > 0 ? fabs(lo) * 0.1 : 1;
		lo -= pad;
		hi += pad;
	}
	double pad = (hi - lo) * 0.06;
	a->lo = lo - pad;
	a->hi = hi + pad;
	chart_axis_layout(&a->ax, a->lo, a->hi, a->log, CHART_AXIS_VALUE, length, vertical,
	                  sw_measure, c);
}

size_t chart_sweep_top(size_t nruns)
{
	size_t k = (nruns + 4) / 5;
	return k < 1 ? 1 : k > 10 ? 10 : k;
}

/* The runs in drawing order, worst first (so the best is drawn last, on
 * top) by the last dimension under goal; runs without a value first. */
struct order_ctx {
	const double *v;
	enum chart_goal goal;
};
static __thread struct order_ctx order_by;

static int cmp_worst_first(const void *a, const void *b)
{
	size_t i = *(const size_t *)a, j = *(const size_t *)b;
	double x = order_by.v[i], y = order_by.v[j];
	int fx = isfinite(x), fy = isfinite(y);
	if (fx != fy)
		return fx - fy;
	if (fx && x != y) {
		int better = order_by.goal == CHART_GOAL_MIN ? x < y : x > y;
		return better ? 1 : -1;
	}
	return (i > j) - (i < j);
}

/* Drawing order (caller frees) and how many runs at its end are the
 * highlighted best (0 without a goal). */
static size_t *sweep_order(const struct chart_sweep *sw, size_t *top)
{
	size_t *o = xreallocarray(NULL, sw->nruns ? sw->nruns : 1, sizeof *o);
	for (size_t i = 0; i < sw->nruns; i++)
		o[i] = i;
	*top = 0;
	if (sw->goal == CHART_GOAL_NONE)
		return o;
	order_by = (struct order_ctx){sw->dims[sw->ndims - 1].v, sw->goal};
	qsort(o, sw->nruns, sizeof *o, cmp_worst_first);
	size_t finite = 0;
	for (size_t i = 0; i < sw->nruns; i++)
		finite += isfinite(sw->dims[sw->ndims - 1].v[i]) != 0;
	*top = chart_sweep_top(sw->nruns);
	if (*top > finite)
		*top = finite;
	return o;
}

/* The metric's range over the runs, for the colour scale. */
static void metric_range(const struct chart_sweep *sw, double *lo, double *hi)
{
	const struct chart_dim *m = &sw->dims[sw->ndims - 1];
	*lo = INFINITY;
	*hi = -INFINITY;
	for (size_t i = 0; i < sw->nruns; i++)
		if (isfinite(m->v[i])) {
			*lo = fmin(*lo, m->v[i]);
			*hi = fmax(*hi, m->v[i]);
		}
}

/* The scale position 0..1 of metric value v: the better end (by the goal) 1. */
static double metric_t(const struct chart_sweep *sw, double lo, double hi, double v)
{
	double t = hi > lo ? (v - lo) / (hi - lo) : 1;
	if (sw->goal == CHART_GOAL_MIN)
		t = 1 - t;
	return !isfinite(t) ? 0 : t < 0 ? 0 : t > 1 ? 1 : t;
}

/* The step of v on the SVG's quantised scale, 0 .. SWEEP_SVG_LEVELS - 1. */
static int metric_level(const struct chart_sweep *sw, double lo, double hi, double v)
{
	return (int)lround(metric_t(sw, lo, hi, v) * (SWEEP_SVG_LEVELS - 1));
}

/* The scale colour of metric value v (yellow the better end), in steps
 * when the runs go to SVG. */
static void metric_rgb(const struct sw *c, const struct chart_sweep *sw, double lo, double hi,
                       double v, double rgb[3])
{
	if (c->svg_runs)
		chart_scale_rgb(metric_level(sw, lo, hi, v) / (double)(SWEEP_SVG_LEVELS - 1), rgb);
	else
		chart_scale_rgb(metric_t(sw, lo, hi, v), rgb);
}

/* A run's place among the SVG paths: its weight (0 faint, 1 bold, 2 the
 * best), its colour step and its place k in the drawing order. */
struct run_group {
	size_t k;
	int weight, level;
};

static int cmp_group(const void *a, const void *b)
{
	const struct run_group *x = a, *y = b;
	if (x->weight != y->weight)
		return x->weight - y->weight;
	if (x->level != y->level)
		return x->level - y->level;
	return (x->k > y->k) - (x->k < y->k);
}

/* The runs sorted into their paths: faint before bold (as Cairo draws them),
 * then by colour step, then in the drawing order. With a goal that is the
 * drawing order itself, worst first; caller frees. */
static struct run_group *run_groups(const struct chart_sweep *sw, const size_t *order,
                                    size_t top_n, double mlo, double mhi, size_t metric_dim)
{
	struct run_group *g = xreallocarray(NULL, sw->nruns ? sw->nruns : 1, sizeof *g);
	for (size_t k = 0; k < sw->nruns; k++) {
		int bold = k >= sw->nruns - top_n;
		g[k] = (struct run_group){k, !bold ? 0 : k + 1 == sw->nruns ? 2 : 1,
		                          metric_level(sw, mlo, mhi, sw->dims[metric_dim].v[order[k]])};
	}
	qsort(g, sw->nruns, sizeof *g, cmp_group);
	return g;
}

/* Ticks of a vertical axis at x from y0 (bottom) to y1 (top); labels on
 * the left when left, else on the right. */
static void vaxis_ticks(struct sw *c, const struct dim_axis *a, double x, double y0, double y1,
                        int left, double maxw)
{
	cairo_t *cr = c->cr;
	cairo_set_source_rgb(cr, c->fg, c->fg, c->fg);
	if (a->d->cats) {
		for (size_t k = 0; k < a->d->ncats; k++) {
			double p = a->d->ncats < 2 ? 0.5 : (k + 0.5) / (double)a->d->ncats;
			double y = y0 + (y1 - y0) * p;
			char ab[CHART_LABEL_BYTES + 8];
			cairo_rectangle(cr, x - 2, y - 0.5, 4, 1);
			cairo_fill(cr);
			chart_abbreviate(a->d->cats[k], maxw, sw_measure, c, ab, sizeof ab);
			sw_show(c, ab, left ? x - 5 : x + 5, y - CHART_FONT_PX * 0.65, left ? 2 : 0, 0,
			        c->font);
		}
		return;
	}
	for (size_t k = 0; k < a->ax.n; k++) {
		double p = (a->ax.tick[k] - a->lo) / (a->hi - a->lo);
		double y = y0 + (y1 - y0) * p;
		cairo_rectangle(cr, x - 2, y - 0.5, 4, 1);
		cairo_fill(cr);
		sw_show(c, a->ax.label[k], left ? x - 5 : x + 5, y - CHART_FONT_PX * 0.65, left ? 2 : 0,
		        maxw, c->font);
	}
}

/* Run i's line across the axes, through to(ctx, x, y, line): line 0 starts
 * a piece (at the first axis, and after an axis where it has no value). */
static void run_polyline(const struct chart_sweep *sw, const struct dim_axis *ax, size_t i,
                         double top, double bottom, double left, double right,
                         void (*to)(void *ctx, double x, double y, int line), void *ctx)
{
	size_t nd = sw->ndims;
	double gap = nd > 1 ? (right - left) / (double)(nd - 1) : 0;
	int open = 0;
	for (size_t d = 0; d < nd; d++) {
		double p = dim_pos(&ax[d], sw->dims[d].v[i]);
		double x = nd > 1 ? left + gap * (double)d : (left + right) / 2;
		if (!isfinite(p)) {
			open = 0;
			continue;
		}
		to(ctx, x, bottom + (top - bottom) * p, open);
		open = 1;
	}
}

static void pen_to(void *pen, double x, double y, int line)
{
	(line ? svgpen_line : svgpen_move)(pen, x, y);
}

static void cairo_to(void *cr, double x, double y, int line)
{
	(line ? cairo_line_to : cairo_move_to)(cr, x, y);
}

/* The runs of the parallel coordinates as SVG paths, one per colour step
 * and weight, each run a subpath: what draw_parallel strokes on Cairo. */
static void parallel_svg_runs(struct sw *c, const struct chart_sweep *sw,
                              const struct dim_axis *ax, const size_t *order, size_t top_n,
                              double mlo, double mhi, double top, double bottom, double left,
                              double right)
{
	struct run_group *g = run_groups(sw, order, top_n, mlo, mhi, sw->ndims - 1);
	struct svg_pen pen = {.out = c->svg_runs};
	BUF_PUTSL(c->svg_runs, "<g stroke-linejoin=\"round\">\n");
	for (size_t j = 0; j < sw->nruns; j++) {
		run_polyline(sw, ax, order[g[j].k], top, bottom, left, right, pen_to, &pen);
		if (j + 1 == sw->nruns || g[j + 1].weight != g[j].weight || g[j + 1].level != g[j].level) {
			double rgb[3];
			chart_scale_rgb(g[j].level / (double)(SWEEP_SVG_LEVELS - 1), rgb);
			svgpen_stroke(&pen, rgb, g[j].weight || top_n == 0 ? 1.0 : 0.3, 1 + g[j].weight,
			              NULL, 0);
		}
	}
	BUF_PUTSL(c->svg_runs, "</g>\n");
	buf_free(&pen.d);
	free(g);
}

/* Parallel coordinates: one line per run coloured by the metric (the
 * colour bar beside the metric's axis, the last), every run faint, the
 * best few bold on top. */
static void draw_parallel(struct sw *c, const struct chart_sweep *sw, double W, double H)
{
	cairo_t *cr = c->cr;
	size_t nd = sw->ndims, top_n;
	double top = 44, bottom = H - 16, left = 70, right = W - 96;
	double gap = nd > 1 ? (right - left) / (double)(nd - 1) : 0;
	struct dim_axis *ax = xcalloc(nd, sizeof *ax);
	for (size_t d = 0; d < nd; d++)
		dim_layout(c, &ax[d], &sw->dims[d], sw->nruns, bottom - top, 1);
	cairo_set_source_rgb(cr, c->fg, c->fg, c->fg);
	sw_show(c, sw->title, 8, 4, 0, W - 16, c->title_font);
	/* Axis names above the axes, lines, then ticks over the lines. */
	for (size_t d = 0; d < nd; d++) {
		double x = nd > 1 ? left + gap * (double)d : (left + right) / 2;
		char ab[CHART_LABEL_BYTES + 8];
		/* the metric's name ends at the right edge, from half a gap left
		 * of its axis; the others are centred on theirs */
		int last = d + 1 == nd && nd > 1;
		double room = last ? W - 4 - (x - gap / 2 + 3) : gap > 0 ? gap - 6 : W - 16;
		chart_abbreviate(sw->dims[d].label, room, sw_measure, c, ab, sizeof ab);
		cairo_set_source_rgb(cr, c->fg, c->fg, c->fg);
		sw_show(c, ab, last ? W - 4 : x, 24, last ? 2 : 1, 0, c->font);
	}
	double mlo, mhi;
	metric_range(sw, &mlo, &mhi);
	size_t *order = sweep_order(sw, &top_n);
	if (c->svg_runs)
		parallel_svg_runs(c, sw, ax, order, top_n, mlo, mhi, top, bottom, left, right);
	cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
	for (size_t k = 0; k < sw->nruns && !c->svg_runs; k++) {
		size_t i = order[k];
		int bold = k >= sw->nruns - top_n;
		double rgb[3];
		metric_rgb(c, sw, mlo, mhi, sw->dims[nd - 1].v[i], rgb);
		run_polyline(sw, ax, i, top, bottom, left, right, cairo_to, cr);
		cairo_set_line_width(cr, !bold ? 1 : k + 1 == sw->nruns ? 3 : 2);
		cairo_set_source_rgba(cr, rgb[0], rgb[1], rgb[2], bold || top_n == 0 ? 1.0 : 0.3);
		cairo_stroke(cr);
	}
	free(order);
	for (size_t d = 0; d < nd; d++) {
		double x = nd > 1 ? left + gap * (double)d : (left + right) / 2;
		int last = d + 1 == nd && nd > 1;
		cairo_set_source_rgb(cr, c->fg, c->fg, c->fg);
		cairo_rectangle(cr, x - 0.5, top, 1, bottom - top);
		cairo_fill(cr);
		if (last && mhi >= mlo) {
			/* the colour bar: the scale along the metric's axis, in solid
			 * steps (no gradient: its id would differ between builds) */
			for (int j = 0; j < 48; j++) {
				double y0 = bottom + (top - bottom) * j / 48.0, y1 = bottom + (top - bottom) * (j + 1) / 48.0;
				double pm = ((j + 0.5) / 48.0) * (ax[d].hi - ax[d].lo) + ax[d].lo;
				double v = ax[d].log ? pow(10, pm) : pm, rgb[3];
				metric_rgb(c, sw, mlo, mhi, v, rgb);
				cairo_set_source_rgb(cr, rgb[0], rgb[1], rgb[2]);
				cairo_rectangle(cr, x + 2, y1, 6, y0 - y1 + 0.25);
				cairo_fill(cr);
			}
		}
		vaxis_ticks(c, &ax[d], last ? x + 8 : x, bottom, top, d + 1 < nd || nd == 1,
		            d == 0 ? left - 8 : last ? W - x - 20 : gap - 12);
	}
	free(ax);
}

/* The scatter's points as SVG paths, one per colour step and size, each
 * point a circle subpath filled and ringed: what draw_scatter paints on Cairo. */
static void scatter_svg_runs(struct sw *c, const struct chart_sweep *sw,
                             const struct dim_axis *xa, const struct dim_axis *ya,
                             const size_t *order, size_t top_n, double mlo, double mhi,
                             double px, double py, double pw, double ph)
{
	struct run_group *g = run_groups(sw, order, top_n, mlo, mhi, 1);
	struct svg_pen pen = {.out = c->svg_runs};
	for (size_t j = 0; j < sw->nruns; j++) {
		size_t i = order[g[j].k];
		int bold = g[j].weight > 0;
		double p = dim_pos(xa, sw->dims[0].v[i]), q = dim_pos(ya, sw->dims[1].v[i]);
		if (isfinite(p) && isfinite(q))
			svgpen_circle(&pen, px + pw * p, py + ph * (1 - q), bold ? 5 : 3.5);
		/* the best is bold like the others here: one path for both */
		if (j + 1 == sw->nruns || (g[j + 1].weight > 0) != bold || g[j + 1].level != g[j].level) {
			double rgb[3], ring[3];
			chart_scale_rgb(g[j].level / (double)(SWEEP_SVG_LEVELS - 1), rgb);
			for (int k = 0; k < 3; k++)
				ring[k] = rgb[k] * 0.55;
			svgpen_fill_stroke(&pen, rgb, bold || top_n == 0 ? 0.95 : 0.5, ring, bold ? 1 : 0.5,
			                   bold ? 1.25 : 0.75);
		}
	}
	buf_free(&pen.d);
	free(g);
}

static void draw_scatter(struct sw *c, const struct chart_sweep *sw, double W, double H)
{
	cairo_t *cr = c->cr;
	struct dim_axis xa, ya;
	double px = 70, py = 30, pw = W - px - 20, ph = H - py - 52;
	dim_layout(c, &xa, &sw->dims[0], sw->nruns, pw, 0);
	dim_layout(c, &ya, &sw->dims[1], sw->nruns, ph, 1);
	cairo_set_source_rgb(cr, c->fg, c->fg, c->fg);
	sw_show(c, sw->title, 8, 4, 0, W - 16, c->title_font);
	/* Grid and x ticks. */
	cairo_set_source_rgba(cr, c->fg, c->fg, c->fg, 0.25);
	size_t nx = xa.d->cats ? xa.d->ncats : xa.ax.n;
	for (size_t k = 0; k < nx; k++) {
		double p = xa.d->cats ? (xa.d->ncats < 2 ? 0.5 : (k + 0.5) / (double)xa.d->ncats)
		                      : (xa.ax.tick[k] - xa.lo) / (xa.hi - xa.lo);
		double x = px + pw * p;
		cairo_set_source_rgba(cr, c->fg, c->fg, c->fg, 0.25);
		cairo_rectangle(cr, round(x * 2) / 2 - 0.25, py, 0.5, ph);
		cairo_fill(cr);
		cairo_set_source_rgb(cr, c->fg, c->fg, c->fg);
		char ab[CHART_LABEL_BYTES + 8];
		chart_abbreviate(xa.d->cats ? xa.d->cats[k] : xa.ax.label[k], nx ? pw / (double)nx - 4 : pw,
		                 sw_measure, c, ab, sizeof ab);
		sw_show(c, ab, x, py + ph + 4, 1, 0, c->font);
	}
	cairo_set_source_rgb(cr, c->fg, c->fg, c->fg);
	sw_show(c, sw->dims[0].label, px + pw / 2, H - 18, 1, pw, c->font);
	cairo_rectangle(cr, px, py + ph - 0.5, pw, 1);
	cairo_rectangle(cr, px - 0.5, py, 1, ph);
	cairo_fill(cr);
	vaxis_ticks(c, &ya, px, py + ph, py, 1, px - 8);
	/* Points coloured by the metric (as the parallel coordinates), the best
	 * few larger and on top. */
	double mlo, mhi;
	size_t top_n, *order;
	metric_range(sw, &mlo, &mhi);
	order = sweep_order(sw, &top_n);
	if (c->svg_runs)
		scatter_svg_runs(c, sw, &xa, &ya, order, top_n, mlo, mhi, px, py, pw, ph);
	for (size_t k = 0; k < sw->nruns && !c->svg_runs; k++) {
		size_t i = order[k];
		int bold = k >= sw->nruns - top_n;
		double p = dim_pos(&xa, sw->dims[0].v[i]), q = dim_pos(&ya, sw->dims[1].v[i]);
		if (!isfinite(p) || !isfinite(q))
			continue;
		double rgb[3];
		metric_rgb(c, sw, mlo, mhi, sw->dims[1].v[i], rgb);
		cairo_new_sub_path(cr);
		cairo_arc(cr, px + pw * p, py + ph * (1 - q), bold ? 5 : 3.5, 0, 2 * M_PI);
		cairo_set_source_rgba(cr, rgb[0], rgb[1], rgb[2], bold || top_n == 0 ? 0.95 : 0.5);
		cairo_fill_preserve(cr);
		cairo_set_line_width(cr, bold ? 1.25 : 0.75);
		cairo_set_source_rgba(cr, rgb[0] * 0.55, rgb[1] * 0.55, rgb[2] * 0.55, bold ? 1 : 0.5);
		cairo_stroke(cr);
	}
	free(order);
}

/* Writes svg to path with layer right after its opening <svg ...> tag:
 * under all the rest. The pieces are written one after another, so a layer
 * of many runs' lines is not copied. Returns 1, or 0 reported. */
static int write_layer_under(const char *path, const struct buf *svg, const struct buf *layer)
{
	const char *s = svg->data ? svg->data : "", *open = strstr(s, "<svg");
	const char *gt = open ? strchr(open, '>') : NULL;
	if (!layer->size || !gt)
		return chart_write_file(path, s, svg->size);
	gt++;
	size_t head = (size_t)(gt - s);
	FILE *f = fopen(path, "wb");
	if (!f) {
		diag_write_error(path, errno);
		return 0;
	}
	int ok = fwrite(s, 1, head, f) == head && fputc('\n', f) != EOF &&
	         fwrite(layer->data, 1, layer->size, f) == layer->size &&
	         fwrite(gt, 1, svg->size - head, f) == svg->size - head && fflush(f) == 0;
	if (!ok)
		diag_write_error(path, errno);
	if (fclose(f) != 0 && ok) {
		diag_write_error(path, errno);
		ok = 0;
	}
	return ok;
}

/* Renders one sweep chart as fmt into path. Returns 1, or 0 reported. */
static int sweep_write(const struct chart_sweep *sw, int parallel, enum chart_format fmt,
                       const char *path)
{
	struct buf out = BUF_INIT, text = BUF_INIT, layer = BUF_INIT, runs = BUF_INIT;
	struct chart_surface cs;
	double W = sw->width > 0 ? sw->width : 720, H = sw->height > 0 ? sw->height : 360;
	double scale = sw->scale > 0 && sw->scale <= 8 ? sw->scale : 2;
	int ok = 0;
	if (sw->ndims < 2 || sw->nruns == 0) {
		diag_msg("%s: nothing to draw", path);
		return 0;
	}
	cairo_status_t st = chart_surface_open(&cs, fmt, W, H, scale, NULL);
	if (st)
		goto out;
	struct chart_text txt;
	chart_text_open(&txt, cs.cr);
	struct sw c = {cs.cr, txt.lay, txt.font, txt.title_font,
	               fmt == CHART_PDF ? CHART_FG_PAPER : CHART_FG_SCREEN,
	               fmt == CHART_SVG ? &text : NULL, fmt == CHART_SVG ? &runs : NULL};
	if (fmt == CHART_PDF) {
		cairo_set_source_rgb(cs.cr, 1, 1, 1);
		cairo_paint(cs.cr);
	}
	if (parallel)
		draw_parallel(&c, sw, W, H);
	else
		draw_scatter(&c, sw, W, H);
	chart_text_close(&txt);
	if ((st = chart_surface_finish(&cs, &out)))
		goto out;
	if (fmt == CHART_SVG) {
		chart_svg_renumber(&cs.bytes, 0);
		/* the parallel lines lie under everything Cairo drew (axes, colour
		 * bar), put in as the file is written; the scatter's points over
		 * its grid and axes */
		if (!parallel) {
			buf_put(&layer, runs.data ? runs.data : "", runs.size);
			buf_free(&runs);
		}
		/* labels sit on the lines here: a halo in the page's background
		 * keeps them readable */
		if (text.size)
			BUF_PUTSL(&layer, "<style>text.t { paint-order: stroke; stroke: #ffffff; "
			                  "stroke-width: 3px; stroke-linejoin: round } "
			                  "@media (prefers-color-scheme: dark) { text.t { stroke: "
			                  CHART_BG_DARK_HEX " } }</style>\n");
		chart_svg_text_layer(&layer, &text, c.fg);
		chart_svg_append_layer(&cs.bytes, &layer);
	}
	/* SVG and PDF are written from the surface's bytes, not a copy */
	if (fmt == CHART_PNG)
		ok = chart_write_file(path, out.data ? out.data : "", out.size);
	else if (fmt == CHART_SVG && parallel)
		ok = write_layer_under(path, &cs.bytes, &runs);
	else
		ok = chart_write_file(path, cs.bytes.data ? cs.bytes.data : "", cs.bytes.size);
out:
	if (st == CAIRO_STATUS_NO_MEMORY)
		out_of_memory();
	if (st)
		diag_msg("%s: cannot draw the chart: %s", path, cairo_status_to_string(st));
	chart_surface_free(&cs);
	buf_free(&out);
	buf_free(&text);
	buf_free(&layer);
	buf_free(&runs);
	return ok;
}

void chart_sweep_defaults(struct chart_sweep *sw)
{
	memset(sw, 0, sizeof *sw);
	sw->width = 720;
	sw->height = 360;
	sw->scale = 2;
}

int chart_write_parallel(const struct chart_sweep *sw, enum chart_format fmt, const char *path)
{
	return sweep_write(sw, 1, fmt, path);
}

int chart_write_scatter(const struct chart_sweep *sw, enum chart_format fmt, const char *path)
{
	return sweep_write(sw, 0, fmt, path);
}
