/* cmd_check.c — `runsite check`: a regression gate for CI. Compares a
 * candidate run with a baseline under rules (gate.h), writes summary.md with
 * overlay charts beside it, and optionally a JUnit report. */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <libxml/xmlwriter.h>

#include "runsite/chart.h"
#include "runsite/cli.h"
#include "runsite/diag.h"
#include "runsite/discover.h"
#include "runsite/gate.h"
#include "runsite/reader.h"
#include "runsite/site.h"
#include "runsite/util.h"

enum { OPT_BASELINE = OPT_COMMAND_BASE, OPT_CANDIDATE, OPT_RULE, OPT_JUNIT, OPT_VALUE,
       OPT_NO_CHARTS, OPT_GOAL };

static const struct option_row check_options[] = {
	{"baseline", 1, OPT_BASELINE, "RUN", "the run to compare with: id, name, tag:KEY=VALUE or a selection of one run (top 1 by METRIC)"},
	{"candidate", 1, OPT_CANDIDATE, "RUN", "the run under test: id, name, tag:KEY=VALUE or a selection of one run (top 1 by METRIC)"},
	{"rule", 1, OPT_RULE, "RULE", "METRIC:max:TOL, METRIC:min:TOL (TOL may be N%) or METRIC>=V; repeatable"},
	{"at", 1, OPT_AT, "best|last", CLI_AT_HELP},
	{"goal", 1, OPT_GOAL, "GLOB:min|max", "metrics matching GLOB are better lower (min) or higher (max), for --at best; repeatable"},
	{"value", 1, OPT_VALUE, "WHICH", "the same as --at, and also min or max"},
	{"output", 1, 'o', "DIR", "write summary.md and its charts to DIR (default: .)"},
	{"junit", 1, OPT_JUNIT, "FILE", "also write a JUnit XML report, one test case per rule"},
	{"no-charts", 0, OPT_NO_CHARTS, NULL, "write summary.md without overlay charts"},
	{"include-deleted", 0, OPT_INCLUDE_DELETED, NULL, "keep deleted experiments and runs"},
	{"immutable", 0, OPT_IMMUTABLE, NULL, "the SQLite stores cannot change while read: read them without locks"},
	{"format", 1, OPT_FORMAT, "NAME", "read every PATH as this format (see `runsite ls`)"},
	{"password-file", 1, OPT_PASSWORD_FILE, "FILE", "password for postgresql:// and mysql:// URLs: FILE's first line"},
	{"no-redact", 0, OPT_NO_REDACT, NULL, "show values that look like secrets"},
	{"quiet", 0, 'q', NULL, "no warnings on stderr"},
	{"help", 0, 'h', NULL, "show this help"},
	{NULL, 0, 0, NULL, NULL},
};

/* One rule and how it came out. */
struct check_row {
	struct gate_rule rule;
	double base, cand;
	int64_t base_step, cand_step;
	const char *base_at, *cand_at; /* the point each value is at: "last", "best", "min", "max" */
	struct gate_result res;
	const char *missing; /* NULL, or what is missing ("baseline", "candidate", "both") */
	int chart;           /* index into the charts, or -1 */
};

struct check {
	struct check_row *rows;
	size_t nrows;
	const struct run *base, *cand;
	const char *base_sel, *cand_sel;
	enum gate_value value;   /* last or best: --at; min or max: --value */
	struct goal_rules goals; /* --goal; else each metric's inferred goal, else the rule's */
	const char *run_problem; /* set when the runs could not be picked */
	char **chart_files;      /* per distinct metric: file name in the output folder */
	char **chart_metrics;
	size_t ncharts;
	size_t passed, failed, missing;
};

/* ---- Markdown ---- */

/* Appends untrusted text as Markdown that stays inside one table cell and
 * forms no HTML, link or emphasis: ASCII punctuation is backslash-escaped,
 * <, > and & become entities, line breaks become spaces. */
static void md_text(struct buf *b, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
		unsigned char c = *p;
		if (c == '<')
			BUF_PUTSL(b, "&lt;");
		else if (c == '>')
			BUF_PUTSL(b, "&gt;");
		else if (c == '&')
			BUF_PUTSL(b, "&amp;");
		else if (c < 0x20 || c == 0x7f)
			buf_putc(b, ' ');
		else if (strchr("\\`*_[]()!|~", c)) {
			buf_putc(b, '\\');
			buf_putc(b, c);
		} else
			buf_putc(b, c);
	}
}

