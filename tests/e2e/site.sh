#!/bin/sh
# site.sh — the sample-runs site end to end: every page parses and every link
# resolves, every param and metric summary `ls --json` gives is on its run
# page, ls --json agrees with an independent reader, and two builds (with
# different --jobs) are byte-identical.
. tests/e2e/lib.sh
check_exit 0 "sample-runs builds" "$RUNSITE" build sample-runs -o "$TMP/a" -j 1
check "the build printed no warning" test ! -s "$TMP/.err" -o "$(grep -vc 'also in an earlier store' "$TMP/.err")" = 0
check "every page parses and every link resolves" "$BUILD/tools/sitecheck" "$TMP/a"
"$RUNSITE" ls --json sample-runs > "$TMP/ls.json"
check "every param and metric summary of ls --json is on its run page" \
	"$PY" tests/tools/pagecheck.py "$TMP/ls.json" "$TMP/a"
check "index.html exists" test -f "$TMP/a/index.html"
check "one experiment page" test "$(ls "$TMP/a/experiments" | grep -c '\.html$')" -ge 1
check "one page per run" test "$(ls "$TMP/a/runs" | grep -c '\.html$')" -eq \
	"$("$PY" -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["runs"]))' "$TMP/ls.json")"
check "charts as SVG, and no PNG unless asked" sh -c "ls '$TMP'/a/runs/*/*.svg >/dev/null && ! ls '$TMP'/a/runs/*/*.png >/dev/null 2>&1"
check "chart text is SVG text the page can style" sh -c "grep -q '<text class=\"t\"' \$(ls '$TMP'/a/runs/*/*.svg | grep -v trend.svg | head -1)"
check_exit 0 "a build with --png" "$RUNSITE" build -q sample-runs -o "$TMP/png" --png
check "--png writes a PNG beside every SVG chart" sh -c "
	n=\$(ls '$TMP'/png/runs/*/*.svg | grep -vc trend.svg); m=\$(ls '$TMP'/png/runs/*/*.png | wc -l)
	[ \$n -ge 1 ] && [ \$n -eq \$m ]"

check_exit 0 "a build naming a primary metric" "$RUNSITE" build -q sample-runs -o "$TMP/p" --primary val/f1
check "each run with val/f1 has a sparkline the index shows (inline)" sh -c "
	n=\$(grep -o '<svg width=\"96\" height=\"24\" viewBox=\"0 0 96 24\" role=\"img\" aria-label=\"val/f1 over steps\"><path d=\"M' '$TMP/p/index.html' | wc -l)
	want=\$(grep -l . '$TMP'/p/runs/*/val-f1.svg | wc -l)
	[ \$n -ge 1 ] && [ \$n -eq \$want ]"
check_exit 0 "a second build with --jobs 2" "$RUNSITE" build -q sample-runs -o "$TMP/b" -j 2
check "two builds are byte-identical" diff -r "$TMP/a" "$TMP/b"

# Runs without start times are listed by name as people count: version_2
# before version_10 (the table script sorts the same way).
for v in 10 2 1; do
	mkdir -p "$TMP/nat/lightning_logs/version_$v"
	printf 'step,train_loss\n0,1.0\n1,0.5\n' > "$TMP/nat/lightning_logs/version_$v/metrics.csv"
done
touch -d '2026-01-01 00:00' "$TMP"/nat/lightning_logs/*/*
check_exit 0 "a store of version_1, _2 and _10" "$RUNSITE" build -q "$TMP/nat" -o "$TMP/nat-site"
check "the index lists version_1, version_2, version_10 in that order" sh -c "
	[ \"\$(grep -o 'version_[0-9]*</a></td>' '$TMP/nat-site/index.html' | tr '\n' ' ')\" = 'version_1</a></td> version_2</a></td> version_10</a></td> ' ]"

for store in sample-runs/mlflow.db sample-runs/mlruns; do
	"$RUNSITE" ls --json -q "$store" > "$TMP/one.json"
	check "ls --json agrees with an independent reader: $store" \
		"$PY" tests/tools/mlflow_ref.py "$store" "$TMP/one.json"
done
"$RUNSITE" ls --json -q sample-runs/mlflow.db > "$TMP/db.json"
"$RUNSITE" ls --json -q sample-runs/mlruns > "$TMP/files.json"
check "both stores give the same runs" "$PY" - "$TMP/db.json" "$TMP/files.json" <<'PYEOF'
import json, sys
a, b = (json.load(open(p))["runs"] for p in sys.argv[1:3])
key = lambda r: r["id"]
strip = lambda r: {k: v for k, v in r.items() if k not in ("format", "store", "artifacts", "datasets")}
a = [strip(r) for r in sorted(a, key=key)]
b = [strip(r) for r in sorted(b, key=key)]
for x, y in zip(a, b):
    if x != y:
        print("differs:", x["id"], [k for k in x if x[k] != y.get(k)])
        sys.exit(1)
sys.exit(0 if len(a) == len(b) else 1)
PYEOF
finish
