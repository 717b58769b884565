// Compare runs: parallel coordinates, scatter, contour, overlaid metric
// histories, and a params/metrics table with a diff-only switch.
//   #/compare?experiment=<id>&runs=a,b,c      selected runs
//   #/compare?experiment=<id>&filter=...      every run of a filtered view
import { cairn, mlflow } from '../api.js';
import { h, clear, fmtNum, stateBox, quote } from '../util.js';
import { chartBox, draw, idwGrid, asNumber, PALETTE } from '../charts.js';

const MAX_RUNS = 5000;

export async function render(root, _m, params, stale) {
  const exp = params.get('experiment') || '';
  const ids = (params.get('runs') || '').split(',').filter(Boolean);
  const filter = ids.length ? `attributes.run_id IN (${ids.map(quote).join(', ')})` : (params.get('filter') || '');
  if (!exp) { root.append(stateBox('Open compare from an experiment: select runs and press “Compare selected”.', 'error')); return; }
  let page;
  try { page = await cairn('runs', { experiment_id: exp, filter, limit: MAX_RUNS }); }
  catch (e) { root.append(stateBox(`Could not load runs: ${e.message}`, 'error')); return; }
  if (stale()) return;
  const runs = page.rows;
  let expName = `Experiment ${exp}`;
  try { expName = (await mlflow.get('experiments/get', { experiment_id: exp.split(',')[0] })).experiment.name; } catch { /* keep the id */ }
  root.append(h('div', { class: 'crumbs' }, h('a', { href: '#/experiments' }, 'Experiments'), ' / ', h('a', { href: `#/experiments/${exp.split(',')[0]}` }, expName), ' / '),
    h('h1', {}, `Comparing ${runs.length} runs`, page.next_offset != null ? ` (first ${MAX_RUNS})` : ''));
  if (!runs.length) { root.append(stateBox('No runs to compare.')); return; }
  const pkeys = [...new Set(runs.flatMap((r) => Object.keys(r.params)))].sort();
  const mkeys = [...new Set(runs.flatMap((r) => Object.keys(r.metrics)))].sort();
  const fields = [...pkeys.map((k) => `params.${k}`), ...mkeys.map((k) => `metrics.${k}`)];
  const val = (r, f) => f.startsWith('params.') ? r.params[f.slice(7)] : r.metrics[f.slice(8)];
  const sel = (id, label, opts, value) => {
    const s = h('select', { id, 'aria-label': label }, opts.map((o) => h('option', { value: o, selected: o === value }, o)));
    return s;
  };
  const firstMetric = mkeys.includes('loss') ? 'loss' : mkeys[0];

  // ---- parallel coordinates
  const pcMetric = sel('pc-metric', 'Parallel coordinates metric', mkeys, firstMetric);
  const pcBox = chartBox('Parallel coordinates of params and a metric', 'chart');
  pcBox.id = 'chart-parallel';
  async function drawParallel() {
    if (!mkeys.length && !pkeys.length) return;
    const axes = [...pkeys.slice(0, 14).map((k) => `params.${k}`), ...(pcMetric.value ? [`metrics.${pcMetric.value}`] : [])];
    const dims = axes.map((f, i) => {
      const vals = runs.map((r) => val(r, f)).filter((v) => v !== undefined);
      const numeric = vals.every((v) => asNumber(v) !== null);
      return numeric ? { dim: i, name: f.replace(/^(params|metrics)\./, ''), type: 'value', scale: true }
        : { dim: i, name: f.replace(/^params\./, ''), type: 'category', data: [...new Set(vals.map(String))].sort() };
    });
    const data = runs.map((r) => axes.map((f, i) => {
      const v = val(r, f);
      if (v === undefined) return null;
      return dims[i].type === 'value' ? asNumber(v) : String(v);
    }));
    const mvals = data.map((d) => d[d.length - 1]).filter((v) => typeof v === 'number');
    await draw(pcBox, {
      parallelAxis: dims,
      parallel: { left: 60, right: 140, top: 40, bottom: 30 },
      visualMap: mvals.length ? { show: true, dimension: axes.length - 1, min: Math.min(...mvals), max: Math.max(...mvals), precision: 4, right: 10, top: 'middle', inRange: { color: ['#1d4ed8', '#f59e0b', '#dc2626'] }, calculable: true } : undefined,
      tooltip: {},
      series: [{ type: 'parallel', lineStyle: { width: 1.5, opacity: 0.6 }, data }],
    });
  }

  // ---- scatter
  const sx = sel('scatter-x', 'Scatter X', fields, fields.find((f) => f.startsWith('params.')) || fields[0]);
  const sy = sel('scatter-y', 'Scatter Y', fields, firstMetric ? `metrics.${firstMetric}` : fields[1]);
  const scBox = chartBox('Scatter plot', 'chart'); scBox.id = 'chart-scatter';
  async function drawScatter() {
    const xs = runs.map((r) => val(r, sx.value));
    const xNumeric = xs.filter((v) => v !== undefined).every((v) => asNumber(v) !== null);
    const cats = [...new Set(xs.filter((v) => v !== undefined).map(String))].sort();
    const data = runs.map((r) => {
      const x = val(r, sx.value), y = asNumber(val(r, sy.value));
      if (x === undefined || y === null) return null;
      return { value: [xNumeric ? asNumber(x) : String(x), y], name: r.name, id: r.id };
    }).filter(Boolean);
    await draw(scBox, {
      grid: { left: 60, right: 20, top: 34, bottom: 46 },
      tooltip: { formatter: (p) => `${p.data.name}<br>${sx.value}: ${p.data.value[0]}<br>${sy.value}: ${fmtNum(p.data.value[1])}` },
      xAxis: xNumeric ? { type: 'value', scale: true, name: sx.value, nameLocation: 'middle', nameGap: 28 } : { type: 'category', data: cats, name: sx.value, nameLocation: 'middle', nameGap: 28 },
      yAxis: { type: 'value', scale: true, name: sy.value },
      series: [{ type: 'scatter', symbolSize: 9, data }],
    });
  }

  // ---- contour
  const numericParams = pkeys.filter((k) => runs.every((r) => r.params[k] === undefined || asNumber(r.params[k]) !== null));
  const cx = sel('contour-x', 'Contour X', numericParams, numericParams[0]);
  const cy = sel('contour-y', 'Contour Y', numericParams, numericParams[1] || numericParams[0]);
  const cz = sel('contour-z', 'Contour Z (metric)', mkeys, firstMetric);
  const ctBox = chartBox('Contour of two params against a metric', 'chart'); ctBox.id = 'chart-contour';
  const ctMsg = h('div', { class: 'hint' });
  async function drawContour() {
    const pts = runs.map((r) => [asNumber(r.params[cx.value]), asNumber(r.params[cy.value]), asNumber(r.metrics[cz.value])])
      .filter((p) => p.every((v) => v !== null));
    if (pts.length < 3 || cx.value === cy.value) {
      ctMsg.textContent = 'Pick two different numeric params; at least 3 runs need both and the metric.';
      ctBox.dataset.series = '0';
      return;
    }
    ctMsg.textContent = `Interpolated (inverse distance) from ${pts.length} runs; dots are the runs.`;
    const { gx, gy, cells } = idwGrid(pts.map((p) => p[0]), pts.map((p) => p[1]), pts.map((p) => p[2]), 40);
    const zs = pts.map((p) => p[2]);
    await draw(ctBox, {
      grid: { left: 70, right: 90, top: 20, bottom: 46 },
      tooltip: {},
      xAxis: { type: 'value', min: gx[0], max: gx[gx.length - 1], name: cx.value, nameLocation: 'middle', nameGap: 28 },
      yAxis: { type: 'value', min: gy[0], max: gy[gy.length - 1], name: cy.value },
      visualMap: { min: Math.min(...zs), max: Math.max(...zs), precision: 4, seriesIndex: 0, right: 0, top: 'middle', calculable: true, inRange: { color: ['#1d4ed8', '#93c5fd', '#fde68a', '#dc2626'] } },
      series: [
        { type: 'custom', name: cz.value, data: cells.map(([i, j, z]) => [gx[i], gy[j], z]), renderItem: (params, api) => {
          const x = api.value(0), y = api.value(1);
          const dx = (gx[1] - gx[0]) / 2, dy = (gy[1] - gy[0]) / 2;
          const p0 = api.coord([x - dx, y + dy]), p1 = api.coord([x + dx, y - dy]);
          return { type: 'rect', shape: { x: p0[0], y: p0[1], width: p1[0] - p0[0] + 0.5, height: p1[1] - p0[1] + 0.5 }, style: { fill: api.visual('color') } };
        }, encode: { x: 0, y: 1 }, dimensions: ['x', 'y', 'z'] },
        { type: 'scatter', name: 'runs', data: pts.map((p) => [p[0], p[1], p[2]]), symbolSize: 7, itemStyle: { color: '#111827', borderColor: '#fff', borderWidth: 1 } },
      ],
    });
  }

  // ---- overlaid histories
  const hk = sel('history-metric', 'History metric', mkeys, firstMetric);
  const hiBox = chartBox('Overlaid metric histories', 'chart'); hiBox.id = 'chart-history';
  const hiMsg = h('div', { class: 'hint' });
  async function drawHistory() {
    if (!hk.value) return;
    const withKey = runs.filter((r) => r.metrics[hk.value] !== undefined).slice(0, 20);
    try {
      const res = await cairn('metric-series', { run_ids: withKey.map((r) => r.id).join(','), key: hk.value, buckets: 600 });
      const names = new Map(runs.map((r) => [r.id, r.name]));
      hiMsg.textContent = withKey.length < runs.filter((r) => r.metrics[hk.value] !== undefined).length ? 'Showing the first 20 runs with this metric.' : '';
      await draw(hiBox, {
        grid: { left: 60, right: 20, top: 30, bottom: 40 },
        tooltip: { trigger: 'axis' },
        legend: { type: 'scroll', top: 0 },
        xAxis: { type: 'value', name: 'step', nameLocation: 'middle', nameGap: 24, scale: true },
        yAxis: { type: 'value', scale: true },
        series: res.series.map((s, i) => ({ type: 'line', name: names.get(s.run_id) || s.run_id, data: s.points, showSymbol: s.points.length < 40, color: PALETTE[i % PALETTE.length] })),
      });
    } catch (e) { hiMsg.textContent = `Could not load histories: ${e.message}`; }
  }

  // ---- table
  const diffOnly = h('input', { type: 'checkbox', id: 'diff-only' });
  const tbl = h('div', { style: { overflow: 'auto', maxHeight: '420px' } });
  function drawTable() {
    const differs = (f) => new Set(runs.map((r) => String(val(r, f) ?? ''))).size > 1;
    const shown = fields.filter((f) => !diffOnly.checked || differs(f));
    const show = runs.slice(0, 200);
    clear(tbl).append(h('table', { class: 'grid', id: 'compare-table' },
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Run'), shown.map((f) => h('th', { scope: 'col' }, f)))),
      h('tbody', {}, show.map((r) => h('tr', {}, h('td', {}, h('a', { href: `#/runs/${r.id}` }, r.name || r.id)),
        shown.map((f) => h('td', { class: f.startsWith('metrics.') ? 'num' : '' }, f.startsWith('metrics.') ? fmtNum(val(r, f)) : (val(r, f) ?? ''))))))));
  }

  root.append(
    h('section', { 'aria-labelledby': 'h-pc' }, h('h2', { id: 'h-pc' }, 'Parallel coordinates'),
      h('div', { class: 'toolbar' }, h('label', { class: 'inline', for: 'pc-metric' }, 'Metric ', pcMetric)), h('div', { class: 'card' }, pcBox)),
    h('div', { class: 'cols-2' },
      h('section', { 'aria-labelledby': 'h-sc' }, h('h2', { id: 'h-sc' }, 'Scatter'),
        h('div', { class: 'toolbar' }, h('label', { class: 'inline', for: 'scatter-x' }, 'X ', sx), h('label', { class: 'inline', for: 'scatter-y' }, 'Y ', sy)),
        h('div', { class: 'card' }, scBox)),
      h('section', { 'aria-labelledby': 'h-ct' }, h('h2', { id: 'h-ct' }, 'Contour'),
        h('div', { class: 'toolbar' }, h('label', { class: 'inline', for: 'contour-x' }, 'X ', cx), h('label', { class: 'inline', for: 'contour-y' }, 'Y ', cy), h('label', { class: 'inline', for: 'contour-z' }, 'Z ', cz)),
        h('div', { class: 'card' }, ctBox, ctMsg))),
    h('section', { 'aria-labelledby': 'h-hi' }, h('h2', { id: 'h-hi' }, 'Metric histories'),
      h('div', { class: 'toolbar' }, h('label', { class: 'inline', for: 'history-metric' }, 'Metric ', hk)), h('div', { class: 'card' }, hiBox, hiMsg)),
    h('section', { 'aria-labelledby': 'h-tb' }, h('h2', { id: 'h-tb' }, 'Parameters and metrics'),
      h('div', { class: 'toolbar' }, h('label', { class: 'inline', for: 'diff-only' }, diffOnly, 'Show differences only')), tbl));

  pcMetric.addEventListener('change', drawParallel);
  sx.addEventListener('change', drawScatter); sy.addEventListener('change', drawScatter);
  [cx, cy, cz].forEach((s) => s.addEventListener('change', drawContour));
  hk.addEventListener('change', drawHistory);
  diffOnly.addEventListener('change', drawTable);
  drawTable();
  await Promise.all([drawParallel(), drawScatter(), drawContour(), drawHistory()]);
}
