/* sqlconn_my.c — the SQL connection interface on MariaDB Connector/C, for
 * MySQL and MariaDB servers. The password comes from the URL, --password-file,
 * MYSQL_PWD or the [client] group of the option files (~/.my.cnf). A streamed
 * query is a prepared statement read unbuffered: rows come off the socket as
 * they are read, numbers in binary (the server does not print them, nor this
 * side parse them back). */
#include <mysql.h>
#include <mysqld_error.h>
#include <errmsg.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "runsite/util.h"
#include "sqlconn.h"

/* MariaDB Connector/C's functions, looked up when the first store on its server is read
 * (lib_ready); each name below stands for its pointer in mylib. */
#define MY_FUNCS(X) \
	X(mysql_close) X(mysql_errno) X(mysql_error) X(mysql_fetch_row) X(mysql_free_result) \
	X(mysql_get_server_info) X(mysql_init) X(mysql_server_init) X(mysql_num_fields) \
	X(mysql_optionsv) X(mysql_query) X(mysql_real_connect) X(mysql_real_escape_string) \
	X(mysql_real_query) X(mysql_stmt_bind_result) X(mysql_stmt_close) X(mysql_stmt_errno) \
	X(mysql_stmt_error) X(mysql_stmt_execute) X(mysql_stmt_fetch) X(mysql_stmt_fetch_column) \
	X(mysql_stmt_field_count) X(mysql_stmt_init) X(mysql_stmt_prepare) X(mysql_store_result)
static struct {
	MY_FUNCS(LIB_SLOT)
} mylib;
#define MY_ADDR(f) LIB_ADDR(mylib, f)
static struct lazy_lib mariadb = LAZY_LIB("libmariadb.so.3", MY_FUNCS(LIB_NAME), MY_FUNCS(MY_ADDR));

#define mysql_close mylib.mysql_close
#define mysql_errno mylib.mysql_errno
#define mysql_error mylib.mysql_error
#define mysql_fetch_row mylib.mysql_fetch_row
#define mysql_free_result mylib.mysql_free_result
#define mysql_get_server_info mylib.mysql_get_server_info
#define mysql_init mylib.mysql_init
#define mysql_server_init mylib.mysql_server_init
#define mysql_num_fields mylib.mysql_num_fields
#define mysql_optionsv mylib.mysql_optionsv
#define mysql_query mylib.mysql_query
#define mysql_real_connect mylib.mysql_real_connect
#define mysql_real_escape_string mylib.mysql_real_escape_string
#define mysql_real_query mylib.mysql_real_query
#define mysql_stmt_bind_result mylib.mysql_stmt_bind_result
#define mysql_stmt_close mylib.mysql_stmt_close
#define mysql_stmt_errno mylib.mysql_stmt_errno
#define mysql_stmt_error mylib.mysql_stmt_error
#define mysql_stmt_execute mylib.mysql_stmt_execute
#define mysql_stmt_fetch mylib.mysql_stmt_fetch
#define mysql_stmt_fetch_column mylib.mysql_stmt_fetch_column
#define mysql_stmt_field_count mylib.mysql_stmt_field_count
#define mysql_stmt_init mylib.mysql_stmt_init
#define mysql_stmt_prepare mylib.mysql_stmt_prepare
#define mysql_store_result mylib.mysql_store_result

#define MAX_STREAM_COLS 24

struct myconn {
	struct sqlconn base;
	MYSQL *my;
	MYSQL_RES *res;
	MYSQL_ROW row;

	/* A streamed query: a prepared statement, its columns bound by kind. */
	MYSQL_STMT *stmt;
	bool stmt_row; /* a row is current */
	int ncols;
	char kinds[MAX_STREAM_COLS];
	MYSQL_BIND bind[MAX_STREAM_COLS];
	char *text[MAX_STREAM_COLS]; /* NUL-terminated */
	unsigned long textcap[MAX_STREAM_COLS], len[MAX_STREAM_COLS];
	my_bool null[MAX_STREAM_COLS], trunc[MAX_STREAM_COLS];
	double real[MAX_STREAM_COLS];
	long long integer[MAX_STREAM_COLS];
};

