#!/bin/sh
# corpus.sh — real files written by real trackers: the redistributable ones
# in tests/corpus (on every clone), the others in ../shared/corpus when it is
# there. Every sample builds with no error, and for MLflow stores ls --json
# agrees with an independent reader of the same files.
. tests/e2e/lib.sh
OWN=tests/corpus
[ -d "$CORPUS" ] || skip "$CORPUS not found: only the samples in $OWN were checked"
for f in mlflow-filestore mlflow-sqlite tfevents lightning-csv hf-trainer dvclive keras-history; do
	for sample in "$OWN/$f"/*/ "$CORPUS/$f"/*/; do
		[ -d "$sample" ] || continue
		name="$f/$(basename "$sample")"
		# A sample copied into tests/corpus is checked once, from there.
		case "$sample" in "$CORPUS"/*) [ -d "$OWN/$name" ] && continue ;; esac
		rm -rf "$TMP/site"
		"$RUNSITE" build -q "$sample" -o "$TMP/site" >"$TMP/out" 2>&1
		rc=$?
		case "$name" in
		tfevents/lfs-pointer-*)
			# Not an event file: a clear message, and nothing to build.
			"$RUNSITE" ls "$sample" > /dev/null 2> "$TMP/err"
			check_grep "$name: the LFS pointer is named as such" "Git LFS pointer" "$TMP/err"
			continue ;;
		esac
		if [ $rc -eq 0 ]; then ok; else fail "$name: build exited $rc"; cat "$TMP/out"; fi
		"$RUNSITE" ls "$sample" > /dev/null 2> "$TMP/err"
		if [ -s "$TMP/err" ]; then fail "$name: warnings"; head -5 "$TMP/err"; else ok; fi
		[ $rc -eq 0 ] && check "$name: pages and links" "$BUILD/tools/sitecheck" "$TMP/site"
	done
done
# Stores read on several threads are reported in store order: the same
# runs and the same warnings, in the same order, as with one thread.
ALL=$OWN
[ -d "$CORPUS" ] && ALL="$CORPUS"
"$RUNSITE" ls --json -j 1 "$ALL" > "$TMP/j1.out" 2> "$TMP/j1.err"
"$RUNSITE" ls --json -j 2 "$ALL" > "$TMP/j2.out" 2> "$TMP/j2.err"
check "ls of the whole corpus: the same runs with -j 1 and -j 2" cmp "$TMP/j1.out" "$TMP/j2.out"
check "ls of the whole corpus: the same warnings, in order, with -j 1 and -j 2" \
	cmp "$TMP/j1.err" "$TMP/j2.err"
check "the corpus has warnings to compare" test -s "$TMP/j1.err"
for store in $(find "$OWN/mlflow-sqlite" -name '*.sql' | sort) \
	$( [ -d "$CORPUS" ] && ls -d "$CORPUS"/mlflow-filestore/*/mlruns) \
	$( [ -d "$CORPUS" ] && find "$CORPUS/mlflow-sqlite" -name 'mlflow.db' | sort); do
	"$RUNSITE" ls --json -q "$store" > "$TMP/ls.json"
	check "ls --json agrees with an independent reader: $store" \
		"$PY" tests/tools/mlflow_ref.py "$store" "$TMP/ls.json"
done
finish
