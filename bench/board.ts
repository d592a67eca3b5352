// `codecarbon report` on a 100,000-row task file: time to write the page, and to render it in headless Chromium.
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { BoardState } from '../src/board/server.js';
import { renderPage } from '../src/board/page.js';
import { csvLine } from '../src/output/csv.js';
import { columns, taskColumns } from '../src/output/record.js';
import type { Figure } from './run.js';

const taskRows = 100_000;
const chromium = '/usr/bin/chromium';
const runId = '11111111-2222-4333-8444-555555555555';

/** An emissions file with one run, and its task file of `rows` rows beside it. */
function files(dir: string, rows: number): string {
  const base: Record<string, string | number> = Object.fromEntries(columns.map((c) => [c, '']));
  Object.assign(base, { timestamp: '2025-01-01T12:00:00+00:00', project_name: 'bench', run_id: runId, duration: 3600, emissions: 0.05,
    energy_consumed: 0.12, cpu_energy: 0.1, gpu_energy: 0, ram_energy: 0.02, country_iso_code: 'FRA', country_name: 'France',
    cpu_source: 'rapl (measured)', carbon_intensity_g_co2e_kwh: 56, carbon_intensity_source: 'country', on_cloud: 'N' });
  writeFileSync(join(dir, 'emissions.csv'), csvLine(columns) + csvLine(columns.map((c) => base[c])));
  const lines = [csvLine(taskColumns)];
  for (let i = 0; i < rows; i++) {
    const kwh = 1e-7 * (1 + (i % 997));
    const t: Record<string, string | number> = { ...base, task_name: `request ${i}`, duration: 0.01, energy_consumed: kwh, cpu_energy: kwh,
      emissions: kwh * 0.056, final: i % 1000 === 0 ? 'N' : 'Y', resolution: 'sampled', task_count: 1, ended_by: 'stopTask' };
    lines.push(csvLine(taskColumns.map((c) => t[c])));
  }
  writeFileSync(join(dir, `emissions_bench_${runId}.csv`), lines.join(''));
  return join(dir, 'emissions.csv');
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Chromium's time to render `out` up to its tasks chart, median of 5 fresh pages; null without Chromium. */
async function renderMs(out: string): Promise<number | null> {
  if (!existsSync(chromium)) {
    console.log(`board bench: no Chromium at ${chromium} (Debian package chromium): render time not measured`);
    return null;
  }
  const { chromium: launcher } = await import('playwright-core');
  const browser = await launcher.launch({ executablePath: chromium, args: ['--no-sandbox'] });
  const renders: number[] = [];
  for (let i = 0; i < 5; i++) {
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    const t0 = performance.now();
    await page.goto(`${pathToFileURL(out).href}#tasks`);
    await page.waitForSelector('[data-chart="tasks"] canvas');
    renders.push(performance.now() - t0);
    await page.close();
  }
  await browser.close();
  return median(renders);
}

/** The figures: page written (median of 3), page rendered in Chromium up to its tasks view drawn (median of 5). */
export async function boardReport(): Promise<Figure[]> {
  const dir = mkdtempSync(join(tmpdir(), 'cc-bench-board-'));
  try {
    const csv = files(dir, taskRows);
    const out = join(dir, 'report.html');
    const writes: number[] = [];
    for (let i = 0; i < 3; i++) {
      const t0 = performance.now();
      writeFileSync(out, renderPage(new BoardState([csv], false).model()));
      writes.push(performance.now() - t0);
    }
    const figures: Figure[] = [
      { name: 'report: write the page for a 100,000-row task file', value: median(writes), unit: 'ms',
        method: 'median of 3: read and parse emissions.csv and the 100,000-row task file beside it (22 MB), build the model, write the HTML' },
      { name: 'report: size of that page', value: statSync(out).size / 1024, unit: 'KiB',
        method: 'the page holds the top 25 task rows and the sums, not every row; uPlot and the map inlined' },
    ];
    const render = await renderMs(out);
    if (render === null) return figures;
    figures.push({ name: 'report: 100,000-row task file rendered in headless Chromium', value: render, unit: 'ms', goal: '< 3000 ms',
      method: 'median of 5 fresh pages: goto(file://…/report.html#tasks) until the tasks chart\'s canvas exists (Debian chromium, playwright-core)' });
    figures.push({ name: 'report: written and rendered, 100,000-row task file', value: median(writes) + render, unit: 'ms', goal: '< 3000 ms',
      method: 'the two medians above added' });
    return figures;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// Run alone (node dist/bench/board.js): measures, prints, and puts these figures into bench/results.json in place.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const got = await boardReport();
  for (const f of got) console.log(`${f.name.padEnd(62)} ${String(+f.value.toPrecision(4)).padStart(10)} ${f.unit}`);
  const path = fileURLToPath(new URL('../../bench/results.json', import.meta.url));
  const results = JSON.parse(readFileSync(path, 'utf8')) as { machine: object; figures: (Figure & { date: string })[] };
  const date = new Date().toISOString();
  const names = new Set(got.map((f) => f.name));
  results.figures = [...results.figures.filter((f) => !names.has(f.name)),
    ...got.map((f) => ({ ...f, machine: results.machine, date, note: 'measured alone, on a 2-core machine shared with two other workers' }))];
  writeFileSync(path, JSON.stringify(results, null, 2) + '\n');
}
