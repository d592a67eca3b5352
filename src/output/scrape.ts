// The scrape endpoint (prometheus_listen_address): an HTTP server in the tracking process serving
// /metrics in the Prometheus text format, figures read off the running trackers at scrape time.
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Counter, Gauge, Registry } from 'prom-client';
import { ConfigError } from '../errors.js';
import { figuresOf, num, PowerWindow, type RunFigures } from './figures.js';
import { nodeHttp, promClient } from './optional.js';
import type { Output, OutputWarn } from './output.js';
import type { EmissionsRecord } from './record.js';

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

/** One tracker's run as the endpoint reads it: its record so far (null when not measuring) and its power window. */
interface Reader {
  readonly read: () => EmissionsRecord | null;
  readonly experimentName: string;
  readonly window: PowerWindow;
}

/** The metrics one endpoint exposes, in a registry of its own. */
interface Metrics {
  readonly registry: Registry;
  readonly energy: Counter;
  readonly emissions: Counter;
  readonly water: Counter;
  readonly power: Gauge;
  readonly intensity: Gauge;
  readonly duration: Gauge;
  readonly info: Gauge;
}

const runLabels = ['project', 'experiment', 'run_id'] as const;

function metricsOf(): Metrics {
  const { Registry, Counter, Gauge } = promClient();
  const registry = new Registry();
  const registers = [registry];
  const partLabels = [...runLabels, 'component', 'source'];
  return {
    registry,
    energy: new Counter({ name: 'codecarbon_energy_joules_total', help: 'Energy used since the run started, per component (J, PUE applied, as the CSV)', labelNames: partLabels, registers }),
    emissions: new Counter({ name: 'codecarbon_emissions_grams_total', help: 'Emissions since the run started (g CO2eq)', labelNames: runLabels, registers }),
    water: new Counter({ name: 'codecarbon_water_litres_total', help: 'Water consumed since the run started (L, from wue)', labelNames: runLabels, registers }),
    power: new Gauge({ name: 'codecarbon_power_watts', help: 'Mean power since the previous scrape at least 1 s earlier (the run\'s mean at the first), per component (W)', labelNames: partLabels, registers }),
    intensity: new Gauge({ name: 'codecarbon_carbon_intensity_grams_per_kwh', help: 'Carbon intensity in use (g CO2eq/kWh)', labelNames: [...runLabels, 'source', 'dataset'], registers }),
    duration: new Gauge({ name: 'codecarbon_run_duration_seconds', help: 'Time since the run started (s)', labelNames: runLabels, registers }),
    info: new Gauge({ name: 'codecarbon_run_info', help: 'The run and where it runs (always 1)', labelNames: [...runLabels, 'experiment_id', 'tracking_mode', 'codecarbon_version', 'os', 'cpu_model', 'gpu_model', 'country_iso_code', 'region', 'cloud_provider', 'cloud_region'], registers }),
  };
}

/** Sets every metric from the figures of the runs read for this scrape. */
function fill(m: Metrics, runs: readonly [RunFigures, EmissionsRecord][]): void {
  for (const metric of [m.energy, m.emissions, m.water, m.power, m.intensity, m.duration, m.info]) metric.reset();
  for (const [f, r] of runs) {
    const run = { project: f.project, experiment: f.experiment, run_id: f.runId };
    for (const p of f.parts) {
      m.energy.inc({ ...run, component: p.component, source: p.source }, p.energyJ);
      m.power.set({ ...run, component: p.component, source: p.source }, p.powerW);
    }
    m.emissions.inc(run, f.emissionsG);
    m.water.inc(run, f.waterL);
    m.intensity.set({ ...run, source: f.intensitySource, dataset: f.intensityDataset }, f.intensityGPerKwh);
    m.duration.set(run, f.durationS);
    m.info.set({ ...run, experiment_id: f.experimentId, tracking_mode: String(r.tracking_mode), codecarbon_version: String(r.codecarbon_version),
      os: String(r.os), cpu_model: String(r.cpu_model), gpu_model: String(r.gpu_model), country_iso_code: String(r.country_iso_code),
      region: String(r.region), cloud_provider: String(r.cloud_provider), cloud_region: String(r.cloud_region) }, 1);
  }
}

