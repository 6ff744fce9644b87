#!/bin/sh
# check.sh — `runsite check` on sample-runs: a gate that must fail exits 1 and
# names the rule; one that must pass exits 0; the JUnit file is XML with one
# test case per rule; missing runs and metrics exit 3, usage errors 2; store
# text cannot break the Markdown table; no secret reaches an output file.
. tests/e2e/lib.sh
S=sample-runs
base=logreg-baseline-s1

# Must fail: lr 0.005 underfits (val/f1 0.114 against 0.293).
check_exit 1 "a regression fails the gate" "$RUNSITE" check -q "$S" --baseline "$base" \
	--candidate logreg-lr0.005-s1 --rule 'val/f1:max:0.01' --rule 'val/accuracy>=0.5' \
	-o "$TMP/fail" --junit "$TMP/fail/junit.xml"
check_grep "the summary names the failed rule" '^| val/f1:max:0.01 .*fail' "$TMP/fail/summary.md"
check_grep "the summary says the gate failed" '^## runsite check: .*failed' "$TMP/fail/summary.md"
check_grep "the held rule shows as passed" '^| val/accuracy&gt;=0.5 .*pass' "$TMP/fail/summary.md"
check_grep "the summary says which value was compared" 'last value' "$TMP/fail/summary.md"
# Every chart the summary references is beside it, named by a relative path.
sed -nE 's/^!\[[^]]*\]\(([^)]*)\)$/\1/p' "$TMP/fail/summary.md" > "$TMP/pngs"
if [ "$(wc -l < "$TMP/pngs")" -eq 2 ]; then ok; else fail "want 2 charts in the summary, got $(wc -l < "$TMP/pngs")"; fi
while read -r png; do
	case "$png" in /* | *..* | *://*) fail "chart path is not relative inside the folder: $png" ;; *) ok ;; esac
	if head -c 8 "$TMP/fail/$png" | od -An -c | grep -q 'P   N   G'; then ok; else fail "$png is not a PNG"; fi
done < "$TMP/pngs"

if command -v xmllint >/dev/null 2>&1; then
	check "the JUnit file is well-formed XML" xmllint --noout "$TMP/fail/junit.xml"
	tc=$(xmllint --xpath 'count(//testsuite/testcase)' "$TMP/fail/junit.xml")
	fl=$(xmllint --xpath 'count(//testcase/failure)' "$TMP/fail/junit.xml")
	nm=$(xmllint --xpath 'string(//testcase[failure]/@name)' "$TMP/fail/junit.xml")
	if [ "$tc" = 2 ]; then ok; else fail "want 2 test cases (one per rule), got $tc"; fi
	if [ "$fl" = 1 ]; then ok; else fail "want 1 failed test case, got $fl"; fi
	if [ "$nm" = "val/f1:max:0.01" ]; then ok; else fail "the failed test case is '$nm'"; fi
else
	skip "xmllint not installed: JUnit XML not parsed"
fi

# Must pass: pos_weight 4 helps f1 and AUC; accuracy stays above 0.9.
check_exit 0 "an improvement passes the gate" "$RUNSITE" check -q "$S" --baseline "$base" \
	--candidate logreg-posw4-s1 --rule 'val/f1:max:0.01' --rule 'val/auc:max:2%' \
	--rule 'val/accuracy>=0.9' -o "$TMP/pass" --junit "$TMP/pass/junit.xml"
check_grep "the summary says the gate passed" '^## runsite check: .*passed' "$TMP/pass/summary.md"
if grep -q 'fail' "$TMP/pass/summary.md"; then fail "a passing summary mentions a failure"; else ok; fi
# The same runs by id and by tag-free selectors give the same verdicts.
bid=$("$RUNSITE" ls "$S" 2>/dev/null | sed -nE 's/^  run ([0-9a-f]+)  "logreg-baseline-s1".*/\1/p' | head -1)
check_exit 0 "the baseline by run id" "$RUNSITE" check -q "$S" --baseline "$bid" \
	--candidate logreg-posw4-s1 --rule 'val/f1:max:0.01' -o "$TMP/byid"
# --value best: lr 0.005's best f1 is still far below the baseline's last.
check_exit 1 "--value best still fails a real regression" "$RUNSITE" check -q "$S" --baseline "$base" \
	--candidate logreg-lr0.005-s1 --rule 'val/f1:max:0.01' --value best -o "$TMP/best"
