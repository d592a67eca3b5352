// The only user of WebAssembly: loads assembly/ once, synchronously, and gives it a typed facade.
// node:fs/promises would cost a sampler thread's start 1-2 ms to load (it is not in a thread's
// start-up snapshot): the callback readFile() of node:fs, already loaded, reads in the background.
import { readFile, readFileSync } from 'node:fs';

/** How a channel's raw readings turn into energy. */
export type ChannelKind = 'counter' | 'power' | 'mean-power';

/** Why a reading was refused. */
export type RejectReason = 'reset' | 'out-of-range' | 'implausible' | 'invalid-power';

/** What the integrator must know of one channel. */
export interface ChannelSpec {
  readonly kind: ChannelKind;
  /** µJ per counter unit (1 for RAPL's µJ, 1000 for NVML's mJ); counters only. */
  readonly scaleUj?: number;
  /** Counter wrap range in counter units; 0n when unknown (a decrease is then refused). */
  readonly maxRange?: bigint;
  /** The most power the channel can plausibly draw, in W: more energy than this is refused. */
  readonly maxPowerW: number;
}

/** Refusals and suspicious intervals seen on one channel so far. */
export interface ChannelHealth {
  readonly rejected: number;
  readonly lastError: RejectReason | null;
  /** Intervals long enough that a second wrap could hide in them. */
  readonly longGaps: number;
}

/** Whether typed arrays store numbers least significant byte first, as WebAssembly memory does. */
const littleEndian = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** Turns per-tick raw readings into cumulative energy per channel (µJ). */
export interface EnergyIntegrator {
  readonly size: number;
  /** Cumulative energy per channel in µJ, updated by step(). */
  readonly totalsUj: Float64Array;
  /** A counter reading: a bigint, or a number when it is an integer below 2^53 (as a decimal file's read without a string). */
  setCounter(channel: number, value: bigint | number): void;
  setPower(channel: number, watts: number): void;
  /** Integrates the readings set since the last step at time `tMs`; returns how many were refused. */
  step(tMs: number): number;
  health(channel: number): ChannelHealth;
  /** A power channel's first reading will hold back to `tMs` (it could not be read then): an extrapolation. */
  setOrigin(channel: number, tMs: number): void;
  /** Whether the channel has had a valid reading (its energy counts from there). */
  hasReading(channel: number): boolean;
  /** Time of the channel's last valid reading (a refused counter reading counts: the next delta starts there); NaN before the first. */
  lastReadingMs(channel: number): number;
  /** The channel's next reading becomes a fresh baseline: nothing between its last reading and that one is counted. */
  rebase(channel: number): void;
  /** Refused readings plus long gaps so far on `channel`: changes whenever health() would (no object made). */
  healthStamp(channel: number): number;
}

// Mirrors assembly/layout.ts.
const kStateBytes = 96;
const kKind = 0;
const kHasLast = 4;
const kScaleUj = 8;
const kMaxRange = 16;
const kMaxPowerW = 24;
const kLastTimeMs = 40;
const kRejected = 64;
const kLastError = 68;
const kLongGaps = 72;
const kOriginMs = 80;
const kindCodes: Record<ChannelKind, number> = { counter: 0, power: 1, 'mean-power': 2 };
const reasons: (RejectReason | null)[] = [null, 'reset', 'out-of-range', 'implausible', 'invalid-power'];

interface IntegratorExports {
  memory: WebAssembly.Memory;
  heapBase(): number;
  counterDelta(prev: bigint, cur: bigint, maxRange: bigint): bigint;
  step(state: number, n: number, raw: number, ok: number, tMs: number, totals: number): number;
  interpolate(slots: number, nSlots: number, stride: number, k: number,
    queries: number, nq: number, out: number, floors: number, extendHead: number): number;
  reconcile(slots: number, nSlots: number, stride: number, k: number, ch: number, aux: number,
    queries: number, nq: number, out: number, floors: number, next: number): number;
  sumRuns(slots: number, nSlots: number, stride: number, k: number, times: number, nPairs: number, runStarts: number, nRuns: number,
    originMs: number, settledMs: number, extendHead: number, outEnergy: number, outDuration: number, outFinal: number): void;
}

/** A hybrid channel: its column (integrated power) and the column of C, followed by Pa and tA (sampler/layout.ts). */
export interface HybridColumns {
  readonly ch: number;
  readonly c: number;
}

/** Which build of assembly/ to load: release for use, debug (asserts on) for tests. */
export type WasmBuild = 'release' | 'debug';

