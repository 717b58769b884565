// Experiments list: search by name, run counts, last activity; create, rename, delete.
import { cairn, mlflow } from '../api.js';
import { h, clear, fmtAgo, fmtTime, debounce, stateBox } from '../util.js';

export async function render(root) {
  const search = h('input', { type: 'search', id: 'exp-search', placeholder: 'Search experiments by name', 'aria-label': 'Search experiments by name' });
  const view = h('select', { 'aria-label': 'Lifecycle' },
    h('option', { value: 'ACTIVE_ONLY' }, 'Active'), h('option', { value: 'DELETED_ONLY' }, 'Deleted'), h('option', { value: 'ALL' }, 'All'));
  const msg = h('div', { role: 'alert' });
  const body = h('div');
  root.append(
    h('h1', {}, 'Experiments'),
    h('div', { class: 'toolbar' }, h('div', { class: 'grow' }, search), view,
      h('button', { class: 'primary', onclick: () => openDialog() }, 'Create experiment')),
    msg, body);

  async function refresh() {
    try {
      const { experiments } = await cairn('experiments', { q: search.value, view: view.value });
      clear(msg);
      clear(body);
      if (!experiments.length) {
        body.append(stateBox(search.value ? `No experiment matches '${search.value}'.` : 'No experiments yet. Create one, or log runs with an MLflow client.'));
        return;
      }
      const rows = experiments.map((e) => h('tr', {},
        h('td', {}, e.lifecycle_stage === 'active' ? h('a', { href: `#/experiments/${e.id}` }, e.name) : h('span', {}, e.name, ' ', h('span', { class: 'pill' }, 'deleted'))),
        h('td', { class: 'mono' }, e.id),
        h('td', { class: 'num' }, String(e.runs)),
        h('td', { title: fmtTime(e.last_activity) }, fmtAgo(e.last_activity)),
        h('td', { title: fmtTime(e.creation_time) }, fmtAgo(e.creation_time)),
        h('td', {},
          e.lifecycle_stage === 'active'
            ? [h('button', { class: 'link', onclick: () => openDialog(e), 'aria-label': `Rename ${e.name}` }, 'Rename'), ' ',
               h('button', { class: 'link', onclick: () => remove(e), 'aria-label': `Delete ${e.name}` }, 'Delete')]
            : h('button', { class: 'link', onclick: () => restore(e), 'aria-label': `Restore ${e.name}` }, 'Restore'))));
      body.append(h('table', { class: 'grid', id: 'experiments' },
        h('thead', {}, h('tr', {}, ['Name', 'ID', 'Runs', 'Last activity', 'Created', 'Actions'].map((t) => h('th', { scope: 'col' }, t)))),
        h('tbody', {}, rows)));
    } catch (e) {
      clear(msg).append(h('div', { class: 'error-box' }, e.message));
    }
  }

  async function remove(e) {
    if (!confirm(`Delete experiment '${e.name}' and its runs? (It can be restored.)`)) return;
    try { await mlflow.post('experiments/delete', { experiment_id: e.id }); refresh(); }
    catch (err) { clear(msg).append(h('div', { class: 'error-box' }, err.message)); }
  }
  async function restore(e) {
    try { await mlflow.post('experiments/restore', { experiment_id: e.id }); refresh(); }
    catch (err) { clear(msg).append(h('div', { class: 'error-box' }, err.message)); }
  }

  function openDialog(e) {
    const name = h('input', { type: 'text', id: 'exp-name', value: e ? e.name : '', required: true });
    const loc = h('input', { type: 'text', id: 'exp-loc', placeholder: 'default' });
    const err = h('div', { role: 'alert' });
    const dlg = h('dialog', { 'aria-label': e ? 'Rename experiment' : 'Create experiment' });
    const form = h('form', {
      method: 'dialog',
      onsubmit: async (ev) => {
        ev.preventDefault();
        try {
          if (e) await mlflow.post('experiments/update', { experiment_id: e.id, new_name: name.value });
          else await mlflow.post('experiments/create', { name: name.value, ...(loc.value ? { artifact_location: loc.value } : {}) });
          dlg.close(); dlg.remove(); refresh();
        } catch (x) { clear(err).append(h('div', { class: 'error-box' }, x.message)); }
      },
    },
    h('h2', {}, e ? 'Rename experiment' : 'Create experiment'),
    h('label', { for: 'exp-name' }, 'Name'), name,
    e ? null : [h('label', { for: 'exp-loc' }, 'Artifact location (optional)'), loc],
    err,
    h('div', { class: 'toolbar' }, h('button', { class: 'primary', type: 'submit' }, e ? 'Rename' : 'Create'),
      h('button', { type: 'button', onclick: () => { dlg.close(); dlg.remove(); } }, 'Cancel')));
    dlg.append(form);
    document.body.append(dlg);
    dlg.showModal();
    name.focus();
  }

  search.addEventListener('input', debounce(refresh, 200));
  view.addEventListener('change', refresh);
  await refresh();
}
