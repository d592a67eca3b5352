// Process mode over a fake /proc tree: CPU time that shows late (a descendant found by a later walk,
// or reaped before any walk found it) counts in full, once, in the interval that finds it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { Sampler, type SamplerWarningEvent } from '../src/sampler/sampler.js';
import { openCpuEstimate } from '../src/sources/cpu-load.js';
import type { ReadingSink } from '../src/sources/source.js';
import { ScriptedClock, scriptedTracker } from './helpers/scripted.js';
import { FakeProc, tempDir, type FakeProcess } from './helpers/sysfs.js';

const root = 4242;
const tdpW = 100;

/** A fake /proc whose cgroup allows one CPU, whatever the machine has: 1 CPU-s is then 100 J. */
function oneCpuProc(): FakeProc {
  const proc = new FakeProc();
  writeFileSync(join(proc.root, 'cpu.max'), '100000 100000\n');
  return proc;
}

/** A process-mode sampler over `proc` (root pid 4242) on a clock the test drives, sampled when the test says. */
async function stepped(t: import('node:test').TestContext, proc: FakeProc) {
  const clock = new ScriptedClock(1000);
  const sampler = new Sampler({ raplDir: tempDir(), procDir: proc.root, cgroupDir: proc.root, trackingMode: 'process',
    forceCpuPower: tdpW, forceRamPower: 1, samplePeriodMs: 60_000, pid: root }, { clock: clock.buffer });
  const uninstall = clock.install();
  const warnings: string[] = [];
  sampler.addEventListener('warning', (e) => warnings.push((e as SamplerWarningEvent).message));
  t.after(async () => { await sampler.stop(); uninstall(); });
  const info = await sampler.start();
  assert.equal(info.channels[0]!.source, 'cpu-process');
  assert.equal(info.plan.usableCpus, 1);
  await sampler.sampleNow(); // after the thread's first tick, which start() does not wait for
  const origin = clock.ms;
  const at = async (ms: number): Promise<number> => {
    clock.advance(ms);
    await sampler.sampleNow();
    return clock.ms;
  };
  const cpuJ = (t0: number, t1: number): number => sampler.timeline!.energyBetween(t0, t1).energyUj[0]! / 1e6;
  return { at, cpuJ, origin, warnings };
}

const near = (actual: number, expected: number): void =>
  assert.ok(Math.abs(actual - expected) <= 1e-9 * Math.max(1, Math.abs(expected)), `${actual} vs ${expected}`);

test('a child born and reaped between two readings (seen only in its parent\'s cutime): all its CPU time counts, in that interval, with a warning', async (t) => {
  const proc = oneCpuProc();
  proc.setProcess(root, { utime: 10 });
  const { at, cpuJ, origin, warnings } = await stepped(t, proc);
  const t1 = await at(100);
  proc.setProcess(root, { utime: 10, cutime: 150 }); // 1.5 CPU-s in 0.1 s on one CPU: more than full load
  const t2 = await at(100);
  near(cpuJ(origin, t1), 0);
  near(cpuJ(t1, t2), 150);
  assert.deepEqual(warnings, ['process mode: 1.50 CPU-s of the process tree showed in /proc at once, more than 1 usable CPUs give '
    + 'in the 0.100 s since the previous reading (a descendant found only by this walk of the tree, or reaped before any walk '
    + 'found it; or a burst above a cgroup CPU quota): counted in full in that interval, later than it was used and above TDP '
    + 'there, so that none is dropped.']);
});

test('a run\'s record holds the CPU time that only the stop\'s own sample finds', async (t) => {
  const proc = oneCpuProc();
  proc.setProcess(process.pid, { utime: 10 });
  const { tracker, clock } = scriptedTracker(t, { trackingMode: 'process', procDir: proc.root, cgroupDir: proc.root,
    raplDir: tempDir(), forceCpuPower: tdpW });
  tracker.start();
  proc.setProcess(process.pid, { utime: 20, cutime: 140 }); // the tracked command, reaped just before the stop
  clock.advance(100);
  await tracker.stop();
  const row = tracker.finalEmissionsData!;
  near(Number(row.cpu_energy) * 3.6e6, 150);
  assert.equal(row.cpu_source, 'cpu-process (estimate)');
});

