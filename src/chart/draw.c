/* draw.c — lays out and draws one chart on a Cairo context, in passes:
 * extrema → margins → labels → grid → ticks → series → legend. */
#include <glib.h>
#include <math.h>
#include <stdbool.h>
#include <pango/pangocairo.h>
#include <stdlib.h>
#include <string.h>

#include "chart_internal.h"

/* One series, ready to draw. Its own points stay in data units (a log axis
 * takes log10 of the few that are drawn, not a copy of every one); what is
 * drawn is in axis units. */
struct prep {
	const struct chart_series *s;
	const struct chart_point *raw; /* s->pts, in data units */
	struct chart_point *smooth;    /* every point smoothed, for no_decimate only */
	int smoothing;                 /* a smoothed line is drawn */
	struct chart_point *draw;      /* decimated raw points */
	struct chart_point *draw_s;    /* decimated smoothed points */
	size_t n, ndraw, ndraw_s;
	double rgb[3];
	int dash;
	size_t best;   /* index of the best point, or (size_t)-1 */
	size_t first, last; /* the first and last shown point, SIZE_MAX when none */
	size_t changes;     /* changes into a new kind of hidden value (see m4_room) */
	int unsorted;       /* a shown point lies left of the one before */
	int merged;    /* decimation merged points */
	int dense;     /* some device column holds two points or more */
};

struct ctx {
	cairo_t *cr;
	PangoLayout *lay;
	PangoFontDescription *font, *title_font;
	const struct chart_spec *spec;
	const struct chart_draw_opts *o;
	double W, H, cols;
	double x0, sx;         /* M4's column formula: floor(x0 + (x - xa.lo) * sx) */
	int raster;            /* drawing on pixels (PNG), not a vector surface */
	double px, py, pw, ph; /* plot area, CSS px */
	struct chart_axis xa, ya;
	double fg;
	double ylo_clip, yhi_clip; /* the visible y range when outliers are clipped */
	int clip;
	size_t lpre, lsuf; /* what the series' labels share (chart_label_common) */
	char *lcommon;     /* the same as text, or NULL */
	struct svg_pen *pen; /* the series go here as SVG markup, not on cr */
	struct buf *svg_text; /* text goes here as SVG <text>, not on cr */
};

