// The board and the report in a real headless Chromium: figures equal the fixtures', charts drawn, no errors, no outside request.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, copyFileSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { parseCsv } from '../src/output/csv.js';
import { runCli } from '../src/cli/run.js';
import { startBoard } from '../src/board/server.js';
import { canvasInked, launch, noBrowser, outside, watch } from './helpers/browser.js';
import { tempDir } from './helpers/sysfs.js';

const fixtures = fileURLToPath(new URL('./fixtures/board/', import.meta.url));
// Kept after the run (not a tempDir, which is removed at exit) so that the screenshots can be looked at.
const shots = mkdtempSync(join(tmpdir(), 'cc-board-shots-'));
let browser: Browser | undefined;

before(async () => { if (noBrowser === null) browser = await launch(); });
after(async () => { await browser?.close(); });

/** The fixtures in a fresh folder (the board test appends to them). */
function place(): string {
  const dir = tempDir('cc-board-');
  for (const f of readdirSync(fixtures)) copyFileSync(join(fixtures, f), join(dir, f));
  return dir;
}

/** The oracle: each run's last valid row in the emissions files (rows of a run are cumulative). */
function lastRows(files: string[]): Map<string, Record<string, string>> {
  const runs = new Map<string, Record<string, string>>();
  for (const f of files) {
    const [header, ...rows] = parseCsv(readFileSync(f, 'utf8'));
    for (const r of rows) {
      if (r.length !== header!.length || !Number.isFinite(Number(r[header!.indexOf('emissions')]))) continue;
      const row = Object.fromEntries(header!.map((h, i) => [h, r[i]!]));
      runs.set(row['run_id']!, row);
    }
  }
  return runs;
}

const sig = (v: number): string => (v === 0 ? '0' : String(Number(v.toPrecision(3))));
const kwhText = (k: number): string => (k >= 1 ? `${sig(k)} kWh` : k >= 1e-3 ? `${sig(k * 1e3)} Wh` : `${sig(k * 1e6)} mWh`);
const kgText = (k: number): string => (k >= 1 ? `${sig(k)} kg` : k >= 1e-3 ? `${sig(k * 1e3)} g` : `${sig(k * 1e6)} mg`);

async function figure(page: Page, id: string): Promise<{ value: number; text: string }> {
  const el = page.locator(`[data-testid="${id}"]`);
  return { value: Number(await el.getAttribute('data-value')), text: (await el.textContent()) ?? '' };
}

function near(actual: number, expected: number, what: string): void {
  assert.ok(Math.abs(actual - expected) <= 1e-12 * Math.max(1, Math.abs(expected)), `${what}: ${actual} != ${expected}`);
}

async function show(page: Page, view: string): Promise<void> {
  await page.click(`nav a[data-view="${view}"]`);
  await page.waitForSelector(`main[data-view="${view}"]`);
  await page.screenshot({ path: join(shots, `${view}.png`), fullPage: true });
}

