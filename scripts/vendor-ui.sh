#!/usr/bin/env bash
# Refresh the chart library vendored into the UI from its npm package.
#
#   scripts/vendor-ui.sh            # the pinned version below
#   ECHARTS_VERSION=6.1.0 scripts/vendor-ui.sh
#
# Needs Node's npm (only for this refresh: building and running Cairn never
# needs Node). Copies the minified dist file and its licence into
# crates/cairn-server/ui/vendor/ and records the version in VENDORED.md.
set -euo pipefail

ECHARTS_VERSION="${ECHARTS_VERSION:-6.1.0}"
root="$(cd "$(dirname "$0")/.." && pwd)"
dest="$root/crates/cairn-server/ui/vendor"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

cd "$tmp"
npm pack --silent "echarts@${ECHARTS_VERSION}" >/dev/null
tar -xzf "echarts-${ECHARTS_VERSION}.tgz"
mkdir -p "$dest"
cp package/dist/echarts.min.js "$dest/echarts.min.js"
cp package/LICENSE "$dest/echarts.LICENSE"
sha="$(sha256sum "$dest/echarts.min.js" | cut -d' ' -f1)"
cat > "$dest/VENDORED.md" <<MD
# Vendored front-end files

Refreshed by \`scripts/vendor-ui.sh\`; do not edit by hand.

| File | Package | Version | Licence | sha256 |
|---|---|---|---|---|
| echarts.min.js | echarts (npm, dist/echarts.min.js) | ${ECHARTS_VERSION} | Apache-2.0 (echarts.LICENSE) | ${sha} |
MD
echo "vendored echarts ${ECHARTS_VERSION} into ${dest}"
