#!/bin/sh
# cache.sh — the build cache: a rebuild takes unchanged charts from the last
# site (the same files, hard-linked), the result is byte-identical to a build
# that draws everything, and a changed option, a damaged chart file, a
# damaged cache or a symlink in the old site only means more drawing.
. tests/e2e/lib.sh
A=$TMP/a
S=sample-runs

check_exit 0 "a first build" "$RUNSITE" build -q "$S" -o "$A"
check "the site holds its cache" test -f "$A/.runsite-cache.sqlite"
# Every run chart has its row, and every row its file.
check "one cache row per chart file" "$PY" -c '
import os, sqlite3, sys
site = sys.argv[1]
rows = {r[0] for r in sqlite3.connect(os.path.join(site, ".runsite-cache.sqlite")).execute("select path from charts")}
runs = set()
for d, _, names in os.walk(os.path.join(site, "runs")):
    for n in names:
        if n.endswith((".svg", ".png")) and n != "trend.svg":
            runs.add(os.path.relpath(os.path.join(d, n), site))
missing = [p for p in rows if not os.path.isfile(os.path.join(site, p))]
sys.exit(0 if runs and runs <= rows and not missing else "rows %d, run charts %d, missing %s" % (len(rows), len(runs), missing[:3]))' "$A"
ncached=$("$PY" -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("select count(*) from charts").fetchone()[0])' "$A/.runsite-cache.sqlite")

chart=$(ls "$A"/runs/*/val-loss.svg | head -1)
rel=${chart#"$A"/}
inode=$(stat -c %i "$chart")
check_exit 0 "a second build" "$RUNSITE" build "$S" -o "$A"
check_grep "it says the charts were unchanged" "$ncached of $ncached charts were unchanged" "$TMP/.err"
check "a cached chart is the last build's file (same inode)" test "$(stat -c %i "$A/$rel")" = "$inode"
"$RUNSITE" build -q --no-cache "$S" -o "$TMP/fresh"
check "the cached site is byte-identical to one drawn afresh" diff -r "$A" "$TMP/fresh"

# A changed option draws every chart again, and the result is still right.
check_exit 0 "a build with other smoothing" "$RUNSITE" build "$S" -o "$A" --smoothing 0.3
check "no chart was taken from the cache" sh -c "! grep -q 'were unchanged' '$TMP/.err'"
check "the chart was drawn again" test "$(stat -c %i "$A/$rel")" != "$inode"
"$RUNSITE" build -q --no-cache "$S" -o "$TMP/fresh03" --smoothing 0.3
check "and equals a fresh build with that option" diff -r "$A" "$TMP/fresh03"

# A chart file changed under the cache (here: cut short) is drawn again.
head -c 100 "$TMP/fresh03/$rel" > "$A/$rel"
check_exit 0 "a build over a damaged chart file" "$RUNSITE" build -q "$S" -o "$A" --smoothing 0.3
check "the damaged chart was drawn again" cmp "$A/$rel" "$TMP/fresh03/$rel"

# A symlink in the old site is never followed into the new one.
rm -f "$A/$rel"
echo secret > "$TMP/outside.txt"
ln -s "$TMP/outside.txt" "$A/$rel"
check_exit 0 "a build over a symlinked chart" "$RUNSITE" build -q "$S" -o "$A" --smoothing 0.3
check "the new site holds a drawn chart, not the link" sh -c "test ! -L '$A/$rel' && cmp '$A/$rel' '$TMP/fresh03/$rel'"

# A damaged cache file: a warning that names it, then every chart is drawn.
printf 'not a database' > "$A/.runsite-cache.sqlite"
check_exit 0 "a build over a damaged cache" "$RUNSITE" build "$S" -o "$A" --smoothing 0.3
check_grep "the warning names the cache file" ".runsite-cache.sqlite.*build cache not used" "$TMP/.err"
check "the site is still right" diff -r "$A" "$TMP/fresh03"

# A row whose fingerprint differs (another version drew it) is drawn again.
"$PY" -c 'import sqlite3,sys
c=sqlite3.connect(sys.argv[1]); c.execute("update charts set fingerprint=? where path=?", ("0"*32, sys.argv[2])); c.commit()' \
	"$A/.runsite-cache.sqlite" "$rel"
inode=$(stat -c %i "$A/$rel")
check_exit 0 "a build after a fingerprint changed" "$RUNSITE" build "$S" -o "$A" --smoothing 0.3
check "only that chart was drawn again" sh -c "grep -q '$((ncached - 1)) of $ncached charts were unchanged' '$TMP/.err' && test \"\$(stat -c %i '$A/$rel')\" != '$inode'"
check "and the site is right" diff -r "$A" "$TMP/fresh03"

# Adding a run that started before every other one draws none of the other
# runs' charts again: a run's colour comes from its id, not reading order.
cp -r sample-runs/mlruns "$TMP/grow"
E=$(ls -d "$TMP"/grow/*/*/ | head -1)
E=${E%/}
check_exit 0 "a build before a run is added" "$RUNSITE" build -q "$TMP/grow" -o "$TMP/g"
ls -i "$TMP"/g/runs/*/*.svg | grep -v trend.svg | sort > "$TMP/before.inodes"
NEW=$(dirname "$E")/00000000000000000000000000000000
cp -r "$E" "$NEW"
sed -i 's/^run_id: .*/run_id: 00000000000000000000000000000000/; s/^run_name: .*/run_name: added-earliest/; s/^start_time: .*/start_time: 1000/' "$NEW/meta.yaml"
printf 'added-earliest' > "$NEW/tags/mlflow.runName"
check_exit 0 "a build after the run is added" "$RUNSITE" build -q "$TMP/grow" -o "$TMP/g"
ls -i "$TMP"/g/runs/*/*.svg | grep -v trend.svg | sort > "$TMP/after.inodes"
check "the added run has its charts" test -n "$(ls "$TMP"/g/runs/added-earliest*/*.svg 2>/dev/null)"
check "every chart of the other runs is the last build's file" sh -c "
	n=\$(wc -l < '$TMP/before.inodes'); [ \$n -ge 1 ] && [ \$(comm -12 '$TMP/before.inodes' '$TMP/after.inodes' | wc -l) -eq \$n ]"
finish
