/* report.h — report files: Markdown that researchers write, with YAML front
 * matter, fenced ```runsite blocks that draw figures and {{ ... }} inline
 * references to values. Parsing (report.c) and the decisions about which
 * runs each block and reference shows; no HTML, no charts. */
#ifndef RUNSITE_REPORT_H
#define RUNSITE_REPORT_H

#include <stdbool.h>
#include <stddef.h>

#include "runsite/compare.h"
#include "runsite/goal.h"
#include "runsite/model.h"

enum report_kind { REPORT_CHART, REPORT_TABLE, REPORT_COMPARE, REPORT_SWEEP };

/* A fenced ```runsite block: "KEY: VALUE" pairs, several on a line when
 * two spaces or more part them; '#' after a space starts a comment. */
struct report_block {
	size_t line;          /* of the opening fence, 1-based */
	enum report_kind kind;
	char *what;           /* the value of the kind's key ("val/loss, val/f1"); NULL on error */
	struct kvlist opts;   /* every other key: runs, top, x, smoothing, log-y, group, sort, caption */
	char *error;          /* what is wrong with the block, or NULL */
};

/* An inline reference {{ SELECTION : METRIC [MODE] }}, {{ SELECTION : param KEY }}
 * or {{ group NAME : METRIC mean±std }}. */
struct report_ref {
	size_t line;
	char *text;    /* between the braces, trimmed */
	char *sel;     /* the selection (after "group ") */
	bool group;
	bool param;    /* sel's param `key` */
	char *key;     /* metric or param key */
	char *mode;    /* last, best, min, max, mean±std, mean, std, n; NULL: the default */
	char *error;   /* NULL, or what is wrong */
};

struct report_doc {
	char *path;     /* as given, for warnings */
	char *title, *author, *date, *summary, *runs; /* front matter; each may be NULL */
	char *body;     /* the Markdown with each block replaced by a paragraph
	                 * REPORT_BLOCK_MARK<i>X and each reference by REPORT_REF_MARK<i>X */
	struct report_block *blocks;
	size_t nblocks, capblocks;
	struct report_ref *refs;
	size_t nrefs, caprefs;
	char *fm_error; /* the front matter could not be read: why (line 1) */
};

#define REPORT_BLOCK_MARK "RSBLOCKMARK"
#define REPORT_REF_MARK "RSREFMARK"

/* Parses the report text (UTF-8 Markdown). Never fails: problems are kept
 * in the blocks, refs and fm_error. */
void report_parse(const char *text, size_t len, const char *path, struct report_doc *out);
void report_doc_free(struct report_doc *d);

/* The kind's name ("chart", ...). */
const char *report_kind_name(enum report_kind k);

/* Splits a comma-separated list ("val/loss, val/f1") into trimmed items;
 * free with report_list_free. */
char **report_list(const char *text, size_t *n);
void report_list_free(char **items, size_t n);

/* The runs a block selects from runs[0..n) (display order): its `runs:`
 * (else the report's `runs:`, else every run) and `top:` ("5 by val/f1"),
 * metrics read at point `at` (the build's --at), in these three,
 * as indexes into out (room for n). Returns the count, or -1 with the reason
 * in err (a bad selection, one naming what no run has, or none matched). */
long report_select(const char *runs_expr, const char *top, const struct run *const *runs,
                   size_t n, const struct goal_rules *goals, const char *primary,
                   enum metric_at at, size_t *out, char *err, size_t errsz);

/* The one run sel names (a compare side, a reference): its index, or -1
 * with the reason in err (names none, or several). */
long report_one_run(const char *sel, const struct run *const *runs, size_t n,
                    const struct goal_rules *goals, const char *primary, enum metric_at at,
                    char *err, size_t errsz);

/* The runs of group name: the seed group (compare.h; group_by as --group-by)
 * whose members' common name prefix is name ("mlp16-posw4" for
 * mlp16-posw4-s1, -s2, -s3); else the runs called name followed by a
 * separator and more; or, when name is a selection expression (has '=',
 * ':', a space or a glob), the runs it selects. Returns the count (into
 * out), or -1 with err. */
long report_group_runs(const char *name, const struct run *const *runs, size_t n,
                       const struct goal_rules *goals, const char *primary, enum metric_at at,
                       const char *const *group_by, size_t ngroup_by, size_t *out, char *err,
                       size_t errsz);

/* The name of a group of runs: their names' common prefix up to its last
 * separator ("logreg-posw4" for "logreg-posw4-s1", "-s2"), else the first
 * run's name. Caller frees. */
char *report_group_name(const struct run *const *runs, const size_t *members, size_t n);

#endif
