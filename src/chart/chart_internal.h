/* chart_internal.h — pieces of the chart module shared by its files and its
 * unit tests: tick choice and number formats, smoothing, M4 decimation and the
 * drawing entry point. Nothing here knows about files or run stores. */
#ifndef RUNSITE_CHART_INTERNAL_H
#define RUNSITE_CHART_INTERNAL_H

#include <cairo.h>
#include <math.h>
#include <stddef.h>

#include <pango/pangocairo.h>

#include "runsite/chart.h"
#include "runsite/util.h"

#define CHART_MAX_TICKS 24
#define CHART_LABEL_MAX 48
#define CHART_FONT "DejaVu Sans"
#define CHART_FONT_PX 11.0  /* labels, ticks, legend */
#define CHART_TITLE_PX 13.0 /* the title, bold */
/* Text and rule colours: mid-tone greys that read on white and on near-black
 * pages alike, since a chart's background is transparent; darker on paper. */
#define CHART_FG_SCREEN (0x76 / 255.0)
#define CHART_FG_PAPER (0x22 / 255.0)
/* Text on a dark page (the SVG's prefers-color-scheme: dark style). */
#define CHART_FG_DARK_HEX "#a9b1bf"
/* The dark page's background (assets/style.css --bg), for halos. */
#define CHART_BG_DARK_HEX "#0f1217"
#define CHART_NPALETTE 6 /* colours before line styles change */
#define CHART_FAINT_GREY 0.55 /* the faint rest of a sweep (chart_series.faint) */

/* What the numbers on an axis mean, which decides how they are written. */
enum chart_axis_kind {
	CHART_AXIS_VALUE,    /* metric values */
	CHART_AXIS_STEP,     /* training steps */
	CHART_AXIS_TIME,     /* seconds since the Unix epoch, written as UTC dates/times */
	CHART_AXIS_RELATIVE, /* seconds since the run started, written as durations */
};

/* One axis after layout: visible range, ticks and their labels. */
struct chart_axis {
	double lo, hi; /* visible range in axis units (log10 of the value on a log axis) */
	int log;       /* 1: logarithmic (ticks and range are log10 values) */
	size_t n;      /* number of ticks */
	double tick[CHART_MAX_TICKS];              /* in axis units, increasing */
	char label[CHART_MAX_TICKS][CHART_LABEL_MAX];
	double label_w, label_h; /* the largest label's size in px */
};

/* Measures text in px (the chart's font); tests pass a fake one. */
typedef void (*chart_measure_fn)(void *ctx, const char *text, double *w, double *h);

/* Heckbert's nice number: 1, 2, 5 or 10 times a power of ten near x; rounded
 * when round is set, otherwise the smallest nice number ≥ x. x > 0. */
double chart_nice_num(double x, int round);

/* Nice ticks inside [lo, hi] about `target` of them (Heckbert), at most max.
 * Returns the count and sets *step. */
size_t chart_ticks_linear(double lo, double hi, size_t target, double *out, size_t max,
                          double *step);

/* Writes labels for ax->tick[0..n) in a format that fits the range: one
 * number of decimals along the axis, k/M/G suffixes for large values,
 * 1e-4 style for tiny ones, dates or durations for time axes. */
void chart_axis_format(struct chart_axis *ax, enum chart_axis_kind kind);

/* Chooses ticks for [lo, hi] (axis units) on an axis `length` px long whose
 * labels do not overlap: the most ticks whose labels still fit, measured with
 * m. vertical: labels are stacked (y axis), else side by side (x axis). */
void chart_axis_layout(struct chart_axis *ax, double lo, double hi, int log,
                       enum chart_axis_kind kind, double length, int vertical,
                       chart_measure_fn m, void *ctx);

/* TensorBoard's classic debiased EMA of y[0..n) into out (which may be y).
 * w is clamped to [0, 1]; non-finite w means 0. */
void chart_smooth(const double *y, size_t n, double w, double *out);

/* Whether log-y should be suggested: every finite value is > 0 and they
 * span three decades or more. */
int chart_log_suggested(const struct chart_spec *spec);
/* The same rule, given the least and greatest finite value (lo > hi: none). */
int chart_log_range(double lo, double hi);

