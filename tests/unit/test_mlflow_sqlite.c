/* test_mlflow_sqlite.c — the MLflow SQLite reader on databases made here with the
 * sqlite3 C API: the 2019 schema (alembic 7ac759974ad8) and the 2026 one with
 * workspace columns; NaN, ±Inf, negative steps, duplicates, "last", deletion,
 * interleaved metric rows, datasets, logged models, artifacts; broken, foreign,
 * truncated and locked files; and the real databases in ../shared/corpus. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <float.h>
#include <jansson.h>
#include <math.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runsite/diag.h"
#include "runsite/reader.h"
#include "runsite/util.h"
#include "harness.h"

extern const struct reader reader_mlflow_sqlite;

#define CORPUS "../shared/corpus/mlflow-sqlite"

static char tmp_root[256];

/* ---- building databases ----------------------------------------------- */

static void exec_sql(sqlite3 *db, const char *sql)
{
	char *err = NULL;
	if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK) {
		fprintf(stderr, "test setup SQL failed: %s\n%s\n", err, sql);
		exit(1);
	}
}

static sqlite3 *db_create(const char *path)
{
	sqlite3 *db;
	unlink(path);
	if (sqlite3_open(path, &db) != SQLITE_OK) {
		fprintf(stderr, "cannot create %s\n", path);
		exit(1);
	}
	return db;
}

/* Inserts one metric row (NaN and ±Inf stored the way MLflow stores them). */
static void add_metric(sqlite3 *db, const char *run, const char *key, double v, int64_t ts,
                       int64_t step)
{
	sqlite3_stmt *st;
	sqlite3_prepare_v2(db,
	                   "INSERT INTO metrics (key, value, timestamp, run_uuid, step, is_nan) "
	                   "VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
	                   -1, &st, NULL);
	int is_nan = isnan(v);
	double stored = is_nan ? 0.0 : isinf(v) ? (v > 0 ? DBL_MAX : -DBL_MAX) : v;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_double(st, 2, stored);
	sqlite3_bind_int64(st, 3, ts);
	sqlite3_bind_text(st, 4, run, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, step);
	sqlite3_bind_int(st, 6, is_nan);
	if (sqlite3_step(st) != SQLITE_DONE) {
		fprintf(stderr, "insert metric: %s\n", sqlite3_errmsg(db));
		exit(1);
	}
	sqlite3_finalize(st);
}

/* The schema of MLflow's own 2019 fixture (alembic 7ac759974ad8), as `.schema` prints it,
 * except that metrics has no primary key so identical rows can be stored. */
static const char schema_2019[] =
	"CREATE TABLE experiments (experiment_id INTEGER NOT NULL, name VARCHAR(256) NOT NULL,"
	" artifact_location VARCHAR(256), lifecycle_stage VARCHAR(32),"
	" CONSTRAINT experiment_pk PRIMARY KEY (experiment_id), UNIQUE (name));"
	"CREATE TABLE runs (run_uuid VARCHAR(32) NOT NULL, name VARCHAR(250),"
	" source_type VARCHAR(20), source_name VARCHAR(500), entry_point_name VARCHAR(50),"
	" user_id VARCHAR(256), status VARCHAR(20), start_time BIGINT, end_time BIGINT,"
	" source_version VARCHAR(50), lifecycle_stage VARCHAR(20), artifact_uri VARCHAR(200),"
	" experiment_id INTEGER, CONSTRAINT run_pk PRIMARY KEY (run_uuid),"
	" FOREIGN KEY(experiment_id) REFERENCES experiments (experiment_id));"
	"CREATE TABLE params (\"key\" VARCHAR(250) NOT NULL, value VARCHAR(250) NOT NULL,"
	" run_uuid VARCHAR(32) NOT NULL, CONSTRAINT param_pk PRIMARY KEY (\"key\", run_uuid));"
	"CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL,"
	" CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num));"
	"CREATE TABLE IF NOT EXISTS \"metrics\" (\"key\" VARCHAR(250) NOT NULL,"
	" value FLOAT NOT NULL, timestamp BIGINT NOT NULL, run_uuid VARCHAR(32) NOT NULL,"
	" step BIGINT DEFAULT '0' NOT NULL, is_nan BOOLEAN DEFAULT '0' NOT NULL);"
	"CREATE TABLE experiment_tags (\"key\" VARCHAR(250) NOT NULL, value VARCHAR(5000),"
	" experiment_id INTEGER NOT NULL,"
	" CONSTRAINT experiment_tag_pk PRIMARY KEY (\"key\", experiment_id));"
	"CREATE TABLE IF NOT EXISTS \"tags\" (\"key\" VARCHAR(250) NOT NULL, value VARCHAR(5000),"
	" run_uuid VARCHAR(32) NOT NULL, CONSTRAINT tag_pk PRIMARY KEY (\"key\", run_uuid));"
	"INSERT INTO alembic_version VALUES ('7ac759974ad8');";

