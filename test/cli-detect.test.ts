// `codecarbon detect`: the report a person reads, the stable JSON, and usage errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { nvidiaDriverPresent } from '../src/sources/gpu.js';
import { FakeRapl } from './helpers/sysfs.js';

const run = promisify(execFile);
const cli = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));

test('detect --json: zones, choices and the estimator, in a stable shape', async (t) => {
  const rapl = new FakeRapl([
    { id: 'intel-rapl:0', name: 'package-0', energyUj: 1000 },
    { id: 'intel-rapl:0:0', name: 'core', energyUj: 10 },
  ]);
  t.after(() => rapl.cleanup());
  const { stdout } = await run(process.execPath, [cli, 'detect', '--json'], { env: { ...process.env, CODECARBON_RAPL_DIR: rapl.root } });
  const out = JSON.parse(stdout);
  assert.equal(out.schema, 1);
  assert.deepEqual(Object.keys(out), ['schema', 'cpu', 'rapl', 'ram', 'gpus', 'use', 'warnings']);
  assert.deepEqual(out.rapl.zones.map((z: { id: string; use: string | null; reason: string }) => [z.id, z.use, z.reason]), [
    ['intel-rapl:0', 'cpu', 'CPU package energy'],
    ['intel-rapl:0:0', null, 'part of its package zone: adding it would count it twice'],
  ]);
  assert.equal(out.rapl.zones[0].maxEnergyRangeUj, '262143328850');
  assert.deepEqual(out.use.cpu, { source: 'rapl', measured: true, reason: 'RAPL counters: package-0 (intel-rapl:0)' });
  assert.equal(out.gpus.found.length, 0);
  assert.equal(typeof out.cpu.tdp.watts, 'number');
});

test('detect: the text report says what is used and why', async (t) => {
  const rapl = new FakeRapl([{ id: 'intel-rapl:0', name: 'package-0', energyUj: 1000 }]);
  t.after(() => rapl.cleanup());
  const { stdout } = await run(process.execPath, [cli, 'detect', '--rapl-dir', rapl.root]);
  assert.match(stdout, /^CPU {5}/);
  assert.match(stdout, /intel-rapl:0 +package-0 +used \(cpu\): CPU package energy/);
  assert.match(stdout, /\n {2}CPU {3}rapl \(measured\): RAPL counters: package-0 \(intel-rapl:0\)\n/);
});

test('usage errors exit 2 and say what was wrong', async () => {
  await assert.rejects(run(process.execPath, [cli, 'detect', '--bogus']), (e: { code: number; stderr: string }) => {
    assert.equal(e.code, 2);
    assert.match(e.stderr, /^codecarbon: unknown option for detect: --bogus\n/);
    return true;
  });
  await assert.rejects(run(process.execPath, [cli, 'detect'], { env: { ...process.env, CODECARBON_TRACKING_MODE: 'thread' } }),
    (e: { code: number; stderr: string }) => {
      assert.equal(e.stderr, 'codecarbon: tracking_mode (from environment variable CODECARBON_TRACKING_MODE): expected one of "machine", "process", got "thread"\n');
      return e.code === 2;
    });
});

test('a rapl_dir that does not exist is a warning naming it and the fix', async () => {
  const { stdout } = await run(process.execPath, [cli, 'detect', '--json'], { env: { ...process.env, CODECARBON_RAPL_DIR: '/no/such/powercap' } });
  assert.deepEqual(JSON.parse(stdout).warnings, ['rapl_dir /no/such/powercap is not a directory: no RAPL counter can be read there; '
    + 'fix rapl_dir (or CODECARBON_RAPL_DIR), or leave it unset for /sys/class/powercap']);
});

test('the RAPL line tells a directory that does not exist from one with no zones in it', async (t) => {
  const empty = new FakeRapl([]);
  t.after(() => empty.cleanup());
  const missing = await run(process.execPath, [cli, 'detect', '--rapl-dir', '/no/such/powercap']);
  assert.match(missing.stdout, /^RAPL {4}\/no\/such\/powercap: no such directory$/m);
  const none = await run(process.execPath, [cli, 'detect', '--rapl-dir', empty.root]);
  assert.match(none.stdout, new RegExp(`^RAPL {4}${empty.root}: no zones found$`, 'm'));
});

test('gpu_ids on a machine without an NVIDIA driver: a warning that no GPU is measured (no word for a machine without GPUs otherwise)',
  { skip: nvidiaDriverPresent() && 'this machine has an NVIDIA driver' }, async () => {
    const env = { ...process.env, CODECARBON_RAPL_DIR: '/no/such/powercap' };
    const asked = JSON.parse((await run(process.execPath, [cli, 'detect', '--json', '--gpu-ids', '0,1'], { env })).stdout) as { warnings: string[] };
    // In the command line's words: the flag and its value, not the config key "from argument".
    assert.ok(asked.warnings.includes('--gpu-ids 0,1 (from command line) asks for GPUs, but no NVIDIA driver on this machine (no /dev/nvidiactl, '
      + 'no /proc/driver/nvidia/version): no GPU is measured, the CPU and RAM are as usual'), asked.warnings.join('\n'));
    const fromEnv = JSON.parse((await run(process.execPath, [cli, 'detect', '--json'], { env: { ...env, CODECARBON_GPU_IDS: '1' } })).stdout) as { warnings: string[] };
    assert.ok(fromEnv.warnings.some((w) => w.startsWith('gpu_ids = 1 (from environment variable CODECARBON_GPU_IDS) asks for GPUs')), fromEnv.warnings.join('\n'));
    const plain = JSON.parse((await run(process.execPath, [cli, 'detect', '--json'], { env })).stdout) as { warnings: string[] };
    assert.ok(!plain.warnings.some((w) => w.includes('GPU')), plain.warnings.join('\n'));
  });
