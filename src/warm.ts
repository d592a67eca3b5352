// What a tracker's construction starts in the background, so that its first start() and stop() do
// not pay for it on the caller's path (each is also done on demand if still missing then).
import { randomUUID } from 'node:crypto';
import { warmPlatform } from './machine.js';
import { warmCsv } from './output/csv.js';
import { preloadPiscina } from './sampler/pool.js';
import { preloadIntegrator } from './wasm/integrator.js';

let warmedIds = false;

export function warmInBackground(): void {
  preloadPiscina(); // a first start() finds the sampler's pool library loaded when the loop has turned since
  void warmPlatform(); // the glibc version for the records' os column, read in the background
  preloadIntegrator(); // the records' interpolation, compiled in the background
  warmCsv(); // the CSV writer's first call, made as the event loop turns
  if (!warmedIds) {
    warmedIds = true;
    setImmediate(() => {
      new Date().getTimezoneOffset(); // the rows' local timestamps: a first call loads the time zone (0.4-0.9 ms)
      randomUUID(); // the run's id: a first call fills the random cache (0.3 ms)
    }).unref();
  }
}
