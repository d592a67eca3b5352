// Faults at the command line: help for each command, bad values, a missing file, a bare "--", a
// baseline too short, a CSV that cannot be written, a file that is no suite; each with its exact message and exit status.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { benchFlags } from '../src/cli/bench.js';
import { detectOptionFlags } from '../src/cli/detect.js';
import { monitorFlags } from '../src/cli/monitor.js';
import { parseCsv } from '../src/output/csv.js';
import { columns } from '../src/output/record.js';
import { FakeRapl, tempDir } from './helpers/sysfs.js';
import { cliHere } from './helpers/cli.js';
import { noService } from './helpers/tracker.js';
import { failingServer } from './helpers/servers.js';

const execFileP = promisify(execFile);
const cli = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
const tinybench = pathToFileURL(fileURLToPath(new URL('../../node_modules/tinybench/dist/index.js', import.meta.url))).href;

interface Outcome { code: number; stdout: string; stderr: string }

/** Runs the CLI to its end (killed after 60 s: a hang fails the test, it does not stall the suite). */
async function cc(args: string[], where: { dir: string; env: NodeJS.ProcessEnv }): Promise<Outcome> {
  return execFileP(process.execPath, [cli, ...args], { cwd: where.dir, env: where.env, timeout: 60_000 }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (e: { code: number | string; signal: string | null; stdout: string; stderr: string }) => {
      assert.equal(e.signal, null, `codecarbon ${args.join(' ')} did not end: ${e.stderr}`);
      return { code: Number(e.code), stdout: e.stdout, stderr: e.stderr };
    });
}

/** A temp dir (HOME and cwd: no config file in reach), fake RAPL, no network; removed after the test. */
function place(t: TestContext, env: Record<string, string> = {}) {
  const rapl = new FakeRapl([{ id: 'intel-rapl:0', name: 'package-0', energyUj: 0 }]);
  const dir = tempDir('cc-faults-cli-');
  t.after(() => {
    chmodSync(dir, 0o755);
    rmSync(dir, { recursive: true, force: true });
    rmSync(rapl.root, { recursive: true, force: true });
  });
  return {
    dir,
    env: { PATH: process.env['PATH'], HOME: dir, CODECARBON_RAPL_DIR: rapl.root, CODECARBON_GEOJS_URL: noService,
      CODECARBON_IPINFO_URL: noService, CODECARBON_LOCATION_CACHE_FILE: '', CODECARBON_CLOUD_METADATA_URL: noService, ...env },
  };
}

const offline = ['--offline', '--country-iso-code', 'FRA'];

test('--help and -h after each command print its usage on stdout and exit 0', async () => {
  for (const command of ['monitor', 'detect', 'bench']) {
    for (const flag of ['--help', '-h']) {
      const r = await cliHere([command, flag]);
      assert.deepEqual([r.code, r.stderr], [0, ''], `${command} ${flag}`);
      assert.ok(r.stdout.startsWith(`Usage: codecarbon\n  ${command} `), r.stdout);
    }
  }
});

test('codecarbon with no command: the usage on stderr, exit 2 (a usage error, as an unknown command is); --help: on stdout, exit 0', async () => {
  const none = await cliHere([]);
  assert.equal(none.code, 2);
  assert.equal(none.stdout, '');
  assert.ok(none.stderr.startsWith('codecarbon: a command is needed\n\nUsage: codecarbon <command> [options]\n'), none.stderr);
  const help = await cliHere(['--help']);
  assert.deepEqual([help.code, help.stderr], [0, '']);
  assert.equal(`codecarbon: a command is needed\n\n${help.stdout}`, none.stderr);
});

test('each command\'s help lists every option it accepts, and accepts every option it lists', async () => {
  for (const [command, flags] of [['monitor', monitorFlags], ['detect', detectOptionFlags], ['bench', benchFlags]] as const) {
    const { stdout } = await cliHere([command, '--help']);
    for (const flag of flags) assert.ok(stdout.includes(flag), `${command} --help does not list ${flag}`);
    for (const listed of stdout.match(/--[a-z][a-z-]*/g) ?? []) assert.ok(flags.includes(listed), `${command} --help lists ${listed}`);
  }
  assert.ok(monitorFlags.includes('--cloud-provider') && monitorFlags.includes('--cloud-region'));
});

