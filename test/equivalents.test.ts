// Everyday equivalents: carbonboard's US EPA constants in metric units.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { equivalents, equivalentsOfEnergy } from '../src/emissions/equivalents.js';
import { intensityFor } from '../src/emissions/intensity.js';

test('1 kg CO2eq: ~3.93 km by car, ~10.3 h of TV, ~0.62 % of a household week', () => {
  const e = equivalents(1);
  assert.ok(Math.abs(e.carKm - 1.609344 / 0.409) < 1e-12);
  assert.ok(Math.abs(e.tvHours - 1 / 0.097) < 1e-12);
  assert.ok(Math.abs(e.householdWeekPercent - 100 / 160.58) < 1e-12);
  assert.deepEqual(equivalents(0), { carKm: 0, tvHours: 0, householdWeekPercent: 0 });
  assert.throws(() => equivalents(-1), { name: 'RangeError', message: 'equivalents: expected kg CO2eq >= 0, got -1' });
});

test('the same via energy: kWh at an intensity (a number or intensityFor\'s answer)', () => {
  const france = intensityFor({ countryIsoCode: 'FRA' });
  const e = equivalentsOfEnergy(10, france);
  assert.equal(e.kg, (10 * france.gCo2ePerKwh) / 1000);
  assert.deepEqual(equivalentsOfEnergy(2, 475), { kg: 0.95, ...equivalents(0.95) });
  assert.throws(() => equivalentsOfEnergy(Number.NaN, 475), { name: 'RangeError', message: 'equivalentsOfEnergy: expected kWh >= 0, got NaN' });
  assert.throws(() => equivalentsOfEnergy(1, -3), { message: 'equivalentsOfEnergy: expected g CO2eq/kWh >= 0, got -3' });
});
