/* chart.h — line charts drawn with Cairo and Pango, written as SVG, PNG or PDF.
 * The chart code knows series and styles only: never run stores or HTML. */
#ifndef RUNSITE_CHART_H
#define RUNSITE_CHART_H

#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct chart_point {
	double x; /* step, or seconds (absolute or since start) */
	double y; /* may be NaN or ±Inf: drawn as a gap, with a marker where a run diverged */
};

/* Widens [*lo, *hi] to the finite y (of_y) or x of the n points: first a
 * min and a max a point (a NaN fails both tests); only when an infinity is
 * among them is each value tested for being finite. Inline, so that of_y,
 * a constant where it is called, leaves no test in the loops. */
static inline void chart_points_range(const struct chart_point *pts, size_t n, bool of_y,
                                      double *lo, double *hi)
{
	double a = INFINITY, b = -INFINITY;
	for (size_t i = 0; i < n; i++) {
		double v = of_y ? pts[i].y : pts[i].x;
		a = v < a ? v : a;
		b = v > b ? v : b;
	}
	if (isinf(a) || isinf(b)) {
		a = INFINITY;
		b = -INFINITY;
		for (size_t i = 0; i < n; i++) {
			double v = of_y ? pts[i].y : pts[i].x;
			if (isfinite(v)) {
				a = v < a ? v : a;
				b = v > b ? v : b;
			}
		}
	}
	*lo = a < *lo ? a : *lo;
	*hi = b > *hi ? b : *hi;
}

struct chart_series {
	const char *label;              /* legend text (a run name); untrusted, any UTF-8 */
	const struct chart_point *pts;  /* sorted by x; any number of points (decimated inside) */
	size_t n;
	int color;                      /* palette index, fixed per run for the whole site */
	/* optional band drawn behind the line (seed groups, histograms); NULL for none */
	const struct chart_point *band_lo, *band_hi;
	size_t nband;
	/* 1: the rest of a sweep, drawn grey under the others (a line and its
	 * band, no best marker, last in the legend, named whole) */
	int faint;
	/* optional: pts as chart_extrema_scan_xy saw them, from a caller that
	 * passed over them anyway; spares the chart its own pass */
	const struct chart_extrema_scan *scan;
};

enum chart_x_kind { CHART_X_STEP, CHART_X_TIME, CHART_X_RELATIVE };
enum chart_goal { CHART_GOAL_NONE = 0, CHART_GOAL_MIN = -1, CHART_GOAL_MAX = 1 };
enum chart_format { CHART_SVG, CHART_PNG, CHART_PDF };

struct chart_spec {
	const char *title;   /* usually the metric name */
	const char *x_label; /* NULL: from x_kind */
	const char *y_label; /* may be NULL */
	int width, height;   /* CSS pixels; PNG is written at `scale` times this */
	double scale;        /* PNG pixel density, 2 by default */
	double smoothing;    /* TensorBoard's debiased EMA weight, 0 = off, < 1 */
	int log_y;           /* -1 decide automatically, 0 linear, 1 logarithmic */
	int clip_outliers;   /* 1: y range from the 1st to 99th percentile */
	enum chart_goal goal;
	enum chart_x_kind x_kind;
	const struct chart_series *series;
	size_t nseries;
};

/* What a rendered chart showed, for alt text and captions. */
struct chart_info {
	uint64_t points_total;  /* points given */
	uint64_t points_drawn;  /* points drawn after decimation */
	int log_y;              /* whether the y axis was logarithmic */
	int x_known;            /* chart_draw found x_lo, x_hi (not kept in the build cache) */
	double x_lo, x_hi;      /* the least and greatest finite x of every series */
};

/* The smoothing weight when none is asked for: TensorBoard's default. The
 * one place it is written; the commands' help text takes it from here. */
#define CHART_DEFAULT_SMOOTHING 0.6
#define CHART_STRINGIFY_(x) #x
#define CHART_STRINGIFY(x) CHART_STRINGIFY_(x)
#define CHART_DEFAULT_SMOOTHING_TEXT CHART_STRINGIFY(CHART_DEFAULT_SMOOTHING)

/* Series shorter than this are drawn without smoothing: averaging a few
 * dozen points shows values nobody logged (a 30-point lr series read 16
 * where 20 was logged). */
#define CHART_SMOOTH_MIN_POINTS 50

