/* compare.c — the comparisons behind the experiment and compare pages:
 * which value stands for a run, the best run, run selection, params that
 * vary, seed groups with their statistics, and mean curves with a band. */
#include <ctype.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runsite/compare.h"
#include "runsite/util.h"

const char *compare_mode_name(enum compare_mode m)
{
	static const char *const names[] = {"last", "best", "min", "max"};
	return (unsigned)m < 4 ? names[m] : "last";
}

bool compare_value(const struct series_sum *se, enum goal g, enum compare_mode m, double *value,
                   int64_t *step)
{
	if (!se || se->count == 0)
		return false;
	if (m == CMP_BEST)
		m = g == GOAL_MIN ? CMP_MIN : g == GOAL_MAX ? CMP_MAX : (enum compare_mode)-1;
	struct step_value last = {se->last.step, se->last.value};
	const struct step_value *p = NULL;
	switch (m) {
	case CMP_LAST: p = &last; break;
	case CMP_MIN: p = se->has_finite ? &se->min : NULL; break;
	case CMP_MAX: p = se->has_finite ? &se->max : NULL; break;
	default: break;
	}
	if (!p)
		return false;
	*value = p->value;
	if (step)
		*step = p->step;
	return true;
}

/* ---- the value at a point (--at) ---- */

bool metric_at_parse(const char *s, enum metric_at *out)
{
	if (s && strcmp(s, "last") == 0)
		*out = AT_LAST;
	else if (s && strcmp(s, "best") == 0)
		*out = AT_BEST;
	else
		return false;
	return true;
}

const char *metric_at_name(enum metric_at at)
{
	return at == AT_BEST ? "best" : "last";
}

enum compare_mode compare_mode_at(enum goal g, enum metric_at at)
{
	return at == AT_BEST && g != GOAL_NONE ? CMP_BEST : CMP_LAST;
}

bool metric_at(const struct series_sum *se, enum goal g, enum metric_at at, struct at_value *out)
{
	if (!se || se->count == 0)
		return false;
	/* The summary's min and max are the earliest of equal values, finite only. */
	struct step_value last = {se->last.step, se->last.value};
	const struct step_value *p = &last;
	out->at = AT_LAST;
	if (at == AT_BEST && g != GOAL_NONE && se->has_finite) {
		p = g == GOAL_MIN ? &se->min : &se->max;
		out->at = AT_BEST;
	}
	out->value = p->value;
	out->step = p->step;
	return true;
}

bool metric_at_run(const struct run *r, const char *key, enum goal g, enum metric_at at,
                   struct at_value *out)
{
	return r && metric_at(run_find_sum(r, key), g, at, out);
}

void metric_at_label(char *out, size_t outsz, const struct at_value *v)
{
	snprintf(out, outsz, "%s, step %" PRId64, metric_at_name(v->at), v->step);
}

long compare_best(const struct run *const *runs, size_t n, const char *key, enum goal g,
                  enum metric_at at)
{
	long best = -1;
	double bv = 0;
	if (g == GOAL_NONE)
		return -1;
	for (size_t i = 0; i < n; i++) {
		struct at_value v;
		if (!metric_at_run(runs[i], key, g, at, &v) || isnan(v.value))
			continue;
		if (best < 0 || goal_better(g, v.value, bv)) {
			best = (long)i;
			bv = v.value;
		}
	}
	return best;
}

size_t compare_select(const struct run *const *runs, size_t n, const char *spec, size_t *out)
{
	size_t k = 0;
	/* An id names one run even when another run is called by it. */
	for (size_t i = 0; i < n && !str_starts(spec, "tag:"); i++)
		if (runs[i]->id && strcmp(runs[i]->id, spec) == 0) {
			out[0] = i;
			return 1;
		}
	for (size_t i = 0; i < n; i++)
		if (run_matches(runs[i], spec))
			out[k++] = i;
	return k;
}

/* ---- params ---- */

static int cmp_param(const void *a, const void *b)
{
	return strcmp(((const struct compare_param *)a)->key, ((const struct compare_param *)b)->key);
}

size_t compare_varying_params(const struct run *const *runs, size_t n,
                              struct compare_param **out)
{
	/* Every key once, sorted, then each checked against every run. */
	size_t nk;
	const char **keys = compare_key_union(runs, n, false, &nk);
	struct compare_param *res = xreallocarray(NULL, nk ? nk : 1, sizeof *res);
	const char **vals = xreallocarray(NULL, n ? n : 1, sizeof *vals);
	size_t nres = 0;
	for (size_t k = 0; k < nk; k++) {
		/* The values sorted, so counting the distinct ones is one pass
		 * (a seed differs in every run: pairwise is n^2 / 2 strcmp). */
		size_t runs_with = 0, distinct = 0;
		for (size_t i = 0; i < n; i++) {
			const char *v = kvlist_get(&runs[i]->params, keys[k]);
			if (v)
				vals[runs_with++] = v;
		}
		if (runs_with > 1)
			qsort(vals, runs_with, sizeof *vals, cmp_strp);
		for (size_t i = 0; i < runs_with; i++)
			distinct += i == 0 || strcmp(vals[i], vals[i - 1]) != 0;
		if (n < 2 || distinct > 1 || runs_with < n)
			res[nres++] = (struct compare_param){keys[k], runs_with, distinct};
	}
	free(vals);
	free(keys);
	if (nres > 1)
		qsort(res, nres, sizeof *res, cmp_param);
	*out = res;
	return nres;
}