test('--measure-power-secs abc: the flag, the value as given and the form expected; exit 2, nothing written', async (t) => {
  const where = place(t);
  const r = await cliHere(['monitor', ...offline, '--measure-power-secs', 'abc', '--', process.execPath, '-e', '0']);
  assert.deepEqual([r.code, r.stderr], [2, 'codecarbon: --measure-power-secs expects a number of seconds > 0 (e.g. 15 or 0.5), got "abc"\n']);
  const ok = await cc(['monitor', ...offline, '--measure-power-secs', '0.5', '--', process.execPath, '-e', '0'], where);
  assert.equal(ok.code, 0, ok.stderr);
  assert.equal(parseCsv(readFileSync(join(where.dir, 'emissions.csv'), 'utf8')).length, 2);
});

test('monitor with a command but no "--" before it: a usage error that shows the command line with it (quoted to paste back)', async () => {
  const r = await cliHere(['monitor', ...offline, 'node', '-e', 'console.log(1)']);
  assert.deepEqual([r.code, r.stderr], [2, 'codecarbon: monitor: "node" is not an option; to run a command, put "--" before it: '
    + 'codecarbon monitor --offline --country-iso-code FRA -- node -e \'console.log(1)\'\n']);
  const bare = await cliHere(['monitor', 'node', '-e', '1']);
  assert.equal(bare.stderr, 'codecarbon: monitor: "node" is not an option; to run a command, put "--" before it: codecarbon monitor -- node -e 1\n');
  const flag = await cliHere(['monitor', '--bogus']);
  assert.ok(flag.stderr.startsWith('codecarbon: unknown option for monitor: --bogus\n\nUsage:\n'), flag.stderr);
});

test('monitor -- with no command after it is a usage error, not the whole machine until Ctrl-C', async () => {
  const r = await cliHere(['monitor', ...offline, '--']);
  assert.deepEqual([r.code, r.stderr], [2, 'codecarbon: monitor: "--" must be followed by the command to run; '
    + 'leave "--" out to track the whole machine until Ctrl-C\n']);
});

test('monitor with a CSV it could not write at the end: refused before the command runs (exit 2), naming the flag or the file line', async (t) => {
  const where = place(t);
  const ran = join(where.dir, 'ran');
  const command = ['--', process.execPath, '-e', `require('fs').writeFileSync(${JSON.stringify(ran)}, '')`];
  const missing = join(where.dir, 'no-such-dir', 'x.csv');
  const flag = await cc(['monitor', ...offline, '--output-file', missing, ...command], where);
  assert.deepEqual([flag.code, flag.stderr], [2, `codecarbon: --output-file (from command line): ${missing} cannot be written (ENOENT): `
    + 'its directory does not exist: create it, or choose another output_file; nothing was run\n']);
  mkdirSync(join(where.dir, 'emissions.csv'));
  const dir = await cc(['monitor', ...offline, ...command], where);
  assert.deepEqual([dir.code, dir.stderr], [2, `codecarbon: ${join('.', 'emissions.csv')} cannot be written (EISDIR): `
    + 'it is a directory: remove it or choose another output_file; nothing was run\n']);
  assert.ok(!existsSync(ran), 'the command ran');
  assert.ok(!existsSync(join(where.dir, 'no-such-dir')));
});

test('monitor that keeps the record nowhere says so after its figures; --api or --no-api against --output-methods is a usage error', async (t) => {
  const where = place(t, { CODECARBON_SAVE_TO_FILE: 'false' });
  const r = await cc(['monitor', ...offline, '--', process.execPath, '-e', '0'], where);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /\n {2}emissions [^\n]*\n {2}saved nowhere: no output that keeps the record is on \(save_to_file is false, from environment variable CODECARBON_SAVE_TO_FILE\); the figures above are all there is: add --output-methods csv \(or save_to_file = true in the config\) to keep them\n$/);
  const kept = await cc(['monitor', ...offline, '--output-methods', 'csv', '--', process.execPath, '-e', '0'], where);
  assert.doesNotMatch(kept.stderr, /saved nowhere/);
  const no = await cliHere(['monitor', ...offline, '--no-api', '--output-methods', 'api,csv', '--', process.execPath, '-e', '0']);
  assert.deepEqual([no.code, no.stderr], [2, 'codecarbon: --no-api contradicts --output-methods api,csv, which decides the outputs alone; '
    + 'drop --no-api, or remove api in --output-methods\n']);
  const yes = await cliHere(['monitor', ...offline, '--output-methods', 'csv', '--api', '--', process.execPath, '-e', '0']);
  assert.deepEqual([yes.code, yes.stderr], [2, 'codecarbon: --api contradicts --output-methods csv, which decides the outputs alone; '
    + 'drop --api, or add api in --output-methods\n']);
});

