// Plain TypeScript twin of assembly/: the oracle the WebAssembly integrator is tested against.
import type { ChannelHealth, ChannelSpec, EnergyIntegrator, RejectReason } from './integrator.js';

/** Reference counterDelta: same contract as assembly/wrap.ts. */
export function counterDeltaReference(prev: bigint, cur: bigint, maxRange: bigint): bigint {
  if (maxRange !== 0n && (cur > maxRange || prev > maxRange)) return -2n;
  if (cur < prev && maxRange === 0n) return -1n;
  const delta = cur >= prev ? cur - prev : maxRange - prev + cur;
  return delta >= 2n ** 63n ? -3n : delta;
}

interface State {
  spec: ChannelSpec;
  hasLast: boolean;
  lastRaw: bigint;
  lastW: number;
  lastTimeMs: number;
  totalUj: bigint;
  fracUj: number;
  rejected: number;
  lastError: RejectReason | null;
  longGaps: number;
  originMs: number;
}

/** Reference integrator: same arithmetic as assembly/integrate.ts, with BigInt for u64. */
export class ReferenceIntegrator implements EnergyIntegrator {
  readonly size: number;
  readonly totalsUj: Float64Array;
  readonly #states: State[];
  readonly #pending: (bigint | number | undefined)[];

  constructor(specs: readonly ChannelSpec[]) {
    this.size = specs.length;
    this.totalsUj = new Float64Array(specs.length);
    this.#states = specs.map((spec) => ({
      spec, hasLast: false, lastRaw: 0n, lastW: 0, lastTimeMs: 0, totalUj: 0n, fracUj: 0,
      rejected: 0, lastError: null, longGaps: 0, originMs: Number.NaN,
    }));
    this.#pending = new Array<undefined>(specs.length);
  }

  setCounter(channel: number, value: bigint | number): void {
    this.#pending[channel] = BigInt.asUintN(64, BigInt(value));
  }

  setPower(channel: number, watts: number): void {
    this.#pending[channel] = watts;
  }

  step(tMs: number): number {
    let refused = 0;
    this.#states.forEach((s, i) => {
      const v = this.#pending[i];
      if (v !== undefined) {
        const ok = typeof v === 'bigint' ? this.#counter(s, v, tMs) : this.#power(s, v, tMs);
        if (ok || s.spec.kind === 'counter') s.lastTimeMs = tMs;
        if (!ok) refused++;
      }
      this.totalsUj[i] = Number(s.totalUj) + s.fracUj;
    });
    this.#pending.fill(undefined);
    return refused;
  }

  health(channel: number): ChannelHealth {
    const s = this.#states[channel]!;
    return { rejected: s.rejected, lastError: s.lastError, longGaps: s.longGaps };
  }

  healthStamp(channel: number): number {
    const s = this.#states[channel]!;
    return s.rejected + s.longGaps;
  }

  setOrigin(channel: number, tMs: number): void {
    this.#states[channel]!.originMs = tMs;
  }

  hasReading(channel: number): boolean {
    return this.#states[channel]!.hasLast;
  }

  lastReadingMs(channel: number): number {
    const s = this.#states[channel]!;
    return s.hasLast ? s.lastTimeMs : Number.NaN;
  }

  rebase(channel: number): void {
    this.#states[channel]!.hasLast = false;
    this.#states[channel]!.originMs = Number.NaN;
  }

  #refuse(s: State, reason: RejectReason): false {
    s.rejected++;
    s.lastError = reason;
    return false;
  }

  #counter(s: State, raw: bigint, tMs: number): boolean {
    if (!s.hasLast) {
      s.lastRaw = raw;
      s.hasLast = true;
      return true;
    }
    const maxRange = s.spec.maxRange ?? 0n;
    const delta = counterDeltaReference(s.lastRaw, raw, maxRange);
    s.lastRaw = raw;
    if (delta < 0n) return this.#refuse(s, delta === -1n ? 'reset' : delta === -2n ? 'out-of-range' : 'implausible');
    const scale = BigInt(s.spec.scaleUj ?? 1);
    const deltaUj = BigInt.asUintN(64, delta * scale);
    const dtS = (tMs - s.lastTimeMs) / 1000;
    const maxPowerW = s.spec.maxPowerW;
    const windowS = dtS > 0.05 ? dtS : 0.05;
    if (Number(deltaUj) > maxPowerW * windowS * 1e6 + Number(scale)) return this.#refuse(s, 'implausible');
    if (maxRange !== 0n && maxPowerW * dtS * 1e6 > Number(BigInt.asUintN(64, maxRange * scale))) s.longGaps++;
    s.totalUj = BigInt.asUintN(64, s.totalUj + deltaUj);
    return true;
  }

  #power(s: State, watts: number, tMs: number): boolean {
    if (!(watts >= 0) || watts > s.spec.maxPowerW) return this.#refuse(s, 'invalid-power');
    if (s.hasLast) {
      const dtS = (tMs - s.lastTimeMs) / 1000;
      const meanW = s.spec.kind === 'power' ? (s.lastW + watts) / 2 : watts;
      s.fracUj += meanW * dtS * 1e6;
    } else if (s.originMs < tMs) {
      s.fracUj += watts * (tMs - s.originMs) * 1e3;
    }
    s.lastW = watts;
    s.hasLast = true;
    return true;
  }
}

