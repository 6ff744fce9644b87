/* smooth.c — TensorBoard's scalar smoothing (classic debiased EMA) and the
 * automatic log-y rule. */
#include <math.h>

#include "chart_internal.h"

/* Follows TB-ui data_transformer.ts classicSmoothing step by step (see
 * shared/formats/tensorboard-csv-dvc-hf.md section 1.14), so the smoothed
 * values are the same doubles TensorBoard shows. */
void chart_smooth(const double *y, size_t n, double w, double *out)
{
	double last = n ? 0 : NAN, debias = 0;
	size_t i, k = 0;
	int constant = 1;

	if (!isfinite(w))
		w = 0;
	w = w < 0 ? 0 : w > 1 ? 1 : w;
	for (i = 0; i < n && constant; i++)
		if (!(y[i] == y[0]))
			constant = 0;
	/* A constant series is returned unchanged (NaN == NaN is false, so a
	 * series with a NaN after the first value is not constant, as in TB). */
	if (constant) {
		for (i = 0; i < n; i++)
			out[i] = y[i];
		return;
	}
	for (i = 0; i < n; i++) {
		double v = y[i];
		if (!isfinite(v)) {
			out[i] = v;
			continue;
		}
		last = last * w + (1 - w) * v;
		k++;
		/* Once w^k is below half an ulp of 1, 1 - w^k is exactly 1: skip pow. */
		if (debias != 1)
			debias = w == 1 ? 1 : 1 - pow(w, (double)k);
		out[i] = last / debias;
	}
}

int chart_log_range(double lo, double hi)
{
	/* no finite value at or below 0 (and some), three decades */
	return lo > 0 && hi > 0 && hi / lo >= 1000 * (1 - 1e-12);
}

int chart_log_suggested(const struct chart_spec *spec)
{
	double lo = INFINITY, hi = -INFINITY;
	for (size_t s = 0; s < spec->nseries; s++)
		chart_points_range(spec->series[s].pts, spec->series[s].n, true, &lo, &hi);
	return chart_log_range(lo, hi);
}
