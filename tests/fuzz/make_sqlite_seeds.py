#!/usr/bin/python3
"""make_sqlite_seeds.py — the seed corpus of fuzz_mlflow_sqlite: small copies of
the real MLflow databases in ../shared/corpus/mlflow-sqlite (schemas from 2019
to 2026). Each keeps its whole schema, its first three runs with at most 12
metric rows and 6 params and tags each, text cut to 200 characters, and is
rewritten with 512-byte pages, so a seed is a few dozen KB of real pages for
the fuzzer to change.
  python3 tests/fuzz/make_sqlite_seeds.py [CORPUS_DIR [OUT_DIR]]
"""
import os
import shutil
import sqlite3
import sys

corpus = sys.argv[1] if len(sys.argv) > 1 else "../shared/corpus/mlflow-sqlite"
out = sys.argv[2] if len(sys.argv) > 2 else "tests/fuzz/corpus/mlflow_sqlite"
os.makedirs(out, exist_ok=True)
for top, _, files in sorted(os.walk(corpus)):
    for f in sorted(files):
        src = os.path.join(top, f)
        with open(src, "rb") as fh:
            if fh.read(16) != b"SQLite format 3\0":
                continue
        name = os.path.relpath(src, corpus).split(os.sep)[0] + ".db"
        dst = os.path.join(out, name)
        shutil.copyfile(src, dst)
        db = sqlite3.connect(dst, isolation_level=None)
        keep = [r[0] for r in db.execute(
            "SELECT run_uuid FROM runs ORDER BY start_time, run_uuid LIMIT 3")]
        marks = ",".join("?" * len(keep)) or "NULL"
        tables = [r[0] for r in db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")]
        for t in tables:
            cols = [r[1] for r in db.execute('PRAGMA table_info("%s")' % t)]
            col = next((c for c in ("run_uuid", "run_id", "source_run_id") if c in cols), None)
            if col:
                db.execute('DELETE FROM "%s" WHERE %s NOT IN (%s)' % (t, col, marks), keep)
                limit = 12 if t == "metrics" else 6
                if t != "runs":
                    db.execute('DELETE FROM "%s" WHERE rowid NOT IN (SELECT rowid FROM "%s" t2 '
                               'WHERE t2.%s = "%s".%s ORDER BY rowid LIMIT %d)'
                               % (t, t, col, t, col, limit))
        for t in tables:
            for c in [r[1] for r in db.execute('PRAGMA table_info("%s")' % t)]:
                db.execute('UPDATE "%s" SET "%s" = substr("%s", 1, 200) '
                           'WHERE typeof("%s") = \'text\' AND length("%s") > 200'
                           % (t, c, c, c, c))
        db.execute("PRAGMA journal_mode = DELETE")
        db.execute("PRAGMA page_size = 512")
        db.execute("VACUUM")
        db.close()
        print("%s: %d bytes" % (dst, os.path.getsize(dst)))
