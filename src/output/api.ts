// The hosted CodeCarbon API output: creates the run (POST /runs), then uploads deltas (POST /emissions)
// one request at a time; what the API refused is kept and sent with the next upload, what may have
// reached it unanswered is never sent twice, and what never went is said at exit.
import { ask, askFailure, requestWasSent, type Answer } from '../emissions/http.js';
import { ConfigError } from '../errors.js';
import { emissionsBody, runBody, runIdOf, sentFields, wholeSeconds, zero, type Amounts } from './api-payloads.js';
import { num } from './figures.js';
import type { Abandonable, Output, OutputWarn } from './output.js';
import type { EmissionsRecord } from './record.js';

/** Where and as whom to upload: CodeCarbon's api_endpoint, api_key and experiment_id. */
export interface ApiOutputOptions {
  /** The API's base URL, e.g. https://api.codecarbon.io (calls go to `<endpoint>/runs`, `<endpoint>/emissions`). */
  readonly endpoint: string;
  /** Sent as `x-api-token`; never put in a message. */
  readonly apiKey: string;
  readonly experimentId: string;
  /** Bound on each request, connection to last byte (default 2000, upstream's 2 s). */
  readonly timeoutMs?: number;
  /** Where the endpoint came from, for its error (a tracker passes api_endpoint's origin). */
  readonly endpointOrigin?: string;
  /** Where api_key and experiment_id came from, for the fix a refusal names (a tracker passes their origins). */
  readonly keyOrigin?: string;
  readonly experimentOrigin?: string;
}

/** Amounts of a run the API did not get, or may not have got: seconds, kWh and kg CO2eq (all 0 for none). */
export interface ApiUnsent {
  readonly durationS: number;
  readonly energyKwh: number;
  readonly emissionsKg: number;
}

type Call = 'runs' | 'emissions';
/** A request that got no usable answer; `sent`: it had been sent whole, so the server may have acted on it. */
interface NoAnswer { readonly sent: boolean }
const none: ApiUnsent = { durationS: 0, energyKwh: 0, emissionsKg: 0 };
const isNone = (u: ApiUnsent): boolean => u.durationS === 0 && u.energyKwh === 0 && u.emissionsKg === 0;

const figure = (x: number): string => Number(x.toPrecision(3)).toString();

/** What the API has of one run, and what is on its way. */
interface RunState {
  pending: Amounts;
  /** The time the pending energy covers (s): the deltas' own durations, not the whole seconds left over. */
  pendingSpan: number;
  inFlight: Amounts | null;
  /** Sent whole but never answered: the API may or may not have them. */
  inDoubt: Amounts;
  first: EmissionsRecord | null;
  latest: EmissionsRecord | null;
  runId: string | null;
  lastFailed: boolean;
}

const newRun = (): RunState => ({ pending: zero(), pendingSpan: 0, inFlight: null, inDoubt: zero(), first: null, latest: null,
  runId: null, lastFailed: false });

/** What has not reached the API of `run`: pending amounts and any upload in flight. */
function unsentOf(run: RunState): ApiUnsent {
  const a = zero();
  for (const f of sentFields) a[f] = run.pending[f] + (run.inFlight?.[f] ?? 0);
  // A fraction of a second with nothing else is not lost: the API's durations add up to whole seconds.
  if (!(a.energy_consumed > 0 || a.emissions > 0 || wholeSeconds(a.duration) >= 1)) return none;
  return { durationS: Math.max(0, a.duration), energyKwh: Math.max(0, a.energy_consumed), emissionsKg: Math.max(0, a.emissions) };
}

/** What of `run` was sent whole but never answered. */
function inDoubtOf(run: RunState): ApiUnsent {
  const a = run.inDoubt;
  return a.duration > 0 || a.energy_consumed > 0 || a.emissions > 0
    ? { durationS: a.duration, energyKwh: a.energy_consumed, emissionsKg: a.emissions } : none;
}

/** `1.2e-5 kWh (6.7e-7 kg CO2eq over 4 s)`: an upload's whole seconds, or a run's remainder to 0.1 s. */
function amounts(a: Amounts | ApiUnsent): string {
  const [kwh, kg, s] = 'durationS' in a ? [a.energyKwh, a.emissionsKg, a.durationS.toFixed(1)] : [a.energy_consumed, a.emissions, a.duration];
  return `${figure(kwh)} kWh (${figure(kg)} kg CO2eq over ${s} s)`;
}

