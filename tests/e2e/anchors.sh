#!/bin/sh
# anchors.sh — every in-page link ("#id") of the demo and corpus sites
# points at an element of the page with that id: sections a page leaves
# out (no sweep, no seed groups, no charts) take their nav links with them.
. tests/e2e/lib.sh
"$RUNSITE" build sample-runs/ -o "$TMP/demo" --primary val/f1 >"$TMP/demo.log" 2>&1 ||
	fail "the demo site builds"
"$RUNSITE" build sample-runs/ -o "$TMP/cmp" --compare mlp16-posw4-s3,logreg-baseline-s1 >"$TMP/cmp.log" 2>&1 ||
	fail "the demo site with a compare page builds"
"$RUNSITE" build "$CORPUS" -o "$TMP/corpus" >"$TMP/corpus.log" 2>&1 ||
	fail "the corpus site builds"
cat >"$TMP/anchors.py" <<'PY'
import os, sys
from html.parser import HTMLParser

class Page(HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids, self.links = set(), []
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if a.get("id"):
            self.ids.add(a["id"])
        h = a.get("href") or ""
        if tag == "a" and h.startswith("#") and len(h) > 1:
            self.links.append(h[1:])

pages = dead = 0
for root in sys.argv[1:]:
    for d, _, files in os.walk(root):
        for f in sorted(files):
            if not f.endswith(".html"):
                continue
            p = Page()
            with open(os.path.join(d, f), encoding="utf-8") as fh:
                p.feed(fh.read())
            pages += 1
            for h in p.links:
                if h not in p.ids:
                    dead += 1
                    if dead <= 10:
                        print("    %s: #%s points nowhere" % (os.path.join(d, f), h))
print("%d pages, %d in-page links pointing nowhere" % (pages, dead))
sys.exit(1 if dead or not pages else 0)
PY
for site in demo cmp corpus; do
	if $PY "$TMP/anchors.py" "$TMP/$site" >"$TMP/out" 2>&1; then ok; else fail "$site site: every in-page link has its target"; cat "$TMP/out"; fi
done
[ -n "$(ls "$TMP/cmp/compare" 2>/dev/null)" ] && ok || fail "the compare site has a compare page"
finish
