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
#include <float.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runsite/diag.h"
#include "runsite/reader.h"
#include "runsite/status.h"
#include "runsite/util.h"
#include "mlflow_tags.h"
#include "sqlconn.h"

#define FORMAT_NAME "mlflow-server"
#define MAX_ERRORS 20 /* failed per-run queries before giving up */
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

struct exp_ref {
	char *id, *name;
	bool deleted;
};

/* What the run list gives for one run: its row of the runs table. */
enum { R_ID, R_EXP, R_LIFE, R_NAME, R_SOURCE_TYPE, R_SOURCE_NAME, R_USER, R_STATUS, R_START,
       R_END, R_URI, R_SOURCE_VERSION, R_NCOLS };
struct run_ref {
	char *col[R_NCOLS];
};

struct key_slot {
	size_t *slot; /* index + 1 into run->metrics; 0 empty */
	size_t cap, n;
};

struct ctx {
	const char *shown;
	struct sqlconn *db;
	const char *key; /* the column "key" as the dialect writes it (KEY is reserved in MySQL) */
	const struct reader_opts *opts;
	struct run_sink *sink;
	int errors;
	int fatal; /* an exit code: the read must stop and the command fail with it */
	struct kvlist cols; /* "table.column" present → "" */
	struct exp_ref *exps;
	size_t nexps, capexps;
	struct run_ref *refs;
	size_t nrefs, caprefs;
	struct key_slot keys;
	char *sql_params, *sql_tags, *sql_metrics, *sql_inputs, *sql_models, *sql_versions;
};

/* Reports the last failure of a query about what; a broken connection or a
 * timeout ends the read. Returns 0 when reading must stop. */
static int failed(struct ctx *c, const char *what)
{
	struct sqlconn *db = c->db;
	if (db->fail != SQL_QUERY) {
		const char *kind = db->fail == SQL_TIMEOUT ? "statement timed out"
		                   : db->fail == SQL_LOST  ? "connection to the server lost"
		                                           : "server refused";
		diag_warn(c->shown, 0, "%s: %s while reading %s; nothing was written", kind, db->error,
		          what);
		c->fatal = exit_code(db->fail);
		return 0;
	}
	diag_warn(c->shown, 0, "%s: %s", what, db->error);
	if (++c->errors >= MAX_ERRORS) {
		diag_warn(c->shown, 0, "%d errors; stopped reading", c->errors);
		c->fatal = EXIT_SERVER_LOST;
		return 0;
	}
	return 1;
}

static char *dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

static char *dup_nonempty(const char *s)
{
	return s && *s ? xstrdup(s) : NULL;
}

static int64_t parse_int(const char *s)
{
	return s ? strtoll(s, NULL, 10) : 0;
}

static int64_t parse_time(const char *s)
{
	return s ? strtoll(s, NULL, 10) : TIME_UNKNOWN;
}

static bool has_col(struct ctx *c, const char *table, const char *col)
{
	char *k = xasprintf("%s.%s", table, col);
	bool yes = kvlist_get(&c->cols, k) != NULL;
	free(k);
	return yes;
}

static bool has_table(struct ctx *c, const char *table)
{
	char *k = xasprintf("%s.", table);
	bool yes = kvlist_get(&c->cols, k) != NULL;
	free(k);
	return yes;
}

/* The column for a SELECT list (quoted for the dialect), or fallback when missing. */
static const char *col_or(struct ctx *c, const char *table, const char *col, const char *fallback)
{
	return has_col(c, table, col) ? col : fallback;
}

