#!/bin/sh
# bench/scale.sh — issue 16's scale goals on this machine, one run each:
#   sh bench/scale.sh [RUNS...]     (from the repo root; default: 1000 10000)
# For each size, a store of RUNS runs x 6 metrics x 1,000 steps (Lightning CSV,
# ../shared/bench/genruns.py, kept in $SCALE_DATA, default /tmp/runsite-scale) is built
# with --jobs 2: wall and CPU seconds, peak RSS, site bytes per run, the
# index page's size and its rows data's (index.rows.js, which the page
# script draws the runs table from). Then, on a 1,000-run MLflow file store:
# --jobs 1 against --jobs 2 (three builds each, interleaved: min and median
# wall, median CPU), and the incremental rebuilds (nothing changed, one run
# added, one run's notes changed, one metric point appended, one run
# deleted) against the full build, each by wall and by CPU seconds (min of three);
# and the largest Lightning store rebuilt over its site (nothing changed, one
# run's notes.md replaced, one run added), against its full build by CPU.
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

# KB/run is the whole output folder; served the files a web server shows (all
# but the .runsite-* caches, which publishing leaves out), cache the caches.
printf '%-7s %8s %8s %8s %10s %8s %8s %8s %8s %8s\n' runs wall_s cpu_s rss_MB site_MB KB/run served cache index_KB rows_KB
for n in "$@"; do
	s=$(store lightning-csv "$n")
	rm -rf "$DATA/site-$n"
	set -- $(timed "$s" -o "$DATA/site-$n" -j 2 --no-cache)
	bytes=$(du -sb "$DATA/site-$n" | cut -f1)
	cache=$(du -scb "$DATA/site-$n"/.runsite-* | tail -1 | cut -f1)
	idx=$(wc -c < "$DATA/site-$n/index.html")
	rows=$(cat "$DATA/site-$n/index.rows.js" 2>/dev/null | wc -c)
	lastn=$n lasts=$s lastw=$1 lastc=$2
	printf '%-7s %8s %8s %8d %10.1f %8.1f %8.1f %8.1f %8d %8d\n' "$n" "$1" "$2" $(($3 / 1024)) \
		"$(echo "$bytes" | awk '{print $1 / 1e6}')" "$(echo "$bytes $n" | awk '{print $1 / $2 / 1024}')" \
		"$(echo "$bytes $cache $n" | awk '{print ($1 - $2) / $3 / 1024}')" \
		"$(echo "$cache $n" | awk '{print $1 / $2 / 1024}')" $((idx / 1024)) $((rows / 1024))
done

# The incremental rebuilds of the largest Lightning store over its site just
# built, against that full build by CPU: a hard-linked copy of the store (the
# generated one stays as it is; a file changed is replaced, not edited).
c=$DATA/incr-$lastn
rm -rf "$c" && cp -al "$lasts" "$c"
echo
echo "$lastn-run Lightning store, rebuilt over its site (full build: $lastw s wall, $lastc s CPU):"
lrebuild() {
	set -- $(timed "$c" -o "$DATA/site-$lastn" -j 2)
	echo "rebuild, $what: $1 s wall, $2 s CPU ($(echo "$2 $lastc" | awk '{printf "%.1f%%", 100 * $1 / $2}') of the full build by CPU)"
}
what="the store copied (every run's files have new inodes)"; lrebuild
for i in 1 2 3; do what="nothing changed ($i)"; lrebuild; done
v=$(ls -d "$c"/lightning_logs/version_* | head -1)
cp "$v/notes.md" "$v/notes.md.new" 2>/dev/null || : > "$v/notes.md.new"
printf '\nEdited for the benchmark.\n' >> "$v/notes.md.new"
mv "$v/notes.md.new" "$v/notes.md"
what="one run's notes.md replaced"; lrebuild
cp -r "$v" "$c/lightning_logs/version_added"
what="one run added"; lrebuild
rm -rf "$c"

