// Carbon intensity lookup: upstream's order and pinned figures, minus its known bugs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { intensityFor, sourceText, unknownCloud } from '../src/emissions/intensity.js';
import { OfflineEmissionsTracker } from '../src/offline.js';
import { FakeRapl } from './helpers/sysfs.js';

const kgFor = (kWh: number, q: Parameters<typeof intensityFor>[0]): number => kWh * intensityFor(q).gCo2ePerKwh / 1000;
const near = (actual: number, expected: number, rel = 1e-12): void =>
  assert.ok(Math.abs(actual - expected) <= rel * Math.abs(expected), `${actual} vs ${expected}`);

test('upstream pins: France, no country, SE2, Ontario', () => {
  assert.equal(Math.round(kgFor(1, { countryIsoCode: 'FRA' }) * 1e5) / 1e5, 0.05604);
  assert.equal(kgFor(1, {}), 0.475);
  assert.equal(kgFor(1, { countryIsoCode: 'SWE', region: 'SE2' }), 0.018);
  near(kgFor(3, { countryIsoCode: 'CAN', region: 'ontario' }), 3 * (0.8166885263 * 0.1 + 0.7438415916 * 8.6) / 100.1);
});

test('each step of the order says where its figure came from', () => {
  const pick = (q: Parameters<typeof intensityFor>[0]) => { const r = intensityFor(q); return [r.source, r.year, r.countryIsoCode]; };
  assert.deepEqual(pick({ forceGCo2ePerKwh: 0, countryIsoCode: 'POL' }), ['forced', null, 'POL']); // the figure forced, the country kept
  assert.deepEqual(pick({ cloudProvider: 'gcp', cloudRegion: 'europe-west9', countryIsoCode: 'POL' }), ['cloud-region', 2024, 'FRA']);
  assert.deepEqual(pick({ countryIsoCode: 'USA', region: 'TX' }), ['us-state', 2016, 'USA']);
  assert.deepEqual(pick({ countryIsoCode: 'can', region: 'QC' }), ['canada-province', 2023, 'CAN']);
  assert.deepEqual(pick({ countryIsoCode: 'NOR', region: 'no3' }), ['nordic-zone', 2024, 'NOR']);
  assert.deepEqual(pick({ countryIsoCode: 'SWE', region: 'Stockholm' }), ['country', 2023, 'SWE']);
  assert.deepEqual(pick({ countryIsoCode: 'Germany' }), ['country', 2023, 'DEU']);
  assert.deepEqual(pick({ countryIsoCode: 'de' }), ['country', 2023, 'DEU']);
  assert.deepEqual(pick({ countryIsoCode: 'GB' }), ['country', 2023, 'GBR']);
  assert.deepEqual(pick({ countryIsoCode: 'CAF' }), ['country-mix', 2022, 'CAF']);
  assert.deepEqual(pick({}), ['world-average', 2019, null]);
});

test('regional figures: eGRID states converted from lbs/MWh, Quebec from the mix', () => {
  near(intensityFor({ countryIsoCode: 'USA', region: 'California' }).gCo2ePerKwh, 452.541 * 0.45359237);
  near(intensityFor({ countryIsoCode: 'USA', region: 'west virginia' }).gCo2ePerKwh, 896.2, 1e-3);
  assert.equal(intensityFor({ countryIsoCode: 'CAF' }).gCo2ePerKwh, 26);
  near(intensityFor({ countryIsoCode: 'CAN', region: 'quebec' }).gCo2ePerKwh, 3.937, 1e-3);
});

test('fixed upstream bugs: europe-west10 is Berlin, me-central1 is found (and upstream\'s me-cenrtal1 too), AWS says it fell back', () => {
  const berlin = intensityFor({ cloudProvider: 'gcp', cloudRegion: 'europe-west10' });
  assert.deepEqual([berlin.gCo2ePerKwh, berlin.countryIsoCode], [345, 'DEU']);
  assert.notEqual(intensityFor({ cloudProvider: 'gcp', cloudRegion: 'europe-west1' }).countryIsoCode, 'DEU');
  assert.equal(intensityFor({ cloudProvider: 'gcp', cloudRegion: 'me-central1' }).countryIsoCode, 'QAT');
  // Upstream's own spelling still finds Doha: a config written for CodeCarbon keeps its figure.
  const typo = intensityFor({ cloudProvider: 'gcp', cloudRegion: 'me-cenrtal1' });
  assert.deepEqual([typo.gCo2ePerKwh, typo.countryIsoCode, typo.detail],
    [575, 'QAT', 'gcp region me-cenrtal1 (CodeCarbon\'s spelling of me-central1, Doha), Google Cloud region carbon data']);
  const aws = intensityFor({ cloudProvider: 'aws', cloudRegion: 'eu-west-3', countryIsoCode: 'FRA' });
  assert.equal(aws.source, 'country');
  assert.equal(aws.detail, 'France (FRA), 2023, Our World in Data; aws publishes no grid intensity for eu-west-3, so that of its location (Paris) is used');
});

