// Cloud detection against a local stand-in for 169.254.169.254: AWS (IMDSv2 and v1), Azure, GCP,
// each checking the headers the real services require; slow, failing and garbled answers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { detectCloud } from '../src/emissions/cloud.js';
import { EmissionsTracker } from '../src/tracker.js';
import { parseCsv } from '../src/output/csv.js';
import { fakeTracker } from './helpers/tracker.js';

/** An answer, or `hang`: accept the request and never answer (a time-out decided by the server, not by a race of timers). */
interface Answer { status?: number; body?: string; headers?: Record<string, string>; hang?: true }
type Handler = (req: IncomingMessage) => Answer | undefined;

async function metadata(handlers: Handler[]): Promise<{ url: string; seen: string[]; close: () => Promise<void> }> {
  const seen: string[] = [];
  const server: Server = createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    const a = handlers.map((h) => h(req)).find((x) => x !== undefined) ?? { status: 404 };
    if (a.hang) return;
    res.writeHead(a.status ?? 200, a.headers ?? {});
    res.end(a.body ?? '');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    seen,
    close: () => new Promise((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}

/** AWS with IMDSv2 required: the document only for a request carrying the session token. */
const awsV2 = (region: unknown): Handler => (req) => {
  if (req.url === '/latest/api/token' && req.method === 'PUT' && req.headers['x-aws-ec2-metadata-token-ttl-seconds']) return { body: 'tok-123' };
  if (req.url === '/latest/dynamic/instance-identity/document') {
    return req.headers['x-aws-ec2-metadata-token'] === 'tok-123'
      ? { body: JSON.stringify({ region, instanceType: 'p5.48xlarge', availabilityZone: `${region}a` }) } : { status: 401 };
  }
  return undefined;
};
const azure = (location: string): Handler => (req) => req.url?.startsWith('/metadata/instance?api-version=')
  ? req.headers['metadata'] === 'true' ? { body: JSON.stringify({ compute: { location, vmSize: 'Standard_ND96' } }) } : { status: 400 }
  : undefined;
const gcp = (zone: string, flavour = 'Google'): Handler => (req) => req.url === '/computeMetadata/v1/instance/zone'
  ? req.headers['metadata-flavor'] === 'Google' ? { body: zone, headers: { 'Metadata-Flavor': flavour } } : { status: 403 }
  : undefined;

test('AWS with IMDSv2: the token first, then the identity document\'s region', async () => {
  const s = await metadata([awsV2('us-east-1')]);
  try {
    const r = await detectCloud({ baseUrl: s.url, timeoutMs: 10_000 });
    assert.deepEqual(r.cloud, { provider: 'aws', region: 'us-east-1' });
    assert.ok(s.seen.includes('PUT /latest/api/token'));
  } finally {
    await s.close();
  }
});

test('AWS answering only the IMDSv1 way, Azure, and GCP (europe-west10 stays europe-west10)', async () => {
  const v1: Handler = (req) => req.url === '/latest/dynamic/instance-identity/document' && req.headers['x-aws-ec2-metadata-token'] === undefined
    ? { body: JSON.stringify({ region: 'eu-west-3' }) } : req.url === '/latest/api/token' ? { status: 405 } : undefined;
  for (const [handler, expected] of [
    [v1, { provider: 'aws', region: 'eu-west-3' }],
    [azure('WestEurope'), { provider: 'azure', region: 'westeurope' }],
    [gcp('projects/123456/zones/europe-west10-a'), { provider: 'gcp', region: 'europe-west10' }],
  ] as const) {
    const s = await metadata([handler]);
    try {
      assert.deepEqual((await detectCloud({ baseUrl: `${s.url}/`, timeoutMs: 10_000 })).cloud, expected);
    } finally {
      await s.close();
    }
  }
});

test('off the cloud: silent, failing, garbled or regionless answers give null with every reason', async () => {
  const s = await metadata([
    (req) => (req.url === '/latest/api/token' ? { hang: true } : undefined),
    (req) => (req.url?.startsWith('/metadata/instance') ? { body: JSON.stringify({ compute: { vmSize: 'x' } }) } : undefined),
    gcp('projects/1/zones/europe-west1-b', 'Someone-Else'),
  ]);
  try {
    const r = await detectCloud({ baseUrl: s.url, timeoutMs: 400 });
    assert.equal(r.cloud, null);
    assert.deepEqual(r.failures, ['aws: no answer within 400 ms', 'azure: no compute.location in the answer',
      'gcp: the answer has no Metadata-Flavor: Google header']);
  } finally {
    await s.close();
  }
  const bad = await metadata([
    (req) => (req.url?.startsWith('/latest/') ? { status: 500 } : undefined),
    (req) => (req.url?.startsWith('/metadata/instance') ? { body: '<html>captive portal</html>' } : undefined),
    gcp('not-a-zone'),
  ]);
  try {
    assert.deepEqual((await detectCloud({ baseUrl: bad.url, timeoutMs: 10_000 })).failures,
      ['aws: HTTP 500', 'azure: the answer is not JSON', 'gcp: zone "not-a-zone" is not a zone name']);
  } finally {
    await bad.close();
  }
  const closed = await metadata([]);
  await closed.close(); // a port nothing listens on any more
  const refused = await detectCloud({ baseUrl: closed.url, timeoutMs: 10_000 });
  assert.deepEqual(refused.failures, ['aws: ECONNREFUSED', 'azure: ECONNREFUSED', 'gcp: ECONNREFUSED']);
});

test('an online tracker on AWS: the region\'s location gives the intensity; the row says cloud, no coordinates', async () => {
  const s = await metadata([awsV2('us-west-2')]);
  try {
    // A test of the answer, not of the time-out: on a loaded machine the server (in this process) may
    // answer after the default 1 s, and the row would rightly have no cloud fields.
    const { tracker, dir } = fakeTracker({ countryIsoCode: null, cloudMetadataUrl: s.url, cloudMetadataTimeoutMs: 30_000 }, EmissionsTracker);
    tracker.start();
    await tracker.stop();
    const [header, row] = parseCsv(readFileSync(join(dir, 'emissions.csv'), 'utf8'));
    const r = Object.fromEntries(header!.map((h, i) => [h, row![i]]));
    assert.deepEqual([r['cloud_provider'], r['cloud_region'], r['on_cloud'], r['country_iso_code'], r['latitude'], r['region']],
      ['aws', 'us-west-2', 'Y', 'USA', '', '']);
    assert.match(r['carbon_intensity_source']!, /^us-state: US state oregon \(OR\), .*aws publishes no grid intensity for us-west-2, so that of its location \(Oregon\) is used$/);
  } finally {
    await s.close();
  }
});
