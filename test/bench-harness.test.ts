// The energy harness on a tinybench suite, over a fake RAPL package whose power a writer thread scripts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Bench } from 'tinybench';
import { performance } from 'node:perf_hooks';
import { attachEnergy } from '../src/bench/index.js';
import type { Sampler } from '../src/sampler/sampler.js';
import { setSamplerInternals } from '../src/sampler/shared.js';
import { parseCsv } from '../src/output/csv.js';
import { ScriptedRapl } from './helpers/scripted.js';
import { FakeRapl, tempDir } from './helpers/sysfs.js';

/**
 * A fake RAPL package at a power the test sets (setWatts), which the sampler thread writes just
 * before each reading as the exact integral of the schedule: the truth whatever the machine's load.
 */
function scriptedRapl(t: import('node:test').TestContext, initialW: number): ScriptedRapl {
  const fake = new ScriptedRapl(1, initialW);
  const restore = fake.forTrackers();
  t.after(() => { restore(); fake.cleanup(); });
  return fake;
}

/**
 * Sets the fake's power from now on, with a sample on each side of the step, so that no sample
 * interval that a mark may fall in straddles it (the timeline reads between samples linearly).
 * Returns the step's time.
 */
async function stepPower(fake: ScriptedRapl, sampler: Sampler, watts: number): Promise<number> {
  await sampler.sampleNow();
  const at = performance.now();
  fake.setWatts(watts, 0, at);
  await sampler.sampleNow();
  return at;
}

/** About 20 µs of work. */
function work(): number {
  let x = 0;
  for (let i = 0; i < 4000; i++) x += Math.sqrt(i);
  return x;
}

const options = (raplDir: string) => ({ offline: true, countryIsoCode: 'FRA', raplDir, samplePeriodMs: 50, logLevel: 'error' as const,
  forceRamPower: 0.000001, outputDir: tempDir() });

test('J/op of a task running several sampling periods is within 2 % of the scripted power', async (t) => {
  const fake = scriptedRapl(t, 40);
  const bench = new Bench({ time: 600, warmupTime: 100 });
  bench.add('sqrt loop', work);
  const energy = await attachEnergy(bench, options(fake.root));
  t.after(() => energy.stop());
  const w0 = performance.now();
  await bench.run();
  const wallMs = performance.now() - w0;
  const [r] = await energy.results();
  assert.ok(r !== undefined && r.runs > 100, `${r?.runs} runs`);
  const truthJ = 40 * (r.durationMs / 1000);
  assert.ok(Math.abs(r.cpu.joules - truthJ) / truthJ < 0.02, `${r.cpu.joules} J vs ${truthJ} J`);
  // An operation's energy: the power over its own time (tinybench's mean latency).
  const opTruthJ = 40 * (r.latencyMeanMs! / 1000);
  assert.ok(Math.abs(r.cpu.joulesPerOp! - opTruthJ) / opTruthJ < 0.02, `${r.cpu.joulesPerOp} J/op vs ${opTruthJ}`);
  assert.ok(r.opShare > 0 && r.opShare <= 1 && Math.abs(r.opShare - (r.runs * r.latencyMeanMs!) / r.durationMs) < 1e-12);
  assert.equal(r.cpu.source, 'rapl (measured)');
  assert.equal(r.resolution, 'sampled');
  // The measured phase lasts at least the bench's time, and lies within the run after its warm-up
  // (which lasts at least warmupTime): bounds that hold however slow the machine is.
  assert.ok(r.durationMs >= 600 && r.durationMs <= wallMs - 100, `measured phase ${r.durationMs} ms of a ${wallMs} ms run (warm-up excluded)`);
  assert.ok(Math.abs(r.watts - 40) < 1, `${r.watts} W`);
  // 56 g/kWh (France): g per op = kWh per op × 56.
  assert.ok(Math.abs(r.gCo2ePerOp! - (r.joulesPerOp! / 3.6e6) * energy.tracker.intensity.gCo2ePerKwh) < 1e-15);
  assert.equal(r.dynamic, null);
  const rows = await energy.table();
  assert.equal(rows[0]!['Task name'], 'sqrt loop');
  assert.match(String(rows[0]!['Energy/op']), /^\d+(\.\d+)? (mJ|µJ)( \(est\.\))?$/);
  assert.ok('Latency avg (ns)' in rows[0]!, 'tinybench\'s own columns come first');
  const csv = parseCsv(await energy.csv());
  assert.equal(csv[0]![0], 'task');
  assert.equal(csv[1]![csv[0]!.indexOf('energy_j_per_op')], String(r.joulesPerOp));
});

