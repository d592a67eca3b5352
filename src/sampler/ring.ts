// The shared timeline: a ring of samples (time + cumulative µJ per channel) in a SharedArrayBuffer.

// Control words (Int32 indices). Words the main thread writes and words the sampler writes sit
// on separate 64-byte lines, so neither side's stores invalidate the other's cache line.
/** Main → sampler: bumped to wake the sampler (sample now, or stop). */
export const kWake = 0;
/** Main → sampler: 1 asks the sampler to stop. */
export const kStop = 1;
/** Main → sampler: 1 asks the next tick to read the slow counters too (exact totals for a stop). */
export const kExact = 2;
/**
 * Main → sampler: set to 1 (a plain store, no wake) by a tracker's start(); the sampler reads and
 * clears it at each tick, and keeps (or goes back to) its full rate for it. Marks do not set it.
 */
export const kActive = 3;
/** Main → sampler: how many holders want the full rate whatever the process does (an attached benchmark harness). */
export const kHold = 4;
/**
 * Main → sampler: how many of the wakes counted in kWake only ask for task slots to be made ready
 * (ring.nudge()), not for a sample; the sampler takes and clears it. Counted in kWake too, so that
 * one that comes while the sampler runs ends its next wait (a bare notify would be lost then).
 */
export const kNudges = 5;
/** Sampler → main: number of samples published so far. */
export const kPublished = 16;
/** Sampler → main: one of the kState* values. */
export const kState = 17;
/**
 * Sampler → main: the wake count the sampler had read before it took the sample it has just
 * published (stored after kPublished). A caller that woke it (count w) knows a sample taken after
 * its wake is published, and readable, once this reaches w: no comparison of clocks across threads.
 */
export const kServed = 18;
/** Sampler → main: the period in force, ms (the full rate while the process is active, longer while idle). */
export const kPeriodMs = 19;
/** Sampler → main: the longest time between two consecutive samples so far, ms (rounded up). */
export const kMaxSpacingMs = 20;
/**
 * Sampler → main, f64 (over control ints 24-25): from when every channel that has read has
 * readings. Later than the origin for a source that could not be read at the start mark (a GPU,
 * whose head is extrapolated); NaN before the first tick.
 */
const kMeasuredFromF64 = 12;
const kControlInts = 32;

export const kStateRunning = 1;
export const kStateStopped = 2;
export const kStateCrashed = 3;

// Boot words, in a small buffer the main thread makes before the sampler thread (and its ring) exist.
/** Sampler → main: kBootStarting, then kBootStarted (the StartResult is posted) or kBootFailed. */
export const kBootState = 0;
/** Claimed by the first thread that boots: a replacement thread piscina may start does not sample twice. */
export const kBootOwner = 1;
/**
 * Main → sampler: the start mark, read on the calling thread after the thread was set going, is in
 * BootData.markBuffer (kMarkWritten), or could not be given (kMarkFailed). The thread posts nothing
 * before: the calling thread's channels exist by then.
 */
export const kBootMark = 3; // word 2 and bytes 32-39 are the phase (phase.ts)
export const kMarkPending = 0;
export const kMarkWritten = 1;
export const kMarkFailed = 2;
export const kBootInts = 16;
export const kBootStarting = 0;
export const kBootStarted = 1;
export const kBootFailed = 2;

/**
 * Anchor states: a mark the sampler settles itself, so that it survives the ring's overwrite. An
 * anchor's word holds its state in the low two bits and, above them, the number of its request:
 * a settlement the sampler began for an earlier request (released and asked again meanwhile) does
 * not pass for the new one's.
 */
export const kAnchorFree = 0;
export const kAnchorRequested = 1;
export const kAnchorSettled = 2;
const kAnchorStateBits = 3;

const seqMod = 0x7fffffff;

/** Sizes that both sides derive the layout from. */
export interface RingShape {
  readonly capacity: number;
  readonly channels: number;
  readonly anchors: number;
}

class RingViews {
  readonly control: Int32Array;
  readonly controlF64: Float64Array;
  readonly seq: Int32Array;
  readonly data: Float64Array;
  readonly anchorState: Int32Array;
  readonly anchorData: Float64Array;
  /** Sampler → main: per channel, the time of its last valid reading (NaN before the first). */
  readonly lastReading: Float64Array;
  readonly stride: number;

  constructor(readonly buffer: SharedArrayBuffer, readonly shape: RingShape) {
    const { capacity, channels, anchors } = shape;
    this.stride = channels + 1;
    let offset = 0;
    const take = (bytes: number): number => {
      const at = offset;
      offset = (offset + bytes + 63) & ~63;
      return at;
    };
    const control = take(kControlInts * 4);
    this.control = new Int32Array(buffer, control, kControlInts);
    this.controlF64 = new Float64Array(buffer, control, kControlInts / 2);
    this.seq = new Int32Array(buffer, take(capacity * 4), capacity);
    this.data = new Float64Array(buffer, take(capacity * this.stride * 8), capacity * this.stride);
    this.anchorState = new Int32Array(buffer, take(anchors * 4), anchors);
    this.anchorData = new Float64Array(buffer, take(anchors * this.stride * 8), anchors * this.stride);
    this.lastReading = new Float64Array(buffer, take(channels * 8), channels);
  }

