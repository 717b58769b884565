#!/usr/bin/env bash
# End-to-end browser tests of the web UI.
#
# Installs Debian's chromium if /usr/bin/chromium is missing (CI runs as
# root), installs playwright-core from tests/ui/package-lock.json (`npm ci`),
# builds `cairn`, starts `cairn server` on a free port over a temp dir, runs
# tests/ui/run.mjs against it, and stops the server. Screenshots go to
# test-output/ui/. Exits non-zero on any failure; the last line says
# "UI tests: N passed, N failed".
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

if [ ! -x /usr/bin/chromium ]; then
    echo "ui-test: installing chromium (Debian package)"
    if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
fi

echo "ui-test: npm ci in tests/ui"
(cd tests/ui && npm ci --no-audit --no-fund --loglevel=error)

echo "ui-test: building cairn"
cargo build --quiet --bin cairn
bin="${CARGO_TARGET_DIR:-$root/target}/debug/cairn"

tmp="$(mktemp -d)"
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')"
"$bin" server --host 127.0.0.1 --port "$port" \
    --backend-store-uri "sqlite:///$tmp/cairn.db" \
    --artifacts-destination "$tmp/artifacts" --durability normal \
    >"$tmp/server.log" 2>&1 &
server=$!
cleanup() {
    kill "$server" 2>/dev/null || true
    wait "$server" 2>/dev/null || true
    rm -rf "$tmp"
}
trap cleanup EXIT

for _ in $(seq 1 100); do
    if curl -fsS "http://127.0.0.1:$port/health" >/dev/null 2>&1; then break; fi
    if ! kill -0 "$server" 2>/dev/null; then
        echo "ui-test: cairn server exited early:"; cat "$tmp/server.log"; exit 1
    fi
    sleep 0.1
done

mkdir -p test-output/ui
status=0
CAIRN_URL="http://127.0.0.1:$port" UI_TEST_OUTPUT="$root/test-output/ui" \
    node tests/ui/run.mjs || status=$?
if [ "$status" != 0 ]; then
    echo "ui-test: server log (last 40 lines):"; tail -n 40 "$tmp/server.log"
fi
exit "$status"
