/* runcache.h — runs kept between builds: a run whose source files are
 * unchanged since the last build (by their stat, reader.h's run_files) is
 * taken from the build cache instead of being parsed again, and its charts
 * are not drawn again either.
 *
 * A run is kept without its points: what the site still needs of it once
 * its own charts are drawn. Its model as its reader delivered it (before
 * the pipeline merges, names or redacts it) with each series' summary, the
 * count and hash of its points and of its decimated copy (for the site's
 * run digest); what the site made of it (its id, slug and colour, its chart
 * list, the chart files and their fingerprints, the points an overlay draws
 * of a series longer than its decimated copy); and, at the file's end, the
 * decimated copies, read only when an overlay or sparkline draws them. One
 * file a run below the site (RUNCACHE_DIR), named by the hash of its
 * bytes (of the kept points, by their ids in the head); the build cache's
 * database lists which file holds the run of which folder, and the
 * fingerprint of its files. */
#ifndef RUNSITE_RUNCACHE_H
#define RUNSITE_RUNCACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "runsite/chart.h"
#include "runsite/model.h"
#include "runsite/util.h"

/* The folder of run files, inside the site beside the cache database. */
#define RUNCACHE_DIR ".runsite-runs"

/* Points a kept run may hold beyond its decimated copies (the whole series
 * an overlay draws when it is longer than its copy): a run with more is
 * read again each build. Encoded like the copies, about 6 bytes a point. */
#define RUNCACHE_SPILL_MAX ((uint64_t)1 << 20)

/* An array of points as the run digest sees it: their count and hash. */
struct points_id {
	uint64_t n;
	unsigned char hash[16];
};
void points_id_of(const struct point *pts, size_t n, struct points_id *out);
/* Points hashed by points_id_of in this process so far, for tests. */
uint64_t points_id_hashed(void);

/* What the site made of a run, kept with it. */
struct kept_chart {
	size_t metric;
	char *stem, *alt, *data; /* data: its points file, or NULL */
};
struct kept_file {
	char *rel; /* site-relative path of a chart file */
	char *fp;  /* its fingerprint in the build cache */
};
struct kept_spill {
	size_t metric;
	size_t n;
	struct points_id id; /* of the points */
	uint64_t off, len;   /* their bytes in the file's section of them */
};
struct kept_ends {
	int64_t first_step, first_time_ms, last_time_ms;
};

struct kept_site {
	char *id, *slug;
	int color;
	struct kept_chart *charts;
	size_t ncharts, capcharts;
	struct kept_file *files;
	size_t nfiles, capfiles;
	struct kept_spill *spill;
	size_t nspill, capspill;
	uint64_t spill_points;
	struct buf spill_bytes; /* a run read now: the points, encoded */
	uint64_t spill_at;      /* a kept run: where they are in its file's tail */
	bool unkeepable; /* too many points to keep, or a chart without its file */
	/* A kept run's: per metric its points' and decimated copy's ids, and
	 * where its decimated copy is in the file (dec_len bytes at dec_at). */
	size_t nmetrics;
	struct points_id *pts_id, *dec_id;
	uint64_t *dec_at, *dec_len;
	char *path; /* the run's file */
	/* Per metric where its copy begins and ends (its first and last
	 * points; the last one's step is in the run's summary): what the
	 * overlays' bands span, known without reading the file. */
	struct kept_ends *ends;
};
void kept_site_add_chart(struct kept_site *k, size_t metric, const char *stem, const char *alt,
                         const char *data);
void kept_site_add_file(struct kept_site *k, const char *rel, const char *fp);
/* Keeps pts (the n points of metric, sorted) in k, or marks k unkeepable
 * past RUNCACHE_SPILL_MAX. */
void kept_site_add_spill(struct kept_site *k, size_t metric, const struct point *pts, size_t n);
void kept_site_free(struct kept_site *k);
/* The points of metric i that kept_site_add_spill encoded into k (a run
 * read now), decoded again (caller frees; *n their count), or NULL. */
struct point *kept_site_spill_points(const struct kept_site *k, size_t i, size_t *n);

/* Reads back metric i's decimated copy of kept run k (ndec points, caller
 * frees), or NULL when the file cannot be read. Any thread. */
struct point *runcache_read_dec(const struct kept_site *k, size_t i, size_t ndec);
/* The same for several metrics with one read of the file: out[i] gets
 * metric i's copy (ndec[i] points; caller frees) for each i below n whose
 * ndec[i] is not SIZE_MAX, NULL for the others and where it cannot be
 * read. Returns how many were read. Any thread. */