static enum sql_fail classify(unsigned code)
{
	switch (code) {
	case CR_CONNECTION_ERROR:
	case CR_CONN_HOST_ERROR:
	case CR_UNKNOWN_HOST:
	case CR_IPSOCK_ERROR:
	case CR_SOCKET_CREATE_ERROR:
		return SQL_CONNECT;
	case ER_ACCESS_DENIED_ERROR:
	case ER_DBACCESS_DENIED_ERROR:
	case ER_BAD_DB_ERROR:
	case 1698: /* ER_ACCESS_DENIED_NO_PASSWORD_ERROR */
	case 1251: /* ER_NOT_SUPPORTED_AUTH_MODE */
		return SQL_AUTH;
	case CR_SERVER_GONE_ERROR:
	case CR_SERVER_LOST:
	case ER_SERVER_SHUTDOWN:
	case 1927: /* ER_CONNECTION_KILLED */
	case 2055: /* CR_SERVER_LOST_EXTENDED */
		return SQL_LOST;
	case 1969: /* ER_STATEMENT_TIMEOUT (MariaDB max_statement_time) */
	case 3024: /* ER_QUERY_TIMEOUT (MySQL max_execution_time) */
	case ER_LOCK_WAIT_TIMEOUT:
		return SQL_TIMEOUT;
	default:
		return SQL_QUERY;
	}
}

static void my_fail(struct myconn *m)
{
	sqlconn_set_error(&m->base, classify(mysql_errno(m->my)), mysql_error(m->my));
}

static void stmt_fail(struct myconn *m)
{
	sqlconn_set_error(&m->base, classify(mysql_stmt_errno(m->stmt)), mysql_stmt_error(m->stmt));
}

static void my_end(struct sqlconn *c)
{
	struct myconn *m = (struct myconn *)c;
	if (m->stmt)
		mysql_stmt_close(m->stmt); /* reads out the rows left */
	m->stmt = NULL;
	m->stmt_row = false;
	if (m->res)
		mysql_free_result(m->res); /* reads out the rows a streamed query has left */
	m->res = NULL;
	m->row = NULL;
}

/* Prepares and runs q, binding its result columns by kind. */
static int stmt_start(struct myconn *m, const char *q, const char *kinds)
{
	size_t ncols = strlen(kinds);
	if (ncols > MAX_STREAM_COLS) {
		sqlconn_set_error(&m->base, SQL_QUERY, "too many columns to stream");
		return 0;
	}
	m->stmt = mysql_stmt_init(m->my);
	if (!m->stmt) {
		my_fail(m);
		return 0;
	}
	if (mysql_stmt_prepare(m->stmt, q, (unsigned long)strlen(q)) != 0 ||
	    mysql_stmt_execute(m->stmt) != 0 || mysql_stmt_field_count(m->stmt) != ncols)
		goto fail;
	m->ncols = (int)ncols;
	memcpy(m->kinds, kinds, ncols);
	memset(m->bind, 0, sizeof m->bind);
	for (size_t i = 0; i < ncols; i++) {
		MYSQL_BIND *b = &m->bind[i];
		b->is_null = &m->null[i];
		b->error = &m->trunc[i];
		b->length = &m->len[i];
		if (kinds[i] == 't') {
			if (!m->text[i]) {
				m->textcap[i] = 256;
				m->text[i] = xmalloc(m->textcap[i]);
			}
			b->buffer_type = MYSQL_TYPE_STRING;
			b->buffer = m->text[i];
			b->buffer_length = m->textcap[i] - 1; /* room for the NUL */
		} else if (kinds[i] == 'd') {
			b->buffer_type = MYSQL_TYPE_DOUBLE;
			b->buffer = &m->real[i];
		} else {
			b->buffer_type = MYSQL_TYPE_LONGLONG;
			b->buffer = &m->integer[i];
		}
	}
	if (mysql_stmt_bind_result(m->stmt, m->bind) != 0)
		goto fail;
	return 1;
fail:
	if (mysql_stmt_errno(m->stmt))
		stmt_fail(m);
	else
		sqlconn_set_error(&m->base, SQL_QUERY, "the statement's columns are not the ones asked for");
	mysql_stmt_close(m->stmt);
	m->stmt = NULL;
	return 0;
}

