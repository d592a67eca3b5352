// Reading energy off the shared timeline: values at a mark, interval energy, anchors, batches.
import type { ChannelInfo } from '../sources/source.js';
import { interpolate, type HybridColumns } from '../wasm/integrator.js';
import type { RingReader } from './ring.js';

/**
 * How an interval's energy was obtained: `sampled` when it spans at least one sampling period,
 * `apportioned` when shorter, an estimate that shares the surrounding samples' energy by time.
 */
export type Resolution = 'sampled' | 'apportioned';

/** Energy of one interval, per channel. */
export interface IntervalEnergy {
  /** µJ per channel, in the order of `Timeline.channels`. */
  readonly energyUj: Float64Array;
  /** True once a sample at or after the interval's end exists: the figures will not change. */
  readonly final: boolean;
  readonly resolution: Resolution;
  /**
   * Part of the interval before the sampler's first sample, in ms: its energy is extrapolated from
   * the first sampled interval's mean power (an estimate).
   */
  readonly uncoveredMs: number;
}

/** Where a mark fell on the timeline. */
interface Coverage {
  final: boolean;
  uncoveredMs: number;
}

/** A mark the sampler thread settles itself, exact however long ago it was made. */
export interface Anchor {
  readonly id: number;
  readonly tMs: number;
}

/** Where the ring keeps each hybrid channel's counter columns: after the channels, three each. */
export function hybridColumns(channels: readonly ChannelInfo[]): HybridColumns[] {
  const out: HybridColumns[] = [];
  channels.forEach((c, ch) => { if (c.counter !== undefined) out.push({ ch, aux: channels.length + 3 * out.length }); });
  return out;
}

/** Where the ring keeps the cumulative utilisation (%·ms) of each channel that reports one: after the hybrid columns. */
export function utilizationColumns(channels: readonly ChannelInfo[]): number[] {
  const first = channels.length + 3 * hybridColumns(channels).length;
  return channels.flatMap((c) => (c.utilization ? [c] : [])).map((_, j) => first + j);
}

export class Timeline {
  readonly #k: number;
  /** f64 per sample in the ring: the time, the channels, the hybrid channels' counter columns. */
  readonly #stride: number;
  readonly #hybrids: readonly HybridColumns[];
  readonly #utilization: readonly number[];
  readonly #pair: Float64Array;
  #batch = new Float64Array(0);
  readonly #one = new Float64Array(1);
  readonly #freeAnchors: number[];

  constructor(readonly ring: RingReader, readonly channels: readonly ChannelInfo[], readonly periodMs: number) {
    this.#k = channels.length;
    this.#stride = ring.shape.channels + 1;
    this.#hybrids = hybridColumns(channels);
    this.#utilization = utilizationColumns(channels);
    this.#pair = new Float64Array(2 * this.#stride);
    this.#freeAnchors = Array.from({ length: ring.shape.anchors }, (_, i) => ring.shape.anchors - 1 - i);
  }

  /** Time of the newest published sample. */
  newestMs(): number {
    return this.ring.timeOf(this.ring.published() - 1);
  }

