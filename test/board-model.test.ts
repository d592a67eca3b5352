// The board's reading of files (rows kept or skipped by line, task files found beside, last row per run) and its model.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cloudView, regionalView } from '../src/board/compare.js';
import { readBoardFile, readBoardFiles } from '../src/board/files.js';
import { buildModel } from '../src/board/model.js';
import { renderPage } from '../src/board/page.js';
import { emissionsRequired, readTable, text as cellText } from '../src/board/rows.js';
import { parseCsv } from '../src/output/csv.js';
import { BoardState } from '../src/board/server.js';
import { equivalents } from '../src/emissions/equivalents.js';
import { regionTable } from '../src/emissions/data.js';
import { ScriptedClock, ScriptedRapl } from './helpers/scripted.js';
import { tempDir } from './helpers/sysfs.js';
import { fakeTracker } from './helpers/tracker.js';

const fixtures = fileURLToPath(new URL('./fixtures/board/', import.meta.url));

function place(): string {
  const dir = tempDir('cc-board-model-');
  for (const f of readdirSync(fixtures)) copyFileSync(join(fixtures, f), join(dir, f));
  return dir;
}

test('rows keep their line numbers across quoted line breaks; bad rows are skipped with theirs', () => {
  const header = 'timestamp,project_name,run_id,duration,emissions,energy_consumed';
  const text = `${header}\n2025-01-01T00:00:00,"two\nlines",r1,1,0.1,0.2\n\n2025-01-01T00:00:01,p,r2,1,-3,0.2\n2025-01-01T00:00:02,p,r3,1\n${header}\n`
    + '2025-01-01T00:00:03,p,,1,0.1,0.2\n2025-01-01T00:00:04,p,r4,1,1e-05,2.5e-05\nyesterday,p,r5,1,0.1,0.2\n';
  const t = readTable(text, emissionsRequired)!;
  assert.deepEqual(t.rows.map((r) => [r.line, cellText(r, 'run_id')]), [[2, 'r1'], [9, 'r4']]);
  assert.deepEqual(t.skipped, [
    { line: 5, reason: 'emissions is not a number >= 0: "-3"' },
    { line: 6, reason: '4 fields where the header has 6' },
    { line: 7, reason: 'a repeated header line' },
    { line: 8, reason: 'run_id is empty' },
    { line: 10, reason: 'timestamp is not a date: "yesterday"' },
  ]);
  assert.equal(readTable('date,amount\n1,2\n', emissionsRequired), null);
});

test('files: CodeCarbon 3.3.0\'s 38 columns, this port\'s 45, the task file found beside, empty and foreign files said so', () => {
  const dir = place();
  const files = readBoardFiles([join(dir, 'codecarbon-3.3.0.csv'), join(dir, 'emissions.csv'), join(dir, 'empty.csv'), join(dir, 'foreign.csv'), join(dir, 'nope.csv')]);
  assert.deepEqual(files.map((f) => [f.path.slice(dir.length + 1), f.kind, 'format' in f ? f.format : f.kind === 'unusable' ? f.problem.split(':')[0] : '']), [
    ['codecarbon-3.3.0.csv', 'emissions', 'CodeCarbon (38 columns, 3.x)'],
    ['emissions.csv', 'emissions', 'codecarbon for Node.js (45 columns)'],
    ['empty.csv', 'unusable', 'the file is empty'],
    ['foreign.csv', 'unusable', 'not an emissions file'],
    ['nope.csv', 'unusable', 'could not read it'],
    ['emissions_node-api_9d8c7b6a-5f4e-4d3c-9b2a-1f0e9d8c7b6a.csv', 'tasks', 'codecarbon for Node.js tasks'],
  ]);
  const bench = readBoardFile(join(dir, 'bench.json'));
  assert.equal(bench.kind, 'bench');
  // A task with no operation completed has null per-operation figures: still a bench report, shown with "—".
  const report = JSON.parse(readFileSync(join(dir, 'bench.json'), 'utf8')) as { tasks: Record<string, unknown>[] };
  Object.assign(report.tasks[0]!, { runs: 0, joulesPerOp: null, gCo2ePerOp: null });
  writeFileSync(join(dir, 'errored.json'), JSON.stringify(report));
  const errored = readBoardFile(join(dir, 'errored.json'));
  assert.equal(errored.kind, 'bench');
  assert.equal(buildModel([errored], 'v', false).bench[0]!.tasks[0]!.joulesPerOp, null);
  writeFileSync(join(dir, 'other.json'), '{"a":1}');
  assert.deepEqual(readBoardFile(join(dir, 'other.json')), { path: join(dir, 'other.json'), kind: 'unusable',
    problem: 'JSON without "tasks" and "intensity": not a codecarbon bench --json report' });
  writeFileSync(join(dir, 'half.json'), '{"tasks":[{"name":"x","joulesPerOp":1}],"intensity":{}}');
  assert.equal((readBoardFile(join(dir, 'half.json')) as { problem: string }).problem,
    'tasks[0] lacks name, joulesPerOp, gCo2ePerOp or cpu/gpu/ram: not a codecarbon bench --json report');
});

