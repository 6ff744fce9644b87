# lib.sh — shared by the end-to-end test scripts: counters, checks, a scratch
# folder, and the summary line tests/run.sh adds up. Source it first.
RUNSITE=${RUNSITE:-build/runsite}
BUILD=${BUILD:-build}
CORPUS=../shared/corpus
PY=${PY:-python3}
command -v "$PY" >/dev/null 2>&1 || PY=/usr/bin/python3
passed=0 failed=0 skipped=0
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

ok() { passed=$((passed + 1)); }
fail() { failed=$((failed + 1)); echo "not ok: $*"; }
skip() { skipped=$((skipped + 1)); echo "skipped: $*"; }

# check "description" command...: passes when the command exits 0.
check() {
	desc=$1; shift
	if "$@" >"$TMP/.out" 2>&1; then ok; else fail "$desc"; sed 's/^/    /' "$TMP/.out" | tail -15; fi
}

# check_exit CODE "description" command...: passes when the command exits CODE.
check_exit() {
	want=$1 desc=$2; shift 2
	"$@" >"$TMP/.out" 2>"$TMP/.err"
	got=$?
	if [ "$got" -eq "$want" ]; then ok; else fail "$desc (exit $got, want $want)"; tail -5 "$TMP/.err"; fi
}

# check_grep "description" PATTERN FILE: passes when FILE holds a line matching PATTERN.
check_grep() {
	if grep -q -- "$2" "$3"; then ok; else fail "$1 (no '$2' in $3)"; fi
}

finish() {
	echo "$(basename "$0"): $passed passed, $failed failed, $skipped skipped"
	[ "$failed" -eq 0 ]
}
