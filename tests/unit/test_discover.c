/* test_discover.c — which runs runsite finds, each once, whatever path is
 * given: event files inside Lightning version folders (one and two levels
 * of lightning_logs), nested DVCLive folders, DVCLive evaluation folders,
 * the skipped list, and run ids relative to the given path. Every store is
 * written here. */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "fixture.h"
#include "tb_encode.h"
#include "runsite/diag.h"
#include "runsite/discover.h"
#include "runsite/pipeline.h"

/* Writes an event file into tmpdir/dir logging the scalar tag at two steps. */
static void put_events(const char *dir, const char *tag)
{
	struct buf b = BUF_INIT;
	ev_file_version(&b, 1700000000.0);
	ev_scalar(&b, 1700000001.0, 1, tag, 1.0f);
	ev_scalar(&b, 1700000002.0, 2, tag, 0.5f);
	char *rel = path_join(dir, "events.out.tfevents.1700000000.host.1.0");
	put(rel, "");
	char *p = tp(rel);
	FILE *f = fopen(p, "wb");
	fwrite(b.data, 1, b.size, f);
	fclose(f);
	free(p);
	free(rel);
	buf_free(&b);
}

/* What one listing held. */
struct listing {
	size_t nruns;
	char *ids[64];
	struct kvlist metrics; /* metric key → how many runs logged it */
	struct discovery d;
};

static int keep_run(void *ctx, struct run *r, const struct kvlist *redacted)
{
	struct listing *l = ctx;
	if (l->nruns < 64)
		l->ids[l->nruns] = xstrdup(r->id);
	l->nruns++;
	for (size_t i = 0; i < r->nmetrics; i++) {
		const char *key = r->metrics[i].key;
		const char *n = kvlist_get(&l->metrics, key);
		char num[16];
		snprintf(num, sizeof num, "%d", n ? atoi(n) + 1 : 1);
		bool found = false;
		for (size_t k = 0; k < l->metrics.n && !found; k++)
			if (strcmp(l->metrics.items[k].key, key) == 0) {
				free(l->metrics.items[k].value);
				l->metrics.items[k].value = xstrdup(num);
				found = true;
			}
		if (!found)
			kvlist_add(&l->metrics, key, num);
	}
	run_free(r);
	return 1;
}

/* Lists the given paths (below tmpdir) as `runsite ls` reads them. */
static void list(struct listing *l, const char *const *rels, size_t n, int jobs)
{
	memset(l, 0, sizeof *l);
	char **paths = xcalloc(n, sizeof *paths);
	for (size_t i = 0; i < n; i++)
		paths[i] = tp(rels[i]);
	discover((const char *const *)paths, n, NULL, &l->d);
	struct reader_opts o = {.jobs = jobs};
	struct pipeline_consumer c = {l, NULL, drop_experiment, keep_run, NULL};
	struct pipeline_stats stats = {0};
	pipeline_read(&l->d, &o, false, &c, &stats);
	pipeline_stats_free(&stats);
	for (size_t i = 0; i < n; i++)
		free(paths[i]);
	free(paths);
}

static void listing_free(struct listing *l)
{
	for (size_t i = 0; i < l->nruns && i < 64; i++)
		free(l->ids[i]);
	kvlist_free(&l->metrics);
	discovery_free(&l->d);
}

static int times_read(const struct listing *l, const char *metric)
{
	const char *n = kvlist_get(&l->metrics, metric);
	return n ? atoi(n) : 0;
}

static bool has_id(const struct listing *l, const char *id)
{
	for (size_t i = 0; i < l->nruns && i < 64; i++)
		if (strcmp(l->ids[i], id) == 0)
			return true;
	return false;
}

static bool ids_unique(const struct listing *l)
{
	for (size_t i = 0; i < l->nruns && i < 64; i++)
		for (size_t j = i + 1; j < l->nruns && j < 64; j++)
			if (strcmp(l->ids[i], l->ids[j]) == 0)
				return false;
	return true;
}