test('monitor --output-methods cvs (a typo): refused before the command runs (exit 2), with the nearest name; it used to save nowhere, exit 0', async (t) => {
  const where = place(t);
  const ran = join(where.dir, 'ran');
  const r = await cc(['monitor', ...offline, '--output-methods', 'cvs', '--', process.execPath, '-e', `require('fs').writeFileSync(${JSON.stringify(ran)}, '')`], where);
  assert.deepEqual([r.code, r.stderr], [2, 'codecarbon: --output-methods (from command line): unknown output method "cvs" (did you mean "csv"?); '
    + 'known: csv, api, logger, prometheus, logfire, boamps, otel\n']);
  assert.ok(!existsSync(ran), 'the command ran');
});

test('a flag given twice, or an empty command after "--": usage errors (exit 2) that say so, nothing run', async (t) => {
  const twice = await cliHere(['monitor', ...offline, '--country-iso-code', 'DEU', '--', process.execPath, '-e', '0']);
  assert.deepEqual([twice.code, twice.stderr], [2, 'codecarbon: --country-iso-code is given twice ("FRA", then "DEU"): give it once\n']);
  const bench = await cliHere(['bench', 'suite.js', '--baseline-ms', '2000', '--baseline-ms', '500']);
  assert.deepEqual([bench.code, bench.stderr], [2, 'codecarbon: --baseline-ms is given twice ("2000", then "500"): give it once\n']);
  const empty = await cliHere(['monitor', ...offline, '--', '']);
  assert.deepEqual([empty.code, empty.stderr], [2, 'codecarbon: monitor: the command after "--" is empty (""): give the program to run, e.g. -- node app.js\n']);
  // The command's own arguments may repeat the monitor's flags: they are its, not ours.
  const where = place(t);
  const theirs = await cc(['monitor', ...offline, '--', process.execPath, '-e', '0', '--', '--country-iso-code', 'X'], where);
  assert.equal(theirs.code, 0, theirs.stderr);
});

test('bench --csv onto the suite file or a file of other rows (a tracker\'s emissions.csv) is refused, nothing run; a bench CSV is replaced', async (t) => {
  const where = place(t);
  const suite = join(where.dir, 'suite.mjs');
  writeFileSync(suite, `import { Bench } from '${tinybench}';
export default () => new Bench({ time: 20, warmup: false }).add('sum', () => { let x = 0; for (let i = 0; i < 100; i++) x += i; return x; });`);
  const tracker = join(where.dir, 'emissions.csv');
  writeFileSync(tracker, 'timestamp,project_name,run_id\n2026-12-04T10:00:00,p,r\n');
  const self = await cliHere(['bench', suite, ...offline, '--csv', suite]);
  assert.deepEqual([self.code, self.stderr], [2, `codecarbon: --csv ${suite} is the suite file itself: give the CSV another path; nothing was run\n`]);
  const other = await cliHere(['bench', suite, ...offline, '--csv', tracker]);
  assert.deepEqual([other.code, other.stderr], [2, `codecarbon: --csv ${tracker} holds something else (its first line: `
    + '"timestamp,project_name,run_id"), which it would replace: give another path, or remove the file; nothing was run\n']);
  assert.equal(readFileSync(tracker, 'utf8'), 'timestamp,project_name,run_id\n2026-12-04T10:00:00,p,r\n');
  const csv = join(where.dir, 'bench.csv');
  for (let i = 0; i < 2; i++) {
    const r = await cc(['bench', suite, ...offline, '--csv', csv], where);
    assert.equal(r.code, 0, r.stderr);
  }
  assert.equal(parseCsv(readFileSync(csv, 'utf8')).length, 2, 'the second run replaced the first one\'s CSV');
});

