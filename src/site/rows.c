/* rows.c — the rows of a runs table as a script file beside its page
 * ("index.rows.js", "experiments/<slug>.rows.js"): compact JSON, columns
 * described once and one array a run, streamed to the file so a page of
 * 10,000 runs is never held whole. The page itself carries the first
 * RUNS_FIRST_PAGE rows as HTML (for readers without the script); site.js
 * renders every row from this data as the table scrolls. A script file,
 * unlike fetch(), loads from file:// too. Every string goes through one
 * JSON writer that escapes '<', '>', '&', U+2028 and U+2029, so nothing in a
 * run's name can end the script or change it. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runsite/chart.h"
#include "runsite/jsonw.h"
#include "site_internal.h"

/* Appends number v to b as "%g" would, with a space before it when it
 * follows another number and has no sign of its own to separate it. */
static void path_num(struct buf *b, double v, int *after_num)
{
	if (*after_num && v >= 0)
		buf_putc(b, ' ');
	*after_num = 1;
	chart_put_half(b, v);
}

/* Reads a number of the sparkline path at p as strtod would: the
 * half-pixel grid's "[-]digits[.5]" here, anything else by strtod. */
static double path_strtod(const char *p, char **end)
{
	const char *c = p;
	while (*c == ' ')
		c++;
	int neg = *c == '-';
	if (neg)
		c++;
	const char *digits = c;
	long whole = 0;
	while (*c >= '0' && *c <= '9' && c - digits < 6)
		whole = whole * 10 + (*c++ - '0');
	double half = 0;
	if (*c == '.' && c[1] == '5') {
		half = 0.5;
		c += 2;
	}
	if (c == digits || (*c >= '0' && *c <= '9') || (*c && strchr(".eExX", *c)))
		return strtod(p, end);
	*end = (char *)c;
	double v = (double)whole + half;
	return neg ? -v : v;
}

char *spark_compact(const char *d)
{
	struct buf b = BUF_INIT;
	double x = 0, y = 0;
	int after_num = 0, started = 0, want_l = 0;
	const char *p = d;
	while (*p) {
		char cmd = *p++;
		char *end;
		double nx = path_strtod(p, &end);
		if (end == p)
			break;
		p = end;
		double ny = path_strtod(p, &end);
		if (end == p)
			break;
		p = end;
		if (cmd == 'M' || !started) {
			/* a pen move (the start, or after a gap): absolute */
			buf_putc(&b, cmd == 'M' ? 'M' : 'L');
			after_num = 0;
			path_num(&b, nx, &after_num);
			path_num(&b, ny, &after_num);
			want_l = cmd == 'M';
			started = 1;
		} else {
			/* a line: relative, 'l' written once after each move */
			if (want_l) {
				buf_putc(&b, 'l');
				after_num = 0;
				want_l = 0;
			}
			path_num(&b, nx - x, &after_num);
			path_num(&b, ny - y, &after_num);
		}
		x = nx;
		y = ny;
	}
	buf_putc(&b, '\0');
	return b.data;
}

static const char *goal_name(enum goal g)
{
	return g == GOAL_MIN ? "min" : g == GOAL_MAX ? "max" : "none";
}

/* A value of se in mode m, or null. */
static void mode_value(struct jsonw *w, const struct series *se, enum goal g, enum compare_mode m)
{
	double v;
	if (se && compare_value(se, g, m, &v, NULL))
		jsonw_double(w, v);
	else
		jsonw_null(w);
}

/* A step of se in mode m, or null. */
static void mode_step(struct jsonw *w, const struct series *se, enum goal g, enum compare_mode m)
{
	double v;
	int64_t step;
	if (se && compare_value(se, g, m, &v, &step))
		jsonw_int(w, step);
	else
		jsonw_null(w);
}

/* One run: [id, name, slug, colour, experiment, status, start ms, duration
 * ms, [sparkline path, end x, end y] or null, [param values], [[last, min,
 * max, step of the last, of the min, of the max] or null per metric]]; a
 * metric's array has a seventh entry, the point its column shows instead
 * ("last"), when --at asks for a best it has none of. */
