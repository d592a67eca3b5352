// Tracker benchmarks: task pair, decorator overhead, warm start+stop, task rows written per minute.
import { performance } from 'node:perf_hooks';
import { trackEmissions } from '../src/decorator.js';
import { OfflineEmissionsTracker } from '../src/offline.js';
import { FakeRapl, tempDir } from '../test/helpers/sysfs.js';
import type { Figure } from './run.js';
import { median, perCallNs } from './stats.js';

export async function trackerCosts(): Promise<Figure[]> {
  const rapl = new FakeRapl([{ id: 'intel-rapl:0', name: 'package-0', energyUj: 0 }]);
  const dir = tempDir('cc-bench-');
  const base = { countryIsoCode: 'FRA', outputDir: dir, raplDir: rapl.root, logLevel: 'error' as const };
  const tracker = new OfflineEmissionsTracker(base, { env: {}, cwd: dir, home: dir });
  tracker.start();
  await tracker.flush(); // the sampler is warm
  const step = (): void => { tracker.startTask('step'); tracker.stopTask('step'); };
  // Warmed first: the first rounds store into pages the sampler thread has not faulted in yet, and
  // run before V8 has optimized the loop (1-2 µs a pair in the first rounds of a fresh process).
  perCallNs(step, 2_000, 10);
  const pair = perCallNs(step, 2_000, 31); // within the kept records: 82,000 pairs in all
  const many = perCallNs(step, 1_000_000, 2); // folding included
  (globalThis as { gc?: () => void }).gc?.(); // npm run bench passes --expose-gc: live memory, not garbage
  const heapMb = process.memoryUsage().heapUsed / 2 ** 20;
  const t0 = performance.now();
  await tracker.stop(); // settles and writes the kept rows and the folded one
  const writeMs = performance.now() - t0;
  const written = 100_000 + 1;

  const plain = (x: number): number => x + 1;
  const wrapped = trackEmissions(plain, { ...base, offline: true, saveToFile: false });
  const warm = new OfflineEmissionsTracker({ ...base, saveToFile: false }, { env: {}, cwd: dir, home: dir });
  const startStop: number[] = [];
  const roundTrip: number[] = [];
  // Warm: the paths of a start() and a stop() compiled, on this thread and the sampler's, as in a
  // process that runs them often (after 30 runs both still took 2-3 times as long as after 1,000).
  for (let i = 0; i < 1000; i++) {
    warm.start();
    await warm.stop();
  }
  for (let i = 0; i < 101; i++) {
    const s = performance.now();
    warm.start();
    await warm.stop();
    startStop.push(performance.now() - s);
    const r = performance.now();
    await warm.sampler!.sampleNow(false); // the anchor, interleaved: the sampler's part of a stop()
    roundTrip.push(performance.now() - r);
  }
  const calls: number[] = [];
  for (let r = 0; r < 26; r++) {
    const s = process.hrtime.bigint();
    for (let i = 0; i < 200; i++) wrapped(i);
    if (r >= 5) calls.push(Number(process.hrtime.bigint() - s) / 200); // after 5 rounds of warm-up
    await new Promise((res) => setTimeout(res, 50)); // let the runs' stops settle between rounds
  }
  rapl.cleanup();
  return [
    { name: 'tracker task pair (startTask + stopTask, named)', value: median(pair), unit: 'ns', goal: '≤ 120 ns',
      method: 'median of 31 batches of 2,000 pairs on a started tracker with a warm sampler, after 10 batches of warm-up (all within task_records_kept: no folding)' },
    { name: 'tracker task pair over 2 million tasks (folding included)', value: median(many), unit: 'ns',
      method: '2 batches of 10^6 pairs: past 100,000 kept records, settled tasks are folded into one row per name in the hot path' },
    { name: 'heap after 2 million tasks', value: heapMb, unit: 'MiB',
      method: 'process.memoryUsage().heapUsed after a full GC, following the 2,082,000 pairs above (memory bounded by task_records_kept)' },
    { name: 'task rows written per minute (settle + CSV)', value: (written / writeMs) * 60_000, unit: 'rows/min', goal: '≥ 10^6/min',
      method: 'stop() after the pairs above: batch interpolation of the 100,000 kept tasks, records built and written to the task CSV' },
    { name: 'decorator overhead on the caller\'s path (sync function)', value: median(calls) / 1000, unit: 'µs', goal: '≤ 5 µs',
      method: 'median of 21 rounds of 200 calls (after 5 rounds of warm-up) of a wrapped one-line function (fork, start, launch of stop); the stop\'s sample and record follow off the call path' },
    { name: 'warm start + stop (no file)', value: median(startStop), unit: 'ms', goal: '≤ 0.2 ms',
      method: 'median of 101 start() + await stop() with the sampler running, after 1,000 not timed (the code of both threads compiled: after 30 they took 2-3 times as long): one sample-now round trip plus the record' },
    { name: 'anchor: warm sample-now round trip (the sampler\'s part of a stop())', value: median(roundTrip), unit: 'ms',
      method: 'median of 101 Sampler.sampleNow(), each right after one of the start() + stop() above: wake the sampler thread, wait for its sample' },
  ];
}
