/* mlflow_sql.c — the MLflow SQL store's experiments, runs, params, tags,
 * inputs and models, read through sqlconn.h; shared by the SQLite and the
 * tracking-server readers (see mlflow_sql.h). Every schema revision from 2019
 * to 2026: a column a revision lacks is read as NULL (mlflow_sql_col_or). */
#include <ctype.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runsite/diag.h"
#include "runsite/util.h"
#include "mlflow_sql.h"
#include "mlflow_tags.h"

static char *lower_dup(const char *s)
{
	char *d = xstrdup(s);
	for (char *p = d; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	return d;
}

void mlflow_sql_column(struct mlflow_sql *m, const char *table, const char *column)
{
	char *t = lower_dup(table), *c = lower_dup(column);
	char *k = xasprintf("%s.", t);
	if (!kvlist_get(&m->cols, k))
		kvlist_add(&m->cols, k, "");
	free(k);
	k = xasprintf("%s.%s", t, c);
	if (!kvlist_get(&m->cols, k))
		kvlist_add(&m->cols, k, "");
	free(k);
	free(t);
	free(c);
}

int mlflow_sql_read_columns(struct mlflow_sql *m, const char *sql)
{
	struct sqlconn *db = m->db;
	int rc = -1;
	if (db->ops->query(db, sql, NULL, NULL))
		while ((rc = db->ops->next(db)) == 1)
			if (db->ops->text(db, 0) && db->ops->text(db, 1))
				mlflow_sql_column(m, db->ops->text(db, 0), db->ops->text(db, 1));
	if (rc < 0) {
		m->failed(m, "the schema");
		return 0;
	}
	return 1;
}

bool mlflow_sql_has_column(const struct mlflow_sql *m, const char *table, const char *column)
{
	char *k = xasprintf("%s.%s", table, column ? column : "");
	char *l = lower_dup(k);
	bool yes = kvlist_get(&m->cols, l) != NULL;
	free(k);
	free(l);
	return yes;
}

bool mlflow_sql_has_table(const struct mlflow_sql *m, const char *table)
{
	return mlflow_sql_has_column(m, table, NULL);
}

const char *mlflow_sql_col_or(const struct mlflow_sql *m, const char *table, const char *column,
                              const char *fallback)
{
	return mlflow_sql_has_column(m, table, column) ? column : fallback;
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

/* Starts the query *sqlp for param. A statement the connection refuses at
 * once (SQLite: it does not compile against this schema) is dropped for the
 * rest of the read, reported once when warn. Returns 1 when rows follow, 0
 * when there are none to read, -1 when the read must stop. */
static int start(struct mlflow_sql *m, char **sqlp, const char *param, const char *stream,
                 const char *what, bool warn)
{
	struct sqlconn *db = m->db;
	if (!*sqlp)
		return 0;
	if (db->ops->query(db, *sqlp, param, stream))
		return 1;
	if (db->fail != SQL_QUERY)
		return m->failed(m, what) ? 0 : -1;
	free(*sqlp);
	*sqlp = NULL;
	if (warn && !m->failed(m, what))
		return -1;
	return 0;
}

/* Reports a failure while reading the rows of a run's query. Returns 0 when the read must stop. */
static int run_failed(struct mlflow_sql *m, const char *run_id, const char *what)
{
	char *msg = xasprintf("run %s: %s", run_id, what);
	int go = m->failed(m, msg);
	free(msg);
	return go;
}

int mlflow_sql_experiments(struct mlflow_sql *m)
{
	struct sqlconn *db = m->db;
	char *sql = xasprintf("SELECT experiment_id, name, %s, %s, %s FROM experiments "
	                      "ORDER BY experiment_id",
	                      mlflow_sql_col_or(m, "experiments", "artifact_location", "NULL"),
	                      mlflow_sql_col_or(m, "experiments", "lifecycle_stage", "NULL"),
	                      mlflow_sql_col_or(m, "experiments", "creation_time", "NULL"));
	int ok = db->ops->query(db, sql, NULL, NULL);
	free(sql);
	if (!ok) {
		m->failed(m, "experiments");
		return 0;
	}
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
	int go = 1;
	if (rc < 0) {
		m->failed(m, "experiments");
		go = 0;
	}
	/* The tags after the list: a connection reads one query at a time. */
	char *tags_sql = NULL;
	if (mlflow_sql_has_table(m, "experiment_tags"))
		tags_sql = xasprintf("SELECT %s, value FROM experiment_tags WHERE experiment_id = $1 "
		                     "ORDER BY %s",
		                     m->key, m->key);
	for (size_t i = 0; i < n; i++) {
		struct experiment *e = list[i];
		if (go && start(m, &tags_sql, e->id, NULL, "experiment_tags", false) > 0) {
			while ((rc = db->ops->next(db)) == 1)
				if (db->ops->text(db, 0))
					kvlist_add(&e->tags, db->ops->text(db, 0), db->ops->text(db, 1));
			if (rc < 0 && !m->failed(m, "experiment_tags"))
				go = 0;
			const char *note = kvlist_get(&e->tags, "mlflow.note.content");
			if (note && *note)
				e->description = xstrdup(note);
		}
		GROW(m->exps, m->capexps, m->nexps + 1);
		m->exps[m->nexps++] =
		        (struct mlflow_exp){xstrdup(e->id), xstrdup(e->name ? e->name : ""), e->deleted};
		if (!go || (e->deleted && !m->opts->include_deleted))
			experiment_free(e);
		else
			m->sink->experiment(m->sink->ctx, e);
	}
	free(tags_sql);
	free(list);
	return go;
}

const struct mlflow_exp *mlflow_sql_find_exp(const struct mlflow_sql *m, const char *id)
{
	for (size_t i = 0; id && i < m->nexps; i++)
		if (strcmp(m->exps[i].id, id) == 0)
			return &m->exps[i];
	return NULL;
}

/* Builds the per-run queries for the tables and columns this schema has. */
static void prepare_run_sql(struct mlflow_sql *m)
{
	if (mlflow_sql_has_table(m, "params"))
		m->sql_params = xasprintf("SELECT %s, value FROM params WHERE run_uuid = $1", m->key);
	if (mlflow_sql_has_table(m, "tags"))
		m->sql_tags = xasprintf("SELECT %s, value FROM tags WHERE run_uuid = $1", m->key);
	/* Before 2019 (alembic 451aebb31d03, 181f10493468) there was no step or is_nan.
	 * PostgreSQL streams the rows in binary, so the types are made sure of. */
	bool pg = strcmp(m->db->dialect, "postgresql") == 0;
	if (mlflow_sql_has_table(m, "metrics"))
		m->sql_metrics = xasprintf(
		        pg ? "SELECT %s::text, value::float8, timestamp::int8, (%s)::int8, (%s)::bool "
		             "FROM metrics WHERE run_uuid = $1"
		           : "SELECT %s, value, timestamp, %s, %s FROM metrics WHERE run_uuid = $1",
		        m->key, mlflow_sql_col_or(m, "metrics", "step", "0"),
		        mlflow_sql_col_or(m, "metrics", "is_nan", pg ? "false" : "0"));
	if (mlflow_sql_has_table(m, "inputs") && mlflow_sql_has_table(m, "datasets"))
		m->sql_inputs = xasprintf(
		        "SELECT d.name, d.digest, %s, %s, %s, %s, %s FROM inputs i "
		        "JOIN datasets d ON d.dataset_uuid = i.source_id "
		        "WHERE i.destination_id = $1 AND i.destination_type = 'RUN' "
		        "AND i.source_type = 'DATASET' ORDER BY d.name, d.digest, i.input_uuid",
		        mlflow_sql_col_or(m, "datasets", "dataset_source_type", "NULL"),
		        mlflow_sql_col_or(m, "datasets", "dataset_source", "NULL"),
		        mlflow_sql_col_or(m, "datasets", "dataset_schema", "NULL"),
		        mlflow_sql_col_or(m, "datasets", "dataset_profile", "NULL"),
		        mlflow_sql_has_table(m, "input_tags") ? "(SELECT t.value FROM input_tags t WHERE "
		                                                "t.input_uuid = i.input_uuid AND "
		                                                "t.name = 'mlflow.data.context')"
		                                              : "NULL");
	if (mlflow_sql_has_table(m, "logged_models"))
		m->sql_models = xasprintf(
		        "SELECT model_id, name, %s, %s, %s, %s FROM logged_models "
		        "WHERE source_run_id = $1 ORDER BY %s, model_id",
		        mlflow_sql_col_or(m, "logged_models", "model_type", "NULL"),
		        mlflow_sql_col_or(m, "logged_models", "status", "NULL"),
		        mlflow_sql_col_or(m, "logged_models", "artifact_location", "NULL"),
		        mlflow_sql_col_or(m, "logged_models", "lifecycle_stage", "NULL"),
		        mlflow_sql_col_or(m, "logged_models", "creation_timestamp_ms", "NULL"));
	if (mlflow_sql_has_table(m, "model_versions"))
		m->sql_versions = xasprintf("SELECT name, version, %s, %s, %s FROM model_versions "
		                            "WHERE run_id = $1 ORDER BY name, version",
		                            mlflow_sql_col_or(m, "model_versions", "status", "NULL"),
		                            mlflow_sql_col_or(m, "model_versions", "source", "NULL"),
		                            mlflow_sql_col_or(m, "model_versions", "current_stage", "NULL"));
}

int mlflow_sql_list_runs(struct mlflow_sql *m)
{
	struct sqlconn *db = m->db;
	const char *c[MS_NCOLS - 2];
	static const char *const names[] = {"lifecycle_stage", "name",       "source_type",
	                                    "source_name",     "user_id",    "status",
	                                    "start_time",      "end_time",   "artifact_uri",
	                                    "source_version"};
	for (size_t i = 0; i < sizeof names / sizeof *names; i++)
		c[i] = mlflow_sql_col_or(m, "runs", names[i], "NULL");
	/* Deleted runs, and the runs of deleted experiments, are left out by the
	 * server, so none of their rows is read. */
	bool deleted_runs = !m->opts->include_deleted &&
	                    mlflow_sql_has_column(m, "runs", "lifecycle_stage");
	bool deleted_exps = !m->opts->include_deleted &&
	                    mlflow_sql_has_column(m, "experiments", "lifecycle_stage");
	char *sql = xasprintf(
	        "SELECT run_uuid, experiment_id, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s FROM runs "
	        "WHERE %s AND %s ORDER BY experiment_id, start_time%s, run_uuid",
	        c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7], c[8], c[9],
	        deleted_runs ? "(lifecycle_stage IS NULL OR lifecycle_stage <> 'deleted')" : "1 = 1",
	        deleted_exps ? "(experiment_id IS NULL OR experiment_id NOT IN (SELECT experiment_id "
	                       "FROM experiments WHERE lifecycle_stage = 'deleted'))"
	                     : "1 = 1",
	        m->nulls_first ? " NULLS FIRST" : "");
	int ok = db->ops->query(db, sql, NULL, NULL);
	free(sql);
	if (!ok) {
		m->failed(m, "runs");
		return 0;
	}
	int rc;
	while ((rc = db->ops->next(db)) == 1) {
		if (!db->ops->text(db, MS_ID))
			continue;
		const struct mlflow_exp *e = mlflow_sql_find_exp(m, db->ops->text(db, MS_EXP));
		if (e && e->deleted && !m->opts->include_deleted)
			continue;
		struct mlflow_run_row row;
		for (int i = 0; i < MS_NCOLS; i++)
			row.col[i] = dup_or_null(db->ops->text(db, i));
		GROW(m->runs, m->capruns, m->nruns + 1);
		m->runs[m->nruns++] = row;
	}
	if (rc < 0) {
		m->failed(m, "runs");
		return 0;
	}
	prepare_run_sql(m);
	return 1;
}

const char *mlflow_sql_status(const char *s)
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

/* Reads the key/value rows of *sqlp for the run into l. Returns 0 when the read must stop. */
static int read_kv(struct mlflow_sql *m, char **sqlp, const char *run_id, struct kvlist *l,
                   const char *what)
{
	struct sqlconn *db = m->db;
	int s = start(m, sqlp, run_id, NULL, what, false);
	if (s <= 0)
		return s == 0;
	int rc;
	while ((rc = db->ops->next(db)) == 1)
		if (db->ops->text(db, 0))
			kvlist_add(l, db->ops->text(db, 0), db->ops->text(db, 1));
	return rc < 0 ? run_failed(m, run_id, what) : 1;
}

struct run *mlflow_sql_run_start(struct mlflow_sql *m, const struct mlflow_run_row *row)
{
	const char *const *col = (const char *const *)row->col;
	struct run *r = run_new(m->format, m->path);
	r->id = xstrdup(col[MS_ID]);
	r->experiment_id = dup_or_null(col[MS_EXP]);
	const struct mlflow_exp *e = mlflow_sql_find_exp(m, col[MS_EXP]);
	if (e)
		r->experiment_name = xstrdup(e->name);
	r->name = dup_nonempty(col[MS_NAME]);
	r->user = dup_nonempty(col[MS_USER]);
	r->status = xstrdup(mlflow_sql_status(col[MS_STATUS]));
	r->start_ms = parse_time(col[MS_START]);
	r->end_ms = parse_time(col[MS_END]);
	r->deleted = col[MS_LIFE] && strcmp(col[MS_LIFE], "deleted") == 0;
	if (!read_kv(m, &m->sql_params, r->id, &r->params, "params") ||
	    !read_kv(m, &m->sql_tags, r->id, &r->tags, "tags")) {
		run_free(r);
		return NULL;
	}
	mlflow_fields_from_tags(r);
	/* The columns are what 2019 clients filled; newer ones leave them empty or UNKNOWN. */
	if (!r->source_name)
		r->source_name = dup_nonempty(col[MS_SOURCE_NAME]);
	if (!r->source_type)
		r->source_type = dup_nonempty(col[MS_SOURCE_TYPE]);
	if (!r->git_commit)
		r->git_commit = dup_nonempty(col[MS_SOURCE_VERSION]);
	if (!e)
		diag_warn(m->path, 0, "run %s: experiment %s is not in the experiments table", r->id,
		          col[MS_EXP] ? col[MS_EXP] : "(none)");
	return r;
}

void mlflow_keys_reset(struct mlflow_keys *k)
{
	if (k->n)
		memset(k->slot, 0, k->cap * sizeof *k->slot);
	k->n = 0;
}

struct series *mlflow_keys_series(struct mlflow_keys *k, struct run *r, const char *key, size_t n)
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

/* A metric value as MLflow stores it: NaN as 0 with is_nan, ±Inf as ±DBL_MAX
 * (its sanitize_metric_value). */
static double stored_value(double v, bool is_nan)
{
	if (is_nan)
		return NAN;
	return v == DBL_MAX ? INFINITY : v == -DBL_MAX ? -INFINITY : v;
}

int mlflow_sql_metrics(struct mlflow_sql *m, struct run *r)
{
	struct sqlconn *db = m->db;
	/* key, value, timestamp, step, is_nan */
	int s = start(m, &m->sql_metrics, r->id, "tdiib", "metrics", true);
	if (s <= 0)
		return s == 0;
	mlflow_keys_reset(&m->keys);
	size_t bad = 0;
	struct series *last = NULL;
	int rc;
	while ((rc = db->ops->next(db)) == 1) {
		const char *key = db->ops->text(db, 0);
		double v;
		bool has = db->ops->real(db, 1, &v), nan = db->ops->flag(db, 4);
		if (!key || (!has && !nan)) {
			bad++;
			continue;
		}
		if (!last || strcmp(last->key, key) != 0)
			last = mlflow_keys_series(&m->keys, r, key, strlen(key));
		v = stored_value(v, nan);
		series_add(last, db->ops->integer(db, 3), db->ops->integer(db, 2), v);
	}
	if (rc < 0)
		return run_failed(m, r->id, "metrics");
	if (bad)
		diag_warn(m->path, 0, "run %s: skipped %zu metric rows without a key or a numeric value",
		          r->id, bad);
	return 1;
}

/* True when a unique index of metrics makes its rows distinct on (key,
 * timestamp, step, run_uuid, value, is_nan): every MLflow schema's primary
 * key. Then each row is its own point, as long as each NaN and infinity is
 * stored the one way MLflow stores it (checked row by row). */
static int metrics_rows_distinct(struct mlflow_sql *m, bool *yes)
{
	struct sqlconn *db = m->db;
	bool pg = strcmp(db->dialect, "postgresql") == 0;
	*yes = false;
	/* PostgreSQL: a count of such indexes. MySQL: each unique index's
	 * columns, one a row, NULL for an expression; checked below. */
	const char *sql =
	        pg ? "SELECT count(*) FROM pg_index i WHERE i.indrelid = to_regclass('metrics') "
	             "AND i.indisunique AND i.indexprs IS NULL AND i.indpred IS NULL "
	             "AND NOT EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = i.indrelid "
	             "AND a.attnum = ANY (i.indkey) AND a.attname NOT IN ('key', 'timestamp', "
	             "'step', 'run_uuid', 'value', 'is_nan'))"
	           : "SELECT index_name, column_name FROM information_schema.statistics "
	             "WHERE table_schema = DATABASE() AND table_name = 'metrics' AND non_unique = 0 "
	             "ORDER BY index_name";
	if (!db->ops->query(db, sql, NULL, NULL))
		return m->failed(m, "metrics");
	static const char *const cols[] = {"key", "timestamp", "step", "run_uuid", "value", "is_nan"};
	char *index = NULL;
	bool good = false;
	int rc;
	while ((rc = db->ops->next(db)) == 1) {
		if (pg) {
			*yes = db->ops->integer(db, 0) > 0;
			continue;
		}
		const char *name = db->ops->text(db, 0), *col = db->ops->text(db, 1);
		if (!name)
			continue;
		if (!index || strcmp(index, name) != 0) {
			*yes = *yes || good;
			free(index);
			index = xstrdup(name);
			good = true;
		}
		bool known = false;
		for (size_t k = 0; col && k < sizeof cols / sizeof *cols; k++)
			known = known || strcasecmp(col, cols[k]) == 0;
		good = good && known;
	}
	if (index)
		*yes = *yes || good;
	free(index);
	return rc < 0 ? m->failed(m, "metrics") : 1;
}

/* (run, key) → series, once a run has more keys than a look along its list suits. */
struct mlflow_acc_slot {
	uint64_t hash;
	size_t run, idx; /* idx + 1; 0 = empty */
};

#define LINEAR_KEYS 8

static uint64_t acc_hash(size_t run, const char *key, size_t klen)
{
	return hash_bytes(key, klen) ^ ((uint64_t)run * 0x9E3779B97F4A7C15u);
}

static void acc_slot_put(struct mlflow_sql *m, uint64_t h, size_t run, size_t idx)
{
	if ((m->acc_n + 1) * 2 > m->acc_cap) {
		size_t cap = m->acc_cap ? m->acc_cap * 2 : 1024;
		struct mlflow_acc_slot *t = xcalloc(cap, sizeof *t);
		for (size_t i = 0; i < m->acc_cap; i++) {
			if (!m->acc_slot[i].idx)
				continue;
			size_t j = m->acc_slot[i].hash & (cap - 1);
			while (t[j].idx)
				j = (j + 1) & (cap - 1);
			t[j] = m->acc_slot[i];
		}
		free(m->acc_slot);
		m->acc_slot = t;
		m->acc_cap = cap;
	}
	size_t j = h & (m->acc_cap - 1);
	while (m->acc_slot[j].idx)
		j = (j + 1) & (m->acc_cap - 1);
	m->acc_slot[j] = (struct mlflow_acc_slot){h, run, idx + 1};
	m->acc_n++;
}

/* The summary of run's series key, made when new. Rows tend to cycle through a
 * run's keys step by step, so the series after the last one is tried first. */
static struct metric_summary *run_acc_series(struct mlflow_sql *m, size_t run, const char *key)
{
	struct mlflow_run_acc *ra = &m->racc[run];
	size_t klen = strlen(key);
	for (size_t k = 0; k < 2 && ra->n; k++) {
		size_t i = (ra->hint + ra->n - k) % ra->n; /* the next series, then the last one */
		if (ra->acc[i].klen == klen && memcmp(ra->acc[i].key, key, klen) == 0) {
			ra->hint = i + 1;
			return &ra->acc[i].sum;
		}
	}
	uint64_t h = 0;
	if (ra->n <= LINEAR_KEYS) {
		for (size_t i = 0; i < ra->n; i++)
			if (ra->acc[i].klen == klen && memcmp(ra->acc[i].key, key, klen) == 0) {
				ra->hint = i + 1;
				return &ra->acc[i].sum;
			}
	} else {
		h = acc_hash(run, key, klen);
		for (size_t j = h & (m->acc_cap - 1); m->acc_slot[j].idx; j = (j + 1) & (m->acc_cap - 1)) {
			const struct mlflow_acc_slot *s = &m->acc_slot[j];
			struct mlflow_acc *a = &ra->acc[s->idx - 1];
			if (s->hash == h && s->run == run && a->klen == klen &&
			    memcmp(a->key, key, klen) == 0) {
				ra->hint = s->idx;
				return &a->sum;
			}
		}
	}
	GROW(ra->acc, ra->cap, ra->n + 1);
	struct mlflow_acc *a = &ra->acc[ra->n];
	memset(a, 0, sizeof *a);
	a->key = xstrndup(key, klen);
	a->klen = klen;
	ra->n++;
	if (ra->n == LINEAR_KEYS + 1) {
		for (size_t i = 0; i < ra->n; i++)
			acc_slot_put(m, acc_hash(run, ra->acc[i].key, ra->acc[i].klen), run, i);
	} else if (ra->n > LINEAR_KEYS + 1) {
		acc_slot_put(m, h, run, ra->n - 1);
	}
	ra->hint = ra->n;
	return &a->sum;
}

/* The index in runs of the run with id, or SIZE_MAX when it is not one to deliver. */
static size_t find_run(const struct mlflow_sql *m, const char *id)
{
	size_t j = hash_bytes(id, strlen(id)) & (m->run_cap - 1);
	for (; m->run_slot[j]; j = (j + 1) & (m->run_cap - 1))
		if (strcmp(m->runs[m->run_slot[j] - 1].col[MS_ID], id) == 0)
			return m->run_slot[j] - 1;
	return SIZE_MAX;
}

static void index_runs(struct mlflow_sql *m)
{
	m->run_cap = 64;
	while (m->run_cap < m->nruns * 2)
		m->run_cap *= 2;
	m->run_slot = xcalloc(m->run_cap, sizeof *m->run_slot);
	for (size_t i = 0; i < m->nruns; i++) {
		const char *id = m->runs[i].col[MS_ID];
		size_t j = hash_bytes(id, strlen(id)) & (m->run_cap - 1);
		while (m->run_slot[j])
			j = (j + 1) & (m->run_cap - 1);
		m->run_slot[j] = i + 1;
	}
}

/* The largest magnitude below which a float8 holds every integer exactly:
 * steps and timestamps travel as float8 inside the server's arrays. */
#define EXACT_INT 9007199254740992.0 /* 2^53 */

static void json_text(struct buf *b, const char *s)
{
	buf_putc(b, '"');
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		if (ch == '"' || ch == '\\') {
			buf_putc(b, '\\');
			buf_putc(b, (char)ch);
		} else if (ch < 0x20) {
			char esc[8];
			snprintf(esc, sizeof esc, "\\u%04x", ch);
			buf_puts(b, esc);
		} else {
			buf_putc(b, (char)ch);
		}
	}
	buf_putc(b, '"');
}

