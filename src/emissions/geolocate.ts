// One location lookup and one cloud detection per process and set of services, shared by every online
// tracker: the answer, or the failure, is kept for the process, and waiting for it is bounded.
import { detectCloud, type CloudDetectOptions, type CloudLocation } from './cloud.js';
import { locate, type GeoLocation, type LocateOptions } from './location.js';

/**
 * Past a lookup's own time-out, how long its answer or failure is still waited for: both timers are
 * due together, and on a busy machine the lookup's may fire a little after the window's.
 */
const graceMs = 250;

/** A lookup shared by the process: asked once; its answer, or its failure, kept for the process. */
export class Lookup<R> {
  #result: R | undefined = undefined;
  /** Resolves once the answer is in or the waiting window has closed, whichever comes first. */
  readonly waited: Promise<void>;
  /** Whether a tracker has said that this lookup failed or is late (said once per process). */
  told = false;

  constructor(answer: Promise<R>, readonly windowMs: number) {
    let timer: NodeJS.Timeout | undefined;
    // Kept alive on purpose: a stop() waiting for the answer holds the process for this long at most.
    const closed = new Promise<void>((r) => { timer = setTimeout(r, windowMs); });
    const settled = answer.then((r) => { this.#result = r; }, () => undefined);
    this.waited = Promise.race([settled, closed]).finally(() => clearTimeout(timer));
  }

  /** The answer, or undefined while it is being asked. */
  get result(): R | undefined {
    return this.#result;
  }
}

/** `run` once per key (the options) for the whole process, failures included. */
function shared<O, R>(run: (o: O) => Promise<R>, timeoutMs: (o: O) => number): (o: O) => Lookup<R> {
  const asked = new Map<string, Lookup<R>>();
  return (o) => {
    const key = JSON.stringify(o);
    let lookup = asked.get(key);
    if (lookup === undefined) {
      lookup = new Lookup(run(o), timeoutMs(o) + graceMs);
      asked.set(key, lookup);
    }
    return lookup;
  };
}

/** What locate() found. */
export type Located = { location: GeoLocation | null; failures: string[] };

/**
 * locate(), once per process for the same services. Waiting is bounded by one request's time-out
 * (plus a grace): a retry or the fallback service answers later rows, not the ones being written.
 */
export const geolocate: (o: LocateOptions) => Lookup<Located> = shared((o: LocateOptions) => locate(o), (o) => o.timeoutMs ?? 2000);

/** What detectCloud() found. */
export type CloudFound = { cloud: CloudLocation | null; failures: string[] };

/** detectCloud(), once per process for the same options; its providers are asked in parallel, so one time-out bounds it. */
export const detectCloudOnce: (o: CloudDetectOptions) => Lookup<CloudFound> = shared((o: CloudDetectOptions) => detectCloud(o), (o) => o.timeoutMs ?? 1000);
