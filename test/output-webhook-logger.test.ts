// The webhook (emissions_endpoint) against a real local server, and the logger output with
// console-, pino- and winston-shaped loggers: what is sent, when, and what a failure says.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { userInfo } from 'node:os';
import { columns } from '../src/output/record.js';
import { scriptedTracker } from './helpers/scripted.js';
import { garbageServer, httpServer, silentServer } from './helpers/servers.js';

const scripted = scriptedTracker;

/** A webhook receiver that answers `status` and keeps each request's headers and JSON body. */
async function receiver(t: import('node:test').TestContext, status = 201) {
  const got: { headers: Record<string, unknown>; body: Record<string, unknown> }[] = [];
  const server = await httpServer((req, res) => {
    let text = '';
    req.on('data', (c) => { text += c; });
    req.on('end', () => {
      got.push({ headers: req.headers, body: JSON.parse(text) as Record<string, unknown> });
      res.writeHead(status);
      res.end();
    });
  });
  t.after(() => server.close());
  return { server, got };
}

test('the webhook gets a POST of the total record (every CSV field plus user) at each flush and stop', async (t) => {
  const { server, got } = await receiver(t);
  const { tracker, clock, warnings } = scripted(t, { emissionsEndpoint: `${server.url}/hook`, outputMethods: [] });
  tracker.start();
  clock.advance(2000);
  await tracker.flush();
  clock.advance(2000);
  await tracker.stop();
  await tracker.delivered();
  assert.deepEqual(server.seen, ['POST /hook', 'POST /hook']);
  assert.equal(got[0]!.headers['content-type'], 'application/json');
  assert.deepEqual(Object.keys(got[1]!.body), [...columns, 'user']);
  assert.equal(got[1]!.body['user'], userInfo().username);
  assert.ok(Math.abs(Number(got[0]!.body['cpu_energy']) * 3.6e6 - 20) < 1e-9);
  assert.ok(Math.abs(Number(got[1]!.body['cpu_energy']) * 3.6e6 - 40) < 1e-9); // the total, not the delta
  assert.equal(got[1]!.body['run_id'], tracker.runId);
  assert.deepEqual(warnings, []);
});

test('the webhook: any status but 201 is one warning with the fix; nothing else lost', async (t) => {
  const { server } = await receiver(t, 200);
  const { tracker, clock, warnings } = scripted(t, { emissionsEndpoint: server.url });
  tracker.start();
  clock.advance(1000);
  await tracker.flush();
  await tracker.stop();
  await tracker.delivered();
  assert.equal(server.seen.length, 2);
  assert.deepEqual(warnings, [`the webhook ${server.url} answered HTTP 200, not 201 Created: the record may not have been stored; check emissions_endpoint`]);
  assert.notEqual(tracker.finalEmissionsData, null);
});

test('the webhook refused, garbled or silent: stop() does not wait for it, delivered() ends within the time-out, one warning each', async (t) => {
  const garbage = await garbageServer();
  t.after(() => garbage.close());
  const { tracker, clock, warnings } = scripted(t, { emissionsEndpoint: 'http://127.0.0.1:1/hook' });
  tracker.start();
  clock.advance(1000);
  await tracker.stop();
  await tracker.delivered();
  assert.deepEqual(warnings, ['the webhook http://127.0.0.1:1/hook could not be reached (ECONNREFUSED): this record was not posted '
    + '(the CSV and the other outputs have it); check emissions_endpoint']);
  const g = scripted(t, { emissionsEndpoint: garbage.url });
  g.tracker.start();
  await g.tracker.stop();
  await g.tracker.delivered();
  assert.match(g.warnings[0]!, /could not be reached \(the answer is not HTTP\)/);
});

test('a silent webhook: stop() resolves at once; the post ends at its time-out', async (t) => {
  const silent = await silentServer();
  t.after(() => silent.close());
  const { WebhookOutput } = await import('../src/output/webhook.js');
  const said: string[] = [];
  const hook = new WebhookOutput(silent.url, (kind, m) => said.push(`${kind}: ${m}`), 100);
  const { tracker } = scripted(t, { outputHandlers: [hook] });
  tracker.start();
  await tracker.stop(); // does not wait for the post
  assert.equal(said.length, 0);
  await tracker.delivered();
  assert.deepEqual(said, [`webhook-timeout: the webhook ${silent.url} could not be reached (no answer within 100 ms): this record was not posted `
    + '(the CSV and the other outputs have it); check emissions_endpoint']);
});

