/* svgpath.c — a chart's series written straight into SVG markup.
 *
 * Cairo's SVG surface prints every coordinate through printf and
 * chart_render then parses and shortens them again: for a series of a few
 * thousand kept points that was most of an SVG chart's time. The series
 * layer (lines, bands, markers) is therefore written here, on the 1/8 px
 * grid the drawing code already rounds to, as relative moves in shortest
 * form; Cairo still draws the frame (axes, text, legend). */
#include <math.h>

#include "chart_internal.h"

/* Coordinates in 1/8 px: exact for every value the drawing code makes. */
static long long eighths(double v)
{
	double e = round(v * 8);
	return e < -1e15 ? (long long)-1e15 : e > 1e15 ? (long long)1e15 : (long long)e;
}

/* Appends v/8 in shortest form ("12", "-0.5", ".125"), with a space first
 * when the previous character would run into it. */
static void put_eighths(struct buf *b, long long v)
{
	static const char *const frac[8] = {"", ".125", ".25", ".375", ".5", ".625", ".75", ".875"};
	unsigned long long a = v < 0 ? (unsigned long long)-v : (unsigned long long)v;
	char tmp[32];
	int n = 0;

	char prev = b->size ? b->data[b->size - 1] : 0;

	if (v < 0)
		tmp[n++] = '-';
	else if (prev >= '0' && prev <= '9')
		tmp[n++] = ' ';
	if (a / 8 || a % 8 == 0) {
		char d[24];
		int k = 0;
		for (unsigned long long i = a / 8; i || k == 0; i /= 10)
			d[k++] = (char)('0' + i % 10);
		while (k)
			tmp[n++] = d[--k];
	}
	for (const char *f = frac[a % 8]; *f; f++)
		tmp[n++] = *f;
	buf_put(b, tmp, (size_t)n);
}

static void put_color(struct buf *b, const double rgb[3])
{
	static const char hex[] = "0123456789abcdef";
	char c[7] = {'#'};
	for (int i = 0; i < 3; i++) {
		double v = rgb[i] < 0 ? 0 : rgb[i] > 1 ? 1 : rgb[i];
		int x = (int)lround(v * 255);
		c[1 + 2 * i] = hex[x >> 4];
		c[2 + 2 * i] = hex[x & 15];
	}
	buf_put(b, c, 7);
}

/* A plain number (opacity, width, dash): up to three decimals, no
 * trailing zeros. */
static void put_short(struct buf *b, double v)
{
	char t[32];
	int n = snprintf(t, sizeof t, "%.3f", v);
	while (n > 0 && t[n - 1] == '0')
		n--;
	if (n > 0 && t[n - 1] == '.')
		n--;
	buf_put(b, t, (size_t)n);
}

static void put_number(struct buf *b, const char *name, double v)
{
	buf_printf(b, " %s=\"", name);
	put_short(b, v);
	buf_putc(b, '"');
}

void svgpen_move(struct svg_pen *p, double x, double y)
{
	p->x = p->sx = eighths(x);
	p->y = p->sy = eighths(y);
	buf_putc(&p->d, 'M');
	put_eighths(&p->d, p->x);
	put_eighths(&p->d, p->y);
	p->last = 'M';
}

void svgpen_line(struct svg_pen *p, double x, double y)
{
	long long X = eighths(x), Y = eighths(y);
	if (p->last != 'l') /* after l, further pairs are relative line-tos too */
		buf_putc(&p->d, 'l');
	put_eighths(&p->d, X - p->x);
	put_eighths(&p->d, Y - p->y);
	p->x = X;
	p->y = Y;
	p->last = 'l';
}

void svgpen_close(struct svg_pen *p)
{
	buf_putc(&p->d, 'z');
	p->x = p->sx;
	p->y = p->sy;
	p->last = 'z';
}

