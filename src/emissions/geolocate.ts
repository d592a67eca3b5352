// One location lookup and one cloud detection per process and set of services, shared by every online
// tracker: the answer, or the failure, is kept for the process, and waiting for it is bounded.
import { detectCloud, type CloudDetectOptions, type CloudLocation } from './cloud.js';
import { locate, type GeoLocation, type LocateOptions } from './location.js';

/**
 * Past a lookup's own time-out, how long its answer or failure is still waited for: both timers are
 * due together, and on a busy machine the lookup's may fire a little after the window's.
 */
export const graceMs = 250;

/**
 * `answer`'s value, or undefined once `windowMs` have passed without it. The process is kept alive
 * until then (unless `holds` is false): a caller awaiting an answer whose socket does not hold the
 * process would otherwise see its program end under it, the await never settled.
 */
export function within<R>(answer: Promise<R>, windowMs: number, holds = true): Promise<R | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const closed = new Promise<undefined>((r) => {
    timer = setTimeout(r, windowMs, undefined);
    if (!holds) timer.unref();
  });
  return Promise.race([answer, closed]).finally(() => clearTimeout(timer));
}

/**
 * `p`, with the process kept alive until it settles: for an await on a promise that nothing else
 * holds the process for (a lookup's window), which must settle, not vanish with the program.
 */
export function holding<R>(p: Promise<R>): Promise<R> {
  const keep = setInterval(() => {}, 1 << 30);
  return p.finally(() => clearInterval(keep));
}

/** A lookup shared by the process: asked once; its answer, or its failure, kept for the process. */
export class Lookup<R> {
  #result: R | undefined = undefined;
  /** Resolves once the answer is in or the waiting window has closed, whichever comes first. */
  readonly waited: Promise<void>;
  /** Whether a tracker has said that this lookup failed or is late (said once per process). */
  told = false;

  constructor(answer: Promise<R>, readonly windowMs: number) {
    // Not holding the process: a program that ends (or discards its tracker) with nobody waiting
    // for the answer exits then; a stop() or flush() holds it while it waits (holding()).
    this.waited = within(answer.then((r) => { this.#result = r; }, () => undefined), windowMs, false).then(() => undefined);
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
