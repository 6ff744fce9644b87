#!/bin/sh
# interrupt.sh — a build stopped by SIGINT or SIGTERM exits 130 or 143, leaves
# no temporary folder and the previous site whole; a temporary folder left by
# a build killed outright is removed by the next build, while a folder
# runsite did not make, or one of a build still running, is left alone.
. tests/e2e/lib.sh
GEN=../shared/bench/genruns.py
if [ ! -f "$GEN" ]; then
	skip "$GEN is not there: no store to interrupt"
	finish
	exit
fi
# Big enough that a build without the cache takes a few seconds.
"$PY" "$GEN" --format mlflow-file --runs 250 --metrics 3 --steps 50 --out "$TMP/store" -q
out="$TMP/out/site"
mkdir -p "$TMP/out"
check_exit 0 "the first build" "$RUNSITE" build -q "$TMP/store" -o "$out"
sums() { (cd "$out" && find . -type f | sort | xargs sha256sum); }
sums > "$TMP/before.sum"

# Starts a build without the cache in the background, with SIGINT at its
# default even when this script was started with it ignored, and returns once
# the build is writing run pages; its pid is in $pid.
start_build() {
	"$PY" -c 'import os, signal, sys
signal.signal(signal.SIGINT, signal.SIG_DFL)
os.execv(sys.argv[1], sys.argv[1:])' "$RUNSITE" build -q --no-cache "$TMP/store" -o "$out" \
		2>"$TMP/bg.err" &
	pid=$!
	i=0
	while [ $i -lt 600 ] && ! ls -d "$out".tmp-*/runs >/dev/null 2>&1; do
		sleep 0.05
		i=$((i + 1))
	done
}

for sig in INT TERM; do
	want=130
	[ $sig = TERM ] && want=143
	start_build
	if ! kill -0 $pid 2>/dev/null; then
		fail "SIG$sig: the build ended before it could be interrupted"
		continue
	fi
	kill -$sig $pid
	wait $pid
	rc=$?
	if [ $rc -eq $want ]; then ok; else fail "SIG$sig: exit $rc, want $want"; fi
	if ls -d "$out".tmp-* >/dev/null 2>&1; then
		fail "SIG$sig left a temporary folder: $(ls -d "$out".tmp-*)"
	else ok; fi
	check "SIG$sig: the previous site is whole" sh -c "(cd '$out' && find . -type f | sort | xargs sha256sum) | cmp -s - '$TMP/before.sum'"
	check_grep "SIG$sig: says the site is left as it was" "left as it was" "$TMP/bg.err"
done

# A build killed outright leaves its folder; the next build removes it.
start_build
kill -KILL $pid
wait $pid 2>/dev/null
stale=$(ls -d "$out".tmp-* 2>/dev/null)
if [ -n "$stale" ]; then ok; else fail "SIGKILL left no temporary folder to clean up"; fi
# Not runsite's: no marker.
mkdir "$out.tmp-NOTOUR"
echo keep > "$out.tmp-NOTOUR/file"
# A marker whose lock is held, as by a build still running.
mkdir "$out.tmp-LOCKED"
: > "$out.tmp-LOCKED/.runsite-build"
touch -d '2020-01-01' "$out.tmp-LOCKED/.runsite-build"
"$PY" -c 'import fcntl, sys, time
f = open(sys.argv[1])
fcntl.flock(f, fcntl.LOCK_EX)
print("locked", flush=True)
time.sleep(60)' "$out.tmp-LOCKED/.runsite-build" > "$TMP/holder.out" &
holder=$!
i=0
while [ $i -lt 100 ] && ! grep -q locked "$TMP/holder.out"; do sleep 0.05; i=$((i + 1)); done
check_exit 0 "the build after a killed one" "$RUNSITE" build "$TMP/store" -o "$out"
check_grep "says what it removed" "removed .*tmp-.*left by a build that did not finish" "$TMP/.err"
if [ -n "$stale" ] && [ -e "$stale" ]; then fail "the stale folder $stale is still there"; else ok; fi
check "a folder runsite did not make is kept" test -f "$out.tmp-NOTOUR/file"
check "a folder whose build still runs is kept" test -f "$out.tmp-LOCKED/.runsite-build"
kill $holder
wait $holder 2>/dev/null
# Its lock gone, it is stale.
check_exit 0 "a build after the lock went" "$RUNSITE" build -q "$TMP/store" -o "$out"
if [ -e "$out.tmp-LOCKED" ]; then fail "the unlocked stale folder is still there"; else ok; fi
check "the new site is whole" "$BUILD/tools/sitecheck" "$out"
check "the marker of a build is not in the site" test ! -e "$out/.runsite-build"
finish
