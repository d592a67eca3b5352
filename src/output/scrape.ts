// The scrape endpoint (prometheus_listen_address): an HTTP server in the tracking process serving
// /metrics in the Prometheus text format, figures read off the running trackers at scrape time.
import { now } from '../clock.js';
import { ConfigError } from '../errors.js';
import { figuresOf, num, PowerWindow, type RunFigures } from './figures.js';
import type { Output, OutputWarn } from './output.js';
import type { MetricRecord } from './record.js';
import { Responder, textAnswer, type Answer } from './responder.js';

/** Where to listen: host (IPv6 without brackets) and port (0: any free port). */
export interface ListenAddress {
  readonly host: string;
  readonly port: number;
}

/**
 * prometheus_listen_address: `host:port`, `[v6]:port`, or a bare `port` / `:port` on 127.0.0.1
 * (loopback unless a host is named). Null for '' (off).
 * @throws ConfigError when the text is none of these.
 */
export function parseListenAddress(text: string, origin = 'argument'): ListenAddress | null {
  const s = text.trim();
  if (s === '') return null;
  const m = /^(?:(?:\[([0-9a-fA-F:.]+)\]|([^:[\]\s/]+))?:)?(\d{1,5})$/.exec(s);
  const port = m === null ? NaN : Number(m[3]);
  if (m === null || !(port <= 65535)) {
    throw new ConfigError('prometheus_listen_address', origin,
      `expected host:port (e.g. 127.0.0.1:9464, or 0.0.0.0:9464 to be scraped from other machines) or a port, got ${JSON.stringify(text)}`);
  }
  return { host: m[1] ?? m[2] ?? '127.0.0.1', port };
}

/** One tracker's run as the endpoint reads it: its metric fields so far (null when not measuring), its power window, its lines. */
interface Reader {
  readonly read: () => MetricRecord | null;
  readonly experimentName: string;
  readonly window: PowerWindow;
  readonly lines: RunLines;
}

/** The text format's content type (Prometheus's 0.0.4). */
export const contentType = 'text/plain; version=0.0.4; charset=utf-8';

/** What a run's samples are labelled with, per kind of sample: the run, a component, the intensity, the info metric. */
interface RunLabels {
  readonly run: Readonly<Record<string, string>>;
  readonly parts: readonly Readonly<Record<string, string>>[];
  readonly intensity: Readonly<Record<string, string>>;
  readonly info: Readonly<Record<string, string>>;
}

/** Every label value of a run read as `f` (its figures) and `r` (the fields they came from), in labelsOf()'s order. */
function labelValues(f: RunFigures, r: MetricRecord): string[] {
  return [f.project, f.experiment, f.runId, ...f.parts.map((p) => p.source), f.intensitySource, f.intensityDataset, f.experimentId,
    ...infoFields.map((k) => String(r[k]))];
}

/** The info metric's labels taken from the record as they are. */
const infoFields = ['tracking_mode', 'codecarbon_version', 'os', 'cpu_model', 'gpu_model', 'country_iso_code', 'region',
  'cloud_provider', 'cloud_region'] as const;

/** The labels of a run from its labelValues(), components in `f`'s order. */
function labelsOf(f: RunFigures, values: readonly string[]): RunLabels {
  const [project, experiment, runId] = values as [string, string, string];
  const run = { project, experiment, run_id: runId };
  const n = f.parts.length;
  const info: Record<string, string> = { ...run, experiment_id: values[5 + n]! };
  infoFields.forEach((k, i) => { info[k] = values[6 + n + i]!; });
  return {
    run, parts: f.parts.map((p, i) => ({ ...run, component: p.component, source: values[3 + i]! })),
    intensity: { ...run, source: values[3 + n]!, dataset: values[4 + n]! }, info,
  };
}

/** A metric family of the text format: its samples of a run as their labels and, in the same order, their values. */
interface Family {
  readonly name: string;
  readonly type: 'counter' | 'gauge';
  readonly help: string;
  readonly labels: (l: RunLabels) => readonly Readonly<Record<string, string>>[];
  readonly values: (f: RunFigures) => readonly number[];
}

