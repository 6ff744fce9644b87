#!/bin/sh
# incremental.sh — a run added to (or changed in) a large experiment: the
# pages made again take what did not change from their last files (the
# rows of the other runs, the other runs' means in the overlays' grey
# bands) instead of reading every run again, and the site is still
# byte-identical to a --no-cache build of the same store.
. tests/e2e/lib.sh
L=$TMP/lightning_logs
LS=$TMP/site
# 25 runs, one metric each, no seed groups (each its own lr): the overlay
# draws the best 10 and the other 15 as a band.
"$PY" - "$L" <<'EOF'
import math, os, sys
root = sys.argv[1]
for v in range(25):
    d = os.path.join(root, "version_%d" % v)
    os.makedirs(d)
    with open(os.path.join(d, "hparams.yaml"), "w") as f:
        f.write("lr: %g\n" % (0.001 * (v + 1)))
    with open(os.path.join(d, "metrics.csv"), "w") as f:
        f.write("step,loss\n")
        for i in range(300):
            f.write("%d,%r\n" % (i, (1 + 0.05 * v) / (1 + 0.01 * i) + 0.02 * math.sin(i * (v + 1))))
EOF
taken() { # taken WHAT N M: the last build took N of WHAT from the last files and made M
	grep -q "^$1 taken from the last build: $2; [a-z]*: $3\$" "$TMP/.err"
}
same() { # same DESCRIPTION: the site equals a --no-cache build of the store
	rm -rf "$TMP/fresh"
	"$RUNSITE" build -q --no-cache -j 1 "$L" -o "$TMP/fresh"
	check "$1: the site is byte-identical to a --no-cache build" diff -r "$LS" "$TMP/fresh"
}
check_exit 0 "a first build" env RUNSITE_PHASES=1 "$RUNSITE" build -q -j 2 "$L" -o "$LS"
check "it took no rows (index and experiment: 25 each)" taken rows 0 50
check "and binned every band run's means" taken "band means" 0 15
same "a first build"

# A run added, worse than every other (so not among the best 10).
mkdir "$L/version_25"
printf 'lr: 0.5\n' > "$L/version_25/hparams.yaml"
"$PY" -c 'print("step,loss"); [print("%d,%r" % (i, 9 - 0.001 * i)) for i in range(300)]' \
	> "$L/version_25/metrics.csv"
check_exit 0 "a rebuild after a run was added" env RUNSITE_PHASES=1 "$RUNSITE" build -q -j 2 "$L" -o "$LS"
check "the rows of the other runs were taken, the added run's made (twice)" taken rows 50 2
check "the band took the other runs' means, binned the added run's" taken "band means" 15 1
same "one run added"

# A value changed in a band run (its steps as they were): its row and its
# means are made again.
sed -i 's/^100,.*/100,9.5/' "$L/version_24/metrics.csv"
check_exit 0 "a rebuild after a value was changed" env RUNSITE_PHASES=1 "$RUNSITE" build -q -j 2 "$L" -o "$LS"
check "only that run's rows were made" taken rows 50 2
check "only that run's means were binned" taken "band means" 15 1
same "a value changed"

# A point appended: the band's bins span more steps, every mean is binned again.
printf '300,9.5\n' >> "$L/version_24/metrics.csv"
check_exit 0 "a rebuild after a point was appended" env RUNSITE_PHASES=1 "$RUNSITE" build -q -j 2 "$L" -o "$LS"
check "every run's means were binned" taken "band means" 0 16
same "a point appended"

# A band file damaged in the old site (same size, written later) is not
# trusted: every run's means are binned again.
b=$(ls "$LS"/.runsite-pages/bands/experiments/*/band-* | head -1)
check "the band has its file" test -f "$b"
dd if=/dev/zero of="$b" bs=1 count=8 seek=200 conv=notrunc 2>/dev/null
touch -d '+1 hour' "$b"
sed -i 's/^100,.*/100,9.25/' "$L/version_24/metrics.csv"
check_exit 0 "a rebuild after the band file was changed" env RUNSITE_PHASES=1 "$RUNSITE" build -q -j 2 "$L" -o "$LS"
check "no means were taken from it" taken "band means" 0 16
same "a band file changed"

# Nothing changed: the pages are the last build's, nothing made.
check_exit 0 "a rebuild with nothing changed" env RUNSITE_PHASES=1 "$RUNSITE" build -q -j 2 "$L" -o "$LS"
check "no rows made" taken rows 0 0
same "nothing changed"
finish