bool compare_is_seed_param(const char *key, const char *const *group_by, size_t ngroup)
{
	if (!key)
		return false;
	if (ngroup > 0) {
		for (size_t i = 0; i < ngroup; i++)
			if (strcmp(group_by[i], key) == 0)
				return true;
		return false;
	}
	size_t n = strlen(key);
	char low[128];
	if (n == 0 || n >= sizeof low)
		return false;
	for (size_t i = 0; i <= n; i++)
		low[i] = (char)tolower((unsigned char)key[i]);
	if (str_ends(low, "random_state") || str_ends(low, "randomstate"))
		return true;
	if (!str_ends(low, "seed"))
		return false;
	if (n == 4)
		return true;
	char before = key[n - 5];
	/* "rng_seed", "data.seed", "randomSeed", "rngseed"; not "linseed". */
	if (!isalnum((unsigned char)before) || key[n - 4] == 'S')
		return true;
	low[n - 4] = '\0';
	return str_ends(low, "random") || str_ends(low, "rng");
}

struct sig_ctx {
	char **sig;
};

static int cmp_sig(const void *a, const void *b, void *ctx)
{
	char **sig = ((struct sig_ctx *)ctx)->sig;
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	int c = strcmp(sig[x], sig[y]);
	return c ? c : (x > y) - (x < y);
}

size_t compare_seed_groups(const struct run *const *runs, size_t n, const char *const *group_by,
                           size_t ngroup, struct compare_group **out)
{
	/* A run's signature: its other params as "key=value" lines (params are
	 * sorted by key), or NULL when it has no seed param. */
	char **sig = xcalloc(n ? n : 1, sizeof *sig);
	size_t *idx = xreallocarray(NULL, n ? n : 1, sizeof *idx);
	size_t ni = 0;
	for (size_t i = 0; i < n; i++) {
		const struct kvlist *p = &runs[i]->params;
		struct buf b = BUF_INIT;
		int seeded = 0;
		for (size_t j = 0; j < p->n; j++) {
			if (compare_is_seed_param(p->items[j].key, group_by, ngroup)) {
				seeded = 1;
				continue;
			}
			/* NUL-free separators that a key or value cannot confuse: lengths. */
			buf_printf(&b, "%zu:%s%zu:%s\n", strlen(p->items[j].key), p->items[j].key,
			           strlen(p->items[j].value), p->items[j].value);
		}
		if (seeded) {
			sig[i] = buf_detach(&b);
			if (!sig[i])
				sig[i] = xstrdup("");
			idx[ni++] = i;
		}
		buf_free(&b);
	}
	struct sig_ctx ctx = {sig};
	qsort_r(idx, ni, sizeof *idx, cmp_sig, &ctx);
	struct compare_group *g = NULL;
	size_t ng = 0, cap = 0;
	for (size_t a = 0; a < ni;) {
		size_t b = a + 1;
		while (b < ni && strcmp(sig[idx[a]], sig[idx[b]]) == 0)
			b++;
		if (b - a >= 2) {
			GROW(g, cap, ng + 1);
			g[ng].n = b - a;
			g[ng].members = xreallocarray(NULL, b - a, sizeof(size_t));
			memcpy(g[ng].members, idx + a, (b - a) * sizeof(size_t));
			ng++;
		}
		a = b;
	}
	/* Members are in run order already (ties broke by index); groups by
	 * their first member. */
	for (size_t i = 1; i < ng; i++)
		for (size_t j = i; j > 0 && g[j].members[0] < g[j - 1].members[0]; j--) {
			struct compare_group t = g[j];
			g[j] = g[j - 1];
			g[j - 1] = t;
		}
	for (size_t i = 0; i < n; i++)
		free(sig[i]);
	free(sig);
	free(idx);
	*out = g;
	return ng;
}

void compare_groups_free(struct compare_group *groups, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(groups[i].members);
	free(groups);
}

