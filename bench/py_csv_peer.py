#!/usr/bin/python3
"""The Python peer for bench/csv.sh: reads every metrics.csv below a folder
with the csv module and converts each non-empty cell to a float, which is the
work runsite's Lightning reader does. Prints the points read and the seconds."""
import csv
import os
import sys
import time


def main():
    root = sys.argv[1]
    files = []
    for d, _, names in os.walk(root):
        for n in names:
            if n == "metrics.csv":
                files.append(os.path.join(d, n))
    files.sort()
    t0 = time.perf_counter()
    points = 0
    for path in files:
        with open(path, newline="") as f:
            rows = csv.reader(f)
            header = next(rows)
            skip = {i for i, h in enumerate(header) if h == "step"}
            for row in rows:
                step = int(row[header.index("step")]) if "step" in header else 0
                for i, cell in enumerate(row):
                    if cell and i not in skip:
                        float(cell)
                        points += 1
    dt = time.perf_counter() - t0
    print(f"files {len(files)} points {points} seconds {dt:.3f} points_per_second {points / dt:.0f}")


if __name__ == "__main__":
    main()
