/* surface.c — what every chart file shares, line charts, sparklines and
 * sweeps alike: the palette, the Cairo surface of each format (SVG and PDF
 * into memory, PNG on this thread's canvas), the Pango text setup, Cairo's
 * SVG surface names made stable, and writing the file. */
#include <errno.h>
#include <fontconfig/fontconfig.h>
#include <glib.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <cairo-pdf.h>
#include <cairo-svg.h>

#include "chart_internal.h"
#include "runsite/diag.h"
#include "runsite/util.h"

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

/* ---- surfaces ---- */

static cairo_status_t to_buf(void *closure, const unsigned char *data, unsigned int len)
{
	buf_put(closure, data, len);
	return CAIRO_STATUS_SUCCESS;
}

cairo_status_t chart_surface_open(struct chart_surface *s, enum chart_format fmt, double W,
                                  double H, double scale, const char *pdf_title)
{
	memset(s, 0, sizeof *s);
	s->fmt = fmt;
	s->scale = fmt == CHART_PNG ? scale : 1;
	switch (fmt) {
	case CHART_SVG:
		s->sf = cairo_svg_surface_create_for_stream(to_buf, &s->bytes, W, H);
		cairo_svg_surface_restrict_to_version(s->sf, CAIRO_SVG_VERSION_1_1);
		cairo_svg_surface_set_document_unit(s->sf, CAIRO_SVG_UNIT_PX);
		break;
	case CHART_PNG: {
		int pw = (int)ceil(W * s->scale), ph = (int)ceil(H * s->scale);
		int stride = cairo_format_stride_for_width(CAIRO_FORMAT_ARGB32, pw);
		if (stride <= 0 || pw > 32767 || ph > 32767)
			return CAIRO_STATUS_INVALID_SIZE;
		s->sf = cairo_image_surface_create_for_data(
		        chart_png_canvas((size_t)stride * (size_t)ph), CAIRO_FORMAT_ARGB32, pw, ph,
		        stride);
		break;
	}
	case CHART_PDF:
		s->sf = cairo_pdf_surface_create_for_stream(to_buf, &s->bytes, W, H);
		/* Cairo stamps the time of drawing otherwise; same input, same bytes. */
		cairo_pdf_surface_set_metadata(s->sf, CAIRO_PDF_METADATA_CREATE_DATE, "");
		if (pdf_title) {
			char *t = g_utf8_make_valid(pdf_title, (gssize)strnlen(pdf_title, 4096));
			cairo_pdf_surface_set_metadata(s->sf, CAIRO_PDF_METADATA_TITLE, t);
			g_free(t);
		}
		break;
	}
	cairo_status_t st = cairo_surface_status(s->sf);
	if (st)
		return st;
	s->cr = cairo_create(s->sf);
	if ((st = cairo_status(s->cr)))
		return st;
	cairo_scale(s->cr, s->scale, s->scale);
	return CAIRO_STATUS_SUCCESS;
}

cairo_status_t chart_surface_finish(struct chart_surface *s, struct buf *png)
{
	cairo_status_t st = cairo_status(s->cr);
	if (st)
		return st;
	cairo_destroy(s->cr);
	s->cr = NULL;
	if (s->fmt == CHART_PNG) {
		cairo_surface_flush(s->sf);
		if ((st = cairo_surface_status(s->sf)))
			return st;
		chart_png_encode(png, s->sf);
		return CAIRO_STATUS_SUCCESS;
	}
	cairo_surface_finish(s->sf);
	return cairo_surface_status(s->sf);
}

void chart_surface_free(struct chart_surface *s)
{
	if (s->cr)
		cairo_destroy(s->cr);
	if (s->sf)
		cairo_surface_destroy(s->sf);
	buf_free(&s->bytes);
	memset(s, 0, sizeof *s);
}

/* Cairo names its surfaces in the SVG ("surface6") with a counter that runs
 * across the whole process; renumber them by first appearance in place, so
 * the same chart gives the same bytes whatever was drawn before it. */
