// Chart helpers over the vendored chart libraries, each loaded on first use
// so the table pages pay for neither: Apache ECharts (1.1 MB; compare and
// tuning views) and uPlot (50 KB; the run page's metric histories, so the
// page that charts million-point metrics is not held up parsing ECharts).
import { h } from './util.js';

const loaded = new Map();
function loadScript(src, global) {
  if (window[global]) return Promise.resolve(window[global]);
  if (!loaded.has(src)) {
    loaded.set(src, new Promise((resolve, reject) => {
      const s = document.createElement('script');
      s.src = src;
      s.onload = () => resolve(window[global]);
      s.onerror = () => { loaded.delete(src); reject(new Error('could not load the chart library')); };
      document.head.append(s);
    }));
  }
  return loaded.get(src);
}

export function loadECharts() { return loadScript('/static/vendor/echarts-6.1.0.min.js', 'echarts'); }

export function loadUPlot() {
  if (!document.getElementById('uplot-css')) {
    document.head.append(h('link', { id: 'uplot-css', rel: 'stylesheet', href: '/static/vendor/uPlot-1.6.32.min.css' }));
  }
  return loadScript('/static/vendor/uPlot-1.6.32.iife.min.js', 'uPlot');
}

export const PALETTE = ['#1d4ed8', '#d97706', '#059669', '#dc2626', '#7c3aed', '#0891b2', '#db2777',
  '#65a30d', '#475569', '#ea580c', '#4f46e5', '#0d9488'];

const live = new Set();
const ro = typeof ResizeObserver !== 'undefined'
  ? new ResizeObserver((entries) => entries.forEach((e) => window.echarts?.getInstanceByDom(e.target)?.resize()))
  : null;

/** A chart container; `label` is its accessible name. */
export function chartBox(label, cls = 'chart') {
  return h('div', { class: cls, role: 'img', 'aria-label': label });
}

/** Draw (or redraw) an option into `el`; records the series and point counts for tests. */
export async function draw(el, option) {
  const echarts = await loadECharts();
  let chart = echarts.getInstanceByDom(el);
  if (!chart) {
    chart = echarts.init(el, null, { renderer: 'canvas' });
    live.add(chart);
    ro?.observe(el);
  }
  chart.setOption({ animation: false, color: PALETTE, ...option }, true);
  el.dataset.series = String((option.series || []).length);
  el.dataset.points = String((option.series || []).reduce((n, s) => n + (s.data?.length || 0), 0));
  el.dataset.rendered = '1';
  return chart;
}

export function disposeAll() {
  for (const c of live) { try { c.dispose(); } catch { /* gone */ } }
  live.clear();
  for (const [el, u] of lines) { try { u.destroy(); } catch { /* gone */ } lineRo?.unobserve(el); }
  lines.clear();
}

const lines = new Map(); // element -> uPlot
const lineRo = typeof ResizeObserver !== 'undefined'
  ? new ResizeObserver((entries) => entries.forEach((e) => {
    const u = lines.get(e.target);
    if (u && e.target.clientWidth > 0) u.setSize(plotSize(e.target));
  }))
  : null;
function plotSize(el) { return { width: el.clientWidth, height: Math.max(120, el.clientHeight - 34) }; } // legend below

/**
 * Line chart of series sharing one x array (uPlot): `xs` ascending, each of
 * `series` {name, ys, faint?}. `x`: 'step' | 'wall' (ms) | 'relative' (s);
 * `log`: log-scaled y. Records series and point counts for tests.
 */
export async function drawLines(el, { xs, series, x = 'step', log = false, xLabel = x }) {
  const uPlot = await loadUPlot();
  lines.get(el)?.destroy();
  const wall = x === 'wall';
  // uPlot's time scale counts seconds; a log scale cannot show values <= 0.
  const data = [wall ? xs.map((t) => t / 1000) : xs,
    ...series.map((s) => (log ? s.ys.map((y) => (y > 0 ? y : null)) : s.ys))];
  const opts = {
    ...plotSize(el),
    scales: { x: { time: wall }, y: log ? { distr: 3 } : {} },
    series: [{ label: xLabel }, ...series.map((s) => ({
      label: s.name, stroke: s.faint ? 'rgba(29, 78, 216, 0.3)' : PALETTE[0], width: s.faint ? 1 : 1.5,
      points: { show: xs.length < 60 },
    }))],
    axes: [{ label: xLabel, labelSize: 18, size: 36 }, { size: 60 }],
    legend: { live: true },
  };
  clearChildren(el);
  const u = new uPlot(opts, data, el);
  lines.set(el, u);
  lineRo?.observe(el);
  el.dataset.series = String(series.length);
  el.dataset.points = String(xs.length * series.length);
  // The highest value drawn: lets tests check that spikes survive end to end.
  el.dataset.ymax = String(Math.max(...series.flatMap((s) => s.ys.filter((y) => y !== null))));
  el.dataset.rendered = '1';
  return u;
}
function clearChildren(el) { while (el.firstChild) el.removeChild(el.firstChild); }

/** Exponential moving average with de-biasing (weight in [0, 1)). */
export function smooth(points, weight) {
  if (!weight) return points;
  let last = 0, n = 0;
  return points.map(([x, y]) => {
    last = last * weight + (1 - weight) * y; n += 1;
    return [x, last / (1 - Math.pow(weight, n))];
  });
}

/** Inverse-distance-weighted grid for contour-like heatmaps. */
export function idwGrid(xs, ys, zs, size = 30) {
  const minX = Math.min(...xs), maxX = Math.max(...xs), minY = Math.min(...ys), maxY = Math.max(...ys);
  const gx = [], gy = [], cells = [];
  const spanX = maxX - minX || 1, spanY = maxY - minY || 1;
  for (let i = 0; i < size; i++) gx.push(minX + (spanX * i) / (size - 1));
  for (let j = 0; j < size; j++) gy.push(minY + (spanY * j) / (size - 1));
  for (let i = 0; i < size; i++) {
    for (let j = 0; j < size; j++) {
      let num = 0, den = 0, exact = null;
      for (let k = 0; k < xs.length; k++) {
        const dx = (gx[i] - xs[k]) / spanX, dy = (gy[j] - ys[k]) / spanY;
        const d2 = dx * dx + dy * dy;
        if (d2 < 1e-12) { exact = zs[k]; break; }
        const w = 1 / (d2 * d2);
        num += w * zs[k]; den += w;
      }
      cells.push([i, j, exact ?? num / den]);
    }
  }
  return { gx, gy, cells };
}

/** Numeric value of a param/metric, or null. */
export function asNumber(v) {
  if (v === null || v === undefined || v === '') return null;
  const n = Number(v);
  return Number.isFinite(n) ? n : null;
}
