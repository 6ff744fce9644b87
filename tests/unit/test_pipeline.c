/* test_pipeline.c — the read pipeline: a second reader's runs are merged
 * into a store's only run (read once), never spread over a store of
 * several runs; runs with the same unique id are delivered once. */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "runsite/pipeline.h"
#include "runsite/util.h"

static int primary_runs; /* runs the primary reader delivers */
static int also_reads;   /* times the second reader was asked */

static long primary_read(const char *path, const struct reader_opts *o, struct run_sink *sink)
{
	for (int i = 0; i < primary_runs; i++) {
		struct run *r = run_new("primary", path);
		r->id = xasprintf("%s-run%d", path, i);
		series_add(run_series(r, "loss"), 0, 0, 1.0);
		run_finish(r, 0);
		if (!sink->run(sink->ctx, r))
			return i + 1;
	}
	return primary_runs;
}

static long also_read(const char *path, const struct reader_opts *o, struct run_sink *sink)
{
	also_reads++;
	struct run *r = run_new("secondary", path);
	r->id = xstrdup(".");
	series_add(run_series(r, "extra"), 0, 0, 2.0);
	run_finish(r, 0);
	sink->run(sink->ctx, r);
	return 1;
}

static int probe_none(const char *path)
{
	return 0;
}

static const struct reader primary = {.name = "primary", .what = "test", .probe = probe_none,
                                      .read = primary_read, .unique_ids = true};
static const struct reader secondary = {.name = "secondary", .what = "test",
                                        .probe = probe_none, .read = also_read};

struct seen_runs {
	int n, with_extra;
};

static void take_experiment(void *ctx, struct experiment *e)
{
	experiment_free(e);
}

static int take_run(void *ctx, struct run *r, const struct kvlist *redacted)
{
	struct seen_runs *g = ctx;
	g->n++;
	g->with_extra += run_find_series(r, "extra") != NULL;
	run_free(r);
	return 1;
}

static void read_stores(const char *const *paths, size_t n, int jobs, struct seen_runs *g)
{
	struct discovery d = {0};
	for (size_t i = 0; i < n; i++) {
		GROW(d.stores, d.capstores, d.nstores + 1);
		d.stores[d.nstores++] = (struct store_ref){
			.reader = &primary, .path = xstrdup(paths[i]), .also = &secondary};
	}
	struct reader_opts o = {.jobs = jobs};
	struct pipeline_consumer c = {g, NULL, take_experiment, take_run};
	struct pipeline_stats stats = {0};
	memset(g, 0, sizeof *g);
	also_reads = 0;
	pipeline_read(&d, &o, false, &c, &stats);
	pipeline_stats_free(&stats);
	discovery_free(&d);
}

int main(void)
{
	const char *one[] = {"a"}, *two[] = {"a", "b"}, *same[] = {"a", "a"};
	for (int jobs = 1; jobs <= 2; jobs++) {
		struct seen_runs g;
		primary_runs = 1;
		read_stores(one, 1, jobs, &g);
		INT_EQ(g.n, 1, "a store of one run: one run");
		INT_EQ(g.with_extra, 1, "the second reader's metrics are merged into it");
		INT_EQ(also_reads, 1, "the second reader is read once");

		primary_runs = 3;
		read_stores(one, 1, jobs, &g);
		INT_EQ(g.n, 3, "a store of three runs: three runs");
		INT_EQ(g.with_extra, 0, "no run of a several-run store gets the second reader's metrics");
		INT_EQ(also_reads, 0, "and the second reader is not read");

		primary_runs = 1;
		read_stores(two, 2, jobs, &g);
		INT_EQ(g.n, 2, "two stores of one run each");
		INT_EQ(g.with_extra, 2, "each merged with its own second reader");
		INT_EQ(also_reads, 2, "the second reader once per store");

		read_stores(same, 2, jobs, &g);
		INT_EQ(g.n, 1, "a run id read twice (unique ids) is delivered once");
	}
	return TEST_END();
}
