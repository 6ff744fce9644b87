#!/bin/sh
# live_sqlite.sh — an mlflow.db read while a writer commits into it. For each of
# the four ways a writer works (WAL or rollback journal; one kept connection or a
# new one per transaction, as MLflow's server through SQLAlchemy's NullPool),
# tests/tools/sqlite_writer.py commits batches while `runsite ls --json` reads
# the store ROUNDS times: every read must be a state the writer committed (each
# run with the same batch count n in its points, tag and end time), exit 0 and
# warn of nothing. Then, with the writer gone: runsite changes neither mlflow.db
# nor an existing mlflow.db-wal.
#   LIVE_ROUNDS=N overrides the 20 rounds per mode (for measuring by hand).
. "$(dirname "$0")/lib.sh"
WRITER=tests/tools/sqlite_writer.py
ROUNDS=${LIVE_ROUNDS:-20}

# verdict JSON STDERR: prints "ok" for a committed state, else what is wrong.
verdict() {
	"$PY" - "$1" "$2" <<'EOF'
import json, sys
rows = 500
try:
    runs = json.load(open(sys.argv[1]))["runs"]
except Exception as e:
    print("no JSON: %s" % e); sys.exit()
err = open(sys.argv[2]).read().strip()
seen = set()
for r in runs:
    m = r["metrics"].get("m", {"count": 0})
    n = m["count"] // rows
    seen.add((m["count"] % rows == 0, n, r["tags"].get("batch", "0"), r["end_ms"]))
states = {(True, n, str(n), n) for n in range(100000)}
if len(runs) != 2:
    print("%d runs" % len(runs))
elif len(seen) != 1 or not seen <= states:
    print("torn: %s" % sorted(seen))
elif err:
    print("warned: %s" % err.splitlines()[0])
else:
    print("ok")
EOF
}

for mode in ${LIVE_MODES:-wal-kept wal-reopen rollback-kept rollback-reopen}; do
	dir=$TMP/$mode
	mkdir -p "$dir"
	db=$dir/mlflow.db
	"$PY" "$WRITER" "$db" "$mode" "$dir/stop" >"$dir/batches" 2>"$dir/writer.err" &
	pid=$!
	i=0
	while [ ! -e "$db.ready" ] && [ $i -lt 200 ] && kill -0 $pid 2>/dev/null; do
		sleep 0.05; i=$((i + 1))
	done
	clean=0 round=0
	while [ $round -lt "$ROUNDS" ]; do
		round=$((round + 1))
		"$RUNSITE" ls --json "$db" >"$dir/out.json" 2>"$dir/err"
		rc=$?
		v=$(verdict "$dir/out.json" "$dir/err")
		[ $rc -ne 0 ] && v="exit $rc; $v"
		if [ "$v" = ok ]; then clean=$((clean + 1)); else echo "    $mode round $round: $v"; fi
	done
	touch "$dir/stop"
	wait $pid
	echo "$mode: $clean of $ROUNDS reads clean, writer committed $(cat "$dir/batches") batches"
	if [ $clean -eq "$ROUNDS" ] && [ -s "$dir/batches" ]; then ok; else fail "$mode: $clean of $ROUNDS reads clean"; cat "$dir/writer.err"; fi
done

# No writer: reading changes no byte of mlflow.db, nor of a -wal left beside it.
mkdir -p "$TMP/idle"
db=$TMP/idle/mlflow.db
touch "$TMP/idle/stop"
"$PY" "$WRITER" "$db" wal-kept "$TMP/idle/stop" >/dev/null
sum() { cat "$@" 2>/dev/null | cksum; }
before=$(sum "$db")
check "--immutable reads an idle WAL store" "$RUNSITE" ls --immutable -q "$db"
[ ! -e "$db-wal" ] && [ ! -e "$db-shm" ] && ok || fail "--immutable made a -wal or -shm"
"$RUNSITE" ls -q "$db" >/dev/null 2>&1
[ "$(sum "$db")" = "$before" ] && ok || fail "idle WAL store: mlflow.db changed"
# A -wal that holds committed pages (a writer killed before its checkpoint).
"$PY" - "$db" <<'EOF'
import shutil, sqlite3, sys
p = sys.argv[1]
w = sqlite3.connect(p, isolation_level=None)
w.execute("PRAGMA wal_autocheckpoint = 0")
w.execute("UPDATE runs SET name = 'in-the-wal'")
shutil.copy(p, p + ".keep")
shutil.copy(p + "-wal", p + ".keep-wal")
w.close()
EOF
mv "$db.keep" "$db"; mv "$db.keep-wal" "$db-wal"; rm -f "$db-shm"
before=$(sum "$db") wbefore=$(sum "$db-wal")
"$RUNSITE" ls --json "$db" >"$TMP/stray.json" 2>"$TMP/stray.err"
check_grep "a stray -wal's committed change is read" in-the-wal "$TMP/stray.json"
[ "$(sum "$db")" = "$before" ] && ok || fail "stray -wal: mlflow.db changed"
[ "$(sum "$db-wal")" = "$wbefore" ] && ok || fail "stray -wal: mlflow.db-wal changed"
finish
