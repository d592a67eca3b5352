// The ring's row layout, named in one place: what each f64 of a published sample holds.
//
// A row is [tMs, channel energies…, hybrid counter columns…, utilisation columns…]:
// - one cumulative µJ per channel, in channel order (a hybrid GPU's is its integrated power P);
// - per hybrid channel three columns: C (the energy counter's cumulative µJ at its last
//   reading), Pa (P at that reading) and tA (its time, NaN before the first reading). They sit
//   side by side in that order because assembly/reconcile.ts reads Pa and tA after C;
// - per channel that reports a utilisation (GPUs), the cumulative %·ms;
// - the settled time: up to when this sample's values are final (a channel in a gap, or a GPU
//   after its last counter reading, holds it back);
// - the cumulative ms during which some channel was stale or gone (its energy unmeasured).
import type { ChannelInfo } from '../sources/source.js';

/** Row offset of the sample's time. */
export const kTimeOffset = 0;

/** A hybrid channel's columns (column numbers, not row offsets: a row offset is 1 + column). */
export interface HybridLayout {
  /** The channel whose column holds the integrated power P. */
  readonly ch: number;
  /** C; Pa is column c + 1 and tA column c + 2. */
  readonly c: number;
  readonly pa: number;
  readonly ta: number;
}

/** A utilisation column and the channel it belongs to. */
export interface UtilizationLayout {
  readonly ch: number;
  readonly col: number;
}

/** Every column of a row for a set of channels. */
export interface RowLayout {
  /** Channels (energy columns 0 … channels - 1). */
  readonly channels: number;
  /** Values per row after the time. */
  readonly columns: number;
  /** f64 per row: the time and the columns. */
  readonly stride: number;
  readonly hybrids: readonly HybridLayout[];
  readonly utilization: readonly UtilizationLayout[];
  /** Column of the settled time (ms). */
  readonly settled: number;
  /** Column of the cumulative unmeasured time (ms). */
  readonly unmeasured: number;
}

/** Row offset of column `col` (the time comes first). */
export const rowOffset = (col: number): number => 1 + col;

/** The layout for these channels: energies, three counter columns per hybrid, utilisation, settled time, unmeasured time. */
export function rowLayout(channels: readonly ChannelInfo[]): RowLayout {
  const k = channels.length;
  const hybrids: HybridLayout[] = [];
  channels.forEach((c, ch) => {
    if (c.counter === undefined) return;
    const first = k + 3 * hybrids.length;
    hybrids.push({ ch, c: first, pa: first + 1, ta: first + 2 });
  });
  const utilization: UtilizationLayout[] = [];
  channels.forEach((c, ch) => { if (c.utilization) utilization.push({ ch, col: k + 3 * hybrids.length + utilization.length }); });
  const settled = k + 3 * hybrids.length + utilization.length;
  const columns = settled + 2;
  return { channels: k, columns, stride: columns + 1, hybrids, utilization, settled, unmeasured: settled + 1 };
}
