#!/bin/sh
# a11y.sh — axe-core and the Nu HTML checker on EVERY page of the demo and
# corpus sites (make check's tests/e2e/browser.sh runs axe on every demo page
# and on the corpus's pages but its run pages past one per store format, and
# vnu on every page), with the time it takes. Needs tests/browser's packages
# (scripts/install-deps.sh --test).
#   sh bench/a11y.sh [SCRATCH]     (default: $TMPDIR/runsite-bench-a11y)
set -e
S=${1:-${TMPDIR:-/tmp}/runsite-bench-a11y}
RUNSITE=${RUNSITE:-./runsite}
CORPUS=${CORPUS:-../shared/corpus}
mkdir -p "$S"
"$RUNSITE" build sample-runs/ -o "$S/demo" --primary val/f1 --force \
	--compare mlp16-posw4-s3,logreg-baseline-s1,mlp16-posw4-s1 \
	--compare mlp16-posw4-s1,mlp16-posw4-s2,mlp16-posw4-s3 >/dev/null 2>&1
"$RUNSITE" build "$CORPUS" -o "$S/corpus" --force >/dev/null 2>&1
start=$(date +%s)
out=$(cd tests/browser && node run.js --demo "$S/demo" --corpus "$S/corpus" --only a11y --full 2>&1) || true
echo "$out" | grep -E '^(axe|vnu|not ok|browser:)' 
echo "every page checked in $(( $(date +%s) - start )) s"
echo "$out" | grep -qE '^browser: [0-9]+ passed, 0 failed'
