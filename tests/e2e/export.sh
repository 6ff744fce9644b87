#!/bin/sh
# export.sh — `runsite export`: one file that references nothing outside
# itself (parsed with libxml2's xmllint), ids unique across its inline SVG
# charts, the hand-off parts filled from note headings or shown as 'not
# written', an artifact manifest whose SHA-256 sums match the files, renders
# and prints in headless Chromium with no network, and leaks no secret.
. tests/e2e/lib.sh

# A small MLflow file store whose note has model-card sections, and an artifact.
R="$TMP/store/mlruns/7/aaaabbbbccccddddeeeeffff00001111"
mkdir -p "$TMP/store/mlruns/7" "$R/metrics/val" "$R/params" "$R/tags" "$R/artifacts/model"
printf 'artifact_location: file:///nowhere/7\nexperiment_id: '"'7'"'\nlifecycle_stage: active\nname: handoff\n' > "$TMP/store/mlruns/7/meta.yaml"
printf 'artifact_uri: file:///nowhere/7/aaaabbbbccccddddeeeeffff00001111/artifacts\nend_time: 1700000100000\nexperiment_id: '"'7'"'\nlifecycle_stage: active\nrun_id: aaaabbbbccccddddeeeeffff00001111\nrun_name: card-run\nrun_uuid: aaaabbbbccccddddeeeeffff00001111\nsource_type: 4\nstart_time: 1700000000000\nstatus: 3\ntags: []\nuser_id: ada\n' > "$R/meta.yaml"
for i in 0 1 2 3 4 5 6 7 8 9; do
	echo "$((1700000000000 + i)) 0.$((9 - i)) $i" >> "$R/metrics/val/loss"
	echo "$((1700000000000 + i)) 0.$i $i" >> "$R/metrics/val/f1"
done
echo 0.01 > "$R/params/lr"
echo 8f2c0e7d9a1b4c6e8f2c0e7d9a1b4c6e8f2c0e7d > "$R/params/WANDB_API_KEY"
echo "key AKIAQWERTYUIOPASDFGH" > "$R/tags/deploy"
cat > "$R/tags/mlflow.note.content" <<'NOTE'
# Card run

## Intended use

