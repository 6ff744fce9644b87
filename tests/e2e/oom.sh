#!/bin/sh
# oom.sh — a build that runs out of memory (under `ulimit -v`, at limits that
# make it fail at different points: starting threads, reading, drawing,
# writing pages) says "out of memory" once, exits 5, removes its temporary
# folder and leaves the previous site whole; it never crashes.
. tests/e2e/lib.sh
GEN=../shared/bench/genruns.py
case "$BUILD" in *san*)
	skip "AddressSanitizer cannot run under ulimit -v"
	finish
	exit ;;
esac
if [ ! -f "$GEN" ]; then
	skip "$GEN is not there: no store to build"
	finish
	exit
fi
"$PY" "$GEN" --format mlflow-file --runs 60 --metrics 3 --steps 50 --out "$TMP/store" -q
out="$TMP/out/site"
mkdir -p "$TMP/out"
check_exit 0 "the first build" "$RUNSITE" build -q "$TMP/store" -o "$out"
(cd "$out" && find . -type f | sort | xargs sha256sum) > "$TMP/before.sum"

# The lowest limit is the one at which runsite and its libraries just load.
base=40000
while [ $base -lt 400000 ] && ! (ulimit -v $base && exec "$RUNSITE" --version) >/dev/null 2>&1; do
	base=$((base + 10000))
done
hit=0
for jobs in 1 2; do
	for kb in $base $((base + 10000)) $((base + 20000)) $((base + 30000)) $((base + 40000)); do
		what="-j $jobs under ulimit -v $kb"
		(ulimit -v $kb && exec "$RUNSITE" build -q --no-cache -j $jobs "$TMP/store" -o "$out") \
			>/dev/null 2>"$TMP/err"
		rc=$?
		case $rc in
		0) ok ;;
		5)
			hit=$((hit + 1))
			# GLib may add a line of its own when even its message cannot be
			# converted; runsite's is the one line it says, and the last.
			if [ "$(grep -v '^GLib: Cannot convert message' "$TMP/err")" = "runsite: out of memory" ]; then ok; else
				fail "$what: not one clear message:"; head -5 "$TMP/err"; fi ;;
		*) fail "$what: exit $rc"; tail -3 "$TMP/err" ;;
		esac
		if ls -d "$out".tmp-* >/dev/null 2>&1; then
			fail "$what left a temporary folder"
			rm -rf "$out".tmp-*
		else ok; fi
		if [ $rc -ne 0 ]; then
			check "$what: the previous site is whole" sh -c "(cd '$out' && find . -type f | sort | xargs sha256sum) | cmp -s - '$TMP/before.sum'"
		fi
	done
done
if [ $hit -gt 0 ]; then ok; else
	skip "no limit made the build run out of memory on this machine"; fi
finish