/* A series as the aggregate query gave it: where its summary is, and its
 * smallest and largest step and timestamp. */
struct agg_series {
	size_t run, acc; /* m->racc[run].acc[acc] */
	int64_t range[4];
	bool exact;
};

/* first and last of each exact series: the points at (smallest step,
 * smallest timestamp) and at (largest step, largest timestamp), looked up
 * through the primary key (key, timestamp, step, run_uuid, ...). When the
 * series has such a point it is the first (last) one, and among several the
 * smallest (largest) value is; a series without one is not exact. */
static int first_last(struct mlflow_sql *m, struct agg_series *g, size_t n)
{
	struct sqlconn *db = m->db;
	struct buf json = BUF_INIT;
	buf_putc(&json, '[');
	for (size_t i = 0; i < n; i++) {
		if (!g[i].exact)
			continue;
		for (int last = 0; last < 2; last++) {
			char num[96];
			buf_puts(&json, json.size > 1 ? ",{\"k\":" : "{\"k\":");
			json_text(&json, m->racc[g[i].run].acc[g[i].acc].key);
			buf_puts(&json, ",\"r\":");
			json_text(&json, m->runs[g[i].run].col[MS_ID]);
			snprintf(num, sizeof num, ",\"i\":%zu,\"s\":%lld,\"t\":%lld}", i * 2 + (size_t)last,
			         (long long)g[i].range[last], (long long)g[i].range[2 + last]);
			buf_puts(&json, num);
		}
	}
	buf_putc(&json, ']');
	char *sql = xasprintf("SELECT g.i, m.value::float8, (%s)::bool FROM json_to_recordset($1::json) "
	                      "AS g(i int8, k text, r text, s int8, t int8) JOIN metrics m "
	                      "ON m.%s = g.k AND m.timestamp = g.t AND (%s) = g.s AND m.run_uuid = g.r",
	                      mlflow_sql_col_or(m, "metrics", "is_nan", "false"), m->key,
	                      mlflow_sql_col_or(m, "metrics", "step", "0"));
	int ok = db->ops->query(db, sql, buf_cstr(&json), "idb");
	free(sql);
	buf_free(&json);
	if (!ok)
		return m->failed(m, "metrics");
	bool *found = xcalloc(n * 2 + 1, sizeof *found);
	int rc;
	while ((rc = db->ops->next(db)) == 1) {
		int64_t i = db->ops->integer(db, 0);
		double v;
		if (i < 0 || (size_t)i >= n * 2 || !db->ops->real(db, 1, &v))
			continue;
		v = stored_value(v, db->ops->flag(db, 2));
		struct agg_series *s = &g[i / 2];
		struct metric_summary *sum = &m->racc[s->run].acc[s->acc].sum;
		struct point *p = i % 2 ? &sum->last : &sum->first;
		int want = i % 2 ? 1 : -1; /* the largest value for last, the smallest for first */
		if (!found[i] || value_cmp(v, p->value) == want)
			*p = (struct point){s->range[i % 2], s->range[2 + i % 2], v};
		found[i] = true;
	}
	for (size_t i = 0; rc == 0 && i < n; i++)
		if (g[i].exact && (!found[2 * i] || !found[2 * i + 1]))
			m->racc[g[i].run].inexact = true;
	free(found);
	return rc < 0 ? m->failed(m, "metrics") : 1;
}

