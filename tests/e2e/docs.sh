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
# The template contract: every data-rs marker the code uses or a template
# holds is listed in templates/README.md.
check "templates/README.md lists every marker (tests/tools/markers.py)" "$PY" tests/tools/markers.py
# --templates in the man page names every file build takes from the folder:
# the page templates the site loads and the assets.
sed -n '/^\.It Fl -templates/,/^\.It Fl/p' man/runsite.1 > "$TMP/tpl"
for f in $(grep -oE 'site_load_source\(opts, "templates/[a-z]+\.html"' src/site/site.c | grep -oE '[a-z]+\.html') \
	$(ls assets); do
	if grep -q -- "$f" "$TMP/tpl"; then ok; else fail "man page --templates does not name $f"; fi
done
finish