/* The 2026 schema (alembic 1b5f0d9ad7c1) for the tables the reader looks at. */
static const char schema_2026[] =
	"CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL,"
	" CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num));"
	"CREATE TABLE experiments (experiment_id INTEGER NOT NULL, name VARCHAR(256) NOT NULL,"
	" artifact_location VARCHAR(256), lifecycle_stage VARCHAR(32), creation_time BIGINT,"
	" last_update_time BIGINT, workspace VARCHAR(63) DEFAULT 'default' NOT NULL,"
	" CONSTRAINT experiment_pk PRIMARY KEY (experiment_id),"
	" CONSTRAINT uq_experiments_workspace_name UNIQUE (workspace, name));"
	"CREATE TABLE experiment_tags (\"key\" VARCHAR(250) NOT NULL, value VARCHAR(5000),"
	" experiment_id INTEGER NOT NULL,"
	" CONSTRAINT experiment_tag_pk PRIMARY KEY (\"key\", experiment_id));"
	"CREATE TABLE runs (run_uuid VARCHAR(32) NOT NULL, name VARCHAR(250),"
	" source_type VARCHAR(20), source_name VARCHAR(500), entry_point_name VARCHAR(50),"
	" user_id VARCHAR(256), status VARCHAR(9), start_time BIGINT, end_time BIGINT,"
	" source_version VARCHAR(50), lifecycle_stage VARCHAR(20), artifact_uri VARCHAR(200),"
	" experiment_id INTEGER, deleted_time BIGINT, CONSTRAINT run_pk PRIMARY KEY (run_uuid));"
	"CREATE TABLE latest_metrics (\"key\" VARCHAR(250) NOT NULL, value FLOAT NOT NULL,"
	" timestamp BIGINT, step BIGINT NOT NULL, is_nan BOOLEAN NOT NULL,"
	" run_uuid VARCHAR(32) NOT NULL,"
	" CONSTRAINT latest_metric_pk PRIMARY KEY (\"key\", run_uuid));"
	"CREATE TABLE metrics (\"key\" VARCHAR(250) NOT NULL, value FLOAT NOT NULL,"
	" timestamp BIGINT NOT NULL, run_uuid VARCHAR(32) NOT NULL,"
	" step BIGINT DEFAULT '0' NOT NULL, is_nan BOOLEAN DEFAULT '0' NOT NULL,"
	" CONSTRAINT metric_pk PRIMARY KEY (\"key\", timestamp, step, run_uuid, value, is_nan));"
	"CREATE INDEX index_metrics_run_uuid ON metrics (run_uuid);"
	"CREATE TABLE inputs (input_uuid VARCHAR(36) NOT NULL, source_type VARCHAR(36) NOT NULL,"
	" source_id VARCHAR(36) NOT NULL, destination_type VARCHAR(36) NOT NULL,"
	" destination_id VARCHAR(36) NOT NULL, step BIGINT DEFAULT '0' NOT NULL,"
	" CONSTRAINT inputs_pk PRIMARY KEY (source_type, source_id, destination_type,"
	" destination_id));"
	"CREATE TABLE input_tags (input_uuid VARCHAR(36) NOT NULL, name VARCHAR(255) NOT NULL,"
	" value VARCHAR(500) NOT NULL, CONSTRAINT input_tags_pk PRIMARY KEY (input_uuid, name));"
	"CREATE TABLE params (\"key\" VARCHAR(250) NOT NULL, value VARCHAR(8000) NOT NULL,"
	" run_uuid VARCHAR(32) NOT NULL, CONSTRAINT param_pk PRIMARY KEY (\"key\", run_uuid));"
	"CREATE INDEX index_params_run_uuid ON params (run_uuid);"
	"CREATE TABLE tags (\"key\" VARCHAR(250) NOT NULL, value VARCHAR(8000),"
	" run_uuid VARCHAR(32) NOT NULL, CONSTRAINT tag_pk PRIMARY KEY (\"key\", run_uuid));"
	"CREATE INDEX index_tags_run_uuid ON tags (run_uuid);"
	"CREATE TABLE datasets (dataset_uuid VARCHAR(36) NOT NULL, experiment_id INTEGER NOT NULL,"
	" name VARCHAR(500) NOT NULL, digest VARCHAR(36) NOT NULL,"
	" dataset_source_type VARCHAR(36) NOT NULL, dataset_source TEXT NOT NULL,"
	" dataset_schema TEXT, dataset_profile TEXT,"
	" CONSTRAINT dataset_pk PRIMARY KEY (experiment_id, name, digest));"
	"CREATE TABLE logged_models (model_id VARCHAR(36) NOT NULL, experiment_id INTEGER NOT NULL,"
	" name VARCHAR(500) NOT NULL, artifact_location VARCHAR(1000) NOT NULL,"
	" creation_timestamp_ms BIGINT NOT NULL, last_updated_timestamp_ms BIGINT NOT NULL,"
	" status INTEGER NOT NULL, lifecycle_stage VARCHAR(32), model_type VARCHAR(500),"
	" source_run_id VARCHAR(32), status_message VARCHAR(1000),"
	" CONSTRAINT logged_models_pk PRIMARY KEY (model_id));"
	"CREATE TABLE model_versions (name VARCHAR(256) NOT NULL, version INTEGER NOT NULL,"
	" creation_time BIGINT, last_updated_time BIGINT, description VARCHAR(5000),"
	" user_id VARCHAR(256), current_stage VARCHAR(20), source VARCHAR(500),"
	" run_id VARCHAR(32), status VARCHAR(20), status_message VARCHAR(500),"
	" run_link VARCHAR(500), storage_location VARCHAR(500),"
	" workspace VARCHAR(63) DEFAULT 'default' NOT NULL,"
	" CONSTRAINT model_version_pk PRIMARY KEY (workspace, name, version));"
	"CREATE TABLE workspaces (name VARCHAR(63) NOT NULL, description TEXT,"
	" default_artifact_root TEXT, CONSTRAINT workspaces_pk PRIMARY KEY (name));"
	"INSERT INTO workspaces VALUES ('default', NULL, NULL);"
	"INSERT INTO alembic_version VALUES ('1b5f0d9ad7c1');";

#define RUN_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define RUN_B "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
#define RUN_C "cccccccccccccccccccccccccccccccc"
#define RUN_D "dddddddddddddddddddddddddddddddd"
#define RUN_X "eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee"
#define RUN_Y "ffffffffffffffffffffffffffffffff"

/* 2019 store: run A (edge-case values, name only in a tag), run B deleted, run C
 * whose rows interleave with A's, run D in a deleted experiment. */
static void make_2019(const char *path)
{
	sqlite3 *db = db_create(path);
	exec_sql(db, schema_2019);
	exec_sql(db,
	         "INSERT INTO experiments VALUES (0, 'Default', './mlruns/0', 'active');"
	         "INSERT INTO experiments VALUES (1, 'exp-one', '/tmp/nowhere/1', 'active');"
	         "INSERT INTO experiments VALUES (2, 'gone', '/tmp/nowhere/2', 'deleted');"
	         "INSERT INTO experiment_tags VALUES ('mlflow.note.content', '# Exp one', 1);"
	         "INSERT INTO runs VALUES ('" RUN_A "', '', 'LOCAL', 'train.py', '', 'alice',"
	         " 'FINISHED', 1000, 9000, 'abc123', 'active', '/tmp/nowhere/a', 1);"
	         "INSERT INTO runs VALUES ('" RUN_B "', 'bee', 'LOCAL', '', '', 'bob',"
	         " 'FAILED', 2000, 3000, '', 'deleted', '', 1);"
	         "INSERT INTO runs VALUES ('" RUN_C "', 'see', 'UNKNOWN', '', '', 'carol',"
	         " 'RUNNING', 1500, NULL, '', 'active', '', 1);"
	         "INSERT INTO runs VALUES ('" RUN_D "', 'dee', 'UNKNOWN', '', '', 'dan',"
	         " 'KILLED', 500, 600, '', 'active', '', 2);"
	         "INSERT INTO params VALUES ('lr', '0.01', '" RUN_A "');"
	         "INSERT INTO params VALUES ('batch', '32', '" RUN_A "');"
	         "INSERT INTO tags VALUES ('mlflow.runName', 'alpha', '" RUN_A "');"
	         "INSERT INTO tags VALUES ('mlflow.user', 'alice-tag', '" RUN_A "');"
	         "INSERT INTO tags VALUES ('mlflow.source.type', 'NOTEBOOK', '" RUN_A "');"
	         "INSERT INTO tags VALUES ('mlflow.source.git.branch', 'main', '" RUN_A "');"
	         "INSERT INTO tags VALUES ('mlflow.parentRunId', '" RUN_C "', '" RUN_A "');"
	         "INSERT INTO tags VALUES ('mlflow.note.content', 'Notes *A*', '" RUN_A "');");
	add_metric(db, RUN_A, "loss", 1.0, 100, -1);
	add_metric(db, RUN_C, "acc", 0.1, 100, 0); /* interleaved with A */
	add_metric(db, RUN_A, "loss", 0.5, 200, 0);
	add_metric(db, RUN_A, "loss", 0.5, 200, 0); /* identical: counts once */
	add_metric(db, RUN_A, "loss", NAN, 300, 1);
	add_metric(db, RUN_A, "loss", INFINITY, 400, 2);
	add_metric(db, RUN_A, "loss", -INFINITY, 500, 3);
	add_metric(db, RUN_C, "acc", 0.2, 200, 1);
	add_metric(db, RUN_A, "loss", 2.0, 600, 5);
	add_metric(db, RUN_A, "loss", 3.0, 600, 5); /* same step and time: larger value is last */
	add_metric(db, RUN_A, "loss", 9.0, 550, 5); /* earlier time at step 5: not last */
	add_metric(db, RUN_B, "loss", 7.0, 100, 0);
	add_metric(db, RUN_D, "loss", 7.0, 100, 0);
	sqlite3_close(db);
}