/* PostgreSQL: every series' summary computed by the server in one aggregate
 * query over the metrics table, first and last looked up after; a run with a
 * series the server cannot give exactly is marked inexact. Returns 0 when
 * the read must stop. */
static int aggregate_summaries(struct mlflow_sql *m)
{
	struct sqlconn *db = m->db;
	const char *step = mlflow_sql_col_or(m, "metrics", "step", "0");
	const char *nan = mlflow_sql_col_or(m, "metrics", "is_nan", "false");
	/* One pass, grouped by series: counts, the smallest and largest step and
	 * timestamp (for first and last, looked up next), and min and max as the
	 * finite (value, step) float8 arrays order them, the earliest step on a
	 * tie. A series is exact ("odd" 0) when NaN and ±Inf are stored only as
	 * MLflow stores them (is_nan with value 0, ±DBL_MAX), so no two distinct
	 * rows are the same point, and nothing is NULL. */
	char *sql = xasprintf(
	        "SELECT run_uuid::text, %s::text, n, nnan, ninf, odd, smin, smax, tmin, tmax, "
	        "lo[1], lo[2], hi[1], -hi[2] FROM ("
	        "SELECT run_uuid, %s, count(*) AS n, "
	        "count(*) FILTER (WHERE %s) AS nnan, "
	        "count(*) FILTER (WHERE NOT %s AND abs(value) >= 1.7976931348623157e308) AS ninf, "
	        "count(*) FILTER (WHERE value IS NULL OR timestamp IS NULL OR (%s) IS NULL "
	        "OR (%s) IS NULL OR (%s AND value <> 0) OR (NOT %s AND (value = 'NaN' "
	        "OR abs(value) = 'Infinity'))) AS odd, "
	        "(min(%s))::int8 AS smin, (max(%s))::int8 AS smax, "
	        "min(timestamp)::int8 AS tmin, max(timestamp)::int8 AS tmax, "
	        "min(ARRAY[value::float8, (%s)::float8]) FILTER (WHERE NOT %s "
	        "AND abs(value) < 1.7976931348623157e308) AS lo, "
	        "max(ARRAY[value::float8, -(%s)::float8]) FILTER (WHERE NOT %s "
	        "AND abs(value) < 1.7976931348623157e308) AS hi "
	        "FROM metrics GROUP BY run_uuid, %s) s",
	        m->key, m->key, nan, nan, step, nan, nan, nan, step, step, step, nan, step, nan,
	        m->key);
	int ok = db->ops->query(db, sql, NULL, "ttiiiiiiiidddd");
	free(sql);
	if (!ok)
		return m->failed(m, "metrics");
	struct agg_series *g = NULL;
	size_t n = 0, cap = 0;
	int rc;
	while ((rc = db->ops->next(db)) == 1) {
		const char *run_id = db->ops->text(db, 0), *key = db->ops->text(db, 1);
		size_t run = run_id ? find_run(m, run_id) : SIZE_MAX;
		if (run == SIZE_MAX)
			continue; /* no run reads it */
		if (!key) {
			m->racc[run].inexact = true;
			continue;
		}
		GROW(g, cap, n + 1);
		struct agg_series *s = &g[n++];
		s->run = run;
		struct metric_summary *sum = run_acc_series(m, run, key);
		s->acc = m->racc[run].hint - 1; /* the series run_acc_series gave */
		for (int i = 0; i < 4; i++)
			s->range[i] = db->ops->integer(db, 6 + i);
		double d[4];
		bool has[4];
		for (int i = 0; i < 4; i++)
			has[i] = db->ops->real(db, 10 + i, &d[i]);
		/* Steps beyond 2^53 would not travel exactly in the float8 arrays. */
		s->exact = db->ops->integer(db, 5) == 0 && s->range[0] > -EXACT_INT &&
		           s->range[1] < EXACT_INT && has[0] == has[1] && has[2] == has[3];
		if (!s->exact)
			m->racc[run].inexact = true;
		sum->count = (uint64_t)db->ops->integer(db, 2);
		sum->nan_count = (uint64_t)db->ops->integer(db, 3);
		sum->inf_count = (uint64_t)db->ops->integer(db, 4);
		sum->has_finite = has[0];
		if (has[0]) {
			sum->min = (struct point){(int64_t)d[1], 0, d[0]};
			sum->max = (struct point){(int64_t)d[3], 0, d[2]};
		}
	}
	if (rc < 0) {
		free(g);
		return m->failed(m, "metrics");
	}
	ok = n == 0 || first_last(m, g, n);
	free(g);
	return ok;
}

