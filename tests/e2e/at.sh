#!/bin/sh
# at.sh — one --at best|last for pages, check and export: the same run's
# number is the same on the index, a compare page, in summary.md, the JUnit
# report and the hand-off file (parsed back, against ls --json), each says
# which point and step it is, and the choice changes what check gates on.
# The headline cards name one run per experiment by its primary metric: no
# one-step fluke (sample-runs' val/precision of 1 at step 130, a corpus run
# that logged its loss once) becomes a headline.
. tests/e2e/lib.sh
S=sample-runs
R=mlp16-posw4-s3
O=logreg-posw4-s1
"$RUNSITE" ls --json -q "$S" > "$TMP/ls.json"
# A threshold between the candidate's last and best val/f1: met at best only.
thr=$("$PY" - "$TMP/ls.json" "$R" <<'EOF'
import json, sys
r = [r for r in json.load(open(sys.argv[1]))["runs"] if r["name"] == sys.argv[2]][0]
m = r["metrics"]["val/f1"]
assert m["max"][1] > m["last"][1], "the sample run must peak before its end"
print(repr((m["max"][1] + m["last"][1]) / 2))
EOF
)
for at in best last; do
	check_exit 0 "build --at $at" "$RUNSITE" build -q "$S" -o "$TMP/site-$at" --at "$at" \
		--primary val/f1 --compare "$R,$O" --chart-formats svg
	want=1
	[ "$at" = best ] && want=0
	check_exit "$want" "check --at $at gates on the $at value (val/f1>=$thr)" "$RUNSITE" check -q "$S" \
		--baseline "$O" --candidate "$R" --rule "val/f1>=$thr" --rule 'val/f1:max:1' \
		--rule 'val/loss:min:1000%' --at "$at" -o "$TMP/gate-$at" --junit "$TMP/gate-$at/junit.xml" \
		--no-charts
	check_exit 0 "export --at $at" "$RUNSITE" export -q "$S" --run "$R" --run "$O" --at "$at" \
		-o "$TMP/export-$at.html"
done
check_exit 2 "--at takes best or last" "$RUNSITE" build -q "$S" -o "$TMP/bad" --at max
check_exit 2 "check --at takes best or last" "$RUNSITE" check -q "$S" --candidate "$R" \
	--rule 'val/f1>=0' --at first -o "$TMP/bad"

check "index, compare, check and export say the same number, and which point it is" \
	"$PY" - "$TMP" "$R" "$O" <<'PYEOF'
import glob, html.parser, json, os, re, sys
tmp, R, O = sys.argv[1:4]
runs = {r["name"]: r for r in json.load(open(os.path.join(tmp, "ls.json")))["runs"]}
GOAL = {"val/f1": "max", "val/loss": "min"}
sys.path.insert(0, "tests/tools")
from tally import Tally
tally = Tally()
check = tally.check

def num(s):
    return float(s.replace("Infinity", "inf"))

def at_value(name, key, at):
    """(value, step) of the run's metric at the point, from ls --json."""
    m = runs[name]["metrics"][key]
    p = m["last"] if at == "last" else m[GOAL[key]]
    return num(str(p[1])), int(p[0])

