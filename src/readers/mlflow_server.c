/* mlflow_server.c — reads an MLflow tracking store kept in PostgreSQL or
 * MySQL/MariaDB, the database behind a shared `mlflow server`, through the
 * SQL connection interface (sqlconn.h). Read-only: one read-only transaction
 * with one snapshot, so a server writing meanwhile never gives torn runs.
 *
 * The store is named by a URL, postgresql://user@host:5432/mlflow or
 * mysql://user@host/mlflow. Its password never leaves this file: discovery
 * registers the URL and gets back the same URL without the password, which is
 * what every message, listing and page shows; the reader looks the full one
 * up again. Runs come in the SQLite reader's order (experiment_id,
 * start_time, run_uuid) with the same columns read the same way, so a store
 * copied between SQLite and a server reads the same. The metrics of a run
 * are streamed off the server, so memory follows the largest run. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runsite/diag.h"
#include "runsite/reader.h"
#include "runsite/status.h"
#include "runsite/util.h"
#include "mlflow_sql.h"
#include "sqlconn.h"

#define FORMAT_NAME "mlflow-server"
#define MAX_ERRORS 20 /* failed statements before giving up */
#define PASSWORD_MAX 4096

/* ---- URLs: the registry of full URLs behind the shown ones ---- */

static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static struct kvlist registry; /* shown URL → full URL */
static char *password_file;

bool server_url(const char *s)
{
	return str_starts(s, "postgresql://") || str_starts(s, "postgres://") ||
	       str_starts(s, "mysql://") || str_starts(s, "mariadb://");
}

/* The URL without a password in its user part or its parameters. */
static char *url_shown(const char *url)
{
	struct buf b = BUF_INIT;
	const char *auth = strstr(url, "://") + 3;
	size_t alen = strcspn(auth, "/?#");
	const char *at = NULL;
	for (const char *p = auth; p < auth + alen; p++)
		if (*p == '@')
			at = p; /* the last @ ends the user part */
	buf_put(&b, url, (size_t)(auth - url));
	if (at) {
		const char *colon = memchr(auth, ':', (size_t)(at - auth));
		buf_put(&b, auth, (size_t)((colon ? colon : at) - auth));
		buf_puts(&b, at);
	} else {
		buf_puts(&b, auth);
	}
	/* ?password=... as libpq takes it */
	char *s = buf_detach(&b);
	char *q = strchr(s, '?');
	if (q) {
		struct buf o = BUF_INIT;
		buf_put(&o, s, (size_t)(q - s));
		char sep = '?';
		for (char *save = NULL, *t = strtok_r(q + 1, "&", &save); t; t = strtok_r(NULL, "&", &save)) {
			if (str_starts(t, "password="))
				continue;
			buf_putc(&o, sep);
			buf_puts(&o, t);
			sep = '&';
		}
		free(s);
		s = buf_detach(&o);
	}
	return s;
}

char *server_url_register(const char *url)
{
	char *shown = url_shown(url);
	pthread_mutex_lock(&registry_lock);
	if (!kvlist_get(&registry, shown))
		kvlist_add(&registry, shown, url);
	pthread_mutex_unlock(&registry_lock);
	return shown;
}