void chart_set_text(PangoLayout *lay, const char *s)
{
	size_t n = s ? strnlen(s, CHART_LABEL_BYTES) : 0;
	char *v = g_utf8_make_valid(s ? s : "", (gssize)n);

	for (char *p = v; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = ' ';
	pango_layout_set_text(lay, v, -1);
	g_free(v);
}

/* Measures text in the label font, in CSS px. */
static void measure(void *vctx, const char *text, double *w, double *h)
{
	struct ctx *c = vctx;
	PangoRectangle r;

	pango_layout_set_font_description(c->lay, c->font);
	chart_set_text(c->lay, text);
	pango_layout_get_extents(c->lay, NULL, &r);
	*w = r.width / (double)PANGO_SCALE;
	*h = r.height / (double)PANGO_SCALE;
}

/* Draws text with its top-left corner at (x, y); maxw > 0 ellipsizes.
 * anchor (0 start, 1 middle, 2 end) is where SVG text is tied to its box. */
static void show(struct ctx *c, const char *text, double x, double y, double maxw,
                 const PangoFontDescription *font, int anchor)
{
	pango_layout_set_font_description(c->lay, font);
	chart_set_text(c->lay, text);
	pango_layout_set_width(c->lay, maxw > 0 ? (int)(maxw * PANGO_SCALE) : -1);
	if (c->svg_text) {
		chart_svg_text(c->svg_text, c->cr, c->lay, x, y, anchor, font == c->title_font);
	} else {
		cairo_move_to(c->cr, x, y);
		pango_cairo_show_layout(c->cr, c->lay);
	}
	pango_layout_set_width(c->lay, -1);
}

/* Width of text as it would be shown with maxw. */
static double text_w(struct ctx *c, const char *text, double maxw, const PangoFontDescription *f)
{
	PangoRectangle r;

	pango_layout_set_font_description(c->lay, f);
	chart_set_text(c->lay, text);
	pango_layout_set_width(c->lay, maxw > 0 ? (int)(maxw * PANGO_SCALE) : -1);
	pango_layout_get_extents(c->lay, NULL, &r);
	pango_layout_set_width(c->lay, -1);
	return r.width / (double)PANGO_SCALE;
}

/* Rounds a coordinate to a device pixel edge or centre, so 1px rules are crisp. */
static double snap(struct ctx *c, double v, double lw)
{
	double d = round(v * c->cols);
	if ((long)round(lw * c->cols) % 2)
		d += 0.5;
	return d / c->cols;
}

static double xdev(const struct ctx *c, double x)
{
	return c->px + (x - c->xa.lo) / (c->xa.hi - c->xa.lo) * c->pw;
}

static double ydev(const struct ctx *c, double y)
{
	if (c->clip)
		y = y < c->ya.lo ? c->ya.lo : y > c->ya.hi ? c->ya.hi : y;
	return c->py + c->ph - (y - c->ya.lo) / (c->ya.hi - c->ya.lo) * c->ph;
}

/* Coordinates on a 1/8 px grid: exact in Cairo's fixed point, so the SVG
 * prints at most three decimals; invisible at any display density. */
static double q8(double v)
{
	return round(v * 8) / 8;
}

/* Quickselect: the k-th smallest of v[0..n). */
static double select_k(double *v, size_t n, size_t k)
{
	size_t lo = 0, hi = n - 1;

	while (lo < hi) {
		double p = v[lo + (hi - lo) / 2];
		size_t i = lo, j = hi;
		while (i <= j) {
			while (v[i] < p)
				i++;
			while (v[j] > p)
				j--;
			if (i <= j) {
				double t = v[i];
				v[i] = v[j];
				v[j] = t;
				i++;
				if (j == 0)
					break;
				j--;
			}
		}
		if (k <= j)
			hi = j;
		else if (k >= i)
			lo = i;
		else
			break;
	}
	return v[k];
}

/* chart_smooth of pts' y values straight into out (x copied, y in axis
 * units), without a copy of the values: the same arithmetic step by step,
 * so the same doubles as TensorBoard. */
static void smooth_points(const struct chart_point *pts, size_t n, double w, int logy,
                          struct chart_point *out)
{
	double last = 0, debias = 0;
	size_t k = 0, i;
	int constant = 1;

	w = !isfinite(w) ? 0 : w < 0 ? 0 : w > 1 ? 1 : w;
	for (i = 0; i < n && constant; i++)
		if (!(pts[i].y == pts[0].y))
			constant = 0;
	for (i = 0; i < n; i++) {
		double v = pts[i].y, y = v;
		if (!constant && isfinite(v)) {
			last = last * w + (1 - w) * v;
			k++;
			if (debias != 1)
				debias = w == 1 ? 1 : 1 - pow(w, (double)k);
			y = last / debias;
		}
		out[i].x = pts[i].x;
		out[i].y = axis_y(y, logy);
	}
}

/* The class M4 gives a y value (decimate.c): 0 shown; NaN, +Inf, -Inf and
 * hidden (y ≤ 0 on a log axis, or a NaN with the sign bit) apart. */
static int m4_class(double y, int logy)
{
	if (axis_shows(y, logy))
		return 0;
	if (isnan(y))
		return signbit(y) ? 4 : 1;
	if (logy && !(y > 0))
		return 4;
	return y > 0 ? 2 : 3;
}

void chart_distinct_looks(struct chart_series *series, size_t n)
{
	bool used[CHART_RUN_STYLES] = {false};
	int per_colour[CHART_NPALETTE] = {0};
	for (size_t i = 0; i < n; i++) {
		struct chart_series *se = &series[i];
		if (se->faint)
			continue;
		int want = (se->color < 0 ? -(se->color + 1) : se->color) % CHART_RUN_STYLES;
		int fewest = per_colour[0];
		for (int c = 1; c < CHART_NPALETTE; c++)
			if (per_colour[c] < fewest)
				fewest = per_colour[c];
		/* The run's own colour while no colour is used less, else the
		 * next least used; then its own line style, else the next free. */
		int c0 = want % CHART_NPALETTE, colour = c0;
		for (int k = 0; k < CHART_NPALETTE; k++) {
			colour = (c0 + k) % CHART_NPALETTE;
			if (per_colour[colour] == fewest)
				break;
		}
		int d0 = want / CHART_NPALETTE, dash = d0;
		for (int k = 0; k < CHART_RUN_STYLES / CHART_NPALETTE; k++) {
			dash = (d0 + k) % (CHART_RUN_STYLES / CHART_NPALETTE);
			if (!used[dash * CHART_NPALETTE + colour])
				break;
		}
		int look = dash * CHART_NPALETTE + colour;
		used[look] = true;
		per_colour[colour]++;
		se->color = se->color < 0 ? -(look + 1) : look;
	}
}

int chart_dash_index(int color, size_t nseries)
{
	int pal = color < 0 ? -(color + 1) : color;
	return nseries > 1 ? (pal / CHART_NPALETTE) % 4 : 0;
}

/* Pass 1: smoothing, best points, the data extrema and what M4 will need. */
static void prepare(struct ctx *c, struct prep *p, int logy, double *xlo, double *xhi,
                    double *ylo, double *yhi)
{
	const struct chart_spec *spec = c->spec;
	double w = spec->smoothing;

	*xlo = *ylo = INFINITY;
	*xhi = *yhi = -INFINITY;
	for (size_t s = 0; s < spec->nseries; s++) {
		const struct chart_series *se = &spec->series[s];
		struct prep *q = &p[s];
		q->s = se;
		q->n = se->pts ? se->n : 0;
		q->raw = se->pts;
		q->best = (size_t)-1;
		chart_color_rgb(se->color, q->rgb);
		/* Line styles tell apart runs that share a colour in one chart; a
		 * chart of one run needs none. */
		q->dash = chart_dash_index(se->color, spec->nseries);
		if (se->faint) {
			q->rgb[0] = q->rgb[1] = q->rgb[2] = CHART_FAINT_GREY;
			q->dash = 0;
		}
		if (w > 0 && q->n >= CHART_SMOOTH_MIN_POINTS && !se->faint) {
			q->smoothing = 1;
			/* decimation smooths as it goes; the full drawing needs every value */
			if (c->o->no_decimate) {
				q->smooth = xreallocarray(NULL, q->n, sizeof *q->smooth);
				smooth_points(se->pts, q->n, w, logy, q->smooth);
			}
		}
		/* One pass in data units: the best point and the extrema. log10
		 * keeps the order of positive values, so on a log axis these are
		 * the extrema of the values it shows, log10'd at the end. */
		double bx = *xlo, bX = *xhi, by = INFINITY, bY = -INFINITY;
		int prev = 0;
		/* in locals, not in q: a store per point otherwise */
		const struct chart_point *raw = q->raw;
		size_t first = SIZE_MAX, last = q->last, best = q->best, changes = q->changes;
		int unsorted = q->unsorted;
		int goal = se->faint ? CHART_GOAL_NONE : spec->goal;
		double lastx = 0, besty = best == (size_t)-1 ? 0 : raw[best].y;
		const struct chart_extrema_scan *sc = se->scan;
		bool in_order = q->n && sc && sc->ordered && (!logy || raw[sc->at.lo].y > 0);
		if (in_order) {
			/* The caller's pass saw every x finite and never falling and
			 * every y finite (on a log axis, above 0): every point is
			 * shown, in order, and the loop below would find these. */
			first = 0;
			last = q->n - 1;
			bx = raw[0].x < bx ? raw[0].x : bx;
			bX = raw[last].x > bX ? raw[last].x : bX;
			by = raw[sc->at.lo].y;
			bY = raw[sc->at.hi].y;
			if (goal != CHART_GOAL_NONE)
				best = goal == CHART_GOAL_MIN ? sc->at.lo : sc->at.hi;
		}
		for (size_t i = 0; !in_order && i < q->n; i++) {
			double x = raw[i].x, y = raw[i].y;
			if (!isfinite(x))
				continue;
			bx = x < bx ? x : bx;
			bX = x > bX ? x : bX;
			if (!axis_shows(y, logy)) {
				int cls = m4_class(y, logy);
				changes += cls != prev;
				prev = cls;
				continue;
			}
			prev = 0;
			if (first == SIZE_MAX)
				first = i;
			else if (x < lastx)
				unsorted = 1;
			last = i;
			lastx = x;
			by = y < by ? y : by;
			bY = y > bY ? y : bY;
			if (goal != CHART_GOAL_NONE &&
			    (best == (size_t)-1 || (goal == CHART_GOAL_MIN ? y < besty : y > besty))) {
				best = i;
				besty = y;
			}
		}
		q->first = first;
		q->last = last;
		q->best = best;
		q->changes = changes;
		q->unsorted = unsorted;
		*xlo = bx;
		*xhi = bX;
		if (by <= bY) {
			by = axis_y(by, logy);
			bY = axis_y(bY, logy);
			*ylo = by < *ylo ? by : *ylo;
			*yhi = bY > *yhi ? bY : *yhi;
		}
		for (size_t i = 0; se->band_lo && se->band_hi && i < se->nband; i++) {
			double a = se->band_lo[i].y, b = se->band_hi[i].y;
			if (logy) {
				a = a > 0 ? log10(a) : NAN;
				b = b > 0 ? log10(b) : NAN;
			}
			if (isfinite(a) && a < *ylo)
				*ylo = a;
			if (isfinite(b) && b > *yhi)
				*yhi = b;
		}
	}
}

/* The 1st and 99th percentiles of every value the axis shows, in axis
 * units; 0 when there are too few values to clip. */
static int percentiles(const struct prep *p, size_t np, int logy, double *lo, double *hi)
{
	size_t n = 0, cap = 0;
	double *v = NULL;
	int ok = 0;

	for (size_t s = 0; s < np; s++)
		for (size_t i = 0; i < p[s].n; i++)
			if (axis_shows(p[s].raw[i].y, logy)) {
				GROW(v, cap, n + 1);
				v[n++] = p[s].raw[i].y;
			}
	if (n >= 20) { /* in data units: log10 keeps the order */
		*lo = axis_y(select_k(v, n, (size_t)floor(0.01 * (double)(n - 1))), logy);
		*hi = axis_y(select_k(v, n, (size_t)ceil(0.99 * (double)(n - 1))), logy);
		ok = *hi > *lo;
	}
	free(v);
	return ok;
}

/* Pass 2: margins, then axes whose labels fit the plot area they leave. */
static void layout(struct ctx *c, double xlo, double xhi, double ylo, double yhi, int logy,
                   double legend_w)
{
	const struct chart_spec *spec = c->spec;
	enum chart_axis_kind xk = spec->x_kind == CHART_X_TIME       ? CHART_AXIS_TIME
	                          : spec->x_kind == CHART_X_RELATIVE ? CHART_AXIS_RELATIVE
	                                                             : CHART_AXIS_STEP;
	double lw, lh, th = 0, top, bottom, left, right;
	const char *xl = spec->x_label;

	measure(c, "0", &lw, &lh);
	if (spec->title && *spec->title) {
		pango_layout_set_font_description(c->lay, c->title_font);
		chart_set_text(c->lay, spec->title);
		PangoRectangle r;
		pango_layout_get_extents(c->lay, NULL, &r);
		th = r.height / (double)PANGO_SCALE;
	}
	if (!xl)
		xl = xk == CHART_AXIS_TIME ? "time (UTC)" : xk == CHART_AXIS_RELATIVE ? "time since start" : "step";
	top = th > 0 ? th + 10 : lh / 2 + 6;
	bottom = lh + 6 + (*xl ? lh + 6 : 0) + 4;
	c->py = top;
	c->ph = c->H - top - bottom;
	if (c->ph < 10)
		c->ph = 10;
	chart_axis_layout(&c->ya, ylo, yhi, logy, CHART_AXIS_VALUE, c->ph, 1, measure, c);
	left = 6 + c->ya.label_w + 6 + (spec->y_label && *spec->y_label ? lh + 6 : 0);
	right = legend_w > 0 ? legend_w + 16 : 12;
	c->px = left;
	for (int pass = 0; pass < 2; pass++) {
		c->pw = c->W - left - right;
		if (c->pw < 10)
			c->pw = 10;
		chart_axis_layout(&c->xa, xlo, xhi, 0, xk, c->pw, 0, measure, c);
		/* The last label must stay on the canvas: widen the right margin. */
		if (c->xa.n == 0)
			break;
		double w, h, over;
		measure(c, c->xa.label[c->xa.n - 1], &w, &h);
		over = xdev(c, c->xa.tick[c->xa.n - 1]) + w / 2 - (c->W - 4);
		if (over <= 0)
			break;
		right += over;
	}
}

/* Pass 3: grid, axis lines, tick labels and axis titles. */
static void draw_axes(struct ctx *c)
{
	cairo_t *cr = c->cr;
	const struct chart_spec *spec = c->spec;
	double fg = c->fg, lw = 1, prev_right = -INFINITY;

	cairo_set_line_width(cr, lw);
	cairo_set_source_rgba(cr, 0.5, 0.5, 0.5, 0.25);
	for (size_t i = 0; i < c->ya.n; i++) {
		double y = snap(c, ydev(c, c->ya.tick[i]), lw);
		cairo_move_to(cr, c->px, y);
		cairo_line_to(cr, c->px + c->pw, y);
	}
	for (size_t i = 0; i < c->xa.n; i++) {
		double x = snap(c, xdev(c, c->xa.tick[i]), lw);
		cairo_move_to(cr, x, c->py);
		cairo_line_to(cr, x, c->py + c->ph);
	}
	cairo_stroke(cr);
	cairo_set_source_rgba(cr, 0.5, 0.5, 0.5, 0.7);
	double bx = snap(c, c->px, lw), by = snap(c, c->py + c->ph, lw);
	cairo_move_to(cr, bx, c->py);
	cairo_line_to(cr, bx, by);
	cairo_line_to(cr, c->px + c->pw, by);
	cairo_stroke(cr);

	cairo_set_source_rgb(cr, fg, fg, fg);
	for (size_t i = 0; i < c->ya.n; i++) {
		double w, h, y = ydev(c, c->ya.tick[i]) - c->ya.label_h / 2;
		measure(c, c->ya.label[i], &w, &h);
		y = y < 0 ? 0 : y + h > c->H ? c->H - h : y;
		show(c, c->ya.label[i], c->px - 6 - w, y, 0, c->font, 2);
	}
	for (size_t i = 0; i < c->xa.n; i++) {
		double w, h, x;
		measure(c, c->xa.label[i], &w, &h);
		x = xdev(c, c->xa.tick[i]) - w / 2;
		x = x < 2 ? 2 : x + w > c->W - 2 ? c->W - 2 - w : x;
		if (x < prev_right + 6) /* clamped into its neighbour: leave it out */
			continue;
		prev_right = x + w;
		show(c, c->xa.label[i], x, c->py + c->ph + 5, 0, c->font, 1);
	}
	const char *xl = spec->x_label ? spec->x_label
	                 : spec->x_kind == CHART_X_TIME     ? "time (UTC)"
	                 : spec->x_kind == CHART_X_RELATIVE ? "time since start"
	                                                    : "step";
	if (*xl) {
		double w = text_w(c, xl, c->pw, c->font);
		show(c, xl, c->px + (c->pw - w) / 2, c->py + c->ph + 5 + c->xa.label_h + 4, c->pw,
		     c->font, 1);
	}
	if (spec->y_label && *spec->y_label) {
		double w = text_w(c, spec->y_label, c->ph, c->font);
		cairo_save(cr);
		cairo_translate(cr, 4, c->py + c->ph / 2 + w / 2);
		cairo_rotate(cr, -M_PI / 2);
		show(c, spec->y_label, 0, 0, c->ph, c->font, 1);
		cairo_restore(cr);
	}
	if (spec->title && *spec->title)
		show(c, spec->title, c->px, 4, c->W - c->px - 8, c->title_font, 0);
}

/* The series' path operations: on cr, or into the SVG series layer. */
static void p_move(struct ctx *c, double x, double y)
{
	if (c->pen)
		svgpen_move(c->pen, x, y);
	else
		cairo_move_to(c->cr, x, y);
}

static void p_line(struct ctx *c, double x, double y)
{
	if (c->pen)
		svgpen_line(c->pen, x, y);
	else
		cairo_line_to(c->cr, x, y);
}

static void p_close(struct ctx *c)
{
	if (c->pen)
		svgpen_close(c->pen);
	else
		cairo_close_path(c->cr);
}

static void p_circle(struct ctx *c, double x, double y, double r)
{
	if (c->pen) {
		svgpen_circle(c->pen, x, y, r);
		return;
	}
	cairo_new_sub_path(c->cr);
	cairo_arc(c->cr, x, y, r, 0, 2 * M_PI);
}

static void p_fill(struct ctx *c, const double rgb[3], double alpha)
{
	if (c->pen) {
		svgpen_fill(c->pen, rgb, alpha);
		return;
	}
	cairo_set_source_rgba(c->cr, rgb[0], rgb[1], rgb[2], alpha);
	cairo_fill(c->cr);
}

static const double dashes[][4] = {{0, 0, 0, 0}, {6, 3, 0, 0}, {1, 3, 0, 0}, {7, 3, 1, 3}};
static const int ndashes[] = {0, 2, 2, 4};

/* Line style `dash` (0 solid) for a line lw wide: its on/off lengths into
 * d; returns how many. */
static int dash_lengths(int dash, double lw, double d[4])
{
	for (int i = 0; i < ndashes[dash]; i++)
		d[i] = dashes[dash][i] * lw;
	return ndashes[dash];
}

static void set_dash(struct ctx *c, int dash, double lw)
{
	double d[4];
	cairo_set_dash(c->cr, d, dash_lengths(dash, lw, d), 0);
}

/* Strokes the path lw wide with line style `dash`. */
static void p_stroke(struct ctx *c, const double rgb[3], double alpha, double lw, int dash)
{
	double d[4];
	int nd = dash_lengths(dash, lw, d);
	if (c->pen) {
		svgpen_stroke(c->pen, rgb, alpha, lw, d, nd);
		return;
	}
	cairo_set_source_rgba(c->cr, rgb[0], rgb[1], rgb[2], alpha);
	cairo_set_line_width(c->cr, lw);
	cairo_set_dash(c->cr, d, nd, 0);
	cairo_stroke(c->cr);
	cairo_set_dash(c->cr, NULL, 0, 0);
}

/* The x of a point in device space for drawing: on the 1/8 px grid, or, for
 * a dense series, at the centre of its device pixel column. Then every point
 * of a column lies on one vertical line, so the stroke of all of them is the
 * stroke of its first, min, max and last: M4 draws the same pixels, even
 * antialiased. The shift is under half a device pixel. */
static double xdraw(const struct ctx *c, double x, int dense)
{
	if (dense)
		return ((double)chart_m4_col(c->x0, c->xa.lo, c->sx, x) + 0.5) / c->cols;
	return q8(xdev(c, x));
}

/* Whether two finite points of pts share a device pixel column. */
static int is_dense(const struct ctx *c, const struct chart_point *pts, size_t n)
{
	double prev = NAN;

	for (size_t i = 0; i < n; i++) {
		double col;
		if (!isfinite(pts[i].y) || !isfinite(pts[i].x)) {
			prev = NAN;
			continue;
		}
		col = (double)chart_m4_col(c->x0, c->xa.lo, c->sx, pts[i].x);
		if (col == prev)
			return 1;
		prev = col;
	}
	return 0;
}

/* Adds a polyline through pts to the path, broken at non-finite values. An
 * isolated finite point becomes a dot (a zero-length segment, round caps). */
static void add_line(struct ctx *c, const struct chart_point *pts, size_t n, int dense)
{
	int open = 0;

	for (size_t i = 0; i < n; i++) {
		double y = pts[i].y;
		if (!isfinite(y) || !isfinite(pts[i].x)) {
			open = 0;
			continue;
		}
		double X = xdraw(c, pts[i].x, dense), Y = q8(ydev(c, y));
		if (!open) {
			p_move(c, X, Y);
			if (i + 1 >= n || !isfinite(pts[i + 1].y))
				p_line(c, X, Y);
			open = 1;
		} else {
			p_line(c, X, Y);
		}
	}
}

/* A device column of a finite stretch: its extremes and ends in device y. */
struct column {
	long long col;
	double top, bot, first, last; /* top < bot: y grows downwards */
};

/* Splits pts[*i..n) at its next finite stretch into columns (M4's), which
 * go to *cols (grown as needed); returns how many, 0 at the end. */
static size_t next_columns(const struct ctx *c, const struct chart_point *pts, size_t n,
                           size_t *i, struct column **cols, size_t *cap, size_t *npts)
{
	size_t k = 0, j = *i;

	while (j < n && (!isfinite(pts[j].y) || !isfinite(pts[j].x)))
		j++;
	*npts = j;
	for (; j < n && isfinite(pts[j].y) && isfinite(pts[j].x); j++) {
		long long col = chart_m4_col(c->x0, c->xa.lo, c->sx, pts[j].x);
		double Y = q8(ydev(c, pts[j].y));
		if (k && (*cols)[k - 1].col == col) {
			struct column *u = &(*cols)[k - 1];
			u->top = Y < u->top ? Y : u->top;
			u->bot = Y > u->bot ? Y : u->bot;
			u->last = Y;
			continue;
		}
		GROW(*cols, *cap, k + 1);
		(*cols)[k++] = (struct column){col, Y, Y, Y, Y};
	}
	*i = j;
	*npts = j - *npts;
	return k;
}

/* The min–max envelope of merged raw points. Raster: per device column a
 * rectangle from the column's min to its max, widened by half a CSS px
 * each side so a column of one point still shows, on whole device pixels. Vector: one polygon through the
 * column tops and back along the bottoms (half the bytes). Where points were
 * merged, a 1px line through them covers this band (it passes every height
 * between a column's min and max), so the band stands in for the faint raw
 * line under the smoothed one. */
static void add_envelope(struct ctx *c, const struct chart_point *pts, size_t n)
{
	struct column *cols = NULL;
	size_t cap = 0, i = 0, k, m;

	while ((k = next_columns(c, pts, n, &i, &cols, &cap, &m)) > 0) {
		if (m < 2)
			continue; /* a lone point: no band */
		if (c->raster) {
			/* whole device pixels, rounded outwards: Cairo fills such boxes
			 * without scan conversion */
			for (size_t j = 0; j < k; j++) {
				double t = floor((cols[j].top - 0.5) * c->cols);
				double b = ceil((cols[j].bot + 0.5) * c->cols);
				cairo_rectangle(c->cr, (double)cols[j].col / c->cols, t / c->cols,
				                1 / c->cols, (b - t) / c->cols);
			}
			continue;
		}
		for (size_t j = 0; j < k; j++) {
			double X = ((double)cols[j].col + 0.5) / c->cols;
			if (j == 0)
				p_move(c, X, q8(cols[j].top - 0.5));
			else
				p_line(c, X, q8(cols[j].top - 0.5));
		}
		for (size_t j = k; j-- > 0;)
			p_line(c, ((double)cols[j].col + 0.5) / c->cols, q8(cols[j].bot + 0.5));
		p_close(c);
	}
	free(cols);
}

/* Whether dash pattern `dash` for a line lw wide is on at x (user units),
 * measured along x from the plot's left edge. */
static int dash_on(const struct ctx *c, int dash, double lw, double x)
{
	double period = 0, t;

	if (!dash)
		return 1;
	for (int i = 0; i < ndashes[dash]; i++)
		period += dashes[dash][i] * lw;
	t = fmod(x - c->px, period);
	for (int i = 0; i < ndashes[dash]; i++) {
		t -= dashes[dash][i] * lw;
		if (t < 0)
			return i % 2 == 0;
	}
	return 1;
}

/* Cairo's pen for round joins and caps of radius r (user units): as many
 * vertices as _cairo_pen_vertices_needed gives for the current tolerance and
 * scale, so the shapes below are the stroker's, vertex for vertex. */
static int pen_vertices(cairo_t *cr, double r)
{
	double dx = r, dy = 0, tol = cairo_get_tolerance(cr), R;
	int nv;

	cairo_user_to_device_distance(cr, &dx, &dy);
	R = hypot(dx, dy);
	if (tol >= 4 * R)
		return 1;
	if (tol >= R)
		return 4;
	nv = (int)ceil(2 * M_PI / acos(1 - tol / R));
	nv += nv % 2;
	return nv < 4 ? 4 : nv > 256 ? 256 : nv;
}

/* Adds, clockwise, the pen swept from (X, top) to (X, bot): Cairo's round
 * pen's upper half at top, its lower half at bot. */
static void add_stadium(cairo_t *cr, double X, double top, double bot, double r, int nv,
                        const double *cs, const double *sn)
{
	cairo_move_to(cr, X + r * cs[nv / 2], top + r * sn[nv / 2]);
	for (int i = nv / 2 + 1; i <= nv; i++)
		cairo_line_to(cr, X + r * cs[i % nv], top + r * sn[i % nv]);
	for (int i = 0; i <= nv / 2; i++)
		cairo_line_to(cr, X + r * cs[i], bot + r * sn[i]);
	cairo_close_path(cr);
}

/* A dense series' line, lw wide with round joins and caps, as one path to
 * fill (non-zero): what Cairo's stroker makes of every point, from the
 * columns alone. Every point of a column lies on its centre line, so the
 * stroke over a column is the pen swept from the column's top to its
 * bottom; between columns it is the segment from one column's last point
 * to the next one's first, a rectangle lw wide, left out when the two
 * columns' sweeps already cover it. Far fewer edges than the zig-zag's
 * joins, and no stroker. A dash pattern is laid along x (a dashed zig-zag
 * shows no pattern anyway): columns in its gaps are left out. */
static void add_dense(struct ctx *c, const struct chart_point *pts, size_t n, double lw, int dash)
{
	cairo_t *cr = c->cr;
	double r = lw / 2, cs[256], sn[256];
	int nv = pen_vertices(cr, r);
	struct column *cols = NULL;
	size_t cap = 0, i = 0, k, m;

	if (nv < 4)
		nv = 4;
	for (int v = 0; v < nv; v++) {
		cs[v] = cos(2 * M_PI * v / nv);
		sn[v] = sin(2 * M_PI * v / nv);
	}
	while ((k = next_columns(c, pts, n, &i, &cols, &cap, &m)) > 0) {
		for (size_t j = 0; j < k; j++) {
			const struct column *u = &cols[j];
			double X = ((double)u->col + 0.5) / c->cols;
			if (!dash_on(c, dash, lw, X))
				continue;
			add_stadium(cr, X, u->top, u->bot, r, nv, cs, sn);
			if (j + 1 == k)
				break;
			const struct column *v = &cols[j + 1];
			if (!dash_on(c, dash, lw, ((double)v->col + 0.5) / c->cols))
				continue;
			double X2 = ((double)v->col + 0.5) / c->cols, a = u->last, b = v->first;
			double lo = (a < b ? a : b) - r, hi = (a > b ? a : b) + r;
			if (X2 - X <= 2 * r && lo >= u->top && lo >= v->top && hi <= u->bot &&
			    hi <= v->bot)
				continue; /* inside both sweeps */
			double dx = X2 - X, dy = b - a, len = hypot(dx, dy);
			double nx = -dy / len * r, ny = dx / len * r; /* the normal on the lower side */
			cairo_move_to(cr, X - nx, a - ny);
			cairo_line_to(cr, X2 - nx, b - ny);
			cairo_line_to(cr, X2 + nx, b + ny);
			cairo_line_to(cr, X + nx, a + ny);
			cairo_close_path(cr);
		}
	}
	free(cols);
}

/* A caller-given band (seed spread and the like) behind the line. */
static void add_band(struct ctx *c, const struct chart_series *s, int logy)
{
	size_t n = s->nband;
	int open = 0;

	for (size_t i = 0; i <= n; i++) {
		int ok = 0;
		double lo = 0, hi = 0;
		if (i < n) {
			lo = s->band_lo[i].y;
			hi = s->band_hi[i].y;
			if (logy) {
				lo = lo > 0 ? log10(lo) : NAN;
				hi = hi > 0 ? log10(hi) : NAN;
			}
			ok = isfinite(lo) && isfinite(hi) && isfinite(s->band_lo[i].x);
		}
		if (ok) {
			double X = q8(xdev(c, s->band_hi[i].x)), Y = q8(ydev(c, hi));
			if (!open)
				p_move(c, X, Y);
			else
				p_line(c, X, Y);
			open++;
			continue;
		}
		if (open) { /* close this stretch along the lower edge */
			for (size_t j = i; j > i - (size_t)open; j--) {
				double l = s->band_lo[j - 1].y;
				if (logy)
					l = log10(l);
				p_line(c, q8(xdev(c, s->band_lo[j - 1].x)), q8(ydev(c, l)));
			}
			p_close(c);
		}
		open = 0;
	}
}

/* Markers where a finite stretch ends in NaN or ±Inf (the run diverged), and
 * at the plot edge where clipped points were drawn. */
static void draw_markers(struct ctx *c, const struct prep *q)
{
	const struct chart_point *pts = q->draw;
	double lasty = NAN, lastmark = -INFINITY;

	for (size_t i = 0; i < q->ndraw; i++) {
		double y = pts[i].y, X = xdev(c, pts[i].x), Y;
		if (isfinite(y)) {
			lasty = y;
			if (c->clip && (y < c->ya.lo || y > c->ya.hi) && X - lastmark >= 4) {
				Y = ydev(c, y);
				double dy = y > c->ya.hi ? -4 : 4;
				p_move(c, X - 3, Y);
				p_line(c, X + 3, Y);
				p_line(c, X, Y + dy);
				p_close(c);
				p_fill(c, q->rgb, 1);
				lastmark = X;
			}
			continue;
		}
		if (!isfinite(lasty) || (isnan(y) && signbit(y))) {
			lasty = NAN;
			continue;
		}
		Y = isnan(y) ? ydev(c, lasty) : y > 0 ? c->py + 3 : c->py + c->ph - 3;
		p_move(c, X - 3, Y - 3);
		p_line(c, X + 3, Y + 3);
		p_move(c, X - 3, Y + 3);
		p_line(c, X + 3, Y - 3);
		p_stroke(c, q->rgb, 1, 1.5, 0);
		lasty = NAN;
	}
	if (q->best != (size_t)-1) {
		double by = axis_y(q->raw[q->best].y, c->ya.log);
		double X = xdev(c, q->raw[q->best].x), Y = ydev(c, by);
		if (isfinite(by)) {
			p_circle(c, X, Y, 3.5);
			p_stroke(c, q->rgb, 1, 1.5, 0);
		}
	}
}

/* Strokes (or, dense and solid on pixels, fills) a line lw wide through pts. */
static void draw_line(struct ctx *c, const struct prep *q, const struct chart_point *pts,
                      size_t n, double lw, double alpha)
{
	if (q->dense && c->raster && !c->o->no_decimate) {
		add_dense(c, pts, n, lw, q->dash);
		p_fill(c, q->rgb, alpha);
		return;
	}
	add_line(c, pts, n, q->dense);
	p_stroke(c, q->rgb, alpha, lw, q->dash);
}

/* Pass 4: decimate and draw every series; raw faint under the smoothed line. */

/* Room for series q after M4 on this chart: four points per pixel column
 * the series spans, and for each change into a new kind of non-finite
 * value the point itself (M4 keeps the first of a run of them) and four
 * more (it closes a column that may open again); never more than its
 * points. Sizing by columns keeps a million-point series, even one that
 * ends in a long run of NaN, from needing two more million-point buffers.
 * The bound needs x sorted, which prepare() checked. */
static size_t m4_room(const struct ctx *c, const struct prep *q)
{
	size_t n = q->n ? q->n : 1;
	if (c->o->no_decimate || q->unsorted)
		return n; /* unsorted: no bound by columns */
	if (q->first == SIZE_MAX)
		return q->changes < n ? q->changes + 1 : n;
	long long c0 = chart_m4_col(c->x0, c->xa.lo, c->sx, q->raw[q->first].x);
	long long c1 = chart_m4_col(c->x0, c->xa.lo, c->sx, q->raw[q->last].x);
	double span = (double)c1 - (double)c0 + 1;
	if (!(span >= 1 && span < (double)n))
		return n;
	size_t room = 4 * ((size_t)span + 1 + q->changes) + q->changes;
	return room < n ? room : n;
}

static void draw_series(struct ctx *c, struct prep *p, struct chart_info *info)
{
	cairo_t *cr = c->cr;
	int logy = c->ya.log;

	/* the clip on whole device pixels: Cairo keeps it as a region, and boxes
	 * inside it are filled without scan conversion */
	double l = floor((c->px - 2) * c->cols) / c->cols, t = floor((c->py - 2) * c->cols) / c->cols;
	double r = ceil((c->px + c->pw + 2) * c->cols) / c->cols;
	double b = ceil((c->py + c->ph + 2) * c->cols) / c->cols;
	if (c->pen) {
		svgpen_begin(c->pen, c->o->svg_series, l, t, r, b);
	} else {
		cairo_save(cr);
		cairo_rectangle(cr, l, t, r - l, b - t);
		cairo_clip(cr);
		cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
		cairo_set_line_cap(cr, CAIRO_LINE_CAP_ROUND);
		cairo_set_fill_rule(cr, CAIRO_FILL_RULE_WINDING);
		/* Cairo's 4x4-sample rasterizer: half the time of its default on
		 * dense lines, and at 2x no visible difference. Every point and
		 * M4's points are drawn with it alike. */
		if (c->raster)
			cairo_set_antialias(cr, CAIRO_ANTIALIAS_FAST);
	}
	/* the faint rest of a sweep first, under the runs it sets off */
	for (size_t k = 0; k < 2 * c->spec->nseries; k++) {
		size_t s = k % c->spec->nseries;
		struct prep *q = &p[s];
		if (q->n == 0 || (k < c->spec->nseries) != (q->s->faint != 0))
			continue;
		q->draw = xreallocarray(NULL, m4_room(c, q), sizeof *q->draw);
		if (c->o->no_decimate) {
			for (size_t i = 0; i < q->n; i++)
				q->draw[i] = (struct chart_point){q->raw[i].x, axis_y(q->raw[i].y, logy)};
			q->ndraw = q->n;
			q->dense = is_dense(c, q->draw, q->n);
			if (q->smooth) {
				q->draw_s = xreallocarray(NULL, q->n, sizeof *q->draw_s);
				memcpy(q->draw_s, q->smooth, q->n * sizeof *q->draw_s);
				q->ndraw_s = q->n;
			}
		} else if (q->smoothing) {
			/* one pass: raw M4, smoothing and its M4 */
			q->draw_s = xreallocarray(NULL, m4_room(c, q), sizeof *q->draw_s);
			chart_m4_smooth(q->raw, q->n, c->x0, c->xa.lo, c->sx, c->spec->smoothing, logy,
			                q->draw, &q->ndraw, q->draw_s, &q->ndraw_s, &q->dense);
		} else {
			q->ndraw = chart_m4_dense(q->raw, q->n, c->x0, c->xa.lo, c->sx, logy, q->draw,
			                          &q->dense);
		}
		q->merged = q->dense;
		if (info) {
			info->points_total += q->n;
			info->points_drawn += q->ndraw;
		}
		if (q->s->band_lo && q->s->band_hi && q->s->nband) {
			add_band(c, q->s, logy);
			p_fill(c, q->rgb, q->s->faint ? 0.22 : 0.18);
		}
		if (q->smoothing && q->merged) {
			add_envelope(c, q->draw, q->ndraw);
			p_fill(c, q->rgb, 0.25);
		} else {
			draw_line(c, q, q->draw, q->ndraw, q->smoothing || q->s->faint ? 1.0 : 1.25,
			          q->smoothing ? 0.3 : q->s->faint ? 0.6 : 1.0);
		}
		if (q->smoothing)
			draw_line(c, q, q->draw_s, q->ndraw_s, 1.5, 1.0);
	}
	for (size_t s = 0; s < c->spec->nseries; s++)
		if (p[s].n)
			draw_markers(c, &p[s]);
	if (c->pen)
		svgpen_end(c->pen);
	else
		cairo_restore(cr);
}

static int label_sep(char c)
{
	return c && strchr("-_./ ", c) != NULL;
}

void chart_label_common(const struct chart_series *series, size_t n, size_t *pre, size_t *suf)
{
	*pre = *suf = 0;
	/* the faint rest of a sweep is named whole, and shares nothing */
	while (n > 0 && series[n - 1].faint)
		n--;
	if (n < 2)
		return;
	const char *l0 = series[0].label ? series[0].label : "";
	size_t len0 = strnlen(l0, CHART_LABEL_BYTES), p = len0, q = len0;
	for (size_t i = 1; i < n; i++) {
		const char *l = series[i].label ? series[i].label : "";
		size_t len = strnlen(l, CHART_LABEL_BYTES), k = 0;
		while (k < p && k < len && l[k] == l0[k])
			k++;
		p = k;
		k = 0;
		while (k < q && k < len && l[len - 1 - k] == l0[len0 - 1 - k])
			k++;
		q = k;
	}
	/* the prefix ends just after a separator, the suffix starts at one */
	while (p > 0 && !label_sep(l0[p - 1]))
		p--;
	while (q > 0 && !label_sep(l0[len0 - q]))
		q--;
	for (int pass = 0; pass < 2; pass++) {
		int empty = 0;
		for (size_t i = 0; i < n && !empty; i++) {
			const char *l = series[i].label ? series[i].label : "";
			empty = p + q >= strnlen(l, CHART_LABEL_BYTES);
		}
		if (!empty)
			break;
		if (pass == 0)
			q = 0; /* try the prefix alone */
		else
			p = 0;
	}
	*pre = p;
	*suf = q;
}

char *chart_label_common_text(const struct chart_series *series, size_t n)
{
	size_t p, q;
	chart_label_common(series, n, &p, &q);
	if (!p && !q)
		return NULL;
	const char *l0 = series[0].label;
	size_t len0 = strnlen(l0, CHART_LABEL_BYTES);
	struct buf b = BUF_INIT;
	buf_put(&b, l0, p);
	buf_puts(&b, "\xe2\x80\xa6");
	buf_put(&b, l0 + len0 - q, q);
	return buf_detach(&b);
}

/* A series' own part of its label (chart_label_common), for the legend:
 * copied into a buffer of CHART_LABEL_BYTES + 1. */
static const char *own_label(const struct ctx *c, size_t s, char *out)
{
	const char *l = c->spec->series[s].label ? c->spec->series[s].label : "";
	size_t len = strnlen(l, CHART_LABEL_BYTES);
	if (c->lpre + c->lsuf >= len || c->spec->series[s].faint) {
		memcpy(out, l, len);
		out[len] = '\0';
		return out;
	}
	memcpy(out, l + c->lpre, len - c->lpre - c->lsuf);
	out[len - c->lpre - c->lsuf] = '\0';
	return out;
}

/* Pass 5: the legend, right of the plot area: the part the runs' names
 * share said once on top ("mlp16-posw4-…"), then one row per run with its
 * own part of the name; runs that do not fit are counted in a last row. */
static void draw_legend(struct ctx *c, const struct prep *p, double legend_w)
{
	cairo_t *cr = c->cr;
	size_t ns = c->spec->nseries, rows, shown;
	double lw, lh, x = c->px + c->pw + 12, y = c->py, rowh;
	char own[CHART_LABEL_BYTES + 1];

	measure(c, "0", &lw, &lh);
	rowh = lh + 4;
	rows = (size_t)(c->ph / rowh);
	if (c->lcommon && rows > 1) {
		cairo_set_source_rgb(cr, c->fg, c->fg, c->fg);
		show(c, c->lcommon, x, y + 2, legend_w, c->font, 0);
		y += rowh;
		rows--;
	}
	if (rows < 1)
		rows = 1;
	shown = ns <= rows ? ns : rows - 1;
	for (size_t s = 0; s < shown; s++, y += rowh) {
		const struct prep *q = &p[s];
		cairo_set_source_rgb(cr, q->rgb[0], q->rgb[1], q->rgb[2]);
		cairo_set_line_width(cr, 2);
		set_dash(c, q->dash, 2);
		cairo_move_to(cr, x, y + rowh / 2);
		cairo_line_to(cr, x + 18, y + rowh / 2);
		cairo_stroke(cr);
		cairo_set_dash(cr, NULL, 0, 0);
		cairo_set_source_rgb(cr, c->fg, c->fg, c->fg);
		show(c, own_label(c, s, own), x + 24, y + 2, legend_w - 24, c->font, 0);
	}
	if (shown < ns) {
		char more[64];
		snprintf(more, sizeof more, "+%zu more", ns - shown);
		cairo_set_source_rgb(cr, c->fg, c->fg, c->fg);
		show(c, more, x + 24, y + 2, legend_w - 24, c->font, 0);
	}
}

/* The legend's width: the widest (ellipsized) label plus the line sample. */
static double legend_width(struct ctx *c)
{
	double maxw = c->W * 0.28 - 24, w = 0;
	char own[CHART_LABEL_BYTES + 1];

	if (c->spec->nseries < 2 || maxw < 20)
		return 0;
	for (size_t s = 0; s < c->spec->nseries && s < 200; s++) {
		double t = text_w(c, own_label(c, s, own), maxw, c->font);
		if (t > w)
			w = t;
	}
	if (c->lcommon) {
		double t = text_w(c, c->lcommon, maxw + 24, c->font) - 24;
		if (t > w)
			w = t;
	}
	return w + 24;
}

int chart_draw(const struct chart_spec *spec, cairo_t *cr, const struct chart_draw_opts *o,
               struct chart_info *info)
{
	struct ctx c;
	struct prep *p = xcalloc(spec->nseries ? spec->nseries : 1, sizeof *p);
	double xlo, xhi, ylo, yhi, plo, phi, legend_w;
	struct chart_text txt;
	int logy = spec->log_y >= 0 ? spec->log_y > 0
	           : o->auto_log_y  ? o->auto_log_y == 2
	                            : chart_log_suggested(spec);
	int ok;

	memset(&c, 0, sizeof c);
	c.cr = cr;
	c.spec = spec;
	c.o = o;
	c.W = spec->width > 0 ? spec->width : 720;
	c.H = spec->height > 0 ? spec->height : 360;
	c.cols = o->columns > 0 ? o->columns : 1;
	c.fg = o->paper ? CHART_FG_PAPER : CHART_FG_SCREEN;
	c.svg_text = o->svg_text;
	if (info)
		memset(info, 0, sizeof *info);

	chart_text_open(&txt, cr);
	c.lay = txt.lay;
	c.font = txt.font;
	c.title_font = txt.title_font;

	if (o->paper) {
		cairo_set_source_rgb(cr, 1, 1, 1);
		cairo_paint(cr);
	}
	prepare(&c, p, logy, &xlo, &xhi, &ylo, &yhi);
	if (info) {
		info->x_known = 1;
		info->x_lo = xlo;
		info->x_hi = xhi;
	}
	if (!(xhi >= xlo)) {
		xlo = 0;
		xhi = 1;
	}
	if (xhi == xlo) {
		xlo -= 1;
		xhi += 1;
	}
	if (spec->clip_outliers && percentiles(p, spec->nseries, logy, &plo, &phi) &&
	    (plo > ylo || phi < yhi)) {
		c.clip = 1;
		ylo = plo;
		yhi = phi;
	}
	if (!(yhi >= ylo)) {
		ylo = logy ? 0 : 0;
		yhi = 1;
	} else if (yhi == ylo) {
		double pad = logy ? 0.5 : fabs(ylo) > 0 ? fabs(ylo) * 0.1 : 1;
		ylo -= pad;
		yhi += pad;
	} else {
		double pad = (yhi - ylo) * 0.05;
		ylo -= pad;
		yhi += pad;
	}
	chart_label_common(spec->series, spec->nseries, &c.lpre, &c.lsuf);
	c.lcommon = chart_label_common_text(spec->series, spec->nseries);
	legend_w = legend_width(&c);
	layout(&c, xlo, xhi, ylo, yhi, logy, legend_w);
	draw_axes(&c);
	c.raster = cairo_surface_get_type(cairo_get_target(cr)) == CAIRO_SURFACE_TYPE_IMAGE;
	struct svg_pen pen = {0};
	if (o->svg_series && !c.raster)
		c.pen = &pen;
	c.x0 = c.px * c.cols;
	c.sx = c.pw * c.cols / (c.xa.hi - c.xa.lo);
	draw_series(&c, p, info);
	if (legend_w > 0)
		draw_legend(&c, p, legend_w);
	if (info)
		info->log_y = logy;
	if (o->x_out)
		*o->x_out = c.xa;
	if (o->y_out)
		*o->y_out = c.ya;

	ok = cairo_status(cr) == CAIRO_STATUS_SUCCESS;
	for (size_t s = 0; s < spec->nseries; s++) {
		free(p[s].smooth);
		free(p[s].draw);
		free(p[s].draw_s);
	}
	free(p);
	free(c.lcommon);
	chart_text_close(&txt);
	return ok;
}
