/* test_select.c — the selection language: a table of expressions and the
 * runs each selects, parse errors, and the checks against the runs. */
#include <stdlib.h>

#include "harness.h"
#include "runsite/select.h"

static struct run *mk(const char *id, const char *name, const char *exp, const char *status,
                      const char *lr, const char *hidden, const char *stage, double f1,
                      double loss)
{
	struct run *r = run_new("test", "store");
	r->id = strdup(id);
	r->name = strdup(name);
	r->experiment_name = strdup(exp);
	r->status = strdup(status);
	kvlist_add(&r->params, "lr", lr);
	if (hidden)
		kvlist_add(&r->params, "hidden_units", hidden);
	kvlist_add(&r->params, "optimizer", "sgd");
	if (stage)
		kvlist_add(&r->tags, "stage", stage);
	if (!isnan(f1)) {
		series_add(run_series(r, "val/f1"), 1, 0, f1 / 2);
		series_add(run_series(r, "val/f1"), 2, 0, f1);
	}
	series_add(run_series(r, "val/loss"), 1, 0, loss);
	run_finish(r, 0);
	return r;
}

/* The names of the runs text selects, joined by spaces ("" for none). */
static char *names(const char *text, struct run **runs, size_t n, const struct goal_rules *g)
{
	char err[256] = "";
	struct select_expr *e = select_parse(text, err, sizeof err);
	if (!e)
		return strdup("(error)");
	size_t out[16];
	size_t k = select_runs(e, (const struct run *const *)runs, n, g, "val/f1", out);
	char buf[512] = "";
	for (size_t i = 0; i < k; i++) {
		strcat(buf, i ? " " : "");
		strcat(buf, runs[out[i]]->name);
	}
	select_free(e);
	return strdup(buf);
}

