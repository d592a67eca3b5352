// Electricity Maps live carbon intensity: GET /v3/carbon-intensity/latest with the auth-token header.
import { performance } from 'node:perf_hooks';
import { ask, askFailure, type Answer } from './http.js';

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
  let res: Answer;
  try {
    res = await ask(url, { headers: { 'auth-token': q.token }, signal: AbortSignal.timeout(q.timeoutMs) });
  } catch (e) {
    throw new Error(askFailure(e, q.timeoutMs));
  }
  if (!res.ok) throw new Error(`HTTP ${res.status}`);
  let body: { carbonIntensity?: unknown } | null = null;
  try {
    body = JSON.parse(res.text) as { carbonIntensity?: unknown } | null;
  } catch {
    // garbage: said below
  }
  const g = body?.carbonIntensity;
  if (typeof g !== 'number' || !Number.isFinite(g) || g < 0) throw new Error('no usable carbonIntensity in the answer');
  return g;
}

/** One answer from Electricity Maps, shared by the process: the figure, or why there is none. */
export interface LiveAnswer {
  /** performance.now() when it came. */
  readonly atMs: number;
  readonly gCo2ePerKwh: number | null;
  readonly failure: string | null;
  /** Whether a tracker has said that it failed (said once per process). */
  told: boolean;
}

const answers = new Map<string, { last: LiveAnswer | null; asking: Promise<LiveAnswer> | null }>();

/**
 * liveIntensity() shared by every tracker of the process: a figure younger than `maxAgeMs` is
 * reused, and a failure is kept for the rest of the process, so a dead, refusing or garbled
 * service costs one time-out once, not one per flush or per decorated call.
 */
export function sharedLiveIntensity(q: LiveQuery, maxAgeMs: number): Promise<LiveAnswer> {
  const key = JSON.stringify([q.baseUrl, q.token, q.latitude ?? null, q.longitude ?? null, q.zone ?? null, q.timeoutMs]);
  let entry = answers.get(key);
  if (entry === undefined) answers.set(key, entry = { last: null, asking: null });
  const { last } = entry;
  if (last !== null && (last.failure !== null || performance.now() - last.atMs < maxAgeMs)) return Promise.resolve(last);
  const e = entry;
  e.asking ??= liveIntensity(q).then(
    (g) => ({ atMs: performance.now(), gCo2ePerKwh: g, failure: null, told: false }),
    (err: Error) => ({ atMs: performance.now(), gCo2ePerKwh: null, failure: err.message, told: false }),
  ).then((answer) => {
    e.last = answer;
    e.asking = null;
    return answer;
  });
  return e.asking;
}
