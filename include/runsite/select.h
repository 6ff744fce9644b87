/* select.h — the run selection language, one for every command: report
 * blocks (`runs:`), `build --select`, `check` and `export`. Parsing and
 * matching only; knows no file format, HTML or chart code.
 *
 * An expression is alternatives separated by commas; an alternative is
 * terms separated by spaces, all of which must hold:
 *   WORD              a run id, or a run name (a glob: mlp16-*)
 *   name=GLOB         id=ID   experiment=GLOB (exp=)   status=FINISHED|FAILED
 *   tag:KEY           tag:KEY=GLOB
 *   KEY OP VALUE      a param (param:KEY OP VALUE when KEY is a word above),
 *                     OP one of = != < <= > >=; = and != compare numbers as
 *                     numbers, other text as a glob; < > need numbers
 *   metric:KEY OP V   the metric's value (best when it has a goal, else last)
 * Each of name, id, experiment, status, tag and KEY also takes != instead
 * of =. Values may be quoted ("my experiment"). Anywhere in the expression,
 * `top N by METRIC` keeps the N best of the runs matched, by the metric in
 * its goal direction (`top N` alone: by the primary metric). */
#ifndef RUNSITE_SELECT_H
#define RUNSITE_SELECT_H

#include <stdbool.h>
#include <stddef.h>

#include "runsite/compare.h"
#include "runsite/goal.h"
#include "runsite/model.h"

struct select_expr;

/* Parses text. NULL with a reason in err when it is not an expression. */
struct select_expr *select_parse(const char *text, char *err, size_t errsz);
void select_free(struct select_expr *e);
/* The point metric:KEY terms and `top N by METRIC` read each run's metric
 * at (metric_at): the command's --at; AT_DEFAULT until set. */
void select_set_at(struct select_expr *e, enum metric_at at);

/* True when run r passes the expression's terms (top N is not applied);
 * goals give the direction of metric:KEY terms. */
bool select_match(const struct select_expr *e, const struct run *r,
                  const struct goal_rules *goals);

/* The N of `top N` (0: none). */
size_t select_top(const struct select_expr *e);

/* True when the expression is a selector as check and export always took,
 * which must name exactly one run: a plain name or id, tag:KEY or
 * tag:KEY=VALUE (no glob, nothing else). */
bool select_is_single(const struct select_expr *e);

/* The runs of runs[0..n) the expression selects, as indexes into out (room
 * for n), in the given order; with top N, the N best first (ties: the
 * earlier run), runs without a value left out. primary names the metric of
 * `top N` without `by`. Returns the count. */
size_t select_runs(const struct select_expr *e, const struct run *const *runs, size_t n,
                   const struct goal_rules *goals, const char *primary, size_t *out);

/* Checks what the expression names against runs[0..n): a param, metric or
 * tag key no run has, an experiment no run is in, a top metric without a
 * direction. Returns 1, or 0 with the first problem in err. */
int select_check(const struct select_expr *e, const struct run *const *runs, size_t n,
                 const struct goal_rules *goals, const char *primary, char *err,
                 size_t errsz);

#endif
