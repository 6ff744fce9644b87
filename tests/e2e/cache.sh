#!/bin/sh
# cache.sh — the build cache: a rebuild takes unchanged charts and pages from
# the last site (the same files, left in place), the result is byte-identical
# to a build that draws everything (whatever --jobs), and a changed store,
# option or template, a damaged chart or page file, a damaged cache or a
# symlink in the old site only means more drawing.
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

# Incremental rebuilds: after each change to a store, a cached build with
# two jobs over the last site equals a --no-cache build with one job.
cp -r sample-runs/mlruns "$TMP/inc"
fresh_equal() { # fresh_equal DESCRIPTION [OPTIONS...]
	desc=$1; shift
	rm -rf "$TMP/incf"
	"$RUNSITE" build -q --no-cache -j 1 "$TMP/inc" -o "$TMP/incf" "$@"
	check "$desc: the rebuilt site is byte-identical to a fresh one" diff -r "$TMP/inc-site" "$TMP/incf"
}
check_exit 0 "a first build of the store" "$RUNSITE" build -q -j 2 "$TMP/inc" -o "$TMP/inc-site"
check_exit 0 "a rebuild with nothing changed" "$RUNSITE" build -j 2 "$TMP/inc" -o "$TMP/inc-site"
npages=$(find "$TMP/inc-site" -name '*.html' | wc -l)
check_grep "every page was taken from the last site" "$npages pages were unchanged" "$TMP/.err"
fresh_equal "nothing changed"

# Pages made by another binary are never reused: the cache keys them by the
# binary's GNU build ID (a copy with one byte of it changed is other code),
# or, for a binary without one, by a digest of its file.
other_code() { # other_code BINARY WHAT: a rebuild by other code takes no page, then its own
	check_exit 0 "a rebuild by $2" "$1" build -j 2 "$TMP/inc" -o "$TMP/inc-site"
	check "it took no page from the last site" sh -c "! grep -q 'pages\? \(was\|were\) unchanged' '$TMP/.err'"
	check_exit 0 "the same binary again" "$1" build -j 2 "$TMP/inc" -o "$TMP/inc-site"
	check_grep "it takes every page from its own last site" "$npages pages were unchanged" "$TMP/.err"
	"$RUNSITE" build -q -j 2 "$TMP/inc" -o "$TMP/inc-site"
}
bid=$(readelf -n "$RUNSITE" 2>/dev/null | sed -n 's/.*Build ID: *//p' | head -1)
if [ -n "$bid" ]; then
	"$PY" -c '
import sys
data = open(sys.argv[1], "rb").read()
bid = bytes.fromhex(sys.argv[2])
assert data.count(bid) == 1, "the build ID is not once in the binary"
other = bytes([bid[0] ^ 1]) + bid[1:]
open(sys.argv[3], "wb").write(data.replace(bid, other))' "$RUNSITE" "$bid" "$TMP/other-id"
	chmod +x "$TMP/other-id"
	other_code "$TMP/other-id" "a binary with another build ID"
else
	skip "$RUNSITE has no GNU build ID"
fi
if command -v objcopy >/dev/null 2>&1 && objcopy --remove-section .note.gnu.build-id "$RUNSITE" "$TMP/no-id" 2>/dev/null; then
	check "the copy has no build ID" sh -c "! readelf -n '$TMP/no-id' | grep -q 'Build ID'"
	other_code "$TMP/no-id" "a binary without a build ID (its file's digest keys the pages)"
else
	skip "objcopy cannot remove the build ID here"
