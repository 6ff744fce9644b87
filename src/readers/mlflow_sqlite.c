/* mlflow_sqlite.c — reads an MLflow SQL tracking store kept in SQLite
 * (mlflow.db), every schema from 2019 (alembic 7ac759974ad8) to 2026
 * (workspace columns). The file is opened read-only and never written.
 *
 * The whole read is one read transaction with SQLite's normal locking, so it sees
 * one committed state while a server writes, in either journal mode; only a file
 * that cannot change (a read-only mount, or --immutable) is read without locks.
 * In WAL mode SQLite reads through mlflow.db-wal and mlflow.db-shm, creating them
 * when missing, as every SQLite reader does.
 *
 * Runs are delivered one at a time in (experiment_id, start_time, run_uuid)
 * order. A run's metric rows are read either by one rowid-range scan of the
 * metrics table (fast: sequential pages) when the run's rows sit together, as
 * they do when MLflow logs one run at a time, or through the run_uuid index
 * when they are interleaved with other runs' rows. Both are correct for any
 * row order; the choice only changes the speed. Rows reach the model through an
 * SQL function called inside the query, and a large range is read in two halves
 * on two connections and threads at once, both in the same snapshot. Everything
 * but the metrics (experiments, runs, params, tags, inputs, models) is read by
 * mlflow_sql.c through the SQL connection interface, as from a tracking server. */
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
#include <sys/statvfs.h>
#include <unistd.h>

#include "runsite/diag.h"
#include "runsite/fsview.h"
#include "runsite/reader.h"
#include "runsite/util.h"
#include "artifact_walk.h"
#include "mlflow_sql.h"
#include "sqlconn.h"

#define FORMAT_NAME "mlflow-sqlite"
#define BUSY_TIMEOUT_MS 5000     /* how long to wait for a live server's write lock */
#define MAX_ERRORS 20            /* per-run query failures before giving up on the file */
#define MAX_ARTIFACTS 100000     /* files listed per run artifact folder */
#define SPLIT_MIN_ROWS 8192      /* a run's rowid span worth reading on two threads */

static const char sqlite_magic[16] = "SQLite format 3";

/* Where a run's metric rows are, by rowid; indexed as the runs of mlflow_sql. */
struct range {
	bool has_range;     /* it has metric rows, lo..hi by rowid */
	bool use_range;     /* read them by rowid range instead of the run_uuid index */
	sqlite3_int64 lo, hi;
};

/* Where sql_point puts the rows of one metrics query. */
struct point_sink {
	struct run *run;
	struct series *last; /* the series of the previous row */
	struct mlflow_keys keys;
	size_t bad_rows;     /* rows that could not be used */
	size_t rows;         /* rows seen, used or not */
	sqlite3_int64 first, prev; /* rowids of the first row seen and of the latest */
	bool disorder;       /* a rowid not above the one before it */
};

struct ctx {
	const char *path;
	char *dir; /* folder of the database, for relative artifact locations */
	sqlite3 *db;
	const struct reader_opts *opts;
	struct run_sink *sink;
	int busy_ms;
	int errors;
	bool fatal; /* stop reading: locked, or too many errors */

	/* Experiments, runs and the schema, read through the SQL connection interface. */
	struct mlflow_sql m;
	bool has_metrics;
	bool metrics_run_index; /* an index whose first column is metrics.run_uuid */
	bool ranges_known;      /* every run with metric rows has has_range set */
	struct range *ranges;   /* one per run of m */

	sqlite3_stmt *st_mrange, *st_mindex;
	sqlite3_stmt *st_row_from, *st_row_below; /* a run's row nearest a rowid, by the index */
	struct point_sink ps;

	/* A second connection reads the upper half of a large run's rows on another
	 * thread, when there is a second CPU, in the same snapshot as the first. */
	bool immutable; /* opened without locks: the file cannot change */
	bool split;     /* worth trying: more than one CPU */
	char *mrange_sql;
	sqlite3 *db2;   /* NULL: one thread reads */
	sqlite3_stmt *st_mrange2;
	struct point_sink ps2;
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
 * (file format bytes 18 and 19 are 2), 0 when not SQLite, -1 when it cannot be
 * opened (errno set). */
static int has_magic(const char *path)
{
	unsigned char head[20];
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, head, sizeof head);
	close(fd);
	if (n < 16 || memcmp(head, sqlite_magic, sizeof sqlite_magic) != 0)
		return 0;
	return n == (ssize_t)sizeof head && head[18] == 2 && head[19] == 2 ? 2 : 1;
}

