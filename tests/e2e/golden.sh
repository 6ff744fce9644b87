#!/bin/sh
# golden.sh — the outputs are byte for byte the ones pinned in
# tests/golden/*.sha256: the sample site (as `make demo` builds it), the
# same with compare pages, an export, a check summary and the corpus site.
# A change meant to change them runs `make golden` and commits the manifests.
. tests/e2e/lib.sh
sh tests/golden/build.sh "$TMP/out" 2> "$TMP/build.err"
if [ $? -eq 0 ]; then ok; else fail "building the golden outputs"; cat "$TMP/build.err"; fi
for want in tests/golden/*.sha256; do
	name=$(basename "$want" .sha256)
	got="$TMP/out/$name.sha256"
	if [ ! -f "$got" ]; then
		if [ "$name" = corpus ] && [ ! -d "$CORPUS" ]; then
			skip "$CORPUS not found: the corpus site is not compared"
		else
			fail "$name: not built"
		fi
		continue
	fi
	if cmp -s "$want" "$got"; then
		ok
	else
		fail "$name: output differs from $want (- pinned, + now; \`make golden\` pins it)"
		diff -u "$want" "$got" | sed -n '3,40p'
	fi
done
finish
