// Engine benchmarks: mark pair, sampler tick, cold start, sampler thread CPU.
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Worker } from 'node:worker_threads';
import { Bench } from 'tinybench';
import { resolveEngineOptions } from '../src/sampler/options.js';
import { SamplerLoop } from '../src/sampler/loop.js';
import { Sampler } from '../src/sampler/sampler.js';
import { openSources, planHardware } from '../src/sources/detect.js';
import { readsFailOnceRemoved } from '../src/sources/source.js';
import { FakeRapl, tempDir } from '../test/helpers/sysfs.js';
import type { Figure } from './run.js';
import { median, perCallNs } from './stats.js';

export const fourZones = () => new FakeRapl([
  { id: 'intel-rapl:0', name: 'package-0', energyUj: 1_000_000 },
  { id: 'intel-rapl:0:0', name: 'dram', energyUj: 1_000 },
  { id: 'intel-rapl:1', name: 'package-1', energyUj: 2_000_000 },
  { id: 'intel-rapl:1:0', name: 'dram', energyUj: 2_000 },
]);

/** The energy_uj files of fourZones(). */
const fourCounters = (rapl: FakeRapl): string[] =>
  ['intel-rapl:0', 'intel-rapl:0:0', 'intel-rapl:1', 'intel-rapl:1:0'].map((id) => join(rapl.path(id), 'energy_uj'));

/** Decimal kernel counters on sysfs that any Linux has: the loopback interface's. */
const loopbackCounters = ['rx_bytes', 'tx_bytes', 'rx_packets', 'tx_packets'].map((f) => `/sys/class/net/lo/statistics/${f}`);

/**
 * Makes the energy_uj files of fourZones() links to kernel counters on sysfs, so that the sampler
 * reads them as it reads a real zone's (every real zone is on sysfs): a kernel file, whose
 * descriptor fails its reads once it is removed, so that its path is not looked up once a second
 * for a replacement, as a file on ext4 is. Returns why not, when this machine has no such files.
 */
export function zonesOnSysfs(rapl: FakeRapl): string | null {
  for (const f of loopbackCounters) {
    if (!readsFailOnceRemoved(f)) return `${f} is not a readable sysfs file here`;
    // Far below the fake zones' max_energy_range_uj: read as a counter, not refused as out of range.
    if (!(Number(readFileSync(f, 'latin1')) < 1e11)) return `${f} holds more than the fake zones' range`;
  }
  fourCounters(rapl).forEach((file, i) => {
    rmSync(file);
    symlinkSync(loopbackCounters[i]!, file);
  });
  return null;
}

/** Two marks (the floor of a task bracket): two clock reads stored in a preallocated buffer. */
export async function markPair(): Promise<Figure[]> {
  const marks = new Float64Array(1 << 16);
  const pair = (i: number): void => {
    const j = (i & 0x7fff) << 1;
    marks[j] = performance.now();
    marks[j + 1] = performance.now();
  };
  const bench = new Bench({ time: 1000 });
  let i = 0;
  bench.add('mark pair', () => pair(i++));
  await bench.run();
  const r = bench.tasks[0]!.result;
  if (r.state !== 'completed') throw new Error(`mark pair bench ${r.state}`);
  const batched = perCallNs(pair, 100_000, 51);
  return [
    { name: 'mark pair, p50 per call (tinybench, incl. its own timer read)', value: r.latency.p50 * 1e6, unit: 'ns', goal: '≤ 250 ns',
      method: 'tinybench 6, 1 s; one call = two performance.now() marks stored in a Float64Array; each sample also holds one of tinybench\'s own timer reads (~40 ns)' },
    { name: 'mark pair, p99 per call (tinybench, incl. its own timer read)', value: r.latency.p99 * 1e6, unit: 'ns',
      method: 'as above; p99 includes timer granularity and GC pauses' },
    { name: 'mark pair, mean per pair in batches (median of 51)', value: median(batched), unit: 'ns',
      method: '51 batches of 100,000 pairs timed with process.hrtime.bigint' },
  ];
}

function loopFor(raplDir: string, trackingMode: 'machine' | 'process'): SamplerLoop {
  const options = resolveEngineOptions({ raplDir, trackingMode }, {});
  const plan = planHardware(options);
  const sources = openSources(options, plan, () => {});
  const channels = sources.flatMap((s) => s.channels);
  return new SamplerLoop({ capacity: 4096, anchors: 64 }, () => performance.now(), sources, channels, 100, () => {});
}

