#!/bin/sh
# servers.sh — MLflow on real tracking-server databases: PostgreSQL and
# MariaDB started from the Debian packages in a private folder
# (tests/servers/lib.sh), loaded with MLflow's schema DDL and the rows of
# sample-runs/mlflow.db (scripts/sqlite_to_sql.py). Reading them must give
# what the SQLite store gives; failures must give their exit codes and no site.
. tests/e2e/lib.sh
. tests/servers/lib.sh

SAMPLE=sample-runs/mlflow.db
servers_start "$TMP/servers"
trap 'servers_stop; rm -rf "$TMP"' EXIT
PW=$SERVERS_PASSWORD

# The runs of `ls --json` without what names the store, sorted by id.
normalize() {
	$PY -c '
import json, sys
d = json.load(open(sys.argv[1]))
runs = d["runs"]
for r in runs:
    r.pop("format", None); r.pop("store", None)
print(json.dumps(sorted(runs, key=lambda r: r["id"]), sort_keys=True, indent=1))' "$1"
}

"$RUNSITE" ls --json "$SAMPLE" >"$TMP/sqlite.json" 2>"$TMP/sqlite.err"
normalize "$TMP/sqlite.json" >"$TMP/sqlite.norm"

# The sample with series whose summaries have every tie rule to get right:
# points sharing a step, or a step and a timestamp; NaN and ±Inf as MLflow
# stores them (is_nan with 0, ±DBL_MAX) first, last and on a tie; negative
# steps; one point; no finite point; ties for min and max. One run also has
# a NaN stored another way (is_nan with a value), the same point as a stored
# NaN: it counts once, which a server cannot count by rows alone. Rows go
# in out of (step, time, value) order, so a summary that keeps the first or
# the last row seen on a tie, or orders by step alone, differs.
EDGE=$TMP/edge.db
cp "$SAMPLE" "$EDGE"
$PY - "$EDGE" <<'PYEOF'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
runs = [r[0] for r in db.execute(
    "SELECT run_uuid FROM runs WHERE lifecycle_stage = 'active' ORDER BY run_uuid LIMIT 3")]
NAN, INF = None, 1.7976931348623157e308
series = {
    "edge/same_step": [(0, 10, 2.0), (0, 10, 1.0), (0, 5, 4.0), (3, 20, 1.0), (3, 20, 9.0), (3, 19, 12.0)],
    "edge/nonfinite": [(-5, 1, NAN), (-5, 1, 0.25), (-3, 2, INF), (-1, 3, -INF), (2, 4, 0.5), (2, 4, NAN)],
    "edge/one": [(7, 70, 1.5)],
    "edge/nan_only": [(1, 1, NAN), (2, 2, NAN)],
    "edge/inf_only": [(1, 1, INF), (1, 2, -INF)],
    "edge/ties": [(1, 1, 0.9), (2, 2, 1.0), (3, 3, 1.0), (4, 4, 0.9)],
    "edge/nan_first_last": [(0, 0, NAN), (0, 0, 3.0), (9, 9, 3.0), (9, 9, NAN)],
    "edge/step_time": [(1, 40, 3.0), (1, 35, 4.0), (1, 38, 2.5), (5, 10, 2.0), (5, 30, 1.0), (5, 20, 0.5)],
    # Ties for max (2.0) and min (-1.0) whose earliest step is neither the
    # first nor the last row in insertion or in timestamp order.
    "edge/tie_order": [(2, 10, 2.0), (1, 50, 2.0), (3, 60, 2.0), (5, 15, -1.0), (4, 55, -1.0), (6, 65, -1.0)],
    "edge/step_time_value": [(2, 7, 3.0), (2, 7, 1.0), (2, 7, 2.0)],
    # On the servers the step-2 point becomes -0, equal to 0: the min stays at step 1.
    "edge/zero_min": [(1, 1, 0.0), (2, 2, 0.0), (3, 3, 1.0)],
}
# The second run: steps out of time order (the first step logged last), and
# a NaN stored twice at one point (is_nan with 0 and with 5).
later = {
    "edge/out_of_order": [(1, 1, 0.9), (2, 2, 1.0), (3, 3, 1.0), (4, 4, 0.9), (0, 5, 0.9), (-2, 9, 1.0)],
    "edge/odd": [(1, 1, NAN), (1, 1, 5.0), (2, 2, 2.0)],
}
# The third run: on PostgreSQL its NaN and +Inf are stored twice more, as
# the float8 values NaN and Infinity (not MLflow's way): the same points.
third = {"edge/nan_twice": [(1, 1, NAN), (2, 2, 1.0), (3, 3, INF)]}
rows = []
for run, group in ((runs[0], series), (runs[1], later), (runs[2], third)):
    for key, pts in group.items():
        for step, ts, v in pts:
            rows.append((key, 0.0 if v is None else v, ts, run, step, 1 if v is None else 0))
