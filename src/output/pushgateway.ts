// The Pushgateway output (CodeCarbon's PrometheusOutput): the delta record's gauges and the run's
// energy counter PUT to <prometheus_url>/metrics/job/<job>, one push in flight, deleted at exit.
import type { Counter, Gauge, Registry } from 'prom-client';
import { ask, askFailure } from '../emissions/http.js';
import { ConfigError } from '../errors.js';
import { num, stableSource } from './figures.js';
import { promClient } from './optional.js';
import type { Abandonable, Output, OutputWarn } from './output.js';
import type { EmissionsRecord } from './record.js';

/** Upstream's declared labels, every one filled from the record here (upstream fills project_name only). */
export const pushLabels = ['project_name', 'country_name', 'country_iso_code', 'region', 'cloud_provider', 'cloud_region',
  'os', 'codecarbon_version', 'cpu_model', 'cpu_count', 'gpu_model', 'gpu_count', 'tracking_mode', 'ram_total_size'] as const;

/**
 * This port's labels: how each component was measured (`rapl (measured)`, `cpu-load (estimate)`)
 * and the kind of carbon intensity (`country`, `world-average`, `forced`…), so that an estimate
 * reads as one on the gateway too. Stable values: a source's passing notes are left out.
 */
export const sourceLabels = ['cpu_source', 'gpu_source', 'ram_source', 'carbon_intensity_source'] as const;

