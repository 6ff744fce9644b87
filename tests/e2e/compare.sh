#!/bin/sh
# compare.sh — comparing runs on the sample-runs story: the class-rebalanced
# variant (pos_weight 4) is the best run by the goal metric; each seed group
# has the right n, mean and std (recomputed here from `runsite ls --json`);
# a compare page lists exactly the params that differ; every number a page
# shows for a run equals ls --json; the options are checked.
. tests/e2e/lib.sh
"$RUNSITE" ls --json -q sample-runs > "$TMP/ls.json"
check_exit 0 "sample-runs builds with comparisons" "$RUNSITE" build -q sample-runs -o "$TMP/a" -j 1 \
	--goal 'val/f1:max' --baseline logreg-baseline-s1 --compare mlp16-posw4-s3,logreg-posw4-s1,tag:stage=rebalance
check "every page parses and every link resolves" "$BUILD/tools/sitecheck" "$TMP/a"
check "a --compare page, the tag adding runs" sh -c "ls '$TMP'/a/compare/mlp16-posw4-s3-vs-logreg-posw4-s1-vs-*.html"
check "a compare page per other run of the baseline's experiment" test \
	"$(ls "$TMP/a/compare" | grep -c '^logreg-baseline-s1-vs-.*\.html$')" -eq 22
check "sweep charts on the experiment page" test -f "$TMP/a/experiments/puppy-couch-bites/sweep-parallel.svg"

check "best run, seed groups, compare params and numbers agree with ls --json" \
	"$PY" - "$TMP/ls.json" "$TMP/a" <<'PYEOF'
import glob, html.parser, json, math, os, statistics, sys

runs = {r["id"]: r for r in json.load(open(sys.argv[1]))["runs"]}
site = sys.argv[2]
sys.path.insert(0, "tests/tools")
from tally import Tally
tally = Tally()
check = tally.check

def mode_value(m, mode, goal):
    if mode == "best":
        mode = {"max": "max", "min": "min"}.get(goal)
        if mode is None:
            return None
    v = m.get(mode)
    return None if not v else float(v[1])

SEEDS = ("seed", "random_state", "rng_seed")

class Page(html.parser.HTMLParser):
    """Collects metric cells with their run, seed rows, compare params and best lines."""
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack = []      # (tag, attrs)
        self.heads = {}      # table column index -> th attrs (last table seen)
        self.cells = []      # (run id, metric, attrs)
        self.seed_rows = []  # {"runs": [...], "n": int, "cells": {metric: attrs}, "modes": {...}}
        self.params = []     # data-param of dp-rows
        self.cmp_runs = []   # run ids of the compare page's run rows, in order
        self.best = []       # (run id, value attrs)
        self.cards = []      # headline cards: (card attrs, value attrs)
        self.col = 0
        self.in_best = None
        self.in_card = None
    def row_run(self):
        for tag, a in reversed(self.stack):
            if tag == "tr":
                return a.get("data-run-id")
        return None
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "thead":
            self.heads_cur = {}
        if tag == "th" and "data-metric" in a:
            self.seed_heads = getattr(self, "seed_heads", {})
            self.heads[a["data-metric"]] = a
        if tag == "tr":
            self.col = 0
            if "data-param" in a and any(t == "table" and "params-diff" in (x.get("class") or "") for t, x in self.stack):
                self.params.append(a["data-param"])
            if any(t == "tbody" for t, _ in self.stack) and any(t == "table" and x.get("id") == "seeds-table" for t, x in self.stack):
                self.seed_rows.append({"runs": [], "cells": {}, "n": None})
            if "data-run-id" in a and not any(t == "table" and "compare-metrics" in (x.get("class") or "") for t, x in self.stack) \
               and any(t == "table" and not x.get("class", "").startswith("data sortable") and x.get("class") == "data" for t, x in self.stack):
                self.cmp_runs.append(a["data-run-id"])
        if tag in ("td", "th"):
            self.col += 1
        if tag == "td" and self.seed_rows and any(t == "table" and x.get("id") == "seeds-table" for t, x in self.stack):
            row = self.seed_rows[-1]
            if "data-metric" in a:
                row["cells"][a["data-metric"]] = a
            elif a.get("data-value") and row["n"] is None:
                row["n"] = int(a["data-value"])
        if tag == "a" and "data-run-id" in a and self.seed_rows and any(t == "table" and x.get("id") == "seeds-table" for t, x in self.stack):
            self.seed_rows[-1]["runs"].append(a["data-run-id"])
        if tag == "p" and "best-line" in (a.get("class") or ""):
            self.in_best = a.get("data-run-id")
        if self.in_best and "data-value" in a and tag == "span" and "num" in (a.get("class") or ""):
            self.best.append((self.in_best, a))
        if tag == "a" and "card" in (a.get("class") or "").split():
            self.in_card = a
        if self.in_card is not None and tag == "span" and "card-value" in (a.get("class") or ""):
            self.cards.append((self.in_card, a))
        if tag == "td" and "data-metric" in a:
            rid = a.get("data-run-id") or self.row_run()
            if rid:
                self.cells.append((rid, a["data-metric"], a))
        if tag not in ("br", "img", "meta", "link", "input"):
            self.stack.append((tag, a))
    def handle_endtag(self, tag):
        if tag == "p":
            self.in_best = None
        if tag == "a":
            self.in_card = None
        while self.stack:
            t, _ = self.stack.pop()
            if t == tag:
                break

