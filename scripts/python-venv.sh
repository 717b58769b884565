#!/usr/bin/env bash
# Create (or reuse) the Python virtualenv used by the MLflow-client
# compatibility suite in tests/compat/. Idempotent: re-running only installs
# what tests/compat/requirements.txt asks for and is not yet there.
#
# Usage: scripts/python-venv.sh            # creates ./.venv
#        CAIRN_VENV=/some/dir scripts/python-venv.sh
# Prints nothing but pip's output; exit status non-zero on failure.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="${CAIRN_VENV:-$root/.venv}"
req="$root/tests/compat/requirements.txt"
python="${PYTHON:-python3}"

if [ ! -x "$venv/bin/python" ]; then
    "$python" -m venv "$venv"
fi

# Skip pip entirely when the requirements file has not changed since the
# last successful install (pip resolution alone takes seconds).
stamp="$venv/.cairn-requirements.sha256"
want="$(sha256sum "$req" | cut -d' ' -f1)"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    exit 0
fi

"$venv/bin/python" -m pip install --disable-pip-version-check --quiet \
    --index-url https://pypi.org/simple -r "$req"
echo "$want" > "$stamp"
