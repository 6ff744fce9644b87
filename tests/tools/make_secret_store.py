#!/usr/bin/env python3
"""make_secret_store.py DIR — writes an MLflow FileStore (DIR/mlruns) and a
Keras CSV log (DIR/keras) with a different planted secret in every string
field of the run model, and in the places where redaction was dodged before:
character references and emphasis inside a credential in Markdown, passwords
inside URLs, values of keys like db_pass, passwd and pwd.

Writes DIR/secrets.tsv, one line per planted secret: the place, the secret,
and a distinctive part of it that a page shows even when the whole is split
by markup (AKIA<strong>…</strong>). Every secret is made from its place name,
so the store is the same on every run of this script."""
import base64
import hashlib
import json
import os
import sys


def _b32(label, n):
    raw = base64.b32encode(hashlib.sha256(label.encode()).digest()).decode()
    return raw.rstrip("=")[:n]


def aws(label):
    return "AKIA" + _b32(label, 16)


def ghp(label):
    return "ghp_" + _b32(label, 36).lower().replace("2", "k")


def ghpat(label):
    return "github_pat_" + _b32(label, 30)


def glpat(label):
    return "glpat-" + _b32(label, 20)


def slack(label):
    return "xoxb-" + str(int(hashlib.sha256(label.encode()).hexdigest()[:12], 16)) + "-" + _b32(label, 16).lower()


def jwt(label):
    enc = lambda b: base64.urlsafe_b64encode(b).decode().rstrip("=")
    return (enc(b'{"alg":"HS256","typ":"JWT"}') + "." + enc(json.dumps({"sub": label}).encode()) +
            "." + _b32("sig" + label, 24))


def word(label):
    """An arbitrary password: no shape, found only by where it stands."""
    return "Pw" + _b32(label, 14).lower()


PLANTED = []  # (place, secret, distinctive part)


def plant(place, secret, tail=None):
    PLANTED.append((place, secret, tail or secret[-12:]))
    return secret


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def yq(s):
    """A single-quoted YAML scalar."""
    return "'" + s.replace("'", "''") + "'"


def metric_lines(n, scale):
    return "".join("%d %r %d\n" % (1700000000000 + i * 1000, scale / (i + 1), i) for i in range(n))


