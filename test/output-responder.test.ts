// The scrape endpoint's HTTP/1.1 server (src/output/responder.ts) over real loopback sockets:
// pipelined and split requests, keep-alive and close, HEAD, bodies never read, the limits on a
// head's size and time, idle and surplus connections, a client that never reads, close().
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import fc from 'fast-check';
import { defaultLimits, Responder, type Answer, type ResponderLimits } from '../src/output/responder.js';

/** Each test's limit: a server that never answers or never closes fails it rather than hanging the suite. */
const limit = { timeout: 30_000 };

/** A responder on a free loopback port answering `/a` with `body` (and counting its calls); closed after the test. */
async function serve(t: import('node:test').TestContext, options: { limits?: Partial<ResponderLimits>; body?: string; nowMs?: () => number } = {}) {
  const calls: string[] = [];
  const body = options.body ?? 'hello ✓\n';
  const handle = (method: string, path: string): Answer => {
    calls.push(`${method} ${path}`);
    if (path === '/throw') throw new Error('no figures');
    if (path === '/throw-undefined') throw undefined; // eslint-disable-line no-throw-literal
    if (path === '/malformed') return { status: 200, contentType: 'text/plain', body: 42 as unknown as string };
    return path === '/a' ? { status: 200, contentType: 'text/plain', body } : { status: 404, contentType: 'text/plain', body: 'no\n' };
  };
  const r = new Responder(handle, { ...defaultLimits, ...options.limits }, options.nowMs);
  await new Promise<void>((resolve) => r.server.listen(0, '127.0.0.1', resolve));
  t.after(() => r.close());
  return { r, calls, port: (r.server.address() as { port: number }).port };
}

/** A connection that collects what it is sent; `closed` resolves to all of it once the server closes. */
async function open(port: number): Promise<{ s: Socket; got: () => string; closed: Promise<string> }> {
  const s = connect(port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => s.once('connect', resolve).once('error', reject));
  let got = '';
  s.setEncoding('utf8');
  s.on('data', (c: string) => { got += c; });
  const closed = new Promise<string>((resolve) => s.once('close', () => resolve(got)));
  s.on('error', () => {});
  return { s, got: () => got, closed };
}

/** Resolves once `got()` holds `n` whole answers, or the connection has closed: what it holds then. */
async function answers(c: { s: Socket; got: () => string; closed: Promise<string> }, n: number): Promise<string[]> {
  let closed = false;
  void c.closed.then(() => { closed = true; });
  while (split(c.got()).length < n && !closed) await Promise.race([new Promise((r) => c.s.once('data', r)), c.closed]);
  return split(c.got());
}

/** A raw connection that reads nothing until resumed. */
async function stalled(port: number): Promise<Socket> {
  const s = connect(port, '127.0.0.1');
  await new Promise((r) => s.once('connect', r));
  s.pause();
  return s;
}

/** Resolves once `calls` has stopped growing for 200 ms (a server that has stopped reading). */
async function settle(calls: readonly unknown[]): Promise<number> {
  let seen = -1;
  while (seen !== calls.length) {
    seen = calls.length;
    await new Promise((r) => setTimeout(r, 200));
  }
  return seen;
}

/** The whole answers at the start of a stream (each as long as its content-length says), without their Date header. */
function split(text: string): string[] {
  const out: string[] = [];
  let rest = Buffer.from(text);
  for (;;) {
    const headEnd = rest.indexOf('\r\n\r\n');
    if (headEnd < 0) return out;
    const end = headEnd + 4 + Number(/content-length: (\d+)/.exec(rest.subarray(0, headEnd).toString())?.[1] ?? 0);
    if (rest.length < end) return out;
    out.push(rest.subarray(0, end).toString().replace(/date: [^\r]*\r\n/, ''));
    rest = rest.subarray(end);
  }
}

const ok = (connection: 'keep-alive' | 'close', body = 'hello ✓\n'): string =>
  `HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: ${connection}\r\n\r\n${body}`;

