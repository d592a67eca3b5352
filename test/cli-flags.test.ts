// The command line's errors in its own words: a flag's missing value (not `--`), the flag a bad
// value came from, and output methods that cannot work from a command line (logger, otel).
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cliHere } from './helpers/cli.js';
import { FakeRapl, tempDir } from './helpers/sysfs.js';
import { noService } from './helpers/tracker.js';

const cli = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));

/** Runs the CLI in a temp dir (HOME and cwd) holding `config` as its config file, fake RAPL, no network. */
async function cc(t: TestContext, args: string[], config: string | null = null, env: Record<string, string> = {}) {
  const rapl = new FakeRapl([{ id: 'intel-rapl:0', name: 'package-0', energyUj: 0 }]);
  const dir = tempDir('cc-flags-');
  t.after(() => { rmSync(dir, { recursive: true, force: true }); rmSync(rapl.root, { recursive: true, force: true }); });
  if (config !== null) writeFileSync(join(dir, '.codecarbon.config'), config);
  const e = { PATH: process.env['PATH'], HOME: dir, CODECARBON_RAPL_DIR: rapl.root, CODECARBON_GEOJS_URL: noService,
    CODECARBON_IPINFO_URL: noService, CODECARBON_LOCATION_CACHE_FILE: '', CODECARBON_CLOUD_METADATA_URL: noService, ...env };
  return new Promise<{ code: number; stdout: string; stderr: string; file: string }>((done) => {
    execFile(process.execPath, [cli, ...args], { cwd: dir, env: e, timeout: 60_000 }, (err, stdout, stderr) => {
      done({ code: err === null ? 0 : Number(err.code), stdout, stderr, file: join(dir, '.codecarbon.config') });
    });
  });
}

const offline = ['--offline', '--country-iso-code', 'FRA'];
const sh = [process.execPath, '-e', '0'];

test('a flag followed by "--" or by nothing needs a value, in every command', async () => {
  for (const args of [['monitor', '--project-name', '--', 'true'], ['monitor', '--project-name'], ['bench', 'x.js', '--csv', '--'],
    ['report', '-o', '--'], ['board', '--port', '--']]) {
    assert.deepEqual(await cliHere(args), { code: 2, stdout: '', stderr: `codecarbon: ${args[args.indexOf('--') - 1] ?? args.at(-1)} needs a value\n` },
      args.join(' '));
  }
  const detect = await cliHere(['detect', '--rapl-dir', '--']);
  assert.equal(detect.code, 2);
  assert.match(detect.stderr, /^codecarbon: --rapl-dir needs a value\n\nUsage:\n {2}detect /);
});

test('a bad value from a flag names the flag, not the option in code', async (t) => {
  const detect = await cc(t, ['detect', '--tracking-mode', 'bogus']);
  assert.deepEqual([detect.code, detect.stderr], [2, 'codecarbon: --tracking-mode (from command line): expected one of "machine", "process", got "bogus"\n']);
  const dir = await cc(t, ['monitor', ...offline, '--output-dir', '/nonexistent-cc-dir', '--', ...sh]);
  assert.deepEqual([dir.code, dir.stderr], [2, 'codecarbon: --output-dir (from command line): /nonexistent-cc-dir is not an existing directory; create it first\n']);
});

test('monitor --offline without a location names the flags (and the config keys), not countryIsoCode', async (t) => {
  const r = await cc(t, ['monitor', '--offline', '--', ...sh]);
  assert.deepEqual([r.code, r.stderr], [2, 'codecarbon: an offline tracker needs --country-iso-code (an ISO-3 code such as "FRA", or a country name), '
    + 'or --cloud-provider with --cloud-region (in a config file: country_iso_code, or cloud_provider with cloud_region)\n']);
});

test('a bad country in a config file names the file and line, not "argument"', async (t) => {
  const r = await cc(t, ['monitor', '--offline', '--', ...sh], '[codecarbon]\ncountry_iso_code = Narnia\n');
  assert.equal(r.code, 2);
  assert.match(r.stderr, new RegExp(`^codecarbon: country_iso_code \\(from ${r.file}, line 2\\): unknown country "Narnia"; closest: `));
});

const otelWhy = 'the otel output cannot be used from codecarbon monitor: it reports on the MeterProvider of the process that tracks, '
  + 'and monitor registers none (the command is another process); use the code API in your application after registering a '
  + 'MeterProvider, or --prometheus-listen-address for a scrape endpoint';
const loggerWhy = 'the logger output cannot be used from codecarbon monitor: it writes to a logger object (loggingLogger), which only '
  + 'code can pass; use the code API: new EmissionsTracker({ outputMethods: [\'logger\'], loggingLogger: console })';

test('monitor refuses the otel and logger outputs up front, from a flag, the environment or a config file; exit 2', async (t) => {
  const flag = await cc(t, ['monitor', ...offline, '--output-methods', 'otel', '--', ...sh]);
  assert.deepEqual([flag.code, flag.stderr], [2, `codecarbon: --output-methods (from command line): ${otelWhy}\n`]);
  const env = await cc(t, ['monitor', ...offline, '--', ...sh], null, { CODECARBON_OUTPUT_METHODS: 'csv,logger' });
  assert.deepEqual([env.code, env.stderr], [2, `codecarbon: output_methods (from environment variable CODECARBON_OUTPUT_METHODS): ${loggerWhy}\n`]);
  const file = await cc(t, ['monitor', ...offline, '--', ...sh], '[codecarbon]\nsave_to_logger = true\n');
  assert.deepEqual([file.code, file.stderr], [2, `codecarbon: save_to_logger (from ${file.file}, line 2): ${loggerWhy}\n`]);
});

test('monitor --help offers only the output methods it can use', async () => {
  const { stdout } = await cliHere(['monitor', '--help']);
  assert.match(stdout, /--output-methods csv,api,prometheus /);
  assert.doesNotMatch(stdout, /logger|otel/);
});

test('monitor --output-methods csv,logger: the refusal keeps the code API example as written', async (t) => {
  const r = await cc(t, ['monitor', ...offline, '--output-methods', 'csv,logger', '--', ...sh]);
  assert.deepEqual([r.code, r.stderr], [2, `codecarbon: --output-methods (from command line): ${loggerWhy}\n`]);
});

test('warnings about options the command line set name the flag; those set otherwise keep their key', async () => {
  const { warningInFlagWords } = await import('../src/cli/flags.js');
  const flags = { gpuIds: '--gpu-ids', trackingMode: '--tracking-mode' };
  const given = new Set(['gpuIds']);
  assert.equal(warningInFlagWords('gpu_ids = 0,1 (from argument) asks for GPUs, but none', flags, given), '--gpu-ids 0,1 (from command line) asks for GPUs, but none');
  assert.equal(warningInFlagWords('gpu_ids (from argument): "7" matches no GPU', flags, given), '--gpu-ids (from command line): "7" matches no GPU');
  assert.equal(warningInFlagWords('tracking_mode = x (from argument) changes nothing', flags, given), 'tracking_mode = x (from argument) changes nothing');
  assert.equal(warningInFlagWords('gpu_ids = 1 (from environment variable CODECARBON_GPU_IDS) asks', flags, given),
    'gpu_ids = 1 (from environment variable CODECARBON_GPU_IDS) asks');
});
