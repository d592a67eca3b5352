// Batch interpolation of cumulative energy at many mark timestamps over the sample timeline.

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
  for (let j = 0; j < nq; j++) {
    const q = load<f64>(queries + (<usize>j << 3));
    const dst = out + (<usize>(j * k) << 3);
    let a = floorSlot(slots, nSlots, strideBytes, q);
    let frac = 0.0;
    if (a < 0) {
      a = 0;
      clamped++;
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
      clamped++;
    }
    if (floors != 0) store<i32>(floors + (<usize>j << 2), a); // for reconcile(), which needs the same slot
    const pa = slots + <usize>a * strideBytes + 8;
    for (let c = 0; c < k; c++) {
      const va = load<f64>(pa + (<usize>c << 3));
      let v = va;
      if (frac != 0) v = va + (load<f64>(pa + strideBytes + (<usize>c << 3)) - va) * frac;
      store<f64>(dst + (<usize>c << 3), v);
    }
  }
  return clamped;
}
