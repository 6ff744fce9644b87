/* ticks.c — nice tick values (Heckbert's method), labels that fit the range,
 * and the number format shared with the pages. */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "chart_internal.h"

double chart_nice_num(double x, int round)
{
	double e = floor(log10(x));
	double p = pow(10, e);
	double f = x / p, nf;

	if (round)
		nf = f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10;
	else
		nf = f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10;
	return nf * p;
}

/* Multiples of step inside [lo, hi], computed as k*step so that no error
 * accumulates, with -0 and near-zero values written as 0. */
static size_t multiples(double lo, double hi, double step, double *out, size_t max)
{
	double k0 = ceil(lo / step - 1e-9), k1 = floor(hi / step + 1e-9);
	size_t n = 0;

	for (double k = k0; k <= k1 && n < max; k++) {
		double v = k * step;
		out[n++] = fabs(v) < step * 1e-9 ? 0.0 : v;
	}
	return n;
}

size_t chart_ticks_linear(double lo, double hi, size_t target, double *out, size_t max,
                          double *step)
{
	double d;

	if (!(hi > lo) || !isfinite(hi - lo)) {
		*step = 0;
		if (max == 0)
			return 0;
		out[0] = lo;
		return 1;
	}
	if (target < 2)
		target = 2;
	d = chart_nice_num((hi - lo) / (double)(target - 1), 1);
	size_t n = multiples(lo, hi, d, out, max);
	/* A narrow range between two multiples: step down 1 → 0.5 → 0.2 → 0.1. */
	for (int i = 0; i < 6 && n < 2; i++) {
		double m = d / pow(10, floor(log10(d)) );
		d = m > 4.5 ? d * 0.4 : m > 1.5 ? d * 0.5 : d * 0.5;
		d = chart_nice_num(d, 1);
		n = multiples(lo, hi, d, out, max);
	}
	*step = d;
	return n;
}

/* Tick steps for time axes, in seconds: clock-friendly multiples. */
static const double time_steps[] = {
	1,     2,     5,     10,     15,     30,     60,      120,     300,      600,
	900,   1800,  3600,  7200,   10800,  21600,  43200,   86400,   172800,   604800,
	1209600, 2592000, 7776000, 15552000, 31536000,
};

/* Time ticks: the smallest clock-friendly step giving at most about target ticks. */
static size_t ticks_time(double lo, double hi, size_t target, double *out, size_t max)
{
	double want = (hi - lo) / (double)(target > 1 ? target - 1 : 1), step = 0;

	if (!(hi > lo)) {
		out[0] = lo;
		return 1;
	}
	if (want < 1)
		return chart_ticks_linear(lo, hi, target, out, max, &step);
	for (size_t i = 0; i < sizeof time_steps / sizeof time_steps[0]; i++)
		if (time_steps[i] >= want) {
			step = time_steps[i];
			break;
		}
	if (step == 0) /* more than a year per tick: nice numbers of years */
		step = chart_nice_num(want / 31536000, 0) * 31536000;
	return multiples(lo, hi, step, out, max);
}

/* Log ticks (in log10 units): whole decades when there are at least two,
 * then 1-2-5 per decade, then linear nice values converted to log10. */
static size_t ticks_log(double lo, double hi, size_t target, double *out, size_t max)
{
	double d0 = ceil(lo - 1e-9), d1 = floor(hi + 1e-9), step;
	size_t n = 0;

	if (d1 - d0 + 1 >= 2) {
		double per = ceil((d1 - d0 + 1) / (double)(target ? target : 1));
		if (per < 1)
			per = 1;
		return multiples(lo, hi, per, out, max);
	}
	for (double d = floor(lo); d <= ceil(hi) && n < max; d++) {
		static const double m[] = {1, 2, 5};
		for (int i = 0; i < 3 && n < max; i++) {
			double t = d + log10(m[i]);
			if (t >= lo - 1e-9 && t <= hi + 1e-9)
				out[n++] = t;
		}
	}
	if (n >= 2 && n <= target)
		return n;
	n = chart_ticks_linear(pow(10, lo), pow(10, hi), target, out, max, &step);
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		if (out[i] > 0)
			out[k++] = log10(out[i]);
	return k;
}

