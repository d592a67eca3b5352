// The CodeCarbon API output through a tracker: chosen by output_methods or save_to_api, the run
// created from the tracker's own record, the server's sums equal to the CSV's after an outage.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseCsv } from '../src/output/csv.js';
import { created, fakeApi } from './helpers/api.js';
import { scriptedTracker } from './helpers/scripted.js';

const scripted = scriptedTracker;

const sum = (xs: { body: Record<string, unknown> }[], f: string): number => xs.reduce((s, x) => s + Number(x.body[f]), 0);

/**
 * Runs of `ms(r)` each, one after the other on the same tracker; `delivered`: each run's uploads
 * awaited before the next starts. The runs' kWh, in order.
 */
async function runsOf(s: ReturnType<typeof scripted>, n: number, ms: (r: number) => number, delivered: boolean): Promise<number[]> {
  const finals: number[] = [];
  for (let r = 0; r < n; r++) {
    s.tracker.start();
    s.clock.advance(ms(r));
    await s.tracker.stop(); // without delivered: the next run starts while its last upload is in flight
    if (delivered) await s.tracker.delivered();
    finals.push(Number(s.tracker.finalEmissionsData!.energy_consumed));
  }
  return finals;
}

test('save_to_api: POST /runs from the offline tracker\'s record (no coordinates: 0), then one /emissions per flush and stop', async (t) => {
  const api = await fakeApi(t);
  const { tracker, clock, warnings } = scripted(t, { saveToApi: true, apiEndpoint: api.url, apiKey: 'secret-token', experimentId: 'exp-7' });
  tracker.start();
  assert.equal(tracker.apiRunId, null, 'no run on the API before the first upload');
  clock.advance(2500);
  await tracker.flush();
  await tracker.delivered(); // else the next upload joins this one's (at most one request in flight)
  assert.equal(tracker.apiRunId, 'run-42');
  assert.notEqual(tracker.runId, 'run-42', 'the CSV\'s run_id is the tracker\'s own');
  clock.advance(1500);
  await tracker.stop();
  await tracker.delivered();
  assert.deepEqual(api.seen.map((s) => s.path), ['/runs', '/emissions', '/emissions']);
  const run = api.seen[0]!;
  assert.equal(run.headers['x-api-token'], 'secret-token');
  assert.equal(run.body['experiment_id'], 'exp-7');
  assert.equal(run.body['latitude'], 0);
  assert.equal(run.body['longitude'], 0);
  assert.equal(run.body['tracking_mode'], 'machine');
  const ups = api.seen.slice(1);
  assert.deepEqual(ups.map((u) => u.body['run_id']), ['run-42', 'run-42']);
  assert.deepEqual(ups.map((u) => u.body['duration']), [2, 2]); // whole seconds; the half second carried
  const final = tracker.finalEmissionsData!;
  assert.ok(Math.abs(sum(ups, 'energy_consumed') - Number(final.energy_consumed)) < 1e-15);
  assert.ok(Math.abs(sum(ups, 'emissions_sum') - Number(final.emissions)) < 1e-15);
  assert.deepEqual(warnings, []);
});

test('a tracker started again after stop(): each run is a run of its own on the API, its uploads its own', async (t) => {
  let runs = 0;
  const api = await fakeApi(t, (s) => ({ status: 201, text: s.path === '/runs' ? `{"id":"run-${++runs}"}` : '{}' }));
  const run = scripted(t, { saveToApi: true, apiEndpoint: api.url, experimentId: 'exp-7', apiKey: 'token-7' });
  const { warnings } = run;
  const finals = await runsOf(run, 3, () => 2000, true);
  assert.deepEqual(api.seen.map((s) => s.path === '/runs' ? 'runs' : s.body['run_id']),
    ['runs', 'run-1', 'runs', 'run-2', 'runs', 'run-3']);
  const ups = api.seen.filter((s) => s.path === '/emissions');
  ups.forEach((u, i) => assert.ok(Math.abs(Number(u.body['energy_consumed']) - finals[i]!) < 1e-15, `run ${i}`));
  assert.deepEqual(warnings, []);
});

