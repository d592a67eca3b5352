// Signals: SIGHUP and SIGQUIT write the final row as SIGINT/SIGTERM do, then end the process with
// the signal; a program with its own listener decides, and its trackers keep measuring.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseCsv } from '../src/output/csv.js';
import { FakeRapl, tempDir } from './helpers/sysfs.js';

const fixture = (name: string): string => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
const posix = process.platform !== 'win32';

function setup(t: TestContext) {
  const rapl = new FakeRapl([{ id: 'intel-rapl:0', name: 'package-0', energyUj: 0 }]);
  const dir = tempDir('cc-sig-');
  t.after(() => {
    rapl.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });
  const rows = (): Record<string, string>[] => {
    const [header, ...body] = parseCsv(readFileSync(join(dir, 'emissions.csv'), 'utf8'));
    return body.map((r) => Object.fromEntries(header!.map((h, i) => [h, r[i]!])));
  };
  return { rapl, dir, rows };
}

/** Runs `node file args` with no core dumps (SIGQUIT's default makes one), in `cwd`. */
function node(file: string, args: string[], cwd: string): ChildProcessWithoutNullStreams {
  return spawn('/bin/sh', ['-c', 'ulimit -c 0; exec "$0" "$@"', process.execPath, file, ...args], { cwd, stdio: 'pipe' });
}

/** Resolves when the child has printed `line` (a whole line), with what it printed so far. */
function printedLine(child: ChildProcessWithoutNullStreams, line: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    const onData = (d: Buffer): void => {
      out += d.toString();
      if (out.split('\n').includes(line)) {
        child.stdout.off('data', onData);
        resolve(out);
      }
    };
    child.stdout.on('data', onData);
    child.once('exit', (c, s) => reject(new Error(`exited (${c ?? s}) before printing ${line}: ${out}`)));
  });
}

const exited = (child: ChildProcessWithoutNullStreams): Promise<[number | null, string | null]> =>
  new Promise((r) => child.once('exit', (c, s) => r([c, s])));

function assertSane(row: Record<string, string>): void {
  for (const k of ['duration', 'emissions', 'energy_consumed', 'cpu_energy', 'ram_energy']) {
    const v = Number(row[k]);
    assert.ok(Number.isFinite(v) && v >= 0, `${k} = ${row[k]}`);
  }
}

for (const signal of ['SIGHUP', 'SIGQUIT'] as const) {
  test(`${signal}: the row is written once, then the signal ends the process`, { skip: !posix }, async (t) => {
    const { rapl, dir, rows } = setup(t);
    const child = node(fixture('tracker-exit.js'), ['signal', dir, rapl.root], dir);
    child.stderr.pipe(process.stderr);
    const end = exited(child);
    await printedLine(child, 'ready');
    child.kill(signal);
    assert.deepEqual(await end, [null, signal]);
    const written = rows();
    assert.equal(written.length, 1);
    assertSane(written[0]!);
  });
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  test(`a program with its own ${signal} listener goes on, and so does its tracker: the signal stops nothing`, { skip: !posix }, async (t) => {
    const { rapl, dir, rows } = setup(t);
    const child = node(fixture('own-signal.js'), [signal, 'continue', dir, rapl.root], dir);
    child.stderr.pipe(process.stderr);
    const end = exited(child);
    await printedLine(child, 'ready');
    const handled = printedLine(child, 'handled');
    child.kill(signal);
    await handled;
    const result = printedLine(child, '{"flushed":true,"stopped":true}').catch((e: Error) => e.message);
    child.stdin.end('go\n');
    assert.match(await result, /\{"flushed":true,"stopped":true\}/);
    assert.deepEqual(await end, [0, null]);
    const written = rows();
    assert.equal(written.length, 2); // the program's flush and stop, none from the signal
    assert.equal(written[0]!['run_id'], written[1]!['run_id']);
    written.forEach(assertSane);
  });
}

test('a program whose own SIGINT listener calls process.exit(): the exit hook writes the row once; its exit code stays', { skip: !posix }, async (t) => {
  const { rapl, dir, rows } = setup(t);
  const child = node(fixture('own-signal.js'), ['SIGINT', 'exit', dir, rapl.root], dir);
  child.stderr.pipe(process.stderr);
  const end = exited(child);
  await printedLine(child, 'ready');
  child.kill('SIGINT');
  assert.deepEqual(await end, [7, null]);
  const written = rows();
  assert.equal(written.length, 1);
  assertSane(written[0]!);
});
