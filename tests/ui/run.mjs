// End-to-end tests of Cairn's web UI in headless Chromium (Debian's package)
// driven by playwright-core. Started by scripts/ui-test.sh, which builds and
// starts a real `cairn server` and passes its address in CAIRN_URL.
//
// Creates data through the REST API, opens every page, types a valid and an
// invalid filter, expands nested runs, opens the compare and tuning views,
// checks the charts' series counts, walks the model registry pages, and
// saves screenshots to $UI_TEST_OUTPUT (default: ../../test-output/ui).
import { chromium } from 'playwright-core';
import { mkdirSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const BASE = process.env.CAIRN_URL || 'http://127.0.0.1:5000';
const OUT = process.env.UI_TEST_OUTPUT || join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'test-output', 'ui');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
mkdirSync(OUT, { recursive: true });

// ---------------------------------------------------------------- API helpers
async function api(path, body) {
  const res = await fetch(`${BASE}/api/2.0/mlflow/${path}`, body === undefined ? {} : {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body),
  });
  const json = await res.json();
  if (!res.ok) throw new Error(`${path}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}
const now = Date.now();
async function createRun(exp, name, parent, start, params = {}, metrics = []) {
  const tags = [{ key: 'mlflow.runName', value: name }, { key: 'mlflow.user', value: 'e2e' }];
  if (parent) tags.push({ key: 'mlflow.parentRunId', value: parent });
  const id = (await api('runs/create', { experiment_id: exp, run_name: name, start_time: start, tags })).run.info.run_id;
  await api('runs/log-batch', {
    run_id: id,
    params: Object.entries(params).map(([key, value]) => ({ key, value: String(value) })),
    metrics: metrics.map(([key, value, step]) => ({ key, value, step, timestamp: start + step * 1000 })),
  });
  await api('runs/update', { run_id: id, status: 'FINISHED', end_time: start + 60_000 });
  return id;
}
async function upload(exp, run, path, body, type) {
  const res = await fetch(`${BASE}/api/2.0/mlflow-artifacts/artifacts/${exp}/${run}/artifacts/${path}`, { method: 'PUT', headers: { 'content-type': type }, body });
  if (!res.ok) throw new Error(`upload ${path}: ${res.status}`);
}
// A 2x2 PNG (red, green / blue, white).
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAFklEQVR4nGP4z8DAwMDAxMDAwMDAAAANHQEDasKb6QAAAABJRU5ErkJggg==', 'base64');

async function seed() {
  const suffix = Math.random().toString(36).slice(2, 8);
  const exp = (await api('experiments/create', { name: `e2e-cv-${suffix}` })).experiment_id;
  const cv = await createRun(exp, 'CrossValidator', null, now - 100_000, { numFolds: 3 }, [['weightedPrecision', 0.9, 0]]);
  const kids = [];
  for (const [i, depth] of [2, 4, 6].entries()) {
    const hist = Array.from({ length: 10 }, (_, s) => ['weightedPrecision', 0.7 + depth / 50 + s / 200, s]);
    kids.push(await createRun(exp, `maxDepth=${depth}`, cv, now - 90_000 + i * 1000, { maxDepth: depth, maxBins: 32 + i, impurity: i % 2 ? 'gini' : 'entropy' }, hist));
  }
  const grandchild = await createRun(exp, 'fold-0', kids[0], now - 80_000, { fold: 0 }, [['weightedPrecision', 0.71, 0]]);
  const hpo = await createRun(exp, 'hyperopt-search', null, now - 70_000, {}, []);
  let s = 17;
  const rnd = () => { s = (s * 1103515245 + 12345) % 2147483648; return s / 2147483648; };
  const trials = [];
  for (let t = 0; t < 30; t++) {
    const lr = rnd(), depth = 1 + Math.floor(rnd() * 8), kind = ['gbt', 'rf', 'lr'][t % 3];
    const loss = (lr - 0.3) ** 2 * 10 + 0.02 * depth / 8 + (kind === 'lr' ? 0.05 : 0);
    trials.push(createRun(exp, `trial-${t}`, hpo, now - 60_000 + t * 100, { lr, depth, kind }, [['loss', loss, 0]]));
  }
  await Promise.all(trials);
  // a run with artifacts and a long metric with a spike
  const art = await createRun(exp, 'with-artifacts', null, now - 10_000, { note: 'art' }, []);
  const long = [];
  for (let i = 0; i < 5000; i++) long.push(['train_loss', i === 3210 ? 50 : 1 / (1 + i / 100), i]);
  for (let i = 0; i < long.length; i += 1000) {
    await api('runs/log-batch', { run_id: art, metrics: long.slice(i, i + 1000).map(([key, value, step]) => ({ key, value, step, timestamp: now + step })) });
  }
  await upload(exp, art, 'notes.txt', 'hello from the e2e test\nsecond line\n', 'text/plain');
  await upload(exp, art, 'data/config.json', '{"alpha":0.5,"layers":[1,2,3]}', 'application/json');
  await upload(exp, art, 'plots/pixel.png', PNG, 'image/png');
  const other = (await api('experiments/create', { name: `e2e-empty-${suffix}` })).experiment_id;
  return { exp, other, suffix, cv, kids, grandchild, hpo, art };
}

// ---------------------------------------------------------------- harness
const results = [];
async function test(name, fn) {
  const t0 = Date.now();
  try { await fn(); results.push([name, true]); console.log(`ok   ${name} (${Date.now() - t0} ms)`); }
  catch (e) { results.push([name, false]); console.log(`FAIL ${name}: ${e.stack || e.message}`); }
}
function assert(cond, msg) { if (!cond) throw new Error(`assertion failed: ${msg}`); }
async function shot(page, name) { await page.screenshot({ path: join(OUT, `${name}.png`), fullPage: false }); }
async function series(page, sel) {
  await page.waitForSelector(`${sel}[data-rendered="1"]`, { timeout: 15000 });
  return Number(await page.getAttribute(sel, 'data-series'));
}
const runRows = (page) => page.$$eval('#runs-table tbody tr[data-run]', (trs) => trs.map((t) => t.dataset.run));
const topRows = (page) => page.$$eval('#runs-table tbody tr[data-run][data-level="0"]', (trs) => trs.map((t) => t.dataset.run));

// ---------------------------------------------------------------- tests
const d = await seed();
const browser = await chromium.launch({
  executablePath: CHROMIUM,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
const page = await context.newPage();
const pageErrors = [];
page.on('pageerror', (e) => pageErrors.push(e.message));
page.on('dialog', (dlg) => dlg.accept());

await test('experiments list: search, run counts, create, rename, delete', async () => {
  await page.goto(`${BASE}/#/experiments`);
  await page.waitForSelector('#experiments');
  await page.fill('#exp-search', `e2e-cv-${d.suffix}`);
  await page.waitForFunction((n) => [...document.querySelectorAll('#experiments tbody tr')].length === 1 && document.querySelector('#experiments tbody').textContent.includes(n), `e2e-cv-${d.suffix}`);
  const runs = await page.$eval('#experiments tbody tr td:nth-child(3)', (td) => td.textContent);
  assert(runs === '37', `run count ${runs}`);
  await shot(page, '01-experiments');
  await page.fill('#exp-search', '');
  await page.click('text=Create experiment');
  await page.fill('#exp-name', `e2e-created-${d.suffix}`);
  await page.click('dialog button[type=submit]');
  await page.waitForSelector(`#experiments a:text("e2e-created-${d.suffix}")`);
  await page.click(`button[aria-label="Rename e2e-created-${d.suffix}"]`);
  await page.fill('#exp-name', `e2e-renamed-${d.suffix}`);
  await page.click('dialog button[type=submit]');
  await page.waitForSelector(`#experiments a:text("e2e-renamed-${d.suffix}")`);
  await page.click(`button[aria-label="Delete e2e-renamed-${d.suffix}"]`);
  await page.waitForFunction((n) => !document.querySelector('#experiments').textContent.includes(n), `e2e-renamed-${d.suffix}`);
});

