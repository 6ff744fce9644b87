/* output.c — chart files: SVG (with <title>/<desc>), PNG at 2×, PDF;
 * sparklines; the alt-text sentence; the palette. */
#include <errno.h>
#include <glib.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cairo-pdf.h>
#include <cairo-svg.h>

#include "chart_internal.h"
#include "runsite/diag.h"

/* Okabe & Ito's colour-blind-safe palette without black and yellow, which
 * vanish on dark and on light pages; past six runs the line style changes. */
static const char *const palette[CHART_NPALETTE] = {
	"#0072b2", "#e69f00", "#009e73", "#d55e00", "#cc79a7", "#56b4e9",
};

const char *chart_color_hex(int i)
{
	int k = i < 0 ? -(i + 1) : i;
	return palette[k % CHART_NPALETTE];
}

void chart_color_rgb(int i, double rgb[3])
{
	unsigned v = (unsigned)strtoul(chart_color_hex(i) + 1, NULL, 16);
	rgb[0] = ((v >> 16) & 0xff) / 255.0;
	rgb[1] = ((v >> 8) & 0xff) / 255.0;
	rgb[2] = (v & 0xff) / 255.0;
}

void chart_spec_defaults(struct chart_spec *spec)
{
	memset(spec, 0, sizeof *spec);
	spec->width = 720;
	spec->height = 360;
	spec->scale = 2;
	spec->smoothing = 0.6;
	spec->log_y = -1;
	spec->goal = CHART_GOAL_NONE;
	spec->x_kind = CHART_X_STEP;
}

void chart_xml_escape(struct buf *b, const char *s, size_t maxbytes)
{
	size_t n = s ? strnlen(s, maxbytes) : 0;
	char *v = g_utf8_make_valid(s ? s : "", (gssize)n);

	for (const unsigned char *p = (const unsigned char *)v; *p; p++) {
		switch (*p) {
		case '&': BUF_PUTSL(b, "&amp;"); break;
		case '<': BUF_PUTSL(b, "&lt;"); break;
		case '>': BUF_PUTSL(b, "&gt;"); break;
		case '"': BUF_PUTSL(b, "&quot;"); break;
		case '\'': BUF_PUTSL(b, "&#39;"); break;
		default:
			if (*p < 0x20 && *p != '\t' && *p != '\n' && *p != '\r') {
				buf_putc(b, ' ');
			} else if (p[0] == 0xef && p[1] == 0xbf && (p[2] == 0xbe || p[2] == 0xbf)) {
				/* U+FFFE and U+FFFF are not XML characters */
				BUF_PUTSL(b, "\xef\xbf\xbd");
				p += 2;
			} else {
				buf_putc(b, *p);
			}
		}
	}
	g_free(v);
}

static cairo_status_t to_buf(void *closure, const unsigned char *data, unsigned int len)
{
	buf_put(closure, data, len);
	return CAIRO_STATUS_SUCCESS;
}

/* Parses one of Cairo's path numbers (at most six decimals) as an integer
 * count of millionths; returns the end, or NULL if it is not one. */
static const char *parse_micro(const char *p, long long *v)
{
	long long ip = 0, fp = 0;
	int neg = 0, digits = 0, fd = 0;

	if (*p == '-') {
		neg = 1;
		p++;
	}
	for (; *p >= '0' && *p <= '9' && digits < 12; p++, digits++)
		ip = ip * 10 + (*p - '0');
	if (*p == '.')
		for (p++; *p >= '0' && *p <= '9'; p++, fd++) {
			if (fd >= 6)
				return NULL;
			fp = fp * 10 + (*p - '0');
		}
	if (digits == 0 && fd == 0)
		return NULL;
	for (; fd < 6; fd++)
		fp *= 10;
	*v = (ip * 1000000 + fp) * (neg ? -1 : 1);
	return p;
}

