// EmissionsTracker: start/stop/flush, restart, run(), await using, tasks, and the numbers in its record.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { parseCsv } from '../src/output/csv.js';
import { columns, taskColumns } from '../src/output/record.js';
import { OfflineEmissionsTracker } from '../src/offline.js';
import { EmissionsTracker } from '../src/tracker.js';
import { fakeTracker } from './helpers/tracker.js';

test('stop() resolves to kg CO2eq = kWh × France\'s 56.039 g/kWh, and writes the record', async () => {
  const { tracker, rapl, dir } = fakeTracker();
  tracker.start();
  await tracker.flush(); // sequenced on the sampler, not on sleeps: its first samples exist
  rapl.write('intel-rapl:0', 100_000); // 0.1 J on the package
  await tracker.flush(); // a sample after the write exists before the stop mark
  const kg = await tracker.stop();
  const rec = tracker.finalEmissionsData!;
  const cpuKwh = 0.1 / 3.6e6;
  assert.ok(Math.abs(Number(rec.cpu_energy) - cpuKwh) < 1e-15, `cpu_energy ${rec.cpu_energy}`);
  assert.equal(rec.cpu_source, 'rapl (measured)');
  assert.equal(rec.ram_source, 'dimm-model (estimate)');
  assert.ok(Math.abs(kg! - Number(rec.energy_consumed) * 0.056039) < 1e-18);
  assert.equal(rec.country_iso_code, 'FRA');
  assert.deepEqual([rec.carbon_intensity_dataset, rec.carbon_intensity_year], ['codecarbon', 2023]);
  assert.equal(rec.python_version, `node ${process.versions.node}`);
  const rows = parseCsv(readFileSync(join(dir, 'emissions.csv'), 'utf8'));
  assert.deepEqual(rows[0], [...columns]);
  assert.equal(rows.length, 4); // two flushes and the stop
  for (const row of rows.slice(1)) assert.equal(row.length, columns.length);
  assert.equal(rows[3]![columns.indexOf('run_id')], tracker.runId);
});

test('flush writes a row and goes on; stop() then start() again is a new run in the same file', async () => {
  const { tracker, dir } = fakeTracker();
  tracker.start();
  assert.ok((await tracker.flush())! >= 0);
  await tracker.stop();
  tracker.start();
  await tracker.stop();
  const rows = parseCsv(readFileSync(join(dir, 'emissions.csv'), 'utf8'));
  assert.equal(rows.length, 4);
  assert.ok(Number(rows[2]![4]) >= Number(rows[1]![4]), 'durations are cumulative');
});

test('run(fn) and await using bracket the work; the function\'s result and errors pass through', async () => {
  const { tracker } = fakeTracker();
  assert.equal(await tracker.run(() => 42), 42);
  await assert.rejects(tracker.run(async () => { throw new Error('boom'); }), /boom/);
  assert.notEqual(tracker.finalEmissionsData, null);
  const second = fakeTracker().tracker;
  {
    await using t = second;
    t.start();
  }
  assert.notEqual(second.finalEmissionsData, null);
});

test('tasks: marks with no I/O, rows in emissions_<experiment>_<run_id>.csv, energies within the run', async () => {
  const { tracker, rapl, dir } = fakeTracker({ experimentName: 'exp' });
  tracker.start();
  await tracker.flush(); // the sampler is up
  let e = 0;
  for (let i = 0; i < 3; i++) {
    tracker.startTask('load');
    e += 1_000_000;
    rapl.write('intel-rapl:0', e);
    await new Promise((r) => setTimeout(r, 60));
    tracker.stopTask('load');
  }
  const outer = tracker.startTask();
  tracker.stopTask();
  assert.equal(outer, 'task_1');
  await tracker.stop();
  const file = readdirSync(dir).find((f) => f.startsWith('emissions_exp_'));
  assert.equal(file, `emissions_exp_${tracker.runId}.csv`);
  const rows = parseCsv(readFileSync(join(dir, file!), 'utf8'));
  assert.deepEqual(rows[0], [...taskColumns]);
  assert.deepEqual(rows.slice(1).map((r) => [r[0], r.at(-3), r.at(-1)]), [['load', 'Y', '1'], ['load', 'Y', '1'], ['load', 'Y', '1'], ['task_1', 'Y', '1']]);
  const cpu = taskColumns.indexOf('cpu_energy');
  const tasksKwh = rows.slice(1).reduce((s, r) => s + Number(r[cpu]), 0);
  assert.ok(tasksKwh > 0 && tasksKwh <= Number(tracker.finalEmissionsData!.cpu_energy) + 1e-18);
});

test('bad construction: offline without a location, a missing output_dir, an unknown option', () => {
  assert.throws(() => new OfflineEmissionsTracker({}, { env: {} }), {
    name: 'ConfigError',
    message: 'country_iso_code (from argument): an offline tracker needs countryIsoCode (an ISO-3 code such as "FRA", or a country name), or cloudProvider with cloudRegion',
  });
  assert.throws(() => new EmissionsTracker({ outputDir: '/nonexistent/dir' }, { env: {} }),
    { message: 'output_dir (from argument): /nonexistent/dir is not an existing directory; create it first' });
  assert.throws(() => new EmissionsTracker({ measurePowerSec: 3 } as never, { env: {} }),
    { message: 'measurePowerSec (from argument): unknown option; did you mean "measurePowerSecs"?' });
});

