#!/bin/sh
# layers.sh — the code keeps DESIGN.md's layout: no two source files call
# each other round (a cycle, found from the symbols of the object files),
# no arrow the layout forbids (the site drives no reading and knows no
# format; charts, readers and the model know no pages ...), and src/site/
# includes neither pipeline.h, discover.h nor reader.h.
. tests/e2e/lib.sh
if ! command -v nm >/dev/null 2>&1; then
	skip "nm not installed: the call graph is not checked"
	finish; exit $?
fi
check "no call cycle, forbidden arrow or include (tests/tools/depgraph.py)" \
	"$PY" tests/tools/depgraph.py "$BUILD"
finish