  /**
   * Up to when every channel's values are final: the newest sample, or for a hybrid channel (a
   * GPU) its last energy counter reading, after which its values are provisional.
   */
  settledMs(): number {
    if (this.#hybrids.length === 0) return this.newestMs();
    for (;;) {
      const p = this.ring.published() - 1;
      if (p < 0) return Number.NaN;
      if (!this.ring.read(p, this.#pair)) continue;
      let t = this.#pair[0]!;
      for (const h of this.#hybrids) {
        const tA = this.#pair[h.aux + 3]!;
        t = Number.isNaN(tA) ? -Infinity : Math.min(t, tA);
      }
      return t;
    }
  }

  /**
   * Cumulative µJ per channel at `tMs` into `out`. A mark after the newest sample takes the newest
   * values and is not final; one before the oldest kept sample takes the oldest's and is uncovered.
   */
  valuesAt(tMs: number, out: Float64Array): Coverage {
    if (this.#hybrids.length > 0) return this.#hybridValuesAt(tMs, out);
    const ring = this.ring;
    const pair = this.#pair;
    const stride = this.#stride;
    for (;;) {
      const newest = ring.published() - 1;
      const oldest = ring.oldest();
      const a = ring.floorIndex(tMs, oldest, newest);
      if (a < oldest) {
        if (!ring.read(oldest, pair)) continue; // overwritten under us: look again
        out.set(pair.subarray(1, this.#k + 1));
        return { final: true, uncoveredMs: pair[0]! - tMs };
      }
      if (!ring.read(a, pair)) continue;
      if (a === newest) {
        out.set(pair.subarray(1, this.#k + 1));
        return { final: tMs === pair[0], uncoveredMs: 0 };
      }
      if (!ring.read(a + 1, pair, stride)) continue;
      const ta = pair[0]!;
      const tb = pair[stride]!;
      // The same arithmetic as assembly/interpolate.ts, so single and batch reads agree exactly.
      const frac = tb > ta ? (tMs - ta) / (tb - ta) : 0;
      for (let c = 0; c < this.#k; c++) {
        const va = pair[1 + c]!;
        out[c] = frac > 0 ? va + (pair[stride + 1 + c]! - va) * frac : va;
      }
      return { final: true, uncoveredMs: 0 };
    }
  }

  /**
   * Mean utilisation in % of the channels that report one (GPUs) between two times, or null when
   * none does or the interval has no samples.
   */
  utilizationBetween(t0Ms: number, t1Ms: number): number | null {
    if (this.#utilization.length === 0 || !(t1Ms > t0Ms)) return null;
    const row = new Float64Array(this.#stride);
    const at = (tMs: number): Float64Array | null => {
      for (;;) {
        const newest = this.ring.published() - 1;
        const oldest = this.ring.oldest();
        if (newest < 0) return null;
        const a = Math.min(newest, Math.max(oldest, this.ring.floorIndex(tMs, oldest, newest)));
        if (!this.ring.read(a, this.#pair)) continue;
        if (a === newest || this.#pair[0]! >= tMs) return Float64Array.from(this.#utilization, (c) => this.#pair[c + 1]!);
        if (!this.ring.read(a + 1, row)) continue;
        const f = (tMs - this.#pair[0]!) / (row[0]! - this.#pair[0]!);
        return Float64Array.from(this.#utilization, (c) => this.#pair[c + 1]! + (row[c + 1]! - this.#pair[c + 1]!) * f);
      }
    };
    // Only the sampled part of the interval has readings: the mean is over that part.
    const from = Math.max(t0Ms, this.ring.timeOf(this.ring.oldest()));
    const to = Math.min(t1Ms, this.newestMs());
    if (!(to > from)) return null;
    const u0 = at(from);
    const u1 = at(to);
    if (u0 === null || u1 === null) return null;
    let sum = 0;
    for (let j = 0; j < this.#utilization.length; j++) sum += Math.max(0, u1[j]! - u0[j]!);
    return Math.min(100, sum / (to - from) / this.#utilization.length);
  }

  /** valuesAt with hybrid channels: through the batch path, which reconciles their counters. */
  #hybridValuesAt(tMs: number, out: Float64Array): Coverage {
    const ring = this.ring;
    const first = ring.published() > 0 ? ring.timeOf(ring.oldest()) : Number.NaN;
    const settled = this.settledMs();
    this.#one[0] = tMs;
    this.valuesAtMany(this.#one, out);
    return { final: tMs <= settled, uncoveredMs: tMs < first ? first - tMs : 0 };
  }

  /** Energy per channel between two marks (t0 <= t1). */
  energyBetween(t0Ms: number, t1Ms: number, start?: Anchor): IntervalEnergy {
    const v0 = new Float64Array(this.#k);
    const v1 = new Float64Array(this.#k);
    const a = start !== undefined && start.tMs === t0Ms ? this.anchorValues(start, v0) : this.valuesAt(t0Ms, v0);
    const b = this.valuesAt(t1Ms, v1);
    const energyUj = v1.map((e, c) => Math.max(0, e - v0[c]!));
    const uncoveredMs = Math.min(Math.max(0, a.uncoveredMs), t1Ms - t0Ms);
    if (uncoveredMs > 0) this.#extrapolateHead(uncoveredMs, energyUj);
    return {
      energyUj,
      final: a.final && b.final,
      resolution: t1Ms - t0Ms < this.periodMs ? 'apportioned' : 'sampled',
      uncoveredMs,
    };
  }

  /**
   * Time before the sampler's first sample has no reading: it gets the mean power of the first
   * sampled interval (an estimate, reported as uncoveredMs), rather than no energy at all.
   */
  #extrapolateHead(uncoveredMs: number, energyUj: Float64Array): void {
    if (this.ring.oldest() !== 0 || this.ring.published() < 2) return;
    const first = new Float64Array(this.#stride);
    const second = new Float64Array(this.#stride);
    if (!this.ring.read(0, first) || !this.ring.read(1, second) || !(second[0]! > first[0]!)) return;
    const share = uncoveredMs / (second[0]! - first[0]!);
    for (let c = 0; c < this.#k; c++) energyUj[c]! += Math.max(0, second[1 + c]! - first[1 + c]!) * share;
  }

  /** Asks the sampler to settle the values at `tMs` for later; null when all anchors are taken. */
  anchor(tMs: number): Anchor | null {
    const id = this.#freeAnchors.pop();
    if (id === undefined) return null;
    this.ring.requestAnchor(id, tMs);
    return { id, tMs };
  }

  /** The anchor's values (settled by the sampler, else read from the ring now). */
  anchorValues(anchor: Anchor, out: Float64Array): Coverage {
    const row = new Float64Array(this.#stride);
    if (!this.ring.readAnchor(anchor.id, row)) return this.valuesAt(anchor.tMs, out);
    out.set(row.subarray(1, this.#k + 1));
    const first = this.ring.published() > 0 && this.ring.oldest() === 0 ? this.ring.timeOf(0) : anchor.tMs;
    return { final: true, uncoveredMs: Math.max(0, first - anchor.tMs) };
  }

  releaseAnchor(anchor: Anchor): void {
    this.ring.releaseAnchor(anchor.id);
    this.#freeAnchors.push(anchor.id);
  }

  /**
   * Cumulative values at many marks at once (k per mark into `out`), interpolated by the
   * WebAssembly module over the window of samples that covers them. Returns how many marks fell
   * outside the kept samples (clamped to the nearest one).
   */
  valuesAtMany(times: Float64Array, out: Float64Array): number {
    if (times.length === 0) return 0;
    let lo = Infinity;
    let hi = -Infinity;
    for (const t of times) { if (t < lo) lo = t; if (t > hi) hi = t; }
    const stride = this.#stride;
    for (;;) {
      const newest = this.ring.published() - 1;
      const oldest = this.ring.oldest();
      const first = Math.max(oldest, this.ring.floorIndex(lo, oldest, newest));
      let last = Math.min(newest, Math.max(first, this.ring.floorIndex(hi, oldest, newest) + 1));
      // Hybrid channels also need the first counter reading after the last mark.
      if (this.#hybrids.length > 0) last = this.#nextReadings(last, newest);
      const n = last - first + 1;
      if (this.#batch.length < n * stride) this.#batch = new Float64Array(n * stride * 2);
      let ok = true;
      for (let i = 0; i < n && ok; i++) ok = this.ring.read(first + i, this.#batch, i * stride);
      if (ok) return interpolate(this.#batch, n, this.#k, times, out, 'release', stride, this.#hybrids);
    }
  }

  /** The first sample at or after `from` by which every hybrid channel has a newer counter reading (or the newest). */
  #nextReadings(from: number, newest: number): number {
    const row = this.#pair;
    if (from >= newest || !this.ring.read(from, row)) return newest;
    const tA = this.#hybrids.map((h) => row[h.aux + 3]!);
    for (let i = from + 1; i <= newest; i++) {
      if (!this.ring.read(i, row)) return newest;
      if (this.#hybrids.every((h, j) => row[h.aux + 3] !== tA[j] && !Number.isNaN(row[h.aux + 3]!))) return i;
    }
    return newest;
  }
}
