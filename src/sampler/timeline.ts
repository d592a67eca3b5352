// Energy of intervals on the shared timeline: the one interval-energy API (runs, tasks, folds,
// benchmarks), anchors for long-lived marks, and utilisation between two marks.
import type { ChannelInfo } from '../sources/source.js';
import { rowLayout, type RowLayout } from './layout.js';
import { kStateCrashed, type RingReader } from './ring.js';
import { RingWindow } from './window.js';

/**
 * How an interval's energy was obtained:
 * - `sampled`: it spans at least one sampling period of measured readings;
 * - `apportioned`: it is shorter than a period (or than the samples around it, when the sampler
 *   had slowed down while idle), so it shares the surrounding samples' energy by time (an estimate);
 * - `extrapolated`: a material part of it (more than 1 %) lies before a channel's first reading
 *   (a GPU before its library was loaded) or before the oldest kept sample, and that part's energy
 *   continues the first readings (an estimate);
 * - `gap`: during a material part of it a channel was stale or gone (a source that stopped
 *   reading): that channel's energy then is not measured, so the figure is a lower bound.
 */
export type Resolution = 'sampled' | 'apportioned' | 'extrapolated' | 'gap';

/** Resolutions by code, as IntervalBatch.resolution stores them. */
export const resolutions: readonly Resolution[] = ['sampled', 'apportioned', 'extrapolated', 'gap'];

/** Share of an interval (extrapolated or unmeasured) from which it is labelled so. */
const kMaterialShare = 0.01;

/** Energy of one interval, per channel. */
export interface IntervalEnergy {
  /** µJ per channel, in the order of `Timeline.channels`. */
  readonly energyUj: Float64Array;
  /** True once every channel's values at the interval's end are settled: the figures will not change. */
  readonly final: boolean;
  readonly resolution: Resolution;
  /** Part of the interval, in ms, before a channel's first reading: its energy is extrapolated. */
  readonly extrapolatedMs: number;
  /** Part of the interval, in ms, during which a channel was stale or gone: its energy then is missing. */
  readonly unmeasuredMs: number;
}

/** The energies of many intervals, filled by Timeline.measure(): k values per interval. */
export class IntervalBatch {
  count = 0;
  energyUj = new Float64Array(0);
  final = new Uint8Array(0);
  /** Index into `resolutions`. */
  resolution = new Uint8Array(0);
  extrapolatedMs = new Float64Array(0);
  unmeasuredMs = new Float64Array(0);

  constructor(readonly k: number) {}

  /** Room for `n` intervals (contents undefined). */
  reserve(n: number): void {
    if (this.final.length < n) {
      const size = Math.max(n, 2 * this.final.length);
      this.energyUj = new Float64Array(size * this.k);
      this.final = new Uint8Array(size);
      this.resolution = new Uint8Array(size);
      this.extrapolatedMs = new Float64Array(size);
      this.unmeasuredMs = new Float64Array(size);
    }
    this.count = n;
  }

  /** Interval `i` as an object (for a few; batches read the columns). */
  at(i: number): IntervalEnergy {
    return {
      energyUj: this.energyUj.slice(i * this.k, (i + 1) * this.k), final: this.final[i] === 1,
      resolution: resolutions[this.resolution[i]!]!, extrapolatedMs: this.extrapolatedMs[i]!, unmeasuredMs: this.unmeasuredMs[i]!,
    };
  }
}

/** A mark the sampler thread settles itself, exact however long ago it was made. */
export interface Anchor {
  readonly id: number;
  readonly tMs: number;
  /** The request's ticket: the anchor's values are this request's, not an earlier user's of the same slot. */
  readonly ticket: number;
}

export class Timeline {
  readonly layout: RowLayout;
  readonly window: RingWindow;
  readonly #k: number;
  readonly #freeAnchors: number[];
  #values = new Float64Array(0);
  readonly #one = new Float64Array(2);
  readonly #batch: IntervalBatch;

