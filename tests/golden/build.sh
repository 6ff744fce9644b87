#!/bin/sh
# build.sh OUT — builds the outputs the golden test pins, into OUT/<name>,
# and writes OUT/<name>.sha256 for each: one "sha256  path" line per file,
# sorted by path. Used by tests/e2e/golden.sh and tests/golden/update.sh.
#
#   sample          sample-runs/ as `make demo` builds it
#   sample-compare  the same with --baseline and --compare (compare pages)
#   export          `runsite export` of two runs (inline charts, SHA-256 manifest)
#   check           `runsite check` with its PNG overlays and JUnit file
#   corpus          every real tracker file in ../shared/corpus, as one site
#                   (left out, and said so, when that folder is not there)
#
# Every file is listed. The build cache (.runsite-cache.sqlite) is listed as
# a dump of its rows without the fingerprint column, under the name
# ".runsite-cache.sqlite[rows]": a fingerprint hashes the chart code itself
# (chart_code_id.h, made from src/chart/ by the Makefile), so it changes with
# any edit there by design while the charts stay the same. The runs the cache
# keeps (.runsite-runs/, named by a hash of their bytes) are listed as their
# count only: their encoding may change without any page changing; so are
# the files pages keep for the next build (.runsite-pages/: their rows'
# fingerprints hash this runsite binary).
set -u
OUT=$1
RUNSITE=${RUNSITE:-build/runsite}
CORPUS=${CORPUS:-../shared/corpus}
PY=${PY:-python3}
export LC_ALL=C.UTF-8 TZ=UTC
mkdir -p "$OUT"
rc=0

manifest() { # manifest NAME: hashes every file of OUT/NAME into OUT/NAME.sha256
	"$PY" - "$OUT/$1" > "$OUT/$1.sha256" <<'PYEOF' || rc=1
import hashlib, os, sqlite3, sys
root = sys.argv[1]
lines = []
for d, dirs, files in os.walk(root):
    if os.path.basename(d) == ".runsite-runs":
        lines.append("%064d  %s[%d runs]" % (0, os.path.relpath(d, root), len(files)))
        continue
    if os.path.basename(d) == ".runsite-pages":
        n = sum(len(fs) for _, _, fs in os.walk(d))
        lines.append("%064d  %s[%d files]" % (0, os.path.relpath(d, root), n))
        dirs[:] = []
        continue
    for f in files:
        p = os.path.join(d, f)
        rel = os.path.relpath(p, root)
        if f == ".runsite-cache.sqlite":
            db = sqlite3.connect("file:" + p + "?mode=ro", uri=True)
            cols = [c[1] for c in db.execute("PRAGMA table_info(charts)") if c[1] != "fingerprint"]
            rows = db.execute("SELECT %s FROM charts ORDER BY path" % ", ".join(cols)).fetchall()
            meta = db.execute("SELECT key, value FROM meta ORDER BY key").fetchall()
            db.close()
            h = hashlib.sha256(repr((cols, rows, meta)).encode()).hexdigest()
            rel += "[rows]"
        else:
            h = hashlib.sha256(open(p, "rb").read()).hexdigest()
        lines.append("%s  %s" % (h, rel))
for l in sorted(lines, key=lambda l: l[66:]):
    print(l)
PYEOF
}

run() { # run NAME command...: runs the command, reports a failure
	name=$1; shift
	if ! "$@" > "$OUT/$name.log" 2>&1; then
		echo "golden: $name: exit status $? from: $*" >&2; cat "$OUT/$name.log" >&2; rc=1
	fi
}

run sample "$RUNSITE" build -q sample-runs/ -o "$OUT/sample" --primary val/f1
manifest sample
run sample-compare "$RUNSITE" build -q sample-runs -o "$OUT/sample-compare" -j 1 \
	--goal 'val/f1:max' --baseline logreg-baseline-s1 \
	--compare mlp16-posw4-s3,logreg-posw4-s1,tag:stage=rebalance
manifest sample-compare
mkdir -p "$OUT/export"
run export "$RUNSITE" export -q sample-runs/mlruns --run logreg-baseline-s1 --run mlp16-posw4-s3 \
	-o "$OUT/export/handoff.html"
manifest export
# check exits 1 when a rule fails: this gate is meant to fail, to draw both outcomes.
"$RUNSITE" check -q sample-runs --baseline logreg-baseline-s1 --candidate logreg-lr0.005-s1 \
	--rule 'val/f1:max:0.01' --rule 'val/accuracy>=0.5' --rule 'val/loss:min:2%' \
	-o "$OUT/check" --junit "$OUT/check/junit.xml" > "$OUT/check.log" 2>&1
[ $? -eq 1 ] || { echo "golden: check: want exit status 1" >&2; cat "$OUT/check.log" >&2; rc=1; }
manifest check
if [ -d "$CORPUS" ]; then
	run corpus "$RUNSITE" build -q "$CORPUS" -o "$OUT/corpus"
	manifest corpus
else
	echo "golden: $CORPUS not found: the corpus site is not built" >&2
fi
exit $rc
