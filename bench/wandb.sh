#!/bin/sh
# bench/wandb.sh — reading a big .wandb file (written by tests/tools/wandb_write.py:
# 400,000 history rows of 8 keys with wandb-core's nested_key, stats, console
# lines) against the floor: CRC32C over the bytes (bench/wandb_ingest.c says how).
#   sh bench/wandb.sh [DATA_DIR]     (default /tmp/bench; the file is generated when missing)
set -eu
DATA=${1:-${TMPDIR:-/tmp}/bench}
BUILD=${BUILD:-build}
REPS=${REPS:-5}
dir="$DATA/wandb-big"
if ! ls "$dir"/wandb/run-*/run-*.wandb >/dev/null 2>&1; then
	echo "generating $dir"
	mkdir -p "$DATA"
	python3 tests/tools/wandb_write.py "$dir" --rows 400000 --keys 8 --nested >/dev/null
fi
file=$(ls "$dir"/wandb/run-*/run-*.wandb | head -1)
LIBOBJ=$(ls src/*.c src/readers/*.c src/chart/*.c src/site/*.c 2>/dev/null | grep -v '^src/main\.c$' |
	sed "s|^|$BUILD/|; s|\.c$|.o|")
make -s $LIBOBJ "$BUILD/embedded.o" >/dev/null
mkdir -p "$BUILD/bench"
cc -std=c11 -D_GNU_SOURCE -O2 -Iinclude -o "$BUILD/bench/wandb_ingest" bench/wandb_ingest.c $LIBOBJ \
	"$BUILD/embedded.o" $(pkg-config --libs $(sed -n 's/^PKGS *= *//p' Makefile)) -lm -lpthread
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
"$BUILD/bench/wandb_ingest" "$file" "$REPS"
