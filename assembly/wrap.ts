// Counter arithmetic: exact 64-bit deltas of hardware energy counters that wrap.

/** Delta refused: the counter went down and no wrap range is known (a reset, not a wrap). */
export const deltaReset: i64 = -1;
/** Delta refused: a reading above the counter's own wrap range cannot come from the hardware. */
export const deltaOutOfRange: i64 = -2;
/** Delta refused: 2^63 or more in one step is beyond any hardware counter. */
export const deltaImplausible: i64 = -3;

/**
 * Delta from `prev` to `cur` in counter units, allowing one wraparound at `maxRange`
 * (RAPL's max_energy_range_uj: the counter runs 0 … maxRange, then starts again at 0).
 * `maxRange` 0 means the range is unknown, so a decrease cannot be told from a reset.
 * Returns a negative code (deltaReset, deltaOutOfRange, deltaImplausible) when no delta can be known.
 */
export function counterDelta(prev: u64, cur: u64, maxRange: u64): i64 {
  if (maxRange != 0 && (cur > maxRange || prev > maxRange)) return deltaOutOfRange;
  if (cur < prev && maxRange == 0) return deltaReset;
  const delta = cur >= prev ? cur - prev : maxRange - prev + cur;
  return delta >= 0x8000_0000_0000_0000 ? deltaImplausible : <i64>delta;
}
