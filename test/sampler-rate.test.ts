// The sampling rate: full while the process is busy (or starts a tracker, or a harness holds it),
// slower while idle, never so slow that a counter could wrap unseen. Outcomes are awaited as the
// sampler publishes them (the period in force is a ring word): nothing depends on how fast this
// machine is.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BusyProbe, SampleRate, threadCpuClock } from '../src/sampler/rate.js';
import { Sampler } from '../src/sampler/sampler.js';
import { ScriptedRapl } from './helpers/scripted.js';
import { FakeProc } from './helpers/sysfs.js';

test('SampleRate: the full rate while active; after idleAfterMs without marks the period doubles per tick up to the idle period', () => {
  const rate = new SampleRate(100, 2000, 1000, 0);
  assert.deepEqual([rate.next(false, 500), rate.next(false, 999)], [100, 100]);
  assert.deepEqual([1000, 1200, 1600, 2400, 4000, 6000, 8000].map((t) => rate.next(false, t)), [200, 400, 800, 1600, 2000, 2000, 2000]);
  assert.equal(rate.next(true, 8100), 100); // a mark: back to the full rate at once
  assert.equal(rate.next(false, 8200), 100); // and it stays there for idleAfterMs
  assert.equal(rate.next(false, 9100), 200);
});

/** Waits (as samples come) until `ok()` holds; the test's own time-out bounds it. */
async function until(sampler: Sampler, ok: () => boolean): Promise<void> {
  const ring = sampler.timeline!.ring;
  while (!ok()) await new Promise<void>((r) => { const n = ring.published(); const poll = (): void => { if (ring.published() > n) r(); else setTimeout(poll, 5); }; poll(); });
}

test('BusyProbe: busy when the process used more than its share of a core over the last window, the sampler\'s own time left out', () => {
  let cpuUs = 0;
  let ownUs = 0;
  const probe = new BusyProbe(0.02, 0, () => cpuUs, () => ownUs, 100);
  cpuUs += 1_000; // 1 ms of CPU in 100 ms: 1 %
  assert.equal(probe.busy(100), false);
  cpuUs += 3_000; // 3 ms in 100 ms: 3 %
  assert.equal(probe.busy(200), true);
  cpuUs += 3_000;
  ownUs += 2_000; // of which the sampler's own: 1 % left
  assert.equal(probe.busy(300), false);
  cpuUs += 5_000; // 5 ms within 10 ms of the window: not judged yet, the last verdict holds
  assert.equal(probe.busy(310), false);
  assert.equal(probe.busy(400), true); // 5 ms over the 100 ms window: 5 %
  cpuUs += 30_000; // 30 ms over 2 s: 1.5 %
  assert.equal(probe.busy(2400), false);
});

test('threadCpuClock: this thread\'s CPU time, growing with work done on it', () => {
  const clock = threadCpuClock();
  if (clock === null) return assert.ok(true, 'no /proc/thread-self/schedstat here');
  const t0 = clock();
  let x = 0;
  while (clock() - t0 < 20_000) for (let i = 0; i < 1e4; i++) x += Math.sqrt(i); // until 20 ms of CPU, however long it takes
  assert.ok(x > 0 && clock() - t0 >= 20_000);
  assert.ok(Math.abs((clock() - t0) - (clock() - t0)) < 1e6);
});

test('idle, the sampler slows to its idle period; a busy process and a tracker\'s start bring the full rate back; a held rate stays full', async (t) => {
  const rapl = new ScriptedRapl(1, 20);
  const proc = new FakeProc();
  const sampler = new Sampler({ raplDir: rapl.root, procDir: proc.root, cgroupDir: proc.root, samplePeriodMs: 5, idleSamplePeriodMs: 40 },
    rapl.internals);
  t.after(async () => { await sampler.stop(); proc.cleanup(); });
  await sampler.start();
  const ring = sampler.timeline!.ring;
  await until(sampler, () => ring.periodMs() === 40);
  assert.ok(ring.maxSpacingMs() > 5);
  // Busy on this thread (no mark, no wake) until the sampler has seen it: however long the machine takes.
  let x = 0;
  while (ring.periodMs() !== 5) for (let i = 0; i < 1e5; i++) x += Math.sqrt(i);
  assert.ok(x > 0);
  await until(sampler, () => ring.periodMs() === 40);
  sampler.touch(); // what a tracker's start() does
  await until(sampler, () => ring.periodMs() === 5);
  sampler.holdFullRate();
  const from = ring.published();
  await until(sampler, () => {
    assert.equal(ring.periodMs(), 5, 'held: the full rate throughout');
    return ring.published() >= from + 400; // two seconds at 5 ms: past idleAfterMs (1 s) many times over
  });
  sampler.releaseFullRate();
  await until(sampler, () => ring.periodMs() > 5);
});

test('the idle period never lets a counter wrap unseen: at 1.9 kW on a 400 J counter it stays at 100 ms, and totals are exact across wraps', async (t) => {
  const rapl = new ScriptedRapl(1, 1900, undefined, undefined, { rangeUj: 400e6 });
  const proc = new FakeProc();
  const sampler = new Sampler({ raplDir: rapl.root, procDir: proc.root, cgroupDir: proc.root, samplePeriodMs: 10, idleSamplePeriodMs: 5000,
    forceRamPower: 1e-6 }, rapl.internals);
  t.after(async () => { await sampler.stop(); proc.cleanup(); });
  await sampler.start();
  const ring = sampler.timeline!.ring;
  // 400 J at the 2 kW plausibility ceiling wraps in 200 ms: half of that is the longest safe period.
  await until(sampler, () => ring.periodMs() === 100);
  const t0 = sampler.timeline!.newestMs();
  const from = ring.published();
  await until(sampler, () => {
    assert.ok(ring.periodMs() <= 100, `period ${ring.periodMs()} ms`);
    return ring.published() >= from + 12; // more than a second: several wraps
  });
  const t1 = sampler.timeline!.newestMs();
  const e = sampler.timeline!.energyBetween(t0, t1);
  const cpu = sampler.info!.channels.findIndex((c) => c.component === 'cpu');
  const joules = e.energyUj[cpu]! / 1e6;
  assert.ok(Math.abs(joules - 1900 * (t1 - t0) / 1000) < 1e-6 * joules, `${joules} J over ${(t1 - t0).toFixed(1)} ms`);
});
