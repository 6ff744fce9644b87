/* test_report.c — the report parser: front matter, ```runsite blocks (keys,
 * several on a line, comments, errors with their lines), {{ ... }}
 * references, fences of other code left alone; and the run selection of
 * blocks, compare sides and groups. */
#include <stdlib.h>

#include "harness.h"
#include "runsite/report.h"

static const char doc_text[] =
        "---\n"                                                   /* 1 */
        "title: What we found\n"                                  /* 2 */
        "author: Mira\n"                                          /* 3 */
        "date: 2026-10-08\n"                                      /* 4 */
        "runs: experiment=puppy\n"                                /* 5 */
        "---\n"                                                   /* 6 */
        "# Intro\n"                                               /* 7 */
        "F1 is {{ mlp-s3 : val/f1 best }} and lr {{ mlp-s3 : param lr }}.\n" /* 8 */
        "\n"                                                      /* 9 */
        "```runsite\n"                                            /* 10 */
        "chart: val/loss, val/f1     # two charts\n"              /* 11 */
        "runs: experiment=puppy status=FINISHED tag:stage=2\n"    /* 12 */
        "top: 5 by val/f1\n"                                      /* 13 */
        "x: step    smoothing: 0.6    log-y: auto\n"              /* 14 */
        "```\n"                                                   /* 15 */
        "```python\n"                                             /* 16 */
        "print('{{ not : a ref }}')\n"                            /* 17 */
        "```runsite\n"                                            /* 18: inside python code */
        "```\n"                                                   /* 19 */
        "```runsite\n"                                            /* 20 */
        "table: params, val/f1 best, duration\n"                  /* 21 */
        "runs: experiment=puppy  group: seed   sort: val/f1\n"    /* 22 */
        "```\n"                                                   /* 23 */
        "~~~runsite\n"                                            /* 24 */
        "compare: a vs b\n"                                       /* 25 */
        "~~~\n"                                                   /* 26 */
        "```runsite\n"                                            /* 27 */
        "sweep: lr, hidden → val/f1\n"                            /* 28 */
        "colour: red\n"                                           /* 29 */
        "```\n"                                                   /* 30 */
        "```runsite\n"                                            /* 31 */
        "runs: a\n"                                               /* 32 */
        "```\n"                                                   /* 33 */
        "Group {{ group mlp : val/f1 mean±std }}, bad {{ nothing here }},\n" /* 34 */
        "{{ run-a : val/f1 mean }} and {{ group g : param lr }}.\n" /* 35 */
        "```runsite\n"                                            /* 36 */
        "chart: val/loss\n"                                       /* 37 */
        "chart: val/f1\n";                                        /* 38: never closed */

static struct run *mk(const char *name, const char *exp, double f1)
{
	struct run *r = run_new("test", "store");
	r->id = strdup(name);
	r->name = strdup(name);
	r->experiment_name = strdup(exp);
	r->status = strdup("FINISHED");
	series_add(run_series(r, "val/f1"), 1, 0, f1);
	run_finish(r, 0);
	return r;
}

