// RAM power: CodeCarbon 3's DIMM model, kept where it is monotonic and made monotonic where not.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { dimmCount, dimmModelW } from '../src/sources/ram.js';

// A failing property's own error in the report (fast-check 4 otherwise keeps it in `cause`, which the test reporter does not print).
fc.configureGlobal({ ...fc.readConfigureGlobal(), includeErrorInReport: true });

test('upstream figures: 10, 20, 38, 58 and 70 W', () => {
  assert.equal(dimmModelW(8, false), 10);
  assert.equal(dimmModelW(16, false), 10);
  assert.equal(dimmModelW(32, false), 20);
  assert.equal(dimmModelW(128, false), 38);
  assert.equal(dimmModelW(200, false), 58);
  assert.equal(dimmModelW(251.5, false), 70);
  assert.equal(dimmModelW(2048, false), 70);
});

test('256 GiB no longer drops to 38 W below 251.5 GiB\'s 70 W', () => {
  assert.equal(dimmCount(256), 16);
  assert.equal(dimmModelW(256, false), 70);
});

test('ARM: 1.5 W per DIMM with a 3 W floor', () => {
  assert.equal(dimmModelW(4, true), 3);
  assert.equal(dimmModelW(64, true), 6);
});

test('power never decreases as memory grows', () => {
  fc.assert(fc.property(fc.double({ min: 0, max: 8192, noNaN: true }), fc.double({ min: 0, max: 8192, noNaN: true }), (a, b) => {
    const [lo, hi] = a <= b ? [a, b] : [b, a];
    assert.ok(dimmModelW(lo, false) <= dimmModelW(hi, false));
    assert.ok(dimmCount(hi) <= 32);
  }));
});
