// A successor of a sampler thread given up while stuck in a read goes on writing the same timeline:
// every cumulative value continues from the last published sample, the span between the two
// threads' samples is unmeasured (said, not counted as zero), and the given-up channels stop there.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { planHardware, openSources } from '../src/sources/detect.js';
import { resolveEngineOptions } from '../src/sampler/options.js';
import { SamplerLoop } from '../src/sampler/loop.js';
import { RingReader } from '../src/sampler/ring.js';
import { Timeline } from '../src/sampler/timeline.js';
import type { ChannelInfo, EnergySource } from '../src/sources/source.js';
import { FakeProc, FakeRapl } from './helpers/sysfs.js';

/** A source given up: keeps its channels' places, reads nothing (as the successor's stand-in does). */
const silent = (channels: readonly ChannelInfo[]): EnergySource => ({ channels, read() {}, close() {} });

test('a successor goes on from the last published sample: conservation before, an unmeasured span, exact deltas after', (t) => {
  const rapl = new FakeRapl([{ id: 'intel-rapl:0', name: 'package-0', energyUj: 1_000_000 }]);
  const proc = new FakeProc();
  t.after(() => { rapl.cleanup(); proc.cleanup(); });
  const o = resolveEngineOptions({ raplDir: rapl.root, procDir: proc.root, cgroupDir: proc.root, forceRamPower: 2 });
  const plan = planHardware(o);
  let now = 1000;
  const clock = (): number => now;
  const first = openSources(o, plan, () => {});
  const channels = first.flatMap((s) => s.channels);
  assert.deepEqual(channels.map((c) => c.id), ['rapl:intel-rapl:0', 'ram-forced']);
  const a = new SamplerLoop({ capacity: 64, anchors: 4 }, clock, first, channels, 100, () => {});
  a.tick(true);
  for (const v of [1_300_000, 1_700_000]) {
    now += 100;
    rapl.write('intel-rapl:0', v);
    a.tick();
  }
  const t0 = now; // the stuck thread's last sample: 700,000 µJ of CPU, 2 W × 200 ms of RAM

  // The counter moves while nobody reads it (the stuck read, then the successor's start): not counted.
  rapl.write('intel-rapl:0', 2_500_000);
  now += 500;
  const warnings: string[] = [];
  const second = [openSources(o, plan, () => {})[0]!, silent(channels.slice(1))];
  const b = new SamplerLoop({ capacity: 64, anchors: 4, ring: { buffer: a.writer.buffer as SharedArrayBuffer, shape: a.writer.shape } },
    clock, second, channels, 100, (cause) => warnings.push(cause));
  b.resume([1]);
  b.tick(true);
  const t1 = now;
  for (const v of [2_600_000, 2_900_000]) {
    now += 100;
    rapl.write('intel-rapl:0', v);
    b.tick();
  }
  const t2 = now;

  const tl = new Timeline(new RingReader(a.writer.buffer as SharedArrayBuffer, a.writer.shape), channels, 100, 1000);
  assert.equal(tl.ring.published(), 6); // 3 samples each, in one sequence
  const before = tl.energyBetween(1000, t0);
  assert.deepEqual([...before.energyUj], [700_000, 400_000]);
  assert.equal(before.resolution, 'sampled');
  const gap = tl.energyBetween(t0, t1);
  assert.deepEqual([...gap.energyUj], [0, 0]);
  assert.equal(gap.resolution, 'gap');
  assert.equal(gap.unmeasuredMs, 500);
  const after = tl.energyBetween(t1, t2);
  assert.deepEqual([...after.energyUj], [400_000, 0]); // the RAM channel was given up: it stops at its last reading
  assert.equal(after.unmeasuredMs, 200); // and its time is unmeasured
  const whole = tl.energyBetween(1000, t2);
  assert.deepEqual([...whole.energyUj], [1_100_000, 400_000]); // adjacent intervals add up
  assert.equal(whole.unmeasuredMs, 700);
  assert.ok(Number.isNaN(tl.ring.measuredFromMs()) || tl.ring.measuredFromMs() <= 1000, 'the successor does not move measured-from');
  assert.deepEqual(warnings, []);
});

test('a successor refuses a timeline made for other channels', (t) => {
  const rapl = new FakeRapl([{ id: 'intel-rapl:0', name: 'package-0', energyUj: 0 }]);
  const proc = new FakeProc();
  t.after(() => { rapl.cleanup(); proc.cleanup(); });
  const o = resolveEngineOptions({ raplDir: rapl.root, procDir: proc.root, cgroupDir: proc.root, forceRamPower: 2 });
  const sources = openSources(o, planHardware(o), () => {});
  const channels = sources.flatMap((s) => s.channels);
  const a = new SamplerLoop({ capacity: 64, anchors: 4 }, () => 0, sources, channels, 100, () => {});
  assert.throws(() => new SamplerLoop({ capacity: 32, anchors: 4, ring: { buffer: a.writer.buffer as SharedArrayBuffer, shape: a.writer.shape } },
    () => 0, sources, channels, 100, () => {}), /the timeline to go on writing has shape .* these channels need/);
});
