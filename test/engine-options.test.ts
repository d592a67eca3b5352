// Engine options: defaults, CODECARBON_* environment variables, arguments, and clear errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveEngineOptions } from '../src/sampler/options.js';
import { ConfigError } from '../src/errors.js';

test('arguments > environment > defaults', () => {
  const env = { CODECARBON_RAPL_DIR: '/env/powercap', CODECARBON_RAPL_PREFER_PSYS: 'Yes', CODECARBON_FORCE_CPU_POWER: '65' };
  const o = resolveEngineOptions({ raplDir: '/arg/powercap' }, env);
  assert.equal(o.raplDir, '/arg/powercap');
  assert.equal(o.raplPreferPsys, true);
  assert.equal(o.forceCpuPower, 65);
  assert.equal(o.trackingMode, 'machine');
  assert.equal(resolveEngineOptions({}, {}).raplDir, '/sys/class/powercap');
  assert.ok(Object.isFrozen(o));
});

test('bad values name the key, where they came from and the expected form', () => {
  assert.throws(() => resolveEngineOptions({}, { CODECARBON_RAPL_PREFER_PSYS: 'maybe' }), new ConfigError('rapl_prefer_psys',
    'environment variable CODECARBON_RAPL_PREFER_PSYS', 'expected true/false (or 1/0, yes/no, on/off), got "maybe"'));
  assert.throws(() => resolveEngineOptions({ forceCpuPower: -3 }, {}),
    { name: 'ConfigError', message: 'forceCpuPower (from argument): expected a positive number, got -3' });
  assert.throws(() => resolveEngineOptions({ trackingMode: 'thread' as never }, {}),
    { message: 'trackingMode (from argument): expected "machine" or "process", got "thread"' });
  assert.throws(() => resolveEngineOptions({ raplDri: '/x' } as never, {}), { message: /^raplDri \(from argument\): unknown option; known: raplDir, / });
});
