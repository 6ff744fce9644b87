#!/bin/sh
# trackers.sh — W&B run folders and ClearML offline sessions: ls --json agrees
# with an independent reader (tests/tools/tracker_ref.py) on every sample (the
# copied corpus, the shared one when present, written ones, sample-runs/);
# cut and corrupt .wandb files are read up to / around the damage and say so;
# a run folder without its .wandb falls back to files/; zips with path
# traversal or bomb sizes are refused; pages, compare, check and export work.
. tests/e2e/lib.sh
W="$PY tests/tools/wandb_write.py"
REF="$PY tests/tools/tracker_ref.py"

# agrees KIND STORE: ls --json of STORE equals the reference reader's
agrees() {
	"$RUNSITE" ls --json -q "$2" >"$TMP/ls.json" 2>/dev/null
	check "ls --json agrees with an independent reader: $2" $REF "$1" "$2" "$TMP/ls.json"
}

for s in tests/corpus/wandb/*/; do agrees wandb "$s"; done
if [ -d "$CORPUS/wandb" ]; then
	for s in "$CORPUS"/wandb/*/wandb "$CORPUS"/wandb/*/tests/assets/wandb; do agrees wandb "$s"; done
else
	skip "$CORPUS/wandb not found: real W&B files of other SDK versions not checked"
fi

# Written runs: legacy keys and wandb-core's nested_key, a record split over
# three blocks (FIRST, MIDDLE, LAST), a failed exit, groups.
$W "$TMP/legacy" --rows 300 --keys 6 --big-value 70000 >/dev/null
agrees wandb "$TMP/legacy/wandb"
$W "$TMP/nested" --rows 120 --nested --exit-code 3 >/dev/null
agrees wandb "$TMP/nested/wandb"
"$RUNSITE" ls --json -q "$TMP/nested/wandb" >"$TMP/n.json"
check_grep "a non-zero exit code is FAILED" '"status":"FAILED"' "$TMP/n.json"
check_grep "define_metric's goal is kept" '"wandb.goal.val/f1":"max"' "$TMP/n.json"
for seed in 1 2 3; do
	$W "$TMP/groups" --rows 20 --group couch-lr --seed $seed --id g$seed >/dev/null
done
agrees wandb "$TMP/groups/wandb"
"$RUNSITE" ls --json -q "$TMP/groups/wandb" >"$TMP/g.json"
check_grep "the group is shown" '"wandb.group":"couch-lr"' "$TMP/g.json"
check_grep "the job type is shown" '"wandb.job_type":"train"' "$TMP/g.json"
check_grep "three runs of one store" '"runs":\[' "$TMP/g.json"
rm -rf "$TMP/gsite"
"$RUNSITE" build -q "$TMP/groups" -o "$TMP/gsite" >/dev/null 2>&1
check "the W&B group with its seed param forms a seed group" \
	grep -rlq 'id="seeds-table"' "$TMP/gsite/experiments"

# Cut: the last record is read up to the cut, and a note says so.
$W "$TMP/cut" --rows 200 --cut 5 --no-exit >/dev/null
agrees wandb "$TMP/cut/wandb"
"$RUNSITE" ls "$TMP/cut/wandb" >/dev/null 2>"$TMP/cut.err"
check_grep "a cut log is noted" "the log is cut here" "$TMP/cut.err"
"$RUNSITE" ls --json -q "$TMP/cut/wandb" >"$TMP/c.json"
check_grep "a run without an exit record is UNKNOWN" '"status":"UNKNOWN"' "$TMP/c.json"

# Corrupt: two damaged blocks are skipped to the next block, counted, warned about.
$W "$TMP/bad" --rows 3000 --corrupt 40000 --corrupt 100000 >/dev/null
agrees wandb "$TMP/bad/wandb"
"$RUNSITE" ls "$TMP/bad/wandb" >/dev/null 2>"$TMP/bad.err"
check_grep "a corrupt chunk is warned about at its offset" "@.*corrupt chunk (checksum mismatch); skipped to the next 32 KiB block" "$TMP/bad.err"
check_grep "what was lost is counted" "2 corrupt stretches: .* bytes skipped" "$TMP/bad.err"
"$RUNSITE" ls --json -q "$TMP/bad/wandb" >"$TMP/b.json"
check "rows after the damage are read" $PY -c '
import json, sys
r = json.load(open(sys.argv[1]))["runs"][0]
c = r["metrics"]["val/f1"]["count"]
assert 2000 < c < 3000, c
assert r["status"] == "FINISHED"' "$TMP/b.json"

# No .wandb: files/ only, and a warning says what is missing.
$W "$TMP/nolog" --rows 10 --seed 7 >/dev/null
rm "$TMP"/nolog/wandb/run-*/run-*.wandb
"$RUNSITE" ls --json "$TMP/nolog/wandb" >"$TMP/nl.json" 2>"$TMP/nl.err"
check_grep "a missing .wandb is named" "no run-\*.wandb file: read files/ only" "$TMP/nl.err"
check_grep "config.yaml gives the params" '"seed":"7"' "$TMP/nl.json"
check_grep "wandb-summary.json gives the summary" '"final_note"' "$TMP/nl.json"
agrees wandb "$TMP/nolog/wandb"

