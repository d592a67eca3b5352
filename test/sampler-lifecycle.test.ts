// The sampler thread's life: exit without stop, sampling through a busy main thread, clean stop.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readdirSync, readlinkSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Sampler } from '../src/sampler/sampler.js';
import { kStateStopped } from '../src/sampler/ring.js';
import { FakeProc, FakeRapl } from './helpers/sysfs.js';

const run = promisify(execFile);

function openFilesUnder(dir: string): string[] {
  return readdirSync('/proc/self/fd').flatMap((fd) => {
    try {
      const target = readlinkSync(`/proc/self/fd/${fd}`);
      return target.startsWith(dir) ? [target] : [];
    } catch {
      return [];
    }
  });
}

test('a program that never stops its sampler still exits', async (t) => {
  const rapl = new FakeRapl([{ id: 'intel-rapl:0', name: 'package-0', energyUj: 1000 }]);
  const proc = new FakeProc();
  t.after(() => { rapl.cleanup(); proc.cleanup(); });
  // The source fixture is copied to dist/ by the build, next to its compiled imports.
  const fixture = fileURLToPath(new URL('../../test/fixtures/exit-without-stop.js', import.meta.url).href.replace('/test/fixtures/', '/dist/test/fixtures/'));
  const { stdout } = await run(process.execPath, [fixture, rapl.root, proc.root], { timeout: 15_000 });
  assert.match(stdout, /^published [2-9]\d*\n$/);
});

test('a start whose mark cannot be taken fails with why, and the thread set going for it ends', async (t) => {
  const rapl = new FakeRapl([{ id: 'intel-rapl:0', name: 'package-0', energyUj: 1000 }]);
  t.after(() => rapl.cleanup());
  const threads = (): number => readdirSync('/proc/self/task').length;
  const before = threads();
  // The thread is set going before the mark is taken on this thread; a fault there must not leave it waiting.
  const sampler = new Sampler({ raplDir: rapl.root }, { beforeMark: () => { throw new Error('injected fault at the mark'); } });
  await assert.rejects(sampler.start(), /the sampler thread failed to start: injected fault at the mark/);
  for (const until = Date.now() + 30_000; threads() > before && Date.now() < until;) await new Promise((r) => setTimeout(r, 20));
  assert.equal(threads(), before, 'the thread made for the failed start has ended');
  await sampler.stop();
});

test('sampling goes on while the main thread runs a long synchronous loop', async (t) => {
  const rapl = new FakeRapl([{ id: 'intel-rapl:0', name: 'package-0', energyUj: 1000 }]);
  const proc = new FakeProc();
  const sampler = new Sampler({ raplDir: rapl.root, procDir: proc.root, cgroupDir: proc.root, samplePeriodMs: 20 });
  t.after(async () => { await sampler.stop(); rapl.cleanup(); proc.cleanup(); });
  await sampler.start();
  const ring = sampler.timeline!.ring;
  const before = ring.published();
  // Busy until five more samples are published; sequenced on the ring's own counter.
  const deadline = Date.now() + 10_000;
  while (ring.published() < before + 5 && Date.now() < deadline) { /* spin: no event loop turn */ }
  assert.ok(ring.published() >= before + 5, `published ${ring.published() - before} samples during the busy loop`);
});

test('sampleNow() wakes a started thread within the call: its sample comes while the caller goes on synchronously', async (t) => {
  // What a stop() does until it awaits (reading /proc for the record) overlaps the last sample.
  const rapl = new FakeRapl([{ id: 'intel-rapl:0', name: 'package-0', energyUj: 1000 }]);
  const proc = new FakeProc();
  const sampler = new Sampler({ raplDir: rapl.root, procDir: proc.root, cgroupDir: proc.root, samplePeriodMs: 60_000 });
  t.after(async () => { await sampler.stop(); rapl.cleanup(); proc.cleanup(); });
  await sampler.start();
  await sampler.sampleNow(); // past the thread's first samples: it waits now, for a wake or 60 s
  const ring = sampler.timeline!.ring;
  const before = ring.published();
  const asked = sampler.sampleNow();
  // No event loop turn, no microtask: only a wake made inside sampleNow() gets a sample here.
  const deadline = Date.now() + 10_000;
  while (ring.published() === before && Date.now() < deadline) { /* spin */ }
  assert.equal(ring.published(), before + 1, 'one sample, asked for, taken before the caller awaited');
  await asked;
});

test('stop takes a last sample, closes every counter file, and keeps the timeline readable', async (t) => {
  const rapl = new FakeRapl([
    { id: 'intel-rapl:0', name: 'package-0', energyUj: 1000 },
    { id: 'intel-rapl:0:2', name: 'dram', energyUj: 10 },
  ]);
  const proc = new FakeProc();
  const sampler = new Sampler({ raplDir: rapl.root, procDir: proc.root, cgroupDir: proc.root, samplePeriodMs: 60_000 });
  t.after(() => { rapl.cleanup(); proc.cleanup(); });
  await sampler.start();
  assert.equal(openFilesUnder(rapl.root).length, 2);
  const t0 = sampler.timeline!.newestMs();
  rapl.write('intel-rapl:0', 1500);
  rapl.write('intel-rapl:0:2', 30);
  const mark = sampler.now();
  await sampler.stop();
  const timeline = sampler.timeline!;
  assert.equal(timeline.ring.state(), kStateStopped);
  assert.deepEqual(openFilesUnder(rapl.root), []);
  const e = timeline.energyBetween(t0, timeline.newestMs());
  assert.deepEqual([...e.energyUj], [500, 20]);
  assert.equal(timeline.energyBetween(t0, mark).final, true);
  await assert.rejects(sampler.start(), /this sampler was stopped; create a new one/);
});
