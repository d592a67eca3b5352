// A live counter writer at a known power, with a wrap, while the real sampler thread runs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { Sampler } from '../src/sampler/sampler.js';
import { FakeProc, FakeRapl } from './helpers/sysfs.js';

test('energy over a live 50 W counter that wraps is within 1 % of the scripted truth', async (t) => {
  const range = 262_143_328_850;
  const watts = 50;
  const startUj = range - 3_000_000; // 3 J before the wrap: it wraps 60 ms in
  const rapl = new FakeRapl([{ id: 'intel-rapl:0', name: 'package-0', energyUj: startUj }]);
  const proc = new FakeProc();
  const t0 = performance.now();
  const counterAt = (tMs: number): number => Math.floor(startUj + watts * (tMs - t0) * 1000) % range;
  const writer = setInterval(() => rapl.write('intel-rapl:0', counterAt(performance.now())), 1);
  const sampler = new Sampler({ raplDir: rapl.root, procDir: proc.root, cgroupDir: proc.root, samplePeriodMs: 50 });
  t.after(async () => { clearInterval(writer); await sampler.stop(); rapl.cleanup(); proc.cleanup(); });
  await sampler.start();
  await new Promise((r) => setTimeout(r, 200));
  const a = sampler.now();
  await new Promise((r) => setTimeout(r, 3000));
  const b = sampler.now();
  await sampler.sampleNow();
  const e = sampler.timeline!.energyBetween(a, b);
  const truthUj = watts * (b - a) * 1000;
  assert.equal(e.final, true);
  assert.equal(e.resolution, 'sampled');
  assert.ok(Math.abs(e.energyUj[0]! - truthUj) / truthUj < 0.01, `measured ${e.energyUj[0]} µJ, truth ${truthUj} µJ`);
});