/* pts[0..n) as a chart draws them at `columns` pixel columns over
 * [xlo, xhi]: M4 keeps each column's first, last, lowest and highest point,
 * so every value kept is one that was logged. out has room for n points;
 * returns how many it holds. */
size_t chart_decimate(const struct chart_point *pts, size_t n, double xlo, double xhi,
                      int columns, struct chart_point *out);

/* Fills spec with defaults: 720×360, scale 2, CHART_DEFAULT_SMOOTHING, automatic log-y. */
void chart_spec_defaults(struct chart_spec *spec);

/* Writes the chart to path in the given format. Returns 1 on success, 0 on
 * failure, reported with the path and Cairo's status. info may be NULL. */
int chart_write(const struct chart_spec *spec, enum chart_format fmt, const char *path,
                struct chart_info *info);
/* chart_write, and *desc gets chart_describe(spec, info) of the chart
 * drawn when fmt is SVG (the text of its <desc>, worked out once), else
 * NULL. Caller frees. */
int chart_write_described(const struct chart_spec *spec, enum chart_format fmt, const char *path,
                          struct chart_info *info, char **desc);

/* Of a series: its first points with the least and with the greatest
 * finite y, SIZE_MAX for both when it has none. A chart finds them in a
 * pass over its points; a caller that passes over them anyway can find
 * them on the way (chart_extrema_scan) and hand them over. */
struct chart_extrema {
	size_t lo, hi;
};

/* The extrema as they are being found: feed every point in order (two
 * compares a point, a NaN failing both), then ask chart_extrema_found. */
struct chart_extrema_scan {
	double lo, hi;
	struct chart_extrema at;
	double last_x;
	/* fed by chart_extrema_scan_xy: every x so far finite and not below
	 * the one before it, and every y finite */
	bool ordered;
};
#define CHART_EXTREMA_SCAN_INIT {INFINITY, -INFINITY, {SIZE_MAX, SIZE_MAX}, -INFINITY, true}

static inline void chart_extrema_scan(struct chart_extrema_scan *sc, size_t i, double y)
{
	if (y < sc->lo) {
		sc->lo = y;
		sc->at.lo = i;
	}
	if (y > sc->hi) {
		sc->hi = y;
		sc->at.hi = i;
	}
}

/* chart_extrema_scan of point i at (x, y), and whether the points are in
 * order (see ordered): what a chart's own pass over them would find. */
static inline void chart_extrema_scan_xy(struct chart_extrema_scan *sc, size_t i, double x,
                                         double y)
{
	chart_extrema_scan(sc, i, y);
	sc->ordered &= isfinite(x) && x >= sc->last_x && isfinite(y);
	sc->last_x = x;
}

/* The extrema the scan found, or NULL when an infinity is among them or
 * no value was finite (the chart then looks for the finite ones itself). */
static inline const struct chart_extrema *chart_extrema_found(const struct chart_extrema_scan *sc)
{
	return isinf(sc->lo) || isinf(sc->hi) ? NULL : &sc->at;
}

/* chart_write_described with ex, the extrema of each series of spec as
 * chart_extrema_scan found them (NULL: the chart finds them). */
int chart_write_extrema(const struct chart_spec *spec, enum chart_format fmt, const char *path,
                        struct chart_info *info, char **desc, const struct chart_extrema *ex);

/* A small sparkline (no axes) as SVG into path. Returns 1 on success, 0 on failure. */
int chart_write_sparkline(const struct chart_point *pts, size_t n, int color, int width,
                          int height, const char *path);

/* The same sparkline as an SVG path's d for a width×height box, drawn in
 * the page (no file); end gets the last finite point's position for its
 * dot. NULL when there is nothing to draw. Caller frees. */
char *chart_sparkline_path(const struct chart_point *pts, size_t n, int width, int height,
                           double end[2]);

struct buf;
/* Appends v as "%g" writes it, quicker for a multiple of one half below
 * 100,000 (a sparkline's coordinates): digits, then ".5" for a half. */
void chart_put_half(struct buf *b, double v);

/* What the labels of series[0..n) share at their start and end, cut at a
 * separator ("-_./ "), so that each label's own part is
 * label[*pre .. strlen(label) - *suf): "mlp16-posw4-s3" and
 * "mlp16-posw4-s4" share the prefix "mlp16-posw4-" and are "s3", "s4".
 * Both 0 for fewer than two series or when a label's own part would be
 * empty. */
