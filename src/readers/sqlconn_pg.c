/* sqlconn_pg.c — the SQL connection interface on libpq (PostgreSQL).
 * libpq reads the URL itself, and with it PGPASSWORD, ~/.pgpass, PGSSLMODE
 * and its other usual variables. A streamed query is a binary COPY of the
 * query's rows: no per-row result objects, and no numbers printed by the
 * server and parsed back here. */
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runsite/util.h"
#include "sqlconn.h"

/* libpq's functions, looked up when the first store on its server is read
 * (lib_ready); each name below stands for its pointer in pqlib. */
#define PQ_FUNCS(X) \
	X(PQclear) X(PQconnectdbParams) X(PQerrorMessage) X(PQescapeLiteral) X(PQexec) X(PQfinish) \
	X(PQfreemem) X(PQgetCopyData) X(PQgetResult) X(PQgetisnull) X(PQgetvalue) X(PQnfields) \
	X(PQntuples) X(PQresultErrorField) X(PQresultErrorMessage) X(PQresultStatus) \
	X(PQsendQuery) X(PQsendQueryParams) X(PQserverVersion) X(PQstatus)
static struct {
	PQ_FUNCS(LIB_SLOT)
} pqlib;
#define PQ_ADDR(f) LIB_ADDR(pqlib, f)
static struct lazy_lib pq = LAZY_LIB("libpq.so.5", PQ_FUNCS(LIB_NAME), PQ_FUNCS(PQ_ADDR));

#define PQclear pqlib.PQclear
#define PQconnectdbParams pqlib.PQconnectdbParams
#define PQerrorMessage pqlib.PQerrorMessage
#define PQescapeLiteral pqlib.PQescapeLiteral
#define PQexec pqlib.PQexec
#define PQfinish pqlib.PQfinish
#define PQfreemem pqlib.PQfreemem
#define PQgetCopyData pqlib.PQgetCopyData
#define PQgetResult pqlib.PQgetResult
#define PQgetisnull pqlib.PQgetisnull
#define PQgetvalue pqlib.PQgetvalue
#define PQnfields pqlib.PQnfields
#define PQntuples pqlib.PQntuples
#define PQresultErrorField pqlib.PQresultErrorField
#define PQresultErrorMessage pqlib.PQresultErrorMessage
#define PQresultStatus pqlib.PQresultStatus
#define PQsendQuery pqlib.PQsendQuery
#define PQsendQueryParams pqlib.PQsendQueryParams
#define PQserverVersion pqlib.PQserverVersion
#define PQstatus pqlib.PQstatus

#define MAX_STREAM_COLS 24

struct pgconn {
	struct sqlconn base;
	PGconn *pg;
	PGresult *res;  /* the rows being read */
	int row, nrows; /* the current row of res */
	bool done;      /* every result of the query has been taken */

