// Cumulative values at marks, read off the ring through the WebAssembly interpolation: the one place
// that turns mark times into energy, for the main thread's Timeline and the sampler's anchors alike.
import { interpolate, sumRuns, type RunSums } from '../wasm/integrator.js';
import { rowOffset, type RowLayout } from './layout.js';
import type { RingReader } from './ring.js';

/** Reads values at mark times over the window of kept samples that covers them. */
export class RingWindow {
  readonly #row: Float64Array;
  readonly #one = new Float64Array(1);
  readonly #taOffsets: readonly number[];
  #batch = new Float64Array(0);
  #columns: Float64Array | null = null;

  constructor(readonly ring: RingReader, readonly layout: RowLayout) {
    this.#row = new Float64Array(layout.stride);
    this.#taOffsets = layout.hybrids.map((h) => rowOffset(h.ta));
  }

  /** Time of the newest published sample (NaN before the first). */
  newestMs(): number {
    return this.ring.timeOf(this.ring.published() - 1);
  }

  /** Time of the oldest sample still kept (NaN before the first). */
  oldestMs(): number {
    return this.ring.published() === 0 ? Number.NaN : this.ring.timeOf(this.ring.oldest());
  }

  /**
   * Up to when every channel's values are final: the newest sample's settled time (held back by a
   * channel in a gap, or by a GPU after its last counter reading, whose values are provisional).
   */
  settledMs(): number {
    for (;;) {
      const p = this.ring.published() - 1;
      if (p < 0) return Number.NaN;
      if (this.ring.read(p, this.#row)) return this.#row[rowOffset(this.layout.settled)]!;
    }
  }

  /** Cumulative unmeasured ms (some channel stale or gone) at `tMs`, interpolated; 0 before the first sample. */
  unmeasuredAt(tMs: number): number {
    const out = this.#columns ??= new Float64Array(this.layout.columns);
    return this.columnsAt(tMs, out) ? out[this.layout.unmeasured]! : 0;
  }

  /**
   * Cumulative µJ per channel at `count` mark times (k values per mark into `out`). A mark after
   * the newest sample takes the newest values (pending); one before the very first sample continues
   * the first interval's slope (extrapolated); one before the oldest kept sample takes its values.
   * Returns how many marks fell outside the kept samples.
   */
  valuesAt(times: Float64Array, out: Float64Array, count = times.length): number {
    const k = this.layout.channels;
    if (count === 0) return 0;
    const [lo, hi] = span(times, count);
    const stride = this.layout.stride;
    for (;;) {
      const newest = this.ring.published() - 1;
      if (newest < 0) {
        out.fill(0, 0, count * k);
        return count;
      }
      const oldest = this.ring.oldest();
      const first = Math.max(oldest, this.ring.floorIndex(lo, oldest, newest));
      let last = Math.min(newest, Math.max(first + 1, this.ring.floorIndex(hi, oldest, newest) + 1));
      // Hybrid channels also need the first counter reading after the last mark.
      if (this.#taOffsets.length > 0) last = this.#nextReadings(last, newest);
      const rows = this.#taOffsets.length === 0 && 4 * count < last - first + 1
        ? this.#around(times, count, first, last, oldest, newest) : null;
      const n = rows === null ? last - first + 1 : rows.length;
      if (this.#batch.length < n * stride) this.#batch = new Float64Array(n * stride * 2);
      let ok = true;
      for (let i = 0; i < n && ok; i++) ok = this.ring.read(rows === null ? first + i : rows[i]!, this.#batch, i * stride);
      if (ok) {
        return interpolate(this.#batch, n, k, times, out,
          { stride, hybrids: this.layout.hybrids, extendHead: first === 0, count });
      }
    }
  }

  /**
   * The samples in [first, last] that interpolation reads for these marks, in order: each mark's
   * floor and the sample after it (interpolate() reads no other), so that a run's energy since its
   * start reads four samples, not every sample since (up to the whole ring, 16,384 by default).
   * The values are those of the whole span: a mark's two neighbours are the same in both.
   */
  #around(times: Float64Array, count: number, first: number, last: number, oldest: number, newest: number): number[] {
    const rows: number[] = [];
    for (let i = 0; i < count; i++) {
      const a = Math.max(first, this.ring.floorIndex(times[i]!, oldest, newest));
      rows.push(a);
      if (a < last) rows.push(a + 1);
    }
    rows.sort((x, y) => x - y);
    return rows.filter((r, i) => i === 0 || r !== rows[i - 1]);
  }

  /**
   * What a fold keeps of `count` intervals ([start, end] pairs in `times`, run r from `runStarts[r]`):
   * sumRuns() over the kept samples that cover them, which reads each mark's values as valuesAt()
   * does (a value at `originMs` is 0); into `out`. False, with nothing done, where a channel is
   * hybrid (its values need reconciling: valuesAt()) or before the first sample.
   */
  sumRuns(times: Float64Array, count: number, runStarts: Int32Array, originMs: number, settledMs: number, out: RunSums): boolean {
    if (this.#taOffsets.length > 0 || count === 0) return false;
    const k = this.layout.channels;
    const stride = this.layout.stride;
    const [lo, hi] = span(times, 2 * count);
    for (;;) {
      const newest = this.ring.published() - 1;
      if (newest < 0) return false;
      const oldest = this.ring.oldest();
      const first = Math.max(oldest, this.ring.floorIndex(lo, oldest, newest));
      const last = Math.min(newest, Math.max(first + 1, this.ring.floorIndex(hi, oldest, newest) + 1));
      const n = last - first + 1;
      if (this.#batch.length < n * stride) this.#batch = new Float64Array(n * stride * 2);
      let ok = true;
      for (let i = 0; i < n && ok; i++) ok = this.ring.read(first + i, this.#batch, i * stride);
      if (!ok) continue;
      sumRuns(this.#batch, n, k, times, count, runStarts, out, { stride, extendHead: first === 0, originMs, settledMs });
      return true;
    }
  }

  /** valuesAt() for one mark. */
  valueAt(tMs: number, out: Float64Array): number {
    this.#one[0] = tMs;
    return this.valuesAt(this.#one, out, 1);
  }

  /**
   * Every column (counter and utilisation columns too) at `tMs`, interpolated linearly between
   * the kept samples around it and clamped to them; false before the first sample.
   */
  columnsAt(tMs: number, out: Float64Array): boolean {
    for (;;) {
      const newest = this.ring.published() - 1;
      if (newest < 0) return false;
      const oldest = this.ring.oldest();
      const a = Math.min(newest, Math.max(oldest, this.ring.floorIndex(tMs, oldest, newest)));
      const n = a < newest ? 2 : 1;
      const stride = this.layout.stride;
      if (this.#batch.length < 2 * stride) this.#batch = new Float64Array(4 * stride);
      if (!this.ring.read(a, this.#batch, 0) || (n === 2 && !this.ring.read(a + 1, this.#batch, stride))) continue;
      this.#one[0] = tMs;
      interpolate(this.#batch, n, this.layout.columns, this.#one, out, { stride, count: 1 });
      return true;
    }
  }

  /** The first sample at or after `from` by which every hybrid channel has a newer counter reading (or the newest). */
  #nextReadings(from: number, newest: number): number {
    const row = this.#row;
    if (from >= newest || !this.ring.read(from, row)) return newest;
    const tA = this.#taOffsets.map((at) => row[at]!);
    for (let i = from + 1; i <= newest; i++) {
      if (!this.ring.read(i, row)) return newest;
      if (this.#taOffsets.every((at, j) => row[at] !== tA[j] && !Number.isNaN(row[at]!))) return i;
    }
    return newest;
  }
}

/** The earliest and the latest of the first `count` times. */
function span(times: Float64Array, count: number): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < count; i++) {
    const t = times[i]!;
    if (t < lo) lo = t;
    if (t > hi) hi = t;
  }
  return [lo, hi];
}
