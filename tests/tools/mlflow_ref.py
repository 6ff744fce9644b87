#!/usr/bin/env python3
"""mlflow_ref.py — an independent MLflow reader (Python standard library only)
that prints what `runsite ls --json` should print for an mlflow.db or an
mlruns/ folder, and compares it with runsite's output.

    mlflow_ref.py STORE                 print the reference JSON
    mlflow_ref.py STORE RUNSITE.json    compare; exit 1 and say what differs

It shares no code with runsite: metric lines are split with str.split, YAML
is read with a line-based reader good enough for MLflow's own meta.yaml, and
the database is read with the sqlite3 module.
"""
import json
import math
import os
import sqlite3
import sys

STATUS = {1: "RUNNING", 2: "SCHEDULED", 3: "FINISHED", 4: "FAILED", 5: "KILLED"}


def order_key(v):
    # NaN orders above every number, as runsite documents.
    return (1, 0.0) if math.isnan(v) else (0, v)


def summarize(points):
    """points: list of (step, ts, value); identical points count once."""
    pts = sorted(set((s, t, v if not math.isnan(v) else float("nan")) for s, t, v in points),
                 key=lambda p: (p[0], p[1], order_key(p[2])))
    # set() keeps distinct NaN objects apart; fold them by (step, ts)
    uniq = []
    for p in pts:
        if uniq and uniq[-1][0] == p[0] and uniq[-1][1] == p[1] and (
                uniq[-1][2] == p[2] or (math.isnan(uniq[-1][2]) and math.isnan(p[2]))):
            continue
        uniq.append(p)
    out = {"count": len(uniq), "nonfinite": sum(1 for p in uniq if not math.isfinite(p[2]))}
    if uniq:
        out["first"] = [uniq[0][0], uniq[0][2]]
        out["last"] = [uniq[-1][0], uniq[-1][2]]
    else:
        out["first"] = out["last"] = None
    finite = [p for p in uniq if math.isfinite(p[2])]
    if finite:
        mn = min(finite, key=lambda p: (p[2], p[0], p[1]))
        mx = min(finite, key=lambda p: (-p[2], p[0], p[1]))
        out["min"] = [mn[0], mn[2]]
        out["max"] = [mx[0], mx[2]]
    else:
        out["min"] = out["max"] = None
    return out


def read_meta(path):
    """The top-level scalar keys of an MLflow meta.yaml (enough for MLflow's own files)."""
    meta = {}
    last = None
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\r\n")
            if not line.strip():
                continue
            if line.startswith(" ") and last:
                meta[last] = (meta[last] or "") + " " + line.strip()  # folded scalar
                continue
            if ":" not in line:
                continue
            k, v = line.split(":", 1)
            v = v.strip()
            if len(v) >= 2 and v[0] == v[-1] == "'":
                v = v[1:-1].replace("''", "'")
            elif len(v) >= 2 and v[0] == v[-1] == '"':
                v = json.loads(v)
            elif v in ("null", "~", ""):
                v = None if v != "" else None
            meta[k] = v
            last = k
    return meta


def walk_values(folder):
    out = {}
    if not os.path.isdir(folder):
        return out
    for root, _, files in os.walk(folder):
        for fn in files:
            p = os.path.join(root, fn)
            key = os.path.relpath(p, folder).replace(os.sep, "/")
            with open(p, encoding="utf-8", errors="replace") as f:
                out[key] = f.read()
    return out


def read_file_store(root, include_deleted=False):
    runs = []
    exps = []
    for name in sorted(os.listdir(root)):
        if name in (".trash", "models"):
            continue
        exps.append((os.path.join(root, name), False))
    trash = os.path.join(root, ".trash")
    if include_deleted and os.path.isdir(trash):
        exps += [(os.path.join(trash, n), True) for n in sorted(os.listdir(trash))]
    for edir, deleted in exps:
        if not os.path.isfile(os.path.join(edir, "meta.yaml")):
            continue
        em = read_meta(os.path.join(edir, "meta.yaml"))
        for rname in sorted(os.listdir(edir)):
            rdir = os.path.join(edir, rname)
            if rname in ("tags", "datasets", "traces", "models") or not os.path.isfile(
                    os.path.join(rdir, "meta.yaml")):
                continue
            rm = read_meta(os.path.join(rdir, "meta.yaml"))
            if rm.get("lifecycle_stage") == "deleted" and not include_deleted:
                continue
            tags = walk_values(os.path.join(rdir, "tags"))
            params = walk_values(os.path.join(rdir, "params"))
            metrics = {}
            mdir = os.path.join(rdir, "metrics")
            for key, text in walk_values(mdir).items():
                pts = []
                lines = text.split("\n")
                for i, line in enumerate(lines):
                    f = line.strip().split(" ")
                    if len(f) not in (2, 3, 5) and not (len(f) > 5):
                        continue
                    try:
                        pts.append((int(f[2]) if len(f) >= 3 else 0, int(f[0]), float(f[1])))
                    except ValueError:
                        continue
                metrics[key] = summarize(pts)
            rid = rm.get("run_id") or rm.get("run_uuid") or rname
            name = rm.get("run_name") or tags.get("mlflow.runName") or rid
            st = rm.get("status")
            runs.append({"format": "mlflow-file", "id": rid, "name": name,
                         "experiment": em.get("name"),
                         "status": STATUS.get(int(st), "UNKNOWN") if st else "RUNNING",
                         "params": params, "metrics": metrics})
    return runs


