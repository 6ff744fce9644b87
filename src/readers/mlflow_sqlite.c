/* mlflow_sqlite.c — reads an MLflow SQL tracking store kept in SQLite
 * (mlflow.db), every schema from 2019 (alembic 7ac759974ad8) to 2026
 * (workspace columns). The file is opened read-only and never written.
 *
 * Runs are delivered one at a time in (experiment_id, start_time, run_uuid)
 * order. A run's metric rows are read either by one rowid-range scan of the
 * metrics table (fast: sequential pages) when the run's rows sit together, as
 * they do when MLflow logs one run at a time, or through the run_uuid index
 * when they are interleaved with other runs' rows. Both are correct for any
 * row order; the choice only changes the speed. Rows reach the model through an
 * SQL function called inside the query, and a large range is read in two halves
 * on two connections and threads at once. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <float.h>
#include <math.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runsite/diag.h"
#include "runsite/reader.h"
#include "runsite/util.h"
#include "mlflow_tags.h"

#define FORMAT_NAME "mlflow-sqlite"
#define BUSY_TIMEOUT_MS 5000     /* how long to wait for a live server's write lock */
#define MAX_ERRORS 20            /* per-run query failures before giving up on the file */
#define MAX_ARTIFACTS 100000     /* files listed per run artifact folder */
#define MAX_ARTIFACT_DEPTH 32
#define SPLIT_MIN_ROWS 8192      /* a run's rowid span worth reading on two threads */

static const char sqlite_magic[16] = "SQLite format 3";

/* What one run needs before its rows are read: where it sorts and where its metric rows are. */
struct run_ref {
	char *id;
	char *exp_id;
	bool skip;          /* deleted (or in a deleted experiment) and not asked for */
	bool has_range;     /* it has metric rows, lo..hi by rowid */
	bool use_range;     /* read them by rowid range instead of the run_uuid index */
	sqlite3_int64 lo, hi;
};

struct exp_ref {
	char *id;
	char *name;
	bool deleted;
};

/* Metric key → index into run->metrics, so interleaved keys cost no linear search. */
struct key_index {
	size_t *slot; /* index + 1; 0 = empty */
	size_t cap;   /* power of two */
	size_t n;
};

/* Where sql_point puts the rows of one metrics query. */
struct point_sink {
	struct run *run;
	struct series *last; /* the series of the previous row */
	struct key_index keys;
	size_t bad_rows;     /* rows that could not be used */
};

struct direct;

struct ctx {
	const char *path;
	char *dir; /* folder of the database, for relative artifact locations */
	sqlite3 *db;
	const struct reader_opts *opts;
	struct run_sink *sink;
	int busy_ms;
	int errors;
	bool fatal; /* stop reading: locked, or too many errors */

	/* schema */
	bool has_exp_tags, has_tags, has_params, has_metrics, has_datasets, has_inputs,
		has_input_tags, has_logged_models, has_model_versions;
	bool metrics_run_index; /* an index whose first column is metrics.run_uuid */
	bool ranges_known;      /* every run with metric rows has has_range set */

	struct exp_ref *exps;
	size_t nexps, capexps;
	struct run_ref *refs;
	size_t nrefs, caprefs;

	sqlite3_stmt *st_run, *st_params, *st_tags, *st_mrange, *st_mindex, *st_inputs,
		*st_models, *st_versions;
	struct point_sink ps;

	/* A second connection reads the upper half of a large run's rows on another
	 * thread, when there is a second CPU. */
	bool immutable; /* how the first connection was opened */
	bool split;     /* worth trying: more than one CPU */
	char *mrange_sql;
	sqlite3 *db2;
	sqlite3_stmt *st_mrange2;
	struct point_sink ps2;

	struct direct *direct; /* reads range-planned runs from the file's pages; NULL: SQL only */
};

/* Reports an SQLite error about the file; a lock or too many errors end the read. */
static void db_warn_code(struct ctx *c, int code, const char *msg, const char *what)
{
	if (code == SQLITE_BUSY || code == SQLITE_LOCKED) {
		diag_warn(c->path, 0, "%s: database is locked (waited %d ms for the writer); stopped",
		          what, c->busy_ms);
		c->fatal = true;
		return;
	}
	diag_warn(c->path, 0, "%s: %s", what, msg);
	if (++c->errors >= MAX_ERRORS && !c->fatal) {
		diag_warn(c->path, 0, "%d errors; stopped reading", c->errors);
		c->fatal = true;
	}
}

/* Reports the main connection's last error. */
static void db_warn(struct ctx *c, const char *what)
{
	db_warn_code(c, sqlite3_errcode(c->db), sqlite3_errmsg(c->db), what);
}

/* Prepares sql; NULL (not reported) when it does not compile, e.g. for a missing column. */
static sqlite3_stmt *prepare(struct ctx *c, const char *sql)
{
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(c->db, sql, -1, &st, NULL) != SQLITE_OK) {
		sqlite3_finalize(st);
		return NULL;
	}
	return st;
}

/* A copy of a text column, or NULL when it is NULL. */
static char *col_strdup(sqlite3_stmt *st, int i)
{
	const unsigned char *s = sqlite3_column_text(st, i);
	return s ? xstrdup((const char *)s) : NULL;
}

/* A copy of a text column, or NULL when it is NULL or empty. */
static char *col_strdup_nonempty(sqlite3_stmt *st, int i)
{
	const unsigned char *s = sqlite3_column_text(st, i);
	return s && *s ? xstrdup((const char *)s) : NULL;
}

static int64_t col_time(sqlite3_stmt *st, int i)
{
	if (sqlite3_column_type(st, i) == SQLITE_NULL)
		return TIME_UNKNOWN;
	return sqlite3_column_int64(st, i);
}

/* True when the table exists (any case, as SQLite compares names). */
static bool has_table(struct ctx *c, const char *table)
{
	sqlite3_stmt *st = prepare(c, "SELECT 1 FROM sqlite_master WHERE type = 'table' "
	                              "AND name = ?1 COLLATE NOCASE");
	if (!st)
		return false;
	sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC);
	bool found = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_finalize(st);
	return found;
}

/* True when table has the column (PRAGMA table_info). */
static bool has_column(struct ctx *c, const char *table, const char *col)
{
	char *sql = xasprintf("PRAGMA table_info(\"%s\")", table);
	sqlite3_stmt *st = prepare(c, sql);
	free(sql);
	bool found = false;
	while (st && !found && sqlite3_step(st) == SQLITE_ROW) {
		const unsigned char *name = sqlite3_column_text(st, 1);
		found = name && strcasecmp((const char *)name, col) == 0;
	}
	sqlite3_finalize(st);
	return found;
}

/* The column's name for a SELECT list, or the fallback expression when it is missing. */
static const char *col_or(struct ctx *c, const char *table, const char *col, const char *fallback)
{
	return has_column(c, table, col) ? col : fallback;
}

/* True when some index of metrics starts with run_uuid, so per-run lookups are cheap. */
static bool find_run_index(struct ctx *c)
{
	sqlite3_stmt *list = prepare(c, "PRAGMA index_list(metrics)");
	bool found = false;
	while (list && !found && sqlite3_step(list) == SQLITE_ROW) {
		const unsigned char *name = sqlite3_column_text(list, 1);
		if (!name)
			continue;
		char *sql = xasprintf("PRAGMA index_info(\"%s\")", (const char *)name);
		sqlite3_stmt *info = prepare(c, sql);
		free(sql);
		while (info && sqlite3_step(info) == SQLITE_ROW) {
			const unsigned char *col = sqlite3_column_text(info, 2);
			if (sqlite3_column_int(info, 0) == 0 && col &&
			    strcasecmp((const char *)col, "run_uuid") == 0)
				found = true;
		}
		sqlite3_finalize(info);
	}
	sqlite3_finalize(list);
	return found;
}

/* 1 when the file starts with the SQLite header, 2 when it is also in WAL mode
 * (file format bytes 18 and 19 are 2), 0 when not SQLite or unreadable. */
static int has_magic(const char *path)
{
	unsigned char head[20];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	ssize_t n = read(fd, head, sizeof head);
	close(fd);
	if (n < 16 || memcmp(head, sqlite_magic, sizeof sqlite_magic) != 0)
		return 0;
	return n == (ssize_t)sizeof head && head[18] == 2 && head[19] == 2 ? 2 : 1;
}

/* True for a WAL database that no one has open: it has no -wal file. Opening it
 * normally would leave new empty -wal and -shm files beside it, so it is read as
 * immutable: without locks, creating nothing. A -wal file means a writer may be
 * live, and then locks are needed. */
static bool idle_wal(const char *path, int magic)
{
	if (magic != 2)
		return false;
	char *wal = xasprintf("%s-wal", path);
	bool idle = access(wal, F_OK) != 0 && errno == ENOENT;
	free(wal);
	return idle;
}

/* Milliseconds to wait for a writer's lock: RUNSITE_BUSY_TIMEOUT_MS or the default. */
static int busy_timeout(void)
{
	const char *env = getenv("RUNSITE_BUSY_TIMEOUT_MS");
	if (env && *env) {
		char *end;
		long v = strtol(env, &end, 10);
		if (*end == '\0' && v >= 0 && v <= 600000)
			return (int)v;
	}
	return BUSY_TIMEOUT_MS;
}