/* Reads which tables and columns the schema has, in the database connected to. */
static int read_schema(struct ctx *c)
{
	const char *sql = strcmp(c->db->dialect, "mysql") == 0
	                          ? "SELECT table_name, column_name FROM information_schema.columns "
	                            "WHERE table_schema = DATABASE()"
	                          : "SELECT table_name, column_name FROM information_schema.columns "
	                            "WHERE table_schema = current_schema()";
	if (!c->db->ops->query(c->db, sql, NULL, false))
		return failed(c, "the schema"), 0;
	int rc;
	while ((rc = c->db->ops->next(c->db)) == 1) {
		const char *t = c->db->ops->text(c->db, 0), *col = c->db->ops->text(c->db, 1);
		if (!t || !col)
			continue;
		char *k = xasprintf("%s.", t);
		if (!kvlist_get(&c->cols, k))
			kvlist_add(&c->cols, k, "");
		free(k);
		k = xasprintf("%s.%s", t, col);
		kvlist_add(&c->cols, k, "");
		free(k);
	}
	if (rc < 0)
		return failed(c, "the schema"), 0;
	if (!has_table(c, "runs") || !has_table(c, "experiments")) {
		diag_warn(c->shown, 0, "a database without MLflow's runs and experiments tables");
		return 0;
	}
	return 1;
}

static int read_experiments(struct ctx *c)
{
	struct sqlconn *db = c->db;
	char *sql = xasprintf("SELECT experiment_id, name, %s, %s, %s FROM experiments "
	                      "ORDER BY experiment_id",
	                      col_or(c, "experiments", "artifact_location", "NULL"),
	                      col_or(c, "experiments", "lifecycle_stage", "NULL"),
	                      col_or(c, "experiments", "creation_time", "NULL"));
	int ok = db->ops->query(db, sql, NULL, false);
	free(sql);
	if (!ok)
		return failed(c, "experiments"), 0;
	struct experiment **list = NULL;
	size_t n = 0, cap = 0;
	int rc;
	while ((rc = db->ops->next(db)) == 1) {
		const char *life = db->ops->text(db, 3);
		struct experiment *e = experiment_new();
		e->id = xstrdup(db->ops->text(db, 0) ? db->ops->text(db, 0) : "");
		e->name = dup_or_null(db->ops->text(db, 1));
		e->artifact_location = dup_or_null(db->ops->text(db, 2));
		e->deleted = life && strcmp(life, "deleted") == 0;
		e->created_ms = parse_time(db->ops->text(db, 4));
		GROW(list, cap, n + 1);
		list[n++] = e;
	}
	if (rc < 0) {
		for (size_t i = 0; i < n; i++)
			experiment_free(list[i]);
		free(list);
		return failed(c, "experiments"), 0;
	}
	/* Tags after the list: a connection reads one query at a time. */
	bool tags = has_table(c, "experiment_tags");
	for (size_t i = 0; i < n && !c->fatal; i++) {
		struct experiment *e = list[i];
		if (tags) {
			char *tsql = xasprintf("SELECT %s, value FROM experiment_tags "
			                       "WHERE experiment_id = $1 ORDER BY %s",
			                       c->key, c->key);
			int asked = db->ops->query(db, tsql, e->id, false);
			free(tsql);
			if (!asked) {
				failed(c, "experiment_tags");
			} else {
				while ((rc = db->ops->next(db)) == 1)
					if (db->ops->text(db, 0))
						kvlist_add(&e->tags, db->ops->text(db, 0), db->ops->text(db, 1));
				if (rc < 0)
					failed(c, "experiment_tags");
			}
			const char *note = kvlist_get(&e->tags, "mlflow.note.content");
			if (note && *note)
				e->description = xstrdup(note);
		}
		GROW(c->exps, c->capexps, c->nexps + 1);
		c->exps[c->nexps++] = (struct exp_ref){xstrdup(e->id), xstrdup(e->name ? e->name : ""),
		                                       e->deleted};
		if (c->fatal || (e->deleted && !c->opts->include_deleted))
			experiment_free(e);
		else
			c->sink->experiment(c->sink->ctx, e);
	}
	free(list);
	return !c->fatal;
}

static const struct exp_ref *find_exp(struct ctx *c, const char *id)
{
	for (size_t i = 0; id && i < c->nexps; i++)
		if (strcmp(c->exps[i].id, id) == 0)
			return &c->exps[i];
	return NULL;
}

/* Lists the runs to read, with their rows, in delivery order; deleted runs are
 * left out in the query unless asked for. */
