// A stop() not awaited: the run ends at its mark whatever comes after it (a start() of the next
// run, process exit), and a run started meanwhile is a run of its own, from its own start mark.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { rowsOf } from './helpers/rows.js';
import { scriptedTracker } from './helpers/scripted.js';

test('process exit while a stop() is in flight: the run ends at the stop\'s mark, not at the exit', async (t) => {
  const { tracker, clock, dir } = scriptedTracker(t);
  tracker.start();
  await tracker.ready();
  clock.advance(100);
  const stopped = tracker.stop(); // not awaited: its record is still to be made when the process exits
  clock.advance(1000);
  tracker.finishNow();
  const rows = rowsOf(join(dir, 'emissions.csv'));
  assert.equal(rows.length, 1);
  assert.equal(Number(rows[0]!['duration']), 0.1);
  assert.equal(await stopped, null, 'the exit wrote its record');
  assert.equal(rowsOf(join(dir, 'emissions.csv')).length, 1, 'written once');
});

test('start() right after a stop() not awaited is a new run, from its own mark, with its own tasks', async (t) => {
  const { tracker, clock, dir, hw, warnings } = scriptedTracker(t, { experimentName: 'x' });
  tracker.start();
  await tracker.ready();
  const t0 = clock.ms;
  tracker.startTask('first');
  clock.advance(200);
  const firstRun = tracker.runId;
  const first = tracker.stop(); // the first task ends here, with its run
  const t1 = clock.ms;
  tracker.start();
  tracker.startTask('second');
  clock.advance(300);
  assert.equal(tracker.stopTask('second'), 0);
  const second = tracker.stop();
  const t2 = clock.ms;
  const [kg1, kg2] = await Promise.all([first, second]);
  assert.ok(kg1! > 0 && kg2! > 0);
  const rows = rowsOf(join(dir, 'emissions.csv'));
  assert.deepEqual(rows.map((r) => Number(r['duration'])), [0.2, 0.3]);
  assert.notEqual(rows[0]!['run_id'], rows[1]!['run_id']);
  assert.equal(rows[0]!['run_id'], firstRun);
  const joules = rows.map((r) => Number(r['cpu_energy']) * 3.6e6);
  assert.ok(Math.abs(joules[0]! - hw.truthJ(t0, t1)) < 1e-6 && Math.abs(joules[1]! - hw.truthJ(t1, t2)) < 1e-6, `${joules} J`);
  const tasks = (runId: string) => rowsOf(join(dir, `emissions_x_${runId}.csv`)).map((r) => [r['task_name'], Number(r['duration'])]);
  assert.deepEqual(tasks(rows[0]!['run_id']!), [['first', 0.2]]);
  assert.deepEqual(tasks(rows[1]!['run_id']!), [['second', 0.3]]);
  assert.deepEqual(warnings, []);
});

test('runs started and stopped in a loop without awaiting: each its own row, in order, the energy of each its own span', async (t) => {
  const { tracker, clock, dir, hw } = scriptedTracker(t);
  tracker.start();
  await tracker.ready();
  await tracker.stop();
  const spans: [number, number][] = [];
  const stops: Promise<number | null>[] = [];
  for (let i = 1; i <= 4; i++) {
    const from = clock.ms;
    tracker.start();
    tracker.startTask('step'); // a task of the queued run: its own ledger
    clock.advance(10 * i);
    tracker.stopTask('step');
    stops.push(tracker.stop());
    spans.push([from, clock.ms]);
    clock.advance(5); // between runs: counted in none
  }
  const kg = await Promise.all(stops);
  assert.ok(kg.every((x) => x !== null && x > 0), `${kg}`);
  const rows = rowsOf(join(dir, 'emissions.csv')).slice(1);
  assert.deepEqual(rows.map((r) => Number(r['duration'])), [0.01, 0.02, 0.03, 0.04]);
  rows.forEach((r, i) => {
    const truth = hw.truthJ(...spans[i]!);
    assert.ok(Math.abs(Number(r['cpu_energy']) * 3.6e6 - truth) < 1e-6, `run ${i}: ${Number(r['cpu_energy']) * 3.6e6} J vs ${truth} J`);
  });
  assert.equal(new Set(rows.map((r) => r['run_id'])).size, 4);
});

test('process exit with a run queued behind a stop in flight: both written, each to its own end', async (t) => {
  const { tracker, clock, dir } = scriptedTracker(t);
  tracker.start();
  await tracker.ready();
  clock.advance(100);
  const first = tracker.stop();
  tracker.start();
  clock.advance(250);
  tracker.finishNow(); // the second run is going on: it ends here
  assert.deepEqual(rowsOf(join(dir, 'emissions.csv')).map((r) => Number(r['duration'])), [0.1, 0.25]);
  assert.equal(await first, null);
  assert.equal(await tracker.stop(), null, 'nothing left running');
});

test('flush() while a stop is in flight writes nothing of the stopped run past its mark: it waits, then flushes the next run', async (t) => {
  const { tracker, clock, dir } = scriptedTracker(t);
  tracker.start();
  await tracker.ready();
  clock.advance(100);
  const first = tracker.stop();
  tracker.start();
  clock.advance(50);
  const flushed = tracker.flush();
  await first;
  assert.ok((await flushed)! > 0);
  const rows = rowsOf(join(dir, 'emissions.csv'));
  assert.deepEqual(rows.map((r) => Number(r['duration'])), [0.1, 0.05]);
  await tracker.stop();
});