/* Opens path read-only (never creating it), or with immutable=1 when asked, which reads
 * without locks or a -shm file. Returns NULL and sets *err (caller frees) on failure. */
static sqlite3 *db_open(const char *path, bool immutable, int busy_ms, char **err)
{
	sqlite3 *db = NULL;
	char *name;
	/* NOMUTEX: one thread uses the connection, and the per-call mutex of the default
	 * serialized mode costs a fifth of a full metrics scan. */
	int flags = SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX;
	if (immutable) {
		/* A URI needs %, ? and # escaped; everything else may stay. */
		struct buf b = BUF_INIT;
		BUF_PUTSL(&b, "file:");
		for (const char *p = path; *p; p++) {
			if (*p == '%' || *p == '?' || *p == '#')
				buf_printf(&b, "%%%02X", (unsigned char)*p);
			else
				buf_putc(&b, *p);
		}
		BUF_PUTSL(&b, "?immutable=1");
		name = buf_detach(&b);
		flags |= SQLITE_OPEN_URI;
	} else if (str_starts(path, "file:")) {
		/* This SQLite may read any "file:" name as a URI; a relative path stays a path with "./". */
		name = xasprintf("./%s", path);
	} else {
		name = xstrdup(path);
	}
	int rc = sqlite3_open_v2(name, &db, flags, NULL);
	free(name);
	if (rc != SQLITE_OK) {
		*err = xstrdup(db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
		sqlite3_close(db);
		return NULL;
	}
	sqlite3_busy_timeout(db, busy_ms);
	sqlite3_exec(db, "PRAGMA query_only = 1", NULL, NULL, NULL);
	/* No mmap: on the 2.9 GB benchmark store it saved 7% of the time but put every
	 * page in our resident set; a 16 MB cache keeps the index pages of a range scan. */
	sqlite3_exec(db, "PRAGMA mmap_size = 0", NULL, NULL, NULL);
	sqlite3_exec(db, "PRAGMA cache_size = -16384", NULL, NULL, NULL);
	return db;
}

/* 1 when the schema has MLflow's runs and experiments tables, 0 when not, -1 when the
 * schema could not be read (sets *code to the SQLite error code). */
static int db_is_mlflow(sqlite3 *db, int *code)
{
	sqlite3_stmt *st = NULL;
	*code = sqlite3_prepare_v2(db,
	                           "SELECT count(*) FROM sqlite_master WHERE type = 'table' "
	                           "AND name IN ('runs', 'experiments')",
	                           -1, &st, NULL);
	if (*code != SQLITE_OK) {
		sqlite3_finalize(st);
		return -1;
	}
	int rc = sqlite3_step(st);
	int n = rc == SQLITE_ROW ? sqlite3_column_int(st, 0) : -1;
	*code = rc == SQLITE_ROW ? SQLITE_OK : sqlite3_errcode(db);
	sqlite3_finalize(st);
	return n < 0 ? -1 : n == 2;
}

static int probe(const char *path)
{
	struct stat sb;
	int magic;
	if (stat(path, &sb) != 0 || !S_ISREG(sb.st_mode) || !(magic = has_magic(path)))
		return 0;
	char *err = NULL;
	sqlite3 *db = db_open(path, idle_wal(path, magic), 200, &err);
	if (!db) {
		free(err);
		return 10;
	}
	int code;
	int is = db_is_mlflow(db, &code);
	sqlite3_close(db);
	/* A database we cannot look into (locked, damaged) is still claimed weakly, so
	 * reading it reports why; one without MLflow's tables is someone else's. */
	return is > 0 ? 100 : is == 0 ? 0 : 10;
}

/* Frees the statements and lists of a read. */
static void direct_free(struct direct *d);

static void ctx_free(struct ctx *c)
{
	direct_free(c->direct);
	sqlite3_finalize(c->st_run);
	sqlite3_finalize(c->st_params);
	sqlite3_finalize(c->st_tags);
	sqlite3_finalize(c->st_mrange);
	sqlite3_finalize(c->st_mindex);
	sqlite3_finalize(c->st_inputs);
	sqlite3_finalize(c->st_models);
	sqlite3_finalize(c->st_versions);
	for (size_t i = 0; i < c->nexps; i++) {
		free(c->exps[i].id);
		free(c->exps[i].name);
	}
	free(c->exps);
	for (size_t i = 0; i < c->nrefs; i++) {
		free(c->refs[i].id);
		free(c->refs[i].exp_id);
	}
	free(c->refs);
	free(c->ps.keys.slot);
	free(c->ps2.keys.slot);
	free(c->dir);
	free(c->mrange_sql);
	sqlite3_finalize(c->st_mrange2);
	sqlite3_close(c->db2);
	sqlite3_close(c->db);
}

/* Reads which optional tables exist. */
static void read_schema(struct ctx *c)
{
	c->has_exp_tags = has_table(c, "experiment_tags");
	c->has_tags = has_table(c, "tags");
	c->has_params = has_table(c, "params");
	c->has_metrics = has_table(c, "metrics");
	c->has_datasets = has_table(c, "datasets");
	c->has_inputs = has_table(c, "inputs");
	c->has_input_tags = has_table(c, "input_tags");
	c->has_logged_models = has_table(c, "logged_models");
	c->has_model_versions = has_table(c, "model_versions");
	c->metrics_run_index = c->has_metrics && find_run_index(c);
}

/* Reads every experiment, delivers the ones to show, and remembers id, name and
 * deletion for the runs. Returns 0 when the table could not be read (reported). */
static int read_experiments(struct ctx *c)
{
	struct buf sql = BUF_INIT;
	buf_printf(&sql, "SELECT experiment_id, name, %s, %s, %s FROM experiments ORDER BY experiment_id",
	           col_or(c, "experiments", "artifact_location", "NULL"),
	           col_or(c, "experiments", "lifecycle_stage", "NULL"),
	           col_or(c, "experiments", "creation_time", "NULL"));
	sqlite3_stmt *st = NULL, *tags = NULL;
	int ok = 0;
	if (sqlite3_prepare_v2(c->db, buf_cstr(&sql), -1, &st, NULL) != SQLITE_OK) {
		db_warn(c, "experiments");
		goto out;
	}
	if (c->has_exp_tags)
		tags = prepare(c, "SELECT key, value FROM experiment_tags WHERE experiment_id = ?1 "
		                  "ORDER BY key");
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const unsigned char *lifecycle = sqlite3_column_text(st, 3);
		struct experiment *e = experiment_new();
		e->id = col_strdup(st, 0);
		if (!e->id)
			e->id = xstrdup("");
		e->name = col_strdup(st, 1);
		e->artifact_location = col_strdup(st, 2);
		e->deleted = lifecycle && strcmp((const char *)lifecycle, "deleted") == 0;
		e->created_ms = col_time(st, 4);
		if (tags) {
			sqlite3_reset(tags);
			sqlite3_bind_text(tags, 1, e->id, -1, SQLITE_STATIC);
			while (sqlite3_step(tags) == SQLITE_ROW) {
				const unsigned char *k = sqlite3_column_text(tags, 0);
				const unsigned char *v = sqlite3_column_text(tags, 1);
				if (k)
					kvlist_add(&e->tags, (const char *)k, (const char *)v);
			}
			const char *note = kvlist_get(&e->tags, "mlflow.note.content");
			if (note && *note)
				e->description = xstrdup(note);
		}
		GROW(c->exps, c->capexps, c->nexps + 1);
		c->exps[c->nexps++] = (struct exp_ref){
			xstrdup(e->id), xstrdup(e->name ? e->name : ""), e->deleted};
		if (e->deleted && !c->opts->include_deleted)
			experiment_free(e);
		else
			c->sink->experiment(c->sink->ctx, e);
	}
	if (rc != SQLITE_DONE) {
		db_warn(c, "experiments");
		goto out;
	}
	ok = 1;
out:
	sqlite3_finalize(tags);
	sqlite3_finalize(st);
	buf_free(&sql);
	return ok;
}

static const struct exp_ref *find_exp(struct ctx *c, const char *id)
{
	for (size_t i = 0; i < c->nexps; i++)
		if (id && strcmp(c->exps[i].id, id) == 0)
			return &c->exps[i];
	return NULL;
}

/* Lists every run in delivery order, marking the ones left out. Returns 0 on failure (reported). */
static int list_runs(struct ctx *c)
{
	sqlite3_stmt *st = prepare(c, "SELECT run_uuid, experiment_id, lifecycle_stage FROM runs "
	                              "ORDER BY experiment_id, start_time, run_uuid");
	if (!st) {
		db_warn(c, "runs");
		return 0;
	}
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const unsigned char *id = sqlite3_column_text(st, 0);
		const unsigned char *lifecycle = sqlite3_column_text(st, 2);
		if (!id)
			continue;
		struct run_ref ref = {0};
		ref.id = xstrdup((const char *)id);
		ref.exp_id = col_strdup(st, 1);
		const struct exp_ref *e = find_exp(c, ref.exp_id);
		bool deleted = (lifecycle && strcmp((const char *)lifecycle, "deleted") == 0) ||
		               (e && e->deleted);
		ref.skip = deleted && !c->opts->include_deleted;
		GROW(c->refs, c->caprefs, c->nrefs + 1);
		c->refs[c->nrefs++] = ref;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		db_warn(c, "runs");
		return 0;
	}
	return 1;
}

