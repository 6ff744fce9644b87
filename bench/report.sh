#!/bin/sh
# bench/report.sh — what a report costs: the genruns.py "sweep" store (500
# runs x 6 metrics x 5,000 steps, mlflow-sqlite) built with a report of 20
# overlay charts (each over up to 10 runs chosen by the selection language),
# a table and a reference, against the same build without it.
# Every build draws every chart (--no-cache); best of 3 each (REPEAT=N for
# another count). Goal: the report adds under 2 s.
#   sh bench/report.sh [DATA_DIR]   (default /tmp/bench; data generated when missing)
set -eu
DATA=${1:-${TMPDIR:-/tmp}/bench}
GEN=../shared/bench/genruns.py
RUNSITE=${RUNSITE:-./runsite}
if [ ! -f "$DATA/sweep-mlflow-sqlite/genruns-manifest.json" ]; then
	echo "generating $DATA/sweep-mlflow-sqlite (about 40-90 s)"
	mkdir -p "$DATA"
	/usr/bin/python3 "$GEN" --format mlflow-sqlite --size sweep --out "$DATA/sweep-mlflow-sqlite" -q >/dev/null
fi
DB=$DATA/sweep-mlflow-sqlite/mlflow.db
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
mkdir -p "$OUT/none" "$OUT/rep"

# The report: 20 overlay charts of up to 10 runs each, picked by the
# selection language (by optimizer, by scheduler, top N by a metric), a
# table and a reference.
{
	echo "---"
	echo "title: Sweep findings"
	echo "author: bench"
	echo "runs: experiment=cifar10-resnet"
	echo "---"
	echo "# By optimizer"
	for o in adam adamw lamb sgd; do
		printf '\n## %s\n\n```runsite\nchart: val/loss, val/accuracy\nruns: optimizer=%s\ntop: 10 by val/accuracy\n```\n' "$o" "$o"
	done
	echo "# By scheduler"
	for c in constant cosine linear step; do
		printf '\n## %s\n\n```runsite\nchart: train/loss, train/accuracy\nruns: scheduler=%s status=FINISHED\ntop: 10 by val/loss\n```\n' "$c" "$c"
	done
	printf '\n# Across the sweep\n\n```runsite\nchart: lr, grad_norm\ntop: 10 by val/accuracy\n```\n'
	printf '\n```runsite\nchart: val/loss, val/accuracy\nruns: lr<0.001  top: 10 by val/loss\n```\n'
	printf '\n```runsite\ntable: optimizer, lr, batch_size, val/accuracy best, val/loss best, duration\ntop: 20 by val/accuracy\n```\n'
	printf '\nThe best run reaches {{ top 1 by val/accuracy : val/accuracy best }}.\n'
} > "$OUT/rep/findings.md"

# timed CMD...: the best of $REPEAT (default 3) runs, as "wall cpu" seconds
# (cpu: user + system, steadier than wall time on a shared machine; the
# report pages are written on one thread, so on an idle machine what the
# report adds to one adds as much to the other).
timed() {
	bw= bc=
	for _ in $(seq "${REPEAT:-3}"); do
		rm -rf "$OUT/site"
		/usr/bin/time -f "%e %U %S" -o "$OUT/t" "$@" >/dev/null 2>"$OUT/err" || { cat "$OUT/err" >&2; exit 1; }
		w=$(cut -d' ' -f1 "$OUT/t")
		c=$(echo "$(cut -d' ' -f2 "$OUT/t") + $(cut -d' ' -f3 "$OUT/t")" | bc)
		if [ -z "$bw" ] || [ "$(echo "$w < $bw" | bc)" = 1 ]; then bw=$w; fi
		if [ -z "$bc" ] || [ "$(echo "$c < $bc" | bc)" = 1 ]; then bc=$c; fi
	done
	echo "$bw $bc"
}

set -- $(timed "$RUNSITE" build -q --no-cache --strict "$DB" -o "$OUT/site" --reports "$OUT/none")
NONE_W=$1 NONE_C=$2
set -- $(timed "$RUNSITE" build -q --no-cache --strict "$DB" -o "$OUT/site" --reports "$OUT/rep")
WITH_W=$1 WITH_C=$2
CHARTS=$(ls "$OUT/site/reports/findings" | grep -c '\.svg$')
printf '%-52s %9s %9s\n' "what" "wall s" "cpu s"
printf '%-52s %9s %9s\n' "runsite build, 500 runs, no report" "$NONE_W" "$NONE_C"
printf '%-52s %9s %9s\n' "runsite build, 500 runs, a report of $CHARTS charts" "$WITH_W" "$WITH_C"
echo
echo "the report adds $(echo "$WITH_W - $NONE_W" | bc) s wall, $(echo "$WITH_C - $NONE_C" | bc) s cpu (goal: under 2 s)"
