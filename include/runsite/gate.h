/* gate.h — the rules of `runsite check` and the run selectors of check and
 * export: parsing, matching and evaluation only. Knows no file format and
 * writes nothing. */
#ifndef RUNSITE_GATE_H
#define RUNSITE_GATE_H

#include <stdbool.h>
#include <stddef.h>

#include "runsite/compare.h"
#include "runsite/goal.h"
#include "runsite/model.h"

enum gate_kind {
	GATE_TOLERANCE, /* "val/loss:min:2%": no worse than the baseline by more than a tolerance */
	GATE_THRESHOLD, /* "val/accuracy>=0.9": the candidate must reach a value */
};

enum gate_op { GATE_GE, GATE_GT, GATE_LE, GATE_LT };

struct gate_rule {
	char *text;        /* as given */
	char *metric;
	enum gate_kind kind;
	enum goal dir;     /* tolerance: GOAL_MAX (higher is better) or GOAL_MIN;
	                    * threshold: GOAL_MAX for >= and >, GOAL_MIN for <= and < */
	double tol;        /* tolerance: absolute, or percent when relative */
	bool relative;
	enum gate_op op;   /* threshold */
	double threshold;
};

/* Parses rule text: METRIC:max:TOL, METRIC:min:TOL (TOL a number, or a
 * percentage "2%"), or METRIC>=V, METRIC>V, METRIC<=V, METRIC<V. The metric
 * is everything before the last such suffix, so it may hold ':' itself.
 * Returns 1, or 0 with a reason in err. */
int gate_parse(const char *text, struct gate_rule *out, char *err, size_t errsz);
void gate_rule_free(struct gate_rule *r);

/* Which value of a series a rule compares. */
enum gate_value { GATE_VALUE_LAST, GATE_VALUE_BEST, GATE_VALUE_MIN, GATE_VALUE_MAX };

/* Parses "last", "best", "min" or "max"; returns 0 for anything else. */
int gate_value_parse(const char *s, enum gate_value *out);
const char *gate_value_name(enum gate_value v);
/* The value of s that v names (best: by dir); NaN when the series holds none. */
double gate_series_value(const struct series_sum *s, enum gate_value v, enum goal dir);

struct gate_result {
	bool pass;
	double delta;   /* candidate - baseline (NaN for a threshold rule without baseline) */
	double limit;   /* the value the candidate had to reach (inclusive for tolerances) */
	const char *why; /* static text for a failure, "" when it passed */
};

/* Evaluates rule r on the baseline and candidate values (baseline may be NaN
 * for threshold rules). A NaN candidate fails; so does a tolerance rule with a
 * NaN baseline. Relative tolerances are a percentage of |baseline|. */
void gate_eval(const struct gate_rule *r, double baseline, double candidate,
               struct gate_result *out);

/* ---- run selectors ---- */


struct select_expr;

/* A selector and what it matched while the runs streamed by. A selector is
 * a run's id or name, tag:KEY=VALUE, or any expression of the selection
 * language (select.h): a glob, terms, top N by METRIC. */
struct gate_pick {
	const char *selector;
	struct select_expr *expr; /* the selector as an expression naming runs by
	                           * more than one word, or NULL */
	long run;             /* index into gate_picker.runs of the first match, or -1 */
	struct kvlist others; /* further matches: id → name (a selector naming one run) */
	size_t *all;          /* expr: every run it selects, indexes into gate_picker.runs,
	                       * the best first with top N */
	size_t nall, capall;
};

/* Keeps the runs that some selector names, and nothing else. */
struct gate_picker {
	struct gate_pick *picks;
	size_t npicks;
	struct run **runs;
	size_t nruns, capruns;
	size_t *seq;          /* each kept run's place among all runs offered (its colour on the site) */
	size_t offered;
	const char *const *keep_metrics; /* when not NULL: points of other series are freed */
	size_t nkeep;
	bool one_each;        /* every selector must name exactly one run (check) */
	const struct goal_rules *goals; /* the directions of top N's metric (may be NULL) */
	enum metric_at at;    /* the point metric terms and top N read metrics at (--at) */
};

/* Sets up a picker for the given selectors (copied by pointer). */
void gate_picker_init(struct gate_picker *p, const char *const *selectors, size_t n);
/* Offers a run: kept (ownership taken, returns 1) when a selector names it
 * and names no run yet; else recorded as an extra match and freed, or just
 * freed when no selector names it (returns 0). */
int gate_picker_offer(struct gate_picker *p, struct run *r);
/* The runs selector i picked: *n of them (the best first with top N). */
struct run **gate_picker_runs(const struct gate_picker *p, size_t i, size_t *n);
/* The run selector i picked, or NULL. */
struct run *gate_picker_run(const struct gate_picker *p, size_t i);
void gate_picker_free(struct gate_picker *p);

struct discovery;
struct reader_opts;
/* Reads every store of d through the pipeline (redacting unless told not
 * to) into the picker. Returns EXIT_OK; EXIT_USAGE when a selector is not
 * an expression, or names several runs where one is wanted (a single name,
 * or one_each), EXIT_NO_INPUT when no store was found or a selector names
 * none (each reported, naming the selector and the runs). */
int gate_picker_read(struct gate_picker *p, const struct discovery *d,
                     const struct reader_opts *ropts, bool redact);

#endif
