#!/usr/bin/env python3
"""deep_inputs.py OUT SIZE - adversarial inputs for every parser runsite has,
each about SIZE bytes: deep nesting (flow and block YAML, JSON), a CSV header
of one column per byte pair, one huge quoted CSV field, an MLflow meta.yaml
nested to the end, a TensorBoard event file whose one record is nested
protobuf. Each case is a store folder below OUT; `runsite ls --json CASE`
reads it."""
import os
import struct
import sys

out, size = sys.argv[1], int(sys.argv[2])


def write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


def flow_yaml(n):  # a: {a: {a: ... }}
    d = n // 6
    return b"x: 1\nd: " + b"{a: " * d + b"1" + b"}" * d + b"\ny: 2\n"


def block_yaml(n):  # "a:\n  a:\n    a:" - indentation makes depth ~ sqrt(size)
    lines, total, i = [], 0, 0
    while total < n:
        line = b" " * i + b"a:\n"
        lines.append(line)
        total += len(line)
        i += 1
    return b"x: 1\n" + b"".join(lines[:-1]) + b" " * (i - 1) + b"a: 1\n"


def seq_yaml(n):  # [[[[ ... ]]]]
    d = n // 2
    return b"x: " + b"[" * d + b"]" * d + b"\n"


csv_metrics = b"step,loss\n0,1.0\n1,0.5\n"
# Lightning: hparams.yaml deep, in flow and in block style.
for name, gen in (("flow", flow_yaml), ("block", block_yaml), ("seq", seq_yaml)):
    base = f"{out}/lightning-yaml-{name}/lightning_logs/version_0"
    write(f"{base}/metrics.csv", csv_metrics)
    write(f"{base}/hparams.yaml", gen(size))
# DVCLive params.yaml.
base = f"{out}/dvclive-yaml-flow/dvclive"
write(f"{base}/metrics.json", b'{"loss": 0.5}')
write(f"{base}/plots/metrics/loss.tsv", b"step\tloss\n0\t1.0\n1\t0.5\n")
write(f"{base}/params.yaml", flow_yaml(size))
# MLflow FileStore: meta.yaml of a run nested to the end.
run = f"{out}/mlflow-meta/mlruns/0/0123456789abcdef0123456789abcdef"
write(f"{out}/mlflow-meta/mlruns/0/meta.yaml",
      b"artifact_location: x\nexperiment_id: '0'\nlifecycle_stage: active\nname: Default\n")
write(f"{run}/meta.yaml", b"run_id: 0123456789abcdef0123456789abcdef\nexperiment_id: '0'\n"
      b"status: 3\nstart_time: 1\ntags: " + b"{a: " * (size // 5) + b"1" + b"}" * (size // 5) + b"\n")
write(f"{run}/metrics/loss", b"1 1.0 0\n2 0.5 1\n")
# Hugging Face trainer_state.json: [[[[ ... ]]]] as the log history.
d = size // 2
write(f"{out}/hf-json/trainer_state.json",
      b'{"global_step": 1, "log_history": ' + b"[" * d + b"]" * d + b"}")
# CSV: a header of size/2 columns, and one quoted field of size bytes.
cols = size // 4
write(f"{out}/csv-wide/lightning_logs/version_0/metrics.csv",
      b"step," + b",".join(b"c%d" % (i % 100) for i in range(cols))[: size] + b"\n0,1\n")
write(f"{out}/csv-quoted/lightning_logs/version_0/metrics.csv",
      b'step,loss,note\n0,1.0,"' + b"x\n" * (size // 2) + b'"\n1,0.5,y\n')
# TensorBoard: one record of nested submessages (field 1, wire type 2) - an
# Event whose summary value is a message holding a message holding ...
def varint(v):
    b = bytearray()
    while True:
        c = v & 0x7F
        v >>= 7
        if v:
            b.append(c | 0x80)
        else:
            b.append(c)
            return bytes(b)


lens = [0]  # lens[i]: bytes of the message i levels up from the empty innermost one
while lens[-1] < size:
    lens.append(lens[-1] + 1 + len(varint(lens[-1])))
msg = b"".join(b"\x0a" + varint(lens[i]) for i in range(len(lens) - 2, -1, -1))
ev = b"\x09" + struct.pack("<d", 1.0) + b"\x2a" + varint(len(msg)) + msg  # wall_time, summary


sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../shared/bench"))
from genruns import encode_event, tfrecord_frame  # noqa: E402

# A plain first record (file_version), then the nested one, then a scalar.
rec = (tfrecord_frame(encode_event(1.0, 0, file_version="brain.Event:2"))
       + tfrecord_frame(ev)
       + tfrecord_frame(encode_event(2.0, 1, summary_bytes=b"")))
# Lightning writes hparams.yaml beside its event files: the TensorBoard
# reader flattens it with its own walker.
write(f"{out}/tb-nested/run/hparams.yaml", flow_yaml(size))
write(f"{out}/tb-nested/run/events.out.tfevents.1.host", rec)
