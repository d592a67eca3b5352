// The scrape endpoint's figures are the record's: the metric fields it reads without /proc equal the
// full record's, field for field, and a scrape's samples equal current()'s figures of the same moment.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildRecord, metricFields, type RecordContext } from '../src/emissions/compute.js';
import { figuresOf } from '../src/output/figures.js';
import { metricColumns } from '../src/output/record.js';
import { scrapeAddress } from '../src/output/scrape.js';
import { parseExposition } from './helpers/prometheus.js';
import { scriptedTracker } from './helpers/scripted.js';

test('metricFields() equals buildRecord() on every metric column, on and off the cloud', () => {
  const energy = { cpuUj: 7.5e9, gpuUj: 1.25e9, ramUj: 3e8, cpuSource: 'rapl (measured)', gpuSource: 'nvml (measured)', ramSource: 'dimm-model (estimate)' };
  const context = (over: Partial<RecordContext>): RecordContext => ({
    timestamp: new Date(0), projectName: 'shop', runId: 'r-1', experimentId: 'e-1', trackingMode: 'process', pue: 1.4, wue: 1.8,
    intensity: { gCo2ePerKwh: 412.5, source: 'country', dataset: 'ember', year: 2023, detail: 'Germany (DEU)', countryIsoCode: 'DEU', countryName: 'Germany' },
    region: 'Bavaria', latitude: 48.1, longitude: 11.6, cloudProvider: '', cloudRegion: '',
    machine: { os: 'Linux-6.8-x86_64', runtime: 'node 20', version: '0.1.0', cpuCount: 8, cpuModel: 'EPYC', gpuCount: 1, gpuModel: '1 x H100', ramTotalGiB: 64 },
    utilisation: { cpuPercent: 12, gpuPercent: 40, ramPercent: 30, ramUsedGiB: 19 }, ...over,
  });
  for (const c of [context({}), context({ cloudProvider: 'aws', cloudRegion: 'eu-central-1', region: '', latitude: null, longitude: null,
    intensity: { gCo2ePerKwh: 311, source: 'cloud-region', dataset: 'codecarbon', year: null, detail: 'aws eu-central-1', countryIsoCode: null, countryName: null } })]) {
    const record = buildRecord(3600, energy, c);
    const fields = metricFields(3600, energy, c);
    assert.deepEqual(Object.keys(fields).sort(), [...metricColumns].sort());
    for (const k of metricColumns) assert.equal(fields[k], record[k], k);
  }
});

test('a scrape\'s samples are current()\'s figures of the same moment, exactly (no /proc read, the same numbers)', async (t) => {
  const { tracker, clock, hw } = scriptedTracker(t, { prometheusListenAddress: '127.0.0.1:0', projectName: 'shop', experimentName: 'nightly',
    forceRamPower: 2, pue: 1.3, wue: 1.5 });
  tracker.start();
  await tracker.ready();
  const address = (await scrapeAddress('127.0.0.1:0'))!;
  for (const [watts, ms] of [[10, 4000], [25, 3000]] as const) {
    hw.setWatts(watts);
    clock.advance(ms);
    await tracker.flush();
    const scraped = parseExposition(await (await fetch(`http://${address}/metrics`)).text());
    const record = tracker.current()!;
    const f = figuresOf(record, 'nightly');
    const run = { project: 'shop', experiment: 'nightly', run_id: f.runId };
    const expected = [
      ...f.parts.map((p) => ['codecarbon_energy_joules_total', { ...run, component: p.component, source: p.source }, p.energyJ] as const),
      ['codecarbon_emissions_grams_total', run, f.emissionsG], ['codecarbon_water_litres_total', run, f.waterL],
      ['codecarbon_carbon_intensity_grams_per_kwh', { ...run, source: f.intensitySource, dataset: f.intensityDataset }, f.intensityGPerKwh],
      ['codecarbon_run_duration_seconds', run, f.durationS],
      ['codecarbon_run_info', { ...run, experiment_id: f.experimentId, tracking_mode: String(record.tracking_mode),
        codecarbon_version: String(record.codecarbon_version), os: String(record.os), cpu_model: String(record.cpu_model),
        gpu_model: String(record.gpu_model), country_iso_code: String(record.country_iso_code), region: String(record.region),
        cloud_provider: String(record.cloud_provider), cloud_region: String(record.cloud_region) }, 1],
    ] as const;
    for (const [name, labels, value] of expected) {
      const s = scraped.filter((x) => x.name === name && JSON.stringify(x.labels) === JSON.stringify(labels));
      assert.equal(s.length, 1, `${name} ${JSON.stringify(labels)}`);
      assert.equal(s[0]!.value, value, name);
    }
    // Powers: the run's mean at the first scrape (the record's), then the mean since it.
    const power = (c: string): number => scraped.find((x) => x.name === 'codecarbon_power_watts' && x.labels['component'] === c)!.value;
    assert.equal(power('cpu'), ms === 4000 ? record.cpu_power : 25);
  }
  await tracker.stop();
});
