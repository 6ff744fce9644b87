#!/bin/sh
# sample_runs.sh — scripts/make_sample_runs.py is deterministic and the committed
# sample-runs/ is what it makes: regenerating into a temp folder gives the same
# mlruns/ files byte for byte and an mlflow.db with the same `.dump`. Also checks
# the two stores hold the same runs, the DB schema is MLflow's, and the YAML is
# what PyYAML (MLflow's writer) would emit. Needs Debian's /usr/bin/python3 with numpy.
PY=/usr/bin/python3
SCRIPT=scripts/make_sample_runs.py
passed=0 failed=0 skipped=0

ok() { passed=$((passed + 1)); echo "ok - $1"; }
notok() { failed=$((failed + 1)); echo "not ok - $1"; }
skip() { skipped=$((skipped + 1)); echo "skipped - $1"; }
check() { # check "what" command...: passes when the command exits 0
	what=$1; shift
	if "$@"; then ok "$what"; else notok "$what"; fi
}
finish() {
	[ -n "$tmp" ] && rm -rf "$tmp"
	echo "sample_runs.sh: $passed passed, $failed failed, $skipped skipped"
	[ "$failed" -eq 0 ]
	exit $?
}

if ! [ -x "$PY" ] || ! "$PY" -c 'import numpy' 2>/dev/null; then
	skip "$PY has no numpy (Debian: apt-get install python3-numpy)"
	finish
fi
tmp=$(mktemp -d /tmp/sample_runs.XXXXXX) || { notok "mktemp"; finish; }

# dump DB: the table contents of an SQLite file as SQL text (page layout ignored)
dump() {
	if command -v sqlite3 >/dev/null 2>&1; then
		sqlite3 "$1" .dump
	else
		"$PY" -c 'import sqlite3, sys; print("\n".join(sqlite3.connect(sys.argv[1]).iterdump()))' "$1"
	fi
}

# 1. refuses a non-empty folder without --force, and leaves it alone
mkdir "$tmp/full" && echo keep >"$tmp/full/notes.txt"
"$PY" $SCRIPT --out "$tmp/full" -q 2>"$tmp/err"
rc=$?
check "refuses a non-empty --out without --force (exit 2)" [ "$rc" -eq 2 ]
check "says why and names the folder" grep -q "$tmp/full is not empty" "$tmp/err"
check "writes nothing there" test ! -e "$tmp/full/mlruns" -a ! -e "$tmp/full/mlflow.db"

# 2. regenerate and compare with the committed stores
if ! "$PY" $SCRIPT --out "$tmp/a" -q >"$tmp/log" 2>&1; then
	notok "make_sample_runs.py runs"; cat "$tmp/log"; finish
fi
ok "make_sample_runs.py runs"
if diff -r sample-runs/mlruns "$tmp/a/mlruns" >"$tmp/diff" 2>&1; then
	ok "regenerated mlruns/ is byte-identical to sample-runs/mlruns"
else
	notok "regenerated mlruns/ differs from sample-runs/mlruns"; head -20 "$tmp/diff"
fi
dump sample-runs/mlflow.db >"$tmp/committed.sql"
dump "$tmp/a/mlflow.db" >"$tmp/a.sql"
check "regenerated mlflow.db has the same .dump as sample-runs/mlflow.db" \
	cmp -s "$tmp/committed.sql" "$tmp/a.sql"

# 3. twice in a row (the second time with --force over the first) gives the same files
cp -R "$tmp/a" "$tmp/b"
echo keep >"$tmp/b/README.md"
if "$PY" $SCRIPT --out "$tmp/b" --force -q >"$tmp/log" 2>&1; then
	check "--force regenerates into a non-empty folder, same mlruns/" diff -r -q "$tmp/a/mlruns" "$tmp/b/mlruns"
	dump "$tmp/b/mlflow.db" >"$tmp/b.sql"
	check "--force regenerates the same mlflow.db .dump" cmp -s "$tmp/a.sql" "$tmp/b.sql"
	check "--force keeps other files in the folder" grep -q keep "$tmp/b/README.md"
else
	notok "--force run"; cat "$tmp/log"
fi

# 4. the DB schema is MLflow 3.7's, statement for statement
ref=../shared/corpus/mlflow-sqlite/lissygrace-mlflow3/mlflow.db
if [ -f "$ref" ] && command -v sqlite3 >/dev/null 2>&1; then
	sqlite3 "$ref" .schema >"$tmp/ref.schema"
	sqlite3 sample-runs/mlflow.db .schema >"$tmp/our.schema"
	check "mlflow.db schema equals a real MLflow 3.7 database's" cmp -s "$tmp/ref.schema" "$tmp/our.schema"
else
	skip "no ../shared/corpus MLflow DB (or no sqlite3) to compare the schema with"
fi