/** A source label's value from a record. */
function sourceLabel(record: EmissionsRecord, label: (typeof sourceLabels)[number]): string {
  const v = String(record[label] ?? '');
  return label === 'carbon_intensity_source' ? v.split(/[:( ,]/)[0]! : stableSource(v);
}

/** Upstream's gauges: the record field each is set to (from the delta record), its name and help. */
const gauges = [
  ['duration', 'codecarbon_duration', 'Duration from last call (s)'],
  ['emissions', 'codecarbon_emissions', 'Emissions as CO2-equivalents [CO2eq], in kg'],
  ['emissions_rate', 'codecarbon_emissions_rate', 'Emissions divided per duration, in kg/s'],
  ['cpu_power', 'codecarbon_cpu_power', 'CPU power (W)'],
  ['gpu_power', 'codecarbon_gpu_power', 'GPU power (W)'],
  ['ram_power', 'codecarbon_ram_power', 'RAM power (W)'],
  ['cpu_energy', 'codecarbon_cpu_energy', 'Energy used per CPU (kWh)'],
  ['gpu_energy', 'codecarbon_gpu_energy', 'Energy used per GPU (kWh)'],
  ['ram_energy', 'codecarbon_ram_energy', 'Energy used per RAM (kWh)'],
  ['energy_consumed', 'codecarbon_energy_consumed', 'Sum of cpu_energy, gpu_energy and ram_energy (kWh)'],
] as const;

/** Where to push and how: prometheus_url, the job's name parts, basic auth and the bound on each request. */
export interface PushgatewayOptions {
  /** CodeCarbon's prometheus_url: `host:port` (http assumed) or an http(s) URL. */
  readonly url: string;
  readonly projectName: string;
  readonly experimentName: string;
  /** From PROMETHEUS_USERNAME / PROMETHEUS_PASSWORD, as upstream (else the URL's own user:password). */
  readonly username?: string;
  readonly password?: string;
  /** Connection to last byte, per request (default 5000). */
  readonly timeoutMs?: number;
}

/** Upstream's job name: `<project_name>_<experiment_name>`, characters outside [A-Za-z0-9_-] made `_`. */
export const jobName = (projectName: string, experimentName: string): string =>
  `${projectName}_${experimentName}`.replace(/[^A-Za-z0-9_-]/g, '_');

/** A URL's user or password as typed: percent-escapes decoded, a stray '%' kept as it is. */
function decoded(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** The gateway's base URL for prometheus_url. @throws ConfigError when it is not host:port or an http(s) URL. */
export function gatewayUrl(text: string): URL {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `http://${text}`;
  let url: URL | null = null;
  try {
    url = new URL(withScheme);
  } catch { /* said below */ }
  if (url === null || (url.protocol !== 'http:' && url.protocol !== 'https:') || url.hostname === '') {
    throw new ConfigError('prometheus_url', 'the Pushgateway output options',
      `expected host:port or an http(s) URL such as localhost:9091, got ${JSON.stringify(text)}`);
  }
  return url;
}

/**
 * Pushes the delta record's gauges and the run's energy counter at every out() and liveOut(). At
 * most one request is in flight; pushes made meanwhile fold into the next (gauges keep the last
 * value, the counter already adds every delta). Never throws; its promises never reject.
 */
export class PushgatewayOutput implements Output, Abandonable {
  readonly #registry: Registry;
  readonly #gauges: Gauge[];
  readonly #counter: Counter;
  readonly #jobUrl: string;
  readonly #shown: string;
  readonly #headers: Record<string, string>;
  readonly #timeoutMs: number;
  readonly #warn: OutputWarn;
  #busy: Promise<void> | null = null;
  #queued: Promise<void> | null = null;
  #pushed = false;
  /** Whether the last push was not taken (a later one carries the figures so far). */
  #lastFailed = false;
  #energyKwh = 0;

  /** @throws ConfigError for a prometheus_url that is not host:port or an http(s) URL. */
  constructor(o: PushgatewayOptions, warn: OutputWarn) {
    const url = gatewayUrl(o.url);
    const job = jobName(o.projectName, o.experimentName);
    // Basic auth from PROMETHEUS_USERNAME/PASSWORD, as upstream; else from the URL's user:password.
    const inUrl = url.username !== '' || url.password !== '';
    const [user, password] = o.username ? [o.username, o.password ?? '']
      : inUrl ? [decoded(url.username), decoded(url.password)] : [null, null];
    const auth = user === null ? null : `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
    url.username = '';
    url.password = '';
    const base = url.href.replace(/\/+$/, '');
    this.#jobUrl = `${base}/metrics/job/${job}`;
    this.#shown = `${base}/metrics/job/${job}`;
    this.#headers = { 'content-type': 'text/plain; version=0.0.4', ...(auth === null ? {} : { authorization: auth }) };
    this.#timeoutMs = o.timeoutMs ?? 5000;
    this.#warn = warn;
    const { Registry, Gauge, Counter } = promClient();
    this.#registry = new Registry();
    const labelNames = [...pushLabels, ...sourceLabels];
    this.#gauges = gauges.map(([, name, help]) => new Gauge({ name, help, labelNames, registers: [this.#registry] }));
    this.#counter = new Counter({ name: 'codecarbon_energy_total', help: 'Accumulated energy consumption (kWh)', labelNames,
      registers: [this.#registry] });
  }

  /** The job's URL on the gateway (`<prometheus_url>/metrics/job/<job>`). */
  get url(): string {
    return this.#shown;
  }

  /** At flush() and stop(): the delta's gauges, the counter plus its energy; resolves when pushed (or given up). */
  out(_total: EmissionsRecord, delta: EmissionsRecord): Promise<void> {
    return this.#push(delta);
  }

  /** Every api_call_interval measurements: the same push as out(). */
  liveOut(_total: EmissionsRecord, delta: EmissionsRecord): Promise<void> {
    return this.#push(delta);
  }

  /** After the last out(): waits for the push under way, then deletes the job's metrics from the gateway (as upstream). */
  async exit(): Promise<void> {
    while (this.#busy !== null || this.#queued !== null) await (this.#queued ?? this.#busy);
    if (!this.#pushed) return;
    await this.#request('DELETE', undefined);
  }

  /** Whether the run's last push was not taken, or null. */
  undelivered(): string | null {
    return this.#lastFailed ? `the Pushgateway (${this.#shown}) did not take the run's last push` : null;
  }

  /** A tracker's start() after a stop(): a new run, whose energy counter starts from 0. */
  runStart(): void {
    this.#energyKwh = 0;
  }

  /** The process is exiting with a push in flight: its figures stay on the gateway, or never got there. */
  abandon(): void {
    this.#warn('abandoned', `the process exited before the Pushgateway (${this.#shown}) had the run's last push, and the job's `
      + 'metrics were not deleted from it; await tracker.delivered() before process.exit()');
  }

  #push(delta: EmissionsRecord): Promise<void> {
    const labels = Object.fromEntries([...pushLabels.map((l) => [l, String(delta[l] ?? '')]), ...sourceLabels.map((l) => [l, sourceLabel(delta, l)])]);
    // Reset first: labels filled later (a location looked up) must not leave a stale series behind.
    gauges.forEach(([field], i) => {
      this.#gauges[i]!.reset();
      this.#gauges[i]!.set(labels, num(delta[field]));
    });
    this.#energyKwh += num(delta.energy_consumed);
    this.#counter.reset();
    this.#counter.inc(labels, this.#energyKwh);
    if (this.#busy !== null) {
      return this.#queued ??= this.#busy.then(() => {
        this.#queued = null;
        return this.#send();
      });
    }
    return this.#send();
  }

  #send(): Promise<void> {
    const attempt: Promise<void> = this.#registry.metrics().then((text) => this.#request('PUT', text))
      .catch((e: unknown) => this.#warn('internal', `the Pushgateway output failed: ${(e as Error).message}`))
      .finally(() => { if (this.#busy === attempt) this.#busy = null; });
    this.#busy = attempt;
    return attempt;
  }

  /** One request to the job's URL; a failure is said once per kind, and the next push carries on. */
  async #request(method: 'PUT' | 'DELETE', body: string | undefined): Promise<void> {
    const what = method === 'PUT' ? 'take the push' : 'delete the job\'s metrics';
    let why: string;
    let kind: string;
    try {
      const res = await ask(this.#jobUrl, { method, headers: this.#headers, body, signal: AbortSignal.timeout(this.#timeoutMs), holdsProcess: true });
      if (res.ok) {
        if (method === 'PUT') [this.#pushed, this.#lastFailed] = [true, false];
        return;
      }
      [kind, why] = [`http-${res.status}`, `HTTP ${res.status}${excerpt(res.text)}`];
    } catch (e) {
      [kind, why] = [(e as { code?: string }).code ?? (e as Error).name, askFailure(e, this.#timeoutMs)];
    }
    if (method === 'PUT') this.#lastFailed = true;
    const fix = kind === 'http-401' || kind === 'http-403' ? 'check PROMETHEUS_USERNAME and PROMETHEUS_PASSWORD'
      : 'check prometheus_url, and that the Pushgateway runs there';
    const next = method === 'PUT' ? 'the next push carries the figures so far (its counter includes this one\'s energy)'
      : 'the job\'s last figures stay on the gateway until it is restarted or they are deleted';
    this.#warn(`${method}-${kind}`, `the Pushgateway did not ${what} (${method} ${this.#shown}): ${why}; ${next}; ${fix}`);
  }
}

/** ` (<the start of an answer's body>)` on one line, '' for none. */
function excerpt(text: string): string {
  const s = text.replace(/\s+/g, ' ').trim();
  return s === '' ? '' : ` (${s.length > 120 ? `${s.slice(0, 120)}…` : s})`;
}