static void run_json(struct site *s, struct jsonw *w, struct site_run *sr, const char *primary,
                     const struct compare_param *params, size_t np,
                     const struct plan_metric *metrics, size_t nm)
{
	const struct run *r = sr->run;
	jsonw_begin_array(w);
	jsonw_string(w, r->id);
	jsonw_string(w, r->name);
	jsonw_string(w, sr->slug);
	jsonw_string(w, chart_color_hex(sr->color));
	jsonw_int(w, (int64_t)sr->exp);
	jsonw_string(w, r->status);
	if (r->start_ms != TIME_UNKNOWN)
		jsonw_int(w, r->start_ms);
	else
		jsonw_null(w);
	int64_t d = run_duration_ms(r);
	if (d != TIME_UNKNOWN && d >= 0)
		jsonw_int(w, d);
	else
		jsonw_null(w);
	double end[2];
	char *path = primary ? run_sparkline(s, sr, primary, end) : NULL;
	if (path) {
		char *small = spark_compact(path);
		free(path);
		path = small;
		jsonw_begin_array(w);
		jsonw_string(w, path);
		jsonw_double(w, end[0]);
		jsonw_double(w, end[1]);
		jsonw_end_array(w);
		free(path);
	} else {
		jsonw_null(w);
	}
	jsonw_begin_array(w);
	for (size_t p = 0; p < np; p++)
		jsonw_string(w, kvlist_get(&r->params, params[p].key));
	jsonw_end_array(w);
	jsonw_begin_array(w);
	for (size_t m = 0; m < nm; m++) {
		const struct series *se = run_find_series(r, metrics[m].key);
		if (!se) {
			jsonw_null(w);
			continue;
		}
		enum goal g = metrics[m].goal;
		jsonw_begin_array(w);
		mode_value(w, se, g, CMP_LAST);
		mode_value(w, se, g, CMP_MIN);
		mode_value(w, se, g, CMP_MAX);
		mode_step(w, se, g, CMP_LAST);
		mode_step(w, se, g, CMP_MIN);
		mode_step(w, se, g, CMP_MAX);
		/* The point, only where it is not the column's (a best asked for
		 * with no finite value falls back to the last). */
		struct at_value av;
		if (metric_at(se, g, s->opts->at, &av) &&
		    compare_mode_at(g, av.at) != compare_mode_at(g, s->opts->at))
			jsonw_string(w, metric_at_name(av.at));
		jsonw_end_array(w);
	}
	jsonw_end_array(w);
	jsonw_end_array(w);
}

int runs_rows_write(struct site *s, const char *rel, const size_t *idx, size_t n, int depth,
                    const struct compare_param *params, size_t np,
                    const struct plan_metric *metrics, size_t nm, const char *primary)
{
	const char *slash = strrchr(rel, '/');
	if (slash) {
		char *dir = xstrndup(rel, (size_t)(slash - rel));
		int made = site_mkdir(s, dir);
		free(dir);
		if (!made)
			return 0;
	}
	FILE *f = site_stream_open(s, rel);
	if (!f)
		return 0;
	struct jsonw w;
	jsonw_init(&w, f);
	w.script_safe = 1;
	fputs("/* runsite: the rows of the runs table, for site.js */\n"
	      "(window.runsiteRows = window.runsiteRows || {})[\"runs-table\"] = ",
	      f);
	jsonw_begin_object(&w);
	jsonw_key(&w, "up");
	jsonw_string(&w, depth ? "../" : "");
	jsonw_key(&w, "first");
	jsonw_int(&w, (int64_t)(n < RUNS_FIRST_PAGE ? n : RUNS_FIRST_PAGE));
	jsonw_key(&w, "spark");
	jsonw_string(&w, primary);
	jsonw_key(&w, "params");
	jsonw_begin_array(&w);
	for (size_t p = 0; p < np; p++)
		jsonw_string(&w, params[p].key);
	jsonw_end_array(&w);
	jsonw_key(&w, "metrics");
	jsonw_begin_array(&w);
	for (size_t m = 0; m < nm; m++) {
		jsonw_begin_object(&w);
		jsonw_key(&w, "key");
		jsonw_string(&w, metrics[m].key);
		jsonw_key(&w, "goal");
		jsonw_string(&w, goal_name(metrics[m].goal));
		jsonw_key(&w, "mode");
		jsonw_string(&w, compare_mode_name(compare_mode_at(metrics[m].goal, s->opts->at)));
		jsonw_end_object(&w);
	}
	jsonw_end_array(&w);
	jsonw_key(&w, "exps");
	jsonw_begin_array(&w);
	for (size_t e = 0; e < s->nexps; e++) {
		jsonw_begin_array(&w);
		jsonw_string(&w, s->exps[e].name);
		jsonw_string(&w, s->exps[e].slug);
		jsonw_end_array(&w);
	}
	jsonw_end_array(&w);
	jsonw_key(&w, "rows");
	fputs("[\n", f);
	for (size_t i = 0; i < n; i++) {
		if (i)
			fputs(",\n", f);
		/* Each row starts its own array: the writer's comma is ours. */
		w.first[w.depth] = 1;
		run_json(s, &w, &s->runs[idx[i]], primary, params, np, metrics, nm);
	}
	fputs("]", f);
	jsonw_end_object(&w);
	fputs(";\n", f);
	return site_stream_close(s, f, rel);
}