  /**
   * `originMs`: the time of the first sample (the start mark's reading, where every channel's
   * cumulative energy is 0); `measuredFromMs`, when given: from when every channel has read (else
   * the ring says; later than the origin for a source that could not be read at the mark, a GPU).
   */
  constructor(readonly ring: RingReader, readonly channels: readonly ChannelInfo[], readonly periodMs: number,
    readonly originMs: number, readonly measuredFromMs?: number) {
    this.layout = rowLayout(channels);
    this.window = new RingWindow(ring, this.layout);
    this.#k = channels.length;
    this.#batch = new IntervalBatch(this.#k);
    this.#freeAnchors = Array.from({ length: ring.shape.anchors }, (_, i) => ring.shape.anchors - 1 - i);
  }

  /** Time of the newest published sample. */
  newestMs(): number {
    return this.window.newestMs();
  }

  /** Up to when values are final (the newest sample, or a GPU's last counter reading). */
  settledMs(): number {
    return this.window.settledMs();
  }

  /**
   * The energy of `count` intervals given as [start, end] pairs in `times` (ms, start <= end), per
   * channel, with whether each is final, its resolution and its extrapolated part. `start` gives the
   * first interval's start values from an anchor when it has settled. Every interval read anywhere
   * goes through here, so adjacent intervals add up to their union exactly.
   */
  measure(times: Float64Array, count: number, out: IntervalBatch = new IntervalBatch(this.#k), start?: Anchor): IntervalBatch {
    const k = this.#k;
    out.reserve(count);
    const v = this.#valuesAt(times, count, start);
    const settled = this.window.settledMs();
    const oldest = this.ring.oldest() > 0 ? this.window.oldestMs() : -Infinity;
    const measuredFrom = this.measuredFromMs ?? this.ring.measuredFromMs();
    const unmeasuredBefore = Math.max(Number.isNaN(measuredFrom) ? this.originMs : measuredFrom, oldest);
    // Unmeasured time is rare (a source that stopped reading): read its column only when there is some.
    const gaps = this.window.unmeasuredAt(this.window.newestMs()) > 0;
    // A thread that crashed samples nothing more: time past its last sample is not measured.
    const endedMs = this.ring.state() === kStateCrashed ? this.window.newestMs() : Infinity;
    // Samples further apart than the period (an idle sampler slowed down): an interval shorter than
    // the samples around it shares their energy, whatever the period says.
    const maxSpacingMs = this.ring.maxSpacingMs();
    const varied = maxSpacingMs > 1.5 * this.periodMs;
    for (let i = 0; i < count; i++) {
      const t0 = times[2 * i]!;
      const t1 = times[2 * i + 1]!;
      const e = out.energyUj;
      for (let c = 0; c < k; c++) e[i * k + c] = Math.max(0, v[(2 * i + 1) * k + c]! - v[2 * i * k + c]!);
      const durationMs = t1 - t0;
      const extrapolatedMs = Math.min(Math.max(0, Math.min(t1, unmeasuredBefore) - t0), durationMs);
      const unmeasuredMs = Math.min(durationMs, (gaps ? Math.max(0, this.window.unmeasuredAt(t1) - this.window.unmeasuredAt(t0)) : 0)
        + Math.max(0, t1 - Math.max(t0, endedMs)));
      out.final[i] = t1 <= settled ? 1 : 0;
      out.extrapolatedMs[i] = extrapolatedMs;
      out.unmeasuredMs[i] = unmeasuredMs;
      const material = kMaterialShare * durationMs;
      const short = durationMs < this.periodMs || (varied && durationMs < maxSpacingMs && durationMs < this.#spacingAround(t0, t1));
      out.resolution[i] = unmeasuredMs > material ? 3 : extrapolatedMs > material ? 2 : short ? 1 : 0;
    }
    return out;
  }

  /** The longer of the two spans between samples that hold `t0` and `t1` (0 where a mark has no sample after it yet). */
  #spacingAround(t0: number, t1: number): number {
    const newest = this.ring.published() - 1;
    const oldest = this.ring.oldest();
    const at = (t: number): number => {
      const a = this.ring.floorIndex(t, oldest, newest);
      return a < oldest || a >= newest ? 0 : this.ring.timeOf(a + 1) - this.ring.timeOf(a);
    };
    return Math.max(at(t0), at(t1));
  }

  /** Every channel's cumulative energy at the 2 × `count` marks of `times` (k values each), 0 at the origin. */
  #valuesAt(times: Float64Array, count: number, start?: Anchor): Float64Array {
    const k = this.#k;
    if (this.#values.length < 2 * count * k) this.#values = new Float64Array(2 * count * k * 2);
    const v = this.#values;
    this.window.valuesAt(times, v, 2 * count);
    if (start !== undefined && count > 0 && times[0] === start.tMs) this.#anchorValues(start, v);
    // Every channel's cumulative energy is 0 at the origin by construction, whatever the ring still holds.
    for (let m = 0; m < 2 * count; m++) if (times[m] === this.originMs) v.fill(0, m * k, (m + 1) * k);
    return v;
  }

  /**
   * What a fold keeps of `count` intervals ([start, end] pairs in `times`): per run of them (run r
   * from `runStarts[r]` to the next run's start), the energy per channel summed into `energyUj` (k
   * per run), the duration into `durationMs`, and into `final` whether all are final. The sums of
   * what measure() gives each, without the per-interval labels a fold does not keep. `out` starts zeroed.
   */
  sumRuns(times: Float64Array, count: number, runStarts: Int32Array,
    out: { readonly energyUj: Float64Array; readonly durationMs: Float64Array; readonly final: Uint8Array }): void {
    const k = this.#k;
    const settled = this.window.settledMs();
    if (this.window.sumRuns(times, count, runStarts, this.originMs, settled, out)) return;
    // A hybrid channel (a GPU's counter reconciled with its power): each mark's values, then the sums.
    const v = this.#valuesAt(times, count);
    const runs = runStarts.length;
    for (let r = 0; r < runs; r++) {
      const end = r + 1 < runs ? runStarts[r + 1]! : count;
      let durationMs = 0;
      let final = 1;
      for (let i = runStarts[r]!; i < end; i++) {
        durationMs += times[2 * i + 1]! - times[2 * i]!;
        if (!(times[2 * i + 1]! <= settled)) final = 0;
        for (let c = 0; c < k; c++) out.energyUj[r * k + c]! += Math.max(0, v[(2 * i + 1) * k + c]! - v[2 * i * k + c]!);
      }
      out.durationMs[r] = durationMs;
      out.final[r] = final;
    }
  }

  /** Energy per channel between two marks (t0 <= t1): measure() for one interval. */
  energyBetween(t0Ms: number, t1Ms: number, start?: Anchor): IntervalEnergy {
    this.#one[0] = t0Ms;
    this.#one[1] = t1Ms;
    return this.measure(this.#one, 1, this.#batch, start).at(0);
  }

  /** Asks the sampler to settle the values at `tMs` for later; null when all anchors are taken. */
  anchor(tMs: number): Anchor | null {
    const id = this.#freeAnchors.pop();
    if (id === undefined) return null;
    return { id, tMs, ticket: this.ring.requestAnchor(id, tMs) };
  }

  releaseAnchor(anchor: Anchor): void {
    this.ring.releaseAnchor(anchor.id);
    this.#freeAnchors.push(anchor.id);
  }

  /** The anchor's values into the first k of `out`, once the sampler has settled them (else the window's stand). */
  #anchorValues(anchor: Anchor, out: Float64Array): void {
    const row = new Float64Array(this.layout.stride);
    if (this.ring.readAnchor(anchor.id, anchor.ticket, row)) out.set(row.subarray(1, this.#k + 1));
  }

  /**
   * Mean utilisation in % of the channels that report one (GPUs) between two times, or null when
   * none does or the interval has no samples.
   */
  utilizationBetween(t0Ms: number, t1Ms: number): number | null {
    const cols = this.layout.utilization;
    if (cols.length === 0 || !(t1Ms > t0Ms)) return null;
    // Only the sampled part of the interval has readings: the mean is over that part.
    const from = Math.max(t0Ms, this.window.oldestMs());
    const to = Math.min(t1Ms, this.newestMs());
    if (!(to > from)) return null;
    const u0 = new Float64Array(this.layout.columns);
    const u1 = new Float64Array(this.layout.columns);
    if (!this.window.columnsAt(from, u0) || !this.window.columnsAt(to, u1)) return null;
    let sum = 0;
    for (const { col } of cols) sum += Math.max(0, u1[col]! - u0[col]!);
    return Math.min(100, sum / (to - from) / cols.length);
  }

  /** Every column of sample `index` (for tests and tools), or null when it is gone. */
  row(index: number): Float64Array | null {
    const out = new Float64Array(this.layout.stride);
    return this.ring.read(index, out) ? out : null;
  }
}