test('an emissions_endpoint that is not a URL is a ConfigError naming it and where it came from', async () => {
  const { EmissionsTracker } = await import('../src/tracker.js');
  assert.throws(() => new EmissionsTracker({ countryIsoCode: 'FRA' }, { env: { CODECARBON_EMISSIONS_ENDPOINT: 'not a url' }, cwd: '/nonexistent', home: '/nonexistent' }),
    { message: 'emissions_endpoint (from environment variable CODECARBON_EMISSIONS_ENDPOINT): expected an http:// or https:// URL such as http://host:port/path, got "not a url"' });
  // Parsed as URLs, but no webhook: a host:port without a scheme, another scheme; credentials not shown.
  for (const [given, shown] of [['localhost:8080/emissions', 'localhost:8080/emissions'], ['ftp://u:pw@x/y', 'ftp://****@x/y']]) {
    assert.throws(() => new EmissionsTracker({ countryIsoCode: 'FRA', emissionsEndpoint: given }, { env: {}, cwd: '/nonexistent', home: '/nonexistent' }),
      { message: `emissions_endpoint (from argument): expected an http:// or https:// URL such as http://host:port/path, got "${shown}"` });
  }
});

test('a webhook URL\'s user:password is sent (basic auth) but not shown in warnings', async (t) => {
  const { WebhookOutput } = await import('../src/output/webhook.js');
  const said: string[] = [];
  const w = new WebhookOutput('http://alice:s3cret@127.0.0.1:1/hook', (_kind, m) => said.push(m), 200);
  await w.out({ emissions: 0 } as never);
  assert.equal(said.length, 1);
  assert.doesNotMatch(said[0]!, /s3cret|alice/);
  assert.match(said[0]!, /the webhook http:\/\/127\.0\.0\.1:1\/hook could not be reached/);
  t.diagnostic(said[0]!);
});

test('the logger output: one structured record per out and liveOut, at the level asked (console, pino and winston shapes)', async (t) => {
  const lines: unknown[][] = [];
  const consoleLike = { info: (...a: unknown[]) => void lines.push(['console.info', ...a]), log: (...a: unknown[]) => void lines.push(['console.log', ...a]) };
  const pinoLike = { warn: (...a: unknown[]) => void lines.push(['pino.warn', ...a]), info() {} };
  const winstonLike = { log: (level: string, entry: unknown) => void lines.push(['winston.log', level, entry]) };
  for (const [logger, options] of [[consoleLike, {}], [{ logger: pinoLike, level: 'warn' }, {}], [{ logger: winstonLike, level: 'notice' }, {}]] as const) {
    const { tracker, clock, warnings } = scripted(t, { loggingLogger: logger as never, outputMethods: 'logger', ...options });
    tracker.start();
    clock.advance(1000);
    await tracker.stop();
    assert.deepEqual(warnings, []);
  }
  assert.deepEqual(lines.map((l) => l[0]), ['console.info', 'pino.warn', 'winston.log']);
  assert.equal(lines[2]![1], 'notice');
  for (const l of lines) {
    const entry = l.at(-1) as Record<string, unknown>;
    assert.equal(entry['msg'], 'codecarbon emissions');
    assert.equal(entry['event'], 'out');
    assert.ok(Math.abs(Number(entry['cpu_energy']) * 3.6e6 - 10) < 1e-9);
    for (const c of columns) assert.ok(c in entry, c);
  }
});

test('save_to_logger without logging_logger, and a logger given with the output off: each one warning that says what to do', async (t) => {
  const a = scripted(t, { saveToLogger: true });
  a.tracker.start();
  await a.tracker.stop();
  assert.deepEqual(a.warnings, ['the logger output needs logging_logger: pass loggingLogger (console, a pino or winston logger) in code']);
  const b = scripted(t, { loggingLogger: console });
  b.tracker.start();
  await b.tracker.stop();
  assert.deepEqual(b.warnings, ['loggingLogger is given but the logger output is not on: nothing is logged; add "logger" to outputMethods (or saveToLogger: true)']);
});
