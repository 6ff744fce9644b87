/* pipeline.h — reads every discovered store into a consumer, the same way
 * for every command: runs of a second reader in the same folder are merged
 * into the first's, a run already read from another store is skipped, and
 * secrets are redacted before the consumer sees anything. */
#ifndef RUNSITE_PIPELINE_H
#define RUNSITE_PIPELINE_H

#include <stdbool.h>

#include "runsite/discover.h"
#include "runsite/reader.h"
#include "runsite/redact.h"

struct pipeline_consumer {
	void *ctx;
	/* Before each store is read (may be NULL). store->path is redacted like
	 * the runs, and valid until the next store begins or reading ends. */
	void (*store_begin)(void *ctx, const struct store_ref *store, size_t index, size_t total);
	/* Each experiment; takes ownership. */
	void (*experiment)(void *ctx, struct experiment *e);
	/* Each run; takes ownership. redacted lists the places that were redacted
	 * ("params.KEY", ...). Returns 0 to stop reading. */
	int (*run)(void *ctx, struct run *r, const struct kvlist *redacted);
	/* Runs kept between builds (runcache.h), or NULL: a run whose files are
	 * unchanged comes from it instead of its reader's parsing, and each run
	 * read that needed no redaction and gave no warning goes into it. */
	struct runcache *runs;
};

struct pipeline_stats {
	size_t runs;              /* delivered to the consumer */
	size_t checked;           /* of them, checked for secrets (not as kept) */
	size_t unreadable_stores; /* stores whose reader gave up (already reported) */
	struct kvlist unreadable; /* their paths → why, for the skipped list */
	int fatal;                /* an exit code a reader failed with (reader.h); 0 none */
	struct kvlist duplicates; /* store path → why, for each run skipped as already read */
	struct redactor *redactor; /* the placeholders the runs got (NULL without redaction),
	                            * for redacting anything else shown the same way */
};

/* Reads every store of d. With redact, secrets are replaced before delivery.
 * Returns 0 when the consumer asked to stop, 1 otherwise. */
int pipeline_read(const struct discovery *d, const struct reader_opts *ropts, bool redact,
                  const struct pipeline_consumer *consumer, struct pipeline_stats *stats);
void pipeline_stats_free(struct pipeline_stats *stats);

#endif
