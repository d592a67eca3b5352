// Batch interpolation of cumulative energy at many mark timestamps over the sample timeline, and
// the sums a fold of many tasks keeps.

/** Index of the last slot whose time is <= q (slots sorted by time, nSlots >= 1), or -1. */
function floorSlot(slots: usize, nSlots: i32, strideBytes: usize, q: f64): i32 {
  let lo = 0;
  let hi = nSlots - 1;
  if (q < load<f64>(slots)) return -1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (load<f64>(slots + <usize>mid * strideBytes) <= q) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/**
 * floorSlot() with a guess: marks mostly come in time order, so the slot of the last one, or the
 * next, is usually it, and no search is made. The same answer as floorSlot() in every case.
 */
function floorSlotNear(slots: usize, nSlots: i32, strideBytes: usize, q: f64, guess: i32): i32 {
  for (let a = guess; a >= 0 && a <= guess + 1 && a < nSlots; a++) {
    if (load<f64>(slots + <usize>a * strideBytes) > q) break;
    if (a == nSlots - 1 || q < load<f64>(slots + <usize>(a + 1) * strideBytes)) return a;
  }
  return floorSlot(slots, nSlots, strideBytes, q);
}

/** The fraction of the way from locate()'s slot to the next, for its query. */
let locatedFrac: f64 = 0.0;
/** Whether locate()'s query fell outside the slots' span. */
let locatedOutside = false;

/**
 * The slot a query's values start from (a clamped index), its fraction to the next slot in
 * locatedFrac and whether it lies outside the slots in locatedOutside; `guess`: the last query's slot.
 */
function locate(slots: usize, nSlots: i32, strideBytes: usize, q: f64, guess: i32, extendHead: i32): i32 {
  let a = floorSlotNear(slots, nSlots, strideBytes, q, guess);
  let frac = 0.0;
  let outside = false;
  if (a < 0) {
    a = 0;
    outside = true;
    if (extendHead != 0 && nSlots > 1) {
      const t0 = load<f64>(slots);
      const t1 = load<f64>(slots + strideBytes);
      // Negative: before the first sample. A span too small to divide by gives the most negative
      // finite share, so that values stay monotone in time.
      if (t1 > t0) frac = max<f64>((q - t0) / (t1 - t0), -f64.MAX_VALUE);
    }
  } else if (a < nSlots - 1) {
    const ta = load<f64>(slots + <usize>a * strideBytes);
    const tb = load<f64>(slots + <usize>(a + 1) * strideBytes);
    if (tb > ta) frac = (q - ta) / (tb - ta);
  } else if (q > load<f64>(slots + <usize>a * strideBytes)) {
    outside = true;
  }
  locatedFrac = frac;
  locatedOutside = outside;
  return a;
}

/** Channel `c`'s value at slot `a` and fraction `frac` on to the next slot. */
// @ts-ignore: decorator
@inline function valueAt(slots: usize, strideBytes: usize, a: i32, frac: f64, c: i32): f64 {
  const pa = slots + <usize>a * strideBytes + 8 + (<usize>c << 3);
  const va = load<f64>(pa);
  return frac != 0 ? va + (load<f64>(pa + strideBytes) - va) * frac : va;
}

/**
 * Cumulative values of `k` channels at `nq` query times. Slots are slot-major, `stride` f64
 * each: [tMs, v0 … v(k-1), …], sorted by time. Writes k f64 per query to `out`. A query
 * outside the slots' time span takes the nearest slot's values, except one before the first
 * slot when `extendHead` is set (the slots start at the very first sample): it continues the
 * first interval's slope backwards, an extrapolation. Returns how many queries fell outside the
 * span. With `floors` non-zero, each query's slot index (i32) is stored there too.
 */
export function interpolate(
  slots: usize, nSlots: i32, stride: i32, k: i32, queries: usize, nq: i32, out: usize, floors: usize, extendHead: i32,
): i32 {
  const strideBytes = <usize>stride << 3;
  let clamped = 0;
  let a = 0;
  for (let j = 0; j < nq; j++) {
    const q = load<f64>(queries + (<usize>j << 3));
    const dst = out + (<usize>(j * k) << 3);
    a = locate(slots, nSlots, strideBytes, q, a, extendHead);
    const frac = locatedFrac;
    if (locatedOutside) clamped++;
    if (floors != 0) store<i32>(floors + (<usize>j << 2), a); // for reconcile(), which needs the same slot
    for (let c = 0; c < k; c++) store<f64>(dst + (<usize>c << 3), valueAt(slots, strideBytes, a, frac, c));
  }
  return clamped;
}

/**
 * What a fold keeps of `nPairs` intervals, given as [start, end] pairs at `times`, in runs (run r
 * from pair runStarts[r] (i32) to the next run's start): per run, each interval's energy per channel
 * (max(0, end value - start value) as interpolate() gives them; a value at `originMs` is 0) added
 * to `outEnergy` (k f64 per run), the durations added to `outDuration` (f64 per run), and
 * `outFinal` (i32 per run) set to 0 when an interval ends after `settledMs`: the caller zeroes the
 * sums and sets the flags to 1, then adds chunk after chunk. Channels without reconciliation only
 * (a hybrid channel's values need reconcile()).
 */
export function sumRuns(
  slots: usize, nSlots: i32, stride: i32, k: i32, times: usize, nPairs: i32, runStarts: usize, nRuns: i32,
  originMs: f64, settledMs: f64, extendHead: i32, outEnergy: usize, outDuration: usize, outFinal: usize,
): void {
  const strideBytes = <usize>stride << 3;
  let a = 0;
  for (let r = 0; r < nRuns; r++) {
    const from = load<i32>(runStarts + (<usize>r << 2));
    const to = r + 1 < nRuns ? load<i32>(runStarts + (<usize>(r + 1) << 2)) : nPairs;
    const e = outEnergy + (<usize>(r * k) << 3);
    let duration = 0.0;
    let final = 1;
    for (let i = from; i < to; i++) {
      const t0 = load<f64>(times + (<usize>(2 * i) << 3));
      const t1 = load<f64>(times + (<usize>(2 * i + 1) << 3));
      const a0 = locate(slots, nSlots, strideBytes, t0, a, extendHead);
      const f0 = locatedFrac;
      a = locate(slots, nSlots, strideBytes, t1, a0, extendHead);
      const f1 = locatedFrac;
      duration += t1 - t0;
      if (!(t1 <= settledMs)) final = 0;
      for (let c = 0; c < k; c++) {
        const v0 = t0 == originMs ? 0.0 : valueAt(slots, strideBytes, a0, f0, c);
        const v1 = t1 == originMs ? 0.0 : valueAt(slots, strideBytes, a, f1, c);
        const p = e + (<usize>c << 3);
        store<f64>(p, load<f64>(p) + max<f64>(0.0, v1 - v0));
      }
    }
    store<f64>(outDuration + (<usize>r << 3), load<f64>(outDuration + (<usize>r << 3)) + duration);
    if (final == 0) store<i32>(outFinal + (<usize>r << 2), 0);
  }
}