/** The families, in the order of the text: counters in base units, gauges, and an info metric per run. */
const families: readonly Family[] = [
  { name: 'codecarbon_energy_joules_total', type: 'counter', help: 'Energy used since the run started, per component (J, PUE applied, as the CSV)',
    labels: (l) => l.parts, values: (f) => f.parts.map((p) => p.energyJ) },
  { name: 'codecarbon_emissions_grams_total', type: 'counter', help: 'Emissions since the run started (g CO2eq)',
    labels: (l) => [l.run], values: (f) => [f.emissionsG] },
  { name: 'codecarbon_water_litres_total', type: 'counter', help: 'Water consumed since the run started (L, from wue)',
    labels: (l) => [l.run], values: (f) => [f.waterL] },
  { name: 'codecarbon_power_watts', type: 'gauge',
    help: 'Mean power since the previous scrape at least 1 s earlier (the run\'s mean at the first), per component (W)',
    labels: (l) => l.parts, values: (f) => f.parts.map((p) => p.powerW) },
  { name: 'codecarbon_carbon_intensity_grams_per_kwh', type: 'gauge', help: 'Carbon intensity in use (g CO2eq/kWh)',
    labels: (l) => [l.intensity], values: (f) => [f.intensityGPerKwh] },
  { name: 'codecarbon_run_duration_seconds', type: 'gauge', help: 'Time since the run started (s)',
    labels: (l) => [l.run], values: (f) => [f.durationS] },
  { name: 'codecarbon_run_info', type: 'gauge', help: 'The run and where it runs (always 1)',
    labels: (l) => [l.info], values: () => [1] },
];

const heads = families.map((f) => `# HELP ${f.name} ${f.help}\n# TYPE ${f.name} ${f.type}\n`);

const escapeLabel = (v: string): string => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');

/**
 * A run's sample lines up to their values, per family, made again only when a label changes (a
 * source, the intensity's, where the run is found to be): labels escaped once, not per scrape.
 */
class RunLines {
  #key = '';
  #prefixes: string[][] = [];

  /** Per family, the run's lines up to their values (`name{labels} `), for the run read as `f` and `r`. */
  of(f: RunFigures, r: MetricRecord): readonly (readonly string[])[] {
    const values = labelValues(f, r);
    // Components in a fixed order (figures.ts), so the values alone say whether any label changed.
    const key = values.join('\u0000');
    if (key === this.#key) return this.#prefixes;
    const labels = labelsOf(f, values);
    const text = (l: Readonly<Record<string, string>>): string => Object.entries(l).map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(',');
    this.#prefixes = families.map((fam) => fam.labels(labels).map((l) => `${fam.name}{${text(l)}} `));
    this.#key = key;
    return this.#prefixes;
  }
}

/**
 * The text format, written here rather than through prom-client's registry: a registry render
 * cost several hundred µs a scrape (measured), most of the 2 %-of-a-core budget at 50 scrapes a second.
 */
function render(runs: readonly [RunFigures, readonly (readonly string[])[]][]): string {
  let text = '';
  families.forEach((fam, i) => {
    text += heads[i];
    for (const [f, prefixes] of runs) {
      const values = fam.values(f);
      prefixes[i]!.forEach((prefix, j) => { text += `${prefix}${values[j]}\n`; });
    }
  });
  return text;
}

/**
 * Scrapes closer together share a reading (and its text), so aggressive scrapers cost the process
 * at most four readings a second (a fresh reading costs about 350 µs of CPU on a small VM, its
 * answer the same as any HTTP answer); Prometheus scrapes every 15 s by default.
 */
const minReadGapMs = 250;

/**
 * One listening server, shared by every run of the process that names the same address (a
 * tracker and its forks: a decorated function's calls), closed when the last of them ends.
 */
class Endpoint {
  readonly #readers = new Set<Reader>();
  /** The last answer and when it was read (the timeline's clock); dropped when a run joins or leaves. */
  #last: { atMs: number; answer: Answer } | null = null;
  readonly #responder: Responder;
  #closed = false;
  readonly bound: Promise<string | null>;

