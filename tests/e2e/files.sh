#!/bin/sh
# files.sh — files that are not what they seem: an empty, text, binary or
# FIFO file given as a store says what is wrong with it; a FIFO or a link to
# /dev/urandom in place of a metrics file, and an unreadable MLflow run
# folder, are warned about by path, and nothing blocks.
. tests/e2e/lib.sh
GEN=../shared/bench/genruns.py
# Every runsite here is bounded: a reader blocked on a FIFO is a failure, not a hang.
rs() { timeout 60 "$RUNSITE" "$@"; }

cd "$TMP" || exit 1
: > empty.csv
echo "hello world" > text.csv
printf '\000\001\002binary' > data.bin
mkfifo fifo.csv
ln -s /dev/urandom random.csv
cd - >/dev/null || exit 1
for f in empty.csv text.csv data.bin fifo.csv random.csv; do
	for fmt in "" "--format csv"; do
		rs ls $fmt "$TMP/$f" > "$TMP/ls.out" 2> "$TMP/ls.err"
		rc=$?
		if [ $rc -eq 124 ]; then fail "ls $fmt $f blocked"; continue; fi
		if [ $rc -eq 3 ]; then ok; else fail "ls $fmt $f: exit $rc, want 3"; fi
	done
done
rs ls "$TMP/empty.csv" 2> "$TMP/e1" >/dev/null; check_grep "an empty file says so" "empty.csv: an empty file" "$TMP/e1"
rs ls "$TMP/text.csv" 2> "$TMP/e2" >/dev/null; check_grep "a text file says what reads it" "text.csv: a text file no reader knows.*--format csv" "$TMP/e2"
rs ls "$TMP/data.bin" 2> "$TMP/e3" >/dev/null; check_grep "binary data says so" "data.bin: .*binary data" "$TMP/e3"
rs ls --format csv "$TMP/fifo.csv" 2> "$TMP/e4" >/dev/null; check_grep "a FIFO says so" "fifo.csv: a FIFO, not a regular file" "$TMP/e4"
rs ls --format csv "$TMP/random.csv" 2> "$TMP/e5" >/dev/null; check_grep "a device says so" "random.csv: a character device, not a regular file" "$TMP/e5"

if [ ! -f "$GEN" ]; then
	skip "$GEN is not there: the store checks did not run"
	finish
	exit
fi
# Lightning: metrics.csv is a FIFO, then a link to /dev/urandom.
"$PY" "$GEN" --format lightning-csv --runs 1 --metrics 2 --steps 10 --out "$TMP/lt" -q --no-edge-cases
v="$TMP/lt/lightning_logs/version_0"
rm "$v/metrics.csv"
mkfifo "$v/metrics.csv"
rs ls "$TMP/lt" > /dev/null 2> "$TMP/e6"
if [ $? -eq 124 ]; then fail "a FIFO metrics.csv blocked"; else ok; fi
check_grep "a FIFO metrics.csv is warned about" "metrics.csv: a FIFO, not a regular file" "$TMP/e6"
rm "$v/metrics.csv"
ln -s /dev/urandom "$v/metrics.csv"
rs ls "$TMP/lt" > /dev/null 2> "$TMP/e7"
if [ $? -eq 124 ]; then fail "a /dev/urandom metrics.csv blocked"; else ok; fi
check_grep "a /dev/urandom metrics.csv is warned about" "metrics.csv: a character device" "$TMP/e7"

# MLflow: a metric file that is a FIFO.
"$PY" "$GEN" --format mlflow-file --runs 2 --metrics 2 --steps 10 --out "$TMP/ml" -q --no-edge-cases
m=$(ls -d "$TMP"/ml/mlruns/*/*/metrics | head -1)
mkfifo "$m/fifo_metric"
rs ls "$TMP/ml" > /dev/null 2> "$TMP/e8"
if [ $? -eq 124 ]; then fail "a FIFO metric file blocked"; else ok; fi
check_grep "a FIFO metric file is warned about" "fifo_metric: a FIFO, not a regular file" "$TMP/e8"
rm "$m/fifo_metric"

# An unreadable run folder (root reads everything: run as nobody).
if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null 2>&1; then
	chmod 755 "$TMP"
	chmod -R a+rX "$TMP/ml"
	run=$(dirname "$m")
	chmod 000 "$run"
	setpriv --reuid=65534 --regid=65534 --clear-groups "$RUNSITE" ls "$TMP/ml" > /dev/null 2> "$TMP/e9"
	check_grep "an unreadable run folder is warned about" "$(basename "$run").*Permission denied" "$TMP/e9"
	chmod 755 "$run"
	chmod 000 "$m"
	setpriv --reuid=65534 --regid=65534 --clear-groups "$RUNSITE" ls "$TMP/ml" > /dev/null 2> "$TMP/e10"
	check_grep "an unreadable metrics folder is warned about" "metrics: cannot list the folder: Permission denied" "$TMP/e10"
	chmod 755 "$m"
else
	skip "not root or no setpriv: the unreadable-folder checks did not run"
fi
finish
