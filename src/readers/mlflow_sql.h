/* mlflow_sql.h — the MLflow SQL tracking store read through the SQL
 * connection interface (sqlconn.h): the one reading of experiments, runs,
 * params, tags, dataset inputs and models that the SQLite reader
 * (mlflow_sqlite.c) and the tracking-server reader (mlflow_server.c) share,
 * so the same store gives the same runs in SQLite, PostgreSQL and MySQL.
 * Each reader opens its connection, starts its snapshot, says which tables
 * and columns exist, and reads the metrics its own way (the server reader
 * may use mlflow_sql_metrics). */
#ifndef RUNSITE_MLFLOW_SQL_H
#define RUNSITE_MLFLOW_SQL_H

#include <stdbool.h>

#include "runsite/model.h"
#include "runsite/reader.h"
#include "sqlconn.h"

/* The columns of a run's row, as the run list reads them. */
enum {
	MS_ID, MS_EXP, MS_LIFE, MS_NAME, MS_SOURCE_TYPE, MS_SOURCE_NAME, MS_USER, MS_STATUS,
	MS_START, MS_END, MS_URI, MS_SOURCE_VERSION, MS_NCOLS
};

struct mlflow_run_row {
	char *col[MS_NCOLS];
};

struct mlflow_exp {
	char *id, *name;
	bool deleted;
};

/* Metric key → index into a run's metrics, so interleaved keys cost no linear search. */
struct mlflow_keys {
	size_t *slot; /* index + 1; 0 = empty */
	size_t cap;   /* power of two */
	size_t n;
};

/* A series' summary as mlflow_sql_summaries builds it. */
struct mlflow_acc {
	char *key;
	size_t klen;
	struct metric_summary sum;
};

/* The series of one run of the list, as mlflow_sql_summaries built them. */
struct mlflow_run_acc {
	struct mlflow_acc *acc;
	size_t n, cap;
	size_t hint;  /* the series the last row went to */
	size_t bad;   /* rows without a key or a numeric value */
	bool inexact; /* a row the stream cannot place exactly: the run's points are read */
};

struct mlflow_sql {
	/* Set by the reader before use. */
	struct sqlconn *db;
	const char *path;   /* the store as shown (runs' source, messages) */
	const char *format; /* the runs' format name */
	const struct reader_opts *opts;
	struct run_sink *sink;
	/* Reports the connection's last failure, about what; returns 0 when the
	 * read must stop. */
	int (*failed)(struct mlflow_sql *m, const char *what);
	void *owner;      /* the reader's own state, for failed */
	const char *key;  /* the column named key as the dialect writes it */
	bool nulls_first; /* ORDER BY must say NULLS FIRST to sort as SQLite does */

	/* Read. */
	struct kvlist cols; /* "table." and "table.column", lower case, for each that exists */
	struct mlflow_exp *exps;
	size_t nexps, capexps;
	struct mlflow_run_row *runs; /* the runs to deliver, in order */
	size_t nruns, capruns;
	char *sql_params, *sql_tags, *sql_metrics, *sql_inputs, *sql_models, *sql_versions;
	struct mlflow_keys keys; /* for mlflow_sql_metrics */
	struct mlflow_run_acc *racc; /* per run of runs, when have_sums */
	size_t *run_slot, run_cap;   /* run_uuid → index into runs + 1 (open addressing) */
	struct mlflow_acc_slot *acc_slot; /* (run, key) → series, for runs with many keys */
	size_t acc_cap, acc_n;
	bool have_sums;
};

/* Records that table has column (names compared without case). */
void mlflow_sql_column(struct mlflow_sql *m, const char *table, const char *column);
/* Runs sql, whose rows are (table, column), into the column set. Returns 0 on failure (reported). */
int mlflow_sql_read_columns(struct mlflow_sql *m, const char *sql);
bool mlflow_sql_has_table(const struct mlflow_sql *m, const char *table);
bool mlflow_sql_has_column(const struct mlflow_sql *m, const char *table, const char *column);
/* The column for a SELECT list, or fallback when the table lacks it. */
const char *mlflow_sql_col_or(const struct mlflow_sql *m, const char *table, const char *column,
                              const char *fallback);

/* Reads the experiments, delivers those to show, keeps id, name and deletion.
 * Returns 0 when the table could not be read (reported). */
int mlflow_sql_experiments(struct mlflow_sql *m);
const struct mlflow_exp *mlflow_sql_find_exp(const struct mlflow_sql *m, const char *id);
/* Lists the runs to read in delivery order (experiment_id, start_time,
 * run_uuid), deleted ones left out in the query unless asked for. Returns 0
 * when the table could not be read (reported). Then builds the per-run queries. */
int mlflow_sql_list_runs(struct mlflow_sql *m);

/* A run from its row, with params, tags and what its system tags say; NULL
 * when the read must stop. */
struct run *mlflow_sql_run_start(struct mlflow_sql *m, const struct mlflow_run_row *row);
/* Streams the run's metric rows into it. Returns 0 when the read must stop. */
int mlflow_sql_metrics(struct mlflow_sql *m, struct run *r);
/* A server, when only summaries are wanted (reader_opts.summaries_only):
 * every series' summary from one read of the metrics table. MySQL streams
 * every row, each folded into its series' summary as it comes, in any
 * order, by the rules run_finish applies to sorted points; PostgreSQL asks
 * for them in one aggregate query (faster there). Sets have_sums when it
 * could (a unique index makes the rows distinct points). Returns 0 when the
 * read must stop. */
int mlflow_sql_summaries(struct mlflow_sql *m);
/* Gives r, the i-th of runs, its series from the summaries: 1 done (r then
 * needs run_sort_lists, not run_finish), 0 when its points must be read
 * instead (no summaries, or a row the stream could not place exactly). */
int mlflow_sql_run_summaries(struct mlflow_sql *m, struct run *r, size_t i);
/* The run's dataset inputs, logged models and model versions. Returns 0 when the read must stop. */
int mlflow_sql_run_finish(struct mlflow_sql *m, struct run *r);

/* The canonical status name for a stored one (a name, or a number from foreign writers). */
const char *mlflow_sql_status(const char *s);
/* The series of r for key (n bytes), through the key index k, which must be
 * reset (mlflow_keys_reset) before each run. */
struct series *mlflow_keys_series(struct mlflow_keys *k, struct run *r, const char *key, size_t n);
void mlflow_keys_reset(struct mlflow_keys *k);

void mlflow_sql_free(struct mlflow_sql *m);

#endif
