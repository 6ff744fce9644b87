/* test_compare.c — goal rules, run selection, params that vary, seed groups
 * and their statistics, best runs and mean curves with bands. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "runsite/compare.h"
#include "runsite/util.h"

/* A finished run with params "k=v" pairs (NULL-terminated) and one metric
 * "val/f1" whose points are ys[0..n) at steps 1..n. */
static struct run *mk(const char *id, const char *name, const char *const *params,
                      const double *ys, size_t n)
{
	struct run *r = run_new("test", "/tmp/store");
	r->id = xstrdup(id);
	r->name = xstrdup(name);
	for (size_t i = 0; params && params[i]; i += 2)
		kvlist_add(&r->params, params[i], params[i + 1]);
	for (size_t i = 0; i < n; i++)
		series_add(run_series(r, "val/f1"), (int64_t)i + 1, 0, ys[i]);
	run_finish(r, 0);
	return r;
}

static void test_goal_rules(void)
{
	struct goal_rules g = {0};
	OK(goal_rules_add(&g, "val/*:min"), "glob rule accepted");
	OK(goal_rules_add(&g, "a:b:max"), "key with a colon");
	OK(!goal_rules_add(&g, "val/f1"), "no direction refused");
	OK(!goal_rules_add(&g, "val/f1:up"), "unknown direction refused");
	OK(!goal_rules_add(&g, ":max"), "empty glob refused");
	INT_EQ(g.n, 2, "two rules kept");
	INT_EQ(goal_for(&g, "val/f1"), GOAL_MIN, "rule beats inference");
	INT_EQ(goal_for(&g, "a:b"), GOAL_MAX, "colon key");
	INT_EQ(goal_for(&g, "train/loss"), GOAL_MIN, "inferred without a rule");
	INT_EQ(goal_for(&g, "lr"), GOAL_NONE, "no rule, no word");
	INT_EQ(goal_for(NULL, "accuracy"), GOAL_MAX, "no rules at all");
	OK(goal_rules_match(&g, "val/x") && !goal_rules_match(&g, "train/x"), "match");
	goal_rules_free(&g);
	INT_EQ(g.n, 0, "freed");
}

static void test_values_and_best(void)
{
	const double a[] = {0.1, 0.5, 0.3}, b[] = {0.2, 0.4, 0.45}, c[] = {NAN, NAN};
	struct run *r[3] = {mk("A", "a", NULL, a, 3), mk("B", "b", NULL, b, 3),
	                    mk("C", "c", NULL, c, 2)};
	const struct run *const *rr = (const struct run *const *)r;
	double v;
	int64_t step;
	OK(compare_value(run_find_sum(r[0], "val/f1"), GOAL_MAX, CMP_BEST, &v, &step) &&
	   v == 0.5 && step == 2, "best of max goal is the max");
	OK(compare_value(run_find_sum(r[0], "val/f1"), GOAL_MIN, CMP_BEST, &v, &step) &&
	   v == 0.1 && step == 1, "best of min goal is the min");
	OK(compare_value(run_find_sum(r[0], "val/f1"), GOAL_NONE, CMP_LAST, &v, NULL) &&
	   v == 0.3, "last");
	OK(!compare_value(run_find_sum(r[0], "val/f1"), GOAL_NONE, CMP_BEST, &v, NULL),
	   "no best without a goal");
	OK(!compare_value(run_find_sum(r[2], "val/f1"), GOAL_MAX, CMP_MAX, &v, NULL),
	   "no max without finite values");
	OK(!compare_value(NULL, GOAL_MAX, CMP_LAST, &v, NULL), "no series");
	INT_EQ(compare_best(rr, 3, "val/f1", GOAL_MAX, AT_BEST), 0, "best max run (0.5)");
	INT_EQ(compare_best(rr, 3, "val/f1", GOAL_MIN, AT_BEST), 0, "best min run (0.1)");
	INT_EQ(compare_best(rr + 1, 2, "val/f1", GOAL_MIN, AT_BEST), 0, "B beats the all-NaN run");
	INT_EQ(compare_best(rr, 3, "val/f1", GOAL_NONE, AT_BEST), -1, "no goal, no best");
	INT_EQ(compare_best(rr, 3, "nope", GOAL_MAX, AT_BEST), -1, "missing metric");
	for (int i = 0; i < 3; i++)
		run_free(r[i]);
}