/* The next row of a streamed query: 1 a row, 0 the end, -1 a failure. */
static int stmt_next(struct myconn *m)
{
	m->stmt_row = false;
	int rc = mysql_stmt_fetch(m->stmt);
	if (rc == MYSQL_NO_DATA) {
		my_end(&m->base);
		return 0;
	}
	if (rc == 1) {
		stmt_fail(m);
		my_end(&m->base);
		return -1;
	}
	for (int i = 0; i < m->ncols; i++) {
		if (m->kinds[i] != 't' || m->null[i])
			continue;
		if (rc == MYSQL_DATA_TRUNCATED && m->trunc[i]) {
			/* A longer text than the buffer holds: a bigger one, the rest fetched into it. */
			m->textcap[i] = m->len[i] + 64;
			free(m->text[i]);
			m->text[i] = xmalloc(m->textcap[i]);
			MYSQL_BIND *b = &m->bind[i];
			b->buffer = m->text[i];
			b->buffer_length = m->textcap[i] - 1;
			if (mysql_stmt_fetch_column(m->stmt, b, (unsigned)i, 0) != 0 ||
			    mysql_stmt_bind_result(m->stmt, m->bind) != 0) {
				stmt_fail(m);
				my_end(&m->base);
				return -1;
			}
		}
		m->text[i][m->len[i] < m->textcap[i] ? m->len[i] : m->textcap[i] - 1] = '\0';
	}
	m->stmt_row = true;
	return 1;
}

static int my_query(struct sqlconn *c, const char *sql, const char *param, const char *stream)
{
	struct myconn *m = (struct myconn *)c;
	my_end(c);
	struct buf q = BUF_INIT;
	const char *mark = param ? strstr(sql, "$1") : NULL;
	if (mark) {
		size_t n = strlen(param);
		char *esc = xmalloc(2 * n + 1);
		mysql_real_escape_string(m->my, esc, param, (unsigned long)n);
		buf_put(&q, sql, (size_t)(mark - sql));
		buf_putc(&q, '\'');
		buf_puts(&q, esc);
		buf_putc(&q, '\'');
		buf_puts(&q, mark + 2);
		free(esc);
	} else {
		buf_puts(&q, sql);
	}
	if (stream) {
		int ok = stmt_start(m, buf_cstr(&q), stream);
		buf_free(&q);
		return ok;
	}
	int ok = mysql_real_query(m->my, buf_cstr(&q), (unsigned long)strlen(buf_cstr(&q))) == 0;
	buf_free(&q);
	if (!ok) {
		my_fail(m);
		return 0;
	}
	m->res = mysql_store_result(m->my);
	if (!m->res && mysql_errno(m->my)) {
		my_fail(m);
		return 0;
	}
	return 1;
}

static int my_next(struct sqlconn *c)
{
	struct myconn *m = (struct myconn *)c;
	if (m->stmt)
		return stmt_next(m);
	if (!m->res)
		return 0;
	m->row = mysql_fetch_row(m->res);
	if (m->row)
		return 1;
	if (mysql_errno(m->my)) {
		my_fail(m);
		mysql_free_result(m->res);
		m->res = NULL;
		return -1;
	}
	my_end(c);
	return 0;
}

static bool stmt_col(const struct myconn *m, int i, char kind)
{
	return m->stmt_row && i >= 0 && i < m->ncols && m->kinds[i] == kind && !m->null[i];
}

static const char *my_text(struct sqlconn *c, int i)
{
	struct myconn *m = (struct myconn *)c;
	if (m->stmt)
		return stmt_col(m, i, 't') ? m->text[i] : NULL;
	if (!m->row || i < 0 || (unsigned)i >= mysql_num_fields(m->res))
		return NULL;
	return m->row[i];
}