def mlflow_store(root):
    exp_id = plant("experiment id", aws("experiment id"))
    exp = os.path.join(root, exp_id)
    write(os.path.join(root, "0", "meta.yaml"),
          "artifact_location: file:///tmp/mlruns/0\nexperiment_id: '0'\n"
          "lifecycle_stage: active\nname: Default\n")
    write(os.path.join(exp, "meta.yaml"),
          "artifact_location: %s\nexperiment_id: %s\nlifecycle_stage: active\nname: %s\n"
          % (yq("s3://ml:%s@minio.local/bucket" % plant("experiment artifact_location URL password",
                                                       word("exp artifact"))),
             yq(exp_id), yq("exp " + plant("experiment name", ghp("experiment name")))))
    dodge = aws("experiment description character reference")
    plant("experiment description character reference", dodge, dodge[1:])
    write(os.path.join(exp, "tags", "mlflow.note.content"),
          "# About\n\nKey %s here, hidden &#%d;%s.\n"
          % (plant("experiment description", glpat("experiment description")), ord(dodge[0]), dodge[1:]))
    write(os.path.join(exp, "tags", "team"), "owner " + plant("experiment tag value", slack("exp tag value")))
    write(os.path.join(exp, "tags", "k-" + plant("experiment tag key", ghp("experiment tag key"))), "1")

    run_a = plant("run id", ghp("run id"))
    run_b = "b" * 32
    src = os.path.join(exp, "datasets", "ds1")
    write(os.path.join(src, "meta.yaml"),
          "name: %s\ndigest: %s\nsource_type: %s\nsource: %s\nschema: %s\nprofile: %s\n" % (
              yq("data-" + plant("dataset name", aws("dataset name"))),
              yq(plant("dataset digest", glpat("dataset digest"))),
              yq("http-" + plant("dataset source_type", slack("dataset source_type"))),
              yq(json.dumps({"url": "https://reader:%s@data.example.com/train.csv"
                             % plant("dataset source URL password", word("dataset source"))})),
              yq(json.dumps({"mlflow_colspec": [{"name": plant("dataset schema", ghp("dataset schema"))}]})),
              yq(json.dumps({"num_rows": 3, "note": plant("dataset profile", jwt("dataset profile"))}))))
    write(os.path.join(exp, "models", "m-1", "meta.yaml"),
          "model_id: %s\nname: %s\nmodel_type: %s\nstatus: %s\nartifact_location: %s\n"
          "source_run_id: %s\nlifecycle_stage: active\n" % (
              yq("m-" + plant("logged model id", aws("logged model id"))),
              yq("model-" + plant("logged model name", ghp("logged model name"))),
              yq(plant("logged model type", glpat("logged model type"))),
              yq(plant("logged model status", slack("logged model status"))),
              yq("https://u:%s@models.example.com/m1" % plant("logged model uri URL password",
                                                             word("logged model uri"))),
              yq(run_a)))

    for run_id, role, scale in ((run_a, "base", 1.0), (run_b, "cand", 0.9)):
        rd = os.path.join(exp, "f" + role)
        tag = role  # one secret per place: the second run repeats only what must link
        name = "run0-" + plant("run name " + tag, ghp("run name " + tag))
        write(os.path.join(rd, "meta.yaml"),
              "artifact_uri: file:///tmp/art\nend_time: 1700000100000\nentry_point_name: ''\n"
              "experiment_id: %s\nlifecycle_stage: active\nrun_id: %s\nrun_name: %s\n"
              "run_uuid: %s\nsource_name: ''\nsource_type: 4\nsource_version: ''\n"
              "start_time: 1700000000000\nstatus: 3\ntags: []\nuser_id: %s\n"
              % (yq(exp_id), yq(run_id), yq(name), yq(run_id),
                 yq("u-" + plant("user_id " + tag, aws("user_id " + tag)))))
        tags = os.path.join(rd, "tags")
        write(os.path.join(tags, "role"), role)
        write(os.path.join(tags, "mlflow.runName"), name)
        write(os.path.join(tags, "mlflow.source.name"),
              "train.py --key " + plant("source name " + tag, glpat("source name " + tag)))
        write(os.path.join(tags, "mlflow.source.type"), "LOCAL-" + plant("source type " + tag, aws("source type " + tag)))
        write(os.path.join(tags, "mlflow.source.git.commit"), plant("git commit " + tag, ghpat("git commit " + tag)))
        write(os.path.join(tags, "mlflow.source.git.branch"), "fix/" + plant("git branch " + tag, aws("git branch " + tag)))
        write(os.path.join(tags, "mlflow.source.git.repoURL"),
              "https://bot:%s@github.com/acme/ml.git" % plant("git repo URL password " + tag, word("git repo " + tag)))
        write(os.path.join(tags, "t-" + plant("tag key " + tag, aws("tag key " + tag))), "1")
        write(os.path.join(tags, "deploy"), "via " + plant("tag value " + tag, jwt("tag value " + tag)))
        params = os.path.join(rd, "params")
        write(os.path.join(params, "lr"), "0.01")
        write(os.path.join(params, "p-" + plant("param key " + tag, glpat("param key " + tag))), "3")
        write(os.path.join(params, "note"), "key " + plant("param value " + tag, aws("param value " + tag)))
        for key in ("db_pass", "passwd", "pwd", "PGPASSWORD"):
            write(os.path.join(params, key), plant("param %s value %s" % (key, tag), word(key + tag)))
        write(os.path.join(params, "database_url"),
              "postgresql://app:%s@db.internal:5432/ml" % plant("param URL password " + tag, word("db url" + tag)))
        write(os.path.join(rd, "metrics", "loss"), metric_lines(30, scale))
        write(os.path.join(rd, "metrics", "m-" + plant("metric key " + tag, aws("metric key " + tag))),
              metric_lines(30, scale))
        write(os.path.join(rd, "metrics", "val", plant("nested metric key " + tag, ghp("nested metric key " + tag))),
              metric_lines(30, scale))
        write(os.path.join(rd, "artifacts", "model-" + plant("artifact name " + tag, aws("artifact name " + tag)) + ".pkl"), "x")
        write(os.path.join(rd, "artifacts", plant("artifact folder " + tag, glpat("artifact folder " + tag)), "a.txt"), "y")
        emph = aws("notes emphasis " + tag)
        plant("notes emphasis " + tag, emph, emph[4:])
        ref = aws("notes character reference " + tag)
        plant("notes character reference " + tag, ref, ref[1:])
        code = ghp("notes code span " + tag)
        plant("notes code span " + tag, code, code[4:])
        write(os.path.join(tags, "mlflow.note.content"),
              "## Notes\n\nA key %s in text.\n\nEmphasis %s**%s** and a reference &#x%x;%s.\n\n"
              "Split `%s`%s by code.\n\n[the bucket](https://ops:%s@s3.example.com/x) and "
              "https://ops:%s@example.org/y as an autolink.\n\n![alt %s](static/%s.png)\n"
              % (plant("notes plain " + tag, slack("notes plain " + tag)), emph[:4], emph[4:],
                 ord(ref[0]), ref[1:], code[:4], code[4:],
                 plant("notes link URL password " + tag, word("notes link " + tag)),
                 plant("notes autolink URL password " + tag, word("notes autolink " + tag)),
                 plant("notes image alt " + tag, glpat("notes image alt " + tag)),
                 plant("notes image path " + tag, slack("notes image path " + tag))))
        if role == "cand":
            write(os.path.join(tags, "mlflow.parentRunId"), run_a)
        else:
            write(os.path.join(rd, "inputs", "i1", "meta.yaml"),
                  "source_type: DATASET\nsource_id: ds1\ndestination_type: RUN\n"
                  "tags:\n  mlflow.data.context: %s\n" % yq("ctx-" + plant("dataset context", glpat("dataset context"))))


def keras_store(root):
    """A Keras CSV log whose folder name (the experiment, the run's store) is a secret."""
    folder = os.path.join(root, "exp-" + plant("keras folder name", ghp("keras folder name")))
    write(os.path.join(folder, "training.log"),
          "epoch,loss,acc\n" + "".join("%d,%r,%r\n" % (i, 1.0 / (i + 1), i / 10) for i in range(5)))


def main():
    out = sys.argv[1]
    mlflow_store(os.path.join(out, "mlruns"))
    keras_store(os.path.join(out, "keras"))
    places = [p for p, _, _ in PLANTED]
    secrets = [s for _, s, _ in PLANTED]
    assert len(set(places)) == len(places) and len(set(secrets)) == len(secrets), "a secret is planted twice"
    with open(os.path.join(out, "secrets.tsv"), "w", encoding="utf-8") as f:
        for place, secret, tail in PLANTED:
            f.write("%s\t%s\t%s\n" % (place, secret, tail))


if __name__ == "__main__":
    main()
