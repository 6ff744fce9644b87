#!/usr/bin/env python3
"""wandb_write.py — writes W&B run folders (Python standard library only), for
the tests and the benchmark. The framing follows wandb's
wandb/sdk/internal/datastore.py (header ":W&B" 0xBEE1 v0; 32 KiB blocks;
chunk = zlib CRC-32 of type byte + data, u16 length, u8 type), the messages
wandb/proto/wandb_internal.proto (Record: history 2, summary 3, output 4,
config 5, run 17, exit 18, metric 12, stats 7).

    wandb_write.py DIR [--rows N] [--keys K] [--nested] [--cut BYTES] [--corrupt OFFSET]
                       [--no-exit] [--project P] [--group G] [--seed S]

DIR becomes DIR/wandb/run-20261005_090000-<id>/ with run-<id>.wandb and files/.
"""
import argparse
import json
import os
import struct
import zlib

BLOCK = 32768


def varint(n):
    if n < 0:
        n += 1 << 64
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def field(num, wire, payload):
    key = varint(num << 3 | wire)
    if wire == 2:
        return key + varint(len(payload)) + payload
    return key + payload


def s(num, text):
    return field(num, 2, text.encode() if isinstance(text, str) else text)


def v(num, n):
    return field(num, 0, varint(n))


def item(key, value, nested=False):
    k = b"".join(s(2, part) for part in key.split(".")) if nested else s(1, key)
    return k + s(16, json.dumps(value, allow_nan=True))


class Writer:
    def __init__(self, path):
        self.f = open(path, "wb")
        self.f.write(struct.pack("<4sHB", b":W&B", 0xBEE1, 0))
        self.index = 7

    def chunk(self, data, t):
        crc = zlib.crc32(data, zlib.crc32(bytes([t]))) & 0xFFFFFFFF
        self.f.write(struct.pack("<IHB", crc, len(data), t) + data)
        self.index += 7 + len(data)

    def record(self, data):
        left = BLOCK - self.index % BLOCK
        if left < 7:
            self.f.write(b"\0" * left)
            self.index += left
            left = BLOCK
        if len(data) + 7 <= left:
            self.chunk(data, 1)
            return
        room = left - 7
        self.chunk(data[:room], 2)
        data = data[room:]
        while len(data) > BLOCK - 7:
            self.chunk(data[:BLOCK - 7], 3)
            data = data[BLOCK - 7:]
        self.chunk(data, 4)

    def close(self):
        self.f.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dir")
    ap.add_argument("--rows", type=int, default=50)
    ap.add_argument("--keys", type=int, default=4)
    ap.add_argument("--nested", action="store_true", help="keys in nested_key, as wandb-core writes")
    ap.add_argument("--cut", type=int, default=0, help="drop this many bytes from the end")
    ap.add_argument("--corrupt", type=int, action="append", default=[],
                    help="flip a byte at this offset")
    ap.add_argument("--no-exit", action="store_true")
    ap.add_argument("--exit-code", type=int, default=0)
    ap.add_argument("--project", default="puppy-couch-bites")
    ap.add_argument("--group", default="")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--id", default="")
    ap.add_argument("--big-value", type=int, default=0, help="a config value this long (spans blocks)")
    a = ap.parse_args()
    rid = a.id or "run%05d" % a.seed
    run_dir = os.path.join(a.dir, "wandb", "run-20261005_090000-" + rid)
    os.makedirs(os.path.join(run_dir, "files"), exist_ok=True)
    path = os.path.join(run_dir, "run-%s.wandb" % rid)
    w = Writer(path)
    start = 1791190800
    w.record(field(21, 2, field(1, 2, s(1, "wandb-test") + s(2, "0.1"))))
    cfg_items = [item("lr", 0.05), item("seed", a.seed), item("model", "mlp16"),
                 item("optim", {"name": "sgd", "momentum": 0.9})]
    if a.big_value:
        cfg_items.append(item("blob", "x" * a.big_value))
    cfg = b"".join(field(1, 2, c) for c in cfg_items)
    run = (s(1, rid) + s(2, "mira") + s(3, a.project) + field(4, 2, cfg) +
           s(8, "puppy-" + rid) + s(9, "A *note* on this run.") + s(10, "baseline") + s(10, "cpu") +
           field(17, 2, v(1, start)))
    if a.group:
        run += s(6, a.group) + s(7, "train")
    w.record(field(17, 2, run))
    w.record(field(12, 2, s(1, "val/f1") + v(8, 2)))
    w.record(field(12, 2, s(1, "train/loss") + v(8, 1)))
    keys = ["train/loss", "val/f1", "lr", "val/acc", "grad/norm", "epoch"]
    keys += ["extra/k%d" % i for i in range(max(0, a.keys - len(keys)))]
    keys = keys[:a.keys]
    for r in range(a.rows):
        items = b""
        for i, k in enumerate(keys):
            val = 1.0 / (r + 1 + i) if not (k == "train/loss" and r == 3) else float("nan")
            items += field(1, 2, item(k, val, a.nested))
        items += field(1, 2, item("_step", r, a.nested))
        items += field(1, 2, item("_timestamp", start + r * 2.5, a.nested))
        items += field(1, 2, item("_runtime", r * 2.5, a.nested))
        hist = items + field(2, 2, v(1, r) if r else b"")
        w.record(v(1, r + 10) + field(2, 2, hist))
        if r % 10 == 0:
            w.record(field(4, 2, v(1, 1) + s(3, "epoch %d done" % r)))
        if r % 25 == 0:
            st = field(2, 2, v(1, start + r * 3)) + field(3, 2, s(1, "cpu") + s(16, "12.5"))
            w.record(field(7, 2, st))
    summ = field(1, 2, item("best_f1", 0.5)) + field(1, 2, item("_step", a.rows - 1))
    w.record(field(3, 2, summ))
    if not a.no_exit:
        w.record(field(18, 2, (v(1, a.exit_code) if a.exit_code else b"") + v(2, 120)))
    w.close()
    if a.cut:
        with open(path, "r+b") as f:
            f.truncate(os.path.getsize(path) - a.cut)
    for off in a.corrupt:
        with open(path, "r+b") as f:
            f.seek(off)
            b = f.read(1)
            f.seek(off)
            f.write(bytes([b[0] ^ 0x5A]))
    with open(os.path.join(run_dir, "files", "wandb-summary.json"), "w") as f:
        json.dump({"best_f1": 0.5, "final_note": 1.25, "_step": a.rows - 1}, f)
    with open(os.path.join(run_dir, "files", "config.yaml"), "w") as f:
        f.write("wandb_version: 1\n\nlr:\n  desc: null\n  value: 0.05\nseed:\n  desc: null\n"
                "  value: %d\n" % a.seed)
    print(path)


if __name__ == "__main__":
    main()
