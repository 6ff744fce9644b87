/* plan.c — the decisions behind the pages, made from the runs alone: the
 * primary metric, the baseline and the compare pages, the metric and param
 * columns of a runs table, which runs an overlay draws. No HTML here: the
 * pages (src/site/) only show what the plan says. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "runsite/diag.h"
#include "runsite/plan.h"
#include "runsite/util.h"

#define MAX_OVERLAY_RUNS 20 /* series on an experiment overlay before it keeps the best */
#define OVERLAY_BEST 10     /* ... the best this many (and the baseline) */

/* ---- columns of the runs tables ---- */

static int cmp_key_count(const void *a, const void *b)
{
	const struct plan_metric *x = a, *y = b;
	int gx = x->goal != GOAL_NONE, gy = y->goal != GOAL_NONE;
	if (gx != gy)
		return gy - gx;
	if (x->runs != y->runs)
		return x->runs < y->runs ? 1 : -1;
	return strcmp(x->key, y->key);
}

struct plan_metric *plan_metric_keys(const struct run *const *all, const size_t *idx, size_t n,
                                     const struct goal_rules *goals, const char *primary,
                                     size_t max, size_t *nout)
{
	struct plan_metric *k = NULL;
	size_t nk = 0, cap = 0;
	for (size_t i = 0; i < n; i++) {
		const struct run *r = all[idx[i]];
		for (size_t m = 0; m < r->nmetrics; m++) {
			size_t j = 0;
			while (j < nk && strcmp(k[j].key, run_sum(r, m)->key) != 0)
				j++;
			if (j == nk) {
				GROW(k, cap, nk + 1);
				k[nk++] = (struct plan_metric){run_sum(r, m)->key, 0,
				                               goal_for(goals, run_sum(r, m)->key)};
			}
			k[j].runs++;
		}
	}
	if (nk > 1)
		qsort(k, nk, sizeof *k, cmp_key_count);
	/* The primary metric leads. */
	for (size_t j = 1; primary && j < nk; j++)
		if (strcmp(k[j].key, primary) == 0) {
			struct plan_metric t = k[j];
			memmove(k + 1, k, j * sizeof *k);
			k[0] = t;
		}
	*nout = nk < max ? nk : max;
	return k;
}

static int cmp_param_col(const void *a, const void *b)
{
	const struct compare_param *x = a, *y = b;
	/* Params with two values or more before those only some runs have. */
	if ((x->distinct > 1) != (y->distinct > 1))
		return (y->distinct > 1) - (x->distinct > 1);
	if (x->runs != y->runs)
		return x->runs < y->runs ? 1 : -1;
	return strcmp(x->key, y->key);
}

static int cmp_param_key(const void *a, const void *b)
{
	return strcmp(((const struct compare_param *)a)->key, ((const struct compare_param *)b)->key);
}

struct compare_param *plan_varying_params(const struct run *const *all, const size_t *idx,
                                          size_t n, size_t max, size_t *nout)
{
	const struct run **rr = xreallocarray(NULL, n ? n : 1, sizeof *rr);
	for (size_t i = 0; i < n; i++)
		rr[i] = all[idx[i]];
	struct compare_param *keys = NULL;
	size_t nk = compare_varying_params(rr, n, &keys);
	free(rr);
	if (nk > 1)
		qsort(keys, nk, sizeof *keys, cmp_param_col);
	*nout = nk < max ? nk : max;
	if (*nout > 1)
		qsort(keys, *nout, sizeof *keys, cmp_param_key);
	return keys;
}

/* ---- tags ---- */

bool plan_is_system_tag(const char *key)
{
	return str_starts(key, "mlflow.") && strcmp(key, "mlflow.note.content") != 0;
}

bool plan_is_user_tag(const char *key)
{
	return !str_starts(key, "mlflow.");
}

/* The value ranking unit u for metric key under g at point at: a run's
 * value, a group's mean. Returns 0 when it has none. */
