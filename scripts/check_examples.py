"""Driver of scripts/check-examples.sh: starts `cairn server` over a fresh
store, runs the two worked examples with MLFLOW_TRACKING_URI pointing at it,
and checks the run trees through the official mlflow client. Exits non-zero
with a message naming the first failed check."""

from __future__ import annotations

import argparse
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

os.environ.setdefault("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
os.environ.setdefault("DO_NOT_TRACK", "true")

from mlflow import MlflowClient  # noqa: E402


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def check(cond: bool, what: str) -> None:
    if not cond:
        sys.exit(f"FAILED: {what}")
    print(f"ok: {what}")


def reference_cells(path: Path) -> dict[tuple[int, int], float]:
    """maxDepth, maxBins -> CV weightedPrecision from ml-reference.md's table."""
    cells = {}
    for line in path.read_text().splitlines():
        m = re.match(r"\|\s*(\d+)\s*\|\s*(\d+)\s*\|\s*\**([0-9.]+)\**\s*\|", line)
        if m:
            cells[(int(m[1]), int(m[2]))] = float(m[3])
    return cells


def run_example(bin_dir: Path, name: str, args: list[str], env: dict, cwd: Path) -> str:
    start = time.monotonic()
    out = subprocess.run([str(bin_dir / "examples" / name), *args], env=env, cwd=cwd,
                         capture_output=True, text=True, timeout=1800)
    took = time.monotonic() - start
    sys.stdout.write(out.stdout[-1500:])
    check(out.returncode == 0, f"{name} exits 0 ({took:.1f} s): {out.stderr[-500:]}")
    return out.stdout


def children(client, exp_id, parent_id):
    return client.search_runs([exp_id], f"tags.mlflow.parentRunId = '{parent_id}'",
                              max_results=1000)


def check_example_a(client, reference, stdout):
    exp = client.get_experiment_by_name("mnist-decision-tree")
    check(exp is not None, "example A: experiment mnist-decision-tree exists")
    top = client.search_runs([exp.experiment_id], "tags.mlflow.parentRunId IS NULL")
    check(len(top) == 1, f"example A: one top-level run (got {len(top)})")
    parent = top[0]
    check(parent.info.status == "FINISHED", "example A: the CrossValidator run finished")
    kids = children(client, exp.experiment_id, parent.info.run_id)
    check(len(kids) == 20, f"example A: 20 child runs, one per grid cell (got {len(kids)})")
    worst = 0.0
    for k in kids:
        cell = (int(k.data.params["maxDepth"]), int(k.data.params["maxBins"]))
        got = k.data.metrics["weightedPrecision"]
        worst = max(worst, abs(got - reference[cell]))
        check(abs(got - reference[cell]) <= 0.01,
              f"example A: cell {cell} CV {got:.4f} within 0.01 of {reference[cell]:.4f}")
    print(f"example A: largest |difference| from the reference {worst:.4f}")
    six = client.search_runs([exp.experiment_id], "params.maxDepth = '6'")
    check(len(six) == 4 and all(r.data.tags.get("mlflow.parentRunId") == parent.info.run_id
                                for r in six),
          "example A: params.maxDepth = '6' finds the 4 depth-6 children")
    test = parent.data.metrics.get("test_weightedPrecision")
    printed = float(re.search(r"test weightedPrecision: ([0-9.]+)", stdout)[1])
    check(test is not None and abs(test - printed) < 5e-5,
          f"example A: parent logs test_weightedPrecision {test} (printed {printed})")
    best = re.search(r"best params: \{maxDepth: (\d+), maxBins: (\d+)\}", stdout)
    check(parent.data.params.get("best.maxDepth") == best[1]
          and parent.data.params.get("best.maxBins") == best[2],
          f"example A: parent logs the best params best.maxDepth {best[1]}, "
          f"best.maxBins {best[2]}")
    best_cv = max(k.data.metrics["weightedPrecision"] for k in kids)
    check(abs(parent.data.metrics.get("best_avg_metric", -1) - best_cv) < 1e-12,
          f"example A: parent's best_avg_metric is the best child's {best_cv:.4f}")
    arts = [a.path for a in client.list_artifacts(parent.info.run_id)]
    check("model" in arts, f"example A: the fitted pipeline is an artifact ({arts})")


def check_example_b(client, evals, stdout):
    exp = client.get_experiment_by_name("california-model-selection")
    check(exp is not None, "example B: experiment california-model-selection exists")
    top = client.search_runs([exp.experiment_id], "tags.mlflow.parentRunId IS NULL")
    check(len(top) == 1, f"example B: one top-level run (got {len(top)})")
    parent = top[0]
    check(parent.info.status == "FINISHED", "example B: the search run finished")
    kids = children(client, exp.experiment_id, parent.info.run_id)
    check(len(kids) == evals, f"example B: {evals} trial runs (got {len(kids)})")
    types = {k.data.params.get("classifier_type") for k in kids}
    check(types <= {"svm", "rf", "logreg"} and len(types) >= 2,
          f"example B: trials log the model family by name, not index ({sorted(types)})")
    for k in kids:
        p = k.data.params
        check(k.info.status == "FINISHED" and "loss" in k.data.metrics
              and "duration_s" in k.data.metrics,
              f"example B: trial {k.info.run_name} finished with loss and duration")
        if p["classifier_type"] == "svm":
            check(p.get("kernel") in ("linear", "rbf") and float(p["SVM_C"]) > 0,
                  f"example B: svm trial has kernel {p.get('kernel')} and real C {p.get('SVM_C')}")
        elif p["classifier_type"] == "logreg":
            check(p.get("solver") in ("liblinear", "lbfgs") and float(p["LR_C"]) > 0,
                  f"example B: logreg trial has solver {p.get('solver')} and C {p.get('LR_C')}")
        else:
            check(p.get("criterion") in ("gini", "entropy") and 2 <= float(p["max_depth"]) <= 5,
                  f"example B: rf trial has criterion {p.get('criterion')}, "
                  f"max_depth {p.get('max_depth')}")
    best_loss = min(k.data.metrics["loss"] for k in kids)
    printed = float(re.search(r"best CV accuracy: ([0-9.]+)", stdout)[1])
    check(abs(-best_loss - printed) < 5e-5,
          f"example B: the best trial's loss {best_loss:.4f} is the printed best {printed}")
    best_trial = min(kids, key=lambda k: k.data.metrics["loss"])
    logged_best = {k[len("best."):]: v for k, v in parent.data.params.items()
                   if k.startswith("best.")}
    check(logged_best == best_trial.data.params,
          f"example B: the parent's best.* params are the best trial's ({logged_best})")
    check(-best_loss >= 0.8330,
          f"example B: best CV accuracy {-best_loss:.4f} >= the reference's 0.8330")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin-dir", type=Path, required=True)
    ap.add_argument("--data", type=Path, required=True)
    ap.add_argument("--reference", type=Path, required=True)
    ap.add_argument("--evals", type=int, default=32)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        port = free_port()
        server = subprocess.Popen(
            [str(a.bin_dir / "cairn"), "server", "--port", str(port),
             "--backend-store-uri", f"sqlite:///{tmp}/cairn.db",
             "--artifacts-destination", str(tmp / "artifacts")],
            cwd=tmp, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            uri = f"http://127.0.0.1:{port}"
            for _ in range(100):
                try:
                    urllib.request.urlopen(f"{uri}/health", timeout=1)
                    break
                except OSError:
                    time.sleep(0.1)
            env = dict(os.environ, MLFLOW_TRACKING_URI=uri)
            client = MlflowClient(uri)
            out_a = run_example(a.bin_dir, "mnist_decision_tree_cv",
                                ["--data", str(a.data), "--parallelism", "2"], env, tmp)
            check_example_a(client, reference_cells(a.reference), out_a)
            out_b = run_example(a.bin_dir, "california_model_selection",
                                ["--data", str(a.data), "--evals", str(a.evals),
                                 "--parallelism", "2"], env, tmp)
            check_example_b(client, a.evals, out_b)
        finally:
            server.terminate()
            server.wait(timeout=30)
    print("all example checks passed")


if __name__ == "__main__":
    main()