class Page(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack, self.heads, self.cells, self.cards = [], {}, [], []
        self.card = None
        self.sub = None
        self.text = {}
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        row = next((x for t, x in reversed(self.stack) if t == "tr"), {})
        if tag == "th" and "data-metric" in a:
            self.heads[a["data-metric"]] = a
            self.sub = a["data-metric"]
        if tag == "td" and ("data-metric" in a or "data-metric" in row):
            a = dict(a, metric=a.get("data-metric") or row.get("data-metric"),
                     run=a.get("data-run-id") or row.get("data-run-id"))
            self.cells.append(a)
        if tag == "a" and "card" in (a.get("class") or "").split():
            self.card = a
        if self.card is not None and tag == "span" and "card-value" in (a.get("class") or ""):
            self.cards.append((self.card, a))
        if tag not in ("br", "img", "meta", "link", "input"):
            self.stack.append((tag, a))
    def handle_data(self, d):
        if self.sub:
            self.text[self.sub] = self.text.get(self.sub, "") + d
    def handle_endtag(self, tag):
        if tag == "a":
            self.card = None
        if tag == "th":
            self.sub = None
        while self.stack and self.stack.pop()[0] != tag:
            pass

def parse(path):
    p = Page()
    p.feed(open(path, encoding="utf-8").read())
    return p

seen = {}
for at in ("best", "last"):
    site = os.path.join(tmp, "site-" + at)
    v, step = at_value(R, "val/f1", at)
    got = {}
    # The index's runs table: the heading says the point, the cell holds it.
    idx = parse(os.path.join(site, "index.html"))
    head = idx.heads.get("val/f1", {})
    check(head.get("data-mode") == at, "%s: index heading data-mode %r" % (at, head.get("data-mode")))
    check(idx.text.get("val/f1", "").replace("val/f1", "").strip().startswith(at),
          "%s: index heading says %s (%r)" % (at, at, idx.text.get("val/f1")))
    rid = runs[R]["id"]
    cell = [c for c in idx.cells if c["run"] == rid and c["metric"] == "val/f1"]
    check(len(cell) == 1, "%s: one index cell for %s val/f1" % (at, R))
    if cell:
        got["index"] = num(cell[0]["data-value"])
        check(cell[0].get("title", "").endswith("(%s, step %d)" % (at, step)),
              "%s: index cell title %r says the point and step" % (at, cell[0].get("title")))
    # The headline card of the run's experiment: its best run at the point.
    exp = runs[R]["experiment"]
    def value_or_none(r):
        m = r["metrics"].get("val/f1")
        return None if not m or m["count"] < 2 else at_value(r["name"], "val/f1", at)[0]
    cands = {n: value_or_none(r) for n, r in runs.items() if r["experiment"] == exp}
    top = max((n for n in cands if cands[n] is not None), key=lambda n: cands[n])
    card = [(c, val) for c, val in idx.cards if c.get("data-run-id") == runs[top]["id"]]
    check(len(card) == 1 and card[0][0].get("data-at") == at and card[0][0].get("data-metric") == "val/f1"
          and num(card[0][1]["data-value"]) == cands[top],
          "%s: the card of %s is %s's val/f1 %s (got %r)" % (at, exp, top, at, card))
    # The compare page.
    cmp = [p for p in glob.glob(os.path.join(site, "compare", "*.html"))]
    check(len(cmp) == 1, "%s: one compare page" % at)
    if cmp:
        cp = parse(cmp[0])
        cell = [c for c in cp.cells if c["run"] == rid and c["metric"] == "val/f1" and "data-value" in c]
        check(len(cell) == 1 and cell[0].get("data-at") == at and int(cell[0].get("data-step", -1)) == step,
              "%s: compare cell says %s, step %d (got %r)" % (at, at, step, cell))
        if cell:
            got["compare"] = num(cell[0]["data-value"])
    # check: summary.md headings and cells, the JUnit story.
    md = open(os.path.join(tmp, "gate-" + at, "summary.md"), encoding="utf-8").read()
    check("| Baseline (%s) | Candidate (%s) |" % (at, at) in md, "%s: summary.md headings name the point" % at)
    row = [l for l in md.splitlines() if l.startswith("| val/f1:max:1 ")]
    check(len(row) == 1 and ("(%s, step %d)" % (at, step)) in row[0],
          "%s: summary.md cell says %s, step %d: %r" % (at, at, step, row))
    junit = open(os.path.join(tmp, "gate-" + at, "junit.xml"), encoding="utf-8").read()
    m = re.search(r"val/f1: baseline \S+ \((\w+), step (\d+)\), candidate (\S+) \((\w+), step (\d+)\)", junit)
    check(m and m.group(4) == at and int(m.group(5)) == step, "%s: JUnit story names the point" % at)
    if m:
        got["check"] = num(m.group(3))
        bv, bstep = at_value(O, "val/f1", at)
        check(num(m.group(0).split()[2]) == bv and int(m.group(2)) == bstep, "%s: the baseline's value" % at)
    # export: the metrics table.
    ex = parse(os.path.join(tmp, "export-%s.html" % at))
    cells = [c for c in ex.cells if c["metric"] == "val/f1" and "data-value" in c]
    check(len(cells) == 2 and cells[0].get("data-at") == at and int(cells[0].get("data-step", -1)) == step,
          "%s: export cell says %s, step %d (got %r)" % (at, at, step, cells))
    check("Metric (%s)" % at in open(os.path.join(tmp, "export-%s.html" % at), encoding="utf-8").read(),
          "%s: the export's metrics heading names the point" % at)
    if cells:
        got["export"] = num(cells[0]["data-value"])
    check(sorted(got) == ["check", "compare", "export", "index"], "%s: all four read (%r)" % (at, got))
    check(all(x == v for x in got.values()), "%s: the same %s val/f1 everywhere, %r, want %r" % (at, R, got, v))
    seen[at] = v
check(seen.get("best") != seen.get("last"), "--at changes the number (%r)" % seen)
sys.exit(tally.summary("at-check"))
PYEOF

# The headline cards: one per experiment, its primary metric, no fluke.
cards_ok() { # cards_ok SITE LS.JSON: every card is its experiment's primary, no single-point fluke
	"$PY" - "$1" "$2" <<'PYEOF'
import html.parser, json, os, re, sys
site, ls = sys.argv[1:3]
runs = {r["id"]: r for r in json.load(open(ls))["runs"]}
cards = re.findall(r'<a class="card"[^>]*data-run-id="([^"]*)" data-metric="([^"]*)" data-at="([^"]*)"', open(os.path.join(site, "index.html"), encoding="utf-8").read())
cards = [(html.unescape(a), html.unescape(b), c) for a, b, c in cards]
exps = {runs[r]["experiment"] for r, _, _ in cards}
bad = [] if cards else ["no headline card with its run, metric and point"]
if len(exps) != len(cards):
    bad.append("more than one card for an experiment")
for rid, key, at in cards:
    r = runs[rid]
    mates = [x for x in runs.values() if x["experiment"] == r["experiment"] and key in x["metrics"]]
    if r["metrics"][key]["count"] < 2 and any(x["metrics"][key]["count"] >= 2 for x in mates):
        bad.append("%s: %s's %s logged once headlines over curves" % (r["experiment"], r["name"], key))
    # The card's metric is the one the experiment page names its best run by.
    slug = [f for f in os.listdir(os.path.join(site, "experiments")) if f.endswith(".html")]
    for f in slug:
        s = open(os.path.join(site, "experiments", f), encoding="utf-8").read()
        m = re.search(r'<h1>([^<]*)</h1>', s)
        if m and html.unescape(m.group(1)) == r["experiment"]:
            b = re.search(r'Best run by <span>([^<]*)</span>', s)
            if b and html.unescape(b.group(1)) != key:
                bad.append("%s: card %s, page %s" % (r["experiment"], key, b.group(1)))
print("\n".join(bad))
sys.exit(1 if bad else 0)
PYEOF
}
for at in best last; do
	check_exit 0 "sample-runs builds as in the issue (no --primary), --at $at" "$RUNSITE" build -q "$S" \
		-o "$TMP/plain-$at" --at "$at" --chart-formats svg
	if grep -qE '<span class="card-metric">val/precision</span>' "$TMP/plain-$at/index.html"; then
		fail "--at $at: the val/precision spike (1 at step 130) is a headline card"
	else
		ok
	fi
	check "--at $at: a card per experiment, its primary metric, no fluke" cards_ok "$TMP/plain-$at" "$TMP/ls.json"
done
# The build cache keys what --at changes (overlays ranked, sweep colours):
# switching it in place gives the site a fresh build gives.
check_exit 0 "switch --at in place: last" "$RUNSITE" build -q "$S" -o "$TMP/k" --at last
check_exit 0 "switch --at in place: best" "$RUNSITE" build -q "$S" -o "$TMP/k" --at best
check_exit 0 "a fresh --at best" "$RUNSITE" build -q "$S" -o "$TMP/k2" --at best --no-cache
check "the switched site is the fresh one, byte for byte" diff -r "$TMP/k" "$TMP/k2"
C=../shared/corpus
if [ -d "$C" ]; then
	"$RUNSITE" ls --json -q "$C" > "$TMP/corpus.json"
	check_exit 0 "the corpus builds" "$RUNSITE" build -q "$C" -o "$TMP/corpus" --chart-formats svg
	check "corpus: a card per experiment, no run that logged its metric once over curves" \
		cards_ok "$TMP/corpus" "$TMP/corpus.json"
else
	skip "../shared/corpus not there: the corpus' cards are not checked"
fi
finish
