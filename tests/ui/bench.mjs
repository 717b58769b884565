// Browser-side timings of the UI on the benchmark store served by
// `cairn-bench ui --hold` (see scripts/ui-bench.sh). Each measurement uses a
// fresh browser context (cold HTTP cache) unless said otherwise; medians of
// REPS runs are printed as a Markdown table.
import { chromium } from 'playwright-core';

const [base, exp, long] = process.argv.slice(2);
const REPS = Number(process.env.REPS || 5);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const median = (v) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];
const results = {};
const add = (k, v) => (results[k] ||= []).push(v);

for (let i = 0; i < REPS; i++) {
  const ctx = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  const page = await ctx.newPage();
  // experiment page, cold: navigation start -> first table rows on screen
  let t0 = Date.now();
  await page.goto(`${base}/#/experiments/${exp}`);
  await page.waitForSelector('#runs-table tr[data-run]');
  add('experiment page (cold cache): navigation to first 500-run page rendered', Date.now() - t0);
  // re-sort by a metric: click -> rows re-rendered in the new order
  const before = await page.getAttribute('#runs-table tr[data-run]', 'data-run');
  t0 = Date.now();
  await page.click('th[data-col="metric:m3"] button.sort');
  await page.waitForFunction((b) => document.querySelector('th[data-col="metric:m3"]').getAttribute('aria-sort') === 'descending'
    && document.querySelector('#runs-table tr[data-run]').dataset.run !== b, before);
  add('re-sort by metric m3: click to re-rendered table', Date.now() - t0);
  // scrolling: load all 10,000 rows by scrolling, then time jumps
  t0 = Date.now();
  await page.evaluate(async () => {
    const wrap = document.getElementById('runs-wrap');
    const frame = () => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
    for (let k = 0; k < 200 && !/^\d+ runs loaded · /.test(document.getElementById('runs-info').textContent); k++) {
      wrap.scrollTop = wrap.scrollHeight; await frame(); await new Promise((r) => setTimeout(r, 30));
    }
  });
  add('scroll to the end of 10,000 runs (20 pages fetched on scroll)', Date.now() - t0);
  const frameMs = await page.evaluate(async () => {
    const wrap = document.getElementById('runs-wrap');
    const frame = () => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
    const times = [], script = [];
    for (let k = 0; k < 40; k++) {
      const t = performance.now();
      wrap.scrollTop = Math.random() * wrap.scrollHeight;
      await frame();
      times.push(performance.now() - t);
      script.push(window.cairnRenderMs);
    }
    times.sort((a, b) => a - b); script.sort((a, b) => a - b);
    return [times[20], script[20]];
  });
  add('random scroll jump within 10,000 loaded runs: until two frames painted (median)', frameMs[0]);
  add('random scroll jump: the table script alone (median)', frameMs[1]);
  // run page with the 1M-point metric, cold: navigation -> chart drawn
  const ctx2 = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  const p2 = await ctx2.newPage();
  t0 = Date.now();
  await p2.goto(`${base}/#/runs/${long}`);
  await p2.waitForSelector('#metric-charts [data-key="big"] .chart[data-rendered="1"]');
  add('run page with 1,000,000-point metric (cold cache): navigation to chart drawn', Date.now() - t0);
  // same, warm (chart library cached): switch x axis -> refetch + redraw
  t0 = Date.now();
  await p2.evaluate(() => { document.querySelector('#metric-charts [data-key="big"] .chart').dataset.rendered = '0'; });
  await p2.selectOption('#x-axis', 'wall');
  await p2.waitForSelector('#metric-charts [data-key="big"] .chart[data-rendered="1"]');
  add('1,000,000-point metric: switch x axis to wall time (refetch + redraw)', Date.now() - t0);
  await ctx2.close();
  await ctx.close();
}
await browser.close();
console.log(`| browser measurement (headless Chromium, median of ${REPS}) | ms |`);
console.log('|---|---|');
for (const [k, v] of Object.entries(results)) console.log(`| ${k} | ${median(v).toFixed(0)} |`);
