// One monotonic time base for every thread: the main thread's performance.now(), in ms; every mark
// reads it through now(), which a test may replace with a clock it drives.
import { performance } from 'node:perf_hooks';

/** A reading of both monotonic clocks taken back to back, sent to the sampler thread. */
export interface ClockPair {
  readonly hrNs: bigint;
  readonly nowMs: number;
}

/** Reads process.hrtime and performance.now together (both are CLOCK_MONOTONIC underneath). */
export function clockPair(): ClockPair {
  const nowMs = performance.now();
  const hrNs = process.hrtime.bigint();
  return { hrNs, nowMs };
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

let clock: () => number = () => performance.now();

/** The time of a mark, in the timeline's base (ms). */
export function now(): number {
  return clock();
}

/** Tests only: marks read `fn` from now on (null: performance.now() again). Not part of the package's API. */
export function setClock(fn: (() => number) | null): void {
  clock = fn ?? ((): number => performance.now());
}
