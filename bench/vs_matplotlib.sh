#!/bin/sh
# bench/vs_matplotlib.sh — a whole `runsite build` against a matplotlib report script
# (bench/mpl_report.py: one PNG and one SVG per run and metric) by CPU time,
# on the same MLflow file store, the least of REPS rounds each (default 5,
# alternating: a build takes ~0.1 s, near the timer's 10 ms and the noise):
#   sh bench/vs_matplotlib.sh (from the repo root)
# Stores: 8 runs x 4 metrics x 10k steps, and 1 run x 1 metric x 1M steps
# (../shared/bench/genruns.py, kept in $SCALE_DATA, default /tmp/runsite-scale).
set -e
RUNSITE=${RUNSITE:-build/runsite}
DATA=${SCALE_DATA:-/tmp/runsite-scale}
PY=/usr/bin/python3
mkdir -p "$DATA"
if ! "$PY" -c 'import matplotlib' 2>/dev/null; then
	echo "vs_matplotlib.sh: matplotlib missing (apt-get install python3-matplotlib)" >&2
	exit 1
fi

cpu() { # cpu CMD... -> CPU seconds (user + sys) to the millisecond (time(1) gives 10 ms)
	"$PY" -c 'import resource, subprocess, sys
subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
r = resource.getrusage(resource.RUSAGE_CHILDREN)
print("%.3f" % (r.ru_utime + r.ru_stime))' "$@"
}

least() { printf '%s\n' "$@" | sort -n | head -1; }

printf '%-16s %12s %12s %12s %8s\n' store site_cpu_s site_png_s mpl_cpu_s ratio
for cfg in "8 4 10000" "1 1 1000000"; do
	set -- $cfg
	d="$DATA/report-$1x$2x$3"
	if [ ! -f "$d/genruns-manifest.json" ]; then
		rm -rf "$d"
		"$PY" ../shared/bench/genruns.py --format mlflow-file --runs "$1" --metrics "$2" --steps "$3" \
			--no-edge-cases --out "$d" >/dev/null
	fi
	rs= rsp= mpl=
	for _ in $(seq "${REPS:-5}"); do
		rm -rf "$DATA/rs" "$DATA/rs-png" "$DATA/mpl"
		rs="$rs $(cpu "$RUNSITE" build -q "$d/mlruns" -o "$DATA/rs" -j 1 --no-cache)"
		rsp="$rsp $(cpu "$RUNSITE" build -q "$d/mlruns" -o "$DATA/rs-png" -j 1 --no-cache --png)"
		mpl="$mpl $(cpu "$PY" bench/mpl_report.py "$d/mlruns" "$DATA/mpl")"
	done
	rs=$(least $rs) rsp=$(least $rsp) mpl=$(least $mpl)
	printf '%-16s %12s %12s %12s %7.1fx\n' "$1x$2x$3" "$rs" "$rsp" "$mpl" \
		"$(echo "$mpl $rs" | awk '{print $1 / $2}')"
done
echo "ratio: matplotlib CPU / runsite's default build (SVG charts and every page) CPU; site_png_s adds --png."
