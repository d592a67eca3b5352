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
import type { TrackerOptions } from '../src/types.js';
import { ScriptedClock, ScriptedRapl } from './helpers/scripted.js';
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

/** A tracker on a clock the test drives, over a RAPL package drawing `watts`. */
function scriptedTracker(t: import('node:test').TestContext, options: TrackerOptions = {}, watts = 10) {
  const clock = new ScriptedClock(1000);
  const hw = new ScriptedRapl(1, watts, undefined, clock);
  t.after(hw.forTrackers());
  const { tracker, dir } = fakeTracker({ raplDir: hw.root, forceRamPower: 1e-6, samplePeriodMs: 60_000, ...options });
  return { tracker, dir, clock, hw };
}

/** The rows of a CSV file as objects keyed by its header. */
function rowsOf(path: string): Record<string, string>[] {
  const [header, ...rows] = parseCsv(readFileSync(path, 'utf8'));
  return rows.map((r) => Object.fromEntries(header!.map((c, i) => [c, r[i]!])));
}

for (const onCsvWrite of ['append', 'update'] as const) {
  test(`flush writes the record so far and goes on; stop() then start() is a new run with its own run_id (on_csv_write = ${onCsvWrite})`, async (t) => {
    const { tracker, dir, clock } = scriptedTracker(t, { onCsvWrite, experimentName: 'restart' });
    tracker.start();
    clock.advance(100);
    const kg = await tracker.flush();
    assert.equal(typeof kg, 'number');
    const wantKg = (10 * 0.1 / 3.6e6) * 0.056039; // 1 J at France's 56.039 g/kWh
    assert.ok(Math.abs(kg! - wantKg) < 1e-6 * wantKg, `flush: ${kg} kg vs ${wantKg}`);
    clock.advance(100);
    await tracker.stop();
    const first = tracker.runId;
    tracker.start();
    clock.advance(50);
    tracker.startTask('second');
    clock.advance(50);
    tracker.stopTask('second');
    await tracker.stop();
    assert.notEqual(tracker.runId, first);
    const rows = rowsOf(join(dir, 'emissions.csv'));
    const expect = onCsvWrite === 'append' ? [[first, 0.1], [first, 0.2], [tracker.runId, 0.1]] : [[first, 0.2], [tracker.runId, 0.1]];
    assert.deepEqual(rows.map((r) => [r['run_id'], Math.round(Number(r['duration']) * 1e9) / 1e9]), expect);
    for (const r of rows) assert.ok(Math.abs(Number(r['cpu_energy']) * 3.6e6 - 10 * Number(r['duration'])) < 1e-6, `${r['cpu_energy']}`);
    // Each run has its own task file: the first had no task.
    assert.deepEqual(readdirSync(dir).filter((f) => f.startsWith('emissions_restart_')), [`emissions_restart_${tracker.runId}.csv`]);
  });
}

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

test('tasks: marks with no I/O, rows in emissions_<experiment>_<run_id>.csv with each task\'s own energy', async (t) => {
  const { tracker, dir, clock, hw } = scriptedTracker(t, { experimentName: 'exp' }, 0);
  tracker.start();
  const spans: [number, number][] = [];
  for (let i = 0; i < 3; i++) {
    // A sample at each power step: between two samples the power is steady, and marks interpolate exactly.
    await tracker.sampler!.sampleNow();
    hw.setWatts(10 * (i + 1));
    tracker.startTask('load');
    const from = clock.ms;
    clock.advance(60);
    await tracker.sampler!.sampleNow(); // the task's end falls between two samples or on one: both are exact
    clock.advance(i * 20);
    tracker.stopTask('load');
    spans.push([from, clock.ms]);
  }
  const outer = tracker.startTask();
  tracker.stopTask();
  assert.equal(outer, 'task_1');
  await tracker.stop();
  const file = readdirSync(dir).find((f) => f.startsWith('emissions_exp_'));
  assert.equal(file, `emissions_exp_${tracker.runId}.csv`);
  const rows = rowsOf(join(dir, file!));
  assert.deepEqual(Object.keys(rows[0]!), [...taskColumns]);
  assert.deepEqual(rows.map((r) => [r['task_name'], r['final'], r['task_count']]), [['load', 'Y', '1'], ['load', 'Y', '1'], ['load', 'Y', '1'], ['task_1', 'Y', '1']]);
  spans.forEach(([from, to], i) => {
    const truthJ = hw.truthJ(from, to);
    const j = Number(rows[i]!['cpu_energy']) * 3.6e6;
    assert.ok(Math.abs(j - truthJ) < 1e-5, `task ${i}: ${j} J vs ${truthJ} J`);
    assert.ok(truthJ > 0);
  });
  assert.equal(Number(rows[3]!['cpu_energy']), 0); // a task of no time: no energy, and not a figure made up
  assert.equal(rows[3]!['duration'], '0');
});

