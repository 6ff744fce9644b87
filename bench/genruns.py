#!/usr/bin/env python3
"""genruns.py - deterministic synthetic ML training runs for benchmarks and tests.

Writes realistic training runs (noisy decaying losses, saturating accuracies,
cosine/step learning-rate schedules, gradient-norm spikes, occasional NaN/inf,
diverged runs, per-run hyperparameters, tags and a Markdown note per run) in one
of four on-disk formats:

  mlflow-file    DIR/mlruns/...           MLflow FileStore layout
  mlflow-sqlite  DIR/mlflow.db            MLflow SQL backend schema (SQLite)
  tfevents       DIR/<run>/events.out.tfevents.*   TensorBoard event files
  lightning-csv  DIR/lightning_logs/version_<i>/metrics.csv + hparams.yaml

The same --seed gives the same runs (ids, names, hyperparameters, values) in
every format, so readers of different formats can be compared on equal data.
Python 3 standard library only.

Also: --verify-tfevents FILE... re-reads TFRecord framing, checks both CRC32C
checksums of every record, decodes the Event protobufs and counts scalars;
with --reencode it re-encodes every plain scalar event with this generator's
encoder and compares the framed record byte for byte.
"""

import argparse
import array
import json
import math
import os
import random
import signal
import sqlite3
import struct
import sys
import time
import uuid

BASE_TIME_MS = 1709280000000  # 2024-03-01T08:00:00Z: first run's start time

SIZES = {
    # name: (runs, metrics, steps)
    "small": (20, 8, 2000),
    "sweep": (500, 6, 5000),
    "long": (4, 4, 1000000),
    "wide": (50, 300, 500),
    # issue 16: memory flat in the number of runs (bench/scale.sh)
    "scale1k": (1000, 6, 1000),
    "scale10k": (10000, 6, 1000),
}

FORMATS = ("mlflow-file", "mlflow-sqlite", "tfevents", "lightning-csv")

# --------------------------------------------------------------------------
# CRC32C (Castagnoli), TFRecord framing
# --------------------------------------------------------------------------

_CRC_TABLES = None


def _crc_tables():
    """Slicing-by-8 done with four 16-bit tables (Python-speed trick)."""
    global _CRC_TABLES
    if _CRC_TABLES is None:
        poly = 0x82F63B78
        t0 = []
        for i in range(256):
            c = i
            for _ in range(8):
                c = (c >> 1) ^ poly if c & 1 else c >> 1
            t0.append(c)
        ts = [t0]
        for _ in range(7):
            prev = ts[-1]
            ts.append([(prev[i] >> 8) ^ t0[prev[i] & 0xFF] for i in range(256)])
        t = ts
        # word bytes b0..b7 (little endian) -> T7[b0]^T6[b1]^...^T0[b7]
        a = [t[7][i & 0xFF] ^ t[6][i >> 8] for i in range(65536)]
        b = [t[5][i & 0xFF] ^ t[4][i >> 8] for i in range(65536)]
        c = [t[3][i & 0xFF] ^ t[2][i >> 8] for i in range(65536)]
        d = [t[1][i & 0xFF] ^ t[0][i >> 8] for i in range(65536)]
        _CRC_TABLES = (t0, a, b, c, d)
    return _CRC_TABLES


