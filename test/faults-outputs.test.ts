// Faults in the files written: a cut last line, an absolute output_file, an experiment name with
// separators, a CSV path that cannot be written; no row lost or duplicated, no bad number written.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { appendRow, csvLine, parseCsv, updateRow } from '../src/output/csv.js';
import { columns } from '../src/output/record.js';
import type { TrackerOptions } from '../src/types.js';
import { tempDir } from './helpers/sysfs.js';
import { fakeTracker } from './helpers/tracker.js';

/** A tracker over fake hardware whose warnings are collected; its temp dirs go when the test ends. */
function tracked(t: TestContext, options: TrackerOptions = {}) {
  const made = fakeTracker(options);
  const warnings: string[] = [];
  made.tracker.addEventListener('warning', (e) => warnings.push((e as Event & { message: string }).message));
  t.after(() => { rmSync(made.dir, { recursive: true, force: true }); rmSync(made.rapl.root, { recursive: true, force: true }); });
  return { ...made, warnings };
}

/** Every numeric cell of a record row is a finite number >= 0. */
function assertSaneNumbers(row: readonly string[]): void {
  for (const c of ['duration', 'emissions', 'emissions_rate', 'cpu_power', 'ram_power', 'cpu_energy', 'ram_energy', 'energy_consumed']) {
    const v = Number(row[columns.indexOf(c as (typeof columns)[number])]);
    assert.ok(Number.isFinite(v) && v >= 0, `${c} = ${row[columns.indexOf(c as (typeof columns)[number])]}`);
  }
}

const cut = '2026-01-01T00:00:00+00:00,codecarbon,0f0e,5b0f';

test('emissions.csv cut off mid-row: the next row starts its own line, the cut line stays short, one warning', async (t) => {
  const { tracker, dir, warnings } = tracked(t);
  const path = join(dir, 'emissions.csv');
  const full = csvLine(columns.map((c) => (c === 'run_id' ? 'earlier' : c === 'duration' ? 1 : '')));
  writeFileSync(path, csvLine(columns) + full + cut);
  tracker.start();
  await tracker.stop();
  assert.deepEqual(warnings, [`${path}: line 3 was cut off (no newline at its end, 4 of 45 cells: a crash or a full disk?); `
    + 'it is left as it is, and rows go on from the next line']);
  const first = tracker.runId;
  tracker.start();
  await tracker.stop();
  assert.equal(warnings.length, 1);
  const rows = parseCsv(readFileSync(path, 'utf8'));
  assert.deepEqual(rows.map((r) => r.length), [45, 45, 4, 45, 45]);
  assert.deepEqual(rows[2], cut.split(','));
  assert.deepEqual(rows.slice(3).map((r) => r[columns.indexOf('run_id')]), [first, tracker.runId]);
  for (const row of rows.slice(3)) assertSaneNumbers(row);
  assert.equal(tracker.writeError, null);
});

test('a line cut inside a quoted cell: its quote is closed, so the row after it is not swallowed', (t) => {
  const dir = tempDir();
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'e.csv');
  writeFileSync(path, 'a,b\n1,"par');
  const warnings: string[] = [];
  assert.equal(appendRow(path, ['a', 'b'], { a: 2, b: 'x, y' }, (m) => warnings.push(m)), null);
  assert.equal(readFileSync(path, 'utf8'), 'a,b\n1,"par"\n2,"x, y"\n');
  assert.deepEqual(warnings, [`${path}: line 2 was cut off (no newline at its end, 2 of 2 cells: a crash or a full disk?); `
    + 'it is left as it is (its open quote closed), and rows go on from the next line']);
});

test('update mode over a cut file: the run\'s row is appended once on its own line, then updated in place', async (t) => {
  const { tracker, dir, warnings } = tracked(t, { onCsvWrite: 'update' });
  const path = join(dir, 'emissions.csv');
  writeFileSync(path, csvLine(columns) + cut);
  tracker.start();
  await tracker.flush();
  await tracker.stop();
  assert.deepEqual(warnings, [`${path}: line 2 was cut off (no newline at its end, 4 of 45 cells: a crash or a full disk?); `
    + 'it is left as it is, and rows go on from the next line']);
  const rows = parseCsv(readFileSync(path, 'utf8'));
  assert.deepEqual(rows.map((r) => r.length), [45, 4, 45]);
  assert.equal(rows[2]![columns.indexOf('run_id')], tracker.runId);
  assertSaneNumbers(rows[2]!);
  assert.deepEqual(readdirSync(dir).filter((f) => f.endsWith('.tmp')), []);
});

