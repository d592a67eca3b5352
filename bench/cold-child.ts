// Child entry of the cold-start benchmark: one fresh process, one first start (or its anchor) timed, as JSON on stdout.
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { preloadPiscina } from '../src/sampler/pool.js';
import { Sampler } from '../src/sampler/sampler.js';

const [mode, raplDir] = process.argv.slice(2);

/** Waits on word 0 of `header` leaving 0, as Sampler#whenStarted waits on the boot word. */
async function flipped(header: Int32Array): Promise<void> {
  const keepAlive = setInterval(() => {}, 1000);
  while (Atomics.load(header, 0) === 0) {
    const r = Atomics.waitAsync(header, 0, 0, 1000);
    if (r.async) await r.value;
  }
  clearInterval(keepAlive);
}

let ms: number;
if (mode === 'bare') {
  // The anchor: a worker spawned until its first line is seen on this thread, signalled as the sampler's start is.
  const t0 = performance.now();
  const header = new Int32Array(new SharedArrayBuffer(4));
  const worker = new Worker(new URL('./bare-worker.js', import.meta.url), { workerData: { header: header.buffer } });
  await flipped(header);
  ms = performance.now() - t0;
  await worker.terminate();
} else {
  // 'preloaded': piscina fetched in the background and the event loop turned first, as when a tracker is made before its start().
  if (mode === 'preloaded') {
    preloadPiscina();
    await new Promise((r) => setTimeout(r, 200));
  }
  // Made first: its options (config files read) are resolved in the constructor, as a tracker's are
  // in its own; the figure is the first start()'s.
  const sampler = new Sampler({ raplDir: raplDir! });
  const t0 = performance.now();
  await sampler.start();
  ms = performance.now() - t0;
  await sampler.stop();
}
process.stdout.write(JSON.stringify({ ms }));