/* 2026 store with workspace columns: run X with datasets, a logged model, a registry
 * version and a local artifact folder; run Y whose 998 rows sit between X's two rows. */
static void make_2026(const char *path, const char *artdir)
{
	sqlite3 *db = db_create(path);
	exec_sql(db, schema_2026);
	char *sql = xasprintf(
		"INSERT INTO experiments VALUES (0, 'Default', 'mlflow-artifacts:/0', 'active',"
		" 1700000000000, 1700000000000, 'default');"
		"INSERT INTO experiments VALUES (7, 'seven', 'mlflow-artifacts:/7', 'active',"
		" 1700000000001, 1700000000002, 'default');"
		"INSERT INTO runs VALUES ('" RUN_X "', 'x-run', 'UNKNOWN', '', '', 'xavier',"
		" 'FINISHED', 10, 20, '', 'active', 'file://%s', 7, NULL);"
		"INSERT INTO runs VALUES ('" RUN_Y "', 'y-run', 'UNKNOWN', '', '', 'yan',"
		" 'FAILED', 30, 40, '', 'active', 'mlflow-artifacts:/7/y/artifacts', 7, NULL);"
		"INSERT INTO tags VALUES ('mlflow.source.name', 'nb.ipynb', '" RUN_X "');"
		"INSERT INTO tags VALUES ('mlflow.source.git.commit', 'deadbeef', '" RUN_X "');"
		"INSERT INTO tags VALUES ('mlflow.source.git.repoURL', 'https://x/y', '" RUN_X "');"
		"INSERT INTO datasets VALUES ('ds1', 7, 'train-set', 'd1g', 'local',"
		" '{\"uri\": \"/data\"}', '{\"cols\": 3}', NULL);"
		"INSERT INTO datasets VALUES ('ds2', 7, 'eval-set', 'd2g', 'http', '{}', NULL, NULL);"
		"INSERT INTO inputs VALUES ('in1', 'DATASET', 'ds1', 'RUN', '" RUN_X "', 0);"
		"INSERT INTO inputs VALUES ('in2', 'DATASET', 'ds2', 'RUN', '" RUN_X "', 0);"
		"INSERT INTO input_tags VALUES ('in1', 'mlflow.data.context', 'train');"
		"INSERT INTO logged_models VALUES ('m-1', 7, 'model', 'mlflow-artifacts:/7/models/m-1',"
		" 1, 2, 2, 'active', 'sklearn', '" RUN_X "', NULL);"
		"INSERT INTO logged_models VALUES ('m-2', 7, 'old', 'x', 1, 2, 3, 'deleted', NULL,"
		" '" RUN_X "', NULL);"
		"INSERT INTO model_versions VALUES ('reg', 3, 1, 2, '', 'x', 'None', 'models:/m-1',"
		" '" RUN_X "', 'READY', '', '', '', 'default');",
		artdir);
	exec_sql(db, sql);
	free(sql);
	exec_sql(db, "BEGIN");
	add_metric(db, RUN_X, "m", 1.0, 1, 0);
	for (int i = 0; i < 998; i++)
		add_metric(db, RUN_Y, i % 2 ? "b" : "a", i, 1000 + i, i / 2);
	add_metric(db, RUN_X, "m", 2.0, 2, 1);
	exec_sql(db, "COMMIT");
	sqlite3_close(db);
}

/* ---- collecting what the reader delivers ------------------------------ */

struct got {
	struct experiment **exps;
	size_t nexps, capexps;
	struct run **runs;
	size_t nruns, capruns;
	bool exp_before_run; /* every run's experiment came before it */
	long stop_after;     /* ask to stop after this many runs (0: never) */
};

static void on_exp(void *ctx, struct experiment *e)
{
	struct got *g = ctx;
	GROW(g->exps, g->capexps, g->nexps + 1);
	g->exps[g->nexps++] = e;
}

static int on_run(void *ctx, struct run *r)
{
	struct got *g = ctx;
	bool seen = false;
	for (size_t i = 0; i < g->nexps; i++)
		if (r->experiment_id && strcmp(g->exps[i]->id, r->experiment_id) == 0)
			seen = true;
	if (!seen)
		g->exp_before_run = false;
	GROW(g->runs, g->capruns, g->nruns + 1);
	g->runs[g->nruns++] = r;
	return !(g->stop_after && (long)g->nruns >= g->stop_after);
}

static long read_into(const char *path, bool include_deleted, struct got *g)
{
	memset(g, 0, sizeof *g);
	g->exp_before_run = true;
	struct reader_opts o = {.include_deleted = include_deleted, .dec_buckets = 8};
	struct run_sink s = {g, on_exp, on_run, NULL};
	return reader_mlflow_sqlite.read(path, &o, &s);
}

static void got_free(struct got *g)
{
	for (size_t i = 0; i < g->nexps; i++)
		experiment_free(g->exps[i]);
	for (size_t i = 0; i < g->nruns; i++)
		run_free(g->runs[i]);
	free(g->exps);
	free(g->runs);
	memset(g, 0, sizeof *g);
}

static struct run *find_run(struct got *g, const char *id)
{
	for (size_t i = 0; i < g->nruns; i++)
		if (strcmp(g->runs[i]->id, id) == 0)
			return g->runs[i];
	return NULL;
}

/* ---- file identity ---------------------------------------------------- */

struct ident {
	uint64_t hash;
	struct timespec mtime;
	off_t size;
};

static struct ident file_ident(const char *path)
{
	struct ident id = {1469598103934665603ULL, {0, 0}, -1};
	struct stat sb;
	if (stat(path, &sb) == 0) {
		id.mtime = sb.st_mtim;
		id.size = sb.st_size;
	}
	FILE *f = fopen(path, "rb");
	int ch;
	while (f && (ch = getc(f)) != EOF)
		id.hash = (id.hash ^ (unsigned)ch) * 1099511628211ULL;
	if (f)
		fclose(f);
	return id;
}

static bool ident_eq(struct ident a, struct ident b)
{
	return a.hash == b.hash && a.size == b.size && a.mtime.tv_sec == b.mtime.tv_sec &&
	       a.mtime.tv_nsec == b.mtime.tv_nsec;
}

static void write_file(const char *path, const char *data, size_t n)
{
	FILE *f = fopen(path, "wb");
	if (!f) {
		perror(path);
		exit(1);
	}
	fwrite(data, 1, n, f);
	fclose(f);
}

