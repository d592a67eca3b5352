// null as an argument: "not given" for a key with a default (the environment, a file or the default
// applies, never null where the code needs a value); none, overriding them, for a key without one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { camel, keySpecs } from '../src/config/keys.js';
import { resolveConfig } from '../src/config/resolve.js';
import type { TrackerOptions } from '../src/types.js';
import { lastRow } from './helpers/rows.js';
import { scriptedTracker } from './helpers/scripted.js';
import { fakeTracker } from './helpers/tracker.js';
import { tempDir } from './helpers/sysfs.js';

test('null for every key with a default gives what leaving it out gives: the environment, a file or the default, with its origin', () => {
  const dir = tempDir('cc-null-');
  const file = join(dir, '.codecarbon.config');
  writeFileSync(file, '[codecarbon]\nmeasure_power_secs = 4\ncountry_iso_code = DEU\n');
  const where = { cwd: dir, home: dir, env: { CODECARBON_PUE: '1.5' } };
  const withDefault = keySpecs.filter((s) => s.default !== null).map((s) => camel(s.key));
  const nulls = resolveConfig(Object.fromEntries(withDefault.map((k) => [k, null])), where);
  const none = resolveConfig({}, where);
  assert.deepEqual(nulls.values, none.values);
  assert.deepEqual(nulls.origins, none.origins);
  assert.deepEqual([nulls.values['pue'], nulls.origins['pue']], [1.5, 'environment variable CODECARBON_PUE']);
  assert.deepEqual([nulls.values['measurePowerSecs'], nulls.origins['measurePowerSecs']], [4, `${file}, line 2`]);
  assert.deepEqual([nulls.values['outputFile'], nulls.values['trackingMode'], nulls.values['samplePeriodMs']], ['emissions.csv', 'machine', 100]);
  for (const k of withDefault) assert.notEqual(nulls.values[k], null, k);
  // A key without a default takes null as none, overriding the file (CodeCarbon's explicit None).
  const unset = resolveConfig({ countryIsoCode: null }, where);
  assert.deepEqual([unset.values['countryIsoCode'], unset.origins['countryIsoCode']], [null, 'argument']);
});

test('a tracker given null for pue, measurePowerSecs, outputFile and trackingMode measures with their defaults and writes its row', async (t) => {
  const nulls = { pue: null, measurePowerSecs: null, outputFile: null, trackingMode: null } as unknown as TrackerOptions;
  const { tracker, clock, dir, warnings } = scriptedTracker(t, nulls);
  assert.deepEqual([tracker.options.pue, tracker.options.measurePowerSecs, tracker.options.outputFile, tracker.options.trackingMode],
    [1, 15, 'emissions.csv', 'machine']);
  tracker.start();
  clock.advance(1000);
  await tracker.stop();
  assert.deepEqual(warnings, []);
  const row = lastRow(dir);
  assert.deepEqual([row['pue'], row['tracking_mode']], ['1', 'machine']);
  // 10 W for 1 s on the scripted package.
  assert.ok(Math.abs(Number(row['cpu_energy']) * 3.6e6 - 10) < 1e-9, row['cpu_energy']);
  assert.ok(Number(row['emissions']) > 0);
});

test('the engine\'s periods and ring given null are their defaults (a null period made a busy sampler)', () => {
  const { tracker } = fakeTracker({ samplePeriodMs: null, idleSamplePeriodMs: null, ringCapacity: null } as unknown as TrackerOptions);
  const o = tracker.engineOptions;
  assert.deepEqual([o.samplePeriodMs, o.idleSamplePeriodMs, o.ringCapacity], [100, 2000, 16384]);
});
