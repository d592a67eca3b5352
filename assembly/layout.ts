// Byte layout of the integrator's state in linear memory, shared with src/wasm/integrator.ts.

/** Bytes per channel state record. */
export const kStateBytes: i32 = 96;

/** Offsets inside one channel state record. */
export const kKind: i32 = 0; // i32: kindCounter | kindPower | kindMeanPower
export const kHasLast: i32 = 4; // i32: 1 once a first valid reading exists
export const kScaleUj: i32 = 8; // u64: µJ per counter unit (1 for RAPL µJ, 1000 for NVML mJ)
export const kMaxRange: i32 = 16; // u64: counter wrap range in counter units, 0 = unknown
export const kMaxPowerW: i32 = 24; // f64: the most this channel can plausibly draw
export const kLastRaw: i32 = 32; // u64 counter value, or f64 watts for power channels
export const kLastTimeMs: i32 = 40; // f64: time of the last valid reading
export const kTotalUj: i32 = 48; // u64: exact counter energy so far
export const kFracUj: i32 = 56; // f64: integrated power energy so far
export const kRejected: i32 = 64; // i32: readings refused as impossible
export const kLastError: i32 = 68; // i32: code of the last refusal (errNone … errInvalidPower)
export const kLongGaps: i32 = 72; // i32: intervals long enough to hide a second wrap
export const kOriginMs: i32 = 80; // f64: where a power channel's first reading extends back to (NaN: nowhere)

/** Channel kinds. */
export const kindCounter: i32 = 0; // cumulative counter (RAPL energy_uj, NVML total energy)
export const kindPower: i32 = 1; // instantaneous power samples, trapezoid rule
export const kindMeanPower: i32 = 2; // mean power over the interval since the last reading

/** Refusal codes (kLastError). */
export const errNone: i32 = 0;
export const errReset: i32 = 1; // counter decreased and its wrap range is unknown
export const errOutOfRange: i32 = 2; // reading above the counter's wrap range
export const errImplausible: i32 = 3; // more energy than max power × elapsed time
export const errInvalidPower: i32 = 4; // negative, NaN or above max power