/* ---- tests ------------------------------------------------------------ */

static void test_2019(void)
{
	char *path = path_join(tmp_root, "old.db");
	make_2019(path);
	INT_EQ(reader_mlflow_sqlite.probe(path), 100, "probe claims a 2019 MLflow database");
	struct ident before = file_ident(path);

	struct got g;
	long n = read_into(path, false, &g);
	INT_EQ(n, 2, "runs delivered without deleted ones (A, C)");
	INT_EQ(g.nruns, 2, "runs seen by the sink");
	OK(g.exp_before_run, "each run's experiment is delivered before it");
	INT_EQ(g.nexps, 2, "the deleted experiment is left out");
	if (g.nexps == 2) {
		STR_EQ(g.exps[1]->id, "1", "experiment id as text");
		STR_EQ(g.exps[1]->name, "exp-one", "experiment name");
		STR_EQ(g.exps[1]->description, "# Exp one", "experiment description from its note tag");
		STR_EQ(g.exps[1]->artifact_location, "/tmp/nowhere/1", "artifact location");
		OK(g.exps[1]->created_ms == TIME_UNKNOWN, "no creation_time column: unknown");
	}
	OK(!find_run(&g, RUN_B), "deleted run B left out");
	OK(!find_run(&g, RUN_D), "run D of a deleted experiment left out");
	if (g.nruns == 2) {
		/* ORDER BY experiment_id, start_time: A (1000) before C (1500). */
		STR_EQ(g.runs[0]->id, RUN_A, "first run by start time");
		STR_EQ(g.runs[1]->id, RUN_C, "second run by start time");
	}
	struct run *a = find_run(&g, RUN_A);
	OK(a != NULL, "run A delivered");
	if (a) {
		STR_EQ(a->format, "mlflow-sqlite", "format");
		STR_EQ(a->name, "alpha", "empty runs.name falls back to tag mlflow.runName");
		STR_EQ(a->experiment_name, "exp-one", "experiment name");
		STR_EQ(a->status, "FINISHED", "status");
		INT_EQ(a->start_ms, 1000, "start");
		INT_EQ(a->end_ms, 9000, "end");
		STR_EQ(a->user, "alice", "user_id column first");
		STR_EQ(a->source_name, "train.py", "source name from the column when no tag");
		STR_EQ(a->source_type, "NOTEBOOK", "source type from the tag");
		STR_EQ(a->git_commit, "abc123", "source_version as git commit when no tag");
		STR_EQ(a->git_branch, "main", "git branch tag");
		STR_EQ(a->parent_id, RUN_C, "parent run tag");
		STR_EQ(a->notes, "Notes *A*", "notes tag");
		OK(!a->deleted, "not deleted");
		INT_EQ(a->params.n, 2, "params");
		STR_EQ(kvlist_get(&a->params, "lr"), "0.01", "param lr");
		INT_EQ(a->tags.n, 6, "every tag kept");
		INT_EQ(a->nmetrics, 1, "one metric key (C's rows between A's are not A's)");
		const struct series *s = run_find_series(a, "loss");
		OK(s != NULL, "loss series");
		if (s) {
			INT_EQ(s->sum.count, 8, "9 rows, one identical duplicate counted once");
			INT_EQ(s->sum.nan_count, 1, "is_nan row is NaN");
			INT_EQ(s->sum.inf_count, 2, "±DBL_MAX rows are ±Inf");
			INT_EQ(s->sum.first.step, -1, "negative step kept and first");
			DBL_EQ(s->sum.last.value, 3.0, "last = largest (step, time, value)");
			INT_EQ(s->sum.last.time_ms, 600, "last time");
			bool pinf = false, ninf = false, nan_seen = false;
			for (size_t i = 0; i < s->n; i++) {
				if (s->pts[i].value == INFINITY)
					pinf = s->pts[i].step == 2;
				if (s->pts[i].value == -INFINITY)
					ninf = s->pts[i].step == 3;
				if (isnan(s->pts[i].value))
					nan_seen = s->pts[i].step == 1 && s->pts[i].time_ms == 300;
			}
			OK(pinf && ninf && nan_seen, "+Inf at step 2, -Inf at step 3, NaN at step 1");
			DBL_EQ(s->sum.max.value, 9.0, "max finite");
			DBL_EQ(s->sum.min.value, 0.5, "min finite");
		}
	}
	struct run *c = find_run(&g, RUN_C);
	if (c) {
		STR_EQ(c->status, "RUNNING", "running status");
		OK(c->end_ms == TIME_UNKNOWN, "NULL end_time is unknown");
		const struct series *s = run_find_series(c, "acc");
		OK(s && s->sum.count == 2, "C's interleaved rows all read");
	}
	got_free(&g);

	n = read_into(path, true, &g);
	INT_EQ(n, 4, "include_deleted keeps deleted run B and run D");
	INT_EQ(g.nexps, 3, "include_deleted keeps the deleted experiment");
	struct run *b = find_run(&g, RUN_B);
	OK(b && b->deleted, "run B marked deleted");
	if (b)
		STR_EQ(b->name, "bee", "runs.name used when set");
	got_free(&g);

	memset(&g, 0, sizeof g);
	g.exp_before_run = true;
	g.stop_after = 1;
	struct reader_opts o = {.include_deleted = false, .dec_buckets = 0};
	struct run_sink sink = {&g, on_exp, on_run, NULL};
	INT_EQ(reader_mlflow_sqlite.read(path, &o, &sink), 1, "sink returning 0 stops the read");
	got_free(&g);

	OK(ident_eq(before, file_ident(path)), "database unchanged (hash, size, mtime)");
	char *journal = xasprintf("%s-journal", path);
	OK(access(journal, F_OK) != 0, "no journal left beside the database");
	free(journal);
	unlink(path);
	free(path);
}