def read_db(path, include_deleted=False):
    con = sqlite3.connect("file:%s?mode=ro" % path, uri=True)
    cols = {r[1] for r in con.execute("PRAGMA table_info(runs)")}
    runs = []
    q = ("SELECT r.run_uuid, r.name, r.status, r.lifecycle_stage, e.name, e.lifecycle_stage "
         "FROM runs r JOIN experiments e ON r.experiment_id = e.experiment_id")
    for rid, name, status, stage, ename, estage in con.execute(q).fetchall():
        if not include_deleted and (stage == "deleted" or estage == "deleted"):
            continue
        params = dict(con.execute("SELECT key, value FROM params WHERE run_uuid=?", (rid,)))
        tags = dict(con.execute("SELECT key, value FROM tags WHERE run_uuid=?", (rid,)))
        mcols = {r[1] for r in con.execute("PRAGMA table_info(metrics)")}
        nan_col = "is_nan" if "is_nan" in mcols else "0"
        series = {}
        for key, value, ts, step, is_nan in con.execute(
                "SELECT key, value, timestamp, step, %s FROM metrics WHERE run_uuid=?" % nan_col,
                (rid,)):
            v = float("nan") if is_nan else float(value)
            if v == 1.7976931348623157e308:
                v = math.inf
            elif v == -1.7976931348623157e308:
                v = -math.inf
            series.setdefault(key, []).append((int(step or 0), int(ts or 0), v))
        runs.append({"format": "mlflow-sqlite", "id": rid,
                     "name": name or tags.get("mlflow.runName") or rid,
                     "experiment": ename, "status": status, "params": params,
                     "metrics": {k: summarize(v) for k, v in series.items()}})
    _ = cols
    return runs


def read_store(path):
    if os.path.isfile(path):
        return read_db(path)
    return read_file_store(path)


def same_number(a, b):
    if isinstance(a, str) or isinstance(b, str):
        conv = {"NaN": float("nan"), "Infinity": math.inf, "-Infinity": -math.inf}
        a = conv.get(a, a)
        b = conv.get(b, b)
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return a == b


def compare(ref, got):
    problems = []
    got_by_id = {r["id"]: r for r in got["runs"]}
    for r in ref:
        g = got_by_id.get(r["id"])
        if g is None:
            problems.append("run %s missing" % r["id"])
            continue
        for k in ("format", "name", "experiment", "status", "params"):
            if r[k] != g.get(k):
                problems.append("run %s %s: want %r, got %r" % (r["id"], k, r[k], g.get(k)))
        if set(r["metrics"]) != set(g["metrics"]):
            problems.append("run %s metric keys: want %s, got %s" %
                            (r["id"], sorted(r["metrics"]), sorted(g["metrics"])))
        for key, want in r["metrics"].items():
            have = g["metrics"].get(key)
            if not have:
                continue
            for f in ("count", "nonfinite"):
                if want[f] != have[f]:
                    problems.append("run %s %s %s: want %s, got %s" % (r["id"], key, f, want[f], have[f]))
            for f in ("first", "last", "min", "max"):
                w, h = want[f], have[f]
                if (w is None) != (h is None) or (w is not None and not (
                        w[0] == h[0] and same_number(w[1], h[1]))):
                    problems.append("run %s %s %s: want %s, got %s" % (r["id"], key, f, w, h))
    if len(ref) != len(got["runs"]):
        problems.append("run count: want %d, got %d" % (len(ref), len(got["runs"])))
    return problems


def main():
    ref = read_store(sys.argv[1])
    if len(sys.argv) == 2:
        json.dump({"runs": ref}, sys.stdout, indent=1, default=str)
        return 0
    with open(sys.argv[2], encoding="utf-8") as f:
        got = json.load(f)
    problems = compare(ref, got)
    for p in problems[:50]:
        print("differs: " + p)
    print("%d runs compared, %d differences" % (len(ref), len(problems)))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