fi
R1=$(ls -d "$TMP"/inc/*/*/ | grep -v '/0/' | head -1)
R1=${R1%/}
R2=$(ls -d "$TMP"/inc/*/*/ | grep -v '/0/' | sed -n 2p)
R2=${R2%/}
page1=$(grep -l "data-run-id=\"$(basename "$R1")\"" "$TMP"/inc-site/runs/*.html)
inode1=$(stat -c %i "$page1")
page2=$(grep -l "data-run-id=\"$(basename "$R2")\"" "$TMP"/inc-site/runs/*.html)
inode2=$(stat -c %i "$page2")

exp_page=$(ls "$TMP"/inc-site/experiments/*.html | head -1)
exp_inode=$(stat -c %i "$exp_page")
printf '\n\nEdited by the cache test.\n' >> "$R1/tags/mlflow.note.content"
check_exit 0 "a rebuild after one run's notes changed" "$RUNSITE" build -q -j 2 "$TMP/inc" -o "$TMP/inc-site"
check "that run's page was made again" test "$(stat -c %i "$page1")" != "$inode1"
check "another run's page was taken from the last site" test "$(stat -c %i "$page2")" = "$inode2"
check "the experiment page (no notes on it) was taken from the last site" test "$(stat -c %i "$exp_page")" = "$exp_inode"
check_grep "it shows the new notes" "Edited by the cache test" "$page1"
fresh_equal "notes changed"

m=$(find "$R2/metrics" -type f | head -1)
last=$(tail -1 "$m")
echo "$last" | awk '{printf "%s %s %d\n", $1 + 1000, $2 / 2, $3 + 1}' >> "$m"
check_exit 0 "a rebuild after a metric point was appended" "$RUNSITE" build -q -j 2 "$TMP/inc" -o "$TMP/inc-site"
fresh_equal "a metric point appended"

NEW=$(dirname "$R1")/ffffffffffffffffffffffffffffffff
cp -r "$R1" "$NEW"
sed -i 's/^run_id: .*/run_id: ffffffffffffffffffffffffffffffff/; s/^run_uuid: .*/run_uuid: ffffffffffffffffffffffffffffffff/; s/^run_name: .*/run_name: cache-added/' "$NEW/meta.yaml"
printf 'cache-added' > "$NEW/tags/mlflow.runName"
check_exit 0 "a rebuild after a run was added" "$RUNSITE" build -q -j 2 "$TMP/inc" -o "$TMP/inc-site"
check "the added run has its page" test -n "$(ls "$TMP"/inc-site/runs/cache-added*.html 2>/dev/null)"
fresh_equal "one run added"

rm -rf "$R2"
check_exit 0 "a rebuild after a run was deleted" "$RUNSITE" build -q -j 2 "$TMP/inc" -o "$TMP/inc-site"
check "the deleted run's page is gone" test ! -e "$page2"
fresh_equal "one run deleted"

check_exit 0 "a rebuild with another title" "$RUNSITE" build -q -j 2 "$TMP/inc" -o "$TMP/inc-site" --title "Other"
fresh_equal "an option changed" --title "Other"

mkdir -p "$TMP/tpl"
sed 's/<body/<body data-test="changed"/' templates/run.html > "$TMP/tpl/run.html"
check_exit 0 "a rebuild with another run template" "$RUNSITE" build -q -j 2 "$TMP/inc" -o "$TMP/inc-site" --title "Other" --templates "$TMP/tpl"
check_grep "the run pages use it" 'data-test="changed"' "$page1"
fresh_equal "a template changed" --title "Other" --templates "$TMP/tpl"

# Runs whose files are unchanged are not parsed again: they come from the
# build cache (RUNSITE_PHASES says how many), and after each change the site
# equals one built with --no-cache.
taken() { # taken N M: the last build took N runs from the cache and read M
	grep -q "runs taken from the build cache: $1; read: $2\$" "$TMP/.err"
}
checked() { # checked N: the last build checked N runs for secrets
	grep -q "^runs checked for secrets: $1\$" "$TMP/.err"
}
skip_equal() { # skip_equal STORE SITE DESCRIPTION [BUILD OPTIONS]
	st=$1 si=$2 de=$3
	shift 3
	rm -rf "$TMP/skipf"
	"$RUNSITE" build -q --no-cache -j 1 "$@" "$st" -o "$TMP/skipf"
	check "$de: the site equals a --no-cache build" diff -r "$si" "$TMP/skipf"
}
cp -r sample-runs/mlruns "$TMP/skip"
SK=$TMP/skip-site
check_exit 0 "a first build of an MLflow file store" env RUNSITE_PHASES=1 "$RUNSITE" build -q "$TMP/skip" -o "$SK"
nruns=$(sed -n 's/^runs taken from the build cache: 0; read: \([0-9]*\)$/\1/p' "$TMP/.err")
check "the first build read every run (${nruns:-none})" test "${nruns:-0}" -gt 10
check "and checked each for secrets" checked "$nruns"
check_exit 0 "a rebuild, nothing changed" env RUNSITE_PHASES=1 "$RUNSITE" build -q "$TMP/skip" -o "$SK"
check "every run came from the build cache, none was read" taken "$nruns" 0
check "none was checked for secrets again: each was kept because it held none" checked 0
skip_equal "$TMP/skip" "$SK" "nothing changed"
if command -v strace >/dev/null; then
	strace -f -qq -e trace=openat -o "$TMP/open.trace" "$RUNSITE" build -q "$TMP/skip" -o "$SK" 2>/dev/null
	check "an unchanged rebuild opens no run's metrics, params or tags file" \
		sh -c "grep -q '/meta.yaml' '$TMP/open.trace' && ! grep -E '/[0-9a-f]{32}/(metrics|params|tags)/' '$TMP/open.trace' | grep -v O_DIRECTORY | grep -q ."
else
	skip "strace not installed: which files a rebuild opens is not checked"
fi
SR=$(ls -d "$TMP"/skip/*/*/metrics | head -1)
SR=${SR%/metrics}
m=$(find "$SR/metrics" -type f | head -1)
touch -d '+1 hour' "$m"
check_exit 0 "a rebuild after a metrics file was touched (same bytes)" env RUNSITE_PHASES=1 "$RUNSITE" build -q "$TMP/skip" -o "$SK"
check "that run was read again, the others not" taken $((nruns - 1)) 1
skip_equal "$TMP/skip" "$SK" "a metrics file touched"
tail -1 "$m" | awk '{printf "%s %s %d\n", $1 + 1000, $2 / 2, $3 + 1}' >> "$m"
check_exit 0 "a rebuild after a point was appended" env RUNSITE_PHASES=1 "$RUNSITE" build -q "$TMP/skip" -o "$SK"
check "that run was read again" taken $((nruns - 1)) 1
skip_equal "$TMP/skip" "$SK" "a point appended"
p=$(find "$SR/params" -type f | head -1)
printf '0.123456' > "$p"
check_exit 0 "a rebuild after a param file changed" env RUNSITE_PHASES=1 "$RUNSITE" build -q "$TMP/skip" -o "$SK"
check "that run was read again" taken $((nruns - 1)) 1
skip_equal "$TMP/skip" "$SK" "a param changed"
printf 'Notes edited since.' > "$SR/tags/mlflow.note.content"
check_exit 0 "a rebuild after a run's notes changed" env RUNSITE_PHASES=1 "$RUNSITE" build -q "$TMP/skip" -o "$SK"
check "that run was read again" taken $((nruns - 1)) 1
skip_equal "$TMP/skip" "$SK" "a run's notes changed"
NEW=$(dirname "$SR")/eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee
cp -r "$SR" "$NEW"
sed -i 's/^run_id: .*/run_id: eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee/; s/^run_uuid: .*/run_uuid: eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee/; s/^run_name: .*/run_name: skip-added/' "$NEW/meta.yaml"
printf 'skip-added' > "$NEW/tags/mlflow.runName"
check_exit 0 "a rebuild after a run was added" env RUNSITE_PHASES=1 "$RUNSITE" build -q "$TMP/skip" -o "$SK"
check "only the added run was read" taken "$nruns" 1
check "and only it was checked for secrets" checked 1
skip_equal "$TMP/skip" "$SK" "a run added"
rm -rf "$SR"
check_exit 0 "a rebuild after a run was removed" env RUNSITE_PHASES=1 "$RUNSITE" build -q "$TMP/skip" -o "$SK"
check "no run was read" taken "$nruns" 0
skip_equal "$TMP/skip" "$SK" "a run removed"
check "the removed run's kept file went with it: one file a run" test "$(ls "$SK/.runsite-runs" | wc -l)" -eq "$nruns"
# A kept run's charts are taken from the last site: one gone means the run
# has to be drawn again, from points the cache does not keep, so every run
# is read.
svg=$(ls "$SK"/runs/*/*.svg | head -1)
rm "$svg"
check_exit 0 "a rebuild after a kept run's chart was removed from the site" env RUNSITE_PHASES=1 "$RUNSITE" build "$TMP/skip" -o "$SK"
check_grep "it says every run is read" "no longer fits it; reading every run" "$TMP/.err"
check "every run was read the second time" taken 0 "$nruns"
check "the chart is back" test -f "$svg"
skip_equal "$TMP/skip" "$SK" "a kept run's chart removed"
check_exit 0 "and the next rebuild" env RUNSITE_PHASES=1 "$RUNSITE" build -q "$TMP/skip" -o "$SK"
check "takes every run from the cache again" taken "$nruns" 0
# One rewritten since the last build (cut short; the same size, written
# later) is no longer the file the cache describes: made again, the same.
svg=$(ls "$SK"/runs/*/*.svg | tail -1)
cp "$svg" "$TMP/kept.svg"
head -c 10 "$TMP/kept.svg" > "$svg"
check_exit 0 "a rebuild after a kept run's chart was cut short" env RUNSITE_PHASES=1 "$RUNSITE" build -q "$TMP/skip" -o "$SK"
check "every run was read" taken 0 "$nruns"
check "the chart is whole again" cmp "$svg" "$TMP/kept.svg"
tr 'a-z' 'A-Z' < "$TMP/kept.svg" > "$svg"
check_exit 0 "a rebuild after a kept run's chart was rewritten, same size" env RUNSITE_PHASES=1 "$RUNSITE" build -q "$TMP/skip" -o "$SK"
check "every run was read" taken 0 "$nruns"
check "the chart is the drawn one again" cmp "$svg" "$TMP/kept.svg"
# A report's overlay of kept runs, at the site's x and at another: drawn
# from their kept decimated copies as from a drawn run's.
mk=$(ls "$(ls -d "$TMP"/skip/*/*/metrics | head -1)" | head -1)
mkdir -p "$TMP/skip-reports"
printf '# R\n\n```runsite\nchart: %s\n```\n\n```runsite\nchart: %s\nx: relative\n```\n' "$mk" "$mk" > "$TMP/skip-reports/r.md"
check_exit 0 "a build with a report" env RUNSITE_PHASES=1 "$RUNSITE" build -q --reports "$TMP/skip-reports" "$TMP/skip" -o "$SK"
check_exit 0 "and again" env RUNSITE_PHASES=1 "$RUNSITE" build -q --reports "$TMP/skip-reports" "$TMP/skip" -o "$SK"
check "every run came from the cache" taken "$nruns" 0
skip_equal "$TMP/skip" "$SK" "a report's overlays of kept runs" --reports "$TMP/skip-reports"
check_exit 0 "a rebuild with --no-cache" env RUNSITE_PHASES=1 "$RUNSITE" build -q --no-cache "$TMP/skip" -o "$SK"
check "--no-cache reads every run" taken 0 "$nruns"
check_exit 0 "a rebuild with another --include-deleted" env RUNSITE_PHASES=1 "$RUNSITE" build -q --include-deleted "$TMP/skip" -o "$SK"
check "another reader option reads every run" sh -c "grep -q 'runs taken from the build cache: 0;' '$TMP/.err'"

# The same for Lightning CSV folders, and a run whose reading warns is read
# (and warns) on every build.
L=$TMP/light/lightning_logs
mkdir -p "$L/version_0" "$L/version_1" "$L/version_2"
printf 'epoch,step,loss\n0,0,1.0\n0,1,0.5\n0,2,0.25\n' > "$L/version_0/metrics.csv"
printf 'lr: 0.1\n' > "$L/version_0/hparams.yaml"
printf 'epoch,step,loss\n0,0,2.0\n0,1,1.5\n0,2,1.25\n' > "$L/version_1/metrics.csv"
printf 'epoch,step,loss\n0,0,3.0\n0,1,oops\n0,2,2.5\n' > "$L/version_2/metrics.csv"
LS=$TMP/light-site
check_exit 0 "a first build of Lightning folders" "$RUNSITE" build "$L" -o "$LS"
grep oops "$TMP/.err" > "$TMP/warn1"
check "the bad cell is warned about" test -s "$TMP/warn1"
check_exit 0 "a rebuild, nothing changed" env RUNSITE_PHASES=1 "$RUNSITE" build "$L" -o "$LS"
check "the runs without warnings came from the cache, the other was read" taken 2 1
grep oops "$TMP/.err" > "$TMP/warn2"
check "and it warns again, the same" cmp "$TMP/warn1" "$TMP/warn2"
skip_equal "$L" "$LS" "Lightning, nothing changed"
if command -v strace >/dev/null; then
	strace -f -qq -e trace=openat -o "$TMP/open.trace" "$RUNSITE" build -q "$L" -o "$LS" 2>/dev/null
	check "an unchanged rebuild opens a kept run's metrics.csv once (discovery), the reader not" \
		test "$(grep -c 'version_0/metrics.csv' "$TMP/open.trace")" -eq 1
fi
touch -d '+1 hour' "$L/version_0/metrics.csv"
check_exit 0 "a rebuild after metrics.csv was touched" env RUNSITE_PHASES=1 "$RUNSITE" build -q "$L" -o "$LS"
check "that run was read again" taken 1 2
printf '0,3,0.125\n' >> "$L/version_1/metrics.csv"
check_exit 0 "a rebuild after a row was appended" env RUNSITE_PHASES=1 "$RUNSITE" build -q "$L" -o "$LS"
check "that run was read again" taken 1 2
skip_equal "$L" "$LS" "Lightning, a row appended"
# A series longer than its decimated copy: a kept run keeps the points its
# overlays draw, which an experiment page made again (a run added) takes.
mkdir -p "$L/version_3" "$L/version_4"
"$PY" -c 'import math
print("epoch,step,loss")
for i in range(3000): print("0,%d,%r" % (i, 1 / (1 + i) + 0.01 * math.sin(i)))' > "$L/version_3/metrics.csv"
check_exit 0 "a rebuild after a long run was added" env RUNSITE_PHASES=1 "$RUNSITE" build -q "$L" -o "$LS"
check "it was read" taken 2 2
printf 'epoch,step,loss\n0,0,0.9\n0,1,0.8\n' > "$L/version_4/metrics.csv"
check_exit 0 "a rebuild after another run was added" env RUNSITE_PHASES=1 "$RUNSITE" build -q "$L" -o "$LS"
check "only it was read (and the run that warns)" taken 3 2
skip_equal "$L" "$LS" "Lightning, a run added beside a long kept one"
check_exit 0 "a rebuild, nothing changed" env RUNSITE_PHASES=1 "$RUNSITE" build -q "$L" -o "$LS"
check "every run without warnings came from the cache" taken 4 1
skip_equal "$L" "$LS" "Lightning, nothing changed after runs were added"

# A file of the old site rewritten to the same size (a page, a chart) is made again.
"$PY" -c 'import sys
for p in sys.argv[1:]:
    b = bytearray(open(p, "rb").read()); i = b.rindex(b"</"); b[i - 1:i] = b"#"; open(p, "wb").write(b)' \
	"$page1" "$(ls "$TMP"/inc-site/runs/*/*.svg | head -1)"
check_exit 0 "a rebuild over files rewritten to the same size" "$RUNSITE" build -q -j 2 "$TMP/inc" -o "$TMP/inc-site" --title "Other" --templates "$TMP/tpl"
fresh_equal "files rewritten in the old site" --title "Other" --templates "$TMP/tpl"

# An incremental build commits into the site in place: the site's folders
# stay the same folders, unchanged files keep their inode, a changed page
# is replaced, a deleted run's files go, and no staging folder is left.
manifest() { # manifest SITE: every entry's inode, type and path, every file's sha256
	(cd "$1" && find . -print0 | sort -z | xargs -0 stat -c '%i %F %n' &&
		find . -type f -print0 | sort -z | xargs -0 sha256sum)
}
inodes() { # inodes SITE: the inode and path of the site, its run and experiment pages and files
	(cd "$1" && stat -c '%i %n' . && find runs experiments -print0 | sort -z | xargs -0 stat -c '%i %n')
}
no_staging() { # no_staging DESCRIPTION
	if ls -d "$PS".tmp-* >/dev/null 2>&1; then fail "$1: a staging folder was left"; else ok; fi
}
P=$TMP/place
PS=$TMP/ps
cp -r sample-runs/mlruns "$P"
check_exit 0 "in place: a first build" "$RUNSITE" build -q -j 2 "$P" -o "$PS"
inodes "$PS" > "$TMP/place0.inodes"
check_exit 0 "in place: a rebuild with nothing changed" "$RUNSITE" build -q -j 2 "$P" -o "$PS"
inodes "$PS" > "$TMP/place1.inodes"
check "in place: the site, its folders, pages and charts keep their inodes" \
	cmp "$TMP/place0.inodes" "$TMP/place1.inodes"
no_staging "nothing changed"

R=$(ls -d "$P"/*/*/ | grep -v '/0/' | head -1)
R=${R%/}
RID=$(basename "$R")
page=$(grep -l "data-run-id=\"$RID\"" "$PS"/runs/*.html)
prel=${page#"$PS"/}
printf '\n\nChanged in place.\n' >> "$R/tags/mlflow.note.content"
check_exit 0 "in place: a rebuild after one run's notes changed" "$RUNSITE" build -q -j 2 "$P" -o "$PS"
inodes "$PS" > "$TMP/place2.inodes"
echo "$prel" > "$TMP/changed.want"
diff "$TMP/place1.inodes" "$TMP/place2.inodes" | grep '^[<>]' | sed 's/^[<>] [0-9]* //' | sort -u > "$TMP/changed.got"
check "in place: only that run's page has a new inode" cmp "$TMP/changed.want" "$TMP/changed.got"
check_grep "in place: the page shows the new notes" "Changed in place" "$page"
no_staging "notes changed"

# A build that fails while it writes (files over 8 KB refused: the changed
# pages) leaves the old site as it was, every file and inode.
printf '\n\nChanged again.\n' >> "$R/tags/mlflow.note.content"
manifest "$PS" > "$TMP/before.manifest"
check "in place: a build that cannot write its pages fails" sh -c "
	trap '' XFSZ; ulimit -f 16; ! '$RUNSITE' build -q -j 2 '$P' -o '$PS' 2>'$TMP/.err'"
check_grep "in place: it says why" "File too large" "$TMP/.err"
manifest "$PS" > "$TMP/after.manifest"
check "in place: the failed build left the site byte for byte and inode for inode" \
	cmp "$TMP/before.manifest" "$TMP/after.manifest"
no_staging "a failed build"

R0=$(ls -d "$P"/*/*/ | grep -v '/0/' | sed -n 2p)
R0=${R0%/}
rm -rf "$R"
check_exit 0 "in place: a rebuild after a run was deleted" "$RUNSITE" build -q -j 2 "$P" -o "$PS"
check "in place: the deleted run's page and chart folder are gone" \
	sh -c "test ! -e '$page' && test ! -e '${page%.html}'"
check "in place: nothing in the site names the deleted run" sh -c "! grep -rlq '$RID' '$PS'"
rm -rf "$TMP/pf"
"$RUNSITE" build -q --no-cache -j 1 "$P" -o "$TMP/pf"
check "in place: the site equals a fresh build" diff -r "$PS" "$TMP/pf"
no_staging "a run deleted"

# A commit killed half way (its marker left in the site) is never trusted:
# the next build makes the whole site and swaps it in, even over a page
# changed to the same size and time.
victim=$(ls "$PS"/runs/*.html | head -1)
"$PY" -c 'import sys
p = sys.argv[1]; b = bytearray(open(p, "rb").read()); i = b.rindex(b"</"); b[i - 1:i] = b"#"; open(p, "wb").write(b)' "$victim"
touch -r "$PS/.runsite-cache.sqlite" "$victim"
echo "left by a killed commit" > "$PS/.runsite-commit"
site_inode=$(stat -c %i "$PS")
check_exit 0 "a build after a commit was killed half way" "$RUNSITE" build -j 2 "$P" -o "$PS"
check_grep "it says it makes the whole site again" "makes the whole site again" "$TMP/.err"
check "the site was swapped in whole (a new folder)" test "$(stat -c %i "$PS")" != "$site_inode"
check "the marker is gone" test ! -e "$PS/.runsite-commit"
check "and the site equals a fresh build" diff -r "$PS" "$TMP/pf"
no_staging "after a killed commit"

# Signals at the second rename of a commit (strace injects them): SIGINT
# waits for the commit to end; SIGKILL leaves the marker, and the next
# build makes the whole site.
if strace -f -o /dev/null true 2>/dev/null; then
	at_rename() { # at_rename SIGNAL: a build with SIGNAL sent at its second rename
		strace -f -o /dev/null -e trace=rename,renameat,renameat2 \
			-e inject=rename,renameat,renameat2:signal="$1":when=2 \
			"$RUNSITE" build -q -j 2 "$P" -o "$PS" 2>"$TMP/.err"
	}
	printf '\n\nInterrupted.\n' >> "$R0/tags/mlflow.note.content"
	rm -rf "$TMP/pf"
	"$RUNSITE" build -q --no-cache -j 1 "$P" -o "$TMP/pf"
	at_rename INT
	check "SIGINT during a commit: exit 130 once it ended" test $? -eq 130
	check "SIGINT during a commit: the site is whole and new" diff -r "$PS" "$TMP/pf"
	no_staging "SIGINT during a commit"
	printf '\n\nKilled.\n' >> "$R0/tags/mlflow.note.content"
	rm -rf "$TMP/pf"
	"$RUNSITE" build -q --no-cache -j 1 "$P" -o "$TMP/pf"
	at_rename KILL
	check "SIGKILL during a commit: killed" test $? -eq 137
	check "SIGKILL during a commit: the marker is left" test -e "$PS/.runsite-commit"
	check_exit 0 "the build after a killed commit" "$RUNSITE" build -j 2 "$P" -o "$PS"
	check_grep "it makes the whole site again" "makes the whole site again" "$TMP/.err"
	check "the site equals a fresh build, without the marker" diff -r "$PS" "$TMP/pf"
	no_staging "after SIGKILL during a commit"
else
	skip "strace cannot run here: no signals sent during a commit"
fi
finish