/* Appends a millionths count as the shortest decimal: 0.125 → ".125". */
static void put_micro(struct buf *b, long long v, int sep)
{
	char t[40];
	long long a = v < 0 ? -v : v;
	int n = snprintf(t, sizeof t, "%s%lld.%06lld", v < 0 ? "-" : "", a / 1000000, a % 1000000);

	while (t[n - 1] == '0')
		t[--n] = '\0';
	if (t[n - 1] == '.')
		t[--n] = '\0';
	char *s = t;
	if (a < 1000000 && a != 0) { /* drop the leading zero */
		if (v < 0) {
			t[1] = '-';
			s = t + 1;
		} else {
			s = t + 1;
		}
	}
	if (sep && *s != '-')
		buf_putc(b, ' ');
	buf_puts(b, s);
}

/* Rounds a millionths count to 1/100 unless it is a multiple of 1/8: line
 * coordinates (on the 1/8 grid) stay exact; glyph outlines move by at most
 * 0.005 px. */
static long long round_micro(long long v)
{
	if (v % 125000 == 0)
		return v;
	return (v >= 0 ? (v + 5000) / 10000 : (v - 5000) / 10000) * 10000;
}

/* Rewrites a path of Cairo's "M x y L x y C x y x y x y ... Z" with relative
 * commands ("M37.75 61.25l.125-16 .125 11.75"), about half the bytes. The
 * numbers are handled as integers of millionths, so nothing drifts. Returns 0
 * (and writes nothing) for a path it does not recognise. */
static int compact_path(struct buf *b, const char *d, size_t n)
{
	const char *p = d, *end = d + n;
	long long cx = 0, cy = 0, sx = 0, sy = 0;
	size_t start = b->size;
	char last = 0;

	while (p < end) {
		char cmd = *p;
		long long v[6];
		int np;
		if (cmd == ' ') {
			p++;
			continue;
		}
		if (cmd == 'Z' || cmd == 'z') {
			BUF_PUTSL(b, "z");
			cx = sx;
			cy = sy;
			last = 'z';
			p++;
			continue;
		}
		np = cmd == 'C' ? 6 : 2;
		if ((cmd != 'M' && cmd != 'L' && cmd != 'C') || p + 1 >= end || p[1] != ' ')
			goto fail;
		p++;
		for (int i = 0; i < np; i++) {
			if (*p != ' ' || !(p = parse_micro(p + 1, &v[i])))
				goto fail;
			v[i] = round_micro(v[i]);
		}
		if (cmd == 'M') {
			BUF_PUTSL(b, "M");
			put_micro(b, v[0], 0);
			put_micro(b, v[1], 1);
			sx = v[0];
			sy = v[1];
			last = 'M';
		} else {
			char rc = cmd == 'L' ? 'l' : 'c';
			int sep = last == rc;
			if (!sep)
				buf_putc(b, rc);
			for (int i = 0; i < np; i += 2) {
				put_micro(b, v[i] - cx, sep || i > 0);
				put_micro(b, v[i + 1] - cy, 1);
			}
			last = rc;
		}
		cx = v[np - 2];
		cy = v[np - 1];
	}
	return 1;
fail:
	b->size = start;
	if (b->data)
		b->data[start] = '\0';
	return 0;
}

/* Cairo names its surfaces in the SVG ("surface6") with a counter that runs
 * across the whole process; renumber them by first appearance in place, so
 * the same chart gives the same bytes whatever was drawn before it. */
