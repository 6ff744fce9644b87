/* output.c — chart files: SVG (with <title>/<desc>), PNG at 2×, PDF;
 * sparklines; the alt-text sentence. */
#include <errno.h>
#include <glib.h>
#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>


#include "chart_internal.h"
#include "runsite/diag.h"

void chart_spec_defaults(struct chart_spec *spec)
{
	memset(spec, 0, sizeof *spec);
	spec->width = 720;
	spec->height = 360;
	spec->scale = 2;
	spec->smoothing = CHART_DEFAULT_SMOOTHING;
	spec->log_y = -1;
	spec->goal = CHART_GOAL_NONE;
	spec->x_kind = CHART_X_STEP;
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
	return chart_render_described(spec, fmt, o, out, info, NULL);
}

cairo_status_t chart_render_described(const struct chart_spec *spec, enum chart_format fmt,
                                      const struct chart_draw_opts *o, struct buf *out,
                                      struct chart_info *info, char **desc_out)
{
	return chart_render_extrema(spec, fmt, o, out, info, desc_out, NULL);
}

cairo_status_t chart_render_extrema(const struct chart_spec *spec, enum chart_format fmt,
                                    const struct chart_draw_opts *o, struct buf *out,
                                    struct chart_info *info, char **desc_out,
                                    const struct chart_extrema *ex_in)
{
	struct chart_draw_opts opt = {.columns = 1};
	struct chart_info local;
	struct buf series = BUF_INIT, text = BUF_INIT;
	struct chart_surface cs;
	double W = spec->width > 0 ? spec->width : 720, H = spec->height > 0 ? spec->height : 360;
	double scale = fmt == CHART_PNG && spec->scale > 0 && spec->scale <= 8 ? spec->scale : 2;

	if (o)
		opt = *o;
	if (!info)
		info = &local;
	switch (fmt) {
	case CHART_SVG:
		opt.svg_series = &series;
		opt.svg_text = &text;
		break;
	case CHART_PNG:
		if (!o)
			opt.columns = scale;
		break;
	case CHART_PDF:
		/* Papers zoom in: decimate finer than the page's points. */
		if (!o) {
			opt.columns = 4;
			opt.paper = 1;
		}
		break;
	}
	/* An SVG is described: the extrema of its series, found once, serve
	 * the description and the choice of a log axis. */
	struct chart_extrema *own = NULL;
	const struct chart_extrema *ex = NULL;
	if (fmt == CHART_SVG)
		ex = ex_in ? ex_in : (own = chart_series_extrema(spec));
	if (ex && spec->log_y < 0)
		opt.auto_log_y = chart_log_from_extrema(spec, ex) ? 2 : 1;
	cairo_status_t st = chart_surface_open(&cs, fmt, W, H, scale, spec->title);
	if (!st) {
		chart_draw(spec, cs.cr, &opt, info);
		st = chart_surface_finish(&cs, out);
	}
	if (!st && fmt == CHART_SVG) {
		char *desc = chart_describe_extrema(spec, info, ex);
		size_t from = out->size;
		chart_svg_text_layer(&series, &text, opt.paper ? CHART_FG_PAPER : CHART_FG_SCREEN);
		svg_finish(out, &cs.bytes, spec->title ? spec->title : "chart", desc, &series);
		chart_svg_renumber(out, from);
		if (desc_out)
			*desc_out = desc;
		else
			free(desc);
	} else if (!st && fmt == CHART_PDF) {
		buf_put(out, cs.bytes.data ? cs.bytes.data : "", cs.bytes.size);
	}
	chart_surface_free(&cs);
	free(own);
	buf_free(&series);
	buf_free(&text);
	/* Cairo's allocation failed: the one out-of-memory exit, not a message per chart. */
	if (st == CAIRO_STATUS_NO_MEMORY)
		out_of_memory();
	return st;
}

int chart_write(const struct chart_spec *spec, enum chart_format fmt, const char *path,
                struct chart_info *info)
{
	return chart_write_described(spec, fmt, path, info, NULL);
}

int chart_write_described(const struct chart_spec *spec, enum chart_format fmt, const char *path,
                          struct chart_info *info, char **desc)
{
	return chart_write_extrema(spec, fmt, path, info, desc, NULL);
}

int chart_write_extrema(const struct chart_spec *spec, enum chart_format fmt, const char *path,
                        struct chart_info *info, char **desc, const struct chart_extrema *ex)
{
	struct buf b = BUF_INIT;
	if (desc)
		*desc = NULL;
	cairo_status_t st = chart_render_extrema(spec, fmt, NULL, &b, info, desc, ex);
	int ok = 0;

	if (st) {
		diag_msg("%s: cannot draw the chart: %s", path, cairo_status_to_string(st));
		goto out;
	}
	ok = chart_write_file(path, b.data ? b.data : "", b.size);
out:
	buf_free(&b);
	return ok;
}

