// The OpenTelemetry output through the SDK's in-memory exporter: the CSV's figures in J, g, L, W
// and g/(kW.h) on the application's global MeterProvider, with the run's attributes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { metrics } from '@opentelemetry/api';
import { AggregationTemporality, InMemoryMetricExporter, MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { lastRow } from './helpers/rows.js';
import { ScriptedClock, ScriptedRapl } from './helpers/scripted.js';
import { fakeTracker } from './helpers/tracker.js';

interface Point { name: string; unit: string; value: number; attributes: Record<string, unknown> }

/** The points of one export, flat. */
async function collect(exporter: InMemoryMetricExporter, reader: PeriodicExportingMetricReader): Promise<Point[]> {
  exporter.reset();
  await reader.forceFlush();
  const points: Point[] = [];
  for (const rm of exporter.getMetrics()) {
    for (const sm of rm.scopeMetrics) {
      for (const m of sm.metrics) {
        for (const dp of m.dataPoints) {
          points.push({ name: m.descriptor.name, unit: m.descriptor.unit, value: dp.value as number, attributes: dp.attributes });
        }
      }
    }
  }
  return points;
}

test('otel: energy (J), emissions (g), water (L), power (W) and intensity (g/(kW.h)) equal the CSV row of the same moment; the final row\'s after stop', async (t) => {
  const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
  const provider = new MeterProvider({ readers: [reader] });
  metrics.setGlobalMeterProvider(provider);
  t.after(async () => {
    await provider.shutdown();
    metrics.disable();
  });
  const clock = new ScriptedClock(1000);
  const hw = new ScriptedRapl(1, 10, undefined, clock);
  t.after(hw.forTrackers());
  const { tracker, dir } = fakeTracker({ raplDir: hw.root, forceRamPower: 2, samplePeriodMs: 60_000, outputMethods: ['csv', 'otel'],
    projectName: 'shop', experimentName: 'nightly', wue: 2 });
  const warnings: string[] = [];
  tracker.addEventListener('warning', (e) => warnings.push((e as Event & { message: string }).message));
  tracker.start();
  await tracker.ready();
  clock.advance(5000);
  await tracker.flush();
  const row = lastRow(dir);
  const points = await collect(exporter, reader);
  const run = { 'codecarbon.project': 'shop', 'codecarbon.experiment': 'nightly', 'codecarbon.run_id': row['run_id'] };
  const get = (name: string, unit: string, attrs: Record<string, unknown> = {}): number => {
    const p = points.filter((x) => x.name === name && Object.entries({ ...run, ...attrs }).every(([k, v]) => x.attributes[k] === v));
    assert.equal(p.length, 1, `${name} ${JSON.stringify(attrs)}: ${p.length} points`);
    assert.equal(p[0]!.unit, unit);
    return p[0]!.value;
  };
  const close = (a: number, b: number): void => assert.ok(Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b)), `${a} vs ${b}`);
  close(get('codecarbon.energy', 'J', { 'codecarbon.component': 'cpu', 'codecarbon.source': row['cpu_source'] }), Number(row['cpu_energy']) * 3.6e6);
  close(get('codecarbon.energy', 'J', { 'codecarbon.component': 'ram' }), Number(row['ram_energy']) * 3.6e6);
  close(get('codecarbon.emissions', 'g'), Number(row['emissions']) * 1000);
  close(get('codecarbon.water', 'L'), Number(row['water_consumed']));
  close(get('codecarbon.power', 'W', { 'codecarbon.component': 'cpu' }), 10);
  close(get('codecarbon.carbon_intensity', 'g/(kW.h)', { 'codecarbon.intensity.dataset': row['carbon_intensity_dataset'] }),
    Number(row['carbon_intensity_g_co2e_kwh']));
  // After stop(): the next collection has the final row's figures (stop()'s record, not a reading after it).
  clock.advance(3000);
  await tracker.stop();
  clock.advance(60_000);
  const final = lastRow(dir);
  points.splice(0, points.length, ...await collect(exporter, reader));
  close(get('codecarbon.energy', 'J', { 'codecarbon.component': 'cpu' }), Number(final['cpu_energy']) * 3.6e6);
  close(get('codecarbon.emissions', 'g'), Number(final['emissions']) * 1000);
  assert.deepEqual(warnings, []);
});

