// `codecarbon board` and `codecarbon report` on the command line: usage, errors, the served endpoints, Ctrl-C.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { copyFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cliHere } from './helpers/cli.js';
import { tempDir } from './helpers/sysfs.js';

const cli = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
const fixtures = fileURLToPath(new URL('./fixtures/board/', import.meta.url));

test('usage: both commands are listed, and their own --help', async () => {
  const main = await cliHere(['--help']);
  assert.match(main.stdout, /\n {2}board \[FILES…\] \[--port 8050\] \[--host 127\.0\.0\.1\]\n/);
  assert.match(main.stdout, /\n {2}report \[FILES…\] \[-o report\.html\]\n/);
  assert.match((await cliHere(['report', '--help'])).stdout, /self-contained HTML file/);
  assert.match((await cliHere(['board', '-h'])).stdout, /reads them again when they change/);
});

test('usage errors name the argument and the fix', async () => {
  assert.deepEqual(await cliHere(['board', '--port', '80000']), { code: 2, stdout: '',
    stderr: 'codecarbon: --port expects an integer 0…65535 (0: any free port), got "80000"\n' });
  const unknown = await cliHere(['report', '--out', 'x.html']);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /^codecarbon: unknown argument for report: --out\n\nUsage:\n {2}report/);
  assert.deepEqual(await cliHere(['report', '-o']), { code: 2, stdout: '', stderr: 'codecarbon: -o needs a value\n' });
});

test('report writes the page and says what it read; a taken port is refused with the fix', async () => {
  const dir = tempDir('cc-board-cli-');
  copyFileSync(join(fixtures, 'codecarbon-3.3.0.csv'), join(dir, 'emissions.csv'));
  const out = join(dir, 'r.html');
  const r = await cliHere(['report', join(dir, 'emissions.csv'), '-o', out]);
  assert.deepEqual(r, { code: 0, stderr: '',
    stdout: `codecarbon report: ${out} (2 runs, 1 project from 1 file; 1 with skipped lines or problems, listed under Files)\n` });
  assert.match(readFileSync(out, 'utf8'), /^<!doctype html>/);
  const blocker = createServer().listen(0, '127.0.0.1');
  await once(blocker, 'listening');
  const port = (blocker.address() as { port: number }).port;
  const taken = await cliHere(['board', join(dir, 'emissions.csv'), '--port', String(port)]);
  blocker.close();
  assert.deepEqual(taken, { code: 2, stdout: '',
    stderr: `codecarbon: board: cannot listen on 127.0.0.1:${port} (EADDRINUSE): the port is taken: choose another with --port\n` });
});

