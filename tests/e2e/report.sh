#!/bin/sh
# report.sh — report pages: the sample report (every block kind) picked up
# from sample-runs/reports/ by default, linked first on the index, its
# figures, tables and references pointing at files and runs that exist and
# at values the store holds; every kind of bad block or reference as an
# error box plus a file:line warning, --strict exiting 1; sanitising and
# redaction; byte-identical rebuilds; export --report as one file; the
# selection language in build --select, check and export.
. tests/e2e/lib.sh
S=sample-runs
DB=$S/mlflow.db

# ---- the sample report, picked up from sample-runs/reports/ ----
check "build sample-runs" "$RUNSITE" build -q "$S" -o "$TMP/s" --primary val/f1
P="$TMP/s/reports/what-we-found.html"
check "the report page is written" test -f "$P"
check_grep "the index links the report" 'href="reports/what-we-found.html"' "$TMP/s/index.html"
# "Reports" comes first: before the best runs, the experiments and the runs table.
check "Reports is the first section of the index" "$PY" - "$TMP/s/index.html" <<'EOF'
import re, sys
s = open(sys.argv[1]).read()
ids = re.findall(r'<section id="([^"]+)"', s)
assert ids and ids[0] == "reports" and "runs" in ids, ids
EOF
check_grep "title" '<h1>Will the puppy bite the couch? What we found</h1>' "$P"
check_grep "author" 'Mira and Tomas' "$P"
check_grep "date" '<time datetime="2026-10-08">2026-10-08</time>' "$P"
check_grep "a table of contents from the headings" '<a href="#what-won">What won</a>' "$P"
check_grep "the heading has its id" '<h2 id="what-won">' "$P"
for kind in fig-1 fig-2 fig-3 table-1 table-2 table-3; do
	check_grep "figure $kind is numbered" "id=\"$kind\"" "$P"
done
check_grep "a sweep figure (parallel coordinates)" 'sweep-parallel.svg' "$P"
check_grep "a compare table" 'class="data compare"' "$P"
check_grep "a seed-grouped table" 'best ↑ · mean ± std' "$P"
if grep -q 'report-error' "$P"; then fail "the sample report has an error box"; else ok; fi
# Every link and picture of the page points at a file of the site.
check "every link and image of the report resolves" "$PY" - "$P" <<'EOF'
import os, re, sys
page = sys.argv[1]
s = open(page).read()
base = os.path.dirname(page)
refs = re.findall(r'(?:href|src)="([^"#][^"]*)"', s)
assert len(refs) > 40, len(refs)
bad = [r for r in refs if not r.startswith(("http:", "https:", "mailto:"))
       and not os.path.exists(os.path.normpath(os.path.join(base, r)))]
assert not bad, bad
runs = set(re.findall(r'href="\.\./runs/([^"]+)\.html"', s))
assert len(runs) >= 15, runs
EOF
# The references are the store's values: the best val/f1 of mlp16-posw4-s3,
# its lr, and the mean of the logreg-posw4 seeds, computed here from the DB.
check "references hold the store's values" "$PY" - "$P" "$DB" <<'EOF'
import re, sqlite3, statistics, sys
s = open(sys.argv[1]).read()
db = sqlite3.connect(sys.argv[2])
def run_id(name):
    return db.execute("select run_uuid from runs where name=?", (name,)).fetchone()[0]
def best_f1(name):
    return db.execute("select max(value) from metrics where run_uuid=? and key='val/f1'",
                      (run_id(name),)).fetchone()[0]
# {{ logreg-posw4-s1 : val/f1 best }}: the title holds the exact value.
m = re.search(r'title="logreg-posw4-s1: val/f1 best = ([^ ]+) at step', s)
assert m, "no reference to logreg-posw4-s1"
assert abs(float(m.group(1)) - best_f1("logreg-posw4-s1")) < 1e-12, m.group(1)
lr = db.execute("select value from params where run_uuid=? and key='lr'",
                (run_id("logreg-lr0.005-s1"),)).fetchone()[0]