static void test_2026(void)
{
	char *path = path_join(tmp_root, "new.db");
	char *art = path_join(tmp_root, "art");
	char *sub = path_join(art, "sub");
	mkdir(art, 0755);
	mkdir(sub, 0755);
	char *f1 = path_join(art, "model.pkl");
	char *f2 = path_join(sub, "plot.png");
	write_file(f1, "12345", 5);
	write_file(f2, "abc", 3);
	make_2026(path, art);
	INT_EQ(reader_mlflow_sqlite.probe(path), 100, "probe claims a 2026 MLflow database");
	struct ident before = file_ident(path);

	struct got g;
	long n = read_into(path, false, &g);
	INT_EQ(n, 2, "two runs");
	OK(g.exp_before_run, "experiments before runs");
	INT_EQ(g.nexps, 2, "two experiments");
	if (g.nexps == 2) {
		STR_EQ(g.exps[1]->id, "7", "experiment id");
		INT_EQ(g.exps[1]->created_ms, 1700000000001LL, "creation_time read");
		OK(g.exps[1]->description == NULL, "no note: no description");
	}
	struct run *x = find_run(&g, RUN_X);
	OK(x != NULL, "run X");
	if (x) {
		STR_EQ(x->name, "x-run", "runs.name");
		STR_EQ(x->user, "xavier", "user");
		STR_EQ(x->source_name, "nb.ipynb", "source name tag");
		STR_EQ(x->source_type, "UNKNOWN", "source type column when no tag");
		STR_EQ(x->git_commit, "deadbeef", "git commit tag");
		STR_EQ(x->git_repo, "https://x/y", "git repo tag");
		const struct series *s = run_find_series(x, "m");
		OK(s && s->sum.count == 2, "X's two rows around Y's 998 (read by index)");
		if (s)
			DBL_EQ(s->sum.last.value, 2.0, "X last");
		INT_EQ(x->ndatasets, 2, "two dataset inputs");
		if (x->ndatasets == 2) {
			/* ORDER BY name: eval-set, train-set */
			STR_EQ(x->datasets[0].name, "eval-set", "dataset name");
			OK(x->datasets[0].context == NULL, "no input tag: no context");
			STR_EQ(x->datasets[1].name, "train-set", "dataset name");
			STR_EQ(x->datasets[1].digest, "d1g", "digest");
			STR_EQ(x->datasets[1].context, "train", "mlflow.data.context input tag");
			STR_EQ(x->datasets[1].source_type, "local", "source type");
			STR_EQ(x->datasets[1].source, "{\"uri\": \"/data\"}", "source JSON");
			STR_EQ(x->datasets[1].schema, "{\"cols\": 3}", "schema JSON");
			OK(x->datasets[1].profile == NULL, "NULL profile");
		}
		INT_EQ(x->nmodels, 2, "active logged model and registry version (deleted model out)");
		if (x->nmodels == 2) {
			STR_EQ(x->models[0].id, "m-1", "model id");
			STR_EQ(x->models[0].type, "sklearn", "model type");
			STR_EQ(x->models[0].status, "READY", "status 2 is READY");
			STR_EQ(x->models[1].id, "reg/3", "registry version id");
		}
		INT_EQ(x->nartifacts, 2, "artifacts below a local file: URI");
		if (x->nartifacts == 2) {
			STR_EQ(x->artifacts[0].path, "model.pkl", "artifact path");
			INT_EQ(x->artifacts[0].size, 5, "artifact size");
			STR_EQ(x->artifacts[1].path, "sub/plot.png", "nested artifact path");
			INT_EQ(x->artifacts[1].size, 3, "nested artifact size");
		}
		STR_EQ(x->artifact_dir, art, "the folder they were listed from");
	}
	struct run *y = find_run(&g, RUN_Y);
	if (y) {
		INT_EQ(y->nmetrics, 2, "Y has keys a and b");
		const struct series *s = run_find_series(y, "a");
		OK(s && s->sum.count == 499, "Y's a rows");
		s = run_find_series(y, "b");
		OK(s && s->sum.count == 499 && s->sum.last.value == 997.0, "Y's b rows and last");
		INT_EQ(y->nartifacts, 0, "mlflow-artifacts: URI with no local folder: none");
	}
	got_free(&g);
	OK(ident_eq(before, file_ident(path)), "2026 database unchanged");
	unlink(path);
	unlink(f1);
	unlink(f2);
	rmdir(sub);
	rmdir(art);
	free(f1);
	free(f2);
	free(sub);
	free(art);
	free(path);
}

static void test_bad_files(void)
{
	struct got g;
	size_t w;

	char *text = path_join(tmp_root, "notes.db");
	write_file(text, "hello, not a database\n", 22);
	INT_EQ(reader_mlflow_sqlite.probe(text), 0, "probe: text file named .db");
	w = diag_count();
	INT_EQ(read_into(text, false, &g), -1, "text file: -1");
	OK(diag_count() > w, "text file: a warning");
	got_free(&g);

	char *empty = path_join(tmp_root, "empty.db");
	write_file(empty, "", 0);
	w = diag_count();
	INT_EQ(read_into(empty, false, &g), -1, "empty file: -1");
	OK(diag_count() > w, "empty file: a warning");
	got_free(&g);

	char *missing = path_join(tmp_root, "missing.db");
	w = diag_count();
	INT_EQ(read_into(missing, false, &g), -1, "missing file: -1");
	OK(diag_count() > w, "missing file: a warning");
	OK(access(missing, F_OK) != 0, "missing file not created");
	got_free(&g);

	char *other = path_join(tmp_root, "other.db");
	sqlite3 *db = db_create(other);
	exec_sql(db, "CREATE TABLE things (a, b); INSERT INTO things VALUES (1, 2);");
	sqlite3_close(db);
	INT_EQ(reader_mlflow_sqlite.probe(other), 0, "probe: SQLite without MLflow tables");
	w = diag_count();
	INT_EQ(read_into(other, false, &g), -1, "SQLite without MLflow tables: -1");
	OK(diag_count() > w, "foreign SQLite: a warning");
	got_free(&g);

	/* Truncated: a store with many metric pages cut after its schema pages. */
	char *full = path_join(tmp_root, "full.db");
	char *cut = path_join(tmp_root, "cut.db");
	db = db_create(full);
	exec_sql(db, schema_2026);
	exec_sql(db, "INSERT INTO experiments VALUES (0, 'Default', '', 'active', 0, 0, 'default');"
	             "INSERT INTO runs VALUES ('" RUN_X "', 'x', 'UNKNOWN', '', '', 'u', 'FINISHED',"
	             " 1, 2, '', 'active', '', 0, NULL);");
	exec_sql(db, "BEGIN");
	for (int i = 0; i < 20000; i++)
		add_metric(db, RUN_X, "loss", i * 0.5, i, i);
	exec_sql(db, "COMMIT");
	sqlite3_close(db);
	struct buf content = BUF_INIT;
	OK(read_file(full, &content, 1 << 30), "read the full database");
	for (size_t keep = 4096; keep < content.size; keep += content.size / 3) {
		write_file(cut, content.data, keep);
		w = diag_count();
		long n = read_into(cut, false, &g);
		OK(diag_count() > w, "truncated at %zu of %zu bytes: a warning", keep, content.size);
		OK(n == -1 || (n <= 1 && (g.nruns == 0 || run_find_series(g.runs[0], "loss") == NULL ||
		                          run_find_series(g.runs[0], "loss")->sum.count < 20000)),
		   "truncated at %zu: an error or a partial run (got %ld)", keep, n);
		got_free(&g);
	}
	buf_free(&content);

	/* Locked: another connection holds an EXCLUSIVE lock. */
	db = NULL;
	sqlite3_open(full, &db);
	exec_sql(db, "BEGIN EXCLUSIVE; UPDATE runs SET name = 'locked';");
	setenv("RUNSITE_BUSY_TIMEOUT_MS", "100", 1);
	w = diag_count();
	INT_EQ(read_into(full, false, &g), -1, "locked database: -1 after the busy timeout");
	OK(diag_count() > w, "locked database: a warning");
	got_free(&g);
	exec_sql(db, "ROLLBACK");
	INT_EQ(read_into(full, false, &g), 1, "readable again once the lock is gone");
	if (g.nruns == 1) {
		const struct series *s = run_find_series(g.runs[0], "loss");
		OK(s && s->sum.count == 20000, "all 20000 points");
	}
	got_free(&g);
	sqlite3_close(db);
	unsetenv("RUNSITE_BUSY_TIMEOUT_MS");

	const char *files[] = {text, empty, other, full, cut};
	for (size_t i = 0; i < sizeof files / sizeof *files; i++)
		unlink(files[i]);
	free(text);
	free(empty);
	free(missing);
	free(other);
	free(full);
	free(cut);
}