static void test_select(void)
{
	struct run *r[3] = {mk("id1", "alpha", NULL, NULL, 0), mk("id2", "beta", NULL, NULL, 0),
	                    mk("id3", "id1", NULL, NULL, 0)};
	kvlist_add(&r[1]->tags, "stage", "rebalance");
	kvlist_add(&r[2]->tags, "stage", "rebalance");
	kvlist_add(&r[0]->tags, "stage", "x=y");
	const struct run *const *rr = (const struct run *const *)r;
	size_t out[3];
	INT_EQ(compare_select(rr, 3, "beta", out), 1, "by name");
	INT_EQ(out[0], 1, "beta is run 1");
	INT_EQ(compare_select(rr, 3, "id1", out), 1, "an id wins over a name");
	INT_EQ(out[0], 0, "id1 is run 0");
	INT_EQ(compare_select(rr, 3, "tag:stage=rebalance", out), 2, "by tag");
	OK(out[0] == 1 && out[1] == 2, "tag matches in order");
	INT_EQ(compare_select(rr, 3, "tag:stage=x=y", out), 1, "tag value holding '='");
	INT_EQ(compare_select(rr, 3, "tag:stage", out), 3, "tag present");
	INT_EQ(compare_select(rr, 3, "gamma", out), 0, "no match");
	INT_EQ(compare_select(rr, 3, "", out), 0, "empty spec");
	for (int i = 0; i < 3; i++)
		run_free(r[i]);
}