void chart_label_common(const struct chart_series *series, size_t n, size_t *pre, size_t *suf);

/* The shared part chart_label_common finds, as "mlp16-posw4-…" ("…" where
 * the labels differ), or NULL when there is none. Caller frees. */
char *chart_label_common_text(const struct chart_series *series, size_t n);

/* A sentence describing the chart for alt text: metric, runs, last and best
 * values. Caller frees. */
char *chart_describe(const struct chart_spec *spec, const struct chart_info *info);
/* chart_describe(spec, info), from the extrema of its series (NULL: found
 * here, as chart_describe does). */
char *chart_describe_extrema(const struct chart_spec *spec, const struct chart_info *info,
                             const struct chart_extrema *ex);
/* How many times chart_describe has run in this process (each call reads
 * every point of every series), for tests. */
unsigned long chart_describe_calls(void);

/* A digest (hex) of everything that decides the bytes chart_write() would
 * write for spec in fmt, this build's chart code included: the build cache
 * reuses a chart file whose digest is unchanged. */
#define CHART_FINGERPRINT_LEN 32
void chart_fingerprint(const struct chart_spec *spec, enum chart_format fmt,
                       char out[CHART_FINGERPRINT_LEN + 1]);

/* Distinct looks of a series in an overlay: 6 palette colours × 4 line
 * styles; a color index i draws as colour i % 6, style (i / 6) % 4. */
#define CHART_RUN_STYLES 24
/* Gives the series on one chart distinct looks, in order: each keeps its
 * colour index (the run's, fixed for the site) unless another series took
 * that look or its colour is used more than another colour; then the least
 * used colour from it on, and the first free line style. So up to 6 series
 * get 6 colours and up to 24 distinct looks; faint series are left alone. */
void chart_distinct_looks(struct chart_series *series, size_t n);
/* The line style (0 solid, 1 dashed, 2 dotted, 3 dash-dot) of a series of
 * colour index color on a chart of nseries. */
int chart_dash_index(int color, size_t nseries);

/* The palette colour for index i as "#rrggbb" (static storage). */
const char *chart_color_hex(int i);

/* Number formatting shared with the pages, so tables and axes agree. */
void chart_format_number(char *out, size_t outsz, double v);

/* Loads the font configuration and the chart font once, on the calling
 * thread, before charts are drawn: fontconfig reads its configuration on
 * first use, and under memory pressure a late first use prints its own
 * errors from a worker thread instead of failing cleanly. Only the fonts of
 * the chart formats in formats (a bit set of 1u << CHART_*) are loaded;
 * none when it is 0. Asked again on the same thread, it loads only the
 * fonts of formats not asked for before. */
void chart_fonts_load(unsigned formats);

/* ---- sweep charts (sweep.c): parallel coordinates and scatter ---- */

/* One dimension of a sweep: a param or the goal metric, one value per run. */
struct chart_dim {
	const char *label;       /* param or metric name; untrusted, any UTF-8 */
	const double *v;         /* per run; NaN: the run has none. With cats: the category index */
	const char *const *cats; /* category names (untrusted) for a non-numeric param; NULL: numeric */
	size_t ncats;
	int log;                 /* numeric: logarithmic axis (values <= 0 are left out) */
};

struct chart_sweep {
	const char *title;
	int width, height;           /* CSS pixels */
	double scale;                /* PNG pixel density */
	const struct chart_dim *dims; /* parallel: every axis, the metric last;
	                              * scatter: dims[0] along x, dims[1] (the metric) up */
	size_t ndims;
	size_t nruns;
	const int *colors;           /* palette index per run (the site's run colours) */
	enum chart_goal goal;        /* of the last dimension (the metric): runs are coloured by
	                              * it on a scale whose better end is yellow, the best
	                              * chart_sweep_top() bold and on top */
};

/* How many of nruns a sweep chart highlights as the best (bold, on top;
 * the rest faint): a fifth of them, 1 to 10. */
size_t chart_sweep_top(size_t nruns);

/* 720×360, scale 2, no dimensions. */
void chart_sweep_defaults(struct chart_sweep *sw);
/* Write the chart to path in fmt. Return 1, or 0 reported with the path. */
int chart_write_parallel(const struct chart_sweep *sw, enum chart_format fmt, const char *path);
int chart_write_scatter(const struct chart_sweep *sw, enum chart_format fmt, const char *path);

#endif