/* The reason the skipped list gives for tmpdir/rel, or NULL. */
static const char *skip_reason(const struct listing *l, const char *rel)
{
	char *p = tp(rel);
	const char *why = NULL;
	for (size_t i = 0; i < l->d.nskipped && !why; i++)
		if (strcmp(l->d.skipped[i].path, p) == 0)
			why = l->d.skipped[i].why;
	free(p);
	return why;
}

/* Item 1: an event file in a Lightning version folder is read once, merged
 * into the Lightning run, whatever path is given. */
static void test_lightning_events_once(int jobs)
{
	put("proj/lightning_logs/version_11/hparams.yaml", "lr: 0.01\n");
	put_events("proj/lightning_logs/version_11", "v11/loss");
	put_events("proj/lightning_logs/colab_0924", "colab/loss");
	static const struct {
		const char *given;
		size_t runs;
		const char *ids[2];
	} cases[] = {
		{"proj", 2, {"lightning_logs/version_11", "lightning_logs/colab_0924"}},
		{"proj/lightning_logs", 2, {"version_11", "colab_0924"}},
		{"proj/lightning_logs/version_11", 1, {"version_11", NULL}},
		{"proj/lightning_logs/colab_0924", 1, {"colab_0924", NULL}},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		struct listing l;
		list(&l, &cases[i].given, 1, jobs);
		INT_EQ(l.nruns, cases[i].runs, cases[i].given);
		INT_EQ(times_read(&l, "v11/loss"), cases[i].ids[0] && strstr(cases[i].ids[0], "11") ? 1 : 0,
		       "version_11's event file: read once, into one run");
		for (size_t k = 0; k < 2 && cases[i].ids[k]; k++)
			OK(has_id(&l, cases[i].ids[k]), "given %s: a run with id %s", cases[i].given,
			   cases[i].ids[k]);
		OK(ids_unique(&l), "given %s: every id once", cases[i].given);
		listing_free(&l);
	}
	struct listing l;
	const char *given = "proj";
	list(&l, &given, 1, jobs);
	INT_EQ(times_read(&l, "colab/loss"), 1, "the other log folder's events: once");
	listing_free(&l);
}

/* Item 1, two levels of lightning_logs: each event file still once. */
static void test_nested_lightning_logs(int jobs)
{
	put("deep/lightning_logs/version_0/hparams.yaml", "lr: 0.1\n");
	put_events("deep/lightning_logs/version_0", "outer/loss");
	put("deep/lightning_logs/lightning_logs/version_0/hparams.yaml", "lr: 0.2\n");
	put_events("deep/lightning_logs/lightning_logs/version_0", "inner/loss");
	put_events("deep/lightning_logs/lightning_logs/colab", "colab2/loss");
	const char *givens[] = {"deep", "deep/lightning_logs", "deep/lightning_logs/lightning_logs"};
	const size_t want[] = {3, 3, 2};
	for (size_t i = 0; i < 3; i++) {
		struct listing l;
		list(&l, &givens[i], 1, jobs);
		INT_EQ(l.nruns, want[i], givens[i]);
		INT_EQ(times_read(&l, "inner/loss"), 1, "the inner version's events: once");
		INT_EQ(times_read(&l, "colab2/loss"), 1, "the inner log folder's events: once");
		INT_EQ(times_read(&l, "outer/loss"), i < 2 ? 1 : 0, "the outer version's events");
		OK(ids_unique(&l), "given %s: every id once", givens[i]);
		listing_free(&l);
	}
	/* A path given inside another is read once too. */
	const char *both[] = {"deep", "deep/lightning_logs/lightning_logs"};
	struct listing l;
	list(&l, both, 2, jobs);
	INT_EQ(l.nruns, 3, "a path given inside another: its runs once");
	OK(skip_reason(&l, "deep/lightning_logs/lightning_logs") != NULL,
	   "and it is named in the skipped list");
	listing_free(&l);
}

/* Item 2: DVCLive folders inside a DVCLive folder, and an evaluation folder
 * without plots/metrics. */
