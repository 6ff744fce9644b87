#!/bin/sh
# docs.sh — the man page documents every option that --help lists, and lints clean.
. tests/e2e/lib.sh
for cmd in build ls check export; do
	"$RUNSITE" "$cmd" --help | grep -oE -- '--[a-z][a-z-]+' | sort -u > "$TMP/opts"
	while read -r opt; do
		name=${opt#--}
		if grep -q -- "Fl -$name" man/runsite.1; then ok; else fail "man page lacks $cmd $opt"; fi
	done < "$TMP/opts"
done
if command -v mandoc >/dev/null 2>&1; then
	check "man page lints clean" mandoc -Tlint -Werror man/runsite.1
else
	skip "mandoc not installed"
fi
check "README names the test command" grep -q 'make check' README.md
finish
