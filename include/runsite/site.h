/* site.h — the static report site: the options, the build state the pages
 * are written from, and what the build (build.c) calls. The site writes; it
 * never reads a store: the build hands it runs, orders them and makes the
 * plan, then calls the pages. */
#ifndef RUNSITE_SITE_H
#define RUNSITE_SITE_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "runsite/chart.h"
#include "runsite/compare.h"
#include "runsite/goal.h"
#include "runsite/model.h"
#include "runsite/plan.h"
#include "runsite/report.h"
#include "runsite/util.h"

struct site_opts {
	const char *out_dir;       /* default "site" */
	const char *templates_dir; /* NULL: the templates compiled into the binary; else a
	                            * folder of the user's own copies of the files listed in
	                            * templates/README.md (each one missing there is taken
	                            * from the binary) */
	const char *title;         /* site title; NULL: "Runs" */
	bool force;                /* write over a non-empty folder runsite did not make */
	bool quiet;                /* no progress line */
	int jobs;                  /* worker threads for run pages; output does not depend on it */
	unsigned chart_formats;    /* bit set of (1u << CHART_SVG), (1u << CHART_PNG), (1u << CHART_PDF) */
	struct chart_spec chart;   /* every chart's options (smoothing, x axis, clipping ...),
	                            * chart_spec_defaults and the command line's; each chart
	                            * starts from a copy and gets its title, goal and series */
	const char *log_y_pattern; /* glob of metric keys drawn with a log y axis; NULL: automatic */
	bool no_redact;            /* show values that look like secrets */
	/* Comparing runs */
	struct goal_rules goals;   /* --goal GLOB:min|max; metrics no rule matches are inferred */
	const char *primary;       /* the metric the best run is named for; NULL: the first
	                            * metric matched by a goal rule, else the first with a goal */
	const char *const *compare; /* --compare lists: each "RUN,RUN[,...]" (id, name or
	                             * tag:KEY=VALUE); each names one compare page */
	size_t ncompare;
	const char *baseline;      /* RUN compared with every other run of its experiment */
	const char *const *group_by; /* params whose values alone may differ in a seed group;
	                              * none: seed-like names (compare.h) */
	size_t ngroup_by;
	bool band_minmax;          /* seed bands span min..max instead of mean ± 1 std */
	enum metric_at at;         /* --at: each metric's value at its last or best point,
	                            * on every page (AT_DEFAULT) */
	bool no_cache;             /* draw every chart, reusing none from the last build */
	/* Reports */
	const char *reports_dir;   /* --reports DIR; NULL: a reports/ folder beside a store */
	bool strict;               /* a problem in a report fails the build (exit 1) */
	bool report_inline;        /* export: charts and styles inside the report page,
	                            * no links to other pages */
	const char *select;        /* --select EXPR: only the runs it selects */
	const char *report_file;   /* export --report FILE: this report only, written as
	                            * report_out (no site: no run charts, no other page) */
	const char *report_out;
};

void site_opts_defaults(struct site_opts *o);

/* ---- the build state the pages are written from ---- */

struct site_chart {
	size_t metric;   /* index into run->metrics */
	char *slug;      /* file name stem below runs/<run-slug>/ */
	char *alt;       /* chart_describe() text */
	char *data;      /* its drawn points' script (<slug>.points.js), or NULL */
};

/* Held for every run to the end of the build, so kept small: its indexes
 * and counts are 4 bytes, paired where they can be (160 bytes in all). */
