// Electricity Maps live carbon intensity: GET /v3/carbon-intensity/latest with the auth-token header.
import { fetchFailure } from './http.js';

/** Where to ask: coordinates when known, else a zone (an ISO-2 country code). */
export interface LiveQuery {
  readonly baseUrl: string;
  readonly token: string;
  readonly latitude?: number | null;
  readonly longitude?: number | null;
  readonly zone?: string | null;
  readonly timeoutMs: number;
}

/**
 * The latest gCO2e/kWh for the query. Errors say what went wrong without the token, which never
 * appears in a message, a log or an output.
 * @throws Error naming the HTTP status or the cause.
 */
export async function liveIntensity(q: LiveQuery): Promise<number> {
  const url = new URL('/v3/carbon-intensity/latest', q.baseUrl);
  if (q.latitude != null && q.longitude != null) {
    url.searchParams.set('lat', String(q.latitude));
    url.searchParams.set('lon', String(q.longitude));
  } else if (q.zone) {
    url.searchParams.set('zone', q.zone);
  } else {
    throw new Error('no coordinates and no country to ask for');
  }
  let res: Response;
  try {
    res = await fetch(url, { headers: { 'auth-token': q.token }, signal: AbortSignal.timeout(q.timeoutMs) });
  } catch (e) {
    throw new Error(fetchFailure(e, q.timeoutMs));
  }
  if (!res.ok) throw new Error(`HTTP ${res.status}`);
  const body = (await res.json().catch(() => null)) as { carbonIntensity?: unknown } | null;
  const g = body?.carbonIntensity;
  if (typeof g !== 'number' || !Number.isFinite(g) || g < 0) throw new Error('no usable carbonIntensity in the answer');
  return g;
}