test('an online tracker whose location cannot be found: world average, no country, one warning', async () => {
  const { tracker } = fakeTracker({ countryIsoCode: null }, EmissionsTracker);
  const warnings: string[] = [];
  tracker.addEventListener('warning', (e) => warnings.push((e as Event & { message: string }).message));
  tracker.start();
  await tracker.stop();
  assert.equal(tracker.intensity.source, 'world-average');
  assert.match(warnings.join('\n'), /location could not be found \(http:\/\/127\.0\.0\.1:1\/: .*\): emissions use the world average \(475 g\/kWh\), no country is assumed/);
  assert.equal(tracker.finalEmissionsData!.carbon_intensity_g_co2e_kwh, 475);
  assert.equal(tracker.finalEmissionsData!.country_iso_code, '');
});

test('an online tracker uses the geolocated country, region and coordinates', async () => {
  const server = createServer((_, res) => res.end(JSON.stringify({ country_code3: 'USA', region: 'California', latitude: '37.75', longitude: '-122.4' })));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/geo`;
    const { tracker } = fakeTracker({ countryIsoCode: null, geojsUrl: url }, EmissionsTracker);
    tracker.start();
    await tracker.stop();
    const r = tracker.finalEmissionsData!;
    assert.deepEqual([r.country_iso_code, r.region, r.latitude, r.longitude, tracker.intensity.source], ['USA', 'california', 37.75, -122.4, 'us-state']);
  } finally {
    server.closeAllConnections();
    server.close();
  }
});

test('past taskRecordsKept, settled tasks fold into one row per name: memory stays bounded', async () => {
  const { tracker, dir } = fakeTracker({ taskRecordsKept: 2 });
  tracker.start();
  for (let i = 0; i < 5; i++) { tracker.startTask('a'); tracker.stopTask('a'); }
  tracker.startTask('b');
  tracker.stopTask('b');
  await tracker.stop();
  const rows = parseCsv(readFileSync(join(dir, `emissions_base_${tracker.runId}.csv`), 'utf8')).slice(1);
  assert.deepEqual(rows.map((r) => [r[0], r.at(-2), r.at(-1)]),
    [['a', 'apportioned', '1'], ['a', 'apportioned', '1'], ['a', 'folded', '3'], ['b', 'folded', '1']]);
});

test('measurement events arrive every measurePowerSecs while someone listens', async () => {
  const { tracker } = fakeTracker({ measurePowerSecs: 0.05 });
  const seen: number[] = [];
  tracker.addEventListener('measurement', (e) => seen.push(Number((e as Event & { record: { duration: number } }).record.duration)));
  tracker.start();
  await tracker.ready(); // a loaded machine can take a while to start the sampler thread: count from there
  await new Promise((r) => setTimeout(r, 300));
  await tracker.stop();
  assert.ok(seen.length >= 3, `${seen.length} events`);
  for (let i = 1; i < seen.length; i++) assert.ok(seen[i]! > seen[i - 1]!);
});

test('Electricity Maps: the latest figure with the auth-token header; on failure the static one, token unseen', async () => {
  const seen: { token?: string; url?: string }[] = [];
  let fail = false;
  const server = createServer((req, res) => {
    seen.push({ token: req.headers['auth-token'] as string, url: req.url });
    if (fail) { res.writeHead(500); res.end(); return; }
    res.end(JSON.stringify({ zone: 'FR', carbonIntensity: 31 }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    const electricitymapsUrl = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    const { tracker } = fakeTracker({ electricitymapsApiToken: 's3cret', electricitymapsUrl });
    tracker.start();
    await tracker.stop();
    assert.deepEqual(seen, [{ token: 's3cret', url: '/v3/carbon-intensity/latest?zone=FR' }]);
    const r = tracker.finalEmissionsData!;
    assert.deepEqual([r.carbon_intensity_g_co2e_kwh, r.carbon_intensity_dataset, r.carbon_intensity_source],
      [31, 'electricitymaps', 'electricity-maps: Electricity Maps, latest, zone FR']);
    fail = true;
    // Another token: the first one's answer is shared by the process for measurePowerSecs.
    const second = fakeTracker({ electricitymapsApiToken: 'other-s3cret', electricitymapsUrl }).tracker;
    const warnings: string[] = [];
    second.addEventListener('warning', (e) => warnings.push((e as Event & { message: string }).message));
    second.start();
    await second.stop();
    assert.deepEqual(warnings, ['Electricity Maps could not be read (HTTP 500): the static figure is used (country) for the rest of '
      + 'this process; check electricitymaps_api_token and electricitymaps_url']);
    assert.equal(second.finalEmissionsData!.carbon_intensity_g_co2e_kwh, 56.039);
    assert.doesNotMatch(JSON.stringify(second.finalEmissionsData) + warnings.join(''), /s3cret/);
  } finally {
    server.closeAllConnections();
    server.close();
  }
});
