// Engine options: a projection of the one configuration, with its precedence, files and errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { resolveEngineOptions } from '../src/sampler/options.js';
import { ConfigError } from '../src/errors.js';
import { tempDir } from './helpers/sysfs.js';

const none = { cwd: '/nonexistent', home: '/nonexistent' };

test('arguments > environment > ./.codecarbon.config > defaults, as a tracker resolves them', () => {
  const dir = tempDir('cc-eng-');
  writeFileSync(join(dir, '.codecarbon.config'), '[codecarbon]\nring_capacity = 128\nproc_dir = /file/proc\nforce_cpu_power = 40\n');
  const env = { CODECARBON_RAPL_DIR: '/env/powercap', CODECARBON_RAPL_PREFER_PSYS: 'true', CODECARBON_FORCE_CPU_POWER: '65' };
  const o = resolveEngineOptions({ raplDir: '/arg/powercap' }, { env, cwd: dir, home: '/nonexistent' });
  assert.equal(o.raplDir, '/arg/powercap');
  assert.equal(o.raplPreferPsys, true);
  assert.equal(o.forceCpuPower, 65);
  assert.equal(o.ringCapacity, 128);
  assert.equal(o.procDir, '/file/proc');
  assert.equal(o.trackingMode, 'machine');
  assert.equal(o.pid, process.pid);
  assert.equal(resolveEngineOptions({}, { env: {}, ...none }).raplDir, '/sys/class/powercap');
  assert.ok(Object.isFrozen(o));
});

test('gpu_ids keeps where it came from; CUDA_VISIBLE_DEVICES comes from the environment given', () => {
  const o = resolveEngineOptions({}, { env: { CODECARBON_GPU_IDS: '0, 2', CUDA_VISIBLE_DEVICES: '1' }, ...none });
  assert.deepEqual([o.gpuIds, o.gpuIdsOrigin, o.cudaVisibleDevices], ['0,2', 'environment variable CODECARBON_GPU_IDS', '1']);
  assert.equal(resolveEngineOptions({ gpuIds: ['3'] as never }, { env: {}, ...none }).gpuIds, '3');
});

test('bad values name the key, where they came from and the expected form', () => {
  assert.throws(() => resolveEngineOptions({}, { env: { CODECARBON_RAPL_PREFER_PSYS: 'maybe' }, ...none }), new ConfigError('rapl_prefer_psys',
    'environment variable CODECARBON_RAPL_PREFER_PSYS', 'expected true or false (also 1/0, yes/no, on/off), got "maybe"'));
  assert.throws(() => resolveEngineOptions({ forceCpuPower: -3 }, { env: {}, ...none }),
    { name: 'ConfigError', message: 'forceCpuPower (from argument): expected a number > 0 and <= 1000000, got -3' });
  assert.throws(() => resolveEngineOptions({ trackingMode: 'thread' as never }, { env: {}, ...none }),
    { message: 'trackingMode (from argument): expected one of "machine", "process", got "thread"' });
  assert.throws(() => resolveEngineOptions({}, { env: { CODECARBON_RING_CAPACITY: '1' }, ...none }),
    { message: 'ring_capacity (from environment variable CODECARBON_RING_CAPACITY): expected an integer >= 2 and <= 2097152, got "1"' });
  assert.throws(() => resolveEngineOptions({ raplDri: '/x' } as never, { env: {}, ...none }), { message: /^raplDri \(from argument\): unknown engine option; known: / });
});
