// The scrape endpoint (prometheus_listen_address) of a tracked process: the CSV's figures in base
// units, read at scrape time; bad requests answered with an HTTP error; a taken port a warning.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { parseListenAddress, scrapeAddress } from '../src/output/scrape.js';
import type { TrackerOptions } from '../src/types.js';
import { parseExposition } from './helpers/prometheus.js';
import { lastRow } from './helpers/rows.js';
import { ScriptedClock, ScriptedRapl, scriptedTracker } from './helpers/scripted.js';
import { fakeTracker } from './helpers/tracker.js';

/** A scripted tracker (test/helpers/scripted.ts) with a 2 W RAM. */
function scripted(t: import('node:test').TestContext, options: TrackerOptions = {}) {
  return scriptedTracker(t, { forceRamPower: 2, ...options });
}

/** Sends `raw` on a new connection and resolves to the whole answer. */
function rawRequest(address: string, raw: string): Promise<string> {
  const [host, port] = [address.slice(0, address.lastIndexOf(':')), Number(address.slice(address.lastIndexOf(':') + 1))];
  return new Promise((resolve, reject) => {
    const s = connect(port, host, () => s.end(raw));
    let answer = '';
    s.on('data', (c) => { answer += c.toString(); });
    s.on('error', reject);
    s.on('close', () => resolve(answer));
  });
}

test('prometheus_listen_address: host:port, [v6]:port, a bare port on loopback; anything else a ConfigError naming the key', () => {
  assert.deepEqual(parseListenAddress('0.0.0.0:9464'), { host: '0.0.0.0', port: 9464 });
  assert.deepEqual(parseListenAddress('9464'), { host: '127.0.0.1', port: 9464 });
  assert.deepEqual(parseListenAddress(':9464'), { host: '127.0.0.1', port: 9464 });
  assert.deepEqual(parseListenAddress('[::1]:9464'), { host: '::1', port: 9464 });
  assert.deepEqual(parseListenAddress('localhost:0'), { host: 'localhost', port: 0 });
  assert.equal(parseListenAddress(' '), null);
  assert.throws(() => parseListenAddress('127.0.0.1:99999', 'CODECARBON_PROMETHEUS_LISTEN_ADDRESS'), {
    message: 'prometheus_listen_address (from CODECARBON_PROMETHEUS_LISTEN_ADDRESS): expected host:port (e.g. 127.0.0.1:9464, '
      + 'or 0.0.0.0:9464 to be scraped from other machines) or a port, got "127.0.0.1:99999"' });
  assert.throws(() => parseListenAddress('http://x:1'), /prometheus_listen_address/);
});

test('/metrics: energy per component in J, emissions in g, water in L, the intensity and the run, as the CSV row of the same moment', async (t) => {
  const { tracker, clock, dir, warnings } = scripted(t, { prometheusListenAddress: '127.0.0.1:0', projectName: 'shop', experimentName: 'nightly', wue: 1.5 });
  tracker.start();
  await tracker.ready();
  const address = (await scrapeAddress('127.0.0.1:0'))!;
  clock.advance(4000);
  await tracker.flush();
  const res = await fetch(`http://${address}/metrics`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type')!, /^text\/plain; version=0\.0\.4/);
  const samples = parseExposition(await res.text());
  const row = lastRow(dir);
  const get = (name: string, labels: Record<string, string> = {}): number => {
    const s = samples.filter((x) => x.name === name && Object.entries(labels).every(([k, v]) => x.labels[k] === v));
    assert.equal(s.length, 1, `${name} ${JSON.stringify(labels)}: ${s.length} samples`);
    return s[0]!.value;
  };
  const run = { project: 'shop', experiment: 'nightly', run_id: row['run_id']! };
  const close = (a: number, b: number): void => assert.ok(Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b)), `${a} vs ${b}`);
  close(get('codecarbon_energy_joules_total', { ...run, component: 'cpu', source: row['cpu_source']! }), Number(row['cpu_energy']) * 3.6e6);
  close(get('codecarbon_energy_joules_total', { ...run, component: 'ram' }), Number(row['ram_energy']) * 3.6e6);
  close(get('codecarbon_emissions_grams_total', run), Number(row['emissions']) * 1000);
  close(get('codecarbon_water_litres_total', run), Number(row['water_consumed']));
  close(get('codecarbon_carbon_intensity_grams_per_kwh', { ...run, dataset: row['carbon_intensity_dataset']! }), Number(row['carbon_intensity_g_co2e_kwh']));
  close(get('codecarbon_run_duration_seconds', run), 4);
  assert.equal(get('codecarbon_run_info', { ...run, tracking_mode: 'machine', country_iso_code: 'FRA' }), 1);
  // The first scrape shows the run's mean power (10 W on the scripted package, RAM forced at 2 W).
  close(get('codecarbon_power_watts', { ...run, component: 'cpu' }), 10);
  close(get('codecarbon_power_watts', { ...run, component: 'ram' }), 2);
  await tracker.stop();
  assert.deepEqual(warnings, []);
});

