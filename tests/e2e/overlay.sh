#!/bin/sh
# overlay.sh — experiment overlays are drawn from every point of the runs on
# them (kept in a scratch file while the store is read), not from the small
# decimated copy each run keeps: an MLflow store of two runs of 6,000 steps.
. tests/e2e/lib.sh
# The three MLflow file stores below: one experiment each, every run a loss series.
"$PY" - "$TMP/mlruns" "$TMP/many" "$TMP/long" <<'EOF'
import math, os, sys

def store(root, name, runs, steps, value):
    """runs: (run id, run name) pairs; value(k, s): run k's loss at step s."""
    exp = os.path.join(root, "1")
    os.makedirs(exp)
    with open(os.path.join(exp, "meta.yaml"), "w") as f:
        f.write("artifact_location: file:///tmp\nexperiment_id: '1'\nlifecycle_stage: active\n"
                "name: %s\n" % name)
    for k, (rid, rname) in enumerate(runs):
        run = os.path.join(exp, rid)
        os.makedirs(os.path.join(run, "metrics"))
        with open(os.path.join(run, "meta.yaml"), "w") as f:
            f.write("artifact_uri: file:///tmp\nend_time: 1700000600000\nexperiment_id: '1'\n"
                    "lifecycle_stage: active\nrun_id: %s\nrun_name: %s\nstart_time: 1700000000000\n"
                    "status: 3\nuser_id: me\n" % (rid, rname))
        with open(os.path.join(run, "metrics", "loss"), "w") as f:
            for s in range(steps):
                f.write("%d %r %d\n" % (1700000000000 + s, value(k, s), s))

# two runs of 6,000 steps
store(sys.argv[1], "overlay", [("a" * 32, "run-0"), ("b" * 32, "run-1")], 6000,
      lambda k, s: 2 * math.exp(-s / 1500) + 0.05 * math.sin(s * (1.3 + k)) + 0.01 * (s % 7))
# 25 runs, the last gone to 1e6 half way
store(sys.argv[2], "many", [("%032x" % (k + 1), "run-%02d" % k) for k in range(25)], 100,
      lambda k, s: 1e6 if k == 24 and s >= 50 else 1 + k / 25 - s / 200)
# two runs of 70,000 steps (for the run cache's kept points, below)
store(sys.argv[3], "long", [("%032x" % (k + 1), "long-%d" % k) for k in range(2)], 70000,
      lambda k, s: 1 + k + (s % 101) / 100)
EOF
check_exit 0 "a store of two 6,000-step runs builds" "$RUNSITE" build -q "$TMP/mlruns" -o "$TMP/site"
check_grep "the overlay is drawn from all 12,000 points" "loss for 2 runs.* of 12,000 points drawn" \
	"$TMP/site/experiments/overlay.html"
check "each run chart from its 6,000" sh -c "grep -l 'of 6,000 points drawn' '$TMP'/site/runs/*.html | wc -l | grep -qx 2"
check "no scratch folder is left in the site" test ! -e "$TMP/site/.spill"
# A run of long series that the run cache keeps has its points (70,000,
# 1,120,000 bytes as chart points) in its kept file already: the overlay
# reads them back from there, and the build folder's scratch file gets no
# second copy of them.
if command -v strace >/dev/null; then
	# One file per thread: a call split by another thread's loses its result.
	strace -f -ff -qq -e trace=openat,pwrite64 -o "$TMP/spill" \
		"$RUNSITE" build -q -j 1 --no-cache "$TMP/long" -o "$TMP/site-traced"
	cat "$TMP"/spill.* > "$TMP/spill.trace"
	check_grep "the traced build draws the overlay from all 140,000 points" \
		"loss for 2 runs.* of 140,000 points drawn" "$TMP/site-traced/experiments/long.html"
	"$PY" - "$TMP/spill.trace" > "$TMP/spill.bytes" <<'EOF'
import re, sys
lines = open(sys.argv[1]).read().splitlines()  # threads' files one after another
fds = {m.group(1) for m in (re.search(r'openat\(.*/\.decimated".*\) = (\d+)$', l) for l in lines) if m}
total = 0
for line in lines:
    m = re.search(r'pwrite64\((\d+),.*\) = (\d+)$', line)
    if m and m.group(1) in fds:
        total += int(m.group(2))
print(total)
EOF
	check "the scratch file holds no run's points ($(cat "$TMP/spill.bytes") bytes written to it)" \
		test "$(cat "$TMP/spill.bytes")" -lt 1120000
else
	skip "strace not installed: the scratch file's bytes are not counted"
fi
check "nor beside it" sh -c "! ls -d '$TMP'/site.tmp-* 2>/dev/null"

