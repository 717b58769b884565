// Experiment runs table: server-side filter/sort/paging, nested-run tree,
// column show/hide/pin, selection for compare, virtual scrolling, and
// auto-refresh of running runs.
//
// The tree: every page comes with the ancestors of its rows that are not on
// it (`nest=1`), so a child is always drawn under its parent, whatever page
// the parent itself would fall on. The top level lists the root of each
// matching run, in the order of its first matching descendant (so sorting
// by a metric brings the best run's parent first). Expanding fetches the
// node's children (those matching the filter, when one is set). With a
// filter, ancestors that do not match are shown dimmed and open.
import { cairn, mlflow } from '../api.js';
import { h, clear, fmtTime, fmtDuration, fmtNum, stateBox, bq, quote, load, save } from '../util.js';

const PAGE = 500;
const ATTRS = [
  { id: 'attr:name', label: 'Run name', width: 260, sort: 'attributes.run_name' },
  { id: 'attr:status', label: 'Status', width: 96, sort: 'attributes.status' },
  { id: 'attr:start', label: 'Started', width: 172, sort: 'attributes.start_time', desc: true },
  { id: 'attr:duration', label: 'Duration', width: 100, sort: 'attributes.duration', desc: true },
  { id: 'attr:user', label: 'User', width: 110, sort: 'attributes.user_id' },
  { id: 'attr:source', label: 'Source', width: 160, sort: 'tags.`mlflow.source.name`' },
];

