#!/usr/bin/env bash
# Refresh the chart libraries vendored into the UI from their npm packages.
#
#   scripts/vendor-ui.sh            # the pinned versions below
#   ECHARTS_VERSION=6.1.0 UPLOT_VERSION=1.6.32 scripts/vendor-ui.sh
#
# Needs Node's npm (only for this refresh: building and running Cairn never
# needs Node). Copies the minified dist files and their licences into
# crates/cairn-server/ui/vendor/ and records the versions in VENDORED.md.
# Apache ECharts (1.1 MB) draws the compare and tuning views; uPlot (50 KB)
# draws the run page's metric histories, so the page that charts long
# metrics does not wait for ECharts to parse. A version change also means
# updating the versioned paths in src/ui/assets.rs and ui/charts.js.
set -euo pipefail

ECHARTS_VERSION="${ECHARTS_VERSION:-6.1.0}"
UPLOT_VERSION="${UPLOT_VERSION:-1.6.32}"
root="$(cd "$(dirname "$0")/.." && pwd)"
dest="$root/crates/cairn-server/ui/vendor"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

cd "$tmp"
mkdir -p "$dest" echarts uplot
npm pack --silent "echarts@${ECHARTS_VERSION}" >/dev/null
tar -xzf "echarts-${ECHARTS_VERSION}.tgz" -C echarts
cp echarts/package/dist/echarts.min.js "$dest/echarts.min.js"
cp echarts/package/LICENSE "$dest/echarts.LICENSE"
npm pack --silent "uplot@${UPLOT_VERSION}" >/dev/null
tar -xzf "uplot-${UPLOT_VERSION}.tgz" -C uplot
cp uplot/package/dist/uPlot.iife.min.js "$dest/uPlot.iife.min.js"
cp uplot/package/dist/uPlot.min.css "$dest/uPlot.min.css"
cp uplot/package/LICENSE "$dest/uPlot.LICENSE"
sum() { sha256sum "$dest/$1" | cut -d' ' -f1; }
cat > "$dest/VENDORED.md" <<MD
# Vendored front-end files

Refreshed by \`scripts/vendor-ui.sh\`; do not edit by hand.

| File | Package | Version | Licence | sha256 |
|---|---|---|---|---|
| echarts.min.js | echarts (npm, dist/echarts.min.js) | ${ECHARTS_VERSION} | Apache-2.0 (echarts.LICENSE) | $(sum echarts.min.js) |
| uPlot.iife.min.js | uplot (npm, dist/uPlot.iife.min.js) | ${UPLOT_VERSION} | MIT (uPlot.LICENSE) | $(sum uPlot.iife.min.js) |
| uPlot.min.css | uplot (npm, dist/uPlot.min.css) | ${UPLOT_VERSION} | MIT (uPlot.LICENSE) | $(sum uPlot.min.css) |
MD
echo "vendored echarts ${ECHARTS_VERSION} and uPlot ${UPLOT_VERSION} into ${dest}"