test('a task that draws less than the baseline: its dynamic 0 is said to be below the baseline in the table and the CSV', async (t) => {
  const fake = scriptedRapl(t, 10);
  let sampler: Sampler | null = null;
  const step = async (watts: number): Promise<void> => { await stepPower(fake, sampler!, watts); };
  const bench = new Bench({ time: 300, warmup: false, setup: () => step(5), teardown: () => step(10) });
  bench.add('quieter than the baseline', work);
  const energy = await attachEnergy(bench, { ...options(fake.root), samplePeriodMs: 20, baseline: { durationMs: 400, slices: 8 } });
  t.after(() => energy.stop());
  sampler = energy.tracker.sampler;
  await bench.run();
  const [r] = await energy.results();
  assert.equal(r!.dynamic!.belowBaseline, true);
  assert.equal(r!.dynamic!.joules, 0);
  assert.match(String((await energy.table())[0]!['Note']), /below the baseline: dynamic energy shown as 0/);
  const csv = parseCsv(await energy.csv());
  assert.match(csv[1]![csv[0]!.indexOf('note')]!, /^below the baseline: dynamic energy shown as 0/);
});

test('the idle baseline: dynamic energy is the load above it, with the baseline\'s spread', async (t) => {
  const fake = scriptedRapl(t, 10);
  // The load runs from setup to teardown, around the task's marks (its phase lies between them). A
  // sample on each side of each power step keeps the step out of the samples around a mark, which
  // the timeline reads linearly.
  let sampler: Sampler | null = null;
  const steps: number[] = [];
  const step = async (watts: number): Promise<void> => { steps.push(await stepPower(fake, sampler!, watts)); };
  const bench = new Bench({ time: 500, warmup: false, setup: () => step(40), teardown: () => step(10) });
  bench.add('under load', work);
  const energy = await attachEnergy(bench, { ...options(fake.root), samplePeriodMs: 20, baseline: { durationMs: 400, slices: 8 } });
  t.after(() => energy.stop());
  sampler = energy.tracker.sampler;
  const b = energy.baseline!;
  // Exact but for the counter's whole µJ: 1 µJ over a 50 ms slice is 2e-5 W.
  assert.ok(Math.abs(b.perComponentWatts.cpu - 10) < 1e-4, `baseline ${b.perComponentWatts.cpu} W`);
  assert.ok(b.spreadWatts >= 0 && b.spreadWatts < 1e-4, `spread ${b.spreadWatts} W`);
  await bench.run();
  const [r] = await energy.results();
  assert.ok(r!.durationMs > 0 && r!.durationMs < steps[1]! - steps[0]!, 'the phase lies inside the load');
  const dynamicTruthJ = 30 * (r!.durationMs / 1000);
  assert.ok(Math.abs(r!.dynamic!.joules - dynamicTruthJ) / dynamicTruthJ < 1e-3, `${r!.dynamic!.joules} J vs ${dynamicTruthJ} J`);
  assert.equal(r!.dynamic!.belowBaseline, false);
  // The baseline's spread carried to one operation: its watts over the operation's time.
  const spreadPerOp = (b.spreadWatts * r!.latencyMeanMs!) / 1000;
  assert.ok(Math.abs(r!.dynamic!.spreadJoulesPerOp! - spreadPerOp) <= 1e-12 * Math.max(1, spreadPerOp), `${r!.dynamic!.spreadJoulesPerOp} vs ${spreadPerOp}`);
  assert.match(String((await energy.table())[0]!['Dynamic/op']), / ± /);
});

