// Helpers shared by the model registry pages: routes and alias pills.
import { h } from '../util.js';

export const modelHref = (name) => `#/models/${encodeURIComponent(name)}`;
export const versionHref = (name, v) => `#/models/${encodeURIComponent(name)}/versions/${encodeURIComponent(v)}`;

/** The highest version number among a model's latest-per-stage versions. */
export function latestVersion(versions) {
  let best = null;
  for (const v of versions || []) if (best === null || Number(v.version) > Number(best)) best = v.version;
  return best;
}

/** `alias → vN` pills, each linking to its version. */
export function aliasPills(name, aliases) {
  if (!aliases || !aliases.length) return '—';
  return aliases.map((a) => [h('a', { class: 'pill alias', href: versionHref(name, a.version), 'data-alias': a.alias }, `@${a.alias} → v${a.version}`), ' ']);
}

export function tagTable(id, tags) {
  if (!tags || !tags.length) return h('p', { class: 'state', role: 'status', id }, 'No tags.');
  return h('table', { class: 'grid', id },
    h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Key'), h('th', { scope: 'col' }, 'Value'))),
    h('tbody', {}, tags.map((t) => h('tr', {}, h('td', {}, t.key), h('td', { class: 'mono' }, t.value)))));
}

export function kv(k, v) { return h('tr', {}, h('td', {}, k), h('td', {}, v)); }
