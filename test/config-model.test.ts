// One configuration model: the same folder, environment and arguments give the same values and
// origins to the tracker, its engine, `detect`, `config` and detectHardware().
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { detectHardware } from '../src/hardware.js';
import { EmissionsTracker } from '../src/tracker.js';
import { FakeRapl, tempDir } from './helpers/sysfs.js';

const run = promisify(execFile);
const cli = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));

/** A folder whose ./.codecarbon.config points at a fake RAPL tree, and an empty home. */
function folder(extra = '') {
  const rapl = new FakeRapl([{ id: 'intel-rapl:0', name: 'package-0', energyUj: 0 }]);
  const dir = tempDir('cc-cfg-');
  const home = tempDir('cc-home-');
  writeFileSync(join(dir, '.codecarbon.config'), `[codecarbon]\ncountry_iso_code = FRA\nrapl_dir = ${rapl.root}\n${extra}`);
  const env = { PATH: process.env['PATH'], HOME: home };
  return { rapl, dir, home, env };
}

test('rapl_dir in ./.codecarbon.config: the tracker, its engine, detect --json, config --json and detectHardware() all use it, from that line', async () => {
  const { rapl, dir, home, env } = folder('ring_capacity = 256\n');
  const file = join(dir, '.codecarbon.config');
  const warnings: string[] = [];
  const tracker = new EmissionsTracker({}, { env: {}, cwd: dir, home });
  tracker.addEventListener('warning', (e) => warnings.push((e as Event & { message: string }).message));
  assert.equal(tracker.options.raplDir, rapl.root);
  assert.equal(tracker.origins['raplDir'], `${file}, line 3`);
  assert.deepEqual([tracker.engineOptions.raplDir, tracker.engineOptions.ringCapacity], [rapl.root, 256]);
  const detected = JSON.parse((await run(process.execPath, [cli, 'detect', '--json'], { cwd: dir, env })).stdout) as { rapl: { roots: string[] } };
  assert.deepEqual(detected.rapl.roots, [rapl.root]);
  const config = JSON.parse((await run(process.execPath, [cli, 'config', '--json'], { cwd: dir, env })).stdout) as { keys: { key: string; value: unknown; origin: string }[] };
  const byKey = new Map(config.keys.map((k) => [k.key, k]));
  assert.deepEqual(byKey.get('rapl_dir'), { key: 'rapl_dir', value: rapl.root, origin: `${file}, line 3` });
  assert.deepEqual(byKey.get('ring_capacity'), { key: 'ring_capacity', value: 256, origin: `${file}, line 4` });
  assert.deepEqual(byKey.get('project_name'), { key: 'project_name', value: 'codecarbon', origin: 'default' });
  assert.deepEqual(detectHardware({}, { env: {}, cwd: dir, home }).rapl.roots, [rapl.root]);
  tracker.start();
  await tracker.stop();
  assert.equal(tracker.sampler!.options.raplDir, rapl.root);
  assert.match(String(tracker.finalEmissionsData!.cpu_source), /^rapl \(measured\)/);
  assert.deepEqual(warnings, []); // ring_capacity is a key now, not an unknown one
});

test('an environment given through ConfigSources reaches the engine; the process environment does not override it', () => {
  const { rapl, dir, home } = folder();
  const other = new FakeRapl([{ id: 'intel-rapl:0', name: 'package-0', energyUj: 0 }]);
  const tracker = new EmissionsTracker({}, { env: { CODECARBON_RAPL_DIR: other.root, CODECARBON_PROC_DIR: '/fake/proc' }, cwd: dir, home });
  assert.deepEqual([tracker.engineOptions.raplDir, tracker.engineOptions.procDir], [other.root, '/fake/proc']);
  assert.notEqual(tracker.engineOptions.raplDir, rapl.root);
});

test('config masks keys and tokens; detectHardware() needs no argument', async () => {
  const { dir, env } = folder('api_key = 0123456789abcdef\nelectricitymaps_api_token = short\n');
  const config = JSON.parse((await run(process.execPath, [cli, 'config', '--json'], { cwd: dir, env })).stdout) as { keys: { key: string; value: unknown }[] };
  const byKey = new Map(config.keys.map((k) => [k.key, k.value]));
  assert.deepEqual([byKey.get('api_key'), byKey.get('electricitymaps_api_token')], ['****cdef', '****']);
  const text = (await run(process.execPath, [cli, 'config'], { cwd: dir, env })).stdout;
  assert.doesNotMatch(text, /0123456789|short/);
  assert.match(text, /^api_key +\*\*\*\*cdef +.*\.codecarbon\.config, line 4$/m);
  assert.ok(detectHardware().cpuInfo.threads >= 1);
});

test('log_level as CodeCarbon takes it: names in any case, warn, fatal, notset, numbers; anything else names the key', () => {
  const { dir, home } = folder();
  for (const [given, value] of [['WARN', 'warn'], ['Critical', 'critical'], ['notset', 'notset'], ['30', 30], [45, 45]] as const) {
    assert.equal(new EmissionsTracker({ logLevel: given as never }, { env: {}, cwd: dir, home }).options.logLevel, value);
  }
  assert.throws(() => new EmissionsTracker({}, { env: { CODECARBON_LOG_LEVEL: 'verbose' }, cwd: dir, home }), {
    message: 'log_level (from environment variable CODECARBON_LOG_LEVEL): expected a log level: notset, debug, info, warn, warning, '
      + 'error, fatal, critical (any case), or a number such as 30, got "verbose"',
  });
});

test('a key accepted but without effect here (rapl_include_dram) is said once, with why', async () => {
  const { dir, home } = folder('rapl_include_dram = true\n');
  const warnings: string[] = [];
  const tracker = new EmissionsTracker({}, { env: {}, cwd: dir, home });
  tracker.addEventListener('warning', (e) => warnings.push((e as Event & { message: string }).message));
  tracker.start();
  await tracker.stop();
  tracker.start();
  await tracker.stop();
  assert.deepEqual(warnings, [`rapl_include_dram = true (from ${join(dir, '.codecarbon.config')}, line 4) changes nothing in this port: `
    + 'RAPL dram domains are always measured here, as RAM (ram_source says rapl-dram), never added to the CPU; `codecarbon detect` lists them']);
});

test('the options typed as possibly null are exactly the keys without a default', async () => {
  const { camel, keySpecs, noDefaultOptions } = await import('../src/config/keys.js');
  assert.deepEqual(keySpecs.filter((s) => s.default === null).map((s) => camel(s.key)).sort(), [...noDefaultOptions].sort());
});
