/* select.c — the run selection language (select.h): parsing an expression
 * into alternatives of terms, matching runs, top N by a metric. */
#include <errno.h>
#include <fnmatch.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "runsite/compare.h"
#include "runsite/select.h"
#include "runsite/util.h"

enum term_kind { T_WORD, T_NAME, T_ID, T_EXP, T_STATUS, T_TAG, T_PARAM, T_METRIC };
enum term_op { OP_NONE, OP_EQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE };

struct term {
	enum term_kind kind;
	enum term_op op;
	char *key;   /* tag, param or metric key */
	char *value; /* NULL with OP_NONE (except T_WORD) */
	double num;  /* value as a number when is_num */
	bool is_num;
};

struct alt {
	struct term *terms;
	size_t n, cap;
};

struct select_expr {
	struct alt *alts;
	size_t nalts, capalts;
	size_t top;       /* 0: all */
	char *top_metric; /* NULL: the primary metric */
	enum metric_at at; /* the point metrics are read at (select_set_at) */
};

void select_set_at(struct select_expr *e, enum metric_at at)
{
	if (e)
		e->at = at;
}

/* The value of metric key of run r at the expression's point under g. */
static bool run_value(const struct select_expr *e, const struct run *r, const char *key,
                      enum goal g, double *v)
{
	struct at_value av;
	if (!metric_at_run(r, key, g, e->at, &av))
		return false;
	*v = av.value;
	return true;
}

static int parse_num(const char *s, double *v)
{
	char *end;
	if (!s || !*s)
		return 0;
	errno = 0;
	*v = strtod(s, &end);
	return *end == '\0' && errno != ERANGE && isfinite(*v);
}

/* Splits text at unquoted separators sep (or any space when sep is 0),
 * dropping empty pieces; quotes are kept. */
static char **split(const char *text, char sep, size_t *n)
{
	char **out = NULL;
	size_t cap = 0;
	*n = 0;
	const char *p = text;
	while (*p) {
		const char *start = p;
		int q = 0;
		while (*p && (q || (sep ? *p != sep : !strchr(" \t\r\n", *p)))) {
			if (*p == '"')
				q = !q;
			p++;
		}
		const char *end = p;
		while (start < end && strchr(" \t\r\n", *start))
			start++;
		while (end > start && strchr(" \t\r\n", end[-1]))
			end--;
		if (end > start) {
			GROW(out, cap, *n + 1);
			out[(*n)++] = xstrndup(start, (size_t)(end - start));
		}
		if (*p)
			p++;
	}
	return out;
}

static void free_strs(char **s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(s[i]);
	free(s);
}

/* s without its double quotes. */
static char *unquote(const char *s, size_t len)
{
	char *o = xmalloc(len + 1);
	size_t k = 0;
	for (size_t i = 0; i < len; i++)
		if (s[i] != '"')
			o[k++] = s[i];
	o[k] = '\0';
	return o;
}

static int is_op_char(char c)
{
	return c == '=' || c == '<' || c == '>' || c == '!';
}

/* The operator at p (its length into *len), or OP_NONE. */
static enum term_op op_at(const char *p, size_t *len)
{
	*len = 2;
	if (p[0] == '!' && p[1] == '=')
		return OP_NE;
	if (p[0] == '<' && p[1] == '=')
		return OP_LE;
	if (p[0] == '>' && p[1] == '=')
		return OP_GE;
	*len = 1;
	if (p[0] == '=')
		return p[1] == '=' ? (*len = 2, OP_EQ) : OP_EQ;
	if (p[0] == '<')
		return OP_LT;
	if (p[0] == '>')
		return OP_GT;
	*len = 0;
	return OP_NONE;
}

/* Joins tokens split around an operator ("lr", "<", "0.01"; "lr<", "0.01"). */
static void join_ops(char **tok, size_t *n)
{
	size_t k = 0;
	for (size_t i = 0; i < *n; i++) {
		int starts = (is_op_char(tok[i][0]) && tok[i][0] != '!') ||
		             (tok[i][0] == '!' && tok[i][1] == '=');
		if (k > 0) {
			size_t pl = strlen(tok[k - 1]);
			int ends = is_op_char(tok[k - 1][pl - 1]);
			if (starts || ends) {
				char *j = xasprintf("%s%s", tok[k - 1], tok[i]);
				free(tok[k - 1]);
				free(tok[i]);
				tok[k - 1] = j;
				continue;
			}
		}
		tok[k++] = tok[i];
	}
	*n = k;
}

