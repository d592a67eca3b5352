// Outputs in code: output_methods and the save_to_* flags, output_handlers with CodeCarbon's hooks,
// delta records, live records every api_call_interval measurements, failures said once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../src/errors.js';
import type { Output } from '../src/output/output.js';
import type { EmissionsRecord, TaskRecord } from '../src/output/record.js';
import { scriptedTracker } from './helpers/scripted.js';

const scripted = scriptedTracker;

/** A handler that keeps every call, in order. */
function recorder() {
  const calls: { hook: string; total?: EmissionsRecord; delta?: EmissionsRecord; tasks?: readonly TaskRecord[]; name?: string }[] = [];
  const handler: Output = {
    out: (total, delta) => void calls.push({ hook: 'out', total, delta }),
    liveOut: (total, delta) => void calls.push({ hook: 'liveOut', total, delta }),
    taskOut: (tasks, name) => void calls.push({ hook: 'taskOut', tasks, name }),
    exit: () => void calls.push({ hook: 'exit' }),
  };
  return { calls, handler };
}

const joules = (kwh: unknown): number => Number(kwh) * 3.6e6;

test('output_handlers: out(total, delta) at each flush and stop, taskOut with the task records, exit last; deltas by upstream rules', async (t) => {
  const { calls, handler } = recorder();
  const { tracker, clock } = scripted(t, { outputHandlers: [handler], experimentName: 'exp' });
  tracker.start();
  tracker.startTask('load');
  clock.advance(2000);
  tracker.stopTask('load');
  await tracker.flush();
  clock.advance(3000);
  await tracker.stop();
  assert.deepEqual(calls.map((c) => c.hook), ['out', 'taskOut', 'out', 'taskOut', 'exit']);
  const [first, , second] = calls;
  assert.ok(Math.abs(joules(first!.total!.cpu_energy) - 20) < 1e-9);
  assert.ok(Math.abs(joules(second!.total!.cpu_energy) - 50) < 1e-9);
  // The delta: energies, emissions, water and duration are differences; the rate is Δemissions/Δduration.
  const d = second!.delta!;
  assert.ok(Math.abs(joules(d.cpu_energy) - 30) < 1e-9);
  assert.equal(Number(d.duration), 3);
  assert.ok(Math.abs(Number(d.emissions) - (Number(second!.total!.emissions) - Number(first!.total!.emissions))) < 1e-18);
  assert.ok(Math.abs(Number(d.emissions_rate) - Number(d.emissions) / 3) < 1e-18);
  // Powers stay the run's means, as upstream.
  assert.equal(d.cpu_power, second!.total!.cpu_power);
  assert.equal(first!.delta!.cpu_energy, first!.total!.cpu_energy); // the first delta is the total so far
  const tasks = calls[1]!.tasks!;
  assert.equal(calls[1]!.name, 'exp');
  assert.deepEqual(tasks.map((r) => [r.task_name, r.duration, r.final, r.ended_by]), [['load', 2, 'Y', 'stopTask']]);
  assert.ok(Math.abs(joules(tasks[0]!.cpu_energy) - 20) < 1e-9);
});

test('output_methods without csv writes no CSV; a handler still gets every record', async (t) => {
  const { calls, handler } = recorder();
  const { tracker, clock, dir, warnings } = scripted(t, { outputMethods: [], outputHandlers: [handler] });
  tracker.start();
  clock.advance(1000);
  await tracker.stop();
  assert.equal(tracker.writesCsv, false);
  assert.equal(existsSync(join(dir, 'emissions.csv')), false);
  assert.deepEqual(calls.map((c) => c.hook), ['out', 'exit']);
  assert.deepEqual(warnings, []);
});

test('output_methods wins over the save_to_* flags; CodeCarbon\'s outputs not here yet (logfire, boamps) get one warning each naming the supported ones', async (t) => {
  const { tracker, clock, dir, warnings } = scripted(t, { outputMethods: 'csv, Logfire ,boamps', saveToFile: false, saveToApi: true });
  tracker.start();
  clock.advance(1000);
  await tracker.stop();
  assert.equal(readFileSync(join(dir, 'emissions.csv'), 'utf8').split('\n').length, 3);
  const supported = 'the supported ones are csv, api, logger, prometheus, otel (and emissions_endpoint for a webhook, prometheus_listen_address for a scrape endpoint)';
  assert.deepEqual(warnings, [
    `the logfire output is not supported by this port yet: it is ignored; ${supported}`,
    `the boamps output is not supported by this port yet: it is ignored; ${supported}`,
  ]);
});

test('an output method no CodeCarbon has (a typo: cvs) is a ConfigError at construction naming the key, its origin, the name and the nearest', async () => {
  const { fakeTracker } = await import('./helpers/tracker.js');
  const known = 'known: csv, api, logger, prometheus, logfire, boamps, otel';
  // It used to be one warning, and a run whose record was kept nowhere.
  assert.throws(() => fakeTracker({ outputMethods: ['cvs'] }), { name: 'ConfigError',
    message: `outputMethods (from argument): unknown output method "cvs" (did you mean "csv"?); ${known}` });
  assert.throws(() => fakeTracker({ outputMethods: 'csv, carrier-pigeon' }), { name: 'ConfigError',
    message: `outputMethods (from argument): unknown output method "carrier-pigeon" (did you mean "api"?); ${known}` });
  const { EmissionsTracker } = await import('../src/tracker.js');
  assert.throws(() => new EmissionsTracker({}, { env: { CODECARBON_OUTPUT_METHODS: 'CSV,Promethus' }, cwd: '/nonexistent', home: '/nonexistent' }),
    { name: 'ConfigError', message: `output_methods (from environment variable CODECARBON_OUTPUT_METHODS): unknown output method "Promethus" (did you mean "prometheus"?); ${known}` });
});

