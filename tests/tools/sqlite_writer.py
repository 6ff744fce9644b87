#!/usr/bin/python3
"""sqlite_writer.py — a live writer for tests/e2e/live_sqlite.sh: creates an
MLflow-shaped mlflow.db and commits batch after batch into it until told to stop.

  sqlite_writer.py DB MODE STOP_FILE
MODE is JOURNAL-CONNECTION: JOURNAL "wal" or "rollback", CONNECTION "kept" (one
connection for the whole run) or "reopen" (a new connection per transaction,
closed after it, as MLflow's server does through SQLAlchemy's NullPool).

Batch n (n = 1, 2, ...) adds ROWS metric rows "m" to each of the runs in RUNS,
sets each run's tag "batch" to n and its end_time to n, in one transaction.
So a state the writer committed has, for some n >= 0 and every run alike:
ROWS * n points of "m", tag batch = n (absent for n = 0), end_ms = n.
After the first commit the writer creates DB.ready; it stops when STOP_FILE
exists (or after MAX_BATCHES) and prints the number of batches committed.
"""
import os
import sqlite3
import sys
import time

RUNS = ["a" * 32, "b" * 32]
ROWS = 500
MAX_BATCHES = 5000

SCHEMA = """
CREATE TABLE experiments (experiment_id INTEGER NOT NULL, name VARCHAR(256) NOT NULL,
  artifact_location VARCHAR(256), lifecycle_stage VARCHAR(32), creation_time BIGINT,
  last_update_time BIGINT, CONSTRAINT experiment_pk PRIMARY KEY (experiment_id));
CREATE TABLE runs (run_uuid VARCHAR(32) NOT NULL, name VARCHAR(250), source_type VARCHAR(20),
  source_name VARCHAR(500), entry_point_name VARCHAR(50), user_id VARCHAR(256),
  status VARCHAR(9), start_time BIGINT, end_time BIGINT, source_version VARCHAR(50),
  lifecycle_stage VARCHAR(20), artifact_uri VARCHAR(200), experiment_id INTEGER,
  deleted_time BIGINT, CONSTRAINT run_pk PRIMARY KEY (run_uuid));
CREATE TABLE metrics (key VARCHAR(250) NOT NULL, value FLOAT NOT NULL,
  timestamp BIGINT NOT NULL, run_uuid VARCHAR(32) NOT NULL, step BIGINT DEFAULT '0' NOT NULL,
  is_nan BOOLEAN DEFAULT '0' NOT NULL,
  CONSTRAINT metric_pk PRIMARY KEY (key, timestamp, step, run_uuid, value, is_nan));
CREATE INDEX index_metrics_run_uuid ON metrics (run_uuid);
CREATE TABLE params (key VARCHAR(250) NOT NULL, value VARCHAR(8000) NOT NULL,
  run_uuid VARCHAR(32) NOT NULL, CONSTRAINT param_pk PRIMARY KEY (key, run_uuid));
CREATE TABLE tags (key VARCHAR(250) NOT NULL, value VARCHAR(8000), run_uuid VARCHAR(32) NOT NULL,
  CONSTRAINT tag_pk PRIMARY KEY (key, run_uuid));
INSERT INTO experiments VALUES (0, 'Default', '', 'active', 0, 0);
"""


def connect(path, journal):
    db = sqlite3.connect(path, timeout=60, isolation_level=None)
    if journal == "wal":
        db.execute("PRAGMA journal_mode = WAL")
    return db


def main():
    path, mode, stop = sys.argv[1], sys.argv[2], sys.argv[3]
    journal, connection = mode.split("-")
    db = connect(path, journal)
    if journal == "rollback":
        db.execute("PRAGMA journal_mode = DELETE")
    db.executescript(SCHEMA)
    for i, run in enumerate(RUNS):
        db.execute("INSERT INTO runs VALUES (?, ?, 'LOCAL', '', '', 'u', 'RUNNING', 0, 0, '',"
                   " 'active', '', 0, NULL)", (run, "run%d" % i))
    if connection == "reopen":
        db.close()
        db = None
    n = 0
    while n < MAX_BATCHES and not os.path.exists(stop):
        n += 1
        if db is None or connection == "reopen":
            db = connect(path, journal)
        db.execute("BEGIN IMMEDIATE")
        for run in RUNS:
            db.executemany("INSERT INTO metrics VALUES ('m', ?, ?, ?, ?, 0)",
                           ((n + k / ROWS, n, run, n * ROWS + k) for k in range(ROWS)))
            db.execute("INSERT OR REPLACE INTO tags VALUES ('batch', ?, ?)", (str(n), run))
            db.execute("UPDATE runs SET end_time = ? WHERE run_uuid = ?", (n, run))
        db.execute("COMMIT")
        if connection == "reopen":
            db.close()
            db = None
        if n == 1:
            open(path + ".ready", "w").close()
        time.sleep(0.05)
    if db is not None:
        db.close()
    print(n)


if __name__ == "__main__":
    main()
