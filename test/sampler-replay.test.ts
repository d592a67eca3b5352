// The real sampler thread over a fake powercap tree, stepped with sample-now: exact totals.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Sampler, SamplerWarningEvent } from '../src/sampler/sampler.js';
import { FakeProc, FakeRapl } from './helpers/sysfs.js';

test('replayed counter trace: interval energy is exact, across a wrap', async (t) => {
  const range = 262_143_328_850n;
  const rapl = new FakeRapl([{ id: 'intel-rapl:0', name: 'package-0', energyUj: range - 100_000n }]);
  const proc = new FakeProc();
  const sampler = new Sampler({ raplDir: rapl.root, procDir: proc.root, cgroupDir: proc.root, samplePeriodMs: 60_000 });
  t.after(async () => { await sampler.stop(); rapl.cleanup(); proc.cleanup(); });
  const info = await sampler.start();
  assert.deepEqual(info.channels.map((c) => [c.id, c.source, c.measured]), [
    ['rapl:intel-rapl:0', 'rapl', true], ['dimm-model', 'dimm-model', false]]);
  const t0 = sampler.timeline!.newestMs();
  let value = range - 100_000n;
  // steps a counter can make between two readings a moment apart (2000 W over the 50 ms window)
  for (const step of [40_000n, 70_000n, 90_000n, 5n]) {
    value = (value + step) % range;
    rapl.write('intel-rapl:0', value);
    await sampler.sampleNow();
  }
  const t1 = sampler.timeline!.newestMs();
  const e = sampler.timeline!.energyBetween(t0, t1);
  assert.equal(e.energyUj[0], 200_005);
  assert.equal(e.final, true);
  assert.equal(e.extrapolatedMs, 0);
});

test('a counter that resets without a wrap range is refused once, with one warning', async (t) => {
  const rapl = new FakeRapl([{ id: 'intel-rapl:0', name: 'package-0', energyUj: 5_000_000, maxRangeUj: null }]);
  const proc = new FakeProc();
  const sampler = new Sampler({ raplDir: rapl.root, procDir: proc.root, cgroupDir: proc.root, samplePeriodMs: 60_000 });
  const warnings: string[] = [];
  sampler.addEventListener('warning', (e) => warnings.push((e as SamplerWarningEvent).cause));
  t.after(async () => { await sampler.stop(); rapl.cleanup(); proc.cleanup(); });
  await sampler.start();
  const t0 = sampler.timeline!.newestMs();
  for (const v of [6_000_000, 100, 200, 50, 150]) {
    rapl.write('intel-rapl:0', v);
    await sampler.sampleNow();
  }
  const e = sampler.timeline!.energyBetween(t0, sampler.timeline!.newestMs());
  assert.equal(e.energyUj[0], 1_000_000 + 100 + 100);
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(warnings.sort(), ['rapl-range:intel-rapl:0', 'refused:rapl:intel-rapl:0:reset']);
});

test('a gap long enough to hide a second wrap is flagged once', async (t) => {
  // A 1,000 µJ range at 2000 W plausible power wraps in 0.5 µs: any real interval is "long".
  const rapl = new FakeRapl([{ id: 'intel-rapl:0', name: 'package-0', energyUj: 10, maxRangeUj: 1_000 }]);
  const proc = new FakeProc();
  const sampler = new Sampler({ raplDir: rapl.root, procDir: proc.root, cgroupDir: proc.root, samplePeriodMs: 60_000 });
  const warnings: string[] = [];
  sampler.addEventListener('warning', (e) => warnings.push((e as SamplerWarningEvent).cause));
  t.after(async () => { await sampler.stop(); rapl.cleanup(); proc.cleanup(); });
  const info = await sampler.start();
  assert.equal(info.periodMs, 1); // shortened as far as it goes
  rapl.write('intel-rapl:0', 20);
  await sampler.sampleNow();
  await sampler.sampleNow();
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(warnings.filter((w) => w.startsWith('long-gap')), ['long-gap:rapl:intel-rapl:0']);
  assert.ok(warnings.includes('period-shortened'));
});