static int list_runs(struct ctx *c)
{
	struct sqlconn *db = c->db;
	bool pg = strcmp(db->dialect, "postgresql") == 0;
	bool life = has_col(c, "runs", "lifecycle_stage");
	char *sql = xasprintf(
	        "SELECT run_uuid, experiment_id, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s FROM runs%s "
	        /* SQLite sorts NULL first; PostgreSQL would put them last. */
	        "ORDER BY experiment_id, start_time%s, run_uuid",
	        col_or(c, "runs", "lifecycle_stage", "NULL"), col_or(c, "runs", "name", "NULL"),
	        col_or(c, "runs", "source_type", "NULL"), col_or(c, "runs", "source_name", "NULL"),
	        col_or(c, "runs", "user_id", "NULL"), col_or(c, "runs", "status", "NULL"),
	        col_or(c, "runs", "start_time", "NULL"), col_or(c, "runs", "end_time", "NULL"),
	        col_or(c, "runs", "artifact_uri", "NULL"),
	        col_or(c, "runs", "source_version", "NULL"),
	        life && !c->opts->include_deleted
	                ? " WHERE (lifecycle_stage IS NULL OR lifecycle_stage <> 'deleted')"
	                : "",
	        pg ? " NULLS FIRST" : "");
	int ok = db->ops->query(db, sql, NULL, false);
	free(sql);
	if (!ok)
		return failed(c, "runs"), 0;
	int rc;
	while ((rc = db->ops->next(db)) == 1) {
		if (!db->ops->text(db, 0))
			continue;
		const struct exp_ref *e = find_exp(c, db->ops->text(db, 1));
		if (e && e->deleted && !c->opts->include_deleted)
			continue;
		struct run_ref ref;
		for (int i = 0; i < R_NCOLS; i++)
			ref.col[i] = dup_or_null(db->ops->text(db, i));
		GROW(c->refs, c->caprefs, c->nrefs + 1);
		c->refs[c->nrefs++] = ref;
	}
	if (rc < 0)
		return failed(c, "runs"), 0;
	return 1;
}

/* Builds the per-run queries for the columns this schema has. */
static void prepare_run_sql(struct ctx *c)
{
	if (has_table(c, "params"))
		c->sql_params = xasprintf("SELECT %s, value FROM params WHERE run_uuid = $1", c->key);
	if (has_table(c, "tags"))
		c->sql_tags = xasprintf("SELECT %s, value FROM tags WHERE run_uuid = $1", c->key);
	if (has_table(c, "metrics"))
		c->sql_metrics = xasprintf("SELECT %s, value, timestamp, %s, %s FROM metrics "
		                           "WHERE run_uuid = $1",
		                           c->key, col_or(c, "metrics", "step", "0"),
		                           col_or(c, "metrics", "is_nan", "NULL"));
	if (has_table(c, "inputs") && has_table(c, "datasets"))
		c->sql_inputs = xasprintf(
		        "SELECT d.name, d.digest, %s, %s, %s, %s, %s FROM inputs i "
		        "JOIN datasets d ON d.dataset_uuid = i.source_id "
		        "WHERE i.destination_id = $1 AND i.destination_type = 'RUN' "
		        "AND i.source_type = 'DATASET' ORDER BY d.name, d.digest, i.input_uuid",
		        col_or(c, "datasets", "dataset_source_type", "NULL"),
		        col_or(c, "datasets", "dataset_source", "NULL"),
		        col_or(c, "datasets", "dataset_schema", "NULL"),
		        col_or(c, "datasets", "dataset_profile", "NULL"),
		        has_table(c, "input_tags") ? "(SELECT t.value FROM input_tags t WHERE "
		                                     "t.input_uuid = i.input_uuid AND "
		                                     "t.name = 'mlflow.data.context')"
		                                   : "NULL");
	if (has_table(c, "logged_models"))
		c->sql_models = xasprintf("SELECT model_id, name, %s, %s, %s, %s FROM logged_models "
		                          "WHERE source_run_id = $1 ORDER BY %s, model_id",
		                          col_or(c, "logged_models", "model_type", "NULL"),
		                          col_or(c, "logged_models", "status", "NULL"),
		                          col_or(c, "logged_models", "artifact_location", "NULL"),
		                          col_or(c, "logged_models", "lifecycle_stage", "NULL"),
		                          col_or(c, "logged_models", "creation_timestamp_ms", "NULL"));
	if (has_table(c, "model_versions"))
		c->sql_versions = xasprintf("SELECT name, version, %s, %s, %s FROM model_versions "
		                            "WHERE run_id = $1 ORDER BY name, version",
		                            col_or(c, "model_versions", "status", "NULL"),
		                            col_or(c, "model_versions", "source", "NULL"),
		                            col_or(c, "model_versions", "current_stage", "NULL"));
}