await test('runs table: nested tree expands, children load', async () => {
  await page.goto(`${BASE}/#/experiments/${d.exp}`);
  await page.waitForSelector(`#runs-table tr[data-run="${d.cv}"]`);
  const top = await runRows(page);
  assert(!top.includes(d.kids[0]), 'children are folded under their parent');
  assert(top.length === 3, `top-level rows ${top.length}`);
  await page.click(`tr[data-run="${d.cv}"] button.exp`);
  await page.waitForSelector(`#runs-table tr[data-run="${d.kids[2]}"][data-level="1"]`);
  await page.click(`tr[data-run="${d.kids[0]}"] button.exp`);
  await page.waitForSelector(`#runs-table tr[data-run="${d.grandchild}"][data-level="2"]`);
  const expanded = await page.getAttribute(`tr[data-run="${d.cv}"] button.exp`, 'aria-expanded');
  assert(expanded === 'true', 'aria-expanded');
  await shot(page, '02-runs-nested');
});

await test('runs table: valid filter with OR, invalid filter shows inline error and keeps the table', async () => {
  await page.fill('#run-filter', "params.maxDepth = '6' or (params.maxDepth = '2' and metrics.weightedPrecision > 0.5)");
  await page.press('#run-filter', 'Enter');
  await page.waitForFunction(() => document.querySelector('#runs-info').textContent.startsWith('2 matching'));
  await page.waitForSelector(`#runs-table tr[data-run="${d.kids[2]}"][data-level="1"]`);
  const rows = await runRows(page);
  const top = await topRows(page);
  // The two matches sit under their parent, fetched for context and dimmed.
  assert(top.length === 1 && top[0] === d.cv, `top level is the CV parent: ${top}`);
  assert(rows.length === 3 && rows.includes(d.kids[0]) && !rows.includes(d.kids[1]), `the two matching runs: ${rows}`);
  assert(await page.$(`tr.context[data-run="${d.cv}"]`), 'the parent is marked as context');
  await page.fill('#run-filter', 'metrics.acc >> 1');
  await page.press('#run-filter', 'Enter');
  await page.waitForSelector('#filter-error .error-box');
  const msg = await page.textContent('#filter-error');
  assert(/position/i.test(msg), `error names the position: ${msg}`);
  assert(await page.getAttribute('#run-filter', 'aria-invalid') === 'true', 'aria-invalid');
  const after = await runRows(page);
  assert(JSON.stringify(after) === JSON.stringify(rows), 'table unchanged after a bad filter');
  await shot(page, '03-runs-filter-error');
});

