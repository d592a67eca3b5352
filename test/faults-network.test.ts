// Lookups on a bad network (services that never answer, fail at once or answer garbage): no call,
// flush or stop() waits more than about one time-out, once per process; one warning; a row each.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ServerResponse } from 'node:http';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { trackEmissions, type TrackEmissionsOptions } from '../src/decorator.js';
import { locate } from '../src/emissions/location.js';
import { OfflineEmissionsTracker } from '../src/offline.js';
import { parseCsv } from '../src/output/csv.js';
import { EmissionsTracker } from '../src/tracker.js';
import { failingServer, garbageServer, httpServer, silentServer, type LocalServer } from './helpers/servers.js';
import { FakeRapl, tempDir } from './helpers/sysfs.js';
import { fakeTracker } from './helpers/tracker.js';

/** Every request's own time-out in these tests; what a test waits for is bounded from it, generously. */
const timeoutMs = 200;
const bound = 10 * timeoutMs;
const fix = 'set countryIsoCode (codecarbon monitor --offline --country-iso-code XXX)';
const pendingWarning = `this machine's location was not found within location_timeout_ms (${timeoutMs} ms; geojs, then ipinfo, are still `
  + `being asked): until it is, emissions use the world average (475 g/kWh), said in carbon_intensity_source; no country is assumed; ${fix}`;
const worldAverage = /^world-average \(IEA 2019\): no country known \(the location lookup (had not answered when this was written|failed)\)$/;

/** Servers and dirs closed and removed after the test. */
function cleanup(t: TestContext, ...things: (LocalServer | FakeRapl | string)[]): void {
  t.after(async () => {
    for (const x of things) {
      if (typeof x === 'string') rmSync(x, { recursive: true, force: true });
      else if (x instanceof FakeRapl) x.cleanup();
      else await x.close();
    }
  });
}

/** The CSV's rows as objects. */
function rows(dir: string): Record<string, string>[] {
  const [header, ...body] = parseCsv(readFileSync(join(dir, 'emissions.csv'), 'utf8'));
  return body.map((r) => Object.fromEntries(header!.map((h, i) => [h, r[i]!])));
}

/** No number in a row is negative or NaN. */
function assertSane(row: Record<string, string>): void {
  for (const k of ['duration', 'emissions', 'emissions_rate', 'energy_consumed', 'cpu_energy', 'ram_energy', 'carbon_intensity_g_co2e_kwh']) {
    const v = Number(row[k]);
    assert.ok(Number.isFinite(v) && v >= 0, `${k} = ${row[k]}`);
  }
}

/** What console.warn prints while `fn` runs (decorated calls have no listener: they print). */
async function printed(fn: () => Promise<void>): Promise<string[]> {
  const lines: string[] = [];
  const original = console.warn;
  console.warn = (...args: unknown[]) => { lines.push(args.join(' ')); };
  try {
    await fn();
  } finally {
    console.warn = original;
  }
  return lines;
}

/**
 * Decorated-call options over a fake RAPL tree, with the sampler already running (a loaded machine
 * can take a while to start its thread: that is not what these tests time).
 */
async function decorated(t: TestContext, extra: TrackEmissionsOptions): Promise<{ dir: string; options: TrackEmissionsOptions }> {
  const rapl = new FakeRapl([{ id: 'intel-rapl:0', name: 'package-0', energyUj: 0 }]);
  const dir = tempDir('cc-net-');
  const warmDir = tempDir('cc-net-warm-');
  const warm = new OfflineEmissionsTracker({ countryIsoCode: 'FRA', outputDir: warmDir, raplDir: rapl.root, samplePeriodMs: 50, logLevel: 'error' },
    { env: {}, cwd: warmDir, home: warmDir });
  warm.start();
  await warm.ready();
  t.after(() => warm.stop());
  cleanup(t, rapl, dir, warmDir);
  return { dir, options: { outputDir: dir, raplDir: rapl.root, samplePeriodMs: 50, logLevel: 'warning', locationCacheFile: '', ...extra } };
}