	/* A streamed query: COPY (query) TO STDOUT in binary, one row per message. */
	bool copying;
	bool header_seen;
	int ncols;
	char kinds[MAX_STREAM_COLS];
	char *msg; /* the current row's message (libpq's, PQfreemem) */
	const unsigned char *field[MAX_STREAM_COLS];
	int32_t flen[MAX_STREAM_COLS]; /* -1: NULL */
	char *text[MAX_STREAM_COLS];   /* the text columns, NUL-terminated copies */
	size_t textcap[MAX_STREAM_COLS];
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

/* Ends a binary COPY: reads what is left of its rows (unless ended, the last
 * PQgetCopyData result: -1 the end, -2 a failure) and its final result.
 * Returns 1 when it ended well, 0 with the failure recorded. */
static int copy_finish(struct pgconn *p, int ended)
{
	PQfreemem(p->msg);
	p->msg = NULL;
	if (!p->copying)
		return 1;
	p->copying = false;
	int ok = 1, n = ended;
	char *buf;
	while (n >= 0 && (n = PQgetCopyData(p->pg, &buf, 0)) > 0)
		PQfreemem(buf);
	if (n == -2) {
		char *msg = one_line(PQerrorMessage(p->pg));
		sqlconn_set_error(&p->base, PQstatus(p->pg) == CONNECTION_BAD ? SQL_LOST : SQL_QUERY, msg);
		free(msg);
		ok = 0;
	}
	PGresult *r;
	while ((r = PQgetResult(p->pg)) != NULL) {
		if (ok && PQresultStatus(r) != PGRES_COMMAND_OK) {
			char *msg = one_line(PQresultErrorMessage(r));
			sqlconn_set_error(&p->base, result_fail(p->pg, r), msg);
			free(msg);
			ok = 0;
		}
		PQclear(r);
	}
	if (ok && PQstatus(p->pg) == CONNECTION_BAD) {
		char *msg = one_line(PQerrorMessage(p->pg));
		sqlconn_set_error(&p->base, SQL_LOST, msg);
		free(msg);
		ok = 0;
	}
	p->done = true;
	return ok;
}

static void pg_drop(struct pgconn *p)
{
	copy_finish(p, 0);
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

/* Starts COPY (sql, $1 as a quoted literal) TO STDOUT in binary. */
static int copy_start(struct pgconn *p, const char *sql, const char *param, const char *kinds)
{
	size_t ncols = strlen(kinds);
	if (ncols > MAX_STREAM_COLS) {
		sqlconn_set_error(&p->base, SQL_QUERY, "too many columns to stream");
		return 0;
	}
	struct buf q = BUF_INIT;
	buf_puts(&q, "COPY (");
	const char *mark = param ? strstr(sql, "$1") : NULL;
	if (mark) {
		char *lit = PQescapeLiteral(p->pg, param, strlen(param));
		if (!lit) {
			char *msg = one_line(PQerrorMessage(p->pg));
			sqlconn_set_error(&p->base, SQL_QUERY, msg);
			free(msg);
			buf_free(&q);
			return 0;
		}
		buf_put(&q, sql, (size_t)(mark - sql));
		buf_puts(&q, lit);
		buf_puts(&q, mark + 2);
		PQfreemem(lit);
	} else {
		buf_puts(&q, sql);
	}
	buf_puts(&q, ") TO STDOUT (FORMAT binary)");
	int sent = PQsendQuery(p->pg, buf_cstr(&q));
	buf_free(&q);
	p->done = false;
	PGresult *r = sent ? PQgetResult(p->pg) : NULL;
	if (r && PQresultStatus(r) == PGRES_COPY_OUT) {
		PQclear(r);
		p->copying = true;
		p->header_seen = false;
		p->ncols = (int)ncols;
		memcpy(p->kinds, kinds, ncols);
		return 1;
	}
	char *msg = one_line(r ? PQresultErrorMessage(r) : PQerrorMessage(p->pg));
	sqlconn_set_error(&p->base, result_fail(p->pg, r), msg);
	free(msg);
	PQclear(r);
	pg_drop(p);
	return 0;
}

static uint32_t be32(const unsigned char *b)
{
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

static uint64_t be64(const unsigned char *b)
{
	return (uint64_t)be32(b) << 32 | be32(b + 4);
}

/* The next row of a binary COPY: 1 a row, 0 the end, -1 a failure. */
static int copy_next(struct pgconn *p)
{
	static const unsigned char signature[11] = "PGCOPY\n\377\r\n";
	PQfreemem(p->msg);
	p->msg = NULL;
	int n = PQgetCopyData(p->pg, &p->msg, 0);
	if (n < 0)
		return copy_finish(p, n) ? 0 : -1;
	const unsigned char *b = (const unsigned char *)p->msg, *e = b + n;
	if (!p->header_seen) {
		if (e - b < 19 || memcmp(b, signature, sizeof signature) != 0)
			goto bad;
		uint32_t ext = be32(b + 15);
		if ((size_t)(e - b) < 19 + (size_t)ext)
			goto bad;
		b += 19 + ext;
		p->header_seen = true;
	}
	if (e - b < 2)
		goto bad;
	int nf = (int16_t)(b[0] << 8 | b[1]);
	b += 2;
	if (nf == -1) /* the trailer: the end comes next */
		return copy_next(p);
	if (nf != p->ncols)
		goto bad;
	for (int i = 0; i < nf; i++) {
		if (e - b < 4)
			goto bad;
		int32_t len = (int32_t)be32(b);
		b += 4;
		if (len < -1 || (len > 0 && e - b < len))
			goto bad;
		p->field[i] = b;
		p->flen[i] = len;
		if (len > 0)
			b += len;
		if (p->kinds[i] == 't' && len >= 0) {
			if (p->textcap[i] < (size_t)len + 1) {
				p->textcap[i] = (size_t)len + 64;
				free(p->text[i]);
				p->text[i] = xmalloc(p->textcap[i]);
			}
			memcpy(p->text[i], p->field[i], (size_t)len);
			p->text[i][len] = '\0';
		}
	}
	return 1;
bad:
	copy_finish(p, 0);
	sqlconn_set_error(&p->base, SQL_QUERY, "a COPY row the server sent could not be read");
	return -1;
}

static int pg_query(struct sqlconn *c, const char *sql, const char *param, const char *stream)
{
	struct pgconn *p = (struct pgconn *)c;
	pg_drop(p);
	if (stream)
		return copy_start(p, sql, param, stream);
	int ok = param ? PQsendQueryParams(p->pg, sql, 1, NULL, &param, NULL, NULL, 0)
	               : PQsendQueryParams(p->pg, sql, 0, NULL, NULL, NULL, NULL, 0);
	if (!ok) {
		char *msg = one_line(PQerrorMessage(p->pg));
		sqlconn_set_error(c, PQstatus(p->pg) == CONNECTION_BAD ? SQL_LOST : SQL_QUERY, msg);
		free(msg);
		return 0;
	}
	p->done = false;
	p->row = p->nrows = 0;
	return 1;
}

static int pg_next(struct sqlconn *c)
{
	struct pgconn *p = (struct pgconn *)c;
	if (p->copying)
		return copy_next(p);
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
	if (st == PGRES_TUPLES_OK && PQntuples(p->res) > 0) {
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
	if (p->copying)
		return i >= 0 && i < p->ncols && p->kinds[i] == 't' && p->flen[i] >= 0 ? p->text[i] : NULL;
	if (!p->res || i >= PQnfields(p->res) || PQgetisnull(p->res, p->row, i))
		return NULL;
	return PQgetvalue(p->res, p->row, i);
}

static int pg_real(struct sqlconn *c, int i, double *v)
{
	struct pgconn *p = (struct pgconn *)c;
	if (!p->copying)
		return sqlconn_text_real(c, i, v);
	if (i < 0 || i >= p->ncols || p->kinds[i] != 'd' || p->flen[i] != 8)
		return 0;
	uint64_t u = be64(p->field[i]);
	memcpy(v, &u, sizeof *v);
	return 1;
}

static int64_t pg_integer(struct sqlconn *c, int i)
{
	struct pgconn *p = (struct pgconn *)c;
	if (!p->copying)
		return sqlconn_text_integer(c, i);
	if (i < 0 || i >= p->ncols || p->kinds[i] != 'i')
		return 0;
	if (p->flen[i] == 8)
		return (int64_t)be64(p->field[i]);
	return p->flen[i] == 4 ? (int32_t)be32(p->field[i]) : 0;
}

static bool pg_flag(struct sqlconn *c, int i)
{
	struct pgconn *p = (struct pgconn *)c;
	if (!p->copying)
		return sqlconn_text_flag(c, i);
	return i >= 0 && i < p->ncols && p->kinds[i] == 'b' && p->flen[i] == 1 && p->field[i][0];
}

static bool pg_is_null(struct sqlconn *c, int i)
{
	struct pgconn *p = (struct pgconn *)c;
	if (p->copying)
		return i < 0 || i >= p->ncols || p->flen[i] < 0;
	return !p->res || i >= PQnfields(p->res) || PQgetisnull(p->res, p->row, i);
}

static void pg_end(struct sqlconn *c)
{
	pg_drop((struct pgconn *)c);
}

static void pg_close(struct sqlconn *c)
{
	struct pgconn *p = (struct pgconn *)c;
	PQfreemem(p->msg);
	PQclear(p->res);
	PQfinish(p->pg);
	for (int i = 0; i < MAX_STREAM_COLS; i++)
		free(p->text[i]);
	free(c->error);
	free(c->server_version);
	free(p);
}

static const struct sqlconn_ops pg_ops = {
	pg_query, pg_next, pg_text, pg_real, pg_integer, pg_flag, pg_is_null, pg_end, pg_close,
};

struct sqlconn *sqlconn_pg_open(const struct sql_target *t, enum sql_fail *fail, char **error)
{
	const char *unloaded = lib_ready(&pq);
	if (unloaded) {
		*fail = SQL_CONNECT;
		*error = xstrdup(unloaded);
		return NULL;
	}
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
