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
#   BEFORE=BINARY adds another runsite (say main's) to each round, on the
#   same servers. KEEP=DIR keeps the loaded servers in DIR running after the
#   benchmark, and a later run with the same KEEP reuses them instead of
#   loading again (the load takes minutes); `KEEP=DIR sh bench/servers.sh
#   stop` stops them.
# Besides wall and client CPU, each row shows the server's CPU seconds for
# the command (PostgreSQL: the postmaster's children, exited ones included;
# MariaDB: the server process), from /proc.
set -eu
DATA=${1:-${TMPDIR:-/tmp}/bench}
GEN=../shared/bench/genruns.py
RUNSITE=${RUNSITE:-./runsite}
BEFORE=${BEFORE:-}
KEEP=${KEEP:-}
. tests/servers/lib.sh
if [ "$DATA" = stop ]; then
	[ -n "$KEEP" ] && [ -f "$KEEP/servers.env" ] || { echo "KEEP=DIR with kept servers, please" >&2; exit 2; }
	. "$KEEP/servers.env"
	servers_stop
	rm -f "$KEEP/servers.env"
	exit 0
fi
if [ ! -f "$DATA/sweep-mlflow-sqlite/genruns-manifest.json" ]; then
	echo "generating $DATA/sweep-mlflow-sqlite (about 60 s)"
	mkdir -p "$DATA"
	/usr/bin/python3 "$GEN" --format mlflow-sqlite --size sweep --out "$DATA/sweep-mlflow-sqlite" -q >/dev/null
fi
DB=$DATA/sweep-mlflow-sqlite/mlflow.db
OUT=$(mktemp -d)
reused=
if [ -n "$KEEP" ] && [ -f "$KEEP/servers.env" ]; then
	. "$KEEP/servers.env"
	if pg_admin mlflow -tAc "SELECT 1 FROM metrics LIMIT 1" >/dev/null 2>&1 &&
		my_admin mlflow -N -e "SELECT 1 FROM metrics LIMIT 1" >/dev/null 2>&1; then
		reused=1
		echo "reusing the servers loaded in $KEEP"
	fi
fi
if [ -z "$reused" ]; then
	# Room for the 15M rows: the test servers' small buffers would make the load crawl.
	SERVERS_MY_POOL=1G SERVERS_PG_BUFFERS=512MB
	servers_start "${KEEP:-$OUT}/servers"
fi
if [ -n "$KEEP" ]; then
	trap 'rm -rf "$OUT"' EXIT
else
	trap 'servers_stop; rm -rf "$OUT"' EXIT
fi
export PGPASSWORD=$SERVERS_PASSWORD MYSQL_PWD=$SERVERS_PASSWORD

# server_cpu: CPU seconds the servers have used so far, "PG MY".
server_cpu() {
	python3 - "${PG_HOST:-}" "${MY_PID:-}" <<'PYEOF'
import os, sys
tick = os.sysconf("SC_CLK_TCK")
def fields(pid):
    try:
        s = open("/proc/%s/stat" % pid).read()
    except OSError:
        return None
    return s[s.rindex(")") + 2:].split()
def pg(folder):
    try:
        post = open(os.path.join(folder, "data", "postmaster.pid")).readline().strip()
    except OSError:
        return 0.0
    f = fields(post)
    if not f:
        return 0.0
    # The postmaster's own and its reaped children's time, plus its live children's.
    total = sum(int(x) for x in f[11:15])
    for p in os.listdir("/proc"):
        if p.isdigit():
            g = fields(p)
            if g and g[1] == post:
                total += int(g[11]) + int(g[12])
    return total / tick
def my(pid):
    f = fields(pid) if pid else None
    return sum(int(x) for x in f[11:13]) / tick if f else 0.0
print("%.2f %.2f" % (pg(sys.argv[1]), my(sys.argv[2])))
PYEOF
}

# timed FILE COL CMD...: runs CMD, appends "wall user sys maxrss servercpu" to FILE;
# COL picks the server (1 PostgreSQL, 2 MariaDB).
timed() {
	file=$1 col=$2; shift 2
	before=$(server_cpu | cut -d' ' -f"$col")
	/usr/bin/time -f '%e %U %S %M' -o "$OUT/one.t" "$@" >/dev/null 2>&1 || true
	sleep 0.3 # the backend that served it exits and is reaped
	after=$(server_cpu | cut -d' ' -f"$col")
	printf '%s %s\n' "$(tail -1 "$OUT/one.t")" "$(python3 -c 'import sys; print("%.2f" % (float(sys.argv[2]) - float(sys.argv[1])))' "$before" "$after")" >>"$file"
}