def parse(path):
    p = Page()
    p.feed(open(path, encoding="utf-8").read())
    return p

def goal_of(key):
    k = key.lower()
    if k == "val/f1" or any(w in k for w in ("f1", "acc", "auc", "precision", "recall")):
        return "max"
    if "loss" in k:
        return "min"
    return "none"

# 1. The best run of puppy-couch-bites by val/f1 at the default point (each
#    run's last value) is a pos_weight 4 run, named on the experiment page and
#    on its headline card on the index; with two experiments the index names
#    no one run across both.
f1 = {rid: float(r["metrics"]["val/f1"]["last"][1]) for rid, r in runs.items()
      if "val/f1" in r["metrics"] and r["experiment"] == "puppy-couch-bites"}
best = max(f1, key=lambda k: f1[k])
check(runs[best]["params"].get("pos_weight") == "4.0", "best run %s is class-rebalanced" % runs[best]["name"])
p = parse(os.path.join(site, "experiments/puppy-couch-bites.html"))
check(len(p.best) == 1 and p.best[0][0] == best, "the experiment page names the best run %s (got %r)" % (runs[best]["name"], [b[0] for b in p.best]))
if p.best:
    check(float(p.best[0][1]["data-value"]) == f1[best], "the experiment page shows its last val/f1")
p = parse(os.path.join(site, "index.html"))
check(p.best == [], "the index names no best run across two experiments")
card = [(c, v) for c, v in p.cards if c.get("data-run-id") in f1]
check(len(card) == 1 and card[0][0]["data-run-id"] == best and card[0][0].get("data-metric") == "val/f1"
      and card[0][0].get("data-at") == "last" and float(card[0][1]["data-value"]) == f1[best],
      "the experiment's card: %s, val/f1 last (got %r)" % (runs[best]["name"], card))
check(len(p.cards) == 2 and all(c.get("data-metric") == "val/f1" for c, _ in p.cards),
      "one card per experiment, each its primary metric (got %r)" % [c.get("data-metric") for c, _ in p.cards])

# 2. Seed groups: recomputed from ls --json.
exp = parse(os.path.join(site, "experiments/puppy-couch-bites.html"))
def sig(r):
    return tuple(sorted((k, v) for k, v in r["params"].items() if k not in SEEDS))
want = {}
for rid, r in runs.items():
    if r["experiment"] == "puppy-couch-bites" and any(k in r["params"] for k in SEEDS):
        want.setdefault(sig(r), []).append(rid)
want = {k: sorted(v) for k, v in want.items() if len(v) >= 2}
got = {tuple(sorted(row["runs"])): row for row in exp.seed_rows}
check(sorted(got) == sorted(tuple(v) for v in want.values()),
      "seed groups are the runs that differ only in seed (%d found, %d expected)" % (len(got), len(want)))
check(any(len(v) == 3 for v in want.values()) and any(len(v) == 2 for v in want.values()), "groups of 3 and of 2 seeds exist")
for members, row in got.items():
    check(row["n"] == len(members), "group %s: n = %s" % (members, row["n"]))
    for key, a in row["cells"].items():
        head = exp.heads.get(key, {})
        vals = [mode_value(runs[m]["metrics"][key], head.get("data-mode"), head.get("data-goal"))
                for m in members if key in runs[m]["metrics"]]
        vals = [v for v in vals if v is not None and math.isfinite(v)]
        if not vals:
            check(a.get("data-value") == "", "group %s %s: no value" % (members, key))
            continue
        mean = statistics.fmean(vals)
        std = statistics.stdev(vals) if len(vals) > 1 else 0.0
        check(math.isclose(float(a["data-value"]), mean, rel_tol=1e-12, abs_tol=1e-15),
              "group %s %s mean %s, want %r" % (members, key, a["data-value"], mean))
        check(math.isclose(float(a["data-std"]), std, rel_tol=1e-9, abs_tol=1e-15),
              "group %s %s std %s, want %r" % (members, key, a["data-std"], std))
        check(int(a["data-n"]) == len(vals), "group %s %s n" % (members, key))

