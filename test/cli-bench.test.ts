// `codecarbon bench FILE`: a tinybench suite from a file, with energy, as a table, JSON and CSV.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { parseCsv } from '../src/output/csv.js';
import { FakeRapl, tempDir } from './helpers/sysfs.js';

const run = promisify(execFile);
const cli = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
const tinybench = pathToFileURL(fileURLToPath(new URL('../../node_modules/tinybench/dist/index.js', import.meta.url))).href;

function place(suite: string) {
  const rapl = new FakeRapl([{ id: 'intel-rapl:0', name: 'package-0', energyUj: 0 }]);
  const dir = tempDir('cc-bench-cli-');
  const file = join(dir, 'suite.mjs');
  writeFileSync(file, suite.replace('TINYBENCH', tinybench));
  const env = { PATH: process.env['PATH'], HOME: dir, CODECARBON_RAPL_DIR: rapl.root, CODECARBON_SAMPLE_PERIOD_MS: '20' };
  return { dir, file, env };
}

const suite = `import { Bench } from 'TINYBENCH';
export default () => new Bench({ time: 200, warmupTime: 20 }).add('sum', () => { let x = 0; for (let i = 0; i < 1000; i++) x += i; return x; });`;

test('the table, JSON and CSV of a suite file', async () => {
  const { dir, file, env } = place(suite);
  const csv = join(dir, 'out.csv');
  const { stdout } = await run(process.execPath, [cli, 'bench', file, '--offline', '--country-iso-code', 'FRA', '--csv', csv], { env, cwd: dir });
  assert.match(stdout, /Task name/);
  assert.match(stdout, /'sum'/);
  assert.match(stdout, /Energy\/op/);
  const rows = parseCsv(readFileSync(csv, 'utf8'));
  assert.equal(rows[1]![0], 'sum');
  assert.ok(Number(rows[1]![rows[0]!.indexOf('energy_j_per_op')]) > 0);
  const json = JSON.parse((await run(process.execPath, [cli, 'bench', file, '--offline', '--country-iso-code', 'FRA', '--json', '--baseline-ms', '300'],
    { env, cwd: dir })).stdout);
  assert.equal(json.tasks[0].name, 'sum');
  assert.equal(json.intensity.countryIsoCode, 'FRA');
  assert.ok(json.baseline.watts >= 0 && json.tasks[0].dynamic !== null);
});

test('a file that exports no Bench is a clear error', async () => {
  const { file, env, dir } = place('export default 42;');
  await assert.rejects(run(process.execPath, [cli, 'bench', file, '--offline', '--country-iso-code', 'FRA'], { env, cwd: dir }),
    (e: { stderr: string; code: number }) => /must export default a tinybench Bench \(or a function returning one\)/.test(e.stderr) && e.code !== 0);
  await assert.rejects(run(process.execPath, [cli, 'bench'], { env, cwd: dir }), (e: { stderr: string }) => /bench needs a FILE/.test(e.stderr));
});

test('a suite\'s tasks keep their beforeAll out of their measured phase, though added before the harness is attached', async () => {
  // The suite imports tinybench by name, from its own node_modules, as a user's suite does.
  const { dir, file, env } = place(`import { Bench } from 'tinybench';
const bench = new Bench({ time: 0, iterations: 5, warmup: false });
bench.add('after a slow fixture', () => 1 + 1, { beforeAll: () => new Promise((r) => setTimeout(r, 1500)) });
export default bench;`);
  mkdirSync(join(dir, 'node_modules'));
  symlinkSync(fileURLToPath(new URL('../../node_modules/tinybench', import.meta.url)), join(dir, 'node_modules', 'tinybench'));
  const { stdout } = await run(process.execPath, [cli, 'bench', file, '--offline', '--country-iso-code', 'FRA', '--json'], { env, cwd: dir });
  const [r] = JSON.parse(stdout).tasks;
  assert.equal(r.runs, 5);
  // Five additions take microseconds; with the 1.5 s fixture in it, the phase would last longer than 1.5 s.
  assert.ok(r.durationMs < 1500, `the measured phase lasted ${r.durationMs} ms`);
});
