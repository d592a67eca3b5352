// Ticks where a channel had no valid reading: held open until it reads again, then apportioned over
// the gap; a channel silent for too long is declared stale (its energy then is unmeasured, and said so).
import type { ChannelInfo } from '../sources/source.js';
import type { RingWriter } from './ring.js';

/** What the gap bookkeeping needs of the integrator. */
export interface ReadingClock {
  /** Time of the channel's last valid reading (NaN before the first). */
  lastReadingMs(channel: number): number;
  /** The channel's next reading is a fresh baseline: what happened before it is not counted. */
  rebase(channel: number): void;
}

/**
 * Per channel: its last valid reading (sample index, time, cumulative µJ) and whether it is in a
 * gap. While a channel is in a gap, its ring values stay at the last reading and are not final:
 * the samples' settled time holds at that reading. When it reads again, the gap's samples are
 * rewritten with the energy spread over the gap by time (a counter's delta, or a mean power,
 * covers the whole gap). A gap longer than `staleAfterMs` makes the channel stale: one warning,
 * the next reading is a fresh baseline (the silent span's energy is not counted), the span is
 * counted as unmeasured time, and the channel stops holding the settled time back.
 */
export class ChannelGaps {
  readonly #lastIndex: Float64Array;
  readonly #lastMs: Float64Array;
  readonly #lastUj: Float64Array;
  readonly #gapFrom: Float64Array;
  readonly #state: Uint8Array;
  readonly #firstMs: Float64Array;
  #unmeasuredMs = 0;
  #previousMs = Number.NaN;
  #lostSinceMs = Number.NaN;

  /** `unmeasuredCol`: the ring column of the cumulative unmeasured time. */
  constructor(readonly channels: readonly ChannelInfo[], readonly staleAfterMs: number, readonly ring: RingWriter,
    readonly unmeasuredCol: number, readonly warn: (cause: string, message: string) => void) {
    const k = channels.length;
    this.#lastIndex = new Float64Array(k).fill(-1);
    this.#lastMs = new Float64Array(k).fill(Number.NaN);
    this.#lastUj = new Float64Array(k);
    this.#gapFrom = new Float64Array(k).fill(-1);
    this.#state = new Uint8Array(k);
    this.#firstMs = new Float64Array(k).fill(Number.NaN);
  }

  /** Cumulative ms during which some channel was stale or retired (a ring column). */
  get unmeasuredMs(): number {
    return this.#unmeasuredMs;
  }

  /** From when every channel that has read has readings (its first reading's time). */
  measuredFromMs(): number {
    let t = -Infinity;
    const first = this.#firstMs;
    for (let c = 0; c < first.length; c++) if (first[c]! > t) t = first[c]!;
    return t;
  }

