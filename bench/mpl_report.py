#!/usr/bin/env python3
"""The peer of a whole `runsite build` for bench/report.sh: a matplotlib
report script over an MLflow file store, one PNG (default dpi) and one SVG
per run and metric, as a researcher would write it.

  mpl_report.py MLRUNS_DIR OUT_DIR
"""
import os
import sys

import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def read_metric(path):
    steps, values = [], []
    with open(path) as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 3:
                values.append(float(parts[1]))
                steps.append(int(parts[2]))
    order = sorted(range(len(steps)), key=steps.__getitem__)
    return [steps[i] for i in order], [values[i] for i in order]


def main():
    root, out = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    charts = 0
    for exp in sorted(os.listdir(root)):
        ed = os.path.join(root, exp)
        if not os.path.isdir(ed):
            continue
        for run in sorted(os.listdir(ed)):
            md = os.path.join(ed, run, "metrics")
            if not os.path.isdir(md):
                continue
            for dirpath, _, names in os.walk(md):
                for name in sorted(names):
                    key = os.path.relpath(os.path.join(dirpath, name), md)
                    x, y = read_metric(os.path.join(dirpath, name))
                    if len(x) < 2:
                        continue
                    fig, ax = plt.subplots(figsize=(8, 4))
                    ax.plot(x, y, linewidth=1.0, label=run[:8])
                    ax.set_title(key)
                    ax.set_xlabel("step")
                    ax.set_ylabel(key)
                    ax.grid(True, alpha=0.3)
                    stem = os.path.join(out, run + "-" + key.replace("/", "-"))
                    fig.savefig(stem + ".png")
                    fig.savefig(stem + ".svg")
                    plt.close(fig)
                    charts += 1
    print(charts, "charts")


main()