m=$(store mlflow-file 1000)
S=$DATA/site-m
echo
echo "1,000-run MLflow file store ($m):"

med() { sort -n | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }
mn() { sort -n | head -1; }
: > "$DATA/.j1"
: > "$DATA/.j2"
for i in 1 2 3; do
	for j in 1 2; do
		rm -rf "$S-j$j"
		timed "$m" -o "$S-j$j" -j $j --no-cache >> "$DATA/.j$j"
	done
done
j1w=$(cut -d' ' -f1 "$DATA/.j1" | med) j1m=$(cut -d' ' -f1 "$DATA/.j1" | mn) j1c=$(cut -d' ' -f2 "$DATA/.j1" | med)
j2w=$(cut -d' ' -f1 "$DATA/.j2" | med) j2m=$(cut -d' ' -f1 "$DATA/.j2" | mn) j2c=$(cut -d' ' -f2 "$DATA/.j2" | med)
echo "full build --jobs 1: wall min ${j1m} s, median ${j1w} s, CPU ${j1c} s;" \
	"--jobs 2: wall min ${j2m} s, median ${j2w} s, CPU ${j2c} s;" \
	"speed-up $(echo "$j1m $j2m $j1w $j2w" | awk '{printf "%.2fx (min), %.2fx (median)", $1 / $2, $3 / $4}')"

# The full build the rebuilds are measured against: --jobs 2, no cache.
rm -rf "$S"
: > "$DATA/.full"
for i in 1 2 3; do
	rm -rf "$S"
	timed "$m" -o "$S" -j 2 --no-cache >> "$DATA/.full"
done
fullw=$(cut -d' ' -f1 "$DATA/.full" | mn) fullc=$(cut -d' ' -f2 "$DATA/.full" | mn)
echo "full build --jobs 2 (min of 3): ${fullw} s wall, ${fullc} s CPU"

# One cached rebuild over the site, after the change the caller made ($what says it).
rebuild() {
	set -- $(timed "$m" -o "$S" -j 2)
	w=$1 c=$2
	echo "rebuild, $what: $w s wall, $c s CPU ($(echo "$w $fullw $c $fullc" |
		awk '{printf "%.1f%% of the full build by wall, %.1f%% by CPU", 100 * $1 / $2, 100 * $3 / $4}'))"
}
for i in 1 2 3; do what="nothing changed ($i)"; rebuild; done

# One run added: a copy of the first run under a new id.
e=$(ls -d "$m"/mlruns/*/ | grep -v '/0/$' | head -1)
first=$(ls -d "$e"*/ | head -1)
new=${e}ffffffffffffffffffffffffffffffff
rm -rf "$new"
cp -r "$first" "$new"
sed -i 's/^run_id: .*/run_id: ffffffffffffffffffffffffffffffff/; s/^run_uuid: .*/run_uuid: ffffffffffffffffffffffffffffffff/; s/^run_name: .*/run_name: scale-added/' "$new/meta.yaml"
printf 'scale-added' > "$new/tags/mlflow.runName"
what="one run added"; rebuild
rm -rf "$new"
what="one run deleted"; rebuild

# One run's notes changed.
note="$first/tags/mlflow.note.content"
cp "$note" "$DATA/.note"
printf '\n\nEdited for the benchmark.\n' >> "$note"
what="one run's notes changed"; rebuild
cp "$DATA/.note" "$note"
what="(notes back)"; rebuild >/dev/null

# One metric point appended to one run.
mf=$(find "$first/metrics" -type f | head -1)
cp "$mf" "$DATA/.metric"
tail -1 "$mf" | awk '{printf "%s %s %d\n", $1 + 1000, $2, $3 + 1}' >> "$mf"
what="one metric point appended"; rebuild
cp "$DATA/.metric" "$mf"
what="(metric back)"; rebuild >/dev/null
echo "(wall times on a shared machine: the CPU seconds are the steadier figure)"
