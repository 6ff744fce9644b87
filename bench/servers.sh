#!/bin/sh
# bench/servers.sh — the MLflow tracking-server reader on the genruns.py
# "sweep" (500 runs x 6 metrics x 5,000 steps, 15M metric rows) loaded into a
# private PostgreSQL and a private MariaDB (tests/servers/lib.sh, same machine),
# against each server's own client reading the whole metrics table:
#   psql -c "select count(*), sum(value) from metrics"  and the mariadb client's.
# Goal (issue 18): `runsite ls --json URL` within 2x of that.
#   sh bench/servers.sh [DATA_DIR]   (default /tmp/bench; data generated when
#   missing; loading the 15M rows into both servers takes several minutes)
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

# timed LABEL CMD...: one warm-up, then the best of 3; prints "LABEL seconds peakKB".
timed() {
	label=$1; shift
	"$@" >/dev/null 2>&1 || true
	best=
	for _ in 1 2 3; do
		/usr/bin/time -f "%e %M" -o "$OUT/t" "$@" >/dev/null 2>&1 || true
		t=$(cut -d' ' -f1 "$OUT/t"); m=$(cut -d' ' -f2 "$OUT/t")
		if [ -z "$best" ] || [ "$(echo "$t < $best" | bc)" = 1 ]; then best=$t; mem=$m; fi
	done
	echo "$label $best $mem"
}
row() { printf '%-52s %9s %10.1f\n' "$1" "$2" "$(echo "$3 / 1024" | bc -l)"; }

if [ -n "$PG_URL" ]; then
	t0=$(date +%s)
	pg_admin postgres -c "CREATE DATABASE mlflow" >/dev/null
	python3 scripts/sqlite_to_sql.py --copy --dialect postgresql \
		--schema tests/servers/mlflow-current.postgresql.sql "$DB" | pg_admin mlflow >/dev/null
	pg_admin mlflow -c "GRANT SELECT ON ALL TABLES IN SCHEMA public TO runsite" -c "VACUUM ANALYZE" >/dev/null
	echo "PostgreSQL: loaded in $(($(date +%s) - t0)) s"
else
	echo "PostgreSQL skipped: $PG_SKIP"
fi
if [ -n "$MY_URL" ]; then
	t0=$(date +%s)
	python3 scripts/sqlite_to_sql.py --dialect mysql \
		--schema tests/servers/mlflow-current.mysql.sql "$DB" >"$OUT/my.sql"
	my_load mlflow "$OUT/my.sql"
	rm -f "$OUT/my.sql"
	echo "MariaDB: loaded in $(($(date +%s) - t0)) s"
else
	echo "MariaDB skipped: $MY_SKIP"
fi

# The issue's "select count(*), sum(value) from metrics", except that MLflow
# keeps ±inf as ±DBL_MAX, whose sum overflows: PostgreSQL stops with an error
# at once. So the values that big are left out of the sum (the scan is whole).
PEER_SQL="select count(*), sum(case when abs(value) < 1e308 then value end) from metrics"
printf '%-52s %9s %10s\n' "what" "seconds" "peak MB"
if [ -n "$PG_URL" ]; then
	set -- $(timed psql psql -X -h 127.0.0.1 -p "$PG_PORT" -U runsite -d mlflow \
		-c "$PEER_SQL"); row "psql count/sum of metrics (peer)" "$2" "$3"; PSQL=$2
	set -- $(timed ls "$RUNSITE" ls --json -q "$PG_URL/mlflow"); row "runsite ls --json postgresql://" "$2" "$3"; LSPG=$2
	echo "ls --json postgresql:// / psql: $(echo "scale=2; $LSPG / $PSQL" | bc)x (goal: at most 2x)"
fi
if [ -n "$MY_URL" ]; then
	set -- $(timed mysql mariadb --no-defaults -h 127.0.0.1 -P "$MY_PORT" -u runsite mlflow \
		-e "$PEER_SQL"); row "mariadb client count/sum of metrics (peer)" "$2" "$3"; MYC=$2
	set -- $(timed ls "$RUNSITE" ls --json -q "$MY_URL/mlflow"); row "runsite ls --json mysql://" "$2" "$3"; LSMY=$2
	echo "ls --json mysql:// / mariadb client: $(echo "scale=2; $LSMY / $MYC" | bc)x (goal: at most 2x)"
fi
