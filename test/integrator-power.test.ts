// The WebAssembly integrator's power channels: trapezoid and interval-mean rules.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createIntegrator } from '../src/wasm/integrator.js';

test('power channel: trapezoid rule over a ramp is exact', () => {
  const it = createIntegrator([{ kind: 'power', maxPowerW: 1000 }], 'debug');
  for (let i = 0; i <= 10; i++) {
    it.setPower(0, i * 10);
    it.step(i * 100);
  }
  // 0 → 100 W linearly over 1 s = 50 J
  assert.ok(Math.abs(it.totalsUj[0]! - 50e6) < 1e-3);
});

test('mean-power channel: each reading covers the interval before it', () => {
  const it = createIntegrator([{ kind: 'mean-power', maxPowerW: 1000 }], 'debug');
  it.setPower(0, 999);
  it.step(0);
  it.setPower(0, 10);
  it.step(500);
  it.setPower(0, 20);
  it.step(1500);
  assert.ok(Math.abs(it.totalsUj[0]! - (10 * 0.5 + 20 * 1) * 1e6) < 1e-6);
});

test('power channel: negative, NaN and above-max readings are refused, not integrated', () => {
  const it = createIntegrator([{ kind: 'power', maxPowerW: 500 }], 'debug');
  it.setPower(0, 100);
  it.step(0);
  for (const [i, w] of [-1, Number.NaN, 501].entries()) {
    it.setPower(0, w);
    assert.equal(it.step(100 * (i + 1)), 1);
  }
  it.setPower(0, 100);
  it.step(1000);
  assert.ok(Math.abs(it.totalsUj[0]! - 100e6) < 1e-6);
  assert.deepEqual(it.health(0), { rejected: 3, lastError: 'invalid-power', longGaps: 0 });
});
