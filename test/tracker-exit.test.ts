// A started tracker writes its final row exactly once however the process ends.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { FakeRapl, tempDir } from './helpers/sysfs.js';

const run = promisify(execFile);
const fixture = fileURLToPath(new URL('./fixtures/tracker-exit.js', import.meta.url));

function setup() {
  const rapl = new FakeRapl([{ id: 'intel-rapl:0', name: 'package-0', energyUj: 0 }]);
  const dir = tempDir('cc-out-');
  const rows = (): number => readFileSync(join(dir, 'emissions.csv'), 'utf8').trimEnd().split('\n').length - 1;
  return { rapl, dir, rows };
}

test('the event loop empties without stop(): beforeExit writes the row once', async () => {
  const { rapl, dir, rows } = setup();
  await run(process.execPath, [fixture, 'drain', dir, rapl.root], { timeout: 20_000 });
  assert.equal(rows(), 1);
});

test('process.exit(): the row is written from the samples there are, once; the exit code stays', async () => {
  const { rapl, dir, rows } = setup();
  await assert.rejects(run(process.execPath, [fixture, 'exit', dir, rapl.root], { timeout: 20_000 }), (e: { code: number }) => e.code === 3);
  assert.equal(rows(), 1);
});

test('a decorated sync function in a program that then ends: its row is written before exit', async () => {
  const { rapl, dir, rows } = setup();
  const { stdout } = await run(process.execPath, [fixture, 'decorated', dir, rapl.root], { timeout: 20_000, env: { ...process.env, HOME: dir } });
  assert.equal(stdout, '42\n');
  assert.equal(rows(), 1);
});

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  test(`${signal}: the row is written once, then the signal ends the process as usual`, async () => {
    const { rapl, dir, rows } = setup();
    const child = spawn(process.execPath, [fixture, 'signal', dir, rapl.root], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((r) => child.stdout.once('data', () => r()));
    child.kill(signal);
    const [code, sig] = await new Promise<[number | null, string | null]>((r) => child.once('exit', (c, s) => r([c, s])));
    assert.deepEqual([code, sig], [null, signal]);
    assert.equal(rows(), 1);
  });
}