await test('runs table: server-side sort by a metric, column hide', async () => {
  await page.fill('#run-filter', "params.maxDepth LIKE '%'");
  await page.press('#run-filter', 'Enter');
  const level1 = () => page.$$eval('#runs-table tbody tr[data-run][data-level="1"]', (trs) => trs.map((t) => t.dataset.run));
  await page.waitForFunction(() => document.querySelectorAll('#runs-table tbody tr[data-run][data-level="1"]').length === 3 && !document.querySelector('#filter-error').textContent);
  await page.click('th[data-col="metric:weightedPrecision"] button.sort');
  await page.waitForSelector('th[data-col="metric:weightedPrecision"][aria-sort="descending"]');
  await page.waitForFunction((k) => document.querySelector('#runs-table tbody tr[data-run][data-level="1"]')?.dataset.run === k, d.kids[2]);
  let order = await level1();
  assert(order[0] === d.kids[2] && order[2] === d.kids[0], `desc order ${order}`);
  await page.click('th[data-col="metric:weightedPrecision"] button.sort');
  await page.waitForSelector('th[data-col="metric:weightedPrecision"][aria-sort="ascending"]');
  await page.waitForFunction((k) => document.querySelector('#runs-table tbody tr[data-run][data-level="1"]')?.dataset.run === k, d.kids[0]);
  order = await level1();
  assert(order[0] === d.kids[0], 'asc order');
  // Duration sorts on the server too (the grandchild ran 60 s like the rest; ties keep start order).
  await page.click('th[data-col="attr:duration"] button.sort');
  await page.waitForSelector('th[data-col="attr:duration"][aria-sort="descending"]');
  await page.click('#columns-btn');
  await page.uncheck('input[aria-label="Show param maxBins"]');
  assert(!(await page.$('th[data-col="param:maxBins"]')), 'column hidden');
  await page.check('input[aria-label="Pin metric weightedPrecision"]');
  await page.waitForSelector('th.pinned[data-col="metric:weightedPrecision"]');
  await page.keyboard.press('Escape');
  await shot(page, '04-runs-sorted');
});

await test('compare view: parallel coordinates, scatter, contour, overlaid histories', async () => {
  await page.fill('#run-filter', '');
  await page.press('#run-filter', 'Enter');
  // The unfiltered table has replaced the filtered one (no dimmed context rows).
  await page.waitForFunction(() => !document.querySelector('tr.context') && document.querySelector('#runs-info').textContent.startsWith('37 matching'));
  if (!(await page.$(`tr[data-run="${d.kids[0]}"]`))) await page.click(`tr[data-run="${d.cv}"] button.exp`);
  for (const k of d.kids) {
    await page.waitForSelector(`tr[data-run="${k}"]`);
    await page.check(`tr[data-run="${k}"] input[type=checkbox]`);
  }
  await page.click('#compare-selected');
  await page.waitForSelector('h1:text("Comparing 3 runs")');
  assert(await series(page, '#chart-parallel') === 1, 'parallel');
  assert(await series(page, '#chart-scatter') === 1, 'scatter');
  assert(await series(page, '#chart-contour') === 2, 'contour');
  assert(await series(page, '#chart-history') === 3, 'one history per run');
  await page.selectOption('#scatter-x', 'params.maxDepth');
  await page.selectOption('#scatter-y', 'metrics.weightedPrecision');
  await shot(page, '05-compare');
});

await test('run page: details, params, metric chart, tags editing, artifacts previews', async () => {
  // MLflow's link form (printed by the official client) opens the same page.
  await page.goto(`${BASE}/#/experiments/${d.exp}/runs/${d.kids[1]}`);
  await page.waitForSelector('#params');
  assert((await page.getAttribute('#parent-link', 'href')) === `#/runs/${d.cv}`, 'parent link via MLflow-style URL');
  await page.goto(`${BASE}/#/runs/${d.kids[1]}`);
  await page.waitForSelector('#params');
  assert((await page.getAttribute('#parent-link', 'href')) === `#/runs/${d.cv}`, 'parent link');
  assert(await series(page, '#metric-charts [data-key="weightedPrecision"] .chart') === 1, 'metric chart');
  await page.selectOption('#x-axis', 'relative');
  await page.check('#log-scale');
  await page.fill('#tag-key', 'team');
  await page.fill('#tag-value', 'vision');
  await page.click('text=Set tag');
  await page.waitForSelector('#tags td:text("vision")');
  await shot(page, '06-run');
  await page.goto(`${BASE}/#/runs/${d.art}`);
  await page.waitForSelector('#artifact-tree button[data-path="notes.txt"]');
  assert(await series(page, '#metric-charts [data-key="train_loss"] .chart') === 1, 'long metric chart');
  const hint = await page.textContent('#metric-charts [data-key="train_loss"] .hint');
  assert(/5,000 points/.test(hint), hint);
  const ymax = await page.getAttribute('#metric-charts [data-key="train_loss"] .chart', 'data-ymax');
  assert(ymax === '50', `the spike at step 3210 is drawn: max ${ymax}`);
  await page.click('#artifact-tree button[data-path="notes.txt"]');
  await page.waitForSelector('#artifact-preview pre:has-text("hello from the e2e test")');
  await page.click('#artifact-tree button[data-path="data"]');
  await page.click('#artifact-tree button[data-path="data/config.json"]');
  await page.waitForSelector('#artifact-preview pre:has-text("\\"layers\\"")');
  await page.click('#artifact-tree button[data-path="plots"]');
  await page.click('#artifact-tree button[data-path="plots/pixel.png"]');
  await page.waitForSelector('#artifact-preview img');
  // The element appears before the image has loaded: wait for the decode.
  await page.waitForFunction(() => { const img = document.querySelector('#artifact-preview img'); return img && img.complete; });
  const ok = await page.$eval('#artifact-preview img', (img) => img.naturalWidth === 2);
  assert(ok, 'image preview loaded');
  assert(await page.$('#artifact-preview a[download]'), 'download link');
  await shot(page, '07-run-artifacts');
});

