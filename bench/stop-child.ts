// Child entry of the stop() benchmark: one fresh process, its first stop() after 300 finished tasks timed, as JSON on stdout.
import { performance } from 'node:perf_hooks';
import { benchTracker } from './fixture.js';

const tasks = Number(process.argv[2] ?? 300);
const { tracker, rapl } = await benchTracker();
// The sampler's part of stop(): its wait for the sample after the stop mark, timed where stop() calls it.
const sampler = tracker.sampler!;
const sampleNow = sampler.sampleNow.bind(sampler);
let waitMs = 0;
sampler.sampleNow = async (exact?: boolean): Promise<void> => {
  const t = performance.now();
  await sampleNow(exact);
  waitMs += performance.now() - t;
};
// Tasks of 20 µs of work each, ten names, run at once after ready() (the event loop does not turn before stop()).
for (let i = 0; i < tasks; i++) {
  tracker.startTask(`step-${i % 10}`);
  for (const end = performance.now() + 0.02; performance.now() < end;);
  tracker.stopTask(`step-${i % 10}`);
}
const t0 = performance.now();
await tracker.stop();
const stopMs = performance.now() - t0;
const stopWaitMs = waitMs;
const t1 = performance.now();
await sampleNow(false);
const roundTripMs = performance.now() - t1;
rapl.cleanup();
process.stdout.write(JSON.stringify({ tasks, stopMs, stopWaitMs, roundTripMs }));