/** One tick: read every source, integrate, publish, settle anchors. */
export async function tickCost(): Promise<Figure[]> {
  const rapl = fourZones();
  const empty = tempDir();
  const cases: [string, SamplerLoop][] = [
    ['sampler tick, 4 RAPL zones (2 packages + 2 DRAM)', loopFor(rapl.root, 'machine')],
    ['sampler tick, estimators (cpu-load from /proc/stat + DIMM model)', loopFor(empty, 'machine')],
    ['sampler tick, process mode (process-tree CPU time and RSS)', loopFor(empty, 'process')],
  ];
  const out = cases.map(([name, loop]): Figure => {
    const ns = perCallNs(() => loop.tick(), 2000, 21);
    loop.sources.forEach((s) => s.close());
    return { name, value: median(ns) / 1000, unit: 'µs',
      method: 'median of 21 batches of 2,000 ticks on this thread (fake sysfs files in a temp dir, real /proc)' };
  });
  rapl.cleanup();
  return out;
}

const run = promisify(execFile);

/**
 * Time from a first start() to the first published sample, in fresh processes, with its
 * anchor in the same rounds: a bare worker thread spawned until its first line is seen here.
 */
export async function coldStart(): Promise<Figure[]> {
  const rapl = fourZones();
  const child = fileURLToPath(new URL('./cold-child.js', import.meta.url));
  const noRapl = tempDir();
  const modes = ['bare', 'cold', 'preloaded', 'estimated'] as const;
  const ms: Record<(typeof modes)[number], number[]> = { bare: [], cold: [], preloaded: [], estimated: [] };
  // Rounds of one fresh process per variant, the order rotating: the machine's moods fall on all alike.
  for (let i = 0; i < 9; i++) {
    for (let j = 0; j < modes.length; j++) {
      const mode = modes[(i + j) % modes.length]!;
      // 'estimated': a first start as on a VM, no RAPL: the CPU estimated from its TDP, looked up in the table.
      const { stdout } = await run(process.execPath, [child, mode === 'estimated' ? 'cold' : mode, mode === 'estimated' ? noRapl : rapl.root],
        { timeout: 60_000 });
      ms[mode].push((JSON.parse(stdout) as { ms: number }).ms);
    }
  }
  rapl.cleanup();
  const bare = median(ms.bare);
  const list = (xs: number[]): string => xs.map((x) => x.toFixed(0)).join(', ');
  const setting = '9 rounds of fresh processes, one per variant, the order rotating';
  return [
    { name: 'cold start to first sample (CPU only, 4 RAPL zones)', value: median(ms.cold), unit: 'ms', goal: `≤ 1.25 × the bare worker spawn (${(1.25 * bare).toFixed(0)} ms here)`,
      method: `median of ${setting}: a first start() of a new Sampler (made before the clock starts: its constructor resolves the options, as a tracker's does) until its start result, seen on the boot word (piscina's main-thread bundle loaded in the call, thread spawn, piscina's worker, the sampler's one-file bundle loaded, discovery, the first sample at the mark published); ${(median(ms.cold) / bare).toFixed(2)} × the anchor; runs ${list(ms.cold)} ms` },
    { name: 'cold start to first sample, piscina preloaded (as after a tracker\'s construction)', value: median(ms.preloaded), unit: 'ms',
      method: `median of the same rounds: the same, piscina loaded in the background and the event loop turned first (preloadPiscina(), as EmissionsTracker's constructor does); ${(median(ms.preloaded) / bare).toFixed(2)} × the anchor; runs ${list(ms.preloaded)} ms` },
    { name: 'cold start to first sample, no RAPL (CPU estimated from its TDP)', value: median(ms.estimated), unit: 'ms',
      method: `median of the same rounds: the same as the first, with no RAPL zone, as on most VMs: the sampler thread reads /proc/cpuinfo and looks the model's TDP up in data/cpu-power.json before its first sample; ${(median(ms.estimated) / bare).toFixed(2)} × the anchor; runs ${list(ms.estimated)} ms` },
    { name: 'anchor: bare worker spawn to its first line seen on the main thread', value: bare, unit: 'ms',
      method: `median of the same rounds: new Worker() of an ES module that only stores 1 to a shared word and notifies, until that word is seen through Atomics.waitAsync, as the sampler's start is; runs ${list(ms.bare)} ms` },
  ];
}

function threadCpuNs(): Map<string, number> {
  const out = new Map<string, number>();
  for (const tid of readdirSync('/proc/self/task')) {
    try {
      out.set(tid, Number(readFileSync(`/proc/self/task/${tid}/schedstat`, 'utf8').split(' ')[0]));
    } catch {
      // a thread that ended meanwhile
    }
  }
  return out;
}

/**
 * CPU share of one core used, over `windowMs` (5 s) of an idle main thread after `settleMs` (0.5 s),
 * by the busiest thread that `spawn()` created (read from that thread's own /proc/self/task/<tid>/schedstat).
 */
export async function newThreadCpuPct(spawn: () => Promise<() => Promise<unknown>>, settleMs = 500, windowMs = 5000): Promise<number> {
  return (await sameWindowCpuPct({ spawn }, 1, windowMs, [settleMs]))[0]!.spawn![0]!;
}