def crc32c(data, crc=0):
    t0, a, b, c, d = _crc_tables()
    crc ^= 0xFFFFFFFF
    n = len(data)
    n8 = n & ~7
    if n8:
        for w in memoryview(data)[:n8].cast("Q"):
            x = w ^ crc
            crc = a[x & 0xFFFF] ^ b[(x >> 16) & 0xFFFF] ^ c[(x >> 32) & 0xFFFF] ^ d[x >> 48]
    for i in range(n8, n):
        crc = t0[(crc ^ data[i]) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def masked_crc32c(data):
    crc = crc32c(data)
    return ((((crc >> 15) | (crc << 17)) & 0xFFFFFFFF) + 0xA282EAD8) & 0xFFFFFFFF


_LEN_HDR_CACHE = {}


def tfrecord_frame(payload):
    """uint64 LE length, uint32 masked crc32c(length bytes), payload, uint32 masked crc32c(payload)."""
    n = len(payload)
    hdr = _LEN_HDR_CACHE.get(n)
    if hdr is None:
        lb = struct.pack("<Q", n)
        hdr = lb + struct.pack("<I", masked_crc32c(lb))
        _LEN_HDR_CACHE[n] = hdr
    return hdr + payload + struct.pack("<I", masked_crc32c(payload))


# --------------------------------------------------------------------------
# hand-written protobuf encoder for tensorflow.Event / Summary
# --------------------------------------------------------------------------

def varint(n):
    if n < 0:
        n &= (1 << 64) - 1  # int64 negative: 10-byte two's complement
    out = bytearray()
    while n > 0x7F:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def pb_bytes(field, payload):
    return varint((field << 3) | 2) + varint(len(payload)) + payload


_PK_D = struct.Struct("<d").pack
_PK_F = struct.Struct("<f").pack
_SCALARS_META = pb_bytes(9, pb_bytes(1, pb_bytes(1, b"scalars")))  # SummaryMetadata{plugin_data{plugin_name}}


def value_parts(tag, mode):
    """Summary.Value bytes around the 4 float bytes: (prefix, suffix).

    simple:         Value{tag=1, simple_value=2 (fixed32)}    TF1 / PyTorch add_scalar
    tensor:         Value{tag=1, tensor=8{dtype=1 DT_FLOAT, tensor_shape=2{}, float_val=5 packed},
                          metadata=9{plugin_data=1{plugin_name=1 "scalars"}}}   PyTorch new_style
    tensor-content: same, but tensor_content=4 (raw bytes) instead of float_val  TF2 tf.summary.scalar
    Fields are written in field-number order, as protobuf serializers do.
    """
    tb = tag.encode("utf-8")
    tagf = b"\x0a" + varint(len(tb)) + tb
    if mode == "simple":
        inner_pre = tagf + b"\x15"
        inner_suf = b""
    else:
        fld = b"\x2a\x04" if mode == "tensor" else b"\x22\x04"
        tensor_len = 2 + 2 + 2 + 4  # dtype, empty shape, field hdr, 4 bytes
        inner_pre = tagf + b"\x42" + varint(tensor_len) + b"\x08\x01\x12\x00" + fld
        inner_suf = _SCALARS_META
    vlen = len(inner_pre) + 4 + len(inner_suf)
    prefix = b"\x0a" + varint(vlen) + inner_pre  # Summary.value (field 1)
    return prefix, inner_suf


def encode_event(wall_time, step, summary_bytes=None, file_version=None):
    out = b"\x09" + _PK_D(wall_time)
    if step:
        out += b"\x10" + varint(step)
    if file_version is not None:
        fv = file_version.encode()
        out += b"\x1a" + varint(len(fv)) + fv
    if summary_bytes is not None:
        out += b"\x2a" + varint(len(summary_bytes)) + summary_bytes
    return out


# --------------------------------------------------------------------------
# synthetic run model
# --------------------------------------------------------------------------

CORE_METRICS = [
    # (key, kind, phase)  phase 'val' metrics are thinned by --val-every
    ("train/loss", "loss", "train"),
    ("val/loss", "vloss", "val"),
    ("train/accuracy", "acc", "train"),
    ("lr", "lr", "train"),
    ("val/accuracy", "vacc", "val"),
    ("grad_norm", "gradnorm", "train"),
    ("epoch", "epoch", "train"),
    ("throughput/samples_per_sec", "throughput", "train"),
    ("val/f1", "vacc", "val"),
    ("gpu/mem_allocated_gb", "mem", "train"),
    ("val/top5_accuracy", "acc5", "val"),
    ("train/perplexity", "ppl", "train"),
    ("val/auc", "auc", "val"),
    ("train/kl_div", "kl", "train"),
    ("time/data_ms", "datams", "train"),
    ("val/precision", "vacc", "val"),
    ("val/recall", "vacc", "val"),
]
N_LAYERS_WIDE = 48


def metric_specs(m):
    specs = list(CORE_METRICS[:m])
    k = 0
    while len(specs) < m:
        if k < 3 * N_LAYERS_WIDE:
            layer, what = divmod(k, 3)
            kind = ("lgradnorm", "wnorm", "upd")[what]
            name = ("grad_norm", "weight_norm", "update_ratio")[what]
            specs.append((f"layers.{layer:02d}/{name}", kind, "train"))
        else:
            j = k - 3 * N_LAYERS_WIDE
            cls, what = divmod(j, 2)
            specs.append((f"val/class_{cls:03d}/{('precision', 'recall')[what]}", "vacc", "val"))
        k += 1
    return specs


ADJ = ("bold", "calm", "clever", "dapper", "eager", "fearless", "gentle", "happy", "jolly",
       "keen", "lively", "mighty", "nimble", "polite", "quiet", "rare", "silent", "smiling",
       "sneaky", "stately", "sunny", "tasteful", "thoughtful", "unique", "vaunted", "wistful")
NOUN = ("ant", "bass", "bear", "bird", "cat", "colt", "conch", "crab", "deer", "doe", "eel",
        "finch", "fox", "goat", "gull", "hare", "hen", "hog", "lark", "lynx", "mole", "moth",
        "mouse", "owl", "ram", "seal", "shark", "sloth", "snail", "stag", "swan", "toad", "trout",
        "whale", "wolf", "yak", "zebra")
USERS = ("alice", "bob", "chen", "dana", "emeka", "farah")
EXPERIMENTS = ("cifar10-resnet", "imdb-sentiment", "wmt14-en-de-transformer", "librispeech-ctc",
               "coco-detr", "tabular-gbdt-vs-mlp", "gpt-small-pretrain", "mnist-sanity")
SOURCES = ("train.py", "scripts/train_sweep.py", "notebooks/explore.ipynb", "src/trainer/main.py")


def param_pool(rr):
    """Ordered (key, value) hyperparameters; value types are native (str/int/float)."""
    optimizer = rr.choice(("adamw", "adamw", "adam", "sgd", "lamb"))
    base_lr = 0.1 if optimizer == "sgd" else 3e-4
    lr = float("%.3g" % (base_lr * 10 ** rr.uniform(-1.3, 1.3)))
    pool = [
        ("lr", lr),
        ("batch_size", rr.choice((16, 32, 64, 128, 256))),
        ("optimizer", optimizer),
        ("seed", rr.randrange(100000)),
        ("dropout", rr.choice((0.0, 0.1, 0.1, 0.2, 0.3, 0.5))),
        ("weight_decay", rr.choice((0.0, 1e-5, 1e-4, 0.01, 0.05))),
        ("scheduler", rr.choice(("cosine", "cosine", "step", "linear", "constant"))),
        ("warmup_frac", rr.choice((0.0, 0.01, 0.03, 0.05))),
        ("epochs", rr.choice((10, 20, 30, 50, 90))),
        ("model", rr.choice(("resnet18", "resnet50", "vit-s16", "mlp-3x512", "convnext-t"))),
        ("hidden_size", rr.choice((256, 512, 768, 1024))),
        ("num_layers", rr.choice((4, 6, 12, 24))),
        ("grad_clip", rr.choice((0.0, 0.5, 1.0, 5.0))),
        ("label_smoothing", rr.choice((0.0, 0.05, 0.1))),
        ("momentum", rr.choice((0.0, 0.9, 0.95))),
        ("precision", rr.choice(("32", "16-mixed", "bf16-mixed"))),
        ("dataset", rr.choice(("cifar10", "cifar100", "imagenet-1k-subset", "imdb"))),
        ("num_workers", rr.choice((2, 4, 8))),
        ("beta1", 0.9),
        ("beta2", rr.choice((0.98, 0.999))),
        ("eps", 1e-8),
        ("ema_decay", rr.choice((0.0, 0.999, 0.9999))),
        ("mixup_alpha", rr.choice((0.0, 0.2, 0.8))),
        ("image_size", rr.choice((32, 64, 224))),
    ]
    return pool


def params_for(rr, p):
    pool = param_pool(rr)
    out = pool[:p]
    i = 0
    while len(out) < p:
        out.append((f"extra.param_{i:03d}", rr.choice((0, 1, 2, 0.5, "on", "off", "auto"))))
        i += 1
    # curves use the whole pool even when fewer params are written
    return out, dict(pool)


def param_str(v):
    """MLflow stores str(value)."""
    return str(v)


class Run:
    pass


def make_runs(args):
    runs = []
    names = set()
    n_exp = max(1, args.experiments)
    per_exp = math.ceil(args.runs / n_exp)
    for i in range(args.runs):
        rr = random.Random(f"genruns:{args.seed}:run:{i}")
        r = Run()
        r.index = i
        r.rr = rr
        r.run_id = uuid.UUID(int=rr.getrandbits(128), version=4).hex
        r.name = f"{rr.choice(ADJ)}-{rr.choice(NOUN)}-{rr.randrange(1000):03d}"
        while r.name in names:  # unique: tfevents uses the name as the run directory
            r.name = f"{rr.choice(ADJ)}-{rr.choice(NOUN)}-{rr.randrange(1000):03d}"
        names.add(r.name)
        r.exp_index = min(i // per_exp, n_exp - 1)
        r.user = rr.choice(USERS)
        r.source = rr.choice(SOURCES)
        r.git_commit = "%040x" % rr.getrandbits(160)
        r.host = f"gpu-node-{rr.randrange(1, 17):02d}"
        r.pid = rr.randrange(1000, 99999)
        r.params, r.hp = params_for(rr, args.params)
        r.step_ms = rr.uniform(80.0, 450.0)
        # runs start staggered; sweeps overlap in time like a real scheduler
        r.start_ms = BASE_TIME_MS + i * int(rr.uniform(0.2, 1.0) * 600000) + rr.randrange(60000)
        r.end_ms = r.start_ms + int(args.steps * r.step_ms) + rr.randrange(2000, 30000)
        # quality of the hyperparameters: distance of lr from the optimizer's sweet spot
        best = 0.1 if r.hp["optimizer"] == "sgd" else 3e-4
        r.badness = min(1.0, abs(math.log10(r.hp["lr"] / best)) / 1.5) * 0.7 + rr.random() * 0.3
        r.diverge_at = None
        if args.edge_cases and (rr.random() < 0.04 or (r.badness > 0.85 and rr.random() < 0.5)):
            r.diverge_at = int(args.steps * rr.uniform(0.25, 0.8))
        r.status = "FINISHED"
        if r.diverge_at is not None:
            r.status = "FAILED"
        r.lifecycle = "active"
        if args.edge_cases and args.runs >= 10 and i == args.runs - 1:
            r.status = "RUNNING"
            r.end_ms = None
        if args.edge_cases and args.runs >= 20 and i == args.runs // 2:
            r.lifecycle = "deleted"
        r.tags = {}
        runs.append(r)
    return runs


def _f32(vals):
    return array.array("d", array.array("f", vals)).tolist()


def series(r, spec, steps_idx, n_steps, seed):
    """Values of one metric of one run at the given steps (list of float)."""
    key, kind, _phase = spec
    rm = random.Random(f"genruns:{seed}:run:{r.index}:metric:{key}")
    g = rm.gauss
    exp = math.exp
    sin = math.sin
    inv = 1.0 / max(1, n_steps - 1)
    bad = r.badness
    f1 = rm.uniform(1.5, 4.0)
    f2 = rm.uniform(6.0, 15.0)
    p1 = rm.uniform(0, 6.283)
    p2 = rm.uniform(0, 6.283)
    w1 = rm.uniform(0.005, 0.03)
    w2 = rm.uniform(0.002, 0.01)
    tp = 6.283185307179586
    f32 = True
    if kind in ("loss", "vloss", "ppl", "kl"):
        init = rm.uniform(2.0, 2.6)
        floor = 0.04 + 0.5 * bad + rm.uniform(0, 0.05)
        rate = rm.uniform(3.0, 8.0)
        noise = 0.07 if kind != "vloss" else 0.012
        over = 0.0
        if kind == "vloss":
            floor += 0.05
            over = rm.uniform(0.0, 0.6) * (1.0 - bad)
        if kind == "kl":
            init, floor, rate = 0.01, 0.3 + 0.2 * bad, rm.uniform(1.0, 3.0)
        vals = []
        ap = vals.append
        span = init - floor
        for s in steps_idx:
            t = s * inv
            v = (floor + span * exp(-rate * t)) * (1.0 + w1 * sin(tp * f1 * t + p1) + w2 * sin(tp * f2 * t + p2))
            if over and t > 0.5:
                v += over * (t - 0.5) * (t - 0.5)
            v *= 1.0 + noise * g()
            ap(v if v > 1e-4 else 1e-4)
        if kind == "ppl":
            vals = [exp(v) for v in vals]
    elif kind in ("acc", "vacc", "acc5", "auc"):
        chance = {"acc5": 0.5, "auc": 0.5}.get(kind, 0.1)
        amax = 0.97 - 0.35 * bad + rm.uniform(-0.02, 0.02)
        if kind in ("acc5", "auc"):
            amax = min(0.998, amax + 0.1)
        rate = rm.uniform(3.0, 9.0)
        noise = 0.02 if kind == "acc" else 0.006
        span = amax - chance
        vals = []
        ap = vals.append
        for s in steps_idx:
            t = s * inv
            v = chance + span * (1.0 - exp(-rate * t)) + span * w2 * sin(tp * f2 * t + p2) + noise * g()
            ap(0.0 if v < 0.0 else (1.0 if v > 1.0 else v))
    elif kind == "lr":
        f32 = False
        peak = r.hp["lr"]
        sched = r.hp["scheduler"]
        warm = int(r.hp["warmup_frac"] * n_steps)
        vals = []
        ap = vals.append
        cos = math.cos
        pi = math.pi
        decay_len = max(1, n_steps - warm)
        third = max(1, n_steps // 3)
        for s in steps_idx:
            if s < warm:
                v = peak * (s + 1) / warm
            elif sched == "cosine":
                v = 0.5 * peak * (1.0 + cos(pi * (s - warm) / decay_len))
            elif sched == "step":
                v = peak * 0.1 ** (s // third)
            elif sched == "linear":
                v = peak * (1.0 - (s - warm) / decay_len)
            else:
                v = peak
            ap(v)
    elif kind in ("gradnorm", "lgradnorm"):
        base0 = rm.uniform(2.0, 8.0) * (0.2 if kind == "lgradnorm" else 1.0)
        vals = []
        ap = vals.append
        rnd = rm.random
        for s in steps_idx:
            t = s * inv
            v = (base0 * exp(-2.0 * t) + 0.3 * base0) * exp(0.35 * g())
            if rnd() < 0.002:
                v *= rm.uniform(8.0, 50.0)  # loss spike
            ap(v)
    elif kind == "wnorm":
        a0 = rm.uniform(5.0, 40.0)
        vals = [a0 * (1.0 + 0.3 * s * inv) * (1.0 + 0.001 * g()) for s in steps_idx]
    elif kind == "upd":
        a0 = rm.uniform(2e-4, 3e-3)
        vals = [a0 * exp(0.25 * g()) * (1.0 - 0.8 * s * inv) for s in steps_idx]
    elif kind == "epoch":
        f32 = False
        spe = max(1, n_steps // r.hp["epochs"])
        vals = [float(s // spe) for s in steps_idx]
    elif kind == "throughput":
        base = 6000.0 / (1 + math.log2(r.hp["batch_size"] / 16 + 1)) * rm.uniform(0.5, 2.0) * r.hp["batch_size"] / 32
        spe = max(1, n_steps // r.hp["epochs"])
        vals = [base * (1.0 + 0.03 * g()) * (0.55 if s % spe == 0 else 1.0) for s in steps_idx]
    elif kind == "mem":
        base = rm.uniform(3.0, 30.0)
        vals = [base + 0.25 * int(4 * s * inv) + 0.01 * g() for s in steps_idx]
    elif kind == "datams":
        vals = [12.0 * exp(0.4 * g()) for s in steps_idx]
    else:
        raise ValueError(kind)

    # sporadic NaN / inf (fp16 overflow, skipped steps) on train loss and grad norms
    n = len(vals)
    if n and kind in ("loss", "gradnorm") and r.edge_cases:
        k = int(n * 2e-4 + rm.random())
        for _ in range(k):
            vals[rm.randrange(n)] = float("nan")
        if kind == "gradnorm":
            for _ in range(int(n * 1e-4 + rm.random())):
                vals[rm.randrange(n)] = float("inf")
    # divergence: blow-up, then NaN losses / chance-level accuracy until the end
    d = r.diverge_at
    if d is not None and kind not in ("lr", "epoch", "throughput", "mem", "datams", "wnorm"):
        for j, s in enumerate(steps_idx):
            if s < d:
                continue
            if kind in ("acc", "vacc", "acc5", "auc"):
                chance = 0.5 if kind in ("acc5", "auc") else 0.1
                vals[j] = max(0.0, chance + 0.01 * g())
            elif s < d + 25:
                vals[j] = vals[j] * exp((s - d) / 3.0)
            else:
                vals[j] = float("nan")
    if f32:
        vals = _f32(vals)
    return vals


def steps_for(spec, n_steps, val_every):
    if spec[2] == "val" and val_every > 1:
        return range(val_every - 1, n_steps, val_every)
    return range(n_steps)


def step_ts_ms(r, steps_idx, phase):
    """Wall-clock ms per logged step: monotonic, jittered; eval metrics land a bit later."""
    rt = random.Random(f"genruns:ts:{r.index}")
    st = r.step_ms
    half = st * 0.45
    base = r.start_ms + (1500 if phase == "val" else 0)
    u = rt.random
    return [base + int(s * st + half * u()) for s in steps_idx]


# --------------------------------------------------------------------------
# notes
# --------------------------------------------------------------------------

def run_note(r, finals, seed):
    rn = random.Random(f"genruns:{seed}:note:{r.index}")
    hp = r.hp
    lines = [f"# {r.name}", ""]
    intro = rn.choice((
        "Baseline run with the **default** recipe.",
        "Re-run of the previous config with a *different* seed to check variance.",
        "Trying a higher learning rate; see the `lr` curve for the warm-up.",
        "Sweep member. Only the learning rate and batch size differ from its siblings.",
        "Ablation: dropout changed, everything else fixed.",
    ))
    lines.append(f"{intro} Optimizer `{hp['optimizer']}`, lr `{hp['lr']}`, batch size {hp['batch_size']}.")
    lines.append("")
    lines.append("## Setup")
    lines.append("")
    for k in ("model", "dataset", "scheduler", "precision", "dropout"):
        lines.append(f"- **{k}**: `{hp[k]}`")
    lines.append(f"- commit [`{r.git_commit[:8]}`](https://example.org/repo/commit/{r.git_commit})")
    lines.append("")
    if finals:
        lines.append("## Final metrics")
        lines.append("")
        lines.append("| metric | value |")
        lines.append("|---|---:|")
        for k, v in finals[:6]:
            lines.append(f"| {k} | {v:.4g} |")
        lines.append("")
    if r.diverge_at is not None:
        lines.append(f"> **Diverged** around step {r.diverge_at}: loss became `NaN`. Lower the lr or enable grad clipping.")
        lines.append("")
    lines.append("## Observations")
    lines.append("")
    for j, obs in enumerate(rn.sample((
            "Validation loss plateaus after the first third of training.",
            "Throughput dips at every epoch boundary (evaluation).",
            "Gradient norm spikes coincide with loss spikes; clipping would help.",
            "Accuracy keeps improving slowly; a longer schedule may pay off.",
            "Slight overfitting at the end: val loss rises while train loss falls.",
            "Mixed precision gave ~1.6x speed-up with no accuracy change.",
    ), rn.randrange(2, 5))):
        lines.append(f"{j + 1}. {obs}")
    lines.append("")
    lines.append("```bash")
    lines.append(f"python {r.source} --lr {hp['lr']} --batch-size {hp['batch_size']} --seed {hp['seed']}")
    lines.append("```")
    lines.append("")
    return "\n".join(lines)


def exp_note(name):
    return (f"# {name}\n\nExperiment tracking runs for **{name}**.\n\n"
            "- owner: ml-platform\n- goal: beat the baseline on the validation set\n")


# --------------------------------------------------------------------------
# writers
# --------------------------------------------------------------------------

def _yaml_scalar(v):
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    s = str(v)
    if s == "" or s.lower() in ("null", "true", "false", "yes", "no", "on", "off", "~") \
            or _looks_numeric(s) or s[0] in "!&*-?:,[]{}#|>@`\"'%" or ": " in s or " #" in s:
        return "'" + s.replace("'", "''") + "'"
    return s


def _looks_numeric(s):
    try:
        float(s)
        return True
    except ValueError:
        return False


def _yaml(d):
    return "".join(f"{k}: {_yaml_scalar(v) if not isinstance(v, list) else '[]'}\n" for k, v in sorted(d.items()))


def _write(path, data, mode="w"):
    with open(path, mode) as f:
        f.write(data)


def exp_table(args, out_abs):
    """[(exp_id_filestore, exp_id_sql, name)], Default (id 0) first."""
    rx = random.Random(f"genruns:{args.seed}:experiments")
    exps = []
    for j in range(max(1, args.experiments)):
        fid = str(rx.randrange(10 ** 17, 10 ** 18))
        name = EXPERIMENTS[j % len(EXPERIMENTS)] + ("" if j < len(EXPERIMENTS) else f"-{j // len(EXPERIMENTS)}")
        exps.append((fid, j + 1, name))
    return exps


def gen_run_data(r, specs, args):
    """Yield (spec, steps_idx, values) for each metric of the run."""
    for spec in specs:
        idx = steps_for(spec, args.steps, args.val_every)
        yield spec, idx, series(r, spec, idx, args.steps, args.seed)


def finals_of(collected):
    out = []
    for key, vals in collected:
        for v in reversed(vals):
            if v == v:
                out.append((key, v))
                break
    return out


def run_tags(r, note):
    return {
        "mlflow.runName": r.name,
        "mlflow.user": r.user,
        "mlflow.source.name": r.source,
        "mlflow.source.type": "LOCAL",
        "mlflow.source.git.commit": r.git_commit,
        "mlflow.note.content": note,
    }


def write_mlflow_file(args, runs, specs, out):
    root = os.path.join(out, "mlruns")
    out_abs = os.path.abspath(out)
    art_root = "file://" + os.path.join(out_abs, "mlruns")
    os.makedirs(os.path.join(root, ".trash"), exist_ok=True)
    exps = exp_table(args, out_abs)
    d0 = os.path.join(root, "0")
    os.makedirs(d0, exist_ok=True)
    _write(os.path.join(d0, "meta.yaml"), _yaml({
        "artifact_location": f"{art_root}/0", "creation_time": BASE_TIME_MS - 86400000,
        "experiment_id": "0", "last_update_time": BASE_TIME_MS - 86400000,
        "lifecycle_stage": "active", "name": "Default"}))
    for fid, _sid, name in exps:
        ed = os.path.join(root, fid)
        os.makedirs(os.path.join(ed, "tags"), exist_ok=True)
        _write(os.path.join(ed, "meta.yaml"), _yaml({
            "artifact_location": f"{art_root}/{fid}", "creation_time": BASE_TIME_MS - 3600000,
            "experiment_id": fid, "last_update_time": BASE_TIME_MS - 3600000,
            "lifecycle_stage": "active", "name": name}))
        _write(os.path.join(ed, "tags", "mlflow.note.content"), exp_note(name))
    points = 0
    for r in runs:
        fid = exps[r.exp_index][0]
        rd = os.path.join(root, fid, r.run_id)
        for sub in ("metrics", "params", "tags", "artifacts"):
            os.makedirs(os.path.join(rd, sub), exist_ok=True)
        collected = []
        for spec, idx, vals in gen_run_data(r, specs, args):
            key = spec[0]
            ts = step_ts_ms(r, idx, spec[2])
            p = os.path.join(rd, "metrics", key)
            if "/" in key:
                os.makedirs(os.path.dirname(p), exist_ok=True)
            _write(p, "".join([f"{t} {v!r} {s}\n" for t, v, s in zip(ts, vals, idx)]))
            points += len(vals)
            collected.append((key, vals))
        for k, v in r.params:
            p = os.path.join(rd, "params", k)
            if "/" in k:
                os.makedirs(os.path.dirname(p), exist_ok=True)
            _write(p, param_str(v))
        note = run_note(r, finals_of(collected), args.seed)
        for k, v in run_tags(r, note).items():
            _write(os.path.join(rd, "tags", k), v)
        if r.index % 3 == 0:
            _write(os.path.join(rd, "artifacts", "model_summary.txt"),
                   f"{r.hp['model']}: {r.hp['num_layers']} layers, hidden {r.hp['hidden_size']}\n")
        _write(os.path.join(rd, "meta.yaml"), _yaml({
            "artifact_uri": f"{art_root}/{fid}/{r.run_id}/artifacts",
            "end_time": r.end_ms,
            "entry_point_name": "",
            "experiment_id": fid,
            "lifecycle_stage": r.lifecycle,
            "run_id": r.run_id,
            "run_name": r.name,
            "run_uuid": r.run_id,
            "source_name": "",
            "source_type": 4,
            "source_version": "",
            "start_time": r.start_ms,
            "status": {"RUNNING": 1, "SCHEDULED": 2, "FINISHED": 3, "FAILED": 4, "KILLED": 5}[r.status],
            "tags": [],
            "user_id": r.user,
        }))
        progress(args, r)
    return points


# Schema of MLflow's SQL tracking store as created by `mlflow db upgrade` on SQLite at
# alembic revision 867495a8f9d4 ("add trace tables", MLflow 2.13-2.14 era): table DDL as in
# mlflow's tests/resources/db/latest_schema.sql of that era, plus the indexes its migrations
# create (bd07f7e963c5 "create index on run_uuid", 867495a8f9d4 trace indexes).
MLFLOW_ALEMBIC_HEAD = "867495a8f9d4"
MLFLOW_SQLITE_DDL = """
CREATE TABLE alembic_version (
	version_num VARCHAR(32) NOT NULL,
	CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num)
);
CREATE TABLE experiments (
	experiment_id INTEGER NOT NULL,
	name VARCHAR(256) NOT NULL,
	artifact_location VARCHAR(256),
	lifecycle_stage VARCHAR(32),
	creation_time BIGINT,
	last_update_time BIGINT,
	CONSTRAINT experiment_pk PRIMARY KEY (experiment_id),
	UNIQUE (name),
	CONSTRAINT experiments_lifecycle_stage CHECK (lifecycle_stage IN ('active', 'deleted'))
);
CREATE TABLE input_tags (
	input_uuid VARCHAR(36) NOT NULL,
	name VARCHAR(255) NOT NULL,
	value VARCHAR(500) NOT NULL,
	CONSTRAINT input_tags_pk PRIMARY KEY (input_uuid, name)
);
CREATE TABLE inputs (
	input_uuid VARCHAR(36) NOT NULL,
	source_type VARCHAR(36) NOT NULL,
	source_id VARCHAR(36) NOT NULL,
	destination_type VARCHAR(36) NOT NULL,
	destination_id VARCHAR(36) NOT NULL,
	CONSTRAINT inputs_pk PRIMARY KEY (source_type, source_id, destination_type, destination_id)
);
CREATE TABLE registered_models (
	name VARCHAR(256) NOT NULL,
	creation_time BIGINT,
	last_updated_time BIGINT,
	description VARCHAR(5000),
	CONSTRAINT registered_model_pk PRIMARY KEY (name),
	UNIQUE (name)
);
CREATE TABLE datasets (
	dataset_uuid VARCHAR(36) NOT NULL,
	experiment_id INTEGER NOT NULL,
	name VARCHAR(500) NOT NULL,
	digest VARCHAR(36) NOT NULL,
	dataset_source_type VARCHAR(36) NOT NULL,
	dataset_source TEXT NOT NULL,
	dataset_schema TEXT,
	dataset_profile TEXT,
	CONSTRAINT dataset_pk PRIMARY KEY (experiment_id, name, digest),
	FOREIGN KEY(experiment_id) REFERENCES experiments (experiment_id)
);
CREATE TABLE experiment_tags (
	key VARCHAR(250) NOT NULL,
	value VARCHAR(5000),
	experiment_id INTEGER NOT NULL,
	CONSTRAINT experiment_tag_pk PRIMARY KEY (key, experiment_id),
	FOREIGN KEY(experiment_id) REFERENCES experiments (experiment_id)
);
CREATE TABLE model_versions (
	name VARCHAR(256) NOT NULL,
	version INTEGER NOT NULL,
	creation_time BIGINT,
	last_updated_time BIGINT,
	description VARCHAR(5000),
	user_id VARCHAR(256),
	current_stage VARCHAR(20),
	source VARCHAR(500),
	run_id VARCHAR(32),
	status VARCHAR(20),
	status_message VARCHAR(500),
	run_link VARCHAR(500),
	storage_location VARCHAR(500),
	CONSTRAINT model_version_pk PRIMARY KEY (name, version),
	FOREIGN KEY(name) REFERENCES registered_models (name) ON UPDATE CASCADE
);
CREATE TABLE registered_model_aliases (
	alias VARCHAR(256) NOT NULL,
	version INTEGER NOT NULL,
	name VARCHAR(256) NOT NULL,
	CONSTRAINT registered_model_alias_pk PRIMARY KEY (name, alias),
	CONSTRAINT registered_model_alias_name_fkey FOREIGN KEY(name) REFERENCES registered_models (name) ON DELETE CASCADE ON UPDATE CASCADE
);
CREATE TABLE registered_model_tags (
	key VARCHAR(250) NOT NULL,
	value VARCHAR(5000),
	name VARCHAR(256) NOT NULL,
	CONSTRAINT registered_model_tag_pk PRIMARY KEY (key, name),
	FOREIGN KEY(name) REFERENCES registered_models (name) ON UPDATE CASCADE
);
CREATE TABLE runs (
	run_uuid VARCHAR(32) NOT NULL,
	name VARCHAR(250),
	source_type VARCHAR(20),
	source_name VARCHAR(500),
	entry_point_name VARCHAR(50),
	user_id VARCHAR(256),
	status VARCHAR(9),
	start_time BIGINT,
	end_time BIGINT,
	source_version VARCHAR(50),
	lifecycle_stage VARCHAR(20),
	artifact_uri VARCHAR(200),
	experiment_id INTEGER,
	deleted_time BIGINT,
	CONSTRAINT run_pk PRIMARY KEY (run_uuid),
	FOREIGN KEY(experiment_id) REFERENCES experiments (experiment_id),
	CONSTRAINT runs_lifecycle_stage CHECK (lifecycle_stage IN ('active', 'deleted')),
	CONSTRAINT source_type CHECK (source_type IN ('NOTEBOOK', 'JOB', 'LOCAL', 'UNKNOWN', 'PROJECT')),
	CHECK (status IN ('SCHEDULED', 'FAILED', 'FINISHED', 'RUNNING', 'KILLED'))
);
CREATE TABLE trace_info (
	request_id VARCHAR(50) NOT NULL,
	experiment_id INTEGER NOT NULL,
	timestamp_ms BIGINT NOT NULL,
	execution_time_ms BIGINT,
	status VARCHAR(50) NOT NULL,
	CONSTRAINT trace_info_pk PRIMARY KEY (request_id),
	CONSTRAINT fk_trace_info_experiment_id FOREIGN KEY(experiment_id) REFERENCES experiments (experiment_id)
);
CREATE TABLE latest_metrics (
	key VARCHAR(250) NOT NULL,
	value FLOAT NOT NULL,
	timestamp BIGINT,
	step BIGINT NOT NULL,
	is_nan BOOLEAN NOT NULL,
	run_uuid VARCHAR(32) NOT NULL,
	CONSTRAINT latest_metric_pk PRIMARY KEY (key, run_uuid),
	FOREIGN KEY(run_uuid) REFERENCES runs (run_uuid),
	CHECK (is_nan IN (0, 1))
);
CREATE TABLE metrics (
	key VARCHAR(250) NOT NULL,
	value FLOAT NOT NULL,
	timestamp BIGINT NOT NULL,
	run_uuid VARCHAR(32) NOT NULL,
	step BIGINT DEFAULT '0' NOT NULL,
	is_nan BOOLEAN DEFAULT '0' NOT NULL,
	CONSTRAINT metric_pk PRIMARY KEY (key, timestamp, step, run_uuid, value, is_nan),
	FOREIGN KEY(run_uuid) REFERENCES runs (run_uuid),
	CHECK (is_nan IN (0, 1))
);
CREATE TABLE model_version_tags (
	key VARCHAR(250) NOT NULL,
	value VARCHAR(5000),
	name VARCHAR(256) NOT NULL,
	version INTEGER NOT NULL,
	CONSTRAINT model_version_tag_pk PRIMARY KEY (key, name, version),
	FOREIGN KEY(name, version) REFERENCES model_versions (name, version) ON UPDATE CASCADE
);
CREATE TABLE params (
	key VARCHAR(250) NOT NULL,
	value VARCHAR(8000) NOT NULL,
	run_uuid VARCHAR(32) NOT NULL,
	CONSTRAINT param_pk PRIMARY KEY (key, run_uuid),
	FOREIGN KEY(run_uuid) REFERENCES runs (run_uuid)
);
CREATE TABLE tags (
	key VARCHAR(250) NOT NULL,
	value VARCHAR(5000),
	run_uuid VARCHAR(32) NOT NULL,
	CONSTRAINT tag_pk PRIMARY KEY (key, run_uuid),
	FOREIGN KEY(run_uuid) REFERENCES runs (run_uuid)
);
CREATE TABLE trace_request_metadata (
	key VARCHAR(250) NOT NULL,
	value VARCHAR(8000),
	request_id VARCHAR(50) NOT NULL,
	CONSTRAINT trace_request_metadata_pk PRIMARY KEY (key, request_id),
	CONSTRAINT fk_trace_request_metadata_request_id FOREIGN KEY(request_id) REFERENCES trace_info (request_id)
);
CREATE TABLE trace_tags (
	key VARCHAR(250) NOT NULL,
	value VARCHAR(8000),
	request_id VARCHAR(50) NOT NULL,
	CONSTRAINT trace_tag_pk PRIMARY KEY (key, request_id),
	CONSTRAINT fk_trace_tags_request_id FOREIGN KEY(request_id) REFERENCES trace_info (request_id)
);
CREATE INDEX index_params_run_uuid ON params (run_uuid);
CREATE INDEX index_latest_metrics_run_uuid ON latest_metrics (run_uuid);
CREATE INDEX index_tags_run_uuid ON tags (run_uuid);
CREATE INDEX ix_trace_info_experiment_id_timestamp_ms ON trace_info (experiment_id, timestamp_ms);
CREATE INDEX ix_trace_tag_request_id ON trace_tags (request_id);
CREATE INDEX ix_trace_request_metadata_request_id ON trace_request_metadata (request_id);
"""
MLFLOW_SQLITE_POST_DDL = "CREATE INDEX index_metrics_run_uuid ON metrics (run_uuid);"
SQL_FLOAT_MAX = 1.7976931348623157e308


def write_mlflow_sqlite(args, runs, specs, out):
    path = os.path.join(out, "mlflow.db")
    if os.path.exists(path):
        os.remove(path)
    con = sqlite3.connect(path)
    con.execute("PRAGMA journal_mode=OFF")
    con.execute("PRAGMA synchronous=OFF")
    con.execute("PRAGMA cache_size=-1048576")  # 1 GiB page cache while building
    con.executescript(MLFLOW_SQLITE_DDL)
    con.execute("INSERT INTO alembic_version VALUES (?)", (MLFLOW_ALEMBIC_HEAD,))
    out_abs = os.path.abspath(out)
    exps = exp_table(args, out_abs)
    con.execute("INSERT INTO experiments VALUES (0, 'Default', 'mlflow-artifacts:/0', 'active', ?, ?)",
                (BASE_TIME_MS - 86400000, BASE_TIME_MS - 86400000))
    for _fid, sid, name in exps:
        con.execute("INSERT INTO experiments VALUES (?, ?, ?, 'active', ?, ?)",
                    (sid, name, f"mlflow-artifacts:/{sid}", BASE_TIME_MS - 3600000, BASE_TIME_MS - 3600000))
        con.execute("INSERT INTO experiment_tags VALUES ('mlflow.note.content', ?, ?)", (exp_note(name), sid))
    points = 0
    isnan = math.isnan
    isinf = math.isinf
    for r in runs:
        sid = exps[r.exp_index][1]
        collected = []
        latest = []
        for spec, idx, vals in gen_run_data(r, specs, args):
            key = spec[0]
            ts = step_ts_ms(r, idx, spec[2])
            rows = []
            ap = rows.append
            for t, v, s in zip(ts, vals, idx):
                if v != v:
                    ap((key, 0.0, t, r.run_id, s, 1))
                elif isinf(v):
                    ap((key, SQL_FLOAT_MAX if v > 0 else -SQL_FLOAT_MAX, t, r.run_id, s, 0))
                else:
                    ap((key, v, t, r.run_id, s, 0))
            con.executemany("INSERT INTO metrics (key, value, timestamp, run_uuid, step, is_nan) "
                            "VALUES (?, ?, ?, ?, ?, ?)", rows)
            if rows:
                last = rows[-1]
                latest.append((key, last[1], last[2], last[4], last[5], r.run_id))
            points += len(rows)
            collected.append((key, vals))
        con.executemany("INSERT INTO latest_metrics (key, value, timestamp, step, is_nan, run_uuid) "
                        "VALUES (?, ?, ?, ?, ?, ?)", latest)
        con.executemany("INSERT INTO params (key, value, run_uuid) VALUES (?, ?, ?)",
                        [(k, param_str(v), r.run_id) for k, v in r.params])
        note = run_note(r, finals_of(collected), args.seed)
        con.executemany("INSERT INTO tags (key, value, run_uuid) VALUES (?, ?, ?)",
                        [(k, v, r.run_id) for k, v in run_tags(r, note).items()])
        con.execute("INSERT INTO runs VALUES (?, ?, 'UNKNOWN', '', '', ?, ?, ?, ?, '', ?, ?, ?, ?)",
                    (r.run_id, r.name, r.user, r.status, r.start_ms, r.end_ms, r.lifecycle,
                     f"mlflow-artifacts:/{sid}/{r.run_id}/artifacts", sid,
                     (r.end_ms or r.start_ms) + 3600000 if r.lifecycle == "deleted" else None))
        progress(args, r)
    con.commit()
    con.execute(MLFLOW_SQLITE_POST_DDL)
    con.commit()
    con.close()
    return points


def write_tfevents(args, runs, specs, out):
    mode = args.tb_encoding
    pre = {}
    suf = {}
    for spec in specs:
        pre[spec[0]], suf[spec[0]] = value_parts(spec[0], mode)
    points = 0
    pkf = _PK_F
    frame = tfrecord_frame
    for r in runs:
        rd = os.path.join(out, r.name)
        os.makedirs(rd, exist_ok=True)
        start_s = r.start_ms // 1000
        fname = f"events.out.tfevents.{start_s}.{r.host}.{r.pid}.0"
        cols = []
        collected = []
        for spec, idx, vals in gen_run_data(r, specs, args):
            cols.append((spec[0], idx, vals))
            collected.append((spec[0], vals))
            points += len(vals)
        # wall time per step (seconds, double)
        rt = random.Random(f"genruns:ts:{r.index}")
        st = r.step_ms / 1000.0
        t0 = r.start_ms / 1000.0
        u = rt.random
        wall = [t0 + s * st + 0.45 * st * u() for s in range(args.steps)]
        # assemble value bytes per step
        dense = [[] for _ in range(args.steps)] if args.steps else []
        for key, idx, vals in cols:
            p = pre[key]
            sfx = suf[key]
            if sfx:
                for s, v in zip(idx, vals):
                    dense[s].append(p + pkf(v) + sfx)
            else:
                for s, v in zip(idx, vals):
                    dense[s].append(p + pkf(v))
        del cols
        with open(os.path.join(rd, fname), "wb") as f:
            buf = [frame(encode_event(t0, 0, file_version="brain.Event:2"))]
            for s in range(args.steps):
                vl = dense[s]
                if not vl:
                    continue
                if args.tb_split:
                    for vb in vl:
                        buf.append(frame(encode_event(wall[s], s, vb)))
                else:
                    buf.append(frame(encode_event(wall[s], s, b"".join(vl))))
                dense[s] = None
                if len(buf) >= 8192:
                    f.write(b"".join(buf))
                    buf = []
            f.write(b"".join(buf))
        del dense
        _write(os.path.join(rd, "notes.md"), run_note(r, finals_of(collected), args.seed))
        progress(args, r)
    return points


def write_lightning_csv(args, runs, specs, out):
    ld = os.path.join(out, "lightning_logs")
    points = 0
    keys = [s[0] for s in specs if s[0] != "epoch"]
    if args.csv_header == "lightning-sorted":
        header = sorted(keys + ["epoch", "step"])
    else:
        header = ["epoch", "step"] + keys
    col = {k: i for i, k in enumerate(header)}
    ncol = len(header)
    for r in runs:
        vd = os.path.join(ld, f"version_{r.index}")
        os.makedirs(vd, exist_ok=True)
        spe = max(1, args.steps // r.hp["epochs"])
        train_cols = []
        val_cols = []
        collected = []
        for spec, idx, vals in gen_run_data(r, specs, args):
            collected.append((spec[0], vals))
            if spec[0] == "epoch":
                continue
            (val_cols if spec[2] == "val" else train_cols).append((col[spec[0]], idx, vals))
            points += len(vals)
        ci_epoch = col["epoch"]
        ci_step = col["step"]
        # train rows: one per step; val rows: separate rows, as CSVLogger writes one row per log call
        train_rows = [None] * args.steps
        for s in range(args.steps):
            row = [""] * ncol
            row[ci_epoch] = str(s // spe)
            row[ci_step] = str(s)
            train_rows[s] = row
        for ci, idx, vals in train_cols:
            for s, v in zip(idx, vals):
                train_rows[s][ci] = repr(v)
        val_rows = {}
        for ci, idx, vals in val_cols:
            for s, v in zip(idx, vals):
                row = val_rows.get(s)
                if row is None:
                    row = [""] * ncol
                    row[ci_epoch] = str(s // spe)
                    row[ci_step] = str(s)
                    val_rows[s] = row
                row[ci] = repr(v)
        with open(os.path.join(vd, "metrics.csv"), "w", newline="") as f:
            f.write(",".join(header) + "\n")
            buf = []
            for s in range(args.steps):
                buf.append(",".join(train_rows[s]))
                vr = val_rows.get(s)
                if vr is not None:
                    buf.append(",".join(vr))
                if len(buf) >= 65536:
                    f.write("\n".join(buf) + "\n")
                    buf = []
            if buf:
                f.write("\n".join(buf) + "\n")
        _write(os.path.join(vd, "hparams.yaml"),
               "".join(f"{k}: {_yaml_scalar(v)}\n" for k, v in sorted(r.params)))
        _write(os.path.join(vd, "notes.md"), run_note(r, finals_of(collected), args.seed))
        progress(args, r)
    return points


def progress(args, r):
    if args.verbose:
        print(f"  run {r.index + 1}/{args.runs} {r.run_id} {r.name}", file=sys.stderr)


def disk_usage(path):
    total = 0
    files = 0
    for dp, _dn, fns in os.walk(path):
        for fn in fns:
            try:
                total += os.lstat(os.path.join(dp, fn)).st_blocks * 512
                files += 1
            except OSError:
                pass
    return total, files


def apparent_size(path):
    total = 0
    for dp, _dn, fns in os.walk(path):
        for fn in fns:
            try:
                total += os.lstat(os.path.join(dp, fn)).st_size
            except OSError:
                pass
    return total


def generate(args):
    if args.runs < 1 or args.metrics < 1 or args.steps < 1 or args.params < 0:
        sys.exit("genruns: --runs, --metrics and --steps must be >= 1, --params >= 0")
    if args.metrics > len(CORE_METRICS) + 3 * N_LAYERS_WIDE + 2000:
        sys.exit("genruns: too many metrics")
    out = args.out
    if os.path.exists(out) and os.listdir(out) and not args.force:
        sys.exit(f"genruns: {out} exists and is not empty (use --force to write into it)")
    os.makedirs(out, exist_ok=True)
    t0 = time.time()
    specs = metric_specs(args.metrics)
    runs = make_runs(args)
    for r in runs:
        r.edge_cases = args.edge_cases
    writer = {"mlflow-file": write_mlflow_file, "mlflow-sqlite": write_mlflow_sqlite,
              "tfevents": write_tfevents, "lightning-csv": write_lightning_csv}[args.format]
    points = writer(args, runs, specs, out)
    elapsed = time.time() - t0
    du, nfiles = disk_usage(out)
    manifest = {
        "generator": "genruns.py", "format": args.format, "seed": args.seed,
        "runs": args.runs, "metrics": args.metrics, "steps": args.steps, "params": args.params,
        "experiments": args.experiments, "val_every": args.val_every, "edge_cases": args.edge_cases,
        "tb_encoding": args.tb_encoding if args.format == "tfevents" else None,
        "tb_split": args.tb_split if args.format == "tfevents" else None,
        "points": points, "files": nfiles, "bytes_on_disk": du, "bytes_apparent": apparent_size(out),
        "seconds": round(elapsed, 2),
        "metric_keys": [s[0] for s in specs][:20] + (["..."] if len(specs) > 20 else []),
        "failed_runs": sum(1 for r in runs if r.status == "FAILED"),
        "running_runs": sum(1 for r in runs if r.status == "RUNNING"),
        "deleted_runs": sum(1 for r in runs if r.lifecycle == "deleted"),
    }
    with open(os.path.join(out, "genruns-manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
        f.write("\n")
    if not args.quiet:
        print(json.dumps(manifest))


# --------------------------------------------------------------------------
# tfevents verifier / decoder
# --------------------------------------------------------------------------

class PBError(Exception):
    pass


def _rd_varint(b, i):
    shift = 0
    result = 0
    while True:
        if i >= len(b):
            raise PBError("truncated varint")
        c = b[i]
        i += 1
        result |= (c & 0x7F) << shift
        if not c & 0x80:
            return result, i
        shift += 7
        if shift > 63:
            raise PBError("varint too long")


def pb_fields(b):
    """Yield (field, wiretype, value, raw_start, raw_end) for one message."""
    i = 0
    n = len(b)
    while i < n:
        start = i
        key, i = _rd_varint(b, i)
        fn, wt = key >> 3, key & 7
        if wt == 0:
            v, i = _rd_varint(b, i)
        elif wt == 1:
            if i + 8 > n:
                raise PBError("truncated fixed64")
            v = b[i:i + 8]
            i += 8
        elif wt == 2:
            ln, i = _rd_varint(b, i)
            if i + ln > n:
                raise PBError("truncated bytes")
            v = b[i:i + ln]
            i += ln
        elif wt == 5:
            if i + 4 > n:
                raise PBError("truncated fixed32")
            v = b[i:i + 4]
            i += 4
        else:
            raise PBError(f"unsupported wire type {wt}")
        yield fn, wt, v, start, i


def decode_value(vb):
    """-> dict(tag, kind, value, mode, has_meta, plugin) or kind='other'."""
    out = {"tag": None, "kind": "other", "value": None, "mode": None, "plugin": None, "fields": []}
    tensor = None
    for fn, wt, v, _s, _e in pb_fields(vb):
        out["fields"].append(fn)
        if fn == 1 and wt == 2:
            out["tag"] = bytes(v).decode("utf-8", "replace")
        elif fn == 2 and wt == 5:
            out["kind"] = "scalar"
            out["mode"] = "simple"
            out["value"] = struct.unpack("<f", v)[0]
        elif fn == 8 and wt == 2:
            tensor = v
        elif fn == 9 and wt == 2:
            for f2, w2, v2, _, _ in pb_fields(v):
                if f2 == 1 and w2 == 2:
                    for f3, w3, v3, _, _ in pb_fields(v2):
                        if f3 == 1 and w3 == 2:
                            out["plugin"] = bytes(v3).decode("utf-8", "replace")
    if tensor is not None:
        dtype = 0
        vals = []
        dims = 0
        mode = None
        for fn, wt, v, _s, _e in pb_fields(tensor):
            if fn == 1 and wt == 0:
                dtype = v
            elif fn == 2 and wt == 2:
                dims = sum(1 for f2, _, _, _, _ in pb_fields(v) if f2 == 2)
            elif fn == 4 and wt == 2:
                mode = "tensor-content"
                if dtype == 1 and len(v) % 4 == 0:
                    vals.extend(struct.unpack(f"<{len(v) // 4}f", v))
                elif dtype == 2 and len(v) % 8 == 0:
                    vals.extend(struct.unpack(f"<{len(v) // 8}d", v))
            elif fn == 5:
                mode = "tensor"
                if wt == 2:
                    vals.extend(struct.unpack(f"<{len(v) // 4}f", v))
                elif wt == 5:
                    vals.append(struct.unpack("<f", v)[0])
            elif fn == 6:
                mode = "tensor-double"
                if wt == 2:
                    vals.extend(struct.unpack(f"<{len(v) // 8}d", v))
                elif wt == 1:
                    vals.append(struct.unpack("<d", v)[0])
        if dtype in (1, 2) and dims == 0 and len(vals) == 1 and out["plugin"] in (None, "scalars"):
            out["kind"] = "scalar"
            out["mode"] = mode
            out["value"] = vals[0]
    return out


def decode_event(pb):
    ev = {"wall_time": None, "step": 0, "file_version": None, "values": [], "fields": []}
    for fn, wt, v, _s, _e in pb_fields(pb):
        ev["fields"].append(fn)
        if fn == 1 and wt == 1:
            ev["wall_time"] = struct.unpack("<d", v)[0]
        elif fn == 2 and wt == 0:
            ev["step"] = v if v < (1 << 63) else v - (1 << 64)
        elif fn == 3 and wt == 2:
            ev["file_version"] = bytes(v).decode("utf-8", "replace")
        elif fn == 5 and wt == 2:
            for f2, w2, v2, _, _ in pb_fields(v):
                if f2 == 1 and w2 == 2:
                    ev["values"].append(decode_value(v2))
    return ev


def reencode(ev):
    """Re-encode a plain scalar / file_version event with this generator's encoder, or None."""
    if ev["file_version"] is not None:
        if set(ev["fields"]) - {1, 2, 3}:
            return None
        return encode_event(ev["wall_time"], ev["step"], file_version=ev["file_version"])
    if set(ev["fields"]) - {1, 2, 5} or not ev["values"]:
        return None
    parts = []
    for v in ev["values"]:
        if v["kind"] != "scalar" or v["mode"] not in ("simple", "tensor", "tensor-content"):
            return None
        if v["mode"] != "simple" and v["plugin"] != "scalars":
            return None
        p, s = value_parts(v["tag"], v["mode"])
        parts.append(p + _PK_F(v["value"]) + s)
    return encode_event(ev["wall_time"], ev["step"], b"".join(parts))


def verify_tfevents(paths, do_reencode, as_json):
    ok_all = True
    results = []
    for path in paths:
        with open(path, "rb") as f:
            data = f.read()
        mv = memoryview(data)
        pos = 0
        n = len(data)
        st = {"file": path, "bytes": n, "records": 0, "bad_length_crc": 0, "bad_data_crc": 0,
              "truncated": False, "decode_errors": 0, "file_version": None, "events": 0,
              "scalars": 0, "scalars_by_encoding": {}, "other_values": 0, "tags": set(),
              "min_step": None, "max_step": None, "nan": 0}
        if do_reencode:
            st.update({"reencoded_identical": 0, "reencoded_different": 0, "not_plain_scalar": 0})
        if data.startswith(b"version https://git-lfs"):
            st["note"] = "git-lfs pointer, not an event file"
        while pos < n:
            if pos + 12 > n:
                st["truncated"] = True
                break
            lb = mv[pos:pos + 8]
            length = int.from_bytes(lb, "little")
            if masked_crc32c(lb) != int.from_bytes(mv[pos + 8:pos + 12], "little"):
                st["bad_length_crc"] += 1
                break  # cannot trust the length: stop
            end = pos + 12 + length + 4
            if end > n:
                st["truncated"] = True
                break
            payload = mv[pos + 12:pos + 12 + length]
            if masked_crc32c(payload) != int.from_bytes(mv[end - 4:end], "little"):
                st["bad_data_crc"] += 1
            st["records"] += 1
            try:
                ev = decode_event(payload)
            except PBError:
                st["decode_errors"] += 1
                pos = end
                continue
            st["events"] += 1
            if ev["file_version"] is not None and st["file_version"] is None:
                st["file_version"] = ev["file_version"]
            for v in ev["values"]:
                if v["kind"] == "scalar":
                    st["scalars"] += 1
                    m = v["mode"]
                    st["scalars_by_encoding"][m] = st["scalars_by_encoding"].get(m, 0) + 1
                    st["tags"].add(v["tag"])
                    if v["value"] != v["value"]:
                        st["nan"] += 1
                    s = ev["step"]
                    if st["min_step"] is None or s < st["min_step"]:
                        st["min_step"] = s
                    if st["max_step"] is None or s > st["max_step"]:
                        st["max_step"] = s
                else:
                    st["other_values"] += 1
            if do_reencode:
                re = reencode(ev)
                if re is None:
                    st["not_plain_scalar"] += 1
                elif tfrecord_frame(re) == bytes(mv[pos:end]):
                    st["reencoded_identical"] += 1
                else:
                    st["reencoded_different"] += 1
            pos = end
        st["tags"] = len(st["tags"])
        bad = st["bad_length_crc"] or st["bad_data_crc"] or st["truncated"] or st["decode_errors"]
        if do_reencode and st["reencoded_different"]:
            bad = True
        st["ok"] = not bad
        ok_all = ok_all and not bad
        results.append(st)
        if not as_json:
            line = (f"{'OK ' if st['ok'] else 'BAD'} {path}: {st['bytes']} bytes, {st['records']} records, "
                    f"crc errors len/data {st['bad_length_crc']}/{st['bad_data_crc']}, "
                    f"truncated={st['truncated']}, file_version={st['file_version']!r}, "
                    f"scalars={st['scalars']} {st['scalars_by_encoding']} (nan {st['nan']}), "
                    f"tags={st['tags']}, steps {st['min_step']}..{st['max_step']}, "
                    f"other values={st['other_values']}")
            if do_reencode:
                line += (f", re-encoded byte-identical {st['reencoded_identical']}, "
                         f"different {st['reencoded_different']}, not plain scalar {st['not_plain_scalar']}")
            if "note" in st:
                line += f" ({st['note']})"
            print(line)
    if as_json:
        print(json.dumps(results, indent=1))
    elif len(results) > 1:
        tot = {k: sum(r[k] for r in results) for k in ("bytes", "records", "scalars", "bad_data_crc", "nan")}
        line = (f"{'OK ' if ok_all else 'BAD'} TOTAL {len(results)} files: {tot['bytes']} bytes, "
                f"{tot['records']} records, {tot['scalars']} scalars (nan {tot['nan']}), "
                f"data crc errors {tot['bad_data_crc']}")
        if do_reencode:
            line += ", re-encoded byte-identical %d, different %d, not plain scalar %d" % tuple(
                sum(r[k] for r in results) for k in ("reencoded_identical", "reencoded_different",
                                                     "not_plain_scalar"))
        print(line)
    return 0 if ok_all else 1


# --------------------------------------------------------------------------

def main(argv=None):
    if hasattr(signal, "SIGPIPE"):
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # quiet when piped into head
    ap = argparse.ArgumentParser(
        prog="genruns.py",
        description="Deterministically generate synthetic ML training runs (MLflow file store, "
                    "MLflow SQLite, TensorBoard tfevents, Lightning CSV) for benchmarks and tests; "
                    "or verify tfevents files (--verify-tfevents).",
        epilog="Standard sizes (--size): " + "; ".join(
            f"{k}: {r} runs x {m} metrics x {s:,} steps" for k, (r, m, s) in SIZES.items()) +
        ". Example: genruns.py --format tfevents --size small --out data/small-tb",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--format", choices=FORMATS)
    ap.add_argument("--size", choices=sorted(SIZES), help="preset for --runs/--metrics/--steps")
    ap.add_argument("--runs", type=int, help="number of runs (default 20)")
    ap.add_argument("--metrics", type=int, help="metrics per run (default 8)")
    ap.add_argument("--steps", type=int, help="logged steps per run (default 2000)")
    ap.add_argument("--params", type=int, default=12, help="hyperparameters per run (default 12)")
    ap.add_argument("--experiments", type=int, default=1,
                    help="MLflow experiments the runs are spread over (default 1; an empty "
                         "'Default' experiment 0 always exists); ignored by tfevents/lightning-csv")
    ap.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
    ap.add_argument("--out", help="output directory (must be empty or absent unless --force)")
    ap.add_argument("--force", action="store_true", help="write into a non-empty --out")
    ap.add_argument("--val-every", type=int, default=None,
                    help="log val/* metrics only every K steps (default 1 = dense, "
                         "except lightning-csv: 10)")
    ap.add_argument("--no-edge-cases", dest="edge_cases", action="store_false",
                    help="no NaN/inf values, diverged/FAILED runs, RUNNING run or deleted run")
    ap.add_argument("--tb-encoding", choices=("simple", "tensor", "tensor-content"), default="simple",
                    help="tfevents scalar encoding: simple = Summary.Value.simple_value (TF1, "
                         "PyTorch add_scalar); tensor = TensorProto float_val packed + 'scalars' "
                         "plugin metadata (PyTorch new_style); tensor-content = TensorProto "
                         "tensor_content bytes + metadata (what TF2 tf.summary.scalar writes)")
    ap.add_argument("--tb-split", action="store_true",
                    help="tfevents: one Value per Event (as PyTorch add_scalar and TF2 write) "
                         "instead of one Event per step holding all metrics")
    ap.add_argument("--csv-header", choices=("epoch-step-first", "lightning-sorted"),
                    default="epoch-step-first",
                    help="lightning-csv header order: epoch,step,<metrics> (default) or sorted "
                         "alphabetically as Lightning's CSVLogger writes it")
    ap.add_argument("--verify-tfevents", nargs="+", metavar="FILE",
                    help="check TFRecord framing + both CRC32Cs of every record, decode Events, "
                         "count scalars; exit 1 on any error")
    ap.add_argument("--reencode", action="store_true",
                    help="with --verify-tfevents: re-encode plain scalar events with this "
                         "generator's encoder and compare the framed records byte for byte")
    ap.add_argument("--json", action="store_true", help="with --verify-tfevents: JSON output")
    ap.add_argument("-v", "--verbose", action="store_true", help="print progress per run")
    ap.add_argument("-q", "--quiet", action="store_true", help="do not print the manifest")
    args = ap.parse_args(argv)

    if args.verify_tfevents:
        return verify_tfevents(args.verify_tfevents, args.reencode, args.json)
    if not args.format or not args.out:
        ap.error("--format and --out are required (or use --verify-tfevents)")
    r, m, s = SIZES[args.size] if args.size else (20, 8, 2000)
    args.runs = args.runs if args.runs is not None else r
    args.metrics = args.metrics if args.metrics is not None else m
    args.steps = args.steps if args.steps is not None else s
    if args.val_every is None:
        args.val_every = 10 if args.format == "lightning-csv" else 1
    args.val_every = max(1, args.val_every)
    generate(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