odd = rows.index(("edge/odd", 5.0, 1, runs[1], 1, 0))
rows[odd] = rows[odd][:5] + (1,)  # 5.0 with is_nan: NaN stored another way
db.executemany("INSERT INTO metrics (key, value, timestamp, run_uuid, step, is_nan) "
               "VALUES (?, ?, ?, ?, ?, ?)", rows)
db.commit()
PYEOF
"$RUNSITE" ls --json "$EDGE" >"$TMP/edge.json" 2>/dev/null
normalize "$TMP/edge.json" >"$TMP/edge.norm"

# server_checks NAME URL LOADCMD DIALECT: every check against one server.
server_checks() {
	name=$1 base=$2 load=$3 dialect=$4
	python3 scripts/sqlite_to_sql.py --dialect "$dialect" \
		--schema "tests/servers/mlflow-current.$dialect.sql" "$SAMPLE" >"$TMP/$name.sql" &&
		$load mlflow "$TMP/$name.sql" >"$TMP/$name.load" 2>&1
	check "$name: the sample loads into MLflow's current schema" test $? -eq 0
	url="$base/mlflow"
	userpart=${url#*://}
	scheme=${url%%://*}
	urlpw="$scheme://runsite:$PW@${userpart#runsite@}"

	# Same runs, params, tags and every metric summary as the SQLite store.
	PGPASSWORD=$PW MYSQL_PWD=$PW "$RUNSITE" ls --json "$url" >"$TMP/$name.json" 2>"$TMP/$name.err"
	check "$name: ls --json reads the server" test $? -eq 0
	normalize "$TMP/$name.json" >"$TMP/$name.norm" 2>&1
	if cmp -s "$TMP/sqlite.norm" "$TMP/$name.norm"; then ok; else
		fail "$name: ls --json differs from the SQLite store's"; diff "$TMP/sqlite.norm" "$TMP/$name.norm" | head -20; fi
	check_grep "$name: the store is the URL" "\"path\":\"$url\"" "$TMP/$name.json"

	# Every tie rule, NaN and ±Inf: the same summaries as the SQLite store's.
	python3 scripts/sqlite_to_sql.py --fast --dialect "$dialect" \
		--schema "tests/servers/mlflow-current.$dialect.sql" "$EDGE" >"$TMP/$name.edge.sql" &&
		$load edge "$TMP/$name.edge.sql" >/dev/null 2>&1
	check "$name: the edge-case store loads" test $? -eq 0
	# What SQLite cannot hold: -0, and NaN and Infinity as values.
	if [ "$name" = postgresql ]; then
		pg_admin edge -c "UPDATE metrics SET value = '-0' WHERE key = 'edge/zero_min' AND step = 2" \
			-c "INSERT INTO metrics (key, value, timestamp, run_uuid, step, is_nan)
			    SELECT key, CASE WHEN is_nan THEN 'NaN'::float8 ELSE 'Infinity'::float8 END, timestamp, run_uuid, step, false
			    FROM metrics WHERE key = 'edge/nan_twice' AND (is_nan OR value = 1.7976931348623157e308)" >/dev/null
	else
		my_admin edge -e "UPDATE metrics SET value = -value WHERE \`key\` = 'edge/zero_min' AND step = 2" >/dev/null
	fi
	check "$name: -0, NaN and Infinity stored on the server" test $? -eq 0
	# Each way ls reads the summaries (RUNSITE_SUMMARIES; the default:
	# PostgreSQL aggregates, MySQL streams), every run's summaries as SQLite's.
	for how in default stream; do
		if [ "$name" = postgresql ]; then logged_before=$(pg_statements_logged); else
			my_admin "" -e "SET GLOBAL general_log_file = '$MY_DIR/general.$how.log'; SET GLOBAL general_log = 1"; fi
		out=$TMP/$name.edge.$how
		sel="-u RUNSITE_SUMMARIES"; [ $how = stream ] && sel=RUNSITE_SUMMARIES=stream
		env $sel PGPASSWORD=$PW MYSQL_PWD=$PW "$RUNSITE" ls --json "$base/edge" >"$out.json" 2>"$out.err"
		check "$name: ls --json reads the edge-case store ($how)" test $? -eq 0
		normalize "$out.json" >"$out.norm" 2>&1
		if cmp -s "$TMP/edge.norm" "$out.norm"; then ok; else
			fail "$name: edge-case summaries ($how) differ from the SQLite store's"; diff "$TMP/edge.norm" "$out.norm" | head -20; fi
		# The points are read again only of the runs the summaries cannot
		# be exact for: those whose rows may store one point twice (NaN or
		# Infinity stored other than MLflow's way: on MySQL only is_nan
		# with a value), and for PostgreSQL's aggregate also the run whose
		# earliest step is not its earliest timestamp.
		if [ "$name" = postgresql ]; then
			pg_admin postgres -c "ALTER ROLE runsite RESET log_statement" >/dev/null
			read=$(tail -n +$((logged_before + 1)) "$PG_HOST/server.log" | grep -c "FROM metrics WHERE run_uuid")
			want=3; [ $how = stream ] && want=2
		else
			my_admin "" -e "SET GLOBAL general_log = 0"
			read=$(grep -v Prepare "$MY_DIR/general.$how.log" | grep -c "FROM metrics WHERE run_uuid")
			want=1
		fi
		nruns=$($PY -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["runs"]))' "$TMP/edge.json")
		check "$name: ls --json ($how) reads the points of $want runs of $nruns (read $read)" test "$read" -eq $want
	done

	# The password in the URL works and is shown nowhere.
	"$RUNSITE" ls --json "$urlpw" >"$TMP/$name.pw.json" 2>"$TMP/$name.pw.err"
	check "$name: a password in the URL logs in" test $? -eq 0
	if grep -q "$PW" "$TMP/$name.pw.json" "$TMP/$name.pw.err"; then
		fail "$name: the password is printed"; else ok; fi
	"$RUNSITE" build "$urlpw" -o "$TMP/$name.site" -q >"$TMP/$name.build" 2>&1
	check "$name: build from the server" test $? -eq 0
	if grep -rq "$PW" "$TMP/$name.site" "$TMP/$name.build"; then
		fail "$name: the password is in the site"; else ok; fi
	check "$name: the site has the runs" test -f "$TMP/$name.site/index.html"

	# --password-file
	printf '%s\n' "$PW" >"$TMP/pwfile"
	"$RUNSITE" ls --password-file "$TMP/pwfile" "$url" >"$TMP/$name.pf" 2>&1
	check "$name: --password-file logs in" test $? -eq 0

	# Deleted runs are left out in the query and read when asked for.
	PGPASSWORD=$PW MYSQL_PWD=$PW "$RUNSITE" ls --json --include-deleted "$url" >"$TMP/$name.del.json" 2>/dev/null
	"$RUNSITE" ls --json --include-deleted "$SAMPLE" >"$TMP/sqlite.del.json" 2>/dev/null
	normalize "$TMP/$name.del.json" >"$TMP/$name.del.norm"
	normalize "$TMP/sqlite.del.json" >"$TMP/sqlite.del.norm"
	if cmp -s "$TMP/sqlite.del.norm" "$TMP/$name.del.norm"; then ok; else
		fail "$name: --include-deleted differs from the SQLite store's"; fi

	# MLflow's 2019 schema (no is_nan, no experiment tags, no datasets).
	python3 scripts/sqlite_to_sql.py --dialect "$dialect" \
		--schema "tests/servers/mlflow-2019.$dialect.sql" "$SAMPLE" >"$TMP/$name.2019.sql" &&
		$load mlflow2019 "$TMP/$name.2019.sql" >/dev/null 2>&1
	check "$name: the sample loads into the 2019 schema" test $? -eq 0
	PGPASSWORD=$PW MYSQL_PWD=$PW "$RUNSITE" ls --json "$base/mlflow2019" >"$TMP/$name.2019.json" 2>"$TMP/$name.2019.err"
	check "$name: the 2019 schema reads" test $? -eq 0
	n2019=$($PY -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["runs"]))' "$TMP/$name.2019.json" 2>/dev/null)
	nnow=$($PY -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["runs"]))' "$TMP/sqlite.json")
	check "$name: 2019 schema: the same runs ($n2019 of $nnow)" test "$n2019" = "$nnow"

	# Failures: wrong password, refused connection.
	scheme_host=${base%:*}
	"$RUNSITE" ls "$scheme://runsite:wrong@${userpart#runsite@}" >/dev/null 2>"$TMP/$name.auth.err"
	got=$?
	check "$name: a wrong password exits 7 (got $got)" test $got -eq 7
	if grep -q wrong "$TMP/$name.auth.err"; then fail "$name: the wrong password is printed"; else ok; fi
	check_grep "$name: says the login was refused" "refused the login" "$TMP/$name.auth.err"
	freeport=$(servers_free_port)
	"$RUNSITE" ls "$scheme://runsite@127.0.0.1:$freeport/mlflow" >/dev/null 2>"$TMP/$name.refused.err"
	got=$?
	check "$name: a refused connection exits 6 (got $got)" test $got -eq 6
	check_grep "$name: says it cannot connect" "cannot connect" "$TMP/$name.refused.err"
}

