// cgroup v2: usable CPUs from cpu.max and the memory limit, the smallest along the hierarchy.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { readCgroupLimits, usableCpus } from '../src/sources/cgroup.js';
import { FakeProc, tempDir } from './helpers/sysfs.js';

test('the tightest cpu.max and memory.max along the path apply', (t) => {
  const proc = new FakeProc({ cgroup: '/kubepods/pod1/ctr' });
  const cg = tempDir();
  t.after(() => proc.cleanup());
  mkdirSync(join(cg, 'kubepods/pod1/ctr'), { recursive: true });
  writeFileSync(join(cg, 'kubepods/cpu.max'), '400000 100000\n');
  writeFileSync(join(cg, 'kubepods/pod1/cpu.max'), '150000 100000\n');
  writeFileSync(join(cg, 'kubepods/pod1/ctr/cpu.max'), 'max 100000\n');
  writeFileSync(join(cg, 'kubepods/pod1/ctr/memory.max'), `${2 * 1024 ** 3}\n`);
  writeFileSync(join(cg, 'kubepods/memory.max'), 'max\n');
  const limits = readCgroupLimits(cg, proc.root);
  assert.deepEqual(limits, { cpuQuota: 1.5, memoryMaxBytes: 2 * 1024 ** 3, path: join(cg, 'kubepods/pod1/ctr') });
  assert.equal(usableCpus(limits), Math.min(1.5, availableParallelism()));
});

test('no cgroup v2 line: no limits, all CPUs', (t) => {
  const proc = new FakeProc();
  t.after(() => proc.cleanup());
  writeFileSync(join(proc.root, 'self', 'cgroup'), '12:cpu:/legacy\n');
  const limits = readCgroupLimits(tempDir(), proc.root);
  assert.deepEqual(limits, { cpuQuota: null, memoryMaxBytes: null, path: null });
  assert.equal(usableCpus(limits), availableParallelism());
});
