// Per-channel running energy totals: wrap-corrected counters and integrated power, in µJ.
import {
  kStateBytes, kKind, kHasLast, kScaleUj, kMaxRange, kMaxPowerW, kLastRaw, kLastTimeMs,
  kTotalUj, kFracUj, kRejected, kLastError, kLongGaps, kOriginMs,
  kindCounter, kindPower, errReset, errOutOfRange, errImplausible, errInvalidPower,
} from "./layout";
import { counterDelta, deltaReset, deltaOutOfRange } from "./wrap";

/** Shortest interval the implausible-jump test assumes, in s. */
const kMinWindowS: f64 = 0.05;

function refuse(s: usize, code: i32): i32 {
  store<i32>(s + kRejected, load<i32>(s + kRejected) + 1);
  store<i32>(s + kLastError, code);
  return 1;
}

function stepCounter(s: usize, raw: u64, tMs: f64): i32 {
  if (!load<i32>(s + kHasLast)) {
    store<u64>(s + kLastRaw, raw);
    store<i32>(s + kHasLast, 1);
    return 0;
  }
  const maxRange = load<u64>(s + kMaxRange);
  const delta = counterDelta(load<u64>(s + kLastRaw), raw, maxRange);
  // The new reading is the next baseline whether or not this delta is accepted:
  // after a reset or a glitch, energy counts again from the new value.
  store<u64>(s + kLastRaw, raw);
  if (delta < 0) {
    return refuse(s, delta == deltaReset ? errReset : delta == deltaOutOfRange ? errOutOfRange : errImplausible);
  }
  const scale = load<u64>(s + kScaleUj);
  const deltaUj = <u64>delta * scale;
  const dtS = (tMs - load<f64>(s + kLastTimeMs)) / 1000;
  const maxPowerW = load<f64>(s + kMaxPowerW);
  // Counters move in steps (RAPL about every 1 ms, NVML every 100 ms): two readings a fraction of
  // a step apart can see a whole step. The plausibility window is therefore never under 50 ms.
  const windowS = dtS > kMinWindowS ? dtS : kMinWindowS;
  if (<f64>deltaUj > maxPowerW * windowS * 1e6 + <f64>scale) return refuse(s, errImplausible);
  // More than one wrap fits in this interval at max power: the delta is then only a lower bound.
  if (maxRange != 0 && maxPowerW * dtS * 1e6 > <f64>(maxRange * scale)) {
    store<i32>(s + kLongGaps, load<i32>(s + kLongGaps) + 1);
  }
  store<u64>(s + kTotalUj, load<u64>(s + kTotalUj) + deltaUj);
  return 0;
}

function stepPower(s: usize, kind: i32, watts: f64, tMs: f64): i32 {
  if (!(watts >= 0) || watts > load<f64>(s + kMaxPowerW)) return refuse(s, errInvalidPower);
  if (load<i32>(s + kHasLast)) {
    const dtS = (tMs - load<f64>(s + kLastTimeMs)) / 1000;
    const meanW = kind == kindPower ? (load<f64>(s + kLastRaw) + watts) / 2 : watts;
    store<f64>(s + kFracUj, load<f64>(s + kFracUj) + meanW * dtS * 1e6);
  } else {
    // A channel that could not be read at the start mark (a GPU before its library was loaded):
    // its first reading holds back to the mark, an extrapolation the timeline labels.
    const origin = load<f64>(s + kOriginMs);
    if (origin < tMs) store<f64>(s + kFracUj, load<f64>(s + kFracUj) + watts * (tMs - origin) * 1e3);
  }
  store<f64>(s + kLastRaw, watts);
  store<i32>(s + kHasLast, 1);
  return 0;
}

/**
 * Feeds one tick of readings to `n` channels. `raw` holds 8 bytes per channel (u64 counter
 * value or f64 watts, by kind), `ok` one byte per channel (0 = no reading this tick),
 * `totals` receives each channel's cumulative energy in µJ. Returns the readings refused.
 */
export function step(state: usize, n: i32, raw: usize, ok: usize, tMs: f64, totals: usize): i32 {
  let refused = 0;
  for (let i = 0; i < n; i++) {
    const s = state + <usize>(i * kStateBytes);
    if (load<u8>(ok + <usize>i) != 0) {
      const kind = load<i32>(s + kKind);
      const r = kind == kindCounter
        ? stepCounter(s, load<u64>(raw + <usize>(i << 3)), tMs)
        : stepPower(s, kind, load<f64>(raw + <usize>(i << 3)), tMs);
      // A refused reading leaves no valid time base for the next interval, except a counter,
      // whose next delta is measured from the value just read.
      if (r == 0 || kind == kindCounter) store<f64>(s + kLastTimeMs, tMs);
      refused += r;
    }
    store<f64>(totals + <usize>(i << 3), <f64>load<u64>(s + kTotalUj) + load<f64>(s + kFracUj));
  }
  return refused;
}