static void term_free(struct term *t)
{
	free(t->key);
	free(t->value);
}

/* Parses one term from token s into *t. Returns 1, or 0 with err set. */
static int parse_term(const char *s, struct term *t, char *err, size_t errsz)
{
	memset(t, 0, sizeof *t);
	/* The first operator outside quotes splits key and value. */
	const char *op = NULL;
	int q = 0;
	for (const char *p = s; *p && !op; p++) {
		if (*p == '"')
			q = !q;
		else if (!q && is_op_char(*p) && (*p != '!' || p[1] == '='))
			op = p;
	}
	size_t oplen = 0;
	char *key = op ? unquote(s, (size_t)(op - s)) : unquote(s, strlen(s));
	if (op) {
		t->op = op_at(op, &oplen);
		t->value = unquote(op + oplen, strlen(op + oplen));
		if (is_op_char(*t->value)) {
			snprintf(err, errsz, "'%s': two operators in a row", s);
			free(key);
			term_free(t);
			return 0;
		}
		t->is_num = parse_num(t->value, &t->num);
	}
	int ok = 1;
	if (strncmp(key, "tag:", 4) == 0) {
		t->kind = T_TAG;
		t->key = xstrdup(key + 4);
		if (t->op != OP_NONE && t->op != OP_EQ && t->op != OP_NE) {
			snprintf(err, errsz, "'%s': a tag takes = or !=", s);
			ok = 0;
		}
	} else if (strncmp(key, "param:", 6) == 0 || strncmp(key, "metric:", 7) == 0) {
		t->kind = key[0] == 'p' ? T_PARAM : T_METRIC;
		t->key = xstrdup(strchr(key, ':') + 1);
		if (t->kind == T_PARAM && t->op == OP_NONE) {
			snprintf(err, errsz, "'%s': say what the param is compared with (param:KEY=VALUE)",
			         s);
			ok = 0;
		}
	} else if (t->op == OP_NONE) {
		t->kind = T_WORD;
		t->value = key;
		key = NULL;
	} else if (strcmp(key, "name") == 0 || strcmp(key, "id") == 0 ||
	           strcmp(key, "experiment") == 0 || strcmp(key, "exp") == 0 ||
	           strcmp(key, "status") == 0) {
		t->kind = key[0] == 'n' ? T_NAME : key[0] == 'i' ? T_ID : key[0] == 'e' ? T_EXP
		                                                                       : T_STATUS;
		if (t->op != OP_EQ && t->op != OP_NE) {
			snprintf(err, errsz, "'%s': %s takes = or !=", s, key);
			ok = 0;
		}
	} else {
		t->kind = T_PARAM;
		t->key = key;
		key = NULL;
	}
	if (ok && t->key && !*t->key) {
		snprintf(err, errsz, "'%s' names no key", s);
		ok = 0;
	}
	if (ok && t->op >= OP_LT && !t->is_num) {
		snprintf(err, errsz, "'%s': %s compares numbers, and '%s' is not one", s,
		         t->op == OP_LT ? "<" : t->op == OP_LE ? "<=" : t->op == OP_GT ? ">" : ">=",
		         t->value);
		ok = 0;
	}
	if (ok && t->value && !*t->value && t->kind != T_TAG && t->kind != T_PARAM) {
		snprintf(err, errsz, "'%s' has no value", s);
		ok = 0;
	}
	free(key);
	if (!ok)
		term_free(t);
	return ok;
}

void select_free(struct select_expr *e)
{
	if (!e)
		return;
	for (size_t a = 0; a < e->nalts; a++) {
		for (size_t i = 0; i < e->alts[a].n; i++)
			term_free(&e->alts[a].terms[i]);
		free(e->alts[a].terms);
	}
	free(e->alts);
	free(e->top_metric);
	free(e);
}

