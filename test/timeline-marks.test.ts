// Marks on the timeline: conservation, pending marks that settle, short intervals, uncovered time.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rowLayout } from '../src/sampler/layout.js';
import { RingWriter } from '../src/sampler/ring.js';
import { Sampler } from '../src/sampler/sampler.js';
import { Timeline } from '../src/sampler/timeline.js';
import type { ChannelInfo } from '../src/sources/source.js';
import { FakeProc, FakeRapl } from './helpers/sysfs.js';

const channel: ChannelInfo = { id: 'rapl:intel-rapl:0', component: 'cpu', source: 'rapl', measured: true, detail: 'test', kind: 'counter', maxPowerW: 2000 };

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

test('a batch read of many marks equals reading each alone: the window read does not change a value', async (t) => {
  const { sampler, advance } = await steppedSampler(t);
  const marks: number[] = [];
  for (let i = 0; i < 20; i++) { await advance(); marks.push(sampler.now()); }
  await advance();
  const w = sampler.timeline!.window;
  const many = new Float64Array(marks.length * 2);
  assert.equal(w.valuesAt(Float64Array.from(marks), many), 0);
  const one = new Float64Array(2);
  marks.forEach((m, i) => { w.valueAt(m, one); assert.deepEqual([...one], [...many.subarray(i * 2, i * 2 + 2)]); });
  assert.ok(many[many.length - 2]! > 0);
});

test('a few marks over many samples read only their neighbours, with the values of the whole span read (before the first, between, after the newest)', async (t) => {
  const { sampler, advance } = await steppedSampler(t);
  const w = sampler.timeline!.window;
  const t0 = w.oldestMs();
  const between: number[] = [];
  for (let i = 0; i < 40; i++) { await advance(); if (i % 8 === 3) between.push(sampler.now()); }
  const marks = [t0 - 250, ...between, sampler.now() + 1000];
  // As many marks as samples: the whole span is read; two marks alone: only their neighbours.
  const filler = Array.from({ length: 40 }, (_, i) => t0 + i);
  const whole = new Float64Array((marks.length + filler.length) * 2);
  w.valuesAt(Float64Array.from([...marks, ...filler]), whole);
  const few = new Float64Array(marks.length * 2);
  assert.equal(w.valuesAt(Float64Array.from(marks), few), 2);
  assert.deepEqual([...few], [...whole.subarray(0, marks.length * 2)]);
  for (const [a, b] of [[0, marks.length - 1], [1, 3]] as const) {
    const two = new Float64Array(4);
    w.valuesAt(Float64Array.from([marks[a]!, marks[b]!]), two);
    assert.deepEqual([...two], [...whole.subarray(a * 2, a * 2 + 2), ...whole.subarray(b * 2, b * 2 + 2)]);
  }
  assert.ok(few[few.length - 2]! > few[2]!);
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

test('an interval shorter than the sampling period is labelled apportioned and gets its share of the samples\' energy by time', async (t) => {
  const { sampler, advance } = await steppedSampler(t);
  await advance();
  const tl = sampler.timeline!;
  const s0 = tl.newestMs();
  const a = sampler.now();
  while (sampler.now() < a + 0.2); // a fifth of a millisecond
  const b = sampler.now();
  await advance();
  const s1 = tl.newestMs();
  const e = tl.energyBetween(a, b);
  assert.equal(e.resolution, 'apportioned');
  assert.equal(e.final, true);
  const share = 7_777 * ((b - a) / (s1 - s0)); // the 7,777 µJ between the two samples, spread by time
  assert.ok(share > 0 && Math.abs(e.energyUj[0]! - share) < 1e-6 * share, `${e.energyUj[0]} µJ vs ${share} µJ`);
});

test('time before the first sample continues the first interval\'s slope, labelled extrapolated', () => {
  const layout = rowLayout([channel]);
  const ring = new RingWriter({ capacity: 8, channels: layout.columns, anchors: 1 });
  const row = new Float64Array(layout.columns);
  for (const [tMs, uj] of [[100, 0], [200, 1000], [300, 3000]] as const) {
    row[0] = uj;
    row[layout.settled] = tMs;
    ring.publish(tMs, row);
  }
  const tl = new Timeline(ring, [channel], 50, 100);
  const e = tl.energyBetween(95, 300);
  assert.equal(e.energyUj[0], 3000 + 1000 * (5 / 100));
  assert.equal(e.extrapolatedMs, 5);
  assert.equal(e.resolution, 'extrapolated'); // 5 of 205 ms: more than 1 %
  const within = tl.energyBetween(100, 300);
  assert.deepEqual([within.energyUj[0], within.extrapolatedMs, within.resolution, within.final], [3000, 0, 'sampled', true]);
  // A GPU read later than the origin: its head is labelled the same way.
  const late = new Timeline(ring, [channel], 50, 100, 150);
  assert.deepEqual([late.energyBetween(100, 300).extrapolatedMs, late.energyBetween(100, 300).resolution], [50, 'extrapolated']);
  assert.equal(late.energyBetween(160, 300).resolution, 'sampled');
  assert.deepEqual([late.energyBetween(100, 101).resolution, late.energyBetween(200, 201).resolution], ['extrapolated', 'apportioned']);
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
