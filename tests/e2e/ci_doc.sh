#!/bin/sh
# ci_doc.sh — runs every runsite command of docs/ci.md, exactly as written
# there, on sample-runs/ (mlruns → sample-runs/mlruns, the variables as in the
# doc's env blocks), and checks what each one writes.
. tests/e2e/lib.sh
RS=$(cd "$(dirname "$RUNSITE")" && pwd)/$(basename "$RUNSITE")
ROOT=$(pwd)
# The command lines: in YAML "run:" blocks, GitLab "- " lists and sh blocks.
grep -E '^[[:space:]]*(- )?runsite (build|check|export|ls) ' docs/ci.md |
	sed -E 's/^[[:space:]]*(- )?//' > "$TMP/commands"
n=$(wc -l < "$TMP/commands")
if [ "$n" -ge 6 ]; then ok; else fail "docs/ci.md holds $n runsite commands, want at least 6"; fi
for sub in build check export; do
	if grep -q "^runsite $sub " "$TMP/commands"; then ok; else fail "docs/ci.md never runs runsite $sub"; fi
done
# The doc's variables, from its env blocks.
BASELINE=$(sed -nE 's/^[[:space:]]*BASELINE: (.*)$/\1/p' docs/ci.md | head -1)
CANDIDATE=$(sed -nE 's/^[[:space:]]*CANDIDATE: (.*)$/\1/p' docs/ci.md | head -1)
export BASELINE CANDIDATE
i=0
while IFS= read -r line; do
	i=$((i + 1))
	# Each command in a fresh folder, as in a fresh CI job; ones that need
	# earlier output (export into public/) get the build first.
	work="$TMP/job$i"
	mkdir -p "$work"
	ln -s "$ROOT/sample-runs/mlruns" "$work/mlruns"
	case "$line" in
	"runsite build"*) ;;
	*) (cd "$work" && "$RS" build -q mlruns -o public >/dev/null 2>&1) ;;
	esac
	cmd="\"$RS\"${line#runsite}"
	if (cd "$work" && eval "$cmd") >"$TMP/out$i" 2>&1; then ok; else
		fail "docs/ci.md command exits $?: $line"; tail -5 "$TMP/out$i"
	fi
	case "$line" in
	"runsite build"*) check "build wrote the site: $line" test -s "$work/public/index.html" ;;
	"runsite export"*) check "export wrote the hand-off file" test -s "$work/public/handoff.html" ;;
	"runsite check"*)
		check "check wrote summary.md" test -s "$work/public/gate/summary.md"
		if command -v xmllint >/dev/null 2>&1; then
			check "check wrote a JUnit file that parses" xmllint --noout "$work/public/gate/junit.xml"
		else
			skip "xmllint not installed"
		fi ;;
	esac
done < "$TMP/commands"
finish
