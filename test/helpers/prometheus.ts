// Debian's prometheus and prometheus-pushgateway, started by a test on free loopback ports with
// temporary storage, stopped after it; their HTTP APIs, polled until a condition holds.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { tempDir } from './sysfs.js';

export const prometheusBin = '/usr/bin/prometheus';
export const pushgatewayBin = '/usr/bin/prometheus-pushgateway';

/** Why the real-server tests cannot run here, or null when both binaries are installed. */
export function missingServers(): string | null {
  const missing = [prometheusBin, pushgatewayBin].filter((b) => !existsSync(b));
  return missing.length === 0 ? null : `${missing.join(' and ')} not found: install the Debian packages prometheus and `
    + 'prometheus-pushgateway (apt-get install prometheus prometheus-pushgateway; .ci/run does) to run this test';
}

/** A port free on 127.0.0.1 a moment ago (the servers take their port on the command line). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** Calls `f` until it returns a value other than undefined (every `everyMs`), up to `limitMs`. */
export async function until<T>(what: string, f: () => Promise<T | undefined>, limitMs = 30_000, everyMs = 100): Promise<T> {
  const end = Date.now() + limitMs;
  let last: unknown = null;
  for (;;) {
    try {
      const v = await f();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) throw new Error(`gave up waiting for ${what} after ${limitMs} ms${last === null ? '' : `: ${String(last)}`}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** A running server: its base URL and its log so far (stderr), for a failed test's message. */
export interface RunningServer {
  readonly url: string;
  readonly log: () => string;
}

async function startServer(t: TestContext, bin: string, args: string[], port: number): Promise<RunningServer> {
  const child: ChildProcess = spawn(bin, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr!.on('data', (c: Buffer) => { log = (log + c.toString()).slice(-20_000); });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  t.after(async () => {
    child.kill('SIGTERM');
    await exited;
  });
  const url = `http://127.0.0.1:${port}`;
  await until(`${bin} to be ready on ${url} (log: ${log.slice(-500)})`, async () => {
    if (child.exitCode !== null) throw new Error(`${bin} exited (${child.exitCode}): ${log.slice(-1000)}`);
    return (await fetch(`${url}/-/ready`)).ok ? true : undefined;
  });
  return { url, log: () => log };
}

/**
 * Prometheus scraping `targets` (host:port) as job `job` every `intervalMs`, storage in a temp dir.
 * Every second by default, each scrape given a second: with 200 ms (interval and time-out), the
 * scrape test once saw no flushed energy for 30 s on a loaded machine (both cores held, four test
 * files), its tracked test process likely answering too late for every scrape.
 */
export async function startPrometheus(t: TestContext, job: string, targets: readonly string[], intervalMs = 1000,
  honorLabels = false): Promise<RunningServer> {
  const dir = tempDir('cc-prom-');
  const port = await freePort();
  const config = join(dir, 'prometheus.yml');
  writeFileSync(config, scrapeConfig(job, targets, intervalMs, honorLabels));
  return startServer(t, prometheusBin, [`--config.file=${config}`, `--storage.tsdb.path=${join(dir, 'data')}`,
    `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'], port);
}

/** The scrape config the fleet guide shows, with a test's interval and targets (honor_labels for a Pushgateway). */
export function scrapeConfig(job: string, targets: readonly string[], intervalMs: number, honorLabels = false): string {
  return `global:\n  scrape_interval: ${intervalMs}ms\n  scrape_timeout: ${intervalMs}ms\nscrape_configs:\n`
    + `  - job_name: ${job}\n${honorLabels ? '    honor_labels: true\n' : ''}    static_configs:\n`
    + `      - targets: [${targets.map((x) => `'${x}'`).join(', ')}]\n`;
}

/** A Pushgateway (no persistence) on a free port. */
export async function startPushgateway(t: TestContext): Promise<RunningServer> {
  const port = await freePort();
  return startServer(t, pushgatewayBin, [`--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'], port);
}

/** One result of a PromQL instant query: labels and value. */
export interface Sample {
  readonly metric: Record<string, string>;
  readonly value: number;
  readonly timeS: number;
}

/** An instant query through Prometheus's HTTP API (at `timeS` when given). */
export async function query(prom: RunningServer, promql: string, timeS?: number): Promise<Sample[]> {
  const params = new URLSearchParams({ query: promql, ...(timeS === undefined ? {} : { time: String(timeS) }) });
  const res = await fetch(`${prom.url}/api/v1/query?${params}`);
  const body = await res.json() as { status: string; error?: string; data: { resultType: string; result: { metric: Record<string, string>; value?: [number, string]; values?: [number, string][] }[] } };
  if (body.status !== 'success') throw new Error(`query ${promql}: ${body.error}`);
  return body.data.result.map((r) => {
    const [timeS, v] = r.value ?? r.values!.at(-1)!;
    return { metric: r.metric, value: Number(v), timeS };
  });
}

/** One line of the Prometheus text format: metric name, labels, value. */
export interface ExposedSample {
  readonly name: string;
  readonly labels: Record<string, string>;
  readonly value: number;
}

/** The samples of a text exposition (comments skipped; label values unescaped). */
export function parseExposition(text: string): ExposedSample[] {
  const out: ExposedSample[] = [];
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)(?: \d+)?$/.exec(line);
    if (m === null) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
      labels[l[1]!] = l[2]!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    }
    out.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return out;
}
