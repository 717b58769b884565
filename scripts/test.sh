#!/usr/bin/env bash
# The one command that runs Cairn's whole test suite:
#   1. every Rust test of the workspace (unit, integration, durability, doc);
#   2. the compatibility suite with the official MLflow client
#      (tests/compat/, pytest, mlflow-skinny pinned in requirements.txt)
#      against the real `cairn server` binary;
#   3. the browser tests of the web UI (scripts/ui-test.sh: headless Debian
#      chromium driven by playwright-core, against a real server).
# It builds what it needs and creates the Python venv (.venv) itself.
# Extra arguments are passed to pytest (e.g. `scripts/test.sh -k artifacts`).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
target_dir="${CARGO_TARGET_DIR:-$root/target}"

echo "==> cargo test --workspace --all-targets"
cargo test --workspace --all-targets

echo "==> building the cairn binary for the compatibility suite"
cargo build --bin cairn

echo "==> Python venv (scripts/python-venv.sh)"
scripts/python-venv.sh
venv="${CAIRN_VENV:-$root/.venv}"

echo "==> official MLflow client compatibility suite (tests/compat)"
CAIRN_BIN="${CAIRN_BIN:-$target_dir/debug/cairn}" \
    "$venv/bin/python" -m pytest tests/compat "$@"

echo "==> web UI browser tests (scripts/ui-test.sh)"
scripts/ui-test.sh