static int unit_value(const struct run *const *all, const struct plan_unit *u, const char *key,
                      enum goal g, enum metric_at at, double *v)
{
	if (!u->g) {
		struct at_value av;
		if (!metric_at_run(all[u->run], key, g, at, &av) || isnan(av.value))
			return 0;
		*v = av.value;
		return 1;
	}
	size_t n = u->g->n;
	const struct run **rr = xreallocarray(NULL, n, sizeof *rr);
	struct compare_group g1 = {xreallocarray(NULL, n, sizeof(size_t)), n};
	for (size_t i = 0; i < n; i++) {
		rr[i] = all[u->idx[u->g->members[i]]];
		g1.members[i] = i;
	}
	struct compare_stats st;
	int ok = compare_group_stats(rr, &g1, key, g, compare_mode_at(g, at), &st);
	free(g1.members);
	free(rr);
	if (ok)
		*v = st.mean;
	return ok;
}

/* Whether unit u holds run index ri. */
static int unit_has(const struct plan_unit *u, long ri)
{
	if (ri < 0)
		return 0;
	if (!u->g)
		return u->run == (size_t)ri;
	for (size_t i = 0; i < u->g->n; i++)
		if (u->idx[u->g->members[i]] == (size_t)ri)
			return 1;
	return 0;
}

struct ranked {
	size_t unit;
	int has;
	double v;
};

static int cmp_ranked_max(const void *a, const void *b)
{
	const struct ranked *x = a, *y = b;
	if (x->has != y->has)
		return y->has - x->has;
	if (x->has && x->v != y->v)
		return x->v > y->v ? -1 : 1;
	return (x->unit > y->unit) - (x->unit < y->unit);
}

static int cmp_ranked_min(const void *a, const void *b)
{
	const struct ranked *x = a, *y = b;
	if (x->has != y->has)
		return y->has - x->has;
	if (x->has && x->v != y->v)
		return x->v < y->v ? -1 : 1;
	return (x->unit > y->unit) - (x->unit < y->unit);
}

/* The limits are MAX_OVERLAY_RUNS and OVERLAY_BEST. */
size_t plan_overlay_pick(const struct plan *p, const struct run *const *all,
                         const struct goal_rules *goals, const struct plan_unit *units,
                         size_t n, const char *key, size_t *pick, char **note)
{
	*note = NULL;
	if (n <= MAX_OVERLAY_RUNS) {
		for (size_t i = 0; i < n; i++)
			pick[i] = i;
		return n;
	}
	const char *by = key;
	enum goal g = goal_for(goals, key);
	if (g == GOAL_NONE && p->primary) {
		by = p->primary;
		g = goal_for(goals, by);
	}
	struct ranked *rk = xreallocarray(NULL, n, sizeof *rk);
	for (size_t i = 0; i < n; i++) {
		rk[i].unit = i;
		rk[i].has = g != GOAL_NONE && unit_value(all, &units[i], by, g, p->at, &rk[i].v);
	}
	if (g != GOAL_NONE)
		qsort(rk, n, sizeof *rk, g == GOAL_MIN ? cmp_ranked_min : cmp_ranked_max);
	char *keep = xcalloc(n, 1);
	int with_base = 0;
	for (size_t i = 0; i < n && i < OVERLAY_BEST; i++)
		keep[rk[i].unit] = 1;
	for (size_t i = 0; i < n; i++)
		if (!keep[i] && unit_has(&units[i], p->baseline)) {
			keep[i] = 1;
			with_base = 1;
		}
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		if (keep[i])
			pick[k++] = i;
	if (g != GOAL_NONE)
		*note = xasprintf("Showing the best %d of %zu runs and groups by %s (%s, %s value)%s.",
		                  OVERLAY_BEST, n, by, g == GOAL_MIN ? "lowest" : "highest",
		                  metric_at_name(p->at),
		                  with_base ? ", and the baseline" : "");
	else
		*note = xasprintf("Showing the first %d of %zu runs and groups%s.", OVERLAY_BEST, n,
		                  with_base ? ", and the baseline" : "");
	free(keep);
	free(rk);
	return k;
}

/* ---- compare pages ---- */

/* ---- the primary metric and the compare pages ---- */