test('board serves the page and data.json (204 when unchanged), refuses other methods, and stops on SIGINT', async () => {
  const dir = tempDir('cc-board-serve-');
  copyFileSync(join(fixtures, 'emissions.csv'), join(dir, 'emissions.csv'));
  const child = spawn(process.execPath, [cli, 'board', '--port', '0'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  child.stdout.setEncoding('utf8').on('data', (s: string) => { stdout += s; });
  while (!/http:\S+/.test(stdout)) await once(child.stdout, 'data');
  const url = /http:\S+/.exec(stdout)![0];
  assert.match(stdout, /^codecarbon board: http:\/\/127\.0\.0\.1:\d+\/ \(.*emissions\.csv; task files beside them; Ctrl-C to stop\)\n$/);
  const page = await fetch(url);
  assert.equal(page.headers.get('content-type'), 'text/html; charset=utf-8');
  const model = (await (await fetch(`${url}data.json`)).json()) as { version: string; totals: { runs: number } };
  assert.equal(model.totals.runs, 2);
  assert.equal((await fetch(`${url}data.json?v=${model.version}`)).status, 204);
  assert.equal((await fetch(`${url}x`)).status, 404);
  assert.equal((await fetch(url, { method: 'POST' })).status, 405);
  child.kill('SIGINT');
  const [code] = await once(child, 'exit');
  assert.equal(code, 0);
  assert.ok(!existsSync(join(dir, 'report.html')));
});

test('report on files that cannot be read: each named on stderr with the problem, exit 66; nothing written when none can be read', async () => {
  const dir = tempDir('cc-report-missing-');
  const out = join(dir, 'r.html');
  const missing = join(dir, 'nonexist.csv');
  assert.deepEqual(await cliHere(['report', missing, '-o', out]), { code: 66, stdout: '',
    stderr: `codecarbon: report: cannot read ${missing}: no such file (ENOENT); check the path\n`
      + `codecarbon: exit status 66 (EX_NOINPUT): no file to report on could be read; ${out} was not written\n` });
  assert.ok(!existsSync(out));
  const folder = await cliHere(['report', dir, '-o', out]);
  assert.equal(folder.code, 66);
  assert.match(folder.stderr, new RegExp(`^codecarbon: report: cannot read ${dir}: it is a directory; give the files in it \\(e\\.g\\. `));
  assert.ok(!existsSync(out));
});

test('report with some files unreadable: the page from the others, each unreadable one named, exit 66', async () => {
  const dir = tempDir('cc-report-some-');
  copyFileSync(join(fixtures, 'emissions.csv'), join(dir, 'emissions.csv'));
  const out = join(dir, 'r.html');
  const missing = join(dir, 'gone.csv');
  const r = await cliHere(['report', join(dir, 'emissions.csv'), missing, '-o', out]);
  assert.deepEqual(r, { code: 66, stdout: `codecarbon report: ${out} (2 runs, 1 project from 1 file)\n`,
    stderr: `codecarbon: report: cannot read ${missing}: no such file (ENOENT); check the path\n`
      + 'codecarbon: exit status 66 (EX_NOINPUT): 1 of 2 files could not be read (named above); the report covers the others\n' });
  assert.match(readFileSync(out, 'utf8'), /^<!doctype html>/);
});

/** `codecarbon board FILES --port 0` in `cwd`, once it serves: its address, and stop() (SIGINT) with its exit code and stderr. */
async function boardChild(files: string[], cwd: string): Promise<{ url: string; stop: () => Promise<{ code: number | null; stderr: string }> }> {
  const child = spawn(process.execPath, [cli, 'board', ...files, '--port', '0'], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (s: string) => { stdout += s; });
  child.stderr.setEncoding('utf8').on('data', (s: string) => { stderr += s; });
  while (!/http:\S+/.test(stdout)) await once(child.stdout, 'data');
  const stop = async (): Promise<{ code: number | null; stderr: string }> => {
    child.kill('SIGINT');
    const exited = once(child, 'exit');
    await once(child.stderr, 'end');
    return { code: (await exited)[0] as number | null, stderr };
  };
  return { url: /http:\S+/.exec(stdout)![0], stop };
}

test('report -o onto a file it reads, or onto one that is not a report, is refused (exit 2) and the file kept; a report is replaced', async () => {
  const dir = tempDir('cc-report-onto-');
  const csv = join(dir, 'emissions.csv');
  copyFileSync(join(fixtures, 'emissions.csv'), csv);
  const before = readFileSync(csv, 'utf8');
  assert.deepEqual(await cliHere(['report', csv, '-o', csv]), { code: 2, stdout: '', stderr: `codecarbon: report: -o ${csv} is one of the files `
    + 'to report on, which the report would replace: give another path (e.g. -o report.html), or remove the file\n' });
  const notes = join(dir, 'notes.txt');
  writeFileSync(notes, 'my notes\n');
  const r = await cliHere(['report', csv, '-o', notes]);
  assert.deepEqual([r.code, r.stderr], [2, `codecarbon: report: -o ${notes} holds something else (its first line: "my notes"), which the `
    + 'report would replace: give another path (e.g. -o report.html), or remove the file\n']);
  assert.deepEqual([readFileSync(csv, 'utf8'), readFileSync(notes, 'utf8')], [before, 'my notes\n']);
  const out = join(dir, 'r.html');
  for (let i = 0; i < 2; i++) assert.equal((await cliHere(['report', csv, '-o', out])).code, 0);
});

test('report and board on a file of another format: named on stderr with what it is not; report exit 66, nothing written when no file can be used', async () => {
  const dir = tempDir('cc-report-format-');
  const other = join(dir, 'prices.csv');
  writeFileSync(other, 'item,price\napple,1\n');
  const out = join(dir, 'r.html');
  const problem = 'not an emissions file: its header lacks timestamp, project_name, run_id, duration, emissions, energy_consumed '
    + '(give an emissions.csv, a task file emissions_<experiment>_<run_id>.csv or a bench --json report)';
  const alone = await cliHere(['report', other, '-o', out]);
  assert.deepEqual(alone, { code: 66, stdout: '', stderr: `codecarbon: report: cannot use ${other}: ${problem}\n`
    + `codecarbon: exit status 66 (EX_NOINPUT): no file to report on could be used; ${out} was not written\n` });
  assert.ok(!existsSync(out));
  copyFileSync(join(fixtures, 'emissions.csv'), join(dir, 'emissions.csv'));
  const some = await cliHere(['report', join(dir, 'emissions.csv'), other, '-o', out]);
  assert.equal(some.code, 66);
  assert.equal(some.stderr, `codecarbon: report: cannot use ${other}: ${problem}\n`
    + 'codecarbon: exit status 66 (EX_NOINPUT): 1 of 2 files could not be used (named above); the report covers the others\n');
  assert.match(readFileSync(out, 'utf8'), /^<!doctype html>/);
  const board = await boardChild([other], dir);
  assert.deepEqual(await board.stop(), { code: 0, stderr: `codecarbon: board: cannot use ${other} now: ${problem}; the board shows it once it can be used\n` });
});

test('board on a file that cannot be read yet: named on stderr with the problem, served all the same, shown once a run writes it', async () => {
  const dir = tempDir('cc-board-later-');
  const later = join(dir, 'later.csv');
  const { url, stop } = await boardChild([later], dir);
  type Model = { totals: { runs: number }; files: { path: string; problem: string | null }[] };
  const before = (await (await fetch(`${url}data.json`)).json()) as Model;
  assert.deepEqual(before.files.map((f) => f.problem), ['could not read it: no such file (ENOENT); check the path']);
  copyFileSync(join(fixtures, 'emissions.csv'), later);
  const after = (await (await fetch(`${url}data.json`)).json()) as Model;
  assert.deepEqual([after.totals.runs, after.files[0]!.problem], [2, null]);
  assert.deepEqual(await stop(), { code: 0,
    stderr: `codecarbon: board: cannot read ${later} now: no such file (ENOENT); check the path; the board shows it once it can be read\n` });
});
