#!/usr/bin/env python3
"""make_badutf8_store.py DIR — writes an MLflow FileStore of two runs whose
run names, param keys and values, tags, notes, metric keys and artifact names
hold bytes that are not UTF-8 (a lone 0xFF, a truncated sequence, an overlong
form, a surrogate)."""
import os
import sys

BAD = [b"\xff", b"\xc3(", b"\xc0\xaf", b"\xed\xa0\x80"]


def write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())


def main():
    root = os.path.join(os.fsencode(sys.argv[1]), b"mlruns")
    write(os.path.join(root, b"0", b"meta.yaml"),
          "artifact_location: file:///tmp/mlruns/0\nexperiment_id: '0'\n"
          "lifecycle_stage: active\nname: Default\n")
    exp = os.path.join(root, b"1")
    write(os.path.join(exp, b"meta.yaml"),
          "artifact_location: file:///tmp/mlruns/1\nexperiment_id: '1'\n"
          "lifecycle_stage: active\nname: utf8\n")
    write(os.path.join(exp, b"tags", b"mlflow.note.content"), b"# About " + BAD[0] + b"\n\nText " + BAD[1] + b"\n")
    for i, rid in enumerate([b"a" * 32, b"b" * 32]):
        run = os.path.join(exp, rid)
        write(os.path.join(run, b"meta.yaml"),
              b"artifact_uri: file:///tmp/x\nend_time: 1700000100000\nexperiment_id: '1'\n"
              b"lifecycle_stage: active\nrun_id: " + rid + b"\nrun_uuid: " + rid + b"\n"
              b"source_type: 4\nstart_time: %d\nstatus: 3\ntags: []\nuser_id: u\n" % (1700000000000 + i))
        write(os.path.join(run, b"tags", b"mlflow.runName"), b"run" + BAD[i] + b"-%d" % i)
        write(os.path.join(run, b"tags", b"team" + BAD[2]), b"value " + BAD[3])
        write(os.path.join(run, b"tags", b"mlflow.note.content"), b"## Notes " + BAD[0] + b"\n\n* item " + BAD[1] + b"\n")
        write(os.path.join(run, b"params", b"lr"), b"0.1" + BAD[0])
        write(os.path.join(run, b"params", b"opt" + BAD[1]), b"adam")
        lines = b"".join(b"%d %f %d\n" % (1700000000000 + k, 1.0 / (k + 1 + i), k) for k in range(20))
        write(os.path.join(run, b"metrics", b"acc"), lines)
        write(os.path.join(run, b"metrics", b"loss" + BAD[0]), lines)
        write(os.path.join(run, b"artifacts", b"model" + BAD[0] + b".bin"), b"x")


if __name__ == "__main__":
    main()
