// Trackers over the fake NVML library: GPU columns of the CSV row, and what a short run says.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseCsv } from '../src/output/csv.js';
import { fakeNvmlEnv, fakeNvmlLibrary, fakeTruthJ, noGcc } from './helpers/nvml.js';
import { nvmlClock } from './fixtures/scripted.hook.js';
import { ScriptedClock, ScriptedRapl } from './helpers/scripted.js';
import { fakeTracker } from './helpers/tracker.js';

function lastRow(dir: string): Record<string, string> {
  const [header, ...rows] = parseCsv(readFileSync(join(dir, 'emissions.csv'), 'utf8'));
  return Object.fromEntries(header!.map((h, i) => [h, rows.at(-1)![i]!]));
}

/** Fake GPUs and a RAPL package on a clock the test drives, for the trackers made until cleanup. */
function scriptedGpus(t: import('node:test').TestContext, vars: Record<string, string>) {
  fakeNvmlEnv(vars);
  const clock = new ScriptedClock(10_000);
  const hw = new ScriptedRapl(1, 5, undefined, clock).withNvml(fakeNvmlLibrary());
  const restore = hw.forTrackers();
  t.after(() => { restore(); nvmlClock(fakeNvmlLibrary())(-1); fakeNvmlEnv(); });
  return { clock, hw };
}

test('a tracker with GPUs: count, model, energy near the truth, utilisation, and how each was measured', { skip: noGcc }, async (t) => {
  const square = { periodMs: 4000, lowW: 80, highW: 680 };
  const { clock, hw } = scriptedGpus(t, { FAKE_NVML_SQUARE: '4000:80:680', FAKE_NVML_STEP_MS: '10' });
  const { tracker, dir } = fakeTracker({ raplDir: hw.root, nvmlLibrary: fakeNvmlLibrary(), gpuCounterPeriodMs: 300, samplePeriodMs: 60_000 });
  const warnings: string[] = [];
  tracker.addEventListener('warning', (e) => warnings.push((e as Event & { message: string }).message));
  tracker.start();
  const t0 = clock.ms;
  await tracker.sampler!.sampleNow(); // the first GPU readings at the start mark's time: nothing extrapolated
  for (let i = 0; i < 24; i++) {
    clock.advance(50);
    await tracker.sampler!.sampleNow();
  }
  const t1 = clock.ms;
  await tracker.stop();
  const r = lastRow(dir);
  assert.equal(r['gpu_count'], '3');
  assert.equal(r['gpu_model'], '2 x NVIDIA H200, 1 x Tesla P100-PCIE-16GB');
  assert.equal(r['gpu_source'], 'nvml (measured) + nvml-power (measured)');
  const truthJ = [0, 1, 2].reduce((sum, d) => sum + fakeTruthJ(d, t0, t1, square), 0);
  const measuredJ = Number(r['gpu_energy']) * 3.6e6;
  // The P100 integrates power readings that lag one 10 ms step; the H200s' counters are exact at readings.
  assert.ok(Math.abs(measuredJ - truthJ) / truthJ < 0.02, `${measuredJ.toFixed(1)} J vs truth ${truthJ.toFixed(1)} J`);
  const util = Number(r['gpu_utilization_percent']);
  assert.ok(util >= 5 - 1e-9 && util <= 100, `utilisation ${util} %`); // the fake's square wave: 5 % then 100 %
  // The share of the run at high power, from the truth (214 W low, 1594 W high for the three GPUs together).
  const highShare = (truthJ / ((t1 - t0) / 1000) - 214) / (1594 - 214);
  assert.ok(Math.abs(util - (5 + 95 * highShare)) < 15, `utilisation ${util} %, high for ${(highShare * 100).toFixed(0)} % of the run`);
  assert.deepEqual(warnings.filter((w) => !/no energy counter/.test(w)), []);
});

test('a run shorter than the counter period keeps its GPU figure provisional and says so; gpu_ids selects', { skip: noGcc }, async (t) => {
  const { clock, hw } = scriptedGpus(t, {});
  const { tracker, dir } = fakeTracker({ raplDir: hw.root, nvmlLibrary: fakeNvmlLibrary(), gpuIds: ['GPU-9a8b'], gpuCounterPeriodMs: 5000,
    samplePeriodMs: 60_000 });
  tracker.start();
  await tracker.sampler!.sampleNow(); // the sampler's first tick (a counter reading) at the start
  clock.advance(400);
  await tracker.stop();
  const r = lastRow(dir);
  assert.deepEqual([r['gpu_count'], r['gpu_model']], ['1', '1 x NVIDIA H200']);
  assert.equal(r['gpu_source'], 'nvml (measured), provisional (power since the last counter reading)');
  assert.ok(Number(r['gpu_energy']) > 0);
});

test('gpu_ids that match no GPU are left out with a warning listing the GPUs found; the rest is measured and written', { skip: noGcc }, async (t) => {
  const { clock, hw } = scriptedGpus(t, {});
  for (const [ids, count] of [['5', '0'], ['5,1', '1']] as const) {
    const { tracker, dir } = fakeTracker({ raplDir: hw.root, nvmlLibrary: fakeNvmlLibrary(), gpuIds: ids });
    const warnings: string[] = [];
    tracker.addEventListener('warning', (e) => warnings.push((e as Event & { message: string }).message));
    tracker.start();
    clock.advance(400);
    assert.notEqual(await tracker.stop(), null, `gpu_ids ${ids}: the run is measured`);
    assert.match(warnings.join('\n'), /gpu_ids \(from argument\): "5" matches no GPU; GPUs found: 0 NVIDIA H200 .*\. It is left out: /);
    const r = lastRow(dir);
    assert.equal(r['gpu_count'], count);
    assert.ok(Number(r['cpu_energy']) > 0 && Number(r['ram_energy']) > 0, `gpu_ids ${ids}: CPU and RAM measured`);
  }
});

test('tasks folded past taskRecordsKept with GPUs (reconciled counters): the rows add up to the run, GPU energy included', { skip: noGcc }, async (t) => {
  const { clock, hw } = scriptedGpus(t, { FAKE_NVML_SQUARE: '400:80:680', FAKE_NVML_STEP_MS: '10' });
  const { tracker } = fakeTracker({ raplDir: hw.root, nvmlLibrary: fakeNvmlLibrary(), gpuCounterPeriodMs: 100, samplePeriodMs: 60_000,
    taskRecordsKept: 2 });
  tracker.start();
  await tracker.sampler!.sampleNow();
  // Back to back from the start mark to the stop mark: the tasks' union is the run.
  for (let i = 0; i < 30; i++) {
    tracker.nextTask('step');
    clock.advance(35);
    await tracker.sampler!.sampleNow();
  }
  tracker.stopTask('step');
  await tracker.stop(); // at the last task's end mark
  const run = tracker.finalEmissionsData!;
  const rows = await tracker.taskRecords();
  assert.deepEqual(rows.map((r) => [r.resolution === 'folded', r.task_count]), [[false, 1], [false, 1], [true, 28]]);
  for (const f of ['gpu_energy', 'cpu_energy', 'energy_consumed'] as const) {
    const tasks = rows.reduce((s, r) => s + Number(r[f]), 0);
    // The run's record spans the same marks: only floating-point rounding between them.
    assert.ok(Math.abs(tasks - Number(run[f])) <= 1e-9 * Number(run[f]), `${f}: tasks ${tasks} vs run ${run[f]}`);
  }
  assert.ok(Number(run.gpu_energy) > 0);
});
