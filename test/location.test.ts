// Geolocation against local HTTP servers: answers, timeouts, HTTP errors, garbage, fallbacks, cache.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { locate, parseGeojs } from '../src/emissions/location.js';
import { tempDir } from './helpers/sysfs.js';

/** An answer, or `hang`: accept the request and never answer (a time-out decided by the server, not by a race of timers). */
type Route = (hit: number) => { status?: number; body?: string; hang?: true };

async function serve(routes: Record<string, Route>): Promise<{ url: (p: string) => string; hits: Map<string, number>; close: () => Promise<void> }> {
  const hits = new Map<string, number>();
  const server: Server = createServer((req, res) => {
    const n = (hits.get(req.url!) ?? 0) + 1;
    hits.set(req.url!, n);
    const r = routes[req.url!]?.(n) ?? { status: 404, body: '' };
    if (r.hang) return;
    res.writeHead(r.status ?? 200, { 'content-type': 'application/json' });
    res.end(r.body ?? '');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return {
    url: (p) => `http://127.0.0.1:${port}${p}`,
    hits,
    close: () => new Promise((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}

const geojsParis = JSON.stringify({ country_code3: 'FRA', country: 'France', region: 'Île-de-France', latitude: '48.8582', longitude: '2.3387', country_code: 'FR' });
const ipinfoOntario = JSON.stringify({ country: 'CA', region: 'Ontario', loc: '43.7001,-79.4163' });

test('geojs answers: country, lower-case region and coordinates, then the cache', async () => {
  const s = await serve({ '/geo': () => ({ body: geojsParis }) });
  const cacheFile = join(tempDir(), 'location.json');
  try {
    const first = await locate({ geojsUrl: s.url('/geo'), ipinfoUrl: s.url('/none'), cacheFile });
    assert.deepEqual(first, { location: { countryIsoCode: 'FRA', countryName: 'France', source: 'geojs', region: 'île-de-france', latitude: 48.8582, longitude: 2.3387 }, failures: [] });
    const second = await locate({ geojsUrl: s.url('/geo'), ipinfoUrl: s.url('/none'), cacheFile });
    assert.deepEqual(second.location, first.location);
    assert.equal(s.hits.get('/geo'), 1);
  } finally {
    await s.close();
  }
});

test('silent, failing or regionless geojs: one retry each, then ipinfo (ISO-2 code)', async () => {
  for (const geo of [() => ({ hang: true }), () => ({ status: 500 }), () => ({ body: '{not json' }),
    () => ({ body: JSON.stringify({ country_code3: 'FRA', region: '' }) })] as Route[]) {
    const s = await serve({ '/geo': geo, '/ipinfo': () => ({ body: ipinfoOntario }) });
    try {
      const r = await locate({ geojsUrl: s.url('/geo'), ipinfoUrl: s.url('/ipinfo'), timeoutMs: 400, cacheFile: null });
      assert.equal(s.hits.get('/geo'), 2);
      assert.deepEqual(r.location, { countryIsoCode: 'CAN', countryName: 'Canada', source: 'ipinfo', region: 'ontario', latitude: 43.7001, longitude: -79.4163 });
      assert.equal(r.failures.length, 2);
    } finally {
      await s.close();
    }
  }
});

test('every source fails: no country is invented; the reasons are given', async () => {
  const s = await serve({ '/geo': (n) => (n === 1 ? { status: 500 } : { body: JSON.stringify({ country_code3: 'XXX', region: 'Nowhere' }) }),
    '/ipinfo': (n) => (n === 1 ? { body: '[]' } : { status: 503 }) });
  try {
    const r = await locate({ geojsUrl: s.url('/geo'), ipinfoUrl: s.url('/ipinfo'), cacheFile: null });
    assert.equal(r.location, null);
    assert.deepEqual(r.failures, [
      `${s.url('/geo')}: HTTP 500`, `${s.url('/geo')}: unknown country "XXX" in the answer`,
      `${s.url('/ipinfo')}: no country code in the answer`, `${s.url('/ipinfo')}: HTTP 503`,
    ]);
  } finally {
    await s.close();
  }
  const gone = await serve({});
  const url = gone.url('/');
  await gone.close(); // a port nobody listens on any more
  const closed = await locate({ geojsUrl: url, ipinfoUrl: url, retries: 0, cacheFile: null });
  assert.deepEqual(closed.failures, [`${url}: ECONNREFUSED`, `${url}: ECONNREFUSED`]);
});

test('an unknown country code from a service is a failure, not a guess', () => {
  assert.throws(() => parseGeojs({ country_code3: 'XXX', region: 'somewhere' }), /unknown country "XXX"/);
});
