// Conservation at the tracker level, property-tested: tasks tiling a run sum to the run, per
// component, in the files written, whatever the tasks around them do; no figure is negative or NaN.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { parseCsv } from '../src/output/csv.js';
import { OfflineEmissionsTracker } from '../src/offline.js';
import { nvmlClock } from './fixtures/scripted.hook.js';
import { fakeNvmlEnv, fakeNvmlLibrary, noGcc } from './helpers/nvml.js';
import { ScriptedClock, ScriptedRapl } from './helpers/scripted.js';
import { tempDir } from './helpers/sysfs.js';

// A failing property's own error in the report (fast-check 4 otherwise keeps it in `cause`, which the test reporter does not print).
fc.configureGlobal({ ...fc.readConfigureGlobal(), includeErrorInReport: true });

/** The rows of a CSV file as objects keyed by its header. */
function rowsOf(path: string): Record<string, string>[] {
  const [header, ...rows] = parseCsv(readFileSync(path, 'utf8'));
  return rows.map((r) => Object.fromEntries(header!.map((c, i) => [c, r[i]!])));
}

const numeric = ['duration', 'emissions', 'emissions_rate', 'cpu_power', 'gpu_power', 'ram_power', 'cpu_energy', 'gpu_energy',
  'ram_energy', 'energy_consumed', 'water_consumed'];
const components = ['cpu_energy', 'gpu_energy', 'ram_energy', 'energy_consumed'];

/** One step of a run: time passes, power changes, tasks open and close, the sampler samples (or not). */
const step = fc.record({
  advanceMs: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 400 })),
  watts: fc.option(fc.record({ zone: fc.integer({ min: 0, max: 1 }), w: fc.integer({ min: 0, max: 300 }) })),
  open: fc.option(fc.integer({ min: 0, max: 3 })),
  close: fc.option(fc.integer({ min: 0, max: 3 })),
  tile: fc.boolean(),
  sample: fc.boolean(),
});
const run = fc.record({ kept: fc.integer({ min: 0, max: 6 }), steps: fc.array(step, { minLength: 1, maxLength: 20 }) });

for (const gpus of [false, true]) {
  test(`tasks tiling a run sum to the run within 1e-9, per component, in the files; nested, overlapping, open and folded tasks around them${gpus ? '; NVIDIA GPUs (hybrid counters, one without a counter)' : ''}`, { skip: gpus && noGcc }, async (t) => {
  const clock = new ScriptedClock(10_000);
  const scripted = new ScriptedRapl(['package-0', 'dram'], 20, undefined, clock);
  if (gpus) {
    fakeNvmlEnv({ FAKE_NVML_SQUARE: '700:80:680', FAKE_NVML_STEP_MS: '10' });
    scripted.withNvml(fakeNvmlLibrary());
    t.after(() => { nvmlClock(fakeNvmlLibrary())(-1); fakeNvmlEnv(); });
  }
  t.after(scripted.forTrackers());
  const dir = tempDir();
  let runs = 0;
  await fc.assert(fc.asyncProperty(run, async ({ kept, steps }) => {
    const tracker = new OfflineEmissionsTracker({ countryIsoCode: 'FRA', outputDir: dir, raplDir: scripted.root, samplePeriodMs: 60_000,
      taskRecordsKept: kept, experimentName: 'prop', logLevel: 'error', gpuCounterPeriodMs: 300,
      nvmlLibrary: gpus ? fakeNvmlLibrary() : 'libnvidia-ml.so.1' }, { env: {}, cwd: dir, home: dir });
    tracker.start(); // the first run starts the sampler at its origin; later ones anchor their start
    let tile = 0;
    tracker.startTask(`tile-${tile}`); // at the start mark, before the sampler thread's first sample
    const open = new Set<number>();
    for (const s of steps) {
      if (s.watts !== null) scripted.setWatts(s.watts.w, s.watts.zone);
      clock.advance(s.advanceMs);
      if (s.open !== null && !open.has(s.open)) { tracker.startTask(`x-${s.open}`); open.add(s.open); }
      if (s.close !== null && open.has(s.close)) { tracker.stopTask(`x-${s.close}`); open.delete(s.close); }
      if (s.tile) { tracker.stopTask(`tile-${tile}`); tracker.startTask(`tile-${++tile}`); }
      if (s.sample) await tracker.sampler!.sampleNow();
    }
    tracker.stopTask(`tile-${tile}`); // at the stop mark; the x- tasks still open are not written
    await tracker.stop();
    runs++;
    const row = tracker.finalEmissionsData!;
    assert.equal(row.gpu_count, gpus ? 3 : 0);
    const tasks = rowsOf(join(dir, `emissions_prop_${tracker.runId}.csv`));
    assert.equal(tasks.filter((r) => r['task_name']!.startsWith('tile-')).reduce((n, r) => n + Number(r['task_count']), 0), tile + 1);
    for (const c of components) {
      const runValue = Number(row[c as keyof typeof row]);
      const sum = tasks.filter((r) => r['task_name']!.startsWith('tile-')).reduce((a, r) => a + Number(r[c]), 0);
      assert.ok(Math.abs(sum - runValue) <= 1e-9 * runValue + 1e-21, `${c}: tiles ${sum} vs run ${runValue}`);
    }
    for (const r of [row as unknown as Record<string, string>, ...tasks]) {
      for (const c of numeric) assert.ok(Number.isFinite(Number(r[c])) && Number(r[c]) >= 0, `${r['task_name'] ?? 'run'} ${c} = ${r[c]}`);
      assert.ok(Number(r['cpu_energy']) <= Number(row.cpu_energy) * (1 + 1e-9) + 1e-21, 'a task within its run');
    }
  }), { numRuns: gpus ? 25 : 40 });
  assert.equal(runs, gpus ? 25 : 40);
  assert.ok(scripted.truthJ(10_000, clock.ms) > 0);
  });
}