# 5. both stores hold the same runs, params, tags and metrics; the story holds
if "$PY" - sample-runs >"$tmp/cmp" 2>&1 <<'EOF'
import math, os, sqlite3, sys
root = sys.argv[1]
db = sqlite3.connect(os.path.join(root, "mlflow.db"))
exp = [e for e in os.listdir(os.path.join(root, "mlruns")) if e not in ("0", ".trash")]
assert len(exp) == 1, exp
ed = os.path.join(root, "mlruns", exp[0])
def files(d):
    out = {}
    for base, _, fs in os.walk(d):
        for f in fs:
            p = os.path.join(base, f)
            out[os.path.relpath(p, d)] = open(p, encoding="utf-8").read()
    return out
status = {"1": "RUNNING", "3": "FINISHED", "4": "FAILED", "5": "KILLED"}
runs = db.execute("SELECT run_uuid, name, status, start_time, end_time, lifecycle_stage, "
                  "deleted_time, experiment_id FROM runs").fetchall()
dirs = sorted(d for d in os.listdir(ed) if d not in ("tags", "datasets", "meta.yaml"))
assert sorted(r[0] for r in runs) == dirs, "run ids differ"
best = (-1, None)
for rid, name, st, start, end, life, deleted, eid in runs:
    meta = dict(l.split(": ", 1) for l in open(os.path.join(ed, rid, "meta.yaml")).read().splitlines())
    assert str(eid) == exp[0] and meta["experiment_id"] == f"'{exp[0]}'", rid
    assert meta["run_name"] == name and status[meta["status"]] == st, rid
    assert meta["start_time"] == str(start) and meta["end_time"] == ("null" if end is None else str(end)), rid
    assert meta["lifecycle_stage"] == life and meta.get("deleted_time", "None") == str(deleted), rid
    for table, sub in (("params", "params"), ("tags", "tags")):
        want = dict(db.execute(f"SELECT key, value FROM {table} WHERE run_uuid=?", (rid,)))
        assert files(os.path.join(ed, rid, sub)) == want, (rid, table)
    got = {}
    for key, text in files(os.path.join(ed, rid, "metrics")).items():
        for line in text.splitlines():
            ts, v, step = line.split(" ")
            v = float(v)
            if math.isnan(v):
                row = (0.0, 1)
            elif math.isinf(v):
                row = (math.copysign(1.7976931348623157e308, v), 0)
            else:
                row = (v, 0)
            got.setdefault(key, []).append((int(ts), row[0], int(step), row[1]))
    want = {}
    for key, ts, v, step, nan in db.execute("SELECT key, timestamp, value, step, is_nan FROM metrics "
                                            "WHERE run_uuid=? ORDER BY rowid", (rid,)):
        want.setdefault(key, []).append((ts, v, step, nan))
    assert got == want, (rid, "metrics")
    for key, v, ts, step, nan in db.execute("SELECT key, value, timestamp, step, is_nan FROM "
                                            "latest_metrics WHERE run_uuid=?", (rid,)):
        assert max(want[key], key=lambda p: (p[2], p[0], p[1])) == (ts, v, step, nan), (rid, key)
    f1 = [p for p in want.get("val/f1", [])]
    if f1 and st == "FINISHED" and life == "active" and f1[-1][1] > best[0]:
        best = (f1[-1][1], rid)
pw = db.execute("SELECT value FROM params WHERE run_uuid=? AND key='pos_weight'", (best[1],)).fetchone()
assert pw and float(pw[0]) > 1.0, "best val/f1 run is not a re-weighted one"
n_in = db.execute("SELECT count(*) FROM inputs i JOIN input_tags t USING (input_uuid) "
                  "WHERE t.value='train'").fetchone()[0]
assert n_in == sum(os.path.isdir(os.path.join(ed, r, "inputs")) for r in dirs) > 0
print(len(runs), "runs agree")
EOF
then ok "FileStore and SQLite hold the same runs, params, tags, metrics; best val/f1 is re-weighted"
else
	notok "FileStore and SQLite disagree"; cat "$tmp/cmp"
fi

# 6. every meta.yaml / MLmodel is exactly what PyYAML's safe_dump (MLflow's writer) emits
if "$PY" -c 'import yaml' 2>/dev/null; then
	if "$PY" - sample-runs/mlruns >"$tmp/yaml" 2>&1 <<'EOF'
import os, sys, yaml
n = 0
for base, _, fs in os.walk(sys.argv[1]):
    for f in fs:
        if f in ("meta.yaml", "MLmodel"):
            p = os.path.join(base, f)
            text = open(p, encoding="utf-8").read()
            again = yaml.safe_dump(yaml.safe_load(text), default_flow_style=False,
                                   allow_unicode=True, sort_keys=True)
            assert text == again, p
            n += 1
assert n > 0
EOF
	then ok "meta.yaml and MLmodel files are byte-identical to PyYAML's output"
	else notok "a YAML file differs from PyYAML's output"; cat "$tmp/yaml"; fi
else
	skip "no PyYAML to cross-check the YAML emitter"
fi

# 7. small enough to commit
size=$(du -sb sample-runs | cut -f1)
check "sample-runs/ is under 3 MB ($size bytes)" [ "$size" -lt 3000000 ]

finish