/* Adds a compare page for runs idx[0..n) (n >= 2; copied). */
static void add_compare(struct plan *p, const struct plan_runs *in, const size_t *idx, size_t n)
{
	struct buf t = BUF_INIT;
	for (size_t i = 0; i < n; i++)
		buf_printf(&t, "%s%s", i ? " vs " : "", in->runs[idx[i]]->name);
	GROW(p->cmps, p->capcmps, p->ncmps + 1);
	struct plan_compare *c = &p->cmps[p->ncmps++];
	c->title = buf_detach(&t);
	c->runs = xreallocarray(NULL, n, sizeof *c->runs);
	memcpy(c->runs, idx, n * sizeof *idx);
	c->n = n;
	c->exp = (long)in->exp_of[idx[0]];
	for (size_t i = 1; i < n; i++)
		if (in->exp_of[idx[i]] != in->exp_of[idx[0]])
			c->exp = -1;
}

/* Whether key is an evaluation metric by its first word (val/, eval_, test-...). */
static int is_eval_key(const char *key)
{
	static const char *const words[] = {"val", "valid", "validation", "eval", "test", NULL};
	for (size_t i = 0; words[i]; i++) {
		size_t n = strlen(words[i]);
		if (strncmp(key, words[i], n) == 0 && strchr("/_-.", key[n]) && key[n])
			return 1;
	}
	return 0;
}

/* Whether some run of idx[0..n) logs metric key. */
static int runs_log(const struct run *const *runs, const size_t *idx, size_t n, const char *key)
{
	for (size_t i = 0; key && i < n; i++)
		if (run_find_sum(runs[idx[i]], key))
			return 1;
	return 0;
}

/* The primary metric of runs idx[0..n): as given; else the first a --goal
 * rule names, else an evaluation metric with a direction, else any with one
 * (among each, the one most runs log). */
static const char *choose_primary(const struct run *const *runs, const size_t *idx, size_t n,
                                  const struct plan_opts *o)
{
	if (o->primary)
		return o->primary;
	const char *primary = NULL;
	size_t nk = 0;
	struct plan_metric *k =
	        plan_metric_keys(runs, idx, n, o->goals, NULL, (size_t)-1, &nk);
	for (int pass = 0; pass < 3 && !primary; pass++)
		for (size_t i = 0; i < nk && !primary; i++) {
			if (k[i].goal == GOAL_NONE)
				continue;
			if ((pass == 0 && goal_rules_match(o->goals, k[i].key)) ||
			    (pass == 1 && is_eval_key(k[i].key)) || pass == 2)
				primary = k[i].key; /* points into a run, which outlives the plan */
		}
	free(k);
	return primary;
}

/* The run --baseline names (the first in display order), or -1. */
static long find_baseline(const struct plan_runs *in, const struct run **rr, size_t *hits,
                          const char *spec)
{
	size_t n = compare_select(rr, in->n, spec, hits);
	if (n == 0) {
		diag_msg("--baseline %s: no run has that id, name or tag", spec);
		return -1;
	}
	if (n > 1)
		diag_msg("--baseline %s names %zu runs; using %s (%s)", spec, n, rr[hits[0]]->name,
		         rr[hits[0]]->id);
	return (long)in->order[hits[0]];
}