bool compare_group_stats(const struct run *const *runs, const struct compare_group *g,
                         const char *key, enum goal goal, enum compare_mode m,
                         struct compare_stats *st)
{
	double mean = 0, m2 = 0, lo = INFINITY, hi = -INFINITY;
	size_t k = 0;
	for (size_t i = 0; i < g->n; i++) {
		double v;
		if (!compare_value(run_find_sum(runs[g->members[i]], key), goal, m, &v, NULL) ||
		    !isfinite(v))
			continue;
		/* Welford: no cancellation for values far from zero. */
		k++;
		double d = v - mean;
		mean += d / (double)k;
		m2 += d * (v - mean);
		lo = v < lo ? v : lo;
		hi = v > hi ? v : hi;
	}
	if (k == 0)
		return false;
	st->n = k;
	st->mean = mean;
	st->std = k > 1 ? sqrt(m2 / (double)(k - 1)) : 0;
	st->min = lo;
	st->max = hi;
	return true;
}

/* ---- mean curves ---- */

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

size_t compare_mean_band(const struct curve_point *const *pts, const size_t *n, size_t k,
                         bool minmax, struct curve_point **mean, struct curve_point **lo,
                         struct curve_point **hi)
{
	/* Each series' finite points, and every x once. */
	struct curve_point **f = xcalloc(k ? k : 1, sizeof *f);
	size_t *nf = xcalloc(k ? k : 1, sizeof *nf), *cur = xcalloc(k ? k : 1, sizeof *cur);
	double *xs = NULL;
	size_t nx = 0, capx = 0;
	for (size_t s = 0; s < k; s++) {
		f[s] = xreallocarray(NULL, n[s] ? n[s] : 1, sizeof **f);
		for (size_t i = 0; i < n[s]; i++) {
			if (!isfinite(pts[s][i].x) || !isfinite(pts[s][i].y))
				continue;
			f[s][nf[s]++] = pts[s][i];
			GROW(xs, capx, nx + 1);
			xs[nx++] = pts[s][i].x;
		}
	}
	if (nx > 1)
		qsort(xs, nx, sizeof *xs, cmp_double);
	size_t u = 0;
	for (size_t i = 0; i < nx; i++)
		if (u == 0 || xs[i] != xs[u - 1])
			xs[u++] = xs[i];
	struct curve_point *M = xreallocarray(NULL, u ? u : 1, sizeof *M);
	struct curve_point *L = xreallocarray(NULL, u ? u : 1, sizeof *L);
	struct curve_point *H = xreallocarray(NULL, u ? u : 1, sizeof *H);
	for (size_t i = 0; i < u; i++) {
		double x = xs[i], mu = 0, m2 = 0, vlo = INFINITY, vhi = -INFINITY;
		size_t c = 0;
		for (size_t s = 0; s < k; s++) {
			const struct curve_point *p = f[s];
			size_t m = nf[s];
			if (m == 0 || x < p[0].x || x > p[m - 1].x)
				continue;
			while (cur[s] + 1 < m && p[cur[s] + 1].x <= x)
				cur[s]++;
			size_t j = cur[s];
			double v = p[j].y;
			if (p[j].x < x && j + 1 < m)
				v = p[j].y + (p[j + 1].y - p[j].y) * (x - p[j].x) / (p[j + 1].x - p[j].x);
			c++;
			double d = v - mu;
			mu += d / (double)c;
			m2 += d * (v - mu);
			vlo = v < vlo ? v : vlo;
			vhi = v > vhi ? v : vhi;
		}
		double sd = c > 1 ? sqrt(m2 / (double)(c - 1)) : 0;
		M[i] = (struct curve_point){x, mu};
		L[i] = (struct curve_point){x, minmax ? vlo : mu - sd};
		H[i] = (struct curve_point){x, minmax ? vhi : mu + sd};
	}
	for (size_t s = 0; s < k; s++)
		free(f[s]);
	free(f);
	free(nf);
	free(cur);
	free(xs);
	*mean = M;
	*lo = L;
	*hi = H;
	return u;
}

const char **compare_key_union(const struct run *const *runs, size_t n, bool metrics,
                               size_t *count)
{
	/* Kept sorted as they are collected: runs mostly share their keys, and
	 * a list of every run's keys would be the largest thing an experiment
	 * page of many runs holds. */
	const char **keys = NULL;
	size_t nk = 0, cap = 0;
	for (size_t i = 0; i < n; i++) {
		size_t m = metrics ? runs[i]->nmetrics : runs[i]->params.n;
		for (size_t j = 0; j < m; j++) {
			const char *k = metrics ? run_sum(runs[i], j)->key : runs[i]->params.items[j].key;
			size_t lo = 0, hi = nk;
			int c = 1;
			while (lo < hi && c) {
				size_t mid = lo + (hi - lo) / 2;
				c = strcmp(k, keys[mid]);
				if (c < 0)
					hi = mid;
				else if (c > 0)
					lo = mid + 1;
			}
			if (!c)
				continue;
			GROW(keys, cap, nk + 1);
			memmove(keys + lo + 1, keys + lo, (nk - lo) * sizeof *keys);
			keys[lo] = k;
			nk++;
		}
	}
	*count = nk;
	return keys;
}