static void renumber_surfaces(struct buf *b, size_t from)
{
	struct buf o = BUF_INIT;
	unsigned long seen[32];
	size_t nseen = 0;
	const char *p = b->data + from, *end = b->data + b->size;

	buf_put(&o, b->data, from);
	for (;;) {
		const char *t = memmem(p, (size_t)(end - p), "surface", 7);
		if (!t)
			break;
		const char *q = t + 7;
		unsigned long v = 0;
		size_t k;
		buf_put(&o, p, (size_t)(q - p));
		p = q;
		if (t == b->data || (t[-1] != '"' && t[-1] != '#') || !(*q >= '0' && *q <= '9'))
			continue;
		for (; q < end && *q >= '0' && *q <= '9' && v < 100000000; q++)
			v = v * 10 + (unsigned long)(*q - '0');
		for (k = 0; k < nseen && seen[k] != v; k++)
			;
		if (k == nseen && nseen < 32)
			seen[nseen++] = v;
		if (k == 32) { /* more surfaces than a chart draws: leave as is */
			buf_put(&o, p, (size_t)(q - p));
		} else {
			buf_printf(&o, "%zu", k + 1);
		}
		p = q;
	}
	buf_put(&o, p, (size_t)(end - p));
	buf_free(b);
	*b = o;
}

/* Copies Cairo's SVG into out with role="img", aria-labelledby and a
 * <title>/<desc> pair right after the opening <svg> tag, and the series
 * layer (drawn on top of Cairo's frame) before its closing tag. */
static void svg_finish(struct buf *out, const struct buf *svg, const char *title,
                       const char *desc, const struct buf *layer)
{
	const char *s = svg->data ? svg->data : "";
	const char *open = strstr(s, "<svg");
	const char *gt = open ? strchr(open, '>') : NULL;

	if (!gt) { /* not what Cairo writes; keep it as it is */
		buf_put(out, s, svg->size);
		return;
	}
	if (gt > s && gt[-1] == '/')
		gt--;
	buf_put(out, s, (size_t)(gt - s));
	BUF_PUTSL(out, " role=\"img\" aria-labelledby=\"chart-title chart-desc\"");
	s = gt;
	gt = strchr(s, '>') + 1;
	buf_put(out, s, (size_t)(gt - s));
	BUF_PUTSL(out, "\n<title id=\"chart-title\">");
	chart_xml_escape(out, title, 4096);
	BUF_PUTSL(out, "</title>\n<desc id=\"chart-desc\">");
	chart_xml_escape(out, desc, 65536);
	BUF_PUTSL(out, "</desc>");
	/* the rest, with line paths made compact */
	s = gt;
	const char *end = svg->data + svg->size;
	for (;;) {
		const char *d = strstr(s, " d=\"");
		const char *q = d ? strchr(d + 4, '"') : NULL;
		if (!q)
			break;
		buf_put(out, s, (size_t)(d + 4 - s));
		if (!compact_path(out, d + 4, (size_t)(q - d - 4)))
			buf_put(out, d + 4, (size_t)(q - d - 4));
		s = q;
	}
	const char *close = NULL;
	for (const char *t = s; (t = memmem(t, (size_t)(end - t), "</svg>", 6)); t += 6)
		close = t;
	if (close && layer->size) {
		buf_put(out, s, (size_t)(close - s));
		buf_put(out, layer->data, layer->size);
		s = close;
	}
	buf_put(out, s, (size_t)(end - s));
}

cairo_status_t chart_render(const struct chart_spec *spec, enum chart_format fmt,
                            const struct chart_draw_opts *o, struct buf *out,
                            struct chart_info *info)
{
	struct chart_draw_opts opt = {.columns = 1};
	struct chart_info local;
	struct buf tmp = BUF_INIT, series = BUF_INIT;
	cairo_surface_t *sf = NULL;
	cairo_t *cr = NULL;
	cairo_status_t st;
	double W = spec->width > 0 ? spec->width : 720, H = spec->height > 0 ? spec->height : 360;
	double scale = 1;