# pair LABEL COL PEERCMD -- URL: one warm-up each, then $RUNS rounds of the
# peer, runsite ls --json URL (and $BEFORE's) one after the other. Prints a
# table row for each (wall seconds, client CPU seconds, server CPU seconds:
# min and median; peak MB), then the ratio of the walls.
RUNS=${RUNS:-5}
pair() {
	label=$1 col=$2; shift 2
	peer=
	while [ "$1" != -- ]; do peer="$peer '$1'"; shift; done
	url=$2
	eval "$peer" >/dev/null 2>&1 || true
	"$RUNSITE" ls --json -q "$url" >/dev/null 2>&1 || true
	: >"$OUT/peer.t"; : >"$OUT/cmd.t"; : >"$OUT/before.t"
	i=0
	while [ $i -lt "$RUNS" ]; do
		eval "timed '$OUT/peer.t' $col $peer"
		[ -n "$BEFORE" ] && timed "$OUT/before.t" "$col" "$BEFORE" ls --json -q "$url"
		timed "$OUT/cmd.t" "$col" "$RUNSITE" ls --json -q "$url"
		i=$((i + 1))
	done
	stats "$label client (peer)" "$OUT/peer.t"; P=$MED PMIN=$MIN
	if [ -n "$BEFORE" ]; then
		stats "$label BEFORE ls --json" "$OUT/before.t"
		ratio "BEFORE ls --json / client" "$MIN" "$PMIN" "$MED" "$P"
	fi
	stats "$label runsite ls --json" "$OUT/cmd.t"
	ratio "ls --json / client" "$MIN" "$PMIN" "$MED" "$P"
}
ratio() {
	python3 -c 'import sys; a, b, c, d = map(float, sys.argv[2:])
r = lambda x, y: "%.2fx" % (x / y) if y else "n/a"
print("%s: min %s, median %s (goal: at most 2x)" % (sys.argv[1], r(a, b), r(c, d)))' "$@"
}
# stats LABEL FILE: min and median of the wall, client CPU and server CPU columns.
stats() {
	set -- "$1" $(python3 -c '
import statistics, sys
rows = [list(map(float, l.split())) for l in open(sys.argv[1]) if l.strip() and l[0].isdigit()]
wall = [r[0] for r in rows]; cpu = [r[1] + r[2] for r in rows]; srv = [r[4] for r in rows]
print("%.2f %.2f %.2f %.2f %.2f %.2f %.1f" % (min(wall), statistics.median(wall), min(cpu),
      statistics.median(cpu), min(srv), statistics.median(srv), max(r[3] for r in rows) / 1024))' "$2")
	printf '%-34s %6s %6s %6s %6s %6s %6s %8s\n' "$1" "$2" "$3" "$4" "$5" "$6" "$7" "$8"
	MIN=$2 MED=$3
}

if [ -n "$reused" ]; then
	:
elif [ -n "$PG_URL" ]; then
	t0=$(date +%s)
	pg_admin postgres -c "CREATE DATABASE mlflow" >/dev/null
	python3 scripts/sqlite_to_sql.py --fast --copy --dialect postgresql \
		--schema tests/servers/mlflow-current.postgresql.sql "$DB" | pg_admin mlflow >/dev/null
	pg_admin mlflow -c "GRANT SELECT ON ALL TABLES IN SCHEMA public TO runsite" -c "VACUUM ANALYZE" >/dev/null
	echo "PostgreSQL: loaded in $(($(date +%s) - t0)) s"
else
	echo "PostgreSQL skipped: $PG_SKIP"
fi
if [ -n "$reused" ]; then
	:
elif [ -n "$MY_URL" ]; then
	t0=$(date +%s)
	python3 scripts/sqlite_to_sql.py --fast --dialect mysql \
		--schema tests/servers/mlflow-current.mysql.sql "$DB" >"$OUT/my.sql"
	my_load mlflow "$OUT/my.sql"
	rm -f "$OUT/my.sql"
	echo "MariaDB: loaded in $(($(date +%s) - t0)) s"
else
	echo "MariaDB skipped: $MY_SKIP"
fi
if [ -n "$KEEP" ] && [ -z "$reused" ]; then
	printf 'SERVERS_DIR=%s\nPG_URL=%s PG_HOST=%s PG_PORT=%s PG_BIN=%s\nMY_URL=%s MY_SOCK=%s MY_PORT=%s MY_PID=%s\nPG_SKIP="%s" MY_SKIP="%s"\n' \
		"$SERVERS_DIR" "$PG_URL" "${PG_HOST:-}" "${PG_PORT:-}" "${PG_BIN:-}" \
		"$MY_URL" "${MY_SOCK:-}" "${MY_PORT:-}" "${MY_PID:-}" "${PG_SKIP:-}" "${MY_SKIP:-}" >"$KEEP/servers.env"
fi

# The issue's "select count(*), sum(value) from metrics", except that MLflow
# keeps ±inf as ±DBL_MAX, whose sum overflows: PostgreSQL stops with an error
# at once. So the values that big are left out of the sum (the scan is whole).
PEER_SQL="select count(*), sum(case when abs(value) < 1e308 then value end) from metrics"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-34s %6s %6s %6s %6s %6s %6s %8s\n' "what ($RUNS rounds)" "wall" "median" "cpu" "median" "server" "median" "peak MB"
if [ -n "$PG_URL" ]; then
	pair "psql:" 1 psql -X -h 127.0.0.1 -p "$PG_PORT" -U runsite -d mlflow -c "$PEER_SQL" -- \
		"$PG_URL/mlflow"
fi
if [ -n "$MY_URL" ]; then
	pair "mariadb:" 2 mariadb --no-defaults -h 127.0.0.1 -P "$MY_PORT" -u runsite mlflow -e "$PEER_SQL" -- \
		"$MY_URL/mlflow"
fi
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
