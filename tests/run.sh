#!/bin/sh
# Runs every test: the unit test binaries, then each tests/e2e/*.sh script.
# Each prints a line "NAME: N passed, N failed, N skipped"; this adds them up
# and ends with the totals. Exits 1 when anything failed.
BUILD=${BUILD:-build}
RUNSITE=${RUNSITE:-$BUILD/runsite}
export RUNSITE BUILD
export LC_ALL=C.UTF-8 TZ=UTC
# Fontconfig and Pango keep caches for the life of the process; LeakSanitizer
# reports them at exit. They are not ours, so they are suppressed by library.
export LSAN_OPTIONS="suppressions=$(pwd)/tests/lsan.supp:print_suppressions=0"
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
passed=0 failed=0 skipped=0
log=$(mktemp)
for t in "$BUILD"/tests/test_* tests/e2e/*.sh; do
	[ -e "$t" ] || continue
	case "$t" in *.d | */lib.sh) continue ;; esac
	case "$t" in *.sh) cmd="sh $t" ;; *) cmd="$t" ;; esac
	$cmd >"$log" 2>&1
	rc=$?
	line=$(grep -E '^[^ ]+: [0-9]+ passed, [0-9]+ failed, [0-9]+ skipped$' "$log" | tail -1)
	if [ -z "$line" ]; then
		echo "FAIL $t: no summary line (exit $rc)"; cat "$log"; failed=$((failed + 1)); continue
	fi
	p=$(echo "$line" | sed -E 's/.*: ([0-9]+) passed.*/\1/')
	f=$(echo "$line" | sed -E 's/.* ([0-9]+) failed.*/\1/')
	s=$(echo "$line" | sed -E 's/.* ([0-9]+) skipped$/\1/')
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; echo "FAIL $t: exit $rc"; fi
	[ "$f" -ne 0 ] && { grep -E '^(not ok|FAIL)' "$log"; tail -20 "$log"; }
	grep -E '^skipped' "$log"
	echo "$line"
	passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
done
rm -f "$log"
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
