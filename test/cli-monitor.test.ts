// `codecarbon monitor`: runs a command, reports, writes its row and exits with the command's code.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { parseCsv } from '../src/output/csv.js';
import { cliHere } from './helpers/cli.js';
import { FakeRapl, tempDir } from './helpers/sysfs.js';
import { noService } from './helpers/tracker.js';
import { nvidiaDriverPresent } from '../src/sources/gpu.js';

const run = promisify(execFile);
const cli = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));

function place() {
  const rapl = new FakeRapl([{ id: 'intel-rapl:0', name: 'package-0', energyUj: 0 }]);
  const dir = tempDir('cc-mon-');
  const env = { PATH: process.env['PATH'], HOME: dir, CODECARBON_RAPL_DIR: rapl.root,
    CODECARBON_GEOJS_URL: noService, CODECARBON_IPINFO_URL: noService, CODECARBON_LOCATION_CACHE_FILE: '',
    CODECARBON_CLOUD_METADATA_URL: noService };
  const rows = (): string[][] => parseCsv(readFileSync(join(dir, 'emissions.csv'), 'utf8'));
  return { dir, env, rows };
}

test('the command\'s exit code comes back; the report and one CSV row are written', async () => {
  const { dir, env, rows } = place();
  const err = await run(process.execPath, [cli, 'monitor', '--offline', '--country-iso-code', 'FRA', '--', process.execPath, '-e', 'process.exit(5)'],
    { cwd: dir, env }).then(() => null, (e: { code: number; stderr: string }) => e);
  assert.equal(err?.code, 5);
  assert.match(err!.stderr, /^codecarbon: .* -e 'process\.exit\(5\)' ran \d+\.\d\d s and failed: exit status 5\n {2}CPU .*rapl \(measured\)\n {2}RAM .*\n {2}GPU .*\n {2}emissions .* g CO2eq at 56\.0 g\/kWh \(country: France \(FRA\), 2023, Our World in Data\)\n {2}written to emissions\.csv\n$/m);
  const r = rows();
  assert.equal(r.length, 2);
  assert.equal(r[1]![r[0]!.indexOf('tracking_mode')], 'process');
});

test('the tracker\'s warnings about a flag name the flag, and --log-level still silences them', { skip: nvidiaDriverPresent() && 'this machine has an NVIDIA driver' }, async () => {
  const { dir, env } = place();
  const base = [cli, 'monitor', '--offline', '--country-iso-code', 'FRA', '--gpu-ids', '0'];
  const said = await run(process.execPath, [...base, '--', process.execPath, '-e', '0'], { cwd: dir, env });
  assert.match(said.stderr, /^\[codecarbon WARNING\] --gpu-ids 0 \(from command line\) asks for GPUs, but no NVIDIA driver/m);
  const quiet = await run(process.execPath, [...base, '--log-level', 'error', '--', process.execPath, '-e', '0'], { cwd: dir, env });
  assert.doesNotMatch(quiet.stderr, /WARNING/);
});

