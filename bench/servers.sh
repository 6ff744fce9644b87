#!/bin/sh
# bench/servers.sh — the MLflow tracking-server reader on the genruns.py
# "sweep" (500 runs x 6 metrics x 5,000 steps, 15M metric rows) loaded into a
# private PostgreSQL and a private MariaDB (tests/servers/lib.sh, same machine),
# against each server's own client reading the whole metrics table:
#   psql -c "select count(*), sum(value) from metrics"  and the mariadb client's.
# Goal (issue 18): `runsite ls --json URL` within 2x of that.
#   sh bench/servers.sh [DATA_DIR]   (default /tmp/bench; data generated when
#   missing). The rows load with COPY (PostgreSQL) and multi-row INSERTs
#   (MariaDB), the metrics table's keys and indexes built after its rows
#   (sqlite_to_sql.py --fast). RUNS=N sets the number of timed rounds (5);
#   each round runs the client and runsite one after the other, so a busy
#   machine slows both alike; min and median of the rounds are printed.
set -eu
DATA=${1:-${TMPDIR:-/tmp}/bench}
GEN=../shared/bench/genruns.py
RUNSITE=${RUNSITE:-./runsite}
if [ ! -f "$DATA/sweep-mlflow-sqlite/genruns-manifest.json" ]; then
	echo "generating $DATA/sweep-mlflow-sqlite (about 60 s)"
	mkdir -p "$DATA"
	/usr/bin/python3 "$GEN" --format mlflow-sqlite --size sweep --out "$DATA/sweep-mlflow-sqlite" -q >/dev/null
fi
DB=$DATA/sweep-mlflow-sqlite/mlflow.db
OUT=$(mktemp -d)
. tests/servers/lib.sh
# Room for the 15M rows: the test servers' small buffers would make the load crawl.
SERVERS_MY_POOL=1G SERVERS_PG_BUFFERS=512MB
servers_start "$OUT/servers"
trap 'servers_stop; rm -rf "$OUT"' EXIT
export PGPASSWORD=$SERVERS_PASSWORD MYSQL_PWD=$SERVERS_PASSWORD

# pair LABEL PEERCMD -- CMD: one warm-up each, then $RUNS rounds of the peer
# and the command one after the other. Prints a table row for each (wall
# seconds and client CPU seconds: min and median; peak MB), then the ratio of
# the walls.
RUNS=${RUNS:-5}
pair() {
	label=$1; shift
	peer=
	while [ "$1" != -- ]; do peer="$peer '$1'"; shift; done
	shift
	eval "$peer" >/dev/null 2>&1 || true
	"$@" >/dev/null 2>&1 || true
	: >"$OUT/peer.t"; : >"$OUT/cmd.t"
	i=0
	while [ $i -lt "$RUNS" ]; do
		eval "/usr/bin/time -f '%e %U %S %M' -a -o '$OUT/peer.t' $peer" >/dev/null 2>&1 || true
		/usr/bin/time -f '%e %U %S %M' -a -o "$OUT/cmd.t" "$@" >/dev/null 2>&1 || true
		i=$((i + 1))
	done
	stats "$label client (peer)" "$OUT/peer.t"; P=$MED PMIN=$MIN
	stats "$label runsite ls --json" "$OUT/cmd.t"; C=$MED CMIN=$MIN
	python3 -c 'import sys; a, b, c, d = map(float, sys.argv[1:])
r = lambda x, y: "%.2fx" % (x / y) if y else "n/a"
print("ls --json / client: min %s, median %s (goal: at most 2x)" % (r(a, b), r(c, d)))' "$CMIN" "$PMIN" "$C" "$P"
}
# stats LABEL FILE: min and median of the wall and CPU columns.
stats() {
	set -- "$1" $(python3 -c '
import statistics, sys
rows = [list(map(float, l.split())) for l in open(sys.argv[1]) if l.strip() and l[0].isdigit()]
wall = [r[0] for r in rows]; cpu = [r[1] + r[2] for r in rows]
print("%.2f %.2f %.2f %.2f %.1f" % (min(wall), statistics.median(wall), min(cpu),
      statistics.median(cpu), max(r[3] for r in rows) / 1024))' "$2")
	printf '%-40s %6s %6s %6s %6s %8s\n' "$1" "$2" "$3" "$4" "$5" "$6"
	MIN=$2 MED=$3
}

if [ -n "$PG_URL" ]; then
	t0=$(date +%s)
	pg_admin postgres -c "CREATE DATABASE mlflow" >/dev/null
	python3 scripts/sqlite_to_sql.py --fast --copy --dialect postgresql \
		--schema tests/servers/mlflow-current.postgresql.sql "$DB" | pg_admin mlflow >/dev/null
	pg_admin mlflow -c "GRANT SELECT ON ALL TABLES IN SCHEMA public TO runsite" -c "VACUUM ANALYZE" >/dev/null
	echo "PostgreSQL: loaded in $(($(date +%s) - t0)) s"
else
	echo "PostgreSQL skipped: $PG_SKIP"
fi
if [ -n "$MY_URL" ]; then
	t0=$(date +%s)
	python3 scripts/sqlite_to_sql.py --fast --dialect mysql \
		--schema tests/servers/mlflow-current.mysql.sql "$DB" >"$OUT/my.sql"
	my_load mlflow "$OUT/my.sql"
	rm -f "$OUT/my.sql"
	echo "MariaDB: loaded in $(($(date +%s) - t0)) s"
else
	echo "MariaDB skipped: $MY_SKIP"
fi

# The "select count(*), sum(value) from metrics", except that MLflow
# keeps ±inf as ±DBL_MAX, whose sum overflows: PostgreSQL stops with an error
# at once. So the values that big are left out of the sum (the scan is whole).
PEER_SQL="select count(*), sum(case when abs(value) < 1e308 then value end) from metrics"
printf '%-40s %6s %6s %6s %6s %8s\n' "what ($RUNS rounds)" "wall" "median" "cpu" "median" "peak MB"
if [ -n "$PG_URL" ]; then
	pair "psql:" psql -X -h 127.0.0.1 -p "$PG_PORT" -U runsite -d mlflow -c "$PEER_SQL" -- \
		"$RUNSITE" ls --json -q "$PG_URL/mlflow"
fi
if [ -n "$MY_URL" ]; then
	pair "mariadb:" mariadb --no-defaults -h 127.0.0.1 -P "$MY_PORT" -u runsite mlflow -e "$PEER_SQL" -- \
		"$RUNSITE" ls --json -q "$MY_URL/mlflow"
fi
