#!/bin/sh
# smoke.sh — runs each libFuzzer target for a short while from its seeds, so
# CI catches crashes on known-odd input. Usage: smoke.sh BUILD_DIR [SECONDS]
dir=${1:-build-fuzz}
secs=${2:-20}
status=0
for t in "$dir"/fuzz/fuzz_*; do
	[ -x "$t" ] || continue
	name=$(basename "$t")
	seeds=tests/fuzz/corpus/${name#fuzz_}
	work=$(mktemp -d)
	[ -d "$seeds" ] && cp -r "$seeds"/. "$work"/
	echo "fuzz: $name for ${secs}s"
	if ! "$t" -max_total_time="$secs" -rss_limit_mb=2048 -timeout=10 "$work" >"$work.log" 2>&1; then
		echo "fuzz: $name FAILED"; tail -40 "$work.log"; status=1
	fi
	rm -rf "$work" "$work.log"
done
exit $status