test('a child started from a main thread is found at the next reading, its time since birth counted there; once reaped, none twice', async (t) => {
  const proc = oneCpuProc();
  proc.setProcess(root, {});
  const { at, cpuJ, origin } = await stepped(t, proc);
  proc.setProcess(root, { threads: { [root]: [5000] } });
  proc.setProcess(5000, { utime: 60, stime: 20 });
  const t1 = await at(100);
  proc.removeProcess(5000);
  proc.setProcess(root, { cutime: 70, cstime: 20 }); // 0.1 CPU-s more before it exited
  const t2 = await at(100);
  near(cpuJ(origin, t1), 80);
  near(cpuJ(t1, t2), 10);
});

test('a child started from another thread is found by the walk of every thread, a second after the last at most', async (t) => {
  const proc = oneCpuProc();
  proc.setProcess(root, {});
  const { at, cpuJ, origin } = await stepped(t, proc); // the sampler's first reading walked every thread
  proc.setProcess(root, { threads: { 4243: [6000] } }); // a worker thread's child_process
  proc.setProcess(6000, { utime: 100 });
  const t1 = await at(500); // main threads only: not found yet
  const t2 = await at(500);
  proc.setProcess(6000, { utime: 300 });
  const t3 = await at(2000); // an idle sampler's period: every reading walks every thread
  near(cpuJ(origin, t1), 0);
  near(cpuJ(t1, t2), 100);
  near(cpuJ(t2, t3), 200);
});

test('a child reaped while the tree is read (gone from /proc, not yet in its parent\'s cutime) counts once', async (t) => {
  const proc = oneCpuProc();
  proc.setProcess(root, { threads: { [root]: [5000] } });
  proc.setProcess(5000, { utime: 50 });
  const { at, cpuJ, origin } = await stepped(t, proc);
  proc.setProcess(5000, { utime: 60 });
  const t1 = await at(1000);
  proc.removeProcess(5000); // the parent's stat was read before the reap, the child's after
  const t2 = await at(1000);
  proc.setProcess(root, { cutime: 70 });
  const t3 = await at(1000);
  near(cpuJ(origin, t1), 10);
  near(cpuJ(t1, t2), 0);
  near(cpuJ(t2, t3), 10);
});

test('a child that leaves the tree alive (its parent died: init\'s now) keeps the time it had; the tree\'s later time counts', async (t) => {
  const proc = oneCpuProc();
  proc.setProcess(root, { threads: { [root]: [5000] } });
  proc.setProcess(5000, { utime: 10, threads: { 5000: [5001] } });
  proc.setProcess(5001, { utime: 30 });
  const { at, cpuJ, origin } = await stepped(t, proc);
  proc.setProcess(5001, { utime: 50 });
  const t1 = await at(1000);
  proc.removeProcess(5000);
  proc.setProcess(root, { cutime: 10 }); // 5000 reaped; 5001 runs on, no longer a descendant
  proc.setProcess(5001, { utime: 90 });
  const t2 = await at(1000);
  proc.setProcess(root, { utime: 20, cutime: 10 });
  const t3 = await at(1000);
  near(cpuJ(origin, t1), 20);
  near(cpuJ(t1, t2), 0);
  near(cpuJ(t2, t3), 20);
});

test('a member\'s pid taken by another process before the next walk of every thread is not counted', async (t) => {
  const proc = oneCpuProc();
  proc.setProcess(root, { threads: { [root]: [5000] } });
  proc.setProcess(5000, { utime: 50, start: 7000 });
  const { at, cpuJ, origin } = await stepped(t, proc);
  proc.setProcess(5000, { utime: 60, start: 7000 });
  const t1 = await at(900);
  const t2 = await at(100); // a walk of every thread (a second since the first)
  proc.setProcess(root, { cutime: 60 }); // 5000 reaped, its pid given to an unrelated process
  proc.setProcess(5000, { utime: 500, start: 9000 });
  const t3 = await at(900); // main threads only: 5000 is still a member here, until its start time tells
  near(cpuJ(origin, t1), 10);
  near(cpuJ(t1, t2), 0);
  near(cpuJ(t2, t3), 0);
});

/** A recording sink: the energy of the mean-power readings of channel 0, and every power it was given. */
function recordingSink() {
  const rec = { energyJ: 0, powers: [] as number[], lastMs: Number.NaN, tMs: 0 };
  const sink = {
    setPower: (_: number, watts: number) => {
      rec.powers.push(watts);
      if (!Number.isNaN(rec.lastMs)) rec.energyJ += watts * (rec.tMs - rec.lastMs) / 1000;
      rec.lastMs = rec.tMs;
    },
  } as unknown as ReadingSink;
  return { rec, sink };
}

