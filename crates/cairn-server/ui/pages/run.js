// Run page: info, parent/children, params, editable tags, metric charts, artifacts.
import { cairn, mlflow, artifactUrl } from '../api.js';
import { h, clear, fmtTime, fmtDuration, fmtNum, stateBox, quote } from '../util.js';
import { chartBox, drawLines, smooth, loadUPlot } from '../charts.js';

const TEXT = /\.(txt|log|md|yaml|yml|csv|tsv|py|json|html|htm|svg|xml|cfg|ini|toml|sh|r|sql|js|ts|rs|mlmodel)$|(^|\/)MLmodel$/i;
const IMAGE = /\.(png|jpe?g|gif|webp)$/i;

export async function render(root, [runId], _params, stale) {
  loadUPlot().catch(() => { /* reported by the chart that needs it */ }); // overlap the download with the data requests
  let run;
  try { run = (await mlflow.get('runs/get', { run_id: runId })).run; }
  catch (e) { root.append(stateBox(`Could not load run ${runId}: ${e.message}`, 'error')); return; }
  if (stale()) return;
  const info = run.info;
  const tags = Object.fromEntries((run.data.tags || []).map((t) => [t.key, t.value]));
  const expId = info.experiment_id;
  const expLink = h('a', { href: `#/experiments/${expId}` }, `Experiment ${expId}`);
  mlflow.get('experiments/get', { experiment_id: expId })
    .then((r) => { expLink.textContent = r.experiment.name; })
    .catch(() => { /* keep the id */ });
  const parent = tags['mlflow.parentRunId'];

  const children = h('div', { id: 'children' }, h('span', { class: 'muted' }, 'Loading…'));
  root.append(
    h('div', { class: 'crumbs' }, h('a', { href: '#/experiments' }, 'Experiments'), ' / ', expLink, ' / '),
    h('h1', {}, info.run_name || info.run_id, ' ', h('span', { class: `status ${info.status}` }, info.status)),
    h('div', { class: 'cols-2' },
      h('section', { 'aria-labelledby': 'h-info' }, h('h2', { id: 'h-info' }, 'Details'),
        h('table', { class: 'grid kv' }, h('tbody', {},
          kv('Run ID', h('span', { class: 'mono' }, info.run_id)),
          kv('Status', info.status),
          kv('Started', fmtTime(info.start_time)),
          kv('Ended', fmtTime(info.end_time)),
          kv('Duration', fmtDuration(info.start_time, info.end_time, info.status)),
          kv('User', tags['mlflow.user'] || info.user_id || '—'),
          kv('Source', tags['mlflow.source.name'] || '—'),
          kv('Git commit', tags['mlflow.source.git.commit'] || '—'),
          kv('Lifecycle', info.lifecycle_stage),
          kv('Parent run', parent ? h('a', { href: `#/runs/${parent}`, id: 'parent-link' }, parent) : '—'),
          kv('Child runs', children)))),
      h('section', { 'aria-labelledby': 'h-params' }, h('h2', { id: 'h-params' }, `Parameters (${(run.data.params || []).length})`),
        (run.data.params || []).length
          ? h('table', { class: 'grid', id: 'params' }, h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Name'), h('th', { scope: 'col' }, 'Value'))),
            h('tbody', {}, run.data.params.map((p) => h('tr', {}, h('td', {}, p.key), h('td', { class: 'mono' }, p.value)))))
          : stateBox('No parameters logged.'))));

  // children (first 100) + tuning link
  cairn('runs', { experiment_id: expId, filter: `tags.\`mlflow.parentRunId\` = ${quote(info.run_id)}`, order_by: 'attributes.start_time ASC', limit: 100 })
    .then((page) => {
      clear(children);
      if (!page.rows.length) { children.append('—'); return; }
      children.append(h('a', { class: 'btn', id: 'tuning-link', href: `#/tuning/${info.run_id}` }, `Tuning view of ${page.rows.length}${page.next_offset != null ? '+' : ''} trials`), ' ',
        h('a', { class: 'btn', href: `#/compare?experiment=${expId}&runs=${page.rows.map((r) => r.id).join(',')}` }, 'Compare children'),
        h('ul', {}, page.rows.slice(0, 10).map((r) => h('li', {}, h('a', { href: `#/runs/${r.id}` }, r.name || r.id)))),
        page.rows.length > 10 ? h('span', { class: 'muted' }, `…and ${page.rows.length - 10} more`) : null);
    })
    .catch((e) => clear(children).append(h('span', { class: 'error' }, e.message)));

  // ---- metrics
  const metrics = run.data.metrics || [];
  const metricSec = h('section', { 'aria-labelledby': 'h-metrics' }, h('h2', { id: 'h-metrics' }, `Metrics (${metrics.length})`));
  root.append(metricSec);
  if (!metrics.length) metricSec.append(stateBox('No metrics logged.'));
  else {
    const xSel = h('select', { id: 'x-axis', 'aria-label': 'X axis' }, h('option', { value: 'step' }, 'Step'), h('option', { value: 'wall' }, 'Wall time'), h('option', { value: 'relative' }, 'Relative time'));
    const logBox = h('input', { type: 'checkbox', id: 'log-scale' });
    const smoothIn = h('input', { type: 'range', id: 'smoothing', min: '0', max: '0.99', step: '0.01', value: '0', 'aria-label': 'Smoothing' });
    const smoothOut = h('output', { for: 'smoothing' }, '0');
    const charts = h('div', { class: 'charts', id: 'metric-charts' });
    const picked = new Set(metrics.slice(0, 6).map((m) => m.key));
    const table = h('table', { class: 'grid', id: 'metrics' },
      h('thead', {}, h('tr', {}, ['Chart', 'Name', 'Latest value', 'Step'].map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, metrics.map((m) => h('tr', {},
        h('td', {}, h('input', { type: 'checkbox', checked: picked.has(m.key), 'aria-label': `Chart ${m.key}`, onchange: (e) => { e.target.checked ? picked.add(m.key) : picked.delete(m.key); redraw(); } })),
        h('td', {}, m.key), h('td', { class: 'num' }, fmtNum(m.value)), h('td', { class: 'num' }, String(m.step ?? 0))))));
    metricSec.append(table,
      h('div', { class: 'toolbar' },
        h('label', { class: 'inline', for: 'x-axis' }, 'X axis ', xSel),
        h('label', { class: 'inline', for: 'log-scale' }, logBox, 'Log scale'),
        h('label', { class: 'inline', for: 'smoothing' }, 'Smoothing ', smoothIn, smoothOut)),
      charts);
    const cache = new Map();
    async function redraw() {
      const x = xSel.value;
      const w = Number(smoothIn.value);
      smoothOut.textContent = String(w);
      const keys = metrics.map((m) => m.key).filter((k) => picked.has(k));
      const boxes = new Map([...charts.children].map((c) => [c.dataset.key, c]));
      for (const [k, box] of boxes) if (!picked.has(k)) box.remove();
      const axis = x === 'step' ? 'step' : 'time';
      for (const key of keys) { // request every series at once; draw as they arrive
        const ck = `${key}|${axis}`;
        if (!cache.has(ck)) cache.set(ck, cairn('metric-series', { run_ids: info.run_id, key, x: axis, buckets: 1000 }));
      }
      for (const key of keys) {
        let box = boxes.get(key);
        if (!box) {
          box = h('div', { class: 'card', 'data-key': key }, h('h3', {}, key), chartBox(`History of metric ${key}`), h('div', { class: 'hint' }));
          charts.append(box);
        }
        const ck = `${key}|${axis}`;
        try {
          const res = await cache.get(ck);
          if (stale()) return;
          const s = res.series[0];
          let pts = s.points;
          if (x === 'relative') pts = pts.map(([t, y]) => [(t - s.first_time) / 1000, y]);
          const series = [];
          if (w) series.push({ name: `${key} (raw)`, ys: pts.map((p) => p[1]), faint: true });
          series.push({ name: key, ys: smooth(pts, w).map((p) => p[1]) });
          await drawLines(box.children[1], {
            xs: pts.map((p) => p[0]), series, x, log: logBox.checked,
            xLabel: x === 'relative' ? 'seconds' : x === 'wall' ? 'wall time' : 'step',
          });
          box.children[2].textContent = s.total_points > s.points.length
            ? `${s.total_points.toLocaleString()} points, drawn as ${s.points.length.toLocaleString()} (min/max per bucket)` : `${s.total_points} points`;
        } catch (e) { cache.delete(ck); box.children[2].textContent = `Could not load: ${e.message}`; }
      }
    }
    xSel.addEventListener('change', () => redraw());
    logBox.addEventListener('change', () => redraw());
    smoothIn.addEventListener('input', () => redraw());
    redraw();
  }

  // ---- tags
  const tagSec = h('section', { 'aria-labelledby': 'h-tags' }, h('h2', { id: 'h-tags' }, 'Tags'));
  root.append(tagSec);
  const tagBody = h('tbody');
  const tagErr = h('div', { role: 'alert' });
  function renderTags() {
    clear(tagBody);
    const keys = Object.keys(tags).sort((a, b) => (a.startsWith('mlflow.') - b.startsWith('mlflow.')) || a.localeCompare(b));
    if (!keys.length) tagBody.append(h('tr', {}, h('td', { colspan: 3, class: 'muted' }, 'No tags.')));
    for (const k of keys) {
      const sys = k.startsWith('mlflow.');
      tagBody.append(h('tr', {}, h('td', { class: sys ? 'muted' : '' }, k), h('td', { class: 'mono' }, tags[k]),
        h('td', {}, sys ? '' : [
          h('button', { class: 'link', 'aria-label': `Edit tag ${k}`, onclick: () => { keyIn.value = k; valIn.value = tags[k]; valIn.focus(); } }, 'Edit'), ' ',
          h('button', { class: 'link', 'aria-label': `Delete tag ${k}`, onclick: async () => {
            try { await mlflow.post('runs/delete-tag', { run_id: info.run_id, key: k }); delete tags[k]; renderTags(); clear(tagErr); }
            catch (e) { clear(tagErr).append(h('div', { class: 'error-box' }, e.message)); }
          } }, 'Delete')])));
    }
  }
  const keyIn = h('input', { type: 'text', id: 'tag-key', placeholder: 'key' });
  const valIn = h('input', { type: 'text', id: 'tag-value', placeholder: 'value' });
  tagSec.append(h('table', { class: 'grid', id: 'tags' }, h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Key'), h('th', { scope: 'col' }, 'Value'), h('th', { scope: 'col' }, 'Actions'))), tagBody),
    h('form', { class: 'toolbar', onsubmit: async (e) => {
      e.preventDefault();
      try {
        await mlflow.post('runs/set-tag', { run_id: info.run_id, key: keyIn.value.trim(), value: valIn.value });
        tags[keyIn.value.trim()] = valIn.value; keyIn.value = ''; valIn.value = ''; clear(tagErr); renderTags();
      } catch (x) { clear(tagErr).append(h('div', { class: 'error-box' }, x.message)); }
    } }, h('label', { for: 'tag-key' }, 'Key'), keyIn, h('label', { for: 'tag-value' }, 'Value'), valIn, h('button', { type: 'submit' }, 'Set tag')),
    tagErr);
  renderTags();

  // ---- artifacts
  const artSec = h('section', { 'aria-labelledby': 'h-arts' }, h('h2', { id: 'h-arts' }, 'Artifacts'));
  const tree = h('div', { id: 'artifact-tree' });
  const preview = h('div', { id: 'artifact-preview', 'aria-live': 'polite' }, stateBox('Select a file to preview it.'));
  artSec.append(h('div', { class: 'arts' }, tree, preview));
  root.append(artSec);
  async function listDir(path, into) {
    try {
      const res = await mlflow.get('artifacts/list', { run_id: info.run_id, path });
      const files = res.files || [];
      if (!files.length && !path) { into.append(stateBox('No artifacts.')); return; }
      const ul = h('ul', { role: path ? 'group' : 'tree', 'aria-label': path ? undefined : 'Artifacts' });
      for (const f of files.sort((a, b) => (b.is_dir - a.is_dir) || a.path.localeCompare(b.path))) {
        const name = f.path.split('/').pop();
        const li = h('li', { role: 'treeitem', 'aria-expanded': f.is_dir ? 'false' : undefined });
        const btn = h('button', { 'data-path': f.path, onclick: async () => {
          if (f.is_dir) {
            const open = li.getAttribute('aria-expanded') === 'true';
            li.setAttribute('aria-expanded', String(!open));
            btn.textContent = `${open ? '▸' : '▾'} ${name}/`;
            if (open) li.querySelector('ul')?.remove(); else await listDir(f.path, li);
          } else {
            tree.querySelectorAll('button[aria-current]').forEach((b) => b.removeAttribute('aria-current'));
            btn.setAttribute('aria-current', 'true');
            show(f);
          }
        } }, f.is_dir ? `▸ ${name}/` : name);
        li.append(btn, f.is_dir ? '' : h('span', { class: 'muted' }, ` ${size(f.file_size)}`));
        ul.append(li);
      }
      into.append(ul);
    } catch (e) { into.append(h('div', { class: 'error-box' }, `Could not list artifacts: ${e.message}`)); }
  }
  async function show(f) {
    const url = artifactUrl(info.run_id, f.path);
    const head = h('div', { class: 'toolbar' }, h('strong', {}, f.path), h('a', { class: 'btn', href: url, download: f.path.split('/').pop() }, 'Download'));
    clear(preview).append(head);
    if (IMAGE.test(f.path)) { preview.append(h('img', { class: 'preview', src: url, alt: `Artifact ${f.path}` })); return; }
    if (!TEXT.test(f.path)) { preview.append(stateBox('No preview for this file type; download it instead.')); return; }
    if (Number(f.file_size) > 2_000_000) { preview.append(stateBox('File too large to preview (over 2 MB); download it instead.')); return; }
    try {
      const res = await fetch(url);
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      let text = await res.text();
      if (/\.json$/i.test(f.path)) { try { text = JSON.stringify(JSON.parse(text), null, 2); } catch { /* show raw */ } }
      preview.append(h('pre', { class: 'preview', tabindex: '0' }, text));
    } catch (e) { preview.append(stateBox(`Could not load: ${e.message}`, 'error')); }
  }
  listDir('', tree);
}

function kv(k, v) { return h('tr', {}, h('td', {}, k), h('td', {}, v)); }
function size(n) {
  if (n === undefined || n === null) return '';
  n = Number(n);
  if (n < 1024) return `${n} B`;
  if (n < 1048576) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1048576).toFixed(1)} MB`;
}