  constructor(readonly key: string, at: ListenAddress, warn: OutputWarn) {
    this.#responder = new Responder((method, path) => this.#answer(method, path, warn));
    const server = this.#responder.server;
    this.bound = new Promise((resolve) => {
      // Kept for the server's life: an 'error' without a listener would throw in the tracked process.
      server.on('error', (e: Error & { code?: string }) => {
        if (server.listening) {
          return warn(`server-${e.code ?? e.name}`, `prometheus_listen_address ${key}: the scrape endpoint failed: ${e.message}`);
        }
        warn(`listen-${e.code ?? e.name}`, `prometheus_listen_address ${key}: the scrape endpoint could not listen: ${e.code ?? e.message}`
          + `${e.code === 'EADDRINUSE' ? ' (the port is taken)' : ''}; tracking goes on without it; choose another address or port, `
          + 'or stop what listens there');
        if (endpoints.get(key) === this) endpoints.delete(key);
        resolve(null);
      });
      server.listen(at.port, at.host, () => {
        if (this.#closed) return resolve(null); // closed while binding: the responder has closed it again
        const a = server.address() as { address: string; port: number };
        resolve(`${a.address.includes(':') ? `[${a.address}]` : a.address}:${a.port}`);
      });
    });
  }

  /** Serves `r`'s run from now on. */
  add(r: Reader): void {
    this.#readers.add(r);
    this.#last = null;
  }

  /** Stops serving `r`'s run; whether any run is left. */
  remove(r: Reader): boolean {
    this.#readers.delete(r);
    this.#last = null;
    return this.#readers.size > 0;
  }

  close(): void {
    this.#closed = true;
    this.#responder.close();
  }

  #answer(method: string, path: string, warn: OutputWarn): Answer {
    if (path !== '/metrics') return textAnswer(404, 'not found: the metrics are at /metrics');
    if (method !== 'GET' && method !== 'HEAD') return textAnswer(405, 'only GET and HEAD', { allow: 'GET, HEAD' });
    try {
      return this.#scrape();
    } catch (e) {
      warn('scrape', `prometheus_listen_address ${this.key}: a scrape failed: ${(e as Error).message}; the next one tries again`);
      return textAnswer(500, 'the metrics could not be read; see the tracked process\'s warnings');
    }
  }

  /**
   * Reads every run once (no sampling: the timeline as it stands) and renders the text format. A
   * scrape less than minReadGapMs after the last reading gets that reading's text.
   */
  #scrape(): Answer {
    const t = now();
    if (this.#last !== null && t >= this.#last.atMs && t - this.#last.atMs < minReadGapMs) return this.#last.answer;
    const runs: [RunFigures, readonly (readonly string[])[]][] = [];
    for (const r of this.#readers) {
      const record = r.read();
      if (record === null) continue;
      const f = r.window.apply(figuresOf(record, r.experimentName), num(record.pue));
      runs.push([f, r.lines.of(f, record)]);
    }
    const text = render(runs);
    // The same object while shared: the responder writes the same answer out again without rendering it.
    this.#last = { atMs: t, answer: { status: 200, contentType, body: text, bytes: String(Buffer.byteLength(text)) } };
    return this.#last.answer;
  }

}

/** The process's endpoints, by the address as configured. */
const endpoints = new Map<string, Endpoint>();

/** The address an endpoint listens on (`host:port`, the port chosen when configured as 0), or null when it could not listen or none is open. */
export function scrapeAddress(listenAddress: string): Promise<string | null> {
  return endpoints.get(listenAddress.trim())?.bound ?? Promise.resolve(null);
}

/**
 * The scrape endpoint as a tracker's output: its run is served from start() to the run's end
 * (runEnd()); the server listens while at least one run of the process is served there.
 */
export class ScrapeOutput implements Output {
  readonly #read: () => MetricRecord | null;
  readonly #experimentName: string;
  #reader: Reader | null = null;
  readonly #key: string;
  readonly #at: ListenAddress;
  readonly #warn: OutputWarn;

  /** @throws ConfigError for an address that is not host:port or a port. */
  constructor(listenAddress: string, read: () => MetricRecord | null, experimentName: string, warn: OutputWarn, origin?: string) {
    this.#at = parseListenAddress(listenAddress, origin)!;
    this.#key = listenAddress.trim();
    this.#read = read;
    this.#experimentName = experimentName;
    this.#warn = warn;
  }

  /** A run starts: served from now on (the server opened if it is the process's first here). */
  runStart(): void {
    let e = endpoints.get(this.#key);
    if (e === undefined) endpoints.set(this.#key, e = new Endpoint(this.#key, this.#at, this.#warn));
    if (this.#reader !== null) e.remove(this.#reader);
    this.#reader = { read: this.#read, experimentName: this.#experimentName, window: new PowerWindow(), lines: new RunLines() };
    e.add(this.#reader);
  }

  /** The run has ended: no longer served (the server closed if it was the last run here). */
  runEnd(): void {
    const e = endpoints.get(this.#key);
    const reader = this.#reader;
    this.#reader = null;
    if (e === undefined || reader === null || e.remove(reader)) return;
    endpoints.delete(this.#key);
    e.close();
  }
}