test('otel without @opentelemetry/api installed: one warning naming the package; the run and its CSV go on', async () => {
  const { cpSync, mkdirSync, readdirSync, symlinkSync, readFileSync } = await import('node:fs');
  const { execFile } = await import('node:child_process');
  const { promisify } = await import('node:util');
  const { join } = await import('node:path');
  const { fileURLToPath } = await import('node:url');
  const { tempDir, FakeRapl } = await import('./helpers/sysfs.js');
  // A copy of the package whose node_modules has everything but @opentelemetry (prom-client, which
  // depends on it, resolves it from its own real path: only this package's lookup is tested).
  const repo = fileURLToPath(new URL('../../', import.meta.url));
  const root = tempDir('cc-no-otel-');
  cpSync(join(repo, 'dist/src'), join(root, 'dist/src'), { recursive: true });
  cpSync(join(repo, 'package.json'), join(root, 'package.json'));
  for (const d of ['build', 'data']) symlinkSync(join(repo, d), join(root, d));
  mkdirSync(join(root, 'node_modules'));
  for (const m of readdirSync(join(repo, 'node_modules'))) {
    if (m !== '@opentelemetry' && !m.startsWith('.')) symlinkSync(join(repo, 'node_modules', m), join(root, 'node_modules', m));
  }
  const rapl = new FakeRapl([{ id: 'intel-rapl:0', name: 'package-0', energyUj: 0 }]);
  const out = tempDir('cc-no-otel-out-');
  const script = `import { OfflineEmissionsTracker } from ${JSON.stringify(join(root, 'dist/src/offline.js'))};
    const t = new OfflineEmissionsTracker({ countryIsoCode: 'FRA', outputDir: ${JSON.stringify(out)}, raplDir: ${JSON.stringify(rapl.root)},
      outputMethods: ['csv', 'otel'] }, { env: {}, cwd: ${JSON.stringify(out)}, home: ${JSON.stringify(out)} });
    const said = [];
    t.addEventListener('warning', (e) => said.push(e.message));
    t.start();
    await t.stop();
    t.start();
    await t.stop();
    console.log(JSON.stringify(said));`;
  const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], { cwd: out });
  assert.deepEqual(JSON.parse(stdout), ['the otel output needs the package @opentelemetry/api, which is not installed: nothing is exported; '
    + 'install it (npm install @opentelemetry/api) with the SDK your application registers']);
  assert.equal(readFileSync(join(out, 'emissions.csv'), 'utf8').trim().split('\n').length, 3);
});

test('otel with no MeterProvider registered: one warning that nothing is exported and how to register one; the run and its CSV go on', async (t) => {
  metrics.disable();
  const clock = new ScriptedClock(1000);
  const hw = new ScriptedRapl(1, 10, undefined, clock);
  t.after(hw.forTrackers());
  const { tracker, dir } = fakeTracker({ raplDir: hw.root, forceRamPower: 2, samplePeriodMs: 60_000, outputMethods: ['csv', 'otel'] });
  const warnings: string[] = [];
  tracker.addEventListener('warning', (e) => warnings.push((e as Event & { message: string }).message));
  for (let run = 0; run < 2; run++) {
    tracker.start();
    await tracker.ready();
    clock.advance(2000);
    await tracker.stop();
  }
  assert.deepEqual(warnings, ['the otel output has no MeterProvider to report on: nothing is exported; register one before start(), '
    + 'e.g. metrics.setGlobalMeterProvider(new MeterProvider({ readers: [...] })) with @opentelemetry/sdk-metrics']);
  assert.ok(Number(lastRow(dir)['cpu_energy']) > 0);
});
