#!/bin/sh
# bench/deep.sh — every parser against a 10 MB adversarial input
# (bench/deep_inputs.py: deep YAML in flow, block and sequence style for the
# Lightning, DVCLive, MLflow and TensorBoard readers, deep JSON, a CSV header
# of 2.6 million columns, one huge quoted CSV field, a nested protobuf
# record). Each `runsite ls --json` must finish within LIMIT seconds (default
# 10): parsing is linear in the input and nesting is bounded.
#   sh bench/deep.sh [SIZE_BYTES] [LIMIT_S]
set -u
SIZE=${1:-10000000}
LIMIT=${2:-10}
RUNSITE=${RUNSITE:-./runsite}
DATA=${TMPDIR:-/tmp}/bench/deep-$SIZE
if [ ! -d "$DATA/tb-nested" ]; then
	echo "generating $DATA"
	rm -rf "$DATA"
	/usr/bin/python3 bench/deep_inputs.py "$DATA" "$SIZE" || exit 1
fi
status=0
printf '%-24s %10s %8s  %s\n' case bytes seconds result
for c in "$DATA"/*; do
	bytes=$(du -sb "$c" | cut -f1)
	start=$(date +%s.%N)
	timeout "$LIMIT" "$RUNSITE" ls --json "$c" >/dev/null 2>"$DATA.err"
	rc=$?
	end=$(date +%s.%N)
	secs=$(echo "$end - $start" | bc)
	if [ $rc -eq 124 ]; then
		result="OVER ${LIMIT}s"
		status=1
	elif [ $rc -gt 3 ]; then
		result="exit $rc"
		status=1
	else
		result="ok (exit $rc; $(head -c 90 "$DATA.err" | head -1))"
	fi
	printf '%-24s %10s %8.2f  %s\n' "$(basename "$c")" "$bytes" "$secs" "$result"
done
rm -f "$DATA.err"
exit $status
