#!/usr/bin/env python3
"""markers.py — the data-rs template markers the code uses, against the
ones templates/README.md lists and the templates hold.

Prints every marker the site code (src/site/*.c) names as a string literal
in a marker position of the template API, and fails (exit 1) when one is
not listed in templates/README.md (as `marker` in a table row), when the
README lists one no template holds, or when a template holds one the
README does not list."""
import glob, re, sys

# Calls whose arguments at these positions (0-based) are markers.
MARKER_ARGS = {
    "tmpl_find": [1], "tmpl_fill": [1], "fill_number": [1], "fill_step": [1],
    "fill_empty": [1], "keep_section": [1], "fill_kv": [1, 2, 3], "fill_best": [2],
    "fill_chart_section": [2], "compare_heads": [2], "compare_param_rows": [2],
    "drop_section": [1],
}
LITERAL = re.compile(r'^\s*"([^"]*)"\s*$')


def split_args(text):
    """The top-level comma-separated arguments of a call's text (after '(')."""
    args, depth, cur, i, instr = [], 0, "", 0, False
    while i < len(text):
        c = text[i]
        if instr:
            cur += c
            if c == "\\":
                cur += text[i + 1]; i += 1
            elif c == '"':
                instr = False
        elif c == '"':
            instr = True; cur += c
        elif c in "([{":
            depth += 1; cur += c
        elif c in ")]}":
            if depth == 0:
                args.append(cur); return args
            depth -= 1; cur += c
        elif c == "," and depth == 0:
            args.append(cur); cur = ""
        else:
            cur += c
        i += 1
    return args


def code_markers():
    found = {}
    for path in sorted(glob.glob("src/site/*.c")):
        src = open(path, encoding="utf-8").read()
        for m in re.finditer(r"\b(%s)\(" % "|".join(MARKER_ARGS), src):
            args = split_args(src[m.end():])
            for k in MARKER_ARGS[m.group(1)]:
                if k < len(args):
                    lit = LITERAL.match(args[k])
                    if lit:
                        found.setdefault(lit.group(1), path)
    # Markers tmpl.c treats specially by name.
    for name in ("mock", "link"):
        found.setdefault(name, "src/site/tmpl.c")
    return found


def template_markers():
    found = {}
    for path in sorted(glob.glob("templates/*.html")):
        html = re.sub(r"<!--.*?-->", "", open(path, encoding="utf-8").read(), flags=re.S)
        for mk in re.findall(r'data-rs="([^"]*)"', html):
            found.setdefault(mk, path)
    return found


def readme_markers():
    listed = set()
    for line in open("templates/README.md", encoding="utf-8"):
        if line.startswith("|"):
            cell = line.split("|")[1]
            listed.update(re.findall(r"`([a-z][a-z0-9-]*)`", cell))
    return listed


code, tmpl, listed = code_markers(), template_markers(), readme_markers()
problems = 0
for mk, where in sorted(code.items()):
    if mk not in listed:
        print("%s: marker %s is used but not listed in templates/README.md" % (where, mk)); problems += 1
for mk, where in sorted(tmpl.items()):
    if mk not in listed:
        print("%s: marker %s is in the template but not in templates/README.md" % (where, mk)); problems += 1
for mk in sorted(listed - set(tmpl)):
    print("templates/README.md: %s is listed but no template holds it" % mk); problems += 1
print("%d markers in code, %d in templates, %d listed; %d problem%s"
      % (len(code), len(tmpl), len(listed), problems, "" if problems == 1 else "s"))
sys.exit(1 if problems else 0)
