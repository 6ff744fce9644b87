/* sqlconn_pg.c — the SQL connection interface on libpq (PostgreSQL).
 * libpq reads the URL itself, and with it PGPASSWORD, ~/.pgpass, PGSSLMODE
 * and its other usual variables. A streamed query uses single-row mode. */
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runsite/util.h"
#include "sqlconn.h"

struct pgconn {
	struct sqlconn base;
	PGconn *pg;
	PGresult *res;  /* the rows being read */
	int row, nrows; /* the current row of res; nrows -1 when single-row mode gives one at a time */
	bool stream, done;
};

/* The first line of a libpq message, without "ERROR:  " and the trailing newline. */
static char *one_line(const char *msg)
{
	if (!msg || !*msg)
		return xstrdup("unknown error");
	if (str_starts(msg, "ERROR:  ") || str_starts(msg, "FATAL:  "))
		msg += 8;
	size_t n = strcspn(msg, "\n");
	return xstrndup(msg, n);
}

/* Why a connection attempt failed, from the text libpq gives (it has no code
 * for it): the server's refusal of a user is an authentication failure. */
static enum sql_fail connect_fail(const char *msg)
{
	static const char *const auth[] = {
		"password authentication failed", "no password supplied", "authentication failed",
		"does not exist",                  /* role or database */
		"no pg_hba.conf entry", "permission denied for database",
	};
	for (size_t i = 0; i < sizeof auth / sizeof *auth; i++)
		if (msg && strstr(msg, auth[i]))
			return SQL_AUTH;
	return SQL_CONNECT;
}

/* Why a statement failed, from its SQLSTATE and the connection's state. */
static enum sql_fail result_fail(PGconn *pg, const PGresult *res)
{
	if (PQstatus(pg) == CONNECTION_BAD)
		return SQL_LOST;
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	if (!state)
		return SQL_LOST; /* no result at all: the connection broke */
	if (strcmp(state, "57014") == 0)
		return SQL_TIMEOUT; /* query_canceled: statement_timeout */
	if (strcmp(state, "55P03") == 0)
		return SQL_TIMEOUT; /* lock_not_available: lock_timeout */
	if (str_starts(state, "57P") || str_starts(state, "08"))
		return SQL_LOST; /* server shutting down, connection exceptions */
	return SQL_QUERY;
}

static void pg_drop(struct pgconn *p)
{
	PQclear(p->res);
	p->res = NULL;
	if (!p->done) {
		/* Read out what is left so the connection can take the next query. */
		PGresult *r;
		while ((r = PQgetResult(p->pg)) != NULL)
			PQclear(r);
	}
	p->done = true;
}

static int pg_query(struct sqlconn *c, const char *sql, const char *param, bool stream)
{
	struct pgconn *p = (struct pgconn *)c;
	pg_drop(p);
	int ok = param ? PQsendQueryParams(p->pg, sql, 1, NULL, &param, NULL, NULL, 0)
	               : PQsendQueryParams(p->pg, sql, 0, NULL, NULL, NULL, NULL, 0);
	if (!ok) {
		char *msg = one_line(PQerrorMessage(p->pg));
		sqlconn_set_error(c, PQstatus(p->pg) == CONNECTION_BAD ? SQL_LOST : SQL_QUERY, msg);
		free(msg);
		return 0;
	}
	p->stream = stream && PQsetSingleRowMode(p->pg);
	p->done = false;
	p->row = p->nrows = 0;
	return 1;
}

static int pg_next(struct sqlconn *c)
{
	struct pgconn *p = (struct pgconn *)c;
	if (p->res && ++p->row < p->nrows)
		return 1;
	if (p->done)
		return 0;
	PQclear(p->res);
	p->res = PQgetResult(p->pg);
	if (!p->res && PQstatus(p->pg) == CONNECTION_OK) {
		p->done = true; /* the query's results are all read */
		return 0;
	}
	ExecStatusType st = p->res ? PQresultStatus(p->res) : PGRES_FATAL_ERROR;
	if (st == PGRES_SINGLE_TUPLE || (st == PGRES_TUPLES_OK && PQntuples(p->res) > 0)) {
		p->row = 0;
		p->nrows = PQntuples(p->res);
		return 1;
	}
	if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK) {
		pg_drop(p);
		return 0;
	}
	enum sql_fail f = result_fail(p->pg, p->res);
	char *msg = one_line(p->res ? PQresultErrorMessage(p->res) : PQerrorMessage(p->pg));
	if (!*msg || strcmp(msg, "unknown error") == 0) {
		free(msg);
		msg = one_line(PQerrorMessage(p->pg));
	}
	sqlconn_set_error(c, f, msg);
	free(msg);
	if (f == SQL_LOST)
		p->done = true; /* nothing more will come */
	pg_drop(p);
	return -1;
}

static const char *pg_text(struct sqlconn *c, int i)
{
	struct pgconn *p = (struct pgconn *)c;
	if (!p->res || i >= PQnfields(p->res) || PQgetisnull(p->res, p->row, i))
		return NULL;
	return PQgetvalue(p->res, p->row, i);
}

static void pg_end(struct sqlconn *c)
{
	pg_drop((struct pgconn *)c);
}

static void pg_close(struct sqlconn *c)
{
	struct pgconn *p = (struct pgconn *)c;
	PQclear(p->res);
	PQfinish(p->pg);
	free(c->error);
	free(c->server_version);
	free(p);
}

static const struct sqlconn_ops pg_ops = {pg_query, pg_next, pg_text, pg_end, pg_close};

struct sqlconn *sqlconn_pg_open(const struct sql_target *t, enum sql_fail *fail, char **error)
{
	const char *keys[6], *vals[6];
	int n = 0;
	keys[n] = "dbname", vals[n++] = t->pg_conninfo; /* the URL, expanded by libpq */
	if (t->password)
		keys[n] = "password", vals[n++] = t->password;
	keys[n] = "fallback_application_name", vals[n++] = "runsite";
	if (!getenv("PGCONNECT_TIMEOUT"))
		keys[n] = "connect_timeout", vals[n++] = "10";
	keys[n] = NULL, vals[n] = NULL;
	PGconn *pg = PQconnectdbParams(keys, vals, 1);
	if (!pg || PQstatus(pg) != CONNECTION_OK) {
		const char *msg = pg ? PQerrorMessage(pg) : "out of memory";
		/* libpq's message starts "connection to server at ... failed: "; the
		 * reason follows it. */
		const char *why = strstr(msg, "failed: ");
		*error = one_line(why ? why + 8 : msg);
		*fail = connect_fail(msg);
		PQfinish(pg);
		return NULL;
	}
	struct pgconn *p = xcalloc(1, sizeof *p);
	p->pg = pg;
	p->done = true;
	p->base.ops = &pg_ops;
	p->base.dialect = "postgresql";
	p->base.server_version = xasprintf("PostgreSQL %d", PQserverVersion(pg));
	if (t->statement_timeout > 0) {
		char *sql = xasprintf("SET statement_timeout = %.0f", t->statement_timeout * 1000);
		PGresult *r = PQexec(pg, sql);
		free(sql);
		PQclear(r);
	}
	return &p->base;
}