void server_password_file(const char *path)
{
	free(password_file);
	password_file = path ? xstrdup(path) : NULL;
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

/* A copy of n bytes of s with %XX decoded. */
static char *decoded(const char *s, size_t n)
{
	char *out = xmalloc(n + 1), *w = out;
	for (size_t i = 0; i < n; i++) {
		int hi, lo;
		if (s[i] == '%' && i + 2 < n + 1 && (hi = hexval(s[i + 1])) >= 0 &&
		    (lo = hexval(s[i + 2])) >= 0) {
			*w++ = (char)(hi * 16 + lo);
			i += 2;
		} else {
			*w++ = s[i];
		}
	}
	*w = '\0';
	return out;
}

static void target_free(struct sql_target *t)
{
	free(t->user);
	if (t->password)
		memset(t->password, 0, strlen(t->password));
	free(t->password);
	free(t->host);
	free(t->port);
	free(t->dbname);
	free(t->socket);
	free(t->pg_conninfo);
	memset(t, 0, sizeof *t);
}

/* Splits scheme://[user[:password]@]host[:port][/db][?k=v&...]. runsite's own
 * parameters (statement_timeout, socket) are taken out; PostgreSQL's others
 * stay in the URL libpq reads. Returns 0 with *why set when it is not one. */
static int target_parse(const char *url, struct sql_target *t, const char **why)
{
	memset(t, 0, sizeof *t);
	const char *auth = strstr(url, "://") + 3;
	size_t alen = strcspn(auth, "/?#");
	const char *end = auth + alen, *at = NULL;
	for (const char *p = auth; p < end; p++)
		if (*p == '@')
			at = p;
	const char *hostpart = auth;
	if (at) {
		const char *colon = memchr(auth, ':', (size_t)(at - auth));
		t->user = decoded(auth, (size_t)((colon ? colon : at) - auth));
		if (colon)
			t->password = decoded(colon + 1, (size_t)(at - colon - 1));
		hostpart = at + 1;
	}
	const char *pcolon = NULL;
	if (*hostpart == '[') { /* [IPv6] */
		const char *close = memchr(hostpart, ']', (size_t)(end - hostpart));
		if (!close) {
			*why = "unclosed [ in the host";
			return 0;
		}
		t->host = xstrndup(hostpart + 1, (size_t)(close - hostpart - 1));
		if (close + 1 < end && close[1] == ':')
			pcolon = close + 1;
	} else {
		pcolon = memchr(hostpart, ':', (size_t)(end - hostpart));
		size_t hl = (size_t)((pcolon ? pcolon : end) - hostpart);
		if (hl)
			t->host = decoded(hostpart, hl);
	}
	if (pcolon && pcolon + 1 < end)
		t->port = xstrndup(pcolon + 1, (size_t)(end - pcolon - 1));
	const char *rest = end;
	if (*rest == '/') {
		size_t dl = strcspn(rest + 1, "?#");
		if (dl)
			t->dbname = decoded(rest + 1, dl);
		rest += 1 + dl;
	}
	struct buf pg = BUF_INIT; /* the URL for libpq: everything but our parameters */
	buf_put(&pg, url, (size_t)(rest - url));
	char sep = '?';
	if (*rest == '?') {
		char *params = xstrndup(rest + 1, strcspn(rest + 1, "#"));
		for (char *save = NULL, *kv = strtok_r(params, "&", &save); kv;
		     kv = strtok_r(NULL, "&", &save)) {
			if (str_starts(kv, "statement_timeout=")) {
				char *e;
				t->statement_timeout = strtod(kv + 18, &e);
				if (e == kv + 18 || *e || t->statement_timeout < 0) {
					*why = "statement_timeout takes seconds";
					free(params);
					buf_free(&pg);
					return 0;
				}
				continue;
			}
			if (str_starts(kv, "socket=")) {
				free(t->socket);
				t->socket = decoded(kv + 7, strlen(kv + 7));
				continue;
			}
			if (str_starts(kv, "password=")) {
				free(t->password);
				t->password = decoded(kv + 9, strlen(kv + 9));
			}
			buf_putc(&pg, sep);
			buf_puts(&pg, kv);
			sep = '&';
		}
		free(params);
	}
	t->pg_conninfo = buf_detach(&pg);
	if (str_starts(url, "mysql://") || str_starts(url, "mariadb://")) {
		if (!t->dbname) {
			*why = "no database in the URL (mysql://user@host/DATABASE)";
			return 0;
		}
	}
	return 1;
}

/* The password in the --password-file file: its first line. */
static int read_password(const char *shown, char **out)
{
	struct buf b = BUF_INIT;
	if (!read_file(password_file, &b, PASSWORD_MAX)) {
		diag_warn(shown, 0, "cannot read the password file %s", password_file);
		buf_free(&b);
		return 0;
	}
	char *s = buf_detach(&b);
	s[strcspn(s, "\r\n")] = '\0';
	*out = s;
	return 1;
}

/* ---- reading ---- */

static int exit_code(enum sql_fail f)
{
	switch (f) {
	case SQL_CONNECT: return EXIT_SERVER_CONNECT;
	case SQL_AUTH: return EXIT_SERVER_AUTH;
	case SQL_TIMEOUT: return EXIT_SERVER_TIMEOUT;
	default: return EXIT_SERVER_LOST;
	}
}

struct ctx {
	struct mlflow_sql m;
	int errors;
	int fatal; /* an exit code: the read must stop and the command fail with it */
};

/* Reports the connection's last failure about what (mlflow_sql.h); a broken
 * connection or a timeout ends the read, as do too many failed statements. */
static int failed(struct mlflow_sql *m, const char *what)
{
	struct ctx *c = m->owner;
	struct sqlconn *db = m->db;
	if (db->fail != SQL_QUERY) {
		const char *kind = db->fail == SQL_TIMEOUT ? "statement timed out"
		                   : db->fail == SQL_LOST  ? "connection to the server lost"
		                                           : "server refused";
		diag_warn(m->path, 0, "%s: %s while reading %s; nothing was written", kind, db->error,
		          what);
		c->fatal = exit_code(db->fail);
		return 0;
	}
	diag_warn(m->path, 0, "%s: %s", what, db->error);
	if (++c->errors >= MAX_ERRORS) {
		diag_warn(m->path, 0, "%d errors; stopped reading", c->errors);
		c->fatal = EXIT_SERVER_LOST;
		return 0;
	}
	return 1;
}

static long read_store(const char *shown, const struct reader_opts *opts, struct run_sink *sink)
{
	struct ctx c;
	memset(&c, 0, sizeof c);
	struct mlflow_sql *m = &c.m;
	m->path = shown;
	m->format = FORMAT_NAME;
	m->opts = opts;
	m->sink = sink;
	m->failed = failed;
	m->owner = &c;
	struct sql_target t;
	memset(&t, 0, sizeof t);
	long delivered = -1;
	pthread_mutex_lock(&registry_lock);
	const char *full = kvlist_get(&registry, shown);
	char *url = xstrdup(full ? full : shown);
	pthread_mutex_unlock(&registry_lock);
	const char *why = NULL;
	if (!server_url(url) || !target_parse(url, &t, &why)) {
		diag_warn(shown, 0, "not a tracking-server URL%s%s", why ? ": " : "", why ? why : "");
		goto out;
	}
	if (password_file) {
		free(t.password);
		t.password = NULL;
		if (!read_password(shown, &t.password)) {
			delivered = -EXIT_SERVER_AUTH;
			goto out;
		}
	}
	enum sql_fail fail = SQL_OK;
	char *err = NULL;
	bool mysql = str_starts(url, "mysql://") || str_starts(url, "mariadb://");
	m->db = mysql ? sqlconn_my_open(&t, &fail, &err) : sqlconn_pg_open(&t, &fail, &err);
	if (!m->db) {
		diag_warn(shown, 0, "%s: %s",
		          fail == SQL_AUTH ? "the server refused the login" : "cannot connect", err);
		free(err);
		delivered = -exit_code(fail);
		goto out;
	}
	m->key = mysql ? "`key`" : "key"; /* KEY is reserved in MySQL */
	m->nulls_first = !mysql;          /* PostgreSQL sorts NULL last */
	/* One read-only transaction: every query sees the same snapshot. */
	if (mysql && m->db->ops->query(m->db, "SET SESSION TRANSACTION ISOLATION LEVEL "
	                                      "REPEATABLE READ", NULL, NULL))
		m->db->ops->end(m->db);
	const char *begin = mysql ? "START TRANSACTION READ ONLY, WITH CONSISTENT SNAPSHOT"
	                          : "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY";
	if (!m->db->ops->query(m->db, begin, NULL, NULL)) {
		failed(m, "the read-only transaction");
		goto out;
	}
	m->db->ops->end(m->db);
	const char *schema = mysql ? "SELECT table_name, column_name FROM information_schema.columns "
	                             "WHERE table_schema = DATABASE()"
	                           : "SELECT table_name, column_name FROM information_schema.columns "
	                             "WHERE table_schema = current_schema()";
	if (!mlflow_sql_read_columns(m, schema))
		goto out;
	if (!mlflow_sql_has_table(m, "runs") || !mlflow_sql_has_table(m, "experiments")) {
		diag_warn(shown, 0, "a database without MLflow's runs and experiments tables");
		goto out;
	}
	if (!mlflow_sql_experiments(m) || !mlflow_sql_list_runs(m))
		goto out;
	/* Summaries alone (ls): one read of the whole metrics table (MySQL:
	 * every row streamed and folded into its series' summary; PostgreSQL:
	 * an aggregate query) rather than a query per run. */
	if (opts->summaries_only && !opts->no_points && !mlflow_sql_summaries(m))
		goto out;
	delivered = 0;
	for (size_t i = 0; i < m->nruns && !c.fatal; i++) {
		struct run *r = mlflow_sql_run_start(m, &m->runs[i]);
		bool summarized = r && mlflow_sql_run_summaries(m, r, i);
		if (r && ((!summarized && !mlflow_sql_metrics(m, r)) || !mlflow_sql_run_finish(m, r))) {
			run_free(r);
			r = NULL;
		}
		if (!r)
			break;
		if (summarized)
			run_sort_lists(r);
		else
			run_finish(r, opts->dec_buckets);
		delivered++;
		if (!sink->run(sink->ctx, r))
			break;
	}
out:
	if (c.fatal)
		delivered = -c.fatal;
	if (m->db)
		m->db->ops->close(m->db);
	mlflow_sql_free(m);
	target_free(&t);
	if (url)
		memset(url, 0, strlen(url));
	free(url);
	return delivered;
}

static int probe(const char *path)
{
	return server_url(path) ? READER_SCORE_DIRECT + 20 : 0;
}

const struct reader reader_mlflow_server = {
	.name = FORMAT_NAME,
	.what = "MLflow tracking server database: postgresql://user@host/db, mysql://user@host/db",
	.probe = probe,
	.read = read_store,
	.unique_ids = true,
};
