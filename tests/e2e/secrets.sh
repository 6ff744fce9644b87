#!/bin/sh
# secrets.sh — a store with a planted secret in every string field of the run
# model (tests/tools/make_secret_store.py): no output of any command holds one,
# the build cache included, in any case and even split by markup; redacted
# names keep working links with placeholders that do not change from build to
# build; --no-redact shows the secrets again.
. tests/e2e/lib.sh
"$PY" tests/tools/make_secret_store.py "$TMP/store"
S="$TMP/store/mlruns $TMP/store/keras"
out="$TMP/out"
mkdir -p "$out"
# shellcheck disable=SC2086
{
	check_exit 0 "the store builds" "$RUNSITE" build -q $S -o "$out/site"
	check_exit 0 "and builds again over its site (runs from the build cache)" \
		"$RUNSITE" build -q $S -o "$out/site"
	"$RUNSITE" ls -q $S > "$out/ls.txt" 2>&1
	"$RUNSITE" ls -q --json $S > "$out/ls.json" 2>&1
	check_exit 0 "check runs" "$RUNSITE" check -q $S --baseline tag:role=base --candidate tag:role=cand \
		--rule loss:min:50% -o "$out/check" --junit "$out/check/junit.xml"
	check_exit 0 "export of one run" "$RUNSITE" export -q $S --run tag:role=cand -o "$out/export.html"
	check_exit 0 "export of two runs" "$RUNSITE" export -q $S --run tag:role=base --run tag:role=cand \
		-o "$out/export2.html"
}
check "the site holds the build cache" test -s "$out/site/.runsite-cache.sqlite"
check "the site holds summary.md" test -s "$out/check/summary.md"

# Every planted secret, in its own case and lower-cased (slugs), and a part of
# it that survives when markup splits it, is looked for in every output file.
planted=0 leaked=0
while IFS="$(printf '\t')" read -r place secret part; do
	planted=$((planted + 1))
	lower=$(printf '%s' "$secret" | tr 'A-Z' 'a-z')
	lpart=$(printf '%s' "$part" | tr 'A-Z' 'a-z')
	where=$(grep -rlaF -e "$secret" -e "$lower" -e "$part" -e "$lpart" "$out" | sed "s|$out/||" | tr '\n' ' ')
	if [ -n "$where" ]; then
		leaked=$((leaked + 1))
		fail "secret leaked: $place ($secret) in $where"
	else ok; fi
done < "$TMP/store/secrets.tsv"
echo "secrets: $planted planted, $leaked leaked"
check "every secret was looked for" test "$planted" -gt 60

check "every page parses and every link resolves" "$BUILD/tools/sitecheck" "$out/site"
check_grep "a redacted run name has a numbered placeholder" 'run0-\[redacted-[0-9]*\]' "$out/ls.txt"
check_grep "ls --json says which places were redacted" '"name"' "$out/ls.json"
# The child run links to its parent, whose id was a secret.
parent=$(grep -ho 'Parent run</dt><dd><a href="[^"]*"' "$out/site"/runs/*.html | sed 's/.*href="//; s/"$//')
check "the parent run is linked although its id was redacted" test -n "$parent" -a -f "$out/site/runs/$parent"

# The same inputs give the same placeholders, whatever --jobs.
check_exit 0 "a second build, one thread" "$RUNSITE" build -q -j 1 $S -o "$TMP/site1"
check "placeholders are stable between builds" diff -r -x .runsite-cache.sqlite "$out/site" "$TMP/site1"

# A run taken from the run cache is not checked again (it was kept holding
# no secret), but one merged with another store's copy is: a secret added to
# the copy in the second store after the first build is redacted.
cp -r sample-runs/mlruns "$TMP/copy-a"
cp -r sample-runs/mlruns "$TMP/copy-b"
check_exit 0 "two copies of a store build" "$RUNSITE" build -q "$TMP/copy-a" "$TMP/copy-b" -o "$TMP/copies"
tags=$(ls -d "$TMP"/copy-b/*/*/tags | head -1)
printf 'ghp_Zq3vT8mN2pL6xR4wY7cK1bH5jF9dS0aE3gU8' > "$tags/deploy_note"
check_exit 0 "and again, a secret added to a run's copy in the second" \
	env RUNSITE_PHASES=1 "$RUNSITE" build -q "$TMP/copy-a" "$TMP/copy-b" -o "$TMP/copies"
check_grep "the run came from the run cache" "runs taken from the build cache: [1-9]" "$TMP/.err"
check "the added secret is redacted" sh -c "! grep -rq ghp_Zq3vT8mN2pL6 '$TMP/copies'"
check "and its tag is there, its value a placeholder" \
	sh -c "cat '$TMP'/copies/runs/*.html | grep -q 'deploy_note</th><td class=\"value\">\[redacted'"

# --no-redact shows everything.
"$RUNSITE" ls -q --json --no-redact $S > "$TMP/plain.json" 2>&1
first=$(head -1 "$TMP/store/secrets.tsv" | cut -f2)
run_name=$(grep '^run name base' "$TMP/store/secrets.tsv" | cut -f2)
check_grep "--no-redact shows the experiment id" "$first" "$TMP/plain.json"
check_grep "--no-redact shows the run name" "$run_name" "$TMP/plain.json"
finish