# Past 20 runs the others are drawn grey as their median and middle 80%: one
# run of 25 that diverged to 1e6 sets neither the band nor the y axis.
check_exit 0 "a store of 25 runs, one diverged, builds" "$RUNSITE" build -q "$TMP/many" -o "$TMP/msite"
check_grep "the other 15 are drawn grey, as their median and middle 80%" \
	'the other 15 (median, middle 80%)' "$TMP/msite/experiments/many/loss.svg"
check "the diverged run does not set the y axis (every tick below 1,000)" "$PY" -c "
import re, sys
scale = {'': 1, 'k': 1e3, 'M': 1e6, 'G': 1e9}
svg = open(sys.argv[1]).read()
ticks = [float(n.replace(',', '')) * scale[u] for n, u in
         re.findall(r'>(-?[0-9][0-9,]*[.]?[0-9]*(?:e[-+]?[0-9]+)?)([kMG]?)</text>', svg)]
sys.exit(0 if ticks and max(ticks) < 1000 else 1)" "$TMP/msite/experiments/many/loss.svg"

# The grey band of every metric of an overlay is made in one pass over the
# runs: a run taken from the run cache that is grey in each has its file
# read for the band once, whatever the number of metrics (it was read twice
# a metric). Stores of 25 runs with 1 and with 4 metrics, each built, one
# run added, and rebuilt under strace: the fewest reads of a kept run's
# file are the same in both, and each site equals a --no-cache build.
# In a third store a grey run ends one step after the others, with NaN:
# the summaries do not give that band's x range, and it is drawn the slow
# way (each grey run read once more).
"$PY" - "$TMP/grey1" "$TMP/grey4" "$TMP/grey0" <<'EOF'
import os, sys

def store(root, metrics, nan=None):
    exp = os.path.join(root, "1")
    os.makedirs(exp)
    with open(os.path.join(exp, "meta.yaml"), "w") as f:
        f.write("artifact_location: file:///tmp\nexperiment_id: '1'\nlifecycle_stage: active\n"
                "name: grey\n")
    for k in range(26):
        rid = "%032x" % (k + 1)
        run = os.path.join(exp, rid if k < 25 else "added")
        os.makedirs(os.path.join(run, "metrics"))
        with open(os.path.join(run, "meta.yaml"), "w") as f:
            f.write("artifact_uri: file:///tmp\nend_time: 1700000600000\nexperiment_id: '1'\n"
                    "lifecycle_stage: active\nrun_id: %s\nrun_name: run-%02d\n"
                    "start_time: 1700000000000\nstatus: 3\nuser_id: me\n" % (rid, k))
        for i, m in enumerate(metrics):
            with open(os.path.join(run, "metrics", m), "w") as f:
                for s in range(101 if k == nan else 100):
                    v = float("nan") if s == 100 else (i + 1) * (1 + k / 25 - s / 200)
                    f.write("%d %r %d\n" % (1700000000000 + s, v, s))

store(sys.argv[1], ["m0"])
store(sys.argv[2], ["m0", "m1", "m2", "m3"])
store(sys.argv[3], ["m0"], nan=20)
EOF
if command -v strace >/dev/null; then
	for n in 1 4 0; do
		st=$TMP/grey$n
		mv "$st/1/added" "$TMP/added$n"
		check_exit 0 "a store of 25 runs ($n) builds" "$RUNSITE" build -q -j 2 "$st" -o "$TMP/gsite$n"
		mv "$TMP/added$n" "$st/1/$(printf '%032x' 26)"
		strace -f -qq -e trace=openat -o "$TMP/grey$n.trace" "$RUNSITE" build -q -j 2 "$st" -o "$TMP/gsite$n" 2>/dev/null
		check_grep "$n: the overlay has the other runs' band" 'the other 16 (median, middle 80%)' \
			"$TMP/gsite$n/experiments/grey/m0.svg"
		grep O_RDONLY "$TMP/grey$n.trace" | grep -o '[.]runsite-runs/[^"]*' | sort | uniq -c | sort -n |
			awk 'NR == 1 {print $1}' > "$TMP/fewest$n"
		"$RUNSITE" build -q --no-cache "$st" -o "$TMP/gfresh$n"
		check "$n, one run added: the site equals a --no-cache build" \
			diff -r -x .runsite-runs -x '.runsite-cache*' "$TMP/gsite$n" "$TMP/gfresh$n"
	done
	check "a grey run's kept file is opened as often with 4 metrics as with 1 ($(cat "$TMP/fewest4") and $(cat "$TMP/fewest1") times)" \
		sh -c "test -s '$TMP/fewest1' && cmp '$TMP/fewest1' '$TMP/fewest4'"
else
	skip "strace not installed: how often a kept run's file is read is not checked"
fi
finish