# Logs runsite's statements from now on; prints how many lines the server log has.
pg_statements_logged() {
	pg_admin postgres -c "ALTER ROLE runsite SET log_statement = 'all'" >/dev/null
	wc -l <"$PG_HOST/server.log"
}

# A statement held up by a lock another session keeps, past the timeout.
pg_hold_lock() {
	pg_admin mlflow -c "BEGIN; LOCK TABLE metrics IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(60);" >/dev/null 2>&1 &
	HOLDER=$!
	i=0
	until pg_admin mlflow -tAc "SELECT count(*) FROM pg_locks WHERE mode = 'AccessExclusiveLock' AND relation = 'metrics'::regclass" 2>/dev/null | grep -q 1; do
		i=$((i + 1)); [ $i -gt 100 ] && break; sleep 0.1; done
}
my_hold_lock() {
	my_admin mlflow -e "LOCK TABLES metrics WRITE; SELECT SLEEP(60);" >/dev/null 2>&1 &
	HOLDER=$!
	i=0
	until my_admin "" -N -e "SELECT count(*) FROM information_schema.processlist WHERE info LIKE 'SELECT SLEEP(60)%'" 2>/dev/null | grep -q 1; do
		i=$((i + 1)); [ $i -gt 100 ] && break; sleep 0.1; done
}

