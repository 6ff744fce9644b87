/* fuzz_mlflow_sqlite.c — libFuzzer target for the MLflow SQLite reader. Input that
 * starts with the SQLite header is read as a database file as it is (the seeds in
 * corpus/mlflow_sqlite are small copies of real MLflow databases, 2019 to 2026, made
 * by make_sqlite_seeds.py); any other input is a list of patches (2-byte big-endian
 * offset, 1-byte length, bytes) applied to a small valid MLflow store built at
 * start-up, so mutations land in real pages. Each input is probed and read once, on
 * one thread: the time goes to SQLite's allocations under the sanitizers, not to
 * the file, which is written to the page cache only. */
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runsite/diag.h"
#include "runsite/reader.h"
#include "runsite/util.h"

extern const struct reader reader_mlflow_sqlite;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[] = "/tmp/runsite-fuzzsql-XXXXXX";
static char *db_path;
static struct buf base = BUF_INIT; /* the valid store's bytes */

static const char base_sql[] =
	"PRAGMA page_size = 512;"
	"CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL PRIMARY KEY);"
	"INSERT INTO alembic_version VALUES ('1b5f0d9ad7c1');"
	"CREATE TABLE experiments (experiment_id INTEGER NOT NULL PRIMARY KEY,"
	" name VARCHAR(256) NOT NULL, artifact_location VARCHAR(256), lifecycle_stage VARCHAR(32),"
	" creation_time BIGINT, last_update_time BIGINT, workspace VARCHAR(63) DEFAULT 'default');"
	"CREATE TABLE experiment_tags (key VARCHAR(250) NOT NULL, value VARCHAR(5000),"
	" experiment_id INTEGER NOT NULL, PRIMARY KEY (key, experiment_id));"
	"CREATE TABLE runs (run_uuid VARCHAR(32) NOT NULL PRIMARY KEY, name VARCHAR(250),"
	" source_type VARCHAR(20), source_name VARCHAR(500), entry_point_name VARCHAR(50),"
	" user_id VARCHAR(256), status VARCHAR(9), start_time BIGINT, end_time BIGINT,"
	" source_version VARCHAR(50), lifecycle_stage VARCHAR(20), artifact_uri VARCHAR(200),"
	" experiment_id INTEGER, deleted_time BIGINT);"
	"CREATE TABLE metrics (key VARCHAR(250) NOT NULL, value FLOAT NOT NULL,"
	" timestamp BIGINT NOT NULL, run_uuid VARCHAR(32) NOT NULL, step BIGINT DEFAULT 0 NOT NULL,"
	" is_nan BOOLEAN DEFAULT 0 NOT NULL,"
	" PRIMARY KEY (key, timestamp, step, run_uuid, value, is_nan));"
	"CREATE INDEX index_metrics_run_uuid ON metrics (run_uuid);"
	"CREATE TABLE params (key VARCHAR(250) NOT NULL, value VARCHAR(8000) NOT NULL,"
	" run_uuid VARCHAR(32) NOT NULL, PRIMARY KEY (key, run_uuid));"
	"CREATE TABLE tags (key VARCHAR(250) NOT NULL, value VARCHAR(8000),"
	" run_uuid VARCHAR(32) NOT NULL, PRIMARY KEY (key, run_uuid));"
	"CREATE TABLE datasets (dataset_uuid VARCHAR(36) NOT NULL, experiment_id INTEGER NOT NULL,"
	" name VARCHAR(500) NOT NULL, digest VARCHAR(36) NOT NULL,"
	" dataset_source_type VARCHAR(36) NOT NULL, dataset_source TEXT NOT NULL,"
	" dataset_schema TEXT, dataset_profile TEXT, PRIMARY KEY (experiment_id, name, digest));"
	"CREATE TABLE inputs (input_uuid VARCHAR(36) NOT NULL, source_type VARCHAR(36) NOT NULL,"
	" source_id VARCHAR(36) NOT NULL, destination_type VARCHAR(36) NOT NULL,"
	" destination_id VARCHAR(36) NOT NULL,"
	" PRIMARY KEY (source_type, source_id, destination_type, destination_id));"
	"CREATE TABLE input_tags (input_uuid VARCHAR(36) NOT NULL, name VARCHAR(255) NOT NULL,"
	" value VARCHAR(500) NOT NULL, PRIMARY KEY (input_uuid, name));"
	"CREATE TABLE logged_models (model_id VARCHAR(36) NOT NULL PRIMARY KEY,"
	" experiment_id INTEGER NOT NULL, name VARCHAR(500) NOT NULL,"
	" artifact_location VARCHAR(1000) NOT NULL, creation_timestamp_ms BIGINT NOT NULL,"
	" last_updated_timestamp_ms BIGINT NOT NULL, status INTEGER NOT NULL,"
	" lifecycle_stage VARCHAR(32), model_type VARCHAR(500), source_run_id VARCHAR(32),"
	" status_message VARCHAR(1000));"
	"INSERT INTO experiments VALUES (0, 'Default', 'mlflow-artifacts:/0', 'active', 1, 1,"
	" 'default');"
	"INSERT INTO experiments VALUES (1, 'e1', 'file:///nonexistent', 'active', 2, 2, 'default');"
	"INSERT INTO experiment_tags VALUES ('mlflow.note.content', '# note', 1);"
	"INSERT INTO runs VALUES ('r1', 'one', 'LOCAL', 's.py', '', 'u', 'FINISHED', 10, 20, 'c',"
	" 'active', 'file:///nonexistent/r1', 1, NULL);"
	"INSERT INTO runs VALUES ('r2', '', 'UNKNOWN', '', '', 'u', 'RUNNING', 5, NULL, '',"
	" 'active', '', 1, NULL);"
	"INSERT INTO runs VALUES ('r3', 'three', 'UNKNOWN', '', '', 'u', 'KILLED', 7, 8, '',"
	" 'deleted', '', 0, 9);"
	"INSERT INTO params VALUES ('lr', '0.1', 'r1');"
	"INSERT INTO tags VALUES ('mlflow.runName', 'two', 'r2');"
	"INSERT INTO tags VALUES ('mlflow.parentRunId', 'r1', 'r2');"
	"INSERT INTO metrics VALUES ('loss', 1.5, 100, 'r1', 0, 0);"
	"INSERT INTO metrics VALUES ('loss', 0, 110, 'r2', 1, 1);"
	"INSERT INTO metrics VALUES ('loss', 1.7976931348623157e308, 120, 'r1', -1, 0);"
	"INSERT INTO metrics VALUES ('acc', 0.5, 130, 'r2', 2, 0);"
	"INSERT INTO metrics VALUES ('acc', 0.25, 140, 'r1', 3, 0);"
	"INSERT INTO datasets VALUES ('d1', 1, 'ds', 'dg', 'local', '{}', NULL, NULL);"
	"INSERT INTO inputs VALUES ('i1', 'DATASET', 'd1', 'RUN', 'r1');"
	"INSERT INTO input_tags VALUES ('i1', 'mlflow.data.context', 'train');"
	"INSERT INTO logged_models VALUES ('m1', 1, 'm', 'x', 1, 2, 2, 'active', 't', 'r1', NULL);";

