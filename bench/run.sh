#!/bin/sh
# bench/run.sh — every benchmark (`make bench`): MLflow readers and site build,
# charts against matplotlib, TensorBoard ingest against the CRC floor and
# Python, Lightning CSV against Python's csv module, a .wandb file against the
# CRC floor, 10 MB adversarial inputs, a report's cost, a whole build against a
# matplotlib report script, 1,000 and 10,000 runs (bench/scale.sh), axe and vnu
# on every page of the demo and corpus sites (bench/a11y.sh). Data goes
# to /tmp/bench (generated on first use, about 11 GB for everything).
set -u
status=0
for b in mlflow chart vs_matplotlib scale tfevents csv wandb deep report fmt_double a11y; do
	echo "== bench/$b.sh"
	sh "bench/$b.sh" || status=1
	echo
done
exit $status
