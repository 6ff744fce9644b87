#!/bin/sh
# rebuild_calls.sh — an unchanged rebuild asks the file system little per
# run: discovery lists each folder once and answers every reader's probe
# from that listing (no stat per name a probe looks for, no realpath per
# folder), so the system calls naming a run's files stay a small, fixed
# number. Counted with strace; no timing.
. tests/e2e/lib.sh

if ! strace -f -o /dev/null true 2>/dev/null; then
	skip "strace cannot run here: system calls per run not counted"
	finish
	exit $?
fi

# A Lightning store of N version folders beside a TensorBoard-less sibling.
N=40
ST=$TMP/store
mkdir -p "$ST/lightning_logs"
i=0
while [ $i -lt $N ]; do
	d=$ST/lightning_logs/version_$i
	mkdir -p "$d"
	printf 'lr: 0.0%d\nbatch: 32\n' "$i" > "$d/hparams.yaml"
	{
		echo "epoch,step,train/loss,val/loss"
		s=0
		while [ $s -lt 5 ]; do echo "0,$s,0.$((9 - s))$i,0.$((8 - s))$i"; s=$((s + 1)); done
	} > "$d/metrics.csv"
	i=$((i + 1))
done
SITE=$TMP/site
check_exit 0 "a first build" "$RUNSITE" build -q "$ST" -o "$SITE"

# The rebuild, traced: every call that names a path (stat, open, readlink, ...).
# One file per thread (-ff): with one file for all, a call another thread
# interrupts is split over two lines and its result is not on the line
# naming the path, so failed calls were undercounted at random.
strace -f -ff -qq -e trace=%file -o "$TMP/trace" "$RUNSITE" build -q "$ST" -o "$SITE" \
        >/dev/null 2>"$TMP/err"
cat "$TMP"/trace.* > "$TMP/calls"
check "the traced rebuild succeeds" grep -q . "$TMP/calls"
store_calls=$(grep -c "\"$ST/lightning_logs/version_" "$TMP/calls")
readlinks=$(grep -c "^[0-9]* *readlink(\"$ST" "$TMP/calls")
failed_stats=$(grep "\"$ST/lightning_logs/version_" "$TMP/calls" | grep -c 'stat.*= -1 ENOENT')
echo "    per run: $((store_calls / N)) calls naming its files, $((readlinks / N)) readlink," \
     "$((failed_stats / N)) stat of a missing name"
# Reading a kept run stats the handful of files it is read from; discovery
# adds one listing and the header read of metrics.csv. Each reader probing
# each folder by name was over 40 calls a run.
check "at most 16 calls a run name its files ($store_calls for $N runs)" \
        test "$store_calls" -le $((16 * N))
check "discovery resolves no run folder's real path ($readlinks readlink calls)" \
        test "$readlinks" -lt "$N"
# The only missing names asked of are the run cache's: it fingerprints
# every file a run may be read from, so meta_tags.csv, notes.md and
# checkpoints/ count as absent. A reader probing for its own files (an
# MLflow meta.yaml, a trainer_state.json, ...) is answered by the listing.
probe_misses=$(grep "\"$ST/lightning_logs/version_" "$TMP/calls" | grep 'stat.*= -1 ENOENT' |
        grep -v -c -e '/meta_tags.csv"' -e '/notes.md"' -e '/checkpoints"')
check "no probe stats a name its folder's listing does not hold ($probe_misses)" \
        test "$probe_misses" -eq 0
check "the run cache stats at most its 3 optional files a run ($failed_stats)" \
        test "$failed_stats" -le $((3 * N))

# Answered from listings, detection is what it was: the same runs are read.
check "the rebuild has a page for every run" test "$(ls "$SITE"/runs/*.html | wc -l)" -eq "$N"
finish