# ClearML: the sample sessions, folder and zip.
for s in sample-runs/clearml/*; do agrees clearml "$s"; done
"$RUNSITE" ls --json -q sample-runs/clearml >"$TMP/cm.json"
check_grep "the zipped session is FINISHED" '"status":"FINISHED"' "$TMP/cm.json"
check_grep "the open session folder is RUNNING" '"status":"RUNNING"' "$TMP/cm.json"
check_grep "scalars are metric/variant" '"val/f1":{' "$TMP/cm.json"
check_grep "hyperparams are section/name" '"General/lr":"0.1"' "$TMP/cm.json"
check_grep "the zip's artifact is listed" 'confusion_matrix.json' "$TMP/cm.json"
$PY - "$TMP" <<'EOF'
import io, os, sys, zipfile
t = sys.argv[1]
src = [f for f in os.listdir("sample-runs/clearml") if f.endswith(".zip")][0]
good = zipfile.ZipFile(os.path.join("sample-runs/clearml", src))
for name, extra in (("trav", ("../../etc/evil", b"x")), ("abs", ("/tmp/evil", b"x")),
                    ("bomb", ("data/zeros.bin", b"\0" * (64 << 20)))):
    with zipfile.ZipFile(os.path.join(t, name + ".zip"), "w", zipfile.ZIP_DEFLATED) as z:
        for n in good.namelist():
            z.writestr(n, good.read(n))
        z.writestr(extra[0], extra[1])
EOF
for z in trav abs bomb; do
	check_exit 3 "a zip with a $z entry is refused (nothing read)" "$RUNSITE" ls "$TMP/$z.zip"
	"$RUNSITE" ls "$TMP/$z.zip" >/dev/null 2>"$TMP/z.err"
	case $z in bomb) want="zip bomb" ;; *) want="path traversal" ;; esac
	check_grep "the $z zip is refused with the reason" "zip refused: .*$want" "$TMP/z.err"
done

# The sessions are what scripts/make_clearml_session.py writes, byte for byte.
if /usr/bin/python3 -c 'import numpy' 2>/dev/null; then
	/usr/bin/python3 scripts/make_clearml_session.py --out "$TMP/regen" -q
	check "regenerated ClearML sessions equal sample-runs/clearml" diff -r sample-runs/clearml "$TMP/regen/clearml"
else
	skip "/usr/bin/python3 has no numpy: ClearML sessions not regenerated"
fi

# Pages, compare, check and export, as for MLflow.
rm -rf "$TMP/site"
check "a site of sample-runs with the ClearML sessions" "$RUNSITE" build -q sample-runs -o "$TMP/site"
check "its pages and links" "$BUILD/tools/sitecheck" "$TMP/site"
check "a run page for the zipped ClearML session" sh -c "grep -l 'mlp16-posw4-lr0.1-s1' '$TMP'/site/runs/*.html"
rm -rf "$TMP/wsite"
check "a site of a W&B store" "$RUNSITE" build -q "$TMP/legacy" "$TMP/bad" -o "$TMP/wsite"
check "its pages and links" "$BUILD/tools/sitecheck" "$TMP/wsite"
check_exit 0 "check gates ClearML runs" "$RUNSITE" check -q sample-runs/clearml \
	--baseline mlp16-posw4-lr0.1-s1 --candidate mlp16-posw4-lr0.1-s2 --rule 'val/f1:max:0.5' -o "$TMP/gate-pass"
check_exit 1 "check fails a ClearML regression" "$RUNSITE" check -q sample-runs/clearml \
	--baseline mlp16-posw4-lr0.1-s1 --candidate mlp16-posw4-lr0.1-s2 --rule 'val/f1>=0.99' -o "$TMP/gate-fail"
check_exit 0 "export of a W&B run" "$RUNSITE" export -q "$TMP/groups" --run g1 -o "$TMP/w.html"
check_exit 0 "export of a ClearML run" "$RUNSITE" export -q sample-runs/clearml \
	--run mlp16-posw4-lr0.1-s1 -o "$TMP/c.html"
rm -rf "$TMP/csite"
check "compare pages for W&B runs" "$RUNSITE" build -q "$TMP/groups" -o "$TMP/csite" --baseline g1 --compare g2
check "a compare page was written" sh -c "ls '$TMP'/csite/compare/*.html"
"$RUNSITE" ls "$TMP/groups" sample-runs/clearml >"$TMP/ls.txt" 2>&1
check_grep "ls names the W&B store" "wandb store" "$TMP/ls.txt"
check_grep "ls names the ClearML stores" "clearml store" "$TMP/ls.txt"
finish