  static bytes(shape: RingShape): number {
    const line = (n: number): number => (n + 63) & ~63;
    const stride = shape.channels + 1;
    return line(kControlInts * 4) + line(shape.capacity * 4) + line(shape.capacity * stride * 8)
      + line(shape.anchors * 4) + line(shape.anchors * stride * 8) + line(shape.channels * 8);
  }
}

/** Reads the ring from any thread without ever blocking the writer. */
export class RingReader extends RingViews {
  /** Samples published so far (the newest is published() - 1). */
  published(): number {
    return Atomics.load(this.control, kPublished);
  }

  state(): number {
    return Atomics.load(this.control, kState);
  }

  /** Oldest sample index still in the ring (one slot may be under rewrite). */
  oldest(): number {
    return Math.max(0, this.published() - this.shape.capacity + 1);
  }

  /**
   * Copies sample `index` (time then channel values) into `out` at `at`. Returns false when the
   * slot no longer holds that sample, or was overwritten while it was copied.
   */
  read(index: number, out: Float64Array, at = 0): boolean {
    const slot = index % this.shape.capacity;
    const expect = index % seqMod;
    if (Atomics.load(this.seq, slot) !== expect) return false;
    const from = slot * this.stride;
    out.set(this.data.subarray(from, from + this.stride), at);
    return Atomics.load(this.seq, slot) === expect;
  }

  /** Time of sample `index`, or NaN when it is gone. */
  timeOf(index: number): number {
    const slot = index % this.shape.capacity;
    const expect = index % seqMod;
    if (Atomics.load(this.seq, slot) !== expect) return Number.NaN;
    const t = this.data[slot * this.stride]!;
    return Atomics.load(this.seq, slot) === expect ? t : Number.NaN;
  }

  /** Index of the last sample at or before `tMs` within [lo, hi], or lo - 1 when none is. */
  floorIndex(tMs: number, lo: number, hi: number): number {
    let found = lo - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const t = this.timeOf(mid);
      if (Number.isNaN(t)) { lo = mid + 1; continue; }
      if (t <= tMs) { found = mid; lo = mid + 1; } else hi = mid - 1;
    }
    return found;
  }

  /**
   * Anchor `a`'s settled values (time, then channels) into `out`, or false while the request
   * `ticket` (from requestAnchor()) is pending.
   */
  readAnchor(a: number, ticket: number, out: Float64Array): boolean {
    if (Atomics.load(this.anchorState, a) !== ((ticket & ~kAnchorStateBits) | kAnchorSettled)) return false;
    out.set(this.anchorData.subarray(a * this.stride, (a + 1) * this.stride));
    return true;
  }

  /** Asks the sampler to settle the cumulative values at `tMs` into anchor `a`; returns the request's ticket. */
  requestAnchor(a: number, tMs: number): number {
    // The reading thread alone makes requests: the count needs no read-modify-write.
    const count = ((Atomics.load(this.anchorState, a) >>> 2) + 1) & 0x1fffffff;
    const ticket = (count << 2) | kAnchorRequested;
    this.anchorData[a * this.stride] = tMs;
    Atomics.store(this.anchorState, a, ticket);
    return ticket;
  }

  releaseAnchor(a: number): void {
    Atomics.store(this.anchorState, a, (Atomics.load(this.anchorState, a) & ~kAnchorStateBits) | kAnchorFree);
  }

  /**
   * Wakes the sampler; with `stop`, asks it to stop; with `exact`, to read the slow counters.
   * Returns this wake's count: a sample taken after it is published once served() reaches it.
   */
  wake(stop = false, exact = false): number {
    if (stop) Atomics.store(this.control, kStop, 1);
    if (exact) Atomics.store(this.control, kExact, 1);
    const count = Atomics.add(this.control, kWake, 1) + 1;
    Atomics.notify(this.control, kWake);
    return count;
  }

  /** Wakes the sampler without asking for a sample: a task book wants its slots ready now. */
  nudge(): void {
    Atomics.add(this.control, kNudges, 1);
    Atomics.add(this.control, kWake, 1);
    Atomics.notify(this.control, kWake);
  }

  /** Says the process is active: the sampler keeps (or goes back to) its full rate. A plain store, no wake. */
  touch(): void {
    this.control[kActive] = 1;
  }

  /** Adds (1) or removes (-1) a holder of the full rate (see kHold). */
  hold(delta: 1 | -1): void {
    Atomics.add(this.control, kHold, delta);
  }

  /** The sampling period in force, ms (0 before the first tick). */
  periodMs(): number {
    return Atomics.load(this.control, kPeriodMs);
  }

  /** The longest time between two consecutive samples so far, ms. */
  maxSpacingMs(): number {
    return Atomics.load(this.control, kMaxSpacingMs);
  }

  /** From when every channel that has read has readings (NaN before the sampler's first tick). */
  measuredFromMs(): number {
    return this.controlF64[kMeasuredFromF64]!;
  }

  /**
   * Time of channel `c`'s last valid reading, NaN before its first: a channel in a gap (a source
   * that could not be read) stays at its last one, which later records say is where it stopped.
   */
  lastReadingMs(c: number): number {
    return this.lastReading[c]!;
  }

  /** Whether a sample taken after wake `count` (wake()'s return) is published (see kServed); counts wrap at 2^31. */
  hasServed(count: number): boolean {
    return ((Atomics.load(this.control, kServed) - count) | 0) >= 0;
  }
}