int main(void)
{
	struct run *runs[] = {
		mk("id1", "logreg-s1", "puppy", "FINISHED", "0.05", NULL, "1", 0.29, 0.30),
		mk("id2", "logreg-s2", "puppy", "FINISHED", "0.005", NULL, "1", 0.11, 0.40),
		mk("id3", "mlp16-posw4-s3", "puppy", "FINISHED", "0.05", "16", "2", 0.45, 0.20),
		mk("id4", "mlp16-lr20-s1", "puppy", "FAILED", "20.0", "16", "2", 0.01, INFINITY),
		mk("id5", "mlp32-s1", "puppy", "RUNNING", "0.05", "32", "2", 0.43, 0.25),
		mk("id6", "other", "my exp", "FINISHED", "1e-3", NULL, NULL, NAN, 0.5),
	};
	size_t n = sizeof runs / sizeof runs[0];
	struct goal_rules goals = {0};
	static const struct {
		const char *expr;
		const char *want;
	} cases[] = {
		{"mlp16-posw4-s3", "mlp16-posw4-s3"},
		{"id2", "logreg-s2"},
		{"mlp*", "mlp16-posw4-s3 mlp16-lr20-s1 mlp32-s1"},
		{"mlp16-posw4-s3, logreg-s1", "logreg-s1 mlp16-posw4-s3"},
		{"experiment=puppy status=FINISHED",
		 "logreg-s1 logreg-s2 mlp16-posw4-s3"},
		{"exp=\"my exp\"", "other"},
		{"experiment=pup*", "logreg-s1 logreg-s2 mlp16-posw4-s3 mlp16-lr20-s1 mlp32-s1"},
		{"status=failed|running", "mlp16-lr20-s1 mlp32-s1"},
		{"status!=FINISHED", "mlp16-lr20-s1 mlp32-s1"},
		{"tag:stage=2", "mlp16-posw4-s3 mlp16-lr20-s1 mlp32-s1"},
		{"tag:stage", "logreg-s1 logreg-s2 mlp16-posw4-s3 mlp16-lr20-s1 mlp32-s1"},
		{"tag:stage!=2", "logreg-s1 logreg-s2 other"},
		{"lr<0.01", "logreg-s2 other"},
		{"lr < 0.01", "logreg-s2 other"},
		{"lr <0.01", "logreg-s2 other"},
		{"lr>=0.05 status=FINISHED", "logreg-s1 mlp16-posw4-s3"},
		{"lr=0.050", "logreg-s1 mlp16-posw4-s3 mlp32-s1"},
		{"lr=20", "mlp16-lr20-s1"},
		{"hidden_units=16", "mlp16-posw4-s3 mlp16-lr20-s1"},
		{"hidden_units!=16", "logreg-s1 logreg-s2 mlp32-s1 other"},
		{"optimizer=s*", "logreg-s1 logreg-s2 mlp16-posw4-s3 mlp16-lr20-s1 mlp32-s1 other"},
		{"param:status=x", ""},
		{"metric:val/f1>0.4", "mlp16-posw4-s3 mlp32-s1"},
		{"metric:val/loss<=0.25", "mlp16-posw4-s3 mlp32-s1"},
		{"metric:val/f1", "logreg-s1 logreg-s2 mlp16-posw4-s3 mlp16-lr20-s1 mlp32-s1"},
		{"name=logreg-*", "logreg-s1 logreg-s2"},
		{"name!=logreg-*", "mlp16-posw4-s3 mlp16-lr20-s1 mlp32-s1 other"},
		{"id=id5", "mlp32-s1"},
		{"top 2 by val/f1", "mlp16-posw4-s3 mlp32-s1"},
		{"experiment=puppy top 3 by val/loss", "mlp16-posw4-s3 mlp32-s1 logreg-s1"},
		{"top 1", "mlp16-posw4-s3"},
		{"status=FINISHED top 5 by val/f1", "mlp16-posw4-s3 logreg-s1 logreg-s2"},
		{"logreg-*, mlp32-s1 top 2 by val/f1", "mlp32-s1 logreg-s1"},
		{"nothing-like-this", ""},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *got = names(cases[i].expr, runs, n, &goals);
		STR_EQ(got, cases[i].want, cases[i].expr);
		free(got);
	}

	static const char *const bad[] = {
		"",         "  ,  ", "lr<abc", "top", "top x by f1", "top 0", "top 2 by",
		"status<3", "tag:k>1", "lr<=>3", "param:lr",    "name=", "top 1 top 2",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char err[256] = "";
		struct select_expr *e = select_parse(bad[i], err, sizeof err);
		OK(e == NULL && err[0], "'%s' should not parse (err '%s')", bad[i], err);
		select_free(e);
	}

	static const struct {
		const char *expr;
		int ok;
	} checks[] = {
		{"lr<0.1", 1},           {"dropout=0.1", 0}, {"tag:stage=1", 1},
		{"tag:owner=x", 0},      {"metric:val/f1>0", 1}, {"metric:val/auc>0", 0},
		{"experiment=puppy", 1}, {"experiment=cats", 0}, {"top 2 by val/f1", 1},
		{"top 2 by val/auc", 0}, {"top 2 by lr_metric", 0},
	};
	for (size_t i = 0; i < sizeof checks / sizeof checks[0]; i++) {
		char err[256] = "";
		struct select_expr *e = select_parse(checks[i].expr, err, sizeof err);
		OK(e != NULL, "'%s' parses", checks[i].expr);
		if (!e)
			continue;
		int ok = select_check(e, (const struct run *const *)runs, n, &goals, NULL, err,
		                      sizeof err);
		OK(ok == checks[i].ok, "check '%s': got %d (%s)", checks[i].expr, ok, err);
		select_free(e);
	}

	/* A metric without a direction cannot rank runs. */
	for (size_t i = 0; i < n; i++)
		series_add(run_series(runs[i], "lr_metric"), 1, 0, 1.0);
	char err[256] = "";
	struct select_expr *e = select_parse("top 1 by step_count", err, sizeof err);
	OK(!select_check(e, (const struct run *const *)runs, n, &goals, NULL, err, sizeof err),
	   "a metric no run has");
	select_free(e);

	e = select_parse("mlp16-posw4-s3", err, sizeof err);
	OK(select_is_single(e), "a plain name is a single-run selector");
	select_free(e);
	e = select_parse("mlp*", err, sizeof err);
	OK(!select_is_single(e), "a glob is not");
	select_free(e);
	e = select_parse("tag:stage=2", err, sizeof err);
	OK(select_is_single(e), "tag:KEY=VALUE is, as check always took it");
	select_free(e);
	e = select_parse("tag:stage=2 status=FINISHED", err, sizeof err);
	OK(!select_is_single(e), "two terms are not");
	select_free(e);

	for (size_t i = 0; i < n; i++)
		run_free(runs[i]);
	return TEST_END();
}