test('pipelined requests in one write are answered in order on the kept connection; Connection: close ends it after its answer', limit, async (t) => {
  const { port, calls } = await serve(t);
  const c = await open(port);
  c.s.write('GET /a HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\nGET /b?x=1 HTTP/1.1\r\nHost: x\r\n\r\n');
  assert.deepEqual(await answers(c, 2), [ok('keep-alive'), 'HTTP/1.1 404 Not Found\r\ncontent-type: text/plain\r\ncontent-length: 3\r\nconnection: keep-alive\r\n\r\nno\n']);
  c.s.write('GET /a HTTP/1.1\r\nConnection: close\r\nConnection: keep-alive\r\n\r\nGET /a HTTP/1.1\r\n\r\n');
  assert.deepEqual(split(await c.closed), [ok('keep-alive'), 'HTTP/1.1 404 Not Found\r\ncontent-type: text/plain\r\ncontent-length: 3\r\nconnection: keep-alive\r\n\r\nno\n', ok('close')],
    'a close said anywhere in the head closes');
  assert.deepEqual(calls, ['GET /a', 'GET /b', 'GET /a'], 'nothing after the closing request is answered');
  assert.match(c.got(), /\r\ndate: (Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d GMT\r\n/);
});

test('any split of a stream of requests into pieces gets the same answers as the whole (fast-check)', limit, async (t) => {
  const { port } = await serve(t);
  const request = fc.record({
    method: fc.constantFrom('GET', 'HEAD'), path: fc.constantFrom('/a', '/a?q=1', '/nope', 'http://h:1/a'),
    eol: fc.constantFrom('\r\n', '\n'), headers: fc.array(fc.constantFrom('Host: x', 'Accept: */*', 'X-Y:  z ', 'Connection: keep-alive'), { maxLength: 3 }),
  });
  const text = (q: { method: string; path: string; eol: string; headers: string[] }): string =>
    [`${q.method} ${q.path} HTTP/1.1`, ...q.headers, '', ''].join(q.eol);
  await fc.assert(fc.asyncProperty(fc.array(request, { minLength: 1, maxLength: 5 }), fc.array(fc.integer({ min: 1, max: 40 }), { maxLength: 20 }),
    async (reqs, cuts) => {
      const whole = reqs.map(text).join('');
      const expected = reqs.map((q) => {
        const found = q.path.endsWith('/a') || q.path === '/a?q=1';
        const a = found ? ok('keep-alive') : 'HTTP/1.1 404 Not Found\r\ncontent-type: text/plain\r\ncontent-length: 3\r\nconnection: keep-alive\r\n\r\nno\n';
        return q.method === 'HEAD' ? a.slice(0, a.indexOf('\r\n\r\n') + 4) : a;
      });
      const c = await open(port);
      let at = 0;
      for (const n of cuts) {
        if (at >= whole.length) break;
        c.s.write(whole.slice(at, at += n));
        await new Promise((r) => setImmediate(r));
      }
      c.s.write(whole.slice(at));
      // HEAD answers carry a length but no body: read them in order, knowing which is which.
      while (c.got().split('HTTP/1.1 ').length - 1 < reqs.length) await new Promise((r) => c.s.once('data', r));
      c.s.end();
      const got = (await c.closed).split(/(?=HTTP\/1\.1 \d{3} )/).map((a) => a.replace(/date: [^\r]*\r\n/, ''));
      assert.deepEqual(got, expected);
    }), { numRuns: 60 });
});

test('HTTP/1.0 closes after its answer unless it asks to be kept; HEAD gets the length and no body', limit, async (t) => {
  const { port } = await serve(t);
  const a = await open(port);
  a.s.write('GET /a HTTP/1.0\r\n\r\n');
  assert.deepEqual(split(await a.closed), [ok('close')]);
  const b = await open(port);
  b.s.write('GET /a HTTP/1.0\r\nConnection: keep-alive\r\n\r\nHEAD /a HTTP/1.1\r\nConnection: close\r\n\r\n');
  const text = await b.closed;
  assert.equal(text.replace(/date: [^\r]*\r\n/g, ''), ok('keep-alive') + ok('close').slice(0, ok('close').indexOf('\r\n\r\n') + 4));
});

test('a request with a body is answered, and its connection closed without reading the body as a request', limit, async (t) => {
  const { port, calls } = await serve(t);
  for (const framing of ['Content-Length: 27', 'Transfer-Encoding: chunked']) {
    const c = await open(port);
    c.s.write(`POST /a HTTP/1.1\r\n${framing}\r\n\r\nGET /smuggled HTTP/1.1\r\n\r\n`);
    assert.deepEqual(split(await c.closed), [ok('close')]);
  }
  assert.deepEqual(calls, ['POST /a', 'POST /a']);
});

test('malformed heads: 400 and closed; a head over the limit: 431, sent whole before the close; a throwing handler: 500 and the connection goes on', limit, async (t) => {
  const { port } = await serve(t, { limits: { maxHeadBytes: 1024 } });
  for (const bad of ['NOT HTTP AT ALL\r\n\r\n', 'GET /a HTTP/2.0\r\n\r\n', 'GET /a HTTP/1.1\r\nno colon here\r\n\r\n', 'GET /a HTTP/1.1\r\nA: b\r\n folded\r\n\r\n',
    'GET /a HTTP/1.1\r\nBad Name: x\r\n\r\n', 'GET /a HTTP/1.1\r\nA: b\rc\r\n\r\n']) {
    const c = await open(port);
    c.s.write(bad);
    assert.match(await c.closed, /^HTTP\/1\.1 400 Bad Request\r\n.*connection: close\r\n\r\nnot an HTTP\/1\.1 request\n$/s, JSON.stringify(bad));
  }
  for (const size of [2048, 256 * 1024]) { // whole in one read, and arriving over many
    const big = await open(port);
    big.s.write(`GET /a HTTP/1.1\r\nX-Big: ${'a'.repeat(size)}\r\n\r\n`);
    assert.match(await big.closed, /^HTTP\/1\.1 431 Request Header Fields Too Large\r\n.*\r\n\r\nrequest head too long\n$/s);
  }
  const c = await open(port);
  c.s.write('\r\nGET /throw HTTP/1.1\r\n\r\n');
  assert.deepEqual(await answers(c, 1), ['HTTP/1.1 500 Internal Server Error\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: 30\r\n'
    + 'connection: keep-alive\r\n\r\nthe answer failed: no figures\n']);
  c.s.write('GET /throw-undefined HTTP/1.1\r\n\r\nGET /malformed HTTP/1.1\r\n\r\nGET /a HTTP/1.1\r\n\r\n');
  const [, undef, malformed, fine] = await answers(c, 4);
  assert.match(undef!, /^HTTP\/1\.1 500 .*\r\n\r\nthe answer failed: undefined\n$/s);
  assert.match(malformed!, /^HTTP\/1\.1 500 .*\r\n\r\nthe answer failed: .*\n$/s);
  assert.equal(fine, ok('keep-alive'));
});

test('a head that takes longer than its limit to arrive (a scripted clock): 408 and closed', limit, async (t) => {
  let nowMs = 0;
  let reads = 0;
  const { port } = await serve(t, { limits: { headMs: 10_000 }, nowMs: () => { reads++; return nowMs; } });
  const slow = await open(port);
  /** Writes `text` and resolves once the server has read it (it reads the clock on every piece of a head). */
  const send = async (text: string): Promise<void> => {
    const before = reads;
    slow.s.write(text);
    while (reads === before) await new Promise((r) => setImmediate(r));
  };
  await send('GET /a HTTP/1.1\r\n');
  nowMs = 9_000;
  await send('Host: x\r\n');
  assert.equal(slow.got(), '', 'within its limit, a head is waited for');
  nowMs = 10_001;
  slow.s.write('Accept: */*\r\n');
  assert.match(await slow.closed, /^HTTP\/1\.1 408 Request Timeout\r\n.*request head too slow\n$/s);
});

test('the time a server does not read (its answers queued) is not counted against the client\'s next head', limit, async (t) => {
  let nowMs = 0;
  const body = 'x'.repeat(8 << 20); // more than the socket buffers hold: the server waits to write
  const { port, calls } = await serve(t, { body, nowMs: () => nowMs });
  const s = await stalled(port);
  s.write('GET /a HTTP/1.1\r\n\r\nGET /a HT');
  await settle(calls);
  s.write('TP/1.1\r\n\r\n');
  nowMs = 60_000;
  let bytes = 0;
  let text = '';
  s.on('data', (c: Buffer) => { bytes += c.length; if (text.length < 200) text += c.subarray(0, 200).toString('latin1'); });
  s.resume();
  const each = ok('keep-alive', body).length;
  while (bytes < 2 * each) await new Promise((r) => s.once('data', r));
  assert.equal(calls.length, 2);
  assert.match(text, /^HTTP\/1\.1 200 /);
  s.destroy();
});

test('a connection silent both ways for the idle limit is closed, whether or not it was answered before', limit, async (t) => {
  const { port } = await serve(t, { limits: { idleMs: 1500 } });
  const idle = await open(port);
  const used = await open(port);
  used.s.write('GET /a HTTP/1.1\r\n\r\n');
  assert.equal((await answers(used, 1)).length, 1);
  assert.equal(await idle.closed, '', 'the server closed a silent connection');
  assert.equal(split(await used.closed).length, 1, 'and the used one once it fell silent');
});

test('connections beyond the limit are refused; close() stops listening and ends the open ones', limit, async (t) => {
  const { r, port } = await serve(t, { limits: { maxConnections: 2 } });
  const kept = [await open(port), await open(port)];
  for (const c of kept) {
    c.s.write('GET /a HTTP/1.1\r\n\r\n');
    await answers(c, 1);
  }
  const third = await open(port);
  third.s.write('GET /a HTTP/1.1\r\n\r\n');
  assert.equal(await third.closed, '', 'a third connection is closed unanswered');
  r.close();
  assert.equal(r.server.listening, false);
  assert.deepEqual((await Promise.all(kept.map((c) => c.closed))).map(split), kept.map(() => [ok('keep-alive')]));
  await assert.rejects(open(port), { code: 'ECONNREFUSED' });
});

test('a client that pipelines and never reads: the server stops reading its requests once its answers queue up, and answers them all once read', limit, async (t) => {
  const body = 'x'.repeat(64 * 1024);
  const { port, calls } = await serve(t, { body, limits: { maxQueuedBytes: 64 * 1024 } });
  const s = await stalled(port);
  const n = 1000;
  s.write('GET /a HTTP/1.1\r\n\r\n'.repeat(n));
  await settle(calls); // the answers a stalled reader can hold: the kernel's socket buffers (a few MB), then 64 KiB queued
  assert.ok(calls.length < n / 2, `${calls.length} of ${n} answered to a client that reads nothing`);
  let bytes = 0;
  s.on('data', (c: Buffer) => { bytes += c.length; });
  s.resume();
  const each = ok('keep-alive', body).length;
  while (bytes < n * each) await new Promise((r) => s.once('data', r));
  assert.equal(calls.length, n);
  s.destroy();
});

test('a client that sends its requests and then its FIN gets every answer, however many wait to be sent', limit, async (t) => {
  const body = 'x'.repeat(64 * 1024);
  const { port, calls } = await serve(t, { body, limits: { maxQueuedBytes: 64 * 1024 } });
  const s = await stalled(port);
  const n = 300;
  s.end('GET /a HTTP/1.1\r\n\r\n'.repeat(n));
  await settle(calls);
  let bytes = 0;
  s.on('data', (c: Buffer) => { bytes += c.length; });
  const closed = new Promise((r) => s.once('close', r));
  s.resume();
  await closed;
  assert.equal(calls.length, n);
  assert.equal(bytes, n * (ok('keep-alive', body).length + 'date: Thu, 03 Dec 2026 17:52:41 GMT\r\n'.length));
});

test('a queue limit under the socket\'s own buffer does not stall the connection', limit, async (t) => {
  const body = 'x'.repeat(8 * 1024);
  const { port, calls } = await serve(t, { body, limits: { maxQueuedBytes: 4096 } });
  const c = await open(port);
  c.s.end('GET /a HTTP/1.1\r\n\r\n'.repeat(2000));
  assert.equal(split(await c.closed).length, 2000);
  assert.equal(calls.length, 2000);
});

test('a connection being closed that goes on sending is dropped once its answer has been sent a while', limit, async (t) => {
  const { port } = await serve(t, { limits: { maxHeadBytes: 1024, closeMs: 200 } });
  const s = connect({ port, host: '127.0.0.1', allowHalfOpen: true });
  await new Promise((r) => s.once('connect', r));
  let got = '';
  s.setEncoding('utf8');
  s.on('data', (c: string) => { got += c; });
  s.on('error', () => {});
  let open = true;
  s.once('close', () => { open = false; });
  s.write(`GET /a HTTP/1.1\r\nX-Big: ${'a'.repeat(2048)}\r\n\r\n`);
  while (open) {
    s.write('b'.repeat(1024)); // the server has ended its side; this peer has not, and keeps sending
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.match(got, /^HTTP\/1\.1 431 /);
});

test('a peer\'s reset, mid-request or with answers queued for it, crashes nothing, and the server goes on serving', limit, async (t) => {
  const body = 'x'.repeat(1 << 20);
  const { port, calls } = await serve(t, { body, limits: { maxQueuedBytes: 64 * 1024 } });
  const mid = await open(port);
  mid.s.write('GET /a HTTP/1.1\r\nHo');
  await new Promise((r) => setImmediate(r));
  mid.s.resetAndDestroy();
  const queued = await open(port);
  queued.s.pause();
  queued.s.write('GET /a HTTP/1.1\r\n\r\n'.repeat(100));
  await settle(calls);
  queued.s.resetAndDestroy();
  await Promise.all([mid.closed, queued.closed]);
  const d = await open(port);
  d.s.write('GET http://h:1?q HTTP/1.1\r\n\r\nGET /a HTTP/1.1\r\n\r\n');
  assert.deepEqual(await answers(d, 2), ['HTTP/1.1 404 Not Found\r\ncontent-type: text/plain\r\ncontent-length: 3\r\nconnection: keep-alive\r\n\r\nno\n', ok('keep-alive', body)]);
  assert.deepEqual(calls.slice(-2), ['GET /', 'GET /a'], 'an absolute target without a path asks for /');
});

test('close() before the server listens leaves it closed once it would have listened', limit, async () => {
  const early = new Responder(() => ({ status: 200, contentType: 'text/plain', body: '' }));
  early.server.listen(0, '127.0.0.1');
  early.close();
  await new Promise((r) => early.server.once('close', r));
  assert.equal(early.server.listening, false);
});
