#!/usr/bin/python3
"""make_sample_runs.py - the "Will the puppy bite the couch?" sample runs.

Generates a synthetic sensor data set (smart couch cover + puppy activity
collar) with a fixed seed, really trains small models on it with numpy
(logistic regression and a one-hidden-layer MLP, mini-batch SGD with
momentum), and writes every run twice, with identical ids, names, params,
tags and metrics (timestamps included):

  OUT/mlruns/    MLflow FileStore layout as MLflow 3.7 writes it
  OUT/mlflow.db  MLflow SQL store (SQLite), schema of alembic bf29a5ff90ea (MLflow 3.7)

Artifacts (confusion matrices, one model) exist in the FileStore only, as with
a real SQL store whose artifacts live elsewhere.

Deterministic: the same script gives the same files, byte for byte (for
mlflow.db: the same `sqlite3 .dump`). Timestamps are simulated from a fixed
base date, never read from the clock.

Usage: /usr/bin/python3 scripts/make_sample_runs.py [--out DIR] [--force]
Needs numpy (Debian: python3-numpy) and the standard library only.
"""

import os
import platform

# Pin numpy to its baseline SIMD code paths before it is imported: its
# dispatched AVX2/AVX-512 exp/log loops round differently from the baseline
# ones, which would make the logged numbers depend on the CPU. Matrix products
# go through einsum below for the same reason (no BLAS, whichever is installed).
if platform.machine() in ("x86_64", "AMD64") and "NPY_DISABLE_CPU_FEATURES" not in os.environ:
    os.environ["NPY_DISABLE_CPU_FEATURES"] = (
        "SSSE3 SSE41 POPCNT SSE42 AVX F16C FMA3 AVX2 AVX512F AVX512CD "
        "AVX512_SKX AVX512_CLX AVX512_CNL AVX512_ICL")

import argparse  # noqa: E402
import hashlib  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import re  # noqa: E402
import shutil  # noqa: E402
import sqlite3  # noqa: E402
import sys  # noqa: E402
import uuid  # noqa: E402
import warnings  # noqa: E402

with warnings.catch_warnings():
    # numpy warns about feature names this machine's build does not dispatch
    warnings.simplefilter("ignore", RuntimeWarning)
    try:
        import numpy as np
    except ImportError:
        sys.exit("make_sample_runs.py: numpy is missing (Debian: apt-get install python3-numpy)")

SEED = 20261005
BASE_MS = 1791190800000          # 2026-10-05T09:00:00Z, Monday: the first run starts here
DAY_MS = 86400000
EXPERIMENT_NAME = "puppy-couch-bites"
ARTIFACT_ROOT = "file:///home/mira/couch-guard/mlruns"   # where the researcher's store lived
MLFLOW_VERSION = "3.7.0"
ALEMBIC_REVISION = "bf29a5ff90ea"                        # MLflow 3.7.0
LOG_EVERY = 25                   # train/loss: mean of the last 25 batches
SQL_DBL_MAX = 1.7976931348623157e308

FEATURES = ["chew_energy", "minutes_since_walk", "hour_sin", "hour_cos", "owner_home",
            "teething_stage", "toy_available", "couch_pressure", "noise_db"]


def hex_id(*parts):
    """A uuid4-shaped 32-hex id derived from SEED and the parts."""
    h = hashlib.sha256(":".join(str(p) for p in (SEED,) + parts).encode()).digest()[:16]
    return uuid.UUID(bytes=h, version=4).hex


def experiment_id():
    """An 18-digit experiment id, as MLflow >= 2.0 makes them, derived from SEED."""
    n = int.from_bytes(hashlib.sha256(f"{SEED}:experiment".encode()).digest()[:8], "big")
    return str(10 ** 17 + n % (9 * 10 ** 17))


# --------------------------------------------------------------------------
# the data: 5-minute windows, 07:00-22:00, 66 days
# --------------------------------------------------------------------------

WIN_PER_DAY = 180
DAYS = 66
TRAIN_DAYS = 46


