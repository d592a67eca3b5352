// Which cloud this machine runs in, from the providers' metadata services, asked in parallel.
import { ask, askFailure, jsonBody } from './http.js';

/** A cloud provider and region, as its metadata service names them. */
export interface CloudLocation {
  readonly provider: 'aws' | 'azure' | 'gcp';
  /** e.g. `us-east-1`, `westeurope`, `europe-west10`. */
  readonly region: string;
}

export interface CloudDetectOptions {
  /** The metadata services' address (default http://169.254.169.254); tests and proxies point it elsewhere. */
  readonly baseUrl?: string;
  /** For each provider's whole exchange (default 1000 ms). */
  readonly timeoutMs?: number;
}

export const defaultCloudMetadataUrl = 'http://169.254.169.254';

type Probe = (base: string, signal: AbortSignal) => Promise<CloudLocation>;

/**
 * AWS: IMDSv2 (a session token first, as instances that require it refuse the plain GET), then the
 * instance identity document's `region`. A service that answers the token request with an HTTP
 * error is asked the IMDSv1 way.
 */
const aws: Probe = async (base, signal) => {
  const headers: Record<string, string> = {};
  const token = await ask(`${base}/latest/api/token`, { method: 'PUT', signal, headers: { 'X-aws-ec2-metadata-token-ttl-seconds': '60' } });
  if (token.ok) headers['X-aws-ec2-metadata-token'] = token.text.trim();
  const doc = jsonBody(await ask(`${base}/latest/dynamic/instance-identity/document`, { signal, headers })) as Record<string, unknown>;
  return { provider: 'aws', region: field(doc['region'], 'aws', 'region') };
};

/** Azure: the instance metadata's `compute.location`, asked with `Metadata: true`. */
const azure: Probe = async (base, signal) => {
  const doc = jsonBody(await ask(`${base}/metadata/instance?api-version=2021-02-01`, { signal, headers: { Metadata: 'true' } })) as
    { compute?: Record<string, unknown> };
  return { provider: 'azure', region: field(doc.compute?.['location'], 'azure', 'compute.location') };
};

/**
 * GCP: the instance's zone (`projects/123/zones/europe-west10-a`), asked with `Metadata-Flavor:
 * Google`; the region is the zone without its last part, so europe-west10 stays europe-west10
 * (CodeCarbon's pattern cuts it to europe-west1, a region in another country).
 */
const gcp: Probe = async (base, signal) => {
  const res = await ask(`${base}/computeMetadata/v1/instance/zone`, { signal, headers: { 'Metadata-Flavor': 'Google' } });
  if (!res.ok) throw new Error(`gcp: HTTP ${res.status}`);
  if (res.headers['metadata-flavor'] !== 'Google') throw new Error('gcp: the answer has no Metadata-Flavor: Google header');
  const zone = res.text.trim().split('/').pop() ?? '';
  const m = /^([a-z]+-[a-z]+\d+)-[a-z]$/.exec(zone);
  if (m === null) throw new Error(`gcp: zone ${JSON.stringify(zone.slice(0, 80))} is not a zone name`);
  return { provider: 'gcp', region: m[1]! };
};

function field(v: unknown, provider: string, name: string): string {
  if (typeof v !== 'string' || v.trim() === '') throw new Error(`${provider}: no ${name} in the answer`);
  return v.trim().toLowerCase();
}

/**
 * Asks AWS's, Azure's and GCP's metadata services at once, each within `timeoutMs`: the first
 * that names a region wins. Off the cloud, null with why each failed (a refused connection or no
 * answer in time).
 */
export async function detectCloud(o: CloudDetectOptions = {}): Promise<{ cloud: CloudLocation | null; failures: string[] }> {
  const base = (o.baseUrl ?? defaultCloudMetadataUrl).replace(/\/+$/, '');
  const timeoutMs = o.timeoutMs ?? 1000;
  const failures: string[] = [];
  const done = new AbortController(); // the first answer ends the other exchanges
  const probes = ([['aws', aws], ['azure', azure], ['gcp', gcp]] as const).map(async ([name, probe]) => {
    try {
      return await probe(base, AbortSignal.any([AbortSignal.timeout(timeoutMs), done.signal]));
    } catch (e) {
      const why = askFailure(e, timeoutMs);
      failures.push(why.startsWith(`${name}:`) ? why : `${name}: ${why}`);
      throw e;
    }
  });
  try {
    const cloud = await Promise.any(probes);
    done.abort();
    return { cloud, failures };
  } catch {
    return { cloud: null, failures: failures.sort() };
  }
}
