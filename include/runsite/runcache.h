/* runcache.h — runs kept between builds: a run whose source files are
 * unchanged since the last build (by their stat, reader.h's run_files) is
 * taken from the build cache instead of being parsed again. A run is kept
 * as its reader delivered it, before the pipeline merges, names or redacts
 * it, as bytes (runcache_encode) in a file of its own named by their hash,
 * below the site (RUNCACHE_DIR); the build cache's database lists which
 * file holds the run of which folder, and the fingerprint of its files. */
#ifndef RUNSITE_RUNCACHE_H
#define RUNSITE_RUNCACHE_H

#include <stddef.h>
#include <stdint.h>

#include "runsite/model.h"
#include "runsite/util.h"

/* The folder of run files, inside the site beside the cache database. */
#define RUNCACHE_DIR ".runsite-runs"

/* Run r, finished, as bytes appended to out: every field of the model and
 * every point (the decimated copies are made again from the points). */
void runcache_encode(const struct run *r, struct buf *out);
/* The run encoded in data[0, n), finished with dec_buckets; NULL when the
 * bytes are not a run (a damaged file: the run is read instead). */
struct run *runcache_decode(const void *data, size_t n, size_t dec_buckets);

struct runcache;
/* The runs of the last build in old_dir (NULL: none) for a build whose
 * run files go to new_dir; salt names this runsite binary (a run kept by
 * another build of runsite is read again). */
struct runcache *runcache_open(const char *old_dir, const char *new_dir, const char *salt);
/* A row of the last build's list: the run of key with fingerprint fp is
 * in file blob. Call before any runcache_get. */
void runcache_index_add(struct runcache *c, const char *key, const char *fp, const char *blob);
/* The run of key when its fingerprint is fp and its file is whole (any
 * thread); NULL otherwise. */
struct run *runcache_get(struct runcache *c, const char *key, const char *fp, size_t dec_buckets);
/* The run of key taken by runcache_get goes into the new cache as it was. */
void runcache_keep(struct runcache *c, const char *key);
/* Run key (read now, its files' fingerprint fp) goes into the new cache
 * as blob (runcache_encode). */
void runcache_put(struct runcache *c, const char *key, const char *fp, const struct buf *blob);
/* This build's rows, sorted by key: calls row for each (to write the list). */
int runcache_rows(struct runcache *c, int (*row)(void *ctx, const char *key, const char *fp,
                                                   const char *blob),
                  void *ctx);
/* Runs taken from the cache and runs looked up but read (for RUNSITE_PHASES). */
void runcache_counts(const struct runcache *c, size_t *hits, size_t *misses);
void runcache_free(struct runcache *c);

#endif
