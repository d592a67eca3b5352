// One monotonic time base for every thread: the main thread's performance.now(), in ms; every mark
// reads it through now(), which a test may replace with a clock it drives.
import { performance } from 'node:perf_hooks';

/** A reading of both monotonic clocks taken back to back, sent to the sampler thread. */
export interface ClockPair {
  readonly hrNs: bigint;
  readonly nowMs: number;
}

/**
 * Reads performance.now between two process.hrtime readings (all CLOCK_MONOTONIC underneath), and
 * keeps the tightest of a few tries: a thread preempted between two reads would otherwise put the
 * threads' time bases a scheduler slice apart, and marks on the wrong side of a sample.
 */
export function clockPair(): ClockPair {
  let best: ClockPair = { hrNs: 0n, nowMs: 0 };
  let bestGap = Infinity;
  for (let i = 0; i < 8; i++) {
    const before = process.hrtime.bigint();
    const nowMs = performance.now();
    const after = process.hrtime.bigint();
    const gap = Number(after - before);
    if (gap < bestGap) {
      bestGap = gap;
      best = { hrNs: before + (after - before) / 2n, nowMs };
    }
  }
  return best;
}

/**
 * A clock for another thread that reads in the main thread's base. Each thread's performance.now()
 * counts from its own timeOrigin, and timeOrigin is a wall-clock reading, so the offset is
 * measured through hrtime, which every thread of a process shares.
 */
export function alignedClock(main: ClockPair): () => number {
  const here = clockPair();
  const offsetMs = main.nowMs + Number(here.hrNs - main.hrNs) / 1e6 - here.nowMs;
  return () => performance.now() + offsetMs;
}

/** A clock a test drives: the time (ms) is the first f64 of a shared buffer, for every thread. */
export function scriptedClock(buffer: SharedArrayBuffer): () => number {
  const time = new Float64Array(buffer, 0, 1);
  return () => time[0]!;
}

/**
 * The time of a mark, in the timeline's base (ms). A binding of its own, reassigned by setClock():
 * a wrapper calling a variable clock cost the hot loop 4 % (V8 inlines this one).
 */
export let now: () => number = () => performance.now();

/** Tests only: marks read `fn` from now on (null: performance.now() again). Not part of the package's API. */
export function setClock(fn: (() => number) | null): void {
  now = fn ?? ((): number => performance.now());
}