/* A number as the charts show it, and its exact value when that differs. */
static void md_number(struct buf *b, double v, int exact)
{
	char shown[64], full[40];
	chart_format_number(shown, sizeof shown, v);
	fmt_double(full, sizeof full, v);
	md_text(b, shown);
	if (exact && strcmp(shown, full) != 0) {
		BUF_PUTSL(b, " <sub>");
		md_text(b, full);
		BUF_PUTSL(b, "</sub>");
	}
}

/* A compared value and the point it is at: "0.912 (best, step 840)". */
static void md_value(struct buf *b, double v, const char *at, int64_t step)
{
	md_number(b, v, 1);
	buf_printf(b, " (%s, step %" PRId64 ")", at, step);
}

static void md_run(struct buf *b, const char *role, const struct run *r)
{
	buf_printf(b, "- **%s:** ", role);
	md_text(b, r->name);
	BUF_PUTSL(b, " (run ");
	md_text(b, r->id);
	if (r->experiment_name) {
		BUF_PUTSL(b, ", experiment ");
		md_text(b, r->experiment_name);
	}
	BUF_PUTSL(b, ", ");
	md_text(b, r->status);
	BUF_PUTSL(b, ")\n");
}

static const char *verdict(const struct check_row *row)
{
	if (row->missing)
		return "⚠️ missing";
	return row->res.pass ? "✅ pass" : "❌ **fail**";
}

/* The limit the candidate had to reach, as "≥ 0.92". */
static void md_limit(struct buf *b, const struct check_row *row)
{
	const struct gate_rule *r = &row->rule;
	if (row->missing || isnan(row->res.limit)) {
		BUF_PUTSL(b, "—");
		return;
	}
	if (r->kind == GATE_THRESHOLD) {
		static const char *const ops[] = {"≥", ">", "≤", "<"};
		buf_puts(b, ops[r->op]);
	} else {
		buf_puts(b, r->dir == GOAL_MAX ? "≥" : "≤");
	}
	buf_putc(b, ' ');
	md_number(b, row->res.limit, 1);
}

static void summary_markdown(const struct check *c, struct buf *b)
{
	const char *head = c->run_problem || c->missing ? "⚠️ could not be evaluated"
	                   : c->failed                  ? "❌ failed"
	                                                : "✅ passed";
	buf_printf(b, "## runsite check: %s\n\n", head);
	if (c->run_problem) {
		md_text(b, c->run_problem);
		BUF_PUTSL(b, "\n\nNo rule was evaluated.\n");
		return;
	}
	buf_printf(b, "%zu of %zu rules hold", c->passed, c->nrows);
	if (c->failed)
		buf_printf(b, ", %zu failed", c->failed);
	if (c->missing)
		buf_printf(b, ", %zu could not be evaluated (a metric is missing)", c->missing);
	BUF_PUTSL(b, ".\n\n");
	if (c->base)
		md_run(b, "Baseline", c->base);
	md_run(b, "Candidate", c->cand);
	buf_printf(b, "- **Compared:** the %s value of each metric", gate_value_name(c->value));
	if (c->value == GATE_VALUE_LAST)
		BUF_PUTSL(b, " (the last value logged; `--at best` compares each run's best)");
	else if (c->value == GATE_VALUE_BEST)
		BUF_PUTSL(b, " (min or max by the metric's goal, else by the rule's direction; "
		             "a metric with no finite value is compared at its last)");
	BUF_PUTSL(b, "\n\n");
	buf_printf(b, "| Rule | Baseline (%s) | Candidate (%s) | Delta | Must be | Verdict |\n"
	              "|---|--:|--:|--:|---|---|\n",
	           gate_value_name(c->value), gate_value_name(c->value));
	for (size_t i = 0; i < c->nrows; i++) {
		const struct check_row *row = &c->rows[i];
		BUF_PUTSL(b, "| ");
		md_text(b, row->rule.text);
		BUF_PUTSL(b, " | ");
		if (c->base && !(row->missing && strcmp(row->missing, "candidate") != 0))
			md_value(b, row->base, row->base_at, row->base_step);
		else
			BUF_PUTSL(b, "—");
		BUF_PUTSL(b, " | ");
		if (!row->missing || strcmp(row->missing, "baseline") == 0)
			md_value(b, row->cand, row->cand_at, row->cand_step);
		else
			BUF_PUTSL(b, "—");
		BUF_PUTSL(b, " | ");
		if (!row->missing && c->base && !isnan(row->res.delta)) {
			if (row->res.delta > 0)
				buf_putc(b, '+');
			md_number(b, row->res.delta, 0);
			if (row->rule.kind == GATE_TOLERANCE && row->rule.relative &&
			    row->base != 0 && isfinite(row->base)) {
				char pct[64];
				snprintf(pct, sizeof pct, " (%+.2f%%)", 100.0 * row->res.delta / fabs(row->base));
				md_text(b, pct);
			}
		} else {
			BUF_PUTSL(b, "—");
		}
		BUF_PUTSL(b, " | ");
		md_limit(b, row);
		buf_printf(b, " | %s", verdict(row));
		if (row->missing) {
			BUF_PUTSL(b, ": ");
			md_text(b, row->rule.metric);
			buf_printf(b, " not logged by the %s", row->missing);
		} else if (!row->res.pass) {
			BUF_PUTSL(b, ": ");
			md_text(b, row->res.why);
		}
		BUF_PUTSL(b, " |\n");
	}
	if (c->ncharts)
		BUF_PUTSL(b, "\n");
	for (size_t i = 0; i < c->ncharts; i++) {
		BUF_PUTSL(b, "![");
		md_text(b, c->chart_metrics[i]);
		BUF_PUTSL(b, ": baseline and candidate](");
		buf_puts(b, c->chart_files[i]); /* made of [a-z0-9.-] only */
		BUF_PUTSL(b, ")\n");
	}
	BUF_PUTSL(b, "\n<sub>Made by runsite check. Small numbers after a value are its exact value.</sub>\n");
}

