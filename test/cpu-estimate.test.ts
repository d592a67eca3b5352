// The CPU estimators in the real sampler thread: load curve from /proc/stat, process share, constant.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { parsePidStat, parseProcStat } from '../src/sources/proc.js';
import { loadCurveW } from '../src/sources/cpu-load.js';
import { Sampler, SamplerWarningEvent } from '../src/sampler/sampler.js';
import { FakeProc, tempDir } from './helpers/sysfs.js';

test('load curve: 10 % floor, cubic, TDP at full load', () => {
  assert.equal(loadCurveW(100, 0), 10);
  assert.ok(Math.abs(loadCurveW(100, 0.5) - 21.25) < 1e-12);
  assert.equal(loadCurveW(100, 1), 100);
  assert.equal(loadCurveW(100, 1.2), 100);
});

test('/proc parsing: aggregate cpu line and a pid stat whose name holds spaces and parens', () => {
  assert.deepEqual(parseProcStat('cpu  100 5 20 800 50 1 2 3 7 0\ncpu0 1 1 1 1\n'), { busy: 131, total: 981 });
  assert.equal(parseProcStat('nonsense'), null);
  const stat = '4242 (my (odd) name) R 1 2 3 4 5 6 7 8 9 10 150 50 20 30 20 0 1 0 100 1000 50';
  assert.equal(parsePidStat(stat), 250);
});

test('machine mode: energy follows TDP × (0.1 + 0.9 u³) of the /proc/stat deltas', async (t) => {
  const proc = new FakeProc({ model: 'Intel(R) Xeon(R) CPU E5-2620 v3 @ 2.40GHz' });
  const sampler = new Sampler({ raplDir: tempDir(), procDir: proc.root, cgroupDir: proc.root, samplePeriodMs: 60_000 });
  t.after(async () => { await sampler.stop(); proc.cleanup(); });
  const info = await sampler.start();
  assert.equal(info.channels[0]!.source, 'cpu-load');
  assert.equal(info.channels[0]!.measured, false);
  await sampler.sampleNow(); // a tick of the sampler's own after the start mark's reading
  const tl = sampler.timeline!;
  const t0 = tl.newestMs();
  proc.setStat(500, 500); // 50 % busy since the first reading
  await sampler.sampleNow();
  const t1 = tl.newestMs();
  const e = tl.energyBetween(t0, t1);
  const expectUj = loadCurveW(85, 0.5) * (t1 - t0) * 1000;
  assert.ok(Math.abs(e.energyUj[0]! - expectUj) <= 1e-9 * expectUj, `${e.energyUj[0]} vs ${expectUj}`);
});

test('/proc/stat unreadable: constant 0.5 × TDP, labelled, with one warning', async (t) => {
  const proc = new FakeProc({ model: 'Intel(R) Xeon(R) CPU E5-2620 v3 @ 2.40GHz' });
  rmSync(join(proc.root, 'stat'));
  const sampler = new Sampler({ raplDir: tempDir(), procDir: proc.root, cgroupDir: proc.root, samplePeriodMs: 60_000 });
  const warnings: string[] = [];
  sampler.addEventListener('warning', (e) => warnings.push((e as SamplerWarningEvent).message));
  t.after(async () => { await sampler.stop(); proc.cleanup(); });
  const info = await sampler.start();
  assert.equal(info.channels[0]!.source, 'tdp-constant');
  await sampler.sampleNow();
  assert.deepEqual(warnings, [`${proc.root}/stat cannot be read (ENOENT): CPU power is estimated as a constant 0.5 × TDP = 42.5 W.`]);
});

test('warnings the thread posted before a sample are heard by whoever awaited it, before the event loop turns', async (t) => {
  const proc = new FakeProc({ model: 'Intel(R) Xeon(R) CPU E5-2620 v3 @ 2.40GHz' });
  rmSync(join(proc.root, 'stat'));
  const flag = new SharedArrayBuffer(4);
  const sampler = new Sampler({ raplDir: tempDir(), procDir: proc.root, cgroupDir: proc.root, samplePeriodMs: 60_000 },
    { tickHook: new URL('./fixtures/signal.hook.js', import.meta.url).href, tickHookData: { flag } });
  const warnings: string[] = [];
  sampler.addEventListener('warning', (e) => warnings.push((e as SamplerWarningEvent).cause));
  t.after(async () => { await sampler.stop(); proc.cleanup(); });
  const started = sampler.start();
  // This thread blocks until the sampler's first reading: the warning (posted in discovery) is
  // queued here by then, and no event loop turn can deliver it before the start resolves.
  assert.equal(Atomics.wait(new Int32Array(flag), 0, 0, 60_000), 'ok');
  await started;
  assert.deepEqual(warnings, ['proc-stat-open']);
});

test('process mode: the tree\'s CPU time share of usable CPUs × TDP, from the real /proc', async (t) => {
  const sampler = new Sampler({ raplDir: tempDir(), trackingMode: 'process', forceCpuPower: 100, samplePeriodMs: 60_000 });
  t.after(() => sampler.stop());
  const info = await sampler.start();
  assert.deepEqual(info.channels.map((c) => c.source), ['cpu-process', 'ram-process']);
  await sampler.sampleNow(); // after the thread's own start-up, which the process tree's CPU time includes
  const tl = sampler.timeline!;
  const t0 = tl.newestMs();
  const cpu0 = process.cpuUsage();
  const until = performance.now() + 300;
  while (performance.now() < until) { /* burn CPU in this process */ }
  await sampler.sampleNow();
  const t1 = tl.newestMs();
  const usedS = (process.cpuUsage(cpu0).user + process.cpuUsage(cpu0).system) / 1e6;
  const e = tl.energyBetween(t0, t1).energyUj[0]! / 1e6;
  const expectJ = 100 * usedS / info.plan.usableCpus;
  // /proc counts in 10 ms jiffies: allow two of them either side, plus the sampler's own time.
  assert.ok(Math.abs(e - expectJ) <= 100 * 0.03 / info.plan.usableCpus, `${e} J vs ${expectJ} J`);
  assert.ok(tl.energyBetween(t0, t1).energyUj[1]! > 0);
});