/* Every row of the metrics table once, in whatever order the server reads
 * them, each folded into its series' summary. A run with a row that may be
 * the same point as another (see below) is marked inexact. Returns 0 when the
 * read must stop. */
static int stream_summaries(struct mlflow_sql *m)
{
	struct sqlconn *db = m->db;
	bool pg = strcmp(db->dialect, "postgresql") == 0;
	/* PostgreSQL sends the rows in binary, so the types are made sure of. */
	const char *step = mlflow_sql_col_or(m, "metrics", "step", "0");
	const char *nan = mlflow_sql_col_or(m, "metrics", "is_nan", pg ? "false" : "0");
	char *sql = xasprintf(pg ? "SELECT run_uuid::text, %s::text, value::float8, "
	                           "timestamp::int8, (%s)::int8, (%s)::bool FROM metrics"
	                         : "SELECT run_uuid, %s, value, timestamp, %s, %s FROM metrics",
	                      m->key, step, nan);
	int ok = db->ops->query(db, sql, NULL, "ttdiib");
	free(sql);
	if (!ok)
		return m->failed(m, "metrics");
	size_t run = SIZE_MAX;
	const char *run_id = NULL; /* the last row's run, as found in runs */
	int rc;
	while ((rc = db->ops->next(db)) == 1) {
		const char *id = db->ops->text(db, 0);
		if (!id)
			continue; /* no run reads it */
		if (!run_id || strcmp(run_id, id) != 0) {
			run = find_run(m, id);
			run_id = run == SIZE_MAX ? NULL : m->runs[run].col[MS_ID];
		}
		if (run == SIZE_MAX)
			continue; /* a run not delivered (deleted) */
		struct mlflow_run_acc *ra = &m->racc[run];
		if (ra->inexact)
			continue;
		const char *key = db->ops->text(db, 1);
		double v;
		bool has = db->ops->real(db, 2, &v), is_nan = db->ops->flag(db, 5);
		if (!key || (!has && !is_nan)) {
			ra->bad++; /* as mlflow_sql_metrics skips it */
			continue;
		}
		/* A NULL read as 0, a NaN stored with a value, a NaN or an infinity
		 * stored as such: the row may be the same point as another. */
		if (db->ops->is_null(db, 2) || db->ops->is_null(db, 3) || db->ops->is_null(db, 4) ||
		    db->ops->is_null(db, 5) || (is_nan ? v != 0 : !isfinite(v))) {
			ra->inexact = true;
			continue;
		}
		v = stored_value(v, is_nan);
		struct point p = {db->ops->integer(db, 4), db->ops->integer(db, 3), v};
		summary_fold(run_acc_series(m, run, key), p);
	}
	return rc < 0 ? m->failed(m, "metrics") : 1;
}

