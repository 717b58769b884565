// Model version page: status, stage, source and its run, description, tags,
// and the aliases that point at this version.
import { mlflow } from '../api.js';
import { h, fmtTime, stateBox } from '../util.js';
import { modelHref, tagTable, kv } from './registry-util.js';

export async function render(root, [name, version], _params, stale) {
  let v;
  try { v = (await mlflow.get('model-versions/get', { name, version })).model_version; }
  catch (e) { root.append(stateBox(`Could not load version ${version} of model '${name}': ${e.message}`, 'error')); return; }
  if (stale()) return;
  const aliases = v.aliases || [];
  root.append(
    h('div', { class: 'crumbs' }, h('a', { href: '#/models' }, 'Models'), ' / ', h('a', { href: modelHref(v.name), id: 'model-link' }, v.name), ' / '),
    h('h1', {}, `${v.name} version ${v.version}`, ' ', h('span', { class: `status ${v.status}` }, v.status)),
    h('section', { 'aria-labelledby': 'h-details' }, h('h2', { id: 'h-details' }, 'Details'),
      h('table', { class: 'grid kv', id: 'version-details' }, h('tbody', {},
        kv('Model', h('a', { href: modelHref(v.name) }, v.name)),
        kv('Version', v.version),
        kv('Status', v.status_message ? `${v.status} (${v.status_message})` : v.status),
        kv('Stage', v.current_stage || 'None'),
        kv('Registered', fmtTime(v.creation_timestamp)),
        kv('Last modified', fmtTime(v.last_updated_timestamp)),
        kv('Source', h('span', { class: 'mono' }, v.source || '—')),
        kv('Source run', v.run_id ? h('a', { class: 'mono', id: 'version-run', href: `#/runs/${encodeURIComponent(v.run_id)}` }, v.run_id) : '—'),
        // run_link is free text from the client: shown, never made a link.
        v.run_link ? kv('Run link', h('span', { class: 'mono' }, v.run_link)) : null,
        kv('Aliases', aliases.length ? aliases.map((a) => [h('span', { class: 'pill alias' }, `@${a}`), ' ']) : '—'),
        kv('Description', h('span', { class: 'desc', id: 'version-description' }, v.description || '—'))))),
    h('section', { 'aria-labelledby': 'h-tags' }, h('h2', { id: 'h-tags' }, 'Tags'), tagTable('version-tags', v.tags)));
}