test('location and cloud services that accept and never answer: five decorated calls wait one time-out in all, warn once', async (t) => {
  const geo = await silentServer();
  const cloud = await silentServer();
  cleanup(t, geo, cloud);
  const { dir, options } = await decorated(t, { geojsUrl: `${geo.url}/geo`, ipinfoUrl: `${geo.url}/ipinfo`, cloudMetadataUrl: cloud.url,
    locationTimeoutMs: timeoutMs, cloudMetadataTimeoutMs: timeoutMs });
  const work = trackEmissions(async (n: number) => n + 1, options);
  let elapsedMs = 0;
  const lines = await printed(async () => {
    const t0 = performance.now();
    for (let i = 0; i < 5; i++) assert.equal(await work(i), i + 1);
    elapsedMs = performance.now() - t0;
  });
  assert.ok(elapsedMs < bound, `five calls took ${elapsedMs} ms`);
  assert.deepEqual(lines, [`[codecarbon WARNING] ${pendingWarning}`]);
  const written = rows(dir);
  assert.equal(written.length, 5);
  assert.equal(new Set(written.map((r) => r['run_id'])).size, 5);
  for (const r of written) {
    assertSane(r);
    assert.deepEqual([r['carbon_intensity_g_co2e_kwh'], r['country_iso_code']], ['475', '']);
    assert.match(r['carbon_intensity_source']!, worldAverage);
  }
  // Asked once for the process: at most the one lookup's requests (two tries per service).
  assert.ok(geo.seen.filter((s) => s === 'GET /geo').length <= 2, geo.seen.join(', '));
  assert.ok(geo.seen.filter((s) => s === 'GET /ipinfo').length <= 2, geo.seen.join(', '));
});

test('flush() and stop() on a silent network: each bounded, a row each, one warning to the listener', async (t) => {
  const geo = await silentServer();
  cleanup(t, geo);
  const { tracker, rapl, dir } = fakeTracker({ countryIsoCode: null, geojsUrl: `${geo.url}/geo`, ipinfoUrl: `${geo.url}/ipinfo`,
    cloudMetadataUrl: geo.url, locationTimeoutMs: timeoutMs, cloudMetadataTimeoutMs: timeoutMs }, EmissionsTracker);
  cleanup(t, rapl, dir);
  const warnings: string[] = [];
  tracker.addEventListener('warning', (e) => warnings.push((e as Event & { message: string }).message));
  tracker.start();
  await tracker.ready();
  for (const step of [() => tracker.flush(), () => tracker.flush(), () => tracker.stop()]) {
    const t0 = performance.now();
    const kg = await step();
    const ms = performance.now() - t0;
    assert.ok(ms < bound, `${ms} ms`);
    assert.ok(kg !== null && Number.isFinite(kg) && kg >= 0, String(kg));
  }
  assert.deepEqual(warnings, [pendingWarning]);
  const written = rows(dir);
  assert.equal(written.length, 3);
  for (const r of written) {
    assertSane(r);
    assert.match(r['carbon_intensity_source']!, worldAverage);
  }
});

test('a forced intensity: the figure is the one forced, the country still looked up and written (as upstream), no world-average warning', async (t) => {
  const geo = await httpServer((req, res) => {
    if (req.url?.startsWith('/geo') === true) res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ country_code3: 'FRA', region: 'Bretagne' }));
    else res.writeHead(404).end();
  });
  cleanup(t, geo);
  const { tracker, rapl, dir } = fakeTracker({ countryIsoCode: null, forceCarbonIntensityGCo2eKwh: 100, geojsUrl: `${geo.url}/geo`,
    ipinfoUrl: `${geo.url}/ipinfo`, cloudMetadataUrl: geo.url, locationTimeoutMs: 30_000, cloudMetadataTimeoutMs: 30_000 }, EmissionsTracker);
  cleanup(t, rapl, dir);
  const warnings: string[] = [];
  tracker.addEventListener('warning', (e) => warnings.push((e as Event & { message: string }).message));
  tracker.start();
  await tracker.stop();
  const [row] = rows(dir);
  assert.deepEqual([row!['carbon_intensity_g_co2e_kwh'], row!['carbon_intensity_source'], row!['country_iso_code'], row!['country_name'], row!['region']],
    ['100', 'forced: force_carbon_intensity_g_co2e_kwh', 'FRA', 'France', 'bretagne']);
  assert.deepEqual(warnings, []);
  const offline = fakeTracker({ countryIsoCode: 'DEU', forceCarbonIntensityGCo2eKwh: 100 });
  cleanup(t, offline.rapl, offline.dir);
  offline.tracker.start();
  await offline.tracker.stop();
  const [o] = rows(offline.dir);
  assert.deepEqual([o!['carbon_intensity_g_co2e_kwh'], o!['country_iso_code'], o!['country_name']], ['100', 'DEU', 'Germany']);
});