  /**
   * A channel's energy since `sinceMs` is lost (its counter was replaced and starts afresh): that
   * span counts as unmeasured time, in the samples already published after it too.
   */
  lose(sinceMs: number): void {
    if (!(sinceMs >= this.#lostSinceMs)) this.#lostSinceMs = sinceMs;
  }

  /**
   * A successor of a stuck sampler thread goes on from a published sample at `lastMs` whose
   * cumulative unmeasured time was `unmeasuredMs`: the span until its first sample is unmeasured.
   */
  resume(unmeasuredMs: number, lastMs: number): void {
    this.#unmeasuredMs = unmeasuredMs;
    this.#previousMs = Number.NaN;
    this.lose(lastMs);
  }

  /** The channel will not read again (a lost GPU): its energy stays as measured, later time is unmeasured. */
  retire(channel: number): void {
    this.#state[channel] = kRetired;
  }

  /**
   * After sample `index` at `tMs` was integrated (not yet published): closes gaps of channels that
   * read (rewriting the gap's published samples), opens or ages gaps of those that did not, and
   * returns the settled time this sample carries (the earliest last reading of a channel in a gap).
   */
  update(index: number, tMs: number, totalsUj: Float64Array, clock: ReadingClock, column: (ch: number) => number): number {
    let settled = tMs;
    let unmeasured = false;
    for (let c = 0; c < this.channels.length; c++) {
      const state = this.#state[c]!;
      if (state === kRetired) { unmeasured = true; continue; }
      const v = totalsUj[c]!;
      if (clock.lastReadingMs(c) === tMs) {
        if (Number.isNaN(this.#firstMs[c]!)) this.#firstMs[c] = tMs;
        if (state === kGap) this.#apportion(c, index, tMs, v, column(c));
        else if (state === kStale) this.warn(`stale-again:${this.channels[c]!.id}`, `${this.channels[c]!.detail}: reads again; energy is counted from here`);
        this.#state[c] = kReading;
        this.#lastIndex[c] = index;
        this.#lastMs[c] = tMs;
        this.#lastUj[c] = v;
        this.ring.setLastReading(c, tMs);
        continue;
      }
      if (state === kReading) {
        this.#state[c] = kGap;
        this.#gapFrom[c] = index;
      }
      if (this.#state[c] === kGap) {
        const since = Number.isNaN(this.#lastMs[c]!) ? this.#firstSeen(c, tMs) : this.#lastMs[c]!;
        if (tMs - since > this.staleAfterMs) this.#goStale(c, since, clock);
        else settled = Math.min(settled, since);
      }
      if (this.#state[c] === kStale) unmeasured = true;
    }
    if (unmeasured && this.#previousMs < tMs) this.#unmeasuredMs += tMs - this.#previousMs;
    this.#previousMs = tMs;
    if (!Number.isNaN(this.#lostSinceMs)) this.#applyLoss(index, tMs);
    return settled;
  }

  /** Counts the lost span as unmeasured: in the published samples after its start, and from here on. */
  #applyLoss(index: number, tMs: number): void {
    const from = this.#lostSinceMs;
    this.#lostSinceMs = Number.NaN;
    const oldest = Math.max(0, this.ring.published() - this.ring.shape.capacity + 1);
    const row = new Float64Array(this.ring.shape.channels + 1);
    for (let j = index - 1; j >= oldest; j--) {
      const tj = this.ring.timeOf(j);
      if (!(tj > from) || !this.ring.read(j, row)) break;
      this.ring.rewrite(j, this.unmeasuredCol, row[1 + this.unmeasuredCol]! + (tj - from));
    }
    this.#unmeasuredMs += Math.max(0, tMs - from);
  }

  /** When a channel that never read was first expected to: the first sample's time. */
  #firstSeen(c: number, tMs: number): number {
    if (Number.isNaN(this.#lastMs[c]!)) this.#lastMs[c] = tMs;
    return this.#lastMs[c]!;
  }

  #goStale(c: number, sinceMs: number, clock: ReadingClock): void {
    this.#state[c] = kStale;
    clock.rebase(c);
    const ch = this.channels[c]!;
    this.warn(`stale:${ch.id}`, `${ch.detail}: no valid reading for ${((this.#previousMs - sinceMs) / 1000).toFixed(1)} s: `
      + 'its energy from then until it reads again is not measured (rows say so: resolution "gap"); the other channels go on');
  }

  /** Rewrites channel `c` of the gap's samples by time between the last reading and this one. */
  #apportion(c: number, index: number, tMs: number, v: number, col: number): void {
    const t0 = this.#lastMs[c]!;
    const v0 = this.#lastUj[c]!;
    const from = Math.max(this.#gapFrom[c]!, this.ring.published() - this.ring.shape.capacity + 1);
    for (let j = from; j < index; j++) {
      const tj = this.ring.timeOf(j);
      if (Number.isNaN(tj) || !(tMs > t0)) continue;
      this.ring.rewrite(j, col, v0 + (v - v0) * ((tj - t0) / (tMs - t0)));
    }
  }
}

const kReading = 0;
const kGap = 1;
const kStale = 2;
const kRetired = 3;