int chart_write_sparkline(const struct chart_point *pts, size_t n, int color, int width,
                          int height, const char *path)
{
	struct chart_surface cs;
	cairo_t *cr;
	cairo_status_t st;
	struct chart_point *d = NULL;
	double W = width > 0 ? width : 100, H = height > 0 ? height : 24, rgb[3];
	double xlo = INFINITY, xhi = -INFINITY, ylo = INFINITY, yhi = -INFINITY, pad = 2;
	size_t nd = 0, lastf = (size_t)-1;
	int ok = 0, open = 0;

	st = chart_surface_open(&cs, CHART_SVG, W, H, 1, NULL);
	if (st) {
		diag_msg("%s: cannot draw the sparkline: %s", path, cairo_status_to_string(st));
		goto out;
	}
	cr = cs.cr;
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
	st = chart_surface_finish(&cs, NULL);
	if (st == CAIRO_STATUS_NO_MEMORY)
		out_of_memory();
	if (st) {
		diag_msg("%s: cannot draw the sparkline: %s", path, cairo_status_to_string(st));
		goto out;
	}
	chart_svg_renumber(&cs.bytes, 0);
	ok = chart_write_file(path, cs.bytes.data ? cs.bytes.data : "", cs.bytes.size);
out:
	chart_surface_free(&cs);
	free(d);
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

static atomic_ulong describe_calls;

unsigned long chart_describe_calls(void)
{
	return atomic_load(&describe_calls);
}

/* The first points of series se with its least and its greatest finite y,
 * SIZE_MAX for both when no y is finite: one chart_extrema_scan of every
 * point; only when it finds an infinity among them (or nothing), a second
 * of the finite ones (as chart_points_range). */
static struct chart_extrema series_extrema(const struct chart_series *se)
{
	struct chart_extrema_scan sc = CHART_EXTREMA_SCAN_INIT;
	size_t n = se->pts ? se->n : 0;
	for (size_t i = 0; i < n; i++)
		chart_extrema_scan(&sc, i, se->pts[i].y);
	if (!chart_extrema_found(&sc)) {
		sc = (struct chart_extrema_scan)CHART_EXTREMA_SCAN_INIT;
		for (size_t i = 0; i < n; i++)
			if (isfinite(se->pts[i].y))
				chart_extrema_scan(&sc, i, se->pts[i].y);
	}
	return sc.at;
}

struct chart_extrema *chart_series_extrema(const struct chart_spec *spec)
{
	struct chart_extrema *ex = xcalloc(spec->nseries ? spec->nseries : 1, sizeof *ex);
	for (size_t s = 0; s < spec->nseries; s++)
		ex[s] = series_extrema(&spec->series[s]);
	return ex;
}

int chart_log_from_extrema(const struct chart_spec *spec, const struct chart_extrema *ex)
{
	double lo = INFINITY, hi = -INFINITY;
	for (size_t s = 0; s < spec->nseries; s++) {
		if (ex[s].lo == (size_t)-1)
			continue;
		double a = spec->series[s].pts[ex[s].lo].y, b = spec->series[s].pts[ex[s].hi].y;
		lo = a < lo ? a : lo;
		hi = b > hi ? b : hi;
	}
	return chart_log_range(lo, hi);
}

char *chart_describe(const struct chart_spec *spec, const struct chart_info *info)
{
	struct chart_extrema *ex = chart_series_extrema(spec);
	char *d = chart_describe_extrema(spec, info, ex);
	free(ex);
	return d;
}

char *chart_describe_extrema(const struct chart_spec *spec, const struct chart_info *info,
                             const struct chart_extrema *ex)
{
	if (!ex)
		return chart_describe(spec, info);
	atomic_fetch_add(&describe_calls, 1);
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
		lo = ex[s].lo;
		hi = ex[s].hi;
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

void chart_put_half(struct buf *b, double v)
{
	double twice = v * 2;
	/* below 100,000 a half-integer has at most the 6 digits "%g" keeps */
	if (!(fabs(twice) < 200000) || twice != (double)(long)twice || (v == 0 && signbit(v))) {
		buf_printf(b, "%g", v);
		return;
	}
	long h = (long)twice;
	char s[16], *p = s + sizeof s;
	unsigned long whole = (unsigned long)(h < 0 ? -h : h) / 2;
	if (h % 2) {
		*--p = '5';
		*--p = '.';
	}
	do
		*--p = (char)('0' + whole % 10);
	while (whole /= 10);
	if (h < 0)
		*--p = '-';
	buf_put(b, p, (size_t)(s + sizeof s - p));
}

char *chart_sparkline_path(const struct chart_point *pts, size_t n, int width, int height,
                           double end[2])
{
	double W = width > 0 ? width : 100, H = height > 0 ? height : 24, pad = 2;
	double xlo = INFINITY, xhi = -INFINITY, ylo = INFINITY, yhi = -INFINITY;
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
	if (!n || !(yhi >= ylo))
		return NULL;
	if (xhi == xlo) {
		xlo -= 1;
		xhi += 1;
	}
	if (yhi == ylo) {
		ylo -= 1;
		yhi += 1;
	}
	double sx = (W - 2 * pad) / (xhi - xlo), sy = (H - 2 * pad) / (yhi - ylo);
	struct chart_point *d = xreallocarray(NULL, n, sizeof *d);
	/* one M4 column per two CSS pixels, on a half-pixel grid: a few
	 * hundred bytes a run, for a table of hundreds of runs */
	size_t nd = chart_m4(pts, n, 0, xlo, sx / 2, d);
	struct buf b = BUF_INIT;
	int open = 0;
	for (size_t i = 0; i < nd; i++) {
		if (!isfinite(d[i].y)) {
			open = 0;
			continue;
		}
		double X = round((pad + (d[i].x - xlo) * sx) * 2) / 2;
		double Y = round((H - pad - (d[i].y - ylo) * sy) * 2) / 2;
		if (open && X == end[0] && Y == end[1])
			continue;
		buf_putc(&b, open ? 'L' : 'M');
		chart_put_half(&b, X);
		buf_putc(&b, ' ');
		chart_put_half(&b, Y);
		open = 1;
		end[0] = X;
		end[1] = Y;
	}
	free(d);
	if (!b.size) {
		buf_free(&b);
		return NULL;
	}
	buf_putc(&b, '\0');
	return b.data;
}