# 3. Compare pages list exactly the params that differ.
ncmp = 0
for path in sorted(glob.glob(os.path.join(site, "compare", "*.html"))):
    p = parse(path)
    ids = p.cmp_runs
    check(len(ids) >= 2, "%s lists its runs" % path)
    keys = set()
    for r in (runs[i] for i in ids):
        keys |= set(r["params"])
    differ = sorted(k for k in keys if len({runs[i]["params"].get(k) for i in ids}) > 1)
    check(sorted(p.params) == differ, "%s: params that differ %r, want %r" % (os.path.basename(path), p.params, differ))
    ncmp += 1
check(ncmp >= 23, "compare pages checked (%d)" % ncmp)

# 4. Every number shown for a run (index, experiment and compare pages) equals ls --json.
ncells = 0
pages = [os.path.join(site, "index.html")] + glob.glob(os.path.join(site, "experiments", "*.html")) + \
        glob.glob(os.path.join(site, "compare", "*.html"))
for path in pages:
    p = parse(path)
    for rid, key, a in p.cells:
        r = runs.get(rid)
        if r is None:
            check(False, "%s: unknown run %s" % (path, rid))
            continue
        m = r["metrics"].get(key)
        allowed = set()
        if m:
            for f in ("last", "min", "max"):
                if m.get(f):
                    v = m[f][1]
                    allowed.add(float(v) if not isinstance(v, str) else float(v.replace("Infinity", "inf")))
        for attr in ("data-value", "data-last", "data-min", "data-max", "data-best"):
            v = a.get(attr)
            if v is None or v == "":
                continue
            f = float(v.replace("Infinity", "inf"))
            ok = f in allowed or (math.isnan(f) and any(math.isnan(x) for x in allowed))
            check(ok, "%s: %s %s %s=%s not in ls --json %r" % (os.path.basename(path), r["name"], key, attr, v, allowed))
            ncells += 1
        for f in ("last", "min", "max"):
            if a.get("data-" + f) not in (None, "") and m and m.get(f):
                v = m[f][1]
                want = float(v) if not isinstance(v, str) else float(v.replace("Infinity", "inf"))
                gotv = float(a["data-" + f].replace("Infinity", "inf"))
                check(gotv == want or (math.isnan(gotv) and math.isnan(want)),
                      "%s: %s %s %s" % (os.path.basename(path), r["name"], key, f))
check(ncells > 1000, "numbers checked (%d)" % ncells)
sys.exit(tally.summary("compare-check"))
PYEOF

check_exit 0 "the same build with --jobs 2" "$RUNSITE" build -q sample-runs -o "$TMP/b" -j 2 \
	--goal 'val/f1:max' --baseline logreg-baseline-s1 --compare mlp16-posw4-s3,logreg-posw4-s1,tag:stage=rebalance
check "two builds are byte-identical" diff -r "$TMP/a" "$TMP/b"

check_exit 0 "--band minmax and --group-by build" "$RUNSITE" build -q sample-runs/mlruns -o "$TMP/c" \
	--band minmax --group-by seed,lr --primary val/loss --chart-formats svg
check "--primary val/loss names a best run" grep -q 'Best run by <span>val/loss</span>' "$TMP/c/index.html"
check_exit 2 "--goal without a direction is a usage error" "$RUNSITE" build sample-runs -o "$TMP/d" --goal val/f1
check_exit 2 "--band takes std or minmax" "$RUNSITE" build sample-runs -o "$TMP/d" --band wide
"$RUNSITE" build -q sample-runs/mlruns -o "$TMP/e" --compare nosuchrun,mlp16-s1 --baseline nosuch --chart-formats svg 2>"$TMP/err"
check "an unknown --compare run is named in a warning" grep -q 'nosuchrun' "$TMP/err"
check "an unknown --baseline is named in a warning" grep -q -- '--baseline nosuch' "$TMP/err"
check "no compare page from one run" test ! -d "$TMP/e/compare"
finish