void chart_svg_renumber(struct buf *b, size_t from)
{
	struct buf o = BUF_INIT;
	unsigned long seen[32];
	size_t nseen = 0;
	const char *p = b->data ? b->data + from : "", *end = p + (b->size - from);

	buf_put(&o, b->data ? b->data : "", from);
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

/* ---- text ---- */

/* Fontconfig's configuration, made the process's before Pango first asks
 * for it. Left to Pango, FcInit reads it and then parses every file of
 * fontconfig's template folder once more (FcConfigParseOnly), only so that
 * fc-conflist can describe them: two fifths of fontconfig's start-up, and
 * no match changes without it. Anything unusual (no configuration, no cache
 * folder, FC_DEBUG set) is left to FcInit, as before. */
static void fc_config_load(void)
{
	if (getenv("FC_DEBUG"))
		return;
	FcConfig *config = FcConfigCreate();
	if (!config)
		return;
	FcStrList *caches = FcConfigParseAndLoad(config, NULL, FcTrue)
	                            ? FcConfigGetCacheDirs(config)
	                            : NULL;
	if (caches && FcStrListNext(caches))
		FcConfigSetCurrent(config); /* which reads its fonts from the caches */
	if (caches)
		FcStrListDone(caches);
	FcConfigDestroy(config);
}

void chart_text_open(struct chart_text *t, cairo_t *cr)
{
	/* Every Pango layout of runsite starts here, so this is before any. */
	static pthread_once_t fc_once = PTHREAD_ONCE_INIT;
	pthread_once(&fc_once, fc_config_load);
	/* Unhinted metrics: the same layout on every surface and scale. */
	t->fo = cairo_font_options_create();
	cairo_font_options_set_hint_metrics(t->fo, CAIRO_HINT_METRICS_OFF);
	cairo_font_options_set_hint_style(t->fo, CAIRO_HINT_STYLE_NONE);
	cairo_font_options_set_antialias(t->fo, CAIRO_ANTIALIAS_GRAY);
	t->lay = pango_cairo_create_layout(cr);
	PangoContext *ctx = pango_layout_get_context(t->lay);
	pango_cairo_context_set_font_options(ctx, t->fo);
	/* The language text is laid out in, named: left unset, Pango takes
	 * the default for a label but none for the "…" of an ellipsized one,
	 * and each language is a font set of its own, found by fontconfig
	 * (two threads and a sort of the fonts per font map). */
	pango_context_set_language(ctx, pango_language_get_default());
	pango_layout_context_changed(t->lay);
	pango_layout_set_single_paragraph_mode(t->lay, TRUE);
	pango_layout_set_ellipsize(t->lay, PANGO_ELLIPSIZE_END);
	t->font = pango_font_description_from_string(CHART_FONT);
	pango_font_description_set_absolute_size(t->font, CHART_FONT_PX * PANGO_SCALE);
	t->title_font = pango_font_description_copy(t->font);
	pango_font_description_set_absolute_size(t->title_font, CHART_TITLE_PX * PANGO_SCALE);
	pango_font_description_set_weight(t->title_font, PANGO_WEIGHT_BOLD);
}

void chart_text_close(struct chart_text *t)
{
	pango_font_description_free(t->font);
	pango_font_description_free(t->title_font);
	g_object_unref(t->lay);
	cairo_font_options_destroy(t->fo);
	memset(t, 0, sizeof *t);
}

/* ---- SVG text ---- */

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


/* Appends v rounded to 1/100 px, shortest: 12.5, -3, .25 */
static void put_coord(struct buf *b, double v)
{
	long long c = llround(v * 100);
	long long a = c < 0 ? -c : c;

	if (!isfinite(v) || a > 100000000000LL)
		c = a = 0;
	if (c < 0)
		buf_putc(b, '-');
	if (a >= 100 || a == 0)
		buf_printf(b, "%lld", a / 100);
	if (a % 100)
		buf_printf(b, a % 10 ? ".%02lld" : ".%lld", a % 10 ? a % 100 : a % 100 / 10);
}

/* The text Pango shows for lay when it ellipsizes: the longest prefix of
 * whole characters that fits the width with "…" after it, measured the
 * same way. The layout is left as it was. Caller frees. */
static char *ellipsized_text(PangoLayout *lay)
{
	char *full = g_strdup(pango_layout_get_text(lay));
	int maxw = pango_layout_get_width(lay);
	glong nch = g_utf8_strlen(full, -1), lo = 0, hi = nch;
	struct buf t = BUF_INIT;
	PangoRectangle r;

	pango_layout_set_width(lay, -1);
	while (lo < hi) { /* the largest k in [0, nch) whose prefix fits */
		glong k = (lo + hi + 1) / 2;
		t.size = 0;
		buf_put(&t, full, (size_t)(g_utf8_offset_to_pointer(full, k) - full));
		buf_puts(&t, "\xe2\x80\xa6");
		pango_layout_set_text(lay, t.data, (int)t.size);
		pango_layout_get_extents(lay, NULL, &r);
		if (k < nch && r.width <= maxw)
			lo = k;
		else
			hi = k - 1;
	}
	t.size = 0;
	buf_put(&t, full, (size_t)(g_utf8_offset_to_pointer(full, lo) - full));
	buf_puts(&t, "\xe2\x80\xa6");
	pango_layout_set_text(lay, full, -1);
	pango_layout_set_width(lay, maxw);
	g_free(full);
	return buf_detach(&t);
}

void chart_svg_text(struct buf *out, cairo_t *cr, PangoLayout *lay, double x, double y,
                    int anchor, int bold)
{
	PangoRectangle r;
	cairo_matrix_t m;
	char *ell = NULL;
	const char *text = pango_layout_get_text(lay);

	if (!text || !*text)
		return;
	pango_layout_get_extents(lay, NULL, &r);
	if (pango_layout_is_ellipsized(lay))
		text = ell = ellipsized_text(lay);
	x += (r.x + (anchor == 1 ? r.width / 2.0 : anchor == 2 ? r.width : 0)) / PANGO_SCALE;
	y += pango_layout_get_baseline(lay) / (double)PANGO_SCALE;
	cairo_get_matrix(cr, &m);
	BUF_PUTSL(out, "<text class=\"t\"");
	if (m.xx == 1 && m.yy == 1 && m.xy == 0 && m.yx == 0) {
		x += m.x0;
		y += m.y0;
	} else {
		double v[6] = {m.xx, m.yx, m.xy, m.yy, m.x0, m.y0};
		BUF_PUTSL(out, " transform=\"matrix(");
		for (int i = 0; i < 6; i++) {
			if (i)
				buf_putc(out, ' ');
			put_coord(out, v[i]);
		}
		BUF_PUTSL(out, ")\"");
	}
	BUF_PUTSL(out, " x=\"");
	put_coord(out, x);
	BUF_PUTSL(out, "\" y=\"");
	put_coord(out, y);
	buf_putc(out, '"');
	if (anchor == 1)
		BUF_PUTSL(out, " text-anchor=\"middle\"");
	else if (anchor == 2)
		BUF_PUTSL(out, " text-anchor=\"end\"");
	if (bold)
		buf_printf(out, " font-size=\"%g\" font-weight=\"bold\"", CHART_TITLE_PX);
	buf_putc(out, '>');
	chart_xml_escape(out, text, CHART_LABEL_BYTES * 2);
	BUF_PUTSL(out, "</text>");
	free(ell);
}

void chart_svg_text_layer(struct buf *out, const struct buf *text, double fg)
{
	int v = (int)lround(fg * 255);

	if (!text->size)
		return;
	/* A chart shown as <img> on a dark page: its text turns light with the
	 * page (an SVG picture follows prefers-color-scheme without script).
	 * Lines are palette colours and mid greys that read on both. */
	if (fg == CHART_FG_SCREEN)
		BUF_PUTSL(out, "<style>@media (prefers-color-scheme: dark) { text.t { fill: "
		               CHART_FG_DARK_HEX " } }</style>\n");
	buf_printf(out,
	           "<g font-family=\"" CHART_SVG_FONT_STACK "\" font-size=\"%g\" "
	           "fill=\"#%02x%02x%02x\" xml:space=\"preserve\">",
	           CHART_FONT_PX, v, v, v);
	buf_put(out, text->data, text->size);
	BUF_PUTSL(out, "</g>\n");
}

void chart_svg_append_layer(struct buf *svg, const struct buf *layer)
{
	const char *close = NULL, *s = svg->data ? svg->data : "", *end = s + svg->size;

	if (!layer->size)
		return;
	for (const char *t = s; (t = memmem(t, (size_t)(end - t), "</svg>", 6)); t += 6)
		close = t;
	if (!close) {
		buf_put(svg, layer->data, layer->size);
		return;
	}
	struct buf o = BUF_INIT;
	buf_put(&o, s, (size_t)(close - s));
	buf_put(&o, layer->data, layer->size);
	buf_put(&o, close, (size_t)(end - close));
	buf_free(svg);
	*svg = o;
}

/* ---- files ---- */

int chart_write_file(const char *path, const void *data, size_t n)
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

/* The surfaces charts lay text out on: the fonts of each are a font set of
 * their own (Pango keys them by surface options and scale). */
static const struct {
	enum chart_format fmt;
	double scale;
} kinds[] = {{CHART_SVG, 1}, {CHART_PNG, 1}, {CHART_PNG, 2}};

/* Fontconfig does not check its allocations: a font first asked for by a
 * chart worker under memory pressure can crash it. Pango keeps the fontsets
 * it made (keyed by description, surface options and scale), so laying out
 * text here, with every font and surface the workers use, makes their
 * fontconfig work happen now, before the store takes the memory. */
void chart_fonts_load(unsigned formats)
{
	/* The kinds below whose fonts this thread's font map holds: each is
	 * laid out once a thread, however often the thread is asked to. */
	static _Thread_local unsigned loaded;
	unsigned want = 0;
	for (size_t i = 0; formats && i < sizeof kinds / sizeof kinds[0]; i++)
		/* A PNG surface's fonts only when PNGs are drawn: the SVG (and
		 * PDF) text is laid out on the SVG kind. */
		if (kinds[i].fmt != CHART_PNG || (formats & (1u << CHART_PNG)))
			want |= 1u << i;
	if (!(want & ~loaded))
		return; /* no chart is drawn, or its fonts are here */
	/* Room for Pango's font thread and fontconfig's work, checked first:
	 * without it, out of memory is our clean exit rather than its crash. */
	size_t room = 16u << 20;
	void *probe = mmap(NULL, room, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (probe == MAP_FAILED)
		out_of_memory();
	munmap(probe, room);
	for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
		if (!(want & ~loaded & (1u << i)))
			continue;
		loaded |= 1u << i;
		struct chart_surface cs;
		if (chart_surface_open(&cs, kinds[i].fmt, 16, 16, kinds[i].scale, NULL) ==
		    CAIRO_STATUS_SUCCESS) {
			struct chart_text t;
			chart_text_open(&t, cs.cr);
			PangoRectangle r;
			/* The characters charts draw besides the names they show. */
			pango_layout_set_text(t.lay, "0123456789.,-+e Aa (best ↓↑) …—±Δ", -1);
			pango_layout_set_font_description(t.lay, t.font);
			pango_layout_get_extents(t.lay, NULL, &r);
			pango_layout_set_font_description(t.lay, t.title_font);
			pango_layout_get_extents(t.lay, NULL, &r);
			/* Ellipsized, as long labels are. */
			pango_layout_set_width(t.lay, 20 * PANGO_SCALE);
			pango_layout_get_extents(t.lay, NULL, &r);
			pango_layout_set_font_description(t.lay, t.font);
			pango_layout_get_extents(t.lay, NULL, &r);
			chart_text_close(&t);
		}
		chart_surface_free(&cs);
	}
}