test('update mode rewriting a file whose last line is cut: that line ends in a newline now, with the warning', (t) => {
  const dir = tempDir();
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'e.csv');
  writeFileSync(path, 'run_id,emissions\nmine,1\noth');
  const warnings: string[] = [];
  updateRow(path, ['run_id', 'emissions'], { run_id: 'mine', emissions: 3 }, (m) => warnings.push(m));
  assert.equal(readFileSync(path, 'utf8'), 'run_id,emissions\nmine,3\noth\n');
  assert.deepEqual(warnings, [`${path}: line 3 was cut off (no newline at its end, 1 of 2 cells: a crash or a full disk?); `
    + 'it is left as it is, and rows go on from the next line']);
});

test('an absolute output_file is used as it is, not put under output_dir (os.path.join, as CodeCarbon)', async (t) => {
  const elsewhere = tempDir();
  t.after(() => rmSync(elsewhere, { recursive: true, force: true }));
  const abs = join(elsewhere, 'runs.csv');
  const { tracker, dir, warnings } = tracked(t, { outputFile: abs });
  tracker.start();
  await tracker.stop();
  assert.deepEqual(warnings, []);
  const rows = parseCsv(readFileSync(abs, 'utf8'));
  assert.equal(rows.length, 2);
  assert.equal(rows[1]![columns.indexOf('run_id')], tracker.runId);
  assert.deepEqual(readdirSync(dir), []);
});

test('an experiment_name with separators: the task file still lands in output_dir; the name itself is unchanged', async (t) => {
  const root = tempDir();
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const out = join(root, 'a', 'b');
  mkdirSync(out, { recursive: true });
  for (const experimentName of ['x/../../evil', '../../evil', '..\\..\\evil']) {
    const { tracker, warnings } = tracked(t, { outputDir: out, experimentName });
    tracker.start();
    tracker.startTask('step');
    tracker.stopTask('step');
    await tracker.stop();
    assert.deepEqual(warnings, []);
    assert.equal(tracker.options.experimentName, experimentName);
    const file = `emissions_${experimentName.replace(/[/\\]/g, '_')}_${tracker.runId}.csv`;
    assert.ok(existsSync(join(out, file)), `${file} in ${readdirSync(out).join(', ')}`);
    assert.equal(parseCsv(readFileSync(join(out, file), 'utf8')).length, 2);
  }
  assert.deepEqual(readdirSync(root), ['a']);
  assert.deepEqual(readdirSync(join(root, 'a')), ['b']);
  assert.equal(readdirSync(out).length, 4); // emissions.csv and three task files
});

test('a CSV path that cannot be written: a warning with the file, errno and fix; writeError says so; the record is kept', async (t) => {
  const { tracker, dir, warnings } = tracked(t);
  const path = join(dir, 'emissions.csv');
  mkdirSync(path);
  tracker.start();
  tracker.startTask('step');
  tracker.stopTask('step');
  const kg = await tracker.stop();
  const message = `could not write ${path} (EISDIR): it is a directory: remove it or choose another output_file; `
    + 'the record is kept in finalEmissionsData';
  assert.deepEqual(warnings, [message]);
  assert.equal(tracker.writeError?.name, 'OutputError');
  assert.equal(tracker.writeError?.message, message);
  assert.ok(kg !== null && kg >= 0 && Number(tracker.finalEmissionsData!.emissions) === kg);
  // The task file is written all the same.
  assert.equal(readdirSync(dir).filter((f) => f.startsWith(`emissions_base_${tracker.runId}`)).length, 1);
  rmSync(path, { recursive: true });
  tracker.start();
  await tracker.stop();
  assert.equal(tracker.writeError, null);
  assert.equal(parseCsv(readFileSync(path, 'utf8')).length, 2);
});
