// The real sampler thread on its own timer (no sample-now), over a 50 W counter that wraps.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Sampler } from '../src/sampler/sampler.js';
import { ScriptedRapl } from './helpers/scripted.js';
import { FakeProc } from './helpers/sysfs.js';

test('energy over a live 50 W counter that wraps is the scripted truth: the timer-driven loop, a wrap inside', async (t) => {
  const rangeUj = 262_143_328_850;
  // Idle at 3 J before the wrap; at 50 W from the first mark on, it wraps 60 ms after it.
  const hw = new ScriptedRapl(1, 0, undefined, undefined, { startUj: rangeUj - 3_000_000, rangeUj });
  const proc = new FakeProc();
  const sampler = new Sampler({ raplDir: hw.root, procDir: proc.root, cgroupDir: proc.root, samplePeriodMs: 50 }, hw.internals);
  t.after(async () => { await sampler.stop(); hw.cleanup(); proc.cleanup(); });
  await sampler.start();
  await sampler.sampleNow();
  const a = sampler.timeline!.newestMs(); // the step at a sample: the samples around a mark see one power
  hw.setWatts(50, 0, a);
  // Real time: at least the sampler's own ticks in between, however late a loaded machine wakes it.
  const tl = sampler.timeline!;
  const first = tl.ring.published();
  while (tl.ring.published() < first + 6) await new Promise((r) => setTimeout(r, 25));
  const b = sampler.now();
  await sampler.sampleNow();
  const e = tl.energyBetween(a, b);
  const truthUj = hw.truthJ(a, b) * 1e6;
  assert.ok(truthUj > 3_000_000, 'the counter wrapped inside the interval');
  assert.equal(e.final, true);
  assert.equal(e.resolution, 'sampled');
  // Exact but for the counter's whole µJ at the two samples around each mark.
  assert.ok(Math.abs(e.energyUj[0]! - truthUj) <= 2, `measured ${e.energyUj[0]} µJ, truth ${truthUj} µJ`);
});
