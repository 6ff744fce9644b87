#!/bin/sh
# smoke.sh — runs each libFuzzer target for a fixed number of inputs from its
# seeds, so CI catches crashes on known-odd input. Usage: smoke.sh BUILD_DIR
# The mutation seed is fixed (FUZZ_SEED, default 1) and so is the number of
# inputs per target (a count, not seconds: a faster or slower machine then
# tries the same inputs), so a CI failure repeats on a developer's machine
# built with the same compiler. FUZZ_SEED=0 lets libFuzzer pick a seed and
# FUZZ_SECS=N runs each target N seconds instead (a longer, exploring
# campaign: FUZZ_SEED=0 FUZZ_SECS=600 sh tests/fuzz/smoke.sh build-fuzz).
dir=${1:-build-fuzz}
seed=${FUZZ_SEED:-1}
status=0

# Inputs per target: about 15 s each on a loaded 2-core machine (targets
# differ 70x in speed). A time guard stops a far slower machine at 300 s.
runs_for() {
	case $1 in
	fuzz_csv) echo 10000 ;;
	fuzz_json_yaml | fuzz_mlflow_sqlite) echo 20000 ;;
	fuzz_clearml | fuzz_notes) echo 40000 ;;
	*) echo 100000 ;;
	esac
}

for t in "$dir"/fuzz/fuzz_*; do
	[ -x "$t" ] || continue
	name=$(basename "$t")
	seeds=tests/fuzz/corpus/${name#fuzz_}
	work=$(mktemp -d)
	[ -d "$seeds" ] && cp -r "$seeds"/. "$work"/
	if [ -n "$FUZZ_SECS" ]; then
		limit="-max_total_time=$FUZZ_SECS"
		echo "fuzz: $name for ${FUZZ_SECS}s, seed $seed"
	else
		limit="-runs=$(runs_for "$name") -max_total_time=300"
		echo "fuzz: $name for $(runs_for "$name") inputs, seed $seed"
	fi
	# shellcheck disable=SC2086 # $limit is two options
	if ! "$t" -seed="$seed" $limit -rss_limit_mb=2048 -timeout=10 "$work" >"$work.log" 2>&1; then
		echo "fuzz: $name FAILED"; tail -40 "$work.log"; status=1
	elif [ -z "$FUZZ_SECS" ] && ! grep -q "^Done $(runs_for "$name") runs" "$work.log"; then
		echo "fuzz: $name stopped by the 300 s guard before its inputs were done"
	fi
	rm -rf "$work" "$work.log"
done
exit $status
