#!/bin/sh
# bench/report.sh — what a report costs: the genruns.py "sweep" store (500
# runs x 6 metrics x 5,000 steps, mlflow-sqlite) built with a report of 20
# overlay charts (each over up to 20 runs chosen by the selection language),
# a seed-less table and references, against the same build without it.
# Every build draws every chart (--no-cache); best of 3 each. Goal: the
# report adds under 2 s.
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

# The report: 16 charts of the experiments' ten best runs, 4 of other
# selections, a table and two references.
{
	echo "---"
	echo "title: Sweep findings"
	echo "author: bench"
	echo "---"
	echo "# Per experiment"
	for e in cifar10-resnet imdb-sentiment wmt14-en-de-transformer librispeech-ctc \
		coco-detr tabular-gbdt-vs-mlp gpt-small-pretrain mnist-sanity; do
		printf '\n## %s\n\n```runsite\nchart: val/loss, val/accuracy\nruns: experiment=%s\ntop: 10 by val/accuracy\n```\n' "$e" "$e"
	done
	printf '\n# Across experiments\n\n```runsite\nchart: train/loss, train/accuracy\nruns: optimizer=sgd  top: 20 by val/loss\n```\n'
	printf '\n```runsite\nchart: lr, grad_norm\nruns: status=FINISHED lr<0.01  top: 15 by val/accuracy\n```\n'
	printf '\n```runsite\ntable: optimizer, lr, batch_size, val/accuracy best, val/loss best, duration\ntop: 20 by val/accuracy\n```\n'
	printf '\nThe best run reaches {{ top 1 by val/accuracy : val/accuracy best }}.\n'
} > "$OUT/rep/findings.md"

# timed LABEL CMD...: best of 3 wall seconds.
timed() {
	label=$1; shift
	best=
	for _ in 1 2 3; do
		rm -rf "$OUT/site"
		/usr/bin/time -f "%e %M" -o "$OUT/t" "$@" >/dev/null 2>"$OUT/err" || { cat "$OUT/err"; exit 1; }
		t=$(cut -d' ' -f1 "$OUT/t")
		if [ -z "$best" ] || [ "$(echo "$t < $best" | bc)" = 1 ]; then best=$t; fi
	done
	echo "$best"
}

NONE=$(timed none "$RUNSITE" build -q --no-cache --strict "$DB" -o "$OUT/site" --reports "$OUT/none")
WITH=$(timed with "$RUNSITE" build -q --no-cache --strict "$DB" -o "$OUT/site" --reports "$OUT/rep")
CHARTS=$(ls "$OUT/site/reports/findings" | grep -c '\.svg$')
printf '%-52s %9s\n' "what" "seconds"
printf '%-52s %9s\n' "runsite build, 500 runs, no report" "$NONE"
printf '%-52s %9s\n' "runsite build, 500 runs, a report of $CHARTS charts" "$WITH"
echo
echo "the report adds $(echo "$WITH - $NONE" | bc) s (goal: under 2 s)"
