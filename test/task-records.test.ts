// Tasks in code: stopTask() returns an id, taskRecord(id) and taskRecords() give the figures the
// task file has, with or without CSV output, for sampled, apportioned, folded and stop-closed tasks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseCsv } from '../src/output/csv.js';
import { taskColumns } from '../src/output/record.js';
import type { TrackerOptions } from '../src/types.js';
import { scriptedTracker } from './helpers/scripted.js';

/** A scripted tracker (test/helpers/scripted.ts) with experiment name x. */
function scripted(t: import('node:test').TestContext, options: TrackerOptions = {}) {
  return scriptedTracker(t, { experimentName: 'x', ...options });
}

const joules = (kwh: unknown): number => Number(kwh) * 3.6e6;

test('without CSV output: stopTask() returns an id; taskRecord(id) has the task\'s energy, emissions, duration, final and resolution', async (t) => {
  const { tracker, clock, dir } = scripted(t, { outputMethods: [] });
  tracker.start();
  tracker.startTask('short');
  clock.advance(500);
  const short = tracker.stopTask();
  tracker.startTask('long');
  clock.advance(61_000);
  const long = tracker.stopTask('long');
  assert.deepEqual([short, long], [0, 1]);
  const a = (await tracker.taskRecord(short))!;
  const b = (await tracker.taskRecord(long))!;
  assert.deepEqual(Object.keys(a), [...taskColumns]);
  assert.deepEqual([a.task_name, a.duration, a.final, a.resolution, a.task_count, a.ended_by], ['short', 0.5, 'Y', 'apportioned', 1, 'stopTask']);
  assert.deepEqual([b.task_name, b.duration, b.final, b.resolution], ['long', 61, 'Y', 'sampled']);
  assert.ok(Math.abs(joules(a.cpu_energy) - 5) < 1e-9 && Math.abs(joules(b.cpu_energy) - 610) < 1e-9);
  assert.ok(Math.abs(Number(b.emissions) - Number(b.energy_consumed) * Number(b.carbon_intensity_g_co2e_kwh) / 1000) < 1e-15);
  assert.equal(await tracker.taskRecord(7), null);
  assert.equal(await tracker.taskRecord(-1), null);
  await tracker.stop();
  assert.equal(existsSync(join(dir, `emissions_x_${tracker.runId}.csv`)), false);
  // After stop(): the same figures, from the measurement sealed at the stop (the machine's
  // utilisation is the run's at its stop, as in the task file).
  const energyOf = (r: Record<string, unknown>) => ['duration', 'cpu_energy', 'gpu_energy', 'ram_energy', 'energy_consumed', 'emissions',
    'final', 'resolution', 'ended_by'].map((c) => r[c]);
  assert.deepEqual(energyOf((await tracker.taskRecord(long))!), energyOf(b));
});

test('taskRecords() equals the task file row for row: kept tasks, folded names (task_count) and tasks closed by stop()', async (t) => {
  const { tracker, clock, dir } = scripted(t, { taskRecordsKept: 2 });
  tracker.start();
  const ids: number[] = [];
  for (let i = 0; i < 5; i++) {
    tracker.startTask('a');
    clock.advance(100);
    ids.push(tracker.stopTask('a'));
    await tracker.sampler!.sampleNow(); // settles each: the folds can take them
  }
  tracker.startTask('open');
  clock.advance(300);
  await tracker.stop();
  const records = await tracker.taskRecords();
  const [header, ...rows] = parseCsv(readFileSync(join(dir, `emissions_x_${tracker.runId}.csv`), 'utf8'));
  assert.deepEqual(header, [...taskColumns]);
  assert.deepEqual(records.map((r) => taskColumns.map((c) => String(r[c]))).map((r) => r.filter((_, i) => header![i] !== 'timestamp')),
    rows.map((r) => r.filter((_, i) => header![i] !== 'timestamp')));
  assert.deepEqual(records.map((r) => [r.task_name, r.resolution, r.task_count, r.ended_by]),
    [['a', 'apportioned', 1, 'stopTask'], ['a', 'apportioned', 1, 'stopTask'], ['a', 'folded', 3, 'stopTask'], ['open', 'folded', 1, 'stop']]);
  // Past taskRecordsKept the task closed by stop() folds too, its row still saying so.
  // A folded task has no record of its own; a kept one does.
  assert.equal(await tracker.taskRecord(ids[4]!), null);
  assert.equal((await tracker.taskRecord(ids[1]!))!.task_name, 'a');
  // Every task's energy is there: 5 × 0.1 s + 0.3 s at 10 W.
  assert.ok(Math.abs(records.reduce((s, r) => s + joules(r.cpu_energy), 0) - 8) < 1e-9);
});