await test('tuning view: history, importance, slices', async () => {
  await page.goto(`${BASE}/#/runs/${d.hpo}`);
  await page.click('#tuning-link');
  await page.waitForSelector('#tuning-summary');
  assert(await series(page, '#chart-tuning-history') === 2, 'trials + running best');
  assert(await series(page, '#chart-importance') === 1, 'importance bars');
  const slices = await page.$$eval('#slices .chart', (els) => els.map((e) => e.dataset.param));
  assert(slices.length === 3, `3 slice plots, got ${slices.length}`);
  assert(slices[0] === 'lr', `lr is most important: ${slices}`);
  for (const p of slices) assert(await series(page, `#slices .chart[data-param="${p}"]`) === 1, p);
  const text = await page.textContent('#tuning-summary');
  assert(/30 trials/.test(text), text);
  await shot(page, '08-tuning');
});

// ------------------------------------------------ the issue's walk-through
// Data shaped like the worked examples' autologging (cairn-autolog ml.rs and
// tune.rs): a CrossValidator parent with one child per candidate (params
// maxDepth, maxBins, ...; metrics weightedPrecision, weightedPrecision_std,
// fold_weightedPrecision per fold), and a tuning parent with trial-N children
// (metrics loss, duration_s) and a best_loss history.
async function seedExamples() {
  const suffix = Math.random().toString(36).slice(2, 8);
  const name = `worked-examples-${suffix}`;
  const exp = (await api('experiments/create', { name })).experiment_id;
  const t0 = now - 500_000;
  const cv = await createRun(exp, 'CrossValidator', null, t0,
    { numFolds: 3, seed: 42, 'best.maxDepth': 6, 'best.maxBins': 32 }, [['best_avg_metric', 0.93, 0]]);
  await api('runs/set-tag', { run_id: cv, key: 'cairn.model_selection.candidates', value: '6' });
  const grid = [];
  for (const maxDepth of [2, 4, 6]) for (const maxBins of [16, 32]) grid.push({ maxDepth, maxBins });
  const prec = ({ maxDepth, maxBins }) => 0.8 + maxDepth / 50 - (maxDepth === 6 && maxBins === 16 ? 0.02 : 0) + maxBins / 10_000;
  const cands = await Promise.all(grid.map(async (g, i) => {
    const p = prec(g);
    const id = await createRun(exp, `{maxDepth: ${g.maxDepth}, maxBins: ${g.maxBins}}`, cv, t0 + 1000 + i * 10,
      { ...g, impurity: 'gini', minInstancesPerNode: 1 },
      [['weightedPrecision', p, 0], ['weightedPrecision_std', 0.01, 0],
        ['fold_weightedPrecision', p - 0.01, 0], ['fold_weightedPrecision', p, 1], ['fold_weightedPrecision', p + 0.01, 2]]);
    await api('runs/set-tag', { run_id: id, key: 'cairn.model_selection.candidate', value: String(i) });
    return { id, ...g, p };
  }));
  const best = cands.reduce((a, b) => (b.p > a.p ? b : a));
  const fmin = await createRun(exp, 'fmin', null, t0 + 100_000, { algo: 'tpe', max_evals: 20 }, []);
  const trials = [];
  let bestLoss = Infinity;
  for (let t = 0; t < 20; t++) {
    const x = ((t * 7919) % 97) / 97 * 10 - 5;
    const loss = (x - 1.5) ** 2;
    bestLoss = Math.min(bestLoss, loss);
    trials.push(createRun(exp, `trial-${t}`, fmin, t0 + 101_000 + t * 100, { x: x.toFixed(4) },
      [['loss', loss, 0], ['duration_s', 0.01, 0]]));
    await api('runs/log-batch', { run_id: fmin, metrics: [{ key: 'best_loss', value: bestLoss, step: t, timestamp: t0 + 101_000 + t * 100 }] });
  }
  await Promise.all(trials);
  return { exp, name, cv, cands, best, fmin, trials: 20 };
}