static int cmp_ref_id(const void *a, const void *b)
{
	return strcmp((*(struct run_ref *const *)a)->id, (*(struct run_ref *const *)b)->id);
}

static int cmp_ref_lo(const void *a, const void *b)
{
	const struct run_ref *x = *(struct run_ref *const *)a, *y = *(struct run_ref *const *)b;
	return (x->lo > y->lo) - (x->lo < y->lo);
}

/* Finds each run's first and last metric rowid: two index seeks per run when metrics
 * has a run_uuid index, else one grouped scan. Sets ranges_known when it got through. */
static void find_ranges(struct ctx *c, struct run_ref **by_id)
{
	int rc = SQLITE_DONE;
	if (c->metrics_run_index) {
		/* ORDER BY rowid LIMIT 1 is one seek: the index holds rowids in order per run. */
		sqlite3_stmt *lo = prepare(c, "SELECT rowid FROM metrics WHERE run_uuid = ?1 "
		                              "ORDER BY rowid LIMIT 1");
		sqlite3_stmt *hi = prepare(c, "SELECT rowid FROM metrics WHERE run_uuid = ?1 "
		                              "ORDER BY rowid DESC LIMIT 1");
		if (!lo || !hi)
			rc = SQLITE_ERROR;
		for (size_t i = 0; rc == SQLITE_DONE && i < c->nrefs; i++) {
			struct run_ref *ref = &c->refs[i];
			sqlite3_reset(lo);
			sqlite3_reset(hi);
			sqlite3_bind_text(lo, 1, ref->id, -1, SQLITE_STATIC);
			sqlite3_bind_text(hi, 1, ref->id, -1, SQLITE_STATIC);
			rc = sqlite3_step(lo);
			if (rc == SQLITE_ROW && (rc = sqlite3_step(hi)) == SQLITE_ROW) {
				ref->lo = sqlite3_column_int64(lo, 0);
				ref->hi = sqlite3_column_int64(hi, 0);
				ref->has_range = true;
				rc = SQLITE_DONE;
			}
		}
		sqlite3_finalize(lo);
		sqlite3_finalize(hi);
		c->ranges_known = rc == SQLITE_DONE;
		return;
	}
	sqlite3_stmt *st = prepare(c, "SELECT run_uuid, min(rowid), max(rowid) FROM metrics "
	                              "GROUP BY run_uuid");
	if (!st)
		return; /* e.g. a WITHOUT ROWID table: read each run by its run_uuid */
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const unsigned char *id = sqlite3_column_text(st, 0);
		if (!id)
			continue;
		struct run_ref key = {.id = (char *)id}, *pkey = &key;
		struct run_ref **hit = bsearch(&pkey, by_id, c->nrefs, sizeof *by_id, cmp_ref_id);
		if (hit) {
			(*hit)->lo = sqlite3_column_int64(st, 1);
			(*hit)->hi = sqlite3_column_int64(st, 2);
			(*hit)->has_range = true;
		}
	}
	sqlite3_finalize(st);
	c->ranges_known = rc == SQLITE_DONE;
}

/* Decides per run how to read its metric rows. A range scan reads every row between the
 * run's first and last rowid and keeps its own; it is taken when no other run's range
 * overlaps, or when the run's own rows fill at least a quarter of the range (then the
 * sequential scan is still cheaper than an index lookup per row). */
static void plan_metrics(struct ctx *c)
{
	if (!c->has_metrics || c->nrefs == 0)
		return;
	struct run_ref **v = xreallocarray(NULL, c->nrefs, sizeof *v);
	for (size_t i = 0; i < c->nrefs; i++)
		v[i] = &c->refs[i];
	qsort(v, c->nrefs, sizeof *v, cmp_ref_id);
	find_ranges(c, v);

	size_t n = 0;
	for (size_t i = 0; i < c->nrefs; i++)
		if (c->refs[i].has_range)
			v[n++] = &c->refs[i];
	qsort(v, n, sizeof *v, cmp_ref_lo);
	sqlite3_stmt *count = NULL;
	if (c->metrics_run_index)
		count = prepare(c, "SELECT count(*) FROM metrics WHERE run_uuid = ?1");
	sqlite3_int64 maxhi = INT64_MIN;
	for (size_t i = 0; i < n; i++) {
		struct run_ref *r = v[i];
		bool overlap = r->lo <= maxhi || (i + 1 < n && v[i + 1]->lo <= r->hi);
		if (r->hi > maxhi)
			maxhi = r->hi;
		r->use_range = true;
		/* Without an index there is nothing better than the filtered range. */
		if (!overlap || !count || r->skip)
			continue;
		sqlite3_reset(count);
		sqlite3_bind_text(count, 1, r->id, -1, SQLITE_STATIC);
		if (sqlite3_step(count) == SQLITE_ROW) {
			double own = (double)sqlite3_column_int64(count, 0);
			double span = (double)r->hi - (double)r->lo + 1;
			r->use_range = own * 4 >= span;
		}
	}
	sqlite3_finalize(count);
	free(v);
}

/* Prepares the per-run statements; the optional ones stay NULL when their tables are missing. */
static int prepare_run_statements(struct ctx *c)
{
	struct buf sql = BUF_INIT;
	buf_printf(&sql,
	           "SELECT %s, %s, %s, %s, %s, %s, %s, %s, %s, %s FROM runs WHERE run_uuid = ?1",
	           col_or(c, "runs", "name", "NULL"), col_or(c, "runs", "source_type", "NULL"),
	           col_or(c, "runs", "source_name", "NULL"), col_or(c, "runs", "user_id", "NULL"),
	           col_or(c, "runs", "status", "NULL"), col_or(c, "runs", "start_time", "NULL"),
	           col_or(c, "runs", "end_time", "NULL"), col_or(c, "runs", "lifecycle_stage", "NULL"),
	           col_or(c, "runs", "artifact_uri", "NULL"),
	           col_or(c, "runs", "source_version", "NULL"));
	c->st_run = prepare(c, buf_cstr(&sql));
	if (!c->st_run) {
		db_warn(c, "runs");
		buf_free(&sql);
		return 0;
	}
	if (c->has_params)
		c->st_params = prepare(c, "SELECT key, value FROM params WHERE run_uuid = ?1");
	if (c->has_tags)
		c->st_tags = prepare(c, "SELECT key, value FROM tags WHERE run_uuid = ?1");
	if (c->has_metrics) {
		/* Before 2019 (alembic 451aebb31d03, 181f10493468) there was no step or is_nan.
		 * The unary + keeps the planner from answering the range query through the
		 * run_uuid index, a random table lookup per row. */
		const char *args = xasprintf("key, value, timestamp, %s, %s",
		                             col_or(c, "metrics", "step", "0"),
		                             col_or(c, "metrics", "is_nan", "0"));
		buf_reset(&sql);
		buf_printf(&sql,
		           "SELECT count(runsite_point(%s)) FROM metrics "
		           "WHERE rowid BETWEEN ?2 AND ?3 AND +run_uuid = ?1",
		           args);
		c->st_mrange = prepare(c, buf_cstr(&sql)); /* NULL for a WITHOUT ROWID table */
		c->mrange_sql = xstrdup(buf_cstr(&sql));
		buf_reset(&sql);
		buf_printf(&sql, "SELECT count(runsite_point(%s)) FROM metrics WHERE run_uuid = ?1",
		           args);
		free((char *)args);
		c->st_mindex = prepare(c, buf_cstr(&sql));
		if (!c->st_mindex)
			db_warn(c, "metrics");
	}
	if (c->has_inputs && c->has_datasets) {
		buf_reset(&sql);
		buf_printf(&sql,
		           "SELECT d.name, d.digest, %s, %s, %s, %s, %s FROM inputs i "
		           "JOIN datasets d ON d.dataset_uuid = i.source_id "
		           "WHERE i.destination_id = ?1 AND i.destination_type = 'RUN' "
		           "AND i.source_type = 'DATASET' ORDER BY d.name, d.digest, i.input_uuid",
		           col_or(c, "datasets", "dataset_source_type", "NULL"),
		           col_or(c, "datasets", "dataset_source", "NULL"),
		           col_or(c, "datasets", "dataset_schema", "NULL"),
		           col_or(c, "datasets", "dataset_profile", "NULL"),
		           c->has_input_tags ? "(SELECT t.value FROM input_tags t WHERE "
		                               "t.input_uuid = i.input_uuid AND "
		                               "t.name = 'mlflow.data.context')"
		                             : "NULL");
		c->st_inputs = prepare(c, buf_cstr(&sql));
		if (!c->st_inputs)
			db_warn(c, "inputs");
	}
	if (c->has_logged_models) {
		buf_reset(&sql);
		buf_printf(&sql,
		           "SELECT model_id, name, %s, %s, %s, %s FROM logged_models "
		           "WHERE source_run_id = ?1 ORDER BY %s, model_id",
		           col_or(c, "logged_models", "model_type", "NULL"),
		           col_or(c, "logged_models", "status", "NULL"),
		           col_or(c, "logged_models", "artifact_location", "NULL"),
		           col_or(c, "logged_models", "lifecycle_stage", "NULL"),
		           col_or(c, "logged_models", "creation_timestamp_ms", "NULL"));
		c->st_models = prepare(c, buf_cstr(&sql));
		if (!c->st_models)
			db_warn(c, "logged_models");
	}
	if (c->has_model_versions) {
		buf_reset(&sql);
		buf_printf(&sql,
		           "SELECT name, version, %s, %s, %s FROM model_versions WHERE run_id = ?1 "
		           "ORDER BY name, version",
		           col_or(c, "model_versions", "status", "NULL"),
		           col_or(c, "model_versions", "source", "NULL"),
		           col_or(c, "model_versions", "current_stage", "NULL"));
		c->st_versions = prepare(c, buf_cstr(&sql));
	}
	buf_free(&sql);
	return 1;
}

