/* discover.h — turns the paths a user gives into the run stores below them,
 * each with the reader that claims it, and the paths skipped with a reason. */
#ifndef RUNSITE_DISCOVER_H
#define RUNSITE_DISCOVER_H

#include <stddef.h>

#include "runsite/reader.h"

struct store_ref {
	const struct reader *reader;
	char *path;
	/* A second reader whose runs in the same folder are the same runs (a
	 * Lightning version folder holding both metrics.csv and event files);
	 * their metrics are merged into the first reader's run. NULL: none. */
	const struct reader *also;
	/* The path the user gave that this store was found at or below: ids of
	 * runs that have no id of their own are paths relative to it. */
	char *given;
	/* Folders below path that other stores read (a Lightning version folder
	 * inside a TensorBoard log folder): the log-folder reader leaves them
	 * out, so every event file belongs to one run. */
	char **inner;
	size_t ninner;
};

struct skipped_path {
	char *path;
	char *why;
};

struct discovery {
	struct store_ref *stores;
	size_t nstores, capstores;
	struct skipped_path *skipped;
	size_t nskipped, capskipped;
	char *paths; /* discovery_compact's block of the stores' paths, or NULL */
};

/* Finds the stores at and below each path. A folder a reader claims is not
 * searched further, except for more folders of its own format when the
 * reader nests (DVCLive's dvclive/fold_1). TensorBoard runs are folders
 * holding event files; the folders below one given path that hold them form
 * one log folder (store), the given path itself when nothing else is below
 * it, else each top-level folder that holds event files; folders other
 * stores read are left out of it. forced_format, when not NULL, names the
 * one reader to use. Every folder looked at and not read is recorded as
 * skipped with the reason (missing, hidden, a link, nothing found, a format
 * runsite recognises but cannot read yet), and so is a given path inside
 * another. Returns the store count. */
size_t discover(const char *const *paths, size_t npaths, const char *forced_format,
                struct discovery *out);
/* Moves every store's path into one block (d->paths), for a build that
 * keeps the list to its end: allocated one by one, between the folder
 * listings that discovery frees, 10,000 paths would keep megabytes of
 * the heap in pieces no later allocation fits. The paths may no longer be
 * replaced or freed one by one. */
void discovery_compact(struct discovery *d);
void discovery_free(struct discovery *d);

#endif