const w = await seedExamples();
await test('walk-through: search box finds the best run under its CrossValidator', async () => {
  await page.goto(`${BASE}/#/experiments`);
  await page.waitForSelector('#exp-search');
  await page.fill('#exp-search', w.name);
  await page.click(`#experiments a:text("${w.name}")`);
  await page.waitForSelector(`#runs-table tr[data-run="${w.cv}"]`);
  // Children stay folded under their parents at first.
  const top = await topRows(page);
  assert(top.length === 2 && top.includes(w.cv) && top.includes(w.fmin), `two top-level runs: ${top}`);
  await page.fill('#run-filter', `metrics.weightedPrecision >= ${w.best.p - 1e-9}`);
  await page.press('#run-filter', 'Enter');
  await page.waitForFunction(() => document.querySelector('#runs-info').textContent.startsWith('1 matching'));
  await page.waitForSelector(`#runs-table tr[data-run="${w.best.id}"][data-level="1"]`);
  const rows = await runRows(page);
  assert(JSON.stringify(rows) === JSON.stringify([w.cv, w.best.id]), `the best run under its parent: ${rows}`);
  const name = await page.textContent(`tr[data-run="${w.best.id}"] td a[href="#/runs/${w.best.id}"]`);
  assert(name === `{maxDepth: ${w.best.maxDepth}, maxBins: ${w.best.maxBins}}`, name);
  await shot(page, '10-walkthrough-search');
});

await test('walk-through: expand the CrossValidator, plot maxDepth against weightedPrecision', async () => {
  await page.fill('#run-filter', '');
  await page.press('#run-filter', 'Enter');
  await page.waitForFunction(() => !document.querySelector('tr.context'));
  await page.click(`tr[data-run="${w.cv}"] button.exp`);
  for (const c of w.cands) await page.waitForSelector(`#runs-table tr[data-run="${c.id}"][data-level="1"]`);
  await shot(page, '11-walkthrough-expanded');
  // Keyboard: the expander is a button, reachable and operable by keys.
  await page.focus(`tr[data-run="${w.cv}"] button.exp`);
  await page.keyboard.press('Enter');
  await page.waitForFunction((id) => !document.querySelector(`tr[data-run="${id}"]`), w.cands[0].id);
  await page.keyboard.press('Enter');
  await page.waitForSelector(`#runs-table tr[data-run="${w.cands[0].id}"]`);
  for (const c of w.cands) await page.check(`tr[data-run="${c.id}"] input[type=checkbox]`);
  await page.click('#compare-selected');
  await page.waitForSelector(`h1:text("Comparing ${w.cands.length} runs")`);
  await series(page, '#chart-scatter');
  await page.selectOption('#scatter-x', 'params.maxDepth');
  await page.selectOption('#scatter-y', 'metrics.weightedPrecision');
  await page.waitForFunction((n) => {
    const el = document.querySelector('#chart-scatter');
    const chart = window.echarts?.getInstanceByDom(el);
    const o = chart?.getOption();
    return o && o.xAxis[0].name === 'params.maxDepth' && o.yAxis[0].name === 'metrics.weightedPrecision' && el.dataset.points === String(n);
  }, w.cands.length);
  const pts = await page.evaluate(() => window.echarts.getInstanceByDom(document.querySelector('#chart-scatter')).getOption().series[0].data.map((d) => d.value));
  assert(pts.length === w.cands.length, `${pts.length} points`);
  for (const c of w.cands) {
    assert(pts.some(([x, y]) => x === c.maxDepth && Math.abs(y - c.p) < 1e-12), `point for maxDepth=${c.maxDepth}, ${c.p}`);
  }
  await page.locator('#chart-scatter').scrollIntoViewIfNeeded();
  await shot(page, '12-walkthrough-scatter');
});

await test('walk-through: read the tuning history', async () => {
  await page.goto(`${BASE}/#/experiments/${w.exp}`);
  await page.waitForSelector(`#runs-table tr[data-run="${w.fmin}"]`);
  await page.click(`tr[data-run="${w.fmin}"] a[href="#/runs/${w.fmin}"]`);
  await page.click('#tuning-link');
  await page.waitForSelector('#tuning-summary');
  assert(await series(page, '#chart-tuning-history') === 2, 'trials + running best');
  assert(await page.getAttribute('#chart-tuning-history', 'data-points') === String(2 * w.trials), 'one point per trial in each series');
  const text = await page.textContent('#tuning-summary');
  assert(text.includes(`${w.trials} trials`), text);
  await page.click('#history-table summary');
  const rows = await page.$$eval('#history-table tbody tr', (trs) => trs.map((t) => [...t.cells].map((c) => c.textContent)));
  assert(rows.length === w.trials, `${rows.length} history rows`);
  // The running best never increases when minimizing.
  const bests = rows.map((r) => Number(r[3]));
  assert(bests.every((b, i) => i === 0 || b <= bests[i - 1]), `running best ${bests}`);
  await shot(page, '13-walkthrough-tuning');
});