struct select_expr *select_parse(const char *text, char *err, size_t errsz)
{
	struct select_expr *e = xcalloc(1, sizeof *e);
	e->at = AT_DEFAULT;
	size_t na = 0;
	char **alts = split(text ? text : "", ',', &na);
	int ok = na > 0;
	if (!ok)
		snprintf(err, errsz, "the selection is empty");
	for (size_t a = 0; a < na && ok; a++) {
		size_t nt = 0;
		char **tok = split(alts[a], 0, &nt);
		join_ops(tok, &nt);
		GROW(e->alts, e->capalts, e->nalts + 1);
		struct alt *al = &e->alts[e->nalts++];
		memset(al, 0, sizeof *al);
		for (size_t i = 0; i < nt && ok; i++) {
			if (strcmp(tok[i], "top") == 0) {
				double k;
				if (e->top) {
					snprintf(err, errsz, "'top' is given twice");
					ok = 0;
				} else if (i + 1 >= nt || !parse_num(tok[i + 1], &k) || k < 1 ||
				           k > 1e9 || k != floor(k)) {
					snprintf(err, errsz, "'top' takes a whole number of runs: top 5 by METRIC");
					ok = 0;
				} else {
					e->top = (size_t)k;
					i++;
					if (i + 1 < nt && strcmp(tok[i + 1], "by") == 0) {
						if (i + 2 >= nt) {
							snprintf(err, errsz, "'top %zu by' names no metric", e->top);
							ok = 0;
						} else {
							e->top_metric = unquote(tok[i + 2], strlen(tok[i + 2]));
							i += 2;
						}
					}
				}
				continue;
			}
			struct term t;
			if (!parse_term(tok[i], &t, err, errsz)) {
				ok = 0;
				break;
			}
			GROW(al->terms, al->cap, al->n + 1);
			al->terms[al->n++] = t;
		}
		/* An alternative of only "top N" still selects every run. */
		free_strs(tok, nt);
	}
	free_strs(alts, na);
	if (!ok) {
		select_free(e);
		return NULL;
	}
	return e;
}

static const char *run_exp(const struct run *r)
{
	if (r->experiment_name && *r->experiment_name)
		return r->experiment_name;
	return r->experiment_id ? r->experiment_id : "";
}

/* = for text: numbers as numbers, else a glob. */
static bool text_eq(const struct term *t, const char *v)
{
	double x;
	if (t->is_num && parse_num(v, &x))
		return x == t->num;
	return fnmatch(t->value, v, 0) == 0;
}

static bool compare_op(enum term_op op, double a, double b)
{
	switch (op) {
	case OP_EQ: return a == b;
	case OP_NE: return a != b;
	case OP_LT: return a < b;
	case OP_LE: return a <= b;
	case OP_GT: return a > b;
	case OP_GE: return a >= b;
	default: return true;
	}
}

/* A key/value test: missing values fail every operator but !=. */
static bool kv_test(const struct term *t, const char *v)
{
	if (!v)
		return t->op == OP_NE;
	if (t->op == OP_NONE)
		return true;
	if (t->op == OP_EQ || t->op == OP_NE)
		return text_eq(t, v) == (t->op == OP_EQ);
	double x;
	return parse_num(v, &x) && compare_op(t->op, x, t->num);
}

static bool status_is(const char *status, const char *list)
{
	size_t n = 0;
	char **alts = split(list, '|', &n);
	bool hit = false;
	for (size_t i = 0; i < n && !hit; i++)
		hit = strcasecmp(alts[i], status ? status : "") == 0;
	free_strs(alts, n);
	return hit;
}

static bool term_match(const struct select_expr *e, const struct term *t, const struct run *r,
                       const struct goal_rules *goals)
{
	bool eq;
	switch (t->kind) {
	case T_WORD:
		return (r->id && strcmp(r->id, t->value) == 0) ||
		       (r->name && fnmatch(t->value, r->name, 0) == 0);
	case T_NAME: eq = r->name && fnmatch(t->value, r->name, 0) == 0; break;
	case T_ID: eq = r->id && strcmp(r->id, t->value) == 0; break;
	case T_EXP: eq = fnmatch(t->value, run_exp(r), 0) == 0; break;
	case T_STATUS: eq = status_is(r->status, t->value); break;
	case T_TAG: return kv_test(t, kvlist_get(&r->tags, t->key));
	case T_PARAM: return kv_test(t, kvlist_get(&r->params, t->key));
	case T_METRIC: {
		const struct series_sum *se = run_find_sum(r, t->key);
		if (t->op == OP_NONE)
			return se != NULL;
		double v;
		if (!se || !run_value(e, r, t->key, goal_for(goals, t->key), &v) || isnan(v))
			return t->op == OP_NE;
		return t->is_num && compare_op(t->op, v, t->num);
	}
	default: return false;
	}
	return t->op == OP_NE ? !eq : eq;
}