/** How a request that got no usable answer failed, in its warning kind (`runs-timeout`…). */
function failureKind(e: unknown): string {
  const err = e as Error & { code?: unknown };
  if (err.name === 'TimeoutError') return 'timeout';
  if (err.code === 'ECONNREFUSED') return 'refused';
  return typeof err.code === 'string' && err.code.startsWith('HPE_') ? 'garbage' : 'network';
}

/** What to check after an HTTP status other than 201, each key with where it came from. */
function statusFix(call: Call, status: number, o: ApiOutputOptions): string {
  const from = (key: string, origin: string | undefined): string => (origin === undefined || origin === 'default' ? key : `${key} (from ${origin})`);
  const [endpoint, key, experiment] = [from('api_endpoint', o.endpointOrigin), from('api_key', o.keyOrigin), from('experiment_id', o.experimentOrigin)];
  if (status === 401 || status === 403) return `check ${key}: the API refused it for experiment_id ${JSON.stringify(o.experimentId)}`;
  if (status === 404) return call === 'runs' ? `check ${endpoint} and ${experiment}` : `check ${endpoint}`;
  if (status >= 400 && status < 500) return `check ${endpoint}, ${key} and ${experiment}`;
  return `the API failed on its side; if this goes on, check ${endpoint}`;
}

/**
 * CodeCarbon's CodeCarbonAPIOutput: every out() and liveOut() adds its delta to what is pending and
 * uploads it, whole seconds at a time (the API takes no delta under 1 s), at most one request in
 * flight. An upload the API refused (an error status, a refused connection) stays pending and goes
 * with the next. One that got no answer after it was sent whole (a time-out, a reset) may have been
 * taken: it is not sent again, which could count it twice, and is said as in doubt. Any 2xx is taken.
 * Never throws; its promises never reject.
 */
export class ApiOutput implements Output, Abandonable {
  readonly #options: ApiOutputOptions & { readonly timeoutMs: number };
  readonly #warn: OutputWarn;
  readonly #base: string;
  /** The endpoint as messages show it: without any user:password it may carry. */
  readonly #shown: string;
  /** The current run's: a new one at each runStart(), uploads of an earlier one finishing on their own. */
  #run: RunState = newRun();
  /** Runs handed records whose end has not been reported yet (exit()): what a process exit would lose. */
  readonly #unreported = new Set<RunState>();
  #busy: Promise<void> | null = null;
  /** The attempt that follows the one in flight, and the run it is for (calls of that run join it). */
  #queued: { readonly run: RunState; promise: Promise<void> } | null = null;

  /** @throws ConfigError when the endpoint is not an http(s) URL or timeoutMs is not a positive number. */
  constructor(options: ApiOutputOptions, warn: OutputWarn) {
    const timeoutMs = options.timeoutMs ?? 2000;
    let url: URL | null = null;
    try {
      url = new URL(options.endpoint);
    } catch { /* said below */ }
    if (url === null || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
      throw new ConfigError('api_endpoint', options.endpointOrigin ?? 'the API output options',
        `expected an http:// or https:// URL such as https://api.codecarbon.io, got ${JSON.stringify(options.endpoint)}`);
    }
    if (!(timeoutMs > 0) || !Number.isFinite(timeoutMs)) {
      throw new ConfigError('timeoutMs', 'the API output options', `expected a positive number of milliseconds, got ${timeoutMs}`);
    }
    this.#options = { ...options, timeoutMs };
    this.#base = options.endpoint.replace(/\/+$/, '');
    url.username = '';
    url.password = '';
    this.#shown = url.href.replace(/\/+$/, '');
    this.#warn = warn;
  }

  /** The run id the API gave (POST /runs), or null until a run has been created. */
  get runId(): string | null {
    return this.#run.runId;
  }