/* The canonical status name for a stored one (names; numbers from foreign writers). */
static const char *status_name(const char *s)
{
	static const char *const names[] = {"RUNNING", "SCHEDULED", "FINISHED", "FAILED", "KILLED"};
	if (s && *s >= '0' && *s <= '9') {
		long v = strtol(s, NULL, 10);
		return v >= 1 && v <= 5 ? names[v - 1] : "UNKNOWN";
	}
	for (size_t k = 0; s && k < sizeof names / sizeof *names; k++)
		if (strcasecmp(s, names[k]) == 0)
			return names[k];
	return "UNKNOWN";
}

/* Reads the key/value rows of sql for the run into l. Returns 0 when the read must stop. */
static int read_kv(struct ctx *c, const char *sql, const char *run_id, struct kvlist *l,
                   const char *what)
{
	if (!sql)
		return 1;
	struct sqlconn *db = c->db;
	char *msg = NULL;
	int rc = -1;
	if (db->ops->query(db, sql, run_id, false)) {
		while ((rc = db->ops->next(db)) == 1)
			if (db->ops->text(db, 0))
				kvlist_add(l, db->ops->text(db, 0), db->ops->text(db, 1));
	}
	if (rc < 0) {
		msg = xasprintf("run %s: %s", run_id, what);
		int go = failed(c, msg);
		free(msg);
		return go;
	}
	return 1;
}

/* The run's series for key, through a hash of the keys seen. */
static struct series *series_for(struct key_slot *k, struct run *r, const char *key)
{
	size_t n = strlen(key);
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
		if (strcmp(s->key, key) == 0)
			return s;
		j = (j + 1) & (k->cap - 1);
	}
	struct series *s = run_series(r, key);
	k->slot[j] = (size_t)(s - r->metrics) + 1;
	k->n++;
	return s;
}

/* Streams the run's metric rows into it. Returns 0 when the read must stop. */
static int read_metrics(struct ctx *c, struct run *r)
{
	struct sqlconn *db = c->db;
	if (!c->sql_metrics)
		return 1;
	struct key_slot *k = &c->keys;
	if (k->n)
		memset(k->slot, 0, k->cap * sizeof *k->slot);
	k->n = 0;
	size_t bad = 0;
	struct series *last = NULL;
	int rc = -1;
	if (db->ops->query(db, c->sql_metrics, r->id, true)) {
		while ((rc = db->ops->next(db)) == 1) {
			const char *key = db->ops->text(db, 0), *val = db->ops->text(db, 1);
			const char *nan = db->ops->text(db, 4);
			if (!key || !val) {
				bad++;
				continue;
			}
			if (!last || strcmp(last->key, key) != 0)
				last = series_for(k, r, key);
			double v;
			if (nan && (*nan == 't' || *nan == '1')) {
				v = NAN; /* MLflow stores NaN as value 0 with is_nan */
			} else {
				char *end;
				v = strtod(val, &end);
				if (end == val || *end) {
					bad++;
					continue;
				}
				/* ±Inf is stored as ±DBL_MAX (sanitize_metric_value). */
				if (v == DBL_MAX)
					v = INFINITY;
				else if (v == -DBL_MAX)
					v = -INFINITY;
			}
			series_add(last, parse_int(db->ops->text(db, 3)), parse_int(db->ops->text(db, 2)), v);
		}
	}
	if (rc < 0) {
		char *what = xasprintf("run %s: metrics", r->id);
		int go = failed(c, what);
		free(what);
		return go;
	}
	if (bad)
		diag_warn(c->shown, 0, "run %s: skipped %zu metric rows without a key or a numeric value",
		          r->id, bad);
	return 1;
}

