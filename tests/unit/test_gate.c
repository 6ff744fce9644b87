/* test_gate.c — rule parsing and evaluation, value choice, run selectors. */
#include <math.h>
#include <stdlib.h>

#include "runsite/util.h"

#include "harness.h"
#include "runsite/gate.h"

static void test_parse(void)
{
	struct gate_rule r;
	char err[256];

	OK(gate_parse("val/accuracy:max:0.005", &r, err, sizeof err), "abs tolerance parses");
	STR_EQ(r.metric, "val/accuracy", "metric");
	INT_EQ(r.kind, GATE_TOLERANCE, "kind");
	INT_EQ(r.dir, GOAL_MAX, "dir");
	DBL_EQ(r.tol, 0.005, "tol");
	OK(!r.relative, "absolute");
	STR_EQ(r.text, "val/accuracy:max:0.005", "text kept");
	gate_rule_free(&r);

	OK(gate_parse("val/loss:min:2%", &r, err, sizeof err), "relative tolerance parses");
	STR_EQ(r.metric, "val/loss", "metric");
	INT_EQ(r.dir, GOAL_MIN, "dir");
	DBL_EQ(r.tol, 2, "percent");
	OK(r.relative, "relative");
	gate_rule_free(&r);

	OK(gate_parse("ns:val:loss:min:0", &r, err, sizeof err), "metric with colons");
	STR_EQ(r.metric, "ns:val:loss", "metric keeps its colons");
	gate_rule_free(&r);

	OK(gate_parse("val/accuracy>=0.9", &r, err, sizeof err), ">= parses");
	STR_EQ(r.metric, "val/accuracy", "metric");
	INT_EQ(r.kind, GATE_THRESHOLD, "kind");
	INT_EQ(r.op, GATE_GE, "op");
	DBL_EQ(r.threshold, 0.9, "threshold");
	gate_rule_free(&r);

	OK(gate_parse("loss<1e-3", &r, err, sizeof err), "< parses");
	INT_EQ(r.op, GATE_LT, "op");
	DBL_EQ(r.threshold, 1e-3, "threshold");
	INT_EQ(r.dir, GOAL_MIN, "dir of <");
	gate_rule_free(&r);

	OK(gate_parse("a>b>2", &r, err, sizeof err), "split at the last operator");
	STR_EQ(r.metric, "a>b", "metric");
	gate_rule_free(&r);

	const char *bad[] = {"val/accuracy", "val/accuracy:max:", "val/accuracy:max:-1",
	                     "val/accuracy:max:x%", ">=0.9", ":max:1", "acc>=", "acc>=nan",
	                     "acc>=1e999", "acc:best:1", "acc>= 1", NULL};
	for (size_t i = 0; bad[i]; i++) {
		err[0] = '\0';
		int ok = gate_parse(bad[i], &r, err, sizeof err);
		OK(!ok, "'%s' is refused", bad[i]);
		OK(err[0] != '\0', "'%s' gets a reason", bad[i]);
		if (ok)
			gate_rule_free(&r);
	}
}

static struct gate_result eval(const char *rule, double b, double c)
{
	struct gate_rule r;
	char err[256];
	struct gate_result res;
	if (!gate_parse(rule, &r, err, sizeof err)) {
		OK(0, "rule %s: %s", rule, err);
		memset(&res, 0, sizeof res);
		return res;
	}
	gate_eval(&r, b, c, &res);
	gate_rule_free(&r);
	return res;
}

static void test_eval(void)
{
	/* higher is better, absolute tolerance: the limit is inclusive */
	OK(eval("acc:max:0.5", 10, 9.5).pass, "max: exactly at the limit holds");
	OK(!eval("acc:max:0.5", 10, 9.25).pass, "max: beyond the tolerance fails");
	OK(eval("acc:max:0", 10, 11).pass, "max: better holds");
	DBL_EQ(eval("acc:max:0.5", 10, 9.25).delta, -0.75, "delta is candidate - baseline");
	DBL_EQ(eval("acc:max:0.5", 10, 9.25).limit, 9.5, "limit");
	/* lower is better, relative tolerance of |baseline| */
	OK(eval("loss:min:50%", 2, 3).pass, "min 50%%: 3 vs 2 holds");
	OK(!eval("loss:min:50%", 2, 3.5).pass, "min 50%%: 3.5 vs 2 fails");
	OK(eval("loss:min:50%", -2, -1).pass, "min 50%% of a negative baseline: -1 vs -2 holds");
	OK(!eval("loss:min:50%", -2, -0.5).pass, "min 50%% of a negative baseline: -0.5 fails");
	DBL_EQ(eval("loss:min:50%", -2, -1).limit, -1, "relative limit uses |baseline|");
	/* non-finite values */
	OK(!eval("acc:max:1", 1, NAN).pass, "NaN candidate fails");
	OK(!eval("loss:min:100%", 1, NAN).pass, "NaN candidate fails (min)");
	OK(!eval("acc:max:1", NAN, 1).pass, "NaN baseline fails a tolerance rule");
	OK(!eval("loss:min:1", 1, INFINITY).pass, "diverged candidate fails");
	OK(eval("loss:min:5%", INFINITY, 3).pass, "anything beats an infinite loss");
	OK(!eval("acc:max:5%", INFINITY, 3).pass, "nothing keeps up with an infinite accuracy");
	/* thresholds */
	OK(eval("acc>=0.9", NAN, 0.9).pass, ">= holds at the threshold, baseline not needed");
	OK(!eval("acc>0.9", NAN, 0.9).pass, "> fails at the threshold");
	OK(eval("loss<=0.1", 5, 0.1).pass, "<= holds at the threshold");
	OK(!eval("loss<0.1", 5, 0.1).pass, "< fails at the threshold");
	OK(!eval("acc>=0.9", 1, NAN).pass, "NaN fails a threshold");
	OK(eval("acc>=0.9", 1, NAN).why[0] != '\0', "a failure says why");
	OK(eval("acc>=0.9", 1, 1).why[0] == '\0', "a pass says nothing");
}

