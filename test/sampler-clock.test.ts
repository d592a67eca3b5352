// One time base: samples stamped in the sampler thread fall between main-thread readings around them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { alignedClock, clockPair } from '../src/clock.js';
import { Sampler } from '../src/sampler/sampler.js';
import { FakeProc, FakeRapl } from './helpers/sysfs.js';

test('the aligned clock follows the main thread\'s base whatever the local origin', () => {
  // Node lines differ on whether a worker's performance.now() shares the main thread's origin;
  // alignedClock measures the offset through hrtime, so a pair read in another base is honoured.
  // Each pair of readings is as good as the scheduler lets it be: a thread preempted between the
  // two reads of all 8 tries of a pair (a loaded machine) is off by the preemption. The best of 20
  // alignments is what the clock can do; a wrong offset would be off in every one.
  const offsets: number[] = [];
  for (let i = 0; i < 20; i++) {
    const here = clockPair();
    const clock = alignedClock({ hrNs: here.hrNs, nowMs: here.nowMs + 12_345.5 });
    offsets.push(Math.abs(clock() - performance.now() - 12_345.5));
  }
  assert.ok(Math.min(...offsets) < 1, `offsets off by ${offsets.map((o) => o.toFixed(3)).join(', ')} ms`);
});

test('sample timestamps from the sampler thread line up with the main thread\'s clock', async (t) => {
  const rapl = new FakeRapl([{ id: 'intel-rapl:0', name: 'package-0', energyUj: 1000 }]);
  const proc = new FakeProc();
  const sampler = new Sampler({ raplDir: rapl.root, procDir: proc.root, cgroupDir: proc.root, samplePeriodMs: 60_000 });
  t.after(async () => { await sampler.stop(); rapl.cleanup(); proc.cleanup(); });
  const beforeStart = performance.now();
  await sampler.start();
  assert.ok(sampler.timeline!.ring.timeOf(0) >= beforeStart);
  for (let i = 0; i < 20; i++) {
    const before = performance.now();
    await sampler.sampleNow();
    const after = performance.now();
    const stamped = sampler.timeline!.newestMs();
    assert.ok(stamped >= before && stamped <= after, `sample at ${stamped}, requested at ${before}, seen at ${after}`);
  }
});
