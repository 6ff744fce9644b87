#!/bin/sh
# browser.sh — how fast the pages of a 500-run sweep, and of a 10,000-run
# store, load in the system Chromium (tests/browser/bench.js): the index and
# the experiment pages, cold, median of 5 (3 at 10,000): when the page is
# interactive (its script done, the runs table's first rows drawn), and a sort
# and a filter of the runs table. Needs tests/browser's packages
# (scripts/install-deps.sh --test).
#   sh bench/browser.sh [SCRATCH]     (default: $TMPDIR/runsite-bench-browser)
# The 10,000-run site is bench/scale.sh's ($SCALE_DATA/site-10000, default
# /tmp/runsite-scale; BIG_SITE=DIR names another), built here from its store
# when missing; BIG=0 skips it.
set -e
S=${1:-${TMPDIR:-/tmp}/runsite-bench-browser}
G=${GENRUNS:-../shared/bench/genruns.py}
RUNSITE=${RUNSITE:-./runsite}
DATA=${SCALE_DATA:-/tmp/runsite-scale}
mkdir -p "$S"
[ -d "$S/sweep" ] || python3 "$G" --format mlflow-file --size sweep --out "$S/sweep" >/dev/null
"$RUNSITE" build "$S/sweep" -o "$S/site" --force >/dev/null 2>&1
echo "runsite build of the genruns sweep ($(ls "$S/site/runs" | grep -c '\.html$') run pages)"
(cd tests/browser && node bench.js "$S/site/index.html" "$S"/site/experiments/*.html --runs 5)
[ "${BIG:-1}" = 0 ] && exit 0
B=${BIG_SITE:-$DATA/site-10000}
if [ ! -f "$B/index.rows.js" ]; then
	st=$DATA/lightning-csv-10000
	if [ ! -f "$st/genruns-manifest.json" ]; then
		rm -rf "$st"
		python3 "$G" --format lightning-csv --runs 10000 --metrics 6 --steps 1000 --out "$st" >/dev/null
	fi
	"$RUNSITE" build -q "$st" -o "$B" -j 2 --force >/dev/null
fi
echo "the 10,000-run site ($B)"
cd tests/browser && node bench.js "$B/index.html" "$B"/experiments/*.html --runs 3