/* M4 decimation of pts[0..n) (sorted by x): per device pixel column
 * floor(x0 + (x - xlo) * sx), keep the first, last, min and max finite point
 * in their original order; a run of non-finite y values keeps its first
 * point (a gap, and where a run diverged). With logy, y ≤ 0 is a gap.
 * Writes at most 4 points per column (plus gaps) into out, which must hold
 * n points; returns the count. */
size_t chart_m4(const struct chart_point *pts, size_t n, double x0, double xlo, double sx,
                struct chart_point *out);

/* y in axis units: log10 on a log axis, where y ≤ 0 is hidden (a NaN with
 * the sign bit set: no line, no marker). */
static inline double axis_y(double y, int logy)
{
	return !logy || isnan(y) ? y : y > 0 ? log10(y) : copysign(NAN, -1);
}

/* Whether isfinite(axis_y(y, logy)), without the log10. */
static inline int axis_shows(double y, int logy)
{
	return isfinite(y) && (!logy || y > 0);
}

/* The device pixel column M4 puts x in: floor(x0 + (x - xlo) * sx),
 * clamped to ±1e15 so the conversion is defined. */
static inline long long chart_m4_col(double x0, double xlo, double sx, double x)
{
	double c = floor(x0 + (x - xlo) * sx);
	c = c < -1e15 ? -1e15 : c > 1e15 ? 1e15 : c;
	return (long long)c;
}

/* Column bounds searched by M4 in this thread (for the tests: about two
 * a column, not a point). */
extern _Thread_local unsigned long chart_m4_bound_searches;

/* The paths M4 can take through a column: point by point, or 8 points at
 * a time with AVX-512 (the same points kept). chart_m4_simd(want) makes
 * the decimation take path want, or the best this CPU has when want is -1
 * or beyond it; returns the path taken. */
enum { CHART_M4_SIMD_NONE, CHART_M4_SIMD_AVX512 };
int chart_m4_simd(int want);

/* chart_m4, also telling whether some column held two finite points or more
 * (the series is dense at this width). dense may be NULL. */
size_t chart_m4_dense(const struct chart_point *pts, size_t n, double x0, double xlo, double sx,
                      int logy, struct chart_point *out, int *dense);

/* One pass over pts doing chart_m4_dense into out (*nout points) and, on
 * the same columns, M4 of TensorBoard's smoothing (weight w, the same
 * doubles as chart_smooth) of their y values into out_s (*nout_s). With
 * logy both outputs are log10'd and y ≤ 0 is hidden. out and out_s hold n
 * points. */
void chart_m4_smooth(const struct chart_point *pts, size_t n, double x0, double xlo, double sx,
                     double w, int logy, struct chart_point *out, size_t *nout,
                     struct chart_point *out_s, size_t *nout_s, int *dense);

/* A series layer written as SVG markup (svgpath.c): path data on the 1/8 px
 * grid, painted like Cairo would paint the same path. */
struct svg_pen {
	struct buf *out; /* the layer's markup, appended */
	struct buf d;    /* the path being built */
	long long x, y, sx, sy; /* current point and subpath start, 1/8 px */
	char last;       /* the last path command written */
};

/* Opens the layer in out, clipped to the rectangle (l, t)-(r, b). */
void svgpen_begin(struct svg_pen *p, struct buf *out, double l, double t, double r, double b);
void svgpen_move(struct svg_pen *p, double x, double y);
void svgpen_line(struct svg_pen *p, double x, double y);
void svgpen_close(struct svg_pen *p);
/* A full circle as its own subpath, like cairo_new_sub_path + cairo_arc. */
void svgpen_circle(struct svg_pen *p, double x, double y, double r);
/* Paints the path built so far (non-zero rule) and starts a new one. */
void svgpen_fill(struct svg_pen *p, const double rgb[3], double alpha);
/* Strokes it (round caps and joins, as the layer says) and starts a new one. */
void svgpen_stroke(struct svg_pen *p, const double rgb[3], double alpha, double lw,
                   const double *dash, int ndash);
