/* gate.c — rules of `runsite check` (parse, evaluate) and run selectors. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runsite/diag.h"
#include "runsite/gate.h"
#include "runsite/pipeline.h"
#include "runsite/select.h"
#include "runsite/status.h"
#include "runsite/util.h"

/* Parses a whole string as a finite number; returns 0 when it is not one. */
static int parse_number(const char *s, double *out)
{
	char *end;
	if (!*s || *s == ' ' || *s == '\t')
		return 0;
	errno = 0;
	double v = strtod(s, &end);
	if (errno == ERANGE || end == s || *end || !isfinite(v))
		return 0;
	*out = v;
	return 1;
}

/* METRIC:max:TOL / METRIC:min:TOL; returns -1 when text is not of this shape. */
static int parse_tolerance(const char *text, struct gate_rule *out, char *err, size_t errsz)
{
	const char *c2 = strrchr(text, ':');
	if (!c2 || c2 == text)
		return -1;
	const char *c1 = c2 - 1;
	while (c1 > text && *c1 != ':')
		c1--;
	if (*c1 != ':' || c1 == text)
		return -1;
	size_t dl = (size_t)(c2 - c1 - 1);
	enum goal dir;
	if (dl == 3 && strncmp(c1 + 1, "max", 3) == 0)
		dir = GOAL_MAX;
	else if (dl == 3 && strncmp(c1 + 1, "min", 3) == 0)
		dir = GOAL_MIN;
	else
		return -1;
	char *tol = xstrdup(c2 + 1);
	size_t tl = strlen(tol);
	bool rel = tl > 0 && tol[tl - 1] == '%';
	if (rel)
		tol[tl - 1] = '\0';
	double v;
	int ok = parse_number(tol, &v) && v >= 0;
	free(tol);
	if (!ok) {
		snprintf(err, errsz, "the tolerance '%s' is not a number >= 0 (or a percentage like 2%%)",
		         c2 + 1);
		return 0;
	}
	out->metric = xstrndup(text, (size_t)(c1 - text));
	out->kind = GATE_TOLERANCE;
	out->dir = dir;
	out->tol = v;
	out->relative = rel;
	return 1;
}

/* METRIC>=V and the like, split at the last '<' or '>'; -1 when there is none. */
static int parse_threshold(const char *text, struct gate_rule *out, char *err, size_t errsz)
{
	const char *gt = strrchr(text, '>'), *lt = strrchr(text, '<');
	const char *op = gt > lt ? gt : lt;
	if (!op)
		return -1;
	const char *num = op + 1;
	bool eq = *num == '=';
	if (eq)
		num++;
	if (op == text) {
		snprintf(err, errsz, "no metric before '%c'", *op);
		return 0;
	}
	double v;
	if (!parse_number(num, &v)) {
		snprintf(err, errsz, "the threshold '%s' is not a number", num);
		return 0;
	}
	out->metric = xstrndup(text, (size_t)(op - text));
	out->kind = GATE_THRESHOLD;
	if (*op == '>') {
		out->op = eq ? GATE_GE : GATE_GT;
		out->dir = GOAL_MAX;
	} else {
		out->op = eq ? GATE_LE : GATE_LT;
		out->dir = GOAL_MIN;
	}
	out->threshold = v;
	return 1;
}

int gate_parse(const char *text, struct gate_rule *out, char *err, size_t errsz)
{
	memset(out, 0, sizeof *out);
	int r = parse_tolerance(text, out, err, errsz);
	if (r < 0)
		r = parse_threshold(text, out, err, errsz);
	if (r < 0) {
		snprintf(err, errsz,
		         "not a rule: write METRIC:max:TOL, METRIC:min:TOL (TOL may be a "
		         "percentage) or METRIC>=VALUE (also >, <=, <)");
		r = 0;
	}
	if (r && !*out->metric) {
		snprintf(err, errsz, "the rule names no metric");
		free(out->metric);
		out->metric = NULL;
		r = 0;
	}
	if (r)
		out->text = xstrdup(text);
	return r;
}

void gate_rule_free(struct gate_rule *r)
{
	free(r->text);
	free(r->metric);
	memset(r, 0, sizeof *r);
}

static const char *const value_names[] = {"last", "best", "min", "max"};

int gate_value_parse(const char *s, enum gate_value *out)
{
	for (int i = 0; i < 4; i++)
		if (strcmp(s, value_names[i]) == 0) {
			*out = (enum gate_value)i;
			return 1;
		}
	return 0;
}

const char *gate_value_name(enum gate_value v)
{
	return value_names[v];
}

double gate_series_value(const struct series_sum *s, enum gate_value v, enum goal dir)
{
	if (s->count == 0)
		return NAN;
	if (v == GATE_VALUE_BEST)
		v = dir == GOAL_MIN ? GATE_VALUE_MIN : GATE_VALUE_MAX;
	switch (v) {
	case GATE_VALUE_MIN: return s->has_finite ? s->min.value : NAN;
	case GATE_VALUE_MAX: return s->has_finite ? s->max.value : NAN;
	default: return s->last.value;
	}
}