/* A WAL-mode store: idle, read with SQLite's locks, which may leave an empty -wal and
 * a -shm but change no byte of the database; with --immutable, read without them and
 * create nothing; with a live writer, its committed (not yet checkpointed) changes
 * are seen. */
static void test_wal(void)
{
	char *path = path_join(tmp_root, "wal.db");
	char *wal = xasprintf("%s-wal", path), *shm = xasprintf("%s-shm", path);
	make_2026(path, "/nonexistent");
	sqlite3 *db;
	sqlite3_open(path, &db);
	exec_sql(db, "PRAGMA journal_mode = WAL");
	sqlite3_close(db);
	OK(access(wal, F_OK) != 0, "setup: no -wal once closed");
	struct ident before = file_ident(path);
	struct got g;
	struct reader_opts o = {.dec_buckets = 8, .immutable = true};
	struct run_sink sink = {&g, on_exp, on_run, NULL};
	memset(&g, 0, sizeof g);
	INT_EQ(reader_mlflow_sqlite.read(path, &o, &sink), 2, "idle WAL store read immutable");
	got_free(&g);
	OK(access(wal, F_OK) != 0 && access(shm, F_OK) != 0, "immutable: no -wal or -shm made");
	OK(ident_eq(before, file_ident(path)), "immutable: WAL store unchanged");

	INT_EQ(read_into(path, false, &g), 2, "idle WAL store read");
	got_free(&g);
	struct stat sb;
	OK(stat(wal, &sb) != 0 || sb.st_size == 0, "nothing written to a -wal");
	OK(ident_eq(before, file_ident(path)), "idle WAL store unchanged");

	sqlite3_open(path, &db);
	exec_sql(db, "PRAGMA wal_autocheckpoint = 0;"
	             "UPDATE runs SET name = 'renamed' WHERE run_uuid = '" RUN_X "';");
	OK(access(wal, F_OK) == 0, "setup: live writer has a -wal");
	INT_EQ(read_into(path, false, &g), 2, "WAL store with a live writer read");
	struct run *x = find_run(&g, RUN_X);
	STR_EQ(x ? x->name : NULL, "renamed", "committed change still in the -wal is seen");
	got_free(&g);
	sqlite3_close(db);
	unlink(wal);
	unlink(shm);
	unlink(path);
	free(wal);
	free(shm);
	free(path);
}

/* Every SQLite file below dir, recursively. */
static void collect_dbs(const char *dir, char ***out, size_t *n, size_t *cap)
{
	DIR *d = opendir(dir);
	if (!d)
		return;
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		char *p = path_join(dir, de->d_name);
		struct stat sb;
		if (stat(p, &sb) == 0 && S_ISDIR(sb.st_mode)) {
			collect_dbs(p, out, n, cap);
			free(p);
		} else if (stat(p, &sb) == 0 && S_ISREG(sb.st_mode) && str_ends(p, ".json") == 0 &&
		           reader_mlflow_sqlite.probe(p) > 0) {
			GROW(*out, *cap, *n + 1);
			(*out)[(*n)++] = p;
		} else {
			free(p);
		}
	}
	closedir(d);
}

static void test_corpus(void)
{
	struct stat sb;
	if (stat(CORPUS, &sb) != 0) {
		SKIP("no " CORPUS);
		return;
	}
	char **dbs = NULL;
	size_t n = 0, cap = 0;
	collect_dbs(CORPUS, &dbs, &n, &cap);
	OK(n >= 4, "found the corpus databases (%zu)", n);
	for (size_t i = 0; i < n; i++) {
		struct got g;
		struct ident before = file_ident(dbs[i]);
		size_t w = diag_count();
		long runs = read_into(dbs[i], false, &g);
		OK(runs > 0, "%s: read %ld runs", dbs[i], runs);
		INT_EQ(diag_count() - w, 0, dbs[i]);
		OK(g.exp_before_run, "%s: experiments before runs", dbs[i]);
		OK(ident_eq(before, file_ident(dbs[i])), "%s: unchanged", dbs[i]);

		/* MLflow's fixture: latest values as its migration test expects them. */
		char *json = NULL;
		if (str_ends(dbs[i], ".sql")) {
			json = xstrndup(dbs[i], strlen(dbs[i]) - 4);
			char *j2 = xasprintf("%s_expected_values.json", json);
			free(json);
			json = j2;
		}
		json_error_t err;
		json_t *want = json ? json_load_file(json, 0, &err) : NULL;
		if (json && !want)
			OK(0, "%s: %s", json, err.text);
		if (want) {
			size_t checked = 0, runs_seen = 0;
			const char *run_id;
			json_t *metrics;
			json_object_foreach(want, run_id, metrics) {
				struct run *r = find_run(&g, run_id);
				OK(r != NULL, "expected run %s read", run_id);
				if (!r)
					continue;
				runs_seen++;
				const char *key;
				json_t *v;
				json_object_foreach(metrics, key, v) {
					const struct series *s = run_find_series(r, key);
					OK(s && s->sum.count > 0, "%s %s present", run_id, key);
					if (s && s->sum.count)
						DBL_EQ(s->sum.last.value, json_number_value(v), key);
					checked++;
				}
			}
			OK(checked > 100 && runs_seen == (size_t)json_object_size(want),
			   "%s: checked %zu latest values of %zu runs", json, checked, runs_seen);
			json_decref(want);
		}
		free(json);
		got_free(&g);
		free(dbs[i]);
	}
	free(dbs);
}

/* ---- metric pages: reads on two connections, damaged pages ------------- */

#define RUN_P "11111111111111111111111111111111"
#define RUN_Q "22222222222222222222222222222222"
#define RUN_R "33333333333333333333333333333333"
#define RUN_S "44444444444444444444444444444444"
#define RUN_T "55555555555555555555555555555555"

/* A 2026 store with page size pgsz whose metrics span many pages: P alone (integral and
 * fractional values, NaN, ±Inf, negative steps; enough rows to be read in two halves),
 * Q with a key longer than a page (overflow pages), R and S interleaved row by row, and
 * when bad_rows, T with a text value and a text step; else six runs u0..u5 interleaved
 * row by row, each too thin in its range to be read by it (read through the index). */