/** One step of a process tree's life. */
type Step =
  | { kind: 'spawn'; parent: number; mainThread: boolean }
  | { kind: 'burn'; who: number; jiffies: number }
  | { kind: 'exit'; who: number }
  | { kind: 'read'; afterMs: number };

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ kind: fc.constant('spawn' as const), parent: fc.nat(), mainThread: fc.boolean() }),
  fc.record({ kind: fc.constant('burn' as const), who: fc.nat(), jiffies: fc.integer({ min: 1, max: 300 }) }),
  fc.record({ kind: fc.constant('exit' as const), who: fc.nat() }),
  fc.record({ kind: fc.constant('read' as const), afterMs: fc.integer({ min: 1, max: 2500 }) }),
);

/** A tree that lives out `steps` in a fake /proc: children spawn, burn CPU, exit and are reaped by their parents. */
class LivingTree {
  readonly procs = new Map<number, { parent: number; mainThread: boolean; own: number; kids: number }>();
  #next = root + 1;
  burnedJiffies = 0;

  constructor(readonly proc: FakeProc) {
    this.procs.set(root, { parent: 0, mainThread: true, own: 7, kids: 0 });
    this.#write(root);
  }

  apply(s: Exclude<Step, { kind: 'read' }>): void {
    const pids = [...this.procs.keys()];
    if (s.kind === 'spawn') {
      const pid = this.#next++;
      const parent = pids[s.parent % pids.length]!;
      this.procs.set(pid, { parent, mainThread: s.mainThread, own: 0, kids: 0 });
      this.#write(pid);
      this.#write(parent);
    } else if (s.kind === 'burn') {
      const pid = pids[s.who % pids.length]!;
      this.procs.get(pid)!.own += s.jiffies;
      this.burnedJiffies += s.jiffies;
      this.#write(pid);
    } else {
      // Only a process without children exits: an orphan's later time is not the tree's.
      const leaves = pids.filter((p) => p !== root && ![...this.procs.values()].some((c) => c.parent === p));
      const pid = leaves[s.who % Math.max(1, leaves.length)];
      if (pid === undefined) return;
      const gone = this.procs.get(pid)!;
      this.procs.delete(pid);
      this.procs.get(gone.parent)!.kids += gone.own + gone.kids;
      this.proc.removeProcess(pid);
      this.#write(gone.parent);
    }
  }

  #write(pid: number): void {
    const p = this.procs.get(pid)!;
    const kids = [...this.procs].filter(([, c]) => c.parent === pid);
    const threads: Record<number, number[]> = { [pid]: kids.filter(([, c]) => c.mainThread).map(([k]) => k),
      [pid + 100_000]: kids.filter(([, c]) => !c.mainThread).map(([k]) => k) };
    const fake: FakeProcess = { utime: p.own, cutime: p.kids, threads };
    this.proc.setProcess(pid, fake);
  }
}

test('property: whatever a tree does between readings, the readings sum to its CPU time × TDP ÷ CPUs, never negative', () => {
  fc.assert(fc.property(fc.array(step, { maxLength: 40 }), (steps) => {
    const proc = new FakeProc();
    try {
      const tree = new LivingTree(proc);
      const source = openCpuEstimate({ tdp: { tdpW, origin: 'forced', detail: 'forced' }, mode: 'process', procDir: proc.root,
        pid: root, usableCpus: 2, warn: () => {} });
      const { rec, sink } = recordingSink();
      source.read(sink, 0, rec.tMs, false); // the baseline
      for (const s of steps) {
        if (s.kind !== 'read') tree.apply(s);
        else source.read(sink, 0, (rec.tMs += s.afterMs), false);
      }
      source.read(sink, 0, (rec.tMs += 1000), false); // a walk of every thread: every live descendant found
      assert.ok(rec.powers.every((w) => Number.isFinite(w) && w >= 0), `${rec.powers}`);
      near(rec.energyJ, (tdpW * tree.burnedJiffies) / 100 / 2);
    } finally {
      proc.cleanup();
    }
  }), { numRuns: 60 });
});
