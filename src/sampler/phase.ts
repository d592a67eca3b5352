// What the sampler thread is doing, in two words of the boot header: a source that takes long can be
// told from one that never returns, and named, without a message from a thread that may be stuck.

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
/** Reading source i: phaseRead + i. */
export const phaseRead = 10;

/** The sampler thread's side: marks each phase as it begins. */
export class PhaseWriter {
  readonly #code: Int32Array;
  readonly #since: Float64Array;

  constructor(header: SharedArrayBuffer, readonly realNow: () => number) {
    this.#code = new Int32Array(header);
    this.#since = new Float64Array(header);
  }

  /** A phase begins now (or at `sinceMs`, for the sources of one tick). */
  set(code: number, sinceMs = this.realNow()): void {
    this.#since[kPhaseSince] = sinceMs;
    Atomics.store(this.#code, kPhase, code);
  }
}

/** The main thread's side: the current phase and when it began (real clock, main's time base). */
export function readPhase(header: SharedArrayBuffer): { code: number; sinceMs: number } {
  const code = Atomics.load(new Int32Array(header), kPhase);
  return { code, sinceMs: new Float64Array(header)[kPhaseSince]! };
}

/** The phase in words, naming the source being read from `sources` (their descriptions). */
export function describePhase(code: number, sources: readonly string[]): string {
  if (code === phaseDiscover) return 'discovering the hardware (RAPL zones, CPU, memory)';
  if (code === phaseNvml) return 'loading NVML and listing the GPUs (nvmlInit_v2, nvmlDeviceGet…)';
  if (code >= phaseRead) return `reading ${sources[code - phaseRead] ?? `source ${code - phaseRead}`}`;
  return 'between readings';
}