bool select_match(const struct select_expr *e, const struct run *r, const struct goal_rules *goals)
{
	for (size_t a = 0; a < e->nalts; a++) {
		bool all = true;
		for (size_t i = 0; i < e->alts[a].n && all; i++)
			all = term_match(e, &e->alts[a].terms[i], r, goals);
		if (all)
			return true;
	}
	return false;
}

size_t select_top(const struct select_expr *e)
{
	return e->top;
}

bool select_is_single(const struct select_expr *e)
{
	if (e->nalts != 1 || e->alts[0].n != 1 || e->top)
		return false;
	const struct term *t = &e->alts[0].terms[0];
	if (t->kind == T_TAG)
		return t->op == OP_NONE || (t->op == OP_EQ && !strpbrk(t->value, "*?["));
	return t->kind == T_WORD && !strpbrk(t->value, "*?[");
}

struct ranked {
	size_t idx;
	double v;
};

static enum goal top_goal; /* qsort has no context argument */

static int cmp_ranked(const void *a, const void *b)
{
	const struct ranked *x = a, *y = b;
	if (goal_better(top_goal, x->v, y->v))
		return -1;
	if (goal_better(top_goal, y->v, x->v))
		return 1;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

size_t select_runs(const struct select_expr *e, const struct run *const *runs, size_t n,
                   const struct goal_rules *goals, const char *primary, size_t *out)
{
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		if (select_match(e, runs[i], goals))
			out[k++] = i;
	const char *metric = e->top_metric ? e->top_metric : primary;
	if (!e->top || !metric)
		return k;
	enum goal g = goal_for(goals, metric);
	if (g == GOAL_NONE)
		g = GOAL_MAX;
	struct ranked *r = xreallocarray(NULL, k ? k : 1, sizeof *r);
	size_t m = 0;
	for (size_t i = 0; i < k; i++) {
		double v;
		if (run_value(e, runs[out[i]], metric, g, &v) && !isnan(v))
			r[m++] = (struct ranked){out[i], v};
	}
	top_goal = g;
	qsort(r, m, sizeof *r, cmp_ranked);
	if (m > e->top)
		m = e->top;
	for (size_t i = 0; i < m; i++)
		out[i] = r[i].idx;
	free(r);
	return m;
}

int select_check(const struct select_expr *e, const struct run *const *runs, size_t n,
                 const struct goal_rules *goals, const char *primary, char *err,
                 size_t errsz)
{
	for (size_t a = 0; a < e->nalts; a++)
		for (size_t i = 0; i < e->alts[a].n; i++) {
			const struct term *t = &e->alts[a].terms[i];
			bool seen = false;
			const char *what = NULL;
			for (size_t j = 0; j < n && !seen; j++) {
				switch (t->kind) {
				case T_TAG:
					what = "tag";
					seen = kvlist_get(&runs[j]->tags, t->key) != NULL;
					break;
				case T_PARAM:
					what = "param";
					seen = kvlist_get(&runs[j]->params, t->key) != NULL;
					break;
				case T_METRIC:
					what = "metric";
					seen = run_find_sum(runs[j], t->key) != NULL;
					break;
				case T_EXP:
					what = "experiment";
					seen = fnmatch(t->value, run_exp(runs[j]), 0) == 0;
					break;
				default: seen = true;
				}
			}
			if (!seen && t->kind == T_EXP) {
				snprintf(err, errsz, "no experiment is called '%s'", t->value);
				return 0;
			}
			if (!seen && what) {
				snprintf(err, errsz, "no run has a %s '%s'", what, t->key);
				return 0;
			}
		}
	const char *metric = e->top_metric ? e->top_metric : primary;
	if (e->top && !metric) {
		snprintf(err, errsz, "'top %zu' without 'by METRIC', and there is no primary metric",
		         e->top);
		return 0;
	}
	if (e->top) {
		bool seen = false;
		for (size_t j = 0; j < n && !seen; j++)
			seen = run_find_sum(runs[j], metric) != NULL;
		if (!seen) {
			snprintf(err, errsz, "no run has a metric '%s' (top %zu by it)", metric, e->top);
			return 0;
		}
		if (goal_for(goals, metric) == GOAL_NONE) {
			snprintf(err, errsz,
			         "'%s' has no direction for top %zu: say which with --goal %s:min or :max",
			         metric, e->top, metric);
			return 0;
		}
	}
	return 1;
}