static int read_inputs(struct ctx *c, struct run *r)
{
	struct sqlconn *db = c->db;
	if (!c->sql_inputs)
		return 1;
	int rc = -1;
	if (db->ops->query(db, c->sql_inputs, r->id, false)) {
		while ((rc = db->ops->next(db)) == 1) {
			struct dataset_input *d = run_add_dataset(r);
			d->name = dup_or_null(db->ops->text(db, 0));
			d->digest = dup_or_null(db->ops->text(db, 1));
			d->source_type = dup_or_null(db->ops->text(db, 2));
			d->source = dup_or_null(db->ops->text(db, 3));
			d->schema = dup_or_null(db->ops->text(db, 4));
			d->profile = dup_or_null(db->ops->text(db, 5));
			d->context = dup_or_null(db->ops->text(db, 6));
		}
	}
	if (rc < 0) {
		char *what = xasprintf("run %s: inputs", r->id);
		int go = failed(c, what);
		free(what);
		return go;
	}
	return 1;
}

/* The MLflow 3 logged models the run produced, and registry versions made from it. */
static int read_models(struct ctx *c, struct run *r)
{
	static const char *const states[] = {"UNSPECIFIED", "PENDING", "READY", "FAILED"};
	struct sqlconn *db = c->db;
	int rc = 0;
	if (c->sql_models) {
		rc = -1;
		if (db->ops->query(db, c->sql_models, r->id, false)) {
			while ((rc = db->ops->next(db)) == 1) {
				const char *life = db->ops->text(db, 5);
				if (life && strcmp(life, "deleted") == 0 && !c->opts->include_deleted)
					continue;
				struct logged_model *m = run_add_model(r);
				m->id = dup_or_null(db->ops->text(db, 0));
				m->name = dup_or_null(db->ops->text(db, 1));
				m->type = dup_nonempty(db->ops->text(db, 2));
				const char *st = db->ops->text(db, 3);
				if (st && *st >= '0' && *st <= '9') {
					long s = strtol(st, NULL, 10);
					m->status = xstrdup(s >= 0 && s <= 3 ? states[s] : "UNSPECIFIED");
				} else {
					m->status = dup_nonempty(st);
				}
				m->uri = dup_nonempty(db->ops->text(db, 4));
			}
		}
	}
	if (rc >= 0 && c->sql_versions) {
		rc = -1;
		if (db->ops->query(db, c->sql_versions, r->id, false)) {
			while ((rc = db->ops->next(db)) == 1) {
				const char *name = db->ops->text(db, 0), *stage = db->ops->text(db, 4);
				if (!name || (stage && strcmp(stage, "Deleted_Internal") == 0 &&
				              !c->opts->include_deleted))
					continue;
				struct logged_model *m = run_add_model(r);
				m->id = xasprintf("%s/%lld", name, (long long)parse_int(db->ops->text(db, 1)));
				m->name = xstrdup(name);
				m->type = xstrdup("registered model version");
				m->status = dup_nonempty(db->ops->text(db, 2));
				m->uri = dup_nonempty(db->ops->text(db, 3));
			}
		}
	}
	if (rc < 0) {
		char *what = xasprintf("run %s: models", r->id);
		int go = failed(c, what);
		free(what);
		return go;
	}
	return 1;
}

