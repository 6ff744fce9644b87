#!/usr/bin/env python3
"""tracker_ref.py — an independent reader of W&B run folders and ClearML
offline sessions (Python standard library only) that prints what
`runsite ls --json` should print, and compares it with runsite's output.

    tracker_ref.py wandb|clearml STORE                 print the reference JSON
    tracker_ref.py wandb|clearml STORE RUNSITE.json    compare; exit 1 and say what differs

It shares no code with runsite: the .wandb framing is read with struct and
zlib.crc32, protobuf with a few lines below, JSON with the json module, zips
with zipfile. The rules are runsite's documented ones (README, man page):
W&B params are the run config (files/config.yaml when the log has none)
and the group as "wandb.group",
series are history keys, "system/<key>" stats and summary numbers no series
holds; ClearML params are "section/name", series "metric/variant".
"""
import json
import math
import os
import struct
import sys
import zipfile
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mlflow_ref import compare, summarize  # noqa: E402

BLOCK = 32768


# ---------------------------------------------------------------- protobuf

def fields(b):
    """(number, wire, value) of each field of message bytes b."""
    i, n = 0, len(b)
    while i < n:
        key, i = uvarint(b, i)
        num, wire = key >> 3, key & 7
        if wire == 0:
            val, i = uvarint(b, i)
        elif wire == 1:
            val, i = b[i:i + 8], i + 8
        elif wire == 2:
            ln, i = uvarint(b, i)
            val, i = b[i:i + ln], i + ln
        elif wire == 5:
            val, i = b[i:i + 4], i + 4
        else:
            return
        yield num, wire, val


def uvarint(b, i):
    shift = result = 0
    while True:
        c = b[i]
        i += 1
        result |= (c & 0x7F) << shift
        if c < 0x80:
            return result, i
        shift += 7


def signed(v, bits):
    v &= (1 << bits) - 1
    return v - (1 << bits) if v >> (bits - 1) else v


def text(num, wire, val):
    return val.decode("utf-8", "replace") if wire == 2 else None


# ---------------------------------------------------------------- W&B framing

