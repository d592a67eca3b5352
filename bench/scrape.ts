// The scrape endpoint under load: a tracked child process scraped 50 times a second for 20 s by a
// local client, its CPU time against the same window unscraped, and the figures it measured in each.
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

/** What one child measured: CPU % of a core, samples and CPU energy (J), per window, unscraped and scraped. */
interface Windows { idle: Mark[]; scraped: Mark[]; done: number; failed: number }

const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

/**
 * One child, `pairs` times an unscraped window then a scraped one (alternating, so that a machine
 * whose load drifts weighs on both alike); `floor`: a bare node:http server is scraped instead.
 */
async function windows(windowS: number, ratePerS: number, pairs: number, floor: boolean): Promise<Windows> {
  const child = spawn(process.execPath, [fileURLToPath(new URL('./scrape-child.js', import.meta.url)), ...(floor ? ['floor'] : [])],
    { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const next = async <T>(): Promise<T> => JSON.parse((await lines.next()).value as string) as T;
  const { address, counter } = await next<{ address: string; counter: string }>();
  // The fake package draws powerW: its counter follows the wall clock, written by this process.
  const t0 = Date.now();
  const writer = setInterval(() => writeFileSync(`${counter}/energy_uj`, `${Math.round(powerW * (Date.now() - t0) * 1000)}\n`), 50);
  const mark = (): Promise<Mark> => { child.stdin.write('mark\n'); return next<Mark>(); };
  const delta = (a: Mark, b: Mark): Mark => ({ cpuUs: (b.cpuUs - a.cpuUs) / 1e4 / windowS, samples: b.samples - a.samples, cpuEnergyJ: b.cpuEnergyJ - a.cpuEnergyJ });
  const out: Windows = { idle: [], scraped: [], done: 0, failed: 0 };
  let m = await mark();
  for (let i = 0; i < pairs; i++) {
    await new Promise((r) => setTimeout(r, windowS * 1000));
    const m1 = await mark();
    out.idle.push(delta(m, m1));
    const [done, failed] = await load(`http://${address}/metrics`, windowS, ratePerS);
    m = await mark();
    out.scraped.push(delta(m1, m));
    out.done += done;
    out.failed += failed;
  }
  clearInterval(writer);
  child.stdin.end('stop\n');
  await new Promise((r) => child.once('exit', r));
  return out;
}

/** The benchmark: CPU % of a core scraped minus unscraped (and node:http's own floor), samples and energy per window. */
export async function scrapeLoad(windowS = 20, ratePerS = 50, pairs = 2): Promise<Figure[]> {
  const ours = await windows(windowS, ratePerS, pairs, false);
  const floor = await windows(windowS, ratePerS, pairs, true);
  const cost = (w: Windows): number => mean(w.scraped.map((x) => x.cpuUs)) - mean(w.idle.map((x) => x.cpuUs));
  const costPct = cost(ours);
  const method = `a child process tracking a fake RAPL package at ${powerW} W (sampler held at 10 Hz in every window: idle_sample_period_ms = 100); its process.cpuUsage() (% of one core) in `
    + `${pairs} windows of ${windowS} s scraped ${ratePerS}/s by a local client (one kept-alive connection, as Prometheus) minus `
    + `${pairs} unscraped windows alternating with them; shared 2-core machine with other workers running (load average 4-8): noisy`;
  const each = (w: Mark[], f: (x: Mark) => number): string => w.map((x) => +f(x).toPrecision(4)).join(', ');
  return [
    { name: 'scrape endpoint: CPU cost of 50 scrapes/s', value: costPct, unit: '% of one core', goal: '< 2 %',
      method: `${method}; per window, unscraped: ${each(ours.idle, (x) => x.cpuUs)}; scraped: ${each(ours.scraped, (x) => x.cpuUs)}` },
    { name: 'scrape endpoint: CPU per scrape', value: (costPct / 100) * windowS * pairs * 1e6 / Math.max(1, ours.done), unit: 'µs',
      method: 'the cost above over the scrapes answered' },
    { name: 'scrape endpoint: floor, a bare node:http server answering the same body 50/s', value: cost(floor), unit: '% of one core',
      method: `as above, the tracked child serving a fixed body of the same size from a bare node:http server (what HTTP itself costs `
        + `on this machine); unscraped: ${each(floor.idle, (x) => x.cpuUs)}; scraped: ${each(floor.scraped, (x) => x.cpuUs)}` },
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
