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
	struct pipeline_consumer c = {g, NULL, take_experiment, take_run, NULL};
	struct pipeline_stats stats = {0};
	memset(g, 0, sizeof *g);
	also_reads = 0;
	pipeline_read(&d, &o, false, &c, &stats);
	pipeline_stats_free(&stats);
	discovery_free(&d);
}

/* Two stores of unique ids holding the same run "x": the first with its
 * metrics only, the second with artifacts, a tag and notes too. */
static long db_read(const char *path, const struct reader_opts *o, struct run_sink *sink)
{
	const char *ids[] = {"x", "y"};
	for (int i = 0; i < 2; i++) {
		struct run *r = run_new("db", path);
		r->id = xstrdup(ids[i]);
		kvlist_add(&r->tags, "a", "1");
		kvlist_add(&r->params, "lr", "0.1");
		series_add(run_series(r, "loss"), 0, 0, 1.0);
		run_finish(r, 0);
		if (!sink->run(sink->ctx, r))
			return i + 1;
	}
	return 2;
}

static long files_read(const char *path, const struct reader_opts *o, struct run_sink *sink)
{
	const char *ids[] = {"x", "z"};
	for (int i = 0; i < 2; i++) {
		struct run *r = run_new("files", path);
		r->id = xstrdup(ids[i]);
		kvlist_add(&r->tags, "a", "1");
		kvlist_add(&r->tags, "b", "2");
		r->notes = xstrdup("Trained on the porch.");
		r->artifact_dir = xstrdup("/artifacts/x");
		run_add_artifact(r, "model/MLmodel", 10);
		run_add_artifact(r, "weights.pt", 20);
		run_add_artifact(r, "confusion.png", 30);
		series_add(run_series(r, "loss"), 0, 0, 9.0);
		run_finish(r, 0);
		if (!sink->run(sink->ctx, r))
			return i + 1;
	}
	return 2;
}

static const struct reader db = {.name = "db", .what = "test", .probe = probe_none,
                                 .read = db_read, .unique_ids = true};
static const struct reader files = {.name = "files", .what = "test", .probe = probe_none,
                                    .read = files_read, .unique_ids = true};

static struct run *merged_x;
static int merged_runs;

static int keep_x(void *ctx, struct run *r, const struct kvlist *redacted)
{
	merged_runs++;
	if (strcmp(r->id, "x") == 0 && !merged_x)
		merged_x = r;
	else
		run_free(r);
	return 1;
}

static void test_same_run_two_stores(int jobs)
{
	struct discovery d = {0};
	const struct reader *rd[] = {&db, &files};
	const char *paths[] = {"mlflow.db", "mlruns"};
	for (int i = 0; i < 2; i++) {
		GROW(d.stores, d.capstores, d.nstores + 1);
		d.stores[d.nstores++] = (struct store_ref){.reader = rd[i], .path = xstrdup(paths[i])};
	}
	struct reader_opts o = {.jobs = jobs};
	struct pipeline_consumer c = {NULL, NULL, take_experiment, keep_x, NULL};
	struct pipeline_stats stats = {0};
	merged_x = NULL;
	merged_runs = 0;
	pipeline_read(&d, &o, false, &c, &stats);
	INT_EQ(merged_runs, 3, "x, y and z: x once");
	OK(merged_x != NULL, "x delivered");
	if (merged_x) {
		struct run *r = merged_x;
		STR_EQ(r->store, "mlflow.db", "the first store's copy, with its metrics");
		DBL_EQ(run_find_series(r, "loss")->sum.last.value, 1.0, "its metrics");
		INT_EQ(r->nartifacts, 3, "the artifacts only the second copy lists");
		STR_EQ(r->artifact_dir, "/artifacts/x", "and the folder they are in");
		STR_EQ(kvlist_get(&r->tags, "b"), "2", "tags from both");
		STR_EQ(r->notes, "Trained on the porch.", "notes from the second");
		STR_EQ(kvlist_get(&r->sources, "metrics"), "mlflow.db", "sources: metrics");
		STR_EQ(kvlist_get(&r->sources, "artifacts"), "mlruns", "sources: artifacts");
		STR_EQ(kvlist_get(&r->sources, "tags"), "mlflow.db, mlruns", "sources: tags");
		run_free(r);
	}
	INT_EQ(stats.duplicates.n, 1, "the second copy is named");
	OK(stats.duplicates.n && strstr(stats.duplicates.items[0].value, "merged"),
	   "as merged, not dropped");
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

		test_same_run_two_stores(jobs);
	}
	return TEST_END();
}