def records(data):
    if len(data) < 7 or data[:4] != b":W&B" or data[4:7] != b"\xe1\xbe\x00":
        return
    pos, rec, in_rec, resync = 7, b"", False, False
    while True:
        left = BLOCK - pos % BLOCK
        if left < 7:
            pos += left
            continue
        if pos + 7 > len(data):
            return
        crc, ln, t = struct.unpack_from("<IHB", data, pos)
        if crc == 0 and ln == 0 and t == 0:
            if in_rec:
                pos, in_rec, resync = (pos // BLOCK + 1) * BLOCK, False, True
            else:
                pos += left
            continue
        if 7 + ln > left:
            pos, in_rec, resync = (pos // BLOCK + 1) * BLOCK, False, True
            continue
        if pos + 7 + ln > len(data):
            return
        payload = data[pos + 7:pos + 7 + ln]
        if t not in (1, 2, 3, 4) or zlib.crc32(payload, zlib.crc32(bytes([t]))) != crc:
            pos, in_rec, resync = (pos // BLOCK + 1) * BLOCK, False, True
            continue
        pos += 7 + ln
        if resync and t in (3, 4):
            continue
        resync = False
        if t == 1:
            in_rec = False
            yield payload
        elif t == 2:
            rec, in_rec = payload, True
        elif in_rec:
            rec += payload
            if t == 4:
                in_rec = False
                yield rec


def item_key(b):
    key, nested, val = None, [], None
    for num, wire, v in fields(b):
        if wire != 2:
            continue
        if num == 1:
            key = v.decode("utf-8", "replace")
        elif num == 2:
            nested.append(v.decode("utf-8", "replace"))
        elif num == 16:
            val = v.decode("utf-8", "replace")
    k = ".".join(nested) if nested else key
    return k, val if val is not None else ""


def parse_json(t):
    try:
        return json.loads(t)
    except ValueError:
        return None


def is_number(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def to_text(v):
    if isinstance(v, str):
        return v
    if isinstance(v, bool):
        return "true" if v else "false"
    if v is None:
        return "null"
    if is_number(v):
        x = float(v)
        if math.isnan(x):
            return "NaN"
        if math.isinf(x):
            return "Infinity" if x > 0 else "-Infinity"
        if x == int(x) and abs(x) < 1e16:
            return str(int(x))
        return repr(x)
    return json.dumps(v, separators=(",", ":"))


def flatten(prefix, v, out, depth=0):
    if isinstance(v, dict) and v and depth < 8:
        for k, x in v.items():
            flatten(prefix + "." + k, x, out, depth + 1)
    else:
        out[prefix] = to_text(v)


def ts_ms(b):
    s = ns = 0
    any_ = False
    for num, wire, v in fields(b):
        if wire == 0 and num == 1:
            s, any_ = signed(v, 64), True
        elif wire == 0 and num == 2:
            ns, any_ = signed(v, 32), True
    return s * 1000 + int(ns / 1000000) if any_ else None


def numbers_of(key, v, depth=0):
    """(key, number) pairs of a value: numbers, and numbers inside plain objects."""
    if isinstance(v, dict):
        if "_type" in v or depth >= 8:
            return
        for k, x in v.items():
            yield from numbers_of(key + "." + k, x, depth + 1)
    elif is_number(v):
        yield key, float(v)


def read_wandb_run(run_dir, log):
    series, config, summary = {}, {}, {}
    run = {"id": None, "name": None, "project": None, "status": "UNKNOWN", "start": None}
    rows, last_step, stats_t0 = 0, 0, None
    data = open(log, "rb").read() if log else b""
    for rec in records(data):
        for num, wire, body in fields(rec):
            if wire != 2:
                continue
            if num == 17:
                for n, w, v in fields(body):
                    if n == 1 and w == 2 and v:
                        run["id"] = v.decode()
                    elif n == 3 and w == 2 and v:
                        run["project"] = v.decode()
                    elif n == 8 and w == 2 and v:
                        run["name"] = v.decode()
                    elif n == 6 and w == 2 and v:
                        run["group"] = v.decode()
                    elif n in (4, 5) and w == 2:
                        apply(config if n == 4 else summary, v)
                    elif n == 17 and w == 2:
                        t = ts_ms(v)
                        if t is not None:
                            run["start"] = t
            elif num in (3, 5):
                apply(summary if num == 3 else config, body)
            elif num == 18:
                code = 0
                for n, w, v in fields(body):
                    if n == 1 and w == 0:
                        code = signed(v, 32)
                run["status"] = "FINISHED" if code == 0 else "FAILED"
            elif num == 2:
                step, has_step, step_item, t, items = 0, False, None, 0, []
                for n, w, v in fields(body):
                    if n == 2 and w == 2:
                        has_step = True
                        for n2, w2, v2 in fields(v):
                            if n2 == 1 and w2 == 0:
                                step = signed(v2, 64)
                    elif n == 1 and w == 2:
                        k, val = item_key(v)
                        if not k:
                            continue
                        if k.startswith("_"):
                            x = parse_json(val)
                            if k == "_timestamp" and is_number(x):
                                t = math.floor(float(x) * 1000 + 0.5)
                            elif k == "_step" and is_number(x):
                                step_item = float(x)
                            continue
                        items.append((k, val))
                if not has_step:
                    step = int(step_item) if step_item is not None and not math.isnan(step_item) else rows
                rows += 1
                last_step = max(last_step, step)
                for k, val in items:
                    x = parse_json(val)
                    for kk, d in numbers_of(k, x):
                        series.setdefault(kk, []).append((step, t, d))
            elif num == 7:
                t = None
                for n, w, v in fields(body):
                    if n == 2 and w == 2:
                        t = ts_ms(v)
                if t is None:
                    continue
                t0 = run["start"]
                if t0 is None:
                    stats_t0 = t if stats_t0 is None else stats_t0
                    t0 = stats_t0
                d = t - t0
                step = d // 1000 if d >= 0 else -((-d) // 1000)
                for n, w, v in fields(body):
                    if n == 3 and w == 2:
                        k, val = item_key(v)
                        x = parse_json(val)
                        if k and is_number(x):
                            series.setdefault("system/" + k, []).append((step, t, float(x)))
    params = {}
    for k, val in config.items():
        if k == "_wandb" or k.startswith("_wandb."):
            continue
        x = parse_json(val)
        if x is not None or val.strip() == "null":
            flatten(k, x, params) if isinstance(x, dict) and x else params.__setitem__(k, to_text(x))
    for k, val in summary.items():
        if k.startswith("_"):
            continue
        for kk, d in numbers_of(k, parse_json(val)):
            if kk not in series:
                series[kk] = [(last_step, 0, d)]
    files = os.path.join(run_dir, "files")
    if run.get("group"):
        config_from_log = bool(params)
        params["wandb.group"] = run["group"]
    else:
        config_from_log = bool(params)
    if not config_from_log and os.path.isfile(os.path.join(files, "config.yaml")):
        params.update(config_yaml(os.path.join(files, "config.yaml")))
    last = max([p[0] for k, pts in series.items() if not k.startswith("system/") for p in pts] + [0])
    sp = os.path.join(files, "wandb-summary.json")
    if os.path.isfile(sp):
        j = parse_json(open(sp, encoding="utf-8").read())
        if isinstance(j, dict):
            step = int(j["_step"]) if is_number(j.get("_step")) else last
            for k, v in j.items():
                if k.startswith("_"):
                    continue
                for kk, d in numbers_of(k, v):
                    if kk not in series:
                        series[kk] = [(step, 0, d)]
    rid = run["id"] or os.path.basename(run_dir).rsplit("-", 1)[-1]
    return {"format": "wandb", "id": rid, "name": run["name"] or rid,
            "experiment": run["project"] or "wandb", "status": run["status"], "params": params,
            "metrics": {k: summarize(v) for k, v in series.items()}}


def apply(m, body):
    for num, wire, v in fields(body):
        if wire != 2 or num not in (1, 2):
            continue
        k, val = item_key(v)
        if not k:
            continue
        if num == 1:
            m[k] = val
        else:
            m.pop(k, None)


def config_yaml(path):
    """The {value: V} entries of a config.yaml: scalars, and one level of mapping."""
    out, top, in_value, sub = {}, None, False, None
    for line in open(path, encoding="utf-8"):
        line = line.rstrip("\n")
        if not line.strip():
            continue
        ind = len(line) - len(line.lstrip(" "))
        body = line.strip()
        if ind == 0:
            top, in_value = body.split(":", 1)[0], False
            continue
        if top in (None, "wandb_version", "_wandb"):
            continue
        k, _, rest = body.partition(":")
        rest = rest.strip()
        if not in_value or ind <= sub:
            in_value = k == "value"
            sub = ind
            if in_value and rest:
                out[top] = yaml_scalar(rest)
                in_value = False
            continue
        if rest:
            out[top + "." + k] = yaml_scalar(rest)
    return out


def yaml_scalar(s):
    if len(s) >= 2 and s[0] == s[-1] and s[0] in "'\"":
        return s[1:-1]
    return s


def wandb_store(path):
    def is_run(d):
        return os.path.isdir(d) and (any(n.startswith("run-") and n.endswith(".wandb")
                                         for n in os.listdir(d)) or
                                     os.path.isdir(os.path.join(d, "files")))
    if os.path.isfile(path):
        dirs = [os.path.dirname(path) or "."]
    elif is_run(path) and any(n.endswith(".wandb") for n in os.listdir(path)):
        dirs = [path]
    else:
        dirs = [os.path.join(path, n) for n in sorted(os.listdir(path))
                if (n.startswith("run-") or n.startswith("offline-run-")) and is_run(os.path.join(path, n))]
    runs = []
    for d in dirs:
        logs = sorted(n for n in os.listdir(d) if n.startswith("run-") and n.endswith(".wandb"))
        runs.append(read_wandb_run(d, os.path.join(d, logs[0]) if logs else None))
    return runs


# ---------------------------------------------------------------- ClearML

STATUS = {"completed": "FINISHED", "closed": "FINISHED", "published": "FINISHED",
          "publishing": "FINISHED", "failed": "FAILED", "stopped": "KILLED", "queued": "SCHEDULED",
          "in_progress": "RUNNING", "created": "SCHEDULED"}


def clearml_store(path):
    zipped = not os.path.isdir(path)
    if zipped:
        z = zipfile.ZipFile(path)
        names = set(z.namelist())

        def read(n):
            return z.read(n).decode("utf-8") if n in names else None
    else:
        def read(n):
            p = os.path.join(path, n)
            return open(p, encoding="utf-8").read() if os.path.isfile(p) else None
    task = json.loads(read("task.json"))
    tid = task.get("id") or os.path.basename(path).removesuffix(".zip")
    st = task.get("status") or None
    status = STATUS.get(st, "UNKNOWN") if st else "UNKNOWN"
    if zipped and st in (None, "in_progress", "created"):
        status = "FINISHED"
    params = {}
    hp = task.get("hyperparams")
    if isinstance(hp, dict):
        for sec, items in hp.items():
            if isinstance(items, dict):
                for name, p in items.items():
                    if isinstance(p, dict) and "value" in p:
                        params[sec + "/" + name] = to_text(p["value"])
    else:
        for k, v in (task.get("execution") or {}).get("parameters", {}).items():
            params[k] = to_text(v)
    for name, c in (task.get("configuration") or {}).items():
        if isinstance(c, dict) and isinstance(c.get("value"), str) and c["value"]:
            params["configuration/" + name] = c["value"]
    series = {}
    events = read("metrics.jsonl") or ""
    for line in events.split("\n"):
        if not line.strip():
            continue
        try:
            batch = json.loads(line)
        except ValueError:
            continue
        if not isinstance(batch, list):
            continue
        for ev in batch:
            if not isinstance(ev, dict) or ev.get("type") != "training_stats_scalar":
                continue
            if ev.get("task") and ev["task"] != tid:
                continue
            if not is_number(ev.get("value")):
                continue
            it = ev.get("iter", 0)
            ts = ev.get("timestamp", 0)
            key = "%s/%s" % (ev.get("metric") or "", ev.get("variant") or "")
            series.setdefault(key, []).append((int(it), int(ts), float(ev["value"])))
    project = task.get("project_name") or task.get("project") or "clearml"
    return [{"format": "clearml", "id": tid, "name": task.get("name") or tid,
             "experiment": project, "status": status, "params": params,
             "metrics": {k: summarize(v) for k, v in series.items()}}]


def main():
    kind, store = sys.argv[1], sys.argv[2]
    ref = wandb_store(store) if kind == "wandb" else clearml_store(store)
    if len(sys.argv) == 3:
        json.dump({"runs": ref}, sys.stdout, indent=1, default=str)
        return 0
    with open(sys.argv[3], encoding="utf-8") as f:
        got = json.load(f)
    problems = compare(ref, got)
    for p in problems[:50]:
        print("differs: " + p)
    print("%d runs compared, %d differences" % (len(ref), len(problems)))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