test('the report says how a command that failed ended (its status, or the signal that ended it), and shows the command quoted to paste back', async () => {
  const { dir, env, rows } = place();
  const ran = async (command: string[]): Promise<{ code: number; line: string }> => {
    const e = await run(process.execPath, [cli, 'monitor', '--offline', '--country-iso-code', 'FRA', '--', ...command], { cwd: dir, env })
      .then(() => ({ code: 0, stderr: '' }), (x: { code: number; stderr: string }) => x);
    return { code: e.code, line: e.stderr.split('\n').find((l) => l.startsWith('codecarbon: ')) ?? e.stderr };
  };
  const failed = await ran(['sh', '-c', 'exit 3']);
  assert.equal(failed.code, 3);
  assert.match(failed.line, /^codecarbon: sh -c 'exit 3' ran \d+\.\d\d s and failed: exit status 3$/);
  const killed = await ran(['sh', '-c', 'kill -KILL $$', 'it\'s']);
  assert.equal(killed.code, 137);
  assert.match(killed.line, /^codecarbon: sh -c 'kill -KILL \$\$' 'it'\\''s' ran \d+\.\d\d s and was ended by SIGKILL \(exit status 137\)$/);
  assert.equal(rows().length, 3);
});

test('a tracking_mode set in the environment or a config file is kept, not replaced by process mode', async () => {
  const { dir, env, rows } = place();
  await run(process.execPath, [cli, 'monitor', '--offline', '--country-iso-code', 'FRA', '--', process.execPath, '-e', '0'],
    { cwd: dir, env: { ...env, CODECARBON_TRACKING_MODE: 'machine' } });
  writeFileSync(join(dir, '.codecarbon.config'), '[codecarbon]\ntracking_mode = machine\n');
  await run(process.execPath, [cli, 'monitor', '--offline', '--country-iso-code', 'FRA', '--', process.execPath, '-e', '0'], { cwd: dir, env });
  const r = rows();
  assert.deepEqual(r.slice(1).map((row) => row[r[0]!.indexOf('tracking_mode')]), ['machine', 'machine']);
});

test('a command that does not exist: exit 127, and no row', async () => {
  const { dir, env } = place();
  await assert.rejects(run(process.execPath, [cli, 'monitor', '--', 'no-such-command-here'], { cwd: dir, env }),
    (e: { code: number; stderr: string }) => e.code === 127 && /(^|\n)codecarbon: cannot run no-such-command-here: command not found\n$/.test(e.stderr));
  assert.equal(existsSync(join(dir, 'emissions.csv')), false);
});

test('SIGINT reaches the command; the row is written and the exit code says so', async () => {
  const { dir, env, rows } = place();
  // In a session of its own: run from a terminal, monitor would take a SIGINT for the terminal's, which the command had too.
  const child = spawn(process.execPath, [cli, 'monitor', '--', process.execPath, '-e', 'console.log("up"); setInterval(() => {}, 1000)'],
    { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  await new Promise<void>((r) => child.stdout.once('data', () => r()));
  child.kill('SIGINT');
  const code = await new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
  assert.equal(code, 130);
  assert.equal(rows().length, 2);
});

test('usage errors: an unknown option exits 2 with the usage', async () => {
  const r = await cliHere(['monitor', '--bogus']);
  assert.equal(r.code, 2);
  assert.ok(r.stderr.startsWith('codecarbon: unknown option for monitor: --bogus\n'), r.stderr);
});

test('without a command: the whole machine until SIGINT, then the row and exit 130', async () => {
  const { dir, env, rows } = place();
  const child = spawn(process.execPath, [cli, 'monitor', '--offline', '--country-iso-code', 'SWE'], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  const ready = new Promise<void>((r) => child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); if (stderr.includes('Ctrl-C to stop')) r(); }));
  await ready; // its signal handlers are in place
  child.kill('SIGINT');
  const code = await new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
  assert.equal(code, 130);
  assert.match(stderr, /codecarbon: the machine ran \d+\.\d\d s/);
  const r = rows();
  assert.equal(r[1]![r[0]!.indexOf('tracking_mode')], 'machine');
});

test('monitor --api --api-endpoint URL --experiment-id ID --output-methods csv: the run and its emissions reach the API before exit', async (t) => {
  const { dir, env, rows } = place();
  const { fakeApi } = await import('./helpers/api.js');
  const api = await fakeApi(t);
  await run(process.execPath, [cli, 'monitor', '--offline', '--country-iso-code', 'FRA', '--api', '--api-endpoint', api.url,
    '--experiment-id', 'exp-9', '--api-call-interval', '-1', '--log-level', 'error', '--output-methods', 'csv,api', '--',
    process.execPath, '-e', 'const t = Date.now(); while (Date.now() - t < 1100);'], { cwd: dir, env: { ...env, CODECARBON_API_KEY: 'k-1' } });
  assert.deepEqual(api.seen.map((s) => [s.path, s.headers['x-api-token']]), [['/runs', 'k-1'], ['/emissions', 'k-1']]);
  assert.equal(api.seen[0]!.body['experiment_id'], 'exp-9');
  const r = rows();
  assert.ok(Math.abs(Number(api.seen[1]!.body['energy_consumed']) - Number(r[1]![r[0]!.indexOf('energy_consumed')])) < 1e-15);
});

test('monitor --no-api wins over save_to_api in the environment; --output-methods without csv writes no CSV', async (t) => {
  const { dir, env } = place();
  const { fakeApi } = await import('./helpers/api.js');
  const api = await fakeApi(t);
  const apiEnv = { ...env, CODECARBON_SAVE_TO_API: 'true', CODECARBON_API_ENDPOINT: api.url };
  await run(process.execPath, [cli, 'monitor', '--offline', '--country-iso-code', 'FRA', '--no-api', '--', process.execPath, '-e', ''],
    { cwd: dir, env: apiEnv });
  assert.deepEqual(api.seen, []);
  assert.equal(existsSync(join(dir, 'emissions.csv')), true);
  const other = place();
  await run(process.execPath, [cli, 'monitor', '--offline', '--country-iso-code', 'FRA', '--output-methods', 'boamps',
    '--log-level', 'critical', '--', process.execPath, '-e', ''], { cwd: other.dir, env: other.env });
  assert.equal(existsSync(join(other.dir, 'emissions.csv')), false);
});

test('the live line of a machine run says (est.) when a figure is an estimate, (incomplete) when a source stopped reading, nothing when all is measured', async () => {
  const { liveLine } = await import('../src/cli/report.js');
  const line = (cpu: string, ram: string, gpu = 'none'): string => liveLine({ energy_consumed: 0.002, cpu_power: 30, ram_power: 5, gpu_power: 0,
    emissions: 1e-4, cpu_source: cpu, ram_source: ram, gpu_source: gpu } as unknown as Parameters<typeof liveLine>[0]);
  assert.equal(line('rapl (measured)', 'rapl-dram (measured)'), '2.0000 Wh  35.0 W  0.1000 g CO2eq');
  assert.equal(line('rapl (measured)', 'ram-model (estimate)'), '2.0000 Wh  35.0 W  0.1000 g CO2eq (est.)');
  assert.equal(line('cpu-load (estimate), incomplete (no valid reading in the last 2.0 s: energy then is not measured)', 'rapl-dram (measured)'),
    '2.0000 Wh  35.0 W  0.1000 g CO2eq (incomplete)');
});

test('the report gives a figure under 0.0001 in three significant digits, never as 0.0000; zero stays 0.0000', async () => {
  const { report } = await import('../src/cli/report.js');
  const r = { duration: 0.2, cpu_energy: 1.234e-8, cpu_power: 0.5, cpu_source: 'cpu-process (estimate)', ram_energy: 0.003, ram_power: 10,
    ram_source: 'ram-process (estimate)', gpu_energy: 0, gpu_source: 'none', emissions: 6.5e-10, carbon_intensity_g_co2e_kwh: 56,
    carbon_intensity_source: 'country' } as unknown as Parameters<typeof report>[1];
  const text = report('x', r);
  assert.match(text, /CPU +0\.0000123 Wh/);
  assert.match(text, /RAM +3\.0000 Wh/);
  assert.match(text, /GPU +0\.0000 Wh/);
  assert.match(text, /emissions 6\.50e-7 g CO2eq/);
});