static void make_pages(const char *path, int pgsz, bool bad_rows)
{
	sqlite3 *db = db_create(path);
	char *sql = xasprintf("PRAGMA page_size = %d;", pgsz);
	exec_sql(db, sql);
	free(sql);
	exec_sql(db, schema_2026);
	exec_sql(db, "INSERT INTO experiments VALUES (0, 'Default', '', 'active', 1, 1, 'default');"
	             "BEGIN;");
	const char *runs[] = {RUN_P, RUN_Q, RUN_R, RUN_S, RUN_T};
	for (int i = 0; i < (bad_rows ? 5 : 4); i++) {
		sql = xasprintf("INSERT INTO runs VALUES ('%s', 'r%d', 'UNKNOWN', '', '', 'u',"
		                " 'FINISHED', %d, %d, '', 'active', '', 0, NULL);",
		                runs[i], i, 100 + i, 200 + i);
		exec_sql(db, sql);
		free(sql);
	}
	for (int k = 0; k < 5000; k++) {
		double v = k % 7 == 0 ? (double)(k / 7) : k * 0.001 - 1.5;
		if (k == 17)
			v = NAN;
		if (k == 18)
			v = INFINITY;
		if (k == 19)
			v = -INFINITY;
		add_metric(db, RUN_P, "loss", v, 1700000000000 + k, k - 5);
		add_metric(db, RUN_P, "acc", 1.0 / (k + 1), 1700000000000 + k, k);
	}
	char *longkey = xmalloc(70001);
	memset(longkey, 'k', 70000);
	longkey[70000] = '\0';
	for (int k = 0; k < 40; k++) {
		add_metric(db, RUN_Q, longkey, k * 0.5, k, k);
		add_metric(db, RUN_Q, "short", -k, k, k);
	}
	free(longkey);
	for (int k = 0; k < 2000; k++) {
		add_metric(db, RUN_R, "m", k * 0.25, k, k);
		add_metric(db, RUN_S, "m", k * 0.75, k, k);
	}
	if (!bad_rows) {
		for (int i = 0; i < 6; i++) {
			sql = xasprintf("INSERT INTO runs VALUES ('u%d', 'u%d', 'UNKNOWN', '', '', 'u',"
			                " 'FINISHED', %d, %d, '', 'active', '', 0, NULL);",
			                i, i, 300 + i, 400 + i);
			exec_sql(db, sql);
			free(sql);
		}
		for (int k = 0; k < 500; k++)
			for (int i = 0; i < 6; i++) {
				char id[8];
				snprintf(id, sizeof id, "u%d", i);
				add_metric(db, id, "v", k * 0.5 + i, k, k);
			}
	}
	if (bad_rows) {
		add_metric(db, RUN_T, "a", 1.5, 1, 1);
		exec_sql(db, "INSERT INTO metrics VALUES ('a', 'abc', 2, '" RUN_T "', 2, 0);"
		             "INSERT INTO metrics VALUES ('b', 3.5, 3, '" RUN_T "', 'x', 0);");
	}
	exec_sql(db, "COMMIT;");
	sqlite3_close(db);
}

/* Whether two reads gave the same runs, point for point. */
static bool same_runs(struct got *a, struct got *b)
{
	if (a->nruns != b->nruns)
		return false;
	for (size_t i = 0; i < a->nruns; i++) {
		struct run *x = a->runs[i], *y = b->runs[i];
		if (strcmp(x->id, y->id) != 0 || x->nmetrics != y->nmetrics)
			return false;
		for (size_t m = 0; m < x->nmetrics; m++) {
			struct series *s = &x->metrics[m], *t = &y->metrics[m];
			if (strcmp(s->key, t->key) != 0 || s->n != t->n ||
			    (s->n && memcmp(s->pts, t->pts, s->n * sizeof *s->pts) != 0) ||
			    s->ndec != t->ndec ||
			    (s->ndec && memcmp(s->dec, t->dec, s->ndec * sizeof *s->dec) != 0))
				return false;
		}
	}
	return true;
}

/* Reads path with at most jobs threads (0: one per CPU). */
static long read_jobs(const char *path, int jobs, struct got *g)
{
	memset(g, 0, sizeof *g);
	g->exp_before_run = true;
	struct reader_opts o = {.dec_buckets = 8, .jobs = jobs};
	struct run_sink s = {g, on_exp, on_run, NULL};
	return reader_mlflow_sqlite.read(path, &o, &s);
}

/* A run read in two halves on two connections gets the points one connection reads. */
static void test_split(void)
{
	static const int sizes[] = {512, 4096, 65536};
	for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
		char *path = xasprintf("%s/pages-%d.db", tmp_root, sizes[i]);
		make_pages(path, sizes[i], true);
		struct got g1, g2;
		INT_EQ(read_jobs(path, 1, &g1), 5, "five runs on one thread");
		INT_EQ(read_jobs(path, 2, &g2), 5, "five runs on two");
		OK(same_runs(&g1, &g2), "page size %d: one connection or two, the same points",
		   sizes[i]);
		struct run *p = find_run(&g2, RUN_P);
		const struct series *loss = p ? run_find_series(p, "loss") : NULL;
		INT_EQ(loss ? loss->sum.count : 0, 5000, "P loss has every point");
		INT_EQ(loss ? loss->sum.nan_count : 0, 1, "P loss has its NaN");
		INT_EQ(loss ? loss->sum.inf_count : 0, 2, "P loss has its infinities");
		struct run *t = find_run(&g2, RUN_T);
		INT_EQ(t ? t->nmetrics : 0, 2, "T has keys a and b");
		got_free(&g1);
		got_free(&g2);
		unlink(path);
		free(path);
	}
}

/* What SQLite itself has for the metrics of each run of path: the rows of the run
 * found by a scan of the whole table (not through an index, which a damaged table
 * page does not change), put through the same model. Returns false when SQLite
 * reports an error on the way. */
static bool sqlite_answer(const char *path, struct got *g)
{
	memset(g, 0, sizeof *g);
	sqlite3 *db = NULL;
	sqlite3_stmt *runs = NULL, *st = NULL;
	bool ok = sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
	          sqlite3_prepare_v2(db, "SELECT run_uuid FROM runs ORDER BY run_uuid", -1, &runs,
	                             NULL) == SQLITE_OK &&
	          sqlite3_prepare_v2(db, "SELECT key, value, timestamp, step, is_nan FROM metrics "
	                                 "NOT INDEXED WHERE run_uuid = ?1",
	                             -1, &st, NULL) == SQLITE_OK;
	while (ok && sqlite3_step(runs) == SQLITE_ROW) {
		struct run *r = run_new("mlflow-sqlite", path);
		r->id = xstrdup((const char *)sqlite3_column_text(runs, 0));
		GROW(g->runs, g->capruns, g->nruns + 1);
		g->runs[g->nruns++] = r;
		sqlite3_reset(st);
		sqlite3_bind_text(st, 1, r->id, -1, SQLITE_STATIC);
		int rc;
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			const char *key = (const char *)sqlite3_column_text(st, 0);
			int vt = sqlite3_column_type(st, 1);
			if (!key || (size_t)sqlite3_column_bytes(st, 0) != strlen(key) ||
			    (vt != SQLITE_FLOAT && vt != SQLITE_INTEGER))
				continue; /* runsite skips such rows with a warning */
			struct series *s = (struct series *)run_find_series(r, key);
			if (!s)
				s = run_series(r, key);
			double v = sqlite3_column_double(st, 1);
			if (sqlite3_column_int(st, 4))
				v = NAN;
			else if (v == DBL_MAX)
				v = INFINITY;
			else if (v == -DBL_MAX)
				v = -INFINITY;
			series_add(s, sqlite3_column_int64(st, 3), sqlite3_column_int64(st, 2), v);
		}
		ok = rc == SQLITE_DONE;
		run_finish(r, 8);
	}
	sqlite3_finalize(st);
	sqlite3_finalize(runs);
	sqlite3_close(db);
	return ok;
}

