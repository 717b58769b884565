// Cairn UI: a hash-routed single-page app of plain ES modules.
//   #/experiments                    experiments list
//   #/experiments/<id>               runs table of one experiment
//   #/runs/<run_id>                  run page
//   #/compare?runs=a,b | ?experiment=<id>&filter=...   compare view
//   #/tuning/<run_id>                tuning view of a parent run
//   #/models                         registered models
//   #/models/<name>                  one registered model and its versions
//   #/models/<name>/versions/<v>     one model version
import { clear, stateBox } from './util.js';
import { disposeAll } from './charts.js';

const routes = [
  [/^\/?$|^\/experiments\/?$/, 'experiments'],
  [/^\/experiments\/([^/]+)\/?$/, 'runs'],
  [/^\/runs\/([^/]+)\/?$/, 'run'],
  // MLflow's own run links (the official client prints them): #/experiments/<id>/runs/<run>.
  [/^\/experiments\/[^/]+\/runs\/([^/]+)\/?$/, 'run'],
  [/^\/compare\/?$/, 'compare'],
  [/^\/tuning\/([^/]+)\/?$/, 'tuning'],
  [/^\/models\/?$/, 'models'],
  [/^\/models\/([^/]+)\/?$/, 'model'],
  [/^\/models\/([^/]+)\/versions\/([^/]+)\/?$/, 'model-version'],
];

let cleanup = null;
let generation = 0;

async function route() {
  const main = document.getElementById('main');
  const raw = location.hash.replace(/^#/, '') || '/experiments';
  const [path, query = ''] = raw.split('?');
  const params = new URLSearchParams(query);
  const gen = ++generation;
  if (cleanup) { try { cleanup(); } catch { /* ignore */ } cleanup = null; }
  disposeAll();
  for (const [re, page] of routes) {
    const m = path.match(re);
    if (!m) continue;
    clear(main).append(stateBox('Loading…'));
    try {
      const mod = await import(`./pages/${page}.js`);
      if (gen !== generation) return;
      const root = document.createElement('div');
      clear(main).append(root);
      cleanup = (await mod.render(root, m.slice(1).map(decodeURIComponent), params, () => gen !== generation)) || null;
    } catch (e) {
      if (gen === generation) clear(main).append(stateBox(`Could not load this page: ${e.message}`, 'error'));
    }
    return;
  }
  clear(main).append(stateBox(`No page at '${path}'.`, 'error'));
}

window.addEventListener('hashchange', route);
route();