test('bad construction: offline without a location, a missing output_dir, an unknown option', () => {
  assert.throws(() => new OfflineEmissionsTracker({}, { env: {} }), {
    name: 'ConfigError',
    message: 'country_iso_code (from default): an offline tracker needs countryIsoCode (an ISO-3 code such as "FRA", or a country name), or cloudProvider with cloudRegion '
      + '(in a config file: country_iso_code, or cloud_provider with cloud_region)',
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
    // Of the answer, not the time-out (2 s by default, which a loaded machine can pass).
    const { tracker } = fakeTracker({ countryIsoCode: null, geojsUrl: url, locationTimeoutMs: 30_000 }, EmissionsTracker);
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
  assert.deepEqual(rows.map((r) => [r[0], r.at(-3), r.at(-2), r.at(-1)]),
    [['a', 'apportioned', '1', 'stopTask'], ['a', 'apportioned', '1', 'stopTask'], ['a', 'folded', '3', 'stopTask'], ['b', 'folded', '1', 'stopTask']]);
});

test('measurement events arrive every measurePowerSecs while someone listens, each later than the last', async () => {
  const { tracker } = fakeTracker({ measurePowerSecs: 0.05 });
  const seen: number[] = [];
  // Real time (a timer): counted by events, not by how many fit in a time span on a busy machine.
  const three = new Promise<void>((resolve) => tracker.addEventListener('measurement', (e) => {
    seen.push(Number((e as Event & { record: { duration: number } }).record.duration));
    if (seen.length === 3) resolve();
  }));
  tracker.start();
  const keepAlive = setInterval(() => {}, 1000); // the measurement timer is unreferenced: it never holds a program open
  await three;
  clearInterval(keepAlive);
  await tracker.stop();
  for (let i = 1; i < seen.length; i++) assert.ok(seen[i]! > seen[i - 1]!, `durations ${seen.join(', ')}`);
  assert.ok(seen[0]! > 0);
});

test('current() and measurements pair energy and duration over one span: a steady 10 W reads 10 W while the sampler waits', async (t) => {
  // No sample comes unless asked for (a 60 s period): as while an idle process is sampled every 2 s.
  const { tracker, clock } = scriptedTracker(t, { measurePowerSecs: 0.05, forceRamPower: 1e-6 });
  tracker.start();
  await tracker.ready();
  clock.advance(500);
  await tracker.sampler!.sampleNow();
  clock.advance(500);
  const r = tracker.current()!;
  assert.deepEqual([r.duration, Math.round(Number(r.cpu_power) * 1e9) / 1e9], [0.5, 10], 'as of the newest sample');
  // A measurement is taken at its moment: the sample after it is waited for.
  const keepAlive = setInterval(() => {}, 1000); // the measurement timer is unreferenced
  const m = await new Promise<Record<string, unknown>>((resolve) => tracker.addEventListener('measurement', (e) => {
    const record = (e as Event & { record: Record<string, unknown> }).record;
    if (Number(record['duration']) >= 1) resolve(record);
  }));
  clearInterval(keepAlive);
  assert.deepEqual([m['duration'], Math.round(Number(m['cpu_power']) * 1e9) / 1e9], [1, 10]);
  await tracker.stop();
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
    // country_2letter_iso_code is the zone asked for, as upstream's countryCode.
    fail = false;
    const zoned = fakeTracker({ electricitymapsApiToken: 'zoned-s3cret', electricitymapsUrl, country2letterIsoCode: 'BE' }).tracker;
    zoned.start();
    await zoned.stop();
    assert.equal(seen.at(-1)!.url, '/v3/carbon-intensity/latest?zone=BE');
  } finally {
    server.closeAllConnections();
    server.close();
  }
});

test('a run restarted while the last one\'s task file is still being written: that file holds the last run\'s tasks, not the new one\'s', async (t) => {
  const { tracker, dir, clock } = scriptedTracker(t, { experimentName: 'rewrite' });
  tracker.start();
  await tracker.sampler!.sampleNow();
  // Enough rows for the file to be written a piece per turn of the event loop (writeChunk rows each).
  for (let i = 0; i < 50_000; i++) {
    tracker.startTask('first');
    clock.advance(1);
    tracker.stopTask('first');
  }
  const firstRun = (): string | null => tracker.runId;
  const stopping = tracker.stop();
  while (tracker.finalEmissionsData === null) await new Promise((r) => setImmediate(r));
  const runId = firstRun();
  // The new run's tasks land where the last run's marks were (the arena lent to its book anew), as
  // many: the old file's rows still to be written would read them if its marks were not its own.
  tracker.start();
  for (let i = 0; i < 50_000; i++) {
    tracker.startTask('second');
    clock.advance(500);
    tracker.stopTask('second');
  }
  await stopping;
  await tracker.stop();
  const rows = rowsOf(join(dir, `emissions_rewrite_${runId}.csv`));
  assert.equal(rows.length, 50_000);
  // Each 1 ms at the package's steady 10 W: 0.01 J.
  const wrong = rows.findIndex((r) => r['task_name'] !== 'first' || r['duration'] !== '0.001' || !(Math.abs(Number(r['cpu_energy']) * 3.6e6 - 0.01) < 1e-9));
  assert.equal(wrong, -1, `row ${wrong}: ${JSON.stringify(rows[wrong])}`);
  const second = rowsOf(join(dir, `emissions_rewrite_${tracker.runId}.csv`));
  assert.deepEqual([second.length, second[0]!['task_name'], second.at(-1)!['duration']], [50_000, 'second', '0.5']);
});
