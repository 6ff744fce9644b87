#!/usr/bin/env python3
"""pagecheck.py LS.json SITE_DIR — every run that `runsite ls --json` lists has a
page in the site, and that page shows every param (key and value) and, for
every metric, its count and its last, min and max values exactly (as the
data-value attributes the pages carry for exact numbers).

Reads the pages with Python's html.parser, independent of runsite's libxml2.
Prints "not ok ..." lines and a summary line; exits 1 on any difference."""
import glob
import html.parser
import json
import math
import os
import sys

from tally import Tally


class Page(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.text = []
        self.values = set()
        self.nonfinite = set()

    def handle_starttag(self, tag, attrs):
        for k, v in attrs:
            if k == "data-value" and v is not None:
                try:
                    f = float(v)
                except ValueError:
                    continue
                if math.isnan(f):
                    self.nonfinite.add("NaN")
                elif math.isinf(f):
                    self.nonfinite.add("Infinity" if f > 0 else "-Infinity")
                else:
                    self.values.add(f)

    def handle_data(self, data):
        self.text.append(data)


def number(v):
    return v if isinstance(v, str) else float(v)


def main():
    with open(sys.argv[1], encoding="utf-8") as f:
        runs = json.load(f)["runs"]
    site = sys.argv[2]
    pages = {}
    for p in glob.glob(os.path.join(site, "runs", "*.html")):
        with open(p, encoding="utf-8") as f:
            pages[p] = f.read()
    tally = Tally()
    check = tally.check

    for run in runs:
        marker = 'data-run-id="%s"' % run["id"].replace("&", "&amp;").replace('"', "&quot;")
        found = [p for p, t in pages.items() if marker in t]
        check(len(found) == 1, "run %s has exactly one page (found %d)" % (run["id"], len(found)))
        if len(found) != 1:
            continue
        page = Page()
        page.feed(pages[found[0]])
        text = "".join(page.text)
        for k, v in run["params"].items():
            check(k in text, "run %s: param key %r on its page" % (run["id"], k))
            check(v in text, "run %s: param %s value %r on its page" % (run["id"], k, v))
        for key, m in run["metrics"].items():
            check(key in text, "run %s: metric %r on its page" % (run["id"], key))
            for f in ("last", "min", "max"):
                if not m.get(f):
                    continue
                v = number(m[f][1])
                if isinstance(v, str):
                    check(v in page.nonfinite, "run %s: %s %s %s on its page" % (run["id"], key, f, v))
                else:
                    check(v in page.values, "run %s: %s %s %r on its page" % (run["id"], key, f, v))
            check(float(m["count"]) in page.values or str(m["count"]) in text,
                  "run %s: %s count %d on its page" % (run["id"], key, m["count"]))
    return tally.summary("pagecheck")


if __name__ == "__main__":
    sys.exit(main())