/* The canonical status name for a stored one (strings; integers in foreign writers). */
static const char *status_name(sqlite3_stmt *st, int i)
{
	static const char *const names[] = {"RUNNING", "SCHEDULED", "FINISHED", "FAILED", "KILLED"};
	if (sqlite3_column_type(st, i) == SQLITE_INTEGER) {
		int v = sqlite3_column_int(st, i);
		return v >= 1 && v <= 5 ? names[v - 1] : "UNKNOWN";
	}
	const unsigned char *s = sqlite3_column_text(st, i);
	for (size_t k = 0; s && k < sizeof names / sizeof *names; k++)
		if (strcasecmp((const char *)s, names[k]) == 0)
			return names[k];
	return "UNKNOWN";
}

/* Reads key/value rows of st (bound to the run) into l. Returns 0 on a read error (reported). */
static int read_kv(struct ctx *c, sqlite3_stmt *st, const char *run_id, struct kvlist *l,
                   const char *what)
{
	if (!st)
		return 1;
	sqlite3_reset(st);
	sqlite3_bind_text(st, 1, run_id, -1, SQLITE_STATIC);
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const unsigned char *k = sqlite3_column_text(st, 0);
		if (k)
			kvlist_add(l, (const char *)k, (const char *)sqlite3_column_text(st, 1));
	}
	if (rc != SQLITE_DONE) {
		char *msg = xasprintf("run %s: %s", run_id, what);
		db_warn(c, msg);
		free(msg);
		sqlite3_reset(st);
		return 0;
	}
	sqlite3_reset(st);
	return 1;
}

static void keys_reset(struct key_index *k)
{
	if (k->n)
		memset(k->slot, 0, k->cap * sizeof *k->slot);
	k->n = 0;
}

/* The run's series for key (n bytes), through the key index. */
static struct series *series_for(struct key_index *k, struct run *r, const char *key, size_t n)
{
	if (k->cap == 0 || (k->n + 1) * 2 > k->cap) {
		size_t cap = k->cap ? k->cap * 2 : 64;
		free(k->slot);
		k->slot = xcalloc(cap, sizeof *k->slot);
		k->cap = cap;
		for (size_t i = 0; i < r->nmetrics; i++) {
			const char *s = r->metrics[i].key;
			size_t j = hash_bytes(s, strlen(s)) & (cap - 1);
			while (k->slot[j])
				j = (j + 1) & (cap - 1);
			k->slot[j] = i + 1;
		}
	}
	size_t j = hash_bytes(key, n) & (k->cap - 1);
	while (k->slot[j]) {
		struct series *s = &r->metrics[k->slot[j] - 1];
		if (strncmp(s->key, key, n) == 0 && s->key[n] == '\0')
			return s;
		j = (j + 1) & (k->cap - 1);
	}
	/* run_series appends a new series, as the key is not there yet. */
	char *copy = xstrndup(key, n);
	struct series *s = run_series(r, copy);
	free(copy);
	k->slot[j] = (size_t)(s - r->metrics) + 1;
	k->n++;
	return s;
}

/* SQL function runsite_point(key, value, timestamp, step, is_nan): adds one metric row
 * to the point sink's run. Rows go through a function inside the query rather than
 * out through sqlite3_step and the column API, which is most of the cost of a scan. */
static void sql_point(sqlite3_context *fx, int argc, sqlite3_value **argv)
{
	struct point_sink *ps = sqlite3_user_data(fx);
	struct run *r = ps->run;
	if (!r || argc != 5)
		return;
	const char *key = (const char *)sqlite3_value_text(argv[0]);
	if (!key) {
		ps->bad_rows++;
		return;
	}
	size_t klen = (size_t)sqlite3_value_bytes(argv[0]);
	struct series *s = ps->last;
	if (!s || strncmp(s->key, key, klen) != 0 || s->key[klen] != '\0')
		s = ps->last = series_for(&ps->keys, r, key, klen);
	double v;
	int vt = sqlite3_value_type(argv[1]);
	if (sqlite3_value_int(argv[4])) {
		v = NAN; /* MLflow stores NaN as value 0 with is_nan 1 */
	} else if (vt == SQLITE_FLOAT || vt == SQLITE_INTEGER) {
		v = sqlite3_value_double(argv[1]);
		/* ±Inf is stored as ±DBL_MAX (sanitize_metric_value). */
		if (v == DBL_MAX)
			v = INFINITY;
		else if (v == -DBL_MAX)
			v = -INFINITY;
	} else if (vt == SQLITE_TEXT) {
		const char *t = (const char *)sqlite3_value_text(argv[1]);
		char *end;
		v = strtod(t, &end);
		if (end == t || *end) {
			ps->bad_rows++;
			return;
		}
	} else {
		ps->bad_rows++;
		return;
	}
	series_add(s, sqlite3_value_int64(argv[3]), sqlite3_value_int64(argv[2]), v);
}

/* Runs a metrics query (already bound) into r through ps. Returns SQLITE_DONE, or the
 * error code with its message in *err (caller frees); reports nothing, so it may run
 * on another thread. */
static int read_metric_rows(sqlite3_stmt *st, struct point_sink *ps, struct run *r, char **err)
{
	keys_reset(&ps->keys);
	ps->run = r;
	ps->last = NULL;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		;
	ps->run = NULL;
	ps->last = NULL;
	*err = rc == SQLITE_DONE ? NULL : xstrdup(sqlite3_errmsg(sqlite3_db_handle(st)));
	sqlite3_reset(st);
	return rc;
}

/* Reports what a metrics query of run r gave. */
static void metrics_report(struct ctx *c, const struct run *r, int rc, char *err)
{
	if (rc != SQLITE_DONE) {
		char *what = xasprintf("run %s: metrics", r->id);
		db_warn_code(c, rc, err, what);
		free(what);
	}
	free(err);
}

/* Opens the second connection once; false when it cannot be had. */
static bool second_connection(struct ctx *c)
{
	if (c->st_mrange2)
		return true;
	if (!c->split || !c->mrange_sql)
		return false;
	char *err = NULL;
	c->db2 = db_open(c->path, c->immutable, c->busy_ms, &err);
	free(err);
	if (c->db2 && sqlite3_create_function_v2(c->db2, "runsite_point", 5,
	                                          SQLITE_UTF8 | SQLITE_DIRECTONLY, &c->ps2,
	                                          sql_point, NULL, NULL, NULL) == SQLITE_OK &&
	    sqlite3_prepare_v2(c->db2, c->mrange_sql, -1, &c->st_mrange2, NULL) == SQLITE_OK)
		return true;
	sqlite3_finalize(c->st_mrange2);
	c->st_mrange2 = NULL;
	c->split = false;
	return false;
}

/* The upper half of a run's rows, read on the second connection. */
struct half_job {
	struct ctx *c;
	struct run *part; /* a scratch run with the same id */
	sqlite3_int64 lo, hi;
	int rc;
	char *err;
};

static void *half_worker(void *arg)
{
	struct half_job *j = arg;
	sqlite3_stmt *st = j->c->st_mrange2;
	sqlite3_bind_text(st, 1, j->part->id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, j->lo);
	sqlite3_bind_int64(st, 3, j->hi);
	j->rc = read_metric_rows(st, &j->c->ps2, j->part, &j->err);
	return NULL;
}

/* Moves the series of part into r: whole arrays when r has none for the key yet. */
static void merge_part(struct ctx *c, struct run *r, struct run *part)
{
	for (size_t i = 0; i < part->nmetrics; i++) {
		struct series *u = &part->metrics[i];
		struct series *s = series_for(&c->ps.keys, r, u->key, strlen(u->key));
		if (s->n == 0) {
			free(s->pts);
			s->pts = u->pts;
			s->n = u->n;
			s->cap = u->cap;
			u->pts = NULL;
			u->n = u->cap = 0;
		} else {
			GROW(s->pts, s->cap, s->n + u->n);
			memcpy(s->pts + s->n, u->pts, u->n * sizeof *u->pts);
			s->n += u->n;
		}
	}
}

/* Reads a range-planned run's rows; a large range is split in two halves read at the
 * same time, the upper one on the second connection. Points of one key stay in
 * rowid order, as the halves are joined lower first. */
