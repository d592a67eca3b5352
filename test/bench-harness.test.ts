// The energy harness on a tinybench suite, over a fake RAPL package whose power a writer thread scripts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { Bench } from 'tinybench';
import { attachEnergy } from '../src/bench/index.js';
import { parseCsv } from '../src/output/csv.js';
import { fakeNvmlLibrary } from './helpers/nvml.js';
import { FakeRapl, tempDir } from './helpers/sysfs.js';

/**
 * A fake RAPL package at a power the test sets (setWatts), written every millisecond by its own
 * thread as the exact integral of the schedule of changes (hrtime ms, shared by every thread).
 */
async function scriptedRapl(initialW: number) {
  const rapl = new FakeRapl([{ id: 'intel-rapl:0', name: 'package-0', energyUj: 0 }]);
  const log = new Float64Array(new SharedArrayBuffer(8 * (2 + 2 * 64)));
  const count = new Int32Array(log.buffer, 0, 1);
  const stop = new Int32Array(new SharedArrayBuffer(4));
  const setWatts = (w: number): void => {
    const n = Atomics.load(count, 0);
    if (n >= 64) throw new Error('scriptedRapl: more than 64 power changes');
    log[2 + 2 * n] = Number(process.hrtime.bigint()) / 1e6;
    log[3 + 2 * n] = w;
    Atomics.store(count, 0, n + 1);
  };
  setWatts(initialW);
  const worker = new Worker(new URL('./fixtures/rapl-writer.worker.js', import.meta.url),
    { workerData: { file: join(rapl.path('intel-rapl:0'), 'energy_uj'), log, stop } });
  await new Promise((r) => setTimeout(r, 20));
  return {
    rapl, setWatts,
    close: async () => { Atomics.store(stop, 0, 1); Atomics.notify(stop, 0); await worker.terminate(); rapl.cleanup(); },
  };
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
  const fake = await scriptedRapl(40);
  t.after(fake.close);
  const bench = new Bench({ time: 600, warmupTime: 100 });
  bench.add('sqrt loop', work);
  const energy = await attachEnergy(bench, options(fake.rapl.root));
  t.after(() => energy.stop());
  await bench.run();
  const [r] = await energy.results();
  assert.ok(r !== undefined && r.runs > 100, `${r?.runs} runs`);
  const truthJ = 40 * (r.durationMs / 1000);
  assert.ok(Math.abs(r.cpu.joules - truthJ) / truthJ < 0.02, `${r.cpu.joules} J vs ${truthJ} J`);
  assert.ok(Math.abs(r.cpu.joulesPerOp - truthJ / r.runs) / (truthJ / r.runs) < 0.02);
  assert.equal(r.cpu.source, 'rapl (measured)');
  assert.equal(r.resolution, 'sampled');
  assert.ok(r.durationMs >= 600 && r.durationMs < 1500, `measured phase ${r.durationMs} ms (warm-up excluded)`);
  assert.ok(Math.abs(r.watts - 40) < 1, `${r.watts} W`);
  // 56 g/kWh (France): g per op = kWh per op × 56.
  assert.ok(Math.abs(r.gCo2ePerOp - (r.joulesPerOp / 3.6e6) * energy.tracker.intensity.gCo2ePerKwh) < 1e-15);
  assert.equal(r.dynamic, null);
  const rows = await energy.table();
  assert.equal(rows[0]!['Task name'], 'sqrt loop');
  assert.match(String(rows[0]!['Energy/op']), /^\d+(\.\d+)? (mJ|µJ)( \(est\.\))?$/);
  assert.ok('Latency avg (ns)' in rows[0]!, 'tinybench\'s own columns come first');
  const csv = parseCsv(await energy.csv());
  assert.equal(csv[0]![0], 'task');
  assert.equal(csv[1]![csv[0]!.indexOf('energy_j_per_op')], String(r.joulesPerOp));
});

test('the idle baseline: dynamic energy is the load above it, with the baseline\'s spread', async (t) => {
  const fake = await scriptedRapl(10);
  t.after(fake.close);
  // The power steps at the task's two marks: between samples the timeline assumes a steady power,
  // so each edge can be off by up to half a period of the step (30 W × 10 ms here): a 1 s task, 20 ms periods.
  const bench = new Bench({ time: 1000, warmup: false, setup: () => fake.setWatts(40), teardown: () => fake.setWatts(10) });
  bench.add('under load', work);
  const energy = await attachEnergy(bench, { ...options(fake.rapl.root), samplePeriodMs: 20, baseline: { durationMs: 800, slices: 8 } });
  t.after(() => energy.stop());
  const b = energy.baseline!;
  assert.ok(Math.abs(b.perComponentWatts.cpu - 10) < 0.3, `baseline ${b.perComponentWatts.cpu} W`);
  assert.ok(b.spreadWatts >= 0 && b.spreadWatts < 0.5, `spread ${b.spreadWatts} W`);
  await bench.run();
  const [r] = await energy.results();
  const dynamicTruthJ = 30 * (r!.durationMs / 1000);
  // 5 %: the two edges (≤ 0.6 J), and on a loaded machine the writer thread's late wakes (its file
  // lags the schedule by the time it waited for a core).
  assert.ok(Math.abs(r!.dynamic!.joules - dynamicTruthJ) / dynamicTruthJ < 0.05, `${r!.dynamic!.joules} J vs ${dynamicTruthJ} J`);
  assert.equal(r!.dynamic!.belowBaseline, false);
  assert.ok(r!.dynamic!.spreadJoulesPerOp >= 0);
  assert.match(String((await energy.table())[0]!['Dynamic/op']), / ± /);
});

test('a task shorter than a few sampling periods is flagged, not silently reported', async (t) => {
  const fake = await scriptedRapl(40);
  t.after(fake.close);
  const bench = new Bench({ time: 0, iterations: 5, warmup: false });
  bench.add('five calls', work);
  const energy = await attachEnergy(bench, options(fake.rapl.root));
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
  try {
    await assert.rejects(attachEnergy(new Bench(), { ...options(rapl.root), nvmlLibrary: fakeNvmlLibrary(), gpuIds: '9' }),
      { name: 'SamplerError', message: /^no energy can be attached to the benchmark: measuring could not start: .*gpu_ids .*"9" matches no GPU/ });
  } finally {
    rapl.cleanup();
  }
});
