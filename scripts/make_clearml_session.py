#!/usr/bin/python3
"""make_clearml_session.py - ClearML offline sessions for the puppy story.

On Friday 2026-10-09 Tomas trains on the train home, without a network, so he
runs ClearML in offline mode (Task.set_offline(True)). He repeats the best
recipe (mlp16, pos_weight 4) with a larger learning rate, lr 0.1, two seeds:

  OUT/clearml/offline-<id s1>.zip  seed 1: the task closed, so the SDK zipped
                                   the session folder (and removed it)
  OUT/clearml/offline-<id s2>/     seed 2: still training when the laptop was
                                   closed; the folder as the SDK leaves it

The models are really trained with the code of make_sample_runs.py (same data
set, same numpy settings), and the files are written the way the clearml SDK
writes them (allegroai/clearml, read at commit 017dc4c78400 and 39e206f94b3b;
see shared/formats/mlflow-clearml-wandb.md section 3):

- task.json: backend_interface/task/task.py, Task._edit in offline mode:
  `export_data = self.data.to_dict()`, then `export_data['project_name']` and
  `export_data['offline_folder']` are added and the whole task is written with
  `json.dump(export_data, f, ensure_ascii=True, sort_keys=True)`, opened 'wt'
  (rewritten whole on every edit; no indent, no final newline).
  `_offline_filename = 'task.json'`. to_dict() leaves out None values.
- metrics.jsonl: backend_interface/metrics/interface.py, Metrics.write_events:
  `f.write(json.dumps([b.to_dict() for b in batched_requests])+'\\n')`, opened
  'at': one JSON list of events per flushed batch. A scalar event is
  MetricsScalarEvent: iter, metric, task, timestamp (ms), type
  "training_stats_scalar", value, variant (backend_api/services/v2_23/events.py).
- log.jsonl: backend_interface/task/log.py, TaskHandler with
  `__offline_filename = 'log.jsonl'`, one JSON list of TaskLogEvent per
  flush: type "log", task, timestamp, level, worker, msg.
- data/: the offline report storage, `<session>/data`, below the prefix
  `<project>/<task name>.<task id>/` (Task._get_output_destination_suffix);
  an uploaded artifact is listed in execution.artifacts.
- the zip: Task.__shutdown in task.py zips the session folder on close
  (ZIP_DEFLATED, allowZip64, entries relative to the folder), then removes it.

Deterministic: ids come from hashing, times from the simulated clock, zip
entry dates from the session's end time.

Usage: /usr/bin/python3 scripts/make_clearml_session.py [--out sample-runs] [--force]
"""
import argparse
import hashlib
import json
import os
import shutil
import sys
import time
import zipfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_sample_runs as msr  # noqa: E402  (pins numpy's code paths before importing it)

np = msr.np
PROJECT = "puppy-couch-bites-offline"   # beside the MLflow experiment, not in it
DAY = 4                          # Friday 2026-10-09
WORKER = "tomas-thinkpad"
SDK_VERSION = "1.17.0"
OFFLINE_ROOT = "/home/tomas/.clearml/cache/offline"


def task_id(name):
    # Task._auto_generate in offline mode: "offline-" + uuid4().hex
    return "offline-" + hashlib.sha256(("clearml:" + name).encode()).hexdigest()[:32]


def iso(ms):
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ms // 1000)) + ".%03d000+00:00" % (ms % 1000)


def hyperparams(spec, n_train, n_val):
    """Task.connect(dict) puts each key in section General: {section, name, value (str), type}."""
    p = msr.params_of(spec, n_train, n_val)
    out = {}
    for name in sorted(p):
        v = p[name]
        out[name] = {"name": name, "section": "General", "type": "str", "value": v}
    return {"General": out,
            "Args": {"config": {"name": "config", "section": "Args", "type": "str",
                                "value": "configs/mlp16_posw4.yaml"}}}


def split_key(key):
    # train_bite.py reports report_scalar(title="val", series="f1") for "val/f1"
    if "/" in key:
        metric, variant = key.split("/", 1)
    else:
        metric, variant = key, key
    return metric, variant


def scalar_batches(log, tid):
    """Events in the batches the reporter flushes: per logged step."""
    batches = []
    cur, cur_step = [], None
    for key, value, step, ts in log:
        if cur and step != cur_step:
            batches.append(cur)
            cur = []
        cur_step = step
        metric, variant = split_key(key)
        cur.append({"iter": int(step), "metric": metric, "task": tid, "timestamp": int(ts),
                    "type": "training_stats_scalar", "value": float(value), "variant": variant})
    if cur:
        batches.append(cur)
    return batches


def console(spec, res, tid, start_ms, folder):
    lines = [(start_ms, "ClearML Task: created new task id=%s" % tid),
             (start_ms + 40, "ClearML running in offline mode, session stored in %s" % folder)]
    for key, value, step, ts in res["log"]:
        if key == "val/f1":
            lines.append((ts, "step %d: val/f1 %.4f" % (step, value)))
    if res["status"] == "FINISHED" and not spec.get("running"):
        lines.append((res["end_ms"] - 500, "training done: best val/f1 %.4f"
                      % max(v for k, v, s, t in res["log"] if k == "val/f1")))
    return [[{"level": "info", "msg": msg, "task": tid, "timestamp": int(ts), "type": "log",
              "worker": WORKER}] for ts, msg in lines]