/* Reads one run completely; NULL when the read must stop. */
static struct run *read_run(struct ctx *c, const struct run_ref *ref)
{
	const char *const *col = (const char *const *)ref->col;
	struct run *r = run_new(FORMAT_NAME, c->shown);
	r->id = xstrdup(col[R_ID]);
	r->experiment_id = dup_or_null(col[R_EXP]);
	const struct exp_ref *e = find_exp(c, col[R_EXP]);
	if (e)
		r->experiment_name = xstrdup(e->name);
	r->name = dup_nonempty(col[R_NAME]);
	r->user = dup_nonempty(col[R_USER]);
	r->status = xstrdup(status_name(col[R_STATUS]));
	r->start_ms = parse_time(col[R_START]);
	r->end_ms = parse_time(col[R_END]);
	r->deleted = col[R_LIFE] && strcmp(col[R_LIFE], "deleted") == 0;
	if (!read_kv(c, c->sql_params, r->id, &r->params, "params") ||
	    !read_kv(c, c->sql_tags, r->id, &r->tags, "tags"))
		goto stop;
	mlflow_fields_from_tags(r);
	/* The columns are what 2019 clients filled; newer ones leave them empty or UNKNOWN. */
	if (!r->source_name)
		r->source_name = dup_nonempty(col[R_SOURCE_NAME]);
	if (!r->source_type)
		r->source_type = dup_nonempty(col[R_SOURCE_TYPE]);
	if (!r->git_commit)
		r->git_commit = dup_nonempty(col[R_SOURCE_VERSION]);
	if (!e)
		diag_warn(c->shown, 0, "run %s: experiment %s is not in the experiments table", r->id,
		          col[R_EXP] ? col[R_EXP] : "(none)");
	if (!read_metrics(c, r) || !read_inputs(c, r) || !read_models(c, r))
		goto stop;
	return r;
stop:
	run_free(r);
	return NULL;
}

static void ctx_free(struct ctx *c)
{
	if (c->db)
		c->db->ops->close(c->db);
	kvlist_free(&c->cols);
	for (size_t i = 0; i < c->nexps; i++) {
		free(c->exps[i].id);
		free(c->exps[i].name);
	}
	free(c->exps);
	for (size_t i = 0; i < c->nrefs; i++)
		for (int k = 0; k < R_NCOLS; k++)
			free(c->refs[i].col[k]);
	free(c->refs);
	free(c->keys.slot);
	free(c->sql_params);
	free(c->sql_tags);
	free(c->sql_metrics);
	free(c->sql_inputs);
	free(c->sql_models);
	free(c->sql_versions);
}

static long read_store(const char *shown, const struct reader_opts *opts, struct run_sink *sink)
{
	struct ctx c = {.shown = shown, .opts = opts, .sink = sink};
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
	c.db = mysql ? sqlconn_my_open(&t, &fail, &err) : sqlconn_pg_open(&t, &fail, &err);
	if (!c.db) {
		diag_warn(shown, 0, "%s: %s",
		          fail == SQL_AUTH ? "the server refused the login" : "cannot connect", err);
		free(err);
		delivered = -exit_code(fail);
		goto out;
	}
	/* One read-only transaction: every query sees the same snapshot. */
	const char *begin = mysql ? "START TRANSACTION READ ONLY, WITH CONSISTENT SNAPSHOT"
	                          : "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY";
	if (mysql && c.db->ops->query(c.db, "SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ",
	                              NULL, false))
		c.db->ops->end(c.db);
	if (!c.db->ops->query(c.db, begin, NULL, false)) {
		failed(&c, "the read-only transaction");
		goto out;
	}
	c.db->ops->end(c.db);
	c.key = mysql ? "`key`" : "key";
	if (!read_schema(&c) || !read_experiments(&c) || !list_runs(&c))
		goto out;
	prepare_run_sql(&c);
	delivered = 0;
	for (size_t i = 0; i < c.nrefs && !c.fatal; i++) {
		struct run *r = read_run(&c, &c.refs[i]);
		if (!r)
			break;
		run_finish(r, opts->dec_buckets);
		delivered++;
		if (!sink->run(sink->ctx, r))
			break;
	}
out:
	if (c.fatal)
		delivered = -c.fatal;
	ctx_free(&c);
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
