// trackEmissions: a standard (TC39) method decorator and a function wrapper; each call a tracked run.
import { isGiven } from './config/resolve.js';
import { OfflineEmissionsTracker } from './offline.js';
import { EmissionsTracker, kConcurrentTask } from './tracker.js';
import type { TrackerOptions } from './types.js';

/** Tracker options, plus how each call is tracked. */
export interface TrackEmissionsOptions extends TrackerOptions {
  /** Use OfflineEmissionsTracker (needs countryIsoCode, or cloudProvider with cloudRegion). */
  readonly offline?: boolean;
  /** Track each call as a task of this (started) tracker instead of a run of its own. */
  readonly tracker?: EmissionsTracker;
  /** Task name when `tracker` is given (default: the function's name). */
  readonly taskName?: string;
}

type AnyFn = (this: unknown, ...args: never[]) => unknown;

const isThenable = (v: unknown): v is PromiseLike<unknown> =>
  typeof v === 'object' && v !== null && typeof (v as { then?: unknown }).then === 'function';

type Step = 'next' | 'throw' | 'return';

/**
 * A generator's body runs as it is iterated, after the call that made it has returned: its work is
 * measured from that call until it is done (returned, thrown, or closed by return(), as a for-of
 * that breaks early does), through a stand-in that ends the measurement then. An async generator
 * likewise. Anything else is returned as it is, with null.
 */
function untilDone(result: unknown, end: () => void): object | null {
  const kind = Object.prototype.toString.call(result);
  if (kind !== '[object Generator]' && kind !== '[object AsyncGenerator]') return null;
  const it = result as Record<Step, (v?: unknown) => unknown>;
  let ended = false;
  const finish = (): void => {
    if (!ended) {
      ended = true;
      end();
    }
  };
  const settle = (r: unknown): unknown => {
    if ((r as IteratorResult<unknown>).done === true) finish();
    return r;
  };
  // On the generator's own prototype: what it inherits (its iterator, the iterator helpers of newer
  // Node versions, Symbol.dispose) works on the stand-in, through its own next/throw/return.
  const standIn = Object.create(Object.getPrototypeOf(result) as object) as Record<Step, unknown>;
  if (kind === '[object AsyncGenerator]') {
    const step = (m: Step) => (v?: unknown): Promise<unknown> => Promise.resolve()
      .then(() => it[m](v)).then(settle, (e: unknown) => { finish(); throw e; });
    return Object.assign(standIn, { next: step('next'), throw: step('throw'), return: step('return') });
  }
  const step = (m: Step) => (v?: unknown): unknown => {
    try {
      return settle(it[m](v));
    } catch (e) {
      finish();
      throw e;
    }
  };
  return Object.assign(standIn, { next: step('next'), throw: step('throw'), return: step('return') });
}

/**
 * Wraps `fn` so that each call is tracked. The result (or thrown error) comes back unchanged; a
 * sync function stays sync, its row written once a sample after its end exists (before exit).
 * Options are resolved once, here, so a bad option throws at wrapping time.
 */
function wrap<F extends AnyFn>(fn: F, options: TrackEmissionsOptions): F {
  const { offline, tracker: shared, taskName, ...trackerOptions } = options;
  if (shared !== undefined) {
    if (!(shared instanceof EmissionsTracker)) {
      throw new TypeError(`trackEmissions(fn, { tracker }): tracker must be an EmissionsTracker (or OfflineEmissionsTracker), got ${shared === null ? 'null' : typeof shared}`);
    }
    const given = Object.keys(trackerOptions).filter((k) => isGiven(k, (trackerOptions as Record<string, unknown>)[k]));
    if (given.length > 0 || offline !== undefined) {
      // Each call is a task of that tracker: its own options are the ones in force.
      throw new TypeError(`trackEmissions(fn, { tracker, ${[...given, ...(offline !== undefined ? ['offline'] : [])].join(', ')} }): with tracker, `
        + 'each call is a task of that tracker, whose own options apply; give these to the tracker instead (taskName is the only other option)');
    }
    const name = taskName ?? (fn.name || 'task');
    return function tracked(this: unknown, ...args: Parameters<F>): unknown {
      // Calls may overlap (an async function called again before it returned): each is a task of
      // the function's name, known by its own handle, not renamed.
      const stop = shared[kConcurrentTask](name);
      let result: unknown;
      try {
        result = fn.apply(this, args);
      } catch (e) {
        stop();
        throw e;
      }
      if (isThenable(result)) return Promise.resolve(result).finally(stop);
      const iterated = untilDone(result, () => { stop(); });
      if (iterated !== null) return iterated;
      stop();
      return result;
    } as F;
  }
  const template = offline ? new OfflineEmissionsTracker(trackerOptions) : new EmissionsTracker(trackerOptions);
  return function tracked(this: unknown, ...args: Parameters<F>): unknown {
    const tracker = template.fork();
    tracker.start();
    let result: unknown;
    try {
      result = fn.apply(this, args);
    } catch (e) {
      void tracker.stop();
      throw e;
    }
    if (isThenable(result)) return Promise.resolve(result).finally(() => tracker.stop());
    const iterated = untilDone(result, () => void tracker.stop());
    if (iterated !== null) return iterated;
    void tracker.stop();
    return result;
  } as F;
}

