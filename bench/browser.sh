#!/bin/sh
# browser.sh — how fast the pages of a 500-run sweep load in the system
# Chromium (tests/browser/bench.js): the index and the experiment page, cold,
# median of 5. Needs tests/browser's packages (scripts/install-deps.sh --test).
#   sh bench/browser.sh [SCRATCH]     (default: $TMPDIR/runsite-bench-browser)
set -e
S=${1:-${TMPDIR:-/tmp}/runsite-bench-browser}
G=${GENRUNS:-../shared/bench/genruns.py}
RUNSITE=${RUNSITE:-./runsite}
mkdir -p "$S"
[ -d "$S/sweep" ] || python3 "$G" --format mlflow-file --size sweep --out "$S/sweep" >/dev/null
"$RUNSITE" build "$S/sweep" -o "$S/site" --force >/dev/null 2>&1
echo "runsite build of the genruns sweep ($(ls "$S/site/runs" | grep -c '\.html$') run pages)"
cd tests/browser && node bench.js "$S/site/index.html" "$S"/site/experiments/*.html --runs 5
