// The WebAssembly integrator's counter arithmetic: wraps, resets, glitches, exactness.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { counterDelta, createIntegrator } from '../src/wasm/integrator.js';

const raplRange = 262_143_328_850n;

test('counterDelta: forward, one wrap, reset and out-of-range readings', () => {
  assert.equal(counterDelta(10n, 25n, raplRange, 'debug'), 15n);
  assert.equal(counterDelta(raplRange - 5n, 7n, raplRange, 'debug'), 12n);
  assert.equal(counterDelta(100n, 40n, 0n, 'debug'), -1n);
  assert.equal(counterDelta(10n, raplRange + 1n, raplRange, 'debug'), -2n);
  assert.equal(counterDelta(2n ** 63n, 2n ** 63n + 5n, 0n, 'debug'), 5n);
  assert.equal(counterDelta(0n, 2n ** 63n, 0n, 'debug'), -3n);
});

test('integrator: exact µJ totals across a wrap, starting from the first reading', () => {
  const it = createIntegrator([{ kind: 'counter', maxRange: 105n, maxPowerW: 1e6 }], 'debug');
  const readings = [10n, 50n, 100n, 3n, 60n];
  readings.forEach((v, i) => {
    it.setCounter(0, v);
    assert.equal(it.step(i * 1000), 0);
  });
  assert.equal(it.totalsUj[0], 40 + 50 + 8 + 57);
});

test('integrator: a decrease without a wrap range is refused and counted, never energy', () => {
  const it = createIntegrator([{ kind: 'counter', maxPowerW: 1e6 }], 'debug');
  for (const [i, v] of [1000n, 1500n, 200n, 700n].entries()) {
    it.setCounter(0, v);
    it.step(i * 1000);
  }
  assert.equal(it.totalsUj[0], 500 + 500);
  assert.deepEqual(it.health(0), { rejected: 1, lastError: 'reset', longGaps: 0 });
});

test('integrator: readings a moment apart may hold a whole counter step (50 ms window)', () => {
  const it = createIntegrator([{ kind: 'counter', maxRange: 2n ** 40n, maxPowerW: 100 }], 'debug');
  it.setCounter(0, 0n);
  it.step(0);
  it.setCounter(0, 4_000_000n); // 4 J 0.1 ms later: within 100 W × 50 ms = 5 J
  assert.equal(it.step(0.1), 0);
  it.setCounter(0, 10_000_000n); // 6 J more, again 0.1 ms later: beyond 5 J
  assert.equal(it.step(0.2), 1);
  assert.equal(it.totalsUj[0], 4_000_000);
});

test('integrator: a jump above max power × dt is refused as implausible', () => {
  const it = createIntegrator([{ kind: 'counter', maxRange: 2n ** 40n, maxPowerW: 100 }], 'debug');
  it.setCounter(0, 0n);
  it.step(0);
  it.setCounter(0, 50_000_000n); // 50 J in 1 s at 100 W max: fine
  assert.equal(it.step(1000), 0);
  it.setCounter(0, 500_000_000n); // 450 J in 1 s: impossible
  assert.equal(it.step(2000), 1);
  assert.equal(it.totalsUj[0], 50_000_000);
  assert.equal(it.health(0).lastError, 'implausible');
});

test('integrator: counters above 2^53 keep exact deltas, scaled from mJ to µJ', () => {
  const it = createIntegrator([{ kind: 'counter', scaleUj: 1000, maxPowerW: 1e9 }], 'debug');
  const base = 2n ** 60n + 12345n;
  it.setCounter(0, base);
  it.step(0);
  it.setCounter(0, base + 7n);
  it.step(1000);
  assert.equal(it.totalsUj[0], 7000);
});

test('integrator: a long gap that could hide a second wrap is flagged', () => {
  const it = createIntegrator([{ kind: 'counter', maxRange: 1000n, maxPowerW: 1 }], 'debug');
  it.setCounter(0, 0n);
  it.step(0);
  it.setCounter(0, 10n);
  it.step(2000); // 1 W for 2 s = 2,000,000 µJ possible, the range is 1000 µJ
  assert.equal(it.health(0).longGaps, 1);
});

test('integrator: channels without a reading this tick keep their total', () => {
  const it = createIntegrator([
    { kind: 'counter', maxRange: 1000n, maxPowerW: 1e6 },
    { kind: 'counter', maxRange: 1000n, maxPowerW: 1e6 },
  ], 'debug');
  it.setCounter(0, 0n);
  it.setCounter(1, 0n);
  it.step(0);
  it.setCounter(0, 10n);
  it.step(1000);
  it.setCounter(0, 20n);
  it.setCounter(1, 30n);
  it.step(2000);
  assert.deepEqual([...it.totalsUj], [20, 30]);
});

test('integrator: a counter reading given as a number is the same reading as the bigint, across 32-bit words and up to 15 digits', () => {
  // Readings a file of decimal digits gives as numbers (below 10^15): low words, a carry into the high word, a wrap.
  const range = 999_999_999_999_999n;
  const readings = [4_294_967_290n, 4_294_967_296n, 4_294_967_301n, 2n ** 33n + 7n, range - 3n, 5n, 2n ** 40n];
  for (const build of ['release', 'debug'] as const) {
    const asBig = createIntegrator([{ kind: 'counter', maxRange: range, maxPowerW: 1e12 }], build);
    const asNumber = createIntegrator([{ kind: 'counter', maxRange: range, maxPowerW: 1e12 }], build);
    readings.forEach((v, i) => {
      asBig.setCounter(0, v);
      asNumber.setCounter(0, Number(v));
      assert.equal(asNumber.step(i * 1000), asBig.step(i * 1000));
      assert.equal(asNumber.totalsUj[0], asBig.totalsUj[0], `${build}, reading ${i}`);
    });
    assert.equal(asNumber.totalsUj[0], Number(readings.at(-1)! - readings[0]! + range), build); // one wrap: range − prev + cur
    assert.deepEqual(asNumber.health(0), asBig.health(0));
  }
});
