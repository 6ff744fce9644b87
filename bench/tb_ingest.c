/* tb_ingest.c — runs the TensorBoard reader over a folder on one thread the
 * way `runsite ls` does (main.c's malloc settings, run_finish without a
 * decimated copy, then the run is freed) and prints points, runs, seconds,
 * CPU seconds and peak RSS. `-b N` keeps an N-bucket decimated copy, as a
 * build does (256).
 * Built by bench/tfevents.sh.
 *   tb_ingest DIR [-v] [-b N]   -v: one line per run (id, tags, points, dropped) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "runsite/diag.h"
#include "runsite/util.h"
#include "../src/readers/tensorboard.h"

struct totals {
	unsigned long long points, dropped, runs, tags;
	int verbose;
};

static void on_experiment(void *ctx, struct experiment *e)
{
	experiment_free(e);
}

static int on_run(void *ctx, struct run *r)
{
	struct totals *t = ctx;
	unsigned long long pts = 0, dropped = 0;
	for (size_t i = 0; i < r->nmetrics; i++) {
		pts += r->metrics[i].sum.count;
		dropped += r->metrics[i].dropped;
	}
	if (t->verbose)
		printf("run %s: %zu series, %llu points, %llu dropped, %zu params, notes %zu bytes\n",
		       r->id, r->nmetrics, pts, dropped, r->params.n,
		       r->notes ? strlen(r->notes) : (size_t)0);
	t->points += pts;
	t->dropped += dropped;
	t->tags += r->nmetrics;
	t->runs++;
	run_free(r);
	return 1;
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: tb_ingest DIR [-v] [-b BUCKETS]\n");
		return 2;
	}
	malloc_settings(); /* as runsite does: freed memory kept for the next run */
	struct totals t = {0, 0, 0, 0, argc > 2 && strcmp(argv[2], "-v") == 0};
	struct reader_opts opts = {.include_deleted = false, .dec_buckets = 0};
	for (int i = 2; i + 1 < argc; i++)
		if (strcmp(argv[i], "-b") == 0)
			opts.dec_buckets = strtoul(argv[i + 1], NULL, 10);
	struct run_sink sink = {&t, on_experiment, on_run};
	double t0 = now();
	long n = reader_tensorboard.read(argv[1], &opts, &sink);
	double secs = now() - t0;
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	double cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec * 1e-6 +
	             (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec * 1e-6;
	printf("runs %ld series %llu points %llu dropped %llu seconds %.3f cpu_seconds %.3f "
	       "points_per_s %.0f peak_rss_kb %ld warnings %zu\n",
	       n, t.tags, t.points, t.dropped, secs, cpu, secs > 0 ? (double)t.points / secs : 0.0,
	       ru.ru_maxrss, diag_count());
	return n < 0;
}