export async function render(root, [expId], params, stale) {
  let experiment;
  try {
    experiment = (await mlflow.get('experiments/get', { experiment_id: expId })).experiment;
  } catch (e) {
    root.append(stateBox(`Could not load experiment ${expId}: ${e.message}`, 'error'));
    return;
  }
  const prefsKey = `cairn.cols.${expId}`;
  const prefs = load(prefsKey, { hidden: [], pinned: ['attr:name'] });
  const st = {
    filter: params.get('filter') || '',
    sort: null, // {col, dir}
    rows: [], nextOffset: null, loading: false,
    byId: new Map(), // every run known: matching rows, their ancestors, fetched children
    matched: new Set(), // ids that match the current filter
    kids: new Map(), // id -> ordered child ids known so far
    kidState: new Map(), // id -> 'loading' | 'done' | {error}
    keys: { params: new Set(), metrics: new Set(), tags: new Set() },
    hidden: new Set(prefs.hidden), pinned: new Set(prefs.pinned),
    expanded: new Set(), userClosed: new Set(), selected: new Set(),
    nest: true, rowH: 31, serverMs: null,
  };

  // ---- toolbar
  const filterInput = h('input', {
    type: 'text', class: 'filter', id: 'run-filter', value: st.filter, spellcheck: false,
    placeholder: "metrics.rmse < 1 and (params.model = 'tree' or params.maxDepth = '6')",
    'aria-label': 'Filter runs (MLflow search syntax)', 'aria-describedby': 'filter-error filter-hint',
  });
  const filterError = h('div', { id: 'filter-error', role: 'alert' });
  const info = h('span', { class: 'muted', id: 'runs-info', 'aria-live': 'polite' });
  const nestBox = h('input', { type: 'checkbox', id: 'nest', checked: true });
  const compareBtn = h('button', { id: 'compare-selected', disabled: true, onclick: () => { location.hash = `#/compare?experiment=${expId}&runs=${[...st.selected].join(",")}`; } }, 'Compare selected');
  const colsBtn = h('button', { id: 'columns-btn', 'aria-expanded': 'false', 'aria-controls': 'columns-panel' }, 'Columns');
  const colsPanel = h('div', { class: 'panel', id: 'columns-panel', hidden: true });
  const wrap = h('div', { class: 'table-wrap', id: 'runs-wrap', tabindex: '0', 'aria-label': 'Runs table' });
  const table = h('table', { class: 'runs', id: 'runs-table' });
  wrap.append(table);

  root.append(
    h('div', { class: 'crumbs' }, h('a', { href: '#/experiments' }, 'Experiments'), ' / '),
    h('h1', {}, experiment.name, ' ', h('span', { class: 'muted mono' }, `#${experiment.experiment_id}`)),
    h('form', { class: 'toolbar', role: 'search', onsubmit: (e) => { e.preventDefault(); applyFilter(); } },
      h('div', { class: 'grow' }, filterInput),
      h('button', { class: 'primary', type: 'submit' }, 'Search'),
      h('button', { type: 'button', onclick: () => { filterInput.value = ''; applyFilter(); } }, 'Clear')),
    filterError,
    h('div', { id: 'filter-hint', class: 'hint' },
      "Examples: metrics.acc > 0.9 · params.maxDepth = '6' · tags.`mlflow.user` = 'me' · attributes.status = 'RUNNING' · combine with AND, OR and parentheses."),
    h('div', { class: 'toolbar' },
      h('label', { class: 'inline', for: 'nest' }, nestBox, 'Nest child runs'),
      h('span', { class: 'rel' }, colsBtn, colsPanel),
      compareBtn,
      h('button', { id: 'compare-all', onclick: () => { location.hash = `#/compare?experiment=${expId}&filter=${encodeURIComponent(st.filter)}`; } }, 'Compare all matching'),
      h('button', { onclick: () => reload() }, 'Refresh'),
      info),
    wrap);

  // ---- columns
  function columns() {
    const cols = [...ATTRS];
    for (const k of [...st.keys.params].sort()) cols.push({ id: `param:${k}`, grp: 'param', label: k, width: 120, sort: `params.${bq(k)}` });
    for (const k of [...st.keys.metrics].sort()) cols.push({ id: `metric:${k}`, grp: 'metric', label: k, width: 110, sort: `metrics.${bq(k)}`, num: true });
    for (const k of [...st.keys.tags].sort()) cols.push({ id: `tag:${k}`, grp: 'tag', label: k, width: 120, sort: `tags.${bq(k)}` });
    const shown = cols.filter((c) => !st.hidden.has(c.id));
    const pinned = shown.filter((c) => st.pinned.has(c.id));
    return [...pinned.map((c) => ({ ...c, pin: true })), ...shown.filter((c) => !st.pinned.has(c.id))];
  }
  function savePrefs() { save(prefsKey, { hidden: [...st.hidden], pinned: [...st.pinned] }); }

  function cellValue(row, col) {
    const [kind, key] = [col.id.slice(0, col.id.indexOf(':')), col.id.slice(col.id.indexOf(':') + 1)];
    if (kind === 'param') return row.params[key] ?? '';
    if (kind === 'metric') return fmtNum(row.metrics[key]);
    if (kind === 'tag') return row.tags[key] ?? '';
    switch (key) {
      case 'status': return row.status;
      case 'start': return fmtTime(row.start);
      case 'duration': return fmtDuration(row.start, row.end, row.status);
      case 'user': return row.user || '';
      case 'source': return row.source || '';
      default: return row.name;
    }
  }

  // ---- the tree
  /** Record runs; `matched`: they match the current filter (page rows, filtered children). */
  function remember(rows, matched) {
    for (const r of rows) {
      const known = st.byId.get(r.id);
      if (known) Object.assign(known, r); else st.byId.set(r.id, r);
      if (matched) st.matched.add(r.id);
      if (r.parent && r.parent !== r.id) {
        const list = st.kids.get(r.parent) || [];
        if (!list.includes(r.id)) { list.push(r.id); st.kids.set(r.parent, list); }
      }
    }
  }
  /** Ancestors fetched for context; with a filter they open so the matches show. */
  function rememberParents(rows) {
    remember(rows, !st.filter);
    if (st.filter) for (const r of rows) if (!st.userClosed.has(r.id)) st.expanded.add(r.id);
  }
  function rootOf(row) {
    let cur = row;
    for (let i = 0; i < 32 && cur.parent && st.byId.has(cur.parent); i++) cur = st.byId.get(cur.parent);
    return cur;
  }
  function flat() {
    const out = [];
    if (!st.nest) { for (const row of st.rows) out.push({ row, level: 0 }); return out; }
    const seen = new Set();
    const push = (row, level) => {
      if (seen.has(row.id)) return; // parent-tag cycles, repeated roots
      seen.add(row.id);
      out.push({ row, level });
      if (!st.expanded.has(row.id)) return;
      for (const id of st.kids.get(row.id) || []) { const k = st.byId.get(id); if (k) push(k, level + 1); }
      const ks = st.kidState.get(row.id);
      if (ks === 'loading') out.push({ placeholder: 'Loading child runs…', level: level + 1 });
      else if (ks && ks.error) out.push({ placeholder: ks.error, level: level + 1 });
    };
    for (const row of st.rows) push(rootOf(row), 0);
    return out;
  }

  // ---- rendering
  let cols = [];
  let items = [];
  function renderHead() {
    cols = columns();
    let left = 36;
    const widths = [36, ...cols.map((c) => c.width)];
    table.style.width = `${widths.reduce((a, b) => a + b, 0)}px`;
    const colgroup = h('colgroup', {}, widths.map((w) => h('col', { style: { width: `${w}px` } })));
    const allSel = h('input', { type: 'checkbox', 'aria-label': 'Select all loaded runs', onchange: (e) => {
      for (const { row } of items) if (row) (e.target.checked ? st.selected.add(row.id) : st.selected.delete(row.id));
      updateSelection(); renderBody();
    } });
    const ths = [h('th', { class: 'pinned cb', style: { left: '0px' }, scope: 'col' }, allSel)];
    for (const c of cols) {
      const active = st.sort && st.sort.col === c.id;
      const ariaSort = active ? (st.sort.dir === 'ASC' ? 'ascending' : 'descending') : (!st.sort && c.id === 'attr:start' ? 'descending' : 'none');
      const arrow = ariaSort === 'ascending' ? ' ▲' : ariaSort === 'descending' ? ' ▼' : '';
      const th = h('th', { scope: 'col', 'aria-sort': ariaSort, title: c.grp ? `${c.grp}s.${c.label}` : c.label, 'data-col': c.id,
        class: c.pin ? 'pinned' : '', style: c.pin ? { left: `${left}px` } : {} },
        c.sort ? h('button', { class: 'sort', onclick: () => sortBy(c) }, arrow ? `${arrow.trim()} ` : null, c.grp ? h('span', { class: 'grp' }, c.grp) : null, c.label)
          : [c.label]);
      if (c.pin) left += c.width;
      ths.push(th);
    }
    cols.forEach((c, i) => { c.left = c.pin ? ths[i + 1].style.left : null; });
    const tbody = h('tbody');
    clear(table).append(colgroup, h('thead', {}, h('tr', {}, ths)), tbody);
    renderBody();
  }

  function rowEl({ row, level, placeholder }) {
    if (placeholder) {
      return h('tr', {}, h('td', { class: 'pinned', style: { left: '0px' } }),
        h('td', { colspan: cols.length, class: 'muted' }, h('span', { class: 'tree-pad', style: { width: `${level * 18}px` } }), placeholder));
    }
    const sel = st.selected.has(row.id);
    const tds = [h('td', { class: 'pinned cb', style: { left: '0px' } },
      h('input', { type: 'checkbox', checked: sel, 'aria-label': `Select run ${row.name}`, onchange: (e) => {
        e.target.checked ? st.selected.add(row.id) : st.selected.delete(row.id); updateSelection(); renderBody();
      } }))];
    for (const c of cols) {
      const style = c.pin ? { left: c.left } : {};
      const cls = `${c.pin ? 'pinned ' : ''}${c.num ? 'num' : ''}`;
      if (c.id === 'attr:name') {
        const open = st.expanded.has(row.id);
        tds.push(h('td', { class: cls, style, title: row.name },
          h('span', { class: 'tree-pad', style: { width: `${level * 18}px` } }),
          row.children > 0
            ? h('button', { class: 'exp', 'aria-expanded': String(open), 'aria-label': `${open ? 'Collapse' : 'Expand'} ${row.children} child runs of ${row.name}`, onclick: () => toggle(row) }, open ? '−' : '+')
            : h('span', { class: 'tree-pad', style: { width: '24px' } }),
          h('a', { href: `#/runs/${row.id}` }, row.name || row.id),
          row.children > 0 ? [' ', h('span', { class: 'pill' }, `${row.children}`)] : null,
          st.nest && level === 0 && row.parent ? [' ', h('a', { class: 'pill', href: `#/runs/${row.parent}`, title: 'Parent run' }, '↑ parent')] : null));
      } else if (c.id === 'attr:status') {
        tds.push(h('td', { class: cls, style }, h('span', { class: `status ${row.status}` }, row.status)));
      } else {
        const v = cellValue(row, c);
        tds.push(h('td', { class: cls, style, title: v }, v));
      }
    }
    const context = st.filter && !st.matched.has(row.id);
    return h('tr', { class: `${sel ? 'sel' : ''}${context ? ' context' : ''}`, 'data-run': row.id, 'data-level': level,
      title: context ? 'Does not match the filter: shown as the parent of matching runs' : null }, tds);
  }

  let raf = 0;
  function renderBody() {
    const tbody = table.tBodies[0];
    if (!tbody) return;
    const t0 = performance.now();
    // Rows are rebuilt: keep keyboard focus on the same control of the same run.
    const act = document.activeElement;
    const focusTr = act && tbody.contains(act) ? act.closest('tr[data-run]') : null;
    const focusSel = focusTr && `tr[data-run="${focusTr.dataset.run}"] ${act.matches('button.exp') ? 'button.exp' : act.matches('input') ? 'input' : 'a'}`;
    items = flat();
    const first = Math.max(0, Math.floor(wrap.scrollTop / st.rowH) - 10);
    const count = Math.ceil(wrap.clientHeight / st.rowH) + 20;
    const last = Math.min(items.length, first + count);
    const span = cols.length + 1;
    const frag = document.createDocumentFragment();
    frag.append(h('tr', { 'aria-hidden': 'true' }, h('td', { class: 'spacer', colspan: span, style: { height: `${first * st.rowH}px` } })));
    for (let i = first; i < last; i++) frag.append(rowEl(items[i]));
    frag.append(h('tr', { 'aria-hidden': 'true' }, h('td', { class: 'spacer', colspan: span, style: { height: `${(items.length - last) * st.rowH}px` } })));
    clear(tbody).append(frag);
    if (focusSel) tbody.querySelector(focusSel)?.focus({ preventScroll: true });
    const measured = tbody.rows[1]?.getBoundingClientRect().height;
    if (measured && Math.abs(measured - st.rowH) > 0.5 && last > first) { st.rowH = measured; }
    info.textContent = `${st.rows.length} matching runs loaded${st.nextOffset != null ? ' (scroll for more)' : ''}` +
      (st.serverMs != null ? ` · server ${st.serverMs} ms` : '');
    window.cairnRenderMs = performance.now() - t0; // read by the UI benchmark
    if (last > items.length - 40 && st.nextOffset != null && !st.loading) loadMore();
  }
  wrap.addEventListener('scroll', () => { cancelAnimationFrame(raf); raf = requestAnimationFrame(renderBody); });

  function updateSelection() {
    compareBtn.disabled = st.selected.size === 0;
    compareBtn.textContent = `Compare selected (${st.selected.size})`;
  }

  // ---- data
  function orderBy() { return st.sort ? `${cols.find((c) => c.id === st.sort.col)?.sort || st.sort.key} ${st.sort.dir}` : ''; }
  function absorb(rows) {
    for (const r of rows) {
      for (const k of Object.keys(r.params)) st.keys.params.add(k);
      for (const k of Object.keys(r.metrics)) st.keys.metrics.add(k);
      for (const k of Object.keys(r.tags)) st.keys.tags.add(k);
    }
  }
  async function fetchPage(offset, filter, order) {
    return cairn('runs', { experiment_id: expId, filter, order_by: order, offset, limit: PAGE, nest: 1 });
  }
  function keyCount() { return st.keys.params.size + st.keys.metrics.size + st.keys.tags.size; }

  /** Load page 0 with the given filter/sort; on error the table stays as it was. */
  async function reload(filter = st.filter, sort = st.sort) {
    const prevSort = st.sort;
    st.sort = sort;
    const order = orderBy();
    st.sort = prevSort;
    st.loading = true;
    try {
      const page = await fetchPage(0, filter, order);
      if (stale()) return false;
      if (filter !== st.filter) { st.expanded.clear(); st.userClosed.clear(); }
      const reopen = [...st.expanded]; // open before this load (not the context rows it opens)
      st.filter = filter; st.sort = sort;
      st.rows = page.rows; st.byId = new Map(); st.matched = new Set(); st.kids = new Map(); st.kidState = new Map();
      remember(page.rows, true);
      rememberParents(page.parents || []);
      st.nextOffset = page.next_offset; st.serverMs = page.server_ms;
      st.keys = { params: new Set(), metrics: new Set(), tags: new Set() };
      absorb(page.rows);
      absorb(page.parents || []);
      // Nodes the user had open stay open: fetch their children again.
      for (const id of reopen) if (st.byId.has(id) && st.byId.get(id).children > 0) fetchKids(id);
      clear(filterError); filterInput.removeAttribute('aria-invalid');
      if (!page.rows.length) {
        renderHead();
        const tb = table.tBodies[0];
        clear(tb).append(h('tr', {}, h('td', { colspan: cols.length + 1 }, filter ? 'No runs match this filter.' : 'No runs in this experiment yet.')));
        info.textContent = '0 runs';
      } else {
        renderHead();
      }
      return true;
    } catch (e) {
      if (stale()) return false;
      clear(filterError).append(h('div', { class: 'error-box' }, e.message));
      filterInput.setAttribute('aria-invalid', 'true');
      return false;
    } finally { st.loading = false; }
  }
  async function loadMore() {
    st.loading = true;
    try {
      const page = await fetchPage(st.nextOffset, st.filter, orderBy());
      if (stale()) return;
      const loaded = new Set(st.rows.map((r) => r.id));
      remember(page.rows, true);
      for (const r of page.rows) if (!loaded.has(r.id)) st.rows.push(st.byId.get(r.id));
      rememberParents(page.parents || []);
      st.nextOffset = page.next_offset; st.serverMs = page.server_ms;
      const before = keyCount();
      absorb(page.rows);
      absorb(page.parents || []);
      if (keyCount() !== before) renderHead(); else renderBody();
    } catch (e) {
      clear(filterError).append(h('div', { class: 'error-box' }, `Could not load more runs: ${e.message}`));
    } finally { st.loading = false; }
  }

  async function toggle(row) {
    if (st.expanded.has(row.id)) { st.expanded.delete(row.id); st.userClosed.add(row.id); renderBody(); return; }
    st.expanded.add(row.id); st.userClosed.delete(row.id);
    renderBody();
    if (st.kidState.get(row.id) !== 'done') await fetchKids(row.id);
  }

  /** Fetch the children of `id` (matching the filter, if any) in the table's order. */
  async function fetchKids(id) {
    if (st.kidState.get(id) === 'loading') return;
    st.kidState.set(id, 'loading');
    const filter = st.filter;
    const parentCond = `tags.\`mlflow.parentRunId\` = ${quote(id)}`;
    try {
      const page = await cairn('runs', {
        experiment_id: expId, filter: filter ? `(${filter}) AND ${parentCond}` : parentCond,
        order_by: orderBy(), limit: 5000, // the table's order, as the matches on its pages
      });
      if (stale() || filter !== st.filter) return;
      remember(page.rows, true);
      // The fetched order wins; children known only as ancestors of matches stay after them.
      const fetched = page.rows.map((r) => r.id);
      st.kids.set(id, [...fetched, ...(st.kids.get(id) || []).filter((k) => !fetched.includes(k))]);
      st.kidState.set(id, 'done');
      const before = keyCount();
      absorb(page.rows);
      if (keyCount() !== before) renderHead(); else renderBody();
    } catch (e) {
      if (stale()) return;
      st.kidState.set(id, { error: `Could not load child runs: ${e.message}` });
      renderBody();
    }
  }

  function sortBy(c) {
    const dir = st.sort && st.sort.col === c.id ? (st.sort.dir === 'DESC' ? 'ASC' : 'DESC') : (c.num || c.desc ? 'DESC' : 'ASC');
    reload(st.filter, { col: c.id, key: c.sort, dir });
  }

  function applyFilter() { reload(filterInput.value.trim(), st.sort); }

  nestBox.addEventListener('change', () => { st.nest = nestBox.checked; renderBody(); });

  // ---- columns panel
  function renderPanel() {
    const q = h('input', { type: 'search', placeholder: 'Find column', 'aria-label': 'Find column' });
    const list = h('tbody');
    const all = [...ATTRS.map((c) => ({ ...c, grp: 'attribute' })),
      ...[...st.keys.params].sort().map((k) => ({ id: `param:${k}`, label: k, grp: 'param' })),
      ...[...st.keys.metrics].sort().map((k) => ({ id: `metric:${k}`, label: k, grp: 'metric' })),
      ...[...st.keys.tags].sort().map((k) => ({ id: `tag:${k}`, label: k, grp: 'tag' }))];
    const fill = () => {
      clear(list);
      for (const c of all.filter((c) => c.label.toLowerCase().includes(q.value.toLowerCase()))) {
        list.append(h('tr', {},
          h('td', {}, h('input', { type: 'checkbox', checked: !st.hidden.has(c.id), 'aria-label': `Show ${c.grp} ${c.label}`,
            onchange: (e) => { e.target.checked ? st.hidden.delete(c.id) : st.hidden.add(c.id); savePrefs(); renderHead(); } })),
          h('td', {}, h('input', { type: 'checkbox', checked: st.pinned.has(c.id), 'aria-label': `Pin ${c.grp} ${c.label}`,
            onchange: (e) => { e.target.checked ? st.pinned.add(c.id) : st.pinned.delete(c.id); savePrefs(); renderHead(); } })),
          h('td', {}, h('span', { class: 'grp pill' }, c.grp), ' ', c.label)));
      }
    };
    q.addEventListener('input', fill);
    fill();
    clear(colsPanel).append(q, h('table', {}, h('thead', {}, h('tr', {}, h('th', {}, 'Show'), h('th', {}, 'Pin'), h('th', {}, 'Column'))), list));
  }
  colsBtn.addEventListener('click', () => {
    const open = colsPanel.hidden;
    if (open) renderPanel();
    colsPanel.hidden = !open;
    colsBtn.setAttribute('aria-expanded', String(open));
  });
  colsPanel.addEventListener('keydown', (e) => { if (e.key === 'Escape') { colsPanel.hidden = true; colsBtn.setAttribute('aria-expanded', 'false'); colsBtn.focus(); } });

  // ---- auto-refresh of running runs
  const timer = setInterval(async () => {
    if (document.hidden || st.loading) return;
    const running = [];
    const each = (r) => { if (r.status === 'RUNNING' || r.status === 'SCHEDULED') running.push(r); };
    st.byId.forEach(each);
    if (!running.length) return;
    const ids = [...new Set(running.map((r) => r.id))].slice(0, 200);
    try {
      const page = await cairn('runs', { experiment_id: expId, filter: `attributes.run_id IN (${ids.map(quote).join(', ')})`, limit: ids.length });
      const fresh = new Map(page.rows.map((r) => [r.id, r]));
      for (const r of running) { const f = fresh.get(r.id); if (f) Object.assign(r, f); }
      const before = keyCount();
      absorb(page.rows);
      if (keyCount() !== before) renderHead(); else renderBody();
    } catch { /* try again next tick */ }
  }, 5000);

  updateSelection();
  const ok = await reload(st.filter, null);
  if (!ok && st.filter) { await reload('', null); }
  return () => clearInterval(timer);
}