void svgpen_circle(struct svg_pen *p, double x, double y, double r)
{
	long long R = eighths(r);
	svgpen_move(p, x - r, y);
	buf_putc(&p->d, 'a');
	put_eighths(&p->d, R);
	put_eighths(&p->d, R);
	buf_puts(&p->d, " 0 1 0");
	put_eighths(&p->d, 2 * R);
	put_eighths(&p->d, 0);
	buf_putc(&p->d, 'a');
	put_eighths(&p->d, R);
	put_eighths(&p->d, R);
	buf_puts(&p->d, " 0 1 0");
	put_eighths(&p->d, -2 * R);
	put_eighths(&p->d, 0);
	p->last = 'a';
}

/* Ends the path being built as a <path> with the given paint attributes. */
static void emit(struct svg_pen *p, const char *paint)
{
	if (p->d.size) {
		buf_puts(p->out, "<path");
		buf_puts(p->out, paint);
		buf_puts(p->out, " d=\"");
		buf_put(p->out, p->d.data, p->d.size);
		buf_puts(p->out, "\"/>\n");
	}
	buf_reset(&p->d);
	p->last = 0;
}

void svgpen_fill(struct svg_pen *p, const double rgb[3], double alpha)
{
	struct buf a = BUF_INIT;
	buf_puts(&a, " fill=\"");
	put_color(&a, rgb);
	buf_putc(&a, '"');
	if (alpha < 1)
		put_number(&a, "fill-opacity", alpha);
	emit(p, buf_cstr(&a));
	buf_free(&a);
}

void svgpen_stroke(struct svg_pen *p, const double rgb[3], double alpha, double lw,
                   const double *dash, int ndash)
{
	struct buf a = BUF_INIT;
	buf_puts(&a, " fill=\"none\" stroke=\"");
	put_color(&a, rgb);
	buf_putc(&a, '"');
	put_number(&a, "stroke-width", lw);
	if (alpha < 1)
		put_number(&a, "stroke-opacity", alpha);
	if (ndash > 0) {
		buf_puts(&a, " stroke-dasharray=\"");
		for (int i = 0; i < ndash; i++) {
			if (i)
				buf_putc(&a, ' ');
			put_short(&a, dash[i]);
		}
		buf_putc(&a, '"');
	}
	emit(p, buf_cstr(&a));
	buf_free(&a);
}

void svgpen_fill_stroke(struct svg_pen *p, const double fill[3], double fill_alpha,
                        const double stroke[3], double stroke_alpha, double lw)
{
	struct buf a = BUF_INIT;
	buf_puts(&a, " fill=\"");
	put_color(&a, fill);
	buf_putc(&a, '"');
	if (fill_alpha < 1)
		put_number(&a, "fill-opacity", fill_alpha);
	buf_puts(&a, " stroke=\"");
	put_color(&a, stroke);
	buf_putc(&a, '"');
	put_number(&a, "stroke-width", lw);
	if (stroke_alpha < 1)
		put_number(&a, "stroke-opacity", stroke_alpha);
	emit(p, buf_cstr(&a));
	buf_free(&a);
}

void svgpen_begin(struct svg_pen *p, struct buf *out, double l, double t, double r, double b)
{
	p->out = out;
	buf_reset(&p->d);
	p->last = 0;
	/* the plot's clip, as Cairo's cairo_clip made it for the other surfaces */
	buf_puts(out, "<clipPath id=\"plot-clip\"><rect");
	put_number(out, "x", l);
	put_number(out, "y", t);
	put_number(out, "width", r - l);
	put_number(out, "height", b - t);
	buf_puts(out, "/></clipPath>\n<g clip-path=\"url(#plot-clip)\" stroke-linecap=\"round\" "
	              "stroke-linejoin=\"round\">\n");
}

void svgpen_end(struct svg_pen *p)
{
	buf_reset(&p->d);
	buf_puts(p->out, "</g>\n");
	buf_free(&p->d);
}
