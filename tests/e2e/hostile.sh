#!/bin/sh
# hostile.sh — a store whose names, params, tags and notes try to inject
# script, escape the output folder and leak secrets. The site shows all of it
# as text, runs nothing (checked in headless Chromium when it is installed),
# writes nothing outside the output folder, leaks no secret, and leaves the
# store unchanged.
. tests/e2e/lib.sh
"$PY" tests/tools/make_hostile_store.py "$TMP/store"
(cd "$TMP/store" && find . -type f | sort | xargs sha256sum) > "$TMP/before.sum"
mkdir -p "$TMP/work"
check_exit 0 "the hostile store builds" "$RUNSITE" build -q "$TMP/store/mlruns" -o "$TMP/work/site"
check "nothing is written outside the output folder" \
	sh -c "[ \"\$(ls -A '$TMP/work')\" = site ]"
(cd "$TMP/store" && find . -type f | sort | xargs sha256sum) > "$TMP/after.sum"
check "the input store is unchanged" cmp "$TMP/before.sum" "$TMP/after.sum"
check "every page parses and every link resolves" "$BUILD/tools/sitecheck" "$TMP/work/site"

# No secret reaches any output file, of build or of ls.
"$RUNSITE" ls --json "$TMP/store/mlruns" > "$TMP/ls.json" 2>/dev/null
while read -r secret; do
	if grep -rqF -- "$secret" "$TMP/work/site" "$TMP/ls.json"; then fail "secret $secret leaked"; else ok; fi
done < "$TMP/store/secrets.txt"
check_grep "ls says what it redacted" "params.WANDB_API_KEY" "$TMP/ls.json"

# The hostile text is on the run page as text.
page=$(grep -l "0123456789abcdef0123456789abcdef" "$TMP/work/site"/runs/*.html | head -1)
check_grep "the run name shows as text" "&lt;script&gt;document.title" "$page"
if grep -q "javascript:" "$TMP/work/site"/runs/*.html "$TMP/work/site"/experiments/*.html; then
	fail "a javascript: link reached a page"
else ok; fi

# The runs tables' rows are data in script files: no '<', '>' or '&' and no
# U+2028/U+2029 in them (each escaped), and the data reads back exactly.
rows=$(ls "$TMP/work/site"/index.rows.js "$TMP/work/site"/experiments/*.rows.js 2>/dev/null)
if [ -z "$rows" ]; then fail "the runs tables' rows files are written"; fi
for f in $rows; do
	if grep -q '[<>&]' "$f" || grep -qP '\x{2028}|\x{2029}' "$f"; then
		fail "$f holds an unescaped <, >, &, U+2028 or U+2029"
	else ok; fi
done
check "the rows data reads back the hostile name and param exactly" "$PY" -c '
import json, sys
d = json.loads(open(sys.argv[1], encoding="utf-8").read().split("[\"runs-table\"] = ", 1)[1].rstrip().rstrip(";"))
names = [r[1] for r in d["rows"]]
lr = [v for r in d["rows"] for v in r[9]]
assert "</script><script>document.title='"'"'PWNED'"'"'</script>" in names, names
assert "a\u2028b\u2029c & <d>" in lr, lr
' "$TMP/work/site/index.rows.js"

BROWSER=$(command -v chromium || command -v chromium-browser || true)
if [ -n "$BROWSER" ]; then
	for p in "$TMP/work/site/index.html" "$TMP/work/site"/experiments/*.html "$TMP/work/site"/runs/*.html; do
		"$BROWSER" --headless --no-sandbox --disable-gpu --no-first-run --disable-background-networking \
			--disable-component-update --disable-sync --user-data-dir="$TMP/chrome" \
			--virtual-time-budget=2000 --dump-dom "file://$p" > "$TMP/dom.html" 2>/dev/null
		if [ ! -s "$TMP/dom.html" ]; then fail "chromium rendered nothing for $p"; continue; fi
		# The attacks set the title to exactly PWNED or add data-pwned="1" to the body.
		if grep -qE '<title>PWNED</title>|data-pwned="1"' "$TMP/dom.html"; then
			fail "script ran in $p"
		else ok; fi
	done
	check_grep "chromium shows the hostile run name as text" "&lt;script&gt;document.title" "$TMP/dom.html"
	"$BROWSER" --headless --no-sandbox --disable-gpu --no-first-run --disable-background-networking \
		--disable-component-update --disable-sync --user-data-dir="$TMP/chrome" \
		--virtual-time-budget=2000 --dump-dom "file://$TMP/work/site/index.html" > "$TMP/dom.html" 2>/dev/null
	check_grep "the index's rows, drawn from the data, show a name ending a script as text" \
		"&lt;/script&gt;&lt;script&gt;document.title" "$TMP/dom.html"
else
	skip "chromium is not installed: the in-browser check did not run"
fi
finish
