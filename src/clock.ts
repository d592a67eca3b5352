// One monotonic time base for every thread: the main thread's performance.now(), in ms.
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
