// One monotonic time base for every thread, in ms: process.hrtime() (CLOCK_MONOTONIC, shared by
// every thread of the process) from an origin set once, where it reads as the main thread's
// performance.now(); every mark reads it through now(), which a test may replace with a clock it drives.
import { performance } from 'node:perf_hooks';

/** A reading of the shared clock in both forms, sent to the sampler thread. */
export interface ClockPair {
  readonly hrNs: bigint;
  readonly nowMs: number;
}

// Taken once, before anyone can replace it (a fake-timers library): marks keep real time.
const hrtime = process.hrtime;

/** process.hrtime() in ms. Cheaper than performance.now() (38 against 46 ns here: no brand check of its receiver). */
function hrMs(): number {
  const h = hrtime();
  return h[0] * 1000 + h[1] / 1e6;
}

/**
 * hrMs() at the main thread's performance.now() origin, from the tightest of a few readings of
 * both: a thread preempted between two reads would otherwise move the origin by a scheduler slice.
 */
function originMs(): number {
  let best = 0;
  let bestGap = Infinity;
  for (let i = 0; i < 8; i++) {
    const before = hrMs();
    const perf = performance.now();
    const after = hrMs();
    if (after - before < bestGap) {
      bestGap = after - before;
      best = (before + after) / 2 - perf;
    }
  }
  return best;
}

const zeroMs = originMs();

/** The time in the shared base, ms (what now() reads unless a test replaced it). */
function sharedNow(): number {
  return hrMs() - zeroMs;
}

/** One reading of the shared clock in both forms: exactly the same instant, nothing to align. */
export function clockPair(): ClockPair {
  const h = hrtime();
  return { hrNs: BigInt(h[0]) * 1_000_000_000n + BigInt(h[1]), nowMs: h[0] * 1000 + h[1] / 1e6 - zeroMs };
}

/**
 * A clock for another thread that reads in the main thread's base. Each thread's performance.now()
 * counts from its own origin; process.hrtime() is one clock for every thread of the process, so
 * the main thread's pair gives the base exactly.
 */
export function alignedClock(main: ClockPair): () => number {
  const zero = Number(main.hrNs) / 1e6 - main.nowMs;
  return () => hrMs() - zero;
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
export let now: () => number = sharedNow;

/** Tests only: marks read `fn` from now on (null: the shared clock again). Not part of the package's API. */
export function setClock(fn: (() => number) | null): void {
  now = fn ?? sharedNow;
}
