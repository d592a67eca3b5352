// A sampler thread that crashes: the main thread gets an error event and keeps what was measured.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Sampler, SamplerErrorEvent } from '../src/sampler/sampler.js';
import { kStateCrashed } from '../src/sampler/ring.js';
import { FakeProc, FakeRapl } from './helpers/sysfs.js';

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
