// Faults of task use: distinct names in a hot loop, a name opened twice, tasks before start() or
// open at stop(), a stop() with many rows. Bounded, each said, nothing lost or made up.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { foldedNameCap, otherNames, writeChunk } from '../src/task-ledger.js';
import type { TrackerOptions } from '../src/types.js';
import { rowsOf } from './helpers/rows.js';
import { scriptedTracker } from './helpers/scripted.js';

/** A scripted tracker (test/helpers/scripted.ts) with experiment name x, and its task file's rows. */
function scripted(t: import('node:test').TestContext, options: TrackerOptions = {}) {
  const s = scriptedTracker(t, { experimentName: 'x', ...options });
  const taskRows = (): Record<string, string>[] => rowsOf(join(s.dir, `emissions_x_${s.tracker.runId}.csv`));
  return { ...s, taskRows };
}

test('150,000 distinct task names in a hot loop: 1,000 folded by name, the rest in one (other names) row; every task counted, energy conserved', async (t) => {
  const { tracker, clock, hw, taskRows } = scripted(t, { taskRecordsKept: 10 });
  tracker.start();
  const n = 150_000;
  const from = clock.ms;
  for (let i = 0; i < n; i++) {
    tracker.startTask(`req-${i}`);
    clock.advance(0.01);
    tracker.stopTask(`req-${i}`);
    if (i % 20_000 === 0) await tracker.sampler!.sampleNow(); // the sampler settles tasks as it goes: folds happen in the loop
  }
  const to = clock.ms;
  await tracker.stop();
  const rows = taskRows();
  const kept = rows.filter((r) => r['resolution'] !== 'folded');
  const folded = rows.filter((r) => r['resolution'] === 'folded');
  assert.equal(kept.length, 10);
  assert.equal(folded.filter((r) => r['task_name'] !== otherNames).length, foldedNameCap);
  assert.equal(folded.filter((r) => r['task_name'] === otherNames).length, 1);
  assert.equal(rows.reduce((s, r) => s + Number(r['task_count']), 0), n);
  const joules = rows.reduce((s, r) => s + Number(r['cpu_energy']) * 3.6e6, 0);
  const truth = hw.truthJ(from, to);
  assert.ok(Math.abs(joules - truth) < 1e-6 * truth, `${joules} J vs ${truth} J`);
  for (const r of rows) assert.ok(Number(r['cpu_energy']) >= 0 && r['final'] === 'Y');
});

test('a task name opened twice: the second is renamed <name>_<uuid4> (as upstream), one warning per name, both written', async (t) => {
  const { tracker, clock, warnings, taskRows } = scripted(t);
  tracker.start();
  assert.equal(tracker.startTask('load'), 'load');
  const second = tracker.startTask('load');
  assert.match(second, /^load_[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  const third = tracker.startTask('load');
  clock.advance(10);
  for (const name of [third, second, 'load']) tracker.stopTask(name);
  await tracker.stop();
  assert.deepEqual(taskRows().map((r) => r['task_name']).sort(), ['load', second, third].sort());
  assert.deepEqual(warnings, [`startTask("load"): a task of that name is already open; this one is named ${JSON.stringify(second)} `
    + '(stopTask() with that name, or give each open task its own name)']);
});

test('startTask() before start() starts the run, as CodeCarbon\'s start_task measures; stopTask() of no open task says so', async (t) => {
  const { tracker, clock, warnings, taskRows } = scripted(t);
  tracker.startTask('early');
  clock.advance(20);
  tracker.stopTask('early');
  tracker.stopTask('never-started');
  await tracker.stop();
  const [row] = taskRows();
  assert.equal(row!['task_name'], 'early');
  assert.ok(Math.abs(Number(row!['cpu_energy']) * 3.6e6 - 10 * 0.02) < 1e-9);
  assert.deepEqual(warnings, ['stopTask("never-started"): no such task is open']);
  assert.notEqual(tracker.finalEmissionsData, null);
});

test('tasks still open at stop() are closed at the stop mark and written, labelled ended_by = stop', async (t) => {
  const { tracker, clock, warnings, taskRows } = scripted(t);
  tracker.start();
  tracker.startTask('done');
  tracker.startTask('left-a');
  clock.advance(2000);
  tracker.startTask('left-b');
  clock.advance(3000);
  tracker.stopTask('done');
  clock.advance(1000);
  await tracker.stop();
  const rows = taskRows();
  assert.deepEqual(rows.map((r) => [r['task_name'], r['duration'], r['ended_by'], r['final']]),
    [['done', '5', 'stopTask', 'Y'], ['left-a', '6', 'stop', 'Y'], ['left-b', '4', 'stop', 'Y']]);
  // left-a spans the whole run: the same energy (10 W × 6 s), to the last digit.
  const run = tracker.finalEmissionsData!;
  assert.equal(Number(rows[1]!['cpu_energy']), Number(run.cpu_energy));
  assert.ok(Math.abs(Number(run.cpu_energy) * 3.6e6 - 60) < 1e-9, `${run.cpu_energy}`);
  assert.deepEqual(warnings, []);
  assert.equal(tracker.stopTask('left-a'), -1); // closed: a later stopTask() finds it no more
});

test('stop() with 40,000 task rows writes them a piece at a time: the event loop turns between pieces', async (t) => {
  const { tracker, clock, taskRows } = scripted(t, { taskRecordsKept: 100_000 });
  tracker.start();
  const n = 40_000;
  for (let i = 0; i < n; i++) {
    tracker.startTask('step');
    clock.advance(0.01);
    tracker.stopTask('step');
  }
  let turns = 0;
  let counting = true;
  const count = (): void => { turns++; if (counting) setImmediate(count); };
  setImmediate(count);
  await tracker.stop();
  counting = false;
  assert.ok(turns >= Math.ceil(n / writeChunk), `${turns} turns of the event loop during stop()`);
  assert.equal(taskRows().length, n);
});

test('a task name that is not a string: a number is its text (as CodeCarbon writes it), null makes one, anything else is a TypeError naming the call', async (t) => {
  const { tracker, clock, warnings } = scripted(t);
  tracker.start();
  const asNumber = tracker.startTask(42 as unknown as string);
  assert.equal(asNumber, '42');
  clock.advance(100);
  assert.equal(tracker.stopTask(42 as unknown as string), 0, 'stopTask(42) ends the task startTask(42) opened');
  assert.match(tracker.startTask(null as unknown as string), /^task_\d+$/);
  assert.equal(tracker.stopTask(null as unknown as string), 1, 'stopTask(null) ends the last one, as stopTask() does');
  assert.equal(tracker.nextTask(7 as unknown as string), -1);
  assert.equal(tracker.stopTask('7'), 2);
  assert.throws(() => tracker.startTask({ name: 'x' } as unknown as string), {
    name: 'TypeError', message: 'startTask(name): name must be a string (the task\'s name), got an object: startTask(\'load\') or startTask(`batch ${i}`)' });
  assert.throws(() => tracker.stopTask(Symbol('s') as unknown as string), { name: 'TypeError', message: /^stopTask\(name\): name must be a string .*got symbol/ });
  assert.throws(() => tracker.nextTask(null as unknown as string), { name: 'TypeError', message: /^nextTask\(name\): name must be a string/ });
  await tracker.stop();
  assert.deepEqual((await tracker.taskRecords()).map((r) => r.task_name).slice(0, 1), ['42']);
  assert.deepEqual(warnings, []);
});
