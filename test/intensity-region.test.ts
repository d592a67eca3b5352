// A region given with a country that has no regional figures: kept in the region column, as
// CodeCarbon keeps it, and one warning that it is not used for the intensity (a typo changes nothing).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { warningInFlagWords } from '../src/cli/flags.js';
import { resolveConfig } from '../src/config/resolve.js';
import { intensityFor } from '../src/emissions/intensity.js';
import type { TrackerOptions } from '../src/types.js';
import { lastRow } from './helpers/rows.js';
import { scriptedTracker } from './helpers/scripted.js';
import { fakeTracker } from './helpers/tracker.js';
import { tempDir } from './helpers/sysfs.js';

const unused = (region: string, origin: string, why: string): string => `region = ${region} (from ${origin}) is not used for the carbon `
  + `intensity: ${why}; the country's figure is used (the region column still says it, as CodeCarbon writes it); check region, or leave it out`;
const noTable = 'the tables have no regional figures for France (FRA), only for US states, Canadian provinces and Nordic bidding zones';

test('--region nowhere with FRA: one warning naming the key and its origin; the row keeps the region and France\'s figure', async (t) => {
  const { tracker, clock, dir, warnings } = scriptedTracker(t, { region: 'nowhere' });
  tracker.start();
  clock.advance(1000);
  await tracker.stop();
  assert.deepEqual(warnings, [unused('nowhere', 'argument', noTable)]);
  const row = lastRow(dir);
  assert.deepEqual([row['region'], row['country_iso_code'], Number(row['carbon_intensity_g_co2e_kwh'])],
    ['nowhere', 'FRA', intensityFor({ countryIsoCode: 'FRA' }).gCo2ePerKwh]);
});

test('from a file or the environment, the warning names where; a Nordic region that is no bidding zone is said with the zones', () => {
  const dir = tempDir('cc-region-');
  const file = join(dir, '.codecarbon.config');
  writeFileSync(file, '[codecarbon]\ncountry_iso_code = France\nregion = Bretagne\n');
  assert.deepEqual(resolveConfig({}, { cwd: dir, home: dir, env: {} }).warnings, [unused('Bretagne', `${file}, line 3`, noTable)]);
  const env = { CODECARBON_COUNTRY_ISO_CODE: 'SWE', CODECARBON_REGION: 'stockholm' };
  assert.deepEqual(resolveConfig({}, { cwd: dir, home: dir, env }).warnings,
    [unused('stockholm', 'environment variable CODECARBON_REGION', 'it is none of Sweden\'s (SWE) Nordic bidding zones (SE1, SE2, SE3, SE4)')]);
});

test('no warning where the region is used, or where it decides nothing (no country, a cloud, a forced figure); an unknown US state is still refused', () => {
  const dir = tempDir('cc-region-');
  const warned = (args: TrackerOptions): readonly string[] => resolveConfig(args as Record<string, unknown>, { cwd: dir, home: dir, env: {} }).warnings;
  for (const args of [{ countryIsoCode: 'USA', region: 'CA' }, { countryIsoCode: 'SWE', region: 'se2' }, { countryIsoCode: 'CAN', region: 'quebec' },
    { countryIsoCode: 'FRA' }, { region: 'nowhere' }, { countryIsoCode: 'FRA', region: 'x', cloudProvider: 'gcp', cloudRegion: 'europe-west1' },
    { countryIsoCode: 'FRA', region: 'x', forceCarbonIntensityGCo2eKwh: 100 }, { countryIsoCode: 'Atlantis', region: 'x' }, { countryIsoCode: 'USA', region: 'nowhere' }]) {
    assert.deepEqual(warned(args), [], JSON.stringify(args));
  }
  assert.throws(() => fakeTracker({ countryIsoCode: 'USA', region: 'nowhere' }), { name: 'ConfigError', message: /^region \(from argument\): unknown US state "nowhere"/ });
});

test('codecarbon monitor says it in the command line\'s words', () => {
  assert.equal(warningInFlagWords(unused('nowhere', 'argument', noTable), { region: '--region' }, new Set(['region'])),
    unused('nowhere', 'argument', noTable).replace('region = nowhere (from argument)', '--region nowhere (from command line)'));
});