void gate_eval(const struct gate_rule *r, double baseline, double candidate,
               struct gate_result *out)
{
	memset(out, 0, sizeof *out);
	out->delta = candidate - baseline;
	out->why = "";
	if (r->kind == GATE_THRESHOLD) {
		out->limit = r->threshold;
		switch (r->op) {
		case GATE_GE: out->pass = candidate >= r->threshold; break;
		case GATE_GT: out->pass = candidate > r->threshold; break;
		case GATE_LE: out->pass = candidate <= r->threshold; break;
		case GATE_LT: out->pass = candidate < r->threshold; break;
		}
		if (isnan(candidate))
			out->why = "the candidate's value is NaN";
		else if (!out->pass)
			out->why = "the candidate does not reach the threshold";
		return;
	}
	if (isnan(baseline)) {
		out->limit = NAN;
		out->why = "the baseline's value is NaN: nothing to compare with";
		return;
	}
	/* An infinite baseline admits no finite tolerance: compare as is. */
	double allowed = 0;
	if (isfinite(baseline))
		allowed = r->relative ? fabs(baseline) * r->tol / 100.0 : r->tol;
	out->limit = r->dir == GOAL_MAX ? baseline - allowed : baseline + allowed;
	out->pass = r->dir == GOAL_MAX ? candidate >= out->limit : candidate <= out->limit;
	if (isnan(candidate))
		out->why = "the candidate's value is NaN";
	else if (!out->pass)
		out->why = "the candidate is worse than the baseline by more than the tolerance";
}

/* ---- run selectors ---- */

void gate_picker_init(struct gate_picker *p, const char *const *selectors, size_t n)
{
	memset(p, 0, sizeof *p);
	p->at = AT_DEFAULT;
	p->picks = xcalloc(n ? n : 1, sizeof *p->picks);
	p->npicks = n;
	for (size_t i = 0; i < n; i++) {
		p->picks[i].selector = selectors[i];
		p->picks[i].run = -1;
		/* A name or id keeps its meaning (one run, even with spaces in it);
		 * anything else is an expression that may select several. */
		char err[256];
		struct select_expr *e = select_parse(selectors[i], err, sizeof err);
		if (e && select_is_single(e))
			select_free(e);
		else
			p->picks[i].expr = e;
	}
}

/* True when pick k names run r. */
static bool pick_matches(const struct gate_picker *p, const struct gate_pick *k,
                         const struct run *r)
{
	if (k->expr)
		return select_match(k->expr, r, p->goals);
	return run_matches(r, k->selector);
}

/* True when key is one of the metrics the picker keeps points of. */
static bool keeps_metric(const struct gate_picker *p, const char *key)
{
	for (size_t i = 0; i < p->nkeep; i++)
		if (strcmp(p->keep_metrics[i], key) == 0)
			return true;
	return false;
}

int gate_picker_offer(struct gate_picker *p, struct run *r)
{
	long slot = -1;
	size_t seq = p->offered++;
	for (size_t i = 0; i < p->npicks; i++) {
		struct gate_pick *k = &p->picks[i];
		if (!pick_matches(p, k, r))
			continue;
		if (k->expr) {
			if (slot < 0)
				slot = (long)p->nruns;
			if (k->run < 0)
				k->run = slot;
			GROW(k->all, k->capall, k->nall + 1);
			k->all[k->nall++] = (size_t)slot;
			continue;
		}
		if (k->run >= 0 && k->run != slot) {
			kvlist_add(&k->others, r->id ? r->id : "", r->name ? r->name : "");
			continue;
		}
		if (slot < 0)
			slot = (long)p->nruns;
		k->run = slot;
	}
	if (slot < 0) {
		run_free(r);
		return 0;
	}
	/* Memory follows the selected runs and the metrics asked about only. */
	if (p->keep_metrics)
		for (size_t i = 0; i < r->nmetrics; i++)
			if (!keeps_metric(p, r->metrics[i].key)) {
				free(r->metrics[i].pts);
				r->metrics[i].pts = NULL;
				r->metrics[i].n = r->metrics[i].cap = 0;
			}
	size_t cap = p->capruns;
	GROW(p->runs, p->capruns, p->nruns + 1);
	if (cap != p->capruns)
		p->seq = xreallocarray(p->seq, p->capruns, sizeof *p->seq);
	p->seq[p->nruns] = seq;
	p->runs[p->nruns++] = r;
	return 1;
}