test('report: a self-contained file whose figures are the CSVs\', every view drawn, no error, no request outside', { skip: noBrowser ?? false }, async (t) => {
  const dir = place();
  const out = join(dir, 'report.html');
  const names = ['emissions.csv', 'codecarbon-3.3.0.csv', 'bench.json', 'empty.csv', 'foreign.csv'];
  // The foreign file is listed under Files and named on stderr: exit 66 (EX_NOINPUT); the empty one is only listed.
  assert.equal(await runCli(['report', ...names.map((n) => join(dir, n)), '-o', out]), 66);
  const page = await browser!.newPage({ viewport: { width: 1200, height: 900 } });
  const w = watch(page);
  await page.goto(pathToFileURL(out).href);
  await page.waitForSelector('body[data-ready]');

  const runs = lastRows([join(dir, 'emissions.csv'), join(dir, 'codecarbon-3.3.0.csv')]);
  const sum = (c: string): number => [...runs.values()].reduce((s, r) => s + Number(r[c]), 0);
  const energy = await figure(page, 'total-energy');
  near(energy.value, sum('energy_consumed'), 'total energy');
  assert.equal(energy.text, kwhText(sum('energy_consumed')));
  const emissions = await figure(page, 'total-emissions');
  near(emissions.value, sum('emissions'), 'total emissions');
  assert.equal(emissions.text, kgText(sum('emissions')));
  assert.equal((await figure(page, 'total-runs')).value, runs.size);
  assert.ok(await canvasInked(page, 'timeline'), 'the timeline chart is drawn');
  await page.screenshot({ path: join(shots, 'overview.png'), fullPage: true });

  // The GCP run of the CodeCarbon 3.3.0 file: two cumulative rows, the last one counts.
  const gcp = runs.get('c41d9a0e-77b5-4d8c-8f3e-5a6b7c8d9e0f')!;
  await show(page, 'run');
  await page.selectOption('#pick-project', 'upstream-train');
  await page.selectOption('#pick-run', gcp['run_id']!);
  near((await figure(page, 'run-energy')).value, Number(gcp['energy_consumed']), 'run energy');
  assert.equal((await figure(page, 'run-emissions')).text, kgText(Number(gcp['emissions'])));
  near((await figure(page, 'run-intensity')).value, (Number(gcp['emissions']) * 1000) / Number(gcp['energy_consumed']), 'derived intensity');
  assert.match(await page.locator('[data-testid="components"]').innerText(), /GPU\s+41\.3 Wh\s+248 W\s+not recorded/);
  assert.ok(await canvasInked(page, 'components') && await canvasInked(page, 'run-series'), 'the run\'s charts are drawn');
  // Every chart says what it shows, and keeps its data as a table (here, or the components table above it).
  assert.equal(await page.locator('[data-chart][role="img"][aria-label]').count(), await page.locator('[data-chart]').count());
  assert.equal(await page.locator('figure.chart:has([data-chart]) details').count(), await page.locator('[data-chart]').count());
  await page.screenshot({ path: join(shots, 'run.png'), fullPage: true });

  await show(page, 'world');
  assert.ok(await page.locator('svg.map path').count() > 150, 'the map has its countries');
  const sentence = await page.locator('[data-testid="recommendation"]').innerText();
  const best = (await page.locator('[data-chart="cloud"] ~ details tbody tr td').first().textContent())!;
  assert.match(sentence, new RegExp(`^Had this been run in ${best} region, then the emitted carbon would have been .+\\. Reducing the current emissions by .+\\.$`));
  assert.ok(await canvasInked(page, 'cloud'), 'the cloud regions chart is drawn');
  const fra = page.locator('svg.map path[data-iso3="FRA"]');
  const byIntensity = await fra.getAttribute('fill');
  await page.selectOption('#map-layer', 'nuclear');
  assert.notEqual(await page.locator('svg.map path[data-iso3="FRA"]').getAttribute('fill'), byIntensity, 'the map recoloured by nuclear share');
  assert.match((await page.locator('svg.map path[data-iso3="FRA"] title').textContent())!, /nuclear 65\.3 % of generation/);

  await show(page, 'bench');
  assert.match(await page.locator('[data-testid="bench-0"]').innerText(), /JSON\.parse 1 KB\s+120000\s+205 µJ\s+101 µJ ± 4\.1 µJ/);
  assert.ok(await canvasInked(page, 'bench-0'));

  await show(page, 'files');
  const files = await page.locator('main').innerText();
  assert.match(files, /Line\s+Why\s+5\s+33 fields where the header has 38\s+6\s+emissions is not a number >= 0: "n\/a"/);
  assert.match(files, /empty\.csv\s+the file is empty/);
  assert.match(files, /foreign\.csv\s+not an emissions file/);

  await page.goto(`${pathToFileURL(out).href}#tasks`);
  await page.waitForSelector('main[data-view="tasks"]');
  await page.selectOption('#pick-project', 'node-api');
  const tasks = await page.locator('[data-testid="tasks"]').innerText();
  assert.match(tasks, /1\s+load-model\s+1\.48 kJ\s+169 mg/);
  assert.match(tasks, /request\s+5\.4 J\s+.+\s+4000\s+1\.35 mJ, 0\.154 µg\s+final\s+folded/);
  assert.match(tasks, /gpu-upload.+provisional\s+extrapolated\s+stop/);
  assert.match(tasks, /6\s+<img src=x onerror=alert\(1\)><\/script>\s+360 mJ/, 'a task name is shown as text, never as markup');
  assert.equal((await figure(page, 'task-count')).value, 4005);
  assert.match(await page.locator('[data-testid="task-names"]').innerText(), /request\s+1\s+4000\s+5\.4 J\s+617 µg\s+1\.35 mJ/);
  assert.ok(await canvasInked(page, 'tasks'));
  await page.screenshot({ path: join(shots, 'tasks.png'), fullPage: true });
  if (process.env['BOARD_DOCS_PNG']) {
    await page.goto(`${pathToFileURL(out).href}#overview`);
    await page.waitForSelector('main[data-view="overview"]');
    await page.screenshot({ path: process.env['BOARD_DOCS_PNG'], type: 'png' });
  }

  // A report of an empty file says so, with zero totals.
  const empty = join(dir, 'empty.html');
  assert.equal(await runCli(['report', join(dir, 'empty.csv'), '-o', empty]), 0);
  await page.goto(pathToFileURL(empty).href);
  await page.waitForSelector('body[data-ready]');
  assert.equal(await page.locator('[data-testid="empty"]').innerText(), 'No runs yet: the files hold no emissions rows (see Files).');
  assert.equal((await figure(page, 'total-energy')).text, '0 Wh');

  assert.deepEqual(w.errors, []);
  assert.deepEqual(outside(w.requests), []);
  t.diagnostic(`screenshots in ${shots}`);
  await page.close();
});