static void read_metric_range(struct ctx *c, struct run *r, const struct run_ref *ref)
{
	char *err = NULL;
	int rc;
	if (ref->hi - ref->lo >= SPLIT_MIN_ROWS && second_connection(c)) {
		struct half_job j = {c, run_new(FORMAT_NAME, NULL), 0, ref->hi, SQLITE_DONE, NULL};
		j.part->id = xstrdup(r->id);
		sqlite3_int64 mid = ref->lo + (ref->hi - ref->lo) / 2;
		j.lo = mid + 1;
		pthread_t worker;
		if (pthread_create(&worker, NULL, half_worker, &j) == 0) {
			sqlite3_bind_text(c->st_mrange, 1, r->id, -1, SQLITE_STATIC);
			sqlite3_bind_int64(c->st_mrange, 2, ref->lo);
			sqlite3_bind_int64(c->st_mrange, 3, mid);
			c->ps.bad_rows = c->ps2.bad_rows = 0;
			rc = read_metric_rows(c->st_mrange, &c->ps, r, &err);
			pthread_join(worker, NULL);
			metrics_report(c, r, rc, err);
			metrics_report(c, r, j.rc, j.err);
			merge_part(c, r, j.part);
			c->ps.bad_rows += c->ps2.bad_rows;
			run_free(j.part);
			return;
		}
		run_free(j.part);
	}
	sqlite3_bind_text(c->st_mrange, 1, r->id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(c->st_mrange, 2, ref->lo);
	sqlite3_bind_int64(c->st_mrange, 3, ref->hi);
	c->ps.bad_rows = 0;
	rc = read_metric_rows(c->st_mrange, &c->ps, r, &err);
	metrics_report(c, r, rc, err);
}

/* ---- Reading the metrics table's pages directly ---------------------------------
 * Most of a scan through SQL is spent in the virtual machine decoding columns, so a
 * run's rowid range is read straight from the file's table b-tree (format: sqlite.org
 * fileformat2.html §1.6, §2) when that is safe: a rollback-journal database read under
 * SQLite's own shared lock (a writer cannot change the file meanwhile), or one opened
 * immutable. Anything unusual (another column type, missing fields, a page that does
 * not look right) makes the run go through SQL instead, which then reads or reports
 * it exactly as before, so the result never depends on the path taken. */

#define DIRECT_WINDOW 64    /* pages read at once: a parent's children that lie close */
#define DIRECT_GAP 1        /* other pages (index pages between table leaves) read over */
#define DIRECT_DEPTH_MAX 20 /* b-tree levels; 4 are enough for a terabyte */

enum { DC_KEY, DC_VALUE, DC_TS, DC_RUN, DC_STEP, DC_NAN, DC_N };

struct direct {
	int fd;
	uint32_t pgsz, usable; /* page size, and the bytes of it in use (no reserved tail) */
	uint32_t root;         /* the metrics table's root page */
	int col[DC_N];         /* record field of each column */
	int ncol;              /* fields to decode: the highest of col[] + 1 */
	unsigned char *win;    /* DIRECT_WINDOW pages from page wstart, wn of them read */
	uint64_t wstart, wn;
	unsigned char *inner;  /* a copy of each interior page on the path, per depth */
	unsigned char *big;    /* an overflowing payload put together */
	size_t bigcap;
	sqlite3_stmt *lock;    /* stepped to hold SQLite's shared lock during a read */
};

/* One range read in progress. */
struct dscan {
	struct direct *d;
	struct ctx *c;
	struct run *r;
	sqlite3_int64 lo, hi;
	const char *id;
	size_t idlen;
	uint64_t npages;
	uint64_t budget;       /* pages still allowed to be visited (a corrupt tree may loop) */
	struct series *last;   /* the series of the previous row, its key klen bytes long */
	size_t lastlen;
};

static uint32_t get16(const unsigned char *p)
{
	return (uint32_t)p[0] << 8 | p[1];
}

static uint32_t get32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* get_varint() for more than one byte. */
static int get_varint_long(const unsigned char **p, const unsigned char *end, uint64_t *v)
{
	const unsigned char *q = *p;
	uint64_t x = 0;
	for (int i = 0; i < 8; i++) {
		if (q >= end)
			return 0;
		unsigned char b = *q++;
		x = x << 7 | (b & 0x7f);
		if (!(b & 0x80)) {
			*v = x;
			*p = q;
			return 1;
		}
	}
	if (q >= end)
		return 0;
	*v = x << 8 | *q++;
	*p = q;
	return 1;
}

/* Reads an SQLite varint at *p before end into *v. Returns 0 when it runs past end. */
static inline __attribute__((always_inline)) int get_varint(const unsigned char **p,
                                                            const unsigned char *end, uint64_t *v)
{
	if (*p < end && **p < 0x80) {
		*v = *(*p)++;
		return 1;
	}
	return get_varint_long(p, end, v);
}

/* Reads exactly n bytes at off, or fewer at the end of the file. Returns the count, -1 on error. */
static ssize_t pread_full(int fd, unsigned char *buf, size_t n, off_t off)
{
	size_t got = 0;
	while (got < n) {
		ssize_t k = pread(fd, buf + got, n - got, off + (off_t)got);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return -1;
		if (k == 0)
			break;
		got += (size_t)k;
	}
	return (ssize_t)got;
}

/* Reads pages first..last (at most DIRECT_WINDOW) into the window. Returns 0 on failure. */
static int window_load(struct dscan *x, uint64_t first, uint64_t last)
{
	struct direct *d = x->d;
	if (first == 0 || first > x->npages || x->budget == 0)
		return 0;
	if (last > x->npages)
		last = x->npages;
	x->budget--;
	d->wn = 0;
	ssize_t got = pread_full(d->fd, d->win, (size_t)(last - first + 1) * d->pgsz,
	                         (off_t)((first - 1) * d->pgsz));
	if (got < 0)
		return 0;
	d->wstart = first;
	d->wn = (uint64_t)got / d->pgsz;
	return 1;
}

/* Page pgno (1-based) from the window, read alone when it is not there; NULL when it
 * cannot be had. Valid until the window is next loaded. */
static const unsigned char *page_get(struct dscan *x, uint64_t pgno)
{
	struct direct *d = x->d;
	if (pgno - d->wstart >= d->wn && !window_load(x, pgno, pgno))
		return NULL;
	if (pgno - d->wstart >= d->wn)
		return NULL;
	return d->win + (pgno - d->wstart) * d->pgsz;
}

/* The payload of a cell that spills onto overflow pages, put together in d->big.
 * local bytes are at p; the first overflow page number follows them. */
static const unsigned char *overflow_payload(struct dscan *x, const unsigned char *p, size_t local,
                                             uint64_t total)
{
	struct direct *d = x->d;
	if (total > ((uint64_t)1 << 30))
		return NULL;
	if (d->bigcap < total) {
		free(d->big);
		d->bigcap = (size_t)total;
		d->big = xmalloc(d->bigcap);
	}
	memcpy(d->big, p, local);
	size_t have = local;
	uint32_t next = get32(p + local);
	unsigned char *tmp = d->inner + (size_t)DIRECT_DEPTH_MAX * d->pgsz; /* one spare page */
	while (have < total) {
		/* Read outside the window so the leaf being read stays put. */
		if (next == 0 || next > x->npages || x->budget == 0)
			return NULL;
		x->budget--;
		if (pread_full(d->fd, tmp, d->usable, (off_t)(next - 1) * d->pgsz) != (ssize_t)d->usable)
			return NULL;
		size_t n = d->usable - 4;
		if (n > total - have)
			n = (size_t)(total - have);
		memcpy(d->big + have, tmp + 4, n);
		have += n;
		next = get32(tmp);
	}
	return d->big;
}

/* A big-endian two's-complement integer of n bytes. */
static inline int64_t get_int(const unsigned char *p, size_t n)
{
	uint64_t v = (p[0] & 0x80) ? ~(uint64_t)0 : 0;
	for (size_t i = 0; i < n; i++)
		v = v << 8 | p[i];
	return (int64_t)v;
}

/* Field sizes by serial type below 12; -1 for the reserved 10 and 11. */
static const signed char serial_size[12] = {0, 1, 2, 3, 4, 6, 8, 8, 0, 0, -1, -1};

/* An integer field (serial types 1-6, 8, 9) into *v; 0 for any other type. */
static inline int field_int(uint64_t t, const unsigned char *p, int64_t *v)
{
	if (t >= 1 && t <= 6) {
		*v = get_int(p, (size_t)serial_size[t]);
		return 1;
	}
	if (t == 8 || t == 9) {
		*v = (int64_t)t - 8;
		return 1;
	}
	return 0;
}

/* Adds the record (one metrics row) to the run when it is the run's. Returns 1, or 0
 * when the row is not one this path reads exactly like sql_point (then SQL reads the run). */
static int direct_row(struct dscan *x, const unsigned char *rec, uint64_t size)
{
	const struct direct *d = x->d;
	const unsigned char *p = rec, *end = rec + size, *hend;
	uint64_t hsize;
	if (!get_varint(&p, end, &hsize) || hsize > size || hsize < (uint64_t)(p - rec))
		return 0;
	hend = rec + hsize;
	uint64_t type[8], off[8];
	uint64_t at = hsize;
	for (int i = 0; i < d->ncol; i++) {
		uint64_t t;
		if (p >= hend || !get_varint(&p, hend, &t))
			return 0; /* fewer fields than columns (ALTER TABLE ADD COLUMN) */
		if (t == 10 || t == 11)
			return 0;
		uint64_t n = t >= 12 ? (t - 12) / 2 : (uint64_t)serial_size[t];
		type[i] = t;
		off[i] = at;
		at += n;
	}
	if (at > size)
		return 0;
	/* run_uuid: only text equal byte for byte to the id matches (+run_uuid = ?1). */
	uint64_t t = type[d->col[DC_RUN]];
	if (!(t >= 13 && (t & 1) && (t - 13) / 2 == x->idlen &&
	      memcmp(rec + off[d->col[DC_RUN]], x->id, x->idlen) == 0))
		return 1;
	int64_t ts, step, nanflag;
	if (!field_int(type[d->col[DC_TS]], rec + off[d->col[DC_TS]], &ts) ||
	    !field_int(type[d->col[DC_STEP]], rec + off[d->col[DC_STEP]], &step) ||
	    !field_int(type[d->col[DC_NAN]], rec + off[d->col[DC_NAN]], &nanflag))
		return 0;
	double v;
	if ((int)nanflag) {
		v = NAN;
	} else {
		t = type[d->col[DC_VALUE]];
		const unsigned char *vp = rec + off[d->col[DC_VALUE]];
		if (t == 7) {
			uint64_t bits = (uint64_t)get_int(vp, 8);
			memcpy(&v, &bits, sizeof v);
		} else {
			int64_t iv;
			if (!field_int(t, vp, &iv))
				return 0;
			v = (double)iv;
		}
		if (v == DBL_MAX)
			v = INFINITY;
		else if (v == -DBL_MAX)
			v = -INFINITY;
	}
	t = type[d->col[DC_KEY]];
	if (!(t >= 13 && (t & 1)))
		return 0;
	const char *key = (const char *)rec + off[d->col[DC_KEY]];
	size_t klen = (size_t)(t - 13) / 2;
	struct series *s = x->last;
	if (!s || klen != x->lastlen || memcmp(s->key, key, klen) != 0) {
		if (memchr(key, '\0', klen))
			return 0;
		s = x->last = series_for(&x->c->ps.keys, x->r, key, klen);
		x->lastlen = klen;
	}
	if (s->n == s->cap)
		GROW(s->pts, s->cap, s->n + 1);
	s->pts[s->n++] = (struct point){step, ts, v};
	return 1;
}

/* Reads the rows of leaf page p in [lo, hi]. Returns 1 to go on, 0 past hi, -1 to give up. */
static int direct_leaf(struct dscan *x, const unsigned char *p)
{
	const struct direct *d = x->d;
	const unsigned char *end = p + d->usable;
	uint32_t ncells = get16(p + 3);
	if (8 + 2 * (size_t)ncells > d->usable)
		return -1;
	uint64_t maxlocal = d->usable - 35;
	for (uint32_t i = 0; i < ncells; i++) {
		uint32_t co = get16(p + 8 + 2 * i);
		if (co < 8 + 2 * ncells || co >= d->usable)
			return -1;
		const unsigned char *q = p + co;
		uint64_t psize, rowid;
		if (!get_varint(&q, end, &psize) || !get_varint(&q, end, &rowid))
			return -1;
		if ((sqlite3_int64)rowid < x->lo)
			continue;
		if ((sqlite3_int64)rowid > x->hi)
			return 0;
		const unsigned char *rec = q;
		if (psize <= maxlocal) {
			if (psize > (uint64_t)(end - q))
				return -1;
		} else {
			uint64_t minlocal = (uint64_t)(d->usable - 12) * 32 / 255 - 23;
			uint64_t local = minlocal + (psize - minlocal) % (d->usable - 4);
			if (local > maxlocal)
				local = minlocal;
			if (local + 4 > (uint64_t)(end - q) ||
			    !(rec = overflow_payload(x, q, (size_t)local, psize)))
				return -1;
		}
		if (!direct_row(x, rec, psize))
			return -1;
	}
	return 1;
}

/* Child page i of interior page ip (i == ncells: the right-most one) and, but for that
 * last one, the largest rowid below it. Returns 0 when the cell is out of bounds. */
static int inner_cell(const struct dscan *x, const unsigned char *ip, uint32_t i, uint64_t *child,
                      uint64_t *key)
{
	const struct direct *d = x->d;
	if (i == get16(ip + 3)) {
		*child = get32(ip + 8);
		*key = 0;
		return 1;
	}
	uint32_t co = get16(ip + 12 + 2 * i);
	const unsigned char *q = ip + co + 4;
	if (co < 12 || co + 4 >= d->usable || !get_varint(&q, ip + d->usable, key))
		return 0;
	*child = get32(ip + co);
	return 1;
}

/* Loads the window with child i of ip and the children after it that the range needs,
 * as long as they lie at most DIRECT_GAP pages apart: one read instead of one per page. */
static int load_children(struct dscan *x, const unsigned char *ip, uint32_t i)
{
	uint32_t ncells = get16(ip + 3);
	uint64_t first, last, key, child;
	if (!inner_cell(x, ip, i, &first, &key))
		return 0;
	last = first;
	while (i < ncells && (sqlite3_int64)key < x->hi) {
		if (!inner_cell(x, ip, ++i, &child, &key) || child <= last ||
		    child - last > DIRECT_GAP + 1 || child - first >= DIRECT_WINDOW)
			break;
		last = child;
	}
	return window_load(x, first, last);
}

/* Reads the rows in [lo, hi] below page pgno. Returns as direct_leaf(). */
static int direct_page(struct dscan *x, uint64_t pgno, int depth)
{
	struct direct *d = x->d;
	if (depth >= DIRECT_DEPTH_MAX)
		return -1;
	const unsigned char *p = page_get(x, pgno);
	if (!p)
		return -1;
	if (p[0] == 0x0d)
		return direct_leaf(x, p);
	if (p[0] != 0x05)
		return -1;
	/* A copy: reading the children replaces the window it sits in. */
	unsigned char *ip = d->inner + (size_t)depth * d->pgsz;
	memcpy(ip, p, d->usable);
	const unsigned char *end = ip + d->usable;
	uint32_t ncells = get16(ip + 3);
	if (12 + 2 * (size_t)ncells > d->usable)
		return -1;
	/* Cell i leads to rows up to its key: skip those ending below lo. */
	uint32_t a = 0, b = ncells;
	while (a < b) {
		uint32_t m = a + (b - a) / 2;
		uint32_t co = get16(ip + 12 + 2 * m);
		const unsigned char *q = ip + co + 4;
		uint64_t key;
		if (co < 12 || co + 4 >= d->usable || !get_varint(&q, end, &key))
			return -1;
		if ((sqlite3_int64)key < x->lo)
			a = m + 1;
		else
			b = m;
	}
	for (uint32_t i = a; i <= ncells; i++) {
		uint64_t key, child;
		if (!inner_cell(x, ip, i, &child, &key))
			return -1;
		if (child - d->wstart >= d->wn && !load_children(x, ip, i))
			return -1;
		int rc = direct_page(x, child, depth + 1);
		if (rc <= 0 || (i < ncells && (sqlite3_int64)key >= x->hi))
			return rc <= 0 ? rc : 0;
	}
	return 1;
}

/* Frees what direct_open() made. */
static void direct_free(struct direct *d)
{
	if (!d)
		return;
	if (d->fd >= 0)
		close(d->fd);
	sqlite3_finalize(d->lock);
	free(d->win);
	free(d->inner);
	free(d->big);
	free(d);
}

/* The record field of each metrics column, from PRAGMA table_xinfo. Returns 0 when a
 * column is missing or the table stores something other than its declared columns. */
static int direct_columns(struct ctx *c, struct direct *d)
{
	static const char *const names[DC_N] = {"key", "value", "timestamp", "run_uuid", "step",
	                                        "is_nan"};
	sqlite3_stmt *st = prepare(c, "PRAGMA table_xinfo(metrics)");
	int ok = st != NULL, field = 0, npk = 0;
	bool int_pk = false;
	for (int i = 0; i < DC_N; i++)
		d->col[i] = -1;
	while (ok && sqlite3_step(st) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(st, 1);
		const char *type = (const char *)sqlite3_column_text(st, 2);
		if (sqlite3_column_int(st, 6) != 0)
			ok = 0; /* generated or hidden columns: fields differ from columns */
		if (sqlite3_column_int(st, 5) > 0) {
			npk++;
			int_pk = type && strcasecmp(type, "INTEGER") == 0;
		}
		for (int i = 0; name && i < DC_N; i++)
			if (strcasecmp(name, names[i]) == 0)
				d->col[i] = field;
		field++;
	}
	sqlite3_finalize(st);
	if (npk == 1 && int_pk)
		ok = 0; /* an INTEGER PRIMARY KEY is the rowid, stored as NULL */
	d->ncol = 0;
	for (int i = 0; i < DC_N; i++) {
		if (d->col[i] < 0 || d->col[i] >= 8)
			ok = 0;
		else if (d->col[i] + 1 > d->ncol)
			d->ncol = d->col[i] + 1;
	}
	/* The run filter compares bytes, as the BINARY collation does. */
	const char *coll = NULL;
	if (ok && (sqlite3_table_column_metadata(c->db, NULL, "metrics", "run_uuid", NULL, &coll,
	                                         NULL, NULL, NULL) != SQLITE_OK ||
	           !coll || strcasecmp(coll, "BINARY") != 0))
		ok = 0;
	return ok;
}

/* Sets up direct reading when the database allows it; NULL when not (silent: SQL reads). */
static struct direct *direct_open(struct ctx *c)
{
	const char *env = getenv("RUNSITE_SQLITE_DIRECT");
	if ((env && strcmp(env, "0") == 0) || !c->st_mrange)
		return NULL;
	struct direct *d = xcalloc(1, sizeof *d);
	d->fd = open(c->path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	unsigned char h[100];
	if (d->fd < 0 || pread_full(d->fd, h, sizeof h, 0) != (ssize_t)sizeof h)
		goto fail;
	d->pgsz = get16(h + 16) == 1 ? 65536 : get16(h + 16);
	if (d->pgsz < 512 || (d->pgsz & (d->pgsz - 1)) || h[20] > d->pgsz - 480 ||
	    get32(h + 56) != 1 /* UTF-8 */)
		goto fail;
	/* A WAL database is read directly only when opened immutable (no live log). */
	if ((h[18] != 1 || h[19] != 1) && !c->immutable)
		goto fail;
	d->usable = d->pgsz - h[20];
	if (!direct_columns(c, d))
		goto fail;
	sqlite3_stmt *st = prepare(c, "SELECT rootpage FROM sqlite_master WHERE type = 'table' "
	                              "AND name = 'metrics' COLLATE NOCASE");
	if (st && sqlite3_step(st) == SQLITE_ROW)
		d->root = (uint32_t)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	d->lock = prepare(c, "SELECT 1 FROM sqlite_master");
	if (d->root < 2 || !d->lock)
		goto fail;
	d->win = xmalloc((size_t)DIRECT_WINDOW * d->pgsz);
	d->inner = xmalloc(((size_t)DIRECT_DEPTH_MAX + 1) * d->pgsz);
	return d;
fail:
	direct_free(d);
	return NULL;
}

/* Runs whose metrics were read from the pages (not through SQL): tests check that the
 * direct path was taken. */
long mlflow_sqlite_direct_runs;

/* Reads the run's rows in its rowid range directly. Returns 1 when done, 0 when SQL
 * must read the run instead (its series are emptied again). */
static int direct_range(struct ctx *c, struct run *r, const struct run_ref *ref)
{
	struct direct *d = c->direct;
	struct dscan x = {d, c, r, ref->lo, ref->hi, r->id, strlen(r->id), 0, 0, NULL, 0};
	int rc = -1;
	unsigned char h[100];
	struct stat sb;
	/* Hold the shared lock, then check the file is still as it was. */
	sqlite3_reset(d->lock);
	if (sqlite3_step(d->lock) != SQLITE_ROW || fstat(d->fd, &sb) != 0 ||
	    pread_full(d->fd, h, sizeof h, 0) != (ssize_t)sizeof h)
		goto out;
	if ((h[18] != 1 || h[19] != 1) && !c->immutable)
		goto out; /* switched to WAL meanwhile */
	if ((d->pgsz == 65536 ? 1u : d->pgsz) != get16(h + 16) || d->pgsz - h[20] != d->usable)
		goto out;
	d->wn = 0; /* the file may have changed since the last run */
	x.npages = (uint64_t)sb.st_size / d->pgsz;
	x.budget = x.npages + 64;
	keys_reset(&c->ps.keys);
	rc = direct_page(&x, d->root, 0);
out:
	sqlite3_reset(d->lock);
	if (rc >= 0) {
		mlflow_sqlite_direct_runs++;
		return 1;
	}
	for (size_t i = 0; i < r->nmetrics; i++)
		r->metrics[i].n = 0;
	return 0;
}

/* Reads the run's metrics by its rowid range or the run_uuid index, as planned. */
static void read_metrics(struct ctx *c, struct run *r, const struct run_ref *ref)
{
	if (!c->has_metrics || (c->ranges_known && !ref->has_range))
		return; /* the run has no metric rows */
	if (ref->has_range && ref->use_range && c->st_mrange) {
		c->ps.bad_rows = 0;
		if (!c->direct || !direct_range(c, r, ref))
			read_metric_range(c, r, ref);
	} else if (c->st_mindex) {
		char *err = NULL;
		sqlite3_bind_text(c->st_mindex, 1, r->id, -1, SQLITE_STATIC);
		c->ps.bad_rows = 0;
		int rc = read_metric_rows(c->st_mindex, &c->ps, r, &err);
		metrics_report(c, r, rc, err);
	} else {
		return;
	}
	if (c->ps.bad_rows)
		diag_warn(c->path, 0, "run %s: skipped %zu metric rows without a key or a numeric value",
		          r->id, c->ps.bad_rows);
}

/* Reads the run's dataset inputs. */
static void read_inputs(struct ctx *c, struct run *r)
{
	sqlite3_stmt *st = c->st_inputs;
	if (!st)
		return;
	sqlite3_bind_text(st, 1, r->id, -1, SQLITE_STATIC);
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct dataset_input *d = run_add_dataset(r);
		d->name = col_strdup(st, 0);
		d->digest = col_strdup(st, 1);
		d->source_type = col_strdup(st, 2);
		d->source = col_strdup(st, 3);
		d->schema = col_strdup(st, 4);
		d->profile = col_strdup(st, 5);
		d->context = col_strdup(st, 6);
	}
	if (rc != SQLITE_DONE) {
		char *msg = xasprintf("run %s: inputs", r->id);
		db_warn(c, msg);
		free(msg);
	}
	sqlite3_reset(st);
}

/* Reads the MLflow 3 logged models the run produced, and registry versions made from it. */
static void read_models(struct ctx *c, struct run *r)
{
	static const char *const states[] = {"UNSPECIFIED", "PENDING", "READY", "FAILED"};
	sqlite3_stmt *st = c->st_models;
	int rc;
	if (st) {
		sqlite3_bind_text(st, 1, r->id, -1, SQLITE_STATIC);
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			const unsigned char *life = sqlite3_column_text(st, 5);
			if (life && strcmp((const char *)life, "deleted") == 0 &&
			    !c->opts->include_deleted)
				continue;
			struct logged_model *m = run_add_model(r);
			m->id = col_strdup(st, 0);
			m->name = col_strdup(st, 1);
			m->type = col_strdup_nonempty(st, 2);
			if (sqlite3_column_type(st, 3) == SQLITE_INTEGER) {
				int s = sqlite3_column_int(st, 3);
				m->status = xstrdup(s >= 0 && s <= 3 ? states[s] : "UNSPECIFIED");
			} else {
				m->status = col_strdup_nonempty(st, 3);
			}
			m->uri = col_strdup_nonempty(st, 4);
		}
		if (rc != SQLITE_DONE) {
			char *msg = xasprintf("run %s: logged_models", r->id);
			db_warn(c, msg);
			free(msg);
		}
		sqlite3_reset(st);
	}
	st = c->st_versions;
	if (!st)
		return;
	sqlite3_bind_text(st, 1, r->id, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(st, 0);
		const unsigned char *stage = sqlite3_column_text(st, 4);
		if (!name || (stage && strcmp((const char *)stage, "Deleted_Internal") == 0 &&
		              !c->opts->include_deleted))
			continue;
		struct logged_model *m = run_add_model(r);
		m->id = xasprintf("%s/%lld", name, (long long)sqlite3_column_int64(st, 1));
		m->name = xstrdup(name);
		m->type = xstrdup("registered model version");
		m->status = col_strdup_nonempty(st, 2);
		m->uri = col_strdup_nonempty(st, 3);
	}
	sqlite3_reset(st);
}

