/* test_at.c — the value of a metric at a point (--at best|last): ties, NaN,
 * min and max goals, a single point, the best at the first step; the best
 * run by it, one-step flukes left out; the plan's headline per experiment. */
#include <math.h>
#include <stdlib.h>

#include "harness.h"
#include "runsite/compare.h"
#include "runsite/plan.h"
#include "runsite/select.h"
#include "runsite/util.h"

/* A run of experiment exp with metric key at steps 1..n holding ys[0..n). */
static struct run *mk(const char *id, const char *exp, const char *key, const double *ys,
                      size_t n)
{
	struct run *r = run_new("test", "/tmp/store");
	r->id = xstrdup(id);
	r->name = xstrdup(id);
	r->experiment_id = xstrdup(exp);
	r->experiment_name = xstrdup(exp);
	for (size_t i = 0; i < n; i++)
		series_add(run_series(r, key), (int64_t)i + 1, 0, ys[i]);
	run_finish(r, 0);
	return r;
}

static void add_metric(struct run *r, const char *key, const double *ys, size_t n)
{
	for (size_t i = 0; i < n; i++)
		series_add(run_series(r, key), (int64_t)i + 1, 0, ys[i]);
	run_finish(r, 0);
}

static void test_value_at(void)
{
	const double ys[] = {0.2, 0.9, 0.5, 0.9, 0.4};
	struct run *r = mk("a", "e", "val/f1", ys, 5);
	const struct series_sum *se = run_find_sum(r, "val/f1");
	struct at_value v;
	char label[64];

	OK(metric_at(se, GOAL_MAX, AT_BEST, &v), "best exists");
	DBL_EQ(v.value, 0.9, "max goal: the highest");
	INT_EQ(v.step, 2, "a tie goes to the earliest step");
	INT_EQ(v.at, AT_BEST, "says best");
	metric_at_label(label, sizeof label, &v);
	STR_EQ(label, "best, step 2", "label");

	OK(metric_at(se, GOAL_MIN, AT_BEST, &v), "min best exists");
	DBL_EQ(v.value, 0.2, "min goal: the lowest");
	INT_EQ(v.step, 1, "the best at the first step");

	OK(metric_at(se, GOAL_MAX, AT_LAST, &v), "last exists");
	DBL_EQ(v.value, 0.4, "last");
	INT_EQ(v.step, 5, "last step");
	INT_EQ(v.at, AT_LAST, "says last");
	metric_at_label(label, sizeof label, &v);
	STR_EQ(label, "last, step 5", "label of last");

	OK(metric_at(se, GOAL_NONE, AT_BEST, &v), "no goal: a value still");
	DBL_EQ(v.value, 0.4, "no goal: best is the last");
	INT_EQ(v.at, AT_LAST, "and says last, not best");
	run_free(r);

	/* NaN: left out of the best, kept as the last. */
	const double yn[] = {NAN, 0.3, 0.1, NAN};
	r = mk("n", "e", "val/loss", yn, 4);
	se = run_find_sum(r, "val/loss");
	OK(metric_at(se, GOAL_MIN, AT_BEST, &v) && v.value == 0.1 && v.step == 3 && v.at == AT_BEST,
	   "best skips NaN");
	OK(metric_at(se, GOAL_MIN, AT_LAST, &v) && isnan(v.value) && v.step == 4 && v.at == AT_LAST,
	   "last may be NaN");
	run_free(r);
	const double yall[] = {NAN, NAN};
	r = mk("nn", "e", "val/loss", yall, 2);
	OK(metric_at(run_find_sum(r, "val/loss"), GOAL_MIN, AT_BEST, &v) && isnan(v.value) &&
	   v.at == AT_LAST && v.step == 2, "no finite value: the last, said to be the last");
	run_free(r);

	/* One point: best and last are the same point. */
	const double y1[] = {1.0};
	r = mk("one", "e", "val/precision", y1, 1);
	se = run_find_sum(r, "val/precision");
	struct at_value b, l;
	OK(metric_at(se, GOAL_MAX, AT_BEST, &b) && metric_at(se, GOAL_MAX, AT_LAST, &l) &&
	   b.value == l.value && b.step == l.step && b.step == 1, "single point");
	OK(!metric_at(NULL, GOAL_MAX, AT_BEST, &v), "no series, no value");
	OK(!metric_at_run(r, "nope", GOAL_MAX, AT_LAST, &v), "a metric the run has not");
	run_free(r);

	enum metric_at at = AT_LAST;
	OK(metric_at_parse("best", &at) && at == AT_BEST, "parse best");
	OK(metric_at_parse("last", &at) && at == AT_LAST, "parse last");
	OK(!metric_at_parse("max", &at) && !metric_at_parse(NULL, &at), "only best or last");
	INT_EQ(compare_mode_at(GOAL_MAX, AT_BEST), CMP_BEST, "mode of best with a goal");
	INT_EQ(compare_mode_at(GOAL_NONE, AT_BEST), CMP_LAST, "mode of best without a goal");
	INT_EQ(compare_mode_at(GOAL_MIN, AT_LAST), CMP_LAST, "mode of last");
}