test('board: served on loopback, the page shows a row appended to the file without reloading', { skip: noBrowser ?? false }, async () => {
  const dir = place();
  const csv = join(dir, 'emissions.csv');
  const server = await startBoard([csv], { port: 0, checkMs: 100 });
  try {
    const page = await browser!.newPage({ viewport: { width: 1200, height: 900 } });
    const w = watch(page);
    await page.goto(server.url);
    await page.waitForSelector('body[data-ready]');
    const before = lastRows([csv]);
    near((await figure(page, 'total-emissions')).value, [...before.values()].reduce((s, r) => s + Number(r['emissions']), 0), 'total emissions');
    assert.ok(await canvasInked(page, 'timeline'));
    await show(page, 'run');
    assert.match(await page.locator('[data-testid="intensity-source"]').innerText(), /country; dataset codecarbon, year 2023/);
    assert.match(await page.locator('[data-testid="components"]').innerText(), /CPU\s+1\.36 Wh\s+38\.9 W\s+rapl \(measured\)/);

    const line = readFileSync(csv, 'utf8').split('\n')[1]!.replace('3f6a2b9c-5d4e-4f1a-8b7c-6d5e4f3a2b1c', '00000000-1111-4222-8333-444444444444');
    appendFileSync(csv, `${line}\n`);
    await page.waitForSelector('#pick-run option:nth-child(3)', { state: 'attached', timeout: 15_000 });
    await show(page, 'overview');
    assert.equal((await figure(page, 'total-runs')).value, 3);
    assert.deepEqual(w.errors, []);
    assert.deepEqual(outside(w.requests), []);
    assert.ok(w.requests.some((u) => u.startsWith(`${server.url}data.json`)), 'the page polled data.json');
    await page.close();
  } finally {
    await server.close();
  }
});