# snapshot_check NAME URL RELEASE: runsite reads while another session holds
# the metrics table (so it waits at its first run's metrics); meanwhile a
# param of the last run changes and commits; then RELEASE frees the table.
# The read must give the value of the snapshot it began with.
snapshot_check() {
	name=$1 url=$2 release=$3
	PGPASSWORD=$PW MYSQL_PWD=$PW "$RUNSITE" ls --json "$url" >"$TMP/$name.snap.json" 2>"$TMP/$name.snap.err" &
	reader=$!
	waiting_$name
	eval "$update"
	$release
	wait $reader
	got=$?
	check "$name: a read during a write exits 0 (got $got)" test $got -eq 0
	if grep -q changed-meanwhile "$TMP/$name.snap.json"; then
		fail "$name: a run changed during the read shows the change (no single snapshot)"; else ok; fi
	check "$name: the read has the run as it was" $PY -c '
import json, sys
runs = {r["id"]: r for r in json.load(open(sys.argv[1]))["runs"]}
sys.exit(runs[sys.argv[2]]["params"][sys.argv[3]] != sys.argv[4])' \
		"$TMP/$name.snap.json" "$SNAP_RUN" "$SNAP_KEY" "$SNAP_OLD"
}
waiting_postgresql() {
	i=0
	until pg_admin mlflow -tAc "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'runsite' AND wait_event_type = 'Lock'" 2>/dev/null | grep -q 1; do
		i=$((i + 1)); [ $i -gt 100 ] && break; sleep 0.1; done
}
waiting_mysql() {
	i=0
	until my_admin "" -N -e "SELECT count(*) FROM information_schema.processlist WHERE user = 'runsite' AND state LIKE '%lock%'" 2>/dev/null | grep -q 1; do
		i=$((i + 1)); [ $i -gt 100 ] && break; sleep 0.1; done
}
pg_release() {
	pg_admin mlflow -c "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE '%pg_sleep(60)%' AND pid <> pg_backend_pid()" >/dev/null
	wait "$HOLDER" 2>/dev/null
}
my_release() {
	id=$(my_admin "" -N -e "SELECT id FROM information_schema.processlist WHERE info LIKE 'SELECT SLEEP(60)%'")
	[ -n "$id" ] && my_admin "" -e "KILL $id"
	wait "$HOLDER" 2>/dev/null
}
# The last run's first param: what the snapshot test changes.
eval "$($PY -c '
import json, sys
r = json.load(open(sys.argv[1]))["runs"][-1]
k = sorted(r["params"])[0]
print("SNAP_RUN=%s SNAP_KEY=%s SNAP_OLD=%s" % (r["id"], k, r["params"][k]))' "$TMP/sqlite.json")"

