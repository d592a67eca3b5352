// The Pushgateway output against a local HTTP server: upstream's job name, metrics and basic auth,
// every label filled, one push in flight with the counter adding up, a gateway down said once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { gatewayUrl, jobName, pushLabels, sourceLabels } from '../src/output/pushgateway.js';
import type { TrackerOptions } from '../src/types.js';
import { parseExposition } from './helpers/prometheus.js';
import { scriptedTracker } from './helpers/scripted.js';
import { noService } from './helpers/tracker.js';
import { lastRow } from './helpers/rows.js';

/** A scripted tracker (test/helpers/scripted.ts) with a 2 W RAM. */
function scripted(t: import('node:test').TestContext, options: TrackerOptions = {}) {
  return scriptedTracker(t, { forceRamPower: 2, ...options });
}

interface Seen { method: string; path: string; auth: string | undefined; body: string }

/** A gateway stand-in: records each request; `hold` (when set) delays every answer until it resolves. */
async function gateway(t: import('node:test').TestContext) {
  const seen: Seen[] = [];
  let active = 0;
  let maxActive = 0;
  const state: { hold: Promise<void> | null } = { hold: null };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    active++;
    maxActive = Math.max(maxActive, active);
    let body = '';
    req.on('data', (c) => { body += c; });
    req.on('end', async () => {
      seen.push({ method: req.method!, path: req.url!, auth: req.headers.authorization, body });
      await state.hold;
      active--;
      res.writeHead(req.method === 'PUT' ? 200 : 202);
      res.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => new Promise<void>((r) => server.close(() => r())));
  return { url: `127.0.0.1:${(server.address() as { port: number }).port}`, seen, state, maxActive: () => maxActive };
}

test('job name as upstream: <project>_<experiment>, characters outside [A-Za-z0-9_-] made _; prometheus_url host:port or a URL', () => {
  assert.equal(jobName('codecarbon', 'base'), 'codecarbon_base');
  assert.equal(jobName('my proj/ä', 'exp.1-b'), 'my_proj___exp_1-b');
  assert.equal(gatewayUrl('localhost:9091').href, 'http://localhost:9091/');
  assert.equal(gatewayUrl('https://gw.example/prefix').href, 'https://gw.example/prefix');
  assert.throws(() => gatewayUrl('ftp://x'), { message: 'prometheus_url (from the Pushgateway output options): expected host:port or an '
    + 'http(s) URL such as localhost:9091, got "ftp://x"' });
});

test('pushes: PUT per flush and stop with upstream\'s gauges (delta) and counter (sum), its 14 labels and the sources, basic auth; DELETE at exit', async (t) => {
  const gw = await gateway(t);
  process.env['PROMETHEUS_USERNAME'] = 'ops';
  process.env['PROMETHEUS_PASSWORD'] = 's3cret';
  t.after(() => { delete process.env['PROMETHEUS_USERNAME']; delete process.env['PROMETHEUS_PASSWORD']; });
  const { tracker, clock, dir, warnings } = scripted(t, { outputMethods: ['csv', 'prometheus'], prometheusUrl: gw.url,
    projectName: 'my proj', experimentName: 'exp.1' });
  tracker.start();
  clock.advance(3000);
  await tracker.flush();
  await tracker.delivered();
  const first = lastRow(dir);
  clock.advance(2000);
  await tracker.stop();
  await tracker.delivered();
  assert.deepEqual(gw.seen.map((s) => `${s.method} ${s.path}`), ['PUT /metrics/job/my_proj_exp_1', 'PUT /metrics/job/my_proj_exp_1',
    'DELETE /metrics/job/my_proj_exp_1']);
  assert.ok(gw.seen.every((s) => s.auth === `Basic ${Buffer.from('ops:s3cret').toString('base64')}`));
  const last = lastRow(dir);
  const pushed = parseExposition(gw.seen[1]!.body);
  const one = (name: string): { labels: Record<string, string>; value: number } => {
    const s = pushed.filter((x) => x.name === name);
    assert.equal(s.length, 1, name);
    return s[0]!;
  };
  const counter = one('codecarbon_energy_total');
  assert.ok(Math.abs(counter.value - Number(last['energy_consumed'])) < 1e-15);
  assert.deepEqual(Object.keys(counter.labels).sort(), [...pushLabels, ...sourceLabels].sort());
  for (const l of pushLabels) assert.equal(counter.labels[l], last[l], l);
  // How each figure was made, as the CSV says it: an estimate reads as one on the gateway too.
  assert.deepEqual(sourceLabels.map((l) => counter.labels[l]), ['rapl (measured)', last['gpu_source'], last['ram_source'], 'country']);
  assert.match(String(last['ram_source']), /estimate|forced/);
  assert.equal(counter.labels['country_iso_code'], 'FRA');
  assert.ok(Math.abs(one('codecarbon_cpu_energy').value - (Number(last['cpu_energy']) - Number(first['cpu_energy']))) < 1e-15);
  assert.ok(Math.abs(one('codecarbon_duration').value - 2) < 1e-9);
  assert.ok(Math.abs(one('codecarbon_cpu_power').value - 10) < 1e-9);
  for (const g of ['emissions', 'emissions_rate', 'gpu_power', 'ram_power', 'gpu_energy', 'ram_energy', 'energy_consumed']) one(`codecarbon_${g}`);
  assert.deepEqual(warnings, []);
  assert.deepEqual(tracker.undelivered(), []);
});

test('a slow gateway: one push in flight, the ones made meanwhile fold into one, and the counter still adds up', async (t) => {
  const gw = await gateway(t);
  let release!: () => void;
  gw.state.hold = new Promise((r) => { release = r; });
  const { tracker, clock, dir } = scripted(t, { outputMethods: ['csv', 'prometheus'], prometheusUrl: gw.url });
  tracker.start();
  for (let i = 0; i < 4; i++) {
    clock.advance(1000);
    await tracker.flush();
  }
  release();
  await tracker.delivered();
  const puts = gw.seen.filter((s) => s.method === 'PUT');
  assert.equal(puts.length, 2);
  assert.equal(gw.maxActive(), 1);
  const counter = parseExposition(puts[1]!.body).find((s) => s.name === 'codecarbon_energy_total')!;
  assert.ok(Math.abs(counter.value - Number(lastRow(dir)['energy_consumed'])) < 1e-15);
  await tracker.stop();
  await tracker.delivered();
});

test('a gateway that is down: one warning per kind naming prometheus_url and the fix; the run goes on', async (t) => {
  const { tracker, clock, warnings } = scripted(t, { outputMethods: ['csv', 'prometheus'], prometheusUrl: noService });
  tracker.start();
  for (let i = 0; i < 3; i++) {
    clock.advance(1000);
    await tracker.flush();
    await tracker.delivered();
  }
  assert.ok((await tracker.stop())! > 0);
  await tracker.delivered();
  assert.deepEqual(warnings, ['the Pushgateway did not take the push (PUT http://127.0.0.1:1/metrics/job/codecarbon_base): ECONNREFUSED; '
    + 'the next push carries the figures so far (its counter includes this one\'s energy); check prometheus_url, and that the Pushgateway runs there']);
  assert.deepEqual(tracker.undelivered(), ['the Pushgateway (http://127.0.0.1:1/metrics/job/codecarbon_base) did not take the run\'s last push']);
});

test('a tracker started again after stop(): the energy counter of the new run starts from 0, not from the last run\'s sum', async (t) => {
  const gw = await gateway(t);
  const { tracker, clock } = scripted(t, { outputMethods: ['prometheus'], prometheusUrl: gw.url });
  const finals: number[] = [];
  for (let r = 0; r < 2; r++) {
    tracker.start();
    clock.advance(2000);
    await tracker.stop();
    await tracker.delivered();
    finals.push(Number(tracker.finalEmissionsData!.energy_consumed));
  }
  const counters = gw.seen.filter((s) => s.method === 'PUT')
    .map((p) => parseExposition(p.body).find((s) => s.name === 'codecarbon_energy_total')!.value);
  assert.equal(counters.length, 2);
  counters.forEach((c, i) => assert.ok(Math.abs(c - finals[i]!) < 1e-15, `run ${i}: counter ${c}, run ${finals[i]}`));
});

test('a prometheus_url with user:password: they are the basic auth (not dropped) and never shown; PROMETHEUS_USERNAME wins, said', async (t) => {
  const gw = await gateway(t);
  const withCredentials = `ops%40corp:p%3Ass@${gw.url}`; // host:port with credentials, no scheme
  const { tracker, clock, warnings } = scripted(t, { outputMethods: ['prometheus'], prometheusUrl: withCredentials });
  tracker.start();
  clock.advance(1000);
  await tracker.stop();
  await tracker.delivered();
  assert.ok(gw.seen.length > 0 && gw.seen.every((s) => s.auth === `Basic ${Buffer.from('ops@corp:p:ss').toString('base64')}`), JSON.stringify([gw.seen.map((s) => [s.method, s.auth]), warnings]));
  assert.deepEqual(warnings, []);
  process.env['PROMETHEUS_USERNAME'] = 'env-user';
  process.env['PROMETHEUS_PASSWORD'] = 'env-pass';
  t.after(() => { delete process.env['PROMETHEUS_USERNAME']; delete process.env['PROMETHEUS_PASSWORD']; });
  const both = scripted(t, { outputMethods: ['prometheus'], prometheusUrl: withCredentials });
  both.tracker.start();
  both.clock.advance(1000);
  await both.tracker.stop();
  await both.tracker.delivered();
  assert.equal(gw.seen.at(-1)!.auth, `Basic ${Buffer.from('env-user:env-pass').toString('base64')}`);
  assert.deepEqual(both.warnings, ['prometheus_url (from argument) carries a user:password and PROMETHEUS_USERNAME is set: the Pushgateway is asked '
    + 'with PROMETHEUS_USERNAME and PROMETHEUS_PASSWORD (as CodeCarbon does); drop one of them']);
  assert.ok(![...warnings, ...both.warnings].some((w) => w.includes('p:ss') || w.includes('p%3Ass')));
  delete process.env['PROMETHEUS_USERNAME'];
  // A stray '%' in the password, not an escape: taken as typed, not a refusal.
  const stray = scripted(t, { outputMethods: ['prometheus'], prometheusUrl: `ops:50%@${gw.url}` });
  stray.tracker.start();
  stray.clock.advance(1000);
  await stray.tracker.stop();
  await stray.tracker.delivered();
  assert.equal(gw.seen.at(-1)!.auth, `Basic ${Buffer.from('ops:50%').toString('base64')}`);
});
