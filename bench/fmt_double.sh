#!/bin/sh
# bench/fmt_double.sh — doubles per second of fmt_double (src/dtoa.c) against
# the printf search it replaced and a bare "%.17g", CPU time, best of 3.
#   sh bench/fmt_double.sh
set -eu
BUILD=${BUILD:-build}
# The library objects, exactly as the Makefile lists them.
LIBOBJ=$(ls src/*.c src/readers/*.c src/chart/*.c src/site/*.c 2>/dev/null | grep -v '^src/main\.c$' |
	sed "s|^|$BUILD/|; s|\.c$|.o|")
make -s $LIBOBJ "$BUILD/embedded.o" >/dev/null
mkdir -p "$BUILD/bench"
cc -std=c11 -D_GNU_SOURCE -O2 -Iinclude -o "$BUILD/bench/fmt_double" bench/fmt_double.c $LIBOBJ \
	"$BUILD/embedded.o" $(pkg-config --libs $(sed -n 's/^PKGS *= *//p' Makefile)) -lm -lpthread
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
"$BUILD/bench/fmt_double"