test('AWS and Azure regions use where they are: the country, or the US state, province or Nordic zone, and say so', () => {
  const virginia = intensityFor({ cloudProvider: 'aws', cloudRegion: 'us-east-1' });
  assert.deepEqual([virginia.source, virginia.countryIsoCode, virginia.gCo2ePerKwh],
    ['us-state', 'USA', intensityFor({ countryIsoCode: 'USA', region: 'virginia' }).gCo2ePerKwh]);
  assert.match(virginia.detail, /^US state virginia \(VA\), EPA eGRID 2016, .*; aws publishes no grid intensity for us-east-1, so that of its location \(N\. Virginia\) is used$/);
  // Where the region is wins over a country given with it (a geolocated IP can be elsewhere).
  assert.equal(intensityFor({ cloudProvider: 'aws', cloudRegion: 'eu-north-1', countryIsoCode: 'USA' }).source, 'nordic-zone');
  assert.equal(intensityFor({ cloudProvider: 'azure', cloudRegion: 'westeurope' }).countryIsoCode, 'NLD');
  assert.equal(intensityFor({ cloudProvider: 'Azure', cloudRegion: 'CanadaEast' }).source, 'canada-province');
  assert.equal(intensityFor({ cloudProvider: 'gcp', cloudRegion: 'europe-north2' }).detail,
    'Nordic bidding zone SE3 (Sweden Bidding Zone 3 (Southern Sweden)), ENTSO-E average 2024; gcp region europe-north2 is not in Google\'s table, so that of its location (Stockholm) is used');
  // A region in no table: the country given, else the world average, and the row says which.
  assert.equal(intensityFor({ cloudProvider: 'aws', cloudRegion: 'xx-new-9', countryIsoCode: 'FRA' }).detail,
    'France (FRA), 2023, Our World in Data; aws publishes no grid intensity for xx-new-9 and its location is not in the tables, so the country given is used');
  assert.equal(intensityFor({ cloudProvider: 'aws', cloudRegion: 'xx-new-9' }).detail,
    'world average (IEA 2019): no country known; aws publishes no grid intensity for xx-new-9 and its location is not in the tables, so no country is used');
});

test('bad inputs: clear errors with the closest valid values', () => {
  assert.throws(() => intensityFor({ countryIsoCode: 'Frnace' }),
    { name: 'ConfigError', message: 'country_iso_code (from argument): unknown country "Frnace"; closest: FRA (France), GRC (Greece), ARE (United Arab Emirates)' });
  assert.throws(() => intensityFor({ countryIsoCode: 'USA', region: 'califrnia' }),
    { message: 'region (from argument): unknown US state "califrnia"; closest: california, arizona, alabama' });
  assert.throws(() => intensityFor({ countryIsoCode: 'CAN', region: 'ontrio' }), { message: /^region \(from argument\): unknown Canadian province "ontrio"; closest: ontario, / });
  assert.throws(() => intensityFor({ cloudProvider: 'gcp' }), { message: 'cloud_region (from argument): a cloud_region is needed with cloud_provider "gcp" (e.g. "europe-west1")' });
  assert.throws(() => intensityFor({ forceGCo2ePerKwh: -1 }), { message: 'force_carbon_intensity_g_co2e_kwh (from argument): expected a number >= 0, got -1' });
});

test('the ember dataset: Ember\'s country figures from CO2.js, labelled, year unknown; regions stay', () => {
  const co2 = JSON.parse(readFileSync(fileURLToPath(new URL('../../node_modules/@tgwf/co2/package.json', import.meta.url)), 'utf8')) as { version: string };
  const fra = intensityFor({ countryIsoCode: 'FRA', dataset: 'ember' });
  assert.deepEqual([fra.dataset, fra.source, fra.year], ['ember', 'country', null]);
  assert.notEqual(fra.gCo2ePerKwh, intensityFor({ countryIsoCode: 'FRA' }).gCo2ePerKwh);
  assert.equal(fra.detail, `France (FRA), Ember yearly average (latest year) via @tgwf/co2 ${co2.version}`);
  const world = intensityFor({ dataset: 'ember' });
  assert.deepEqual([world.source, world.countryIsoCode], ['world-average', null]);
  assert.notEqual(world.gCo2ePerKwh, 475);
  assert.equal(intensityFor({ countryIsoCode: 'USA', region: 'CA', dataset: 'ember' }).source, 'us-state');
});

test('a cloud provider or region in no table is said once by the tracker, with the closest regions; known ones are not', async () => {
  assert.equal(unknownCloud('gcp', 'europe-west9'), null);
  assert.equal(unknownCloud('aws', 'eu-west-3'), null);
  assert.equal(unknownCloud('gcp', 'me-cenrtal1'), null);
  assert.equal(unknownCloud('gcp', 'europe-wst9'), 'cloud_region "europe-wst9" is no gcp region in the tables (closest: europe-west9, europe-west1, '
    + 'europe-west2): the country given (or the world average) is used; check cloud_region');
  assert.match(unknownCloud('gpc', 'europe-west9')!, /^cloud_provider "gpc" is none of gcp, aws, azure: /);
  const rapl = new FakeRapl([{ id: 'intel-rapl:0', name: 'package-0', energyUj: 0 }]);
  const tracker = new OfflineEmissionsTracker({ countryIsoCode: 'FRA', cloudProvider: 'gcp', cloudRegion: 'mars-1', saveToFile: false,
    raplDir: rapl.root }, { env: {} });
  const warnings: string[] = [];
  tracker.addEventListener('warning', (e) => warnings.push((e as Event & { message: string }).message));
  tracker.start();
  await tracker.stop();
  rapl.cleanup();
  assert.equal(warnings.filter((w) => w.startsWith('cloud_region "mars-1" is no gcp region in the tables')).length, 1, warnings.join('\n'));
  assert.equal(tracker.finalEmissionsData!.country_iso_code, 'FRA');
});

test('carbon_intensity_source says the kind, then the detail without repeating it', () => {
  assert.equal(sourceText({ source: 'world-average', detail: 'world average (IEA 2019): no country known' }),
    'world-average (IEA 2019): no country known');
  assert.equal(sourceText({ source: 'world-average', detail: 'world average, Ember yearly average (latest year) via @tgwf/co2 0.19.0' }),
    'world-average, Ember yearly average (latest year) via @tgwf/co2 0.19.0');
  assert.equal(sourceText({ source: 'country', detail: 'France (FRA), 2023' }), 'country: France (FRA), 2023');
});