test('a record asked for before the sample after the task\'s end waits for it, then is final', async (t) => {
  const { tracker, clock } = scripted(t);
  tracker.start();
  tracker.startTask('t');
  clock.advance(250);
  const id = tracker.stopTask();
  const r = (await tracker.taskRecord(id))!;
  assert.equal(r.final, 'Y');
  assert.ok(Math.abs(joules(r.cpu_energy) - 2.5) < 1e-9);
  await tracker.stop();
});

test('nextTask() in a loop: a row per iteration, back to back, the same energy as pairs would give; the last ends with stopTask()', async (t) => {
  const { tracker, clock, dir } = scripted(t);
  assert.throws(() => tracker.nextTask(undefined as unknown as string), /nextTask\(name\): name must be a string .*got undefined/);
  const ids: number[] = [];
  for (let i = 0; i < 4; i++) { // the first call starts the tracker, as startTask() does
    ids.push(tracker.nextTask('step'));
    clock.advance(250 * (i + 1));
  }
  ids.push(tracker.stopTask('step'));
  assert.deepEqual(ids, [-1, 0, 1, 2, 3]);
  await tracker.stop();
  const records = await tracker.taskRecords();
  assert.deepEqual(records.map((r) => [r.task_name, r.duration, r.ended_by]), [250, 500, 750, 1000].map((ms) => ['step', ms / 1000, 'stopTask']));
  // 2.5 s at 10 W, all of it in the tasks: nothing falls between two.
  assert.ok(Math.abs(records.reduce((s, r) => s + joules(r.cpu_energy), 0) - 25) < 1e-9);
  const [, ...rows] = parseCsv(readFileSync(join(dir, `emissions_x_${tracker.runId}.csv`), 'utf8'));
  assert.equal(rows.length, 4);
});

test('a task row\'s timestamp is its own end, a folded row\'s its last task\'s; the run\'s utilisation is not passed for a task\'s', async (t) => {
  const { tracker, clock } = scripted(t, { taskRecordsKept: 1 });
  tracker.start();
  tracker.startTask('early');
  clock.advance(1000);
  tracker.stopTask('early');
  await tracker.sampler!.sampleNow();
  for (let i = 0; i < 3; i++) {
    clock.advance(20_000);
    tracker.startTask('later');
    clock.advance(1000);
    tracker.stopTask('later');
    await tracker.sampler!.sampleNow();
  }
  clock.advance(30_000);
  await tracker.stop();
  const run = tracker.finalEmissionsData!;
  const [early, later] = await tracker.taskRecords();
  assert.deepEqual([early!.task_name, later!.task_name, later!.task_count], ['early', 'later', 3]);
  const at = (r: { timestamp: string | number }): number => Date.parse(String(r.timestamp));
  // Whole seconds, as the run's timestamp: the early task ended 92 s before the run, the last 'later' task 30 s before.
  assert.ok(Math.abs(at(run) - at(early!) - 92_000) <= 1000, `${early!.timestamp} vs the run's ${run.timestamp}`);
  assert.ok(Math.abs(at(run) - at(later!) - 30_000) <= 1000, `${later!.timestamp} vs the run's ${run.timestamp}`);
  for (const r of [early!, later!]) {
    assert.deepEqual([r.cpu_utilization_percent, r.gpu_utilization_percent, r.ram_utilization_percent, r.ram_used_gb], ['', '', '', '']);
  }
});