struct site_run {
	struct run *run;         /* slimmed once its charts are written */
	const char *slug;        /* owned by the run slug set */
	uint32_t exp;            /* index into site.exps */
	int32_t parent;          /* index of the parent run, or -1 */
	size_t *children;        /* indexes of runs whose parent this is (arrange) */
	uint32_t nchildren;
	struct site_chart *charts; /* NULL while they wait in the scratch file below */
	size_t ncharts, capcharts;
	uint64_t charts_off;     /* the chart list's record in that file, charts_len bytes */
	uint32_t charts_len;     /* (0: never written there) */
	int color;               /* palette index: site_run_color() of the run's id */
	unsigned char digest[16]; /* site_run_digest: the run as read but its notes,
	                           * for page fingerprints */
	/* Its notes, once its charts are drawn, wait in the scratch file below
	 * until its page is written: from byte notes_at - 1, their length (a
	 * uint32_t) then their text (0: in run->notes still). notes_hash
	 * fingerprints them either way. */
	uint64_t notes_at;
	uint64_t notes_hash;
	/* Series longer than their decimated copy, kept for the overlays as
	 * chart points in the build folder's scratch file (SPILL_DIR/.decimated,
	 * shared by every run and the decimated copies below), so an
	 * overlay is drawn from every point without holding them in memory:
	 * metric i is spill_n[i] points at byte spill_off[i] (0 points: none). */
	uint64_t *spill_off;
	size_t *spill_n;
	/* Each metric's decimated copy (sparklines, seed-group means, long
	 * overlays) waits in that file too once the run's charts are drawn,
	 * run->metrics[i].ndec points each, one after another in metric order
	 * from byte dec_at - 1 (0 while in memory). So nothing of a series but
	 * its summary stays in memory per run. */
	uint64_t dec_at;
	/* The run cache (runcache.h): a run read now that is to be kept notes
	 * what its charts are in keep's site part (NULL: not kept); a run
	 * taken from the cache has no points, and its decimated copies are
	 * read back from its file (kept: where; NULL for a run read now). */
	struct run_keep *keep;
	struct kept_site *kept;
	/* A run read now and kept: where the points its overlays draw are in
	 * its run-cache file (instead of the scratch file), or NULL. */
	struct kept_site *spill_kept;
};

struct site_exp {
	char *name;
	const char *slug;        /* owned by the experiment slug set */
	char *description;       /* Markdown; may be NULL */
	size_t *runs;            /* indexes into site.runs, sorted for display at the end */
	size_t nruns, capruns;
};

/* A compare page of the plan, with its file name. */
struct site_compare {
	const char *title;       /* the plan's */
	const char *slug;        /* owned by the compare slug set */
	const size_t *runs;      /* the plan's: indexes into site.runs; runs[0] is the reference */
	size_t n;
	long exp;                /* the experiment it belongs to, or -1 (runs of several) */
};

/* A report (a Markdown file of the reports folder), parsed. */
struct site_report {
	struct report_doc doc;
	const char *slug;        /* owned by the report slug set */
	char *title;             /* the front matter's, else the file's name */
};

struct slugset {
	char **items;
	size_t n, cap;
	struct str_block *chunks; /* where the slugs are: a run's is kept to the end */
};

struct build_cache;
struct runcache;
/* The runs the build cache keeps between builds (runcache.h); NULL: none. */
struct runcache *cache_runcache(struct build_cache *c);
struct site_opts;
/* Salts the kept runs with the options their charts depend on. */
void cache_runs_options(struct build_cache *c, const struct site_opts *o);
struct kept_site;
struct run_keep;

struct site {
	const struct site_opts *opts;
	char *out;                /* the absolute path of the site */
	const char *given;        /* the site's folder as given */
	char *tmp;                /* the temporary folder the site is built in */
	/* An incremental build: tmp holds only the files that change, which
	 * are committed into out in place (writer.c); else tmp becomes the
	 * whole site and is swapped in. */
	bool in_place;
	bool commit_interrupted;  /* out holds the marker of a commit that did not end */
	uint64_t old_cache_id[3]; /* out's cache file when the build began: dev, inode, mtime */
	struct site_run *runs;
	size_t nruns, capruns;
	const struct run **rr;     /* rr[i] is runs[i].run, for the plan (site_plan) */
	size_t *order;             /* run indexes in display order: newest first */
	struct site_exp *exps;
	size_t nexps, capexps;
	struct slugset run_slugs, exp_slugs;
	int failed;                /* a file could not be written: the build is abandoned */
	struct buf tpl_index, tpl_exp, tpl_run, tpl_cmp;
	struct plan plan;
	const char *primary;       /* plan.primary: the goal metric the best run is named for */
	long baseline;             /* plan.baseline: the --baseline run, or -1 */
	struct site_compare *cmps;
	size_t ncmps;
	struct slugset cmp_slugs;
	struct build_cache *cache; /* the build cache: charts of the last build to reuse */
	struct site_report *reports;
	size_t nreports, capreports;
	struct slugset report_slugs;
	struct buf tpl_report;
	size_t report_problems;    /* warnings about reports (--strict fails on any) */
	/* One scratch file for every run's decimated copies (site_run.dec_at),
	 * appended by the chart workers under dec_mu: one file, not one a run. */
	int dec_fd;                /* -1 until the first copy is written */
	bool dec_open;             /* dec_fd is open (site_free closes it) */
	uint64_t dec_end;
	pthread_mutex_t dec_mu;
};