test('the API down for two flushes, then back: the server\'s sums equal the CSV\'s totals; each failure kind said once', async (t) => {
  let down = true;
  const api = await fakeApi(t, (s, i) => (down && s.path === '/emissions' ? { status: 503, text: 'maintenance' } : created(s, i)));
  const { tracker, clock, dir, warnings } = scripted(t, { outputMethods: ['csv', 'api'], apiEndpoint: api.url });
  tracker.start();
  for (let i = 0; i < 4; i++) {
    if (i === 2) down = false;
    clock.advance(1700);
    await tracker.flush();
    await tracker.delivered();
  }
  await tracker.stop();
  await tracker.delivered();
  const [header, ...rows] = parseCsv(readFileSync(join(dir, 'emissions.csv'), 'utf8'));
  const last = Object.fromEntries(header!.map((c, i) => [c, rows.at(-1)![i]!]));
  const taken = api.seen.filter((s) => s.path === '/emissions' && s.status === 201);
  assert.ok(Math.abs(sum(taken, 'energy_consumed') - Number(last['energy_consumed'])) < 1e-15);
  assert.ok(Math.abs(sum(taken, 'cpu_energy') - Number(last['cpu_energy'])) < 1e-15);
  assert.equal(sum(taken, 'duration'), Math.floor(Number(last['duration'])));
  assert.equal(api.maxActive(), 1);
  assert.equal(warnings.length, 1, warnings.join('\n'));
  assert.match(warnings[0]!, /HTTP 503/);
});

test('an api_endpoint that is not http(s) is a ConfigError naming the key and where it came from', async () => {
  const { EmissionsTracker } = await import('../src/tracker.js');
  assert.throws(() => new EmissionsTracker({ countryIsoCode: 'FRA', saveToApi: true, apiEndpoint: 'ftp://x' }, { env: {}, cwd: '/nonexistent', home: '/nonexistent' }),
    { message: 'api_endpoint (from argument): expected an http:// or https:// URL such as https://api.codecarbon.io, got "ftp://x"' });
});