/** Reference interpolate: same contract as assembly/interpolate.ts. */
export function interpolateReference(slots: Float64Array, nSlots: number, k: number,
  queries: Float64Array, out: Float64Array, extendHead = false): number {
  const stride = k + 1;
  const t = (i: number): number => slots[i * stride]!;
  let clamped = 0;
  queries.forEach((q, j) => {
    let a = -1;
    for (let lo = 0, hi = nSlots - 1; lo <= hi;) {
      const mid = (lo + hi) >> 1;
      if (t(mid) <= q) { a = mid; lo = mid + 1; } else hi = mid - 1;
    }
    let frac = 0;
    if (a < 0) {
      a = 0;
      clamped++;
      if (extendHead && nSlots > 1 && t(1) > t(0)) frac = Math.max((q - t(0)) / (t(1) - t(0)), -Number.MAX_VALUE);
    } else if (a < nSlots - 1) { if (t(a + 1) > t(a)) frac = (q - t(a)) / (t(a + 1) - t(a)); }
    else if (q > t(a)) clamped++;
    for (let c = 0; c < k; c++) {
      const va = slots[a * stride + 1 + c]!;
      out[j * k + c] = frac !== 0 ? va + (slots[(a + 1) * stride + 1 + c]! - va) * frac : va;
    }
  });
  return clamped;
}

/**
 * Reference sumRuns: same contract as assembly/interpolate.ts's (each end read as
 * interpolateReference() reads it; the sums set, not added to).
 */
export function sumRunsReference(slots: Float64Array, nSlots: number, k: number, times: Float64Array, count: number,
  runStarts: Int32Array, out: { energyUj: Float64Array; durationMs: Float64Array; final: Uint8Array },
  o: { originMs: number; settledMs: number; extendHead?: boolean }): void {
  const v = new Float64Array(2 * count * k);
  interpolateReference(slots, nSlots, k, times.subarray(0, 2 * count), v, o.extendHead ?? false);
  for (let m = 0; m < 2 * count; m++) if (times[m] === o.originMs) v.fill(0, m * k, (m + 1) * k);
  runStarts.forEach((from, r) => {
    const to = r + 1 < runStarts.length ? runStarts[r + 1]! : count;
    out.energyUj.fill(0, r * k, (r + 1) * k);
    out.durationMs[r] = 0;
    out.final[r] = 1;
    for (let i = from; i < to; i++) {
      out.durationMs[r] = out.durationMs[r]! + times[2 * i + 1]! - times[2 * i]!;
      if (!(times[2 * i + 1]! <= o.settledMs)) out.final[r] = 0;
      for (let c = 0; c < k; c++) out.energyUj[r * k + c] = out.energyUj[r * k + c]! + Math.max(0, v[(2 * i + 1) * k + c]! - v[2 * i * k + c]!);
    }
  });
}

/**
 * Reference reconcile: same contract as assembly/reconcile.ts, written for reading. Rewrites channel
 * `ch` of each query's interpolated values in `out` from the counter columns C, Pa, tA (columns c, c + 1, c + 2).
 */
export function reconcileReference(slots: Float64Array, nSlots: number, stride: number, k: number, ch: number,
  c: number, queries: Float64Array, out: Float64Array): number {
  const col = (i: number, column: number): number => slots[i * stride + column]!;
  const [cCol, paCol, taCol] = [c + 1, c + 2, c + 3]; // row offsets: the time comes first
  let provisional = 0;
  queries.forEach((q, j) => {
    let a = 0;
    for (let i = 0; i < nSlots; i++) if (col(i, 0) <= q) a = i;
    const ta = col(a, taCol);
    let b = -1;
    for (let i = a + 1; i < nSlots && b < 0; i++) {
      if (!Number.isNaN(col(i, taCol)) && col(i, taCol) !== col(i - 1, taCol)) b = i;
    }
    const p = out[j * k + ch]!;
    if (Number.isNaN(ta)) {
      if (b < 0) provisional++;
      return;
    }
    if (b < 0) {
      out[j * k + ch] = col(a, cCol) + Math.max(0, p - col(a, paCol));
      provisional++;
      return;
    }
    const [ca, pa, cb, pb, tb] = [col(a, cCol), col(a, paCol), col(b, cCol), col(b, paCol), col(b, taCol)];
    let frac = pb > pa ? (p - pa) / (pb - pa) : tb > ta ? (q - ta) / (tb - ta) : 1;
    frac = Math.min(1, Math.max(0, frac));
    out[j * k + ch] = ca + (cb - ca) * frac;
  });
  return provisional;
}
