/* reader.h — the one interface every run-store format implements.
 * Readers stream runs one at a time into a sink; none holds a whole store. */
#ifndef RUNSITE_READER_H
#define RUNSITE_READER_H

#include "runsite/model.h"

struct reader_opts {
	bool include_deleted; /* keep deleted experiments and runs */
	size_t dec_buckets;   /* passed to run_finish() */
	int jobs;             /* threads a reader may use: 0 decide by the CPU count, 1 none */
	bool immutable;       /* the stores cannot change while read: read without locks */
	/* Folders below the store that other stores read: a log-folder reader
	 * does not look into them (set per store by the pipeline). */
	char *const *skip_dirs;
	size_t nskip_dirs;
	/* Metric points are not wanted (the pipeline reading a store ahead for
	 * what it merges: params, tags, notes, artifacts); a reader may skip them. */
	bool no_points;
	/* Only each series' summary is wanted (`ls`): a reader may compute the
	 * summaries without delivering points (series with n 0, sum complete). */
	bool summaries_only;
};

/* Where a reader delivers what it read. Both callbacks take ownership. */
struct run_sink {
	void *ctx;
	/* Each experiment, before any of its runs. */
	void (*experiment)(void *ctx, struct experiment *e);
	/* Each run, finished (run_finish called). Returns 0 to ask the reader to stop. */
	int (*run)(void *ctx, struct run *r);
	/* May be NULL. Asked through run_sink_cached() before a run folder is
	 * parsed: the run the last build read from folder dir when its files'
	 * digest (fp) is the same, or NULL. */
	struct run *(*cached)(void *ctx, const char *dir, const char *fp);
};

/* ---- runs whose files are unchanged are not parsed again ---- */

/* A digest of the files a run is read from, by their stat alone (path,
 * type, size, mtime, ctime, inode; a missing file counts too). NULL (a
 * sink that keeps no runs) is accepted everywhere and does nothing. */
struct run_files;
struct run_files *run_files_new(const struct run_sink *sink);
/* Adds the file or folder at path itself (a link: and what it leads to). */
void run_files_add(struct run_files *f, const char *path);
/* Adds dir and everything below it, in sorted order (links followed, to a
 * bounded depth). */
void run_files_add_tree(struct run_files *f, const char *dir);
/* Adds a text the run also depends on (an experiment's name, ...). */
void run_files_add_text(struct run_files *f, const char *text);
/* Asks the sink (frees f): the run the last build read from folder dir
 * when f is unchanged, finished, to deliver as if read now; else NULL,
 * and the next run the reader delivers is the one it reads from dir. A
 * reader calls it only for runs whose folder holds all it reads of them. */
struct run *run_sink_cached(struct run_sink *sink, const char *dir, struct run_files *f);

/* ---- a run's notes beside its logs ---- */

/* The Markdown file a folder-per-run store keeps beside a run's logs
 * (TensorBoard run folders, Lightning's version_N/). */
#define RUN_NOTES_FILE "notes.md"
/* Notes over this size are left out, with a warning. */
#define RUN_NOTES_MAX ((size_t)4 << 20)
/* Makes the file at path the run's notes when it is there (text it had
 * before follows it); an unreadable, oversized or not regular file is a
 * warning naming it, and the run keeps what notes it had. */
void run_read_notes(struct run *r, const char *path);

struct reader {
	const char *name; /* "mlflow-sqlite", "mlflow-file", ... as in `ls --json` */
	const char *what; /* one line for `runsite ls`: what this reader reads */
	/* How specifically this reader claims path: 0 not at all, higher wins.
	 * Must be cheap (stat and a few small reads) and never write. */
	int (*probe)(const char *path);
	/* Reads every run at path into sink. Problems with parts of the store are
	 * reported with diag_warn() and skipped. Returns the number of runs
	 * delivered, or -1 when the store could not be read at all (reported).
	 * Below -1 it is minus an exit code (status.h): the read failed in a way
	 * the command must not paper over (a tracking server gone mid-read), so
	 * it stops and exits with that code, writing nothing. */
	long (*read)(const char *path, const struct reader_opts *opts, struct run_sink *sink);
	/* True for a log-folder format (TensorBoard): its runs are the folders
	 * holding its files anywhere below the path it reads, so discovery gives
	 * it the folder above them rather than each run folder. */
	bool logdir;
	/* True when run ids are unique across stores (MLflow's uuids): the same
	 * id read from two stores is the same run, shown once. Otherwise ids are
	 * folder names that mean something only within their store. */
	bool unique_ids;
	/* True when a folder this reader claims may hold further folders of its
	 * own format, each its own run (DVCLive's Live(dir="dvclive/fold_1")
	 * beside dvclive/'s own files): discovery looks for them below it. */
	bool nests;
};

/* A probe score of at least this means "this very folder or file is mine";
 * lower scores mean "something of mine is further down". */
#define READER_SCORE_DIRECT 40

/* Every reader, NULL-terminated, in probe order. */
extern const struct reader *const reader_table[];

/* The reader called name, or NULL. */
const struct reader *reader_by_name(const char *name);

/* Tracking-server URLs (mlflow_server.c): postgresql://, postgres://,
 * mysql://, mariadb://. */
bool server_url(const char *s);
/* Remembers url for the reader and returns it without its password (caller
 * frees): the name the store goes by everywhere it is shown. */
char *server_url_register(const char *url);
/* The password for every server comes from the first line of this file. */
void server_password_file(const char *path);

#endif
