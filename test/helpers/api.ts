// A fake hosted CodeCarbon API on 127.0.0.1 (requests seen, answers scripted, concurrency counted),
// and the records a run hands its outputs: totals with every column, deltas as the tracker makes them.
import type { TestContext } from 'node:test';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { Socket } from 'node:net';
import { columns, deltaRecord, isoLocal, summedFields, type Column, type EmissionsRecord } from '../../src/output/record.js';

/** A request the fake API saw: its path, headers and JSON body, and the status it was answered (null: none yet). */
export interface Seen {
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: Record<string, unknown>;
  status: number | null;
}

/** An answer; null for none ever (the client times out); 'reset': the connection dropped once the request is read. */
export type Reply = { readonly status: number; readonly text?: string } | null | 'reset';
/** How the fake API answers the `index`-th request it sees. */
export type Replier = (seen: Seen, index: number) => Reply | Promise<Reply>;

/** The hosted API when all is well: the run created as `run-42`, every upload taken. */
export const created: Replier = (s) => ({ status: 201, text: s.path === '/runs' ? '{"id":"run-42"}' : '{}' });

/** The fake API's handle. */
export interface FakeApi {
  readonly url: string;
  readonly seen: Seen[];
  /** The most requests the server had open at once. */
  readonly maxActive: () => number;
  /** Resolves once `n` requests have arrived. */
  arrived(n: number): Promise<void>;
  /** Stops listening (connections refused) and ends every connection. */
  close(): Promise<void>;
  /** Listens again on the same port. */
  reopen(): Promise<void>;
}

/** A fake hosted API on 127.0.0.1 answering each request (body read whole) with `replier`. */
export async function fakeApi(t: TestContext, replier: Replier = created): Promise<FakeApi> {
  const seen: Seen[] = [];
  const waiters: { n: number; resolve: () => void }[] = [];
  const sockets = new Set<Socket>();
  let active = 0;
  let maxActive = 0;
  const server = createServer((req, res) => {
    maxActive = Math.max(maxActive, ++active);
    let answered = false;
    // A request left unanswered ends when the client gives up; an answered one as the answer goes.
    res.on('close', () => { if (!answered) active--; });
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => void (async () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
      const s: Seen = { path: req.url ?? '', headers: req.headers, body, status: null };
      const i = seen.push(s) - 1;
      for (const w of waiters.filter((x) => seen.length >= x.n)) w.resolve();
      const reply = await replier(s, i);
      if (reply === null) return;
      if (reply === 'reset') return void req.socket.destroy();
      answered = true;
      active--;
      s.status = reply.status;
      res.writeHead(reply.status, { 'content-type': 'application/json' }).end(reply.text ?? '');
    })());
  });
  server.on('connection', (s: Socket) => { sockets.add(s); s.on('close', () => sockets.delete(s)); });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  const api: FakeApi = {
    url: `http://127.0.0.1:${port}`, seen, maxActive: () => maxActive,
    arrived: (n) => (seen.length >= n ? Promise.resolve() : new Promise((resolve) => { waiters.push({ n, resolve }); })),
    close: () => new Promise((r) => { for (const s of sockets) s.destroy(); server.close(() => r()); }),
    reopen: () => new Promise((r) => { server.listen(port, '127.0.0.1', r); }),
  };
  t.after(() => api.close());
  return api;
}

/** Everything in a record but the figures: one machine in Paris. */
export const machine = {
  project_name: 'codecarbon', run_id: 'local-run', experiment_id: 'exp-1', water_consumed: 0, country_name: 'France',
  country_iso_code: 'FRA', region: 'île-de-france', cloud_provider: '', cloud_region: '', os: 'Linux-6.8.0-x86_64-with-glibc2.39',
  python_version: 'Node.js 20.19.0', codecarbon_version: '3.3.0', cpu_count: 8, cpu_model: 'Fake CPU @ 3.0GHz', gpu_count: 1,
  gpu_model: '1 x Fake GPU', longitude: 2.3522, latitude: 48.8566, ram_total_size: 15.5, tracking_mode: 'machine',
  cpu_utilization_percent: 41.5, gpu_utilization_percent: 88, ram_utilization_percent: 37.5, ram_used_gb: 5.8, on_cloud: 'N',
  pue: 1, wue: 0, cpu_source: 'rapl (measured)', gpu_source: 'nvml (measured)', ram_source: 'rapl (measured)',
  carbon_intensity_g_co2e_kwh: 56, carbon_intensity_source: 'country: France', carbon_intensity_dataset: 'codecarbon',
  carbon_intensity_year: 2023,
};

/** The run's total record after `durationS` s: energies grow with a wobble, so no two deltas are alike. */
export function total(durationS: number, over: Partial<Record<Column, string | number>> = {}): EmissionsRecord {
  const kwh = (watts: number, wobble: number): number => (watts * durationS + wobble * Math.sin(durationS)) / 3.6e6;
  const cpu = kwh(30, 2);
  const gpu = kwh(70, 5);
  const ram = kwh(5, 0.1);
  const energy = cpu + gpu + ram;
  const figures: Record<Column, string | number> = {
    ...machine, timestamp: isoLocal(new Date(Date.UTC(2026, 0, 1) + durationS * 1000)), duration: durationS,
    emissions: energy * 0.056, emissions_rate: durationS > 0 ? (energy * 0.056) / durationS : 0, cpu_power: 31.2,
    gpu_power: 72.5, ram_power: 5.1, cpu_energy: cpu, gpu_energy: gpu, ram_energy: ram, energy_consumed: energy, ...over,
  };
  return Object.fromEntries(columns.map((c) => [c, figures[c]])) as EmissionsRecord;
}

/** Deltas the way the tracker makes them: each total less the running sum of what was handed out. */
export function deltas(): (t: EmissionsRecord) => EmissionsRecord {
  let handed: Record<(typeof summedFields)[number], number> | null = null;
  return (t) => {
    const d = deltaRecord(t, handed);
    handed ??= Object.fromEntries(summedFields.map((f) => [f, 0])) as Record<(typeof summedFields)[number], number>;
    for (const f of summedFields) handed[f] += Number(d[f]);
    return d;
  };
}