/* ---- charts ---- */

/* A file name for chart i of metric key: [a-z0-9-] only. */
static char *chart_name(size_t i, const char *key)
{
	struct buf b = BUF_INIT;
	buf_printf(&b, "runsite-check-%zu-", i + 1);
	size_t start = b.size;
	for (const char *p = key; *p && b.size - start < 48; p++) {
		char ch = *p;
		if (ch >= 'A' && ch <= 'Z')
			ch = (char)(ch - 'A' + 'a');
		if ((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9'))
			buf_putc(&b, ch);
		else if (b.size > start && b.data[b.size - 1] != '-')
			buf_putc(&b, '-');
	}
	while (b.size > start && b.data[b.size - 1] == '-')
		b.size--;
	BUF_PUTSL(&b, ".png");
	return buf_detach(&b);
}

/* Draws one overlay chart per distinct rule metric both runs logged.
 * Returns 1, or 0 when a chart could not be written (reported). */
static int write_charts(struct check *c, const char *dir)
{
	int ok = 1;
	c->chart_files = xcalloc(c->nrows ? c->nrows : 1, sizeof *c->chart_files);
	c->chart_metrics = xcalloc(c->nrows ? c->nrows : 1, sizeof *c->chart_metrics);
	for (size_t i = 0; i < c->nrows; i++) {
		struct check_row *row = &c->rows[i];
		row->chart = -1;
		if (row->missing)
			continue;
		for (size_t j = 0; j < c->ncharts; j++)
			if (strcmp(c->chart_metrics[j], row->rule.metric) == 0)
				row->chart = (int)j;
		if (row->chart >= 0)
			continue;
		const struct series *sb = c->base ? run_find_series(c->base, row->rule.metric) : NULL;
		const struct series *sc = run_find_series(c->cand, row->rule.metric);
		struct chart_series series[2];
		memset(series, 0, sizeof series);
		size_t ns = 0;
		char *lb = NULL, *lc = xasprintf("candidate: %s", c->cand->name);
		if (sb && sb->pts && c->base != c->cand) {
			lb = xasprintf("baseline: %s", c->base->name);
			struct chart_point *pb = site_chart_points(c->base, sb->pts, sb->n, CHART_X_STEP);
			series[ns] = (struct chart_series){.label = lb, .pts = pb, .n = sb->n, .color = 0};
			ns++;
		}
		struct chart_point *pc = site_chart_points(c->cand, sc->pts, sc->n, CHART_X_STEP);
		series[ns] = (struct chart_series){.label = lc, .pts = pc, .n = sc->n, .color = 1};
		ns++;
		struct chart_spec spec;
		chart_spec_defaults(&spec);
		spec.title = row->rule.metric;
		spec.goal = (enum chart_goal)row->rule.dir;
		spec.x_kind = CHART_X_STEP;
		spec.series = series;
		spec.nseries = ns;
		char *name = chart_name(c->ncharts, row->rule.metric);
		char *path = path_join(dir, name);
		if (chart_write(&spec, CHART_PNG, path, NULL)) {
			c->chart_files[c->ncharts] = name;
			c->chart_metrics[c->ncharts] = row->rule.metric;
			row->chart = (int)c->ncharts++;
		} else {
			free(name);
			ok = 0;
		}
		free(path);
		for (size_t k = 0; k < ns; k++)
			free((void *)series[k].pts);
		free(lb);
		free(lc);
	}
	return ok;
}

/* ---- JUnit ---- */

/* A copy of s that XML 1.0 can hold: control characters become '?', and
 * text that is not valid UTF-8 loses its non-ASCII bytes the same way. */
static char *xml_clean(const char *s)
{
	char *out = xstrdup(s ? s : "");
	int utf8 = xmlCheckUTF8((const xmlChar *)out);
	for (unsigned char *p = (unsigned char *)out; *p; p++)
		if ((*p < 0x20 && *p != '\t' && *p != '\n' && *p != '\r') || *p == 0x7f ||
		    (!utf8 && *p >= 0x80))
			*p = '?';
	return out;
}

static void xw_attr(xmlTextWriterPtr w, const char *name, const char *value)
{
	char *v = xml_clean(value);
	xmlTextWriterWriteAttribute(w, (const xmlChar *)name, (const xmlChar *)v);
	free(v);
}

static void xw_attr_num(xmlTextWriterPtr w, const char *name, size_t n)
{
	char v[32];
	snprintf(v, sizeof v, "%zu", n);
	xw_attr(w, name, v);
}

static void xw_property(xmlTextWriterPtr w, const char *name, const char *value)
{
	xmlTextWriterStartElement(w, (const xmlChar *)"property");
	xw_attr(w, "name", name);
	xw_attr(w, "value", value);
	xmlTextWriterEndElement(w);
}

/* The one-line story of a row: values (each with the point it is at),
 * delta, limit. Caller frees. */
static char *row_story(const struct check *c, const struct check_row *row)
{
	char b[40], cv[40], d[40], l[40];
	fmt_double(b, sizeof b, row->base);
	fmt_double(cv, sizeof cv, row->cand);
	fmt_double(d, sizeof d, row->res.delta);
	fmt_double(l, sizeof l, row->res.limit);
	if (row->rule.kind == GATE_THRESHOLD)
		return xasprintf("%s: candidate %s (%s, step %" PRId64 "), must be %s %s",
		                 row->rule.metric, cv, row->cand_at, row->cand_step,
		                 row->rule.op == GATE_GE ? ">=" : row->rule.op == GATE_GT ? ">"
		                 : row->rule.op == GATE_LE ? "<=" : "<", l);
	return xasprintf("%s: baseline %s (%s, step %" PRId64 "), candidate %s (%s, step %" PRId64
	                 "), delta %s, candidate must be %s %s",
	                 row->rule.metric, b, row->base_at, row->base_step, cv, row->cand_at,
	                 row->cand_step, d, row->rule.dir == GOAL_MAX ? ">=" : "<=", l);
}

/* Writes the JUnit report with libxml2's writer. Returns 1, or 0 (reported). */
static int write_junit(const struct check *c, const char *path)
{
	xmlTextWriterPtr w = xmlNewTextWriterFilename(path, 0);
	if (!w) {
		diag_msg("cannot write %s: %s", path, strerror(errno ? errno : EIO));
		return 0;
	}
	xmlTextWriterSetIndent(w, 1);
	xmlTextWriterStartDocument(w, NULL, "UTF-8", NULL);
	size_t errors = c->run_problem ? c->nrows : c->missing;
	xmlTextWriterStartElement(w, (const xmlChar *)"testsuites");
	xw_attr(w, "name", "runsite check");
	xw_attr_num(w, "tests", c->nrows);
	xw_attr_num(w, "failures", c->failed);
	xw_attr_num(w, "errors", errors);
	xmlTextWriterStartElement(w, (const xmlChar *)"testsuite");
	xw_attr(w, "name", "runsite check");
	xw_attr_num(w, "tests", c->nrows);
	xw_attr_num(w, "failures", c->failed);
	xw_attr_num(w, "errors", errors);
	xw_attr_num(w, "skipped", 0);
	xmlTextWriterStartElement(w, (const xmlChar *)"properties");
	if (c->base_sel)
		xw_property(w, "baseline", c->base ? c->base->id : c->base_sel);
	xw_property(w, "candidate", c->cand ? c->cand->id : c->cand_sel);
	xw_property(w, "value", gate_value_name(c->value));
	xw_property(w, "at", gate_value_name(c->value));
	xmlTextWriterEndElement(w);
	for (size_t i = 0; i < c->nrows; i++) {
		const struct check_row *row = &c->rows[i];
		xmlTextWriterStartElement(w, (const xmlChar *)"testcase");
		xw_attr(w, "classname", "runsite.check");
		xw_attr(w, "name", row->rule.text);
		if (c->run_problem || row->missing) {
			char *msg = c->run_problem ? xstrdup(c->run_problem)
			                           : xasprintf("%s not logged by the %s", row->rule.metric,
			                                       row->missing);
			xmlTextWriterStartElement(w, (const xmlChar *)"error");
			xw_attr(w, "type", "missing");
			xw_attr(w, "message", msg);
			xmlTextWriterEndElement(w);
			free(msg);
		} else {
			char *story = row_story(c, row);
			char *text = xml_clean(story);
			if (!row->res.pass) {
				xmlTextWriterStartElement(w, (const xmlChar *)"failure");
				xw_attr(w, "type", "regression");
				xw_attr(w, "message", row->res.why);
				xmlTextWriterWriteString(w, (const xmlChar *)text);
				xmlTextWriterEndElement(w);
			} else {
				xmlTextWriterWriteElement(w, (const xmlChar *)"system-out", (const xmlChar *)text);
			}
			free(text);
			free(story);
		}
		xmlTextWriterEndElement(w);
	}
	xmlTextWriterEndElement(w);
	xmlTextWriterEndElement(w);
	int rc = xmlTextWriterEndDocument(w);
	xmlFreeTextWriter(w);
	if (rc < 0) {
		diag_msg("cannot write %s", path);
		return 0;
	}
	return 1;
}

/* ---- the command ---- */

/* The value of series se rule r compares: at the --at point (metric_at,
 * best by the metric's goal, else by the rule's direction), or its min or
 * max (--value); with its step and the point it is at. NaN when none. */
static double check_value(const struct check *c, const struct series_sum *se,
                          const struct gate_rule *r, int64_t *step, const char **at)
{
	*step = 0;
	*at = gate_value_name(c->value);
	if (!se)
		return NAN;
	if (c->value == GATE_VALUE_MIN || c->value == GATE_VALUE_MAX) {
		const struct step_value *p = c->value == GATE_VALUE_MIN ? &se->min : &se->max;
		*step = se->has_finite ? p->step : 0;
		return gate_series_value(se, c->value, r->dir);
	}
	enum goal g = goal_for(&c->goals, r->metric);
	if (g == GOAL_NONE)
		g = r->dir;
	struct at_value v;
	if (!metric_at(se, g, c->value == GATE_VALUE_BEST ? AT_BEST : AT_LAST, &v))
		return NAN;
	*step = v.step;
	*at = metric_at_name(v.at);
	return v.value;
}

/* Evaluates every rule on the picked runs, filling rows and the counts. */
static void evaluate(struct check *c)
{
	for (size_t i = 0; i < c->nrows; i++) {
		struct check_row *row = &c->rows[i];
		const struct gate_rule *r = &row->rule;
		const struct series_sum *sb = c->base ? run_find_sum(c->base, r->metric) : NULL;
		const struct series_sum *sc = run_find_sum(c->cand, r->metric);
		int need_base = r->kind == GATE_TOLERANCE;
		row->base = check_value(c, sb, r, &row->base_step, &row->base_at);
		row->cand = check_value(c, sc, r, &row->cand_step, &row->cand_at);
		if (!sc && need_base && !sb)
			row->missing = "baseline or the candidate";
		else if (!sc)
			row->missing = "candidate";
		else if (need_base && !sb)
			row->missing = "baseline";
		if (row->missing) {
			c->missing++;
			continue;
		}
		gate_eval(r, row->base, row->cand, &row->res);
		if (row->res.pass)
			c->passed++;
		else
			c->failed++;
	}
}

int cmd_check(int argc, char **argv)
{
	struct check c;
	memset(&c, 0, sizeof c);
	c.value = AT_DEFAULT == AT_BEST ? GATE_VALUE_BEST : GATE_VALUE_LAST;
	struct reader_opts ro = {.include_deleted = false, .dec_buckets = 0};
	const char *forced = NULL, *out_dir = ".", *junit = NULL;
	bool redact = true, charts = true;
	char **rule_texts = xcalloc((size_t)argc + 1, sizeof *rule_texts);
	size_t nrules = 0;
	struct gate_picker picker;
	memset(&picker, 0, sizeof picker);
	struct discovery d;
	memset(&d, 0, sizeof d);
	char *problem = NULL;
	char *shortopts;
	struct option *longopts = cli_getopt(check_options, &shortopts);
	int ch, rc = EXIT_OK;
	optind = 1;
	while ((ch = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
		switch (ch) {
		case OPT_BASELINE: c.base_sel = optarg; break;
		case OPT_CANDIDATE: c.cand_sel = optarg; break;
		case OPT_RULE: rule_texts[nrules++] = optarg; break;
		case OPT_JUNIT: junit = optarg; break;
		case OPT_NO_CHARTS: charts = false; break;
		case OPT_VALUE:
			if (!gate_value_parse(optarg, &c.value)) {
				diag_msg("--value takes last, best, min or max, not '%s'", optarg);
				rc = EXIT_USAGE;
				goto out;
			}
			break;
		case OPT_AT: {
			enum metric_at at;
			if (!cli_parse_at(optarg, &at)) {
				rc = EXIT_USAGE;
				goto out;
			}
			c.value = at == AT_BEST ? GATE_VALUE_BEST : GATE_VALUE_LAST;
			break;
		}
		case OPT_GOAL:
			if (!goal_rules_add(&c.goals, optarg)) {
				diag_msg("--goal takes METRIC:min or METRIC:max (METRIC may be a glob), "
				         "not '%s'", optarg);
				rc = EXIT_USAGE;
				goto out;
			}
			break;
		case 'o': out_dir = optarg; break;
		case OPT_NO_REDACT: redact = false; break;
		case OPT_INCLUDE_DELETED: ro.include_deleted = true; break;
		case OPT_IMMUTABLE: ro.immutable = true; break;
		case OPT_FORMAT: forced = optarg; break;
		case OPT_PASSWORD_FILE: server_password_file(optarg); break;
		case 'q': diag_set_quiet(1); break;
		case 'h':
			cli_usage(stdout,
			          "runsite check PATH... [--baseline RUN] --candidate RUN --rule RULE... "
			          "[-o DIR] [--junit FILE]",
			          "A regression gate for CI: checks the candidate run against the baseline\n"
			          "under each rule and writes DIR/summary.md (a Markdown table, with overlay\n"
			          "charts beside it as PNG) for a pull-request comment or $GITHUB_STEP_SUMMARY.\n"
			          "Rules: METRIC:max:TOL (higher is better, at most TOL below the baseline),\n"
			          "METRIC:min:TOL (lower is better), TOL absolute or a percentage of the\n"
			          "baseline (2%); METRIC>=V, >V, <=V, <V (a threshold; no baseline needed).\n"
			          "Exit status 1 when a rule fails; 3 when a run or a metric is missing\n"
			          "(3 wins over 1).",
			          check_options);
			goto out;
		default: rc = EXIT_USAGE; goto out;
		}
	}
	if (!cli_paths_ok("check", forced, argc, optind)) {
		rc = EXIT_USAGE;
		goto out;
	}
	if (!c.cand_sel || nrules == 0) {
		diag_msg("check: %s (try `runsite check --help`)",
		         !c.cand_sel ? "--candidate RUN is required" : "give at least one --rule");
		rc = EXIT_USAGE;
		goto out;
	}
	c.rows = xcalloc(nrules, sizeof *c.rows);
	for (size_t i = 0; i < nrules; i++) {
		char err[256];
		if (!gate_parse(rule_texts[i], &c.rows[i].rule, err, sizeof err)) {
			diag_msg("--rule '%s': %s", rule_texts[i], err);
			rc = EXIT_USAGE;
			goto out;
		}
		c.nrows++; /* parsed: freed at the end whatever happens */
		if (c.rows[i].rule.kind == GATE_TOLERANCE && !c.base_sel) {
			diag_msg("--rule '%s' compares with a baseline: give --baseline RUN", rule_texts[i]);
			rc = EXIT_USAGE;
			goto out;
		}
	}

	/* Read: only the two runs, and only the rule metrics' points, are kept. */
	const char *sels[2] = {c.cand_sel, c.base_sel};
	const char **keep = xcalloc(nrules, sizeof *keep);
	for (size_t i = 0; i < nrules; i++)
		keep[i] = c.rows[i].rule.metric;
	gate_picker_init(&picker, sels, c.base_sel ? 2 : 1);
	picker.keep_metrics = keep;
	picker.one_each = true;
	picker.at = c.value == GATE_VALUE_BEST ? AT_BEST : AT_LAST;
	picker.goals = &c.goals;
	picker.nkeep = nrules;
	discover((const char *const *)argv + optind, (size_t)(argc - optind), forced, &d);
	rc = gate_picker_read(&picker, &d, &ro, redact);
	free(keep);
	picker.keep_metrics = NULL;
	if (rc == EXIT_OK) {
		c.cand = gate_picker_run(&picker, 0);
		c.base = c.base_sel ? gate_picker_run(&picker, 1) : NULL;
		evaluate(&c);
		rc = c.missing ? EXIT_NO_INPUT : c.failed ? EXIT_GATE_FAILED : EXIT_OK;
	} else {
		problem = d.nstores == 0 ? xstrdup("No run store was found in the given paths.")
		          : rc == EXIT_USAGE ? xstrdup("A run selector names several runs (see the log).")
		                             : xstrdup("A run was not found (see the log).");
		c.run_problem = problem;
	}

	/* Write what there is, even when the gate could not run: CI posts it either way. */
	if (!make_dirs(out_dir, 0777)) {
		diag_msg("cannot make folder %s: %s", out_dir, strerror(errno));
		rc = EXIT_OUTPUT;
		goto out;
	}
	if (charts && !c.run_problem && !write_charts(&c, out_dir))
		rc = rc == EXIT_OK ? EXIT_OUTPUT : rc;
	struct buf md = BUF_INIT;
	summary_markdown(&c, &md);
	char *md_path = path_join(out_dir, "summary.md");
	if (!site_write_file(md_path, md.data, md.size, true))
		rc = EXIT_OUTPUT;
	free(md_path);
	buf_free(&md);
	if (junit && !write_junit(&c, junit))
		rc = EXIT_OUTPUT;
	if (!c.run_problem)
		printf("runsite check: %zu of %zu rules hold, %zu failed, %zu missing\n", c.passed,
		       c.nrows, c.failed, c.missing);
	for (size_t i = 0; i < c.nrows && !c.run_problem; i++) {
		const struct check_row *row = &c.rows[i];
		if (row->missing)
			printf("  missing  %s: %s not logged by the %s\n", row->rule.text, row->rule.metric,
			       row->missing);
		else if (!row->res.pass)
			printf("  FAILED   %s: %s\n", row->rule.text, row->res.why);
	}
out:
	for (size_t i = 0; i < c.nrows; i++)
		gate_rule_free(&c.rows[i].rule);
	goal_rules_free(&c.goals);
	for (size_t i = 0; i < c.ncharts; i++)
		free(c.chart_files[i]);
	free(c.chart_files);
	free(c.chart_metrics);
	free(c.rows);
	free(problem);
	gate_picker_free(&picker);
	discovery_free(&d);
	free(rule_texts);
	free(longopts);
	free(shortopts);
	return rc;
}
