#!/bin/sh
# cli.sh — the command line: help, usage errors, exit codes, messages that
# name the path, and output-folder safety.
. tests/e2e/lib.sh

check_exit 0 "--help exits 0" "$RUNSITE" --help
check_grep "--help lists the exit codes" "nothing could be read" "$TMP/.out"
check_exit 0 "build --help exits 0" "$RUNSITE" build --help
check_grep "build --help lists -o" "--output DIR" "$TMP/.out"
check_exit 0 "ls --help exits 0" "$RUNSITE" ls --help
check_exit 2 "no command is a usage error" "$RUNSITE"
check_exit 2 "unknown command is a usage error" "$RUNSITE" frobnicate
check_exit 2 "unknown option is a usage error" "$RUNSITE" build --no-such-option x
check_exit 2 "bad --smoothing is a usage error" "$RUNSITE" build --smoothing 2 x
check_grep "bad --smoothing says the range" "0 to 0.999" "$TMP/.err"
check_exit 2 "unknown --format is a usage error" "$RUNSITE" ls --format nope x
check_exit 2 "build without a path is a usage error" "$RUNSITE" build

check_exit 3 "a missing path: nothing could be read" "$RUNSITE" ls "$TMP/missing"
check_grep "the message names the missing path" "$TMP/missing" "$TMP/.err"
mkdir "$TMP/empty"
check_exit 3 "an empty folder: nothing could be read" "$RUNSITE" build "$TMP/empty" -o "$TMP/site"
check_grep "the message says no store was found" "no run store found" "$TMP/.err"
printf 'not a database' > "$TMP/mlflow.db"
check_exit 3 "a file that is no store: nothing could be read" "$RUNSITE" ls "$TMP/mlflow.db"

# Output safety: never write into a folder runsite did not make, unless --force.
if [ -d sample-runs/mlruns ]; then
	mkdir -p "$TMP/foreign" && echo keep > "$TMP/foreign/precious.txt"
	check_exit 4 "refuses a non-empty folder it did not make" \
		"$RUNSITE" build -q sample-runs/mlruns -o "$TMP/foreign"
	check "the foreign folder is untouched" test "$(cat "$TMP/foreign/precious.txt")" = keep
	check_exit 0 "a first build" "$RUNSITE" build -q sample-runs/mlruns -o "$TMP/out"
	check_exit 0 "a rebuild over its own site needs no --force" \
		"$RUNSITE" build -q sample-runs/mlruns -o "$TMP/out"
	cp -r "$TMP/out" "$TMP/before"
	check_exit 3 "a build that reads nothing fails" "$RUNSITE" build -q "$TMP/mlflow.db" -o "$TMP/out"
	check "a failed build leaves the previous site whole" diff -r "$TMP/before" "$TMP/out"
	check "no temporary folder is left beside the site" \
		sh -c "[ \$(ls -a '$TMP' | grep -c -- '^out.*tmp') -eq 0 ]"
	check_exit 0 "--force writes over a foreign folder" \
		"$RUNSITE" build -q --force sample-runs/mlruns -o "$TMP/foreign"
	# The database servers' client libraries and libzip load when a store
	# needs them (tests/e2e/servers.sh and trackers.sh read such stores), not
	# at every start.
	LD_DEBUG=files "$RUNSITE" build -q sample-runs/mlruns -o "$TMP/ld" >/dev/null 2>"$TMP/ld.err"
	check_grep "the loader's log names the libraries loaded" "file=libcairo" "$TMP/ld.err"
	check "a build of a local store loads no libpq, libmariadb nor libzip" \
		sh -c "! grep -E 'file=(libpq|libmariadb|libzip)' '$TMP/ld.err'"
else
	skip "sample-runs/mlruns not there yet"
fi
finish
