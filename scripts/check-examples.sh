#!/usr/bin/env bash
# Runs both worked examples exactly as the README does, against a real
# `cairn server`, then checks with the official `mlflow` client
# (MlflowClient.search_runs) the run trees they logged: example A's
# CrossValidator run with one child per grid cell (each cell within 0.01 of
# shared/bench/ml-reference.md) and the saved model; example B's search run
# with one child per trial carrying real parameter values.
#
# Not part of scripts/test.sh: it needs release builds and ~2 minutes of both
# cores. docs/benchmarks/ml.md records its output.
#
# Usage: scripts/check-examples.sh [--evals 32]
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
target_dir="${CARGO_TARGET_DIR:-$root/target}"

cargo build --release --bin cairn
cargo build --release -p cairn-autolog --examples
scripts/python-venv.sh
venv="${CAIRN_VENV:-$root/.venv}"
exec "$venv/bin/python" scripts/check_examples.py \
    --bin-dir "$target_dir/release" --data "$root/../shared/datasets" \
    --reference "$root/../shared/bench/ml-reference.md" "$@"
