// Registered model page: description, tags, aliases (alias → version) and
// the versions table, newest first, with each version's source run.
import { mlflow } from '../api.js';
import { h, fmtTime, fmtAgo, stateBox, quote } from '../util.js';
import { versionHref, aliasPills, tagTable, kv } from './registry-util.js';

const VERSIONS = 1000;

export async function render(root, [name], _params, stale) {
  let model;
  try { model = (await mlflow.get('registered-models/get', { name })).registered_model; }
  catch (e) { root.append(stateBox(`Could not load model '${name}': ${e.message}`, 'error')); return; }
  if (stale()) return;

  const versions = h('div', { id: 'versions-box' }, stateBox('Loading…'));
  const aliases = model.aliases || [];
  root.append(
    h('div', { class: 'crumbs' }, h('a', { href: '#/models' }, 'Models'), ' / '),
    h('h1', { id: 'model-name' }, model.name),
    h('div', { class: 'cols-2' },
      h('section', { 'aria-labelledby': 'h-details' }, h('h2', { id: 'h-details' }, 'Details'),
        h('table', { class: 'grid kv', id: 'model-details' }, h('tbody', {},
          kv('Created', fmtTime(model.creation_timestamp)),
          kv('Last modified', h('span', { title: fmtTime(model.last_updated_timestamp) }, fmtAgo(model.last_updated_timestamp))),
          kv('Description', h('span', { id: 'model-description', class: 'desc' }, model.description || '—'))))),
      h('section', { 'aria-labelledby': 'h-aliases' }, h('h2', { id: 'h-aliases' }, `Aliases (${aliases.length})`),
        aliases.length
          ? h('table', { class: 'grid', id: 'model-aliases' },
            h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Alias'), h('th', { scope: 'col' }, 'Version'))),
            h('tbody', {}, aliases.map((a) => h('tr', { 'data-alias': a.alias }, h('td', { class: 'mono' }, `@${a.alias}`),
              h('td', {}, h('a', { href: versionHref(model.name, a.version) }, `Version ${a.version}`))))))
          : stateBox('No aliases.'))),
    h('section', { 'aria-labelledby': 'h-versions' }, h('h2', { id: 'h-versions' }, 'Versions'), versions),
    h('section', { 'aria-labelledby': 'h-tags' }, h('h2', { id: 'h-tags' }, 'Tags'), tagTable('model-tags', model.tags)));

  try {
    const res = await mlflow.get('model-versions/search', { filter: `name = ${quote(model.name)}`, order_by: 'version_number DESC', max_results: VERSIONS });
    if (stale()) return;
    const list = res.model_versions || [];
    versions.replaceChildren();
    if (!list.length) { versions.append(stateBox('No versions registered yet.')); return; }
    versions.append(h('table', { class: 'grid', id: 'versions' },
      h('thead', {}, h('tr', {}, ['Version', 'Registered', 'Stage', 'Aliases', 'Source run', 'Description'].map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, list.map((v) => h('tr', { 'data-version': v.version },
        h('td', {}, h('a', { href: versionHref(v.name, v.version) }, `Version ${v.version}`)),
        h('td', {}, fmtTime(v.creation_timestamp)),
        h('td', {}, v.current_stage || 'None'),
        h('td', {}, (v.aliases || []).length ? v.aliases.map((a) => [h('span', { class: 'pill alias' }, `@${a}`), ' ']) : '—'),
        h('td', {}, v.run_id ? h('a', { class: 'mono run-link', href: `#/runs/${encodeURIComponent(v.run_id)}` }, v.run_id) : '—'),
        h('td', { class: 'desc' }, v.description || ''))))));
    if (res.next_page_token) versions.append(h('p', { class: 'muted' }, `Showing the newest ${VERSIONS} versions.`));
  } catch (e) {
    versions.replaceChildren(h('div', { class: 'error-box' }, `Could not list versions: ${e.message}`));
  }
}