static void test_params_and_seeds(void)
{
	static const char *const p0[] = {"lr", "0.1", "seed", "1", "model", "mlp", NULL};
	static const char *const p1[] = {"lr", "0.1", "seed", "2", "model", "mlp", NULL};
	static const char *const p2[] = {"lr", "0.2", "seed", "1", "model", "mlp", NULL};
	static const char *const p3[] = {"lr", "0.1", "seed", "3", "model", "mlp", NULL};
	static const char *const p4[] = {"lr", "0.2", "seed", "2", "model", "mlp", NULL};
	static const char *const p5[] = {"lr", "0.1", "model", "mlp", NULL};
	static const char *const p6[] = {"lr", "0.1", "model", "mlp", NULL};
	const double y0[] = {0.30}, y1[] = {0.40}, y2[] = {0.9}, y3[] = {0.35}, y4[] = {0.7};
	struct run *r[7] = {mk("0", "a-s1", p0, y0, 1), mk("1", "a-s2", p1, y1, 1),
	                    mk("2", "b-s1", p2, y2, 1), mk("3", "a-s3", p3, y3, 1),
	                    mk("4", "b-s2", p4, y4, 1), mk("5", "noseed", p5, NULL, 0),
	                    mk("6", "noseed2", p6, NULL, 0)};
	const struct run *const *rr = (const struct run *const *)r;

	struct compare_param *vp = NULL;
	size_t nv = compare_varying_params(rr, 5, &vp);
	INT_EQ(nv, 2, "lr and seed vary, model does not");
	OK(nv == 2 && strcmp(vp[0].key, "lr") == 0 && strcmp(vp[1].key, "seed") == 0,
	   "sorted by key");
	OK(nv == 2 && vp[0].distinct == 2 && vp[1].distinct == 3 && vp[0].runs == 5,
	   "distinct values counted");
	free(vp);
	nv = compare_varying_params(rr + 4, 2, &vp);
	INT_EQ(nv, 2, "a missing param counts as different (seed), lr differs");
	free(vp);
	nv = compare_varying_params(rr, 1, &vp);
	INT_EQ(nv, 3, "one run: all its params");
	free(vp);
	nv = compare_varying_params(rr + 5, 2, &vp);
	INT_EQ(nv, 0, "identical runs: nothing differs");
	free(vp);

	OK(compare_is_seed_param("seed", NULL, 0), "seed");
	OK(compare_is_seed_param("random_state", NULL, 0), "random_state");
	OK(compare_is_seed_param("rng_seed", NULL, 0), "rng_seed");
	OK(compare_is_seed_param("Random_Seed", NULL, 0), "Random_Seed");
	OK(compare_is_seed_param("randomSeed", NULL, 0), "randomSeed");
	OK(compare_is_seed_param("data.seed", NULL, 0), "data.seed");
	OK(!compare_is_seed_param("linseed", NULL, 0), "not linseed");
	OK(!compare_is_seed_param("seeds_used", NULL, 0), "not seeds_used");
	OK(!compare_is_seed_param("lr", NULL, 0), "not lr");
	static const char *const gb[] = {"lr"};
	OK(compare_is_seed_param("lr", gb, 1) && !compare_is_seed_param("seed", gb, 1),
	   "--group-by replaces the seed names");

	struct compare_group *g = NULL;
	size_t ng = compare_seed_groups(rr, 7, NULL, 0, &g);
	INT_EQ(ng, 2, "two seed groups (runs without a seed are not grouped)");
	if (ng == 2) {
		INT_EQ(g[0].n, 3, "a: three seeds");
		OK(g[0].members[0] == 0 && g[0].members[1] == 1 && g[0].members[2] == 3,
		   "a's members in run order");
		INT_EQ(g[1].n, 2, "b: two seeds");
		OK(g[1].members[0] == 2 && g[1].members[1] == 4, "b's members");
		struct compare_stats st;
		OK(compare_group_stats(rr, &g[0], "val/f1", GOAL_MAX, CMP_LAST, &st), "stats");
		double mean = (0.30 + 0.40 + 0.35) / 3;
		double var = ((0.30 - mean) * (0.30 - mean) + (0.40 - mean) * (0.40 - mean) +
		              (0.35 - mean) * (0.35 - mean)) / 2;
		INT_EQ(st.n, 3, "n");
		OK(fabs(st.mean - mean) < 1e-15, "mean %.17g", st.mean);
		OK(fabs(st.std - sqrt(var)) < 1e-15, "sample std %.17g vs %.17g", st.std, sqrt(var));
		OK(st.min == 0.30 && st.max == 0.40, "range");
		OK(!compare_group_stats(rr, &g[0], "nope", GOAL_MAX, CMP_LAST, &st),
		   "no stats for a missing metric");
	}
	compare_groups_free(g, ng);
	/* Grouping by lr: runs that differ only in lr (and have one). */
	ng = compare_seed_groups(rr, 5, gb, 1, &g);
	INT_EQ(ng, 2, "by lr: seed 1 pair and seed 2 pair");
	compare_groups_free(g, ng);
	for (int i = 0; i < 7; i++)
		run_free(r[i]);
}

static void test_mean_band(void)
{
	const struct curve_point a[] = {{0, 1}, {10, 3}}, b[] = {{0, 3}, {5, NAN}, {10, 5}},
	                         c[] = {{5, 10}};
	const struct curve_point *const pts[] = {a, b, c};
	const size_t n[] = {2, 3, 1};
	struct curve_point *m, *lo, *hi;
	size_t k = compare_mean_band(pts, n, 3, false, &m, &lo, &hi);
	INT_EQ(k, 3, "x = 0, 5, 10");
	if (k == 3) {
		DBL_EQ(m[0].y, 2, "mean at 0");
		OK(fabs(m[1].y - 16 / 3.0) < 1e-12, "at 5: a and b interpolated (NaN skipped), c");
		DBL_EQ(m[2].y, 4, "mean at 10");
		OK(fabs(hi[0].y - m[0].y - sqrt(2)) < 1e-12, "std band at 0");
		OK(fabs(lo[2].y - (4 - sqrt(2))) < 1e-12, "lower band at 10");
	}
	free(m);
	free(lo);
	free(hi);
	k = compare_mean_band(pts, n, 3, true, &m, &lo, &hi);
	OK(k == 3 && lo[1].y == 2 && hi[1].y == 10, "min/max band");
	free(m);
	free(lo);
	free(hi);
	k = compare_mean_band(pts, n, 0, false, &m, &lo, &hi);
	INT_EQ(k, 0, "no series");
	free(m);
	free(lo);
	free(hi);
}

