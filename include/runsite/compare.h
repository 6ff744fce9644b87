/* compare.h — how runs compare: which value of a metric stands for a run,
 * which run is best, picking runs by id, name or tag, the params that vary
 * among runs, runs that differ only in a seed grouped with mean and spread,
 * and mean curves with a band for charts. Knows no file format, HTML or
 * chart code. */
#ifndef RUNSITE_COMPARE_H
#define RUNSITE_COMPARE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "runsite/goal.h"
#include "runsite/model.h"

/* Which value of a series stands for the run. */
enum compare_mode {
	CMP_LAST, /* the latest value (what MLflow shows) */
	CMP_BEST, /* the best under the metric's goal (min or max) */
	CMP_MIN,
	CMP_MAX,
};

/* "last", "best", "min" or "max". */
const char *compare_mode_name(enum compare_mode m);

/* The point a run's metric is read at (--at): its last value, or its best
 * under the metric's goal. One choice governs every page, check and export,
 * and every figure says which point it is. */
enum metric_at {
	AT_LAST, /* the latest value: what MLflow shows, what a model is shipped at */
	AT_BEST, /* the best under the goal (min or max); ties: the earliest step */
};
#define AT_DEFAULT AT_LAST

/* A metric's value at a point, and which point it is. */
struct at_value {
	double value;    /* may be NaN or ±Inf at the last point */
	int64_t step;
	enum metric_at at; /* the point it is: AT_BEST only when asked for and the
	                    * metric has a goal and a finite value; else AT_LAST */
};

/* Parses "best" or "last"; false for anything else. */
bool metric_at_parse(const char *s, enum metric_at *out);
/* "best" or "last". */
const char *metric_at_name(enum metric_at at);
/* THE value of series se at point `at` under goal g: the last point, or the
 * best finite one (the earliest on a tie); best falls back to the last point
 * (and says so in out->at) for a metric without a goal or without a finite
 * value. Returns false when se is NULL or empty. */
bool metric_at(const struct series_sum *se, enum goal g, enum metric_at at, struct at_value *out);
/* The same for metric key of run r. */
bool metric_at_run(const struct run *r, const char *key, enum goal g, enum metric_at at,
                   struct at_value *out);
/* "best, step 840" or "last, step 1000" into out. */
void metric_at_label(char *out, size_t outsz, const struct at_value *v);
/* The compare mode metric_at reads for goal g: CMP_BEST or CMP_LAST. */
enum compare_mode compare_mode_at(enum goal g, enum metric_at at);
/* The value of se in mode m under goal g into *value (and its step into
 * *step when not NULL). Returns false when there is none: no points, no
 * finite value for min/max/best, or best without a goal. */
bool compare_value(const struct series_sum *se, enum goal g, enum compare_mode m, double *value,
                   int64_t *step);
/* The index (into runs) of the best run for metric key under goal g, by
 * each run's value at point `at` (metric_at; NaN left out); ties go to the
 * earlier run. -1 when no run has a value or g is GOAL_NONE. */
long compare_best(const struct run *const *runs, size_t n, const char *key, enum goal g,
                  enum metric_at at);

/* Writes the indexes of the runs spec names (run_matches in model.h; an id
 * names one run even when another is called by it) into out (room for n),
 * in order; returns how many. */
size_t compare_select(const struct run *const *runs, size_t n, const char *spec, size_t *out);

/* A param key and how it varies over a set of runs. */
struct compare_param {
	const char *key; /* points into a run's params */
	size_t runs;     /* runs that have it */
	size_t distinct; /* distinct values among them */
};

/* The params whose value is not the same for every run (a run without the
 * param counts as different), sorted by key. For one run, all its params.
 * Caller frees the array, not the keys. */
size_t compare_varying_params(const struct run *const *runs, size_t n,
                              struct compare_param **out);

/* Every param key (metric key with metrics) any of runs[0..n) has, once
 * each, sorted. Caller frees the array, not the keys. */
const char **compare_key_union(const struct run *const *runs, size_t n, bool metrics,
                               size_t *count);

/* True when key names a seed: seed, random_state, rng_seed, random_seed,
 * np_seed, torch_seed, ... (case-insensitive, a word "seed" or "random_state"
 * at the end). With group_by given (ngroup > 0), exactly those keys instead. */
bool compare_is_seed_param(const char *key, const char *const *group_by, size_t ngroup);

/* A group of runs that differ only in seed params. */
struct compare_group {
	size_t *members; /* indexes into the runs given, in their order */
	size_t n;        /* two or more */
};

/* Groups runs that have a seed param (see compare_is_seed_param) and
 * otherwise the same params (same keys, same values). Groups are in the
 * order of their first member. Returns the count; *out is freed with
 * compare_groups_free. */
size_t compare_seed_groups(const struct run *const *runs, size_t n, const char *const *group_by,
                           size_t ngroup, struct compare_group **out);
void compare_groups_free(struct compare_group *groups, size_t n);

struct compare_stats {
	size_t n;     /* members with a value */
	double mean;
	double std;   /* sample standard deviation (n − 1); 0 for one value */
	double min, max;
};

/* Mean, standard deviation and range of the values (in mode m under goal
 * g) of metric key over the group's members. Returns false when no member
 * has a finite value. Non-finite values are left out. */
bool compare_group_stats(const struct run *const *runs, const struct compare_group *g,
                         const char *key, enum goal goal, enum compare_mode m,
                         struct compare_stats *st);

/* A point of a curve: x is a step or seconds, y may be NaN or ±Inf. */
struct curve_point {
	double x, y;
};

/* The mean curve of k series (each sorted by x) and a band around it:
 * ±1 sample standard deviation, or the min and max with minmax. At each x
 * of any series, each series that spans x contributes its value there
 * (linear between its points; non-finite points are skipped). Writes three
 * arrays of the same length (caller frees each) and returns the length. */
size_t compare_mean_band(const struct curve_point *const *pts, const size_t *n, size_t k,
                         bool minmax, struct curve_point **mean, struct curve_point **lo,
                         struct curve_point **hi);

#endif
