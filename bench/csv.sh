#!/bin/sh
# bench/csv.sh — points per second of the Lightning CSV reader on the
# genruns.py lightning-csv "sweep" data, against Python's csv module reading
# the same files (bench/py_csv_peer.py, Debian's /usr/bin/python3).
#   sh bench/csv.sh [DATA_DIR]      (default /tmp/bench/sweep-lightning-csv)
# The data is generated when missing (about 18 s). Each side runs 3 times
# after one warm-up read (page cache warm); the best time counts.
set -eu
DATA=${1:-${TMPDIR:-/tmp}/bench/sweep-lightning-csv}
GEN=../shared/bench/genruns.py
BUILD=${BUILD:-build}
if [ ! -d "$DATA/lightning_logs" ]; then
	echo "generating $DATA"
	mkdir -p "$(dirname "$DATA")"
	/usr/bin/python3 "$GEN" --format lightning-csv --size sweep --out "$DATA" >/dev/null
fi
# The library objects, exactly as the Makefile lists them.
LIBOBJ=$(ls src/*.c src/readers/*.c src/chart/*.c src/site/*.c 2>/dev/null | grep -v '^src/main\.c$' |
	sed "s|^|$BUILD/|; s|\.c$|.o|")
make -s $LIBOBJ "$BUILD/embedded.o" >/dev/null
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# A tiny driver that calls the reader the way `runsite build` does, with
# decimation on, and times only the read.
cat >"$tmp/drv.c" <<'C'
#include <stdio.h>
#include <time.h>
#include "runsite/reader.h"
extern const struct reader reader_lightning_csv;
static unsigned long long points;
static int take(void *ctx, struct run *r)
{
	for (size_t i = 0; i < r->nmetrics; i++)
		points += r->metrics[i].sum.count;
	run_free(r);
	return 1;
}
int main(int argc, char **argv)
{
	struct reader_opts o = {false, 500};
	struct run_sink s = {NULL, NULL, take};
	double best = 1e9;
	for (int k = 0; k < 4; k++) {
		struct timespec a, b;
		points = 0;
		clock_gettime(CLOCK_MONOTONIC, &a);
		long n = reader_lightning_csv.read(argv[1], &o, &s);
		clock_gettime(CLOCK_MONOTONIC, &b);
		double dt = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
		if (k > 0 && dt < best)
			best = dt;
		if (n < 0)
			return 1;
	}
	printf("runs read, points %llu seconds %.3f points_per_second %.0f\n", points, best,
	       (double)points / best);
	return 0;
}
C
cc -O2 -Iinclude -o "$tmp/drv" "$tmp/drv.c" $LIBOBJ "$BUILD/embedded.o" \
	$(pkg-config --libs $(sed -n 's/^PKGS *= *//p' Makefile)) -lm -lpthread
c_out=$("$tmp/drv" "$DATA/lightning_logs")
py_best=
for k in 1 2 3; do
	out=$(/usr/bin/python3 bench/py_csv_peer.py "$DATA/lightning_logs")
	s=$(echo "$out" | sed -E 's/.*seconds ([0-9.]+).*/\1/')
	if [ -z "$py_best" ] || [ "$(echo "$s < $py_best" | bc)" = 1 ]; then py_best=$s; py_out=$out; fi
done
c_s=$(echo "$c_out" | sed -E 's/.*seconds ([0-9.]+).*/\1/')
echo "runsite lightning-csv: $c_out"
echo "python csv module:     $py_out"
echo "speed-up: $(echo "scale=1; $py_best / $c_s" | bc)x (goal: at least 20x)"
# The whole command as a user runs it: discovery finds 500 version folders,
# read on worker threads and reported in order (--jobs, default the CPU count).
ls_best=
for k in 1 2 3; do
	/usr/bin/time -f "%e" -o "$tmp/t" ./runsite ls --json -q "$DATA" > /dev/null
	s=$(cat "$tmp/t")
	if [ -z "$ls_best" ] || [ "$(echo "$s < $ls_best" | bc)" = 1 ]; then ls_best=$s; fi
done
echo "runsite ls --json (whole process, best of 3): ${ls_best} s"
echo "speed-up, whole process: $(echo "scale=1; $py_best / $ls_best" | bc)x (goal: at least 20x)"