static int my_real(struct sqlconn *c, int i, double *v)
{
	struct myconn *m = (struct myconn *)c;
	if (!m->stmt)
		return sqlconn_text_real(c, i, v);
	if (!stmt_col(m, i, 'd'))
		return 0;
	*v = m->real[i];
	return 1;
}

static int64_t my_integer(struct sqlconn *c, int i)
{
	struct myconn *m = (struct myconn *)c;
	if (!m->stmt)
		return sqlconn_text_integer(c, i);
	return stmt_col(m, i, 'i') || stmt_col(m, i, 'b') ? (int64_t)m->integer[i] : 0;
}

static bool my_flag(struct sqlconn *c, int i)
{
	struct myconn *m = (struct myconn *)c;
	if (!m->stmt)
		return sqlconn_text_flag(c, i);
	return stmt_col(m, i, 'b') && m->integer[i] != 0;
}

static bool my_is_null(struct sqlconn *c, int i)
{
	struct myconn *m = (struct myconn *)c;
	if (m->stmt)
		return !m->stmt_row || i < 0 || i >= m->ncols || m->null[i];
	return my_text(c, i) == NULL;
}

static void my_close(struct sqlconn *c)
{
	struct myconn *m = (struct myconn *)c;
	my_end(c);
	mysql_close(m->my);
	for (int i = 0; i < MAX_STREAM_COLS; i++)
		free(m->text[i]);
	free(c->error);
	free(c->server_version);
	free(m);
}

static const struct sqlconn_ops my_ops = {
	my_query, my_next, my_text, my_real, my_integer, my_flag, my_is_null, my_end, my_close,
};

/* The library's global set-up is not thread-safe; stores are read on several threads. */
static pthread_once_t library_once = PTHREAD_ONCE_INIT;

static void library_init(void)
{
	mysql_library_init(0, NULL, NULL);
}

struct sqlconn *sqlconn_my_open(const struct sql_target *t, enum sql_fail *fail, char **error)
{
	const char *unloaded = lib_ready(&mariadb);
	if (unloaded) {
		*fail = SQL_CONNECT;
		*error = xstrdup(unloaded);
		return NULL;
	}
	pthread_once(&library_once, library_init);
	MYSQL *my = mysql_init(NULL);
	if (!my) {
		*fail = SQL_CONNECT;
		*error = xstrdup("out of memory");
		return NULL;
	}
	unsigned timeout = 10;
	mysql_optionsv(my, MYSQL_READ_DEFAULT_GROUP, "client");
	mysql_optionsv(my, MYSQL_OPT_CONNECT_TIMEOUT, &timeout);
	mysql_optionsv(my, MYSQL_SET_CHARSET_NAME, "utf8mb4");
	const char *password = t->password ? t->password : getenv("MYSQL_PWD");
	unsigned port = t->port ? (unsigned)strtoul(t->port, NULL, 10) : 0;
	/* "localhost" means the socket to the client library; a socket given
	 * means the socket whatever the host. */
	const char *host = t->socket ? "localhost" : t->host;
	if (!mysql_real_connect(my, host, t->user, password, t->dbname, port, t->socket, 0)) {
		*fail = classify(mysql_errno(my));
		*error = xstrdup(mysql_error(my));
		mysql_close(my);
		return NULL;
	}
	struct myconn *m = xcalloc(1, sizeof *m);
	m->my = my;
	m->base.ops = &my_ops;
	m->base.dialect = "mysql";
	m->base.server_version = xstrdup(mysql_get_server_info(my));
	if (t->statement_timeout > 0) {
		/* MariaDB's name for it, then MySQL's (milliseconds). */
		char *sql = xasprintf("SET SESSION max_statement_time = %g", t->statement_timeout);
		if (mysql_query(my, sql) != 0) {
			free(sql);
			sql = xasprintf("SET SESSION max_execution_time = %.0f", t->statement_timeout * 1000);
			mysql_query(my, sql);
		}
		free(sql);
	}
	return &m->base;
}
