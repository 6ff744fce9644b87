/* build.h — `runsite build`: read the stores, make the plan, write the site. */
#ifndef RUNSITE_BUILD_H
#define RUNSITE_BUILD_H

#include "runsite/discover.h"
#include "runsite/reader.h"
#include "runsite/site.h"
#include "runsite/status.h"

/* Reads every store in d and writes the site to opts->out_dir, atomically:
 * the site is built in a temporary folder beside out_dir and swapped in only
 * when complete, so the previous site stays whole otherwise. out_dir must be
 * absent, empty, a site runsite made (it holds a .runsite-site file) or
 * given up with opts->force, and may not overlap an input store; this is
 * checked before any store is read. Secrets are redacted (redact.h) before
 * anything is written. Returns EXIT_OK, EXIT_NO_INPUT (no run read: out_dir
 * left as it was), EXIT_OUTPUT (refused or not written), EXIT_USAGE (bad
 * templates_dir, --select or --reports) or, with opts->strict, EXIT_GATE_FAILED
 * when a report had a problem (the site is written); problems are already
 * reported. With opts->report_file, only that report is made, written to
 * opts->report_out. d is emptied (discovery_free) once its stores are
 * read, before the pages are written. */
int build_site(struct discovery *d, const struct reader_opts *ropts,
               const struct site_opts *opts);

#endif