/* Many runs: a seed in every run, three learning rates in turn, a param one
 * run lacks, and one all share, counted over values in any order. */
static void test_params_many_runs(void)
{
	enum { N = 500 };
	struct run *r[N];
	for (int i = 0; i < N; i++) {
		char id[16], seed[16];
		snprintf(id, sizeof id, "%d", i);
		snprintf(seed, sizeof seed, "%d", (i * 7919) % 1009);
		r[i] = mk(id, id, NULL, NULL, 0);
		kvlist_add(&r[i]->params, "seed", seed);
		kvlist_add(&r[i]->params, "lr", i % 3 == 0 ? "0.1" : i % 3 == 1 ? "0.01" : "0.001");
		kvlist_add(&r[i]->params, "model", "mlp");
		if (i != 123)
			kvlist_add(&r[i]->params, "depth", "4");
	}
	const struct run *const *rr = (const struct run *const *)r;
	struct compare_param *vp = NULL;
	size_t nv = compare_varying_params(rr, N, &vp);
	INT_EQ(nv, 3, "depth (one run lacks it), lr and seed vary; model does not");
	if (nv == 3) {
		STR_EQ(vp[0].key, "depth", "depth first");
		INT_EQ(vp[0].runs, N - 1, "depth: every run but one");
		INT_EQ(vp[0].distinct, 1, "depth: one value");
		STR_EQ(vp[1].key, "lr", "then lr");
		INT_EQ(vp[1].distinct, 3, "lr: three values");
		STR_EQ(vp[2].key, "seed", "then seed");
		INT_EQ(vp[2].distinct, N, "seed: one a run");
		INT_EQ(vp[2].runs, N, "seed: in every run");
	}
	free(vp);
	for (int i = 0; i < N; i++)
		run_free(r[i]);
}

/* The params that vary over thousands of runs of one sweep take memory for
 * their distinct keys and one value a run, not for a list of every run's
 * keys (an experiment page of 10,000 runs held 1.5 MB of them at its
 * peak): the resident peak, reset before the call, grows by far less than
 * such a list. */
static void test_params_memory(void)
{
	enum { N = 16384, P = 16 };
	struct run **r = xcalloc(N, sizeof *r);
	for (int i = 0; i < N; i++) {
		char id[16], key[16], v[16];
		snprintf(id, sizeof id, "%d", i);
		r[i] = mk(id, id, NULL, NULL, 0);
		for (int p = 0; p < P; p++) {
			snprintf(key, sizeof key, "param_%02d", p);
			snprintf(v, sizeof v, "%d", p == 0 ? i : p);
			kvlist_add(&r[i]->params, key, v);
		}
	}
	long rss = test_peak_reset();
	struct compare_param *vp = NULL;
	size_t nv = compare_varying_params((const struct run *const *)r, N, &vp);
	long grew = test_peak_grew(rss);
	INT_EQ(nv, 1, "one param varies");
	free(vp);
	if (grew < 0) {
		SKIP(PEAK_SKIP_WHY);
	} else {
		/* a list of every key: N * P * 8 bytes = 2 MB; the values: 128 KB */
		OK(grew <= 512, "the resident peak grew by %ld KB (at most 512)", grew);
	}
	for (int i = 0; i < N; i++)
		run_free(r[i]);
	free(r);
}

int main(void)
{
	test_goal_rules();
	test_values_and_best();
	test_select();
	test_params_and_seeds();
	test_params_many_runs();
	test_params_memory();
	test_mean_band();
	return TEST_END();
}