test('output_methods from a config file and the environment, comma-separated', async (t) => {
  const { tracker } = scripted(t, {});
  assert.equal(tracker.writesCsv, true);
  const { EmissionsTracker } = await import('../src/tracker.js');
  const env = new EmissionsTracker({ countryIsoCode: 'FRA', outputHandlers: [recorder().handler] }, { env: { CODECARBON_OUTPUT_METHODS: 'logger' }, cwd: '/nonexistent', home: '/nonexistent' });
  assert.equal(env.writesCsv, false);
});

test('logging_logger and output_handlers can only come from code: a file or env value is a ConfigError naming it', async () => {
  const { EmissionsTracker } = await import('../src/tracker.js');
  assert.throws(() => new EmissionsTracker({}, { env: { CODECARBON_OUTPUT_HANDLERS: 'x' }, cwd: '/nonexistent', home: '/nonexistent' }), (e: Error) =>
    e instanceof ConfigError && e.message.includes('output_handlers') && e.message.includes('environment variable CODECARBON_OUTPUT_HANDLERS')
    && e.message.includes('must be given in code'));
  assert.throws(() => new EmissionsTracker({ outputHandlers: [{ write() {} } as unknown as Output] }, { env: {}, cwd: '/nonexistent', home: '/nonexistent' }),
    (e: Error) => e instanceof ConfigError && e.message.includes('outputHandlers') && e.message.includes('an array of objects with out()'));
  assert.throws(() => new EmissionsTracker({ loggingLogger: { debug() {} } as never }, { env: {}, cwd: '/nonexistent', home: '/nonexistent' }),
    (e: Error) => e instanceof ConfigError && e.message.includes('loggingLogger') && e.message.includes('got an object with debug'));
});

test('a handler that throws, or rejects, is said once per kind; the CSV row and the other handlers lose nothing', async (t) => {
  const { calls, handler } = recorder();
  const broken: Output = { out: () => { throw new Error('disk on fire'); }, exit: () => Promise.reject(new Error('late')) };
  const { tracker, clock, dir, warnings } = scripted(t, { outputHandlers: [broken, handler] });
  tracker.start();
  clock.advance(1000);
  await tracker.flush();
  clock.advance(1000);
  await tracker.stop();
  await tracker.delivered();
  assert.deepEqual(calls.map((c) => c.hook), ['out', 'out', 'exit']);
  assert.equal(readFileSync(join(dir, 'emissions.csv'), 'utf8').trim().split('\n').length, 3);
  assert.deepEqual(warnings, [
    "the outputHandlers[0] output's out() failed: disk on fire; the other outputs are not affected",
    "the outputHandlers[0] output's exit() failed: late; the other outputs are not affected",
  ]);
});

test("upstream's snake_case hooks (live_out, task_out) work too", async (t) => {
  const seen: string[] = [];
  const snake = { out: () => void seen.push('out'), task_out: (tasks: unknown[]) => void seen.push(`task_out ${tasks.length}`) };
  const { tracker, clock } = scripted(t, { outputHandlers: [snake as unknown as Output] });
  tracker.start();
  tracker.startTask('a');
  clock.advance(1000);
  tracker.stopTask();
  await tracker.stop();
  assert.deepEqual(seen, ['out', 'task_out 1']);
});

test('liveOut every api_call_interval measurements (counted as upstream counts them), with deltas between live records', async (t) => {
  const { calls, handler } = recorder();
  let measurements = 0;
  const liveAt: number[] = [];
  const counting: Output = { ...handler, liveOut: (total, delta) => { liveAt.push(measurements); return handler.liveOut!(total, delta); } };
  const { tracker, clock } = scripted(t, { outputHandlers: [counting], apiCallInterval: 2, measurePowerSecs: 0.02 });
  const four = new Promise<void>((resolve) => tracker.addEventListener('measurement', () => {
    measurements++; // the event comes first, then that measurement's live record
    clock.advance(1000); // each measurement 1 s of scripted time after the last
    if (measurements === 6) resolve();
  }));
  tracker.start();
  const keepAlive = setInterval(() => {}, 1000);
  await four;
  clearInterval(keepAlive);
  await tracker.stop();
  const live = calls.filter((c) => c.hook === 'liveOut');
  assert.ok(live.length >= 3, `${live.length} live records`);
  // Every live record came with an even-numbered measurement (the 2nd, 4th, 6th).
  assert.deepEqual(liveAt.slice(0, 3), [2, 4, 6]);
  // Deltas chain: the live deltas and the final out's delta add up to the total.
  const all = calls.filter((c) => c.hook === 'liveOut' || c.hook === 'out');
  const sum = all.reduce((s, c) => s + Number(c.delta!.cpu_energy), 0);
  assert.ok(Math.abs(sum - Number(all.at(-1)!.total!.cpu_energy)) < 1e-15, `${sum} vs ${all.at(-1)!.total!.cpu_energy}`);
});

test('api_call_interval = -1: no live records, only out at flush and stop', async (t) => {
  const { calls, handler } = recorder();
  const { tracker, clock } = scripted(t, { outputHandlers: [handler], apiCallInterval: -1, measurePowerSecs: 0.02 });
  let measurements = 0;
  const three = new Promise<void>((resolve) => tracker.addEventListener('measurement', () => { if (++measurements === 3) resolve(); }));
  tracker.start();
  clock.advance(1000);
  const keepAlive = setInterval(() => {}, 1000);
  await three;
  clearInterval(keepAlive);
  await tracker.stop();
  assert.deepEqual(calls.map((c) => c.hook), ['out', 'exit']);
});