int mlflow_sql_summaries(struct mlflow_sql *m)
{
	struct sqlconn *db = m->db;
	if (!m->sql_metrics || strcmp(db->dialect, "sqlite") == 0)
		return 1;
	bool distinct;
	if (!metrics_rows_distinct(m, &distinct))
		return 0;
	if (!distinct)
		return 1; /* the same point stored twice would count twice: the points are read */
	index_runs(m);
	m->racc = xcalloc(m->nruns ? m->nruns : 1, sizeof *m->racc);
	/* PostgreSQL's parallel aggregate is faster than its one-backend COPY
	 * of every row; MySQL has no aggregate for min and max with their
	 * steps. RUNSITE_SUMMARIES=stream or =aggregate (PostgreSQL only)
	 * chooses, for the tests and the benchmark. */
	const char *how = getenv("RUNSITE_SUMMARIES");
	bool stream = how && *how ? strcmp(how, "stream") == 0 || strcmp(db->dialect, "postgresql") != 0
	                          : strcmp(db->dialect, "postgresql") != 0;
	if (!(stream ? stream_summaries(m) : aggregate_summaries(m)))
		return 0;
	m->have_sums = true;
	return 1;
}

int mlflow_sql_run_summaries(struct mlflow_sql *m, struct run *r, size_t i)
{
	if (!m->have_sums || i >= m->nruns || m->racc[i].inexact)
		return 0;
	struct mlflow_run_acc *ra = &m->racc[i];
	mlflow_keys_reset(&m->keys);
	for (size_t k = 0; k < ra->n; k++) {
		struct series *s = mlflow_keys_series(&m->keys, r, ra->acc[k].key, ra->acc[k].klen);
		s->sum = ra->acc[k].sum;
	}
	if (ra->bad)
		diag_warn(m->path, 0, "run %s: skipped %zu metric rows without a key or a numeric value",
		          r->id, ra->bad);
	return 1;
}