assert re.search(r'title="logreg-lr0\.005-s1: param lr"[^>]*>' + re.escape(lr) + '<', s), lr
def last_f1(name):
    return db.execute("select value from metrics where run_uuid=? and key='val/f1' "
                      "order by step desc, timestamp desc, value desc limit 1",
                      (run_id(name),)).fetchone()[0]
# A group reference names no point: it takes the build's --at (last by
# default) and its title says which.
m = re.search(r'title="val/f1 mean±std over 3 runs of logreg-posw4 \((last|best) each\)">([0-9.]+) ± ([0-9.e-]+)<', s)
assert m, "no group reference"
at = m.group(1)
assert at == "last", at
mean, std = float(m.group(2)), float(m.group(3))
vals = [(best_f1 if at == "best" else last_f1)(f"logreg-posw4-s{i}") for i in (1, 2, 3)]
assert abs(mean - statistics.mean(vals)) < 5e-4 * statistics.mean(vals), mean
assert abs(std - statistics.stdev(vals)) < 5e-3 * statistics.stdev(vals) + 1e-9, std
EOF

# ---- byte-identical rebuilds ----
check "rebuild without the cache" "$RUNSITE" build -q "$S" -o "$TMP/s2" --primary val/f1 --no-cache -j 1
check "rebuild into the same site" "$RUNSITE" build -q "$S" -o "$TMP/s" --primary val/f1 -j 2
check "the reports are byte-identical" diff -r "$TMP/s/reports" "$TMP/s2/reports"
check "the index is byte-identical" cmp "$TMP/s/index.html" "$TMP/s2/index.html"

# ---- every error case ----
mkdir -p "$TMP/bad"
cat > "$TMP/bad/bad.md" <<'EOF'
---
title: Broken
---
# Blocks that cannot be drawn

```runsite
chart: val/f1
runs: no-such-run
```

```runsite
chart: val/nothing
```

```runsite
table: val/f1 best, dropout
```

```runsite
chart: val/f1
runs: status=SCHEDULED
```

```runsite
chart: val/f1
colour: red
```

```runsite
runs: mlp16-*
```

```runsite
compare: mlp16-* vs logreg-baseline-s1
```

```runsite
sweep: dropout → val/f1
```

```runsite
chart: val/f1
runs: lr<fast
```

```runsite
sweep: lr, l2
```

```runsite
table: val/f1
sort: nothing
```

Refs: {{ no-such-run : val/f1 }}, {{ mlp16-posw4-s3 : val/nothing }},
{{ mlp16-posw4-s3 : param nothing }}, {{ just words }}, {{ group nobody : val/f1 mean±std }}.