test('process.exit() with the API and the Pushgateway both waiting: each output says what it did not deliver (one kind, said per output)', async (t) => {
  const { createServer } = await import('node:http');
  const { execFile } = await import('node:child_process');
  const { FakeRapl, tempDir } = await import('./helpers/sysfs.js');
  const api = await fakeApi(t, (s) => (s.path === '/runs' ? created(s, 0) : null)); // uploads never answered
  const hung = createServer(() => { /* never answers */ });
  await new Promise<void>((r) => hung.listen(0, '127.0.0.1', r));
  t.after(() => { hung.closeAllConnections(); hung.close(); });
  const rapl = new FakeRapl([{ id: 'intel-rapl:0', name: 'package-0', energyUj: 0 }]);
  const dir = tempDir('cc-exit-');
  const tracker = new URL('../src/offline.js', import.meta.url).href;
  const script = `const { OfflineEmissionsTracker } = await import(${JSON.stringify(tracker)});
    const t = new OfflineEmissionsTracker({ countryIsoCode: 'FRA', outputDir: ${JSON.stringify(dir)}, raplDir: ${JSON.stringify(rapl.root)},
      outputMethods: ['api', 'prometheus'], apiEndpoint: ${JSON.stringify(api.url)}, prometheusUrl: '127.0.0.1:${(hung.address() as { port: number }).port}' },
      { env: {}, cwd: ${JSON.stringify(dir)}, home: ${JSON.stringify(dir)} });
    t.start();
    await new Promise((r) => setTimeout(r, 1300));
    await t.stop();
    process.exit(0);`;
  const { stderr } = await new Promise<{ stderr: string }>((resolve) => {
    execFile(process.execPath, ['--input-type=module', '-e', script], { timeout: 30_000 }, (_e, _out, err) => resolve({ stderr: err }));
  });
  assert.match(stderr, /the process exited before the CodeCarbon API received the run's last/);
  assert.match(stderr, /the process exited before the Pushgateway .* had the run's last push/);
});

test('what a run did not deliver is said at each run\'s end; a failure of one kind once for the options', async (t) => {
  const api = await fakeApi(t, () => ({ status: 503, text: 'down for maintenance' }));
  const run = scripted(t, { saveToApi: true, apiEndpoint: api.url, experimentId: 'exp-7' });
  const { warnings } = run;
  const finals = await runsOf(run, 2, (r) => 2000 + 1000 * r, true);
  assert.equal(api.seen.length, 2, 'each run tried to create its run');
  assert.equal(warnings.filter((w) => w.includes('did not create the run')).length, 1);
  const unsent = warnings.filter((w) => w.includes('did not receive the run\'s last'));
  assert.deepEqual(unsent.map((w) => /over (\S+) s/.exec(w)?.[1]), ['2.0', '3.0']);
  unsent.forEach((w, i) => assert.ok(w.includes(`last ${Number(finals[i]!.toPrecision(3))} kWh`), w));
});

test('the API identity is checked at start: an empty experiment_id, or an own experiment with no api_key, said with where it came from', async (t) => {
  const api = await fakeApi(t, (s) => (s.headers['x-api-token'] === 'api_key' ? { status: 401, text: '{"detail":"not authenticated"}' } : created(s, 0)));
  const empty = scripted(t, { saveToApi: true, apiEndpoint: api.url, experimentId: '' });
  empty.tracker.start();
  await empty.tracker.stop();
  assert.match(empty.warnings.join('\n'), /the API output is on but experiment_id is empty \(from argument\): the CodeCarbon API cannot create a run/);
  const keyless = scripted(t, { saveToApi: true, apiEndpoint: api.url, experimentId: 'exp-9' });
  keyless.tracker.start();
  keyless.clock.advance(2000);
  await keyless.tracker.stop();
  await keyless.tracker.delivered();
  assert.match(keyless.warnings[0]!, /^the API output is on for experiment_id exp-9 \(from argument\) but api_key is not set \(CodeCarbon's placeholder "api_key"\)/);
  // The refusal that follows names the key to check, and the experiment it was refused for.
  assert.ok(keyless.warnings.some((w) => w.endsWith('check api_key: the API refused it for experiment_id "exp-9"')), keyless.warnings.join('\n'));
  const demo = scripted(t, { saveToApi: true, apiEndpoint: api.url });
  demo.tracker.start();
  await demo.tracker.stop();
  assert.ok(!demo.warnings.some((w) => w.includes('api_key is not set')), 'CodeCarbon\'s demo experiment needs no token of one\'s own');
});

test('runs started again at once, their uploads still under way: each run created and its emissions uploaded, nothing lost or said twice', async (t) => {
  let runs = 0;
  const api = await fakeApi(t, (s) => ({ status: 201, text: s.path === '/runs' ? `{"id":"run-${++runs}"}` : '{}' }));
  const run = scripted(t, { saveToApi: true, apiEndpoint: api.url, experimentId: 'exp-7', apiKey: 'k' });
  const { tracker, warnings } = run;
  const finals = await runsOf(run, 3, () => 3000, false);
  await tracker.delivered();
  const ups = api.seen.filter((s) => s.path === '/emissions');
  assert.deepEqual(ups.map((u) => u.body['run_id']), ['run-1', 'run-2', 'run-3']);
  ups.forEach((u, i) => assert.ok(Math.abs(Number(u.body['energy_consumed']) - finals[i]!) < 1e-15, `run ${i}`));
  assert.deepEqual(warnings, []);
});
