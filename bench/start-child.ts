// Child entry of the first-start benchmark: one fresh process, its first start() timed, as JSON on stdout.
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { OfflineEmissionsTracker } from '../src/offline.js';
import { resolveEngineOptions } from '../src/sampler/options.js';
import { readMark } from '../src/sources/mark.js';
import { fourZones } from './engine.js';

const [mode] = process.argv.slice(2);
const rapl = fourZones();
const options = { countryIsoCode: 'FRA', raplDir: rapl.root, saveToFile: false, logLevel: 'error' as const };
let out: Record<string, number>;
if (mode === 'mark') {
  // The start mark's reading alone: the powercap scan and /proc/stat, as start() does it.
  const engine = resolveEngineOptions({ raplDir: rapl.root }, {});
  const t0 = performance.now();
  readMark(engine);
  out = { markMs: performance.now() - t0 };
} else if (mode === 'worker') {
  const t0 = performance.now();
  const w = new Worker('setTimeout(() => {}, 10)', { eval: true });
  out = { workerMs: performance.now() - t0 };
  await w.terminate();
} else {
  const tracker = new OfflineEmissionsTracker(options, { env: {}, cwd: rapl.root, home: rapl.root });
  // 'preloaded': the event loop turns between the tracker's construction and its start (piscina is loaded by then).
  if (mode === 'preloaded') await new Promise((r) => setTimeout(r, 200));
  const t0 = performance.now();
  tracker.start();
  const syncMs = performance.now() - t0;
  await tracker.ready();
  out = { syncMs, readyMs: performance.now() - t0 };
  await tracker.stop();
}
rapl.cleanup();
process.stdout.write(JSON.stringify(out));