Flags couch bites for **Biscuit** only. See [the wiki](https://example.org/wiki) and
![a picture](https://example.org/pic.png).

## Caveats and limitations:

Late teething only.

-----BEGIN RSA PRIVATE KEY-----
MIIEowIBAAKCAQEAsecretkeymaterialZZZ
-----END RSA PRIVATE KEY-----

## Other

Nothing here belongs to the card.
NOTE
printf 'weights\n' > "$R/artifacts/model/weights.bin"
printf '{"a": 1}\n' > "$R/artifacts/report.json"
printf '%s\n' 8f2c0e7d9a1b4c6e8f2c0e7d9a1b4c6e8f2c0e7d AKIAQWERTYUIOPASDFGH MIIEowIBAAKCAQEAsecretkeymaterialZZZ > "$TMP/secrets"

check_exit 0 "export of one run" "$RUNSITE" export -q "$TMP/store/mlruns" --run card-run -o "$TMP/one.html"
check_exit 0 "export of two runs from sample-runs" "$RUNSITE" export -q sample-runs \
	--run mlp16-posw4-s3 --run logreg-baseline-s1 -o "$TMP/two.html"
check_exit 3 "a missing run exits 3" "$RUNSITE" export -q sample-runs --run no-such-run -o "$TMP/x.html"
check_exit 2 "no -o exits 2" "$RUNSITE" export -q sample-runs --run mlp16-posw4-s3
check_exit 2 "no --run exits 2" "$RUNSITE" export -q sample-runs -o "$TMP/x.html"
check "nothing is written when the export fails" test ! -e "$TMP/x.html"

# The hand-off parts: filled from the note's sections, else 'not written'.
check_grep "intended use comes from the note" "Flags couch bites for" "$TMP/one.html"
check_grep "caveats come from the note (heading with a colon)" "Late teething only" "$TMP/one.html"
nw=$(grep -o 'not written' "$TMP/one.html" | wc -l)
if [ "$nw" -eq 3 ]; then ok; else fail "want 3 parts 'not written' (training, evaluation data, metrics), got $nw"; fi
# The manifest: sizes and SHA-256 of the files on disk.
for f in model/weights.bin report.json; do
	sum=$(sha256sum "$R/artifacts/$f" | cut -d' ' -f1)
	check_grep "the manifest has the SHA-256 of $f" "$sum" "$TMP/one.html"
done

for f in one two; do
	html="$TMP/$f.html"
	if command -v xmllint >/dev/null 2>&1; then
		check "$f.html parses as HTML" xmllint --html --noout --nowarning "$html"
		# Every src, href (also xlink:href), action, data and poster value must stay inside the file.
		xmllint --html --nowarning --xpath '//@*[name()="src" or name()="href" or name()="xlink:href" or name()="action" or name()="data" or name()="poster" or name()="srcset"]' "$html" 2>/dev/null |
			sed -E 's/^ *[a-z:]+="([^"]*)"$/\1/' > "$TMP/refs"
		bad=$(grep -v '^#' "$TMP/refs" | head -3)
		if [ -z "$bad" ]; then ok; else fail "$f.html references outside itself: $bad"; fi
		n=$(xmllint --html --nowarning --xpath 'count(//link | //iframe | //object | //embed | //base)' "$html" 2>/dev/null)
		if [ "$n" = 0 ]; then ok; else fail "$f.html has $n link/iframe/object/embed/base elements"; fi
	else
		skip "xmllint not installed: $f.html not parsed"
	fi
	if grep -qE 'url\((["'"'"']?)(https?:|//|[a-z]+\.)|@import' "$html"; then fail "$f.html loads something from CSS"; else ok; fi
	# Ids are unique, and every in-page reference has its target.
	grep -oE ' id="[^"]+"' "$html" | sort | uniq -d > "$TMP/dups"
	if [ -s "$TMP/dups" ]; then fail "$f.html repeats ids: $(head -3 "$TMP/dups" | tr '\n' ' ')"; else ok; fi
	grep -oE 'href="#[^"]+"|url\(#[^)]+\)' "$html" | sed -E 's/href="#([^"]+)"/\1/; s/url\(#([^)]+)\)/\1/' | sort -u > "$TMP/targets"
	missing=0
	while read -r id; do grep -q " id=\"$id\"" "$html" || missing=$((missing + 1)); done < "$TMP/targets"
	if [ "$missing" -eq 0 ]; then ok; else fail "$f.html: $missing references to ids that are not there"; fi
done
charts=$(grep -o '<svg' "$TMP/two.html" | wc -l)
if [ "$charts" -ge 6 ]; then ok; else fail "want the sample metrics as inline charts, got $charts"; fi
check_grep "the comparison names both runs" "logreg-baseline-s1" "$TMP/two.html"

# Secrets: redacted by default, in export, check and build alike.
check_exit 0 "build of the store with secrets" "$RUNSITE" build -q "$TMP/store/mlruns" -o "$TMP/site"
check_exit 0 "check of the store with secrets" "$RUNSITE" check -q "$TMP/store/mlruns" --baseline card-run \
	--candidate card-run --rule 'val/f1:max:0' -o "$TMP/gate" --junit "$TMP/gate/junit.xml"
while read -r secret; do
	if grep -rqF -- "$secret" "$TMP/one.html" "$TMP/site" "$TMP/gate"; then fail "secret $secret leaked"; else ok; fi
done < "$TMP/secrets"
check_grep "the export says it redacted" "replaced by \[redacted\]" "$TMP/one.html"
# --no-redact shows them: the check above can fail.
"$RUNSITE" export -q "$TMP/store/mlruns" --run card-run --no-redact -o "$TMP/open.html"
check_grep "--no-redact keeps the param" "8f2c0e7d9a1b4c6e8f2c0e7d9a1b4c6e8f2c0e7d" "$TMP/open.html"

BROWSER=$(command -v chromium || command -v chromium-browser || true)
if [ -n "$BROWSER" ]; then
	for f in one two; do
		"$BROWSER" --headless --no-sandbox --disable-gpu --no-first-run --disable-background-networking \
			--disable-component-update --disable-sync --user-data-dir="$TMP/chrome" \
			--virtual-time-budget=2000 --dump-dom "file://$TMP/$f.html" > "$TMP/dom.html" 2>/dev/null
		check_grep "chromium renders $f.html" 'id="handoff"' "$TMP/dom.html"
		got=$(grep -o '<svg' "$TMP/dom.html" | wc -l)
		want=$(grep -o '<svg' "$TMP/$f.html" | wc -l)
		if [ "$got" -eq "$want" ] && [ "$got" -gt 0 ]; then ok; else fail "chromium shows $got of $want charts of $f.html"; fi
		# The sort script ran: it marks sortable headings.
		check_grep "the inline script ran in $f.html" 'data-sortable' "$TMP/dom.html"
	done
	"$BROWSER" --headless --no-sandbox --disable-gpu --no-first-run --disable-background-networking \
		--disable-component-update --disable-sync --user-data-dir="$TMP/chrome" \
		--print-to-pdf="$TMP/two.pdf" --no-pdf-header-footer "file://$TMP/two.html" >/dev/null 2>&1
	if head -c 5 "$TMP/two.pdf" 2>/dev/null | grep -q '%PDF'; then ok; else fail "chromium did not print two.html"; fi
else
	skip "chromium is not installed: the in-browser checks did not run"
fi
finish