const modules = new Map<WasmBuild, WebAssembly.Module>();
const moduleUrl = (build: WasmBuild): URL => new URL(`../../../build/${build}.wasm`, import.meta.url);
let compiling: Promise<void> | null = null;

/**
 * Compiles the release module in the background (compiled off this thread): the first record of a
 * process then does not compile it on its path (about 1 ms of a first stop(), profiled). Its bytes
 * are read by the thread pool, or here with `readNow` (a sampler thread, whose discovery runs
 * synchronously meanwhile: the compile starts at once and overlaps it). A failure is left to the
 * synchronous load, which says it where it matters. Resolves when it is done (or failed).
 */
export function preloadIntegrator(readNow = false): Promise<void> {
  // WebAssembly.compile(), which the compiler's lib here does not declare.
  const { compile } = WebAssembly as unknown as { compile(bytes: Uint8Array): Promise<WebAssembly.Module> };
  const compiled = (): Promise<WebAssembly.Module> => {
    if (!readNow) {
      return new Promise<Uint8Array>((resolve, reject) => readFile(moduleUrl('release'), (e, bytes) => (e ? reject(e) : resolve(bytes))))
        .then((bytes) => compile(bytes));
    }
    try {
      return compile(readFileSync(moduleUrl('release')));
    } catch (e) {
      return Promise.reject(e);
    }
  };
  compiling ??= compiled().then((mod) => {
    if (!modules.has('release')) modules.set('release', mod);
  }, () => {});
  return compiling;
}

function instantiate(build: WasmBuild): IntegratorExports {
  let mod = modules.get(build);
  if (mod === undefined) {
    mod = new WebAssembly.Module(readFileSync(moduleUrl(build)));
    modules.set(build, mod);
  }
  const abort = (): never => {
    throw new Error('integrator assertion failed');
  };
  return new WebAssembly.Instance(mod, { env: { abort } }).exports as unknown as IntegratorExports;
}

function reserve(wasm: IntegratorExports, bytes: number): number {
  const base = wasm.heapBase();
  const need = base + bytes - wasm.memory.buffer.byteLength;
  if (need > 0) wasm.memory.grow(Math.ceil(need / 65536));
  return base;
}

const align8 = (n: number): number => (n + 7) & ~7;

class WasmIntegrator implements EnergyIntegrator {
  readonly size: number;
  readonly totalsUj: Float64Array;
  readonly #wasm: IntegratorExports;
  readonly #state: number;
  readonly #raw: number;
  readonly #ok: number;
  readonly #totals: number;
  readonly #counters: BigUint64Array;
  readonly #powers: Float64Array;
  readonly #okFlags: Uint8Array;
  /** The counters' slots as 32-bit words, low word first (null on a big-endian machine, whose typed arrays are not the module's order). */
  readonly #words: Uint32Array | null;
  readonly #view: DataView;