test('an operation of nanoseconds: its energy is the power over its own latency, not over tinybench\'s time between iterations', async (t) => {
  const fake = scriptedRapl(t, 40);
  const bench = new Bench({ time: 300, warmupTime: 20 });
  bench.add('tiny', () => 1 + 1);
  const energy = await attachEnergy(bench, options(fake.root));
  t.after(() => energy.stop());
  await bench.run();
  const [r] = await energy.results();
  // J/op × ops/s is the power drawn: consistent with the latency tinybench reports.
  const opTruthJ = 40 * (r!.latencyMeanMs! / 1000);
  assert.ok(Math.abs(r!.joulesPerOp! - opTruthJ) / opTruthJ < 0.02, `${r!.joulesPerOp} J/op vs ${opTruthJ} J at 40 W over ${r!.latencyMeanMs} ms`);
  // tinybench's own time between iterations is most of a phase of 1 + 1s: said, and left out of J/op.
  assert.ok(r!.opShare < 0.9, `the operations took ${r!.opShare} of the phase`);
  assert.ok(r!.joules > (r!.runs * opTruthJ) / 0.9, 'the phase\'s energy includes tinybench\'s time');
  assert.match(String((await energy.table())[0]!['Note']), /the operations took \d+ % of the measured phase \(tinybench's own time/);
});

test('a task shorter than a few sampling periods is flagged, not silently reported', async (t) => {
  const fake = scriptedRapl(t, 40);
  const bench = new Bench({ time: 0, iterations: 5, warmup: false });
  bench.add('five calls', work);
  const energy = await attachEnergy(bench, options(fake.root));
  t.after(() => energy.stop());
  await bench.run();
  const [r] = await energy.results();
  assert.equal(r!.runs, 5);
  assert.equal(r!.resolution, 'too-short');
  assert.match(String((await energy.table())[0]!['Energy/op']), /\(est\.\)$/);
  assert.match(String((await energy.table())[0]!['Note']), /too short \(< 5 samples\)/);
});

test('when measuring cannot start, attaching fails with the reason', async () => {
  const rapl = new FakeRapl([{ id: 'intel-rapl:0', name: 'package-0', energyUj: 0 }]);
  // A sampler thread that cannot boot: its (test-only) tick hook module is missing.
  setSamplerInternals({ tickHook: 'file:///nonexistent/codecarbon-tick-hook.js' });
  try {
    await assert.rejects(attachEnergy(new Bench(), options(rapl.root)),
      { name: 'SamplerError', message: /^no energy can be attached to the benchmark: measuring could not start: .*codecarbon-tick-hook\.js/ });
  } finally {
    setSamplerInternals(null);
    rapl.cleanup();
  }
});

test('a Bench that has run is refused by name with the fix; a reset one is measured', async (t) => {
  const rapl = new FakeRapl([{ id: 'intel-rapl:0', name: 'package-0', energyUj: 0 }]);
  t.after(() => rapl.cleanup());
  const bench = new Bench({ time: 20, warmup: false }).add('one', work).add('two', work);
  await bench.run();
  await assert.rejects(attachEnergy(bench, options(rapl.root)), {
    code: 'ERR_CODECARBON_USAGE',
    message: 'no energy can be attached to a Bench that has run: tasks \'one\', \'two\' have results, and tinybench does not run a task '
      + 'again until it is reset; call attachEnergy() before bench.run() (or bench.reset() first; that drops the results)',
  });
  bench.reset();
  const energy = await attachEnergy(bench, options(rapl.root));
  t.after(() => energy.stop());
  await bench.run();
  assert.deepEqual((await energy.results()).map((r) => r.name), ['one', 'two']);
});

test('estimated power: every figure drawn from it is marked (est.), and a constant estimate has no spread, not 1e-15 W of rounding', async (t) => {
  // A package at 0 W and RAM forced to 3 W: the only energy is an estimate, the same in every slice.
  const fake = scriptedRapl(t, 0);
  const bench = new Bench({ time: 0, iterations: 5, warmup: false }).add('estimated', work);
  const energy = await attachEnergy(bench, { ...options(fake.root), forceRamPower: 3, samplePeriodMs: 20, baseline: { durationMs: 400, slices: 8 } });
  t.after(() => energy.stop());
  const b = energy.baseline!;
  assert.ok(Math.abs(b.watts - 3) < 1e-9 && b.perComponentWatts.cpu === 0, `${b.watts} W`);
  assert.equal(b.spreadWatts, 0);
  await bench.run();
  const [row] = await energy.table();
  for (const column of ['Energy/op', 'Dynamic/op', 'Power (W)', 'gCO2e/op']) assert.match(String(row![column]), / \(est\.\)$/, column);
  assert.match(String(row!['Dynamic/op']), /^\S+ \S*J ± 0 J \(est\.\)$/);
});

test('a task that errors before any operation completes: no figure per operation (null, "—", empty cells), said in its note', async (t) => {
  const fake = scriptedRapl(t, 40);
  const bench = new Bench({ time: 50, warmup: false }).add('throws', () => { throw new Error('task failed'); }).add('fine', work);
  const energy = await attachEnergy(bench, options(fake.root));
  t.after(() => energy.stop());
  await bench.run();
  const [failed, fine] = await energy.results();
  assert.deepEqual([failed!.runs, failed!.joulesPerOp, failed!.gCo2ePerOp, failed!.cpu.joulesPerOp],
    [0, null, null, null]);
  assert.equal(failed!.note, 'the task errored: no operation completed, so no figure per operation');
  assert.ok(typeof fine!.joulesPerOp === 'number' && fine!.joulesPerOp > 0);
  const [row] = await energy.table();
  assert.deepEqual([row!['Energy/op'], row!['gCO2e/op']], ['—', '—']);
  const csv = parseCsv(await energy.csv());
  assert.deepEqual(['energy_j_per_op', 'emissions_g_per_op'].map((c) => csv[1]![csv[0]!.indexOf(c)]), ['', '']);
  assert.equal(JSON.parse(JSON.stringify(await energy.report())).tasks[0].joulesPerOp, null);
});

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

test('fixtures in the bench\'s setup/teardown and in a task\'s beforeAll/afterAll are not in its phase', async (t) => {
  const fake = scriptedRapl(t, 40);
  let sampler: Sampler | null = null;
  const bursts: string[] = [];
  // A fixture's work at 400 W, a sample on each side of it: all of it lies between those two samples.
  const burst = (where: string) => async (): Promise<void> => {
    await stepPower(fake, sampler!, 400);
    await sleep(40);
    await stepPower(fake, sampler!, 40);
    bursts.push(where);
  };
  const bench = new Bench({ time: 250, warmup: false, setup: (_task, mode) => (mode === 'run' ? burst('setup')() : undefined),
    teardown: (_task, mode) => (mode === 'run' ? burst('teardown')() : undefined) });
  bench.add('added before attaching', work);
  const energy = await attachEnergy(bench, options(fake.root));
  t.after(() => energy.stop());
  sampler = energy.tracker.sampler;
  // A task added after attaching: its own hooks are kept out too (codecarbon bench does this for every task).
  bench.add('with its own hooks', work, { beforeAll: burst('beforeAll'), afterAll: burst('afterAll') });
  await bench.run();
  assert.deepEqual(bursts, ['setup', 'teardown', 'setup', 'beforeAll', 'afterAll', 'teardown']);
  const results = await energy.results();
  for (const r of results) {
    // 40 W all through the iterations; each burst would add some 14 J/s of phase to it.
    assert.ok(Math.abs(r.cpu.joules / (r.durationMs / 1000) - 40) < 0.05, `${r.name}: ${r.watts} W over ${r.durationMs} ms`);
  }
  const csv = parseCsv(await energy.csv(results));
  assert.deepEqual(csv.slice(1).map((row) => Number(row[csv[0]!.indexOf('energy_j_per_op')])), results.map((r) => r.joulesPerOp));
  await energy.stop();
  assert.equal(Object.hasOwn(bench, 'add'), false, 'stop() puts add() back');
});

test('concurrency \'task\': overlapping iterations share the phase\'s energy, not each its latency\'s worth', async (t) => {
  const fake = scriptedRapl(t, 40);
  const bench = new Bench({ time: 200, warmup: false, concurrency: 'task', threshold: 4 });
  bench.add('overlapping', async () => { await sleep(4); });
  const energy = await attachEnergy(bench, options(fake.root));
  t.after(() => energy.stop());
  await bench.run();
  const [r] = await energy.results();
  assert.ok(r!.runs > 4);
  assert.ok(Math.abs(r!.joulesPerOp! * r!.runs - r!.joules) <= 1e-12 * r!.joules, `${r!.joulesPerOp} J/op × ${r!.runs} vs ${r!.joules} J`);
  assert.equal(r!.opShare, 1);
  assert.equal(r!.note, 'its iterations ran concurrently (concurrency \'task\'): energy/op is the phase\'s energy over its operations');
});

test('a task that errors in warm-up is not measured, and says so in the table, the CSV and the report', async (t) => {
  const fake = scriptedRapl(t, 40);
  const bench = new Bench({ time: 50, warmupTime: 10, warmupIterations: 2 })
    .add('breaks at once', () => { throw new TypeError('no fixture'); }).add('fine', work);
  const energy = await attachEnergy(bench, options(fake.root));
  t.after(() => energy.stop());
  await bench.run();
  const results = await energy.results();
  assert.deepEqual(results.map((r) => r.name), ['fine']);
  const reason = 'it errored in warm-up (TypeError: no fixture), so tinybench did not run it: not measured';
  assert.deepEqual(energy.unmeasured(), [{ name: 'breaks at once', reason }]);
  const [row] = await energy.table(results);
  assert.deepEqual([row!['Task name'], row!['Energy/op'], row!['Note']], ['breaks at once', '—', reason]);
  const csv = parseCsv(await energy.csv(results));
  const at = (c: string): number => csv[0]!.indexOf(c);
  assert.deepEqual(csv.slice(1).map((r) => [r[at('task')], r[at('runs')], r[at('energy_j_per_op')] === '']),
    [['fine', String(results[0]!.runs), false], ['breaks at once', '0', true]]);
  assert.equal(csv[2]![at('note')], reason);
  assert.deepEqual((await energy.report(results)).unmeasured, [{ name: 'breaks at once', reason }]);
});

test('a baseline slice held up by a busy event loop is longer, the next not shorter: the spread stays the counter\'s rounding', async (t) => {
  const fake = scriptedRapl(t, 10);
  const energy = await attachEnergy(new Bench(), { ...options(fake.root), samplePeriodMs: 20 });
  t.after(() => energy.stop());
  // 120 ms of synchronous work 75 ms in: the edge due at 100 ms falls at 195 ms or later.
  setTimeout(() => { const end = performance.now() + 120; while (performance.now() < end); }, 75);
  const b = await energy.measureBaseline(400, 8);
  assert.ok(b.durationMs >= 7 * 50 + 120, `the baseline lasted ${b.durationMs} ms: each slice at least 50 ms`);
  assert.ok(Number.isFinite(b.spreadWatts) && b.spreadWatts < 1e-4, `spread ${b.spreadWatts} W`);
  assert.ok(Math.abs(b.watts - 10) < 1e-3, `${b.watts} W`);
});
