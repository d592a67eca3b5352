// The scrape endpoint under load: a tracked child process scraped 50 times a second by a local
// client, its CPU time against its unscraped windows, beside a bare node:http server's in the same
// windows, and the figures it measured in each.
// Standalone (node dist/bench/scrape.js) it merges its figures into bench/results.json.
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { Figure } from './run.js';

interface Mark { cpuUs: number; samples: number; cpuEnergyJ: number }

const powerW = 10;

/** One GET /metrics on a kept-alive connection, as Prometheus scrapes; resolves to the status. */
function scrape(url: string, agent: Agent): Promise<number> {
  return new Promise((resolve) => {
    request(url, { agent }, (res) => res.resume().on('end', () => resolve(res.statusCode ?? 0))).on('error', () => resolve(0)).end();
  });
}

/** Scrapes `url` every 1000 / ratePerS ms for `windowS` seconds (one at a time); resolves to [done, failed]. */
async function load(url: string, windowS: number, ratePerS: number): Promise<[number, number]> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const end = Date.now() + windowS * 1000;
  let [done, failed] = [0, 0];
  for (let next = Date.now(); next < end; next += 1000 / ratePerS) {
    const wait = next - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    if ((await scrape(url, agent)) === 200) done++;
    else failed++;
  }
  agent.destroy();
  return [done, failed];
}

/** What one child measured per window: CPU % of a core, samples and CPU energy (J), unscraped and scraped. */
interface Windows { idle: Mark[]; scraped: Mark[]; done: number; failed: number }

const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

/** A tracked child (`floor`: serving a bare node:http server instead), answering marks on stdin. */
async function child(floor: boolean): Promise<{ address: string; counter: string; mark: () => Promise<Mark>; end: () => Promise<void> }> {
  const proc = spawn(process.execPath, [fileURLToPath(new URL('./scrape-child.js', import.meta.url)), ...(floor ? ['floor'] : [])],
    { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: proc.stdout })[Symbol.asyncIterator]();
  const next = async <T>(): Promise<T> => JSON.parse((await lines.next()).value as string) as T;
  const { address, counter } = await next<{ address: string; counter: string }>();
  return {
    address, counter,
    mark: () => { proc.stdin.write('mark\n'); return next<Mark>(); },
    end: async () => { proc.stdin.end('stop\n'); await new Promise((r) => proc.once('exit', r)); },
  };
}

/**
 * Both children at once, through the same windows: in each pair, one window scrapes ours while the
 * floor idles, the next scrapes the floor while ours idles. Each child's scraped windows are set
 * against its own unscraped ones of the same minutes, so a machine whose load drifts weighs on both
 * alike. The windows start after a settling pause (a child's first seconds hold its one-off work).
 */
async function windows(windowS: number, ratePerS: number, pairs: number): Promise<[Windows, Windows]> {
  const kids = await Promise.all([child(false), child(true)]);
  // The fake packages draw powerW: their counters follow the wall clock, written by this process.
  const t0 = Date.now();
  const writer = setInterval(() => {
    for (const k of kids) writeFileSync(`${k.counter}/energy_uj`, `${Math.round(powerW * (Date.now() - t0) * 1000)}\n`);
  }, 50);
  const delta = (a: Mark, b: Mark): Mark => ({ cpuUs: (b.cpuUs - a.cpuUs) / 1e4 / windowS, samples: b.samples - a.samples, cpuEnergyJ: b.cpuEnergyJ - a.cpuEnergyJ });
  const out: [Windows, Windows] = [{ idle: [], scraped: [], done: 0, failed: 0 }, { idle: [], scraped: [], done: 0, failed: 0 }];
  await new Promise((r) => setTimeout(r, 3000));
  let marks = await Promise.all(kids.map((k) => k.mark()));
  for (let i = 0; i < 2 * pairs; i++) {
    const scraped = i % 2;
    const [done, failed] = await load(`http://${kids[scraped]!.address}/metrics`, windowS, ratePerS);
    const now = await Promise.all(kids.map((k) => k.mark()));
    kids.forEach((_, j) => (j === scraped ? out[j]!.scraped : out[j]!.idle).push(delta(marks[j]!, now[j]!)));
    out[scraped]!.done += done;
    out[scraped]!.failed += failed;
    marks = now;
  }
  clearInterval(writer);
  await Promise.all(kids.map((k) => k.end()));
  return out;
}