static int drop(void *ctx, struct run *r)
{
	run_free(r);
	return 1;
}

static void drop_exp(void *ctx, struct experiment *e)
{
	experiment_free(e);
}

/* Builds the valid store once and keeps its bytes. */
static void setup(void)
{
	diag_set_quiet(1);
	setenv("RUNSITE_BUSY_TIMEOUT_MS", "0", 1);
	if (!mkdtemp(dir))
		abort();
	db_path = path_join(dir, "mlflow.db");
	sqlite3 *db;
	if (sqlite3_open(db_path, &db) != SQLITE_OK ||
	    sqlite3_exec(db, base_sql, NULL, NULL, NULL) != SQLITE_OK)
		abort();
	sqlite3_close(db);
	if (!read_file(db_path, &base, 1 << 20))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	if (!ready) {
		setup();
		ready = 1;
	}
	FILE *f = fopen(db_path, "wb");
	if (!f)
		abort();
	if (size >= 16 && memcmp(data, "SQLite format 3", 16) == 0) {
		fwrite(data, 1, size, f);
	} else {
		char *img = xmalloc(base.size);
		memcpy(img, base.data, base.size);
		size_t i = 0;
		while (i + 3 <= size) {
			size_t off = ((size_t)data[i] << 8 | data[i + 1]) % base.size;
			size_t len = data[i + 2];
			i += 3;
			for (size_t k = 0; k < len && i < size; k++, i++)
				img[(off + k) % base.size] = (char)data[i];
		}
		fwrite(img, 1, base.size, f);
		free(img);
	}
	fclose(f);
	/* One read per input (deleted runs kept for odd sizes), on one thread. */
	struct reader_opts o = {.include_deleted = size & 1, .dec_buckets = 4, .jobs = 1};
	struct run_sink s = {NULL, drop_exp, drop, NULL};
	reader_mlflow_sqlite.probe(db_path);
	reader_mlflow_sqlite.read(db_path, &o, &s);
	return 0;
}
