// A sampler thread that crashes: the main thread gets an error event and keeps what was measured.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Sampler, SamplerErrorEvent } from '../src/sampler/sampler.js';
import { kStateCrashed } from '../src/sampler/ring.js';
import { join } from 'node:path';
import { OfflineEmissionsTracker } from '../src/offline.js';
import { setSamplerInternals } from '../src/sampler/shared.js';
import type { TrackerOptions } from '../src/types.js';
import { rowsOf } from './helpers/rows.js';
import { scriptedTracker } from './helpers/scripted.js';
import { FakeProc, FakeRapl } from './helpers/sysfs.js';

/** The options a tracker was made with, as arguments for another of the same configuration. */
const pick = (o: object): TrackerOptions => {
  const { countryIsoCode, outputDir, raplDir, samplePeriodMs, forceRamPower, logLevel } = o as Record<string, never>;
  return { countryIsoCode, outputDir, raplDir, samplePeriodMs, forceRamPower, logLevel, saveToFile: false };
};

test('a crash in the sampling loop becomes an error event; the timeline stays readable', async (t) => {
  const rapl = new FakeRapl([{ id: 'intel-rapl:0', name: 'package-0', energyUj: 1000 }]);
  const proc = new FakeProc();
  const sampler = new Sampler({ raplDir: rapl.root, procDir: proc.root, cgroupDir: proc.root, samplePeriodMs: 60_000 },
    { crashAfterTicks: 3 });
  t.after(async () => { await sampler.stop(); rapl.cleanup(); proc.cleanup(); });
  const failed = new Promise<SamplerErrorEvent>((r) => sampler.addEventListener('error', (e) => r(e as SamplerErrorEvent), { once: true }));
  await sampler.start();
  const t0 = sampler.timeline!.newestMs();
  rapl.write('intel-rapl:0', 1600);
  await sampler.sampleNow();
  rapl.write('intel-rapl:0', 2000);
  await sampler.sampleNow();
  await sampler.sampleNow(); // the fourth tick throws
  // The error travels on an unreferenced port; a timer keeps this otherwise idle test alive for it.
  const keepAlive = setTimeout(() => {}, 5000);
  const event = await failed;
  clearTimeout(keepAlive);
  assert.equal(event.error.name, 'SamplerError');
  assert.equal(event.error.message,
    'the sampler thread stopped on an error: injected sampler fault after 3 ticks; energy measured until then is kept');
  const timeline = sampler.timeline!;
  assert.equal(timeline.ring.state(), kStateCrashed);
  assert.equal(timeline.energyBetween(t0, timeline.newestMs()).energyUj[0], 1000);
});

test('after a crash: a task across it is labelled gap, and the next run (same tracker, or a new one) gets a new sampler and measures', async (t) => {
  const { tracker, clock, hw, dir } = scriptedTracker(t, { experimentName: 'x' });
  setSamplerInternals({ ...hw.internals, crashAfterTicks: 3 }); // every sampler made from now on: its fourth tick throws
  tracker.start();
  await tracker.ready();
  const crashed = tracker.sampler!;
  tracker.startTask('across');
  clock.advance(100);
  await crashed.sampleNow(); // tick 2, at 1100
  await crashed.sampleNow(); // tick 3
  clock.advance(100);
  await crashed.sampleNow(); // tick 4 throws: the last sample stays the one at 1100
  assert.equal(crashed.timeline!.ring.state(), kStateCrashed);
  assert.equal(crashed.ended, true);
  clock.advance(100);
  tracker.stopTask('across');
  await tracker.stop();
  const task = rowsOf(join(dir, `emissions_x_${rowsOf(join(dir, 'emissions.csv'))[0]!['run_id']}.csv`))[0]!;
  assert.equal(task['resolution'], 'gap', 'two thirds of it after the last sample');
  // The same tracker again: a sampler of its own, measuring (10 W for 0.1 s).
  tracker.start();
  await tracker.ready();
  assert.notEqual(tracker.sampler, crashed);
  clock.advance(100);
  await tracker.stop();
  const again = rowsOf(join(dir, 'emissions.csv'))[1]!;
  assert.ok(Math.abs(Number(again['cpu_energy']) * 3.6e6 - 1) < 1e-9, `${Number(again['cpu_energy']) * 3.6e6} J`);
  // A new tracker of the same options: the new sampler too, not the crashed one.
  const other = new OfflineEmissionsTracker({ ...pick(tracker.options) }, { env: {}, cwd: dir, home: dir });
  other.start();
  await other.ready();
  assert.notEqual(other.sampler, crashed);
  clock.advance(100);
  assert.ok((await other.stop())! > 0);
});