test('bench with a task that throws: its row without per-operation figures, the error named on stderr, exit 1', async (t) => {
  const where = place(t);
  const suite = join(where.dir, 'suite.mjs');
  writeFileSync(suite, `import { Bench } from '${tinybench}';
export default () => new Bench({ time: 20, warmup: false }).add('throws', () => { throw new Error('task failed'); }).add('fine', () => 1);`);
  const r = await cc(['bench', suite, ...offline], where);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stdout, /'throws'[^\n]*'—'[^\n]*no operation completed/);
  assert.doesNotMatch(r.stdout, /at .*suite\.mjs/, 'no stack in the table');
  assert.ok(r.stderr.endsWith('codecarbon: bench: task \'throws\' errored (Error: task failed); its figures cover the operations before the error\n'), r.stderr);
});

test('bench with a file that does not exist: its name, where it was looked for and the fix; exit 2, no stack', async (t) => {
  const where = place(t);
  const r = await cc(['bench', 'missing.js', ...offline], where);
  assert.deepEqual([r.code, r.stderr], [2, `codecarbon: bench: missing.js was not found (no file at ${join(where.dir, 'missing.js')}); `
    + 'give the path of a file that exports a tinybench Bench\n']);
});

test('bench with a directory, a README, a .ts file or one that does not parse: what it is and the fix; exit 2, no stack', async (t) => {
  const where = place(t);
  mkdirSync(join(where.dir, 'suites'));
  writeFileSync(join(where.dir, 'README.md'), '# suites\n');
  writeFileSync(join(where.dir, 'suite.ts'), 'export default 1;\n');
  const fix = 'give the path of a file that exports a tinybench Bench';
  writeFileSync(join(where.dir, 'typo.mjs'), 'export default 1 +;\n');
  const typo = await cc(['bench', 'typo.mjs', ...offline], where);
  assert.deepEqual([typo.code, typo.stderr], [2, 'codecarbon: bench: typo.mjs could not be loaded as JavaScript (SyntaxError: Unexpected '
    + `token ';'): \`node --check typo.mjs\` shows the line; ${fix}\n`]);
  const dir = await cc(['bench', 'suites', ...offline], where);
  assert.deepEqual([dir.code, dir.stderr], [2, `codecarbon: bench: suites is a directory; ${fix} (e.g. ${join('suites', 'suite.js')})\n`]);
  for (const file of ['README.md', 'suite.ts']) {
    const r = await cc(['bench', file, ...offline], where);
    assert.equal(r.code, 2, r.stderr);
    assert.ok(r.stderr.startsWith(`codecarbon: bench: ${file} is not a JavaScript module Node can load (Unknown file extension`), r.stderr);
    assert.ok(r.stderr.endsWith(`; ${fix} (.js, .mjs or .cjs; a .ts suite compiled to .js first)\n`), r.stderr);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
  }
});

test('bench with a suite that throws as it loads, or whose default export throws when called: the file, the error and where, the fix; exit 2, no stack', async (t) => {
  const where = place(t);
  writeFileSync(join(where.dir, 'top.mjs'), `import { Bench } from '${tinybench}';\nconst bench = new Bench();\nthrow new Error('no data file');\nexport default bench;\n`);
  writeFileSync(join(where.dir, 'factory.mjs'), 'export default () => {\n  throw new TypeError(\'bad option\');\n};\n');
  writeFileSync(join(where.dir, 'missing.mjs'), 'import x from \'no-such-package-here\';\nexport default x;\n');
  const top = await cc(['bench', 'top.mjs', ...offline], where);
  assert.deepEqual([top.code, top.stderr], [2, 'codecarbon: bench: top.mjs failed as it loaded (Error: no data file, at top.mjs:3:7); '
    + '`node top.mjs` runs it alone and shows the whole stack\n']);
  const factory = await cc(['bench', 'factory.mjs', ...offline], where);
  assert.deepEqual([factory.code, factory.stderr], [2, 'codecarbon: bench: factory.mjs\'s default export threw when called to make the Bench '
    + '(TypeError: bad option, at factory.mjs:2:9); it must return a tinybench Bench with its tasks added\n']);
  const missing = await cc(['bench', 'missing.mjs', ...offline], where);
  assert.equal(missing.code, 2);
  assert.ok(missing.stderr.startsWith('codecarbon: bench: missing.mjs failed as it loaded (Error [ERR_MODULE_NOT_FOUND]: Cannot find package '
    + '\'no-such-package-here\' imported from '), missing.stderr);
  assert.doesNotMatch(missing.stderr, /\n\s+at /);
});

