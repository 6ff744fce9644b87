#!/bin/sh
# bench/chart.sh — runsite's Cairo charts against matplotlib, per chart, in one run.
#   sh bench/chart.sh [COUNT]     (from the repo root; COUNT charts per timing, default 20)
# Builds bench/chart_bench against the library objects, exports chartdata.py's
# curves so both draw the same data, and prints ms per chart, the ratio and file sizes.
# matplotlib's per-chart time is (T(count) - T(0)) / count, as in BASELINES.md.
set -e
COUNT=${1:-20}
BUILD=${BUILD:-build}
PY=/usr/bin/python3
B=../shared/bench/baselines
TMP=$(mktemp -d /tmp/runsite-chartbench-XXXXXX)
trap 'rm -rf "$TMP"' EXIT

# Only the chart module and what it uses: the bench builds while other modules are mid-edit.
OBJS="$(ls src/chart/*.c | sed "s|^|$BUILD/|; s|\.c$|.o|") $BUILD/src/util.o $BUILD/src/diag.o \
	$BUILD/src/cleanup.o $BUILD/src/dtoa.o"
make -s $OBJS >/dev/null
PKG="cairo pangocairo zlib libxxhash"
cc -std=c11 -D_GNU_SOURCE -O2 -Iinclude $(pkg-config --cflags $PKG) -o "$TMP/chart_bench" \
	bench/chart_bench.c $OBJS $(pkg-config --libs $PKG) -lm -lpthread

have_mpl=0
if [ -x "$PY" ] && "$PY" -c 'import matplotlib, numpy' 2>/dev/null && [ -f "$B/mpl_chart.py" ]; then
	have_mpl=1
fi

now() { date +%s.%N; }

printf '%-10s %-4s %9s %9s %9s %8s %10s %10s %8s\n' chart fmt rs_wall rs_cpu mpl_ms ratio runsite_B mpl_B drawn
for cfg in "1 10000" "8 10000" "1 1000000"; do
	set -- $cfg
	S=$1 N=$2
	data=""
	if [ $have_mpl = 1 ]; then
		"$PY" -c "
import sys; sys.path.insert(0, '$B')
from chartdata import curves
import numpy as np
x, ys = curves($S, $N)
np.concatenate(ys).astype('<f8').tofile('$TMP/d-$S-$N.bin')"
		data="--data $TMP/d-$S-$N.bin"
	fi
	for fmt in png svg; do
		set -- $("$TMP/chart_bench" --series $S --points $N --fmt $fmt --count $COUNT $data --out "$TMP/rs-$S-$N")
		rs_ms=$4 rs_b=$5 drawn=$6 rs_cpu=$7
		mpl_ms=- ratio=- mpl_b=-
		if [ $have_mpl = 1 ]; then
			t0=$(now); "$PY" $B/mpl_chart.py --series $S --points $N --fmt $fmt --count 0 --out "$TMP/m0"; t1=$(now)
			"$PY" $B/mpl_chart.py --series $S --points $N --fmt $fmt --count $COUNT --out "$TMP/m-$S-$N"; t2=$(now)
			mpl_ms=$(echo "$t0 $t1 $t2 $COUNT" | awk '{printf "%.1f", (($3-$2)-($2-$1))/$4*1000}')
			ratio=$(echo "$mpl_ms $rs_cpu" | awk '{printf "%.1fx", $1/$2}')
			mpl_b=$(wc -c < "$TMP/m-$S-$N-0.$fmt" 2>/dev/null || echo -)
		fi
		printf '%-10s %-4s %9s %9s %9s %8s %10s %10s %8s\n' "${S}x$N" $fmt $rs_ms $rs_cpu $mpl_ms $ratio $rs_b $mpl_b $drawn
	done
done
echo "ratio: matplotlib ms / runsite CPU ms (both single-threaded)."
echo "runsite: 800x400, PNG at 2x (1600x800 px; matplotlib writes 800x400), smoothing 0.6 (band + smoothed line)."
