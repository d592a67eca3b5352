// Measuring starts at the start mark, whatever the program does next: a synchronous loop, process.exit().
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { trackEmissions } from '../src/decorator.js';
import { now } from '../src/clock.js';
import { parseCsv } from '../src/output/csv.js';
import { columns, taskColumns } from '../src/output/record.js';
import { OfflineEmissionsTracker } from '../src/offline.js';
import { ScriptedRapl } from './helpers/scripted.js';
import { tempDir } from './helpers/sysfs.js';

const J = 3.6e6; // J per kWh

/** Busy work on the calling thread for `ms`: the event loop does not turn. */
function busy(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end);
}

/** The rows of a CSV file as objects keyed by its header. */
function rowsOf(path: string): Record<string, string>[] {
  const [header, ...rows] = parseCsv(readFileSync(path, 'utf8'));
  return rows.map((r) => Object.fromEntries(header!.map((c, i) => [c, r[i]!])));
}

const near = (got: number, want: number, share: number, what: string): void =>
  assert.ok(Math.abs(got - want) <= share * want, `${what}: ${got.toFixed(4)} J vs ${want.toFixed(4)} J`);

test('the README\'s hot loop: start(), synchronous tasks, stop(): the run and every task get the scripted energy', async (t) => {
  const scripted = new ScriptedRapl(1, 10);
  t.after(scripted.forTrackers());
  const dir = tempDir();
  const tracker = new OfflineEmissionsTracker({ countryIsoCode: 'FRA', outputDir: dir, raplDir: scripted.root, forceRamPower: 1e-6,
    samplePeriodMs: 25, experimentName: 'loop', logLevel: 'error' }, { env: {}, cwd: dir, home: dir });
  tracker.start();
  const marks: [number, number][] = []; // each task's bounds on the tracker's clock, within µs of its marks
  for (let i = 0; i < 20; i++) {
    const t0 = now();
    tracker.startTask('transform');
    busy(50);
    tracker.stopTask('transform');
    marks.push([t0, now()]);
  }
  await tracker.stop();
  const run = tracker.finalEmissionsData!;
  const runJ = Number(run.cpu_energy) * J;
  near(runJ, 10 * Number(run.duration), 0.02, 'run');
  assert.equal(run.cpu_source, 'rapl (measured)');
  const tasks = rowsOf(join(dir, `emissions_loop_${tracker.runId}.csv`));
  assert.equal(tasks.length, 20);
  let tasksJ = 0;
  let tasksS = 0;
  // A task shorter than the samples around it shares their energy (apportioned, and honest about
  // it): those in the head (from the start mark to the thread's first sample), and any that a busy
  // machine's late tick left between samples further apart than the task; every other is sampled.
  // Which they are follows from the samples' real times, not from how fast this machine is.
  const tl = tracker.sampler!.timeline!;
  const sampleTimes: number[] = [];
  for (let j = 0, row = tl.row(0); row !== null; row = tl.row(++j)) sampleTimes.push(row[0]!);
  const spacingAt = (t: number): number => {
    let a = sampleTimes.length - 1;
    while (a >= 0 && sampleTimes[a]! > t) a--;
    return a < 0 || a + 1 >= sampleTimes.length ? 0 : sampleTimes[a + 1]! - sampleTimes[a]!;
  };
  let labelled = 0;
  for (const [i, r] of tasks.entries()) {
    const j = Number(r['cpu_energy']) * J;
    near(j, 10 * Number(r['duration']), 0.02, `task of ${r['duration']} s`);
    assert.equal(r['final'], 'Y');
    tasksJ += j;
    tasksS += Number(r['duration']);
    const [t0, t1] = marks[i]!;
    const spacing = Math.max(spacingAt(t0), spacingAt(t1));
    if (Math.abs(spacing - (t1 - t0)) < 1) continue; // too close to call from marks taken µs apart from the tracker's
    labelled++;
    assert.equal(r['resolution'], t1 - t0 < spacing ? 'apportioned' : 'sampled',
      `task ${i}: ${(t1 - t0).toFixed(1)} ms between samples ${spacing.toFixed(1)} ms apart`);
  }
  assert.ok(labelled >= 15, `${labelled} of 20 tasks' labels checked`);
  // The tasks and the time between them add up to the run.
  assert.ok(tasksJ < runJ);
  near(runJ - tasksJ, 10 * (Number(run.duration) - tasksS), 0.02 * runJ / (runJ - tasksJ), 'run outside the tasks');
  assert.deepEqual(Object.keys(run), [...columns]);
  assert.deepEqual(Object.keys(tasks[0]!), [...taskColumns]);
});

test('a wrapped sync function\'s first call is measured from its start', async (t) => {
  const scripted = new ScriptedRapl(1, 25);
  t.after(scripted.forTrackers());
  const dir = tempDir();
  const work = trackEmissions((ms: number) => { busy(ms); return ms; },
    { offline: true, countryIsoCode: 'FRA', outputDir: dir, raplDir: scripted.root, forceRamPower: 1e-6, logLevel: 'error' });
  assert.equal(work(300), 300);
  const path = join(dir, 'emissions.csv');
  // The row is written once a sample after the call exists; stepped on the sampler, not on sleeps.
  for (let i = 0; i < 2000 && !existsSync(path); i++) await new Promise((r) => setTimeout(r, 5));
  const [row] = rowsOf(path);
  near(Number(row!['cpu_energy']) * J, 25 * Number(row!['duration']), 0.02, 'first call');
  assert.ok(Number(row!['duration']) >= 0.3);
});

test('process.exit() 50 ms after start(), the event loop never turning: the row is written, with the energy', async () => {
  const dir = tempDir();
  const raplRoot = tempDir('cc-rapl-');
  const fixture = fileURLToPath(new URL('./fixtures/exit-after-start.js', import.meta.url));
  await promisify(execFile)(process.execPath, [fixture, dir, raplRoot, '50'], { timeout: 30_000 });
  const [row, more] = rowsOf(join(dir, 'emissions.csv'));
  assert.equal(more, undefined);
  assert.ok(Number(row!['duration']) >= 0.05, `duration ${row!['duration']}`);
  near(Number(row!['cpu_energy']) * J, 10 * Number(row!['duration']), 0.02, 'exit row');
});