test('location services that fail at once (HTTP 500, not HTTP): one warning with the reasons; later trackers do not ask again', async (t) => {
  const failing = await failingServer();
  const garbage = await garbageServer();
  cleanup(t, failing, garbage);
  // Failures that come at once: time-outs long enough that a loaded machine never turns them into time-outs.
  const options = { countryIsoCode: null, geojsUrl: `${failing.url}/geo`, ipinfoUrl: `${garbage.url}/ipinfo`, cloudMetadataUrl: failing.url,
    locationTimeoutMs: 30_000, cloudMetadataTimeoutMs: 30_000 };
  const first = fakeTracker(options, EmissionsTracker);
  const warnings: string[] = [];
  first.tracker.addEventListener('warning', (e) => warnings.push((e as Event & { message: string }).message));
  first.tracker.start();
  await first.tracker.stop();
  assert.deepEqual(warnings, [`this machine's location could not be found (${failing.url}/geo: HTTP 500; ${failing.url}/geo: HTTP 500; `
    + `${garbage.url}/ipinfo: the answer is not HTTP; ${garbage.url}/ipinfo: the answer is not HTTP): emissions use the world average `
    + `(475 g/kWh), no country is assumed; this process does not ask again; ${fix}`]);
  const asked = [failing.seen.length, garbage.seen.length];
  const second = fakeTracker(options, EmissionsTracker);
  cleanup(t, first.rapl, first.dir, second.rapl, second.dir);
  second.tracker.addEventListener('warning', (e) => warnings.push((e as Event & { message: string }).message));
  second.tracker.start();
  await second.tracker.stop();
  assert.equal(warnings.length, 1, warnings.join('\n'));
  assert.deepEqual([failing.seen.length, garbage.seen.length], asked);
  for (const dir of [first.dir, second.dir]) {
    const [r] = rows(dir);
    assertSane(r!);
    assert.equal(r!['carbon_intensity_source'], 'world-average (IEA 2019): no country known (the location lookup failed)');
  }
});

test('Electricity Maps that accepts and never answers: asked once, one time-out, then the static figure, one warning', async (t) => {
  const maps = await silentServer();
  cleanup(t, maps);
  const { dir, options } = await decorated(t, { offline: true, countryIsoCode: 'FRA', electricitymapsApiToken: 's3cret',
    electricitymapsUrl: maps.url, locationTimeoutMs: timeoutMs });
  const work = trackEmissions(async () => 'done', options);
  let elapsedMs = 0;
  const lines = await printed(async () => {
    const t0 = performance.now();
    for (let i = 0; i < 5; i++) await work();
    elapsedMs = performance.now() - t0;
  });
  assert.ok(elapsedMs < bound, `five calls took ${elapsedMs} ms`);
  assert.deepEqual(lines, [`[codecarbon WARNING] Electricity Maps could not be read (no answer within ${timeoutMs} ms): the static figure `
    + 'is used (country) for the rest of this process; check electricitymaps_api_token and electricitymaps_url']);
  assert.deepEqual(maps.seen, ['GET /v3/carbon-intensity/latest?zone=FR']);
  const written = rows(dir);
  assert.equal(written.length, 5);
  for (const r of written) {
    assertSane(r);
    assert.deepEqual([r['carbon_intensity_g_co2e_kwh'], r['carbon_intensity_source']], ['56.039', 'country: France (FRA), 2023, Our World in Data']);
  }
});

test('Electricity Maps answering garbage: asked once for the process, one warning, the static figure', async (t) => {
  const maps = await httpServer((_, res) => { res.end('<html>captive portal</html>'); });
  cleanup(t, maps);
  const warnings: string[] = [];
  for (let i = 0; i < 2; i++) {
    const { tracker, rapl, dir } = fakeTracker({ electricitymapsApiToken: 's3cret', electricitymapsUrl: maps.url });
    cleanup(t, rapl, dir);
    tracker.addEventListener('warning', (e) => warnings.push((e as Event & { message: string }).message));
    tracker.start();
    const kg = await tracker.stop();
    assert.ok(kg !== null && Number.isFinite(kg) && kg >= 0, String(kg));
    assert.equal(tracker.finalEmissionsData!.carbon_intensity_g_co2e_kwh, 56.039);
  }
  assert.deepEqual(warnings, ['Electricity Maps could not be read (no usable carbonIntensity in the answer): the static figure is used '
    + '(country) for the rest of this process; check electricitymaps_api_token and electricitymaps_url']);
  assert.equal(maps.seen.length, 1);
});

test('a service whose answer never ends: read up to 1 MiB, then a failure, not a growing buffer', async (t) => {
  const chunk = Buffer.alloc(64 * 1024, 0x20);
  const endless = await httpServer((_, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    const more = (): void => {
      while (!res.destroyed && res.write(chunk));
    };
    res.on('drain', more);
    more();
  });
  cleanup(t, endless);
  const url = `${endless.url}/geo`;
  const r = await locate({ geojsUrl: url, ipinfoUrl: url, retries: 0, cacheFile: null, timeoutMs: 60_000 });
  assert.deepEqual(r, { location: null, failures: [`${url}: the answer is larger than 1 MiB`, `${url}: the answer is larger than 1 MiB`] });
});