	if (o)
		opt = *o;
	if (!info)
		info = &local;
	switch (fmt) {
	case CHART_SVG:
		sf = cairo_svg_surface_create_for_stream(to_buf, &tmp, W, H);
		cairo_svg_surface_restrict_to_version(sf, CAIRO_SVG_VERSION_1_1);
		cairo_svg_surface_set_document_unit(sf, CAIRO_SVG_UNIT_PX);
		if (!o)
			opt.columns = 1;
		opt.svg_series = &series;
		break;
	case CHART_PNG:
		scale = spec->scale > 0 && spec->scale <= 8 ? spec->scale : 2;
		{
			int pw = (int)ceil(W * scale), ph = (int)ceil(H * scale);
			int stride = cairo_format_stride_for_width(CAIRO_FORMAT_ARGB32, pw);
			if (stride <= 0 || pw > 32767 || ph > 32767) {
				st = CAIRO_STATUS_INVALID_SIZE;
				goto out;
			}
			sf = cairo_image_surface_create_for_data(
				chart_png_canvas((size_t)stride * (size_t)ph), CAIRO_FORMAT_ARGB32, pw,
				ph, stride);
		}
		if (!o)
			opt.columns = scale;
		break;
	case CHART_PDF:
		sf = cairo_pdf_surface_create_for_stream(to_buf, &tmp, W, H);
		/* Cairo stamps the time of drawing otherwise; same input, same bytes. */
		cairo_pdf_surface_set_metadata(sf, CAIRO_PDF_METADATA_CREATE_DATE, "");
		if (spec->title) {
			char *t = g_utf8_make_valid(spec->title, (gssize)strnlen(spec->title, 4096));
			cairo_pdf_surface_set_metadata(sf, CAIRO_PDF_METADATA_TITLE, t);
			g_free(t);
		}
		/* Papers zoom in: decimate finer than the page's points. */
		if (!o) {
			opt.columns = 4;
			opt.paper = 1;
		}
		break;
	}
	st = cairo_surface_status(sf);
	if (st)
		goto out;
	cr = cairo_create(sf);
	if ((st = cairo_status(cr)))
		goto out;
	cairo_scale(cr, scale, scale);
	chart_draw(spec, cr, &opt, info);
	if ((st = cairo_status(cr)))
		goto out;
	cairo_destroy(cr);
	cr = NULL;
	if (fmt == CHART_PNG) {
		cairo_surface_flush(sf);
		if ((st = cairo_surface_status(sf)))
			goto out;
		chart_png_encode(out, sf);
		goto out;
	}
	cairo_surface_finish(sf);
	if ((st = cairo_surface_status(sf)))
		goto out;
	if (fmt == CHART_SVG) {
		char *desc = chart_describe(spec, info);
		size_t from = out->size;
		svg_finish(out, &tmp, spec->title ? spec->title : "chart", desc, &series);
		renumber_surfaces(out, from);
		free(desc);
	} else {
		buf_put(out, tmp.data ? tmp.data : "", tmp.size);
	}
out:
	if (cr)
		cairo_destroy(cr);
	if (sf)
		cairo_surface_destroy(sf);
	buf_free(&tmp);
	buf_free(&series);
	/* Cairo's allocation failed: the one out-of-memory exit, not a message per chart. */
	if (st == CAIRO_STATUS_NO_MEMORY)
		out_of_memory();
	return st;
}

/* Writes n bytes to path; reports and returns 0 on failure. */
static int write_bytes(const char *path, const char *data, size_t n)
{
	FILE *f = fopen(path, "wb");

	if (!f) {
		diag_write_error(path, errno);
		return 0;
	}
	if (fwrite(data, 1, n, f) != n || fflush(f) != 0) {
		diag_write_error(path, errno);
		fclose(f);
		return 0;
	}
	if (fclose(f) != 0) {
		diag_write_error(path, errno);
		return 0;
	}
	return 1;
}

int chart_write(const struct chart_spec *spec, enum chart_format fmt, const char *path,
                struct chart_info *info)
{
	struct buf b = BUF_INIT;
	cairo_status_t st = chart_render(spec, fmt, NULL, &b, info);
	int ok = 0;

	if (st) {
		diag_msg("%s: cannot draw the chart: %s", path, cairo_status_to_string(st));
		goto out;
	}
	ok = write_bytes(path, b.data ? b.data : "", b.size);
out:
	buf_free(&b);
	return ok;
}