test('power: the mean since the previous scrape; a scrape triggers no sampling (the timeline is not moved)', async (t) => {
  const clock = new ScriptedClock(1000);
  const hw = new ScriptedRapl(1, 10, undefined, clock);
  t.after(hw.forTrackers());
  const { tracker } = fakeTracker({ raplDir: hw.root, forceRamPower: 2, samplePeriodMs: 60_000, prometheusListenAddress: '127.0.0.1:0' });
  tracker.start();
  await tracker.ready();
  const address = (await scrapeAddress('127.0.0.1:0'))!;
  const cpuPower = async (): Promise<number> => parseExposition(await (await fetch(`http://${address}/metrics`)).text())
    .find((s) => s.name === 'codecarbon_power_watts' && s.labels['component'] === 'cpu')!.value;
  clock.advance(2000);
  await tracker.flush();
  assert.ok(Math.abs(await cpuPower() - 10) < 1e-9);
  hw.setWatts(40);
  clock.advance(2000);
  await tracker.flush();
  const settled = tracker.sampler!.timeline!.settledMs();
  assert.ok(Math.abs(await cpuPower() - 40) < 1e-9);
  assert.equal(tracker.sampler!.timeline!.settledMs(), settled);
  await tracker.stop();
});

test('bad requests get an HTTP error (404, 405, 431, 400) and the endpoint goes on serving; closed at stop()', async (t) => {
  const { tracker, clock, warnings } = scripted(t, { prometheusListenAddress: '127.0.0.1:0' });
  tracker.start();
  await tracker.ready();
  const address = (await scrapeAddress('127.0.0.1:0'))!;
  clock.advance(1000);
  assert.equal((await fetch(`http://${address}/`)).status, 404);
  assert.equal((await fetch(`http://${address}/metricsx`)).status, 404);
  const post = await fetch(`http://${address}/metrics`, { method: 'POST', body: 'x' });
  assert.deepEqual([post.status, post.headers.get('allow')], [405, 'GET, HEAD']);
  const huge = await rawRequest(address, `GET /metrics HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(64 * 1024)}\r\n\r\n`);
  assert.match(huge, /^HTTP\/1\.1 431 /);
  assert.match(await rawRequest(address, 'NOT HTTP AT ALL\r\n\r\n'), /^HTTP\/1\.1 400 /);
  assert.equal((await fetch(`http://${address}/metrics`)).status, 200);
  await tracker.stop();
  await assert.rejects(fetch(`http://${address}/metrics`), /fetch failed/);
  assert.equal(await scrapeAddress('127.0.0.1:0'), null);
  assert.deepEqual(warnings, []);
});