struct run **gate_picker_runs(const struct gate_picker *p, size_t i, size_t *n)
{
	const struct gate_pick *k = &p->picks[i];
	struct run **out = xcalloc(k->nall + 1, sizeof *out);
	*n = 0;
	if (k->expr)
		for (size_t j = 0; j < k->nall; j++)
			out[(*n)++] = p->runs[k->all[j]];
	else if (k->run >= 0)
		out[(*n)++] = p->runs[k->run];
	return out;
}

/* Applies top N of pick k to what it matched: the N best, best first. */
static void pick_top(struct gate_picker *p, struct gate_pick *k)
{
	if (!k->expr || !select_top(k->expr) || !k->nall)
		return;
	const struct run **rr = xcalloc(k->nall, sizeof *rr);
	for (size_t j = 0; j < k->nall; j++)
		rr[j] = p->runs[k->all[j]];
	size_t *out = xcalloc(k->nall, sizeof *out);
	size_t m = select_runs(k->expr, rr, k->nall, p->goals, NULL, out);
	for (size_t j = 0; j < m; j++)
		out[j] = k->all[out[j]];
	memcpy(k->all, out, m * sizeof *out);
	k->nall = m;
	k->run = m ? (long)k->all[0] : -1;
	free(out);
	free(rr);
}

struct run *gate_picker_run(const struct gate_picker *p, size_t i)
{
	return p->picks[i].run < 0 ? NULL : p->runs[p->picks[i].run];
}

void gate_picker_free(struct gate_picker *p)
{
	for (size_t i = 0; i < p->npicks; i++) {
		kvlist_free(&p->picks[i].others);
		select_free(p->picks[i].expr);
		free(p->picks[i].all);
	}
	for (size_t i = 0; i < p->nruns; i++)
		run_free(p->runs[i]);
	free(p->picks);
	free(p->runs);
	free(p->seq);
	memset(p, 0, sizeof *p);
}

/* ---- reading the picked runs ---- */

static void pick_experiment(void *ctx, struct experiment *e)
{
	experiment_free(e);
}

static int pick_run(void *ctx, struct run *r, const struct kvlist *redacted)
{
	gate_picker_offer(ctx, r);
	return 1;
}

int gate_picker_read(struct gate_picker *p, const struct discovery *d,
                     const struct reader_opts *ropts, bool redact)
{
	if (d->nstores == 0) {
		diag_msg("no run store found in the given paths (try `runsite ls PATH`)");
		return EXIT_NO_INPUT;
	}
	for (size_t i = 0; i < p->npicks; i++)
		select_set_at(p->picks[i].expr, p->at);
	struct pipeline_consumer consumer = {p, NULL, pick_experiment, pick_run, NULL};
	struct pipeline_stats stats;
	memset(&stats, 0, sizeof stats);
	int rc = EXIT_OK;
	pipeline_read(d, ropts, redact, &consumer, &stats);
	pipeline_stats_free(&stats);
	for (size_t i = 0; i < p->npicks; i++)
		pick_top(p, &p->picks[i]);
	for (size_t i = 0; i < p->npicks; i++) {
		const struct gate_pick *k = &p->picks[i];
		if (k->expr && k->run >= 0 && p->one_each && k->nall > 1) {
			diag_msg("'%s' selects %zu runs (%s, %s%s); one is wanted: add top 1 by METRIC, "
			         "or name one by its id",
			         k->selector, k->nall, p->runs[k->all[0]]->name,
			         p->runs[k->all[1]]->name, k->nall > 2 ? ", ..." : "");
			rc = EXIT_USAGE;
		}
		if (k->run < 0 && k->expr) {
			diag_msg("'%s' selects no run (`runsite ls PATH` lists the runs)", k->selector);
			rc = EXIT_NO_INPUT;
		} else if (k->run < 0) {
			char err[256] = "";
			struct select_expr *e = select_parse(k->selector, err, sizeof err);
			int parsed = e != NULL;
			select_free(e);
			diag_msg("no run is named '%s' (a run id, a run name, tag:KEY=VALUE or a "
			         "selection: man runsite, SELECTING RUNS%s%s; `runsite ls PATH` lists "
			         "the runs)", k->selector, parsed ? "" : "; as a selection: ", parsed ? "" : err);
			rc = EXIT_NO_INPUT;
		}
	}
	for (size_t i = 0; i < p->npicks && rc == EXIT_OK; i++) {
		const struct gate_pick *k = &p->picks[i];
		if (!k->others.n)
			continue;
		const struct run *first = p->runs[k->run];
		struct buf b = BUF_INIT;
		buf_printf(&b, "%s (%s)", first->id, first->name);
		for (size_t j = 0; j < k->others.n; j++)
			buf_printf(&b, ", %s (%s)", k->others.items[j].key, k->others.items[j].value);
		diag_msg("'%s' names %zu runs: %s; name one by its id", k->selector,
		         (size_t)k->others.n + 1, buf_cstr(&b));
		buf_free(&b);
		rc = EXIT_USAGE;
	}
	return rc;
}