/* The fewest decimals (0..12) that print every value exactly, to within a
 * millionth of the step. */
static int fit_decimals(const double *v, size_t n, double step)
{
	double eps = step > 0 ? step * 1e-6 : 1e-12;

	for (int d = 0; d < 12; d++) {
		double p = pow(10, d);
		size_t i;
		for (i = 0; i < n; i++)
			if (fabs(v[i] - round(v[i] * p) / p) > eps)
				break;
		if (i == n)
			return d;
	}
	return 12;
}

/* Writes v with d decimals; never "-0". */
static void put_fixed(char *out, size_t sz, double v, int d)
{
	snprintf(out, sz, "%.*f", d, v + 0.0);
	if (out[0] == '-' && strspn(out + 1, "0.") == strlen(out + 1))
		memmove(out, out + 1, strlen(out));
}

/* Splits v (≠ 0) into mantissa and exponent so that the mantissa, rounded to
 * d decimals, lies in [1, 10). */
static double split_sci(double v, int d, int *e)
{
	double p = pow(10, d), m;

	*e = (int)floor(log10(fabs(v)));
	m = v / pow(10, *e);
	if (fabs(round(m * p) / p) >= 10) {
		(*e)++;
		m = v / pow(10, *e);
	}
	return m;
}

/* Scientific labels with one number of mantissa decimals: 2.5e-5, 5.0e-5. */
static void format_sci(struct chart_axis *ax, const double *v, int uniform)
{
	double mant[CHART_MAX_TICKS] = {0};
	int ex[CHART_MAX_TICKS] = {0}, d = 0;

	for (size_t i = 0; i < ax->n; i++)
		mant[i] = v[i] == 0 ? 0 : split_sci(v[i], 6, &ex[i]);
	if (uniform)
		d = fit_decimals(mant, ax->n, 1e-3);
	for (size_t i = 0; i < ax->n; i++) {
		char m[32];
		if (v[i] == 0) {
			snprintf(ax->label[i], CHART_LABEL_MAX, "0");
			continue;
		}
		if (uniform)
			put_fixed(m, sizeof m, mant[i], d);
		else
			snprintf(m, sizeof m, "%.3g", mant[i]);
		snprintf(ax->label[i], CHART_LABEL_MAX, "%se%d", m, ex[i]);
	}
}

static const char *const si_suffix[] = {"", "k", "M", "G", "T"};

/* Linear value labels: fixed decimals, k/M/G/T, or 1e-4 style, one number
 * of decimals along the axis. */
static void format_linear(struct chart_axis *ax, const double *v)
{
	double maxabs = 0, step = ax->n >= 2 ? v[1] - v[0] : 0;
	int d;

	for (size_t i = 0; i < ax->n; i++)
		if (fabs(v[i]) > maxabs)
			maxabs = fabs(v[i]);
	if (step <= 0)
		step = maxabs > 0 ? maxabs : 1;
	if (maxabs >= 1e15 || (maxabs > 0 && maxabs < 1e-3)) {
		format_sci(ax, v, 1);
		return;
	}
	if (maxabs >= 1000) {
		int k = (int)floor(log10(maxabs) / 3);
		double div = pow(1000, k), scaled[CHART_MAX_TICKS];
		for (size_t i = 0; i < ax->n; i++)
			scaled[i] = v[i] / div;
		d = fit_decimals(scaled, ax->n, step / div);
		if (d <= 2 && k >= 1 && k <= 4) {
			for (size_t i = 0; i < ax->n; i++) {
				put_fixed(ax->label[i], CHART_LABEL_MAX - 2, scaled[i], d);
				if (scaled[i] != 0) /* "0", not "0k" */
					strcat(ax->label[i], si_suffix[k]);
				else
					strcpy(ax->label[i], "0");
			}
			return;
		}
	}
	d = fit_decimals(v, ax->n, step);
	for (size_t i = 0; i < ax->n; i++)
		put_fixed(ax->label[i], CHART_LABEL_MAX, v[i], d);
}

