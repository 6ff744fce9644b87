#!/usr/bin/env python3
"""make_many_runs.py DIR N — writes N small Lightning CSV runs
(DIR/lightning_logs/version_I: val/loss, val/acc over 20 steps; lr, optimizer
and depth as params), deterministic, for tests of tables with more rows than
a page shows. A few runs lack val/acc or log a NaN, as real runs do."""
import math
import os
import sys


def main():
    root, n = sys.argv[1], int(sys.argv[2])
    for i in range(n):
        d = os.path.join(root, "lightning_logs", "version_%d" % i)
        os.makedirs(d, exist_ok=True)
        lr = [0.1, 0.03, 0.01, 0.003, 0.001][i % 5]
        opt = ["adam", "sgd", "adamw"][i % 3]
        with open(os.path.join(d, "hparams.yaml"), "w") as f:
            f.write("lr: %g\noptimizer: %s\ndepth: %d\n" % (lr, opt, 2 + i % 7))
        with_acc = i % 17 != 5
        with open(os.path.join(d, "metrics.csv"), "w") as f:
            f.write("epoch,step,val/loss" + (",val/acc" if with_acc else "") + "\n")
            for s in range(20):
                # a smooth curve that differs per run; run 7 diverges
                loss = 2.0 * math.exp(-s * (0.05 + (i * 37 % 101) / 400.0)) + (i % 13) / 50.0
                if i == 7 and s == 19:
                    loss = float("nan")
                acc = 1.0 - loss / 2.5
                f.write("%d,%d,%r" % (s // 5, s, loss) + (",%r" % acc if with_acc else "") + "\n")


if __name__ == "__main__":
    main()