int main(void)
{
	struct report_doc d;
	report_parse(doc_text, sizeof doc_text - 1, "r.md", &d);
	STR_EQ(d.title, "What we found", "title");
	STR_EQ(d.author, "Mira", "author");
	STR_EQ(d.date, "2026-10-08", "date");
	STR_EQ(d.runs, "experiment=puppy", "runs");
	OK(d.summary == NULL, "no summary");
	OK(d.fm_error == NULL, "front matter read");

	INT_EQ(d.nblocks, 6, "blocks (the one inside python code is not one)");
	if (d.nblocks == 6) {
		const struct report_block *b = &d.blocks[0];
		INT_EQ(b->line, 10, "chart line");
		INT_EQ(b->kind, REPORT_CHART, "chart kind");
		STR_EQ(b->what, "val/loss, val/f1", "chart metrics, comment dropped");
		STR_EQ(kvlist_get(&b->opts, "runs"), "experiment=puppy status=FINISHED tag:stage=2",
		       "chart runs");
		STR_EQ(kvlist_get(&b->opts, "top"), "5 by val/f1", "chart top");
		STR_EQ(kvlist_get(&b->opts, "x"), "step", "x, first of three on a line");
		STR_EQ(kvlist_get(&b->opts, "smoothing"), "0.6", "smoothing");
		STR_EQ(kvlist_get(&b->opts, "log-y"), "auto", "log-y");
		OK(b->error == NULL, "chart block has no error: %s", b->error);

		b = &d.blocks[1];
		INT_EQ(b->line, 20, "table line");
		INT_EQ(b->kind, REPORT_TABLE, "table kind");
		STR_EQ(b->what, "params, val/f1 best, duration", "table columns");
		STR_EQ(kvlist_get(&b->opts, "runs"), "experiment=puppy", "table runs");
		STR_EQ(kvlist_get(&b->opts, "group"), "seed", "table group");
		STR_EQ(kvlist_get(&b->opts, "sort"), "val/f1", "table sort");

		b = &d.blocks[2];
		INT_EQ(b->kind, REPORT_COMPARE, "~~~ fence: compare");
		STR_EQ(b->what, "a vs b", "compare runs");

		b = &d.blocks[3];
		INT_EQ(b->line, 27, "sweep line");
		INT_EQ(b->kind, REPORT_SWEEP, "sweep kind");
		OK(b->error && strstr(b->error, "'colour' is not a block key"), "unknown key: %s",
		   b->error);

		b = &d.blocks[4];
		OK(b->error && strstr(b->error, "neither chart"), "no kind: %s", b->error);

		b = &d.blocks[5];
		INT_EQ(b->line, 36, "last block line");
		OK(b->error && strstr(b->error, "given twice"), "chart twice: %s", b->error);
	}

	INT_EQ(d.nrefs, 6, "references (none inside fenced code)");
	if (d.nrefs == 6) {
		const struct report_ref *r = &d.refs[0];
		INT_EQ(r->line, 8, "ref line");
		STR_EQ(r->sel, "mlp-s3", "ref run");
		STR_EQ(r->key, "val/f1", "ref metric");
		STR_EQ(r->mode, "best", "ref mode");
		OK(!r->param && !r->group && !r->error, "plain metric ref");
		r = &d.refs[1];
		OK(r->param, "param ref");
		STR_EQ(r->key, "lr", "param key");
		r = &d.refs[2];
		INT_EQ(r->line, 34, "group ref line");
		OK(r->group && !r->error, "group ref");
		STR_EQ(r->sel, "mlp", "group name");
		STR_EQ(r->mode, "mean±std", "group mode");
		OK(d.refs[3].error != NULL, "'{{ nothing here }}' is an error");
		OK(d.refs[4].error && strstr(d.refs[4].error, "for groups"), "mean of one run: %s",
		   d.refs[4].error);
		OK(d.refs[5].error != NULL, "a group's param is an error");
	}
	/* The body keeps everything else, each block and ref as its mark. */
	OK(strstr(d.body, REPORT_BLOCK_MARK "0X") != NULL, "block mark in the body");
	OK(strstr(d.body, REPORT_REF_MARK "0X") != NULL, "ref mark in the body");
	OK(strstr(d.body, "print('{{ not : a ref }}')") != NULL, "code left alone");
	OK(strstr(d.body, "chart: val/loss") == NULL, "block text not in the body");
	OK(strstr(d.body, "title:") == NULL, "front matter not in the body");
	/* Lines stay where they were (cmark's lines are the file's). */
	size_t nl = 0;
	const char *intro = strstr(d.body, "# Intro");
	for (const char *p = d.body; intro && p < intro; p++)
		nl += *p == '\n';
	INT_EQ(nl, 6, "the body's first line after the front matter is line 7");
	report_doc_free(&d);

	/* Front matter never closed, and not YAML. */
	report_parse("---\ntitle: x\n# body\n", 20, "a.md", &d);
	OK(d.fm_error != NULL, "unclosed front matter");
	report_doc_free(&d);
	report_parse("---\n: [\n---\nbody\n", 17, "b.md", &d);
	OK(d.fm_error != NULL, "front matter that is not YAML");
	report_doc_free(&d);
	report_parse("no front matter {{ x : y }}\n", 28, "c.md", &d);
	OK(d.title == NULL && d.fm_error == NULL && d.nrefs == 1, "plain Markdown");
	report_doc_free(&d);

	/* Which runs. */
	struct run *runs[] = {mk("mlp-s1", "puppy", 0.4), mk("mlp-s2", "puppy", 0.5),
	                      mk("mlpx", "puppy", 0.6), mk("lr-s1", "cats", 0.1)};
	const struct run *const *rr = (const struct run *const *)runs;
	size_t out[4];
	char err[256];
	INT_EQ(report_select(NULL, NULL, rr, 4, NULL, NULL, AT_BEST, out, err, sizeof err), 4, "all runs");
	INT_EQ(report_select("experiment=puppy", "2 by val/f1", rr, 4, NULL, NULL, AT_BEST, out, err,
	                     sizeof err),
	       2, "top 2");
	INT_EQ(out[0], 2, "best first");
	INT_EQ(report_select("experiment=dogs", NULL, rr, 4, NULL, NULL, AT_BEST, out, err, sizeof err), -1,
	       "unknown experiment");
	INT_EQ(report_select("status=FAILED", NULL, rr, 4, NULL, NULL, AT_BEST, out, err, sizeof err), -1,
	       "selects nothing");
	OK(strstr(err, "selects no run") != NULL, "says so: %s", err);
	INT_EQ(report_one_run("mlp-s2", rr, 4, NULL, NULL, AT_BEST, err, sizeof err), 1, "one run");
	INT_EQ(report_one_run("mlp-*", rr, 4, NULL, NULL, AT_BEST, err, sizeof err), -1, "two runs");
	OK(strstr(err, "names 2 runs") != NULL, "says how many: %s", err);
	INT_EQ(report_one_run("nope", rr, 4, NULL, NULL, AT_BEST, err, sizeof err), -1, "no run");
	INT_EQ(report_one_run("top 1 by val/f1", rr, 4, NULL, NULL, AT_BEST, err, sizeof err), 2,
	       "top 1 is one run");
	INT_EQ(report_group_runs("mlp", rr, 4, NULL, NULL, AT_BEST, NULL, 0, out, err, sizeof err), 2,
	       "group by name prefix and a separator (not mlpx)");
	INT_EQ(report_group_runs("experiment=puppy", rr, 4, NULL, NULL, AT_BEST, NULL, 0, out, err, sizeof err), 3,
	       "group by a selection");
	INT_EQ(report_group_runs("dog", rr, 4, NULL, NULL, AT_BEST, NULL, 0, out, err, sizeof err), -1, "no group");
	for (size_t i = 0; i < 4; i++)
		run_free(runs[i]);

	/* A group is a seed group by its name before the prefix rule: a run
	 * with another lr and the same prefix is not one of the seeds. */
	struct run *sg[] = {mk("mlp16-posw4-s1", "puppy", 0.4), mk("mlp16-posw4-s2", "puppy", 0.5),
	                    mk("mlp16-posw4-lr0.1-s1", "puppy", 0.6)};
	for (size_t i = 0; i < 3; i++) {
		kvlist_add(&sg[i]->params, "seed", i == 1 ? "2" : "1");
		kvlist_add(&sg[i]->params, "lr", i == 2 ? "0.1" : "0.05");
		run_sort_lists(sg[i]);
	}
	INT_EQ(report_group_runs("mlp16-posw4", (const struct run *const *)sg, 3, NULL, NULL, AT_BEST, NULL,
	                         0, out, err, sizeof err),
	       2, "the seed group, not every run of the prefix");
	INT_EQ(report_group_runs("mlp16-posw4-lr0.1", (const struct run *const *)sg, 3, NULL, NULL,
	                         AT_BEST, NULL, 0, out, err, sizeof err),
	       1, "no seed group of that name: the runs called it and more");
	for (size_t i = 0; i < 3; i++)
		run_free(sg[i]);
	return TEST_END();
}
