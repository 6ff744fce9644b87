#!/bin/sh
# update.sh — rewrites the committed manifests tests/golden/*.sha256 from the
# current runsite, for a change that is meant to change the output. Commit
# them in the same commit as the change, and say why the output changed.
BUILD=${BUILD:-build}
RUNSITE=${RUNSITE:-$BUILD/runsite}
export RUNSITE
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
sh tests/golden/build.sh "$TMP" || exit 1
for m in "$TMP"/*.sha256; do
	cp "$m" tests/golden/
	echo "wrote tests/golden/$(basename "$m") ($(wc -l < "$m") files)"
done
