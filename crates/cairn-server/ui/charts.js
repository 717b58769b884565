// Chart helpers over the vendored Apache ECharts (loaded on first use, so
// the table pages never pay for it).
import { h } from './util.js';

let loading = null;
export function loadECharts() {
  if (window.echarts) return Promise.resolve(window.echarts);
  if (!loading) {
    loading = new Promise((resolve, reject) => {
      const s = document.createElement('script');
      s.src = '/static/vendor/echarts-6.1.0.min.js';
      s.onload = () => resolve(window.echarts);
      s.onerror = () => reject(new Error('could not load the chart library'));
      document.head.append(s);
    });
  }
  return loading;
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
}

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