static void test_dvclive(void)
{
	put("dv/dvclive/metrics.json", "{\"acc\": 0.5}");
	put("dv/dvclive/plots/metrics/acc.tsv", "timestamp\tstep\tacc\n1\t0\t0.5\n");
	for (int k = 1; k <= 2; k++) {
		char rel[64];
		snprintf(rel, sizeof rel, "dv/dvclive/fold_%d/metrics.json", k);
		put(rel, "{\"loss\": 0.5, \"step\": 1}");
		snprintf(rel, sizeof rel, "dv/dvclive/fold_%d/params.yaml", k);
		put(rel, "fold: 1\n");
		snprintf(rel, sizeof rel, "dv/dvclive/fold_%d/plots/metrics/fold%d_loss.tsv", k, k);
		put(rel, "timestamp\tstep\tloss\n1\t0\t1\n2\t1\t0.5\n");
	}
	const char *givens[] = {"dv", "dv/dvclive"};
	for (size_t i = 0; i < 2; i++) {
		struct listing l;
		list(&l, &givens[i], 1, 1);
		INT_EQ(l.nruns, 3, "a DVCLive folder and the two inside it");
		INT_EQ(times_read(&l, "fold1_loss"), 1, "fold_1 read once");
		INT_EQ(times_read(&l, "fold2_loss"), 1, "fold_2 read once");
		OK(has_id(&l, i == 0 ? "dvclive/fold_1" : "fold_1"), "fold_1's id");
		OK(ids_unique(&l), "every id once");
		listing_free(&l);
	}
	/* A project that happens to sit in a folder called plots is still found. */
	put("plots/proj/dvclive/metrics.json", "{\"acc\": 0.5}");
	put("plots/proj/dvclive/plots/metrics/acc.tsv", "timestamp\tstep\tacc\n1\t0\t0.5\n");
	const char *in_plots = "plots/proj";
	struct listing lp;
	list(&lp, &in_plots, 1, 1);
	INT_EQ(lp.nruns, 1, "a DVCLive folder below a folder named plots");
	listing_free(&lp);
	put("ev/eval/live/metrics.json", "{\"avg_prec\": 0.9, \"roc_auc\": 0.95}");
	put("ev/eval/live/plots/sklearn/roc/test.json", "{\"roc\": []}");
	const char *given = "ev";
	struct listing l;
	list(&l, &given, 1, 1);
	INT_EQ(l.nruns, 1, "metrics.json and plots/sklearn: a DVCLive run");
	INT_EQ(times_read(&l, "roc_auc"), 1, "with its summary metrics");
	OK(has_id(&l, "eval/live"), "its id is its path below the given folder");
	listing_free(&l);
}

/* Item 2: every folder looked at and not read is in the skipped list with
 * why; formats runsite cannot read yet are named. */
static void test_skipped(void)
{
	put("sk/lightning_logs/version_0/metrics.csv", "step,loss\n0,1\n1,0.5\n");
	put("sk/src/train.py", "print('hi')\n");
	put("sk/.git/HEAD", "ref: refs/heads/main\n");
	put("sk/sacred/1/run.json", "{\"status\": \"COMPLETED\"}");
	put("sk/sacred/1/config.json", "{\"lr\": 0.1}");
	put("sk/.aim/run_metadata.sqlite", "SQLite format 3");
	const char *given = "sk";
	struct listing l;
	list(&l, &given, 1, 1);
	INT_EQ(l.nruns, 1, "one readable run");
	STR_EQ(skip_reason(&l, "sk/src"), "no run store found in this folder", "a folder of code");
	STR_EQ(skip_reason(&l, "sk/.git"), "hidden folder, not searched", "a hidden folder");
	STR_EQ(skip_reason(&l, "sk/sacred/1"), "Sacred run folder: not supported yet",
	       "a Sacred run folder");
	STR_EQ(skip_reason(&l, "sk/.aim"), "Aim repository: not supported yet",
	       "an Aim repository, though hidden");
	listing_free(&l);
	given = "sk/sacred/1";
	list(&l, &given, 1, 1);
	STR_EQ(skip_reason(&l, given), "Sacred run folder: not supported yet",
	       "a Sacred run folder given by itself");
	listing_free(&l);
}