```runsite
chart: val/f1
EOF
check_exit 0 "problems in a report do not fail the build by default" \
	"$RUNSITE" build "$S" -o "$TMP/b" --reports "$TMP/bad"
cp "$TMP/.err" "$TMP/bad.err"
B="$TMP/b/reports/bad.html"
check "the page is still written" test -f "$B"
for want in \
	"bad.md:6: chart block: no run is named 'no-such-run'" \
	"bad.md:11: chart block: no run the block selects has a metric 'val/nothing'" \
	"bad.md:15: table block: no run the block selects has a metric or param 'dropout'" \
	"bad.md:19: chart block: 'status=SCHEDULED' selects no run" \
	"bad.md:24: chart block: 'colour' is not a block key" \
	"bad.md:29: runsite block: the block says neither chart" \
	"bad.md:33: compare block: 'mlp16-\*' names [0-9]* runs" \
	"bad.md:37: sweep block: no run the block selects has a param 'dropout'" \
	"bad.md:41: chart block: 'lr<fast': < compares numbers" \
	"bad.md:46: sweep block: sweep: takes PARAM, PARAM → METRIC" \
	"bad.md:50: table block: sort: 'nothing' is not a column" \
	"bad.md:55: {{ no-such-run : val/f1 }}: no run is named 'no-such-run'" \
	"bad.md:55: {{ mlp16-posw4-s3 : val/nothing }}: run mlp16-posw4-s3 has no metric 'val/nothing'" \
	"bad.md:56: {{ mlp16-posw4-s3 : param nothing }}: run mlp16-posw4-s3 has no param 'nothing'" \
	"bad.md:56: {{ just words }}: '{{ just words }}' is not a reference" \
	"bad.md:56: {{ group nobody : val/f1 mean±std }}: no seed group is called 'nobody'" \
	"bad.md:58: chart block: the block is never closed"; do
	check_grep "warning: $want" "$want" "$TMP/bad.err"
done
n=$(grep -o 'class="report-error' "$B" | wc -l)
if [ "$n" -eq 17 ]; then ok; else fail "17 error boxes on the page, got $n"; fi
check_grep "an error box says where" '<strong>[^<]*bad.md:6: </strong>' "$B"
check_exit 1 "--strict fails on a report problem" \
	"$RUNSITE" build -q "$S" -o "$TMP/b" --reports "$TMP/bad" --strict
check_exit 0 "--strict passes a clean report" \
	"$RUNSITE" build -q "$S" -o "$TMP/b" --strict
check_exit 2 "--reports names no folder" "$RUNSITE" build -q "$S" -o "$TMP/b" --reports "$TMP/none"

# A front matter that is not YAML.
mkdir -p "$TMP/fm"
printf -- '---\ntitle: [unclosed\n---\nText.\n' > "$TMP/fm/fm.md"
check_exit 1 "bad front matter fails --strict" \
	"$RUNSITE" build -q "$S" -o "$TMP/f" --reports "$TMP/fm" --strict
check_grep "it is an error box" 'the front matter is not YAML' "$TMP/f/reports/fm.html"

# ---- a block's own drawing options ----
mkdir -p "$TMP/opt"
printf '```runsite\nchart: val/loss\nruns: mlp16-posw4-s3\n```\n```runsite\nchart: val/loss\nruns: mlp16-posw4-s3\nsmoothing: 0    x: relative\n```\n' > "$TMP/opt/opt.md"
check "build a report with drawing options" "$RUNSITE" build -q "$S" -o "$TMP/o" --reports "$TMP/opt"
if cmp -s "$TMP/o/reports/opt/val-loss.svg" "$TMP/o/reports/opt/val-loss-2.svg"; then
	fail "smoothing: and x: change the chart"
else ok; fi

# A block's x: every line and the band of the others at the runs' wall-clock
# time, not at the site's steps (the copies they are drawn from wait as
# points, not as the site's chart points).
mkdir -p "$TMP/xt"
printf '```runsite\nchart: val/loss\nruns: status=FINISHED\nx: time\n```\n' > "$TMP/xt/xt.md"
check "build a report block drawn at wall-clock time" \
	"$RUNSITE" build -q "$S" -o "$TMP/xto" --reports "$TMP/xt"
check "its lines and band are at wall-clock seconds" "$PY" - "$TMP/xto/reports/xt/val-loss.points.js" <<'EOF'
import json, sys
s = open(sys.argv[1]).read()
d = json.loads(s[s.index(",") + 1:s.rindex(")")])
assert d["x"] == "time", d["x"]
xs = [x for se in d["s"] for x in se["p"][0::2]]
assert len(d["s"]) > 10 and xs, len(d["s"])
assert min(xs) > 1.7e9, min(xs)  # 2023 or later: seconds since 1970, not steps
EOF

# ---- untrusted Markdown: sanitised and redacted ----
mkdir -p "$TMP/evil"
cat > "$TMP/evil/evil.md" <<'EOF'
# Evil

<script>alert(1)</script> [click](javascript:alert(2)) <img src=x onerror=alert(3)>

Key: AKIAQWERTYUIOPASDFGH

```runsite
chart: val/f1
runs: mlp16-posw4-s3
caption: <script>alert(4)</script>
```

`{{ mlp16-posw4-s3 : val/f1 }}` stays as written in code.
EOF
check "build the hostile report" "$RUNSITE" build -q "$S" -o "$TMP/e" --reports "$TMP/evil"
E="$TMP/e/reports/evil.html"
if grep -qi '<script>alert\|javascript:\|onerror' "$E"; then fail "script in the report page"; else ok; fi
if grep -q 'AKIAQWERTYUIOPASDFGH' "$E"; then fail "a secret reached the report"; else ok; fi
check_grep "the secret is redacted" '\[redacted\]' "$E"
check_grep "a caption is text" '&lt;script&gt;alert(4)' "$E"
check_grep "references in code stay as written" '<code>{{ mlp16-posw4-s3 : val/f1 }}</code>' "$E"

# ---- export --report: one self-contained file ----
check "export --report" "$RUNSITE" export "$S" --report "$S/reports/what-we-found.md" -o "$TMP/r.html"
check "the file references nothing outside itself" "$PY" - "$TMP/r.html" <<'EOF'
import re, sys
s = open(sys.argv[1]).read()
refs = re.findall(r'(?:href|src)="([^"]*)"', s)
assert refs, "no links at all"
bad = [r for r in refs if not r.startswith(("#", "data:", "https:", "http:", "mailto:"))]
assert not bad, bad[:5]
assert s.count('src="data:image/svg+xml;base64,') >= 7
assert "<link" not in s and "<script" not in s
assert '<style>' in s
EOF
check_grep "with the same numbered figures" 'id="table-3"' "$TMP/r.html"
check_exit 1 "export --report --strict fails on a bad report" \
	"$RUNSITE" export "$S" --report "$TMP/bad/bad.md" -o "$TMP/bad.html" --strict
check_exit 2 "export takes --run or --report, not both" \
	"$RUNSITE" export "$S" --report "$TMP/bad/bad.md" --run mlp16-s1 -o "$TMP/x.html"

# ---- one selection language: build --select, check, export ----
check "build --select with top N" "$RUNSITE" build -q "$S" -o "$TMP/sel" --primary val/f1 \
	--select 'experiment=puppy-couch-bites status=FINISHED top 3 by val/f1'
n=$(ls "$TMP/sel/runs" | grep -c '\.html$')
if [ "$n" -eq 3 ]; then ok; else fail "--select top 3 keeps 3 run pages, got $n"; fi
check_grep "the best run is among them" 'mlp16-posw4-s3' "$TMP/sel/index.html"
check "build --select with params" "$RUNSITE" build -q "$S" -o "$TMP/sel2" --select 'lr<0.01'
n=$(ls "$TMP/sel2/runs" | grep -c '\.html$')
if [ "$n" -eq 2 ]; then ok; else fail "--select lr<0.01 keeps the two lr0.005 runs, got $n"; fi
check_exit 2 "a bad --select is a usage error" "$RUNSITE" build -q "$S" -o "$TMP/sel3" --select 'lr<fast'
check_exit 0 "check takes a selection of one run" "$RUNSITE" check -q "$S" \
	--baseline logreg-baseline-s1 --candidate 'experiment=puppy-couch-bites top 1 by val/f1' \
	--rule 'val/f1:max:0.01' -o "$TMP/chk"
check_grep "the candidate is the best run" 'mlp16-posw4-s3' "$TMP/chk/summary.md"
check_exit 2 "check refuses a selection of several runs" "$RUNSITE" check -q "$S" \
	--baseline logreg-baseline-s1 --candidate 'mlp16-posw4-*' --rule 'val/f1:max:0.01' -o "$TMP/chk2"
check "export --run takes a selection" "$RUNSITE" export -q "$S" \
	--run 'mlp16-posw4-* experiment=puppy-couch-bites status=FINISHED' -o "$TMP/three.html"
want=$(sqlite3 "$DB" "select count(*) from runs r join experiments e on r.experiment_id = e.experiment_id
	where r.name like 'mlp16-posw4-%' and e.name = 'puppy-couch-bites' and r.status = 'FINISHED'
	and r.lifecycle_stage = 'active'")
n=$(grep -o '<div class="run-card"' "$TMP/three.html" | wc -l)
if [ "$n" -eq "$want" ] && [ "$n" -gt 1 ]; then ok; else fail "export of the selection has $want run cards, got $n"; fi

finish
