#!/usr/bin/env bash
# UI benchmark: `cairn-bench ui` (release) populates a 10,000-run store and a
# 1,000,000-point metric and times the page-data endpoints over HTTP; then,
# while it keeps serving (--hold), tests/ui/bench.mjs times the same pages in
# headless Chromium. Prints Markdown tables (paste into docs/benchmarks/ui.md).
#   scripts/ui-bench.sh [--runs N] [--points N] [--reps N]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
(cd tests/ui && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
cargo build --release --quiet -p cairn-bench
bin="${CARGO_TARGET_DIR:-$root/target}/release/cairn-bench"
tmp="$(mktemp -d)"
mkfifo "$tmp/in"
"$bin" ui --hold "$@" <"$tmp/in" >"$tmp/out" &
bench=$!
exec 3>"$tmp/in"   # keep the bench's stdin open until we are done
cleanup() { exec 3>&- || true; wait "$bench" 2>/dev/null || true; rm -rf "$tmp"; }
trap cleanup EXIT
until grep -q '^serving ' "$tmp/out"; do
    kill -0 "$bench" 2>/dev/null || { cat "$tmp/out"; echo "cairn-bench ui failed"; exit 1; }
    sleep 0.5
done
grep -v '^serving ' "$tmp/out"
read -r _ url exp long < <(grep '^serving ' "$tmp/out")
echo
node tests/ui/bench.mjs "$url" "${exp#experiment=}" "${long#long_run=}"