/**
 * One listening server, shared by every run of the process that names the same address (a
 * tracker and its forks: a decorated function's calls), closed when the last of them ends.
 */
class Endpoint {
  readonly readers = new Set<Reader>();
  readonly #server: Server;
  readonly #metrics = metricsOf();
  #closed = false;
  readonly bound: Promise<string | null>;

  constructor(readonly key: string, at: ListenAddress, warn: OutputWarn) {
    this.#server = nodeHttp().createServer((req, res) => this.#answer(req, res, warn));
    // A library's endpoint must not keep a finished program alive: the server and every
    // connection to it (Prometheus keeps its connections open) are unreferenced.
    this.#server.on('connection', (s) => s.unref());
    this.bound = new Promise((resolve) => {
      this.#server.once('error', (e: Error & { code?: string }) => {
        warn(`listen-${e.code ?? e.name}`, `prometheus_listen_address ${key}: the scrape endpoint could not listen: ${e.code ?? e.message}`
          + `${e.code === 'EADDRINUSE' ? ' (the port is taken)' : ''}; tracking goes on without it; choose another address or port, `
          + 'or stop what listens there');
        endpoints.delete(key);
        resolve(null);
      });
      this.#server.listen(at.port, at.host, () => {
        if (this.#closed) this.#server.close();
        const a = this.#server.address() as { address: string; port: number };
        resolve(`${a.address.includes(':') ? `[${a.address}]` : a.address}:${a.port}`);
      });
    });
    this.#server.unref();
  }

  close(): void {
    this.#closed = true;
    if (this.#server.listening) this.#server.close();
    this.#server.closeAllConnections();
  }

  #answer(req: IncomingMessage, res: ServerResponse, warn: OutputWarn): void {
    const path = (req.url ?? '').split('?')[0];
    if (path !== '/metrics') return void plain(res, 404, 'not found: the metrics are at /metrics\n');
    if (req.method !== 'GET' && req.method !== 'HEAD') return void plain(res, 405, 'only GET and HEAD\n', { allow: 'GET, HEAD' });
    this.#scrape().then((text) => {
      res.writeHead(200, { 'content-type': this.#metrics.registry.contentType });
      res.end(req.method === 'HEAD' ? undefined : text);
    }, (e: unknown) => {
      warn('scrape', `prometheus_listen_address ${this.key}: a scrape failed: ${(e as Error).message}; the next one tries again`);
      plain(res, 500, 'the metrics could not be read; see the tracked process\'s warnings\n');
    });
  }

  /** Reads every run once (no sampling: the timeline as it stands), then renders the registry. */
  #scrape(): Promise<string> {
    const runs: [RunFigures, EmissionsRecord][] = [];
    for (const r of this.readers) {
      const record = r.read();
      if (record !== null) runs.push([r.window.apply(figuresOf(record, r.experimentName), num(record.pue)), record]);
    }
    fill(this.#metrics, runs);
    return this.#metrics.registry.metrics();
  }
}

function plain(res: ServerResponse, status: number, text: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', ...headers });
  res.end(text);
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
  readonly #read: () => EmissionsRecord | null;
  readonly #experimentName: string;
  #reader: Reader | null = null;
  readonly #key: string;
  readonly #at: ListenAddress;
  readonly #warn: OutputWarn;

  /** @throws ConfigError for an address that is not host:port or a port. */
  constructor(listenAddress: string, read: () => EmissionsRecord | null, experimentName: string, warn: OutputWarn, origin?: string) {
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
    if (this.#reader !== null) e.readers.delete(this.#reader);
    this.#reader = { read: this.#read, experimentName: this.#experimentName, window: new PowerWindow() };
    e.readers.add(this.#reader);
  }

  /** The run has ended: no longer served (the server closed if it was the last run here). */
  runEnd(): void {
    const e = endpoints.get(this.#key);
    const reader = this.#reader;
    this.#reader = null;
    if (e === undefined || reader === null || !e.readers.delete(reader) || e.readers.size > 0) return;
    endpoints.delete(this.#key);
    e.close();
  }
}