await test('runs table: children whose parent is on a later page still nest under it', async () => {
  const exp = (await api('experiments/create', { name: `e2e-paging-${Math.random().toString(36).slice(2, 8)}` })).experiment_id;
  const parent = (await api('runs/create', { experiment_id: exp, run_name: 'big-cv', start_time: now - 1_000_000 })).run.info.run_id;
  const N = 520; // more than one 500-row page; newest first puts the parent on page 2
  for (let i = 0; i < N; i += 40) {
    await Promise.all(Array.from({ length: Math.min(40, N - i) }, (_, j) => api('runs/create', {
      experiment_id: exp, run_name: `cand-${i + j}`, start_time: now - 900_000 + i + j,
      tags: [{ key: 'mlflow.parentRunId', value: parent }],
    })));
  }
  await page.goto(`${BASE}/#/experiments/${exp}`);
  await page.waitForSelector(`#runs-table tr[data-run="${parent}"][data-level="0"]`);
  const top = await topRows(page);
  assert(top.length === 1 && top[0] === parent, `one top-level row, the parent: ${top.length}`);
  const pill = await page.textContent(`tr[data-run="${parent}"] .pill`);
  assert(pill === String(N), `child count ${pill}`);
  await page.click(`tr[data-run="${parent}"] button.exp`);
  await page.waitForSelector(`#runs-table tr[data-level="1"]`);
  await shot(page, '14-runs-paged-tree');
});

// ------------------------------------------------ model registry pages
async function seedRegistry() {
  const suffix = Math.random().toString(36).slice(2, 8);
  const exp = (await api('experiments/create', { name: `e2e-registry-${suffix}` })).experiment_id;
  const run = await createRun(exp, 'train-model', null, now - 5_000, { alpha: 0.5 }, [['rmse', 0.42, 0]]);
  const name = `e2e-model-${suffix}`;
  await api('registered-models/create', { name, description: 'Predicts <i>prices</i>', tags: [{ key: 'team', value: 'forecast' }] });
  const v1 = (await api('model-versions/create', { name, source: `runs:/${run}/model`, run_id: run })).model_version;
  const v2 = (await api('model-versions/create', {
    name, source: `runs:/${run}/model2`, run_id: run, description: 'second <script>x</script>', tags: [{ key: 'validated', value: 'yes' }],
  })).model_version;
  await api('registered-models/alias', { name, alias: 'champion', version: v2.version });
  // A name with markup must come out as text; the ILIKE search must not match it for `e2e-model-`.
  const html = `e2e-html<b>bold<img src=x onerror=window.__xss=1>-${suffix}`; // names cannot hold '/'
  await api('registered-models/create', { name: html });
  await api('model-versions/create', { name: html, source: `runs:/${run}/model`, run_id: run });
  return { exp, run, name, html, suffix, v1: v1.version, v2: v2.version };
}
const r = await seedRegistry();

await test('registry: models list shows the model, latest version, alias; search filters', async () => {
  await page.goto(`${BASE}/#/experiments`);
  await page.click('header nav a:text("Models")');
  await page.waitForSelector('#model-search');
  await page.fill('#model-search', r.suffix);
  await page.waitForFunction((n) => document.querySelectorAll('#models tbody tr').length === n, 2);
  await page.fill('#model-search', `model-${r.suffix}`);
  await page.waitForFunction(() => document.querySelectorAll('#models tbody tr').length === 1);
  const row = await page.$$eval('#models tbody tr', (trs) => [...trs[0].cells].map((c) => c.textContent));
  assert(row[0] === r.name, `name ${row[0]}`);
  assert(row[1] === `Version ${r.v2}`, `latest ${row[1]}`);
  assert(row[2].includes(`@champion → v${r.v2}`), `aliases ${row[2]}`);
  assert(row[4] === 'Predicts <i>prices</i>', `description as text: ${row[4]}`);
  assert(!(await page.$('#models i')), 'no <i> element from the description');
  await shot(page, '15-models-list');
  await page.fill('#model-search', `no-such-model-${r.suffix}`);
  await page.waitForSelector(`.state:text("No model matches 'no-such-model-${r.suffix}'.")`);
});

await test('registry: a name containing <b> renders as text', async () => {
  await page.fill('#model-search', `html<b>bold<img`);
  await page.waitForFunction(() => document.querySelectorAll('#models tbody tr').length === 1);
  const link = await page.textContent('#models tbody tr td:first-child a');
  assert(link === r.html, `link text ${link}`);
  assert(!(await page.$('#models b')) && !(await page.$('#models img')), 'no <b> or <img> element in the table');
  await page.click('#models tbody tr td:first-child a');
  await page.waitForSelector('#versions');
  assert(await page.textContent('#model-name') === r.html, 'model page title as text');
  assert(!(await page.$('main b')) && !(await page.$('main img')), 'no <b> or <img> element on the model page');
  assert(await page.evaluate(() => window.__xss === undefined), 'no handler ran');
});

