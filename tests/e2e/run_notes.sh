#!/bin/sh
# run_notes.sh — a notes.md beside a run's logs (a Lightning version_N/
# folder, a TensorBoard run folder) is that run's notes: rendered on its run
# page, redacted like any notes, read again when edited in place (the
# folder's time does not change then), and an oversized one, or one that is
# not a regular file, is a warning naming it while the run is still built.
. tests/e2e/lib.sh
L=$TMP/light/lightning_logs
mkdir -p "$L/version_0" "$L/version_1"
for v in 0 1; do
	printf 'epoch,step,loss\n0,0,1.0\n0,1,0.5\n0,2,0.25\n' > "$L/version_$v/metrics.csv"
	printf 'lr: 0.1\n' > "$L/version_$v/hparams.yaml"
done
printf '# Warm-up run\n\n| metric | value |\n|---|---:|\n| loss | 0.25 |\n\nkey AKIAQWERTYUIOPASDFGH\n' \
	> "$L/version_0/notes.md"

check_exit 0 "a Lightning store with notes.md builds" "$RUNSITE" build -q "$TMP/light" -o "$TMP/s"
page=$(grep -l "Warm-up run" "$TMP"/s/runs/*.html 2>/dev/null | head -1)
check "notes.md is shown on its run's page" test -n "$page"
[ -n "$page" ] || page=/dev/null
check_grep "as Markdown: its table rendered" "<table>" "$page"
check "a secret in notes.md is redacted" sh -c "! grep -q QWERTYUIOPASDFGH '$TMP'/s/runs/*.html"
check_grep "and a placeholder says where" "redacted" "$page"

# Edited in place: the same folder listing, another file.
touch -r "$L/version_0" "$TMP/dirtime"
printf '# Cool-down run\n\nThe learning rate falls to zero over the last ten steps of this run.\n' > "$L/version_0/notes.md.new"
cat "$L/version_0/notes.md.new" > "$L/version_0/notes.md"
rm "$L/version_0/notes.md.new"
touch -r "$TMP/dirtime" "$L/version_0"
check_exit 0 "rebuilt after notes.md was edited in place" "$RUNSITE" build -q "$TMP/light" -o "$TMP/s"
check "the edited notes are shown" sh -c "grep -q 'Cool-down run' '$TMP'/s/runs/*.html"
check "the old notes are gone" sh -c "! grep -q 'Warm-up run' '$TMP'/s/runs/*.html"

# Every page made again (another title) from runs the run cache gives back:
# their notes come back from the build's scratch file.
check_exit 0 "rebuilt with another title" "$RUNSITE" build -q "$TMP/light" -o "$TMP/s" --title Other
check "a run from the run cache still shows its notes" \
	sh -c "grep -q 'Cool-down run' '$TMP'/s/runs/*.html && grep -q '<title>.*Other' '$TMP'/s/runs/*.html"
rm -rf "$TMP/fresh"
"$RUNSITE" build -q "$TMP/light" -o "$TMP/fresh" --title Other --no-cache
check "and the site equals a build without the cache" \
	diff -r -x '.runsite-*' "$TMP/s" "$TMP/fresh"

# Over the size limit: a warning naming the file, the run still there.
head -c 4194305 /dev/zero | tr '\0' 'a' > "$L/version_1/notes.md"
"$RUNSITE" build "$TMP/light" -o "$TMP/s2" > /dev/null 2> "$TMP/big.err"
check "an oversized notes.md: the build goes on" test -f "$TMP/s2/index.html"
check_grep "the warning names the file" "version_1/notes.md.*notes larger than 4 MiB" "$TMP/big.err"
check "the run is on the site" sh -c "ls '$TMP'/s2/runs/ | grep -q version_1"

# Not a regular file (a FIFO would wait for a writer; a folder): not opened,
# a warning naming it, the run built.
rm "$L/version_1/notes.md"
mkfifo "$L/version_1/notes.md"
timeout 60 "$RUNSITE" build "$TMP/light" -o "$TMP/s3" > /dev/null 2> "$TMP/fifo.err"
check "a FIFO notes.md: the build ends" test -f "$TMP/s3/index.html"
check_grep "the warning names it" "version_1/notes.md.*a FIFO, not a regular file; left out" "$TMP/fifo.err"
rm "$L/version_1/notes.md"
mkdir "$L/version_1/notes.md"
"$RUNSITE" build "$TMP/light" -o "$TMP/s4" > /dev/null 2> "$TMP/dir.err"
check_grep "a folder named notes.md: a warning names it" "version_1/notes.md.*a folder, not a regular file; left out" "$TMP/dir.err"
check "the run is on the site" sh -c "ls '$TMP'/s4/runs/ | grep -q version_1"

# A TensorBoard run folder: notes.md beside the event files.
T=$TMP/tb
mkdir -p "$T"
cp -r tests/corpus/tfevents/tensorboard-reducer-torch/tests/runs "$T/runs"
run=$(find "$T/runs" -name 'events.out.tfevents*' | head -1)
printf 'Tried **strict** mode.\n' > "$(dirname "$run")/notes.md"
check_exit 0 "a TensorBoard store with notes.md builds" "$RUNSITE" build -q "$T/runs" -o "$TMP/t"
check "notes.md is shown on the TensorBoard run's page" \
	sh -c "grep -q 'Tried <strong>strict</strong> mode' '$TMP'/t/runs/*.html"
finish