  /** What of the current run has not reached the API: pending amounts and any upload in flight (for a process-exit report). */
  get unsent(): ApiUnsent {
    return unsentOf(this.#run);
  }

  /**
   * What of the current run was sent whole but never answered (timed out, or the connection reset
   * while the answer was awaited): the API may have it or not. It is not sent again, so it is never
   * counted twice.
   */
  get inDoubt(): ApiUnsent {
    return inDoubtOf(this.#run);
  }

  /**
   * A tracker's start() after a stop(): a new run, with its own run on the API (POST /runs again).
   * The last run's uploads still under way go on for it, and its exit() says what it did not deliver.
   */
  runStart(): void {
    this.#run = newRun();
  }

  /** At flush() and stop(): uploads `delta` with what is pending; resolves when that attempt is over. */
  out(total: EmissionsRecord, delta: EmissionsRecord): Promise<void> {
    return this.#push(total, delta);
  }

  /** Every api_call_interval measurements: the same upload as out(). */
  liveOut(total: EmissionsRecord, delta: EmissionsRecord): Promise<void> {
    return this.#push(total, delta);
  }

  /** After the run's last out(): waits for the uploads under way, then says once what never reached the API, or may not have. */
  async exit(): Promise<void> {
    const run = this.#run; // the run that ended: a new one may start while its uploads finish
    while (this.#busy !== null || this.#queued !== null) await (this.#queued?.promise ?? this.#busy);
    this.#unreported.delete(run);
    const d = inDoubtOf(run);
    if (!isNone(d)) {
      this.#warn('in-doubt', `the CodeCarbon API may not have received ${amounts(d)} of the run: uploads of them were sent `
        + 'but never answered (see the warnings before), and were not sent again so as not to count them twice; '
        + "the run's total record (the CSV row, where save_to_file is on) includes them");
    }
    const u = unsentOf(run);
    if (isNone(u)) return;
    const why = run.lastFailed ? 'its last upload failed (see the warning before)'
      : 'its last delta was under the 1 s the API takes';
    this.#warn('unsent', `the CodeCarbon API did not receive the run's last ${amounts(u)}: ${why}; the run's total record `
      + '(the CSV row, where save_to_file is on) includes them');
  }

  /** What the API has not received of the run, or may not have, or null. */
  undelivered(): string | null {
    const [u, d] = [this.unsent, this.inDoubt];
    const parts = [...isNone(u) ? [] : [`did not receive ${amounts(u)}`],
      ...isNone(d) ? [] : [`may not have received ${amounts(d)} (sent, never answered)`]];
    return parts.length === 0 ? null : `the CodeCarbon API ${parts.join(' and ')} of the run`;
  }

  /** The process is exiting with an upload pending or in flight: says what never reached the API. */
  abandon(): void {
    // Every run not reported yet: the current one, and one that ended with its last upload still under way.
    const runs = [...this.#unreported].map(unsentOf).filter((u) => !isNone(u));
    if (runs.length === 0) return;
    const u = runs.reduce((a, b) => ({ durationS: a.durationS + b.durationS, energyKwh: a.energyKwh + b.energyKwh,
      emissionsKg: a.emissionsKg + b.emissionsKg }));
    const [whose, records] = runs.length === 1 ? ["the run's last", "the run's total record includes"]
      : [`the last of ${runs.length} runs:`, "the runs' total records include"];
    this.#warn('abandoned', `the process exited before the CodeCarbon API received ${whose} ${amounts(u)}; ${records} them; `
      + 'await tracker.delivered() before process.exit() to send them');
  }

  #push(total: EmissionsRecord, delta: EmissionsRecord): Promise<void> {
    const run = this.#run;
    this.#unreported.add(run);
    try {
      run.first ??= total;
      run.latest = total;
      for (const f of sentFields) run.pending[f] += num(delta[f]);
      run.pendingSpan += Math.max(0, num(delta.duration));
    } catch (e) {
      this.#warn('internal', `the CodeCarbon API output could not read a record: ${(e as Error).message}`);
    }
    return this.#send(run);
  }