static int hexval(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/* Decodes %XX escapes in place. */
static void percent_decode(char *s)
{
	char *w = s;
	for (const char *p = s; *p; p++) {
		int hi, lo;
		if (*p == '%' && (hi = hexval(p[1])) >= 0 && (lo = hexval(p[2])) >= 0) {
			*w++ = (char)(hi * 16 + lo);
			p += 2;
		} else {
			*w++ = *p;
		}
	}
	*w = '\0';
}

/* The local folder an artifact URI names, or NULL when it is not on this machine.
 * file:///abs, file:rel (relative to the database's folder), /abs, and
 * mlflow-artifacts:/x, which an `mlflow server` started beside the database keeps in
 * ./mlartifacts/x by default. Caller frees. */
static char *artifact_dir(const struct ctx *c, const char *uri)
{
	char *path = NULL;
	if (str_starts(uri, "file://")) {
		const char *p = uri + 7;
		if (str_starts(p, "localhost/"))
			p += 9;
		if (*p != '/')
			return NULL; /* another host */
		path = xstrdup(p);
	} else if (str_starts(uri, "file:")) {
		const char *p = uri + 5;
		path = *p == '/' ? xstrdup(p) : path_join(c->dir, p);
	} else if (uri[0] == '/') {
		return xstrdup(uri);
	} else if (str_starts(uri, "mlflow-artifacts:/")) {
		const char *p = uri + 18;
		while (*p == '/')
			p++;
		char *base = path_join(c->dir, "mlartifacts");
		path = path_join(base, p);
		free(base);
	} else {
		return NULL;
	}
	char *q = strpbrk(path, "?#");
	if (q)
		*q = '\0';
	percent_decode(path);
	return path;
}

/* Adds every file below dir (relative names under prefix) to the run, not following
 * symbolic links to folders. Returns 0 once the file limit is reached. */
static int walk_artifacts(struct ctx *c, struct run *r, const char *dir, const char *prefix,
                          int depth)
{
	DIR *d = opendir(dir);
	if (!d)
		return 1;
	int go = 1;
	struct dirent *de;
	while (go && (de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		char *full = path_join(dir, de->d_name);
		char *rel = *prefix ? path_join(prefix, de->d_name) : xstrdup(de->d_name);
		struct stat sb;
		if (lstat(full, &sb) == 0) {
			if (S_ISLNK(sb.st_mode) && stat(full, &sb) == 0 && S_ISDIR(sb.st_mode)) {
				/* not followed: a link to a folder may loop */
			} else if (S_ISDIR(sb.st_mode)) {
				if (depth < MAX_ARTIFACT_DEPTH)
					go = walk_artifacts(c, r, full, rel, depth + 1);
			} else if (S_ISREG(sb.st_mode)) {
				if (r->nartifacts >= MAX_ARTIFACTS) {
					diag_warn(c->path, 0, "run %s: more than %d artifact files; listed the first",
					          r->id, MAX_ARTIFACTS);
					go = 0;
				} else {
					run_add_artifact(r, rel, (int64_t)sb.st_size);
				}
			}
		}
		free(full);
		free(rel);
	}
	closedir(d);
	return go;
}

/* Lists the run's artifacts when its artifact URI is a folder on this machine. */
static void read_artifacts(struct ctx *c, struct run *r, const char *uri)
{
	if (!uri || !*uri)
		return;
	char *dir = artifact_dir(c, uri);
	struct stat sb;
	if (dir && stat(dir, &sb) == 0 && S_ISDIR(sb.st_mode)) {
		walk_artifacts(c, r, dir, "", 0);
		if (r->nartifacts && !r->artifact_dir) {
			r->artifact_dir = dir;
			dir = NULL;
		}
	}
	free(dir);
}

/* Reads one run completely. Returns NULL when its row could not be read (reported). */
static struct run *read_run(struct ctx *c, const struct run_ref *ref)
{
	sqlite3_stmt *st = c->st_run;
	sqlite3_reset(st);
	sqlite3_bind_text(st, 1, ref->id, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		if (rc != SQLITE_DONE) {
			char *msg = xasprintf("run %s", ref->id);
			db_warn(c, msg);
			free(msg);
		}
		sqlite3_reset(st);
		return NULL;
	}
	struct run *r = run_new(FORMAT_NAME, c->path);
	r->id = xstrdup(ref->id);
	r->experiment_id = ref->exp_id ? xstrdup(ref->exp_id) : NULL;
	const struct exp_ref *e = find_exp(c, ref->exp_id);
	if (e)
		r->experiment_name = xstrdup(e->name);
	r->name = col_strdup_nonempty(st, 0);
	char *col_source_type = col_strdup_nonempty(st, 1);
	char *col_source_name = col_strdup_nonempty(st, 2);
	r->user = col_strdup_nonempty(st, 3);
	r->status = xstrdup(status_name(st, 4));
	r->start_ms = col_time(st, 5);
	r->end_ms = col_time(st, 6);
	const unsigned char *life = sqlite3_column_text(st, 7);
	r->deleted = life && strcmp((const char *)life, "deleted") == 0;
	char *uri = col_strdup_nonempty(st, 8);
	char *source_version = col_strdup_nonempty(st, 9);
	sqlite3_reset(st);

	read_kv(c, c->st_params, r->id, &r->params, "params");
	read_kv(c, c->st_tags, r->id, &r->tags, "tags");
	mlflow_fields_from_tags(r);
	/* The columns are what 2019 clients filled; newer ones leave them empty or UNKNOWN. */
	if (!r->source_name) {
		r->source_name = col_source_name;
		col_source_name = NULL;
	}
	if (!r->source_type) {
		r->source_type = col_source_type;
		col_source_type = NULL;
	}
	if (!r->git_commit) {
		r->git_commit = source_version;
		source_version = NULL;
	}
	if (!ref->exp_id || !e)
		diag_warn(c->path, 0, "run %s: experiment %s is not in the experiments table", r->id,
		          ref->exp_id ? ref->exp_id : "(none)");

	read_metrics(c, r, ref);
	read_inputs(c, r);
	read_models(c, r);
	read_artifacts(c, r, uri);
	free(col_source_type);
	free(col_source_name);
	free(source_version);
	free(uri);
	return r;
}

/* Opens the store and reports why when it cannot be read. Returns 1 with c->db set, or 0. */
static int open_store(struct ctx *c)
{
	struct stat sb;
	if (stat(c->path, &sb) != 0) {
		diag_warn(c->path, 0, "cannot open: %s", strerror(errno));
		return 0;
	}
	if (!S_ISREG(sb.st_mode)) {
		diag_warn(c->path, 0, "not a file, so not an MLflow SQLite database");
		return 0;
	}
	int magic = has_magic(c->path);
	if (!magic) {
		if (access(c->path, R_OK) != 0)
			diag_warn(c->path, 0, "cannot open: %s", strerror(errno));
		else
			diag_warn(c->path, 0, "not an SQLite database (no \"SQLite format 3\" header)");
		return 0;
	}
	bool quiet_wal = idle_wal(c->path, magic);
	char *err = NULL;
	c->immutable = quiet_wal;
	c->db = db_open(c->path, quiet_wal, c->busy_ms, &err);
	int code = SQLITE_OK, is = -1;
	if (c->db)
		is = db_is_mlflow(c->db, &code);
	if (c->db && is < 0 && code == SQLITE_CANTOPEN && !quiet_wal) {
		/* A WAL database in a folder we cannot write: no -shm can be made. Read the
		 * checkpointed pages without locks; recent changes in the -wal are not seen. */
		sqlite3_close(c->db);
		free(err);
		err = NULL;
		c->immutable = true;
		c->db = db_open(c->path, true, c->busy_ms, &err);
		if (c->db && (is = db_is_mlflow(c->db, &code)) >= 0)
			diag_warn(c->path, 0, "opened without locks (immutable): changes still in the "
			                      "write-ahead log are not read");
	}
	if (!c->db) {
		diag_warn(c->path, 0, "cannot open the database: %s", err);
		free(err);
		return 0;
	}
	if (is < 0) {
		if (code == SQLITE_BUSY || code == SQLITE_LOCKED)
			diag_warn(c->path, 0, "database is locked (waited %d ms for the writer to finish)",
			          c->busy_ms);
		else
			diag_warn(c->path, 0, "cannot read the database: %s", sqlite3_errstr(code));
		return 0;
	}
	if (is == 0) {
		diag_warn(c->path, 0, "an SQLite database without MLflow's runs and experiments tables");
		return 0;
	}
	return 1;
}

static long read_store(const char *path, const struct reader_opts *opts, struct run_sink *sink)
{
	struct ctx c = {0};
	long delivered = -1;
	c.path = path;
	c.opts = opts;
	c.sink = sink;
	c.busy_ms = busy_timeout();
	c.split = jobs_or_cpus(opts->jobs) > 1;
	const char *slash = strrchr(path, '/');
	c.dir = slash ? xstrndup(path, slash == path ? 1 : (size_t)(slash - path)) : xstrdup(".");

	if (!open_store(&c))
		goto out;
	/* DIRECTONLY: triggers and views in the file cannot call it. */
	sqlite3_create_function_v2(c.db, "runsite_point", 5, SQLITE_UTF8 | SQLITE_DIRECTONLY, &c.ps,
	                           sql_point, NULL, NULL, NULL);
	read_schema(&c);
	if (!read_experiments(&c) || !list_runs(&c) || !prepare_run_statements(&c))
		goto out;
	plan_metrics(&c);
	c.direct = direct_open(&c);
	delivered = 0;
	for (size_t i = 0; i < c.nrefs && !c.fatal; i++) {
		if (c.refs[i].skip)
			continue;
		struct run *r = read_run(&c, &c.refs[i]);
		if (!r)
			continue;
		run_finish(r, opts->dec_buckets);
		delivered++;
		if (!sink->run(sink->ctx, r))
			break;
	}
out:
	ctx_free(&c);
	return delivered;
}

const struct reader reader_mlflow_sqlite = {
	.name = FORMAT_NAME,
	.what = "MLflow tracking database in SQLite (mlflow.db, any schema since 2019)",
	.probe = probe,
	.read = read_store,
	.unique_ids = true, /* MLflow run ids are uuids */
};