/**
 * CPU share of one core of the thread each of `spawns` creates, all of them running at once and
 * read over the same windows: the host's moods, which move a 5 s figure on this VM by 2× from one
 * window to the next, fall on all alike. One phase of `windows` windows of `windowMs` begins at each
 * of `phasesAtMs` (ms after the last thread is up); one record per phase.
 */
export async function sameWindowCpuPct(spawns: Record<string, () => Promise<() => Promise<unknown>>>, windows = 5, windowMs = 5000,
  phasesAtMs: readonly number[] = [1000]): Promise<Record<string, number[]>[]> {
  const threads: Record<string, string[]> = {};
  const stops: (() => Promise<unknown>)[] = [];
  try {
    for (const [name, spawn] of Object.entries(spawns)) {
      const before = threadCpuNs();
      stops.push(await spawn());
      await new Promise((r) => setTimeout(r, 100)); // its thread listed
      threads[name] = [...threadCpuNs().keys()].filter((tid) => !before.has(tid));
    }
    const up = performance.now();
    const phases: Record<string, number[]>[] = [];
    for (const atMs of phasesAtMs) {
      await new Promise((r) => setTimeout(r, Math.max(0, up + atMs - performance.now())));
      const out: Record<string, number[]> = Object.fromEntries(Object.keys(spawns).map((k) => [k, []]));
      for (let w = 0; w < windows; w++) {
        const t0 = threadCpuNs();
        const w0 = performance.now();
        await new Promise((r) => setTimeout(r, windowMs));
        const t1 = threadCpuNs();
        const wallNs = (performance.now() - w0) * 1e6;
        for (const [name, tids] of Object.entries(threads)) {
          out[name]!.push((Math.max(0, ...tids.map((tid) => (t1.get(tid) ?? 0) - (t0.get(tid) ?? 0))) / wallNs) * 100);
        }
      }
      phases.push(out);
    }
    return phases;
  } finally {
    for (const stop of stops) await stop();
  }
}

/**
 * An empty worker waking every 100 ms, with Atomics.waitAsync (`async`) or a blocking Atomics.wait;
 * with `files`, a blocking one that reads each of them (kept open) at every wake, as a tick reads
 * its RAPL counters, and does nothing else.
 */
async function emptyWorker(wait: 'async' | 'sync', files: readonly string[] = []): Promise<() => Promise<unknown>> {
  const loop = wait === 'async'
    ? '(async () => { for (;;) { const r = Atomics.waitAsync(ctl, 0, 0, 100); if (r.async) await r.value; } })();'
    : 'setImmediate(() => { for (;;) { Atomics.wait(ctl, 0, 0, 100); for (let i = 0; i < fds.length; i++) readSync(fds[i], buf, 0, 32, 0); } });';
  const code = `const { parentPort } = require('node:worker_threads');
    const { openSync, readSync } = require('node:fs');
    const fds = ${JSON.stringify(files)}.map((f) => openSync(f, 'r'));
    const buf = Buffer.alloc(32);
    const ctl = new Int32Array(new SharedArrayBuffer(4));
    parentPort.on('message', () => {}); // as piscina's port does, keeps the thread alive
    parentPort.postMessage('up');
    ${loop}`;
  const w = new Worker(code, { eval: true });
  await new Promise((r) => w.once('message', r));
  return () => w.terminate();
}

/** When the second phase of samplerCpu() begins: V8 has optimized the sampler's tick by then (see its method text). */
const steadyAtMs = 150_000;

/**
 * CPU time of the sampler thread at 10 Hz, and the floor empty workers waking at 10 Hz set, all
 * read in the same windows: in the sampler's first half minute, and again from 2.5 minutes on.
 * A thread that ticks ten times a second runs its tick in V8's baseline tier at first; V8 compiles
 * the tick's functions with its optimizing tier as each has run some hundreds to a thousand times
 * (node --trace-opt, one run at 10 Hz: readSync at 40 s, the RAPL read and the integration at 70 s,
 * tick() itself at 115 s). A tick then takes 50-90 µs of wall time after its wait instead of about
 * 200 µs (timed inside the thread, /tmp scratch, 2026-12-03): a service that samples all day pays
 * the second figure. (A new run on a pooled thread starts again in the baseline tier: its optimized
 * code held the last run's objects.)
 */