# The site that was there stays when the read fails.
old_site() {
	rm -rf "$TMP/keep"
	"$RUNSITE" build "$SAMPLE" -o "$TMP/keep" -q >/dev/null 2>&1
	cp "$TMP/keep/index.html" "$TMP/keep.index"
}
site_kept() {
	if cmp -s "$TMP/keep/index.html" "$TMP/keep.index" && ! ls -d "$TMP"/keep.tmp-* >/dev/null 2>&1; then
		ok; else fail "$1: the old site was not left whole"; fi
}

if [ -n "$PG_URL" ]; then
	server_checks postgresql "$PG_URL" pg_load postgresql
	pg_hold_lock
	update="pg_admin mlflow -q -c \"UPDATE params SET value = 'changed-meanwhile' WHERE run_uuid = '$SNAP_RUN' AND key = '$SNAP_KEY'\""
	snapshot_check postgresql "$PG_URL/mlflow" pg_release
	# Statement timeout (PGOPTIONS, libpq's usual variable) while metrics are locked.
	old_site
	pg_hold_lock
	PGPASSWORD=$PW PGOPTIONS='-c statement_timeout=300' "$RUNSITE" build "$PG_URL/mlflow" -o "$TMP/keep" >/dev/null 2>"$TMP/pg.timeout.err"
	got=$?
	check "postgresql: a statement timeout exits 9 (got $got)" test $got -eq 9
	check_grep "postgresql: says the statement timed out" "timed out" "$TMP/pg.timeout.err"
	site_kept "postgresql timeout"
	# The server stops while runsite waits for the metrics: connection lost.
	PGPASSWORD=$PW "$RUNSITE" build "$PG_URL/mlflow" -o "$TMP/keep" >/dev/null 2>"$TMP/pg.lost.err" &
	reader=$!
	i=0
	until pg_admin mlflow -tAc "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'runsite' AND wait_event_type = 'Lock'" 2>/dev/null | grep -q 1; do
		i=$((i + 1)); [ $i -gt 100 ] && break; sleep 0.1; done
	servers_stop_pg
	wait $reader
	got=$?
	check "postgresql: a server gone mid-read exits 8 (got $got)" test $got -eq 8
	check_grep "postgresql: says the connection was lost" "connection to the server lost" "$TMP/pg.lost.err"
	site_kept "postgresql lost"
	kill "$HOLDER" 2>/dev/null; wait "$HOLDER" 2>/dev/null
else
	skip "postgresql: $PG_SKIP"
fi

if [ -n "$MY_URL" ]; then
	server_checks mysql "$MY_URL" my_load mysql
	my_hold_lock
	update="my_admin mlflow -e \"UPDATE params SET value = 'changed-meanwhile' WHERE run_uuid = '$SNAP_RUN' AND \\\`key\\\` = '$SNAP_KEY'\""
	snapshot_check mysql "$MY_URL/mlflow" my_release
	old_site
	my_hold_lock
	MYSQL_PWD=$PW "$RUNSITE" build "$MY_URL/mlflow?statement_timeout=0.3" -o "$TMP/keep" >/dev/null 2>"$TMP/my.timeout.err"
	got=$?
	check "mysql: a statement timeout exits 9 (got $got)" test $got -eq 9
	check_grep "mysql: says the statement timed out" "timed out" "$TMP/my.timeout.err"
	site_kept "mysql timeout"
	MYSQL_PWD=$PW "$RUNSITE" build "$MY_URL/mlflow" -o "$TMP/keep" >/dev/null 2>"$TMP/my.lost.err" &
	reader=$!
	i=0
	until my_admin "" -N -e "SELECT count(*) FROM information_schema.processlist WHERE user = 'runsite' AND state LIKE '%lock%'" 2>/dev/null | grep -q 1; do
		i=$((i + 1)); [ $i -gt 100 ] && break; sleep 0.1; done
	kill -9 "$MY_PID"
	wait $reader
	got=$?
	check "mysql: a server gone mid-read exits 8 (got $got)" test $got -eq 8
	check_grep "mysql: says the connection was lost" "connection to the server lost" "$TMP/my.lost.err"
	site_kept "mysql lost"
	kill "$HOLDER" 2>/dev/null; wait "$HOLDER" 2>/dev/null
else
	skip "mysql: $MY_SKIP"
fi
finish
