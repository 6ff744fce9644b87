#!/bin/sh
# utf8.sh — bytes that are not UTF-8 in a store (names, params, tags, notes,
# metric keys, artifact names) become U+FFFD in every output, which all say
# they are UTF-8: the pages, their SVG charts, the export, summary.md and the
# JUnit report of check.
. tests/e2e/lib.sh
"$PY" tests/tools/make_badutf8_store.py "$TMP/store"
check_exit 0 "the store builds" "$RUNSITE" build -q "$TMP/store/mlruns" -o "$TMP/site"
check_exit 0 "a run exports" "$RUNSITE" export -q "$TMP/store/mlruns" --run bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb \
	-o "$TMP/handoff.html"
check_exit 0 "check writes its reports" "$RUNSITE" check -q "$TMP/store/mlruns" \
	--baseline aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa --candidate bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb \
	--rule acc:max:1 --rule "$(printf 'loss\357\277\275:min:100%%')" -o "$TMP/gate" --junit "$TMP/gate/junit.xml"
"$RUNSITE" ls --json "$TMP/store/mlruns" > "$TMP/ls.json" 2>/dev/null
# Every text file is valid UTF-8, and the bad bytes show as U+FFFD.
"$PY" - "$TMP" > "$TMP/utf8.out" <<'PY'
import os, sys
root = sys.argv[1]
bad, checked, marks = [], 0, 0
for top in ("site", "gate", "handoff.html", "ls.json"):
    p = os.path.join(root, top)
    files = [p] if os.path.isfile(p) else [os.path.join(d, f) for d, _, fs in os.walk(p) for f in fs]
    for f in files:
        if not f.endswith((".html", ".svg", ".md", ".xml", ".json")):
            continue
        data = open(f, "rb").read()
        checked += 1
        try:
            text = data.decode("utf-8")
            marks += "\ufffd" in text
        except UnicodeDecodeError as e:
            bad.append("%s: %s" % (os.path.relpath(f, root), e))
print("checked %d files, %d with U+FFFD" % (checked, marks))
for b in bad:
    print("not UTF-8:", b)
PY
if grep -q "not UTF-8" "$TMP/utf8.out"; then fail "outputs that are not UTF-8:"; grep "not UTF-8" "$TMP/utf8.out" | head; else ok; fi
for f in site/index.html handoff.html gate/summary.md; do
	check "$f shows U+FFFD for the bad bytes" grep -q "$(printf '\357\277\275')" "$TMP/$f"
done
check "an SVG chart shows U+FFFD" sh -c "grep -l \"\$(printf '\357\277\275')\" '$TMP'/site/runs/*/*.svg | grep -q ."
check "every page parses and every link resolves" "$BUILD/tools/sitecheck" "$TMP/site"
finish
