/* plan.h — what the site shows, decided from the runs alone: the primary
 * metric, the baseline, the compare pages, which metrics and params a
 * table shows, which runs an overlay draws, which tags are the tracker's
 * own. No HTML, no file formats, no charts: the pages read the plan. */
#ifndef RUNSITE_PLAN_H
#define RUNSITE_PLAN_H

#include <stdbool.h>
#include <stddef.h>

#include "runsite/compare.h"
#include "runsite/goal.h"
#include "runsite/model.h"

/* The options the plan is made from (the build's command line). */
struct plan_opts {
	const struct goal_rules *goals; /* --goal; metrics no rule matches are inferred */
	const char *primary;            /* --primary; NULL: chosen (plan_make) */
	const char *const *compare;     /* --compare lists, each "RUN,RUN[,...]" */
	size_t ncompare;
	const char *baseline;           /* --baseline RUN */
	enum metric_at at;              /* --at: the point every metric is read at */
};

/* The runs the plan is made from: runs[i] is run i; order lists every run
 * in display order; exp_of[i] is the experiment of run i, whose runs are
 * exp_runs[e][0..exp_nruns[e]) in display order. */
struct plan_runs {
	const struct run *const *runs;
	size_t n;
	const size_t *order;
	const size_t *exp_of;
	const size_t *const *exp_runs;
	const size_t *exp_nruns;
	size_t nexps;
};

/* A compare page: runs side by side, the first one the reference. */
struct plan_compare {
	char *title;   /* "a vs b" */
	size_t *runs;  /* run indexes; runs[0] is the reference */
	size_t n;
	long exp;      /* the experiment of all its runs, or -1 (runs of several) */
};

/* An experiment's headline: its primary metric at the chosen point, in the
 * experiment's best run by that value. */
struct plan_headline {
	size_t exp;            /* experiment index */
	const char *metric;    /* the experiment's primary metric */
	enum goal goal;
	size_t run;            /* run index */
	struct at_value v;     /* the value, its step, and which point it is */
};

struct plan {
	const char *primary;       /* the metric the best run is named for (points into a
	                            * run or the options); NULL: no metric has a direction */
	long baseline;             /* the --baseline run, or -1 */
	struct plan_compare *cmps; /* --compare pages, then baseline-vs-each */
	size_t ncmps, capcmps;
	enum metric_at at;         /* the point every metric is read at (--at) */
	const char **exp_primary;  /* per experiment: its primary metric (--primary when
	                            * it logs it, else chosen from its own runs as the
	                            * site's is), or NULL when none has a direction */
	size_t nexps;
	struct plan_headline *heads; /* one per experiment whose primary metric a run has,
	                              * in experiment order */
	size_t nheads;
};

/* Makes the plan once every run is read and ordered; names that match no
 * run are warned about and left out. Free with plan_free. */
void plan_make(struct plan *p, const struct plan_runs *in, const struct plan_opts *o);
void plan_free(struct plan *p);

/* The best of runs idx[0..n) (indexes into all) by metric key under goal g
 * at point `at`, as a position in idx, or -1: compare_best, except that a
 * run which logged key at one step only is left out when another logged it
 * at two or more, so a one-step fluke (a run stopped after its first
 * evaluation, a lucky first batch) is never named best over real curves. */
long plan_best_run(const struct run *const *all, const size_t *idx, size_t n, const char *key,
                   enum goal g, enum metric_at at);

/* The headlines of experiments exps[0..n) of runs: per experiment, its
 * primary metric (primary[e]) at point `at` in its best run by that value;
 * ties go to the earlier run in display order. Writes at most n into out
 * and returns how many. */
size_t plan_headlines(const struct plan_runs *in, const char *const *primary,
                      const struct goal_rules *goals, enum metric_at at,
                      struct plan_headline *out);

/* Limits of the runs tables, the overlays and the sweeps. */
#define PLAN_MAX_PARAM_COLS 8   /* params shown in a runs table */
#define PLAN_MAX_METRIC_KEYS 8  /* metrics shown in a runs table */
#define PLAN_MAX_OVERLAY_KEYS 24
#define PLAN_MAX_SWEEP_PARAMS 8 /* params on a parallel-coordinates chart, scatters drawn */

/* A metric key of a set of runs: how many log it, its direction. */
struct plan_metric {
	const char *key;
	size_t runs;
	enum goal goal;
};

/* The metric keys of runs idx[0..n) (indexes into all): goal metrics first,
 * then by how many runs log them, the primary metric leading; at most max.
 * Caller frees the array. */
struct plan_metric *plan_metric_keys(const struct run *const *all, const size_t *idx, size_t n,
                                     const struct goal_rules *goals, const char *primary,
                                     size_t max, size_t *nout);

/* The param keys whose values differ across runs idx[0..n) (a missing
 * value counts as different), all of them for a single run: at most max,
 * those with two values or more first, then those most runs have; in key
 * order. Caller frees the array (not the strings). */
struct compare_param *plan_varying_params(const struct run *const *all, const size_t *idx,
                                          size_t n, size_t max, size_t *nout);

/* The tracker's own tags (MLflow's mlflow.*), shown apart; the note
 * (mlflow.note.content) is neither: it is shown rendered as the notes. */
bool plan_is_system_tag(const char *key);
bool plan_is_user_tag(const char *key);

/* One line on an overlay: a run, or a seed group drawn as its mean. */
struct plan_unit {
	size_t run;                    /* run index (a group's first member) */
	const struct compare_group *g; /* NULL: a single run */
	const size_t *idx;             /* run indexes the group's members index into */
};

/* Chooses which of units[0..n) an overlay of metric key shows: all of up
 * to 20, else the best 10 by the metric (by the primary metric when key has
 * no direction) and the baseline. Writes the chosen indexes into pick in
 * unit order and returns their count; *note (caller frees) says what was
 * left out, or is NULL. */
size_t plan_overlay_pick(const struct plan *p, const struct run *const *all,
                         const struct goal_rules *goals, const struct plan_unit *units,
                         size_t n, const char *key, size_t *pick, char **note);

#endif
