#!/bin/sh
# bench/mlflow.sh — the MLflow readers and the whole build on the genruns.py
# "sweep" size (500 runs x 6 metrics x 5,000 steps), as mlflow-sqlite and as
# mlflow-file, against the peers on this machine, in one run:
#   sqlite3 CLI full scan of the metrics table (count/sum), and
#   Python parsing every metrics file of the FileStore
#   (../shared/bench/baselines/read_mlflow_file.py, Debian's /usr/bin/python3).
# Prints wall seconds and peak RSS (/usr/bin/time) for `runsite ls --json` and
# `runsite build`, and the ratios the issue names.
#   sh bench/mlflow.sh [DATA_DIR]   (default /tmp/bench; data generated when missing)
#   BUILD_SITE=0 skips the two site builds (the slow part: 3,000 charts each).
set -eu
DATA=${1:-${TMPDIR:-/tmp}/bench}
GEN=../shared/bench/genruns.py
PEER=../shared/bench/baselines/read_mlflow_file.py
RUNSITE=${RUNSITE:-./runsite}
BUILD_SITE=${BUILD_SITE:-1}
for f in mlflow-sqlite mlflow-file; do
	if [ ! -f "$DATA/sweep-$f/genruns-manifest.json" ]; then
		echo "generating $DATA/sweep-$f (about 40-90 s)"
		mkdir -p "$DATA"
		/usr/bin/python3 "$GEN" --format "$f" --size sweep --out "$DATA/sweep-$f" -q >/dev/null
	fi
done
DB=$DATA/sweep-mlflow-sqlite/mlflow.db
FS=$DATA/sweep-mlflow-file/mlruns
POINTS=15000000
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT

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

printf '%-44s %9s %10s\n' "what" "seconds" "peak MB"
row() { printf '%-44s %9s %10.1f\n' "$1" "$2" "$(echo "$3 / 1024" | bc -l)"; }
set -- $(timed scan sqlite3 "$DB" 'select count(*), sum(value) from metrics'); row "sqlite3 full scan (peer)" "$2" "$3"; SCAN=$2
set -- $(timed ls "$RUNSITE" ls --json -q "$DB"); row "runsite ls --json mlflow.db" "$2" "$3"; LSDB=$2
if [ -f "$PEER" ]; then
	set -- $(timed py /usr/bin/python3 "$PEER" "$FS"); row "Python reads mlruns/ (peer)" "$2" "$3"; PY=$2
else PY=; fi
set -- $(timed ls "$RUNSITE" ls --json -q "$FS"); row "runsite ls --json mlruns/" "$2" "$3"; LSFS=$2
if [ "$BUILD_SITE" = 1 ]; then
	/usr/bin/time -f "%e %M" -o "$OUT/t" "$RUNSITE" build -q "$DB" -o "$OUT/site-db" >/dev/null 2>&1
	row "runsite build mlflow.db (one run)" "$(cut -d' ' -f1 "$OUT/t")" "$(cut -d' ' -f2 "$OUT/t")"
	rm -rf "$OUT/site-db"
	/usr/bin/time -f "%e %M" -o "$OUT/t" "$RUNSITE" build -q "$FS" -o "$OUT/site-fs" >/dev/null 2>&1
	row "runsite build mlruns/ (one run)" "$(cut -d' ' -f1 "$OUT/t")" "$(cut -d' ' -f2 "$OUT/t")"
fi
echo
echo "ls --json mlflow.db / sqlite3 full scan: $(echo "scale=2; $LSDB / $SCAN" | bc)x (goal: at most 2x)"
echo "ls --json mlruns/: $(echo "scale=1; $POINTS / $LSFS / 1000000" | bc)M points/s"
[ -n "$PY" ] && echo "  against Python: $(echo "scale=1; $PY / $LSFS" | bc)x faster (goal: at least 20x)"