int chart_write_sparkline(const struct chart_point *pts, size_t n, int color, int width,
                          int height, const char *path)
{
	struct buf tmp = BUF_INIT, out = BUF_INIT;
	cairo_surface_t *sf;
	cairo_t *cr;
	cairo_status_t st;
	struct chart_point *d = NULL;
	double W = width > 0 ? width : 100, H = height > 0 ? height : 24, rgb[3];
	double xlo = INFINITY, xhi = -INFINITY, ylo = INFINITY, yhi = -INFINITY, pad = 2;
	size_t nd = 0, lastf = (size_t)-1;
	int ok = 0, open = 0;

	sf = cairo_svg_surface_create_for_stream(to_buf, &tmp, W, H);
	cairo_svg_surface_restrict_to_version(sf, CAIRO_SVG_VERSION_1_1);
	cairo_svg_surface_set_document_unit(sf, CAIRO_SVG_UNIT_PX);
	cr = cairo_create(sf);
	for (size_t i = 0; i < n; i++) {
		if (!isfinite(pts[i].x))
			continue;
		xlo = fmin(xlo, pts[i].x);
		xhi = fmax(xhi, pts[i].x);
		if (isfinite(pts[i].y)) {
			ylo = fmin(ylo, pts[i].y);
			yhi = fmax(yhi, pts[i].y);
		}
	}
	if (n && yhi >= ylo) {
		double sx, sy;
		if (xhi == xlo) {
			xlo -= 1;
			xhi += 1;
		}
		if (yhi == ylo) {
			ylo -= 1;
			yhi += 1;
		}
		sx = (W - 2 * pad) / (xhi - xlo);
		sy = (H - 2 * pad) / (yhi - ylo);
		d = xreallocarray(NULL, n, sizeof *d);
		nd = chart_m4(pts, n, pad * 2, xlo, sx * 2, d); /* 2 columns per px: HiDPI */
		chart_color_rgb(color, rgb);
		cairo_set_source_rgb(cr, rgb[0], rgb[1], rgb[2]);
		cairo_set_line_width(cr, 1.25);
		cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
		cairo_set_line_cap(cr, CAIRO_LINE_CAP_ROUND);
		for (size_t i = 0; i < nd; i++) {
			if (!isfinite(d[i].y)) {
				open = 0;
				continue;
			}
			double X = round((pad + (d[i].x - xlo) * sx) * 8) / 8;
			double Y = round((H - pad - (d[i].y - ylo) * sy) * 8) / 8;
			if (!open)
				cairo_move_to(cr, X, Y);
			cairo_line_to(cr, X, Y);
			open = 1;
			lastf = i;
		}
		cairo_stroke(cr);
		if (lastf != (size_t)-1) {
			cairo_arc(cr, pad + (d[lastf].x - xlo) * sx, H - pad - (d[lastf].y - ylo) * sy,
			          1.75, 0, 2 * M_PI);
			cairo_fill(cr);
		}
	}
	st = cairo_status(cr);
	cairo_destroy(cr);
	cairo_surface_finish(sf);
	if (!st)
		st = cairo_surface_status(sf);
	cairo_surface_destroy(sf);
	if (st == CAIRO_STATUS_NO_MEMORY)
		out_of_memory();
	if (st) {
		diag_msg("%s: cannot draw the sparkline: %s", path, cairo_status_to_string(st));
		goto out;
	}
	renumber_surfaces(&tmp, 0);
	ok = write_bytes(path, tmp.data ? tmp.data : "", tmp.size);
out:
	free(d);
	buf_free(&tmp);
	buf_free(&out);
	return ok;
}

/* Appends an x position as the axis shows it: a step, a UTC time or a duration. */
static void put_x(struct buf *b, enum chart_x_kind k, double x)
{
	char num[48];

	if (k == CHART_X_TIME && fabs(x) < 1e13) {
		time_t t = (time_t)floor(x);
		struct tm tm;
		if (gmtime_r(&t, &tm)) {
			strftime(num, sizeof num, "%Y-%m-%d %H:%M:%S UTC", &tm);
			buf_printf(b, "at %s", num);
			return;
		}
	}
	chart_format_number(num, sizeof num, x);
	buf_printf(b, k == CHART_X_RELATIVE ? "at %ss" : "at step %s", num);
}