  /**
   * Starts an attempt for `run`, or, with one in flight, joins the single attempt of that run that
   * follows it (one request at a time, whatever the run).
   */
  #send(run: RunState): Promise<void> {
    if (this.#busy !== null) {
      const q = this.#queued;
      if (q !== null && q.run === run) return q.promise;
      const entry: { readonly run: RunState; promise: Promise<void> } = { run, promise: Promise.resolve() };
      entry.promise = (q?.promise ?? this.#busy).then(() => {
        if (this.#queued === entry) this.#queued = null;
        return this.#send(run);
      });
      this.#queued = entry;
      return entry.promise;
    }
    const attempt: Promise<void> = this.#attempt(run)
      .catch((e: unknown) => this.#warn('internal', `the CodeCarbon API output failed: ${(e as Error).message}`))
      .finally(() => { if (this.#busy === attempt) this.#busy = null; });
    this.#busy = attempt;
    return attempt;
  }

  /**
   * Creates `run` on the API if need be, then sends what it has pending (whole seconds); a failure
   * puts it back into that run, whichever run is current by then.
   */
  async #attempt(run: RunState): Promise<void> {
    if (run.latest === null || wholeSeconds(run.pending.duration) < 1) return;
    if (run.runId === null) {
      run.runId = await this.#createRun(run);
      run.lastFailed = run.runId === null;
      if (run.runId === null) return;
    }
    const sent = zero();
    for (const f of sentFields) {
      // A negative remainder (a figure revised down) stays pending, netted out by later deltas.
      sent[f] = f === 'duration' ? wholeSeconds(run.pending[f]) : Math.max(0, run.pending[f]);
      run.pending[f] -= sent[f];
    }
    const span = run.pendingSpan;
    run.pendingSpan = 0;
    run.inFlight = sent;
    const res = await this.#request('emissions', emissionsBody(run.runId, sent, span, run.latest), sent);
    run.inFlight = null;
    const taken = 'status' in res && res.ok;
    if ('status' in res && res.status !== 201) this.#unexpected('emissions', res, sent);
    const doubt = 'sent' in res && res.sent;
    // What is pending after an upload in doubt did not fail: it is what came after.
    run.lastFailed = !taken && !doubt;
    if (taken) return;
    if (doubt) {
      for (const f of sentFields) run.inDoubt[f] += sent[f];
      return;
    }
    for (const f of sentFields) run.pending[f] += sent[f];
    run.pendingSpan += span;
  }

  /** POST /runs for `run`: the run id the API gave, or null (said) when it created none. */
  async #createRun(run: RunState): Promise<string | null> {
    const res = await this.#request('runs', runBody(run.first!, run.latest!, this.#options.experimentId), null);
    if (!('status' in res)) return null;
    if (res.status !== 201) this.#unexpected('runs', res, null);
    if (!res.ok) return null;
    const id = runIdOf(res.text);
    if (id === null) {
      this.#failed('runs', 'garbage', `HTTP ${res.status} but no run id in the answer${this.#excerpt(res.text)}`, null, 'check api_endpoint');
    }
    return id;
  }

  /** One POST, its answer; when none came (said), whether it had been sent whole. */
  async #request(call: Call, body: object, sent: Amounts | null): Promise<Answer | NoAnswer> {
    const { apiKey, timeoutMs } = this.#options;
    try {
      return await ask(`${this.#base}/${call}`, {
        method: 'POST', headers: { 'Content-Type': 'application/json', 'x-api-token': apiKey },
        signal: AbortSignal.timeout(timeoutMs), body: JSON.stringify(body), holdsProcess: true,
      });
    } catch (e) {
      const arrived = requestWasSent(e);
      this.#failed(call, failureKind(e), askFailure(e, timeoutMs), sent, 'check api_endpoint', arrived);
      return { sent: arrived };
    }
  }

  /**
   * Says an answer other than 201. A 2xx is taken (its amounts are not sent again, which could count
   * them twice); any other status is a failure.
   */
  #unexpected(call: Call, res: Answer, sent: Amounts | null): void {
    if (!res.ok) {
      this.#failed(call, `http-${res.status}`, `HTTP ${res.status}${this.#excerpt(res.text)}`, sent, statusFix(call, res.status, this.#options));
      return;
    }
    const what = call === 'runs' ? 'its run id is used' : `the ${amounts(sent!)} are taken as received, not sent again (that could count them twice)`;
    this.#warn(`${call}-http-${res.status}`, `the CodeCarbon API answered POST ${this.#shown}/${call} with HTTP ${res.status}, `
      + `where it answers 201${this.#excerpt(res.text)}: ${what}; check api_endpoint`);
  }

  /** Says a failed call; `arrived`: it was sent whole and not answered, so emissions are in doubt, not kept. */
  #failed(call: Call, kind: string, what: string, sent: Amounts | null, fix: string, arrived = false): void {
    const url = `${this.#shown}/${call}`;
    const head = call === 'runs' ? `the CodeCarbon API did not create the run (POST ${url})`
      : arrived ? `the CodeCarbon API did not answer the upload of the emissions (POST ${url})`
        : `the CodeCarbon API did not take the emissions (POST ${url})`;
    const retry = sent === null ? 'it is tried again at the next upload, and the emissions wait for it'
      : arrived ? `it may have taken the ${amounts(sent)}: they are not sent again, which could count them twice; `
        + "the run's total record includes them"
        : `the ${amounts(sent)} are kept and sent with the next upload`;
    this.#warn(`${call}-${kind}`, `${head}: ${what}; ${retry}; ${fix}`);
  }

  /** ` (<the start of an answer's body>)` on one line, the API key blotted out should the server echo it; '' for none. */
  #excerpt(text: string): string {
    const key = this.#options.apiKey;
    let s = text.replace(/\s+/g, ' ').trim();
    if (key !== '') s = s.split(key).join('***');
    return s === '' ? '' : ` (${s.length > 120 ? `${s.slice(0, 120)}…` : s})`;
  }
}