test('bench --csv that cannot be written: refused before the suite is loaded (exit 2); lost during the run: the table, then why (exit 74)', async (t) => {
  const where = place(t);
  const suite = join(where.dir, 'suite.mjs');
  const loaded = join(where.dir, 'loaded');
  const csv = join(where.dir, 'out.csv');
  // The suite marks that it was loaded; its task turns the CSV path into a directory mid-run.
  writeFileSync(suite, `import { Bench } from '${tinybench}';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
writeFileSync(${JSON.stringify(loaded)}, '');
export default () => new Bench({ time: 50, warmup: false }).add('sum', () => {
  if (!existsSync(${JSON.stringify(csv)})) mkdirSync(${JSON.stringify(csv)});
  let x = 0; for (let i = 0; i < 100; i++) x += i; return x;
});`);
  const missing = join(where.dir, 'no-such-dir', 'out.csv');
  const early = await cc(['bench', suite, ...offline, '--csv', missing], where);
  assert.deepEqual([early.code, early.stdout, early.stderr], [2, '', `codecarbon: --csv ${missing}: could not write (ENOENT): its directory `
    + 'does not exist: create it, or give --csv another path; nothing was run\n']);
  assert.ok(!existsSync(loaded), 'the suite was loaded');
  const late = await cc(['bench', suite, ...offline, '--csv', csv], where);
  assert.equal(late.code, 74, late.stderr);
  assert.match(late.stdout, /'sum'.*Energy\/op|Energy\/op[^]*'sum'/);
  assert.ok(late.stderr.endsWith(`codecarbon: --csv ${csv}: could not write (EISDIR): it is a directory: remove it or give --csv `
    + 'another path; the results are the table above\n'), late.stderr);
  assert.ok(existsSync(loaded));
});

test('bench --baseline-ms: a value that is no number says so; one too short for two slices is refused with the least that works', async (t) => {
  const where = place(t);
  const suite = join(where.dir, 'suite.mjs');
  writeFileSync(suite, `import { Bench } from '${tinybench}';
export default () => new Bench({ time: 100, warmupTime: 10 }).add('sum', () => { let x = 0; for (let i = 0; i < 100; i++) x += i; return x; });`);
  const bad = await cliHere(['bench', suite, ...offline, '--baseline-ms', 'abc']);
  assert.deepEqual([bad.code, bad.stderr], [2, 'codecarbon: --baseline-ms expects a number of ms > 0 (e.g. 2000), got "abc"\n']);
  const short = await cc(['bench', suite, ...offline, '--baseline-ms', '300'], where);
  assert.deepEqual([short.code, short.stderr], [2, 'codecarbon: --baseline-ms (from command line): 300 ms is too short for 2 slices of at least 2 '
    + 'sampling periods (200 ms) each; give durationMs (--baseline-ms) of at least 400, or a shorter sample_period_ms\n']);
});

test('bench --baseline-ms 300 at a 20 ms period: 300 ms in 7 slices, not 2 s in 10', async (t) => {
  const where = place(t, { CODECARBON_SAMPLE_PERIOD_MS: '20' });
  const suite = join(where.dir, 'suite.mjs');
  writeFileSync(suite, `import { Bench } from '${tinybench}';
export default () => new Bench({ time: 100, warmupTime: 10 }).add('sum', () => { let x = 0; for (let i = 0; i < 100; i++) x += i; return x; });`);
  const r = await cc(['bench', suite, ...offline, '--baseline-ms', '300', '--json'], where);
  assert.equal(r.code, 0, r.stderr);
  const { baseline } = JSON.parse(r.stdout) as { baseline: { slices: number; durationMs: number; watts: number } };
  assert.equal(baseline.slices, 7);
  assert.ok(baseline.durationMs >= 300 && Number.isFinite(baseline.watts) && baseline.watts >= 0, JSON.stringify(baseline));
});

