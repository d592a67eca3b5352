// Hybrid GPU channels: the energy counter's exact deltas spread over time by the power samples.
//
// A hybrid channel's column holds the integrated power P (µJ, cumulative); three more columns
// hold, as of each sample, the counter's cumulative energy C at its last reading, P at that
// reading (Pa) and its time (tA, NaN before the first). Between two counter readings a and b, the
// energy at time t is C(a) + (C(b) - C(a)) × (P(t) - Pa(a)) / (Pa(b) - Pa(a)): exact at every
// counter reading, shaped by the power samples in between. After the last reading it is
// C(a) + P(t) - Pa(a), power-integrated and provisional until the next reading.

/**
 * Rewrites channel `ch` of each of `nq` query results in `out` (k f64 per query, the interpolated
 * P already there) with the reconciled energy. `c` is the column of C (Pa, tA follow: sampler/layout.ts) in slots
 * laid out [tMs, columns…] with `stride` f64 each. `floors` holds each query's slot, as
 * interpolate() stored it; `next` is scratch for nSlots i32. Returns how many queries are
 * provisional (no counter reading after them in these slots).
 */
export function reconcile(
  slots: usize, nSlots: i32, stride: i32, k: i32, ch: i32, c: i32,
  queries: usize, nq: i32, out: usize, floors: usize, next: usize,
): i32 {
  const strideBytes = <usize>stride << 3;
  const cOff = <usize>(c + 1) << 3; // row offset: the time comes first
  const paOff = cOff + 8;
  const taOff = cOff + 16;
  // next[i]: the first slot after i holding a newer counter reading, or -1.
  let after = -1;
  for (let i = nSlots - 1; i >= 0; i--) {
    store<i32>(next + (<usize>i << 2), after);
    if (i > 0) {
      const ta = load<f64>(slots + <usize>i * strideBytes + taOff);
      const tb = load<f64>(slots + <usize>(i - 1) * strideBytes + taOff);
      if (ta == ta && ta != tb) after = i; // tA is NaN before the first reading
    }
  }
  let provisional = 0;
  for (let j = 0; j < nq; j++) {
    const q = load<f64>(queries + (<usize>j << 3));
    const dst = out + (<usize>(j * k + ch) << 3);
    const p = load<f64>(dst);
    const a = load<i32>(floors + (<usize>j << 2));
    const sa = slots + <usize>a * strideBytes;
    const ta = load<f64>(sa + taOff);
    const b = load<i32>(next + (<usize>a << 2));
    if (ta != ta) {
      // Before the first counter reading: power alone, which the first reading continues from.
      if (b < 0) provisional++;
      continue;
    }
    const ca = load<f64>(sa + cOff);
    const pa = load<f64>(sa + paOff);
    if (b < 0) {
      store<f64>(dst, ca + (p > pa ? p - pa : 0.0));
      provisional++;
      continue;
    }
    const sb = slots + <usize>b * strideBytes;
    const cb = load<f64>(sb + cOff);
    const pb = load<f64>(sb + paOff);
    let frac: f64;
    if (pb > pa) frac = (p - pa) / (pb - pa);
    else {
      const tb = load<f64>(sb + taOff);
      frac = tb > ta ? (q - ta) / (tb - ta) : 1.0; // no power seen: spread by time
    }
    if (frac < 0) frac = 0;
    if (frac > 1) frac = 1;
    store<f64>(dst, ca + (cb - ca) * frac);
  }
  return provisional;
}