/* True for a WAL database that no one has open: it has no -wal file. */
static bool idle_wal(const char *path, int magic)
{
	if (magic != 2)
		return false;
	char *wal = xasprintf("%s-wal", path);
	bool idle = access(wal, F_OK) != 0 && errno == ENOENT;
	free(wal);
	return idle;
}

/* True when path lies on a file system mounted read-only, so the file cannot change. */
static bool on_read_only_fs(const char *path)
{
	struct statvfs v;
	return statvfs(path, &v) == 0 && (v.f_flag & ST_RDONLY);
}

/* Milliseconds to wait for a writer's lock: RUNSITE_BUSY_TIMEOUT_MS (documented in
 * the man page) or the default. */
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

/* True when path's file name is MLflow's default, mlflow.db. */
static bool named_mlflow_db(const char *path)
{
	const char *slash = strrchr(path, '/');
	return strcmp(slash ? slash + 1 : path, "mlflow.db") == 0;
}

static int probe(const char *path)
{
	int magic;
	mode_t type = fsview_mode(path, true);
	if (type == 0)
		return 0;
	/* A file named mlflow.db that is no database (empty, text, a FIFO, unreadable) is
	 * claimed weakly, so reading it says what is wrong with it. */
	if (type != S_IFREG)
		return named_mlflow_db(path) && type != S_IFDIR ? 5 : 0;
	if ((magic = has_magic(path)) <= 0)
		return named_mlflow_db(path) ? 5 : 0;
	/* Without a -wal file no writer has the database open: opened immutable, the probe
	 * creates no -wal and -shm files. It only decides whose file this is; the read
	 * itself takes SQLite's locks. */
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
static void ctx_free(struct ctx *c)
{
	if (c->m.db)
		c->m.db->ops->close(c->m.db);
	mlflow_sql_free(&c->m);
	free(c->ranges);
	sqlite3_finalize(c->st_mrange);
	sqlite3_finalize(c->st_mindex);
	sqlite3_finalize(c->st_row_from);
	sqlite3_finalize(c->st_row_below);
	free(c->ps.keys.slot);
	free(c->ps2.keys.slot);
	free(c->dir);
	free(c->mrange_sql);
	sqlite3_finalize(c->st_mrange2);
	sqlite3_close(c->db2);
	sqlite3_close(c->db);
}

/* Reports a failed statement of mlflow_sql.c as any other SQLite error (db_warn);
 * returns 0 when the read must stop. */
static int sql_failed(struct mlflow_sql *m, const char *what)
{
	struct ctx *c = m->owner;
	db_warn_code(c, sqlconn_sqlite_code(m->db), m->db->error, what);
	return !c->fatal;
}

/* Reads which tables and columns exist (names compared without case, as SQLite does). */
static int read_schema(struct ctx *c)
{
	/* Only MLflow's tables: another table's odd definition (a virtual table
	 * of a module not loaded here) must not stop the read. */
	if (!mlflow_sql_read_columns(&c->m, "SELECT m.name, p.name FROM sqlite_master m "
	                                    "JOIN pragma_table_info(m.name) p "
	                                    "WHERE m.type = 'table' AND lower(m.name) IN "
	                                    "('experiments', 'experiment_tags', 'runs', 'params', "
	                                    "'tags', 'metrics', 'datasets', 'inputs', "
	                                    "'input_tags', 'logged_models', 'model_versions')"))
		return 0;
	c->has_metrics = mlflow_sql_has_table(&c->m, "metrics");
	c->metrics_run_index = c->has_metrics && find_run_index(c);
	return 1;
}

/* A run by its index into the runs of mlflow_sql and its range, for sorting. */
struct run_at {
	const char *id;
	struct range *rg;
};

static int cmp_at_id(const void *a, const void *b)
{
	return strcmp(((const struct run_at *)a)->id, ((const struct run_at *)b)->id);
}

static int cmp_at_lo(const void *a, const void *b)
{
	const struct range *x = ((const struct run_at *)a)->rg, *y = ((const struct run_at *)b)->rg;
	return (x->lo > y->lo) - (x->lo < y->lo);
}

/* Finds each run's first and last metric rowid: two index seeks per run when metrics
 * has a run_uuid index, else one grouped scan. Sets ranges_known when it got through. */
static void find_ranges(struct ctx *c, struct run_at *by_id, size_t n)
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
		for (size_t i = 0; rc == SQLITE_DONE && i < n; i++) {
			struct range *ref = by_id[i].rg;
			sqlite3_reset(lo);
			sqlite3_reset(hi);
			sqlite3_bind_text(lo, 1, by_id[i].id, -1, SQLITE_STATIC);
			sqlite3_bind_text(hi, 1, by_id[i].id, -1, SQLITE_STATIC);
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
		struct run_at key = {(const char *)id, NULL};
		struct run_at *hit = bsearch(&key, by_id, n, sizeof *by_id, cmp_at_id);
		if (hit) {
			hit->rg->lo = sqlite3_column_int64(st, 1);
			hit->rg->hi = sqlite3_column_int64(st, 2);
			hit->rg->has_range = true;
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
	size_t nruns = c->m.nruns;
	c->ranges = xcalloc(nruns ? nruns : 1, sizeof *c->ranges);
	if (!c->has_metrics || nruns == 0)
		return;
	struct run_at *v = xreallocarray(NULL, nruns, sizeof *v);
	for (size_t i = 0; i < nruns; i++)
		v[i] = (struct run_at){c->m.runs[i].col[MS_ID], &c->ranges[i]};
	qsort(v, nruns, sizeof *v, cmp_at_id);
	find_ranges(c, v, nruns);

	size_t n = 0;
	for (size_t i = 0; i < nruns; i++)
		if (c->ranges[i].has_range)
			v[n++] = (struct run_at){c->m.runs[i].col[MS_ID], &c->ranges[i]};
	qsort(v, n, sizeof *v, cmp_at_lo);
	sqlite3_stmt *count = NULL;
	if (c->metrics_run_index)
		count = prepare(c, "SELECT count(*) FROM metrics WHERE run_uuid = ?1");
	sqlite3_int64 maxhi = INT64_MIN;
	for (size_t i = 0; i < n; i++) {
		struct range *r = v[i].rg;
		bool overlap = r->lo <= maxhi || (i + 1 < n && v[i + 1].rg->lo <= r->hi);
		if (r->hi > maxhi)
			maxhi = r->hi;
		r->use_range = true;
		/* Without an index there is nothing better than the filtered range. */
		if (!overlap || !count)
			continue;
		sqlite3_reset(count);
		sqlite3_bind_text(count, 1, v[i].id, -1, SQLITE_STATIC);
		if (sqlite3_step(count) == SQLITE_ROW) {
			double own = (double)sqlite3_column_int64(count, 0);
			double span = (double)r->hi - (double)r->lo + 1;
			r->use_range = own * 4 >= span;
		}
	}
	sqlite3_finalize(count);
	free(v);
}

/* Prepares the metrics statements (the other per-run queries are mlflow_sql.c's). */
static void prepare_metric_statements(struct ctx *c)
{
	struct buf sql = BUF_INIT;
	if (c->has_metrics) {
		/* Before 2019 (alembic 451aebb31d03, 181f10493468) there was no step or is_nan.
		 * The unary + keeps the planner from answering the range query through the
		 * run_uuid index, a random table lookup per row. */
		const char *args = xasprintf("key, value, timestamp, %s, %s",
		                             mlflow_sql_col_or(&c->m, "metrics", "step", "0"),
		                             mlflow_sql_col_or(&c->m, "metrics", "is_nan", "0"));
		buf_printf(&sql,
		           "SELECT count(runsite_point(rowid, %s)) FROM metrics "
		           "WHERE rowid BETWEEN ?2 AND ?3 AND +run_uuid = ?1",
		           args);
		c->st_mrange = prepare(c, buf_cstr(&sql)); /* NULL for a WITHOUT ROWID table */
		c->mrange_sql = xstrdup(buf_cstr(&sql));
		buf_reset(&sql);
		buf_printf(&sql,
		           "SELECT count(runsite_point(rowid, %s)) FROM metrics WHERE run_uuid = ?1",
		           args);
		free((char *)args);
		c->st_mindex = prepare(c, buf_cstr(&sql));
		if (!c->st_mindex)
			db_warn(c, "metrics");
		if (c->metrics_run_index) {
			c->st_row_from = prepare(c, "SELECT rowid FROM metrics WHERE run_uuid = ?1 "
			                            "AND rowid >= ?2 ORDER BY rowid LIMIT 1");
			c->st_row_below = prepare(c, "SELECT rowid FROM metrics WHERE run_uuid = ?1 "
			                             "AND rowid < ?2 ORDER BY rowid DESC LIMIT 1");
		}
	}
	buf_free(&sql);
}

/* SQL function runsite_point(rowid, key, value, timestamp, step, is_nan): adds one
 * metric row to the point sink's run. Rows go through a function inside the query
 * rather than out through sqlite3_step and the column API, which is most of the cost
 * of a scan. The rowids seen are kept to check the scan (range_whole). */
static void sql_point(sqlite3_context *fx, int argc, sqlite3_value **argv)
{
	struct point_sink *ps = sqlite3_user_data(fx);
	struct run *r = ps->run;
	if (!r || argc != 6)
		return;
	sqlite3_int64 rowid = sqlite3_value_int64(argv[0]);
	if (ps->rows++ == 0)
		ps->first = rowid;
	else if (rowid <= ps->prev)
		ps->disorder = true;
	ps->prev = rowid;
	argv++;
	const char *key = (const char *)sqlite3_value_text(argv[0]);
	if (!key) {
		ps->bad_rows++;
		return;
	}
	size_t klen = (size_t)sqlite3_value_bytes(argv[0]);
	if (memchr(key, '\0', klen)) {
		ps->bad_rows++; /* a key no C string can hold */
		return;
	}
	struct series *s = ps->last;
	if (!s || strncmp(s->key, key, klen) != 0 || s->key[klen] != '\0')
		s = ps->last = mlflow_keys_series(&ps->keys, r, key, klen);
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
	mlflow_keys_reset(&ps->keys);
	ps->run = r;
	ps->last = NULL;
	ps->rows = 0;
	ps->disorder = false;
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

/* Makes the second connection ready for half reads once; false when there is none. */
static bool second_connection(struct ctx *c)
{
	if (c->st_mrange2)
		return true;
	if (!c->db2 || !c->mrange_sql)
		return false;
	if (sqlite3_create_function_v2(c->db2, "runsite_point", 6, SQLITE_UTF8 | SQLITE_DIRECTONLY,
	                               &c->ps2, sql_point, NULL, NULL, NULL) == SQLITE_OK &&
	    sqlite3_prepare_v2(c->db2, c->mrange_sql, -1, &c->st_mrange2, NULL) == SQLITE_OK)
		return true;
	sqlite3_finalize(c->st_mrange2);
	c->st_mrange2 = NULL;
	sqlite3_close(c->db2);
	c->db2 = NULL;
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
		struct series *s = mlflow_keys_series(&c->ps.keys, r, u->key, strlen(u->key));
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

/* The rowid of run id's row nearest at (st_row_from: the first at or above it;
 * st_row_below: the last below it) into *rowid; 0 when there is none or it cannot be
 * had. */
static int row_near(sqlite3_stmt *st, const char *id, sqlite3_int64 at, sqlite3_int64 *rowid)
{
	if (!st)
		return 0;
	sqlite3_reset(st);
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, at);
	int ok = sqlite3_step(st) == SQLITE_ROW;
	if (ok)
		*rowid = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return ok;
}

/* Whether a range scan saw the run's rows from first to last with rising rowids, as
 * the run_uuid index (or a scan) placed them. A damaged table page can end SQLite's
 * range scan early, or put rows out of order, without an error; this notices it. */
static bool range_whole(const struct point_sink *ps, sqlite3_int64 first, sqlite3_int64 last)
{
	return ps->rows > 0 && !ps->disorder && ps->first == first && ps->prev == last;
}

static void range_damaged(struct ctx *c, const struct run *r, sqlite3_int64 first,
                          sqlite3_int64 last)
{
	diag_warn(c->path, 0, "run %s: metric rows %lld to %lld were not all read in order: the "
	                      "metrics table is damaged (PRAGMA integrity_check shows where)",
	          r->id, (long long)first, (long long)last);
}

/* Reads a range-planned run's rows; a large range is split in two halves read at the
 * same time, the upper one on the second connection. The halves meet at one of the
 * run's own rows (m1, the first at or above the middle; m0 the one before it), so
 * each half knows where its rows must start and end. Points of one key stay in
 * rowid order, as the halves are joined lower first. */
static void read_metric_range(struct ctx *c, struct run *r, const struct range *ref)
{
	char *err = NULL;
	int rc;
	sqlite3_int64 m0, m1;
	if (ref->hi - ref->lo >= SPLIT_MIN_ROWS &&
	    row_near(c->st_row_from, r->id, ref->lo + (ref->hi - ref->lo) / 2 + 1, &m1) &&
	    m1 > ref->lo && m1 <= ref->hi && row_near(c->st_row_below, r->id, m1, &m0) &&
	    m0 >= ref->lo && second_connection(c)) {
		struct half_job j = {c, run_new(FORMAT_NAME, NULL), m1, ref->hi, SQLITE_DONE, NULL};
		j.part->id = xstrdup(r->id);
		pthread_t worker;
		if (pthread_create(&worker, NULL, half_worker, &j) == 0) {
			sqlite3_bind_text(c->st_mrange, 1, r->id, -1, SQLITE_STATIC);
			sqlite3_bind_int64(c->st_mrange, 2, ref->lo);
			sqlite3_bind_int64(c->st_mrange, 3, m1 - 1);
			c->ps.bad_rows = c->ps2.bad_rows = 0;
			rc = read_metric_rows(c->st_mrange, &c->ps, r, &err);
			pthread_join(worker, NULL);
			metrics_report(c, r, rc, err);
			metrics_report(c, r, j.rc, j.err);
			if (rc == SQLITE_DONE && j.rc == SQLITE_DONE &&
			    (!range_whole(&c->ps, ref->lo, m0) || !range_whole(&c->ps2, m1, ref->hi)))
				range_damaged(c, r, ref->lo, ref->hi);
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
	if (rc == SQLITE_DONE && !range_whole(&c->ps, ref->lo, ref->hi))
		range_damaged(c, r, ref->lo, ref->hi);
}

/* Reads the run's metrics by its rowid range or the run_uuid index, as planned. */
static void read_metrics(struct ctx *c, struct run *r, const struct range *ref)
{
	if (!c->has_metrics || (c->ranges_known && !ref->has_range))
		return; /* the run has no metric rows */
	if (ref->has_range && ref->use_range && c->st_mrange) {
		c->ps.bad_rows = 0;
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

/* Lists the run's artifacts when its artifact URI is a folder on this machine. */
static void read_artifacts(struct ctx *c, struct run *r, const char *uri)
{
	if (!uri || !*uri)
		return;
	char *dir = artifact_dir(c, uri);
	struct stat sb;
	if (dir && stat(dir, &sb) == 0 && S_ISDIR(sb.st_mode)) {
		artifact_walk(r, dir, MAX_ARTIFACTS, NULL, c->path);
		if (r->nartifacts && !r->artifact_dir) {
			r->artifact_dir = dir;
			dir = NULL;
		}
	}
	free(dir);
}

/* Reads run i of the list completely. Returns NULL when the read must stop. */
static struct run *read_run(struct ctx *c, size_t i)
{
	const struct mlflow_run_row *row = &c->m.runs[i];
	struct run *r = mlflow_sql_run_start(&c->m, row);
	if (!r)
		return NULL;
	read_metrics(c, r, &c->ranges[i]);
	if (!mlflow_sql_run_finish(&c->m, r)) {
		run_free(r);
		return NULL;
	}
	read_artifacts(c, r, row->col[MS_URI] && *row->col[MS_URI] ? row->col[MS_URI] : NULL);
	return r;
}

/* The kind of file that is not a regular one, for messages. */
static const char *file_kind(mode_t m)
{
	return S_ISDIR(m) ? "a folder" : S_ISFIFO(m) ? "a FIFO (named pipe)" : S_ISSOCK(m) ? "a socket"
	       : S_ISCHR(m) || S_ISBLK(m) ? "a device" : "not a regular file";
}

/* PRAGMA data_version of db: it changes when another connection commits. Returns 0
 * when it cannot be read. */
static int data_version(sqlite3 *db, sqlite3_int64 *v)
{
	sqlite3_stmt *st = NULL;
	int ok = sqlite3_prepare_v2(db, "PRAGMA data_version", -1, &st, NULL) == SQLITE_OK &&
	         sqlite3_step(st) == SQLITE_ROW;
	if (ok)
		*v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return ok;
}

/* Starts the read transaction of the second connection so that it sees the very
 * snapshot of the first. Its data_version, read before the first connection's
 * snapshot began (v0) and again once its own has, is unchanged only when no one
 * committed in between. Otherwise, or when a writer's lock is in the way (it does
 * not wait: in rollback-journal mode a writer waiting for our shared lock would
 * wait for it in turn), the second connection is dropped and one thread reads. */
static void second_snapshot(struct ctx *c, sqlite3_int64 v0)
{
	sqlite3_int64 v;
	if (!c->db2)
		return;
	if (sqlite3_exec(c->db2, "BEGIN", NULL, NULL, NULL) != SQLITE_OK ||
	    !data_version(c->db2, &v) || v != v0) {
		sqlite3_close(c->db2);
		c->db2 = NULL;
	}
}

/* Opens the store and starts the one read transaction the whole read is made in,
 * so what is read is one committed state whatever a writer does meanwhile. Reports
 * why when the store cannot be read. Returns 1 with c->db set, or 0. */
static int open_store(struct ctx *c)
{
	struct stat sb;
	if (stat(c->path, &sb) != 0) {
		diag_warn(c->path, 0, "cannot open: %s", strerror(errno));
		return 0;
	}
	if (!S_ISREG(sb.st_mode)) {
		diag_warn(c->path, 0, "%s, not an SQLite database file", file_kind(sb.st_mode));
		return 0;
	}
	int magic = has_magic(c->path);
	if (magic < 0) {
		diag_warn(c->path, 0, "cannot open: %s", strerror(errno));
		return 0;
	}
	if (magic == 0) {
		if (sb.st_size == 0)
			diag_warn(c->path, 0, "empty file, not an SQLite database");
		else
			diag_warn(c->path, 0, "not an SQLite database (no \"SQLite format 3\" header)");
		return 0;
	}
	/* Without locks only when the file cannot change. */
	c->immutable = c->opts->immutable || on_read_only_fs(c->path);
	char *err = NULL;
	sqlite3_int64 v0 = 0;
	if (c->split) {
		c->db2 = db_open(c->path, c->immutable, 0, &err);
		if (c->db2 && !data_version(c->db2, &v0)) {
			sqlite3_close(c->db2);
			c->db2 = NULL;
		}
		free(err);
		err = NULL;
	}
	c->db = db_open(c->path, c->immutable, c->busy_ms, &err);
	int code = SQLITE_OK, is = -1;
	if (c->db) {
		sqlite3_exec(c->db, "BEGIN", NULL, NULL, NULL);
		is = db_is_mlflow(c->db, &code);
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
		else if (magic == 2 && (code == SQLITE_CANTOPEN || (code & 0xff) == SQLITE_READONLY))
			diag_warn(c->path, 0, "cannot read the database: %s (a WAL database needs its "
			                      "-shm file, which cannot be made here; if nothing writes "
			                      "to it, read it with --immutable)",
			          sqlite3_errstr(code));
		else
			diag_warn(c->path, 0, "cannot read the database: %s", sqlite3_errstr(code));
		return 0;
	}
	if (is == 0) {
		diag_warn(c->path, 0, "an SQLite database without MLflow's runs and experiments tables");
		return 0;
	}
	second_snapshot(c, v0);
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
	sqlite3_create_function_v2(c.db, "runsite_point", 6, SQLITE_UTF8 | SQLITE_DIRECTONLY, &c.ps,
	                           sql_point, NULL, NULL, NULL);
	c.m.db = sqlconn_sqlite_wrap(c.db);
	c.m.path = path;
	c.m.format = FORMAT_NAME;
	c.m.opts = opts;
	c.m.sink = sink;
	c.m.failed = sql_failed;
	c.m.owner = &c;
	c.m.key = "key";
	if (!read_schema(&c))
		goto out;
	if (!c.has_metrics)
		diag_warn(path, 0, "no metrics table: runs are listed without their metrics");
	if (!mlflow_sql_experiments(&c.m) || !mlflow_sql_list_runs(&c.m))
		goto out;
	prepare_metric_statements(&c);
	plan_metrics(&c);
	delivered = 0;
	for (size_t i = 0; i < c.m.nruns && !c.fatal; i++) {
		struct run *r = read_run(&c, i);
		if (!r)
			break;
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
