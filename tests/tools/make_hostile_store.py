#!/usr/bin/env python3
"""make_hostile_store.py DIR — writes a small MLflow FileStore whose names,
params, tags and notes try to inject script into a web page, escape the output
folder, and leak secrets. Every attack, if it worked, leaves a mark a test can
see: the page title becomes PWNED or an element gets data-pwned."""
import os
import sys

XSS_SCRIPT = "<script>document.title='PWNED';document.body.setAttribute('data-pwned','1')</script>"
XSS_IMG = "\"><img src=x onerror=\"document.title='PWNED'\">"
SCRIPT_END = "</script><script>document.title='PWNED'</script>"
XSS_ATTR = "' onmouseover='document.title=\"PWNED\"' x='"
SECRETS = {
    "WANDB_API_KEY": "8f2c0e7d9a1b4c6e8f2c0e7d9a1b4c6e8f2c0e7d",
    "aws": "AKIAQWERTYUIOPASDFGH",
    "pem": "MIIEowIBAAKCAQEAsecretkeymaterialZZZ",
}


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def main():
    root = os.path.join(sys.argv[1], "mlruns")
    exp = os.path.join(root, "1")
    write(os.path.join(root, "0", "meta.yaml"),
          "artifact_location: file:///tmp/mlruns/0\nexperiment_id: '0'\n"
          "lifecycle_stage: active\nname: Default\n")
    write(os.path.join(exp, "meta.yaml"),
          "artifact_location: file:///tmp/mlruns/1\nexperiment_id: '1'\n"
          "lifecycle_stage: active\nname: '%s'\n" % ("../../" + XSS_SCRIPT).replace("'", "''"))
    write(os.path.join(exp, "tags", "mlflow.note.content"),
          "# Experiment\n\n" + XSS_SCRIPT + "\n\n[click](javascript:document.title='PWNED')\n")
    run = os.path.join(exp, "0123456789abcdef0123456789abcdef")
    write(os.path.join(run, "meta.yaml"),
          "artifact_uri: file:///tmp/mlruns/1/0123456789abcdef0123456789abcdef/artifacts\n"
          "end_time: 1700000100000\nentry_point_name: ''\nexperiment_id: '1'\n"
          "lifecycle_stage: active\nrun_id: 0123456789abcdef0123456789abcdef\n"
          "run_name: '%s'\nrun_uuid: 0123456789abcdef0123456789abcdef\n"
          "source_name: ''\nsource_type: 4\nsource_version: ''\nstart_time: 1700000000000\n"
          "status: 3\ntags: []\nuser_id: '%s'\n" % (XSS_SCRIPT.replace("'", "''"),
                                                       XSS_ATTR.replace("'", "''")))
    write(os.path.join(run, "params", "lr"), XSS_IMG)
    write(os.path.join(run, "params", "WANDB_API_KEY"), SECRETS["WANDB_API_KEY"])
    write(os.path.join(run, "params", "<b>bold</b>"), "1")
    write(os.path.join(run, "tags", "deploy"), "key " + SECRETS["aws"] + " " + XSS_IMG)
    write(os.path.join(run, "tags", "mlflow.source.git.commit"), XSS_ATTR)
    write(os.path.join(run, "tags", "mlflow.note.content"),
          "## Notes\n\n" + XSS_SCRIPT + "\n\n<img src=x onerror=\"document.title='PWNED'\">\n\n"
          "[a link](javascript:document.title='PWNED') and `" + XSS_SCRIPT + "` as code.\n\n"
          "-----BEGIN RSA PRIVATE KEY-----\n" + SECRETS["pem"] + "\n-----END RSA PRIVATE KEY-----\n")
    lines = "".join("%d %s %d\n" % (1700000000000 + i, 1.0 / (i + 1), i) for i in range(50))
    write(os.path.join(run, "metrics", "val", "<img src=x onerror=alert(1)>"), lines)
    write(os.path.join(run, "metrics", "..hidden dots & spaces é"), lines)
    write(os.path.join(run, "metrics", "loss"), lines)
    write(os.path.join(run, "artifacts", XSS_IMG.replace("/", "_") + ".txt"), "x")
    # A second run, so params vary and both rows go into the runs tables'
    # data (a script file): a name that would end a <script> element, and
    # U+2028/U+2029, which end a line in older JavaScript.
    run2 = os.path.join(exp, "fedcba9876543210fedcba9876543210")
    write(os.path.join(run2, "meta.yaml"),
          "artifact_uri: file:///tmp/mlruns/1/fedcba9876543210fedcba9876543210/artifacts\n"
          "end_time: 1700000200000\nentry_point_name: ''\nexperiment_id: '1'\n"
          "lifecycle_stage: active\nrun_id: fedcba9876543210fedcba9876543210\n"
          "run_name: '%s'\nrun_uuid: fedcba9876543210fedcba9876543210\n"
          "source_name: ''\nsource_type: 4\nsource_version: ''\nstart_time: 1700000150000\n"
          "status: 3\ntags: []\nuser_id: 'x'\n" % SCRIPT_END.replace("'", "''"))
    write(os.path.join(run2, "params", "lr"), "a\u2028b\u2029c & <d>")
    write(os.path.join(run2, "metrics", "loss"), lines)
    with open(os.path.join(sys.argv[1], "secrets.txt"), "w") as f:
        f.write("\n".join(SECRETS.values()) + "\n")


if __name__ == "__main__":
    main()
