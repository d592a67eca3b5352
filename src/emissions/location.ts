// Where this machine is, from its public IP: geojs, then ipinfo, with timeouts, a retry and a disk cache.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { countryTable } from './data.js';
import { ask, askFailure, jsonBody } from './http.js';
import { resolveCountry } from './intensity.js';

/** A location found from the public IP address. */
export interface GeoLocation {
  readonly countryIsoCode: string;
  readonly countryName: string;
  /** Lower-case region (state, province…), or null when the service gave none. */
  readonly region: string | null;
  readonly latitude: number | null;
  readonly longitude: number | null;
  readonly source: 'geojs' | 'ipinfo';
}

export interface LocateOptions {
  readonly geojsUrl?: string;
  readonly ipinfoUrl?: string;
  /** Per request (default 2000 ms). */
  readonly timeoutMs?: number;
  /** Extra tries per service (default 1). */
  readonly retries?: number;
  /** Where a found location is kept; null for no cache. Default: $XDG_CACHE_HOME/codecarbon/location.json. */
  readonly cacheFile?: string | null;
  /** How long a cached location is used (default 24 h). */
  readonly cacheTtlMs?: number;
}

export const defaultGeojsUrl = 'https://get.geojs.io/v1/ip/geo.json';
export const defaultIpinfoUrl = 'https://ipinfo.io/json';

/** The default cache file, under $XDG_CACHE_HOME (or ~/.cache). */
export function defaultCacheFile(env: NodeJS.ProcessEnv = process.env): string {
  return join(env['XDG_CACHE_HOME'] || join(homedir(), '.cache'), 'codecarbon', 'location.json');
}

const num = (v: unknown): number | null => {
  const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : typeof v === 'number' ? v : Number.NaN;
  return Number.isFinite(n) ? n : null;
};

function fromCountry(code: unknown, source: GeoLocation['source'], rest: Omit<GeoLocation, 'countryIsoCode' | 'countryName' | 'source'>): GeoLocation {
  if (typeof code !== 'string' || code.trim() === '') throw new Error('no country code in the answer');
  let iso3: string;
  try {
    iso3 = resolveCountry(code, source);
  } catch {
    throw new Error(`unknown country ${JSON.stringify(code)} in the answer`);
  }
  return { countryIsoCode: iso3, countryName: countryTable().countries[iso3]!.name, source, ...rest };
}

/** geojs: ISO-3 code, region (an empty one counts as a failure, as upstream), coordinates as strings. */
export function parseGeojs(body: unknown): GeoLocation {
  const b = body as Record<string, unknown>;
  const region = typeof b['region'] === 'string' ? b['region'].trim().toLowerCase() : '';
  if (region === '') throw new Error('no region in the answer');
  return fromCountry(b['country_code3'], 'geojs', { region, latitude: num(b['latitude']), longitude: num(b['longitude']) });
}

/** ipinfo: ISO-2 code, region, "lat,lon". */
export function parseIpinfo(body: unknown): GeoLocation {
  const b = body as Record<string, unknown>;
  const [lat, lon] = typeof b['loc'] === 'string' ? b['loc'].split(',') : [];
  const region = typeof b['region'] === 'string' && b['region'].trim() !== '' ? b['region'].trim().toLowerCase() : null;
  return fromCountry(b['country'], 'ipinfo', { region, latitude: num(lat), longitude: num(lon) });
}

async function askService(url: string, timeoutMs: number, parse: (body: unknown) => GeoLocation): Promise<GeoLocation> {
  return parse(jsonBody(await ask(url, { signal: AbortSignal.timeout(timeoutMs), headers: { accept: 'application/json' } })));
}

function readCache(file: string, ttlMs: number): GeoLocation | null {
  try {
    const c = JSON.parse(readFileSync(file, 'utf8')) as { savedAt: number; location: GeoLocation };
    return Date.now() - c.savedAt < ttlMs && typeof c.location?.countryIsoCode === 'string' ? c.location : null;
  } catch {
    return null;
  }
}

function writeCache(file: string, location: GeoLocation): void {
  try {
    mkdirSync(dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify({ savedAt: Date.now(), location }));
    renameSync(tmp, file); // whole or not at all, for other processes reading it
  } catch {
    // a cache that cannot be written only costs a lookup next time
  }
}

/**
 * The machine's location: the cache if fresh, else geojs, else ipinfo (each with a timeout and
 * retries). Never invents one: null with the reasons when every source fails.
 */
export async function locate(o: LocateOptions = {}): Promise<{ location: GeoLocation | null; failures: string[] }> {
  const cacheFile = o.cacheFile === undefined ? defaultCacheFile() : o.cacheFile;
  const cached = cacheFile === null ? null : readCache(cacheFile, o.cacheTtlMs ?? 24 * 3600 * 1000);
  if (cached !== null) return { location: cached, failures: [] };
  const failures: string[] = [];
  const sources: [string, (b: unknown) => GeoLocation][] = [
    [o.geojsUrl ?? defaultGeojsUrl, parseGeojs],
    [o.ipinfoUrl ?? defaultIpinfoUrl, parseIpinfo],
  ];
  for (const [url, parse] of sources) {
    for (let attempt = 0; attempt <= (o.retries ?? 1); attempt++) {
      try {
        const location = await askService(url, o.timeoutMs ?? 2000, parse);
        if (cacheFile !== null) writeCache(cacheFile, location);
        return { location, failures };
      } catch (e) {
        failures.push(`${url}: ${askFailure(e, o.timeoutMs ?? 2000)}`);
      }
    }
  }
  return { location: null, failures };
}
