#!/usr/bin/env python3
"""depgraph.py BUILD_DIR — the call graph between runsite's source files,
from the symbols each object file defines and uses (nm), and the headers
each file includes. Prints every cycle between files (a group of files that
call each other round), every include of a forbidden header, and every
arrow DESIGN.md's layering forbids, straight or through files that belong
to no part; exits 1 when there is any.

The layers are the parts of the code, by path; an arrow from one part to
another is a call from a file of the first into a file of the second."""
import os, re, subprocess, sys

build = sys.argv[1] if len(sys.argv) > 1 else "build"

# The parts and the arrows that may never exist (DESIGN.md, "Layout of the code").
PARTS = [
    ("Face", r"src/(main|cli|cmd_\w+)\.c$"),
    ("Build", r"src/build\.c$"),
    ("Plan", r"src/(plan|goal|compare|gate)\.c$"),
    ("Pipeline", r"src/(pipeline|discover|redact)\.c$"),
    ("Readers", r"src/readers/"),
    ("Site", r"src/site/"),
    ("Charts", r"src/chart/"),
    ("Model", r"src/(model|numparse)\.c$"),
]
NEVER = [("Site", "Pipeline"), ("Site", "Readers"), ("Plan", "Site"), ("Model", "Site"),
         ("Model", "Readers"), ("Model", "Charts"), ("Charts", "Readers"), ("Charts", "Site"),
         ("Readers", "Site"), ("Readers", "Charts")]
# Headers a part may not include: the site neither drives reading nor knows formats.
NO_INCLUDE = [("src/site/", ("runsite/pipeline.h", "runsite/discover.h", "runsite/reader.h"))]


def part(src):
    for name, pat in PARTS:
        if re.search(pat, src):
            return name
    return None


objs = []
for d, _, files in os.walk(os.path.join(build, "src")):
    objs += [os.path.join(d, f) for f in files if f.endswith(".o")]
defs, uses = {}, {}
for o in sorted(objs):
    src = os.path.relpath(o, build)[:-2] + ".c"
    out = subprocess.run(["nm", o], capture_output=True, text=True, check=True).stdout
    for line in out.splitlines():
        f = line.split()
        if len(f) == 3 and f[1] in "TDBR":
            defs[f[2]] = src
        elif len(f) == 2 and f[0] == "U":
            uses.setdefault(src, set()).add(f[1])
graph = {s: sorted({defs[u] for u in us if u in defs and defs[u] != s}) for s, us in uses.items()}

problems = 0
# Cycles: strongly connected components of more than one file (Tarjan).
index, low, stack, on, comps = {}, {}, [], set(), []
def visit(v):
    index[v] = low[v] = len(index)
    stack.append(v); on.add(v)
    for w in graph.get(v, []):
        if w not in index:
            visit(w); low[v] = min(low[v], low[w])
        elif w in on:
            low[v] = min(low[v], index[w])
    if low[v] == index[v]:
        comp = []
        while True:
            w = stack.pop(); on.discard(w); comp.append(w)
            if w == v:
                break
        if len(comp) > 1:
            comps.append(sorted(comp))
sys.setrecursionlimit(10000)
for v in sorted(graph):
    if v not in index:
        visit(v)
for c in comps:
    problems += 1
    print("cycle: " + " <-> ".join(c))
    for a in c:
        for b in graph.get(a, []):
            if b in c:
                print("    %s calls %s" % (a, b))

# A forbidden arrow, straight or through files on no part (src/report.c,
# src/select.c, ...): from each file of a part, calls are followed through
# such files until they reach a file of a part.
for s in sorted(graph):
    if part(s) is None:
        continue
    seen, todo = {s}, [(s, [s])]
    while todo:
        v, path = todo.pop(0)
        for t in graph.get(v, []):
            if t in seen:
                continue
            seen.add(t)
            if part(t) is None:
                todo.append((t, path + [t]))
            elif (part(s), part(t)) in NEVER:
                problems += 1
                print("forbidden arrow %s -> %s: %s" % (part(s), part(t), " calls ".join(path + [t])))

for prefix, headers in NO_INCLUDE:
    for d, _, files in os.walk(prefix.rstrip("/")):
        for f in sorted(files):
            p = os.path.join(d, f)
            for n, line in enumerate(open(p, encoding="utf-8"), 1):
                m = re.match(r'\s*#\s*include\s+"([^"]+)"', line)
                if m and m.group(1) in headers:
                    problems += 1
                    print("%s:%d includes %s" % (p, n, m.group(1)))
print("%d problem%s" % (problems, "" if problems == 1 else "s"))
sys.exit(1 if problems else 0)
