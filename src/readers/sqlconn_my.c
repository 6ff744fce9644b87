/* sqlconn_my.c — the SQL connection interface on MariaDB Connector/C, for
 * MySQL and MariaDB servers. The password comes from the URL, --password-file,
 * MYSQL_PWD or the [client] group of the option files (~/.my.cnf). A streamed
 * query uses mysql_use_result: rows come off the socket as they are read. */
#include <mysql.h>
#include <mysqld_error.h>
#include <errmsg.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "runsite/util.h"
#include "sqlconn.h"

struct myconn {
	struct sqlconn base;
	MYSQL *my;
	MYSQL_RES *res;
	MYSQL_ROW row;
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

static void my_end(struct sqlconn *c)
{
	struct myconn *m = (struct myconn *)c;
	if (m->res)
		mysql_free_result(m->res); /* reads out the rows a streamed query has left */
	m->res = NULL;
	m->row = NULL;
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
	int ok = mysql_real_query(m->my, buf_cstr(&q), (unsigned long)strlen(buf_cstr(&q))) == 0;
	buf_free(&q);
	if (!ok) {
		my_fail(m);
		return 0;
	}
	m->res = stream ? mysql_use_result(m->my) : mysql_store_result(m->my);
	if (!m->res && mysql_errno(m->my)) {
		my_fail(m);
		return 0;
	}
	return 1;
}

static int my_next(struct sqlconn *c)
{
	struct myconn *m = (struct myconn *)c;
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

static const char *my_text(struct sqlconn *c, int i)
{
	struct myconn *m = (struct myconn *)c;
	if (!m->row || i < 0 || (unsigned)i >= mysql_num_fields(m->res))
		return NULL;
	return m->row[i];
}

static void my_close(struct sqlconn *c)
{
	struct myconn *m = (struct myconn *)c;
	my_end(c);
	mysql_close(m->my);
	free(c->error);
	free(c->server_version);
	free(m);
}

static const struct sqlconn_ops my_ops = {
	my_query, my_next, my_text, sqlconn_text_real, sqlconn_text_integer, sqlconn_text_flag,
	my_end, my_close,
};

/* The library's global set-up is not thread-safe; stores are read on several threads. */
static pthread_once_t library_once = PTHREAD_ONCE_INIT;

static void library_init(void)
{
	mysql_library_init(0, NULL, NULL);
}

struct sqlconn *sqlconn_my_open(const struct sql_target *t, enum sql_fail *fail, char **error)
{
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
