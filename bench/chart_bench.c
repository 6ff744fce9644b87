/* chart_bench.c — milliseconds per chart for runsite's Cairo charts, drawn
 * from the same curves as shared/bench/baselines/mpl_chart.py (800×400).
 *
 *   chart_bench --series K --points N --fmt png|svg [--count C] [--scale S]
 *               [--smoothing W] [--data FILE] [--out PREFIX]
 *
 * FILE holds K×N little-endian doubles (chartdata.py's curves, written by
 * bench/chart.sh); without it the same shape is made here with a C RNG.
 * Prints one line: fmt series points ms_per_chart bytes points_drawn cpu_ms
 * (wall-clock and process CPU time per chart; CPU time is steadier on a
 * loaded machine). */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../src/chart/chart_internal.h"

/* chartdata.py's curve shape with a Box–Muller normal from xorshift. */
static void make_curves(double *y, int k, size_t n)
{
	uint64_t s = 7 + (uint64_t)k * 7919;
	for (size_t i = 0; i < n; i++) {
		double t = (double)i / (double)(n > 1 ? n - 1 : 1), u1, u2, z;
		double floor_ = 0.05 + 0.05 * k, rate = 3.0 + 0.7 * k;
		double base = floor_ + (2.3 - floor_) * exp(-rate * t);
		double wiggle = 1.0 + 0.02 * sin(2 * M_PI * (2 + k) * t + k);
		s ^= s << 13, s ^= s >> 7, s ^= s << 17;
		u1 = ((double)(s >> 11) + 1) / 9007199254740993.0;
		s ^= s << 13, s ^= s >> 7, s ^= s << 17;
		u2 = (double)(s >> 11) / 9007199254740992.0;
		z = sqrt(-2 * log(u1)) * cos(2 * M_PI * u2);
		y[i] = (double)(float)(base * wiggle * (1.0 + 0.07 * z));
	}
}

static double now_ms(clockid_t clk)
{
	struct timespec ts;
	clock_gettime(clk, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

int main(int argc, char **argv)
{
	int K = 1, count = 20;
	size_t N = 10000;
	const char *fmt = "png", *data = NULL, *out = NULL;
	double scale = 2, smoothing = 0.6;

	for (int i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--series"))
			K = atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--points"))
			N = strtoul(argv[i + 1], NULL, 10);
		else if (!strcmp(argv[i], "--fmt"))
			fmt = argv[i + 1];
		else if (!strcmp(argv[i], "--count"))
			count = atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--scale"))
			scale = atof(argv[i + 1]);
		else if (!strcmp(argv[i], "--smoothing"))
			smoothing = atof(argv[i + 1]);
		else if (!strcmp(argv[i], "--data"))
			data = argv[i + 1];
		else if (!strcmp(argv[i], "--out"))
			out = argv[i + 1];
	}
	/* runsite's malloc settings: Cairo's scratch memory is then reused from
	 * chart to chart instead of faulted in again */
	malloc_settings();
	if (K < 1 || N < 2 || count < 1) {
		fprintf(stderr, "chart_bench: bad arguments\n");
		return 2;
	}
	double *y = xreallocarray(NULL, (size_t)K * N, sizeof *y);
	if (data) {
		FILE *f = fopen(data, "rb");
		if (!f || fread(y, sizeof *y, (size_t)K * N, f) != (size_t)K * N) {
			fprintf(stderr, "chart_bench: %s: cannot read %d×%zu doubles\n", data, K, N);
			return 1;
		}
		fclose(f);
	} else {
		for (int k = 0; k < K; k++)
			make_curves(y + (size_t)k * N, k, N);
	}
	struct chart_series *se = xcalloc((size_t)K, sizeof *se);
	char **labels = xcalloc((size_t)K, sizeof *labels);
	for (int k = 0; k < K; k++) {
		struct chart_point *p = xreallocarray(NULL, N, sizeof *p);
		for (size_t i = 0; i < N; i++) {
			p[i].x = (double)i;
			p[i].y = y[(size_t)k * N + i];
		}
		labels[k] = xasprintf("run-%d", k);
		se[k] = (struct chart_series){labels[k], p, N, k, NULL, NULL, 0};
	}
	struct chart_spec spec;
	chart_spec_defaults(&spec);
	spec.title = "train/loss";
	spec.x_label = "step";
	spec.y_label = "loss";
	spec.width = 800;
	spec.height = 400;
	spec.scale = scale;
	spec.smoothing = smoothing;
	spec.series = se;
	spec.nseries = (size_t)K;
	enum chart_format f = !strcmp(fmt, "svg") ? CHART_SVG : !strcmp(fmt, "pdf") ? CHART_PDF : CHART_PNG;
	struct buf b = BUF_INIT;
	struct chart_info info;

	/* one warm-up: font loading and Cairo's caches, as in a long build */
	if (chart_render(&spec, f, NULL, &b, &info)) {
		fprintf(stderr, "chart_bench: render failed\n");
		return 1;
	}
	double t0 = now_ms(CLOCK_MONOTONIC), c0 = now_ms(CLOCK_PROCESS_CPUTIME_ID);
	for (int i = 0; i < count; i++) {
		buf_reset(&b);
		chart_render(&spec, f, NULL, &b, &info);
	}
	double ms = (now_ms(CLOCK_MONOTONIC) - t0) / count;
	double cpu = (now_ms(CLOCK_PROCESS_CPUTIME_ID) - c0) / count;
	if (out) {
		char *path = xasprintf("%s.%s", out, fmt);
		FILE *o = fopen(path, "wb");
		if (o) {
			fwrite(b.data, 1, b.size, o);
			fclose(o);
		}
		free(path);
	}
	printf("%s %d %zu %.3f %zu %llu %.3f\n", fmt, K, N, ms, b.size,
	       (unsigned long long)info.points_drawn, cpu);
	return 0;
}
