// Against Debian's real servers (prometheus, prometheus-pushgateway), started here on free loopback
// ports: Prometheus scrapes a tracked process and its query API gives the CSV's figures; a pushed
// run is on the Pushgateway with every label, and gone after stop. The fleet guide's queries run here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { scrapeAddress } from '../src/output/scrape.js';
import { pushLabels } from '../src/output/pushgateway.js';
import { stableSource } from '../src/output/figures.js';
import type { TrackerOptions } from '../src/types.js';
import { missingServers, parseExposition, query, startPrometheus, startPushgateway, until, type RunningServer } from './helpers/prometheus.js';
import { lastRow } from './helpers/rows.js';
import { scriptedTracker } from './helpers/scripted.js';

/** The queries docs/fleet.md shows, as run here (`$run` a run id). */
export const fleetQueries = {
  energyKwhPerHourPerProject: 'sum by (project) (increase(codecarbon_energy_joules_total[1h])) / 3.6e6',
  emissionsGramsPerJob: 'sum by (job) (codecarbon_emissions_grams_total)',
  emissionsGramsPerProjectOverADay: 'sum by (project) (max by (project, run_id) (max_over_time(codecarbon_emissions_grams_total[1d])))',
  energyJoulesByComponentAndSource: 'sum by (component, source) (codecarbon_energy_joules_total)',
  pushedEnergyKwhPerJob: 'max by (job, project_name) (codecarbon_energy_total)',
} as const;

const missing = missingServers();

/** A project name with the characters the text format must escape. */
const shop = 'shop "eu" \\ west';

/** A scripted tracker (test/helpers/scripted.ts) with a 2 W RAM. */
function scripted(t: import('node:test').TestContext, options: TrackerOptions = {}) {
  return scriptedTracker(t, { forceRamPower: 2, ...options });
}

const within1Percent = (a: number, b: number): boolean => Math.abs(a - b) <= 0.01 * Math.abs(b);

/** The newest sample time (s) of a series, from a range query's raw samples. */
async function newestSampleS(prom: RunningServer, selector: string): Promise<number> {
  const [s] = await query(prom, `${selector}[1h]`);
  return s!.timeS;
}

test('Prometheus scrapes the endpoint of a tracked process: its query API gives the CSV\'s energy and emissions (within 1 %)', { skip: missing ?? false }, async (t) => {
  const { tracker, clock, dir, warnings } = scripted(t, { prometheusListenAddress: '127.0.0.1:0', projectName: shop, experimentName: 'nightly' });
  tracker.start();
  await tracker.ready();
  const address = (await scrapeAddress('127.0.0.1:0'))!;
  const prom = await startPrometheus(t, 'codecarbon', [address]);
  const run = tracker.runId;
  const cpu = `codecarbon_energy_joules_total{run_id="${run}",component="cpu"}`;
  // The run's start, scraped at least once (energy 0), so that increase() sees the whole run.
  await until('a first scrape', async () => ((await query(prom, cpu)).length === 1 ? true : undefined));
  clock.advance(10_000);
  await tracker.flush();
  const row = lastRow(dir);
  const energyJ = Number(row['energy_consumed']) * 3.6e6;
  const scraped = await until('the flushed energy in Prometheus', async () => {
    const [s] = await query(prom, `sum(codecarbon_energy_joules_total{run_id="${run}"})`);
    return s !== undefined && within1Percent(s.value, energyJ) ? s.value : undefined;
  });
  assert.ok(within1Percent(scraped, energyJ));
  // The guide's queries, at the newest sample (no extrapolation past it).
  const atS = await newestSampleS(prom, cpu);
  const [perProject] = await query(prom, fleetQueries.energyKwhPerHourPerProject, atS);
  assert.equal(perProject!.metric['project'], shop);
  assert.ok(within1Percent(perProject!.value, Number(row['energy_consumed'])), `${perProject!.value} kWh vs ${row['energy_consumed']}`);
  const [perJob] = await query(prom, fleetQueries.emissionsGramsPerJob, atS);
  assert.equal(perJob!.metric['job'], 'codecarbon');
  assert.ok(within1Percent(perJob!.value, Number(row['emissions']) * 1000));
  const [perDay] = await query(prom, fleetQueries.emissionsGramsPerProjectOverADay, atS);
  assert.ok(within1Percent(perDay!.value, Number(row['emissions']) * 1000));
  const parts = await query(prom, fleetQueries.energyJoulesByComponentAndSource, atS);
  const cpuPart = parts.find((p) => p.metric['component'] === 'cpu')!;
  assert.equal(cpuPart.metric['source'], stableSource(row['cpu_source']!));
  assert.ok(within1Percent(cpuPart.value, Number(row['cpu_energy']) * 3.6e6));
  const [power] = await query(prom, `codecarbon_power_watts{run_id="${run}",component="cpu"}`, atS);
  assert.ok(within1Percent(power!.value, 10), `${power!.value} W`);
  const [info] = await query(prom, `codecarbon_run_info{run_id="${run}"}`, atS);
  assert.equal(info!.metric['country_iso_code'], 'FRA');
  await tracker.stop();
  await until('the target down after stop()', async () => ((await query(prom, 'up{job="codecarbon"}'))[0]?.value === 0 ? true : undefined));
  assert.deepEqual(warnings, []);
});

test('a run pushing through the Pushgateway: there with all 14 labels and the CSV\'s energy, scraped by Prometheus; gone after stop', { skip: missing ?? false }, async (t) => {
  const gw = await startPushgateway(t);
  const { tracker, clock, dir, warnings } = scripted(t, { outputMethods: ['csv', 'prometheus'], prometheusUrl: gw.url.replace('http://', ''),
    projectName: 'batch job', experimentName: 'exp.1' });
  tracker.start();
  clock.advance(3000);
  await tracker.flush();
  await tracker.delivered();
  const row = lastRow(dir);
  const onGateway = async (): Promise<ReturnType<typeof parseExposition>> =>
    parseExposition(await (await fetch(`${gw.url}/metrics`)).text()).filter((s) => s.labels['job'] === 'batch_job_exp_1');
  const pushed = await onGateway();
  const counter = pushed.find((s) => s.name === 'codecarbon_energy_total')!;
  assert.ok(within1Percent(counter.value, Number(row['energy_consumed'])));
  for (const l of pushLabels) assert.equal(counter.labels[l], row[l], l);
  assert.ok(['codecarbon_duration', 'codecarbon_emissions', 'codecarbon_cpu_power', 'codecarbon_energy_consumed'].every((n) => pushed.some((s) => s.name === n)));
  const prom = await startPrometheus(t, 'pushgateway', [gw.url.replace('http://', '')], 1000, true);
  const [perJob] = await until('the pushed counter in Prometheus', async () => {
    const r = await query(prom, fleetQueries.pushedEnergyKwhPerJob);
    return r.length > 0 ? r : undefined;
  });
  assert.deepEqual([perJob!.metric['job'], perJob!.metric['project_name']], ['batch_job_exp_1', 'batch job']);
  assert.ok(within1Percent(perJob!.value, Number(row['energy_consumed'])));
  clock.advance(1000);
  await tracker.stop();
  await tracker.delivered();
  // The gateway answers a DELETE with 202 Accepted and applies it after: seen still there once under load.
  await until('the job gone from the gateway after stop()', async () => ((await onGateway()).length === 0 ? true : undefined));
  assert.deepEqual(warnings, []);
});