test('monitor when the CSV cannot be written (EISDIR): no "written to", the reason, and exit 74 (the command\'s own code if it failed)', async (t) => {
  const where = place(t);
  // Made by the command: a path that could not be written at the start is refused before it runs.
  const mkdir = 'require("fs").mkdirSync("emissions.csv");';
  const why = 'could not write emissions.csv (EISDIR): it is a directory: remove it or choose another output_file';
  // The row is printed instead, so that nothing measured goes with the process: a header line, then the row.
  const printedRow = (stderr: string): Record<string, string> => {
    const at = stderr.indexOf(`\n  NOT written: ${why}\n  the row that was not written (a header line, then the row):\n`);
    assert.ok(at >= 0, stderr);
    const [header, row] = parseCsv(stderr.slice(stderr.indexOf('row):\n', at) + 6).split('\n').slice(0, 2).join('\n'));
    assert.deepEqual(header, [...columns]);
    return Object.fromEntries(header!.map((c, i) => [c, row![i]!]));
  };
  const ok = await cc(['monitor', ...offline, '--', process.execPath, '-e', mkdir], where);
  assert.equal(ok.code, 74);
  assert.doesNotMatch(ok.stderr, /^ {2}written to/m);
  assert.ok(ok.stderr.endsWith(`\ncodecarbon: exit status 74 (EX_IOERR): ${process.execPath} -e '${mkdir}' ran, but its row could not be written\n`), ok.stderr);
  const row = printedRow(ok.stderr);
  assert.ok(Number(row['duration']) > 0 && Number(row['energy_consumed']) > 0 && row['country_iso_code'] === 'FRA', JSON.stringify(row));
  rmSync(join(where.dir, 'emissions.csv'), { recursive: true });
  const failed = await cc(['monitor', ...offline, '--', process.execPath, '-e', `${mkdir} process.exit(3)`], where);
  assert.equal(failed.code, 3);
  assert.equal(printedRow(failed.stderr)['project_name'], 'codecarbon');
});

test('monitor whose only output is an API that fails: NOT sent, the row printed, exit 74; with a CSV as well, the CSV keeps it (exit 0)', async (t) => {
  const where = place(t);
  const api = await failingServer();
  t.after(() => api.close());
  const command = ['--', process.execPath, '-e', 'setTimeout(() => {}, 1200)'];
  const r = await cc(['monitor', ...offline, '--output-methods', 'api', '--api-endpoint', api.url, ...command], where);
  assert.equal(r.code, 74, r.stderr);
  assert.match(r.stderr, /\n {2}NOT sent: the CodeCarbon API did not receive [^\n]+ kWh \([^\n]+ kg CO2eq over [\d.]+ s\) of the run\n {2}the row that was not sent \(a header line, then the row\):\ntimestamp,project_name,run_id,/);
  assert.ok(r.stderr.endsWith('but its row could not be sent\n'), r.stderr);
  const both = await cc(['monitor', ...offline, '--output-methods', 'api,csv', '--api-endpoint', api.url, ...command], where);
  assert.equal(both.code, 0, both.stderr);
  assert.match(both.stderr, /\n {2}written to emissions\.csv\n {2}NOT sent: the CodeCarbon API did not receive /);
  assert.doesNotMatch(both.stderr, /the row that was not/);
});

test('monitor without a command, stopped by SIGINT, when the CSV cannot be written: exit 74 rather than 130', async (t) => {
  const where = place(t);
  const child = spawn(process.execPath, [cli, 'monitor', ...offline], { cwd: where.dir, env: where.env, stdio: ['ignore', 'ignore', 'pipe'] });
  const killer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  let stderr = '';
  await new Promise<void>((r) => child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
    if (stderr.includes('Ctrl-C to stop')) r(); // printed once its signal handlers are in place
  }));
  mkdirSync(join(where.dir, 'emissions.csv')); // after the start, which refuses a path it cannot write
  child.kill('SIGINT');
  const code = await new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
  clearTimeout(killer);
  assert.equal(code, 74, stderr);
  assert.match(stderr, /\n {2}NOT written: could not write emissions\.csv \(EISDIR\): it is a directory: remove it or choose another output_file\n {2}the row that was not written \(a header line, then the row\):\ntimestamp,project_name,run_id,[^\n]*\n[^\n]+\ncodecarbon: exit status 74 \(EX_IOERR\): the machine ran, but its row could not be written\n$/);
});

test('monitor when the output directory may not be written (EACCES): exit 74 and the fix', { skip: process.getuid?.() === 0 && 'root may write anywhere' }, async (t) => {
  const where = place(t);
  const r = await cc(['monitor', ...offline, '--', process.execPath, '-e', 'require("fs").chmodSync(".", 0o555)'], where);
  assert.equal(r.code, 74);
  assert.match(r.stderr, /\n {2}NOT written: could not write emissions\.csv \(EACCES\): writing there is not allowed: grant it, or choose another output_dir\n/);
});
