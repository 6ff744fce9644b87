#!/bin/sh
# browser.sh — the pages in a real browser (tests/browser, puppeteer-core
# driving the system Chromium): chart readouts, the runs table's sorting,
# filters, columns, URL state and downloads (on the demo and on a 250-run
# site whose rows the script draws as they scroll), axe-core and the Nu HTML checker
# on every page of the demo site and on the corpus site. Skipped, saying why,
# when node, Chromium or the test packages are missing
# (scripts/install-deps.sh --test installs them).
. tests/e2e/lib.sh
BROWSER_DIR=tests/browser
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
export CHROMIUM
why=
command -v node >/dev/null 2>&1 || why="node is not installed"
[ -z "$why" ] && [ ! -x "$CHROMIUM" ] && why="no Chromium at $CHROMIUM"
# A fresh clone has no node_modules: its packages come as the lockfile pins
# them (what scripts/install-deps.sh --test does), when npm is here.
if [ -z "$why" ] && [ ! -d "$BROWSER_DIR/node_modules/puppeteer-core" ] && command -v npm >/dev/null 2>&1; then
	echo "browser.sh: npm ci in $BROWSER_DIR (the browser tests' packages)"
	(cd "$BROWSER_DIR" && npm ci --ignore-scripts --no-audit --no-fund >"$TMP/npm.log" 2>&1) ||
		{ echo "browser.sh: npm ci failed:"; tail -5 "$TMP/npm.log"; }
fi
[ -z "$why" ] && [ ! -d "$BROWSER_DIR/node_modules/puppeteer-core" ] &&
	why="$BROWSER_DIR/node_modules is missing (scripts/install-deps.sh --test, or npm ci there)"
if [ -n "$why" ]; then
	skip "browser tests: $why"
	finish; exit $?
fi

"$RUNSITE" build sample-runs/ -o "$TMP/demo" --primary val/f1 \
	--compare mlp16-posw4-s3,logreg-baseline-s1,mlp16-posw4-s1 \
	--compare mlp16-posw4-s1,mlp16-posw4-s2,mlp16-posw4-s3 >"$TMP/demo.log" 2>&1 ||
	fail "the demo site builds"
"$RUNSITE" build "$CORPUS" -o "$TMP/corpus" >"$TMP/corpus.log" 2>&1 ||
	fail "the corpus site builds"
# More runs than a runs table shows as HTML (100) or draws at once (200).
"$PY" tests/tools/make_many_runs.py "$TMP/many" 250
"$RUNSITE" build "$TMP/many" -o "$TMP/many-site" >"$TMP/many.log" 2>&1 ||
	fail "the 250-run site builds"
"$RUNSITE" export sample-runs/ --run mlp16-posw4-s1 -o "$TMP/export.html" >"$TMP/export.log" 2>&1 ||
	fail "the hand-off export builds"
# The filter's selection language is checked against `runsite build --select`.
top=$(pwd)
case $RUNSITE in /*) rs=$RUNSITE ;; *) rs=$top/$RUNSITE ;; esac
out=$(cd "$BROWSER_DIR" && node run.js --demo "$TMP/demo" --corpus "$TMP/corpus" --many "$TMP/many-site" \
	--export "$TMP/export.html" --runsite "$rs" --store "$top/sample-runs" 2>&1)
echo "$out" | grep -v '^browser: '
line=$(echo "$out" | grep -E '^browser: [0-9]+ passed, [0-9]+ failed, [0-9]+ skipped$' | tail -1)
if [ -z "$line" ]; then
	fail "the browser tests ran to their summary line"
else
	passed=$((passed + $(echo "$line" | sed -E 's/.*: ([0-9]+) passed.*/\1/')))
	failed=$((failed + $(echo "$line" | sed -E 's/.* ([0-9]+) failed.*/\1/')))
	skipped=$((skipped + $(echo "$line" | sed -E 's/.* ([0-9]+) skipped$/\1/')))
fi
finish
