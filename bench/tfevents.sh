#!/bin/sh
# bench/tfevents.sh — ingest throughput of the TensorBoard reader on the
# genruns.py tfevents "sweep" (500 runs x 6 tags x 5,000 steps) and "long"
# (4 runs x 4 tags x 1,000,000 steps) data, in one run against
#   (a) the floor: bench/crc_floor.c, read() in 128 KiB chunks + CRC32C of every byte;
#   (b) the Python reader ../shared/bench/baselines/read_tfevents_pb.py
#       (python3-protobuf, Debian's /usr/bin/python3; no CRC check).
# runsite's side is bench/tb_ingest.c: the reader on one thread as `runsite ls`
# calls it (both CRCs checked, restart rule, summaries, no decimated copy), each
# run freed after delivery, with its own peak RSS. Then `runsite ls --json -q` as
# a whole process (wall and CPU), and for "long" a `runsite build` that draws
# every chart, whose peak RSS must stay under 128 MB.
#   sh bench/tfevents.sh [DATA_DIR]     (default /tmp/bench; data generated when missing, ~75 s each)
#   PY_PEER=0 skips the Python reader (about 20 s on sweep); REPS=N times each side N times (best counts).
set -eu
DATA=${1:-${TMPDIR:-/tmp}/bench}
GEN=../shared/bench/genruns.py
PEER=../shared/bench/baselines/read_tfevents_pb.py
BUILD=${BUILD:-build}
REPS=${REPS:-3}
PY_PEER=${PY_PEER:-1}
for size in sweep long; do
	if [ ! -f "$DATA/$size-tfevents/genruns-manifest.json" ]; then
		echo "generating $DATA/$size-tfevents"
		mkdir -p "$DATA"
		/usr/bin/python3 "$GEN" --format tfevents --size "$size" --out "$DATA/$size-tfevents" -q >/dev/null
	fi
done
# The library objects, exactly as the Makefile lists them.
LIBOBJ=$(ls src/*.c src/readers/*.c src/chart/*.c src/site/*.c 2>/dev/null | grep -v '^src/main\.c$' |
	sed "s|^|$BUILD/|; s|\.c$|.o|")
make -s "$BUILD/runsite" $LIBOBJ "$BUILD/embedded.o" >/dev/null
mkdir -p "$BUILD/bench"
cc -std=c11 -D_GNU_SOURCE -O2 -Iinclude -o "$BUILD/bench/tb_ingest" bench/tb_ingest.c $LIBOBJ \
	"$BUILD/embedded.o" \
	$(pkg-config --libs $(sed -n 's/^PKGS *= *//p' Makefile)) -lm -lpthread
cc -O2 -o "$BUILD/bench/crc_floor" bench/crc_floor.c

field() { echo "$1" | sed -E "s/.*$2 ([0-9.]+).*/\\1/"; }
# best_of CMD... : runs CMD REPS times after one warm-up, prints the output with the least "seconds".
best_of() {
	"$@" >/dev/null
	best= bestout=
	i=0
	while [ $i -lt "$REPS" ]; do
		out=$("$@")
		s=$(field "$out" seconds)
		if [ -z "$best" ] || [ "$(echo "$s < $best" | bc)" = 1 ]; then best=$s; bestout=$out; fi
		i=$((i + 1))
	done
	echo "$bestout"
}

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
for size in sweep long; do
	dir="$DATA/$size-tfevents"
	floor=$(best_of "$BUILD/bench/crc_floor" "$dir")
	tb=$(best_of "$BUILD/bench/tb_ingest" "$dir")
	bytes=$(field "$floor" bytes)
	fs=$(field "$floor" seconds)
	ts=$(field "$tb" seconds)
	pts=$(field "$tb" points)
	echo "== $size: $bytes bytes, $pts points (best of $REPS, page cache warm)"
	echo "crc floor:   $fs s  $(echo "scale=0; $bytes / $fs / 1000000" | bc) MB/s  (cpu $(field "$floor" cpu_seconds) s)"
	echo "runsite:     $ts s  $(echo "scale=0; $bytes / $ts / 1000000" | bc) MB/s" \
		" $(echo "scale=2; $pts / $ts / 1000000" | bc)M points/s  (cpu $(field "$tb" cpu_seconds) s," \
		"peak RSS $(echo "$(field "$tb" peak_rss_kb) / 1024" | bc) MiB)"
	echo "vs floor:    $(echo "scale=2; $ts / $fs" | bc)x the CRC-only time (goal: within 2x)"
	# The whole command as a user runs it (no decimation, JSON out), best of REPS.
	lsbest=
	i=0
	while [ $i -lt "$REPS" ]; do
		o=$({ /usr/bin/time -f "%e %U %S" "$BUILD/runsite" ls --json -q "$dir" >/dev/null; } 2>&1 | tail -1)
		set -- $o
		if [ -z "$lsbest" ] || [ "$(echo "$1 < $lsw" | bc)" = 1 ]; then
			lsbest=1 lsw=$1 lsc=$(echo "$2 + $3" | bc)
		fi
		i=$((i + 1))
	done
	echo "ls --json:   $lsw s wall, cpu $lsc s: $(echo "scale=2; $lsw / $fs" | bc)x the floor's wall," \
		"$(echo "scale=2; $lsc / $(field "$floor" cpu_seconds)" | bc)x its CPU (whole process)"
	if [ "$size" = long ]; then
		# The goal is for a build that draws every chart exactly (no cache).
		rss=$({ /usr/bin/time -f "%e %M" "$BUILD/runsite" build -q --no-cache "$dir" -o "$DATA/long-site" >/dev/null; } 2>&1 | tail -1)
		set -- $rss
		rm -rf "$DATA/long-site"
		echo "build:       $1 s, peak RSS $(($2 / 1024)) MiB for long, every chart drawn" \
			"(goal: under 128 MB, $([ "$2" -lt 125000 ] && echo met || echo NOT met))"
	fi
	if [ "$size" = sweep ] && [ "$PY_PEER" = 1 ]; then
		if /usr/bin/python3 -c 'import google.protobuf' 2>/dev/null; then
			t0=$(date +%s.%N)
			py=$(/usr/bin/python3 "$PEER" "$dir" 2>&1 | tail -3 | tr '\n' ' ')
			t1=$(date +%s.%N)
			pys=$(echo "$t1 - $t0" | bc)
			echo "python:      $pys s whole process (one run): $py"
			echo "vs python:   $(echo "scale=0; $pys / $lsw" | bc)x faster by wall time of ls --json," \
				"$(echo "scale=0; $pys / $lsc" | bc)x by its CPU time," \
				"$(echo "scale=0; $pys / $ts" | bc)x for the one-thread reader above (goal: at least 100x)"
		else
			echo "python:      python3-protobuf missing (apt-get install python3-protobuf);" \
				"BASELINES.md: 19.744 s, 0.76M scalars/s => $(echo "scale=0; 19.744 / $ts" | bc)x"
		fi
	fi
done
