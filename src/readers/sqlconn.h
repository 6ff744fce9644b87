/* sqlconn.h — the small SQL connection interface the MLflow SQL store is
 * read through (mlflow_sql.c): implementations on SQLite (sqlconn_sqlite.c),
 * libpq (PostgreSQL) and MariaDB Connector/C (MySQL, MariaDB).
 *
 * A query takes at most one text parameter, written $1 in the SQL. Its
 * columns are read as text, or as numbers (parsed from the text, or taken as
 * they come when the server sends them in binary). A streamed query delivers
 * its rows as the server sends them (PostgreSQL: COPY ... TO STDOUT in binary;
 * MySQL: mysql_use_result), so its memory is one row's; it names the kind of
 * each column, so a binary stream can be decoded. A connection runs one query
 * at a time. */
#ifndef RUNSITE_SQLCONN_H
#define RUNSITE_SQLCONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Why a connection or a query failed, from the server's error codes. */
enum sql_fail {
	SQL_OK = 0,
	SQL_CONNECT, /* the server could not be reached: refused, no such host, no socket */
	SQL_AUTH,    /* the server refused the user: wrong password, no such user or database */
	SQL_LOST,    /* the connection broke or the server shut down while reading */
	SQL_TIMEOUT, /* a statement ran past the server's statement timeout */
	SQL_QUERY,   /* the statement failed (permission, missing table...); the connection is fine */
};

/* Where to connect, from a URL split by server_url_parse(). */
struct sql_target {
	char *user, *password, *host, *port, *dbname;
	char *socket;            /* mysql: ?socket=PATH */
	char *pg_conninfo;       /* postgresql: the URL for libpq, runsite's own parameters removed */
	double statement_timeout; /* ?statement_timeout=SECONDS; 0: the server's own setting */
};

struct sqlconn;

struct sqlconn_ops {
	/* Runs sql with $1 bound to param (may be NULL when sql has none).
	 * stream NULL: the rows are read at once; else they are streamed, and
	 * stream has one letter per column: t text, d double, i 64-bit integer,
	 * b boolean (the SQL must give those types: cast where unsure).
	 * Returns 1 when rows may follow, 0 on failure (fail, error). */
	int (*query)(struct sqlconn *c, const char *sql, const char *param, const char *stream);
	/* The next row: 1 a row, 0 no more rows, -1 failure (sqlconn_error). */
	int (*next)(struct sqlconn *c);
	/* Column i of the current row, NULL for SQL NULL; valid until next(). */
	const char *(*text)(struct sqlconn *c, int i);
	/* Column i as a number: 0 when it is NULL or no number. */
	int (*real)(struct sqlconn *c, int i, double *v);
	int64_t (*integer)(struct sqlconn *c, int i); /* 0 for NULL */
	bool (*flag)(struct sqlconn *c, int i);       /* true, t, or a number other than 0 */
	bool (*is_null)(struct sqlconn *c, int i);    /* column i is SQL NULL */
	/* Drops what is left of the query's rows. */
	void (*end)(struct sqlconn *c);
	void (*close)(struct sqlconn *c);
};

struct sqlconn {
	const struct sqlconn_ops *ops;
	const char *dialect;  /* "sqlite", "postgresql" or "mysql" */
	enum sql_fail fail;   /* of the last failed call */
	char *error;          /* its message, one line */
	char *server_version;
};

/* Connects; returns NULL with *fail and *error (caller frees) set when it cannot. */
struct sqlconn *sqlconn_pg_open(const struct sql_target *t, enum sql_fail *fail, char **error);
struct sqlconn *sqlconn_my_open(const struct sql_target *t, enum sql_fail *fail, char **error);

/* Wraps a connection the SQLite reader opened (closing the wrapper leaves it
 * open); sqlconn_sqlite_code gives SQLite's code of the last failure. */
struct sqlite3;
struct sqlconn *sqlconn_sqlite_wrap(struct sqlite3 *db);
int sqlconn_sqlite_code(const struct sqlconn *c);

/* Records a failure on c (every implementation). */
void sqlconn_set_error(struct sqlconn *c, enum sql_fail fail, const char *msg);
/* real, integer and flag from the text of a column (sqlconn.c). */
int sqlconn_text_real(struct sqlconn *c, int i, double *v);
int64_t sqlconn_text_integer(struct sqlconn *c, int i);
bool sqlconn_text_flag(struct sqlconn *c, int i);

#endif
