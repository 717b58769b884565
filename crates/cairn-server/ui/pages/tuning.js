// Tuning view of a parent run whose children are trials: optimization
// history (value per trial + running best), parameter importance computed on
// the server, slice plots per parameter.
import { cairn, mlflow } from '../api.js';
import { h, clear, fmtNum, stateBox } from '../util.js';
import { chartBox, draw, asNumber } from '../charts.js';

export async function render(root, [runId], params, stale) {
  const metricSel = h('select', { id: 'tuning-metric', 'aria-label': 'Objective metric' });
  const dirSel = h('select', { id: 'tuning-direction', 'aria-label': 'Direction' }, h('option', { value: 'min' }, 'minimize'), h('option', { value: 'max' }, 'maximize'));
  const body = h('div');
  const title = h('h1', {}, 'Tuning');
  const crumbs = h('div', { class: 'crumbs' });
  root.append(crumbs, title, h('div', { class: 'toolbar' },
    h('label', { class: 'inline', for: 'tuning-metric' }, 'Objective ', metricSel),
    h('label', { class: 'inline', for: 'tuning-direction' }, 'Direction ', dirSel)), body);
  if (params.get('direction')) dirSel.value = params.get('direction');

  async function refresh(metric) {
    let d;
    try { d = await cairn('tuning', { run_id: runId, metric, direction: dirSel.value }); }
    catch (e) { clear(body).append(stateBox(`Could not load the tuning data: ${e.message}`, 'error')); return; }
    if (stale()) return;
    let expName = `Experiment ${d.parent.experiment_id}`;
    try { expName = (await mlflow.get('experiments/get', { experiment_id: d.parent.experiment_id })).experiment.name; } catch { /* keep the id */ }
    clear(crumbs).append(h('a', { href: '#/experiments' }, 'Experiments'), ' / ', h('a', { href: `#/experiments/${d.parent.experiment_id}` }, expName), ' / ',
      h('a', { href: `#/runs/${d.parent.run_id}` }, d.parent.name || d.parent.run_id), ' / ');
    title.textContent = `Tuning: ${d.parent.name || d.parent.run_id}`;
    clear(metricSel).append(...d.metrics.map((m) => h('option', { value: m, selected: m === d.metric }, m)));
    clear(body);
    if (!d.trials.length) { body.append(stateBox('This run has no child runs (trials).')); return; }
    if (!d.history.length) { body.append(stateBox(`No trial has a finite value of '${d.metric}'.`)); return; }
    const best = d.best;
    body.append(h('p', { id: 'tuning-summary' }, `${d.trials.length} trials · ${d.history.length} with ${d.metric} · best ${d.metric} = `,
      h('strong', {}, fmtNum(best.value)), ' at trial ', String(best.number), ' (', h('a', { href: `#/runs/${best.run_id}` }, 'open run'), ')',
      h('span', { class: 'muted' }, ` · computed in ${d.server_ms} ms on the server`)));

    const byNumber = new Map(d.trials.map((t) => [t.number, t]));
    const hist = chartBox('Optimization history'); hist.id = 'chart-tuning-history';
    const imp = chartBox('Parameter importance', 'chart small'); imp.id = 'chart-importance';
    const slices = h('div', { class: 'slices', id: 'slices' });
    body.append(h('div', { class: 'cols-2' },
      h('section', { 'aria-labelledby': 'h-th' }, h('h2', { id: 'h-th' }, 'Optimization history'), h('div', { class: 'card' }, hist)),
      h('section', { 'aria-labelledby': 'h-ti' }, h('h2', { id: 'h-ti' }, 'Parameter importance'), h('div', { class: 'card' }, imp),
        h('p', { class: 'hint' }, 'Mean decrease in impurity of a 64-tree random forest fitted on the server to predict the objective from the parameters (normalised to sum to 1).'))),
    h('section', { 'aria-labelledby': 'h-ts' }, h('h2', { id: 'h-ts' }, 'Slice plots'), slices),
    // The history as text, for screen readers and for reading exact values.
    h('details', { id: 'history-table' }, h('summary', {}, `Optimization history as a table (${d.history.length} trials)`),
      h('table', { class: 'grid' },
        h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Trial'), h('th', { scope: 'col' }, 'Run'),
          h('th', { scope: 'col', class: 'num' }, d.metric), h('th', { scope: 'col', class: 'num' }, 'Best so far'))),
        h('tbody', {}, d.history.map((p) => {
          const t = byNumber.get(p.number);
          return h('tr', { class: p.number === best.number ? 'sel' : '' }, h('td', {}, String(p.number)),
            h('td', {}, h('a', { href: `#/runs/${t.run_id}` }, t.name || t.run_id)),
            h('td', { class: 'num' }, fmtNum(p.value)), h('td', { class: 'num' }, fmtNum(p.best)));
        })))));

    await draw(hist, {
      grid: { left: 60, right: 20, top: 30, bottom: 40 },
      legend: { top: 0 },
      tooltip: { trigger: 'item', formatter: (p) => `trial ${p.value[0]}<br>${p.seriesName}: ${fmtNum(p.value[1])}` },
      xAxis: { type: 'value', name: 'trial', nameLocation: 'middle', nameGap: 24, minInterval: 1 },
      yAxis: { type: 'value', scale: true, name: d.metric },
      series: [
        { type: 'scatter', name: d.metric, data: d.history.map((p) => [p.number, p.value]), symbolSize: 7 },
        { type: 'line', name: 'best so far', step: 'end', data: d.history.map((p) => [p.number, p.best]), showSymbol: false, lineStyle: { width: 2 } },
      ],
    });
    const ranked = [...d.importance].reverse();
    await draw(imp, {
      grid: { left: 120, right: 30, top: 10, bottom: 30 },
      tooltip: {},
      xAxis: { type: 'value', max: 1 },
      yAxis: { type: 'category', data: ranked.map((r) => r.param) },
      series: [{ type: 'bar', name: 'importance', data: ranked.map((r) => Number(r.importance.toFixed(4))), label: { show: true, position: 'right', formatter: (p) => p.value.toFixed(2) } }],
    });
    const order = d.importance.map((r) => r.param);
    for (const p of order) {
      const box = chartBox(`Slice plot of ${p}`, 'chart small');
      box.dataset.param = p;
      slices.append(h('div', { class: 'card' }, h('h3', {}, p), box));
      const pts = d.history.map((hp) => [byNumber.get(hp.number).params[p], hp.value, hp.number]).filter((x) => x[0] !== undefined);
      const numeric = pts.every((x) => asNumber(x[0]) !== null);
      const cats = [...new Set(pts.map((x) => String(x[0])))].sort();
      await draw(box, {
        grid: { left: 56, right: 16, top: 10, bottom: 30 },
        tooltip: { formatter: (q) => `trial ${q.value[2]}<br>${p} = ${q.value[0]}<br>${d.metric} = ${fmtNum(q.value[1])}` },
        xAxis: numeric ? { type: 'value', scale: true } : { type: 'category', data: cats },
        yAxis: { type: 'value', scale: true },
        visualMap: { show: false, dimension: 2, min: 0, max: Math.max(1, d.trials.length - 1), inRange: { color: ['#93c5fd', '#1e3a8a'] } },
        series: [{ type: 'scatter', data: pts.map((x) => [numeric ? asNumber(x[0]) : String(x[0]), x[1], x[2]]), symbolSize: 7 }],
      });
    }
  }
  metricSel.addEventListener('change', () => refresh(metricSel.value));
  dirSel.addEventListener('change', () => refresh(metricSel.value));
  await refresh(params.get('metric') || '');
}