/* Loads and checks the templates, checks the output folder (it may not
 * overlap any of inputs[0..ninputs)) and makes the temporary folder the site
 * is built in, all before any store is read. Returns EXIT_OK, EXIT_USAGE
 * (bad templates_dir) or EXIT_OUTPUT, reported. site_free frees s either way. */
int site_open(struct site *s, const struct site_opts *opts, const char *const *inputs,
              size_t ninputs);
/* Takes run r into the site, in experiment exp_name (described by exp_desc
 * when it has no description yet; may be NULL). Returns its index. */
size_t site_add_run(struct site *s, struct run *r, const char *exp_name, const char *exp_desc);
/* Makes room for n runs before they are read (one a store when the stores
 * are run folders), so the list of 10,000 runs is not grown by doubling:
 * the arrays it leaves behind would be the largest holes in the heap. */
void site_expect_runs(struct site *s, size_t n);
/* The colour (palette index) of the run with this id, from the id alone. */
int site_run_color(const char *id);
/* Digests the whole run sr->run (every field and point) into sr->digest;
 * call once it is in the site and before its charts are drawn. A run taken
 * from the run cache (no points) gives its points' ids as k. */
void site_run_digest(struct site_run *sr, const struct kept_site *k);
/* Run sr, taken from the run cache without its points, gets what the last
 * build made of it (k): its digest, its chart files from the build cache,
 * its chart list and the points its overlays draw. 0 when that cannot be
 * (it was named or coloured otherwise, a chart file is gone): the run has
 * to be read. */
int site_run_restore(struct site *s, struct site_run *sr, struct kept_site *k);
/* Draws the charts of run i, which still has its full series; may run on a
 * worker thread with a copy of runs[i] (sr), the rest of s left alone. */
int site_run_charts(struct site *s, struct site_run *sr);
/* Once drawn, a run's chart list waits in the build folder's scratch file
 * (sr->charts NULL) until its page is written: site_run_charts_load brings
 * it back (1, or 0 reported), site_run_charts_unload lets it go again. */
int site_run_charts_load(struct site *s, struct site_run *sr);
void site_run_charts_unload(struct site_run *sr);
/* Run sr's notes go to the scratch file (it keeps their place and hash),
 * so a run holds none of their text until its page; once the run cache has
 * what it keeps of the run. */
void site_run_park_notes(struct site *s, struct site_run *sr);
/* Run sr's notes (caller frees), from memory or the scratch file; NULL when
 * it has none, or when they cannot be read back (reported). */
char *site_run_notes(const struct site *s, const struct site_run *sr);
/* What fingerprints a run page's notes. */
uint64_t site_run_notes_hash(const struct site_run *sr);
/* Takes the plan (made by the build once the runs are ordered). */
void site_plan(struct site *s, struct plan *p);
/* The pages: runs/<slug>.html, experiments/<slug>.html, compare/<slug>.html
 * (with their charts), index.html. Each returns 1, or 0 after reporting. */
int page_run(struct site *s, size_t i);
/* page_run, page_experiment and page_index, or the last build's page (with
 * its charts) when nothing it shows has changed (cache.c). */
int page_run_cached(struct site *s, size_t i);
int page_experiment_cached(struct site *s, size_t e);
int page_index_cached(struct site *s);
int page_experiment(struct site *s, size_t e);
int page_compare(struct site *s, size_t c);
int page_index(struct site *s);
/* Takes the report file at path (its text, redacted already) into the
 * site; returns its index. */
size_t site_add_report(struct site *s, const char *path, const char *text, size_t len);
/* reports/<slug>.html with its charts; problems become error boxes on the
 * page and warnings (path:line), counted in report_problems. */
int page_report(struct site *s, size_t i);
/* Writes the assets and the site marker, then swaps the finished site in
 * for the old one. Returns 1, or 0 reported. */
int site_finish(struct site *s);
/* Frees the runs once every page is written: putting the site in place
 * needs none of them, and its lists of files then take their place in
 * memory rather than adding to them. */
void site_release_runs(struct site *s);
/* Frees s; a site not finished is removed, the old one left as it was. */
void site_free(struct site *s);

/* ---- for the other commands ---- */

/* The chart points of pts[0..n) (points of run r) with x as x_kind says:
 * the step, seconds since the epoch, or seconds since the run started.
 * Caller frees. */
struct chart_point *site_chart_points(const struct run *r, const struct point *pts, size_t n,
                                      enum chart_x_kind x_kind);
/* Writes data to path whole (made with its folders). replace: an existing
 * file is overwritten; else it must not exist. Returns 1, or 0 reported. */
int site_write_file(const char *path, const void *data, size_t n, bool replace);

#endif