/* Appends an integer with thousands separators: 1,000,000. */
static void put_count(struct buf *b, uint64_t v)
{
	char d[32];
	int n = snprintf(d, sizeof d, "%llu", (unsigned long long)v);

	for (int i = 0; i < n; i++) {
		buf_putc(b, d[i]);
		if ((n - i - 1) % 3 == 0 && i < n - 1)
			buf_putc(b, ',');
	}
}

/* Appends a label for prose: valid UTF-8, one line, at most 120 bytes. */
static void put_label(struct buf *b, const char *s)
{
	size_t n = s ? strnlen(s, 120) : 0;
	char *v = g_utf8_make_valid(s ? s : "", (gssize)n);

	for (char *p = v; *p; p++)
		if ((unsigned char)*p < 0x20)
			*p = ' ';
	buf_puts(b, *v ? v : "(unnamed)");
	if (s && strnlen(s, 121) > 120)
		buf_puts(b, "…");
	g_free(v);
}

char *chart_describe(const struct chart_spec *spec, const struct chart_info *info)
{
	struct buf b = BUF_INIT;
	char num[48];
	size_t shown = spec->nseries < 12 ? spec->nseries : 12;

	buf_puts(&b, "Line chart of ");
	put_label(&b, spec->title && *spec->title ? spec->title : "a metric");
	buf_printf(&b, " for %zu run%s", spec->nseries, spec->nseries == 1 ? "" : "s");
	buf_puts(&b, spec->nseries ? ". " : ".");
	for (size_t s = 0; s < shown; s++) {
		const struct chart_series *se = &spec->series[s];
		size_t best = (size_t)-1, lo = (size_t)-1, hi = (size_t)-1;
		put_label(&b, se->label);
		if (se->n == 0 || !se->pts) {
			buf_puts(&b, ": no points. ");
			continue;
		}
		double lov = INFINITY, hiv = -INFINITY; /* values at lo and hi, kept in registers */
		for (size_t i = 0; i < se->n; i++) {
			double y = se->pts[i].y;
			if (!isfinite(y))
				continue;
			if (lo == (size_t)-1 || y < lov) {
				lo = i;
				lov = y;
			}
			if (hi == (size_t)-1 || y > hiv) {
				hi = i;
				hiv = y;
			}
		}
		best = spec->goal == CHART_GOAL_MIN ? lo : spec->goal == CHART_GOAL_MAX ? hi : best;
		chart_format_number(num, sizeof num, se->pts[se->n - 1].y);
		buf_printf(&b, ": last %s ", num);
		put_x(&b, spec->x_kind, se->pts[se->n - 1].x);
		if (best != (size_t)-1) {
			chart_format_number(num, sizeof num, se->pts[best].y);
			buf_printf(&b, ", best %s ", num);
			put_x(&b, spec->x_kind, se->pts[best].x);
		} else if (lo != (size_t)-1) {
			chart_format_number(num, sizeof num, se->pts[lo].y);
			buf_printf(&b, ", min %s", num);
			chart_format_number(num, sizeof num, se->pts[hi].y);
			buf_printf(&b, ", max %s", num);
		} else {
			buf_puts(&b, ", no finite values");
		}
		buf_puts(&b, ". ");
	}
	if (shown < spec->nseries)
		buf_printf(&b, "And %zu more runs. ", spec->nseries - shown);
	if (info) {
		if (info->log_y)
			buf_puts(&b, "Logarithmic y axis. ");
		put_count(&b, info->points_drawn);
		buf_puts(&b, " of ");
		put_count(&b, info->points_total);
		buf_puts(&b, " points drawn.");
	}
	while (b.size && b.data[b.size - 1] == ' ')
		b.data[--b.size] = '\0';
	return buf_detach(&b);
}