/* Log-axis labels: plain for 0.001..9999, k/M above, else 1e-5 style. */
static void format_log(struct chart_axis *ax, const double *v)
{
	double lo = INFINITY, hi = 0;

	for (size_t i = 0; i < ax->n; i++) {
		if (v[i] < lo)
			lo = v[i];
		if (v[i] > hi)
			hi = v[i];
	}
	if (lo >= 1e-3 && hi < 1e4) {
		for (size_t i = 0; i < ax->n; i++)
			snprintf(ax->label[i], CHART_LABEL_MAX, "%.4g", v[i]);
		return;
	}
	if (lo >= 1 && hi < 1e15) {
		for (size_t i = 0; i < ax->n; i++) {
			int k = v[i] < 1000 ? 0 : (int)floor(log10(v[i] * (1 + 1e-9)) / 3);
			snprintf(ax->label[i], CHART_LABEL_MAX, "%.3g%s", v[i] / pow(1000, k),
			         si_suffix[k]);
		}
		return;
	}
	format_sci(ax, v, 0);
}

/* Wall-clock labels in UTC, as precise as the step needs. */
static void format_time(struct chart_axis *ax, const double *v)
{
	double step = ax->n >= 2 ? v[1] - v[0] : 86400;
	double span = ax->hi - ax->lo;
	int style = step >= 86400 ? 0 : span > 86400 ? 1 : step >= 60 ? 2 : 3;

	for (size_t i = 0; i < ax->n; i++) {
		time_t t = (time_t)floor(v[i]);
		struct tm tm;
		if (!isfinite(v[i]) || fabs(v[i]) > 1e13 || !gmtime_r(&t, &tm)) {
			snprintf(ax->label[i], CHART_LABEL_MAX, "%.0f", v[i]);
			continue;
		}
		char *l = ax->label[i];
		if (style == 0)
			strftime(l, CHART_LABEL_MAX, "%Y-%m-%d", &tm);
		else if (style == 1)
			strftime(l, CHART_LABEL_MAX, "%m-%d %H:%M", &tm);
		else if (style == 2)
			strftime(l, CHART_LABEL_MAX, "%H:%M", &tm);
		else
			strftime(l, CHART_LABEL_MAX, "%H:%M:%S", &tm);
	}
}

/* Duration labels with one unit along the axis: 30s, 15m, 2h, 3d. */
static void format_duration(struct chart_axis *ax, const double *v)
{
	double step = ax->n >= 2 ? v[1] - v[0] : fabs(v[0]);
	double unit = step >= 86400 ? 86400 : step >= 3600 ? 3600 : step >= 60 ? 60 : 1;
	const char *sfx = unit == 86400 ? "d" : unit == 3600 ? "h" : unit == 60 ? "m" : "s";
	double scaled[CHART_MAX_TICKS];
	int d;

	for (size_t i = 0; i < ax->n; i++)
		scaled[i] = v[i] / unit;
	d = fit_decimals(scaled, ax->n, step / unit);
	for (size_t i = 0; i < ax->n; i++) {
		put_fixed(ax->label[i], CHART_LABEL_MAX - 2, scaled[i], d);
		strcat(ax->label[i], sfx);
	}
}

void chart_axis_format(struct chart_axis *ax, enum chart_axis_kind kind)
{
	double v[CHART_MAX_TICKS];

	for (size_t i = 0; i < ax->n; i++)
		v[i] = ax->log ? pow(10, ax->tick[i]) : ax->tick[i];
	if (ax->n == 0)
		return;
	if (ax->log)
		format_log(ax, v);
	else if (kind == CHART_AXIS_TIME)
		format_time(ax, v);
	else if (kind == CHART_AXIS_RELATIVE)
		format_duration(ax, v);
	else
		format_linear(ax, v);
}

