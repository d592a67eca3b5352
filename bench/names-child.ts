// Child entry of the distinct-names benchmark: a hot loop of tasks each of its own name, as JSON on stdout.
import { performance } from 'node:perf_hooks';
import { benchTracker } from './fixture.js';

const n = Number(process.argv[2] ?? 10_000_000);
const { tracker } = await benchTracker();
let peak = 0;
const t0 = performance.now();
for (let i = 0; i < n; i++) {
  const name = `req-${i}`;
  tracker.startTask(name);
  tracker.stopTask(name);
  if (i % 100_000 === 0) peak = Math.max(peak, process.memoryUsage().heapUsed);
}
const loopMs = performance.now() - t0;
const s = performance.now();
await tracker.stop();
const stopMs = performance.now() - s;
peak = Math.max(peak, process.memoryUsage().heapUsed);
process.stdout.write(JSON.stringify({ tasks: n, loopMs, stopMs, peakHeapMiB: peak / 2 ** 20 }));
