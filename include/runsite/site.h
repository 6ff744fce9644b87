/* site.h — reads the discovered stores and writes the static report site. */
#ifndef RUNSITE_SITE_H
#define RUNSITE_SITE_H

#include <stdbool.h>

#include "runsite/chart.h"
#include "runsite/discover.h"
#include "runsite/goal.h"
#include "runsite/reader.h"
#include "runsite/status.h"

struct site_opts {
	const char *out_dir;       /* default "site" */
	const char *templates_dir; /* NULL: the templates compiled into the binary; else a
	                            * folder of the user's own index.html, experiment.html,
	                            * run.html, compare.html, style.css, site.js (each one missing there
	                            * is taken from the binary) */
	const char *title;         /* site title; NULL: "Runs" */
	bool force;                /* write over a non-empty folder runsite did not make */
	bool quiet;                /* no progress line */
	int jobs;                  /* worker threads for run pages; output does not depend on it */
	unsigned chart_formats;    /* bit set of (1u << CHART_SVG), (1u << CHART_PNG), (1u << CHART_PDF) */
	double smoothing;          /* 0..0.999, TensorBoard's EMA weight */
	enum chart_x_kind x_kind;
	const char *log_y_pattern; /* glob of metric keys drawn with a log y axis; NULL: automatic */
	bool clip_outliers;
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
	bool no_cache;             /* draw every chart, reusing none from the last build */
};

void site_opts_defaults(struct site_opts *o);


/* Reads every store in d and writes the site to opts->out_dir, atomically:
 * the site is built in a temporary folder beside out_dir and swapped in only
 * when complete, so the previous site stays whole otherwise. out_dir must be
 * absent, empty, a site runsite made (it holds a .runsite-site file) or
 * given up with opts->force, and may not overlap an input store; this is
 * checked before any store is read. Secrets are redacted (redact.h) before
 * anything is written. Returns EXIT_OK, EXIT_NO_INPUT (no run read: out_dir
 * left as it was), EXIT_OUTPUT (refused or not written) or EXIT_USAGE (bad
 * templates_dir); problems are already reported. */
int site_build(const struct discovery *d, const struct reader_opts *ropts,
               const struct site_opts *opts);

#endif