def write_session(folder, spec, res, tid, start_ms, n_tr, n_va, closed):
    os.makedirs(folder)
    session_folder = OFFLINE_ROOT + "/" + tid
    prefix = "%s/%s.%s" % (PROJECT, spec["name"], tid)
    artifacts = []
    if closed:
        conf = res["confusion"]
        body = json.dumps({"labels": ["no bite", "bite"], "matrix": conf}, indent=2) + "\n"
        rel = prefix + "/artifacts/confusion_matrix/confusion_matrix.json"
        path = os.path.join(folder, "data", *rel.split("/"))
        os.makedirs(os.path.dirname(path))
        with open(path, "w") as f:
            f.write(body)
        artifacts.append({"content_size": len(body.encode()),
                          "hash": hashlib.sha256(body.encode()).hexdigest(),
                          "key": "confusion_matrix", "mode": "output", "timestamp": res["end_ms"] // 1000,
                          "type": "JSON", "type_data": {"content_type": "application/json",
                                                        "preview": body[:60]},
                          "uri": session_folder + "/data/" + rel})
    task = {
        "comment": ("Auto-generated at %s UTC by tomas@%s\n\nlr 0.1 instead of 0.05, run offline "
                    "on the train; import with `clearml-task --import-offline-session`."
                    % (time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(start_ms // 1000)), WORKER)),
        "configuration": {},
        "container": {},
        "execution": {"artifacts": artifacts, "model_labels": {}},
        "hyperparams": hyperparams(spec, n_tr, n_va),
        "id": tid,
        "models": {"input": [], "output": []},
        "name": spec["name"],
        "offline_folder": session_folder,
        "output": {},
        "project_name": PROJECT,
        "runtime": {"cpu_cores": 8},
        "script": {"binary": "python3", "branch": "main", "diff": "",
                   "entry_point": "train_bite.py", "repository": "git@example.com:mira/couch-guard.git",
                   "requirements": {"pip": "numpy==1.24.2\nclearml==%s\n" % SDK_VERSION},
                   "version_num": spec["commit"], "working_dir": "."},
        "started": iso(start_ms),
        "status": "in_progress",
        "system_tags": [],
        "tags": ["offline", "lr-sweep"],
        "type": "training",
        "user": "tomas",
    }
    with open(os.path.join(folder, "task.json"), "wt") as f:
        json.dump(task, f, ensure_ascii=True, sort_keys=True)
    with open(os.path.join(folder, "metrics.jsonl"), "at") as f:
        for batch in scalar_batches(res["log"], tid):
            f.write(json.dumps(batch) + "\n")
    with open(os.path.join(folder, "log.jsonl"), "at") as f:
        for batch in console(spec, res, tid, start_ms, session_folder):
            f.write(json.dumps(batch) + "\n")


def zip_folder(folder, zpath, when_ms):
    stamp = time.gmtime(when_ms // 1000)[:6]
    with zipfile.ZipFile(zpath, "w", compression=zipfile.ZIP_DEFLATED, allowZip64=True) as zf:
        for root, dirs, files in os.walk(folder):
            dirs.sort()
            for name in sorted(files):
                full = os.path.join(root, name)
                rel = os.path.relpath(full, folder).replace(os.sep, "/")
                info = zipfile.ZipInfo(rel, date_time=stamp)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = 0o644 << 16
                with open(full, "rb") as f:
                    zf.writestr(info, f.read())
    shutil.rmtree(folder)


def specs():
    base = {"model": "mlp", "hidden_units": 16, "lr": 0.1, "l2": 0.0, "pos_weight": 4.0,
            "epochs": 30, "warmup_epochs": 2, "batch_size": 128, "commit": msr.COMMIT_2,
            "day": DAY, "stage": "lr-sweep", "user": "tomas"}
    s1 = dict(base, name="mlp16-posw4-lr0.1-s1", seed=1)
    s2 = dict(base, name="mlp16-posw4-lr0.1-s2", seed=2, stop_after_epochs=12, running=True)
    return [s1, s2]


def build(out):
    X, y, day = msr.make_dataset()
    tr = day < msr.TRAIN_DAYS
    mu, sd = X[tr].mean(axis=0), X[tr].std(axis=0)
    Xs = ((X - mu) / sd).astype(np.float32)
    data = (Xs[tr], y[tr], Xs[~tr], y[~tr])
    n_tr, n_va = int(tr.sum()), int((~tr).sum())
    root = os.path.join(out, "clearml")
    os.makedirs(root, exist_ok=True)
    t = msr.BASE_MS + DAY * msr.DAY_MS + 8 * 3600000 + 1234567   # 17:20 on the train
    made = []
    for spec in specs():
        tid = task_id(spec["name"])
        res = msr.train(spec, data, t)
        closed = not spec.get("running")
        folder = os.path.join(root, tid)
        write_session(folder, spec, res, tid, t, n_tr, n_va, closed)
        if closed:
            zip_folder(folder, folder + ".zip", res["end_ms"])
        made.append((spec["name"], tid, "zip" if closed else "folder"))
        t = res["end_ms"] + 95000
    return made


def main(argv=None):
    ap = argparse.ArgumentParser(description="Writes the ClearML offline sessions of sample-runs/.")
    ap.add_argument("--out", default="sample-runs", help="output folder (default: sample-runs)")
    ap.add_argument("--force", action="store_true", help="replace OUT/clearml if it exists")
    ap.add_argument("-q", "--quiet", action="store_true", help="do not print the sessions")
    a = ap.parse_args(argv)
    root = os.path.join(a.out, "clearml")
    if os.path.exists(root):
        if not a.force:
            print("make_clearml_session.py: %s exists (use --force to replace it)" % root,
                  file=sys.stderr)
            return 2
        shutil.rmtree(root)
    for name, tid, kind in build(a.out):
        if not a.quiet:
            print("%s  %s  (%s)" % (name, tid, kind))
    return 0


if __name__ == "__main__":
    sys.exit(main())