test('a program that ends with a lookup still being asked exits without waiting for it', async (t) => {
  const geo = await silentServer();
  const rapl = new FakeRapl([{ id: 'intel-rapl:0', name: 'package-0', energyUj: 0 }]);
  const dir = tempDir('cc-net-exit-');
  cleanup(t, geo, rapl, dir);
  // A long time-out: the lookup (two services, two tries each) would hold the process for 4 of them.
  const slowMs = 1500;
  const fixture = fileURLToPath(new URL('./fixtures/lookup-exit.js', import.meta.url));
  const child = spawn(process.execPath, [fixture, geo.url, dir, rapl.root, String(slowMs)], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  let readyAt = 0;
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (d: string) => {
    if (readyAt === 0 && (out + d).includes('ready\n')) readyAt = performance.now();
    out += d;
  });
  const code = await new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
  const ms = performance.now() - readyAt;
  assert.equal(code, 0);
  assert.ok(readyAt > 0 && ms < 3 * slowMs, `exited ${ms} ms after its tracker was ready`);
  const [, source] = out.trimEnd().split('\n');
  assert.match(source!, worldAverage);
  assert.equal(rows(dir).length, 1);
});

test('a discarded tracker\'s lookup does not hold the program (an hour\'s time-out); a stop() holds it until the answer, and uses it', async (t) => {
  // Geolocation answers only when the test says; the cloud metadata services at once, with a 404.
  const held: ServerResponse[] = [];
  const geo = await httpServer((req, res) => {
    if (req.url?.startsWith('/geo') === true) held.push(res);
    else res.writeHead(404).end();
  });
  const rapl = new FakeRapl([{ id: 'intel-rapl:0', name: 'package-0', energyUj: 0 }]);
  const dir = tempDir('cc-net-discard-');
  cleanup(t, geo, rapl, dir);
  const fixture = fileURLToPath(new URL('./fixtures/lookup-exit.js', import.meta.url));
  const runChild = async (mode: string, onReady: () => void): Promise<{ code: number | null; out: string }> => {
    const child = spawn(process.execPath, [fixture, geo.url, dir, rapl.root, String(3_600_000), mode], { stdio: ['ignore', 'pipe', 'inherit'] });
    const killer = setTimeout(() => child.kill('SIGKILL'), 60_000); // held an hour: killed, and the test fails
    let out = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (d: string) => {
      if (!out.includes('ready\n') && (out + d).includes('ready\n')) onReady();
      out += d;
    });
    const code = await new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
    clearTimeout(killer);
    return { code, out };
  };
  const discarded = await runChild('discard', () => {});
  assert.deepEqual(discarded, { code: 0, out: 'ready\ndiscarded\n' });
  // Answered 500 ms after the child is stopping (a sample after its stop is in by then, on any
  // machine but a very loaded one, where the test asks less): its stop() must hold the program.
  const answer = (): void => {
    const reply = (): void => {
      const res = held.pop();
      if (res === undefined) return void setTimeout(reply, 20);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ country_code3: 'FRA', region: 'Ile-de-France' }));
    };
    setTimeout(reply, 500);
  };
  const stopped = await runChild('stop', answer);
  assert.equal(stopped.code, 0, 'exit code (13: the program ended with its await unsettled)');
  assert.match(stopped.out.split('\n')[1]!, /^country: France \(FRA\)/);
});

test('stop() and flush() wait for a late Electricity Maps answer, holding the process: the program goes on with its figure', async (t) => {
  // The answer comes 800 ms after it is asked, when nothing else keeps the program alive (a socket asking does not).
  const late = await httpServer((_req, res) => {
    setTimeout(() => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ carbonIntensity: 123 }));
    }, 800);
  });
  const rapl = new FakeRapl([{ id: 'intel-rapl:0', name: 'package-0', energyUj: 0 }]);
  const dir = tempDir('cc-net-live-');
  cleanup(t, late, rapl, dir);
  const fixture = fileURLToPath(new URL('./fixtures/live-stop.js', import.meta.url));
  for (const call of ['stop', 'flush']) {
    const child = spawn(process.execPath, [fixture, late.url, dir, rapl.root, call], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (d: string) => { out += d; });
    const code = await new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
    assert.equal(code, 0, `${call}(): exit code (13: the program ended with its await unsettled)`);
    assert.equal(JSON.parse(out).intensity, 123, `${call}(): the live figure`);
  }
});