static void test_best_run(void)
{
	/* A peaks early and falls; B rises to the end. */
	const double a[] = {0.2, 0.8, 0.3}, b[] = {0.1, 0.4, 0.6}, f[] = {1.0};
	struct run *r[3] = {mk("A", "e", "val/f1", a, 3), mk("B", "e", "val/f1", b, 3),
	                    mk("F", "e", "val/f1", f, 1)};
	const struct run *const *rr = (const struct run *const *)r;
	INT_EQ(compare_best(rr, 2, "val/f1", GOAL_MAX, AT_BEST), 0, "by best: A (0.8)");
	INT_EQ(compare_best(rr, 2, "val/f1", GOAL_MAX, AT_LAST), 1, "by last: B (0.6)");
	size_t idx[3] = {0, 1, 2};
	INT_EQ(compare_best(rr, 3, "val/f1", GOAL_MAX, AT_LAST), 2, "compare_best takes the fluke");
	INT_EQ(plan_best_run(rr, idx, 3, "val/f1", GOAL_MAX, AT_BEST), 0,
	       "a one-step fluke (1.0 once) is no best over curves, at best");
	INT_EQ(plan_best_run(rr, idx, 3, "val/f1", GOAL_MAX, AT_LAST), 1,
	       "nor at last");
	size_t only_f[1] = {2};
	INT_EQ(plan_best_run(rr, only_f, 1, "val/f1", GOAL_MAX, AT_LAST), 0,
	       "single points alone still name a best");
	INT_EQ(plan_best_run(rr, idx, 3, "val/f1", GOAL_NONE, AT_LAST), -1, "no goal, no best");

	/* The selection language reads metrics at the same point. */
	char err[256];
	size_t out[3];
	struct select_expr *e = select_parse("top 1 by val/f1", err, sizeof err);
	OK(e != NULL, "top 1 parses: %s", err);
	INT_EQ(select_runs(e, rr, 2, NULL, NULL, out) == 1 ? (long)out[0] : -1, 1,
	       "top 1 by val/f1 reads the last value by default: B");
	select_set_at(e, AT_BEST);
	INT_EQ(select_runs(e, rr, 2, NULL, NULL, out) == 1 ? (long)out[0] : -1, 0,
	       "at best: A");
	select_free(e);
	e = select_parse("metric:val/f1>0.7", err, sizeof err);
	OK(e && !select_match(e, r[0], NULL), "A's last val/f1 is 0.3");
	select_set_at(e, AT_BEST);
	OK(e && select_match(e, r[0], NULL), "A's best val/f1 is 0.8");
	select_free(e);
	for (int i = 0; i < 3; i++)
		run_free(r[i]);
}

/* Two experiments: e0 logs val/f1 (its primary) and a val/precision that
 * spikes to 1 once; e1 logs only accuracy. Headlines: one per experiment,
 * its own primary, at the chosen point. */
static void test_headlines(void)
{
	const double a[] = {0.3, 0.6, 0.4}, b[] = {0.2, 0.5, 0.55};
	const double pa[] = {0.5, 1.0, 0.6}, pb[] = {0.4, 0.5, 0.7};
	const double acc1[] = {0.7, 0.8}, acc2[] = {0.9, 0.85};
	struct run *r[4] = {mk("A", "e0", "val/f1", a, 3), mk("B", "e0", "val/f1", b, 3),
	                    mk("C", "e1", "accuracy", acc1, 2), mk("D", "e1", "accuracy", acc2, 2)};
	add_metric(r[0], "val/precision", pa, 3);
	add_metric(r[1], "val/precision", pb, 3);
	const struct run *const *rr = (const struct run *const *)r;
	size_t order[4] = {0, 1, 2, 3}, exp_of[4] = {0, 0, 1, 1};
	size_t e0[2] = {0, 1}, e1[2] = {2, 3};
	const size_t *exp_runs[2] = {e0, e1};
	size_t exp_nruns[2] = {2, 2};
	struct plan_runs in = {rr, 4, order, exp_of, exp_runs, exp_nruns, 2};
	for (int at = AT_LAST; at <= AT_BEST; at++) {
		struct plan_opts o = {NULL, NULL, NULL, 0, NULL, (enum metric_at)at};
		struct plan p;
		plan_make(&p, &in, &o);
		INT_EQ(p.nheads, 2, "one headline per experiment");
		STR_EQ(p.exp_primary[0], "val/f1", "e0's primary: the eval metric most runs log");
		STR_EQ(p.exp_primary[1], "accuracy", "e1's primary: its own, not the site's");
		if (p.nheads == 2) {
			const struct plan_headline *h = &p.heads[0];
			STR_EQ(h->metric, "val/f1", "the val/precision spike is no headline");
			INT_EQ(h->exp, 0, "e0 first");
			INT_EQ(h->run, at == AT_BEST ? 0 : 1, "e0's best run by the point");
			DBL_EQ(h->v.value, at == AT_BEST ? 0.6 : 0.55, "its value at the point");
			INT_EQ(h->v.step, at == AT_BEST ? 2 : 3, "and its step");
			INT_EQ(h->v.at, at, "and which point it is");
			h = &p.heads[1];
			INT_EQ(h->exp, 1, "e1 second");
			INT_EQ(h->run, 3, "e1's best run: D");
			DBL_EQ(h->v.value, at == AT_BEST ? 0.9 : 0.85, "D's accuracy at the point");
		}
		plan_free(&p);
	}
	/* --primary names e0's; e1 does not log it and keeps its own. */
	struct plan_opts o = {NULL, "val/precision", NULL, 0, NULL, AT_BEST};
	struct plan p;
	plan_make(&p, &in, &o);
	STR_EQ(p.exp_primary[0], "val/precision", "--primary where the experiment logs it");
	STR_EQ(p.exp_primary[1], "accuracy", "its own primary where it does not");
	plan_free(&p);
	for (int i = 0; i < 4; i++)
		run_free(r[i]);
}

int main(void)
{
	test_value_at();
	test_best_run();
	test_headlines();
	return TEST_END();
}
