// Task benchmarks at scale: a hot loop of distinct task names (memory bounded, stop() bounded), in a fresh process.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { Figure } from './run.js';
import { median } from './stats.js';

const run = promisify(execFile);

/** Runs a child entry with `args` in a fresh process and parses its JSON. */
async function child(entry: string, args: string[], node: string[] = []): Promise<Record<string, number>> {
  const file = fileURLToPath(new URL(entry, import.meta.url));
  const { stdout } = await run(process.execPath, [...node, file, ...args], { timeout: 600_000, maxBuffer: 1 << 20 });
  return JSON.parse(stdout) as Record<string, number>;
}

/** 10 million tasks, each of its own name, in one hot loop; peak heap sampled, stop() timed; and stop() after 5 million. */
export async function distinctNames(): Promise<Figure[]> {
  // --max-old-space-size: a run that needed more than 256 MB would fail outright, not report a number.
  const r = await child('./names-child.js', ['10000000'], ['--expose-gc', '--max-old-space-size=256']);
  const five = await child('./names-child.js', ['5000000'], ['--expose-gc', '--max-old-space-size=256']);
  return [
    { name: 'peak heap, 10 million tasks of 10 million distinct names', value: r['peakHeapMiB']!, unit: 'MiB', goal: '< 200 MB',
      method: `a fresh process (--max-old-space-size=256), a hot loop of startTask(\`req-\${i}\`)/stopTask() on a started tracker; heapUsed sampled every 100,000 tasks, the largest kept; ${r['tasks']} tasks in ${(r['loopMs']! / 1000).toFixed(1)} s` },
    { name: 'stop() after 10 million tasks of distinct names', value: r['stopMs']!, unit: 'ms', goal: '< 2 s',
      method: 'the same process: await stop() (settle, fold, write 100,000 kept rows, 1,000 folded names and one (other names) row), timed' },
    { name: 'stop() after 5 million tasks of distinct names', value: five['stopMs']!, unit: 'ms', goal: '≤ 500 ms',
      method: `another fresh process, the same loop for 5 million tasks (${(five['loopMs']! / 1000).toFixed(1)} s), then await stop() timed: the same 100,000 kept rows and 1,001 folded ones` },
  ];
}

/** A fresh process's first stop() after 300 finished tasks, with the sampler's part of it and its round trip as anchors. */
export async function stopAfterTasks(): Promise<Figure[]> {
  const runs: Record<string, number>[] = [];
  // Eleven: one process's first stop() moves by a few ms with where a scavenge falls; five left the median to chance.
  const n = 11;
  for (let i = 0; i < n; i++) runs.push(await child('./stop-child.js', ['300']));
  const m = (k: string): number => median(runs.map((x) => x[k]!));
  const list = runs.map((x) => x['stopMs']!.toFixed(1)).join(', ');
  const setting = 'a fresh process: tracker made, start(), await ready(), 300 tasks of 20 µs each (10 names), then await stop()';
  return [
    { name: 'first stop() of a process with 300 finished tasks (both CSV files written)', value: m('stopMs'), unit: 'ms', goal: '≤ 10 ms',
      method: `median of ${n} processes; ${setting}: the last sample, the run's row, the 300 task rows; runs ${list} ms; CodeCarbon 3.3.0: 21.4 ms on this machine (the issue's figure)` },
    { name: 'of which the sampler\'s sample after the stop mark (wait)', value: m('stopWaitMs'), unit: 'ms',
      method: `median of ${n} processes, the same stop(): from waking the sampler thread to its sample's publication, timed around Sampler.sampleNow()` },
    { name: 'anchor: the sampler\'s sample-now round trip after that stop()', value: m('roundTripMs'), unit: 'ms',
      method: `median of ${n} processes, the same process right after stop(): one Sampler.sampleNow(), the least a stop() waits` },
  ];
}

/** The first start() of a process: what it takes synchronously, and until the first samples exist. */
export async function firstStart(): Promise<Figure[]> {
  const runs = async (mode: string, n = 5): Promise<Record<string, number>[]> => {
    const out: Record<string, number>[] = [];
    for (let i = 0; i < n; i++) out.push(await child('./start-child.js', [mode]));
    return out;
  };
  const cold = await runs('cold');
  const pre = await runs('preloaded');
  const mark = await runs('mark');
  const worker = await runs('worker');
  const m = (xs: Record<string, number>[], k: string): number => median(xs.map((x) => x[k]!));
  return [
    { name: 'first start(), synchronous part (sampler thread created in the call)', value: m(cold, 'syncMs'), unit: 'ms',
      method: 'median of 5 fresh processes: tracker made, start() called at once (piscina loaded in the call), timed around start()' },
    { name: 'first start(), synchronous part, the event loop having turned since the tracker was made', value: m(pre, 'syncMs'), unit: 'ms',
      method: 'median of 5 fresh processes: piscina is loaded in the background when a tracker is made; start() then creates the pool and thread' },
    { name: 'first start(): the start mark\'s reading on the calling thread', value: m(mark, 'markMs'), unit: 'ms', goal: '≤ 2 ms',
      method: 'median of 5 fresh processes: readMark() alone (powercap scan of 4 zones with their energy_uj, /proc/stat), as start() does it' },
    { name: 'baseline: new Worker() constructor on this machine', value: m(worker, 'workerMs'), unit: 'ms',
      method: 'median of 5 fresh processes: the synchronous cost of creating any worker thread, which start() must pay' },
    { name: 'first start() to the sampler\'s start result', value: m(cold, 'readyMs'), unit: 'ms',
      method: 'median of 5 fresh processes: start() until ready() resolves (thread booted, first sample at the mark published)' },
  ];
}