  constructor(specs: readonly ChannelSpec[], build: WasmBuild) {
    const n = specs.length;
    this.size = n;
    this.#wasm = instantiate(build);
    this.#state = reserve(this.#wasm, n * kStateBytes + n * 16 + align8(n));
    this.#raw = this.#state + n * kStateBytes;
    this.#ok = this.#raw + n * 8;
    this.#totals = this.#ok + align8(n);
    const buf = this.#wasm.memory.buffer;
    this.#counters = new BigUint64Array(buf, this.#raw, n);
    this.#words = littleEndian ? new Uint32Array(buf, this.#raw, 2 * n) : null;
    this.#powers = new Float64Array(buf, this.#raw, n);
    this.#okFlags = new Uint8Array(buf, this.#ok, n);
    this.totalsUj = new Float64Array(buf, this.#totals, n);
    this.#view = new DataView(buf);
    specs.forEach((spec, i) => {
      const s = this.#state + i * kStateBytes;
      this.#view.setInt32(s + kKind, kindCodes[spec.kind], true);
      this.#view.setBigUint64(s + kScaleUj, BigInt(spec.scaleUj ?? 1), true);
      this.#view.setBigUint64(s + kMaxRange, spec.maxRange ?? 0n, true);
      this.#view.setFloat64(s + kMaxPowerW, spec.maxPowerW, true);
      this.#view.setFloat64(s + kOriginMs, Number.NaN, true);
    });
  }

  setCounter(channel: number, value: bigint | number): void {
    const words = this.#words;
    // A number as two 32-bit words: a BigInt made per reading was 3 % of a 10 Hz sampler's CPU (and garbage).
    if (typeof value === 'number' && words !== null) {
      words[2 * channel] = value % 4294967296;
      words[2 * channel + 1] = Math.floor(value / 4294967296);
    } else {
      this.#counters[channel] = BigInt(value);
    }
    this.#okFlags[channel] = 1;
  }

  setPower(channel: number, watts: number): void {
    this.#powers[channel] = watts;
    this.#okFlags[channel] = 1;
  }

  step(tMs: number): number {
    const refused = this.#wasm.step(this.#state, this.size, this.#raw, this.#ok, tMs, this.#totals);
    this.#okFlags.fill(0);
    return refused;
  }

  setOrigin(channel: number, tMs: number): void {
    this.#view.setFloat64(this.#state + channel * kStateBytes + kOriginMs, tMs, true);
  }

  hasReading(channel: number): boolean {
    return this.#view.getInt32(this.#state + channel * kStateBytes + kHasLast, true) !== 0;
  }

  lastReadingMs(channel: number): number {
    return this.hasReading(channel) ? this.#view.getFloat64(this.#state + channel * kStateBytes + kLastTimeMs, true) : Number.NaN;
  }

  rebase(channel: number): void {
    this.#view.setInt32(this.#state + channel * kStateBytes + kHasLast, 0, true);
    this.#view.setFloat64(this.#state + channel * kStateBytes + kOriginMs, Number.NaN, true);
  }

  healthStamp(channel: number): number {
    const s = this.#state + channel * kStateBytes;
    return this.#view.getInt32(s + kRejected, true) + this.#view.getInt32(s + kLongGaps, true);
  }

  health(channel: number): ChannelHealth {
    const s = this.#state + channel * kStateBytes;
    return {
      rejected: this.#view.getInt32(s + kRejected, true),
      lastError: reasons[this.#view.getInt32(s + kLastError, true)] ?? null,
      longGaps: this.#view.getInt32(s + kLongGaps, true),
    };
  }
}

/** An integrator backed by the WebAssembly module. */
export function createIntegrator(specs: readonly ChannelSpec[], build: WasmBuild = 'release'): EnergyIntegrator {
  return new WasmIntegrator(specs, build);
}

/** Counter delta with one wrap at maxRange, or a negative code (-1 reset, -2 out of range, -3 implausible). */
export function counterDelta(prev: bigint, cur: bigint, maxRange: bigint, build: WasmBuild = 'release'): bigint {
  return wasmFor(build).counterDelta(prev, cur, maxRange);
}

const interpolateChunk = 4096;
const sharedInstances = new Map<WasmBuild, IntegratorExports>();

function wasmFor(build: WasmBuild): IntegratorExports {
  let wasm = sharedInstances.get(build);
  if (wasm === undefined) {
    wasm = instantiate(build);
    sharedInstances.set(build, wasm);
  }
  return wasm;
}

/** How interpolate() reads its slots. */
export interface InterpolateOptions {
  readonly build?: WasmBuild;
  /** f64 per slot (default k + 1). */
  readonly stride?: number;
  /** Hybrid channels to reconcile with their counter columns. */
  readonly hybrids?: readonly HybridColumns[];
  /** The slots start at the very first sample: a query before it extrapolates the first interval's slope. */
  readonly extendHead?: boolean;
  /** Queries to read (default all of `queries`). */
  readonly count?: number;
}

/**
 * Cumulative values of the first `k` columns at each query time, by linear interpolation over
 * slots laid out `[tMs, v0 … v(k-1), …]` (`stride` f64 each), sorted by time. Writes k values per
 * query into `out`; a query outside the slots takes the nearest slot (or, with `extendHead`, one
 * before the first continues its slope). Hybrid channels are then reconciled with their counter
 * columns (assembly/reconcile.ts). Returns how many queries fell outside the slots.
 */
export function interpolate(slots: Float64Array, nSlots: number, k: number, queries: Float64Array, out: Float64Array,
  o: InterpolateOptions = {}): number {
  const wasm = wasmFor(o.build ?? 'release');
  const stride = o.stride ?? k + 1;
  const hybrids = o.hybrids ?? [];
  const nq = o.count ?? queries.length;
  const slotBytes = nSlots * stride * 8;
  const nextBytes = hybrids.length > 0 ? align8(nSlots * 4) + align8(interpolateChunk * 4) : 0;
  const base = reserve(wasm, slotBytes + nextBytes + nq * 8 + nq * k * 8);
  const mem = wasm.memory.buffer;
  new Float64Array(mem, base, nSlots * stride).set(slots.subarray(0, nSlots * stride));
  const next = base + slotBytes;
  const floors = hybrids.length > 0 ? next + align8(nSlots * 4) : 0;
  const queriesPtr = base + slotBytes + nextBytes;
  new Float64Array(mem, queriesPtr, nq).set(queries.subarray(0, nq));
  const outPtr = queriesPtr + nq * 8;
  const extend = o.extendHead ? 1 : 0;
  // In chunks: V8 runs a long WebAssembly call to its end in the baseline tier it started in;
  // short calls let the optimised code, compiled in the background, take over.
  let clamped = 0;
  for (let from = 0; from < nq; from += interpolateChunk) {
    const n = Math.min(interpolateChunk, nq - from);
    clamped += wasm.interpolate(base, nSlots, stride, k, queriesPtr + from * 8, n, outPtr + from * k * 8, floors, extend);
    for (const h of hybrids) wasm.reconcile(base, nSlots, stride, k, h.ch, h.c, queriesPtr + from * 8, n, outPtr + from * k * 8, floors, next);
  }
  out.set(new Float64Array(mem, outPtr, nq * k));
  return clamped;
}

/** Per run of intervals: the energy per channel (k each), the duration and whether all are final (1 or 0). */
export interface RunSums {
  readonly energyUj: Float64Array;
  readonly durationMs: Float64Array;
  readonly final: Uint8Array;
}

/** How sumRuns() reads its slots and marks. */
export interface SumRunsOptions {
  readonly build?: WasmBuild;
  /** f64 per slot (default k + 1). */
  readonly stride?: number;
  readonly extendHead?: boolean;
  /** Where every channel's cumulative value is 0 (the run's origin). */
  readonly originMs: number;
  /** Intervals that end by this time are final. */
  readonly settledMs: number;
}

/**
 * What a fold keeps of `count` intervals ([start, end] pairs in `times`) in runs (run r from
 * `runStarts[r]` to the next run's start): their energies summed per channel, as interpolate()
 * would give each end (a value at `originMs` is 0; each interval's energy at least 0), their
 * durations, and whether all end by `settledMs`; into `out`, run by run (set, not added to). No
 * hybrid channel: their values need reconciling, which is interpolate()'s.
 */
export function sumRuns(slots: Float64Array, nSlots: number, k: number, times: Float64Array, count: number, runStarts: Int32Array,
  out: RunSums, o: SumRunsOptions): void {
  const wasm = wasmFor(o.build ?? 'release');
  const stride = o.stride ?? k + 1;
  const nRuns = runStarts.length;
  const slotBytes = nSlots * stride * 8;
  const timesBytes = count * 16;
  const startsBytes = align8(nRuns * 4);
  const base = reserve(wasm, slotBytes + timesBytes + startsBytes + nRuns * k * 8 + nRuns * 8 + nRuns * 4);
  const mem = wasm.memory.buffer;
  new Float64Array(mem, base, nSlots * stride).set(slots.subarray(0, nSlots * stride));
  const timesPtr = base + slotBytes;
  new Float64Array(mem, timesPtr, 2 * count).set(times.subarray(0, 2 * count));
  const startsPtr = timesPtr + timesBytes;
  const starts = new Int32Array(mem, startsPtr, nRuns);
  const energyPtr = startsPtr + startsBytes;
  const durationPtr = energyPtr + nRuns * k * 8;
  const finalPtr = durationPtr + nRuns * 8;
  new Float64Array(mem, energyPtr, nRuns * k + nRuns).fill(0);
  new Int32Array(mem, finalPtr, nRuns).fill(1);
  // In chunks of pairs, each with the runs it holds (their starts from the chunk's): V8 runs a long
  // WebAssembly call to its end in the tier it started in, and a fold is one call per 65,536 tasks.
  let r0 = 0;
  for (let from = 0; from < count; from += interpolateChunk) {
    const to = Math.min(count, from + interpolateChunk);
    while (r0 + 1 < nRuns && runStarts[r0 + 1]! <= from) r0++;
    let r1 = r0 + 1;
    while (r1 < nRuns && runStarts[r1]! < to) r1++;
    for (let r = r0; r < r1; r++) starts[r - r0] = Math.max(0, runStarts[r]! - from);
    wasm.sumRuns(base, nSlots, stride, k, timesPtr + from * 16, to - from, startsPtr, r1 - r0, o.originMs, o.settledMs,
      o.extendHead ? 1 : 0, energyPtr + r0 * k * 8, durationPtr + r0 * 8, finalPtr + r0 * 4);
  }
  out.energyUj.set(new Float64Array(mem, energyPtr, nRuns * k));
  out.durationMs.set(new Float64Array(mem, durationPtr, nRuns));
  const final = new Int32Array(mem, finalPtr, nRuns);
  for (let r = 0; r < nRuns; r++) out.final[r] = final[r]!;
}