def make_dataset():
    """Feature matrix (float32, raw units), labels (0/1) and day index per window."""
    rng = np.random.default_rng(SEED)
    n = WIN_PER_DAY * DAYS
    day = np.repeat(np.arange(DAYS), WIN_PER_DAY)
    minute = np.tile(np.arange(WIN_PER_DAY) * 5, DAYS)            # minutes after 07:00
    hour = 7.0 + minute / 60.0
    weekday = np.arange(DAYS) % 7 < 5                              # day 0 is a Monday

    # walks around 08:00, 13:00 and 19:00; before the first one the puppy has waited all night
    walks = np.stack([60 + rng.normal(0, 15, DAYS), 360 + rng.normal(0, 35, DAYS),
                      720 + rng.normal(0, 25, DAYS)], axis=1)
    msw = np.empty(n)
    for i in range(n):
        d, m = day[i], minute[i]
        done = walks[d][walks[d] <= m]
        msw[i] = m - done.max() if done.size else m + 540.0
    msw = np.minimum(msw, 600.0)

    away_today = weekday & (rng.random(DAYS) < 0.7)
    owner_home = np.ones(n)
    workhours = (hour >= 9.0) & (hour < 17.0)
    owner_home[away_today[day] & workhours] = 0.0
    errands = rng.random(n // 12) < 0.08                           # hour-long errands
    owner_home[np.repeat(errands, 12)] = 0.0

    teething = np.where(day < 10, 0.0, np.where(day < 40, 1.0, 2.0))
    toy = (rng.random(n // 24) < 0.45)[np.repeat(np.arange(n // 24), 24)].astype(float)
    toy = np.maximum(toy, (rng.random(n) < 0.3) * owner_home)
    on_couch = rng.random(n) < np.where(owner_home > 0, 0.12, 0.35)
    pressure = np.where(on_couch, rng.normal(2.5, 0.5, n), np.abs(rng.normal(0.2, 0.1, n)))
    chew = (rng.normal(0, 1, n) + 0.4 * (teething == 1) + 0.35 * msw / 180.0
            + 0.5 * toy * rng.random(n))
    noise = rng.normal(40, 6, n) + 8 * owner_home
    evening = np.exp(-((hour - 18.5) / 1.5) ** 2)

    z = (-5.6 + 0.5 * chew + 0.005 * msw + 1.0 * on_couch + 1.4 * chew * on_couch
         - 1.2 * owner_home - 0.7 * toy + 0.9 * (1 - owner_home) * (1 - toy)
         + 0.3 * (teething == 1) + 0.7 * evening + 0.3 * rng.normal(0, 1, n))
    y = (rng.random(n) < 1.0 / (1.0 + np.exp(-z))).astype(np.float32)

    X = np.stack([chew, msw, np.sin(2 * np.pi * hour / 24), np.cos(2 * np.pi * hour / 24),
                  owner_home, teething, toy, pressure, noise], axis=1).astype(np.float32)
    return X, y, day


# --------------------------------------------------------------------------
# the models: numpy, float32, mini-batch SGD with momentum
# --------------------------------------------------------------------------

def mm(a, b):
    """Matrix product without BLAS (see the note at the top)."""
    return np.einsum("ij,jk->ik", a, b)


def sigmoid(z):
    return (1.0 / (1.0 + np.exp(-z))).astype(np.float32)


def bce(p, y):
    """Per-example cross-entropy, written the naive way, as train_bite.py does:
    it overflows to inf once a prediction saturates (the diverged run shows it)."""
    return np.where(y == 1, -np.log(p), -np.log(1.0 - p))


def init_params(model, hidden, d, rng):
    if model == "logreg":
        return {"w": np.zeros((d, 1), np.float32), "b": np.zeros(1, np.float32)}
    return {"W1": (rng.normal(0, math.sqrt(2.0 / d), (d, hidden))).astype(np.float32),
            "b1": np.zeros(hidden, np.float32),
            "w2": (rng.normal(0, math.sqrt(1.0 / hidden), (hidden, 1))).astype(np.float32),
            "b2": np.zeros(1, np.float32)}


def forward(P, X):
    """Probabilities (n,) and the hidden activations (for the MLP)."""
    if "w" in P:
        return sigmoid(mm(X, P["w"])[:, 0] + P["b"][0]), None
    pre = mm(X, P["W1"]) + P["b1"]
    h = np.maximum(pre, 0)
    return sigmoid(mm(h, P["w2"])[:, 0] + P["b2"][0]), (pre, h)


def grads(P, X, y, sw, l2):
    """Mean weighted loss of the batch and the gradients."""
    p, cache = forward(P, X)
    loss = np.mean(sw * bce(p, y), dtype=np.float32)
    if "w" in P:
        loss = loss + np.float32(0.5 * l2) * np.sum(P["w"] ** 2)
    else:
        loss = loss + np.float32(0.5 * l2) * (np.sum(P["W1"] ** 2) + np.sum(P["w2"] ** 2))
    dz = (sw * (p - y) / np.float32(len(y))).astype(np.float32)[:, None]
    G = {}
    if "w" in P:
        G["w"] = mm(X.T, dz) + np.float32(l2) * P["w"]
        G["b"] = dz.sum(axis=0)
    else:
        pre, h = cache
        G["w2"] = mm(h.T, dz) + np.float32(l2) * P["w2"]
        G["b2"] = dz.sum(axis=0)
        dpre = mm(dz, P["w2"].T) * (pre > 0)
        G["W1"] = mm(X.T, dpre) + np.float32(l2) * P["W1"]
        G["b1"] = dpre.sum(axis=0)
    return float(loss), G


def auc(y, p):
    """Area under the ROC curve from average ranks (ties count half)."""
    npos = float(y.sum())
    nneg = float(len(y)) - npos
    if npos == 0 or nneg == 0 or not np.all(np.isfinite(p)):
        return float("nan")
    _, inv, counts = np.unique(p, return_inverse=True, return_counts=True)
    rank = (np.cumsum(counts) - (counts - 1) / 2.0)[inv]
    return float((rank[y == 1].sum() - npos * (npos + 1) / 2.0) / (npos * nneg))


def evaluate(P, X, y, threshold=0.5):
    """Validation metrics as train_bite.py logs them (loss unweighted)."""
    p, _ = forward(P, X)
    pred = p >= threshold
    yt = y == 1
    tp = int(np.sum(pred & yt))
    fp = int(np.sum(pred & ~yt))
    fn = int(np.sum(~pred & yt))
    tn = int(np.sum(~pred & ~yt))
    prec = tp / (tp + fp) if tp + fp else 0.0
    rec = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
    return {
        "val/loss": float(np.mean(bce(p, y), dtype=np.float64)),
        "val/accuracy": (tp + tn) / len(y),
        "val/precision": prec,
        "val/recall": rec,
        "val/f1": f1,
        "val/auc": auc(y, p),
    }, {"tp": tp, "fp": fp, "fn": fn, "tn": tn}, p


class Clock:
    """Simulated wall clock in ms: a run's steps advance it, never the real clock."""

    def __init__(self, start_ms, step_ms, rng):
        self.t = float(start_ms)
        self.step_ms = step_ms
        self.rng = rng

    def step(self):
        self.t += self.step_ms * (0.85 + 0.3 * self.rng.random())
        return int(self.t)

    def wait(self, ms):
        self.t += ms
        return int(self.t)


def train(spec, data, start_ms):
    """Trains one run; returns its metric log, final evaluation and model."""
    Xtr, ytr, Xva, yva = data
    seed = spec["seed"]
    rng = np.random.default_rng(seed)
    clock = Clock(start_ms + 2100, 38.0 if spec["model"] == "logreg" else 61.0,
                  np.random.default_rng([SEED, seed, len(spec["name"])]))
    if spec.get("shuffle_labels"):
        ytr = ytr[rng.permutation(len(ytr))]       # the loader bug of the deleted run
    P = init_params(spec["model"], spec.get("hidden_units"), Xtr.shape[1], rng)
    V = {k: np.zeros_like(v) for k, v in P.items()}
    npos = float(ytr.sum())
    wpos = spec["pos_weight"]
    if wpos == "balanced":                          # as many positives as negatives, in weight
        wpos = round((len(ytr) - npos) / npos, 1)
    spec["pos_weight_value"] = wpos
    sw_all = np.where(ytr == 1, wpos, 1.0).astype(np.float32)
    lr0, l2, mom, bs = spec["lr"], spec["l2"], 0.9, spec["batch_size"]
    log = []                          # (key, value, step, timestamp_ms)
    step = 0
    window = []
    status = "FINISHED"
    stop_epoch = spec.get("stop_after_epochs", spec["epochs"])
    ev = conf = None
    per_epoch = -(-len(ytr) // bs)
    warmup = spec["warmup_epochs"] * per_epoch
    with np.errstate(all="ignore"):
        for epoch in range(stop_epoch):
            lr_epoch = lr0 * 0.5 * (1.0 + math.cos(math.pi * epoch / spec["epochs"]))
            order = rng.permutation(len(ytr))
            for i in range(0, len(order), bs):
                idx = order[i:i + bs]
                lr = lr_epoch * min(1.0, (step + 1) / warmup) if warmup else lr_epoch
                loss, G = grads(P, Xtr[idx], ytr[idx], sw_all[idx], l2)
                for k in P:
                    V[k] = (np.float32(mom) * V[k] + G[k]).astype(np.float32)
                    P[k] = (P[k] - np.float32(lr) * V[k]).astype(np.float32)
                step += 1
                ts = clock.step()
                window.append(loss)
                if math.isnan(loss):
                    # the guard in train_bite.py: log the NaN where it happened and stop
                    log.append(("train/loss", loss, step, ts))
                    status = "FAILED"
                    break
                if step % LOG_EVERY == 0:
                    log.append(("train/loss", math.fsum(window) / len(window), step, ts))
                    window = []
            if status == "FAILED":
                break
            ev, conf, _ = evaluate(P, Xva, yva)
            ts = clock.wait(1200)
            for k in ("val/loss", "val/accuracy", "val/precision", "val/recall", "val/f1", "val/auc"):
                log.append((k, ev[k], step, ts))
            log.append(("lr", lr, step, ts))
    return {"log": log, "status": status, "end_ms": clock.wait(900), "final": ev,
            "confusion": conf, "params": P, "steps": step, "per_epoch": per_epoch}


# --------------------------------------------------------------------------
# the story
# --------------------------------------------------------------------------

COMMIT_1 = hashlib.sha1(b"couch-guard: baseline training script").hexdigest()
COMMIT_2 = hashlib.sha1(b"couch-guard: class weights, mlp").hexdigest()


def run_specs():
    """The runs in the order they were started, with the day (0 = Monday) they ran."""
    S = []

    def add(name, day, stage, user="mira", **kw):
        base = {"model": "logreg", "hidden_units": None, "lr": 0.05, "l2": 0.0,
                "pos_weight": 1.0, "epochs": 20, "warmup_epochs": 2, "batch_size": 128, "seed": 1,
                "commit": COMMIT_1}
        base.update(kw)
        base.update(name=name, day=day, stage=stage, user=user)
        S.append(base)

    for s in (1, 2, 3):
        add(f"logreg-baseline-s{s}", 0, "baseline", seed=s)
    for lr in (0.005, 0.5):
        for s in (1, 2):
            add(f"logreg-lr{lr:g}-s{s}", 0, "lr-sweep", lr=lr, seed=s)
    for l2 in (0.001, 0.01):
        for s in (1, 2):
            add(f"logreg-l2-{l2:g}-s{s}", 1, "l2-sweep", l2=l2, seed=s)
    add("mlp16-lr20-s1", 1, "mlp", user="tomas", model="mlp", hidden_units=16, lr=20.0, epochs=30)
    add("logreg-balanced-s1", 2, "rebalance", pos_weight="balanced", commit=COMMIT_2)
    for s in (1, 2, 3):
        add(f"logreg-posw4-s{s}", 2, "rebalance", pos_weight=4.0, seed=s, commit=COMMIT_2)
    for s in (1, 2):
        add(f"mlp16-s{s}", 2, "mlp", user="tomas", model="mlp", hidden_units=16, lr=0.05,
            epochs=30, seed=s, commit=COMMIT_2)
    for s in (1, 2, 3):
        add(f"mlp16-posw4-s{s}", 2, "rebalance", user="tomas", model="mlp", hidden_units=16,
            lr=0.05, epochs=30, pos_weight=4.0, seed=s, commit=COMMIT_2)
    add("mlp16-posw4-s4", 3, "rebalance", user="tomas", model="mlp", hidden_units=16,
        lr=0.05, epochs=30, pos_weight=4.0, seed=4, commit=COMMIT_2,
        shuffle_labels=True, stop_after_epochs=8, killed=True, deleted=True)
    add("mlp32-posw4-s1", 3, "rebalance", user="tomas", model="mlp", hidden_units=32,
        lr=0.05, epochs=30, pos_weight=4.0, seed=1, commit=COMMIT_2,
        stop_after_epochs=14, running=True)
    return S


def params_of(spec, n_train, n_val):
    """Params as train_bite.py logs its config: str() of each value, as MLflow stores them."""
    return {
        "model": spec["model"],
        "hidden_units": str(spec["hidden_units"]),
        "lr": str(spec["lr"]),
        "lr_schedule": "cosine",
        "warmup_epochs": str(spec["warmup_epochs"]),
        "l2": str(spec["l2"]),
        "pos_weight": str(spec["pos_weight_value"]),
        "optimizer": "sgd",
        "momentum": "0.9",
        "batch_size": str(spec["batch_size"]),
        "epochs": str(spec["epochs"]),
        "seed": str(spec["seed"]),
        "threshold": "0.5",
        "features": ",".join(FEATURES),
        "train_windows": str(n_train),
        "val_windows": str(n_val),
    }


def fmt(x, nd=3):
    return "nan" if x != x else f"{x:.{nd}f}"


def experiment_note(n, prevalence_tr, prevalence_va):
    return f"""# Will the puppy bite the couch?

Biscuit (beagle, 14 weeks at the start) wears an activity collar and the couch has a
smart cover. Every **5-minute window** between 07:00 and 22:00 becomes one row; the label
is *"the cover registered a bite in the next window"*.

- data: `couch_bites_v3`, {n} windows over {DAYS} days; train = first {TRAIN_DAYS} days,
  val = last {DAYS - TRAIN_DAYS} days (split by time, never shuffled across days)
- bites are rare: {100 * prevalence_tr:.1f}% of train windows, {100 * prevalence_va:.1f}% of val windows
- goal metric: **val/f1** at threshold 0.5 (accuracy is useless here: always saying
  "no bite" already scores {100 * (1 - prevalence_va):.1f}%)
- models are tiny on purpose; the question is whether the signal is there at all

See the run notes for what we tried and why.
"""


BEST = "mlp16-posw4-s3"      # the run the threshold sweep and the saved model belong to


def notes(specs, results):
    """mlflow.note.content for the runs that have one, keyed by run name; the numbers
    in them are the trained results."""
    r = results

    def f1(name):
        return r[name]["final"]["val/f1"] if r[name]["final"] else float("nan")

    def mean_f1(prefix, seeds):
        return sum(f1(f"{prefix}-s{s}") for s in seeds) / len(seeds)

    base = mean_f1("logreg-baseline", (1, 2, 3))
    lw = mean_f1("logreg-posw4", (1, 2, 3))
    mlp = mean_f1("mlp16", (1, 2))
    mlpw = mean_f1("mlp16-posw4", (1, 2, 3))
    best = r[BEST]["final"]
    c = r[BEST]["confusion"]
    div = r["mlp16-lr20-s1"]["log"]
    first_inf = next((x[2] for x in div if x[0] == "train/loss" and math.isinf(x[1])), None)
    first_nan = next((x[2] for x in div if x[0] == "train/loss" and math.isnan(x[1])), None)
    sweep = r["threshold-sweep"]
    d = specs_by(specs, "mlp16-lr20-s1")
    lr_inf = d["lr"] * min(1.0, first_inf / (d["warmup_epochs"] * r["mlp16-lr20-s1"]["per_epoch"]))
    bal = specs_by(specs, "logreg-balanced-s1")["pos_weight_value"]
    out = {}
    out["logreg-baseline-s1"] = f"""## Baseline

Plain logistic regression on the nine sensor features (standardised on train).

- val/f1 = {fmt(f1('logreg-baseline-s1'))} (mean over 3 seeds: {fmt(base)})
- val/accuracy is {fmt(r['logreg-baseline-s1']['final']['val/accuracy'])} and means nothing:
  the model says "bite" only when it is very sure
- seeds hardly matter here (the problem is convex)
- next: learning rate, then L2
"""
    out["logreg-l2-0.01-s1"] = f"""L2 only makes it worse (val/f1 {fmt(f1('logreg-l2-0.01-s1'))} vs
{fmt(f1('logreg-baseline-s1'))} without). The model is not overfitting; it is **ignoring the
rare class**. Trying a weighted loss next.
"""
    out["mlp16-lr20-s1"] = f"""## Diverged

`lr: 2e1` in the config was meant to be `2e-1`. Once the warm-up had pushed the learning
rate to {lr_inf:.1f}, predictions saturated to exactly 0 or 1 in float32, so the loss of a wrong
prediction is `-log(0) = inf` (first logged at step {first_inf}); the weights kept growing
until the logits overflowed and the loss became `nan` at step {first_nan}, where the guard
stopped the run.

- [x] keep it, it documents the failure mode
- [ ] compute the loss from logits (`logaddexp`) so saturation cannot give `inf`
- [ ] refuse lr > 1 in the config loader
"""
    out["logreg-balanced-s1"] = f"""Full balance (pos_weight = n_neg/n_pos = {bal}) overshoots:
recall {fmt(r['logreg-balanced-s1']['final']['val/recall'])} but precision
{fmt(r['logreg-balanced-s1']['final']['val/precision'])}, val/f1 {fmt(f1('logreg-balanced-s1'))}.
pos_weight 4 next (the F1-optimal threshold is well above the prevalence).
"""
    out["logreg-posw4-s1"] = f"""pos_weight 4: val/f1 {fmt(f1('logreg-posw4-s1'))} (3-seed mean
{fmt(lw)}, baseline {fmt(base)}). val/loss goes *up*: it is the unweighted loss and the model
now says "bite" more often. Expected.
"""
    out[BEST] = f"""# Best so far: MLP-16 with pos_weight 4

The weighted loss is what helps. The MLP was meant to catch "chewing matters more when
Biscuit is on the couch", which a linear model cannot express, but it adds little if anything.

| variant | seeds | mean val/f1 |
|---|---:|---:|
| logreg | 3 | {fmt(base)} |
| logreg, pos_weight 4 | 3 | {fmt(lw)} |
| MLP-16 | 2 | {fmt(mlp)} |
| **MLP-16, pos_weight 4** | 3 | **{fmt(mlpw)}** |

This run: precision {fmt(best['val/precision'])}, recall {fmt(best['val/recall'])},
AUC {fmt(best['val/auc'])}: {c['tp']} bites caught, {c['fn']} missed and {c['fp']} false
alarms in {DAYS - TRAIN_DAYS} days.

- [x] weighted loss
- [x] threshold sweep (child run `threshold-sweep`: best threshold {sweep['best_threshold']:.2f})
- [ ] split by teething stage instead of by date
- [ ] ask whether a false alarm (the cover squeaks) costs less than a missed bite

**Caveat:** the MLP's edge over logistic regression ({fmt(mlpw)} vs {fmt(lw)}) is within
the seed spread, and the validation days are all *late teething* (stage 2)
while training covers all three stages. Also, the old dashboard rendered one collar
label as `<script>alert(1)</script>`; labels are escaped now.
"""
    out["mlp16-posw4-s4"] = f"""Deleted: the loader shuffled the labels (a bad `git stash pop`);
val/auc {fmt(r['mlp16-posw4-s4']['final']['val/auc'])}, worse than chance. Killed after 8 epochs.
"""
    out["mlp32-posw4-s1"] = """Wider hidden layer (32). Still training over the lunch break.
"""
    return out


def specs_by(specs, name):
    return next(s for s in specs if s["name"] == name)


def threshold_sweep(parent_spec, parent_res, data, start_ms):
    """The child run: the parent's final model scored at thresholds 0.05 ... 0.95."""
    _, _, Xva, yva = data
    rng = np.random.default_rng([SEED, 99])
    clock = Clock(start_ms + 800, 140.0, rng)
    log = []
    best = (-1.0, 0.5)
    with np.errstate(all="ignore"):
        for k in range(5, 100, 5):
            t = k / 100.0
            ev, _, _ = evaluate(parent_res["params"], Xva, yva, threshold=t)
            ts = clock.step()
            for key in ("precision", "recall", "f1"):
                log.append((f"sweep/{key}", ev[f"val/{key}"], k, ts))
            if ev["val/f1"] > best[0]:
                best = (ev["val/f1"], t)
    ts = clock.wait(300)
    log.append(("best_threshold", best[1], 0, ts))
    return {"log": log, "status": "FINISHED", "end_ms": clock.wait(400), "final": None,
            "confusion": None, "params": None, "best_threshold": best[1], "steps": 0}


# --------------------------------------------------------------------------
# YAML as MLflow writes it (PyYAML safe_dump, default_flow_style=False, sort_keys=True)
# --------------------------------------------------------------------------

_YAML_IMPLICIT = re.compile(
    r"^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF"
    r"|[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?"
    r"|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)"
    r"|[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+"
    r"|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+|<<|~|null|Null|NULL|=|"
    r"[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?"
    r"(?:(?:[Tt]|[ \t]+)[0-9][0-9]?:[0-9][0-9]:[0-9][0-9](?:\.[0-9]*)?"
    r"(?:[ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?)?)$")


def _yaml_needs_quotes(s):
    return (s == "" or _YAML_IMPLICIT.match(s) is not None or s[0] in "-?:,[]{}#&*!|>'\"%@`"
            or s != s.strip() or ": " in s or " #" in s or s.endswith(":")
            or any(ord(ch) < 32 for ch in s))


def _yaml_single_quoted(s, column, indent):
    """PyYAML's write_single_quoted: a lone space past column 80 becomes a line break."""
    out = ["'"]
    column += 1
    i = 0
    while i < len(s):
        ch = s[i]
        if (ch == " " and column > 80 and i != 0 and i + 1 < len(s) and s[i + 1] != " "
                and s[i - 1] != " "):
            out.append("\n" + " " * indent)
            column = indent
        elif ch == "'":
            out.append("''")
            column += 2
        else:
            out.append(ch)
            column += 1
        i += 1
    out.append("'")
    return "".join(out)


def yaml_dump(d, indent=0):
    """Block-style YAML of a dict of str/int/float/None/[]/dict, keys sorted."""
    lines = []
    pad = " " * indent
    for k in sorted(d):
        v = d[k]
        head = f"{pad}{k}:"
        if isinstance(v, dict):
            lines.append(head + (" {}\n" if not v else "\n" + yaml_dump(v, indent + 2)))
        elif isinstance(v, list):
            assert not v, "only empty lists are written"
            lines.append(head + " []\n")
        elif v is None:
            lines.append(head + " null\n")
        elif isinstance(v, bool):
            lines.append(head + (" true\n" if v else " false\n"))
        elif isinstance(v, (int, float)):
            lines.append(f"{head} {v!r}\n")
        elif _yaml_needs_quotes(v):
            lines.append(head + " " + _yaml_single_quoted(v, len(head) + 1, indent + 2) + "\n")
        else:
            lines.append(f"{head} {v}\n")
    return "".join(lines)


# --------------------------------------------------------------------------
# writers
# --------------------------------------------------------------------------

STATUS_INT = {"RUNNING": 1, "SCHEDULED": 2, "FINISHED": 3, "FAILED": 4, "KILLED": 5}


def write_text(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write(text)


def write_filestore(root, exp, runs, dataset):
    """OUT/mlruns as MLflow 3.7's FileStore leaves it."""
    write_text(os.path.join(root, "0", "meta.yaml"), yaml_dump({
        "artifact_location": f"{ARTIFACT_ROOT}/0", "creation_time": exp["default_time"],
        "experiment_id": "0", "last_update_time": exp["default_time"],
        "lifecycle_stage": "active", "name": "Default"}))
    # MLflow also makes an empty .trash/ here; git cannot keep an empty folder, so the
    # committed store would differ from a fresh one: leave it out (readers must cope anyway)
    ed = os.path.join(root, exp["id"])
    write_text(os.path.join(ed, "meta.yaml"), yaml_dump({
        "artifact_location": f"{ARTIFACT_ROOT}/{exp['id']}", "creation_time": exp["time"],
        "experiment_id": exp["id"], "last_update_time": exp["time"],
        "lifecycle_stage": "active", "name": EXPERIMENT_NAME}))
    for k, v in exp["tags"].items():
        write_text(os.path.join(ed, "tags", k), v)
    write_text(os.path.join(ed, "datasets", dataset["id"], "meta.yaml"), yaml_dump({
        "digest": dataset["digest"], "name": dataset["name"], "profile": dataset["profile"],
        "schema": dataset["schema"], "source": dataset["source"],
        "source_type": dataset["source_type"]}))
    for run in runs:
        rd = os.path.join(ed, run["id"])
        meta = {
            "artifact_uri": f"{ARTIFACT_ROOT}/{exp['id']}/{run['id']}/artifacts",
            "end_time": run["end_ms"], "entry_point_name": "", "experiment_id": exp["id"],
            "lifecycle_stage": run["lifecycle"], "run_id": run["id"], "run_name": run["name"],
            "source_name": "", "source_type": 4, "source_version": "",
            "start_time": run["start_ms"], "status": STATUS_INT[run["status"]], "tags": [],
            "user_id": run["user"]}
        if run["deleted_ms"] is not None:
            meta["deleted_time"] = run["deleted_ms"]
        write_text(os.path.join(rd, "meta.yaml"), yaml_dump(meta))
        series = {}
        for key, value, step, ts in run["log"]:
            series.setdefault(key, []).append(f"{ts} {value} {step}\n")
        for key, lines in series.items():
            write_text(os.path.join(rd, "metrics", key), "".join(lines))
        for k, v in run["params"].items():
            write_text(os.path.join(rd, "params", k), v)
        for k, v in run["tags"].items():
            write_text(os.path.join(rd, "tags", k), v)
        for rel, text in run["artifacts"].items():
            write_text(os.path.join(rd, "artifacts", rel), text)
        if run["input_id"]:
            write_text(os.path.join(rd, "inputs", run["input_id"], "meta.yaml"), yaml_dump({
                "destination_id": dataset["id"],      # sic: MLflow writes the source id here
                "destination_type": "RUN", "source_id": dataset["id"],
                "source_type": "DATASET", "tags": {"mlflow.data.context": "train"}}))


# `sqlite3 mlflow.db .schema` of a database made by MLflow 3.7.0 (alembic bf29a5ff90ea),
# verbatim, so the tables, columns, constraints and indexes are the real ones.
MLFLOW_SCHEMA = """
CREATE TABLE experiments (
	experiment_id INTEGER NOT NULL, 
	name VARCHAR(256) NOT NULL, 
	artifact_location VARCHAR(256), 
	lifecycle_stage VARCHAR(32), creation_time BIGINT, last_update_time BIGINT, 
	CONSTRAINT experiment_pk PRIMARY KEY (experiment_id), 
	CONSTRAINT experiments_lifecycle_stage CHECK (lifecycle_stage IN ('active', 'deleted')), 
	UNIQUE (name)
);
CREATE TABLE alembic_version (
	version_num VARCHAR(32) NOT NULL, 
	CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num)
);
CREATE TABLE experiment_tags (
	"key" VARCHAR(250) NOT NULL, 
	value VARCHAR(5000), 
	experiment_id INTEGER NOT NULL, 
	CONSTRAINT experiment_tag_pk PRIMARY KEY ("key", experiment_id), 
	FOREIGN KEY(experiment_id) REFERENCES experiments (experiment_id)
);
CREATE TABLE registered_models (
	name VARCHAR(256) NOT NULL, 
	creation_time BIGINT, 
	last_updated_time BIGINT, 
	description VARCHAR(5000), 
	CONSTRAINT registered_model_pk PRIMARY KEY (name), 
	UNIQUE (name)
);
CREATE TABLE IF NOT EXISTS "runs" (
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
	experiment_id INTEGER, deleted_time BIGINT, 
	CONSTRAINT run_pk PRIMARY KEY (run_uuid), 
	CONSTRAINT runs_lifecycle_stage CHECK (lifecycle_stage IN ('active', 'deleted')), 
	CONSTRAINT source_type CHECK (source_type IN ('NOTEBOOK', 'JOB', 'LOCAL', 'UNKNOWN', 'PROJECT')), 
	FOREIGN KEY(experiment_id) REFERENCES experiments (experiment_id), 
	CHECK (status IN ('SCHEDULED', 'FAILED', 'FINISHED', 'RUNNING', 'KILLED'))
);
CREATE TABLE registered_model_tags (
	"key" VARCHAR(250) NOT NULL, 
	value VARCHAR(5000), 
	name VARCHAR(256) NOT NULL, 
	CONSTRAINT registered_model_tag_pk PRIMARY KEY ("key", name), 
	FOREIGN KEY(name) REFERENCES registered_models (name) ON UPDATE cascade
);
CREATE TABLE IF NOT EXISTS "model_versions" (
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
	run_link VARCHAR(500), storage_location VARCHAR(500), 
	CONSTRAINT model_version_pk PRIMARY KEY (name, version), 
	FOREIGN KEY(name) REFERENCES registered_models (name) ON UPDATE CASCADE
);
CREATE TABLE IF NOT EXISTS "latest_metrics" (
	"key" VARCHAR(250) NOT NULL, 
	value FLOAT NOT NULL, 
	timestamp BIGINT, 
	step BIGINT NOT NULL, 
	is_nan BOOLEAN NOT NULL, 
	run_uuid VARCHAR(32) NOT NULL, 
	CONSTRAINT latest_metric_pk PRIMARY KEY ("key", run_uuid), 
	FOREIGN KEY(run_uuid) REFERENCES runs (run_uuid), 
	CHECK (is_nan IN (0, 1))
);
CREATE TABLE IF NOT EXISTS "metrics" (
	"key" VARCHAR(250) NOT NULL, 
	value FLOAT NOT NULL, 
	timestamp BIGINT NOT NULL, 
	run_uuid VARCHAR(32) NOT NULL, 
	step BIGINT DEFAULT '0' NOT NULL, 
	is_nan BOOLEAN DEFAULT '0' NOT NULL, 
	CONSTRAINT metric_pk PRIMARY KEY ("key", timestamp, step, run_uuid, value, is_nan), 
	FOREIGN KEY(run_uuid) REFERENCES runs (run_uuid), 
	CHECK (is_nan IN (0, 1))
);
CREATE INDEX index_metrics_run_uuid ON metrics (run_uuid);
CREATE INDEX index_latest_metrics_run_uuid ON latest_metrics (run_uuid);
CREATE TABLE registered_model_aliases (
	alias VARCHAR(256) NOT NULL, 
	version INTEGER NOT NULL, 
	name VARCHAR(256) NOT NULL, 
	CONSTRAINT registered_model_alias_pk PRIMARY KEY (name, alias), 
	CONSTRAINT registered_model_alias_name_fkey FOREIGN KEY(name) REFERENCES registered_models (name) ON DELETE cascade ON UPDATE cascade
);
CREATE TABLE inputs (
	input_uuid VARCHAR(36) NOT NULL, 
	source_type VARCHAR(36) NOT NULL, 
	source_id VARCHAR(36) NOT NULL, 
	destination_type VARCHAR(36) NOT NULL, 
	destination_id VARCHAR(36) NOT NULL, step BIGINT DEFAULT '0' NOT NULL, 
	CONSTRAINT inputs_pk PRIMARY KEY (source_type, source_id, destination_type, destination_id)
);
CREATE INDEX index_inputs_input_uuid ON inputs (input_uuid);
CREATE INDEX index_inputs_destination_type_destination_id_source_type ON inputs (destination_type, destination_id, source_type);
CREATE TABLE input_tags (
	input_uuid VARCHAR(36) NOT NULL, 
	name VARCHAR(255) NOT NULL, 
	value VARCHAR(500) NOT NULL, 
	CONSTRAINT input_tags_pk PRIMARY KEY (input_uuid, name)
);
CREATE TABLE IF NOT EXISTS "params" (
	"key" VARCHAR(250) NOT NULL, 
	value VARCHAR(8000) NOT NULL, 
	run_uuid VARCHAR(32) NOT NULL, 
	CONSTRAINT param_pk PRIMARY KEY ("key", run_uuid), 
	FOREIGN KEY(run_uuid) REFERENCES runs (run_uuid)
);
CREATE INDEX index_params_run_uuid ON params (run_uuid);
CREATE TABLE trace_info (
	request_id VARCHAR(50) NOT NULL, 
	experiment_id INTEGER NOT NULL, 
	timestamp_ms BIGINT NOT NULL, 
	execution_time_ms BIGINT, 
	status VARCHAR(50) NOT NULL, client_request_id VARCHAR(50), request_preview VARCHAR(1000), response_preview VARCHAR(1000), 
	CONSTRAINT trace_info_pk PRIMARY KEY (request_id), 
	CONSTRAINT fk_trace_info_experiment_id FOREIGN KEY(experiment_id) REFERENCES experiments (experiment_id)
);
CREATE INDEX index_trace_info_experiment_id_timestamp_ms ON trace_info (experiment_id, timestamp_ms);
CREATE TABLE IF NOT EXISTS "trace_tags" (
	"key" VARCHAR(250) NOT NULL, 
	value VARCHAR(8000), 
	request_id VARCHAR(50) NOT NULL, 
	CONSTRAINT trace_tag_pk PRIMARY KEY ("key", request_id), 
	CONSTRAINT fk_trace_tags_request_id FOREIGN KEY(request_id) REFERENCES trace_info (request_id) ON DELETE CASCADE
);
CREATE INDEX index_trace_tags_request_id ON trace_tags (request_id);
CREATE TABLE IF NOT EXISTS "trace_request_metadata" (
	"key" VARCHAR(250) NOT NULL, 
	value VARCHAR(8000), 
	request_id VARCHAR(50) NOT NULL, 
	CONSTRAINT trace_request_metadata_pk PRIMARY KEY ("key", request_id), 
	CONSTRAINT fk_trace_request_metadata_request_id FOREIGN KEY(request_id) REFERENCES trace_info (request_id) ON DELETE CASCADE
);
CREATE INDEX index_trace_request_metadata_request_id ON trace_request_metadata (request_id);
CREATE TABLE IF NOT EXISTS "tags" (
	"key" VARCHAR(250) NOT NULL, 
	value VARCHAR(8000), 
	run_uuid VARCHAR(32) NOT NULL, 
	CONSTRAINT tag_pk PRIMARY KEY ("key", run_uuid), 
	FOREIGN KEY(run_uuid) REFERENCES runs (run_uuid)
);
CREATE INDEX index_tags_run_uuid ON tags (run_uuid);
CREATE TABLE IF NOT EXISTS "datasets" (
	dataset_uuid VARCHAR(36) NOT NULL, 
	experiment_id INTEGER NOT NULL, 
	name VARCHAR(500) NOT NULL, 
	digest VARCHAR(36) NOT NULL, 
	dataset_source_type VARCHAR(36) NOT NULL, 
	dataset_source TEXT NOT NULL, 
	dataset_schema TEXT, 
	dataset_profile TEXT, 
	CONSTRAINT dataset_pk PRIMARY KEY (experiment_id, name, digest), 
	CONSTRAINT fk_datasets_experiment_id_experiments FOREIGN KEY(experiment_id) REFERENCES experiments (experiment_id) ON DELETE CASCADE
);
CREATE INDEX index_datasets_dataset_uuid ON datasets (dataset_uuid);
CREATE INDEX index_datasets_experiment_id_dataset_source_type ON datasets (experiment_id, dataset_source_type);
CREATE TABLE logged_models (
	model_id VARCHAR(36) NOT NULL, 
	experiment_id INTEGER NOT NULL, 
	name VARCHAR(500) NOT NULL, 
	artifact_location VARCHAR(1000) NOT NULL, 
	creation_timestamp_ms BIGINT NOT NULL, 
	last_updated_timestamp_ms BIGINT NOT NULL, 
	status INTEGER NOT NULL, 
	lifecycle_stage VARCHAR(32), 
	model_type VARCHAR(500), 
	source_run_id VARCHAR(32), 
	status_message VARCHAR(1000), 
	CONSTRAINT logged_models_pk PRIMARY KEY (model_id), 
	CONSTRAINT logged_models_lifecycle_stage_check CHECK (lifecycle_stage IN ('active', 'deleted')), 
	CONSTRAINT fk_logged_models_experiment_id FOREIGN KEY(experiment_id) REFERENCES experiments (experiment_id) ON DELETE CASCADE
);
CREATE TABLE logged_model_metrics (
	model_id VARCHAR(36) NOT NULL, 
	metric_name VARCHAR(500) NOT NULL, 
	metric_timestamp_ms BIGINT NOT NULL, 
	metric_step BIGINT NOT NULL, 
	metric_value FLOAT, 
	experiment_id INTEGER NOT NULL, 
	run_id VARCHAR(32) NOT NULL, 
	dataset_uuid VARCHAR(36), 
	dataset_name VARCHAR(500), 
	dataset_digest VARCHAR(36), 
	CONSTRAINT logged_model_metrics_pk PRIMARY KEY (model_id, metric_name, metric_timestamp_ms, metric_step, run_id), 
	CONSTRAINT fk_logged_model_metrics_experiment_id FOREIGN KEY(experiment_id) REFERENCES experiments (experiment_id), 
	CONSTRAINT fk_logged_model_metrics_model_id FOREIGN KEY(model_id) REFERENCES logged_models (model_id) ON DELETE CASCADE, 
	CONSTRAINT fk_logged_model_metrics_run_id FOREIGN KEY(run_id) REFERENCES runs (run_uuid) ON DELETE CASCADE
);
CREATE INDEX index_logged_model_metrics_model_id ON logged_model_metrics (model_id);
CREATE TABLE logged_model_params (
	model_id VARCHAR(36) NOT NULL, 
	experiment_id INTEGER NOT NULL, 
	param_key VARCHAR(255) NOT NULL, 
	param_value TEXT NOT NULL, 
	CONSTRAINT logged_model_params_pk PRIMARY KEY (model_id, param_key), 
	CONSTRAINT fk_logged_model_params_experiment_id FOREIGN KEY(experiment_id) REFERENCES experiments (experiment_id), 
	CONSTRAINT fk_logged_model_params_model_id FOREIGN KEY(model_id) REFERENCES logged_models (model_id) ON DELETE CASCADE
);
CREATE TABLE logged_model_tags (
	model_id VARCHAR(36) NOT NULL, 
	experiment_id INTEGER NOT NULL, 
	tag_key VARCHAR(255) NOT NULL, 
	tag_value TEXT NOT NULL, 
	CONSTRAINT logged_model_tags_pk PRIMARY KEY (model_id, tag_key), 
	CONSTRAINT fk_logged_model_tags_experiment_id FOREIGN KEY(experiment_id) REFERENCES experiments (experiment_id), 
	CONSTRAINT fk_logged_model_tags_model_id FOREIGN KEY(model_id) REFERENCES logged_models (model_id) ON DELETE CASCADE
);
CREATE TABLE IF NOT EXISTS "model_version_tags" (
	"key" VARCHAR(250) NOT NULL, 
	value TEXT, 
	name VARCHAR(256) NOT NULL, 
	version INTEGER NOT NULL, 
	CONSTRAINT model_version_tag_pk PRIMARY KEY ("key", name, version), 
	FOREIGN KEY(name, version) REFERENCES model_versions (name, version) ON UPDATE CASCADE
);
CREATE TABLE assessments (
	assessment_id VARCHAR(50) NOT NULL, 
	trace_id VARCHAR(50) NOT NULL, 
	name VARCHAR(250) NOT NULL, 
	assessment_type VARCHAR(20) NOT NULL, 
	value TEXT NOT NULL, 
	error TEXT, 
	created_timestamp BIGINT NOT NULL, 
	last_updated_timestamp BIGINT NOT NULL, 
	source_type VARCHAR(50) NOT NULL, 
	source_id VARCHAR(250), 
	run_id VARCHAR(32), 
	span_id VARCHAR(50), 
	rationale TEXT, 
	overrides VARCHAR(50), 
	valid BOOLEAN NOT NULL, 
	assessment_metadata TEXT, 
	CONSTRAINT assessments_pk PRIMARY KEY (assessment_id), 
	CONSTRAINT fk_assessments_trace_id FOREIGN KEY(trace_id) REFERENCES trace_info (request_id) ON DELETE CASCADE
);
CREATE INDEX index_assessments_trace_id_created_timestamp ON assessments (trace_id, created_timestamp);
CREATE INDEX index_assessments_run_id_created_timestamp ON assessments (run_id, created_timestamp);
CREATE INDEX index_assessments_last_updated_timestamp ON assessments (last_updated_timestamp);
CREATE INDEX index_assessments_assessment_type ON assessments (assessment_type);
CREATE TABLE spans (
	trace_id VARCHAR(50) NOT NULL, 
	experiment_id INTEGER NOT NULL, 
	span_id VARCHAR(50) NOT NULL, 
	parent_span_id VARCHAR(50), 
	name TEXT, 
	type VARCHAR(500), 
	status VARCHAR(50) NOT NULL, 
	start_time_unix_nano BIGINT NOT NULL, 
	end_time_unix_nano BIGINT, 
	duration_ns BIGINT GENERATED ALWAYS AS (end_time_unix_nano - start_time_unix_nano) STORED, 
	content TEXT NOT NULL, 
	CONSTRAINT spans_pk PRIMARY KEY (trace_id, span_id), 
	CONSTRAINT fk_spans_trace_id FOREIGN KEY(trace_id) REFERENCES trace_info (request_id) ON DELETE CASCADE, 
	CONSTRAINT fk_spans_experiment_id FOREIGN KEY(experiment_id) REFERENCES experiments (experiment_id)
);
CREATE INDEX index_spans_experiment_id ON spans (experiment_id);
CREATE INDEX index_spans_experiment_id_status_type ON spans (experiment_id, status, type);
CREATE INDEX index_spans_experiment_id_type_status ON spans (experiment_id, type, status);
CREATE INDEX index_spans_experiment_id_duration ON spans (experiment_id, duration_ns);
CREATE TABLE entity_associations (
	association_id VARCHAR(36) NOT NULL, 
	source_type VARCHAR(36) NOT NULL, 
	source_id VARCHAR(36) NOT NULL, 
	destination_type VARCHAR(36) NOT NULL, 
	destination_id VARCHAR(36) NOT NULL, 
	created_time BIGINT, 
	CONSTRAINT entity_associations_pk PRIMARY KEY (source_type, source_id, destination_type, destination_id)
);
CREATE INDEX index_entity_associations_association_id ON entity_associations (association_id);
CREATE INDEX index_entity_associations_reverse_lookup ON entity_associations (destination_type, destination_id, source_type, source_id);
CREATE TABLE webhooks (
	webhook_id VARCHAR(256) NOT NULL, 
	name VARCHAR(256) NOT NULL, 
	description VARCHAR(1000), 
	url VARCHAR(500) NOT NULL, 
	status VARCHAR(20) DEFAULT 'ACTIVE' NOT NULL, 
	secret VARCHAR(1000), 
	creation_timestamp BIGINT, 
	last_updated_timestamp BIGINT, 
	deleted_timestamp BIGINT, 
	CONSTRAINT webhook_pk PRIMARY KEY (webhook_id)
);
CREATE INDEX idx_webhooks_status ON webhooks (status);
CREATE INDEX idx_webhooks_name ON webhooks (name);
CREATE TABLE webhook_events (
	webhook_id VARCHAR(256) NOT NULL, 
	entity VARCHAR(50) NOT NULL, 
	action VARCHAR(50) NOT NULL, 
	CONSTRAINT webhook_event_pk PRIMARY KEY (webhook_id, entity, action), 
	FOREIGN KEY(webhook_id) REFERENCES webhooks (webhook_id) ON DELETE cascade
);
CREATE INDEX idx_webhook_events_entity ON webhook_events (entity);
CREATE INDEX idx_webhook_events_action ON webhook_events (action);
CREATE INDEX idx_webhook_events_entity_action ON webhook_events (entity, action);
CREATE TABLE scorers (
	experiment_id INTEGER NOT NULL, 
	scorer_name VARCHAR(256) NOT NULL, 
	scorer_id VARCHAR(36) NOT NULL, 
	CONSTRAINT scorer_pk PRIMARY KEY (scorer_id), 
	CONSTRAINT fk_scorers_experiment_id FOREIGN KEY(experiment_id) REFERENCES experiments (experiment_id) ON DELETE CASCADE
);
CREATE TABLE scorer_versions (
	scorer_id VARCHAR(36) NOT NULL, 
	scorer_version INTEGER NOT NULL, 
	serialized_scorer TEXT NOT NULL, 
	creation_time BIGINT, 
	CONSTRAINT scorer_version_pk PRIMARY KEY (scorer_id, scorer_version), 
	CONSTRAINT fk_scorer_versions_scorer_id FOREIGN KEY(scorer_id) REFERENCES scorers (scorer_id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX index_scorers_experiment_id_scorer_name ON scorers (experiment_id, scorer_name);
CREATE INDEX index_scorer_versions_scorer_id ON scorer_versions (scorer_id);
CREATE TABLE evaluation_datasets (
	dataset_id VARCHAR(36) NOT NULL, 
	name VARCHAR(255) NOT NULL, 
	schema TEXT, 
	profile TEXT, 
	digest VARCHAR(64), 
	created_time BIGINT, 
	last_update_time BIGINT, 
	created_by VARCHAR(255), 
	last_updated_by VARCHAR(255), 
	CONSTRAINT evaluation_datasets_pk PRIMARY KEY (dataset_id)
);
CREATE INDEX index_evaluation_datasets_name ON evaluation_datasets (name);
CREATE INDEX index_evaluation_datasets_created_time ON evaluation_datasets (created_time);
CREATE TABLE evaluation_dataset_tags (
	dataset_id VARCHAR(36) NOT NULL, 
	"key" VARCHAR(255) NOT NULL, 
	value VARCHAR(5000), 
	CONSTRAINT evaluation_dataset_tags_pk PRIMARY KEY (dataset_id, "key"), 
	CONSTRAINT fk_evaluation_dataset_tags_dataset_id FOREIGN KEY(dataset_id) REFERENCES evaluation_datasets (dataset_id) ON DELETE CASCADE
);
CREATE INDEX index_evaluation_dataset_tags_dataset_id ON evaluation_dataset_tags (dataset_id);
CREATE TABLE IF NOT EXISTS "evaluation_dataset_records" (
	dataset_record_id VARCHAR(36) NOT NULL, 
	dataset_id VARCHAR(36) NOT NULL, 
	inputs JSON NOT NULL, 
	expectations JSON, 
	tags JSON, 
	source JSON, 
	source_id VARCHAR(36), 
	source_type VARCHAR(255), 
	created_time BIGINT, 
	last_update_time BIGINT, 
	created_by VARCHAR(255), 
	last_updated_by VARCHAR(255), 
	input_hash VARCHAR(64) NOT NULL, outputs JSON, 
	CONSTRAINT evaluation_dataset_records_pk PRIMARY KEY (dataset_record_id), 
	CONSTRAINT fk_evaluation_dataset_records_dataset_id FOREIGN KEY(dataset_id) REFERENCES evaluation_datasets (dataset_id) ON DELETE CASCADE, 
	CONSTRAINT unique_dataset_input UNIQUE (dataset_id, input_hash)
);
CREATE INDEX index_evaluation_dataset_records_dataset_id ON evaluation_dataset_records (dataset_id);
CREATE TABLE jobs (
	id VARCHAR(36) NOT NULL, 
	creation_time BIGINT NOT NULL, 
	function_fullname VARCHAR(500) NOT NULL, 
	params TEXT NOT NULL, 
	timeout FLOAT, 
	status INTEGER NOT NULL, 
	result TEXT, 
	retry_count INTEGER NOT NULL, 
	last_update_time BIGINT NOT NULL, 
	CONSTRAINT jobs_pk PRIMARY KEY (id)
);
CREATE INDEX index_jobs_function_status_creation_time ON jobs (function_fullname, status, creation_time);
"""


def sql_value(v):
    """(value, is_nan) as MLflow's SQL store keeps a metric value."""
    if v != v:
        return 0.0, 1
    if math.isinf(v):
        return (SQL_DBL_MAX if v > 0 else -SQL_DBL_MAX), 0
    return v, 0


def write_sqlite(path, exp, runs, dataset):
    """OUT/mlflow.db as MLflow 3.7's SQL store leaves it."""
    con = sqlite3.connect(path)
    try:
        con.executescript(MLFLOW_SCHEMA)
        con.execute("INSERT INTO alembic_version VALUES (?)", (ALEMBIC_REVISION,))
        con.execute("INSERT INTO experiments VALUES (0, 'Default', ?, 'active', ?, ?)",
                    (f"{ARTIFACT_ROOT}/0", exp["default_time"], exp["default_time"]))
        con.execute("INSERT INTO experiments VALUES (?, ?, ?, 'active', ?, ?)",
                    (int(exp["id"]), EXPERIMENT_NAME, f"{ARTIFACT_ROOT}/{exp['id']}",
                     exp["time"], exp["time"]))
        con.executemany("INSERT INTO experiment_tags VALUES (?, ?, ?)",
                        [(k, v, int(exp["id"])) for k, v in exp["tags"].items()])
        con.execute("INSERT INTO datasets VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (dataset["id"], int(exp["id"]), dataset["name"], dataset["digest"],
                     dataset["source_type"], dataset["source"], dataset["schema"],
                     dataset["profile"]))
        for run in runs:
            rid = run["id"]
            con.execute("INSERT INTO runs VALUES (?, ?, 'UNKNOWN', '', '', ?, ?, ?, ?, '', ?, ?, ?, ?)",
                        (rid, run["name"], run["user"], run["status"], run["start_ms"],
                         run["end_ms"], run["lifecycle"],
                         f"{ARTIFACT_ROOT}/{exp['id']}/{rid}/artifacts", int(exp["id"]),
                         run["deleted_ms"]))
            con.executemany("INSERT INTO tags VALUES (?, ?, ?)",
                            [(k, v, rid) for k, v in run["tags"].items()])
            con.executemany("INSERT INTO params VALUES (?, ?, ?)",
                            [(k, v, rid) for k, v in run["params"].items()])
            rows = []
            latest = {}
            for key, value, step, ts in run["log"]:
                v, is_nan = sql_value(value)
                rows.append((key, v, ts, rid, step, is_nan))
                # MLflow keeps the point with the largest (step, timestamp, value)
                cand = (step, ts, v)
                if key not in latest or cand > latest[key][0]:
                    latest[key] = (cand, is_nan)
            con.executemany("INSERT INTO metrics VALUES (?, ?, ?, ?, ?, ?)", rows)
            con.executemany("INSERT INTO latest_metrics VALUES (?, ?, ?, ?, ?, ?)",
                            [(k, c[2], c[1], c[0], n, rid) for k, (c, n) in latest.items()])
            if run["input_id"]:
                con.execute("INSERT INTO inputs VALUES (?, 'DATASET', ?, 'RUN', ?, 0)",
                            (run["input_id"], dataset["id"], rid))
                con.execute("INSERT INTO input_tags VALUES (?, 'mlflow.data.context', 'train')",
                            (run["input_id"],))
        con.commit()        # no VACUUM: it would move every index after all tables in sqlite_schema
    finally:
        con.close()


# --------------------------------------------------------------------------

def dataset_record(X, y, days):
    """The one dataset input: couch_bites_v3 as mlflow.data.from_pandas would describe it."""
    digest = hashlib.md5(X.tobytes() + y.tobytes()).hexdigest()[:8]
    name = "couch_bites_v3"
    cols = [{"type": "double", "name": f, "required": True} for f in FEATURES]
    cols.append({"type": "long", "name": "bite_next_window", "required": True})
    return {
        "name": name,
        "digest": digest,
        "id": hashlib.md5(name.encode() + digest.encode()).hexdigest(),
        "source_type": "local",
        "source": json.dumps({"uri": "/home/mira/couch-guard/data/couch_bites_v3.parquet"}),
        "schema": json.dumps({"mlflow_colspec": cols}),
        "profile": json.dumps({"num_rows": int(len(y)), "num_elements": int(len(y) * (len(FEATURES) + 1))}),
    }


def mlmodel_text(run_id, created, size):
    return yaml_dump({
        "artifact_path": "model",
        "flavors": {"python_function": {
            "code": None, "data": "weights.json",
            "env": {"conda": "conda.yaml", "virtualenv": "python_env.yaml"},
            "loader_module": "couch_guard.pyfunc", "python_version": "3.11.2"}},
        "mlflow_version": MLFLOW_VERSION,
        "model_size_bytes": size,
        "model_uuid": hex_id("model", run_id),
        "run_id": run_id,
        "utc_time_created": created,
    })


def utc_text(ms):
    """'YYYY-MM-DD HH:MM:SS.ffffff' without the time module's local-zone surprises."""
    days, rem = divmod(ms, DAY_MS)
    # civil-from-days (Howard Hinnant), days since 1970-01-01
    z = days + 719468
    era = z // 146097
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    d = doy - (153 * mp + 2) // 5 + 1
    m = mp + 3 if mp < 10 else mp - 9
    yr = yoe + era * 400 + (m <= 2)
    h, rem = divmod(rem, 3600000)
    mi, rem = divmod(rem, 60000)
    s, msec = divmod(rem, 1000)
    return f"{yr:04d}-{m:02d}-{d:02d} {h:02d}:{mi:02d}:{s:02d}.{msec:03d}000"


def build(out):
    X, y, day = make_dataset()
    tr = day < TRAIN_DAYS
    mu, sd = X[tr].mean(axis=0), X[tr].std(axis=0)
    Xs = ((X - mu) / sd).astype(np.float32)
    data = (Xs[tr], y[tr], Xs[~tr], y[~tr])
    n_tr, n_va = int(tr.sum()), int((~tr).sum())
    dataset = dataset_record(X, y, day)
    exp = {"id": experiment_id(), "time": BASE_MS - 3 * 3600000 - 417211,
           "default_time": BASE_MS - 3 * 3600000 - 418094}
    exp["tags"] = {
        "mlflow.note.content": experiment_note(len(y), float(y[tr].mean()), float(y[~tr].mean())),
        "project": "couch-guard",
    }

    specs = run_specs()
    results = {}
    runs = []
    gap = np.random.default_rng([SEED, 7])
    clock_day = -1
    t = BASE_MS
    for spec in specs:
        if spec["day"] != clock_day:
            clock_day = spec["day"]
            t = BASE_MS + clock_day * DAY_MS + int(gap.integers(0, 40 * 60000))
        start = t
        res = train(spec, data, start)
        results[spec["name"]] = res
        spec["start_ms"] = start
        t = res["end_ms"] + int(gap.integers(45000, 8 * 60000))
        if spec["name"] == BEST:
            # the threshold sweep runs nested inside this run, after its training
            child = {"name": "threshold-sweep", "user": "tomas", "stage": "rebalance",
                     "commit": COMMIT_2, "parent": spec["name"]}
            cres = threshold_sweep(spec, res, data, res["end_ms"])
            results["threshold-sweep"] = cres
            child["start_ms"] = res["end_ms"] + 250
            res["end_ms"] = cres["end_ms"] + 600        # the parent closes after its child
            t = res["end_ms"] + int(gap.integers(45000, 8 * 60000))
            spec["child"] = child

    all_notes = notes(specs, results)
    order = []
    for spec in specs:
        order.append(spec)
        if "child" in spec:
            order.append(spec["child"])
    ids = {s["name"]: hex_id("run", s["name"]) for s in order}
    for s in order:
        res = results[s["name"]]
        rid = ids[s["name"]]
        status, end_ms, lifecycle, deleted_ms = res["status"], res["end_ms"], "active", None
        if s.get("running"):
            status, end_ms = "RUNNING", None
        if s.get("killed"):
            status = "KILLED"
        if s.get("deleted"):
            lifecycle, deleted_ms = "deleted", res["end_ms"] + 1260000
        tags = {
            "mlflow.runName": s["name"],
            "mlflow.user": s["user"],
            "mlflow.source.name": "train_bite.py" if "parent" not in s else "sweep_threshold.py",
            "mlflow.source.type": "LOCAL",
            "mlflow.source.git.commit": s["commit"],
            "stage": s["stage"],
        }
        if "parent" in s:
            tags["mlflow.parentRunId"] = ids[s["parent"]]
        if s["name"] in all_notes:
            tags["mlflow.note.content"] = all_notes[s["name"]]
        if "parent" in s:
            params = {"parent_model": BEST, "thresholds": "0.05:0.95:0.05",
                      "val_windows": str(n_va)}
        else:
            params = params_of(s, n_tr, n_va)
        artifacts = {}
        if res["confusion"] is not None and status in ("FINISHED", "RUNNING"):
            c = res["confusion"]
            artifacts["confusion_matrix.json"] = json.dumps(
                {"labels": ["no_bite", "bite"], "threshold": 0.5,
                 "matrix": [[c["tn"], c["fp"]], [c["fn"], c["tp"]]]}, indent=2) + "\n"
        if s["name"] == BEST:
            P = res["params"]
            weights = json.dumps({k: np.round(P[k].astype(np.float64), 5).tolist()
                                  for k in sorted(P)}, separators=(",", ":")) + "\n"
            artifacts["model/weights.json"] = weights
            artifacts["model/MLmodel"] = mlmodel_text(rid, utc_text(res["end_ms"] - 700),
                                                      len(weights.encode()))
        runs.append({
            "id": rid, "name": s["name"], "user": s["user"], "status": status,
            "start_ms": s["start_ms"], "end_ms": end_ms, "lifecycle": lifecycle,
            "deleted_ms": deleted_ms, "tags": tags, "params": params, "log": res["log"],
            "artifacts": artifacts,
            "input_id": (hashlib.md5(dataset["id"].encode() + rid.encode()).hexdigest()
                         if "parent" not in s else None),
            "final_f1": res["final"]["val/f1"] if res["final"] else None,
            "pos_weight": s.get("pos_weight_value"),
        })
    check_story(runs)

    write_filestore(os.path.join(out, "mlruns"), exp, runs, dataset)
    write_sqlite(os.path.join(out, "mlflow.db"), exp, runs, dataset)
    return runs


def check_story(runs):
    """The story must hold: balanced class weights clearly win on val/f1."""
    scored = [r for r in runs if r["final_f1"] is not None and r["lifecycle"] == "active"
              and r["status"] == "FINISHED"]
    best = max(scored, key=lambda r: r["final_f1"])
    best_other = max((r["final_f1"] for r in scored if r["pos_weight"] == 1.0), default=0.0)
    if best["pos_weight"] == 1.0 or best["final_f1"] < best_other + 0.03:
        for r in scored:
            print(f"{r['name']:<22} val/f1 {r['final_f1']:.3f}", file=sys.stderr)
        sys.exit(f"make_sample_runs.py: story broken: best val/f1 run is {best['name']} "
                 f"({best['final_f1']:.3f}), best unweighted {best_other:.3f}")


def main(argv=None):
    ap = argparse.ArgumentParser(
        description="Train the 'Will the puppy bite the couch?' sample runs and write them as "
                    "an MLflow FileStore (OUT/mlruns) and an MLflow SQLite store (OUT/mlflow.db).")
    ap.add_argument("--out", default="sample-runs", help="output folder (default: sample-runs)")
    ap.add_argument("--force", action="store_true",
                    help="write into a non-empty folder (replaces OUT/mlruns and OUT/mlflow.db)")
    ap.add_argument("-q", "--quiet", action="store_true", help="do not print the run list")
    args = ap.parse_args(argv)
    out = args.out
    if os.path.isdir(out) and os.listdir(out) and not args.force:
        print(f"make_sample_runs.py: {out} is not empty; use --force to replace "
              f"{out}/mlruns and {out}/mlflow.db", file=sys.stderr)
        return 2
    if os.path.exists(out) and not os.path.isdir(out):
        print(f"make_sample_runs.py: {out} is not a folder", file=sys.stderr)
        return 2
    os.makedirs(out, exist_ok=True)
    shutil.rmtree(os.path.join(out, "mlruns"), ignore_errors=True)
    for f in ("mlflow.db", "mlflow.db-journal"):
        if os.path.exists(os.path.join(out, f)):
            os.remove(os.path.join(out, f))
    runs = build(out)
    if not args.quiet:
        for r in runs:
            f1 = "" if r["final_f1"] is None else f"val/f1 {r['final_f1']:.3f}"
            print(f"{r['id']}  {r['name']:<22} {r['status']:<8} {r['lifecycle']:<7} {f1}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