check_grep "the summary says best was compared" 'best value' "$TMP/best/summary.md"
# A diverged run: val/loss is inf, and a NaN or inf candidate fails.
check_exit 1 "a diverged candidate fails" "$RUNSITE" check -q "$S" --baseline "$base" \
	--candidate mlp16-lr20-s1 --rule 'val/loss:min:1000%' -o "$TMP/div"
# Relative tolerance: posw4 raises val/loss by ~27%: fails at 2%, holds at 30%.
check_exit 1 "val/loss up 27% fails at 2%" "$RUNSITE" check -q "$S" --baseline "$base" \
	--candidate logreg-posw4-s1 --rule 'val/loss:min:2%' -o "$TMP/rel"
check_exit 0 "val/loss up 27% holds at 30%" "$RUNSITE" check -q "$S" --baseline "$base" \
	--candidate logreg-posw4-s1 --rule 'val/loss:min:30%' -o "$TMP/rel"

# Missing things exit 3 and still write a summary that says so.
check_exit 3 "a missing metric exits 3" "$RUNSITE" check -q "$S" --baseline "$base" \
	--candidate logreg-posw4-s1 --rule 'val/f1:max:0.01' --rule 'no/such:max:0' -o "$TMP/miss"
check_grep "the summary names the missing metric" 'no/such.*missing' "$TMP/miss/summary.md"
check_exit 3 "a missing run exits 3" "$RUNSITE" check -q "$S" --baseline "$base" \
	--candidate no-such-run --rule 'val/f1:max:0.01' -o "$TMP/norun"
check_grep "the summary says the gate could not run" 'could not be evaluated' "$TMP/norun/summary.md"
"$RUNSITE" check "$S" --baseline "$base" --candidate no-such-run --rule 'val/f1:max:0' -o "$TMP/norun" 2> "$TMP/err" >/dev/null
check_grep "the message names the missing run" "no-such-run" "$TMP/err"
check_exit 3 "no store exits 3" "$RUNSITE" check -q "$TMP/empty-nothing" --candidate x --rule 'a>=1' -o "$TMP/nostore"

# Usage errors exit 2.
check_exit 2 "no rule" "$RUNSITE" check -q "$S" --baseline "$base" --candidate logreg-posw4-s1
check_exit 2 "a bad rule" "$RUNSITE" check -q "$S" --baseline "$base" --candidate logreg-posw4-s1 --rule 'val/f1:best:1'
check_exit 2 "a tolerance rule without a baseline" "$RUNSITE" check -q "$S" --candidate logreg-posw4-s1 --rule 'val/f1:max:1'
check_exit 2 "a bad --value" "$RUNSITE" check -q "$S" --candidate logreg-posw4-s1 --rule 'val/f1>=0' --value mean
check_exit 0 "a threshold rule needs no baseline" "$RUNSITE" check -q "$S" --candidate logreg-posw4-s1 --rule 'val/f1>=0.4' -o "$TMP/thr"
check_exit 2 "a selector that names several runs" "$RUNSITE" check -q "$S" --candidate tag:mlflow.user=mira --rule 'val/f1>=0' -o "$TMP/amb"
"$RUNSITE" check "$S" --candidate tag:mlflow.user=mira --rule 'val/f1>=0' -o "$TMP/amb" 2> "$TMP/err" >/dev/null
check_grep "the ambiguity lists the runs" "logreg-baseline-s1" "$TMP/err"

# Hostile store: run names with HTML and '|' stay text in one table row; no secret leaks.
"$PY" tests/tools/make_hostile_store.py "$TMP/h"
hid=0123456789abcdef0123456789abcdef
check_exit 0 "the hostile run passes a threshold" "$RUNSITE" check -q "$TMP/h/mlruns" --baseline "$hid" \
	--candidate "$hid" --rule 'loss<=1' --rule 'loss:min:0' -o "$TMP/hs" --junit "$TMP/hs/j.xml"
if grep -q '<script\|<img' "$TMP/hs/summary.md"; then fail "HTML from the store reached summary.md"; else ok; fi
rows=$(grep -c '^| ' "$TMP/hs/summary.md")
if [ "$rows" -eq 3 ]; then ok; else fail "want a header and 2 rule rows, got $rows table lines"; fi
while read -r secret; do
	if grep -rqF -- "$secret" "$TMP/hs"; then fail "secret $secret leaked into check output"; else ok; fi
done < "$TMP/h/secrets.txt"
finish
