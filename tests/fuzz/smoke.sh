#!/bin/sh
# smoke.sh — runs each libFuzzer target for a short while from its seeds, so
# CI catches crashes on known-odd input. Usage: smoke.sh BUILD_DIR [SECONDS]
# The mutation seed is fixed (FUZZ_SEED, default 1), so a CI failure repeats
# on a developer's machine; FUZZ_SEED=0 lets libFuzzer pick one (a longer,
# exploring campaign: smoke.sh build-fuzz 600 with FUZZ_SEED=0).
dir=${1:-build-fuzz}
secs=${2:-20}
seed=${FUZZ_SEED:-1}
status=0
for t in "$dir"/fuzz/fuzz_*; do
	[ -x "$t" ] || continue
	name=$(basename "$t")
	seeds=tests/fuzz/corpus/${name#fuzz_}
	work=$(mktemp -d)
	[ -d "$seeds" ] && cp -r "$seeds"/. "$work"/
	echo "fuzz: $name for ${secs}s, seed $seed"
	if ! "$t" -seed="$seed" -max_total_time="$secs" -rss_limit_mb=2048 -timeout=10 "$work" >"$work.log" 2>&1; then
		echo "fuzz: $name FAILED"; tail -40 "$work.log"; status=1
	fi
	rm -rf "$work" "$work.log"
done
exit $status