export async function samplerCpu(): Promise<Figure[]> {
  const rapl = fourZones();
  const notOnSysfs = zonesOnSysfs(rapl);
  const zones = notOnSysfs === null
    ? 'the 4 zones\' energy_uj files links to kernel counters on sysfs (the loopback\'s), read as a real zone\'s are'
    : `the 4 zones' energy_uj files on ext4 (${notOnSysfs}): the sampler also looks one path up per second for a replaced file, `
      + 'which a real zone, on sysfs, does not need';
  // The full rate throughout (an idle main thread would otherwise slow it down: see idleCost).
  const sampler = new Sampler({ raplDir: rapl.root, samplePeriodMs: 100, idleSamplePeriodMs: 100 });
  // Two alike waitAsync workers: in one window on this VM one may cost 3× the other (whose wake
  // finds the vCPU halted pays for it), so the anchor is the median of both over all windows.
  const [first, steady] = await sameWindowCpuPct({
    sampler: async () => {
      await sampler.start();
      return () => sampler.stop();
    },
    async1: () => emptyWorker('async'),
    async2: () => emptyWorker('async'),
    sync: () => emptyWorker('sync'),
    reads: () => emptyWorker('sync', fourCounters(rapl)),
  }, 8, 3000, [1000, steadyAtMs]) as [Record<string, number[]>, Record<string, number[]>];
  rapl.cleanup();
  const list = (xs: number[]): string => xs.map((x) => x.toFixed(3)).join(', ');
  const floors = (pct: Record<string, number[]>) => ({
    sampler: median(pct.sampler!), async: median([...pct.async1!, ...pct.async2!]), sync: median(pct.sync!), reads: median(pct.reads!),
  });
  const [a, b] = [floors(first), floors(steady)];
  const method = 'median of 8 windows of 3 s, the sampler thread and four workers that do nothing else running at once, each thread read from its own '
    + `/proc/self/task/<tid>/schedstat in the same windows while the main thread idles; the full rate held (idle_sample_period_ms = 100); ${zones}`;
  const phaseA = 'windows from 1 s to 25 s after the threads are up: the sampler\'s tick still runs in V8\'s baseline tier';
  const phaseB = `windows from ${steadyAtMs / 1000} s on, the same threads: V8 has optimized the sampler's tick (its functions `
    + 'one by one from about 40 s to 2 minutes at 10 Hz), as in a tracker that samples all day';
  return [
    { name: 'sampler thread CPU at 10 Hz (4 RAPL zones), its first 25 s', value: a.sampler, unit: '% of one core',
      method: `${method}; ${phaseA}; windows ${list(first.sampler!)} %; the empty waitAsync workers ${list(first.async1!)} and ${list(first.async2!)} %, `
        + `the blocking one ${list(first.sync!)} %, the reading one ${list(first.reads!)} %` },
    { name: 'sampler thread CPU at 10 Hz ÷ an empty worker waking at 10 Hz, its first 25 s', value: a.sampler / a.async, unit: '×',
      method: `the sampler's median over the waitAsync workers' (${a.async.toFixed(3)} %), in its first 25 s; against the blocking empty worker `
        + `(${a.sync.toFixed(3)} %) ${(a.sampler / a.sync).toFixed(2)}×, against the worker that only reads the counters (${a.reads.toFixed(3)} %) `
        + `${(a.sampler / a.reads).toFixed(2)}×` },
    { name: 'sampler thread CPU at 10 Hz (4 RAPL zones), from 2.5 min on', value: b.sampler, unit: '% of one core',
      method: `${method}; ${phaseB}; windows ${list(steady.sampler!)} %` },
    { name: 'sampler thread CPU at 10 Hz ÷ an empty worker waking at 10 Hz, from 2.5 min on', value: b.sampler / b.async, unit: '×', goal: '≤ 1.5×',
      method: 'the sampler\'s median over the waitAsync workers\' (the issue\'s anchor, next figure), same windows. The sampler itself waits in a '
        + `blocking Atomics.wait, whose floor is lower (the figure after): against it, ${(b.sampler / b.sync).toFixed(2)}×` },
    { name: 'baseline: an empty worker waking at 10 Hz (Atomics.waitAsync), from 2.5 min on', value: b.async, unit: '% of one core',
      method: `${method}; ${phaseB}; two alike workers whose loop does nothing but wake through the event loop, both counted; windows `
        + `${list(steady.async1!)} and ${list(steady.async2!)} %` },
    { name: 'baseline: an empty worker waking at 10 Hz (blocking Atomics.wait), from 2.5 min on', value: b.sync, unit: '% of one core',
      method: `${method}; ${phaseB}; a worker that does nothing but wake, blocked in a futex between wakes, as the sampler waits; windows ${list(steady.sync!)} %` },
    { name: 'baseline: a worker waking at 10 Hz that only reads the same 4 counter files (blocking Atomics.wait), from 2.5 min on', value: b.reads,
      unit: '% of one core',
      method: `${method}; ${phaseB}; the blocking worker, reading each of the sampler's four energy_uj files (kept open) with fs.readSync() at every wake `
        + `and nothing else: what reading the counters through Node costs a woken thread. The sampler is ${(b.sampler / b.reads).toFixed(2)}× `
        + `this; windows ${list(steady.reads!)} %` },
  ];
}