/* Ticks and labels for one target count; returns 1 when the labels fit. */
static int try_layout(struct chart_axis *ax, size_t target, enum chart_axis_kind kind,
                      double length, int vertical, chart_measure_fn m, void *ctx)
{
	double step, span = ax->hi - ax->lo, mingap = INFINITY;

	if (ax->log)
		ax->n = ticks_log(ax->lo, ax->hi, target, ax->tick, CHART_MAX_TICKS);
	else if (kind == CHART_AXIS_TIME || kind == CHART_AXIS_RELATIVE)
		ax->n = ticks_time(ax->lo, ax->hi, target, ax->tick, CHART_MAX_TICKS);
	else
		ax->n = chart_ticks_linear(ax->lo, ax->hi, target, ax->tick, CHART_MAX_TICKS, &step);
	chart_axis_format(ax, kind);
	ax->label_w = ax->label_h = 0;
	for (size_t i = 0; i < ax->n; i++) {
		double w, h;
		m(ctx, ax->label[i], &w, &h);
		if (w > ax->label_w)
			ax->label_w = w;
		if (h > ax->label_h)
			ax->label_h = h;
	}
	/* Distinct ticks must read as distinct labels. */
	for (size_t i = 1; i < ax->n; i++) {
		double gap = (ax->tick[i] - ax->tick[i - 1]) / span * length;
		if (gap < mingap)
			mingap = gap;
		if (strcmp(ax->label[i], ax->label[i - 1]) == 0)
			return 0;
	}
	if (ax->n < 2)
		return 1;
	return vertical ? mingap >= ax->label_h * 2 : mingap >= ax->label_w + 12;
}

void chart_axis_layout(struct chart_axis *ax, double lo, double hi, int log,
                       enum chart_axis_kind kind, double length, int vertical,
                       chart_measure_fn m, void *ctx)
{
	size_t target = (size_t)(length / (vertical ? 50 : 90)) + 1;

	ax->lo = lo;
	ax->hi = hi;
	ax->log = log;
	if (target > CHART_MAX_TICKS - 4)
		target = CHART_MAX_TICKS - 4;
	if (target < 2)
		target = 2;
	for (; target >= 2; target--)
		if (try_layout(ax, target, kind, length, vertical, m, ctx))
			return;
	/* Nothing fits: keep one label, in the middle of the axis. */
	try_layout(ax, 2, kind, length, vertical, m, ctx);
	if (ax->n > 1) {
		size_t mid = ax->n / 2;
		ax->tick[0] = ax->tick[mid];
		memcpy(ax->label[0], ax->label[mid], CHART_LABEL_MAX);
		ax->n = 1;
	}
}

/* Trims trailing zeros after a decimal point in place. */
static void trim_zeros(char *s)
{
	char *dot = strchr(s, '.');
	if (!dot)
		return;
	char *e = s + strlen(s);
	while (e > dot + 1 && e[-1] == '0')
		e--;
	if (e == dot + 1)
		e = dot;
	*e = '\0';
}

void chart_format_number(char *out, size_t outsz, double v)
{
	double a = fabs(v);
	char m[40];

	if (isnan(v)) {
		snprintf(out, outsz, "NaN");
		return;
	}
	if (isinf(v)) {
		snprintf(out, outsz, v > 0 ? "Inf" : "-Inf");
		return;
	}
	if (v == 0) {
		snprintf(out, outsz, "0");
		return;
	}
	if (a < 1e-3 || a >= 1e15) {
		int e;
		double mant = split_sci(v, 2, &e);
		snprintf(m, sizeof m, "%.2f", mant);
		trim_zeros(m);
		snprintf(out, outsz, "%se%d", m, e);
		return;
	}
	snprintf(m, sizeof m, "%.4g", v);
	if (a < 1e4 && !strchr(m, 'e')) {
		snprintf(out, outsz, "%s", m);
		return;
	}
	int k = (int)floor(log10(a) / 3);
	if (k < 1)
		k = 1;
	snprintf(m, sizeof m, "%.3g", v / pow(1000, k));
	if (fabs(atof(m)) >= 1000 && k < 4) {
		k++;
		snprintf(m, sizeof m, "%.3g", v / pow(1000, k));
	}
	snprintf(out, outsz, "%s%s", m, si_suffix[k]);
}
