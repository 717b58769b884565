// Registered models list: search by name (`name ILIKE '%…%'`), paged with the
// registry's page tokens; latest version, aliases, last modified, description.
import { mlflow } from '../api.js';
import { h, clear, fmtAgo, fmtTime, debounce, stateBox, quote } from '../util.js';
import { modelHref, versionHref, aliasPills, latestVersion } from './registry-util.js';

const PAGE = 50;

export async function render(root, _m, params) {
  const search = h('input', { type: 'search', id: 'model-search', placeholder: 'Search models by name', 'aria-label': 'Search models by name', value: params.get('q') || '' });
  const msg = h('div', { role: 'alert' });
  const body = h('div');
  const pager = h('div', { class: 'toolbar', id: 'models-pager' });
  root.append(h('h1', {}, 'Registered models'), h('div', { class: 'toolbar' }, h('div', { class: 'grow' }, search)), msg, body, pager);

  // Tokens of the pages before the current one, so "Previous" can go back
  // (the registry's tokens only point forward).
  let tokens = [];
  let current = '';
  let seq = 0;

  async function load(token) {
    const mine = ++seq;
    const q = search.value.trim();
    try {
      const res = await mlflow.get('registered-models/search', {
        filter: q ? `name ILIKE ${quote(`%${q}%`)}` : '', max_results: PAGE, page_token: token,
      });
      if (mine !== seq) return; // a newer search is in flight
      current = token;
      clear(msg);
      show(res.registered_models || [], q);
      clear(pager);
      if (tokens.length) pager.append(h('button', { id: 'models-prev', onclick: () => load(tokens.pop()) }, 'Previous page'));
      if (res.next_page_token) pager.append(h('button', { id: 'models-next', onclick: () => { tokens.push(current); load(res.next_page_token); } }, 'Next page'));
    } catch (e) {
      if (mine === seq) clear(msg).append(h('div', { class: 'error-box' }, e.message));
    }
  }

  function show(models, q) {
    clear(body);
    if (!models.length) {
      body.append(stateBox(q ? `No model matches '${q}'.` : 'No registered models yet. Register a run\'s model with an MLflow client (mlflow.register_model).'));
      return;
    }
    const rows = models.map((m) => {
      const latest = latestVersion(m.latest_versions);
      return h('tr', { 'data-model': m.name },
        h('td', {}, h('a', { href: modelHref(m.name) }, m.name)),
        h('td', {}, latest ? h('a', { href: versionHref(m.name, latest) }, `Version ${latest}`) : '—'),
        h('td', {}, aliasPills(m.name, m.aliases)),
        h('td', { title: fmtTime(m.last_updated_timestamp) }, fmtAgo(m.last_updated_timestamp)),
        h('td', { class: 'desc' }, m.description || ''));
    });
    body.append(h('table', { class: 'grid', id: 'models' },
      h('thead', {}, h('tr', {}, ['Name', 'Latest version', 'Aliases', 'Last modified', 'Description'].map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, rows)));
  }

  search.addEventListener('input', debounce(() => { tokens = []; load(''); }, 200));
  await load('');
}