/* The compare page of one --compare list, when it names two runs or more. */
static void plan_compare_list(struct plan *p, const struct plan_runs *in, const struct run **rr,
                              size_t *hits, const char *spec)
{
	size_t *pick = xreallocarray(NULL, in->n ? in->n : 1, sizeof *pick);
	size_t np = 0;
	char *list = xstrdup(spec), *save = NULL;
	for (char *t = strtok_r(list, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		size_t n = compare_select(rr, in->n, t, hits);
		if (n == 0)
			diag_msg("--compare %s: no run has the id, name or tag %s", spec, t);
		for (size_t i = 0; i < n; i++) {
			size_t ri = in->order[hits[i]], j = 0;
			while (j < np && pick[j] != ri)
				j++;
			if (j == np)
				pick[np++] = ri;
		}
	}
	if (np >= 2)
		add_compare(p, in, pick, np);
	else
		diag_msg("--compare %s: needs two runs or more, found %zu", spec, np);
	free(list);
	free(pick);
}

size_t plan_headlines(const struct plan_runs *in, const char *const *primary,
                      const struct goal_rules *goals, enum metric_at at,
                      struct plan_headline *out)
{
	size_t n = 0;
	for (size_t e = 0; e < in->nexps; e++) {
		const char *key = primary[e];
		enum goal g = key ? goal_for(goals, key) : GOAL_NONE;
		if (g == GOAL_NONE)
			continue;
		long b = plan_best_run(in->runs, in->exp_runs[e], in->exp_nruns[e], key, g, at);
		if (b >= 0 && metric_at_run(in->runs[in->exp_runs[e][b]], key, g, at, &out[n].v)) {
			out[n].exp = e;
			out[n].metric = key;
			out[n].goal = g;
			out[n].run = in->exp_runs[e][b];
			n++;
		}
	}
	return n;
}

long plan_best_run(const struct run *const *all, const size_t *idx, size_t n, const char *key,
                   enum goal g, enum metric_at at)
{
	int curves = 0;
	for (size_t i = 0; i < n && !curves; i++) {
		const struct series_sum *se = run_find_sum(all[idx[i]], key);
		curves = se && se->count >= 2;
	}
	const struct run **rr = xreallocarray(NULL, n ? n : 1, sizeof *rr);
	size_t *pos = xreallocarray(NULL, n ? n : 1, sizeof *pos);
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		const struct series_sum *se = run_find_sum(all[idx[i]], key);
		if (curves && (!se || se->count < 2))
			continue;
		rr[k] = all[idx[i]];
		pos[k++] = i;
	}
	long b = compare_best(rr, k, key, g, at);
	long res = b >= 0 ? (long)pos[b] : -1;
	free(rr);
	free(pos);
	return res;
}

void plan_make(struct plan *p, const struct plan_runs *in, const struct plan_opts *o)
{
	memset(p, 0, sizeof *p);
	p->baseline = -1;
	const struct run **rr = xreallocarray(NULL, in->n ? in->n : 1, sizeof *rr);
	for (size_t i = 0; i < in->n; i++)
		rr[i] = in->runs[in->order[i]];
	size_t *hits = xreallocarray(NULL, in->n ? in->n : 1, sizeof *hits);
	p->primary = choose_primary(in->runs, in->order, in->n, o);
	p->at = o->at;
	/* Each experiment's own primary metric: --primary when it logs it, else
	 * chosen from its runs alone, so no experiment is headlined by a metric
	 * only another one logs. */
	struct plan_opts own = *o;
	own.primary = NULL;
	p->nexps = in->nexps;
	p->exp_primary = xcalloc(in->nexps ? in->nexps : 1, sizeof *p->exp_primary);
	for (size_t e = 0; e < in->nexps; e++)
		p->exp_primary[e] =
		        o->primary && runs_log(in->runs, in->exp_runs[e], in->exp_nruns[e], o->primary)
		                ? o->primary
		                : choose_primary(in->runs, in->exp_runs[e], in->exp_nruns[e], &own);
	p->heads = xcalloc(in->nexps ? in->nexps : 1, sizeof *p->heads);
	p->nheads = plan_headlines(in, p->exp_primary, o->goals, o->at, p->heads);
	if (o->baseline)
		p->baseline = find_baseline(in, rr, hits, o->baseline);
	for (size_t c = 0; c < o->ncompare; c++)
		plan_compare_list(p, in, rr, hits, o->compare[c]);
	if (p->baseline >= 0) {
		size_t e = in->exp_of[p->baseline];
		for (size_t i = 0; i < in->exp_nruns[e]; i++) {
			size_t ri = in->exp_runs[e][i];
			if (ri == (size_t)p->baseline)
				continue;
			size_t pair[2] = {(size_t)p->baseline, ri};
			add_compare(p, in, pair, 2);
		}
	}
	free(hits);
	free(rr);
}

void plan_free(struct plan *p)
{
	for (size_t c = 0; c < p->ncmps; c++) {
		free(p->cmps[c].title);
		free(p->cmps[c].runs);
	}
	free(p->cmps);
	free(p->exp_primary);
	free(p->heads);
	memset(p, 0, sizeof *p);
}