test('a taken port: one warning naming the key and the fix; tracking goes on and writes its row', async (t) => {
  const { createServer } = await import('node:net');
  const holder = createServer();
  await new Promise<void>((r) => holder.listen(0, '127.0.0.1', r));
  t.after(() => holder.close());
  const taken = `127.0.0.1:${(holder.address() as { port: number }).port}`;
  const { tracker, clock, dir, warnings } = scripted(t, { prometheusListenAddress: taken });
  tracker.start();
  await tracker.ready();
  assert.equal(await scrapeAddress(taken), null);
  clock.advance(1000);
  assert.ok((await tracker.stop())! > 0);
  assert.equal(Number(lastRow(dir)['duration']), 1);
  assert.deepEqual(warnings, [`prometheus_listen_address ${taken}: the scrape endpoint could not listen: EADDRINUSE (the port is taken); `
    + 'tracking goes on without it; choose another address or port, or stop what listens there']);
});

test('a library\'s endpoint does not keep a finished program alive, even with a scraper\'s connection open', async () => {
  const { spawn } = await import('node:child_process');
  const { FakeRapl, tempDir } = await import('./helpers/sysfs.js');
  const rapl = new FakeRapl([{ id: 'intel-rapl:0', name: 'package-0', energyUj: 0 }]);
  const dir = tempDir('cc-unref-');
  const src = new URL('../src/', import.meta.url).href;
  const script = `import { OfflineEmissionsTracker } from '${src}offline.js';
    import { scrapeAddress } from '${src}output/scrape.js';
    const t = new OfflineEmissionsTracker({ countryIsoCode: 'FRA', outputDir: ${JSON.stringify(dir)}, raplDir: ${JSON.stringify(rapl.root)},
      prometheusListenAddress: '127.0.0.1:0', logLevel: 'error' });
    t.start();
    console.log(await scrapeAddress('127.0.0.1:0'));
    process.stdin.once('data', () => process.stdin.destroy());`; // its work ends when the test says so
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { cwd: dir, stdio: ['pipe', 'pipe', 'inherit'] });
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const address = await new Promise<string>((r) => child.stdout.once('data', (c: Buffer) => r(c.toString().trim())));
  const { request } = await import('node:http');
  const agent = new (await import('node:http')).Agent({ keepAlive: true });
  await new Promise<void>((resolve, reject) => request(`http://${address}/metrics`, { agent }, (res) => res.resume().on('end', resolve)).on('error', reject).end());
  child.stdin.write('done\n');
  assert.equal(await exited, 0);
  agent.destroy();
  assert.match(readFileSync(join(dir, 'emissions.csv'), 'utf8'), /\n.*FRA/);
});

test('a prometheus_listen_address that cannot be used is a ConfigError at construction, naming where it came from', async () => {
  const { EmissionsTracker } = await import('../src/tracker.js');
  assert.throws(() => new EmissionsTracker({ countryIsoCode: 'FRA', saveToFile: false },
    { env: { CODECARBON_PROMETHEUS_LISTEN_ADDRESS: 'localhost:http' }, cwd: '/nonexistent', home: '/nonexistent' }), {
    message: 'prometheus_listen_address (from environment variable CODECARBON_PROMETHEUS_LISTEN_ADDRESS): expected host:port '
      + '(e.g. 127.0.0.1:9464, or 0.0.0.0:9464 to be scraped from other machines) or a port, got "localhost:http"' });
});

test('the text format escapes label values (backslash, quote, newline) as Prometheus reads them', async (t) => {
  const project = 'a "b" \\ c\nd';
  const { tracker, clock } = scripted(t, { prometheusListenAddress: '127.0.0.1:0', projectName: project });
  tracker.start();
  await tracker.ready();
  clock.advance(1000);
  const text = await (await fetch(`http://${(await scrapeAddress('127.0.0.1:0'))!}/metrics`)).text();
  assert.match(text, /\ncodecarbon_emissions_grams_total\{project="a \\"b\\" \\\\ c\\nd",experiment="[^"]*",run_id="[^"]*"\} /);
  assert.ok(parseExposition(text).every((s) => s.labels['project'] === project));
  await tracker.stop();
});