static int read_inputs(struct mlflow_sql *m, struct run *r)
{
	struct sqlconn *db = m->db;
	int s = start(m, &m->sql_inputs, r->id, NULL, "inputs", true);
	if (s <= 0)
		return s == 0;
	int rc;
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
	return rc < 0 ? run_failed(m, r->id, "inputs") : 1;
}

/* The MLflow 3 logged models the run produced, and registry versions made from it. */
static int read_models(struct mlflow_sql *m, struct run *r)
{
	static const char *const states[] = {"UNSPECIFIED", "PENDING", "READY", "FAILED"};
	struct sqlconn *db = m->db;
	int rc, s = start(m, &m->sql_models, r->id, NULL, "logged_models", true);
	if (s < 0)
		return 0;
	if (s > 0) {
		while ((rc = db->ops->next(db)) == 1) {
			const char *life = db->ops->text(db, 5);
			if (life && strcmp(life, "deleted") == 0 && !m->opts->include_deleted)
				continue;
			struct logged_model *lm = run_add_model(r);
			lm->id = dup_or_null(db->ops->text(db, 0));
			lm->name = dup_or_null(db->ops->text(db, 1));
			lm->type = dup_nonempty(db->ops->text(db, 2));
			const char *st = db->ops->text(db, 3);
			if (st && *st >= '0' && *st <= '9') {
				long k = strtol(st, NULL, 10);
				lm->status = xstrdup(k >= 0 && k <= 3 ? states[k] : "UNSPECIFIED");
			} else {
				lm->status = dup_nonempty(st);
			}
			lm->uri = dup_nonempty(db->ops->text(db, 4));
		}
		if (rc < 0 && !run_failed(m, r->id, "logged_models"))
			return 0;
	}
	s = start(m, &m->sql_versions, r->id, NULL, "model_versions", false);
	if (s <= 0)
		return s == 0;
	while ((rc = db->ops->next(db)) == 1) {
		const char *name = db->ops->text(db, 0), *stage = db->ops->text(db, 4);
		if (!name ||
		    (stage && strcmp(stage, "Deleted_Internal") == 0 && !m->opts->include_deleted))
			continue;
		struct logged_model *lm = run_add_model(r);
		lm->id = xasprintf("%s/%lld", name, (long long)parse_int(db->ops->text(db, 1)));
		lm->name = xstrdup(name);
		lm->type = xstrdup("registered model version");
		lm->status = dup_nonempty(db->ops->text(db, 2));
		lm->uri = dup_nonempty(db->ops->text(db, 3));
	}
	return rc < 0 ? run_failed(m, r->id, "model_versions") : 1;
}

int mlflow_sql_run_finish(struct mlflow_sql *m, struct run *r)
{
	return read_inputs(m, r) && read_models(m, r);
}

void mlflow_sql_free(struct mlflow_sql *m)
{
	kvlist_free(&m->cols);
	for (size_t i = 0; i < m->nexps; i++) {
		free(m->exps[i].id);
		free(m->exps[i].name);
	}
	free(m->exps);
	for (size_t i = 0; i < m->nruns; i++)
		for (int k = 0; k < MS_NCOLS; k++)
			free(m->runs[i].col[k]);
	free(m->runs);
	free(m->keys.slot);
	for (size_t i = 0; m->racc && i < m->nruns; i++) {
		for (size_t k = 0; k < m->racc[i].n; k++)
			free(m->racc[i].acc[k].key);
		free(m->racc[i].acc);
	}
	free(m->racc);
	free(m->run_slot);
	free(m->acc_slot);
	free(m->sql_params);
	free(m->sql_tags);
	free(m->sql_metrics);
	free(m->sql_inputs);
	free(m->sql_models);
	free(m->sql_versions);
	memset(m, 0, sizeof *m);
}