/* Fills it, then strokes it on top, as one element (a marker's disc and ring). */
void svgpen_fill_stroke(struct svg_pen *p, const double fill[3], double fill_alpha,
                        const double stroke[3], double stroke_alpha, double lw);
/* Closes the layer. */
void svgpen_end(struct svg_pen *p);

/* Drawing options that are not part of the public spec. */
struct chart_draw_opts {
	int no_decimate; /* draw every point (tests compare it with the M4 picture) */
	int paper;       /* opaque white background, dark text (PDF) */
	double columns;  /* device pixels per CSS px used for decimation (PNG: scale) */
	struct chart_axis *x_out, *y_out; /* when set, receive the axes as laid out */
	struct buf *svg_series; /* when set, the series are written here as SVG
	                         * markup instead of drawn on cr */
	struct buf *svg_text;   /* when set, text goes here as SVG <text>
	                         * elements (chart_svg_text) instead of glyphs on cr */
	int auto_log_y; /* spec->log_y < 0 decided by the caller: 1 linear, 2 log; 0: not */
};

/* The extrema (chart.h) of each series of spec, an array of spec->nseries the caller frees. */
struct chart_extrema *chart_series_extrema(const struct chart_spec *spec);
/* chart_log_suggested(spec), from the extrema of its series. */
int chart_log_from_extrema(const struct chart_spec *spec, const struct chart_extrema *ex);

/* Draws the chart on cr, whose user space is width×height CSS px. Returns 1,
 * or 0 when Cairo reports an error (the status is left on cr). */
int chart_draw(const struct chart_spec *spec, cairo_t *cr, const struct chart_draw_opts *o,
               struct chart_info *info);

/* Renders the chart's file bytes into out (appended). o may be NULL for the
 * defaults of fmt. Returns Cairo's status; does not report. */
cairo_status_t chart_render(const struct chart_spec *spec, enum chart_format fmt,
                            const struct chart_draw_opts *o, struct buf *out,
                            struct chart_info *info);
/* chart_render, and *desc (when desc is not NULL) gets an SVG's
 * description (chart_describe; caller frees), NULL for other formats. */
cairo_status_t chart_render_described(const struct chart_spec *spec, enum chart_format fmt,
                                      const struct chart_draw_opts *o, struct buf *out,
                                      struct chart_info *info, char **desc);
/* chart_render_described with the series' extrema as found already (NULL:
 * found here). */
cairo_status_t chart_render_extrema(const struct chart_spec *spec, enum chart_format fmt,
                                    const struct chart_draw_opts *o, struct buf *out,
                                    struct chart_info *info, char **desc,
                                    const struct chart_extrema *ex_in);

/* This thread's zeroed pixel buffer of at least `bytes`, reused by the next
 * call on the same thread (so a surface on it must be gone by then). */
unsigned char *chart_png_canvas(size_t bytes);

/* Appends img (ARGB32) as a PNG file's bytes. */
void chart_png_encode(struct buf *out, cairo_surface_t *img);

/* ---- fingerprint.c: the fields the build cache's digest reads ---- */

enum chart_field_kind {
	CHART_F_STR,    /* const char *, NULL apart from "" */
	CHART_F_INT,    /* int or enum */
	CHART_F_DOUBLE,
	CHART_F_SIZE,   /* size_t */
	CHART_F_POINTS, /* const struct chart_point *, count_offset its length */
	CHART_F_SERIES, /* const struct chart_series *, count_offset its length */
	CHART_F_PAD,    /* an alignment hole: not hashed, listed so every byte is named */
	CHART_F_SPARE,  /* what a caller found of the points to spare the chart a pass
	                 * (chart_series.scan): not hashed, the picture is the same */
};

/* One field of a struct as the fingerprint hashes it. */
struct chart_field {
	const char *name;          /* NULL ends a table */
	size_t offset, size;
	enum chart_field_kind kind;
	size_t count_offset;       /* arrays: the offset of their count field */
};

/* Every field of struct chart_spec and of struct chart_series, in order;
 * test_fingerprint checks that they cover every byte of both structs. */
extern const struct chart_field chart_spec_fields[];
extern const struct chart_field chart_series_fields[];

/* ---- surface.c: what every chart file shares ---- */

/* Palette colour i as 0..1 components. */
void chart_color_rgb(int i, double rgb[3]);