static void test_values(void)
{
	struct run *r = run_new("test", "store");
	struct series *s = run_series(r, "m");
	series_add(s, 0, 0, 3);
	series_add(s, 1, 0, 1);
	series_add(s, 2, 0, 5);
	series_add(s, 3, 0, 2);
	run_series(r, "empty");
	run_finish(r, 0);
	const struct series_sum *m = run_find_sum(r, "m");
	DBL_EQ(gate_series_value(m, GATE_VALUE_LAST, GOAL_MAX), 2, "last");
	DBL_EQ(gate_series_value(m, GATE_VALUE_MIN, GOAL_MAX), 1, "min");
	DBL_EQ(gate_series_value(m, GATE_VALUE_MAX, GOAL_MIN), 5, "max");
	DBL_EQ(gate_series_value(m, GATE_VALUE_BEST, GOAL_MAX), 5, "best when higher is better");
	DBL_EQ(gate_series_value(m, GATE_VALUE_BEST, GOAL_MIN), 1, "best when lower is better");
	OK(isnan(gate_series_value(run_find_sum(r, "empty"), GATE_VALUE_LAST, GOAL_MAX)),
	   "an empty series has no value");
	enum gate_value v;
	OK(gate_value_parse("best", &v) && v == GATE_VALUE_BEST, "best parses");
	OK(!gate_value_parse("mean", &v), "mean is not a value choice");
	STR_EQ(gate_value_name(GATE_VALUE_MIN), "min", "value name");
	run_free(r);
}

static struct run *make_run(const char *id, const char *name, const char *tag)
{
	struct run *r = run_new("test", "store");
	r->id = xstrdup(id);
	r->name = xstrdup(name);
	if (tag)
		kvlist_add(&r->tags, "role", tag);
	series_add(run_series(r, "keep"), 0, 0, 1);
	series_add(run_series(r, "drop"), 0, 0, 1);
	run_finish(r, 0);
	return r;
}

static void test_selectors(void)
{
	struct run *a = make_run("id-a", "alpha", "baseline");
	OK(run_matches(a, "id-a"), "by id");
	OK(run_matches(a, "alpha"), "by name");
	OK(run_matches(a, "tag:role=baseline"), "by tag");
	OK(!run_matches(a, "tag:role=base"), "tag value must match whole");
	OK(run_matches(a, "tag:role"), "tag:KEY without a value matches runs that have the tag");
	OK(!run_matches(a, "tag:nosuch"), "tag:KEY of a tag the run lacks");
	OK(!run_matches(a, "alph"), "no prefix match");
	run_free(a);

	const char *sels[] = {"alpha", "tag:role=new", "gamma"};
	struct gate_picker p;
	gate_picker_init(&p, sels, 3);
	const char *keep[] = {"keep"};
	p.keep_metrics = keep;
	p.nkeep = 1;
	INT_EQ(gate_picker_offer(&p, make_run("1", "alpha", NULL)), 1, "first alpha kept");
	INT_EQ(gate_picker_offer(&p, make_run("2", "beta", "new")), 1, "tagged run kept");
	INT_EQ(gate_picker_offer(&p, make_run("3", "alpha", "new")), 0, "second match not kept");
	INT_EQ(gate_picker_offer(&p, make_run("4", "delta", NULL)), 0, "unnamed run not kept");
	INT_EQ(p.nruns, 2, "two runs kept");
	STR_EQ(gate_picker_run(&p, 0)->id, "1", "alpha is run 1");
	STR_EQ(gate_picker_run(&p, 1)->id, "2", "the tag picked run 2");
	OK(gate_picker_run(&p, 2) == NULL, "gamma picked nothing");
	INT_EQ(p.picks[0].others.n, 1, "alpha is ambiguous");
	INT_EQ(p.picks[1].others.n, 1, "the tag is ambiguous");
	STR_EQ(p.picks[0].others.items[0].key, "3", "the extra match is named");
	const struct run *r1 = gate_picker_run(&p, 0);
	OK(run_find_series(r1, "keep")->pts != NULL, "asked-for series keeps its points");
	OK(run_find_series(r1, "drop")->pts == NULL, "other series lose their points");
	INT_EQ(run_find_series(r1, "drop")->sum.count, 1, "but keep their summary");
	gate_picker_free(&p);

	/* One run named by two selectors is kept once. */
	const char *same[] = {"alpha", "id-1"};
	gate_picker_init(&p, same, 2);
	INT_EQ(gate_picker_offer(&p, make_run("id-1", "alpha", NULL)), 1, "kept");
	INT_EQ(p.nruns, 1, "once");
	OK(gate_picker_run(&p, 0) == gate_picker_run(&p, 1), "both selectors name it");
	gate_picker_free(&p);
}

int main(void)
{
	test_parse();
	test_eval();
	test_values();
	test_selectors();
	return TEST_END();
}