/* Item 3: runs without ids of their own are named by their path relative
 * to the given path, unique within a listing. */
static void test_ids(void)
{
	put("ids/lightning_logs/version_0/metrics.csv", "step,loss\n0,1\n1,0.5\n");
	put("ids/lightning_logs/version_1/metrics.csv", "step,loss\n0,1\n1,0.4\n");
	put("ids/logs/training.csv", "epoch,loss\n0,1\n1,0.5\n");
	put("ids/hf_out/trainer_state.json",
	    "{\"global_step\": 2, \"log_history\": [{\"step\": 1, \"loss\": 1.0}, "
	    "{\"step\": 2, \"loss\": 0.5}]}");
	put("ids/dvclive/metrics.json", "{\"acc\": 0.5}");
	put("ids/dvclive/plots/metrics/acc.tsv", "timestamp\tstep\tacc\n1\t0\t0.5\n");
	const char *given = "ids";
	struct listing l;
	list(&l, &given, 1, 1);
	INT_EQ(l.nruns, 5, "five runs of four formats");
	const char *want[] = {"lightning_logs/version_0", "lightning_logs/version_1",
	                      "logs/training.csv", "hf_out", "dvclive"};
	for (size_t i = 0; i < 5; i++)
		OK(has_id(&l, want[i]), "a run with id %s", want[i]);
	OK(!has_id(&l, "."), "no run is called \".\"");
	listing_free(&l);
	given = "ids/lightning_logs/version_1";
	list(&l, &given, 1, 1);
	OK(has_id(&l, "version_1"), "a run folder given by itself: its name");
	listing_free(&l);
	/* The same relative path below two given folders stays unique. */
	put("other/lightning_logs/version_0/metrics.csv", "step,loss\n0,2\n");
	const char *two[] = {"ids/lightning_logs", "other/lightning_logs"};
	list(&l, two, 2, 1);
	OK(ids_unique(&l), "two given folders with the same layout: every id once");
	OK(has_id(&l, "version_0"), "the first keeps the short id");
	listing_free(&l);
}

/* The store list is kept through a build: a given path's stores share one
 * copy of it, and the list holds no room it grew by. */
static void test_store_list_compact(void)
{
	char rel[64];
	for (int i = 0; i < 40; i++) {
		snprintf(rel, sizeof rel, "many/lightning_logs/version_%d/metrics.csv", i);
		put(rel, "step,loss\n0,1\n1,0.5\n");
	}
	put("more/lightning_logs/version_0/metrics.csv", "step,loss\n0,1\n");
	put("more/lightning_logs/version_1/metrics.csv", "step,loss\n0,1\n");
	char *paths[] = {tp("many"), tp("more")};
	struct discovery d;
	discover((const char *const *)paths, 2, NULL, &d);
	INT_EQ(d.nstores, 42, "a store a version folder");
	INT_EQ(d.capstores, d.nstores, "no room left over in the list");
	size_t copies = 0;
	for (size_t i = 0; i < d.nstores; i++)
		copies += i == 0 || d.stores[i].given != d.stores[i - 1].given;
	INT_EQ(copies, 2, "one copy of each given path");
	STR_EQ(d.stores[0].given, paths[0], "the first given path");
	STR_EQ(d.stores[d.nstores - 1].given, paths[1], "the second given path");
	discovery_free(&d);
	free(paths[0]);
	free(paths[1]);
}

int main(void)
{
	/* Helpers of the shared headers this test does not need. */
	(void)read_with, (void)got_free, (void)ev_tensor, (void)tensor_shape;
	fixture_init("discover");
	diag_set_quiet(1);
	for (int jobs = 1; jobs <= 2; jobs++) {
		test_lightning_events_once(jobs);
		test_nested_lightning_logs(jobs);
	}
	test_dvclive();
	test_skipped();
	test_ids();
	test_store_list_compact();
	rm_tree(tmpdir);
	return TEST_END();
}