/* A chart's Cairo surface and context: SVG and PDF written into bytes, PNG
 * drawn on this thread's canvas at `scale` pixels per CSS px. */
struct chart_surface {
	enum chart_format fmt;
	cairo_surface_t *sf;
	cairo_t *cr;     /* user space: W×H CSS px */
	double scale;    /* 1 but for PNG */
	struct buf bytes; /* SVG, PDF: the file as Cairo wrote it (after finish) */
};
/* Makes the surface for fmt, W×H CSS px; pdf_title (may be NULL) goes into
 * a PDF's metadata. Returns Cairo's status; chart_surface_free either way. */
cairo_status_t chart_surface_open(struct chart_surface *s, enum chart_format fmt, double W,
                                  double H, double scale, const char *pdf_title);
/* Ends the drawing: a PNG is encoded into png, an SVG or PDF is left in
 * s->bytes. Returns Cairo's status (the drawing's first). */
cairo_status_t chart_surface_finish(struct chart_surface *s, struct buf *png);
void chart_surface_free(struct chart_surface *s);
/* Renumbers Cairo's process-wide "surfaceN" names in b from byte `from` by
 * first appearance, so a chart's bytes do not depend on what was drawn before. */
void chart_svg_renumber(struct buf *b, size_t from);

/* The Pango layout and fonts a chart's text is set with: unhinted metrics
 * (the same layout on every surface and scale), one line, ellipsized. */
struct chart_text {
	PangoLayout *lay;
	PangoFontDescription *font, *title_font; /* CHART_FONT_PX, CHART_TITLE_PX bold */
	cairo_font_options_t *fo;
};
void chart_text_open(struct chart_text *t, cairo_t *cr);
void chart_text_close(struct chart_text *t);

/* SVG text: <text> elements placed with Pango's measurements, in a group
 * giving the font stack, size and fill as presentation attributes (so a
 * page's CSS can restyle class "t", for a dark theme). */
#define CHART_SVG_FONT_STACK "DejaVu Sans, system-ui, sans-serif"
/* Appends the text set on lay (with its width, ellipsized as Pango would)
 * as one <text class="t"> whose layout box has its top-left corner at
 * (x, y) in cr's user space, under cr's transformation. anchor: 0 start,
 * 1 middle, 2 end of the box, so a fallback font keeps the alignment.
 * bold marks the title font. */
void chart_svg_text(struct buf *out, cairo_t *cr, PangoLayout *lay, double x, double y,
                    int anchor, int bold);
/* Appends the text layer of chart_svg_text elements in text, grouped, to out;
 * on screen (fg CHART_FG_SCREEN) with a style that lightens it on dark pages. */
void chart_svg_text_layer(struct buf *out, const struct buf *text, double fg);
/* Inserts layer before svg's closing </svg> tag. */
void chart_svg_append_layer(struct buf *svg, const struct buf *layer);

/* Writes n bytes to path; reports and returns 0 on failure. */
int chart_write_file(const char *path, const void *data, size_t n);

/* XML-escapes s (any bytes) into b: invalid UTF-8 and control characters
 * become U+FFFD or spaces, so the result is always well-formed text. */
void chart_xml_escape(struct buf *b, const char *s, size_t maxbytes);


/* ---- sweep.c ---- */

/* text shortened to fit maxw px as measured by m: its head and tail with
 * "…" for the middle, so names that share a start stay apart ("adam",
 * "adamw"; "cosine_with_restarts", "cosine_with_warmup"). Valid UTF-8 into
 * out. */
void chart_abbreviate(const char *text, double maxw, chart_measure_fn m, void *ctx, char *out,
                      size_t outsz);
/* The colour of t in [0, 1] on the sweep charts' sequential scale (viridis). */
void chart_scale_rgb(double t, double rgb[3]);

/* Labels are untrusted: Pango never sees more than this many bytes of one. */
#define CHART_LABEL_BYTES 512

/* Sets the layout's text from untrusted bytes: at most CHART_LABEL_BYTES,
 * valid UTF-8, control characters as spaces, one line. */
void chart_set_text(PangoLayout *lay, const char *s);

#endif