/** The benchmark: CPU % of a core scraped minus unscraped (and node:http's own floor), samples and energy per window. */
export async function scrapeLoad(windowS = 10, ratePerS = 50, pairs = 4): Promise<Figure[]> {
  const [ours, floor] = await windows(windowS, ratePerS, pairs);
  const cost = (w: Windows): number => mean(w.scraped.map((x) => x.cpuUs)) - mean(w.idle.map((x) => x.cpuUs));
  const costPct = cost(ours);
  const method = `two child processes side by side, each tracking a fake RAPL package at ${powerW} W (sampler held at 10 Hz in every window: `
    + `idle_sample_period_ms = 100), one serving the scrape endpoint, the other a bare node:http server; ${2 * pairs} windows of ${windowS} s `
    + `after a 3 s pause, each scraping one child ${ratePerS}/s from a local client (one kept-alive connection, as Prometheus) while the `
    + `other idles, in turn; a child's cost: its process.cpuUsage() (% of one core) in its scraped windows minus its unscraped ones`;
  const each = (w: Mark[], f: (x: Mark) => number): string => w.map((x) => +f(x).toPrecision(4)).join(', ');
  return [
    { name: 'scrape endpoint: CPU cost of 50 scrapes/s', value: costPct, unit: '% of one core', goal: '< 2 %',
      method: `${method}; per window, unscraped: ${each(ours.idle, (x) => x.cpuUs)}; scraped: ${each(ours.scraped, (x) => x.cpuUs)}` },
    { name: 'scrape endpoint: CPU per scrape', value: (costPct / 100) * windowS * pairs * 1e6 / Math.max(1, ours.done), unit: 'µs',
      method: 'the cost above over the scrapes answered' },
    { name: 'scrape endpoint: floor, a bare node:http server answering the same body 50/s', value: cost(floor), unit: '% of one core',
      method: `the same windows, the other child: a tracked process serving a fixed body of the same size from a bare node:http server `
        + `(what HTTP itself costs on this machine); unscraped: ${each(floor.idle, (x) => x.cpuUs)}; scraped: ${each(floor.scraped, (x) => x.cpuUs)}` },
    { name: 'scrape endpoint: scrapes answered 200 (failed)', value: ours.done, unit: `scrapes (${ours.failed} failed)`,
      method: `${ratePerS}/s for ${pairs} × ${windowS} s, one at a time` },
    { name: 'scrape endpoint: samples taken per window, unscraped', value: mean(ours.idle.map((x) => x.samples)), unit: 'samples',
      method: `the ring's published count (a scrape takes none); per window: ${each(ours.idle, (x) => x.samples)}` },
    { name: 'scrape endpoint: samples taken per window, scraped', value: mean(ours.scraped.map((x) => x.samples)), unit: 'samples',
      method: `as above; per window: ${each(ours.scraped, (x) => x.samples)}` },
    { name: 'scrape endpoint: CPU energy measured per window, unscraped', value: mean(ours.idle.map((x) => x.cpuEnergyJ)), unit: 'J',
      method: `the run's record (current()); truth ${powerW} W × ${windowS} s = ${powerW * windowS} J; per window: ${each(ours.idle, (x) => x.cpuEnergyJ)}` },
    { name: 'scrape endpoint: CPU energy measured per window, scraped', value: mean(ours.scraped.map((x) => x.cpuEnergyJ)), unit: 'J',
      method: `as above; per window: ${each(ours.scraped, (x) => x.cpuEnergyJ)}` },
  ];
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const file = fileURLToPath(new URL('../../bench/results.json', import.meta.url));
  const results = JSON.parse(readFileSync(file, 'utf8')) as { figures: (Figure & { date: string })[]; machine: unknown };
  const got = await scrapeLoad();
  for (const f of got) console.log(`${f.name.padEnd(58)} ${String(+f.value.toPrecision(4)).padStart(10)} ${f.unit}`);
  const date = new Date().toISOString();
  results.figures = [...results.figures.filter((f) => !f.name.startsWith('scrape endpoint:')), ...got.map((f) => ({ ...f, machine: results.machine, date }))];
  writeFileSync(file, JSON.stringify(results, null, 2) + '\n');
}