await test('registry: model page lists both versions, the alias and a working run link', async () => {
  await page.goto(`${BASE}/#/models/${encodeURIComponent(r.name)}`);
  await page.waitForSelector('#versions');
  const versions = await page.$$eval('#versions tbody tr', (trs) => trs.map((t) => t.dataset.version));
  assert(JSON.stringify(versions) === JSON.stringify([r.v2, r.v1]), `versions newest first: ${versions}`);
  const v2Aliases = await page.textContent(`#versions tr[data-version="${r.v2}"] td:nth-child(4)`);
  assert(v2Aliases.includes('@champion'), `alias on v2: ${v2Aliases}`);
  const v1Aliases = await page.textContent(`#versions tr[data-version="${r.v1}"] td:nth-child(4)`);
  assert(!v1Aliases.includes('champion'), `no alias on v1: ${v1Aliases}`);
  const alias = await page.textContent('#model-aliases tr[data-alias="champion"] td:nth-child(2)');
  assert(alias === `Version ${r.v2}`, `alias table ${alias}`);
  assert(await page.textContent('#model-description') === 'Predicts <i>prices</i>', 'description as text');
  assert((await page.textContent('#model-tags')).includes('forecast'), 'model tag shown');
  const text = await page.textContent('main');
  assert(!/\bnull\b|\bundefined\b/.test(text), 'no null/undefined leaks into the page');
  await shot(page, '16-model-page');
  await page.click(`#versions tr[data-version="${r.v1}"] a.run-link`);
  await page.waitForSelector('#params');
  const h1 = await page.textContent('h1');
  assert(h1.startsWith('train-model'), `run page of the source run: ${h1}`);
  assert(page.url().endsWith(`#/runs/${r.run}`), page.url());
});

await test('registry: version page shows its fields', async () => {
  await page.goto(`${BASE}/#/models/${encodeURIComponent(r.name)}`);
  await page.click(`#versions tr[data-version="${r.v2}"] td:first-child a`);
  await page.waitForSelector('#version-details');
  const rows = Object.fromEntries(await page.$$eval('#version-details tr', (trs) => trs.map((t) => [t.cells[0].textContent, t.cells[1].textContent])));
  assert(rows.Model === r.name, `model ${rows.Model}`);
  assert(rows.Version === r.v2, `version ${rows.Version}`);
  assert(rows.Status === 'READY', `status ${rows.Status}`);
  assert(rows.Stage === 'None', `stage ${rows.Stage}`);
  assert(rows.Source === `runs:/${r.run}/model2`, `source ${rows.Source}`);
  assert(rows['Source run'] === r.run, `run ${rows['Source run']}`);
  assert(rows.Aliases.includes('@champion'), `aliases ${rows.Aliases}`);
  assert(rows.Description === 'second <script>x</script>', `description ${rows.Description}`);
  assert(!(await page.$('main script')), 'no script element from the description');
  assert((await page.textContent('#version-tags')).includes('validated'), 'version tag shown');
  assert(!/\bnull\b|\bundefined\b/.test(await page.textContent('main')), 'no null/undefined leaks into the page');
  await shot(page, '17-model-version');
  await page.click('#version-run');
  await page.waitForSelector('#params');
  assert(page.url().endsWith(`#/runs/${r.run}`), page.url());
});

await test('registry: the models list pages with next/previous', async () => {
  const tag = `e2e-paged-${r.suffix}`;
  for (let i = 0; i < 55; i += 11) {
    await Promise.all(Array.from({ length: 11 }, (_, j) => api('registered-models/create', { name: `${tag}-${String(i + j).padStart(2, '0')}` })));
  }
  await page.goto(`${BASE}/#/models`);
  await page.waitForSelector('#model-search');
  await page.fill('#model-search', tag);
  await page.waitForFunction((n) => document.querySelectorAll('#models tbody tr').length === 50 && document.querySelector('#models tbody tr').dataset.model === n, `${tag}-00`);
  assert(!(await page.$('#models-prev')), 'no previous page on the first page');
  await page.click('#models-next');
  await page.waitForFunction(() => document.querySelectorAll('#models tbody tr').length === 5);
  const names = await page.$$eval('#models tbody tr', (trs) => trs.map((t) => t.dataset.model));
  assert(JSON.stringify(names) === JSON.stringify([50, 51, 52, 53, 54].map((i) => `${tag}-${i}`)), `second page ${names}`);
  assert(!(await page.$('#models-next')), 'no next page on the last page');
  await page.click('#models-prev');
  await page.waitForFunction(() => document.querySelectorAll('#models tbody tr').length === 50);
});

await test('registry: missing model and version show inline errors', async () => {
  await page.goto(`${BASE}/#/models/${encodeURIComponent(`nope-${r.suffix}`)}`);
  await page.waitForSelector('.state.error');
  await page.goto(`${BASE}/#/models/${encodeURIComponent(r.name)}/versions/99`);
  await page.waitForSelector('.state.error');
});

await test('empty and error states, keyboard focus', async () => {
  await page.goto(`${BASE}/#/experiments/${d.other}`);
  await page.waitForSelector('text=No runs in this experiment yet.');
  await page.goto(`${BASE}/#/runs/doesnotexist`);
  await page.waitForSelector('.state.error');
  await page.goto(`${BASE}/#/nowhere`);
  await page.waitForSelector('.state.error');
  // Compare and tuning: nothing to show, and a run that does not exist.
  await page.goto(`${BASE}/#/compare?experiment=${d.other}&filter=${encodeURIComponent("params.x = 'none'")}`);
  await page.waitForSelector('.state:text("No runs to compare.")');
  await page.goto(`${BASE}/#/compare`);
  await page.waitForSelector('.state.error');
  await page.goto(`${BASE}/#/tuning/${d.art}`);
  await page.waitForSelector('.state:text("This run has no child runs (trials).")');
  await page.goto(`${BASE}/#/tuning/0123456789abcdef0123456789abcdef`);
  await page.waitForSelector('.state.error');
  await page.goto(`${BASE}/#/experiments/${d.exp}`);
  await page.waitForSelector(`tr[data-run="${d.cv}"]`);
  await page.focus('#run-filter');
  await page.keyboard.press('Tab');
  const focused = await page.evaluate(() => document.activeElement.textContent);
  assert(focused === 'Search', `Tab reaches the Search button, got '${focused}'`);
  await shot(page, '09-empty-states');
});

