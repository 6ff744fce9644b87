#!/bin/sh
# bench/scale.sh — issue 16's scale goals on this machine, one run each:
#   sh bench/scale.sh [RUNS...]     (from the repo root; default: 1000 10000)
# For each size, a store of RUNS runs x 6 metrics x 1,000 steps (Lightning CSV,
# ../shared/bench/genruns.py, kept in $SCALE_DATA, default /tmp/runsite-scale) is built
# with --jobs 2: wall and CPU seconds, peak RSS, site bytes per run, the
# index page's size and its rows data's (index.rows.js, which the page
# script draws the runs table from). Then, on a 1,000-run MLflow file store: --jobs 1 against
# --jobs 2, and the incremental rebuilds (nothing changed, one run added, one
# run's notes changed) against the full build.
set -e
RUNSITE=${RUNSITE:-build/runsite}
DATA=${SCALE_DATA:-/tmp/runsite-scale}
PY=${PY:-python3}
mkdir -p "$DATA"
[ $# -gt 0 ] || set -- 1000 10000

# One build: prints "wall cpu rss_kb" (GNU time) after running runsite build ARGS.
timed() {
	/usr/bin/time -f '%e %U %S %M' -o "$DATA/.time" "$RUNSITE" build -q "$@" >/dev/null 2>"$DATA/.err" || {
		cat "$DATA/.err" >&2
		exit 1
	}
	awk '{printf "%.2f %.2f %d\n", $1, $2 + $3, $4}' "$DATA/.time"
}

store() { # store FORMAT RUNS -> path
	d="$DATA/$1-$2"
	if [ ! -f "$d/genruns-manifest.json" ]; then
		rm -rf "$d"
		$PY ../shared/bench/genruns.py --format "$1" --runs "$2" --metrics 6 --steps 1000 --out "$d" >/dev/null
	fi
	echo "$d"
}

printf '%-7s %8s %8s %8s %10s %10s %8s %8s\n' runs wall_s cpu_s rss_MB site_MB KB/run index_KB rows_KB
for n in "$@"; do
	s=$(store lightning-csv "$n")
	rm -rf "$DATA/site-$n"
	set -- $(timed "$s" -o "$DATA/site-$n" -j 2 --no-cache)
	bytes=$(du -sb "$DATA/site-$n" | cut -f1)
	idx=$(wc -c < "$DATA/site-$n/index.html")
	rows=$(cat "$DATA/site-$n/index.rows.js" 2>/dev/null | wc -c)
	printf '%-7s %8s %8s %8d %10.1f %10.1f %8d %8d\n' "$n" "$1" "$2" $(($3 / 1024)) \
		"$(echo "$bytes" | awk '{print $1 / 1e6}')" "$(echo "$bytes $n" | awk '{print $1 / $2 / 1024}')" \
		$((idx / 1024)) $((rows / 1024))
done

m=$(store mlflow-file 1000)
S=$DATA/site-m
echo
echo "1,000-run MLflow file store ($m):"
rm -rf "$S" "$S-j1"
set -- $(timed "$m" -o "$S-j1" -j 1 --no-cache); j1w=$1 j1c=$2
set -- $(timed "$m" -o "$S" -j 2 --no-cache); j2w=$1 j2c=$2 full=$1
echo "full build --jobs 1: ${j1w} s wall, ${j1c} s CPU; --jobs 2: ${j2w} s wall, ${j2c} s CPU;" \
	"speed-up $(echo "$j1w $j2w" | awk '{printf "%.2f", $1 / $2}')x"
set -- $(timed "$m" -o "$S" -j 2); echo "rebuild, nothing changed: $1 s wall, $2 s CPU ($(echo "$1 $full" | awk '{printf "%.1f", 100 * $1 / $2}')% of the full build)"

# One run added: a copy of the first run under a new id.
e=$(ls -d "$m"/mlruns/*/ | grep -v '/0/$' | head -1)
first=$(ls -d "$e"*/ | head -1)
new=${e}ffffffffffffffffffffffffffffffff
rm -rf "$new"
cp -r "$first" "$new"
sed -i 's/^run_id: .*/run_id: ffffffffffffffffffffffffffffffff/; s/^run_uuid: .*/run_uuid: ffffffffffffffffffffffffffffffff/; s/^run_name: .*/run_name: scale-added/' "$new/meta.yaml"
printf 'scale-added' > "$new/tags/mlflow.runName"
set -- $(timed "$m" -o "$S" -j 2); echo "rebuild, one run added: $1 s wall, $2 s CPU ($(echo "$1 $full" | awk '{printf "%.1f", 100 * $1 / $2}')% of the full build)"
rm -rf "$new"
set -- $(timed "$m" -o "$S" -j 2) # back to the store as generated

# One run's notes changed.
note="$first/tags/mlflow.note.content"
cp "$note" "$DATA/.note"
printf '\n\nEdited for the benchmark.\n' >> "$note"
set -- $(timed "$m" -o "$S" -j 2); echo "rebuild, one run's notes changed: $1 s wall, $2 s CPU ($(echo "$1 $full" | awk '{printf "%.1f", 100 * $1 / $2}')% of the full build)"
cp "$DATA/.note" "$note"
echo "(wall times on a shared machine: the CPU seconds are the steadier figure)"