/* Whether every series of every run in want has the count it has in got, and got has
 * no series that want lacks. */
static bool same_counts(struct got *want, struct got *got)
{
	size_t seen = 0;
	for (size_t i = 0; i < got->nruns; i++)
		for (size_t m = 0; m < got->runs[i]->nmetrics; m++)
			seen += got->runs[i]->metrics[m].sum.count > 0;
	size_t n = 0;
	for (size_t i = 0; i < want->nruns; i++) {
		struct run *w = want->runs[i], *g = find_run(got, w->id);
		for (size_t m = 0; m < w->nmetrics; m++) {
			const struct series *s = &w->metrics[m];
			const struct series *t = g ? run_find_series(g, s->key) : NULL;
			if (s->sum.count == 0)
				continue;
			if (!t || t->sum.count != s->sum.count)
				return false;
			n++;
		}
	}
	return n == seen;
}

/* Bytes changed at random in the metrics table's pages, 150 times: each read gives
 * what SQLite itself reads from the damaged file, or warns. Never another count in
 * silence. */
static void test_mutations(void)
{
	char *pristine = path_join(tmp_root, "pristine.db");
	char *path = path_join(tmp_root, "mutated.db");
	make_pages(pristine, 4096, false);
	struct buf bytes = BUF_INIT;
	OK(read_file(pristine, &bytes, 1 << 30), "read the store");
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	uint32_t *pages = NULL;
	size_t npages = 0, cap = 0;
	sqlite3_open_v2(pristine, &db, SQLITE_OPEN_READONLY, NULL);
	if (sqlite3_prepare_v2(db, "SELECT pageno FROM dbstat WHERE name = 'metrics'", -1, &st,
	                       NULL) == SQLITE_OK)
		while (sqlite3_step(st) == SQLITE_ROW) {
			GROW(pages, cap, npages + 1);
			pages[npages++] = (uint32_t)sqlite3_column_int64(st, 0);
		}
	sqlite3_finalize(st);
	sqlite3_close(db);
	OK(npages > 50, "the metrics table has %zu pages", npages);

	uint64_t seed = 0x9e3779b97f4a7c15ULL;
	int silent = 0, warned = 0, agreed = 0;
	for (int round = 0; round < 150 && npages; round++) {
		char *img = xmalloc(bytes.size);
		memcpy(img, bytes.data, bytes.size);
		seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
		size_t page = pages[(seed >> 33) % npages];
		int nbytes = 1 + (int)((seed >> 20) % 4);
		for (int k = 0; k < nbytes; k++) {
			seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
			size_t at = (page - 1) * 4096 + (seed >> 33) % 4096;
			if (at < bytes.size)
				img[at] = (char)(seed >> 24);
		}
		write_file(path, img, bytes.size);
		free(img);
		struct got want, got;
		bool sqlite_ok = sqlite_answer(path, &want);
		size_t w = diag_count();
		read_jobs(path, 0, &got);
		if (diag_count() > w)
			warned++;
		else if (sqlite_ok && same_counts(&want, &got))
			agreed++;
		else
			silent++;
		got_free(&want);
		got_free(&got);
	}
	INT_EQ(silent, 0, "damaged metric pages read as another count without a warning");
	OK(warned + agreed == 150, "150 damaged stores: %d warned, %d as SQLite reads them",
	   warned, agreed);
	free(pages);
	buf_free(&bytes);
	unlink(pristine);
	unlink(path);
	free(pristine);
	free(path);
}

/* Messages captured while a test reads. */
static struct buf said = BUF_INIT;

static void capture(void *ctx, char *text)
{
	buf_puts(&said, text);
	free(text);
}

/* Reads path capturing what is said; true when a warning contains want. */
static bool read_says(const char *path, const char *want, long *runs)
{
	struct got g;
	buf_reset(&said);
	diag_redirect(capture, NULL);
	long n = read_into(path, false, &g);
	diag_redirect(NULL, NULL);
	if (runs)
		*runs = n;
	got_free(&g);
	return strstr(buf_cstr(&said), want) != NULL;
}

/* A file named mlflow.db that is no database is claimed, so its reading says what is
 * wrong with it; a store without a metrics table says so and lists its runs. */
static void test_odd_stores(void)
{
	char *dir = path_join(tmp_root, "odd");
	mkdir(dir, 0755);
	char *db = path_join(dir, "mlflow.db");
	long runs;

	write_file(db, "", 0);
	OK(reader_mlflow_sqlite.probe(db) > 0, "probe claims an empty mlflow.db");
	OK(read_says(db, "empty file", &runs) && runs == -1, "empty mlflow.db: says it is empty");
	unlink(db);

	write_file(db, "hello\n", 6);
	OK(reader_mlflow_sqlite.probe(db) > 0, "probe claims a text mlflow.db");
	OK(read_says(db, "not an SQLite database", &runs) && runs == -1, "text mlflow.db: says so");
	unlink(db);

	OK(mkfifo(db, 0644) == 0, "made a FIFO");
	OK(reader_mlflow_sqlite.probe(db) > 0, "probe claims a FIFO named mlflow.db");
	OK(read_says(db, "FIFO", &runs) && runs == -1, "FIFO mlflow.db: says it is a FIFO");
	unlink(db);

	if (geteuid() != 0) {
		make_2026(db, "/nonexistent");
		chmod(db, 0);
		OK(reader_mlflow_sqlite.probe(db) > 0, "probe claims an unreadable mlflow.db");
		OK(read_says(db, "Permission denied", &runs) && runs == -1,
		   "unreadable mlflow.db: says why");
		chmod(db, 0644);
		unlink(db);
	} else {
		SKIP("unreadable mlflow.db: root reads every file");
	}

	make_2026(db, "/nonexistent");
	sqlite3 *h = NULL;
	sqlite3_open(db, &h);
	exec_sql(h, "DROP TABLE metrics");
	sqlite3_close(h);
	OK(read_says(db, "no metrics table", &runs), "dropped metrics table: a warning");
	INT_EQ(runs, 2, "dropped metrics table: the runs are still listed");
	unlink(db);
	buf_free(&said);
	rmdir(dir);
	free(db);
	free(dir);
}

int main(void)
{
	snprintf(tmp_root, sizeof tmp_root, "/tmp/runsite-mlflow-sqlite-XXXXXX");
	if (!mkdtemp(tmp_root)) {
		perror("mkdtemp");
		return 1;
	}
	test_2019();
	test_2026();
	test_bad_files();
	test_wal();
	test_split();
	test_mutations();
	test_odd_stores();
	test_corpus();
	rmdir(tmp_root);
	return TEST_END();
}