await test('accessibility basics on every page: named controls, labelled charts, text contrast', async () => {
  // Every form control and button has an accessible name, every chart an
  // aria-label, and body text meets WCAG AA contrast (4.5:1) on its background.
  const audit = () => {
    const name = (el) => (el.getAttribute('aria-label') || el.getAttribute('aria-labelledby') || el.title
      || (el.id && document.querySelector(`label[for="${el.id}"]`)?.textContent) || el.closest('label')?.textContent
      || (el.tagName !== 'INPUT' && el.tagName !== 'SELECT' ? el.textContent : '') || '').trim();
    const problems = [];
    for (const el of document.querySelectorAll('main input, main select, main button, main a[href], main textarea')) {
      if (el.type === 'hidden' || el.closest('[hidden]') || el.closest('.u-legend') || el.closest('dialog:not([open])')) continue;
      if (!name(el)) problems.push(`unnamed ${el.tagName.toLowerCase()} ${el.outerHTML.slice(0, 80)}`);
    }
    for (const el of document.querySelectorAll('main .chart')) if (!el.getAttribute('aria-label')) problems.push('unlabelled chart');
    const rgb = (c) => (c.match(/[\d.]+/g) || []).map(Number);
    const lum = ([r, g, b]) => [r, g, b].map((v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; })
      .reduce((a, v, i) => a + v * [0.2126, 0.7152, 0.0722][i], 0);
    const bg = (el) => { for (let e = el; e; e = e.parentElement) { const c = rgb(getComputedStyle(e).backgroundColor); if (c.length === 3 || (c.length === 4 && c[3] > 0.5)) return c.slice(0, 3); } return [255, 255, 255]; };
    for (const el of document.querySelectorAll('main td, main th, main p, main a, main label, main span, main h1, main h2, main button')) {
      if (!el.textContent.trim() || el.closest('[hidden]') || el.closest('button:disabled') || el.closest('.u-legend')) continue;
      const st = getComputedStyle(el);
      if (st.visibility === 'hidden' || st.display === 'none') continue;
      const [l1, l2] = [lum(rgb(st.color).slice(0, 3)), lum(bg(el))].sort((a, b) => b - a);
      const ratio = (l1 + 0.05) / (l2 + 0.05);
      if (ratio < 4.5) problems.push(`contrast ${ratio.toFixed(2)} for '${el.textContent.trim().slice(0, 30)}'`);
    }
    return [...new Set(problems)].slice(0, 10);
  };
  const pages = [
    [`#/experiments`, '#experiments tbody tr'],
    [`#/experiments/${w.exp}`, `tr[data-run="${w.cv}"]`],
    [`#/runs/${w.best.id}`, '#metric-charts .chart[data-rendered="1"]'],
    [`#/compare?experiment=${w.exp}&runs=${w.cands.map((c) => c.id).join(',')}`, '#chart-scatter[data-rendered="1"]'],
    [`#/tuning/${w.fmin}`, '#chart-tuning-history[data-rendered="1"]'],
    [`#/models`, '#models tbody tr'],
    [`#/models/${encodeURIComponent(r.name)}`, '#versions tbody tr'],
    [`#/models/${encodeURIComponent(r.name)}/versions/${r.v2}`, '#version-details'],
  ];
  for (const [hash, ready] of pages) {
    await page.goto(`${BASE}/${hash}`);
    await page.waitForSelector(ready);
    const problems = await page.evaluate(audit);
    assert(problems.length === 0, `${hash}: ${problems.join('; ')}`);
  }
});

await test('running runs refresh on their own', async () => {
  const id = (await api('runs/create', { experiment_id: d.other, run_name: 'live', start_time: Date.now() })).run.info.run_id;
  await page.goto(`${BASE}/#/experiments/${d.other}`);
  await page.waitForSelector(`tr[data-run="${id}"] .status.RUNNING`);
  await api('runs/log-batch', { run_id: id, metrics: [{ key: 'progress', value: 0.5, timestamp: Date.now(), step: 1 }] });
  await api('runs/update', { run_id: id, status: 'FINISHED', end_time: Date.now() });
  await page.waitForSelector(`tr[data-run="${id}"] .status.FINISHED`, { timeout: 12000 });
  await page.waitForSelector('th[data-col="metric:progress"]');
});

await test('no uncaught page errors', async () => {
  assert(pageErrors.length === 0, pageErrors.join('\n'));
});

await browser.close();
const passed = results.filter((r) => r[1]).length;
const failed = results.length - passed;
console.log(`\nUI tests: ${passed} passed, ${failed} failed (screenshots in ${OUT})`);
process.exit(failed ? 1 : 0);
