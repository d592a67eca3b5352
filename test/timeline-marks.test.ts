// Marks on the timeline: conservation, pending marks that settle, short intervals, uncovered time.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Sampler } from '../src/sampler/sampler.js';
import { FakeProc, FakeRapl } from './helpers/sysfs.js';

async function steppedSampler(t: import('node:test').TestContext) {
  const rapl = new FakeRapl([{ id: 'intel-rapl:0', name: 'package-0', energyUj: 0 }, { id: 'intel-rapl:1', name: 'package-1', energyUj: 0 }]);
  const proc = new FakeProc();
  const sampler = new Sampler({ raplDir: rapl.root, procDir: proc.root, cgroupDir: proc.root, samplePeriodMs: 60_000 });
  t.after(async () => { await sampler.stop(); rapl.cleanup(); proc.cleanup(); });
  await sampler.start();
  let v = 0;
  const advance = async (): Promise<void> => {
    v += 7_777;
    rapl.write('intel-rapl:0', v);
    rapl.write('intel-rapl:1', v * 2);
    await sampler.sampleNow();
  };
  return { sampler, advance };
}

test('adjacent intervals add up to their union: tasks sum to the run', async (t) => {
  const { sampler, advance } = await steppedSampler(t);
  const marks = [sampler.timeline!.newestMs()];
  for (let i = 0; i < 30; i++) {
    await advance();
    if (i % 3 === 0) marks.push(sampler.now()); // marks between samples, interpolated
  }
  await advance();
  const tl = sampler.timeline!;
  const union = tl.energyBetween(marks[0]!, marks.at(-1)!).energyUj;
  const sum = new Float64Array(2);
  for (let i = 1; i < marks.length; i++) tl.energyBetween(marks[i - 1]!, marks[i]!).energyUj.forEach((e, c) => { sum[c]! += e; });
  union.forEach((u, c) => assert.ok(Math.abs(sum[c]! - u) <= 1e-9 * u, `channel ${c}: ${sum[c]} vs ${u}`));
  assert.ok(union[0]! > 0);
});

test('the batch (WebAssembly) read of many marks equals the one-at-a-time read', async (t) => {
  const { sampler, advance } = await steppedSampler(t);
  const marks: number[] = [];
  for (let i = 0; i < 20; i++) { await advance(); marks.push(sampler.now()); }
  await advance();
  const tl = sampler.timeline!;
  const many = new Float64Array(marks.length * 2);
  assert.equal(tl.valuesAtMany(Float64Array.from(marks), many), 0);
  const one = new Float64Array(2);
  marks.forEach((m, i) => { tl.valuesAt(m, one); assert.deepEqual([...one], [...many.subarray(i * 2, i * 2 + 2)]); });
});

test('a mark newer than the last sample is pending until the next sample settles it', async (t) => {
  const { sampler, advance } = await steppedSampler(t);
  const tl = sampler.timeline!;
  const t0 = tl.newestMs();
  await advance();
  const t1 = sampler.now();
  const pending = tl.energyBetween(t0, t1);
  assert.equal(pending.final, false);
  await advance();
  const settled = tl.energyBetween(t0, t1);
  assert.equal(settled.final, true);
  assert.ok(settled.energyUj[0]! >= pending.energyUj[0]!);
});

test('an interval shorter than the sampling period is labelled apportioned, never a silent 0', async (t) => {
  const { sampler, advance } = await steppedSampler(t);
  await advance();
  const a = sampler.now();
  const b = sampler.now();
  await advance();
  const e = sampler.timeline!.energyBetween(a, b);
  assert.equal(e.resolution, 'apportioned');
  assert.equal(e.final, true);
  assert.ok(e.energyUj[0]! >= 0);
});

test('time before the first sample is reported as uncovered and given the first interval\'s power', async (t) => {
  const { sampler, advance } = await steppedSampler(t);
  const tl = sampler.timeline!;
  const first = tl.ring.timeOf(0);
  await advance();
  const e = tl.energyBetween(first - 5, tl.newestMs());
  assert.equal(e.uncoveredMs, 5);
  const firstIntervalMs = tl.ring.timeOf(1) - first;
  assert.ok(Math.abs(e.energyUj[0]! - 7_777 * (1 + 5 / firstIntervalMs)) < 1e-6);
});

test('an anchor keeps a mark exact after the ring has overwritten its samples', async (t) => {
  const rapl = new FakeRapl([{ id: 'intel-rapl:0', name: 'package-0', energyUj: 0 }]);
  const proc = new FakeProc();
  const sampler = new Sampler({ raplDir: rapl.root, procDir: proc.root, cgroupDir: proc.root, samplePeriodMs: 60_000, ringCapacity: 4 });
  t.after(async () => { await sampler.stop(); rapl.cleanup(); proc.cleanup(); });
  await sampler.start();
  const tl = sampler.timeline!;
  rapl.write('intel-rapl:0', 1000);
  await sampler.sampleNow();
  const mark = sampler.now();
  const anchor = tl.anchor(mark)!;
  rapl.write('intel-rapl:0', 3000);
  await sampler.sampleNow();
  const exact = tl.energyBetween(mark, tl.newestMs()).energyUj[0]!;
  for (let i = 0; i < 10; i++) await sampler.sampleNow(); // the ring (4 slots) has moved on
  assert.ok(tl.ring.oldest() > 2);
  const later = tl.energyBetween(mark, tl.newestMs(), anchor);
  assert.equal(later.energyUj[0], exact);
  assert.equal(later.final, true);
  tl.releaseAnchor(anchor);
});
