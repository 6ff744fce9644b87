#!/bin/sh
# diskfull.sh — a build that fills its disk stops at the first file it
# cannot write, says so in one line, exits 4, removes its temporary folder
# and leaves the previous site whole; -o at a mount point is refused before
# anything is read (the site is swapped in by renaming, which a mount point
# refuses). Needs a small tmpfs: root, or skipped.
. tests/e2e/lib.sh
GEN=../shared/bench/genruns.py
small="$TMP/small"
mkdir -p "$small"
if ! mount -t tmpfs -o size=1m tmpfs "$small" 2>/dev/null; then
	skip "cannot mount a small tmpfs (not root?): the disk-full checks did not run"
	finish
	exit
fi
trap 'umount "$small"; rm -rf "$TMP"' EXIT
if [ ! -f "$GEN" ]; then
	skip "$GEN is not there: no store to build"
	finish
	exit
fi
"$PY" "$GEN" --format mlflow-file --runs 1 --metrics 1 --steps 20 --out "$TMP/tiny" -q
"$PY" "$GEN" --format mlflow-file --runs 100 --metrics 3 --steps 50 --out "$TMP/big" -q
out="$small/site"
check_exit 0 "a tiny site fits" "$RUNSITE" build -q "$TMP/tiny" -o "$out"
(cd "$out" && find . -type f | sort | xargs sha256sum) > "$TMP/before.sum"
for jobs in 1 2; do
	check_exit 4 "-j $jobs: the disk fills" "$RUNSITE" build -q -j $jobs "$TMP/big" -o "$out"
	if [ "$(wc -l < "$TMP/.err")" -eq 1 ] && grep -q "No space left on device" "$TMP/.err"; then ok; else
		fail "-j $jobs: not one line saying the disk is full:"; head -5 "$TMP/.err"; fi
	if ls -d "$out".tmp-* >/dev/null 2>&1; then fail "-j $jobs left a temporary folder"; else ok; fi
	check "-j $jobs: the previous site is whole" sh -c "(cd '$out' && find . -type f | sort | xargs sha256sum) | cmp -s - '$TMP/before.sum'"
done

check_exit 4 "-o at a mount point is refused" "$RUNSITE" build -q "$TMP/tiny" -o "$small"
check_grep "it says it is a mount point" "mount point" "$TMP/.err"
check "before anything was written beside it" sh -c "! ls -d '$small'.tmp-* >/dev/null 2>&1"
finish
