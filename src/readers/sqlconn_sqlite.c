/* sqlconn_sqlite.c — the SQL connection interface on an SQLite connection the
 * SQLite reader has opened (and keeps: closing this leaves it open). SQLite
 * takes $1 as a parameter name itself. Statements are prepared once and kept,
 * as the same per-run statements run for every run. */
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "runsite/util.h"
#include "sqlconn.h"

#define MAX_STATEMENTS 16

struct liteconn {
	struct sqlconn base;
	sqlite3 *db;
	struct {
		char *sql;
		sqlite3_stmt *st;
	} cache[MAX_STATEMENTS];
	int ncache;
	sqlite3_stmt *cur; /* the query being read */
	int code;          /* SQLite's code of the last failure */
};

static void lite_fail(struct liteconn *l, int code)
{
	l->code = code;
	sqlconn_set_error(&l->base,
	                  code == SQLITE_BUSY || code == SQLITE_LOCKED ? SQL_TIMEOUT : SQL_QUERY,
	                  sqlite3_errmsg(l->db));
}

static void lite_end(struct sqlconn *c)
{
	struct liteconn *l = (struct liteconn *)c;
	if (l->cur)
		sqlite3_reset(l->cur);
	l->cur = NULL;
}

static int lite_query(struct sqlconn *c, const char *sql, const char *param, const char *stream)
{
	struct liteconn *l = (struct liteconn *)c;
	lite_end(c);
	sqlite3_stmt *st = NULL;
	for (int i = 0; i < l->ncache && !st; i++)
		if (strcmp(l->cache[i].sql, sql) == 0)
			st = l->cache[i].st;
	if (!st) {
		int rc = sqlite3_prepare_v2(l->db, sql, -1, &st, NULL);
		if (rc != SQLITE_OK) {
			sqlite3_finalize(st);
			lite_fail(l, rc);
			return 0;
		}
		if (l->ncache < MAX_STATEMENTS) {
			l->cache[l->ncache].sql = xstrdup(sql);
			l->cache[l->ncache++].st = st;
		} else {
			sqlite3_finalize(l->cache[0].st); /* the oldest goes */
			free(l->cache[0].sql);
			memmove(l->cache, l->cache + 1, (MAX_STATEMENTS - 1) * sizeof *l->cache);
			l->cache[MAX_STATEMENTS - 1].sql = xstrdup(sql);
			l->cache[MAX_STATEMENTS - 1].st = st;
		}
	}
	if (param)
		sqlite3_bind_text(st, 1, param, -1, SQLITE_TRANSIENT);
	l->cur = st;
	return 1;
}

static int lite_next(struct sqlconn *c)
{
	struct liteconn *l = (struct liteconn *)c;
	if (!l->cur)
		return 0;
	int rc = sqlite3_step(l->cur);
	if (rc == SQLITE_ROW)
		return 1;
	if (rc != SQLITE_DONE)
		lite_fail(l, rc);
	lite_end(c);
	return rc == SQLITE_DONE ? 0 : -1;
}

static const char *lite_text(struct sqlconn *c, int i)
{
	struct liteconn *l = (struct liteconn *)c;
	return l->cur ? (const char *)sqlite3_column_text(l->cur, i) : NULL;
}

static bool lite_is_null(struct sqlconn *c, int i)
{
	struct liteconn *l = (struct liteconn *)c;
	return !l->cur || sqlite3_column_type(l->cur, i) == SQLITE_NULL;
}

static void lite_close(struct sqlconn *c)
{
	struct liteconn *l = (struct liteconn *)c;
	lite_end(c);
	for (int i = 0; i < l->ncache; i++) {
		sqlite3_finalize(l->cache[i].st);
		free(l->cache[i].sql);
	}
	free(c->error);
	free(c->server_version);
	free(l);
}

static const struct sqlconn_ops lite_ops = {
	lite_query, lite_next, lite_text, sqlconn_text_real, sqlconn_text_integer, sqlconn_text_flag,
	lite_is_null, lite_end, lite_close,
};

struct sqlconn *sqlconn_sqlite_wrap(struct sqlite3 *db)
{
	struct liteconn *l = xcalloc(1, sizeof *l);
	l->db = db;
	l->base.ops = &lite_ops;
	l->base.dialect = "sqlite";
	l->base.server_version = xstrdup(sqlite3_libversion());
	return &l->base;
}

int sqlconn_sqlite_code(const struct sqlconn *c)
{
	return ((const struct liteconn *)c)->code;
}
