// CPU model → TDP: CodeCarbon's matching order, sockets, and its fallbacks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lookupTdp, matchCpuModel, normaliseModel, readCpuInfo } from '../src/sources/cpu-info.js';
import { FakeProc } from './helpers/sysfs.js';

test('brand strings are cleaned as CodeCarbon cleans them', () => {
  assert.equal(normaliseModel('Intel(R) Xeon(R) CPU E5-2620 v3 @ 2.40GHz'), 'Intel Xeon E5-2620 v3');
  assert.equal(normaliseModel('Intel(R) Core(TM) i5-7400 CPU @ 3.00GHz'), 'Intel Core i5-7400');
});

test('exact, normalised and word-set matches; ambiguity is no match', () => {
  assert.deepEqual(matchCpuModel('amd epyc 7543'), { name: 'AMD EPYC 7543', tdpW: 225, origin: 'exact' });
  assert.deepEqual(matchCpuModel('Intel(R) Xeon(R) CPU E5-2620 v3 @ 2.40GHz'), { name: 'Intel Xeon E5-2620 v3', tdpW: 85, origin: 'normalised' });
  assert.deepEqual(matchCpuModel('AMD Ryzen 5 3600 6-Core Processor'), { name: 'AMD Ryzen 5 3600', tdpW: 65, origin: 'word-set' });
  assert.equal(matchCpuModel('AMD EPYC'), null); // a subset of hundreds of names: a guess, refused
  assert.equal(matchCpuModel('Imaginary Chip 9000'), null);
});

test('TDP × sockets on a match; 4 W per thread when unknown; 85 W when unreadable; forced as is', () => {
  assert.deepEqual(lookupTdp({ model: 'Intel(R) Xeon(R) CPU E5-2620 v3 @ 2.40GHz', sockets: 2, threads: 24 }, null), {
    tdpW: 170, origin: 'normalised', entry: 'Intel Xeon E5-2620 v3',
    detail: 'TDP 85 W × 2 socket(s) = 170 W (normalised match "Intel Xeon E5-2620 v3")',
  });
  assert.equal(lookupTdp({ model: 'AMD EPYC', sockets: 2, threads: 8 }, null).tdpW, 32);
  assert.equal(lookupTdp({ model: null, sockets: 1, threads: 8 }, null).tdpW, 85);
  assert.deepEqual(lookupTdp({ model: 'AMD EPYC 7543', sockets: 2, threads: 8 }, 120),
    { tdpW: 120, origin: 'forced', detail: 'TDP 120 W from force_cpu_power' });
});

test('/proc/cpuinfo: model, sockets from physical ids, threads', (t) => {
  const proc = new FakeProc({ model: 'AMD EPYC 7543 32-Core Processor', sockets: 2, threads: 8 });
  t.after(() => proc.cleanup());
  assert.deepEqual(readCpuInfo(proc.root), { model: 'AMD EPYC 7543 32-Core Processor', sockets: 2, threads: 8 });
});