size_t runcache_read_decs(const struct kept_site *k, size_t n, const size_t *ndec,
                          struct point **out);
/* Reads back the points kept of metric i of kept run k (caller frees; *n
 * their count), or NULL when none were kept or they cannot be read. */
struct point *runcache_read_spill(const struct kept_site *k, size_t i, size_t *n);

struct runcache;
/* One run on its way from its reader to the site. */
struct run_keep;

/* The runs of the last build in old_dir (NULL: none) for a build whose
 * run files go to new_dir; salt names this runsite binary and the options
 * a kept run's charts depend on (a run kept under others is read again).
 * in_place: old_dir's files stay where they are (the build commits into
 * the old site); else a kept file is linked into new_dir. */
struct runcache *runcache_open(const char *old_dir, const char *new_dir, const char *salt);
void runcache_in_place(struct runcache *c, bool in_place);
void runcache_set_salt(struct runcache *c, const char *salt);
/* No run of the last build is taken (every run is read, and kept anew). */
void runcache_forget_old(struct runcache *c);
/* A row of the last build's list: the run of key with fingerprint fp is
 * in file blob. Call before any runcache_ask. */
void runcache_index_add(struct runcache *c, const char *key, const char *fp, const char *blob);
/* Asks for the run of key (its files' fingerprint fp) that the reader
 * called format (its own static name, which the run gets) reads: *r gets
 * it, slim, when the last build kept it under the same fingerprint, else
 * NULL. The handle goes with the run to the site (any thread). */
struct run_keep *runcache_ask(struct runcache *c, const char *key, const char *fp,
                              const char *format, struct run **r);
bool runcache_keep_hit(const struct run_keep *k);
/* A run read now (not a hit), as its reader delivered it, finished: its
 * model is noted before anything changes it. */
void runcache_keep_read(struct run_keep *k, const struct run *r);
/* The id runcache_keep_read worked out for the points at pts (n of them)
 * of the run read now, so the site's run digest need not hash them again:
 * true with *out set, false when k (may be NULL) has none for them. Points
 * a series still has where and as many as then are the same points: a
 * merge only adds whole series. */
bool runcache_keep_points_id(const struct run_keep *k, const struct point *pts, size_t n,
                             struct points_id *out);
void runcache_keep_free(struct run_keep *k);
/* The pipeline hands the consumer the handle of the run it delivers
 * (NULL: it is not to be kept); the consumer takes it while delivered. */
void runcache_hand(struct runcache *c, struct run_keep *k);
struct run_keep *runcache_take(struct runcache *c);
/* A hit's site part; a run read now: where the site notes what it makes. */
struct kept_site *runcache_keep_site(struct run_keep *k);
/* The site is done with the run: a hit's file goes into the new cache as
 * it was (ok), a run read now is written with its site part (ok and not
 * unkeepable). Frees k. Any thread. */
void runcache_keep_done(struct runcache *c, struct run_keep *k, int ok);
/* Writes run k (read now, its site part complete) into the new folder of
 * run files now instead of at runcache_keep_done, so the points kept for
 * its overlays need no other copy: returns where they are, for
 * runcache_read_spill (caller frees with kept_site_free and free), or NULL
 * when the run is not written (not to be kept, or the write failed). */
struct kept_site *runcache_keep_write(struct runcache *c, struct run_keep *k);
/* This build's rows, sorted by key: calls row for each (to write the list). */
int runcache_rows(struct runcache *c, int (*row)(void *ctx, const char *key, const char *fp,
                                                   const char *blob),
                  void *ctx);
/* Calls fn with the site-relative path of every run file this build keeps. */
void runcache_files(struct runcache *c, void (*fn)(void *ctx, const char *rel), void *ctx);
/* Runs taken from the cache and runs looked up but read (for RUNSITE_PHASES). */
void runcache_counts(const struct runcache *c, size_t *hits, size_t *misses);
void runcache_free(struct runcache *c);

/* For tests: run r (finished, with its points) as the head a kept run's
 * file starts with (its decimated copies to tail), then what the site made
 * of it; and back (slim, k filled; NULL when the bytes are not a run of
 * the reader called format). */
void runcache_encode(const struct run *r, struct buf *head, struct buf *tail);
void runcache_encode_site(const struct kept_site *k, struct buf *out);
struct run *runcache_decode(const void *data, size_t n, struct kept_site *k, const char *format);
/* Metric i's decimated copy from the bytes at its place in the tail. */
struct point *runcache_decode_dec(const void *data, const struct kept_site *k, size_t i,
                                  size_t ndec);

#endif