/**
 * The decorator `@trackEmissions(options)` returns: standard (TC39, TypeScript 5+) and legacy
 * (`experimentalDecorators`, Babel's legacy mode) method decorators alike.
 */
export interface TrackEmissionsDecorator {
  <F extends AnyFn>(method: F, context: ClassMethodDecoratorContext): F;
  (target: object, key: string | symbol, descriptor: PropertyDescriptor): void;
}

/** Wraps a function: `const f = trackEmissions(work, { projectName: 'x' })`. */
export function trackEmissions<F extends AnyFn>(fn: F, options?: TrackEmissionsOptions): F;
/** A class-method decorator: `@trackEmissions({ projectName: 'x' })`. */
export function trackEmissions(options?: TrackEmissionsOptions): TrackEmissionsDecorator;
/** Bare, as CodeCarbon's `@track_emissions`: `@trackEmissions` on a method, with the default options. */
export function trackEmissions<F extends AnyFn>(method: F, context: ClassMethodDecoratorContext): F;
export function trackEmissions(target: object, key: string | symbol, descriptor: PropertyDescriptor): void;
export function trackEmissions(first?: AnyFn | TrackEmissionsOptions | object, second?: TrackEmissionsOptions | ClassMethodDecoratorContext | string | symbol,
  third?: PropertyDescriptor): unknown {
  // Bare @trackEmissions: the decorator itself is called with the method (standard or legacy).
  const legacy = typeof first === 'object' && first !== null && (typeof second === 'string' || typeof second === 'symbol');
  if (legacy || (typeof first === 'function' && isContext(second))) {
    return (trackEmissions({}) as (a: unknown, b: unknown, c?: unknown) => unknown)(first, second, third);
  }
  if (typeof first === 'function') {
    if (second !== undefined && (typeof second !== 'object' || second === null || Array.isArray(second))) {
      throw new TypeError(`trackEmissions(fn, options): options must be an object such as { projectName: 'x' }, `
        + `got ${second === null ? 'null' : Array.isArray(second) ? 'an array' : `${typeof second} ${JSON.stringify(second)}`}`);
    }
    return wrap(first as AnyFn, (second ?? {}) as TrackEmissionsOptions);
  }
  if (first !== undefined && (typeof first !== 'object' || first === null || Array.isArray(first))) {
    throw new TypeError(`trackEmissions(fn, options) wraps a function, and @trackEmissions(options) takes an object of options; `
      + `got ${first === null ? 'null' : Array.isArray(first) ? 'an array' : typeof first} as the first argument`);
  }
  const options = (first ?? {}) as TrackEmissionsOptions;
  return (method: unknown, context: unknown, descriptor?: PropertyDescriptor): unknown => {
    if (typeof context === 'string' || typeof context === 'symbol') {
      // Legacy decorators: (prototype, name, descriptor); the descriptor's value is replaced.
      if (typeof descriptor?.value !== 'function') {
        throw new TypeError(`@trackEmissions decorates methods only; ${String(context)} is ${descriptor === undefined ? 'a field' : 'an accessor'}`);
      }
      descriptor.value = wrap(descriptor.value as AnyFn, { taskName: String(context), ...options });
      return descriptor;
    }
    const c = context as DecoratorContext;
    if (c.kind !== 'method') throw new TypeError(`@trackEmissions decorates methods only; ${String(c.name ?? 'it')} is a ${c.kind}`);
    return wrap(method as AnyFn, { taskName: String(c.name), ...options });
  };
}

/** Whether `x` is a standard decorator's context (what a bare `@trackEmissions` passes second). */
function isContext(x: unknown): x is ClassMethodDecoratorContext {
  return typeof x === 'object' && x !== null && typeof (x as { kind?: unknown }).kind === 'string'
    && typeof (x as { addInitializer?: unknown }).addInitializer === 'function';
}