test('files this port\'s tracker wrote: the run and its task file (found beside) read whole, figures and names as written', async (t) => {
  const clock = new ScriptedClock(1000);
  const hw = new ScriptedRapl(1, 10, undefined, clock);
  t.after(hw.forTrackers());
  const { tracker, dir } = fakeTracker({ raplDir: hw.root, forceRamPower: 1e-6, samplePeriodMs: 60_000, experimentName: 'x', projectName: '=real' });
  tracker.start();
  // Names a spreadsheet would run as formulas: written with an apostrophe, shown as given.
  for (const name of ['-a', 'b', '-a']) {
    tracker.startTask(name);
    clock.advance(2000);
    tracker.stopTask(name);
  }
  await tracker.stop();
  const files = readBoardFiles([join(dir, 'emissions.csv')]);
  assert.deepEqual(files.map((f) => [f.path.slice(dir.length + 1), f.kind, 'table' in f ? f.table.skipped : null]),
    [['emissions.csv', 'emissions', []], [`emissions_x_${tracker.runId}.csv`, 'tasks', []]]);
  const m = buildModel(files, 'v', false);
  const [header, row] = parseCsv(readFileSync(join(dir, 'emissions.csv'), 'utf8'));
  const csv = Object.fromEntries(header!.map((h, i) => [h, row![i]!]));
  const run = m.projects[0]!.runs[0]!;
  assert.deepEqual([m.projects[0]!.name, run.runId, run.energyKwh, run.emissionsKg, run.components.cpu.source, run.intensity.gCo2ePerKwh, run.intensity.derived],
    ['=real', tracker.runId, Number(csv['energy_consumed']), Number(csv['emissions']), csv['cpu_source'], Number(csv['carbon_intensity_g_co2e_kwh']), false]);
  assert.deepEqual([run.tasks!.rows, run.tasks!.tasks, run.tasks!.provisional], [3, 3, 0]);
  assert.equal(csv['project_name'], "'=real");
  assert.deepEqual(run.tasks!.byName.map((n) => [n.name, n.rows, n.tasks]), [['-a', 2, 2], ['b', 1, 1]]);
  // 3 tasks of 2 s with the CPU at 10 W (RAM forced to 1 µW adds 6 µJ).
  assert.ok(Math.abs(run.tasks!.joules - 3 * 2 * 10) < 1e-4, `${run.tasks!.joules} J`);
});

test('model: a run is its last row (rows are cumulative), totals sum runs, tasks sum folded counts, provisional rows counted', () => {
  const dir = place();
  const m = buildModel(readBoardFiles([join(dir, 'codecarbon-3.3.0.csv'), join(dir, 'emissions.csv')]), 'v1', false);
  const upstream = m.projects.find((p) => p.name === 'upstream-train')!;
  assert.deepEqual(upstream.runs.map((r) => [r.runId, r.series.length, r.line]), [
    ['8e3f51b6-1c37-4b2e-9a51-2f0c8f3a7d10', 1, 2], ['c41d9a0e-77b5-4d8c-8f3e-5a6b7c8d9e0f', 2, 4]]);
  const gcp = upstream.runs[1]!;
  assert.equal(gcp.energyKwh, 0.05463558160588549);
  assert.equal(gcp.components.gpu.energyKwh, 0.041301699578823754);
  assert.equal(gcp.components.gpu.source, 'not recorded (CodeCarbon files do not say)');
  assert.equal(gcp.intensity.derived, true);
  assert.deepEqual(gcp.cloud, { provider: 'gcp', region: 'europe-west1' });
  assert.equal(upstream.energyKwh, 0.0008898986193376662 + 0.05463558160588549);
  assert.deepEqual(upstream.equivalents, equivalents(upstream.emissionsKg));
  const node = m.projects.find((p) => p.name === 'node-api')!;
  const run = node.runs[1]!;
  assert.deepEqual(run.intensity, { gCo2ePerKwh: 411.4, source: 'country', dataset: 'codecarbon', year: '2023', derived: false });
  assert.equal(run.components.cpu.source, 'rapl (measured)');
  assert.deepEqual([run.tasks!.rows, run.tasks!.tasks, run.tasks!.provisional, run.tasks!.top[0]!.name], [6, 4005, 1, 'load-model']);
  assert.equal(m.totals.runs, 4);
  assert.equal(m.totals.emissionsKg, upstream.emissionsKg + node.emissionsKg);
  assert.ok(m.world.countries.length > 200 && !m.world.countries.some((c) => c.iso3 === 'ATA'));
});

