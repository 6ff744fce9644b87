/* sweep.c — charts of a parameter sweep: parallel coordinates (one vertical
 * axis per param, the goal metric last, one line per run) and a scatter of
 * the metric against one param. Same fonts, palette and files as the line
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
};

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

/* The run drawn on top: the best by the last dimension under goal, or -1. */
static long best_run(const struct chart_sweep *sw)
{
	const struct chart_dim *m = &sw->dims[sw->ndims - 1];
	long b = -1;
	for (size_t i = 0; sw->goal != CHART_GOAL_NONE && i < sw->nruns; i++) {
		double v = m->v[i];
		if (!isfinite(v))
			continue;
		if (b < 0 || (sw->goal == CHART_GOAL_MIN ? v < m->v[b] : v > m->v[b]))
			b = (long)i;
	}
	return b;
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
			cairo_rectangle(cr, x - 2, y - 0.5, 4, 1);
			cairo_fill(cr);
			sw_show(c, a->d->cats[k], left ? x - 5 : x + 5, y - CHART_FONT_PX * 0.65,
			        left ? 2 : 0, maxw, c->font);
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

static void draw_parallel(struct sw *c, const struct chart_sweep *sw, double W, double H)
{
	cairo_t *cr = c->cr;
	size_t nd = sw->ndims;
	double top = 44, bottom = H - 16, left = 70, right = W - 70;
	double gap = nd > 1 ? (right - left) / (double)(nd - 1) : 0;
	struct dim_axis *ax = xcalloc(nd, sizeof *ax);
	for (size_t d = 0; d < nd; d++)
		dim_layout(c, &ax[d], &sw->dims[d], sw->nruns, bottom - top, 1);
	cairo_set_source_rgb(cr, c->fg, c->fg, c->fg);
	sw_show(c, sw->title, 8, 4, 0, W - 16, c->title_font);
	/* Axis names above the axes, lines, then ticks over the lines. */
	for (size_t d = 0; d < nd; d++) {
		double x = nd > 1 ? left + gap * (double)d : (left + right) / 2;
		cairo_set_source_rgb(cr, c->fg, c->fg, c->fg);
		sw_show(c, sw->dims[d].label, x, 24, 1, gap > 0 ? gap - 6 : W - 16, c->font);
	}
	long best = best_run(sw);
	cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
	for (size_t pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < sw->nruns; i++) {
			if ((pass == 1) != ((long)i == best))
				continue;
			double rgb[3];
			int open = 0;
			chart_color_rgb(sw->colors ? sw->colors[i] : (int)i, rgb);
			for (size_t d = 0; d < nd; d++) {
				double p = dim_pos(&ax[d], sw->dims[d].v[i]);
				double x = nd > 1 ? left + gap * (double)d : (left + right) / 2;
				if (!isfinite(p)) {
					open = 0;
					continue;
				}
				double y = bottom + (top - bottom) * p;
				if (open)
					cairo_line_to(cr, x, y);
				else
					cairo_move_to(cr, x, y);
				open = 1;
			}
			cairo_set_line_width(cr, pass ? 2.5 : 1.25);
			cairo_set_source_rgba(cr, rgb[0], rgb[1], rgb[2], pass ? 1.0 : 0.6);
			cairo_stroke(cr);
		}
	}
	for (size_t d = 0; d < nd; d++) {
		double x = nd > 1 ? left + gap * (double)d : (left + right) / 2;
		cairo_set_source_rgb(cr, c->fg, c->fg, c->fg);
		cairo_rectangle(cr, x - 0.5, top, 1, bottom - top);
		cairo_fill(cr);
		vaxis_ticks(c, &ax[d], x, bottom, top, d + 1 < nd || nd == 1,
		            d == 0 ? left - 8 : gap / 2 - 8);
	}
	free(ax);
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
		sw_show(c, xa.d->cats ? xa.d->cats[k] : xa.ax.label[k], x, py + ph + 4, 1,
		        nx ? pw / (double)nx - 4 : pw, c->font);
	}
	cairo_set_source_rgb(cr, c->fg, c->fg, c->fg);
	sw_show(c, sw->dims[0].label, px + pw / 2, H - 18, 1, pw, c->font);
	cairo_rectangle(cr, px, py + ph - 0.5, pw, 1);
	cairo_rectangle(cr, px - 0.5, py, 1, ph);
	cairo_fill(cr);
	vaxis_ticks(c, &ya, px, py + ph, py, 1, px - 8);
	long best = best_run(sw);
	for (size_t pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < sw->nruns; i++) {
			if ((pass == 1) != ((long)i == best))
				continue;
			double p = dim_pos(&xa, sw->dims[0].v[i]), q = dim_pos(&ya, sw->dims[1].v[i]);
			if (!isfinite(p) || !isfinite(q))
				continue;
			double rgb[3];
			chart_color_rgb(sw->colors ? sw->colors[i] : (int)i, rgb);
			cairo_new_sub_path(cr);
			cairo_arc(cr, px + pw * p, py + ph * (1 - q), pass ? 5 : 3.5, 0, 2 * M_PI);
			cairo_set_source_rgba(cr, rgb[0], rgb[1], rgb[2], 0.85);
			cairo_fill_preserve(cr);
			cairo_set_line_width(cr, 1);
			cairo_set_source_rgb(cr, rgb[0] * 0.6, rgb[1] * 0.6, rgb[2] * 0.6);
			cairo_stroke(cr);
		}
}

/* Renders one sweep chart as fmt into path. Returns 1, or 0 reported. */
static int sweep_write(const struct chart_sweep *sw, int parallel, enum chart_format fmt,
                       const char *path)
{
	struct buf out = BUF_INIT, text = BUF_INIT, layer = BUF_INIT;
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
	               fmt == CHART_SVG ? &text : NULL};
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
		chart_svg_text_layer(&layer, &text, c.fg);
		chart_svg_append_layer(&cs.bytes, &layer);
	}
	if (fmt != CHART_PNG)
		buf_put(&out, cs.bytes.data ? cs.bytes.data : "", cs.bytes.size);
	ok = chart_write_file(path, out.data ? out.data : "", out.size);
out:
	if (st == CAIRO_STATUS_NO_MEMORY)
		out_of_memory();
	if (st)
		diag_msg("%s: cannot draw the chart: %s", path, cairo_status_to_string(st));
	chart_surface_free(&cs);
	buf_free(&out);
	buf_free(&text);
	buf_free(&layer);
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