/** The sampler's side: publishes samples and settles anchors. One writer per ring. */
export class RingWriter extends RingReader {
  #count = 0;
  #lastMs = Number.NaN;
  readonly #scratch = new Float64Array(this.shape.channels);

  /**
   * A new ring, or a writer over one another thread created (a successor of a stuck sampler
   * thread, or a test's), going on after its last published sample.
   */
  constructor(shape: RingShape, buffer?: SharedArrayBuffer) {
    super(buffer ?? new SharedArrayBuffer(RingViews.bytes(shape)), shape);
    if (buffer === undefined) {
      this.setMeasuredFrom(Number.NaN);
      this.lastReading.fill(Number.NaN);
    }
    else this.#count = this.published();
  }

  /** The period in force, for readers (see kPeriodMs). */
  setPeriodMs(ms: number): void {
    Atomics.store(this.control, kPeriodMs, Math.round(ms));
  }

  /** Whether touch() was called since the last call (see kActive; clears it), or the full rate is held (kHold). */
  takeActive(): boolean {
    return Atomics.exchange(this.control, kActive, 0) === 1 || Atomics.load(this.control, kHold) > 0;
  }

  /** Publishes one sample: its time and every channel's cumulative µJ; `served`: the wake count read before it was taken. */
  publish(tMs: number, totalsUj: ArrayLike<number>, served = Atomics.load(this.control, kServed)): void {
    const spacing = Math.ceil(tMs - this.#lastMs); // NaN for the first sample
    if (spacing > Atomics.load(this.control, kMaxSpacingMs)) Atomics.store(this.control, kMaxSpacingMs, spacing);
    this.#lastMs = tMs;
    const index = this.#count;
    const slot = index % this.shape.capacity;
    const from = slot * this.stride;
    Atomics.store(this.seq, slot, -1);
    this.data[from] = tMs;
    for (let c = 0; c < this.shape.channels; c++) this.data[from + 1 + c] = totalsUj[c]!;
    Atomics.store(this.seq, slot, index % seqMod);
    this.#count = index + 1;
    Atomics.store(this.control, kPublished, this.#count);
    // Served only once published: a caller that sees its wake served reads the sample that served it.
    Atomics.store(this.control, kServed, served);
    Atomics.notify(this.control, kPublished);
    Atomics.notify(this.control, kServed);
  }

  /**
   * Rewrites column `col` of sample `index` (a gap's values, once the channel has read again).
   * The slot's sequence number is cleared meanwhile, so a reader copying it reads it again.
   */
  rewrite(index: number, col: number, value: number): void {
    const slot = index % this.shape.capacity;
    const expect = index % seqMod;
    if (Atomics.load(this.seq, slot) !== expect) return; // overwritten already
    Atomics.store(this.seq, slot, -1);
    this.data[slot * this.stride + 1 + col] = value;
    Atomics.store(this.seq, slot, expect);
  }

  setLastReading(c: number, tMs: number): void {
    this.lastReading[c] = tMs;
  }

  setMeasuredFrom(tMs: number): void {
    this.controlF64[kMeasuredFromF64] = tMs;
  }

  setState(state: number): void {
    Atomics.store(this.control, kState, state);
    Atomics.notify(this.control, kPublished);
    Atomics.notify(this.control, kServed);
  }

  /** Settles requested anchors at or before `settledMs` (the newest sample, or an older time while a counter is provisional). */
  settleAnchors(settledMs: number, valuesAt: (tMs: number, out: Float64Array) => void): void {
    const newest = settledMs;
    const scratch = this.#scratch;
    for (let a = 0; a < this.shape.anchors; a++) {
      const word = Atomics.load(this.anchorState, a);
      if ((word & kAnchorStateBits) !== kAnchorRequested) continue;
      const tMs = this.anchorData[a * this.stride]!;
      if (!(tMs <= newest)) continue;
      valuesAt(tMs, scratch);
      this.anchorData.set(scratch, a * this.stride + 1);
      // Settled only if it is still that request: one released and made again meanwhile (another
      // time, perhaps already read past) waits for the next sample; the values written are then rewritten.
      Atomics.compareExchange(this.anchorState, a, word, (word & ~kAnchorStateBits) | kAnchorSettled);
    }
  }

  get ready(): boolean {
    return this.#count > 0;
  }
}