test('a CodeCarbon row with energy_consumed 0: its intensity is not known (null, said so), not a derived 0', () => {
  const dir = place();
  const [header, first] = parseCsv(readFileSync(join(dir, 'codecarbon-3.3.0.csv'), 'utf8'));
  const at = (c: string): number => header!.indexOf(c);
  const row = [...first!];
  for (const c of ['cpu_energy', 'gpu_energy', 'ram_energy', 'energy_consumed']) row[at(c)] = '0.0';
  const file = join(dir, 'zero.csv');
  writeFileSync(file, `${header!.join(',')}\n${row.map((v) => (/[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v)).join(',')}\n`);
  const run = buildModel(readBoardFiles([file]), 'v1', false).projects[0]!.runs[0]!;
  assert.ok(run.emissionsKg > 0);
  assert.equal(run.intensity.gCo2ePerKwh, null);
  assert.equal(run.intensity.derived, true);
  assert.match(run.intensity.source, /^not known: .*energy_consumed is 0/);
});

test('cloud regions: CodeCarbon\'s recommendation sentence, or "already running" in the least-emitting region', () => {
  const gcp = Object.values(regionTable().cloudRegions).filter((r) => r.provider === 'gcp').sort((a, b) => a.gCo2ePerKwh - b.gCo2ePerKwh);
  const best = gcp[0]!;
  const worst = gcp[gcp.length - 1]!;
  const v = cloudView({ provider: 'gcp', region: worst.region }, 1000);
  assert.equal(v.regions[0]!.region, best.region);
  assert.equal(v.recommendation, `Had this been run in ${best.region} region, then the emitted carbon would have been ${best.gCo2ePerKwh.toFixed(1)} kg. `
    + `Reducing the current emissions by ${(worst.gCo2ePerKwh - best.gCo2ePerKwh).toFixed(1)} kg.`);
  assert.equal(cloudView({ provider: 'gcp', region: best.region }, 1).recommendation, `Already running on Google Cloud's least emissions region ${best.region}.`);
  assert.ok(cloudView({ provider: 'aws', region: 'eu-north-1' }, 1).regions.length > 10, 'AWS regions are compared by where they are');
});

test('regions: US states and Canadian provinces compared as CodeCarbon\'s carbonboard does; none elsewhere', () => {
  const us = regionalView('USA', 2)!;
  const states = Object.entries(regionTable().usStates).filter(([n]) => n !== 'usa');
  assert.equal(us.regions.length, states.length);
  const cleanest = states.sort((a, b) => a[1].gCo2ePerKwh - b[1].gCo2ePerKwh)[0]!;
  assert.deepEqual(us.regions[0], { name: cleanest[0], code: cleanest[1].code, gCo2ePerKwh: cleanest[1].gCo2ePerKwh,
    kg: (2 * cleanest[1].gCo2ePerKwh) / 1000, year: 2016 });
  assert.equal(regionalView('CAN', 1)!.regions.length, 13);
  assert.equal(regionalView('FRA', 1), null);
});

test('the page is self-contained: nothing to fetch, and file contents cannot close its scripts', () => {
  const dir = place();
  const html = renderPage(new BoardState([join(dir, 'emissions.csv')], false).model());
  assert.doesNotMatch(html, /<script[^>]+src=|<link[^>]+href=|@import|url\(http/i);
  const data = /<script type="application\/json" id="board-data">(.*?)<\/script>/s.exec(html)![1]!;
  assert.doesNotMatch(data, /<\/script/i);
  assert.match(JSON.parse(data).projects[0].runs[1].tasks.top.map((t: { name: string }) => t.name).join('|'), /<img src=x onerror=alert\(1\)><\/script>/);
});

test('the board\'s state reads the files again only when they change (a new task file beside included)', () => {
  const dir = place();
  const state = new BoardState([join(dir, 'emissions.csv')], true);
  const first = state.model();
  assert.equal(state.model(), first);
  const tasks = readFileSync(join(dir, 'emissions_node-api_9d8c7b6a-5f4e-4d3c-9b2a-1f0e9d8c7b6a.csv'), 'utf8');
  writeFileSync(join(dir, 'emissions_node-api_3f6a2b9c-5d4e-4f1a-8b7c-6d5e4f3a2b1c.csv'), tasks.replaceAll('9d8c7b6a-5f4e-4d3c-9b2a-1f0e9d8c7b6a', '3f6a2b9c-5d4e-4f1a-8b7c-6d5e4f3a2b1c'));
  const second = state.model();
  assert.notEqual(second.version, first.version);
  assert.equal(second.projects[0]!.runs[0]!.tasks!.rows, 6);
});
