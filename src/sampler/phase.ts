// What the sampler thread is doing, in two words of the boot header: a source that takes long can be
// told from one that never returns, and named, without a message from a thread that may be stuck.
// Every change of phase is a compare-and-swap from the phase the thread last set, and the main thread
// abandons a stuck thread by swapping its read phase for phaseAbandoned: exactly one of the two wins,
// so a read that returns just as it is given up never publishes into a ring a successor now writes.

/** Int32 index of the phase code in the boot header (see ring.ts's boot words). */
const kPhase = 2;
/** Float64 index of when the phase began (main thread's time base, real clock): bytes 32-39. */
const kPhaseSince = 4;

/** Between ticks, or done: nothing that could block. */
export const phaseIdle = 0;
/** Discovering RAPL zones, CPU and memory. */
export const phaseDiscover = 1;
/** Loading NVML and listing the GPUs (nvmlInit_v2, nvmlDeviceGet…). */
export const phaseNvml = 2;
/** The main thread gave this thread up while it was stuck in a read: it must not touch the ring again. */
export const phaseAbandoned = 3;
/** Reading source i: phaseRead + i. */
export const phaseRead = 10;

/** Thrown in a sampler thread that comes back from a read the main thread has given up on. */
export class AbandonedError extends Error {
  constructor() {
    super('this sampler thread was given up while it was stuck in a read; a successor writes the timeline');
  }
}

/** The sampler thread's side: marks each phase as it begins. */
export class PhaseWriter {
  readonly #code: Int32Array;
  readonly #since: Float64Array;
  #last = phaseIdle;

  constructor(header: SharedArrayBuffer, readonly realNow: () => number) {
    this.#code = new Int32Array(header);
    this.#since = new Float64Array(header);
  }

  /**
   * A phase begins now (or at `sinceMs`, for the sources of one tick).
   * @throws AbandonedError when the main thread has given this thread up.
   */
  set(code: number, sinceMs = this.realNow()): void {
    this.#since[kPhaseSince] = sinceMs;
    if (Atomics.compareExchange(this.#code, kPhase, this.#last, code) !== this.#last) throw new AbandonedError();
    this.#last = code;
  }
}

/** The main thread's side: the current phase and when it began (real clock, main's time base). */
export function readPhase(header: SharedArrayBuffer): { code: number; sinceMs: number } {
  const code = Atomics.load(new Int32Array(header), kPhase);
  return { code, sinceMs: new Float64Array(header)[kPhaseSince]! };
}

/**
 * The main thread gives up a thread stuck in phase `code`: true when it still was (the thread will
 * never publish again), false when it has moved on meanwhile (it was slow, not stuck).
 */
export function abandonPhase(header: SharedArrayBuffer, code: number): boolean {
  return Atomics.compareExchange(new Int32Array(header), kPhase, code, phaseAbandoned) === code;
}

/** The phase in words, naming the source being read from `sources` (their descriptions). */
export function describePhase(code: number, sources: readonly string[]): string {
  if (code === phaseDiscover) return 'discovering the hardware (RAPL zones, CPU, memory)';
  if (code === phaseNvml) return 'loading NVML and listing the GPUs (nvmlInit_v2, nvmlDeviceGet…)';
  if (code >= phaseRead) return `reading ${sources[code - phaseRead] ?? `source ${code - phaseRead}`}`;
  return 'between readings';
}
